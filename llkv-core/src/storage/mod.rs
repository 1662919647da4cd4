//! The column store: tables as lists of row groups, with MVCC marks per row.
//!
//! A table is a list of [`RowGroup`]s. All columns of a table share row-group boundaries,
//! so a row is addressed by (row group, row) and no row-id column is stored. A row group's
//! column data is immutable once built (each column is one blob through the codec when
//! persisted); only its MVCC marks change, atomically, so readers never lock them.
//!
//! Inserts append new row groups. Small neighbouring row groups (many one-row inserts)
//! are merged in tiers of [`MERGE_FAN_IN`] once their rows are settled, which keeps both scans
//! and the persisted manifest short while costing each row only a logarithmic number of
//! rewrites. A committing transaction's own marks count as settled at its commit (see
//! [`Horizon`]), so the one-row groups of a transaction of point writes become one group
//! before its batch is written.

pub mod key_index;
pub mod persist;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use arrow::array::{ArrayRef, BooleanArray, RecordBatch, UInt32Array};
use arrow::buffer::BooleanBuffer;
use arrow::compute;
use arrow::datatypes::SchemaRef;
use llkv_traits::{ChunkStats, TableId};
use parking_lot::{Mutex, RwLock, RwLockUpgradableReadGuard, RwLockWriteGuard};

use self::key_index::{KeyIndex, indexable_type, unpack};

use crate::error::{Error, Result};
use crate::txn::{NEVER, PENDING_BIT, Snapshot, Timestamp, UndoEntry};

/// The most rows one row group holds.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// How many small trailing row groups are merged into one at a time.
pub const MERGE_FAN_IN: usize = 8;

static NEXT_GROUP_ID: AtomicU64 = AtomicU64::new(1);

/// Where a row group lives in the pager, once persisted.
#[derive(Debug, Clone, Default)]
pub struct PersistedGroup {
    /// One chunk key per column.
    pub chunk_keys: Vec<u64>,
    /// The key of the dead-row list, if one was written.
    pub dead_key: Option<u64>,
}

/// A horizontal slice of a table: one array per column plus MVCC marks per row.
pub struct RowGroup {
    id: u64,
    batch: RecordBatch,
    created: Box<[AtomicU64]>,
    deleted: Box<[AtomicU64]>,
    /// Per-column statistics, computed on first use: most small groups a transaction
    /// writes are merged before anything prunes by them.
    stats: OnceLock<Vec<ChunkStats>>,
    dirty: AtomicBool,
    persisted: Mutex<Option<PersistedGroup>>,
    /// Per column: the row numbers sorted by that column's value (NULLs first), built on
    /// first use. Column data never changes, so an order never goes stale.
    sorted: Mutex<hashbrown::HashMap<usize, Arc<SortedColumn>>>,
    /// Whether every snapshot from some timestamp on sees every row (see
    /// [`RowGroup::visibility`]).
    settled: Mutex<Settled>,
    /// Bumped after each change of the marks ([`RowGroup::mark_dirty`]).
    marks_version: AtomicU64,
    /// What compaction last learned from the marks, valid while `marks_version` is
    /// unchanged: a full group is then checked without reading its marks again.
    summary: Mutex<Option<MarkSummary>>,
}

/// One pass over a row group's marks, as compaction needs it ([`RowGroup::is_settled`],
/// [`RowGroup::all_dead`]).
#[derive(Debug, Clone, Copy)]
struct MarkSummary {
    /// The [`RowGroup::marks_version`] read before the pass.
    version: u64,
    /// True if some mark is pending (written by a running transaction).
    pending: bool,
    /// The newest commit mark (0 if none).
    newest: Timestamp,
    /// The newest commit mark below `newest` (0 if none).
    below_newest: Timestamp,
    /// Every row is dead to snapshots reading at or after this timestamp; `None` if some
    /// row is not deleted, or deleted by a running transaction.
    dies: Option<Timestamp>,
}

impl MarkSummary {
    fn of(version: u64, created: &[AtomicU64], deleted: &[AtomicU64]) -> Self {
        let mut s = Self {
            version,
            pending: false,
            newest: 0,
            below_newest: 0,
            dies: Some(0),
        };
        let mut note = |v: u64| match v {
            NEVER => {}
            _ if v & PENDING_BIT != 0 => s.pending = true,
            _ if v > s.newest => {
                s.below_newest = s.newest;
                s.newest = v;
            }
            _ if v < s.newest && v > s.below_newest => s.below_newest = v,
            _ => {}
        };
        let mut dies = Some(0);
        for (c, d) in created.iter().zip(deleted.iter()) {
            let (c, d) = (c.load(Ordering::Acquire), d.load(Ordering::Acquire));
            note(c);
            note(d);
            dies = dies.zip(death(c, d)).map(|(a, b)| a.max(b));
        }
        s.dies = dies;
        s
    }
}

/// A row group's "everything visible" cache.
#[derive(Debug, Default)]
struct Settled {
    /// Every snapshot reading at or after this timestamp sees every row: all rows were
    /// committed by then and none is deleted or being deleted. `None`: not known.
    visible_from: Option<Timestamp>,
    /// Bumped after each batch of delete marks, so a scan that read the marks before the
    /// change cannot publish what it saw.
    epoch: u64,
}

/// One column of a row group in sorted order (NULLs first).
#[derive(Debug)]
pub struct SortedColumn {
    /// The row numbers, in the order of their values.
    pub order: Arc<UInt32Array>,
    /// The values in that order: `values[i]` is row `order[i]`'s value.
    pub values: ArrayRef,
}

impl std::fmt::Debug for RowGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RowGroup")
            .field("id", &self.id)
            .field("rows", &self.batch.num_rows())
            .finish()
    }
}

impl RowGroup {
    /// A row group over `batch` whose rows all carry `created` and are not deleted.
    pub fn new(batch: RecordBatch, created: u64) -> Self {
        let n = batch.num_rows();
        Self::with_marks(
            batch,
            (0..n).map(|_| AtomicU64::new(created)).collect(),
            (0..n).map(|_| AtomicU64::new(NEVER)).collect(),
            None,
        )
    }

    /// A row group with explicit marks (used when loading and merging).
    pub fn with_marks(
        batch: RecordBatch,
        created: Box<[AtomicU64]>,
        deleted: Box<[AtomicU64]>,
        persisted: Option<PersistedGroup>,
    ) -> Self {
        let dirty = persisted.is_none();
        Self {
            id: NEXT_GROUP_ID.fetch_add(1, Ordering::Relaxed),
            batch,
            created,
            deleted,
            stats: OnceLock::new(),
            dirty: AtomicBool::new(dirty),
            persisted: Mutex::new(persisted),
            sorted: Mutex::new(hashbrown::HashMap::new()),
            settled: Mutex::new(Settled::default()),
            marks_version: AtomicU64::new(0),
            summary: Mutex::new(None),
        }
    }

    /// The row numbers of this group sorted by column `column` (NULLs first): the
    /// group's part of every index on that column. Built once, then shared.
    pub fn sorted_order(&self, column: usize) -> Result<Arc<UInt32Array>> {
        Ok(self.sorted_column(column)?.order.clone())
    }

    /// Column `column` in sorted order with the row numbers of its values: binary
    /// searches read the contiguous sorted values, then map positions to rows. Built
    /// once, then shared.
    pub fn sorted_column(&self, column: usize) -> Result<Arc<SortedColumn>> {
        if let Some(o) = self.sorted.lock().get(&column) {
            return Ok(o.clone());
        }
        let col = self
            .batch
            .columns()
            .get(column)
            .ok_or_else(|| Error::Execution(format!("row group has no column {column}")))?;
        let order = Arc::new(compute::sort_to_indices(
            col.as_ref(),
            Some(arrow::compute::SortOptions {
                descending: false,
                nulls_first: true,
            }),
            None,
        )?);
        let values = compute::take(col.as_ref(), order.as_ref(), None)?;
        let sorted = Arc::new(SortedColumn { order, values });
        self.sorted.lock().insert(column, sorted.clone());
        Ok(sorted)
    }

    /// A process-unique id.
    pub fn id(&self) -> u64 {
        self.id
    }

    /// The column data.
    pub fn batch(&self) -> &RecordBatch {
        &self.batch
    }

    /// Number of row versions (visible or not).
    pub fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// Per-column statistics.
    pub fn stats(&self) -> &[ChunkStats] {
        self.stats.get_or_init(|| {
            self.batch
                .columns()
                .iter()
                .map(|c| ChunkStats::compute(c.as_ref()))
                .collect()
        })
    }

    /// The `created` marks.
    pub fn created(&self) -> &[AtomicU64] {
        &self.created
    }

    /// The `deleted` marks.
    pub fn deleted(&self) -> &[AtomicU64] {
        &self.deleted
    }

    /// Flags the marks as changed since the last persist. Every writer of marks calls it
    /// after its change: it also bumps [`RowGroup::marks_version`].
    pub fn mark_dirty(&self) {
        self.dirty.store(true, Ordering::Release);
        self.marks_version.fetch_add(1, Ordering::AcqRel);
    }

    /// A counter of changes to the marks: a reader that saw version `v` before reading
    /// the marks knows they are unchanged while the version is still `v`.
    pub fn marks_version(&self) -> u64 {
        self.marks_version.load(Ordering::Acquire)
    }

    /// Clears the dirty flag and returns whether it was set.
    pub fn take_dirty(&self) -> bool {
        self.dirty.swap(false, Ordering::AcqRel)
    }

    /// Where the group is persisted.
    pub fn persisted(&self) -> parking_lot::MutexGuard<'_, Option<PersistedGroup>> {
        self.persisted.lock()
    }

    /// The rows visible to `snap`, as a boolean mask.
    ///
    /// Most groups are settled: every row committed long ago, none deleted. The pass over
    /// the marks notes that, and later snapshots then get an all-true mask without
    /// reading a mark. Delete marks clear the note ([`RowGroup::marks_deleted`]).
    pub fn visibility(&self, snap: &Snapshot) -> BooleanArray {
        let n = self.created.len();
        let epoch = {
            let s = self.settled.lock();
            if s.visible_from.is_some_and(|v| snap.read_ts >= v) {
                return BooleanArray::new(BooleanBuffer::new_set(n), None);
            }
            s.epoch
        };
        let c = &self.created;
        let d = &self.deleted;
        let mut settled = true;
        let mut newest = 0;
        let buf = BooleanBuffer::collect_bool(n, |i| {
            let (ci, di) = (c[i].load(Ordering::Acquire), d[i].load(Ordering::Acquire));
            settled &= ci & PENDING_BIT == 0 && ci != NEVER && di == NEVER;
            newest = newest.max(ci);
            snap.sees(ci, di)
        });
        if settled {
            let mut s = self.settled.lock();
            if s.epoch == epoch {
                s.visible_from = Some(newest);
            }
        }
        BooleanArray::new(buf, None)
    }

    /// Records that delete marks of this group changed (call after setting them): the
    /// group is no longer known to be settled.
    pub fn marks_deleted(&self) {
        let mut s = self.settled.lock();
        s.epoch += 1;
        s.visible_from = None;
    }

    /// Those of `rows` visible to `snap` (for index lookups, which need not look at the
    /// rest of the group).
    pub fn visible_among(&self, snap: &Snapshot, rows: &[u32]) -> Vec<u32> {
        rows.iter()
            .copied()
            .filter(|&r| {
                let r = r as usize;
                snap.sees(
                    self.created[r].load(Ordering::Acquire),
                    self.deleted[r].load(Ordering::Acquire),
                )
            })
            .collect()
    }

    /// The rows dead to every snapshot that reads at `oldest` or later: never created, or
    /// deleted by a commit at or before `oldest`. Pending marks count as alive.
    pub fn dead_rows(&self, oldest: Timestamp) -> Vec<u32> {
        (0..self.num_rows())
            .filter(|&i| {
                let c = self.created[i].load(Ordering::Acquire);
                let d = self.deleted[i].load(Ordering::Acquire);
                is_dead(c, d, oldest)
            })
            .map(|i| i as u32)
            .collect()
    }

    /// True if none of this group's marks may still change: none is pending (written by a
    /// running transaction) and every commit mark is published, or is the mark of the
    /// commit `horizon` is taken for (its stamps are final; if its batch fails, the
    /// commit undoes its marks in merged groups too).
    pub fn is_settled(&self, horizon: &Horizon) -> bool {
        let s = self.summary();
        !s.pending
            && (s.newest <= horizon.published
                || (s.newest == horizon.committing && s.below_newest <= horizon.published))
    }

    /// True if every row is dead to every snapshot reading at `oldest` or later.
    fn all_dead(&self, oldest: Timestamp) -> bool {
        self.summary().dies.is_some_and(|t| t <= oldest)
    }

    /// The summary of the marks: remembered while no mark changes (every writer of
    /// marks bumps the version after its change, [`RowGroup::mark_dirty`]), so a
    /// compaction reads the marks of a group only once per change, not once per commit.
    fn summary(&self) -> MarkSummary {
        let version = self.marks_version();
        let mut cached = self.summary.lock();
        match *cached {
            Some(s) if s.version == version => s,
            _ => {
                let s = MarkSummary::of(version, &self.created, &self.deleted);
                *cached = Some(s);
                s
            }
        }
    }
}

/// What compaction may rely on: which marks are final, and which versions no snapshot
/// can see any more.
#[derive(Debug, Clone, Copy)]
pub struct Horizon {
    /// Every running snapshot, and every one to come, reads at or after this timestamp.
    pub oldest: Timestamp,
    /// The newest published commit.
    pub published: Timestamp,
    /// The commit compacting (stamped, not yet published), or 0.
    pub committing: Timestamp,
}

/// The stored rows of one table.
pub struct TableStore {
    id: TableId,
    schema: SchemaRef,
    groups: RwLock<Groups>,
    /// Serializes "check unique keys, then append" so two writers cannot both pass the
    /// check for the same key before either has appended.
    write_lock: Mutex<()>,
}

impl std::fmt::Debug for TableStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TableStore").field("id", &self.id).finish()
    }
}

/// A table's row groups, where each one is in the list, and the hash indexes over them
/// (kept in step under one lock).
#[derive(Debug, Default)]
struct Groups {
    list: Vec<Arc<RowGroup>>,
    /// Group id -> position in `list`.
    positions: hashbrown::HashMap<u64, usize>,
    /// The hash indexes built so far (see [`key_index`]).
    indexes: Vec<KeyIndex>,
}

impl Groups {
    fn new(list: Vec<Arc<RowGroup>>) -> Self {
        let mut g = Self {
            list,
            ..Self::default()
        };
        g.reposition();
        g
    }

    /// Rebuilds `positions` after the list changed.
    fn reposition(&mut self) {
        self.positions.clear();
        self.positions
            .extend(self.list.iter().enumerate().map(|(i, g)| (g.id(), i)));
    }

    /// True if `group` is (still) one of the table's groups.
    fn contains(&self, group: &Arc<RowGroup>) -> bool {
        self.positions
            .get(&group.id())
            .is_some_and(|&i| Arc::ptr_eq(&self.list[i], group))
    }

    /// Appends a group and indexes its rows.
    fn push(&mut self, group: Arc<RowGroup>) {
        self.positions.insert(group.id(), self.list.len());
        // An index that cannot take the group is dropped; it is rebuilt on next use.
        let positions = &self.positions;
        let live = |id: u64| positions.contains_key(&id);
        self.indexes
            .retain_mut(|ix| ix.add_group(&group, &live).is_ok());
        self.list.push(group);
    }
}

/// Candidate rows of one row group found by a hash index: (row, the probe key it may
/// equal), by row.
pub type GroupCandidates = (Arc<RowGroup>, Vec<(u32, u32)>);

impl TableStore {
    /// An empty table.
    pub fn new(id: TableId, schema: SchemaRef) -> Self {
        Self::with_groups(id, schema, Vec::new())
    }

    /// A table with the given row groups (used when loading).
    pub fn with_groups(id: TableId, schema: SchemaRef, groups: Vec<Arc<RowGroup>>) -> Self {
        Self {
            id,
            schema,
            groups: RwLock::new(Groups::new(groups)),
            write_lock: Mutex::new(()),
        }
    }

    /// Held while checking constraints and appending, so concurrent writers of one table
    /// see each other's pending rows.
    pub fn lock_writes(&self) -> parking_lot::MutexGuard<'_, ()> {
        self.write_lock.lock()
    }

    /// The table id.
    pub fn id(&self) -> TableId {
        self.id
    }

    /// The stored schema.
    pub fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    /// The current row groups (a cheap copy of the list; the groups are shared).
    pub fn groups(&self) -> Vec<Arc<RowGroup>> {
        self.groups.read().list.clone()
    }

    /// True if a hash index over exactly `columns` has been built (see
    /// [`TableStore::probe_keys`]).
    pub fn has_key_index(&self, columns: &[usize]) -> bool {
        self.groups
            .read()
            .indexes
            .iter()
            .any(|ix| ix.columns() == columns)
    }

    /// The row versions whose key over `columns` may equal a row of `keys` (one array per
    /// key column, of the column's type), by a table-wide hash index built on first use:
    /// per row group holding candidates, in table order. Hashes collide and every stored
    /// version is a candidate, so the caller checks the values and the MVCC marks; keys
    /// with a NULL find nothing.
    ///
    /// With `keep`, only the versions whose (created, deleted) marks it accepts are
    /// returned: cheaper than grouping versions the caller would drop (a key updated many
    /// times in one transaction has many dead versions until the commit's compaction).
    ///
    /// `None` if these columns cannot be hash-indexed (see [`key_index::indexable`]) or
    /// `keys` does not match their types.
    pub fn probe_keys(
        &self,
        columns: &[usize],
        keys: &[ArrayRef],
        keep: Option<&dyn Fn(u64, u64) -> bool>,
    ) -> Result<Option<Vec<GroupCandidates>>> {
        let fields = self.schema.fields();
        let matches_types = keys.len() == columns.len()
            && keys.iter().zip(columns).all(|(k, &c)| {
                fields
                    .get(c)
                    .is_some_and(|f| f.data_type() == k.data_type())
            })
            && keys.iter().all(|k| k.len() == keys[0].len());
        // The keys have the columns' types, so their types tell whether the columns can be
        // indexed (as `indexable` does, without collecting them per lookup).
        let indexable = !keys.is_empty() && keys.iter().all(|k| indexable_type(k.data_type()));
        if !matches_types || !indexable {
            return Ok(None);
        }
        let hashes = llkv_kernels::hash::hash_columns(keys)?;
        let guard = self.groups.upgradable_read();
        let guard = if guard.indexes.iter().any(|ix| ix.columns() == columns) {
            RwLockUpgradableReadGuard::downgrade(guard)
        } else {
            let mut w = RwLockUpgradableReadGuard::upgrade(guard);
            let mut ix = KeyIndex::new(columns.to_vec());
            ix.rebuild(&w.list)?;
            w.indexes.push(ix);
            RwLockWriteGuard::downgrade(w)
        };
        let Some(ix) = guard.indexes.iter().find(|ix| ix.columns() == columns) else {
            return Ok(None);
        };
        let mut found: Vec<(usize, u32, u32)> = Vec::new();
        for (k, &h) in hashes.iter().enumerate() {
            if keys.iter().any(|c| c.is_null(k)) {
                continue;
            }
            for &loc in ix.candidates(h) {
                let (group, row) = unpack(loc);
                let Some(&pos) = guard.positions.get(&group) else {
                    continue;
                };
                if let Some(keep) = keep {
                    let g = &guard.list[pos];
                    let (c, d) = (&g.created()[row as usize], &g.deleted()[row as usize]);
                    if !keep(c.load(Ordering::Acquire), d.load(Ordering::Acquire)) {
                        continue;
                    }
                }
                found.push((pos, row, k as u32));
            }
        }
        found.sort_unstable();
        let mut out: Vec<GroupCandidates> = Vec::new();
        for (pos, row, key) in found {
            match out.last_mut() {
                Some((g, rows)) if Arc::ptr_eq(g, &guard.list[pos]) => rows.push((row, key)),
                _ => out.push((guard.list[pos].clone(), vec![(row, key)])),
            }
        }
        Ok(Some(out))
    }

    /// Appends `batch` as new row versions pending for `snap`'s transaction, recording the
    /// inserts in `undo`.
    pub fn append(&self, batch: &RecordBatch, snap: &Snapshot, undo: &mut Vec<UndoEntry>) {
        let mut offset = 0;
        let total = batch.num_rows();
        let mut groups = self.groups.write();
        while offset < total {
            let len = (total - offset).min(ROW_GROUP_ROWS);
            let part = if len == total {
                batch.clone()
            } else {
                batch.slice(offset, len)
            };
            let group = Arc::new(RowGroup::new(part, snap.own_mark()));
            undo.push(UndoEntry::Insert {
                group: group.clone(),
                start: 0,
                end: len,
            });
            groups.push(group);
            offset += len;
        }
    }

    /// Marks `rows` of `group` deleted by `snap`'s transaction. Rows already deleted by
    /// this transaction are skipped. A row deleted by another transaction that is still
    /// running, or that committed after `snap` was taken, is a write conflict.
    pub fn mark_deleted(
        &self,
        group: &Arc<RowGroup>,
        rows: &[u32],
        snap: &Snapshot,
        undo: &mut Vec<UndoEntry>,
        table_name: &str,
    ) -> Result<()> {
        // Holding the read lock keeps merges from moving the rows while we mark them; a
        // group merged away since the caller found it cannot be marked (the change would
        // be lost), so that is reported as a conflict to retry.
        let guard = self.groups.read();
        if !guard.contains(group) {
            return Err(Error::Conflict(format!(
                "rows of table {table_name} moved while being changed"
            )));
        }
        let own = snap.own_mark();
        let deleted = group.deleted();
        let mut marked = Vec::with_capacity(rows.len());
        let mut conflict = None;
        for &r in rows {
            match deleted[r as usize].compare_exchange(
                NEVER,
                own,
                Ordering::AcqRel,
                Ordering::Acquire,
            ) {
                Ok(_) => marked.push(r),
                Err(cur) if cur == own => {}
                Err(_) => {
                    conflict = Some(r);
                    break;
                }
            }
        }
        if !marked.is_empty() {
            group.marks_deleted();
            group.mark_dirty();
            undo.push(UndoEntry::Delete {
                group: group.clone(),
                rows: marked,
            });
        }
        match conflict {
            None => Ok(()),
            Some(_) => Err(Error::Conflict(format!(
                "a row of table {table_name} was changed by a concurrent transaction"
            ))),
        }
    }

    /// Replaces the whole group list (used by persistence after a reload).
    pub fn replace_groups(&self, groups: Vec<Arc<RowGroup>>) {
        *self.groups.write() = Groups::new(groups);
    }

    /// Merges runs of small settled row groups and drops groups whose rows are all dead to
    /// every snapshot at or after `horizon.oldest`. Returns the groups that were removed
    /// (their blobs can be freed).
    pub fn compact(&self, horizon: &Horizon) -> Result<Vec<Arc<RowGroup>>> {
        let mut guard = self.groups.write();
        let state = &mut *guard;
        let mut removed = Vec::new();
        let mut added = Vec::new();
        let merged = compact_list(
            &self.schema,
            &mut state.list,
            horizon,
            &mut removed,
            &mut added,
        );
        // Whatever happened, the list is valid (each merge replaced its run in one step):
        // bring the positions and the indexes in step with it.
        state.reposition();
        let added_ids: hashbrown::HashSet<u64> = added.iter().map(|g| g.id()).collect();
        let removed_ids: hashbrown::HashSet<u64> = removed.iter().map(|g| g.id()).collect();
        let gone: Vec<&RowGroup> = removed
            .iter()
            .filter(|g| !added_ids.contains(&g.id()))
            .map(|g| g.as_ref())
            .collect();
        let (list, positions) = (&state.list, &state.positions);
        let live = |id: u64| positions.contains_key(&id);
        state.indexes.retain_mut(|ix| {
            let mut new = added.iter().filter(|g| !removed_ids.contains(&g.id()));
            ix.forget_groups(&gone);
            // An index that cannot follow is dropped; it is rebuilt on next use.
            if ix.needs_rebuild() {
                ix.rebuild(list).is_ok()
            } else {
                new.all(|g| ix.add_group(g, &live).is_ok())
            }
        });
        // A group merged and then merged again in this pass was never in the list the
        // caller knows: its blobs were never written.
        removed.retain(|g| !added_ids.contains(&g.id()));
        merged.map(|()| removed)
    }
}

/// The work of [`TableStore::compact`] on the group list: groups taken out go to
/// `removed`, groups made by merging to `added`.
fn compact_list(
    schema: &SchemaRef,
    groups: &mut Vec<Arc<RowGroup>>,
    horizon: &Horizon,
    removed: &mut Vec<Arc<RowGroup>>,
    added: &mut Vec<Arc<RowGroup>>,
) -> Result<()> {
    // Drop groups that nobody can see any more. Each group's marks are read once: the
    // merge pass below works from (size tier, settled) per group.
    let mut kept = Vec::with_capacity(groups.len());
    let mut info: Vec<(u32, bool)> = Vec::with_capacity(groups.len());
    for g in groups.drain(..) {
        let settled = g.is_settled(horizon);
        if settled && g.all_dead(horizon.oldest) {
            removed.push(g);
        } else {
            info.push((size_tier(g.num_rows()), settled));
            kept.push(g);
        }
    }
    *groups = kept;
    // Merge runs of at least MERGE_FAN_IN neighbouring groups that are settled and of one
    // size tier (tier = floor(log8(rows))), up to a full group: a row is then rewritten
    // at most once per tier, never each time a small group is appended behind a big one,
    // and a transaction's thousands of one-row groups become one group in one pass. Runs
    // are looked for along the whole list, not only at its end: groups of other
    // transactions still running must not keep older small groups from merging.
    let mut i = 0;
    while i + MERGE_FAN_IN <= groups.len() {
        let tier = info[i].0;
        let (mut end, mut rows) = (i, 0);
        while end < groups.len()
            && info[end] == (tier, true)
            && rows + groups[end].num_rows() <= ROW_GROUP_ROWS
        {
            rows += groups[end].num_rows();
            end += 1;
        }
        if end - i < MERGE_FAN_IN {
            i += 1;
            continue;
        }
        let merged = merge_groups(schema, &groups[i..end], horizon.oldest)?;
        removed.extend(groups.drain(i..end));
        let merged = (merged.num_rows() > 0).then(|| Arc::new(merged));
        info.splice(
            i..end,
            merged.iter().map(|g| (size_tier(g.num_rows()), true)),
        );
        if let Some(merged) = merged {
            added.push(merged.clone());
            groups.insert(i, merged);
        }
        // The merged group may now complete a run of the next tier that starts
        // up to MERGE_FAN_IN - 1 groups earlier.
        i = i.saturating_sub(MERGE_FAN_IN - 1);
    }
    Ok(())
}

/// The size tier of a group: floor(log8(rows)).
fn size_tier(rows: usize) -> u32 {
    if rows == 0 {
        0
    } else {
        rows.ilog(MERGE_FAN_IN)
    }
}

/// Concatenates settled groups, leaving out rows dead to every snapshot at or after
/// `oldest` and keeping the marks of the others: one concatenation and at most one filter
/// per column, however many groups.
fn merge_groups(
    schema: &SchemaRef,
    groups: &[Arc<RowGroup>],
    oldest: Timestamp,
) -> Result<RowGroup> {
    let rows: usize = groups.iter().map(|g| g.num_rows()).sum();
    let mut created = Vec::with_capacity(rows);
    let mut deleted = Vec::with_capacity(rows);
    let mut keep = Vec::with_capacity(rows);
    for g in groups {
        for (c, d) in g.created().iter().zip(g.deleted().iter()) {
            let (c, d) = (c.load(Ordering::Acquire), d.load(Ordering::Acquire));
            let live = !is_dead(c, d, oldest);
            keep.push(live);
            if live {
                created.push(AtomicU64::new(c));
                deleted.push(AtomicU64::new(d));
            }
        }
    }
    let mut batch = compute::concat_batches(schema, groups.iter().map(|g| g.batch()))?;
    if created.len() < rows {
        batch = compute::filter_record_batch(&batch, &BooleanArray::from(keep))?;
    }
    Ok(RowGroup::with_marks(
        batch,
        created.into_boxed_slice(),
        deleted.into_boxed_slice(),
        None,
    ))
}

/// True if a version with these marks is dead to every snapshot that reads at `oldest` or
/// later: never created, or deleted by a commit at or before `oldest`. Pending marks count
/// as alive.
fn is_dead(created: u64, deleted: u64, oldest: Timestamp) -> bool {
    death(created, deleted).is_some_and(|t| t <= oldest)
}

/// From when on a version with these marks is dead to every snapshot: 0 if it was never
/// created, else its delete's commit timestamp; `None` while it is not deleted or its
/// delete is pending (both carry the pending bit).
fn death(created: u64, deleted: u64) -> Option<Timestamp> {
    if created == NEVER {
        Some(0)
    } else if deleted & PENDING_BIT != 0 {
        None
    } else {
        Some(deleted)
    }
}

#[cfg(test)]
mod tests;
