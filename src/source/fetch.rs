//! HTTP fetching with the rules every source and article page shares: timeouts, a body cap
//! applied after decompression, at most 5 redirects, conditional GET with the validators
//! sent back exactly as received, at most `per_host` requests to one host at once, and — for
//! links that come from content — a refusal to connect to non-public addresses (checked on
//! the resolved address, so such links never go through `HTTP(S)_PROXY`).

use crate::config::PollConfig;
use futures_util::StreamExt;
use reqwest::header::{
    HeaderMap, HeaderValue, CACHE_CONTROL, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, LAST_MODIFIED,
    RETRY_AFTER,
};
use reqwest::StatusCode;
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use url::Url;

const MAX_REDIRECTS: usize = 5;

/// Validators kept from the last response, sent back exactly as received.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Validators {
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

/// What a fetch brought back.
#[derive(Debug)]
pub enum Fetched {
    /// 304: nothing changed since the validators were issued.
    NotModified {
        hints: Hints,
    },
    Body(Body),
}

#[derive(Debug)]
pub struct Body {
    pub bytes: Vec<u8>,
    /// The URL after redirects: relative links resolve against it.
    pub final_url: Url,
    pub status: u16,
    pub validators: Validators,
    pub hints: Hints,
    /// The `charset` of the `Content-Type` header: the decoder weighs it against the bytes.
    pub charset: Option<String>,
}

/// How often the server asks to be polled.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Hints {
    /// Cache-Control max-age.
    pub max_age: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum FetchError {
    #[error("timed out after {0:?} (poll.timeout)")]
    Timeout(Duration),
    #[error("body larger than max_body ({limit} bytes); nothing of it was stored")]
    TooLarge { limit: u64 },
    #[error("HTTP {status}{}", retry_after.map(|d| format!(", retry after {}s", d.as_secs())).unwrap_or_default())]
    Status {
        status: u16,
        retry_after: Option<Duration>,
    },
    #[error("refused to fetch {url}: it resolves to a non-public address ({addr}); set poll.allow_private_addresses: true to allow intranet links")]
    PrivateAddress { url: String, addr: String },
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooManyRedirects,
    #[error("{0}")]
    Network(String),
}

impl FetchError {
    /// The server's Retry-After, when it sent one with 429/503.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            FetchError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match self {
            FetchError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

/// Whether a request's URL was written by the operator (trusted) or came from content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    Config,
    Content,
}

/// The shared HTTP client of a cycle.
pub struct Fetcher {
    trusted: reqwest::Client,
    guarded: reqwest::Client,
    allow_private: bool,
    max_body: u64,
    timeout: Duration,
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

impl Fetcher {
    pub fn new(poll: &PollConfig) -> Result<Fetcher, FetchError> {
        let build = |guard: bool| {
            let mut builder = reqwest::Client::builder()
                .user_agent(poll.user_agent.clone())
                .timeout(poll.timeout)
                .connect_timeout(poll.timeout.min(Duration::from_secs(10)))
                .pool_max_idle_per_host(poll.per_host)
                .gzip(true)
                .brotli(true);
            if guard {
                // No proxy for links from content: a proxy resolves the host name itself, so
                // a name pointing at an intranet address would pass the resolver check below
                // unseen (issue 11). Content links connect directly, where the check holds on
                // the address actually connected to; feed URLs from config keep the proxy.
                builder = builder.no_proxy();
                builder = builder.dns_resolver(PublicOnlyResolver).redirect(
                    reqwest::redirect::Policy::custom(|attempt| {
                        if attempt.previous().len() >= MAX_REDIRECTS {
                            return attempt.error(FetchError::TooManyRedirects);
                        }
                        if let Some(addr) = literal_private_addr(attempt.url()) {
                            let url = attempt.url().to_string();
                            return attempt.error(FetchError::PrivateAddress { url, addr });
                        }
                        attempt.follow()
                    }),
                );
            } else {
                builder = builder.redirect(reqwest::redirect::Policy::limited(MAX_REDIRECTS));
            }
            builder
                .build()
                .map_err(|e| FetchError::Network(format!("cannot build the HTTP client: {e}")))
        };
        Ok(Fetcher {
            trusted: build(false)?,
            guarded: build(!poll.allow_private_addresses)?,
            allow_private: poll.allow_private_addresses,
            max_body: poll.max_body,
            timeout: poll.timeout,
            per_host: poll.per_host,
            hosts: Mutex::new(HashMap::new()),
        })
    }

    fn host_slot(&self, url: &Url) -> Arc<Semaphore> {
        let host = url.host_str().unwrap_or("").to_ascii_lowercase();
        let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
        hosts
            .entry(host)
            .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
            .clone()
    }

    /// GETs `url`, conditionally when validators are given.
    pub async fn get(
        &self,
        url: &Url,
        validators: &Validators,
        origin: Origin,
    ) -> Result<Fetched, FetchError> {
        let client = match origin {
            Origin::Config => &self.trusted,
            Origin::Content => {
                if !self.allow_private {
                    if let Some(addr) = literal_private_addr(url) {
                        return Err(FetchError::PrivateAddress {
                            url: url.to_string(),
                            addr,
                        });
                    }
                }
                &self.guarded
            }
        };
        let slot = self.host_slot(url);
        let _permit = slot
            .acquire()
            .await
            .map_err(|_| FetchError::Network("client shut down".into()))?;
        let mut request = client.get(url.clone());
        if let Some(etag) = &validators.etag {
            request = request.header(IF_NONE_MATCH, etag);
        }
        if let Some(lm) = &validators.last_modified {
            request = request.header(IF_MODIFIED_SINCE, lm);
        }
        let response = request.send().await.map_err(|e| self.classify(e))?;
        let status = response.status();
        let headers = response.headers().clone();
        let hints = Hints {
            max_age: max_age(&headers),
        };
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Fetched::NotModified { hints });
        }
        if !status.is_success() {
            return Err(FetchError::Status {
                status: status.as_u16(),
                retry_after: retry_after(&headers),
            });
        }
        let final_url = response.url().clone();
        if let Some(len) = response.content_length() {
            // Content-Length counts the compressed bytes when the body is encoded, so this
            // only short-cuts bodies that are too large even before decompression.
            if len > self.max_body && headers.get(reqwest::header::CONTENT_ENCODING).is_none() {
                return Err(FetchError::TooLarge {
                    limit: self.max_body,
                });
            }
        }
        let mut bytes = Vec::with_capacity(
            response
                .content_length()
                .unwrap_or(16 * 1024)
                .min(self.max_body) as usize,
        );
        let mut stream = response.bytes_stream();
        while let Some(chunk) = stream.next().await {
            let chunk = chunk.map_err(|e| self.classify(e))?;
            if bytes.len() as u64 + chunk.len() as u64 > self.max_body {
                return Err(FetchError::TooLarge {
                    limit: self.max_body,
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(Fetched::Body(Body {
            bytes,
            final_url,
            status: status.as_u16(),
            validators: Validators {
                etag: header_string(&headers, ETAG),
                last_modified: header_string(&headers, LAST_MODIFIED),
            },
            hints,
            charset: header_string(&headers, reqwest::header::CONTENT_TYPE).and_then(|ct| {
                crate::parse::encoding::charset_of_content_type(&ct).map(str::to_string)
            }),
        }))
    }

    fn classify(&self, err: reqwest::Error) -> FetchError {
        if err.is_timeout() {
            return FetchError::Timeout(self.timeout);
        }
        // Our own refusals travel inside reqwest's error chain; bring them back out.
        let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&err);
        while let Some(e) = source {
            if let Some(refusal) = e.downcast_ref::<FetchError>() {
                return match refusal {
                    FetchError::PrivateAddress { url, addr } => FetchError::PrivateAddress {
                        url: url.clone(),
                        addr: addr.clone(),
                    },
                    FetchError::TooManyRedirects => FetchError::TooManyRedirects,
                    other => FetchError::Network(other.to_string()),
                };
            }
            if let Some(refusal) = e.downcast_ref::<PrivateAddressRefused>() {
                return FetchError::PrivateAddress {
                    url: err.url().map(|u| u.to_string()).unwrap_or_default(),
                    addr: refusal.0.clone(),
                };
            }
            source = e.source();
        }
        if err.is_redirect() {
            return FetchError::TooManyRedirects;
        }
        FetchError::Network(error_chain(&err))
    }
}

fn error_chain(err: &dyn std::error::Error) -> String {
    let mut out = err.to_string();
    let mut source = err.source();
    while let Some(e) = source {
        let s = e.to_string();
        if !out.contains(&s) {
            out.push_str(": ");
            out.push_str(&s);
        }
        source = e.source();
    }
    out
}

fn header_string(headers: &HeaderMap, name: reqwest::header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v: &HeaderValue| v.to_str().ok())
        .map(str::to_string)
}

/// The longest a server's hint (max-age, Retry-After) can ask us to wait: a year. The
/// schedule caps it again at `max_interval`; this keeps absurd values out of the store.
pub const MAX_HINT: Duration = Duration::from_secs(365 * 86400);

/// Seconds as a server wrote them, capped at [`MAX_HINT`] (a number too long for u64 too).
fn hint_seconds(v: &str) -> Option<Duration> {
    let v = v.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let secs = v.parse::<u64>().unwrap_or(u64::MAX);
    Some(Duration::from_secs(secs).min(MAX_HINT))
}

fn max_age(headers: &HeaderMap) -> Option<Duration> {
    let cc = headers.get(CACHE_CONTROL)?.to_str().ok()?;
    cc.split(',').find_map(|d| {
        let d = d.trim();
        d.strip_prefix("max-age=")
            .and_then(|v| hint_seconds(v.trim_matches('"')))
    })
}

/// Retry-After as seconds or an HTTP date, capped at [`MAX_HINT`].
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let v = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Some(d) = hint_seconds(v) {
        return Some(d);
    }
    let when = httpdate::parse_http_date(v).ok()?;
    when.duration_since(std::time::SystemTime::now())
        .ok()
        .map(|d| d.min(MAX_HINT))
}

/// Is this address one that links from content must not reach?
pub fn is_non_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_documentation()
                || v4.is_multicast()
                || o[0] == 0
                || (o[0] == 100 && (64..128).contains(&o[1])) // carrier-grade NAT
                || (o[0] == 192 && o[1] == 0 && o[2] == 0) // IETF protocol assignments
                || (o[0] == 198 && (18..20).contains(&o[1])) // benchmarking
                || o[0] >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_non_public(IpAddr::V4(v4));
            }
            let seg = v6.segments();
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (seg[0] & 0xfe00) == 0xfc00 // unique local
                || (seg[0] & 0xffc0) == 0xfe80 // link-local
                || (seg[0] == 0x2001 && seg[1] == 0x0db8) // documentation
                || (seg[0] == 0x64 && seg[1] == 0xff9b) // NAT64 can reach private v4
        }
    }
}

fn literal_private_addr(url: &Url) -> Option<String> {
    let ip = match url.host()? {
        url::Host::Ipv4(v4) => IpAddr::V4(v4),
        url::Host::Ipv6(v6) => IpAddr::V6(v6),
        url::Host::Domain(d) => {
            // `localhost.` is the same name as `localhost` (the root label), and a name
            // like `127.0.0.1.` that the URL parser kept as a domain is still an address.
            let name = d.trim_end_matches('.').to_ascii_lowercase();
            if name == "localhost" || name.ends_with(".localhost") {
                return Some("localhost".into());
            }
            match name.parse::<IpAddr>() {
                Ok(ip) => ip,
                Err(_) => return None,
            }
        }
    };
    is_non_public(ip).then(|| ip.to_string())
}

#[derive(Debug)]
struct PrivateAddressRefused(String);

impl std::fmt::Display for PrivateAddressRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "resolves only to non-public addresses ({})", self.0)
    }
}

impl std::error::Error for PrivateAddressRefused {}

/// Resolves with the system resolver and keeps only public addresses, so the check holds on
/// the address actually connected to (no DNS rebinding between check and connect).
struct PublicOnlyResolver;

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let addrs: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = addrs
                .iter()
                .copied()
                .filter(|a| !is_non_public(a.ip()))
                .collect();
            if public.is_empty() {
                let shown = addrs
                    .first()
                    .map(|a| a.ip().to_string())
                    .unwrap_or_else(|| host.clone());
                return Err(Box::new(PrivateAddressRefused(shown))
                    as Box<dyn std::error::Error + Send + Sync>);
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn non_public_addresses() {
        for a in [
            "127.0.0.1",
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.4",
            "169.254.169.254",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:127.0.0.1",
            "100.64.0.1",
        ] {
            assert!(is_non_public(a.parse().unwrap()), "{a}");
        }
        for a in ["93.184.216.34", "2a00:1450:4001::1", "8.8.8.8"] {
            assert!(!is_non_public(a.parse().unwrap()), "{a}");
        }
    }

    #[test]
    fn literal_hosts_are_checked_before_any_request() {
        assert!(literal_private_addr(&Url::parse("http://127.0.0.1:8080/x").unwrap()).is_some());
        assert!(literal_private_addr(&Url::parse("http://[::1]/x").unwrap()).is_some());
        assert!(literal_private_addr(&Url::parse("http://localhost/x").unwrap()).is_some());
        assert!(literal_private_addr(&Url::parse("https://news.example/x").unwrap()).is_none());
    }

    #[test]
    fn literal_hosts_with_a_trailing_dot_are_refused_too() {
        for url in [
            "http://localhost./x",
            "http://LOCALHOST../x",
            "http://api.localhost./x",
            "http://127.0.0.1./x",
            "http://10.0.0.1./x",
            "http://0x7f000001./x",
        ] {
            assert!(
                literal_private_addr(&Url::parse(url).unwrap()).is_some(),
                "{url}"
            );
        }
        assert!(literal_private_addr(&Url::parse("https://news.example./x").unwrap()).is_none());
    }

    fn headers(name: reqwest::header::HeaderName, value: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(name, HeaderValue::from_str(value).unwrap());
        h
    }

    #[test]
    fn huge_max_age_and_retry_after_are_capped() {
        for v in [
            "max-age=99999999999999",
            "max-age=999999999999999999999999999",
        ] {
            assert_eq!(max_age(&headers(CACHE_CONTROL, v)), Some(MAX_HINT), "{v}");
        }
        assert_eq!(
            max_age(&headers(CACHE_CONTROL, "public, max-age=300")),
            Some(Duration::from_secs(300))
        );
        assert_eq!(max_age(&headers(CACHE_CONTROL, "max-age=-5")), None);
        for v in [
            "99999999999999",
            "18446744073709551616",
            "Fri, 31 Dec 9999 23:59:59 GMT",
        ] {
            assert_eq!(retry_after(&headers(RETRY_AFTER, v)), Some(MAX_HINT), "{v}");
        }
        assert_eq!(
            retry_after(&headers(RETRY_AFTER, "120")),
            Some(Duration::from_secs(120))
        );
    }
}
