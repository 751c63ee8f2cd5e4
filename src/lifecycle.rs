//! The life of a wire story after its first delivery, as pure decisions: which deliveries
//! are kill notices or corrections (read from the item and the newsroom's rules in
//! config.yaml `wire:`), whether a delivery of a known story is newer or older than the
//! version kept, and what the store does with it. The store applies the decisions
//! (`store::lifecycle`); nothing here reads a clock or the disk.

use crate::model::{Correction, Item, PubStatus, Story, Withdrawal, WithdrawnBy};
use chrono::{DateTime, Utc};
use std::cmp::Ordering;

/// The category a corrected story is published with.
pub const CORRECTION_CATEGORY: &str = "Korrektur";

/// How a newsroom's agencies mark corrections and kill notices in plain text (config.yaml
/// `wire:`), beyond what the IPTC formats say in their own fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WireRules {
    /// A headline starting with one of these (whole word, any case) is a correction:
    /// "KORREKTUR: …", "BERICHTIGUNG – …". The prefix is dropped from the published title.
    pub correction_prefixes: Vec<String>,
    /// A headline starting with one of these, or a headline or editor's note containing a
    /// phrase of several words among them, is a kill notice: "KILL: …", "… wird
    /// zurückgezogen".
    pub kill_notices: Vec<String>,
}

impl Default for WireRules {
    fn default() -> Self {
        WireRules {
            correction_prefixes: ["KORREKTUR", "BERICHTIGUNG", "CORRECTION", "CORRECTED"]
                .map(String::from)
                .to_vec(),
            kill_notices: [
                "KILL",
                "wird zurückgezogen",
                "werden zurückgezogen",
                "is withdrawn",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// What the rules read in one delivered item before it is stored.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Mark {
    /// A kill notice or a withdrawing publishing status, with the reason to record.
    pub kill: Option<(WithdrawnBy, String)>,
    /// A correction, with the editor's note (empty when only a signal or prefix said so).
    pub correction: Option<String>,
}

/// Reads the marks of an item and drops a correction prefix from its title.
pub fn mark(item: &mut Item, rules: &WireRules) -> Mark {
    let mut mark = Mark::default();
    let ednote = item
        .wire
        .as_ref()
        .and_then(|w| w.ednote.clone())
        .unwrap_or_default();
    match item.wire.as_ref().map(|w| w.pubstatus) {
        Some(PubStatus::Canceled) => {
            mark.kill = Some((WithdrawnBy::Agency, reason("pubStatus canceled", &ednote)))
        }
        Some(PubStatus::Withheld) => {
            mark.kill = Some((WithdrawnBy::Withheld, reason("pubStatus withheld", &ednote)))
        }
        _ => {}
    }
    // Lower-cased once for every phrase of the rules: this runs for every delivered item.
    let title_lower = item.title.to_lowercase();
    let ednote_lower = ednote.to_lowercase();
    if mark.kill.is_none() {
        let notice = rules.kill_notices.iter().find(|k| {
            starts_with_word(&item.title, k).is_some()
                || (k.contains(' ') && {
                    let k = k.to_lowercase();
                    contains_phrase(&title_lower, &k) || contains_phrase(&ednote_lower, &k)
                })
        });
        if let Some(k) = notice {
            mark.kill = Some((
                WithdrawnBy::Agency,
                format!("kill notice ({k:?}): {}", item.title.trim()),
            ));
        }
    }
    let signalled = item.wire.as_ref().is_some_and(|w| w.is_correction());
    let in_note = rules
        .correction_prefixes
        .iter()
        .any(|p| contains_phrase(&ednote_lower, &p.to_lowercase()));
    let prefixed = rules
        .correction_prefixes
        .iter()
        .find_map(|p| starts_with_word(&item.title, p).map(str::to_string));
    if let Some(rest) = prefixed.as_ref().filter(|r| !r.is_empty()) {
        item.title = rest.clone();
    }
    if signalled || in_note || prefixed.is_some() {
        mark.correction = Some(ednote.trim().to_string());
    }
    mark
}

fn reason(what: &str, ednote: &str) -> String {
    match ednote.trim() {
        "" => what.to_string(),
        note => format!("{what}: {note}"),
    }
}

/// The rest of `title` after `prefix` when the title starts with it as a whole word (any
/// case), with the separators after it (":", "-", "–", spaces) dropped.
fn starts_with_word<'t>(title: &'t str, prefix: &str) -> Option<&'t str> {
    let title = title.trim_start();
    let head = title.get(..prefix.len())?;
    if !head.eq_ignore_ascii_case(prefix)
        && !head
            .chars()
            .flat_map(char::to_lowercase)
            .eq(prefix.chars().flat_map(char::to_lowercase))
    {
        return None;
    }
    let rest = &title[prefix.len()..];
    if rest.chars().next().is_some_and(char::is_alphanumeric) {
        return None;
    }
    Some(rest.trim_start_matches(|c: char| {
        c.is_whitespace() || matches!(c, ':' | '-' | '–' | '—' | '.' | '+')
    }))
}

/// Lower-cased `text` contains lower-cased `phrase` as whole words.
fn contains_phrase(text: &str, phrase: &str) -> bool {
    if phrase.is_empty() || text.is_empty() {
        return false;
    }
    text.match_indices(&phrase).any(|(i, _)| {
        let before = text[..i].chars().next_back();
        let after = text[i + phrase.len()..].chars().next();
        !before.is_some_and(char::is_alphanumeric) && !after.is_some_and(char::is_alphanumeric)
    })
}

/// How a delivered version of a known story compares with the one kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Order {
    Newer,
    Same,
    Older,
    /// Neither says a version number or time the other also says.
    Unknown,
}

/// Compares by the agency's version number, else by its `versioncreated`, else by the
/// source's own updated (else published) time: the first of these that both give and that
/// differs decides.
pub fn order(stored: &Story, item: &Item) -> Order {
    let wire = stored.wire.as_deref();
    let incoming = item.wire.as_deref();
    let keys = [
        cmp(
            wire.and_then(|w| w.version),
            incoming.and_then(|w| w.version),
        ),
        cmp(
            wire.and_then(|w| w.version_created),
            incoming.and_then(|w| w.version_created),
        ),
        cmp(
            stored.life.as_ref().and_then(|l| l.source_updated),
            source_time(item),
        ),
    ];
    let mut compared = false;
    for key in keys.into_iter().flatten() {
        compared = true;
        match key {
            Ordering::Less => return Order::Newer,
            Ordering::Greater => return Order::Older,
            Ordering::Equal => {}
        }
    }
    if compared {
        Order::Same
    } else {
        Order::Unknown
    }
}

/// The agency says this is a newer version (by number, else `versioncreated`): then it
/// counts even when its text is the same (a correction note, a new embargo, a new status).
pub fn newer_by_agency(stored: &Story, item: &Item) -> bool {
    let wire = stored.wire.as_deref();
    let incoming = item.wire.as_deref();
    let by_number = cmp(
        wire.and_then(|w| w.version),
        incoming.and_then(|w| w.version),
    );
    let by_time = cmp(
        wire.and_then(|w| w.version_created),
        incoming.and_then(|w| w.version_created),
    );
    match (by_number, by_time) {
        (Some(Ordering::Equal), t) => t == Some(Ordering::Less),
        (Some(o), _) => o == Ordering::Less,
        (None, t) => t == Some(Ordering::Less),
    }
}

fn cmp<T: Ord>(stored: Option<T>, incoming: Option<T>) -> Option<Ordering> {
    Some(stored?.cmp(&incoming?))
}

/// The source's own time of a delivered version.
pub fn source_time(item: &Item) -> Option<DateTime<Utc>> {
    item.updated.or(item.published)
}

/// What the store does with a delivery of a story it already keeps.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Keep what is stored; the reason is logged.
    Ignore(String),
    /// An older version than the one kept, arriving late: kept out, and logged and counted
    /// the first time this version is seen (see [`version_key`]); the reason says which.
    Late(String),
    /// The story leaves every output. Its text stays as it was, so that later copies of it
    /// are still recognised and kept out.
    Withdraw(Withdrawal),
    /// The delivery replaces the story in place (the id stays); a correction is shown to
    /// readers; a withheld story comes back.
    Replace { correction: Option<Correction> },
}

/// Decides about a delivery of `stored` from the source that keeps it (`own`), or from
/// another source that carried the same story (then only a kill notice counts).
pub fn decide(stored: &Story, item: &Item, mark: &Mark, own: bool, now: DateTime<Utc>) -> Decision {
    let order = order(stored, item);
    let withdrawn = stored.withdrawal();
    if let Some((by, reason)) = &mark.kill {
        // An agency kill is honoured whatever its version; a withheld notice older than the
        // version kept is a late copy.
        let late_withheld = *by == WithdrawnBy::Withheld && order == Order::Older;
        let lifted = stored.life.as_ref().and_then(|l| l.lifted.as_deref());
        return match withdrawn {
            _ if lifted == Some(reason.as_str()) => {
                Decision::Ignore("an editor restored it after this notice".into())
            }
            Some(w) if w.by != WithdrawnBy::Withheld || *by == WithdrawnBy::Withheld => {
                Decision::Ignore(format!("already withdrawn ({})", w.reason))
            }
            _ if late_withheld => Decision::Late(older(stored, item)),
            _ => Decision::Withdraw(Withdrawal {
                at: now,
                by: *by,
                reason: reason.clone(),
            }),
        };
    }
    if !own {
        return Decision::Ignore("another source's copy".into());
    }
    if let Some(w) = withdrawn {
        // Only a newer version lifts a withholding; nothing lifts a kill but an editor.
        if w.by == WithdrawnBy::Withheld && matches!(order, Order::Newer | Order::Unknown) {
            return Decision::Replace {
                correction: correction(mark, now),
            };
        }
        return Decision::Ignore(format!(
            "withdrawn {} ({}); a later copy does not bring it back",
            w.at.format("%Y-%m-%d %H:%M UTC"),
            w.reason
        ));
    }
    match order {
        Order::Older => Decision::Late(older(stored, item)),
        _ => Decision::Replace {
            correction: correction(mark, now),
        },
    }
}

/// What tells one delivered version of a story from another: the agency's version number
/// and `versioncreated`, else the source's own time. A spool folder is read again whole
/// when a file is added, so the same old version comes again and again; the story keeps
/// the keys of the versions it has seen (see `Life::versions_seen`) to tell a version
/// arriving late from one read again.
pub fn version_key(item: &Item) -> Option<String> {
    let wire = item.wire.as_deref();
    let number = wire.and_then(|w| w.version);
    let created = wire.and_then(|w| w.version_created);
    let time = created.or(source_time(item));
    if number.is_none() && time.is_none() {
        return None;
    }
    Some(format!(
        "{}@{}",
        number.map(|n| n.to_string()).unwrap_or_default(),
        time.map(|t| t.timestamp_millis().to_string())
            .unwrap_or_default()
    ))
}

/// Versions a story remembers having seen (the most recent ones): enough for every version
/// an agency sends of one story, bounded so a story cannot grow without end.
pub const VERSIONS_REMEMBERED: usize = 32;

/// Remembers that `story` has seen `item`'s version; `false` when it had already.
pub fn remember_version(story: &mut Story, item: &Item) -> bool {
    remember_version_key(story, version_key(item))
}

/// [`remember_version`] with the item's [`version_key`] taken before the item was used up.
pub fn remember_version_key(story: &mut Story, key: Option<String>) -> bool {
    let Some(key) = key else {
        return true;
    };
    let seen = &mut story.life_mut().versions_seen;
    if seen.contains(&key) {
        return false;
    }
    if seen.len() >= VERSIONS_REMEMBERED {
        seen.remove(0);
    }
    seen.push(key);
    true
}

fn correction(mark: &Mark, now: DateTime<Utc>) -> Option<Correction> {
    mark.correction.as_ref().map(|note| Correction {
        at: now,
        note: note.clone(),
    })
}

fn older(stored: &Story, item: &Item) -> String {
    let version = |v: Option<u32>, t: Option<DateTime<Utc>>| match (v, t) {
        (Some(v), _) => format!("version {v}"),
        (None, Some(t)) => format!("the version of {}", t.format("%Y-%m-%d %H:%M:%S UTC")),
        (None, None) => "an undated version".into(),
    };
    let kept = version(
        stored.wire.as_ref().and_then(|w| w.version),
        stored
            .wire
            .as_ref()
            .and_then(|w| w.version_created)
            .or(stored.life.as_ref().and_then(|l| l.source_updated)),
    );
    let came = version(
        item.wire.as_ref().and_then(|w| w.version),
        item.wire
            .as_ref()
            .and_then(|w| w.version_created)
            .or(source_time(item)),
    );
    format!("{came} arrived late: older than {kept}, which is kept")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Life, StoryId, StoryStatus, Wire};
    use chrono::TimeZone;

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 11, 26, h, 0, 0).unwrap()
    }

    fn wire_item(title: &str, version: u32, status: PubStatus) -> Item {
        Item {
            guid: Some("urn:x".into()),
            title: title.into(),
            wire: Some(Box::new(Wire {
                version: Some(version),
                pubstatus: status,
                ..Wire::default()
            })),
            ..Item::default()
        }
    }

    fn stored(version: Option<u32>, source_updated: Option<DateTime<Utc>>) -> Story {
        Story {
            id: StoryId::new("0".repeat(32)),
            source: "a".into(),
            sources: vec!["a".into()],
            guid: Some("urn:x".into()),
            link: None,
            alternates: vec![],
            seen_guids: vec![],
            title: "Titel".into(),
            summary_html: None,
            content_html: None,
            content_text: None,
            authors: vec![],
            categories: vec![],
            image: None,
            enclosures: vec![],
            lang: None,
            published: None,
            first_seen: t(1),
            updated: t(1),
            version: 1,
            status: StoryStatus::Active,
            urgency: None,
            tags: vec![],
            fingerprint: String::new(),
            wire: version.map(|v| {
                Box::new(Wire {
                    version: Some(v),
                    ..Wire::default()
                })
            }),
            life: Some(Box::new(Life {
                source_updated,
                ..Life::default()
            })),
        }
    }

    #[test]
    fn kill_notices_and_corrections_from_text() {
        let rules = WireRules::default();
        let mut kill = Item {
            title: "KILL: Hafen meldet Rekordumschlag".into(),
            ..Item::default()
        };
        let m = mark(&mut kill, &rules);
        assert!(matches!(m.kill, Some((WithdrawnBy::Agency, ref r)) if r.contains("Hafen")));
        let mut phrase = Item {
            title: "Achtung: Die Meldung über den Hafen wird zurückgezogen".into(),
            ..Item::default()
        };
        assert!(mark(&mut phrase, &rules).kill.is_some());
        // Any case, umlauts included, in the headline or the editor's note.
        let mut shouted = Item {
            title: "DIE MELDUNG ÜBER DEN HAFEN WIRD ZURÜCKGEZOGEN".into(),
            ..Item::default()
        };
        assert!(mark(&mut shouted, &rules).kill.is_some());
        let mut noted = wire_item("Hafen meldet Rekordumschlag", 2, PubStatus::Usable);
        if let Some(w) = noted.wire.as_mut() {
            w.ednote = Some("Korrektur im zweiten Absatz: 12 Prozent".into());
        }
        assert!(mark(&mut noted, &rules).correction.is_some());
        let mut killer = Item {
            title: "Killerwal im Hafen gesichtet".into(),
            ..Item::default()
        };
        assert_eq!(mark(&mut killer, &rules), Mark::default());
        let mut fix = Item {
            title: "KORREKTUR: Hafen meldet Rekordumschlag".into(),
            ..Item::default()
        };
        let m = mark(&mut fix, &rules);
        assert_eq!(m.correction.as_deref(), Some(""));
        assert_eq!(fix.title, "Hafen meldet Rekordumschlag");
        let mut signalled = wire_item("Hafen meldet Rekordumschlag", 2, PubStatus::Usable);
        if let Some(w) = signalled.wire.as_mut() {
            w.signals = vec!["correction".into()];
            w.ednote = Some("Im dritten Absatz muss es heißen: 12 Prozent".into());
        }
        let m = mark(&mut signalled, &rules);
        assert_eq!(
            m.correction.as_deref(),
            Some("Im dritten Absatz muss es heißen: 12 Prozent")
        );
        let mut canceled = wire_item("Hafen", 3, PubStatus::Canceled);
        assert!(matches!(
            mark(&mut canceled, &rules).kill,
            Some((WithdrawnBy::Agency, _))
        ));
    }

    #[test]
    fn versions_order_by_number_then_time() {
        let s = stored(Some(2), Some(t(8)));
        assert_eq!(
            order(&s, &wire_item("x", 3, PubStatus::Usable)),
            Order::Newer
        );
        assert_eq!(
            order(&s, &wire_item("x", 1, PubStatus::Usable)),
            Order::Older
        );
        let feed = Item {
            updated: Some(t(7)),
            ..Item::default()
        };
        assert_eq!(order(&stored(None, Some(t(8))), &feed), Order::Older);
        assert_eq!(order(&stored(None, None), &feed), Order::Unknown);
    }

    #[test]
    fn a_withdrawn_story_stays_withdrawn() {
        let now = t(12);
        let mut s = stored(Some(3), None);
        s.life_mut().withdrawal = Some(Withdrawal {
            at: t(10),
            by: WithdrawnBy::Agency,
            reason: "pubStatus canceled".into(),
        });
        let old = wire_item("x", 1, PubStatus::Usable);
        let newer = wire_item("x", 4, PubStatus::Usable);
        for item in [&old, &newer] {
            assert!(matches!(
                decide(&s, item, &Mark::default(), true, now),
                Decision::Ignore(_)
            ));
        }
        s.life_mut().withdrawal.as_mut().unwrap().by = WithdrawnBy::Withheld;
        assert!(matches!(
            decide(&s, &newer, &Mark::default(), true, now),
            Decision::Replace { .. }
        ));
        assert!(matches!(
            decide(&s, &old, &Mark::default(), true, now),
            Decision::Ignore(_)
        ));
    }

    #[test]
    fn a_version_is_remembered_once() {
        let mut s = stored(Some(3), None);
        let v2 = wire_item("x", 2, PubStatus::Usable);
        assert!(remember_version(&mut s, &v2), "first seen");
        assert!(!remember_version(&mut s, &v2), "read again");
        assert!(remember_version(
            &mut s,
            &wire_item("x", 1, PubStatus::Usable)
        ));
        assert_eq!(version_key(&Item::default()), None, "nothing to tell it by");
        for n in 10..(10 + VERSIONS_REMEMBERED as u32) {
            remember_version(&mut s, &wire_item("x", n, PubStatus::Usable));
        }
        let seen = &s.life.as_ref().expect("life").versions_seen;
        assert_eq!(seen.len(), VERSIONS_REMEMBERED);
        assert!(
            remember_version(&mut s, &v2),
            "the oldest memories go first"
        );
    }

    #[test]
    fn an_older_version_is_ignored_and_a_kill_is_honoured_from_any_source() {
        let now = t(12);
        let s = stored(Some(3), None);
        match decide(
            &s,
            &wire_item("x", 2, PubStatus::Usable),
            &Mark::default(),
            true,
            now,
        ) {
            Decision::Late(why) => assert!(why.contains("version 2"), "{why}"),
            other => panic!("{other:?}"),
        }
        let kill = Mark {
            kill: Some((WithdrawnBy::Agency, "KILL".into())),
            correction: None,
        };
        assert!(matches!(
            decide(&s, &wire_item("x", 1, PubStatus::Usable), &kill, false, now),
            Decision::Withdraw(_)
        ));
    }
}
