//! Values an operator or a server can send that once panicked the daemon: durations past
//! what dates hold, `Cache-Control`/`Retry-After` hints of millions of years, YAML 1.1
//! booleans where an id belongs. `check` refuses the config ones with file:line:column;
//! the server ones are capped, and `once` and `run` keep working.

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

fn config_with_poll(poll: &str, sources: &str) -> String {
    format!(
        "store: store\nfeeds_dir: feeds\nbase_url: http://feeds.example/\npoll:\n  timeout: 3s\n  allow_private_addresses: true\n{poll}sources:\n{sources}\nfeeds:\n  - id: alle\n    title: Alle\n"
    )
}

#[test]
fn check_refuses_an_interval_past_what_dates_hold_with_its_position() {
    for value in ["18446744073709551615s", "95000000d"] {
        let ws = Workspace::new(&config_with_poll(
            &format!("  interval: {value}\n"),
            "  - id: a\n    url: spool/a",
        ));
        let out = ws.wirefeed(&["check"]);
        assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
        let err = stderr(&out);
        assert!(
            err.contains("config.yaml:7:13:") && err.contains("limit of 36500d"),
            "{value}: {err}"
        );
    }
}

#[test]
fn an_id_that_looks_like_a_yaml_1_1_boolean_is_the_string_written() {
    let ws = Workspace::new(&config_with_poll("", "  - id: n\n    url: spool/n"));
    std::fs::create_dir_all(ws.path().join("spool/n")).unwrap();
    let out = ws.wirefeed(&["check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

/// A server asking for absurd waits (with the largest `max_interval` and `max_backoff`
/// allowed): `once` and `run` keep going, and the next poll is at most `max_interval` away.
#[test]
fn huge_cache_control_and_retry_after_with_a_huge_max_interval_do_not_panic() {
    let server = TestServer::start();
    server.set(
        "/feed.xml",
        Route::xml(rss(&[("Meldung", "m-1", "Text.", &hours_ago(1))]))
            .with_header("cache-control", "max-age=99999999999999"),
    );
    server.set(
        "/busy.xml",
        Route::xml("busy")
            .with_status(503)
            .with_header("retry-after", "99999999999999999999"),
    );
    let sources = format!(
        "  - id: a\n    url: {}\n  - id: b\n    url: {}",
        server.url("/feed.xml"),
        server.url("/busy.xml")
    );
    let ws = Workspace::new(&config_with_poll(
        "  interval: 36500d\n  max_interval: 36500d\n  max_backoff: 36500d\n",
        &sources,
    ));
    let out = ws.wirefeed(&["once", "--all"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    assert!(ws.feed("alle.rss").contains("Meldung"));

    let mut child = Command::new(env!("CARGO_BIN_EXE_wirefeed"))
        .arg("--config")
        .arg(ws.config_path())
        .arg("run")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start daemon");
    std::thread::sleep(Duration::from_secs(3));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the daemon must not exit on huge hints"
    );
    // SAFETY: a signal to our own child by pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(start.elapsed() < Duration::from_secs(10), "no exit");
        std::thread::sleep(Duration::from_millis(50));
    };
    let mut err = String::new();
    std::io::Read::read_to_string(&mut child.stderr.take().unwrap(), &mut err).unwrap();
    assert!(status.success(), "{status}: {err}");
    assert!(!err.contains("panicked"), "{err}");
    let status = ws.wirefeed(&["status"]);
    assert_eq!(status.status.code(), Some(0), "{}", stderr(&status));
}
