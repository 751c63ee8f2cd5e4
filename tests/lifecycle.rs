//! The life of a wire story, as an operator sees it in the published feeds: a new story, a
//! newer version replacing it in place, an older version arriving late (ignored and
//! logged), a correction, a kill notice and then old copies of the killed story again
//! (from the spool and from another source over loopback HTTP), an embargo lifted on a
//! later cycle and the urgency filter; each step is a separate run of the real binary on
//! the same sled store, so every state survives a restart. Then an editor's withdraw, pin
//! and restore against a running daemon, and with none running.
//!
//! Deliveries are invented ninjs written here, so each step says what it sends.

mod support;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use support::{cycle, deliver, stderr, wait_for, Route, StderrLog, TestServer, Workspace};

/// The story whose life the first test follows.
const HAFEN: &str = "urn:beispielagentur:2026:hafen-1";

fn lifecycle_config(extra_sources: &str) -> String {
    let head = "store: store\nfeeds_dir: feeds\nbase_url: http://feeds.example/\nlang: de\n";
    let poll = "poll:\n  timeout: 3s\n  allow_private_addresses: true\n";
    let retention = "retention:\n  max_age: 3650d\n";
    let feeds = "feeds:\n  - id: alle\n    title: Alle\n    limit: 100\n  - id: eil\n    title: Eilmeldungen\n    urgency_max: 2\n";
    format!(
        "{head}{poll}{retention}sources:\n  - id: agentur\n    url: spool\n{extra_sources}{feeds}"
    )
}

/// A ninjs 1.x story; `extra` adds fields (`, "pubstatus": "canceled"`).
fn ninjs(
    uri: &str,
    version: u32,
    created: &str,
    headline: &str,
    body: &str,
    extra: &str,
) -> String {
    format!(
        r#"{{"uri": "{uri}", "type": "text", "version": "{version}", "versioncreated": "{created}",
"firstcreated": "2026-11-26T06:00:00Z", "language": "de", "urgency": 4,
"headline": "{headline}", "body_text": "{body}"{extra}}}"#
    )
}

const V1: &str = "Der Hafen hat im Herbst so viele Container umgeschlagen wie nie zuvor. Die Hafengesellschaft meldete ein Plus von drei Prozent gegenüber dem Vorjahr. Vor allem der Verkehr mit Skandinavien legte zu.";
const V3: &str = "Der Hafen hat im Herbst so viele Container umgeschlagen wie nie zuvor. Die Hafengesellschaft meldete ein Plus von fünf Prozent gegenüber dem Vorjahr. Vor allem der Verkehr mit Skandinavien und dem Baltikum legte zu.";

/// The Atom entry whose id is `urn`, as text.
fn atom_entry(ws: &Workspace, urn: &str) -> Option<String> {
    let atom = ws.feed("alle.atom");
    atom.split("<entry")
        .skip(1)
        .find(|e| e.contains(&format!("<id>{urn}</id>")))
        .map(|e| e.split("</entry>").next().unwrap_or("").to_string())
}

fn updated_of(entry: &str) -> String {
    entry
        .split("<updated>")
        .nth(1)
        .and_then(|s| s.split("</updated>").next())
        .expect("an updated element")
        .to_string()
}

/// The guid of the RSS item with this title.
fn guid_of(ws: &Workspace, feed: &str, title: &str) -> Option<String> {
    let channel = rss::Channel::read_from(ws.feed(feed).as_bytes()).expect("valid RSS");
    channel
        .items()
        .iter()
        .find(|i| i.title() == Some(title))
        .and_then(|i| i.guid().map(|g| g.value().to_string()))
}

fn titles(ws: &Workspace, feed: &str) -> Vec<String> {
    let channel = rss::Channel::read_from(ws.feed(feed).as_bytes()).expect("valid RSS");
    channel
        .items()
        .iter()
        .filter_map(|i| i.title().map(str::to_string))
        .collect()
}

#[test]
fn a_wire_story_lives_through_versions_a_correction_a_kill_and_an_embargo_across_restarts() {
    let server = TestServer::start();
    let ws = Workspace::new(&lifecycle_config(&format!(
        "  - id: zeitung\n    url: {}\n",
        server.url("/zeitung.rss")
    )));
    // The other source carries nothing yet.
    server.set("/zeitung.rss", Route::xml(support::rss(&[])));

    // 1. New: version 1; a flash (urgency 1); a story under an embargo a few seconds away.
    deliver(
        &ws,
        "01-hafen-v1.json",
        &ninjs(
            HAFEN,
            1,
            "2026-11-26T06:00:00Z",
            "Hafen meldet Rekordumschlag",
            V1,
            "",
        ),
    );
    deliver(
        &ws,
        "02-eil.json",
        &ninjs(
            "urn:beispielagentur:2026:eil-1",
            1,
            "2026-11-26T07:00:00Z",
            "Sturmflutwarnung für die Nordseeküste",
            "Das Bundesamt warnt vor einer schweren Sturmflut in der Nacht.",
            r#", "urgency": 1"#,
        ),
    );
    let embargo = chrono::Utc::now() + chrono::Duration::seconds(4);
    deliver(
        &ws,
        "03-sperrfrist.json",
        &ninjs(
            "urn:beispielagentur:2026:sperrfrist-1",
            1,
            "2026-11-26T05:00:00Z",
            "Werft stellt neues Forschungsschiff vor",
            "Die Werft zeigt am Morgen ein Forschungsschiff für die Arktis.",
            &format!(r#", "embargoed": "{}""#, embargo.to_rfc3339()),
        ),
    );
    cycle(&ws);
    let all = titles(&ws, "alle.rss");
    assert!(
        all.contains(&"Hafen meldet Rekordumschlag".to_string()),
        "{all:?}"
    );
    assert!(
        !all.contains(&"Werft stellt neues Forschungsschiff vor".to_string()),
        "embargoed story published before its time: {all:?}"
    );
    assert_eq!(
        titles(&ws, "eil.rss"),
        ["Sturmflutwarnung für die Nordseeküste"],
        "urgency_max: 2 carries only the flash"
    );
    let urn = guid_of(&ws, "alle.rss", "Hafen meldet Rekordumschlag").expect("guid");
    let first = atom_entry(&ws, &urn).expect("atom entry");
    assert!(first.contains("drei Prozent"), "{first}");

    // 2. Newer version (3), in a later run: replaced in place, same id, `updated` moves. The
    //    embargo has passed meanwhile: the held story appears without a new delivery of it.
    while chrono::Utc::now() <= embargo {
        std::thread::sleep(Duration::from_millis(200));
    }
    deliver(
        &ws,
        "04-hafen-v3.json",
        &ninjs(
            HAFEN,
            3,
            "2026-11-26T08:00:00Z",
            "Hafen meldet Rekordumschlag",
            V3,
            "",
        ),
    );
    cycle(&ws);
    let second = atom_entry(&ws, &urn).expect("the same entry id after the new version");
    assert!(second.contains("fünf Prozent"), "{second}");
    assert!(!second.contains("drei Prozent"), "{second}");
    assert!(
        updated_of(&second) > updated_of(&first),
        "updated moves: {} → {}",
        updated_of(&first),
        updated_of(&second)
    );
    let all = titles(&ws, "alle.rss");
    assert_eq!(
        all.iter()
            .filter(|t| t.as_str() == "Hafen meldet Rekordumschlag")
            .count(),
        1,
        "one story, not two: {all:?}"
    );
    assert!(
        all.contains(&"Werft stellt neues Forschungsschiff vor".to_string()),
        "the embargo was lifted on a later cycle: {all:?}"
    );

    // 3. Version 2 arrives late: ignored and logged; version 3 stays.
    deliver(
        &ws,
        "05-hafen-v2-spaet.json",
        &ninjs(
            HAFEN,
            2,
            "2026-11-26T07:00:00Z",
            "Hafen meldet Rekordumschlag",
            "Der Hafen meldet vier Prozent mehr Umschlag.",
            "",
        ),
    );
    let log = cycle(&ws);
    assert!(
        log.contains("version 2 arrived late: older than version 3"),
        "the late version is logged: {log}"
    );
    let third = atom_entry(&ws, &urn).expect("entry");
    assert!(
        third.contains("fünf Prozent") && !third.contains("vier Prozent"),
        "{third}"
    );

    // A malformed delivery for the story (unknown pubstatus) is refused whole: no change.
    deliver(
        &ws,
        "06-hafen-unklar.json",
        &ninjs(
            HAFEN,
            9,
            "2026-11-26T09:30:00Z",
            "Hafen meldet Rekordumschlag",
            "Unklarer Stand.",
            r#", "pubstatus": "vielleicht""#,
        ),
    );
    let log = cycle(&ws);
    assert!(log.contains("06-hafen-unklar.json"), "{log}");
    assert!(log.contains("unknown publishing status"), "{log}");
    std::fs::remove_file(ws.path().join("spool/06-hafen-unklar.json")).expect("remove");
    assert_eq!(atom_entry(&ws, &urn).expect("entry"), third);

    // 4. Correction (signal and editor's note), version 4: in place, category and note on top.
    deliver(
        &ws,
        "07-hafen-v4-korrektur.json",
        &ninjs(
            HAFEN,
            4,
            "2026-11-26T10:00:00Z",
            "Hafen meldet Rekordumschlag",
            V3,
            r#", "signal": ["sig:correction"], "ednote": "Berichtigt wird die Zahl der Beschäftigten im dritten Satz.""#,
        ),
    );
    cycle(&ws);
    let rss = ws.feed("alle.rss");
    let item = rss
        .split("<item>")
        .find(|i| i.contains(&urn))
        .expect("the corrected story is still published");
    assert!(item.contains("<category>Korrektur</category>"), "{item}");
    assert!(
        item.contains("Korrektur:&lt;/strong&gt; Berichtigt wird die Zahl")
            || item.contains("Korrektur:</strong> Berichtigt wird die Zahl"),
        "the editor's note leads the text: {item}"
    );
    assert_eq!(
        guid_of(&ws, "alle.rss", "Hafen meldet Rekordumschlag"),
        Some(urn.clone())
    );

    // 5. Kill (pubstatus canceled), version 5: gone from every output; why and when recorded.
    deliver(
        &ws,
        "08-hafen-v5-kill.json",
        &ninjs(
            HAFEN,
            5,
            "2026-11-26T11:00:00Z",
            "Hafen meldet Rekordumschlag",
            V3,
            r#", "pubstatus": "canceled", "ednote": "Die Meldung wird zurückgezogen. Die Zahlen waren falsch.""#,
        ),
    );
    cycle(&ws);
    for feed in ["alle.rss", "alle.atom", "alle.json", "eil.rss"] {
        assert!(
            !ws.feed(feed).contains("Rekordumschlag"),
            "{feed} still has it"
        );
    }
    let page = ws.feed("alle.html");
    let note = page
        .split("class=\"operator-note\"")
        .nth(1)
        .expect("the feed page has an operator note");
    assert!(note.contains("Hafen meldet Rekordumschlag"), "{note}");
    assert!(note.contains("Die Zahlen waren falsch"), "{note}");
    let status = ws.wirefeed(&["status"]);
    let status = String::from_utf8_lossy(&status.stdout).into_owned();
    assert!(
        status.contains("withdrawn") && status.contains("agency"),
        "{status}"
    );
    assert!(status.contains("Die Zahlen waren falsch"), "{status}");

    // 6. Old copies again: version 1 under a new file name, and another source's copy of
    //    it over HTTP. Neither brings the story back, in this run or the next.
    deliver(
        &ws,
        "09-hafen-v1-nochmal.json",
        &ninjs(
            HAFEN,
            1,
            "2026-11-26T06:00:00Z",
            "Hafen meldet Rekordumschlag",
            V1,
            "",
        ),
    );
    server.set(
        "/zeitung.rss",
        Route::xml(support::rss(&[(
            "Hafen meldet Rekordumschlag",
            "zeitung-hafen",
            V1,
            "Thu, 26 Nov 2026 06:30:00 GMT",
        )])),
    );
    cycle(&ws);
    cycle(&ws);
    for feed in ["alle.rss", "alle.atom", "alle.json"] {
        assert!(
            !ws.feed(feed).contains("Rekordumschlag"),
            "{feed}: a withdrawn story came back"
        );
    }
    let all = titles(&ws, "alle.rss");
    assert!(all.contains(&"Sturmflutwarnung für die Nordseeküste".to_string()));
    assert!(all.contains(&"Werft stellt neues Forschungsschiff vor".to_string()));
    assert_eq!(
        titles(&ws, "eil.rss"),
        ["Sturmflutwarnung für die Nordseeküste"]
    );
}

#[test]
fn a_kill_notice_and_a_correction_in_plain_rss_titles() {
    let server = TestServer::start();
    let ws = Workspace::new(&lifecycle_config(&format!(
        "  - id: zeitung\n    url: {}\n",
        server.url("/feed.rss")
    )));
    let text = "Die Stadt baut eine neue Brücke über den Fluss. Der Bau soll zwei Jahre dauern.";
    server.set(
        "/feed.rss",
        Route::xml(support::rss(&[
            (
                "Neue Brücke für die Altstadt",
                "bruecke",
                text,
                "Thu, 26 Nov 2026 06:00:00 GMT",
            ),
            (
                "Markt öffnet am Sonntag",
                "markt",
                "Der Markt öffnet ausnahmsweise.",
                "Thu, 26 Nov 2026 06:10:00 GMT",
            ),
        ])),
    );
    cycle(&ws);
    assert_eq!(titles(&ws, "alle.rss").len(), 2);
    // The same items again, the first corrected by a title prefix, the second killed.
    server.set(
        "/feed.rss",
        Route::xml(support::rss(&[
            (
                "KORREKTUR: Neue Brücke für die Altstadt",
                "bruecke",
                "Die Stadt baut eine neue Brücke über den Fluss. Der Bau soll drei Jahre dauern.",
                "Thu, 26 Nov 2026 07:00:00 GMT",
            ),
            (
                "KILL: Markt öffnet am Sonntag",
                "markt",
                "Die Meldung wird zurückgezogen.",
                "Thu, 26 Nov 2026 07:10:00 GMT",
            ),
        ])),
    );
    cycle(&ws);
    let rss = ws.feed("alle.rss");
    assert_eq!(
        titles(&ws, "alle.rss"),
        ["Neue Brücke für die Altstadt"],
        "{rss}"
    );
    assert!(rss.contains("<category>Korrektur</category>"), "{rss}");
    assert!(rss.contains("drei Jahre"), "{rss}");
    // The first version again, dated before the correction: ignored.
    server.set(
        "/feed.rss",
        Route::xml(support::rss(&[
            (
                "Neue Brücke für die Altstadt",
                "bruecke",
                text,
                "Thu, 26 Nov 2026 06:00:00 GMT",
            ),
            (
                "Markt öffnet am Sonntag",
                "markt",
                "Der Markt öffnet ausnahmsweise.",
                "Thu, 26 Nov 2026 06:10:00 GMT",
            ),
        ])),
    );
    let log = cycle(&ws);
    assert!(log.contains("arrived late"), "{log}");
    let rss = ws.feed("alle.rss");
    assert!(
        rss.contains("drei Jahre") && !rss.contains("zwei Jahre"),
        "{rss}"
    );
    assert!(!rss.contains("Markt öffnet"), "{rss}");
}

// ---------------------------------------------------------------------------------------
// By hand: withdraw, pin, restore.

struct Daemon(Child, StderrLog);

impl Daemon {
    fn start(ws: &Workspace) -> Daemon {
        let mut child = Command::new(env!("CARGO_BIN_EXE_wirefeed"))
            .arg("--config")
            .arg(ws.config_path())
            .arg("run")
            .stderr(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .expect("start daemon");
        let log = StderrLog::capture(&mut child);
        Daemon(child, log)
    }

    fn log(&self) -> String {
        self.1.text()
    }

    fn stop(mut self) {
        // SAFETY: a signal to our own child process by pid.
        unsafe { libc::kill(self.0.id() as libc::pid_t, libc::SIGTERM) };
        let start = Instant::now();
        while self.0.try_wait().expect("wait").is_none() {
            assert!(
                start.elapsed() < Duration::from_secs(10),
                "daemon did not stop"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn run_ok(ws: &Workspace, args: &[&str]) -> String {
    let out = ws.wirefeed(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "wirefeed {args:?}: {}",
        stderr(&out)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn an_editor_withdraws_pins_and_restores_while_the_daemon_runs_and_without_it() {
    let ws = Workspace::new(&lifecycle_config(""));
    for (n, (title, hour)) in [
        ("Neue Radwege für die Innenstadt", 6),
        ("Schwimmbad öffnet nach Sanierung", 7),
        ("Theater zeigt Komödie zum Jahresende", 8),
    ]
    .into_iter()
    .enumerate()
    {
        deliver(
            &ws,
            &format!("{n}.json"),
            &ninjs(
                &format!("urn:beispielagentur:2026:stadt-{n}"),
                1,
                &format!("2026-11-26T{hour:02}:00:00Z"),
                title,
                &format!("{title}: ein erfundener Text über die Stadt, Nummer {n}."),
                &format!(r#", "firstcreated": "2026-11-26T{hour:02}:00:00Z""#),
            ),
        );
    }
    let daemon = Daemon::start(&ws);
    wait_for("the first publish", Duration::from_secs(30), || {
        ws.feed_path("alle.rss").exists() && titles(&ws, "alle.rss").len() == 3
    });
    assert_eq!(
        titles(&ws, "alle.rss")[0],
        "Theater zeigt Komödie zum Jahresende"
    );
    let radwege = guid_of(&ws, "alle.rss", "Neue Radwege für die Innenstadt").expect("guid");
    let theater = guid_of(&ws, "alle.rss", "Theater zeigt Komödie zum Jahresende").expect("guid");

    // Withdraw by the entry's guid while the daemon holds the store.
    let said = run_ok(
        &ws,
        &["withdraw", &theater, "--reason", "Rechtliche Prüfung"],
    );
    assert!(said.contains("withdrawn"), "{said}");
    wait_for(
        "the withdrawal to be published",
        Duration::from_secs(20),
        || !ws.feed("alle.rss").contains("Theater zeigt"),
    );
    assert!(
        daemon
            .log()
            .contains("by hand: withdrawn from every output"),
        "the daemon logs it: {}",
        daemon.log()
    );
    // Pin the oldest story on top of `alle` for two hours.
    let said = run_ok(&ws, &["pin", &radwege, "--feed", "alle", "--for", "2h"]);
    assert!(said.contains("pinned"), "{said}");
    wait_for("the pin to be published", Duration::from_secs(20), || {
        titles(&ws, "alle.rss").first().map(String::as_str)
            == Some("Neue Radwege für die Innenstadt")
    });
    wait_for(
        "status to list what was done by hand",
        Duration::from_secs(20),
        || {
            let s = String::from_utf8_lossy(&ws.wirefeed(&["status"]).stdout).into_owned();
            s.contains("Rechtliche Prüfung") && s.contains("pinned") && s.contains("hand")
        },
    );
    // Unknown story and unknown feed are refused with a reason, through the daemon too.
    let out = ws.wirefeed(&["withdraw", "https://nirgends.example/x", "--reason", "x"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no story"), "{}", stderr(&out));
    let out = ws.wirefeed(&["pin", &radwege, "--feed", "gibtsnicht", "--for", "1h"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no output feed"), "{}", stderr(&out));
    daemon.stop();

    // After a restart the hand actions hold.
    let log = cycle(&ws);
    let all = titles(&ws, "alle.rss");
    assert_eq!(all[0], "Neue Radwege für die Innenstadt", "{all:?} {log}");
    assert!(!all.iter().any(|t| t.starts_with("Theater")), "{all:?}");
    assert!(ws.feed("alle.html").contains("Rechtliche Prüfung"));

    // With no daemon running, restore applies at once and publishes.
    let said = run_ok(&ws, &["restore", &theater]);
    assert!(said.contains("restored"), "{said}");
    let all = titles(&ws, "alle.rss");
    assert!(all.iter().any(|t| t.starts_with("Theater")), "{all:?}");
    let said = run_ok(&ws, &["restore", &radwege]);
    assert!(said.contains("pin"), "{said}");
    assert_eq!(
        titles(&ws, "alle.rss")[0],
        "Theater zeigt Komödie zum Jahresende"
    );
    let status = run_ok(&ws, &["status"]);
    assert!(!status.contains("Rechtliche Prüfung"), "{status}");
}

// ---------------------------------------------------------------------------------------
// Pins on every feed kind; withdrawn stories leave teaser feeds too.

/// An article page whose "Empfohlen" section recommends `teasers` (title, link).
fn page_recommending(teasers: &[(&str, &str)]) -> String {
    let mut html = String::from(
        r#"<!DOCTYPE html><html lang="de"><head><meta charset="utf-8">
<title>Der Testbote - Stadtrat tagt bis in die Nacht</title>
<meta property="article:published_time" content="2026-11-26T05:00:00Z"></head><body>
<article><h1>Stadtrat tagt bis in die Nacht</h1>
<p>Der Stadtrat hat bis nach Mitternacht über den Haushalt des kommenden Jahres beraten.</p>
<p>Eine Entscheidung soll in der nächsten Sitzung fallen, sagte die Vorsitzende.</p>
<p>Strittig sind vor allem die Ausgaben für den Busverkehr und für die Sanierung der Schulen.</p>
</article>
<section><h2>Empfohlen</h2>
"#,
    );
    for (title, href) in teasers {
        html.push_str(&format!(
            "<div class=\"teaser\"><h3><a href=\"{href}\">{title}</a></h3><p>Eine Empfehlung der Redaktion.</p></div>\n"
        ));
    }
    html.push_str("</section></body></html>\n");
    html
}

/// Titles of an RSS feed's items, in order.
fn rss_titles(ws: &Workspace, feed: &str) -> Vec<String> {
    titles(ws, feed)
}

#[test]
fn a_pin_leads_a_teaser_feed_too_and_a_withdrawn_story_leaves_it() {
    let config = format!(
        "{}  - id: empfohlen\n    title: Empfohlen\n    from: teasers\n",
        lifecycle_config("")
    );
    let ws = Workspace::new(&config);
    let stories = [
        ("deich", "Deich bei Husum wird erhöht", 6),
        ("faehre", "Fähre nach Amrum fährt wieder", 7),
        ("watt", "Wattenmeer bekommt neue Schutzzone", 8),
    ];
    for (slug, title, hour) in stories {
        deliver(
            &ws,
            &format!("{slug}.json"),
            &ninjs(
                &format!("https://agentur.example/meldung/{slug}"),
                1,
                &format!("2026-11-26T{hour:02}:00:00Z"),
                title,
                &format!("{title}: ein erfundener Text der Agentur über die Küste."),
                "",
            ),
        );
    }
    deliver(
        &ws,
        "seite.html",
        &page_recommending(&[
            (
                "Deich bei Husum wird erhöht",
                "https://agentur.example/meldung/deich",
            ),
            (
                "Fähre nach Amrum fährt wieder",
                "https://agentur.example/meldung/faehre",
            ),
        ]),
    );
    cycle(&ws);
    assert_eq!(
        rss_titles(&ws, "empfohlen.rss"),
        [
            "Deich bei Husum wird erhöht",
            "Fähre nach Amrum fährt wieder"
        ]
    );

    // A story no page recommends, pinned on top of the teaser feed: it leads it, with its
    // text; pinned on the items feed too, it leads that one.
    let watt = guid_of(&ws, "alle.rss", "Wattenmeer bekommt neue Schutzzone").expect("guid");
    let said = run_ok(&ws, &["pin", &watt, "--feed", "empfohlen", "--for", "2h"]);
    assert!(
        said.contains("pinned to the top of feed empfohlen"),
        "{said}"
    );
    let recommended = rss_titles(&ws, "empfohlen.rss");
    assert_eq!(
        recommended[0], "Wattenmeer bekommt neue Schutzzone",
        "{recommended:?}"
    );
    assert_eq!(recommended.len(), 3, "{recommended:?}");
    let json: serde_json::Value =
        serde_json::from_str(&ws.feed("empfohlen.json")).expect("JSON Feed");
    assert_eq!(
        json["items"][0]["title"],
        "Wattenmeer bekommt neue Schutzzone"
    );
    assert!(
        json["items"][0]["content_html"]
            .as_str()
            .is_some_and(|c| c.contains("ein erfundener Text der Agentur")),
        "the pinned story's text: {json}"
    );
    let atom: atom_syndication::Feed = ws.feed("empfohlen.atom").parse().expect("Atom");
    assert_eq!(
        atom.entries()[0].title().as_str(),
        "Wattenmeer bekommt neue Schutzzone"
    );
    assert!(
        ws.feed("empfohlen.html").find("Wattenmeer")
            < ws.feed("empfohlen.html").find("Deich bei Husum")
    );
    // A recommended story pinned keeps its one entry, now on top.
    let faehre = guid_of(&ws, "alle.rss", "Fähre nach Amrum fährt wieder").expect("guid");
    run_ok(&ws, &["pin", &faehre, "--feed", "empfohlen", "--for", "2h"]);
    assert_eq!(
        rss_titles(&ws, "empfohlen.rss"),
        [
            "Fähre nach Amrum fährt wieder",
            "Wattenmeer bekommt neue Schutzzone",
            "Deich bei Husum wird erhöht"
        ]
    );

    // A recommended story withdrawn by hand leaves the teaser feed in every format, and
    // its page lists it in the operator note; so it stays after a restart.
    let deich = guid_of(&ws, "alle.rss", "Deich bei Husum wird erhöht").expect("guid");
    run_ok(
        &ws,
        &["withdraw", &deich, "--reason", "Zahlen werden geprüft"],
    );
    cycle(&ws);
    for file in ["empfohlen.rss", "empfohlen.atom", "empfohlen.json"] {
        assert!(!ws.feed(file).contains("Deich bei Husum"), "{file}");
    }
    let page = ws.feed("empfohlen.html");
    let (stories, note) = page.split_once("</main>").expect("main");
    assert!(!stories.contains("Deich bei Husum"), "{stories}");
    assert!(
        note.contains("Deich bei Husum") && note.contains("Zahlen werden geprüft"),
        "{note}"
    );

    // Restored, the pins go and the recommendations are as the page gave them.
    run_ok(&ws, &["restore", &watt]);
    run_ok(&ws, &["restore", &faehre]);
    run_ok(&ws, &["restore", &deich]);
    assert_eq!(
        rss_titles(&ws, "empfohlen.rss"),
        [
            "Deich bei Husum wird erhöht",
            "Fähre nach Amrum fährt wieder"
        ]
    );
}

// ---------------------------------------------------------------------------------------
// Late versions: counted in /metrics and `status`, logged once per version.

/// The LATE column of `status` for source `id`.
fn late_in_status(ws: &Workspace, id: &str) -> String {
    let status = run_ok(ws, &["status"]);
    let header = status
        .lines()
        .find(|l| l.starts_with("SOURCE"))
        .expect("a source table");
    let column = header
        .split_whitespace()
        .position(|c| c == "LATE")
        .unwrap_or_else(|| panic!("no LATE column: {header}"));
    let row = status
        .lines()
        .find(|l| l.split_whitespace().next() == Some(id))
        .unwrap_or_else(|| panic!("no row for {id}: {status}"));
    row.split_whitespace()
        .nth(column)
        .expect("a LATE cell")
        .to_string()
}

fn late_in_metrics(port: u16) -> Option<String> {
    let body = reqwest::blocking::get(format!("http://127.0.0.1:{port}/metrics"))
        .ok()?
        .text()
        .ok()?;
    body.lines()
        .find(|l| l.starts_with("wirefeed_late_versions_total{source=\"agentur\"}"))
        .and_then(|l| l.split_whitespace().last())
        .map(str::to_string)
}

#[test]
fn a_late_version_is_counted_in_metrics_and_status_and_logged_once() {
    let port = support::free_port();
    let config = support::serving_on(&lifecycle_config(""), port)
        .replace("    url: spool\n", "    url: spool\n    interval: 1s\n");
    let ws = Workspace::new(&config);
    let v = |n: u32, hour: u32, body: &str| {
        ninjs(
            HAFEN,
            n,
            &format!("2026-11-26T{hour:02}:00:00Z"),
            "Hafen meldet Rekordumschlag",
            body,
            "",
        )
    };
    // Versions 1 and 3 in the spool from the start: read together, neither is late, and
    // reading them again later is no news either.
    deliver(&ws, "01-v1.json", &v(1, 6, V1));
    deliver(&ws, "02-v3.json", &v(3, 8, V3));
    let daemon = Daemon::start(&ws);
    wait_for("the first cycle", Duration::from_secs(30), || {
        late_in_metrics(port).is_some()
    });
    assert_eq!(late_in_metrics(port).as_deref(), Some("0"));

    // Version 2 arrives late: logged and counted.
    deliver(
        &ws,
        "03-v2.json",
        &v(2, 7, "Der Hafen meldet vier Prozent mehr Umschlag."),
    );
    wait_for("the late version counted", Duration::from_secs(30), || {
        late_in_metrics(port).as_deref() == Some("1")
    });
    // Another delivery makes the daemon read the whole spool again, version 2 with it.
    deliver(
        &ws,
        "04-anderes.json",
        &ninjs(
            "urn:beispielagentur:2026:anderes-1",
            1,
            "2026-11-26T09:00:00Z",
            "Neuer Leuchtturm für Pellworm",
            "Die Insel Pellworm bekommt einen neuen Leuchtturm.",
            "",
        ),
    );
    wait_for("the other story", Duration::from_secs(30), || {
        ws.feed_path("alle.rss").exists() && ws.feed("alle.rss").contains("Leuchtturm")
    });
    // One more full cycle, so a second read of version 2 would have been counted.
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(late_in_metrics(port).as_deref(), Some("1"));
    let log = daemon.log();
    assert_eq!(
        log.matches("delivery ignored: version 2 arrived late")
            .count(),
        1,
        "logged once, not on every re-read: {log}"
    );
    assert_eq!(late_in_status(&ws, "agentur"), "1");
    daemon.stop();

    // After a restart, another re-read: still one, in status and in the log.
    deliver(&ws, "05-v1-nochmal.json", &v(1, 6, V1));
    let log = cycle(&ws);
    assert!(!log.contains("delivery ignored: version"), "{log}");
    assert_eq!(late_in_status(&ws, "agentur"), "1");
    assert!(
        ws.feed("alle.rss").contains("fünf Prozent")
            && !ws.feed("alle.rss").contains("vier Prozent")
    );
}
