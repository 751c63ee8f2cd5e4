//! HTTP for feed readers and operators: the published feeds from `feeds_dir` (`files`:
//! validators, compression, browser view), the human index and `/sources` pages (`pages`),
//! `/healthz` and `/metrics`.

mod files;
mod pages;

pub use self::files::{
    feed_file_name, if_none_match_matches, negotiate_encoding, wants_browser_view, Encoding,
    FeedKind, FeedListing, ServeState,
};
pub use self::pages::{render_index, render_source_snapshot, render_sources, FeedFacts};

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{TimeZone, Utc};
use std::future::Future;
use std::io;
use std::sync::Arc;
use std::time::Duration;

/// How long a client may take to send a request's headers, and how long a kept-alive
/// connection may wait for its next request: a slow or silent client holds a socket no
/// longer than this.
pub const HEADER_READ_TIMEOUT: Duration = Duration::from_secs(10);

/// The longest one connection is served, however busy: feed files are small, so only a
/// client that reads absurdly slowly reaches it.
pub const MAX_CONNECTION_TIME: Duration = Duration::from_secs(120);

/// Connections served at once: half the process's file-descriptor limit, between 16 and
/// 1024. Further clients wait in the listen queue, so half-sent requests can never take
/// the descriptors that sources, the store and publishing need.
pub fn max_connections() -> usize {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we pass and has no other effect.
    let soft = if unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0 {
        usize::try_from(limit.rlim_cur).unwrap_or(usize::MAX)
    } else {
        1024
    };
    (soft / 2).clamp(16, 1024)
}

/// Serves until `shutdown` completes; connections still open then are left to finish on
/// their own (the caller waits a moment before the process exits).
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<ServeState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    serve_with_limits(listener, state, shutdown, max_connections()).await
}

/// [`serve`] with another connection limit (tests use a small one).
pub async fn serve_with_limits(
    listener: tokio::net::TcpListener,
    state: Arc<ServeState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
    max_connections: usize,
) -> io::Result<()> {
    let app = router(state);
    let slots = Arc::new(tokio::sync::Semaphore::new(max_connections.max(1)));
    tokio::pin!(shutdown);
    loop {
        // A slot first, then accept: past the limit, clients wait in the kernel's queue
        // instead of holding a descriptor here.
        let slot = tokio::select! {
            slot = slots.clone().acquire_owned() => match slot {
                Ok(slot) => slot,
                Err(_) => return Ok(()),
            },
            _ = &mut shutdown => return Ok(()),
        };
        let (stream, _) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // EMFILE and friends pass; back off instead of spinning.
                    tracing::warn!("HTTP server cannot accept a connection: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            _ = &mut shutdown => return Ok(()),
        };
        let service = hyper_util::service::TowerToHyperService::new(app.clone());
        tokio::spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(hyper_util::rt::TokioTimer::new())
                .header_read_timeout(HEADER_READ_TIMEOUT)
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service);
            let _ = tokio::time::timeout(MAX_CONNECTION_TIME, connection).await;
            drop(slot);
        });
    }
}

/// The routes, for callers that want to mount them elsewhere or test without a socket.
pub fn router(state: Arc<ServeState>) -> Router {
    Router::new()
        .route("/", get(pages::index_page))
        .route("/sources", get(pages::sources_page))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/feed.xsl", get(files::feed_xsl_file))
        .fallback(files::feed_file)
        .with_state(state)
}

async fn metrics(State(state): State<Arc<ServeState>>) -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "text/plain; version=0.0.4; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-store"),
        ],
        state.metrics.render(),
    )
        .into_response()
}

/// The `/healthz` answer for a last cycle at `last_cycle` (unix seconds) seen at `now`,
/// and the reason the cycles since have failed, if they do: the status code and the body.
pub fn health(
    last_cycle: Option<i64>,
    failing: Option<&str>,
    now: i64,
    max_age: Duration,
) -> (StatusCode, String) {
    if let Some(reason) = failing {
        let last_rfc = last_cycle
            .and_then(|t| Utc.timestamp_opt(t, 0).single())
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let body = serde_json::json!({
            "status": "failing",
            "error": reason,
            "last_cycle": last_rfc,
        });
        return (StatusCode::SERVICE_UNAVAILABLE, body.to_string());
    }
    let Some(last) = last_cycle else {
        let body = serde_json::json!({ "status": "starting", "last_cycle": null });
        return (StatusCode::SERVICE_UNAVAILABLE, body.to_string());
    };
    let age = now.saturating_sub(last).max(0);
    let last_rfc = Utc
        .timestamp_opt(last, 0)
        .single()
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
    let fresh = u64::try_from(age).unwrap_or(u64::MAX) <= max_age.as_secs();
    let status = if fresh { "ok" } else { "stale" };
    let body = serde_json::json!({
        "status": status,
        "last_cycle": last_rfc,
        "age_seconds": age,
        "max_age_seconds": max_age.as_secs(),
    });
    let code = if fresh {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    (code, body.to_string())
}

async fn healthz(State(state): State<Arc<ServeState>>) -> Response {
    let failing = state.metrics.cycle_error();
    let (code, body) = health(
        state.metrics.last_cycle_unix(),
        failing.as_deref(),
        files::now_unix(),
        state.health_max_age,
    );
    (
        code,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_reports_starting_ok_and_stale() {
        let max = Duration::from_secs(600);
        let (c, b) = health(None, None, 1_000, max);
        assert_eq!(c, StatusCode::SERVICE_UNAVAILABLE);
        assert!(b.contains("\"starting\""));
        let (c, b) = health(Some(1_800_000_000), None, 1_800_000_060, max);
        assert_eq!(c, StatusCode::OK);
        assert!(b.contains("\"age_seconds\":60"), "{b}");
        assert!(b.contains("2027-01-15T08:00:00Z"), "{b}");
        let (c, b) = health(Some(1_800_000_000), None, 1_800_000_601, max);
        assert_eq!(c, StatusCode::SERVICE_UNAVAILABLE);
        assert!(b.contains("\"stale\""));
        // A fresh last cycle does not hide that the cycles since fail.
        let (c, b) = health(
            Some(1_800_000_000),
            Some("store: No space left on device"),
            1_800_000_010,
            max,
        );
        assert_eq!(c, StatusCode::SERVICE_UNAVAILABLE);
        assert!(
            b.contains("\"failing\"") && b.contains("No space left"),
            "{b}"
        );
    }
}
