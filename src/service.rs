//! The daemon's view to the outside: Prometheus metrics, the status snapshot read by
//! `wirefeed status`, the HTTP server for feed readers and WebSub pings, all fed from the
//! report of each cycle.

use crate::config::Config;
use crate::cycle::{CycleReport, SourceOutcome};
use crate::daemon::Observer;
use crate::metrics::Metrics;
use crate::serve::{FeedListing, ServeState};
use crate::status::{FeedStatus, SourceStatus, StatusSnapshot};
use crate::store::Store;
use chrono::{DateTime, Utc};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Where the status snapshot of a store lives: beside the store folder, not inside it, so
/// that sled owns its folder alone.
pub fn snapshot_path(config: &Config) -> PathBuf {
    let mut name = config
        .store
        .file_name()
        .map(|n| n.to_os_string())
        .unwrap_or_default();
    name.push(".status.json");
    config.store.with_file_name(name)
}

/// The status of every configured source and output, read from the store and feeds_dir.
pub fn build_snapshot(config: &Config, store: &Store, now: DateTime<Utc>) -> StatusSnapshot {
    let sources = config
        .sources
        .iter()
        .map(|s| {
            let st = store.source_state(&s.id).unwrap_or_default();
            SourceStatus {
                id: s.id.clone(),
                kind: Some(source_kind(s).to_string()),
                last_poll: st.last_poll,
                last_success: st.last_success,
                http_status: st.last_status,
                new_items: st.new_items,
                total_items: None,
                consecutive_failures: u64::from(st.consecutive_failures),
                last_error: st.last_error,
                next_poll: st.next_poll,
            }
        })
        .collect();
    let feeds = config
        .feeds
        .iter()
        .map(|f| {
            let path = config.feeds_dir.join(format!("{}.rss", f.id));
            let (items, last_change) = feed_file_facts(&path);
            FeedStatus {
                id: f.id.clone(),
                title: f.title.clone(),
                items,
                last_change,
            }
        })
        .collect();
    StatusSnapshot {
        written_at: now,
        pid: std::process::id(),
        sources,
        feeds,
    }
}

/// `http`, `spool` (a folder) or `file`: how a source is read, so status views can show a
/// status that fits it (a spool folder has no HTTP status and no network errors).
pub fn source_kind(source: &crate::config::SourceConfig) -> &'static str {
    match &source.location {
        crate::config::SourceLocation::Http(_) => "http",
        crate::config::SourceLocation::Path(p) if p.is_dir() => "spool",
        crate::config::SourceLocation::Path(_) => "file",
    }
}

fn feed_file_facts(path: &Path) -> (u64, Option<DateTime<Utc>>) {
    let items = std::fs::read(path)
        .map(|b| crate::serve::count_items(&b))
        .unwrap_or(0);
    let changed = std::fs::metadata(path)
        .and_then(|m| m.modified())
        .ok()
        .map(DateTime::<Utc>::from);
    (items, changed)
}

fn listings(config: &Config) -> Vec<FeedListing> {
    config
        .feeds
        .iter()
        .map(|f| FeedListing {
            id: f.id.clone(),
            title: f.title.clone(),
            description: f.description.clone(),
        })
        .collect()
}

/// Feeds metrics, the status snapshot, the HTTP index and WebSub from each cycle.
pub struct Service {
    pub metrics: Arc<Metrics>,
    pub serve_state: Option<Arc<ServeState>>,
    client: reqwest::Client,
    config: Mutex<Option<Arc<Config>>>,
}

impl Service {
    pub fn new(config: &Config) -> Service {
        let metrics = Arc::new(Metrics::new());
        let serve_state = config.serve.map(|_| {
            let mut state =
                ServeState::new(config.feeds_dir.clone(), metrics.clone(), listings(config));
            // /sources reads the persisted snapshot `wirefeed status` reads, so both agree
            // and a restarted daemon shows every source's history at once.
            state.status_path = Some(snapshot_path(config));
            // Healthy while cycles keep coming: a few poll intervals of slack.
            state.health_max_age = (config.poll.interval * 3).max(Duration::from_secs(300));
            state.cache_max_age = (config.poll.interval / 2)
                .clamp(Duration::from_secs(30), Duration::from_secs(3600));
            Arc::new(state)
        });
        Service {
            metrics,
            serve_state,
            client: reqwest::Client::builder()
                .user_agent(config.poll.user_agent.clone())
                .timeout(config.poll.timeout)
                .build()
                .unwrap_or_default(),
            config: Mutex::new(None),
        }
    }
}

impl Observer for Service {
    fn cycle_finished(&self, config: &Config, store: &Store, report: &CycleReport) {
        let now = Utc::now();
        for s in &report.sources {
            let new = match s.outcome {
                SourceOutcome::Ingested { new, .. } => new as u64,
                _ => 0,
            };
            let http = config
                .source(&s.id)
                .is_none_or(|c| matches!(c.location, crate::config::SourceLocation::Http(_)));
            if http {
                self.metrics.record_fetch(&s.id, s.status, s.duration, new);
            } else {
                // A spool folder or file has no HTTP response: it must not count as a
                // network error in wirefeed_http_responses_total.
                self.metrics.record_read(&s.id, s.duration, new);
            }
            if !matches!(s.outcome, SourceOutcome::Failed(_)) {
                self.metrics.record_success(&s.id, now.timestamp());
            }
            self.metrics
                .set_consecutive_failures(&s.id, u64::from(s.consecutive_failures));
        }
        // Every configured source's persisted state, so per-source series exist from the
        // first cycle after a restart, not only once each source is polled again.
        for c in &config.sources {
            if report.sources.iter().any(|s| s.id == c.id) {
                continue;
            }
            if let Ok(st) = store.source_state(&c.id) {
                if let Some(t) = st.last_success {
                    self.metrics.record_success(&c.id, t.timestamp());
                }
                self.metrics
                    .set_consecutive_failures(&c.id, u64::from(st.consecutive_failures));
            }
        }
        for f in &config.feeds {
            let (items, changed) = feed_file_facts(&config.feeds_dir.join(format!("{}.rss", f.id)));
            self.metrics
                .set_feed(&f.id, items, changed.map_or(0, |t| t.timestamp()));
        }
        self.metrics.set_store_bytes(store.size_on_disk());
        self.metrics.cycle_finished(now.timestamp());
        if let Err(e) = crate::status::write_snapshot(
            &snapshot_path(config),
            &build_snapshot(config, store, now),
        ) {
            tracing::warn!("cannot write the status snapshot: {e}");
        }
        // WebSub: ping the hubs for the feeds whose files changed, without holding up the cycle.
        if !config.websub_hubs.is_empty() {
            let changed: Vec<String> = report
                .published
                .iter()
                .filter_map(|p| p.file_name().and_then(|n| n.to_str()))
                .filter(|n| n.ends_with(".rss") || n.ends_with(".atom") || n.ends_with(".json"))
                .filter_map(|n| config.base_url.join(n).ok().map(|u| u.to_string()))
                .collect();
            if !changed.is_empty() {
                let hubs = config.websub_hubs.clone();
                let client = self.client.clone();
                tokio::spawn(
                    async move { crate::websub::notify_hubs(&client, &hubs, &changed).await },
                );
            }
        }
    }

    fn config_reloaded(&self, config: &Config) {
        if let Some(state) = &self.serve_state {
            state.set_index(listings(config));
        }
        let mut previous = self.config.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(old) = previous.as_ref() {
            for f in &old.feeds {
                if config.feed(&f.id).is_none() {
                    self.metrics.remove_feed(&f.id);
                }
            }
            for s in &old.sources {
                if config.source(&s.id).is_none() {
                    self.metrics.remove_source(&s.id);
                }
            }
            if old.serve != config.serve {
                tracing::warn!(
                    "serve address changed in config.yaml; it takes effect after a restart"
                );
            }
        }
        *previous = Some(Arc::new(config.clone()));
    }
}
