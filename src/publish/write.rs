//! The one place the publish stage touches the file system: atomic, change-only writes.

use std::ffi::OsString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock};
use std::time::SystemTime;

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
/// failed write removes its temp file; only a crash can leave one behind, and the first
/// write of a later process into that directory removes it (see `remove_stale_temps`).
pub fn write_if_changed(path: &Path, bytes: &[u8]) -> io::Result<bool> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    remove_stale_temps_once(dir);
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
    let (tmp, file) = create_temp(dir, name)?;
    let result = finish(file, &tmp, path, bytes, dir);
    if result.is_err() {
        // Best effort: after a successful rename the temp name is already gone.
        let _ = fs::remove_file(&tmp);
    }
    result.map(|()| true)
}

/// Directories this process has swept, and when it first wrote anything: a temp file of
/// our own pid older than that is from an earlier process that had the same pid (pid 1 in
/// every container run).
static SWEPT: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());
static FIRST_WRITE: OnceLock<SystemTime> = OnceLock::new();

fn remove_stale_temps_once(dir: &Path) {
    let started = *FIRST_WRITE.get_or_init(SystemTime::now);
    let mut swept = SWEPT.lock().unwrap_or_else(|p| p.into_inner());
    if swept.iter().any(|d| d == dir) {
        return;
    }
    swept.push(dir.to_path_buf());
    // Held while sweeping, so no writer of this process creates a temp here meanwhile.
    match remove_stale_temps(dir, started) {
        Ok(0) => {}
        Ok(n) => {
            tracing::info!(dir = %dir.display(), removed = n, "removed temp files left by a killed process")
        }
        Err(e) => {
            tracing::warn!(dir = %dir.display(), error = %e, "could not remove stale temp files")
        }
    }
}

/// Removes the temp files (`.{name}.{pid}-{n}.tmp`) a killed process left in `dir`: those
/// of processes no longer running, and those of our own pid from before `started`. A
/// live process's temp file is left alone: it may be mid-write. Returns how many went.
pub fn remove_stale_temps(dir: &Path, started: SystemTime) -> io::Result<usize> {
    let own = std::process::id();
    let mut removed = 0;
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(with_path(e, "listing", dir)),
    };
    for entry in entries {
        let entry = entry.map_err(|e| with_path(e, "listing", dir))?;
        let Some(pid) = entry.file_name().to_str().and_then(temp_pid) else {
            continue;
        };
        let stale = if pid == own {
            entry
                .metadata()
                .and_then(|m| m.modified())
                .is_ok_and(|t| t < started)
        } else {
            !process_alive(pid)
        };
        if stale {
            match fs::remove_file(entry.path()) {
                Ok(()) => removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(with_path(e, "removing stale temp file", &entry.path())),
            }
        }
    }
    Ok(removed)
}

/// The pid in a temp file name of ours (`.{name}.{pid}-{n}.tmp`), or `None` for any other name.
fn temp_pid(name: &str) -> Option<u32> {
    let inner = name.strip_prefix('.')?.strip_suffix(".tmp")?;
    let (_, tag) = inner.rsplit_once('.')?;
    let (pid, n) = tag.split_once('-')?;
    n.parse::<u64>().ok()?;
    pid.parse().ok()
}

#[cfg(unix)]
fn process_alive(pid: u32) -> bool {
    let Ok(pid) = libc::pid_t::try_from(pid) else {
        return false;
    };
    // SAFETY: signal 0 only checks that the process exists; nothing is sent.
    if unsafe { libc::kill(pid, 0) } == 0 {
        return true;
    }
    io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

#[cfg(not(unix))]
fn process_alive(_pid: u32) -> bool {
    true
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

    /// Issue 11, item 8: temp files a kill left behind were never removed.
    #[test]
    fn temp_files_of_killed_processes_are_removed_by_the_first_write() {
        let dir = tempfile::tempdir().unwrap();
        let own = std::process::id();
        // pid_max is at most 2^22 on Linux, so this pid cannot be running.
        let dead = dir.path().join(".all.json.4999999-3.tmp");
        let earlier_same_pid = dir.path().join(format!(".all.rss.{own}-0.tmp"));
        let keep = ["notes.tmp", ".hidden", "a.rss", ".a.rss.x-1.tmp"];
        fs::write(&dead, b"{").unwrap();
        fs::write(&earlier_same_pid, b"<rss").unwrap();
        for k in keep {
            fs::write(dir.path().join(k), b"x").unwrap();
        }
        let later = SystemTime::now() + std::time::Duration::from_secs(5);
        assert_eq!(remove_stale_temps(dir.path(), later).unwrap(), 2);
        let mut expected: Vec<String> = keep.iter().map(|k| k.to_string()).collect();
        expected.sort();
        assert_eq!(names(dir.path()), expected);

        // Through the writer itself, as a restarted daemon does.
        fs::write(&dead, b"{").unwrap();
        assert!(write_if_changed(&dir.path().join("b.rss"), b"<rss/>").unwrap());
        assert!(!dead.exists(), "stale temp survived the first write");
    }

    #[test]
    fn temp_files_of_live_writers_are_kept() {
        let dir = tempfile::tempdir().unwrap();
        let own = std::process::id();
        let mine = dir.path().join(format!(".x.json.{own}-9.tmp"));
        fs::write(&mine, b"{").unwrap();
        let before = SystemTime::now() - std::time::Duration::from_secs(60);
        assert_eq!(remove_stale_temps(dir.path(), before).unwrap(), 0);
        assert!(mine.exists());
        assert_eq!(temp_pid(".a.rss.12-3.tmp"), Some(12));
        assert_eq!(temp_pid("a.rss.12-3.tmp"), None);
        assert_eq!(temp_pid(".a.rss.12.tmp"), None);
    }
}
