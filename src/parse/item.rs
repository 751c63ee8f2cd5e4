//! What every feed format shares: the error type, and the helpers that turn a format's
//! fields into an [`Item`] the same way (plain text, HTML with absolute links, language
//! tags, links, the rule for items without a title).

use std::borrow::Cow;
use std::sync::LazyLock;

use feed_rs::model::Text;
use regex::Regex;
use url::Url;

use crate::model::{Item, ParsedFeed};
use crate::text::{fold_whitespace, html_to_text, truncate_words};

/// Length of a title made up from an item's text when the item has none.
pub(crate) const TITLE_FROM_TEXT_CHARS: usize = 80;

/// How much of the body an error message quotes.
pub(crate) const QUOTE_CHARS: usize = 40;

/// Why a body could not be read as a feed. Every message says what was found and what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeedError {
    /// Nothing but whitespace (or nothing at all) came back.
    #[error("the feed body is empty; the source sent no content (check that the URL still serves a feed)")]
    Empty,
    /// The body is something else: an HTML page, another XML document, plain text.
    #[error(
        "the source sent {found}, not a feed (it starts with {start:?}); check the source's URL"
    )]
    NotAFeed { found: String, start: String },
    /// The document ends before its root element is closed.
    #[error("the feed is truncated: it ends after {len} bytes without {missing}; the transfer was probably cut off, the next poll will try again")]
    Truncated { len: usize, missing: String },
    /// XML that is not well-formed, or a feed structure feed-rs cannot use.
    #[error("the feed is not well-formed{}: {reason}", at(*line, *column))]
    Malformed {
        reason: String,
        line: Option<usize>,
        column: Option<usize>,
    },
    /// The XML declaration names an encoding we have no decoder for.
    #[error("the feed declares the encoding {label:?}, which wirefeed cannot decode; ask the source for UTF-8")]
    UnsupportedEncoding { label: String },
    /// A body starting with `{` that is not valid JSON (or has fields of the wrong type).
    #[error("the JSON Feed is invalid at line {line}, column {column}: {reason}")]
    InvalidJson {
        reason: String,
        line: usize,
        column: usize,
    },
    /// A JSON Feed of a version we do not know.
    #[error("the JSON document declares version {version:?}, which is not JSON Feed 1.0 or 1.1")]
    UnsupportedVersion { version: String },
    /// An agency delivery (ninjs, NewsML-G2, NITF) that cannot be used.
    #[error(transparent)]
    Agency(#[from] super::agency::AgencyError),
}

pub(crate) fn at(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

pub(crate) fn quote(s: &str) -> String {
    let first_line = s.trim_start().lines().next().unwrap_or("");
    first_line.chars().take(QUOTE_CHARS).collect()
}

/// Plain text with HTML entities decoded and whitespace folded.
pub(crate) fn plain_text(s: &str) -> String {
    if s.contains('&') {
        fold_whitespace(&html_escape::decode_html_entities(s))
    } else {
        fold_whitespace(s)
    }
}

pub(crate) fn dedup(values: impl Iterator<Item = String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in values {
        if !v.is_empty() && !out.contains(&v) {
            out.push(v);
        }
    }
    out
}

/// A language tag in the usual BCP 47 case (`de-DE`, `sr-Latn-RS`); feed-rs lowercases
/// RSS `<language>`, and feeds write `de_de` or `DE`.
pub(crate) fn clean_lang(s: &str) -> Option<String> {
    let t = s.trim();
    if t.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(t.len());
    for (i, part) in t.split(['-', '_']).enumerate() {
        if i > 0 {
            out.push('-');
        }
        let alpha = part.bytes().all(|b| b.is_ascii_alphabetic());
        match (i, part.len()) {
            (0, _) => out.push_str(&part.to_ascii_lowercase()),
            (_, 2) if alpha => out.push_str(&part.to_ascii_uppercase()),
            (_, 4) if alpha => {
                out.push_str(&part[..1].to_ascii_uppercase());
                out.push_str(&part[1..].to_ascii_lowercase());
            }
            _ => out.push_str(&part.to_ascii_lowercase()),
        }
    }
    Some(out)
}

/// An HTML field: plain text escaped, HTML with relative `href`/`src` made absolute.
pub(crate) fn html_field(body: &str, plain: bool, base: &Url) -> Option<String> {
    if body.trim().is_empty() {
        return None;
    }
    if plain {
        // Blank lines separate paragraphs in plain text (JSON Feed `content_text`); they
        // would collapse into one in HTML, so each becomes a <p>.
        let body = body.trim().replace("\r\n", "\n");
        let paragraphs: Vec<&str> = body
            .split("\n\n")
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if paragraphs.len() < 2 {
            return Some(html_escape::encode_text(&body).into_owned());
        }
        return Some(
            paragraphs
                .iter()
                .map(|p| format!("<p>{}</p>", html_escape::encode_text(p)))
                .collect(),
        );
    }
    Some(absolutize_html(body, base))
}

static URL_ATTR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)\b(href|src)(\s*=\s*)("([^"]*)"|'([^']*)')"#).expect("static regex")
});

pub(crate) fn absolutize_html(html: &str, base: &Url) -> String {
    if !html.contains("=") {
        return html.to_string();
    }
    URL_ATTR
        .replace_all(html, |c: &regex::Captures<'_>| {
            let value = c.get(4).or_else(|| c.get(5)).map_or("", |m| m.as_str());
            let quote = if c.get(4).is_some() { '"' } else { '\'' };
            let value = match is_relative(value)
                .then(|| base.join(value.trim()).ok())
                .flatten()
            {
                Some(abs) => Cow::Owned(abs.to_string()),
                None => Cow::Borrowed(value),
            };
            format!("{}{}{quote}{value}{quote}", &c[1], &c[2])
        })
        .into_owned()
}

fn is_relative(v: &str) -> bool {
    let v = v.trim();
    if v.is_empty() || v.starts_with('#') {
        return false;
    }
    match v.find([':', '/', '?', '#']) {
        Some(p) if v.as_bytes()[p] == b':' => !v[..p]
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b)),
        _ => true,
    }
}

/// What relative item links and URLs in item content resolve against when no `xml:base`
/// says otherwise: the URL the feed was fetched from (after redirects), as RFC 3986 5.1.3
/// and the core issue ask, even when the feed names another site as its own link. A spool
/// file has no such URL (`fetched` is `file://`), so there the feed's own link stands in.
pub(crate) fn relative_base<'a>(fetched: &'a Url, own_link: Option<&'a Url>) -> &'a Url {
    match own_link {
        Some(own) if !matches!(fetched.scheme(), "http" | "https") => own,
        _ => fetched,
    }
}

pub(crate) fn resolve(href: &str, base: &Url) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let url = base.join(href).ok()?;
    (!matches!(url.scheme(), "javascript" | "data" | "mailto")).then_some(url)
}

/// The rule for what is published (README, "What is published"): an item a reader can see
/// something of, a title, text to make one from, or a link with a picture or file. An item
/// with neither link nor guid is published too; the store knows it by its content (its
/// exact fingerprint gives its story id, so the same item delivered again is the same
/// story). Anything else is left out, and the reason recorded for the log.
pub(crate) fn accept(mut item: Item, n: usize, out: &mut ParsedFeed) {
    if item.title.is_empty() {
        let text = item
            .summary_html
            .as_deref()
            .or(item.content_html.as_deref())
            .map(|h| fold_whitespace(&html_to_text(h)))
            .unwrap_or_default();
        if !text.is_empty() {
            item.title = truncate_words(&text, TITLE_FROM_TEXT_CHARS);
        } else if let Some(title) = item.link.is_some().then(|| media_title(&item)).flatten() {
            item.title = title;
        } else {
            let id = item
                .guid
                .clone()
                .or_else(|| item.link.as_ref().map(Url::to_string))
                .map(|id| format!(" ({id})"))
                .unwrap_or_default();
            out.skipped.push(format!(
                "item {n}{id}: nothing a reader could see (no title, no text, and no link with a picture or file), so it is not published"
            ));
            return;
        }
    }
    out.items.push(item);
}

/// A title for an item that is only a link and a picture or file: the picture's caption,
/// else the file's name ("folge-12.mp3").
fn media_title(item: &Item) -> Option<String> {
    if let Some(caption) = item.image.as_ref().and_then(|i| i.caption.as_deref()) {
        return Some(truncate_words(caption, TITLE_FROM_TEXT_CHARS));
    }
    let url = item
        .image
        .as_ref()
        .map(|i| i.url.as_str())
        .or_else(|| item.enclosures.first().map(|e| e.url.as_str()))?;
    let url = Url::parse(url).ok()?;
    let name = url.path_segments()?.rev().find(|s| !s.is_empty())?;
    let name = plain_text(&percent_decode(name));
    (!name.is_empty()).then_some(name)
}

fn percent_decode(s: &str) -> String {
    url::form_urlencoded::parse(format!("x={s}").as_bytes())
        .next()
        .map_or_else(|| s.to_string(), |(_, v)| v.into_owned())
}

pub(crate) fn truncated(s: &str, missing: &str) -> FeedError {
    FeedError::Truncated {
        len: s.len(),
        missing: missing.to_string(),
    }
}

/// Titles are plain text; markup that reached them (escaped tags, HTML entities the XML
/// layer left alone) is stripped or decoded.
pub(crate) fn title_text(t: &Text) -> String {
    let plain = t.content_type.subty().as_str() == "plain";
    if plain && !looks_like_markup(&t.content) {
        plain_text(&t.content)
    } else {
        fold_whitespace(&html_to_text(&t.content))
    }
}

/// A `<` that opens an HTML element a title may carry (`<b>`, `</em>`, `<br/>`) or a comment
/// is markup; "Inzidenz < 100" is not, and neither is "Rathaus <Neubau>", which a reader
/// must see with its brackets.
fn looks_like_markup(s: &str) -> bool {
    const TITLE_TAGS: &[&str] = &[
        "a", "abbr", "b", "bdi", "bdo", "big", "br", "cite", "code", "del", "dfn", "em", "font",
        "i", "img", "ins", "kbd", "mark", "nobr", "p", "q", "s", "samp", "small", "span", "strike",
        "strong", "sub", "sup", "time", "tt", "u", "var", "wbr",
    ];
    s.match_indices('<').any(|(at, _)| {
        let rest = &s[at + 1..];
        if rest.starts_with('!') {
            return true;
        }
        let rest = rest.strip_prefix('/').unwrap_or(rest);
        let name_len = rest
            .find(|c: char| !c.is_ascii_alphanumeric())
            .unwrap_or(rest.len());
        let after = rest[name_len..].chars().next();
        name_len > 0
            && matches!(after, None | Some('>' | '/' | ' ' | '\t' | '\n' | '\r'))
            && TITLE_TAGS.contains(&rest[..name_len].to_ascii_lowercase().as_str())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angle_brackets_in_a_title_are_text_unless_they_are_tags() {
        assert!(!looks_like_markup("Inzidenz < 100"));
        assert!(!looks_like_markup("Rathaus <Neubau>: Entwurf & Kosten"));
        assert!(looks_like_markup("Wahl <b>live</b>"));
        assert!(looks_like_markup("Zeile<br/>zwei"));
        assert!(looks_like_markup("<!-- x -->Titel"));
        assert!(looks_like_markup("Zitat <Q>"));
    }

    #[test]
    fn language_tags_get_bcp47_case() {
        assert_eq!(clean_lang(" de-de ").as_deref(), Some("de-DE"));
        assert_eq!(clean_lang("DE").as_deref(), Some("de"));
        assert_eq!(clean_lang("sr_latn_rs").as_deref(), Some("sr-Latn-RS"));
        assert_eq!(clean_lang("es-419").as_deref(), Some("es-419"));
        assert_eq!(clean_lang("  "), None);
    }

    #[test]
    fn relative_urls_in_html_become_absolute() {
        let base = Url::parse("https://nachrichten.example/politik/").expect("url");
        let html = r##"<a href="/a.html">x</a><img src='bild.jpg'><a href="https://x.example/">y</a><a href="#top">t</a><a href="mailto:r@x.example">m</a>"##;
        assert_eq!(
            absolutize_html(html, &base),
            r##"<a href="https://nachrichten.example/a.html">x</a><img src='https://nachrichten.example/politik/bild.jpg'><a href="https://x.example/">y</a><a href="#top">t</a><a href="mailto:r@x.example">m</a>"##
        );
    }
}
