//! Sled's own files in the store folder, put right before sled opens them: what a kill left
//! half-written there, for which sled 0.34 would refuse the whole store although its log
//! holds every write.
//!
//! At every open sled writes a snapshot (where each page is in its log) to
//! `snap.<lsn>.generating`, syncs it and renames it to `snap.<lsn>`; at the next open it reads
//! the newest `snap.*` file, and that includes a `.generating` one. A kill between the
//! file's creation and the last of its three writes leaves it empty or cut, it fails sled's
//! length or checksum test, and every open from then on fails ("empty/corrupt snapshot file
//! found", then "Read corrupted data at file offset None"). Such a file was never whole, so
//! no sled ever ran on it: without it the folder is as it was just before that open began
//! to write it, and sled replays its log from the last whole snapshot (or from the start),
//! as after any crash. A whole `.generating` file (a kill between its sync and its rename)
//! reads like a renamed one and is left to sled.
//!
//! Likewise `conf`, which sled writes in two writes at a store's very first open, before its
//! `db` file exists: a kill between them leaves a `conf` sled cannot parse, and with no `db`
//! the store holds nothing yet, so sled simply writes `conf` again.
//!
//! A snapshot file is removed only under the store's lock (sled's own: an exclusive `flock`
//! on `db`), so one another wirefeed is writing at that moment is never touched. `conf` has
//! no lock to take before `db` exists; a `conf` removed while another wirefeed creates the
//! same store costs nothing either, sled writes the same settings at the next open.

use super::StoreError;
use std::fs::{File, TryLockError};
use std::io::ErrorKind;
use std::path::Path;

/// Length and checksum that end a snapshot file: the uncompressed length (8 bytes), then
/// the CRC-32 of what precedes them (4 bytes, little-endian), as sled 0.34 writes them.
const SNAPSHOT_TRAILER: usize = 12;
/// The checksum that ends sled's `conf` file.
const CONF_TRAILER: usize = 4;

/// Removes the snapshot files a kill left unfinished in the store at `path` (and a `conf`
/// cut at its first open), each with a warning naming it. `Locked` when another handle holds
/// the store: then nothing is touched.
pub(super) fn remove_unfinished(path: &Path) -> Result<(), StoreError> {
    let io_error = |e: std::io::Error| StoreError::Open {
        path: path.to_path_buf(),
        source: sled::Error::Io(e),
    };
    let db = match File::open(path.join("db")) {
        Ok(db) => db,
        Err(e) if e.kind() == ErrorKind::NotFound => return remove_cut_conf(path),
        Err(e) => return Err(io_error(e)),
    };
    match db.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            return Err(StoreError::Locked {
                path: path.to_path_buf(),
            })
        }
        Err(TryLockError::Error(e)) => return Err(io_error(e)),
    }
    for entry in std::fs::read_dir(path).map_err(io_error)? {
        let entry = entry.map_err(io_error)?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if !(name.starts_with("snap.") && name.ends_with(".generating")) {
            continue;
        }
        let file = entry.path();
        let bytes = std::fs::read(&file).map_err(io_error)?;
        if is_whole(&bytes, SNAPSHOT_TRAILER) {
            continue;
        }
        std::fs::remove_file(&file).map_err(|source| StoreError::Unfinished {
            file: file.clone(),
            source,
        })?;
        tracing::warn!(
            store = %path.display(),
            file = %name,
            bytes = bytes.len(),
            "removed a snapshot file sled had not finished writing when wirefeed was killed \
             (sled refuses a store with it); sled rebuilds the snapshot from its log, nothing \
             stored is lost"
        );
    }
    // The lock goes with `db`, before sled takes it again.
    drop(db);
    Ok(())
}

/// The store's first open was killed while sled wrote `conf`: no `db` yet, so nothing is
/// stored and sled writes `conf` again once it is gone.
fn remove_cut_conf(path: &Path) -> Result<(), StoreError> {
    let conf = path.join("conf");
    let bytes = match std::fs::read(&conf) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == ErrorKind::NotFound => return Ok(()),
        Err(e) => {
            return Err(StoreError::Open {
                path: path.to_path_buf(),
                source: sled::Error::Io(e),
            })
        }
    };
    // Sled itself writes a `conf` of 8 bytes or fewer again.
    if bytes.len() <= 8 || is_whole(&bytes, CONF_TRAILER) {
        return Ok(());
    }
    std::fs::remove_file(&conf).map_err(|source| StoreError::Unfinished {
        file: conf.clone(),
        source,
    })?;
    tracing::warn!(
        store = %path.display(),
        bytes = bytes.len(),
        "removed the settings file sled had not finished writing when wirefeed was killed at \
         the store's first open (the store held nothing yet); sled writes it again"
    );
    Ok(())
}

/// Whether a file sled ends with a CRC-32 (its last 4 bytes) of everything before the
/// `trailer` bytes is whole, by sled's own test.
fn is_whole(bytes: &[u8], trailer: usize) -> bool {
    if bytes.len() <= trailer {
        return false;
    }
    let mut crc = flate2::Crc::new();
    crc.update(&bytes[..bytes.len() - trailer]);
    bytes[bytes.len() - 4..] == crc.sum().to_le_bytes()
}

#[cfg(test)]
mod tests {
    use super::super::dedup::NearDupConfig;
    use super::super::{Incoming, Store};
    use super::*;
    use crate::model::Item;
    use chrono::Utc;
    use std::path::PathBuf;

    /// A store at `dir/store` with `n` stories, written and closed over two opens so that
    /// sled has a finished snapshot, and the log holds writes after it (so the next open
    /// writes a new one, as the open a kill interrupted did).
    fn store_with_stories(dir: &Path, n: usize) -> PathBuf {
        let path = dir.join("store");
        for part in 0..2 {
            let store = Store::open(&path, NearDupConfig::default()).expect("open");
            let items = (0..n)
                .filter(|i| i % 2 == part)
                .map(|i| {
                    let item = Item {
                        guid: Some(format!("g{i}")),
                        link: url::Url::parse(&format!("https://a.example/{i}")).ok(),
                        title: format!("Meldung {i} aus dem Kreis Beispiel"),
                        content_html: Some(format!(
                            "<p>Bericht {i}: der Rat berät Vorhaben {} und {}.</p>",
                            i * 7,
                            i * 13
                        )),
                        ..Item::default()
                    };
                    Incoming::new(item, None)
                })
                .collect();
            store.ingest("a", &[], items, Utc::now()).expect("ingest");
            store.flush().expect("flush");
        }
        path
    }

    fn snapshot_files(path: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(path)
            .expect("store dir")
            .filter_map(|e| e.ok()?.file_name().into_string().ok())
            .filter(|n| n.starts_with("snap."))
            .collect();
        names.sort();
        names
    }

    /// The newest finished snapshot's bytes and a `.generating` name newer than it, as the
    /// next open names the snapshot it writes.
    fn next_snapshot(path: &Path) -> (Vec<u8>, PathBuf) {
        let newest = snapshot_files(path).pop().expect("a finished snapshot");
        let lsn = u64::from_str_radix(newest.trim_start_matches("snap."), 16).expect("lsn");
        let bytes = std::fs::read(path.join(&newest)).expect("read snapshot");
        (
            bytes,
            path.join(format!("snap.{:016X}.generating", lsn + 1)),
        )
    }

    /// Opens the store and checks that it holds every story once.
    fn assert_opens_with_every_story(path: &Path, n: usize) {
        let store = Store::open(path, NearDupConfig::default()).expect("the store opens");
        assert_eq!(store.story_count(), n);
        let titles: std::collections::BTreeSet<String> = store
            .stories_newest_first()
            .map(|s| s.expect("story reads").title)
            .collect();
        assert_eq!(titles.len(), n, "every story once");
    }

    #[test]
    fn a_kill_right_after_sled_created_its_snapshot_file_leaves_a_store_that_opens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = store_with_stories(dir.path(), 9);
        let (_, generating) = next_snapshot(&path);
        // What `kill -9` between sled's create and first write leaves (seen under gdb).
        std::fs::write(&generating, b"").expect("write");
        assert_opens_with_every_story(&path, 9);
        assert!(!generating.exists(), "the empty snapshot file is removed");
    }

    #[test]
    fn a_kill_between_the_snapshots_body_and_its_checksum_leaves_a_store_that_opens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = store_with_stories(dir.path(), 9);
        let (whole, generating) = next_snapshot(&path);
        // The body written, its length and checksum not yet (the same body stands in for
        // the next one: only its missing end matters to sled).
        let body = &whole[..whole.len() - SNAPSHOT_TRAILER];
        std::fs::write(&generating, body).expect("write");
        assert_opens_with_every_story(&path, 9);
        assert!(!generating.exists());
        // And with the length but not the checksum.
        let (whole, generating) = next_snapshot(&path);
        std::fs::write(&generating, &whole[..whole.len() - 4]).expect("write");
        assert_opens_with_every_story(&path, 9);
        assert!(!generating.exists());
    }

    #[test]
    fn a_whole_snapshot_killed_before_its_rename_is_left_to_sled() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = store_with_stories(dir.path(), 5);
        let newest = snapshot_files(&path).pop().expect("a snapshot");
        let generating = path.join(format!("{newest}.generating"));
        std::fs::copy(path.join(&newest), &generating).expect("copy");
        remove_unfinished(&path).expect("checked");
        assert!(generating.exists(), "a whole snapshot is sled's to read");
        assert_opens_with_every_story(&path, 5);
    }

    #[test]
    fn nothing_is_removed_while_another_handle_holds_the_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = store_with_stories(dir.path(), 3);
        let store = Store::open(&path, NearDupConfig::default()).expect("open");
        let (_, generating) = next_snapshot(&path);
        // Another wirefeed's sled writing its snapshot right now must not lose it.
        std::fs::write(&generating, b"").expect("write");
        assert!(matches!(
            remove_unfinished(&path),
            Err(StoreError::Locked { .. })
        ));
        assert!(generating.exists());
        drop(store);
    }

    #[test]
    fn a_kill_while_sled_wrote_the_settings_of_a_new_store_leaves_a_store_that_opens() {
        let dir = tempfile::tempdir().expect("tempdir");
        let whole = store_with_stories(dir.path(), 1).join("conf");
        let whole = std::fs::read(whole).expect("conf");
        let path = dir.path().join("new");
        std::fs::create_dir_all(&path).expect("mkdir");
        // The settings written, their checksum not (seen under gdb), and no `db` yet.
        std::fs::write(path.join("conf"), &whole[..whole.len() - CONF_TRAILER]).expect("write");
        let store = Store::open(&path, NearDupConfig::default()).expect("the store opens");
        assert_eq!(store.story_count(), 0);
        drop(store);
        assert_eq!(std::fs::read(path.join("conf")).expect("conf"), whole);
    }

    #[test]
    fn sleds_checksum_is_crc32() {
        // The trailer of a `conf` sled wrote: a change of checksum would be caught here
        // rather than by removing whole files.
        let dir = tempfile::tempdir().expect("tempdir");
        let path = store_with_stories(dir.path(), 1);
        let conf = std::fs::read(path.join("conf")).expect("conf");
        assert!(is_whole(&conf, CONF_TRAILER));
        for name in snapshot_files(&path) {
            let snapshot = std::fs::read(path.join(&name)).expect("snapshot");
            assert!(is_whole(&snapshot, SNAPSHOT_TRAILER), "{name}");
        }
    }
}
