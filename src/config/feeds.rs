//! The `feeds` list: each output feed's id, title, what it is built from (`items` or
//! `teasers`), its source, tag and word filters, age and length limits. Include and exclude
//! patterns are compiled here, once.

use super::model::{FeedConfig, FeedFrom, FeedOrder, Matcher, Problem};
use super::values::first_line;
use super::yaml::{kind, Checker, Node, SNode};
use crate::model::SourceId;
use std::collections::HashSet;

impl Checker<'_> {
    pub(super) fn feeds(
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
            let mut f = self.fields(item, "a feed");
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
            let description = self
                .read(&mut f, "description", |c, n| {
                    c.string(n, "feed description")
                })
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
                list.into_iter().map(|s| SourceId::new(s.value)).collect()
            });
            let tags = self
                .read(&mut f, "tags", |c, n| Some(c.string_list(n, "feed tags")))
                .unwrap_or_default()
                .into_iter()
                .map(|s| s.value)
                .collect();
            let include = self
                .read(&mut f, "include", |c, n| Some(c.matchers(n, "include")))
                .unwrap_or_default();
            let exclude = self
                .read(&mut f, "exclude", |c, n| Some(c.matchers(n, "exclude")))
                .unwrap_or_default();
            let max_age = self.read(&mut f, "max_age", |c, n| c.duration(n, "feed max_age"));
            let limit = self
                .read(&mut f, "limit", |c, n| c.count(n, "feed limit", 1, 100_000))
                .unwrap_or(50);
            let lang = self.read(&mut f, "lang", |c, n| c.string(n, "feed lang"));
            let urgency_max = self.read(&mut f, "urgency_max", |c, n| {
                c.count(n, "feed urgency_max (IPTC urgency, 1 = flash … 9)", 1, 9)
                    .map(|u| u as u8)
            });
            let order = match (f.get("order"), from) {
                (None, FeedFrom::Items) => FeedOrder::Newest,
                (None, FeedFrom::Teasers) => FeedOrder::Recommended,
                (Some(n), _) => match (self.string(n, "order").as_deref(), from) {
                    (Some("newest"), _) => FeedOrder::Newest,
                    (Some("recommended"), FeedFrom::Teasers) => FeedOrder::Recommended,
                    (Some("recommended"), FeedFrom::Items) => {
                        self.problem(
                            n,
                            "order `recommended` needs `from: teasers` (a feed of items is newest first)",
                        );
                        FeedOrder::Newest
                    }
                    (Some(other), _) => {
                        self.problem(
                            n,
                            format!("order `{other}` must be `recommended` (the default of `from: teasers`) or `newest`"),
                        );
                        FeedOrder::Newest
                    }
                    (None, _) => FeedOrder::Newest,
                },
            };
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
                        urgency_max,
                        order,
                    });
                }
            }
            self.finish(f);
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
