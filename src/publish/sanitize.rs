//! HTML sanitizing for published feeds: an ammonia allowlist of ordinary article markup.
//!
//! Order that matters: sanitizing is the LAST step before anything leaves wirefeed. The
//! stages before it (parse, store, curate) keep the HTML as the source sent it, with URLs
//! already absolute. Sanitizing earlier would mean that any later step (joining paragraphs,
//! truncating, rewriting links) could bring back what was removed, or produce markup the
//! sanitizer never saw; sanitizing at render time means exactly the bytes that go into a
//! feed have passed the allowlist. It also lets the allowlist change without rewriting the
//! store. Feed readers render this HTML inside their own pages (some inside a browser
//! context with cookies), so a script or event handler that got through would run there.

use ammonia::{Builder, UrlRelative};
use std::collections::{HashMap, HashSet};
use url::Url;

/// Tags an article body may keep. Anything else (div, span, font, h1, …) is dropped while
/// its text is kept, so that unknown wrappers never cost us the article.
const TAGS: &[&str] = &[
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "caption",
    "cite",
    "code",
    "dd",
    "dl",
    "dt",
    "em",
    "figcaption",
    "figure",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "li",
    "ol",
    "p",
    "pre",
    "q",
    "s",
    "small",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "tfoot",
    "th",
    "thead",
    "time",
    "tr",
    "u",
    "ul",
];

/// Tags removed together with their content: their content is code or interactive
/// furniture, never article text. (`form` is not here: some CMS wrap the whole page in a
/// form, so the tag goes but its text stays.)
const CLEAN_CONTENT_TAGS: &[&str] = &[
    "script", "style", "iframe", "object", "embed", "template", "svg", "math", "button", "select",
    "textarea",
];

/// URL schemes a link or image may use; `javascript:`, `data:`, `vbscript:` and every
/// other scheme lose the attribute.
const URL_SCHEMES: &[&str] = &["http", "https", "mailto", "tel"];

/// Sanitizes an HTML fragment for publishing: keeps ordinary article markup (paragraphs,
/// links, emphasis, lists, quotes, h2–h6, figures, images with src/alt, simple tables),
/// removes scripts, styles (elements and `style=`), event handlers, iframes, forms,
/// objects and embeds, drops `javascript:`/`data:`/`vbscript:` URLs, makes relative URLs
/// absolute against `base` and marks links `rel="noopener noreferrer"`.
pub fn sanitize_html(html: &str, base: &Url) -> String {
    let tag_attributes: HashMap<&str, HashSet<&str>> = [
        ("a", &["href", "title"][..]),
        ("abbr", &["title"]),
        ("blockquote", &["cite"]),
        ("img", &["src", "alt", "title", "width", "height"]),
        ("q", &["cite"]),
        ("td", &["colspan", "rowspan"]),
        ("th", &["colspan", "rowspan", "scope"]),
        ("time", &["datetime"]),
    ]
    .into_iter()
    .map(|(tag, attrs)| (tag, attrs.iter().copied().collect()))
    .collect();

    Builder::default()
        .tags(TAGS.iter().copied().collect())
        .clean_content_tags(CLEAN_CONTENT_TAGS.iter().copied().collect())
        .tag_attributes(tag_attributes)
        .generic_attributes(["lang", "title"].into_iter().collect())
        .url_schemes(URL_SCHEMES.iter().copied().collect())
        .url_relative(UrlRelative::RewriteWithBase(base.clone()))
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true)
        .clean(html)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://www.beispiel-kurier.de/politik/artikel-1.html").unwrap()
    }

    #[test]
    fn keeps_article_markup() {
        let html = "<h2>Lage</h2><p>Die <b>Grünen</b> &amp; die <em>SPD</em>:</p>\
                    <ul><li>eins</li></ul><blockquote>Zitat</blockquote>\
                    <figure><img src=\"https://cdn.beispiel-kurier.de/a.jpg\" alt=\"Rathaus\">\
                    <figcaption>Foto: Archiv</figcaption></figure>";
        let out = sanitize_html(html, &base());
        for kept in [
            "<h2>Lage</h2>",
            "<b>Grünen</b> &amp; die <em>SPD</em>",
            "<ul><li>eins</li></ul>",
            "<blockquote>Zitat</blockquote>",
            "<img src=\"https://cdn.beispiel-kurier.de/a.jpg\" alt=\"Rathaus\">",
            "<figcaption>Foto: Archiv</figcaption>",
        ] {
            assert!(out.contains(kept), "{kept:?} missing in {out}");
        }
    }

    #[test]
    fn removes_scripts_styles_handlers_and_embeds() {
        let html = "<p onclick=\"x()\" style=\"color:red\">Text</p><script>alert(1)</script>\
                    <style>p{}</style><iframe src=\"https://boese.example/\">alt</iframe>\
                    <object data=\"a.swf\"></object><embed src=\"a.swf\">\
                    <form action=\"/senden\"><input name=\"q\">Formulartext</form>\
                    <img src=\"x.jpg\" onerror=\"alert(2)\">";
        let out = sanitize_html(html, &base());
        for gone in [
            "onclick", "style", "script", "alert", "iframe", "object", "embed", "<form", "<input",
            "onerror", "boese",
        ] {
            assert!(!out.contains(gone), "{gone:?} survived in {out}");
        }
        assert!(out.contains("<p>Text</p>"));
        assert!(out.contains("Formulartext"));
    }

    #[test]
    fn drops_dangerous_url_schemes() {
        let html = "<a href=\"javascript:alert(1)\">a</a><a href=\"JaVaScRiPt:alert(1)\">b</a>\
                    <a href=\"vbscript:msgbox\">c</a><img src=\"data:image/png;base64,AAAA\">";
        let out = sanitize_html(html, &base());
        assert!(!out.to_ascii_lowercase().contains("javascript"), "{out}");
        assert!(!out.contains("vbscript"), "{out}");
        assert!(!out.contains("data:"), "{out}");
    }

    #[test]
    fn makes_relative_urls_absolute_and_links_noopener() {
        let html = "<a href=\"../wirtschaft/b.html\">b</a><img src=\"/bilder/c.jpg\" alt=\"\">";
        let out = sanitize_html(html, &base());
        assert!(
            out.contains("href=\"https://www.beispiel-kurier.de/wirtschaft/b.html\""),
            "{out}"
        );
        assert!(out.contains("rel=\"noopener noreferrer\""), "{out}");
        assert!(
            out.contains("src=\"https://www.beispiel-kurier.de/bilder/c.jpg\""),
            "{out}"
        );
    }
}
