//! Golden outputs: a fixed store (invented stories and teasers ingested at a fixed time)
//! curated and published by the real pipeline must give byte-for-byte the files in
//! `tests/golden/` — every format of every feed (RSS, Atom, JSON Feed, HTML page), and
//! `index.opml` and `index.html`.
//!
//! A change that alters an output on purpose re-blesses them:
//!
//! ```sh
//! WIREFEED_BLESS=1 cargo test --test golden
//! git diff tests/golden/     # read what changed before committing it
//! ```

use chrono::{DateTime, TimeZone, Utc};
use std::path::{Path, PathBuf};
use url::Url;
use wirefeed::config::Config;
use wirefeed::model::{Image, Item, Teaser};
use wirefeed::store::Incoming;

const CONFIG: &str = r#"
base_url: https://feeds.beispiel-kurier.example/wire/
lang: de
websub:
  hubs: [https://hub.beispiel-kurier.example/]
sources:
  - id: agentur
    url: spool/agentur
    tags: [politik]
  - id: kurier
    url: https://kurier.example/feed.xml
    tags: [wirtschaft]
feeds:
  - id: alle
    title: Alle Meldungen
    description: Alles aus den Agenturen & vom Kurier
  - id: politik
    title: Politik
    tags: [politik]
    exclude: [Sport]
    limit: 2
  - id: empfohlen
    title: Empfohlen
    from: teasers
"#;

fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 10, 12, 0, 0).unwrap()
}

fn url(s: &str) -> Url {
    Url::parse(s).unwrap()
}

fn item(guid: &str, title: &str, summary: &str, hours_ago: i64) -> Item {
    Item {
        guid: Some(guid.into()),
        link: Some(url(&format!("https://kurier.example/artikel/{guid}"))),
        title: title.into(),
        summary_html: Some(format!("<p>{summary}</p>")),
        published: Some(now() - chrono::Duration::hours(hours_ago)),
        ..Item::default()
    }
}

/// Publishes the fixed store into a fresh folder and returns it.
fn publish() -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let config =
        Config::from_yaml(CONFIG, &tmp.path().join("config.yaml"), tmp.path()).expect("valid");
    let store = wirefeed::daemon::open_store(&config).unwrap();
    let mut with_text = item(
        "p-1",
        "Landtag beschließt „Härtefallfonds“ für Vereine & Ehrenamt",
        "Der Landtag hat <b>einstimmig</b> beschlossen.",
        1,
    );
    with_text.content_html =
        Some("<p>Der Fonds umfasst zwei Millionen Euro.</p><script>alert(1)</script>".into());
    with_text.authors = vec!["Erika Beispiel".into()];
    with_text.categories = vec!["Landespolitik".into()];
    with_text.image = Some(Image {
        url: "https://kurier.example/bilder/landtag.jpg".into(),
        caption: Some("Der Plenarsaal".into()),
        credit: Some("Foto: Beispiel".into()),
        ..Image::default()
    });
    let agentur = vec![
        with_text,
        item(
            "p-2",
            "Neue Brücke über den Kanal eröffnet",
            "Verkehr rollt ab Montag.",
            3,
        ),
        item(
            "p-3",
            "Sport: Pokalfinale verschoben",
            "Das Stadion ist gesperrt.",
            5,
        ),
        item(
            "p-4",
            "Kommission legt Bericht zur Schulreform vor",
            "Mehr Lehrkräfte gefordert.",
            30,
        ),
    ];
    let kurier = vec![
        item(
            "w-1",
            "Hafen meldet Rekordumschlag",
            "Mehr Container als je zuvor.",
            2,
        ),
        item(
            "w-2",
            "Bäckereien erhöhen Brotpreise",
            "Mehl und Energie teurer.",
            4,
        ),
    ];
    let ingest = |source: &str, tag: &str, items: Vec<Item>| {
        let items = items.into_iter().map(|i| Incoming::new(i, None)).collect();
        store
            .ingest(source, &[tag.to_string()], items, now())
            .unwrap();
    };
    ingest("agentur", "politik", agentur);
    ingest("kurier", "wirtschaft", kurier);
    let teasers = [
        Teaser {
            title: "Hafen meldet Rekordumschlag".into(),
            link: Some(url("https://kurier.example/artikel/w-1")),
            summary: Some("Mehr Container.".into()),
            image: None,
        },
        Teaser {
            title: "Wie der Fonds Vereinen hilft".into(),
            link: Some(url("https://kurier.example/ratgeber/fonds")),
            summary: None,
            image: None,
        },
    ];
    store
        .record_teasers(
            "kurier",
            &url("https://kurier.example/artikel/w-2"),
            &teasers,
            now() - chrono::Duration::minutes(30),
        )
        .unwrap();
    let curated = wirefeed::curate::select_all(&config, &store, now()).unwrap();
    wirefeed::publish::publish_all(&config, &curated, now()).unwrap();
    let dir = config.feeds_dir.clone();
    (tmp, dir)
}

/// The first line where two texts differ, with its neighbours, for a readable failure.
fn first_difference(expected: &str, actual: &str) -> String {
    let (e, a): (Vec<_>, Vec<_>) = (expected.lines().collect(), actual.lines().collect());
    let at = (0..e.len().max(a.len()))
        .find(|&i| e.get(i) != a.get(i))
        .unwrap_or(0);
    let show = |lines: &[&str]| {
        lines
            .iter()
            .enumerate()
            .skip(at.saturating_sub(2))
            .take(5)
            .map(|(i, l)| format!("{:>4} {l}", i + 1))
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "first difference at line {}\n--- expected\n{}\n+++ actual\n{}",
        at + 1,
        show(&e),
        show(&a)
    )
}

#[test]
fn every_output_matches_its_golden_file() {
    let (_tmp, dir) = publish();
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let bless = std::env::var_os("WIREFEED_BLESS").is_some();
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        // feed.xsl is a copy of src/publish/feed.xsl, not something rendered.
        .filter(|n| n != "feed.xsl")
        .collect();
    names.sort();
    assert_eq!(
        names,
        [
            "alle.atom",
            "alle.html",
            "alle.json",
            "alle.rss",
            "empfohlen.atom",
            "empfohlen.html",
            "empfohlen.json",
            "empfohlen.rss",
            "index.html",
            "index.opml",
            "politik.atom",
            "politik.html",
            "politik.json",
            "politik.rss",
        ]
    );
    let mut failures = Vec::new();
    for name in &names {
        let actual = std::fs::read_to_string(dir.join(name)).unwrap();
        let path = golden.join(name);
        if bless {
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run WIREFEED_BLESS=1 cargo test --test golden",
                path.display()
            )
        });
        if expected != actual {
            failures.push(format!("{name}: {}", first_difference(&expected, &actual)));
        }
    }
    assert!(
        failures.is_empty(),
        "outputs differ from tests/golden/ (re-bless with WIREFEED_BLESS=1 cargo test --test golden if intended):\n{}",
        failures.join("\n\n")
    );
}

#[test]
fn publishing_the_same_store_again_gives_the_same_bytes() {
    let (_a, first) = publish();
    let (_b, second) = publish();
    for name in ["alle.rss", "politik.atom", "empfohlen.json", "index.opml"] {
        assert_eq!(
            std::fs::read(first.join(name)).unwrap(),
            std::fs::read(second.join(name)).unwrap(),
            "{name}"
        );
    }
}
