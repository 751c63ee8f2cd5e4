//! SSRF through a proxy (issue 11, item 4): with `HTTP_PROXY` set, a link from content whose
//! host name resolves to a private address must be refused, not handed to the proxy, while
//! URLs from config still go through the proxy.
//!
//! Its own test binary: the proxy comes from the process environment, which reqwest reads
//! once, so no other test may share the process.

mod support;

use std::net::ToSocketAddrs;
use support::{Route, TestServer};
use wirefeed::config::PollConfig;
use wirefeed::source::fetch::{FetchError, Fetched, Fetcher, Origin, Validators};

/// A host name (not a literal address, not `localhost`) that the system resolves only to
/// non-public addresses: the machine's own name from the hosts file, as on most systems.
fn private_host_name() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: the buffer is valid for its length; gethostname NUL-terminates within it.
    let rc = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) };
    if rc != 0 {
        return None;
    }
    let end = buf.iter().position(|&b| b == 0)?;
    let name = String::from_utf8_lossy(&buf[..end]).into_owned();
    let addrs: Vec<_> = (name.as_str(), 80).to_socket_addrs().ok()?.collect();
    (!addrs.is_empty()
        && !name.eq_ignore_ascii_case("localhost")
        && addrs
            .iter()
            .all(|a| wirefeed::source::fetch::is_non_public(a.ip())))
    .then_some(name)
}

#[test]
fn content_links_to_private_names_are_refused_even_through_a_proxy() {
    let Some(host) = private_host_name() else {
        eprintln!("skipped: this machine's host name does not resolve to a private address");
        return;
    };
    let proxy = TestServer::start();
    proxy.set(
        "/feed.xml",
        Route::xml("<rss version=\"2.0\"><channel/></rss>"),
    );
    proxy.set("/intern.html", Route::html("<p>Intranet</p>"));
    for var in [
        "NO_PROXY",
        "no_proxy",
        "ALL_PROXY",
        "all_proxy",
        "HTTPS_PROXY",
    ] {
        std::env::remove_var(var);
    }
    std::env::set_var("HTTP_PROXY", proxy.url(""));
    std::env::set_var("http_proxy", proxy.url(""));

    let poll = PollConfig {
        interval: std::time::Duration::from_secs(300),
        timeout: std::time::Duration::from_secs(5),
        concurrency: 2,
        per_host: 2,
        user_agent: "wirefeed-test".into(),
        max_body: 1 << 20,
        max_interval: std::time::Duration::from_secs(3600),
        max_backoff: std::time::Duration::from_secs(3600),
        allow_private_addresses: false,
    };
    let fetcher = Fetcher::new(&poll).expect("client");
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let none = Validators::default();

    // The operator's own feed URL goes through the proxy: the proxy is really in use.
    let feed = url::Url::parse(&format!("http://{host}:9/feed.xml")).unwrap();
    let got = rt.block_on(fetcher.get(&feed, &none, Origin::Config));
    assert!(
        matches!(got, Ok(Fetched::Body(ref b)) if b.status == 200),
        "config URL through the proxy: {got:?}"
    );
    assert_eq!(proxy.seen("/feed.xml").len(), 1);

    let link = url::Url::parse(&format!("http://{host}:9/intern.html")).unwrap();
    let got = rt.block_on(fetcher.get(&link, &none, Origin::Content));
    assert!(
        matches!(got, Err(FetchError::PrivateAddress { .. })),
        "a content link to {host} (a private address) was not refused: {got:?}"
    );
    assert!(
        proxy.seen("/intern.html").is_empty(),
        "the content link was handed to the proxy"
    );
}
