//! The README's first command, checked with real feed readers: the shipped config.yaml with
//! the bundled sample deliveries is run once, and every output is read by Python's
//! feedparser (no `bozo`, every entry with id, link and date) and by Debian's newsboat.
//!
//! The readers are installed by scripts/test.sh. Outside CI a missing reader skips its check
//! with a note; under CI (CI=true) a missing reader fails the test.

use std::path::Path;
use std::process::Command;

mod support;
use support::{have, require};

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Runs the shipped config over a copy of the repository's samples; returns the temp dir.
fn publish_samples() -> tempfile::TempDir {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = tempfile::tempdir().unwrap();
    std::fs::copy(root.join("config.yaml"), dir.path().join("config.yaml")).unwrap();
    copy_dir(&root.join("samples"), &dir.path().join("samples"));
    let out = Command::new(env!("CARGO_BIN_EXE_wirefeed"))
        .arg("--config")
        .arg(dir.path().join("config.yaml"))
        .arg("once")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty() && out.stderr.is_empty(),
        "once prints nothing on success: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

#[test]
fn shipped_config_publishes_feeds_that_feedparser_reads_cleanly() {
    let dir = publish_samples();
    let feeds = dir.path().join("feeds");
    for name in ["alle", "politik", "wirtschaft", "recommended"] {
        for ext in ["rss", "atom", "json"] {
            assert!(feeds.join(format!("{name}.{ext}")).exists(), "{name}.{ext}");
        }
    }
    let alle = std::fs::read_to_string(feeds.join("alle.rss")).unwrap();
    assert!(alle.matches("<item>").count() >= 8, "non-empty: {alle}");
    if !require("feedparser", have("python3", &["-c", "import feedparser"])) {
        return;
    }
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/check-feeds.py");
    let out = Command::new("python3")
        .arg(script)
        .arg(&feeds)
        .output()
        .unwrap();
    let report =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "feedparser found problems:\n{report}");
    assert!(report.contains("alle.rss"), "{report}");
}

#[test]
fn shipped_config_publishes_feeds_that_newsboat_reads() {
    let dir = publish_samples();
    if !require("newsboat", have("newsboat", &["--version"])) {
        return;
    }
    let feeds = dir.path().join("feeds");
    let mut urls = String::new();
    let mut files = Vec::new();
    for name in ["alle", "politik", "wirtschaft", "recommended"] {
        for ext in ["rss", "atom"] {
            let path = feeds.join(format!("{name}.{ext}"));
            urls.push_str(&format!("file://{}\n", path.display()));
            files.push(path);
        }
    }
    std::fs::write(dir.path().join("urls"), urls).unwrap();
    std::fs::write(dir.path().join("newsboat.conf"), "").unwrap();
    let out = Command::new("newsboat")
        .current_dir(dir.path())
        .env("HOME", dir.path())
        .args([
            "-u",
            "urls",
            "-c",
            "cache.db",
            "-C",
            "newsboat.conf",
            "-x",
            "reload",
            "print-unread",
        ])
        .output()
        .unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "newsboat failed: {said}");
    assert!(
        !said.to_lowercase().contains("error"),
        "newsboat reported an error: {said}"
    );
    let unread: usize = said
        .split_whitespace()
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("newsboat printed no unread count: {said}"));
    // Every story of every RSS and Atom output is read as an article, nothing rejected.
    // newsboat keys articles by guid across feeds, and our RSS guids and Atom ids of one
    // story are the same, so it counts each distinct story once.
    let mut ids = std::collections::BTreeSet::new();
    for f in &files {
        let bytes = std::fs::read(f).unwrap();
        if f.extension().is_some_and(|e| e == "rss") {
            let channel = rss::Channel::read_from(&bytes[..]).unwrap();
            ids.extend(
                channel
                    .items()
                    .iter()
                    .map(|i| i.guid().unwrap().value().to_string()),
            );
        } else {
            let feed = atom_syndication::Feed::read_from(&bytes[..]).unwrap();
            ids.extend(feed.entries().iter().map(|e| e.id().to_string()));
        }
    }
    let expected = ids.len();
    assert!(expected > 0);
    assert_eq!(
        unread, expected,
        "newsboat read {unread} of {expected} articles: {said}"
    );
}
