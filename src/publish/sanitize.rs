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
use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, Tag, TagKind, Token, TokenSink, TokenSinkResult, Tokenizer, TokenizerOpts,
};
use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::{HashMap, HashSet};
use url::Url;

/// The deepest element nesting a published fragment keeps. Deeper start tags are dropped
/// (with their end tags); their text is kept at depth 256. Real article markup stays far
/// below it (a few dozen levels at most); the bound is what makes sanitizing linear: the
/// HTML tree builder checks the stack of open elements on every tag, so N nested elements
/// cost N² without it (100,000 nested `<div>`s took a minute per cycle).
pub const MAX_DEPTH: usize = 256;

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
    let html = bound_nesting(html, MAX_DEPTH);
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

    let cleaned = Builder::default()
        .tags(TAGS.iter().copied().collect())
        .clean_content_tags(CLEAN_CONTENT_TAGS.iter().copied().collect())
        .tag_attributes(tag_attributes)
        .generic_attributes(["lang", "title"].into_iter().collect())
        .url_schemes(URL_SCHEMES.iter().copied().collect())
        .url_relative(UrlRelative::RewriteWithBase(base.clone()))
        .link_rel(Some("noopener noreferrer"))
        .strip_comments(true)
        .clean(&html)
        .to_string();
    drop_images_without_src(cleaned)
}

/// Removes `<img>` elements the sanitizer left without a `src` (a `data:` or `javascript:`
/// image loses the attribute, not the element): readers show them as broken alt text.
/// The input is ammonia's serialization, where every attribute value is double-quoted
/// with `"` escaped, so a quote-aware scan finds each tag's end.
fn drop_images_without_src(html: String) -> String {
    if !html.contains("<img") {
        return html;
    }
    let mut out = String::with_capacity(html.len());
    let mut rest = html.as_str();
    while let Some(start) = rest.find("<img") {
        out.push_str(&rest[..start]);
        let tag = &rest[start..];
        let mut quoted = false;
        let end = tag
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    quoted = !quoted;
                }
                c == '>' && !quoted
            })
            .map_or(tag.len(), |(i, _)| i + 1);
        let element = &tag[..end];
        if element.contains(" src=\"") {
            out.push_str(element);
        }
        rest = &tag[end..];
    }
    out.push_str(rest);
    out
}

/// Elements without content: never pushed on the stack of open elements.
const VOID: &[&str] = &[
    "area", "base", "basefont", "bgsound", "br", "col", "embed", "frame", "hr", "image", "img",
    "input", "keygen", "link", "meta", "param", "source", "track", "wbr",
];

/// Elements a later sibling of the same name closes (`<li>a<li>b`), searched for up to the
/// nearest container, so sloppy lists do not count as nesting.
const SIBLING_CLOSED: &[&str] = &["dd", "dt", "li", "option", "p", "td", "th", "tr"];
const CONTAINERS: &[&str] = &[
    "article",
    "blockquote",
    "div",
    "dl",
    "ol",
    "section",
    "select",
    "table",
    "tbody",
    "tfoot",
    "thead",
    "ul",
];

/// Returns `html` with its element nesting bounded by `max_depth`, in time linear in its
/// length, as well-nested markup: every start tag written is closed by an explicit end tag
/// in order, start tags beyond the bound and end tags that close nothing are dropped, and
/// text, attributes and everything within the bound are kept. Well-nested input is what
/// keeps the HTML tree builder that reads the result (ammonia) within a small multiple of
/// the bound, whatever the input did (misnested formatting tags, end tags that close
/// nothing). Comments and doctypes are dropped; the sanitizer would drop them too.
///
/// This is not a sanitizer: its output must still pass `sanitize_html`'s allowlist.
pub fn bound_nesting(html: &str, max_depth: usize) -> Cow<'_, str> {
    // Each tag opens at most one element and the tree builder adds at most one more per
    // formatting tag, so markup with fewer than half the bound in tags cannot exceed it.
    if html.bytes().filter(|&b| b == b'<').count() <= max_depth / 2 {
        return Cow::Borrowed(html);
    }
    let tokenizer = Tokenizer::new(
        Flattener(RefCell::new(Flat {
            out: String::with_capacity(html.len()),
            open: Vec::new(),
            max_depth,
        })),
        TokenizerOpts::default(),
    );
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    // The sink never asks to pause for a script, so one feed consumes everything.
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    let mut flat = tokenizer.sink.0.into_inner();
    flat.close_to(0);
    Cow::Owned(flat.out)
}

struct Flattener(RefCell<Flat>);

struct Flat {
    out: String,
    /// Names of the elements written and not yet closed, outermost first.
    open: Vec<String>,
    max_depth: usize,
}

impl Flat {
    fn close_to(&mut self, len: usize) {
        while self.open.len() > len {
            let name = self
                .open
                .pop()
                .expect("loop runs while open is longer than len");
            self.out.push_str("</");
            self.out.push_str(&name);
            self.out.push('>');
        }
    }

    fn write_start(&mut self, tag: &Tag) {
        self.out.push('<');
        self.out.push_str(&tag.name);
        for attr in &tag.attrs {
            let name = &*attr.name.local;
            if !plain_name(name) {
                continue;
            }
            self.out.push(' ');
            self.out.push_str(name);
            self.out.push_str("=\"");
            for c in attr.value.chars() {
                match c {
                    '&' => self.out.push_str("&amp;"),
                    '"' => self.out.push_str("&quot;"),
                    c => self.out.push(c),
                }
            }
            self.out.push('"');
        }
        self.out.push('>');
    }

    fn text(&mut self, text: &str) {
        for c in text.chars() {
            match c {
                '&' => self.out.push_str("&amp;"),
                '<' => self.out.push_str("&lt;"),
                '>' => self.out.push_str("&gt;"),
                c => self.out.push(c),
            }
        }
    }

    fn start(&mut self, tag: &Tag) -> TokenSinkResult<()> {
        let name = &*tag.name;
        if !plain_name(name) {
            return TokenSinkResult::Continue;
        }
        match name {
            // Raw text the sanitizer would keep as text: kept as escaped text, without the
            // element, so it reads the same after the sanitizer parses it again.
            "noembed" | "noframes" | "noscript" | "xmp" => {
                return TokenSinkResult::RawData(RawKind::Rawtext)
            }
            "plaintext" => return TokenSinkResult::Plaintext,
            _ => {}
        }
        if VOID.contains(&name) {
            self.write_start(tag);
            return TokenSinkResult::Continue;
        }
        if SIBLING_CLOSED.contains(&name) {
            for i in (0..self.open.len()).rev() {
                let open = self.open[i].as_str();
                if open == name {
                    self.close_to(i);
                    break;
                }
                if CONTAINERS.contains(&open) {
                    break;
                }
            }
        }
        if self.open.len() >= self.max_depth {
            return TokenSinkResult::Continue;
        }
        self.write_start(tag);
        self.open.push(name.to_string());
        match name {
            "script" => TokenSinkResult::RawData(RawKind::ScriptData),
            "iframe" | "style" => TokenSinkResult::RawData(RawKind::Rawtext),
            "textarea" | "title" => TokenSinkResult::RawData(RawKind::Rcdata),
            _ => TokenSinkResult::Continue,
        }
    }

    fn end(&mut self, tag: &Tag) {
        let name = &*tag.name;
        if let Some(i) = self.open.iter().rposition(|open| open == name) {
            self.close_to(i);
        } else if name == "br" {
            // `</br>` is a line break to every HTML parser.
            self.out.push_str("<br>");
        }
    }
}

impl TokenSink for Flattener {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        let mut flat = self.0.borrow_mut();
        match token {
            Token::TagToken(tag) => match tag.kind {
                TagKind::StartTag => return flat.start(&tag),
                TagKind::EndTag => flat.end(&tag),
            },
            Token::CharacterTokens(text) => flat.text(&text),
            Token::NullCharacterToken
            | Token::CommentToken(_)
            | Token::DoctypeToken(_)
            | Token::EOFToken
            | Token::ParseError(_) => {}
        }
        TokenSinkResult::Continue
    }
}

/// Tag and attribute names made of the characters real ones use; others (`a"b`, `x<y`)
/// are never on the allowlist, so dropping them loses nothing.
fn plain_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.'))
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
        // Issue 10: an image whose only source was a data: URL is gone, not shown as alt text.
        assert!(!out.contains("<img"), "{out}");
        let kept = sanitize_html(
            "<p>a<img alt=\"x > y\" src=\"data:image/gif;base64,R0\">b<img src=\"/c.jpg\" alt=\"c\"></p>",
            &base(),
        );
        assert_eq!(kept.matches("<img").count(), 1, "{kept}");
        assert!(
            kept.contains("c.jpg") && kept.contains(">a") && kept.contains("b<img"),
            "{kept}"
        );
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

    fn nested(tag: &str, depth: usize, text: &str) -> String {
        format!(
            "{}{text}{}",
            format!("<{tag}>").repeat(depth),
            format!("</{tag}>").repeat(depth)
        )
    }

    /// Issue 11, item 1: 100,000 nested elements took a minute per cycle to publish. The
    /// bound is what makes it linear; kept tags prove the bound holds on the output.
    #[test]
    fn deeply_nested_markup_is_cut_at_max_depth_and_keeps_its_text() {
        let html = nested("blockquote", 5_000, "Tief drin");
        let out = sanitize_html(&html, &base());
        assert!(out.contains("Tief drin"), "{}", &out[..200]);
        assert_eq!(out.matches("<blockquote>").count(), MAX_DEPTH);
        assert_eq!(out.matches("</blockquote>").count(), MAX_DEPTH);
    }

    #[test]
    fn bound_nesting_leaves_short_markup_alone_and_closes_what_it_opens() {
        let short = "<p>kurz <b>fett</b></p>";
        assert!(matches!(bound_nesting(short, 8), Cow::Borrowed(_)));
        let html = "<div><b>A<i>B</b>C<li>X<li>Y<p>1<p>2</div></span>".repeat(3);
        let out = bound_nesting(&html, 4);
        assert_eq!(
            out.matches('<').count(),
            2 * out.matches("</").count(),
            "{out}"
        );
        for text in ["A", "B", "C", "X", "Y", "1", "2"] {
            assert_eq!(out.matches(text).count(), 3, "{text} in {out}");
        }
    }

    #[test]
    fn bound_nesting_keeps_attributes_and_raw_text_as_text() {
        let html = format!(
            "{}<a href=\"/x?a=1&amp;b=&quot;2&quot;\">l</a><xmp><b>roh</b></xmp>\
             <script>if (a<b) {{}}</script><!-- weg -->",
            "<br>".repeat(200)
        );
        let out = bound_nesting(&html, 16);
        assert!(
            out.contains("<a href=\"/x?a=1&amp;b=&quot;2&quot;\">l</a>"),
            "{out}"
        );
        assert!(out.contains("&lt;b&gt;roh&lt;/b&gt;"), "{out}");
        assert!(!out.contains("weg"), "{out}");
        let clean = sanitize_html(&html, &base());
        assert!(clean.contains("&lt;b&gt;roh&lt;/b&gt;"), "{clean}");
        assert!(
            !clean.contains("script") && !clean.contains("a&lt;b"),
            "{clean}"
        );
    }
}
