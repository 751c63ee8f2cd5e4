//! The ingest's side of a story's life: applies the decisions of `crate::lifecycle` to a
//! stored story when a delivery of it comes in (a newer version, an older one arriving
//! late, a correction, a kill notice, a copy of a withdrawn story), and logs what it
//! ignored and why.

pub(super) use crate::lifecycle::source_time;
use crate::lifecycle::{decide, Decision, Mark};
use crate::model::{Item, Story, StoryStatus, Withdrawal};
use chrono::{DateTime, Utc};

/// What the ingest does next with a delivery of a known story.
pub(super) enum Step {
    /// Nothing more: the story is unchanged.
    Keep,
    /// An older version seen for the first time (logged): the story must be written, to
    /// remember it, but nothing a reader sees changes.
    Late,
    /// The story was withdrawn and must be written with its note.
    Withdrawn,
    /// Go on replacing the story's content in place; then call [`after_update`].
    Replace {
        correction: Option<crate::model::Correction>,
        /// A withheld story comes back even when its text did not change.
        reinstated: bool,
        /// The agency numbered it newer: it replaces the story even with the same text.
        newer: bool,
    },
}

/// Decides about `item`, a delivery of `story` from `source`, before its content is
/// compared; a withdrawal is applied to `story` here.
pub(super) fn before_update(
    story: &mut Story,
    item: &Item,
    mark: &Mark,
    source: &str,
    now: DateTime<Utc>,
) -> Step {
    let own = story.source == source;
    match decide(story, item, mark, own, now) {
        Decision::Ignore(why) => {
            // Another source's copy is everyday dedup, not news.
            if own || mark.kill.is_some() {
                tracing::info!(
                    source,
                    story = %story.id,
                    guid = item.guid.as_deref().unwrap_or(""),
                    "delivery ignored: {why}"
                );
            }
            Step::Keep
        }
        Decision::Late(why) => {
            if !own || !crate::lifecycle::remember_version(story, item) {
                // The same old version read again (a spool folder is read whole when a
                // file is added): said once already.
                tracing::debug!(source, story = %story.id, "delivery ignored again: {why}");
                return Step::Keep;
            }
            tracing::info!(
                source,
                story = %story.id,
                guid = item.guid.as_deref().unwrap_or(""),
                "delivery ignored: {why}"
            );
            Step::Late
        }
        Decision::Withdraw(w) => {
            tracing::info!(
                source,
                story = %story.id,
                title = %story.title,
                "story withdrawn: {}",
                w.reason
            );
            withdraw(story, w, now);
            Step::Withdrawn
        }
        Decision::Replace { correction } => {
            let newer = crate::lifecycle::newer_by_agency(story, item);
            if own {
                crate::lifecycle::remember_version(story, item);
            }
            Step::Replace {
                correction,
                reinstated: story.withdrawal().is_some(),
                newer,
            }
        }
    }
}

/// Marks a story withdrawn. Its text stays as it was: later copies of it must still be
/// recognised, and kept out.
fn withdraw(story: &mut Story, w: Withdrawal, now: DateTime<Utc>) {
    story.status = StoryStatus::Withdrawn;
    story.updated = now.max(story.updated);
    story.life_mut().withdrawal = Some(w);
}

/// After a story was replaced by a newer version: remembers the source's time of it,
/// shows its correction (or none: a plain update supersedes an earlier correction's note),
/// and lifts a withholding.
pub(super) fn after_update(
    story: &mut Story,
    source_time: Option<DateTime<Utc>>,
    correction: Option<crate::model::Correction>,
) {
    if let Some(c) = &correction {
        tracing::info!(story = %story.id, title = %story.title, "correction: {}", c.note);
    }
    let life = story.life_mut();
    life.source_updated = source_time;
    life.correction = correction;
    if life.withdrawal.take().is_some() {
        story.status = StoryStatus::Active;
    }
}

/// The life of a story stored for the first time: the source's time, a correction, or a
/// withdrawal when the first delivery already was a kill notice (stored so that earlier
/// copies arriving later are recognised and kept out).
pub(super) fn new_story(
    story: &mut Story,
    source_time: Option<DateTime<Utc>>,
    version: Option<String>,
    mark: &Mark,
    now: DateTime<Utc>,
) {
    crate::lifecycle::remember_version_key(story, version);
    if let Some(t) = source_time {
        story.life_mut().source_updated = Some(t);
    }
    if let Some(note) = &mark.correction {
        story.life_mut().correction = Some(crate::model::Correction {
            at: now,
            note: note.clone(),
        });
    }
    if let Some((by, reason)) = &mark.kill {
        tracing::info!(story = %story.id, title = %story.title, "stored withdrawn: {reason}");
        withdraw(
            story,
            Withdrawal {
                at: now,
                by: *by,
                reason: reason.clone(),
            },
            now,
        );
    }
}
