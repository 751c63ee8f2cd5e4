//! Cycle benchmark: a synthetic corpus of 1,000 RSS feeds × 100 items of invented wire copy
//! (the newsroom stream of `tests/support/wiregen.rs`, with its formulas, template families
//! and republished copies) served on loopback by a child process, polled by the real cycle
//! into a real sled store.
//!
//! Runs a cold cycle (everything new), a warm cycle (every source answers 304) and a cycle
//! where every source answers 200 with identical bytes, and prints items/s per stage (fetch,
//! parse, dedup+store, publish) and end to end, the raw floor (quick-xml reading the same
//! bytes without building items), the ratio of end to end to that floor, peak RSS and the
//! store's size on disk.
//!
//! `cargo bench --bench cycle` (options: `-- --feeds N --items N`).

#[path = "../tests/support/wiregen.rs"]
mod wiregen;

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use wirefeed::config::Config;
use wirefeed::cycle::{self, Context, SourceOutcome};
use wirefeed::daemon::open_store;
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

/// The corpus server (child process): `/f/N.xml`, with an ETag until `/mode/no-validators`.
fn serve(feeds: usize, items: usize) {
    use axum::extract::{Path, State};
    use axum::http::{HeaderMap, StatusCode};
    use axum::response::IntoResponse;
    use std::sync::atomic::{AtomicBool, Ordering};
    struct Corpus {
        bodies: Vec<bytes::Bytes>,
        etags: bool,
        validators: AtomicBool,
    }
    let bodies = corpus(feeds, items)
        .into_iter()
        .map(bytes::Bytes::from)
        .collect();
    let state = Arc::new(Corpus {
        bodies,
        etags: true,
        validators: AtomicBool::new(true),
    });
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    rt.block_on(async move {
        async fn feed(
            State(c): State<Arc<Corpus>>,
            Path(name): Path<String>,
            headers: HeaderMap,
        ) -> axum::response::Response {
            let Some(n) = name
                .strip_suffix(".xml")
                .and_then(|n| n.parse::<usize>().ok())
            else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let Some(body) = c.bodies.get(n) else {
                return StatusCode::NOT_FOUND.into_response();
            };
            let etag = format!("\"v1-{n}\"");
            if c.etags && c.validators.load(Ordering::Relaxed) {
                if headers.get("if-none-match").and_then(|v| v.to_str().ok()) == Some(etag.as_str())
                {
                    return (StatusCode::NOT_MODIFIED, [("etag", etag)]).into_response();
                }
                return (
                    [
                        ("content-type", "application/rss+xml".to_string()),
                        ("etag", etag),
                    ],
                    body.clone(),
                )
                    .into_response();
            }
            ([("content-type", "application/rss+xml")], body.clone()).into_response()
        }
        async fn no_validators(State(c): State<Arc<Corpus>>) -> &'static str {
            c.validators.store(false, Ordering::Relaxed);
            "ok"
        }
        let app = axum::Router::new()
            .route("/f/{name}", axum::routing::get(feed))
            .route("/mode/no-validators", axum::routing::get(no_validators))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("{}", listener.local_addr().expect("addr"));
        std::io::stdout().flush().ok();
        axum::serve(listener, app).await.expect("serve");
    });
}

fn rss_mib(field: &str) -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn peak_rss_mib() -> f64 {
    rss_mib("VmHWM:")
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

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str, default: usize| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let feeds = arg("--feeds", 1000);
    let items = arg("--items", 100);
    if args.iter().any(|a| a == "serve-corpus") {
        serve(feeds, items);
        return;
    }
    let total_items = feeds * items;
    let mut server = Command::new(std::env::current_exe().expect("own path"))
        .args([
            "serve-corpus",
            "--feeds",
            &feeds.to_string(),
            "--items",
            &items.to_string(),
        ])
        .stdout(Stdio::piped())
        .spawn()
        .expect("start corpus server");
    let mut addr = String::new();
    BufReader::new(server.stdout.take().expect("stdout"))
        .read_line(&mut addr)
        .expect("server address");
    let addr = addr.trim().to_string();

    let dir = tempfile::tempdir().expect("temp dir");
    let mut yaml = String::from(
        "store: store\nfeeds_dir: feeds\nbase_url: http://localhost:8080/\npoll:\n  concurrency: 16\n  per_host: 16\n  timeout: 30s\nretention:\n  max_age: 30d\nsources:\n",
    );
    for f in 0..feeds {
        yaml.push_str(&format!(
            "  - id: s{f}\n    url: http://{addr}/f/{f}.xml\n    tags: [{}]\n",
            if f % 2 == 0 { "inland" } else { "ausland" }
        ));
    }
    yaml.push_str("feeds:\n  - id: alle\n    title: Alle\n    limit: 100\n  - id: politik\n    title: Politik\n    tags: [politik]\n  - id: inland\n    title: Inland\n    tags: [inland]\n    exclude: [\"/^zei/i\"]\n");
    std::fs::write(dir.path().join("config.yaml"), &yaml).expect("config");
    let config = Config::from_yaml(&yaml, &dir.path().join("config.yaml"), dir.path())
        .expect("bench config is valid");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .max_blocking_threads(8)
        .enable_all()
        .build()
        .expect("runtime");

    let store = Arc::new(open_store(&config).expect("store"));
    let ctx = Context {
        config: Arc::new(config.clone()),
        store: store.clone(),
        fetcher: Arc::new(Fetcher::new(&config.poll).expect("client")),
        on_source: None,
    };
    let run = |label: &str| {
        let t = Instant::now();
        let report = runtime
            .block_on(cycle::run(&ctx, &config.sources, false))
            .expect("cycle");
        let total = t.elapsed();
        let failed: Vec<_> = report
            .sources
            .iter()
            .filter(|s| matches!(s.outcome, SourceOutcome::Failed(_)))
            .collect();
        assert!(
            failed.is_empty(),
            "{label}: {} sources failed, e.g. {:?}",
            failed.len(),
            failed.first()
        );
        let new: usize = report
            .sources
            .iter()
            .map(|s| match s.outcome {
                SourceOutcome::Ingested { new, .. } => new,
                _ => 0,
            })
            .sum();
        (total, report, new)
    };

    println!(
        "wirefeed cycle benchmark: {feeds} feeds × {items} items = {total_items} items on loopback"
    );
    println!("RSS before the cold cycle: {:.0} MiB", rss_mib("VmRSS:"));
    let (cold, report, new) = run("cold");
    println!("RSS after the cold cycle: {:.0} MiB", rss_mib("VmRSS:"));
    let duplicates: usize = report
        .sources
        .iter()
        .map(|s| match s.outcome {
            SourceOutcome::Ingested { duplicates, .. } => duplicates,
            _ => 0,
        })
        .sum();
    println!("cold cycle: {new} new stories, {duplicates} copies merged into them");
    assert_eq!(
        new + duplicates,
        total_items,
        "every item is a story or a copy"
    );
    println!(
        "cold cycle (everything new):          {}",
        rate(total_items, cold)
    );
    println!(
        "  fetch+parse (overlapped)            {}",
        rate(total_items, report.stage_times.fetch_parse)
    );
    println!(
        "  dedup+store                         {}",
        rate(total_items, report.stage_times.store)
    );
    println!(
        "  store flush (once per cycle)        {:>7.3} s",
        report.stage_times.flush.as_secs_f64()
    );
    println!(
        "  publish ({} files)                  {:>7.3} s",
        report.published.len(),
        report.stage_times.publish.as_secs_f64()
    );
    let (warm, report, _) = run("warm");
    let not_modified = report
        .sources
        .iter()
        .filter(|s| s.outcome == SourceOutcome::NotModified)
        .count();
    assert_eq!(not_modified, feeds, "every source answered 304");
    println!(
        "warm cycle (all 304):                 {:>7.3} s",
        warm.as_secs_f64()
    );
    let mut resp = String::new();
    {
        use std::io::Read;
        let mut stream = std::net::TcpStream::connect(&addr).expect("connect");
        write!(
            stream,
            "GET /mode/no-validators HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        )
        .expect("write");
        stream.read_to_string(&mut resp).ok();
    }
    let (same, report, new) = run("identical");
    let unchanged = report
        .sources
        .iter()
        .filter(|s| s.outcome == SourceOutcome::Unchanged)
        .count();
    assert_eq!(
        (unchanged, new),
        (feeds, 0),
        "every source answered 200 with the same bytes"
    );
    println!(
        "identical-content cycle (all 200):    {:>7.3} s",
        same.as_secs_f64()
    );
    store.flush().expect("flush");
    let peak = peak_rss_mib();
    println!(
        "store on disk: {:.1} MiB for {} stories (sled reports {:.1} MiB)",
        dir_size(&config.store) as f64 / 1048576.0,
        store.story_count(),
        store.size_on_disk() as f64 / 1048576.0
    );
    println!("peak RSS during the cycles: {peak:.0} MiB (the corpus server is another process)");
    // Reopening rebuilds the store's in-memory index from disk: the daemon's start-up cost.
    let stories = store.story_count();
    drop(ctx);
    drop(store);
    let t = Instant::now();
    let reopened = open_store(&config).expect("reopen");
    println!(
        "Store::open on {stories} stories:       {:>7.3} s",
        t.elapsed().as_secs_f64()
    );
    drop(reopened);
    // Stage floors measured alone: fetching the bodies, parsing them.
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
    let corpus_bytes: usize = bodies.iter().map(Vec::len).sum();
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
    drop(bodies);

    println!("corpus: {:.1} MB of RSS", corpus_bytes as f64 / 1e6);
    println!("stages measured alone:");
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
        "  cold cycle end to end / raw floor   {:.1}×",
        cold.as_secs_f64() / floor_time.as_secs_f64()
    );
    let _ = server.kill();
    let _ = server.wait();
}
