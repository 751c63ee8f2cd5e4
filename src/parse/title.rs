//! Headlines: the one site-name stripper ("Site - Headline", "Headline | Site"), for a known
//! site name (article pages) and for an unknown one (the store comparing republished copies),
//! and the undoubling of headlines some pages render twice.

use crate::text::fold_whitespace;

/// Separators between a headline and the site name, as sites write them.
/// The colon comes last: it also joins a headline's two halves ("Unfall auf der A7: Zwei
/// Tote"), so it is only trusted next to a known site name.
pub const SEPARATORS: &[&str] = &[" - ", " – ", " — ", " | ", " · ", " :: ", " » ", ": "];

/// [`SEPARATORS`] that never join a headline's own halves.
fn spaced_separators() -> impl Iterator<Item = &'static str> {
    SEPARATORS.iter().copied().filter(|s| *s != ": ")
}

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

/// Title without a site name whose name is not known, as a republisher appends it
/// ("… | Stadtanzeiger", "… - Kurier") or puts it in front ("Kurier | …"): a last segment of
/// at most three words after a spaced separator, when at least three words remain; or a
/// first segment of at most three words before " | ".
pub fn strip_unnamed_site(title: &str) -> &str {
    let title = title.trim();
    let short = |s: &str| s.split_whitespace().count() <= 3;
    let long = |s: &str| s.split_whitespace().count() >= 3;
    let mut best: Option<usize> = None;
    for sep in spaced_separators() {
        if let Some(i) = title.rfind(sep) {
            if best.is_none_or(|b| i > b) && short(&title[i + sep.len()..]) && long(&title[..i]) {
                best = Some(i);
            }
        }
    }
    if let Some(i) = best {
        return title[..i].trim_end();
    }
    if let Some(i) = title.find(" | ") {
        let rest = &title[i + 3..];
        if short(&title[..i]) && long(rest) {
            return rest.trim_start();
        }
    }
    title
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

    #[test]
    fn unnamed_site_names_leave_the_title() {
        assert_eq!(
            strip_unnamed_site("Bundesrat billigt Pflegereform | Stadtanzeiger"),
            "Bundesrat billigt Pflegereform"
        );
        assert_eq!(
            strip_unnamed_site("Bundesrat billigt Pflegereform - Kurier am Sonntag"),
            "Bundesrat billigt Pflegereform"
        );
        assert_eq!(
            strip_unnamed_site("Bundesrat billigt Pflegereform · Kurier"),
            "Bundesrat billigt Pflegereform"
        );
        assert_eq!(
            strip_unnamed_site("Kurier | Bundesrat billigt Pflegereform"),
            "Bundesrat billigt Pflegereform"
        );
        // Too little would remain: keep the title.
        assert_eq!(strip_unnamed_site("Wetter - Kurier"), "Wetter - Kurier");
        // A long tail is part of the headline, and a colon joins a headline's halves.
        assert_eq!(
            strip_unnamed_site("Reform kommt - aber die Länder wollen mehr Geld"),
            "Reform kommt - aber die Länder wollen mehr Geld"
        );
        assert_eq!(
            strip_unnamed_site("Unfall auf der A7: Zwei Tote"),
            "Unfall auf der A7: Zwei Tote"
        );
    }
}
