//! A small element tree read with quick-xml, for the agency formats (NewsML-G2, NITF) whose
//! metadata is spread over nested elements and whose bodies are XHTML or NITF markup that
//! is passed on as HTML.

use url::Url;

/// Elements nested deeper than this make the document malformed: the tree is walked
/// recursively, and no news item needs more.
const MAX_DEPTH: usize = 200;

/// Elements whose text is a block of its own in HTML, NITF and NewsML-G2.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "td",
    "th",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hl1",
    "hl2",
    "block",
    "section",
    "body",
    "name",
    "headline",
    "title",
    "blockquote",
    "bq",
];

/// An element: its local name (namespace prefix dropped), attributes and children.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Element {
    pub name: String,
    /// `(qualified name, decoded value)`; `xml:lang` keeps its prefix, see [`Element::attr`].
    pub attrs: Vec<(String, String)>,
    pub children: Vec<Node>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Node {
    Element(Element),
    Text(String),
}

/// Where and why a document could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XmlError {
    pub reason: String,
    pub line: Option<usize>,
    pub column: Option<usize>,
    /// The document ended inside an element.
    pub truncated: bool,
}

fn local(qname: &str) -> &str {
    qname.rsplit(':').next().unwrap_or(qname)
}

impl Element {
    /// The value of an attribute, by its qualified name (`xml:lang`) or its local name.
    pub fn attr(&self, name: &str) -> Option<&str> {
        self.attrs
            .iter()
            .find(|(n, _)| n == name)
            .or_else(|| self.attrs.iter().find(|(n, _)| local(n) == name))
            .map(|(_, v)| v.as_str())
    }

    /// A non-empty attribute value, trimmed.
    pub fn attr_text(&self, name: &str) -> Option<String> {
        self.attr(name)
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    }

    /// Child elements.
    pub fn elements(&self) -> impl Iterator<Item = &Element> {
        self.children.iter().filter_map(|n| match n {
            Node::Element(e) => Some(e),
            Node::Text(_) => None,
        })
    }

    /// Child elements with this local name.
    pub fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Element> + 'a {
        self.elements().filter(move |e| e.name == name)
    }

    /// The first child element with this local name.
    pub fn child(&self, name: &str) -> Option<&Element> {
        self.elements().find(|e| e.name == name)
    }

    /// The first element along a path of child names.
    pub fn path(&self, names: &[&str]) -> Option<&Element> {
        names.iter().try_fold(self, |e, n| e.child(n))
    }

    /// The first descendant (depth first, this element excluded) with this local name.
    pub fn find(&self, name: &str) -> Option<&Element> {
        for e in self.elements() {
            if e.name == name {
                return Some(e);
            }
            if let Some(found) = e.find(name) {
                return Some(found);
            }
        }
        None
    }

    /// All text inside, whitespace folded.
    pub fn text(&self) -> String {
        let mut raw = String::new();
        self.collect_text(&mut raw);
        crate::text::fold_whitespace(&raw)
    }

    /// The folded text, or `None` when there is none.
    pub fn text_opt(&self) -> Option<String> {
        Some(self.text()).filter(|t| !t.is_empty())
    }

    fn collect_text(&self, out: &mut String) {
        for n in &self.children {
            match n {
                Node::Text(t) => out.push_str(t),
                Node::Element(e) if BLOCKS.contains(&e.name.as_str()) => {
                    // Block boundaries must not glue words together.
                    out.push(' ');
                    e.collect_text(out);
                    out.push(' ');
                }
                Node::Element(e) => e.collect_text(out),
            }
        }
    }
}

/// How an element of a source vocabulary is written as HTML.
pub enum Html {
    /// As this HTML element, with its `href`, `src`, `alt`, `title` attributes.
    Tag(&'static str),
    /// Its children only.
    Unwrap,
    /// Not at all.
    Drop,
}

const VOID: &[&str] = &["br", "hr", "img"];
const KEPT_ATTRS: &[&str] = &["href", "src", "alt", "title", "colspan", "rowspan", "lang"];

/// Writes the children of `el` as HTML: text escaped, `href`/`src` made absolute against
/// `base`, each element mapped by `map`.
pub fn write_html(el: &Element, base: &Url, map: &dyn Fn(&Element) -> Html, out: &mut String) {
    for n in &el.children {
        match n {
            Node::Text(t) => out.push_str(&html_escape::encode_text(t)),
            Node::Element(e) => match map(e) {
                Html::Drop => {}
                Html::Unwrap => write_html(e, base, map, out),
                Html::Tag(tag) => {
                    out.push('<');
                    out.push_str(tag);
                    for (name, value) in &e.attrs {
                        let name = local(name);
                        if !KEPT_ATTRS.contains(&name) {
                            continue;
                        }
                        let value = if matches!(name, "href" | "src") {
                            match base.join(value.trim()) {
                                Ok(u) => u.to_string(),
                                Err(_) => continue,
                            }
                        } else {
                            value.clone()
                        };
                        out.push(' ');
                        out.push_str(name);
                        out.push_str("=\"");
                        out.push_str(&html_escape::encode_double_quoted_attribute(&value));
                        out.push('"');
                    }
                    out.push('>');
                    if !VOID.contains(&tag) {
                        write_html(e, base, map, out);
                        out.push_str("</");
                        out.push_str(tag);
                        out.push('>');
                    }
                }
            },
        }
    }
}

/// Reads a whole document into its root element. Entities are resolved as HTML does
/// (`&nbsp;` is common in agency XHTML that has no DTD); comments and processing
/// instructions are dropped.
pub fn parse(s: &str) -> Result<Element, XmlError> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(s);
    let mut stack: Vec<Element> = Vec::new();
    let mut root: Option<Element> = None;
    let error = |reader: &quick_xml::Reader<&[u8]>, reason: String, truncated: bool| {
        let pos = usize::try_from(reader.error_position())
            .unwrap_or(0)
            .min(s.len());
        let pos = if pos == 0 {
            usize::try_from(reader.buffer_position())
                .unwrap_or(0)
                .min(s.len())
        } else {
            pos
        };
        let mut cut = pos;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        let before = &s[..cut];
        XmlError {
            reason,
            line: Some(before.matches('\n').count() + 1),
            column: Some(before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1),
            truncated,
        }
    };
    loop {
        let event = match reader.read_event() {
            Ok(e) => e,
            Err(e) => {
                let truncated = matches!(e, quick_xml::Error::Syntax(_)) && !stack.is_empty();
                return Err(error(&reader, e.to_string(), truncated));
            }
        };
        match event {
            Event::Start(start) | Event::Empty(start) if root.is_some() => {
                let name = String::from_utf8_lossy(start.name().as_ref()).into_owned();
                return Err(error(
                    &reader,
                    format!("a second root element <{name}> after the first one"),
                    false,
                ));
            }
            Event::Start(start) => {
                if stack.len() >= MAX_DEPTH {
                    return Err(error(
                        &reader,
                        format!("elements nested deeper than {MAX_DEPTH}"),
                        false,
                    ));
                }
                stack.push(element(&start));
            }
            Event::Empty(start) => {
                let el = element(&start);
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::End(_) => {
                let Some(el) = stack.pop() else {
                    return Err(error(&reader, "an end tag without start".into(), false));
                };
                match stack.last_mut() {
                    Some(parent) => parent.children.push(Node::Element(el)),
                    None => root = Some(el),
                }
            }
            Event::Text(t) => push_text(&mut stack, &String::from_utf8_lossy(&t)),
            Event::CData(t) => push_text(&mut stack, &String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r);
                let decoded = html_escape::decode_html_entities(&format!("&{name};")).into_owned();
                push_text(&mut stack, &decoded);
            }
            Event::Eof => break,
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
        }
    }
    if let Some(open) = stack.last() {
        return Err(XmlError {
            reason: format!("the document ends inside <{}>", open.name),
            line: None,
            column: None,
            truncated: true,
        });
    }
    root.ok_or(XmlError {
        reason: "no root element".into(),
        line: None,
        column: None,
        truncated: true,
    })
}

fn push_text(stack: &mut [Element], text: &str) {
    let Some(parent) = stack.last_mut() else {
        return; // whitespace around the root
    };
    if let Some(Node::Text(prev)) = parent.children.last_mut() {
        prev.push_str(text);
    } else {
        parent.children.push(Node::Text(text.to_string()));
    }
}

fn element(start: &quick_xml::events::BytesStart<'_>) -> Element {
    let qname = String::from_utf8_lossy(start.name().as_ref()).into_owned();
    let attrs = start
        .attributes()
        .with_checks(false)
        .flatten()
        .map(|a| {
            let name = String::from_utf8_lossy(a.key.as_ref()).into_owned();
            let raw = String::from_utf8_lossy(&a.value);
            let value = html_escape::decode_html_entities(&raw).into_owned();
            (name, value)
        })
        .filter(|(n, _)| n != "xmlns" && !n.starts_with("xmlns:"))
        .collect();
    Element {
        name: local(&qname).to_string(),
        attrs,
        children: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_nested_elements_attributes_and_entities() {
        let root = parse(
            "<?xml version=\"1.0\"?><a:root xmlns:a=\"urn:x\" xml:lang=\"de\"><b k=\"1 &amp; 2\">M&#252;ller &amp; S&ouml;hne&nbsp;GmbH</b><c/></a:root>",
        )
        .unwrap();
        assert_eq!(root.name, "root");
        assert_eq!(root.attr("xml:lang"), Some("de"));
        assert_eq!(root.attr("lang"), Some("de"));
        let b = root.child("b").unwrap();
        assert_eq!(b.attr("k"), Some("1 & 2"));
        assert_eq!(b.text(), "Müller & Söhne GmbH");
        assert!(root.child("c").is_some());
    }

    #[test]
    fn a_document_cut_off_is_truncated_not_a_partial_tree() {
        let err = parse("<root><item><p>Der Text bricht ab").unwrap_err();
        assert!(err.truncated, "{err:?}");
        let err = parse("<root><a></b></root>").unwrap_err();
        assert!(!err.truncated, "{err:?}");
        assert!(err.line.is_some());
    }

    #[test]
    fn writes_html_with_absolute_links_and_escaped_text() {
        let root = parse("<body><p>a &lt; b <a href=\"/x\" onclick=\"evil()\">link</a></p><br/><script>x</script></body>").unwrap();
        let base = Url::parse("https://agentur.example/dir/").unwrap();
        let mut out = String::new();
        let map = |e: &Element| match e.name.as_str() {
            "p" => Html::Tag("p"),
            "a" => Html::Tag("a"),
            "br" => Html::Tag("br"),
            "script" => Html::Drop,
            _ => Html::Unwrap,
        };
        write_html(&root, &base, &map, &mut out);
        assert_eq!(
            out,
            "<p>a &lt; b <a href=\"https://agentur.example/x\">link</a></p><br>"
        );
    }
}
