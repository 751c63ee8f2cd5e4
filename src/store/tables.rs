//! Compact open-addressing tables for the in-memory index: story id → slot, and key hash →
//! slots.
//!
//! std's `HashMap<u128, u32>` costs 33 bytes a bucket and `HashMap<u64, u32>` 17, at 44–87 %
//! load; with a million stories and five keys each that was some 200 MB. The id table keeps
//! only the 4-byte slot: the id itself is in the index's slot vector, which the table reads to
//! compare and to find an entry's home. The key table keeps the top 32 bits of the key's
//! hash next to the slot in 8 bytes; entries of different keys that share those bits are all
//! returned, and the store checks each against the story's record, as it always has. Both
//! probe linearly and delete by shifting the run back, so no tombstones pile up as stories
//! come and go.

const NO_SLOT: u32 = u32::MAX;
const NO_ENTRY: u64 = u64::MAX;
/// Buckets of a fresh table; it doubles when it fills.
const START_BITS: u32 = 4;

/// The bucket a 64-bit hash starts at in a table of `2^bits` buckets: its top bits.
fn home(hash: u64, bits: u32) -> usize {
    (hash >> (64 - bits)) as usize
}

/// Whether the entry at `at`, whose home is `home`, may move back into the hole at `hole`
/// (the hole lies between its home and where it is, cyclically).
fn may_fill(hole: usize, at: usize, home: usize, mask: usize) -> bool {
    (at.wrapping_sub(home) & mask) >= (at.wrapping_sub(hole) & mask)
}

/// The bits of a story id that place it (ids are hashes, so any 64 of them are well mixed).
fn id_hash(id: u128) -> u64 {
    id as u64
}

/// Story id → slot. The ids live in the caller's slot vector (`ids[slot]`), passed to every
/// call; an entry is valid while `ids[slot]` holds its id.
pub struct IdTable {
    buckets: Vec<u32>,
    bits: u32,
    len: usize,
}

impl Default for IdTable {
    fn default() -> Self {
        IdTable {
            buckets: vec![NO_SLOT; 1 << START_BITS],
            bits: START_BITS,
            len: 0,
        }
    }
}

impl IdTable {
    fn mask(&self) -> usize {
        self.buckets.len() - 1
    }

    pub fn len(&self) -> usize {
        self.len
    }

    fn position(&self, id: u128, ids: &[u128]) -> Option<usize> {
        let mask = self.mask();
        let mut i = home(id_hash(id), self.bits);
        loop {
            let slot = self.buckets[i];
            if slot == NO_SLOT {
                return None;
            }
            if ids[slot as usize] == id {
                return Some(i);
            }
            i = (i + 1) & mask;
        }
    }

    pub fn get(&self, id: u128, ids: &[u128]) -> Option<u32> {
        self.position(id, ids).map(|i| self.buckets[i])
    }

    /// Adds `slot`, whose id `ids[slot]` is not in the table yet.
    pub fn insert(&mut self, slot: u32, ids: &[u128]) {
        if (self.len + 1) * 2 > self.buckets.len() {
            self.grow(ids);
        }
        self.place(slot, ids);
        self.len += 1;
    }

    fn place(&mut self, slot: u32, ids: &[u128]) {
        let mask = self.mask();
        let mut i = home(id_hash(ids[slot as usize]), self.bits);
        while self.buckets[i] != NO_SLOT {
            i = (i + 1) & mask;
        }
        self.buckets[i] = slot;
    }

    fn grow(&mut self, ids: &[u128]) {
        self.bits += 1;
        let old = std::mem::replace(&mut self.buckets, vec![NO_SLOT; 1 << self.bits]);
        for slot in old.into_iter().filter(|&s| s != NO_SLOT) {
            self.place(slot, ids);
        }
    }

    /// Takes `id` out; `ids` must still hold it. Returns its slot.
    pub fn remove(&mut self, id: u128, ids: &[u128]) -> Option<u32> {
        let at = self.position(id, ids)?;
        let slot = self.buckets[at];
        let mask = self.mask();
        let mut hole = at;
        let mut i = (at + 1) & mask;
        while self.buckets[i] != NO_SLOT {
            let moved = self.buckets[i];
            if may_fill(hole, i, home(id_hash(ids[moved as usize]), self.bits), mask) {
                self.buckets[hole] = moved;
                hole = i;
            }
            i = (i + 1) & mask;
        }
        self.buckets[hole] = NO_SLOT;
        self.len -= 1;
        Some(slot)
    }
}

/// Key hash → slots, a multimap: the same key may point at several stories, and keys whose
/// hashes share their top 32 bits share entries' tags, so a lookup yields every slot under
/// the tag and the caller checks each.
pub struct KeyTable {
    buckets: Vec<u64>,
    bits: u32,
    len: usize,
}

impl Default for KeyTable {
    fn default() -> Self {
        KeyTable {
            buckets: vec![NO_ENTRY; 1 << START_BITS],
            bits: START_BITS,
            len: 0,
        }
    }
}

fn key_entry(hash: u64, slot: u32) -> u64 {
    (hash & !0xffff_ffff) | u64::from(slot)
}

impl KeyTable {
    fn mask(&self) -> usize {
        self.buckets.len() - 1
    }

    /// Slots under `hash`'s tag, in table order.
    pub fn get(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let tag = hash >> 32;
        let mask = self.mask();
        let mut i = home(hash, self.bits);
        std::iter::from_fn(move || loop {
            let entry = self.buckets[i];
            if entry == NO_ENTRY {
                return None;
            }
            i = (i + 1) & mask;
            if entry >> 32 == tag {
                return Some(entry as u32);
            }
        })
    }

    fn position(&self, entry: u64) -> Option<usize> {
        let mask = self.mask();
        let mut i = home(entry, self.bits);
        loop {
            match self.buckets[i] {
                NO_ENTRY => return None,
                e if e == entry => return Some(i),
                _ => i = (i + 1) & mask,
            }
        }
    }

    /// Points `hash` at `slot` (once, however often it is called).
    pub fn insert(&mut self, hash: u64, slot: u32) {
        let entry = key_entry(hash, slot);
        if self.position(entry).is_some() {
            return;
        }
        // 75 % load at most: runs stay a few entries long.
        if (self.len + 1) * 4 > self.buckets.len() * 3 {
            self.bits += 1;
            let old = std::mem::replace(&mut self.buckets, vec![NO_ENTRY; 1 << self.bits]);
            for e in old.into_iter().filter(|&e| e != NO_ENTRY) {
                self.place(e);
            }
        }
        self.place(entry);
        self.len += 1;
    }

    fn place(&mut self, entry: u64) {
        let mask = self.mask();
        let mut i = home(entry, self.bits);
        while self.buckets[i] != NO_ENTRY {
            i = (i + 1) & mask;
        }
        self.buckets[i] = entry;
    }

    /// Takes `hash` → `slot` out, if present.
    pub fn remove(&mut self, hash: u64, slot: u32) {
        let Some(at) = self.position(key_entry(hash, slot)) else {
            return;
        };
        let mask = self.mask();
        let mut hole = at;
        let mut i = (at + 1) & mask;
        while self.buckets[i] != NO_ENTRY {
            let moved = self.buckets[i];
            if may_fill(hole, i, home(moved, self.bits), mask) {
                self.buckets[hole] = moved;
                hole = i;
            }
            i = (i + 1) & mask;
        }
        self.buckets[hole] = NO_ENTRY;
        self.len -= 1;
    }

    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.len
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::{HashMap, HashSet};

    /// A small deterministic generator, so the tables meet long runs and wrap-around.
    fn next(state: &mut u64) -> u64 {
        *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = *state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    #[test]
    fn id_table_agrees_with_a_hash_map_through_inserts_and_removes() {
        let mut state = 7;
        let mut ids: Vec<u128> = Vec::new();
        let mut table = IdTable::default();
        let mut model: HashMap<u128, u32> = HashMap::new();
        for round in 0..20_000u32 {
            if round % 3 == 2 && !model.is_empty() {
                let victim = *model.keys().next().unwrap();
                let slot = table.remove(victim, &ids).expect("present");
                assert_eq!(model.remove(&victim), Some(slot));
                ids[slot as usize] = 0;
            } else {
                // Low bits clustered on purpose: many ids share a home.
                let id = u128::from(next(&mut state) & 0xff00_0000_0000_00ff) << 64
                    | u128::from(next(&mut state) & 0xfff0_0000_0000_0000 | u64::from(round));
                ids.push(id);
                let slot = (ids.len() - 1) as u32;
                table.insert(slot, &ids);
                model.insert(id, slot);
            }
        }
        assert_eq!(table.len(), model.len());
        for (&id, &slot) in &model {
            assert_eq!(table.get(id, &ids), Some(slot));
        }
        assert_eq!(table.get(12345, &ids), None);
    }

    #[test]
    fn key_table_returns_every_slot_under_a_tag_and_forgets_removed_ones() {
        let mut state = 11;
        let mut table = KeyTable::default();
        let mut model: HashSet<(u64, u32)> = HashSet::new();
        for round in 0..30_000u32 {
            // 12 bits of tag: many keys share one, as distinct keys rarely do in the store.
            let hash = next(&mut state) & 0xfff0_0000_0000_0000;
            let slot = round % 977;
            table.insert(hash, slot);
            table.insert(hash, slot);
            model.insert((hash, slot));
            if round % 4 == 3 {
                let &(h, s) = model.iter().next().unwrap();
                table.remove(h, s);
                model.remove(&(h, s));
            }
        }
        assert_eq!(table.len(), model.len());
        for &(hash, slot) in &model {
            let found: Vec<u32> = table.get(hash).collect();
            assert!(found.contains(&slot), "{hash:x} → {slot} lost");
            let tag = hash >> 32;
            let want = model.iter().filter(|(h, _)| h >> 32 == tag).count();
            assert_eq!(found.len(), want, "every slot under the tag, each once");
        }
        table.remove(1, 1);
        assert_eq!(table.get(0x1234_5678_0000_0000).count(), 0);
    }
}
