//! Photo credits: splits "Caption / Foto: © Agency" into caption and credit, for article
//! figures and teaser images alike.

use crate::parse::html::non_empty;
use crate::text::fold_whitespace;
use regex::Regex;
use std::sync::LazyLock;

/// Splits an image caption into caption and credit.
///
/// `"Putin in Pjöngjang / Foto: © POOL/AFP"` gives `(Some("Putin in Pjöngjang"), Some("POOL/AFP"))`;
/// `"Foto: dpa"` gives `(None, Some("dpa"))`. Recognised markers: `Foto:`, `Fotos:`, `Bild:`,
/// `Quelle:`, `Photo:`, `Credit:`, `Copyright:` (at the start or after `/ | ( - – — . ,`),
/// and `©` / `(c)` anywhere after a space.
pub fn split_credit(caption: &str) -> (Option<String>, Option<String>) {
    static MARKER: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(
            r"(?i)(?:^|[/|(\-–—.,;]\s*)((?:fotos?|bild(?:er)?|quelle|photo|credit|copyright)\s*:\s*(?:©|\(c\))?|©|\(c\))|\s(©|\(c\))",
        )
        .expect("static regex")
    });
    let text = fold_whitespace(caption);
    let Some(caps) = MARKER.captures(&text) else {
        return (non_empty(text), None);
    };
    let Some(m) = caps.get(1).or_else(|| caps.get(2)) else {
        return (non_empty(text), None);
    };
    let before = text[..m.start()].trim_end();
    let opened_paren = before.ends_with('(');
    let before = before
        .trim_end_matches(|c: char| c.is_whitespace() || "/|(-–—,;".contains(c))
        .to_string();
    let mut credit = text[m.end()..]
        .trim()
        .trim_start_matches(['©', ':'])
        .trim()
        .to_string();
    if opened_paren && credit.ends_with(')') {
        credit.pop();
    }
    (non_empty(before), non_empty(credit.trim().to_string()))
}

/// A short line carrying a photo credit ("… / Foto: © POOL/AFP", "Bild: dpa"): a caption,
/// never article text. "Quelle:" alone does not count; prose cites sources that way.
pub fn is_credit_line(text: &str) -> bool {
    if text.chars().count() > 250 || split_credit(text).1.is_none() {
        return false;
    }
    let l = text.to_lowercase();
    [
        "©",
        "(c)",
        "foto:",
        "fotos:",
        "bild:",
        "photo:",
        "credit:",
        "copyright:",
    ]
    .iter()
    .any(|m| l.contains(m))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_credit_forms() {
        let cases: &[(&str, Option<&str>, Option<&str>)] = &[
            (
                "Putin in Pjöngjang / Foto: © POOL/AFP",
                Some("Putin in Pjöngjang"),
                Some("POOL/AFP"),
            ),
            ("Foto: dpa", None, Some("dpa")),
            ("(c) Reuters", None, Some("Reuters")),
            ("Bild: Max Muster/dpa", None, Some("Max Muster/dpa")),
            (
                "Hafen von Kiel © Stadtwerke Kiel",
                Some("Hafen von Kiel"),
                Some("Stadtwerke Kiel"),
            ),
            (
                "Der Rat tagt. Quelle: Stadt Ulm",
                // The caption is a sentence and keeps its full stop.
                Some("Der Rat tagt."),
                Some("Stadt Ulm"),
            ),
            (
                "Kinder im Park (Foto: epd)",
                Some("Kinder im Park"),
                Some("epd"),
            ),
            ("Ein Bild ohne Angabe", Some("Ein Bild ohne Angabe"), None),
            ("  ", None, None),
        ];
        for (input, cap, credit) in cases {
            assert_eq!(
                split_credit(input),
                (cap.map(str::to_string), credit.map(str::to_string)),
                "input {input:?}"
            );
        }
    }
}
