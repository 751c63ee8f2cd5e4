//! Local sources: a single feed file, or a folder read as an agency spool where every feed
//! file is one delivery (agencies push files by FTP/SFTP).

use std::path::{Path, PathBuf};
use std::time::UNIX_EPOCH;
use url::Url;

/// One delivery file read from disk.
#[derive(Debug)]
pub struct Delivery {
    pub path: PathBuf,
    /// `file://` URL of the delivery: the base for relative links.
    pub url: Url,
    pub bytes: Vec<u8>,
}

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("{path}: not found; check the source url in config.yaml")]
    Missing { path: String },
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: larger than max_body ({limit} bytes); skipped")]
    TooLarge { path: String, limit: u64 },
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
pub fn read(path: &Path, max_body: u64) -> Result<Delivery, SpoolError> {
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
    Ok(Delivery {
        path: path.to_path_buf(),
        url,
        bytes,
    })
}
