//! OPML 2.0 list of every output feed, for readers to import all of them at once.

use super::clean::text;
use super::entry::FeedMeta;
use super::xml::Xml;

/// Renders an OPML 2.0 subscription list with one `rss` outline per feed, in the order
/// given, each pointing at the feed's `.rss` file. No `dateCreated`: the list is a pure
/// function of the feeds, so it is rewritten only when they change.
pub fn render_opml(feeds: &[FeedMeta]) -> Vec<u8> {
    let mut x = Xml::document(None);
    x.open("opml", &[("version", "2.0")]);
    x.open("head", &[]);
    x.leaf("title", &[], "wirefeed");
    x.close("head");
    x.open("body", &[]);
    for feed in feeds {
        let xml_url = feed.self_url("rss");
        let mut attrs = vec![
            ("type", "rss"),
            ("version", "RSS2"),
            ("text", feed.title.as_str()),
            ("title", feed.title.as_str()),
            ("xmlUrl", xml_url.as_str()),
            ("htmlUrl", feed.base_url.as_str()),
        ];
        if !feed.description.trim().is_empty() {
            attrs.push(("description", feed.description.as_str()));
        }
        if let Some(lang) = text(&feed.lang) {
            attrs.push(("language", lang));
        }
        x.empty("outline", &attrs);
    }
    x.close("body");
    x.close("opml");
    x.finish()
}
