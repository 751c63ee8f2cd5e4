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
//!   are rebuilt from these records at open, so a new story costs two sled inserts and a
//!   near-duplicate check never reads the disk;
//! - `sources`: source id → `SourceState`; `teasers`: teaser id → `TeaserRecord`;
//! - `meta`: the schema version.
//!
//! Every copy counts: a new item is compared with the signatures of every copy of every
//! candidate story, not only the copy kept, and when it matches copies of two stories those
//! were one story all along and are merged. So the stories come out the same whatever the
//! order of sources or arrival (`tests/dedup_order.rs`).
//!
//! Crash safety: sled batches are atomic per tree, not across trees. A story and its index
//! record share a tree and go in one batch, so neither exists without the other (a merge
//! removes one story and rewrites the other in one batch too); a delivery is written in
//! batches of [`BATCH_ITEMS`] items, and source state (validators) is written after its last
//! batch, so a crash between batches makes the next cycle read the delivery again. Story ids
//! are derived from the story itself, so an item is recognised again by its id even past its
//! keys, and one whose record was damaged is indexed again from the story when it comes
//! back. Durability is `flush()`, called before publishing and before exit, never per item.

mod bands;
pub mod dedup;
pub use bands::KEY_CAP;
mod index;
mod lifecycle;
mod notes;
pub use notes::{HandDone, HandError, Pin, StoryNote};

use crate::model::{Item, Story, StoryId, StoryStatus, Teaser, TeaserRecord};
use crate::text::html_to_text;
use chrono::{DateTime, Utc};
use dedup::{NearDupConfig, Signature};
use index::{Index, Kind, Record};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Bumped when the on-disk layout changes incompatibly.
pub const SCHEMA_VERSION: u32 = 3;

/// Items of one delivery written per sled batch. A delivery of 165,000 items in one batch
/// held every story twice in memory (the batch and the pending map) and peaked at 3.9 GB;
/// in batches memory follows the batch. A crash between batches is safe: the source's
/// validators are written only after its last batch, so the delivery is read again and the
/// stories of the batches already written are recognised by their guid or link.
const BATCH_ITEMS: usize = 512;

/// Pages remembered per teaser; the count goes on past it.
const TEASER_PAGES_KEPT: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path} is locked by another running wirefeed (sled admits one process); stop it or wait for it to finish")]
    Locked { path: PathBuf },
    #[error("store {path} cannot be opened: {source}")]
    Open { path: PathBuf, source: sled::Error },
    #[error("store {path} was written by an incompatible wirefeed (schema {found}, this version reads {SCHEMA_VERSION}: since schema 3 it keeps the near-duplicate signature of every copy); move it aside (or delete it) and run wirefeed again: it rebuilds the store from the sources, with the same story ids")]
    Schema { path: PathBuf, found: String },
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
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

/// One item to store, with what the source config adds to it.
#[derive(Debug, Clone)]
pub struct Incoming {
    pub item: Item,
    /// Plain full text from the article page, when it was read.
    pub full_text: Option<String>,
    /// A kill notice or correction read in the item (see [`Incoming::mark`]).
    pub mark: crate::lifecycle::Mark,
    prepared: Option<Prepared>,
}

/// The dedup keys of an item: pure CPU work, done before the store's ordered pass.
#[derive(Debug, Clone)]
struct Prepared {
    print: String,
    sig: Signature,
    bands: Vec<u64>,
}

impl Incoming {
    pub fn new(item: Item, full_text: Option<String>) -> Incoming {
        Incoming {
            item,
            full_text,
            mark: crate::lifecycle::Mark::default(),
            prepared: None,
        }
    }

    /// Reads the kill notice or correction marks of the item by the newsroom's rules (and
    /// drops a correction prefix from its title); call before [`Incoming::prepare`].
    pub fn mark(&mut self, rules: &crate::lifecycle::WireRules) {
        self.mark = crate::lifecycle::mark(&mut self.item, rules);
    }

    /// Computes the fingerprint and near-duplicate signature now, so that many items can be
    /// prepared in parallel while `Store::ingest` runs one source at a time.
    pub fn prepare(&mut self) {
        if self.prepared.is_some() {
            return;
        }
        let text = self.dedup_text();
        let sig = dedup::signature(&self.item.title, &text);
        self.prepared = Some(Prepared {
            print: dedup::fingerprint(&self.item.title, &text),
            bands: dedup::band_keys(sig.view()),
            sig,
        });
    }

    /// The text dedup compares: the article's full text when it was read, else the
    /// feed's content or summary.
    fn dedup_text(&self) -> String {
        match &self.full_text {
            Some(t) => t.clone(),
            None => self
                .item
                .content_html
                .as_deref()
                .or(self.item.summary_html.as_deref())
                .map(html_to_text)
                .unwrap_or_default(),
        }
    }
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
    /// Near-duplicate candidates checked, one entry per item that reached that check (for
    /// benchmarks and logs: the cost of the check grows with these).
    pub candidates: Vec<u32>,
}

impl IngestReport {
    pub fn changed(&self) -> bool {
        self.new + self.updated > 0
    }
}

/// The sled store.
pub struct Store {
    path: PathBuf,
    db: sled::Db,
    /// Stories and, under `RECORD_PREFIX`, their index records.
    stories: sled::Tree,
    sources: sled::Tree,
    teasers: sled::Tree,
    near_dup: NearDupConfig,
    index: std::sync::Mutex<Index>,
}

impl Store {
    /// Opens (or creates) the store at `path`, taking its lock, and rebuilds the in-memory
    /// index from the index records.
    pub fn open(path: &Path, near_dup: NearDupConfig) -> Result<Store> {
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
        let meta = db.open_tree("meta")?;
        match meta.get("schema")? {
            None => {
                meta.insert("schema", SCHEMA_VERSION.to_string().as_bytes())?;
            }
            Some(v) if v.as_ref() == SCHEMA_VERSION.to_string().as_bytes() => {}
            Some(v) => {
                return Err(StoreError::Schema {
                    path: path.to_path_buf(),
                    found: String::from_utf8_lossy(&v).into_owned(),
                })
            }
        }
        let stories = db.open_tree("stories")?;
        let mut index = Index::default();
        for entry in stories.scan_prefix([RECORD_SPACE]) {
            let (key, value) = entry?;
            let Some(seq) = key.get(1..9).and_then(|b| b.try_into().ok()) else {
                continue;
            };
            let seq = u64::from_be_bytes(seq);
            let Some(id) = value
                .get(..ID_LEN)
                .and_then(|b| std::str::from_utf8(b).ok())
            else {
                continue;
            };
            match Record::decode(&value[ID_LEN..]) {
                Some(record) => {
                    index.add(id, Some(seq), &record);
                }
                // A damaged record keeps its story reachable by id, without keys (and dated
                // 0, so retention takes it next); ingesting the story again re-indexes it.
                None => {
                    index.add(id, Some(seq), &Record::default());
                }
            }
        }
        Ok(Store {
            path: path.to_path_buf(),
            stories,
            sources: db.open_tree("sources")?,
            teasers: db.open_tree("teasers")?,
            db,
            near_dup,
            index: std::sync::Mutex::new(index),
        })
    }

    fn index(&self) -> std::sync::MutexGuard<'_, Index> {
        self.index.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn record(&self, id: &str) -> Result<Option<Record>> {
        let Some(seq) = self.index().seq(id) else {
            return Ok(None);
        };
        Ok(self
            .stories
            .get(record_key(seq))?
            .and_then(|value| value.get(ID_LEN..).and_then(Record::decode)))
    }

    /// The story id a key points at, after checking the key against the story's record (the
    /// in-memory map holds only hashes).
    fn find(&self, kind: Kind, key: &[u8]) -> Result<Option<StoryId>> {
        let id = {
            let index = self.index();
            match index.lookup(kind, key).and_then(|slot| index.id(slot)) {
                Some(id) => id,
                None => return Ok(None),
            }
        };
        Ok(self.record(&id)?.filter(|r| r.holds(kind, key)).map(|_| id))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Makes every write so far durable. Called before publishing and before exit.
    pub fn flush(&self) -> Result<()> {
        self.db.flush()?;
        Ok(())
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> u64 {
        self.db.size_on_disk().unwrap_or(0)
    }

    /// What the in-memory index holds: live stories, story slots allocated (live + free for
    /// reuse), near-duplicate band entries, saturated band keys. For the benchmark and tests
    /// of memory.
    pub fn index_size(&self) -> (usize, usize, usize, usize) {
        self.index().size()
    }

    /// Stories in the store (from the in-memory index: every story has its record).
    pub fn story_count(&self) -> usize {
        self.index().size().0
    }

    pub fn story(&self, id: &str) -> Result<Option<Story>> {
        let Some(seq) = self.index().seq(id) else {
            return Ok(None);
        };
        self.stories
            .get(story_key(seq))?
            .map(|v| decode(&v, "stories"))
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
        let mut ingest = Ingest {
            store: self,
            source,
            tags,
            now,
            pending_stories: HashMap::new(),
            pending_records: HashMap::new(),
            report: IngestReport::default(),
            batch: sled::Batch::default(),
            batch_items: 0,
        };
        for incoming in items {
            let outcome = ingest.one(incoming)?;
            match &outcome {
                Outcome::New(_) => ingest.report.new += 1,
                Outcome::Updated(_) => ingest.report.updated += 1,
                Outcome::Unchanged(_) => ingest.report.unchanged += 1,
                Outcome::Duplicate { .. } => ingest.report.duplicates += 1,
            }
            ingest.report.outcomes.push(outcome);
            ingest.batch_items += 1;
            if ingest.batch_items >= BATCH_ITEMS {
                ingest.commit_batch()?;
            }
        }
        ingest.commit_batch()?;
        Ok(ingest.report)
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
        let mut removed = 0;
        for id in old {
            let id = index::format_id(id);
            let Some(seq) = self.index().seq(&id) else {
                continue;
            };
            let record = self.record(&id)?;
            if self.stories.contains_key(story_key(seq))? {
                removed += 1;
            }
            // One batch: the story never outlives its record or the other way round.
            let mut batch = sled::Batch::default();
            batch.remove(&story_key(seq)[..]);
            batch.remove(&record_key(seq)[..]);
            self.stories.apply_batch(batch)?;
            self.index().remove(&id, record.as_ref());
        }
        let teaser_cutoff = cutoff;
        let mut stale = Vec::new();
        for entry in self.teasers.iter() {
            let (key, value) = entry?;
            let record: TeaserRecord = decode(&value, "teasers")?;
            if record.last_seen < teaser_cutoff {
                stale.push(key);
            }
        }
        for key in stale {
            self.teasers.remove(key)?;
        }
        Ok(removed)
    }

    pub fn source_state(&self, source: &str) -> Result<SourceState> {
        Ok(self
            .sources
            .get(source)?
            .map(|v| decode(&v, "sources"))
            .transpose()?
            .unwrap_or_default())
    }

    pub fn set_source_state(&self, source: &str, state: &SourceState) -> Result<()> {
        self.sources.insert(source, encode(state))?;
        Ok(())
    }

    /// Every source id that has poll state, for cleaning up removed sources.
    pub fn source_ids(&self) -> Result<Vec<String>> {
        self.sources
            .iter()
            .keys()
            .map(|k| Ok(String::from_utf8_lossy(&k?).into_owned()))
            .collect()
    }

    pub fn remove_source_state(&self, source: &str) -> Result<()> {
        self.sources.remove(source)?;
        Ok(())
    }

    /// Records the teasers found on one page. A teaser seen on many pages is one record,
    /// keyed by its normalized link (else its normalized title), counting distinct pages.
    /// Returns how many teasers were new to the store.
    pub fn record_teasers(
        &self,
        source: &str,
        page: &url::Url,
        teasers: &[Teaser],
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let page_key = dedup::normalize_link(page);
        let mut new = 0;
        for (position, teaser) in teasers.iter().enumerate() {
            // The slice is the section in page order.
            let position = u32::try_from(position).unwrap_or(u32::MAX);
            let title = crate::text::fold_whitespace(&teaser.title);
            if title.is_empty() {
                continue;
            }
            let key = match &teaser.link {
                Some(link) => format!("link:{}", dedup::normalize_link(link)),
                None => format!("title:{}", dedup::fingerprint(&title, "")),
            };
            let id = short_hash(&key);
            let story = match &teaser.link {
                Some(link) => self.find(Kind::Link, dedup::normalize_link(link).as_bytes())?,
                None => None,
            };
            let mut record = match self.teasers.get(&id)? {
                Some(v) => decode::<TeaserRecord>(&v, "teasers")?,
                None => {
                    new += 1;
                    TeaserRecord {
                        id: id.clone(),
                        title: title.clone(),
                        link: teaser.link.as_ref().map(|l| l.to_string()),
                        summary: None,
                        image: None,
                        first_seen: now,
                        last_seen: now,
                        pages: Vec::new(),
                        page_count: 0,
                        sources: Vec::new(),
                        story: None,
                        first_position: position,
                        best_position: position,
                    }
                }
            };
            record.last_seen = now;
            record.best_position = record.best_position.min(position);
            if record.summary.is_none() {
                record.summary = teaser.summary.clone().filter(|s| !s.trim().is_empty());
            }
            if record.image.is_none() {
                record.image = teaser.image.clone();
            }
            if story.is_some() {
                record.story = story;
            }
            if !record.pages.contains(&page_key) {
                record.page_count += 1;
                if record.pages.len() < TEASER_PAGES_KEPT {
                    record.pages.push(page_key.clone());
                }
            }
            if !record.sources.iter().any(|s| s == source) {
                record.sources.push(source.to_string());
            }
            self.teasers.insert(id.as_bytes(), encode(&record))?;
        }
        Ok(new)
    }

    /// Every teaser record (the recommended feed sorts and filters them).
    pub fn teasers(&self) -> Result<Vec<TeaserRecord>> {
        self.teasers
            .iter()
            .values()
            .map(|v| decode(&v?, "teasers"))
            .collect()
    }
}

/// One ingest call: lookups see the store plus what this call already decided (the in-memory
/// index is updated at once, records and stories of the current batch wait in `pending_*`),
/// and every write goes into a batch applied every [`BATCH_ITEMS`] items and at the end.
struct Ingest<'s> {
    store: &'s Store,
    source: &'s str,
    tags: &'s [String],
    now: DateTime<Utc>,
    pending_stories: HashMap<StoryId, Story>,
    pending_records: HashMap<StoryId, Record>,
    report: IngestReport,
    /// Stories and index records together, so a crash keeps both or neither.
    batch: sled::Batch,
    batch_items: usize,
}

impl Ingest<'_> {
    fn record(&self, id: &str) -> Result<Option<Record>> {
        if let Some(r) = self.pending_records.get(id) {
            return Ok(Some(r.clone()));
        }
        self.store.record(id)
    }

    /// The story a key points at, checked against its record.
    fn lookup(&self, kind: Kind, key: &[u8]) -> Result<Option<StoryId>> {
        let id = {
            let index = self.store.index();
            match index.lookup(kind, key).and_then(|slot| index.id(slot)) {
                Some(id) => id,
                None => return Ok(None),
            }
        };
        let holds = match self.pending_records.get(&id) {
            Some(r) => r.holds(kind, key),
            None => self.store.record(&id)?.is_some_and(|r| r.holds(kind, key)),
        };
        Ok(holds.then_some(id))
    }

    fn load(&self, id: &str) -> Result<Option<Story>> {
        if let Some(s) = self.pending_stories.get(id) {
            return Ok(Some(s.clone()));
        }
        self.store.story(id)
    }

    /// Writes a record and points its keys, signatures and bands at the story in memory.
    fn put_record(&mut self, id: &str, record: Record) {
        self.store.index().add(id, None, &record);
        self.write_record(id, record);
    }

    fn write_record(&mut self, id: &str, record: Record) {
        let seq = self.store.index().seq(id);
        if let Some(seq) = seq {
            self.batch
                .insert(&record_key(seq)[..], record_value(id, &record));
        }
        self.pending_records.insert(id.to_string(), record);
    }

    fn write_story(&mut self, story: Story) {
        let seq = self.store.index().seq(&story.id);
        if let Some(seq) = seq {
            self.batch.insert(&story_key(seq)[..], encode(&story));
        }
        self.pending_stories.insert(story.id.clone(), story);
    }

    /// Adds keys and a copy's signature to an indexed story's record; writes it only when
    /// something was new.
    fn add_keys(
        &mut self,
        id: &str,
        keys: &[(Kind, &[u8])],
        sig: Option<&Signature>,
    ) -> Result<()> {
        let Some(mut record) = self.record(id)? else {
            return Ok(());
        };
        let mut changed = false;
        for &(kind, key) in keys {
            changed |= record.add(kind, key);
        }
        let sig = sig.filter(|s| s.shingles > 0 && record.add_sig(s));
        changed |= sig.is_some();
        // The key may have pointed at another story before; it points here from now on,
        // as the sled trees' last write did.
        {
            let mut index = self.store.index();
            if let Some(slot) = index.slot(id) {
                for &(kind, key) in keys {
                    index.add_key(slot, kind, key);
                }
                if let Some(sig) = sig {
                    index.push_sig(slot, sig);
                }
            }
        }
        if changed {
            self.write_record(id, record);
        }
        Ok(())
    }

    fn one(&mut self, incoming: Incoming) -> Result<Outcome> {
        let mut incoming = incoming;
        incoming.prepare();
        let Incoming {
            item,
            full_text,
            mark,
            prepared,
        } = incoming;
        let Prepared { print, sig, bands } = prepared.expect("prepare() just ran");
        let guid_key = item.guid.as_deref().map(|g| guid_key(self.source, g));
        let link_key = item.link.as_ref().map(dedup::normalize_link);

        // 1. The same guid from the same source: the same story, perhaps changed.
        if let Some(gk) = &guid_key {
            if let Some(id) = self.lookup(Kind::Guid, gk)? {
                if let Some(story) = self.load(&id)? {
                    return self.update_if_changed(story, item, full_text, print, sig, &mark);
                }
            }
        }
        // 2. The same normalized link.
        if let Some(lk) = &link_key {
            if let Some(id) = self.lookup(Kind::Link, lk.as_bytes())? {
                if let Some(story) = self.load(&id)? {
                    if story.source == self.source && story.guid == item.guid {
                        return self.update_if_changed(story, item, full_text, print, sig, &mark);
                    }
                    let copy = self.duplicate(story, &item, guid_key, None, &sig, Match::Link)?;
                    return self.kill_by_copy(copy, &item, &mark);
                }
            }
        }
        // 3. The same content.
        if let Some(id) = self.lookup(Kind::Print, print.as_bytes())? {
            if let Some(story) = self.load(&id)? {
                let copy =
                    self.duplicate(story, &item, guid_key, link_key, &sig, Match::Fingerprint)?;
                return self.kill_by_copy(copy, &item, &mark);
            }
        }
        // 4. The same wire story with small edits, compared with every copy of every
        // candidate story.
        if let Some(story) = self.near_duplicate(&sig, &bands)? {
            let copy =
                self.duplicate(story, &item, guid_key, link_key, &sig, Match::NearDuplicate)?;
            return self.kill_by_copy(copy, &item, &mark);
        }
        // A new story; its id is derived from the story itself so a rebuilt store (or a
        // crash that lost its index record) gives the same id.
        let id = story_id(
            self.source,
            item.guid.as_deref(),
            link_key.as_deref(),
            &print,
        );
        // A story is written in one batch with its record, so only an indexed id can be
        // stored already; the sled read (a page-in on a large store) is skipped otherwise.
        let indexed = self.store.index().slot(&id).is_some();
        if indexed {
            if let Some(existing) = self.load(&id)? {
                if self.record(&id)?.is_none() {
                    // Its record was damaged: index it again from the story itself.
                    let record = story_record(&existing, sig.clone());
                    self.put_record(&id, record);
                }
                return self.update_if_changed(existing, item, full_text, print, sig, &mark);
            }
        }
        let source_time = lifecycle::source_time(&item);
        let mut story = Story {
            id: id.clone(),
            source: self.source.to_string(),
            sources: vec![self.source.to_string()],
            guid: item.guid.clone(),
            link: item.link.as_ref().map(|l| l.to_string()),
            alternates: Vec::new(),
            title: item.title,
            summary_html: item.summary_html,
            content_html: item.content_html,
            content_text: full_text,
            authors: item.authors,
            categories: item.categories,
            image: item.image,
            enclosures: item.enclosures,
            lang: item.lang,
            // Atom entries often carry only <updated>: it is the best date they give.
            published: item.published.or(item.updated),
            first_seen: self.now,
            // Until the story changes in our store, its own date is its last change.
            updated: item
                .updated
                .or(item.published)
                .unwrap_or(self.now)
                .min(self.now),
            version: 1,
            status: StoryStatus::Active,
            seen_guids: Vec::new(),
            tags: self.tags.to_vec(),
            fingerprint: print.clone(),
            urgency: item.wire.as_ref().and_then(|w| w.urgency),
            wire: item.wire,
            life: None,
        };
        lifecycle::new_story(&mut story, source_time, &mark, self.now);
        let record = Record {
            date: date_ms(story.date()),
            guids: guid_key.into_iter().collect(),
            links: link_key.into_iter().collect(),
            prints: vec![print],
            sigs: if sig.shingles > 0 {
                vec![sig]
            } else {
                Vec::new()
            },
        };
        // Indexed at once so later items of this call find it.
        self.put_record(&id, record);
        if story.withdrawal().is_some() {
            self.store.note_withdrawal(&story)?;
        }
        self.write_story(story);
        Ok(Outcome::New(id))
    }

    /// The story a near-duplicate belongs to. When it matches copies of several stories,
    /// they were copies of one story all along that no copy had joined yet: they are merged
    /// into the one seen first, so the result does not depend on the order of arrival.
    fn near_duplicate(&mut self, sig: &Signature, bands: &[u64]) -> Result<Option<Story>> {
        if bands.is_empty() {
            return Ok(None);
        }
        let mut matched: Vec<(u64, String)> = {
            let index = self.store.index();
            let candidates = index.candidates(bands);
            self.report.candidates.push(candidates.len() as u32);
            candidates
                .into_iter()
                .filter(|&slot| {
                    index.sigs(slot).any(|copy| {
                        dedup::is_near_duplicate_ref(sig.view(), copy, &self.store.near_dup)
                    })
                })
                .filter_map(|slot| Some((index.seq_of(slot), index.id(slot)?)))
                .collect()
        };
        matched.sort_unstable();
        let Some((_, keeper)) = matched.first().cloned() else {
            return Ok(None);
        };
        for (_, other) in &matched[1..] {
            self.merge(&keeper, other)?;
        }
        self.load(&keeper)
    }

    /// Folds story `other` into `keeper`: its links become alternates, its sources, guids,
    /// keys and signatures the keeper's; `other` leaves the store in the same batch.
    fn merge(&mut self, keeper: &str, other: &str) -> Result<()> {
        let (Some(mut story), Some(gone)) = (self.load(keeper)?, self.load(other)?) else {
            return Ok(());
        };
        let (Some(mut record), Some(gone_record)) = (self.record(keeper)?, self.record(other)?)
        else {
            return Ok(());
        };
        for link in gone.link.iter().chain(&gone.alternates) {
            if story.link.as_deref() != Some(link.as_str()) && !story.alternates.contains(link) {
                story.alternates.push(link.clone());
            }
        }
        for source in &gone.sources {
            if !story.sources.contains(source) {
                story.sources.push(source.clone());
            }
        }
        for tag in &gone.tags {
            if !story.tags.contains(tag) {
                story.tags.push(tag.clone());
            }
        }
        let gone_guid = gone.guid.iter().map(|g| (gone.source.clone(), g.clone()));
        for seen in gone_guid.chain(gone.seen_guids.iter().cloned()) {
            if !story.seen_guids.contains(&seen) {
                story.seen_guids.push(seen);
            }
        }
        for g in &gone_record.guids {
            record.add(Kind::Guid, g);
        }
        for l in &gone_record.links {
            record.add(Kind::Link, l.as_bytes());
        }
        for p in &gone_record.prints {
            record.add(Kind::Print, p.as_bytes());
        }
        for sig in &gone_record.sigs {
            record.add_sig(sig);
        }
        let gone_seq = {
            let mut index = self.store.index();
            let gone_seq = index.seq(other);
            index.remove(other, Some(&gone_record));
            if let Some(slot) = index.slot(keeper) {
                for (kind, key) in gone_record
                    .guids
                    .iter()
                    .map(|g| (Kind::Guid, g.as_slice()))
                    .chain(gone_record.links.iter().map(|l| (Kind::Link, l.as_bytes())))
                    .chain(
                        gone_record
                            .prints
                            .iter()
                            .map(|p| (Kind::Print, p.as_bytes())),
                    )
                {
                    index.add_key(slot, kind, key);
                }
                index.set_sigs(slot, &record.sigs);
            }
            gone_seq
        };
        if let Some(seq) = gone_seq {
            self.batch.remove(&story_key(seq)[..]);
            self.batch.remove(&record_key(seq)[..]);
        }
        self.pending_stories.remove(other);
        self.pending_records.remove(other);
        self.write_record(keeper, record);
        self.write_story(story);
        self.report.merged += 1;
        Ok(())
    }

    fn update_if_changed(
        &mut self,
        mut story: Story,
        item: Item,
        full_text: Option<String>,
        print: String,
        sig: Signature,
        mark: &crate::lifecycle::Mark,
    ) -> Result<Outcome> {
        let id = story.id.clone();
        // Versions, corrections and withdrawals first: a kill notice may carry the very
        // text it kills, and an older version must not overwrite a newer one.
        let (correction, reinstated, newer) =
            match lifecycle::before_update(&mut story, &item, mark, self.source, self.now) {
                lifecycle::Step::Done { withdrawn: false } => return Ok(Outcome::Unchanged(id)),
                lifecycle::Step::Done { withdrawn: true } => {
                    self.store.note_withdrawal(&story)?;
                    self.write_story(story);
                    return Ok(Outcome::Updated(id));
                }
                lifecycle::Step::Replace {
                    correction,
                    reinstated,
                    newer,
                } => (correction, reinstated, newer),
            };
        // Only the story's own source may change its content; another source's copy of the
        // same guid or link is just another sighting.
        if story.source != self.source || (story.fingerprint == print && !reinstated && !newer) {
            return Ok(Outcome::Unchanged(id));
        }
        let source_time = lifecycle::source_time(&item);
        story.title = item.title;
        story.summary_html = item.summary_html;
        story.content_html = item.content_html.or(story.content_html.take());
        if full_text.is_some() {
            story.content_text = full_text;
        }
        if !item.authors.is_empty() {
            story.authors = item.authors;
        }
        if !item.categories.is_empty() {
            story.categories = item.categories;
        }
        if item.image.is_some() {
            story.image = item.image;
        }
        if !item.enclosures.is_empty() {
            story.enclosures = item.enclosures;
        }
        if item.published.is_some() {
            story.published = item.published;
        }
        if let Some(wire) = item.wire {
            story.urgency = wire.urgency;
            story.wire = Some(wire);
        }
        story.updated = self.now;
        story.version += 1;
        story.status = StoryStatus::Active;
        lifecycle::after_update(&mut story, source_time, correction);
        if reinstated {
            self.store.note_withdrawal(&story)?;
        }
        // The old fingerprint keeps pointing here, as before: a copy of the old text is
        // still this story.
        story.fingerprint = print.clone();
        if let Some(mut record) = self.record(&id)? {
            record.add(Kind::Print, print.as_bytes());
            record.date = date_ms(story.date());
            // The kept copy's signature is refreshed: copies of the new text must find it.
            if sig.shingles > 0 {
                match record.sigs.first_mut() {
                    Some(own) => *own = sig,
                    None => record.sigs.push(sig),
                }
            }
            {
                let mut index = self.store.index();
                if let Some(slot) = index.slot(&id) {
                    index.set_date(slot, record.date);
                    index.add_key(slot, Kind::Print, print.as_bytes());
                    index.set_sigs(slot, &record.sigs);
                }
            }
            self.write_record(&id, record);
        }
        self.write_story(story);
        Ok(Outcome::Updated(id))
    }

    fn duplicate(
        &mut self,
        mut story: Story,
        item: &Item,
        guid_key: Option<Vec<u8>>,
        link_key: Option<String>,
        sig: &Signature,
        by: Match,
    ) -> Result<Outcome> {
        let id = story.id.clone();
        let mut changed = false;
        if let Some(link) = &item.link {
            let link = link.to_string();
            if story.link.as_deref() != Some(link.as_str()) && !story.alternates.contains(&link) {
                story.alternates.push(link);
                changed = true;
            }
        }
        if !story.sources.iter().any(|s| s == self.source) {
            story.sources.push(self.source.to_string());
            for tag in self.tags {
                if !story.tags.contains(tag) {
                    story.tags.push(tag.clone());
                }
            }
            changed = true;
        }
        let mut keys: Vec<(Kind, &[u8])> = Vec::with_capacity(2);
        if let Some(gk) = &guid_key {
            if let Some(guid) = &item.guid {
                let seen = (self.source.to_string(), guid.clone());
                if story.source != self.source && !story.seen_guids.contains(&seen) {
                    story.seen_guids.push(seen);
                    changed = true;
                }
            }
            keys.push((Kind::Guid, gk));
        }
        if let Some(lk) = &link_key {
            keys.push((Kind::Link, lk.as_bytes()));
        }
        // Every copy's signature joins the story, so a later copy is compared with all of
        // them (a chain of edits merges whatever the order).
        self.add_keys(&id, &keys, Some(sig))?;
        if changed {
            self.write_story(story);
        }
        Ok(Outcome::Duplicate { of: id, by })
    }

    /// Applies the batch: stories and their index records at once.
    fn commit_batch(&mut self) -> Result<()> {
        if self.batch_items == 0 && self.pending_records.is_empty() {
            return Ok(());
        }
        self.store
            .stories
            .apply_batch(std::mem::take(&mut self.batch))?;
        self.pending_stories.clear();
        self.pending_records.clear();
        self.batch_items = 0;
        Ok(())
    }
}

/// An index record rebuilt from a stored story (its own keys and those of the copies it
/// records), with the signature of the text it was just seen with.
fn story_record(story: &Story, sig: Signature) -> Record {
    let mut guids: Vec<Vec<u8>> = story
        .guid
        .iter()
        .map(|g| guid_key(&story.source, g))
        .collect();
    guids.extend(story.seen_guids.iter().map(|(s, g)| guid_key(s, g)));
    let links = story
        .link
        .iter()
        .chain(story.alternates.iter())
        .filter_map(|l| url::Url::parse(l).ok())
        .map(|u| dedup::normalize_link(&u))
        .collect();
    Record {
        date: date_ms(story.date()),
        guids,
        links,
        prints: vec![story.fingerprint.clone()],
        sigs: vec![sig],
    }
}

/// Key spaces of the `stories` tree: stories, then their index records.
const STORY_SPACE: u8 = 0;
const RECORD_SPACE: u8 = 1;
/// Story ids are 32 hex characters (see `story_id`); a record value starts with one.
const ID_LEN: usize = 32;

fn story_key(seq: u64) -> [u8; 9] {
    space_key(STORY_SPACE, seq)
}

fn record_key(seq: u64) -> [u8; 9] {
    space_key(RECORD_SPACE, seq)
}

fn space_key(space: u8, seq: u64) -> [u8; 9] {
    let mut k = [space; 9];
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

fn record_value(id: &str, record: &Record) -> Vec<u8> {
    let mut v = Vec::with_capacity(ID_LEN + 256);
    v.extend_from_slice(id.as_bytes());
    v.extend_from_slice(&record.encode());
    v
}

fn guid_key(source: &str, guid: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(source.len() + 1 + guid.len());
    k.extend_from_slice(source.as_bytes());
    k.push(0);
    k.extend_from_slice(guid.as_bytes());
    k
}

/// A date as a sortable number: milliseconds, offset so dates before 1970 still sort.
fn date_ms(date: DateTime<Utc>) -> u64 {
    (date.timestamp_millis() as i128 + (1i128 << 62)).clamp(0, u64::MAX as i128) as u64
}

/// 32 hex chars of blake3.
fn short_hash(s: &str) -> String {
    let hash = blake3::hash(s.as_bytes());
    hash.to_hex()[..32].to_string()
}

/// The id of a new story: from its source guid, else its normalized link, else its content.
pub fn story_id(source: &str, guid: Option<&str>, link: Option<&str>, print: &str) -> StoryId {
    match (guid, link) {
        (Some(g), _) => short_hash(&format!("guid:{source}\0{g}")),
        (None, Some(l)) => short_hash(&format!("link:{l}")),
        (None, None) => short_hash(&format!("print:{print}")),
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("our records always serialize: plain data, string keys")
}

fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8], tree: &'static str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Record { tree, source })
}

fn is_lock_error(err: &std::io::Error) -> bool {
    err.kind() == std::io::ErrorKind::WouldBlock
        || err.to_string().contains("lock")
        || err.raw_os_error() == Some(libc::EWOULDBLOCK)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "Der Bundesrat hat am Freitag die umstrittene Pflegereform gebilligt. \
        Die Länderkammer stimmte mit breiter Mehrheit für das Gesetz, das höhere Beiträge \
        und mehr Geld für pflegende Angehörige vorsieht. Gesundheitsminister Beispiel sprach \
        von einem wichtigen Schritt für Millionen Familien. Kritik kam von den Sozialverbänden, \
        denen die Entlastung nicht weit genug geht. Die Reform soll im Sommer in Kraft treten \
        und bis zum Ende des Jahrzehnts schrittweise ausgebaut werden, teilte das Ministerium \
        in Berlin mit. Die Opposition kündigte an, weiter für eine Vollversicherung zu werben.";

    fn item(guid: &str, link: &str, title: &str, text: &str) -> Incoming {
        let item = Item {
            guid: Some(guid.to_string()),
            link: url::Url::parse(link).ok(),
            title: title.to_string(),
            content_html: Some(format!("<p>{text}</p>")),
            ..Item::default()
        };
        Incoming::new(item, None)
    }

    fn one(store: &Store, source: &str, incoming: Incoming) -> Outcome {
        let report = store
            .ingest(source, &[], vec![incoming], Utc::now())
            .expect("ingest");
        report.outcomes.into_iter().next().expect("one outcome")
    }

    #[test]
    fn duplicates_are_found_after_reopening_the_store() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store");
        let cfg = NearDupConfig::default();
        let first = {
            let store = Store::open(&path, cfg.clone()).expect("open");
            let outcome = one(
                &store,
                "a",
                item(
                    "g1",
                    "https://a.example/pflege",
                    "Bundesrat billigt Pflegereform",
                    TEXT,
                ),
            );
            let Outcome::New(id) = outcome else {
                panic!("not new: {outcome:?}")
            };
            store.flush().expect("flush");
            id
        };
        let store = Store::open(&path, cfg).expect("reopen");
        assert_eq!(store.story_count(), 1);
        let by_guid = one(
            &store,
            "a",
            item(
                "g1",
                "https://a.example/other",
                "Bundesrat billigt Pflegereform",
                TEXT,
            ),
        );
        assert_eq!(by_guid, Outcome::Unchanged(first.clone()));
        let by_link = one(
            &store,
            "b",
            item(
                "b1",
                "https://www.a.example/pflege?utm_source=x",
                "Anders",
                "anders",
            ),
        );
        assert_eq!(
            by_link,
            Outcome::Duplicate {
                of: first.clone(),
                by: Match::Link
            }
        );
        let by_print = one(
            &store,
            "c",
            item(
                "c1",
                "https://c.example/1",
                "Bundesrat billigt Pflegereform",
                TEXT,
            ),
        );
        assert_eq!(
            by_print,
            Outcome::Duplicate {
                of: first.clone(),
                by: Match::Fingerprint
            }
        );
        let near = one(
            &store,
            "d",
            item(
                "d1",
                "https://d.example/1",
                "Bundesrat billigt Pflegereform | Kurier",
                &format!("Von Anna Beispiel\nBerlin (AFP) - {TEXT}\n© dpa-infocom"),
            ),
        );
        assert_eq!(
            near,
            Outcome::Duplicate {
                of: first.clone(),
                by: Match::NearDuplicate
            }
        );
        // Keys recorded by duplicates are found after another reopen, and the public
        // lookups agree.
        drop(store);
        let store = Store::open(&path, NearDupConfig::default()).expect("reopen again");
        let again = one(
            &store,
            "d",
            item("d1", "https://d.example/1", "Anders", "ganz anders"),
        );
        // Another source's guid recorded by a duplicate: a sighting of the same story.
        assert_eq!(again, Outcome::Unchanged(first.clone()));
        let link = url::Url::parse("https://c.example/1").expect("url");
        let story = store.story_by_link(&link).expect("lookup").expect("story");
        assert_eq!(story.id, first);
        assert_eq!(story.sources, ["a", "b", "c", "d"]);
        let newest: Vec<String> = store
            .stories_newest_first()
            .map(|s| s.expect("story").id)
            .collect();
        assert_eq!(newest, [first]);
        assert_eq!(
            store
                .expire(Utc::now() + chrono::Duration::days(1))
                .expect("expire"),
            1
        );
        assert!(store.story_by_link(&link).expect("lookup").is_none());
        assert_eq!(store.stories_newest_first().count(), 0);
    }

    #[test]
    fn a_story_whose_index_record_is_damaged_is_recognised_by_id_and_indexed_again() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store");
        let text = "Ein Text über die Pflegereform";
        let id = {
            let store = Store::open(&path, NearDupConfig::default()).expect("open");
            let outcome = one(
                &store,
                "a",
                item("g1", "https://a.example/1", "Titel", text),
            );
            let Outcome::New(id) = outcome else {
                panic!("not new: {outcome:?}")
            };
            let seq = store.index().seq(&id).expect("indexed");
            let damaged = [id.as_bytes(), b"damaged"].concat();
            store
                .stories
                .insert(record_key(seq), damaged)
                .expect("damage record");
            store.flush().expect("flush");
            id
        };
        let store = Store::open(&path, NearDupConfig::default()).expect("reopen");
        let again = one(
            &store,
            "a",
            item("g1", "https://a.example/1", "Titel", text),
        );
        assert_eq!(again, Outcome::Unchanged(id.clone()));
        assert_eq!(store.story_count(), 1);
        let copy = one(
            &store,
            "b",
            item("b1", "https://a.example/1", "Anders", "anders"),
        );
        assert_eq!(
            copy,
            Outcome::Duplicate {
                of: id,
                by: Match::Link
            }
        );
    }

    #[test]
    fn a_store_of_the_old_layout_is_refused() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("store");
        {
            let store = Store::open(&path, NearDupConfig::default()).expect("open");
            let meta = store.db.open_tree("meta").expect("meta");
            meta.insert("schema", &b"1"[..]).expect("old schema");
            store.flush().expect("flush");
        }
        match Store::open(&path, NearDupConfig::default()) {
            Err(e @ StoreError::Schema { .. }) => {
                assert!(
                    e.to_string().contains("schema 1, this version reads 3"),
                    "{e}"
                )
            }
            Err(other) => panic!("wrong error: {other}"),
            Ok(_) => panic!("an old store was opened"),
        }
    }
}
