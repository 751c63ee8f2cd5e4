//! Atom 1.0 (RFC 4287) renderer.

use super::entry::{newest_update, rfc3339, Entry, FeedMeta};
use super::xml::Xml;
use super::{text, Cleaned};
use chrono::DateTime;

const NS_ATOM: &str = "http://www.w3.org/2005/Atom";

/// Renders an Atom 1.0 feed. Entries are written in the order given.
///
/// The feed's `<updated>` (required) is the newest entry's `updated`. An empty feed uses
/// the Unix epoch, 1970-01-01T00:00:00Z: a fixed value keeps rendering pure and the output
/// byte-identical, and an empty feed has nothing whose time could be reported.
pub fn render_atom(meta: &FeedMeta, entries: &[Entry]) -> Vec<u8> {
    let mut x = Xml::document(meta.stylesheet.as_deref());
    let mut root = vec![("xmlns", NS_ATOM)];
    if let Some(lang) = text(&meta.lang) {
        root.push(("xml:lang", lang));
    }
    x.open("feed", &root);
    x.leaf("id", &[], &meta.urn());
    x.leaf("title", &[], &meta.title);
    if !meta.description.trim().is_empty() {
        x.leaf("subtitle", &[], &meta.description);
    }
    let updated = newest_update(entries).unwrap_or(DateTime::UNIX_EPOCH);
    x.leaf("updated", &[], &rfc3339(updated));
    // RFC 4287 4.1.1: every entry needs an author, its own or the feed's. Entries from
    // wire copy often have none, so the feed vouches for them under its own title.
    if entries.iter().any(|e| e.authors.is_empty()) {
        x.open("author", &[]);
        x.leaf("name", &[], &meta.title);
        x.close("author");
    }
    x.empty(
        "link",
        &[
            ("rel", "self"),
            ("type", "application/atom+xml"),
            ("href", &meta.self_url("atom")),
        ],
    );
    x.empty(
        "link",
        &[
            ("rel", "alternate"),
            ("type", "application/rss+xml"),
            ("href", &meta.self_url("rss")),
        ],
    );
    for hub in &meta.hubs {
        x.empty("link", &[("rel", "hub"), ("href", hub)]);
    }
    x.leaf("generator", &[], "wirefeed");
    for e in entries {
        entry(&mut x, meta, e);
    }
    x.close("feed");
    x.finish()
}

fn entry(x: &mut Xml, meta: &FeedMeta, entry: &Entry) {
    let clean = Cleaned::new(entry, meta);
    let lang = text(&entry.lang).filter(|l| Some(*l) != text(&meta.lang));
    x.open(
        "entry",
        &lang
            .map(|l| ("xml:lang", l))
            .into_iter()
            .collect::<Vec<_>>(),
    );
    x.leaf("id", &[], &entry.id);
    x.leaf("title", &[("type", "text")], &entry.title);
    x.leaf("updated", &[], &rfc3339(entry.updated));
    x.leaf("published", &[], &rfc3339(entry.published));
    if let Some(link) = &entry.link {
        x.empty(
            "link",
            &[
                ("rel", "alternate"),
                ("type", "text/html"),
                ("href", link.as_str()),
            ],
        );
    }
    if let Some(image) = &clean.image {
        let mut attrs = vec![("rel", "enclosure")];
        if let Some(mime) = text(&image.mime) {
            attrs.push(("type", mime));
        }
        let size = image.length.map(|l| l.to_string());
        if let Some(size) = &size {
            attrs.push(("length", size));
        }
        attrs.push(("href", &image.url));
        x.empty("link", &attrs);
    }
    for author in &entry.authors {
        x.open("author", &[]);
        x.leaf("name", &[], author);
        x.close("author");
    }
    for category in &entry.categories {
        x.empty("category", &[("term", category)]);
    }
    if let Some(rights) = text(&entry.rights) {
        x.leaf("rights", &[("type", "text")], rights);
    }
    if let Some(summary) = &clean.summary_html {
        x.leaf("summary", &[("type", "html")], summary);
    }
    match (&clean.content_html, &entry.link) {
        (Some(content), _) => x.leaf("content", &[("type", "html")], content),
        // RFC 4287 4.1.2: an entry without content needs an alternate link; without
        // either, an empty content element keeps the feed valid.
        (None, None) => x.leaf("content", &[("type", "html")], ""),
        (None, Some(_)) => {}
    }
    x.close("entry");
}
