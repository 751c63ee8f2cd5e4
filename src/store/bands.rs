//! The near-duplicate candidate index: LSH band keys → story slots, held in memory.
//!
//! Every story has a few dozen band keys; keeping them as sled keys made each new story cost
//! dozens of tree inserts and each lookup dozens of prefix scans (measured: ~1,000 items/s and
//! 14 KiB on disk per story). Here a key costs 8 bytes in one of 2^18 buckets, picked by the
//! key's top bits; a bucket is scanned linearly (~20 entries at 100,000 stories). The index
//! is rebuilt from the stored index records when the store opens, so it never disagrees with
//! sled after a crash. Slots are the store's in-memory story numbers (see `index`); the
//! caller skips slots of removed stories.

const BUCKET_BITS: u32 = 18;

/// Band key → story slot, for candidate lookup.
pub struct BandIndex {
    /// Each entry: low 32 bits of the band key (above the bucket bits) << 32 | slot.
    buckets: Vec<Vec<u64>>,
}

impl Default for BandIndex {
    fn default() -> Self {
        BandIndex {
            buckets: vec![Vec::new(); 1 << BUCKET_BITS],
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
    pub fn insert(&mut self, slot: u32, keys: &[u64]) {
        for &key in keys {
            let (bucket, tag) = split(key);
            self.buckets[bucket].push(tag << 32 | u64::from(slot));
        }
    }

    /// Slots sharing at least one band key, each once, in first-match order. Removed
    /// stories' entries stay until the next rebuild; the caller filters them out.
    pub fn candidates(&self, keys: &[u64]) -> Vec<u32> {
        let mut slots: Vec<u32> = Vec::new();
        for &key in keys {
            let (bucket, tag) = split(key);
            for &entry in &self.buckets[bucket] {
                if entry >> 32 == tag {
                    let slot = entry as u32;
                    if !slots.contains(&slot) {
                        slots.push(slot);
                    }
                }
            }
        }
        slots
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_slots_sharing_a_key_once() {
        let mut index = BandIndex::default();
        index.insert(0, &[1, 2, u64::MAX]);
        index.insert(1, &[2, 3]);
        index.insert(2, &[4]);
        assert_eq!(index.candidates(&[2, 1]), [0, 1]);
        assert_eq!(index.candidates(&[u64::MAX]), [0]);
        assert!(index.candidates(&[5]).is_empty());
    }
}
