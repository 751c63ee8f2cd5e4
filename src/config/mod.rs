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
pub use self::values::{
    is_safe_id, parse_duration, parse_size, MAX_DURATION, MAX_ID_LEN, MAX_SIZE,
};
/// The teaser section labels used when config.yaml names none.
pub use crate::parse::article::DEFAULT_TEASER_LABELS;

use self::values::{first_line, position_of};
use self::yaml::{Checker, Node, SNode};
use serde_saphyr::Spanned;
use std::path::{Path, PathBuf};

impl Config {
    /// Reads and validates the config file at `path`.
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let shown = path.display().to_string();
        let bytes = std::fs::read(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let text = String::from_utf8(bytes).map_err(|e| {
            let at = e.utf8_error().valid_up_to();
            let (line, column) = position_of(e.as_bytes(), at);
            ConfigError::Invalid {
                path: shown.clone(),
                problems: vec![Problem {
                    line,
                    column,
                    message: format!(
                        "byte 0x{:02x} is not UTF-8; save the file as UTF-8",
                        e.as_bytes()[at]
                    ),
                }],
            }
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
        // YAML 1.2 booleans only: `id: n` or `country: no` are the strings written.
        let options = serde_saphyr::options! { strict_booleans: true };
        let root: Spanned<Node> = match serde_saphyr::from_str_with_options(text, options) {
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
        let timezone = self
            .read(&mut top, "timezone", |c, n| c.timezone(n, "timezone"))
            .unwrap_or(chrono_tz::UTC);
        let sources = self.sources(top.get("sources"), root, &teasers, timezone);
        let source_ids: Vec<String> = sources.iter().map(|s| s.id.to_string()).collect();
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
            timezone,
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
    fn timezone_global_and_per_source_and_feed_order() {
        let c = load(MINIMAL).expect("valid");
        assert_eq!(c.timezone, chrono_tz::UTC, "documented default");
        assert_eq!(c.feeds[0].order, FeedOrder::Newest);
        let yaml = "base_url: http://localhost:8080/\ntimezone: Europe/Berlin\nsources:\n  - id: afp\n    url: spool/afp\n  - id: ap\n    url: spool/ap\n    timezone: America/New_York\nfeeds:\n  - id: alle\n    title: Alle\n  - id: empfohlen\n    from: teasers\n";
        let c = load(yaml).expect("valid");
        assert_eq!(c.timezone, chrono_tz::Europe::Berlin);
        assert_eq!(c.sources[0].rules.timezone, chrono_tz::Europe::Berlin);
        assert_eq!(c.sources[1].rules.timezone, chrono_tz::America::New_York);
        assert_eq!(c.feeds[1].order, FeedOrder::Recommended);
        let bad = "base_url: http://localhost:8080/\ntimezone: Mitteleuropa\nsources:\n  - id: afp\n    url: spool/afp\nfeeds:\n  - id: alle\n    order: recommended\n  - id: e\n    from: teasers\n    order: beliebt\n";
        let problems = load(bad).unwrap_err();
        let found: Vec<(u64, &str)> = problems
            .iter()
            .map(|p| (p.line, p.message.as_str()))
            .collect();
        assert!(
            found
                .iter()
                .any(|(l, m)| *l == 2 && m.contains("`Mitteleuropa` is not a time zone")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(l, m)| *l == 8 && m.contains("needs `from: teasers`")),
            "{found:?}"
        );
        assert!(
            found
                .iter()
                .any(|(l, m)| *l == 11 && m.contains("`beliebt` must be")),
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
    fn problems_of(yaml: &str) -> Vec<(u64, u64, String)> {
        load(yaml)
            .unwrap_err()
            .into_iter()
            .map(|p| (p.line, p.column, p.message))
            .collect()
    }

    #[test]
    fn huge_durations_are_rejected_with_position_and_hint() {
        for value in ["18446744073709551615s", "95000000d", "36501d"] {
            let yaml = format!("base_url: http://localhost:8080/\npoll:\n  interval: {value}\nsources:\n  - id: afp\n    url: spool/afp\n    interval: {value}\nfeeds:\n  - id: alle\n    max_age: {value}\n");
            let found = problems_of(&yaml);
            for (line, column) in [(3, 13), (7, 15), (10, 14)] {
                assert!(
                    found.iter().any(|(l, c, m)| *l == line
                        && *c == column
                        && m.contains("limit of 36500d")
                        && m.contains("e.g. 10m")),
                    "{value} at {line}:{column}: {found:?}"
                );
            }
        }
        let ok = MINIMAL.replace("base_url:", "retention:\n  max_age: 36500d\nbase_url:");
        assert!(
            load(&ok).is_ok(),
            "a hundred years is allowed (old archives)"
        );
    }

    #[test]
    fn huge_sizes_are_rejected_with_position() {
        let yaml = MINIMAL.replace("base_url:", "poll:\n  max_body: 5GiB\nbase_url:");
        let found = problems_of(&yaml);
        assert!(
            found
                .iter()
                .any(|(l, c, m)| *l == 2 && *c == 13 && m.contains("limit of 4GiB")),
            "{found:?}"
        );
    }

    #[test]
    fn yaml_1_1_booleans_are_the_strings_written() {
        let yaml = "base_url: http://localhost:8080/\nsources:\n  - id: n\n    url: spool/n\n  - id: off\n    url: spool/off\nfeeds:\n  - id: y\n    title: no\n    sources: [n, off]\n";
        let c = load(yaml).expect("n, off, y and no are strings");
        let ids: Vec<&str> = c.sources.iter().map(|s| s.id.as_str()).collect();
        assert_eq!(ids, ["n", "off"]);
        assert_eq!(c.feeds[0].id, "y");
        assert_eq!(c.feeds[0].title, "no");
        // Where a boolean is expected, the YAML 1.1 spelling gets a hint.
        let yaml = MINIMAL.replace("base_url:", "strip_tracking: yes\nbase_url:");
        let found = problems_of(&yaml);
        assert!(
            found
                .iter()
                .any(|(l, _, m)| *l == 1 && m.contains("`yes`") && m.contains("write `true`")),
            "{found:?}"
        );
    }

    #[test]
    fn invalid_utf8_config_names_line_and_column_of_the_first_bad_byte() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("config.yaml");
        let mut bytes =
            b"base_url: http://localhost:8080/\nsources:\n  - id: m\xc3\xbcnchen\xff\n".to_vec();
        bytes.extend_from_slice(b"    url: spool/x\n");
        std::fs::write(&path, bytes).unwrap();
        let err = Config::load(&path).unwrap_err();
        let p = &err.problems()[0];
        assert_eq!((p.line, p.column), (3, 16), "{err}");
        assert!(
            p.message.contains("0xff") && p.message.contains("UTF-8"),
            "{err}"
        );
        assert!(err.to_string().contains("config.yaml:3:16"), "{err}");
    }

    #[test]
    fn an_id_over_64_characters_names_the_limit_and_a_shorter_id() {
        let long = "a".repeat(70);
        let yaml = MINIMAL.replace("id: afp", &format!("id: {long}"));
        let found = problems_of(&yaml);
        let (_, _, m) = found
            .iter()
            .find(|(l, _, _)| *l == 3)
            .unwrap_or_else(|| panic!("{found:?}"));
        assert!(m.contains("at most 64 characters"), "{m}");
        let suggestion = m.rsplit('`').nth(1).unwrap();
        assert!(
            is_safe_id(suggestion),
            "the suggestion is itself valid: {m}"
        );
    }
}
