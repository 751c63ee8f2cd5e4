//! Agency deliveries (IPTC ninjs, NewsML-G2, NITF) told apart from feeds by their content and
//! handed to their parser. Kept apart from `agency.rs` so the parsers' shared helpers do not
//! import the parsers back.

use chrono_tz::Tz;
use url::Url;

use super::agency::AgencyError;
use super::{newsml, ninjs, nitf};
use crate::model::ParsedFeed;

/// Reads `text` when it is an agency delivery; `None` when it is something else (a feed,
/// an HTML page), which the feed parser then reads or refuses. Times that name no zone
/// are read in `tz`, the source's `timezone`.
pub(crate) fn parse(text: &str, base: &Url, tz: Tz) -> Option<Result<ParsedFeed, AgencyError>> {
    match text.as_bytes().first()? {
        b'[' => Some(ninjs::parse_str(text, base, tz)),
        b'{' if ninjs::looks_like_ninjs(text) => Some(ninjs::parse_str(text, base, tz)),
        b'<' => match root_name(text)? {
            "newsItem" | "packageItem" | "newsMessage" => Some(newsml::parse_str(text, base, tz)),
            "nitf" => Some(nitf::parse_str(text, base, tz)),
            _ => None,
        },
        _ => None,
    }
}

/// The local name of the root element, past the prolog; a cheap scan, no parsing.
fn root_name(s: &str) -> Option<&str> {
    let mut rest = s;
    loop {
        rest = rest.trim_start();
        if rest.starts_with("<?") {
            rest = &rest[rest.find("?>")? + 2..];
        } else if rest.starts_with("<!--") {
            rest = &rest[rest.find("-->")? + 3..];
        } else if rest.starts_with("<!") {
            rest = &rest[rest.find('>')? + 1..];
        } else {
            let name = rest.strip_prefix('<')?;
            let end = name
                .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
                .unwrap_or(name.len());
            let qname = &name[..end];
            return Some(qname.rsplit(':').next().unwrap_or(qname));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_agency_roots_only() {
        assert_eq!(
            root_name("<?xml version=\"1.0\"?>\n<!-- x -->\n<g2:newsItem guid=\"a\">"),
            Some("newsItem")
        );
        assert_eq!(root_name("<nitf>"), Some("nitf"));
        assert_eq!(root_name("<rss version=\"2.0\">"), Some("rss"));
    }
}
