//! The checked configuration: the values every other stage reads, and the errors that
//! say why config.yaml could not be used.

use crate::model::SourceId;
use crate::parse::article::ExtractRules;
use crate::parse::html::CssSelector;
use regex::Regex;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;
use url::Url;

/// The checked configuration. Every path is absolute (resolved against the config file's
/// folder) and every value has been validated.
#[derive(Debug, Clone)]
pub struct Config {
    pub path: PathBuf,
    pub store: PathBuf,
    pub feeds_dir: PathBuf,
    /// Public URL of `feeds_dir`, always ending in `/`.
    pub base_url: Url,
    pub lang: Option<String>,
    pub poll: PollConfig,
    pub retention: RetentionConfig,
    pub dedup: DedupConfig,
    pub teasers: TeaserConfig,
    /// How agencies mark corrections and kill notices in plain text (`wire:`).
    pub wire: crate::lifecycle::WireRules,
    pub serve: Option<SocketAddr>,
    pub websub_hubs: Vec<Url>,
    pub site: SiteConfig,
    /// Remove tracking parameters (`utm_*`, `fbclid`, …) from published links (default true).
    pub strip_tracking: bool,
    /// `timezone`: the zone of source times that name none, unless a source names its
    /// own, and of the times on the HTML feed pages (default UTC).
    pub timezone: chrono_tz::Tz,
    pub sources: Vec<SourceConfig>,
    pub feeds: Vec<FeedConfig>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SiteConfig {
    /// The newsroom's name: heading of the HTML pages, author of Atom feeds.
    pub name: String,
    /// Atom feed author (`site.author`), else `name`.
    pub author: String,
    /// Overrides of the HTML pages' built-in German and English strings, by key.
    pub strings: Vec<(String, String)>,
}

#[derive(Debug, Clone)]
pub struct PollConfig {
    pub interval: Duration,
    pub timeout: Duration,
    pub concurrency: usize,
    pub per_host: usize,
    pub user_agent: String,
    pub max_body: u64,
    /// Upper bound for intervals raised by a source's own hints (ttl, max-age, Retry-After).
    pub max_interval: Duration,
    /// Upper bound of the exponential backoff of a failing source.
    pub max_backoff: Duration,
    pub allow_private_addresses: bool,
}

#[derive(Debug, Clone)]
pub struct RetentionConfig {
    pub max_age: Duration,
}

#[derive(Debug, Clone)]
pub struct DedupConfig {
    /// Similarity from which two stories of different sources count as one.
    pub near_duplicate_threshold: Option<f64>,
    /// Future dates within this skew are not an embargo.
    pub clock_skew: Duration,
}

#[derive(Debug, Clone)]
pub struct TeaserConfig {
    pub labels: Vec<String>,
}

/// Where a source's deliveries come from.
#[derive(Debug, Clone, PartialEq)]
pub enum SourceLocation {
    Http(Url),
    /// A local file, or a folder read as an agency spool.
    Path(PathBuf),
}

#[derive(Debug, Clone)]
pub struct SourceConfig {
    pub id: SourceId,
    pub location: SourceLocation,
    /// `kind: feed` or `kind: page`; when absent, learned from the first good answer.
    pub kind: Option<crate::model::SourceKind>,
    pub interval: Option<Duration>,
    pub tags: Vec<String>,
    pub follow_links: bool,
    pub follow_links_max: usize,
    pub selectors: Selectors,
    /// What article-page extraction uses for this source: its selectors, the teaser
    /// labels and its time zone (its `timezone`, else the global one, which feeds of the
    /// source are read in too), built once when the config is checked.
    pub rules: ExtractRules,
}

/// Per-source CSS selectors for sites the generic extractor gets wrong, compiled once
/// when the config is checked.
#[derive(Debug, Clone, Default)]
pub struct Selectors {
    pub items: Option<CssSelector>,
    pub body: Option<CssSelector>,
    pub teasers: Option<CssSelector>,
    pub byline: Option<CssSelector>,
}

/// What an output feed is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFrom {
    Items,
    Teasers,
}

/// The order of a feed's entries (`order:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedOrder {
    /// Newest first (the only order of `from: items` feeds).
    Newest,
    /// Teasers by how strongly the pages recommend them (how many distinct pages, how high
    /// on them) with recency: the default of `from: teasers` feeds.
    Recommended,
}

#[derive(Debug, Clone)]
pub struct FeedConfig {
    pub id: String,
    pub title: String,
    pub description: String,
    pub from: FeedFrom,
    /// `None`: every source.
    pub sources: Option<Vec<SourceId>>,
    pub tags: Vec<String>,
    pub include: Vec<Matcher>,
    pub exclude: Vec<Matcher>,
    pub max_age: Option<Duration>,
    pub limit: usize,
    pub lang: Option<String>,
    /// Only stories of this IPTC urgency or more urgent (1 = flash); stories without an
    /// urgency are left out when set.
    pub urgency_max: Option<u8>,
    pub order: FeedOrder,
}

/// An include/exclude pattern: a whole word (case-insensitive) or a `/regex/flags`.
#[derive(Debug, Clone)]
pub struct Matcher {
    pub pattern: String,
    pub regex: Regex,
}

impl Matcher {
    pub fn is_match(&self, text: &str) -> bool {
        self.regex.is_match(text)
    }
}

/// One problem found in config.yaml, with where it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: u64,
    pub column: u64,
    pub message: String,
}

/// Why config.yaml could not be used.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error(
        "{path}: cannot read the config file: {source} (pass another file with --config PATH)"
    )]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{}", render_problems(path, problems))]
    Invalid {
        path: String,
        problems: Vec<Problem>,
    },
}

fn render_problems(path: &str, problems: &[Problem]) -> String {
    problems
        .iter()
        .map(|p| format!("{path}:{}:{}: {}", p.line, p.column, p.message))
        .collect::<Vec<_>>()
        .join("\n")
}

impl ConfigError {
    pub fn problems(&self) -> &[Problem] {
        match self {
            ConfigError::Invalid { problems, .. } => problems,
            ConfigError::Read { .. } => &[],
        }
    }
}
