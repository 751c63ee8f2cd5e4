//! WebSub publisher pings: after a cycle changed some output feeds, tell each configured
//! hub (`hub.mode=publish`, `hub.url=<feed URL>`) so subscribers get the news within
//! seconds instead of at their next poll.
//!
//! The daemon spawns [`notify_hubs`] and does not wait for it: a slow or dead hub must
//! never hold up a cycle. Failures are logged and given up after a few tries; a missed
//! ping only means subscribers fall back to polling.

use std::time::Duration;
use url::Url;

/// How often and how patiently a hub is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Total attempts per hub and feed, at least 1.
    pub attempts: u32,
    /// Wait before the second attempt; doubled before each further one.
    pub base_delay: Duration,
    /// Limit for one request, so a hub that accepts the connection and then hangs does
    /// not keep the task alive forever.
    pub request_timeout: Duration,
}

impl Default for RetryPolicy {
    /// Three attempts, waiting 1 s and then 2 s, 30 s per request.
    fn default() -> Self {
        Self {
            attempts: 3,
            base_delay: Duration::from_secs(1),
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// The result of pinging one hub about one feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PingOutcome {
    pub hub: Url,
    pub feed_url: String,
    /// Attempts made (1 when the first one was accepted).
    pub attempts: u32,
    /// Whether the hub accepted the ping with a 2xx status.
    pub accepted: bool,
    /// The last failure, for the log: an HTTP status or a network error.
    pub last_error: Option<String>,
}

/// Pings every hub about every feed URL with the default retry policy, logging failures.
pub async fn notify_hubs(client: &reqwest::Client, hubs: &[Url], feed_urls: &[String]) {
    notify_hubs_with(client, hubs, feed_urls, RetryPolicy::default()).await;
}

/// Pings every hub about every feed URL concurrently, retrying network errors, 5xx and
/// 429 answers with exponential backoff; other 4xx answers are final (the hub rejected
/// the request, asking again will not change that). Returns one outcome per pair.
pub async fn notify_hubs_with(
    client: &reqwest::Client,
    hubs: &[Url],
    feed_urls: &[String],
    policy: RetryPolicy,
) -> Vec<PingOutcome> {
    let pings = hubs.iter().flat_map(|hub| {
        feed_urls
            .iter()
            .map(move |feed| ping_one(client, hub, feed, policy))
    });
    let outcomes = futures_util::future::join_all(pings).await;
    for o in &outcomes {
        if o.accepted {
            tracing::debug!(hub = %o.hub, feed = %o.feed_url, attempts = o.attempts, "websub hub accepted publish ping");
        } else {
            tracing::warn!(
                hub = %o.hub,
                feed = %o.feed_url,
                attempts = o.attempts,
                error = o.last_error.as_deref().unwrap_or("unknown"),
                "websub hub did not accept publish ping; giving up, subscribers will see the change at their next poll"
            );
        }
    }
    outcomes
}

/// The form body of a publish ping.
pub fn publish_body(feed_url: &str) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .append_pair("hub.mode", "publish")
        .append_pair("hub.url", feed_url)
        .finish()
}

async fn ping_one(
    client: &reqwest::Client,
    hub: &Url,
    feed_url: &str,
    policy: RetryPolicy,
) -> PingOutcome {
    let attempts = policy.attempts.max(1);
    let body = publish_body(feed_url);
    let mut last_error = None;
    let mut delay = policy.base_delay;
    for attempt in 1..=attempts {
        if attempt > 1 {
            tokio::time::sleep(delay).await;
            delay = delay.saturating_mul(2);
        }
        let sent = client
            .post(hub.clone())
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body.clone())
            .timeout(policy.request_timeout)
            .send()
            .await;
        let retry = match sent {
            Ok(resp) if resp.status().is_success() => {
                return PingOutcome {
                    hub: hub.clone(),
                    feed_url: feed_url.to_string(),
                    attempts: attempt,
                    accepted: true,
                    last_error: None,
                };
            }
            Ok(resp) => {
                let status = resp.status();
                last_error = Some(format!("hub answered HTTP {status}"));
                status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS
            }
            Err(e) => {
                last_error = Some(format!("request failed: {e}"));
                true
            }
        };
        tracing::debug!(hub = %hub, feed = %feed_url, attempt, error = last_error.as_deref().unwrap_or(""), "websub ping failed");
        if !retry {
            return PingOutcome {
                hub: hub.clone(),
                feed_url: feed_url.to_string(),
                attempts: attempt,
                accepted: false,
                last_error,
            };
        }
    }
    PingOutcome {
        hub: hub.clone(),
        feed_url: feed_url.to_string(),
        attempts,
        accepted: false,
        last_error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn body_encodes_feed_url() {
        assert_eq!(
            publish_body("https://news.example/politik.rss?a=1&b=ä"),
            "hub.mode=publish&hub.url=https%3A%2F%2Fnews.example%2Fpolitik.rss%3Fa%3D1%26b%3D%C3%A4"
        );
    }
}
