//! The daemon as systemd and operators drive it: SIGHUP reloads (a bad config is refused and
//! the old one keeps running), SIGTERM stops within 5 s, kill -9 mid-cycle loses nothing
//! and publishes nothing twice.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

fn spawn_run(ws: &Workspace) -> Child {
    Command::new(env!("CARGO_BIN_EXE_wirefeed"))
        .arg("--config")
        .arg(ws.config_path())
        .arg("run")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("start daemon")
}

fn signal(child: &Child, sig: libc::c_int) {
    // SAFETY: sending a signal to our own child process by pid.
    let rc = unsafe { libc::kill(child.id() as libc::pid_t, sig) };
    assert_eq!(rc, 0, "kill({sig}) failed");
}

fn wait_exit(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            start.elapsed() < timeout,
            "daemon did not exit within {timeout:?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn guids(ws: &Workspace, name: &str) -> Vec<String> {
    let channel = rss::Channel::read_from(ws.feed(name).as_bytes()).expect("valid RSS");
    channel
        .items()
        .iter()
        .map(|i| i.guid().map(|g| g.value().to_string()).unwrap_or_default())
        .collect()
}

#[test]
fn sighup_reloads_a_valid_config_and_keeps_running_on_an_invalid_one() {
    let server = TestServer::start();
    server.set(
        "/feed.xml",
        Route::xml(rss(&[("Meldung am Morgen", "m-1", "Text.", &hours_ago(1))])),
    );
    let sources = format!(
        "  - id: a\n    url: {}\n    interval: 1h",
        server.url("/feed.xml")
    );
    let ws = Workspace::new(&config(&sources, "  - id: alle\n    title: Alle"));
    let mut child = spawn_run(&ws);
    let log = StderrLog::capture(&mut child);
    wait_for("first publish", Duration::from_secs(20), || {
        ws.feed_path("alle.rss").exists()
    });

    ws.write_config(&config(
        &sources,
        "  - id: alle\n    title: Alle\n  - id: neu\n    title: Neu",
    ));
    signal(&child, libc::SIGHUP);
    wait_for("the new feed after SIGHUP", Duration::from_secs(10), || {
        ws.feed_path("neu.rss").exists()
    });

    ws.write_config("base_url: http://x/\nsources:\n  - id: a\n    url: ftp://nope\nfeeds: []\n");
    signal(&child, libc::SIGHUP);
    wait_for(
        "the invalid config to be refused",
        Duration::from_secs(10),
        || log.text().contains("config not reloaded"),
    );
    assert!(
        log.text().contains("config.yaml:4:10:"),
        "the invalid config is logged with line and column: {}",
        log.text()
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "an invalid config must not stop the daemon"
    );
    assert!(
        ws.feed_path("neu.rss").exists(),
        "the running config's outputs stay"
    );

    // The old config still runs: a valid change is picked up from disk without a signal.
    ws.write_config(&config(&sources, "  - id: alle\n    title: Alle"));
    wait_for(
        "the removed feed's files to go",
        Duration::from_secs(10),
        || !ws.feed_path("neu.rss").exists(),
    );

    let asked = Instant::now();
    signal(&child, libc::SIGTERM);
    let status = wait_exit(&mut child, Duration::from_secs(5));
    assert!(status.success(), "exit 0 on SIGTERM: {status:?}");
    assert!(asked.elapsed() < Duration::from_secs(5));
    wait_for(
        "the log of both valid reloads",
        Duration::from_secs(5),
        || log.text().matches("config reloaded").count() == 2,
    );
}

#[test]
fn sigterm_during_a_slow_fetch_stops_within_five_seconds() {
    let server = TestServer::start();
    server.set(
        "/slow.xml",
        Route::xml(rss(&[("Langsam", "l-1", "x", &hours_ago(1))]))
            .with_delay(Duration::from_secs(20)),
    );
    let sources = format!("  - id: a\n    url: {}", server.url("/slow.xml"));
    let mut cfg = config(&sources, "  - id: alle\n    title: Alle");
    cfg = cfg.replace("timeout: 3s", "timeout: 60s");
    let ws = Workspace::new(&cfg);
    let mut child = spawn_run(&ws);
    wait_for("the fetch to start", Duration::from_secs(20), || {
        !server.seen("/slow.xml").is_empty() || ws.feed_path("alle.rss").exists()
    });
    std::thread::sleep(Duration::from_millis(200));
    signal(&child, libc::SIGTERM);
    let status = wait_exit(&mut child, Duration::from_secs(5));
    assert!(status.success(), "{status:?}");
    // The store was flushed and released: another instance can open it at once.
    ws.wirefeed(&["check"]);
    let out = ws.wirefeed(&["once"]);
    assert_ne!(
        out.status.code(),
        Some(1),
        "store still locked: {}",
        stderr(&out)
    );
}

#[test]
fn kill_9_mid_cycle_loses_nothing_and_publishes_nothing_twice() {
    let server = TestServer::start();
    let n = 40;
    let items: Vec<(String, String, String, String)> = (0..n)
        .map(|i| {
            (
                format!("Meldung Nummer {i} aus dem Landkreis Beispiel"),
                format!("k-{i}"),
                format!("Bericht {i}: Der Kreistag hat in seiner {i}. Sitzung über Vorhaben {} beraten.", i * 7),
                hours_ago(1 + i),
            )
        })
        .collect();
    let as_refs: Vec<(&str, &str, &str, &str)> = items
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str()))
        .collect();
    server.set("/fast.xml", Route::xml(rss(&as_refs[..20])));
    server.set(
        "/slow.xml",
        Route::xml(rss(&as_refs[20..])).with_delay(Duration::from_secs(2)),
    );
    let sources = format!(
        "  - id: fast\n    url: {}\n  - id: slow\n    url: {}",
        server.url("/fast.xml"),
        server.url("/slow.xml")
    );
    // A generous timeout: the slow source answers after 2 s, and a loaded CI machine must
    // not turn that into a timeout.
    let ws = Workspace::new(
        &config(&sources, "  - id: alle\n    title: Alle\n    limit: 100")
            .replace("timeout: 3s", "timeout: 15s"),
    );
    for round in 0..3 {
        let mut child = spawn_run(&ws);
        wait_for("the slow fetch", Duration::from_secs(20), || {
            server.seen("/slow.xml").len() > round
        });
        std::thread::sleep(Duration::from_millis(300 * round as u64));
        signal(&child, libc::SIGKILL);
        let _ = child.wait();
    }
    ws.once();
    let published = guids(&ws, "alle.rss");
    let mut unique = published.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        published.len(),
        "a story published twice: {published:?}"
    );
    assert_eq!(published.len(), n as usize, "every story published once");
    // And the ids are stable across a further cycle.
    ws.once();
    assert_eq!(guids(&ws, "alle.rss"), published);
}

#[test]
fn running_daemon_serves_feeds_health_and_metrics_and_answers_status() {
    let server = TestServer::start();
    server.set(
        "/feed.xml",
        Route::xml(rss(&[("Meldung für Leser", "r-1", "Text.", &hours_ago(1))]))
            .with_etag("\"e1\""),
    );
    let port = free_port();
    let sources = format!("  - id: a\n    url: {}", server.url("/feed.xml"));
    let cfg = serving_on(&config(&sources, "  - id: alle\n    title: Alle"), port);
    let ws = Workspace::new(&cfg);
    let mut child = spawn_run(&ws);
    wait_for("first publish", Duration::from_secs(20), || {
        ws.feed_path("alle.rss").exists()
    });
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::blocking::Client::new();
    let mut feed = None;
    wait_for("the HTTP server", Duration::from_secs(10), || {
        feed = client.get(format!("{base}/alle.rss")).send().ok();
        feed.is_some()
    });
    let feed = feed.unwrap();
    assert_eq!(feed.status(), 200);
    assert_eq!(
        feed.headers()["content-type"],
        "application/rss+xml; charset=utf-8"
    );
    let etag = feed.headers()["etag"].to_str().unwrap().to_string();
    assert!(feed.text().unwrap().contains("Meldung für Leser"));
    let again = client
        .get(format!("{base}/alle.rss"))
        .header("if-none-match", &etag)
        .send()
        .unwrap();
    assert_eq!(again.status(), 304);
    wait_for("a healthy cycle", Duration::from_secs(10), || {
        client
            .get(format!("{base}/healthz"))
            .send()
            .is_ok_and(|r| r.status() == 200)
    });
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    assert!(
        metrics.contains("wirefeed_http_responses_total{source=\"a\",status=\"200\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("wirefeed_feed_items{feed=\"alle\"} 1"),
        "{metrics}"
    );
    assert_eq!(
        client
            .get(format!("{base}/../config.yaml"))
            .send()
            .unwrap()
            .status(),
        404
    );

    // While the daemon holds the store, `status` reads its snapshot and `once` is refused.
    let status = ws.wirefeed(&["status"]);
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
    let table = String::from_utf8_lossy(&status.stdout);
    assert!(
        table.contains("alle")
            && table
                .lines()
                .any(|l| l.starts_with("a ") && l.contains("ok")),
        "{table}"
    );
    let refused = ws.wirefeed(&["once"]);
    assert_eq!(refused.status.code(), Some(1));
    assert!(stderr(&refused).contains("locked by another running wirefeed"));

    signal(&child, libc::SIGTERM);
    assert!(wait_exit(&mut child, Duration::from_secs(5)).success());
}

#[test]
fn websub_hubs_are_pinged_after_a_publish() {
    let server = TestServer::start();
    server.set(
        "/feed.xml",
        Route::xml(rss(&[(
            "Meldung für den Hub",
            "h-1",
            "Text.",
            &hours_ago(1),
        )])),
    );
    server.set("/hub", Route::ok("text/plain", "").with_status(202));
    let sources = format!("  - id: a\n    url: {}", server.url("/feed.xml"));
    let cfg = config(&sources, "  - id: alle\n    title: Alle").replace(
        "sources:\n",
        &format!("websub:\n  hubs: [{}]\nsources:\n", server.url("/hub")),
    );
    let ws = Workspace::new(&cfg);
    let mut child = spawn_run(&ws);
    wait_for("a hub ping", Duration::from_secs(20), || {
        !server.seen("/hub").is_empty()
    });
    assert!(
        ws.feed("alle.rss").contains("rel=\"hub\""),
        "outputs name the hub"
    );
    signal(&child, libc::SIGTERM);
    assert!(wait_exit(&mut child, Duration::from_secs(5)).success());
    // One ping per changed output file (rss, atom, json) of the one feed.
    assert_eq!(server.seen("/hub").len(), 3, "{:?}", server.seen("/hub"));
}

/// Issue 10: a restarted daemon shows every source's history at once (an HTTP feed and a
/// spool folder), before any of them is polled again: `/sources` and `status` read the
/// persisted state, `/metrics` has every source's series after the first cycle.
#[test]
fn a_restarted_daemon_shows_every_source_history_at_once() {
    let server = TestServer::start();
    server.set(
        "/feed.xml",
        Route::xml(rss(&[(
            "Meldung vor dem Neustart",
            "n-1",
            "Text.",
            &hours_ago(1),
        )])),
    );
    let port = free_port();
    let sources = format!(
        "  - id: netz\n    url: {}\n    interval: 1h\n  - id: ablage\n    url: spool\n    interval: 1h",
        server.url("/feed.xml")
    );
    let cfg = serving_on(&config(&sources, "  - id: alle\n    title: Alle"), port);
    let ws = Workspace::new(&cfg);
    std::fs::create_dir(ws.path().join("spool")).unwrap();
    std::fs::write(
        ws.path().join("spool/lieferung.xml"),
        rss(&[("Aus der Ablage", "s-1", "Text.", &hours_ago(2))]),
    )
    .unwrap();
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::blocking::Client::new();
    let mut child = spawn_run(&ws);
    wait_for("a healthy cycle", Duration::from_secs(20), || {
        client
            .get(format!("{base}/healthz"))
            .send()
            .is_ok_and(|r| r.status() == 200)
    });
    signal(&child, libc::SIGTERM);
    assert!(wait_exit(&mut child, Duration::from_secs(5)).success());
    let fetched = server.seen("/feed.xml").len();

    let mut child = spawn_run(&ws);
    let mut page = String::new();
    wait_for(
        "/sources after the restart",
        Duration::from_secs(10),
        || match client.get(format!("{base}/sources")).send() {
            Ok(r) if r.status() == 200 => {
                page = r.text().unwrap_or_default();
                true
            }
            _ => false,
        },
    );
    // Metrics carry the persisted series from the first cycle after the restart, which
    // polls nothing here.
    wait_for(
        "the first cycle after the restart",
        Duration::from_secs(20),
        || {
            client
                .get(format!("{base}/healthz"))
                .send()
                .is_ok_and(|r| r.status() == 200)
        },
    );
    let metrics = client
        .get(format!("{base}/metrics"))
        .send()
        .unwrap()
        .text()
        .unwrap();
    let status = ws.wirefeed(&["status"]);
    signal(&child, libc::SIGTERM);
    assert!(wait_exit(&mut child, Duration::from_secs(5)).success());

    assert_eq!(
        server.seen("/feed.xml").len(),
        fetched,
        "nothing was due: the history shown is the persisted one"
    );
    assert!(!page.contains("No source has been polled yet"), "{page}");
    for id in ["netz", "ablage"] {
        let row = page
            .split("<tr>")
            .find(|r| r.contains(&format!("<td>{id}</td>")))
            .unwrap_or_else(|| panic!("{id} missing from /sources: {page}"));
        assert!(!row.contains("never"), "{id} shows no last success: {row}");
        assert!(
            metrics.contains(&format!(
                "wirefeed_source_last_success_timestamp_seconds{{source=\"{id}\"}}"
            )),
            "{id} has no series after the restart: {metrics}"
        );
    }
    let table = String::from_utf8_lossy(&status.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.starts_with("netz ") && l.contains("ok"))
            && table
                .lines()
                .any(|l| l.starts_with("ablage ") && l.contains("ok")),
        "{table}"
    );
}
