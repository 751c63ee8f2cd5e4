//! The store's own tests: reopening, schema upgrades, damaged records, checkpoints.

use super::*;

const TEXT: &str = "Der Bundesrat hat am Freitag die umstrittene Pflegereform gebilligt. \
    Die Länderkammer stimmte mit breiter Mehrheit für das Gesetz, das höhere Beiträge \
    und mehr Geld für pflegende Angehörige vorsieht. Gesundheitsminister Beispiel sprach \
    von einem wichtigen Schritt für Millionen Familien. Kritik kam von den Sozialverbänden, \
    denen die Entlastung nicht weit genug geht. Die Reform soll im Sommer in Kraft treten \
    und bis zum Ende des Jahrzehnts schrittweise ausgebaut werden, teilte das Ministerium \
    in Berlin mit. Die Opposition kündigte an, weiter für eine Vollversicherung zu werben.";

fn item(guid: &str, link: &str, title: &str, text: &str) -> Incoming {
    let item = Item {
        guid: Some(guid.to_string()),
        link: url::Url::parse(link).ok(),
        title: title.to_string(),
        content_html: Some(format!("<p>{text}</p>")),
        ..Item::default()
    };
    Incoming::new(item, None)
}

fn one(store: &Store, source: &str, incoming: Incoming) -> Outcome {
    let report = store
        .ingest(source, &[], vec![incoming], Utc::now())
        .expect("ingest");
    report.outcomes.into_iter().next().expect("one outcome")
}

/// Ingests an item that must make a new story; its id.
fn new_story(store: &Store, source: &str, incoming: Incoming) -> StoryId {
    match one(store, source, incoming) {
        Outcome::New(id) => id,
        other => panic!("not new: {other:?}"),
    }
}

/// sled's snapshot files, named by the log position they cover.
fn snapshots(path: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(path)
        .expect("store dir")
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter(|n| n.starts_with("snap."))
        .collect();
    names.sort();
    names
}

#[test]
fn a_checkpoint_reopens_sled_and_loses_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let cfg = NearDupConfig::default();
    let mut store = Store::open(&path, cfg.clone()).expect("open");
    store.checkpoint_bytes = 1;
    let before = snapshots(&path);
    let first = new_story(
        &store,
        "a",
        item(
            "g1",
            "https://a.example/1",
            "Bundesrat billigt Pflegereform",
            TEXT,
        ),
    );
    {
        // A reader holding the handles: the checkpoint waits for the next flush.
        let _held = store.sled().expect("handles");
        store.flush().expect("flush");
        assert_eq!(snapshots(&path), before, "skipped while held");
    }
    store.flush().expect("flush");
    let after = snapshots(&path);
    assert!(after.last() > before.last(), "{before:?} → {after:?}");
    // The store works on after the checkpoint: a copy is recognised, a new story added.
    let copy = one(
        &store,
        "b",
        item(
            "x",
            "https://b.example/2",
            "Bundesrat billigt Pflegereform - B-Zeitung",
            TEXT,
        ),
    );
    assert!(
        matches!(copy, Outcome::Duplicate { ref of, .. } if *of == first),
        "{copy:?}"
    );
    let other = one(
        &store,
        "a",
        item("g2", "https://a.example/3", "Etwas anderes", "Ganz andere Meldung über einen Hafen im Norden, der heute erweitert wurde und mehr Schiffe aufnimmt."),
    );
    assert!(matches!(other, Outcome::New(_)), "{other:?}");
    store.flush().expect("flush");
    drop(store);
    let store = Store::open(&path, cfg).expect("reopen");
    assert_eq!(store.story_count(), 2);
    assert!(store.story(&first).expect("read").is_some());
}

#[test]
fn duplicates_are_found_after_reopening_the_store() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let cfg = NearDupConfig::default();
    let first = {
        let store = Store::open(&path, cfg.clone()).expect("open");
        let id = new_story(
            &store,
            "a",
            item(
                "g1",
                "https://a.example/pflege",
                "Bundesrat billigt Pflegereform",
                TEXT,
            ),
        );
        store.flush().expect("flush");
        id
    };
    let store = Store::open(&path, cfg).expect("reopen");
    assert_eq!(store.story_count(), 1);
    let by_guid = one(
        &store,
        "a",
        item(
            "g1",
            "https://a.example/other",
            "Bundesrat billigt Pflegereform",
            TEXT,
        ),
    );
    assert_eq!(by_guid, Outcome::Unchanged(first.clone()));
    let by_link = one(
        &store,
        "b",
        item(
            "b1",
            "https://www.a.example/pflege?utm_source=x",
            "Anders",
            "anders",
        ),
    );
    assert_eq!(
        by_link,
        Outcome::Duplicate {
            of: first.clone(),
            by: Match::Link
        }
    );
    let by_print = one(
        &store,
        "c",
        item(
            "c1",
            "https://c.example/1",
            "Bundesrat billigt Pflegereform",
            TEXT,
        ),
    );
    assert_eq!(
        by_print,
        Outcome::Duplicate {
            of: first.clone(),
            by: Match::Fingerprint
        }
    );
    let near = one(
        &store,
        "d",
        item(
            "d1",
            "https://d.example/1",
            "Bundesrat billigt Pflegereform | Kurier",
            &format!("Von Anna Beispiel\nBerlin (AFP) - {TEXT}\n© dpa-infocom"),
        ),
    );
    assert_eq!(
        near,
        Outcome::Duplicate {
            of: first.clone(),
            by: Match::NearDuplicate
        }
    );
    // Keys recorded by duplicates are found after another reopen, and the public
    // lookups agree.
    drop(store);
    let store = Store::open(&path, NearDupConfig::default()).expect("reopen again");
    let again = one(
        &store,
        "d",
        item("d1", "https://d.example/1", "Anders", "ganz anders"),
    );
    // Another source's guid recorded by a duplicate: a sighting of the same story.
    assert_eq!(again, Outcome::Unchanged(first.clone()));
    let link = url::Url::parse("https://c.example/1").expect("url");
    let story = store.story_by_link(&link).expect("lookup").expect("story");
    assert_eq!(story.id, first);
    assert_eq!(story.sources, ["a", "b", "c", "d"]);
    let newest: Vec<StoryId> = store
        .stories_newest_first()
        .map(|s| s.expect("story").id)
        .collect();
    assert_eq!(newest, [first]);
    assert_eq!(
        store
            .expire(Utc::now() + chrono::Duration::days(1))
            .expect("expire"),
        1
    );
    assert!(store.story_by_link(&link).expect("lookup").is_none());
    assert_eq!(store.stories_newest_first().count(), 0);
}

#[test]
fn a_story_whose_index_record_is_damaged_is_recognised_by_id_and_indexed_again() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let text = "Ein Text über die Pflegereform";
    let id = {
        let store = Store::open(&path, NearDupConfig::default()).expect("open");
        let id = new_story(
            &store,
            "a",
            item("g1", "https://a.example/1", "Titel", text),
        );
        let seq = store.index().seq(&id).expect("indexed");
        let damaged = [id.as_bytes(), b"damaged"].concat();
        store
            .sled()
            .unwrap()
            .stories
            .insert(record_key(seq), damaged)
            .expect("damage record");
        store.flush().expect("flush");
        id
    };
    let store = Store::open(&path, NearDupConfig::default()).expect("reopen");
    let again = one(
        &store,
        "a",
        item("g1", "https://a.example/1", "Titel", text),
    );
    assert_eq!(again, Outcome::Unchanged(id.clone()));
    assert_eq!(store.story_count(), 1);
    let copy = one(
        &store,
        "b",
        item("b1", "https://a.example/1", "Anders", "anders"),
    );
    assert_eq!(
        copy,
        Outcome::Duplicate {
            of: id,
            by: Match::Link
        }
    );
}

/// Writes a story, stores it again as an older schema wrote it (`old_value` of its JSON)
/// under that schema's number, reopens, and checks the upgrade: the story reads as it was,
/// the store is marked current, and a copy merges into it and rewrites it with zstd.
fn upgrade_keeps_stories(schema: &[u8], old_value: impl Fn(&[u8]) -> Vec<u8>) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let (id, written) = {
        let store = Store::open(&path, NearDupConfig::default()).expect("open");
        let id = new_story(
            &store,
            "a",
            item("g1", "https://a.example/pflege", "Pflegereform", TEXT),
        );
        let story = store.story(&id).expect("read").expect("story");
        let seq = store.index().seq(&id).expect("indexed");
        let stories = &store.sled().unwrap().stories;
        let stored = stories.get(story_key(seq)).expect("get").expect("value");
        assert!(
            stored.len() < encode(&story).len(),
            "stored compressed: {} bytes for {} of JSON",
            stored.len(),
            encode(&story).len()
        );
        stories
            .insert(story_key(seq), old_value(&encode(&story)))
            .expect("old story");
        let meta = store.sled().unwrap().db.open_tree("meta").expect("meta");
        meta.insert("schema", schema).expect("old schema");
        store.flush().expect("flush");
        (id, story)
    };
    let store = Store::open(&path, NearDupConfig::default()).expect("upgraded");
    let story = store.story(&id).expect("read").expect("story kept");
    assert_eq!(encode(&story), encode(&written));
    let meta = store.sled().unwrap().db.open_tree("meta").expect("meta");
    assert_eq!(
        meta.get("schema").expect("schema").as_deref(),
        Some(SCHEMA_VERSION.to_string().as_bytes())
    );
    let copy = one(
        &store,
        "b",
        item("b1", "https://b.example/1", "Pflegereform", TEXT),
    );
    assert_eq!(
        copy,
        Outcome::Duplicate {
            of: id.clone(),
            by: Match::Fingerprint
        }
    );
    let seq = store.index().seq(&id).expect("indexed");
    let stored = store
        .sled()
        .unwrap()
        .stories
        .get(story_key(seq))
        .expect("get");
    assert_eq!(stored.expect("value")[0], 2, "rewritten with zstd");
    let story = store.story(&id).expect("read").expect("story");
    assert_eq!(story.sources, ["a", "b"]);
}

#[test]
fn a_schema_3_store_is_upgraded_in_place_and_keeps_its_stories() {
    // Schema 3 wrote the story as plain JSON.
    upgrade_keeps_stories(b"3", <[u8]>::to_vec);
}

#[test]
fn a_schema_5_store_with_deflated_stories_is_upgraded_and_reads_them() {
    use std::io::Write;
    // Schema 4 and 5 wrote a 1 and the JSON as a raw deflate stream.
    upgrade_keeps_stories(b"5", |json| {
        let mut z = flate2::write::DeflateEncoder::new(vec![1u8], flate2::Compression::fast());
        z.write_all(json).expect("deflate");
        z.finish().expect("deflate")
    });
}

#[test]
fn a_schema_6_store_with_zstd_stories_is_upgraded_and_reads_them() {
    // Schema 6 wrote a 2 and the JSON as one zstd frame, with no dictionary.
    upgrade_keeps_stories(b"6", |json| {
        let mut value = vec![2u8];
        value.extend(zstd::bulk::compress(json, 1).expect("zstd"));
        value
    });
}

/// `n` invented stories of one newsroom: shared phrasing, other places and numbers.
fn newsroom_items(n: usize) -> Vec<Incoming> {
    let places = [
        "Kiel", "Erfurt", "Passau", "Gera", "Celle", "Jena", "Hof", "Suhl",
    ];
    let topics = [
        "Brückensanierung",
        "Haushalt",
        "Stadtfest",
        "Busverkehr",
        "Schulbau",
    ];
    (0..n)
        .map(|i| {
            let place = places[i % places.len()];
            let topic = topics[i / places.len() % topics.len()];
            let text = format!(
                "{place} (dpa) - Der Stadtrat von {place} hat am Dienstag über {topic} \
                 beraten und {} Millionen Euro freigegeben. Das teilte ein Sprecher der \
                 Stadt mit. Nach Angaben der Verwaltung beginnen die Arbeiten im {}. Quartal; \
                 betroffen seien rund {} Anwohner. Die Opposition kritisierte den Beschluss \
                 als übereilt.",
                i % 97 + 2,
                i % 4 + 1,
                i * 37 % 9000 + 100,
            );
            item(
                &format!("g{i}"),
                &format!("https://stadt.example/meldung/{i}"),
                &format!("{topic} in {place}: Beschluss Nummer {i}"),
                &text,
            )
        })
        .collect()
}

#[test]
fn copies_in_a_later_delivery_are_recorded_in_their_stories_and_kept() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let n = 150;
    let ids: Vec<StoryId>;
    {
        let store = Store::open(&path, NearDupConfig::default()).expect("open");
        let report = store
            .ingest("a", &[], newsroom_items(n), Utc::now())
            .expect("ingest");
        ids = report
            .outcomes
            .iter()
            .map(|o| match o {
                Outcome::New(id) => id.clone(),
                other => panic!("not new: {other:?}"),
            })
            .collect();
        // Source b republishes every story under its own guid and link, the first one twice.
        let copy = |i: usize, n: usize| {
            let mut incoming = newsroom_items(i + 1).pop().expect("item");
            incoming.item.guid = Some(format!("b-{i}-{n}"));
            incoming.item.link = url::Url::parse(&format!("https://b.example/{i}/{n}")).ok();
            incoming
        };
        let mut copies: Vec<Incoming> = (0..n).map(|i| copy(i, 0)).collect();
        copies.push(copy(0, 1));
        let report = store
            .ingest("b", &["agentur".to_string()], copies, Utc::now())
            .expect("ingest");
        assert_eq!(report.duplicates, n + 1, "{report:?}");
        store.flush().expect("flush");
    }
    let store = Store::open(&path, NearDupConfig::default()).expect("reopen");
    for (i, id) in ids.iter().enumerate() {
        let story = store.story(id).expect("read").expect("story");
        assert_eq!(story.sources, ["a", "b"], "story {i}");
        assert_eq!(story.tags, ["agentur"], "story {i}");
        let mut links = vec![format!("https://b.example/{i}/0")];
        let mut guids = vec![("b".to_string(), format!("b-{i}-0"))];
        if i == 0 {
            links.push("https://b.example/0/1".to_string());
            guids.push(("b".to_string(), "b-0-1".to_string()));
        }
        let alternates: Vec<String> = story.alternates.iter().map(|u| u.to_string()).collect();
        assert_eq!(alternates, links, "story {i}");
        assert_eq!(story.seen_guids, guids, "story {i}");
    }
}

#[test]
fn the_store_trains_its_dictionary_once_and_its_stories_read_after_reopening() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let first_id;
    let last_id;
    let written;
    {
        let store = Store::open(&path, NearDupConfig::default()).expect("open");
        let items = newsroom_items(codec::DICT_MIN_STORIES + 300);
        let report = store
            .ingest("stadt", &[], items, Utc::now())
            .expect("ingest");
        assert_eq!(report.new, codec::DICT_MIN_STORIES + 300, "{report:?}");
        let ids: Vec<StoryId> = report
            .outcomes
            .iter()
            .filter_map(|o| match o {
                Outcome::New(id) => Some(id.clone()),
                _ => None,
            })
            .collect();
        first_id = ids[0].clone();
        last_id = ids[ids.len() - 1].clone();
        let dict = store.story_dict().expect("a dictionary was trained");
        let meta = store.sled().unwrap().db.open_tree("meta").expect("meta");
        assert_eq!(
            meta.get(STORY_DICT).expect("meta").as_deref(),
            Some(dict.bytes())
        );
        // Stories of the first batches were written before it, the last ones with it.
        let stories = &store.sled().unwrap().stories;
        let marker = |id: &StoryId| {
            let seq = store.index().seq(id).expect("indexed");
            stories.get(story_key(seq)).expect("get").expect("value")[0]
        };
        assert_eq!(marker(&first_id), 2, "written before the dictionary");
        assert_eq!(marker(&last_id), 3, "written with the dictionary");
        written = store.story(&last_id).expect("read").expect("story");
        // Dropped without a close, as in a crash.
    }
    let store = Store::open(&path, NearDupConfig::default()).expect("reopen");
    assert_eq!(store.story(&last_id).expect("read"), Some(written));
    assert!(store.story(&first_id).expect("read").is_some());
    // The dictionary is kept, not trained again: a story changed now is written with it.
    let dict = store
        .story_dict()
        .expect("dictionary loaded")
        .bytes()
        .to_vec();
    let copy = one(
        &store,
        "b",
        item(
            "b1",
            "https://b.example/1",
            "Spiegel einer Meldung",
            "Kurzer Text, der keiner Meldung gleicht.",
        ),
    );
    assert!(matches!(copy, Outcome::New(_)));
    assert_eq!(store.story_dict().expect("still").bytes(), &dict[..]);

    // Without its dictionary the store says why a story does not read.
    drop(store);
    {
        let sled = Sled::open_waiting(&path, 50).expect("sled");
        let meta = sled.db.open_tree("meta").expect("meta");
        meta.remove(STORY_DICT).expect("remove");
        sled.db.flush().expect("flush");
    }
    let store = Store::open(&path, NearDupConfig::default()).expect("reopen");
    let err = store.story(&last_id).expect_err("unreadable without it");
    assert!(err.to_string().contains("dictionary"), "{err}");
    assert!(store.story(&first_id).expect("read").is_some());
}

#[test]
fn a_store_of_the_old_layout_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    {
        let store = Store::open(&path, NearDupConfig::default()).expect("open");
        let meta = store.sled().unwrap().db.open_tree("meta").expect("meta");
        meta.insert("schema", &b"1"[..]).expect("old schema");
        store.flush().expect("flush");
    }
    match Store::open(&path, NearDupConfig::default()) {
        Err(e @ StoreError::Schema { .. }) => {
            assert!(
                e.to_string()
                    .contains(&format!("schema 1, this version reads {SCHEMA_VERSION}")),
                "{e}"
            )
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("an old store was opened"),
    }
}

#[test]
fn long_stories_read_back_whole_and_a_cut_one_is_a_clean_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = Store::open(&dir.path().join("store"), NearDupConfig::default()).expect("open");
    // Far longer than a story's first guess of its inflated size, and than one deflate block.
    let long: String = (0..4000)
        .map(|i| format!("Absatz {i} über den Ausbau des Hafens im Norden. "))
        .collect();
    let mut ids = Vec::new();
    for (n, text) in [TEXT.to_string(), long.clone()].into_iter().enumerate() {
        let id = new_story(
            &store,
            "a",
            item(
                &format!("g{n}"),
                &format!("https://a.example/{n}"),
                "Titel",
                &text,
            ),
        );
        ids.push(id);
    }
    let story = store.story(&ids[1]).expect("read").expect("stored");
    assert!(
        story
            .content_html
            .as_deref()
            .unwrap_or_default()
            .contains("Absatz 3999 "),
        "the whole text came back"
    );
    assert!(store.story(&ids[0]).expect("read").is_some());
    let seq = store.index().seq(&ids[1]).expect("indexed");
    let sled = store.sled().unwrap();
    let value = sled
        .stories
        .get(story_key(seq))
        .expect("get")
        .expect("value");
    sled.stories
        .insert(story_key(seq), &value[..value.len() / 2])
        .expect("cut the value");
    let err = store.story(&ids[1]).expect_err("a cut story is refused");
    assert!(
        err.to_string().contains("damaged record in stories"),
        "{err}"
    );
    assert!(
        store.story(&ids[0]).expect("read").is_some(),
        "the other still reads"
    );
}

// ---------------------------------------------------------------- index image

#[path = "../../tests/support/wiregen.rs"]
mod wiregen;

/// One document of the invented newsroom stream as a feed item (its own source per ten
/// documents, its own guid and link).
fn wire_item(i: u64, doc: &wiregen::WireDoc) -> (String, Incoming) {
    let source = format!("feed{}", i % 10);
    let html: String = doc
        .text
        .split('\n')
        .map(|p| format!("<p>{p}</p>"))
        .collect();
    let item = Item {
        guid: Some(format!("{source}-{i}")),
        link: url::Url::parse(&format!("https://{source}.example/meldung/{i}")).ok(),
        title: doc.title.clone(),
        content_html: Some(html),
        ..Item::default()
    };
    (source, Incoming::new(item, None))
}

/// Ingests documents one delivery per document, dated `date`; their outcomes.
fn ingest_docs(
    store: &Store,
    docs: &[(u64, wiregen::WireDoc)],
    date: DateTime<Utc>,
) -> Vec<Outcome> {
    docs.iter()
        .flat_map(|(i, doc)| {
            let (source, incoming) = wire_item(*i, doc);
            store
                .ingest(&source, &[], vec![incoming], date)
                .expect("ingest")
                .outcomes
        })
        .collect()
}

/// What the index answers about `docs`, in story ids (slots differ between an index that
/// lived through expiries and one rebuilt): for each, the story its guid and its link
/// find, and the near-duplicate candidates of its signature.
fn answers(
    store: &Store,
    docs: &[(u64, wiregen::WireDoc)],
) -> Vec<(bool, Option<String>, Vec<String>)> {
    docs.iter()
        .map(|(i, doc)| {
            let (source, incoming) = wire_item(*i, doc);
            let item = &incoming.item;
            let known = store.is_known(&source, item).expect("is_known");
            let by_link = store
                .story_by_link(item.link.as_ref().expect("link"))
                .expect("by link")
                .map(|s| s.id.to_string());
            let sig = dedup::signature(&doc.title, &doc.text);
            let index = store.index();
            let mut near: Vec<String> = index
                .candidates(&dedup::band_keys(sig.view()))
                .into_iter()
                .filter_map(|slot| index.id(slot))
                .collect();
            near.sort();
            (known, by_link, near)
        })
        .collect()
}

/// Stories the answers found by link.
fn seen_count(answers: &[(bool, Option<String>, Vec<String>)]) -> usize {
    let ids: std::collections::HashSet<_> = answers.iter().filter_map(|a| a.1.as_ref()).collect();
    ids.len()
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read dir") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).expect("copy");
        }
    }
}

type Docs = Vec<(u64, wiregen::WireDoc)>;

/// The invented documents of the image tests: 150 old ones (expired), 250 fresh ones, and
/// 150 for later.
fn image_docs() -> (Docs, Docs, Docs) {
    let mut stream = wiregen::newsroom(0x1a6e, usize::MAX)
        .zip(0u64..)
        .map(|(d, i)| (i, d));
    let old = stream.by_ref().take(150).collect();
    let fresh = stream.by_ref().take(250).collect();
    let later = stream.by_ref().take(150).collect();
    (old, fresh, later)
}

/// A store of a few hundred invented stories with copies, merges and expired stories (so
/// free slots), all dated from `now`; the documents it saw.
fn busy_store(path: &Path, now: DateTime<Utc>) -> (Store, Docs) {
    let (old, fresh, _) = image_docs();
    let store = Store::open(path, NearDupConfig::default()).expect("open");
    ingest_docs(&store, &old, now - chrono::Duration::days(30));
    let outcomes = ingest_docs(&store, &fresh, now);
    assert!(
        outcomes.iter().any(|o| matches!(
            o,
            Outcome::Duplicate {
                by: Match::NearDuplicate,
                ..
            }
        )),
        "the stream brings near-duplicate copies"
    );
    let removed = store
        .expire(now - chrono::Duration::days(10))
        .expect("expire");
    assert!(removed > 50, "expired {removed}");
    let (live, slots, _, _) = store.index_size();
    assert!(slots > live, "free slots at the close: {slots} > {live}");
    (store, old.into_iter().chain(fresh).collect())
}

/// [`busy_store`] closed with an index image; the documents it saw.
fn imaged_store(path: &Path) -> Docs {
    let (store, seen) = busy_store(path, Utc::now());
    store.close_with(0).expect("close");
    assert!(path.join(image::FILE_NAME).exists(), "image written");
    seen
}

#[test]
fn an_index_image_answers_as_the_index_it_was_written_from_and_as_a_rebuild() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let now = Utc::now();
    // The same store twice: one closed with an image and opened again, one that stays open
    // (a daemon that never stopped).
    let (store, seen) = busy_store(&path, now);
    let before = answers(&store, &seen);
    let size = store.index_size();
    store.close_with(0).expect("close");
    let (running, _) = busy_store(&dir.path().join("running"), now);
    // A copy of the closed store opened without its image: rebuilt from the records.
    let rebuilt_path = dir.path().join("rebuilt");
    copy_dir(&path, &rebuilt_path);
    std::fs::remove_file(rebuilt_path.join(image::FILE_NAME)).expect("remove image");

    let imaged = Store::open(&path, NearDupConfig::default()).expect("open with image");
    assert!(imaged.image_token.is_some(), "the image was used");
    let rebuilt = Store::open(&rebuilt_path, NearDupConfig::default()).expect("open rebuilt");
    assert!(rebuilt.image_token.is_none(), "no image without its file");

    assert_eq!(imaged.index_size(), size, "the very index that was written");
    assert_eq!(running.index_size(), size);
    assert!(
        answers(&imaged, &seen) == before,
        "answers as before the close"
    );
    assert_eq!(imaged.story_count(), rebuilt.story_count());
    assert_eq!(imaged.index_size().0, rebuilt.index_size().0);
    // A rebuild finds the same stories by guid and link. Its near-duplicate candidates
    // may be more: a band key saturated by stories since expired stays saturated in the
    // running index (and so in its image) but not in a rebuild, which counts only the
    // stories left.
    for ((known, link, near), (r_known, r_link, r_near)) in
        before.iter().zip(answers(&rebuilt, &seen))
    {
        assert_eq!((known, link), (&r_known, &r_link));
        assert!(
            near.iter().all(|id| r_near.contains(id)),
            "{near:?} ⊄ {r_near:?}"
        );
    }
    let newest = |store: &Store| -> Vec<String> {
        store
            .stories_newest_first()
            .map(|s| s.expect("story").id.to_string())
            .collect()
    };
    assert_eq!(newest(&imaged), newest(&rebuilt));

    // Further deliveries come out as in the store that never closed, free slots reused.
    let (_, _, later) = image_docs();
    let a = ingest_docs(&imaged, &later, now);
    assert_eq!(a, ingest_docs(&running, &later, now));
    assert!(a.iter().any(|o| matches!(o, Outcome::New(_))));
    assert_eq!(imaged.index_size(), running.index_size());
    assert!(answers(&imaged, &later) == answers(&running, &later));
    let b = ingest_docs(&rebuilt, &later, now);
    assert_eq!(imaged.story_count(), rebuilt.story_count(), "{a:?}\n{b:?}");
}

#[test]
fn an_image_is_not_used_after_a_crash_that_followed_a_write() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    imaged_store(&path);
    let id = {
        let store = Store::open(&path, NearDupConfig::default()).expect("open");
        assert!(store.image_token.is_some(), "the image was used");
        let id = new_story(
            &store,
            "late",
            item(
                "late-1",
                "https://late.example/pflege",
                "Bundesrat billigt Pflegereform",
                TEXT,
            ),
        );
        store.flush().expect("flush");
        id
        // Dropped without close: a crash.
    };
    let store = Store::open(&path, NearDupConfig::default()).expect("reopen");
    assert!(store.image_token.is_none(), "the stale image was not used");
    assert!(!path.join(image::FILE_NAME).exists(), "and was removed");
    let known = item("late-1", "https://late.example/pflege", "x", "y");
    assert!(store.is_known("late", &known.item).expect("is_known"));
    let copy = one(
        &store,
        "other",
        item(
            "o-1",
            "https://other.example/p",
            "Pflegereform gebilligt",
            &TEXT.replace("am Freitag", "am Freitagvormittag"),
        ),
    );
    assert_eq!(
        copy,
        Outcome::Duplicate {
            of: id,
            by: Match::NearDuplicate
        }
    );
}

#[test]
fn an_unchanged_store_closes_with_its_image_again_and_a_changed_one_writes_a_new_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    imaged_store(&path);
    let image_path = path.join(image::FILE_NAME);
    let written = std::fs::metadata(&image_path)
        .expect("image")
        .modified()
        .expect("mtime");
    let token = {
        let store = Store::open(&path, NearDupConfig::default()).expect("open");
        let token = store.image_token.expect("image used");
        assert!(
            image_path.exists(),
            "kept while the store runs, to be armed again"
        );
        store.close_with(0).expect("close");
        token
    };
    let id = {
        let store = Store::open(&path, NearDupConfig::default()).expect("open");
        assert_eq!(
            store.image_token,
            Some(token),
            "the same image, armed again"
        );
        assert_eq!(
            std::fs::metadata(&image_path)
                .expect("image")
                .modified()
                .expect("mtime"),
            written,
            "not rewritten"
        );
        let id = new_story(
            &store,
            "late",
            item(
                "late-1",
                "https://late.example/pflege",
                "Pflegereform",
                TEXT,
            ),
        );
        store.close_with(0).expect("close");
        id
    };
    let store = Store::open(&path, NearDupConfig::default()).expect("open");
    let fresh = store.image_token.expect("a new image used");
    assert_ne!(fresh, token);
    let known = item("late-1", "https://late.example/pflege", "x", "y");
    assert!(store.is_known("late", &known.item).expect("is_known"));
    assert!(store.story(&id).expect("read").is_some());
}

#[test]
fn a_small_store_closes_without_an_image() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let store = Store::open(&path, NearDupConfig::default()).expect("open");
    new_story(
        &store,
        "a",
        item("g1", "https://a.example/1", "Pflegereform", TEXT),
    );
    store.close().expect("close");
    assert!(!path.join(image::FILE_NAME).exists());
    let store = Store::open(&path, NearDupConfig::default()).expect("open");
    assert_eq!(store.story_count(), 1);
}

#[test]
fn a_damaged_image_or_one_of_another_close_falls_back_to_the_rebuild() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let seen = imaged_store(&path);
    let before = {
        let store = Store::open(&path, NearDupConfig::default()).expect("open");
        let before = answers(&store, &seen);
        store.close_with(0).expect("close");
        before
    };
    let image_path = path.join(image::FILE_NAME);
    type Damage = fn(&mut Vec<u8>);
    let damages: [(&str, Damage); 5] = [
        ("cut in half", |b| b.truncate(b.len() / 2)),
        ("last byte missing", |b| {
            b.pop();
        }),
        ("a byte flipped in the middle", |b| {
            let mid = b.len() / 2;
            b[mid] ^= 0x40;
        }),
        ("another token", |b| b[12] ^= 1),
        ("empty", |b| b.clear()),
    ];
    for (what, damage) in damages {
        let mut bytes = std::fs::read(&image_path).expect("image");
        damage(&mut bytes);
        std::fs::write(&image_path, &bytes).expect("damage");
        let store = Store::open(&path, NearDupConfig::default()).expect("open");
        assert!(store.image_token.is_none(), "{what}: image not used");
        assert!(!image_path.exists(), "{what}: damaged image removed");
        let after = answers(&store, &seen);
        assert_eq!(after.len(), before.len());
        for (a, b) in after.iter().zip(&before) {
            assert_eq!((&a.0, &a.1), (&b.0, &b.1), "{what}: found by guid and link");
            assert!(
                b.2.iter().all(|id| a.2.contains(id)),
                "{what}: candidates kept"
            );
        }
        // A fresh image for the next damage.
        store.close_with(0).expect("close");
    }
    // The store's token gone (as after an older wirefeed or a crash): the file is not used.
    {
        let sled = Sled::open(&path).expect("sled");
        let meta = sled.db.open_tree("meta").expect("meta");
        meta.insert(IMAGE_TOKEN, &7u64.to_le_bytes())
            .expect("token");
        sled.db.flush().expect("flush");
    }
    let store = Store::open(&path, NearDupConfig::default()).expect("open");
    assert!(store.image_token.is_none(), "a token of another close");
    assert_eq!(store.story_count(), seen_count(&before));
}

#[test]
fn a_schema_4_store_is_marked_current_and_a_newer_one_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let mark = |schema: &[u8]| {
        let sled = Sled::open(&path).expect("sled");
        let meta = sled.db.open_tree("meta").expect("meta");
        meta.insert("schema", schema).expect("schema");
        sled.db.flush().expect("flush");
    };
    let id = {
        let store = Store::open(&path, NearDupConfig::default()).expect("open");
        let id = new_story(
            &store,
            "a",
            item("g1", "https://a.example/1", "Pflegereform", TEXT),
        );
        store.close_with(0).expect("close");
        id
    };
    // Schema 4, and 7 (signatures without names), are upgraded in place to schema 8.
    assert_eq!(SCHEMA_VERSION, 8);
    for old in ["4", "7"] {
        mark(old.as_bytes());
        let store = Store::open(&path, NearDupConfig::default())
            .unwrap_or_else(|e| panic!("upgraded from {old}: {e}"));
        assert!(store.story(&id).expect("read").is_some(), "from {old}");
        let meta = store.sled().unwrap().db.open_tree("meta").expect("meta");
        assert_eq!(
            meta.get("schema").expect("schema").as_deref(),
            Some(&b"8"[..]),
            "from {old}"
        );
    }
    mark(b"99");
    match Store::open(&path, NearDupConfig::default()) {
        Err(e @ StoreError::Schema { .. }) => {
            let text = e.to_string();
            assert!(text.contains("schema 99, this version reads 8"), "{text}");
            assert!(text.contains("upgrades 3 to 7 in place"), "{text}");
        }
        Err(other) => panic!("wrong error: {other}"),
        Ok(_) => panic!("a newer store was opened"),
    }
}
