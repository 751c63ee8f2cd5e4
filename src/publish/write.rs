//! The one place the publish stage touches the file system: atomic, change-only writes.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Distinguishes temp files of concurrent writers within one process; the pid
/// distinguishes processes.
static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to `path` unless the file already holds exactly these bytes.
///
/// Returns `Ok(false)` without touching the file (content, mtime and inode unchanged) when
/// nothing changed, so HTTP `Last-Modified` stays put and readers are not told of a change
/// that is none. Otherwise writes a temp file in the same directory, fsyncs it, renames it
/// over `path` and fsyncs the directory, and returns `Ok(true)`: a reader sees either the
/// old or the new file, never a half-written one, even across a crash.
///
/// Temp files are named `.{file name}.{pid}-{n}.tmp`: hidden, unique among concurrent
/// writers, and never ending in `.rss`/`.atom`/`.json`, so the server never serves one. A
/// failed write removes its temp file; only a crash can leave one behind.
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    match fs::read(path) {
        Ok(existing) if existing == bytes => return Ok(false),
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(with_path(e, "reading", path)),
    }
    let name = path.file_name().ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{} does not name a file to write", path.display()),
        )
    })?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let (tmp, file) = create_temp(dir, name)?;
    let result = finish(file, &tmp, path, bytes, dir);
    if result.is_err() {
        // Best effort: after a successful rename the temp name is already gone.
        let _ = fs::remove_file(&tmp);
    }
    result.map(|()| true)
}

fn finish(mut file: File, tmp: &Path, path: &Path, bytes: &[u8], dir: &Path) -> io::Result<()> {
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| with_path(e, "writing", tmp))?;
    drop(file);
    fs::rename(tmp, path).map_err(|e| with_path(e, "renaming a temp file over", path))?;
    sync_dir(dir)
}

fn create_temp(dir: &Path, name: &std::ffi::OsStr) -> io::Result<(PathBuf, File)> {
    let pid = std::process::id();
    // A stale temp of a crashed process with the same pid is skipped, not overwritten.
    for _ in 0..64 {
        let n = TEMP_COUNTER.fetch_add(1, Ordering::Relaxed);
        let mut tmp_name = OsString::from(".");
        tmp_name.push(name);
        tmp_name.push(format!(".{pid}-{n}.tmp"));
        let tmp = dir.join(tmp_name);
        match OpenOptions::new().write(true).create_new(true).open(&tmp) {
            Ok(file) => return Ok((tmp, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(with_path(e, "creating a temp file", &tmp)),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!(
            "could not find a free temp file name in {}; remove stale .*.tmp files there",
            dir.display()
        ),
    ))
}

/// Makes the rename itself durable: without it a crash can bring back the old file.
#[cfg(unix)]
fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|e| with_path(e, "syncing directory", dir))
}

#[cfg(not(unix))]
fn sync_dir(_dir: &Path) -> io::Result<()> {
    Ok(())
}

fn with_path(e: io::Error, doing: &str, path: &Path) -> io::Error {
    io::Error::new(e.kind(), format!("{doing} {}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(dir: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn writes_new_file_then_skips_identical_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("politik.rss");
        assert!(write_if_changed(&path, b"<rss/>").unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"<rss/>");
        assert!(!write_if_changed(&path, b"<rss/>").unwrap());
        assert!(write_if_changed(&path, b"<rss></rss>").unwrap());
        assert_eq!(fs::read(&path).unwrap(), b"<rss></rss>");
        assert_eq!(names(dir.path()), vec!["politik.rss".to_string()]);
    }

    #[test]
    fn temp_names_are_hidden_unique_and_not_servable() {
        let dir = tempfile::tempdir().unwrap();
        let (a, _fa) = create_temp(dir.path(), "x.json".as_ref()).unwrap();
        let (b, _fb) = create_temp(dir.path(), "x.json".as_ref()).unwrap();
        assert_ne!(a, b);
        for t in [&a, &b] {
            let n = t.file_name().unwrap().to_string_lossy().into_owned();
            assert!(n.starts_with(".x.json.") && n.ends_with(".tmp"), "{n}");
        }
    }

    #[test]
    fn reports_unwritable_target_with_its_path() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("fehlt").join("a.rss");
        let err = write_if_changed(&path, b"x").unwrap_err();
        assert!(err.to_string().contains("fehlt"), "{err}");
        // The target being a directory is an error, not a silent skip.
        let err = write_if_changed(dir.path(), b"x").unwrap_err();
        assert!(!err.to_string().is_empty());
    }
}
