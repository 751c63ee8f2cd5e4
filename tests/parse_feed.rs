//! Integration tests of the feed parser against the fixtures in tests/fixtures/feeds/.

use std::time::Duration;

use chrono::{DateTime, Utc};
use proptest::prelude::*;
use url::Url;
use wirefeed::model::{Image, Item, ParsedFeed};
use wirefeed::parse::feed::{parse_feed, FeedError};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/feeds");

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{path}")).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}

fn base() -> Url {
    Url::parse("https://feeds.example/rss/politik.xml").expect("base url")
}

fn parse(path: &str) -> ParsedFeed {
    parse_feed(&fixture(path), &base()).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn fail(path: &str) -> FeedError {
    match parse_feed(&fixture(path), &base()) {
        Ok(feed) => panic!("{path}: expected an error, got {} items", feed.items.len()),
        Err(e) => e,
    }
}

fn url(s: &str) -> Option<Url> {
    Some(Url::parse(s).expect("test url"))
}

fn date(s: &str) -> Option<DateTime<Utc>> {
    Some(
        DateTime::parse_from_rfc3339(s)
            .expect("test date")
            .with_timezone(&Utc),
    )
}

fn titles(feed: &ParsedFeed) -> Vec<&str> {
    feed.items.iter().map(|i| i.title.as_str()).collect()
}

fn by_guid<'a>(feed: &'a ParsedFeed, guid: &str) -> &'a Item {
    feed.items
        .iter()
        .find(|i| i.guid.as_deref() == Some(guid))
        .unwrap_or_else(|| panic!("no item with guid {guid}"))
}

/// Every fixture file, for the no-panic sweeps.
fn all_fixtures() -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    for dir in std::fs::read_dir(FIXTURES).expect("fixture dir") {
        let dir = dir.expect("entry").path();
        for f in std::fs::read_dir(&dir).expect("fixture subdir") {
            let f = f.expect("entry").path();
            out.push((
                f.display().to_string(),
                std::fs::read(&f).expect("read fixture"),
            ));
        }
    }
    assert!(out.len() > 30, "fixtures missing: {}", out.len());
    out
}

// --- RSS 2.0 -------------------------------------------------------------------------------

#[test]
fn rss2_feed_level_fields() {
    let feed = parse("rss2/agentur.xml");
    assert_eq!(
        feed.title.as_deref(),
        Some("Nachrichtenagentur Beispiel – Politik")
    );
    assert_eq!(feed.link, url("https://www.agentur-beispiel.de/"));
    assert_eq!(feed.lang.as_deref(), Some("de"));
    assert_eq!(feed.ttl, Some(Duration::from_secs(15 * 60)));
    assert_eq!(
        titles(&feed),
        [
            "Bundesrat billigt Reform der Pflegeversicherung",
            "Tarifeinigung im öffentlichen Dienst & neue Warnstreiks",
            "Der Pegel der Elbe in Dresden steigt weiter; die Stadt bereitet Sandsäcke vor…",
            "Meldung ohne Verweis",
            "Landtag wählt neue Präsidentin",
        ]
    );
}

#[test]
fn rss2_full_item_maps_every_field() {
    let feed = parse("rss2/agentur.xml");
    let item = by_guid(&feed, "nab-2026-11-27-0815-001");
    assert_eq!(
        item.link,
        url("https://www.agentur-beispiel.de/politik/bundesrat-pflegereform-100.html")
    );
    assert_eq!(item.published, date("2026-11-27T07:15:00Z"));
    assert_eq!(item.updated, None, "RSS has no modification date");
    assert_eq!(
        item.authors,
        ["Henrike Almstedt", "Jonas Vellmer"],
        "document order"
    );
    assert_eq!(item.categories, ["Politik", "Pflege"], "duplicates dropped");
    assert_eq!(
        item.summary_html.as_deref(),
        Some("<p>Die Länderkammer stimmte mit breiter Mehrheit zu.</p>")
    );
    let content = item.content_html.as_deref().expect("content:encoded");
    assert!(
        content.contains(r#"<a href="https://feeds.example/politik/pflege-faq-100.html">"#),
        "relative link in content made absolute against the feed URL: {content}"
    );
    assert!(content.contains("Die Reform tritt im Januar in Kraft."));
    assert_eq!(
        item.image,
        Some(Image {
            url: "https://bilder.agentur-beispiel.de/2026/11/bundesrat.jpg".into(),
            caption: Some("Blick in den Plenarsaal des Bundesrates".into()),
            credit: Some("Foto: Lena Osterkamp/NAB".into()),
            mime: Some("image/jpeg".into()),
            length: Some(48213),
        })
    );
    assert_eq!(item.lang.as_deref(), Some("de"), "feed language inherited");
}

#[test]
fn rss2_relative_link_enclosure_image_and_no_guid() {
    let feed = parse("rss2/agentur.xml");
    let item = &feed.items[1];
    assert_eq!(
        item.guid, None,
        "no <guid> means no guid, not an invented one"
    );
    assert_eq!(
        item.link,
        url("https://feeds.example/wirtschaft/tarif-einigung-102.html"),
        "relative link resolved against the URL the feed was fetched from, not the channel link"
    );
    // A spool file has no URL of its own: there the channel link stands in.
    let spooled = parse_feed(
        &fixture("rss2/agentur.xml"),
        &Url::parse("file:///var/spool/agentur/politik.xml").expect("file url"),
    )
    .expect("spooled feed");
    assert_eq!(
        spooled.items[1].link,
        url("https://www.agentur-beispiel.de/wirtschaft/tarif-einigung-102.html"),
        "a spool file's relative link resolved against the channel link"
    );
    let content = spooled.items[0].content_html.as_deref().expect("content");
    assert!(
        content.contains(r#"href="https://www.agentur-beispiel.de/politik/pflege-faq-100.html""#),
        "{content}"
    );
    assert_eq!(item.published, date("2026-11-26T17:40:00Z"));
    let image = item.image.as_ref().expect("enclosure image");
    assert_eq!(
        image.url,
        "https://bilder.agentur-beispiel.de/2026/11/tarif.png"
    );
    assert_eq!(image.mime.as_deref(), Some("image/png"));
    assert_eq!(image.length, Some(10240));
    assert_eq!(image.credit, None);
}

#[test]
fn rss2_thumbnail_image_with_item_level_credit() {
    let feed = parse("rss2/agentur.xml");
    let item = by_guid(&feed, "nab-2026-11-26-1200-006");
    let image = item.image.as_ref().expect("thumbnail");
    assert_eq!(
        image.url,
        "https://bilder.agentur-beispiel.de/2026/11/landtag-thumb.jpg"
    );
    assert_eq!(image.credit.as_deref(), Some("Foto: Piet Hollander"));
}

#[test]
fn rss2_untitled_item_gets_title_from_its_text() {
    let feed = parse("rss2/agentur.xml");
    let item = by_guid(&feed, "nab-2026-11-26-1630-003");
    assert!(item.title.chars().count() <= 81, "{}", item.title);
    assert!(item
        .title
        .starts_with("Der Pegel der Elbe in Dresden steigt weiter"));
    assert!(item.title.ends_with('…'));
}

#[test]
fn rss2_item_without_link_or_guid_is_kept_and_empty_item_skipped_with_reason() {
    let feed = parse("rss2/agentur.xml");
    assert_eq!(feed.items.len(), 5);
    let unidentified = feed
        .items
        .iter()
        .find(|i| i.title == "Meldung ohne Verweis")
        .expect("an item without link and guid is published");
    assert_eq!((&unidentified.guid, &unidentified.link), (&None, &None));
    assert_eq!(feed.skipped.len(), 1, "{:?}", feed.skipped);
    assert!(
        feed.skipped[0].contains("nab-2026-11-26-1500-005"),
        "{}",
        feed.skipped[0]
    );
    assert!(feed.skipped[0].contains("no title"), "{}", feed.skipped[0]);
}

#[test]
fn rss_without_or_with_odd_version_is_read() {
    let feed = parse("rss2/ohne-version.xml");
    assert_eq!(titles(&feed), ["Kabinett beschließt Haushaltsentwurf"]);
    assert_eq!(feed.items[0].guid.as_deref(), Some("nab-ov-1"));
    let feed = parse("rss2/version-ungewoehnlich.xml");
    assert_eq!(titles(&feed), ["Verkehrsminister kündigt Bahngipfel an"]);
    assert_eq!(
        feed.items[0].link,
        url("https://version.example/bahngipfel.html")
    );
}

#[test]
fn feed_without_items_is_ok_and_empty() {
    let feed = parse("rss2/leer.xml");
    assert_eq!(feed.title.as_deref(), Some("Nachtdienst"));
    assert!(feed.items.is_empty());
    assert!(feed.skipped.is_empty());
    assert_eq!(feed.ttl, Some(Duration::from_secs(3600)));
}

#[test]
fn undeclared_html_entities_are_decoded() {
    let feed = parse("rss2/entities.xml");
    assert_eq!(feed.title.as_deref(), Some("Entitäten"));
    let item = &feed.items[0];
    assert_eq!(item.title, "Grüne fordern „Klimageld“ für Bürger");
    assert_eq!(item.authors, ["Jörg Müller"]);
    assert_eq!(item.categories, ["Gesundheit & Pflege"]);
    let summary = item.summary_html.as_deref().expect("summary");
    assert!(
        summary.starts_with("<p>Die Fraktion legt einen Entwurf vor.</p>"),
        "{summary}"
    );
    assert_eq!(
        feed.items[1].title, "Inzidenz < 50 in allen Kreisen",
        "a bare < is not a tag"
    );
}

#[test]
fn bare_ampersands_are_repaired() {
    let feed = parse("rss2/ampersand.xml");
    assert_eq!(titles(&feed), ["Müller & Söhne übernimmt Traditionswerft"]);
    assert_eq!(
        feed.items[0].link,
        url("https://ampersand.example/werft.html?ressort=wirtschaft&id=17")
    );
    assert_eq!(feed.items[0].categories, ["Wirtschaft & Finanzen"]);
}

#[test]
fn lenient_dates_one_by_one() {
    let feed = parse("rss2/daten.xml");
    let cases = [
        ("d1", date("2026-06-05T06:30:00Z")),
        ("d2", date("2026-06-05T06:30:00Z")),
        ("d3", date("2026-06-05T08:30:00Z")),
        ("d4", date("2026-06-05T06:30:00Z")),
        ("d5", date("2026-12-07T08:05:00Z")),
        ("d6", None),
        ("d7", None),
        ("d8", date("2026-06-05T06:30:00Z")),
    ];
    for (guid, want) in cases {
        assert_eq!(by_guid(&feed, guid).published, want, "{guid}");
    }
    assert_eq!(by_guid(&feed, "d8").updated, date("2026-06-06T10:00:00Z"));
    assert_eq!(feed.items.len(), 8, "undated items are kept");
}

#[test]
fn guid_that_is_a_web_address_stands_in_for_the_link() {
    let feed = parse("rss2/guid-als-link.xml");
    assert_eq!(feed.items[0].link, url("https://guid.example/meldung/4711"));
    assert_eq!(
        feed.items[0].guid.as_deref(),
        Some("https://guid.example/meldung/4711")
    );
    assert_eq!(feed.items[1].link, None);
    assert_eq!(feed.items[1].guid.as_deref(), Some("nab-4712"));
}

#[test]
fn xml_base_wins_over_the_channel_link() {
    let feed = parse("rss2/xml-base.xml");
    assert_eq!(
        feed.items[0].link,
        url("https://cdn.base.example/regional/bericht-1.html")
    );
}

#[test]
fn relative_links_fall_back_to_the_fetch_url() {
    let body = br#"<rss version="2.0"><channel><title>Ohne Link</title>
        <item><title>Relativ</title><link>meldung.html</link></item></channel></rss>"#;
    let feed = parse_feed(body, &base()).expect("feed");
    assert_eq!(
        feed.items[0].link,
        url("https://feeds.example/rss/meldung.html")
    );
    assert_eq!(feed.link, None);
}

// --- RSS 1.0 and 0.9x ----------------------------------------------------------------------

#[test]
fn rss1_rdf_feed() {
    let feed = parse("rss1/rdf.xml");
    assert_eq!(feed.title.as_deref(), Some("Agenturdienst RDF"));
    assert_eq!(feed.link, url("https://rdf.example/"));
    assert_eq!(feed.lang.as_deref(), Some("de"));
    assert_eq!(
        titles(&feed),
        [
            "Gericht kippt Mietendeckel-Verordnung",
            "Flughafen meldet Passagierrekord"
        ]
    );
    let first = &feed.items[0];
    assert_eq!(
        first.link,
        url("https://rdf.example/recht/mietendeckel.html")
    );
    assert_eq!(first.authors, ["Carla Brennecke"]);
    assert_eq!(first.published, date("2026-11-25T09:00:00Z"));
    assert_eq!(
        first.content_html.as_deref(),
        Some("<p>Das Oberverwaltungsgericht gibt den Klägern recht.</p>")
    );
    assert_eq!(
        feed.items[1].link,
        url("https://feeds.example/wirtschaft/flughafen.html"),
        "relative link resolved against the feed URL"
    );
    assert_eq!(feed.items[1].published, date("2026-11-24T18:45:00Z"));
}

#[test]
fn rss091_with_doctype() {
    let feed = parse("rss09/rss091.xml");
    assert_eq!(
        titles(&feed),
        [
            "Wetterdienst warnt vor Sturmboeen",
            "Autobahn nach Unfall gesperrt"
        ]
    );
    assert_eq!(feed.items[0].link, url("https://rss091.example/sturm.html"));
    assert_eq!(feed.items[0].guid, None);
    assert_eq!(feed.items[0].published, None);
    assert_eq!(
        feed.lang.as_deref(),
        Some("de-DE"),
        "feed-rs lowercases it; we restore BCP 47 case"
    );
    assert_eq!(feed.items[1].lang.as_deref(), Some("de-DE"));
}

#[test]
fn rss092_item_without_title() {
    let feed = parse("rss09/rss092.xml");
    assert_eq!(
        titles(&feed),
        ["Die Polizei sucht Zeugen eines Einbruchs in der Innenstadt."]
    );
    assert_eq!(
        feed.items[0].link,
        url("https://rss092.example/einbruch.html")
    );
}

#[test]
fn rss090_netscape_namespace() {
    let feed = parse("rss09/rss090.xml");
    assert_eq!(feed.title.as_deref(), Some("Dienst 0.90"));
    assert_eq!(
        titles(&feed),
        [
            "Messe meldet Besucherplus",
            "Zoo begruesst Nachwuchs bei den Pinguinen"
        ]
    );
    assert_eq!(feed.items[1].link, url("https://rss090.example/zoo.html"));
}

// --- Atom ----------------------------------------------------------------------------------

#[test]
fn atom_feed_level_fields() {
    let feed = parse("atom/atom.xml");
    assert_eq!(feed.title.as_deref(), Some("Agentur Atomdienst"));
    assert_eq!(feed.link, url("https://atom.example/"));
    assert_eq!(feed.lang.as_deref(), Some("de-DE"));
    assert_eq!(feed.ttl, None);
    assert_eq!(feed.items.len(), 3);
}

#[test]
fn atom_entry_maps_every_field() {
    let feed = parse("atom/atom.xml");
    let item = by_guid(&feed, "tag:atom.example,2026:meldung-1");
    assert_eq!(
        item.title,
        "Koalition einigt sich auf Rentenpaket & Haltelinie"
    );
    assert_eq!(
        item.link,
        url("https://atom.example/politik/rentenpaket.html")
    );
    assert_eq!(item.authors, ["Mira Sandvoß"]);
    assert_eq!(item.categories, ["Inland", "Rente"]);
    assert_eq!(item.published, date("2026-11-27T06:00:00Z"));
    assert_eq!(item.updated, date("2026-11-27T07:30:00Z"));
    assert_eq!(
        item.summary_html.as_deref(),
        Some("Rentenniveau bleibt bei 48 Prozent &amp; Beiträge steigen")
    );
    assert_eq!(
        item.content_html.as_deref(),
        Some(
            r#"<p>Die Spitzen der Koalition einigten sich in der Nacht.</p><img src="https://atom.example/bilder/rente.jpg">"#
        )
    );
    assert_eq!(item.lang.as_deref(), Some("de-DE"));
}

#[test]
fn atom_alternate_link_entry_language_and_updated_only() {
    let feed = parse("atom/atom.xml");
    let item = by_guid(&feed, "tag:atom.example,2026:meldung-2");
    assert_eq!(item.link, url("https://atom.example/en/paris.html"));
    assert_eq!(item.lang.as_deref(), Some("en"));
    assert_eq!(item.published, date("2026-11-26T20:00:00Z"));
    assert_eq!(item.updated, None);
}

#[test]
fn atom_entry_without_id_has_no_guid() {
    let feed = parse("atom/atom.xml");
    let item = &feed.items[2];
    assert_eq!(item.title, "Meldung ohne Kennung");
    assert_eq!(
        item.guid, None,
        "feed-rs invents an id; we must not pass it on"
    );
    assert_eq!(item.link, url("https://atom.example/politik/ohne-id.html"));
}

#[test]
fn atom03_old_namespace() {
    let feed = parse("atom/atom03.xml");
    assert_eq!(titles(&feed), ["Archivmeldung aus dem alten Format"]);
    assert_eq!(
        feed.items[0].guid.as_deref(),
        Some("tag:atom03.example,2005:1")
    );
    assert_eq!(
        feed.items[0].link,
        url("https://atom03.example/archiv/1.html")
    );
}

// --- JSON Feed -----------------------------------------------------------------------------

#[test]
fn json_feed_11() {
    let feed = parse("json/feed11.json");
    assert_eq!(feed.title.as_deref(), Some("Agentur JSON-Dienst"));
    assert_eq!(feed.link, url("https://json.example/"));
    assert_eq!(feed.lang.as_deref(), Some("de"));
    assert_eq!(feed.items.len(), 4);
    assert!(feed.skipped.is_empty(), "{:?}", feed.skipped);

    let first = by_guid(&feed, "nab-json-1");
    assert_eq!(first.title, "Bundestag berät über Bürgergeld-Reform");
    assert_eq!(
        first.link,
        url("https://feeds.example/politik/buergergeld.html"),
        "relative url resolved against the feed URL"
    );
    assert_eq!(
        first.content_html.as_deref(),
        Some(
            r#"<p>Die Debatte dauerte vier Stunden. <a href="https://feeds.example/politik/faq.html">FAQ</a></p>"#
        )
    );
    assert_eq!(
        first.summary_html.as_deref(),
        Some("Debatte über Sanktionen &amp; Zuverdienst")
    );
    assert_eq!(
        first.image.as_ref().map(|i| i.url.as_str()),
        Some("https://json.example/bilder/bundestag.jpg")
    );
    assert_eq!(first.published, date("2026-11-27T08:00:00Z"));
    assert_eq!(first.updated, date("2026-11-27T09:30:00Z"));
    assert_eq!(first.authors, ["Tilman Rehberg", "Ayşe Korkmaz"]);
    assert_eq!(first.categories, ["Politik", "Soziales"]);
    assert_eq!(first.lang.as_deref(), Some("de"));

    let second = by_guid(&feed, "4711");
    assert_eq!(
        second.content_html.as_deref(),
        Some("Der Regionalligist siegt 2:1 &lt;nach Verlängerung&gt; &amp; zieht ins Viertelfinale ein.")
    );
    assert_eq!(second.lang.as_deref(), Some("de-AT"));
    assert_eq!(second.authors, ["Redaktion JSON-Dienst"]);

    let third = &feed.items[2];
    assert_eq!(third.guid, None);
    assert!(third
        .title
        .starts_with("Das Staatstheater eröffnet die Spielzeit"));
    assert!(third.title.ends_with('…') && third.title.chars().count() <= 81);

    let fourth = &feed.items[3];
    assert_eq!((&fourth.guid, &fourth.link), (&None, &None));
    assert_eq!(fourth.title, "Meldung ohne Kennung und Adresse");
}

#[test]
fn json_feed_10_with_singular_author() {
    let feed = parse("json/feed10.json");
    assert_eq!(titles(&feed), ["Stadtwerke senken Gaspreis"]);
    assert_eq!(feed.items[0].authors, ["Dienstredaktion"]);
    assert_eq!(feed.items[0].published, date("2026-11-20T12:00:00Z"));
}

// --- Encodings -----------------------------------------------------------------------------

#[test]
fn latin1_is_transcoded() {
    let feed = parse("encoding/latin1.xml");
    let item = &feed.items[0];
    assert_eq!(
        item.title,
        "Bürgermeisterin eröffnet Weihnachtsmarkt in Fürth"
    );
    assert_eq!(item.authors, ["Günther Weiß"]);
    assert_eq!(item.categories, ["Städte"]);
}

#[test]
fn windows_1252_is_transcoded() {
    let feed = parse("encoding/cp1252.xml");
    assert_eq!(
        titles(&feed),
        ["Ministerin: „Die Preise sinken“ – Heizöl unter 1 €"]
    );
}

#[test]
fn bom_and_leading_whitespace_are_tolerated() {
    assert_eq!(
        titles(&parse("encoding/bom.xml")),
        ["Gemeinderat beschließt Grundsteuer"]
    );
    assert_eq!(
        titles(&parse("encoding/leading-newlines.xml")),
        ["Schulen bleiben wegen Glätte geschlossen"]
    );
}

#[test]
fn utf16_with_bom() {
    assert_eq!(
        titles(&parse("encoding/utf16le.xml")),
        ["Ärztekammer warnt vor Grippewelle"]
    );
}

#[test]
fn invalid_utf8_byte_is_replaced_not_fatal() {
    let feed = parse("encoding/utf8-kaputt.xml");
    assert_eq!(titles(&feed), ["Kr\u{FFFD}ftiger Regen erwartet"]);
    assert_eq!(feed.items[0].link, url("https://falsch.example/regen.html"));
}

#[test]
fn unknown_encoding_is_an_error() {
    assert_eq!(
        fail("encoding/unbekannt.xml"),
        FeedError::UnsupportedEncoding {
            label: "x-klingonisch".into()
        }
    );
}

// --- Errors --------------------------------------------------------------------------------

#[test]
fn html_pages_are_not_feeds() {
    for path in ["hostile/fehlerseite.html", "hostile/html-ohne-doctype.html"] {
        let e = fail(path);
        assert!(
            matches!(&e, FeedError::NotAFeed { found, .. } if found == "an HTML page"),
            "{path}: {e:?}"
        );
        assert!(e.to_string().contains("an HTML page, not a feed"), "{e}");
    }
}

#[test]
fn truncated_bodies_are_errors_not_partial_feeds() {
    for path in [
        "hostile/abgeschnitten.xml",
        "hostile/abgeschnitten-nach-item.xml",
    ] {
        let e = fail(path);
        assert!(matches!(e, FeedError::Truncated { .. }), "{path}: {e:?}");
        assert!(e.to_string().contains("</rss>"), "{e}");
    }
    assert!(matches!(
        fail("hostile/json-abgeschnitten.json"),
        FeedError::Truncated { .. }
    ));
}

#[test]
fn every_complete_fixture_truncated_anywhere_is_an_error() {
    // Cutting a good feed at any point must never yield a (partial) feed.
    for path in [
        "rss2/agentur.xml",
        "atom/atom.xml",
        "rss1/rdf.xml",
        "json/feed11.json",
    ] {
        let body = fixture(path);
        let end = body
            .iter()
            .rposition(|b| !b.is_ascii_whitespace())
            .expect("non-empty");
        for cut in (1..end).step_by(7) {
            let r = parse_feed(&body[..cut], &base());
            assert!(r.is_err(), "{path} cut at {cut} parsed as a feed");
        }
    }
}

#[test]
fn malformed_xml_reports_its_line() {
    match fail("hostile/kaputt.xml") {
        FeedError::Malformed { line, reason, .. } => {
            assert_eq!(line, Some(9), "{reason}");
        }
        other => panic!("expected Malformed, got {other:?}"),
    }
}

#[test]
fn rss_without_channel_is_read_tolerantly_with_a_warning() {
    let feed = parse("hostile/rss-ohne-channel.xml");
    assert_eq!(titles(&feed), ["Verloren"]);
    assert!(
        feed.skipped.iter().any(|s| s.contains("needs a <channel>")),
        "{:?}",
        feed.skipped
    );
}

#[test]
fn other_xml_and_json_documents_are_not_feeds() {
    let e = fail("hostile/sitemap.xml");
    assert!(
        matches!(&e, FeedError::NotAFeed { found, .. } if found.contains("<urlset>")),
        "{e:?}"
    );
    assert!(matches!(
        fail("hostile/json-kein-feed.json"),
        FeedError::NotAFeed { .. }
    ));
    assert_eq!(
        fail("hostile/json-version2.json"),
        FeedError::UnsupportedVersion {
            version: "https://jsonfeed.org/version/2".into()
        }
    );
    assert!(matches!(
        fail("hostile/json-kaputt.json"),
        FeedError::InvalidJson { line: 1, .. }
    ));
}

#[test]
fn empty_and_garbage_bodies() {
    assert_eq!(parse_feed(b"", &base()), Err(FeedError::Empty));
    assert_eq!(parse_feed(b"  \r\n\t ", &base()), Err(FeedError::Empty));
    assert_eq!(
        parse_feed(b"\xef\xbb\xbf\n", &base()),
        Err(FeedError::Empty)
    );
    let e = parse_feed(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR", &base()).expect_err("png");
    assert!(matches!(e, FeedError::NotAFeed { .. }), "{e:?}");
    let e = parse_feed(b"Internal Server Error", &base()).expect_err("text");
    assert!(
        matches!(&e, FeedError::NotAFeed { start, .. } if start == "Internal Server Error"),
        "{e:?}"
    );
}

#[test]
fn feed_rs_panics_are_caught_and_the_feed_read_tolerantly() {
    // feed-rs unwraps the parse of a "normal play time"; 25 digits overflow it. The panic
    // is caught, and the tree reader reads the item; the log says why.
    let body = br#"<rss version="2.0" xmlns:media="http://search.yahoo.com/mrss/"><channel><title>P</title>
        <item><title>Video</title><link>https://p.example/v</link>
        <media:thumbnail url="https://p.example/v.jpg" time="9999999999999999999999999"/>
        </item></channel></rss>"#;
    let feed = parse_feed(body, &base()).expect("read by the tree reader");
    assert_eq!(titles(&feed), ["Video"]);
    assert!(
        feed.skipped
            .iter()
            .any(|s| s.contains("feed-rs cannot read")),
        "{:?}",
        feed.skipped
    );
}

#[test]
fn spool_files_resolve_against_the_channel_link() {
    let spool = Url::parse("file:///var/spool/wirefeed/nab/0815.xml").expect("file url");
    let body = br#"<rss version="2.0"><channel><title>Spool</title><link>https://agentur.example/</link>
        <item><title>Aus dem Spool</title><link>/inland/spool-1.html</link></item></channel></rss>"#;
    let feed = parse_feed(body, &spool).expect("feed");
    assert_eq!(
        feed.items[0].link,
        url("https://agentur.example/inland/spool-1.html")
    );
}

// --- One huge delivery --------------------------------------------------------------------

/// Regression: the item cap was applied after every item of a feed had been built, so a
/// feed of a million items took gigabytes before being cut to the cap.
#[test]
fn items_past_the_cap_are_counted_not_read() {
    use wirefeed::parse::cap::MAX_ITEMS_PER_DELIVERY;
    let total = MAX_ITEMS_PER_DELIVERY + 7;
    let mut rss = String::from("<rss version=\"2.0\"><channel><title>Gross</title>\n");
    let mut atom =
        String::from("<feed xmlns=\"http://www.w3.org/2005/Atom\"><title>Gross</title>\n");
    let mut json = String::from(
        "{\"version\":\"https://jsonfeed.org/version/1.1\",\"title\":\"Gross\",\"items\":[",
    );
    for n in 0..total {
        rss.push_str(&format!(
            "<item><title>{n}</title><link>https://gross.example/{n}</link></item>\n"
        ));
        atom.push_str(&format!(
            "<entry><id>urn:x:{n}</id><title>{n}</title><link href=\"https://gross.example/{n}\"/></entry>\n"
        ));
        if n > 0 {
            json.push(',');
        }
        json.push_str(&format!(
            "{{\"id\":\"{n}\",\"url\":\"https://gross.example/{n}\",\"title\":\"{n}\"}}"
        ));
    }
    rss.push_str("<title>nach den Items</title></channel></rss>\n");
    atom.push_str("</feed>\n");
    json.push_str("]}");
    for (what, body) in [("rss", rss), ("atom", atom), ("json", json)] {
        let feed = parse_feed(body.as_bytes(), &base()).unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(feed.items.len(), MAX_ITEMS_PER_DELIVERY, "{what}");
        assert_eq!(feed.not_read, 7, "{what}");
        assert_eq!(feed.items[0].title, "0", "{what}: the first items are kept");
        assert_eq!(
            feed.items.last().map(|i| i.link.clone()),
            Some(url(&format!(
                "https://gross.example/{}",
                MAX_ITEMS_PER_DELIVERY - 1
            ))),
            "{what}"
        );
    }
}

#[test]
fn a_cut_off_huge_feed_is_still_refused_as_truncated() {
    use wirefeed::parse::cap::MAX_ITEMS_PER_DELIVERY;
    let mut rss = String::from("<rss version=\"2.0\"><channel><title>Gross</title>\n");
    for n in 0..MAX_ITEMS_PER_DELIVERY + 5 {
        rss.push_str(&format!(
            "<item><title>{n}</title><link>https://gross.example/{n}</link></item>\n"
        ));
    }
    let e = parse_feed(rss.as_bytes(), &base()).expect_err("no closing tags");
    assert!(matches!(e, FeedError::Truncated { .. }), "{e:?}");
}

// --- Never panic ---------------------------------------------------------------------------

#[test]
fn no_fixture_panics_when_truncated_or_mutated() {
    for (name, body) in all_fixtures() {
        let step = (body.len() / 150).max(1);
        for cut in (0..body.len()).step_by(step) {
            let _ = parse_feed(&body[..cut], &base());
            // Flip one byte as well: a broken tag, a stray quote, a high byte.
            let mut mutated = body.clone();
            mutated[cut] = [b'<', b'"', b'&', 0xC3, b'>'][cut % 5];
            let _ = parse_feed(&mutated, &base());
        }
        let _ = name;
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn arbitrary_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let _ = parse_feed(&body, &base());
    }

    #[test]
    fn arbitrary_root_tags_and_declarations_never_panic(
        root in "(rss|feed|rdf:RDF|html|entry)",
        attrs in "[ a-z:=\"'/>?<-]{0,40}",
        enc in "[a-zA-Z0-9_-]{0,12}",
    ) {
        let body = format!(
            "<?xml version=\"1.0\" encoding=\"{enc}\"?><{root}{attrs}><channel><item><title>T</title><link>/x</link></item></channel></{root}>"
        );
        let _ = parse_feed(body.as_bytes(), &base());
    }

    #[test]
    fn arbitrary_xmlish_text_never_panics(body in "[<>/?!a-z=\"' &;#\\[\\]{}:,-]{0,300}") {
        let _ = parse_feed(body.as_bytes(), &base());
        let wrapped = format!("<rss version=\"2.0\"><channel><item>{body}</item></channel></rss>");
        let _ = parse_feed(wrapped.as_bytes(), &base());
    }
}
