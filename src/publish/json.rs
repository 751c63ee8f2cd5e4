//! JSON Feed 1.1 renderer (<https://jsonfeed.org/version/1.1>).

use super::clean::{text, Cleaned};
use super::entry::{rfc3339, Entry, FeedMeta};
use crate::text::{fold_whitespace, html_to_text};
use serde::Serialize;

/// Renders a JSON Feed 1.1 document, pretty-printed with a trailing newline. Entries are
/// written in the order given; field order is fixed by the structs below, so the output
/// is byte-identical for the same input.
pub fn render_json(meta: &FeedMeta, entries: &[Entry]) -> Vec<u8> {
    let feed = JsonFeed {
        version: "https://jsonfeed.org/version/1.1",
        title: &meta.title,
        home_page_url: meta.self_url("html"),
        feed_url: meta.self_url("json"),
        description: Some(meta.description.as_str()).filter(|d| !d.trim().is_empty()),
        language: text(&meta.lang),
        hubs: meta
            .hubs
            .iter()
            .map(|url| Hub {
                kind: "WebSub",
                url,
            })
            .collect(),
        items: entries.iter().map(|e| item(meta, e)).collect(),
    };
    // Serializing plain structs of strings into a Vec cannot fail; an empty feed would
    // still be better than a panic if it ever did.
    let mut out = serde_json::to_vec_pretty(&feed).unwrap_or_default();
    out.push(b'\n');
    out
}

fn item<'a>(meta: &FeedMeta, entry: &'a Entry) -> Item<'a> {
    let clean = Cleaned::new(entry, meta);
    let summary = clean
        .summary_plain_html
        .as_deref()
        .map(|h| fold_whitespace(&html_to_text(h)))
        .filter(|s| !s.is_empty());
    // JSON Feed requires content_html or content_text on every item: without full text
    // the (sanitized) summary stands in, and an empty string as a last resort.
    let content_html = clean
        .content_html
        .or(clean.summary_html)
        .unwrap_or_default();
    Item {
        id: &entry.id,
        url: entry.link.as_ref().map(|u| u.as_str().to_string()),
        title: &entry.title,
        content_html,
        summary,
        attachments: clean
            .enclosures
            .iter()
            .map(|e| Attachment {
                url: e.url.clone(),
                mime_type: e.mime.clone().unwrap_or_default(),
                size_in_bytes: e.length,
            })
            .collect(),
        image: clean.image.map(|i| i.url),
        date_published: rfc3339(entry.published),
        date_modified: rfc3339(entry.updated),
        authors: entry.authors.iter().map(|name| Author { name }).collect(),
        tags: &entry.categories,
        language: text(&entry.lang),
    }
}

#[derive(Serialize)]
struct JsonFeed<'a> {
    version: &'static str,
    title: &'a str,
    home_page_url: String,
    feed_url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    hubs: Vec<Hub<'a>>,
    items: Vec<Item<'a>>,
}

#[derive(Serialize)]
struct Hub<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    url: &'a str,
}

#[derive(Serialize)]
struct Item<'a> {
    id: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<String>,
    title: &'a str,
    content_html: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    summary: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    image: Option<String>,
    date_published: String,
    date_modified: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    authors: Vec<Author<'a>>,
    #[serde(skip_serializing_if = "<[String]>::is_empty")]
    tags: &'a [String],
    #[serde(skip_serializing_if = "Option::is_none")]
    language: Option<&'a str>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    attachments: Vec<Attachment>,
}

#[derive(Serialize)]
struct Attachment {
    url: String,
    mime_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    size_in_bytes: Option<u64>,
}

#[derive(Serialize)]
struct Author<'a> {
    name: &'a str,
}
