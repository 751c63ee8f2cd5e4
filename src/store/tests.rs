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

#[test]
fn a_schema_3_store_is_upgraded_in_place_and_keeps_its_stories() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("store");
    let id = {
        let store = Store::open(&path, NearDupConfig::default()).expect("open");
        let id = new_story(
            &store,
            "a",
            item("g1", "https://a.example/pflege", "Pflegereform", TEXT),
        );
        // What schema 3 wrote: the story as plain JSON.
        let story = store.story(&id).expect("read").expect("story");
        let seq = store.index().seq(&id).expect("indexed");
        let stored = store
            .sled()
            .unwrap()
            .stories
            .get(story_key(seq))
            .expect("get")
            .expect("value");
        assert!(
            stored.len() < encode(&story).len(),
            "stored deflated: {} bytes for {} of JSON",
            stored.len(),
            encode(&story).len()
        );
        store
            .sled()
            .unwrap()
            .stories
            .insert(story_key(seq), encode(&story))
            .expect("plain story");
        let meta = store.sled().unwrap().db.open_tree("meta").expect("meta");
        meta.insert("schema", &b"3"[..]).expect("schema 3");
        store.flush().expect("flush");
        id
    };
    let store = Store::open(&path, NearDupConfig::default()).expect("upgraded");
    let story = store.story(&id).expect("read").expect("story kept");
    assert_eq!(story.title, "Pflegereform");
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
            of: id,
            by: Match::Fingerprint
        }
    );
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
