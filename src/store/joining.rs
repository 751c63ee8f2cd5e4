//! Which stored stories a near-duplicate item joins. Joining a story says "this item is a
//! copy of it"; merging two stories says "they were one all along", and asks for more.
//!
//! A teaser (title and first sentence or two, see [`dedup::is_teaser`]) cannot tell two
//! stories with the same opening apart: template stories (weather warnings, results, market
//! reports) share it, and so do two cuts of one story (its first paragraph, a copy with a
//! paragraph dropped). So a teaser's match never makes two stories with full copies one on
//! its own; it needs the full copies themselves to agree, looser than for a match
//! ([`dedup::NearDupConfig::loosened`]): two cuts of one story keep most of each other,
//! two template stories differ in most sentences or in their numbers.
//!
//! * A full item joins every story whose full copy it matches, every story made of teasers
//!   only that it matches unless one of its copies contradicts the item, and a story it
//!   matches only through a teaser when one of that story's full copies agrees with it.
//! * A teaser joins the story with full copies that it resembles most (decided by the
//!   stories' contents, not the order they came in), every other one it matches whose full
//!   copies agree with that one's, and the stories made of teasers only that it matches
//!   unless one of their copies contradicts one of that story's full copies.
//!
//! "Made of teasers" is a shape, not a kind: a short story of two sentences (a warning for
//! one district, a result) looks like the teaser of a longer one with the same opening.
//! What tells them apart is a contradiction ([`dedup::conflict_ref`]): each has a number,
//! a weekday or a title name the other lacks. A copy cut off mid-sentence can lack what its
//! story has after the cut, so it contradicts nothing here.
//!
//! Each decision rests on pairs of copies, not on which copy came first, so the clusters do
//! not depend on arrival order where a teaser's choice is clear (see `tests/dedup_order.rs`).
//! Where one teaser opens two stories that do not agree, it goes with whichever it
//! resembles most among those already stored: one copy in the wrong story at worst, never
//! two stories merged.

use super::dedup::{self, SigRef};
use super::index::Index;

/// The stories an item with signature `item` joins among those it matches.
pub(super) fn joins(
    index: &Index,
    item: SigRef<'_>,
    matched: &[StoryMatch],
    cfg: &dedup::NearDupConfig,
) -> Vec<u32> {
    let loose = cfg.loosened();
    if !dedup::is_teaser(item) {
        return matched
            .iter()
            .filter(|m| {
                if m.anchored {
                    m.full_copy
                        || full_copies(index, m.slot)
                            .any(|c| dedup::is_near_duplicate_ref(item, c, &loose))
                } else {
                    !contradicts(index, m.slot, item)
                }
            })
            .map(|m| m.slot)
            .collect();
    }
    let anchored = matched.iter().filter(|m| m.anchored);
    let host = anchored.clone().max_by(|a, b| a.rank(b));
    let mut join: Vec<u32> = matched
        .iter()
        .filter(|m| !m.anchored)
        .filter(|m| {
            host.is_none_or(|h| {
                !full_copies(index, h.slot)
                    .filter(|a| !dedup::is_cut_text(*a))
                    .any(|a| contradicts(index, m.slot, a))
            })
        })
        .map(|m| m.slot)
        .collect();
    let Some(host) = host else {
        return join;
    };
    join.push(host.slot);
    for other in anchored.filter(|m| m.slot != host.slot) {
        let agree = full_copies(index, host.slot).any(|a| {
            full_copies(index, other.slot).any(|b| dedup::is_near_duplicate_ref(a, b, &loose))
        });
        if agree {
            join.push(other.slot);
        }
    }
    join
}

/// Whether a copy of the story at `slot` that is not cut off mid-sentence contradicts `sig`
/// in its numbers or names.
fn contradicts(index: &Index, slot: u32, sig: SigRef<'_>) -> bool {
    index
        .sigs(slot)
        .any(|c| !dedup::is_cut_text(c) && dedup::conflict_ref(sig, c))
}

/// The full (non-teaser) copies of the story at `slot`.
fn full_copies(index: &Index, slot: u32) -> impl Iterator<Item = SigRef<'_>> {
    index.sigs(slot).filter(|c| !dedup::is_teaser(*c))
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
    tie: Vec<u8>,
}

impl StoryMatch {
    /// How `sig` matches the story at `slot` whose copies are `copies`; None when no copy
    /// matches.
    pub(super) fn of<'a>(
        sig: SigRef<'_>,
        slot: u32,
        copies: impl Iterator<Item = SigRef<'a>> + Clone,
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
        for copy in copies.clone() {
            let teaser = dedup::is_teaser(copy);
            m.anchored |= !teaser;
            if !dedup::is_near_duplicate_ref(sig, copy, cfg) {
                continue;
            }
            matched = true;
            let score = dedup::resemblance(sig, copy);
            if !teaser && !m.full_copy {
                // The first full copy matched: from now on only full copies count.
                m.full_copy = true;
                m.score = score;
            } else if !teaser || !m.full_copy {
                m.score = m.score.max(score);
            }
        }
        if !matched {
            // Most candidates: their tie-break is never read.
            return None;
        }
        let smallest = |full_only: bool| {
            copies
                .clone()
                .filter(|c| !full_only || !dedup::is_teaser(*c))
                .map(|c| c.full)
                .reduce(|a, b| a.min(b))
        };
        m.tie = smallest(true)
            .or_else(|| smallest(false))
            .unwrap_or_default()
            .to_vec();
        Some(m)
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
