//! When each source is polled: which sources are due, a source's poll state after a poll,
//! and its next poll time (interval, the source's own hints, backoff, jitter). Pure: `now`
//! and the random source are passed in.

use crate::config::{PollConfig, SourceConfig, MAX_DURATION};
use crate::model::SourceId;
use crate::report::SourceOutcome;
use crate::source::Freshness;
use crate::store::SourceState;
use chrono::{DateTime, Utc};
use rand::Rng;
use std::time::Duration;

/// Is a source with this state due at `now`? Never polled (or unreadable state) counts as due.
pub fn is_due(state: Option<&SourceState>, now: DateTime<Utc>) -> bool {
    state.is_none_or(|st| st.next_poll.is_none_or(|t| t <= now))
}

/// The sources of `sources` that are due, in config order.
pub fn due(
    sources: &[SourceConfig],
    state_of: impl Fn(&SourceId) -> Option<SourceState>,
    now: DateTime<Utc>,
) -> Vec<SourceConfig> {
    sources
        .iter()
        .filter(|s| is_due(state_of(&s.id).as_ref(), now))
        .cloned()
        .collect()
}

/// What one poll did, as far as scheduling cares.
pub struct Poll<'a> {
    pub status: Option<u16>,
    pub freshness: &'a Freshness,
    pub outcome: &'a SourceOutcome,
    /// RSS `<ttl>` of the feed read.
    pub ttl: Option<Duration>,
}

/// The source's state after a poll at `now` (before its next poll time is set).
pub fn record_poll(state: &mut SourceState, poll: &Poll<'_>, now: DateTime<Utc>) {
    let fresh = poll.freshness;
    if let Some(v) = &fresh.validators {
        state.etag = v.etag.clone();
        state.last_modified = v.last_modified.clone();
    }
    if let Some(max_age) = fresh.max_age {
        state.min_interval_secs = max_age.map(|d| d.as_secs());
    }
    if let Some(hash) = &fresh.body_hash {
        state.body_hash = Some(hash.clone());
    }
    state.last_poll = Some(now);
    state.last_status = poll.status;
    match poll.outcome {
        SourceOutcome::Failed(e) => {
            if let Some(retry) = e.retry_after() {
                state.min_interval_secs = Some(retry.as_secs());
            }
            state.consecutive_failures += 1;
            state.last_error = Some(e.to_string());
            // A failed 200 must be read again next time, not skipped as unchanged.
            state.body_hash = None;
        }
        ok => {
            if let Some((kind, url)) = &fresh.kind {
                state.kind = Some(*kind);
                state.kind_url = Some(url.clone());
            }
            state.consecutive_failures = 0;
            state.last_success = Some(now);
            state.last_error = None;
            state.new_items = match ok {
                SourceOutcome::Ingested { new, .. } => *new as u64,
                _ => 0,
            };
        }
    }
    if let Some(ttl) = poll.ttl {
        let secs = ttl.as_secs().max(state.min_interval_secs.unwrap_or(0));
        state.min_interval_secs = Some(secs);
    }
}

/// When a source is polled next: its interval (raised to the source's own hints, up to
/// `max_interval`), or an exponential backoff when it fails; both with ±10 % jitter so
/// sources do not fall into step.
pub fn next_poll(
    now: DateTime<Utc>,
    poll: &PollConfig,
    source: &SourceConfig,
    state: &SourceState,
    rng: &mut impl Rng,
) -> DateTime<Utc> {
    let interval = source.interval.unwrap_or(poll.interval);
    let hint = state
        .min_interval_secs
        .map(Duration::from_secs)
        .unwrap_or_default()
        .min(poll.max_interval);
    let mut delay = interval.max(hint);
    if state.consecutive_failures > 0 {
        let base = interval
            .min(Duration::from_secs(60))
            .max(Duration::from_secs(10));
        let exp = 2u32.saturating_pow(state.consecutive_failures.saturating_sub(1).min(20));
        delay = base.saturating_mul(exp).min(poll.max_backoff).max(hint);
    }
    // Saturating from here on: config bounds durations, but a state written by an older
    // version or a hint from a server must never make the time math panic.
    let delay = delay.min(MAX_DURATION);
    let jitter = rng.random_range(0.9..1.1);
    let delay = delay.mul_f64(jitter);
    let delta = chrono::Duration::from_std(delay).unwrap_or(chrono::Duration::MAX);
    now.checked_add_signed(delta)
        .unwrap_or(DateTime::<Utc>::MAX_UTC)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Selectors, SourceLocation};
    use crate::model::SourceKind;
    use crate::parse::article::ExtractRules;
    use crate::report::SourceError;
    use crate::source::fetch::{FetchError, Validators};
    use chrono::TimeZone;
    use rand::rngs::StdRng;
    use rand::SeedableRng;
    use url::Url;

    const MIN: Duration = Duration::from_secs(60);

    fn now() -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap()
    }

    fn poll_config() -> PollConfig {
        PollConfig {
            interval: 10 * MIN,
            timeout: Duration::from_secs(30),
            concurrency: 8,
            per_host: 2,
            user_agent: "test".into(),
            max_body: 1 << 20,
            max_interval: 360 * MIN,
            max_backoff: 60 * MIN,
            allow_private_addresses: false,
        }
    }

    fn source(interval: Option<Duration>) -> SourceConfig {
        SourceConfig {
            id: "afp".into(),
            location: SourceLocation::Http(Url::parse("https://afp.example/feed").unwrap()),
            kind: None,
            interval,
            tags: vec![],
            follow_links: false,
            follow_links_max: 50,
            selectors: Selectors::default(),
            rules: ExtractRules::default(),
        }
    }

    /// The delay chosen, as a fraction of `expected` (1.0 ± jitter).
    fn ratio(state: &SourceState, src: &SourceConfig, expected: Duration, seed: u64) -> f64 {
        let mut rng = StdRng::seed_from_u64(seed);
        let at = next_poll(now(), &poll_config(), src, state, &mut rng);
        (at - now()).to_std().unwrap().as_secs_f64() / expected.as_secs_f64()
    }

    fn assert_near(state: &SourceState, src: &SourceConfig, expected: Duration) {
        for seed in 0..200 {
            let r = ratio(state, src, expected, seed);
            assert!((0.9..1.1).contains(&r), "seed {seed}: {r} of {expected:?}");
        }
    }

    #[test]
    fn interval_with_jitter_within_ten_percent_and_spread() {
        let state = SourceState::default();
        assert_near(&state, &source(None), 10 * MIN);
        assert_near(&state, &source(Some(2 * MIN)), 2 * MIN);
        let ratios: Vec<f64> = (0..50)
            .map(|seed| ratio(&state, &source(None), 10 * MIN, seed))
            .collect();
        let spread = ratios.iter().cloned().fold(f64::MIN, f64::max)
            - ratios.iter().cloned().fold(f64::MAX, f64::min);
        assert!(spread > 0.1, "jitter spreads sources apart: {spread}");
    }

    #[test]
    fn backoff_doubles_from_one_minute_up_to_max_backoff() {
        let src = source(None);
        let mut state = SourceState::default();
        for (failures, expected) in [(1, 1), (2, 2), (3, 4), (4, 8), (6, 32), (7, 60), (30, 60)] {
            state.consecutive_failures = failures;
            assert_near(&state, &src, expected * MIN);
        }
        // A short interval backs off from itself, but never from less than 10 s.
        let fast = source(Some(Duration::from_secs(2)));
        state.consecutive_failures = 1;
        assert_near(&state, &fast, Duration::from_secs(10));
    }

    #[test]
    fn hints_raise_the_interval_up_to_max_interval() {
        let src = source(None);
        let mut state = SourceState {
            min_interval_secs: Some(30 * 60),
            ..SourceState::default()
        };
        assert_near(&state, &src, 30 * MIN);
        // A hint below the interval does not make polling faster.
        state.min_interval_secs = Some(60);
        assert_near(&state, &src, 10 * MIN);
        // A source asking for a week is capped at max_interval.
        state.min_interval_secs = Some(7 * 86400);
        assert_near(&state, &src, 360 * MIN);
        // Backoff never polls sooner than Retry-After asked.
        state.min_interval_secs = Some(20 * 60);
        state.consecutive_failures = 1;
        assert_near(&state, &src, 20 * MIN);
    }

    fn record(
        state: &mut SourceState,
        status: Option<u16>,
        fresh: &Freshness,
        outcome: &SourceOutcome,
        ttl: Option<Duration>,
    ) {
        let poll = Poll {
            status,
            freshness: fresh,
            outcome,
            ttl,
        };
        record_poll(state, &poll, now());
    }

    #[test]
    fn retry_after_of_a_failed_fetch_becomes_the_minimum_interval() {
        let url = Url::parse("https://afp.example/feed").unwrap();
        let busy = SourceOutcome::Failed(SourceError::fetch(
            &url,
            FetchError::Status {
                status: 503,
                retry_after: Some(Duration::from_secs(900)),
            },
        ));
        let mut state = SourceState {
            body_hash: Some("abc".into()),
            ..SourceState::default()
        };
        record(&mut state, Some(503), &Freshness::default(), &busy, None);
        assert_eq!(state.min_interval_secs, Some(900));
        assert_eq!(state.consecutive_failures, 1);
        assert_eq!(state.last_status, Some(503));
        assert_eq!(state.body_hash, None, "a failed source is read again");
        assert!(state.last_error.as_deref().unwrap().contains("HTTP 503"));
        assert_eq!(state.last_success, None);
        // A timeout says nothing about the interval: the earlier hint stays.
        let timeout = SourceOutcome::Failed(SourceError::fetch(
            &url,
            FetchError::Timeout(Duration::from_secs(30)),
        ));
        record(&mut state, None, &Freshness::default(), &timeout, None);
        assert_eq!(state.min_interval_secs, Some(900));
        assert_eq!(state.consecutive_failures, 2);
    }

    #[test]
    fn success_resets_failures_and_keeps_validators_ttl_and_cache_control() {
        let mut state = SourceState {
            consecutive_failures: 3,
            last_error: Some("HTTP 500".into()),
            min_interval_secs: Some(900),
            ..SourceState::default()
        };
        let fresh = Freshness {
            validators: Some(Validators {
                etag: Some("\"v2\"".into()),
                last_modified: None,
            }),
            max_age: Some(Some(Duration::from_secs(120))),
            body_hash: Some("h".into()),
            kind: Some((SourceKind::Feed, "https://afp.example/feed".into())),
        };
        let ingested = SourceOutcome::Ingested {
            items: 3,
            new: 2,
            updated: 0,
            duplicates: 1,
        };
        record(
            &mut state,
            Some(200),
            &fresh,
            &ingested,
            Some(Duration::from_secs(1800)),
        );
        assert_eq!(state.consecutive_failures, 0);
        assert_eq!(state.last_error, None);
        assert_eq!(state.last_success, Some(now()));
        assert_eq!(state.new_items, 2);
        assert_eq!(state.etag.as_deref(), Some("\"v2\""));
        assert_eq!(state.body_hash.as_deref(), Some("h"));
        assert_eq!(state.kind, Some(SourceKind::Feed), "the kind is learned");
        // max-age replaced the old Retry-After, then the ttl raised it.
        assert_eq!(state.min_interval_secs, Some(1800));
        // A 304 with no Cache-Control clears the hint.
        let not_modified = Freshness {
            max_age: Some(None),
            ..Freshness::default()
        };
        record(
            &mut state,
            Some(304),
            &not_modified,
            &SourceOutcome::NotModified,
            None,
        );
        assert_eq!(state.min_interval_secs, None);
        assert_eq!(state.new_items, 0);
        assert_eq!(state.etag.as_deref(), Some("\"v2\""), "validators kept");
    }

    #[test]
    fn huge_intervals_and_hints_saturate_instead_of_panicking() {
        let huge = Duration::from_secs(u64::MAX);
        let mut poll = poll_config();
        poll.max_interval = huge;
        poll.max_backoff = huge;
        poll.interval = huge;
        let mut rng = StdRng::seed_from_u64(7);
        for (interval, hint, failures) in [
            (Some(huge), None, 0),
            (None, Some(u64::MAX), 0),
            (None, Some(99_999_999_999_999), 3),
            (
                Some(Duration::from_secs(95_000_000 * 86400)),
                Some(u64::MAX),
                40,
            ),
        ] {
            let state = SourceState {
                min_interval_secs: hint,
                consecutive_failures: failures,
                ..SourceState::default()
            };
            let at = next_poll(now(), &poll, &source(interval), &state, &mut rng);
            assert!(at > now() + chrono::Duration::days(30000), "{at}");
            assert!(at <= now() + chrono::Duration::days(40200), "{at}");
        }
    }

    #[test]
    fn due_means_never_polled_or_next_poll_reached() {
        assert!(is_due(None, now()));
        assert!(is_due(Some(&SourceState::default()), now()));
        let later = SourceState {
            next_poll: Some(now() + chrono::Duration::seconds(1)),
            ..SourceState::default()
        };
        assert!(!is_due(Some(&later), now()));
        assert!(is_due(Some(&later), now() + chrono::Duration::seconds(1)));
    }
}
