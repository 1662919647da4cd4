//! The on-disk format of [`FilePager`](super::FilePager), on top of simd-r-drive entries.
//!
//! A simd-r-drive file is a chain of entries `[pre-pad][payload][metadata: key hash u64,
//! previous tail u64, crc32 of payload u32]`, each payload starting at a 64-byte aligned
//! file offset. A FilePager file holds:
//!
//! 1. the **file header** entry (key `llkv/file-header`), always first, so its payload sits
//!    at offset 0: magic `LLKVFILE`, format version, the sequence number of the first batch
//!    record, and a crc32;
//! 2. one **batch record** entry per `write_batch` (key `llkv/batch/` + big-endian sequence
//!    number), in sequence order, each written as a single simd-r-drive entry:
//!
//! ```text
//! offset  size  field
//!      0     8  magic "LLKVBTCH"
//!      8     4  format version
//!     12     4  flags (0)
//!     16     8  seq          batch sequence number (consecutive within a file)
//!     24     8  synced_seq   every batch with seq <= this was durable when this one was written
//!     32     8  key_hwm      allocation high-water mark: alloc_keys had handed out keys < this
//!     40     4  n_puts
//!     44     4  n_frees
//!     48     8  body_offset  align64(72 + 24 n_puts + 8 n_frees)
//!     56     8  total_len    payload length
//!     64     4  body_crc     crc32 of payload[body_offset..total_len]
//!     68     4  header_crc   crc32 of payload[0..68] ++ directory
//!     72        directory: n_puts x (key u64, offset u64, len u64), then n_frees x key u64
//! body_offset   blobs, each at a 64-byte aligned offset inside the payload, zero padding
//! ```
//!
//! All integers are little-endian. Blob offsets are relative to the payload start.

use std::io::{self, Read};

use llkv_traits::pager::{PagerError, PhysicalKey};
use simd_r_drive::{METADATA_SIZE, PAYLOAD_ALIGNMENT};

/// The newest format version this build reads and the one it writes.
pub(crate) const FORMAT_VERSION: u32 = 1;
/// Magic at offset 0 of every FilePager file.
pub(crate) const FILE_MAGIC: [u8; 8] = *b"LLKVFILE";
/// Magic at the start of every batch record.
pub(crate) const RECORD_MAGIC: [u8; 8] = *b"LLKVBTCH";
/// simd-r-drive key of the file header entry.
pub(crate) const HEADER_KEY: &[u8] = b"llkv/file-header";
/// Length of the file header payload.
pub(crate) const HEADER_LEN: usize = 64;
/// File offset just past the header entry (payload + simd-r-drive metadata).
pub(crate) const HEADER_ENTRY_END: u64 = (HEADER_LEN + METADATA_SIZE) as u64;
/// Length of the fixed part of a record header.
pub(crate) const RECORD_FIXED_LEN: usize = 72;
/// Length of one put in the directory.
const PUT_LEN: u64 = 24;
/// Length of one free in the directory.
const FREE_LEN: u64 = 8;
/// Alignment of blobs inside a record (and of payload starts in the file).
pub(crate) const ALIGN: u64 = 64;
const _: () = assert!(PAYLOAD_ALIGNMENT == ALIGN);

const RECORD_KEY_PREFIX: &[u8; 11] = b"llkv/batch/";

/// The simd-r-drive key of the record with sequence number `seq`.
pub(crate) fn record_key(seq: u64) -> [u8; 19] {
    let mut key = [0u8; 19];
    key[..11].copy_from_slice(RECORD_KEY_PREFIX);
    key[11..].copy_from_slice(&seq.to_be_bytes());
    key
}

/// Bytes simd-r-drive pads before a payload written when the file ends at `offset`.
pub(crate) fn prepad(offset: u64) -> u64 {
    (ALIGN - offset % ALIGN) % ALIGN
}

fn align_up(x: u64) -> Option<u64> {
    x.checked_add(ALIGN - 1).map(|v| v & !(ALIGN - 1))
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

/// The file header: the payload of the first entry of the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FileHeader {
    /// Sequence number of the first batch record of this file.
    pub first_seq: u64,
}

impl FileHeader {
    /// Encodes the header payload (magic, version, flags, first_seq, zeros, crc32).
    pub fn encode(&self) -> [u8; HEADER_LEN] {
        let mut b = [0u8; HEADER_LEN];
        b[0..8].copy_from_slice(&FILE_MAGIC);
        b[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        b[16..24].copy_from_slice(&self.first_seq.to_le_bytes());
        let crc = crc32fast::hash(&b[..HEADER_LEN - 4]);
        b[HEADER_LEN - 4..].copy_from_slice(&crc.to_le_bytes());
        b
    }

    /// Decodes a header payload: wrong magic or crc is `Corrupt`, a newer version is
    /// `UnsupportedVersion`. `bytes` may be shorter than a header (a truncated file).
    pub fn decode(bytes: &[u8]) -> Result<Self, PagerError> {
        if bytes.len() < 8 || bytes[0..8] != FILE_MAGIC {
            return Err(PagerError::Corrupt(
                "not an LLKV database file (bad magic)".into(),
            ));
        }
        if bytes.len() < HEADER_LEN {
            return Err(PagerError::Corrupt("file header is truncated".into()));
        }
        let version = u32_at(bytes, 8);
        if version > FORMAT_VERSION {
            return Err(PagerError::UnsupportedVersion {
                found: version,
                supported: FORMAT_VERSION,
            });
        }
        if version == 0 {
            return Err(PagerError::Corrupt("file header has version 0".into()));
        }
        let crc = u32_at(bytes, HEADER_LEN - 4);
        if crc32fast::hash(&bytes[..HEADER_LEN - 4]) != crc {
            return Err(PagerError::Corrupt("file header checksum mismatch".into()));
        }
        Ok(Self {
            first_seq: u64_at(bytes, 16),
        })
    }
}

/// The fixed part of a record header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RecordHeader {
    pub seq: u64,
    pub synced_seq: u64,
    pub key_hwm: u64,
    pub n_puts: u32,
    pub n_frees: u32,
    pub body_offset: u64,
    pub total_len: u64,
    pub body_crc: u32,
    pub header_crc: u32,
}

impl RecordHeader {
    /// Length of header plus directory.
    pub fn dir_end(&self) -> u64 {
        dir_end(self.n_puts, self.n_frees)
    }

    fn encode_fixed(&self) -> [u8; RECORD_FIXED_LEN] {
        let mut b = [0u8; RECORD_FIXED_LEN];
        b[0..8].copy_from_slice(&RECORD_MAGIC);
        b[8..12].copy_from_slice(&FORMAT_VERSION.to_le_bytes());
        b[16..24].copy_from_slice(&self.seq.to_le_bytes());
        b[24..32].copy_from_slice(&self.synced_seq.to_le_bytes());
        b[32..40].copy_from_slice(&self.key_hwm.to_le_bytes());
        b[40..44].copy_from_slice(&self.n_puts.to_le_bytes());
        b[44..48].copy_from_slice(&self.n_frees.to_le_bytes());
        b[48..56].copy_from_slice(&self.body_offset.to_le_bytes());
        b[56..64].copy_from_slice(&self.total_len.to_le_bytes());
        b[64..68].copy_from_slice(&self.body_crc.to_le_bytes());
        b[68..72].copy_from_slice(&self.header_crc.to_le_bytes());
        b
    }

    /// Decodes and sanity-checks the fixed header. The directory and its checksum are
    /// checked by [`Record::decode_directory`].
    pub fn decode_fixed(b: &[u8; RECORD_FIXED_LEN]) -> Result<Self, String> {
        if b[0..8] != RECORD_MAGIC {
            return Err("bad record magic".into());
        }
        let version = u32_at(b, 8);
        if version != FORMAT_VERSION {
            return Err(format!("record has format version {version}"));
        }
        if u32_at(b, 12) != 0 {
            return Err("record has unknown flags".into());
        }
        let h = Self {
            seq: u64_at(b, 16),
            synced_seq: u64_at(b, 24),
            key_hwm: u64_at(b, 32),
            n_puts: u32_at(b, 40),
            n_frees: u32_at(b, 44),
            body_offset: u64_at(b, 48),
            total_len: u64_at(b, 56),
            body_crc: u32_at(b, 64),
            header_crc: u32_at(b, 68),
        };
        if h.synced_seq >= h.seq {
            return Err("record claims to be durable before it was written".into());
        }
        if align_up(h.dir_end()) != Some(h.body_offset) || h.total_len < h.body_offset {
            return Err("record layout fields are inconsistent".into());
        }
        Ok(h)
    }
}

/// Length of a record header plus a directory of `n_puts` puts and `n_frees` frees.
fn dir_end(n_puts: u32, n_frees: u32) -> u64 {
    RECORD_FIXED_LEN as u64 + PUT_LEN * u64::from(n_puts) + FREE_LEN * u64::from(n_frees)
}

/// One put in a record directory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PutEntry {
    pub key: PhysicalKey,
    /// Offset of the blob from the start of the record payload (64-byte aligned).
    pub offset: u64,
    pub len: u64,
}

/// A record: its header and directory.
#[derive(Debug, Clone)]
pub(crate) struct Record {
    pub header: RecordHeader,
    pub puts: Vec<PutEntry>,
    pub frees: Vec<PhysicalKey>,
}

/// A piece of a record payload, for streaming it to disk without assembling it in memory.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Part<'a> {
    Bytes(&'a [u8]),
    Zeros(u64),
}

impl Record {
    /// Lays out a record holding blobs of the given `(key, len)` and the given frees. The
    /// checksums are filled in by [`Record::encode`].
    pub fn plan(
        seq: u64,
        synced_seq: u64,
        key_hwm: u64,
        puts: impl IntoIterator<Item = (PhysicalKey, u64)>,
        frees: Vec<PhysicalKey>,
    ) -> Result<Self, PagerError> {
        let too_big = || PagerError::Io(io::Error::other("write batch too large for one record"));
        let puts: Vec<(PhysicalKey, u64)> = puts.into_iter().collect();
        let n_puts = u32::try_from(puts.len()).map_err(|_| too_big())?;
        let n_frees = u32::try_from(frees.len()).map_err(|_| too_big())?;
        let body_offset = align_up(dir_end(n_puts, n_frees)).ok_or_else(too_big)?;
        let mut cursor = body_offset;
        let mut entries = Vec::with_capacity(puts.len());
        for (key, len) in puts {
            let offset = align_up(cursor).ok_or_else(too_big)?;
            cursor = offset.checked_add(len).ok_or_else(too_big)?;
            entries.push(PutEntry { key, offset, len });
        }
        Ok(Self {
            header: RecordHeader {
                seq,
                synced_seq,
                key_hwm,
                n_puts,
                n_frees,
                body_offset,
                total_len: cursor,
                body_crc: 0,
                header_crc: 0,
            },
            puts: entries,
            frees,
        })
    }

    /// The body (blob area) as parts; `blobs[i]` is the blob of `self.puts[i]`.
    pub fn body_parts<'a>(&self, blobs: &[&'a [u8]]) -> Vec<Part<'a>> {
        let mut parts = Vec::with_capacity(2 * blobs.len());
        let mut cursor = self.header.body_offset;
        for (put, blob) in self.puts.iter().zip(blobs) {
            if put.offset > cursor {
                parts.push(Part::Zeros(put.offset - cursor));
            }
            parts.push(Part::Bytes(blob));
            cursor = put.offset + put.len;
        }
        parts
    }

    /// Fills in both checksums and returns the header and directory bytes, zero padded up
    /// to `body_offset`: the payload is these bytes followed by `body_parts`.
    pub fn encode(&mut self, body: &[Part<'_>]) -> Vec<u8> {
        let mut crc = crc32fast::Hasher::new();
        for part in body {
            match part {
                Part::Bytes(b) => crc.update(b),
                Part::Zeros(n) => update_zeros(&mut crc, *n),
            }
        }
        self.header.body_crc = crc.finalize();
        let mut out = Vec::with_capacity(self.header.body_offset as usize);
        out.extend_from_slice(&self.header.encode_fixed());
        for p in &self.puts {
            out.extend_from_slice(&p.key.to_le_bytes());
            out.extend_from_slice(&p.offset.to_le_bytes());
            out.extend_from_slice(&p.len.to_le_bytes());
        }
        for k in &self.frees {
            out.extend_from_slice(&k.to_le_bytes());
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&out[..RECORD_FIXED_LEN - 4]);
        crc.update(&out[RECORD_FIXED_LEN..]);
        self.header.header_crc = crc.finalize();
        out[RECORD_FIXED_LEN - 4..RECORD_FIXED_LEN]
            .copy_from_slice(&self.header.header_crc.to_le_bytes());
        out.resize(self.header.body_offset as usize, 0);
        out
    }

    /// Checks the directory bytes (`payload[72..dir_end]`) against the header checksum and
    /// the layout rules, and decodes them.
    pub fn decode_directory(
        header: RecordHeader,
        fixed: &[u8; RECORD_FIXED_LEN],
        dir: &[u8],
    ) -> Result<Self, String> {
        if dir.len() as u64 != header.dir_end() - RECORD_FIXED_LEN as u64 {
            return Err("directory length mismatch".into());
        }
        let mut crc = crc32fast::Hasher::new();
        crc.update(&fixed[..RECORD_FIXED_LEN - 4]);
        crc.update(dir);
        if crc.finalize() != header.header_crc {
            return Err("record header checksum mismatch".into());
        }
        let n_puts = header.n_puts as usize;
        let mut puts = Vec::with_capacity(n_puts);
        let mut prev_end = header.body_offset;
        for i in 0..n_puts {
            let at = i * PUT_LEN as usize;
            let put = PutEntry {
                key: u64_at(dir, at),
                offset: u64_at(dir, at + 8),
                len: u64_at(dir, at + 16),
            };
            let end = put.offset.checked_add(put.len);
            if !put.offset.is_multiple_of(ALIGN)
                || put.offset < prev_end
                || end.is_none_or(|e| e > header.total_len)
            {
                return Err(format!(
                    "blob {} of the record lies outside its body",
                    put.key
                ));
            }
            prev_end = put.offset + put.len;
            puts.push(put);
        }
        let frees_at = n_puts * PUT_LEN as usize;
        let frees = (0..header.n_frees as usize)
            .map(|i| u64_at(dir, frees_at + i * FREE_LEN as usize))
            .collect();
        Ok(Self {
            header,
            puts,
            frees,
        })
    }
}

fn update_zeros(crc: &mut crc32fast::Hasher, mut n: u64) {
    const ZEROS: [u8; 64] = [0; 64];
    while n > 0 {
        let k = n.min(64) as usize;
        crc.update(&ZEROS[..k]);
        n -= k as u64;
    }
}

/// A [`Read`] over a sequence of parts (what `DataStore::write_stream` consumes).
pub(crate) struct PartsReader<'a> {
    parts: Vec<Part<'a>>,
    index: usize,
    /// Bytes of `parts[index]` already read.
    done: u64,
}

impl<'a> PartsReader<'a> {
    pub fn new(parts: Vec<Part<'a>>) -> Self {
        Self {
            parts,
            index: 0,
            done: 0,
        }
    }
}

impl Read for PartsReader<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let mut written = 0;
        while written < buf.len() && self.index < self.parts.len() {
            let out = &mut buf[written..];
            let n = match self.parts[self.index] {
                Part::Bytes(b) => {
                    let rest = &b[self.done as usize..];
                    let n = rest.len().min(out.len());
                    out[..n].copy_from_slice(&rest[..n]);
                    n
                }
                Part::Zeros(len) => {
                    let n = ((len - self.done) as usize).min(out.len());
                    out[..n].fill(0);
                    n
                }
            };
            written += n;
            self.done += n as u64;
            let part_len = match self.parts[self.index] {
                Part::Bytes(b) => b.len() as u64,
                Part::Zeros(len) => len,
            };
            if self.done == part_len {
                self.index += 1;
                self.done = 0;
            }
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_round_trip_and_rejections() {
        let h = FileHeader { first_seq: 42 };
        let b = h.encode();
        assert_eq!(FileHeader::decode(&b).unwrap(), h);
        assert!(matches!(
            FileHeader::decode(&b[..5]),
            Err(PagerError::Corrupt(_))
        ));
        assert!(matches!(
            FileHeader::decode(&b[..40]),
            Err(PagerError::Corrupt(_))
        ));
        let mut bad = b;
        bad[20] ^= 1;
        assert!(matches!(
            FileHeader::decode(&bad),
            Err(PagerError::Corrupt(_))
        ));
        let mut newer = b;
        newer[8..12].copy_from_slice(&7u32.to_le_bytes());
        assert!(matches!(
            FileHeader::decode(&newer),
            Err(PagerError::UnsupportedVersion {
                found: 7,
                supported: 1
            })
        ));
    }

    #[test]
    fn record_round_trip() {
        let blobs: Vec<Vec<u8>> = vec![vec![1; 3], vec![], vec![9; 130]];
        let mut rec = Record::plan(5, 4, 100, [(20, 3), (21, 0), (22, 130)], vec![17, 18]).unwrap();
        let slices: Vec<&[u8]> = blobs.iter().map(|b| &b[..]).collect();
        let body = rec.body_parts(&slices);
        let head = rec.encode(&body);
        let mut payload = head.clone();
        PartsReader::new(body).read_to_end(&mut payload).unwrap();
        assert_eq!(payload.len() as u64, rec.header.total_len);
        for (p, b) in rec.puts.iter().zip(&blobs) {
            assert_eq!(p.offset % 64, 0);
            assert_eq!(
                &payload[p.offset as usize..(p.offset + p.len) as usize],
                &b[..]
            );
        }
        let fixed: [u8; RECORD_FIXED_LEN] = payload[..RECORD_FIXED_LEN].try_into().unwrap();
        let h = RecordHeader::decode_fixed(&fixed).unwrap();
        assert_eq!(h, rec.header);
        let dir = &payload[RECORD_FIXED_LEN..h.dir_end() as usize];
        let back = Record::decode_directory(h, &fixed, dir).unwrap();
        assert_eq!(back.puts, rec.puts);
        assert_eq!(back.frees, vec![17, 18]);
        assert_eq!(
            crc32fast::hash(&payload[h.body_offset as usize..]),
            h.body_crc
        );
        let mut bad = dir.to_vec();
        bad[3] ^= 1;
        assert!(Record::decode_directory(h, &fixed, &bad).is_err());
    }

    #[test]
    fn prepad_matches_simd_r_drive() {
        assert_eq!(prepad(0), 0);
        assert_eq!(prepad(1), 63);
        assert_eq!(prepad(64), 0);
        assert_eq!(prepad(84), 44);
    }
}
