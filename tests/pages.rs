//! Article pages end to end: feed items enriched from their pages (`follow_links`), the
//! "recommended" feed built from the teaser sections, article-page sources, and the refusal
//! to follow content links to private addresses.

mod support;

use support::*;

/// An article page in the shape of the real pages wirefeed reads (invented text).
fn page(headline: &str, body: &[&str], teasers: &[(&str, &str, &str)]) -> String {
    let mut html = format!(
        r#"<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">
<title>Der Testbote - {headline}</title><meta property="og:site_name" content="Der Testbote">
<meta property="article:published_time" content="{date}"></head><body>
<nav><a href="/">Start</a> <a href="/politik/">Politik</a></nav>
<article><h1>{headline}</h1>
<figure><img src="/bilder/aufmacher.jpg" alt="Bild"><figcaption>Blick auf das Rathaus / Foto: © Testagentur/Erika Bild</figcaption></figure>
"#,
        date = (chrono::Utc::now() - chrono::Duration::hours(1)).to_rfc3339()
    );
    for (i, p) in body.iter().enumerate() {
        html.push_str(&format!("<p>{p}</p>\n"));
        if i == 0 {
            html.push_str("<div class=\"fontsize\">Textgröße ändern:</div>\n");
        }
    }
    html.push_str("<p class=\"byline\">T.Tester--DTB</p></article>\n<section><h2>Empfohlen</h2>\n");
    for (title, href, summary) in teasers {
        html.push_str(&format!(
            "<div class=\"teaser\"><h3><a href=\"{href}\">{title}</a></h3><p>{summary}</p></div>\n"
        ));
    }
    html.push_str("</section><footer>Impressum · Newsletter abonnieren</footer></body></html>\n");
    html
}

fn feed_with_links(server: &TestServer, items: &[(&str, &str, &str)]) -> String {
    let mut out = String::from("<?xml version=\"1.0\"?><rss version=\"2.0\"><channel><title>Testbote</title><link>https://testbote.example/</link><description>x</description>");
    for (title, guid, path) in items {
        out.push_str(&format!(
            "<item><title>{title}</title><link>{}</link><guid isPermaLink=\"false\">{guid}</guid><description>Kurzfassung.</description><pubDate>{}</pubDate></item>",
            server.url(path),
            hours_ago(1)
        ));
    }
    out.push_str("</channel></rss>");
    out
}

const BODY_A: [&str; 3] = [
    "Der Stadtrat hat am Dienstag den Bau einer neuen Brücke über den Beispielfluss beschlossen. Die Kosten werden auf 40 Millionen Euro geschätzt.",
    "Die Opposition kritisierte den Zeitplan als zu ehrgeizig und verlangte ein unabhängiges Gutachten.",
    "Baubeginn soll im Frühjahr sein, die Freigabe für den Verkehr ist für das Jahr 2029 geplant.",
];
const BODY_B: [&str; 2] = [
    "Das städtische Klinikum bekommt eine neue Kinderstation mit 24 Betten. Der Förderbescheid des Landes wurde am Montag übergeben.",
    "Die Station soll im Herbst des kommenden Jahres in Betrieb gehen; gesucht werden dafür zwölf zusätzliche Pflegekräfte.",
];

fn recommended_feeds() -> &'static str {
    "  - id: alle\n    title: Alle\n  - id: recommended\n    title: Empfohlen\n    from: teasers\n    limit: 30"
}

#[test]
fn follow_links_enriches_items_and_teasers_make_the_recommended_feed() {
    let server = TestServer::start();
    let shared = (
        "Hafenfest lockt Tausende Besucher an",
        "/kultur/hafenfest",
        "Drei Tage Musik am Wasser.",
    );
    server.set(
        "/politik/bruecke",
        Route::html(page(
            "Stadtrat beschließt Bau der neuen Brücke",
            &BODY_A,
            &[
                shared,
                (
                    "Busfahrer streiken am Freitag",
                    "/lokal/streik",
                    "Ausfälle im Nahverkehr erwartet.",
                ),
            ],
        )),
    );
    server.set(
        "/lokal/klinikum",
        Route::html(page(
            "Klinikum erhält neue Kinderstation",
            &BODY_B,
            &[
                shared,
                (
                    "Neue Radwege im Süden der Stadt",
                    "/lokal/radwege",
                    "Vier Kilometer zusätzlich.",
                ),
            ],
        )),
    );
    server.set(
        "/feed.xml",
        Route::xml(feed_with_links(
            &server,
            &[
                ("Stadtrat beschließt Brücke", "tb-1", "/politik/bruecke"),
                ("Kinderstation fürs Klinikum", "tb-2", "/lokal/klinikum"),
            ],
        )),
    );
    let sources = format!(
        "  - id: testbote\n    url: {}\n    follow_links: true",
        server.url("/feed.xml")
    );
    let ws = Workspace::new(&config(&sources, recommended_feeds()));
    ws.once();

    let channel = rss::Channel::read_from(ws.feed("alle.rss").as_bytes()).unwrap();
    assert_eq!(channel.items().len(), 2);
    let bruecke = channel
        .items()
        .iter()
        .find(|i| {
            i.guid().unwrap().value().len() > 10 && i.title() == Some("Stadtrat beschließt Brücke")
        })
        .unwrap();
    let content = bruecke.content().expect("full text as content:encoded");
    assert!(
        content.contains("40 Millionen Euro") && content.contains("Freigabe für den Verkehr"),
        "{content}"
    );
    for furniture in [
        "Textgröße",
        "Empfohlen",
        "Hafenfest",
        "Newsletter",
        "T.Tester--DTB",
    ] {
        assert!(
            !content.contains(furniture),
            "page furniture `{furniture}` in the content: {content}"
        );
    }
    let raw = ws.feed("alle.rss");
    assert!(
        raw.contains("<media:credit") && raw.contains("Testagentur/Erika Bild"),
        "image credit published: {raw}"
    );
    assert!(
        raw.contains(&server.url("/bilder/aufmacher.jpg")),
        "image URL made absolute"
    );

    let recommended = rss::Channel::read_from(ws.feed("recommended.rss").as_bytes()).unwrap();
    let titles: Vec<&str> = recommended
        .items()
        .iter()
        .map(|i| i.title().unwrap())
        .collect();
    assert_eq!(
        titles.len(),
        3,
        "the teaser seen on both pages is one entry: {titles:?}"
    );
    for t in [
        "Hafenfest lockt Tausende Besucher an",
        "Busfahrer streiken am Freitag",
        "Neue Radwege im Süden der Stadt",
    ] {
        assert!(titles.contains(&t), "{t} missing from {titles:?}");
    }
    assert!(!titles.iter().any(|t| t.eq_ignore_ascii_case("Empfohlen")));
    assert_eq!(
        titles[0], shared.0,
        "recommended by two pages, it leads the recommended feed: {titles:?}"
    );
    let hafen = recommended
        .items()
        .iter()
        .find(|i| i.title() == Some(shared.0))
        .unwrap();
    assert_eq!(
        hafen.link(),
        Some(server.url("/kultur/hafenfest").as_str()),
        "absolute teaser link"
    );
    assert_eq!(hafen.description(), Some("Drei Tage Musik am Wasser."));

    // A second cycle fetches no page again and publishes no teaser twice.
    let pages_before = server.seen("/politik/bruecke").len();
    ws.once();
    assert_eq!(
        server.seen("/politik/bruecke").len(),
        pages_before,
        "article page fetched once"
    );
    let again = rss::Channel::read_from(ws.feed("recommended.rss").as_bytes()).unwrap();
    assert_eq!(again.items().len(), 3);
}

#[test]
fn a_teaser_pointing_to_a_stored_story_carries_its_text() {
    let server = TestServer::start();
    server.set(
        "/politik/bruecke",
        Route::html(page(
            "Stadtrat beschließt Bau der neuen Brücke",
            &BODY_A,
            &[],
        )),
    );
    server.set(
        "/lokal/klinikum",
        Route::html(page(
            "Klinikum erhält neue Kinderstation",
            &BODY_B,
            &[(
                "Stadtrat beschließt Bau der neuen Brücke",
                "/politik/bruecke",
                "Kosten: 40 Millionen.",
            )],
        )),
    );
    server.set(
        "/feed.xml",
        Route::xml(feed_with_links(
            &server,
            &[
                ("Stadtrat beschließt Brücke", "tb-1", "/politik/bruecke"),
                ("Kinderstation fürs Klinikum", "tb-2", "/lokal/klinikum"),
            ],
        )),
    );
    let sources = format!(
        "  - id: testbote\n    url: {}\n    follow_links: true",
        server.url("/feed.xml")
    );
    let ws = Workspace::new(&config(&sources, recommended_feeds()));
    ws.once();
    let recommended = rss::Channel::read_from(ws.feed("recommended.rss").as_bytes()).unwrap();
    assert_eq!(recommended.items().len(), 1);
    let content = recommended.items()[0]
        .content()
        .expect("the stored story's full text comes with the teaser");
    assert!(content.contains("unabhängiges Gutachten"), "{content}");
}

#[test]
fn an_article_page_source_becomes_one_item_with_the_bare_headline() {
    let server = TestServer::start();
    server.set(
        "/artikel/klinikum",
        Route::html(page(
            "Klinikum erhält neue Kinderstation",
            &BODY_B,
            &[(
                "Neue Radwege im Süden der Stadt",
                "/lokal/radwege",
                "Vier Kilometer.",
            )],
        )),
    );
    let sources = format!(
        "  - id: seite\n    url: {}",
        server.url("/artikel/klinikum")
    );
    let ws = Workspace::new(&config(&sources, recommended_feeds()));
    ws.once();
    let channel = rss::Channel::read_from(ws.feed("alle.rss").as_bytes()).unwrap();
    let titles: Vec<&str> = channel.items().iter().map(|i| i.title().unwrap()).collect();
    assert_eq!(
        titles,
        ["Klinikum erhält neue Kinderstation"],
        "no site name, no repeat"
    );
    let recommended = rss::Channel::read_from(ws.feed("recommended.rss").as_bytes()).unwrap();
    assert_eq!(
        recommended.items()[0].title(),
        Some("Neue Radwege im Süden der Stadt")
    );
}

#[test]
fn content_links_to_private_addresses_are_refused_by_default() {
    let server = TestServer::start();
    server.set(
        "/politik/bruecke",
        Route::html(page(
            "Stadtrat beschließt Bau der neuen Brücke",
            &BODY_A,
            &[],
        )),
    );
    server.set(
        "/feed.xml",
        Route::xml(feed_with_links(
            &server,
            &[("Stadtrat beschließt Brücke", "tb-1", "/politik/bruecke")],
        )),
    );
    let sources = format!(
        "  - id: testbote\n    url: {}\n    follow_links: true",
        server.url("/feed.xml")
    );
    // The feed URL itself is written by the operator and trusted; the article link comes from
    // the feed's content and points to loopback.
    let ws = Workspace::new(&config(&sources, recommended_feeds()).replace(
        "allow_private_addresses: true",
        "allow_private_addresses: false",
    ));
    let out = ws.once();
    assert!(
        stderr(&out).contains("non-public address"),
        "{}",
        stderr(&out)
    );
    assert!(
        server.seen("/politik/bruecke").is_empty(),
        "no request reached the private address"
    );
    let channel = rss::Channel::read_from(ws.feed("alle.rss").as_bytes()).unwrap();
    assert_eq!(
        channel.items().len(),
        1,
        "the item itself is still published"
    );
    assert!(channel.items()[0].content().is_none());
}

/// The seed-shaped article page (tests/fixtures/pages/07_seed_shape_in_main.html): four
/// teasers under "Empfohlen", root-relative links, everything inside `<main>`.
fn seed_page() -> Vec<u8> {
    std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/pages/07_seed_shape_in_main.html"),
    )
    .expect("fixture")
}

const SEED_TEASERS: [&str; 4] = [
    "Deichverstärkung am Südufer beginnt früher als geplant",
    "Inselschule wird Ganztagsschule",
    "Windpark vor der Küste wird erweitert",
    "Heimatmuseum öffnet nach Sanierung wieder",
];

/// The recommended feed's titles in RSS and Atom, and checks that every Atom entry has
/// its own `updated` time.
fn recommended_titles(ws: &Workspace) -> Vec<String> {
    let rss = rss::Channel::read_from(ws.feed("recommended.rss").as_bytes()).unwrap();
    let titles: Vec<String> = rss
        .items()
        .iter()
        .map(|i| i.title().unwrap().to_string())
        .collect();
    let atom = atom_syndication::Feed::read_from(ws.feed("recommended.atom").as_bytes()).unwrap();
    let atom_titles: Vec<String> = atom
        .entries()
        .iter()
        .map(|e| e.title().to_string())
        .collect();
    assert_eq!(titles, atom_titles, "RSS and Atom in the same order");
    let mut updated: Vec<String> = atom
        .entries()
        .iter()
        .map(|e| e.updated().to_rfc3339())
        .collect();
    updated.sort();
    updated.dedup();
    assert_eq!(
        updated.len(),
        atom.entries().len(),
        "two entries with the same atom:updated: {}",
        ws.feed("recommended.atom")
    );
    titles
}

/// Issue 9: the four teasers of the seed-shaped page come out in page order, whether the
/// page is read from a file in a spool folder or over HTTP, in either feed order, with
/// distinct updated times that stay put from cycle to cycle.
#[test]
fn seed_page_teasers_come_out_in_page_order_from_a_file_and_over_http() {
    let server = TestServer::start();
    server.set("/de/politik/faehre-nordholm-4710", Route::html(seed_page()));
    let served = format!(
        "  - id: seite\n    url: {}",
        server.url("/de/politik/faehre-nordholm-4710")
    );
    let spooled = "  - id: ablage\n    url: spool".to_string();
    for order in ["recommended", "newest"] {
        let feeds = format!(
            "  - id: alle\n    title: Alle\n  - id: recommended\n    title: Empfohlen\n    from: teasers\n    order: {order}"
        );
        for (how, sources) in [("over HTTP", &served), ("from a file", &spooled)] {
            let ws = Workspace::new(&config(sources, &feeds));
            std::fs::create_dir(ws.path().join("spool")).unwrap();
            std::fs::write(ws.path().join("spool/2026-11-30-faehre.html"), seed_page()).unwrap();
            ws.once();
            let alle = ws.feed("alle.rss");
            assert!(
                alle.contains("Inselrat beschließt neue Fährverbindung nach Nordholm"),
                "{how}: the article is read: {alle}"
            );
            assert_eq!(
                recommended_titles(&ws),
                SEED_TEASERS,
                "{how}, order {order}"
            );
            let before = ws.feed("recommended.atom");
            ws.once();
            assert_eq!(
                ws.feed("recommended.atom"),
                before,
                "{how}, order {order}: a second cycle changes neither order nor times"
            );
        }
    }
}

/// Issue 9: a page whose teaser section yields nothing says why with `--verbose`.
#[test]
fn verbose_says_why_a_page_has_no_teasers() {
    let server = TestServer::start();
    server.set(
        "/artikel/klinikum",
        Route::html(page("Klinikum erhält neue Kinderstation", &BODY_B, &[])),
    );
    let sources = format!(
        "  - id: seite\n    url: {}",
        server.url("/artikel/klinikum")
    );
    let ws = Workspace::new(&config(&sources, recommended_feeds()));
    let out = ws.wirefeed(&["--verbose", "once", "--all"]);
    let err = stderr(&out);
    assert!(
        err.contains("no teasers")
            && err.contains("/artikel/klinikum")
            && err.contains("no links to other pages follow them"),
        "{err}"
    );
}

/// Issue 9: a refused page in a spool folder is reported for that page; the folder's other
/// page is published and the source does not count as failing.
#[test]
fn a_refused_page_in_a_spool_is_reported_for_itself_not_for_the_source() {
    let ws = Workspace::new(&config(
        "  - id: ablage\n    url: spool",
        recommended_feeds(),
    ));
    let spool = ws.path().join("spool");
    std::fs::create_dir(&spool).unwrap();
    std::fs::write(spool.join("2026-11-30-faehre.html"), seed_page()).unwrap();
    std::fs::write(
        spool.join("2026-11-30-uebersicht.html"),
        std::fs::read(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("tests/fixtures/pages/10_index_page.html"),
        )
        .unwrap(),
    )
    .unwrap();
    let out = ws.once();
    let err = stderr(&out);
    assert!(
        err.contains("2026-11-30-uebersicht.html") && err.contains("not an article page"),
        "the refused page is named: {err}"
    );
    assert!(ws
        .feed("alle.rss")
        .contains("Inselrat beschließt neue Fährverbindung"));
    let status = ws.wirefeed(&["status"]);
    let table = String::from_utf8_lossy(&status.stdout);
    let row = table
        .lines()
        .find(|l| l.contains("ablage"))
        .unwrap_or_else(|| panic!("{table}"));
    assert!(!row.contains("FAILING"), "{table}");
    assert!(!row.contains("never"), "last success recorded: {table}");

    // Only refused pages: then the source fails.
    std::fs::remove_file(spool.join("2026-11-30-faehre.html")).unwrap();
    let ws2 = Workspace::new(&config(
        "  - id: ablage\n    url: spool",
        recommended_feeds(),
    ));
    std::fs::create_dir(ws2.path().join("spool")).unwrap();
    std::fs::copy(
        spool.join("2026-11-30-uebersicht.html"),
        ws2.path().join("spool/2026-11-30-uebersicht.html"),
    )
    .unwrap();
    ws2.once();
    let status = ws2.wirefeed(&["status"]);
    let table = String::from_utf8_lossy(&status.stdout);
    assert!(
        table
            .lines()
            .any(|l| l.contains("ablage") && l.contains("FAILING")),
        "{table}"
    );
}
