//! HTTP for feed readers and operators: the published feeds from `feeds_dir` with
//! validators and compression, a human index page, `/sources`, `/healthz` and `/metrics`.
//!
//! Feed files are looked up only by names that match `^[a-z0-9_-]+\.(rss|atom|json)$` or
//! `index.opml`, taken from the raw request path without percent-decoding, so no request
//! can name anything outside `feeds_dir`; symlinks inside it are refused as well. Files are
//! read fresh per request: the publisher replaces them by rename, so each read sees a
//! whole old or a whole new file.
//!
//! Compression is done here rather than by a tower layer so that each encoding gets its
//! own strong ETag (`"<hash>"`, `"<hash>-gzip"`, `"<hash>-br"`): a strong ETag names
//! exact bytes, and a gzip body is not the same bytes as the identity body.
//!
//! A browser opening a feed URL (its `Accept` prefers `text/html` and names no feed type)
//! gets the feed's HTML page `<id>.html` with `Vary: Accept`; feed readers, which name
//! feed types or `*/*`, get the feed. Without an HTML page (before the first publish), an
//! RSS or Atom file goes to browsers labelled `application/xml` (ETag suffix `-xml`).
//! `/` serves the publisher's `index.html` when it exists. `feed.xsl` is served like the
//! feeds (validators, compression) for older copies that still name it.

use crate::metrics::Metrics;
use crate::status::relative_time;
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use chrono::{DateTime, TimeZone, Utc};
use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs::{self, OpenOptions};
use std::future::Future;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The XSLT stylesheet that turns RSS and Atom outputs into a readable page in a browser.
/// Outputs refer to it with `<?xml-stylesheet type="text/xsl" href="/feed.xsl"?>`.
pub const FEED_XSL: &str = include_str!("../assets/feed.xsl");

/// One output feed as the index page lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedListing {
    /// The feed id, also the file stem (`politik` → `politik.rss`).
    pub id: String,
    pub title: String,
    pub description: String,
}

/// Everything the server needs; shared by all requests. The daemon keeps an `Arc` to it
/// and calls [`ServeState::set_index`] after a config reload.
#[derive(Debug)]
pub struct ServeState {
    /// Where the publisher writes `<id>.rss`, `<id>.atom`, `<id>.json` and `index.opml`.
    pub feeds_dir: PathBuf,
    pub metrics: Arc<Metrics>,
    /// `/healthz` answers 503 once the last finished cycle is older than this.
    pub health_max_age: Duration,
    /// `Cache-Control: public, max-age=N` on feed responses.
    pub cache_max_age: Duration,
    /// The output feeds listed on `/`, replaced on reload.
    pub index: RwLock<Vec<FeedListing>>,
    /// Compressed bodies by (file name, encoding), valid while the file's hash matches,
    /// so an unchanged feed is not recompressed for every reader.
    compressed: Mutex<HashMap<(String, Encoding), CachedBody>>,
    /// The status snapshot the daemon persists after each cycle (`wirefeed status` reads
    /// it too); `/sources` shows it when set.
    pub status_path: Option<PathBuf>,
}

#[derive(Debug)]
struct CachedBody {
    hash: blake3::Hash,
    bytes: axum::body::Bytes,
}

impl ServeState {
    /// A state with a 15-minute health limit and a 5-minute cache lifetime; adjust the
    /// public fields before wrapping it in an `Arc`.
    pub fn new(feeds_dir: PathBuf, metrics: Arc<Metrics>, index: Vec<FeedListing>) -> Self {
        Self {
            feeds_dir,
            metrics,
            health_max_age: Duration::from_secs(15 * 60),
            cache_max_age: Duration::from_secs(5 * 60),
            index: RwLock::new(index),
            compressed: Mutex::new(HashMap::new()),
            status_path: None,
        }
    }

    /// Replaces the feeds listed on the index page (after a config reload).
    pub fn set_index(&self, index: Vec<FeedListing>) {
        *self.index.write().unwrap_or_else(|p| p.into_inner()) = index;
    }

    fn index_snapshot(&self) -> Vec<FeedListing> {
        self.index.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// Serves until `shutdown` completes, then finishes in-flight requests and returns.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: Arc<ServeState>,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> io::Result<()> {
    axum::serve(listener, router(state))
        .with_graceful_shutdown(shutdown)
        .await
}

/// The routes, for callers that want to mount them elsewhere or test without a socket.
pub fn router(state: Arc<ServeState>) -> Router {
    Router::new()
        .route("/", get(index_page))
        .route("/sources", get(sources_page))
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics))
        .route("/feed.xsl", get(feed_xsl_file))
        .fallback(feed_file)
        .with_state(state)
}

/// The kind of file a request may name, with its media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    Rss,
    Atom,
    Json,
    Opml,
    /// A feed's HTML page (`<id>.html`) or `index.html`.
    Html,
    /// `feed.xsl`, for feed copies that still name it.
    Xsl,
}

impl FeedKind {
    /// The `Content-Type` the file is served with to feed readers.
    pub fn content_type(self) -> &'static str {
        match self {
            FeedKind::Rss => "application/rss+xml; charset=utf-8",
            FeedKind::Atom => "application/atom+xml; charset=utf-8",
            FeedKind::Json => "application/feed+json; charset=utf-8",
            FeedKind::Opml => "text/x-opml; charset=utf-8",
            FeedKind::Html => "text/html; charset=utf-8",
            FeedKind::Xsl => "text/xsl; charset=utf-8",
        }
    }
}

/// Decides whether a raw request path names a servable feed file: `/index.opml` or
/// `/<stem>.<rss|atom|json>` with a stem of lowercase ASCII letters, digits, `_` and `-`.
/// Anything else — `..`, slashes, percent escapes, upper case, NUL — is `None`.
pub fn feed_file_name(raw_path: &str) -> Option<(&str, FeedKind)> {
    let name = raw_path.strip_prefix('/')?;
    if name == "index.opml" {
        return Some((name, FeedKind::Opml));
    }
    if name == "feed.xsl" {
        return Some((name, FeedKind::Xsl));
    }
    let (stem, ext) = name.rsplit_once('.')?;
    let kind = match ext {
        "rss" => FeedKind::Rss,
        "atom" => FeedKind::Atom,
        "json" => FeedKind::Json,
        "html" => FeedKind::Html,
        _ => return None,
    };
    let stem_ok = !stem.is_empty()
        && stem
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-');
    stem_ok.then_some((name, kind))
}

/// Whether an `Accept` header comes from a browser navigating to the page rather than
/// from a feed reader: it names `text/html` (with q > 0) and none of the feed types.
pub fn wants_browser_view(accept: Option<&str>) -> bool {
    let Some(accept) = accept else {
        return false;
    };
    let mut html = false;
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let media = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let q_zero = pieces.any(|p| {
            p.split_once('=').is_some_and(|(k, v)| {
                k.trim().eq_ignore_ascii_case("q") && v.trim().parse::<f32>().unwrap_or(1.0) <= 0.0
            })
        });
        match media.as_str() {
            "text/html" if !q_zero => html = true,
            "application/rss+xml" | "application/atom+xml" | "application/feed+json" if !q_zero => {
                return false
            }
            _ => {}
        }
    }
    html
}

/// Reads a regular file directly inside `dir` without following symlinks. `Ok(None)`
/// when there is no such regular file (missing, a symlink, a directory, a FIFO).
fn read_plain_file(dir: &Path, name: &str) -> io::Result<Option<(Vec<u8>, SystemTime)>> {
    let path = dir.join(name);
    match fs::symlink_metadata(&path) {
        Ok(m) if m.file_type().is_file() => {}
        Ok(_) => return Ok(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    }
    // The check above and the open are two steps; O_NOFOLLOW closes the gap if the name
    // is swapped for a symlink in between, O_NONBLOCK keeps a swapped-in FIFO from
    // blocking the open, and the fstat below rejects anything but a regular file.
    let file = match OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(&path)
    {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Ok(None),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Ok(None);
    }
    let mut bytes = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    (&file).read_to_end(&mut bytes)?;
    Ok(Some((bytes, meta.modified().unwrap_or(UNIX_EPOCH))))
}

/// A content coding this server can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Encoding {
    Identity,
    Gzip,
    Brotli,
}

impl Encoding {
    fn token(self) -> Option<&'static str> {
        match self {
            Encoding::Identity => None,
            Encoding::Gzip => Some("gzip"),
            Encoding::Brotli => Some("br"),
        }
    }
}

/// Picks the coding for an `Accept-Encoding` header: the acceptable one with the highest
/// q-value, brotli before gzip on a tie, identity when neither is acceptable.
pub fn negotiate_encoding(accept: Option<&str>) -> Encoding {
    let Some(accept) = accept else {
        return Encoding::Identity;
    };
    let (mut br, mut gzip, mut star) = (None::<f32>, None::<f32>, None::<f32>);
    for part in accept.split(',') {
        let mut pieces = part.split(';');
        let coding = pieces.next().unwrap_or("").trim().to_ascii_lowercase();
        let mut q = 1.0f32;
        for param in pieces {
            if let Some((k, v)) = param.split_once('=') {
                if k.trim().eq_ignore_ascii_case("q") {
                    q = v.trim().parse().unwrap_or(0.0);
                }
            }
        }
        match coding.as_str() {
            "br" => br = Some(q),
            "gzip" | "x-gzip" => gzip = Some(q),
            "*" => star = Some(q),
            _ => {}
        }
    }
    let br = br.or(star).unwrap_or(0.0);
    let gzip = gzip.or(star).unwrap_or(0.0);
    if br > 0.0 && br >= gzip {
        Encoding::Brotli
    } else if gzip > 0.0 {
        Encoding::Gzip
    } else {
        Encoding::Identity
    }
}

/// The strong ETag of one representation: the content hash, plus `-xml` for the
/// browser label and the coding.
fn etag_for(hash: &blake3::Hash, enc: Encoding, browser: bool) -> String {
    let hex = hash.to_hex();
    let mut tag = format!("\"{}", &hex.as_str()[..32]);
    if browser {
        tag.push_str("-xml");
    }
    if let Some(t) = enc.token() {
        tag.push('-');
        tag.push_str(t);
    }
    tag.push('"');
    tag
}

/// Whether an `If-None-Match` header matches `etag`, with the weak comparison RFC 9110
/// prescribes for it (a `W/` prefix on either side is ignored). `*` matches any existing
/// representation. A malformed list matches nothing, so the client gets the full body.
pub fn if_none_match_matches(header_value: &str, etag: &str) -> bool {
    if header_value.trim() == "*" {
        return true;
    }
    let ours = etag.strip_prefix("W/").unwrap_or(etag);
    let mut rest = header_value;
    loop {
        rest = rest.trim_start_matches(|c: char| c == ',' || c.is_ascii_whitespace());
        if rest.is_empty() {
            return false;
        }
        let tag_start = rest.strip_prefix("W/").unwrap_or(rest);
        let Some(after_quote) = tag_start.strip_prefix('"') else {
            return false;
        };
        let Some(end) = after_quote.find('"') else {
            return false;
        };
        let candidate = &tag_start[..end + 2];
        if candidate == ours {
            return true;
        }
        rest = &after_quote[end + 1..];
    }
}

fn compress(data: &[u8], enc: Encoding) -> io::Result<Vec<u8>> {
    match enc {
        Encoding::Identity => Ok(data.to_vec()),
        Encoding::Gzip => {
            let mut e = flate2::write::GzEncoder::new(
                Vec::with_capacity(data.len() / 4),
                flate2::Compression::default(),
            );
            e.write_all(data)?;
            e.finish()
        }
        Encoding::Brotli => {
            // Quality 5 compresses feeds about as well as gzip -9 at a fraction of the
            // time of brotli's default 11.
            let mut w =
                brotli::CompressorWriter::new(Vec::with_capacity(data.len() / 4), 4096, 5, 22);
            w.write_all(data)?;
            w.flush()?;
            Ok(w.into_inner())
        }
    }
}

fn plain(status: StatusCode, msg: &'static str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        msg,
    )
        .into_response()
}

fn header_str(headers: &HeaderMap, name: header::HeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn feed_file(
    State(state): State<Arc<ServeState>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
) -> Response {
    let Some((name, kind)) = feed_file_name(uri.path()) else {
        return plain(StatusCode::NOT_FOUND, "not found\n");
    };
    // A browser navigating to a feed gets the feed's HTML page when there is one:
    // browsers are dropping XSLT, and Chromium warns about it over every XSLT page.
    if matches!(kind, FeedKind::Rss | FeedKind::Atom | FeedKind::Json)
        && wants_browser_view(header_str(&headers, header::ACCEPT))
    {
        if let Some((stem, _)) = name.rsplit_once('.') {
            let page = format!("{stem}.html");
            if fs::symlink_metadata(state.feeds_dir.join(&page))
                .is_ok_and(|m| m.file_type().is_file())
            {
                let mut r = serve_named(state, method, headers, page, FeedKind::Html).await;
                r.headers_mut().insert(
                    header::VARY,
                    HeaderValue::from_static("Accept-Encoding, Accept"),
                );
                return r;
            }
        }
    }
    let name = name.to_string();
    serve_named(state, method, headers, name, kind).await
}

/// Serves the file `name` of feeds_dir (already checked to be a safe name) as `kind`.
async fn serve_named(
    state: Arc<ServeState>,
    method: Method,
    headers: HeaderMap,
    name: String,
    kind: FeedKind,
) -> Response {
    if method != Method::GET && method != Method::HEAD {
        let mut r = plain(StatusCode::METHOD_NOT_ALLOWED, "method not allowed\n");
        r.headers_mut()
            .insert(header::ALLOW, HeaderValue::from_static("GET, HEAD"));
        return r;
    }
    let dir = state.feeds_dir.clone();
    let name_for_log = name.clone();
    let read =
        tokio::task::spawn_blocking(move || read_plain_file(&dir, &name).map(|r| (name, r))).await;
    let (name, (bytes, mtime)) = match read {
        Ok(Ok((name, Some(found)))) => (name, found),
        Ok(Ok((_, None))) => return plain(StatusCode::NOT_FOUND, "not found\n"),
        Ok(Err(e)) => {
            tracing::error!(dir = %state.feeds_dir.display(), file = %name_for_log, error = %e, "cannot read feed file");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot read feed\n");
        }
        Err(e) => {
            tracing::error!(error = %e, "feed read task failed");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot read feed\n");
        }
    };

    let hash = blake3::hash(&bytes);
    let enc = negotiate_encoding(header_str(&headers, header::ACCEPT_ENCODING));
    let browser = matches!(kind, FeedKind::Rss | FeedKind::Atom)
        && wants_browser_view(header_str(&headers, header::ACCEPT));
    let etag = etag_for(&hash, enc, browser);
    let last_modified = httpdate::fmt_http_date(mtime);
    let cache_control = format!("public, max-age={}", state.cache_max_age.as_secs());

    let mut common = HeaderMap::new();
    let mut put = |k: header::HeaderName, v: &str| {
        if let Ok(v) = HeaderValue::from_str(v) {
            common.insert(k, v);
        }
    };
    put(header::ETAG, &etag);
    put(header::LAST_MODIFIED, &last_modified);
    put(header::CACHE_CONTROL, &cache_control);
    put(header::VARY, "Accept-Encoding, Accept");
    put(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*");

    // RFC 9110 §13.2.2: If-None-Match decides when present; If-Modified-Since only
    // when it is absent.
    let not_modified = match header_str(&headers, header::IF_NONE_MATCH) {
        Some(inm) => if_none_match_matches(inm, &etag),
        None => header_str(&headers, header::IF_MODIFIED_SINCE)
            .and_then(|v| httpdate::parse_http_date(v).ok())
            .is_some_and(|since| unix_secs(mtime) <= unix_secs(since)),
    };
    if not_modified {
        let mut r = Response::new(Body::empty());
        *r.status_mut() = StatusCode::NOT_MODIFIED;
        *r.headers_mut() = common;
        return r;
    }

    let body = match encoded_body(&state, &name, &bytes, hash, enc).await {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(file = %name, error = %e, "cannot compress feed");
            return plain(StatusCode::INTERNAL_SERVER_ERROR, "cannot compress feed\n");
        }
    };
    common.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(if browser {
            "application/xml; charset=utf-8"
        } else {
            kind.content_type()
        }),
    );
    if let Some(t) = enc.token() {
        common.insert(header::CONTENT_ENCODING, HeaderValue::from_static(t));
    }
    common.insert(header::CONTENT_LENGTH, HeaderValue::from(body.len()));
    common.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    let body = if method == Method::HEAD {
        Body::empty()
    } else {
        Body::from(body)
    };
    let mut r = Response::new(body);
    *r.headers_mut() = common;
    r
}

async fn encoded_body(
    state: &ServeState,
    name: &str,
    bytes: &[u8],
    hash: blake3::Hash,
    enc: Encoding,
) -> io::Result<axum::body::Bytes> {
    if enc == Encoding::Identity {
        return Ok(axum::body::Bytes::copy_from_slice(bytes));
    }
    let key = (name.to_string(), enc);
    {
        let cache = state.compressed.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = cache.get(&key) {
            if c.hash == hash {
                return Ok(c.bytes.clone());
            }
        }
    }
    let data = bytes.to_vec();
    let out = tokio::task::spawn_blocking(move || compress(&data, enc))
        .await
        .map_err(io::Error::other)??;
    let out = axum::body::Bytes::from(out);
    state
        .compressed
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .insert(
            key,
            CachedBody {
                hash,
                bytes: out.clone(),
            },
        );
    Ok(out)
}

fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

fn now_unix() -> i64 {
    unix_secs(SystemTime::now())
}

/// `/feed.xsl` as the publisher wrote it into feeds_dir (validators, compression), else
/// the built-in copy.
async fn feed_xsl_file(
    State(state): State<Arc<ServeState>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    let exists = fs::symlink_metadata(state.feeds_dir.join("feed.xsl"))
        .is_ok_and(|m| m.file_type().is_file());
    if exists {
        return serve_named(state, method, headers, "feed.xsl".into(), FeedKind::Xsl).await;
    }
    feed_xsl().await
}

async fn feed_xsl() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/xsl; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        FEED_XSL,
    )
        .into_response()
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

/// The `/healthz` answer for a last cycle at `last_cycle` (unix seconds) seen at `now`:
/// the status code and the JSON body.
pub fn health(last_cycle: Option<i64>, now: i64, max_age: Duration) -> (StatusCode, String) {
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
    let (code, body) = health(
        state.metrics.last_cycle_unix(),
        now_unix(),
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

/// Counts `<item>`/`<entry>` elements by their start tags: enough for a page that shows
/// how full a feed is, without parsing the XML.
pub fn count_items(xml: &[u8]) -> u64 {
    fn count(hay: &[u8], tag: &[u8]) -> u64 {
        hay.windows(tag.len() + 1)
            .filter(|w| {
                w.starts_with(tag) && matches!(w[tag.len()], b'>' | b' ' | b'\t' | b'\n' | b'\r')
            })
            .count() as u64
    }
    count(xml, b"<item") + count(xml, b"<entry") + count(xml, b"<atom:entry")
}

fn gather_facts(dir: &Path, listing: &FeedListing, metrics: &Metrics) -> FeedFacts {
    let exists = |ext: &str| {
        fs::symlink_metadata(dir.join(format!("{}.{ext}", listing.id)))
            .ok()
            .filter(|m| m.file_type().is_file())
    };
    let (rss, atom, json) = (exists("rss"), exists("atom"), exists("json"));
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
        Some("rss")
    } else if facts.atom {
        Some("atom")
    } else {
        None
    };
    if let Some(ext) = xml {
        if let Ok(Some((bytes, _))) = read_plain_file(dir, &format!("{}.{ext}", listing.id)) {
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

async fn index_page(
    State(state): State<Arc<ServeState>>,
    method: Method,
    headers: HeaderMap,
) -> Response {
    // The publisher's index.html names the site, its language, the feeds for discovery
    // and each feed's newest story; the built-in listing is for before the first publish.
    if fs::symlink_metadata(state.feeds_dir.join("index.html"))
        .is_ok_and(|m| m.file_type().is_file())
    {
        return serve_named(state, method, headers, "index.html".into(), FeedKind::Html).await;
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

async fn sources_page(State(state): State<Arc<ServeState>>) -> Response {
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
    fn only_plain_feed_names_are_accepted() {
        assert_eq!(
            feed_file_name("/politik.rss"),
            Some(("politik.rss", FeedKind::Rss))
        );
        assert_eq!(
            feed_file_name("/eil_meldungen-2.atom"),
            Some(("eil_meldungen-2.atom", FeedKind::Atom))
        );
        assert_eq!(feed_file_name("/a.json"), Some(("a.json", FeedKind::Json)));
        assert_eq!(
            feed_file_name("/index.opml"),
            Some(("index.opml", FeedKind::Opml))
        );
        for bad in [
            "/",
            "/.rss",
            "/x.opml",
            "/X.rss",
            "/x.RSS",
            "/a/b.rss",
            "/..rss",
            "/../a.rss",
            "/%2e%2e.rss",
            "/a.rss/",
            "/a.rss%00",
            "a.rss",
            "/a b.rss",
            "/a\\b.rss",
            "/a.b.rss",
            "/index.opml/..",
            "//a.rss",
        ] {
            assert_eq!(feed_file_name(bad), None, "{bad}");
        }
    }

    #[test]
    fn encoding_negotiation_honours_q_values() {
        assert_eq!(negotiate_encoding(None), Encoding::Identity);
        assert_eq!(negotiate_encoding(Some("gzip")), Encoding::Gzip);
        assert_eq!(
            negotiate_encoding(Some("gzip, deflate, br")),
            Encoding::Brotli
        );
        assert_eq!(negotiate_encoding(Some("br;q=0.5, gzip")), Encoding::Gzip);
        assert_eq!(
            negotiate_encoding(Some("br;q=0, gzip;q=0")),
            Encoding::Identity
        );
        assert_eq!(negotiate_encoding(Some("*")), Encoding::Brotli);
        assert_eq!(negotiate_encoding(Some("*;q=0.2, br;q=0")), Encoding::Gzip);
        assert_eq!(negotiate_encoding(Some("identity")), Encoding::Identity);
    }

    #[test]
    fn browsers_are_told_apart_from_feed_readers() {
        let chrome =
            "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
        assert!(wants_browser_view(Some(chrome)));
        assert!(wants_browser_view(Some("text/html")));
        assert!(!wants_browser_view(None));
        assert!(!wants_browser_view(Some("*/*")));
        assert!(!wants_browser_view(Some(
            "application/rss+xml, application/atom+xml;q=0.9, text/html;q=0.1"
        )));
        assert!(!wants_browser_view(Some("text/html;q=0, */*")));
        assert!(!wants_browser_view(Some("application/xml, text/xml")));
    }

    #[test]
    fn if_none_match_uses_weak_comparison_over_a_list() {
        let tag = "\"abc-gzip\"";
        assert!(if_none_match_matches("\"abc-gzip\"", tag));
        assert!(if_none_match_matches("W/\"abc-gzip\"", tag));
        assert!(if_none_match_matches("\"x\", W/\"abc-gzip\" , \"y\"", tag));
        assert!(if_none_match_matches(" * ", tag));
        assert!(!if_none_match_matches("\"abc\"", tag));
        assert!(!if_none_match_matches("abc-gzip", tag));
        assert!(!if_none_match_matches("\"abc-gzip", tag));
        assert!(!if_none_match_matches("", tag));
        // A comma inside a quoted tag is part of the tag.
        assert!(if_none_match_matches("\"a,b\"", "\"a,b\""));
    }

    #[test]
    fn health_reports_starting_ok_and_stale() {
        let max = Duration::from_secs(600);
        let (c, b) = health(None, 1_000, max);
        assert_eq!(c, StatusCode::SERVICE_UNAVAILABLE);
        assert!(b.contains("\"starting\""));
        let (c, b) = health(Some(1_800_000_000), 1_800_000_060, max);
        assert_eq!(c, StatusCode::OK);
        assert!(b.contains("\"age_seconds\":60"), "{b}");
        assert!(b.contains("2027-01-15T08:00:00Z"), "{b}");
        let (c, b) = health(Some(1_800_000_000), 1_800_000_601, max);
        assert_eq!(c, StatusCode::SERVICE_UNAVAILABLE);
        assert!(b.contains("\"stale\""));
    }

    #[test]
    fn item_counting_sees_rss_and_atom_entries_only() {
        let rss = b"<rss><channel><title>T</title><item><title>a</title></item>\n<item >x</item><items/></channel></rss>";
        assert_eq!(count_items(rss), 2);
        let atom = b"<feed xmlns=\"http://www.w3.org/2005/Atom\"><entry>a</entry><entry\n>b</entry></feed>";
        assert_eq!(count_items(atom), 2);
    }

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
