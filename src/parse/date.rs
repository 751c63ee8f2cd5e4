//! The one lenient date parser, used by every feed format and by article pages alike, so
//! the same string never parses in one place and fails in another.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

/// Reads a date leniently, a time without zone taken as UTC. See [`parse_date_in`].
pub fn parse_date(s: &str) -> Option<DateTime<Utc>> {
    parse_date_in(s, &Utc)
}

/// Reads a date leniently: RFC 3339 and RFC 822 as specified, and what feeds and pages
/// send instead: zone names (CEST, MESZ, GMT), no zone at all (read in `local`, the source's
/// time zone), lowercase, English or German month names ("5. Juni 2026, 08:30 Uhr"),
/// single-digit days, weekday names, `T` replaced by a space, offsets without a colon,
/// dotted dates ("05.06.2026"), bare dates. Returns `None` for anything it cannot place in
/// time unambiguously (an unknown zone name, say), so the store falls back to first-seen time.
pub fn parse_date_in<Tz: TimeZone>(s: &str, local: &Tz) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if s.is_empty() || s.len() > 100 {
        return None;
    }
    if let Ok(d) = DateTime::parse_from_rfc3339(s) {
        return Some(d.with_timezone(&Utc));
    }
    if let Ok(d) = DateTime::parse_from_rfc2822(s) {
        return Some(d.with_timezone(&Utc));
    }
    let b = s.as_bytes();
    let (date, time, zone) =
        if b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' {
            lenient_iso(s)?
        } else if let Some(parts) = dotted(s) {
            parts
        } else {
            lenient_rfc822(s)?
        };
    let naive = date.and_time(time);
    match zone {
        Some(offset) => {
            let zone = FixedOffset::east_opt(offset)?;
            let fixed = zone.from_local_datetime(&naive).single()?;
            Some(fixed.with_timezone(&Utc))
        }
        // In a DST gap or fold the earlier reading is as good as any; never fail on it.
        None => local
            .from_local_datetime(&naive)
            .earliest()
            .map(|d| d.with_timezone(&Utc)),
    }
}

/// Date, time and (when given) the offset east of UTC in seconds.
type Parts = (NaiveDate, NaiveTime, Option<i32>);

/// "05.06.2026", "5.6.2026 08:30", "05.06.2026, 08:30 Uhr": the German numeric form.
fn dotted(s: &str) -> Option<Parts> {
    let (date, rest) = s
        .split_once(|c: char| c.is_whitespace() || c == ',')
        .unwrap_or((s, ""));
    let mut it = date.split('.');
    let (d, m, y) = (it.next()?, it.next()?, it.next()?);
    if it.next().is_some_and(|x| !x.is_empty()) || y.len() != 4 || d.is_empty() || m.is_empty() {
        return None;
    }
    let date = NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)?;
    let tokens: Vec<&str> = rest
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("uhr"))
        .collect();
    let (time, zone) = match tokens.as_slice() {
        [] => return Some((date, NaiveTime::MIN, None)),
        [t] => (*t, None),
        [t, z] => (*t, Some(*z)),
        _ => return None,
    };
    // "09:15+01:00" glues the zone to the time.
    let split = time.find(['+', '-']).unwrap_or(time.len());
    let (time, glued) = time.split_at(split);
    let time = parse_hms(time)?;
    let zone = match (glued, zone) {
        ("", None) => None,
        ("", Some(z)) => Some(parse_zone(z)?),
        (g, None) => Some(parse_zone(g)?),
        _ => return None,
    };
    Some((date, time, zone))
}

fn lenient_iso(s: &str) -> Option<Parts> {
    let date = NaiveDate::parse_from_str(s.get(..10)?, "%Y-%m-%d").ok()?;
    let rest = s[10..].trim_start_matches(['T', 't', ' ']);
    let split = rest
        .find(|c: char| !(c.is_ascii_digit() || c == ':' || c == '.' || c == ','))
        .unwrap_or(rest.len());
    let (time, zone) = rest.split_at(split);
    let time = if time.is_empty() {
        NaiveTime::MIN
    } else {
        parse_hms(time)?
    };
    let zone = zone.trim();
    let offset = if zone.is_empty() {
        None
    } else {
        Some(parse_zone(zone)?)
    };
    Some((date, time, offset))
}

fn lenient_rfc822(s: &str) -> Option<Parts> {
    let (mut day, mut month, mut year, mut time, mut zone) = (None, None, None, None, None);
    for token in s
        .split(|c: char| c.is_whitespace() || c == ',')
        .filter(|t| !t.is_empty())
    {
        let t = token.strip_suffix('.').unwrap_or(token);
        let Some(first) = t.chars().next() else {
            continue;
        };
        // "08:30 Uhr", "8:30 a.m."-free German pages: the word carries no information.
        if t.eq_ignore_ascii_case("uhr") || t.eq_ignore_ascii_case("um") {
            continue;
        }
        if time.is_none() && first.is_ascii_digit() && t.contains(':') {
            // "08:15:00+0200" glues the zone to the time.
            let split = t.find(['+', '-']).unwrap_or(t.len());
            time = Some(parse_hms(&t[..split])?);
            if split < t.len() {
                zone = Some(parse_zone(&t[split..])?);
            }
        } else if t.bytes().all(|b| b.is_ascii_digit()) {
            let v: i32 = t.parse().ok()?;
            if day.is_none() && t.len() <= 2 && year.is_none() {
                day = Some(u32::try_from(v).ok()?);
            } else if year.is_none() {
                year = Some(match (t.len(), v) {
                    (2, v) if v < 70 => 2000 + v,
                    (2, v) => 1900 + v,
                    _ => v,
                });
            } else {
                return None;
            }
        } else if time.is_some() && zone.is_none() {
            zone = Some(parse_zone(t)?);
        } else if let Some(m) = month.is_none().then(|| month_number(t)).flatten() {
            month = Some(m);
        } else if day.is_some() || !t.chars().all(char::is_alphabetic) {
            // Only a weekday may come before the day; anything else is not a date.
            return None;
        }
    }
    let date = NaiveDate::from_ymd_opt(year?, month?, day?)?;
    Some((date, time.unwrap_or(NaiveTime::MIN), zone))
}

fn month_number(t: &str) -> Option<u32> {
    if !t.chars().all(char::is_alphabetic) {
        return None;
    }
    let head: String = t.chars().take(3).flat_map(char::to_lowercase).collect();
    Some(match head.as_str() {
        "jan" | "jän" => 1,
        "feb" => 2,
        "mar" | "mär" | "mae" => 3,
        "apr" => 4,
        "may" | "mai" => 5,
        "jun" => 6,
        "jul" => 7,
        "aug" => 8,
        "sep" => 9,
        "oct" | "okt" => 10,
        "nov" => 11,
        "dec" | "dez" => 12,
        _ => return None,
    })
}

fn parse_hms(t: &str) -> Option<NaiveTime> {
    let mut parts = t.trim().split(':');
    let h: u32 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let (s, nanos) = match parts.next() {
        Some(sec) => {
            let (whole, frac) = sec.split_once(['.', ',']).unwrap_or((sec, ""));
            let nanos = if frac.is_empty() {
                0
            } else {
                let digits: String = frac.chars().take(9).collect();
                let n: u32 = digits.parse().ok()?;
                n * 10u32.pow(9 - u32::try_from(digits.len()).ok()?)
            };
            (whole.parse().ok()?, nanos)
        }
        None => (0, 0),
    };
    if parts.next().is_some() {
        return None;
    }
    NaiveTime::from_hms_nano_opt(h, m, s, nanos)
}

/// Offset east of UTC in seconds of a zone name or numeric offset.
fn parse_zone(z: &str) -> Option<i32> {
    const NAMED: &[(&str, i32)] = &[
        ("Z", 0),
        ("UT", 0),
        ("UTC", 0),
        ("GMT", 0),
        ("WET", 0),
        ("WEZ", 0),
        ("WEST", 1),
        ("WESZ", 1),
        ("BST", 1),
        ("CET", 1),
        ("MEZ", 1),
        ("CEST", 2),
        ("MESZ", 2),
        ("EET", 2),
        ("OEZ", 2),
        ("EEST", 3),
        ("OESZ", 3),
        ("EST", -5),
        ("EDT", -4),
        ("CST", -6),
        ("CDT", -5),
        ("MST", -7),
        ("MDT", -6),
        ("PST", -8),
        ("PDT", -7),
    ];
    let z = z.trim();
    if let Some(&(_, h)) = NAMED.iter().find(|(n, _)| n.eq_ignore_ascii_case(z)) {
        return Some(h * 3600);
    }
    // "GMT+2", "UTC+02:00"
    let numeric = ["GMT", "UTC", "UT"]
        .iter()
        .find_map(|p| {
            z.get(..p.len())
                .filter(|h| h.eq_ignore_ascii_case(p))
                .map(|_| &z[p.len()..])
        })
        .unwrap_or(z);
    let sign = match numeric.as_bytes().first()? {
        b'+' => 1,
        b'-' => -1,
        _ => return None,
    };
    let digits: String = numeric[1..].chars().filter(|c| *c != ':').collect();
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (h, m): (i32, i32) = match digits.len() {
        1 | 2 => (digits.parse().ok()?, 0),
        4 => (digits[..2].parse().ok()?, digits[2..].parse().ok()?),
        _ => return None,
    };
    (h <= 14 && m < 60).then_some(sign * (h * 3600 + m * 60))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utc(s: &str) -> Option<DateTime<Utc>> {
        Some(DateTime::parse_from_rfc3339(s).ok()?.with_timezone(&Utc))
    }

    #[test]
    fn dates_as_specified() {
        assert_eq!(
            parse_date("2026-11-27T08:15:00+01:00"),
            utc("2026-11-27T07:15:00Z")
        );
        assert_eq!(
            parse_date("Fri, 27 Nov 2026 08:15:00 +0100"),
            utc("2026-11-27T07:15:00Z")
        );
        assert_eq!(
            parse_date("Fri, 27 Nov 2026 08:15:00 GMT"),
            utc("2026-11-27T08:15:00Z")
        );
    }

    #[test]
    fn dates_as_sent_in_the_wild() {
        let want = utc("2026-06-05T06:30:00Z");
        for s in [
            "Fri, 5 Jun 2026 08:30:00 CEST",
            "Freitag, 5 Juni 2026 08:30:00 MESZ",
            "Fr, 05 jun 2026 08:30 +02:00",
            "Thu, 5 Jun 2026 08:30:00 +0200",
            "5 Jun 2026 08:30:00 GMT+2",
            "2026-06-05 08:30:00+0200",
            "2026-06-05T08:30:00 CEST",
            "Fri, 05 Jun 2026 06:30:00",
            "2026-06-05T06:30:00",
            "Jun 5 2026 06:30:00 Z",
            "05. Juni 2026 08:30:00+0200",
        ] {
            assert_eq!(parse_date(s), want, "{s}");
        }
        assert_eq!(parse_date("2026-03-01"), utc("2026-03-01T00:00:00Z"));
        assert_eq!(
            parse_date("Di, 3 Mär 2026 10:00:00 MEZ"),
            utc("2026-03-03T09:00:00Z")
        );
        assert_eq!(
            parse_date("2026-11-27T08:15:00.123456Z").map(|d| d.timestamp_subsec_micros()),
            Some(123456)
        );
    }

    #[test]
    fn undatable_strings_give_none() {
        for s in [
            "",
            "gestern",
            "Fri, 5 Jun 2026 08:30:00 XYZ",
            "32 Jun 2026",
            "2026-13-01",
            "heute 08:30",
        ] {
            assert_eq!(parse_date(s), None, "{s}");
        }
    }

    #[test]
    fn page_date_forms() {
        let want = utc("2026-03-04T08:15:00Z");
        for s in [
            "2026-03-04T09:15:00+01:00",
            "2026-03-04T09:15:00+0100",
            "2026-03-04T08:15:00",
            "2026-03-04T08:15:00.000Z",
            "04.03.2026, 09:15 Uhr MEZ",
            "4. März 2026, 09:15 Uhr +01:00",
            "March 4, 2026 08:15 UTC",
        ] {
            assert_eq!(parse_date(s), want, "{s}");
        }
        assert_eq!(parse_date("04.03.2026"), utc("2026-03-04T00:00:00Z"));
        assert_eq!(parse_date("kein Datum"), None);
        assert_eq!(parse_date("1.2.3"), None);
    }

    #[test]
    fn local_times_are_read_in_the_given_zone() {
        let berlin = FixedOffset::east_opt(3600).expect("valid offset");
        assert_eq!(
            parse_date_in("2026-03-04 09:15", &berlin),
            utc("2026-03-04T08:15:00Z")
        );
        assert_eq!(
            parse_date_in("4. März 2026, 09:15 Uhr", &berlin),
            utc("2026-03-04T08:15:00Z")
        );
        // An explicit zone wins over the source's.
        assert_eq!(
            parse_date_in("2026-03-04T09:15:00Z", &berlin),
            utc("2026-03-04T09:15:00Z")
        );
    }
}
