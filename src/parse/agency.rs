//! What the three agency-format parsers (IPTC ninjs, NewsML-G2, NITF) share: errors, dates,
//! rights, the last checks on an item. Telling the formats apart is `parse::wire`'s job.

use super::xmltree::XmlError;
use crate::model::{Item, ParsedFeed, PubStatus, Subject, Wire};
use crate::text::{fold_whitespace, html_to_text, truncate_words};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

/// Length of a title made up from an item's text when it has no headline.
const TITLE_FROM_TEXT_CHARS: usize = 80;

/// Why an agency delivery was refused. A refused delivery stores nothing: a half-read
/// kill notice or embargo must never turn into a published story.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AgencyError {
    #[error("the {format} delivery is not well-formed{}: {reason}", at(*line, *column))]
    Malformed {
        format: &'static str,
        reason: String,
        line: Option<usize>,
        column: Option<usize>,
    },
    #[error("the {format} delivery is truncated ({reason}); the transfer was probably cut off, the next poll will try again")]
    Truncated {
        format: &'static str,
        reason: String,
    },
    #[error("the JSON document is not ninjs: {reason} (a ninjs item is an object with a \"uri\" string, see https://www.iptc.org/std/ninjs/)")]
    NotNinjs { reason: String },
    #[error("{format} item {id:?} has no {missing}, so it carries no text to publish; ask the agency to resend it")]
    NoContent {
        format: &'static str,
        id: String,
        missing: &'static str,
    },
    #[error("{format} item {id:?} has no identifier ({missing}); without one, later versions and kill notices cannot find it")]
    NoId {
        format: &'static str,
        id: String,
        missing: &'static str,
    },
    #[error("{format} item {id:?} has the unknown publishing status {value:?} (usable, withheld or canceled expected); the delivery is left out rather than risk publishing a withdrawn story")]
    UnknownPubStatus {
        format: &'static str,
        id: String,
        value: String,
    },
    #[error("{format} item {id:?} has an embargo that cannot be read ({value:?}); the delivery is left out rather than risk breaking the embargo")]
    BadEmbargo {
        format: &'static str,
        id: String,
        value: String,
    },
    #[error("the {format} delivery holds no news item with a headline or text")]
    NoItems { format: &'static str },
}

fn at(line: Option<usize>, column: Option<usize>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!(" at line {l}, column {c}"),
        (Some(l), None) => format!(" at line {l}"),
        _ => String::new(),
    }
}

impl AgencyError {
    pub(crate) fn xml(format: &'static str, e: XmlError) -> AgencyError {
        if e.truncated {
            AgencyError::Truncated {
                format,
                reason: e.reason,
            }
        } else {
            AgencyError::Malformed {
                format,
                reason: e.reason,
                line: e.line,
                column: e.column,
            }
        }
    }
}

/// An IPTC date: RFC 3339 and the lenient forms the feed parser reads, plus the ISO 8601
/// basic form NITF uses (`20261126T083000+0100`); a time that names no zone is read in
/// `local`, the source's `timezone`.
pub(crate) fn date(raw: &str, local: Tz) -> Option<DateTime<Utc>> {
    let s = raw.trim();
    if let Some(d) = super::date::parse_date_in(s, &local) {
        return Some(d);
    }
    let b = s.as_bytes();
    if b.len() >= 8 && b[..8].iter().all(u8::is_ascii_digit) {
        let (date, rest) = s.split_at(8);
        let mut out = format!("{}-{}-{}", &date[..4], &date[4..6], &date[6..8]);
        if let Some(time) = rest.strip_prefix('T') {
            let digits = time
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(time.len());
            let (hms, zone) = time.split_at(digits);
            if hms.len() < 4 || hms.len() % 2 != 0 {
                return None;
            }
            out.push('T');
            out.push_str(&hms[..2]);
            out.push(':');
            out.push_str(&hms[2..4]);
            out.push(':');
            out.push_str(hms.get(4..6).unwrap_or("00"));
            let zone = match zone {
                "" => String::new(),
                "Z" | "z" => "Z".to_string(),
                z if z.len() == 5 && z[1..].bytes().all(|b| b.is_ascii_digit()) => {
                    format!("{}:{}", &z[..3], &z[3..])
                }
                z => z.to_string(),
            };
            out.push_str(&zone);
        } else if !rest.is_empty() {
            return None;
        }
        return super::date::parse_date_in(&out, &local);
    }
    None
}

/// The rights statement for `dc:rights` and Atom `rights`: the notice (which usually names
/// the holder), else the holder with ©, then the usage terms.
pub(crate) fn rights(
    holder: Option<String>,
    notice: Option<String>,
    usage: Option<String>,
) -> Option<String> {
    let clean = |s: Option<String>| s.map(|s| fold_whitespace(&s)).filter(|s| !s.is_empty());
    let (holder, notice, usage) = (clean(holder), clean(notice), clean(usage));
    let mut parts: Vec<String> = Vec::new();
    match (notice, holder) {
        (Some(n), Some(h)) if !n.contains(&h) => {
            parts.push(n);
            parts.push(format!("© {h}"));
        }
        (Some(n), _) => parts.push(n),
        (None, Some(h)) => parts.push(format!("© {h}")),
        (None, None) => {}
    }
    parts.extend(usage);
    (!parts.is_empty()).then(|| parts.join(" · "))
}

/// The code of a qcode or URI without its scheme (`stat:canceled` → `canceled`,
/// `http://cv.iptc.org/newscodes/signal/correction` → `correction`).
pub(crate) fn code(raw: &str) -> String {
    raw.trim()
        .trim_end_matches('/')
        .rsplit([':', '/'])
        .next()
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// Reads a publishing status; an unknown value refuses the delivery.
pub(crate) fn pubstatus(
    format: &'static str,
    id: &str,
    raw: Option<&str>,
) -> Result<PubStatus, AgencyError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(PubStatus::Usable),
        Some(r) => PubStatus::from_iptc(r).ok_or_else(|| AgencyError::UnknownPubStatus {
            format,
            id: id.to_string(),
            value: r.to_string(),
        }),
    }
}

/// Reads an embargo time; one that is present but unreadable refuses the delivery.
pub(crate) fn embargo(
    format: &'static str,
    id: &str,
    raw: Option<&str>,
    local: Tz,
) -> Result<Option<DateTime<Utc>>, AgencyError> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(r) => date(r, local)
            .map(Some)
            .ok_or_else(|| AgencyError::BadEmbargo {
                format,
                id: id.to_string(),
                value: r.to_string(),
            }),
    }
}

/// IPTC urgency 1–9; anything else is ignored (NITF uses 1–8, which fits).
pub(crate) fn urgency(raw: &str) -> Option<u8> {
    raw.trim()
        .parse::<u8>()
        .ok()
        .filter(|u| (1..=9).contains(u))
}

/// An agency version number (`"3"`, `3`); a non-numeric version is no number.
pub(crate) fn version(raw: &str) -> Option<u32> {
    raw.trim().parse::<u32>().ok()
}

/// Subject names as categories: each name once, in order; codes without a name are kept
/// in [`Wire::subjects`] only, since a reader cannot use `medtop:11000000`.
pub(crate) fn subject_categories(subjects: &[Subject]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in subjects {
        if let Some(name) = s.name.as_deref().map(fold_whitespace) {
            if !name.is_empty() && !out.iter().any(|c| c.eq_ignore_ascii_case(&name)) {
                out.push(name);
            }
        }
    }
    out
}

/// Plain text as HTML paragraphs (blank lines, else single line breaks, separate them).
pub(crate) fn text_paragraphs(text: &str) -> Option<String> {
    let text = text.trim();
    if text.is_empty() {
        return None;
    }
    let sep = if text.contains("\n\n") { "\n\n" } else { "\n" };
    let html: String = text
        .split(sep)
        .map(fold_whitespace)
        .filter(|p| !p.is_empty())
        .map(|p| format!("<p>{}</p>", html_escape::encode_text(&p)))
        .collect();
    Some(html).filter(|h| !h.is_empty())
}

/// "Von Erika Beispiel, dpa" → "Erika Beispiel, dpa": the byline as a name.
pub(crate) fn byline(raw: &str) -> Option<String> {
    let t = fold_whitespace(raw);
    let lower = t.to_lowercase();
    let t = ["von ", "by "]
        .iter()
        .find(|p| lower.starts_with(*p))
        .map_or(t.as_str(), |p| &t[p.len()..]);
    Some(t.trim().to_string()).filter(|t| !t.is_empty())
}

/// The last step for every agency item: a title from the text when there is no headline,
/// or the reason it is left out.
pub(crate) fn accept(mut item: Item, wire: Wire, format: &'static str, out: &mut ParsedFeed) {
    let id = item.guid.clone().unwrap_or_default();
    if item.title.trim().is_empty() {
        let text = item
            .summary_html
            .as_deref()
            .or(item.content_html.as_deref())
            .map(|h| fold_whitespace(&html_to_text(h)))
            .unwrap_or_default();
        if text.is_empty() {
            out.skipped
                .push(format!("{format} item {id:?}: no headline and no text"));
            return;
        }
        item.title = truncate_words(&text, TITLE_FROM_TEXT_CHARS);
    }
    item.wire = Some(Box::new(wire));
    out.items.push(item);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn reads_nitf_basic_dates_and_rfc3339() {
        let want = Utc.with_ymd_and_hms(2026, 11, 26, 7, 30, 0).unwrap();
        let utc = chrono_tz::UTC;
        assert_eq!(date("20261126T083000+0100", utc), Some(want));
        assert_eq!(date("2026-11-26T08:30:00+01:00", utc), Some(want));
        assert_eq!(date("20261126T0730Z", utc), Some(want));
        assert_eq!(
            date("20261126", utc),
            Some(Utc.with_ymd_and_hms(2026, 11, 26, 0, 0, 0).unwrap())
        );
        assert_eq!(date("morgen früh", utc), None);
    }

    #[test]
    fn a_time_without_zone_is_read_in_the_source_zone() {
        let berlin = chrono_tz::Europe::Berlin;
        let want = Utc.with_ymd_and_hms(2026, 11, 26, 7, 30, 0).unwrap();
        assert_eq!(date("20261126T083000", berlin), Some(want));
        assert_eq!(date("2026-11-26T08:30:00", berlin), Some(want));
        assert_eq!(
            date("2026-11-26T08:30:00Z", berlin),
            Some(want + chrono::Duration::hours(1))
        );
        assert_eq!(date("20261126T073000", chrono_tz::UTC), Some(want));
    }

    #[test]
    fn rights_name_the_holder_once() {
        assert_eq!(
            rights(
                Some("Beispielagentur".into()),
                Some("© 2026 Beispielagentur".into()),
                Some("Nur redaktionell".into())
            ),
            Some("© 2026 Beispielagentur · Nur redaktionell".into())
        );
        assert_eq!(
            rights(Some("Beispielagentur".into()), None, None),
            Some("© Beispielagentur".into())
        );
        assert_eq!(rights(None, Some("  ".into()), None), None);
    }

    #[test]
    fn codes_lose_their_scheme() {
        assert_eq!(code("stat:canceled"), "canceled");
        assert_eq!(
            code("http://cv.iptc.org/newscodes/signal/correction"),
            "correction"
        );
        assert_eq!(byline("Von Erika Beispiel"), Some("Erika Beispiel".into()));
    }
}
