//! Publish stage end to end: render the fixture stories (tests/fixtures/publish/) as RSS,
//! Atom, JSON Feed and OPML, read every output back with independent parsers (`rss`,
//! `atom_syndication`, `feed-rs`, `serde_json`) and check what a feed reader would see.
//! Whole-file outputs of a fixed store are compared in `tests/golden.rs`.

use chrono::{DateTime, Utc};
use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use url::Url;
use wirefeed::model::{Story, TeaserRecord};
use wirefeed::publish::{
    render_atom, render_json, render_opml, render_rss, write_if_changed, Entry, FeedMeta,
};

const TITLE_1: &str = "Senat & Bürgerschaft einigen sich auf „Härtefallfonds“ <vorläufig> – \"Entlastung\" für Ölheizungen";

fn stories() -> Vec<Story> {
    let raw = fs::read_to_string("tests/fixtures/publish/stories.json").unwrap();
    serde_json::from_str(&raw).unwrap()
}

fn entries() -> Vec<Entry> {
    stories().iter().map(Entry::from_story).collect()
}

fn meta() -> FeedMeta {
    FeedMeta {
        id: "politik".into(),
        title: "Beispiel-Kurier: Politik & Wirtschaft <Nord>".into(),
        description: "Agenturmeldungen aus „Hamburg“ & Umgebung".into(),
        base_url: Url::parse("https://feeds.beispiel-kurier.de/wire/").unwrap(),
        lang: Some("de".into()),
        hubs: vec!["https://hub.beispiel-kurier.de/".into()],
        author: "Beispiel-Kurier".into(),
        empty_updated: None,
        stylesheet: None,
    }
}

fn time(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
}

fn rss_channel(bytes: &[u8]) -> rss::Channel {
    rss::Channel::read_from(bytes).unwrap()
}

fn atom_feed(bytes: &[u8]) -> atom_syndication::Feed {
    atom_syndication::Feed::read_from(bytes).unwrap()
}

fn json_feed(bytes: &[u8]) -> serde_json::Value {
    serde_json::from_slice(bytes).unwrap()
}

const EXPECTED_IDS: [&str; 3] = [
    "urn:uuid:a1b2c3d4-e5f6-0718-293a-4b5c6d7e8f90",
    "urn:uuid:0f0e0d0c-0b0a-0908-0706-050403020100",
    "urn:uuid:ffeeddcc-bbaa-9988-7766-554433221100",
];

#[test]
fn rss_channel_has_self_hub_language_and_last_build_date() {
    let ch = rss_channel(&render_rss(&meta(), &entries()));
    assert_eq!(ch.title(), "Beispiel-Kurier: Politik & Wirtschaft <Nord>");
    // The channel's web page is the feed's HTML page beside it.
    assert_eq!(
        ch.link(),
        "https://feeds.beispiel-kurier.de/wire/politik.html"
    );
    assert_eq!(
        ch.description(),
        "Agenturmeldungen aus „Hamburg“ & Umgebung"
    );
    assert_eq!(ch.language(), Some("de"));
    let links = ch.atom_ext().unwrap().links();
    let self_link = links.iter().find(|l| l.rel() == "self").unwrap();
    assert_eq!(
        self_link.href(),
        "https://feeds.beispiel-kurier.de/wire/politik.rss"
    );
    assert_eq!(self_link.mime_type(), Some("application/rss+xml"));
    let hubs: Vec<&str> = links
        .iter()
        .filter(|l| l.rel() == "hub")
        .map(|l| l.href())
        .collect();
    assert_eq!(hubs, vec!["https://hub.beispiel-kurier.de/"]);
    // The newest `updated` of the entries, not the time of rendering.
    let built = DateTime::parse_from_rfc2822(ch.last_build_date().unwrap()).unwrap();
    assert_eq!(built, time("2026-11-26T19:05:00Z"));
}

#[test]
fn rss_items_have_stable_guids_rfc822_dates_and_escaped_titles() {
    let ch = rss_channel(&render_rss(&meta(), &entries()));
    assert_eq!(ch.items().len(), 3);
    let guids: Vec<&str> = ch
        .items()
        .iter()
        .map(|i| {
            let g = i.guid().unwrap();
            assert!(!g.is_permalink(), "guid must be isPermaLink=false");
            g.value()
        })
        .collect();
    assert_eq!(guids, EXPECTED_IDS);
    assert_eq!(ch.items()[0].title(), Some(TITLE_1));
    assert_eq!(
        ch.items()[0].link(),
        Some("https://www.beispiel-kurier.de/hamburg/senat-haertefallfonds-100.html")
    );
    let dates: Vec<DateTime<Utc>> = ch
        .items()
        .iter()
        .map(|i| {
            DateTime::parse_from_rfc2822(i.pub_date().unwrap())
                .unwrap()
                .to_utc()
        })
        .collect();
    assert_eq!(
        dates,
        vec![
            time("2026-11-26T18:30:00Z"),
            time("2026-11-26T16:00:00Z"),
            // No source date: first_seen stands in.
            time("2026-11-26T12:00:00Z"),
        ]
    );
}

#[test]
fn rss_items_carry_authors_categories_content_and_media() {
    let ch = rss_channel(&render_rss(&meta(), &entries()));
    let [full, no_content, plain] = ch.items() else {
        panic!("expected 3 items");
    };
    assert_eq!(
        full.dublin_core_ext().unwrap().creators(),
        ["Jana Müller", "Özlem Kaya"]
    );
    let cats: Vec<&str> = full.categories().iter().map(|c| c.name()).collect();
    assert_eq!(cats, vec!["Hamburg", "Energie & Klima"]);

    // content:encoded only where the full text is known.
    assert!(full.content().unwrap().contains("Härtefallfonds geeinigt"));
    assert_eq!(no_content.content(), None);
    assert_eq!(plain.content(), None);
    assert!(no_content
        .dublin_core_ext()
        .is_none_or(|dc| dc.creators().is_empty()));

    let media = &full.extensions()["media"]["content"][0];
    assert_eq!(
        media.attrs()["url"],
        "https://bilder.beispiel-kurier.de/2026/11/rathaus.jpg"
    );
    assert_eq!(media.attrs()["medium"], "image");
    assert_eq!(media.attrs()["type"], "image/jpeg");
    assert_eq!(
        media.children()["credit"][0].value(),
        Some("Foto: Archiv/Beispiel-Kurier")
    );
    assert_eq!(
        media.children()["description"][0].value(),
        Some("Das Hamburger Rathaus bei Nacht")
    );
    let enc = full.enclosure().unwrap();
    assert_eq!(enc.length(), "123456");
    assert_eq!(enc.mime_type(), "image/jpeg");

    // A relative image URL is made absolute against the story link; without MIME type
    // and length the picture is still the <enclosure>, its type taken from the file name
    // and its length 0 (unknown), so readers that ignore Media RSS show it.
    let media = &no_content.extensions()["media"]["content"][0];
    assert_eq!(
        media.attrs()["url"],
        "https://www.beispiel-kurier.de/bilder/pegel.jpg"
    );
    assert!(!media.attrs().contains_key("type"));
    assert_eq!(
        media.children()["credit"][0].value(),
        Some("Foto: Stadt Dresden")
    );
    let enc = no_content.enclosure().unwrap();
    assert_eq!(enc.url(), "https://www.beispiel-kurier.de/bilder/pegel.jpg");
    assert_eq!((enc.length(), enc.mime_type()), ("0", "image/jpeg"));
    assert!(plain.extensions().get("media").is_none());
}

#[test]
fn atom_feed_has_stable_id_links_and_required_authors() {
    let m = meta();
    let feed = atom_feed(&render_atom(&m, &entries()));
    assert!(feed.id().starts_with("urn:uuid:"), "{}", feed.id());
    assert_eq!(feed.id().len(), "urn:uuid:".len() + 36);
    assert_eq!(feed.title().value, m.title);
    assert_eq!(feed.subtitle().unwrap().value, m.description);
    assert_eq!(feed.lang(), Some("de"));
    assert_eq!(*feed.updated(), time("2026-11-26T19:05:00Z"));
    let link = |rel: &str| {
        feed.links()
            .iter()
            .find(|l| l.rel() == rel)
            .map(|l| (l.href().to_string(), l.mime_type().map(str::to_string)))
    };
    assert_eq!(
        link("self"),
        Some((
            "https://feeds.beispiel-kurier.de/wire/politik.atom".into(),
            Some("application/atom+xml".into())
        ))
    );
    assert_eq!(
        link("hub").map(|l| l.0),
        Some("https://hub.beispiel-kurier.de/".into())
    );
    // Entry 2 has no author, so the newsroom (config site.author) vouches for it
    // (RFC 4287 4.1.1).
    let feed_authors: Vec<&str> = feed.authors().iter().map(|p| p.name()).collect();
    assert_eq!(feed_authors, vec![m.author.as_str()]);
    assert_eq!(
        link("alternate"),
        Some((
            "https://feeds.beispiel-kurier.de/wire/politik.html".into(),
            Some("text/html".into())
        ))
    );

    // The id is stable, and another installation (base_url) publishes another feed.
    assert_eq!(atom_feed(&render_atom(&m, &entries())).id(), feed.id());
    let mut other = m.clone();
    other.base_url = Url::parse("https://neu.example.org/").unwrap();
    assert_ne!(atom_feed(&render_atom(&other, &entries())).id(), feed.id());
}

#[test]
fn atom_entries_match_rss_ids_and_carry_dates_authors_content() {
    let feed = atom_feed(&render_atom(&meta(), &entries()));
    let ids: Vec<&str> = feed.entries().iter().map(|e| e.id()).collect();
    assert_eq!(ids, EXPECTED_IDS);
    let rss_guids: Vec<String> = rss_channel(&render_rss(&meta(), &entries()))
        .items()
        .iter()
        .map(|i| i.guid().unwrap().value().to_string())
        .collect();
    assert_eq!(ids, rss_guids);

    let [full, no_content, plain] = feed.entries() else {
        panic!("expected 3 entries");
    };
    assert_eq!(full.title().value, TITLE_1);
    assert_eq!(*full.updated(), time("2026-11-26T19:05:00Z"));
    assert_eq!(
        full.published().copied(),
        Some(time("2026-11-26T18:30:00Z").fixed_offset())
    );
    let authors: Vec<&str> = full.authors().iter().map(|p| p.name()).collect();
    assert_eq!(authors, vec!["Jana Müller", "Özlem Kaya"]);
    let terms: Vec<&str> = full.categories().iter().map(|c| c.term()).collect();
    assert_eq!(terms, vec!["Hamburg", "Energie & Klima"]);
    let alternate = full
        .links()
        .iter()
        .find(|l| l.rel() == "alternate")
        .unwrap();
    assert_eq!(
        alternate.href(),
        "https://www.beispiel-kurier.de/hamburg/senat-haertefallfonds-100.html"
    );
    let content = full.content().unwrap();
    assert_eq!(content.content_type(), Some("html"));
    assert!(content.value().unwrap().contains("Härtefallfonds geeinigt"));
    assert!(full.summary().unwrap().value.contains("500 Euro"));

    assert!(no_content.content().is_none());
    assert!(no_content.summary().unwrap().value.contains("Sandsäcke"));
    assert!(plain.content().is_none());
    assert_eq!(
        plain.published().copied(),
        Some(time("2026-11-26T12:00:00Z").fixed_offset())
    );
}

#[test]
fn json_feed_has_version_urls_and_items_with_same_ids() {
    let v = json_feed(&render_json(&meta(), &entries()));
    assert_eq!(v["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(v["title"], "Beispiel-Kurier: Politik & Wirtschaft <Nord>");
    assert_eq!(
        v["home_page_url"],
        "https://feeds.beispiel-kurier.de/wire/politik.html"
    );
    assert_eq!(
        v["feed_url"],
        "https://feeds.beispiel-kurier.de/wire/politik.json"
    );
    assert_eq!(v["language"], "de");
    assert_eq!(v["hubs"][0]["type"], "WebSub");
    let items = v["items"].as_array().unwrap();
    let ids: Vec<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
    assert_eq!(ids, EXPECTED_IDS);
    for item in items {
        // Every item needs content_html or content_text.
        assert!(item["content_html"].is_string(), "{item}");
        for key in ["date_published", "date_modified"] {
            DateTime::parse_from_rfc3339(item[key].as_str().unwrap()).unwrap();
        }
    }
    let full = &items[0];
    assert_eq!(full["title"], TITLE_1);
    assert_eq!(
        full["url"],
        "https://www.beispiel-kurier.de/hamburg/senat-haertefallfonds-100.html"
    );
    assert_eq!(full["date_published"], "2026-11-26T18:30:00Z");
    assert_eq!(full["date_modified"], "2026-11-26T19:05:00Z");
    assert_eq!(full["authors"][1]["name"], "Özlem Kaya");
    assert_eq!(full["tags"][1], "Energie & Klima");
    assert_eq!(
        full["image"],
        "https://bilder.beispiel-kurier.de/2026/11/rathaus.jpg"
    );
    assert_eq!(full["language"], "de");
    assert!(full["content_html"]
        .as_str()
        .unwrap()
        .contains("Härtefallfonds geeinigt"));
    // `summary` is plain text in JSON Feed.
    assert_eq!(
        full["summary"],
        "Der Senat will Haushalte mit Ölheizung entlasten & zahlt bis zu 500 Euro. mehr"
    );
    assert_eq!(items[2]["language"], "de-AT");
    assert!(items[1].get("authors").is_none());
}

#[test]
fn feed_rs_reads_all_three_formats_alike() {
    let (m, e) = (meta(), entries());
    for (name, bytes) in [
        ("rss", render_rss(&m, &e)),
        ("atom", render_atom(&m, &e)),
        ("json", render_json(&m, &e)),
    ] {
        let feed = feed_rs::parser::parse(&bytes[..]).unwrap_or_else(|err| panic!("{name}: {err}"));
        let ids: Vec<&str> = feed.entries.iter().map(|e| e.id.as_str()).collect();
        assert_eq!(ids, EXPECTED_IDS, "{name}");
        let first = &feed.entries[0];
        assert_eq!(first.title.as_ref().unwrap().content, TITLE_1, "{name}");
        assert_eq!(
            first.published,
            Some(time("2026-11-26T18:30:00Z")),
            "{name}"
        );
        assert_eq!(feed.title.as_ref().unwrap().content, m.title, "{name}");
    }
}

/// Every piece of published HTML in every format, with where it came from.
fn published_html(m: &FeedMeta, e: &[Entry]) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for item in rss_channel(&render_rss(m, e)).items() {
        out.extend(
            item.description()
                .map(|d| ("rss description".into(), d.into())),
        );
        out.extend(item.content().map(|c| ("rss content".into(), c.into())));
    }
    for entry in atom_feed(&render_atom(m, e)).entries() {
        out.extend(
            entry
                .summary()
                .map(|s| ("atom summary".into(), s.value.clone())),
        );
        out.extend(
            entry
                .content()
                .and_then(|c| c.value())
                .map(|c| ("atom content".into(), c.into())),
        );
    }
    for item in json_feed(&render_json(m, e))["items"].as_array().unwrap() {
        out.push((
            "json content_html".into(),
            item["content_html"].as_str().unwrap().into(),
        ));
    }
    out
}

#[test]
fn hostile_html_is_removed_in_every_format() {
    let html = published_html(&meta(), &entries());
    assert_eq!(html.len(), 3 + 1 + 3 + 1 + 3);
    for (place, h) in &html {
        let lower = h.to_ascii_lowercase();
        for bad in [
            "<script",
            "alert(",
            "onerror",
            "onclick",
            "javascript:",
            "style",
            "<iframe",
            "werbung.example",
            "<form",
            "<input",
            "<button",
            "<object",
            "<embed",
            "data:",
            "class=",
        ] {
            assert!(!lower.contains(bad), "{place} still has {bad:?}: {h}");
        }
    }
    let joined: String = html.iter().map(|(_, h)| h.as_str()).collect();
    // Relative URLs are made absolute against the story link.
    for absolute in [
        "src=\"https://www.beispiel-kurier.de/bilder/fonds-klein.jpg\"",
        "src=\"https://www.beispiel-kurier.de/bilder/rathaus-gross.jpg\"",
        "href=\"https://www.beispiel-kurier.de/hamburg/\"",
        "href=\"https://www.beispiel-kurier.de/wetter/karte.html\"",
    ] {
        assert!(joined.contains(absolute), "{absolute} missing");
    }
    assert!(joined.contains("rel=\"noopener noreferrer\""));
    // Article markup survives.
    for kept in [
        "<h2>Wer bekommt Geld?</h2>",
        "<li>Mieter &amp; Eigentümer</li>",
        "<blockquote>„Das ist ein guter Tag für Hamburg“, sagte die Senatorin.</blockquote>",
        "<figcaption>Das Rathaus am Abend</figcaption>",
        "<b>Ölheizung</b>",
    ] {
        assert!(joined.contains(kept), "{kept} missing");
    }
}

#[test]
fn empty_feeds_are_valid_in_every_format() {
    let m = meta();
    let ch = rss_channel(&render_rss(&m, &[]));
    assert!(ch.items().is_empty());
    assert_eq!(ch.last_build_date(), None);
    let feed = atom_feed(&render_atom(&m, &[]));
    assert!(feed.entries().is_empty());
    assert_eq!(*feed.updated(), DateTime::UNIX_EPOCH);
    // No entries lack an author, so no feed-level author is needed.
    assert!(feed.authors().is_empty());
    let v = json_feed(&render_json(&m, &[]));
    assert_eq!(v["items"], serde_json::json!([]));
    for bytes in [
        render_rss(&m, &[]),
        render_atom(&m, &[]),
        render_json(&m, &[]),
    ] {
        let f = feed_rs::parser::parse(&bytes[..]).unwrap();
        assert!(f.entries.is_empty());
    }
}

#[test]
fn rendering_is_deterministic() {
    let m = meta();
    for render in [render_rss, render_atom, render_json] {
        let a = render(&m, &entries());
        let b = render(&m, &entries());
        assert_eq!(a, b);
    }
    assert_eq!(
        render_opml(std::slice::from_ref(&m)),
        render_opml(std::slice::from_ref(&m))
    );
    // A changed story changes the output.
    let mut changed = entries();
    changed[0].title.push('!');
    assert_ne!(render_rss(&m, &entries()), render_rss(&m, &changed));
}

#[test]
fn stylesheet_instruction_only_when_configured() {
    let mut m = meta();
    let pi = "<?xml-stylesheet type=\"text/xsl\" href=\"feed.xsl\"?>";
    for render in [render_rss, render_atom] {
        assert!(!String::from_utf8(render(&m, &entries()))
            .unwrap()
            .contains("xml-stylesheet"));
    }
    m.stylesheet = Some("feed.xsl".into());
    let rss = render_rss(&m, &entries());
    let atom = render_atom(&m, &entries());
    assert!(String::from_utf8(rss.clone()).unwrap().lines().nth(1) == Some(pi));
    assert!(String::from_utf8(atom.clone()).unwrap().lines().nth(1) == Some(pi));
    assert_eq!(rss_channel(&rss).items().len(), 3);
    assert_eq!(atom_feed(&atom).entries().len(), 3);
    assert_eq!(feed_rs::parser::parse(&rss[..]).unwrap().entries.len(), 3);
}

#[test]
fn teaser_entries_render_with_their_own_ids() {
    let story = &stories()[1];
    let teaser = TeaserRecord {
        id: "c0ffee".into(),
        title: "Empfohlen: Deichläufer gesucht".into(),
        link: Url::parse("https://www.beispiel-kurier.de/wetter/deichlaeufer-400.html").ok(),
        summary: Some("Freiwillige melden sich bei der Feuerwehr & beim THW.".into()),
        image: None,
        first_seen: time("2026-11-26T20:00:00Z"),
        last_seen: time("2026-11-26T21:00:00Z"),
        pages: vec![],
        page_count: 2,
        sources: vec!["agentur-sued".into()],
        story: Some(story.id.clone()),
        first_position: 0,
        best_position: 0,
    };
    let e = vec![Entry::from_teaser(&teaser, Some(story))];
    let ch = rss_channel(&render_rss(&meta(), &e));
    let item = &ch.items()[0];
    let guid = item.guid().unwrap().value();
    assert!(
        guid.starts_with("urn:uuid:") && guid != EXPECTED_IDS[1],
        "{guid}"
    );
    // Without full text the description carries the story's picture (with its credit,
    // visible in readers that ignore Media RSS) and the teaser's summary.
    assert_eq!(
        item.description(),
        Some(
            "<figure><img src=\"https://www.beispiel-kurier.de/bilder/pegel.jpg\" alt=\"\">\
<figcaption><small>Foto: Stadt Dresden</small></figcaption></figure>\
Freiwillige melden sich bei der Feuerwehr &amp; beim THW."
        )
    );
    // The teaser's date is its first sighting, not the story's date.
    assert_eq!(
        DateTime::parse_from_rfc2822(item.pub_date().unwrap()).unwrap(),
        time("2026-11-26T20:00:00Z")
    );
    // The story's image comes along.
    assert!(item.extensions().contains_key("media"));
}

#[test]
fn opml_lists_every_feed() {
    let a = meta();
    let mut b = meta();
    b.id = "sport".into();
    b.title = "Sport & Spiel".into();
    b.lang = None;
    let bytes = render_opml(&[a, b]);
    let mut reader = quick_xml::Reader::from_reader(&bytes[..]);
    let mut buf = Vec::new();
    let mut outlines: Vec<BTreeMap<String, String>> = Vec::new();
    loop {
        match reader.read_event_into(&mut buf).unwrap() {
            quick_xml::events::Event::Empty(e) if e.name().as_ref() == b"outline" => {
                outlines.push(
                    e.attributes()
                        .map(|a| {
                            let a = a.unwrap();
                            (
                                String::from_utf8(a.key.as_ref().to_vec()).unwrap(),
                                a.unescape_value().unwrap().into_owned(),
                            )
                        })
                        .collect(),
                );
            }
            quick_xml::events::Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    assert_eq!(outlines.len(), 2);
    assert_eq!(outlines[0]["type"], "rss");
    assert_eq!(
        outlines[0]["xmlUrl"],
        "https://feeds.beispiel-kurier.de/wire/politik.rss"
    );
    assert_eq!(
        outlines[0]["htmlUrl"],
        "https://feeds.beispiel-kurier.de/wire/"
    );
    assert_eq!(outlines[1]["text"], "Sport & Spiel");
    assert_eq!(
        outlines[1]["xmlUrl"],
        "https://feeds.beispiel-kurier.de/wire/sport.rss"
    );
    assert!(String::from_utf8(bytes)
        .unwrap()
        .contains("<opml version=\"2.0\">"));
}

fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn write_if_changed_leaves_unchanged_files_alone() {
    use std::os::unix::fs::MetadataExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("politik.rss");
    let first = render_rss(&meta(), &entries());
    assert!(write_if_changed(&path, &first).unwrap());
    // Backdate the file so that any rewrite would show in its mtime.
    let past = std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_700_000_000);
    fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(past)
        .unwrap();
    let inode = fs::metadata(&path).unwrap().ino();

    assert!(!write_if_changed(&path, &render_rss(&meta(), &entries())).unwrap());
    let md = fs::metadata(&path).unwrap();
    assert_eq!(md.modified().unwrap(), past);
    assert_eq!(md.ino(), inode);

    let mut changed = entries();
    changed.truncate(1);
    let second = render_rss(&meta(), &changed);
    assert!(write_if_changed(&path, &second).unwrap());
    assert_eq!(fs::read(&path).unwrap(), second);
    assert_ne!(fs::metadata(&path).unwrap().modified().unwrap(), past);
    assert_eq!(dir_names(dir.path()), vec!["politik.rss".to_string()]);
}

#[test]
fn concurrent_writers_leave_one_whole_file_and_no_temp_files() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("politik.json");
    let versions: Vec<Vec<u8>> = (0..4)
        .map(|n| {
            let mut e = entries();
            e.truncate(n);
            render_json(&meta(), &e)
        })
        .collect();
    std::thread::scope(|s| {
        for v in &versions {
            let path = &path;
            s.spawn(move || {
                for _ in 0..20 {
                    write_if_changed(path, v).unwrap();
                }
            });
        }
    });
    let content = fs::read(&path).unwrap();
    assert!(versions.contains(&content));
    assert_eq!(dir_names(dir.path()), vec!["politik.json".to_string()]);
}

/// What XML 1.0 can carry: the renderers drop the rest rather than emit a broken feed.
fn xml_representable(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
        })
        .collect()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// Any title (markup characters, quotes, umlauts, control characters) reads back
    /// unchanged from every format, and the feeds stay well-formed.
    #[test]
    fn any_title_round_trips(title in "[a-zäöüßÄÖÜ &<>\"'„“;#\\]\\[\\t\\r\\n\\x01\\x0b\\u{FFFE}€😀]{0,40}") {
        let mut m = meta();
        m.title = title.clone();
        let mut e = entries();
        e[0].title = title.clone();
        // The `rss` and `atom_syndication` readers trim text at its edges, so compare
        // what a reader shows: everything inside must survive exactly.
        let expected = xml_representable(&title);
        let expected = expected.trim();
        let ch = rss_channel(&render_rss(&m, &e));
        proptest::prop_assert_eq!(ch.title().trim(), expected);
        proptest::prop_assert_eq!(ch.items()[0].title().unwrap_or("").trim(), expected);
        let feed = atom_feed(&render_atom(&m, &e));
        proptest::prop_assert_eq!(feed.title().value.trim(), expected);
        proptest::prop_assert_eq!(feed.entries()[0].title().value.trim(), expected);
        let v = json_feed(&render_json(&m, &e));
        proptest::prop_assert_eq!(v["items"][0]["title"].as_str(), Some(title.as_str()));
    }

    /// Hostile fragments in any order and nesting never survive sanitizing.
    #[test]
    fn hostile_fragments_never_survive(parts in proptest::collection::vec(0usize..10, 1..12)) {
        const PIECES: [&str; 10] = [
            "<script>alert(1)</script>",
            "<img src=x onerror=alert(1)>",
            "<a href=\"jAvAsCrIpT:alert(1)\">x</a>",
            "<p style=\"x\">",
            "<iframe src=//boese.example>",
            "<svg><script>alert(1)</script></svg>",
            "<form><input onfocus=alert(1) autofocus>",
            "<img src=\"data:text/html,<script>alert(1)</script>\">",
            "</p><b>Text & mehr</b>",
            "<a href=\"vbscript:x\">",
        ];
        let html: String = parts.iter().map(|&i| PIECES[i]).collect();
        let out = wirefeed::publish::sanitize_html(&html, &meta().base_url).to_ascii_lowercase();
        for bad in ["<script", "onerror", "onfocus", "javascript:", "vbscript:", "style=", "<iframe", "<form", "<input", "data:", "<svg"] {
            proptest::prop_assert!(!out.contains(bad), "{} survived in {}", bad, out);
        }
    }
}
