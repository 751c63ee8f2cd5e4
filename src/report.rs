//! What a cycle tells the outside: `CycleReport` and `SourceReport` (a failed source
//! carries the typed `SourceError` of the source stage, whose `ErrorKind` logs, metrics and
//! backoff read), and the `Observer` that the daemon calls after each cycle.

pub use crate::source::error::{ErrorKind, SourceError};

use crate::config::Config;
use crate::model::SourceId;
use crate::store::Store;
use chrono::{DateTime, Utc};
use std::path::PathBuf;
use std::time::Duration;

/// How one source's poll went.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceOutcome {
    /// 304, or a spool folder with no new delivery.
    NotModified,
    /// 200 with the same bytes as last time: nothing parsed.
    Unchanged,
    Ingested {
        items: usize,
        new: usize,
        updated: usize,
        duplicates: usize,
    },
    Failed(SourceError),
}

#[derive(Debug, Clone)]
pub struct SourceReport {
    pub id: SourceId,
    pub status: Option<u16>,
    pub outcome: SourceOutcome,
    pub duration: Duration,
    pub pages_followed: usize,
    /// Problems that did not fail the source (skipped entries, pages that were no article).
    pub warnings: Vec<String>,
    pub next_poll: DateTime<Utc>,
    pub consecutive_failures: u32,
    /// The store gained or changed a story or teaser from this source.
    pub changed: bool,
    /// Older versions of kept stories that arrived late and were ignored (each version
    /// counted once, not on every re-read of its spool file).
    pub late_versions: usize,
}

#[derive(Debug, Default)]
pub struct CycleReport {
    pub sources: Vec<SourceReport>,
    /// Output files that were rewritten.
    pub published: Vec<PathBuf>,
    pub expired: usize,
    /// Items per output feed after publishing.
    pub feed_items: Vec<(String, usize)>,
    pub stage_times: StageTimes,
}

/// Wall time spent per stage (fetch and parse overlap across sources).
#[derive(Debug, Default, Clone)]
pub struct StageTimes {
    pub fetch_parse: Duration,
    pub store: Duration,
    /// Making the store durable once per cycle (sled flush).
    pub flush: Duration,
    pub publish: Duration,
}

/// One line per source per cycle: info when it went well, warn when it failed.
pub fn log_source(r: &SourceReport) {
    let ms = r.duration.as_millis() as u64;
    let status = r
        .status
        .map(|s| s.to_string())
        .unwrap_or_else(|| "-".into());
    match &r.outcome {
        SourceOutcome::Failed(reason) => tracing::warn!(
            source = %r.id, status = %status, failures = r.consecutive_failures, ms,
            reason = reason.kind().label(),
            "source failed: {reason}"
        ),
        SourceOutcome::NotModified => {
            tracing::info!(source = %r.id, status = %status, new = 0, ms, "not modified")
        }
        SourceOutcome::Unchanged => {
            tracing::info!(source = %r.id, status = %status, new = 0, ms, "unchanged body")
        }
        SourceOutcome::Ingested {
            items,
            new,
            updated,
            duplicates,
        } => tracing::info!(
            source = %r.id, status = %status, items, new, updated, duplicates, pages = r.pages_followed, ms,
            "polled"
        ),
    }
    for w in &r.warnings {
        tracing::warn!(source = %r.id, "{w}");
    }
}

/// A one-line summary of a cycle for the log.
pub fn summarize(report: &CycleReport) -> String {
    let mut new = 0;
    let mut failed = 0;
    let mut not_modified = 0;
    for s in &report.sources {
        match &s.outcome {
            SourceOutcome::Ingested { new: n, .. } => new += n,
            SourceOutcome::Failed(_) => failed += 1,
            SourceOutcome::NotModified | SourceOutcome::Unchanged => not_modified += 1,
        }
    }
    format!(
        "{} sources polled ({} unchanged, {} failed), {} new stories, {} files published, {} expired",
        report.sources.len(),
        not_modified,
        failed,
        new,
        report.published.len(),
        report.expired
    )
}

/// Hooks the daemon calls after each cycle and on reload (metrics, status, serving).
pub trait Observer: Send + Sync {
    fn cycle_finished(&self, _config: &Config, _store: &Store, _report: &CycleReport) {}
    fn config_reloaded(&self, _config: &Config) {}
    /// A cycle failed as a whole (store or publish error); the next one retries.
    fn cycle_failed(&self, _reason: &str) {}
}

/// The observer that does nothing, for `once` and tests.
pub struct NoObserver;
impl Observer for NoObserver {}
