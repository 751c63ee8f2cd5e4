//! Small text helpers shared by the stages: HTML to plain text, whitespace folding.

/// Plain text of an HTML fragment: tags dropped, entities decoded, block boundaries kept
/// as line breaks, runs of spaces folded. Tolerant of broken markup (an unclosed `<` ends
/// the text). `<script>` and `<style>` contents are dropped.
pub fn html_to_text(html: &str) -> String {
    if !html.contains(['<', '&']) {
        return fold_whitespace(html);
    }
    let mut raw = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        raw.push_str(&rest[..start]);
        let tag = &rest[start..];
        let Some(end) = tag.find('>') else {
            rest = "";
            break;
        };
        let name = tag_name(&tag[1..end]);
        // Script and style bodies are not text; an unclosed one swallows the rest.
        let skip_body = (name.eq_ignore_ascii_case("script") || name.eq_ignore_ascii_case("style"))
            && !tag[1..].starts_with('/');
        if is_block(name) {
            raw.push('\n');
        } else {
            raw.push(' ');
        }
        rest = if skip_body {
            let close = format!("</{name}");
            match find_ignore_ascii_case(tag, &close) {
                Some(i) => tag[i..].find('>').map_or("", |j| &tag[i + j + 1..]),
                None => "",
            }
        } else {
            &tag[end + 1..]
        };
    }
    raw.push_str(rest);
    let decoded = html_escape::decode_html_entities(&raw);
    fold_whitespace_keep_lines(&decoded)
}

/// Byte offset of the first ASCII-case-insensitive match of `needle` (ASCII) in `haystack`,
/// without copying the haystack: lowercasing the rest of the document for every `<script>`
/// made text extraction quadratic in the number of script tags.
fn find_ignore_ascii_case(haystack: &str, needle: &str) -> Option<usize> {
    let (h, n) = (haystack.as_bytes(), needle.as_bytes());
    let first = n.first()?.to_ascii_lowercase();
    (0..h.len().saturating_sub(n.len() - 1))
        .find(|&i| h[i].to_ascii_lowercase() == first && h[i..i + n.len()].eq_ignore_ascii_case(n))
}

/// The element name of a tag's inside, as written (compared without regard to ASCII case:
/// this runs for every tag of every delivered item, so it copies nothing).
fn tag_name(inner: &str) -> &str {
    inner
        .trim_start_matches('/')
        .split(|c: char| c.is_whitespace() || c == '/')
        .next()
        .unwrap_or("")
}

fn is_block(name: &str) -> bool {
    const BLOCKS: [&str; 21] = [
        "p",
        "br",
        "div",
        "li",
        "ul",
        "ol",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "blockquote",
        "tr",
        "table",
        "section",
        "article",
        "figure",
        "figcaption",
        "pre",
        "hr",
    ];
    BLOCKS.iter().any(|b| name.eq_ignore_ascii_case(b))
}

/// Folds every run of whitespace (including newlines) into one space and trims.
pub fn fold_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(word);
    }
    out
}

/// Folds spaces within lines, keeps single line breaks between non-empty lines.
fn fold_whitespace_keep_lines(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        for (i, word) in line.split_whitespace().enumerate() {
            match (i, out.is_empty()) {
                (0, true) => {}
                (0, false) => out.push('\n'),
                _ => out.push(' '),
            }
            out.push_str(word);
        }
    }
    out
}

/// Cuts `s` to at most `max` characters at a word boundary, adding "…" when cut.
pub fn truncate_words(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    let at = cut.rfind(char::is_whitespace).unwrap_or(cut.len());
    format!("{}…", cut[..at].trim_end())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_tags_and_decodes_entities() {
        assert_eq!(
            html_to_text("<p>Gr&uuml;ne &amp; <b>SPD</b></p><p>zweiter&nbsp;Absatz</p>"),
            "Grüne & SPD\nzweiter Absatz"
        );
    }

    #[test]
    fn drops_script_and_style_and_survives_broken_markup() {
        assert_eq!(
            html_to_text("a<script>alert(1)</script>b<style>p{}</style>c"),
            "a b c"
        );
        assert_eq!(html_to_text("Text <b unclosed"), "Text");
        assert_eq!(html_to_text("<SCRIPT>x"), "");
        assert_eq!(html_to_text("a<Style type=x>p{}</STYLE>b"), "a b");
    }

    #[test]
    fn block_tags_in_any_case_break_lines_and_blank_lines_fold() {
        assert_eq!(
            html_to_text("<P>eins \t zwei</P>\n \n<DIV> drei </Div><Br/>vier<b>fünf</b>"),
            "eins zwei\ndrei\nvier fünf"
        );
    }

    #[test]
    fn truncates_at_word_boundary() {
        assert_eq!(truncate_words("eins zwei drei", 9), "eins…");
        assert_eq!(truncate_words("kurz", 9), "kurz");
    }
}
