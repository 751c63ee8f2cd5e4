//! Atom 1.0 (RFC 4287) renderer.

use super::clean::{text, Cleaned};
use super::entry::{newest_update, rfc3339, Entry, FeedMeta};
use super::xml::Xml;
use chrono::{DateTime, SecondsFormat, Timelike};
use std::collections::HashSet;

const NS_ATOM: &str = "http://www.w3.org/2005/Atom";
const NS_MEDIA: &str = "http://search.yahoo.com/mrss/";

/// Renders an Atom 1.0 feed. Entries are written in the order given.
///
/// The feed's `<updated>` (required) is the newest entry's `updated`; an empty feed takes
/// `meta.empty_updated` (the caller's newest known story), so no clock is read here.
pub fn render_atom(meta: &FeedMeta, entries: &[Entry]) -> Vec<u8> {
    let mut x = Xml::document(meta.stylesheet.as_deref());
    let mut root = vec![("xmlns", NS_ATOM), ("xmlns:media", NS_MEDIA)];
    if let Some(lang) = text(&meta.lang) {
        root.push(("xml:lang", lang));
    }
    x.open("feed", &root);
    x.leaf("id", &[], &meta.urn());
    x.leaf("title", &[], &meta.title);
    if !meta.description.trim().is_empty() {
        x.leaf("subtitle", &[], &meta.description);
    }
    let updated = newest_update(entries)
        .or(meta.empty_updated)
        .unwrap_or(DateTime::UNIX_EPOCH);
    x.leaf("updated", &[], &rfc3339(updated));
    // RFC 4287 4.1.1: every entry needs an author, its own or the feed's. Entries from
    // wire copy often have none, so the newsroom (config `site.author`) vouches for them.
    if entries.iter().any(|e| e.authors.is_empty()) {
        x.open("author", &[]);
        x.leaf("name", &[], &meta.author);
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
    // The feed's web page is its HTML page; the RSS twin is another alternate.
    x.empty(
        "link",
        &[
            ("rel", "alternate"),
            ("type", "text/html"),
            ("href", &meta.self_url("html")),
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
    let mut seen = HashSet::with_capacity(entries.len());
    for e in entries {
        let updated = distinct_time(e, &mut seen);
        entry(&mut x, meta, e, &updated);
    }
    x.close("feed");
    x.finish()
}

/// The entry's `updated` as RFC 3339, made distinct from the feed's other entries: readers
/// (and the W3C validator) take equal times as one entry revised. Teasers first seen in
/// the same cycle share a second, so a colliding time gets milliseconds derived from the
/// entry's id: the same entries always render the same times, and each stays within the
/// second it really has.
fn distinct_time(e: &Entry, seen: &mut HashSet<String>) -> String {
    // A time given to the millisecond (a teaser's distinct time) keeps its milliseconds.
    let plain = if e.updated.timestamp_subsec_millis() != 0 {
        e.updated.to_rfc3339_opts(SecondsFormat::Millis, true)
    } else {
        rfc3339(e.updated)
    };
    if seen.insert(plain.clone()) {
        return plain;
    }
    let hash = blake3::hash(e.id.as_bytes());
    let start = u16::from_le_bytes([hash.as_bytes()[0], hash.as_bytes()[1]]) % 999 + 1;
    for step in 0..999u32 {
        let ms = (u32::from(start) + step - 1) % 999 + 1;
        let t = e
            .updated
            .with_nanosecond(ms * 1_000_000)
            .unwrap_or(e.updated);
        let s = t.to_rfc3339_opts(SecondsFormat::Millis, true);
        if seen.insert(s.clone()) {
            return s;
        }
    }
    plain
}

fn entry(x: &mut Xml, meta: &FeedMeta, entry: &Entry, updated: &str) {
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
    x.leaf("updated", &[], updated);
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
    for enc in clean.image_enclosure().iter().chain(&clean.enclosures) {
        let mut attrs = vec![("rel", "enclosure")];
        if let Some(mime) = &enc.mime {
            attrs.push(("type", mime));
        }
        let size = enc.length.map(|l| l.to_string());
        if let Some(size) = &size {
            attrs.push(("length", size));
        }
        attrs.push(("href", &enc.url));
        x.empty("link", &attrs);
    }
    // Media RSS in Atom too: readers that know it show caption and credit apart.
    if let Some(image) = &clean.image {
        super::rss::media_content(x, image);
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
    match (&clean.content_html, &clean.summary_html, &entry.link) {
        (Some(content), summary, _) => {
            if let Some(summary) = summary {
                x.leaf("summary", &[("type", "html")], summary);
            }
            x.leaf("content", &[("type", "html")], content);
        }
        (None, Some(summary), Some(_)) => x.leaf("summary", &[("type", "html")], summary),
        // RFC 4287 4.1.2: an entry without an alternate link needs content; the summary
        // is the entry's text then, else its title (never a blank element).
        (None, Some(summary), None) => x.leaf("content", &[("type", "html")], summary),
        (None, None, None) => x.leaf("content", &[("type", "text")], &entry.title),
        (None, None, Some(_)) => {}
    }
    x.close("entry");
}
