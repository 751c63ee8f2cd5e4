//! The value syntaxes of config.yaml — durations, sizes, ids — and the "did you mean"
//! for misspelt keys. Pure functions, used by the checker and by tests.

use std::time::Duration;

/// `30s`, `10m`, `2h`, `30d`, `1w`, combinations like `1h30m`, or plain seconds.
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let t = text.trim();
    let bad = || format!("`{text}` is not a duration; write e.g. 30s, 10m, 2h, 30d or 1h30m");
    if t.is_empty() {
        return Err(bad());
    }
    if let Ok(secs) = t.parse::<u64>() {
        return Ok(Duration::from_secs(secs));
    }
    let mut total: u64 = 0;
    let mut number = String::new();
    let mut chars = t.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            number.push(c);
            continue;
        }
        let mut unit = String::from(c);
        while let Some(&n) = chars.peek() {
            if n.is_ascii_alphabetic() {
                unit.push(n);
                chars.next();
            } else {
                break;
            }
        }
        let n: u64 = number.parse().map_err(|_| bad())?;
        number.clear();
        let factor = match unit.as_str() {
            "ms" => {
                total = total.checked_add(n / 1000).ok_or_else(bad)?;
                continue;
            }
            "s" => 1,
            "m" | "min" => 60,
            "h" => 3600,
            "d" => 86400,
            "w" => 7 * 86400,
            _ => return Err(bad()),
        };
        total = n
            .checked_mul(factor)
            .and_then(|v| total.checked_add(v))
            .ok_or_else(bad)?;
    }
    if !number.is_empty() {
        return Err(bad());
    }
    Ok(Duration::from_secs(total))
}

/// `10MiB`, `512KiB`, `1GB`, `2048` (bytes).
pub fn parse_size(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let bad = || format!("`{text}` is not a size; write e.g. 512KiB, 10MiB or 1GiB");
    let n: u64 = num.parse().map_err(|_| bad())?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" => 1000,
        "kib" => 1024,
        "m" | "mb" => 1000 * 1000,
        "mib" => 1024 * 1024,
        "g" | "gb" => 1000 * 1000 * 1000,
        "gib" => 1024 * 1024 * 1024,
        _ => return Err(bad()),
    };
    n.checked_mul(factor).ok_or_else(bad)
}

/// The longest duration config.yaml accepts (100 years): anything longer is a typo, and
/// every time computed from a configured duration stays far inside what dates can hold.
pub const MAX_DURATION: Duration = Duration::from_secs(36500 * 86400);

/// The largest size config.yaml accepts (4 GiB): a body is held in memory while it is read.
pub const MAX_SIZE: u64 = 4 * 1024 * 1024 * 1024;

/// The longest id: ids name files (`<id>.rss`, `<id>.json.tmp`) and URL paths.
pub const MAX_ID_LEN: usize = 64;

/// Ids name files and URL paths: `[a-z0-9_-]+`, at most [`MAX_ID_LEN`] characters.
pub fn is_safe_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID_LEN
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// A safe id near `id`: lower case, other characters as `-`, cut to [`MAX_ID_LEN`].
pub(super) fn suggest_id(id: &str) -> String {
    let s: String = id
        .to_lowercase()
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    let mut s = s.trim_matches('-').to_string();
    // Lower-cased non-ASCII letters are not ASCII alphanumerics, so `s` is ASCII here.
    s.truncate(MAX_ID_LEN);
    let s = s.trim_end_matches('-').to_string();
    if s.is_empty() {
        "my-feed".into()
    } else {
        s
    }
}

/// The line and column (1-based, in characters) of byte offset `at` in `bytes`, for
/// reporting the first byte of a config file that is not UTF-8.
pub(super) fn position_of(bytes: &[u8], at: usize) -> (u64, u64) {
    let before = &bytes[..at.min(bytes.len())];
    let line_start = before
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1);
    let line = before.iter().filter(|&&b| b == b'\n').count() + 1;
    // Everything before `at` is valid UTF-8, so its characters can be counted.
    let column = String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count()
        + 1;
    (line as u64, column as u64)
}

/// The allowed key nearest to a misspelt one, when it is close enough to be a typo.
pub(super) fn closest<'k>(name: &str, allowed: &[&'k str]) -> Option<&'k str> {
    allowed
        .iter()
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, k)| *d <= 2.max(k.len() / 4))
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, cb) in b.iter().enumerate() {
            cur[j + 1] = (prev[j] + usize::from(ca != *cb))
                .min(prev[j + 1] + 1)
                .min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

pub(super) fn first_line(s: &str) -> String {
    s.lines().next().unwrap_or(s).trim().to_string()
}
