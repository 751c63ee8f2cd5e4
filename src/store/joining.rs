//! Which stored stories a near-duplicate item joins. Joining a story says "this item is a
//! copy of it"; merging two stories says "they were one all along", and asks for more.
//!
//! A full item (more than its lead, see [`dedup::is_teaser`]) joins every story it matches:
//! when there are several, they were copies of one story all along.
//!
//! A teaser cannot tell two template stories with the same opening apart, so it joins the
//! one it resembles most, chosen by the stories' contents rather than the order they came
//! in, and the stories made of teasers only that it matches. It merges another story whose
//! full copy it matches only when the two stories agree on their numbers: every number any
//! full copy of a story carries is the story's (a copy only drops numbers), so two stories
//! of which each has a number the other lacks are two events, even when one copy of each
//! happens to carry none (see `Ingest::near_duplicate`).

use super::dedup::{self, SigRef, Signature};
use super::index::Index;

/// The stories an item with signature `item` joins among those it matches.
pub(super) fn joins(index: &Index, item: &Signature, matched: &[StoryMatch]) -> Vec<u32> {
    if !dedup::is_teaser(item.view()) {
        return matched.iter().map(|m| m.slot).collect();
    }
    let mut join: Vec<u32> = matched
        .iter()
        .filter(|m| !m.anchored)
        .map(|m| m.slot)
        .collect();
    let anchored = matched.iter().filter(|m| m.anchored);
    let Some(host) = anchored.clone().max_by(|a, b| a.rank(b)) else {
        return join;
    };
    join.push(host.slot);
    if !host.full_copy {
        return join;
    }
    let host_numbers = story_numbers(index, host.slot);
    for other in anchored.filter(|m| m.full_copy && m.slot != host.slot) {
        let other_numbers = story_numbers(index, other.slot);
        let conflict = match (&host_numbers, &other_numbers) {
            (Some(a), Some(b)) => dedup::number_sets_conflict(a, b),
            _ => false,
        };
        if !conflict {
            join.push(other.slot);
        }
    }
    join
}

/// Every number word of the story's full copies, sorted, without repeats; None when a
/// copy's list was capped (it may miss numbers the story has: then no verdict).
fn story_numbers(index: &Index, slot: u32) -> Option<Vec<u16>> {
    let mut numbers = Vec::new();
    for copy in index.sigs(slot).filter(|c| !dedup::is_teaser(*c)) {
        if copy.numbers.len() >= dedup::MAX_NUMBERS {
            return None;
        }
        numbers.extend_from_slice(copy.numbers);
    }
    numbers.sort_unstable();
    numbers.dedup();
    Some(numbers)
}

/// How a new item matches one stored story: what the choice in `near_duplicate` reads.
pub(super) struct StoryMatch {
    pub(super) slot: u32,
    /// The item matches one of the story's full (non-teaser) copies.
    full_copy: bool,
    /// The story has a full copy (else it is made of teasers only).
    anchored: bool,
    /// The item's best [`dedup::resemblance`] to a matched full copy, or to any matched
    /// copy when it matches no full one.
    score: f64,
    /// The smallest MinHash sketch among the story's full copies (all copies when it has
    /// none): a tie-break that the story's contents decide, not the order they came in.
    tie: Vec<u16>,
}

impl StoryMatch {
    /// How `sig` matches the story at `slot` whose copies are `copies`; None when no copy
    /// matches.
    pub(super) fn of<'a>(
        sig: &Signature,
        slot: u32,
        copies: impl Iterator<Item = SigRef<'a>>,
        cfg: &dedup::NearDupConfig,
    ) -> Option<StoryMatch> {
        let mut m = StoryMatch {
            slot,
            full_copy: false,
            anchored: false,
            score: 0.0,
            tie: Vec::new(),
        };
        let mut matched = false;
        let mut tie_any: Option<&[u16]> = None;
        let mut tie_full: Option<&[u16]> = None;
        for copy in copies {
            let teaser = dedup::is_teaser(copy);
            m.anchored |= !teaser;
            tie_any = Some(tie_any.map_or(copy.full, |t| t.min(copy.full)));
            if !teaser {
                tie_full = Some(tie_full.map_or(copy.full, |t| t.min(copy.full)));
            }
            if !dedup::is_near_duplicate_ref(sig.view(), copy, cfg) {
                continue;
            }
            matched = true;
            let score = dedup::resemblance(sig.view(), copy);
            if !teaser && !m.full_copy {
                // The first full copy matched: from now on only full copies count.
                m.full_copy = true;
                m.score = score;
            } else if !teaser || !m.full_copy {
                m.score = m.score.max(score);
            }
        }
        m.tie = tie_full.or(tie_any).unwrap_or_default().to_vec();
        matched.then_some(m)
    }

    /// Which story a teaser joins: one whose full copy it matches over one it matches only
    /// through teasers, then the closest resemblance, then (the same teaser text opening
    /// two stories) the smaller sketch. `Greater` for the better of the two.
    fn rank(&self, other: &StoryMatch) -> std::cmp::Ordering {
        self.full_copy
            .cmp(&other.full_copy)
            .then(self.score.total_cmp(&other.score))
            .then_with(|| other.tie.cmp(&self.tie))
    }
}
