//! The per-delivery item cap, applied while reading: a feed's entries past the cap are
//! counted but never built, so one huge delivery costs memory for the cap, not the feed.

/// Items read from one delivery (a feed body, a spool file). Real agency feeds carry tens
/// to a few thousand items; a feed of hundreds of thousands is a fault or an attack, and
/// every item read costs memory until the store has it. Feeds list newest first, so the
/// first items are kept and the overflow is counted for the log.
pub const MAX_ITEMS_PER_DELIVERY: usize = 25_000;

/// The shortest element an entry can be (`<item/>`): a document shorter than this many
/// bytes per allowed entry cannot hold too many, and is not scanned.
const MIN_ENTRY_BYTES: usize = "<item/>".len();

/// Elements open around the first entry past the cap; deeper structure means something
/// other than a feed, and such a document is left to the full parser.
const MAX_DEPTH: usize = 64;

/// An XML feed cut before its first entry past the cap.
#[derive(Debug, PartialEq)]
pub(crate) struct XmlCut {
    /// The document up to that entry, with the elements still open there closed.
    pub text: String,
    /// Entries after the cut.
    pub not_read: usize,
}

/// Cuts `s` (a whole, well-formed-looking feed) before its `max + 1`-th entry (`item` or
/// `entry` element, any prefix, not nested in another entry) and counts the entries from
/// there on. `None` when there are at most `max`, or when the document cannot be scanned
/// (an XML error: the full parser then reports it, and the items are capped after parsing).
/// The scan reads events without building anything, so it costs a fraction of parsing,
/// and only documents large enough to hold more than `max` entries are scanned at all.
pub(crate) fn cut_xml(s: &str, max: usize) -> Option<XmlCut> {
    use quick_xml::events::Event;
    if s.len() / MIN_ENTRY_BYTES <= max {
        return None;
    }
    let is_entry = |name: &[u8]| {
        let local = name.rsplit(|&b| b == b':').next().unwrap_or(name);
        local == b"item" || local == b"entry"
    };
    let mut reader = quick_xml::Reader::from_str(s);
    // Open elements outside any entry (byte ranges of their names in `s`).
    let mut open: Vec<std::ops::Range<usize>> = Vec::new();
    // Depth inside the current entry (0: not in an entry).
    let mut in_entry = 0usize;
    let mut entries = 0usize;
    let mut cut: Option<(usize, Vec<std::ops::Range<usize>>)> = None;
    loop {
        let before = usize::try_from(reader.buffer_position()).ok()?;
        match reader.read_event().ok()? {
            Event::Start(e) => {
                if in_entry > 0 {
                    in_entry += 1;
                } else if is_entry(e.name().as_ref()) {
                    entries += 1;
                    if entries == max + 1 {
                        cut = Some((before, open.clone()));
                    }
                    in_entry = 1;
                } else if cut.is_none() {
                    if open.len() >= MAX_DEPTH {
                        return None;
                    }
                    // The name starts right after the `<` at `before`.
                    let start = before + 1;
                    open.push(start..start + e.name().as_ref().len());
                }
            }
            Event::Empty(e) if in_entry == 0 && is_entry(e.name().as_ref()) => {
                entries += 1;
                if entries == max + 1 {
                    cut = Some((before, open.clone()));
                }
            }
            Event::End(_) => {
                if in_entry > 0 {
                    in_entry -= 1;
                } else if cut.is_none() {
                    open.pop();
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    let (at, open) = cut?;
    let mut text = String::with_capacity(at + open.iter().map(|r| r.len() + 3).sum::<usize>());
    text.push_str(&s[..at]);
    for name in open.iter().rev() {
        text.push_str("</");
        text.push_str(&s[name.clone()]);
        text.push('>');
    }
    Some(XmlCut {
        text,
        not_read: entries - max,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rss(items: usize) -> String {
        let mut s = String::from(
            "<?xml version=\"1.0\"?><!-- <item> im Kommentar --><rss version=\"2.0\"><channel><title>t</title>\n",
        );
        for n in 0..items {
            s.push_str(&format!(
                "<item><title><![CDATA[<item>{n}</item>]]></title><link>https://x.example/{n}</link></item>\n"
            ));
        }
        s.push_str("</channel></rss>\n");
        s
    }

    #[test]
    fn a_feed_within_the_cap_is_not_cut() {
        assert_eq!(cut_xml(&rss(3), 3), None);
        assert_eq!(cut_xml(&rss(3), 1_000_000), None);
    }

    #[test]
    fn entries_past_the_cap_are_cut_off_and_counted() {
        let cut = cut_xml(&rss(10), 4).expect("cut");
        assert_eq!(cut.not_read, 6);
        assert_eq!(cut.text.matches("<link>").count(), 4);
        assert!(cut
            .text
            .ends_with("https://x.example/3</link></item>\n</channel></rss>"));
    }

    #[test]
    fn atom_entries_with_a_prefix_and_rss1_items_are_counted() {
        let atom = format!(
            "<a:feed xmlns:a=\"http://www.w3.org/2005/Atom\"><a:title>t</a:title>{}</a:feed>",
            "<a:entry><a:id>x</a:id><a:source><a:title>s</a:title></a:source></a:entry>".repeat(5)
        );
        let cut = cut_xml(&atom, 2).expect("cut");
        assert_eq!(cut.not_read, 3);
        assert!(cut.text.ends_with("</a:entry></a:feed>"));
        let rdf = format!(
            "<rdf:RDF><channel><title>t</title></channel>{}</rdf:RDF>",
            "<item rdf:about=\"x\"><title>t</title></item><item/>".repeat(3)
        );
        let cut = cut_xml(&rdf, 4).expect("cut");
        assert_eq!(cut.not_read, 2);
        assert!(cut.text.ends_with("</title></item><item/></rdf:RDF>"));
    }

    #[test]
    fn a_document_the_scanner_cannot_read_is_left_to_the_parser() {
        let broken = rss(10).replace("</channel>", "</kanal>");
        assert_eq!(cut_xml(&broken, 4), None);
    }
}
