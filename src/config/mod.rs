//! config.yaml: read in two stages. The YAML becomes a tree of nodes that remember their
//! line and column (`yaml`); one validation pass turns that tree into a checked [`Config`]
//! and collects every problem on the way, so an operator sees all mistakes at once as
//! `config.yaml:LINE:COLUMN: message`. Each section is checked in its own file: `serve`
//! (base_url, serve, websub), `poll` (poll, retention, dedup, teasers), `wire`, `sources`,
//! `feeds`.

mod feeds;
mod model;
mod poll;
mod serve;
mod sources;
mod values;
mod wire;
mod yaml;

pub use self::feeds::compile_matcher;
pub use self::model::*;
pub use self::values::{is_safe_id, parse_duration, parse_size};
/// The teaser section labels used when config.yaml names none.
pub use crate::parse::article::DEFAULT_TEASER_LABELS;

use self::values::first_line;
use self::yaml::{Checker, Node, SNode};
use serde_saphyr::Spanned;
use std::path::{Path, PathBuf};

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

impl Checker<'_> {
    fn config(&mut self, root: &SNode, path: &Path) -> Option<Config> {
        if matches!(root.value, Node::Null) {
            self.problem(
                root,
                "the file is empty; see the shipped config.yaml for every key",
            );
            return None;
        }
        let mut top = self.fields(root, "the top level");
        let store = self
            .read(&mut top, "store", |c, n| c.string(n, "store"))
            .unwrap_or_else(|| "store".into());
        let feeds_dir = self
            .read(&mut top, "feeds_dir", |c, n| c.string(n, "feeds_dir"))
            .unwrap_or_else(|| "feeds".into());
        let base_url = self.base_url(&mut top, root);
        let lang = self.read(&mut top, "lang", |c, n| c.string(n, "lang"));
        let poll = self.poll(top.get("poll"));
        let retention = self.retention(top.get("retention"));
        let dedup = self.dedup(top.get("dedup"));
        let teasers = self.teasers(top.get("teasers"));
        let wire = self.wire(top.get("wire"));
        let serve = self.read(&mut top, "serve", Checker::serve_address);
        let websub_hubs = self.websub(top.get("websub"));
        let site = self.site(top.get("site"));
        let strip_tracking = self
            .read(&mut top, "strip_tracking", |c, n| {
                c.bool(n, "strip_tracking")
            })
            .unwrap_or(true);
        let sources = self.sources(top.get("sources"), root, &teasers);
        let source_ids: Vec<String> = sources.iter().map(|s| s.id.clone()).collect();
        let feeds = self.feeds(top.get("feeds"), root, &source_ids);
        self.finish(top);
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
            wire,
            serve,
            websub_hubs,
            site,
            strip_tracking,
            sources,
            feeds,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

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
