//! Curate stage: which stories and teasers each output feed carries. [`select_all`] reads
//! the store once for every feed; the decisions are pure functions of the feed's config,
//! the record and `now`.

use crate::config::{Config, FeedConfig, FeedFrom, FeedOrder, Matcher};
use crate::model::{Story, StoryStatus, TeaserRecord, Withdrawal};
use crate::store::{Store, StoreError, StoryNote};
use crate::text::html_to_text;
use chrono::{DateTime, Utc};
use std::collections::HashMap;
use url::Url;

/// How fast a recommendation fades in `order: recommended`: a teaser first seen this long
/// before the feed's newest one counts half as much.
pub const RECOMMENDATION_HALF_LIFE: chrono::Duration = chrono::Duration::hours(24);

/// What one output feed carries, newest first.
#[derive(Debug, Clone, PartialEq)]
pub enum Selection {
    Stories(Vec<Story>),
    /// Teasers, each with the story it points to when the store has it.
    Teasers(Vec<Recommended>),
}

/// One teaser as a recommended feed carries it.
#[derive(Debug, Clone, PartialEq)]
pub struct Recommended {
    pub teaser: TeaserRecord,
    /// The story the teaser points to, when the store has it.
    pub story: Option<Story>,
    /// The entry's time: when the teaser was first seen, made distinct from every other
    /// teaser's (see [`seen_times`]).
    pub seen: DateTime<Utc>,
}

impl Selection {
    pub fn len(&self) -> usize {
        match self {
            Selection::Stories(s) => s.len(),
            Selection::Teasers(t) => t.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// What every configured feed carries.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Curated {
    /// One selection per configured feed, in config order.
    pub feeds: Vec<Selection>,
    /// The date of the newest story in the store (not after `now`): the time an empty
    /// Atom feed reports, so that it stays put between cycles.
    pub newest_story: Option<DateTime<Utc>>,
    /// Per configured feed (in config order; may be shorter): the stories withdrawn from
    /// it, newest withdrawal first, for the operator note on its HTML page.
    pub withdrawn: Vec<Vec<WithdrawnNote>>,
}

/// A story that left a feed, for the operator note on the feed's HTML page.
#[derive(Debug, Clone, PartialEq)]
pub struct WithdrawnNote {
    pub title: String,
    pub link: Option<Url>,
    pub withdrawal: Withdrawal,
}

/// Withdrawals listed on a feed's page at most.
const WITHDRAWN_NOTES: usize = 20;

/// The selection of every configured feed, in config order.
pub fn select_all(
    config: &Config,
    store: &Store,
    now: DateTime<Utc>,
) -> Result<Curated, StoreError> {
    let skew = chrono::Duration::from_std(config.dedup.clock_skew).unwrap_or_default();
    let item_feeds: Vec<&FeedConfig> = config
        .feeds
        .iter()
        .filter(|f| f.from == FeedFrom::Items)
        .collect();
    let mut newest_story = None;
    let mut stories = if item_feeds.is_empty() {
        Vec::new()
    } else {
        let newest_first = store.stories_newest_first().inspect(|story| {
            if let Ok(story) = story {
                newest_story.get_or_insert(story.date().min(now));
            }
        });
        select_stories(&item_feeds, newest_first, now, skew)?
    }
    .into_iter();
    // Notes are few (only stories withdrawn or pinned), read once for every feed.
    let notes = store.notes()?;
    let mut noted: Vec<(StoryNote, Story)> = Vec::with_capacity(notes.len());
    for note in notes {
        if let Some(story) = store.story(&note.story)? {
            noted.push((note, story));
        }
    }
    let mut out = Vec::with_capacity(config.feeds.len());
    let mut withdrawn = Vec::with_capacity(config.feeds.len());
    for feed in &config.feeds {
        out.push(match feed.from {
            FeedFrom::Items => {
                withdrawn.push(withdrawn_from(feed, &noted, now, skew));
                let mut picked = stories.next().unwrap_or_default();
                pin_on_top(feed, &mut picked, &noted, now, skew);
                Selection::Stories(picked)
            }
            FeedFrom::Teasers => {
                let tags_of = |id: &str| {
                    config
                        .source(id)
                        .map(|s| s.tags.clone())
                        .unwrap_or_default()
                };
                let teasers = select_teasers(feed, store.teasers()?, &tags_of, now);
                let mut with_stories = Vec::with_capacity(teasers.len());
                for (teaser, seen) in teasers {
                    let story = match &teaser.story {
                        Some(id) => store.story(id)?,
                        None => match &teaser.link {
                            Some(link) => store.story_by_link(link)?,
                            None => None,
                        },
                    };
                    with_stories.push(Recommended {
                        teaser,
                        story,
                        seen,
                    });
                }
                let (kept, gone) = keep_publishable(with_stories, now, skew);
                withdrawn.push(gone);
                Selection::Teasers(pin_teasers_on_top(feed, kept, &noted, now, skew))
            }
        });
    }
    Ok(Curated {
        feeds: out,
        newest_story,
        withdrawn,
    })
}

/// Puts the stories pinned to this feed (pin not expired, story publishable) on top, the
/// most recently pinned first; the feed keeps its length limit.
pub fn pin_on_top(
    feed: &FeedConfig,
    picked: &mut Vec<Story>,
    noted: &[(StoryNote, Story)],
    now: DateTime<Utc>,
    skew: chrono::Duration,
) {
    let mut pinned: Vec<(DateTime<Utc>, &Story)> = noted
        .iter()
        .filter_map(|(note, story)| {
            let pin = note
                .pins
                .iter()
                .find(|p| p.feed == feed.id && p.until > now)?;
            publishable(story, now, skew).then_some((pin.at, story))
        })
        .collect();
    if pinned.is_empty() {
        return;
    }
    pinned.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| a.1.id.cmp(&b.1.id)));
    picked.retain(|s| !pinned.iter().any(|(_, p)| p.id == s.id));
    let mut top: Vec<Story> = pinned.into_iter().map(|(_, s)| s.clone()).collect();
    top.append(picked);
    top.truncate(feed.limit);
    *picked = top;
}

/// A teaser feed's entries without the teasers of withdrawn stories (those are returned
/// for the page's operator note, newest withdrawal first); a teaser of a story held back
/// for another reason (an embargo) stays, without the story's text.
fn keep_publishable(
    teasers: Vec<Recommended>,
    now: DateTime<Utc>,
    skew: chrono::Duration,
) -> (Vec<Recommended>, Vec<WithdrawnNote>) {
    let mut kept = Vec::with_capacity(teasers.len());
    let mut gone = Vec::new();
    for mut r in teasers {
        if let Some(w) = r.story.as_ref().and_then(|s| s.withdrawal()) {
            gone.push(WithdrawnNote {
                title: r.teaser.title.clone(),
                link: r.teaser.link.clone(),
                withdrawal: w.clone(),
            });
            continue;
        }
        if r.story.as_ref().is_some_and(|s| !publishable(s, now, skew)) {
            r.story = None;
        }
        kept.push(r);
    }
    gone.sort_by_key(|n| std::cmp::Reverse(n.withdrawal.at));
    gone.truncate(WITHDRAWN_NOTES);
    (kept, gone)
}

/// [`pin_on_top`] for a teaser feed: a pinned story leads it as a recommendation of its
/// own (under the id of the teaser that pointed to it, if one did, so its entry keeps its
/// id), the most recently pinned first; the feed keeps its length limit.
pub fn pin_teasers_on_top(
    feed: &FeedConfig,
    mut teasers: Vec<Recommended>,
    noted: &[(StoryNote, Story)],
    now: DateTime<Utc>,
    skew: chrono::Duration,
) -> Vec<Recommended> {
    let mut pinned: Vec<Story> = Vec::new();
    pin_on_top(feed, &mut pinned, noted, now, skew);
    if pinned.is_empty() {
        return teasers;
    }
    let mut top = Vec::with_capacity(pinned.len() + teasers.len());
    for story in pinned {
        let existing = teasers
            .iter()
            .position(|r| r.story.as_ref().is_some_and(|s| s.id == story.id));
        let recommended = match existing {
            Some(i) => teasers.remove(i),
            None => Recommended {
                teaser: TeaserRecord {
                    id: story.id.to_string(),
                    title: story.title.clone(),
                    link: story.link.clone(),
                    summary: None,
                    image: story.image.clone(),
                    first_seen: story.first_seen,
                    last_seen: now,
                    pages: Vec::new(),
                    page_count: 0,
                    sources: story.sources.clone(),
                    story: Some(story.id.clone()),
                    first_position: 0,
                    best_position: 0,
                },
                seen: story.date().min(now),
                story: Some(story),
            },
        };
        top.push(recommended);
    }
    top.append(&mut teasers);
    top.truncate(feed.limit);
    top
}

/// The withdrawals of stories this feed would otherwise carry, newest first.
fn withdrawn_from(
    feed: &FeedConfig,
    noted: &[(StoryNote, Story)],
    now: DateTime<Utc>,
    skew: chrono::Duration,
) -> Vec<WithdrawnNote> {
    let mut notes: Vec<WithdrawnNote> = noted
        .iter()
        .filter_map(|(note, story)| {
            let withdrawal = note.withdrawal.clone()?;
            // Judged as if it were still active: would this feed have carried it?
            let mut as_active = story.clone();
            as_active.status = StoryStatus::Active;
            as_active.life = None;
            as_active.wire = None;
            story_matches(feed, &as_active, now, skew).then(|| WithdrawnNote {
                title: story.title.clone(),
                link: story.link.clone(),
                withdrawal,
            })
        })
        .collect();
    notes.sort_by_key(|n| std::cmp::Reverse(n.withdrawal.at));
    notes.truncate(WITHDRAWN_NOTES);
    notes
}

/// Active, usable and not under embargo: may appear in any output.
fn publishable(story: &Story, now: DateTime<Utc>, skew: chrono::Duration) -> bool {
    story.status == StoryStatus::Active && story.is_usable() && !story.is_embargoed(now, skew)
}

/// Why a story is or is not in a feed, decided from the story alone.
pub fn story_matches(
    feed: &FeedConfig,
    story: &Story,
    now: DateTime<Utc>,
    skew: chrono::Duration,
) -> bool {
    if !publishable(story, now, skew) {
        return false;
    }
    if let Some(max) = feed.urgency_max {
        // A story without an urgency is no breaking news.
        if story.urgency.is_none_or(|u| u > max) {
            return false;
        }
    }
    if let Some(max_age) = feed.max_age {
        if let Ok(max_age) = chrono::Duration::from_std(max_age) {
            if story.date() < now - max_age {
                return false;
            }
        }
    }
    if let Some(sources) = &feed.sources {
        if !story
            .sources
            .iter()
            .any(|s| sources.iter().any(|id| id == s.as_str()))
        {
            return false;
        }
    }
    if !feed.tags.is_empty() {
        let tagged = feed.tags.iter().any(|t| {
            story.tags.iter().any(|s| s.eq_ignore_ascii_case(t))
                || story
                    .categories
                    .iter()
                    .any(|c| c.to_lowercase() == t.to_lowercase())
        });
        if !tagged {
            return false;
        }
    }
    if feed.include.is_empty() && feed.exclude.is_empty() {
        return true;
    }
    let summary = story
        .summary_html
        .as_deref()
        .map(html_to_text)
        .unwrap_or_default();
    let fields = [story.title.as_str(), summary.as_str()];
    let hit = |m: &Matcher| {
        fields.iter().any(|f| m.is_match(f)) || story.categories.iter().any(|c| m.is_match(c))
    };
    if !feed.include.is_empty() && !feed.include.iter().any(hit) {
        return false;
    }
    !feed.exclude.iter().any(hit)
}

/// Picks, for each feed, the newest `limit` matching stories from stories given newest
/// first, in one pass that stops when every feed is full.
pub fn select_stories<I, E>(
    feeds: &[&FeedConfig],
    newest_first: I,
    now: DateTime<Utc>,
    skew: chrono::Duration,
) -> Result<Vec<Vec<Story>>, E>
where
    I: IntoIterator<Item = Result<Story, E>>,
{
    let mut selected: Vec<Vec<Story>> = vec![Vec::new(); feeds.len()];
    for story in newest_first {
        let story = story?;
        let mut all_full = true;
        for (i, feed) in feeds.iter().enumerate() {
            if selected[i].len() < feed.limit {
                if story_matches(feed, &story, now, skew) {
                    selected[i].push(story.clone());
                }
                all_full &= selected[i].len() >= feed.limit;
            }
        }
        if all_full {
            break;
        }
    }
    Ok(selected)
}

/// Each teaser's time in the feeds: its first-seen time (to the millisecond), moved up by
/// a millisecond where an older teaser already has it, so that no two entries share an
/// `updated` time (readers and the W3C validator take equal times for one entry revised).
/// Of teasers first seen together, the one higher on its page gets the later time, so
/// newest first keeps the page's order. Times depend only on older teasers, which do not
/// change: a teaser keeps its time from cycle to cycle.
pub fn seen_times(teasers: &[TeaserRecord]) -> HashMap<String, DateTime<Utc>> {
    let mut oldest_first: Vec<&TeaserRecord> = teasers.iter().collect();
    oldest_first.sort_by(|a, b| {
        a.first_seen
            .cmp(&b.first_seen)
            .then_with(|| b.first_position.cmp(&a.first_position))
            .then_with(|| b.id.cmp(&a.id))
    });
    let mut times = HashMap::with_capacity(teasers.len());
    let mut previous: Option<DateTime<Utc>> = None;
    for t in oldest_first {
        let own = DateTime::from_timestamp_millis(t.first_seen.timestamp_millis())
            .unwrap_or(t.first_seen);
        let time = match previous {
            Some(p) if own <= p => p + chrono::Duration::milliseconds(1),
            _ => own,
        };
        previous = Some(time);
        times.insert(t.id.clone(), time);
    }
    times
}

/// How strongly the pages recommend a teaser: the number of distinct pages that carried
/// it, plus less than half a page for its best position (so one more page always counts
/// more than any position), fading with its age behind the newest teaser (not behind
/// `now`, so that the order changes only when new teasers come in).
fn strength(t: &TeaserRecord, newest: DateTime<Utc>) -> f64 {
    let pages = f64::from(t.page_count.max(1));
    let place = 1.0 / (2.0 + f64::from(t.best_position));
    let age = (newest - t.first_seen).num_milliseconds().max(0) as f64;
    let half_life = RECOMMENDATION_HALF_LIFE.num_milliseconds() as f64;
    (pages + place) * 0.5f64.powf(age / half_life)
}

/// Picks the teasers of a `from: teasers` feed, filtered by the sources (and their tags)
/// whose pages carried them, each with its distinct time, in the feed's order:
/// `recommended` (how strongly the pages recommend it, with recency) or `newest` (by
/// time; teasers of one page in page order).
pub fn select_teasers(
    feed: &FeedConfig,
    mut teasers: Vec<TeaserRecord>,
    source_tags: &dyn Fn(&str) -> Vec<String>,
    now: DateTime<Utc>,
) -> Vec<(TeaserRecord, DateTime<Utc>)> {
    // Over every teaser, before the feed's filters: a teaser has one time in all feeds.
    let times = seen_times(&teasers);
    teasers.retain(|t| {
        if let Some(max_age) = feed
            .max_age
            .and_then(|d| chrono::Duration::from_std(d).ok())
        {
            if t.first_seen < now - max_age {
                return false;
            }
        }
        if let Some(sources) = &feed.sources {
            if !t
                .sources
                .iter()
                .any(|s| sources.iter().any(|id| id == s.as_str()))
            {
                return false;
            }
        }
        if !feed.tags.is_empty() {
            let tagged = t
                .sources
                .iter()
                .flat_map(|s| source_tags(s))
                .any(|tag| feed.tags.iter().any(|f| f.eq_ignore_ascii_case(&tag)));
            if !tagged {
                return false;
            }
        }
        let summary = t.summary.as_deref().unwrap_or("");
        let hit = |m: &Matcher| m.is_match(&t.title) || m.is_match(summary);
        (feed.include.is_empty() || feed.include.iter().any(hit)) && !feed.exclude.iter().any(hit)
    });
    let mut out: Vec<(TeaserRecord, DateTime<Utc>)> = teasers
        .into_iter()
        .map(|t| {
            let seen = times.get(&t.id).copied().unwrap_or(t.first_seen);
            (t, seen)
        })
        .collect();
    // Distinct times make "newest first" a total order: the published bytes are stable.
    let newest_first = |a: &(TeaserRecord, DateTime<Utc>), b: &(TeaserRecord, DateTime<Utc>)| {
        b.1.cmp(&a.1).then_with(|| a.0.id.cmp(&b.0.id))
    };
    match feed.order {
        FeedOrder::Newest => out.sort_by(newest_first),
        FeedOrder::Recommended => {
            let newest = out.iter().map(|(t, _)| t.first_seen).max().unwrap_or(now);
            let mut scored: Vec<(f64, (TeaserRecord, DateTime<Utc>))> = out
                .into_iter()
                .map(|t| (strength(&t.0, newest), t))
                .collect();
            scored.sort_by(|a, b| b.0.total_cmp(&a.0).then_with(|| newest_first(&a.1, &b.1)));
            out = scored.into_iter().map(|(_, t)| t).collect();
        }
    }
    out.truncate(feed.limit);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{compile_matcher, FeedFrom};
    use crate::model::StoryId;
    use chrono::TimeZone;

    fn feed() -> FeedConfig {
        FeedConfig {
            id: "politik".into(),
            title: "Politik".into(),
            description: String::new(),
            from: FeedFrom::Items,
            sources: None,
            tags: vec![],
            include: vec![],
            exclude: vec![],
            max_age: None,
            limit: 50,
            lang: None,
            urgency_max: None,
            order: FeedOrder::Newest,
        }
    }

    fn story(title: &str, published: DateTime<Utc>) -> Story {
        Story {
            id: StoryId::new("0".repeat(32)),
            source: "afp".into(),
            sources: vec!["afp".into()],
            guid: None,
            link: None,
            alternates: vec![],
            seen_guids: vec![],
            title: title.into(),
            summary_html: Some("<p>Der Bundestag berät über den Haushalt.</p>".into()),
            content_html: None,
            content_text: None,
            authors: vec![],
            categories: vec!["Inland".into()],
            image: None,
            enclosures: vec![],
            lang: None,
            published: Some(published),
            first_seen: published,
            updated: published,
            version: 1,
            status: StoryStatus::Active,
            urgency: None,
            tags: vec!["politik".into()],
            fingerprint: String::new(),
            wire: None,
            life: None,
        }
    }

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap()
    }

    const SKEW: chrono::Duration = chrono::Duration::minutes(5);

    #[test]
    fn include_and_exclude_words_and_regexes() {
        let mut f = feed();
        f.include = vec![
            compile_matcher("Haushalt").unwrap(),
            compile_matcher("/Nord-?korea/i").unwrap(),
        ];
        f.exclude = vec![compile_matcher("Sport").unwrap()];
        assert!(
            story_matches(&f, &story("Streit im Kabinett", now()), now(), SKEW),
            "include matches the summary"
        );
        assert!(story_matches(
            &f,
            &story("Nordkorea testet Rakete", now()),
            now(),
            SKEW
        ));
        assert!(!story_matches(
            &f,
            &story("Sport: Haushalt des Vereins", now()),
            now(),
            SKEW
        ));
        let mut s = story("Wetter", now());
        s.summary_html = None;
        assert!(!story_matches(&f, &s, now(), SKEW));
    }

    #[test]
    fn embargo_withdrawal_age_sources_and_tags() {
        let f = feed();
        assert!(
            !story_matches(
                &f,
                &story("Später", now() + chrono::Duration::hours(2)),
                now(),
                SKEW
            ),
            "embargoed"
        );
        assert!(
            story_matches(
                &f,
                &story("Uhr geht vor", now() + chrono::Duration::minutes(2)),
                now(),
                SKEW
            ),
            "skew"
        );
        let mut w = story("Zurückgezogen", now());
        w.status = StoryStatus::Withdrawn;
        assert!(!story_matches(&f, &w, now(), SKEW));
        let mut aged = feed();
        aged.max_age = Some(std::time::Duration::from_secs(86400));
        assert!(!story_matches(
            &aged,
            &story("Alt", now() - chrono::Duration::days(2)),
            now(),
            SKEW
        ));
        let mut by_source = feed();
        by_source.sources = Some(vec!["dpa".into()]);
        assert!(!story_matches(&by_source, &story("x", now()), now(), SKEW));
        let mut by_tag = feed();
        by_tag.tags = vec!["INLAND".into()];
        assert!(
            story_matches(&by_tag, &story("x", now()), now(), SKEW),
            "category names the tag"
        );
        by_tag.tags = vec!["sport".into()];
        assert!(!story_matches(&by_tag, &story("x", now()), now(), SKEW));
    }

    #[test]
    fn limit_keeps_the_newest() {
        let mut f = feed();
        f.limit = 2;
        let mut wider = feed();
        wider.limit = 3;
        wider.include = vec![compile_matcher("/[0-3]/").unwrap()];
        let stories = (0..5).map(|i| {
            Ok::<_, ()>(story(
                &format!("Meldung {i}"),
                now() - chrono::Duration::hours(i),
            ))
        });
        let picked = select_stories(&[&f, &wider], stories, now(), SKEW).unwrap();
        let titles = |feed: &Vec<Story>| feed.iter().map(|s| s.title.clone()).collect::<Vec<_>>();
        assert_eq!(titles(&picked[0]), ["Meldung 0", "Meldung 1"]);
        assert_eq!(titles(&picked[1]), ["Meldung 0", "Meldung 1", "Meldung 2"]);
    }

    #[test]
    fn the_pass_stops_when_every_feed_is_full() {
        let mut f = feed();
        f.limit = 1;
        let mut read = 0;
        let stories = (0..100).map(|i| {
            read += 1;
            Ok::<_, ()>(story(
                &format!("Meldung {i}"),
                now() - chrono::Duration::hours(i),
            ))
        });
        let picked = select_stories(&[&f], stories, now(), SKEW).unwrap();
        assert_eq!(picked[0].len(), 1);
        assert_eq!(read, 1, "one story read, not the whole store");
    }

    fn teaser(id: &str, first_seen: DateTime<Utc>, position: u32, pages: u32) -> TeaserRecord {
        TeaserRecord {
            id: id.into(),
            title: format!("Teaser {id}"),
            link: None,
            summary: None,
            image: None,
            first_seen,
            last_seen: first_seen,
            pages: vec![],
            page_count: pages,
            sources: vec!["seite".into()],
            story: None,
            first_position: position,
            best_position: position,
        }
    }

    fn teaser_feed(order: FeedOrder) -> FeedConfig {
        let mut f = feed();
        f.from = FeedFrom::Teasers;
        f.order = order;
        f
    }

    fn ids(picked: &[(TeaserRecord, DateTime<Utc>)]) -> Vec<&str> {
        picked.iter().map(|(t, _)| t.id.as_str()).collect()
    }

    #[test]
    fn teasers_seen_together_get_distinct_times_in_page_order() {
        let t0 = now() + chrono::Duration::nanoseconds(123_456_789);
        // Two pages read in the same cycle, four and two teasers; ids not in page order.
        let teasers = vec![
            teaser("d", t0, 0, 1),
            teaser("c", t0, 1, 1),
            teaser("b", t0, 2, 1),
            teaser("a", t0, 3, 1),
            teaser("y", t0, 0, 1),
            teaser("x", t0, 1, 1),
        ];
        let times = seen_times(&teasers);
        let mut distinct: Vec<_> = times.values().collect();
        distinct.sort();
        distinct.dedup();
        assert_eq!(distinct.len(), teasers.len(), "{times:?}");
        assert!(times["d"] > times["c"] && times["c"] > times["b"] && times["b"] > times["a"]);
        assert!(times
            .values()
            .all(|t| *t >= t0 - chrono::Duration::milliseconds(1)
                && *t < t0 + chrono::Duration::milliseconds(10)));
        let picked = select_teasers(
            &teaser_feed(FeedOrder::Newest),
            teasers.clone(),
            &|_| vec![],
            now(),
        );
        let order: Vec<&str> = ids(&picked)
            .into_iter()
            .filter(|i| "abcd".contains(i))
            .collect();
        assert_eq!(order, ["d", "c", "b", "a"], "page order kept");

        // A later cycle adds teasers: the earlier ones keep their times.
        let mut later = teasers.clone();
        later.push(teaser("n", t0 + chrono::Duration::minutes(10), 0, 1));
        later.push(teaser("m", t0 + chrono::Duration::minutes(10), 1, 1));
        let again = seen_times(&later);
        for t in &teasers {
            assert_eq!(again[&t.id], times[&t.id], "{} moved", t.id);
        }
    }

    #[test]
    fn recommended_order_weighs_pages_position_and_recency() {
        let t0 = now() - chrono::Duration::hours(1);
        let teasers = vec![
            teaser("one-page-top", t0, 0, 1),
            teaser("one-page-foot", t0, 3, 1),
            teaser("three-pages-foot", t0, 5, 3),
            // Recommended by four pages, but three days older: it has faded.
            teaser("old-favourite", t0 - chrono::Duration::days(3), 0, 4),
        ];
        let f = teaser_feed(FeedOrder::Recommended);
        let picked = select_teasers(&f, teasers.clone(), &|_| vec![], now());
        assert_eq!(
            ids(&picked),
            [
                "three-pages-foot",
                "one-page-top",
                "one-page-foot",
                "old-favourite"
            ]
        );
        let newest = select_teasers(&teaser_feed(FeedOrder::Newest), teasers, &|_| vec![], now());
        assert_eq!(
            ids(&newest),
            [
                "one-page-top",
                "one-page-foot",
                "three-pages-foot",
                "old-favourite"
            ]
        );
    }
}
