//! The packed signatures of every story in one buffer, found by slot.
//!
//! A boxed slice per story cost a 16-byte pointer, the allocator's header and its rounding
//! (about 40 bytes a story beside its ~150 bytes of signatures) and left the heap
//! fragmented as stories came and went. Here a slot is an offset and a length in one `u64`
//! and the signatures sit end to end. A story's new signatures go to the end; the words
//! they replace (and those of expired stories) are garbage until the buffer is compacted in
//! place, which happens once garbage passes an eighth of it, so the buffer stays within a
//! seventh above the live signatures' size, and compacting moves at most eight words per
//! word of garbage (a copy grows a story's signatures at the end: about one in three new
//! documents).

/// A slot's span: the offset in words in the high 40 bits, the length in the low 24 (a
/// story holds at most `MAX_COPIES` signatures of at most 5 + 3 × 65,535 words each).
type Span = u64;
const LEN_BITS: u32 = 24;
const LEN_MASK: u64 = (1 << LEN_BITS) - 1;
/// Compact once garbage passes this share of the buffer (a fraction)...
const GARBAGE: (usize, usize) = (1, 8);
/// ...and is at least this many words: a small store's garbage is not worth a pass.
const MIN_GARBAGE: usize = 1 << 16;

fn span(offset: usize, len: usize) -> Span {
    debug_assert!(len as u64 <= LEN_MASK, "a story's signatures fit a span");
    (offset as u64) << LEN_BITS | (len as u64 & LEN_MASK)
}

fn offset_of(s: Span) -> usize {
    (s >> LEN_BITS) as usize
}

fn len_of(s: Span) -> usize {
    (s & LEN_MASK) as usize
}

/// Slot → packed signature words.
#[derive(Default)]
pub struct Arena {
    words: Vec<u16>,
    spans: Vec<Span>,
    /// Words in `words` that no span covers.
    garbage: usize,
}

impl Arena {
    /// Adds an empty slot at the end.
    pub fn push_slot(&mut self) {
        self.spans.push(span(0, 0));
    }

    /// The words of `slot` (none for a slot out of range).
    pub fn get(&self, slot: u32) -> &[u16] {
        match self.spans.get(slot as usize) {
            Some(&s) => &self.words[offset_of(s)..offset_of(s) + len_of(s)],
            None => &[],
        }
    }

    /// Puts `words` in place of the slot's words.
    pub fn set(&mut self, slot: u32, words: &[u16]) {
        let i = slot as usize;
        let old = self.spans[i];
        if len_of(old) > 0 && offset_of(old) + len_of(old) == self.words.len() {
            // The last words of the buffer: overwritten where they are.
            self.words.truncate(offset_of(old));
        } else {
            self.garbage += len_of(old);
        }
        // An empty slot points at 0, never past the end of a buffer compacted since.
        let at = if words.is_empty() {
            0
        } else {
            self.words.len()
        };
        self.words
            .extend_from_slice(&words[..words.len().min(LEN_MASK as usize)]);
        self.spans[i] = span(at, words.len().min(LEN_MASK as usize));
        self.maybe_compact();
    }

    /// Appends `more` to the slot's words.
    pub fn append(&mut self, slot: u32, more: &[u16]) {
        let i = slot as usize;
        let old = self.spans[i];
        if len_of(old) == 0 {
            return self.set(slot, more);
        }
        if len_of(old) + more.len() > LEN_MASK as usize {
            return;
        }
        if offset_of(old) + len_of(old) == self.words.len() {
            self.words.extend_from_slice(more);
            self.spans[i] = span(offset_of(old), len_of(old) + more.len());
        } else {
            let at = self.words.len();
            self.words
                .extend_from_within(offset_of(old)..offset_of(old) + len_of(old));
            self.words.extend_from_slice(more);
            self.spans[i] = span(at, self.words.len() - at);
            self.garbage += len_of(old);
            self.maybe_compact();
        }
    }

    /// Empties the slot.
    pub fn clear(&mut self, slot: u32) {
        self.set(slot, &[]);
    }

    fn maybe_compact(&mut self) {
        if self.garbage >= MIN_GARBAGE && self.garbage * GARBAGE.1 > self.words.len() * GARBAGE.0 {
            self.compact();
        }
    }

    /// Moves every span down over the garbage, in offset order, within the buffer itself
    /// (a copy of the buffer would double the peak of the largest part of the index), then
    /// gives the freed tail back to the allocator.
    pub fn compact(&mut self) {
        let mut order: Vec<(usize, u32)> = self
            .spans
            .iter()
            .enumerate()
            .filter(|(_, &s)| len_of(s) > 0)
            .map(|(slot, &s)| (offset_of(s), slot as u32))
            .collect();
        debug_assert!(self.spans.iter().all(|&s| len_of(s) > 0 || s == span(0, 0)));
        order.sort_unstable();
        let mut to = 0;
        for (from, slot) in order {
            let len = len_of(self.spans[slot as usize]);
            self.words.copy_within(from..from + len, to);
            self.spans[slot as usize] = span(to, len);
            to += len;
        }
        self.words.truncate(to);
        self.words.shrink_to(to + to / 8);
        self.garbage = 0;
    }

    /// The live words slot by slot, without garbage (what the index image stores).
    pub fn live_words(&self) -> impl Iterator<Item = &[u16]> {
        (0..self.spans.len()).map(|slot| self.get(slot as u32))
    }

    /// Words of live signatures.
    pub fn live_len(&self) -> usize {
        self.words.len() - self.garbage
    }

    /// An arena holding `words` cut into slots of `lens` words, in slot order (an index
    /// image). None when the lengths do not add up to the words or one is too long.
    pub fn from_parts(words: Vec<u16>, lens: &[u32]) -> Option<Arena> {
        let mut spans = Vec::with_capacity(lens.len());
        let mut at = 0usize;
        for &len in lens {
            let len = len as usize;
            if len as u64 > LEN_MASK {
                return None;
            }
            // An empty slot points at 0 (see `set`).
            spans.push(span(if len == 0 { 0 } else { at }, len));
            at = at.checked_add(len)?;
        }
        (at == words.len()).then_some(Arena {
            words,
            spans,
            garbage: 0,
        })
    }

    /// Bytes held: the buffer's words (live and garbage) and the spans. The buffer's spare
    /// capacity is left out: a buffer this large is mapped by the allocator on its own, and
    /// its pages cost memory only once written (compaction gives back all but an eighth).
    pub fn memory(&self) -> usize {
        self.words.len() * 2 + self.spans.capacity() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_keep_their_words_through_sets_appends_clears_and_compaction() {
        let mut arena = Arena::default();
        let mut model: Vec<Vec<u16>> = Vec::new();
        let mut state = 1u64;
        let mut next = || {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (state >> 33) as usize
        };
        let mut compactions = 0;
        for round in 0..60_000 {
            let garbage = arena.garbage;
            if model.len() < 300 || next() % 10 == 0 {
                arena.push_slot();
                model.push(Vec::new());
            }
            let slot = next() % model.len();
            let len = next() % 200;
            let words: Vec<u16> = (0..len).map(|i| (round + i) as u16).collect();
            match next() % 4 {
                0 => {
                    arena.append(slot as u32, &words);
                    model[slot].extend_from_slice(&words);
                }
                1 => {
                    arena.clear(slot as u32);
                    model[slot].clear();
                }
                _ => {
                    arena.set(slot as u32, &words);
                    model[slot] = words;
                }
            }
            // Nothing but a compaction lowers the garbage.
            compactions += usize::from(arena.garbage < garbage);
            assert!(arena.garbage * 8 <= arena.words.len() + 8 * MIN_GARBAGE);
        }
        assert!(compactions > 2, "the test compacted ({compactions} times)");
        for (slot, words) in model.iter().enumerate() {
            assert_eq!(arena.get(slot as u32), &words[..], "slot {slot}");
        }
        arena.compact();
        assert_eq!(arena.words.len(), model.iter().map(Vec::len).sum::<usize>());
        for (slot, words) in model.iter().enumerate() {
            assert_eq!(
                arena.get(slot as u32),
                &words[..],
                "slot {slot} after compaction"
            );
        }
        let lens: Vec<u32> = arena.live_words().map(|w| w.len() as u32).collect();
        let words: Vec<u16> = arena.live_words().flatten().copied().collect();
        let back = Arena::from_parts(words.clone(), &lens).expect("parts add up");
        for (slot, words) in model.iter().enumerate() {
            assert_eq!(back.get(slot as u32), &words[..]);
        }
        assert!(Arena::from_parts(words, &[1, 2]).is_none());
    }
}
