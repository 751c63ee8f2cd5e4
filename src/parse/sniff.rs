//! Sniffing an XML feed before parsing it: the root element past the prolog (HTML pages
//! recognised there, before any parsing) and the attributes of a start tag, read tolerantly.

use crate::parse::item::{quote, truncated, FeedError};

/// The root element as found by the sniffer.
pub(super) struct Root<'a> {
    /// Offset of the `<` of the root start tag.
    pub(super) start: usize,
    /// Offset just past the `>` of the root start tag.
    pub(super) tag_end: usize,
    pub(super) qname: &'a str,
    pub(super) self_closing: bool,
}

impl Root<'_> {
    pub(super) fn local(&self) -> &str {
        self.qname.rsplit(':').next().unwrap_or(self.qname)
    }
}

/// One attribute inside a start tag: name, and the byte range of its value in the tag text.
pub(super) struct Attr<'a> {
    pub(super) name: &'a str,
    pub(super) value: std::ops::Range<usize>,
}

/// Attributes of the inside of a tag (`name="v" other='w'`), tolerant of junk.
pub(super) fn attributes(inner: &str) -> Vec<Attr<'_>> {
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
pub(super) fn tag_end(s: &str, from: usize) -> Option<usize> {
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

pub(super) fn html_page(s: &str) -> FeedError {
    FeedError::NotAFeed {
        found: "an HTML page".into(),
        start: quote(s),
    }
}

/// Finds the root element, skipping the prolog (declaration, comments, processing
/// instructions, DOCTYPE). HTML pages are recognised here, before any parsing.
pub(super) fn sniff_root(s: &str) -> Result<Root<'_>, FeedError> {
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
