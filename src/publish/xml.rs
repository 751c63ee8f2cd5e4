//! A small append-only XML writer for the RSS, Atom and OPML renderers: fixed layout, fixed
//! attribute order, correct escaping, no I/O and no failure paths.
//!
//! The renderers write XML themselves instead of going through the `rss` or
//! `atom_syndication` writers because those cannot emit the `<?xml-stylesheet?>` processing
//! instruction and give us no control over attribute order and layout, which byte-identical
//! output (and so `write_if_changed`) depends on.

/// XML being built, with the indentation depth of the next line.
pub(crate) struct Xml {
    out: String,
    depth: usize,
}

impl Xml {
    /// Starts a document with the XML declaration and, when given, an XSLT stylesheet
    /// processing instruction (so a browser opening the feed shows a page, not raw XML).
    pub(crate) fn document(stylesheet: Option<&str>) -> Xml {
        let mut out = String::with_capacity(16 * 1024);
        out.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        if let Some(href) = stylesheet {
            out.push_str("<?xml-stylesheet type=\"text/xsl\" href=\"");
            // Pseudo-attributes of the PI take the same escapes as attributes; escaping `>`
            // also keeps a hostile href from closing the PI with `?>`.
            push_escaped_attr(&mut out, href);
            out.push_str("\"?>\n");
        }
        Xml { out, depth: 0 }
    }

    /// `<name attrs…>` on its own line; the caller closes it with [`Xml::close`].
    pub(crate) fn open(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start_tag(name, attrs);
        self.out.push_str(">\n");
        self.depth += 1;
    }

    /// `</name>` on its own line.
    pub(crate) fn close(&mut self, name: &str) {
        self.depth = self.depth.saturating_sub(1);
        self.indent();
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// `<name attrs…>text</name>` on one line, the text escaped.
    pub(crate) fn leaf(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.start_tag(name, attrs);
        self.out.push('>');
        push_escaped_text(&mut self.out, text);
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    /// `<name attrs…/>`.
    /// A plain-text element for RSS 2.0: `&` and `<` as hexadecimal character references
    /// (`&#x26;`, `&#x3C;`), which the RSS Advisory Board's profile asks for so that
    /// readers cannot mistake text for markup.
    pub(crate) fn leaf_plain(&mut self, name: &str, attrs: &[(&str, &str)], text: &str) {
        self.start_tag(name, attrs);
        self.out.push('>');
        for c in text.chars().filter(|&c| is_xml_char(c)) {
            match c {
                '&' => self.out.push_str("&#x26;"),
                '<' => self.out.push_str("&#x3C;"),
                '>' => self.out.push_str("&gt;"),
                '\r' => self.out.push_str("&#13;"),
                c => self.out.push(c),
            }
        }
        self.out.push_str("</");
        self.out.push_str(name);
        self.out.push_str(">\n");
    }

    pub(crate) fn empty(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.start_tag(name, attrs);
        self.out.push_str("/>\n");
    }

    /// The finished document as UTF-8 bytes.
    pub(crate) fn finish(self) -> Vec<u8> {
        self.out.into_bytes()
    }

    fn start_tag(&mut self, name: &str, attrs: &[(&str, &str)]) {
        self.indent();
        self.out.push('<');
        self.out.push_str(name);
        for (key, value) in attrs {
            self.out.push(' ');
            self.out.push_str(key);
            self.out.push_str("=\"");
            push_escaped_attr(&mut self.out, value);
            self.out.push('"');
        }
    }

    fn indent(&mut self) {
        for _ in 0..self.depth {
            self.out.push_str("  ");
        }
    }
}

/// Characters XML 1.0 cannot carry at all, not even as character references. A stray
/// control character from a wire service would otherwise make the whole feed unreadable.
fn is_xml_char(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\r' | '\u{20}'..='\u{D7FF}' | '\u{E000}'..='\u{FFFD}' | '\u{10000}'..)
}

fn push_escaped_text(out: &mut String, text: &str) {
    for c in text.chars().filter(|&c| is_xml_char(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            // `>` only matters after `]]`, but escaping it always is simpler to trust.
            '>' => out.push_str("&gt;"),
            // A literal CR would be normalized to LF by every parser.
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

fn push_escaped_attr(out: &mut String, text: &str) {
    for c in text.chars().filter(|&c| is_xml_char(c)) {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            // Attribute-value normalization would turn raw whitespace into spaces.
            '\t' => out.push_str("&#9;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(f: impl FnOnce(&mut Xml)) -> String {
        let mut xml = Xml::document(None);
        f(&mut xml);
        String::from_utf8(xml.finish()).unwrap_or_default()
    }

    #[test]
    fn escapes_text_and_attributes() {
        let s = render(|x| {
            x.leaf(
                "title",
                &[("href", "a?b=1&c=\"2\"\n")],
                "Müller & Söhne <GmbH> \"zahlt\"",
            )
        });
        assert!(s.contains(
            "<title href=\"a?b=1&amp;c=&quot;2&quot;&#10;\">Müller &amp; Söhne &lt;GmbH&gt; \"zahlt\"</title>"
        ));
    }

    #[test]
    fn drops_characters_xml_cannot_carry() {
        let s = render(|x| x.leaf("t", &[], "Eil\u{1}meldung\u{FFFF}\u{0}"));
        assert!(s.contains("<t>Eilmeldung</t>"));
    }

    #[test]
    fn nests_with_indentation_and_stylesheet_pi() {
        let mut xml = Xml::document(Some("feed.xsl?x=\"?>"));
        xml.open("a", &[]);
        xml.empty("b", &[("k", "v")]);
        xml.close("a");
        let s = String::from_utf8(xml.finish()).unwrap_or_default();
        assert_eq!(
            s,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <?xml-stylesheet type=\"text/xsl\" href=\"feed.xsl?x=&quot;?&gt;\"?>\n\
             <a>\n  <b k=\"v\"/>\n</a>\n"
        );
    }
}
