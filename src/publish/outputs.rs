//! Publishing every output of a cycle into `feeds_dir`: each feed in each [`OutputFormat`],
//! `index.opml` and `feed.xsl`, each written only when its bytes changed; outputs of feeds
//! no longer configured are removed.

use super::{render_atom, render_json, render_opml, render_rss, write_if_changed, Entry, FeedMeta};
use crate::config::Config;
use crate::curate::Selection;
use std::path::{Path, PathBuf};

/// The XSLT stylesheet that turns RSS and Atom outputs into a readable page in a browser.
/// Outputs refer to it as `feed.xsl`, the file beside them.
pub const FEED_XSL: &str = include_str!("feed.xsl");

/// The file name of the stylesheet in `feeds_dir`.
pub const XSL_FILE: &str = "feed.xsl";

/// The file name of the OPML list of every output in `feeds_dir`.
pub const OPML_FILE: &str = "index.opml";

/// The formats every output feed is published in: one file `<id>.<ext>` each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OutputFormat {
    Rss,
    Atom,
    Json,
}

impl OutputFormat {
    /// Every format, in the order files are written.
    pub const ALL: [OutputFormat; 3] = [OutputFormat::Rss, OutputFormat::Atom, OutputFormat::Json];

    /// The file extension, without the dot.
    pub fn ext(self) -> &'static str {
        match self {
            OutputFormat::Rss => "rss",
            OutputFormat::Atom => "atom",
            OutputFormat::Json => "json",
        }
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
    pub fn render(self, meta: &FeedMeta, entries: &[Entry]) -> Vec<u8> {
        match self {
            OutputFormat::Rss => render_rss(meta, entries),
            OutputFormat::Atom => render_atom(meta, entries),
            OutputFormat::Json => render_json(meta, entries),
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
            .map(|(t, story)| Entry::from_teaser(t, story.as_ref()))
            .collect(),
    }
}

/// The feed-level facts of one configured output.
pub fn feed_meta(config: &Config, feed: &crate::config::FeedConfig) -> FeedMeta {
    FeedMeta {
        id: feed.id.clone(),
        title: feed.title.clone(),
        description: feed.description.clone(),
        base_url: config.base_url.clone(),
        lang: feed.lang.clone().or(config.lang.clone()),
        hubs: config.websub_hubs.iter().map(|u| u.to_string()).collect(),
        stylesheet: Some(XSL_FILE.into()),
    }
}

/// Renders every configured output from its selection (one per feed, in config order) and
/// writes those whose bytes changed, plus index.opml and feed.xsl; removes the files of
/// feeds that are no longer configured.
pub fn publish_all(config: &Config, selections: &[Selection]) -> Result<Published, PublishError> {
    let dir = &config.feeds_dir;
    std::fs::create_dir_all(dir).map_err(|source| PublishError {
        path: dir.clone(),
        source,
    })?;
    let mut published = Published::default();
    let mut metas = Vec::with_capacity(config.feeds.len());
    for (feed, selection) in config.feeds.iter().zip(selections) {
        let entries = entries(selection);
        let meta = feed_meta(config, feed);
        published.feed_items.push((feed.id.clone(), entries.len()));
        for format in OutputFormat::ALL {
            let bytes = format.render(&meta, &entries);
            write(format.path(dir, &feed.id), &bytes, &mut published.written)?;
        }
        metas.push(meta);
    }
    // The outputs name `feed.xsl` as their stylesheet; it sits beside them so that a plain
    // web server in front of feeds_dir renders them for browsers too.
    write(
        dir.join(XSL_FILE),
        FEED_XSL.as_bytes(),
        &mut published.written,
    )?;
    write(
        dir.join(OPML_FILE),
        &render_opml(&metas),
        &mut published.written,
    )?;
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
