//! RSS 2.0 renderer with the atom (self/hub links), content (full text), Dublin Core
//! (authors) and Media RSS (images with credit and caption) extensions.

use super::clean::{text, Cleaned};
use super::entry::{newest_update, rfc822, Entry, FeedMeta};
use super::xml::Xml;
use crate::model::Image;

const NS_ATOM: &str = "http://www.w3.org/2005/Atom";
const NS_CONTENT: &str = "http://purl.org/rss/1.0/modules/content/";
const NS_DC: &str = "http://purl.org/dc/elements/1.1/";
const NS_MEDIA: &str = "http://search.yahoo.com/mrss/";

/// Renders an RSS 2.0 feed. Entries are written in the order given.
///
/// `lastBuildDate` is the newest entry's `updated` and is left out for an empty feed (the
/// element is optional, and a clock-made date would break byte-identical output).
pub fn render_rss(meta: &FeedMeta, entries: &[Entry]) -> Vec<u8> {
    let mut x = Xml::document(meta.stylesheet.as_deref());
    x.open(
        "rss",
        &[
            ("version", "2.0"),
            ("xmlns:atom", NS_ATOM),
            ("xmlns:content", NS_CONTENT),
            ("xmlns:dc", NS_DC),
            ("xmlns:media", NS_MEDIA),
        ],
    );
    x.open("channel", &[]);
    x.leaf_plain("title", &[], &meta.title);
    // The channel's web page: the feed's HTML page beside it.
    x.leaf("link", &[], &meta.self_url("html"));
    // <description> is required; an unset one would make validators complain.
    let description = if meta.description.trim().is_empty() {
        &meta.title
    } else {
        &meta.description
    };
    x.leaf_plain("description", &[], description);
    if let Some(lang) = text(&meta.lang) {
        x.leaf("language", &[], lang);
    }
    x.leaf("generator", &[], "wirefeed");
    if let Some(t) = newest_update(entries) {
        x.leaf("lastBuildDate", &[], &rfc822(t));
    }
    x.empty(
        "atom:link",
        &[
            ("href", &meta.self_url("rss")),
            ("rel", "self"),
            ("type", "application/rss+xml"),
        ],
    );
    for hub in &meta.hubs {
        x.empty("atom:link", &[("href", hub), ("rel", "hub")]);
    }
    for entry in entries {
        item(&mut x, meta, entry);
    }
    x.close("channel");
    x.close("rss");
    x.finish()
}

fn item(x: &mut Xml, meta: &FeedMeta, entry: &Entry) {
    let clean = Cleaned::new(entry, meta);
    x.open("item", &[]);
    x.leaf_plain("title", &[], &entry.title);
    if let Some(link) = &entry.link {
        x.leaf("link", &[], link.as_str());
    }
    if let Some(summary) = &clean.summary_html {
        x.leaf("description", &[], summary);
    }
    // Not a permalink: the id is ours and stays when the story's link changes.
    x.leaf("guid", &[("isPermaLink", "false")], &entry.id);
    x.leaf("pubDate", &[], &rfc822(entry.published));
    for category in &entry.categories {
        x.leaf_plain("category", &[], category);
    }
    for author in &entry.authors {
        x.leaf_plain("dc:creator", &[], author);
    }
    if let Some(rights) = text(&entry.rights) {
        x.leaf("dc:rights", &[], rights);
    }
    if let Some(content) = &clean.content_html {
        x.leaf("content:encoded", &[], content);
    }
    // Attachments beyond the one <enclosure> stay reachable as Media RSS.
    for enc in clean.enclosures.iter().skip(1) {
        let mut attrs = vec![("url", enc.url.as_str())];
        if let Some(mime) = &enc.mime {
            attrs.push(("type", mime));
        }
        let size = enc.length.map(|l| l.to_string());
        if let Some(size) = &size {
            attrs.push(("fileSize", size));
        }
        x.empty("media:content", &attrs);
    }
    if let Some(image) = &clean.image {
        media_content(x, image);
    }
    // RSS allows one <enclosure> per item (validators warn on more): the first attached
    // file (a podcast's audio), else the picture, so readers that ignore Media RSS still
    // offer it. Its length is required; 0 stands for unknown, as the RSS profile says.
    if let Some(enc) = clean
        .enclosures
        .first()
        .cloned()
        .or_else(|| clean.image_enclosure())
    {
        let length = enc.length.unwrap_or(0).to_string();
        x.empty(
            "enclosure",
            &[
                ("url", enc.url.as_str()),
                ("length", &length),
                (
                    "type",
                    enc.mime.as_deref().unwrap_or("application/octet-stream"),
                ),
            ],
        );
    }
    x.close("item");
}

/// The picture as Media RSS `media:content` with caption and credit (RSS and Atom).
pub(super) fn media_content(x: &mut Xml, image: &Image) {
    let mut attrs = vec![("url", image.url.as_str()), ("medium", "image")];
    if let Some(mime) = text(&image.mime) {
        attrs.push(("type", mime));
    }
    let size = image.length.map(|l| l.to_string());
    if let Some(size) = &size {
        attrs.push(("fileSize", size));
    }
    let caption = text(&image.caption);
    let credit = text(&image.credit);
    if caption.is_none() && credit.is_none() {
        x.empty("media:content", &attrs);
    } else {
        x.open("media:content", &attrs);
        if let Some(caption) = caption {
            x.leaf_plain("media:description", &[("type", "plain")], caption);
        }
        if let Some(credit) = credit {
            x.leaf_plain("media:credit", &[], credit);
        }
        x.close("media:content");
    }
}
