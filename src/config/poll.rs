//! The `poll`, `retention`, `dedup` and `teasers` sections: how sources are fetched and
//! scheduled, how long stories stay, when two stories are one, which headings open a
//! teaser section.

use super::model::{DedupConfig, PollConfig, RetentionConfig, TeaserConfig};
use super::yaml::{Checker, Node, SNode};
use crate::parse::article::DEFAULT_TEASER_LABELS;
use std::time::Duration;

impl Default for PollConfig {
    fn default() -> Self {
        PollConfig {
            interval: Duration::from_secs(600),
            timeout: Duration::from_secs(30),
            concurrency: 8,
            per_host: 2,
            user_agent: format!("wirefeed/{}", env!("CARGO_PKG_VERSION")),
            max_body: 10 * 1024 * 1024,
            max_interval: Duration::from_secs(6 * 3600),
            max_backoff: Duration::from_secs(3600),
            allow_private_addresses: false,
        }
    }
}

impl Checker<'_> {
    pub(super) fn poll(&mut self, node: Option<&SNode>) -> Option<PollConfig> {
        let d = PollConfig::default();
        let Some(node) = node else { return Some(d) };
        let mut f = self.fields(node, "poll");
        let interval = self.read_or(&mut f, "interval", d.interval, |c, n| {
            c.duration(n, "poll.interval")
        });
        let timeout = self.read_or(&mut f, "timeout", d.timeout, |c, n| {
            c.duration(n, "poll.timeout")
        });
        let concurrency = self.read_or(&mut f, "concurrency", d.concurrency, |c, n| {
            c.count(n, "poll.concurrency", 1, 1024)
        });
        let per_host = self.read_or(&mut f, "per_host", d.per_host, |c, n| {
            c.count(n, "poll.per_host", 1, 1024)
        });
        let user_agent = self.read_or(&mut f, "user_agent", d.user_agent, |c, n| {
            c.string(n, "poll.user_agent")
        });
        let max_body = self.read_or(&mut f, "max_body", d.max_body, |c, n| {
            c.size(n, "poll.max_body")
        });
        let max_interval = self.read_or(&mut f, "max_interval", d.max_interval, |c, n| {
            c.duration(n, "poll.max_interval")
        });
        let max_backoff = self.read_or(&mut f, "max_backoff", d.max_backoff, |c, n| {
            c.duration(n, "poll.max_backoff")
        });
        let allow_private_addresses = self.read_or(
            &mut f,
            "allow_private_addresses",
            d.allow_private_addresses,
            |c, n| c.bool(n, "poll.allow_private_addresses"),
        );
        self.finish(f);
        Some(PollConfig {
            interval: interval?,
            timeout: timeout?,
            concurrency: concurrency?,
            per_host: per_host?,
            user_agent: user_agent?,
            max_body: max_body?,
            max_interval: max_interval?,
            max_backoff: max_backoff?,
            allow_private_addresses: allow_private_addresses?,
        })
    }

    pub(super) fn retention(&mut self, node: Option<&SNode>) -> Option<RetentionConfig> {
        let max_age = Duration::from_secs(30 * 86400);
        let Some(node) = node else {
            return Some(RetentionConfig { max_age });
        };
        let mut f = self.fields(node, "retention");
        let max_age = self.read_or(&mut f, "max_age", max_age, |c, n| {
            c.duration(n, "retention.max_age")
        });
        self.finish(f);
        Some(RetentionConfig { max_age: max_age? })
    }

    pub(super) fn dedup(&mut self, node: Option<&SNode>) -> Option<DedupConfig> {
        let clock_skew = Duration::from_secs(300);
        let Some(node) = node else {
            return Some(DedupConfig {
                near_duplicate_threshold: None,
                clock_skew,
            });
        };
        let mut f = self.fields(node, "dedup");
        let threshold = self.read_or(&mut f, "near_duplicate_threshold", None, |c, n| {
            match n.value {
                Node::Float(x) if (0.0..=1.0).contains(&x) => Some(Some(x)),
                Node::Int(x) if (0..=1).contains(&x) => Some(Some(x as f64)),
                _ => {
                    c.problem(
                        n,
                        "dedup.near_duplicate_threshold must be a number between 0 and 1, e.g. 0.7",
                    );
                    None
                }
            }
        });
        let clock_skew = self.read_or(&mut f, "clock_skew", clock_skew, |c, n| {
            c.duration(n, "dedup.clock_skew")
        });
        self.finish(f);
        Some(DedupConfig {
            near_duplicate_threshold: threshold?,
            clock_skew: clock_skew?,
        })
    }

    pub(super) fn teasers(&mut self, node: Option<&SNode>) -> TeaserConfig {
        let default = TeaserConfig {
            labels: DEFAULT_TEASER_LABELS
                .iter()
                .map(|s| s.to_string())
                .collect(),
        };
        let Some(node) = node else { return default };
        let mut f = self.fields(node, "teasers");
        let labels: Vec<String> = self
            .read(&mut f, "labels", |c, n| {
                Some(c.string_list(n, "teasers.labels"))
            })
            .unwrap_or_default()
            .into_iter()
            .map(|s| s.value)
            .collect();
        self.finish(f);
        if labels.is_empty() {
            default
        } else {
            TeaserConfig { labels }
        }
    }
}
