//! Feed formats (RSS 0.9x/1.0/2.0, Atom, JSON Feed) read into `Item`s.
//!
//! The format is told from the content alone. XML feeds are read with feed-rs after a
//! cheap preparation pass that only copies the body when it must: transcoding a declared
//! legacy encoding, or rewriting a root element feed-rs would reject (an `<rss>` without a
//! usual `version`, the Atom 0.3 and RSS 0.90 namespaces). JSON Feed is read with our own
//! serde structs because feed-rs drops item images and languages and rejects numeric ids.
//! Whether a document was cut off is decided by us, not by feed-rs: a feed whose root
//! element is not closed is an error, never a partial item list.

use std::borrow::Cow;
use std::sync::LazyLock;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};
use feed_rs::model::{Entry, Feed, Link, MediaObject, Text};
use feed_rs::parser::{ParseErrorKind, ParseFeedError};
use regex::Regex;
use serde::Deserialize;
use url::Url;

use crate::model::{Enclosure, Image, Item, ParsedFeed};
use crate::text::{fold_whitespace, html_to_text, truncate_words};

/// Length of a title made up from an item's text when the item has none.
const TITLE_FROM_TEXT_CHARS: usize = 80;

/// How much of the body an error message quotes.
const QUOTE_CHARS: usize = 40;

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

fn at(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

/// Reads one fetched feed body into items.
///
/// `base` is where the body came from (the feed URL, or a `file://` URL for spool files).
/// Relative links resolve against `xml:base`, else the feed's own link, else `base`.
/// Items without link and guid, or without any title or text, are left out and the reason
/// is recorded in [`ParsedFeed::skipped`]. A feed with no items is `Ok` with no items.
pub fn parse_feed(body: &[u8], base: &Url) -> Result<ParsedFeed, FeedError> {
    let text = decode(body)?;
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\0');
    // Agency formats (IPTC ninjs, NewsML-G2, NITF) are told apart by content as well.
    if let Some(agency) = super::agency::parse(trimmed, base) {
        return agency.map_err(FeedError::Agency);
    }
    match trimmed.as_bytes().first() {
        None => Err(FeedError::Empty),
        Some(b'{') => parse_json(trimmed, base),
        Some(b'<') => parse_xml(trimmed, base),
        Some(_) => Err(FeedError::NotAFeed {
            found: "text that is neither XML nor JSON".into(),
            start: quote(trimmed),
        }),
    }
}

fn quote(s: &str) -> String {
    let first_line = s.trim_start().lines().next().unwrap_or("");
    first_line.chars().take(QUOTE_CHARS).collect()
}

// ---------------------------------------------------------------------------------------
// Encoding

/// The body as UTF-8 text. Borrowed unless a BOM'd UTF-16 body or a declared legacy
/// encoding forces a transcode; then the XML declaration is dropped so the parser does not
/// decode the already decoded text a second time.
fn decode(body: &[u8]) -> Result<Cow<'_, str>, FeedError> {
    if let Some((enc, bom_len)) = encoding_rs::Encoding::for_bom(body) {
        let rest = &body[bom_len..];
        if enc == encoding_rs::UTF_8 {
            return Ok(utf8(rest));
        }
        let (decoded, _) = enc.decode_without_bom_handling(rest);
        return Ok(Cow::Owned(drop_declaration(&decoded).to_string()));
    }
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    let rest = &body[start..];
    if rest.starts_with(b"<?xml") {
        if let Some(label) = declared_encoding(rest) {
            let enc = encoding_rs::Encoding::for_label(label.as_bytes()).ok_or_else(|| {
                FeedError::UnsupportedEncoding {
                    label: label.to_string(),
                }
            })?;
            // A declaration we could read byte-wise is in an ASCII-compatible encoding,
            // whatever it claims (a "UTF-16" label here is a lie); read it as UTF-8 then.
            // encoding_rs maps ISO-8859-1 to windows-1252, as browsers do.
            if enc != encoding_rs::UTF_8 && enc.is_ascii_compatible() {
                let after = declaration_end(rest).unwrap_or(0);
                let (decoded, _) = enc.decode_without_bom_handling(&rest[after..]);
                return Ok(decoded);
            }
        }
    }
    Ok(utf8(body))
}

fn utf8(bytes: &[u8]) -> Cow<'_, str> {
    // A feed declared UTF-8 with a few stray Latin-1 bytes is common; keep the rest.
    String::from_utf8_lossy(bytes)
}

fn declaration_end(rest: &[u8]) -> Option<usize> {
    rest.windows(2).position(|w| w == b"?>").map(|p| p + 2)
}

fn drop_declaration(s: &str) -> &str {
    let t = s.trim_start();
    if t.starts_with("<?xml") {
        if let Some(p) = t.find("?>") {
            return &t[p + 2..];
        }
    }
    s
}

/// The `encoding` pseudo-attribute of the XML declaration at the start of `rest`.
fn declared_encoding(rest: &[u8]) -> Option<String> {
    let end = declaration_end(rest)?;
    let decl = std::str::from_utf8(&rest[..end]).ok()?;
    attributes(&decl[5..end - 2])
        .into_iter()
        .find(|a| a.name == "encoding")
        .map(|a| decl[5..][a.value.clone()].trim().to_string())
}

// ---------------------------------------------------------------------------------------
// XML: sniffing and preparation

/// The root element as found by the sniffer.
struct Root<'a> {
    /// Offset of the `<` of the root start tag.
    start: usize,
    /// Offset just past the `>` of the root start tag.
    tag_end: usize,
    qname: &'a str,
    self_closing: bool,
}

impl Root<'_> {
    fn local(&self) -> &str {
        self.qname.rsplit(':').next().unwrap_or(self.qname)
    }
}

/// One attribute inside a start tag: name, and the byte range of its value in the tag text.
struct Attr<'a> {
    name: &'a str,
    value: std::ops::Range<usize>,
}

/// Attributes of the inside of a tag (`name="v" other='w'`), tolerant of junk.
fn attributes(inner: &str) -> Vec<Attr<'_>> {
    let b = inner.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        while i < b.len() && (b[i].is_ascii_whitespace() || b[i] == b'/') {
            i += 1;
        }
        let name_start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() && b[i] != b'=' && b[i] != b'/' {
            i += 1;
        }
        let name = &inner[name_start..i];
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() || b[i] != b'=' {
            if name.is_empty() {
                i += 1;
            }
            continue;
        }
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let q = b[i];
        let value = if q == b'"' || q == b'\'' {
            let vs = i + 1;
            let ve = b[vs..]
                .iter()
                .position(|&c| c == q)
                .map_or(b.len(), |p| vs + p);
            i = (ve + 1).min(b.len());
            vs..ve
        } else {
            let vs = i;
            while i < b.len() && !b[i].is_ascii_whitespace() {
                i += 1;
            }
            vs..i
        };
        if !name.is_empty() {
            out.push(Attr { name, value });
        }
    }
    out
}

/// Offset just past the `>` that ends the tag starting at `from`, skipping quoted values.
fn tag_end(s: &str, from: usize) -> Option<usize> {
    let b = s.as_bytes();
    let mut quote: Option<u8> = None;
    for (i, &c) in b.iter().enumerate().skip(from) {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == b'"' || c == b'\'' => quote = Some(c),
            None if c == b'>' => return Some(i + 1),
            None => {}
        }
    }
    None
}

fn truncated(s: &str, missing: &str) -> FeedError {
    FeedError::Truncated {
        len: s.len(),
        missing: missing.to_string(),
    }
}

fn html_page(s: &str) -> FeedError {
    FeedError::NotAFeed {
        found: "an HTML page".into(),
        start: quote(s),
    }
}

/// Finds the root element, skipping the prolog (declaration, comments, processing
/// instructions, DOCTYPE). HTML pages are recognised here, before any parsing.
fn sniff_root(s: &str) -> Result<Root<'_>, FeedError> {
    let b = s.as_bytes();
    let mut i = 0;
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let rest = &s[i..];
        if rest.is_empty() {
            return Err(truncated(s, "a root element"));
        }
        if !rest.starts_with('<') {
            return Err(FeedError::NotAFeed {
                found: "text before the first element".into(),
                start: quote(s),
            });
        }
        if rest.starts_with("<?") {
            i += rest
                .find("?>")
                .ok_or_else(|| truncated(s, "the end of the XML declaration"))?
                + 2;
        } else if rest.starts_with("<!--") {
            i += rest
                .find("-->")
                .ok_or_else(|| truncated(s, "the end of a comment"))?
                + 3;
        } else if rest.starts_with("<!") {
            let head: String = rest
                .chars()
                .take(14)
                .collect::<String>()
                .to_ascii_lowercase();
            if head.starts_with("<!doctype html") {
                return Err(html_page(s));
            }
            // A DOCTYPE may carry an internal subset in brackets, which contains '>'.
            let close = match (rest.find('['), rest.find('>')) {
                (Some(open), Some(gt)) if open < gt => {
                    let sub = rest[open..].find("]").map(|p| open + p);
                    sub.and_then(|p| rest[p..].find('>').map(|q| p + q))
                }
                (_, gt) => gt,
            };
            i += close.ok_or_else(|| truncated(s, "the end of the DOCTYPE"))? + 1;
        } else {
            let name_end = rest[1..]
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .map_or(rest.len(), |p| p + 1);
            let qname = &rest[1..name_end];
            let end = tag_end(s, i).ok_or_else(|| truncated(s, "the end of the root start tag"))?;
            return Ok(Root {
                start: i,
                tag_end: end,
                qname,
                self_closing: s[..end].ends_with("/>"),
            });
        }
    }
}

/// Rewrites the root start tag where feed-rs would otherwise reject or misread the feed;
/// the body is only copied when a rewrite is needed.
fn prepare<'a>(s: &'a str, root: &Root<'_>) -> Cow<'a, str> {
    let inner_start = root.start + 1 + root.qname.len();
    let inner_end = if root.self_closing {
        root.tag_end - 2
    } else {
        root.tag_end - 1
    };
    let inner = &s[inner_start..inner_end];
    let attrs = attributes(inner);
    let value_of = |name: &str| attrs.iter().find(|a| a.name == name);
    let replace = |range: &std::ops::Range<usize>, with: &str| {
        let (a, b) = (inner_start + range.start, inner_start + range.end);
        Cow::Owned(format!("{}{}{}", &s[..a], with, &s[b..]))
    };
    match root.local() {
        "rss" => match value_of("version") {
            // feed-rs reads only these versions and reports anything else as "no root".
            Some(a) if matches!(&inner[a.value.clone()], "2.0" | "0.91" | "0.92" | "") => {
                Cow::Borrowed(s)
            }
            Some(a) => replace(&a.value, "2.0"),
            None => replace(&(0..0), " version=\"2.0\""),
        },
        "feed" => match value_of("xmlns") {
            Some(a) if &inner[a.value.clone()] == "http://purl.org/atom/ns#" => {
                replace(&a.value, "http://www.w3.org/2005/Atom")
            }
            _ => Cow::Borrowed(s),
        },
        "RDF" => match value_of("xmlns") {
            Some(a) if &inner[a.value.clone()] == "http://my.netscape.com/rss/0.9/" => {
                replace(&a.value, "http://purl.org/rss/1.0/")
            }
            _ => Cow::Borrowed(s),
        },
        _ => Cow::Borrowed(s),
    }
}

/// True when the document ends with the closing tag of its root (comments and whitespace
/// after it allowed), or the closing tag is present with some trailing junk after it.
fn root_is_closed(s: &str, root: &Root<'_>) -> bool {
    if root.self_closing {
        return true;
    }
    let close = format!("</{}", root.qname);
    let mut t = s.trim_end_matches(|c: char| c.is_whitespace() || c == '\0');
    while t.ends_with("-->") {
        match t.rfind("<!--") {
            Some(p) => t = t[..p].trim_end_matches(|c: char| c.is_whitespace() || c == '\0'),
            None => break,
        }
    }
    let closed_at =
        |t: &str, p: usize| p > root.tag_end && t[p + close.len()..].trim_start().starts_with('>');
    if let Some(body) = t.strip_suffix('>') {
        if let Some(p) = body.trim_end().len().checked_sub(close.len()) {
            if body.trim_end().ends_with(&close) && p >= root.tag_end {
                return true;
            }
        }
    }
    // Trailing junk after the root (a PHP warning, say) does not make a feed truncated.
    t.rfind(&close).is_some_and(|p| closed_at(t, p))
}

/// The feed's own link, found by a byte scan of the head (before the first item), so that
/// feed-rs can resolve relative item links against it.
fn own_link(s: &str, root: &Root<'_>, base: &Url) -> Option<Url> {
    let head_end = s[root.tag_end..]
        .find("<item")
        .or_else(|| s[root.tag_end..].find("<entry"))
        .map_or(s.len(), |p| root.tag_end + p);
    let head = &s[root.tag_end..head_end];
    let href = if root.local() == "feed" {
        let mut found = None;
        let mut from = 0;
        while let Some(p) = head[from..].find("<link") {
            let at = from + p;
            let end = tag_end(head, at)?;
            let inner = &head[at + 5..end - 1];
            let attrs = attributes(inner);
            let get = |n: &str| {
                attrs
                    .iter()
                    .find(|a| a.name == n)
                    .map(|a| &inner[a.value.clone()])
            };
            if matches!(get("rel"), None | Some("alternate")) {
                found = get("href");
                if found.is_some() {
                    break;
                }
            }
            from = end;
        }
        found?
    } else {
        let p = head.find("<link>")? + 6;
        let e = head[p..].find("</link>")?;
        head[p..p + e].trim()
    };
    let url = base.join(href).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

// ---------------------------------------------------------------------------------------
// XML: parsing and mapping

fn parse_xml(s: &str, base: &Url) -> Result<ParsedFeed, FeedError> {
    let root = sniff_root(s)?;
    match root.local() {
        "rss" | "RDF" | "feed" | "entry" => {}
        other
            if matches!(
                other.to_ascii_lowercase().as_str(),
                "html" | "head" | "body"
            ) =>
        {
            return Err(html_page(s));
        }
        other => {
            return Err(FeedError::NotAFeed {
                found: format!("an XML document with root element <{other}>"),
                start: quote(&s[root.start..]),
            });
        }
    }
    let prepared = prepare(s, &root);
    // Offsets shift by the rewrite, so sniff the prepared text again (cheap: the prolog).
    let root = sniff_root(&prepared)?;
    let closed = root_is_closed(&prepared, &root);
    let feed_base = own_link(&prepared, &root, base).unwrap_or_else(|| base.clone());

    let missing = || format!("the closing </{}> tag", root.qname);
    if !closed {
        // Whatever feed-rs would make of it, a cut-off document must not become a feed.
        return Err(truncated(&prepared, &missing()));
    }
    // feed-rs unwraps number parses in places (a 25-digit media:thumbnail time panics),
    // so a panic inside it is one more way for a feed to be malformed.
    match run_feed_rs(&prepared, &feed_base) {
        Err(_) => Err(FeedError::Malformed {
            reason: "a value feed-rs cannot read (it gave up on the document)".into(),
            line: None,
            column: None,
        }),
        Ok(Err(e)) => match escape_bare_ampersands(&prepared) {
            // "Müller & Söhne" unescaped is the most common breakage in hand-made feeds;
            // repaired only on this error path, so well-formed feeds pay nothing.
            Some(repaired) => match run_feed_rs(&repaired, &feed_base) {
                Ok(Ok(feed)) => Ok(map_feed(feed, &feed_base, &repaired, root.local())),
                _ => Err(xml_error(e, &prepared)),
            },
            None => Err(xml_error(e, &prepared)),
        },
        Ok(Ok(feed)) => Ok(map_feed(feed, &feed_base, &prepared, root.local())),
    }
}

/// One feed-rs run on a fresh parser: a parser that failed once keeps half-built state
/// (its media-RSS scope) and panics on the next document.
fn run_feed_rs(s: &str, base: &Url) -> std::thread::Result<Result<Feed, ParseFeedError>> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        // feed-rs invents ids (a SipHash of link and title, or a random UUID) for entries
        // without one; an empty id lets us tell "no guid" apart.
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .timestamp_parser(parse_date)
        .build();
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| parser.parse(s.as_bytes())))
}

/// The text with every `&` that does not start an entity or character reference written
/// as `&amp;`, or `None` when there is no such `&`.
fn escape_bare_ampersands(s: &str) -> Option<String> {
    let is_reference = |rest: &str| {
        let body = &rest[1..];
        let end = body.find(';').filter(|&e| e > 0 && e <= 32);
        end.is_some_and(|e| {
            let r = &body[..e];
            match r.strip_prefix('#') {
                Some(n) => match n.strip_prefix(['x', 'X']) {
                    Some(h) => !h.is_empty() && h.bytes().all(|b| b.is_ascii_hexdigit()),
                    None => !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()),
                },
                None => r
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || b == b'.'),
            }
        })
    };
    let mut out: Option<String> = None;
    let mut copied = 0;
    for (i, _) in s.match_indices('&') {
        if is_reference(&s[i..]) {
            continue;
        }
        let o = out.get_or_insert_with(|| String::with_capacity(s.len() + 64));
        o.push_str(&s[copied..i]);
        o.push_str("&amp;");
        copied = i + 1;
    }
    let mut o = out?;
    o.push_str(&s[copied..]);
    Some(o)
}

fn xml_error(e: ParseFeedError, s: &str) -> FeedError {
    match e {
        ParseFeedError::ParseError(ParseErrorKind::NoFeedRoot) => FeedError::Malformed {
            reason: "the root element holds no feed (an <rss> needs a <channel>)".into(),
            line: None,
            column: None,
        },
        ParseFeedError::XmlReader(_) | ParseFeedError::IoError(_) => match locate_xml_error(s) {
            Some((reason, line, column)) => FeedError::Malformed {
                reason,
                line: Some(line),
                column: Some(column),
            },
            None => FeedError::Malformed {
                reason: e.to_string(),
                line: None,
                column: None,
            },
        },
        other => FeedError::Malformed {
            reason: other.to_string(),
            line: None,
            column: None,
        },
    }
}

/// Re-reads a document feed-rs rejected to say where it breaks (error path only).
fn locate_xml_error(s: &str) -> Option<(String, usize, usize)> {
    let mut reader = quick_xml::Reader::from_str(s);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => return None,
            Ok(_) => {}
            Err(e) => {
                let pos = usize::try_from(reader.error_position()).ok()?.min(s.len());
                let mut cut = pos;
                while !s.is_char_boundary(cut) {
                    cut -= 1;
                }
                let before = &s[..cut];
                let line = before.matches('\n').count() + 1;
                let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
                return Some((e.to_string(), line, column));
            }
        }
    }
}

fn map_feed(feed: Feed, base: &Url, raw: &str, root_local: &str) -> ParsedFeed {
    let link = pick_link(&feed.links, base);
    let lang = feed.language.as_deref().and_then(clean_lang);
    // Relative references in item HTML resolve against the root element's xml:base
    // (RFC 4287 2, RFC 3986 5.1) when it has one, else against `base` (see `own_link`).
    let doc_base = root_xml_base(raw, root_local).and_then(|b| base.join(b.trim()).ok());
    let item_base = doc_base.as_ref().unwrap_or(base);
    let mut out = ParsedFeed {
        title: feed
            .title
            .as_ref()
            .map(title_text)
            .filter(|t| !t.is_empty()),
        link: link.clone(),
        lang: lang.clone(),
        ttl: feed.ttl.map(|m| Duration::from_secs(u64::from(m) * 60)),
        items: Vec::with_capacity(feed.entries.len()),
        skipped: Vec::new(),
    };
    let mut items: Vec<Item> = feed
        .entries
        .into_iter()
        .map(|e| map_entry(e, item_base, lang.as_deref()))
        .collect();
    supplement(raw, root_local, &mut items, item_base);
    for (n, item) in items.into_iter().enumerate() {
        accept(item, n + 1, &mut out);
    }
    out
}

/// Fills in what feed-rs reads but drops: an entry's own `xml:lang` (feed-rs only keeps
/// the one on `<content>`), and a `media:thumbnail`/`media:credit` outside any
/// `media:content` (feed-rs only emits media objects that have content). A byte scan of
/// the item start tags and regions, done only when the body uses these at all, and applied
/// only when the scan found exactly as many items as feed-rs did.
fn supplement(raw: &str, root_local: &str, items: &mut [Item], base: &Url) {
    let tag = match root_local {
        "rss" => "item",
        "feed" => "entry",
        _ => return,
    };
    let wants_lang = tag == "entry" && raw.matches("xml:lang").nth(1).is_some();
    let wants_media = raw.contains("<media:thumbnail") || raw.contains("<media:credit");
    if !(wants_lang || wants_media) {
        return;
    }
    let regions = element_regions(raw, tag);
    if regions.len() != items.len() {
        return;
    }
    for (item, (start_inner, body)) in items.iter_mut().zip(regions) {
        if wants_lang {
            let attrs = attributes(start_inner);
            if let Some(a) = attrs.iter().find(|a| a.name == "xml:lang") {
                if let Some(l) = clean_lang(&start_inner[a.value.clone()]) {
                    item.lang = Some(l);
                }
            }
        }
        if wants_media && item.image.is_none() {
            item.image = thumbnail_in(body, base);
        }
    }
}

/// The `xml:base` attribute of the document's root element, if it has one.
fn root_xml_base<'a>(raw: &'a str, root_local: &str) -> Option<&'a str> {
    let mut from = 0;
    loop {
        let at = from + raw[from..].find('<')?;
        let rest = &raw[at + 1..];
        if rest.starts_with("!--") {
            from = at + 4 + rest.find("-->")?;
            continue;
        }
        if rest.starts_with('?') || rest.starts_with('!') {
            from = at + 1;
            continue;
        }
        let end = tag_end(raw, at)?;
        let inner = &raw[at + 1..end - 1];
        let name_end = inner
            .find(|c: char| c.is_ascii_whitespace() || c == '/')
            .unwrap_or(inner.len());
        let name = &inner[..name_end];
        if name.rsplit(':').next() != Some(root_local) {
            return None;
        }
        let attrs_text = &inner[name_end..];
        return attributes(attrs_text)
            .into_iter()
            .find(|a| a.name == "xml:base")
            .map(|a| &attrs_text[a.value]);
    }
}

/// `(inside of the start tag, content)` of every `<tag>` element, in document order.
fn element_regions<'a>(raw: &'a str, tag: &str) -> Vec<(&'a str, &'a str)> {
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(p) = raw[from..].find(&open) {
        let at = from + p;
        let after = at + open.len();
        let next = raw.as_bytes().get(after).copied();
        if !matches!(next, Some(b'>' | b' ' | b'\t' | b'\n' | b'\r' | b'/')) {
            from = after;
            continue;
        }
        let Some(end) = tag_end(raw, at) else { break };
        let inner = raw[after..end - 1].trim_end_matches('/');
        let content_end = raw[end..].find(&close).map_or(end, |c| end + c);
        out.push((inner, &raw[end..content_end]));
        from = content_end.max(end);
    }
    out
}

fn thumbnail_in(body: &str, base: &Url) -> Option<Image> {
    let p = body.find("<media:thumbnail")?;
    let end = tag_end(body, p)?;
    let inner = &body[p + 16..end - 1];
    let attrs = attributes(inner);
    let href = attrs
        .iter()
        .find(|a| a.name == "url")
        .map(|a| &inner[a.value.clone()])?;
    let text_of = |name: &str| {
        let open = format!("<{name}");
        let p = body.find(&open)?;
        let start = tag_end(body, p)?;
        let len = body[start..].find(&format!("</{name}>"))?;
        let raw = body[start..start + len].trim();
        let raw = raw
            .strip_prefix("<![CDATA[")
            .and_then(|r| r.strip_suffix("]]>"))
            .unwrap_or(raw);
        Some(plain_text(raw)).filter(|t| !t.is_empty())
    };
    Some(Image {
        url: resolve(&plain_text(href), base)?.to_string(),
        caption: text_of("media:description"),
        credit: text_of("media:credit"),
        mime: None,
        length: None,
    })
}

fn map_entry(e: Entry, base: &Url, feed_lang: Option<&str>) -> Item {
    let guid = Some(e.id.trim())
        .filter(|g| !g.is_empty())
        .map(str::to_string);
    let link = pick_link(&e.links, base).or_else(|| guid.as_deref().and_then(permalink));
    let summary_html = e.summary.as_ref().and_then(|t| text_as_html(t, base));
    let content_html = e.content.as_ref().and_then(|c| {
        let body = c.body.as_deref()?;
        let plain =
            c.content_type.ty().as_str() == "text" && c.content_type.subty().as_str() == "plain";
        html_field(body, plain, base)
    });
    let published = e.published.or(e.updated);
    let image = pick_image(&e.media, base).or_else(|| enclosure_image(&e.links, base));
    let enclosures = enclosures(&e.media, &e.links, base, image.as_ref());
    Item {
        guid,
        link,
        title: e.title.as_ref().map(title_text).unwrap_or_default(),
        summary_html,
        content_html,
        authors: dedup(
            e.authors
                .iter()
                .filter_map(|p| p.name.as_deref())
                .map(person_name),
        ),
        categories: dedup(e.categories.iter().map(|c| {
            let label = c.label.as_deref().filter(|l| !l.trim().is_empty());
            plain_text(label.unwrap_or(&c.term))
        })),
        published,
        // RSS has no modification date; feed-rs copies the publication date into `updated`.
        updated: e.updated.filter(|u| Some(*u) != published),
        image,
        enclosures,
        lang: e
            .language
            .as_deref()
            .and_then(clean_lang)
            .or_else(|| feed_lang.map(str::to_string)),
        wire: None,
    }
}

/// Titles are plain text; markup that reached them (escaped tags, HTML entities the XML
/// layer left alone) is stripped or decoded.
fn title_text(t: &Text) -> String {
    let plain = t.content_type.subty().as_str() == "plain";
    if plain && !looks_like_markup(&t.content) {
        plain_text(&t.content)
    } else {
        fold_whitespace(&html_to_text(&t.content))
    }
}

/// A `<` followed by a letter, `/` or `!` is a tag; "Inzidenz < 100" is not.
fn looks_like_markup(s: &str) -> bool {
    s.as_bytes()
        .windows(2)
        .any(|w| w[0] == b'<' && (w[1].is_ascii_alphabetic() || w[1] == b'/' || w[1] == b'!'))
}

/// Plain text with HTML entities decoded and whitespace folded.
pub(crate) fn plain_text(s: &str) -> String {
    if s.contains('&') {
        fold_whitespace(&html_escape::decode_html_entities(s))
    } else {
        fold_whitespace(s)
    }
}

/// RSS `<author>` is "mail@example.org (Name)"; feed-rs keeps the parentheses.
fn person_name(raw: &str) -> String {
    let t = raw.trim();
    let t = t
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .unwrap_or(t);
    plain_text(t)
}

fn dedup(values: impl Iterator<Item = String>) -> Vec<String> {
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

fn text_as_html(t: &Text, base: &Url) -> Option<String> {
    let plain = t.content_type.subty().as_str() == "plain";
    html_field(&t.content, plain, base)
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

fn absolutize_html(html: &str, base: &Url) -> String {
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

/// The entry's page: an alternate link (or one without `rel`), else the first link.
fn pick_link(links: &[Link], base: &Url) -> Option<Url> {
    let alternate = links
        .iter()
        .find(|l| l.target.is_none() && matches!(l.rel.as_deref(), None | Some("alternate")));
    alternate
        .into_iter()
        .chain(links.iter())
        .find_map(|l| resolve(&l.href, base))
}

fn resolve(href: &str, base: &Url) -> Option<Url> {
    let href = href.trim();
    if href.is_empty() {
        return None;
    }
    let url = base.join(href).ok()?;
    (!matches!(url.scheme(), "javascript" | "data" | "mailto")).then_some(url)
}

/// An RSS guid that is a web address stands in for a missing link (isPermaLink).
fn permalink(guid: &str) -> Option<Url> {
    let url = Url::parse(guid).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

/// The item's picture: an image `media:content` or enclosure, else a `media:thumbnail`.
fn pick_image(media: &[MediaObject], base: &Url) -> Option<Image> {
    let mut thumbnail = None;
    for obj in media {
        let credit = obj
            .credits
            .iter()
            .map(|c| plain_text(&c.entity))
            .find(|c| !c.is_empty());
        let caption = obj
            .description
            .as_ref()
            .map(|d| fold_whitespace(&html_to_text(&d.content)))
            .filter(|d| !d.is_empty())
            .or_else(|| obj.title.as_ref().map(title_text).filter(|t| !t.is_empty()));
        for c in &obj.content {
            let Some(url) = &c.url else { continue };
            let is_image = match &c.content_type {
                Some(m) => m.ty().as_str() == "image",
                None => has_image_extension(url.path()),
            };
            if is_image {
                return Some(Image {
                    url: url.to_string(),
                    caption,
                    credit,
                    mime: c.content_type.as_ref().map(|m| m.essence().to_string()),
                    length: c.size,
                });
            }
        }
        if thumbnail.is_none() {
            thumbnail = obj.thumbnails.iter().find_map(|t| {
                Some(Image {
                    url: resolve(&t.image.uri, base)?.to_string(),
                    caption: caption.clone(),
                    credit: credit.clone(),
                    mime: None,
                    length: None,
                })
            });
        }
    }
    thumbnail
}

/// An Atom `<link rel="enclosure">` that is a picture, for entries without Media RSS.
fn enclosure_image(links: &[Link], base: &Url) -> Option<Image> {
    links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("enclosure"))
        .find_map(|l| {
            let url = resolve(&l.href, base)?;
            let is_image = match &l.media_type {
                Some(m) => m.trim().starts_with("image/"),
                None => has_image_extension(url.path()),
            };
            is_image.then(|| Image {
                url: url.to_string(),
                caption: l.title.as_deref().map(plain_text).filter(|t| !t.is_empty()),
                mime: l.media_type.as_deref().map(|m| m.trim().to_string()),
                length: l.length.filter(|&n| n > 0),
                ..Image::default()
            })
        })
}

/// Every attached file but the item's picture: RSS `<enclosure>`, `media:content` and
/// Atom `rel="enclosure"` links, once each, in source order.
fn enclosures(
    media: &[MediaObject],
    links: &[Link],
    base: &Url,
    image: Option<&Image>,
) -> Vec<Enclosure> {
    let mut out: Vec<Enclosure> = Vec::new();
    let mut push = |url: Url, mime: Option<String>, length: Option<u64>| {
        let url = url.to_string();
        if image.is_some_and(|i| i.url == url) || out.iter().any(|e| e.url == url) {
            return;
        }
        out.push(Enclosure {
            url,
            mime: mime.map(|m| m.trim().to_string()).filter(|m| !m.is_empty()),
            length: length.filter(|&n| n > 0),
        });
    };
    for c in media.iter().flat_map(|m| &m.content) {
        if let Some(url) = c.url.as_ref().and_then(|u| resolve(u.as_str(), base)) {
            let mime = c.content_type.as_ref().map(|m| m.essence().to_string());
            push(url, mime, c.size);
        }
    }
    for l in links
        .iter()
        .filter(|l| l.rel.as_deref() == Some("enclosure"))
    {
        if let Some(url) = resolve(&l.href, base) {
            push(url, l.media_type.clone(), l.length);
        }
    }
    out
}

fn has_image_extension(path: &str) -> bool {
    let lower = path.to_ascii_lowercase();
    [".jpg", ".jpeg", ".png", ".gif", ".webp", ".avif"]
        .iter()
        .any(|e| lower.ends_with(e))
}

/// Gives a title-less item a title from its text, or records why it is left out.
fn accept(mut item: Item, n: usize, out: &mut ParsedFeed) {
    if item.guid.is_none() && item.link.is_none() {
        let what = if item.title.is_empty() {
            String::new()
        } else {
            format!(" {:?}", item.title)
        };
        out.skipped.push(format!(
            "item {n}{what}: neither link nor guid, so it cannot be told apart from other items"
        ));
        return;
    }
    if item.title.is_empty() {
        let text = item
            .summary_html
            .as_deref()
            .or(item.content_html.as_deref())
            .map(|h| fold_whitespace(&html_to_text(h)))
            .unwrap_or_default();
        if text.is_empty() {
            let id = item
                .guid
                .clone()
                .or_else(|| item.link.as_ref().map(Url::to_string))
                .unwrap_or_default();
            out.skipped.push(format!(
                "item {n} ({id}): no title and no text to make one from"
            ));
            return;
        }
        item.title = truncate_words(&text, TITLE_FROM_TEXT_CHARS);
    }
    out.items.push(item);
}

// ---------------------------------------------------------------------------------------
// JSON Feed

#[derive(Deserialize)]
struct JsonFeed {
    version: Option<String>,
    title: Option<String>,
    home_page_url: Option<String>,
    language: Option<String>,
    author: Option<JsonAuthor>,
    authors: Option<Vec<JsonAuthor>>,
    #[serde(default)]
    items: Vec<JsonItem>,
}

#[derive(Deserialize)]
struct JsonAuthor {
    name: Option<String>,
}

#[derive(Deserialize)]
struct JsonItem {
    /// A string by the spec, but numbers occur in the wild.
    id: Option<serde_json::Value>,
    url: Option<String>,
    external_url: Option<String>,
    title: Option<String>,
    content_html: Option<String>,
    content_text: Option<String>,
    summary: Option<String>,
    image: Option<String>,
    banner_image: Option<String>,
    date_published: Option<String>,
    date_modified: Option<String>,
    author: Option<JsonAuthor>,
    authors: Option<Vec<JsonAuthor>>,
    tags: Option<Vec<serde_json::Value>>,
    language: Option<String>,
    attachments: Option<Vec<JsonAttachment>>,
}

#[derive(Deserialize)]
struct JsonAttachment {
    url: Option<String>,
    mime_type: Option<String>,
    size_in_bytes: Option<u64>,
}

fn parse_json(s: &str, base: &Url) -> Result<ParsedFeed, FeedError> {
    let feed: JsonFeed = serde_json::from_str(s).map_err(|e| {
        // A cut inside a string shows up as a syntax error (a control character), so a
        // body that does not end with the closing brace counts as cut off too.
        let ends_closed = s.trim_end().ends_with('}');
        if e.classify() == serde_json::error::Category::Eof || !ends_closed {
            truncated(s, "the end of the JSON document")
        } else {
            FeedError::InvalidJson {
                reason: e.to_string(),
                line: e.line(),
                column: e.column(),
            }
        }
    })?;
    match feed.version.as_deref() {
        Some(v)
            if v.starts_with("https://jsonfeed.org/version/1")
                || v.starts_with("http://jsonfeed.org/version/1") => {}
        Some(v) => {
            return Err(FeedError::UnsupportedVersion {
                version: v.to_string(),
            });
        }
        None => {
            return Err(FeedError::NotAFeed {
                found: "a JSON document without a JSON Feed \"version\"".into(),
                start: quote(s),
            });
        }
    }
    let link = feed.home_page_url.as_deref().and_then(|h| resolve(h, base));
    let item_base = link.as_ref().unwrap_or(base);
    let lang = feed.language.as_deref().and_then(clean_lang);
    let feed_authors = json_authors(&feed.author, &feed.authors);
    let mut out = ParsedFeed {
        title: feed
            .title
            .as_deref()
            .map(plain_text)
            .filter(|t| !t.is_empty()),
        link: link.clone(),
        lang: lang.clone(),
        ttl: None,
        items: Vec::with_capacity(feed.items.len()),
        skipped: Vec::new(),
    };
    for (n, ji) in feed.items.into_iter().enumerate() {
        let guid = match ji.id {
            Some(serde_json::Value::String(s)) => Some(s.trim().to_string()),
            Some(serde_json::Value::Number(n)) => Some(n.to_string()),
            _ => None,
        }
        .filter(|g| !g.is_empty());
        let link = [ji.url.as_deref(), ji.external_url.as_deref()]
            .into_iter()
            .flatten()
            .find_map(|u| resolve(u, item_base));
        let content_html = match (&ji.content_html, &ji.content_text) {
            (Some(h), _) if !h.trim().is_empty() => html_field(h, false, item_base),
            (_, Some(t)) => html_field(t, true, item_base),
            _ => None,
        };
        let published = ji.date_published.as_deref().and_then(parse_date);
        let authors = json_authors(&ji.author, &ji.authors);
        let item = Item {
            guid,
            link,
            title: ji.title.as_deref().map(plain_text).unwrap_or_default(),
            // JSON Feed's summary is plain text by the spec.
            summary_html: ji
                .summary
                .as_deref()
                .and_then(|s| html_field(s, true, item_base)),
            content_html,
            authors: if authors.is_empty() {
                feed_authors.clone()
            } else {
                authors
            },
            categories: dedup(
                ji.tags
                    .iter()
                    .flatten()
                    .filter_map(|t| t.as_str())
                    .map(plain_text),
            ),
            published,
            updated: ji
                .date_modified
                .as_deref()
                .and_then(parse_date)
                .filter(|u| Some(*u) != published),
            image: ji
                .image
                .as_deref()
                .or(ji.banner_image.as_deref())
                .and_then(|u| resolve(u, item_base))
                .map(|url| Image {
                    url: url.to_string(),
                    ..Image::default()
                }),
            enclosures: ji
                .attachments
                .iter()
                .flatten()
                .filter_map(|a| {
                    Some(Enclosure {
                        url: resolve(a.url.as_deref()?, item_base)?.to_string(),
                        mime: a
                            .mime_type
                            .as_deref()
                            .map(str::trim)
                            .filter(|m| !m.is_empty())
                            .map(str::to_string),
                        length: a.size_in_bytes.filter(|&n| n > 0),
                    })
                })
                .collect(),
            lang: ji
                .language
                .as_deref()
                .and_then(clean_lang)
                .or_else(|| lang.clone()),
            wire: None,
        };
        accept(item, n + 1, &mut out);
    }
    Ok(out)
}

fn json_authors(one: &Option<JsonAuthor>, many: &Option<Vec<JsonAuthor>>) -> Vec<String> {
    dedup(
        one.iter()
            .chain(many.iter().flatten())
            .filter_map(|a| a.name.as_deref())
            .map(plain_text),
    )
}

// ---------------------------------------------------------------------------------------
// Dates

/// Reads a feed date leniently: RFC 3339 and RFC 822 as specified, and what real feeds
/// send instead: zone names (CEST, MESZ, GMT), no zone at all (taken as UTC), lowercase or
/// German month names, single-digit days, German weekday names, `T` replaced by a space,
/// offsets without a colon, bare dates. Returns `None` for anything it cannot place in time
/// unambiguously (an unknown zone name, say), so the store falls back to first-seen time.
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    let b = s.as_bytes();
    if b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' {
        lenient_iso(s)
    } else {
        lenient_rfc822(s)
    }
}

fn lenient_iso(s: &str) -> Option<DateTime<Utc>> {
    let date = NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
    let rest = s[10..].trim_start_matches(['T', 't', ' ']);
    let split = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.' || c == ','))
        .unwrap_or(rest.len());
    let (time, zone) = rest.split_at(split);
    let time = if time.is_empty() {
        NaiveTime::MIN
    } else {
        parse_hms(time)?
    };
    let offset = parse_zone(zone.trim())?;
    to_utc(date, time, offset)
}

fn lenient_rfc822(s: &str) -> Option<DateTime<Utc>> {
    let (mut day, mut month, mut year, mut time, mut zone) = (None, None, None, None, None);
    for token in s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        let t = token.strip_suffix('.').unwrap_or(token);
        let Some(first) = t.chars().next() else {
            continue;
        };
        if time.is_none() && first.is_ascii_digit() && t.contains(':') {
            // "08:15:00+0200" glues the zone to the time.
            let split = t.find(['+', '-']).unwrap_or(t.len());
            time = Some(parse_hms(&t[..split])?);
            if split < t.len() {
                zone = Some(parse_zone(&t[split..])?);
            }
        } else if t.bytes().all(|b| b.is_ascii_digit()) {
            let v: i32 = t.parse().ok()?;
            if day.is_none() && t.len() <= 2 && year.is_none() {
                day = Some(u32::try_from(v).ok()?);
            } else if year.is_none() {
                year = Some(match (t.len(), v) {
                    (2, v) if v < 70 => 2000 + v,
                    (2, v) => 1900 + v,
                    _ => v,
                });
            } else {
                return None;
            }
        } else if time.is_some() && zone.is_none() {
            zone = Some(parse_zone(t)?);
        } else if let Some(m) = month.is_none().then(|| month_number(t)).flatten() {
            month = Some(m);
        } else if day.is_some() || !t.chars().all(char::is_alphabetic) {
            // Only a weekday may come before the day; anything else is not a date.
            return None;
        }
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day?)?;
    to_utc(date, time.unwrap_or(NaiveTime::MIN), zone.unwrap_or(0))
}

fn month_number(t: &str) -> Option<u32> {
    if !t.chars().all(char::is_alphabetic) {
        return None;
    }
    let head: String = t.chars().take(3).flat_map(char::to_lowercase).collect();
    Some(match head.as_str() {
        "jan" | "jän" => 1,
        "feb" => 2,
        "mar" | "mär" | "mae" => 3,
        "apr" => 4,
        "may" | "mai" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" | "okt" => 10,
        "nov" => 11,
        "dec" | "dez" => 12,
        _ => return None,
    })
}

fn parse_hms(t: &str) -> Option<NaiveTime> {
    let mut parts = t.trim().split(':');
    let h: u32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let (s, nanos) = match parts.next() {
        Some(sec) => {
            let (whole, frac) = sec.split_once(['.', ',']).unwrap_or((sec, ""));
            let nanos = if frac.is_empty() {
                0
            } else {
                let digits: String = frac.chars().take(9).collect();
                let n: u32 = digits.parse().ok()?;
                n * 10u32.pow(9 - u32::try_from(digits.len()).ok()?)
            };
            (whole.parse().ok()?, nanos)
        }
        None => (0, 0),
    };
    if parts.next().is_some() {
        return None;
    }
    NaiveTime::from_hms_nano_opt(h, m, s, nanos)
}

/// Offset east of UTC in seconds; `""` is UTC.
fn parse_zone(z: &str) -> Option<i32> {
    const NAMED: &[(&str, i32)] = &[
        ("Z", 0),
        ("UT", 0),
        ("UTC", 0),
        ("GMT", 0),
        ("WET", 0),
        ("WEZ", 0),
        ("WEST", 1),
        ("WESZ", 1),
        ("BST", 1),
        ("CET", 1),
        ("MEZ", 1),
        ("CEST", 2),
        ("MESZ", 2),
        ("EET", 2),
        ("OEZ", 2),
        ("EEST", 3),
        ("OESZ", 3),
        ("EST", -5),
        ("EDT", -4),
        ("CST", -6),
        ("CDT", -5),
        ("MST", -7),
        ("MDT", -6),
        ("PST", -8),
        ("PDT", -7),
    ];
    let z = z.trim();
    if z.is_empty() {
        return Some(0);
    }
    if let Some(&(_, h)) = NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(z)) {
        return Some(h * 3600);
    }
    // "GMT+2", "UTC+02:00"
    let numeric = ["GMT", "UTC", "UT"]
        .iter()
        .find_map(|p| {
            z.get(..p.len())
                .filter(|h| h.eq_ignore_ascii_case(p))
                .map(|_| &z[p.len()..])
        })
        .unwrap_or(z);
    let sign = match numeric.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = numeric[1..].chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = match digits.len() {
        1 | 2 => (digits.parse().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

fn to_utc(date: NaiveDate, time: NaiveTime, offset: i32) -> Option<DateTime<Utc>> {
    let zone = FixedOffset::east_opt(offset)?;
    let local = zone.from_local_datetime(&date.and_time(time)).single()?;
    Some(local.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc))
    }

    #[test]
    fn dates_as_specified() {
        assert_eq!(
            parse_date("2026-11-27T08:15:00+01:00"),
            utc("2026-11-27T07:15:00Z")
        );
        assert_eq!(
            parse_date("Fri, 27 Nov 2026 08:15:00 +0100"),
            utc("2026-11-27T07:15:00Z")
        );
        assert_eq!(
            parse_date("Fri, 27 Nov 2026 08:15:00 GMT"),
            utc("2026-11-27T08:15:00Z")
        );
    }

    #[test]
    fn dates_as_sent_in_the_wild() {
        let want = utc("2026-06-05T06:30:00Z");
        for s in [
            "Fri, 5 Jun 2026 08:30:00 CEST",
            "Freitag, 5 Juni 2026 08:30:00 MESZ",
            "Fr, 05 jun 2026 08:30 +02:00",
            "Thu, 5 Jun 2026 08:30:00 +0200",
            "5 Jun 2026 08:30:00 GMT+2",
            "2026-06-05 08:30:00+0200",
            "2026-06-05T08:30:00 CEST",
            "Fri, 05 Jun 2026 06:30:00",
            "2026-06-05T06:30:00",
            "Jun 5 2026 06:30:00 Z",
            "05. Juni 2026 08:30:00+0200",
        ] {
            assert_eq!(parse_date(s), want, "{s}");
        }
        assert_eq!(parse_date("2026-03-01"), utc("2026-03-01T00:00:00Z"));
        assert_eq!(
            parse_date("Di, 3 Mär 2026 10:00:00 MEZ"),
            utc("2026-03-03T09:00:00Z")
        );
        assert_eq!(
            parse_date("2026-11-27T08:15:00.123456Z").map(|d| d.timestamp_subsec_micros()),
            Some(123456)
        );
    }

    #[test]
    fn undatable_strings_give_none() {
        for s in [
            "",
            "gestern",
            "Fri, 5 Jun 2026 08:30:00 XYZ",
            "32 Jun 2026",
            "2026-13-01",
            "heute 08:30",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
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

    #[test]
    fn root_sniffing_skips_the_prolog() {
        let s = "<?xml version=\"1.0\"?>\n<!-- Kommentar -->\n<!DOCTYPE rss [<!ENTITY x \"y\">]>\n<rss version=\"2.0\"><channel/></rss>";
        let root = sniff_root(s).expect("root");
        assert_eq!(root.qname, "rss");
        assert!(root_is_closed(s, &root));
        assert!(!root_is_closed(&s[..s.len() - 3], &root));
    }

    #[test]
    fn rss_version_is_rewritten_only_when_needed() {
        let ok = "<rss version=\"2.0\"><channel/></rss>";
        assert!(matches!(
            prepare(ok, &sniff_root(ok).expect("root")),
            Cow::Borrowed(_)
        ));
        let odd = "<rss version=\"2.01\"><channel/></rss>";
        assert_eq!(
            prepare(odd, &sniff_root(odd).expect("root")),
            "<rss version=\"2.0\"><channel/></rss>"
        );
        let none = "<rss><channel/></rss>";
        assert_eq!(
            prepare(none, &sniff_root(none).expect("root")),
            "<rss version=\"2.0\"><channel/></rss>"
        );
    }
}
