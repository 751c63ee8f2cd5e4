//! Operational metrics the daemon records while it polls and publishes, rendered in the
//! Prometheus text exposition format (version 0.0.4) for `/metrics`.
//!
//! One `Metrics` value is shared (behind an `Arc`) by the cycle and the HTTP server; it
//! holds everything behind a mutex so there is no global state and tests can build as
//! many as they like. Series appear only once the daemon has reported something for a
//! source or feed, and go away with `remove_source` / `remove_feed` when a reload drops
//! one, so dashboards do not keep showing sources that no longer exist.

use crate::model::SourceId;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Mutex, MutexGuard};
use std::time::Duration;

/// Upper bounds (seconds) of the fetch duration histogram buckets. Agency feeds usually
/// answer in well under a second; the long tail up to a minute is where timeouts live.
pub const FETCH_DURATION_BUCKETS: [f64; 11] =
    [0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0];

/// The `status` label used in `wirefeed_http_responses_total` for a fetch that got no
/// HTTP response at all (DNS, connect, TLS, timeout).
pub const NETWORK_ERROR_STATUS: &str = "error";

/// Shared, thread-safe metric registry for one daemon.
#[derive(Debug, Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    sources: BTreeMap<String, SourceMetrics>,
    feeds: BTreeMap<String, FeedMetrics>,
    store_bytes: Option<u64>,
    last_cycle: Option<i64>,
    /// Why the last cycle failed, while no cycle has finished since.
    cycle_error: Option<String>,
    cycle_failures: u64,
}

#[derive(Debug, Default, Clone)]
struct SourceMetrics {
    last_success: Option<i64>,
    consecutive_failures: u64,
    items_fetched: u64,
    /// Older versions of kept stories that arrived late and were ignored.
    late_versions: u64,
    /// Counts per status label ("200", "304", "error").
    responses: BTreeMap<String, u64>,
    /// Failed polls per reason label ("timeout", "parse", …).
    failures: BTreeMap<&'static str, u64>,
    /// Cumulative-by-render: per-bucket (non-cumulative) counts, one per bucket bound.
    buckets: [u64; FETCH_DURATION_BUCKETS.len()],
    duration_sum: f64,
    duration_count: u64,
    /// The last fetch's outcome, kept for the `/sources` page.
    last_status: Option<Option<u16>>,
}

#[derive(Debug, Default, Clone, Copy)]
struct FeedMetrics {
    items: u64,
    last_publish: i64,
}

/// What the HTTP server's `/sources` page shows for one source.
#[derive(Debug, Clone, PartialEq)]
pub struct SourceSummary {
    pub id: SourceId,
    /// Unix seconds of the last successful fetch, if any since the daemon started.
    pub last_success: Option<i64>,
    pub consecutive_failures: u64,
    pub items_fetched: u64,
    /// The last fetch's HTTP status: `Some(None)` means it failed without a response.
    pub last_status: Option<Option<u16>>,
    pub fetches: u64,
}

/// What the index page shows for one output feed, as last reported by the publisher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FeedSummary {
    pub items: u64,
    pub last_publish_unix: i64,
}

impl Metrics {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // A panic while holding the lock cannot leave the maps half-updated in a way that
        // matters for metrics, so a poisoned lock is used as is rather than failing forever.
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Records one fetch attempt: its HTTP status (`None` for a network error), how long
    /// it took and how many new items it brought.
    pub fn record_fetch(
        &self,
        source: &SourceId,
        status: Option<u16>,
        duration: Duration,
        new_items: u64,
    ) {
        let mut inner = self.lock();
        let s = inner.sources.entry(source.to_string()).or_default();
        let label = status.map_or_else(|| NETWORK_ERROR_STATUS.to_string(), |c| c.to_string());
        *s.responses.entry(label).or_default() += 1;
        let secs = duration.as_secs_f64();
        if let Some(i) = FETCH_DURATION_BUCKETS.iter().position(|&b| secs <= b) {
            s.buckets[i] += 1;
        }
        s.duration_sum += secs;
        s.duration_count += 1;
        s.items_fetched += new_items;
        s.last_status = Some(status);
    }

    /// Counts a failed poll of a source by its reason ([`crate::report::ErrorKind::label`]).
    pub fn record_failure(&self, source: &SourceId, reason: &'static str) {
        let mut inner = self.lock();
        let s = inner.sources.entry(source.to_string()).or_default();
        *s.failures.entry(reason).or_default() += 1;
    }

    /// Records one read of a local source (spool folder, file): its duration and new items,
    /// but no HTTP response.
    pub fn record_read(&self, source: &SourceId, duration: Duration, new_items: u64) {
        let mut inner = self.lock();
        let s = inner.sources.entry(source.to_string()).or_default();
        let secs = duration.as_secs_f64();
        if let Some(i) = FETCH_DURATION_BUCKETS.iter().position(|&b| secs <= b) {
            s.buckets[i] += 1;
        }
        s.duration_sum += secs;
        s.duration_count += 1;
        s.items_fetched += new_items;
    }

    /// Counts older versions of a source's stories that arrived late and were ignored.
    pub fn record_late_versions(&self, source: &SourceId, n: u64) {
        let mut inner = self.lock();
        inner
            .sources
            .entry(source.to_string())
            .or_default()
            .late_versions += n;
    }

    /// Records when a source was last fetched and parsed successfully (unix seconds).
    pub fn record_success(&self, source: &SourceId, at_unix: i64) {
        let mut inner = self.lock();
        inner
            .sources
            .entry(source.to_string())
            .or_default()
            .last_success = Some(at_unix);
    }

    /// Sets how many polls of a source have failed in a row (0 after a success).
    pub fn set_consecutive_failures(&self, source: &SourceId, n: u64) {
        let mut inner = self.lock();
        inner
            .sources
            .entry(source.to_string())
            .or_default()
            .consecutive_failures = n;
    }

    /// Sets an output feed's current item count and when it was last published.
    pub fn set_feed(&self, feed: &str, items: u64, last_publish_unix: i64) {
        let mut inner = self.lock();
        inner.feeds.insert(
            feed.to_string(),
            FeedMetrics {
                items,
                last_publish: last_publish_unix,
            },
        );
    }

    /// Drops an output feed's series (after a reload removed it from the config).
    pub fn remove_feed(&self, feed: &str) {
        self.lock().feeds.remove(feed);
    }

    /// Drops a source's series (after a reload removed it from the config).
    pub fn remove_source(&self, source: &SourceId) {
        self.lock().sources.remove(source.as_str());
    }

    /// Sets the store's size on disk in bytes.
    pub fn set_store_bytes(&self, n: u64) {
        self.lock().store_bytes = Some(n);
    }

    /// Marks the end of a poll-and-publish cycle; `/healthz` judges freshness by this.
    pub fn cycle_finished(&self, at_unix: i64) {
        let mut inner = self.lock();
        inner.last_cycle = Some(at_unix);
        inner.cycle_error = None;
    }

    /// Marks a cycle that failed as a whole (the store or publishing): `/healthz` answers
    /// 503 with this reason until a cycle finishes again.
    pub fn cycle_failed(&self, reason: &str) {
        let mut inner = self.lock();
        inner.cycle_error = Some(reason.to_string());
        inner.cycle_failures += 1;
    }

    /// Why the last cycle failed, while no cycle has finished since.
    pub fn cycle_error(&self) -> Option<String> {
        self.lock().cycle_error.clone()
    }

    /// When the last cycle finished (unix seconds), `None` before the first one.
    pub fn last_cycle_unix(&self) -> Option<i64> {
        self.lock().last_cycle
    }

    /// Per-source summaries for the `/sources` page, ordered by source id.
    pub fn sources(&self) -> Vec<SourceSummary> {
        self.lock()
            .sources
            .iter()
            .map(|(id, s)| SourceSummary {
                id: SourceId::new(id.as_str()),
                last_success: s.last_success,
                consecutive_failures: s.consecutive_failures,
                items_fetched: s.items_fetched,
                last_status: s.last_status,
                fetches: s.duration_count,
            })
            .collect()
    }

    /// The publisher's last report for one output feed, if any.
    pub fn feed(&self, feed: &str) -> Option<FeedSummary> {
        self.lock().feeds.get(feed).map(|f| FeedSummary {
            items: f.items,
            last_publish_unix: f.last_publish,
        })
    }

    /// All metrics in the Prometheus text exposition format, version 0.0.4.
    pub fn render(&self) -> String {
        let inner = self.lock();
        let mut out = String::with_capacity(4096);
        let sources = &inner.sources;

        header(
            &mut out,
            "wirefeed_source_last_success_timestamp_seconds",
            "Unix time of the last successful fetch of a source.",
            "gauge",
        );
        for (id, s) in sources {
            if let Some(t) = s.last_success {
                sample(
                    &mut out,
                    "wirefeed_source_last_success_timestamp_seconds",
                    &[("source", id)],
                    &t.to_string(),
                );
            }
        }

        header(
            &mut out,
            "wirefeed_source_consecutive_failures",
            "Number of polls of a source that failed in a row.",
            "gauge",
        );
        for (id, s) in sources {
            sample(
                &mut out,
                "wirefeed_source_consecutive_failures",
                &[("source", id)],
                &s.consecutive_failures.to_string(),
            );
        }

        header(
            &mut out,
            "wirefeed_items_fetched_total",
            "New items fetched from a source.",
            "counter",
        );
        for (id, s) in sources {
            sample(
                &mut out,
                "wirefeed_items_fetched_total",
                &[("source", id)],
                &s.items_fetched.to_string(),
            );
        }

        header(
            &mut out,
            "wirefeed_late_versions_total",
            "Older versions of kept stories that arrived late and were ignored, each version counted once.",
            "counter",
        );
        for (id, s) in sources {
            sample(
                &mut out,
                "wirefeed_late_versions_total",
                &[("source", id)],
                &s.late_versions.to_string(),
            );
        }

        header(
            &mut out,
            "wirefeed_http_responses_total",
            "Fetches of a source by HTTP status; status=\"error\" means no response.",
            "counter",
        );
        for (id, s) in sources {
            for (status, n) in &s.responses {
                sample(
                    &mut out,
                    "wirefeed_http_responses_total",
                    &[("source", id), ("status", status)],
                    &n.to_string(),
                );
            }
        }

        header(
            &mut out,
            "wirefeed_source_failures_total",
            "Failed polls of a source by reason (timeout, http_status, too_large, not_a_feed, parse, page_refused, …).",
            "counter",
        );
        for (id, s) in sources {
            for (reason, n) in &s.failures {
                sample(
                    &mut out,
                    "wirefeed_source_failures_total",
                    &[("source", id), ("reason", reason)],
                    &n.to_string(),
                );
            }
        }

        header(
            &mut out,
            "wirefeed_fetch_duration_seconds",
            "Time taken by one fetch of a source.",
            "histogram",
        );
        for (id, s) in sources {
            let mut cumulative = 0u64;
            for (bound, n) in FETCH_DURATION_BUCKETS.iter().zip(s.buckets.iter()) {
                cumulative += n;
                sample(
                    &mut out,
                    "wirefeed_fetch_duration_seconds_bucket",
                    &[("source", id), ("le", &format_float(*bound))],
                    &cumulative.to_string(),
                );
            }
            sample(
                &mut out,
                "wirefeed_fetch_duration_seconds_bucket",
                &[("source", id), ("le", "+Inf")],
                &s.duration_count.to_string(),
            );
            sample(
                &mut out,
                "wirefeed_fetch_duration_seconds_sum",
                &[("source", id)],
                &format_float(s.duration_sum),
            );
            sample(
                &mut out,
                "wirefeed_fetch_duration_seconds_count",
                &[("source", id)],
                &s.duration_count.to_string(),
            );
        }

        header(
            &mut out,
            "wirefeed_feed_items",
            "Items currently in an output feed.",
            "gauge",
        );
        for (id, f) in &inner.feeds {
            sample(
                &mut out,
                "wirefeed_feed_items",
                &[("feed", id)],
                &f.items.to_string(),
            );
        }

        header(
            &mut out,
            "wirefeed_feed_last_publish_timestamp_seconds",
            "Unix time an output feed was last written.",
            "gauge",
        );
        for (id, f) in &inner.feeds {
            sample(
                &mut out,
                "wirefeed_feed_last_publish_timestamp_seconds",
                &[("feed", id)],
                &f.last_publish.to_string(),
            );
        }

        header(
            &mut out,
            "wirefeed_store_bytes",
            "Size of the story store on disk in bytes.",
            "gauge",
        );
        if let Some(n) = inner.store_bytes {
            sample(&mut out, "wirefeed_store_bytes", &[], &n.to_string());
        }

        header(
            &mut out,
            "wirefeed_last_cycle_timestamp_seconds",
            "Unix time the last poll-and-publish cycle finished.",
            "gauge",
        );
        if let Some(t) = inner.last_cycle {
            sample(
                &mut out,
                "wirefeed_last_cycle_timestamp_seconds",
                &[],
                &t.to_string(),
            );
        }

        header(
            &mut out,
            "wirefeed_cycle_failures_total",
            "Cycles that failed as a whole (store or publish errors, e.g. a full disk).",
            "counter",
        );
        sample(
            &mut out,
            "wirefeed_cycle_failures_total",
            &[],
            &inner.cycle_failures.to_string(),
        );
        out
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {}", escape_help(help));
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn sample(out: &mut String, name: &str, labels: &[(&str, &str)], value: &str) {
    out.push_str(name);
    if !labels.is_empty() {
        out.push('{');
        for (i, (k, v)) in labels.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            let _ = write!(out, "{k}=\"{}\"", escape_label(v));
        }
        out.push('}');
    }
    out.push(' ');
    out.push_str(value);
    out.push('\n');
}

/// Escapes a label value as the exposition format requires: backslash, double quote and
/// line feed. Source ids come from the operator's config and may contain anything.
pub fn escape_label(v: &str) -> String {
    let mut s = String::with_capacity(v.len());
    for c in v.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '"' => s.push_str("\\\""),
            '\n' => s.push_str("\\n"),
            c => s.push(c),
        }
    }
    s
}

fn escape_help(v: &str) -> String {
    v.replace('\\', "\\\\").replace('\n', "\\n")
}

/// Formats a float the way Prometheus reads it: Rust's `Display` never uses an exponent
/// and prints integral values without a fraction ("1"), both of which Prometheus accepts.
fn format_float(f: f64) -> String {
    if f.is_nan() {
        "NaN".into()
    } else if f.is_infinite() {
        if f > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{f}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines_for<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
        text.lines().filter(|l| l.starts_with(prefix)).collect()
    }

    #[test]
    fn histogram_is_cumulative_and_inf_equals_count() {
        let m = Metrics::new();
        m.record_fetch(&"dpa".into(), Some(200), Duration::from_millis(30), 2);
        m.record_fetch(&"dpa".into(), Some(200), Duration::from_millis(700), 1);
        m.record_fetch(&"dpa".into(), None, Duration::from_secs(90), 0);
        let text = m.render();
        let buckets = lines_for(&text, "wirefeed_fetch_duration_seconds_bucket{");
        assert_eq!(buckets.len(), FETCH_DURATION_BUCKETS.len() + 1);
        assert!(buckets[0].ends_with("le=\"0.05\"} 1"), "{}", buckets[0]);
        assert!(text.contains("wirefeed_fetch_duration_seconds_bucket{source=\"dpa\",le=\"1\"} 2"));
        // The 90 s fetch is only in +Inf.
        assert!(text.contains("wirefeed_fetch_duration_seconds_bucket{source=\"dpa\",le=\"60\"} 2"));
        assert!(
            text.contains("wirefeed_fetch_duration_seconds_bucket{source=\"dpa\",le=\"+Inf\"} 3")
        );
        assert!(text.contains("wirefeed_fetch_duration_seconds_count{source=\"dpa\"} 3"));
        assert!(text.contains("wirefeed_fetch_duration_seconds_sum{source=\"dpa\"} 90.73"));
        assert!(text.contains("wirefeed_items_fetched_total{source=\"dpa\"} 3"));
        assert!(text.contains("wirefeed_http_responses_total{source=\"dpa\",status=\"200\"} 2"));
        assert!(text.contains("wirefeed_http_responses_total{source=\"dpa\",status=\"error\"} 1"));
    }

    #[test]
    fn label_values_are_escaped() {
        let m = Metrics::new();
        m.set_consecutive_failures(&"a\"b\\c\nd".into(), 4);
        let text = m.render();
        assert!(
            text.contains("wirefeed_source_consecutive_failures{source=\"a\\\"b\\\\c\\nd\"} 4"),
            "{text}"
        );
        // No raw line break may split a sample.
        assert!(text.lines().all(|l| !l.starts_with('d')));
    }

    #[test]
    fn removed_series_disappear_and_unknown_values_are_omitted() {
        let m = Metrics::new();
        m.set_feed("politik", 40, 1_800_000_000);
        m.record_success(&"afp".into(), 1_800_000_100);
        let text = m.render();
        assert!(text.contains("wirefeed_feed_items{feed=\"politik\"} 40"));
        assert!(text
            .contains("wirefeed_source_last_success_timestamp_seconds{source=\"afp\"} 1800000100"));
        assert!(!text.contains("\nwirefeed_store_bytes "));
        assert!(!text.contains("\nwirefeed_last_cycle_timestamp_seconds "));
        m.remove_feed("politik");
        m.remove_source(&"afp".into());
        m.set_store_bytes(1234);
        m.cycle_finished(1_800_000_200);
        let text = m.render();
        assert!(!text.contains("politik"));
        assert!(!text.contains("afp"));
        assert!(text.contains("wirefeed_store_bytes 1234\n"));
        assert!(text.contains("wirefeed_last_cycle_timestamp_seconds 1800000200\n"));
        assert_eq!(m.last_cycle_unix(), Some(1_800_000_200));
        // Every family keeps its HELP and TYPE even when it has no samples.
        assert!(text.contains("# TYPE wirefeed_feed_items gauge\n"));
    }

    #[test]
    fn source_summary_reflects_last_fetch() {
        let m = Metrics::new();
        m.record_fetch(&"reuters".into(), Some(503), Duration::from_secs(1), 0);
        m.set_consecutive_failures(&"reuters".into(), 2);
        let s = &m.sources()[0];
        assert_eq!(s.id, "reuters");
        assert_eq!(s.last_status, Some(Some(503)));
        assert_eq!(s.consecutive_failures, 2);
        assert_eq!(s.fetches, 1);
        assert_eq!(s.last_success, None);
    }
}
