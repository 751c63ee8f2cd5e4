//! How the store lays stories out in sled: key spaces by sequence number, index record
//! values, guid keys, sortable dates, story ids and the JSON encoding of records.

use super::index::Record;
use super::{Result, StoreError};
use crate::model::StoryId;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Key spaces of the `stories` tree: stories, then their index records.
pub(super) const STORY_SPACE: u8 = 0;
pub(super) const RECORD_SPACE: u8 = 1;
/// Story ids are 32 hex characters (see `story_id`); a record value starts with one.
pub(super) const ID_LEN: usize = 32;

pub(super) fn story_key(seq: u64) -> [u8; 9] {
    space_key(STORY_SPACE, seq)
}

pub(super) fn record_key(seq: u64) -> [u8; 9] {
    space_key(RECORD_SPACE, seq)
}

fn space_key(space: u8, seq: u64) -> [u8; 9] {
    let mut k = [space; 9];
    k[1..].copy_from_slice(&seq.to_be_bytes());
    k
}

pub(super) fn record_value(id: &str, record: &Record) -> Vec<u8> {
    let mut v = Vec::with_capacity(ID_LEN + 256);
    v.extend_from_slice(id.as_bytes());
    v.extend_from_slice(&record.encode());
    v
}

/// A stored record value cut into the story id and the encoded record; None for a value
/// too short to hold an id.
pub(super) fn split_record_value(value: &[u8]) -> Option<(&[u8], &[u8])> {
    (value.len() >= ID_LEN).then(|| value.split_at(ID_LEN))
}

pub(super) fn guid_key(source: &str, guid: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(source.len() + 1 + guid.len());
    k.extend_from_slice(source.as_bytes());
    k.push(0);
    k.extend_from_slice(guid.as_bytes());
    k
}

/// A date as a sortable number: milliseconds, offset so dates before 1970 still sort.
pub(super) fn date_ms(date: DateTime<Utc>) -> u64 {
    (date.timestamp_millis() as i128 + (1i128 << 62)).clamp(0, u64::MAX as i128) as u64
}

/// 32 hex chars of blake3.
pub(super) fn short_hash(s: &str) -> String {
    let hash = blake3::hash(s.as_bytes());
    hash.to_hex()[..32].to_string()
}

/// The id of a new story: from its source guid, else its normalized link, else its content.
pub fn story_id(source: &str, guid: Option<&str>, link: Option<&str>, print: &str) -> StoryId {
    match (guid, link) {
        (Some(g), _) => StoryId::new(short_hash(&format!("guid:{source}\0{g}"))),
        (None, Some(l)) => StoryId::new(short_hash(&format!("link:{l}"))),
        (None, None) => StoryId::new(short_hash(&format!("print:{print}"))),
    }
}

pub(super) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    serde_json::to_vec(value).expect("our records always serialize: plain data, string keys")
}

pub(super) fn decode<T: for<'de> Deserialize<'de>>(bytes: &[u8], tree: &'static str) -> Result<T> {
    serde_json::from_slice(bytes).map_err(|source| StoreError::Record { tree, source })
}
