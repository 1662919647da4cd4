//! [`FilePager`]: a durable single-file pager on simd-r-drive.
//!
//! See [`format`] for the bytes on disk and [`scan`] for recovery on open.

mod format;
mod lock;
mod scan;

use std::fmt;
use std::fs::{File, OpenOptions};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use hashbrown::HashMap;
use llkv_traits::pager::{Pager, PagerBlob, PagerError, PhysicalKey, RESERVED_KEYS, WriteBatch};
use parking_lot::{Condvar, Mutex, MutexGuard, RwLock};
use simd_r_drive::traits::{DataStoreReader, DataStoreWriter};
use simd_r_drive::{DataStore, EntryHandle, METADATA_SIZE};

use crate::batch::{alloc_from, validate_batch};
use format::{
    FileHeader, HEADER_ENTRY_END, HEADER_KEY, HEADER_LEN, Part, PartsReader, Record, prepad,
    record_key,
};
use lock::FileLock;

/// When [`FilePager`] forces written batches to stable storage (fsync).
///
/// Like SQLite's `PRAGMA synchronous`. Whatever the mode, a batch is atomic: after a crash
/// it is visible whole or not at all, and the batches that survive are a prefix of those
/// written. The modes differ in how many of the last batches a power loss may take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SyncMode {
    /// fsync at the end of every `write_batch`: a batch is durable when the call returns.
    #[default]
    Full,
    /// fsync only in [`Pager::sync`]: a power loss may lose the batches written since the
    /// last `sync` (a process crash loses nothing the OS has received).
    Normal,
    /// Never fsync, not even in `sync` (which does nothing): for scratch data and bulk
    /// loads. A process crash loses nothing the OS has received; a power loss may lose any
    /// batch written since the file was opened.
    Off,
}

/// Options for [`FilePager::open_with`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct FilePagerOptions {
    /// When to fsync. Default [`SyncMode::Full`].
    pub sync_mode: SyncMode,
    /// Check the body checksum of every batch on open (reads the whole file). By default
    /// only batches not yet known to be durable are checked, which is what torn-write
    /// detection needs. Default `false`.
    pub verify_on_open: bool,
    /// [`FilePager::compact`] rewrites the file only if at least this fraction of it is
    /// dead (freed or replaced blobs, headers). Default `0.5`.
    pub compact_min_dead_ratio: f64,
    /// ... and at least this many bytes are dead. Default 4 MiB.
    pub compact_min_dead_bytes: u64,
    /// How long [`FilePager::open_with`] waits for the file's lock while another pager
    /// holds it, retrying with backoff, before it reports [`PagerError::Locked`]. Default
    /// 250 ms: long enough to ride out a lock briefly held by a child process forked
    /// elsewhere in this process (see [`FilePager`]), short enough to report a file that
    /// is really in use promptly.
    pub lock_timeout: Duration,
}

impl Default for FilePagerOptions {
    fn default() -> Self {
        Self {
            sync_mode: SyncMode::Full,
            verify_on_open: false,
            compact_min_dead_ratio: 0.5,
            compact_min_dead_bytes: 4 << 20,
            lock_timeout: Duration::from_millis(250),
        }
    }
}

impl FilePagerOptions {
    /// The default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets [`FilePagerOptions::sync_mode`].
    pub fn sync_mode(mut self, mode: SyncMode) -> Self {
        self.sync_mode = mode;
        self
    }

    /// Sets [`FilePagerOptions::verify_on_open`].
    pub fn verify_on_open(mut self, verify: bool) -> Self {
        self.verify_on_open = verify;
        self
    }

    /// Sets [`FilePagerOptions::lock_timeout`] (`Duration::ZERO`: try once, never wait).
    pub fn lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Sets the thresholds of [`FilePager::compact`].
    pub fn compact_threshold(mut self, min_dead_ratio: f64, min_dead_bytes: u64) -> Self {
        self.compact_min_dead_ratio = min_dead_ratio;
        self.compact_min_dead_bytes = min_dead_bytes;
        self
    }
}

/// What [`FilePager::open`] had to do to the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RecoveryReport {
    /// Bytes cut from the end of the file: the torn tail of a crash. 0 after a clean close.
    pub truncated_bytes: u64,
    /// Whole batches that were found after a torn one and dropped with it (batches survive
    /// as a prefix of those written).
    pub dropped_batches: u64,
    /// Batch records replayed to rebuild the index.
    pub batches: u64,
}

/// Space used by a [`FilePager`] file, see [`FilePager::space_stats`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SpaceStats {
    /// Size of the file.
    pub file_bytes: u64,
    /// Bytes of the blobs that keys hold now.
    pub live_bytes: u64,
    /// Number of keys that hold a blob.
    pub live_blobs: u64,
}

impl SpaceStats {
    /// Bytes that [`FilePager::vacuum`] could reclaim (approximately: the rewritten file
    /// still has a header per batch record and alignment padding).
    pub fn dead_bytes(&self) -> u64 {
        self.file_bytes.saturating_sub(self.live_bytes)
    }
}

/// A read handle on one blob of a [`FilePager`]: a range of the memory-mapped file.
///
/// Cloning is cheap (a reference count). The handle keeps its mapping alive, so it stays
/// valid after the key is freed or replaced and after [`FilePager::vacuum`] replaced the
/// file. [`PagerBlob::into_buffer`] lends the mapped bytes to Arrow without copying; blobs
/// start at 64-byte aligned addresses (the file offset is 64-byte aligned and the mapping
/// is page aligned).
#[derive(Clone)]
pub struct FileBlob(pub(crate) EntryHandle);

impl AsRef<[u8]> for FileBlob {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl PagerBlob for FileBlob {}

impl fmt::Debug for FileBlob {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileBlob")
            .field("file_offset", &self.0.range.start)
            .field("len", &self.0.range.len())
            .finish()
    }
}

/// Where a live blob is: absolute file offset and length.
#[derive(Debug, Clone, Copy)]
struct Loc {
    start: u64,
    len: u64,
}

/// What readers look at.
struct State {
    /// A handle on the current mapping (the header entry); blobs share its mapping.
    map: EntryHandle,
    index: HashMap<PhysicalKey, Loc>,
    live_bytes: u64,
    file_len: u64,
}

impl State {
    fn blob(&self, loc: Loc) -> Result<FileBlob, PagerError> {
        let range = usize::try_from(loc.start)
            .ok()
            .and_then(|s| Some(s..s.checked_add(usize::try_from(loc.len).ok()?)?))
            .filter(|r| r.end <= self.map.mmap_arc.len())
            .ok_or_else(|| {
                PagerError::Corrupt(format!(
                    "blob at offset {} (len {}) lies outside the mapped file",
                    loc.start, loc.len
                ))
            })?;
        Ok(FileBlob(EntryHandle {
            mmap_arc: self.map.mmap_arc.clone(),
            range,
            metadata: self.map.metadata.clone(),
        }))
    }

    fn apply(&mut self, record_start: u64, record: &Record) {
        for put in &record.puts {
            let loc = Loc {
                start: record_start + put.offset,
                len: put.len,
            };
            if let Some(old) = self.index.insert(put.key, loc) {
                self.live_bytes -= old.len;
            }
            self.live_bytes += put.len;
        }
        for key in &record.frees {
            if let Some(old) = self.index.remove(key) {
                self.live_bytes -= old.len;
            }
        }
    }
}

/// The write side: one writer at a time.
struct Writer {
    store: DataStore,
    /// The data file, for fsync (simd-r-drive never syncs). Shared so that a sync can run
    /// without holding the writer lock.
    file: Arc<File>,
    /// File offset where the next entry's pre-pad starts.
    tail: u64,
    next_seq: u64,
    /// Every batch with a smaller sequence number has been written.
    written_seq: u64,
    /// Every batch up to this sequence number is on stable storage.
    durable_seq: u64,
    /// The key high-water mark in the newest record.
    persisted_hwm: u64,
    /// Set by a failed write or fsync: the file's tail is unknown until it is reopened.
    poisoned: Option<String>,
    closed: bool,
    /// A [`Pager::sync`] is running an fsync with the writer lock released.
    syncing: bool,
}

impl Writer {
    fn usable(&self) -> Result<(), PagerError> {
        if self.closed {
            return Err(PagerError::Io(io::Error::other("pager is closed")));
        }
        match &self.poisoned {
            Some(why) => Err(PagerError::Io(io::Error::other(format!(
                "pager stopped after a failed write ({why}); reopen the file to recover"
            )))),
            None => Ok(()),
        }
    }

    fn fsync(&mut self) -> Result<(), PagerError> {
        if self.durable_seq == self.written_seq {
            return Ok(());
        }
        // After a failed fsync the kernel may have dropped the dirty pages: nothing about
        // the tail can be trusted any more, so stop writing (as PostgreSQL does).
        if let Err(e) = self.file.sync_data() {
            self.poisoned = Some(format!("fsync failed: {e}"));
            return Err(PagerError::Io(e));
        }
        self.durable_seq = self.written_seq;
        Ok(())
    }
}

/// Appends one record (header, directory and `blobs`) as one simd-r-drive entry at `tail`.
/// Returns the payload start and the new tail.
fn append_record(
    store: &DataStore,
    tail: u64,
    record: &mut Record,
    blobs: &[&[u8]],
) -> Result<(u64, u64), PagerError> {
    let body = record.body_parts(blobs);
    let head = record.encode(&body);
    let mut parts = Vec::with_capacity(body.len() + 1);
    parts.push(Part::Bytes(&head));
    parts.extend(body);
    let start = tail + prepad(tail);
    let expected = start + record.header.total_len + METADATA_SIZE as u64;
    let new_tail =
        store.write_stream(&record_key(record.header.seq), &mut PartsReader::new(parts))?;
    if new_tail != expected {
        return Err(PagerError::Io(io::Error::other(format!(
            "simd-r-drive ended the record at {new_tail}, expected {expected}"
        ))));
    }
    Ok((start, new_tail))
}

/// `<path><suffix>`.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut s = path.as_os_str().to_owned();
    s.push(suffix);
    PathBuf::from(s)
}

/// Makes a rename in `path`'s directory durable.
fn sync_dir(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p,
            _ => Path::new("."),
        };
        File::open(dir)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}

fn remove_if_exists(path: &Path) -> io::Result<()> {
    match std::fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// Most blob bytes one compaction record holds (a bigger blob gets a record of its own).
const COMPACT_RECORD_BYTES: u64 = 64 << 20;
/// Most blobs one compaction record holds.
const COMPACT_RECORD_BLOBS: usize = 1 << 16;

/// Writes a complete file at `tmp`: the header, then `live` blobs in records numbered from
/// `first_seq`, then fsyncs it. The caller renames it into place.
fn write_fresh_file(
    tmp: &Path,
    first_seq: u64,
    key_hwm: u64,
    live: &[(PhysicalKey, &[u8])],
) -> Result<(), PagerError> {
    remove_if_exists(tmp)?;
    let store = DataStore::open(tmp)?;
    let header_tail = store.write(HEADER_KEY, &FileHeader { first_seq }.encode())?;
    if header_tail != HEADER_ENTRY_END {
        return Err(PagerError::Io(io::Error::other(format!(
            "{} is not empty",
            tmp.display()
        ))));
    }
    let mut tail = header_tail;
    let mut seq = first_seq;
    let mut rest = live;
    // Every record carries the key high-water mark: write at least one if there is a mark
    // to keep, even with no live blobs.
    let mut need_record = key_hwm > RESERVED_KEYS;
    while !rest.is_empty() || need_record {
        need_record = false;
        let mut n = 0;
        let mut bytes = 0u64;
        while n < rest.len() && n < COMPACT_RECORD_BLOBS {
            let len = rest[n].1.len() as u64;
            if n > 0 && bytes + len > COMPACT_RECORD_BYTES {
                break;
            }
            bytes += len;
            n += 1;
        }
        let (chunk, next) = rest.split_at(n);
        let mut record = Record::plan(
            seq,
            seq - 1,
            key_hwm,
            chunk.iter().map(|(k, b)| (*k, b.len() as u64)),
            Vec::new(),
        )?;
        let blobs: Vec<&[u8]> = chunk.iter().map(|(_, b)| *b).collect();
        tail = append_record(&store, tail, &mut record, &blobs)?.1;
        seq += 1;
        rest = next;
    }
    drop(store);
    OpenOptions::new().write(true).open(tmp)?.sync_all()?;
    Ok(())
}

/// Everything `open` builds from a file.
struct Loaded {
    writer: Writer,
    state: State,
    key_hwm: u64,
    recovery: RecoveryReport,
}

/// Scans, repairs (cuts a torn tail) and opens the file at `path`, and rebuilds the index.
fn load(path: &Path, options: &FilePagerOptions) -> Result<Loaded, PagerError> {
    let file = OpenOptions::new().read(true).write(true).open(path)?;
    let file_len = file.metadata()?.len();
    let scan = scan::scan(&file, file_len, options.verify_on_open)?;
    if scan.end < file_len {
        file.set_len(scan.end)?;
        file.sync_all()?;
    } else {
        // Whatever a crashed predecessor left in the page cache becomes durable now, so the
        // records written from here on may say so.
        file.sync_data()?;
    }
    let store = DataStore::open(path)?;
    // The scan left simd-r-drive a file whose chain is valid to the end: it must keep all
    // of it and index exactly the header and the records.
    if store.file_size()? != scan.end || store.len()? != scan.records.len() + 1 {
        return Err(PagerError::Corrupt(
            "simd-r-drive recovery disagrees with the batch scan".into(),
        ));
    }
    let map = store
        .read(HEADER_KEY)?
        .filter(|h| h.range == (0..HEADER_LEN) && h.mmap_arc.len() as u64 >= scan.end)
        .ok_or_else(|| PagerError::Corrupt("file header entry not found".into()))?;
    let mut state = State {
        map,
        index: HashMap::new(),
        live_bytes: 0,
        file_len: scan.end,
    };
    let mut key_hwm = RESERVED_KEYS;
    for rec in &scan.records {
        state.apply(rec.start, &rec.record);
        key_hwm = key_hwm.max(rec.record.header.key_hwm);
        for put in &rec.record.puts {
            key_hwm = key_hwm.max(put.key.saturating_add(1));
        }
    }
    let next_seq = match scan.records.last() {
        Some(r) => r.record.header.seq + 1,
        None => scan.header.first_seq,
    };
    let written_seq = next_seq - 1;
    Ok(Loaded {
        writer: Writer {
            store,
            file: Arc::new(file),
            tail: scan.end,
            next_seq,
            written_seq,
            durable_seq: written_seq,
            persisted_hwm: key_hwm,
            poisoned: None,
            closed: false,
            syncing: false,
        },
        state,
        key_hwm,
        recovery: RecoveryReport {
            truncated_bytes: file_len - scan.end,
            dropped_batches: scan.dropped_records,
            batches: scan.records.len() as u64,
        },
    })
}

/// A durable single-file [`Pager`] on [simd-r-drive](https://crates.io/crates/simd-r-drive).
///
/// # Design
/// - Each [`write_batch`](Pager::write_batch) appends **one** simd-r-drive entry, a *batch
///   record*: a checksummed header and directory (the puts with their offsets, the frees,
///   the batch sequence number, the key high-water mark) followed by the blobs, each at a
///   64-byte aligned offset. A batch is therefore whole or absent after a crash: on open,
///   records are scanned in order and checked, a torn tail is cut off, and the batches that
///   remain are a prefix of those written (see the recovery notes below).
/// - An in-memory index maps each key to its blob's place in the file; reads hand out
///   [`FileBlob`]s, zero-copy views of the memory-mapped file.
/// - [`alloc_keys`](Pager::alloc_keys) is an atomic counter and writes nothing; every record
///   stores the counter, so keys are never handed out twice across reopen. (Keys handed
///   out but never written before a crash may be handed out again: they never held data.
///   A clean close persists the counter.)
/// - Freed and replaced blobs stay in the file until [`vacuum`](FilePager::vacuum) (or
///   [`compact`](FilePager::compact), which vacuums only when enough of the file is dead)
///   rewrites the live blobs into a fresh file and atomically renames it into place.
/// - An advisory lock on `<path>.lock` keeps a second `FilePager` (in this or another
///   process) off the file: it gets [`PagerError::Locked`] after waiting up to
///   [`FilePagerOptions::lock_timeout`]. The lock is released explicitly when the pager
///   closes, so a child process that another thread forked (and that shares the lock
///   until it execs) cannot keep it; the short wait covers the rarer case of a lock held
///   by such a child after its parent went away.
///
/// # Recovery
/// simd-r-drive's own open-time recovery only checks the structure of its entry chain, so
/// the pager scans the file itself first: records are parsed forward, each checked against
/// its header checksum, its simd-r-drive metadata and (if it was not yet known to be
/// durable) its body checksum. Everything after the last good record is the torn tail of a
/// crash and is cut off, unless a readable later record proves the bad one had been synced,
/// which is reported as [`PagerError::Corrupt`]. A file that does not start with the LLKV
/// header gives `Corrupt` and is left untouched; a newer format gives
/// [`PagerError::UnsupportedVersion`]. [`FilePager::recovery`] tells what open did.
///
/// # Errors while writing
/// If an append or fsync fails, the pager stops accepting writes (every later write returns
/// an error) because the end of the file is no longer known; reads keep working. Reopening
/// the file recovers it.
///
/// ```
/// use llkv_pagers::{FilePager, FilePagerOptions, SyncMode};
/// use llkv_traits::{Pager, WriteBatch};
///
/// let dir = tempfile::tempdir().unwrap();
/// let path = dir.path().join("db.llkv");
/// let pager = FilePager::open_with(&path, FilePagerOptions::new().sync_mode(SyncMode::Normal))
///     .unwrap();
/// let key = pager.alloc_keys(1).unwrap()[0];
/// let mut batch = WriteBatch::new();
/// batch.put(key, b"hello".to_vec());
/// pager.write_batch(batch).unwrap();
/// pager.sync().unwrap();
/// pager.close().unwrap();
///
/// let pager = FilePager::open(&path).unwrap();
/// assert_eq!(pager.get(key).unwrap().unwrap().as_ref(), b"hello");
/// ```
pub struct FilePager {
    path: PathBuf,
    options: FilePagerOptions,
    writer: Mutex<Writer>,
    /// Signalled when a [`Pager::sync`] that ran without the writer lock finishes.
    synced: Condvar,
    state: RwLock<State>,
    next_key: AtomicU64,
    recovery: RecoveryReport,
    /// Holds the advisory lock for the life of the pager (dropped last, after the file).
    _lock: FileLock,
}

impl fmt::Debug for FilePager {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FilePager")
            .field("path", &self.path)
            .field("sync_mode", &self.options.sync_mode)
            .field("next_key", &self.next_key.load(Ordering::Relaxed))
            .finish_non_exhaustive()
    }
}

impl FilePager {
    /// Opens (or creates) the database file at `path` with default options
    /// ([`SyncMode::Full`]).
    pub fn open(path: impl AsRef<Path>) -> Result<Self, PagerError> {
        Self::open_with(path, FilePagerOptions::default())
    }

    /// Opens (or creates) the database file at `path`.
    ///
    /// A missing or empty file is created (atomically: a crash leaves either no database
    /// or an empty one). An existing file is checked and recovered (see the type docs).
    /// Errors: [`PagerError::Locked`] if another pager has the file open (after waiting up
    /// to [`FilePagerOptions::lock_timeout`] for it to close),
    /// [`PagerError::Corrupt`] if it is not an LLKV file or is damaged,
    /// [`PagerError::UnsupportedVersion`] if a newer build wrote it, [`PagerError::Io`].
    pub fn open_with(
        path: impl AsRef<Path>,
        options: FilePagerOptions,
    ) -> Result<Self, PagerError> {
        let path = path.as_ref().to_path_buf();
        let lock = FileLock::acquire(&sibling(&path, ".lock"), &path, options.lock_timeout)?;
        // Left over from a vacuum that crashed before its rename: never part of the database.
        remove_if_exists(&sibling(&path, ".compact"))?;
        let is_new = match std::fs::metadata(&path) {
            Ok(m) => m.len() == 0,
            Err(e) if e.kind() == io::ErrorKind::NotFound => true,
            Err(e) => return Err(e.into()),
        };
        if is_new {
            let tmp = sibling(&path, ".new");
            write_fresh_file(&tmp, 1, RESERVED_KEYS, &[])?;
            std::fs::rename(&tmp, &path)?;
            sync_dir(&path)?;
        }
        let loaded = load(&path, &options)?;
        Ok(Self {
            path,
            options,
            writer: Mutex::new(loaded.writer),
            synced: Condvar::new(),
            state: RwLock::new(loaded.state),
            next_key: AtomicU64::new(loaded.key_hwm),
            recovery: loaded.recovery,
            _lock: lock,
        })
    }

    /// The path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The options the pager was opened with.
    pub fn options(&self) -> &FilePagerOptions {
        &self.options
    }

    /// What opening the file found and repaired.
    pub fn recovery(&self) -> RecoveryReport {
        self.recovery
    }

    /// File size and live data, to decide whether a [`vacuum`](Self::vacuum) pays off.
    pub fn space_stats(&self) -> SpaceStats {
        let state = self.state.read();
        SpaceStats {
            file_bytes: state.file_len,
            live_bytes: state.live_bytes,
            live_blobs: state.index.len() as u64,
        }
    }

    /// Vacuums if the dead part of the file reaches the thresholds in
    /// [`FilePagerOptions`] (by default half the file and 4 MiB). Returns whether it did.
    /// Call it from a checkpoint or maintenance task, never from a hot path: a vacuum
    /// rewrites every live blob.
    pub fn compact(&self) -> Result<bool, PagerError> {
        let stats = self.space_stats();
        let dead = stats.dead_bytes();
        let worth = dead >= self.options.compact_min_dead_bytes
            && dead as f64 >= self.options.compact_min_dead_ratio * stats.file_bytes as f64;
        if worth {
            self.vacuum()?;
        }
        Ok(worth)
    }

    /// Rewrites the live blobs into a fresh file, fsyncs it and renames it over the
    /// database file (then fsyncs the directory), reclaiming the space of freed and
    /// replaced blobs. A crash at any point leaves either the old or the new file.
    ///
    /// Writers wait while it runs; readers do not, and blob handles taken before keep
    /// reading the old file's mapping. Needs Unix rename semantics (a mapped file may be
    /// replaced).
    ///
    /// simd-r-drive's own `DataStore::compact` is not used: it renames without fsync (a
    /// power loss can leave a damaged file), reuses a stale temporary file, keeps the store
    /// pointing at the replaced file, and reorders entries (the file header must come first).
    pub fn vacuum(&self) -> Result<(), PagerError> {
        let mut w = self.writer.lock();
        w.usable()?;
        let tmp = sibling(&self.path, ".compact");
        let written = {
            let state = self.state.read();
            let mut live: Vec<(PhysicalKey, Loc)> =
                state.index.iter().map(|(k, l)| (*k, *l)).collect();
            live.sort_unstable_by_key(|(_, l)| l.start);
            let blobs = live
                .iter()
                .map(|(k, l)| state.blob(*l).map(|b| (*k, b)))
                .collect::<Result<Vec<_>, _>>()?;
            drop(state);
            let slices: Vec<(PhysicalKey, &[u8])> =
                blobs.iter().map(|(k, b)| (*k, b.as_ref())).collect();
            let hwm = self.next_key.load(Ordering::Acquire);
            write_fresh_file(&tmp, w.next_seq, hwm, &slices)
                .and_then(|()| Ok(std::fs::rename(&tmp, &self.path)?))
        };
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            return Err(e);
        }
        // The new file is in place: from here the old store is stale, so a failure leaves
        // the pager unusable until reopened (the file itself is fine).
        let reloaded = sync_dir(&self.path)
            .map_err(PagerError::from)
            .and_then(|()| load(&self.path, &self.options));
        match reloaded {
            Ok(loaded) => {
                *w = loaded.writer;
                *self.state.write() = loaded.state;
                Ok(())
            }
            Err(e) => {
                w.poisoned = Some(format!("reopening after vacuum failed: {e}"));
                Err(e)
            }
        }
    }

    /// Persists the key counter and (unless [`SyncMode::Off`]) fsyncs, then closes the
    /// pager. Dropping the pager does the same but cannot report errors.
    pub fn close(self) -> Result<(), PagerError> {
        self.shutdown()
    }

    fn shutdown(&self) -> Result<(), PagerError> {
        let mut w = self.writer.lock();
        if w.closed || w.poisoned.is_some() {
            return Ok(());
        }
        if self.next_key.load(Ordering::Acquire) > w.persisted_hwm {
            self.append(&mut w, &WriteBatch::new())?;
        }
        if self.options.sync_mode != SyncMode::Off {
            w.fsync()?;
        }
        w.closed = true;
        Ok(())
    }

    /// Appends `batch` as the next record and applies it to the index. The caller holds the
    /// writer lock and has validated the batch.
    fn append(&self, w: &mut Writer, batch: &WriteBatch) -> Result<(), PagerError> {
        let seq = w.next_seq;
        let hwm = self.next_key.load(Ordering::Acquire);
        let mut record = Record::plan(
            seq,
            w.durable_seq,
            hwm,
            batch.puts.iter().map(|(k, b)| (*k, b.len() as u64)),
            batch.frees.clone(),
        )?;
        let blobs: Vec<&[u8]> = batch.puts.iter().map(|(_, b)| &b[..]).collect();
        let appended = append_record(&w.store, w.tail, &mut record, &blobs).and_then(|r| {
            // A fresh handle on the mapping, which now covers the new record.
            let map = w
                .store
                .read(HEADER_KEY)?
                .filter(|m| m.mmap_arc.len() as u64 >= r.1)
                .ok_or_else(|| PagerError::Corrupt("file header entry vanished".into()))?;
            Ok((r, map))
        });
        let ((start, tail), map) = match appended {
            Ok(v) => v,
            Err(e) => {
                w.poisoned = Some(format!("append failed: {e}"));
                return Err(e);
            }
        };
        w.tail = tail;
        w.next_seq += 1;
        w.written_seq = seq;
        w.persisted_hwm = hwm;
        if self.options.sync_mode == SyncMode::Full {
            w.fsync()?;
        }
        let mut state = self.state.write();
        state.map = map;
        state.file_len = tail;
        state.apply(start, &record);
        Ok(())
    }
}

impl Drop for FilePager {
    fn drop(&mut self) {
        // Best effort: errors cannot be reported from drop; `close` reports them.
        let _ = self.shutdown();
    }
}

impl Pager for FilePager {
    type Blob = FileBlob;

    fn get_many(&self, keys: &[PhysicalKey]) -> Result<Vec<Option<FileBlob>>, PagerError> {
        let state = self.state.read();
        keys.iter()
            .map(|k| state.index.get(k).map(|loc| state.blob(*loc)).transpose())
            .collect()
    }

    fn alloc_keys(&self, count: usize) -> Result<Vec<PhysicalKey>, PagerError> {
        alloc_from(&self.next_key, count)
    }

    fn write_batch(&self, batch: WriteBatch) -> Result<(), PagerError> {
        if batch.is_empty() {
            return Ok(());
        }
        let mut w = self.writer.lock();
        w.usable()?;
        {
            // Only writers change the index, and we are the writer: the check holds until
            // the batch is applied.
            let state = self.state.read();
            validate_batch(&batch, self.next_key.load(Ordering::Acquire), |k| {
                state.index.contains_key(&k)
            })?;
        }
        self.append(&mut w, &batch)
    }

    /// Makes every batch written before the call durable (nothing in [`SyncMode::Off`]).
    ///
    /// This is a group sync: the fsync runs without the writer lock, so batches can be
    /// appended meanwhile, and concurrent callers share fsyncs: a caller whose batches an
    /// fsync already in progress covers waits for it instead of starting another. An engine
    /// can thus commit with a [`SyncMode::Normal`] pager by writing its batch under its
    /// commit lock and calling `sync` after releasing it (group commit).
    fn sync(&self) -> Result<(), PagerError> {
        let w = self.writer.lock();
        w.usable()?;
        if self.options.sync_mode == SyncMode::Off {
            return Ok(());
        }
        self.sync_through(w)
    }

    /// Rewrites the file without its dead blobs once they pass the thresholds of
    /// [`FilePagerOptions::compact_threshold`] (see [`FilePager::compact`]).
    fn compact(&self) -> Result<bool, PagerError> {
        FilePager::compact(self)
    }

    /// Rewrites the file without its dead blobs now (see [`FilePager::vacuum`]).
    fn vacuum(&self) -> Result<(), PagerError> {
        FilePager::vacuum(self)
    }
}

impl FilePager {
    /// Waits until every batch written before the call is durable, running the fsync
    /// itself (with the lock released) unless one that covers them is already running.
    fn sync_through(&self, mut w: MutexGuard<'_, Writer>) -> Result<(), PagerError> {
        let target = w.written_seq;
        loop {
            w.usable()?;
            if w.durable_seq >= target {
                return Ok(());
            }
            if w.syncing {
                // The running fsync may or may not cover `target`; look again when it ends.
                self.synced.wait(&mut w);
                continue;
            }
            w.syncing = true;
            let upto = w.written_seq;
            let file = w.file.clone();
            let result = MutexGuard::unlocked(&mut w, || file.sync_data());
            w.syncing = false;
            self.synced.notify_all();
            match result {
                Ok(()) => w.durable_seq = w.durable_seq.max(upto),
                Err(e) => {
                    // As in `Writer::fsync`: after a failed fsync nothing about the tail can
                    // be trusted, so stop writing.
                    w.poisoned = Some(format!("fsync failed: {e}"));
                    return Err(PagerError::Io(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
