//! Local sources: a single feed file, or a folder read as an agency spool where every feed
//! file is one delivery (agencies push files by FTP/SFTP), and an `.html` file a saved
//! article page.

use super::delivery::{Delivered, Delivery, Poller};
use super::error::{SourceError, SpoolError};
use super::pages;
use crate::config::SourceConfig;
use crate::model::{Item, Teaser};
use crate::parse::{self, article::ExtractRules, feed::parse_feed_in};
use crate::store::SourceState;

use std::path::{Path, PathBuf};
use std::time::{Duration, UNIX_EPOCH};
use url::Url;

/// One delivery file read from disk.
#[derive(Debug)]
pub struct SpoolFile {
    pub path: PathBuf,
    /// `file://` URL of the delivery: the base for relative links.
    pub url: Url,
    pub bytes: Vec<u8>,
}

/// File names that are deliveries: feed files, not partial uploads or hidden files.
fn is_delivery(path: &Path) -> bool {
    let Some(name) = path.file_name().and_then(|n| n.to_str()) else {
        return false;
    };
    if name.starts_with('.') || name.starts_with('~') {
        return false;
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase)
        .unwrap_or_default();
    matches!(
        ext.as_str(),
        "xml" | "rss" | "atom" | "rdf" | "json" | "feed" | "html" | "htm"
    )
}

/// The delivery files of a location, sorted by name, with size and mtime: a cheap listing
/// that tells whether anything changed since the last poll.
pub fn list(location: &Path) -> Result<Vec<(PathBuf, u64, u128)>, SpoolError> {
    let shown = location.display().to_string();
    let meta = std::fs::metadata(location).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => SpoolError::Missing {
            path: shown.clone(),
        },
        _ => SpoolError::Read {
            path: shown.clone(),
            source: e,
        },
    })?;
    let stamp = |m: &std::fs::Metadata| {
        m.modified()
            .ok()
            .and_then(|t| t.duration_since(UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos())
    };
    if meta.is_file() {
        return Ok(vec![(location.to_path_buf(), meta.len(), stamp(&meta))]);
    }
    let entries = std::fs::read_dir(location).map_err(|e| SpoolError::Read {
        path: shown.clone(),
        source: e,
    })?;
    let mut files = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if !is_delivery(&path) {
            continue;
        }
        if let Ok(m) = entry.metadata() {
            if m.is_file() {
                files.push((path, m.len(), stamp(&m)));
            }
        }
    }
    files.sort();
    Ok(files)
}

/// A hash of the listing: equal when no delivery was added, removed or rewritten.
pub fn listing_hash(listing: &[(PathBuf, u64, u128)]) -> String {
    let mut h = blake3::Hasher::new();
    for (p, len, mtime) in listing {
        h.update(p.as_os_str().as_encoded_bytes());
        h.update(&len.to_le_bytes());
        h.update(&mtime.to_le_bytes());
    }
    h.finalize().to_hex()[..32].to_string()
}

/// Reads one delivery, refusing files over `max_body`.
pub fn read(path: &Path, max_body: u64) -> Result<SpoolFile, SpoolError> {
    let shown = path.display().to_string();
    let len = std::fs::metadata(path)
        .map_err(|e| SpoolError::Read {
            path: shown.clone(),
            source: e,
        })?
        .len();
    if len > max_body {
        return Err(SpoolError::TooLarge {
            path: shown,
            limit: max_body,
        });
    }
    let bytes = std::fs::read(path).map_err(|e| SpoolError::Read {
        path: shown.clone(),
        source: e,
    })?;
    let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let url = Url::from_file_path(&absolute)
        .unwrap_or_else(|_| Url::parse("file:///").expect("static URL"));
    Ok(SpoolFile {
        path: path.to_path_buf(),
        url,
        bytes,
    })
}

/// One file of a spool folder, read.
struct Read {
    items: Vec<Item>,
    skipped: Vec<String>,
    ttl: Option<Duration>,
    teasers: Option<(Url, Vec<Teaser>)>,
    /// Full text of an article page delivery (its only item).
    full_text: Option<String>,
}

fn read_file(file: &Path, max_body: u64, rules: &ExtractRules) -> Result<Read, SourceError> {
    let delivery = read(file, max_body)?;
    if parse::looks_like_html(&delivery.bytes) {
        let (incoming, teasers) = pages::read_spooled_page(&delivery.bytes, &delivery.url, rules)
            .map_err(|source| SourceError::SpoolPage {
            path: file.to_path_buf(),
            source: Box::new(source),
        })?;
        return Ok(Read {
            items: vec![incoming.item],
            skipped: Vec::new(),
            ttl: None,
            teasers,
            full_text: incoming.full_text,
        });
    }
    let mut feed =
        parse_feed_in(&delivery.bytes, &delivery.url, None, rules.timezone).map_err(|e| {
            SourceError::SpoolFeed {
                path: file.to_path_buf(),
                source: Box::new(e),
            }
        })?;
    let mut skipped = feed.skipped;
    super::delivery::cap_items(&mut feed.items, &mut skipped, "the delivery");
    Ok(Read {
        items: feed.items,
        skipped,
        ttl: feed.ttl,
        teasers: None,
        full_text: None,
    })
}

/// Reads the deliveries of a file or spool folder when its listing changed since the last
/// poll. A bad delivery is a warning naming it; the source fails only when no delivery
/// could be read.
pub(super) async fn poll(
    poller: &Poller<'_>,
    source: &SourceConfig,
    state: &SourceState,
    path: PathBuf,
) -> Delivery {
    let max_body = poller.config.poll.max_body;
    let previous = state.body_hash.clone();
    let read = tokio::task::spawn_blocking({
        let rules = source.rules.clone();
        move || -> Result<(String, Vec<Result<Read, SourceError>>), SourceError> {
            let listing = list(&path)?;
            let hash = listing_hash(&listing);
            if previous.as_deref() == Some(hash.as_str()) {
                return Ok((hash, Vec::new()));
            }
            let files = listing
                .iter()
                .map(|(file, _, _)| read_file(file, max_body, &rules))
                .collect();
            Ok((hash, files))
        }
    })
    .await;
    let (hash, files) = match read {
        Err(e) => return Delivery::failed(SourceError::crashed("parser", e)),
        Ok(Err(e)) => return Delivery::failed(e),
        Ok(Ok(read)) => read,
    };
    if state.body_hash.as_deref() == Some(hash.as_str()) {
        return Delivery::new(Ok(Delivered::NotModified));
    }
    let mut warnings = Vec::new();
    if files.is_empty() {
        warnings.push("the spool folder holds no deliveries".into());
    }
    let mut items = Vec::new();
    let mut skipped = Vec::new();
    let mut ttl = None;
    let mut page_texts = Vec::new();
    let mut teasers = Vec::new();
    let mut failures = Vec::new();
    let files_read = files.len();
    for file in files {
        match file {
            Ok(mut read) => {
                skipped.append(&mut read.skipped);
                if let Some(text) = read.full_text {
                    page_texts.push((items.len(), text));
                }
                items.append(&mut read.items);
                ttl = ttl.max(read.ttl);
                teasers.extend(read.teasers);
            }
            Err(e) => failures.push(e),
        }
    }
    warnings.append(&mut skipped);
    let mut followed = pages::follow_links(poller, source, items).await;
    for (i, text) in page_texts {
        if let Some(incoming) = followed.items.get_mut(i) {
            incoming.full_text = Some(text);
        }
    }
    warnings.append(&mut followed.warnings);
    teasers.append(&mut followed.teasers);
    followed.teasers = teasers;
    let no_items = followed.items.is_empty();
    let mut delivery = followed.into_delivery(ttl);
    if !failures.is_empty() && failures.len() == files_read {
        // Nothing could be read: the source fails, and the listing hash is not recorded
        // so the deliveries are read again next time.
        delivery.partial_failure = Some(SourceError::Deliveries(failures));
        delivery.warnings = warnings;
        return delivery;
    }
    // Status per delivery: a refused page or broken file is reported for itself, and the
    // folder's other deliveries still count as the source's success. The same bytes would
    // be refused again, so the listing is recorded; a corrected upload changes it.
    for failure in failures {
        warnings.push(format!("delivery not read: {failure}"));
    }
    if no_items {
        warnings.push("no items in any delivery".into());
    }
    delivery.warnings = warnings;
    delivery.freshness.body_hash = Some(hash);
    delivery
}
