//! Which stored stories a near-duplicate item joins. A full item joins every story it
//! matches (they were one story all along); a teaser (an item no longer than its lead)
//! cannot tell two template stories with the same opening apart, so it joins the one it
//! resembles most, chosen by the stories' contents rather than the order they came in, and
//! merges nothing (see `Ingest::near_duplicate`).

use super::dedup::{self, Signature};
use super::index::Index;

/// The stories a teaser joins among those it matches (see `Ingest::near_duplicate`).
pub(super) fn teaser_joins(index: &Index, matched: &[StoryMatch]) -> Vec<u32> {
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
    let full = |slot: u32| index.sigs(slot).filter(|c| !dedup::is_teaser(*c));
    for other in anchored.filter(|m| m.full_copy && m.slot != host.slot) {
        // Two copies of one story agree on their numbers (a copy only drops some); two
        // stories from one template do not.
        let agree =
            full(other.slot).any(|c| full(host.slot).any(|h| !dedup::numbers_conflict_ref(h, c)));
        if agree {
            join.push(other.slot);
        }
    }
    join
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
        copies: impl Iterator<Item = dedup::SigRef<'a>>,
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
