//! Hostile-input suite (issue 11): every feed of Python feedparser's test corpus (2,233
//! files, 745 of them built to smuggle markup past a sanitizer) goes through the real
//! binary — read as a source, parsed, stored, curated and published as RSS, Atom and JSON
//! Feed — in one `wirefeed once`.
//!
//! Asserts: no panic; no script, style, event handler, iframe, form, embed or
//! `javascript:`/`data:` URL in any published HTML or link of any output; RSS, Atom and JSON
//! carrying the same items; and the share of the files in which feedparser finds entries
//! with visible text that wirefeed publishes at least one item for (README, "What is
//! published": an item with a title or text, or a link with a picture or file; items
//! without link and guid are known by their content). Some entries are still not published
//! (nothing visible to wirefeed, a document cut off), so a second pass puts every entry's
//! unsanitized markup (as feedparser reads it) through the renderers directly: the
//! sanitizer is proven on all 580 hostile feeds with entries, not only the published ones.
//!
//! The corpus is fetched from PyPI at test time by `scripts/hostile_corpus.py` (pinned by
//! sha256, cached under `target/hostile-corpus`), which also measures feedparser on it.

mod support;

use scraper::Html;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use support::Workspace;

/// Published share of the files feedparser reads with visible entries, as measured when this
/// suite was written (the target is 98 %; see issue 11, item 7 for what is still lost). It
/// may only go up.
const PUBLISHED_SHARE_FLOOR: f64 = 0.98;

struct Reference {
    /// Entries feedparser shows with visible text.
    shown: u64,
    /// Of those, entries with a link or an id.
    identified: u64,
    /// Every entry's title, summary and content, unsanitized.
    raw: Vec<String>,
}

fn corpus() -> (PathBuf, BTreeMap<String, Reference>) {
    let cache = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("target")
        .join("hostile-corpus");
    let reference = cache.join("reference.json");
    if !reference.exists() {
        let status = Command::new("python3")
            .arg(Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/hostile_corpus.py"))
            .arg(&cache)
            .status()
            .expect("run python3 scripts/hostile_corpus.py");
        assert!(
            status.success(),
            "scripts/hostile_corpus.py failed: it needs PyPI and `pip install feedparser`"
        );
    }
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&reference).expect("read reference.json"))
            .expect("reference.json is JSON");
    let files = json
        .as_object()
        .expect("reference.json is an object")
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                Reference {
                    shown: v["shown"].as_u64().unwrap_or(0),
                    identified: v["identified"].as_u64().unwrap_or(0),
                    raw: v["raw"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter_map(|r| r.as_str().map(str::to_string))
                        .collect(),
                },
            )
        })
        .collect();
    (cache.join("feedparser-6.0.11").join("tests"), files)
}

/// What a feed reader rendering this HTML could be made to run or load.
fn danger_in_html(html: &str) -> Option<String> {
    let doc = Html::parse_fragment(html);
    for node in doc.tree.nodes() {
        let Some(el) = node.value().as_element() else {
            continue;
        };
        let name = el.name();
        if matches!(
            name,
            "script"
                | "style"
                | "iframe"
                | "frame"
                | "form"
                | "input"
                | "object"
                | "embed"
                | "base"
                | "meta"
                | "link"
                | "svg"
                | "math"
        ) {
            return Some(format!("<{name}>"));
        }
        for (attr, value) in el.attrs() {
            if attr.starts_with("on") || attr == "style" || attr == "formaction" {
                return Some(format!("{attr}= on <{name}>"));
            }
            if bad_url(value) {
                return Some(format!("{attr}={value:?} on <{name}>"));
            }
        }
    }
    None
}

fn bad_url(value: &str) -> bool {
    let v: String = value
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_control())
        .collect::<String>()
        .to_ascii_lowercase();
    ["javascript:", "vbscript:", "data:"]
        .iter()
        .any(|s| v.starts_with(s))
}

fn check_html(problems: &mut Vec<String>, what: &str, html: Option<&str>) {
    if let Some(d) = html.and_then(danger_in_html) {
        problems.push(format!("{what}: {d}"));
    }
}

fn check_url(problems: &mut Vec<String>, what: &str, url: Option<&str>) {
    if let Some(u) = url.filter(|u| bad_url(u)) {
        problems.push(format!("{what}: {u:?}"));
    }
}

/// Problems in the RSS output; returns its item count.
fn rss_problems(bytes: &[u8], problems: &mut Vec<String>) -> usize {
    let channel = match rss::Channel::read_from(bytes) {
        Ok(c) => c,
        Err(e) => {
            problems.push(format!("RSS does not parse: {e}"));
            return 0;
        }
    };
    for item in channel.items() {
        // Titles are text, but some readers render them as HTML.
        check_html(problems, "rss title", item.title());
        check_html(problems, "rss description", item.description());
        check_html(problems, "rss content:encoded", item.content());
        check_url(problems, "rss link", item.link());
        if let Some(e) = item.enclosure() {
            check_url(problems, "rss enclosure", Some(e.url()));
        }
        for ext in item
            .extensions()
            .values()
            .flat_map(|m| m.values())
            .flatten()
        {
            for v in ext.attrs().values() {
                check_url(problems, "rss extension attribute", Some(v));
            }
        }
    }
    channel.items().len()
}

fn atom_problems(bytes: &[u8], problems: &mut Vec<String>) -> usize {
    let feed = match atom_syndication::Feed::read_from(bytes) {
        Ok(f) => f,
        Err(e) => {
            problems.push(format!("Atom does not parse: {e}"));
            return 0;
        }
    };
    for entry in feed.entries() {
        check_html(problems, "atom title", Some(entry.title().as_str()));
        check_html(
            problems,
            "atom summary",
            entry.summary().map(|s| s.as_str()),
        );
        check_html(
            problems,
            "atom content",
            entry.content().and_then(|c| c.value()),
        );
        for link in entry.links() {
            check_url(problems, "atom link", Some(link.href()));
        }
    }
    feed.entries().len()
}

fn json_problems(bytes: &[u8], problems: &mut Vec<String>) -> usize {
    let feed: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => {
            problems.push(format!("JSON Feed does not parse: {e}"));
            return 0;
        }
    };
    let items = feed["items"].as_array().cloned().unwrap_or_default();
    for item in &items {
        check_html(problems, "json title", item["title"].as_str());
        check_html(problems, "json content_html", item["content_html"].as_str());
        for key in ["url", "external_url", "image", "banner_image"] {
            check_url(problems, "json url", item[key].as_str());
        }
        for a in item["attachments"].as_array().into_iter().flatten() {
            check_url(problems, "json attachment", a["url"].as_str());
        }
    }
    items.len()
}

/// Renders the fragments as one entry's title, summary and content, in all three formats.
fn raw_fragments_problems(raw: &[String]) -> Vec<String> {
    use wirefeed::publish::{render_atom, render_json, render_rss, Entry, FeedMeta};
    let mut problems = Vec::new();
    if raw.is_empty() {
        return problems;
    }
    let meta = FeedMeta {
        id: "korpus".into(),
        title: "Korpus".into(),
        description: String::new(),
        base_url: url::Url::parse("http://feeds.example/").unwrap(),
        lang: None,
        hubs: vec![],
        stylesheet: None,
        author: "Korpus".into(),
        empty_updated: None,
    };
    let now = chrono::Utc::now();
    let entries: Vec<Entry> = raw
        .iter()
        .enumerate()
        .map(|(i, html)| Entry {
            id: format!("urn:uuid:00000000-0000-8000-8000-{i:012}"),
            title: wirefeed::text::html_to_text(html),
            link: None,
            summary_html: Some(html.clone()),
            content_html: Some(html.clone()),
            authors: vec![],
            categories: vec![],
            published: now,
            updated: now,
            image: None,
            enclosures: vec![],
            alternates: vec![],
            sources: vec![],
            lang: None,
            rights: None,
        })
        .collect();
    rss_problems(&render_rss(&meta, &entries), &mut problems);
    atom_problems(&render_atom(&meta, &entries), &mut problems);
    json_problems(&render_json(&meta, &entries), &mut problems);
    problems
}

#[test]
fn feedparser_corpus_publishes_safely() {
    let (tests, reference) = corpus();
    let ws = Workspace::new("");
    let mut sources = String::new();
    let mut feeds = String::new();
    let files: Vec<(&String, &Reference)> = reference.iter().collect();
    for (i, (rel, _)) in files.iter().enumerate() {
        let path = tests.join(rel);
        sources.push_str(&format!(
            "  - id: s{i}\n    url: {:?}\n",
            path.display().to_string()
        ));
        feeds.push_str(&format!(
            "  - id: f{i}\n    title: f{i}\n    sources: [s{i}]\n    limit: 1000\n"
        ));
    }
    ws.write_config(&format!(
        "store: store\nfeeds_dir: feeds\nbase_url: http://feeds.example/\nretention:\n  max_age: 36500d\nsources:\n{sources}feeds:\n{feeds}"
    ));
    let out = ws.wirefeed(&["once", "--all"]);
    let stderr = support::stderr(&out);
    assert!(!stderr.contains("panicked"), "wirefeed panicked:\n{stderr}");
    assert!(
        out.status.code().is_some(),
        "wirefeed was killed by a signal:\n{stderr}"
    );

    let mut problems = Vec::new();
    let (mut readable, mut published, mut hostile, mut hostile_published) = (0, 0, 0, 0);
    let (mut identified, mut identified_published) = (0, 0);
    let mut lost = Vec::new();
    for (i, (rel, r)) in files.iter().enumerate() {
        let mut here = Vec::new();
        let read = |ext: &str| std::fs::read(ws.feed_path(&format!("f{i}.{ext}")));
        let counts = match (read("rss"), read("atom"), read("json")) {
            (Ok(r), Ok(a), Ok(j)) => [
                rss_problems(&r, &mut here),
                atom_problems(&a, &mut here),
                json_problems(&j, &mut here),
            ],
            _ => {
                here.push("an output file is missing".into());
                [0; 3]
            }
        };
        if counts[0] != counts[1] || counts[1] != counts[2] {
            here.push(format!("RSS, Atom and JSON disagree: {counts:?} items"));
        }
        problems.extend(here.into_iter().map(|p| format!("{rel}: {p}")));
        let is_hostile = rel.starts_with("wellformed/sanitize/");
        hostile += usize::from(is_hostile && !r.raw.is_empty());
        hostile_published += usize::from(is_hostile && counts[2] > 0);
        if r.shown > 0 {
            readable += 1;
            if counts[2] > 0 {
                published += 1;
            } else {
                lost.push(rel.as_str());
            }
        }
        if r.identified > 0 {
            identified += 1;
            identified_published += usize::from(counts[2] > 0);
        }
        // Every fragment through all three renderers, published or not.
        let fragments = raw_fragments_problems(&r.raw);
        problems.extend(
            fragments
                .into_iter()
                .map(|p| format!("{rel} (fragment): {p}")),
        );
    }
    let share = published as f64 / readable.max(1) as f64;
    eprintln!(
        "hostile corpus: {} files; feedparser shows entries with visible text in {readable}, wirefeed publishes {published} ({:.1} %); of the {identified} with a link or id it publishes {identified_published}; hostile feeds with entries: {hostile}, all rendered, {hostile_published} published by the binary; {} problems",
        files.len(),
        share * 100.0,
        problems.len()
    );
    eprintln!("not published: {}", lost.join(" "));
    assert!(
        problems.is_empty(),
        "{} problems in the outputs:\n{}",
        problems.len(),
        problems.join("\n")
    );
    assert!(
        readable >= 20,
        "the corpus lost its readable feeds ({readable}): is the reference measured?"
    );
    assert!(
        share >= PUBLISHED_SHARE_FLOOR,
        "published share {:.1} % fell below the floor {:.1} %",
        share * 100.0,
        PUBLISHED_SHARE_FLOOR * 100.0
    );
}

/// The checks above must be able to fail, or the suite proves nothing.
#[test]
fn the_danger_checks_see_what_they_look_for() {
    for bad in [
        "<script>x</script>",
        "<p onclick=\"x()\">a</p>",
        "<a href=\" javascript:x()\">a</a>",
        "<img src=\"data:image/png;base64,AA\">",
        "<iframe src=\"https://x.example/\"></iframe>",
        "<form><input></form>",
        "<p style=\"color:red\">a</p>",
    ] {
        assert!(danger_in_html(bad).is_some(), "{bad}");
    }
    assert!(danger_in_html("<p>Harmlos: javascript: und data: als Text</p>").is_none());
}
