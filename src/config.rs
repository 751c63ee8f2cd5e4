//! config.yaml: read in two stages. The YAML becomes a tree of nodes that remember their
//! line and column; one validation pass turns that tree into a checked [`Config`] and
//! collects every problem on the way, so an operator sees all mistakes at once as
//! `config.yaml:LINE:COLUMN: message`.

use regex::Regex;
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::collections::HashSet;
use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

/// The teaser section labels used when config.yaml names none.
pub use crate::parse::article::DEFAULT_TEASER_LABELS;

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
    pub serve: Option<SocketAddr>,
    pub websub_hubs: Vec<Url>,
    pub site: SiteConfig,
    /// Remove tracking parameters (`utm_*`, `fbclid`, …) from published links (default true).
    pub strip_tracking: bool,
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
    pub id: String,
    pub location: SourceLocation,
    pub interval: Option<Duration>,
    pub tags: Vec<String>,
    pub follow_links: bool,
    pub follow_links_max: usize,
    pub selectors: Selectors,
}

/// Per-source CSS selectors for sites the generic extractor gets wrong.
#[derive(Debug, Clone, Default)]
pub struct Selectors {
    pub items: Option<String>,
    pub body: Option<String>,
    pub teasers: Option<String>,
    pub byline: Option<String>,
}

/// What an output feed is built from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FeedFrom {
    Items,
    Teasers,
}

#[derive(Debug, Clone)]
pub struct FeedConfig {
    pub id: String,
    pub title: String,
    pub description: String,
    pub from: FeedFrom,
    /// `None`: every source.
    pub sources: Option<Vec<String>>,
    pub tags: Vec<String>,
    pub include: Vec<Matcher>,
    pub exclude: Vec<Matcher>,
    pub max_age: Option<Duration>,
    pub limit: usize,
    pub lang: Option<String>,
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

impl Config {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        let dir = absolute
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_else(|| PathBuf::from("."));
        Config::from_yaml(&text, &absolute, &dir).map_err(|problems| ConfigError::Invalid {
            path: shown,
            problems,
        })
    }

    /// Validates YAML text; relative paths resolve against `dir`.
    pub fn from_yaml(text: &str, path: &Path, dir: &Path) -> Result<Config, Vec<Problem>> {
        let root: Spanned<Node> = match serde_saphyr::from_str(text) {
            Ok(root) => root,
            Err(err) => {
                let (line, column) = err
                    .location()
                    .map(|l| (l.line(), l.column()))
                    .unwrap_or((1, 1));
                let message = first_line(&err.to_string());
                return Err(vec![Problem {
                    line,
                    column,
                    message: format!("not valid YAML: {message}"),
                }]);
            }
        };
        let mut check = Checker {
            problems: Vec::new(),
            dir,
        };
        let config = check.config(&root, path);
        check.problems.sort_by_key(|p| (p.line, p.column));
        match config {
            Some(config) if check.problems.is_empty() => Ok(config),
            _ => Err(check.problems),
        }
    }

    /// The feed of this id, if configured.
    pub fn feed(&self, id: &str) -> Option<&FeedConfig> {
        self.feeds.iter().find(|f| f.id == id)
    }

    /// The source of this id, if configured.
    pub fn source(&self, id: &str) -> Option<&SourceConfig> {
        self.sources.iter().find(|s| s.id == id)
    }
}

fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_string()
}

/// A YAML value that remembers where it stood.
#[derive(Debug, Clone)]
enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<Node>, Spanned<Node>)>),
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct NodeVisitor;
        impl<'de> Visitor<'de> for NodeVisitor {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML value")
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Null)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Node, D::Error> {
                Node::deserialize(d)
            }
            fn visit_bool<E>(self, v: bool) -> Result<Node, E> {
                Ok(Node::Bool(v))
            }
            fn visit_i64<E>(self, v: i64) -> Result<Node, E> {
                Ok(Node::Int(v))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Node, E> {
                Ok(i64::try_from(v).map_or(Node::Float(v as f64), Node::Int))
            }
            fn visit_f64<E>(self, v: f64) -> Result<Node, E> {
                Ok(Node::Float(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Node, E> {
                Ok(Node::Str(v.to_string()))
            }
            fn visit_string<E>(self, v: String) -> Result<Node, E> {
                Ok(Node::Str(v))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element::<Spanned<Node>>()? {
                    items.push(item);
                }
                Ok(Node::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Spanned<Node>>()? {
                    let value = map.next_value::<Spanned<Node>>()?;
                    entries.push((key, value));
                }
                Ok(Node::Map(entries))
            }
        }
        deserializer.deserialize_any(NodeVisitor)
    }
}

type SNode = Spanned<Node>;

fn kind(node: &Node) -> &'static str {
    match node {
        Node::Null => "nothing",
        Node::Bool(_) => "a boolean",
        Node::Int(_) => "a number",
        Node::Float(_) => "a number",
        Node::Str(_) => "a string",
        Node::Seq(_) => "a list",
        Node::Map(_) => "a mapping",
    }
}

/// Walks the node tree, converting values and collecting problems.
struct Checker<'a> {
    problems: Vec<Problem>,
    dir: &'a Path,
}

/// The fields of one YAML mapping, checked against the keys a section allows.
struct Fields<'n> {
    entries: Vec<(&'n str, &'n SNode)>,
}

impl<'n> Fields<'n> {
    fn get(&self, key: &str) -> Option<&'n SNode> {
        self.entries
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| *v)
            .filter(|v| !matches!(v.value, Node::Null))
    }
}

impl<'a> Checker<'a> {
    fn problem(&mut self, at: &SNode, message: impl Into<String>) {
        self.problems.push(Problem {
            line: at.referenced.line().max(1),
            column: at.referenced.column().max(1),
            message: message.into(),
        });
    }

    /// Reads a mapping, reporting unknown and repeated keys.
    fn fields<'n>(&mut self, node: &'n SNode, section: &str, allowed: &[&str]) -> Fields<'n> {
        let mut entries = Vec::new();
        let Node::Map(map) = &node.value else {
            if !matches!(node.value, Node::Null) {
                self.problem(
                    node,
                    format!(
                        "{section} must be a mapping of keys, found {}",
                        kind(&node.value)
                    ),
                );
            }
            return Fields { entries };
        };
        for (key, value) in map {
            let Node::Str(name) = &key.value else {
                self.problem(
                    key,
                    format!("{section}: keys must be words, found {}", kind(&key.value)),
                );
                continue;
            };
            if !allowed.contains(&name.as_str()) {
                let hint = closest(name, allowed)
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                self.problem(
                    key,
                    format!(
                        "unknown key `{name}` in {section}{hint}; allowed keys: {}",
                        allowed.join(", ")
                    ),
                );
                continue;
            }
            if entries.iter().any(|(k, _)| k == name) {
                self.problem(
                    key,
                    format!("key `{name}` appears twice in {section}; keep one"),
                );
                continue;
            }
            entries.push((name.as_str(), value));
        }
        Fields { entries }
    }

    fn string(&mut self, node: &SNode, what: &str) -> Option<String> {
        match &node.value {
            Node::Str(s) if !s.trim().is_empty() => Some(s.clone()),
            Node::Str(_) => {
                self.problem(node, format!("{what} must not be empty"));
                None
            }
            Node::Int(i) => Some(i.to_string()),
            Node::Float(f) => Some(f.to_string()),
            other => {
                self.problem(
                    node,
                    format!("{what} must be a string, found {}", kind(other)),
                );
                None
            }
        }
    }

    fn bool(&mut self, node: &SNode, what: &str) -> Option<bool> {
        match &node.value {
            Node::Bool(b) => Some(*b),
            other => {
                self.problem(
                    node,
                    format!("{what} must be true or false, found {}", kind(other)),
                );
                None
            }
        }
    }

    fn count(&mut self, node: &SNode, what: &str, min: i64, max: i64) -> Option<usize> {
        match &node.value {
            Node::Int(n) if (min..=max).contains(n) => usize::try_from(*n).ok(),
            Node::Int(n) => {
                self.problem(
                    node,
                    format!("{what} must be between {min} and {max}, found {n}"),
                );
                None
            }
            other => {
                self.problem(
                    node,
                    format!("{what} must be a whole number, found {}", kind(other)),
                );
                None
            }
        }
    }

    fn duration(&mut self, node: &SNode, what: &str) -> Option<Duration> {
        let text = match &node.value {
            Node::Str(s) => s.clone(),
            Node::Int(n) => n.to_string(),
            other => {
                self.problem(
                    node,
                    format!(
                        "{what} must be a duration like 30s, 10m, 2h or 30d, found {}",
                        kind(other)
                    ),
                );
                return None;
            }
        };
        match parse_duration(&text) {
            Ok(d) if d.is_zero() => {
                self.problem(node, format!("{what} must be longer than zero"));
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.problem(node, format!("{what}: {e}"));
                None
            }
        }
    }

    fn size(&mut self, node: &SNode, what: &str) -> Option<u64> {
        let text = match &node.value {
            Node::Str(s) => s.clone(),
            Node::Int(n) => n.to_string(),
            other => {
                self.problem(
                    node,
                    format!("{what} must be a size like 10MiB, found {}", kind(other)),
                );
                return None;
            }
        };
        match parse_size(&text) {
            Ok(0) => {
                self.problem(node, format!("{what} must be larger than zero"));
                None
            }
            Ok(n) => Some(n),
            Err(e) => {
                self.problem(node, format!("{what}: {e}"));
                None
            }
        }
    }

    fn string_list(&mut self, node: &SNode, what: &str) -> Vec<Spanned<String>> {
        let items: Vec<&SNode> = match &node.value {
            Node::Seq(items) => items.iter().collect(),
            Node::Str(_) => vec![node],
            Node::Null => vec![],
            other => {
                self.problem(
                    node,
                    format!("{what} must be a list like [a, b], found {}", kind(other)),
                );
                return vec![];
            }
        };
        items
            .into_iter()
            .filter_map(|item| {
                self.string(item, what).map(|value| Spanned {
                    value,
                    referenced: item.referenced,
                    defined: item.defined,
                })
            })
            .collect()
    }

    fn id(&mut self, node: &SNode, what: &str) -> Option<String> {
        let id = self.string(node, what)?;
        if is_safe_id(&id) {
            Some(id)
        } else {
            self.problem(
                node,
                format!(
                    "{what} `{id}` must use only a-z, 0-9, `-` and `_` (it names files and URLs), e.g. `{}`",
                    suggest_id(&id)
                ),
            );
            None
        }
    }

    fn url(&mut self, node: &SNode, what: &str) -> Option<Url> {
        let text = self.string(node, what)?;
        match Url::parse(&text) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host().is_some() => {
                Some(url)
            }
            Ok(url) => {
                self.problem(
                    node,
                    format!(
                        "{what} `{text}` must be an http:// or https:// URL, not {}:",
                        url.scheme()
                    ),
                );
                None
            }
            Err(e) => {
                self.problem(node, format!("{what} `{text}` is not a valid URL ({e}); write it like https://host.example/path"));
                None
            }
        }
    }

    fn path(&self, text: &str) -> PathBuf {
        let p = Path::new(text);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }

    fn config(&mut self, root: &SNode, path: &Path) -> Option<Config> {
        if matches!(root.value, Node::Null) {
            self.problem(
                root,
                "the file is empty; see the shipped config.yaml for every key",
            );
            return None;
        }
        let top = self.fields(
            root,
            "the top level",
            &[
                "store",
                "feeds_dir",
                "base_url",
                "lang",
                "poll",
                "retention",
                "dedup",
                "teasers",
                "serve",
                "websub",
                "site",
                "strip_tracking",
                "sources",
                "feeds",
            ],
        );
        let store = top
            .get("store")
            .and_then(|n| self.string(n, "store"))
            .unwrap_or_else(|| "store".into());
        let feeds_dir = top
            .get("feeds_dir")
            .and_then(|n| self.string(n, "feeds_dir"))
            .unwrap_or_else(|| "feeds".into());
        let base_url = match top.get("base_url") {
            Some(n) => self.url(n, "base_url").map(|mut u| {
                if !u.path().ends_with('/') {
                    let p = format!("{}/", u.path());
                    u.set_path(&p);
                }
                u
            }),
            None => {
                self.problem(root, "missing key `base_url`: the public URL of feeds_dir, e.g. base_url: http://localhost:8080/");
                None
            }
        };
        let lang = top.get("lang").and_then(|n| self.string(n, "lang"));
        let poll = self.poll(top.get("poll"));
        let retention = self.retention(top.get("retention"));
        let dedup = self.dedup(top.get("dedup"));
        let teasers = self.teasers(top.get("teasers"));
        let serve = top.get("serve").and_then(|n| {
            let text = self.string(n, "serve")?;
            match text.parse::<SocketAddr>() {
                Ok(a) => Some(a),
                Err(_) => {
                    self.problem(
                        n,
                        format!("serve `{text}` must be an address and port like 127.0.0.1:8080"),
                    );
                    None
                }
            }
        });
        let websub_hubs = match top.get("websub") {
            Some(n) => {
                let f = self.fields(n, "websub", &["hubs"]);
                match f.get("hubs") {
                    Some(h) => {
                        let list = match &h.value {
                            Node::Seq(items) => items.clone(),
                            _ => {
                                self.problem(h, "websub.hubs must be a list of URLs");
                                vec![]
                            }
                        };
                        list.iter()
                            .filter_map(|u| self.url(u, "websub hub"))
                            .collect()
                    }
                    None => vec![],
                }
            }
            None => vec![],
        };
        let site = self.site(top.get("site"));
        let strip_tracking = top
            .get("strip_tracking")
            .and_then(|n| self.bool(n, "strip_tracking"))
            .unwrap_or(true);
        let sources = self.sources(top.get("sources"), root);
        let source_ids: Vec<String> = sources.iter().map(|s| s.id.clone()).collect();
        let feeds = self.feeds(top.get("feeds"), root, &source_ids);
        Some(Config {
            path: path.to_path_buf(),
            store: self.path(&store),
            feeds_dir: self.path(&feeds_dir),
            base_url: base_url?,
            lang,
            poll: poll?,
            retention: retention?,
            dedup: dedup?,
            teasers,
            serve,
            websub_hubs,
            site,
            strip_tracking,
            sources,
            feeds,
        })
    }

    fn site(&mut self, node: Option<&SNode>) -> SiteConfig {
        let mut site = SiteConfig {
            name: "wirefeed".into(),
            author: String::new(),
            strings: Vec::new(),
        };
        if let Some(node) = node {
            let f = self.fields(node, "site", &["name", "author", "strings"]);
            if let Some(v) = f.get("name").and_then(|n| self.string(n, "site.name")) {
                site.name = v.trim().to_string();
            }
            if let Some(v) = f.get("author").and_then(|n| self.string(n, "site.author")) {
                site.author = v.trim().to_string();
            }
            if let Some(n) = f.get("strings") {
                let keys = crate::publish::PAGE_STRING_KEYS;
                let s = self.fields(n, "site.strings", keys);
                for (key, value) in s.entries {
                    if let Some(v) = self.string(value, &format!("site.strings.{key}")) {
                        site.strings.push((key.to_string(), v));
                    }
                }
            }
        }
        if site.author.is_empty() {
            site.author = site.name.clone();
        }
        site
    }

    fn poll(&mut self, node: Option<&SNode>) -> Option<PollConfig> {
        let mut poll = PollConfig {
            interval: Duration::from_secs(600),
            timeout: Duration::from_secs(30),
            concurrency: 8,
            per_host: 2,
            user_agent: format!("wirefeed/{}", env!("CARGO_PKG_VERSION")),
            max_body: 10 * 1024 * 1024,
            max_interval: Duration::from_secs(6 * 3600),
            max_backoff: Duration::from_secs(3600),
            allow_private_addresses: false,
        };
        let Some(node) = node else { return Some(poll) };
        let f = self.fields(
            node,
            "poll",
            &[
                "interval",
                "timeout",
                "concurrency",
                "per_host",
                "user_agent",
                "max_body",
                "max_interval",
                "max_backoff",
                "allow_private_addresses",
            ],
        );
        let before = self.problems.len();
        if let Some(v) = f
            .get("interval")
            .and_then(|n| self.duration(n, "poll.interval"))
        {
            poll.interval = v;
        }
        if let Some(v) = f
            .get("timeout")
            .and_then(|n| self.duration(n, "poll.timeout"))
        {
            poll.timeout = v;
        }
        if let Some(v) = f
            .get("concurrency")
            .and_then(|n| self.count(n, "poll.concurrency", 1, 1024))
        {
            poll.concurrency = v;
        }
        if let Some(v) = f
            .get("per_host")
            .and_then(|n| self.count(n, "poll.per_host", 1, 1024))
        {
            poll.per_host = v;
        }
        if let Some(v) = f
            .get("user_agent")
            .and_then(|n| self.string(n, "poll.user_agent"))
        {
            poll.user_agent = v;
        }
        if let Some(v) = f
            .get("max_body")
            .and_then(|n| self.size(n, "poll.max_body"))
        {
            poll.max_body = v;
        }
        if let Some(v) = f
            .get("max_interval")
            .and_then(|n| self.duration(n, "poll.max_interval"))
        {
            poll.max_interval = v;
        }
        if let Some(v) = f
            .get("max_backoff")
            .and_then(|n| self.duration(n, "poll.max_backoff"))
        {
            poll.max_backoff = v;
        }
        if let Some(v) = f
            .get("allow_private_addresses")
            .and_then(|n| self.bool(n, "poll.allow_private_addresses"))
        {
            poll.allow_private_addresses = v;
        }
        (self.problems.len() == before).then_some(poll)
    }

    fn retention(&mut self, node: Option<&SNode>) -> Option<RetentionConfig> {
        let mut r = RetentionConfig {
            max_age: Duration::from_secs(30 * 86400),
        };
        let Some(node) = node else { return Some(r) };
        let f = self.fields(node, "retention", &["max_age"]);
        if let Some(n) = f.get("max_age") {
            r.max_age = self.duration(n, "retention.max_age")?;
        }
        Some(r)
    }

    fn dedup(&mut self, node: Option<&SNode>) -> Option<DedupConfig> {
        let mut d = DedupConfig {
            near_duplicate_threshold: None,
            clock_skew: Duration::from_secs(300),
        };
        let Some(node) = node else { return Some(d) };
        let f = self.fields(node, "dedup", &["near_duplicate_threshold", "clock_skew"]);
        if let Some(n) = f.get("near_duplicate_threshold") {
            match n.value {
                Node::Float(x) if (0.0..=1.0).contains(&x) => d.near_duplicate_threshold = Some(x),
                Node::Int(x) if (0..=1).contains(&x) => d.near_duplicate_threshold = Some(x as f64),
                _ => {
                    self.problem(
                        n,
                        "dedup.near_duplicate_threshold must be a number between 0 and 1, e.g. 0.7",
                    );
                    return None;
                }
            }
        }
        if let Some(n) = f.get("clock_skew") {
            d.clock_skew = self.duration(n, "dedup.clock_skew")?;
        }
        Some(d)
    }

    fn teasers(&mut self, node: Option<&SNode>) -> TeaserConfig {
        let default = TeaserConfig {
            labels: DEFAULT_TEASER_LABELS
                .iter()
                .map(|s| s.to_string())
                .collect(),
        };
        let Some(node) = node else { return default };
        let f = self.fields(node, "teasers", &["labels"]);
        match f.get("labels") {
            Some(n) => {
                let labels: Vec<String> = self
                    .string_list(n, "teasers.labels")
                    .into_iter()
                    .map(|s| s.value)
                    .collect();
                if labels.is_empty() {
                    default
                } else {
                    TeaserConfig { labels }
                }
            }
            None => default,
        }
    }

    fn sources(&mut self, node: Option<&SNode>, root: &SNode) -> Vec<SourceConfig> {
        let Some(node) = node else {
            self.problem(
                root,
                "missing key `sources`: list at least one source (id and url)",
            );
            return vec![];
        };
        let Node::Seq(items) = &node.value else {
            self.problem(
                node,
                format!(
                    "sources must be a list of sources (`- id: …`), found {}",
                    kind(&node.value)
                ),
            );
            return vec![];
        };
        if items.is_empty() {
            self.problem(
                node,
                "sources is empty: list at least one source (id and url)",
            );
        }
        let mut seen: HashSet<String> = HashSet::new();
        let mut out = Vec::new();
        for item in items {
            let f = self.fields(
                item,
                "a source",
                &[
                    "id",
                    "url",
                    "interval",
                    "tags",
                    "follow_links",
                    "follow_links_max",
                    "selectors",
                ],
            );
            let before = self.problems.len();
            let id = match f.get("id") {
                Some(n) => {
                    let id = self.id(n, "source id");
                    if let Some(id) = &id {
                        if !seen.insert(id.clone()) {
                            self.problem(
                                n,
                                format!(
                                    "source id `{id}` is used twice; source ids must be unique"
                                ),
                            );
                        }
                    }
                    id
                }
                None => {
                    self.problem(item, "this source has no `id`; add e.g. `id: afp-politik`");
                    None
                }
            };
            let location = match f.get("url") {
                Some(n) => self.location(n),
                None => {
                    self.problem(item, "this source has no `url`; give an http(s) URL or a local file or folder path");
                    None
                }
            };
            let interval = f
                .get("interval")
                .and_then(|n| self.duration(n, "source interval"));
            let tags = f
                .get("tags")
                .map(|n| {
                    self.string_list(n, "source tags")
                        .into_iter()
                        .map(|s| s.value)
                        .collect()
                })
                .unwrap_or_default();
            let follow_links = f
                .get("follow_links")
                .and_then(|n| self.bool(n, "follow_links"))
                .unwrap_or(false);
            let follow_links_max = f
                .get("follow_links_max")
                .and_then(|n| self.count(n, "follow_links_max", 0, 100_000))
                .unwrap_or(50);
            let selectors = f
                .get("selectors")
                .map(|n| self.selectors(n))
                .unwrap_or_default();
            if self.problems.len() == before {
                if let (Some(id), Some(location)) = (id, location) {
                    out.push(SourceConfig {
                        id,
                        location,
                        interval,
                        tags,
                        follow_links,
                        follow_links_max,
                        selectors,
                    });
                }
            }
        }
        out
    }

    fn location(&mut self, node: &SNode) -> Option<SourceLocation> {
        let text = self.string(node, "url")?;
        if text.starts_with("http://") || text.starts_with("https://") {
            return self.url(node, "url").map(SourceLocation::Http);
        }
        if let Some(rest) = text.strip_prefix("file://") {
            return Some(SourceLocation::Path(self.path(rest)));
        }
        if text.contains("://") {
            self.problem(
                node,
                format!("url `{text}` must be http://, https://, or a local file or folder path"),
            );
            return None;
        }
        Some(SourceLocation::Path(self.path(&text)))
    }

    fn selectors(&mut self, node: &SNode) -> Selectors {
        let f = self.fields(node, "selectors", &["items", "body", "teasers", "byline"]);
        let mut get = |key: &str| {
            let n = f.get(key)?;
            let sel = self.string(n, &format!("selectors.{key}"))?;
            let parsed = scraper::Selector::parse(&sel)
                .map(|_| ())
                .map_err(|e| e.to_string());
            match parsed {
                Ok(()) => Some(sel),
                Err(e) => {
                    self.problem(
                        n,
                        format!("selectors.{key} `{sel}` is not a valid CSS selector: {e}"),
                    );
                    None
                }
            }
        };
        Selectors {
            items: get("items"),
            body: get("body"),
            teasers: get("teasers"),
            byline: get("byline"),
        }
    }

    fn feeds(
        &mut self,
        node: Option<&SNode>,
        root: &SNode,
        source_ids: &[String],
    ) -> Vec<FeedConfig> {
        let Some(node) = node else {
            self.problem(
                root,
                "missing key `feeds`: list at least one output feed (id, title)",
            );
            return vec![];
        };
        let Node::Seq(items) = &node.value else {
            self.problem(
                node,
                format!(
                    "feeds must be a list of output feeds (`- id: …`), found {}",
                    kind(&node.value)
                ),
            );
            return vec![];
        };
        let mut seen: HashSet<String> = HashSet::new();
        let mut out = Vec::new();
        for item in items {
            let f = self.fields(
                item,
                "a feed",
                &[
                    "id",
                    "title",
                    "description",
                    "from",
                    "sources",
                    "tags",
                    "include",
                    "exclude",
                    "max_age",
                    "limit",
                    "lang",
                ],
            );
            let before = self.problems.len();
            let id = match f.get("id") {
                Some(n) => {
                    let id = self.id(n, "feed id");
                    if let Some(id) = &id {
                        if id == "index" || id == "feed" {
                            self.problem(n, format!("feed id `{id}` is reserved (index.opml, feed.xsl); choose another"));
                        } else if !seen.insert(id.clone()) {
                            self.problem(
                                n,
                                format!("feed id `{id}` is used twice; feed ids must be unique"),
                            );
                        }
                    }
                    id
                }
                None => {
                    self.problem(item, "this feed has no `id`; add e.g. `id: politik`");
                    None
                }
            };
            let title = match f.get("title") {
                Some(n) => self.string(n, "feed title"),
                None => id.clone(),
            };
            let description = f
                .get("description")
                .and_then(|n| self.string(n, "feed description"))
                .or_else(|| title.clone())
                .unwrap_or_default();
            let from = match f.get("from") {
                Some(n) => match self.string(n, "from").as_deref() {
                    Some("items") => FeedFrom::Items,
                    Some("teasers") => FeedFrom::Teasers,
                    Some(other) => {
                        self.problem(
                            n,
                            format!("from `{other}` must be `items` (the default) or `teasers`"),
                        );
                        FeedFrom::Items
                    }
                    None => FeedFrom::Items,
                },
                None => FeedFrom::Items,
            };
            let sources = f.get("sources").map(|n| {
                let list = self.string_list(n, "feed sources");
                for s in &list {
                    if !source_ids.contains(&s.value) {
                        self.problems.push(Problem {
                            line: s.referenced.line(),
                            column: s.referenced.column(),
                            message: format!(
                                "feed names source `{}`, which is not defined under `sources` (defined: {})",
                                s.value,
                                source_ids.join(", ")
                            ),
                        });
                    }
                }
                list.into_iter().map(|s| s.value).collect()
            });
            let tags = f
                .get("tags")
                .map(|n| {
                    self.string_list(n, "feed tags")
                        .into_iter()
                        .map(|s| s.value)
                        .collect()
                })
                .unwrap_or_default();
            let include = f
                .get("include")
                .map(|n| self.matchers(n, "include"))
                .unwrap_or_default();
            let exclude = f
                .get("exclude")
                .map(|n| self.matchers(n, "exclude"))
                .unwrap_or_default();
            let max_age = f
                .get("max_age")
                .and_then(|n| self.duration(n, "feed max_age"));
            let limit = f
                .get("limit")
                .and_then(|n| self.count(n, "feed limit", 1, 100_000))
                .unwrap_or(50);
            let lang = f.get("lang").and_then(|n| self.string(n, "feed lang"));
            if self.problems.len() == before {
                if let (Some(id), Some(title)) = (id, title) {
                    out.push(FeedConfig {
                        id,
                        title,
                        description,
                        from,
                        sources,
                        tags,
                        include,
                        exclude,
                        max_age,
                        limit,
                        lang,
                    });
                }
            }
        }
        out
    }

    fn matchers(&mut self, node: &SNode, what: &str) -> Vec<Matcher> {
        let list = self.string_list(node, what);
        let mut out = Vec::new();
        for s in list {
            match compile_matcher(&s.value) {
                Ok(m) => out.push(m),
                Err(e) => self.problems.push(Problem {
                    line: s.referenced.line(),
                    column: s.referenced.column(),
                    message: format!("{what} pattern `{}`: {e}", s.value),
                }),
            }
        }
        out
    }
}

/// `Ukraine` matches the whole word, case-insensitively; `/Nord-?korea/i` is a regex with flags.
pub fn compile_matcher(pattern: &str) -> Result<Matcher, String> {
    let source = if let Some(body) = pattern.strip_prefix('/') {
        let Some(end) = body.rfind('/') else {
            return Err("a regex must end with `/` and optional flags, like /Nord-?korea/i".into());
        };
        let (re, flags) = (&body[..end], &body[end + 1..]);
        if let Some(bad) = flags.chars().find(|c| !"imsxU".contains(*c)) {
            return Err(format!(
                "unknown regex flag `{bad}`; allowed: i, m, s, x, U"
            ));
        }
        if flags.is_empty() {
            re.to_string()
        } else {
            format!("(?{flags}){re}")
        }
    } else {
        format!(r"(?i)\b{}\b", regex::escape(pattern.trim()))
    };
    let regex = regex::RegexBuilder::new(&source)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| format!("not a valid regex: {}", first_line(&e.to_string())))?;
    Ok(Matcher {
        pattern: pattern.to_string(),
        regex,
    })
}

/// `30s`, `10m`, `2h`, `30d`, `1w`, combinations like `1h30m`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let bad = || format!("`{text}` is not a duration; write e.g. 30s, 10m, 2h, 30d or 1h30m");
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let mut unit = String::from(c);
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let n: u64 = number.parse().map_err(|_| bad())?;
        number.clear();
        let factor = match unit.as_str() {
            "ms" => {
                total = total.checked_add(n / 1000).ok_or_else(bad)?;
                continue;
            }
            "s" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86400,
            "w" => 7 * 86400,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if !number.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// `10MiB`, `512KiB`, `1GB`, `2048` (bytes).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let bad = || format!("`{text}` is not a size; write e.g. 512KiB, 10MiB or 1GiB");
    let n: u64 = num.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1024,
        "m" | "mb" => 1000 * 1000,
        "mib" => 1024 * 1024,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => 1024 * 1024 * 1024,
        _ => return Err(bad()),
    };
    n.checked_mul(factor).ok_or_else(bad)
}

/// Ids name files and URL paths: `[a-z0-9_-]+`.
pub fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

fn suggest_id(id: &str) -> String {
    let s: String = id
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let s = s.trim_matches('-').to_string();
    if s.is_empty() {
        "my-feed".into()
    } else {
        s
    }
}

/// The allowed key nearest to a misspelt one, when it is close enough to be a typo.
fn closest<'k>(name: &str, allowed: &[&'k str]) -> Option<&'k str> {
    allowed
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(yaml: &str) -> Result<Config, Vec<Problem>> {
        Config::from_yaml(
            yaml,
            Path::new("/etc/wirefeed/config.yaml"),
            Path::new("/etc/wirefeed"),
        )
    }

    const MINIMAL: &str = "base_url: http://localhost:8080/\nsources:\n  - id: afp\n    url: spool/afp\nfeeds:\n  - id: alle\n    title: Alle\n";

    #[test]
    fn minimal_config_gets_defaults_and_resolves_paths() {
        let c = load(MINIMAL).expect("valid");
        assert_eq!(c.store, PathBuf::from("/etc/wirefeed/store"));
        assert_eq!(c.feeds_dir, PathBuf::from("/etc/wirefeed/feeds"));
        assert_eq!(
            c.sources[0].location,
            SourceLocation::Path("/etc/wirefeed/spool/afp".into())
        );
        assert_eq!(c.poll.interval, Duration::from_secs(600));
        assert_eq!(c.feeds[0].limit, 50);
        assert_eq!(c.teasers.labels[0], "Empfohlen");
    }

    #[test]
    fn every_problem_is_reported_with_line_and_column() {
        let yaml = "base_url: http://localhost:8080/\npoll:\n  intervall: 5m\n  timeout: soon\nsources:\n  - id: AFP Politik\n    url: ftp://x\n  - id: dpa\n    url: https://dpa.example/feed\n  - id: dpa\n    url: https://dpa.example/2\nfeeds:\n  - id: alle\n    sources: [dpa, reuters]\n    include: [\"/([/\"]\n";
        let problems = load(yaml).unwrap_err();
        let found: Vec<(u64, u64, &str)> = problems
            .iter()
            .map(|p| (p.line, p.column, p.message.as_str()))
            .collect();
        assert!(
            found.iter().any(|(l, c, m)| *l == 3
                && *c == 3
                && m.contains("unknown key `intervall`")
                && m.contains("did you mean `interval`")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(l, _, m)| *l == 4 && m.contains("not a duration")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(l, c, m)| *l == 6 && *c == 9 && m.contains("a-z, 0-9")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(l, _, m)| *l == 7 && m.contains("http://, https://")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(l, _, m)| *l == 10 && m.contains("used twice")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(l, _, m)| *l == 14 && m.contains("`reuters`")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(l, _, m)| *l == 15 && m.contains("not a valid regex")),
            "{found:?}"
        );
    }

    #[test]
    fn yaml_syntax_error_has_position() {
        let problems = load("base_url: [unclosed\nsources: x\n").unwrap_err();
        assert_eq!(problems.len(), 1);
        assert!(
            problems[0].message.starts_with("not valid YAML"),
            "{problems:?}"
        );
        assert!(problems[0].line >= 1);
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_duration("30s"), Ok(Duration::from_secs(30)));
        assert_eq!(parse_duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("30d"), Ok(Duration::from_secs(30 * 86400)));
        assert!(parse_duration("5 Minuten").is_err());
        assert!(parse_duration("10").is_ok());
        assert_eq!(parse_size("10MiB"), Ok(10 * 1024 * 1024));
        assert!(parse_size("zehn").is_err());
    }

    #[test]
    fn matchers_words_and_regexes() {
        let m = compile_matcher("Ukraine").unwrap();
        assert!(m.is_match("Hilfe für die ukraine beschlossen"));
        assert!(!m.is_match("Ukrainekrieg"));
        let r = compile_matcher("/Nord-?korea/i").unwrap();
        assert!(r.is_match("nordkorea testet Rakete"));
        assert!(r.is_match("Nord-Korea"));
        assert!(compile_matcher("/x/q").is_err());
    }
}
