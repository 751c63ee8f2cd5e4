//! What happened to stories beyond their text, kept apart from them in the `notes` tree:
//! every withdrawal (by the agency or by hand) and every pin, one record per story, so
//! that `status`, curation and the HTML pages read them without scanning every story.
//! Also the editor's actions by hand (withdraw, pin, restore), which change a story
//! outside any delivery.
//!
//! A story's withdrawal and its note are written in one sled transaction over the
//! `stories` and `notes` trees ([`Store::apply_with_notes`]): a crash between the two
//! cannot leave a withdrawn story that `status` and the pages do not list, nor a note of
//! a withdrawal that never happened.

use super::codec::encode_story;
use super::keys::{decode, encode, story_key};
use super::{Result, Store};
use crate::model::{Story, StoryId, StoryStatus, Withdrawal, WithdrawnBy};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use url::Url;

/// The notes of one story.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoryNote {
    pub story: StoryId,
    pub title: String,
    #[serde(default)]
    pub link: Option<Url>,
    #[serde(default)]
    pub withdrawal: Option<Withdrawal>,
    #[serde(default)]
    pub pins: Vec<Pin>,
}

impl StoryNote {
    /// Was anything of it done by hand (a withdrawal by an editor, a pin)?
    pub fn by_hand(&self) -> bool {
        !self.pins.is_empty()
            || self
                .withdrawal
                .as_ref()
                .is_some_and(|w| w.by == WithdrawnBy::Editor)
    }
}

/// A story pinned to the top of one output feed until a time.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    pub feed: String,
    pub at: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

/// Notes to write with a batch of stories (see [`Store::apply_with_notes`]).
#[derive(Default)]
pub struct NotesBatch {
    batch: sled::Batch,
    len: usize,
}

impl NotesBatch {
    /// Writes `note`, or removes it when nothing is left to note.
    fn put(&mut self, note: &StoryNote) {
        if note.withdrawal.is_none() && note.pins.is_empty() {
            self.batch.remove(note.story.as_bytes());
        } else {
            self.batch.insert(note.story.as_bytes(), encode(note));
        }
        self.len += 1;
    }
}

/// Why an editor's action was not done.
#[derive(Debug, thiserror::Error)]
pub enum HandError {
    #[error("no story with the id or link {0:?} in the store (an id is the 32 hex characters or the urn:uuid of a feed entry's guid/id; a link is the story's address)")]
    NotFound(String),
    #[error("story {id} ({title:?}) is withdrawn ({reason}); restore it first to pin it")]
    Withdrawn {
        id: StoryId,
        title: String,
        reason: String,
    },
    #[error(transparent)]
    Store(#[from] super::StoreError),
}

/// What an editor's action did, in words for the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HandDone {
    pub story: StoryId,
    pub title: String,
    pub message: String,
}

impl Store {
    /// Every story's notes.
    pub fn notes(&self) -> Result<Vec<StoryNote>> {
        self.sled()?
            .notes
            .iter()
            .values()
            .map(|v| decode(&v?, "notes"))
            .collect()
    }

    fn note(&self, story: &Story) -> Result<StoryNote> {
        Ok(match self.sled()?.notes.get(story.id.as_bytes())? {
            Some(v) => decode(&v, "notes")?,
            None => StoryNote {
                story: story.id.clone(),
                title: story.title.clone(),
                link: story.link.clone(),
                withdrawal: None,
                pins: Vec::new(),
            },
        })
    }

    fn put_note(&self, note: &StoryNote) -> Result<()> {
        let mut batch = NotesBatch::default();
        batch.put(note);
        self.sled()?.notes.apply_batch(batch.batch)?;
        Ok(())
    }

    /// Adds the note of a story's withdrawal (or of its lifting) to `notes`, to be written
    /// with the story by [`Store::apply_with_notes`].
    pub(crate) fn note_withdrawal(&self, story: &Story, notes: &mut NotesBatch) -> Result<()> {
        let mut note = self.note(story)?;
        note.title = story.title.clone();
        note.withdrawal = story.withdrawal().cloned();
        notes.put(&note);
        Ok(())
    }

    /// Applies a batch of the `stories` tree and the notes that go with it: both or, after
    /// a crash, neither. Without notes it is a plain batch of the `stories` tree.
    pub(crate) fn apply_with_notes(&self, stories: sled::Batch, notes: NotesBatch) -> Result<()> {
        let sled = self.sled()?;
        let _watched = self.stall.enter("writing a batch of stories");
        if notes.len == 0 {
            sled.stories.apply_batch(stories)?;
            return Ok(());
        }
        use sled::Transactional;
        (&sled.stories, &sled.notes)
            .transaction(|(s, n)| {
                s.apply_batch(&stories)?;
                n.apply_batch(&notes.batch)?;
                Ok(())
            })
            .map_err(|e: sled::transaction::TransactionError<()>| match e {
                sled::transaction::TransactionError::Storage(e) => super::StoreError::from(e),
                sled::transaction::TransactionError::Abort(()) => {
                    unreachable!("the transaction never aborts itself")
                }
            })
    }

    /// Drops the notes of stories no longer in the store (after retention).
    pub fn forget_notes(&self) -> Result<()> {
        // Held for the whole walk, so a checkpoint waits (see `Store::checkpoint`).
        let sled = self.sled()?;
        let tree = &sled.notes;
        for key in tree.iter().keys() {
            let key = key?;
            let id = String::from_utf8_lossy(&key).into_owned();
            if self.index().seq(&id).is_none() {
                tree.remove(key)?;
            }
        }
        Ok(())
    }

    /// The story an editor names: its id (32 hex characters, or the `urn:uuid:` the feeds
    /// give it as guid and id), or its link or one of its alternates.
    pub fn find_story(&self, key: &str) -> Result<Option<Story>> {
        let key = key.trim();
        let hex: String = key
            .strip_prefix("urn:uuid:")
            .unwrap_or(key)
            .chars()
            .filter(|c| *c != '-')
            .collect::<String>()
            .to_ascii_lowercase();
        if hex.len() == 32 && hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            if let Some(story) = self.story(&hex)? {
                return Ok(Some(story));
            }
        }
        match url::Url::parse(key) {
            Ok(url) => self.story_by_link(&url),
            Err(_) => Ok(None),
        }
    }

    /// Writes a story changed by hand together with its note.
    fn write_story_now(&self, story: &Story, note: &StoryNote) -> Result<()> {
        let mut stories = sled::Batch::default();
        if let Some(seq) = self.index().seq(&story.id) {
            stories.insert(&story_key(seq)[..], encode_story(story, self.story_dict()));
        }
        let mut notes = NotesBatch::default();
        notes.put(note);
        self.apply_with_notes(stories, notes)
    }

    fn found(&self, key: &str) -> std::result::Result<Story, HandError> {
        self.find_story(key)?
            .ok_or_else(|| HandError::NotFound(key.to_string()))
    }

    /// Withdraws a story by hand: it leaves every output at the next publish and no copy
    /// brings it back until it is restored.
    pub fn withdraw_by_hand(
        &self,
        key: &str,
        reason: &str,
        now: DateTime<Utc>,
    ) -> std::result::Result<HandDone, HandError> {
        let mut story = self.found(key)?;
        if let Some(w) = story.withdrawal() {
            return Ok(HandDone {
                story: story.id.clone(),
                title: story.title.clone(),
                message: format!("already withdrawn ({}); nothing changed", w.reason),
            });
        }
        story.status = StoryStatus::Withdrawn;
        story.life_mut().withdrawal = Some(Withdrawal {
            at: now,
            by: WithdrawnBy::Editor,
            reason: reason.to_string(),
        });
        let mut note = self.note(&story)?;
        note.title = story.title.clone();
        note.withdrawal = story.withdrawal().cloned();
        self.write_story_now(&story, &note)?;
        self.flush()?;
        Ok(HandDone {
            story: story.id.clone(),
            title: story.title.clone(),
            message: "withdrawn from every output".into(),
        })
    }

    /// Pins a story to the top of one feed until `until`.
    pub fn pin(
        &self,
        key: &str,
        feed: &str,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> std::result::Result<HandDone, HandError> {
        let story = self.found(key)?;
        if let Some(w) = story.withdrawal() {
            return Err(HandError::Withdrawn {
                id: story.id.clone(),
                title: story.title.clone(),
                reason: w.reason.clone(),
            });
        }
        let mut note = self.note(&story)?;
        note.pins.retain(|p| p.feed != feed);
        note.pins.push(Pin {
            feed: feed.to_string(),
            at: now,
            until,
        });
        self.put_note(&note)?;
        self.flush()?;
        Ok(HandDone {
            story: story.id.clone(),
            title: story.title.clone(),
            message: format!(
                "pinned to the top of feed {feed} until {}",
                until.format("%Y-%m-%d %H:%M UTC")
            ),
        })
    }

    /// Undoes what was done to a story: its pins and its withdrawal, also one the agency
    /// made (a kill notice read from a headline may have been no kill notice); the same
    /// notice delivered again does not withdraw it again.
    pub fn restore(
        &self,
        key: &str,
        now: DateTime<Utc>,
    ) -> std::result::Result<HandDone, HandError> {
        let mut story = self.found(key)?;
        let mut note = self.note(&story)?;
        let mut undone = Vec::new();
        if !note.pins.is_empty() {
            undone.push(format!("{} pin(s)", note.pins.len()));
            note.pins.clear();
        }
        if let Some(w) = story.life_mut().withdrawal.take() {
            undone.push(format!("the withdrawal ({})", w.reason));
            story.life_mut().lifted = Some(w.reason);
            story.status = StoryStatus::Active;
            story.updated = now.max(story.updated);
        }
        note.withdrawal = None;
        self.write_story_now(&story, &note)?;
        self.flush()?;
        let message = if undone.is_empty() {
            "nothing to restore: it was neither withdrawn nor pinned".to_string()
        } else {
            format!("restored: undid {}", undone.join(" and "))
        };
        Ok(HandDone {
            story: story.id.clone(),
            title: story.title.clone(),
            message,
        })
    }
}
