//! Wire copy as word hashes: normalization of characters and words, and the lines and
//! tags a republisher adds or drops (datelines, agency tags, bylines, reading tips) left out,
//! so the signature sees only the story.

use std::borrow::Cow;

/// `None` at every word boundary.
///
/// Digit groups ("1.500", "2,5") stay one word so a republisher writing "1500" matches.
pub(super) fn for_each_norm_char(s: &str, mut f: impl FnMut(Option<char>)) {
    let mut chars = s.chars().peekable();
    let mut prev_digit = false;
    while let Some(c) = chars.next() {
        if c.is_ascii_alphanumeric() && !matches!(chars.peek(), Some('\u{308}')) {
            f(Some(c.to_ascii_lowercase()));
            prev_digit = c.is_ascii_digit();
        } else if c.is_ascii()
            && !c.is_ascii_alphanumeric()
            && !(prev_digit && matches!(c, '.' | ','))
        {
            prev_digit = false;
            f(None);
        } else if c.is_alphanumeric() {
            // Decomposed umlaut: compose it so both spellings give the same word.
            if matches!(chars.peek(), Some('\u{308}')) {
                let composed = match c {
                    'a' | 'A' => Some('ä'),
                    'o' | 'O' => Some('ö'),
                    'u' | 'U' => Some('ü'),
                    _ => None,
                };
                if let Some(u) = composed {
                    chars.next();
                    f(Some(u));
                    prev_digit = false;
                    continue;
                }
            }
            for l in c.to_lowercase() {
                f(Some(l));
            }
            prev_digit = c.is_ascii_digit();
        } else if ('\u{300}'..='\u{36f}').contains(&c) {
            // Combining marks belong to the letter before them; drop, keep the word whole.
        } else if prev_digit
            && matches!(c, '.' | ',')
            && chars.peek().is_some_and(|n| n.is_ascii_digit())
        {
            // Thousands or decimal separator inside a number.
        } else {
            prev_digit = false;
            f(None);
        }
    }
    f(None);
}

/// Whether a line stops without a sentence end (a truncated teaser), ignoring a trailing
/// agency tag "(AFP)".
pub(super) fn is_cut(line: &str) -> bool {
    let mut end = line.trim_end();
    if end.ends_with(')') {
        if let Some(i) = end.rfind('(') {
            end = end[..i].trim_end();
        }
    }
    !end.ends_with(['.', '!', '?', '"', '“', '»', '«', '\''])
}

/// Line without a leading dateline "Berlin (dpa) - " or "Hamburg/Kiel (AFP) – ": the place
/// is the agency's, a republisher may keep or drop it.
pub(super) fn strip_dateline(line: &str) -> &str {
    let trimmed = line.trim_start();
    let head = match trimmed.char_indices().nth(60) {
        Some((i, _)) => &trimmed[..i],
        None => trimmed,
    };
    let (Some(open), Some(close)) = (head.find('('), head.find(')')) else {
        return line;
    };
    if close < open || trimmed[..open].split_whitespace().count() > 4 {
        return line;
    }
    let tag = trimmed[open + 1..close].to_lowercase();
    let agency = tag
        .split(['/', ',', ' '])
        .next()
        .is_some_and(|t| AGENCY_WORDS.contains(&word_hash_ascii(t.as_bytes())));
    let rest = trimmed[close + 1..].trim_start();
    match rest.strip_prefix(['-', '–', '—', ':']) {
        Some(after) if agency => after.trim_start(),
        _ => line,
    }
}

/// Lines a republisher adds around wire copy: reading tips, copyright and photo credits,
/// bylines. They say nothing about which story it is.
pub(super) fn is_boilerplate_line(line: &str) -> bool {
    const PREFIXES: [&str; 18] = [
        "dieser artikel wurde",
        "diese meldung wurde",
        "stand:",
        "aktualisiert",
        "lesen sie auch",
        "lesen sie mehr",
        "mehr zum thema",
        "mehr dazu",
        "auch interessant",
        "das könnte sie auch interessieren",
        "weitere informationen",
        "©",
        "(c)",
        "copyright",
        "foto:",
        "fotos:",
        "bild:",
        "quelle:",
    ];
    const BYLINE: &str = "von ";
    /// The first words of the prefixes and of a byline.
    static OPENERS: std::sync::LazyLock<Vec<&str>> = std::sync::LazyLock::new(|| {
        PREFIXES
            .iter()
            .chain([&BYLINE])
            .map(|p| p.split(' ').next().unwrap_or_default())
            .collect()
    });
    let line = line.trim();
    // Called for every line and every sentence of every story: lower-casing the head only
    // when the first word can open a note keeps it off the cycle's profile.
    let first = line.split_whitespace().next().unwrap_or_default();
    let opens_note = |word: &&str| {
        first
            .as_bytes()
            .get(..word.len())
            .is_some_and(|head| head.eq_ignore_ascii_case(word.as_bytes()))
    };
    if OPENERS.iter().any(opens_note) {
        // Prefixes are short; lower-casing a whole paragraph would cost more than the rest.
        let head = match line.char_indices().nth(40) {
            Some((i, _)) => &line[..i],
            None => line,
        };
        // Republished copy spaces words irregularly ("Lesen  Sie  auch:", no-break spaces).
        let mut lower = String::with_capacity(head.len());
        for word in head.split_whitespace() {
            if !lower.is_empty() {
                lower.push(' ');
            }
            lower.extend(word.chars().flat_map(char::to_lowercase));
        }
        if PREFIXES.iter().any(|p| lower.starts_with(p)) {
            return true;
        }
        // A byline is a short line "Von Anna Beispiel[, Berlin]" without a sentence end.
        if lower.starts_with(BYLINE)
            && line.split_whitespace().count() <= 8
            && !line.ends_with(['.', '!', '?', ':', '"', '“'])
        {
            return true;
        }
    }
    // A credit line "Anna Beispiel / dpa": a name or two, then the agency.
    // The cheap tests first: most lines with a slash are sentences ("Hamburg/Kiel (dpa) -").
    if let Some((who, agency)) = line.rsplit_once('/') {
        let agency = agency.trim();
        if agency.len() <= 16
            && (1..=4).contains(&who.split_whitespace().count())
            && !who.trim_end().ends_with(['.', '!', '?', ':'])
            && AGENCY_WORDS.contains(&word_hash_ascii(agency.to_ascii_lowercase().as_bytes()))
        {
            return true;
        }
    }
    false
}

/// What a line holds of the story: None for a boilerplate line (see
/// [`is_boilerplate_line`]), else the line without the reading tips, credits and copyright
/// notes run into it, as when a republisher's paragraphs are joined into one line ("Foto:
/// Anna Beispiel/dpa Der Bundesrat hat …", "… gebilligt. Lesen Sie auch: …"). A note in a
/// long line runs to the next sentence end or to the end of the line.
pub(super) fn story_part(line: &str) -> Option<Cow<'_, str>> {
    let mut line = line;
    if is_boilerplate_line(line) {
        // A note is a line of a few words; a long one is a note with the story after it.
        line.split_whitespace().nth(NOTE_WORDS)?;
        let end = line.find(['.', '!', '?'])?;
        line = &line[end + 1..];
    }
    Some(drop_inline_boilerplate(line))
}

/// Words a boilerplate line may have; a longer line starting like one holds the story too.
const NOTE_WORDS: usize = 30;

fn drop_inline_boilerplate(line: &str) -> Cow<'_, str> {
    let mut out: Option<String> = None;
    // Bytes of `line` already copied to `out` or skipped.
    let mut done = 0;
    let mut from = 0;
    while let Some(off) = line[from..].find(SENTENCE_END) {
        let end = from + off + line[from + off..].chars().next().map_or(1, char::len_utf8);
        let rest = &line[end..];
        let note = rest.trim_start();
        let starts_note = note.len() < rest.len()
            && note
                .chars()
                .next()
                .is_some_and(|c| c.is_uppercase() || c == '©' || c == '(')
            && is_boilerplate_line(note);
        if !starts_note {
            from = end;
            continue;
        }
        let note_len = note.find(['.', '!', '?']).map_or(note.len(), |j| j + 1);
        let o = out.get_or_insert_with(|| String::with_capacity(line.len()));
        o.push_str(&line[done..end]);
        o.push(' ');
        done = line.len() - note.len() + note_len;
        from = done;
    }
    match out {
        Some(mut o) => {
            o.push_str(&line[done..]);
            Cow::Owned(o)
        }
        None => Cow::Borrowed(line),
    }
}

const SENTENCE_END: [char; 7] = ['.', '!', '?', '"', '“', '»', '«'];

/// Agency tags that republishers add or drop ("Berlin (dpa) -", "© dpa-infocom").
const AGENCY_WORDS: [u64; 13] = [
    word_hash_ascii(b"dpa"),
    word_hash_ascii(b"afp"),
    word_hash_ascii(b"reuters"),
    word_hash_ascii(b"ap"),
    word_hash_ascii(b"kna"),
    word_hash_ascii(b"epd"),
    word_hash_ascii(b"dts"),
    word_hash_ascii(b"rtr"),
    word_hash_ascii(b"apa"),
    word_hash_ascii(b"sda"),
    word_hash_ascii(b"sid"),
    word_hash_ascii(b"afx"),
    word_hash_ascii(b"infocom"),
];

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

const fn word_hash_ascii(w: &[u8]) -> u64 {
    let mut h = FNV_OFFSET;
    let mut i = 0;
    while i < w.len() {
        h = (h ^ w[i] as u64).wrapping_mul(FNV_PRIME);
        i += 1;
    }
    h
}

/// Appends the hash of every normalized word of `s`, skipping agency tags.
pub(super) fn push_words(s: &str, out: &mut Vec<u64>) -> Vec<(usize, u32)> {
    let mut numbers = Vec::new();
    let mut h = FNV_OFFSET;
    let mut len = 0usize;
    let mut digit = false;
    for_each_norm_char(s, |c| match c {
        Some(c) => {
            h = (h ^ u64::from(c as u32)).wrapping_mul(FNV_PRIME);
            len += 1;
            digit |= c.is_ascii_digit();
        }
        None => {
            if len > 0 && !AGENCY_WORDS.contains(&h) {
                if digit {
                    numbers.push((out.len(), mix64(h) as u32));
                }
                out.push(h);
            }
            h = FNV_OFFSET;
            len = 0;
            digit = false;
        }
    });
    numbers
}

/// The words of a story that say when and who: the closed classes of weekdays, months and
/// times of day, and the capitalised words (names of places, people, teams and companies
/// among them). Two stories from one template differ in exactly these words; a copy of a
/// story keeps them or drops them with a cut, and never gains one.
#[derive(Debug, Default)]
pub(super) struct NameWords {
    /// Bits of the weekdays, months and times of day named (see [`WHEN_BITS`]).
    pub(super) when: u32,
    /// Hashes of the capitalised words (lower-cased, as [`push_words`] normalizes them),
    /// each with whether it stood inside a sentence, where German capitalises only nouns
    /// and names, not at its start.
    pub(super) words: Vec<(u64, bool)>,
}

/// Bits of [`NameWords::when`]: seven weekdays, twelve months, six times of day.
pub(super) const WHEN_BITS: [(u32, u32); 3] = [(0, 7), (7, 12), (19, 6)];

impl NameWords {
    /// Reads one line (a title, or a line of text with its dateline left out). `when`:
    /// whether its weekdays, months and times of day count (those of a title do not: a
    /// site name such as "Welt am Sonntag" may stay in it).
    pub(super) fn push_line(&mut self, line: &str, when: bool) {
        let mut initial = true;
        for token in line.split_whitespace() {
            let opens_quote = token.starts_with(['„', '"', '«', '»', '‚', '\'', '“', '(']);
            let core = token.trim_matches(|c: char| !c.is_alphanumeric());
            let Some(first) = core.chars().next() else {
                // A dash or a lone mark: what follows may open a new clause.
                initial = true;
                continue;
            };
            let starts_sentence = initial || opens_quote;
            // "1. Juli": an ordinal's dot ends no sentence.
            let ordinal = core.bytes().all(|b| b.is_ascii_digit());
            initial = !ordinal && token.ends_with(['.', '!', '?', ':', '“', '"', '»', '«']);
            if !first.is_uppercase() {
                continue;
            }
            // One word however it is hyphenated or dotted ("Schleswig-Holstein"); the
            // lower-cased spelling only as far as a weekday, month or time of day can go.
            let mut h = FNV_OFFSET;
            let mut buf = [0u8; 24];
            let mut len = Some(0);
            for_each_norm_char(core, |c| {
                let Some(c) = c else { return };
                h = (h ^ u64::from(c as u32)).wrapping_mul(FNV_PRIME);
                len = len
                    .filter(|&l| l + c.len_utf8() <= buf.len())
                    .map(|l| l + c.encode_utf8(&mut buf[l..]).len());
            });
            if AGENCY_WORDS.contains(&h) {
                continue;
            }
            let lower = len.map_or("", |l| std::str::from_utf8(&buf[..l]).unwrap_or(""));
            if let Some(bit) = when_bit(lower, starts_sentence) {
                if when {
                    self.when |= bit;
                }
                continue;
            }
            self.words.push((h, !starts_sentence));
        }
    }
}

/// The [`NameWords::when`] bits of a lower-cased capitalised word: a weekday (also in a
/// compound with a time of day, "Montagabend", which sets both), a month, a time of day
/// ("am Abend"; "Morgen" only inside a sentence, where it is no "tomorrow"), in German or
/// English. None for any other word.
fn when_bit(lower: &str, starts_sentence: bool) -> Option<u32> {
    const DAYS: [[&str; 2]; 7] = [
        ["montag", "monday"],
        ["dienstag", "tuesday"],
        ["mittwoch", "wednesday"],
        ["donnerstag", "thursday"],
        ["freitag", "friday"],
        ["samstag", "saturday"],
        ["sonntag", "sunday"],
    ];
    const MONTHS: [[&str; 2]; 12] = [
        ["januar", "january"],
        ["februar", "february"],
        ["märz", "march"],
        ["april", "april"],
        ["mai", "may"],
        ["juni", "june"],
        ["juli", "july"],
        ["august", "august"],
        ["september", "september"],
        ["oktober", "october"],
        ["november", "november"],
        ["dezember", "december"],
    ];
    const TIMES: [&str; 6] = [
        "morgen",
        "vormittag",
        "mittag",
        "nachmittag",
        "abend",
        "nacht",
    ];
    // Most capitalised words are nouns: every name below starts with one of these letters
    // and has 3 to 20 bytes, which rules out most of them before a comparison.
    if !(3..=20).contains(&lower.len())
        || !matches!(
            lower.as_bytes()[0],
            b'a' | b'd' | b'f' | b'j' | b'm' | b'n' | b'o' | b's' | b't' | b'v' | b'w'
        )
    {
        return None;
    }
    let time = |w: &str| TIMES.iter().position(|t| *t == w);
    let time_bit = |i: usize| 1u32 << (WHEN_BITS[2].0 as usize + i);
    if let Some(i) = time(lower) {
        return (i != 0 || !starts_sentence).then(|| time_bit(i));
    }
    if let Some(i) = MONTHS.iter().position(|m| m.contains(&lower)) {
        return Some(1 << (WHEN_BITS[1].0 as usize + i));
    }
    let lower = match lower {
        "sonnabend" => "samstag",
        "jänner" => return Some(1 << WHEN_BITS[1].0),
        w => w,
    };
    for (i, names) in DAYS.iter().enumerate() {
        for name in names {
            let Some(rest) = lower.strip_prefix(name) else {
                continue;
            };
            let day = 1u32 << i;
            match rest {
                "" | "s" => return Some(day),
                rest => {
                    if let Some(t) = time(rest) {
                        return Some(day | time_bit(t));
                    }
                }
            }
        }
    }
    None
}

/// splitmix64 finalizer: a cheap full-avalanche mix.
pub(super) const fn mix64(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<u64> {
        let mut v = Vec::new();
        let _ = push_words(s, &mut v);
        v
    }

    #[test]
    fn words_drop_agency_tags_and_keep_numbers_whole() {
        assert_eq!(
            words("Berlin (dpa) - Der Bundesrat"),
            words("Berlin (AFP) Der Bundesrat")
        );
        assert_eq!(words("1.500 Euro"), words("1500 Euro"));
        assert_eq!(words("Preis: 2,5 Prozent").len(), 3);
    }

    #[test]
    fn datelines_leave_the_first_line() {
        assert_eq!(
            strip_dateline("Berlin (dpa) - Der Bundesrat"),
            "Der Bundesrat"
        );
        assert_eq!(
            strip_dateline("Hamburg/Kiel (AFP) – Auf der A7"),
            "Auf der A7"
        );
        assert_eq!(
            strip_dateline("Bad Homburg (dpa/lhe) - Die Stadt"),
            "Die Stadt"
        );
        // Parentheses that are not an agency tag stay.
        assert_eq!(
            strip_dateline("Die Partei (SPD) - so hieß es - stimmte zu."),
            "Die Partei (SPD) - so hieß es - stimmte zu."
        );
    }

    #[test]
    fn boilerplate_lines_are_recognized() {
        assert!(is_boilerplate_line("Lesen Sie auch: Streit um die Rente"));
        assert!(is_boilerplate_line("© dpa-infocom, dpa:261127-99-123456/2"));
        assert!(is_boilerplate_line("Von Anna Beispiel, Berlin"));
        assert!(is_boilerplate_line("Foto: Max Muster/dpa"));
        assert!(!is_boilerplate_line(
            "Von der Reform profitieren vor allem Familien mit kleinen Einkommen."
        ));
        assert!(!is_boilerplate_line(
            "Der Bundesrat hat die Reform gebilligt."
        ));
        // However it is spaced or cased, and with the first word glued to what follows.
        assert!(is_boilerplate_line(
            "  LESEN\u{a0} Sie  auch: Streit um die Rente"
        ));
        assert!(is_boilerplate_line("mehr zum Thema"));
        assert!(is_boilerplate_line("©dpa"));
        assert!(is_boilerplate_line("(c) 2026 Beispielverlag"));
        assert!(is_boilerplate_line("Aktualisiert am 3. Dezember"));
        assert!(is_boilerplate_line("Das könnte Sie auch interessieren"));
        // A credit line opens with a name, not with a note's first word.
        assert!(is_boilerplate_line("Anna Beispiel / AFP"));
        assert!(!is_boilerplate_line("Das Parlament stimmte zu."));
        assert!(!is_boilerplate_line("Mehrere Länder protestierten."));
    }

    #[test]
    fn notes_run_into_a_line_are_left_out_and_the_story_kept() {
        let story = "Der Bundesrat hat die Reform gebilligt. Sie gilt ab Juli.";
        assert_eq!(story_part(story).as_deref(), Some(story));
        assert_eq!(story_part("Lesen Sie auch: Streit um die Rente"), None);
        // Paragraphs joined into one line: a reading tip after the story, a photo credit
        // before it.
        let tip = format!("{story} Lesen Sie auch: Streit um die Rente");
        assert_eq!(words(&story_part(&tip).unwrap_or_default()), words(story));
        let tip =
            "Der Bundesrat hat die Reform gebilligt. Mehr zum Thema: Rente. Sie gilt ab Juli.";
        assert_eq!(words(&story_part(tip).unwrap_or_default()), words(story));
        let credit = format!(
            "Foto: Anna Beispiel/dpa. {story} Die Länder hatten lange gestritten, bis \
             sich eine Mehrheit fand, die dem Entwurf am Ende ohne weitere Änderungen \
             zustimmte, wie es aus Kreisen der Länderkammer hieß."
        );
        let kept = story_part(&credit).unwrap_or_default();
        assert!(kept.starts_with(" Der Bundesrat"), "{kept}");
    }

    fn when(line: &str) -> u32 {
        let mut names = NameWords::default();
        names.push_line(line, true);
        names.when
    }

    #[test]
    fn weekdays_months_and_times_of_day_are_a_closed_class() {
        let bit = |kind: usize, i: u32| 1u32 << (WHEN_BITS[kind].0 + i);
        assert_eq!(when("Der Bundesrat hat am Montag entschieden."), bit(0, 0));
        assert_eq!(
            when("Am Montagabend kam es zum Streit."),
            bit(0, 0) | bit(2, 4)
        );
        assert_eq!(when("Die Reform gilt ab dem 1. Juli."), bit(1, 6));
        // The shortest and the longest names of the class.
        assert_eq!(when("Sie gilt seit Mai."), bit(1, 4));
        assert_eq!(
            when("Es geschah am Donnerstagnachmittag."),
            bit(0, 3) | bit(2, 3)
        );
        assert_eq!(
            when("The vote is on Friday, in March."),
            bit(0, 4) | bit(1, 2)
        );
        assert_eq!(when("Der Unfall geschah am frühen Morgen."), bit(2, 0));
        // "Morgen" opening a sentence is "tomorrow"; assembly is no Monday, Mainz no May.
        assert_eq!(when("Morgen beginnt die Montage in Mainz."), 0);
        // A title's weekdays do not count: a site name may hide in it.
        let mut names = NameWords::default();
        names.push_line("Welt am Sonntag", false);
        assert_eq!(names.when, 0);
    }

    #[test]
    fn capitalised_words_are_read_with_where_they_stand() {
        let mut names = NameWords::default();
        names.push_line(
            "Der Sturm hat in Schleswig-Holstein (dpa) Bäume entwurzelt. „Wir helfen“, sagte Anna Beispiel.",
            true,
        );
        let hash = |w: &str| {
            let mut v = Vec::new();
            let _ = push_words(&w.replace('-', ""), &mut v);
            v[0]
        };
        let inside: Vec<u64> = names.words.iter().filter(|w| w.1).map(|w| w.0).collect();
        let opening: Vec<u64> = names.words.iter().filter(|w| !w.1).map(|w| w.0).collect();
        for w in ["Sturm", "Schleswig-Holstein", "Bäume", "Anna", "Beispiel"] {
            assert!(inside.contains(&hash(w)), "{w}");
        }
        // Sentence and quote openings; the agency tag is no name.
        assert_eq!(opening, [hash("Der"), hash("Wir")]);
        assert!(!names.words.iter().any(|w| w.0 == word_hash_ascii(b"dpa")));
    }

    #[test]
    fn boilerplate_with_irregular_spaces_and_credit_lines_is_recognized() {
        assert!(is_boilerplate_line(
            "Lesen  Sie  auch:  Streit um die Rente"
        ));
        assert!(is_boilerplate_line(
            "Lesen\u{a0}Sie auch: Streit um die Rente"
        ));
        assert!(is_boilerplate_line("Anna Beispiel / dpa"));
        assert!(is_boilerplate_line("Anna Beispiel/AFP"));
        assert!(!is_boilerplate_line(
            "Hamburg/Kiel (dpa) - Der Sturm hat Bäume entwurzelt."
        ));
        assert!(!is_boilerplate_line("Die Quote liegt bei 3/4"));
    }
}
