//! Cycle benchmark: the real `wirefeed once --all` on a corpus of 1,000 RSS feeds × 100
//! items of invented wire copy (the newsroom stream of `tests/support/wiregen.rs`, with its
//! formulas, template families and republished copies) served on loopback, and the peak
//! memory of `wirefeed once` on one huge delivery.
//!
//! Cycle part: a fresh store, then three runs of the binary — cold (everything new), warm
//! (every source answers 304 to its ETag / Last-Modified) and identical (200 with the same
//! bytes and no validators) — each with its wall time, peak RSS (`wait4`) and the stage times
//! the cycle logs at debug level; then the stage floors measured alone in this process
//! (fetch, `parse_feed`, quick-xml events without building items).
//! Big-feed part: `wirefeed once` on one feed of tiny items (10 MiB with the default config;
//! 165,000 items; 1,000,000 items), from a file and over HTTP, with its peak RSS and the
//! overflow warning.
//!
//! `cargo bench --bench cycle` runs both. Options (after `--`): `--cycle` or `--big` (only
//! that part), `--feeds N --items N` (corpus size), `--no-floors`. To profile one run, wrap
//! it: `WIREFEED_BENCH_WRAP="perf record -g -o /tmp/cold.data --"` wraps the cold cycle
//! (`WIREFEED_BENCH_WRAP_LABEL=warm|identical|big` another one).
//!
//! To compare with another build — an older commit's release binary, say — point
//! `WIREFEED_BENCH_BIN=/path/to/wirefeed` at it: the same corpus, config and measurements
//! then run that binary instead of this build's. Its cycle must accept this bench's
//! config.yaml and `once --all`; stage times it does not log show as `-`.

#[path = "../tests/support/wiregen.rs"]
mod wiregen;

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wirefeed::config::Config;
use wirefeed::source::fetch::{Fetched, Fetcher, Origin, Validators};

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The newsroom corpus of `tests/support/wiregen.rs` (agency formulas, events reported by
/// several stories, template families, republished copies with edits) as `feeds` RSS feeds
/// of `items` items; copies land in other feeds than their originals, as on the wire.
fn corpus(feeds: usize, items: usize) -> Vec<Vec<u8>> {
    let now = chrono::Utc::now();
    let mut out: Vec<String> = (0..feeds)
        .map(|f| format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Agentur {f}</title><link>https://agentur{f}.example/</link><description>Synthetische Meldungen</description><language>de</language>\n"
        ))
        .collect();
    for (n, doc) in wiregen::newsroom(0x0bad_5eed_2026, feeds * items).enumerate() {
        // Round-robin over feeds: a story's copies (which follow it in the stream) go to
        // the next feeds.
        let f = n % feeds;
        let i = n / feeds;
        let date = (now - chrono::Duration::minutes(n as i64 % 20_000)).to_rfc2822();
        let html: String = doc
            .text
            .split('\n')
            .map(|p| format!("<p>{p}</p>"))
            .collect();
        out[f].push_str(&format!(
            "<item><title>{}</title><link>https://agentur{f}.example/meldung/{i}</link><guid isPermaLink=\"false\">ag{f}-{i}</guid><pubDate>{date}</pubDate><category>{}</category><description>{}</description></item>\n",
            escape(&doc.title),
            if doc.topic % 3 == 0 { "Politik" } else { "Wirtschaft" },
            escape(&html)
        ));
    }
    out.into_iter()
        .map(|mut xml| {
            xml.push_str("</channel></rss>\n");
            xml.into_bytes()
        })
        .collect()
}

/// What the loopback server answers: the corpus feeds at `/f/N.xml`, the big single feeds at
/// `/big/N.xml`, with an ETag and a Last-Modified until `validators` is switched off.
struct Served {
    feeds: Vec<bytes::Bytes>,
    big: std::sync::Mutex<Vec<bytes::Bytes>>,
    validators: std::sync::atomic::AtomicBool,
}

/// Starts the loopback server on its own runtime thread (2 workers, as a small web server
/// would have) and returns its address.
fn serve(state: Arc<Served>) -> std::net::SocketAddr {
    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    use std::sync::atomic::Ordering;
    const LAST_MODIFIED: &str = "Tue, 01 Dec 2026 08:00:00 GMT";
    fn answer(
        c: &Served,
        headers: &HeaderMap,
        n: usize,
        body: bytes::Bytes,
    ) -> axum::response::Response {
        if !c.validators.load(Ordering::Relaxed) {
            return ([("content-type", "application/rss+xml")], body).into_response();
        }
        let etag = format!("\"v1-{n}-{}\"", body.len());
        let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
        if header("if-none-match") == Some(etag.as_str())
            || (header("if-none-match").is_none()
                && header("if-modified-since") == Some(LAST_MODIFIED))
        {
            return (StatusCode::NOT_MODIFIED, [("etag", etag)]).into_response();
        }
        (
            [
                ("content-type", "application/rss+xml".to_string()),
                ("etag", etag),
                ("last-modified", LAST_MODIFIED.to_string()),
            ],
            body,
        )
            .into_response()
    }
    fn number(name: &str) -> Option<usize> {
        name.strip_suffix(".xml")?.parse().ok()
    }
    async fn feed(
        State(c): State<Arc<Served>>,
        Path(name): Path<String>,
        headers: HeaderMap,
    ) -> axum::response::Response {
        match number(&name).and_then(|n| Some((n, c.feeds.get(n)?.clone()))) {
            Some((n, body)) => answer(&c, &headers, n, body),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }
    async fn big(
        State(c): State<Arc<Served>>,
        Path(name): Path<String>,
        headers: HeaderMap,
    ) -> axum::response::Response {
        let body = number(&name).and_then(|n| Some((n, c.big.lock().ok()?.get(n)?.clone())));
        match body {
            Some((n, body)) => answer(&c, &headers, n, body),
            None => StatusCode::NOT_FOUND.into_response(),
        }
    }
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("server runtime");
        rt.block_on(async move {
            let app = axum::Router::new()
                .route("/f/{name}", axum::routing::get(feed))
                .route("/big/{name}", axum::routing::get(big))
                .with_state(state);
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
                .await
                .expect("bind loopback");
            tx.send(listener.local_addr().expect("addr")).ok();
            axum::serve(listener, app).await.expect("serve");
        });
    });
    rx.recv().expect("server address")
}

/// One run of the real binary: wall time, its peak RSS and its log.
struct Run {
    wall: Duration,
    /// User + system CPU time: on a shared machine a fairer figure than the wall time.
    cpu: Duration,
    peak_mib: f64,
    log: String,
}

impl Run {
    /// A `key=value` number the cycle logged at debug level (its stage times).
    fn logged(&self, key: &str) -> Option<f64> {
        self.log
            .split_whitespace()
            .find_map(|w| w.strip_prefix(key)?.strip_prefix('=')?.parse().ok())
    }
}

/// The binary measured: `WIREFEED_BENCH_BIN` when set, else this build's.
fn binary() -> String {
    std::env::var("WIREFEED_BENCH_BIN")
        .ok()
        .filter(|b| !b.is_empty())
        .unwrap_or_else(|| env!("CARGO_BIN_EXE_wirefeed").to_string())
}

/// Runs `wirefeed --config <dir>/config.yaml <args>` to its end. `WIREFEED_BENCH_WRAP`
/// (e.g. `perf record -g -o cold.data --`) wraps the runs whose label it names in
/// `WIREFEED_BENCH_WRAP_LABEL` (default `cold`).
// The child is reaped by `wait4` (which also gives its peak RSS), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn wirefeed(dir: &std::path::Path, args: &[&str], label: &str) -> Run {
    let wrap = std::env::var("WIREFEED_BENCH_WRAP").unwrap_or_default();
    let wrap_label = std::env::var("WIREFEED_BENCH_WRAP_LABEL").unwrap_or_else(|_| "cold".into());
    let mut argv: Vec<String> = if !wrap.is_empty() && wrap_label == label {
        wrap.split_whitespace().map(str::to_string).collect()
    } else {
        Vec::new()
    };
    argv.push(binary());
    argv.extend(["--config".to_string(), "config.yaml".to_string()]);
    argv.extend(args.iter().map(|a| a.to_string()));
    let t = Instant::now();
    let child = Command::new(&argv[0])
        .args(&argv[1..])
        .current_dir(dir)
        .env("WIREFEED_LOG", "warn,wirefeed::cycle=debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run wirefeed");
    let pid = child.id() as libc::pid_t;
    let mut stderr = child.stderr.expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        use std::io::Read;
        stderr.read_to_string(&mut s).ok();
        s
    });
    let mut status = 0;
    // SAFETY: plain syscall on our own child's pid with out-parameters we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let wall = t.elapsed();
    let log = reader.join().unwrap_or_default();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{label}: wirefeed failed ({status}):\n{log}"
    );
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    Run {
        wall,
        cpu: tv(usage.ru_utime) + tv(usage.ru_stime),
        peak_mib: usage.ru_maxrss as f64 / 1024.0,
        log,
    }
}

fn dir_size(path: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            let m = match e.metadata() {
                Ok(m) => m,
                Err(_) => continue,
            };
            total += if m.is_dir() {
                dir_size(&e.path())
            } else {
                m.len()
            };
        }
    }
    total
}

fn rate(items: usize, d: Duration) -> String {
    format!(
        "{:>10.0} items/s ({:>7.3} s)",
        items as f64 / d.as_secs_f64().max(1e-9),
        d.as_secs_f64()
    )
}

fn seconds(run: &Run, key: &str) -> String {
    run.logged(key)
        .map_or("     -".into(), |ms| format!("{:>6.3}", ms / 1000.0))
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// The end-to-end cycle: the corpus on loopback, `wirefeed once --all` cold (fresh store),
/// warm (every source 304) and with identical bytes (200, no validators).
fn cycle_phases(feeds: usize, items: usize, floors: bool) {
    use std::sync::atomic::Ordering;
    let total_items = feeds * items;
    let t = Instant::now();
    let bodies = corpus(feeds, items);
    let corpus_bytes: usize = bodies.iter().map(Vec::len).sum();
    let state = Arc::new(Served {
        feeds: bodies.into_iter().map(bytes::Bytes::from).collect(),
        big: Default::default(),
        validators: true.into(),
    });
    let addr = serve(state.clone());
    println!(
        "corpus: {feeds} RSS feeds × {items} items of newsroom wire copy = {total_items} items, {:.1} MB, served on {addr} (built in {:.1} s)",
        corpus_bytes as f64 / 1e6,
        t.elapsed().as_secs_f64()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    // Every feed is on one loopback host here, where a newsroom's are on many: per_host
    // is raised to the concurrency so that the host limit does not serialise the corpus.
    let mut yaml = String::from(
        "store: store\nfeeds_dir: feeds\nbase_url: http://localhost:8080/\npoll:\n  concurrency: 16\n  per_host: 16\nsources:\n",
    );
    for f in 0..feeds {
        yaml.push_str(&format!(
            "  - id: s{f}\n    url: http://{addr}/f/{f}.xml\n    tags: [{}]\n",
            if f % 2 == 0 { "inland" } else { "ausland" }
        ));
    }
    yaml.push_str("feeds:\n  - id: alle\n    title: Alle\n    limit: 100\n  - id: politik\n    title: Politik\n    tags: [politik]\n  - id: inland\n    title: Inland\n    tags: [inland]\n    exclude: [\"/^zei/i\"]\n");
    std::fs::write(dir.path().join("config.yaml"), &yaml).expect("config");

    println!("binary: {}", binary());
    println!(
        "machine: {} cores, load before: {}",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        load()
    );
    println!(
        "wirefeed once --all                  wall s  cpu s  peak MiB   cycle  fetch+  store  flush  publ.  target"
    );
    println!("(wall and cpu: the whole process, Store::open included; then seconds as the cycle logs them: cycle::run, fetch and parse overlapped with the store pass, store, flush, publish)");
    let phase = |label: &str, what: &str, target: &str| {
        let run = wirefeed(dir.path(), &["once", "--all"], label);
        println!(
            "{what:<36} {:>6.3} {:>6.2} {:>9.0}  {} {} {} {} {}  {target}",
            run.wall.as_secs_f64(),
            run.cpu.as_secs_f64(),
            run.peak_mib,
            seconds(&run, "total_ms"),
            seconds(&run, "fetch_parse_ms"),
            seconds(&run, "store_ms"),
            seconds(&run, "flush_ms"),
            seconds(&run, "publish_ms"),
        );
        run
    };
    let cold = phase(
        "cold",
        "cold (fresh store, all new)",
        "< 5 s (aim 3 s), peak < 150 MB",
    );
    let warm = phase("warm", "warm (every source 304)", "< 0.5 s");
    state.validators.store(false, Ordering::Relaxed);
    let same = phase(
        "identical",
        "identical bytes (200, no validators)",
        "< 1.5 s",
    );
    state.validators.store(true, Ordering::Relaxed);
    for (run, label) in [(&cold, "cold"), (&warm, "warm"), (&same, "identical")] {
        if run.log.contains(" WARN ") || run.log.contains("ERROR") {
            println!("{label} cycle logged:\n{}", run.log);
        }
    }
    let peak = [&cold, &warm, &same]
        .iter()
        .map(|r| r.peak_mib)
        .fold(0.0, f64::max);
    let count = |key: &str| cold.logged(key).map_or("-".into(), |n| format!("{n:.0}"));
    println!(
        "cold: {} end to end; {} new stories, {} copies merged into them",
        rate(total_items, cold.wall),
        count("new_stories"),
        count("copies")
    );
    println!(
        "peak RSS of wirefeed over the three cycles: {peak:.0} MiB (the server is this process)"
    );
    println!(
        "store on disk after the cycles: {:.1} MiB",
        dir_size(&dir.path().join("store")) as f64 / 1048576.0
    );
    println!("load after: {}", load());
    if !floors {
        return;
    }
    // Stage floors measured alone, in this process: fetching the bodies, parsing them, and
    // quick-xml reading the same bytes without building items.
    let config = Config::from_yaml(&yaml, &dir.path().join("config.yaml"), dir.path())
        .expect("bench config is valid");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let fetcher = Fetcher::new(&config.poll).expect("client");
    let urls: Vec<url::Url> = (0..feeds)
        .map(|f| url::Url::parse(&format!("http://{addr}/f/{f}.xml")).expect("url"))
        .collect();
    let t = Instant::now();
    let no_validators = Validators::default();
    let bodies: Vec<Vec<u8>> = runtime.block_on(async {
        use futures_util::StreamExt;
        futures_util::stream::iter(
            urls.iter()
                .map(|u| fetcher.get(u, &no_validators, Origin::Config)),
        )
        .buffered(16)
        .map(|r| match r {
            Ok(Fetched::Body(b)) => b.bytes,
            other => panic!("fetch failed: {other:?}"),
        })
        .collect()
        .await
    });
    let fetch_time = t.elapsed();
    let t = Instant::now();
    let mut parsed_items = 0;
    for (b, u) in bodies.iter().zip(&urls) {
        parsed_items += wirefeed::parse::feed::parse_feed(b, u)
            .expect("corpus parses")
            .items
            .len();
    }
    let parse_time = t.elapsed();
    assert_eq!(parsed_items, total_items);
    let t = Instant::now();
    let mut floor_items = 0;
    for b in &bodies {
        let mut reader = quick_xml::Reader::from_reader(&b[..]);
        let mut buf = Vec::with_capacity(4096);
        loop {
            match reader.read_event_into(&mut buf) {
                Ok(quick_xml::events::Event::Start(e)) if e.name().as_ref() == b"item" => {
                    floor_items += 1
                }
                Ok(quick_xml::events::Event::Eof) => break,
                Err(e) => panic!("corpus is well-formed: {e}"),
                _ => {}
            }
            buf.clear();
        }
    }
    let floor_time = t.elapsed();
    assert_eq!(floor_items, total_items);
    println!("stages measured alone (one thread unless said):");
    println!(
        "  fetch (HTTP GET, 16 at once)        {}  {:.0} MB/s",
        rate(total_items, fetch_time),
        corpus_bytes as f64 / 1e6 / fetch_time.as_secs_f64()
    );
    println!(
        "  parse (parse_feed into items)       {}  {:.0} MB/s",
        rate(total_items, parse_time),
        corpus_bytes as f64 / 1e6 / parse_time.as_secs_f64()
    );
    println!(
        "  raw floor (quick-xml events only)   {}  {:.0} MB/s",
        rate(total_items, floor_time),
        corpus_bytes as f64 / 1e6 / floor_time.as_secs_f64()
    );
    println!(
        "  cold cycle end to end / raw floor   {:.0}×",
        cold.wall.as_secs_f64() / floor_time.as_secs_f64()
    );
}

/// One feed of `items` tiny items (`<item><title>N</title><link>https://example.org/N</link></item>`).
fn tiny_feed(items: usize) -> Vec<u8> {
    let mut xml = String::with_capacity(items * 64 + 200);
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Gross</title><link>https://example.org/</link>\n");
    for n in 0..items {
        xml.push_str(&format!(
            "<item><title>{n}</title><link>https://example.org/{n}</link></item>\n"
        ));
    }
    xml.push_str("</channel></rss>\n");
    xml.into_bytes()
}

/// Items of the tiny form that fit in `bytes` with the feed's frame.
fn tiny_items_within(bytes: usize) -> usize {
    let frame = tiny_feed(0).len();
    let mut used = frame;
    let mut n = 0;
    loop {
        let one = "<item><title></title><link>https://example.org/</link></item>\n".len()
            + 2 * n.to_string().len();
        if used + one > bytes {
            return n;
        }
        used += one;
        n += 1;
    }
}

/// Peak memory of `wirefeed once` on one huge delivery, from a spool file and over HTTP.
fn big_feeds() {
    let state = Arc::new(Served {
        feeds: Vec::new(),
        big: Default::default(),
        validators: true.into(),
    });
    let addr = serve(state.clone());
    println!(
        "one huge delivery, `wirefeed once` (default config but max_body), load before: {}",
        load()
    );
    println!(
        "feed                                          size MiB   max_body     from  peak MiB  logged"
    );
    let cases = [
        (tiny_items_within(10 << 20), None, "≤ 250 MB"),
        (165_000, Some("12MiB"), "≤ 250 MB"),
        (1_000_000, Some("100MiB"), "≤ 500 MB, overflow logged"),
    ];
    for (n, (items, max_body, target)) in cases.into_iter().enumerate() {
        let body = tiny_feed(items);
        let size = body.len();
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("gross.xml"), &body).expect("feed file");
        state
            .big
            .lock()
            .expect("lock")
            .push(bytes::Bytes::from(body));
        for from in ["file", "http"] {
            let url = match from {
                "file" => "gross.xml".to_string(),
                _ => format!("http://{addr}/big/{n}.xml"),
            };
            let poll = max_body.map_or(String::new(), |m| format!("poll:\n  max_body: {m}\n"));
            let store = format!("store-{from}");
            let yaml = format!(
                "store: {store}\nfeeds_dir: feeds-{from}\nbase_url: http://localhost/\n{poll}sources:\n  - id: gross\n    url: {url}\nfeeds:\n  - id: alle\n    title: Alle\n"
            );
            std::fs::write(dir.path().join("config.yaml"), yaml).expect("config");
            let run = wirefeed(dir.path(), &["once"], "big");
            let warned = run
                .log
                .lines()
                .find(|l| l.contains("only the first"))
                .map(|l| l.split_once("WARN ").map_or(l, |(_, w)| w))
                .unwrap_or("-")
                .to_string();
            println!(
                "{:<44} {:>9.1} {:>10} {:>8} {:>9.0}  {warned}  (target {target})",
                format!("{items} tiny items"),
                size as f64 / 1048576.0,
                max_body.unwrap_or("10MiB"),
                from,
                run.peak_mib,
            );
        }
    }
    println!("load after: {}", load());
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let only = |part: &str| args.iter().any(|a| a == part);
    let (cycle, big) = match (only("--cycle"), only("--big")) {
        (false, false) => (true, true),
        picked => picked,
    };
    if cycle {
        cycle_phases(
            arg("--feeds", 1000),
            arg("--items", 100),
            !only("--no-floors"),
        );
    }
    if big {
        big_feeds();
    }
}
