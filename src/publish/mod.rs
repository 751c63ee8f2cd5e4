//! Publish stage: renders output feeds and writes them atomically into `feeds_dir`.
//! (Temporary stand-in while the real renderers are built on their own branch.)

use crate::model::{Story, TeaserRecord};
use std::path::Path;

pub struct FeedMeta {
    pub id: String,
    pub title: String,
    pub description: String,
    pub base_url: url::Url,
    pub lang: Option<String>,
    pub hubs: Vec<String>,
    pub stylesheet: Option<String>,
}

pub struct Entry {
    pub title: String,
}

impl Entry {
    pub fn from_story(s: &Story) -> Entry {
        Entry {
            title: s.title.clone(),
        }
    }
    pub fn from_teaser(t: &TeaserRecord, _s: Option<&Story>) -> Entry {
        Entry {
            title: t.title.clone(),
        }
    }
}

pub fn render_rss(meta: &FeedMeta, entries: &[Entry]) -> Vec<u8> {
    let mut out = format!(
        "<rss version=\"2.0\"><channel><title>{}</title>",
        meta.title
    );
    for e in entries {
        out.push_str(&format!("<item><title>{}</title></item>", e.title));
    }
    out.push_str("</channel></rss>");
    out.into_bytes()
}
pub fn render_atom(meta: &FeedMeta, entries: &[Entry]) -> Vec<u8> {
    render_rss(meta, entries)
}
pub fn render_json(meta: &FeedMeta, entries: &[Entry]) -> Vec<u8> {
    render_rss(meta, entries)
}
pub fn render_opml(feeds: &[FeedMeta]) -> Vec<u8> {
    format!("<opml>{}</opml>", feeds.len()).into_bytes()
}

pub fn write_if_changed(path: &Path, bytes: &[u8]) -> std::io::Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(false);
    }
    std::fs::write(path, bytes)?;
    Ok(true)
}
