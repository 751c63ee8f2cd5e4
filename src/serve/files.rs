//! The file server: the published feeds from `feeds_dir` with validators and compression.
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
use crate::publish::{OutputFormat, FEED_XSL, OPML_FILE};
use axum::body::Body;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use std::collections::HashMap;
use std::fs::{self, OpenOptions};
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

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

    pub(super) fn index_snapshot(&self) -> Vec<FeedListing> {
        self.index.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// The kind of file a request may name, with its media type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedKind {
    Feed(OutputFormat),
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
            FeedKind::Feed(format) => format.content_type(),
            FeedKind::Opml => "text/x-opml; charset=utf-8",
            FeedKind::Html => "text/html; charset=utf-8",
            FeedKind::Xsl => "text/xsl; charset=utf-8",
        }
    }
}

/// Decides whether a raw request path names a servable feed file: `/index.opml`,
/// `/feed.xsl` or `/<stem>.<rss|atom|json|html>` with a stem of lowercase ASCII letters, digits, `_` and `-`.
/// Anything else — `..`, slashes, percent escapes, upper case, NUL — is `None`.
pub fn feed_file_name(raw_path: &str) -> Option<(&str, FeedKind)> {
    let name = raw_path.strip_prefix('/')?;
    if name == OPML_FILE {
        return Some((name, FeedKind::Opml));
    }
    if name == "feed.xsl" {
        return Some((name, FeedKind::Xsl));
    }
    let (stem, ext) = name.rsplit_once('.')?;
    let kind = match OutputFormat::from_ext(ext)? {
        OutputFormat::Html => FeedKind::Html,
        format => FeedKind::Feed(format),
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
pub(super) fn read_plain_file(dir: &Path, name: &str) -> io::Result<Option<(Vec<u8>, SystemTime)>> {
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

pub(super) fn plain(status: StatusCode, msg: &'static str) -> Response {
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

pub(super) async fn feed_file(
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
    if matches!(kind, FeedKind::Feed(_)) && wants_browser_view(header_str(&headers, header::ACCEPT))
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
pub(super) async fn serve_named(
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
    let browser = matches!(kind, FeedKind::Feed(OutputFormat::Rss | OutputFormat::Atom))
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

pub(super) fn unix_secs(t: SystemTime) -> i64 {
    match t.duration_since(UNIX_EPOCH) {
        Ok(d) => i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
        Err(e) => -i64::try_from(e.duration().as_secs()).unwrap_or(i64::MAX),
    }
}

pub(super) fn now_unix() -> i64 {
    unix_secs(SystemTime::now())
}

/// `/feed.xsl` as the publisher wrote it into feeds_dir (validators, compression), else
/// the built-in copy.
pub(super) async fn feed_xsl_file(
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_plain_feed_names_are_accepted() {
        assert_eq!(
            feed_file_name("/politik.rss"),
            Some(("politik.rss", FeedKind::Feed(OutputFormat::Rss)))
        );
        assert_eq!(
            feed_file_name("/eil_meldungen-2.atom"),
            Some(("eil_meldungen-2.atom", FeedKind::Feed(OutputFormat::Atom)))
        );
        assert_eq!(
            feed_file_name("/a.json"),
            Some(("a.json", FeedKind::Feed(OutputFormat::Json)))
        );
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
}
