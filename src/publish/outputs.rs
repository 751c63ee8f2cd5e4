//! Publishing every output of a cycle into `feeds_dir`: each feed in each [`OutputFormat`],
//! `index.opml`, `index.html` and `feed.xsl`, each written only when its bytes changed;
//! outputs of feeds no longer configured are removed.

use super::atom::render_atom;
use super::entry::{Entry, FeedMeta};
use super::html::{
    render_feed_page, render_feed_page_with_notes, render_index_page, FeedSummary, Site,
};
use super::json::render_json;
use super::opml::render_opml;
use super::rss::render_rss;
use super::write::write_if_changed;
use crate::config::Config;
use crate::curate::{Curated, Selection};
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};

/// The XSLT stylesheet that earlier versions' RSS and Atom outputs name (`feed.xsl`, beside
/// them); new outputs name none, browsers get `<id>.html` instead.
pub const FEED_XSL: &str = include_str!("feed.xsl");

/// The file name of the stylesheet in `feeds_dir`.
pub const XSL_FILE: &str = "feed.xsl";

/// The file name of the OPML list of every output in `feeds_dir`.
pub const OPML_FILE: &str = "index.opml";

/// The file name of the HTML page listing every output in `feeds_dir`.
pub const INDEX_FILE: &str = "index.html";

/// The formats every output feed is published in: one file `<id>.<ext>` each; `Html` is
/// the feed's page for people with a browser.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    Rss,
    Atom,
    Json,
    Html,
}

impl OutputFormat {
    /// Every format, in the order files are written.
    pub const ALL: [OutputFormat; 4] = [
        OutputFormat::Rss,
        OutputFormat::Atom,
        OutputFormat::Json,
        OutputFormat::Html,
    ];

    /// The formats feed readers subscribe to.
    pub const FEEDS: [OutputFormat; 3] =
        [OutputFormat::Rss, OutputFormat::Atom, OutputFormat::Json];

    /// The file extension, without the dot.
    pub fn ext(self) -> &'static str {
        match self {
            OutputFormat::Rss => "rss",
            OutputFormat::Atom => "atom",
            OutputFormat::Json => "json",
            OutputFormat::Html => "html",
        }
    }

    /// Is this a format feed readers subscribe to (not the HTML page)?
    pub fn is_feed(self) -> bool {
        self != OutputFormat::Html
    }

    /// The format a file extension names.
    pub fn from_ext(ext: &str) -> Option<OutputFormat> {
        OutputFormat::ALL.into_iter().find(|f| f.ext() == ext)
    }

    /// The `Content-Type` the file is served with to feed readers.
    pub fn content_type(self) -> &'static str {
        match self {
            OutputFormat::Rss => "application/rss+xml; charset=utf-8",
            OutputFormat::Atom => "application/atom+xml; charset=utf-8",
            OutputFormat::Json => "application/feed+json; charset=utf-8",
            OutputFormat::Html => "text/html; charset=utf-8",
        }
    }

    /// `<id>.<ext>`: the file name of a feed in this format.
    pub fn file_name(self, feed_id: &str) -> String {
        format!("{feed_id}.{}", self.ext())
    }

    /// Where a feed in this format lives in `feeds_dir`.
    pub fn path(self, feeds_dir: &Path, feed_id: &str) -> PathBuf {
        feeds_dir.join(self.file_name(feed_id))
    }

    /// The bytes of a feed in this format.
    pub fn render(self, site: &Site, meta: &FeedMeta, entries: &[Entry]) -> Vec<u8> {
        match self {
            OutputFormat::Rss => render_rss(meta, entries),
            OutputFormat::Atom => render_atom(meta, entries),
            OutputFormat::Json => render_json(meta, entries),
            OutputFormat::Html => render_feed_page(site, meta, entries),
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("publish {path}: {source}")]
pub struct PublishError {
    pub path: PathBuf,
    pub source: std::io::Error,
}

/// Files rewritten by a publish, and the item count of each output feed.
#[derive(Debug, Default)]
pub struct Published {
    pub written: Vec<PathBuf>,
    pub feed_items: Vec<(String, usize)>,
}

fn write(path: PathBuf, bytes: &[u8], written: &mut Vec<PathBuf>) -> Result<(), PublishError> {
    match write_if_changed(&path, bytes) {
        Ok(true) => {
            written.push(path);
            Ok(())
        }
        Ok(false) => Ok(()),
        Err(source) => Err(PublishError { path, source }),
    }
}

/// The entries of one feed's selection, as the renderers take them.
fn entries(selection: &Selection) -> Vec<Entry> {
    match selection {
        Selection::Stories(stories) => stories.iter().map(Entry::from_story).collect(),
        Selection::Teasers(teasers) => teasers
            .iter()
            .map(|r| Entry::from_teaser_seen(&r.teaser, r.story.as_ref(), r.seen))
            .collect(),
    }
}

/// The feed-level facts of one configured output; `empty_updated` is what an empty Atom
/// feed reports as its update time.
pub fn feed_meta(
    config: &Config,
    feed: &crate::config::FeedConfig,
    empty_updated: DateTime<Utc>,
) -> FeedMeta {
    FeedMeta {
        id: feed.id.clone(),
        title: feed.title.clone(),
        description: feed.description.clone(),
        base_url: config.base_url.clone(),
        lang: feed.lang.clone().or(config.lang.clone()),
        hubs: config.websub_hubs.iter().map(|u| u.to_string()).collect(),
        author: config.site.author.clone(),
        empty_updated: Some(empty_updated),
        // No XSLT: Chromium warns over every page that uses it and is removing it;
        // browsers get `<id>.html` instead (served for the feed URL by `serve`).
        stylesheet: None,
    }
}

/// Renders every configured output from its selection (one per feed, in config order) and
/// writes those whose bytes changed, plus index.opml, index.html and feed.xsl; removes the
/// files of feeds that are no longer configured.
pub fn publish_all(
    config: &Config,
    curated: &Curated,
    now: DateTime<Utc>,
) -> Result<Published, PublishError> {
    let dir = &config.feeds_dir;
    std::fs::create_dir_all(dir).map_err(|source| PublishError {
        path: dir.clone(),
        source,
    })?;
    let site = Site {
        name: config.site.name.clone(),
        lang: config.lang.clone(),
        strings: config.site.strings.clone(),
        timezone: config.timezone,
    };
    let empty_updated = curated.newest_story.unwrap_or(now);
    let mut published = Published::default();
    let mut metas = Vec::with_capacity(config.feeds.len());
    let mut summaries = Vec::with_capacity(config.feeds.len());
    for (n, (feed, selection)) in config.feeds.iter().zip(&curated.feeds).enumerate() {
        let mut entries = entries(selection);
        if config.strip_tracking {
            entries.iter_mut().for_each(Entry::strip_tracking);
        }
        let meta = feed_meta(config, feed, empty_updated);
        published.feed_items.push((feed.id.clone(), entries.len()));
        summaries.push(FeedSummary {
            meta: meta.clone(),
            items: entries.len(),
            newest: entries.iter().map(|e| e.published).max(),
        });
        let withdrawn = curated.withdrawn.get(n).map_or(&[][..], Vec::as_slice);
        for format in OutputFormat::ALL {
            let bytes = match format {
                OutputFormat::Html => {
                    render_feed_page_with_notes(&site, &meta, &entries, withdrawn)
                }
                _ => format.render(&site, &meta, &entries),
            };
            write(format.path(dir, &feed.id), &bytes, &mut published.written)?;
        }
        metas.push(meta);
    }
    // New outputs no longer name `feed.xsl`; it stays beside them for copies that readers
    // and caches still hold from earlier versions.
    let xsl = FEED_XSL.as_bytes();
    write(dir.join(XSL_FILE), xsl, &mut published.written)?;
    let opml = render_opml(&metas);
    write(dir.join(OPML_FILE), &opml, &mut published.written)?;
    let index = render_index_page(&site, &summaries, true);
    write(dir.join(INDEX_FILE), &index, &mut published.written)?;
    remove_unconfigured(config, &mut published.written)?;
    Ok(published)
}

/// Deletes outputs of feeds removed from config.yaml, so readers stop getting stale copies.
fn remove_unconfigured(config: &Config, written: &mut Vec<PathBuf>) -> Result<(), PublishError> {
    let Ok(entries) = std::fs::read_dir(&config.feeds_dir) else {
        return Ok(());
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let (Some(stem), Some(ext)) = (
            path.file_stem().and_then(|s| s.to_str()),
            path.extension().and_then(|s| s.to_str()),
        ) else {
            continue;
        };
        if OutputFormat::from_ext(ext).is_none()
            || !crate::config::is_safe_id(stem)
            || stem == "index"
        {
            continue;
        }
        if config.feed(stem).is_none() {
            std::fs::remove_file(&path).map_err(|source| PublishError {
                path: path.clone(),
                source,
            })?;
            tracing::info!(file = %path.display(), "removed output of a feed no longer in config.yaml");
            written.push(path);
        }
    }
    Ok(())
}

/// Counts `<item>`/`<entry>` elements by their start tags: enough for a page that shows
/// how full a feed is, without parsing the XML.
pub fn count_items(xml: &[u8]) -> u64 {
    fn count(hay: &[u8], tag: &[u8]) -> u64 {
        hay.windows(tag.len() + 1)
            .filter(|w| {
                w.starts_with(tag) && matches!(w[tag.len()], b'>' | b' ' | b'\t' | b'\n' | b'\r')
            })
            .count() as u64
    }
    count(xml, b"<item") + count(xml, b"<entry") + count(xml, b"<atom:entry")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_counting_sees_rss_and_atom_entries_only() {
        let rss = b"<rss><channel><title>T</title><item><title>a</title></item>\n<item >x</item><items/></channel></rss>";
        assert_eq!(count_items(rss), 2);
        let atom = b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>a</entry><entry\n>b</entry></feed>";
        assert_eq!(count_items(atom), 2);
    }
}
