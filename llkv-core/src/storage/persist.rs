//! Persistence: row groups, table manifests and the root, written through a pager.
//!
//! Layout (all integers little-endian, every metadata blob checksummed with CRC-32):
//! - root, at reserved key [`ROOT_KEY`]: `"LLKVROOT"`, format version, crc, last commit
//!   timestamp, next table id, and one (table id, manifest key) pair per table;
//! - one manifest per table: `"LLKVMANI"`, version, crc, column count, and per row group
//!   its row count, dead-list key (0 = none) and one chunk key per column;
//! - one chunk per (column, row group), encoded by the [`ColumnCodec`];
//! - one dead list per row group that has rows no snapshot after a restart may see:
//!   `"LLKVDEAD"`, crc, and the sorted row numbers.
//!
//! A commit writes the new chunks, the changed dead lists and manifests and the new root in
//! one atomic pager batch and frees the blobs they replace, so after a crash the file shows
//! exactly the last committed root. Only committed state is persisted: rows of
//! transactions that had not committed are listed as dead.

use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::{Array, ArrayRef};
use arrow::buffer::Buffer;
use arrow::datatypes::DataType;
use llkv_traits::{ColumnCodec, Pager, PagerBlob, PhysicalKey, TableId, WriteBatch};

use crate::error::{Error, Result};
use crate::storage::{PersistedGroup, RowGroup};
use crate::txn::{NEVER, PENDING_BIT};

/// The reserved pager key of the root blob.
pub const ROOT_KEY: PhysicalKey = 1;

/// The metadata format version this build writes and reads.
pub const FORMAT_VERSION: u32 = 1;

/// The pager and codec behind a database, with their types erased.
pub trait BlobStore: Send + Sync {
    /// Reads blobs as Arrow buffers (without copying where the pager allows).
    fn get_many(&self, keys: &[PhysicalKey]) -> Result<Vec<Option<Buffer>>>;
    /// Decodes a chunk.
    fn decode(&self, data_type: &DataType, bytes: Buffer) -> Result<ArrayRef>;
    /// Encodes a chunk.
    fn encode(&self, array: &dyn Array) -> Result<Vec<u8>>;
    /// Allocates fresh keys.
    fn alloc_keys(&self, count: usize) -> Result<Vec<PhysicalKey>>;
    /// Writes a batch atomically.
    fn write_batch(&self, batch: WriteBatch) -> Result<()>;
    /// Makes written batches durable.
    fn sync(&self) -> Result<()>;
    /// Reclaims freed space if the pager finds it worthwhile.
    fn compact(&self) -> Result<bool>;
    /// Reclaims freed space now.
    fn vacuum(&self) -> Result<()>;
}

/// A [`BlobStore`] over any pager and codec.
pub struct PagerStore<P, C> {
    pager: P,
    codec: C,
}

impl<P: Pager, C: ColumnCodec> PagerStore<P, C> {
    /// Wraps a pager and a codec.
    pub fn new(pager: P, codec: C) -> Self {
        Self { pager, codec }
    }
}

impl<P: Pager, C: ColumnCodec> BlobStore for PagerStore<P, C> {
    fn get_many(&self, keys: &[PhysicalKey]) -> Result<Vec<Option<Buffer>>> {
        Ok(self
            .pager
            .get_many(keys)?
            .into_iter()
            .map(|b| b.map(PagerBlob::into_buffer))
            .collect())
    }

    fn decode(&self, data_type: &DataType, bytes: Buffer) -> Result<ArrayRef> {
        Ok(self.codec.decode(data_type, bytes)?)
    }

    fn encode(&self, array: &dyn Array) -> Result<Vec<u8>> {
        Ok(self.codec.encode(array)?.bytes)
    }

    fn alloc_keys(&self, count: usize) -> Result<Vec<PhysicalKey>> {
        Ok(self.pager.alloc_keys(count)?)
    }

    fn write_batch(&self, batch: WriteBatch) -> Result<()> {
        Ok(self.pager.write_batch(batch)?)
    }

    fn sync(&self) -> Result<()> {
        Ok(self.pager.sync()?)
    }

    fn compact(&self) -> Result<bool> {
        Ok(self.pager.compact()?)
    }

    fn vacuum(&self) -> Result<()> {
        Ok(self.pager.vacuum()?)
    }
}

/// A little-endian writer for metadata blobs.
struct Writer(Vec<u8>);

impl Writer {
    fn new(magic: &[u8; 8]) -> Self {
        let mut v = Vec::with_capacity(64);
        v.extend_from_slice(magic);
        v.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        v.extend_from_slice(&0u32.to_le_bytes()); // crc, filled in by finish
        Self(v)
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn finish(mut self) -> Vec<u8> {
        let crc = crc32fast::hash(&self.0[16..]);
        self.0[12..16].copy_from_slice(&crc.to_le_bytes());
        self.0
    }
}

/// A checked reader for metadata blobs.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
    what: &'static str,
}

impl<'a> Reader<'a> {
    fn open(bytes: &'a [u8], magic: &[u8; 8], what: &'static str) -> Result<Self> {
        if bytes.len() < 16 || &bytes[..8] != magic {
            return Err(Error::Corrupt(format!("{what}: not an LLKV {what}")));
        }
        let version = u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]);
        if version > FORMAT_VERSION {
            return Err(Error::Corrupt(format!(
                "{what}: format version {version} is newer than this build ({FORMAT_VERSION})"
            )));
        }
        let crc = u32::from_le_bytes([bytes[12], bytes[13], bytes[14], bytes[15]]);
        if crc32fast::hash(&bytes[16..]) != crc {
            return Err(Error::Corrupt(format!("{what}: checksum mismatch")));
        }
        Ok(Self {
            bytes,
            pos: 16,
            what,
        })
    }
    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|e| *e <= self.bytes.len())
            .ok_or_else(|| Error::Corrupt(format!("{}: truncated", self.what)))?;
        let s = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(s)
    }
    fn u32(&mut self) -> Result<u32> {
        let s = self.take(4)?;
        Ok(u32::from_le_bytes([s[0], s[1], s[2], s[3]]))
    }
    fn u64(&mut self) -> Result<u64> {
        let s = self.take(8)?;
        let mut a = [0u8; 8];
        a.copy_from_slice(s);
        Ok(u64::from_le_bytes(a))
    }
    fn count(&mut self, item_size: usize) -> Result<usize> {
        let n = self.u32()? as usize;
        if n.saturating_mul(item_size) > self.bytes.len() - self.pos {
            return Err(Error::Corrupt(format!(
                "{}: count {n} too large",
                self.what
            )));
        }
        Ok(n)
    }
}

/// The root blob.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Root {
    /// The newest commit timestamp.
    pub last_commit: u64,
    /// The next table id to hand out.
    pub next_table_id: TableId,
    /// Each table's manifest key.
    pub manifests: Vec<(TableId, PhysicalKey)>,
}

impl Root {
    /// Encodes the root.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new(b"LLKVROOT");
        w.u64(self.last_commit);
        w.u32(self.next_table_id);
        w.u32(self.manifests.len() as u32);
        for (t, k) in &self.manifests {
            w.u32(*t);
            w.u64(*k);
        }
        w.finish()
    }

    /// Decodes a root blob.
    pub fn decode(bytes: &[u8]) -> Result<Self> {
        let mut r = Reader::open(bytes, b"LLKVROOT", "root")?;
        let last_commit = r.u64()?;
        let next_table_id = r.u32()?;
        let n = r.count(12)?;
        let mut manifests = Vec::with_capacity(n);
        for _ in 0..n {
            manifests.push((r.u32()?, r.u64()?));
        }
        Ok(Self {
            last_commit,
            next_table_id,
            manifests,
        })
    }
}

/// One row group as a manifest records it.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupEntry {
    /// Rows stored.
    pub rows: u64,
    /// Dead-list key.
    pub dead_key: Option<PhysicalKey>,
    /// Chunk key per column.
    pub chunk_keys: Vec<PhysicalKey>,
}

/// Encodes a table manifest.
pub fn encode_manifest(columns: usize, groups: &[GroupEntry]) -> Vec<u8> {
    let mut w = Writer::new(b"LLKVMANI");
    w.u32(columns as u32);
    w.u32(groups.len() as u32);
    for g in groups {
        w.u64(g.rows);
        w.u64(g.dead_key.unwrap_or(0));
        for k in &g.chunk_keys {
            w.u64(*k);
        }
    }
    w.finish()
}

/// Decodes a table manifest.
pub fn decode_manifest(bytes: &[u8]) -> Result<(usize, Vec<GroupEntry>)> {
    let mut r = Reader::open(bytes, b"LLKVMANI", "manifest")?;
    let columns = r.u32()? as usize;
    let n = r.count(16 + 8 * columns)?;
    let mut groups = Vec::with_capacity(n);
    for _ in 0..n {
        let rows = r.u64()?;
        let dead = r.u64()?;
        let chunk_keys = (0..columns).map(|_| r.u64()).collect::<Result<Vec<_>>>()?;
        groups.push(GroupEntry {
            rows,
            dead_key: (dead != 0).then_some(dead),
            chunk_keys,
        });
    }
    Ok((columns, groups))
}

/// Encodes a dead list.
pub fn encode_dead(rows: &[u32]) -> Vec<u8> {
    let mut w = Writer::new(b"LLKVDEAD");
    w.u32(rows.len() as u32);
    for r in rows {
        w.u32(*r);
    }
    w.finish()
}

/// Decodes a dead list.
pub fn decode_dead(bytes: &[u8]) -> Result<Vec<u32>> {
    let mut r = Reader::open(bytes, b"LLKVDEAD", "dead list")?;
    let n = r.count(4)?;
    (0..n).map(|_| r.u32()).collect()
}

/// The rows of a group that must stay invisible after a restart: never created, created
/// by a transaction that has not committed, or deleted by one that has.
pub fn rows_dead_after_restart(group: &RowGroup) -> Vec<u32> {
    let created = group.created();
    let deleted = group.deleted();
    (0..group.num_rows())
        .filter(|&i| {
            let c = created[i].load(Ordering::Acquire);
            let d = deleted[i].load(Ordering::Acquire);
            c == NEVER || c & PENDING_BIT != 0 || (d != NEVER && d & PENDING_BIT == 0)
        })
        .map(|i| i as u32)
        .collect()
}

/// What persisting one group adds to a batch, to be installed once the batch is written.
#[derive(Debug)]
pub struct StagedGroup {
    /// The group's manifest entry.
    pub entry: GroupEntry,
    /// Where the group will be persisted once the batch is written.
    pub persisted: PersistedGroup,
    /// Whether the group's dirty flag was taken (it must be set again if the batch fails).
    pub took_dirty: bool,
}

/// Adds what a group needs to `batch` (its chunks if it was never persisted, a new dead
/// list if its marks changed, freeing the old one) and returns its manifest entry and its
/// new persisted state, without changing the group: the caller installs the state with
/// [`RowGroup::persisted`] only after the batch was written, and marks the group dirty again
/// if it was not.
pub fn stage_group(
    store: &dyn BlobStore,
    group: &RowGroup,
    batch: &mut WriteBatch,
) -> Result<StagedGroup> {
    let current = group.persisted().clone();
    let took_dirty = group.take_dirty();
    let staged = stage_group_inner(store, group, current, took_dirty, batch);
    if staged.is_err() && took_dirty {
        group.mark_dirty();
    }
    let (entry, persisted) = staged?;
    Ok(StagedGroup {
        entry,
        persisted,
        took_dirty,
    })
}

fn stage_group_inner(
    store: &dyn BlobStore,
    group: &RowGroup,
    current: Option<PersistedGroup>,
    dirty: bool,
    batch: &mut WriteBatch,
) -> Result<(GroupEntry, PersistedGroup)> {
    let mut state = match current {
        Some(p) => p,
        None => {
            let cols = group.batch().columns();
            let keys = store.alloc_keys(cols.len())?;
            for (k, c) in keys.iter().zip(cols) {
                batch.put(*k, store.encode(c.as_ref())?);
            }
            PersistedGroup {
                chunk_keys: keys,
                dead_key: None,
            }
        }
    };
    if dirty {
        let dead = rows_dead_after_restart(group);
        if let Some(old) = state.dead_key.take() {
            batch.free(old);
        }
        if !dead.is_empty() {
            let k = store.alloc_keys(1)?[0];
            batch.put(k, encode_dead(&dead));
            state.dead_key = Some(k);
        }
    }
    let entry = GroupEntry {
        rows: group.num_rows() as u64,
        dead_key: state.dead_key,
        chunk_keys: state.chunk_keys.clone(),
    };
    Ok((entry, state))
}

/// Adds the frees of every blob of a persisted group to `batch`, without changing the
/// group; returns whether it had any (the caller clears [`RowGroup::persisted`] once the
/// batch is written).
pub fn stage_free_group(group: &RowGroup, batch: &mut WriteBatch) -> bool {
    match group.persisted().as_ref() {
        Some(p) => {
            for k in &p.chunk_keys {
                batch.free(*k);
            }
            if let Some(k) = p.dead_key {
                batch.free(k);
            }
            true
        }
        None => false,
    }
}

/// Loads one row group from its manifest entry.
pub fn load_group(
    store: &dyn BlobStore,
    schema: &arrow::datatypes::SchemaRef,
    entry: &GroupEntry,
) -> Result<RowGroup> {
    if entry.chunk_keys.len() != schema.fields().len() {
        return Err(Error::Corrupt(format!(
            "manifest lists {} columns, table has {}",
            entry.chunk_keys.len(),
            schema.fields().len()
        )));
    }
    let blobs = store.get_many(&entry.chunk_keys)?;
    let mut columns = Vec::with_capacity(blobs.len());
    for ((blob, field), key) in blobs
        .into_iter()
        .zip(schema.fields())
        .zip(&entry.chunk_keys)
    {
        let blob = blob.ok_or_else(|| Error::Corrupt(format!("chunk {key} is missing")))?;
        let array = store.decode(field.data_type(), blob)?;
        if array.len() as u64 != entry.rows {
            return Err(Error::Corrupt(format!(
                "chunk {key} has {} rows, manifest says {}",
                array.len(),
                entry.rows
            )));
        }
        columns.push(array);
    }
    let batch = arrow::array::RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &arrow::array::RecordBatchOptions::new().with_row_count(Some(entry.rows as usize)),
    )?;
    let n = batch.num_rows();
    let created: Box<[AtomicU64]> = (0..n).map(|_| AtomicU64::new(0)).collect();
    let deleted: Box<[AtomicU64]> = (0..n).map(|_| AtomicU64::new(NEVER)).collect();
    if let Some(k) = entry.dead_key {
        let blob = store
            .get_many(&[k])?
            .pop()
            .flatten()
            .ok_or_else(|| Error::Corrupt(format!("dead list {k} is missing")))?;
        for r in decode_dead(blob.as_slice())? {
            let slot = created
                .get(r as usize)
                .ok_or_else(|| Error::Corrupt(format!("dead list {k} names row {r}")))?;
            slot.store(NEVER, Ordering::Relaxed);
        }
    }
    Ok(RowGroup::with_marks(
        batch,
        created,
        deleted,
        Some(PersistedGroup {
            chunk_keys: entry.chunk_keys.clone(),
            dead_key: entry.dead_key,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_round_trips_and_detects_damage() {
        let root = Root {
            last_commit: 9,
            next_table_id: 3,
            manifests: vec![(0, 20), (2, 31)],
        };
        let bytes = root.encode();
        assert_eq!(Root::decode(&bytes).unwrap(), root);
        let mut bad = bytes.clone();
        bad[20] ^= 1;
        assert!(Root::decode(&bad).is_err());
        assert!(Root::decode(&bytes[..10]).is_err());
        let groups = vec![GroupEntry {
            rows: 5,
            dead_key: Some(7),
            chunk_keys: vec![1, 2],
        }];
        let m = encode_manifest(2, &groups);
        assert_eq!(decode_manifest(&m).unwrap(), (2, groups));
        assert_eq!(decode_dead(&encode_dead(&[1, 4])).unwrap(), vec![1, 4]);
    }
}
