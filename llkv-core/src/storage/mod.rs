//! The column store: tables as lists of row groups, with MVCC marks per row.
//!
//! A table is a list of [`RowGroup`]s. All columns of a table share row-group boundaries,
//! so a row is addressed by (row group, row) and no row-id column is stored. A row group's
//! column data is immutable once sealed (each column is one blob through the codec when
//! persisted); only its MVCC marks change, atomically, so readers never lock them.
//!
//! Bulk inserts append new row groups. Small writes of one transaction go to its write
//! buffer for the table: an open row group that grows until something reads it
//! ([`TableStore::append_buffered`], [`group`]). Small neighbouring row groups are merged
//! in tiers of [`MERGE_FAN_IN`] once their rows are settled, which keeps both scans and the
//! persisted manifest short while costing each row only a logarithmic number of rewrites.
//! A committing transaction's own marks count as settled at its commit (see [`Horizon`]).

mod appender;
pub mod group;
pub mod key_index;
pub mod persist;
mod prefetch;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::{ArrayRef, BooleanArray, RecordBatch};
use arrow::compute;
use arrow::datatypes::SchemaRef;
use llkv_traits::TableId;
use parking_lot::{Mutex, RwLock, RwLockUpgradableReadGuard, RwLockWriteGuard};

pub use self::group::{PersistedGroup, RowGroup, SortedColumn};
use self::group::{appendable_type, is_dead};
use self::key_index::{KeyIndex, indexable_type, unpack};

use crate::error::{Error, Result};
use crate::txn::{NEVER, Snapshot, Timestamp, UndoEntry};

/// The most rows one row group holds.
pub const ROW_GROUP_ROWS: usize = 65_536;

/// How many small trailing row groups are merged into one at a time.
pub const MERGE_FAN_IN: usize = 8;

/// The most rows a write buffer (an open row group) holds: a transaction's buffers for
/// one table grow by [`MERGE_FAN_IN`] times, from the size of its first write up to this.
pub const BUFFER_ROWS: usize = 4096;

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
    /// The newest [`Horizon::oldest`] a compaction was given: versions deleted by a
    /// commit at or before it are dead to every snapshot, now and to come.
    dead_before: Timestamp,
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

    /// Appends a group holding the rows of `rows` and indexes them (from `rows`, which
    /// leaves an open group open).
    fn push(&mut self, group: Arc<RowGroup>, rows: &RecordBatch) {
        self.positions.insert(group.id(), self.list.len());
        self.index_rows(group.id(), rows, 0);
        self.list.push(group);
    }

    /// Indexes `rows` as the rows of group `id` from row `first` on.
    fn index_rows(&mut self, id: u64, rows: &RecordBatch, first: usize) {
        let (list, positions, dead_before) = (&self.list, &self.positions, self.dead_before);
        let live = |id: u64| positions.contains_key(&id);
        // A version no snapshot can see any more (as of the last compaction's horizon).
        let dead = |loc: u64| {
            let (group, row) = unpack(loc);
            let row = row as usize;
            positions
                .get(&group)
                .and_then(|&p| list.get(p))
                .is_some_and(|g| {
                    row < g.num_rows()
                        && is_dead(
                            g.created()[row].load(Ordering::Acquire),
                            g.deleted()[row].load(Ordering::Acquire),
                            dead_before,
                        )
                })
        };
        // An index that cannot take the rows is dropped; it is rebuilt on next use.
        self.indexes
            .retain_mut(|ix| ix.add_rows(id, rows, first, &live, &dead).is_ok());
    }
}

/// A transaction's write buffers: per table, the open row group its small writes go to
/// (see [`TableStore::append_buffered`]).
#[derive(Debug, Default)]
pub struct WriteBuffers(Vec<(TableId, Arc<RowGroup>)>);

impl WriteBuffers {
    fn get(&self, table: TableId) -> Option<&Arc<RowGroup>> {
        self.0.iter().find(|(t, _)| *t == table).map(|(_, g)| g)
    }

    /// Makes `group` the buffer for `table`. The one it replaces is sealed: it is full
    /// or was read, and would only hold its writes apart until read.
    fn set(&mut self, table: TableId, group: Arc<RowGroup>) {
        match self.0.iter_mut().find(|(t, _)| *t == table) {
            Some(slot) => {
                let replaced = std::mem::replace(&mut slot.1, group);
                replaced.seal();
            }
            None => self.0.push((table, group)),
        }
    }

    /// Seals every buffer and forgets them (at commit: the groups then take part in
    /// compaction and persisting like any other).
    pub fn seal_all(&mut self) {
        for (_, g) in self.0.drain(..) {
            g.seal();
        }
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

    /// `f` of the row groups, in table order, without copying the list (the table's
    /// group list is locked for reading meanwhile: `f` must not write to this table).
    pub fn read_groups<R>(&self, f: impl FnOnce(&[Arc<RowGroup>]) -> R) -> R {
        f(&self.groups.read().list)
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
        // Mostly one row per key (a unique key's visible version).
        let mut found: Vec<(usize, u32, u32)> = Vec::with_capacity(hashes.len());
        for (k, &h) in hashes.iter().enumerate() {
            if keys.iter().any(|c| c.is_null(k)) {
                continue;
            }
            for &loc in ix.candidates(h) {
                let (group, row) = unpack(loc);
                let Some(&pos) = guard.positions.get(&group) else {
                    continue;
                };
                // The marks are read next, then the key and the other columns the caller
                // wants: start loading them all now.
                guard.list[pos].prefetch_row(row as usize);
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
            groups.push(group.clone(), group.batch());
            offset += len;
        }
    }

    /// Appends `batch` like [`TableStore::append`], but a small batch goes to the
    /// transaction's write buffer for this table: appended to the open group of `buffers`
    /// if that group is still in the table, still open and has room; else to a new open
    /// group, [`MERGE_FAN_IN`] times the rows of the previous one (at most
    /// [`BUFFER_ROWS`]), which becomes the buffer. A transaction of many point writes so
    /// makes a few groups, not one per statement.
    pub fn append_buffered(
        &self,
        batch: &RecordBatch,
        snap: &Snapshot,
        undo: &mut Vec<UndoEntry>,
        buffers: &mut WriteBuffers,
    ) {
        let n = batch.num_rows();
        let flat = || {
            batch
                .schema_ref()
                .fields()
                .iter()
                .all(|f| appendable_type(f.data_type()))
        };
        if n == 0 || n > BUFFER_ROWS || !flat() {
            return self.append(batch, snap, undo);
        }
        let own = snap.own_mark();
        let mut groups = self.groups.write();
        let previous = buffers.get(self.id).filter(|g| groups.contains(g));
        if let Some(g) = previous
            && let Some(start) = g.try_append(batch, own)
        {
            undo.push(UndoEntry::Insert {
                group: g.clone(),
                start,
                end: start + n,
            });
            groups.index_rows(g.id(), batch, start);
            return;
        }
        let capacity = previous.map_or(0, |g| g.num_rows() * MERGE_FAN_IN);
        let group = Arc::new(RowGroup::open(
            batch.clone(),
            own,
            capacity.clamp(n, BUFFER_ROWS),
        ));
        undo.push(UndoEntry::Insert {
            group: group.clone(),
            start: 0,
            end: n,
        });
        groups.push(group.clone(), batch);
        buffers.set(self.id, group);
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
        state.dead_before = state.dead_before.max(horizon.oldest);
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
    // Drop groups that nobody can see any more, then merge. Whether a group is settled
    // takes a pass over all its marks (remembered until they change), so it is asked
    // only where the answer matters: of a group that may be all dead (a short look finds
    // a live row in most groups), and of the groups of a run that tiers and sizes alone
    // would merge. Asked of every group, a commit whose deletes touch many big groups
    // read every mark of each of them.
    let mut kept = Vec::with_capacity(groups.len());
    // Per kept group: its size tier, and whether it is settled if that was asked.
    let mut info: Vec<(u32, Option<bool>)> = Vec::with_capacity(groups.len());
    for g in groups.drain(..) {
        let settled = g.may_be_all_dead().then(|| g.is_settled(horizon));
        if settled == Some(true) && g.all_dead(horizon.oldest) {
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
    // and many small groups (of autocommit writes, or a transaction's sealed write
    // buffers) become one group in one pass. Runs
    // are looked for along the whole list, not only at its end: groups of other
    // transactions still running must not keep older small groups from merging.
    let mut i = 0;
    while i + MERGE_FAN_IN <= groups.len() {
        let tier = info[i].0;
        // The run by tier and size first, then cut at its first group not settled.
        let (mut end, mut rows) = (i, 0);
        while end < groups.len()
            && info[end].0 == tier
            && rows + groups[end].num_rows() <= ROW_GROUP_ROWS
        {
            rows += groups[end].num_rows();
            end += 1;
        }
        if end - i >= MERGE_FAN_IN {
            end = (i..end)
                .find(|&j| {
                    !*info[j]
                        .1
                        .get_or_insert_with(|| groups[j].is_settled(horizon))
                })
                .unwrap_or(end);
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
            merged.iter().map(|g| (size_tier(g.num_rows()), Some(true))),
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
    // Sealed first, so each group's marks and data have the same rows.
    let rows: usize = groups.iter().map(|g| g.seal().num_rows()).sum();
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

#[cfg(test)]
mod tests;

#[cfg(test)]
mod buffer_tests;
