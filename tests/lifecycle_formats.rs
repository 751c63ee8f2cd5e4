//! The life of a wire story delivered as NewsML-G2 and as NITF, as a reader sees it in the
//! published RSS, Atom, JSON Feed and HTML page: a newer version replacing it in place, an
//! older one arriving late (ignored, logged once), a correction (the NewsML-G2 signal and
//! edNote; the NITF headline prefix and ed-msg), a withdrawal (`pubStatus` canceled,
//! NITF `management-status` withheld, a kill notice in the headline), then old copies again,
//! which never bring it back. Each step is a separate run of the real binary on the same
//! sled store, so every state survives a restart. Then a kill notice that arrives as another
//! source's copy (an RSS feed on loopback) of a story a spool source delivered.
//!
//! Deliveries are invented NewsML-G2 and NITF written here from the specifications'
//! structure, so each step says what it sends.

mod support;

use support::{cycle, deliver, stderr, Route, TestServer, Workspace};

fn config(extra_sources: &str) -> String {
    let head = "store: store\nfeeds_dir: feeds\nbase_url: http://feeds.example/\nlang: de\n";
    let poll = "poll:\n  timeout: 3s\n  allow_private_addresses: true\n";
    let retention = "retention:\n  max_age: 3650d\n";
    let feeds = "feeds:\n  - id: alle\n    title: Alle\n    limit: 100\n";
    format!(
        "{head}{poll}{retention}sources:\n  - id: agentur\n    url: spool\n{extra_sources}{feeds}"
    )
}

/// A NewsML-G2 `newsItem` with its text as inline XHTML; `meta` goes into `itemMeta`
/// (a `pubStatus`, `signal`, `edNote`); without a `pubStatus` there it is usable.
fn newsml(
    guid: &str,
    version: u32,
    created: &str,
    meta: &str,
    headline: &str,
    body: &str,
) -> String {
    let status = if meta.contains("pubStatus") {
        ""
    } else {
        "<pubStatus qcode=\"stat:usable\"/>"
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="{guid}" version="{version}" standard="NewsML-G2" standardversion="2.30" xml:lang="de">
  <itemMeta>
    <itemClass qcode="ninat:text"/>
    <firstCreated>2026-11-26T06:00:00Z</firstCreated>
    <versionCreated>{created}</versionCreated>
    {status}{meta}
    <link rel="irel:canonical" href="https://agentur.example/meldung/{version_free}"/>
  </itemMeta>
  <contentMeta>
    <urgency>4</urgency>
    <headline>{headline}</headline>
  </contentMeta>
  <contentSet>
    <inlineXML contenttype="application/xhtml+xml">
      <html xmlns="http://www.w3.org/1999/xhtml"><body><p>{body}</p></body></html>
    </inlineXML>
  </contentSet>
</newsItem>
"#,
        version_free = guid.rsplit(':').next().unwrap_or(guid)
    )
}

/// A NITF 3.6 document: `status` is `docdata@management-status`, `ed_msg` an editor's
/// message (empty: none), `issued` the `date.issue` in NITF's basic ISO form.
fn nitf(
    id: &str,
    version: u32,
    issued: &str,
    status: &str,
    ed_msg: &str,
    headline: &str,
    body: &str,
) -> String {
    let ed_msg = if ed_msg.is_empty() {
        String::new()
    } else {
        format!("<ed-msg info=\"{ed_msg}\"/>")
    };
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<nitf version="-//IPTC//DTD NITF 3.6//EN" xml:lang="de">
  <head>
    <title>{headline}</title>
    <docdata management-status="{status}">
      <doc-id id-string="{id}" regsrc="BSP"/>
      <urgency ed-urg="4"/>
      <date.issue norm="{issued}"/>
      <du-key version="{version}" key="{id}"/>
      {ed_msg}
    </docdata>
  </head>
  <body>
    <body.head><hedline><hl1>{headline}</hl1></hedline></body.head>
    <body.content><p>{body}</p></body.content>
  </body>
</nitf>
"#
    )
}

/// One story as each output shows it to a reader.
#[derive(Debug)]
struct Shown {
    rss_guid: String,
    rss_categories: Vec<String>,
    rss_content: String,
    atom_id: String,
    atom_updated: String,
    atom_categories: Vec<String>,
    atom_content: String,
    json_tags: Vec<String>,
    json_content: String,
    /// The story's `<article>` on the feed's HTML page.
    html: String,
}

/// The story titled `title` in every output of feed `alle`; `None` when no output carries
/// it. Panics when some outputs carry it and others do not, or when one carries it twice.
fn shown(ws: &Workspace, title: &str) -> Option<Shown> {
    let channel = rss::Channel::read_from(ws.feed("alle.rss").as_bytes()).expect("valid RSS");
    let items: Vec<&rss::Item> = channel
        .items()
        .iter()
        .filter(|i| i.title() == Some(title))
        .collect();
    let atom: atom_syndication::Feed = ws.feed("alle.atom").parse().expect("valid Atom");
    let entries: Vec<&atom_syndication::Entry> = atom
        .entries()
        .iter()
        .filter(|e| e.title().as_str() == title)
        .collect();
    let json: serde_json::Value = serde_json::from_str(&ws.feed("alle.json")).expect("JSON");
    let json_items: Vec<&serde_json::Value> = json["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter(|i| i["title"] == title)
        .collect();
    let page = ws.feed("alle.html");
    let main = page
        .split("<main>")
        .nth(1)
        .and_then(|m| m.split("</main>").next())
        .expect("the page has a main part");
    let escaped = title.replace('&', "&amp;");
    let articles: Vec<&str> = main
        .split("<article")
        .skip(1)
        .filter(|a| a.contains(&format!(">{escaped}<")))
        .collect();
    let counts = [items.len(), entries.len(), json_items.len(), articles.len()];
    assert!(
        counts.iter().all(|&c| c <= 1),
        "{title:?} shown more than once (rss, atom, json, html): {counts:?}"
    );
    assert!(
        counts.iter().all(|&c| c == counts[0]),
        "{title:?} in some outputs only (rss, atom, json, html): {counts:?}"
    );
    let item = items.first()?;
    let entry = entries[0];
    let json_item = json_items[0];
    Some(Shown {
        rss_guid: item.guid().expect("guid").value().to_string(),
        rss_categories: item
            .categories()
            .iter()
            .map(|c| c.name().to_string())
            .collect(),
        rss_content: item.content().unwrap_or("").to_string(),
        atom_id: entry.id().to_string(),
        atom_updated: entry.updated().to_rfc3339(),
        atom_categories: entry
            .categories()
            .iter()
            .map(|c| c.term().to_string())
            .collect(),
        atom_content: entry
            .content()
            .and_then(|c| c.value())
            .unwrap_or("")
            .to_string(),
        json_tags: json_item["tags"]
            .as_array()
            .map(|t| {
                t.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default(),
        json_content: json_item["content_html"].as_str().unwrap_or("").to_string(),
        html: articles[0].to_string(),
    })
}

/// The feed page's operator note (the withdrawn stories it lists), empty when none.
fn operator_note(ws: &Workspace) -> String {
    ws.feed("alle.html")
        .split("class=\"operator-note\"")
        .nth(1)
        .and_then(|n| n.split("</aside>").next())
        .unwrap_or("")
        .to_string()
}

fn status(ws: &Workspace) -> String {
    let out = ws.wirefeed(&["status"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every output shows the correction: the category "Korrektur", and the note leading the
/// text, above the story's own first words.
fn assert_corrected(s: &Shown, note: &str, first_words: &str) {
    for (what, categories) in [
        ("rss", &s.rss_categories),
        ("atom", &s.atom_categories),
        ("json", &s.json_tags),
    ] {
        assert!(
            categories.iter().any(|c| c == "Korrektur"),
            "{what} categories: {categories:?}"
        );
    }
    for (what, content) in [
        ("rss", &s.rss_content),
        ("atom", &s.atom_content),
        ("json", &s.json_content),
        ("html", &s.html),
    ] {
        let at_note = content
            .find(note)
            .unwrap_or_else(|| panic!("{what}: no note {note:?} in {content}"));
        let at_text = content
            .find(first_words)
            .unwrap_or_else(|| panic!("{what}: no text in {content}"));
        assert!(
            at_note < at_text,
            "{what}: the note is not on top: {content}"
        );
        assert!(
            content[..at_note].contains("Korrektur"),
            "{what}: the note is not introduced as a correction: {content}"
        );
    }
}

const DEICH: &str = "urn:newsml:agentur.example:2026:deich-1";
const DEICH_TITLE: &str = "Deich bei Husum wird erhöht";
const DEICH_V1: &str = "Der Deich bei Husum wird auf zwei Kilometern Länge um einen Meter erhöht. Das Land trägt die Kosten. Die Arbeiten beginnen im Frühjahr und sollen zwei Jahre dauern.";
const DEICH_V3: &str = "Der Deich bei Husum wird auf drei Kilometern Länge um einen Meter erhöht. Das Land und der Bund teilen sich die Kosten. Die Arbeiten beginnen im Frühjahr und sollen zwei Jahre dauern.";

#[test]
fn a_newsml_g2_story_is_updated_corrected_and_canceled_across_restarts() {
    let ws = Workspace::new(&config(""));
    let g2 = |version, created, meta: &str, body| {
        newsml(DEICH, version, created, meta, DEICH_TITLE, body)
    };

    // 1. Version 1: published everywhere.
    deliver(
        &ws,
        "01-deich-v1.xml",
        &g2(1, "2026-11-26T06:00:00Z", "", DEICH_V1),
    );
    cycle(&ws);
    let first = shown(&ws, DEICH_TITLE).expect("version 1 is published");
    assert!(first.rss_content.contains("zwei Kilometern"), "{first:?}");

    // 2. Version 3: replaces it in place (the same guid and Atom id), `updated` moves.
    deliver(
        &ws,
        "02-deich-v3.xml",
        &g2(3, "2026-11-26T08:00:00Z", "", DEICH_V3),
    );
    cycle(&ws);
    let second = shown(&ws, DEICH_TITLE).expect("version 3 is published");
    assert_eq!(second.rss_guid, first.rss_guid);
    assert_eq!(second.atom_id, first.atom_id);
    assert!(second.atom_updated > first.atom_updated, "{second:?}");
    for content in [
        &second.rss_content,
        &second.atom_content,
        &second.json_content,
        &second.html,
    ] {
        assert!(
            content.contains("drei Kilometern") && !content.contains("zwei Kilometern"),
            "{content}"
        );
    }

    // 3. Version 2 arrives late: ignored and logged; version 3 stays.
    let atom_before = ws.feed("alle.atom");
    deliver(
        &ws,
        "03-deich-v2-spaet.xml",
        &g2(
            2,
            "2026-11-26T07:00:00Z",
            "",
            "Der Deich wird auf zweieinhalb Kilometern erhöht.",
        ),
    );
    let log = cycle(&ws);
    assert!(
        log.contains("version 2 arrived late: older than version 3"),
        "the late version is logged: {log}"
    );
    assert_eq!(
        ws.feed("alle.atom"),
        atom_before,
        "nothing a reader sees changed"
    );

    // 4. Version 4, a correction by signal and edNote: in place, category and note on top.
    let note = "Berichtigt wird die Länge im ersten Satz: drei Kilometer.";
    deliver(
        &ws,
        "04-deich-v4-korrektur.xml",
        &g2(
            4,
            "2026-11-26T09:00:00Z",
            &format!("<signal qcode=\"sig:correction\"/><edNote>{note}</edNote>"),
            DEICH_V3,
        ),
    );
    cycle(&ws);
    let corrected = shown(&ws, DEICH_TITLE).expect("the corrected story is published");
    assert_eq!(corrected.rss_guid, first.rss_guid);
    assert!(
        corrected.atom_updated > second.atom_updated,
        "{corrected:?}"
    );
    assert_corrected(&corrected, note, "Der Deich bei Husum");

    // 5. Version 5, pubStatus canceled: gone from every output; why and when are recorded.
    deliver(
        &ws,
        "05-deich-v5-storno.xml",
        &g2(
            5,
            "2026-11-26T10:00:00Z",
            "<pubStatus qcode=\"stat:canceled\"/><edNote>Die Meldung wird storniert: Die Planung ist nicht beschlossen.</edNote>",
            DEICH_V3,
        ),
    );
    let log = cycle(&ws);
    assert!(log.contains("story withdrawn"), "{log}");
    assert!(
        shown(&ws, DEICH_TITLE).is_none(),
        "a canceled story is still published"
    );
    let note = operator_note(&ws);
    assert!(
        note.contains(DEICH_TITLE) && note.contains("Die Planung ist nicht beschlossen"),
        "the feed page's operator note: {note}"
    );
    let st = status(&ws);
    assert!(
        st.contains(DEICH_TITLE) && st.contains("pubStatus canceled"),
        "status lists the withdrawal: {st}"
    );

    // 6. Old copies again under new names (versions 1 and 3): never republished, in this
    //    run or the next.
    deliver(
        &ws,
        "06-deich-v1-nochmal.xml",
        &g2(1, "2026-11-26T06:00:00Z", "", DEICH_V1),
    );
    deliver(
        &ws,
        "07-deich-v3-nochmal.xml",
        &g2(3, "2026-11-26T08:00:00Z", "", DEICH_V3),
    );
    cycle(&ws);
    cycle(&ws);
    assert!(
        shown(&ws, DEICH_TITLE).is_none(),
        "a canceled story came back"
    );
    assert!(operator_note(&ws).contains(DEICH_TITLE));
}

const GAS: &str = "bsp-nitf-gaspreis";
const GAS_TITLE: &str = "Stadtwerke senken den Gaspreis";
const GAS_V1: &str = "Die Stadtwerke senken den Gaspreis für Haushalte um sechs Prozent. Die Senkung gilt vom ersten Februar an. Grund seien gesunkene Einkaufspreise.";
const GAS_V3: &str = "Die Stadtwerke senken den Gaspreis für Haushalte um acht Prozent. Die Senkung gilt vom ersten Februar an. Grund seien gesunkene Einkaufspreise im Großhandel.";

#[test]
fn a_nitf_story_is_updated_corrected_withheld_and_killed_across_restarts() {
    let ws = Workspace::new(&config(""));
    let doc = |version: u32, hour: u32, status: &str, ed_msg: &str, headline: &str, body: &str| {
        nitf(
            GAS,
            version,
            &format!("20261126T{hour:02}0000+0100"),
            status,
            ed_msg,
            headline,
            body,
        )
    };

    // 1. Version 1 (du-key), then 2. version 3 in a later run: replaced in place.
    deliver(
        &ws,
        "01-gas-v1.xml",
        &doc(1, 7, "usable", "", GAS_TITLE, GAS_V1),
    );
    cycle(&ws);
    let first = shown(&ws, GAS_TITLE).expect("version 1 is published");
    assert!(first.rss_content.contains("sechs Prozent"), "{first:?}");
    deliver(
        &ws,
        "02-gas-v3.xml",
        &doc(3, 9, "usable", "", GAS_TITLE, GAS_V3),
    );
    cycle(&ws);
    let second = shown(&ws, GAS_TITLE).expect("version 3 is published");
    assert_eq!(second.atom_id, first.atom_id);
    assert!(second.atom_updated > first.atom_updated);
    assert!(
        second.json_content.contains("acht Prozent") && !second.json_content.contains("sechs"),
        "{second:?}"
    );

    // 3. Version 2 late: ignored and logged.
    deliver(
        &ws,
        "03-gas-v2-spaet.xml",
        &doc(
            2,
            8,
            "usable",
            "",
            GAS_TITLE,
            "Die Stadtwerke senken den Gaspreis um sieben Prozent.",
        ),
    );
    let log = cycle(&ws);
    assert!(
        log.contains("version 2 arrived late: older than version 3"),
        "{log}"
    );
    assert!(!ws.feed("alle.rss").contains("sieben Prozent"));

    // 4. Version 4, a correction by headline prefix with the editor's message: the prefix
    //    leaves the title; the category and the note show.
    let note = "Richtig ist: vom ersten Februar an, nicht vom ersten Januar.";
    deliver(
        &ws,
        "04-gas-v4-berichtigung.xml",
        &doc(
            4,
            10,
            "usable",
            note,
            &format!("BERICHTIGUNG: {GAS_TITLE}"),
            GAS_V3,
        ),
    );
    cycle(&ws);
    let corrected = shown(&ws, GAS_TITLE).expect("published under its title without the prefix");
    assert_eq!(corrected.rss_guid, first.rss_guid);
    assert!(!ws.feed("alle.rss").contains("BERICHTIGUNG"));
    assert_corrected(&corrected, note, "Die Stadtwerke senken");

    // 5. Version 5 withheld: gone, recorded. 6. Version 6 usable: back (only a newer
    //    version lifts a withholding), no longer marked as corrected.
    deliver(
        &ws,
        "05-gas-v5-gesperrt.xml",
        &doc(
            5,
            11,
            "withheld",
            "Bitte bis auf Weiteres nicht verwenden.",
            GAS_TITLE,
            GAS_V3,
        ),
    );
    cycle(&ws);
    assert!(
        shown(&ws, GAS_TITLE).is_none(),
        "a withheld story is still published"
    );
    assert!(status(&ws).contains("pubStatus withheld"));
    assert!(operator_note(&ws).contains("Bitte bis auf Weiteres nicht verwenden"));
    deliver(
        &ws,
        "06-gas-v6-frei.xml",
        &doc(6, 12, "usable", "", GAS_TITLE, GAS_V3),
    );
    cycle(&ws);
    let back = shown(&ws, GAS_TITLE).expect("a newer usable version lifts the withholding");
    assert_eq!(back.atom_id, first.atom_id);
    assert!(
        !back.rss_categories.iter().any(|c| c == "Korrektur"),
        "{back:?}"
    );
    assert!(!operator_note(&ws).contains(GAS_TITLE));

    // 7. Version 7, a kill notice in the headline: gone for good.
    deliver(
        &ws,
        "07-gas-v7-kill.xml",
        &doc(
            7,
            13,
            "usable",
            "Die Meldung wird zurückgezogen.",
            &format!("KILL: {GAS_TITLE}"),
            "Die Meldung wird zurückgezogen. Die Stadtwerke haben die Senkung nicht beschlossen.",
        ),
    );
    cycle(&ws);
    assert!(
        shown(&ws, GAS_TITLE).is_none(),
        "a killed story is still published"
    );
    assert!(
        !ws.feed("alle.rss").contains("KILL"),
        "the kill notice itself is published"
    );
    let st = status(&ws);
    assert!(st.contains("kill notice"), "{st}");

    // 8. Old copies again (versions 3 and 6): never republished, over two more runs.
    deliver(
        &ws,
        "08-gas-v3-nochmal.xml",
        &doc(3, 9, "usable", "", GAS_TITLE, GAS_V3),
    );
    deliver(
        &ws,
        "09-gas-v6-nochmal.xml",
        &doc(6, 12, "usable", "", GAS_TITLE, GAS_V3),
    );
    cycle(&ws);
    cycle(&ws);
    assert!(shown(&ws, GAS_TITLE).is_none(), "a killed story came back");
    assert!(operator_note(&ws).contains(GAS_TITLE));
}

const WATT: &str = "urn:newsml:agentur.example:2026:watt-1";
const WATT_TITLE: &str = "Wattenmeer bekommt neue Schutzzone";
const WATT_TEXT: &str = "Im Wattenmeer vor Büsum wird eine neue Schutzzone für Seehunde eingerichtet. Boote müssen dort künftig Abstand halten. Die Regel gilt von März bis September.";
const FAEHRE_TITLE: &str = "Fähre nach Amrum fährt wieder";
const FAEHRE_TEXT: &str = "Die Fähre nach Amrum fährt nach der Reparatur ihres Ruders wieder nach dem regulären Fahrplan. Die Reederei entschuldigte sich bei den Fahrgästen für die Ausfälle der vergangenen Woche.";

#[test]
fn a_kill_notice_from_another_source_withdraws_a_spooled_story_for_good() {
    let server = TestServer::start();
    let ws = Workspace::new(&config(&format!(
        "  - id: zeitung\n    url: {}\n",
        server.url("/zeitung.rss")
    )));
    let item = |title: &str, link: &str, text: &str, date: &str| {
        format!(
            "<item><title>{title}</title><link>{link}</link><guid isPermaLink=\"false\">{link}</guid><description>{text}</description><pubDate>{date}</pubDate></item>"
        )
    };
    let rss = |items: &[String]| {
        format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<rss version=\"2.0\"><channel><title>Zeitung</title><link>https://zeitung.example/</link><description>Test</description>\n{}</channel></rss>\n",
            items.concat()
        )
    };
    // The spool delivers two stories; the newspaper's feed carries an ordinary copy of one.
    deliver(
        &ws,
        "01-watt.xml",
        &newsml(WATT, 1, "2026-11-26T06:00:00Z", "", WATT_TITLE, WATT_TEXT),
    );
    deliver(
        &ws,
        "02-faehre.xml",
        &nitf(
            "bsp-faehre-1",
            1,
            "20261126T070000Z",
            "usable",
            "",
            FAEHRE_TITLE,
            FAEHRE_TEXT,
        ),
    );
    let watt_link = "https://agentur.example/meldung/watt-1";
    server.set(
        "/zeitung.rss",
        Route::xml(rss(&[item(
            WATT_TITLE,
            watt_link,
            WATT_TEXT,
            "Thu, 26 Nov 2026 06:30:00 GMT",
        )])),
    );
    cycle(&ws);
    assert!(shown(&ws, WATT_TITLE).is_some());
    assert!(shown(&ws, FAEHRE_TITLE).is_some());
    assert_eq!(
        ws.feed("alle.rss").matches(WATT_TITLE).count(),
        1,
        "the newspaper's copy is the same story"
    );

    // The newspaper's feed now carries kill notices: one under the story's link, one with
    // the story's text under a headline starting "KILL" and a link of its own.
    server.set(
        "/zeitung.rss",
        Route::xml(rss(&[
            item(
                &format!("{WATT_TITLE} – Meldung wird zurückgezogen"),
                watt_link,
                "Die Agentur zieht die Meldung zurück. Bitte nicht verwenden.",
                "Thu, 26 Nov 2026 09:00:00 GMT",
            ),
            item(
                &format!("KILL: {FAEHRE_TITLE}"),
                "https://zeitung.example/kill-faehre",
                FAEHRE_TEXT,
                "Thu, 26 Nov 2026 09:05:00 GMT",
            ),
        ])),
    );
    let log = cycle(&ws);
    assert!(log.contains("story withdrawn"), "{log}");
    for title in [WATT_TITLE, FAEHRE_TITLE] {
        assert!(shown(&ws, title).is_none(), "{title} is still published");
        assert!(operator_note(&ws).contains(title), "{}", operator_note(&ws));
    }
    for feed in ["alle.rss", "alle.atom", "alle.json", "alle.html"] {
        let text = ws.feed(feed);
        // The page's operator note says why, after `</main>`; the stories come before.
        let text = text.split("</main>").next().unwrap_or("");
        assert!(
            !text.contains("KILL") && !text.contains("zurückgezogen"),
            "{feed} publishes a kill notice as a story: {text}"
        );
    }
    let st = status(&ws);
    assert!(st.contains(WATT_TITLE) && st.contains(FAEHRE_TITLE), "{st}");

    // Afterwards: the spool delivers a newer version of each, and the newspaper its
    // ordinary copies again. Neither story returns, in this run or the next.
    deliver(
        &ws,
        "03-watt-v2.xml",
        &newsml(WATT, 2, "2026-11-26T10:00:00Z", "", WATT_TITLE, WATT_TEXT),
    );
    deliver(
        &ws,
        "04-faehre-v2.xml",
        &nitf(
            "bsp-faehre-1",
            2,
            "20261126T100000Z",
            "usable",
            "",
            FAEHRE_TITLE,
            FAEHRE_TEXT,
        ),
    );
    server.set(
        "/zeitung.rss",
        Route::xml(rss(&[
            item(
                WATT_TITLE,
                watt_link,
                WATT_TEXT,
                "Thu, 26 Nov 2026 10:30:00 GMT",
            ),
            item(
                FAEHRE_TITLE,
                "https://zeitung.example/faehre",
                FAEHRE_TEXT,
                "Thu, 26 Nov 2026 10:35:00 GMT",
            ),
        ])),
    );
    cycle(&ws);
    cycle(&ws);
    for title in [WATT_TITLE, FAEHRE_TITLE] {
        assert!(shown(&ws, title).is_none(), "{title} came back");
    }
}

/// Copies a folder tree.
fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("create folder");
    for entry in std::fs::read_dir(from).expect("read folder") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// The README's first command over the bundled samples shows a corrected story and a
/// withdrawn one: the correction in place with its note on top, the withdrawal absent from
/// every output but listed in `status` and on the feed's page.
#[test]
fn the_shipped_samples_show_a_correction_and_a_withdrawal_on_the_first_run() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let ws = Workspace {
        dir: tempfile::tempdir().expect("temp dir"),
    };
    std::fs::copy(root.join("config.yaml"), ws.config_path()).expect("config");
    copy_dir(&root.join("samples"), &ws.path().join("samples"));
    let out = ws.wirefeed(&["once"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));

    let hafen = "Hafen schlägt im Herbst so viele Container um wie nie";
    let corrected = shown(&ws, hafen).expect("the corrected sample story is published");
    assert_corrected(&corrected, "acht statt neun Prozent", "Der Hamburger Hafen");
    assert!(
        !corrected.rss_content.contains("neun Prozent, teilte"),
        "the corrected text replaced the first: {corrected:?}"
    );

    let bruecke = "Neue Elbbrücke wird am Samstag freigegeben";
    assert!(
        shown(&ws, bruecke).is_none(),
        "the withdrawn sample story is published"
    );
    let note = operator_note(&ws);
    assert!(
        note.contains(bruecke) && note.contains("Termin der Freigabe ist nicht bestätigt"),
        "{note}"
    );
    let st = status(&ws);
    assert!(
        st.contains("Neue Elbbrücke") && st.contains("withdrawn"),
        "{st}"
    );
}
