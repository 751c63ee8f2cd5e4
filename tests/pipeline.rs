//! End-to-end: the real binary against a real HTTP server on loopback and a real sled store
//! in a temp dir, checked the way a feed reader or an operator would notice.

mod support;

use std::time::Duration;
use support::*;

fn rss_titles(ws: &Workspace, name: &str) -> Vec<String> {
    let channel = rss::Channel::read_from(ws.feed(name).as_bytes()).expect("valid RSS");
    channel
        .items()
        .iter()
        .map(|i| i.title().unwrap_or("").to_string())
        .collect()
}

fn atom_feed(ws: &Workspace, name: &str) -> atom_syndication::Feed {
    atom_syndication::Feed::read_from(ws.feed(name).as_bytes()).expect("valid Atom")
}

const ALL: &str = "  - id: alle\n    title: Alle\n    limit: 100";

#[test]
fn every_input_format_is_published_as_rss_atom_and_json() {
    let server = TestServer::start();
    server.set(
        "/rss2.xml",
        Route::xml(rss(&[(
            "Bundesrat billigt Pflegereform",
            "a-1",
            "Die Länderkammer stimmte zu.",
            &hours_ago(1),
        )])),
    );
    server.set(
        "/atom.xml",
        Route::xml(format!(
            r#"<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>B</title><id>urn:b</id><updated>{d}</updated>
            <entry><title>Hafen wird ausgebaut</title><id>urn:b:1</id><link href="/hafen-1"/><updated>{d}</updated><summary>Der Südkai wächst.</summary></entry></feed>"#,
            d = (chrono::Utc::now() - chrono::Duration::hours(2)).to_rfc3339()
        )),
    );
    server.set(
        "/feed.json",
        Route::ok(
            "application/feed+json",
            format!(
                r#"{{"version":"https://jsonfeed.org/version/1.1","title":"C","items":[{{"id":"c-1","url":"https://c.example/1","title":"Skispringer siegt","content_text":"Weite Sprünge.","date_published":"{}"}}]}}"#,
                (chrono::Utc::now() - chrono::Duration::hours(3)).to_rfc3339()
            ),
        ),
    );
    server.set(
        "/rdf.xml",
        Route::xml(
            r#"<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/" xmlns:dc="http://purl.org/dc/elements/1.1/">
            <channel rdf:about="https://d.example/"><title>D</title><link>https://d.example/</link><description>D</description></channel>
            <item rdf:about="https://d.example/wahl"><title>Landtag wählt Präsidentin</title><link>https://d.example/wahl</link><description>Knappe Mehrheit.</description></item></rdf:RDF>"#,
        ),
    );
    let sources = format!(
        "  - id: a\n    url: {}\n  - id: b\n    url: {}\n  - id: c\n    url: {}\n  - id: d\n    url: {}",
        server.url("/rss2.xml"),
        server.url("/atom.xml"),
        server.url("/feed.json"),
        server.url("/rdf.xml")
    );
    let ws = Workspace::new(&config(&sources, ALL));
    ws.once();
    let titles = rss_titles(&ws, "alle.rss");
    // The RDF item has no date: it counts from when it was first seen, so it comes first.
    assert_eq!(
        titles,
        [
            "Landtag wählt Präsidentin",
            "Bundesrat billigt Pflegereform",
            "Hafen wird ausgebaut",
            "Skispringer siegt"
        ]
    );
    let atom = atom_feed(&ws, "alle.atom");
    assert_eq!(atom.entries().len(), 4);
    let hafen = atom
        .entries()
        .iter()
        .find(|e| e.title().as_str() == "Hafen wird ausgebaut")
        .unwrap();
    assert_eq!(
        hafen.links()[0].href(),
        server.url("/hafen-1"),
        "relative link resolved against the feed URL"
    );
    let json: serde_json::Value = serde_json::from_str(&ws.feed("alle.json")).expect("valid JSON");
    assert_eq!(json["items"].as_array().unwrap().len(), 4);
    let opml = ws.feed("index.opml");
    assert!(opml.contains("http://feeds.example/alle.rss"), "{opml}");
}

/// A feed whose channel `<link>` names another site than the one it is fetched from: its
/// relative item links and the relative URLs in its items' text point under the URL the
/// feed was fetched from (after the redirect), as RFC 3986 and the core issue ask. The same
/// feed from a spool file has no URL of its own, so there the channel link stands in.
#[test]
fn relative_item_links_resolve_against_the_feed_url_not_the_channel_link() {
    let feed = |n: &str| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel>\
<title>Beispiel-Nachrichten</title><link>https://www.example.de/</link><description>Test</description>\
<item><title>Meldung {n} aus dem Rathaus</title><link>meldung/{n}.html</link>\
<guid isPermaLink=\"false\">meldung-{n}</guid><pubDate>{}</pubDate>\
<description>&lt;p&gt;Der erfundene Rat tagt &lt;a href=\"hintergrund/{n}.html\"&gt;erneut&lt;/a&gt;.\
&lt;img src=\"/bilder/{n}.jpg\" alt=\"Rathaus\"&gt;&lt;/p&gt;</description></item>\
</channel></rss>\n",
            hours_ago(1)
        )
    };
    let server = TestServer::start();
    server.set(
        "/alt/meldungen.rss",
        Route::xml("")
            .with_status(301)
            .with_header("Location", "/feeds/x.rss"),
    );
    server.set("/feeds/x.rss", Route::xml(feed("1")));
    let sources = format!(
        "  - id: http\n    url: {}\n  - id: spool\n    url: spool",
        server.url("/alt/meldungen.rss")
    );
    let ws = Workspace::new(&config(&sources, ALL));
    std::fs::create_dir_all(ws.path().join("spool")).unwrap();
    std::fs::write(ws.path().join("spool/x.rss"), feed("2")).unwrap();
    ws.once();

    let rss = rss::Channel::read_from(ws.feed("alle.rss").as_bytes()).expect("valid RSS");
    let item = |n: &str| {
        rss.items()
            .iter()
            .find(|i| i.title() == Some(&format!("Meldung {n} aus dem Rathaus")))
            .unwrap_or_else(|| panic!("item {n} missing: {}", ws.feed("alle.rss")))
    };
    let fetched = item("1");
    assert_eq!(
        fetched.link(),
        Some(server.url("/feeds/meldung/1.html").as_str())
    );
    let text = fetched.description().unwrap_or_default();
    assert!(
        text.contains(&format!(
            "href=\"{}\"",
            server.url("/feeds/hintergrund/1.html")
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!("src=\"{}\"", server.url("/bilder/1.jpg"))),
        "{text}"
    );
    let atom = atom_feed(&ws, "alle.atom");
    let entry = atom
        .entries()
        .iter()
        .find(|e| e.title().as_str() == "Meldung 1 aus dem Rathaus")
        .unwrap();
    assert_eq!(entry.links()[0].href(), server.url("/feeds/meldung/1.html"));

    let spooled = item("2");
    assert_eq!(
        spooled.link(),
        Some("https://www.example.de/meldung/2.html")
    );
    let text = spooled.description().unwrap_or_default();
    assert!(
        text.contains("href=\"https://www.example.de/hintergrund/2.html\""),
        "{text}"
    );
}

#[test]
fn second_cycle_gets_304_and_changes_nothing() {
    let server = TestServer::start();
    let body = rss(&[(
        "Exporte steigen kräftig",
        "e-1",
        "Plus 2,4 Prozent.",
        &hours_ago(1),
    )]);
    server.set(
        "/feed.xml",
        Route::xml(body.clone())
            .with_etag("\"v1-abc\"")
            .with_last_modified("Wed, 25 Nov 2026 10:00:00 GMT"),
    );
    server.set(
        "/lm.xml",
        Route::xml(rss(&[(
            "Tarifeinigung im Handel",
            "t-1",
            "Zwei Stufen.",
            &hours_ago(2),
        )]))
        .with_last_modified("Wed, 25 Nov 2026 09:00:00 GMT"),
    );
    let sources = format!(
        "  - id: a\n    url: {}\n  - id: b\n    url: {}",
        server.url("/feed.xml"),
        server.url("/lm.xml")
    );
    let ws = Workspace::new(&config(&sources, ALL));
    ws.once();
    let first = std::fs::read(ws.feed_path("alle.rss")).unwrap();
    let mtime = std::fs::metadata(ws.feed_path("alle.rss"))
        .unwrap()
        .modified()
        .unwrap();
    std::thread::sleep(Duration::from_millis(20));
    ws.once();
    let seen = server.seen("/feed.xml");
    assert_eq!(seen.len(), 2);
    assert_eq!(
        seen[1].if_none_match.as_deref(),
        Some("\"v1-abc\""),
        "ETag sent back exactly as received"
    );
    assert_eq!(
        seen[1].if_modified_since.as_deref(),
        Some("Wed, 25 Nov 2026 10:00:00 GMT")
    );
    assert_eq!(seen[1].status, 304);
    let lm = server.seen("/lm.xml");
    assert_eq!(
        lm[1].if_modified_since.as_deref(),
        Some("Wed, 25 Nov 2026 09:00:00 GMT")
    );
    assert_eq!(lm[1].status, 304);
    assert_eq!(
        std::fs::read(ws.feed_path("alle.rss")).unwrap(),
        first,
        "bytes unchanged"
    );
    assert_eq!(
        std::fs::metadata(ws.feed_path("alle.rss"))
            .unwrap()
            .modified()
            .unwrap(),
        mtime,
        "mtime unchanged"
    );
}

#[test]
fn identical_200_and_unchanged_cycle_leave_outputs_untouched() {
    let server = TestServer::start();
    server.set(
        "/feed.xml",
        Route::xml(rss(&[(
            "Glätte im Norden",
            "g-1",
            "Wetterdienst warnt.",
            &hours_ago(1),
        )])),
    );
    let ws = Workspace::new(&config(
        &format!("  - id: a\n    url: {}", server.url("/feed.xml")),
        ALL,
    ));
    ws.once();
    let before: Vec<_> = ["alle.rss", "alle.atom", "alle.json", "index.opml"]
        .iter()
        .map(|f| {
            std::fs::metadata(ws.feed_path(f))
                .unwrap()
                .modified()
                .unwrap()
        })
        .collect();
    std::thread::sleep(Duration::from_millis(20));
    let out = ws.wirefeed(&["once", "--all", "--verbose"]);
    assert!(stderr(&out).contains("unchanged"), "{}", stderr(&out));
    let after: Vec<_> = ["alle.rss", "alle.atom", "alle.json", "index.opml"]
        .iter()
        .map(|f| {
            std::fs::metadata(ws.feed_path(f))
                .unwrap()
                .modified()
                .unwrap()
        })
        .collect();
    assert_eq!(before, after);
}

#[test]
fn same_story_through_two_sources_is_published_once() {
    let server = TestServer::start();
    let text = "Der Bundesrat hat am Donnerstag die Reform der Pflegeversicherung gebilligt. Die Länderkammer stimmte mit breiter Mehrheit für das Gesetz, das höhere Zuschüsse für pflegende Angehörige vorsieht. Gesundheitsministerin Erika Musterfrau sprach von einem wichtigen Schritt für Millionen Familien.";
    server.set(
        "/a.xml",
        Route::xml(rss(&[(
            "Bundesrat billigt Reform der Pflegeversicherung",
            "a-1",
            text,
            &hours_ago(2),
        )])),
    );
    let edited = format!(
        "{} (za)",
        text.replace("wichtigen Schritt", "„wichtigen Schritt“")
    );
    server.set(
        "/b.xml",
        Route::xml(rss(&[
            (
                "Bundesrat billigt Reform der Pflegeversicherung | Zweite Agentur",
                "b-9",
                &edited,
                &hours_ago(1),
            ),
            (
                "Bahn plant Schnellverbindung nach Kopenhagen",
                "b-10",
                "Unter drei Stunden ab Hamburg.",
                &hours_ago(1),
            ),
        ])),
    );
    let sources = format!(
        "  - id: a\n    url: {}\n  - id: b\n    url: {}",
        server.url("/a.xml"),
        server.url("/b.xml")
    );
    let ws = Workspace::new(&config(&sources, ALL));
    ws.once();
    let titles = rss_titles(&ws, "alle.rss");
    assert_eq!(titles.len(), 2, "{titles:?}");
    assert_eq!(
        titles
            .iter()
            .filter(|t| t.contains("Pflegeversicherung"))
            .count(),
        1,
        "{titles:?}"
    );
    // A second run must not bring it back as new either.
    ws.once();
    assert_eq!(rss_titles(&ws, "alle.rss").len(), 2);
}

#[test]
fn changed_story_is_updated_in_place_not_duplicated() {
    let server = TestServer::start();
    let date = hours_ago(1);
    server.set(
        "/feed.xml",
        Route::xml(rss(&[(
            "Zugunglück bei Beispielstadt",
            "z-1",
            "Mehrere Verletzte.",
            &date,
        )])),
    );
    let ws = Workspace::new(&config(
        &format!("  - id: a\n    url: {}", server.url("/feed.xml")),
        ALL,
    ));
    ws.once();
    let before = atom_feed(&ws, "alle.atom");
    let id = before.entries()[0].id().to_string();
    let updated_before = *before.entries()[0].updated();
    std::thread::sleep(Duration::from_millis(1100));
    server.set(
        "/feed.xml",
        Route::xml(rss(&[(
            "Zugunglück bei Beispielstadt: zwei Tote",
            "z-1",
            "Mehrere Verletzte, zwei Menschen starben.",
            &date,
        )])),
    );
    ws.once();
    let after = atom_feed(&ws, "alle.atom");
    assert_eq!(after.entries().len(), 1);
    assert_eq!(after.entries()[0].id(), id, "same id after the update");
    assert_eq!(
        after.entries()[0].title().as_str(),
        "Zugunglück bei Beispielstadt: zwei Tote"
    );
    assert!(
        *after.entries()[0].updated() > updated_before,
        "updated time moves"
    );
}

#[test]
fn retention_and_embargo() {
    let server = TestServer::start();
    let future = (chrono::Utc::now() + chrono::Duration::hours(3)).to_rfc2822();
    server.set(
        "/feed.xml",
        Route::xml(rss(&[
            (
                "Alte Meldung vom Vormonat",
                "old-1",
                "Längst vorbei.",
                &hours_ago(24 * 40),
            ),
            ("Aktuelle Meldung", "new-1", "Heute.", &hours_ago(1)),
            (
                "Sperrfrist: Haushaltsentwurf",
                "emb-1",
                "Erst in drei Stunden.",
                &future,
            ),
        ])),
    );
    let ws = Workspace::new(&config(
        &format!("  - id: a\n    url: {}", server.url("/feed.xml")),
        ALL,
    ));
    ws.once();
    assert_eq!(
        rss_titles(&ws, "alle.rss"),
        ["Aktuelle Meldung"],
        "old item expired, embargoed item held back"
    );
}

#[test]
fn bad_sources_fail_alone_and_good_ones_still_publish() {
    let server = TestServer::start();
    server.set(
        "/good.xml",
        Route::xml(rss(&[(
            "Gute Meldung",
            "g-1",
            "Alles in Ordnung.",
            &hours_ago(1),
        )])),
    );
    server.set(
        "/html.xml",
        Route::html("<!DOCTYPE html><html><body><h1>Wartungsarbeiten</h1></body></html>"),
    );
    let truncated = rss(&[("Abgeschnitten", "t-1", "Text", &hours_ago(1))]);
    server.set(
        "/truncated.xml",
        Route::xml(truncated[..truncated.len() / 2].to_string()),
    );
    server.set("/error.xml", Route::xml("kaputt").with_status(500));
    server.set(
        "/slow.xml",
        Route::xml(rss(&[("Zu spät", "s-1", "x", &hours_ago(1))]))
            .with_delay(Duration::from_secs(6)),
    );
    server.set(
        "/huge.xml",
        Route::xml(format!(
            "<rss version=\"2.0\"><channel>{}</channel></rss>",
            "<!-- padding -->".repeat(100_000)
        )),
    );
    server.set(
        "/garbage.xml",
        Route::xml(vec![0u8, 159, 146, 150, 255, 0, 1]),
    );
    let names = [
        "good",
        "html",
        "truncated",
        "error",
        "slow",
        "huge",
        "garbage",
    ];
    let sources: Vec<String> = names
        .iter()
        .map(|n| format!("  - id: {n}\n    url: {}", server.url(&format!("/{n}.xml"))))
        .collect();
    let ws = Workspace::new(&config(&sources.join("\n"), ALL));
    let out = ws.once();
    let err = stderr(&out);
    for bad in &names[1..] {
        assert!(
            err.contains(&format!("source={bad}")),
            "failure of {bad} reported: {err}"
        );
    }
    assert!(err.contains("500"), "{err}");
    assert!(err.contains("max_body"), "{err}");
    assert!(err.contains("timed out"), "{err}");
    assert_eq!(rss_titles(&ws, "alle.rss"), ["Gute Meldung"]);
}

#[test]
fn config_errors_name_file_line_and_column() {
    let ws = Workspace::new(
        "base_url: http://localhost:8080/\npoll:\n  interval: fünf\nsources:\n  - id: Agentur X\n    url: https://a.example/feed\n  - id: b\n    url: https://b.example/feed\n    tagz: [x]\nfeeds:\n  - id: alle\n    sources: [nirgendwo]\n  - id: alle\n",
    );
    for args in [&["check"][..], &["once"][..], &["run"][..]] {
        let out = ws.wirefeed(args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        for expected in [
            "config.yaml:3:13:",
            "config.yaml:5:9:",
            "config.yaml:9:5:",
            "config.yaml:12:15:",
            "config.yaml:13:9:",
        ] {
            assert!(
                err.contains(expected),
                "{args:?} should report {expected}: {err}"
            );
        }
    }
    assert!(
        !ws.path().join("store").exists(),
        "an invalid config opens no store"
    );
}

#[test]
fn second_instance_is_refused_by_the_store_lock() {
    let server = TestServer::start();
    server.set(
        "/feed.xml",
        Route::xml(rss(&[("Meldung", "m-1", "Text.", &hours_ago(1))])),
    );
    let ws = Workspace::new(&config(
        &format!("  - id: a\n    url: {}", server.url("/feed.xml")),
        ALL,
    ));
    let held = wirefeed::store::Store::open(&ws.path().join("store"), Default::default())
        .expect("open store");
    let out = ws.wirefeed(&["once"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("locked by another running wirefeed"),
        "{}",
        stderr(&out)
    );
    assert!(
        server.seen("/feed.xml").is_empty(),
        "nothing fetched before the lock was taken"
    );
    drop(held);
    ws.once();
}

#[test]
fn feed_filters_pick_their_stories() {
    let server = TestServer::start();
    server.set(
        "/feed.xml",
        Route::xml(rss(&[
            (
                "Ukraine erhält weitere Hilfe",
                "u-1",
                "Paket beschlossen.",
                &hours_ago(1),
            ),
            (
                "Nord-Korea testet Rakete",
                "n-1",
                "Start beobachtet.",
                &hours_ago(2),
            ),
            (
                "Sport: Ukraine gewinnt Länderspiel",
                "s-1",
                "2:1.",
                &hours_ago(3),
            ),
            (
                "Wetter bleibt mild",
                "w-1",
                "Bis zu 12 Grad.",
                &hours_ago(4),
            ),
        ])),
    );
    let feeds = "  - id: ausland\n    title: Ausland\n    include: [Ukraine, \"/Nord-?korea/i\"]\n    exclude: [Sport]\n  - id: zwei\n    title: Zwei\n    limit: 2";
    let ws = Workspace::new(&config(
        &format!("  - id: a\n    url: {}", server.url("/feed.xml")),
        feeds,
    ));
    ws.once();
    assert_eq!(
        rss_titles(&ws, "ausland.rss"),
        ["Ukraine erhält weitere Hilfe", "Nord-Korea testet Rakete"]
    );
    assert_eq!(
        rss_titles(&ws, "zwei.rss"),
        ["Ukraine erhält weitere Hilfe", "Nord-Korea testet Rakete"]
    );
}

#[test]
fn an_empty_source_feed_is_valid_and_outputs_are_still_written() {
    let server = TestServer::start();
    server.set("/empty.xml", Route::xml(rss(&[])));
    let ws = Workspace::new(&config(
        &format!("  - id: leer\n    url: {}", server.url("/empty.xml")),
        ALL,
    ));
    let out = ws.once();
    assert!(
        stderr(&out).contains("no items"),
        "warning logged: {}",
        stderr(&out)
    );
    assert!(rss_titles(&ws, "alle.rss").is_empty());
    assert!(atom_feed(&ws, "alle.atom").entries().is_empty());
}

#[test]
fn a_removed_feed_loses_its_files() {
    let server = TestServer::start();
    server.set(
        "/feed.xml",
        Route::xml(rss(&[("Meldung", "m-1", "Text.", &hours_ago(1))])),
    );
    let sources = format!("  - id: a\n    url: {}", server.url("/feed.xml"));
    let ws = Workspace::new(&config(
        &sources,
        &format!("{ALL}\n  - id: extra\n    title: Extra"),
    ));
    ws.once();
    assert!(ws.feed_path("extra.rss").exists());
    ws.write_config(&config(&sources, ALL));
    ws.once();
    assert!(!ws.feed_path("extra.rss").exists());
    assert!(!ws.feed_path("extra.atom").exists());
    assert!(!ws.feed("index.opml").contains("extra"));
}

/// Regression: results were stored in network completion order, so which copy of a story
/// was kept ("first seen") depended on which server answered first.
#[test]
fn the_first_listed_source_keeps_its_copy_whatever_the_network_timing() {
    let server = TestServer::start();
    let text = "Der Landtag hat am Mittwoch nach langer Debatte ein neues Schulgesetz beschlossen. Es sieht kleinere Klassen in den Grundschulen und mehr Stellen für Sozialarbeiter an allen Schulen des Landes vor.";
    server.set(
        "/slow.xml",
        Route::xml(rss(&[(
            "Landtag beschließt Schulgesetz",
            "s-1",
            text,
            &hours_ago(2),
        )]))
        .with_delay(Duration::from_millis(800)),
    );
    server.set(
        "/fast.xml",
        Route::xml(rss(&[(
            "Landtag beschließt Schulgesetz | Schnellblatt",
            "f-1",
            text,
            &hours_ago(1),
        )])),
    );
    let sources = format!(
        "  - id: zuerst\n    url: {}\n  - id: danach\n    url: {}",
        server.url("/slow.xml"),
        server.url("/fast.xml")
    );
    let ws = Workspace::new(&config(&sources, ALL));
    ws.once();
    assert_eq!(
        rss_titles(&ws, "alle.rss"),
        ["Landtag beschließt Schulgesetz"]
    );
}
