//! Integration tests for the serving and operations pieces: the HTTP server on a real
//! loopback socket (feeds, validators, compression, path safety, health, metrics, index),
//! WebSub pings against a loopback hub, and the status snapshot file.
//!
//! Fixtures are written inline into temporary directories; the texts are invented.

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use chrono::{Duration as ChronoDuration, TimeZone, Utc};
use reqwest::header;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::oneshot;
use wirefeed::metrics::Metrics;
use wirefeed::model::SourceId;
use wirefeed::serve::{serve, FeedListing, ServeState};
use wirefeed::status::{
    read_snapshot, render_table, write_snapshot, FeedStatus, SourceStatus, StatusError,
    StatusSnapshot,
};
use wirefeed::websub::{notify_hubs, notify_hubs_with, publish_body, RetryPolicy};

const SECRET: &str = "TOPSECRET-do-not-serve";

const RSS: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<?xml-stylesheet type="text/xsl" href="/feed.xsl"?>
<rss version="2.0"><channel><title>Politik</title><link>https://zeitung.example/politik</link>
<description>Meldungen aus Bund und Ländern</description>
<item><title>Landtag beschließt Doppelhaushalt nach langer Debatte</title><link>https://zeitung.example/a1</link>
<pubDate>Fri, 27 Nov 2026 06:40:00 GMT</pubDate><description>&lt;p&gt;Der Landtag in Neustadt hat am Freitag den Haushalt verabschiedet.&lt;/p&gt;</description></item>
<item><title>Bahnstreik im Norden beendet</title><link>https://zeitung.example/a2</link>
<pubDate>Fri, 27 Nov 2026 05:10:00 GMT</pubDate><description>Die Züge rollen wieder, teilte die Gewerkschaft mit.</description></item>
<item><title>Bürgermeisterwahl in Kleinstadt: Stichwahl nötig</title><link>https://zeitung.example/a3</link>
<pubDate>Thu, 26 Nov 2026 19:00:00 GMT</pubDate><description>Keiner der vier Kandidaten erreichte die absolute Mehrheit.</description></item>
</channel></rss>
"#;

const ATOM: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<?xml-stylesheet type="text/xsl" href="/feed.xsl"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Politik</title><subtitle>Meldungen aus Bund und Ländern</subtitle>
<id>urn:wirefeed:politik</id><updated>2026-11-27T06:40:00Z</updated>
<entry><title>Landtag beschließt Doppelhaushalt nach langer Debatte</title><id>urn:x:1</id>
<link href="https://zeitung.example/a1"/><updated>2026-11-27T06:40:00Z</updated>
<summary type="html">&lt;p&gt;Der Landtag in Neustadt hat am Freitag den Haushalt verabschiedet.&lt;/p&gt;</summary></entry>
</feed>
"#;

const JSON: &str = r#"{"version":"https://jsonfeed.org/version/1.1","title":"Politik","items":[{"id":"1","title":"Landtag beschließt Doppelhaushalt"}]}"#;

const OPML: &str = r#"<?xml version="1.0" encoding="utf-8"?>
<opml version="2.0"><head><title>wirefeed</title></head><body><outline text="Politik" type="rss" xmlUrl="/politik.rss"/></body></opml>
"#;

struct Server {
    addr: SocketAddr,
    state: Arc<ServeState>,
    metrics: Arc<Metrics>,
    _root: tempfile::TempDir,
    feeds: PathBuf,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<std::io::Result<()>>>,
}

impl Server {
    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(task) = self.task.take() {
            let res = tokio::time::timeout(Duration::from_secs(5), task)
                .await
                .expect("server stops after shutdown signal")
                .expect("server task did not panic");
            res.expect("serve returned Ok");
        }
    }
}

/// A feeds dir inside a root that also holds secret files, so any escape from the feeds
/// dir would show up as the secret in a response body.
async fn start() -> Server {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("secret.rss"), SECRET).unwrap();
    std::fs::write(root.path().join("Cargo.toml"), SECRET).unwrap();
    let feeds = root.path().join("feeds");
    std::fs::create_dir(&feeds).unwrap();
    std::fs::write(feeds.join("politik.rss"), RSS).unwrap();
    std::fs::write(feeds.join("politik.atom"), ATOM).unwrap();
    std::fs::write(feeds.join("politik.json"), JSON).unwrap();
    std::fs::write(feeds.join("index.opml"), OPML).unwrap();
    std::fs::write(feeds.join("Secret.RSS"), SECRET).unwrap();
    std::fs::write(feeds.join(".politik.rss.tmp"), SECRET).unwrap();
    std::os::unix::fs::symlink(root.path().join("secret.rss"), feeds.join("foo.rss")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", feeds.join("passwd.rss")).unwrap();
    std::fs::create_dir(feeds.join("dir.rss")).unwrap();

    let metrics = Arc::new(Metrics::new());
    let mut state = ServeState::new(
        feeds.clone(),
        metrics.clone(),
        vec![FeedListing {
            id: "politik".into(),
            title: "Politik aus Bund und Ländern".into(),
            description: "Alle Meldungen der Landespolitik & Bundespolitik".into(),
        }],
    );
    state.cache_max_age = Duration::from_secs(300);
    state.health_max_age = Duration::from_secs(600);
    // Absent until a test writes it: /sources then falls back to the in-memory metrics.
    state.status_path = Some(root.path().join("store.status.json"));
    let state = Arc::new(state);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let task = tokio::spawn(serve(listener, state.clone(), async move {
        let _ = rx.await;
    }));
    Server {
        addr,
        state,
        metrics,
        _root: root,
        feeds,
        stop: Some(tx),
        task: Some(task),
    }
}

/// A client that does not decode bodies, so compression is seen as sent.
fn raw_client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_gzip()
        .no_brotli()
        .build()
        .unwrap()
}

fn hdr(r: &reqwest::Response, name: header::HeaderName) -> &str {
    r.headers()
        .get(&name)
        .unwrap_or_else(|| panic!("missing header {name}"))
        .to_str()
        .unwrap()
}

/// Sends a request line byte for byte, bypassing client-side URL normalisation (which
/// would resolve `..` before it ever reached the server).
async fn raw_get(addr: SocketAddr, target: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(addr).await.unwrap();
    let req = format!("GET {target} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    s.write_all(req.as_bytes()).await.unwrap();
    let mut buf = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut buf))
        .await
        .expect("server answers")
        .unwrap();
    let text = String::from_utf8_lossy(&buf).into_owned();
    let code = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    (code, text)
}

#[tokio::test]
async fn each_kind_has_its_content_type_and_cache_headers() {
    let srv = start().await;
    let c = raw_client();
    for (path, ct, body) in [
        ("/politik.rss", "application/rss+xml; charset=utf-8", RSS),
        ("/politik.atom", "application/atom+xml; charset=utf-8", ATOM),
        (
            "/politik.json",
            "application/feed+json; charset=utf-8",
            JSON,
        ),
        ("/index.opml", "text/x-opml; charset=utf-8", OPML),
    ] {
        let r = c.get(srv.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(hdr(&r, header::CONTENT_TYPE), ct, "{path}");
        assert_eq!(hdr(&r, header::CACHE_CONTROL), "public, max-age=300");
        assert!(hdr(&r, header::VARY).contains("Accept-Encoding"));
        assert!(r.headers().get(header::CONTENT_ENCODING).is_none());
        assert_eq!(r.text().await.unwrap(), body, "{path}");
    }
    let r = c.get(srv.url("/feed.xsl")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(hdr(&r, header::CONTENT_TYPE), "text/xsl; charset=utf-8");
    assert!(r.text().await.unwrap().contains("xsl:stylesheet"));

    let r = c.get(srv.url("/wirtschaft.rss")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND, "valid name, no file");
    let r = c.post(srv.url("/politik.rss")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    srv.stop().await;
}

#[tokio::test]
async fn etag_revalidates_with_if_none_match() {
    let srv = start().await;
    let c = raw_client();
    let r = c.get(srv.url("/politik.rss")).send().await.unwrap();
    let etag = hdr(&r, header::ETAG).to_string();
    assert!(
        etag.starts_with('"') && etag.ends_with('"'),
        "strong ETag: {etag}"
    );

    for inm in [
        etag.clone(),
        format!("W/{etag}"),
        format!("\"nope\", {etag}"),
        "*".to_string(),
    ] {
        let r = c
            .get(srv.url("/politik.rss"))
            .header(header::IF_NONE_MATCH, &inm)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::NOT_MODIFIED, "If-None-Match: {inm}");
        assert_eq!(hdr(&r, header::ETAG), etag);
        assert!(r.headers().get(header::CACHE_CONTROL).is_some());
        assert!(r.bytes().await.unwrap().is_empty());
    }
    let r = c
        .get(srv.url("/politik.rss"))
        .header(header::IF_NONE_MATCH, "\"something-else\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    // The publisher replaces the file by rename: the old ETag no longer matches and the
    // new content is served at once.
    let new = RSS.replace(
        "Bahnstreik im Norden beendet",
        "Bahnstreik im Norden geht weiter",
    );
    let tmp = srv.feeds.join(".politik.rss.new");
    std::fs::write(&tmp, &new).unwrap();
    std::fs::rename(&tmp, srv.feeds.join("politik.rss")).unwrap();
    let r = c
        .get(srv.url("/politik.rss"))
        .header(header::IF_NONE_MATCH, &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_ne!(hdr(&r, header::ETAG), etag);
    assert!(r.text().await.unwrap().contains("geht weiter"));
    srv.stop().await;
}

#[tokio::test]
async fn last_modified_revalidates_with_if_modified_since() {
    let srv = start().await;
    let path = srv.feeds.join("politik.atom");
    // A fixed mtime in the past, so "an hour earlier" and "later" are unambiguous.
    let mtime = UNIX_EPOCH + Duration::from_secs(1_795_000_000);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    let c = raw_client();
    let r = c.get(srv.url("/politik.atom")).send().await.unwrap();
    let lm = hdr(&r, header::LAST_MODIFIED).to_string();
    assert_eq!(httpdate::parse_http_date(&lm).unwrap(), mtime);

    let ims = |t: SystemTime| httpdate::fmt_http_date(t);
    let get = |v: String| {
        c.get(srv.url("/politik.atom"))
            .header(header::IF_MODIFIED_SINCE, v)
            .send()
    };
    assert_eq!(
        get(lm.clone()).await.unwrap().status(),
        StatusCode::NOT_MODIFIED
    );
    assert_eq!(
        get(ims(mtime + Duration::from_secs(60)))
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_MODIFIED
    );
    let r = get(ims(mtime - Duration::from_secs(3600))).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.text().await.unwrap(), ATOM);
    assert_eq!(
        get("not a date".into()).await.unwrap().status(),
        StatusCode::OK
    );

    // If-None-Match wins over If-Modified-Since when both are sent.
    let r = c
        .get(srv.url("/politik.atom"))
        .header(header::IF_MODIFIED_SINCE, &lm)
        .header(header::IF_NONE_MATCH, "\"stale-tag\"")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    srv.stop().await;
}

#[tokio::test]
async fn gzip_and_brotli_have_their_own_etags() {
    let srv = start().await;
    let c = raw_client();
    let plain = c.get(srv.url("/politik.rss")).send().await.unwrap();
    let plain_etag = hdr(&plain, header::ETAG).to_string();

    let r = c
        .get(srv.url("/politik.rss"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(hdr(&r, header::CONTENT_ENCODING), "gzip");
    assert_eq!(
        hdr(&r, header::CONTENT_TYPE),
        "application/rss+xml; charset=utf-8"
    );
    let gz_etag = hdr(&r, header::ETAG).to_string();
    assert_ne!(
        gz_etag, plain_etag,
        "a gzip body is other bytes than the identity body"
    );
    let len: usize = hdr(&r, header::CONTENT_LENGTH).parse().unwrap();
    let body = r.bytes().await.unwrap();
    assert_eq!(body.len(), len);
    assert!(body.len() < RSS.len());
    let mut decoded = String::new();
    flate2::read::GzDecoder::new(&body[..])
        .read_to_string(&mut decoded)
        .unwrap();
    assert_eq!(decoded, RSS);

    // The gzip ETag revalidates a gzip request; the identity one does not stand in for it.
    let r = c
        .get(srv.url("/politik.rss"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .header(header::IF_NONE_MATCH, &gz_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::NOT_MODIFIED);
    let r = c
        .get(srv.url("/politik.rss"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .header(header::IF_NONE_MATCH, &plain_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let r = c
        .get(srv.url("/politik.rss"))
        .header(header::ACCEPT_ENCODING, "gzip, deflate, br")
        .send()
        .await
        .unwrap();
    assert_eq!(hdr(&r, header::CONTENT_ENCODING), "br");
    let br_etag = hdr(&r, header::ETAG).to_string();
    assert!(br_etag != gz_etag && br_etag != plain_etag);
    let body = r.bytes().await.unwrap();
    let mut decoded = String::new();
    brotli::Decompressor::new(&body[..], 4096)
        .read_to_string(&mut decoded)
        .unwrap();
    assert_eq!(decoded, RSS);

    // A second compressed request (served from the cache) gives the same bytes.
    let again = c
        .get(srv.url("/politik.rss"))
        .header(header::ACCEPT_ENCODING, "br")
        .send()
        .await
        .unwrap();
    assert_eq!(hdr(&again, header::ETAG), br_etag);
    assert_eq!(again.bytes().await.unwrap(), body);

    // An ordinary decoding client gets the plain feed.
    let auto = reqwest::Client::new();
    let text = auto
        .get(srv.url("/politik.rss"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(text, RSS);
    srv.stop().await;
}

/// Browsers get the feed's HTML page (no XSLT, so no Chromium deprecation banner), readers
/// the feed, with `Vary: Accept`; `/` is the publisher's index.html; feed.xsl has
/// validators and compression like every other file.
#[tokio::test]
async fn browsers_get_the_html_page_of_a_feed_and_readers_the_feed() {
    let srv = start().await;
    let page = "<!DOCTYPE html>\n<html lang=\"de\"><title>Politik</title><p>Seite</p></html>\n";
    let index = "<!DOCTYPE html>\n<html lang=\"de\"><title>Beispiel-Kurier</title></html>\n";
    std::fs::write(srv.feeds.join("politik.html"), page).unwrap();
    std::fs::write(srv.feeds.join("index.html"), index).unwrap();
    std::fs::write(
        srv.feeds.join("feed.xsl"),
        "<xsl:stylesheet/>\n".repeat(200),
    )
    .unwrap();
    let c = raw_client();
    let chrome =
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
    for path in [
        "/politik.rss",
        "/politik.atom",
        "/politik.json",
        "/politik.html",
    ] {
        let r = c
            .get(srv.url(path))
            .header(header::ACCEPT, chrome)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(
            hdr(&r, header::CONTENT_TYPE),
            "text/html; charset=utf-8",
            "{path}"
        );
        assert!(hdr(&r, header::VARY).contains("Accept"), "{path}");
        let etag = hdr(&r, header::ETAG).to_string();
        assert_eq!(r.text().await.unwrap(), page, "{path}");
        let again = c
            .get(srv.url(path))
            .header(header::ACCEPT, chrome)
            .header(header::IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED, "{path}");
    }
    let r = c
        .get(srv.url("/politik.rss"))
        .header(header::ACCEPT, "application/rss+xml, text/html;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(
        hdr(&r, header::CONTENT_TYPE),
        "application/rss+xml; charset=utf-8"
    );
    assert!(hdr(&r, header::VARY).contains("Accept"));
    assert_eq!(r.text().await.unwrap(), RSS);

    let r = c.get(srv.url("/")).send().await.unwrap();
    assert_eq!(hdr(&r, header::CONTENT_TYPE), "text/html; charset=utf-8");
    assert!(r.headers().get(header::ETAG).is_some());
    assert_eq!(r.text().await.unwrap(), index);

    let r = c
        .get(srv.url("/feed.xsl"))
        .header(header::ACCEPT_ENCODING, "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(hdr(&r, header::CONTENT_TYPE), "text/xsl; charset=utf-8");
    assert_eq!(hdr(&r, header::CONTENT_ENCODING), "gzip");
    assert!(r.headers().get(header::ETAG).is_some());
    assert!(r.headers().get(header::LAST_MODIFIED).is_some());
    srv.stop().await;
}

#[tokio::test]
async fn browsers_get_feeds_labelled_as_xml_so_the_stylesheet_runs() {
    let srv = start().await;
    let c = raw_client();
    let chrome =
        "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8";
    let reader = c.get(srv.url("/politik.rss")).send().await.unwrap();
    let reader_etag = hdr(&reader, header::ETAG).to_string();
    for (path, body) in [("/politik.rss", RSS), ("/politik.atom", ATOM)] {
        let r = c
            .get(srv.url(path))
            .header(header::ACCEPT, chrome)
            .send()
            .await
            .unwrap();
        assert_eq!(
            hdr(&r, header::CONTENT_TYPE),
            "application/xml; charset=utf-8",
            "{path}"
        );
        assert!(hdr(&r, header::VARY).contains("Accept"));
        let etag = hdr(&r, header::ETAG).to_string();
        assert_ne!(etag, reader_etag);
        assert_eq!(r.text().await.unwrap(), body, "same bytes, other label");
        let again = c
            .get(srv.url(path))
            .header(header::ACCEPT, chrome)
            .header(header::IF_NONE_MATCH, &etag)
            .send()
            .await
            .unwrap();
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    }
    // A reader naming feed types, and JSON Feed for anyone, keep the registered types.
    let r = c
        .get(srv.url("/politik.rss"))
        .header(header::ACCEPT, "application/rss+xml, text/html;q=0.5")
        .send()
        .await
        .unwrap();
    assert_eq!(
        hdr(&r, header::CONTENT_TYPE),
        "application/rss+xml; charset=utf-8"
    );
    let r = c
        .get(srv.url("/politik.json"))
        .header(header::ACCEPT, chrome)
        .send()
        .await
        .unwrap();
    assert_eq!(
        hdr(&r, header::CONTENT_TYPE),
        "application/feed+json; charset=utf-8"
    );
    srv.stop().await;
}

#[tokio::test]
async fn head_has_headers_and_no_body() {
    let srv = start().await;
    let c = raw_client();
    let get = c.get(srv.url("/politik.json")).send().await.unwrap();
    let r = c.head(srv.url("/politik.json")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        hdr(&r, header::CONTENT_TYPE),
        "application/feed+json; charset=utf-8"
    );
    assert_eq!(hdr(&r, header::CONTENT_LENGTH), JSON.len().to_string());
    assert_eq!(hdr(&r, header::ETAG), hdr(&get, header::ETAG));
    assert!(r.headers().get(header::LAST_MODIFIED).is_some());
    assert!(r.headers().get(header::CACHE_CONTROL).is_some());
    assert!(r.bytes().await.unwrap().is_empty());

    // On the wire: no body bytes after the header block.
    let mut s = tokio::net::TcpStream::connect(srv.addr).await.unwrap();
    s.write_all(b"HEAD /politik.rss HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .unwrap();
    let mut buf = Vec::new();
    s.read_to_end(&mut buf).await.unwrap();
    let text = String::from_utf8_lossy(&buf);
    let (head, rest) = text.split_once("\r\n\r\n").unwrap();
    assert!(
        head.to_ascii_lowercase()
            .contains(&format!("content-length: {}", RSS.len())),
        "{head}"
    );
    assert_eq!(rest, "");
    srv.stop().await;
}

#[tokio::test]
async fn no_path_escapes_the_feeds_dir() {
    let srv = start().await;
    let fifo = srv.feeds.join("fifo.rss");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    let have_fifo = made.is_ok_and(|s| s.success());

    let targets = [
        "/../Cargo.toml",
        "/../secret.rss",
        "/%2e%2e/secret.rss",
        "/%2E%2E/Cargo.toml",
        "/..%2f..%2fetc%2fpasswd",
        "/%2e%2e%2fsecret.rss",
        "/.%2e/secret.rss",
        "//etc/passwd",
        "//secret.rss",
        "/feeds/../../secret.rss",
        "/feeds/../secret.rss",
        "/foo.rss",    // symlink to ../secret.rss
        "/passwd.rss", // symlink to /etc/passwd
        "/%5c..%5csecret.rss",
        "/..%5csecret.rss",
        "/index.opml/..",
        "/index.opml/../../secret.rss",
        "/Secret.RSS",
        "/.politik.rss.tmp",
        "/politik.rss%00",
        "/politik.rss%00.txt",
        "/%00../secret.rss",
        "/politik.rss/",
        "/./politik.rss",
        "/dir.rss",
        "/fifo.rss",
        "/etc/passwd",
        "/%2fetc%2fpasswd",
    ];
    for t in targets {
        let (code, text) = raw_get(srv.addr, t).await;
        assert_eq!(code, 404, "{t} gave {code}");
        assert!(!text.contains(SECRET), "{t} leaked the secret");
        assert!(!text.contains("root:"), "{t} leaked /etc/passwd");
    }
    // A raw (unencoded) backslash reaches the server as is and is refused like the rest.
    let (code, text) = raw_get(srv.addr, "/..\\secret.rss").await;
    assert_eq!(code, 404, "backslash gave {code}");
    assert!(!text.contains(SECRET));
    // Sanity: the same server does serve the real feed, so 404s above are not a fluke.
    let (code, text) = raw_get(srv.addr, "/politik.rss").await;
    assert_eq!(code, 200);
    assert!(text.contains("Bahnstreik"));
    if have_fifo {
        // The FIFO request must not have hung the server (answered above in time).
        assert!(fifo.exists());
    }
    srv.stop().await;
}

#[tokio::test]
async fn healthz_follows_the_last_cycle() {
    let srv = start().await;
    let c = raw_client();
    let r = c.get(srv.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["status"], "starting");

    let now = Utc::now().timestamp();
    srv.metrics.cycle_finished(now - 30);
    let r = c.get(srv.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["status"], "ok");
    let age = v["age_seconds"].as_i64().unwrap();
    assert!((30..40).contains(&age), "age {age}");
    let last = chrono::DateTime::parse_from_rfc3339(v["last_cycle"].as_str().unwrap()).unwrap();
    assert_eq!(last.timestamp(), now - 30);

    srv.metrics.cycle_finished(now - 3600);
    let r = c.get(srv.url("/healthz")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SERVICE_UNAVAILABLE);
    let v: serde_json::Value = serde_json::from_str(&r.text().await.unwrap()).unwrap();
    assert_eq!(v["status"], "stale");
    srv.stop().await;
}

/// A small checker of the Prometheus text format: every sample is `name{labels} value`,
/// every family has a TYPE before its samples, no series repeats, and histogram buckets
/// are cumulative with `+Inf` equal to `_count`. Returns samples by name and labels.
fn check_prometheus(text: &str) -> BTreeMap<(String, BTreeMap<String, String>), f64> {
    let sample_re = regex::Regex::new(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$").unwrap();
    let label_re = regex::Regex::new(r#"^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)""#).unwrap();
    let mut types: HashMap<String, String> = HashMap::new();
    let mut helps: HashSet<String> = HashSet::new();
    let mut samples = BTreeMap::new();
    assert!(text.ends_with('\n'), "exposition ends with a line feed");
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# HELP ") {
            let name = rest.split(' ').next().unwrap();
            assert!(helps.insert(name.to_string()), "HELP twice for {name}");
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let mut p = rest.split(' ');
            let (name, kind) = (p.next().unwrap(), p.next().unwrap());
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "{line}"
            );
            assert!(
                types.insert(name.into(), kind.into()).is_none(),
                "TYPE twice: {name}"
            );
            continue;
        }
        assert!(
            !line.starts_with('#') && !line.is_empty(),
            "unexpected line {line:?}"
        );
        let caps = sample_re
            .captures(line)
            .unwrap_or_else(|| panic!("bad sample line {line:?}"));
        let name = caps[1].to_string();
        let mut labels = BTreeMap::new();
        if let Some(l) = caps.get(2) {
            let mut rest = l.as_str();
            while !rest.is_empty() {
                let m = label_re
                    .captures(rest)
                    .unwrap_or_else(|| panic!("bad labels in {line:?}"));
                let raw = &m[2];
                let value = raw
                    .replace("\\n", "\n")
                    .replace("\\\"", "\"")
                    .replace("\\\\", "\\");
                labels.insert(m[1].to_string(), value);
                rest = &rest[m[0].len()..];
                rest = rest.strip_prefix(',').unwrap_or(rest);
            }
        }
        let value: f64 = match &caps[3] {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            v => v
                .parse()
                .unwrap_or_else(|_| panic!("bad value in {line:?}")),
        };
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|base| types.get(*base).map(String::as_str) == Some("histogram"))
            })
            .unwrap_or(&name)
            .to_string();
        assert!(
            types.contains_key(&family),
            "sample {name} has no TYPE before it"
        );
        assert!(
            samples.insert((name.clone(), labels), value).is_none(),
            "series repeated: {line}"
        );
    }
    // Histograms: per series, buckets ascending in le and in count; +Inf == _count.
    for (fam, kind) in &types {
        if kind != "histogram" {
            continue;
        }
        let mut series: BTreeMap<BTreeMap<String, String>, Vec<(f64, f64)>> = BTreeMap::new();
        for ((name, labels), v) in &samples {
            if *name == format!("{fam}_bucket") {
                let mut base = labels.clone();
                let le = base.remove("le").expect("bucket has le");
                let le = if le == "+Inf" {
                    f64::INFINITY
                } else {
                    le.parse().unwrap()
                };
                series.entry(base).or_default().push((le, *v));
            }
        }
        for (base, mut buckets) in series {
            buckets.sort_by(|a, b| a.0.partial_cmp(&b.0).unwrap());
            assert!(
                buckets.windows(2).all(|w| w[0].1 <= w[1].1),
                "{fam} buckets not cumulative"
            );
            let inf = buckets.last().unwrap();
            assert!(inf.0.is_infinite(), "{fam} lacks +Inf bucket");
            let count = samples[&(format!("{fam}_count"), base.clone())];
            assert_eq!(inf.1, count, "{fam} +Inf != _count");
            assert!(samples.contains_key(&(format!("{fam}_sum"), base)));
        }
    }
    samples
}

#[tokio::test]
async fn metrics_endpoint_is_valid_prometheus_text() {
    let srv = start().await;
    let m = &srv.metrics;
    let (dpa, afp) = (
        SourceId::from("dpa-politik"),
        SourceId::from("afp \"wire\"\\x"),
    );
    m.record_fetch(&dpa, Some(200), Duration::from_millis(120), 4);
    m.record_fetch(&dpa, Some(304), Duration::from_millis(40), 0);
    m.record_fetch(&afp, None, Duration::from_secs(31), 0);
    m.record_success(&dpa, 1_795_000_000);
    m.set_consecutive_failures(&dpa, 0);
    m.set_consecutive_failures(&afp, 3);
    m.set_feed("politik", 3, 1_795_000_100);
    m.set_store_bytes(65_536);
    m.cycle_finished(1_795_000_200);

    let r = raw_client().get(srv.url("/metrics")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        hdr(&r, header::CONTENT_TYPE),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = r.text().await.unwrap();
    let s = check_prometheus(&text);
    let get = |name: &str, labels: &[(&str, &str)]| {
        let l: BTreeMap<String, String> = labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        s.get(&(name.to_string(), l)).copied()
    };
    assert_eq!(
        get("wirefeed_items_fetched_total", &[("source", "dpa-politik")]),
        Some(4.0)
    );
    assert_eq!(
        get(
            "wirefeed_http_responses_total",
            &[("source", "dpa-politik"), ("status", "304")]
        ),
        Some(1.0)
    );
    assert_eq!(
        get(
            "wirefeed_http_responses_total",
            &[("source", "afp \"wire\"\\x"), ("status", "error")]
        ),
        Some(1.0)
    );
    assert_eq!(
        get(
            "wirefeed_source_consecutive_failures",
            &[("source", "afp \"wire\"\\x")]
        ),
        Some(3.0)
    );
    assert_eq!(
        get(
            "wirefeed_source_last_success_timestamp_seconds",
            &[("source", "dpa-politik")]
        ),
        Some(1_795_000_000.0)
    );
    assert_eq!(
        get(
            "wirefeed_fetch_duration_seconds_count",
            &[("source", "dpa-politik")]
        ),
        Some(2.0)
    );
    assert_eq!(
        get(
            "wirefeed_fetch_duration_seconds_bucket",
            &[("source", "dpa-politik"), ("le", "0.05")]
        ),
        Some(1.0)
    );
    assert_eq!(
        get(
            "wirefeed_fetch_duration_seconds_bucket",
            &[("source", "afp \"wire\"\\x"), ("le", "30")]
        ),
        Some(0.0)
    );
    assert_eq!(
        get("wirefeed_feed_items", &[("feed", "politik")]),
        Some(3.0)
    );
    assert_eq!(
        get(
            "wirefeed_feed_last_publish_timestamp_seconds",
            &[("feed", "politik")]
        ),
        Some(1_795_000_100.0)
    );
    assert_eq!(get("wirefeed_store_bytes", &[]), Some(65_536.0));
    assert_eq!(
        get("wirefeed_last_cycle_timestamp_seconds", &[]),
        Some(1_795_000_200.0)
    );
    srv.stop().await;
}

#[tokio::test]
async fn index_page_lists_feeds_and_follows_reload() {
    let srv = start().await;
    let c = raw_client();
    let r = c.get(srv.url("/")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(hdr(&r, header::CONTENT_TYPE), "text/html; charset=utf-8");
    let html = r.text().await.unwrap();
    assert!(html.contains("Politik aus Bund und Ländern"));
    assert!(html.contains("Landespolitik &amp; Bundespolitik"));
    // Without a publisher report the items are counted in the file.
    assert!(html.contains("3 items"), "{html}");
    for link in [
        "/politik.rss",
        "/politik.atom",
        "/politik.json",
        "/index.opml",
        "/healthz",
        "/metrics",
        "/sources",
    ] {
        assert!(
            html.contains(&format!("href=\"{link}\"")),
            "missing link {link}"
        );
    }
    assert!(!html.contains("<script"));

    // After a reload: a new feed with only RSS published and a publisher report.
    std::fs::write(srv.feeds.join("wirtschaft.rss"), RSS).unwrap();
    srv.metrics
        .set_feed("wirtschaft", 17, Utc::now().timestamp() - 120);
    srv.state.set_index(vec![FeedListing {
        id: "wirtschaft".into(),
        title: "Wirtschaft kompakt".into(),
        description: "Märkte, Unternehmen, Konjunktur".into(),
    }]);
    let html = c
        .get(srv.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("Wirtschaft kompakt"));
    assert!(!html.contains("Politik aus Bund und Ländern"));
    assert!(html.contains("17 items"));
    assert!(html.contains("2m ago"), "{html}");
    assert!(html.contains("href=\"/wirtschaft.rss\""));
    assert!(
        !html.contains("href=\"/wirtschaft.atom\""),
        "no link to a format not published"
    );

    let reuters = SourceId::from("reuters-inland");
    srv.metrics.set_consecutive_failures(&reuters, 4);
    srv.metrics
        .record_fetch(&reuters, Some(503), Duration::from_secs(2), 0);
    let html = c
        .get(srv.url("/sources"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("reuters-inland"));
    assert!(html.contains("503"));
    assert!(html.contains("failing"));
    srv.stop().await;
}

// ---- WebSub ----

/// One received ping: the Content-Type and the decoded form pairs.
type Post = (String, Vec<(String, String)>);

#[derive(Clone, Default)]
struct Hub {
    /// (content type, form pairs) of every POST received.
    posts: Arc<Mutex<Vec<Post>>>,
    /// Status codes to answer with, in order; the last one repeats.
    answers: Arc<Mutex<Vec<u16>>>,
}

async fn hub_handler(State(hub): State<Hub>, headers: HeaderMap, body: String) -> StatusCode {
    let ct = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let form = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let n = {
        let mut posts = hub.posts.lock().unwrap();
        posts.push((ct, form));
        posts.len()
    };
    let answers = hub.answers.lock().unwrap();
    let code = answers
        .get(n - 1)
        .or(answers.last())
        .copied()
        .unwrap_or(204);
    StatusCode::from_u16(code).unwrap()
}

async fn start_hub(answers: Vec<u16>) -> (url::Url, Hub) {
    let hub = Hub {
        answers: Arc::new(Mutex::new(answers)),
        ..Hub::default()
    };
    let app = Router::new()
        .route("/hub", post(hub_handler))
        .with_state(hub.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (format!("http://{addr}/hub").parse().unwrap(), hub)
}

fn fast() -> RetryPolicy {
    RetryPolicy {
        attempts: 3,
        base_delay: Duration::from_millis(20),
        request_timeout: Duration::from_secs(5),
    }
}

#[tokio::test]
async fn websub_pings_each_hub_for_each_feed() {
    let (hub_a, a) = start_hub(vec![204]).await;
    let (hub_b, b) = start_hub(vec![202]).await;
    let feeds = vec![
        "https://news.example/politik.rss".to_string(),
        "https://news.example/politik.atom?x=1&y=2".to_string(),
    ];
    let client = reqwest::Client::new();
    let out = notify_hubs_with(&client, &[hub_a, hub_b], &feeds, fast()).await;
    assert_eq!(out.len(), 4);
    assert!(out.iter().all(|o| o.accepted && o.attempts == 1));
    for hub in [a, b] {
        let posts = hub.posts.lock().unwrap().clone();
        assert_eq!(posts.len(), 2);
        let mut urls = Vec::new();
        for (ct, form) in posts {
            assert_eq!(ct, "application/x-www-form-urlencoded");
            assert_eq!(form[0], ("hub.mode".into(), "publish".into()));
            assert_eq!(form[1].0, "hub.url");
            urls.push(form[1].1.clone());
        }
        urls.sort();
        assert_eq!(urls, {
            let mut f = feeds.clone();
            f.sort();
            f
        });
    }
    assert_eq!(
        publish_body("https://news.example/a.rss"),
        "hub.mode=publish&hub.url=https%3A%2F%2Fnews.example%2Fa.rss"
    );
}

#[tokio::test]
async fn websub_retries_failing_hub_then_gives_up() {
    let client = reqwest::Client::new();
    let feeds = vec!["https://news.example/politik.rss".to_string()];

    let (down, hub) = start_hub(vec![503]).await;
    let started = std::time::Instant::now();
    let out = notify_hubs_with(&client, &[down], &feeds, fast()).await;
    assert_eq!(hub.posts.lock().unwrap().len(), 3, "three attempts");
    assert!(!out[0].accepted);
    assert_eq!(out[0].attempts, 3);
    assert!(out[0].last_error.as_deref().unwrap().contains("503"));
    // Backoff waited 20 ms and then 40 ms.
    assert!(started.elapsed() >= Duration::from_millis(60));

    let (flaky, hub) = start_hub(vec![500, 202]).await;
    let out = notify_hubs_with(&client, &[flaky], &feeds, fast()).await;
    assert!(out[0].accepted);
    assert_eq!(out[0].attempts, 2);
    assert_eq!(hub.posts.lock().unwrap().len(), 2);

    let (rejecting, hub) = start_hub(vec![400]).await;
    let out = notify_hubs_with(&client, &[rejecting], &feeds, fast()).await;
    assert!(!out[0].accepted);
    assert_eq!(
        hub.posts.lock().unwrap().len(),
        1,
        "a 400 is final, not retried"
    );

    // Nobody listening: a network error, retried, given up, no panic.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let nowhere: url::Url = format!("http://{closed}/hub").parse().unwrap();
    let out = notify_hubs_with(&client, &[nowhere], &feeds, fast()).await;
    assert!(!out[0].accepted);
    assert_eq!(out[0].attempts, 3);
    assert!(out[0]
        .last_error
        .as_deref()
        .unwrap()
        .contains("request failed"));

    // The default entry point does the same work; a good hub answers on the first try.
    let (ok, hub) = start_hub(vec![204]).await;
    tokio::time::timeout(Duration::from_secs(5), notify_hubs(&client, &[ok], &feeds))
        .await
        .expect("one accepted ping needs no backoff");
    assert_eq!(hub.posts.lock().unwrap().len(), 1);
}

// ---- status snapshot ----

fn sample_snapshot() -> StatusSnapshot {
    let t = |h, m, s| {
        Utc.with_ymd_and_hms(2026, 11, 27, h, m, s)
            .single()
            .unwrap()
    };
    StatusSnapshot {
        written_at: t(7, 0, 0),
        pid: 4242,
        sources: vec![
            SourceStatus {
                id: "dpa-politik".into(),
                kind: Some("http".into()),
                last_poll: Some(t(6, 57, 0)),
                last_success: Some(t(6, 57, 0)),
                http_status: Some(200),
                new_items: 5,
                total_items: Some(812),
                consecutive_failures: 0,
                last_error: None,
                next_poll: Some(t(7, 7, 0)),
                late_versions: 0,
            },
            SourceStatus {
                id: "agentur-süd".into(),
                kind: Some("http".into()),
                last_poll: Some(t(6, 59, 30)),
                last_success: None,
                http_status: None,
                new_items: 0,
                total_items: None,
                consecutive_failures: 7,
                last_error: Some("connection refused\n(after 3 retries)".into()),
                next_poll: None,
                late_versions: 0,
            },
            SourceStatus {
                id: "agentur-spool".into(),
                kind: Some("spool".into()),
                last_poll: Some(t(6, 58, 0)),
                last_success: Some(t(6, 58, 0)),
                http_status: None,
                new_items: 2,
                total_items: None,
                consecutive_failures: 0,
                last_error: None,
                next_poll: Some(t(7, 3, 0)),
                late_versions: 2,
            },
        ],
        feeds: vec![FeedStatus {
            id: "politik".into(),
            title: "Politik aus Bund und Ländern".into(),
            items: 40,
            last_change: Some(t(6, 57, 10)),
        }],
        notes: vec![],
    }
}

#[test]
fn status_snapshot_round_trips_and_renders() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("status.json");
    let snap = sample_snapshot();
    write_snapshot(&path, &snap).unwrap();
    // Overwriting works and leaves no temporary files behind.
    write_snapshot(&path, &snap).unwrap();
    let names: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, vec!["status.json".to_string()]);
    let back = read_snapshot(&path).unwrap();
    assert_eq!(back, snap);

    let now = Utc
        .with_ymd_and_hms(2026, 11, 27, 7, 0, 0)
        .single()
        .unwrap();
    let table = render_table(&back, now);
    assert!(table.contains("pid 4242"));
    let lines: Vec<&str> = table.lines().collect();
    let header = lines.iter().find(|l| l.starts_with("SOURCE")).unwrap();
    let dpa = lines.iter().find(|l| l.starts_with("dpa-politik")).unwrap();
    let sud = lines.iter().find(|l| l.starts_with("agentur-süd")).unwrap();
    assert!(
        dpa.contains("3m ago") && dpa.contains("in 7m") && dpa.contains("812"),
        "{dpa}"
    );
    assert!(
        sud.contains("FAILING")
            && sud.contains("never")
            && sud.contains("connection refused (after 3 retries)"),
        "{sud}"
    );
    // Columns align: "LAST POLL" starts at the same character column in every row.
    let col = |l: &str, needle: &str| l.find(needle).map(|b| l[..b].chars().count());
    let c = col(header, "LAST POLL").unwrap();
    assert_eq!(col(dpa, "3m ago"), Some(c));
    assert_eq!(col(sud, "30s ago"), Some(c));
    assert!(table.contains("Politik aus Bund und Ländern"));
    assert!(table.contains("politik"));
}

#[test]
fn status_errors_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("status.json");
    let err = read_snapshot(&missing).unwrap_err();
    assert!(matches!(err, StatusError::Missing(_)));
    assert!(err.to_string().contains("wirefeed run"), "{err}");

    let garbage = dir.path().join("garbage.json");
    std::fs::write(&garbage, "{\"written_at\": 3").unwrap();
    let err = read_snapshot(&garbage).unwrap_err();
    assert!(matches!(err, StatusError::Parse { .. }), "{err}");

    let no_dir = Path::new("/nonexistent-wirefeed-dir/status.json");
    assert!(write_snapshot(no_dir, &sample_snapshot()).is_err());
}

#[test]
fn relative_times_in_future_and_past() {
    let now = Utc::now();
    let t = wirefeed::status::relative_time;
    assert_eq!(t(Some(now - ChronoDuration::minutes(3)), now), "3m ago");
    assert_eq!(t(Some(now + ChronoDuration::minutes(7)), now), "in 7m");
    assert_eq!(t(None, now), "never");
}

/// `/sources` reads the persisted snapshot `wirefeed status` reads: after a restart every
/// source's history shows at once, with its kind and a status that fits it (a spool
/// folder is "read", never a network error).
#[tokio::test]
async fn sources_page_shows_the_persisted_state_of_every_source_with_its_kind() {
    let srv = start().await;
    let c = raw_client();
    let before = c.get(srv.url("/sources")).send().await.unwrap();
    assert!(before
        .text()
        .await
        .unwrap()
        .contains("No source has been polled yet"));
    let root = srv.feeds.parent().unwrap().to_path_buf();
    write_snapshot(&root.join("store.status.json"), &sample_snapshot()).unwrap();
    let page = c
        .get(srv.url("/sources"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for id in ["dpa-politik", "agentur-süd", "agentur-spool"] {
        assert!(page.contains(&format!("<td>{id}</td>")), "{id}: {page}");
    }
    let spool_row = page
        .split("<tr>")
        .find(|r| r.contains("agentur-spool"))
        .unwrap();
    assert!(
        spool_row.contains("<td>spool</td>") && spool_row.contains("<td>read</td>"),
        "{spool_row}"
    );
    assert!(!spool_row.contains("network error") && !spool_row.contains("no response"));
    let failing = page
        .split("<tr>")
        .find(|r| r.contains("agentur-süd"))
        .unwrap();
    assert!(
        failing.contains("no response") && failing.contains("connection refused"),
        "{failing}"
    );
    assert!(page.contains("HTTP 200"));
    srv.stop().await;
}
