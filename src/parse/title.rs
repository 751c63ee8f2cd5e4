//! Headlines: the one site-name stripper ("Site - Headline", "Headline | Site") and the
//! undoubling of headlines some pages render twice.

use crate::text::fold_whitespace;

/// Separators between a headline and the site name, as sites write them.
pub const SEPARATORS: &[&str] = &[" - ", " – ", " — ", " | ", " · ", " :: ", " » ", ": "];

pub fn strip_site_name(raw: &str, site: Option<&str>) -> String {
    let raw = fold_whitespace(raw);
    let Some(site) = site.map(fold_whitespace).filter(|s| !s.is_empty()) else {
        return raw;
    };
    for sep in SEPARATORS {
        if let Some(rest) = raw.strip_prefix(&format!("{site}{sep}")) {
            return rest.trim().to_string();
        }
        if let Some(rest) = raw.strip_suffix(&format!("{sep}{site}")) {
            return rest.trim().to_string();
        }
    }
    raw
}

/// "X X" (the same words twice, as some pages render hidden copies) becomes "X".
pub fn undouble(s: &str) -> String {
    let words: Vec<&str> = s.split_whitespace().collect();
    let n = words.len();
    if n >= 4 && n.is_multiple_of(2) && words[..n / 2] == words[n / 2..] {
        return words[..n / 2].join(" ");
    }
    s.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strips_site_name_and_repeats() {
        assert_eq!(
            strip_site_name("Zeitung - Streik in Bremen", Some("Zeitung")),
            "Streik in Bremen"
        );
        assert_eq!(
            strip_site_name("Streik in Bremen | Zeitung", Some("Zeitung")),
            "Streik in Bremen"
        );
        assert_eq!(
            strip_site_name("Streik in Bremen – Zeitung", Some("Zeitung")),
            "Streik in Bremen"
        );
        assert_eq!(
            undouble("Streik in Bremen Streik in Bremen"),
            "Streik in Bremen"
        );
        assert_eq!(undouble("Bremen Bremen"), "Bremen Bremen");
    }
}
