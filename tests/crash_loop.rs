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

#[test]
fn random_sigkills_of_run_lose_and_duplicate_nothing_and_formats_agree() {
    let rounds: usize = std::env::var("WIREFEED_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20);
    let server = TestServer::start();
    let mut total = 5;
    server.set("/feed.xml", Route::xml(stories(total)));
    let sources = format!(
        "  - id: a\n    url: {}\n    interval: 1s",
        server.url("/feed.xml")
    );
    let ws = Workspace::new(&config(
        &sources,
        "  - id: alle\n    title: Alle\n    limit: 5000",
    ));
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
    let published = rss_titles(&ws);
    let unique: BTreeSet<&String> = published.iter().collect();
    assert_eq!(unique.len(), published.len(), "a story published twice");
    let expected: BTreeSet<String> = (0..total)
        .map(|i| format!("Meldung {i} aus dem Kreis Beispiel"))
        .collect();
    let got: BTreeSet<String> = published.iter().cloned().collect();
    assert_eq!(got, expected, "every story once after {rounds} kills");
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
