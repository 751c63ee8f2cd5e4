//! The index image: the in-memory index written to one file at a clean close and read back
//! at the next open instead of rebuilding it from every index record.
//!
//! Rebuilding a million stories' index took some 20 s (decoding, band keys, and inserts
//! that each miss the cache); reading the vectors back is a sequential read. The image is
//! only as good as its agreement with sled, which is the store's business (`Store::open`
//! and `Store::close`): the file carries the token the store wrote into its `meta` tree
//! after it, and this module only checks that the file is whole, carries that token and
//! describes an index no later call can panic on.
//!
//! The image holds the index as the store ran, which is not always what a rebuild makes of
//! the records: a band key saturated by stories since expired stays saturated (as in a
//! daemon that never stopped), where a rebuild counts only the stories left; and slots keep
//! their numbers, free ones included.
//!
//! Layout, all little-endian: [`MAGIC`], format version u32, token u64, then the counts
//! (slots, signature words, free slots, next sequence number, id table buckets and length,
//! key table buckets and length, band entries), then the sections: ids u128, dates u64,
//! seqs u64, signature lengths u32 and every signature word u16, free slots u32, id table
//! buckets u32, key table buckets u64, band bucket lengths u32 and band entries of 5 bytes;
//! last a blake3 hash of everything before it. The counts fix the file's length, so a damaged count is
//! refused before anything is allocated for it.

use super::bands::{Entry, BUCKETS};
use super::index::{Index, OwnedIndex};
use std::fs::{File, OpenOptions};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

/// The image's file name in the store directory (beside sled's files).
pub const FILE_NAME: &str = "index.image";
const MAGIC: &[u8; 8] = b"WFINDEX\0";
/// Bumped when the layout or the meaning of any part of the index changes. 3: signatures
/// in their compact form (the full sketch narrowed to 8 bits), band keys of the narrowed
/// values, band entries of 5 bytes. 4: the tables' sizes as bucket counts, not powers of
/// two, and the compact signatures' header in three words instead of five. An image of
/// another version is refused (the store then rebuilds the index from its records, once,
/// and closes with an image of this one).
const VERSION: u32 = 4;
/// Magic, version, token, the four counts of the slots, the two tables' buckets and
/// lengths, and the band entries.
const HEADER_LEN: u64 = 8 + 4 + 8 + 4 * 8 + 2 * (8 + 8) + 8;
const HASH_LEN: u64 = 32;
/// Bytes read or written per call: large enough that hashing runs at full speed, small
/// enough that no section is ever held twice.
const CHUNK: usize = 1 << 16;

/// Why an image was not used; the store logs it and rebuilds the index.
#[derive(Debug, thiserror::Error)]
pub enum ImageError {
    #[error("index image {path}: {source}")]
    Io { path: PathBuf, source: io::Error },
    #[error("index image {path} is not one (wrong magic bytes)")]
    Magic { path: PathBuf },
    #[error("index image {path} has format {found}, this version reads {VERSION}")]
    Version { path: PathBuf, found: u32 },
    #[error("index image {path} belongs to another close of the store (its token does not match the store's)")]
    Token { path: PathBuf },
    #[error(
        "index image {path} is {found} bytes, its header says {expected}: cut short or damaged"
    )]
    Length {
        path: PathBuf,
        found: u64,
        expected: u64,
    },
    #[error("index image {path} fails its checksum: damaged")]
    Checksum { path: PathBuf },
    #[error("index image {path} is inconsistent: {reason}")]
    Inconsistent { path: PathBuf, reason: &'static str },
}

/// Writes `index` to `path` under `token`: into a temp file in the same directory, fsynced,
/// renamed over `path`, and the directory fsynced, like the published feeds, so `path` is
/// either the old image or the whole new one. Returns the bytes written.
pub fn write(index: &Index, token: u64, path: &Path) -> Result<u64, ImageError> {
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut tmp_name = path.file_name().unwrap_or_default().to_os_string();
    tmp_name.push(".tmp");
    // One writer at a time: the caller holds sled's lock on the directory, so a fixed
    // name is safe, and a temp file a crash left behind is simply written over.
    let tmp = dir.join(tmp_name);
    let io_err = |source| ImageError::Io {
        path: tmp.clone(),
        source,
    };
    let result = write_file(index, token, &tmp).map_err(io_err);
    let bytes = match result {
        Ok(bytes) => bytes,
        Err(e) => {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
    };
    std::fs::rename(&tmp, path).map_err(|source| ImageError::Io {
        path: path.to_path_buf(),
        source,
    })?;
    File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(|source| ImageError::Io {
            path: dir.to_path_buf(),
            source,
        })?;
    Ok(bytes)
}

fn write_file(index: &Index, token: u64, tmp: &Path) -> io::Result<u64> {
    let file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .open(tmp)?;
    let mut out = BufWriter::with_capacity(
        1 << 20,
        Hashing {
            inner: file,
            hasher: blake3::Hasher::new(),
            bytes: 0,
        },
    );
    let raw = index.raw();
    let words: usize = raw.sigs.live_words().map(<[u16]>::len).sum();
    let entries: usize = raw.bands.iter().map(Vec::len).sum();
    out.write_all(MAGIC)?;
    out.write_all(&VERSION.to_le_bytes())?;
    out.write_all(&token.to_le_bytes())?;
    for count in [raw.ids.len(), words, raw.free.len()] {
        out.write_all(&(count as u64).to_le_bytes())?;
    }
    out.write_all(&raw.next_seq.to_le_bytes())?;
    out.write_all(&(raw.slots.0.len() as u64).to_le_bytes())?;
    out.write_all(&(raw.slots.1 as u64).to_le_bytes())?;
    out.write_all(&(raw.keys.0.len() as u64).to_le_bytes())?;
    out.write_all(&(raw.keys.1 as u64).to_le_bytes())?;
    out.write_all(&(entries as u64).to_le_bytes())?;
    for &id in raw.ids {
        out.write_all(&id.to_le_bytes())?;
    }
    for &v in raw.dates.iter().chain(raw.seqs) {
        out.write_all(&v.to_le_bytes())?;
    }
    // Slot by slot, so the garbage of the running arena is left behind.
    for sig in raw.sigs.live_words() {
        out.write_all(&(sig.len() as u32).to_le_bytes())?;
    }
    for &w in raw.sigs.live_words().flatten() {
        out.write_all(&w.to_le_bytes())?;
    }
    for &v in raw.free.iter().chain(raw.slots.0) {
        out.write_all(&v.to_le_bytes())?;
    }
    for &v in raw.keys.0 {
        out.write_all(&v.to_le_bytes())?;
    }
    for bucket in raw.bands {
        out.write_all(&(bucket.len() as u32).to_le_bytes())?;
    }
    for e in raw.bands.iter().flatten() {
        out.write_all(e)?;
    }
    let mut hashing = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    let hash = hashing.hasher.finalize();
    hashing.inner.write_all(hash.as_bytes())?;
    hashing.inner.sync_all()?;
    Ok(hashing.bytes + HASH_LEN)
}

/// Hashes every byte on its way to the file (under the `BufWriter`, so it hashes in large
/// runs, not per value).
struct Hashing {
    inner: File,
    hasher: blake3::Hasher,
    bytes: u64,
}

impl Write for Hashing {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// Reads the image at `path`, which must carry `token`, into an index. Every section goes
/// straight into its vector in [`CHUNK`]s, so the peak is the index itself and a chunk.
/// Any damage is an error, never a panic: lengths are checked against the file's size
/// before anything is allocated, the checksum after the last byte, and the index's
/// structure by `Index::from_raw`.
pub fn read(path: &Path, token: u64) -> Result<Index, ImageError> {
    let io_err = |source| ImageError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let size = file.metadata().map_err(io_err)?.len();
    let mut src = Source {
        inner: BufReader::with_capacity(1 << 20, file),
        hasher: blake3::Hasher::new(),
        chunk: vec![0; CHUNK],
    };
    let header = src.header().map_err(io_err)?;
    if &header.magic != MAGIC {
        return Err(ImageError::Magic {
            path: path.to_path_buf(),
        });
    }
    if header.version != VERSION {
        return Err(ImageError::Version {
            path: path.to_path_buf(),
            found: header.version,
        });
    }
    if header.token != token {
        return Err(ImageError::Token {
            path: path.to_path_buf(),
        });
    }
    let inconsistent = |reason| ImageError::Inconsistent {
        path: path.to_path_buf(),
        reason,
    };
    let expected = header
        .file_len()
        .ok_or_else(|| inconsistent("the counts overflow"))?;
    if expected != size {
        return Err(ImageError::Length {
            path: path.to_path_buf(),
            found: size,
            expected,
        });
    }
    let owned = match src.sections(&header).map_err(io_err)? {
        Ok(owned) => owned,
        Err(reason) => return Err(inconsistent(reason)),
    };
    let mut stored = [0u8; HASH_LEN as usize];
    src.inner.read_exact(&mut stored).map_err(io_err)?;
    if src.hasher.finalize() != blake3::Hash::from_bytes(stored) {
        return Err(ImageError::Checksum {
            path: path.to_path_buf(),
        });
    }
    Index::from_raw(owned).map_err(inconsistent)
}

struct Header {
    magic: [u8; 8],
    version: u32,
    token: u64,
    slots: u64,
    words: u64,
    free: u64,
    next_seq: u64,
    id_buckets: u64,
    id_len: u64,
    key_buckets: u64,
    key_len: u64,
    entries: u64,
}

impl Header {
    /// The file length the counts make, None when they overflow.
    fn file_len(&self) -> Option<u64> {
        let parts = [
            self.slots.checked_mul(16 + 8 + 8 + 4)?,
            self.words.checked_mul(2)?,
            self.free.checked_mul(4)?,
            self.id_buckets.checked_mul(4)?,
            self.key_buckets.checked_mul(8)?,
            BUCKETS as u64 * 4,
            self.entries.checked_mul(5)?,
        ];
        parts
            .iter()
            .try_fold(HEADER_LEN + HASH_LEN, |sum, &p| sum.checked_add(p))
    }
}

/// The file being read, hashed as it is consumed (above the `BufReader`, so the trailing
/// hash, which may already sit in its buffer, is not hashed).
struct Source {
    inner: BufReader<File>,
    hasher: blake3::Hasher,
    chunk: Vec<u8>,
}

impl Source {
    fn bytes<const N: usize>(&mut self) -> io::Result<[u8; N]> {
        let mut buf = [0u8; N];
        self.inner.read_exact(&mut buf)?;
        self.hasher.update(&buf);
        Ok(buf)
    }

    fn u32(&mut self) -> io::Result<u32> {
        self.bytes().map(u32::from_le_bytes)
    }

    fn u64(&mut self) -> io::Result<u64> {
        self.bytes().map(u64::from_le_bytes)
    }

    fn header(&mut self) -> io::Result<Header> {
        Ok(Header {
            magic: self.bytes()?,
            version: self.u32()?,
            token: self.u64()?,
            slots: self.u64()?,
            words: self.u64()?,
            free: self.u64()?,
            next_seq: self.u64()?,
            id_buckets: self.u64()?,
            id_len: self.u64()?,
            key_buckets: self.u64()?,
            key_len: self.u64()?,
            entries: self.u64()?,
        })
    }

    /// Reads `n` values of `N` bytes each into a vector of exactly that capacity.
    fn vec<T, const N: usize>(&mut self, n: usize, from: fn([u8; N]) -> T) -> io::Result<Vec<T>> {
        let mut out = Vec::with_capacity(n);
        let per = CHUNK / N;
        let mut left = n;
        while left > 0 {
            let take = left.min(per);
            let buf = &mut self.chunk[..take * N];
            self.inner.read_exact(buf)?;
            self.hasher.update(buf);
            out.extend(
                buf.chunks_exact(N)
                    .map(|c| from(c.try_into().expect("chunks_exact yields N bytes"))),
            );
            left -= take;
        }
        Ok(out)
    }

    /// Every section after the header, whose counts the file's length has vouched for (so
    /// every allocation here is bounded by the file). The outer error is the file's, the
    /// inner one a section that disagrees with the counts.
    fn sections(&mut self, header: &Header) -> io::Result<Result<OwnedIndex, &'static str>> {
        let (Ok(id_len), Ok(key_len), Ok(id_buckets), Ok(key_buckets)) = (
            usize::try_from(header.id_len),
            usize::try_from(header.key_len),
            usize::try_from(header.id_buckets),
            usize::try_from(header.key_buckets),
        ) else {
            return Ok(Err("a table's length is out of range"));
        };
        let slots = header.slots as usize;
        let ids = self.vec(slots, u128::from_le_bytes)?;
        let dates = self.vec(slots, u64::from_le_bytes)?;
        let seqs = self.vec(slots, u64::from_le_bytes)?;
        let lens = self.vec(slots, u32::from_le_bytes)?;
        if lens.iter().map(|&l| u64::from(l)).sum::<u64>() != header.words {
            return Ok(Err("the signature lengths do not add up to the words"));
        }
        let words = self.vec(header.words as usize, u16::from_le_bytes)?;
        let free = self.vec(header.free as usize, u32::from_le_bytes)?;
        let id_buckets = self.vec(id_buckets, u32::from_le_bytes)?;
        let key_buckets = self.vec(key_buckets, u64::from_le_bytes)?;
        let band_lens = self.vec(BUCKETS, u32::from_le_bytes)?;
        if band_lens.iter().map(|&l| u64::from(l)).sum::<u64>() != header.entries {
            return Ok(Err("the band bucket lengths do not add up to the entries"));
        }
        let mut bands = Vec::with_capacity(BUCKETS);
        for len in band_lens {
            bands.push(self.vec(len as usize, |e: Entry| e)?);
        }
        Ok(Ok(OwnedIndex {
            ids,
            dates,
            seqs,
            sigs: (words, lens),
            free,
            next_seq: header.next_seq,
            slots: (id_buckets, id_len),
            keys: (key_buckets, key_len),
            bands,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::dedup;
    use crate::store::index::Record;

    /// An index of a few stories with signatures, a removed one (a free slot) and keys.
    fn index() -> Index {
        let mut index = Index::default();
        for n in 1..=40u32 {
            let record = Record {
                date: u64::from(n) * 1000,
                guids: vec![format!("src\0g{n}").into_bytes()],
                links: vec![format!("example.com/{n}")],
                prints: vec![format!("print{n}")],
                sigs: vec![dedup::signature(
                    &format!("Meldung {n}"),
                    &format!("Der Gemeinderat von Beispielstadt {n} hat am Montag {n} neue Bänke für den Park am Fluss beschlossen, teilte die Verwaltung mit."),
                )],
            };
            index.add(&format!("{n:032x}"), None, &record, None);
        }
        index.remove(&format!("{:032x}", 7), None);
        index
    }

    /// The file's bytes with the checksum made right again, so only the structure checks
    /// stand between a change and the index.
    fn rehash(bytes: &mut [u8]) {
        let body = bytes.len() - HASH_LEN as usize;
        let hash = blake3::hash(&bytes[..body]);
        bytes[body..].copy_from_slice(hash.as_bytes());
    }

    #[test]
    fn an_image_reads_back_as_the_index_it_was_written_from() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        let index = index();
        let bytes = write(&index, 42, &path).expect("write");
        assert_eq!(std::fs::metadata(&path).expect("file").len(), bytes);
        let back = read(&path, 42).expect("read");
        assert_eq!(back.size(), index.size());
        assert_eq!(back.newest_first(), index.newest_first());
        assert!(!back.changed());
        let sig = dedup::signature(
            "Meldung 3",
            "Der Gemeinderat von Beispielstadt 3 hat am Montag 3 neue Bänke für den Park am Fluss beschlossen, teilte die Verwaltung mit.",
        );
        let bands = dedup::band_keys(sig.view());
        assert_eq!(back.candidates(&bands), index.candidates(&bands));
        let key = format!("src\0g{}", 12).into_bytes();
        assert_eq!(
            back.lookup(super::super::index::Kind::Guid, &key),
            index.lookup(super::super::index::Kind::Guid, &key)
        );
        assert!(matches!(read(&path, 43), Err(ImageError::Token { .. })));
    }

    #[test]
    fn no_damage_to_an_image_panics_or_passes_for_the_index() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        write(&index(), 42, &path).expect("write");
        let good = std::fs::read(&path).expect("read");
        let check = |bytes: &[u8], rehashed: bool, what: &str| {
            std::fs::write(&path, bytes).expect("write");
            match read(&path, 42) {
                // Only a change in a part that holds plain values (dates, sequence
                // numbers, signature words, band tags) can pass once the hash is right.
                Ok(_) => assert!(rehashed, "{what}: damage passed the checksum"),
                Err(e) => {
                    let _ = e.to_string();
                }
            }
        };
        // Every byte of the header and a spread of bytes everywhere else, each inverted,
        // once as found and once with the checksum made right.
        let positions = (0..HEADER_LEN as usize)
            .chain((HEADER_LEN as usize..good.len()).step_by(good.len() / 101));
        for at in positions {
            let mut bytes = good.clone();
            bytes[at] ^= 0xff;
            check(&bytes, false, &format!("byte {at} inverted"));
            rehash(&mut bytes);
            check(&bytes, true, &format!("byte {at} inverted, rehashed"));
        }
        for len in [0, 7, HEADER_LEN as usize, good.len() / 2, good.len() - 1] {
            check(&good[..len], false, &format!("cut at {len}"));
        }
    }

    #[test]
    fn an_image_of_an_earlier_format_is_refused_by_its_version() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        write(&index(), 42, &path).expect("write");
        let mut bytes = std::fs::read(&path).expect("read");
        // Format 3 had the same magic and token in front of other sections.
        bytes[8..12].copy_from_slice(&3u32.to_le_bytes());
        rehash(&mut bytes);
        std::fs::write(&path, &bytes).expect("write");
        match read(&path, 42) {
            Err(ImageError::Version { found: 3, .. }) => {}
            Err(other) => panic!("wrong error: {other}"),
            Ok(_) => panic!("an image of format 3 was read as format {VERSION}"),
        }
    }

    #[test]
    fn structural_damage_with_a_right_checksum_is_refused_with_its_reason() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join(FILE_NAME);
        let index = index();
        write(&index, 42, &path).expect("write");
        let good = std::fs::read(&path).expect("read");
        let slots = index.raw().ids.len();
        // The free list follows ids, dates, seqs, signature lengths and words.
        let words: usize = index.raw().sigs.live_words().map(<[u16]>::len).sum();
        let free_at = HEADER_LEN as usize + slots * (16 + 8 + 8 + 4) + words * 2;
        let mut bytes = good.clone();
        bytes[free_at..free_at + 4].copy_from_slice(&3u32.to_le_bytes());
        rehash(&mut bytes);
        std::fs::write(&path, &bytes).expect("write");
        match read(&path, 42) {
            Err(ImageError::Inconsistent { reason, .. }) => {
                assert!(reason.contains("free slot"), "{reason}")
            }
            Err(other) => panic!("wrong error: {other}"),
            Ok(_) => panic!("a taken slot listed free was accepted"),
        }
    }
}
