//! The `sources` list: each source's id, where its deliveries come from (http(s) URL, file
//! or spool folder), interval, tags, `follow_links` and CSS selectors.

use super::model::{Selectors, SourceConfig, SourceLocation, TeaserConfig};
use super::yaml::{kind, Checker, Node, SNode};
use crate::model::{SourceId, SourceKind};
use crate::parse::article::ExtractRules;
use crate::parse::html::CssSelector;
use std::collections::HashSet;

impl Checker<'_> {
    pub(super) fn sources(
        &mut self,
        node: Option<&SNode>,
        root: &SNode,
        teasers: &TeaserConfig,
        default_timezone: chrono_tz::Tz,
    ) -> Vec<SourceConfig> {
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
            let mut f = self.fields(item, "a source");
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
            let interval = self.read(&mut f, "interval", |c, n| c.duration(n, "source interval"));
            let kind = self.read(&mut f, "kind", |c, n| {
                if matches!(location, Some(SourceLocation::Path(_))) {
                    // A file or spool folder is always read as feeds and agency deliveries;
                    // a `kind` there would be ignored, so it is refused.
                    c.problem(
                        n,
                        "`kind` applies to http(s) sources only; a local file or spool folder is always read as feeds and agency deliveries: remove `kind` from this source",
                    );
                    return None;
                }
                match c.string(n, "source kind")?.as_str() {
                    "feed" => Some(SourceKind::Feed),
                    "page" => Some(SourceKind::Page),
                    other => {
                        c.problem(
                            n,
                            format!("source kind `{other}` must be `feed` (RSS, Atom, JSON Feed, agency formats) or `page` (an HTML section or article page)"),
                        );
                        None
                    }
                }
            });
            let tags = self
                .read(&mut f, "tags", |c, n| Some(c.string_list(n, "source tags")))
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.value)
                .collect();
            let follow_links = self
                .read(&mut f, "follow_links", |c, n| c.bool(n, "follow_links"))
                .unwrap_or(false);
            let follow_links_max = self
                .read(&mut f, "follow_links_max", |c, n| {
                    c.count(n, "follow_links_max", 0, 100_000)
                })
                .unwrap_or(50);
            let selectors = self
                .read(&mut f, "selectors", |c, n| Some(c.selectors(n)))
                .unwrap_or_default();
            let timezone = self
                .read(&mut f, "timezone", |c, n| c.timezone(n, "source timezone"))
                .unwrap_or(default_timezone);
            if self.problems.len() == before {
                if let (Some(id), Some(location)) = (id, location) {
                    let rules = ExtractRules {
                        body: selectors.body.clone(),
                        teasers: selectors.teasers.clone(),
                        byline: selectors.byline.clone(),
                        teaser_labels: teasers.labels.clone(),
                        timezone,
                    };
                    out.push(SourceConfig {
                        id: SourceId::new(id),
                        location,
                        kind,
                        interval,
                        tags,
                        follow_links,
                        follow_links_max,
                        selectors,
                        rules,
                    });
                }
            }
            self.finish(f);
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

    /// An IANA zone name (`Europe/Berlin`, `UTC`).
    pub(super) fn timezone(&mut self, node: &SNode, what: &str) -> Option<chrono_tz::Tz> {
        let name = self.string(node, what)?;
        match name.trim().parse::<chrono_tz::Tz>() {
            Ok(tz) => Some(tz),
            Err(_) => {
                self.problem(
                    node,
                    format!("{what} `{name}` is not a time zone name; use an IANA name like `Europe/Berlin` or `UTC`"),
                );
                None
            }
        }
    }

    fn selectors(&mut self, node: &SNode) -> Selectors {
        let mut f = self.fields(node, "selectors");
        let mut selector = |c: &mut Self, key: &'static str| {
            c.read(&mut f, key, |c, n| {
                let sel = c.string(n, &format!("selectors.{key}"))?;
                let parsed = scraper::Selector::parse(&sel)
                    .map(|_| ())
                    .map_err(|e| e.to_string());
                match parsed {
                    Ok(()) => CssSelector::parse(&sel).ok(),
                    Err(e) => {
                        c.problem(
                            n,
                            format!("selectors.{key} `{sel}` is not a valid CSS selector: {e}"),
                        );
                        None
                    }
                }
            })
        };
        let selectors = Selectors {
            items: selector(self, "items"),
            body: selector(self, "body"),
            teasers: selector(self, "teasers"),
            byline: selector(self, "byline"),
        };
        self.finish(f);
        selectors
    }
}
