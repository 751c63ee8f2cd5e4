//! Reading YAML with positions: the node tree that remembers each value's line and
//! column, and the `Checker` primitives (a mapping's fields, strings, numbers, durations,
//! sizes, lists, ids, URLs) that report every problem with its position.

use super::model::Problem;
use super::values::{
    closest, is_safe_id, parse_duration, parse_size, suggest_id, MAX_DURATION, MAX_ID_LEN, MAX_SIZE,
};
use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;
use url::Url;

/// A YAML value that remembers where it stood.
#[derive(Debug, Clone)]
pub(super) enum Node {
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

pub(super) type SNode = Spanned<Node>;

pub(super) fn kind(node: &Node) -> &'static str {
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
pub(super) struct Checker<'a> {
    pub problems: Vec<Problem>,
    pub dir: &'a Path,
}

/// The fields of one YAML mapping. Each key is named once, where it is read
/// ([`Fields::get`]); [`Checker::finish`] then reports the keys nobody asked for.
#[must_use = "call Checker::finish to report unknown keys"]
pub(super) struct Fields<'n> {
    section: String,
    entries: Vec<(&'n SNode, &'n str, &'n SNode)>,
    asked: Vec<&'static str>,
}

impl<'n> Fields<'n> {
    /// The value of `key`, if given and not null; `key` becomes an allowed key.
    pub fn get(&mut self, key: &'static str) -> Option<&'n SNode> {
        if !self.asked.contains(&key) {
            self.asked.push(key);
        }
        self.entries
            .iter()
            .find(|(_, k, _)| *k == key)
            .map(|(_, _, v)| *v)
            .filter(|v| !matches!(v.value, Node::Null))
    }

    /// Every given entry whose key is one of `keys` (for mappings keyed by a fixed list,
    /// like `site.strings`); all of `keys` become allowed keys.
    pub fn entries_of(&mut self, keys: &[&'static str]) -> Vec<(&'n str, &'n SNode)> {
        for key in keys {
            if !self.asked.contains(key) {
                self.asked.push(key);
            }
        }
        let mut out: Vec<(&'n str, &'n SNode)> = Vec::new();
        for (_, name, value) in &self.entries {
            if keys.contains(name) && !out.iter().any(|(k, _)| k == name) {
                out.push((name, value));
            }
        }
        out
    }
}

impl<'a> Checker<'a> {
    pub fn problem(&mut self, at: &SNode, message: impl Into<String>) {
        self.problems.push(Problem {
            line: at.referenced.line().max(1),
            column: at.referenced.column().max(1),
            message: message.into(),
        });
    }

    /// Reads a mapping; its keys are checked by [`Checker::finish`].
    pub fn fields<'n>(&mut self, node: &'n SNode, section: &str) -> Fields<'n> {
        let mut fields = Fields {
            section: section.to_string(),
            entries: Vec::new(),
            asked: Vec::new(),
        };
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
            return fields;
        };
        for (key, value) in map {
            let Node::Str(name) = &key.value else {
                self.problem(
                    key,
                    format!("{section}: keys must be words, found {}", kind(&key.value)),
                );
                continue;
            };
            fields.entries.push((key, name.as_str(), value));
        }
        fields
    }

    /// Reads `key` with `read` when it is given: the one place a field is looked up and
    /// converted, so a caller only adds its default.
    pub fn read<'n, T>(
        &mut self,
        fields: &mut Fields<'n>,
        key: &'static str,
        read: impl FnOnce(&mut Self, &'n SNode) -> Option<T>,
    ) -> Option<T> {
        let node = fields.get(key)?;
        read(self, node)
    }

    /// Reads `key` with `read`, else `default` when it is absent: `None` (with the problem
    /// reported) only when the value given is invalid.
    pub fn read_or<'n, T>(
        &mut self,
        fields: &mut Fields<'n>,
        key: &'static str,
        default: T,
        read: impl FnOnce(&mut Self, &'n SNode) -> Option<T>,
    ) -> Option<T> {
        match fields.get(key) {
            Some(node) => read(self, node),
            None => Some(default),
        }
    }

    /// Reports the keys of a mapping that were never read, and repeated keys.
    pub fn finish(&mut self, fields: Fields<'_>) {
        let Fields {
            section,
            entries,
            asked,
        } = fields;
        let mut seen: Vec<&str> = Vec::new();
        for (key, name, _) in entries {
            if !asked.contains(&name) {
                let hint = closest(name, &asked)
                    .map(|c| format!(" (did you mean `{c}`?)"))
                    .unwrap_or_default();
                self.problem(
                    key,
                    format!(
                        "unknown key `{name}` in {section}{hint}; allowed keys: {}",
                        asked.join(", ")
                    ),
                );
                continue;
            }
            if seen.contains(&name) {
                self.problem(
                    key,
                    format!("key `{name}` appears twice in {section}; keep one"),
                );
                continue;
            }
            seen.push(name);
        }
    }

    pub fn string(&mut self, node: &SNode, what: &str) -> Option<String> {
        match &node.value {
            Node::Str(s) if !s.trim().is_empty() => Some(s.clone()),
            Node::Str(_) => {
                self.problem(node, format!("{what} must not be empty"));
                None
            }
            Node::Int(i) => Some(i.to_string()),
            Node::Float(f) => Some(f.to_string()),
            // Only `true`/`false` are booleans (YAML 1.2), and where a string is expected
            // they are the word the operator wrote.
            Node::Bool(b) => Some(b.to_string()),
            other => {
                self.problem(
                    node,
                    format!("{what} must be a string, found {}", kind(other)),
                );
                None
            }
        }
    }

    pub fn bool(&mut self, node: &SNode, what: &str) -> Option<bool> {
        match &node.value {
            Node::Bool(b) => Some(*b),
            Node::Str(s) => {
                // YAML 1.1 spellings are strings under YAML 1.2; say which word to write.
                let hint = match s.to_ascii_lowercase().as_str() {
                    "yes" | "y" | "on" => " (write `true`)",
                    "no" | "n" | "off" => " (write `false`)",
                    _ => "",
                };
                self.problem(
                    node,
                    format!("{what} must be true or false, found the string `{s}`{hint}"),
                );
                None
            }
            other => {
                self.problem(
                    node,
                    format!("{what} must be true or false, found {}", kind(other)),
                );
                None
            }
        }
    }

    pub fn count(&mut self, node: &SNode, what: &str, min: i64, max: i64) -> Option<usize> {
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

    pub fn duration(&mut self, node: &SNode, what: &str) -> Option<Duration> {
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
            Ok(d) if d > MAX_DURATION => {
                self.problem(
                    node,
                    format!(
                        "{what} `{}` is longer than the limit of {}d (100 years); write a shorter duration, e.g. 10m, 6h or 30d",
                        text.trim(),
                        MAX_DURATION.as_secs() / 86400
                    ),
                );
                None
            }
            Ok(d) => Some(d),
            Err(e) => {
                self.problem(node, format!("{what}: {e}"));
                None
            }
        }
    }

    pub fn size(&mut self, node: &SNode, what: &str) -> Option<u64> {
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
            Ok(n) if n > MAX_SIZE => {
                self.problem(
                    node,
                    format!(
                        "{what} `{}` is larger than the limit of 4GiB; write a smaller size, e.g. 10MiB",
                        text.trim()
                    ),
                );
                None
            }
            Ok(n) => Some(n),
            Err(e) => {
                self.problem(node, format!("{what}: {e}"));
                None
            }
        }
    }

    pub fn string_list(&mut self, node: &SNode, what: &str) -> Vec<Spanned<String>> {
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

    pub fn id(&mut self, node: &SNode, what: &str) -> Option<String> {
        let id = self.string(node, what)?;
        if is_safe_id(&id) {
            Some(id)
        } else if id.len() > MAX_ID_LEN {
            self.problem(
                node,
                format!(
                    "{what} is {} characters long; ids name files and URLs and may have at most {MAX_ID_LEN} characters of a-z, 0-9, `-` and `_`: shorten it, e.g. `{}`",
                    id.chars().count(),
                    suggest_id(&id)
                ),
            );
            None
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

    pub fn url(&mut self, node: &SNode, what: &str) -> Option<Url> {
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

    pub fn path(&self, text: &str) -> PathBuf {
        let p = Path::new(text);
        if p.is_absolute() {
            p.to_path_buf()
        } else {
            self.dir.join(p)
        }
    }
}
