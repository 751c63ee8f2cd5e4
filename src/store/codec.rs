//! How a story is stored: its JSON as one zstd frame, with the store's own dictionary once
//! it has one.
//!
//! Stories are most of the store's bytes, and a wire story is a kilobyte or two: too short
//! for zstd to learn much from the story alone. Half of it is the same in every story (the
//! JSON field names, the sources' names and link prefixes, agency formulas), so once the
//! store holds [`DICT_MIN_STORIES`] stories it trains a dictionary on them
//! ([`StoryDict::train`]), keeps it in `meta` for good, and compresses every story it
//! writes from then on with it. Stories written before stay as they are until they change;
//! values of every earlier schema still read.

use super::keys::{decode, encode};
use super::{Result, StoreError};
use crate::model::Story;
use flate2::{Decompress, FlushDecompress, Status};
use std::cell::RefCell;
use zstd::zstd_safe::{CCtx, CDict, CParameter, DCtx, DDict};

/// First byte of a deflated story value (schema 4 and 5); a plain JSON value (schema 3)
/// starts with `{`.
const DEFLATED: u8 = 1;
/// First byte of a zstd-compressed story value (schema 6 on).
const ZSTD: u8 = 2;
/// First byte of a story compressed with the store's dictionary (schema 7 on).
const ZSTD_DICT: u8 = 3;
/// zstd's fastest regular level: wire stories are a kilobyte or two of JSON, where level 1
/// packs about as tight as deflate did while costing a few µs instead of tens.
const ZSTD_LEVEL: i32 = 1;
/// The largest story a stored value may claim to unpack to: far above any feed item or
/// article page wirefeed keeps, and a bound on what a damaged frame header can make us
/// allocate.
const MAX_STORY_BYTES: u64 = 256 << 20;

/// Stories in the store before it trains its dictionary: enough different stories that the
/// dictionary learns what they share rather than what a few of them say.
pub(super) const DICT_MIN_STORIES: usize = 1000;
/// Stories a dictionary is trained on (training costs about 0.1 s a thousand).
pub(super) const DICT_SAMPLES: usize = 1000;
/// The dictionary's size: 32 KiB holds the shared structure and phrasing; a larger one
/// gained a few per cent on the benchmark corpus.
const DICT_BYTES: usize = 32 << 10;

thread_local! {
    // One compression context per thread, reused across stories: creating one per story
    // costs more than compressing a short story (deflate's 300 KB state, zeroed for every
    // story, was most of a cold cycle's store pass).
    static COMPRESS: RefCell<Option<zstd::bulk::Compressor<'static>>> =
        RefCell::new(compressor().ok());
    static DECOMPRESS: RefCell<Option<zstd::bulk::Decompressor<'static>>> =
        RefCell::new(zstd::bulk::Decompressor::new().ok());
    static DICT_COMPRESS: RefCell<Option<CCtx<'static>>> = RefCell::new(CCtx::try_create());
    static DICT_DECOMPRESS: RefCell<Option<DCtx<'static>>> = RefCell::new(DCtx::try_create());
    static INFLATE: RefCell<Decompress> = RefCell::new(Decompress::new(false));
}

/// The store's compression dictionary, prepared for both directions.
pub(super) struct StoryDict {
    bytes: Vec<u8>,
    compress: CDict<'static>,
    decompress: DDict<'static>,
}

impl StoryDict {
    /// A dictionary as stored in `meta`; None when zstd cannot load it (a damaged value).
    pub(super) fn new(bytes: Vec<u8>) -> Option<StoryDict> {
        // zstd accepts any bytes as raw content; a trained dictionary starts with its magic
        // number, and only such a one was ever stored.
        if bytes.len() < 8 || bytes[..4] != [0x37, 0xa4, 0x30, 0xec] {
            return None;
        }
        Some(StoryDict {
            compress: CDict::try_create(&bytes, ZSTD_LEVEL)?,
            decompress: DDict::try_create(&bytes)?,
            bytes,
        })
    }

    /// A dictionary trained on `stories`; None when zstd finds too little in them to learn.
    pub(super) fn train<'a>(stories: impl Iterator<Item = &'a Story>) -> Option<StoryDict> {
        let samples: Vec<Vec<u8>> = stories.map(encode).collect();
        StoryDict::from_samples(&samples)
    }

    fn from_samples(samples: &[Vec<u8>]) -> Option<StoryDict> {
        let bytes = zstd::dict::from_samples(samples, DICT_BYTES).ok()?;
        StoryDict::new(bytes)
    }

    /// The bytes to keep in `meta`.
    pub(super) fn bytes(&self) -> &[u8] {
        &self.bytes
    }
}

/// A zstd context at [`ZSTD_LEVEL`] whose frames carry a checksum: without one a flipped
/// bit in a story's text unpacks silently into other text.
fn compressor() -> std::io::Result<zstd::bulk::Compressor<'static>> {
    let mut z = zstd::bulk::Compressor::new(ZSTD_LEVEL)?;
    z.include_checksum(true)?;
    Ok(z)
}

/// A story as stored: `ZSTD_DICT` and its JSON as one zstd frame compressed with `dict`, or
/// `ZSTD` and one without. Records and keys stay uncompressed, so the index loads without
/// unpacking anything.
pub(super) fn encode_story(story: &Story, dict: Option<&StoryDict>) -> Vec<u8> {
    let json = encode(story);
    // Compressing memory into memory does not fail; if it ever did, plain JSON still reads.
    dict.and_then(|dict| compress_with(&json, dict))
        .or_else(|| compress(&json))
        .unwrap_or(json)
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

/// `ZSTD_DICT` and one zstd frame of `bytes` compressed with `dict`, with its content size
/// and a checksum.
fn compress_with(bytes: &[u8], dict: &StoryDict) -> Option<Vec<u8>> {
    let mut frame = Vec::with_capacity(zstd::zstd_safe::compress_bound(bytes.len()));
    DICT_COMPRESS.with(|z| {
        let mut z = z.borrow_mut();
        let z = z.as_mut()?;
        let packed = z.ref_cdict(&dict.compress).is_ok()
            && z.set_parameter(CParameter::ChecksumFlag(true)).is_ok()
            && z.compress2(&mut frame, bytes).is_ok();
        // The context must not point at a dictionary it may outlive.
        let released = z.disable_dictionary().is_ok();
        (packed && released).then_some(())
    })?;
    let mut out = Vec::with_capacity(1 + frame.len());
    out.push(ZSTD_DICT);
    out.extend_from_slice(&frame);
    Some(out)
}

/// The content size a zstd frame claims, within [`MAX_STORY_BYTES`].
fn frame_size(frame: &[u8]) -> std::io::Result<usize> {
    match zstd::zstd_safe::get_frame_content_size(frame) {
        Ok(Some(size)) if size <= MAX_STORY_BYTES => Ok(size as usize),
        Ok(Some(_)) => Err(bad("zstd frame claims more than 256 MiB")),
        Ok(None) | Err(_) => Err(bad("zstd frame without a readable content size")),
    }
}

fn bad(why: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, why.to_string())
}

/// The bytes of one zstd frame; an error for a damaged or cut one, or one claiming more
/// than [`MAX_STORY_BYTES`].
fn decompress(frame: &[u8]) -> std::io::Result<Vec<u8>> {
    unpack_checked(frame, |out| {
        DECOMPRESS.with(|z| {
            let mut z = z.borrow_mut();
            let z = z.as_mut().ok_or_else(no_context)?;
            z.decompress_to_buffer(frame, out)
        })
    })
}

/// [`decompress`] of a frame compressed with `dict`.
fn decompress_with(frame: &[u8], dict: &StoryDict) -> std::io::Result<Vec<u8>> {
    unpack_checked(frame, |out| {
        DICT_DECOMPRESS.with(|z| {
            let mut z = z.borrow_mut();
            let z = z.as_mut().ok_or_else(no_context)?;
            z.decompress_using_ddict(out, frame, &dict.decompress)
                .map_err(|code| bad(zstd::zstd_safe::get_error_name(code)))
        })
    })
}

/// Unpacks a frame into a buffer of the size it claims (checked first) and holds it to
/// that size: a frame that unpacks to less was cut.
fn unpack_checked(
    frame: &[u8],
    unpack: impl FnOnce(&mut Vec<u8>) -> std::io::Result<usize>,
) -> std::io::Result<Vec<u8>> {
    let size = frame_size(frame)?;
    let mut out = Vec::with_capacity(size);
    if unpack(&mut out)? == size {
        Ok(out)
    } else {
        Err(bad("zstd frame shorter than its content size"))
    }
}

fn no_context() -> std::io::Error {
    std::io::Error::other("zstd decompression context unavailable")
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

/// Reads a stored story: zstd with the store's dictionary or without, deflated or plain
/// JSON.
pub(super) fn decode_story(bytes: &[u8], dict: Option<&StoryDict>) -> Result<Story> {
    let unpacked = match bytes.split_first() {
        Some((&ZSTD_DICT, frame)) => match dict {
            Some(dict) => decompress_with(frame, dict),
            None => Err(bad(
                "story compressed with the store's dictionary, which is missing from its meta tree",
            )),
        },
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

    /// JSON-like values that share their structure and some phrasing, as stories do.
    fn samples(salt: u32, n: u32) -> Vec<Vec<u8>> {
        let words = [
            "Hafen",
            "Brücke",
            "Stadtrat",
            "Wetterdienst",
            "Verband",
            "Messe",
        ];
        (0..n)
            .map(|i| {
                let x = i.wrapping_mul(2_654_435_761) ^ salt;
                format!(
                    "{{\"id\":\"{x:032x}\",\"source\":\"quelle{}\",\"title\":\"{} meldet {}\",\
                     \"content_html\":\"<p>Der {} hat am Montag nach eigenen Angaben {} \
                     Besucher gezählt, teilte ein Sprecher mit.</p>\",\"version\":1}}",
                    x % 7,
                    words[(x % 6) as usize],
                    x % 1000,
                    words[(x / 7 % 6) as usize],
                    x % 100_000,
                )
                .into_bytes()
            })
            .collect()
    }

    #[test]
    fn a_trained_dictionary_packs_tighter_and_only_it_unpacks_its_frames() {
        let dict = StoryDict::from_samples(&samples(0, 400)).expect("trains");
        let other = StoryDict::from_samples(&samples(0x5a5a, 400)).expect("trains");
        let reloaded = StoryDict::new(dict.bytes().to_vec()).expect("loads from its bytes");
        let (mut with, mut without) = (0, 0);
        for value in samples(0x1234, 50) {
            let packed = compress_with(&value, &dict).expect("compresses");
            assert_eq!(packed[0], ZSTD_DICT);
            assert_eq!(
                decompress_with(&packed[1..], &reloaded).expect("unpacks"),
                value
            );
            // Another store's dictionary does not unpack it into anything.
            assert!(decompress_with(&packed[1..], &other).is_err());
            with += packed.len();
            without += compress(&value).expect("compresses").len();
        }
        assert!(
            with * 10 < without * 8,
            "{with} bytes with, {without} without"
        );

        let packed = compress_with(&samples(7, 1)[0], &dict).expect("compresses");
        assert!(decompress_with(&packed[1..packed.len() - 3], &dict).is_err());
        let mut damaged = packed.clone();
        let middle = packed.len() / 2;
        damaged[middle] ^= 0x20;
        assert!(decompress_with(&damaged[1..], &dict).is_err());
        let err = decode_story(&packed, None).expect_err("no dictionary");
        assert!(err.to_string().contains("dictionary"), "{err}");
        // A damaged dictionary value is refused, not used.
        assert!(StoryDict::new(b"not a dictionary at all".to_vec()).is_none());
        assert!(StoryDict::new(dict.bytes()[..6].to_vec()).is_none());
    }
}
