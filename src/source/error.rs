//! Why a source failed: the typed `SourceError` of the source stage, with the `ErrorKind`
//! that logs, metrics (the `reason` label) and backoff read, and the errors of reading
//! spool files.

use super::fetch::FetchError;
use crate::model::SourceKind;
use crate::parse::article::ArticleError;
use crate::parse::feed::FeedError;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    #[error("{path}: not found; check the source url in config.yaml")]
    Missing { path: String },
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: larger than max_body ({limit} bytes); skipped")]
    TooLarge { path: String, limit: u64 },
}

/// What went wrong with a source, kept typed up to where it is acted on: the log line and
/// the status page show the message, metrics label it with [`ErrorKind::label`], and
/// backoff reads the server's `Retry-After` from it.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SourceError {
    #[error("fetch {url}: {source}")]
    Fetch { url: Url, source: FetchShared },
    #[error("parse {url}: {source}")]
    Feed { url: Url, source: Box<FeedError> },
    #[error("page {url}: {source}")]
    Page { url: Url, source: Box<ArticleError> },
    #[error("section page {url}: {source}")]
    SectionPage { url: Url, source: Box<ArticleError> },
    #[error("section page {url}: selectors.items `{selector}` matched no links")]
    NoSectionLinks { url: Url, selector: String },
    #[error("{0}")]
    Spool(SpoolShared),
    #[error("{}: {source}", path.display())]
    SpoolFeed {
        path: PathBuf,
        source: Box<FeedError>,
    },
    #[error("{}: {source}", path.display())]
    SpoolPage {
        path: PathBuf,
        source: Box<ArticleError>,
    },
    /// The source answered with the other kind of document than it is (a maintenance page
    /// where a feed was): a failed poll, so nothing of it is stored.
    #[error("fetch {url}: {}", kind_changed(*.expected))]
    KindChanged { url: Url, expected: SourceKind },
    /// Some deliveries of a spool folder failed while others were stored.
    #[error("{}", join(.0))]
    Deliveries(Vec<SourceError>),
    /// A parser or extractor thread panicked: a bug, reported rather than fatal.
    #[error("{what} crashed: {detail}")]
    Crashed { what: &'static str, detail: String },
}

fn kind_changed(expected: SourceKind) -> &'static str {
    match expected {
        SourceKind::Feed => "HTML page instead of a feed (an error or maintenance page?); if the source really became a page, set `kind: page` for it in config.yaml",
        SourceKind::Page => "a feed instead of an HTML page; if the source really became a feed, set `kind: feed` for it in config.yaml",
    }
}

fn join(errors: &[SourceError]) -> String {
    errors
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}

/// The kinds of source failure, for metrics' `reason` label and for whoever has to act.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    Timeout,
    HttpStatus,
    TooLarge,
    /// A link that resolves to a non-public address, or too many redirects.
    Refused,
    Network,
    NotAFeed,
    Parse,
    /// An article or section page that yielded nothing (paywall, error page, no links…).
    PageRefused,
    Spool,
    Crashed,
}

impl ErrorKind {
    /// The value of the `reason` label in metrics.
    pub fn label(self) -> &'static str {
        match self {
            ErrorKind::Timeout => "timeout",
            ErrorKind::HttpStatus => "http_status",
            ErrorKind::TooLarge => "too_large",
            ErrorKind::Refused => "refused",
            ErrorKind::Network => "network",
            ErrorKind::NotAFeed => "not_a_feed",
            ErrorKind::Parse => "parse",
            ErrorKind::PageRefused => "page_refused",
            ErrorKind::Spool => "spool",
            ErrorKind::Crashed => "crashed",
        }
    }
}

fn feed_kind(e: &FeedError) -> ErrorKind {
    match e {
        FeedError::Empty | FeedError::NotAFeed { .. } => ErrorKind::NotAFeed,
        _ => ErrorKind::Parse,
    }
}

fn article_kind(e: &ArticleError) -> ErrorKind {
    match e {
        ArticleError::TooLarge { .. } => ErrorKind::TooLarge,
        _ => ErrorKind::PageRefused,
    }
}

impl SourceError {
    pub fn kind(&self) -> ErrorKind {
        match self {
            SourceError::Fetch { source, .. } => match &*source.0 {
                FetchError::Timeout(_) => ErrorKind::Timeout,
                FetchError::TooLarge { .. } => ErrorKind::TooLarge,
                FetchError::Status { .. } => ErrorKind::HttpStatus,
                FetchError::PrivateAddress { .. } | FetchError::TooManyRedirects => {
                    ErrorKind::Refused
                }
                FetchError::Network(_) => ErrorKind::Network,
            },
            SourceError::Feed { source, .. } | SourceError::SpoolFeed { source, .. } => {
                feed_kind(source)
            }
            SourceError::Page { source, .. }
            | SourceError::SectionPage { source, .. }
            | SourceError::SpoolPage { source, .. } => article_kind(source),
            SourceError::NoSectionLinks { .. } => ErrorKind::PageRefused,
            SourceError::KindChanged { expected, .. } => match expected {
                SourceKind::Feed => ErrorKind::NotAFeed,
                SourceKind::Page => ErrorKind::PageRefused,
            },
            SourceError::Spool(e) => match &*e.0 {
                SpoolError::TooLarge { .. } => ErrorKind::TooLarge,
                _ => ErrorKind::Spool,
            },
            SourceError::Deliveries(errors) => {
                errors.first().map_or(ErrorKind::Spool, SourceError::kind)
            }
            SourceError::Crashed { .. } => ErrorKind::Crashed,
        }
    }

    /// The server's `Retry-After` (429/503): backoff waits at least this long.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            SourceError::Fetch { source, .. } => source.0.retry_after(),
            _ => None,
        }
    }

    /// The HTTP status of a failed fetch.
    pub fn status(&self) -> Option<u16> {
        match self {
            SourceError::Fetch { source, .. } => source.0.status(),
            _ => None,
        }
    }

    pub fn crashed(what: &'static str, e: impl std::fmt::Display) -> SourceError {
        SourceError::Crashed {
            what,
            detail: e.to_string(),
        }
    }
}

/// A [`FetchError`] shared between reports (it is not `Clone` itself).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct FetchShared(pub std::sync::Arc<FetchError>);

impl PartialEq for FetchShared {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

/// A [`SpoolError`] shared between reports (it is not `Clone` itself).
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct SpoolShared(pub std::sync::Arc<SpoolError>);

impl PartialEq for SpoolShared {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_string() == other.0.to_string()
    }
}

impl From<SpoolError> for SourceError {
    fn from(e: SpoolError) -> Self {
        SourceError::Spool(SpoolShared(std::sync::Arc::new(e)))
    }
}

impl SourceError {
    pub fn fetch(url: &Url, e: FetchError) -> SourceError {
        SourceError::Fetch {
            url: url.clone(),
            source: FetchShared(std::sync::Arc::new(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url() -> Url {
        Url::parse("https://agency.example/feed.xml").expect("literal URL")
    }

    #[test]
    fn kinds_tell_a_timeout_from_a_parse_error() {
        let timeout = SourceError::fetch(&url(), FetchError::Timeout(Duration::from_secs(30)));
        assert_eq!(timeout.kind(), ErrorKind::Timeout);
        assert_eq!(timeout.kind().label(), "timeout");
        let parse = SourceError::Feed {
            url: url(),
            source: Box::new(FeedError::Truncated {
                len: 10,
                missing: "</rss>".into(),
            }),
        };
        assert_eq!(parse.kind(), ErrorKind::Parse);
        let html = SourceError::Feed {
            url: url(),
            source: Box::new(FeedError::Empty),
        };
        assert_eq!(html.kind(), ErrorKind::NotAFeed);
        let busy = SourceError::fetch(
            &url(),
            FetchError::Status {
                status: 503,
                retry_after: Some(Duration::from_secs(120)),
            },
        );
        assert_eq!(busy.kind(), ErrorKind::HttpStatus);
        assert_eq!(busy.status(), Some(503));
        assert_eq!(busy.retry_after(), Some(Duration::from_secs(120)));
        assert_eq!(
            busy.to_string(),
            "fetch https://agency.example/feed.xml: HTTP 503, retry after 120s"
        );
    }

    #[test]
    fn partial_spool_failures_read_as_one_line() {
        let e = SourceError::Deliveries(vec![
            SourceError::SpoolFeed {
                path: "/spool/a.xml".into(),
                source: Box::new(FeedError::Empty),
            },
            SourceError::crashed("parser", "boom"),
        ]);
        assert!(e
            .to_string()
            .starts_with("/spool/a.xml: the feed body is empty"));
        assert!(e.to_string().ends_with("; parser crashed: boom"));
        assert_eq!(e.kind(), ErrorKind::NotAFeed);
    }
}
