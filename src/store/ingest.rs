//! Ingest: one source's delivery matched against the store (guid, link, fingerprint,
//! near duplicate) and written in bounded, atomic batches.

use super::codec::{decode_story, encode_story, StoryDict};
use super::dedup::Signature;
use super::index::{Kind, Record};
use super::joining::{joins, StoryMatch};
use super::keys::{date_ms, guid_key, record_key, record_value, story_id, story_key};
use super::{dedup, lifecycle, IngestReport, Match, Outcome, Result, Store, BATCH_ITEMS};
use crate::lifecycle::Mark;
use crate::model::{Item, Story, StoryId, StoryStatus};
use crate::text::html_to_text;
use chrono::{DateTime, Utc};
use std::borrow::Cow;
use std::collections::HashMap;

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
    fn dedup_text(&self) -> Cow<'_, str> {
        match &self.full_text {
            Some(t) => Cow::Borrowed(t),
            None => Cow::Owned(
                self.item
                    .content_html
                    .as_deref()
                    .or(self.item.summary_html.as_deref())
                    .map(html_to_text)
                    .unwrap_or_default(),
            ),
        }
    }
}

/// Stores one delivery (see [`Store::ingest`]).
pub(super) fn run(
    store: &Store,
    source: &str,
    tags: &[String],
    items: Vec<Incoming>,
    now: DateTime<Utc>,
) -> Result<IngestReport> {
    let mut ingest = Ingest {
        store,
        source,
        tags,
        now,
        pending_stories: HashMap::new(),
        pending_records: HashMap::new(),
        sightings: HashMap::new(),
        report: IngestReport::default(),
        batch: sled::Batch::default(),
        batch_items: 0,
        notes: super::notes::NotesBatch::default(),
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
    /// Copies seen of stored stories this batch does not rewrite otherwise: applied when
    /// the batch is written (see [`Sighting`]).
    sightings: HashMap<StoryId, Vec<Sighting>>,
    report: IngestReport,
    /// Stories and index records together, so a crash keeps both or neither.
    batch: sled::Batch,
    batch_items: usize,
    /// Withdrawal notes of the batch's stories, applied in one transaction with it.
    notes: super::notes::NotesBatch,
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
        self.store.find_with(kind, key, &self.pending_records)
    }

    /// The story as this call has made it so far: a pending one, or the stored one with the
    /// copies seen of it applied.
    fn load(&self, id: &str) -> Result<Option<Story>> {
        if let Some(s) = self.pending_stories.get(id) {
            return Ok(Some(s.clone()));
        }
        let mut story = self.store.story(id)?;
        if let (Some(story), Some(seen)) = (&mut story, self.sightings.get(id)) {
            for sighting in seen {
                sighting.apply(story, self.source, self.tags);
            }
        }
        Ok(story)
    }

    /// Whether a story of this id is indexed (stored, or new in this call).
    fn indexed(&self, id: &str) -> bool {
        self.store.index().slot(id).is_some()
    }

    /// Writes a record and points its keys, signatures and bands at the story in memory.
    fn put_record(&mut self, id: &str, record: Record, bands: Option<&[u64]>) {
        self.store.index().add(id, None, &record, bands);
        self.write_record(id, record);
    }

    fn write_record(&mut self, id: &str, record: Record) {
        let seq = self.store.index().seq(id);
        if let Some(seq) = seq {
            let value = record_value(id, &record);
            self.store.wrote(value.len());
            self.batch.insert(&record_key(seq)[..], value);
        }
        self.pending_records.insert(StoryId::new(id), record);
    }

    /// Keeps a changed story for the batch; it is encoded when the batch is committed, once
    /// however often the batch changed it, and beside the next decisions (see
    /// [`encode_stories`]).
    fn write_story(&mut self, story: Story) {
        // A story written came from `load`, which applied its sightings.
        self.sightings.remove(&story.id);
        self.pending_stories.insert(story.id.clone(), story);
    }

    /// Adds keys and a copy's signature to an indexed story's record; writes it only when
    /// something was new.
    fn add_keys(
        &mut self,
        id: &str,
        keys: &[(Kind, &[u8])],
        sig: Option<(&Signature, &[u64])>,
    ) -> Result<()> {
        let Some(mut record) = self.record(id)? else {
            return Ok(());
        };
        let mut changed = false;
        for &(kind, key) in keys {
            changed |= record.add(kind, key);
        }
        let sig = sig.filter(|(s, _)| s.shingles > 0 && record.add_sig(s));
        changed |= sig.is_some();
        // The key may have pointed at another story before; it points here from now on,
        // as the sled trees' last write did.
        {
            let mut index = self.store.index();
            if let Some(slot) = index.slot(id) {
                for &(kind, key) in keys {
                    index.add_key(slot, kind, key);
                }
                if let Some((sig, bands)) = sig {
                    index.push_sig(slot, sig, bands);
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
                    let copy =
                        self.duplicate(id, &item, guid_key, None, (&sig, &bands), Match::Link)?;
                    return self.kill_by_copy(copy, &item, &mark);
                }
            }
        }
        // 3. The same content.
        if let Some(id) = self.lookup(Kind::Print, print.as_bytes())? {
            if self.indexed(&id) {
                let copy = self.duplicate(
                    id,
                    &item,
                    guid_key,
                    link_key,
                    (&sig, &bands),
                    Match::Fingerprint,
                )?;
                return self.kill_by_copy(copy, &item, &mark);
            }
        }
        // 4. The same wire story with small edits, compared with every copy of every
        // candidate story.
        if let Some(id) = self.near_duplicate(&sig, &bands)? {
            let copy = self.duplicate(
                id,
                &item,
                guid_key,
                link_key,
                (&sig, &bands),
                Match::NearDuplicate,
            )?;
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
                    self.put_record(&id, record, None);
                }
                return self.update_if_changed(existing, item, full_text, print, sig, &mark);
            }
        }
        let source_time = lifecycle::source_time(&item);
        let version = crate::lifecycle::version_key(&item);
        let mut story = Story {
            id: id.clone(),
            source: self.source.to_string(),
            sources: vec![self.source.to_string()],
            guid: item.guid.clone(),
            link: item.link.clone(),
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
        lifecycle::new_story(&mut story, source_time, version, &mark, self.now);
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
        self.put_record(&id, record, Some(&bands));
        if story.withdrawal().is_some() {
            self.store.note_withdrawal(&story, &mut self.notes)?;
        }
        self.write_story(story);
        Ok(Outcome::New(id))
    }

    /// The story a near-duplicate belongs to, or None for a new story.
    ///
    /// The item joins the stories that `joining::joins` picks among those it matches; when
    /// there are several, they were copies of one story all along and are merged into the
    /// one seen first. A teaser's match alone never merges two stories with full copies:
    /// their full copies must agree too (see `joining`), so a teaser that opens two
    /// template stories, or a full item reaching a story only through such a teaser, leaves
    /// the stories apart.
    fn near_duplicate(&mut self, sig: &Signature, bands: &[u64]) -> Result<Option<StoryId>> {
        if bands.is_empty() {
            return Ok(None);
        }
        // The item in the form the stored copies are held in: its 64 values are narrowed
        // once here, not again for every copy it is compared with.
        let mut compact = Vec::with_capacity(96);
        sig.pack_compact(&mut compact);
        let item = dedup::SigRef::unpack_compact(&compact).map_or(sig.view(), |(item, _)| item);
        let mut joined: Vec<(u64, String)> = {
            let index = self.store.index();
            let candidates = index.near_candidates(item, bands);
            self.report.candidates.push(candidates.len() as u32);
            let matched: Vec<StoryMatch> = candidates
                .into_iter()
                .filter_map(|slot| {
                    StoryMatch::of(item, slot, index.sigs(slot), &self.store.near_dup)
                })
                .collect();
            joins(&index, item, &matched, &self.store.near_dup)
                .into_iter()
                .filter_map(|slot| Some((index.seq_of(slot), index.id(slot)?)))
                .collect()
        };
        joined.sort_unstable();
        let Some((_, keeper)) = joined.first().cloned() else {
            return Ok(None);
        };
        for (_, other) in &joined[1..] {
            self.merge(&keeper, other)?;
        }
        Ok(self.indexed(&keeper).then(|| StoryId::new(keeper)))
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
            if story.link.as_ref() != Some(link) && !story.alternates.contains(link) {
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
        self.sightings.remove(other);
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
                lifecycle::Step::Keep => return Ok(Outcome::Unchanged(id)),
                lifecycle::Step::Late => {
                    self.report.late += 1;
                    self.write_story(story);
                    return Ok(Outcome::Unchanged(id));
                }
                lifecycle::Step::Withdrawn => {
                    self.store.note_withdrawal(&story, &mut self.notes)?;
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
            self.store.note_withdrawal(&story, &mut self.notes)?;
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

    /// A kill notice recognised as a copy of a story (by link, content or near-duplicate,
    /// from whichever source) withdraws it: not just another sighting, the outputs change.
    fn kill_by_copy(&mut self, copy: Outcome, item: &Item, mark: &Mark) -> Result<Outcome> {
        let Outcome::Duplicate { of, .. } = &copy else {
            return Ok(copy);
        };
        if mark.kill.is_none() {
            return Ok(copy);
        }
        let Some(mut story) = self.load(of)? else {
            return Ok(copy);
        };
        if let lifecycle::Step::Withdrawn =
            lifecycle::before_update(&mut story, item, mark, self.source, self.now)
        {
            self.store.note_withdrawal(&story, &mut self.notes)?;
            let id = story.id.clone();
            self.write_story(story);
            return Ok(Outcome::Updated(id));
        }
        Ok(copy)
    }

    /// Records `item` as a copy of story `id`: its keys and signature now, its link, source
    /// and guid in the story when the batch is written (see [`Sighting`]).
    fn duplicate(
        &mut self,
        id: StoryId,
        item: &Item,
        guid_key: Option<Vec<u8>>,
        link_key: Option<String>,
        sig: (&Signature, &[u64]),
        by: Match,
    ) -> Result<Outcome> {
        let sighting = Sighting {
            link: item.link.clone(),
            guid: item.guid.clone(),
        };
        match self.pending_stories.get_mut(&id) {
            Some(story) => {
                sighting.apply(story, self.source, self.tags);
            }
            None => self.sightings.entry(id.clone()).or_default().push(sighting),
        }
        let mut keys: Vec<(Kind, &[u8])> = Vec::with_capacity(2);
        if let Some(gk) = &guid_key {
            keys.push((Kind::Guid, gk));
        }
        if let Some(lk) = &link_key {
            keys.push((Kind::Link, lk.as_bytes()));
        }
        // Every copy's signature joins the story, so a later copy is compared with all of
        // them (a chain of edits merges whatever the order).
        self.add_keys(&id, &keys, Some(sig))?;
        Ok(Outcome::Duplicate { of: id, by })
    }

    /// Applies the batch: stories and their index records at once.
    fn commit_batch(&mut self) -> Result<()> {
        if self.batch_items == 0 && self.pending_records.is_empty() {
            return Ok(());
        }
        self.store.train_story_dict(self.pending_stories.values())?;
        let mut batch = std::mem::take(&mut self.batch);
        // Sightings of stories the batch rewrites anyway go into them here; the other
        // stories are read, changed and encoded beside the batch's own.
        let mut sighted = Vec::new();
        for (id, seen) in std::mem::take(&mut self.sightings) {
            match self.pending_stories.get_mut(&id) {
                Some(story) => {
                    for sighting in &seen {
                        sighting.apply(story, self.source, self.tags);
                    }
                }
                None => sighted.push((id, seen)),
            }
        }
        let jobs: Vec<Job> = {
            let index = self.store.index();
            let written = self
                .pending_stories
                .values()
                .filter_map(|story| Some(Job::Write(index.seq(&story.id)?, story)));
            let sighted = sighted
                .iter()
                .filter_map(|(id, seen)| Some(Job::Sighted(index.seq(id)?, seen)));
            written.chain(sighted).collect()
        };
        let sled = self.store.sled()?;
        let context = JobContext {
            stories: &sled.stories,
            dict: self.store.story_dict(),
            source: self.source,
            tags: self.tags,
        };
        for (seq, value) in run_jobs(&jobs, &context)? {
            self.store.wrote(value.len());
            batch.insert(&story_key(seq)[..], value);
        }
        drop(sled);
        let notes = std::mem::take(&mut self.notes);
        // A thread costs some 30 µs to start, freeing a story some 5 µs: a source of a
        // hundred items writes about sixty stories in its one batch.
        if self.pending_stories.len() < 16 {
            self.store.apply_with_notes(batch, notes)?;
            self.pending_stories.clear();
            self.pending_records.clear();
        } else {
            // Freeing a full batch's stories cost the store pass, the cycle's one serial
            // path, as much as deciding a tenth of them: they are freed beside the write.
            let stories = std::mem::take(&mut self.pending_stories);
            let records = std::mem::take(&mut self.pending_records);
            std::thread::scope(|scope| {
                scope.spawn(move || drop((stories, records)));
                self.store.apply_with_notes(batch, notes)
            })?;
        }
        self.batch_items = 0;
        Ok(())
    }
}

/// A copy of a stored story seen in this call: the story gains the copy's link as an
/// alternate, its source (and the source's tags) and its guid. Kept until the batch is
/// written, so that a copy costs no read of its story on the store's thread: the batch
/// reads each sighted story once, beside encoding the others (see [`run_jobs`]).
#[derive(Debug)]
struct Sighting {
    link: Option<url::Url>,
    guid: Option<String>,
}

impl Sighting {
    /// Adds the copy to `story`; whether that changed it.
    fn apply(&self, story: &mut Story, source: &str, tags: &[String]) -> bool {
        let mut changed = false;
        if let Some(link) = &self.link {
            if story.link.as_ref() != Some(link) && !story.alternates.contains(link) {
                story.alternates.push(link.clone());
                changed = true;
            }
        }
        if !story.sources.iter().any(|s| s == source) {
            story.sources.push(source.to_string());
            for tag in tags {
                if !story.tags.contains(tag) {
                    story.tags.push(tag.clone());
                }
            }
            changed = true;
        }
        if let Some(guid) = &self.guid {
            let seen = |(s, g): &(String, String)| s == source && g == guid;
            if story.source != source && !story.seen_guids.iter().any(seen) {
                story.seen_guids.push((source.to_string(), guid.clone()));
                changed = true;
            }
        }
        changed
    }
}

/// One stored value a batch writes: a story it holds, or a stored story changed by the
/// copies seen of it.
enum Job<'a> {
    Write(u64, &'a Story),
    Sighted(u64, &'a [Sighting]),
}

/// What the jobs of one batch share.
struct JobContext<'a> {
    stories: &'a sled::Tree,
    dict: Option<&'a StoryDict>,
    source: &'a str,
    tags: &'a [String],
}

/// The stored values of a batch's stories, on up to [`ENCODE_THREADS`] threads: JSON plus
/// zstd (and, for sighted stories, reading and unpacking them) was most of a cold cycle's
/// store pass, and the pass is one thread while the machine's other cores mostly wait for
/// it. A sighted story that no copy changed, or that is gone, is not written.
fn run_jobs(jobs: &[Job], cx: &JobContext) -> Result<Vec<(u64, Vec<u8>)>> {
    let run = |part: &[Job]| -> Result<Vec<(u64, Vec<u8>)>> {
        let mut out = Vec::with_capacity(part.len());
        for job in part {
            match *job {
                Job::Write(seq, story) => out.push((seq, encode_story(story, cx.dict))),
                Job::Sighted(seq, seen) => {
                    let Some(value) = cx.stories.get(story_key(seq))? else {
                        continue;
                    };
                    let mut story = decode_story(&value, cx.dict)?;
                    let mut changed = false;
                    for sighting in seen {
                        changed |= sighting.apply(&mut story, cx.source, cx.tags);
                    }
                    if changed {
                        out.push((seq, encode_story(&story, cx.dict)));
                    }
                }
            }
        }
        Ok(out)
    };
    // Asked once: the answer reads cgroup files, a cost per batch that showed in profiles.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    let cores = *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
    let threads = cores.min(ENCODE_THREADS);
    // A thread costs some tens of µs to start, a story a few µs to encode.
    if threads < 2 || jobs.len() < 64 {
        return run(jobs);
    }
    let chunk = jobs.len().div_ceil(threads);
    std::thread::scope(|scope| {
        let mut parts = jobs.chunks(chunk);
        let first = parts.next().unwrap_or_default();
        let others: Vec<_> = parts.map(|part| scope.spawn(move || run(part))).collect();
        let mut out = run(first)?;
        for other in others {
            // A panic in JSON or zstd is a bug; it is the same bug on this thread.
            out.extend(
                other
                    .join()
                    .unwrap_or_else(|e| std::panic::resume_unwind(e))?,
            );
        }
        Ok(out)
    })
}

/// Threads that encode one batch's stories (see [`encode_stories`]).
const ENCODE_THREADS: usize = 4;

/// An index record rebuilt from a stored story (its own keys and those of the copies it
/// records), with the signature of the text it was just seen with.
pub(super) fn story_record(story: &Story, sig: Signature) -> Record {
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
        .map(dedup::normalize_link)
        .collect();
    Record {
        date: date_ms(story.date()),
        guids,
        links,
        prints: vec![story.fingerprint.clone()],
        sigs: vec![sig],
    }
}

#[cfg(test)]
mod tests {
    use super::super::dedup::{is_teaser, signature, NearDupConfig};
    use super::*;

    const TITLE: &str = "Unwetterwarnung für den Norden";
    const OPENING: &str = "Der Deutsche Wetterdienst hat für weite Teile des Nordens eine \
        Unwetterwarnung herausgegeben, die ab dem späten Abend gilt.";

    /// Two stories from one template: the same title and opening, other places and numbers
    /// further down.
    fn warning(place: &str, kmh: u32, until: u32) -> String {
        format!(
            "{OPENING} Im Landkreis {place} werden Sturmböen bis {kmh} Kilometer pro Stunde \
             erwartet. Die Warnung gilt vorerst bis {until} Uhr. Die Behörden in {place} \
             raten, Aufenthalte im Freien zu vermeiden und lose Gegenstände zu sichern. \
             Der Bahnverkehr rund um {place} kann nach Angaben der Bahn beeinträchtigt sein."
        )
    }

    fn incoming(link: &str, title: &str, text: &str) -> Incoming {
        Incoming::new(
            Item {
                guid: Some(link.to_string()),
                link: url::Url::parse(link).ok(),
                title: title.to_string(),
                content_html: Some(format!("<p>{text}</p>")),
                ..Item::default()
            },
            None,
        )
    }

    /// The story each link ended in, after ingesting `items` one delivery each in order.
    fn stories(items: &[(&str, &str, String)]) -> Vec<String> {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("store"), NearDupConfig::default()).expect("open");
        for (link, title, text) in items {
            store
                .ingest("feed", &[], vec![incoming(link, title, text)], Utc::now())
                .expect("ingest");
        }
        items
            .iter()
            .map(|(link, _, _)| {
                let url = url::Url::parse(link).expect("url");
                store
                    .story_by_link(&url)
                    .expect("lookup")
                    .map(|s| s.id.to_string())
                    .unwrap_or_default()
            })
            .collect()
    }

    #[test]
    fn a_teaser_opening_two_template_stories_does_not_merge_them() {
        let a = ("https://a.example/kiel", TITLE, warning("Plön", 110, 6));
        let b = ("https://b.example/emden", TITLE, warning("Aurich", 95, 4));
        let teaser = ("https://c.example/teaser", TITLE, OPENING.to_string());
        let (sa, sb, st) = (
            signature(a.1, &a.2),
            signature(b.1, &b.2),
            signature(teaser.1, &teaser.2),
        );
        let cfg = NearDupConfig::default();
        // The premise: the teaser matches both stories, which do not match each other.
        assert!(is_teaser(st.view()) && !is_teaser(sa.view()));
        assert!(dedup::is_near_duplicate(&st, &sa, &cfg));
        assert!(dedup::is_near_duplicate(&st, &sb, &cfg));
        assert!(!dedup::is_near_duplicate(&sa, &sb, &cfg));

        let ab = stories(&[a.clone(), b.clone(), teaser.clone()]);
        let ba = stories(&[b.clone(), a.clone(), teaser.clone()]);
        assert_ne!(ab[0], ab[1], "the teaser merged the two warnings");
        assert_ne!(ba[1], ba[0], "the teaser merged the two warnings");
        // It joins one of them, and the same one whichever came first.
        assert!(ab[2] == ab[0] || ab[2] == ab[1]);
        assert_eq!(
            ab[2] == ab[0],
            ba[2] == ba[1],
            "the choice follows arrival order"
        );
    }

    #[test]
    fn a_teaser_still_joins_its_story_and_two_halves_of_one() {
        let a = ("https://a.example/kiel", TITLE, warning("Plön", 110, 6));
        let copy = (
            "https://b.example/kiel",
            "Unwetterwarnung für den Norden | Kurier",
            warning("Plön", 110, 6),
        );
        let teaser = ("https://c.example/teaser", TITLE, OPENING.to_string());
        let s = stories(&[teaser.clone(), a.clone(), copy.clone()]);
        assert!(s[0] == s[1] && s[1] == s[2], "{s:?}");
        let s = stories(&[a, teaser, copy]);
        assert!(s[0] == s[1] && s[1] == s[2], "{s:?}");
    }

    /// Before: a story of short copies only (here one short warning, shaped like a teaser)
    /// was joined by any item that matched it, so the teaser of a long warning with the
    /// same opening, or the long warning itself reaching it through that teaser, made the
    /// two warnings one although their places and numbers differ.
    #[test]
    fn a_short_story_of_its_own_is_not_merged_through_a_common_opening() {
        let a = ("https://a.example/kiel", TITLE, warning("Plön", 110, 6));
        let short = (
            "https://b.example/emden",
            TITLE,
            format!("{OPENING} Im Landkreis Aurich werden Sturmböen bis 95 Kilometer pro Stunde erwartet."),
        );
        let teaser = ("https://c.example/teaser", TITLE, OPENING.to_string());
        assert!(is_teaser(signature(short.1, &short.2).view()));
        // (When the teaser has joined the long warning before the short one comes, the short
        // one, shaped like a teaser itself, joins through it as a teaser of two stories
        // does: one item in the wrong story, no two stories merged.)
        for order in [[1, 2, 0], [0, 1, 2], [1, 0, 2], [2, 1, 0]] {
            let items: Vec<(&str, &str, String)> = order
                .iter()
                .map(|&i| [&a, &short, &teaser][i].clone())
                .collect();
            let s = stories(&items);
            let story_of = |link: &str| &s[items.iter().position(|i| i.0 == link).expect("in")];
            assert_ne!(story_of(a.0), story_of(short.0), "order {order:?}: {s:?}");
        }
    }

    /// Before: a full story arriving after a teaser had joined another story with the same
    /// opening matched that story through the teaser and merged with it; arriving before
    /// the teaser, it stayed apart.
    #[test]
    fn a_story_reached_only_through_a_teaser_of_another_stays_apart_in_any_order() {
        let a = ("https://a.example/kiel", TITLE, warning("Plön", 110, 6));
        let b = ("https://b.example/emden", TITLE, warning("Aurich", 95, 4));
        let teaser = ("https://c.example/teaser", TITLE, OPENING.to_string());
        for order in [[0, 2, 1], [1, 2, 0], [2, 0, 1], [0, 1, 2]] {
            let items: Vec<(&str, &str, String)> = order
                .iter()
                .map(|&i| [&a, &b, &teaser][i].clone())
                .collect();
            let s = stories(&items);
            let story_of = |link: &str| &s[items.iter().position(|i| i.0 == link).expect("in")];
            assert_ne!(story_of(a.0), story_of(b.0), "order {order:?}: {s:?}");
            let t = story_of(teaser.0);
            assert!(
                t == story_of(a.0) || t == story_of(b.0),
                "order {order:?}: {s:?}"
            );
        }
    }
}
