//! Publish stage: renders output feeds and writes them atomically into `feeds_dir`
//! ([`publish_all`]).
//!
//! Renderers are pure: `FeedMeta` and already selected, newest-first `Entry`s in, bytes out.
//! No clock is read (feed update times come from the entries), and the same input gives
//! byte-identical output, so `write_if_changed` leaves unchanged feeds untouched and
//! readers polling with `If-Modified-Since` see nothing new. HTML is sanitized inside the
//! renderers, the last step before anything leaves wirefeed (see `sanitize`).

mod atom;
mod clean;
mod entry;
mod html;
mod json;
mod opml;
mod outputs;
mod rss;
pub mod sanitize;
mod write;
mod xml;

pub use self::atom::render_atom;
pub use self::clean::strip_tracking;
pub use self::entry::{story_urn, Entry, FeedMeta};
pub use self::html::{render_feed_page, render_index_page, FeedSummary, Site, PAGE_STRING_KEYS};
pub use self::json::render_json;
pub use self::opml::render_opml;
pub use self::outputs::{
    count_items, feed_meta, publish_all, OutputFormat, PublishError, Published, FEED_XSL,
    INDEX_FILE, OPML_FILE, XSL_FILE,
};
pub use self::rss::render_rss;
pub use self::sanitize::sanitize_html;
pub use self::write::write_if_changed;
