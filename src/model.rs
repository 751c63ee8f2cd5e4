//! The newsroom's vocabulary shared by every stage: what a parser yields (`Item`, `Teaser`),
//! what the store keeps (`Story`, `TeaserRecord`) and the small value types they share.
//!
//! The model is built for a wire story that changes over time: a story has a stable id
//! derived from the story itself, a version that counts content changes, a status
//! (active, withdrawn), an optional embargo and urgency, and the links under which other
//! sources carried it. Fields added later must be `#[serde(default)]` so that older
//! records still read.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::time::Duration;
use url::Url;

/// What an http(s) source is: a feed, or an HTML page (a section page when it has
/// `selectors.items`, else an article page). Fixed in config.yaml (`kind`) or learned from
/// the first good answer and kept, so one maintenance page cannot turn a feed into a story.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    Feed,
    Page,
}

impl SourceKind {
    /// The word config.yaml uses.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Feed => "feed",
            SourceKind::Page => "page",
        }
    }
}

/// An image that belongs to an item or a teaser: the picture, its caption and its credit
/// ("© POOL/AFP", "Foto: dpa") kept apart so outputs can put each where it belongs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Image {
    pub url: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
    /// MIME type when the source said it (`image/jpeg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
}

/// A file attached to an item: a podcast's audio, a video, a PDF, a picture (RSS
/// `enclosure`, Atom `rel="enclosure"`, JSON Feed `attachments`). Kept so readers can still
/// download it from our outputs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Enclosure {
    /// Absolute URL.
    pub url: String,
    /// MIME type when the source said it (`audio/mpeg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime: Option<String>,
    /// Size in bytes when the source said it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub length: Option<u64>,
}

/// One entry as a parser read it from a source, before deduplication.
///
/// Text fields are already decoded (no entities, no CDATA markers). `title` is plain text.
/// `summary_html` and `content_html` are HTML as the source sent it, with relative URLs
/// already made absolute; they are sanitized only at publish time, the last step before
/// anything leaves wirefeed.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Item {
    /// The source's own id for the entry (RSS guid, Atom id, JSON Feed id).
    pub guid: Option<String>,
    /// The entry's link to the article page, absolute.
    pub link: Option<Url>,
    pub title: String,
    pub summary_html: Option<String>,
    pub content_html: Option<String>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    pub published: Option<DateTime<Utc>>,
    pub updated: Option<DateTime<Utc>>,
    pub image: Option<Image>,
    /// Attached files other than `image`, in source order.
    pub enclosures: Vec<Enclosure>,
    /// BCP 47 language tag (`de`, `de-DE`) when the source declared one.
    pub lang: Option<String>,
    /// What an agency format (ninjs, NewsML-G2, NITF) says about the story's life on the
    /// wire; `None` for RSS, Atom and JSON Feed items. Boxed so that feed items, the bulk
    /// of every cycle, carry one pointer.
    pub wire: Option<Box<Wire>>,
}

/// IPTC publishing status of a delivery (`pubstatus` in ninjs, `pubStatus` in NewsML-G2,
/// `management-status` in NITF).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum PubStatus {
    /// May be published.
    #[default]
    Usable,
    /// Must not be published for now; a later version may make it usable again.
    Withheld,
    /// The agency killed the story: it must leave every output.
    Canceled,
}

impl PubStatus {
    /// Reads the IPTC value, with or without its scheme (`stat:canceled`, `canceled`,
    /// the URI form, NITF's `embargoed`, which is usable with an embargo). `None` when
    /// the value is none of them.
    pub fn from_iptc(raw: &str) -> Option<PubStatus> {
        let code = raw.trim().rsplit([':', '/']).next().unwrap_or("");
        match code.to_ascii_lowercase().as_str() {
            "usable" | "embargoed" => Some(PubStatus::Usable),
            "withheld" => Some(PubStatus::Withheld),
            "canceled" | "cancelled" => Some(PubStatus::Canceled),
            _ => None,
        }
    }
}

/// A subject code with its name where the agency gave one (IPTC Media Topic `medtop:11000000`
/// "Politik", subject code `subj:11000000`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Subject {
    /// The code as sent (`medtop:11000000`, a URI, or a bare number); may be empty.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

/// Agency metadata of a story: what ninjs, NewsML-G2 and NITF say beyond a feed entry.
/// Kept on the `Item` a parser yields and on the stored `Story`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Wire {
    /// The delivery format (`ninjs 2.0`, `NewsML-G2`, `NITF`), for logs and `status`.
    #[serde(default)]
    pub format: String,
    /// The agency's version number of the story (NewsML-G2 `@version`, ninjs `version`,
    /// NITF `du-key@version`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<u32>,
    /// When the agency created this version (`versioncreated`); orders versions without
    /// a number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version_created: Option<DateTime<Utc>>,
    /// Not to be published before this time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub embargoed: Option<DateTime<Utc>>,
    #[serde(default)]
    pub pubstatus: PubStatus,
    /// IPTC urgency, 1 (flash) to 9 (lowest).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urgency: Option<u8>,
    /// Copyright holder, notice and usage terms, joined for `dc:rights` / Atom `rights`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rights: Option<String>,
    /// The editor's note to the receiving newsroom (`ednote`, `edNote`, NITF `ed-msg`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ednote: Option<String>,
    /// Signal codes without their scheme (`correction`, `update`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<String>,
    /// Where the story was filed from (`located`, the NITF dateline).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub located: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subjects: Vec<Subject>,
}

impl Wire {
    /// The agency marked this version as a correction (signal `sig:correction`).
    pub fn is_correction(&self) -> bool {
        self.signals.iter().any(|s| s == "correction")
    }
}

/// What one fetch of a feed yielded: the items and the feed-level hints.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ParsedFeed {
    pub title: Option<String>,
    pub link: Option<Url>,
    pub lang: Option<String>,
    /// RSS `<ttl>`: the source asks not to be polled more often than this.
    pub ttl: Option<Duration>,
    pub items: Vec<Item>,
    /// Entries that were skipped, with the reason (nothing a reader could see …).
    pub skipped: Vec<String>,
    /// Entries past [`crate::parse::cap::MAX_ITEMS_PER_DELIVERY`]: counted, not read.
    pub not_read: usize,
}

/// A teaser as found in the recommendation section ("Empfohlen") at the foot of a page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Teaser {
    pub title: String,
    pub link: Option<Url>,
    pub summary: Option<String>,
    pub image: Option<Image>,
}

/// The article read from one article page.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Article {
    /// The bare headline: no site name prefix, no repeats.
    pub headline: String,
    pub published: Option<DateTime<Utc>>,
    pub modified: Option<DateTime<Utc>>,
    pub byline: Option<String>,
    pub lead: Option<String>,
    /// Sanitized-later body HTML with page furniture removed.
    pub body_html: String,
    /// The body as plain text, paragraphs separated by blank lines.
    pub body_text: String,
    pub image: Option<Image>,
    pub lang: Option<String>,
    pub canonical: Option<Url>,
    pub teasers: Vec<Teaser>,
}

/// Where a story stands in its life on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum StoryStatus {
    #[default]
    Active,
    /// The agency withdrew the story: it leaves every output but stays in the store so a
    /// later redelivery is recognised.
    Withdrawn,
}

/// Hex id of a story, stable across store rebuilds: a hash of what identifies the story at
/// its first source (source id and guid, else the normalized link, else the fingerprint).
/// Its own type so a story id is never mixed up with a source id, a guid or a teaser key;
/// stored and serialized as the bare hex string.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct StoryId(String);

impl StoryId {
    /// Wraps an id read back from the store, a command or the command line; ids are made by
    /// `store::keys::story_id`.
    pub fn new(hex: impl Into<String>) -> Self {
        StoryId(hex.into())
    }
}

/// A source's `id` from config.yaml (`afp-politik`), as it crosses the stages: the checked
/// config, the cycle's report, scheduling, status and metrics. Its own type so a source id
/// is never mixed up with a feed id, a story id or a guid; serialized as the bare string,
/// and read as `&str` where the store keys a source's state by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SourceId(String);

impl SourceId {
    /// Wraps an id read from config.yaml (checked there to be unique) or from the store.
    pub fn new(id: impl Into<String>) -> Self {
        SourceId(id.into())
    }
}

impl From<&str> for SourceId {
    fn from(id: &str) -> Self {
        SourceId(id.to_owned())
    }
}

/// What the id newtypes share: they read as `&str` wherever one is wanted (sled keys,
/// hashes, log fields, metrics labels, output ids) and compare with strings, while only the
/// right type can be passed where that kind of id is wanted. `Display` pads (`pad`, not
/// `write_str`): the `once` summary table aligns ids with `{:<24}`.
macro_rules! string_id {
    ($name:ident) => {
        impl $name {
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.pad(&self.0)
            }
        }

        impl std::ops::Deref for $name {
            type Target = str;
            fn deref(&self) -> &str {
                &self.0
            }
        }

        impl std::borrow::Borrow<str> for $name {
            fn borrow(&self) -> &str {
                &self.0
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }

        impl PartialEq<str> for $name {
            fn eq(&self, other: &str) -> bool {
                self.0 == other
            }
        }

        impl PartialEq<&str> for $name {
            fn eq(&self, other: &&str) -> bool {
                self.0 == *other
            }
        }
    };
}

string_id!(StoryId);
string_id!(SourceId);

/// One story as the store keeps it. A story may have been carried by several sources; the
/// first-seen copy is kept, the others' links are recorded as `alternates`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Story {
    pub id: StoryId,
    /// The source that delivered the kept copy.
    pub source: String,
    /// Every source that carried the story (the first one first).
    #[serde(default)]
    pub sources: Vec<String>,
    #[serde(default)]
    pub guid: Option<String>,
    #[serde(default)]
    pub link: Option<Url>,
    /// The links of the other sources' copies.
    #[serde(default)]
    pub alternates: Vec<Url>,
    /// `(source, guid)` of the other sources' copies, so their index entries can be removed.
    #[serde(default)]
    pub seen_guids: Vec<(String, String)>,
    pub title: String,
    #[serde(default)]
    pub summary_html: Option<String>,
    #[serde(default)]
    pub content_html: Option<String>,
    /// Full text of the article page, when it was read (`follow_links`).
    #[serde(default)]
    pub content_text: Option<String>,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub categories: Vec<String>,
    #[serde(default)]
    pub image: Option<Image>,
    /// Attached files (audio, video, documents) as the source gave them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub enclosures: Vec<Enclosure>,
    #[serde(default)]
    pub lang: Option<String>,
    /// The date the source gave; `None` when it gave none (then `first_seen` stands in).
    #[serde(default)]
    pub published: Option<DateTime<Utc>>,
    pub first_seen: DateTime<Utc>,
    /// When the story's content last changed, as seen by wirefeed.
    pub updated: DateTime<Utc>,
    /// Counts content changes: 1 for the first delivery.
    #[serde(default = "one")]
    pub version: u32,
    #[serde(default)]
    pub status: StoryStatus,
    /// IPTC urgency (1 = flash … 8 = lowest), when the source gave one.
    #[serde(default)]
    pub urgency: Option<u8>,
    /// Tags of the sources that carried it, for output filters.
    #[serde(default)]
    pub tags: Vec<String>,
    /// Exact-content fingerprint (hex), see `store::dedup`.
    #[serde(default)]
    pub fingerprint: String,
    /// Agency metadata when the story came in an agency format (see [`Wire`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub wire: Option<Box<Wire>>,
    /// Its life after the first delivery: the source's own time of the kept version,
    /// a withdrawal, a correction (see [`Life`]); `None` until one of them is known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub life: Option<Box<Life>>,
}

/// What happened to a story after its first delivery, beyond its text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
pub struct Life {
    /// The source's own time of the kept version (`updated`, else `published`): orders the
    /// versions of a source that gives no version number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_updated: Option<DateTime<Utc>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub withdrawal: Option<Withdrawal>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correction: Option<Correction>,
    /// The reason of a withdrawal an editor lifted (`wirefeed restore`): the same notice
    /// delivered again does not withdraw the story again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifted: Option<String>,
    /// The versions delivered so far (`crate::lifecycle::version_key`, the most recent
    /// ones): an older version is logged and counted as late once, not on every re-read.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions_seen: Vec<String>,
}

/// Why and when a story left every output.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Withdrawal {
    pub at: DateTime<Utc>,
    pub by: WithdrawnBy,
    /// In the words of the agency or the editor ("pubStatus canceled", a kill notice's
    /// headline, the `--reason` given).
    pub reason: String,
}

/// Who withdrew a story, which decides what may bring it back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum WithdrawnBy {
    /// The agency killed it (canceled, a kill notice): final, no copy brings it back.
    Agency,
    /// The agency withheld it: a newer usable version brings it back.
    Withheld,
    /// An editor withdrew it by hand: `wirefeed restore` brings it back.
    Editor,
}

/// A correction the agency sent: shown to readers above the text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Correction {
    pub at: DateTime<Utc>,
    /// The editor's note (`ednote`), empty when the correction was known only from a
    /// signal or a title prefix.
    #[serde(default)]
    pub note: String,
}

fn one() -> u32 {
    1
}

impl Story {
    /// The date outputs sort and filter by: the source's date, else when we first saw it.
    pub fn date(&self) -> DateTime<Utc> {
        self.published.unwrap_or(self.first_seen)
    }

    /// Held back from outputs: dated in the future beyond clock skew (embargoed copy), or
    /// under an agency embargo that has not ended yet, whatever format it came in.
    pub fn is_embargoed(&self, now: DateTime<Utc>, skew: chrono::Duration) -> bool {
        self.published.is_some_and(|p| p > now + skew)
            || self
                .wire
                .as_ref()
                .and_then(|w| w.embargoed)
                .is_some_and(|e| e > now)
    }

    /// Why and when it was withdrawn, if it was.
    pub fn withdrawal(&self) -> Option<&Withdrawal> {
        self.life.as_ref().and_then(|l| l.withdrawal.as_ref())
    }

    /// The correction readers are shown, if the kept version is one.
    pub fn correction(&self) -> Option<&Correction> {
        self.life.as_ref().and_then(|l| l.correction.as_ref())
    }

    /// The story's life record, created when first needed.
    pub fn life_mut(&mut self) -> &mut Life {
        self.life.get_or_insert_with(Box::default)
    }

    /// The agency says it may be published (not withheld, not canceled).
    pub fn is_usable(&self) -> bool {
        self.wire
            .as_ref()
            .is_none_or(|w| w.pubstatus == PubStatus::Usable)
    }
}

/// A teaser as the store keeps it: one record per recommended story, however many pages
/// recommended it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TeaserRecord {
    /// Key: hash of the normalized link, else of the normalized title.
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub link: Option<Url>,
    #[serde(default)]
    pub summary: Option<String>,
    #[serde(default)]
    pub image: Option<Image>,
    pub first_seen: DateTime<Utc>,
    pub last_seen: DateTime<Utc>,
    /// Distinct pages (normalized URLs) that recommended it, capped to keep records small.
    #[serde(default)]
    pub pages: Vec<String>,
    /// How many distinct pages recommended it (keeps counting past the cap of `pages`).
    #[serde(default)]
    pub page_count: u32,
    /// Sources whose pages carried it, for `sources:`/`tags:` filters of teaser feeds.
    #[serde(default)]
    pub sources: Vec<String>,
    /// The story in the store that the teaser points to, when known.
    #[serde(default)]
    pub story: Option<StoryId>,
    /// Where it stood on the page it was first seen on (0 = the section's first teaser):
    /// teasers first seen at the same time keep their page's order.
    #[serde(default)]
    pub first_position: u32,
    /// Its best (smallest) position on any page that recommended it: a teaser at the top
    /// of a section is a stronger recommendation than one at the foot.
    #[serde(default)]
    pub best_position: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn source_id_is_the_bare_string_in_json_and_pads_in_tables() {
        let id = SourceId::from("afp-politik");
        // The status snapshot keeps the plain id, as it did when ids were Strings.
        assert_eq!(serde_json::to_string(&id).unwrap(), "\"afp-politik\"");
        assert_eq!(
            serde_json::from_str::<SourceId>("\"afp-politik\"").unwrap(),
            id
        );
        // The `once` summary aligns ids with `{:<24}`.
        assert_eq!(format!("{id:<14}|"), "afp-politik   |");
        assert_eq!(&*id, "afp-politik");
    }
}
