//! Store benchmark on a newsroom-scale corpus of invented German wire copy: the corpus'
//! properties, the cost of a new story in stores of growing size (built directly through the
//! `Store` API, no HTTP), a churn soak through a small retention window, and the peak memory
//! of one huge delivery through the real binary.
//!
//! `cargo bench --bench store` runs everything at 10,000 and 100,000 stories. Options (after
//! `--`), also read from the environment as `WIREFEED_BENCH_<NAME>` (e.g.
//! `WIREFEED_BENCH_SIZES=10000,100000,1000000`):
//!
//! - `--sizes 10000,100000,1000000`: store sizes of the scaling table (each in its own
//!   process, so peak RSS is that size's; 0: skip);
//! - `--probe 5000`: documents ingested into each built store and timed;
//! - `--soak 1000000`: stories churned through a 20,000-story retention window (0: skip);
//! - `--quality 10000,40000,150000`: the store's stories against the corpus' designed ones
//!   at these document counts, each in one store, with the copies missed by edit and the
//!   stories merged by kind (empty, the default: skip; 150,000 takes some three minutes);
//!   `WIREFEED_BENCH_EXAMPLES=1` also prints documents of the first failures;
//! - `--feeds 1`: run the one-feed memory checks (165,000 tiny items; 1,000,000 items) (0: skip);
//! - `WIREFEED_BENCH_KEEP=/dir` (environment only): keep each built store in `/dir/store-<size>`;
//! - `--sample 20000`: documents the corpus properties are computed on;
//! - `--layouts 100000`: documents the LSH layouts are compared on (0: skip);
//! - `--open /path/to/store close|drop` (internal): one `Store::open` in its own process,
//!   as the scaling table measures it after a clean close and after a crash.
//!
//! The corpus comes from `tests/support/wiregen.rs` (`newsroom`): templates with a shared
//! bank of agency formulas, events reported by several different stories, template
//! families (weather warnings, results, market reports, traffic) that differ only in places
//! and numbers, and republications with the evaluation's edits, a dropped paragraph among them.

#[path = "../tests/support/wiregen.rs"]
mod wiregen;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use std::collections::{HashMap, HashSet};
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::Instant;
use wirefeed::model::Item;
use wirefeed::store::dedup::NearDupConfig;
use wirefeed::store::{Incoming, Store, KEY_CAP};
use wiregen::{newsroom, Rng, WireDoc};

const SEED: u64 = 0x0bad_5eed_2026;
/// Items per `Store::ingest` call while building: one delivery of a busy feed.
const DELIVERY: usize = 100;

fn opt(args: &[String], name: &str, default: &str) -> String {
    if let Some(v) = args
        .iter()
        .position(|a| a == &format!("--{name}"))
        .and_then(|i| args.get(i + 1))
    {
        return v.clone();
    }
    std::env::var(format!("WIREFEED_BENCH_{}", name.to_uppercase()))
        .unwrap_or_else(|_| default.to_string())
}

fn status_kib(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

fn dir_size(path: &std::path::Path) -> u64 {
    let mut total = 0;
    if let Ok(entries) = std::fs::read_dir(path) {
        for e in entries.flatten() {
            let Ok(m) = e.metadata() else { continue };
            total += if m.is_dir() {
                dir_size(&e.path())
            } else {
                m.len()
            };
        }
    }
    total
}

/// The feed item a document arrives as: one source per 1,000 documents' worth of feeds.
/// The source and link the bench gives document `i`.
fn source_and_link(i: u64) -> (String, Option<url::Url>) {
    let source = format!("feed{}", i % 1000);
    let link = url::Url::parse(&format!("https://{source}.example/meldung/{i}")).ok();
    (source, link)
}

fn incoming(i: u64, doc: &WireDoc, date: DateTime<Utc>) -> (String, Incoming) {
    let (source, link) = source_and_link(i);
    let html: String = doc
        .text
        .split('\n')
        .map(|p| format!("<p>{p}</p>"))
        .collect();
    let item = Item {
        guid: Some(format!("{source}-{i}")),
        link,
        title: doc.title.clone(),
        content_html: Some(html),
        published: Some(date),
        ..Item::default()
    };
    (source, Incoming::new(item, None))
}

/// Ingests documents grouped by source the way a cycle delivers them; returns (new
/// stories, candidates per checked item, feed bytes).
fn ingest_all(
    store: &Store,
    docs: impl Iterator<Item = (u64, WireDoc)>,
    date: impl Fn(u64) -> DateTime<Utc>,
    mut on_delivery: impl FnMut(&Store, u64),
) -> (usize, Vec<u32>, u64) {
    let mut batch: Vec<(String, Incoming)> = Vec::with_capacity(DELIVERY);
    let mut new = 0;
    let mut candidates = Vec::new();
    let mut bytes = 0u64;
    let mut last = 0;
    let mut flush = |batch: &mut Vec<(String, Incoming)>, new: &mut usize, last: u64| {
        if batch.is_empty() {
            return;
        }
        // One call per source, as `cycle` does.
        let mut by_source: HashMap<String, Vec<Incoming>> = HashMap::new();
        for (s, inc) in batch.drain(..) {
            by_source.entry(s).or_default().push(inc);
        }
        let mut sources: Vec<_> = by_source.into_iter().collect();
        sources.sort_by(|a, b| a.0.cmp(&b.0));
        for (source, items) in sources {
            let report = store
                .ingest(&source, &[], items, date(last))
                .expect("ingest");
            *new += report.new;
            candidates.extend(report.candidates);
        }
        on_delivery(store, last);
    };
    for (i, doc) in docs {
        bytes += (doc.title.len() + doc.text.len() + 200) as u64;
        batch.push(incoming(i, &doc, date(i)));
        last = i;
        if batch.len() == DELIVERY * 10 {
            flush(&mut batch, &mut new, last);
        }
    }
    flush(&mut batch, &mut new, last);
    (new, candidates, bytes)
}

fn percentile(sorted: &[u32], p: f64) -> u32 {
    if sorted.is_empty() {
        return 0;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

/// Word 3-shingles (lower-cased letters and digits), as hashes.
fn shingles(doc: &WireDoc) -> HashSet<u64> {
    let words: Vec<String> = format!("{} {}", doc.title, doc.text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect();
    words
        .windows(3)
        .map(|w| {
            use std::hash::{Hash, Hasher};
            let mut h = std::collections::hash_map::DefaultHasher::new();
            w.hash(&mut h);
            h.finish()
        })
        .collect()
}

fn jaccard(a: &HashSet<u64>, b: &HashSet<u64>) -> f64 {
    let inter = a.intersection(b).count();
    inter as f64 / (a.len() + b.len() - inter).max(1) as f64
}

fn corpus_properties(sample: usize) {
    let docs: Vec<WireDoc> = newsroom(SEED, sample).collect();
    let sets: Vec<HashSet<u64>> = docs.iter().map(shingles).collect();
    // In how many distinct stories does each shingle occur?
    let mut stories_of: HashMap<u64, (u64, u32)> = HashMap::new();
    for (d, set) in docs.iter().zip(&sets) {
        for &s in set {
            let e = stories_of.entry(s).or_insert((d.story, 0));
            if e.1 == 0 || e.0 != d.story {
                e.1 += 1;
                e.0 = d.story;
            }
        }
    }
    let originals: Vec<usize> = (0..docs.len())
        .filter(|&i| !docs[i].kind.starts_with("copy"))
        .collect();
    let mut shares: Vec<f64> = originals
        .iter()
        .map(|&i| {
            let set = &sets[i];
            let shared = set.iter().filter(|s| stories_of[s].1 >= 2).count();
            shared as f64 / set.len().max(1) as f64
        })
        .collect();
    shares.sort_by(f64::total_cmp);
    let mean_share = shares.iter().sum::<f64>() / shares.len().max(1) as f64;
    // Random pairs of different stories within one topic.
    let mut by_topic: HashMap<u64, Vec<usize>> = HashMap::new();
    for &i in &originals {
        by_topic.entry(docs[i].topic).or_default().push(i);
    }
    let mut js: Vec<f64> = Vec::new();
    let mut template_js: Vec<f64> = Vec::new();
    for members in by_topic.values() {
        for (x, &a) in members.iter().enumerate() {
            for &b in &members[x + 1..] {
                let j = jaccard(&sets[a], &sets[b]);
                js.push(j);
                if docs[a].kind == "template" {
                    template_js.push(j);
                }
            }
        }
    }
    js.sort_by(f64::total_cmp);
    template_js.sort_by(f64::total_cmp);
    let q = |v: &[f64], p: f64| {
        if v.is_empty() {
            0.0
        } else {
            v[((v.len() - 1) as f64 * p).round() as usize]
        }
    };
    // Unrelated pairs (different topics): how much plain formula they share.
    let mut r = Rng::new(7);
    let mut unrelated: Vec<f64> = (0..20_000)
        .filter_map(|_| {
            let a = originals[r.range(0, originals.len() - 1)];
            let b = originals[r.range(0, originals.len() - 1)];
            (docs[a].topic != docs[b].topic).then(|| jaccard(&sets[a], &sets[b]))
        })
        .collect();
    unrelated.sort_by(f64::total_cmp);
    let copies = docs.len() - originals.len();
    let bytes: usize = docs.iter().map(|d| d.title.len() + d.text.len()).sum();
    println!("corpus (first {sample} documents of the stream, seed {SEED:#x}):");
    println!(
        "  {} stories, {copies} republished copies, {} topics; {:.0} bytes of text per document",
        originals.len(),
        by_topic.len(),
        bytes as f64 / docs.len() as f64
    );
    println!(
        "  share of a story's word 3-shingles that occur in some other story: mean {:.2}, median {:.2}, p10 {:.2}, p90 {:.2}  (aim ≥ 0.30)",
        mean_share,
        q(&shares, 0.5),
        q(&shares, 0.1),
        q(&shares, 0.9)
    );
    println!(
        "  3-shingle Jaccard of pairs of different stories within one topic ({} pairs): median {:.2}, p99 {:.2}; template families alone ({} pairs): median {:.2}, p99 {:.2}",
        js.len(),
        q(&js, 0.5),
        q(&js, 0.99),
        template_js.len(),
        q(&template_js, 0.5),
        q(&template_js, 0.99)
    );
    println!(
        "  unrelated pairs (other topics): median {:.3}, p99 {:.3}, max {:.3}",
        q(&unrelated, 0.5),
        q(&unrelated, 0.99),
        q(&unrelated, 1.0)
    );
}

/// Candidate rates of LSH layouts, measured on the stream without sled: every document's
/// band keys under each layout, a key capped at `KEY_CAP` stories like the store's, and per
/// layout the candidates of the last documents and how many copies meet their original.
fn layouts(docs: usize) {
    use wirefeed::store::dedup::{band_keys_with, signature, Layout};
    let candidates_of = [
        Layout {
            full_bands: 16,
            full_rows: 4,
            lead_bands: 32,
            lead_rows: 2,
        },
        Layout {
            full_bands: 16,
            full_rows: 4,
            lead_bands: 21,
            lead_rows: 3,
        },
        Layout {
            full_bands: 10,
            full_rows: 4,
            lead_bands: 16,
            lead_rows: 3,
        },
        Layout {
            full_bands: 10,
            full_rows: 4,
            lead_bands: 16,
            lead_rows: 2,
        },
        Layout {
            full_bands: 10,
            full_rows: 4,
            lead_bands: 14,
            lead_rows: 2,
        },
        Layout {
            full_bands: 10,
            full_rows: 4,
            lead_bands: 12,
            lead_rows: 2,
        },
        Layout {
            full_bands: 12,
            full_rows: 5,
            lead_bands: 16,
            lead_rows: 4,
        },
        Layout {
            full_bands: 8,
            full_rows: 6,
            lead_bands: 12,
            lead_rows: 4,
        },
    ];
    println!("
LSH layouts on the first {docs} documents (no sled; a key holds at most {} stories, as in the store):", KEY_CAP);
    println!(
        "  {:<34} | {:>22} | {:>22} | {:>12}",
        "layout", "uncapped mean/p99/max", "capped mean/p99/max", "copies found"
    );
    let stream: Vec<(WireDoc, Vec<u16>)> = newsroom(SEED, docs)
        .map(|d| {
            let sig = signature(&d.title, &d.text);
            let mut packed = Vec::new();
            sig.pack(&mut packed);
            (d, packed)
        })
        .collect();
    for layout in candidates_of {
        let mut keys_of: HashMap<u64, Vec<u64>> = HashMap::new();
        let mut saturated: HashSet<u64> = HashSet::new();
        let (mut uncapped, mut capped) = (Vec::new(), Vec::new());
        let (mut copies, mut found) = (0usize, 0usize);
        for (i, (doc, packed)) in stream.iter().enumerate() {
            let (sig, _) = wirefeed::store::dedup::SigRef::unpack(packed).expect("packed");
            let keys = band_keys_with(sig, &layout);
            let mut all: HashSet<u64> = HashSet::new();
            let mut kept: HashSet<u64> = HashSet::new();
            for k in &keys {
                if let Some(stories) = keys_of.get(k) {
                    all.extend(stories.iter().copied().filter(|&s| s != doc.story));
                    if !saturated.contains(k) {
                        kept.extend(stories.iter().copied());
                    }
                }
            }
            if doc.kind.starts_with("copy") {
                copies += 1;
                found += usize::from(kept.contains(&doc.story));
            }
            kept.remove(&doc.story);
            if i + 5000 >= stream.len() {
                uncapped.push(all.len() as u32);
                capped.push(kept.len() as u32);
            }
            for k in keys {
                let stories = keys_of.entry(k).or_default();
                if !stories.contains(&doc.story) {
                    stories.push(doc.story);
                    if stories.len() as u32 > KEY_CAP {
                        saturated.insert(k);
                    }
                }
            }
        }
        uncapped.sort_unstable();
        capped.sort_unstable();
        let mean = |v: &[u32]| v.iter().map(|&c| c as f64).sum::<f64>() / v.len().max(1) as f64;
        println!(
            "  {:>2} × {} all + {:>2} × {} lead ({:>2} keys) | {:>22} | {:>22} | {:>11.4}",
            layout.full_bands,
            layout.full_rows,
            layout.lead_bands,
            layout.lead_rows,
            layout.full_bands + layout.lead_bands,
            format!(
                "{:.1} / {} / {}",
                mean(&uncapped),
                percentile(&uncapped, 0.99),
                percentile(&uncapped, 1.0)
            ),
            format!(
                "{:.1} / {} / {}",
                mean(&capped),
                percentile(&capped, 0.99),
                percentile(&capped, 1.0)
            ),
            found as f64 / copies.max(1) as f64
        );
    }
    println!("  (candidates: other stories sharing a key with one of the last 5,000 documents; copies found: share of republished copies whose original shares an unsaturated key)");
}

/// Child process: how well the store's stories match the corpus' designed stories at scale,
/// counted over pairs of documents as `tests/dedup_eval.rs` counts them (there on a small
/// store; here a store of `total` documents, where the candidate lists are longest). Each
/// document's story is found again through its link.
fn quality(total: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("store"), NearDupConfig::default()).expect("open");
    let now = Utc::now();
    let date = move |i: u64| {
        now - ChronoDuration::seconds(2_000_000) + ChronoDuration::seconds((i / 50) as i64)
    };
    let mut designed: Vec<(u64, bool)> = Vec::with_capacity(total);
    let mut kinds: Vec<String> = Vec::with_capacity(total);
    // WIREFEED_BENCH_EXAMPLES=1 prints a few documents of each failure.
    let examples = std::env::var_os("WIREFEED_BENCH_EXAMPLES").is_some();
    let mut texts: Vec<String> = Vec::new();
    // Stories whose title and first paragraph are word for word another story's: the
    // generator's banks are finite, so a large corpus draws the same opening twice, and no
    // comparison can tell such stories from an updated copy by their opening.
    let mut openings: HashMap<String, u64> = HashMap::new();
    let docs = newsroom(SEED, total).zip(0u64..).map(|(d, i)| {
        if !d.kind.starts_with("copy") {
            let first = d.text.split('\n').next().unwrap_or_default();
            *openings.entry(format!("{}\n{first}", d.title)).or_default() += 1;
        }
        designed.push((d.story, d.kind.starts_with("copy")));
        kinds.push(d.kind.clone());
        if examples {
            texts.push(format!("{}\n{}", d.title, d.text));
        }
        (i, d)
    });
    let (_, candidates, _) = ingest_all(&store, docs, date, |_, _| {});
    store.flush().expect("flush");
    let mut ids: HashMap<String, u64> = HashMap::new();
    let stored: Vec<u64> = (0..designed.len() as u64)
        .map(|i| {
            let link = source_and_link(i).1.expect("link");
            match store.story_by_link(&link).expect("read") {
                Some(story) => {
                    let next = ids.len() as u64;
                    *ids.entry(story.id.to_string()).or_insert(next)
                }
                // Not found: a story of its own.
                None => u64::MAX - i,
            }
        })
        .collect();
    // Pairs of documents in one designed story, in one stored story, and in both.
    let pairs = |counts: Vec<u64>| -> u64 { counts.into_iter().map(|n| n * (n - 1) / 2).sum() };
    let mut by_designed: HashMap<u64, u64> = HashMap::new();
    let mut by_stored: HashMap<u64, u64> = HashMap::new();
    let mut by_both: HashMap<(u64, u64), u64> = HashMap::new();
    // Each designed story's first document (the corpus streams a story before its copies),
    // and where it goes wrong: copies not joined with it, by their edits.
    let mut first_of: HashMap<u64, usize> = HashMap::new();
    let mut missed: HashMap<&str, (u64, u64)> = HashMap::new();
    for (i, (&(story, is_copy), &kept)) in designed.iter().zip(&stored).enumerate() {
        *by_designed.entry(story).or_default() += 1;
        *by_stored.entry(kept).or_default() += 1;
        *by_both.entry((story, kept)).or_default() += 1;
        let first = *first_of.entry(story).or_insert(i);
        if is_copy {
            let kind = if kinds[i].contains('+') {
                "copy:combo"
            } else {
                kinds[i].as_str()
            };
            let e = missed.entry(kind).or_default();
            e.0 += 1;
            e.1 += u64::from(stored[first] != kept);
        }
    }
    let copies: u64 = missed.values().map(|e| e.0).sum();
    let joined = copies - missed.values().map(|e| e.1).sum::<u64>();
    let mut members: HashMap<u64, Vec<u64>> = HashMap::new();
    for (&(story, _), &kept) in designed.iter().zip(&stored) {
        let m = members.entry(kept).or_default();
        if !m.contains(&story) {
            m.push(story);
        }
    }
    if examples {
        let mut shown = 0;
        for (i, (&(story, is_copy), &kept)) in designed.iter().zip(&stored).enumerate() {
            if is_copy && stored[first_of[&story]] != kept && shown < 6 {
                shown += 1;
                println!(
                    "EXAMPLE missed {}:\n--- original\n{}\n--- copy\n{}\n",
                    kinds[i], texts[first_of[&story]], texts[i]
                );
            }
        }
        let mut shown = 0;
        for m in members.values().filter(|m| m.len() > 1) {
            if shown < 6 {
                shown += 1;
                println!("EXAMPLE merged:");
                for s in m {
                    println!("--- {}\n{}", kinds[first_of[s]], texts[first_of[s]]);
                }
                println!();
            }
        }
    }
    let mut merged: HashMap<(String, String), u64> = HashMap::new();
    for m in members.values().filter(|m| m.len() > 1) {
        for (a, &x) in m.iter().enumerate() {
            for &y in &m[a + 1..] {
                let (mut kx, mut ky) = (kinds[first_of[&x]].clone(), kinds[first_of[&y]].clone());
                if kx > ky {
                    std::mem::swap(&mut kx, &mut ky);
                }
                *merged.entry((kx, ky)).or_default() += 1;
            }
        }
    }
    let mut missed: Vec<_> = missed.into_iter().collect();
    missed.sort();
    for (kind, (n, lost)) in missed {
        println!("QMISS {kind} {n} {lost}");
    }
    let mut merged: Vec<_> = merged.into_iter().collect();
    merged.sort_by_key(|e| std::cmp::Reverse(e.1));
    for ((a, b), n) in merged {
        println!("QMERGE {a}+{b} {n}");
    }
    let shared: u64 = openings.values().filter(|&&n| n > 1).sum();
    println!("QOPENINGS {} {shared}", first_of.len());
    let stories = by_stored.len();
    let (same, together, both) = (
        pairs(by_designed.into_values().collect()),
        pairs(by_stored.into_values().collect()),
        pairs(by_both.into_values().collect()),
    );
    let mut sorted = candidates;
    sorted.sort_unstable();
    println!(
        "QUALITY {} {} {:.4} {:.4} {copies} {:.4} {} {}",
        designed.len(),
        stories,
        both as f64 / together.max(1) as f64,
        both as f64 / same.max(1) as f64,
        joined as f64 / copies.max(1) as f64,
        percentile(&sorted, 0.99),
        percentile(&sorted, 1.0),
    );
}

/// Child process: builds a store of `size` stories, then times `probe` more documents.
fn one_size(size: usize, probe: usize) {
    let dir = tempfile::tempdir().expect("temp dir");
    // WIREFEED_BENCH_KEEP=/some/dir keeps the built store there, to look into afterwards.
    let path = match std::env::var_os("WIREFEED_BENCH_KEEP") {
        Some(keep) => std::path::PathBuf::from(keep).join(format!("store-{size}")),
        None => dir.path().join("store"),
    };
    let store = Store::open(&path, NearDupConfig::default()).expect("open");
    let now = Utc::now();
    let date = move |i: u64| {
        now - ChronoDuration::seconds(2_000_000) + ChronoDuration::seconds((i / 50) as i64)
    };
    let mut stream = newsroom(SEED, usize::MAX).zip(0u64..);
    let t = Instant::now();
    let mut built = 0usize;
    let mut feed_bytes = 0u64;
    let mut next = 0u64;
    while built < size {
        let want = (size - built).min(10_000);
        // Copies ride along, so a chunk of documents brings fewer new stories than documents.
        let chunk: Vec<(u64, WireDoc)> = stream
            .by_ref()
            .take(want + want / 2)
            .map(|(d, i)| (i, d))
            .collect();
        next = chunk.last().map_or(next, |(i, _)| i + 1);
        let (new, _, bytes) = ingest_all(&store, chunk.into_iter(), date, |_, _| {});
        // One flush per chunk, as a cycle flushes before it publishes (and checkpoints), and
        // the freed memory given back, as the daemon does after every cycle.
        store.flush().expect("flush");
        wirefeed::daemon::release_freed_memory();
        built += new;
        feed_bytes += bytes;
    }
    store.flush().expect("flush");
    let build = t.elapsed();
    let rss_built = status_kib("VmRSS:");
    let probe_docs: Vec<(u64, WireDoc)> =
        stream.by_ref().take(probe).map(|(d, i)| (i, d)).collect();
    let t = Instant::now();
    let (new, mut candidates, bytes) = ingest_all(&store, probe_docs.into_iter(), date, |_, _| {});
    store.flush().expect("flush");
    let probe_time = t.elapsed();
    feed_bytes += bytes;
    candidates.sort_unstable();
    let mean = candidates.iter().map(|&c| c as f64).sum::<f64>() / candidates.len().max(1) as f64;
    let stories = store.story_count();
    let memory = store.index_memory();
    // How much of the RSS is memory the allocator holds free (fragmentation, per-thread
    // arenas) rather than live data: what glibc gives back when asked. Asked after the
    // timed documents, so that giving it back cannot slow them.
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let before = status_kib("VmRSS:");
        // SAFETY: malloc_trim only releases free memory; no pointer is touched.
        unsafe { libc::malloc_trim(0) };
        println!(
            "  RSS with {size} (after the timed documents): {:.0} MiB, {:.0} MiB after malloc_trim",
            mib(before),
            mib(status_kib("VmRSS:"))
        );
    }
    // As the product stops: a clean close, which leaves the index image (from 20,000
    // stories on).
    let t = Instant::now();
    store.close().expect("close");
    let close = t.elapsed();
    let image = std::fs::metadata(path.join("index.image")).map_or(0, |m| m.len());
    let disk = dir_size(&path) - image;
    // Each open in a process of its own, so its peak RSS is the open's: first with the
    // image (closed again, which re-arms the unchanged image), then one dropped without a
    // close (a crash), so the third rebuilds the index from the records.
    let path_arg = path.to_string_lossy().into_owned();
    let open_child = |how: &str| -> (f64, f64, bool) {
        let lines = run_child(&["--open", &path_arg, how]);
        let line = lines
            .iter()
            .find_map(|l| l.strip_prefix("OPEN "))
            .expect("open child reports");
        let f: Vec<&str> = line.split_whitespace().collect();
        (
            f[0].parse().expect("secs"),
            f[1].parse().expect("MiB"),
            f[2] == "image",
        )
    };
    let (open, open_rss, used) = open_child("close");
    assert_eq!(used, image > 0, "the image is used when there is one");
    let _ = open_child("drop");
    let (crash_open, crash_rss, used) = open_child("drop");
    assert!(!used, "no image after a crash");
    let _ = next;
    let per = |bytes: usize| bytes as f64 / memory.live.max(1) as f64;
    println!(
        "  index at {size}: {:.0} bytes per live story ({:.1} MiB for {} stories, {:.2} signatures each): slots {:.0}, signatures {:.0} (packed {:.0}), id table {:.0}, key table {:.0} ({:.2} keys each), bands {:.0}",
        per(memory.total()),
        memory.total() as f64 / 1048576.0,
        memory.live,
        memory.copies as f64 / memory.live.max(1) as f64,
        per(memory.slots),
        per(memory.signatures),
        per(memory.signature_bytes),
        per(memory.ids),
        per(memory.keys),
        memory.key_entries as f64 / memory.live.max(1) as f64,
        per(memory.bands),
    );
    println!(
        "ROW {size} {stories} {:.1} {:.1} {:.2} {} {} {:.0} {:.0} {:.1} {:.1} {:.3} {:.1} {new} {:.3} {:.2} {:.1} {:.0} {:.0}",
        probe_time.as_secs_f64() * 1e6 / probe as f64,
        probe_time.as_secs_f64() * 1e6 / new.max(1) as f64,
        mean,
        percentile(&candidates, 0.99),
        percentile(&candidates, 1.0),
        mib(status_kib("VmHWM:")),
        mib(rss_built),
        disk as f64 / 1048576.0,
        feed_bytes as f64 / 1048576.0,
        open,
        build.as_secs_f64(),
        crash_open,
        close.as_secs_f64(),
        image as f64 / 1048576.0,
        open_rss,
        crash_rss,
    );
}

/// Child process: opens the store at `path` and prints the seconds it took, the process'
/// peak RSS in MiB and whether the index image was used; then closes it (`close`) or drops
/// it as a crash would (`drop`).
fn open_only(path: &std::path::Path, how: &str) {
    let had_image = path.join("index.image").exists();
    let t = Instant::now();
    let store = Store::open(path, NearDupConfig::default()).expect("open");
    let open = t.elapsed();
    let rss = mib(status_kib("VmHWM:"));
    // The image is removed at open unless it was used.
    let used = had_image && path.join("index.image").exists();
    match how {
        "close" => store.close().expect("close"),
        _ => drop(store),
    }
    println!(
        "OPEN {:.3} {rss:.0} {}",
        open.as_secs_f64(),
        if used { "image" } else { "rebuilt" }
    );
}

/// Child process: churns `total` documents through a retention window of `window`
/// documents, expiring after every delivery round, and prints RSS along the way.
fn soak(total: usize, window: u64) {
    // As `wirefeed run` sets it (the soak stands for a running daemon).
    wirefeed::daemon::return_large_blocks_when_freed();
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("store"), NearDupConfig::default()).expect("open");
    let start = Utc::now() - ChronoDuration::days(400);
    let date = move |i: u64| start + ChronoDuration::seconds(i as i64);
    // Documents, RSS, stories, and the in-memory index's parts: whether memory follows the
    // live store is read from both. Each mark is printed as it is taken, so a run that
    // sled's stall cuts short (`src/store/stall.rs`) still shows how far it got.
    let mark = |store: &Store, docs: u64| {
        store.flush().expect("flush");
        // RSS as the cycle left it, then as the daemon holds it between cycles: it gives
        // the freed memory back after every cycle.
        let rss = status_kib("VmRSS:");
        wirefeed::daemon::release_freed_memory();
        let index = store.index_memory();
        let mib_of = |bytes: usize| bytes as f64 / 1048576.0;
        println!(
            "SOAK {docs} {:.1} {:.1} {} {:.2} {:.2} {:.2} {:.2} {:.2} {:.2}",
            mib(status_kib("VmRSS:")),
            mib(rss),
            store.story_count(),
            mib_of(index.total()),
            mib_of(index.slots),
            mib_of(index.signatures),
            mib_of(index.ids),
            mib_of(index.keys),
            mib_of(index.bands),
        );
        std::io::stdout().flush().ok();
    };
    let report_every = (total as u64 / 10).max(1);
    let mut marked = false;
    let t = Instant::now();
    let (_, _, _) = ingest_all(
        &store,
        newsroom(SEED ^ 1, total).zip(0u64..).map(|(d, i)| (i, d)),
        date,
        |store, last| {
            if last >= window {
                store.expire(date(last - window)).expect("expire");
            }
            // `last` is the index of the round's last document: a mark each time the count
            // of documents passes a multiple of `report_every`.
            if (last + 1) / report_every != (last + 1 - DELIVERY as u64 * 10) / report_every
                || !marked
            {
                marked = true;
                mark(store, last + 1);
            }
        },
    );
    mark(&store, total as u64);
    println!("SOAKTIME {:.1}", t.elapsed().as_secs_f64());
}

/// Runs the real binary once over one feed file with `items` tiny items; returns its peak
/// RSS in MiB, the feed's size and what it logged last.
// The child is reaped by `wait4` (which also gives its peak RSS), not by `Child::wait`.
#[allow(clippy::zombie_processes)]
fn one_feed(items: usize) -> (f64, u64, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut xml = String::with_capacity(items * 64 + 200);
    xml.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?><rss version=\"2.0\"><channel><title>t</title><link>https://big.example/</link>\n");
    for n in 0..items {
        xml.push_str(&format!(
            "<item><title>{n}</title><link>https://big.example/{n}</link></item>\n"
        ));
    }
    xml.push_str("</channel></rss>\n");
    let feed = dir.path().join("big.xml");
    std::fs::write(&feed, &xml).expect("write feed");
    let yaml = format!(
        "store: store\nfeeds_dir: feeds\nbase_url: http://localhost/\npoll:\n  max_body: 100MiB\nsources:\n  - id: big\n    url: {}\nfeeds:\n  - id: alle\n    title: Alle\n",
        feed.display()
    );
    std::fs::write(dir.path().join("config.yaml"), yaml).expect("config");
    let child = Command::new(env!("CARGO_BIN_EXE_wirefeed"))
        .args(["--config", "config.yaml", "once"])
        .current_dir(dir.path())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run wirefeed");
    let pid = child.id() as libc::pid_t;
    let mut stderr = child.stderr.expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        use std::io::Read;
        stderr.read_to_string(&mut s).ok();
        s
    });
    let mut status = 0;
    // SAFETY: plain syscall on our own child's pid with out-parameters we own.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let log = reader.join().unwrap_or_default();
    let last = log.lines().last().unwrap_or("").to_string();
    (usage.ru_maxrss as f64 / 1024.0, xml.len() as u64, last)
}

fn run_child(args: &[&str]) -> Vec<String> {
    let out = Command::new(std::env::current_exe().expect("own path"))
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("run child");
    // A soak that sled's IO-pool deadlock stops (the stall watch exits with 75, see
    // `src/store/stall.rs`) still reports the marks it printed, and says so.
    let lenient = args.first() == Some(&"--soak-child") && out.status.code() == Some(75);
    assert!(out.status.success() || lenient, "child {args:?} failed");
    if lenient {
        println!("  (this run stopped early: sled's writes stalled and the stall watch exited with 75, as the daemon would)");
    }
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let probe: usize = opt(&args, "probe", "5000").parse().unwrap_or(5000);
    if let Some(i) = args.iter().position(|a| a == "--one") {
        let size = args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(10_000);
        one_size(size, probe);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--open") {
        let path = args.get(i + 1).expect("--open PATH close|drop");
        let how = args.get(i + 2).map_or("drop", String::as_str);
        open_only(std::path::Path::new(path), how);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--quality-child") {
        let total = args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(100_000);
        quality(total);
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--soak-child") {
        let total = args
            .get(i + 1)
            .and_then(|v| v.parse().ok())
            .unwrap_or(100_000);
        soak(total, 20_000);
        return;
    }
    // `--sizes 0` (or an empty list) skips the scaling table.
    let sizes: Vec<usize> = opt(&args, "sizes", "10000,100000")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .filter(|&n| n > 0)
        .collect();
    let soak_n: usize = opt(&args, "soak", "200000").parse().unwrap_or(0);
    let feeds: usize = opt(&args, "feeds", "1").parse().unwrap_or(0);
    let sample: usize = opt(&args, "sample", "20000").parse().unwrap_or(20_000);
    println!(
        "wirefeed store benchmark ({} cores; load average now: {})",
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        std::fs::read_to_string("/proc/loadavg")
            .unwrap_or_default()
            .split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    corpus_properties(sample);
    let layout_docs: usize = opt(&args, "layouts", "100000").parse().unwrap_or(0);
    if layout_docs > 0 {
        layouts(layout_docs);
    }
    if !sizes.is_empty() {
        println!("\nscaling: a store built through Store::ingest (deliveries of {DELIVERY} items), then {probe} more documents timed");
        println!(
            "{:>9} | {:>9} | {:>8} | {:>9} | {:>22} | {:>8} | {:>8} | {:>9} | {:>9} | {:>8} | {:>7} | {:>7} | {:>8} | {:>15} | {:>7}",
            "stories",
            "in store",
            "µs/doc",
            "µs/new",
            "candidates mean/p99/max",
            "peak RSS",
            "RSS",
            "on disk",
            "feed MiB",
            "open s",
            "crash s",
            "close s",
            "image",
            "open peak RSS",
            "build s"
        );
        println!("  (open s: Store::open after a clean close, from the index image from 20,000 stories on; crash s: after a crash, rebuilding the index from the records; open peak RSS: each open's own process, with image / rebuilt; on disk without the image)");
        for size in sizes {
            for line in run_child(&["--one", &size.to_string(), "--probe", &probe.to_string()]) {
                let Some(row) = line.strip_prefix("ROW ") else {
                    println!("{line}");
                    continue;
                };
                let f: Vec<&str> = row.split_whitespace().collect();
                println!(
                    "{:>9} | {:>9} | {:>8} | {:>9} | {:>22} | {:>7}M | {:>7}M | {:>8}M | {:>9} | {:>8} | {:>7} | {:>7} | {:>7}M | {:>15} | {:>7}",
                    f[0], f[1], f[2], f[3], format!("{} / {} / {}", f[4], f[5], f[6]), f[7], f[8], f[9], f[10], f[11], f[14], f[15], f[16], format!("{}M / {}M", f[17], f[18]), f[12]
                );
            }
            std::io::stdout().flush().ok();
        }
    }
    if soak_n > 0 {
        println!("\nchurn soak: {soak_n} documents through a retention window of 20,000 documents");
        let lines = run_child(&["--soak-child", &soak_n.to_string()]);
        let marks: Vec<(u64, f64, f64, u64, Vec<&str>)> = lines
            .iter()
            .filter_map(|l| l.strip_prefix("SOAK "))
            .map(|r| {
                let f: Vec<&str> = r.split_whitespace().collect();
                (
                    f[0].parse().unwrap_or(0),
                    f[1].parse().unwrap_or(0.0),
                    f[2].parse().unwrap_or(0.0),
                    f[3].parse().unwrap_or(0),
                    f[4..].to_vec(),
                )
            })
            .collect();
        println!("  (RSS between cycles: after the freed memory is given back, as the daemon does after every cycle; in brackets, before)");
        for (docs, rss, rss_busy, stories, index) in &marks {
            let part = |i: usize| index.get(i).copied().unwrap_or("?");
            println!(
                "  after {docs:>8} documents: RSS {rss:>6.1} MiB ({rss_busy:.1}), {stories} stories in the store; index {} MiB (slots {}, signatures {}, id table {}, key table {}, bands {})",
                part(0), part(1), part(2), part(3), part(4), part(5)
            );
        }
        if let Some(t) = lines.iter().find_map(|l| l.strip_prefix("SOAKTIME ")) {
            println!("  ({t} s)");
        }
        // Steady state starts once the window is full and the sled cache warm.
        let steady: Vec<_> = marks.iter().filter(|m| m.0 >= 60_000).collect();
        if let (Some(first), Some(last)) = (steady.first(), steady.last()) {
            println!(
                "  RSS between cycles from {} to {} documents: {:.1} → {:.1} MiB ({:+.1} %); before giving memory back {:.1} → {:.1} MiB ({:+.1} %)",
                first.0,
                last.0,
                first.1,
                last.1,
                (last.1 / first.1 - 1.0) * 100.0,
                first.2,
                last.2,
                (last.2 / first.2 - 1.0) * 100.0
            );
        }
    }
    let quality: Vec<usize> = opt(&args, "quality", "")
        .split(',')
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    if !quality.is_empty() {
        println!("\nquality at scale: the newsroom corpus into one store, its stories against the designed ones (pairs of documents, as tests/dedup_eval.rs counts them)");
        println!(
            "{:>9} | {:>8} | {:>9} | {:>7} | {:>16} | {:>15}",
            "documents", "stories", "precision", "recall", "copies joined", "candidates p99/max"
        );
        for n in quality {
            let lines = run_child(&["--quality-child", &n.to_string()]);
            let mut misses = Vec::new();
            let mut merges = Vec::new();
            let mut opening = String::new();
            for line in &lines {
                if let Some(row) = line.strip_prefix("QUALITY ") {
                    let f: Vec<&str> = row.split_whitespace().collect();
                    println!(
                        "{:>9} | {:>8} | {:>9} | {:>7} | {:>16} | {:>15}",
                        f[0],
                        f[1],
                        f[2],
                        f[3],
                        format!("{} of {}", f[5], f[4]),
                        format!("{} / {}", f[6], f[7])
                    );
                } else if let Some(m) = line.strip_prefix("QMISS ") {
                    let f: Vec<&str> = m.split_whitespace().collect();
                    misses.push(format!(
                        "{} {}/{}",
                        f[0].trim_start_matches("copy:"),
                        f[2],
                        f[1]
                    ));
                } else if let Some(m) = line.strip_prefix("QMERGE ") {
                    merges.push(m.to_string());
                } else if let Some(m) = line.strip_prefix("QOPENINGS ") {
                    let f: Vec<&str> = m.split_whitespace().collect();
                    opening = format!("{} of {} stories open (title and first paragraph) word for word as another does", f[1], f[0]);
                } else {
                    println!("{line}");
                }
            }
            println!("    {opening}");
            println!("    copies not joined, by edit: {}", misses.join(", "));
            println!(
                "    document pairs of two stories merged, by the stories' kinds: {}",
                merges.join(", ")
            );
        }
    }
    if feeds > 0 {
        println!("\none delivery through the real binary (`wirefeed once`, a file source):");
        for items in [165_000, 1_000_000] {
            let (rss, bytes, last) = one_feed(items);
            println!(
                "  {items:>9} tiny items ({:.1} MiB feed): peak RSS {rss:.0} MiB; last log line: {last}",
                bytes as f64 / 1048576.0
            );
        }
    }
}
