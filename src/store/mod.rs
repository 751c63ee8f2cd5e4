//! Store stage: the sled database that keeps every story once, the per-source poll state
//! and the teasers, behind a small API of our own.
//!
//! Layout (one sled tree each):
//! - `stories`: `0` ‖ sequence number → `Story` (JSON, so records written by older versions
//!   still read), and `1` ‖ sequence number → story id ‖ the story's compact index record
//!   (its guid, link and fingerprint keys, date, and the near-duplicate signature of every
//!   copy seen, see `index`). Keys are sequence numbers, not the (hash) story ids, so a new
//!   story appends to the tree's last leaves instead of paging in a random one of a tree
//!   larger than sled's cache; open scans just the records' range. The lookup maps over them
//!   (guid/link/fingerprint → story, date order, signatures, LSH bands) live in memory and
//!   are rebuilt from these records at open (or read from the index image a clean close
//!   left, see [`Store::close`]), so a new story costs two sled inserts and a
//!   near-duplicate check never reads the disk;
//! - `sources`: source id → `SourceState`; `teasers`: teaser id → `TeaserRecord`;
//! - `notes`: story id → `StoryNote` (its withdrawal and pins, so status and curation read
//!   them without scanning every story);
//! - `meta`: the schema version, `index_image` (a token) while a clean close's index
//!   image describes the store (see [`Store::close`]), and `story_dict`, the zstd
//!   dictionary the store trained on its first stories (see `codec`).
//!
//! Every copy counts: a new item is compared with the signatures of every copy of every
//! candidate story, not only the copy kept, and when a full item matches copies of two
//! stories those were one story all along and are merged. A teaser (an item no longer than
//! its lead) cannot tell two template stories with the same opening apart, so it goes to
//! the one it resembles most and merges another only when the two stories' numbers agree
//! (see `joining`). So the stories
//! come out the same whatever the order of sources or arrival (`tests/dedup_order.rs`).
//!
//! Crash safety: sled batches are atomic per tree, not across trees. A story and its index
//! record share a tree and go in one batch, so neither exists without the other (a merge
//! removes one story and rewrites the other in one batch too); a delivery is written in
//! batches of [`BATCH_ITEMS`] items, and source state (validators) is written after its last
//! batch, so a crash between batches makes the next cycle read the delivery again. Story ids
//! are derived from the story itself, so an item is recognised again by its id even past its
//! keys, and one whose record was damaged is indexed again from the story when it comes
//! back. Durability is `flush()`, called before publishing and before exit, never per item.
//!
//! Files: `ingest` (a delivery matched and written in batches), `joining` (which matched
//! stories an item joins: the teaser rule), `keys` (sled keys and encodings), `codec` (a
//! story's stored bytes: JSON, zstd, the store's dictionary), `index`,
//! `tables` and `bands` (the in-memory maps), `image` (the maps written at a clean close and
//! read at the next open), `dedup` (signatures and the near-duplicate
//! rule), `words` (wire copy as word hashes), `exact` (normalized links and fingerprints),
//! `teasers`, `lifecycle` (versions, corrections and withdrawals decided at ingest), `notes`
//! (withdrawals and pins; the editor's actions by hand), `sled_files` (what a kill left
//! half-written among sled's own files, removed before it opens them), `tests`.

mod arena;
mod bands;
mod codec;
pub mod dedup;
mod exact;
mod image;
mod index;
mod ingest;
mod joining;
mod keys;
mod lifecycle;
mod notes;
mod sled_files;
mod stall;
mod tables;
mod teasers;
mod words;

pub use bands::KEY_CAP;
pub use index::Memory as IndexMemory;
pub use ingest::Incoming;
pub use keys::story_id;
pub use notes::{HandDone, HandError, Pin, StoryNote};

use crate::model::{Item, Story, StoryId, TeaserRecord};
use chrono::{DateTime, Utc};
use codec::StoryDict;
use dedup::NearDupConfig;
use index::{Index, Kind, Loaded, Record};
use keys::{date_ms, decode, encode, guid_key, record_key, story_key, ID_LEN, RECORD_SPACE};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Bumped when the on-disk layout changes incompatibly. 5: the index image's token in
/// `meta`, which every open clears before writing anything (an older wirefeed would write
/// under a token still set, and the next open would trust an image that no longer matched).
/// 6: stories written with zstd, which a wirefeed of schema 5 cannot read. 7: stories
/// compressed with the store's own dictionary, which a wirefeed of schema 6 cannot read.
/// 8: signatures in index records carry the story's names and times after its numbers,
/// their count in the high byte of the numbers' count, which a wirefeed of schema 7 would
/// read as a numbers count and so take the record for damaged.
pub const SCHEMA_VERSION: u32 = 8;
/// The older schemas a store is upgraded from in place at open (see `Store::open`).
const MIGRATES_FROM: [u32; 5] = [3, 4, 5, 6, 7];
/// The `meta` key of the index image's token.
const IMAGE_TOKEN: &str = "index_image";
/// The `meta` key of the store's compression dictionary (see `codec`).
const STORY_DICT: &str = "story_dict";
/// Live stories from which `Store::close` writes an index image
/// (`WIREFEED_IMAGE_MIN_STORIES` in the environment overrides it). Below it a rebuild at open
/// takes well under a second (100,000 stories: 1.3 s), and writing a file at every close of
/// a small store run from cron would cost more than it saves.
const IMAGE_MIN_STORIES: usize = 20_000;

/// Items of one delivery written per sled batch. A delivery of 165,000 items in one batch
/// held every story twice in memory (the batch and the pending map) and peaked at 3.9 GB;
/// in batches memory follows the batch. A crash between batches is safe: the source's
/// validators are written only after its last batch, so the delivery is read again and the
/// stories of the batches already written are recognised by their guid or link.
const BATCH_ITEMS: usize = 512;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path} is locked by another running wirefeed (sled admits one process); stop it or wait for it to finish")]
    Locked { path: PathBuf },
    #[error("store {path} cannot be opened: {source}")]
    Open { path: PathBuf, source: sled::Error },
    #[error("store {path} was written by an incompatible wirefeed (schema {found}, this version reads {SCHEMA_VERSION} and upgrades 3 to 7 in place: since schema 3 it keeps the near-duplicate signature of every copy, since 4 stores stories compressed, since 5 keeps an index image, since 6 compresses stories with zstd, since 7 with a dictionary the store trains on its own stories, since 8 signatures carry names and times); if it was written by a newer wirefeed, run that one; otherwise move it aside (or delete it) and run wirefeed again: it rebuilds the store from the sources, with the same story ids")]
    Schema { path: PathBuf, found: String },
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    #[error("store {path} is closed: opening it again at a checkpoint failed (see the error before this one); `wirefeed run` opens it again by itself, a `once` run should simply be started again")]
    Closed { path: PathBuf },
    #[error("store: cannot remove {file}, which sled did not finish writing when wirefeed was killed and for which it refuses the store: {source}; remove that file by hand (sled recovers without it) and start wirefeed again")]
    Unfinished {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("store: damaged record in {tree}: {source}")]
    Record {
        tree: &'static str,
        source: serde_json::Error,
    },
}

type Result<T> = std::result::Result<T, StoreError>;

/// What the poller remembers about a source between cycles.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct SourceState {
    #[serde(default)]
    pub etag: Option<String>,
    #[serde(default)]
    pub last_modified: Option<String>,
    /// A content hash of the last body, so an unchanged 200 costs no parsing.
    #[serde(default)]
    pub body_hash: Option<String>,
    #[serde(default)]
    pub consecutive_failures: u32,
    #[serde(default)]
    pub last_poll: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_success: Option<DateTime<Utc>>,
    #[serde(default)]
    pub last_status: Option<u16>,
    #[serde(default)]
    pub last_error: Option<String>,
    #[serde(default)]
    pub next_poll: Option<DateTime<Utc>>,
    /// New stories from the last successful poll.
    #[serde(default)]
    pub new_items: u64,
    /// Minimum interval asked by the source (ttl, max-age, Retry-After), in seconds.
    #[serde(default)]
    pub min_interval_secs: Option<u64>,
    /// What the source turned out to be at its first good answer, and for which URL: an
    /// answer of the other kind later is a failed poll, not a change of kind.
    #[serde(default)]
    pub kind: Option<crate::model::SourceKind>,
    #[serde(default)]
    pub kind_url: Option<String>,
    /// Older versions of its stories that arrived late and were ignored, in all.
    #[serde(default)]
    pub late_versions: u64,
}

/// How an incoming item related to what the store already had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    New(StoryId),
    /// Same story from its own source with changed content: updated in place.
    Updated(StoryId),
    Unchanged(StoryId),
    /// Another copy of a story already kept; its link was recorded as an alternate.
    Duplicate {
        of: StoryId,
        by: Match,
    },
}

/// Which rule recognised a duplicate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Match {
    Guid,
    Link,
    Fingerprint,
    NearDuplicate,
}

/// Counts of one ingest call.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IngestReport {
    pub new: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub duplicates: usize,
    pub outcomes: Vec<Outcome>,
    /// Stories found to be copies of another story only through a later copy that matched
    /// both, and merged into it (the earlier-seen one is kept).
    pub merged: usize,
    /// Older versions of kept stories arriving late, each counted the first time it came.
    pub late: usize,
    /// Near-duplicate candidates checked, one entry per item that reached that check (for
    /// benchmarks and logs: the cost of the check grows with these).
    pub candidates: Vec<u32>,
}

impl IngestReport {
    pub fn changed(&self) -> bool {
        self.new + self.updated > 0
    }
}

/// Bytes of stories and index records written between two checkpoints (see
/// [`Store::flush`]; `WIREFEED_CHECKPOINT_BYTES` in the environment overrides it): the next
/// open replays at most this much and sled's rewrites of it (a second or so), and a
/// checkpoint, which costs that replay once, comes every few thousand stories, not every
/// cycle.
const CHECKPOINT_BYTES: u64 = 64 << 20;

/// The sled database and its trees; replaced whole by a checkpoint. Every use of a tree holds
/// its `Arc<Sled>` (no tree handle is kept apart from it), so while any is held a checkpoint
/// knows and waits.
struct Sled {
    db: sled::Db,
    /// Stories and, under `RECORD_PREFIX`, their index records.
    stories: sled::Tree,
    sources: sled::Tree,
    teasers: sled::Tree,
    notes: sled::Tree,
}

impl Sled {
    /// [`Sled::open`], trying again every 20 ms up to `tries` times while the store is
    /// locked: sled's background threads let go of the file lock shortly after the last
    /// handle is dropped.
    fn open_waiting(path: &Path, tries: u32) -> Result<Sled> {
        let mut tried = 0;
        loop {
            match Sled::open(path) {
                Err(StoreError::Locked { .. }) if tried < tries => {
                    tried += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => return other,
            }
        }
    }

    fn open(path: &Path) -> Result<Sled> {
        // A kill while sled wrote a snapshot (at every open, so at every checkpoint) leaves a
        // file it would refuse the store for from then on.
        sled_files::remove_unfinished(path)?;
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(16 * 1024 * 1024)
            .open()
            .map_err(|e| match e {
                sled::Error::Io(ref io) if is_lock_error(io) => StoreError::Locked {
                    path: path.to_path_buf(),
                },
                other => StoreError::Open {
                    path: path.to_path_buf(),
                    source: other,
                },
            })?;
        Ok(Sled {
            stories: db.open_tree("stories")?,
            sources: db.open_tree("sources")?,
            teasers: db.open_tree("teasers")?,
            notes: db.open_tree("notes")?,
            db,
        })
    }
}

/// The sled store.
pub struct Store {
    path: PathBuf,
    /// None only if reopening sled at a checkpoint failed (then every call says so).
    sled: std::sync::RwLock<Option<Arc<Sled>>>,
    /// Bytes written since sled last opened, for the next checkpoint.
    written: AtomicU64,
    /// [`CHECKPOINT_BYTES`] unless the environment sets another.
    checkpoint_bytes: u64,
    near_dup: NearDupConfig,
    index: std::sync::Mutex<Index>,
    /// The token of the index image the index was loaded from, whose file stays on disk
    /// (inert: its token is no longer in `meta`) so `close` can re-arm it if nothing changed.
    image_token: Option<u64>,
    /// Set by every story or record handed to sled (see [`Store::wrote`]): with the index's
    /// own flag, whether the image still describes the store at close.
    stories_written: std::sync::atomic::AtomicBool,
    /// The dictionary stories are compressed with, once the store has trained one.
    story_dict: std::sync::OnceLock<StoryDict>,
    /// Live stories from which to try training the dictionary (again, if zstd found too
    /// little to learn the last time).
    dict_next_try: std::sync::atomic::AtomicUsize,
    /// Writes into sled in progress, watched for sled's own deadlock (see `stall`).
    stall: stall::StallWatch,
}

impl Store {
    /// Opens (or creates) the store at `path`, taking its lock, and loads the in-memory
    /// index: from the index image of the last clean close when `meta` vouches for it (see
    /// [`Store::close`]), else rebuilt from the index records.
    pub fn open(path: &Path, near_dup: NearDupConfig) -> Result<Store> {
        let started = std::time::Instant::now();
        // A store this process has just dropped may still be locked for a moment; another
        // process's lock is reported after that moment.
        let sled = Sled::open_waiting(path, 10)?;
        let meta = sled.db.open_tree("meta")?;
        match meta.get("schema")? {
            None => {
                meta.insert("schema", SCHEMA_VERSION.to_string().as_bytes())?;
            }
            Some(v) if v.as_ref() == SCHEMA_VERSION.to_string().as_bytes() => {}
            // Schema 3 differs only in its stories being plain JSON, 4 and 5 in theirs being
            // deflated (all of which still read), 6 in having no dictionary yet, 7 in its
            // signatures having no names (read as such), and 4 in having no image token: the
            // store is marked 8 and goes on (an older wirefeed then refuses it instead of
            // misreading its stories or records or writing under a token).
            Some(v)
                if MIGRATES_FROM
                    .iter()
                    .any(|old| v.as_ref() == old.to_string().as_bytes()) =>
            {
                meta.insert("schema", SCHEMA_VERSION.to_string().as_bytes())?;
            }
            Some(v) => {
                return Err(StoreError::Schema {
                    path: path.to_path_buf(),
                    found: String::from_utf8_lossy(&v).into_owned(),
                })
            }
        }
        let story_dict = std::sync::OnceLock::new();
        if let Some(bytes) = meta.get(STORY_DICT)? {
            match StoryDict::new(bytes.to_vec()) {
                Some(dict) => {
                    let _ = story_dict.set(dict);
                }
                // Its stories then fail to read one by one, each with the reason; the rest
                // of the store goes on.
                None => tracing::error!(
                    "store {}: the compression dictionary in its meta tree is damaged; \
                     stories written with it cannot be read",
                    path.display()
                ),
            }
        }
        let sled_opened = started.elapsed();
        let (index, image_token) = load_image(&sled, &meta, path)?;
        let loaded = started.elapsed() - sled_opened;
        let index = match index {
            Some(index) => index,
            None => load_index(&sled.stories)?,
        };
        tracing::debug!(
            stories = index.live(),
            sled_ms = sled_opened.as_millis() as u64,
            index_ms = (started.elapsed() - sled_opened).as_millis() as u64,
            image = image_token.is_some(),
            image_ms = loaded.as_millis() as u64,
            "store opened"
        );
        Ok(Store {
            path: path.to_path_buf(),
            sled: std::sync::RwLock::new(Some(Arc::new(sled))),
            written: AtomicU64::new(0),
            // A smaller interval for soaks and crash tests, which want checkpoints often.
            checkpoint_bytes: std::env::var("WIREFEED_CHECKPOINT_BYTES")
                .ok()
                .and_then(|v| v.parse().ok())
                .unwrap_or(CHECKPOINT_BYTES),
            near_dup,
            index: std::sync::Mutex::new(index),
            image_token,
            stories_written: std::sync::atomic::AtomicBool::new(false),
            story_dict,
            dict_next_try: std::sync::atomic::AtomicUsize::new(codec::DICT_MIN_STORIES),
            stall: stall::StallWatch::start(),
        })
    }

    /// Closes the store cleanly: flushes it and, for a store of at least
    /// [`IMAGE_MIN_STORIES`] live stories, leaves an index image for the next open, so it
    /// reads the index instead of rebuilding it (at a million stories some 20 s). Called
    /// where wirefeed stops on purpose; a store dropped without it (a crash) leaves no token
    /// and the next open rebuilds.
    ///
    /// Consuming the store is what makes the image safe: no ingest can be halfway (ingest
    /// updates the index before its sled batch is applied), and no write can follow.
    pub fn close(self) -> Result<()> {
        // Crash tests set a threshold of 1, so that even their small stores leave images.
        let min_stories = std::env::var("WIREFEED_IMAGE_MIN_STORIES")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(IMAGE_MIN_STORIES);
        self.close_with(min_stories)
    }

    /// [`Store::close`] with the threshold given, so tests can image a small store.
    fn close_with(self, min_stories: usize) -> Result<()> {
        let sled = self.sled()?;
        // Sled must hold exactly what the index describes before a token vouches for it.
        sled.db.flush()?;
        let index = self.index.into_inner().unwrap_or_else(|p| p.into_inner());
        let image_path = self.path.join(image::FILE_NAME);
        if index.live() < min_stories {
            if self.image_token.is_some() {
                remove_image(&image_path);
            }
            return Ok(());
        }
        let unchanged = !index.changed() && !self.stories_written.load(Ordering::Relaxed);
        let started = std::time::Instant::now();
        let token = match self.image_token {
            // The file the index came from is still on disk and still describes it.
            Some(token) if unchanged => token,
            _ => {
                let token = loop {
                    let t: u64 = rand::random();
                    if Some(t) != self.image_token {
                        break t;
                    }
                };
                match image::write(&index, token, &image_path) {
                    Ok(bytes) => {
                        tracing::info!(
                            stories = index.live(),
                            bytes,
                            ms = started.elapsed().as_millis() as u64,
                            "store closed: index image written for the next open"
                        );
                        token
                    }
                    Err(e) => {
                        // The store is flushed and whole: the next open rebuilds the index.
                        tracing::warn!("store closed without an index image: {e}");
                        remove_image(&image_path);
                        return Ok(());
                    }
                }
            }
        };
        let meta = sled.db.open_tree("meta")?;
        meta.insert(IMAGE_TOKEN, &token.to_le_bytes())?;
        sled.db.flush()?;
        Ok(())
    }

    /// The sled handles; a caller keeps them only for the call (a checkpoint waits for none
    /// to be held).
    fn sled(&self) -> Result<Arc<Sled>> {
        let guard = self.sled.read().unwrap_or_else(|p| p.into_inner());
        guard.clone().ok_or_else(|| StoreError::Closed {
            path: self.path.clone(),
        })
    }

    /// Counts bytes handed to sled, for [`Store::flush`]'s checkpoints.
    fn wrote(&self, bytes: usize) {
        self.written.fetch_add(bytes as u64, Ordering::Relaxed);
        self.stories_written.store(true, Ordering::Relaxed);
    }

    /// The dictionary stories are written with, if the store has one.
    fn story_dict(&self) -> Option<&StoryDict> {
        self.story_dict.get()
    }

    /// Trains the store's compression dictionary once it holds enough stories (see
    /// `codec`): on the stories of the batch about to be written (`pending`) and the oldest
    /// stored ones. The dictionary is in `meta` and flushed before any story is written with
    /// it, so no crash leaves a story the store cannot unpack.
    fn train_story_dict<'a>(&self, pending: impl Iterator<Item = &'a Story>) -> Result<()> {
        if self.story_dict.get().is_some() {
            return Ok(());
        }
        let live = self.index().live();
        if live < self.dict_next_try.load(Ordering::Relaxed) {
            return Ok(());
        }
        let started = std::time::Instant::now();
        let sled = self.sled()?;
        let pending: Vec<&Story> = pending.take(codec::DICT_SAMPLES).collect();
        let mut stored = Vec::with_capacity(codec::DICT_SAMPLES - pending.len());
        for entry in sled.stories.scan_prefix([keys::STORY_SPACE]) {
            if stored.len() + pending.len() >= codec::DICT_SAMPLES {
                break;
            }
            let (_, value) = entry?;
            // A story that does not read is no sample; reading it reports it elsewhere.
            if let Ok(story) = codec::decode_story(&value, None) {
                stored.push(story);
            }
        }
        let samples = pending.len() + stored.len();
        let Some(dict) = StoryDict::train(pending.into_iter().chain(&stored)) else {
            // Too little to learn from (stories all alike, or tiny): stories stay packed
            // without a dictionary, and training waits for twice as many.
            self.dict_next_try.store(live * 2, Ordering::Relaxed);
            tracing::debug!(samples, "store: no compression dictionary learned yet");
            return Ok(());
        };
        let meta = sled.db.open_tree("meta")?;
        meta.insert(STORY_DICT, dict.bytes())?;
        sled.db.flush()?;
        tracing::info!(
            samples,
            bytes = dict.bytes().len(),
            ms = started.elapsed().as_millis() as u64,
            "store: compression dictionary trained on its stories; new stories are written with it"
        );
        let _ = self.story_dict.set(dict);
        Ok(())
    }

    fn index(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record(&self, id: &str) -> Result<Option<Record>> {
        let Some(seq) = self.index().seq(id) else {
            return Ok(None);
        };
        Ok(self
            .sled()?
            .stories
            .get(record_key(seq))?
            .and_then(|value| value.get(ID_LEN..).and_then(Record::decode)))
    }

    /// The story id a key points at, after checking the key against the story's record (the
    /// in-memory map holds only hashes).
    fn find(&self, kind: Kind, key: &[u8]) -> Result<Option<StoryId>> {
        self.find_with(kind, key, &HashMap::new())
    }

    /// [`Store::find`], reading the records in `pending` (written in the current ingest
    /// batch, not yet in sled) before the stored ones.
    fn find_with(
        &self,
        kind: Kind,
        key: &[u8],
        pending: &HashMap<StoryId, Record>,
    ) -> Result<Option<StoryId>> {
        // Newest first: when two stories hold the key, the later writer wins, as it did when
        // the map kept one story per key.
        let found = self.index().lookup(kind, key);
        for (_, id) in found {
            let id = StoryId::new(id);
            let holds = match pending.get(&id) {
                Some(r) => r.holds(kind, key),
                None => self.record(&id)?.is_some_and(|r| r.holds(kind, key)),
            };
            if holds {
                return Ok(Some(id));
            }
        }
        Ok(None)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes every write so far durable. Called before publishing and before exit.
    ///
    /// Every [`CHECKPOINT_BYTES`] written it also closes sled and opens it again: sled 0.34
    /// writes its snapshot (where every page is in the log) only when it opens, and an open
    /// replays the whole log written since the last one. A daemon running for weeks, or a
    /// million stories written in one run, made that minutes (124 s at 1,000,000 stories);
    /// reopening now and then keeps it to the log of the last checkpoint. The in-memory
    /// index stays as it is: the data does not change.
    pub fn flush(&self) -> Result<()> {
        {
            let sled = self.sled()?;
            let _watched = self.stall.enter("flushing");
            sled.db.flush()?;
        }
        if self.written.load(Ordering::Relaxed) >= self.checkpoint_bytes {
            self.checkpoint()?;
        }
        Ok(())
    }

    /// Closes and reopens sled (see [`Store::flush`]). Skipped while another thread holds
    /// the handles; the next flush tries again.
    fn checkpoint(&self) -> Result<()> {
        let mut slot = self.sled.write().unwrap_or_else(|p| p.into_inner());
        let Some(current) = slot.as_ref() else {
            return Err(StoreError::Closed {
                path: self.path.clone(),
            });
        };
        if Arc::strong_count(current) > 1 {
            return Ok(());
        }
        let started = std::time::Instant::now();
        drop(slot.take());
        let sled = Sled::open_waiting(&self.path, 50)?;
        *slot = Some(Arc::new(sled));
        self.written.store(0, Ordering::Relaxed);
        tracing::debug!(
            ms = started.elapsed().as_millis() as u64,
            "store checkpoint: sled reopened"
        );
        Ok(())
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.sled()
            .ok()
            .and_then(|s| s.db.size_on_disk().ok())
            .unwrap_or(0)
    }

    /// What the in-memory index holds: live stories, story slots allocated (live + free for
    /// reuse), near-duplicate band entries, saturated band keys. For the benchmark and tests
    /// of memory.
    pub fn index_size(&self) -> (usize, usize, usize, usize) {
        self.index().size()
    }

    /// The in-memory index's bytes by part, for the benchmark.
    pub fn index_memory(&self) -> IndexMemory {
        self.index().memory()
    }

    /// Stories in the store (from the in-memory index: every story has its record).
    pub fn story_count(&self) -> usize {
        self.index().live()
    }

    pub fn story(&self, id: &str) -> Result<Option<Story>> {
        let Some(seq) = self.index().seq(id) else {
            return Ok(None);
        };
        self.sled()?
            .stories
            .get(story_key(seq))?
            .map(|v| codec::decode_story(&v, self.story_dict()))
            .transpose()
    }

    /// The story a (normalized) link belongs to, if any.
    pub fn story_by_link(&self, url: &url::Url) -> Result<Option<Story>> {
        match self.find(Kind::Link, dedup::normalize_link(url).as_bytes())? {
            Some(id) => self.story(&id),
            None => Ok(None),
        }
    }

    /// Does the store already hold this item (same source guid, or same normalized link)?
    /// Used to fetch article pages only for stories that are new.
    pub fn is_known(&self, source: &str, item: &Item) -> Result<bool> {
        if let Some(guid) = &item.guid {
            let key = guid_key(source, guid);
            if self.find(Kind::Guid, &key)?.is_some() {
                return Ok(true);
            }
        }
        match &item.link {
            Some(link) => {
                let key = dedup::normalize_link(link);
                Ok(self.find(Kind::Link, key.as_bytes())?.is_some())
            }
            None => Ok(false),
        }
    }

    /// Stores the items of one source fetch; each is matched against the store in the order
    /// guid, normalized link, fingerprint, near-duplicate.
    pub fn ingest(
        &self,
        source: &str,
        tags: &[String],
        items: Vec<Incoming>,
        now: DateTime<Utc>,
    ) -> Result<IngestReport> {
        ingest::run(self, source, tags, items, now)
    }

    /// Active stories newest first (by their date), for curation. The order is a snapshot
    /// of the index taken at the call.
    pub fn stories_newest_first(&self) -> impl Iterator<Item = Result<Story>> + '_ {
        let ids = self.index().newest_first();
        ids.into_iter()
            .filter_map(move |id| match self.story(&index::format_id(id)) {
                Ok(Some(story)) => Some(Ok(story)),
                Ok(None) => None,
                Err(e) => Some(Err(e)),
            })
    }

    /// Removes stories whose date is before `cutoff`, with all their index entries.
    /// Returns how many were removed.
    pub fn expire(&self, cutoff: DateTime<Utc>) -> Result<usize> {
        let old = self.index().older_than(date_ms(cutoff));
        let sled = self.sled()?;
        let mut removed = 0;
        for id in old {
            let id = index::format_id(id);
            let Some(seq) = self.index().seq(&id) else {
                continue;
            };
            let record = self.record(&id)?;
            if sled.stories.contains_key(story_key(seq))? {
                removed += 1;
            }
            // One batch: the story never outlives its record or the other way round.
            let mut batch = sled::Batch::default();
            batch.remove(&story_key(seq)[..]);
            batch.remove(&record_key(seq)[..]);
            {
                let _watched = self.stall.enter("removing an expired story");
                sled.stories.apply_batch(batch)?;
            }
            self.index().remove(&id, record.as_ref());
        }
        let teaser_cutoff = cutoff;
        let mut stale = Vec::new();
        for entry in sled.teasers.iter() {
            let (key, value) = entry?;
            let record: TeaserRecord = decode(&value, "teasers")?;
            if record.last_seen < teaser_cutoff {
                stale.push(key);
            }
        }
        for key in stale {
            sled.teasers.remove(key)?;
        }
        Ok(removed)
    }

    pub fn source_state(&self, source: &str) -> Result<SourceState> {
        Ok(self
            .sled()?
            .sources
            .get(source)?
            .map(|v| decode(&v, "sources"))
            .transpose()?
            .unwrap_or_default())
    }

    pub fn set_source_state(&self, source: &str, state: &SourceState) -> Result<()> {
        let sled = self.sled()?;
        let _watched = self.stall.enter("writing a source's poll state");
        sled.sources.insert(source, encode(state))?;
        Ok(())
    }

    /// Every source id that has poll state, for cleaning up removed sources.
    pub fn source_ids(&self) -> Result<Vec<String>> {
        self.sled()?
            .sources
            .iter()
            .keys()
            .map(|k| Ok(String::from_utf8_lossy(&k?).into_owned()))
            .collect()
    }

    pub fn remove_source_state(&self, source: &str) -> Result<()> {
        self.sled()?.sources.remove(source)?;
        Ok(())
    }
}

/// Takes the index image's token out of `meta`, durably, before the store can write
/// anything (a write after it, and a crash, must leave no token behind), and returns the
/// image's index when the token was there and the file carries it and reads whole, with its
/// token. Any other image file is stale and removed; why an image was not used is logged.
fn load_image(sled: &Sled, meta: &sled::Tree, path: &Path) -> Result<(Option<Index>, Option<u64>)> {
    let image_path = path.join(image::FILE_NAME);
    let token = meta
        .remove(IMAGE_TOKEN)?
        .and_then(|v| Some(u64::from_le_bytes(v.as_ref().try_into().ok()?)));
    if token.is_some() {
        sled.db.flush()?;
    }
    let Some(token) = token else {
        if image_path.exists() {
            tracing::info!(
                image = %image_path.display(),
                "store not closed cleanly since its index image was written: rebuilding the index"
            );
            remove_image(&image_path);
        } else {
            tracing::debug!("no index image: rebuilding the index");
        }
        return Ok((None, None));
    };
    let started = std::time::Instant::now();
    match image::read(&image_path, token) {
        Ok(index) => {
            tracing::info!(
                stories = index.live(),
                ms = started.elapsed().as_millis() as u64,
                "index loaded from the index image"
            );
            Ok((Some(index), Some(token)))
        }
        Err(e) => {
            tracing::warn!("{e}; rebuilding the index from the records");
            remove_image(&image_path);
            Ok((None, None))
        }
    }
}

/// Removes an index image that no longer describes the store (a missing one is fine).
fn remove_image(path: &Path) {
    match std::fs::remove_file(path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => {
            tracing::warn!(image = %path.display(), "cannot remove the stale index image: {e}")
        }
    }
}

/// Reads every index record into a fresh index on both cores: one thread walks sled, one
/// decodes the records (their keys' hashes, packed signatures and band keys), and the
/// calling thread fills the maps, in sequence order so band saturation comes out as it was.
fn load_index(stories: &sled::Tree) -> Result<Index> {
    use std::sync::mpsc::sync_channel;
    const CHUNK: usize = 1024;
    let mut index = Index::default();
    std::thread::scope(|scope| -> Result<()> {
        let (raw_tx, raw_rx) = sync_channel::<Vec<(u64, sled::IVec)>>(4);
        let (ready_tx, ready_rx) = sync_channel::<Vec<Loaded>>(4);
        let reader = scope.spawn(move || -> Result<()> {
            let mut chunk = Vec::with_capacity(CHUNK);
            for entry in stories.scan_prefix([RECORD_SPACE]) {
                let (key, value) = entry?;
                let Some(seq) = key.get(1..9).and_then(|b| b.try_into().ok()) else {
                    continue;
                };
                chunk.push((u64::from_be_bytes(seq), value));
                if chunk.len() == CHUNK {
                    let full = std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK));
                    if raw_tx.send(full).is_err() {
                        return Ok(());
                    }
                }
            }
            let _ = raw_tx.send(chunk);
            Ok(())
        });
        scope.spawn(move || {
            for chunk in raw_rx {
                let ready = chunk
                    .iter()
                    .filter_map(|(seq, value)| {
                        let (id, encoded) = keys::split_record_value(value)?;
                        Loaded::prepare(*seq, id, encoded)
                    })
                    .collect();
                if ready_tx.send(ready).is_err() {
                    return;
                }
            }
        });
        for ready in ready_rx {
            for loaded in ready {
                index.load(loaded);
            }
        }
        reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
    })?;
    Ok(index)
}

fn is_lock_error(err: &std::io::Error) -> bool {
    err.kind() == std::io::ErrorKind::WouldBlock
        || err.to_string().contains("lock")
        || err.raw_os_error() == Some(libc::EWOULDBLOCK)
}

#[cfg(test)]
mod tests;
