//! Publish stage: renders output feeds and writes them atomically into `feeds_dir`
//! ([`publish_all`]).
//!
//! Renderers are pure: `FeedMeta` and already selected, newest-first `Entry`s in, bytes out.
//! No clock is read (feed update times come from the entries), and the same input gives
//! byte-identical output, so `write_if_changed` leaves unchanged feeds untouched and
//! readers polling with `If-Modified-Since` see nothing new. HTML is sanitized inside the
//! renderers, the last step before anything leaves wirefeed (see `sanitize`).

mod atom;
mod entry;
mod json;
mod opml;
mod outputs;
mod rss;
pub mod sanitize;
mod write;
mod xml;

pub use self::atom::render_atom;
pub use self::entry::{story_urn, Entry, FeedMeta};
pub use self::json::render_json;
pub use self::opml::render_opml;
pub use self::outputs::{
    count_items, feed_meta, publish_all, OutputFormat, PublishError, Published, FEED_XSL,
    OPML_FILE, XSL_FILE,
};
pub use self::rss::render_rss;
pub use self::sanitize::sanitize_html;
pub use self::write::write_if_changed;

use crate::model::Image;

/// An entry's HTML sanitized and its image checked, computed once per render.
struct Cleaned {
    summary_html: Option<String>,
    content_html: Option<String>,
    image: Option<Image>,
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
        Cleaned {
            summary_html: clean(&entry.summary_html),
            content_html: clean(&entry.content_html),
            image,
        }
    }
}

/// Non-empty trimmed text, for optional plain-text fields (captions, credits).
fn text(s: &Option<String>) -> Option<&str> {
    s.as_deref().map(str::trim).filter(|s| !s.is_empty())
}
