//! Shared test support: a real HTTP server on loopback whose routes the test sets and whose
//! requests it records, and helpers to write a config and run the real `wirefeed` binary.
#![allow(dead_code)]

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::Response;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// What the server answers on one path.
#[derive(Clone, Debug)]
pub struct Route {
    pub status: u16,
    pub body: Vec<u8>,
    pub content_type: String,
    /// When set, answers 304 to a matching If-None-Match and sends the ETag.
    pub etag: Option<String>,
    pub last_modified: Option<String>,
    pub delay: Duration,
    pub headers: Vec<(String, String)>,
}

impl Route {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Route {
        Route {
            status: 200,
            body: body.into(),
            content_type: content_type.into(),
            etag: None,
            last_modified: None,
            delay: Duration::ZERO,
            headers: vec![],
        }
    }
    pub fn xml(body: impl Into<Vec<u8>>) -> Route {
        Route::ok("application/xml", body)
    }
    pub fn html(body: impl Into<Vec<u8>>) -> Route {
        Route::ok("text/html; charset=utf-8", body)
    }
    pub fn with_etag(mut self, etag: &str) -> Route {
        self.etag = Some(etag.into());
        self
    }
    pub fn with_last_modified(mut self, lm: &str) -> Route {
        self.last_modified = Some(lm.into());
        self
    }
    pub fn with_status(mut self, status: u16) -> Route {
        self.status = status;
        self
    }
    pub fn with_delay(mut self, d: Duration) -> Route {
        self.delay = d;
        self
    }
    pub fn with_header(mut self, k: &str, v: &str) -> Route {
        self.headers.push((k.into(), v.into()));
        self
    }
}

/// One request as the server saw it.
#[derive(Clone, Debug)]
pub struct Seen {
    pub path: String,
    pub if_none_match: Option<String>,
    pub if_modified_since: Option<String>,
    pub status: u16,
}

#[derive(Default)]
struct Inner {
    routes: HashMap<String, Route>,
    seen: Vec<Seen>,
}

/// A loopback HTTP server on its own thread and runtime, so both sync and async tests use it.
pub struct TestServer {
    pub addr: SocketAddr,
    inner: Arc<Mutex<Inner>>,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

impl TestServer {
    pub fn start() -> TestServer {
        let inner = Arc::new(Mutex::new(Inner::default()));
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let state = inner.clone();
        std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("test runtime");
            rt.block_on(async move {
                let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                    .await
                    .expect("bind loopback");
                addr_tx
                    .send(listener.local_addr().expect("addr"))
                    .expect("send addr");
                let app = axum::Router::new().fallback(answer).with_state(state);
                axum::serve(listener, app)
                    .with_graceful_shutdown(async {
                        let _ = rx.await;
                    })
                    .await
                    .expect("serve");
            });
        });
        let addr = addr_rx.recv().expect("server address");
        TestServer {
            addr,
            inner,
            _shutdown: tx,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub fn set(&self, path: &str, route: Route) {
        self.inner
            .lock()
            .unwrap()
            .routes
            .insert(path.to_string(), route);
    }

    pub fn seen(&self, path: &str) -> Vec<Seen> {
        self.inner
            .lock()
            .unwrap()
            .seen
            .iter()
            .filter(|s| s.path == path)
            .cloned()
            .collect()
    }

    pub fn clear_seen(&self) {
        self.inner.lock().unwrap().seen.clear();
    }
}

async fn answer(State(inner): State<Arc<Mutex<Inner>>>, request: Request) -> Response {
    let path = request.uri().path().to_string();
    let headers: &HeaderMap = request.headers();
    let inm = headers
        .get("if-none-match")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let ims = headers
        .get("if-modified-since")
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let route = inner.lock().unwrap().routes.get(&path).cloned();
    let Some(route) = route else {
        inner.lock().unwrap().seen.push(Seen {
            path,
            if_none_match: inm,
            if_modified_since: ims,
            status: 404,
        });
        return Response::builder()
            .status(404)
            .body(Body::from("not found"))
            .unwrap();
    };
    let not_modified = route.status == 200
        && ((route.etag.is_some() && inm.is_some() && route.etag == inm)
            || (route.etag.is_none()
                && route.last_modified.is_some()
                && route.last_modified == ims));
    let status = if not_modified { 304 } else { route.status };
    inner.lock().unwrap().seen.push(Seen {
        path,
        if_none_match: inm,
        if_modified_since: ims,
        status,
    });
    // Recorded on arrival, so a test can see a slow request while it is still in flight.
    if !route.delay.is_zero() {
        tokio::time::sleep(route.delay).await;
    }
    let mut builder = Response::builder().status(StatusCode::from_u16(status).unwrap());
    if let Some(etag) = &route.etag {
        builder = builder.header("etag", HeaderValue::from_str(etag).unwrap());
    }
    if let Some(lm) = &route.last_modified {
        builder = builder.header("last-modified", HeaderValue::from_str(lm).unwrap());
    }
    for (k, v) in &route.headers {
        builder = builder.header(k.as_str(), v.as_str());
    }
    if not_modified {
        return builder.body(Body::empty()).unwrap();
    }
    builder
        .header("content-type", route.content_type.as_str())
        .body(Body::from(route.body))
        .unwrap()
}

/// A temp folder with a config.yaml, a store and a feeds dir.
pub struct Workspace {
    pub dir: tempfile::TempDir,
}

impl Workspace {
    pub fn new(config: &str) -> Workspace {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("config.yaml"), config).expect("write config");
        Workspace { dir }
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn config_path(&self) -> PathBuf {
        self.dir.path().join("config.yaml")
    }

    pub fn write_config(&self, config: &str) {
        std::fs::write(self.config_path(), config).expect("write config");
    }

    pub fn feed(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join("feeds").join(name))
            .unwrap_or_else(|e| panic!("feeds/{name} missing: {e}"))
    }

    pub fn feed_path(&self, name: &str) -> PathBuf {
        self.dir.path().join("feeds").join(name)
    }

    /// Runs the real binary with `--config <this config>` and the given arguments.
    pub fn wirefeed(&self, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_wirefeed"))
            .arg("--config")
            .arg(self.config_path())
            .args(args)
            .env_remove("WIREFEED_LOG")
            .output()
            .expect("run wirefeed")
    }

    pub fn once(&self) -> Output {
        let out = self.wirefeed(&["once", "--all"]);
        assert_eq!(
            out.status.code(),
            Some(0),
            "wirefeed once failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }
}

pub fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A config with the given sources and feeds sections (YAML, indented two spaces).
pub fn config(sources: &str, feeds: &str) -> String {
    format!(
        "store: store\nfeeds_dir: feeds\nbase_url: http://feeds.example/\npoll:\n  timeout: 3s\n  max_body: 1MiB\n  allow_private_addresses: true\nretention:\n  max_age: 30d\nsources:\n{sources}\nfeeds:\n{feeds}\n"
    )
}

/// RSS 2.0 with the given items (title, guid, description, pubDate RFC 822).
pub fn rss(items: &[(&str, &str, &str, &str)]) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Testagentur</title><link>https://agentur.example/</link><description>Test</description>\n");
    for (title, guid, description, date) in items {
        out.push_str(&format!(
            "<item><title>{title}</title><link>https://agentur.example/{guid}</link><guid isPermaLink=\"false\">{guid}</guid><description>{description}</description><pubDate>{date}</pubDate></item>\n"
        ));
    }
    out.push_str("</channel></rss>\n");
    out
}

/// An RFC 822 date `hours` ago.
pub fn hours_ago(hours: i64) -> String {
    (chrono::Utc::now() - chrono::Duration::hours(hours)).to_rfc2822()
}

/// Whether `cmd args` runs and succeeds (is a feed reader installed?).
pub fn have(cmd: &str, args: &[&str]) -> bool {
    Command::new(cmd)
        .args(args)
        .output()
        .is_ok_and(|o| o.status.success())
}

/// True when `tool` is present. Under CI a missing reader fails the test (scripts/test.sh
/// installs it); elsewhere the check is skipped with a message.
pub fn require(tool: &str, present: bool) -> bool {
    if present {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "{tool} is not installed; scripts/test.sh installs it"
    );
    eprintln!("skipped: {tool} is not installed (scripts/test.sh installs it)");
    false
}

/// A loopback port free at the moment of asking, for a daemon's `serve:` address.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("bind a loopback port")
        .port()
}

/// `config` with `serve: 127.0.0.1:PORT` added before its `sources:`.
pub fn serving_on(config: &str, port: u16) -> String {
    config.replacen(
        "sources:\n",
        &format!("serve: 127.0.0.1:{port}\nsources:\n"),
        1,
    )
}

/// A child's stderr, read as it is written, so a test can wait for a log line.
pub struct StderrLog(Arc<Mutex<String>>);

impl StderrLog {
    pub fn capture(child: &mut std::process::Child) -> StderrLog {
        use std::io::Read;
        let mut stderr = child.stderr.take().expect("stderr is piped");
        let text = Arc::new(Mutex::new(String::new()));
        let sink = text.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buf[..n]));
            }
        });
        StderrLog(text)
    }

    pub fn text(&self) -> String {
        self.0.lock().unwrap().clone()
    }
}

/// Polls `cond` until it holds; fails the test naming `what` after `timeout`.
pub fn wait_for(what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let start = std::time::Instant::now();
    while !cond() {
        assert!(start.elapsed() < timeout, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// Drops a delivery into the workspace's `spool/` folder.
pub fn deliver(ws: &Workspace, name: &str, body: &str) {
    let spool = ws.path().join("spool");
    std::fs::create_dir_all(&spool).expect("spool");
    std::fs::write(spool.join(name), body).expect("write delivery");
}

/// One cycle of a fresh process (`once --all --verbose`), returning its log (ignored
/// versions and withdrawals are logged at info level).
pub fn cycle(ws: &Workspace) -> String {
    let out = ws.wirefeed(&["once", "--all", "--verbose"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    stderr(&out)
}
