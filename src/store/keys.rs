//! How the store lays stories out in sled: key spaces by sequence number, index record
//! values, guid keys, sortable dates, story ids and the JSON encoding of records.

use super::index::Record;
use super::{Result, StoreError};
use crate::model::{Story, StoryId};
use chrono::{DateTime, Utc};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use serde::{Deserialize, Serialize};
use std::cell::RefCell;

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

/// First byte of a deflated story value; a plain JSON value starts with `{`.
const DEFLATED: u8 = 1;

thread_local! {
    // One compressor and one decompressor per thread, reset between stories: a fresh
    // miniz state is some 300 KB, which glibc maps and unmaps for every story, and zeroing
    // it made most of a cold cycle's store pass.
    static DEFLATE: RefCell<Compress> = RefCell::new(Compress::new(Compression::fast(), false));
    static INFLATE: RefCell<Decompress> = RefCell::new(Decompress::new(false));
}

/// A story as stored: its JSON, deflated. Stories are most of the store's bytes and wire
/// copy is text deflate shrinks to about a third, while the cost (tens of µs per story) is
/// small beside a story's ingest; records and keys stay uncompressed, so the index loads
/// without inflating anything.
pub(super) fn encode_story(story: &Story) -> Vec<u8> {
    let json = encode(story);
    // Deflating memory into memory does not fail; if it ever did, plain JSON still reads.
    deflate(&json).unwrap_or(json)
}

/// `DEFLATED` and the raw deflate stream of `bytes`.
fn deflate(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() / 2 + 64);
    out.push(DEFLATED);
    DEFLATE.with(|z| {
        let mut z = z.borrow_mut();
        z.reset();
        loop {
            let read = z.total_in() as usize;
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity());
            }
            match z.compress_vec(&bytes[read..], &mut out, FlushCompress::Finish) {
                Ok(Status::StreamEnd) => return Some(out),
                Ok(_) => {}
                Err(_) => return None,
            }
        }
    })
}

/// The bytes of a raw deflate stream; an error for a damaged or cut one.
fn inflate(deflated: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut out = Vec::with_capacity(deflated.len() * 3 + 64);
    INFLATE.with(|z| {
        let mut z = z.borrow_mut();
        z.reset(false);
        loop {
            let read = z.total_in() as usize;
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity());
            }
            let before = (z.total_in(), z.total_out());
            // Not `Finish`: miniz then wants the whole output in one call.
            match z.decompress_vec(&deflated[read..], &mut out, FlushDecompress::None) {
                Ok(Status::StreamEnd) => return Ok(out),
                // No progress with room to write: the stream ends too early.
                Ok(_) if before == (z.total_in(), z.total_out()) => {
                    return Err(std::io::Error::from(std::io::ErrorKind::UnexpectedEof))
                }
                Ok(_) => {}
                Err(e) => return Err(std::io::Error::other(e)),
            }
        }
    })
}

/// Reads a stored story, deflated or plain JSON.
pub(super) fn decode_story(bytes: &[u8]) -> Result<Story> {
    match bytes.split_first() {
        Some((&DEFLATED, deflated)) => {
            let json = inflate(deflated).map_err(|e| StoreError::Record {
                tree: "stories",
                source: serde_json::Error::io(e),
            })?;
            decode(&json, "stories")
        }
        _ => decode(bytes, "stories"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deflate_round_trips_long_and_short_values_and_refuses_cut_ones() {
        let long: Vec<u8> = (0..200_000u32)
            .flat_map(|i| format!("{} ", i.wrapping_mul(2_654_435_761) % 10_007).into_bytes())
            .collect();
        for value in [&b"{}"[..], b"{\"t\":\"kurz\"}", &long] {
            let packed = deflate(value).expect("deflates");
            assert_eq!(packed[0], DEFLATED);
            assert_eq!(inflate(&packed[1..]).expect("inflates"), value);
        }
        let packed = deflate(&long).expect("deflates");
        assert!(inflate(&packed[1..packed.len() / 2]).is_err());
    }
}
