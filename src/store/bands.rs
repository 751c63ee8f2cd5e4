//! The near-duplicate candidate index: LSH band keys → story slots, held in memory, with a
//! cap on the stories one key may gather.
//!
//! A key costs 5 bytes in one of 2^18 buckets picked by the key's top bits; a bucket is
//! scanned linearly. Each (key, story) pair is held once, however many copies of the story
//! share the key, so a key's entries count distinct stories.
//!
//! The cap: a key shared by more than [`KEY_CAP`] stories was formed from wording that many
//! stories share — agency formulas, the fixed text of a template family (weather warnings,
//! results, market reports) — and says nothing about which story a new one is a copy of.
//! Such a key is *saturated*: its entries are dropped, it yields no candidates and only
//! counts the stories that hash to it. That keeps the candidates of a new story constant as
//! the store grows (measured in `cargo bench --bench store`); a copy still meets its
//! original through the bands formed of the story's own words. A saturated key is forgotten
//! once the last story counted in it leaves, so memory follows the live store.
//!
//! The index is rebuilt from the stored index records when the store opens (in sequence
//! order), so it never disagrees with sled after a crash. A rebuild counts only the live
//! stories, though: a key that saturated and then lost all but a few of its stories to
//! expiry stays saturated in a running index (and in the index image it writes), where a
//! rebuild holds those few as entries. The running index then misses those stories as
//! candidates through that key only; their other keys still find them.

const BUCKET_BITS: u32 = 18;
/// Buckets of every band index (the index image stores this many bucket lengths).
pub const BUCKETS: usize = 1 << BUCKET_BITS;
/// Stories one band key may point at before it is saturated.
pub const KEY_CAP: u32 = 8;

/// One band entry in 5 bytes (little-endian): 14 bits of the key below the bucket's bits
/// above 26 bits of slot. At a million stories (some 25 band entries each) the 8-byte
/// entries in vectors grown by doubling cost about 300 bytes a story; 6-byte ones (a 16-bit
/// tag beside a 32-bit slot), grown by an eighth, about 150; these about 130. Two keys of
/// one bucket share a tag with a chance of 1 in 16,384: at a million stories a bucket holds
/// some 100 entries, so a story's ~25 keys meet about 0.15 clashes, each only an extra
/// candidate, which the signature comparison then rejects.
pub type Entry = [u8; 5];

const TAG_BITS: u32 = 14;
const SLOT_BITS: u32 = 26;
const SLOT_MASK: u64 = (1 << SLOT_BITS) - 1;

/// Slots from here up mark a saturated key in its bucket, the low 16 bits counting its
/// stories: the mark sits where the key's entries were, so inserting a key costs one bucket
/// scan and no look-up elsewhere (a separate map of saturated keys was a third cache miss
/// per key, and inserting band entries most of `Store::open`). Slots below it (some 67
/// million stories) are indexed; a store with more live stories indexes the rest for their
/// exact keys only.
const SATURATED: u32 = 0x3ff_0000;

fn entry(tag: u16, slot: u32) -> Entry {
    let v = u64::from(tag) << SLOT_BITS | (u64::from(slot) & SLOT_MASK);
    let b = v.to_le_bytes();
    [b[0], b[1], b[2], b[3], b[4]]
}

/// The whole entry as a number: what `tag_of` and `slot_of` read in part.
#[cfg(test)]
fn unpack(e: &Entry) -> u64 {
    u64::from_le_bytes([e[0], e[1], e[2], e[3], e[4], 0, 0, 0])
}

fn tag_of(e: &Entry) -> u16 {
    // The top two bytes hold the tag above the slot's top two bits (SLOT_BITS = 26): the
    // same value as `unpack(e) >> SLOT_BITS`, from two bytes instead of five, which is what
    // every bucket scan compares.
    u16::from_le_bytes([e[3], e[4]]) >> (SLOT_BITS - 24)
}

fn slot_of(e: &Entry) -> u32 {
    // The low four bytes hold the slot's 26 bits (and the tag's lowest six above them).
    u32::from_le_bytes([e[0], e[1], e[2], e[3]]) & SLOT_MASK as u32
}

/// Band key → story slots, for candidate lookup.
pub struct BandIndex {
    buckets: Vec<Vec<Entry>>,
}

impl Default for BandIndex {
    fn default() -> Self {
        BandIndex {
            buckets: vec![Vec::new(); BUCKETS],
        }
    }
}

fn split(key: u64) -> (usize, u16) {
    let bucket = (key >> (64 - BUCKET_BITS)) as usize;
    let tag = ((key >> (64 - BUCKET_BITS - TAG_BITS)) & ((1 << TAG_BITS) - 1)) as u16;
    (bucket, tag)
}

impl BandIndex {
    /// Points `keys` at `slot`. The caller passes each (key, story) once: keys the story
    /// already has are left out (see `Index::attach`).
    pub fn insert(&mut self, slot: u32, keys: &[u64]) {
        if slot >= SATURATED {
            return; // some 67 million live stories: not indexed for near duplicates
        }
        self.prefetch(keys);
        for &key in keys {
            let (bucket, tag) = split(key);
            let entries = &mut self.buckets[bucket];
            let mut sharing = 0;
            let mut mark = None;
            for (i, e) in entries.iter().enumerate() {
                if tag_of(e) == tag {
                    let s = slot_of(e);
                    if s >= SATURATED {
                        mark = Some(i);
                        break;
                    }
                    if s == slot {
                        sharing = u32::MAX;
                        break;
                    }
                    sharing += 1;
                }
            }
            if let Some(i) = mark {
                let count = (slot_of(&entries[i]) - SATURATED).saturating_add(1);
                entries[i] = entry(tag, SATURATED | count.min(0xffff));
                continue;
            }
            if sharing == u32::MAX {
                continue;
            }
            if sharing >= KEY_CAP {
                entries.retain(|e| tag_of(e) != tag);
                entries.push(entry(tag, SATURATED | (sharing + 1)));
            } else {
                if entries.len() == entries.capacity() {
                    // Grow by an eighth, not double: slack is most of a doubling vector's
                    // memory, and a bucket holds ~30 entries per 10,000 stories.
                    entries.reserve_exact((entries.len() / 8).max(2));
                }
                entries.push(entry(tag, slot));
            }
        }
    }

    /// Asks the CPU for the buckets of all `keys` before they are scanned one by one: each
    /// is a random place in memory, and waiting for them one at a time was most of the cost
    /// of inserting a story's ~30 keys (and so of `Store::open`).
    fn prefetch(&self, keys: &[u64]) {
        #[cfg(target_arch = "x86_64")]
        {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            for &key in keys {
                let header: *const Vec<Entry> = &self.buckets[split(key).0];
                // SAFETY: a prefetch is only a hint; the pointer is valid and never read here.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(header.cast()) };
            }
            for &key in keys {
                let data = self.buckets[split(key).0].as_ptr();
                // SAFETY: as above; a dangling pointer of an empty vector is fine for a hint.
                unsafe { _mm_prefetch::<_MM_HINT_T0>(data.cast()) };
            }
        }
    }

    /// Takes `slot` out of `keys` (the same keys it was inserted under).
    pub fn remove(&mut self, slot: u32, keys: &[u64]) {
        for &key in keys {
            let (bucket, tag) = split(key);
            let entries = &mut self.buckets[bucket];
            let found = entries
                .iter()
                .position(|e| tag_of(e) == tag && (slot_of(e) == slot || slot_of(e) >= SATURATED));
            if let Some(i) = found {
                let s = slot_of(&entries[i]);
                if s > SATURATED + 1 {
                    // A saturated key still counting other stories.
                    entries[i] = entry(tag, s - 1);
                } else {
                    // The story's entry, or the last story counted in a saturated key.
                    entries.swap_remove(i);
                }
            }
            if entries.capacity() > 2 * entries.len() + 8 {
                // Give a drained bucket's memory back: after a burst it may have grown large.
                entries.shrink_to(entries.len() + entries.len() / 8);
            }
        }
    }

    /// Adds the slots sharing an unsaturated key among `keys` to `out`, each once, in
    /// first-match order, and `weight` to its entry in `weights` (parallel to `out`) for
    /// every key it shares.
    pub fn gather(&self, keys: &[u64], weight: u16, out: &mut Vec<u32>, weights: &mut Vec<u16>) {
        for &key in keys {
            let (bucket, tag) = split(key);
            for e in &self.buckets[bucket] {
                if tag_of(e) == tag {
                    let slot = slot_of(e);
                    if slot >= SATURATED {
                        continue;
                    }
                    match out.iter().position(|&s| s == slot) {
                        Some(i) => weights[i] = weights[i].saturating_add(weight),
                        None => {
                            out.push(slot);
                            weights.push(weight);
                        }
                    }
                }
            }
        }
    }

    /// The buckets, for the index image.
    pub(super) fn raw(&self) -> &[Vec<Entry>] {
        &self.buckets
    }

    /// Takes back what [`BandIndex::raw`] handed out: [`BUCKETS`] buckets whose entries
    /// each point at a slot below `slots` or mark a saturated key.
    pub(super) fn from_raw(
        buckets: Vec<Vec<Entry>>,
        slots: usize,
    ) -> Result<BandIndex, &'static str> {
        if buckets.len() != BUCKETS {
            return Err("the band index has the wrong number of buckets");
        }
        let valid = |e: &Entry| {
            let slot = slot_of(e);
            slot >= SATURATED || (slot as usize) < slots
        };
        if !buckets.iter().flatten().all(valid) {
            return Err("a band entry points at no story slot");
        }
        Ok(BandIndex { buckets })
    }

    /// Bytes held: the bucket headers and each bucket's allocation, slack included.
    pub fn memory(&self) -> usize {
        self.buckets.capacity() * std::mem::size_of::<Vec<Entry>>()
            + self
                .buckets
                .iter()
                .map(|b| super::index::malloc_chunk(b.capacity() * std::mem::size_of::<Entry>()))
                .sum::<usize>()
    }

    /// Band entries and saturated keys held, for tests and the benchmark.
    pub fn size(&self) -> (usize, usize) {
        let mut entries = 0;
        let mut saturated = 0;
        for e in self.buckets.iter().flatten() {
            if slot_of(e) >= SATURATED {
                saturated += 1;
            } else {
                entries += 1;
            }
        }
        (entries, saturated)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Band keys are well-mixed hashes; small numbers are spread the same way.
    fn k(n: u64) -> u64 {
        n.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5555
    }

    fn candidates(index: &BandIndex, keys: &[u64]) -> Vec<u32> {
        let (mut out, mut weights) = (Vec::new(), Vec::new());
        index.gather(keys, 1, &mut out, &mut weights);
        assert_eq!(out.len(), weights.len());
        out
    }

    #[test]
    fn an_entry_gives_back_its_tag_and_slot() {
        let slots = [
            0,
            1,
            0x12_3456,
            SATURATED,
            SATURATED | 0xffff,
            SLOT_MASK as u32,
        ];
        for tag in [0u16, 1, 0x2aaa, 0x1555, 0x3fff] {
            for slot in slots {
                let e = entry(tag, slot);
                assert_eq!((tag_of(&e), slot_of(&e)), (tag, slot));
                assert_eq!(u64::from(tag_of(&e)), unpack(&e) >> SLOT_BITS);
                assert_eq!(u64::from(slot_of(&e)), unpack(&e) & SLOT_MASK);
            }
        }
    }

    #[test]
    fn finds_slots_sharing_a_key_once() {
        let mut index = BandIndex::default();
        index.insert(0, &[k(1), k(2), k(u64::MAX)]);
        index.insert(1, &[k(2), k(3)]);
        index.insert(2, &[k(4)]);
        assert_eq!(candidates(&index, &[k(2), k(1)]), [0, 1]);
        assert_eq!(candidates(&index, &[k(u64::MAX)]), [0]);
        assert!(candidates(&index, &[k(5)]).is_empty());
        // Weights add up per shared key, across calls.
        let (mut out, mut weights) = (Vec::new(), Vec::new());
        index.gather(&[k(1), k(2)], 2, &mut out, &mut weights);
        index.gather(&[k(3)], 1, &mut out, &mut weights);
        assert_eq!((out, weights), (vec![0, 1], vec![4, 3]));
        index.remove(0, &[k(1), k(2), k(u64::MAX)]);
        assert_eq!(candidates(&index, &[k(2), k(1)]), [1]);
    }

    #[test]
    fn a_key_shared_by_too_many_stories_yields_nothing_until_they_leave() {
        let mut index = BandIndex::default();
        let n = KEY_CAP + 1;
        for slot in 0..n {
            index.insert(slot, &[k(42), k(1000 + u64::from(slot))]);
        }
        assert!(candidates(&index, &[k(42)]).is_empty(), "saturated");
        assert_eq!(candidates(&index, &[k(1003)]), [3], "own keys still work");
        assert_eq!(index.size(), (n as usize, 1));
        for slot in 0..n {
            index.remove(slot, &[k(42), k(1000 + u64::from(slot))]);
        }
        assert_eq!(index.size(), (0, 0), "nothing left behind");
        index.insert(7, &[k(42)]);
        assert_eq!(candidates(&index, &[k(42)]), [7]);
    }
}
