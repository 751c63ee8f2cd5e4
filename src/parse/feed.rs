//! Feed formats (RSS 0.9x/1.0/2.0, Atom, JSON Feed) read into `Item`s.
//!
//! The format is told from the content alone. XML feeds are read with feed-rs after a
//! cheap preparation pass that only copies the body when it must: transcoding a declared
//! legacy encoding, or rewriting a root element feed-rs would reject (an `<rss>` without a
//! usual `version`, the Atom 0.3 and RSS 0.90 namespaces). JSON Feed is read with our own
//! serde structs ([`crate::parse::json_feed`]) because feed-rs drops item images and
//! languages and rejects numeric ids.
//! Whether a document was cut off is decided by us, not by feed-rs: a feed whose root
//! element is not closed is an error, never a partial item list. Where feed-rs refuses a
//! feed, drops entries or leaves one without title or text, the tree reader
//! ([`crate::parse::tolerant`]) reads the same document (and alone reads CDF `<CHANNEL>`s).

use std::borrow::Cow;
use std::time::Duration;

use feed_rs::model::{Entry, Feed, Link, Text};
use feed_rs::parser::{ParseErrorKind, ParseFeedError};
use url::Url;

use crate::model::{Image, Item, ParsedFeed};
use crate::parse::cap::{cut_xml, MAX_ITEMS_PER_DELIVERY};
use crate::parse::date::parse_date_in;
use crate::parse::encoding;
use crate::parse::item::{
    accept, clean_lang, dedup, html_field, plain_text, quote, relative_base, resolve, title_text,
    truncated,
};
use crate::parse::json_feed::parse_json;
use crate::parse::media::{enclosure_image, enclosures, pick_image};
use crate::parse::tolerant;

pub use crate::parse::item::FeedError;

use super::sniff::{attributes, html_page, sniff_root, tag_end, Root};

/// Reads one fetched feed body into items.
///
/// `base` is where the body came from (the feed URL, or a `file://` URL for spool files).
/// Relative links resolve against `xml:base`, else `base` when it is an http(s) URL, else
/// (a spool file) the feed's own link (see [`relative_base`]).
/// Items a reader could see nothing of (no title, no text, no link with a picture or file)
/// are left out and the reason is recorded in [`ParsedFeed::skipped`]; items without link
/// and guid are kept (the store knows them by their content). A feed with no items is `Ok`
/// with no items.
pub fn parse_feed(body: &[u8], base: &Url) -> Result<ParsedFeed, FeedError> {
    parse_feed_with_charset(body, base, None)
}

/// [`parse_feed`] for a body that came with a charset in its HTTP `Content-Type`.
pub fn parse_feed_with_charset(
    body: &[u8],
    base: &Url,
    http_charset: Option<&str>,
) -> Result<ParsedFeed, FeedError> {
    parse_feed_in(body, base, http_charset, chrono_tz::UTC)
}

/// [`parse_feed_with_charset`] with times that name no zone ("2026-11-30 08:30") read in
/// `timezone`, the source's `timezone` from config.
pub fn parse_feed_in(
    body: &[u8],
    base: &Url,
    http_charset: Option<&str>,
    timezone: chrono_tz::Tz,
) -> Result<ParsedFeed, FeedError> {
    let text = decode(body, http_charset)?;
    let trimmed = text.trim_start_matches(|c: char| c.is_whitespace() || c == '\0');
    // Agency formats (IPTC ninjs, NewsML-G2, NITF) are told apart by content as well.
    if let Some(agency) = super::wire::parse(trimmed, base, timezone) {
        return agency.map_err(FeedError::Agency);
    }
    match trimmed.as_bytes().first() {
        None => Err(FeedError::Empty),
        Some(b'{') => parse_json(trimmed, base, timezone),
        Some(b'<') => parse_xml(trimmed, base, timezone),
        Some(_) => Err(FeedError::NotAFeed {
            found: "text that is neither XML nor JSON".into(),
            start: quote(trimmed),
        }),
    }
}

/// The body as UTF-8 text (see [`encoding`]). A legacy-encoded body is transcoded, and an
/// XML declaration naming another encoding than UTF-8 is dropped from the text, so the XML
/// parser does not decode the already decoded text a second time.
fn decode<'a>(body: &'a [u8], http_charset: Option<&str>) -> Result<Cow<'a, str>, FeedError> {
    let decoded = encoding::decode_strict(body, http_charset)
        .map_err(|e| FeedError::UnsupportedEncoding { label: e.label })?;
    let text = decoded.text;
    let start = text.len() - text.trim_start().len();
    let Some(len) = encoding::xml_declaration_len(&text.as_bytes()[start..]) else {
        return Ok(text);
    };
    let declared = encoding::xml_declared_encoding(&text.as_bytes()[start..]);
    if declared.is_none_or(|l| l.eq_ignore_ascii_case("utf-8") || l.eq_ignore_ascii_case("utf8")) {
        return Ok(text);
    }
    Ok(match text {
        Cow::Borrowed(t) => Cow::Borrowed(&t[start + len..]),
        Cow::Owned(t) => Cow::Owned(t[start + len..].to_string()),
    })
}

// ---------------------------------------------------------------------------------------
// XML: sniffing and preparation

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
/// feed-rs can resolve relative item links of a spool file against it.
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

fn parse_xml(s: &str, base: &Url, timezone: chrono_tz::Tz) -> Result<ParsedFeed, FeedError> {
    let root = sniff_root(s)?;
    match root.local() {
        "rss" | "RDF" | "feed" | "entry" | "CHANNEL" => {}
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
    let own = own_link(&prepared, &root, base);
    let feed_base = relative_base(base, own.as_ref()).clone();

    let missing = || format!("the closing </{}> tag", root.qname);
    if !closed {
        // Whatever feed-rs would make of it, a cut-off document must not become a feed.
        return Err(truncated(&prepared, &missing()));
    }
    if root.local() == "CHANNEL" {
        return read_cdf(&prepared, base, timezone);
    }
    // Entries past the cap are counted here and never reach feed-rs, so a huge feed costs
    // memory for the items read, not for the items sent.
    match cut_xml(&prepared, MAX_ITEMS_PER_DELIVERY) {
        Some(cut) => {
            parse_prepared(&cut.text, &feed_base, root.local(), timezone).map(|mut feed| {
                feed.not_read = cut.not_read;
                feed
            })
        }
        None => parse_prepared(&prepared, &feed_base, root.local(), timezone),
    }
}

/// feed-rs on a prepared document, mapped into items.
fn parse_prepared(
    prepared: &str,
    feed_base: &Url,
    root_local: &str,
    timezone: chrono_tz::Tz,
) -> Result<ParsedFeed, FeedError> {
    // feed-rs unwraps number parses in places (a 25-digit media:thumbnail time panics),
    // so a panic inside it is one more way for a feed to be malformed.
    let strict = match run_feed_rs(prepared, feed_base, timezone) {
        Err(_) => Err(FeedError::Malformed {
            reason: "a value feed-rs cannot read (it gave up on the document)".into(),
            line: None,
            column: None,
        }),
        Ok(Err(e)) => match escape_bare_ampersands(prepared) {
            // "Müller & Söhne" unescaped is the most common breakage in hand-made feeds;
            // repaired only on this error path, so well-formed feeds pay nothing.
            Some(repaired) => match run_feed_rs(&repaired, feed_base, timezone) {
                Ok(Ok(feed)) => {
                    return Ok(map_feed(feed, feed_base, &repaired, root_local, timezone))
                }
                _ => Err(xml_error(e, prepared)),
            },
            None => Err(xml_error(e, prepared)),
        },
        Ok(Ok(feed)) => return Ok(map_feed(feed, feed_base, prepared, root_local, timezone)),
    };
    // feed-rs refuses a whole feed for one construct it does not know (an Atom 0.3
    // `mode`, `type="application/xhtml+xml"`, an empty `<content/>`); the tree reader
    // takes what a reader would show, and the log says the feed is not valid.
    strict.or_else(|e| rescue(prepared, feed_base, root_local, timezone, e))
}

/// The document read by the tree reader after feed-rs refused it: `Err(e)` again when
/// the tree reader finds no entries either (or the XML is broken for it too).
fn rescue(
    prepared: &str,
    base: &Url,
    root_local: &str,
    timezone: chrono_tz::Tz,
    e: FeedError,
) -> Result<ParsedFeed, FeedError> {
    let item_base = item_base(prepared, root_local, base);
    let repaired = escape_bare_ampersands(prepared);
    let tree = tolerant::read(prepared, &item_base, &timezone).or_else(|| {
        repaired
            .as_deref()
            .and_then(|r| tolerant::read(r, &item_base, &timezone))
    });
    let Some(tree) = tree.filter(|t| !t.items.is_empty()) else {
        return Err(e);
    };
    let mut out = ParsedFeed {
        title: tree.title,
        link: None,
        lang: tree.lang,
        ttl: None,
        items: Vec::with_capacity(tree.items.len()),
        skipped: vec![format!(
            "{e}; its {} entries were read by the tolerant reader",
            tree.items.len()
        )],
        not_read: 0,
    };
    for (n, item) in tree.items.into_iter().enumerate() {
        accept(item, n + 1, &mut out);
    }
    Ok(out)
}

/// A Channel Definition Format document, read by the tree reader alone (feed-rs does not
/// know the format).
fn read_cdf(s: &str, base: &Url, timezone: chrono_tz::Tz) -> Result<ParsedFeed, FeedError> {
    let Some(tree) = tolerant::read_cdf(s, base, &timezone) else {
        return Err(match locate_xml_error(s) {
            Some((reason, line, column)) => FeedError::Malformed {
                reason,
                line: Some(line),
                column: Some(column),
            },
            None => FeedError::Malformed {
                reason: "a CDF <CHANNEL> that cannot be read".into(),
                line: None,
                column: None,
            },
        });
    };
    let mut out = ParsedFeed {
        title: tree.title,
        link: None,
        lang: tree.lang,
        ttl: None,
        items: Vec::new(),
        skipped: Vec::new(),
        not_read: tree.items.len().saturating_sub(MAX_ITEMS_PER_DELIVERY),
    };
    for (n, item) in tree
        .items
        .into_iter()
        .take(MAX_ITEMS_PER_DELIVERY)
        .enumerate()
    {
        accept(item, n + 1, &mut out);
    }
    Ok(out)
}

/// The base of relative references in item HTML: the root element's xml:base (RFC 4287
/// 2, RFC 3986 5.1) when it has one, else `base` (see `relative_base`).
fn item_base(raw: &str, root_local: &str, base: &Url) -> Url {
    root_xml_base(raw, root_local)
        .and_then(|b| base.join(b.trim()).ok())
        .unwrap_or_else(|| base.clone())
}

/// Does feed-rs's reading leave something the tree reader may find: an entry without a
/// title or without text, or fewer entries than the document has entry tags (feed-rs
/// drops an RSS 1.0 item without a link)?
fn wants_tree(raw: &str, items: &[Item]) -> bool {
    items
        .iter()
        .any(|i| i.title.is_empty() || (i.summary_html.is_none() && i.content_html.is_none()))
        || entry_tags(raw) > items.len()
}

/// Start tags named `item` or `entry` (any prefix), by a byte scan: a cheap upper bound
/// of the entries (a tag inside CDATA or a comment counts too). Each `<` looks at most
/// `MAX_NAME` bytes ahead, so a text of many `<` costs linear time.
fn entry_tags(raw: &str) -> usize {
    const MAX_NAME: usize = 64;
    let b = raw.as_bytes();
    raw.match_indices('<')
        .filter(|&(i, _)| {
            let Some(name_end) = b[i + 1..]
                .iter()
                .take(MAX_NAME)
                .position(|c| c.is_ascii_whitespace() || *c == b'>' || *c == b'/')
                .map(|p| i + 1 + p)
            else {
                return false;
            };
            let name = &b[i + 1..name_end];
            let local = name.rsplit(|&c| c == b':').next().unwrap_or(name);
            (local == b"item" || local == b"entry") && name_end < b.len()
        })
        .count()
}

/// One feed-rs run on a fresh parser: a parser that failed once keeps half-built state
/// (its media-RSS scope) and panics on the next document.
fn run_feed_rs(
    s: &str,
    base: &Url,
    timezone: chrono_tz::Tz,
) -> std::thread::Result<Result<Feed, ParseFeedError>> {
    let parser = feed_rs::parser::Builder::new()
        .base_uri(Some(base.as_str()))
        // feed-rs invents ids (a SipHash of link and title, or a random UUID) for entries
        // without one; an empty id lets us tell "no guid" apart.
        .id_generator(|_, _, _| String::new())
        .sanitize_content(false)
        .timestamp_parser(move |s| parse_date_in(s, &timezone))
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

fn map_feed(
    feed: Feed,
    base: &Url,
    raw: &str,
    root_local: &str,
    timezone: chrono_tz::Tz,
) -> ParsedFeed {
    let link = pick_link(&feed.links, base);
    let lang = feed.language.as_deref().and_then(clean_lang);
    let item_base = &item_base(raw, root_local, base);
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
        not_read: 0,
    };
    let mut items: Vec<Item> = feed
        .entries
        .into_iter()
        .map(|e| map_entry(e, item_base, lang.as_deref()))
        .collect();
    supplement(raw, root_local, &mut items, item_base);
    let base64 = raw.contains("mode=\"base64\"") || raw.contains("mode='base64'");
    if base64 || wants_tree(raw, &items) {
        if let Some(tree) = tolerant::read(raw, item_base, &timezone) {
            match tree.items.len().cmp(&items.len()) {
                std::cmp::Ordering::Equal => tolerant::fill(&mut items, tree.items, base64),
                // feed-rs dropped entries: the tree reader's list is the whole feed.
                std::cmp::Ordering::Greater => items = tree.items,
                std::cmp::Ordering::Less => {}
            }
        }
    }
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

/// RSS `<author>` is "mail@example.org (Name)"; feed-rs keeps the parentheses.
fn person_name(raw: &str) -> String {
    let t = raw.trim();
    let t = t
        .strip_prefix('(')
        .and_then(|x| x.strip_suffix(')'))
        .unwrap_or(t);
    plain_text(t)
}

fn text_as_html(t: &Text, base: &Url) -> Option<String> {
    let plain = t.content_type.subty().as_str() == "plain";
    html_field(&t.content, plain, base)
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

/// An RSS guid that is a web address stands in for a missing link (isPermaLink).
fn permalink(guid: &str) -> Option<Url> {
    let url = Url::parse(guid).ok()?;
    matches!(url.scheme(), "http" | "https").then_some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

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
