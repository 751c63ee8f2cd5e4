//! A source's kind (feed or HTML page) does not flip on one bad answer: a feed URL that
//! answers 200 with a maintenance page is a failed poll "HTML page instead of a feed", not
//! a story titled after the maintenance page; the kind is fixed by `kind:` in config.yaml
//! or learned from the first good answer and kept in the store.

mod support;

use support::*;

/// An invented maintenance page, long enough to pass as an article.
fn maintenance_page() -> String {
    let para = "Unsere Seite wird gerade gewartet. Bitte versuchen Sie es in einigen Minuten erneut, wir arbeiten daran, dass alles bald wieder wie gewohnt funktioniert. ";
    format!(
        "<!DOCTYPE html><html lang=\"de\"><head><title>Wir sind gleich wieder da</title></head><body><main><article><h1>Wir sind gleich wieder da</h1><p>{}</p><p>{}</p></article></main></body></html>",
        para.repeat(3),
        para.repeat(2)
    )
}

#[test]
fn a_feed_answering_a_maintenance_page_is_a_failed_poll_not_a_story() {
    let server = TestServer::start();
    server.set(
        "/feed.xml",
        Route::xml(rss(&[("Meldung am Morgen", "m-1", "Text.", &hours_ago(1))])),
    );
    let sources = format!("  - id: agentur\n    url: {}", server.url("/feed.xml"));
    let ws = Workspace::new(&config(&sources, "  - id: alle\n    title: Alle"));
    ws.once();
    assert!(ws.feed("alle.rss").contains("Meldung am Morgen"));

    server.set("/feed.xml", Route::html(maintenance_page()));
    let out = ws.once();
    let err = stderr(&out);
    assert!(
        err.contains("HTML page instead of a feed"),
        "the failure says what happened: {err}"
    );
    let published = ws.feed("alle.rss");
    assert!(
        !published.contains("Wir sind gleich wieder da"),
        "the maintenance page must not become a story: {published}"
    );
    assert!(published.contains("Meldung am Morgen"));
    let status = ws.wirefeed(&["status"]);
    let shown = String::from_utf8_lossy(&status.stdout).into_owned() + &stderr(&status);
    assert!(
        shown.contains("FAILING") && shown.contains("HTML page instead of"),
        "status shows the reason: {shown}"
    );

    // The feed comes back: polled as a feed again, nothing lost.
    server.set(
        "/feed.xml",
        Route::xml(rss(&[
            ("Meldung am Mittag", "m-2", "Text.", &hours_ago(0)),
            ("Meldung am Morgen", "m-1", "Text.", &hours_ago(1)),
        ])),
    );
    let out = ws.once();
    assert!(!stderr(&out).contains("instead of"), "{}", stderr(&out));
    let published = ws.feed("alle.rss");
    assert!(published.contains("Meldung am Mittag") && published.contains("Meldung am Morgen"));
}

#[test]
fn a_kind_fixed_in_config_holds_from_the_first_poll() {
    let server = TestServer::start();
    server.set("/feed.xml", Route::html(maintenance_page()));
    server.set(
        "/page.html",
        Route::xml(rss(&[("Meldung", "m-1", "Text.", &hours_ago(1))])),
    );
    let sources = format!(
        "  - id: agentur\n    url: {}\n    kind: feed\n  - id: seite\n    url: {}\n    kind: page",
        server.url("/feed.xml"),
        server.url("/page.html")
    );
    let ws = Workspace::new(&config(&sources, "  - id: alle\n    title: Alle"));
    let out = ws.once();
    let err = stderr(&out);
    assert!(err.contains("HTML page instead of a feed"), "{err}");
    assert!(err.contains("a feed instead of an HTML page"), "{err}");
    assert!(!ws.feed("alle.rss").contains("<item>"));

    let bad = config(
        &format!(
            "  - id: a\n    url: {}\n    kind: podcast",
            server.url("/x")
        ),
        "  - id: alle\n    title: Alle",
    );
    ws.write_config(&bad);
    let out = ws.wirefeed(&["check"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("kind `podcast` must be `feed`"),
        "{}",
        stderr(&out)
    );
}

/// `kind` on a spool folder was accepted and silently ignored (issue 11): a file or folder
/// is always read as feeds and agency deliveries, so `check` refuses it with its position.
#[test]
fn check_refuses_kind_on_a_spool_source_with_its_position() {
    for kind in ["page", "feed"] {
        let ws = Workspace::new(&config(
            &format!("  - id: spool\n    url: spool/a\n    kind: {kind}"),
            "  - id: alle\n    title: Alle",
        ));
        std::fs::create_dir_all(ws.path().join("spool/a")).unwrap();
        let out = ws.wirefeed(&["check"]);
        let err = stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{kind}: {err}");
        assert!(
            err.contains("config.yaml:13:11:")
                && err.contains("`kind` applies to http(s) sources only"),
            "{kind}: {err}"
        );
    }
    // Without `kind` the same spool source is fine.
    let ws = Workspace::new(&config(
        "  - id: spool\n    url: spool/a",
        "  - id: alle\n    title: Alle",
    ));
    std::fs::create_dir_all(ws.path().join("spool/a")).unwrap();
    let out = ws.wirefeed(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}
