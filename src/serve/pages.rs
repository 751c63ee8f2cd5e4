//! The HTML pages for people: `/` lists every output with subscribe links, `/sources`
//! shows each source's health.

use super::files::{
    plain, read_plain_file, serve_named, unix_secs, FeedKind, FeedListing, ServeState,
};
use crate::metrics::Metrics;
use crate::publish::{count_items, OutputFormat, INDEX_FILE};
use crate::status::relative_time;
use axum::extract::State;
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, TimeZone, Utc};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::sync::Arc;

/// What the index page knows about one feed besides its listing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FeedFacts {
    /// Which of rss, atom, json exist in `feeds_dir`.
    pub rss: bool,
    pub atom: bool,
    pub json: bool,
    pub items: Option<u64>,
    pub last_update: Option<DateTime<Utc>>,
}

fn gather_facts(dir: &Path, listing: &FeedListing, metrics: &Metrics) -> FeedFacts {
    let exists = |format: OutputFormat| {
        fs::symlink_metadata(format.path(dir, &listing.id))
            .ok()
            .filter(|m| m.file_type().is_file())
    };
    let (rss, atom, json) = (
        exists(OutputFormat::Rss),
        exists(OutputFormat::Atom),
        exists(OutputFormat::Json),
    );
    let mut facts = FeedFacts {
        rss: rss.is_some(),
        atom: atom.is_some(),
        json: json.is_some(),
        ..FeedFacts::default()
    };
    if let Some(f) = metrics.feed(&listing.id) {
        facts.items = Some(f.items);
        facts.last_update = Utc.timestamp_opt(f.last_publish_unix, 0).single();
        return facts;
    }
    // No report from the publisher yet (the daemon just started): read the files.
    let newest = [&rss, &atom, &json]
        .into_iter()
        .flatten()
        .filter_map(|m| m.modified().ok())
        .max();
    facts.last_update = newest.and_then(|t| Utc.timestamp_opt(unix_secs(t), 0).single());
    let xml = if facts.rss {
        Some(OutputFormat::Rss)
    } else if facts.atom {
        Some(OutputFormat::Atom)
    } else {
        None
    };
    if let Some(format) = xml {
        if let Ok(Some((bytes, _))) = read_plain_file(dir, &format.file_name(&listing.id)) {
            facts.items = Some(count_items(&bytes));
        }
    }
    facts
}

fn esc(s: &str) -> String {
    html_escape::encode_safe(s).into_owned()
}

fn fmt_time(t: Option<DateTime<Utc>>, now: DateTime<Utc>) -> String {
    match t {
        Some(t) => format!(
            "<time datetime=\"{}\">{}</time> ({})",
            t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            t.format("%Y-%m-%d %H:%M UTC"),
            relative_time(Some(t), now)
        ),
        None => "never".into(),
    }
}

const PAGE_STYLE: &str = "body{font-family:system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#222;line-height:1.45}\
h1{font-size:1.6rem}ul.feeds{list-style:none;padding:0}ul.feeds li{border-top:1px solid #ddd;padding:.8rem 0}\
.meta{color:#666;font-size:.9rem}a.sub{display:inline-block;margin-right:.6rem;padding:.1rem .5rem;border:1px solid #c60;border-radius:3px;color:#c60;text-decoration:none;font-size:.85rem}\
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.3rem .6rem;border-bottom:1px solid #ddd}\
td.num{text-align:right}td.time{white-space:nowrap}.bad{color:#b00;font-weight:bold}footer{margin-top:2rem;color:#666;font-size:.9rem}";

fn page(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
<title>{}</title><style>{PAGE_STYLE}</style>\
<link rel=\"alternate\" type=\"text/x-opml\" title=\"All feeds (OPML)\" href=\"/index.opml\">\
</head><body>{body}\
<footer>Operations: <a href=\"/sources\">source health</a> · <a href=\"/healthz\">/healthz</a> · <a href=\"/metrics\">/metrics</a></footer>\
</body></html>\n",
        esc(title)
    )
}

/// The index page: every output feed with title, description, item count, last update
/// and subscribe links for the formats that exist.
pub fn render_index(feeds: &[(FeedListing, FeedFacts)], opml: bool, now: DateTime<Utc>) -> String {
    let mut body = String::from(
        "<h1>wirefeed</h1><p>Curated news feeds. Copy a link into your feed reader to subscribe.",
    );
    if opml {
        body.push_str(" All feeds at once: <a href=\"/index.opml\">index.opml</a>.");
    }
    body.push_str("</p>");
    if feeds.is_empty() {
        body.push_str("<p>No output feeds are configured.</p>");
    }
    body.push_str("<ul class=\"feeds\">");
    for (l, f) in feeds {
        let id = esc(&l.id);
        let _ = write!(
            body,
            "<li id=\"feed-{id}\"><h2>{}</h2><p>{}</p><p class=\"meta\">",
            esc(&l.title),
            esc(&l.description)
        );
        match f.items {
            Some(n) => {
                let _ = write!(body, "<span class=\"items\">{n} items</span>");
            }
            None => body.push_str("<span class=\"items\">not yet published</span>"),
        }
        let _ = write!(
            body,
            " · last update {}</p><p>",
            fmt_time(f.last_update, now)
        );
        let links = [
            (f.rss, "rss", "RSS"),
            (f.atom, "atom", "Atom"),
            (f.json, "json", "JSON Feed"),
        ];
        for (present, ext, label) in links {
            if present {
                let _ = write!(body, "<a class=\"sub\" href=\"/{id}.{ext}\">{label}</a>");
            }
        }
        body.push_str("</p></li>");
    }
    body.push_str("</ul>");
    page("wirefeed – feeds", &body)
}

/// The `/sources` page: per-source fetch health as the metrics know it.
pub fn render_sources(
    sources: &[crate::metrics::SourceSummary],
    last_cycle: Option<i64>,
    now: DateTime<Utc>,
) -> String {
    let at = |t: Option<i64>| t.and_then(|t| Utc.timestamp_opt(t, 0).single());
    let mut body = format!(
        "<h1>Source health</h1><p>Last cycle finished: {}. <a href=\"/\">Back to the feeds</a>.</p>",
        fmt_time(at(last_cycle), now)
    );
    if sources.is_empty() {
        body.push_str("<p>No source has been polled yet.</p>");
    } else {
        body.push_str("<table><thead><tr><th>Source</th><th>State</th><th>Last status</th><th>Failures in a row</th><th>Last success</th><th>Fetches</th><th>Items fetched</th></tr></thead><tbody>");
        for s in sources {
            let state = if s.consecutive_failures > 0 {
                "<span class=\"bad\">failing</span>"
            } else {
                "ok"
            };
            let status = match s.last_status {
                Some(Some(c)) => c.to_string(),
                Some(None) => "network error".into(),
                None => "–".into(),
            };
            let _ = write!(
                body,
                "<tr><td>{}</td><td>{state}</td><td>{status}</td><td class=\"num\">{}</td><td class=\"time\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>",
                esc(&s.id),
                s.consecutive_failures,
                fmt_time(at(s.last_success), now),
                s.fetches,
                s.items_fetched
            );
        }
        body.push_str("</tbody></table>");
    }
    page("wirefeed – source health", &body)
}

/// `/sources` from the persisted status snapshot: every configured source with its kind,
/// a status that fits the kind, and its history from before the last restart.
pub fn render_source_snapshot(s: &crate::status::StatusSnapshot, now: DateTime<Utc>) -> String {
    let mut body = format!(
        "<h1>Source health</h1><p>As of {} (written by process {}). <a href=\"./\">Back to the feeds</a>.</p>",
        fmt_time(Some(s.written_at), now),
        s.pid
    );
    if s.sources.is_empty() {
        body.push_str("<p>No source is configured.</p>");
    }
    body.push_str("<table><thead><tr><th>Source</th><th>Kind</th><th>State</th><th>Last result</th><th>New</th><th>Failures in a row</th><th>Last poll</th><th>Last success</th><th>Next poll</th><th>Last error</th></tr></thead><tbody>");
    for src in &s.sources {
        let kind = src.kind.as_deref().unwrap_or("http");
        let state = if src.last_poll.is_none() {
            "not polled yet"
        } else if src.consecutive_failures > 0 {
            "<span class=\"bad\">failing</span>"
        } else {
            "ok"
        };
        let result = match (kind, src.http_status, src.last_poll) {
            (_, _, None) => "–".to_string(),
            ("http", Some(c), _) => format!("HTTP {c}"),
            ("http", None, _) if src.consecutive_failures > 0 => "no response".into(),
            ("http", None, _) => "–".into(),
            (_, _, _) if src.consecutive_failures > 0 => "read failed".into(),
            _ => "read".into(),
        };
        let _ = write!(
            body,
            "<tr><td>{}</td><td>{}</td><td>{state}</td><td>{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"time\">{}</td><td class=\"time\">{}</td><td class=\"time\">{}</td><td>{}</td></tr>",
            esc(&src.id),
            esc(kind),
            esc(&result),
            src.new_items,
            src.consecutive_failures,
            fmt_time(src.last_poll, now),
            fmt_time(src.last_success, now),
            fmt_time(src.next_poll, now),
            esc(src.last_error.as_deref().unwrap_or(""))
        );
    }
    body.push_str("</tbody></table>");
    page("wirefeed – source health", &body)
}

fn html(body: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

pub(super) async fn index_page(
    State(state): State<Arc<ServeState>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    // The publisher's index.html names the site, its language, the feeds for discovery
    // and each feed's newest story; the built-in listing is for before the first publish.
    if fs::symlink_metadata(state.feeds_dir.join(INDEX_FILE)).is_ok_and(|m| m.file_type().is_file())
    {
        return serve_named(state, method, headers, INDEX_FILE.into(), FeedKind::Html).await;
    }
    let st = state.clone();
    let built = tokio::task::spawn_blocking(move || {
        let listings = st.index_snapshot();
        let feeds: Vec<_> = listings
            .into_iter()
            .map(|l| {
                let facts = gather_facts(&st.feeds_dir, &l, &st.metrics);
                (l, facts)
            })
            .collect();
        let opml = fs::symlink_metadata(st.feeds_dir.join("index.opml"))
            .is_ok_and(|m| m.file_type().is_file());
        render_index(&feeds, opml, Utc::now())
    })
    .await;
    match built {
        Ok(page) => html(page),
        Err(e) => {
            tracing::error!(error = %e, "index page task failed");
            plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot build index\n")
        }
    }
}

pub(super) async fn sources_page(State(state): State<Arc<ServeState>>) -> Response {
    if let Some(path) = state.status_path.clone() {
        let read = tokio::task::spawn_blocking(move || crate::status::read_snapshot(&path)).await;
        if let Ok(Ok(snapshot)) = read {
            return html(render_source_snapshot(&snapshot, Utc::now()));
        }
    }
    html(render_sources(
        &state.metrics.sources(),
        state.metrics.last_cycle_unix(),
        Utc::now(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_escapes_operator_text() {
        let l = FeedListing {
            id: "politik".into(),
            title: "Politik <live>".into(),
            description: "Bund & Länder".into(),
        };
        let f = FeedFacts {
            rss: true,
            items: Some(3),
            ..FeedFacts::default()
        };
        let html = render_index(&[(l, f)], false, Utc::now());
        assert!(html.contains("Politik &lt;live&gt;"));
        assert!(html.contains("Bund &amp; Länder"));
        assert!(html.contains("href=\"/politik.rss\""));
        assert!(!html.contains("/politik.atom"));
        assert!(html.contains("3 items"));
    }
}
