//! Agency formats (IPTC ninjs 1.x/2.0, NewsML-G2, NITF): every field mapping read from the
//! fixtures in `tests/fixtures/agency/`, detection from content, refused deliveries, and the
//! real binary publishing them from a spool folder and over loopback HTTP.

mod support;

use chrono::{DateTime, TimeZone, Utc};
use std::path::Path;
use support::{stderr, TestServer, Workspace};
use wirefeed::model::{Item, PubStatus, Wire};
use wirefeed::parse::feed::{parse_feed, FeedError};

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/agency")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn base() -> url::Url {
    url::Url::parse("https://beispielagentur.example/lieferung/").unwrap()
}

fn items(name: &str) -> Vec<Item> {
    parse_feed(&fixture(name), &base())
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .items
}

fn wire(item: &Item) -> &Wire {
    item.wire
        .as_deref()
        .expect("agency items carry wire metadata")
}

fn utc(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap()
}

fn refused(name: &str) -> String {
    match parse_feed(&fixture(name), &base()) {
        Ok(parsed) => panic!("{name} should be refused, got {} items", parsed.items.len()),
        Err(e) => {
            assert!(matches!(e, FeedError::Agency(_)), "{name}: {e:?}");
            e.to_string()
        }
    }
}

#[test]
fn ninjs_1_maps_every_field() {
    let items = items("ninjs1-vollstaendig.json");
    assert_eq!(
        items.len(),
        1,
        "the picture association is no story of its own"
    );
    let it = &items[0];
    assert_eq!(
        it.guid.as_deref(),
        Some("urn:beispielagentur:2026:ninjs-1001")
    );
    assert_eq!(it.title, "Landtag beschließt neues Küstenschutzgesetz");
    assert_eq!(it.authors, vec!["Erika Beispiel"]);
    assert_eq!(
        it.summary_html.as_deref(),
        Some("Der Landtag hat mit großer Mehrheit ein Gesetz für stärkere Deiche beschlossen.")
    );
    let content = it.content_html.as_deref().unwrap();
    assert!(content.starts_with("<p>Der Landtag in Kiel"), "{content}");
    assert!(
        content.contains("href=\"https://beispielagentur.example/hintergrund/deiche\""),
        "{content}"
    );
    assert_eq!(it.categories, vec!["Politik", "Umwelt"]);
    assert_eq!(it.published, Some(utc(2026, 11, 26, 6, 0)));
    assert_eq!(it.updated, Some(utc(2026, 11, 26, 6, 45)));
    assert_eq!(it.lang.as_deref(), Some("de"));
    let image = it
        .image
        .as_ref()
        .expect("image from the picture association");
    assert_eq!(
        image.url,
        "https://bilder.beispielagentur.example/1001-gross.jpg"
    );
    assert_eq!(image.length, Some(482113));
    assert_eq!(image.mime.as_deref(), Some("image/jpeg"));
    assert_eq!(
        image.caption.as_deref(),
        Some("Ein Deich an der Ostseeküste bei Sonnenaufgang.")
    );
    assert_eq!(
        image.credit.as_deref(),
        Some("Foto: Max Muster/Beispielagentur")
    );
    let w = wire(it);
    assert_eq!(w.format, "ninjs");
    assert_eq!(w.version, Some(2));
    assert_eq!(w.version_created, Some(utc(2026, 11, 26, 6, 45)));
    assert_eq!(w.embargoed, Some(utc(2026, 11, 26, 6, 30)));
    assert_eq!(w.pubstatus, PubStatus::Usable);
    assert_eq!(w.urgency, Some(3));
    assert_eq!(
        w.rights.as_deref(),
        Some("© 2026 Beispielagentur GmbH · Nur zur redaktionellen Nutzung")
    );
    assert_eq!(
        w.ednote.as_deref(),
        Some("Ergänzt um Stimmen aus dem Landtag")
    );
    assert_eq!(w.located.as_deref(), Some("Kiel"));
    assert_eq!(w.subjects.len(), 3, "{:?}", w.subjects);
    assert_eq!(w.subjects[2].code, "subj:06006000");
    assert_eq!(w.subjects[2].name, None);
}

#[test]
fn ninjs_2_array_maps_headlines_bodies_and_associations() {
    let items = items("ninjs2-liste.json");
    assert_eq!(items.len(), 2);
    let a = &items[0];
    assert_eq!(a.title, "Hafen meldet Rekordumschlag im Herbst");
    assert_eq!(
        a.summary_html.as_deref(),
        Some("Der Hafen hat im Oktober so viele Container umgeschlagen wie nie.")
    );
    assert_eq!(
        a.content_html.as_deref(),
        Some("<p>Der Hafen hat im Oktober mehr Container umgeschlagen als je zuvor.</p><p>Das Plus lag bei neun Prozent.</p>")
    );
    assert_eq!(a.categories, vec!["Wirtschaft", "Verkehr"]);
    assert_eq!(a.lang.as_deref(), Some("de-DE"));
    assert_eq!(a.authors, vec!["Jonas Beispiel"]);
    let image = a.image.as_ref().unwrap();
    assert_eq!(image.url, "https://bilder.beispielagentur.example/2001.png");
    assert_eq!(
        image.caption.as_deref(),
        Some("Containerbrücken im Abendlicht.")
    );
    assert_eq!(image.credit.as_deref(), Some("© Beispielagentur/Lena Foto"));
    let w = wire(a);
    assert_eq!(w.format, "ninjs 2.0");
    assert_eq!(w.urgency, Some(1), "urgency given as a string");
    assert_eq!(
        w.rights.as_deref(),
        Some("https://beispielagentur.example/nutzungsbedingungen")
    );
    assert_eq!(w.located.as_deref(), Some("Hamburg"));
    assert_eq!(
        w.subjects[0].code,
        "http://cv.iptc.org/newscodes/mediatopic/04000000"
    );

    assert_eq!(a.link, None, "a urn is no page");

    let b = &items[1];
    assert_eq!(b.title, "Stadtwerke senken Fernwärmepreis");
    assert_eq!(
        b.content_html.as_deref(),
        Some("<p>Die Stadtwerke senken zum Jahreswechsel den Preis für Fernwärme.</p><p>Kunden sparen im Schnitt 80 Euro im Jahr.</p>")
    );
    assert_eq!(b.published, Some(utc(2026, 11, 26, 9, 20)));
    assert_eq!(b.updated, None, "versioncreated is the only date");
    assert_eq!(b.image, None);
}

#[test]
fn ninjs_composite_yields_its_text_associations_with_the_package_picture() {
    let items = items("ninjs-paket.json");
    let guids: Vec<&str> = items.iter().filter_map(|i| i.guid.as_deref()).collect();
    assert_eq!(
        guids,
        vec![
            "urn:beispielagentur:2026:ninjs-3001",
            "urn:beispielagentur:2026:ninjs-3002"
        ]
    );
    for it in &items {
        let image = it.image.as_ref().expect("the package's picture");
        assert_eq!(image.url, "https://bilder.beispielagentur.example/3000.jpg");
        assert_eq!(
            image.caption.as_deref(),
            Some("Verschneite Gleise bei Neumünster.")
        );
    }
    assert_eq!(
        items[0].content_html.as_deref(),
        Some("<p>Starker Schneefall hat am Morgen den Bahnverkehr zwischen Hamburg und Kiel lahmgelegt.</p>")
    );
}

#[test]
fn newsml_item_with_xhtml_maps_every_field() {
    let items = items("newsml-xhtml.xml");
    assert_eq!(items.len(), 1);
    let it = &items[0];
    assert_eq!(
        it.guid.as_deref(),
        Some("urn:newsml:beispielagentur.example:20261126:g2-7001")
    );
    assert_eq!(it.title, "Bundesrat billigt Reform der Grundsteuer");
    assert_eq!(it.authors, vec!["Paula Beispiel"]);
    assert_eq!(
        it.summary_html.as_deref(),
        Some("Die Länderkammer hat die Reform mit knapper Mehrheit gebilligt.")
    );
    let content = it.content_html.as_deref().unwrap();
    assert!(
        content.starts_with("<p>Der Bundesrat hat am Donnerstag"),
        "{content}"
    );
    assert!(content.contains("Kommunen\u{201c}, sagte"), "{content}");
    assert!(
        content.contains(
            "<a href=\"https://beispielagentur.example/dossier/grundsteuer\">Dossier</a>"
        ),
        "{content}"
    );
    assert!(
        !content.contains("script") && !content.contains("alert"),
        "{content}"
    );
    assert!(!content.contains("<title>"), "{content}");
    assert_eq!(it.categories, vec!["Politik", "Steuern"]);
    assert_eq!(it.published, Some(utc(2026, 11, 26, 8, 0)));
    assert_eq!(it.updated, Some(utc(2026, 11, 26, 9, 30)));
    assert_eq!(it.lang.as_deref(), Some("de"));
    assert_eq!(
        it.link.as_ref().map(|u| u.as_str()),
        Some("https://beispielagentur.example/g2-7001.html")
    );
    let w = wire(it);
    assert_eq!(w.format, "NewsML-G2");
    assert_eq!(w.version, Some(4));
    assert_eq!(w.urgency, Some(2));
    assert_eq!(w.embargoed, Some(utc(2026, 11, 26, 7, 0)));
    assert_eq!(w.pubstatus, PubStatus::Usable);
    assert_eq!(w.signals, vec!["update"]);
    assert_eq!(
        w.ednote.as_deref(),
        Some("Neu: Zitat der Finanzministerin im dritten Absatz.")
    );
    assert_eq!(
        w.rights.as_deref(),
        Some("© 2026 Beispielagentur GmbH · Nur für Abonnenten")
    );
    assert_eq!(w.located.as_deref(), Some("Berlin"));
    assert_eq!(w.subjects.len(), 3, "the person is kept as a subject");
}

#[test]
fn newsml_message_splits_items_pictures_and_package_references() {
    let items = items("newsml-nachricht.xml");
    let guid = |i: &Item| {
        i.guid
            .as_deref()
            .unwrap()
            .rsplit(':')
            .next()
            .unwrap()
            .to_string()
    };
    let guids: Vec<String> = items.iter().map(guid).collect();
    assert_eq!(guids, vec!["g2-8001", "g2-8002", "g2-8200", "g2-8300"]);

    let nitf = &items[0];
    assert_eq!(
        nitf.title, "Windpark vor Sylt geht ans Netz",
        "G2 headline wins"
    );
    assert_eq!(nitf.authors, vec!["Tom Beispiel"], "byline from NITF");
    let content = nitf.content_html.as_deref().unwrap();
    assert_eq!(
        content.split_whitespace().collect::<Vec<_>>().join(" "),
        "<p>Der Windpark vor der Küste liefert seit Mittwoch Strom für 300.000 Haushalte.</p> <h3>Kritik von Naturschützern</h3> <p>Anna Beispiel vom Naturschutzbund sprach von einem Kompromiss.</p>"
    );
    let image = nitf.image.as_ref().expect("the linked picture item");
    assert_eq!(image.url, "https://bilder.beispielagentur.example/8100.jpg");
    assert_eq!(image.length, Some(731002));
    assert_eq!(image.caption.as_deref(), Some("Windräder vor der Küste."));
    assert_eq!(image.credit.as_deref(), Some("Beispielagentur/Ida Bild"));
    assert_eq!(nitf.categories, vec!["Wirtschaft"]);
    assert_eq!(wire(nitf).urgency, Some(4));

    let plain = &items[1];
    assert_eq!(
        plain.content_html.as_deref(),
        Some("<p>Wegen Sturm fällt die Fähre nach Helgoland am Freitag aus.</p><p>Die Reederei bietet Ersatztermine an.</p>")
    );
    assert_eq!(plain.image, None);
    assert_eq!(wire(plain).urgency, Some(5));

    let picture = &items[2];
    assert_eq!(picture.title, "Erster Schnee auf dem Brocken");
    let image = picture.image.as_ref().unwrap();
    assert_eq!(image.url, "https://bilder.beispielagentur.example/8200.jpg");
    assert_eq!(image.credit.as_deref(), Some("Beispielagentur/Kai Foto"));

    let referenced = &items[3];
    assert_eq!(referenced.title, "Netzausbau kommt schneller voran");
    assert_eq!(
        referenced.link.as_ref().map(|u| u.as_str()),
        Some("https://beispielagentur.example/g2-8300.html")
    );
}

#[test]
fn nitf_maps_every_field_from_latin_1() {
    let items = items("nitf.xml");
    assert_eq!(items.len(), 1);
    let it = &items[0];
    assert_eq!(it.guid.as_deref(), Some("bsp-nitf-9001"));
    assert_eq!(it.title, "Ölpreis steigt nach Förderkürzung");
    assert_eq!(it.authors, vec!["Sven Beispiel"]);
    assert_eq!(
        it.summary_html.as_deref(),
        Some("<p>Der Ölpreis ist am Donnerstag deutlich gestiegen.</p>")
    );
    let content = it.content_html.as_deref().unwrap();
    assert!(content.contains("um 3,20 Dollar.</p>"), "{content}");
    assert!(
        content.contains("<h3>Reaktion der Börsen</h3>"),
        "{content}"
    );
    assert!(
        content.contains("<blockquote><p>»Das war erwartet«, sagte ein Händler.</p></blockquote>"),
        "{content}"
    );
    assert!(
        !content.contains("9001.jpg"),
        "the picture is the image, not text"
    );
    let image = it.image.as_ref().unwrap();
    assert_eq!(image.url, "https://bilder.beispielagentur.example/9001.jpg");
    assert_eq!(
        image.caption.as_deref(),
        Some("Eine Förderplattform in der Nordsee.")
    );
    assert_eq!(image.credit.as_deref(), Some("Beispielagentur/Nina Bild"));
    assert_eq!(image.mime.as_deref(), Some("image/jpeg"));
    assert_eq!(it.categories, vec!["Energie", "Wirtschaft"]);
    assert_eq!(it.published, Some(utc(2026, 11, 26, 10, 15)));
    assert_eq!(it.lang.as_deref(), Some("de"));
    let w = wire(it);
    assert_eq!(w.format, "NITF");
    assert_eq!(w.version, Some(3));
    assert_eq!(w.urgency, Some(2));
    assert_eq!(w.embargoed, Some(utc(2026, 11, 26, 10, 0)));
    assert_eq!(w.located.as_deref(), Some("Stavanger"));
    assert_eq!(w.rights.as_deref(), Some("© 2026 Beispielagentur"));
    assert_eq!(
        w.ednote.as_deref(),
        Some("Aktualisiert mit Zahlen der Börse.")
    );
    assert_eq!(w.subjects[0].code, "04005000");
    assert_eq!(
        it.link.as_ref().map(|u| u.as_str()),
        Some("https://beispielagentur.example/nitf/9001.html")
    );
}

#[test]
fn canceled_and_embargoed_deliveries_parse_with_their_status() {
    let killed = items("ninjs-zurueckgezogen.json");
    assert_eq!(wire(&killed[0]).pubstatus, PubStatus::Canceled);
    assert_eq!(wire(&killed[0]).version, Some(3));
    let held = items("ninjs-sperrfrist.json");
    assert_eq!(wire(&held[0]).embargoed, Some(utc(2099, 1, 1, 6, 0)));
}

#[test]
fn malformed_deliveries_are_refused_with_a_reason() {
    let e = refused("newsml-ohne-contentset.xml");
    assert!(e.contains("leer-1") && e.contains("<contentSet>"), "{e}");
    let e = refused("ninjs-kein-ninjs.json");
    assert!(e.contains("not ninjs") && e.contains("\"uri\""), "{e}");
    let e = refused("ninjs-status-unbekannt.json");
    assert!(
        e.contains("\"vielleicht\"") && e.contains("publishing status"),
        "{e}"
    );
    let e = refused("newsml-status-unbekannt.xml");
    assert!(e.contains("stat:verschoben"), "{e}");
    let e = refused("newsml-abgeschnitten.xml");
    assert!(e.contains("truncated"), "{e}");
}

#[test]
fn feeds_and_other_json_are_not_taken_for_agency_formats() {
    let rss = support::rss(&[("Titel", "g1", "Text", "Thu, 26 Nov 2026 08:00:00 GMT")]);
    let parsed = parse_feed(rss.as_bytes(), &base()).unwrap();
    assert!(parsed.items[0].wire.is_none());
    let json_feed = br#"{"version": "https://jsonfeed.org/version/1.1", "title": "x", "items": [{"id": "1", "url": "https://x.example/1", "title": "Eins", "content_text": "uri"}]}"#;
    let parsed = parse_feed(json_feed, &base()).unwrap();
    assert!(parsed.items[0].wire.is_none());
    // JSON that is neither: the JSON Feed parser's message, not a ninjs one.
    let err = parse_feed(br#"{"foo": 1}"#, &base()).unwrap_err();
    assert!(err.to_string().contains("JSON Feed"), "{err}");
}

// ---------------------------------------------------------------------------------------
// The real binary: spool folder and HTTP.

fn agency_config(sources: &str) -> String {
    format!(
        "store: store\nfeeds_dir: feeds\nbase_url: http://feeds.example/\npoll:\n  timeout: 3s\n  allow_private_addresses: true\nretention:\n  max_age: 3650d\nsources:\n{sources}\nfeeds:\n  - id: alle\n    title: Alle\n    limit: 100\n"
    )
}

fn spool_with(ws: &Workspace, files: &[&str]) {
    let spool = ws.path().join("spool");
    std::fs::create_dir_all(&spool).unwrap();
    for f in files {
        std::fs::write(spool.join(f), fixture(f)).unwrap();
    }
}

#[test]
fn a_spool_of_agency_deliveries_is_published_with_rights_credits_and_categories() {
    let ws = Workspace::new(&agency_config("  - id: agentur\n    url: spool\n"));
    spool_with(
        &ws,
        &[
            "ninjs1-vollstaendig.json",
            "ninjs2-liste.json",
            "newsml-xhtml.xml",
            "newsml-nachricht.xml",
            "nitf.xml",
            "ninjs-zurueckgezogen.json",
            "ninjs-sperrfrist.json",
        ],
    );
    let out = ws.once();
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let rss = ws.feed("alle.rss");
    for title in [
        "Landtag beschließt neues Küstenschutzgesetz",
        "Hafen meldet Rekordumschlag im Herbst",
        "Bundesrat billigt Reform der Grundsteuer",
        "Windpark vor Sylt geht ans Netz",
        "Ölpreis steigt nach Förderkürzung",
    ] {
        assert!(
            rss.contains(&format!("<title>{title}</title>")),
            "{title} missing"
        );
    }
    assert!(
        rss.contains(
            "<dc:rights>© 2026 Beispielagentur GmbH · Nur zur redaktionellen Nutzung</dc:rights>"
        ),
        "{rss}"
    );
    assert!(
        rss.contains("<media:credit>Foto: Max Muster/Beispielagentur</media:credit>"),
        "{rss}"
    );
    assert!(rss.contains("<category>Umwelt</category>"));
    assert!(rss.contains("<dc:creator>Paula Beispiel</dc:creator>"));
    // Canceled and embargoed stories are stored, but never published.
    assert!(
        !rss.contains("Bürgermeisterwahl"),
        "canceled story published"
    );
    assert!(
        !rss.contains("Haushaltsentwurf"),
        "embargoed story published"
    );
    let atom = ws.feed("alle.atom");
    assert!(
        atom.contains("<rights type=\"text\">© 2026 Beispielagentur</rights>"),
        "{atom}"
    );
}

#[test]
fn a_malformed_delivery_is_reported_and_stores_nothing() {
    for bad in [
        "newsml-ohne-contentset.xml",
        "ninjs-kein-ninjs.json",
        "ninjs-status-unbekannt.json",
    ] {
        let ws = Workspace::new(&agency_config("  - id: agentur\n    url: spool\n"));
        spool_with(&ws, &[bad]);
        let out = ws.once();
        let err = stderr(&out);
        assert!(err.contains(bad), "{bad}: the report names the file: {err}");
        let rss = ws.feed("alle.rss");
        assert!(
            !rss.contains("<item>"),
            "{bad}: something was published: {rss}"
        );
        // The store holds nothing either: a good delivery next to it is the only story.
        spool_with(&ws, &["nitf.xml"]);
        ws.once();
        let rss = ws.feed("alle.rss");
        assert_eq!(rss.matches("<item>").count(), 1, "{bad}: {rss}");
    }
}

#[test]
fn agency_deliveries_over_http_are_detected_from_content() {
    let server = TestServer::start();
    server.set(
        "/ninjs",
        support::Route::ok("application/octet-stream", fixture("ninjs2-liste.json")),
    );
    server.set(
        "/g2",
        support::Route::ok("text/plain", fixture("newsml-nachricht.xml")),
    );
    let ws = Workspace::new(&agency_config(&format!(
        "  - id: ninjs\n    url: {}\n  - id: g2\n    url: {}\n",
        server.url("/ninjs"),
        server.url("/g2")
    )));
    let out = ws.once();
    assert!(stderr(&out).is_empty(), "{}", stderr(&out));
    let json = ws.feed("alle.json");
    assert!(json.contains("Stadtwerke senken Fernwärmepreis"), "{json}");
    assert!(json.contains("Netzausbau kommt schneller voran"), "{json}");
    assert!(json.contains("https://bilder.beispielagentur.example/8100.jpg"));
}

/// Agency and JSON Feed times that name no zone are read in the source's `timezone` (and
/// the global one for a source that names none), as feed and page times are: a reader sees
/// the story's real time, not one an hour off.
#[test]
fn zone_less_agency_and_json_feed_times_are_read_in_the_source_time_zone() {
    let ws = Workspace::new(&agency_config(
        "  - id: berlin\n    url: berlin\n    timezone: Europe/Berlin\n  - id: utc\n    url: utc\n",
    ));
    let nitf = |id: &str, title: &str| {
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<nitf version="-//IPTC//DTD NITF 3.6//EN" xml:lang="de">
  <head><docdata management-status="usable"><doc-id id-string="{id}"/><date.issue norm="20261126T083000"/></docdata></head>
  <body><body.head><hedline><hl1>{title}</hl1></hedline></body.head>
  <body.content><p>{title}: ein erfundener Text.</p></body.content></body>
</nitf>
"#
        )
    };
    let ninjs = |uri: &str, title: &str| {
        format!(
            r#"{{"uri": "{uri}", "type": "text", "versioncreated": "2026-11-26T09:15:00", "headline": "{title}", "body_text": "{title}: ein erfundener Text."}}"#
        )
    };
    let json_feed = |id: &str, title: &str| {
        format!(
            r#"{{"version": "https://jsonfeed.org/version/1.1", "title": "Test", "items": [{{"id": "{id}", "url": "https://agentur.example/{id}", "title": "{title}", "content_text": "{title}: ein erfundener Text.", "date_published": "2026-11-26T10:45:00"}}]}}"#
        )
    };
    for (folder, zone) in [("berlin", "Berlin"), ("utc", "UTC")] {
        let dir = ws.path().join(folder);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("a.xml"),
            nitf(&format!("nitf-{folder}"), &format!("NITF {zone}")),
        )
        .unwrap();
        std::fs::write(
            dir.join("b.json"),
            ninjs(&format!("urn:x:ninjs-{folder}"), &format!("ninjs {zone}")),
        )
        .unwrap();
        std::fs::write(
            dir.join("c.json"),
            json_feed(&format!("jf-{folder}"), &format!("JSON Feed {zone}")),
        )
        .unwrap();
    }
    ws.once();
    let feed: serde_json::Value = serde_json::from_str(&ws.feed("alle.json")).unwrap();
    let published = |title: &str| -> DateTime<Utc> {
        let item = feed["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["title"] == title)
            .unwrap_or_else(|| panic!("no item {title:?}: {feed}"));
        DateTime::parse_from_rfc3339(item["date_published"].as_str().expect("a date"))
            .unwrap()
            .with_timezone(&Utc)
    };
    // 08:30, 09:15 and 10:45 in Berlin (CET, UTC+1) are an hour earlier in UTC.
    assert_eq!(published("NITF Berlin"), utc(2026, 11, 26, 7, 30));
    assert_eq!(published("ninjs Berlin"), utc(2026, 11, 26, 8, 15));
    assert_eq!(published("JSON Feed Berlin"), utc(2026, 11, 26, 9, 45));
    assert_eq!(published("NITF UTC"), utc(2026, 11, 26, 8, 30));
    assert_eq!(published("ninjs UTC"), utc(2026, 11, 26, 9, 15));
    assert_eq!(published("JSON Feed UTC"), utc(2026, 11, 26, 10, 45));
}
