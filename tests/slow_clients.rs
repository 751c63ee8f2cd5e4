//! Clients that never finish a request: the server closes a connection whose headers do not
//! arrive within its header-read timeout (10 s), and a kept-alive connection that stays
//! silent as long; it serves at most half its file-descriptor limit at once, so 400
//! half-sent requests against a limit of 256 descriptors do not starve the sources.

mod support;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use support::*;

fn open_fds(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map_or(0, |d| d.count())
}

/// Seconds until the server closes `stream` (reads EOF or an error), at most `limit`.
fn closed_after(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let start = Instant::now();
    stream
        .set_read_timeout(Some(Duration::from_millis(200)))
        .unwrap();
    let mut buf = [0u8; 4096];
    while start.elapsed() < limit {
        match stream.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                continue
            }
            Err(_) => return Some(start.elapsed()),
        }
    }
    None
}

#[test]
fn half_sent_requests_are_cut_off_and_do_not_starve_the_daemon() {
    let server = TestServer::start();
    server.set(
        "/feed.xml",
        Route::xml(rss(&[("Erste Meldung", "m-1", "Text.", &hours_ago(1))])),
    );
    let port = free_port();
    let sources = format!(
        "  - id: a\n    url: {}\n    interval: 1s",
        server.url("/feed.xml")
    );
    let cfg = serving_on(&config(&sources, "  - id: alle\n    title: Alle"), port);
    let ws = Workspace::new(&cfg);
    let mut command = Command::new(env!("CARGO_BIN_EXE_wirefeed"));
    command
        .arg("--config")
        .arg(ws.config_path())
        .arg("run")
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    // SAFETY: setrlimit is async-signal-safe and only touches the child about to exec.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit {
                rlim_cur: 256,
                rlim_max: 256,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let mut child = command.spawn().expect("start daemon");
    let start = Instant::now();
    while !ws.feed_path("alle.rss").exists() || TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "no first publish"
        );
        std::thread::sleep(Duration::from_millis(50));
    }

    // A kept-alive connection that goes silent after one request is closed, too.
    let mut idle = TcpStream::connect(("127.0.0.1", port)).unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .unwrap();

    // 400 clients send half a request and then nothing.
    let addr: std::net::SocketAddr = ([127, 0, 0, 1], port).into();
    let mut slow: Vec<TcpStream> = (0..400)
        .filter_map(|_| TcpStream::connect_timeout(&addr, Duration::from_secs(1)).ok())
        .collect();
    for s in &mut slow {
        let _ = s.set_write_timeout(Some(Duration::from_secs(1)));
        let _ = s.write_all(b"GET /alle.rss HTTP/1.1\r\nHost: x\r\nX-Slow: ");
    }
    assert!(slow.len() >= 300, "only {} connections opened", slow.len());
    std::thread::sleep(Duration::from_secs(1));
    let fds = open_fds(child.id());
    assert!(fds < 240, "the daemon holds {fds} descriptors of 256");

    // Meanwhile the sources are polled and published as usual.
    server.set(
        "/feed.xml",
        Route::xml(rss(&[
            ("Zweite Meldung", "m-2", "Text.", &hours_ago(0)),
            ("Erste Meldung", "m-1", "Text.", &hours_ago(1)),
        ])),
    );
    let start = Instant::now();
    while !std::fs::read_to_string(ws.feed_path("alle.rss"))
        .unwrap_or_default()
        .contains("Zweite Meldung")
    {
        assert!(
            start.elapsed() < Duration::from_secs(15),
            "the daemon starved during the attack"
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // The first half-sent requests are cut off after the header-read timeout, not 75 s.
    let closed = closed_after(&mut slow[0], Duration::from_secs(20));
    assert!(
        closed.is_some(),
        "a half-sent request is still open after 20 s"
    );
    let closed = closed_after(&mut idle, Duration::from_secs(5));
    assert!(
        closed.is_some(),
        "an idle kept-alive connection is still open"
    );
    drop(slow);

    // Once the clients are gone the server answers again.
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let health = client
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .expect("the server answers after the attack");
    assert_eq!(health.status().as_u16(), 200);

    // SAFETY: a signal to our own child by pid.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let start = Instant::now();
    while child.try_wait().unwrap().is_none() {
        assert!(start.elapsed() < Duration::from_secs(10), "no exit");
        std::thread::sleep(Duration::from_millis(50));
    }
}
