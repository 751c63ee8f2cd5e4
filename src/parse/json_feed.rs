//! JSON Feed 1.0/1.1 read into items with our own serde structs: feed-rs drops item images
//! and languages and rejects numeric ids.

use serde::Deserialize;
use url::Url;

use crate::model::{Enclosure, Image, Item, ParsedFeed};
use crate::parse::cap::MAX_ITEMS_PER_DELIVERY;
use crate::parse::date::parse_date_in;
use crate::parse::item::{
    accept, clean_lang, dedup, html_field, plain_text, quote, relative_base, resolve, truncated,
    FeedError,
};

#[derive(Deserialize)]
struct JsonFeed {
    version: Option<String>,
    title: Option<String>,
    home_page_url: Option<String>,
    language: Option<String>,
    author: Option<JsonAuthor>,
    authors: Option<Vec<JsonAuthor>>,
    #[serde(default)]
    items: CappedItems,
}

/// The first [`MAX_ITEMS_PER_DELIVERY`] items; the rest are skipped unbuilt and counted.
#[derive(Default)]
struct CappedItems {
    items: Vec<JsonItem>,
    not_read: usize,
}

impl<'de> Deserialize<'de> for CappedItems {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = CappedItems;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an array of items")
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(
                self,
                mut seq: A,
            ) -> Result<CappedItems, A::Error> {
                let mut out = CappedItems::default();
                while out.items.len() < MAX_ITEMS_PER_DELIVERY {
                    match seq.next_element::<JsonItem>()? {
                        Some(item) => out.items.push(item),
                        None => return Ok(out),
                    }
                }
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {
                    out.not_read += 1;
                }
                Ok(out)
            }
        }
        d.deserialize_seq(Visitor)
    }
}

#[derive(Deserialize)]
struct JsonAuthor {
    name: Option<String>,
}

#[derive(Deserialize)]
struct JsonItem {
    /// A string by the spec, but numbers occur in the wild.
    id: Option<serde_json::Value>,
    url: Option<String>,
    external_url: Option<String>,
    title: Option<String>,
    content_html: Option<String>,
    content_text: Option<String>,
    summary: Option<String>,
    image: Option<String>,
    banner_image: Option<String>,
    date_published: Option<String>,
    date_modified: Option<String>,
    author: Option<JsonAuthor>,
    authors: Option<Vec<JsonAuthor>>,
    tags: Option<Vec<serde_json::Value>>,
    language: Option<String>,
    attachments: Option<Vec<JsonAttachment>>,
}

#[derive(Deserialize)]
struct JsonAttachment {
    url: Option<String>,
    mime_type: Option<String>,
    size_in_bytes: Option<u64>,
}

/// Reads a JSON Feed; times that name no zone are read in `tz`, the source's `timezone`.
pub(crate) fn parse_json(s: &str, base: &Url, tz: chrono_tz::Tz) -> Result<ParsedFeed, FeedError> {
    let feed: JsonFeed = serde_json::from_str(s).map_err(|e| {
        // A cut inside a string shows up as a syntax error (a control character), so a
        // body that does not end with the closing brace counts as cut off too.
        let ends_closed = s.trim_end().ends_with('}');
        if e.classify() == serde_json::error::Category::Eof || !ends_closed {
            truncated(s, "the end of the JSON document")
        } else {
            FeedError::InvalidJson {
                reason: e.to_string(),
                line: e.line(),
                column: e.column(),
            }
        }
    })?;
    match feed.version.as_deref() {
        Some(v)
            if v.starts_with("https://jsonfeed.org/version/1")
                || v.starts_with("http://jsonfeed.org/version/1") => {}
        Some(v) => {
            return Err(FeedError::UnsupportedVersion {
                version: v.to_string(),
            });
        }
        None => {
            return Err(FeedError::NotAFeed {
                found: "a JSON document without a JSON Feed \"version\"".into(),
                start: quote(s),
            });
        }
    }
    let link = feed.home_page_url.as_deref().and_then(|h| resolve(h, base));
    let item_base = relative_base(base, link.as_ref());
    let lang = feed.language.as_deref().and_then(clean_lang);
    let feed_authors = json_authors(&feed.author, &feed.authors);
    let mut out = ParsedFeed {
        title: feed
            .title
            .as_deref()
            .map(plain_text)
            .filter(|t| !t.is_empty()),
        link: link.clone(),
        lang: lang.clone(),
        ttl: None,
        items: Vec::with_capacity(feed.items.items.len()),
        skipped: Vec::new(),
        not_read: feed.items.not_read,
    };
    for (n, ji) in feed.items.items.into_iter().enumerate() {
        let guid = match ji.id {
            Some(serde_json::Value::String(s)) => Some(s.trim().to_string()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
        .filter(|g| !g.is_empty());
        let link = [ji.url.as_deref(), ji.external_url.as_deref()]
            .into_iter()
            .flatten()
            .find_map(|u| resolve(u, item_base));
        let content_html = match (&ji.content_html, &ji.content_text) {
            (Some(h), _) if !h.trim().is_empty() => html_field(h, false, item_base),
            (_, Some(t)) => html_field(t, true, item_base),
            _ => None,
        };
        let published = ji
            .date_published
            .as_deref()
            .and_then(|d| parse_date_in(d, &tz));
        let authors = json_authors(&ji.author, &ji.authors);
        let item = Item {
            guid,
            link,
            title: ji.title.as_deref().map(plain_text).unwrap_or_default(),
            // JSON Feed's summary is plain text by the spec.
            summary_html: ji
                .summary
                .as_deref()
                .and_then(|s| html_field(s, true, item_base)),
            content_html,
            authors: if authors.is_empty() {
                feed_authors.clone()
            } else {
                authors
            },
            categories: dedup(
                ji.tags
                    .iter()
                    .flatten()
                    .filter_map(|t| t.as_str())
                    .map(plain_text),
            ),
            published,
            updated: ji
                .date_modified
                .as_deref()
                .and_then(|d| parse_date_in(d, &tz))
                .filter(|u| Some(*u) != published),
            image: ji
                .image
                .as_deref()
                .or(ji.banner_image.as_deref())
                .and_then(|u| resolve(u, item_base))
                .map(|url| Image {
                    url: url.to_string(),
                    ..Image::default()
                }),
            enclosures: ji
                .attachments
                .iter()
                .flatten()
                .filter_map(|a| {
                    Some(Enclosure {
                        url: resolve(a.url.as_deref()?, item_base)?.to_string(),
                        mime: a
                            .mime_type
                            .as_deref()
                            .map(str::trim)
                            .filter(|m| !m.is_empty())
                            .map(str::to_string),
                        length: a.size_in_bytes.filter(|&n| n > 0),
                    })
                })
                .collect(),
            lang: ji
                .language
                .as_deref()
                .and_then(clean_lang)
                .or_else(|| lang.clone()),
            wire: None,
        };
        accept(item, n + 1, &mut out);
    }
    Ok(out)
}

fn json_authors(one: &Option<JsonAuthor>, many: &Option<Vec<JsonAuthor>>) -> Vec<String> {
    dedup(
        one.iter()
            .chain(many.iter().flatten())
            .filter_map(|a| a.name.as_deref())
            .map(plain_text),
    )
}
