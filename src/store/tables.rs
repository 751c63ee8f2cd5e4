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
//!
//! A table grows by a quarter, not by doubling, and places a hash by multiplying its top 32
//! bits by the table's length (so any length works): a doubling table is between three
//! eighths and three quarters full, and at a million stories the key table sat at 53 % —
//! 64 MiB where 45 would do. Growing by a quarter keeps it between 60 and 75 %, for some
//! more entries moved as it grows (each entry about five times in all, against twice).

const NO_SLOT: u32 = u32::MAX;
const NO_ENTRY: u64 = u64::MAX;
/// Buckets of a fresh table; it grows by a quarter when it fills.
const START_LEN: usize = 16;
/// The most buckets a table can have: a hash's top 32 bits place it.
const MAX_LEN: usize = 1 << 32;
/// The most an id table is filled (a fraction): see [`IdTable::insert`].
const ID_LOAD: (usize, usize) = (1, 2);
/// The most a key table is filled: see [`KeyTable::insert`].
const KEY_LOAD: (usize, usize) = (3, 4);

/// The bits of a story id that place it (ids are hashes, so any 64 of them are well mixed).
fn id_hash(id: u128) -> u64 {
    id as u64
}

/// What both tables share: an array of entries, each probed for from the bucket its 64-bit
/// hash's top 32 bits place it in, `empty` marking a free bucket. Where an entry belongs,
/// its table says with a `hash` function, so the id table can hold bare slots.
struct Probe<E> {
    buckets: Vec<E>,
    len: usize,
    empty: E,
}

impl<E: Copy + PartialEq> Probe<E> {
    fn new(empty: E) -> Self {
        Probe {
            buckets: vec![empty; START_LEN],
            len: 0,
            empty,
        }
    }

    /// Takes back a table handed out as its buckets and length (an index image), after
    /// checking what every probe relies on: a size a table can have, `len` counting its
    /// entries, and a load under `max_load`, so a run always ends at a free bucket (a full
    /// table would make every miss loop forever). `valid` checks each entry.
    fn from_raw(
        buckets: Vec<E>,
        len: usize,
        empty: E,
        max_load: (usize, usize),
        mut valid: impl FnMut(E) -> bool,
    ) -> Result<Self, &'static str> {
        if !(START_LEN..=MAX_LEN).contains(&buckets.len()) {
            return Err("a table's size is out of range");
        }
        if len.saturating_mul(max_load.1) > buckets.len().saturating_mul(max_load.0) {
            return Err("a table is fuller than it can be");
        }
        let mut count = 0usize;
        for &e in &buckets {
            if e != empty {
                if !valid(e) {
                    return Err("a table entry points at no story slot");
                }
                count += 1;
            }
        }
        if count != len {
            return Err("a table's length does not count its entries");
        }
        Ok(Probe {
            buckets,
            len,
            empty,
        })
    }

    fn home(&self, hash: u64) -> usize {
        (((hash >> 32) * self.buckets.len() as u64) >> 32) as usize
    }

    /// The bucket after `i`, the first after the last.
    fn next(&self, i: usize) -> usize {
        if i + 1 == self.buckets.len() {
            0
        } else {
            i + 1
        }
    }

    /// How many buckets on from `from` `to` is, cyclically.
    fn distance(&self, from: usize, to: usize) -> usize {
        if to >= from {
            to - from
        } else {
            to + self.buckets.len() - from
        }
    }

    /// The entries (and where they are) from `hash`'s bucket up to the first free one: every
    /// entry with that hash is among them.
    fn run(&self, hash: u64) -> impl Iterator<Item = (usize, E)> + '_ {
        let mut i = self.home(hash);
        std::iter::from_fn(move || {
            let entry = self.buckets[i];
            (entry != self.empty).then(|| {
                let at = i;
                i = self.next(i);
                (at, entry)
            })
        })
    }

    /// Adds `entry`, growing the table by a quarter first when it would pass `max_load` (a
    /// fraction).
    fn insert(&mut self, entry: E, max_load: (usize, usize), hash: impl Fn(E) -> u64) {
        if (self.len + 1) * max_load.1 > self.buckets.len() * max_load.0 {
            let grown = (self.buckets.len() + self.buckets.len() / 4).min(MAX_LEN);
            let old = std::mem::replace(&mut self.buckets, vec![self.empty; grown]);
            let empty = self.empty;
            for e in old.into_iter().filter(|&e| e != empty) {
                self.place(e, hash(e));
            }
        }
        self.place(entry, hash(entry));
        self.len += 1;
    }

    fn place(&mut self, entry: E, hash: u64) {
        let mut i = self.home(hash);
        while self.buckets[i] != self.empty {
            i = self.next(i);
        }
        self.buckets[i] = entry;
    }

    /// Frees the bucket at `at` and moves later entries of the run back into the hole where
    /// their home allows, so a run never has a gap and no tombstones pile up.
    fn remove_at(&mut self, at: usize, hash: impl Fn(E) -> u64) {
        let mut hole = at;
        let mut i = self.next(at);
        while self.buckets[i] != self.empty {
            let moved = self.buckets[i];
            let home = self.home(hash(moved));
            // The hole lies between the entry's home and where it is, cyclically.
            if self.distance(home, i) >= self.distance(hole, i) {
                self.buckets[hole] = moved;
                hole = i;
            }
            i = self.next(i);
        }
        self.buckets[hole] = self.empty;
        self.len -= 1;
    }
}

/// Story id → slot. The ids live in the caller's slot vector (`ids[slot]`), passed to every
/// call; an entry is valid while `ids[slot]` holds its id.
pub struct IdTable(Probe<u32>);

impl Default for IdTable {
    fn default() -> Self {
        IdTable(Probe::new(NO_SLOT))
    }
}

impl IdTable {
    pub fn len(&self) -> usize {
        self.0.len
    }

    /// Bytes held.
    pub fn memory(&self) -> usize {
        self.0.buckets.capacity() * 4
    }

    /// Buckets and length, for the index image.
    pub(super) fn raw(&self) -> (&[u32], usize) {
        (&self.0.buckets, self.0.len)
    }

    /// Takes back what [`IdTable::raw`] handed out, checked against `ids`: every entry is a
    /// live slot (its id not 0), each once.
    pub(super) fn from_raw(
        buckets: Vec<u32>,
        len: usize,
        ids: &[u128],
    ) -> Result<IdTable, &'static str> {
        let mut seen = vec![false; ids.len()];
        let probe = Probe::from_raw(buckets, len, NO_SLOT, ID_LOAD, |slot| {
            let i = slot as usize;
            let fresh = ids.get(i).is_some_and(|&id| id != 0) && !seen[i];
            if fresh {
                seen[i] = true;
            }
            fresh
        })?;
        Ok(IdTable(probe))
    }

    fn position(&self, id: u128, ids: &[u128]) -> Option<(usize, u32)> {
        self.0
            .run(id_hash(id))
            .find(|&(_, slot)| ids[slot as usize] == id)
    }

    pub fn get(&self, id: u128, ids: &[u128]) -> Option<u32> {
        self.position(id, ids).map(|(_, slot)| slot)
    }

    /// Adds `slot`, whose id `ids[slot]` is not in the table yet. Half full at most: an
    /// entry is 4 bytes, and a miss compares ids in another vector for every entry it passes.
    pub fn insert(&mut self, slot: u32, ids: &[u128]) {
        self.0.insert(slot, ID_LOAD, |s| id_hash(ids[s as usize]));
    }

    /// Takes `id` out; `ids` must still hold it. Returns its slot.
    pub fn remove(&mut self, id: u128, ids: &[u128]) -> Option<u32> {
        let (at, slot) = self.position(id, ids)?;
        self.0.remove_at(at, |s| id_hash(ids[s as usize]));
        Some(slot)
    }
}

/// Key hash → slots, a multimap: the same key may point at several stories, and keys whose
/// hashes share their top 32 bits share entries' tags, so a lookup yields every slot under
/// the tag and the caller checks each. An entry is its own hash: the tag is the top bits.
pub struct KeyTable(Probe<u64>);

impl Default for KeyTable {
    fn default() -> Self {
        KeyTable(Probe::new(NO_ENTRY))
    }
}

fn key_entry(hash: u64, slot: u32) -> u64 {
    (hash & !0xffff_ffff) | u64::from(slot)
}

impl KeyTable {
    /// Bytes held.
    pub fn memory(&self) -> usize {
        self.0.buckets.capacity() * 8
    }

    /// Buckets and length, for the index image.
    pub(super) fn raw(&self) -> (&[u64], usize) {
        (&self.0.buckets, self.0.len)
    }

    /// Takes back what [`KeyTable::raw`] handed out; every entry's slot must be below
    /// `slots` (it may be a free one: a damaged record's keys outlive its story, and the
    /// store checks every hit against the record).
    pub(super) fn from_raw(
        buckets: Vec<u64>,
        len: usize,
        slots: usize,
    ) -> Result<KeyTable, &'static str> {
        let probe = Probe::from_raw(buckets, len, NO_ENTRY, KEY_LOAD, |e| {
            (e as u32 as usize) < slots
        })?;
        Ok(KeyTable(probe))
    }

    /// Slots under `hash`'s tag, in table order.
    pub fn get(&self, hash: u64) -> impl Iterator<Item = u32> + '_ {
        let tag = hash >> 32;
        self.0
            .run(hash)
            .filter(move |&(_, e)| e >> 32 == tag)
            .map(|(_, e)| e as u32)
    }

    fn position(&self, entry: u64) -> Option<usize> {
        self.0
            .run(entry)
            .find(|&(_, e)| e == entry)
            .map(|(at, _)| at)
    }

    /// Points `hash` at `slot` (once, however often it is called). Three quarters full at
    /// most: runs stay a few entries long.
    pub fn insert(&mut self, hash: u64, slot: u32) {
        let entry = key_entry(hash, slot);
        if self.position(entry).is_none() {
            self.0.insert(entry, KEY_LOAD, |e| e);
        }
    }

    /// Takes `hash` → `slot` out, if present.
    pub fn remove(&mut self, hash: u64, slot: u32) {
        if let Some(at) = self.position(key_entry(hash, slot)) {
            self.0.remove_at(at, |e| e);
        }
    }

    pub fn len(&self) -> usize {
        self.0.len
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
    fn tables_grow_by_a_quarter_so_a_large_one_is_at_least_three_fifths_full() {
        let mut state = 5;
        let mut keys = KeyTable::default();
        let mut ids: Vec<u128> = Vec::new();
        let mut slots = IdTable::default();
        let (mut key_loads, mut id_loads) = (Vec::new(), Vec::new());
        for slot in 0..100_000u32 {
            keys.insert(next(&mut state), slot);
            ids.push(u128::from(next(&mut state)) << 64 | u128::from(next(&mut state)));
            slots.insert(slot, &ids);
            if slot >= 1_000 {
                key_loads.push(keys.len() as f64 / keys.0.buckets.len() as f64);
                id_loads.push(slots.len() as f64 / slots.0.buckets.len() as f64);
            }
        }
        let range = |loads: &[f64]| {
            let min = loads.iter().copied().fold(f64::MAX, f64::min);
            let max = loads.iter().copied().fold(0.0, f64::max);
            (min, max)
        };
        let (min, max) = range(&key_loads);
        assert!(
            min > 0.59 && max <= 0.75,
            "key table load {min:.3}..{max:.3}"
        );
        let (min, max) = range(&id_loads);
        assert!(min > 0.39 && max <= 0.5, "id table load {min:.3}..{max:.3}");
        for slot in (0..100_000u32).step_by(997) {
            assert_eq!(slots.get(ids[slot as usize], &ids), Some(slot));
        }
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
