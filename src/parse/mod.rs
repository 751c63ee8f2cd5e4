//! Parsing stage: bytes in, items out. Nothing here touches the network, the store or a clock.
//!
//! `encoding` (one charset decoder), `date` (one lenient date parser) and `title` (one
//! site-name stripper) serve every format; `html` holds the page guards and DOM helpers
//! that `article` and `teaser` share; `feed` and `json_feed` read feeds.

/// A `&'static Selector` for a CSS literal, compiled on first use and then reused, so no
/// page pays for parsing the same selector again.
macro_rules! css {
    ($s:literal) => {{
        static SELECTOR: std::sync::LazyLock<scraper::Selector> =
            std::sync::LazyLock::new(|| $crate::parse::html::sel($s));
        &*SELECTOR
    }};
}

pub mod agency;
pub mod article;
pub mod cap;
pub mod credit;
pub mod date;
pub mod encoding;
pub mod feed;
pub mod html;
pub mod item;
pub mod json_feed;
pub mod media;
pub mod newsml;
pub mod ninjs;
pub mod nitf;
mod sniff;
pub mod teaser;
pub mod title;
mod tolerant;
mod wire;
mod xmltree;

/// Does this body look like an HTML page rather than a feed? Looks only at the start,
/// past a BOM, whitespace, comments and an XML declaration.
pub fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(2048)];
    let text = String::from_utf8_lossy(head);
    let mut rest = text.trim_start_matches('\u{feff}').trim_start();
    loop {
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = after
                .find("-->")
                .map_or("", |i| &after[i + 3..])
                .trim_start();
        } else if rest.starts_with("<?xml") {
            rest = rest.find("?>").map_or("", |i| &rest[i + 2..]).trim_start();
        } else {
            break;
        }
    }
    let lower: String = rest
        .chars()
        .take(15)
        .collect::<String>()
        .to_ascii_lowercase();
    lower.starts_with("<!doctype html")
        || lower.starts_with("<html")
        || lower.starts_with("<head")
        || lower.starts_with("<body")
}

#[cfg(test)]
mod tests {
    use super::looks_like_html;

    #[test]
    fn sniffs_html_pages_not_feeds() {
        assert!(looks_like_html(b"\xef\xbb\xbf  <!DOCTYPE html><html>"));
        assert!(looks_like_html(b"<!-- x --><html lang=de>"));
        assert!(!looks_like_html(
            b"<?xml version=\"1.0\"?><rss version=\"2.0\">"
        ));
        assert!(!looks_like_html(
            b"{\"version\": \"https://jsonfeed.org/version/1.1\"}"
        ));
    }
}
