//! A full disk under the store and the feeds: every cycle fails and says so on `/healthz`
//! (503, "failing"), the daemon opens its store again once space is freed and publishes
//! what came in meanwhile, and SIGTERM stops it cleanly (exit 0) even while the disk is
//! full. Needs a small tmpfs, so it runs as root only and is skipped with a message
//! elsewhere.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Option<Tmpfs> {
        // SAFETY: getuid has no preconditions.
        if unsafe { libc::getuid() } != 0 {
            eprintln!("skipped: the disk-full test mounts a tmpfs and needs root");
            return None;
        }
        std::fs::create_dir_all(at).unwrap();
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("skipped: cannot mount a tmpfs here (no CAP_SYS_ADMIN?)");
            return None;
        }
        Some(Tmpfs(at.to_path_buf()))
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes until the filesystem is full; returns the filler's path.
fn fill(dir: &Path) -> PathBuf {
    let path = dir.join("filler");
    let mut f = std::fs::File::create(&path).unwrap();
    let block = vec![0x55u8; 64 * 1024];
    while f.write_all(&block).is_ok() {}
    let small = [0u8; 512];
    while f.write_all(&small).is_ok() {}
    let _ = f.sync_all();
    path
}

fn healthz(client: &reqwest::blocking::Client, base: &str) -> Option<(u16, String)> {
    let r = client.get(format!("{base}/healthz")).send().ok()?;
    let code = r.status().as_u16();
    Some((code, r.text().unwrap_or_default()))
}

/// Waits for `cond`; on a timeout the daemon's log (`log`) is shown.
fn wait_for(log: &Path, what: &str, timeout: Duration, mut cond: impl FnMut() -> bool) {
    let start = Instant::now();
    while !cond() {
        if start.elapsed() > timeout {
            let log = std::fs::read_to_string(log).unwrap_or_default();
            panic!("timed out waiting for {what}; the daemon's log:\n{log}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

fn wait_exit(child: &mut Child, timeout: Duration) -> std::process::ExitStatus {
    let start = Instant::now();
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        assert!(start.elapsed() < timeout, "no exit within {timeout:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn items(n: usize, prefix: &str) -> String {
    // Every story its own words, so none is a near-duplicate of another.
    let texts: Vec<(String, String, String)> = (0..n)
        .map(|i| {
            let words: String = (0..60)
                .map(|w| format!("{prefix}{}x{} ", w * 7919 + i * 104_729, w))
                .collect();
            (
                format!("{prefix} Meldung {i}"),
                format!("{prefix}-{i}"),
                words,
            )
        })
        .collect();
    let date = hours_ago(1);
    let rows: Vec<(&str, &str, &str, &str)> = texts
        .iter()
        .map(|(t, g, b)| (t.as_str(), g.as_str(), b.as_str(), date.as_str()))
        .collect();
    rss(&rows)
}

#[test]
fn the_daemon_recovers_from_a_full_disk_and_stops_cleanly() {
    let ws_dir = tempfile::tempdir().unwrap();
    let Some(disk) = Tmpfs::mount(&ws_dir.path().join("disk"), "24m") else {
        return;
    };
    let server = TestServer::start();
    server.set("/feed.xml", Route::xml(items(5, "Vorher")));
    let port = free_port();
    let sources = format!(
        "  - id: a\n    url: {}\n    interval: 1s",
        server.url("/feed.xml")
    );
    let cfg = config(&sources, "  - id: alle\n    title: Alle\n    limit: 500")
        .replace("store: store", "store: disk/store")
        .replace("feeds_dir: feeds", "feeds_dir: disk/feeds");
    let cfg = serving_on(&cfg, port);
    let config_path = ws_dir.path().join("config.yaml");
    std::fs::write(&config_path, cfg).unwrap();
    let feed = disk.0.join("feeds/alle.rss");
    let log = ws_dir.path().join("daemon.log");
    let mut child = Command::new(env!("CARGO_BIN_EXE_wirefeed"))
        .arg("--config")
        .arg(&config_path)
        .arg("run")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(ws_dir.path().join("daemon.log")).unwrap())
        .spawn()
        .expect("start daemon");
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    wait_for(&log, "the first publish", Duration::from_secs(30), || {
        std::fs::read_to_string(&feed).is_ok_and(|f| f.contains("Vorher Meldung 4"))
    });
    wait_for(&log, "healthz 200", Duration::from_secs(10), || {
        healthz(&client, &base).is_some_and(|(c, _)| c == 200)
    });

    // The disk fills up, and the source has a lot to store.
    let filler = fill(&disk.0);
    server.set("/feed.xml", Route::xml(items(300, "Danach")));
    wait_for(
        &log,
        "healthz 503 while cycles fail",
        Duration::from_secs(60),
        || healthz(&client, &base).is_some_and(|(c, b)| c == 503 && b.contains("failing")),
    );
    assert!(
        child.try_wait().unwrap().is_none(),
        "the daemon keeps running"
    );

    // Space comes back: the daemon recovers without a restart.
    std::fs::remove_file(&filler).unwrap();
    wait_for(
        &log,
        "the stories that came in during the outage",
        Duration::from_secs(90),
        || std::fs::read_to_string(&feed).is_ok_and(|f| f.contains("Danach Meldung 299")),
    );
    wait_for(&log, "healthz 200 again", Duration::from_secs(30), || {
        healthz(&client, &base).is_some_and(|(c, _)| c == 200)
    });
    let published = std::fs::read_to_string(&feed).unwrap();
    assert!(published.contains("Vorher Meldung 0"), "nothing lost");
    for title in (0..5)
        .map(|i| format!("Vorher Meldung {i}<"))
        .chain((0..300).map(|i| format!("Danach Meldung {i}<")))
    {
        if published.matches(&title).count() != 1 {
            let log = std::fs::read_to_string(ws_dir.path().join("daemon.log")).unwrap();
            panic!(
                "{title} found {} times\n{log}\n{published}",
                published.matches(&title).count()
            );
        }
    }

    // A full disk again, then SIGTERM: a clean stop all the same.
    let _filler = fill(&disk.0);
    std::thread::sleep(Duration::from_secs(2));
    // SAFETY: a signal to our own child by pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let status = wait_exit(&mut child, Duration::from_secs(10));
    let log = std::fs::read_to_string(ws_dir.path().join("daemon.log")).unwrap();
    assert!(status.success(), "SIGTERM on a full disk: {status}\n{log}");
    assert!(log.contains("store opened again"), "{log}");
}
