//! The crash loop: `run` killed with SIGKILL at random moments, 20 times in CI (set
//! WIREFEED_CRASH_ROUNDS for more; scripts/crash-loop.sh runs 200), while its source grows
//! by a few stories every round. After recovery every story is published exactly once, and
//! the RSS, Atom and JSON outputs of the feed hold the same stories. Every third round it is
//! stopped cleanly instead, leaving an index image (even of this small store), which the next
//! round loads and then leaves stale by its writes before it is killed: a stale image must
//! never be used.

mod support;

use rand::Rng;
use std::collections::BTreeSet;
use std::process::{Command, Stdio};
use std::time::Duration;
use support::*;

fn stories(n: usize) -> String {
    let items: Vec<(String, String, String, String)> = (0..n)
        .map(|i| {
            (
                format!("Meldung {i} aus dem Kreis Beispiel"),
                format!("c-{i}"),
                format!(
                    "Bericht {i}: der Rat berät Vorhaben {} und {}.",
                    i * 7,
                    i * 13
                ),
                hours_ago(1 + (i as i64 % 200)),
            )
        })
        .collect();
    let refs: Vec<(&str, &str, &str, &str)> = items
        .iter()
        .map(|(a, b, c, d)| (a.as_str(), b.as_str(), c.as_str(), d.as_str()))
        .rev()
        .collect();
    rss(&refs)
}

fn rss_titles(ws: &Workspace) -> Vec<String> {
    let channel = rss::Channel::read_from(ws.feed("alle.rss").as_bytes()).expect("valid RSS");
    channel
        .items()
        .iter()
        .map(|i| i.title().unwrap_or_default().to_string())
        .collect()
}

fn atom_titles(ws: &Workspace) -> Vec<String> {
    let feed =
        atom_syndication::Feed::read_from(ws.feed("alle.atom").as_bytes()).expect("valid Atom");
    feed.entries()
        .iter()
        .map(|e| e.title().value.clone())
        .collect()
}

fn json_titles(ws: &Workspace) -> Vec<String> {
    let feed: serde_json::Value = serde_json::from_str(&ws.feed("alle.json")).expect("JSON");
    feed["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| i["title"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// A workspace polling the test server's `/feed.xml` every second into one feed, `alle`.
fn workspace(server: &TestServer) -> Workspace {
    let sources = format!(
        "  - id: a\n    url: {}\n    interval: 1s",
        server.url("/feed.xml")
    );
    Workspace::new(&config(
        &sources,
        "  - id: alle\n    title: Alle\n    limit: 5000",
    ))
}

/// Asserts that the RSS feed holds each of the first `total` stories exactly once, and
/// returns their titles.
fn each_story_once(ws: &Workspace, total: usize, when: &str) -> BTreeSet<String> {
    let published = rss_titles(ws);
    let got: BTreeSet<String> = published.iter().cloned().collect();
    assert_eq!(got.len(), published.len(), "a story published twice {when}");
    let expected: BTreeSet<String> = (0..total)
        .map(|i| format!("Meldung {i} aus dem Kreis Beispiel"))
        .collect();
    assert_eq!(got, expected, "every story once {when}");
    got
}

#[test]
fn random_sigkills_of_run_lose_and_duplicate_nothing_and_formats_agree() {
    let rounds: usize = std::env::var("WIREFEED_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let server = TestServer::start();
    let mut total = 5;
    server.set("/feed.xml", Route::xml(stories(total)));
    let ws = workspace(&server);
    let mut rng = rand::rng();
    let mut images = 0;
    for round in 0..rounds {
        total += rng.random_range(1..6);
        server.set("/feed.xml", Route::xml(stories(total)));
        // Every other round the store checkpoints at every flush (closes and reopens sled),
        // so some kills land inside a checkpoint.
        let checkpoint_bytes = if round % 2 == 0 { "1" } else { "67108864" };
        let clean_stop = round % 3 == 1;
        let mut child = Command::new(env!("CARGO_BIN_EXE_wirefeed"))
            .env("WIREFEED_CHECKPOINT_BYTES", checkpoint_bytes)
            .env("WIREFEED_IMAGE_MIN_STORIES", "1")
            .arg("--config")
            .arg(ws.config_path())
            .arg("run")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start daemon");
        if clean_stop {
            // Late enough that the daemon handles the signal (before, SIGTERM just ends it).
            std::thread::sleep(Duration::from_millis(rng.random_range(400..1500)));
            // SAFETY: a signal to our own child by pid.
            unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
            let _ = child.wait();
            if ws.path().join("store").join("index.image").exists() {
                images += 1;
            }
            continue;
        }
        std::thread::sleep(Duration::from_millis(rng.random_range(20..900)));
        // SAFETY: a signal to our own child by pid.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        let _ = child.wait();
    }
    if rounds >= 3 {
        assert!(images > 0, "no clean stop left an index image");
    }
    ws.once();
    let got = each_story_once(&ws, total, &format!("after {rounds} kills"));
    let atom: BTreeSet<String> = atom_titles(&ws).into_iter().collect();
    let json: BTreeSet<String> = json_titles(&ws).into_iter().collect();
    assert_eq!(atom, got, "Atom and RSS hold the same stories");
    assert_eq!(json, got, "JSON Feed and RSS hold the same stories");
    // No temporary file of a killed publish is left behind.
    let leftovers: Vec<String> = std::fs::read_dir(ws.path().join("feeds"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// The moment that broke the loop about once in seven CI runs: `run` killed while sled wrote
/// the snapshot it writes at every open (so at every checkpoint). The kill left
/// `snap.<lsn>.generating` empty (seen under gdb, killed just after its creation), and sled
/// refused the store at every open from then on ("empty/corrupt snapshot file found").
#[test]
fn a_kill_while_sled_writes_its_snapshot_leaves_a_store_that_opens_with_every_story() {
    let server = TestServer::start();
    let ws = workspace(&server);
    // Two runs, so that sled has a finished snapshot and has written past it.
    server.set("/feed.xml", Route::xml(stories(4)));
    ws.once();
    server.set("/feed.xml", Route::xml(stories(7)));
    ws.once();
    let store = ws.path().join("store");
    let newest = std::fs::read_dir(&store)
        .expect("store")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| u64::from_str_radix(n.strip_prefix("snap.")?, 16).ok())
        .max()
        .expect("a finished snapshot");
    let killed = store.join(format!("snap.{:016X}.generating", newest + 1));
    std::fs::write(&killed, b"").expect("the file a kill left");
    server.set("/feed.xml", Route::xml(stories(9)));
    let out = ws.once();
    assert!(
        stderr(&out).contains("sled had not finished writing"),
        "the removal is logged: {}",
        stderr(&out)
    );
    assert!(!killed.exists());
    each_story_once(&ws, 9, "after the unfinished snapshot was removed");
}

/// The same moment hit on purpose: each round kills `run` the instant sled creates its next
/// snapshot file (inotify on the store folder), at its open or at a checkpoint, so the
/// three writes that follow are cut at different points. Without the fix 5 of 5 runs of
/// this test ended with a store sled refused; the random kills above met that moment about
/// once in seven CI runs.
#[test]
fn kills_aimed_at_sleds_snapshot_write_lose_and_duplicate_nothing() {
    let rounds: usize = std::env::var("WIREFEED_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map_or(8, |r: usize| r.div_ceil(2));
    let server = TestServer::start();
    let mut total = 3;
    server.set("/feed.xml", Route::xml(stories(total)));
    let ws = workspace(&server);
    let store = ws.path().join("store");
    // sled takes a folder that exists; the watch needs it before the first open.
    std::fs::create_dir_all(&store).expect("store folder");
    let mut rng = rand::rng();
    let mut aimed = 0;
    for _ in 0..rounds {
        total += rng.random_range(1..4);
        server.set("/feed.xml", Route::xml(stories(total)));
        let watch = SnapshotWatch::new(&store);
        let mut child = Command::new(env!("CARGO_BIN_EXE_wirefeed"))
            .env("WIREFEED_CHECKPOINT_BYTES", "1")
            .arg("--config")
            .arg(ws.config_path())
            .arg("run")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start daemon");
        // An open with nothing new in the log writes no snapshot: then the round's first
        // checkpoint does, or the kill comes anyway.
        if watch.created(Duration::from_secs(3)) {
            aimed += 1;
        }
        // SAFETY: a signal to our own child by pid.
        unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGKILL) };
        let _ = child.wait();
    }
    assert!(aimed > 0, "no kill met sled writing a snapshot");
    ws.once();
    each_story_once(&ws, total, &format!("after {aimed} aimed kills"));
}

/// Tells when a `snap.*.generating` file is created in a folder (Linux inotify).
struct SnapshotWatch {
    fd: libc::c_int,
}

impl SnapshotWatch {
    fn new(dir: &std::path::Path) -> SnapshotWatch {
        use std::os::unix::ffi::OsStrExt;
        let dir = std::ffi::CString::new(dir.as_os_str().as_bytes()).expect("no NUL in a path");
        // SAFETY: plain syscalls on a descriptor this watch owns.
        let fd = unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) };
        assert!(fd >= 0, "inotify: {}", std::io::Error::last_os_error());
        // SAFETY: as above; `dir` outlives the call.
        let wd = unsafe { libc::inotify_add_watch(fd, dir.as_ptr(), libc::IN_CREATE) };
        assert!(wd >= 0, "inotify: {}", std::io::Error::last_os_error());
        SnapshotWatch { fd }
    }

    /// Waits up to `limit` for the creation of a snapshot file; whether it came.
    fn created(&self, limit: Duration) -> bool {
        const HEADER: usize = std::mem::size_of::<libc::inotify_event>();
        let started = std::time::Instant::now();
        let mut buf = [0u8; 4096];
        loop {
            // SAFETY: reads into a buffer of the length given.
            let n = unsafe { libc::read(self.fd, buf.as_mut_ptr().cast(), buf.len()) };
            let mut at = 0;
            while n > 0 && at + HEADER <= n as usize {
                // SAFETY: the kernel wrote a whole event header at `at`; unaligned read.
                let event: libc::inotify_event =
                    unsafe { std::ptr::read_unaligned(buf.as_ptr().add(at).cast()) };
                let name = &buf[at + HEADER..at + HEADER + event.len as usize];
                let name = name.split(|&b| b == 0).next().unwrap_or_default();
                if name.starts_with(b"snap.") && name.ends_with(b".generating") {
                    return true;
                }
                at += HEADER + event.len as usize;
            }
            let Some(left) = limit.checked_sub(started.elapsed()) else {
                return false;
            };
            let mut ready = libc::pollfd {
                fd: self.fd,
                events: libc::POLLIN,
                revents: 0,
            };
            // SAFETY: one pollfd, owned here.
            unsafe { libc::poll(&mut ready, 1, left.as_millis().max(1) as libc::c_int) };
        }
    }
}

impl Drop for SnapshotWatch {
    fn drop(&mut self) {
        // SAFETY: the descriptor is this watch's own.
        unsafe { libc::close(self.fd) };
    }
}
