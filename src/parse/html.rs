//! Shared HTML plumbing for article and teaser extraction: decoding and parsing with size
//! and depth guards, and the small DOM helpers both use (visible text, labels, images, links).
//!
//! Input is capped at [`MAX_HTML_BYTES`]; bigger pages are refused, not truncated, because a
//! truncated page would yield a silently shortened body.

use crate::parse::encoding;
use crate::text::fold_whitespace;
use scraper::{ElementRef, Html, Node, Selector};
use std::collections::HashSet;
use std::sync::LazyLock;
use url::Url;

/// Largest page accepted, in bytes (5 MiB). Real article pages are 50–800 KiB.
pub const MAX_HTML_BYTES: usize = 5 * 1024 * 1024;

/// Deepest element nesting accepted. Real pages stay under ~100 levels; tag soup nested
/// thousands deep would make every ancestor walk (ours and Readability's) quadratic.
pub const MAX_DEPTH: usize = 512;

/// Why page bytes could not be turned into a document worth reading.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HtmlError {
    #[error("page too large: {size} bytes, limit is {limit} bytes (5 MiB); the page is skipped")]
    TooLarge { size: usize, limit: usize },
    #[error("page is empty (no HTML after decoding)")]
    Empty,
    #[error(
        "markup nested {depth} levels deep, limit is {limit}: broken or hostile page, skipped"
    )]
    TooDeep { depth: usize, limit: usize },
}

/// A CSS selector from config, compiled once; keeps its text for messages and equality.
#[derive(Debug, Clone)]
pub struct CssSelector {
    text: String,
    compiled: Selector,
}

/// A selector the CSS parser did not accept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid CSS selector {selector:?}: {reason}")]
pub struct BadSelector {
    pub selector: String,
    pub reason: String,
}

impl CssSelector {
    /// Compiles a selector; the error names it and says what the parser did not accept.
    pub fn parse(text: &str) -> Result<Self, BadSelector> {
        let bad = |reason: String| BadSelector {
            selector: text.to_string(),
            reason,
        };
        if text.trim().is_empty() {
            return Err(bad("selector is empty".to_string()));
        }
        let compiled = Selector::parse(text).map_err(|e| bad(e.to_string()))?;
        Ok(Self {
            text: text.to_string(),
            compiled,
        })
    }

    pub fn as_str(&self) -> &str {
        &self.text
    }

    pub fn selector(&self) -> &Selector {
        &self.compiled
    }
}

impl PartialEq for CssSelector {
    fn eq(&self, other: &Self) -> bool {
        self.text == other.text
    }
}

impl Eq for CssSelector {}

/// A parsed page and the text it was parsed from.
pub struct Page {
    pub doc: Html,
    pub text: String,
}

/// Decodes (see [`encoding`]) and parses page bytes, refusing oversized, empty and
/// pathologically nested pages. `http_charset` is the charset of the HTTP Content-Type.
pub fn parse_page(bytes: &[u8], http_charset: Option<&str>) -> Result<Page, HtmlError> {
    check_size(bytes)?;
    let text = encoding::decode(bytes, http_charset).text.into_owned();
    if text.trim().is_empty() {
        return Err(HtmlError::Empty);
    }
    let doc = parse_text(&text)?;
    Ok(Page { doc, text })
}

/// A selector from a literal in this crate's source, which is valid CSS; compiled once.
pub fn sel(s: &str) -> Selector {
    Selector::parse(s).unwrap_or_else(|_| Selector::parse("*").expect("universal selector"))
}

static BASE: LazyLock<Selector> = LazyLock::new(|| sel("base[href]"));

/// Block-level elements that hold a paragraph's worth of text.
pub const BLOCK_TAGS: &[&str] = &[
    "p",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "li",
    "pre",
    "ul",
    "ol",
    "table",
    "dl",
];

/// Folded, entity-decoded text, or `None` when nothing is left.
pub fn clean(s: &str) -> Option<String> {
    non_empty(fold_whitespace(&html_escape::decode_html_entities(s)))
}

/// The trimmed text, or `None` when it is empty.
pub fn non_empty(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// True when `el` is `anc` or lies inside it.
pub fn is_inside(el: ElementRef<'_>, anc: ElementRef<'_>) -> bool {
    el.id() == anc.id() || el.ancestors().any(|a| a.id() == anc.id())
}

/// 1 to 6 for `<h1>`…`<h6>`.
pub fn heading_level(el: ElementRef<'_>) -> Option<u8> {
    match el.value().name() {
        "h1" => Some(1),
        "h2" => Some(2),
        "h3" => Some(3),
        "h4" => Some(4),
        "h5" => Some(5),
        "h6" => Some(6),
        _ => None,
    }
}

/// Does the element hold a link with an `href`?
pub fn has_links(el: ElementRef<'_>) -> bool {
    el.descendants()
        .filter_map(ElementRef::wrap)
        .any(|e| e.value().name() == "a" && e.value().attr("href").is_some())
}

/// Does the element hold another block-level element (it is a container, not a paragraph)?
pub fn has_block_child(el: ElementRef<'_>) -> bool {
    el.descendants()
        .filter_map(ElementRef::wrap)
        .skip(1)
        .any(|d| {
            let n = d.value().name();
            BLOCK_TAGS.contains(&n)
                || matches!(
                    n,
                    "div" | "section" | "article" | "figure" | "aside" | "nav"
                )
        })
}

/// Parses the page and refuses pathological nesting before any ancestor walk runs.
fn parse_text(text: &str) -> Result<Html, HtmlError> {
    // html5ever itself slows down quadratically with nesting, so count before parsing.
    let raw = raw_depth(text);
    if raw > MAX_RAW_DEPTH {
        return Err(HtmlError::TooDeep {
            depth: raw,
            limit: MAX_DEPTH,
        });
    }
    let doc = Html::parse_document(text);
    let depth = max_depth(*doc.root_element(), MAX_DEPTH + 1);
    if depth > MAX_DEPTH {
        return Err(HtmlError::TooDeep {
            depth,
            limit: MAX_DEPTH,
        });
    }
    Ok(doc)
}

/// Unclosed start tags allowed in the raw text before parsing is refused (see [`raw_depth`]).
const MAX_RAW_DEPTH: usize = 4 * MAX_DEPTH;

/// Upper estimate of nesting from the raw text: start tags minus end tags, not counting void
/// elements and elements whose end tag HTML lets authors omit (`<p>`, `<li>`, `<td>` …).
fn raw_depth(text: &str) -> usize {
    const NO_NEST: &[&str] = &[
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr", "p", "li", "dt", "dd", "tr", "td", "th", "option", "optgroup", "thead",
        "tbody", "tfoot", "colgroup", "rt", "rp", "html", "head", "body", "param",
    ];
    let bytes = text.as_bytes();
    let (mut depth, mut max) = (0usize, 0usize);
    let mut i = 0;
    while let Some(off) = bytes[i..].iter().position(|&b| b == b'<') {
        i += off + 1;
        let closing = bytes.get(i) == Some(&b'/');
        let start = if closing { i + 1 } else { i };
        let name_len = bytes[start.min(bytes.len())..]
            .iter()
            .take_while(|b| b.is_ascii_alphanumeric())
            .count();
        if name_len == 0 {
            continue;
        }
        let name = text
            .get(start..start + name_len)
            .unwrap_or("")
            .to_ascii_lowercase();
        if NO_NEST.contains(&name.as_str()) {
            continue;
        }
        if closing {
            depth = depth.saturating_sub(1);
        } else {
            depth += 1;
            max = max.max(depth);
        }
    }
    max
}

/// Deepest nesting under `node`, counting stops at `cap`; one pass, no recursion.
fn max_depth(node: ego_tree_node::NodeRef<'_>, cap: usize) -> usize {
    let (mut depth, mut max) = (0usize, 0usize);
    let mut cur = node.first_child();
    while let Some(n) = cur {
        if let Some(c) = n.first_child() {
            depth += 1;
            max = max.max(depth);
            if max >= cap {
                return max;
            }
            cur = Some(c);
            continue;
        }
        let mut m = n;
        cur = loop {
            if let Some(sib) = m.next_sibling() {
                break Some(sib);
            }
            match m.parent() {
                Some(p) if p.id() != node.id() => {
                    m = p;
                    depth = depth.saturating_sub(1);
                }
                _ => break None,
            }
        };
    }
    max
}

/// Refuses a page over [`MAX_HTML_BYTES`] before any work is spent on it.
pub fn check_size(html: &[u8]) -> Result<(), HtmlError> {
    if html.len() > MAX_HTML_BYTES {
        return Err(HtmlError::TooLarge {
            size: html.len(),
            limit: MAX_HTML_BYTES,
        });
    }
    Ok(())
}

/// The URL relative links of the page resolve against: its `<base href>`; for a page read
/// from a file, the web address it names as canonical (`<link rel=canonical>`, `og:url`),
/// since its root-relative links belong to that site, not to the spool folder; else the
/// page's own URL.
pub fn base_url(doc: &Html, page: &Url) -> Url {
    if let Some(b) = doc
        .select(&BASE)
        .next()
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page.join(h.trim()).ok())
    {
        return b;
    }
    if page.scheme() == "file" {
        let canonical = doc
            .select(css!("link[rel~=canonical][href]"))
            .filter_map(|l| l.value().attr("href"))
            .chain(
                doc.select(css!("meta[property=\"og:url\"][content]"))
                    .filter_map(|m| m.value().attr("content")),
            )
            .filter_map(|h| Url::parse(h.trim()).ok())
            .find(|u| matches!(u.scheme(), "http" | "https"));
        if let Some(c) = canonical {
            return c;
        }
    }
    page.clone()
}

pub fn strip_fragment(mut url: Url) -> Url {
    url.set_fragment(None);
    url
}

/// Label comparison form: whitespace folded, lower case, a trailing ":" dropped.
pub fn normalize_label(s: &str) -> String {
    fold_whitespace(s)
        .trim_end_matches(':')
        .trim()
        .to_lowercase()
}

/// Visible text of an element: `<br>` and block ends count as spaces, scripts are skipped.
pub fn element_text(el: ElementRef<'_>) -> String {
    let mut out = String::new();
    push_text(*el, &mut out, usize::MAX);
    fold_whitespace(&out)
}

/// Appends the text under `node`, iteratively: tag soup can nest deeper than the stack allows
/// recursion. Stops once `out` holds more than `limit` bytes.
fn push_text(node: ego_tree_node::NodeRef<'_>, out: &mut String, limit: usize) {
    const HIDDEN: &[&str] = &["script", "style", "noscript", "template", "button", "svg"];
    let block_end = |n: ego_tree_node::NodeRef<'_>| {
        n.value()
            .as_element()
            .is_some_and(|e| is_text_block(e.name()) && !HIDDEN.contains(&e.name()))
    };
    let mut cur = node.first_child();
    while let Some(n) = cur {
        if out.len() > limit {
            return;
        }
        let descend = match n.value() {
            Node::Text(t) => {
                out.push_str(t);
                false
            }
            Node::Element(e) if HIDDEN.contains(&e.name()) => false,
            Node::Element(e) => {
                if e.name() == "br" || is_text_block(e.name()) {
                    out.push(' ');
                }
                true
            }
            _ => false,
        };
        if descend {
            if let Some(c) = n.first_child() {
                cur = Some(c);
                continue;
            }
        }
        // Close `n` and every ancestor that has no next sibling, up to `node`.
        let mut m = n;
        cur = loop {
            if block_end(m) {
                out.push(' ');
            }
            if let Some(s) = m.next_sibling() {
                break Some(s);
            }
            match m.parent() {
                Some(p) if p.id() != node.id() => m = p,
                _ => break None,
            }
        };
    }
}

pub fn is_text_block(name: &str) -> bool {
    BLOCK_TAGS.contains(&name) || matches!(name, "div" | "section" | "article" | "figcaption")
}

/// The element's text when it has at most `max` bytes of text, else `None` (cheap on big subtrees).
pub fn short_text(el: ElementRef<'_>, max: usize) -> Option<String> {
    let mut out = String::new();
    push_text(*el, &mut out, max * 2);
    let t = fold_whitespace(&out);
    (t.len() <= max).then_some(t)
}

/// Identity of an element within its parsed page, for hash sets: the address of its node,
/// which stays put while the `Html` lives (the tree is never modified after parsing).
pub fn node_key(el: ElementRef<'_>) -> usize {
    std::ptr::from_ref(el.value()) as usize
}

/// True when `el` or one of its ancestors is in `set`.
pub fn inside_any(el: ElementRef<'_>, set: &HashSet<usize>) -> bool {
    set.contains(&node_key(el))
        || el
            .ancestors()
            .filter_map(ElementRef::wrap)
            .any(|a| set.contains(&node_key(a)))
}

/// `ego_tree` is scraper's tree crate; naming its node type through scraper keeps us from
/// depending on it directly.
mod ego_tree_node {
    pub type NodeRef<'a> = <scraper::ElementRef<'a> as std::ops::Deref>::Target;
}

/// First usable picture URL of an `<img>`: `src`, lazy-loading attributes, or `srcset`.
pub fn first_img_url(img: ElementRef<'_>, base: &Url) -> Option<Url> {
    let v = img.value();
    let candidates = ["data-src", "data-lazy-src", "data-original", "src"]
        .iter()
        .filter_map(|a| v.attr(a))
        .map(str::to_string)
        .chain(
            ["srcset", "data-srcset"]
                .iter()
                .filter_map(|a| v.attr(a))
                .filter_map(|s| s.split(',').next())
                .filter_map(|s| s.split_whitespace().next())
                .map(str::to_string),
        );
    for c in candidates {
        let c = c.trim();
        if c.is_empty() || c.starts_with("data:") {
            continue;
        }
        if let Ok(u) = base.join(c) {
            if matches!(u.scheme(), "http" | "https") {
                return Some(u);
            }
        }
    }
    None
}
