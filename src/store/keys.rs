//! How the store lays stories out in sled: key spaces by sequence number, index record
//! values, guid keys, sortable dates, story ids and the JSON encoding of records.

use super::index::Record;
use super::{Result, StoreError};
use crate::model::{Story, StoryId};
use chrono::{DateTime, Utc};
use flate2::{Decompress, FlushDecompress, Status};
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

/// First byte of a deflated story value (schema 4 and 5); a plain JSON value (schema 3)
/// starts with `{`.
const DEFLATED: u8 = 1;
/// First byte of a zstd-compressed story value (schema 6 on).
const ZSTD: u8 = 2;
/// zstd's fastest regular level: wire stories are a kilobyte or two of JSON, where level 1
/// packs about as tight as deflate did while costing a few µs instead of tens.
const ZSTD_LEVEL: i32 = 1;
/// The largest story a stored value may claim to unpack to: far above any feed item or
/// article page wirefeed keeps, and a bound on what a damaged frame header can make us
/// allocate.
const MAX_STORY_BYTES: u64 = 256 << 20;

thread_local! {
    // One compression context per thread, reused across stories: creating one per story
    // costs more than compressing a short story (deflate's 300 KB state, zeroed for every
    // story, was most of a cold cycle's store pass).
    static COMPRESS: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        RefCell::new(compressor().ok());
    static DECOMPRESS: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        RefCell::new(zstd::bulk::Decompressor::new().ok());
    static INFLATE: RefCell<Decompress> = RefCell::new(Decompress::new(false));
}

/// A zstd context at [`ZSTD_LEVEL`] whose frames carry a checksum: without one a flipped
/// bit in a story's text unpacks silently into other text.
fn compressor() -> std::io::Result<zstd::bulk::Compressor<'static>> {
    let mut z = zstd::bulk::Compressor::new(ZSTD_LEVEL)?;
    z.include_checksum(true)?;
    Ok(z)
}

/// A story as stored: `ZSTD` and its JSON as one zstd frame. Stories are most of the
/// store's bytes and wire copy is text zstd shrinks to about a third; records and keys stay
/// uncompressed, so the index loads without unpacking anything.
pub(super) fn encode_story(story: &Story) -> Vec<u8> {
    let json = encode(story);
    // Compressing memory into memory does not fail; if it ever did, plain JSON still reads.
    compress(&json).unwrap_or(json)
}

/// `ZSTD` and one zstd frame (with its content size) of `bytes`.
fn compress(bytes: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(1 + zstd::zstd_safe::compress_bound(bytes.len()));
    out.push(ZSTD);
    let mut cursor = std::io::Cursor::new(out);
    cursor.set_position(1);
    COMPRESS.with(|z| {
        let mut z = z.borrow_mut();
        z.as_mut()?.compress_to_buffer(bytes, &mut cursor).ok()
    })?;
    Some(cursor.into_inner())
}

/// The bytes of one zstd frame; an error for a damaged or cut one, or one claiming more
/// than [`MAX_STORY_BYTES`].
fn decompress(frame: &[u8]) -> std::io::Result<Vec<u8>> {
    let bad = |why: &str| std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_string());
    let size = match zstd::zstd_safe::get_frame_content_size(frame) {
        Ok(Some(size)) if size <= MAX_STORY_BYTES => size as usize,
        Ok(Some(_)) => return Err(bad("zstd frame claims more than 256 MiB")),
        Ok(None) | Err(_) => return Err(bad("zstd frame without a readable content size")),
    };
    let mut out = Vec::with_capacity(size);
    DECOMPRESS.with(|z| {
        let mut z = z.borrow_mut();
        let z = z
            .as_mut()
            .ok_or_else(|| std::io::Error::other("zstd decompression context unavailable"))?;
        let n = z.decompress_to_buffer(frame, &mut out)?;
        if n == size {
            Ok(out)
        } else {
            Err(bad("zstd frame shorter than its content size"))
        }
    })
}

/// The bytes of a raw deflate stream (a story written by schema 4 or 5); an error for a
/// damaged or cut one.
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

/// Reads a stored story: zstd, deflated or plain JSON.
pub(super) fn decode_story(bytes: &[u8]) -> Result<Story> {
    let unpacked = match bytes.split_first() {
        Some((&ZSTD, frame)) => decompress(frame),
        Some((&DEFLATED, deflated)) => inflate(deflated),
        _ => return decode(bytes, "stories"),
    };
    let json = unpacked.map_err(|e| StoreError::Record {
        tree: "stories",
        source: serde_json::Error::io(e),
    })?;
    decode(&json, "stories")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn long_value() -> Vec<u8> {
        (0..200_000u32)
            .flat_map(|i| format!("{} ", i.wrapping_mul(2_654_435_761) % 10_007).into_bytes())
            .collect()
    }

    #[test]
    fn zstd_round_trips_long_and_short_values_and_refuses_cut_or_damaged_ones() {
        let long = long_value();
        for value in [&b"{}"[..], b"{\"t\":\"kurz\"}", &long] {
            let packed = compress(value).expect("compresses");
            assert_eq!(packed[0], ZSTD);
            assert_eq!(decompress(&packed[1..]).expect("decompresses"), value);
        }
        let packed = compress(&long).expect("compresses");
        assert!(packed.len() < long.len() / 2, "{} bytes", packed.len());
        assert!(decompress(&packed[1..packed.len() / 2]).is_err());
        let mut damaged = packed.clone();
        for b in &mut damaged[packed.len() / 3..packed.len() / 3 + 64] {
            *b ^= 0x5a;
        }
        assert!(decompress(&damaged[1..]).is_err());
        assert!(decompress(b"").is_err());
    }
}
