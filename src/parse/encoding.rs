//! The one charset decoder for feeds and pages: bytes and the HTTP charset in, UTF-8 text out.
//!
//! Order of evidence: a byte order mark; then bytes that are valid UTF-8 stay UTF-8 whatever
//! is declared (a page declaring `gb2312` or `iso-8859-1` whose bytes are valid UTF-8 was
//! converted by a CMS that forgot the declaration, and reading it as declared garbles every
//! non-ASCII letter); then the HTTP `Content-Type` charset, the XML declaration and the
//! `<meta charset>` / `http-equiv` tag, in that order, as browsers do; else UTF-8 with
//! replacement characters for stray bytes (a UTF-8 feed with a few Latin-1 bytes is common).

use encoding_rs::Encoding;
use std::borrow::Cow;

/// How far into a body the declarations are looked for.
const DECLARATION_WINDOW: usize = 4096;

/// Where the encoding of a decoded body came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Evidence {
    Bom,
    /// The bytes are valid UTF-8 (whatever was declared).
    ValidUtf8,
    HttpHeader,
    XmlDeclaration,
    MetaTag,
    /// Nothing declared and the bytes are not valid UTF-8: read as UTF-8 with replacements.
    Fallback,
}

/// A decoded body.
#[derive(Debug)]
pub struct Decoded<'a> {
    pub text: Cow<'a, str>,
    pub encoding: &'static Encoding,
    pub evidence: Evidence,
}

/// A charset label nobody knows, declared where it had to be used (the bytes are not UTF-8).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown charset {label:?}")]
pub struct UnknownCharset {
    pub label: String,
}

/// The `charset` parameter of a `Content-Type` header value (`text/html; charset=UTF-8`).
pub fn charset_of_content_type(content_type: &str) -> Option<&str> {
    content_type.split(';').skip(1).find_map(|p| {
        let (k, v) = p.split_once('=')?;
        k.trim()
            .eq_ignore_ascii_case("charset")
            .then(|| v.trim().trim_matches(['"', '\'']))
            .filter(|v| !v.is_empty())
    })
}

/// Decodes a body by the evidence order in the module docs. `http_charset` is the charset
/// of the response's `Content-Type`, when there was one. An unknown label is skipped in
/// favour of the next piece of evidence; [`decode_strict`] reports it instead.
pub fn decode<'a>(bytes: &'a [u8], http_charset: Option<&str>) -> Decoded<'a> {
    match decode_inner(bytes, http_charset) {
        Ok(d) | Err((d, _)) => d,
    }
}

/// Like [`decode`], but a declared label wirefeed has no decoder for is an error when the
/// bytes would have needed it (they are not valid UTF-8 or plain ASCII).
pub fn decode_strict<'a>(
    bytes: &'a [u8],
    http_charset: Option<&str>,
) -> Result<Decoded<'a>, UnknownCharset> {
    decode_inner(bytes, http_charset).map_err(|(_, e)| e)
}

fn decode_inner<'a>(
    bytes: &'a [u8],
    http_charset: Option<&str>,
) -> Result<Decoded<'a>, (Decoded<'a>, UnknownCharset)> {
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        let rest = &bytes[bom_len..];
        let text = if enc == encoding_rs::UTF_8 {
            String::from_utf8_lossy(rest)
        } else {
            Cow::Owned(enc.decode_without_bom_handling(rest).0.into_owned())
        };
        return Ok(Decoded {
            text,
            encoding: enc,
            evidence: Evidence::Bom,
        });
    }
    let declared = declarations(bytes, http_charset);
    if let Ok(text) = std::str::from_utf8(bytes) {
        // Encodings that are not ASCII-compatible (ISO-2022-JP) can be valid UTF-8 by accident
        // and must be honoured; UTF-16 cannot be declared inside an ASCII-readable body.
        let honour = declared.iter().find_map(|(label, ev)| {
            let enc = Encoding::for_label(label.as_bytes())?;
            (!enc.is_ascii_compatible()
                && enc != encoding_rs::UTF_16LE
                && enc != encoding_rs::UTF_16BE)
                .then_some((enc, *ev))
        });
        if let Some((enc, evidence)) = honour {
            return Ok(Decoded {
                text: Cow::Owned(enc.decode_without_bom_handling(bytes).0.into_owned()),
                encoding: enc,
                evidence,
            });
        }
        let unknown = declared
            .iter()
            .find(|(label, _)| Encoding::for_label(label.as_bytes()).is_none());
        let decoded = Decoded {
            text: Cow::Borrowed(text),
            encoding: encoding_rs::UTF_8,
            evidence: Evidence::ValidUtf8,
        };
        // Plain ASCII tells nothing about the charset: an unknown label stays an error then.
        return match unknown {
            Some((label, _)) if text.is_ascii() => Err((
                decoded,
                UnknownCharset {
                    label: label.clone(),
                },
            )),
            _ => Ok(decoded),
        };
    }
    let mut unknown = None;
    for (label, evidence) in &declared {
        let Some(enc) = Encoding::for_label(label.as_bytes()) else {
            unknown.get_or_insert_with(|| UnknownCharset {
                label: label.clone(),
            });
            continue;
        };
        // A declaration readable byte-wise is in an ASCII-compatible encoding, whatever it
        // claims: a "UTF-16" label there is a lie.
        let enc = if enc == encoding_rs::UTF_16LE || enc == encoding_rs::UTF_16BE {
            encoding_rs::UTF_8
        } else {
            enc
        };
        let text = if enc == encoding_rs::UTF_8 {
            String::from_utf8_lossy(bytes)
        } else {
            // encoding_rs maps ISO-8859-1 to windows-1252, as browsers do.
            Cow::Owned(enc.decode_without_bom_handling(bytes).0.into_owned())
        };
        let decoded = Decoded {
            text,
            encoding: enc,
            evidence: *evidence,
        };
        return match unknown {
            Some(e) => Err((decoded, e)),
            None => Ok(decoded),
        };
    }
    let decoded = Decoded {
        text: String::from_utf8_lossy(bytes),
        encoding: encoding_rs::UTF_8,
        evidence: Evidence::Fallback,
    };
    match unknown {
        Some(e) => Err((decoded, e)),
        None => Ok(decoded),
    }
}

/// Declared charset labels in order of precedence: HTTP header, XML declaration, meta tag.
fn declarations(bytes: &[u8], http_charset: Option<&str>) -> Vec<(String, Evidence)> {
    let mut out = Vec::new();
    if let Some(h) = http_charset.map(str::trim).filter(|h| !h.is_empty()) {
        out.push((h.to_string(), Evidence::HttpHeader));
    }
    let head = &bytes[..bytes.len().min(DECLARATION_WINDOW)];
    let start = head
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(head.len());
    if let Some(label) = xml_declared_encoding(&head[start..]) {
        out.push((label, Evidence::XmlDeclaration));
    }
    let lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    if let Some(label) = meta_charset(&lower) {
        out.push((label.to_string(), Evidence::MetaTag));
    }
    out
}

/// Length of the XML declaration at the start of `rest` (`<?xml … ?>`), if there is one.
pub fn xml_declaration_len(rest: &[u8]) -> Option<usize> {
    if !rest.starts_with(b"<?xml") {
        return None;
    }
    rest.windows(2).position(|w| w == b"?>").map(|p| p + 2)
}

/// The `encoding` pseudo-attribute of the XML declaration at the start of `rest`.
pub fn xml_declared_encoding(rest: &[u8]) -> Option<String> {
    let end = xml_declaration_len(rest)?;
    let decl = std::str::from_utf8(&rest[5..end - 2]).ok()?;
    let i = decl.find("encoding")?;
    let v = decl[i + 8..].trim_start().strip_prefix('=')?.trim_start();
    let quote = v.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let v = &v[1..];
    let label = &v[..v.find(quote)?];
    Some(label.trim().to_string())
}

/// The charset named by the first `<meta charset>` or `http-equiv` content in lowercased HTML.
fn meta_charset(head: &str) -> Option<&str> {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn text(bytes: &[u8], http: Option<&str>) -> String {
        decode(bytes, http).text.into_owned()
    }

    #[test]
    fn meta_and_http_charsets() {
        assert_eq!(
            text(b"<meta charset=\"windows-1252\"><p>Gr\xfc\xdfe</p>", None),
            "<meta charset=\"windows-1252\"><p>Grüße</p>"
        );
        assert_eq!(
            text(
                b"<meta http-equiv=\"content-type\" content=\"text/html; charset=iso-8859-1\"><p>\xfc</p>",
                None
            ),
            "<meta http-equiv=\"content-type\" content=\"text/html; charset=iso-8859-1\"><p>ü</p>"
        );
        // The HTTP header comes before the meta tag.
        let d = decode(b"<meta charset=\"utf-8\"><p>\xfc</p>", Some("iso-8859-1"));
        assert_eq!(d.text, "<meta charset=\"utf-8\"><p>ü</p>");
        assert_eq!(d.evidence, Evidence::HttpHeader);
    }

    #[test]
    fn valid_utf8_wins_over_a_contradicting_declaration() {
        let page = "<meta charset=\"gb2312\"><p>Grüße aus Köln</p>";
        let d = decode(page.as_bytes(), None);
        assert_eq!(d.text, page);
        assert_eq!(d.evidence, Evidence::ValidUtf8);
        assert_eq!(
            text("<p>Grüße</p>".as_bytes(), Some("iso-8859-1")),
            "<p>Grüße</p>"
        );
        let feed = "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><rss><t>Fürth</t></rss>";
        assert_eq!(text(feed.as_bytes(), None), feed);
    }

    #[test]
    fn boms_and_xml_declarations() {
        assert_eq!(text(b"\xef\xbb\xbf<p>x</p>", None), "<p>x</p>");
        assert_eq!(text(b"\xff\xfe<\0p\0>\0", None), "<p>");
        assert_eq!(
            text(
                b"<?xml version=\"1.0\" encoding='iso-8859-1'?><t>F\xfcrth</t>",
                None
            ),
            "<?xml version=\"1.0\" encoding='iso-8859-1'?><t>Fürth</t>"
        );
    }

    #[test]
    fn unknown_labels() {
        let ascii = b"<?xml version=\"1.0\" encoding=\"x-klingonisch\"?><rss/>";
        assert_eq!(
            decode_strict(ascii, None).map(|d| d.evidence),
            Err(UnknownCharset {
                label: "x-klingonisch".into()
            })
        );
        // The lenient form goes on to UTF-8.
        assert_eq!(decode(ascii, None).evidence, Evidence::ValidUtf8);
        assert_eq!(
            decode(b"<meta charset=\"x-nix\"><p>\xfc</p>", None).evidence,
            Evidence::Fallback
        );
    }

    #[test]
    fn content_type_parameter() {
        assert_eq!(
            charset_of_content_type("text/html; charset=\"ISO-8859-1\""),
            Some("ISO-8859-1")
        );
        assert_eq!(
            charset_of_content_type("application/rss+xml;Charset=utf-8 "),
            Some("utf-8")
        );
        assert_eq!(charset_of_content_type("text/html"), None);
    }
}
