//! Feed entries read from an element tree ([`super::xmltree`], on quick-xml), for what
//! feed-rs rejects or drops: Atom 0.3 text constructs (`mode="escaped"`, `"xml"`,
//! `"base64"`, MIME types in `type`), Atom content as `application/xhtml+xml`, an empty
//! `<content/>`, RSS 1.0 items without a link, and entry text found only in `dc:title`,
//! `dc:description`, `itunes:summary` or an XHTML `<body>`.
//!
//! feed-rs stays the reader of every feed; this module is asked only when feed-rs failed
//! on a document, left an entry without a title or text, or returned fewer entries than
//! the document holds (see [`super::feed`]).

use std::sync::LazyLock;

use url::Url;

use crate::model::{Enclosure, Image, Item};
use crate::parse::date::parse_date_in;
use crate::parse::item::{clean_lang, dedup, html_field, plain_text, resolve};
use crate::parse::media::has_image_extension;
use crate::parse::xmltree::{self, Element, Html, Node};
use crate::text::{fold_whitespace, html_to_text};

/// A feed document as the tree reader sees it.
pub(super) struct TreeFeed {
    pub title: Option<String>,
    pub lang: Option<String>,
    pub items: Vec<Item>,
}

/// Reads the whole document; `None` when it is not well-formed XML even for quick-xml.
pub(super) fn read(raw: &str, base: &Url, timezone: &chrono_tz::Tz) -> Option<TreeFeed> {
    Some(from_root(&xmltree::parse(raw).ok()?, base, timezone))
}

/// Reads a Channel Definition Format document (Microsoft's 1997 `<CHANNEL>` of `<ITEM
/// HREF>`s with `<TITLE>` and `<ABSTRACT>`): the same reading, with element and attribute
/// names in lower case.
pub(super) fn read_cdf(raw: &str, base: &Url, timezone: &chrono_tz::Tz) -> Option<TreeFeed> {
    fn lower(e: &mut Element) {
        e.name.make_ascii_lowercase();
        for (n, _) in &mut e.attrs {
            n.make_ascii_lowercase();
        }
        for c in &mut e.children {
            if let Node::Element(c) = c {
                lower(c);
            }
        }
    }
    let mut root = xmltree::parse(raw).ok()?;
    lower(&mut root);
    let base = root
        .attr("base")
        .and_then(|b| base.join(b.trim()).ok())
        .unwrap_or_else(|| base.clone());
    Some(from_root(&root, &base, timezone))
}

fn from_root(root: &Element, base: &Url, timezone: &chrono_tz::Tz) -> TreeFeed {
    let channel = root.child("channel");
    let head = channel.unwrap_or(root);
    let title = head
        .child("title")
        .and_then(|t| construct(t, base, root.name == "feed"))
        .map(|c| c.as_title())
        .filter(|t| !t.is_empty());
    let lang = root
        .attr("xml:lang")
        .or_else(|| head.attr("xml:lang"))
        .map(str::to_string)
        .or_else(|| head.child("language").map(Element::text))
        .and_then(|l| clean_lang(&l));
    let mut found = Vec::new();
    entries(root, &mut found);
    let items = found
        .into_iter()
        .map(|e| entry(e, base, lang.as_deref(), timezone))
        .collect();
    TreeFeed { title, lang, items }
}

/// Is the element an entry (RSS `item`, Atom `entry`)?
fn is_entry(e: &Element) -> bool {
    e.name == "item" || e.name == "entry"
}

/// The entries in document order, not descending into an entry (an Atom `source` or a
/// nested item belongs to its entry).
fn entries<'a>(el: &'a Element, out: &mut Vec<&'a Element>) {
    if is_entry(el) {
        out.push(el);
        return;
    }
    for child in el.elements() {
        entries(child, out);
    }
}

/// Fills what feed-rs left empty in `items` from the tree's entries, one by one; the two
/// lists must be of the same document and length. `texts_from_tree`: the tree's title and
/// texts win where it has them (feed-rs passes Atom 0.3 `mode="base64"` text on undecoded).
pub(super) fn fill(items: &mut [Item], tree: Vec<Item>, texts_from_tree: bool) {
    for (item, t) in items.iter_mut().zip(tree) {
        if item.title.is_empty() || (texts_from_tree && !t.title.is_empty()) {
            item.title = t.title;
        }
        if item.summary_html.is_none() || (texts_from_tree && t.summary_html.is_some()) {
            item.summary_html = t.summary_html;
        }
        if item.content_html.is_none() || (texts_from_tree && t.content_html.is_some()) {
            item.content_html = t.content_html;
        }
        if item.link.is_none() {
            item.link = t.link;
        }
        if item.guid.is_none() {
            item.guid = t.guid;
        }
    }
}

/// A text construct's value: plain text, or HTML.
enum Value {
    Plain(String),
    Html(String),
}

impl Value {
    fn as_title(&self) -> String {
        match self {
            Value::Plain(t) => plain_text(t),
            Value::Html(h) => fold_whitespace(&html_to_text(h)),
        }
    }

    fn as_html(&self, base: &Url) -> Option<String> {
        match self {
            Value::Plain(t) => html_field(t, true, base),
            Value::Html(h) => html_field(h, false, base),
        }
    }

    fn is_blank(&self) -> bool {
        match self {
            Value::Plain(t) => t.trim().is_empty(),
            Value::Html(h) => html_to_text(h).trim().is_empty(),
        }
    }
}

/// Reads a text construct of Atom 1.0 (`type` text, html, xhtml), Atom 0.3 (`type` a MIME
/// type, `mode` xml, escaped or base64) or RSS (HTML unless it says otherwise). Child
/// elements are inline XHTML, written out as HTML. `atom`: no `type` means plain text.
fn construct(el: &Element, base: &Url, atom: bool) -> Option<Value> {
    let ty = el
        .attr("type")
        .map(|t| t.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let mode = el
        .attr("mode")
        .map(|m| m.trim().to_ascii_lowercase())
        .unwrap_or_default();
    let plain = match ty.as_str() {
        "text" | "text/plain" => true,
        "" => atom,
        _ => false,
    };
    if el.elements().next().is_some() {
        let mut html = String::new();
        xmltree::write_html(el, base, &html_tag, &mut html);
        return Some(Value::Html(html));
    }
    let mut text = String::new();
    for n in &el.children {
        if let Node::Text(t) = n {
            text.push_str(t);
        }
    }
    if mode == "base64" {
        use base64::Engine as _;
        let compact: String = text.split_whitespace().collect();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(compact.as_bytes())
            .ok()?;
        text = String::from_utf8_lossy(&bytes).into_owned();
    }
    let value = if plain {
        Value::Plain(text)
    } else {
        Value::Html(text)
    };
    (!value.is_blank()).then_some(value)
}

/// HTML elements inline XHTML may carry, written under their own name; anything else is
/// unwrapped (its text kept), and active content dropped. The sanitizer still runs on
/// everything at publish time; this only keeps the structure a reader expects.
fn html_tag(e: &Element) -> Html {
    static TAGS: &[&str] = &[
        "a",
        "abbr",
        "acronym",
        "address",
        "b",
        "bdo",
        "big",
        "blockquote",
        "br",
        "caption",
        "center",
        "cite",
        "code",
        "col",
        "colgroup",
        "dd",
        "del",
        "dfn",
        "dir",
        "div",
        "dl",
        "dt",
        "em",
        "figcaption",
        "figure",
        "font",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "hr",
        "i",
        "img",
        "ins",
        "kbd",
        "li",
        "ol",
        "p",
        "pre",
        "q",
        "s",
        "samp",
        "small",
        "span",
        "strike",
        "strong",
        "sub",
        "sup",
        "table",
        "tbody",
        "td",
        "tfoot",
        "th",
        "thead",
        "tr",
        "tt",
        "u",
        "ul",
        "var",
    ];
    static DROPPED: LazyLock<Vec<&'static str>> = LazyLock::new(|| {
        vec![
            "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "form",
            "input", "button", "select", "textarea", "svg", "math", "meta", "link", "base", "head",
            "title", "noscript", "template",
        ]
    });
    let name = e.name.to_ascii_lowercase();
    if DROPPED.contains(&name.as_str()) {
        return Html::Drop;
    }
    match TAGS.iter().find(|t| **t == name) {
        Some(t) => Html::Tag(t),
        None => Html::Unwrap,
    }
}

/// The first child of these names (in this order of preference) with a non-blank value.
fn first_value(e: &Element, names: &[&str], base: &Url, atom: bool) -> Option<Value> {
    names.iter().find_map(|n| {
        e.all(n)
            .filter(|c| c.attr("src").is_none())
            .find_map(|c| construct(c, base, atom))
    })
}

fn entry(e: &Element, base: &Url, feed_lang: Option<&str>, timezone: &chrono_tz::Tz) -> Item {
    let base = e
        .attr("xml:base")
        .and_then(|b| base.join(b.trim()).ok())
        .unwrap_or_else(|| base.clone());
    let base = &base;
    let atom = e.name == "entry";
    let text_of = |names: &[&str]| {
        names
            .iter()
            .find_map(|n| e.all(n).find_map(Element::text_opt))
    };
    let guid = text_of(&["id", "guid"]);
    let link = pick_link(e, base).or_else(|| {
        // An RSS guid that is a web address stands in for a missing link (isPermaLink).
        e.child("guid")
            .filter(|g| g.attr("isPermaLink").map(str::trim) != Some("false"))
            .and_then(Element::text_opt)
            .and_then(|g| Url::parse(&g).ok())
            .filter(|u| matches!(u.scheme(), "http" | "https"))
    });
    let date = |names: &[&str]| {
        names
            .iter()
            .filter_map(|n| text_of(&[n]))
            .find_map(|t| parse_date_in(&t, timezone))
    };
    let published = date(&["published", "issued", "created", "pubDate", "date"])
        .or_else(|| e.attr("lastmod").and_then(|d| parse_date_in(d, timezone)));
    let updated = date(&["updated", "modified"]).filter(|u| Some(*u) != published);
    let (image, enclosures) = attachments(e, base);
    Item {
        guid,
        link,
        title: first_value(e, &["title"], base, atom)
            .map(|v| v.as_title())
            .unwrap_or_default(),
        summary_html: first_value(e, &["summary", "description", "abstract"], base, atom)
            .and_then(|v| v.as_html(base)),
        content_html: first_value(e, &["content", "encoded", "body", "fullitem"], base, atom)
            .and_then(|v| v.as_html(base)),
        authors: dedup(
            e.elements()
                .filter(|c| c.name == "author" || c.name == "creator")
                .filter_map(|c| c.child("name").unwrap_or(c).text_opt())
                .map(|n| plain_text(&n)),
        ),
        categories: dedup(
            e.elements()
                .filter(|c| c.name == "category" || c.name == "subject")
                .filter_map(|c| {
                    c.attr_text("label")
                        .or_else(|| c.attr_text("term"))
                        .or_else(|| c.text_opt())
                })
                .map(|c| plain_text(&c)),
        ),
        published,
        updated,
        image,
        enclosures,
        lang: e
            .attr("xml:lang")
            .and_then(clean_lang)
            .or_else(|| feed_lang.map(str::to_string)),
        wire: None,
    }
}

/// The entry's page: an Atom `link` with `rel="alternate"` or no `rel`, else an RSS
/// `<link>` with the address as text.
fn pick_link(e: &Element, base: &Url) -> Option<Url> {
    let links: Vec<&Element> = e.all("link").collect();
    links
        .iter()
        .filter(|l| matches!(l.attr("rel").map(str::trim), None | Some("alternate")))
        .filter_map(|l| l.attr("href"))
        .chain(links.iter().filter_map(|l| {
            if l.attr("href").is_some() {
                None
            } else {
                l.children.iter().find_map(|n| match n {
                    Node::Text(t) if !t.trim().is_empty() => Some(t.as_str()),
                    _ => None,
                })
            }
        }))
        // CDF: the item's own HREF.
        .chain(e.attr("href"))
        .find_map(|href| resolve(href, base))
        .filter(|u| matches!(u.scheme(), "http" | "https" | "ftp"))
}

/// The picture (the first image enclosure) and the other attached files: RSS `<enclosure>`
/// and Atom `<link rel="enclosure">`.
fn attachments(e: &Element, base: &Url) -> (Option<Image>, Vec<Enclosure>) {
    let mut image: Option<Image> = None;
    let mut out: Vec<Enclosure> = Vec::new();
    for c in e.elements() {
        let href = match c.name.as_str() {
            "enclosure" => c.attr("url"),
            "link" if c.attr("rel").map(str::trim) == Some("enclosure") => c.attr("href"),
            _ => None,
        };
        let Some(url) = href.and_then(|h| resolve(h, base)) else {
            continue;
        };
        if !matches!(url.scheme(), "http" | "https") {
            continue;
        }
        let mime = c.attr_text("type");
        let length = c
            .attr("length")
            .and_then(|l| l.trim().parse::<u64>().ok())
            .filter(|&n| n > 0);
        let is_image = match &mime {
            Some(m) => m.starts_with("image/"),
            None => has_image_extension(url.path()),
        };
        if is_image && image.is_none() {
            image = Some(Image {
                url: url.to_string(),
                mime,
                length,
                ..Image::default()
            });
        } else if !out.iter().any(|x| x.url == url.as_str()) {
            out.push(Enclosure {
                url: url.to_string(),
                mime,
                length,
            });
        }
    }
    (image, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> Url {
        Url::parse("https://feeds.example/a/feed.xml").expect("url")
    }

    #[test]
    fn atom03_text_constructs_in_every_mode() {
        let doc = r#"<feed version="0.3" xmlns="http://purl.org/atom/ns#"><entry>
<title type="text/plain" mode="escaped">Wahl &amp;lt;heute&amp;gt;</title>
<summary type="text/html" mode="escaped">&lt;b&gt;Kurz&lt;/b&gt; gesagt</summary>
<content type="application/xhtml+xml" mode="xml"><div xmlns="http://www.w3.org/1999/xhtml"><p>Ein <em>ganzer</em> Satz.</p></div></content>
</entry><entry><title mode="base64" type="text/html">PGk+QmFzaXM8L2k+IDY0</title></entry></feed>"#;
        let feed = read(doc, &base(), &chrono_tz::UTC).expect("tree");
        assert_eq!(feed.items.len(), 2);
        let a = &feed.items[0];
        assert_eq!(a.title, "Wahl <heute>");
        assert_eq!(a.summary_html.as_deref(), Some("<b>Kurz</b> gesagt"));
        assert_eq!(
            a.content_html.as_deref(),
            Some("<div><p>Ein <em>ganzer</em> Satz.</p></div>")
        );
        assert_eq!(feed.items[1].title, "Basis 64");
    }

    #[test]
    fn inline_xhtml_drops_active_content() {
        let doc = r#"<rss version="2.0"><channel><item><body xmlns="http://www.w3.org/1999/xhtml"><p onclick="x()">Text</p><script>alert(1)</script></body></item></channel></rss>"#;
        let feed = read(doc, &base(), &chrono_tz::UTC).expect("tree");
        assert_eq!(feed.items[0].content_html.as_deref(), Some("<p>Text</p>"));
    }
}
