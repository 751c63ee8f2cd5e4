//! Article pages: headline, body, image credit and the teaser section ("Empfohlen").
//!
//! Pure functions: page bytes and the page URL in, an [`Article`] (or a reason why the page
//! is not one) out. Metadata comes from schema.org JSON-LD first, then OpenGraph/article meta
//! tags, then plain markup (`<h1>`, `<time>`, `<html lang>`). The body is found by
//! dom_smoothie (a Readability port) unless a per-source selector names it, and is then cut
//! into paragraphs so page furniture (font-size widgets, share buttons, newsletter boxes,
//! the caption, the byline line, the teaser section) can be dropped paragraph by paragraph.
//!
//! Input is capped at [`MAX_HTML_BYTES`]; bigger pages are refused, not truncated, because a
//! truncated page would yield a silently shortened body.

use crate::model::{Article, Image, Teaser};
use crate::parse::teaser::{self, TeaserScan};
use crate::text::fold_whitespace;
use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use regex::Regex;
use scraper::{ElementRef, Html, Node, Selector};
use serde_json::Value;
use std::collections::HashSet;
use std::sync::LazyLock;
use url::Url;

/// Largest page accepted, in bytes (5 MiB). Real article pages are 50–800 KiB.
pub const MAX_HTML_BYTES: usize = 5 * 1024 * 1024;

/// Deepest element nesting accepted. Real pages stay under ~100 levels; tag soup nested
/// thousands deep would make every ancestor walk (ours and Readability's) quadratic.
pub const MAX_DEPTH: usize = 512;

/// Fewer characters of body text than this is not an article (teaser stubs, error pages).
pub const MIN_BODY_CHARS: usize = 200;

/// A body shorter than this next to a subscription prompt is a paywall stub.
const PAYWALL_MAX_CHARS: usize = 1200;

/// Labels that head a recommendation section when the source configures none.
pub const DEFAULT_TEASER_LABELS: &[&str] = &[
    "Empfohlen",
    "Recommended",
    "Mehr zum Thema",
    "Das könnte Sie auch interessieren",
    "Auch interessant",
    "Related",
];

/// Per-source extraction overrides (from config) and the teaser section labels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtractRules {
    /// CSS selector of the article body; replaces the Readability heuristic.
    pub body: Option<String>,
    /// CSS selector of the teaser section(s); replaces the label search when it matches.
    pub teasers: Option<String>,
    /// CSS selector of the byline element.
    pub byline: Option<String>,
    /// Texts that head a teaser section, matched case- and whitespace-insensitively.
    pub teaser_labels: Vec<String>,
}

impl Default for ExtractRules {
    fn default() -> Self {
        Self {
            body: None,
            teasers: None,
            byline: None,
            teaser_labels: DEFAULT_TEASER_LABELS
                .iter()
                .map(|s| s.to_string())
                .collect(),
        }
    }
}

/// Why a page yielded no article. Each message names what was seen on the page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArticleError {
    #[error("page too large: {size} bytes, limit is {limit} bytes (5 MiB); the page is skipped")]
    TooLarge { size: usize, limit: usize },
    #[error("page is empty (no HTML after decoding)")]
    Empty,
    #[error(
        "markup nested {depth} levels deep, limit is {limit}: broken or hostile page, skipped"
    )]
    TooDeep { depth: usize, limit: usize },
    #[error("not an article page: {0}")]
    NotAnArticle(String),
    #[error("paywall stub: {0}; only subscribers see the text")]
    Paywall(String),
    #[error("error page served as a normal page: \"{0}\" (link is dead or moved)")]
    ErrorPage(String),
    #[error("no headline on the page (no JSON-LD headline, og:title, <h1> or <title>)")]
    NoHeadline,
    #[error("article body too short: {chars} characters of text, at least {min} needed (text loaded by script, or set a body selector for this source)")]
    BodyTooShort { chars: usize, min: usize },
    #[error("invalid CSS selector {selector:?} in source config: {reason}")]
    BadSelector { selector: String, reason: String },
}

/// Checks a CSS selector from config; the error says what the parser did not accept.
pub fn validate_selector(sel: &str) -> Result<(), String> {
    if sel.trim().is_empty() {
        return Err("selector is empty".to_string());
    }
    Selector::parse(sel)
        .map(|_| ())
        .map_err(|e| format!("invalid CSS selector {sel:?}: {e}"))
}

fn parse_selector(sel: &str) -> Result<Selector, ArticleError> {
    Selector::parse(sel).map_err(|e| ArticleError::BadSelector {
        selector: sel.to_string(),
        reason: e.to_string(),
    })
}

/// Splits an image caption into caption and credit.
///
/// `"Putin in Pjöngjang / Foto: © POOL/AFP"` gives `(Some("Putin in Pjöngjang"), Some("POOL/AFP"))`;
/// `"Foto: dpa"` gives `(None, Some("dpa"))`. Recognised markers: `Foto:`, `Fotos:`, `Bild:`,
/// `Quelle:`, `Photo:`, `Credit:`, `Copyright:` (at the start or after `/ | ( - – — . ,`),
/// and `©` / `(c)` anywhere after a space.
pub fn split_credit(caption: &str) -> (Option<String>, Option<String>) {
    static MARKER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(?:^|[/|(\-–—.,;]\s*)((?:fotos?|bild(?:er)?|quelle|photo|credit|copyright)\s*:\s*(?:©|\(c\))?|©|\(c\))|\s(©|\(c\))",
        )
        .expect("static regex")
    });
    let text = fold_whitespace(caption);
    let Some(caps) = MARKER.captures(&text) else {
        return (non_empty(text), None);
    };
    let Some(m) = caps.get(1).or_else(|| caps.get(2)) else {
        return (non_empty(text), None);
    };
    let before = text[..m.start()].trim_end();
    let opened_paren = before.ends_with('(');
    let before = before
        .trim_end_matches(|c: char| c.is_whitespace() || "/|(-–—,;".contains(c))
        .to_string();
    let mut credit = text[m.end()..]
        .trim()
        .trim_start_matches(['©', ':'])
        .trim()
        .to_string();
    if opened_paren && credit.ends_with(')') {
        credit.pop();
    }
    (non_empty(before), non_empty(credit.trim().to_string()))
}

/// A short line carrying a photo credit ("… / Foto: © POOL/AFP", "Bild: dpa"): a caption,
/// never article text. "Quelle:" alone does not count; prose cites sources that way.
fn is_credit_line(text: &str) -> bool {
    if text.chars().count() > 250 || split_credit(text).1.is_none() {
        return false;
    }
    let l = text.to_lowercase();
    [
        "©",
        "(c)",
        "foto:",
        "fotos:",
        "bild:",
        "photo:",
        "credit:",
        "copyright:",
    ]
    .iter()
    .any(|m| l.contains(m))
}

fn non_empty(s: String) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

/// Article links of a section page, picked by a CSS selector: absolute, without fragment,
/// deduplicated, in page order. Non-HTTP links (`mailto:`, `javascript:`) are dropped.
pub fn extract_links(
    html: &[u8],
    page_url: &Url,
    selector: &str,
) -> Result<Vec<Url>, ArticleError> {
    let sel = parse_selector(selector)?;
    check_size(html)?;
    let doc = parse_page(&decode_html(html))?;
    let base = base_url(&doc, page_url);
    let a_sel = parse_selector("a[href]")?;
    let mut out: Vec<Url> = Vec::new();
    let mut seen: HashSet<Url> = HashSet::new();
    for el in doc.select(&sel) {
        // The selector may name the links themselves or the cards around them.
        let links: Vec<ElementRef> = if el.value().name() == "a" {
            vec![el]
        } else {
            el.select(&a_sel).collect()
        };
        for a in links {
            let Some(href) = a.value().attr("href") else {
                continue;
            };
            let Ok(url) = base.join(href.trim()) else {
                continue;
            };
            let url = strip_fragment(url);
            if matches!(url.scheme(), "http" | "https") && seen.insert(url.clone()) {
                out.push(url);
            }
        }
    }
    Ok(out)
}

/// The teasers of any page (article or not). A page without a teaser section, or a page
/// too large to read, yields none.
pub fn extract_teasers(html: &[u8], page_url: &Url, rules: &ExtractRules) -> Vec<Teaser> {
    if check_size(html).is_err() {
        return Vec::new();
    }
    let Ok(doc) = parse_page(&decode_html(html)) else {
        return Vec::new();
    };
    let base = base_url(&doc, page_url);
    teaser::scan(&doc, &base, page_url, rules).teasers
}

/// Reads one article page. See the module docs for where each field comes from.
pub fn extract_article(
    html: &[u8],
    page_url: &Url,
    rules: &ExtractRules,
) -> Result<Article, ArticleError> {
    check_size(html)?;
    let text = decode_html(html);
    if text.trim().is_empty() {
        return Err(ArticleError::Empty);
    }
    for sel in [&rules.body, &rules.teasers, &rules.byline]
        .into_iter()
        .flatten()
    {
        parse_selector(sel)?;
    }
    let doc = parse_page(&text)?;
    let base = base_url(&doc, page_url);
    let meta = Meta::read(&doc, &base);

    if let Some(err) = error_page_title(&meta) {
        return Err(ArticleError::ErrorPage(err));
    }

    let scan = teaser::scan(&doc, &base, page_url, rules);
    let figure = main_figure(&doc, &scan, &base);
    let headline = meta.headline();
    let known_byline = meta.byline(&doc, rules);

    let mut filter = BlockFilter {
        headline: headline.clone(),
        caption_texts: figure.texts.clone(),
        teaser_texts: scan.texts.clone(),
        labels: rules
            .teaser_labels
            .iter()
            .map(|l| normalize_label(l))
            .collect(),
        known_byline: known_byline.clone(),
        found_byline: None,
    };

    let blocks = body_blocks(&doc, &text, page_url, rules, &scan, &mut filter)?;
    let body_text = blocks
        .iter()
        .map(|b| b.text.as_str())
        .collect::<Vec<_>>()
        .join("\n\n");
    let chars = body_text.chars().count();

    let linked = blocks.iter().filter(|b| b.linked).count();
    let cards = card_texts(&doc, &base, page_url);
    let in_cards = blocks.iter().filter(|b| cards.contains(&b.text)).count();
    if !meta.is_article_type && in_cards >= 4 && in_cards * 2 >= blocks.len() {
        return Err(ArticleError::NotAnArticle(format!(
            "index page: {} links, the text found is {in_cards} teaser cards, no article body",
            meta.link_count
        )));
    }
    if !meta.is_article_type && linked >= 4 && linked * 3 >= blocks.len() {
        return Err(ArticleError::NotAnArticle(format!(
            "index page: {} links, {linked} of {} text blocks are links to other pages",
            meta.link_count,
            blocks.len()
        )));
    }
    if chars < PAYWALL_MAX_CHARS {
        if let Some(why) = paywall_marker(&doc, &meta) {
            return Err(ArticleError::Paywall(format!(
                "{why}, {chars} characters of text"
            )));
        }
    }
    if chars < MIN_BODY_CHARS {
        if meta.link_count >= 15 && !meta.is_article_type {
            return Err(ArticleError::NotAnArticle(format!(
                "index page: {} links, no article body",
                meta.link_count
            )));
        }
        return Err(ArticleError::BodyTooShort {
            chars,
            min: MIN_BODY_CHARS,
        });
    }
    let Some(headline) = headline else {
        return Err(ArticleError::NoHeadline);
    };

    let body_html = join_html(&blocks);
    let lead = meta
        .lead
        .clone()
        .or_else(|| blocks.iter().find(|b| b.paragraph).map(|b| b.text.clone()))
        .or_else(|| meta.description.clone());
    let byline = known_byline.or(filter.found_byline);
    let image = meta
        .image
        .clone()
        .or_else(|| figure.url.clone())
        .map(|url| Image {
            url,
            caption: figure.caption.clone(),
            credit: figure.credit.clone(),
            ..Image::default()
        });

    Ok(Article {
        headline,
        published: meta.published.as_deref().and_then(parse_date),
        modified: meta.modified.as_deref().and_then(parse_date),
        byline,
        lead,
        body_html,
        body_text,
        image,
        lang: meta.lang.clone(),
        canonical: meta.canonical.clone(),
        teasers: scan.teasers,
    })
}

/// Parses the page and refuses pathological nesting before any ancestor walk runs.
fn parse_page(text: &str) -> Result<Html, ArticleError> {
    // html5ever itself slows down quadratically with nesting, so count before parsing.
    let raw = raw_depth(text);
    if raw > MAX_RAW_DEPTH {
        return Err(ArticleError::TooDeep {
            depth: raw,
            limit: MAX_DEPTH,
        });
    }
    let doc = Html::parse_document(text);
    let depth = max_depth(*doc.root_element(), MAX_DEPTH + 1);
    if depth > MAX_DEPTH {
        return Err(ArticleError::TooDeep {
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

fn check_size(html: &[u8]) -> Result<(), ArticleError> {
    if html.len() > MAX_HTML_BYTES {
        return Err(ArticleError::TooLarge {
            size: html.len(),
            limit: MAX_HTML_BYTES,
        });
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------
// Decoding and small helpers shared with the teaser module
// ---------------------------------------------------------------------------------------

/// Decodes page bytes: BOM first, then `<meta charset>` / `http-equiv` in the first 4 KiB,
/// else UTF-8 with replacement characters for invalid bytes.
pub(crate) fn decode_html(bytes: &[u8]) -> String {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned();
    }
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_lowercase();
    if let Some(enc) =
        sniff_charset(&head).and_then(|l| encoding_rs::Encoding::for_label(l.as_bytes()))
    {
        // A meta tag cannot truthfully declare UTF-16 (it would not be readable as ASCII).
        let enc = if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
            encoding_rs::UTF_8
        } else {
            enc
        };
        return enc.decode_without_bom_handling(bytes).0.into_owned();
    }
    String::from_utf8_lossy(bytes).into_owned()
}

fn sniff_charset(head: &str) -> Option<&str> {
    let mut rest = head;
    while let Some(i) = rest.find("<meta") {
        let tag = &rest[i..];
        let end = tag.find('>').unwrap_or(tag.len());
        let attrs = &tag[..end];
        if let Some(j) = attrs.find("charset") {
            if let Some(v) = attrs[j + 7..].trim_start().strip_prefix('=') {
                let v = v.trim_start().trim_start_matches(['"', '\'']);
                let label = v
                    .split(|c: char| {
                        c == '"' || c == '\'' || c == ';' || c == '/' || c.is_whitespace()
                    })
                    .next()
                    .unwrap_or("");
                if !label.is_empty() {
                    return Some(label);
                }
            }
        }
        rest = &tag[end..];
    }
    None
}

fn base_url(doc: &Html, page: &Url) -> Url {
    Selector::parse("base[href]")
        .ok()
        .and_then(|s| doc.select(&s).next())
        .and_then(|b| b.value().attr("href"))
        .and_then(|h| page.join(h.trim()).ok())
        .unwrap_or_else(|| page.clone())
}

pub(crate) fn strip_fragment(mut url: Url) -> Url {
    url.set_fragment(None);
    url
}

/// Label comparison form: whitespace folded, lower case, a trailing ":" dropped.
pub(crate) fn normalize_label(s: &str) -> String {
    fold_whitespace(s)
        .trim_end_matches(':')
        .trim()
        .to_lowercase()
}

/// Visible text of an element: `<br>` and block ends count as spaces, scripts are skipped.
pub(crate) fn element_text(el: ElementRef<'_>) -> String {
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

fn is_text_block(name: &str) -> bool {
    BLOCK_TAGS.contains(&name) || matches!(name, "div" | "section" | "article" | "figcaption")
}

/// The element's text when it has at most `max` bytes of text, else `None` (cheap on big subtrees).
pub(crate) fn short_text(el: ElementRef<'_>, max: usize) -> Option<String> {
    let mut out = String::new();
    push_text(*el, &mut out, max * 2);
    let t = fold_whitespace(&out);
    (t.len() <= max).then_some(t)
}

/// Identity of an element within its parsed page, for hash sets: the address of its node,
/// which stays put while the `Html` lives (the tree is never modified after parsing).
pub(crate) fn node_key(el: ElementRef<'_>) -> usize {
    std::ptr::from_ref(el.value()) as usize
}

/// True when `el` or one of its ancestors is in `set`.
fn inside_any(el: ElementRef<'_>, set: &HashSet<usize>) -> bool {
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
pub(crate) fn first_img_url(img: ElementRef<'_>, base: &Url) -> Option<Url> {
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

/// Parses the date forms found on news pages; a time without zone is taken as UTC.
fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
        "%Y-%m-%dT%H:%M%:z",
        "%Y-%m-%d %H:%M:%S%:z",
    ] {
        if let Ok(d) = DateTime::parse_from_str(s, f) {
            return Some(d.with_timezone(&Utc));
        }
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M:%S",
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(d) = NaiveDateTime::parse_from_str(s, f) {
            return Some(d.and_utc());
        }
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        return d.and_hms_opt(0, 0, 0).map(|d| d.and_utc());
    }
    DateTime::parse_from_rfc2822(s)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

// ---------------------------------------------------------------------------------------
// Metadata
// ---------------------------------------------------------------------------------------

const ARTICLE_TYPES: &[&str] = &[
    "NewsArticle",
    "Article",
    "ReportageNewsArticle",
    "AnalysisNewsArticle",
    "OpinionNewsArticle",
    "BackgroundNewsArticle",
    "ReviewNewsArticle",
    "BlogPosting",
    "LiveBlogPosting",
    "Report",
];

#[derive(Default, Debug)]
struct Meta {
    ld_headline: Option<String>,
    og_title: Option<String>,
    title_tag: Option<String>,
    h1: Option<String>,
    site_name: Option<String>,
    published: Option<String>,
    modified: Option<String>,
    authors: Vec<String>,
    meta_author: Option<String>,
    image: Option<String>,
    lang: Option<String>,
    description: Option<String>,
    lead: Option<String>,
    canonical: Option<Url>,
    is_article_type: bool,
    free: Option<bool>,
    link_count: usize,
}

fn sel(s: &str) -> Selector {
    // Only called with the literal selectors in this file, which are valid CSS.
    Selector::parse(s).unwrap_or_else(|_| Selector::parse("*").expect("universal selector"))
}

fn clean(s: &str) -> Option<String> {
    non_empty(fold_whitespace(&html_escape::decode_html_entities(s)))
}

impl Meta {
    fn read(doc: &Html, base: &Url) -> Meta {
        let mut m = Meta::default();
        m.read_json_ld(doc, base);

        let mut og = std::collections::HashMap::<String, String>::new();
        for el in doc.select(&sel("meta[content]")) {
            let v = el.value();
            let Some(key) = v
                .attr("property")
                .or_else(|| v.attr("name"))
                .or_else(|| v.attr("itemprop"))
            else {
                continue;
            };
            let content = v.attr("content").unwrap_or("");
            og.entry(key.trim().to_ascii_lowercase())
                .or_insert_with(|| content.to_string());
        }
        let get = |k: &str| og.get(k).and_then(|v| clean(v));
        m.og_title = get("og:title").or_else(|| get("twitter:title"));
        m.site_name = get("og:site_name")
            .or_else(|| get("application-name"))
            .or(m.site_name.take());
        m.published = m
            .published
            .take()
            .or_else(|| get("article:published_time"))
            .or_else(|| get("datepublished"))
            .or_else(|| get("date"));
        m.modified = m
            .modified
            .take()
            .or_else(|| get("article:modified_time"))
            .or_else(|| get("og:updated_time"))
            .or_else(|| get("datemodified"));
        m.meta_author = get("article:author")
            .or_else(|| get("author"))
            .filter(|a| !a.starts_with("http") && a.chars().count() <= 100);
        if m.image.is_none() {
            m.image = [
                "og:image",
                "og:image:url",
                "og:image:secure_url",
                "twitter:image",
            ]
            .iter()
            .find_map(|k| get(k))
            .and_then(|u| base.join(&u).ok())
            .map(|u| u.to_string());
        }
        m.description = get("description").or_else(|| get("og:description"));
        if get("og:type").is_some_and(|t| t == "article") {
            m.is_article_type = true;
        }

        m.title_tag = doc
            .select(&sel("title"))
            .next()
            .map(element_text)
            .and_then(non_empty);
        let h1s = sel("article h1, main h1, h1");
        m.h1 = doc.select(&h1s).map(element_text).find(|t| !t.is_empty());

        let html_lang = doc.root_element().value().attr("lang").and_then(clean);
        m.lang = html_lang
            .or(m.lang.take())
            .or_else(|| get("og:locale"))
            .map(|l| l.replace('_', "-"));

        if m.published.is_none() {
            m.published = doc
                .select(&sel("article time[datetime], time[datetime]"))
                .find_map(|t| t.value().attr("datetime").and_then(clean));
        }
        m.canonical = doc
            .select(&sel("link[rel~=canonical][href]"))
            .next()
            .and_then(|l| l.value().attr("href"))
            .or_else(|| og.get("og:url").map(String::as_str))
            .and_then(|h| base.join(h.trim()).ok());
        m.lead = doc
            .select(&sel(
                ".lead, .article-lead, .intro, .article__lead, p[itemprop=description]",
            ))
            .map(element_text)
            .find(|t| !t.is_empty());
        let mut links: HashSet<String> = HashSet::new();
        for a in doc.select(&sel("a[href]")) {
            if let Some(u) = a
                .value()
                .attr("href")
                .and_then(|h| base.join(h.trim()).ok())
            {
                links.insert(strip_fragment(u).to_string());
            }
        }
        m.link_count = links.len();
        m
    }

    fn read_json_ld(&mut self, doc: &Html, base: &Url) {
        let mut objects: Vec<Value> = Vec::new();
        for script in doc.select(&sel("script[type]")) {
            let is_ld = script
                .value()
                .attr("type")
                .is_some_and(|t| t.trim().eq_ignore_ascii_case("application/ld+json"));
            if !is_ld {
                continue;
            }
            let raw: String = script.text().collect();
            let raw = raw
                .trim()
                .trim_start_matches("<![CDATA[")
                .trim_end_matches("]]>")
                .trim()
                .trim_end_matches(';');
            if let Ok(v) = serde_json::from_str::<Value>(raw) {
                flatten_ld(v, &mut objects, 0);
            }
        }
        let is_type = |o: &Value, names: &[&str]| match o.get("@type") {
            Some(Value::String(t)) => names.contains(&t.as_str()),
            Some(Value::Array(ts)) => ts
                .iter()
                .any(|t| t.as_str().is_some_and(|t| names.contains(&t))),
            _ => false,
        };
        if let Some(org) = objects
            .iter()
            .find(|o| is_type(o, &["NewsMediaOrganization", "Organization", "WebSite"]))
        {
            self.site_name = org.get("name").and_then(Value::as_str).and_then(clean);
        }
        let Some(art) = objects.iter().find(|o| is_type(o, ARTICLE_TYPES)) else {
            return;
        };
        self.is_article_type = true;
        let s = |k: &str| art.get(k).and_then(Value::as_str).and_then(clean);
        self.ld_headline = s("headline").or_else(|| s("name"));
        self.published = s("datePublished");
        self.modified = s("dateModified");
        self.lang = s("inLanguage");
        if let Some(p) = art
            .get("publisher")
            .and_then(|p| p.get("name"))
            .and_then(Value::as_str)
        {
            self.site_name = clean(p);
        }
        self.authors = names(art.get("author"));
        self.image = first_image(art.get("image"))
            .and_then(|u| base.join(&u).ok())
            .map(|u| u.to_string());
        self.free = match art.get("isAccessibleForFree") {
            Some(Value::Bool(b)) => Some(*b),
            Some(Value::String(s)) => Some(!s.eq_ignore_ascii_case("false")),
            _ => None,
        };
    }

    /// The bare headline: no site name, no repeats.
    fn headline(&self) -> Option<String> {
        // An unclosed <h1> swallows the page; then the <title> is the better witness.
        let h1 = self.h1.as_deref().filter(|h| h.chars().count() <= 200);
        let raw = self
            .ld_headline
            .clone()
            .or_else(|| self.og_title.clone())
            .or_else(|| h1.map(str::to_string))
            .or_else(|| self.title_tag.clone())?;
        let mut h = strip_site_name(&raw, self.site_name.as_deref());
        if let Some(h1) = h1 {
            // "Site - Headline" without a declared site name: the part equal to the <h1> wins.
            if h != h1
                && SEPARATORS
                    .iter()
                    .any(|sep| h.split(sep).any(|part| part.trim() == h1))
            {
                h = h1.to_string();
            }
        }
        let h = undouble(&h);
        non_empty(h)
    }

    fn byline(&self, doc: &Html, rules: &ExtractRules) -> Option<String> {
        if !self.authors.is_empty() {
            return Some(self.authors.join(", "));
        }
        if let Some(a) = &self.meta_author {
            return Some(a.clone());
        }
        let from_sel = |s: &str| -> Option<String> {
            let s = Selector::parse(s).ok()?;
            doc.select(&s)
                .map(element_text)
                .map(|t| strip_von(&t))
                .find(|t| !t.is_empty() && t.chars().count() <= 100)
        };
        rules.byline.as_deref().and_then(from_sel).or_else(|| {
            from_sel("a[rel~=author], [itemprop=author], .byline, .author, .article-author")
        })
    }
}

fn flatten_ld(v: Value, out: &mut Vec<Value>, depth: usize) {
    if depth > 4 {
        return;
    }
    match v {
        Value::Array(items) => items
            .into_iter()
            .for_each(|i| flatten_ld(i, out, depth + 1)),
        Value::Object(mut o) => {
            if let Some(graph) = o.remove("@graph") {
                flatten_ld(graph, out, depth + 1);
            }
            if let Some(main) = o.get("mainEntity").cloned() {
                flatten_ld(main, out, depth + 1);
            }
            out.push(Value::Object(o));
        }
        _ => {}
    }
}

fn names(v: Option<&Value>) -> Vec<String> {
    match v {
        Some(Value::String(s)) => clean(s).into_iter().collect(),
        Some(Value::Object(o)) => o
            .get("name")
            .and_then(Value::as_str)
            .and_then(clean)
            .into_iter()
            .collect(),
        Some(Value::Array(a)) => a.iter().flat_map(|x| names(Some(x))).collect(),
        _ => Vec::new(),
    }
}

fn first_image(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => clean(s),
        Value::Object(o) => o
            .get("url")
            .or_else(|| o.get("contentUrl"))
            .and_then(Value::as_str)
            .and_then(clean),
        Value::Array(a) => a.iter().find_map(|x| first_image(Some(x))),
        _ => None,
    }
}

const SEPARATORS: &[&str] = &[" - ", " – ", " — ", " | ", " · ", " :: ", " » ", ": "];

fn strip_site_name(raw: &str, site: Option<&str>) -> String {
    let raw = fold_whitespace(raw);
    let Some(site) = site.map(fold_whitespace).filter(|s| !s.is_empty()) else {
        return raw;
    };
    for sep in SEPARATORS {
        if let Some(rest) = raw.strip_prefix(&format!("{site}{sep}")) {
            return rest.trim().to_string();
        }
        if let Some(rest) = raw.strip_suffix(&format!("{sep}{site}")) {
            return rest.trim().to_string();
        }
    }
    raw
}

/// "X X" (the same words twice, as some pages render hidden copies) becomes "X".
fn undouble(s: &str) -> String {
    let words: Vec<&str> = s.split_whitespace().collect();
    let n = words.len();
    if n >= 4 && n.is_multiple_of(2) && words[..n / 2] == words[n / 2..] {
        return words[..n / 2].join(" ");
    }
    s.to_string()
}

fn strip_von(s: &str) -> String {
    let t = fold_whitespace(s);
    for p in ["Von ", "von ", "By ", "by "] {
        if let Some(r) = t.strip_prefix(p) {
            return r.trim().to_string();
        }
    }
    t
}

fn error_page_title(m: &Meta) -> Option<String> {
    const PHRASES: &[&str] = &[
        "seite nicht gefunden",
        "page not found",
        "seite existiert nicht",
        "seite wurde nicht gefunden",
        "artikel nicht gefunden",
        "artikel ist nicht mehr verfügbar",
        "fehler 404",
        "error 404",
        "404 not found",
    ];
    [&m.h1, &m.title_tag, &m.og_title]
        .into_iter()
        .flatten()
        .find_map(|t| {
            let l = t.to_lowercase();
            let is_404 = l.split(|c: char| !c.is_alphanumeric()).any(|w| w == "404")
                && l.chars().count() < 60;
            (PHRASES.iter().any(|p| l.contains(p)) || is_404).then(|| t.clone())
        })
}

fn paywall_marker(doc: &Html, m: &Meta) -> Option<String> {
    if m.free == Some(false) {
        return Some("JSON-LD says isAccessibleForFree: false".to_string());
    }
    if doc
        .select(&sel(
            "[class*=paywall], [id*=paywall], [class*=Paywall], [data-paywall]",
        ))
        .next()
        .is_some()
    {
        return Some("page has a paywall element".to_string());
    }
    const PHRASES: &[&str] = &[
        "jetzt abonnieren und weiterlesen",
        "weiterlesen mit",
        "nur für abonnenten",
        "exklusiv für abonnenten",
        "abo abschließen",
        "sie haben bereits ein abo",
        "subscribe to continue",
        "um diesen artikel zu lesen",
        "um den vollständigen artikel zu lesen",
    ];
    let text = element_text(doc.root_element()).to_lowercase();
    PHRASES
        .iter()
        .find(|p| text.contains(*p))
        .map(|p| format!("page asks to subscribe (\"{p}\")"))
}

// ---------------------------------------------------------------------------------------
// Main image
// ---------------------------------------------------------------------------------------

#[derive(Default)]
struct Figure {
    url: Option<String>,
    caption: Option<String>,
    credit: Option<String>,
    /// Caption line texts as they appear on the page, to drop them from the body.
    texts: Vec<String>,
}

fn main_figure(doc: &Html, scan: &TeaserScan<'_>, base: &Url) -> Figure {
    let outside_teasers = |e: &ElementRef| !inside_any(*e, &scan.skip);
    let fig = doc
        .select(&sel("article figure, main figure, figure"))
        .find(outside_teasers);
    let mut f = Figure::default();
    let cap_el = match fig {
        Some(fig) => {
            f.url = doc_img(fig, base);
            fig.select(&sel("figcaption")).next()
        }
        None => doc
            .select(&sel(
                "[class*=caption], [class*=Caption], [class*=bildunterschrift]",
            ))
            .find(outside_teasers)
            .or_else(|| {
                // Plain markup: a short line with a photo credit right next to a picture.
                doc.select(&sel("p, div, span"))
                    .filter(outside_teasers)
                    .find(|e| {
                        !has_block_child(*e)
                            && is_credit_line(&element_text(*e))
                            && e.ancestors()
                                .take(2)
                                .filter_map(ElementRef::wrap)
                                .any(|a| a.select(&sel("img")).next().is_some())
                    })
            }),
    };
    if f.url.is_none() && fig.is_none() {
        // Without <figure>, the picture sits next to its caption element, or first in the article.
        let near_caption = cap_el.and_then(|c| {
            c.ancestors()
                .take(3)
                .filter_map(ElementRef::wrap)
                .find_map(|a| doc_img(a, base))
        });
        f.url = near_caption.or_else(|| {
            doc.select(&sel("article img, main img"))
                .find(outside_teasers)
                .and_then(|i| first_img_url(i, base))
                .map(|u| u.to_string())
        });
    }
    let Some(cap_el) = cap_el else {
        return f;
    };
    let full = element_text(cap_el);
    f.texts.push(full.clone());
    let scope = fig.unwrap_or(cap_el);
    let credit_el = scope
        .select(&sel(
            "[class*=credit], [class*=copyright], [class*=Credit], small, cite",
        ))
        .next();
    if let Some(ce) = credit_el {
        let ct = element_text(ce);
        let (rest, cr) = split_credit(&ct);
        f.credit = cr.or(rest);
        let caption_only = fold_whitespace(full.replace(&ct, " ").trim());
        f.caption = split_credit(&caption_only).0;
        f.texts.push(caption_only);
        f.texts.push(ct);
    } else {
        let (cap, cr) = split_credit(&full);
        f.caption = cap;
        f.credit = cr;
    }
    f
}

fn doc_img(fig: ElementRef<'_>, base: &Url) -> Option<String> {
    fig.select(&sel("img"))
        .find_map(|i| first_img_url(i, base))
        .map(|u| u.to_string())
}

// ---------------------------------------------------------------------------------------
// Body
// ---------------------------------------------------------------------------------------

const BLOCK_TAGS: &[&str] = &[
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

/// Containers that are never article text.
const SKIP_TAGS: &[&str] = &[
    "nav",
    "footer",
    "header",
    "aside",
    "form",
    "script",
    "style",
    "noscript",
    "template",
    "figure",
    "figcaption",
    "button",
    "svg",
    "iframe",
    "select",
    "h1",
    "menu",
    "dialog",
];

/// One paragraph-like piece of the body.
struct Block {
    html: String,
    text: String,
    /// A paragraph (not a heading, quote or list item): candidates for the lead.
    paragraph: bool,
    /// Mostly link text: a teaser title or navigation entry rather than prose.
    linked: bool,
    list_item: bool,
}

struct BlockFilter {
    headline: Option<String>,
    caption_texts: Vec<String>,
    teaser_texts: Vec<String>,
    labels: Vec<String>,
    known_byline: Option<String>,
    found_byline: Option<String>,
}

/// Class or id words that mark page furniture containers.
static FURNITURE_CLASS: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(^|[\s_-])(share|sharing|social|newsletter|cookie|consent|advert|ad|ads|anzeige|banner|fontsize|font-size|textsize|text-size|print|toolbar|caption|credit|breadcrumb|related|recommend|comments?|paywall|subscribe)($|[\s_-])",
    )
    .expect("static regex")
});

static AGENCY_BYLINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^\p{Lu}[\p{L}.\- ]{0,40}--\p{Lu}{2,8}$").expect("static regex"));

static VON_BYLINE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(?:Von|von|By|by)\s+\p{Lu}[\p{L}.\-]*(?:\s+[\p{L}.\-]+){0,3}(?:\s*(?:,|/|und|and)\s*[\p{L}.\- ]+){0,3}$")
        .expect("static regex")
});

/// Whole-block furniture texts (compared after [`normalize_label`]).
const FURNITURE_EXACT: &[&str] = &[
    "textgröße ändern",
    "schriftgröße ändern",
    "schriftgröße",
    "textgröße",
    "teilen",
    "artikel teilen",
    "drucken",
    "artikel drucken",
    "auf facebook teilen",
    "auf x teilen",
    "auf twitter teilen",
    "per e-mail teilen",
    "per whatsapp teilen",
    "newsletter abonnieren",
    "anzeige",
    "werbung",
    "vorlesen",
    "artikel anhören",
    "merken",
    "kommentare",
    "zur startseite",
    "nach oben",
    "share",
    "print",
    "advertisement",
];

/// Words that make a short, unpunctuated block furniture ("Teilen Drucken Mailen").
const FURNITURE_WORDS: &[&str] = &[
    "textgröße",
    "schriftgröße",
    "teilen",
    "drucken",
    "newsletter",
    "anzeige",
    "abonnieren",
    "vorlesen",
    "lesezeit",
    "facebook",
    "whatsapp",
];

impl BlockFilter {
    fn is_furniture(text: &str) -> bool {
        if is_credit_line(text) {
            return true;
        }
        let n = normalize_label(text);
        if FURNITURE_EXACT.contains(&n.as_str()) {
            return true;
        }
        let words = n.split_whitespace().count();
        let ends_sentence = n.ends_with(['.', '!', '?', '"', '“', '«']);
        if words <= 6 && !ends_sentence && FURNITURE_WORDS.iter().any(|w| n.contains(w)) {
            return true;
        }
        let len = n.chars().count();
        (n.contains("cookie")
            && len < 400
            && [
                "akzeptieren",
                "zustimmen",
                "verwenden",
                "einwilligung",
                "accept",
            ]
            .iter()
            .any(|w| n.contains(w)))
            || (n.contains("newsletter")
                && len < 300
                && ["abonnieren", "anmelden", "bestellen"]
                    .iter()
                    .any(|w| n.contains(w)))
    }

    fn is_byline(&mut self, text: &str) -> bool {
        if let Some(b) = &self.known_byline {
            if text == b || strip_von(text) == *b {
                return true;
            }
        }
        if AGENCY_BYLINE.is_match(text) {
            self.found_byline.get_or_insert_with(|| text.to_string());
            return true;
        }
        if text.chars().count() <= 80 && VON_BYLINE.is_match(text) {
            self.found_byline.get_or_insert_with(|| strip_von(text));
            return true;
        }
        false
    }
}

fn body_blocks(
    doc: &Html,
    text: &str,
    page_url: &Url,
    rules: &ExtractRules,
    scan: &TeaserScan<'_>,
    filter: &mut BlockFilter,
) -> Result<Vec<Block>, ArticleError> {
    let mut raw: Vec<Block> = Vec::new();
    if let Some(body_sel) = &rules.body {
        let s = parse_selector(body_sel)?;
        for root in doc.select(&s) {
            collect_blocks(root, &scan.skip, &mut raw);
        }
        return Ok(filter_blocks(raw, filter));
    }
    if let Some(content) = readability_content(text, page_url) {
        let frag = Html::parse_fragment(&content);
        collect_blocks(frag.root_element(), &HashSet::new(), &mut raw);
        let blocks = filter_blocks(raw, filter);
        if blocks.iter().map(|b| b.text.chars().count()).sum::<usize>() >= MIN_BODY_CHARS {
            return Ok(blocks);
        }
        raw = Vec::new();
    }
    // Readability found nothing usable: take the most likely container ourselves.
    let root = doc
        .select(&sel("[itemprop=articleBody]"))
        .next()
        .or_else(|| doc.select(&sel("article")).next())
        .or_else(|| doc.select(&sel("main")).next())
        .or_else(|| doc.select(&sel("body")).next())
        .unwrap_or_else(|| doc.root_element());
    collect_blocks(root, &scan.skip, &mut raw);
    Ok(filter_blocks(raw, filter))
}

fn readability_content(text: &str, page_url: &Url) -> Option<String> {
    let cfg = dom_smoothie::Config {
        keep_classes: true,
        char_threshold: MIN_BODY_CHARS,
        ..Default::default()
    };
    let mut r = dom_smoothie::Readability::new(text, Some(page_url.as_str()), Some(cfg)).ok()?;
    let art = r.parse().ok()?;
    Some(art.content.to_string())
}

fn is_skipped(el: ElementRef<'_>, skip: &HashSet<usize>) -> bool {
    let v = el.value();
    if SKIP_TAGS.contains(&v.name())
        || v.attr("hidden").is_some()
        || v.attr("aria-hidden") == Some("true")
    {
        return true;
    }
    let class_id = format!(
        "{} {}",
        v.attr("class").unwrap_or(""),
        v.attr("id").unwrap_or("")
    );
    if FURNITURE_CLASS.is_match(&class_id) {
        return true;
    }
    skip.contains(&node_key(el))
}

fn has_block_child(el: ElementRef<'_>) -> bool {
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

fn collect_blocks(root: ElementRef<'_>, skip: &HashSet<usize>, out: &mut Vec<Block>) {
    // Explicit stack instead of recursion: nesting depth is under the page's control.
    let mut stack: Vec<ElementRef> = root.child_elements().collect();
    stack.reverse();
    while let Some(el) = stack.pop() {
        if is_skipped(el, skip) {
            continue;
        }
        let name = el.value().name();
        let block_child = has_block_child(el);
        let leaf_div = matches!(name, "div" | "section" | "span") && !block_child;
        if matches!(name, "ul" | "ol")
            || !(BLOCK_TAGS.contains(&name) || leaf_div)
            || (name != "p" && block_child && !matches!(name, "li" | "blockquote"))
        {
            let before = stack.len();
            stack.extend(el.child_elements());
            stack[before..].reverse();
            continue;
        }
        let text = element_text(el);
        if text.is_empty() {
            continue;
        }
        // A short line around a <time> is the dateline, not text.
        if text.chars().count() < 100 && el.select(&TIME).next().is_some() {
            continue;
        }
        let link_chars: usize = el
            .select(&ANCHOR)
            .map(|a| element_text(a).chars().count())
            .sum();
        let inner = el.inner_html();
        let (html, paragraph) = match name {
            "p" | "div" | "section" | "span" => (format!("<p>{}</p>", inner.trim()), true),
            "li" => (format!("<li>{}</li>", inner.trim()), false),
            _ => (format!("<{name}>{}</{name}>", inner.trim()), false),
        };
        out.push(Block {
            linked: link_chars * 10 >= text.chars().count() * 8,
            list_item: name == "li",
            html,
            text,
            paragraph,
        });
    }
}

static TIME: LazyLock<Selector> = LazyLock::new(|| sel("time"));
static ANCHOR: LazyLock<Selector> = LazyLock::new(|| sel("a"));

fn filter_blocks(raw: Vec<Block>, f: &mut BlockFilter) -> Vec<Block> {
    let mut kept: Vec<Block> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for b in raw {
        let n = normalize_label(&b.text);
        if f.labels.contains(&n) {
            // Everything after the teaser label is the teaser section and the page foot.
            if kept.iter().any(|k| k.paragraph) {
                break;
            }
            continue;
        }
        if BlockFilter::is_furniture(&b.text)
            || f.headline.as_deref().is_some_and(|h| h == b.text)
            || f.caption_texts.contains(&b.text)
            || f.teaser_texts.contains(&b.text)
            || seen.contains(&b.text)
            || f.is_byline(&b.text)
        {
            continue;
        }
        seen.insert(b.text.clone());
        kept.push(b);
    }
    kept
}

/// Texts inside teaser cards anywhere on the page: a linked heading and what sits with it in
/// the largest element holding no other link. A "body" made of these is an index page.
fn card_texts(doc: &Html, base: &Url, page: &Url) -> HashSet<String> {
    let mut out = HashSet::new();
    let mut units: HashSet<usize> = HashSet::new();
    for h in doc.select(&sel("h1 a[href], h2 a[href], h3 a[href], h4 a[href], a[href] h1, a[href] h2, a[href] h3, a[href] h4")) {
        let mut unit = h;
        while let Some(parent) = unit.parent().and_then(ElementRef::wrap) {
            if matches!(parent.value().name(), "body" | "html") || teaser::distinct_links(parent, base, page) > 1 {
                break;
            }
            unit = parent;
        }
        if !units.insert(node_key(unit)) {
            continue;
        }
        for e in unit.descendants().filter_map(ElementRef::wrap) {
            let n = e.value().name();
            if n == "p" || teaser::heading_level(e).is_some() || (matches!(n, "div" | "span") && !has_block_child(e)) {
                out.insert(element_text(e));
            }
        }
    }
    out
}

fn join_html(blocks: &[Block]) -> String {
    let mut out = String::new();
    let mut in_list = false;
    for b in blocks {
        if b.list_item && !in_list {
            out.push_str("<ul>");
            in_list = true;
        } else if !b.list_item && in_list {
            out.push_str("</ul>\n");
            in_list = false;
        }
        out.push_str(&b.html);
        if !b.list_item {
            out.push('\n');
        }
    }
    if in_list {
        out.push_str("</ul>\n");
    }
    out.trim_end().to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_credit_forms() {
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            (
                "Putin in Pjöngjang / Foto: © POOL/AFP",
                Some("Putin in Pjöngjang"),
                Some("POOL/AFP"),
            ),
            ("Foto: dpa", None, Some("dpa")),
            ("(c) Reuters", None, Some("Reuters")),
            ("Bild: Max Muster/dpa", None, Some("Max Muster/dpa")),
            (
                "Hafen von Kiel © Stadtwerke Kiel",
                Some("Hafen von Kiel"),
                Some("Stadtwerke Kiel"),
            ),
            (
                "Der Rat tagt. Quelle: Stadt Ulm",
                // The caption is a sentence and keeps its full stop.
                Some("Der Rat tagt."),
                Some("Stadt Ulm"),
            ),
            (
                "Kinder im Park (Foto: epd)",
                Some("Kinder im Park"),
                Some("epd"),
            ),
            ("Ein Bild ohne Angabe", Some("Ein Bild ohne Angabe"), None),
            ("  ", None, None),
        ];
        for (input, cap, credit) in cases {
            assert_eq!(
                split_credit(input),
                (cap.map(str::to_string), credit.map(str::to_string)),
                "input {input:?}"
            );
        }
    }

    #[test]
    fn strips_site_name_and_repeats() {
        assert_eq!(
            strip_site_name("Zeitung - Streik in Bremen", Some("Zeitung")),
            "Streik in Bremen"
        );
        assert_eq!(
            strip_site_name("Streik in Bremen | Zeitung", Some("Zeitung")),
            "Streik in Bremen"
        );
        assert_eq!(
            strip_site_name("Streik in Bremen – Zeitung", Some("Zeitung")),
            "Streik in Bremen"
        );
        assert_eq!(
            undouble("Streik in Bremen Streik in Bremen"),
            "Streik in Bremen"
        );
        assert_eq!(undouble("Bremen Bremen"), "Bremen Bremen");
    }

    #[test]
    fn recognises_furniture_but_not_prose() {
        assert!(BlockFilter::is_furniture("Textgröße ändern:"));
        assert!(BlockFilter::is_furniture("Teilen Drucken"));
        assert!(BlockFilter::is_furniture("Newsletter abonnieren"));
        assert!(!BlockFilter::is_furniture("Beide Länder teilen die Sorge."));
        assert!(!BlockFilter::is_furniture(
            "Die Anzeige gegen den Bürgermeister wurde zurückgezogen, sagte ein Sprecher."
        ));
    }

    #[test]
    fn parses_date_forms() {
        let want = "2026-03-04T08:15:00Z".parse::<DateTime<Utc>>().ok();
        assert_eq!(parse_date("2026-03-04T09:15:00+01:00"), want);
        assert_eq!(parse_date("2026-03-04T09:15:00+0100"), want);
        assert_eq!(parse_date("2026-03-04T08:15:00"), want);
        assert_eq!(parse_date("kein Datum"), None);
    }

    #[test]
    fn sniffs_charset_from_meta() {
        assert_eq!(
            sniff_charset("<meta charset=\"windows-1252\">"),
            Some("windows-1252")
        );
        assert_eq!(
            sniff_charset(
                "<meta http-equiv=\"content-type\" content=\"text/html; charset=iso-8859-1\">"
            ),
            Some("iso-8859-1")
        );
        assert_eq!(
            decode_html(b"<meta charset=\"windows-1252\"><p>Gr\xfc\xdfe</p>"),
            "<meta charset=\"windows-1252\"><p>Grüße</p>"
        );
    }

    #[test]
    fn validates_selectors() {
        assert!(validate_selector("div.article-body > p").is_ok());
        assert!(validate_selector("div[").is_err());
        assert!(validate_selector(" ").is_err());
    }
}
