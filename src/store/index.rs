//! The store's lookup index: one compact binary record per story in sled, and the maps built
//! from them in memory (guid, link and fingerprint keys, date order, near-duplicate bands).
//!
//! Keeping each index as its own sled tree cost six tree inserts per new story (~11 µs each,
//! growing once the trees outgrow sled's cache); one record per story costs one, and the
//! maps are rebuilt from the records at open without touching the JSON stories. In memory a
//! key is part of its hash pointing at story slots (see `tables`); the full key lives in the
//! record and is checked on every hit, so a hash clash can never match the wrong story.
//!
//! The near-duplicate signatures of every copy of every story are held here too, in their
//! compact form (`SigRef::pack_compact`) in one arena (see `arena`), so checking a candidate
//! never touches disk; a story's slot, signatures and band entries are given back when it
//! expires, so memory follows the live store rather than its history.

use super::arena::Arena;
use super::bands::{BandIndex, Entry};
use super::dedup::{self, SigRef, Signature};
use super::tables::{IdTable, KeyTable};
use std::hash::{Hash, Hasher};

/// Which lookup a key belongs to; part of the key's hash so equal bytes never clash across.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    Guid,
    Link,
    Print,
}

/// Everything the indexes know of one story (sled tree `index`, story id → `encode`).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The story's date key (see `date_ms`).
    pub date: u64,
    /// `source \0 guid` keys pointing at the story: its own and those of copies.
    pub guids: Vec<Vec<u8>>,
    /// Normalized links pointing at the story: its own and those of copies.
    pub links: Vec<String>,
    /// Fingerprints pointing at the story: current and earlier versions.
    pub prints: Vec<String>,
    /// Near-duplicate signatures: the kept copy's first, then those of the other copies
    /// (at most [`MAX_COPIES`]), so a new copy is compared with every copy seen.
    pub sigs: Vec<Signature>,
}

/// Signatures kept per story: a story republished by dozens of sites is recognised by its
/// first copies; more would only cost memory.
pub const MAX_COPIES: usize = 16;

/// No keys, date 0, no signature: what a damaged record leaves of its story.
impl Default for Record {
    fn default() -> Self {
        Record {
            date: 0,
            guids: Vec::new(),
            links: Vec::new(),
            prints: Vec::new(),
            sigs: Vec::new(),
        }
    }
}

impl Record {
    /// Adds a key unless the record has it; true when it was added.
    pub fn add(&mut self, kind: Kind, key: &[u8]) -> bool {
        let has = match kind {
            Kind::Guid => self.guids.iter().any(|k| k == key),
            Kind::Link => self.links.iter().any(|k| k.as_bytes() == key),
            Kind::Print => self.prints.iter().any(|k| k.as_bytes() == key),
        };
        if has {
            return false;
        }
        let text = || String::from_utf8_lossy(key).into_owned();
        match kind {
            Kind::Guid => self.guids.push(key.to_vec()),
            Kind::Link => self.links.push(text()),
            Kind::Print => self.prints.push(text()),
        }
        true
    }

    pub fn holds(&self, kind: Kind, key: &[u8]) -> bool {
        match kind {
            Kind::Guid => self.guids.iter().any(|k| k == key),
            Kind::Link => self.links.iter().any(|k| k.as_bytes() == key),
            Kind::Print => self.prints.iter().any(|k| k.as_bytes() == key),
        }
    }

    fn keys(&self) -> impl Iterator<Item = (Kind, &[u8])> {
        let guids = self.guids.iter().map(|k| (Kind::Guid, k.as_slice()));
        let links = self.links.iter().map(|k| (Kind::Link, k.as_bytes()));
        let prints = self.prints.iter().map(|k| (Kind::Print, k.as_bytes()));
        guids.chain(links).chain(prints)
    }

    /// Adds a copy's signature unless the record is full or has the same one; true when it
    /// was added.
    pub fn add_sig(&mut self, sig: &Signature) -> bool {
        if self.sigs.len() >= MAX_COPIES || self.sigs.contains(sig) {
            return false;
        }
        self.sigs.push(sig.clone());
        true
    }

    /// `date u64, then for guids, links, prints: count u32, (len u32, bytes)…, then count
    /// u32 and the packed signatures as u16` — all little-endian.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(&self.date.to_le_bytes());
        let lists: [Vec<&[u8]>; 3] = [
            self.guids.iter().map(|k| k.as_slice()).collect(),
            self.links.iter().map(|k| k.as_bytes()).collect(),
            self.prints.iter().map(|k| k.as_bytes()).collect(),
        ];
        for list in lists {
            out.extend_from_slice(&(list.len() as u32).to_le_bytes());
            for key in list {
                out.extend_from_slice(&(key.len() as u32).to_le_bytes());
                out.extend_from_slice(key);
            }
        }
        out.extend_from_slice(&(self.sigs.len() as u32).to_le_bytes());
        let mut words = Vec::with_capacity(self.sigs.len() * 128);
        for sig in &self.sigs {
            sig.pack(&mut words);
        }
        for w in words {
            out.extend_from_slice(&w.to_le_bytes());
        }
        out
    }

    /// None for a damaged record; the caller treats the story as unindexed.
    pub fn decode(bytes: &[u8]) -> Option<Record> {
        let mut record = Record::default();
        let (date, words, kept) = walk_record(bytes, usize::MAX, |kind, key| {
            match kind {
                Kind::Guid => record.guids.push(key.to_vec()),
                Kind::Link => record.links.push(std::str::from_utf8(key).ok()?.to_owned()),
                Kind::Print => record
                    .prints
                    .push(std::str::from_utf8(key).ok()?.to_owned()),
            }
            Some(())
        })?;
        record.date = date;
        record.sigs = unpack_records(&words[..kept])
            .filter_map(SigRef::to_signature)
            .collect();
        Some(record)
    }
}

/// Reads an encoded record (see [`Record::encode`]): hands each key to `key` (a `None` from
/// it, or a link or fingerprint that is not UTF-8, makes the record damaged), and returns
/// the date, the signature words and how many of them the first `copies` signatures take.
/// None for a damaged record. [`Record::decode`] and the open path (`scan_record`) both read
/// through it.
fn walk_record(
    bytes: &[u8],
    copies: usize,
    mut key: impl FnMut(Kind, &[u8]) -> Option<()>,
) -> Option<(u64, Vec<u16>, usize)> {
    let mut cur = Cursor(bytes);
    let date = u64::from_le_bytes(cur.take(8)?.try_into().ok()?);
    for kind in [Kind::Guid, Kind::Link, Kind::Print] {
        let count = cur.u32()? as usize;
        for _ in 0..count {
            let len = cur.u32()? as usize;
            let bytes = cur.take(len)?;
            if kind != Kind::Guid {
                std::str::from_utf8(bytes).ok()?;
            }
            key(kind, bytes)?;
        }
    }
    let count = cur.u32()? as usize;
    if cur.0.len() % 2 != 0 {
        return None;
    }
    let words: Vec<u16> = cur
        .0
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let mut rest = words.as_slice();
    let mut kept = words.len();
    for copy in 0..count {
        let (_, tail) = SigRef::unpack(rest)?;
        rest = tail;
        if copy + 1 == copies {
            kept = words.len() - rest.len();
        }
    }
    if !rest.is_empty() {
        return None;
    }
    Some((date, words, kept))
}

struct Cursor<'a>(&'a [u8]);

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if self.0.len() < n {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }

    fn u32(&mut self) -> Option<u32> {
        Some(u32::from_le_bytes(self.take(4)?.try_into().ok()?))
    }
}

/// A story id as a number: ids are 32 lowercase hex digits (see `story_id`), and as u128
/// they sort the same way while costing 16 bytes instead of a heap string.
pub fn parse_id(id: &str) -> Option<u128> {
    if id.len() != 32 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    u128::from_str_radix(id, 16).ok()
}

pub fn format_id(id: u128) -> String {
    format!("{id:032x}")
}

fn key_hash(kind: Kind, key: &[u8]) -> u64 {
    // Fixed-key SipHash: the same on every run, so nothing about it needs storing.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    kind.hash(&mut h);
    key.hash(&mut h);
    h.finish()
}

/// The in-memory maps over all index records.
#[derive(Default)]
pub struct Index {
    /// Slot → story id, 0 for a free slot (ids are hashes; an all-zero one never occurs).
    ids: Vec<u128>,
    /// Slot → date key, for moving the story in `order`.
    dates: Vec<u64>,
    /// Slot → the story's sled sequence number (its key in the `stories` tree).
    seqs: Vec<u64>,
    /// Slot → signatures of every copy of the story, compact (see `SigRef::pack_compact`).
    sigs: Arena,
    /// Slots of expired stories, reused by the next new ones.
    free: Vec<u32>,
    /// The sequence number the next new story gets: one past the highest in use.
    next_seq: u64,
    /// Story id → slot.
    slots: IdTable,
    /// Hash of (kind, key) → slots; the caller checks a hit against the story's record.
    keys: KeyTable,
    bands: BandIndex,
    /// Set by every change after it was built, so `Store::close` knows whether the index
    /// image it was loaded from still describes it.
    changed: bool,
}

/// The index's parts as the index image stores them (see `image`), lent by [`Index::raw`].
pub struct RawIndex<'a> {
    pub ids: &'a [u128],
    pub dates: &'a [u64],
    pub seqs: &'a [u64],
    pub sigs: &'a Arena,
    pub free: &'a [u32],
    pub next_seq: u64,
    /// The id table's buckets and length.
    pub slots: (&'a [u32], usize),
    /// The key table's buckets and length.
    pub keys: (&'a [u64], usize),
    pub bands: &'a [Vec<Entry>],
}

/// The parts of an index read back from an image, for [`Index::from_raw`] to check.
pub struct OwnedIndex {
    pub ids: Vec<u128>,
    pub dates: Vec<u64>,
    pub seqs: Vec<u64>,
    /// Every slot's signature words end to end, and each slot's length.
    pub sigs: (Vec<u16>, Vec<u32>),
    pub free: Vec<u32>,
    pub next_seq: u64,
    pub slots: (Vec<u32>, usize),
    pub keys: (Vec<u64>, usize),
    pub bands: Vec<Vec<Entry>>,
}

/// The band keys of all of a story's signatures, each once.
fn band_union<'a>(sigs: impl Iterator<Item = SigRef<'a>>) -> Vec<u64> {
    let mut keys: Vec<u64> = sigs.flat_map(dedup::band_keys).collect();
    keys.sort_unstable();
    keys.dedup();
    keys
}

/// The signatures of a story as the index holds them (compact form).
fn unpack_all(words: &[u16]) -> impl Iterator<Item = SigRef<'_>> + Clone {
    unpack_run(words, SigRef::unpack_compact)
}

/// The signatures of a story as its index record stores them (record form).
fn unpack_records(words: &[u16]) -> impl Iterator<Item = SigRef<'_>> {
    unpack_run(words, SigRef::unpack)
}

/// Reads one packed signature from the front of the words: `SigRef::unpack` or
/// `SigRef::unpack_compact`.
type Unpack<'a> = fn(&'a [u16]) -> Option<(SigRef<'a>, &'a [u16])>;

/// The signatures packed end to end in `words`, each read by `unpack`; stops at the first
/// that does not read.
fn unpack_run<'a>(
    words: &'a [u16],
    unpack: Unpack<'a>,
) -> impl Iterator<Item = SigRef<'a>> + Clone {
    let mut rest = words;
    std::iter::from_fn(move || {
        let (sig, tail) = unpack(rest)?;
        rest = tail;
        Some(sig)
    })
}

/// Signatures in the compact form the index holds, at most [`MAX_COPIES`].
fn pack_all<'a>(sigs: impl Iterator<Item = SigRef<'a>>) -> Vec<u16> {
    let mut packed = Vec::with_capacity(96);
    for sig in sigs.take(MAX_COPIES) {
        sig.pack_compact(&mut packed);
    }
    packed
}

/// One index record made ready for [`Index::load`]: everything that costs CPU (decoding,
/// hashing keys, band keys) done off the thread that fills the maps, so `Store::open` uses
/// both cores.
pub struct Loaded {
    seq: u64,
    id: u128,
    date: u64,
    key_hashes: Vec<u64>,
    /// Compact form.
    packed: Vec<u16>,
    bands: Vec<u64>,
}

/// What [`Index::load`] needs of an encoded record, read without building a [`Record`] (a
/// million records at open made some ten million small allocations): the date, the keys'
/// hashes and the packed signatures of at most [`MAX_COPIES`] copies. None exactly when
/// [`Record::decode`] gives None.
fn scan_record(bytes: &[u8]) -> Option<(u64, Vec<u64>, Vec<u16>)> {
    let mut hashes = Vec::with_capacity(6);
    let (date, mut words, kept) = walk_record(bytes, MAX_COPIES, |kind, key| {
        hashes.push(key_hash(kind, key));
        Some(())
    })?;
    words.truncate(kept);
    Some((date, hashes, words))
}

impl Loaded {
    /// Decodes one stored index record under sequence number `seq`, given as the story id
    /// and the encoded record (`keys::split_record_value` cuts a stored value in two). None
    /// for an id that is not one.
    pub fn prepare(seq: u64, id: &[u8], encoded: &[u8]) -> Option<Loaded> {
        let id = std::str::from_utf8(id).ok().and_then(parse_id)?;
        // A damaged record keeps its story reachable by id, without keys (and dated 0, so
        // retention takes it next); ingesting the story again re-indexes it.
        let (date, key_hashes, words) = scan_record(encoded).unwrap_or_default();
        let packed = pack_all(unpack_records(&words));
        let bands = band_union(unpack_all(&packed));
        Some(Loaded {
            seq,
            id,
            date,
            key_hashes,
            packed,
            bands,
        })
    }
}

impl Index {
    /// Lends the parts out, for writing the index image.
    pub fn raw(&self) -> RawIndex<'_> {
        RawIndex {
            ids: &self.ids,
            dates: &self.dates,
            seqs: &self.seqs,
            sigs: &self.sigs,
            free: &self.free,
            next_seq: self.next_seq,
            slots: self.slots.raw(),
            keys: self.keys.raw(),
            bands: self.bands.raw(),
        }
    }

    /// Takes back parts read from an index image, after checking everything a later call
    /// indexes by or loops on, so a damaged image is refused here instead of panicking
    /// later: the per-slot vectors agree in length, free slots are exactly the empty ones,
    /// every table and band entry points at a slot, every signature buffer unpacks whole.
    /// Whether the parts describe the store is the image's token and checksum's business.
    pub fn from_raw(raw: OwnedIndex) -> Result<Index, &'static str> {
        let OwnedIndex {
            ids,
            dates,
            seqs,
            sigs,
            free,
            next_seq,
            slots,
            keys,
            bands,
        } = raw;
        let n = ids.len();
        if dates.len() != n || seqs.len() != n || sigs.1.len() != n {
            return Err("the per-story vectors differ in length");
        }
        if u32::try_from(n).is_err() {
            return Err("more story slots than a slot number holds");
        }
        let mut is_free = vec![false; n];
        for &slot in &free {
            let i = slot as usize;
            if i >= n || ids[i] != 0 || is_free[i] {
                return Err("a free slot is out of range, taken, or listed twice");
            }
            is_free[i] = true;
        }
        let live = n - free.len();
        if ids.iter().filter(|&&id| id != 0).count() != live {
            return Err("an empty slot is not in the free list");
        }
        let Some(sigs) = Arena::from_parts(sigs.0, &sigs.1) else {
            return Err("the signature lengths do not add up to the words");
        };
        for (i, words) in sigs.live_words().enumerate() {
            if is_free[i] && !words.is_empty() {
                return Err("a free slot keeps signatures");
            }
            let mut rest = words;
            while !rest.is_empty() {
                let Some((_, tail)) = SigRef::unpack_compact(rest) else {
                    return Err("a signature buffer does not unpack");
                };
                rest = tail;
            }
        }
        if (0..n).any(|i| !is_free[i] && seqs[i] >= next_seq) {
            return Err("a story's sequence number is not below the next one");
        }
        let slots = IdTable::from_raw(slots.0, slots.1, &ids)?;
        if slots.len() != live {
            return Err("the id table does not hold every live story");
        }
        let keys = KeyTable::from_raw(keys.0, keys.1, n)?;
        let bands = BandIndex::from_raw(bands, n)?;
        Ok(Index {
            ids,
            dates,
            seqs,
            sigs,
            free,
            next_seq,
            slots,
            keys,
            bands,
            changed: false,
        })
    }

    /// Whether anything changed since the index was built or loaded (see `Store::close`).
    pub fn changed(&self) -> bool {
        self.changed
    }

    /// Adds a record prepared by [`Loaded::prepare`], as [`Index::add`] with its sequence
    /// number would (records are loaded in sequence order, so band saturation comes out as
    /// it was when they were written).
    pub fn load(&mut self, loaded: Loaded) {
        self.changed = true;
        let Loaded {
            seq,
            id,
            date,
            key_hashes,
            packed,
            bands,
        } = loaded;
        if id == 0 {
            return;
        }
        if let Some(slot) = self.slots.get(id, &self.ids) {
            // The same id twice: the later record's keys join, its date and signatures win,
            // as `add` would have it.
            self.set_date(slot, date);
            for hash in key_hashes {
                self.keys.insert(hash, slot);
            }
            self.replace_sigs(slot, &packed, &bands);
            return;
        }
        self.next_seq = self.next_seq.max(seq + 1);
        let slot = match self.free.pop() {
            Some(slot) => {
                let i = slot as usize;
                self.ids[i] = id;
                self.seqs[i] = seq;
                self.dates[i] = date;
                self.sigs.set(slot, &packed);
                slot
            }
            None => {
                self.ids.push(id);
                self.seqs.push(seq);
                self.dates.push(date);
                self.sigs.push_slot();
                let slot = (self.ids.len() - 1) as u32;
                self.sigs.set(slot, &packed);
                slot
            }
        };
        self.slots.insert(slot, &self.ids);
        for hash in key_hashes {
            self.keys.insert(hash, slot);
        }
        self.bands.insert(slot, &bands);
    }

    /// Indexes a story under `seq` (a new sequence number when None), or adds the record's
    /// keys to it and replaces its signatures when it is already indexed. Returns its slot;
    /// None for an id `story_id` could not have made.
    ///
    /// `bands`: the band keys of the record's one signature, when the caller has them
    /// (`Incoming::prepare` computed them off the store's thread).
    pub fn add(
        &mut self,
        id: &str,
        seq: Option<u64>,
        record: &Record,
        bands: Option<&[u64]>,
    ) -> Option<u32> {
        self.changed = true;
        let num = parse_id(id)?;
        if num == 0 {
            return None;
        }
        let slot = match self.slots.get(num, &self.ids) {
            Some(slot) => {
                self.set_date(slot, record.date);
                slot
            }
            None => {
                let seq = seq.unwrap_or(self.next_seq);
                self.next_seq = self.next_seq.max(seq + 1);
                let slot = match self.free.pop() {
                    Some(slot) => {
                        let i = slot as usize;
                        self.ids[i] = num;
                        self.seqs[i] = seq;
                        self.dates[i] = record.date;
                        slot
                    }
                    None => {
                        self.ids.push(num);
                        self.seqs.push(seq);
                        self.dates.push(record.date);
                        self.sigs.push_slot();
                        (self.ids.len() - 1) as u32
                    }
                };
                self.slots.insert(slot, &self.ids);
                slot
            }
        };
        for (kind, key) in record.keys() {
            self.keys.insert(key_hash(kind, key), slot);
        }
        match bands {
            Some(bands) if record.sigs.len() == 1 => {
                debug_assert_eq!(bands, dedup::band_keys(record.sigs[0].view()));
                let mut packed = Vec::with_capacity(96);
                record.sigs[0].pack_compact(&mut packed);
                self.changed = true;
                self.replace_sigs(slot, &packed, bands);
            }
            _ => self.set_sigs(slot, &record.sigs),
        }
        Some(slot)
    }

    /// Replaces a story's signatures and moves its band entries accordingly (a story
    /// updated in place, or one that absorbed another).
    pub fn set_sigs(&mut self, slot: u32, sigs: &[Signature]) {
        self.changed = true;
        let packed = pack_all(sigs.iter().map(Signature::view));
        let bands = band_union(unpack_all(&packed));
        self.replace_sigs(slot, &packed, &bands);
    }

    /// Puts packed signatures and their band keys in place of the story's old ones.
    fn replace_sigs(&mut self, slot: u32, packed: &[u16], bands: &[u64]) {
        if !self.sigs.get(slot).is_empty() {
            let old = band_union(unpack_all(self.sigs.get(slot)));
            self.bands.remove(slot, &old);
        }
        self.sigs.set(slot, packed);
        self.bands.insert(slot, bands);
    }

    /// Adds one copy's signature, whose band keys are `bands`, to a story (see
    /// `Record::add_sig` for when).
    pub fn push_sig(&mut self, slot: u32, sig: &Signature, bands: &[u64]) {
        self.changed = true;
        if unpack_all(self.sigs.get(slot)).count() >= MAX_COPIES {
            return;
        }
        let old = band_union(unpack_all(self.sigs.get(slot)));
        debug_assert_eq!(bands, dedup::band_keys(sig.view()));
        let fresh: Vec<u64> = bands
            .iter()
            .copied()
            .filter(|k| old.binary_search(k).is_err())
            .collect();
        let mut packed = Vec::with_capacity(96);
        sig.pack_compact(&mut packed);
        self.sigs.append(slot, &packed);
        self.bands.insert(slot, &fresh);
    }

    pub fn add_key(&mut self, slot: u32, kind: Kind, key: &[u8]) {
        self.changed = true;
        self.keys.insert(key_hash(kind, key), slot);
    }

    pub fn set_date(&mut self, slot: u32, date: u64) {
        self.changed = true;
        if self.ids.get(slot as usize).is_some_and(|&id| id != 0) {
            self.dates[slot as usize] = date;
        }
    }

    /// The sled sequence number of an indexed story.
    pub fn seq(&self, id: &str) -> Option<u64> {
        self.slot(id).map(|slot| self.seqs[slot as usize])
    }

    pub fn seq_of(&self, slot: u32) -> u64 {
        self.seqs[slot as usize]
    }

    pub fn slot(&self, id: &str) -> Option<u32> {
        parse_id(id).and_then(|n| self.slots.get(n, &self.ids))
    }

    /// The id at a slot, None once expired.
    pub fn id(&self, slot: u32) -> Option<String> {
        self.ids
            .get(slot as usize)
            .copied()
            .filter(|&id| id != 0)
            .map(format_id)
    }

    /// The live stories a key may belong to, as (sequence number, id), newest first; the
    /// caller checks the key against their records (a key's hash may be shared).
    pub fn lookup(&self, kind: Kind, key: &[u8]) -> Vec<(u64, String)> {
        let mut found: Vec<(u64, String)> = self
            .keys
            .get(key_hash(kind, key))
            .filter_map(|slot| Some((self.seq_of(slot), self.id(slot)?)))
            .collect();
        if found.len() > 1 {
            found.sort_unstable_by(|a, b| b.cmp(a));
            found.dedup();
        }
        found
    }

    /// Live story slots sharing a band key, in first-match order (what the tests check
    /// the band index by; ingest asks [`Index::near_candidates`]).
    #[cfg(test)]
    pub fn candidates(&self, bands: &[u64]) -> Vec<u32> {
        let (mut out, mut weights) = (Vec::new(), Vec::new());
        self.bands.gather(bands, 1, &mut out, &mut weights);
        out.retain(|&slot| self.ids.get(slot as usize).is_some_and(|&id| id != 0));
        out
    }

    /// The live stories a new item with signature `sig` and band keys `bands` (as
    /// [`dedup::band_keys`] made them: the full-text bands first) is compared with.
    ///
    /// A lead band is two MinHash rows of some forty lead shingles, loose enough that a
    /// teaser (a third of its story's lead) meets its story; two full stories that merely
    /// open with the same agency formulas meet in one such band as easily. Two full
    /// stories whose leads agree enough to be one story share several lead bands, so
    /// between full stories one shared lead band is not enough: the candidate must share a
    /// full-text band or two lead bands. A teaser, and a story made of teasers only, still
    /// needs a single shared band. (Measured in `cargo bench --bench store`: this halves the
    /// candidates of a full item while the evaluation's recall holds.)
    pub fn near_candidates(&self, sig: SigRef<'_>, bands: &[u64]) -> Vec<u32> {
        let (mut out, mut weights) = (Vec::new(), Vec::new());
        let full = dedup::LAYOUT.full_bands.min(bands.len());
        self.bands.gather(&bands[..full], 2, &mut out, &mut weights);
        self.bands.gather(&bands[full..], 1, &mut out, &mut weights);
        let teaser = dedup::is_teaser(sig);
        let mut weights = weights.into_iter();
        out.retain(|&slot| {
            let weight = weights.next().unwrap_or(0);
            self.ids.get(slot as usize).is_some_and(|&id| id != 0)
                && (teaser || weight >= 2 || self.sigs(slot).all(dedup::is_teaser))
        });
        out
    }

    /// The signatures of every copy of the story at `slot`.
    pub fn sigs(&self, slot: u32) -> impl Iterator<Item = SigRef<'_>> + Clone {
        unpack_all(self.sigs.get(slot))
    }

    /// Forgets a story, those of its keys that still point at it, its signatures and band
    /// entries; its slot is reused.
    pub fn remove(&mut self, id: &str, record: Option<&Record>) {
        self.changed = true;
        let Some(num) = parse_id(id) else { return };
        let Some(slot) = self.slots.remove(num, &self.ids) else {
            return;
        };
        if let Some(record) = record {
            for (kind, key) in record.keys() {
                self.keys.remove(key_hash(kind, key), slot);
            }
        }
        let i = slot as usize;
        let keys = band_union(unpack_all(self.sigs.get(slot)));
        self.bands.remove(slot, &keys);
        self.sigs.clear(slot);
        self.ids[i] = 0;
        self.free.push(slot);
    }

    /// Ids newest first.
    ///
    /// Sorted when asked (once per cycle) rather than kept in a tree: a B-tree of (date, id)
    /// cost some 45 bytes a story, and sorting a million dates takes a fraction of a second.
    pub fn newest_first(&self) -> Vec<u128> {
        let mut dated = self.dated(|_| true);
        dated.sort_unstable_by(|a, b| b.cmp(a));
        dated.into_iter().map(|(_, id)| id).collect()
    }

    /// Ids with a date key before `date`, oldest first.
    pub fn older_than(&self, date: u64) -> Vec<u128> {
        let mut dated = self.dated(|d| d < date);
        dated.sort_unstable();
        dated.into_iter().map(|(_, id)| id).collect()
    }

    /// (date key, id) of the live stories whose date passes `keep`.
    fn dated(&self, keep: impl Fn(u64) -> bool) -> Vec<(u64, u128)> {
        self.ids
            .iter()
            .zip(&self.dates)
            .filter(|&(&id, &date)| id != 0 && keep(date))
            .map(|(&id, &date)| (date, id))
            .collect()
    }

    /// Live stories.
    pub fn live(&self) -> usize {
        self.slots.len()
    }

    /// Live stories, story slots allocated, band entries and saturated band keys: what the
    /// index holds, for tests of its memory.
    pub fn size(&self) -> (usize, usize, usize, usize) {
        let (entries, saturated) = self.bands.size();
        (self.slots.len(), self.ids.len(), entries, saturated)
    }

    /// The bytes the index holds, by part, as allocated (capacities, and for the many small
    /// allocations the allocator's chunk), so the benchmark can report memory per story
    /// measured rather than inferred from the process' RSS.
    pub fn memory(&self) -> Memory {
        let per_slot = self.ids.capacity() * 16
            + self.dates.capacity() * 8
            + self.seqs.capacity() * 8
            + self.free.capacity() * 4;
        Memory {
            live: self.live(),
            slots: per_slot,
            signatures: self.sigs.memory(),
            signature_bytes: self.sigs.live_len() * 2,
            copies: self.sigs.live_words().map(|s| unpack_all(s).count()).sum(),
            ids: self.slots.memory(),
            keys: self.keys.memory(),
            key_entries: self.keys.len(),
            bands: self.bands.memory(),
        }
    }
}

/// What [`Index::memory`] counts, in bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Memory {
    /// Live stories.
    pub live: usize,
    /// The per-slot vectors (id, date, sequence number) and the free list.
    pub slots: usize,
    /// The packed signatures with what holds them (pointers, allocator chunks).
    pub signatures: usize,
    /// The packed signatures' own bytes, of `signatures`.
    pub signature_bytes: usize,
    /// Signatures held (every copy of every story).
    pub copies: usize,
    /// The id table (story id → slot).
    pub ids: usize,
    /// The key table (guid, link and fingerprint hashes → slots).
    pub keys: usize,
    /// Entries in the key table (its buckets double past three quarters full).
    pub key_entries: usize,
    /// The band index: bucket headers, entries and their slack.
    pub bands: usize,
}

impl Memory {
    pub fn total(&self) -> usize {
        self.slots + self.signatures + self.ids + self.keys + self.bands
    }
}

/// What glibc's malloc takes for a request of `bytes` on a 64-bit machine: 8 bytes of
/// header, rounded up to 16, at least 32; nothing for an empty allocation (Rust makes none).
pub(super) fn malloc_chunk(bytes: usize) -> usize {
    if bytes == 0 {
        0
    } else {
        ((bytes + 8 + 15) & !15).max(32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record() -> Record {
        Record {
            date: 42,
            guids: vec![b"src\0g1".to_vec()],
            links: vec!["example.com/a".into(), "example.org/b".into()],
            prints: vec!["abc".into()],
            sigs: vec![
                Signature {
                    shingles: 3,
                    full: vec![1, 2, 3],
                    lead: vec![4],
                    numbers: vec![],
                    names: vec![],
                },
                super::super::dedup::signature(
                    "Bundesrat billigt Pflegereform",
                    "Der Bundesrat hat am Freitag die Pflegereform gebilligt, 2,5 Milliarden.",
                ),
            ],
        }
    }

    #[test]
    fn records_round_trip_and_truncation_is_refused() {
        let r = record();
        let bytes = r.encode();
        assert_eq!(Record::decode(&bytes), Some(r));
        assert_eq!(Record::decode(&bytes[..bytes.len() - 3]), None);
        assert_eq!(Record::decode(&bytes[..5]), None);
    }

    #[test]
    fn the_open_path_reads_records_as_decode_does() {
        let r = record();
        let bytes = r.encode();
        let (date, hashes, packed) = scan_record(&bytes).expect("scans");
        assert_eq!(date, r.date);
        let want: Vec<u64> = r.keys().map(|(k, key)| key_hash(k, key)).collect();
        assert_eq!(hashes, want);
        let sigs: Vec<Signature> = unpack_records(&packed)
            .filter_map(SigRef::to_signature)
            .collect();
        assert_eq!(sigs, r.sigs);
        for cut in [bytes.len() - 3, bytes.len() - 1, 5, 0] {
            assert_eq!(scan_record(&bytes[..cut]), None, "cut at {cut}");
        }
        let mut many = r.clone();
        for n in 0..MAX_COPIES as u16 + 4 {
            let mut sig = many.sigs[1].clone();
            sig.full[0] = n;
            many.sigs.push(sig);
        }
        let (_, _, packed) = scan_record(&many.encode()).expect("scans");
        assert_eq!(unpack_records(&packed).count(), MAX_COPIES, "copies capped");
    }

    #[test]
    fn ids_round_trip_and_keep_their_order() {
        let a = "00ff0000000000000000000000000001";
        let b = "0a000000000000000000000000000000";
        assert_eq!(format_id(parse_id(a).unwrap()), a);
        assert!(parse_id(a) < parse_id(b));
        assert_eq!(parse_id("xyz"), None);
        assert_eq!(parse_id("+0ff0000000000000000000000000001"), None);
    }

    #[test]
    fn full_stories_need_a_full_band_or_two_lead_bands_teasers_one() {
        let full = |n: u32| {
            let text: String = (0..12)
                .map(|i| format!("Im Kreis Beispiel {n} prüft der Rat Antrag {i} am Abend. "))
                .collect();
            dedup::signature(&format!("Rat des Kreises {n} berät"), &text)
        };
        let teaser = dedup::signature("Rat berät", "Im Kreis Beispiel prüft der Rat heute.");
        assert!(!dedup::is_teaser(full(1).view()) && dedup::is_teaser(teaser.view()));
        let story = |sig: Signature| Record {
            sigs: vec![sig],
            ..Record::default()
        };
        let mut index = Index::default();
        let (a, t) = (
            "0000000000000000000000000000000a",
            "0000000000000000000000000000000b",
        );
        let slot_a = index.add(a, None, &story(full(1)), None).unwrap();
        let slot_t = index.add(t, None, &story(teaser.clone()), None).unwrap();
        let keys_a = dedup::band_keys(full(1).view());
        let keys_t = dedup::band_keys(teaser.view());
        let full_bands = dedup::LAYOUT.full_bands;
        // A query made of keys no story has, with some of the stored stories' keys put in.
        let query = |own: &[(usize, u64)]| {
            let mut keys: Vec<u64> = (0..keys_a.len() as u64).map(|k| !k).collect();
            for &(i, key) in own {
                keys[i] = key;
            }
            keys
        };
        let (lead1, lead2) = (full_bands + 1, full_bands + 4);
        let item = full(2);
        let one_lead = query(&[(lead1, keys_a[lead1])]);
        assert!(index.near_candidates(item.view(), &one_lead).is_empty());
        let two_leads = query(&[(lead1, keys_a[lead1]), (lead2, keys_a[lead2])]);
        assert_eq!(index.near_candidates(item.view(), &two_leads), [slot_a]);
        let one_full = query(&[(2, keys_a[2])]);
        assert_eq!(index.near_candidates(item.view(), &one_full), [slot_a]);
        // A teaser item, or a story of teasers only, needs one lead band.
        assert_eq!(index.near_candidates(teaser.view(), &one_lead), [slot_a]);
        let teasers_lead = query(&[(lead1, keys_t[lead1])]);
        assert_eq!(index.near_candidates(item.view(), &teasers_lead), [slot_t]);
    }

    #[test]
    fn removed_stories_leave_no_keys_or_candidates_and_give_their_slot_back() {
        let mut index = Index::default();
        let id = "00000000000000000000000000000001";
        let r = record();
        let bands = dedup::band_keys(r.sigs[1].view());
        let slot = index.add(id, None, &r, None).unwrap();
        assert_eq!(index.seq(id), Some(0));
        assert_eq!(
            index.lookup(Kind::Link, b"example.org/b"),
            [(0, id.to_string())]
        );
        assert_eq!(index.candidates(&bands), [slot]);
        assert_eq!(index.sigs(slot).count(), 2);
        assert_eq!(index.newest_first(), [1]);
        let entries = index.size().2;
        assert!(entries > 0);
        index.remove(id, Some(&r));
        assert!(index.lookup(Kind::Link, b"example.org/b").is_empty());
        assert!(index.candidates(&bands).is_empty());
        assert!(index.newest_first().is_empty());
        assert_eq!(index.size(), (0, 1, 0, 0));
        let other = "00000000000000000000000000000002";
        assert_eq!(index.add(other, None, &r, None), Some(slot), "slot reused");
        assert_eq!(index.seq(other), Some(1), "sequence numbers are not reused");
        assert_eq!(index.size().2, entries);
    }
}
