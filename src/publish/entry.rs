//! What the renderers render: the feed's metadata (`FeedMeta`) and an owned view of one
//! published story or teaser (`Entry`), plus the stable ids and date formats they share.

use crate::lifecycle::CORRECTION_CATEGORY;
use crate::model::{Enclosure, Image, Story, TeaserRecord};
use crate::text::{html_to_text, truncate_words};
use chrono::{DateTime, SecondsFormat, Utc};
use url::Url;

/// One output feed as the outside world sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedMeta {
    /// The output's name in config; file names are `{id}.rss`, `{id}.atom`, `{id}.json`.
    pub id: String,
    pub title: String,
    pub description: String,
    /// Public URL of `feeds_dir`, ending with `/`; self links are `{base_url}{id}.rss` etc.
    pub base_url: Url,
    /// BCP 47 language tag of the feed (`de`).
    pub lang: Option<String>,
    /// WebSub hubs to announce; may be empty.
    pub hubs: Vec<String>,
    /// Who answers for the feed: Atom's feed-level author (config `site.author`).
    pub author: String,
    /// `<updated>` of a feed without entries (Atom requires one): the newest story the
    /// installation knows, so it stays put between cycles and is never 1970.
    pub empty_updated: Option<DateTime<Utc>>,
    /// Href of an XSLT stylesheet relative to `base_url` (`feed.xsl`); when set, RSS and
    /// Atom carry `<?xml-stylesheet type="text/xsl" href="…"?>`.
    pub stylesheet: Option<String>,
}

impl FeedMeta {
    /// Public URL of the feed in the given format (`rss`, `atom`, `json`).
    pub fn self_url(&self, ext: &str) -> String {
        let mut base = self.base_url.to_string();
        if !base.ends_with('/') {
            base.push('/');
        }
        format!("{base}{}.{ext}", self.id)
    }

    /// The feed's own id, `urn:uuid:…`, derived from `base_url` and the feed id: two
    /// installations publishing a feed of the same name are two feeds to a reader, and
    /// one installation's id never changes while its public address stays.
    pub fn urn(&self) -> String {
        derived_urn("wirefeed-feed:", &self.self_url(""))
    }
}

/// One published item, owned, in the shape all output formats share.
///
/// `summary_html` and `content_html` are unsanitized here; the renderers sanitize them as
/// the last step (see `publish::sanitize`).
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// `urn:uuid:…`, stable for the life of the story; RSS guid, Atom id and JSON Feed id.
    pub id: String,
    /// Plain text.
    pub title: String,
    pub link: Option<Url>,
    pub summary_html: Option<String>,
    /// The full text as HTML, when known; only then do outputs carry full content.
    pub content_html: Option<String>,
    pub authors: Vec<String>,
    pub categories: Vec<String>,
    pub published: DateTime<Utc>,
    /// Never before `published`.
    pub updated: DateTime<Utc>,
    pub image: Option<Image>,
    /// Attached files (audio, video, documents) besides `image`.
    pub enclosures: Vec<Enclosure>,
    /// Other sources' links to the same story (never `link` itself).
    pub alternates: Vec<Url>,
    /// Ids of the sources that carried the story, the first one first.
    pub sources: Vec<String>,
    pub lang: Option<String>,
    /// Copyright and usage terms from an agency delivery: RSS `dc:rights`, Atom `rights`.
    pub rights: Option<String>,
}

/// Summaries made from full text are cut to this many characters.
const SUMMARY_CHARS: usize = 300;

/// A summary made from the full text: whole sentences, up to [`SUMMARY_CHARS`]. The tail
/// of a paragraph after its last sentence ("… Veranstaltungen. Zum Programm –") and short
/// lines that end no sentence are link texts and labels, never summary text.
fn summary_from_text(text: &str) -> String {
    let mut out = String::new();
    for line in text.lines() {
        let line = crate::text::fold_whitespace(line);
        let kept = match sentence_end(&line) {
            Some(end) if line[end..].trim().chars().count() < 40 => &line[..end],
            Some(_) => line.as_str(),
            None if line.chars().count() >= 80 => line.as_str(),
            None => continue,
        };
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(kept);
        if out.chars().count() > SUMMARY_CHARS {
            break;
        }
    }
    if out.chars().count() <= SUMMARY_CHARS {
        return out;
    }
    let limit = out
        .char_indices()
        .nth(SUMMARY_CHARS)
        .map_or(out.len(), |(i, _)| i);
    match sentence_end(&out[..limit]) {
        Some(end) if end >= limit / 3 => out[..end].to_string(),
        _ => truncate_words(&out, SUMMARY_CHARS),
    }
}

/// The byte offset just after the last sentence end in `s` (`.`, `!`, `?` or `…`, with the
/// closing quotes or brackets after it, followed by a space or the end).
fn sentence_end(s: &str) -> Option<usize> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    for (k, &(_, c)) in chars.iter().enumerate().rev() {
        if !matches!(c, '.' | '!' | '?' | '…') {
            continue;
        }
        let mut j = k + 1;
        while j < chars.len() && matches!(chars[j].1, '"' | '\'' | '“' | '”' | '«' | '»' | ')')
        {
            j += 1;
        }
        if j == chars.len() || chars[j].1.is_whitespace() {
            return Some(chars.get(j).map_or(s.len(), |&(i, _)| i));
        }
    }
    None
}

impl Entry {
    /// The entry for a stored story. The link is the story's own link, else the first
    /// alternate that parses; the summary falls back to the start of the full text; the
    /// content is `content_html`, else the page's full text as paragraphs.
    pub fn from_story(story: &Story) -> Entry {
        let link = story
            .link
            .iter()
            .chain(&story.alternates)
            .find(|l| is_web(l))
            .cloned();
        let content_html = non_blank(&story.content_html).or_else(|| {
            story
                .content_text
                .as_deref()
                .filter(|t| !t.trim().is_empty())
                .map(text_to_paragraphs)
        });
        let summary_html = non_blank(&story.summary_html).or_else(|| {
            let text = match story.content_text.as_deref() {
                Some(t) if !t.trim().is_empty() => t.to_string(),
                _ => html_to_text(story.content_html.as_deref().unwrap_or("")),
            };
            let text = summary_from_text(&text);
            (!text.is_empty()).then(|| escape_html_text(&text))
        });
        let published = story.date();
        let mut categories = story.categories.clone();
        let (summary_html, content_html) = match story.correction() {
            // A correction is shown to readers where they start reading, whichever of the
            // two their reader displays, and as a category they can filter on.
            Some(c) => {
                let note = correction_note(&c.note);
                if !categories.iter().any(|k| k == CORRECTION_CATEGORY) {
                    categories.insert(0, CORRECTION_CATEGORY.to_string());
                }
                (
                    Some(format!("{note}{}", summary_html.unwrap_or_default())),
                    content_html.map(|c| format!("{note}{c}")),
                )
            }
            None => (summary_html, content_html),
        };
        Entry {
            id: story_urn(&story.id),
            title: story.title.clone(),
            summary_html,
            content_html,
            authors: story.authors.clone(),
            categories,
            published,
            updated: story.updated.max(published),
            image: story.image.clone(),
            enclosures: story.enclosures.clone(),
            alternates: story
                .link
                .iter()
                .chain(&story.alternates)
                .filter(|u| is_web(u) && Some(*u) != link.as_ref())
                .cloned()
                .fold(Vec::new(), |mut v, u| {
                    if !v.contains(&u) {
                        v.push(u);
                    }
                    v
                }),
            sources: story.sources.clone(),
            link,
            lang: story.lang.clone(),
            rights: story.wire.as_ref().and_then(|w| w.rights.clone()),
        }
    }

    /// The entry for a recommended teaser. Its id comes from the teaser record (not from
    /// the story it points to, which may become known later and must not change the id);
    /// its date is when the teaser was first seen. When the target story is known, the
    /// entry carries the story's content, image, authors, categories and language.
    pub fn from_teaser(teaser: &TeaserRecord, story: Option<&Story>) -> Entry {
        Entry::from_teaser_seen(teaser, story, teaser.first_seen)
    }

    /// [`Entry::from_teaser`] dated `seen`, the teaser's distinct time in the feeds
    /// (`curate::seen_times`).
    pub fn from_teaser_seen(
        teaser: &TeaserRecord,
        story: Option<&Story>,
        seen: DateTime<Utc>,
    ) -> Entry {
        let story_entry = story.map(Entry::from_story);
        let link = teaser
            .link
            .clone()
            .filter(is_web)
            .or_else(|| story_entry.as_ref().and_then(|s| s.link.clone()));
        let summary_html = teaser
            .summary
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(escape_html_text)
            .or_else(|| story_entry.as_ref().and_then(|s| s.summary_html.clone()));
        let published = seen;
        let mut entry = Entry {
            id: derived_urn("wirefeed-teaser:", &teaser.id),
            title: teaser.title.clone(),
            link,
            summary_html,
            content_html: None,
            authors: Vec::new(),
            categories: Vec::new(),
            published,
            updated: published,
            image: teaser.image.clone(),
            enclosures: Vec::new(),
            alternates: Vec::new(),
            sources: teaser.sources.clone(),
            lang: None,
            rights: None,
        };
        if let Some(s) = story_entry {
            entry.content_html = s.content_html;
            entry.authors = s.authors;
            entry.categories = s.categories;
            entry.image = s.image.or(entry.image);
            entry.enclosures = s.enclosures;
            entry.alternates = s.alternates;
            entry.lang = s.lang;
            entry.rights = s.rights;
            // The story changing changes what the entry shows.
            entry.updated = s.updated.max(published);
        }
        entry
    }
}

/// The paragraph above a corrected story's text: "Korrektur:" and the editor's note.
fn correction_note(note: &str) -> String {
    match note.trim() {
        "" => format!("<p class=\"correction\"><strong>{CORRECTION_CATEGORY}</strong></p>"),
        note => format!(
            "<p class=\"correction\"><strong>{CORRECTION_CATEGORY}:</strong> {}</p>",
            escape_html_text(note)
        ),
    }
}

/// `urn:uuid:` form of a story id. Store ids are 32 lowercase hex characters and are shown
/// as they are (8-4-4-4-12), so an editor can find the story from a reader's guid; any
/// other id is hashed into a UUID instead of failing.
pub fn story_urn(id: &str) -> String {
    if id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        let id = id.to_ascii_lowercase();
        format!(
            "urn:uuid:{}-{}-{}-{}-{}",
            &id[..8],
            &id[8..12],
            &id[12..16],
            &id[16..20],
            &id[20..]
        )
    } else {
        derived_urn("wirefeed-story:", id)
    }
}

/// A name-based UUID (version 8, RFC 9562) from blake3 of `namespace + name`.
fn derived_urn(namespace: &str, name: &str) -> String {
    let mut hasher = blake3::Hasher::new();
    hasher.update(namespace.as_bytes());
    hasher.update(name.as_bytes());
    let mut b = [0u8; 16];
    b.copy_from_slice(&hasher.finalize().as_bytes()[..16]);
    b[6] = (b[6] & 0x0f) | 0x80; // version 8
    b[8] = (b[8] & 0x3f) | 0x80; // RFC variant
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    story_urn(&hex)
}

/// RSS dates: RFC 822 (with a four-digit year, as RFC 1123 and every reader expect).
pub(crate) fn rfc822(t: DateTime<Utc>) -> String {
    t.format("%a, %d %b %Y %H:%M:%S GMT").to_string()
}

/// Atom and JSON Feed dates: RFC 3339 in UTC, whole seconds.
pub(crate) fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

/// The newest `updated` of the entries: the feed's own update time, from the data rather
/// than the clock, so rendering stays a pure function.
pub(crate) fn newest_update(entries: &[Entry]) -> Option<DateTime<Utc>> {
    entries.iter().map(|e| e.updated).max()
}

/// A link readers can follow (http or https): feeds must not carry links readers cannot
/// follow.
pub(crate) fn is_web(u: &Url) -> bool {
    matches!(u.scheme(), "http" | "https")
}

fn non_blank(s: &Option<String>) -> Option<String> {
    s.as_ref().filter(|s| !s.trim().is_empty()).cloned()
}

fn escape_html_text(s: &str) -> String {
    html_escape::encode_text(s).into_owned()
}

/// Plain full text (paragraphs separated by blank lines) as HTML paragraphs.
fn text_to_paragraphs(text: &str) -> String {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", escape_html_text(p)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::StoryId;
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 4, h, 5, 6).unwrap()
    }

    pub(crate) fn story() -> Story {
        Story {
            id: StoryId::new("0123456789abcdef0123456789abcdef"),
            source: "dpa".into(),
            sources: vec!["dpa".into()],
            guid: None,
            link: Some(Url::parse("https://www.beispiel-kurier.de/a.html").unwrap()),
            alternates: vec![],
            seen_guids: vec![],
            title: "Stadtrat tagt".into(),
            summary_html: None,
            content_html: None,
            content_text: None,
            authors: vec!["Jana Beispiel".into()],
            categories: vec!["Politik".into()],
            image: None,
            enclosures: vec![],
            lang: Some("de".into()),
            published: Some(t(8)),
            first_seen: t(9),
            updated: t(10),
            version: 1,
            status: Default::default(),
            urgency: None,
            tags: vec![],
            fingerprint: String::new(),
            wire: None,
            life: None,
        }
    }

    fn teaser() -> TeaserRecord {
        TeaserRecord {
            id: "teaser-1".into(),
            title: "Empfohlen: Hafen & Hochwasser".into(),
            link: None,
            summary: Some("Pegel <steigt>".into()),
            image: None,
            first_seen: t(11),
            last_seen: t(12),
            pages: vec![],
            page_count: 1,
            sources: vec![],
            story: None,
            first_position: 0,
            best_position: 0,
        }
    }

    #[test]
    fn story_ids_format_as_uuid_and_others_are_hashed() {
        assert_eq!(
            story_urn("0123456789abcdef0123456789abcdef"),
            "urn:uuid:01234567-89ab-cdef-0123-456789abcdef"
        );
        let other = story_urn("kein-hex");
        assert_eq!(other.len(), "urn:uuid:".len() + 36);
        assert_eq!(&other[23..24], "8", "version nibble: {other}");
        assert_eq!(other, story_urn("kein-hex"));
        assert_ne!(other, story_urn("kein-hex2"));
    }

    #[test]
    fn feed_urn_is_unique_per_installation_and_feed() {
        let mut a = FeedMeta {
            id: "politik".into(),
            title: "Politik".into(),
            description: String::new(),
            base_url: Url::parse("https://feeds.beispiel.de/").unwrap(),
            lang: None,
            hubs: vec![],
            author: "Beispiel-Kurier".into(),
            empty_updated: None,
            stylesheet: None,
        };
        let before = a.urn();
        assert_eq!(a.urn(), before, "stable");
        a.base_url = Url::parse("https://neu.beispiel.de/x/").unwrap();
        assert_ne!(
            a.urn(),
            before,
            "another installation publishes another feed"
        );
        let other = a.urn();
        assert_eq!(a.self_url("rss"), "https://neu.beispiel.de/x/politik.rss");
        a.id = "sport".into();
        assert_ne!(a.urn(), other);
    }

    #[test]
    fn story_entry_falls_back_to_full_text_and_alternates() {
        let mut s = story();
        s.link = Some(Url::parse("ftp://files.beispiel-kurier.de/a.txt").unwrap());
        s.alternates = vec![Url::parse("https://www.anderes-blatt.de/b.html").unwrap()];
        s.content_text = Some("Erster Absatz & mehr.\n\nZweiter <Absatz>.".into());
        let e = Entry::from_story(&s);
        assert_eq!(
            e.link.as_ref().map(Url::as_str),
            Some("https://www.anderes-blatt.de/b.html")
        );
        assert_eq!(
            e.content_html.as_deref(),
            Some("<p>Erster Absatz &amp; mehr.</p><p>Zweiter &lt;Absatz&gt;.</p>")
        );
        assert_eq!(
            e.summary_html.as_deref(),
            Some("Erster Absatz &amp; mehr. Zweiter &lt;Absatz&gt;.")
        );
        assert_eq!(e.published, t(8));
        assert_eq!(e.updated, t(10));
    }

    /// Issue 10: link text at the end of the text ("Zum Programm –") does not leak into
    /// a generated summary; a long text is cut after a whole sentence.
    #[test]
    fn generated_summary_is_whole_sentences_without_link_text() {
        let mut s = story();
        s.summary_html = None;
        s.content_text = None;
        s.content_html = Some(
            "<p>Das Stadtfest beginnt am Freitag mit Musik und vielen Veranstaltungen. \
             <a href=\"/programm\">Zum Programm</a> –</p><p><a href=\"/mehr\">Mehr</a></p>"
                .into(),
        );
        assert_eq!(
            Entry::from_story(&s).summary_html.as_deref(),
            Some("Das Stadtfest beginnt am Freitag mit Musik und vielen Veranstaltungen.")
        );
        let sentence = "Der Rat tagt am Abend im großen Saal des Rathauses am Markt. ";
        s.content_html = Some(format!("<p>{}</p>", sentence.repeat(8)));
        let summary = Entry::from_story(&s).summary_html.unwrap();
        assert!(summary.ends_with("Markt."), "{summary}");
        assert!(summary.chars().count() <= SUMMARY_CHARS, "{summary}");
    }

    #[test]
    fn story_without_source_date_uses_first_seen_and_updated_never_precedes_it() {
        let mut s = story();
        s.published = None;
        s.updated = t(7);
        let e = Entry::from_story(&s);
        assert_eq!(e.published, t(9));
        assert_eq!(e.updated, t(9));
        assert_eq!(e.content_html, None);
        assert_eq!(e.summary_html, None);
    }

    #[test]
    fn teaser_keeps_its_own_id_and_date_and_borrows_story_content() {
        let alone = Entry::from_teaser(&teaser(), None);
        assert_eq!(alone.published, t(11));
        assert_eq!(alone.summary_html.as_deref(), Some("Pegel &lt;steigt&gt;"));
        assert_eq!(alone.link, None);
        assert!(alone.authors.is_empty());

        let mut s = story();
        s.content_html = Some("<p>Volltext</p>".into());
        s.updated = t(13);
        let with = Entry::from_teaser(&teaser(), Some(&s));
        assert_eq!(
            with.id, alone.id,
            "id must not change when the story becomes known"
        );
        assert_ne!(with.id, Entry::from_story(&s).id);
        assert_eq!(with.published, t(11));
        assert_eq!(with.updated, t(13));
        assert_eq!(with.content_html.as_deref(), Some("<p>Volltext</p>"));
        assert_eq!(with.authors, vec!["Jana Beispiel".to_string()]);
        assert_eq!(
            with.link.as_ref().map(Url::as_str),
            Some("https://www.beispiel-kurier.de/a.html")
        );
        assert_eq!(with.summary_html.as_deref(), Some("Pegel &lt;steigt&gt;"));
    }

    #[test]
    fn dates_format_as_rfc822_and_rfc3339() {
        assert_eq!(rfc822(t(8)), "Wed, 04 Mar 2026 08:05:06 GMT");
        assert_eq!(rfc3339(t(8)), "2026-03-04T08:05:06Z");
    }
}
