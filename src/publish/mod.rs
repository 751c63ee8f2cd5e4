//! Publish stage: renders output feeds and writes them atomically into `feeds_dir`.
//!
//! Renderers are pure: `FeedMeta` and already selected, newest-first `Entry`s in, bytes out.
//! No clock is read (feed update times come from the entries), and the same input gives
//! byte-identical output, so `write_if_changed` leaves unchanged feeds untouched and
//! readers polling with `If-Modified-Since` see nothing new. HTML is sanitized inside the
//! renderers, the last step before anything leaves wirefeed (see `sanitize`).

mod atom;
mod entry;
mod html;
mod json;
mod opml;
mod rss;
pub mod sanitize;
mod write;
mod xml;

pub use self::atom::render_atom;
pub use self::entry::{story_urn, Entry, FeedMeta};
pub use self::html::{render_feed_page, render_index_page, FeedSummary, Site, PAGE_STRING_KEYS};
pub use self::json::render_json;
pub use self::opml::render_opml;
pub use self::rss::render_rss;
pub use self::sanitize::sanitize_html;
pub use self::write::write_if_changed;

use crate::model::{Enclosure, Image};

/// An entry's HTML sanitized and its image checked, computed once per render.
struct Cleaned {
    summary_html: Option<String>,
    content_html: Option<String>,
    image: Option<Image>,
    /// Attached files with absolute http(s) URLs and a MIME type (guessed from the file
    /// name when the source gave none, since RSS and JSON Feed require one).
    enclosures: Vec<Enclosure>,
}

impl Cleaned {
    /// Sanitizes against the entry's link (where its relative URLs came from), else the
    /// feed's base URL. Markup that sanitizes to nothing counts as absent, so
    /// `content:encoded` never appears empty.
    fn new(entry: &Entry, meta: &FeedMeta) -> Cleaned {
        let base = entry.link.as_ref().unwrap_or(&meta.base_url);
        let clean = |html: &Option<String>| {
            html.as_deref()
                .map(|h| sanitize_html(h, base))
                .filter(|h| !h.trim().is_empty())
        };
        let image = entry.image.as_ref().and_then(|img| {
            // Same rule as for <img src>: absolute http(s) only, no data: or javascript:.
            let url = base.join(img.url.trim()).ok()?;
            matches!(url.scheme(), "http" | "https").then(|| Image {
                url: url.to_string(),
                ..img.clone()
            })
        });
        let enclosures = entry
            .enclosures
            .iter()
            .filter_map(|e| {
                let url = base.join(e.url.trim()).ok()?;
                if !matches!(url.scheme(), "http" | "https") {
                    return None;
                }
                let mime = text(&e.mime)
                    .filter(|m| is_mime(m))
                    .map_or_else(|| guess_mime(url.path()).to_string(), str::to_string);
                Some(Enclosure {
                    url: url.to_string(),
                    mime: Some(mime),
                    length: e.length,
                })
            })
            .collect();
        Cleaned {
            summary_html: clean(&entry.summary_html),
            content_html: clean(&entry.content_html),
            image,
            enclosures,
        }
    }
}

/// Non-empty trimmed text, for optional plain-text fields (captions, credits).
fn text(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}

/// `type/subtype` with token characters only, as feed validators require.
fn is_mime(m: &str) -> bool {
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$&^_.+-".contains(&b))
    };
    m.split_once('/').is_some_and(|(t, s)| token(t) && token(s))
}

/// A MIME type for an attachment whose source named none, from its file name.
fn guess_mime(path: &str) -> &'static str {
    let path = path.split(['?', '#']).next().unwrap_or_default();
    let ext = path
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "mp3" => "audio/mpeg",
        "m4a" | "aac" => "audio/mp4",
        "ogg" | "oga" | "opus" => "audio/ogg",
        "wav" => "audio/wav",
        "mp4" | "m4v" => "video/mp4",
        "webm" => "video/webm",
        "mov" => "video/quicktime",
        "pdf" => "application/pdf",
        "jpg" | "jpeg" => "image/jpeg",
        "png" => "image/png",
        "gif" => "image/gif",
        "webp" => "image/webp",
        "avif" => "image/avif",
        "svg" => "image/svg+xml",
        _ => "application/octet-stream",
    }
}

impl Cleaned {
    /// The image as an attachment (MIME type guessed when unknown), for outputs whose
    /// readers only show enclosures.
    fn image_enclosure(&self) -> Option<Enclosure> {
        self.image.as_ref().map(|i| Enclosure {
            url: i.url.clone(),
            mime: Some(
                text(&i.mime)
                    .filter(|m| is_mime(m))
                    .unwrap_or_else(|| guess_mime(&i.url))
                    .to_string(),
            ),
            length: i.length,
        })
    }
}
