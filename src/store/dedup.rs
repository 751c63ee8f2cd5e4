//! Duplicate detection: link normalization, exact fingerprints and near-duplicate signatures.
//!
//! The store keeps every story once. Three pure checks find "the same story" when it comes
//! back from another source:
//!
//! 1. [`normalize_link`]: the same page under a different spelling of its URL.
//! 2. [`fingerprint`]: the same title and text, ignoring case, punctuation and whitespace.
//! 3. [`signature`] / [`band_keys`] / [`is_near_duplicate`]: the same wire story republished
//!    with small edits (site name in the title, byline or boilerplate added, quote style,
//!    a shortened or truncated lead).
//!
//! # Near duplicates: MinHash, an exact lead set, number words and names
//!
//! Title and text become one stream of normalized words (lower-cased, Unicode letters and
//! digits, German umlauts kept; agency tags such as "dpa", "AFP" dropped; a trailing site
//! name in the title and a dateline "Berlin (dpa) -" dropped; boilerplate lines such as
//! "Lesen Sie auch: …", "© dpa-infocom", bylines "Von Anna Beispiel" dropped). Overlapping
//! 3-word shingles are hashed once each; 64 MinHash values are derived from that one hash by
//! xor with a per-slot seed and a multiply-shift, so a signature costs one pass and no
//! allocation per shingle.
//!
//! A signature holds 16-bit values (the store keeps every copy's signature in memory):
//!
//! * `full`: 64 MinHash values over all shingles; their agreement rate estimates the Jaccard
//!   similarity, and with the two shingle counts the *containment* of the smaller story in
//!   the larger (a copy with a paragraph cut is contained in its original). Comparisons and
//!   band keys read each value narrowed to 8 bits ([`Sketch`]), which is all the store
//!   keeps of them in memory.
//! * `lead`: the exact (hashed) shingle set of the title and the first [`LEAD_WORDS`] words
//!   of the text. Feeds often carry only the first paragraph or a truncated teaser of a long
//!   story; the containment of the smaller lead in the other is near 1 for such a teaser.
//! * `numbers`: hashes of the words with digits. A copy only drops numbers (when it is
//!   shortened); if each story has a number the other lacks ("A7" / "A1", "3 Verletzte" /
//!   "5 Verletzte"), they are different events however alike the wording is.
//! * `names`: when and who, in [`NAME_WORDS`] words. Template stories (weather warnings,
//!   results, market reports, traffic) share every sentence and differ in a weekday, a time
//!   of day or a place, team or company name. Weekdays, months and times of day are a closed
//!   class (German and English), kept as bits; the capitalised words of title and text go
//!   into a 64-bit filter, and the title's names (its capitalised words that the text has
//!   inside a sentence) are kept as positions in it. If each story has a weekday (month,
//!   time of day) of its own, or a title name the other has nowhere, they are different
//!   events; a copy keeps these words or loses them with a cut. What a republisher adds
//!   (site name, dateline, byline, credit) stands in one title or one text only, so it is
//!   never a title name.
//!
//! [`is_near_duplicate`]: no number or name conflict, and full Jaccard ≥ `threshold` (0.7), lead
//! containment ≥ `lead_threshold` (0.85) or containment ≥ `containment_threshold` (0.9),
//! chosen on the generated evaluation set in `tests/dedup_eval.rs`. Items with fewer than
//! `min_shingles` shingles (a bare title) are never near duplicates: a handful of words
//! cannot tell "Unfall auf der A7" from "Unfall auf der A1" apart; links and fingerprints
//! still catch their exact copies. [`similarity`] (the largest score) is for diagnostics.
//!
//! [`band_keys`] cuts the sketches into LSH bands ([`LAYOUT`]); the store indexes stories
//! by these keys (every copy's keys point at its story) and compares only stories that
//! share a key, so a new item never scans the store.

use super::words::{is_cut, mix64, push_words, story_part, strip_dateline, NameWords, WHEN_BITS};
use crate::parse::title::strip_unnamed_site;
use serde::{Deserialize, Serialize};

pub use super::exact::{fingerprint, normalize_link, TRACKING_PARAMS};

/// Number of text words (after the title) that form the lead set.
pub const LEAD_WORDS: usize = 30;
/// MinHash values per sketch.
pub const SLOTS: usize = 64;
/// Number words kept per signature.
pub const MAX_NUMBERS: usize = 48;
/// Words per shingle.
const SHINGLE: usize = 3;
/// Words of [`Signature::names`].
pub const NAME_WORDS: usize = 8;
/// Title names kept per signature (see [`Signature::names`]).
const MAX_KEYS: usize = 5;
/// The bit of the names' second half that marks a text cut off mid-sentence.
const CUT_BIT: u64 = 1 << 63;

/// Near-duplicate signature of one story: a MinHash sketch of all shingles, the exact
/// (hashed) shingle set of the lead and the number words.
///
/// Values are 16 bits: the store keeps the signature of every copy of every story in memory
/// (so checking a candidate never reads the disk), and 16 bits are plenty to tell lead
/// shingles apart (two clash with a probability of about 0.06 % per shingle). The full
/// sketch is compared in 8 bits a value ([`Sketch`]), and the store's memory holds only
/// those ([`SigRef::pack_compact`]), about 185 bytes for a long story; index records keep
/// the 16 bits ([`Signature::pack`]). Decide with [`is_near_duplicate`], index with
/// [`band_keys`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signature {
    /// Shingles in title + text (0 for an empty story).
    pub shingles: u32,
    /// MinHash over all shingles, [`SLOTS`] values.
    pub full: Vec<u16>,
    /// 16-bit hashes of the title + lead shingles, sorted, without repeats (at most about
    /// [`LEAD_WORDS`] + title length entries).
    pub lead: Vec<u16>,
    /// Hashes of the words with digits ("A7", "2,5", "1.500"), sorted, at most
    /// [`MAX_NUMBERS`]. A copy carries no number its original lacks.
    #[serde(default)]
    pub numbers: Vec<u16>,
    /// When and who, in [`NAME_WORDS`] words (none in a signature stored before them): the
    /// weekdays, months and times of day of the text, the capitalised words of title and
    /// text as a 64-bit filter, and the title's names, those of its capitalised words that
    /// the text has inside a sentence ("Unwetter im Harz", "Kranwerk streicht Stellen"), as
    /// positions in that filter; and whether the text stops mid-sentence
    /// ([`is_cut_text`]). A copy keeps these or drops them with a cut; see
    /// [`names_conflict`].
    #[serde(default)]
    pub names: Vec<u16>,
}

/// A signature borrowed from one of its packed forms (see [`Signature::pack`] and
/// [`Signature::pack_compact`]) or from a [`Signature`]: what the comparisons read.
#[derive(Debug, Clone, Copy)]
pub struct SigRef<'a> {
    pub shingles: u32,
    pub full: Sketch<'a>,
    pub lead: &'a [u16],
    pub numbers: &'a [u16],
    pub names: &'a [u16],
}

/// The MinHash values of all shingles as the comparisons and band keys read them: each
/// value narrowed to 8 bits ([`narrow`]), whether it is borrowed from a signature as
/// computed (16 bits a value, as index records store it) or from the store's memory (8
/// bits, two to a word).
///
/// Why 8 bits are enough (b-bit MinHash): two slots of different shingle sets agree by
/// chance once in 256 after narrowing, which [`agreement`] corrects for; with 64 slots
/// that moves no threshold of [`NearDupConfig`] by a whole slot, and it halves what every
/// copy of every story costs in memory. The 16 stored bits are the top of a minimum and
/// far from uniform (their low bits cluster near zero), so they are hashed before the
/// narrowing, not cut.
#[derive(Debug, Clone, Copy)]
pub enum Sketch<'a> {
    /// 16 bits a value, as [`signature`] makes them.
    Wide(&'a [u16]),
    /// Narrowed values, two to a word (the first in the low byte); `len` values.
    Narrow { words: &'a [u16], len: usize },
}

/// A 16-bit MinHash value as the 8 bits the comparisons use: hashed, so that the 8 bits
/// are uniform whatever the story's length.
#[inline]
pub fn narrow(v: u16) -> u8 {
    (mix64(u64::from(v) ^ 0x5ca1_ab1e) >> 56) as u8
}

impl<'a> Sketch<'a> {
    pub fn len(&self) -> usize {
        match *self {
            Sketch::Wide(values) => values.len(),
            Sketch::Narrow { len, .. } => len,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The narrowed value of slot `i` (below `len`).
    #[inline]
    pub fn get(&self, i: usize) -> u8 {
        match *self {
            Sketch::Wide(values) => narrow(values[i]),
            Sketch::Narrow { words, .. } => (words[i / 2] >> (8 * (i % 2))) as u8,
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = u8> + '_ {
        (0..self.len()).map(|i| self.get(i))
    }

    /// The narrowed values.
    pub fn to_vec(&self) -> Vec<u8> {
        self.iter().collect()
    }
}

impl Default for Sketch<'_> {
    fn default() -> Self {
        Sketch::Wide(&[])
    }
}

/// Sketches compare by their narrowed values, whatever form they are borrowed from.
impl PartialEq for Sketch<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Sketch<'_> {}

impl PartialOrd for Sketch<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// Lexicographic over the narrowed values (`joining` breaks ties by it).
impl Ord for Sketch<'_> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.iter().cmp(other.iter())
    }
}

impl Signature {
    pub fn view(&self) -> SigRef<'_> {
        SigRef {
            shingles: self.shingles,
            full: Sketch::Wide(&self.full),
            lead: &self.lead,
            numbers: &self.numbers,
            names: &self.names,
        }
    }

    /// Appends the packed form index records store: `shingles (2 words), full len, lead
    /// len, numbers len (low byte) and names len (high byte)`, then the four runs, 16 bits
    /// a value. A signature packed before names existed reads as one without.
    pub fn pack(&self, out: &mut Vec<u16>) {
        let cut = |run: &[u16]| run.len().min(u16::MAX as usize);
        let (numbers, names) = self.view().packed_runs();
        out.push(self.shingles as u16);
        out.push((self.shingles >> 16) as u16);
        out.push(cut(&self.full) as u16);
        out.push(cut(&self.lead) as u16);
        out.push(numbers.len() as u16 | (names.len() as u16) << 8);
        for run in [&self.full[..], &self.lead, numbers, names] {
            out.extend_from_slice(&run[..cut(run)]);
        }
    }

    /// Appends the compact form the store's memory holds (see [`SigRef::pack_compact`]).
    pub fn pack_compact(&self, out: &mut Vec<u16>) {
        self.view().pack_compact(out);
    }
}

impl<'a> SigRef<'a> {
    /// The numbers and names as both packed forms hold them: at most 255 numbers (a
    /// length byte), and the names only when they are whole (a signature made before them
    /// has none).
    fn packed_runs(&self) -> (&'a [u16], &'a [u16]) {
        let numbers = &self.numbers[..self.numbers.len().min(u8::MAX as usize)];
        let names = if self.names.len() == NAME_WORDS {
            self.names
        } else {
            &[]
        };
        (numbers, names)
    }

    /// Reads one signature in the record form ([`Signature::pack`]) from the front of
    /// `words`; returns it and the rest. None when the words end too early (a damaged
    /// record).
    pub fn unpack(words: &'a [u16]) -> Option<(SigRef<'a>, &'a [u16])> {
        let (head, rest) = words.split_at_checked(5)?;
        let (full, rest) = rest.split_at_checked(usize::from(head[2]))?;
        let (lead, rest) = rest.split_at_checked(usize::from(head[3]))?;
        let (numbers, rest) = rest.split_at_checked(usize::from(head[4] & 0xff))?;
        // Zero in a signature packed before names existed.
        let (names, rest) = rest.split_at_checked(usize::from(head[4] >> 8))?;
        let sig = SigRef {
            shingles: u32::from(head[0]) | u32::from(head[1]) << 16,
            full: Sketch::Wide(full),
            lead,
            numbers,
            names,
        };
        Some((sig, rest))
    }

    /// Appends the compact form, what the store holds in memory for every copy of every
    /// story: a header of three words (shingles, saturating at 65,535; the lead's length;
    /// the full sketch's length in the low 7 bits, whether there are names in bit 7 and
    /// the numbers' length in the high byte), then the full sketch narrowed ([`narrow`]) to
    /// two values a word and the lead, numbers and names as in the record form. The
    /// comparisons and band keys read the same 8 bits from either form, so a signature
    /// decides alike in both (the record form's five-word header cost 4 bytes more a copy,
    /// 5.5 MiB at a million stories).
    ///
    /// Lengths a computed signature never has are cut to what the header holds: a full
    /// sketch of at most 127 values (it has [`SLOTS`]), 255 numbers (at most
    /// [`MAX_NUMBERS`]).
    pub fn pack_compact(&self, out: &mut Vec<u16>) {
        let full_len = self.full.len().min(0x7f);
        let lead = &self.lead[..self.lead.len().min(u16::MAX as usize)];
        let (numbers, names) = self.packed_runs();
        out.push(self.shingles.min(u32::from(u16::MAX)) as u16);
        out.push(lead.len() as u16);
        out.push(full_len as u16 | u16::from(!names.is_empty()) << 7 | (numbers.len() as u16) << 8);
        for i in (0..full_len).step_by(2) {
            let high = if i + 1 < full_len {
                self.full.get(i + 1)
            } else {
                0
            };
            out.push(u16::from(self.full.get(i)) | u16::from(high) << 8);
        }
        for run in [lead, numbers, names] {
            out.extend_from_slice(run);
        }
    }

    /// Reads one signature in the compact form ([`SigRef::pack_compact`]) from the front of
    /// `words`; returns it and the rest. None when the words end too early.
    pub fn unpack_compact(words: &'a [u16]) -> Option<(SigRef<'a>, &'a [u16])> {
        let (head, rest) = words.split_at_checked(3)?;
        let full_len = usize::from(head[2] & 0x7f);
        let names_len = if head[2] & 0x80 != 0 { NAME_WORDS } else { 0 };
        let (full, rest) = rest.split_at_checked(full_len.div_ceil(2))?;
        let (lead, rest) = rest.split_at_checked(usize::from(head[1]))?;
        let (numbers, rest) = rest.split_at_checked(usize::from(head[2] >> 8))?;
        let (names, rest) = rest.split_at_checked(names_len)?;
        let sig = SigRef {
            shingles: u32::from(head[0]),
            full: Sketch::Narrow {
                words: full,
                len: full_len,
            },
            lead,
            numbers,
            names,
        };
        Some((sig, rest))
    }

    /// The signature as computed, from the record form only: the compact form has lost
    /// the full sketch's upper bits. None for a compact one.
    pub fn to_signature(self) -> Option<Signature> {
        let Sketch::Wide(full) = self.full else {
            return None;
        };
        Some(Signature {
            shingles: self.shingles,
            full: full.to_vec(),
            lead: self.lead.to_vec(),
            numbers: self.numbers.to_vec(),
            names: self.names.to_vec(),
        })
    }
}

/// When two signatures are the same story.
#[derive(Debug, Clone, PartialEq)]
pub struct NearDupConfig {
    /// Minimum [`full_similarity`] (estimated Jaccard of all shingles) to merge.
    pub threshold: f64,
    /// Minimum [`lead_containment`] to merge a shortened copy (teaser, first paragraph,
    /// truncated text) with its story.
    pub lead_threshold: f64,
    /// Minimum [`containment`] (estimated share of the smaller story's shingles found in
    /// the larger) to merge a copy with paragraphs cut.
    pub containment_threshold: f64,
    /// Stories with fewer shingles than this (a bare title) are never near duplicates.
    pub min_shingles: u32,
}

impl Default for NearDupConfig {
    /// Thresholds from `tests/dedup_eval.rs` (see the numbers printed there).
    fn default() -> Self {
        NearDupConfig {
            threshold: 0.7,
            lead_threshold: 0.85,
            containment_threshold: 0.9,
            min_shingles: 8,
        }
    }
}

impl NearDupConfig {
    /// Each threshold a tenth lower: whether two full copies that one teaser both matches
    /// agree enough to be cuts of one story (the first paragraphs of a story and the story
    /// with its second paragraph dropped keep most of each other; two template stories
    /// with one opening differ further down). Numbers must still not conflict.
    pub fn loosened(&self) -> NearDupConfig {
        NearDupConfig {
            threshold: self.threshold - 0.1,
            lead_threshold: self.lead_threshold - 0.1,
            containment_threshold: self.containment_threshold - 0.1,
            min_shingles: self.min_shingles,
        }
    }
}

/// The near-duplicate signature of a story from its plain-text title and text.
pub fn signature(title: &str, text: &str) -> Signature {
    let mut words: Vec<u64> = Vec::with_capacity(text.len() / 5 + 16);
    let title = strip_unnamed_site(title);
    let mut numbers = push_words(title, &mut words);
    let mut title_names = NameWords::default();
    title_names.push_line(title, false);
    // German copy capitalises about one word in four, some eight bytes with its space:
    // reserved once instead of grown word by word.
    let mut text_names = NameWords {
        words: Vec::with_capacity(text.len() / 32),
        ..NameWords::default()
    };
    let title_words = words.len();
    let mut cut = false;
    for line in text.lines() {
        let Some(line) = story_part(line) else {
            continue;
        };
        let line = line.as_ref();
        let line_cut = is_cut(line);
        if !line.trim().is_empty() {
            cut = line_cut;
        }
        let story = strip_dateline(line);
        text_names.push_line(story, true);
        let mut line_numbers = push_words(story, &mut words);
        // A text cut off mid-number ("2,5 Milliarden" → "2,…") ends in a number that is
        // not in the full story; a cut line's last word says nothing.
        if line_cut
            && line_numbers
                .last()
                .is_some_and(|(i, _)| i + 1 == words.len())
        {
            line_numbers.pop();
        }
        numbers.extend(line_numbers);
    }
    let mut numbers: Vec<u16> = numbers.into_iter().map(|(_, n)| n as u16).collect();
    numbers.sort_unstable();
    numbers.dedup();
    numbers.truncate(MAX_NUMBERS);
    let lead_words = words.len().min(title_words + LEAD_WORDS);
    let shingles = shingle_count(words.len());
    let lead_shingles = shingle_count(lead_words);

    let mut full = [u32::MAX; SLOTS];
    let mut lead: Vec<u16> = Vec::with_capacity(lead_shingles);
    if words.len() < SHINGLE {
        if !words.is_empty() {
            let h = shingle_hash(&words);
            minhash_update(&mut full, h);
            lead.push((h >> 48) as u16);
        }
    } else {
        for (i, w) in words.windows(SHINGLE).enumerate() {
            let h = shingle_hash(w);
            minhash_update(&mut full, h);
            if i < lead_shingles {
                lead.push((h >> 48) as u16);
            }
        }
    }
    lead.sort_unstable();
    lead.dedup();
    Signature {
        shingles: shingles as u32,
        full: full.iter().map(|&v| (v >> 16) as u16).collect(),
        lead,
        numbers,
        names: names(&title_names, &text_names, cut),
    }
}

/// [`Signature::names`] from the title's and the text's [`NameWords`]: the filter (4 words),
/// then the when bits (25), the number of title names (3), their filter positions (6 bits
/// each) and whether the text stops mid-sentence (the top bit), low bits first.
fn names(title: &NameWords, text: &NameWords, cut: bool) -> Vec<u16> {
    let position = |h: u64| (mix64(h) >> 58) as u32;
    let mut filter = 0u64;
    for &(h, _) in title.words.iter().chain(&text.words) {
        filter |= 1 << position(h);
    }
    let mut keys: Vec<u32> = Vec::with_capacity(MAX_KEYS);
    for &(h, _) in &title.words {
        let p = position(h);
        if keys.len() < MAX_KEYS
            && !keys.contains(&p)
            && text.words.iter().any(|&(t, inside)| inside && t == h)
        {
            keys.push(p);
        }
    }
    let mut meta = u64::from(text.when) | (keys.len() as u64) << 25;
    if cut {
        meta |= CUT_BIT;
    }
    for (i, p) in keys.iter().enumerate() {
        meta |= u64::from(*p) << (28 + 6 * i);
    }
    [filter, meta]
        .iter()
        .flat_map(|v| (0..4).map(move |i| (v >> (16 * i)) as u16))
        .collect()
}

/// Whether the story's text stops mid-sentence (a truncated teaser, "…", "[…]"): it may have
/// lost numbers and names that the full story has after the cut. False for a signature
/// stored before names.
pub fn is_cut_text(sig: SigRef<'_>) -> bool {
    sig.names.len() == NAME_WORDS && sig.names[NAME_WORDS - 1] & 0x8000 != 0
}

/// The parts of [`Signature::names`]: (filter, when bits, title name positions); None for
/// a signature without them.
fn read_names(names: &[u16]) -> Option<(u64, u32, impl Iterator<Item = u32>)> {
    if names.len() != NAME_WORDS {
        return None;
    }
    let word = |at: usize| {
        names[at..at + 4]
            .iter()
            .rev()
            .fold(0u64, |v, &w| v << 16 | u64::from(w))
    };
    let (filter, meta) = (word(0), word(4));
    let keys = ((meta >> 25) & 7).min(MAX_KEYS as u64) as u32;
    let positions = (0..keys).map(move |i| ((meta >> (28 + 6 * i)) & 63) as u32);
    Some((filter, (meta & ((1 << 25) - 1)) as u32, positions))
}

fn shingle_count(words: usize) -> usize {
    match words {
        0 => 0,
        n if n < SHINGLE => 1,
        n => n - SHINGLE + 1,
    }
}

/// How a signature is cut into LSH band keys: `full_bands` bands of `full_rows` MinHash
/// values of all shingles, and `lead_bands` bands of `lead_rows` values of a MinHash
/// sketch of the lead set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Layout {
    pub full_bands: usize,
    pub full_rows: usize,
    pub lead_bands: usize,
    pub lead_rows: usize,
}

/// The layout the store indexes by, chosen from candidate rates measured on the newsroom
/// corpus (`cargo bench --bench store`, "layouts"): long rows keep stories that share only
/// agency formulas apart; the store's cap on stories per band key (see `bands`) keeps
/// template families from piling up in one key. The lead rows are two: a teaser of a dozen
/// shingles holds about a third of its story's lead set, and in rows of three one such
/// teaser in ten shared no band with its story. Fourteen lead bands of two: evaluation
/// recall (tuning set, worst order) 0.966 in sixteen bands of three, 0.971 in twelve of two
/// (as many candidates as sixteen of three), 0.973 in fourteen, 0.976 in sixteen of two (a
/// quarter more candidates than sixteen of three).
pub const LAYOUT: Layout = Layout {
    full_bands: 10,
    full_rows: 4,
    lead_bands: 14,
    lead_rows: 2,
};

/// LSH band keys under [`LAYOUT`]: two near duplicates share at least one key with high
/// probability.
pub fn band_keys(sig: SigRef<'_>) -> Vec<u64> {
    band_keys_with(sig, &LAYOUT)
}

/// LSH band keys under any layout (the benchmark compares layouts with it). An empty story
/// has no keys. Keys of different bands never collide by design (the band number is hashed
/// in).
pub fn band_keys_with(sig: SigRef<'_>, layout: &Layout) -> Vec<u64> {
    let mut keys = Vec::with_capacity(layout.full_bands + layout.lead_bands);
    if sig.shingles == 0 || sig.full.len() < layout.full_bands * layout.full_rows {
        return keys;
    }
    // Only the slots the lead bands use: the store computes these keys for every record
    // it loads at open.
    let used = (layout.lead_bands * layout.lead_rows).min(SLOTS);
    let mut lead = [u32::MAX; SLOTS];
    for &h in sig.lead {
        minhash_update_first(&mut lead[..used], mix64(u64::from(h)));
    }
    let lead: Vec<u16> = lead[..used].iter().map(|&v| (v >> 16) as u16).collect();
    // The full sketch's bands read its narrowed values, as the comparisons do, so the keys
    // are the same from a computed signature and from the store's compact copy of it.
    let full: Vec<u16> = sig
        .full
        .iter()
        .take(layout.full_bands * layout.full_rows)
        .map(u16::from)
        .collect();
    let sketches: [(&[u16], usize, usize, u64); 2] = [
        (&full, layout.full_bands, layout.full_rows, 0x100),
        (&lead, layout.lead_bands, layout.lead_rows, 0x200),
    ];
    for (sketch, bands, rows, tag) in sketches {
        if rows == 0 {
            continue;
        }
        for (band, values) in sketch.chunks_exact(rows).take(bands).enumerate() {
            let mut h = mix64(tag + band as u64);
            for &v in values {
                h = mix64(h ^ u64::from(v));
            }
            keys.push(h);
        }
    }
    keys
}

/// Estimated Jaccard similarity of all shingles (MinHash agreement), 0.0 to 1.0.
///
/// Signatures of another layout (a corrupt record) compare as 0.0.
pub fn full_similarity(a: &Signature, b: &Signature) -> f64 {
    agreement(a.view().full, b.view().full).unwrap_or(0.0)
}

/// Share of the smaller lead's shingles found in the other lead (exact), 0.0 to 1.0.
pub fn lead_containment(a: &Signature, b: &Signature) -> f64 {
    lead_containment_of(a.view(), b.view())
}

fn lead_containment_of(a: SigRef<'_>, b: SigRef<'_>) -> f64 {
    let small = a.lead.len().min(b.lead.len());
    if small == 0 {
        return 0.0;
    }
    let (mut i, mut j, mut common) = (0, 0, 0usize);
    while i < a.lead.len() && j < b.lead.len() {
        match a.lead[i].cmp(&b.lead[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                common += 1;
                i += 1;
                j += 1;
            }
        }
    }
    common as f64 / small as f64
}

/// Estimated share of the smaller story's shingles that the larger one has, from the
/// MinHash Jaccard estimate and the two sizes: |A∩B| = J(|A|+|B|)/(1+J). A copy with a
/// paragraph cut is contained in its original although their Jaccard is lower.
pub fn containment(a: &Signature, b: &Signature) -> f64 {
    containment_of(a.view(), b.view())
}

fn containment_of(a: SigRef<'_>, b: SigRef<'_>) -> f64 {
    let Some(j) = agreement(a.full, b.full) else {
        return 0.0;
    };
    let (sa, sb) = (f64::from(a.shingles), f64::from(b.shingles));
    let small = sa.min(sb);
    if small == 0.0 {
        return 0.0;
    }
    (j * (sa + sb) / ((1.0 + j) * small)).min(1.0)
}

/// How alike two stories are, 0.0 to 1.0: the largest of [`full_similarity`],
/// [`lead_containment`] and [`containment`].
///
/// Signatures of another layout (a corrupt record) compare as 0.0.
pub fn similarity(a: &Signature, b: &Signature) -> f64 {
    match agreement(a.view().full, b.view().full) {
        Some(full) => full.max(lead_containment(a, b)).max(containment(a, b)),
        None => 0.0,
    }
}

/// Whether `a` and `b` are the same story under `cfg` (see [`is_near_duplicate_ref`]).
pub fn is_near_duplicate(a: &Signature, b: &Signature, cfg: &NearDupConfig) -> bool {
    is_near_duplicate_ref(a.view(), b.view(), cfg)
}

/// Whether `a` and `b` are the same story under `cfg` (see [`evidence_ref`]).
pub fn is_near_duplicate_ref(a: SigRef<'_>, b: SigRef<'_>, cfg: &NearDupConfig) -> bool {
    evidence_ref(a, b, cfg).is_some()
}

/// What a near-duplicate verdict rests on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Evidence {
    /// Only the leads agree: one is a teaser, first paragraph or truncation of the other,
    /// or of another story that opens with the same words.
    Lead,
    /// The whole texts agree: full Jaccard, or one contains most of the other.
    Full,
}

/// Whether `a` and `b` are the same story under `cfg`, and on what evidence (see
/// [`evidence_ref`]).
pub fn evidence(a: &Signature, b: &Signature, cfg: &NearDupConfig) -> Option<Evidence> {
    evidence_ref(a.view(), b.view(), cfg)
}

/// Whether `a` and `b` are the same story under `cfg`, and on what evidence.
///
/// Both must have `min_shingles`; their number words must not conflict
/// ([`numbers_conflict`]); then the full Jaccard estimate reaches `threshold` or the
/// estimated containment of the smaller story in the larger reaches `containment_threshold`
/// (when the smaller has at least half of the larger's shingles: below that the estimate is
/// too noisy, and the lead decides): [`Evidence::Full`]; or else the lead containment
/// reaches `lead_threshold`: [`Evidence::Lead`]. Two teasers ([`is_teaser`]) are nearly
/// all lead, so only their exact lead containment counts: [`Evidence::Lead`].
pub fn evidence_ref(a: SigRef<'_>, b: SigRef<'_>, cfg: &NearDupConfig) -> Option<Evidence> {
    if a.shingles < cfg.min_shingles || b.shingles < cfg.min_shingles {
        return None;
    }
    let full = agreement(a.full, b.full)?;
    if numbers_conflict_of(a, b) || names_conflict_of(a, b) {
        return None;
    }
    if is_teaser(a) && is_teaser(b) {
        // Both are (nearly) all lead: their exact lead sets say more than the MinHash
        // estimates, which stray by a tenth on a few dozen shingles.
        return (lead_containment_of(a, b) >= cfg.lead_threshold).then_some(Evidence::Lead);
    }
    if full >= cfg.threshold {
        return Some(Evidence::Full);
    }
    // A cut copy keeps most of the story: at least half its shingles, and a Jaccard of its
    // own. A follow-up that quotes a short story whole contains it too, but dwarfs it.
    let (small, large) = (a.shingles.min(b.shingles), a.shingles.max(b.shingles));
    if 2 * small >= large && full >= 0.4 && containment_of(a, b) >= cfg.containment_threshold {
        return Some(Evidence::Full);
    }
    (lead_containment_of(a, b) >= cfg.lead_threshold).then_some(Evidence::Lead)
}

/// Shingles past the lead that an item may carry and still count as a teaser.
const TEASER_EXTRA: u32 = 5;

/// Whether the item is a teaser: its lead is (nearly) all it has, title and a first
/// sentence or two. Such an item can only be compared by its lead, and one lead can open
/// several stories (weather warnings, results, market reports share their first sentence
/// and differ in places and numbers further down), so a teaser's match says which story it
/// may belong to, never that two stories are one.
pub fn is_teaser(sig: SigRef<'_>) -> bool {
    sig.shingles <= sig.lead.len() as u32 + TEASER_EXTRA
}

/// How closely `item` resembles `copy`, for choosing among stories that a teaser matches:
/// lead containment plus the full Jaccard estimate (0.0 to 2.0). It depends on the two
/// signatures only, never on which arrived first.
pub fn resemblance(item: SigRef<'_>, copy: SigRef<'_>) -> f64 {
    lead_containment_of(item, copy) + agreement(item.full, copy.full).unwrap_or(0.0)
}

/// Whether each story has a number word (place code "A7", count, amount) that the other
/// lacks: two accident reports from one template differ there, while a copy only drops
/// numbers when it is shortened and never invents one.
pub fn numbers_conflict(a: &Signature, b: &Signature) -> bool {
    numbers_conflict_of(a.view(), b.view())
}

fn numbers_conflict_of(a: SigRef<'_>, b: SigRef<'_>) -> bool {
    // A capped list may miss numbers the story has; then no verdict.
    if a.numbers.len() >= MAX_NUMBERS || b.numbers.len() >= MAX_NUMBERS {
        return false;
    }
    number_sets_conflict(a.numbers, b.numbers)
}

/// Whether two stories contradict each other in their numbers ([`numbers_conflict`]) or in
/// when and who ([`names_conflict`]): however alike their wording, they report two events.
pub(super) fn conflict_ref(a: SigRef<'_>, b: SigRef<'_>) -> bool {
    numbers_conflict_of(a, b) || names_conflict_of(a, b)
}

/// Whether each story says when or who in a word the other lacks: a weekday, month or time
/// of day of the same kind ("am Montag" / "am Dienstag", "am Abend" / "am Vormittag"), or a
/// name from its title that the other does not have anywhere ("Sturm an der Mosel" /
/// "Sturm im Sauerland"). Two template stories differ there; a copy keeps these words or
/// drops them with a cut, and the title's names of a copy are in its story's text. A
/// republisher's additions (site name, dateline, byline) are in one title or one text only,
/// so they are no title names.
pub fn names_conflict(a: &Signature, b: &Signature) -> bool {
    names_conflict_of(a.view(), b.view())
}

fn names_conflict_of(a: SigRef<'_>, b: SigRef<'_>) -> bool {
    let (Some((filter_a, when_a, keys_a)), Some((filter_b, when_b, keys_b))) =
        (read_names(a.names), read_names(b.names))
    else {
        return false;
    };
    let when = WHEN_BITS.iter().any(|&(at, n)| {
        let kind = ((1u32 << n) - 1) << at;
        when_a & !when_b & kind != 0 && when_b & !when_a & kind != 0
    });
    let mut keys_a = keys_a;
    let mut keys_b = keys_b;
    when || (keys_a.any(|p| filter_b & 1 << p == 0) && keys_b.any(|p| filter_a & 1 << p == 0))
}

/// Whether each of two sorted, complete sets of number hashes has one the other lacks.
fn number_sets_conflict(a: &[u16], b: &[u16]) -> bool {
    let subset = |x: &[u16], y: &[u16]| x.iter().all(|n| y.binary_search(n).is_ok());
    !subset(a, b) && !subset(b, a)
}

/// The chance that two narrowed MinHash values of different minima agree (see [`Sketch`]).
const CHANCE: f64 = 1.0 / 256.0;

/// The Jaccard estimate from the share of MinHash slots whose narrowed values agree,
/// corrected for the agreements by chance: (agree − 1/256) / (1 − 1/256), at least 0. None
/// for mismatched layouts.
fn agreement(a: Sketch<'_>, b: Sketch<'_>) -> Option<f64> {
    if a.len() != b.len() || a.is_empty() {
        return None;
    }
    let same = match (a, b) {
        // Both from memory (every candidate's copies against each other): a word holds two
        // values, and an xor's zero bytes count them.
        (Sketch::Narrow { words: x, .. }, Sketch::Narrow { words: y, .. }) => {
            x
            .iter()
            .zip(y)
            .map(|(p, q)| {
                let d = p ^ q;
                usize::from(d & 0xff == 0) + usize::from(d >> 8 == 0)
            })
            .sum::<usize>()
            // An odd length's unused high byte is 0 in both.
            - (a.len() % 2)
        }
        _ => a.iter().zip(b.iter()).filter(|(x, y)| x == y).count(),
    };
    let agree = same as f64 / a.len() as f64;
    Some(((agree - CHANCE) / (1.0 - CHANCE)).max(0.0))
}

/// One 64-bit hash per shingle (order-sensitive).
fn shingle_hash(words: &[u64]) -> u64 {
    let mut h = 0x9e37_79b9_7f4a_7c15u64;
    for &w in words {
        h = mix64(h.wrapping_mul(0xff51_afd7_ed55_8ccd) ^ w);
    }
    h
}

/// The k MinHash values of one shingle: xor with the slot's seed, multiply by the slot's odd
/// constant, keep the high 32 bits (multiply-shift hashing). A 32-bit variant
/// (`(a * x + b) >> 32` on the folded hash) vectorizes better but overestimated Jaccard
/// enough to cost 4 points of precision in the evaluation.
#[inline]
fn minhash_update(sketch: &mut [u32; SLOTS], h: u64) {
    for ((slot, seed), mul) in sketch.iter_mut().zip(&SEEDS).zip(&MULS) {
        let v = ((h ^ seed).wrapping_mul(*mul) >> 32) as u32;
        // Branch-free: about twice as fast as a conditional store.
        *slot = (*slot).min(v);
    }
}

/// [`minhash_update`] of the first `sketch.len()` slots only.
fn minhash_update_first(sketch: &mut [u32], h: u64) {
    for ((slot, seed), mul) in sketch.iter_mut().zip(&SEEDS).zip(&MULS) {
        let v = ((h ^ seed).wrapping_mul(*mul) >> 32) as u32;
        *slot = (*slot).min(v);
    }
}

const fn slot_constants(salt: u64, odd: bool) -> [u64; SLOTS] {
    let mut out = [0u64; SLOTS];
    let mut i = 0;
    while i < SLOTS {
        let v = mix64(salt.wrapping_add((i as u64 + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15)));
        out[i] = if odd { v | 1 } else { v };
        i += 1;
    }
    out
}

// Fixed constants: signatures are stored, so they must not change between runs or builds.
const SEEDS: [u64; SLOTS] = slot_constants(0x005e_ed0f_d0c5, false);
const MULS: [u64; SLOTS] = slot_constants(0x0_ddc0_ffee, true);

#[cfg(test)]
mod tests {
    use super::*;

    const STORY: &str = "Der Bundesrat hat am Freitag die umstrittene Pflegereform gebilligt. \
        Die Länderkammer stimmte mit großer Mehrheit für das Gesetz, das Pflegekräften \
        höhere Löhne und Angehörigen mehr Entlastung verspricht.\n\
        Gesundheitsministerin Petra Beispiel sprach von einem guten Tag für alle Pflegenden. \
        Die Opposition kritisierte, die Finanzierung sei nicht gesichert. \
        Die Reform soll zum 1. Juli in Kraft treten und kostet nach Angaben des Ministeriums \
        rund 2,5 Milliarden Euro im Jahr.";

    #[test]
    fn near_duplicates_merge_after_republishing_edits() {
        let cfg = NearDupConfig::default();
        let base = signature("Bundesrat billigt Pflegereform", STORY);
        let site = signature(
            "Bundesrat billigt Pflegereform | Stadtanzeiger",
            &format!("Von Anna Beispiel\nBerlin (AFP) - {STORY}\n© dpa-infocom"),
        );
        let lead = signature(
            "Bundesrat billigt Pflegereform - Kurier",
            STORY.split('\n').next().unwrap_or_default(),
        );
        for (name, other) in [("site+byline", &site), ("lead", &lead)] {
            assert!(
                is_near_duplicate(&base, other, &cfg),
                "{name}: similarity {}",
                similarity(&base, other)
            );
            let shared = band_keys(base.view())
                .into_iter()
                .filter(|k| band_keys(other.view()).contains(k))
                .count();
            assert!(shared > 0, "{name}: no shared band key");
        }
    }

    #[test]
    fn template_stories_with_other_places_stay_apart() {
        let cfg = NearDupConfig::default();
        let a = signature(
            "Polizei meldet Unfall auf der A7",
            "Auf der A7 bei Hamburg ist am Freitagmorgen ein Lastwagen mit einem Auto \
             zusammengestoßen. Zwei Menschen wurden leicht verletzt, wie die Polizei \
             mitteilte. Die Autobahn war in Richtung Norden drei Stunden gesperrt.",
        );
        let b = signature(
            "Polizei meldet Unfall auf der A1",
            "Auf der A1 bei Bremen ist am Freitagmorgen ein Lastwagen mit einem Auto \
             zusammengestoßen. Vier Menschen wurden leicht verletzt, wie die Polizei \
             mitteilte. Die Autobahn war in Richtung Süden zwei Stunden gesperrt.",
        );
        assert!(!is_near_duplicate(&a, &b, &cfg), "{}", similarity(&a, &b));
    }

    #[test]
    fn numbers_tell_template_teasers_apart_but_not_shortened_copies() {
        let cfg = NearDupConfig::default();
        let a7 = signature(
            "Unfall auf der A7",
            "Auf der A7 bei Hamburg sind am Abend zwei Autos zusammengestoßen. \
             Drei Menschen wurden verletzt, wie die Polizei mitteilte.",
        );
        let a1 = signature(
            "Unfall auf der A1",
            "Auf der A1 bei Hamburg sind am Abend zwei Autos zusammengestoßen. \
             Drei Menschen wurden verletzt, wie die Polizei mitteilte.",
        );
        assert!(numbers_conflict(&a7, &a1));
        assert!(!is_near_duplicate(&a7, &a1, &cfg));
        // A teaser cut inside "2,5 Milliarden" keeps a stray "2" that is no conflict.
        let end = STORY.find("2,5").map_or(STORY.len(), |i| i + 2);
        let cut = signature(
            "Bundesrat billigt Pflegereform",
            &format!("{}…", &STORY[..end]),
        );
        let base = signature("Bundesrat billigt Pflegereform", STORY);
        assert!(!numbers_conflict(&cut, &base));
        assert!(
            is_near_duplicate(&cut, &base, &cfg),
            "{}",
            similarity(&cut, &base)
        );
        assert!(is_cut("Die Reform kostet rund 2,…"));
        assert!(!is_cut("Die Reform kostet Geld. (AFP)"));
    }

    /// A weather warning of a template family: the same sentences for every district and
    /// day, numbers included, so that only when and where tell two of them apart.
    fn warning(district: &str, day: &str) -> (String, String) {
        (
            format!("Unwetterwarnung für den Landkreis {district}"),
            format!(
                "Der Wetterdienst hat am {day} für den Landkreis {district} eine \
                 Unwetterwarnung herausgegeben. Erwartet werden Sturmböen und Starkregen.\n\
                 Die Behörden raten, Aufenthalte im Freien zu vermeiden.\n\
                 Die Feuerwehr ist mit allen Wachen in Bereitschaft, wie ein Sprecher der \
                 Kreisverwaltung sagte. Schulen und Kindergärten bleiben geöffnet, \
                 Veranstaltungen im Freien wurden abgesagt. Wer einen Keller hat, soll \
                 Pumpen bereithalten."
            ),
        )
    }

    fn without_names(sig: &Signature) -> Signature {
        Signature {
            names: Vec::new(),
            ..sig.clone()
        }
    }

    #[test]
    fn template_stories_with_another_day_or_place_stay_apart() {
        let cfg = NearDupConfig::default();
        let sig = |(title, text): (String, String)| signature(&title, &text);
        let monday = sig(warning("Oberau", "Montag"));
        for (what, other) in [
            ("another weekday", sig(warning("Oberau", "Dienstag"))),
            ("another district", sig(warning("Niederbach", "Montag"))),
        ] {
            // The wording alone would make them one story; the names tell them apart.
            assert!(
                is_near_duplicate(&without_names(&monday), &without_names(&other), &cfg),
                "{what}: {}",
                similarity(&monday, &other)
            );
            assert!(names_conflict(&monday, &other), "{what}");
            assert!(!is_near_duplicate(&monday, &other, &cfg), "{what}");
        }
        let evening = signature(
            "Polizei meldet Unfall",
            "Auf der Landstraße sind am Abend zwei Autos zusammengestoßen. Zwei Menschen \
             wurden leicht verletzt, wie die Polizei mitteilte. Die Straße war gesperrt.",
        );
        let morning = signature(
            "Polizei meldet Unfall",
            "Auf der Landstraße sind am Vormittag zwei Autos zusammengestoßen. Zwei Menschen \
             wurden leicht verletzt, wie die Polizei mitteilte. Die Straße war gesperrt.",
        );
        assert!(names_conflict(&evening, &morning), "another time of day");
    }

    #[test]
    fn republished_copies_keep_their_names() {
        let cfg = NearDupConfig::default();
        let (title, text) = warning("Oberau", "Montag");
        let base = signature(&title, &text);
        let paragraphs: Vec<&str> = text.split('\n').collect();
        let first = paragraphs[0];
        let copies = [
            ("site name", format!("{title} | Kreiskurier"), text.clone()),
            (
                "agency dateline",
                title.clone(),
                format!("Kiel (dpa) - {text}"),
            ),
            ("dateline", title.clone(), format!("HAMBURG. {text}")),
            (
                "dateline with dash",
                title.clone(),
                format!("Bremen - {text}"),
            ),
            (
                "byline",
                title.clone(),
                format!("Von Anna Beispiel, Kiel\n{text}"),
            ),
            (
                "credit",
                title.clone(),
                format!("{text}\nAnna Beispiel / dpa"),
            ),
            (
                "weekday made precise",
                title.clone(),
                text.replace("am Montag", "am Montagabend"),
            ),
            (
                "teaser",
                format!("{title} - Kreiskurier"),
                first.to_string(),
            ),
            (
                "teaser from another dateline",
                title.clone(),
                format!("Kiel (AFP) - {first}"),
            ),
            (
                "paragraph dropped",
                title.clone(),
                format!("{first}\n{}", paragraphs[2]),
            ),
            (
                "typo fixed",
                title.clone(),
                text.replace("Sturmböen", "Sturmbböen"),
            ),
        ];
        for (what, title, text) in copies {
            let copy = signature(&title, &text);
            assert!(!names_conflict(&base, &copy), "{what}: {text}");
            assert!(
                is_near_duplicate(&base, &copy, &cfg),
                "{what}: similarity {}",
                similarity(&base, &copy)
            );
        }
    }

    #[test]
    fn signatures_stored_without_names_still_read_and_never_conflict() {
        let (title, text) = warning("Oberau", "Montag");
        let new = signature(&title, &text);
        assert_eq!(new.names.len(), NAME_WORDS);
        let mut words = Vec::new();
        new.pack(&mut words);
        let (back, rest) = SigRef::unpack(&words).expect("unpacks");
        assert!(rest.is_empty());
        assert_eq!(back.to_signature().as_ref(), Some(&new));
        // The compact form the store's memory holds keeps the names too.
        let mut compact = Vec::new();
        new.pack_compact(&mut compact);
        let (back, rest) = SigRef::unpack_compact(&compact).expect("unpacks");
        assert!(rest.is_empty());
        assert_eq!(back.names, &new.names[..]);
        // Three words of header, the full sketch two values a word, the runs as they are.
        let runs = new.lead.len() + new.numbers.len() + NAME_WORDS;
        assert_eq!(compact.len(), 3 + SLOTS / 2 + runs);
        // A story of more shingles than a word counts reads as the most it can say.
        let long = Signature {
            shingles: 100_000,
            ..new.clone()
        };
        let mut compact = Vec::new();
        long.pack_compact(&mut compact);
        let (back, _) = SigRef::unpack_compact(&compact).expect("unpacks");
        assert_eq!(back.shingles, u32::from(u16::MAX));
        assert_eq!(back.lead, &long.lead[..]);
        // Packed before names existed: the high byte of the fifth word is zero.
        let (title, text) = warning("Oberau", "Dienstag");
        let old = without_names(&signature(&title, &text));
        let mut words = Vec::new();
        old.pack(&mut words);
        assert_eq!(words[4] >> 8, 0);
        let (back, _) = SigRef::unpack(&words).expect("unpacks");
        assert!(back.names.is_empty());
        assert!(!names_conflict_of(new.view(), back));
        assert!(is_near_duplicate(&new, &old, &NearDupConfig::default()));
    }

    #[test]
    fn bare_titles_and_empty_stories_never_near_duplicate() {
        let cfg = NearDupConfig::default();
        let a = signature("Polizei meldet Unfall", "");
        assert!(!is_near_duplicate(&a, &a.clone(), &cfg));
        let e = signature("", "");
        assert_eq!(e.shingles, 0);
        assert!(band_keys(e.view()).is_empty());
        assert!(!is_near_duplicate(&e, &e.clone(), &cfg));
    }

    #[test]
    fn corrupt_signatures_compare_as_unrelated() {
        let a = signature("Bundesrat billigt Pflegereform", STORY);
        let mut b = a.clone();
        b.full.truncate(10);
        assert_eq!(similarity(&a, &b), 0.0);
        assert!(!is_near_duplicate(&a, &b, &NearDupConfig::default()));
        assert!(band_keys(b.view()).is_empty());
    }

    #[test]
    fn signature_survives_serde_round_trip() {
        let a = signature("Bundesrat billigt Pflegereform", STORY);
        let json = serde_json::to_string(&a).expect("serialize");
        let back: Signature = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(a, back);
        assert_eq!(a.full.len(), SLOTS);
    }

    #[test]
    fn minhash_estimates_jaccard() {
        // Two word lists with a known shingle overlap: 200 shared, 100 own each → J = 0.5.
        let shared: Vec<String> = (0..202).map(|i| format!("wort{i}")).collect();
        let a = format!(
            "{} {}",
            shared.join(" "),
            (0..100)
                .map(|i| format!("a{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let b = format!(
            "{} {}",
            shared.join(" "),
            (0..100)
                .map(|i| format!("b{i}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
        let (sa, sb) = (signature("", &a), signature("", &b));
        let j = agreement(sa.view().full, sb.view().full).unwrap_or(0.0);
        // Exact J = 200 / (200 + 2 * 102) ≈ 0.495; 64 slots give a std. error ≈ 0.06.
        assert!((j - 0.495).abs() < 0.2, "estimate {j}");
    }

    #[test]
    fn the_compact_form_decides_and_bands_as_the_computed_signature_does() {
        let cfg = NearDupConfig::default();
        let base = signature("Bundesrat billigt Pflegereform", STORY);
        let cut = signature(
            "Bundesrat billigt Pflegereform - Kurier",
            STORY.split('\n').next().unwrap_or_default(),
        );
        let other = signature(
            "Polizei meldet Unfall auf der A7",
            "Auf der A7 bei Hamburg ist am Freitagmorgen ein Lastwagen mit einem Auto \
             zusammengestoßen. Zwei Menschen wurden leicht verletzt, wie die Polizei \
             mitteilte. Die Autobahn war in Richtung Norden drei Stunden gesperrt.",
        );
        let odd = Signature {
            shingles: 9,
            full: vec![7, 8, 9],
            lead: vec![1, 2],
            numbers: vec![3],
            names: vec![],
        };
        let sigs = [&base, &cut, &other, &odd];
        let mut words = Vec::new();
        for s in sigs {
            s.pack_compact(&mut words);
        }
        let mut rest = &words[..];
        let mut compact = Vec::new();
        while !rest.is_empty() {
            let (sig, tail) = SigRef::unpack_compact(rest).expect("unpacks");
            compact.push(sig);
            rest = tail;
        }
        assert_eq!(compact.len(), sigs.len());
        for (c, s) in compact.iter().zip(sigs) {
            assert_eq!(c.full, s.view().full, "the same narrowed values");
            assert_eq!(
                (c.shingles, c.lead, c.numbers, c.names),
                (s.shingles, &s.lead[..], &s.numbers[..], &s.names[..])
            );
            assert_eq!(band_keys(*c), band_keys(s.view()));
            assert!(c.to_signature().is_none(), "the upper bits are gone");
        }
        for (i, a) in sigs.iter().enumerate() {
            for (j, b) in sigs.iter().enumerate() {
                let wide = agreement(a.view().full, b.view().full);
                assert_eq!(agreement(compact[i].full, compact[j].full), wide);
                assert_eq!(agreement(compact[i].full, b.view().full), wide);
                assert_eq!(
                    evidence_ref(compact[i], compact[j], &cfg),
                    evidence(a, b, &cfg),
                    "{i} ~ {j}"
                );
            }
        }
        assert_eq!(agreement(compact[0].full, compact[0].full), Some(1.0));
    }

    #[test]
    fn narrowed_values_agree_by_chance_once_in_256_and_the_estimate_corrects_it() {
        // Sketches of unrelated stories: every slot's minimum differs, so only the narrowing
        // makes values agree.
        let mut chance = 0;
        let mut estimates = 0.0;
        let n = 2000;
        for k in 0..n {
            let a: Vec<u16> = (0..SLOTS as u64)
                .map(|i| mix64(k * 1000 + i) as u16)
                .collect();
            let b: Vec<u16> = a.iter().map(|v| v.wrapping_add(1)).collect();
            let same = (0..SLOTS).filter(|&i| narrow(a[i]) == narrow(b[i])).count();
            chance += same;
            estimates += agreement(Sketch::Wide(&a), Sketch::Wide(&b)).unwrap_or(1.0);
        }
        let rate = chance as f64 / (n as usize * SLOTS) as f64;
        assert!((rate - CHANCE).abs() < 0.0015, "chance agreement {rate}");
        // Clamped at 0, so the mean stays a little above it.
        let mean = estimates / n as f64;
        assert!(mean < 0.01, "mean estimate {mean}");
    }

    #[test]
    fn signature_is_deterministic() {
        assert_eq!(
            signature("Bundesrat billigt Pflegereform", STORY),
            signature("Bundesrat billigt Pflegereform", STORY)
        );
    }
}
