//! The near-duplicate candidate index: LSH band keys → story slots, held in memory, with a
//! cap on the stories one key may gather.
//!
//! A key costs 8 bytes in one of 2^18 buckets picked by the key's top bits; a bucket is
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
//! order, so saturation comes out as it was), so it never disagrees with sled after a crash.

use std::collections::HashMap;

const BUCKET_BITS: u32 = 18;
/// Stories one band key may point at before it is saturated.
pub const KEY_CAP: u32 = 8;

/// Band key → story slots, for candidate lookup.
pub struct BandIndex {
    /// Each entry: low 32 bits of the band key << 32 | slot.
    buckets: Vec<Vec<u64>>,
    /// Saturated keys → stories counted in them.
    saturated: HashMap<u64, u32>,
}

impl Default for BandIndex {
    fn default() -> Self {
        BandIndex {
            buckets: vec![Vec::new(); 1 << BUCKET_BITS],
            saturated: HashMap::new(),
        }
    }
}

fn split(key: u64) -> (usize, u64) {
    let bucket = (key >> (64 - BUCKET_BITS)) as usize;
    // The low 32 bits tell entries of one bucket apart (band keys are well-mixed hashes); a
    // rare clash only adds a candidate, which the signature comparison then rejects.
    let tag = key & 0xffff_ffff;
    (bucket, tag)
}

impl BandIndex {
    /// Points `keys` at `slot`. The caller passes each (key, story) once: keys the story
    /// already has are left out (see `Index::attach`).
    pub fn insert(&mut self, slot: u32, keys: &[u64]) {
        for &key in keys {
            if let Some(count) = self.saturated.get_mut(&key) {
                *count += 1;
                continue;
            }
            let (bucket, tag) = split(key);
            let entries = &mut self.buckets[bucket];
            let mut sharing = 0;
            for &e in entries.iter() {
                if e >> 32 == tag {
                    if e as u32 == slot {
                        sharing = u32::MAX;
                        break;
                    }
                    sharing += 1;
                }
            }
            if sharing == u32::MAX {
                continue;
            }
            if sharing >= KEY_CAP {
                entries.retain(|e| e >> 32 != tag);
                self.saturated.insert(key, sharing + 1);
            } else {
                entries.push(tag << 32 | u64::from(slot));
            }
        }
    }

    /// Takes `slot` out of `keys` (the same keys it was inserted under).
    pub fn remove(&mut self, slot: u32, keys: &[u64]) {
        for &key in keys {
            if let Some(count) = self.saturated.get_mut(&key) {
                *count = count.saturating_sub(1);
                if *count == 0 {
                    self.saturated.remove(&key);
                }
                continue;
            }
            let (bucket, tag) = split(key);
            let entry = tag << 32 | u64::from(slot);
            let entries = &mut self.buckets[bucket];
            if let Some(i) = entries.iter().position(|&e| e == entry) {
                entries.swap_remove(i);
            }
            if entries.is_empty() {
                // Give a drained bucket's memory back: after a burst it may have grown large.
                *entries = Vec::new();
            }
        }
    }

    /// Slots sharing at least one unsaturated band key, each once, in first-match order.
    pub fn candidates(&self, keys: &[u64], out: &mut Vec<u32>) {
        for &key in keys {
            let (bucket, tag) = split(key);
            for &entry in &self.buckets[bucket] {
                if entry >> 32 == tag {
                    let slot = entry as u32;
                    if !out.contains(&slot) {
                        out.push(slot);
                    }
                }
            }
        }
    }

    /// Band entries and saturated keys held, for tests and the benchmark.
    #[allow(dead_code)]
    pub fn size(&self) -> (usize, usize) {
        (
            self.buckets.iter().map(Vec::len).sum(),
            self.saturated.len(),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn candidates(index: &BandIndex, keys: &[u64]) -> Vec<u32> {
        let mut out = Vec::new();
        index.candidates(keys, &mut out);
        out
    }

    #[test]
    fn finds_slots_sharing_a_key_once() {
        let mut index = BandIndex::default();
        index.insert(0, &[1, 2, u64::MAX]);
        index.insert(1, &[2, 3]);
        index.insert(2, &[4]);
        assert_eq!(candidates(&index, &[2, 1]), [0, 1]);
        assert_eq!(candidates(&index, &[u64::MAX]), [0]);
        assert!(candidates(&index, &[5]).is_empty());
        index.remove(0, &[1, 2, u64::MAX]);
        assert_eq!(candidates(&index, &[2, 1]), [1]);
    }

    #[test]
    fn a_key_shared_by_too_many_stories_yields_nothing_until_they_leave() {
        let mut index = BandIndex::default();
        let n = KEY_CAP + 1;
        for slot in 0..n {
            index.insert(slot, &[42, 1000 + u64::from(slot)]);
        }
        assert!(candidates(&index, &[42]).is_empty(), "saturated");
        assert_eq!(candidates(&index, &[1003]), [3], "own keys still work");
        assert_eq!(index.size(), (n as usize, 1));
        for slot in 0..n {
            index.remove(slot, &[42, 1000 + u64::from(slot)]);
        }
        assert_eq!(index.size(), (0, 0), "nothing left behind");
        index.insert(7, &[42]);
        assert_eq!(candidates(&index, &[42]), [7]);
    }
}
