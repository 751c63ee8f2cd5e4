//! The store's lookup index: one compact binary record per story in sled, and the maps built
//! from them in memory (guid, link and fingerprint keys, date order, near-duplicate bands).
//!
//! Keeping each index as its own sled tree cost six tree inserts per new story (~11 µs each,
//! growing once the trees outgrow sled's cache); one record per story costs one, and the
//! maps are rebuilt from the records at open without touching the JSON stories. In memory a
//! key is a 64-bit hash pointing at a story slot; the full key lives in the record and is
//! checked on every hit, so a hash clash can never match the wrong story.

use super::bands::BandIndex;
use super::dedup::Signature;
use std::collections::{BTreeSet, HashMap};
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
    pub sig: Signature,
}

/// No keys, date 0, an empty signature (which never near-duplicates): what a damaged record
/// leaves of its story.
impl Default for Record {
    fn default() -> Self {
        Record {
            date: 0,
            guids: Vec::new(),
            links: Vec::new(),
            prints: Vec::new(),
            sig: Signature {
                shingles: 0,
                full: Vec::new(),
                lead: Vec::new(),
                numbers: Vec::new(),
            },
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

    /// `date u64, then for guids, links, prints: count u32, (len u32, bytes)…, then the
    /// signature` — all little-endian.
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
        out.extend_from_slice(&encode_signature(&self.sig));
        out
    }

    /// None for a damaged record; the caller treats the story as unindexed.
    pub fn decode(bytes: &[u8]) -> Option<Record> {
        let mut cur = Cursor(bytes);
        let date = u64::from_le_bytes(cur.take(8)?.try_into().ok()?);
        let mut lists: [Vec<Vec<u8>>; 3] = Default::default();
        for list in lists.iter_mut() {
            let count = cur.u32()? as usize;
            for _ in 0..count {
                let len = cur.u32()? as usize;
                list.push(cur.take(len)?.to_vec());
            }
        }
        let [guids, links, prints] = lists;
        let text = |v: Vec<Vec<u8>>| -> Option<Vec<String>> {
            v.into_iter().map(|k| String::from_utf8(k).ok()).collect()
        };
        Some(Record {
            date,
            guids,
            links: text(links)?,
            prints: text(prints)?,
            sig: decode_signature(cur.0)?,
        })
    }
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
    /// Slot → story id, None once the story expired (slots are never reused before the
    /// next open, so stale band entries and key hashes lead nowhere).
    ids: Vec<Option<u128>>,
    /// Slot → date key, for moving the story in `order`.
    dates: Vec<u64>,
    /// Slot → the story's sled sequence number (its key in the `stories` tree).
    seqs: Vec<u64>,
    /// The sequence number the next new story gets: one past the highest in use.
    next_seq: u64,
    slots: HashMap<u128, u32>,
    /// Hash of (kind, key) → slot. The last writer wins, as the sled trees did.
    keys: HashMap<u64, u32>,
    /// (date key, id): stories oldest first; ties by id like the old `dates` tree.
    order: BTreeSet<(u64, u128)>,
    bands: BandIndex,
}

impl Index {
    /// Indexes a story under `seq` (a new sequence number when None), or adds the record's
    /// keys to it when it is already indexed. Returns its slot; None for an id `story_id`
    /// could not have made.
    pub fn add(
        &mut self,
        id: &str,
        seq: Option<u64>,
        record: &Record,
        bands: &[u64],
    ) -> Option<u32> {
        let num = parse_id(id)?;
        let slot = match self.slots.get(&num) {
            Some(&slot) => {
                self.set_date(slot, record.date);
                slot
            }
            None => {
                let slot = self.ids.len() as u32;
                let seq = seq.unwrap_or(self.next_seq);
                self.next_seq = self.next_seq.max(seq + 1);
                self.ids.push(Some(num));
                self.seqs.push(seq);
                self.dates.push(record.date);
                self.slots.insert(num, slot);
                self.order.insert((record.date, num));
                slot
            }
        };
        for (kind, key) in record.keys() {
            self.keys.insert(key_hash(kind, key), slot);
        }
        self.bands.insert(slot, bands);
        Some(slot)
    }

    pub fn add_key(&mut self, slot: u32, kind: Kind, key: &[u8]) {
        self.keys.insert(key_hash(kind, key), slot);
    }

    pub fn set_date(&mut self, slot: u32, date: u64) {
        let Some(Some(id)) = self.ids.get(slot as usize).copied() else {
            return;
        };
        let old = self.dates[slot as usize];
        if old != date {
            self.order.remove(&(old, id));
            self.order.insert((date, id));
            self.dates[slot as usize] = date;
        }
    }

    /// The sled sequence number of an indexed story.
    pub fn seq(&self, id: &str) -> Option<u64> {
        self.slot(id).map(|slot| self.seqs[slot as usize])
    }

    pub fn slot(&self, id: &str) -> Option<u32> {
        parse_id(id).and_then(|n| self.slots.get(&n).copied())
    }

    /// The id at a slot, None once expired.
    pub fn id(&self, slot: u32) -> Option<String> {
        self.ids
            .get(slot as usize)
            .copied()
            .flatten()
            .map(format_id)
    }

    /// The slot a key may belong to; the caller checks the key against its record.
    pub fn lookup(&self, kind: Kind, key: &[u8]) -> Option<u32> {
        self.keys.get(&key_hash(kind, key)).copied()
    }

    /// Live stories sharing a band key, in first-match order.
    pub fn candidates(&self, bands: &[u64]) -> Vec<String> {
        self.bands
            .candidates(bands)
            .into_iter()
            .filter_map(|slot| self.id(slot))
            .collect()
    }

    /// Forgets a story and those of its keys that still point at it.
    pub fn remove(&mut self, id: &str, record: Option<&Record>) {
        let Some(num) = parse_id(id) else { return };
        let Some(slot) = self.slots.remove(&num) else {
            return;
        };
        if let Some(record) = record {
            for (kind, key) in record.keys() {
                let hash = key_hash(kind, key);
                if self.keys.get(&hash) == Some(&slot) {
                    self.keys.remove(&hash);
                }
            }
        }
        self.order.remove(&(self.dates[slot as usize], num));
        self.ids[slot as usize] = None;
    }

    /// Ids newest first.
    pub fn newest_first(&self) -> Vec<u128> {
        self.order.iter().rev().map(|&(_, id)| id).collect()
    }

    /// Ids with a date key before `date`.
    pub fn older_than(&self, date: u64) -> Vec<u128> {
        self.order.range(..(date, 0)).map(|&(_, id)| id).collect()
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
            sig: Signature {
                shingles: 3,
                full: vec![1, 2, 3],
                lead: vec![4],
                numbers: vec![],
            },
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
    fn ids_round_trip_and_keep_their_order() {
        let a = "00ff0000000000000000000000000001";
        let b = "0a000000000000000000000000000000";
        assert_eq!(format_id(parse_id(a).unwrap()), a);
        assert!(parse_id(a) < parse_id(b));
        assert_eq!(parse_id("xyz"), None);
        assert_eq!(parse_id("+0ff0000000000000000000000000001"), None);
    }

    #[test]
    fn removed_stories_leave_no_keys_or_candidates() {
        let mut index = Index::default();
        let id = "00000000000000000000000000000001";
        let slot = index.add(id, None, &record(), &[7]).unwrap();
        assert_eq!(index.seq(id), Some(0));
        assert_eq!(index.lookup(Kind::Link, b"example.org/b"), Some(slot));
        assert_eq!(index.candidates(&[7]), [id]);
        assert_eq!(index.newest_first(), [1]);
        index.remove(id, Some(&record()));
        assert_eq!(index.lookup(Kind::Link, b"example.org/b"), None);
        assert!(index.candidates(&[7]).is_empty());
        assert!(index.newest_first().is_empty());
    }
}
