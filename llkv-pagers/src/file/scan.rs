//! Opening a FilePager file: header check and the forward scan that finds the batches a
//! crash left whole.
//!
//! simd-r-drive recovers a file on open by walking its chain of entries backwards from the
//! end and truncating to the newest position where the chain of `previous tail` links
//! reaches offset 0. It checks the structure of the chain only, not the entry checksums.
//! That is not enough for us:
//! - a torn write whose metadata reached the disk but part of whose payload did not passes
//!   its check (it would hand us a half-written batch);
//! - a tail of zeros (a file extended by a crash whose data blocks were never written) is
//!   taken as one huge valid entry starting at offset 0, so every earlier entry disappears
//!   from its index;
//! - a damaged link in the middle of the file makes it silently drop everything after it.
//!
//! So before handing the file to simd-r-drive, we scan it ourselves, forward from the file
//! header: every record is parsed, its header checksum and its simd-r-drive metadata (key
//! hash, link to the previous entry) are checked, and (for records that were not yet known
//! to be durable, or all records with `verify_on_open`) its body checksum too. The file is
//! truncated to the end of the last good record when what follows it is a torn tail; the
//! chain simd-r-drive then sees is valid to the end, so its own recovery keeps everything.
//!
//! Torn tail or damage? Each record carries `synced_seq`: all batches up to it were durable
//! (fsynced) before the record was written. A bad record that some readable record says was
//! durable is damage, reported as [`PagerError::Corrupt`]; anything else past the last good
//! record is the tail of a crash and is dropped.

use std::fs::File;
use std::io;

use llkv_traits::pager::PagerError;
use simd_r_drive::{METADATA_SIZE, compute_hash};

use super::format::{
    FileHeader, HEADER_ENTRY_END, HEADER_KEY, HEADER_LEN, RECORD_FIXED_LEN, Record, RecordHeader,
    prepad, record_key,
};

/// Reads exactly `buf.len()` bytes at `offset`.
pub(crate) fn read_at(file: &File, offset: u64, buf: &mut [u8]) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileExt;
        file.read_exact_at(buf, offset)
    }
    #[cfg(not(unix))]
    {
        use std::io::{Read, Seek, SeekFrom};
        let mut f = file;
        f.seek(SeekFrom::Start(offset))?;
        f.read_exact(buf)
    }
}

/// One record found by the scan.
#[derive(Debug, Clone)]
pub(crate) struct ScannedRecord {
    pub record: Record,
    /// File offset of the record payload.
    pub start: u64,
    /// File offset where the entry before it ended (where this entry's pre-pad starts).
    pub prev_tail: u64,
    /// File offset just past this entry's metadata.
    pub tail: u64,
}

/// What the scan found.
#[derive(Debug)]
pub(crate) struct Scan {
    pub header: FileHeader,
    /// The good records, in sequence order.
    pub records: Vec<ScannedRecord>,
    /// End of the last good record: the length the file must be cut to.
    pub end: u64,
    /// Records that were readable but dropped because an earlier one was torn.
    pub dropped_records: u64,
}

/// Checks the file header entry (magic, version, checksum, simd-r-drive metadata).
pub(crate) fn check_header(file: &File, file_len: u64) -> Result<FileHeader, PagerError> {
    let want = HEADER_ENTRY_END.min(file_len) as usize;
    let mut buf = vec![0u8; want];
    read_at(file, 0, &mut buf)?;
    let header = FileHeader::decode(&buf)?;
    if buf.len() < HEADER_ENTRY_END as usize {
        return Err(PagerError::Corrupt("file header entry is truncated".into()));
    }
    let meta = &buf[HEADER_LEN..];
    let key_hash = u64::from_le_bytes(meta[0..8].try_into().unwrap_or([0; 8]));
    let prev = u64::from_le_bytes(meta[8..16].try_into().unwrap_or([0xFF; 8]));
    let crc = u32::from_le_bytes(meta[16..20].try_into().unwrap_or([0; 4]));
    if key_hash != compute_hash(HEADER_KEY)
        || prev != 0
        || crc != crc32fast::hash(&buf[..HEADER_LEN])
    {
        return Err(PagerError::Corrupt(
            "file header entry metadata is damaged".into(),
        ));
    }
    Ok(header)
}

/// Reads and checks the record whose entry starts after `prev_tail`. Returns why it is not
/// a good record otherwise (a torn tail or damage; the caller decides which).
fn read_record(
    file: &File,
    file_len: u64,
    prev_tail: u64,
    expected_seq: Option<u64>,
) -> io::Result<Result<ScannedRecord, String>> {
    let start = prev_tail + prepad(prev_tail);
    if start + (RECORD_FIXED_LEN + METADATA_SIZE) as u64 > file_len {
        return Ok(Err("entry runs past the end of the file".into()));
    }
    let mut fixed = [0u8; RECORD_FIXED_LEN];
    read_at(file, start, &mut fixed)?;
    let header = match RecordHeader::decode_fixed(&fixed) {
        Ok(h) => h,
        Err(e) => return Ok(Err(e)),
    };
    if expected_seq.is_some_and(|s| s != header.seq) {
        return Ok(Err(format!(
            "record sequence {} where {:?} was expected",
            header.seq, expected_seq
        )));
    }
    let Some(tail) = start
        .checked_add(header.total_len)
        .and_then(|e| e.checked_add(METADATA_SIZE as u64))
        .filter(|t| *t <= file_len)
    else {
        return Ok(Err("record runs past the end of the file".into()));
    };
    let meta_at = tail - METADATA_SIZE as u64;
    // The directory is at most the record, which fits in the file; check its checksum while
    // streaming before trusting its counts with an allocation.
    let dir_len = (header.dir_end() - RECORD_FIXED_LEN as u64) as usize;
    let mut dir = vec![0u8; dir_len];
    read_at(file, start + RECORD_FIXED_LEN as u64, &mut dir)?;
    let record = match Record::decode_directory(header, &fixed, &dir) {
        Ok(r) => r,
        Err(e) => return Ok(Err(e)),
    };
    let mut meta = [0u8; METADATA_SIZE];
    read_at(file, meta_at, &mut meta)?;
    let key_hash = u64::from_le_bytes(meta[0..8].try_into().unwrap_or([0; 8]));
    let prev = u64::from_le_bytes(meta[8..16].try_into().unwrap_or([0; 8]));
    if key_hash != compute_hash(&record_key(header.seq)) || prev != prev_tail {
        return Ok(Err(
            "simd-r-drive entry metadata does not match the record".into()
        ));
    }
    Ok(Ok(ScannedRecord {
        record,
        start,
        prev_tail,
        tail,
    }))
}

/// True if the body checksum of `rec` matches.
fn body_ok(file: &File, rec: &ScannedRecord) -> io::Result<bool> {
    let h = &rec.record.header;
    let mut crc = crc32fast::Hasher::new();
    let mut buf = vec![0u8; (1 << 20).min((h.total_len - h.body_offset) as usize)];
    let mut at = rec.start + h.body_offset;
    let end = rec.start + h.total_len;
    while at < end {
        let n = ((end - at) as usize).min(buf.len());
        read_at(file, at, &mut buf[..n])?;
        crc.update(&buf[..n]);
        at += n as u64;
    }
    Ok(crc.finalize() == h.body_crc)
}

/// Walks the simd-r-drive chain backwards from the end of the file down to `floor` and
/// returns the `synced_seq` of every readable record on it. Used when the forward scan
/// stopped before the end of the file: a readable record past the stop that says the
/// stopped-at record was durable proves damage rather than a torn tail.
fn synced_claims_past(file: &File, file_len: u64, floor: u64) -> io::Result<Vec<u64>> {
    let mut claims = Vec::new();
    let mut end = file_len;
    while end >= floor + METADATA_SIZE as u64 {
        let meta_at = end - METADATA_SIZE as u64;
        let mut meta = [0u8; METADATA_SIZE];
        read_at(file, meta_at, &mut meta)?;
        let prev = u64::from_le_bytes(meta[8..16].try_into().unwrap_or([0; 8]));
        if prev < floor || prev >= meta_at {
            break;
        }
        match read_record(file, end, prev, None)? {
            Ok(rec) if rec.tail == end => claims.push(rec.record.header.synced_seq),
            _ => break,
        }
        end = prev;
    }
    Ok(claims)
}

/// Scans the file, deciding which records a crash left whole. See the module docs.
pub(crate) fn scan(file: &File, file_len: u64, verify_all: bool) -> Result<Scan, PagerError> {
    let header = check_header(file, file_len)?;
    let mut records: Vec<ScannedRecord> = Vec::new();
    let mut pos = HEADER_ENTRY_END;
    let mut next_seq = header.first_seq;
    let mut stop_reason = None;
    while pos < file_len {
        match read_record(file, file_len, pos, Some(next_seq))? {
            Ok(rec) => {
                pos = rec.tail;
                next_seq =
                    rec.record.header.seq.checked_add(1).ok_or_else(|| {
                        PagerError::Corrupt("batch sequence number overflow".into())
                    })?;
                records.push(rec);
            }
            Err(reason) => {
                stop_reason = Some(reason);
                break;
            }
        }
    }
    let mut durable = records
        .iter()
        .map(|r| r.record.header.synced_seq)
        .max()
        .unwrap_or(0);
    if let Some(reason) = &stop_reason {
        // Record `next_seq` (or what stands in its place) is unreadable. If a readable
        // record after it says it was durable, this is damage, not a torn tail.
        let claims = synced_claims_past(file, file_len, pos)?;
        if claims.iter().any(|s| *s >= next_seq) {
            return Err(PagerError::Corrupt(format!(
                "batch {next_seq} at offset {pos} is damaged ({reason}), \
                 but a later batch records it as durable"
            )));
        }
        durable = durable.max(claims.into_iter().max().unwrap_or(0));
    }
    // Body checksums: needed for every record not yet known durable (it may be torn), and
    // for all records when asked to verify.
    let mut keep = records.len();
    for (i, rec) in records.iter().enumerate() {
        let seq = rec.record.header.seq;
        if (verify_all || seq > durable) && !body_ok(file, rec)? {
            if seq <= durable {
                return Err(PagerError::Corrupt(format!(
                    "batch {seq} at offset {} fails its checksum",
                    rec.start
                )));
            }
            keep = i;
            break;
        }
    }
    let dropped_records = (records.len() - keep) as u64;
    let end = match records.get(keep) {
        Some(first_dropped) => first_dropped.prev_tail,
        None => pos,
    };
    records.truncate(keep);
    Ok(Scan {
        header,
        records,
        end,
        dropped_records,
    })
}
