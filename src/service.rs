//! The daemon's view to the outside: Prometheus metrics, the status snapshot read by
//! `wirefeed status`, the HTTP server for feed readers and WebSub pings, all fed from the
//! report of each cycle.

use crate::config::Config;
use crate::metrics::Metrics;
use crate::publish::OutputFormat;
use crate::report::{CycleReport, Observer, SourceOutcome};
use crate::serve::{FeedListing, ServeState};
use crate::status::{build_snapshot, feed_file_facts, snapshot_path};
use crate::store::Store;
use chrono::Utc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
            state.health_max_age = config
                .poll
                .interval
                .saturating_mul(3)
                .max(Duration::from_secs(300));
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
            match &s.outcome {
                SourceOutcome::Failed(e) => self.metrics.record_failure(&s.id, e.kind().label()),
                _ => self.metrics.record_success(&s.id, now.timestamp()),
            }
            self.metrics
                .set_consecutive_failures(&s.id, u64::from(s.consecutive_failures));
            self.metrics
                .record_late_versions(&s.id, s.late_versions as u64);
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
            let (items, changed) = feed_file_facts(config, &f.id);
            self.metrics
                .set_feed(&f.id, items, changed.map_or(0, |t| t.timestamp()));
        }
        self.metrics.set_store_bytes(store.size_on_disk());
        // The snapshot first: once /healthz reports the cycle, `wirefeed status` must be able
        // to read it.
        if let Err(e) = crate::status::write_snapshot(
            &snapshot_path(config),
            &build_snapshot(config, store, now),
        ) {
            tracing::warn!("cannot write the status snapshot: {e}");
        }
        self.metrics.cycle_finished(now.timestamp());
        // WebSub: ping the hubs for the feeds whose files changed, without holding up the cycle.
        if !config.websub_hubs.is_empty() {
            let changed: Vec<String> = report
                .published
                .iter()
                .filter_map(|p| p.file_name().and_then(|n| n.to_str()))
                .filter(|n| {
                    n.rsplit_once('.').is_some_and(|(_, ext)| {
                        OutputFormat::from_ext(ext).is_some_and(OutputFormat::is_feed)
                    })
                })
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

    fn cycle_failed(&self, reason: &str) {
        self.metrics.cycle_failed(reason);
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
