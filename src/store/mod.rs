//! Store stage: the sled database that keeps every story once, the per-source poll state
//! and the teasers, behind a small API of our own.
//!
//! Layout (one sled tree each):
//! - `stories`: story id → `Story` (JSON, so records written by older versions still read);
//! - `guids`: `source \0 guid` → story id; `links`: normalized link → story id;
//!   `prints`: content fingerprint → story id; `sigs`: story id → near-duplicate signature
//!   (the LSH band index over them lives in memory, see `bands`); `dates`: date (ms,
//!   big-endian) ‖ id → ();
//! - `sources`: source id → `SourceState`; `teasers`: teaser id → `TeaserRecord`;
//! - `meta`: the schema version.
//!
//! Crash safety: sled batches are atomic per tree, not across trees. Writes go story first,
//! indexes after, source state (validators) last; story ids are derived from the story
//! itself, so an item whose index entries were lost in a crash is recognised again by its
//! id and never stored twice. Durability is `flush()`, called before publishing and
//! before exit, never per item.

mod bands;
pub mod dedup;

use crate::model::{Item, Story, StoryId, StoryStatus, Teaser, TeaserRecord};
use crate::text::html_to_text;
use chrono::{DateTime, Utc};
use dedup::{NearDupConfig, Signature};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// Bumped when the on-disk layout changes incompatibly.
pub const SCHEMA_VERSION: u32 = 1;

/// Pages remembered per teaser; the count goes on past it.
const TEASER_PAGES_KEPT: usize = 50;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("store {path} is locked by another running wirefeed (sled admits one process); stop it or wait for it to finish")]
    Locked { path: PathBuf },
    #[error("store {path} cannot be opened: {source}")]
    Open { path: PathBuf, source: sled::Error },
    #[error("store {path} was written by an incompatible wirefeed (schema {found}, this version reads {SCHEMA_VERSION}); move it aside and let wirefeed rebuild it from the sources")]
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
    prepared: Option<Prepared>,
}

/// The dedup keys of an item: pure CPU work, done before the store's ordered pass.
#[derive(Debug, Clone)]
struct Prepared {
    print: String,
    sig: Signature,
}

impl Incoming {
    pub fn new(item: Item, full_text: Option<String>) -> Incoming {
        Incoming {
            item,
            full_text,
            prepared: None,
        }
    }

    /// Computes the fingerprint and near-duplicate signature now, so that many items can be
    /// prepared in parallel while `Store::ingest` runs one source at a time.
    pub fn prepare(&mut self) {
        if self.prepared.is_some() {
            return;
        }
        let text = self.dedup_text();
        self.prepared = Some(Prepared {
            print: dedup::fingerprint(&self.item.title, &text),
            sig: dedup::signature(&self.item.title, &text),
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
    stories: sled::Tree,
    guids: sled::Tree,
    links: sled::Tree,
    prints: sled::Tree,
    sigs: sled::Tree,
    dates: sled::Tree,
    sources: sled::Tree,
    teasers: sled::Tree,
    near_dup: NearDupConfig,
    bands: std::sync::Mutex<bands::BandIndex>,
    /// Hashes of every guid, link and fingerprint key in the store. Most items of a poll are
    /// new, and a miss here answers without a sled read (which, on a store larger than
    /// sled's cache, pages nodes in from disk).
    known: std::sync::Mutex<std::collections::HashSet<u64>>,
}

/// Hash of an index key for `Store::known`; a collision only costs one sled read.
fn key_hash(tree: &str, key: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    tree.hash(&mut h);
    key.hash(&mut h);
    h.finish()
}

impl Store {
    /// Opens (or creates) the store at `path`, taking its lock.
    pub fn open(path: &Path, near_dup: NearDupConfig) -> Result<Store> {
        let db = sled::Config::new()
            .path(path)
            .cache_capacity(32 * 1024 * 1024)
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
        // Band keys of an older layout are not needed: the index is rebuilt from signatures.
        let _ = db.drop_tree("bands");
        let sigs = db.open_tree("sigs")?;
        let mut index = bands::BandIndex::default();
        for entry in sigs.iter() {
            let (id, sig) = entry?;
            if let Some(sig) = decode_signature(&sig) {
                index.insert(&String::from_utf8_lossy(&id), &dedup::band_keys(&sig));
            }
        }
        let mut known = std::collections::HashSet::new();
        for (name, prefix) in [("guids", "g:"), ("links", "l:"), ("prints", "p:")] {
            for key in db.open_tree(name)?.iter().keys() {
                known.insert(key_hash(prefix, &key?));
            }
        }
        Ok(Store {
            path: path.to_path_buf(),
            stories: db.open_tree("stories")?,
            guids: db.open_tree("guids")?,
            links: db.open_tree("links")?,
            prints: db.open_tree("prints")?,
            sigs,
            dates: db.open_tree("dates")?,
            sources: db.open_tree("sources")?,
            teasers: db.open_tree("teasers")?,
            db,
            near_dup,
            bands: std::sync::Mutex::new(index),
            known: std::sync::Mutex::new(known),
        })
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

    pub fn story_count(&self) -> usize {
        self.stories.len()
    }

    pub fn story(&self, id: &str) -> Result<Option<Story>> {
        self.stories
            .get(id)?
            .map(|v| decode(&v, "stories"))
            .transpose()
    }

    /// The story a (normalized) link belongs to, if any.
    pub fn story_by_link(&self, url: &url::Url) -> Result<Option<Story>> {
        match self.links.get(dedup::normalize_link(url))? {
            Some(id) => self.story(&String::from_utf8_lossy(&id)),
            None => Ok(None),
        }
    }

    /// Does the store already hold this item (same source guid, or same normalized link)?
    /// Used to fetch article pages only for stories that are new.
    pub fn is_known(&self, source: &str, item: &Item) -> Result<bool> {
        if let Some(guid) = &item.guid {
            let key = guid_key(source, guid);
            if self.may_hold("g:", &key) && self.guids.contains_key(key)? {
                return Ok(true);
            }
        }
        match &item.link {
            Some(link) => {
                let key = dedup::normalize_link(link);
                Ok(self.may_hold("l:", key.as_bytes()) && self.links.contains_key(key)?)
            }
            None => Ok(false),
        }
    }

    fn may_hold(&self, tree: &str, key: &[u8]) -> bool {
        self.known
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .contains(&key_hash(tree, key))
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
            pending_keys: HashMap::new(),
            pending_stories: HashMap::new(),
            pending_sigs: HashMap::new(),
            report: IngestReport::default(),
            stories: sled::Batch::default(),
            guids: sled::Batch::default(),
            links: sled::Batch::default(),
            prints: sled::Batch::default(),
            sigs: sled::Batch::default(),
            dates: sled::Batch::default(),
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
        }
        ingest.commit()
    }

    /// Active stories newest first (by their date), for curation.
    pub fn stories_newest_first(&self) -> impl Iterator<Item = Result<Story>> + '_ {
        self.dates.iter().rev().filter_map(move |entry| {
            let (key, _) = match entry {
                Ok(kv) => kv,
                Err(e) => return Some(Err(e.into())),
            };
            let id = String::from_utf8_lossy(&key[8..]).into_owned();
            match self.story(&id) {
                Ok(Some(story)) => Some(Ok(story)),
                Ok(None) => None,
                Err(e) => Some(Err(e)),
            }
        })
    }

    /// Removes stories whose date is before `cutoff`, with all their index entries.
    /// Returns how many were removed.
    pub fn expire(&self, cutoff: DateTime<Utc>) -> Result<usize> {
        let end = date_key(cutoff, "");
        let mut removed = 0;
        let old: Vec<sled::IVec> = self
            .dates
            .range(..end)
            .keys()
            .collect::<std::result::Result<_, _>>()?;
        for key in old {
            let id = String::from_utf8_lossy(&key[8..]).into_owned();
            if let Some(story) = self.story(&id)? {
                self.remove_indexes(&story)?;
                self.stories.remove(id.as_bytes())?;
                removed += 1;
            }
            self.dates.remove(key)?;
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

    fn remove_indexes(&self, story: &Story) -> Result<()> {
        if let Some(guid) = &story.guid {
            self.guids.remove(guid_key(&story.source, guid))?;
        }
        for link in story.link.iter().chain(story.alternates.iter()) {
            if let Ok(url) = url::Url::parse(link) {
                let key = dedup::normalize_link(&url);
                if self
                    .links
                    .get(&key)?
                    .is_some_and(|v| v == story.id.as_bytes())
                {
                    self.links.remove(key)?;
                }
            }
        }
        if self
            .prints
            .get(&story.fingerprint)?
            .is_some_and(|v| v == story.id.as_bytes())
        {
            self.prints.remove(story.fingerprint.as_bytes())?;
        }
        self.sigs.remove(story.id.as_bytes())?;
        self.bands
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(&story.id);
        // Guids of other sources that carried the story point at it too.
        for (source, guid) in &story.seen_guids {
            self.guids.remove(guid_key(source, guid))?;
        }
        Ok(())
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
        for teaser in teasers {
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
                Some(link) => self.links.get(dedup::normalize_link(link))?,
                None => None,
            }
            .map(|v| String::from_utf8_lossy(&v).into_owned());
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
                    }
                }
            };
            record.last_seen = now;
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

    /// Stores the full text and extracted fields of a story's article page, without touching
    /// its identity (id, guid, link, dedup indexes).
    pub fn enrich(
        &self,
        id: &str,
        article: &crate::model::Article,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let Some(mut story) = self.story(id)? else {
            return Ok(false);
        };
        let before = story.clone();
        if !article.body_html.trim().is_empty() {
            story.content_html = Some(article.body_html.clone());
            story.content_text = Some(article.body_text.clone());
        }
        if story.image.is_none() || article.image.as_ref().is_some_and(|i| i.credit.is_some()) {
            if let Some(image) = &article.image {
                story.image = Some(image.clone());
            }
        }
        if story.authors.is_empty() {
            if let Some(byline) = &article.byline {
                story.authors = vec![byline.clone()];
            }
        }
        if story.lang.is_none() {
            story.lang = article.lang.clone();
        }
        if story == before {
            return Ok(false);
        }
        story.updated = now;
        self.stories.insert(id.as_bytes(), encode(&story))?;
        Ok(true)
    }
}

/// One ingest call: lookups see the store plus what this call already decided, and every
/// write goes into per-tree batches applied at the end.
struct Ingest<'s> {
    store: &'s Store,
    source: &'s str,
    tags: &'s [String],
    now: DateTime<Utc>,
    /// Index keys written by this call (guid/link/print keys, tree-prefixed) → story id.
    pending_keys: HashMap<String, StoryId>,
    pending_stories: HashMap<StoryId, Story>,
    pending_sigs: HashMap<StoryId, Signature>,
    report: IngestReport,
    stories: sled::Batch,
    guids: sled::Batch,
    links: sled::Batch,
    prints: sled::Batch,
    sigs: sled::Batch,
    dates: sled::Batch,
}

impl Ingest<'_> {
    fn lookup(&self, tree: &sled::Tree, prefix: &str, key: &[u8]) -> Result<Option<StoryId>> {
        let pending = format!("{prefix}{}", String::from_utf8_lossy(key));
        if let Some(id) = self.pending_keys.get(&pending) {
            return Ok(Some(id.clone()));
        }
        if !self.store.may_hold(prefix, key) {
            return Ok(None);
        }
        Ok(tree
            .get(key)?
            .map(|v| String::from_utf8_lossy(&v).into_owned()))
    }

    fn load(&self, id: &str) -> Result<Option<Story>> {
        if let Some(s) = self.pending_stories.get(id) {
            return Ok(Some(s.clone()));
        }
        self.store.story(id)
    }

    fn one(&mut self, incoming: Incoming) -> Result<Outcome> {
        let mut incoming = incoming;
        incoming.prepare();
        let Incoming {
            item,
            full_text,
            prepared,
        } = incoming;
        let Prepared { print, sig } = prepared.expect("prepare() just ran");
        let store = self.store;
        let guid_key = item.guid.as_deref().map(|g| guid_key(self.source, g));
        let link_key = item.link.as_ref().map(dedup::normalize_link);

        // 1. The same guid from the same source: the same story, perhaps changed.
        if let Some(gk) = &guid_key {
            if let Some(id) = self.lookup(&store.guids, "g:", gk)? {
                if let Some(story) = self.load(&id)? {
                    return self.update_if_changed(story, item, full_text, print);
                }
            }
        }
        // 2. The same normalized link.
        if let Some(lk) = &link_key {
            if let Some(id) = self.lookup(&store.links, "l:", lk.as_bytes())? {
                if let Some(story) = self.load(&id)? {
                    if story.source == self.source && story.guid == item.guid {
                        return self.update_if_changed(story, item, full_text, print);
                    }
                    return self.duplicate(story, &item, guid_key, None, Match::Link);
                }
            }
        }
        // 3. The same content.
        if let Some(id) = self.lookup(&store.prints, "p:", print.as_bytes())? {
            if let Some(story) = self.load(&id)? {
                return self.duplicate(story, &item, guid_key, link_key, Match::Fingerprint);
            }
        }
        // 4. The same wire story with small edits.
        if let Some(story) = self.near_duplicate(&sig)? {
            return self.duplicate(story, &item, guid_key, link_key, Match::NearDuplicate);
        }
        // A new story; its id is derived from the story itself so a rebuilt store (or a
        // crash that lost index entries) gives the same id.
        let id = story_id(
            self.source,
            item.guid.as_deref(),
            link_key.as_deref(),
            &print,
        );
        if let Some(existing) = self.load(&id)? {
            return self.update_if_changed(existing, item, full_text, print);
        }
        let story = Story {
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
            urgency: None,
            seen_guids: Vec::new(),
            tags: self.tags.to_vec(),
            fingerprint: print.clone(),
        };
        if let Some(gk) = guid_key {
            self.pending_keys
                .insert(format!("g:{}", String::from_utf8_lossy(&gk)), id.clone());
            self.guids.insert(gk, id.as_bytes());
        }
        if let Some(lk) = link_key {
            self.pending_keys.insert(format!("l:{lk}"), id.clone());
            self.links.insert(lk.as_bytes(), id.as_bytes());
        }
        self.pending_keys.insert(format!("p:{print}"), id.clone());
        self.prints.insert(print.as_bytes(), id.as_bytes());
        // Indexed at once so later items of this call find it; its signature stays in
        // `pending_sigs` until the batches are applied.
        self.store
            .bands
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert(&id, &dedup::band_keys(&sig));
        self.sigs.insert(id.as_bytes(), encode_signature(&sig));
        self.pending_sigs.insert(id.clone(), sig);
        self.dates.insert(date_key(story.date(), &id), &[]);
        self.stories.insert(id.as_bytes(), encode(&story));
        self.pending_stories.insert(id.clone(), story);
        Ok(Outcome::New(id))
    }

    fn near_duplicate(&self, sig: &Signature) -> Result<Option<Story>> {
        let bands = dedup::band_keys(sig);
        if bands.is_empty() {
            return Ok(None);
        }
        let candidates: Vec<String> = {
            let index = self.store.bands.lock().unwrap_or_else(|p| p.into_inner());
            index
                .candidates(&bands)
                .into_iter()
                .map(str::to_string)
                .collect()
        };
        for id in candidates {
            let other = match self.pending_sigs.get(&id) {
                Some(sig) => sig.clone(),
                None => match self
                    .store
                    .sigs
                    .get(id.as_bytes())?
                    .as_deref()
                    .and_then(decode_signature)
                {
                    Some(sig) => sig,
                    None => continue,
                },
            };
            if dedup::is_near_duplicate(sig, &other, &self.store.near_dup) {
                return self.load(&id);
            }
        }
        Ok(None)
    }

    fn update_if_changed(
        &mut self,
        mut story: Story,
        item: Item,
        full_text: Option<String>,
        print: String,
    ) -> Result<Outcome> {
        let id = story.id.clone();
        // Only the story's own source may change its content; another source's copy of the
        // same guid or link is just another sighting.
        if story.source != self.source || story.fingerprint == print {
            return Ok(Outcome::Unchanged(id));
        }
        let old_date = story.date();
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
        if item.published.is_some() {
            story.published = item.published;
        }
        story.updated = self.now;
        story.version += 1;
        story.status = StoryStatus::Active;
        if story.fingerprint != print {
            self.prints.insert(print.as_bytes(), id.as_bytes());
            self.pending_keys.insert(format!("p:{print}"), id.clone());
        }
        story.fingerprint = print;
        if story.date() != old_date {
            self.dates.remove(date_key(old_date, &id));
            self.dates.insert(date_key(story.date(), &id), &[]);
        }
        self.stories.insert(id.as_bytes(), encode(&story));
        self.pending_stories.insert(id.clone(), story);
        Ok(Outcome::Updated(id))
    }

    fn duplicate(
        &mut self,
        mut story: Story,
        item: &Item,
        guid_key: Option<Vec<u8>>,
        link_key: Option<String>,
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
        if let Some(gk) = guid_key {
            if let Some(guid) = &item.guid {
                let seen = (self.source.to_string(), guid.clone());
                if story.source != self.source && !story.seen_guids.contains(&seen) {
                    story.seen_guids.push(seen);
                    changed = true;
                }
            }
            self.pending_keys
                .insert(format!("g:{}", String::from_utf8_lossy(&gk)), id.clone());
            self.guids.insert(gk, id.as_bytes());
        }
        if let Some(lk) = link_key {
            self.pending_keys.insert(format!("l:{lk}"), id.clone());
            self.links.insert(lk.as_bytes(), id.as_bytes());
        }
        if changed {
            self.stories.insert(id.as_bytes(), encode(&story));
            self.pending_stories.insert(id.clone(), story);
        }
        Ok(Outcome::Duplicate { of: id, by })
    }

    /// Applies the batches: stories first, then the indexes that point at them.
    fn commit(self) -> Result<IngestReport> {
        let s = self.store;
        s.stories.apply_batch(self.stories)?;
        s.dates.apply_batch(self.dates)?;
        s.sigs.apply_batch(self.sigs)?;

        s.prints.apply_batch(self.prints)?;
        s.links.apply_batch(self.links)?;
        s.guids.apply_batch(self.guids)?;
        let mut known = s.known.lock().unwrap_or_else(|p| p.into_inner());
        for key in self.pending_keys.keys() {
            let (prefix, rest) = key.split_at(2);
            known.insert(key_hash(prefix, rest.as_bytes()));
        }
        Ok(self.report)
    }
}

fn guid_key(source: &str, guid: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(source.len() + 1 + guid.len());
    k.extend_from_slice(source.as_bytes());
    k.push(0);
    k.extend_from_slice(guid.as_bytes());
    k
}

fn date_key(date: DateTime<Utc>, id: &str) -> Vec<u8> {
    // Offset so dates before 1970 still sort correctly as unsigned big-endian bytes.
    let ms = (date.timestamp_millis() as i128 + (1i128 << 62)).clamp(0, u64::MAX as i128) as u64;
    let mut k = Vec::with_capacity(8 + id.len());
    k.extend_from_slice(&ms.to_be_bytes());
    k.extend_from_slice(id.as_bytes());
    k
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

/// Signatures are read for every near-duplicate candidate, so they are kept as packed
/// little-endian u32 runs rather than JSON: `shingles, len, full…, len, lead…, len, numbers…`.
fn encode_signature(sig: &Signature) -> Vec<u8> {
    let mut out = Vec::with_capacity(4 * (4 + sig.full.len() + sig.lead.len() + sig.numbers.len()));
    out.extend_from_slice(&sig.shingles.to_le_bytes());
    for run in [&sig.full, &sig.lead, &sig.numbers] {
        out.extend_from_slice(&(run.len() as u32).to_le_bytes());
        for v in run.iter() {
            out.extend_from_slice(&v.to_le_bytes());
        }
    }
    out
}

fn decode_signature(bytes: &[u8]) -> Option<Signature> {
    let mut words = bytes
        .chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]));
    let shingles = words.next()?;
    let mut run = || -> Option<Vec<u32>> {
        let len = words.next()? as usize;
        let v: Vec<u32> = words.by_ref().take(len).collect();
        (v.len() == len).then_some(v)
    };
    let full = run()?;
    let lead = run()?;
    let numbers = run()?;
    Some(Signature {
        shingles,
        full,
        lead,
        numbers,
    })
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
