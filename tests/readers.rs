//! What readers get from a rich delivery (tests/fixtures/rich: a podcast with an audio
//! enclosure, an Atom feed with xml:base and enclosure links, a JSON Feed with attachments
//! and paragraphs): every output keeps every attachment with type and length, follows the
//! structural rules of the W3C Feed Validator, and Python's feedparser and newsboat read the
//! attachments back. `wirefeed once` runs as an operator would run it, over the fixtures
//! served on loopback HTTP (`tests/fixtures/rich/wirefeed.yaml`; scripts/validate-rich.sh
//! runs the W3C Feed Validator over the same input).

use std::path::{Path, PathBuf};
use std::process::Command;

mod support;
use support::{have, require, Route, TestServer};

const AUDIO: &str = "https://funk.beispiel.example/audio/folge-12.mp3";
const PDF: &str = "https://wire.beispiel.example/dokumente/bericht.pdf";
const OGG: &str = "https://agentur.beispiel.example/audio/bus.ogg";

/// Publishes the rich input once, as an operator would run it: the fixtures served over
/// loopback HTTP, `tests/fixtures/rich/wirefeed.yaml` pointed at that server and at
/// `base_url`, `wirefeed once`. Returns the temp dir (feeds in `feeds/`).
fn publish_rich(base_url: &str) -> tempfile::TempDir {
    let rich = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rich");
    let server = TestServer::start();
    for f in std::fs::read_dir(&rich).unwrap() {
        let path = f.unwrap().path();
        let content_type = match path.extension().and_then(|e| e.to_str()) {
            Some("rss") => "application/rss+xml",
            Some("atom") => "application/atom+xml",
            Some("json") => "application/feed+json",
            Some("html") => "text/html; charset=utf-8",
            _ => continue,
        };
        let name = path.file_name().unwrap().to_str().unwrap();
        server.set(
            &format!("/{name}"),
            Route::ok(content_type, std::fs::read(&path).unwrap()),
        );
    }
    let config = std::fs::read_to_string(rich.join("wirefeed.yaml"))
        .unwrap()
        .replace("http://rich.invalid/", &server.url("/"))
        .replace(
            "base_url: https://feeds.beispiel.example/nachrichten/",
            &format!("base_url: {base_url}"),
        );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("config.yaml"), config).unwrap();
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
    // Every source delivered: a failing one is reported on stderr.
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    dir
}

fn read(dir: &Path, name: &str) -> String {
    std::fs::read_to_string(dir.join("feeds").join(name)).unwrap()
}

#[test]
fn every_output_keeps_every_attachment_with_type_and_length() {
    let dir = publish_rich("https://feeds.beispiel.example/nachrichten/");
    let rss = read(dir.path(), "alle.rss");
    let atom = read(dir.path(), "alle.atom");
    let json: serde_json::Value = serde_json::from_str(&read(dir.path(), "alle.json")).unwrap();
    let html = read(dir.path(), "alle.html");

    assert!(rss.contains(&format!(
        "<enclosure url=\"{AUDIO}\" length=\"23456789\" type=\"audio/mpeg\"/>"
    )));
    assert!(rss.contains(&format!(
        "<enclosure url=\"{OGG}\" length=\"4321\" type=\"audio/ogg\"/>"
    )));
    assert!(atom.contains(&format!(
        "<link rel=\"enclosure\" type=\"audio/mpeg\" length=\"23456789\" href=\"{AUDIO}\"/>"
    )));
    assert!(atom.contains(&format!(
        "<link rel=\"enclosure\" type=\"application/pdf\" length=\"98765\" href=\"{PDF}\"/>"
    )));
    // The picture sent only as an Atom enclosure link is the entry's image everywhere.
    let picture = "https://wire.beispiel.example/bilder/stadtwerke.jpg";
    assert!(rss.contains(&format!(
        "<media:content url=\"{picture}\" medium=\"image\""
    )));
    let items = json["items"].as_array().unwrap();
    assert!(items.iter().any(|i| i["image"] == picture), "{json}");
    let attachments: Vec<&str> = items
        .iter()
        .flat_map(|i| i["attachments"].as_array().into_iter().flatten())
        .map(|a| {
            assert!(a["mime_type"].as_str().is_some_and(|m| m.contains('/')));
            a["url"].as_str().unwrap()
        })
        .collect();
    for url in [AUDIO, PDF, OGG] {
        assert!(
            attachments.contains(&url),
            "{url} missing from JSON: {json}"
        );
        assert!(
            html.contains(&format!("href=\"{url}\"")),
            "{url} missing from the page"
        );
    }
    // Tracking parameters leave published links; other parameters stay.
    assert!(
        rss.contains("<link>https://funk.beispiel.example/folge-12?id=12</link>"),
        "{rss}"
    );
    assert!(
        !rss.contains("utm_source") && !rss.contains("fbclid"),
        "{rss}"
    );
    assert!(items
        .iter()
        .any(|i| i["url"] == "https://agentur.beispiel.example/meldung-1"));
    // JSON Feed content_text paragraphs stay paragraphs.
    let bus = items
        .iter()
        .find(|i| i["title"] == "Neue Buslinie startet")
        .unwrap();
    assert_eq!(
        bus["content_html"].as_str().unwrap().matches("<p>").count(),
        2,
        "{bus}"
    );
}

/// The W3C Feed Validator's rules that real inputs broke, kept here so CI checks them
/// without the validator (scripts/validate-feeds.py runs the validator itself).
#[test]
fn outputs_follow_the_feed_validators_structural_rules() {
    let a = publish_rich("https://feeds.beispiel.example/nachrichten/");
    let b = publish_rich("https://andere.example/");
    let rss = read(a.path(), "alle.rss");
    let atom = read(a.path(), "alle.atom");

    // RSS profile: "&" and "<" in plain text as hexadecimal character references.
    assert!(
        rss.contains("<title>Kurs &#x3C; 100 &#x26; fallend: Börse schließt schwach</title>"),
        "{rss}"
    );
    // One enclosure per RSS item at most.
    for item in rss.split("<item>").skip(1) {
        assert!(item.matches("<enclosure ").count() <= 1, "{item}");
    }

    let feed = atom_syndication::Feed::read_from(atom.as_bytes()).unwrap();
    // Feed author from config, not the feed's title.
    assert_eq!(feed.authors()[0].name(), "Redaktion Beispiel-Kurier");
    // Feed ids unique per installation: another base_url, another id; same, same.
    let other = atom_syndication::Feed::read_from(read(b.path(), "alle.atom").as_bytes()).unwrap();
    assert_ne!(feed.id(), other.id());
    let again = publish_rich("https://feeds.beispiel.example/nachrichten/");
    assert_eq!(
        without_loopback_port(&read(again.path(), "alle.atom")),
        without_loopback_port(&atom),
        "stable across runs"
    );
    // Distinct entry updated times (two fixture entries share a second).
    let mut updated: Vec<&str> = atom
        .lines()
        .filter_map(|l| l.trim().strip_prefix("<updated>"))
        .skip(1)
        .collect();
    let n = updated.len();
    updated.sort();
    updated.dedup();
    assert_eq!(updated.len(), n, "{atom}");
    // No entry with blank content; an entry without a link has content.
    for e in feed.entries() {
        if let Some(c) = e.content() {
            assert!(
                !c.value().unwrap_or("").trim().is_empty(),
                "{}",
                e.title().value
            );
        } else {
            assert!(
                !e.links().iter().all(|l| l.rel() != "alternate"),
                "{}",
                e.title().value
            );
        }
    }
    // The feed's web page is its HTML page, not the RSS file.
    assert!(feed
        .links()
        .iter()
        .any(|l| l.rel() == "alternate" && l.href().ends_with("/nachrichten/alle.html")));
}

/// The text with the test server's port left out: links resolved against the URL a feed or
/// page was fetched from name it, and each run serves the fixtures on another port.
fn without_loopback_port(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find("http://127.0.0.1:") {
        let (head, tail) = rest.split_at(p + "http://127.0.0.1:".len());
        out.push_str(head);
        out.push_str("PORT");
        rest = tail.trim_start_matches(|c: char| c.is_ascii_digit());
    }
    out.push_str(rest);
    out
}

fn python_report(feeds: &Path) -> serde_json::Value {
    let script = r#"
import json, sys, feedparser
out = {}
for name in sys.argv[1:]:
    d = feedparser.parse(name)
    out[name.rsplit('/', 1)[-1]] = {
        "bozo": bool(d.bozo),
        "enclosures": sorted({e.get("href") for x in d.entries for e in x.get("enclosures", [])}),
        "media": sorted({m.get("url") for x in d.entries for m in x.get("media_content", [])}),
        "credits": sorted({c.get("content") for x in d.entries for c in x.get("media_credit", []) if c.get("content")}),
    }
print(json.dumps(out))
"#;
    let files: Vec<PathBuf> = ["alle.rss", "alle.atom"]
        .iter()
        .map(|n| feeds.join(n))
        .collect();
    let out = Command::new("python3")
        .arg("-c")
        .arg(script)
        .args(&files)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn feedparser_reads_every_attachment_and_picture() {
    if !require("feedparser", have("python3", &["-c", "import feedparser"])) {
        return;
    }
    let dir = publish_rich("https://feeds.beispiel.example/");
    let report = python_report(&dir.path().join("feeds"));
    let rss = &report["alle.rss"];
    let atom = &report["alle.atom"];
    assert_eq!(rss["bozo"], false, "{report}");
    assert_eq!(atom["bozo"], false, "{report}");
    let has = |v: &serde_json::Value, url: &str| v.as_array().unwrap().iter().any(|x| x == url);
    for url in [AUDIO, OGG] {
        assert!(has(&rss["enclosures"], url), "{report}");
    }
    for url in [
        AUDIO,
        OGG,
        PDF,
        "https://wire.beispiel.example/bilder/stadtwerke.jpg",
    ] {
        assert!(has(&atom["enclosures"], url), "{report}");
    }
    assert!(
        has(
            &rss["media"],
            "https://funk.beispiel.example/bilder/boerse.jpg"
        ),
        "{report}"
    );
    assert!(has(&rss["credits"], "Foto: Beispielbild"), "{report}");
}

#[test]
fn newsboat_offers_the_podcast_for_download() {
    if !require("newsboat", have("newsboat", &["--version"])) {
        return;
    }
    let dir = publish_rich("https://feeds.beispiel.example/");
    let feeds = dir.path().join("feeds");
    let urls = format!(
        "file://{}\nfile://{}\n",
        feeds.join("alle.rss").display(),
        feeds.join("alle.atom").display()
    );
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
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // newsboat keeps each article's enclosure in its cache; read it back with Python's
    // sqlite3 rather than another tool.
    let out = Command::new("python3")
        .arg("-c")
        .arg("import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); \
print('\\n'.join(f'{u} {t}' for u,t in c.execute('select enclosure_url, enclosure_type from rss_item') if u))")
        .arg(dir.path().join("cache.db"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(said.contains(&format!("{AUDIO} audio/mpeg")), "{said}");
    assert!(said.contains(&format!("{OGG} audio/ogg")), "{said}");
}

/// Pictures and their credits are visible in every reader: as a figure in the HTML content
/// (newsboat, Miniflux and most readers ignore Media RSS) and as Media RSS in RSS and Atom.
#[test]
fn pictures_carry_caption_and_credit_in_the_content_and_as_media_rss() {
    let dir = publish_rich("https://feeds.beispiel.example/");
    let figure = "<figure><img src=\"https://funk.beispiel.example/bilder/boerse.jpg\" \
alt=\"Händler an der erfundenen Börse\"><figcaption>Händler an der erfundenen Börse \
<small>Foto: Beispielbild</small></figcaption></figure>";
    let json: serde_json::Value = serde_json::from_str(&read(dir.path(), "alle.json")).unwrap();
    let boerse = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["title"].as_str().unwrap().starts_with("Kurs"))
        .unwrap();
    assert!(
        boerse["content_html"].as_str().unwrap().starts_with(figure),
        "{boerse}"
    );
    assert_eq!(
        boerse["image"],
        "https://funk.beispiel.example/bilder/boerse.jpg"
    );
    // The plain-text summary carries no caption.
    assert!(!boerse["summary"]
        .as_str()
        .unwrap_or("")
        .contains("Beispielbild"));
    for name in ["alle.rss", "alle.atom"] {
        let xml = read(dir.path(), name);
        let escaped = figure
            .replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;");
        assert!(xml.contains(&escaped), "{name}: {xml}");
        assert!(
            xml.contains("<media:credit>Foto: Beispielbild</media:credit>"),
            "{name}"
        );
    }
    let page = read(dir.path(), "alle.html");
    assert!(page.contains("<small class=\"credit\">Foto: Beispielbild</small>"));
}

/// Relative references in Atom content resolve against the root element's xml:base
/// (RFC 4287 2), not against the feed's alternate link or the entry's link.
#[test]
fn relative_links_in_content_resolve_against_xml_base() {
    let base = url::Url::parse("https://feeds.beispiel.example/rss/politik.xml").unwrap();
    let atom =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/rich/wire.atom"))
            .unwrap();
    let feed = wirefeed::parse::feed::parse_feed(&atom, &base).unwrap();
    let content = feed.items[0].content_html.as_deref().unwrap();
    assert!(
        content.contains("href=\"https://wire.beispiel.example/de/bericht-2001\""),
        "{content}"
    );
    assert_eq!(
        feed.items[0].link.as_ref().map(url::Url::as_str),
        Some("https://wire.beispiel.example/de/ausland/hintergrund-2001")
    );
}

/// A headline with words in angle brackets keeps them: "Rathaus <Neubau>" is text, not an
/// unknown HTML tag to strip (it was published as "Rathaus : Entwurf …").
#[test]
fn a_title_with_angle_brackets_keeps_them_in_every_output() {
    let dir = publish_rich("https://feeds.beispiel.example/");
    let title = "Rathaus <Neubau>: Entwurf & Kosten vorgestellt";
    let json: serde_json::Value = serde_json::from_str(&read(dir.path(), "alle.json")).unwrap();
    assert!(
        json["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["title"] == title),
        "{json}"
    );
    let rss = rss::Channel::read_from(read(dir.path(), "alle.rss").as_bytes()).unwrap();
    assert!(rss.items().iter().any(|i| i.title() == Some(title)));
    let atom = atom_syndication::Feed::read_from(read(dir.path(), "alle.atom").as_bytes()).unwrap();
    assert!(atom.entries().iter().any(|e| e.title().as_str() == title));
    assert!(read(dir.path(), "alle.html").contains("Rathaus &lt;Neubau&gt;: Entwurf &amp; Kosten"));
}
