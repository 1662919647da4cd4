//! Row groups: a horizontal slice of a table (one array per column) with MVCC marks per
//! row.
//!
//! A group's column data never changes once it is *sealed*. Almost every group is built
//! sealed. The exception is a transaction's write buffer: an *open* group that takes the
//! rows of the transaction's later point writes to the same table ([`RowGroup::try_append`]),
//! so ten thousand one-row UPDATEs make a handful of groups, not ten thousand. Its marks
//! are allocated for its capacity up front (slots past its rows are "never created"), so
//! references to them stay valid while it grows. The first read of its column data seals
//! it ([`RowGroup::batch`]): readers, statistics, sorted orders and persisting only ever
//! see sealed data, and the transaction starts a new open group for its next write.

use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions, UInt32Array};
use arrow::buffer::BooleanBuffer;
use arrow::compute;
use arrow::datatypes::{DataType, SchemaRef};
use llkv_traits::ChunkStats;
use parking_lot::Mutex;

use super::Horizon;
use super::appender::{ColumnAppender, offset_bytes_of};
use super::prefetch::RowSlots;
use crate::error::{Error, Result};
use crate::txn::{NEVER, PENDING_BIT, Snapshot, Timestamp};

/// The most variable-length bytes (strings, binaries) one column of an open group takes:
/// sealing concatenates its rows, and 32-bit offsets must not overflow.
const OPEN_MAX_VALUE_BYTES: usize = 1 << 30;

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
    /// The column data, set when the group is sealed: at once for all but open groups.
    data: OnceLock<RecordBatch>,
    /// The rows written to an open group, concatenated when it is sealed; `None` for a
    /// group built sealed.
    open: Option<Mutex<OpenRows>>,
    /// The number of rows (of an open group: published so far; fixed once sealed).
    len: AtomicUsize,
    /// One mark per row, and for an open group one per row it may still take.
    created: Box<[AtomicU64]>,
    deleted: Box<[AtomicU64]>,
    /// Per-column statistics, computed on first use (which seals an open group): most
    /// small groups are merged before anything prunes by them.
    stats: OnceLock<Vec<ChunkStats>>,
    dirty: AtomicBool,
    persisted: Mutex<Option<PersistedGroup>>,
    /// Per column: the row numbers sorted by that column's value (NULLs first), built on
    /// first use (which seals an open group). Sealed data never changes, so an order
    /// never goes stale.
    sorted: Mutex<hashbrown::HashMap<usize, Arc<SortedColumn>>>,
    /// Whether every snapshot from some timestamp on sees every row (see
    /// [`RowGroup::visibility`]).
    settled: Mutex<Settled>,
    /// Bumped after each change of the marks ([`RowGroup::mark_dirty`]).
    marks_version: AtomicU64,
    /// What compaction last learned from the marks, valid while `marks_version` is
    /// unchanged: a full group is then checked without reading its marks again.
    summary: Mutex<Option<MarkSummary>>,
    /// Where each column keeps a row's value, for [`RowGroup::prefetch_row`]; set on
    /// first use, of a sealed group only.
    slots: OnceLock<RowSlots>,
    /// A row [`RowGroup::may_be_all_dead`] last found live: looked at first next time, so
    /// a group whose live rows come after a run of dead ones is not read up to them again
    /// at every commit. Only a hint: a delete can make it stale.
    live_hint: AtomicUsize,
}

/// The rows written to an open group so far (until it is sealed: its `data` is set).
#[derive(Debug)]
struct OpenRows {
    /// The schema of every write.
    schema: SchemaRef,
    /// Per column: the rows written, in order.
    columns: Vec<ColumnAppender>,
}

impl OpenRows {
    /// No rows yet, of `batch`'s schema.
    fn of(batch: &RecordBatch) -> Self {
        Self {
            schema: batch.schema(),
            columns: batch
                .columns()
                .iter()
                .map(|c| ColumnAppender::new(c.data_type()))
                .collect(),
        }
    }

    /// Appends the rows of `batch` (of the same schema).
    fn push(&mut self, batch: &RecordBatch) {
        for (column, c) in self.columns.iter_mut().zip(batch.columns()) {
            column.append(c);
        }
    }
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
            .field("rows", &self.num_rows())
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
        let len = batch.num_rows();
        Self::build(
            OnceLock::from(batch),
            None,
            len,
            created,
            deleted,
            dirty,
            persisted,
        )
    }

    /// An open group (a transaction's write buffer) holding `batch`, whose rows carry
    /// `created`, with room for `capacity` rows in all (at least `batch`'s). See
    /// [`RowGroup::try_append`].
    pub fn open(batch: RecordBatch, created: u64, capacity: usize) -> Self {
        let len = batch.num_rows();
        let capacity = capacity.max(len);
        let marks = |first: u64| -> Box<[AtomicU64]> {
            (0..capacity)
                .map(|i| AtomicU64::new(if i < len { first } else { NEVER }))
                .collect()
        };
        let (created, deleted) = (marks(created), marks(NEVER));
        let mut rows = OpenRows::of(&batch);
        rows.push(&batch);
        let open = Some(Mutex::new(rows));
        Self::build(OnceLock::new(), open, len, created, deleted, true, None)
    }

    fn build(
        data: OnceLock<RecordBatch>,
        open: Option<Mutex<OpenRows>>,
        len: usize,
        created: Box<[AtomicU64]>,
        deleted: Box<[AtomicU64]>,
        dirty: bool,
        persisted: Option<PersistedGroup>,
    ) -> Self {
        Self {
            id: NEXT_GROUP_ID.fetch_add(1, Ordering::Relaxed),
            data,
            open,
            len: AtomicUsize::new(len),
            created,
            deleted,
            stats: OnceLock::new(),
            dirty: AtomicBool::new(dirty),
            persisted: Mutex::new(persisted),
            sorted: Mutex::new(hashbrown::HashMap::new()),
            settled: Mutex::new(Settled::default()),
            marks_version: AtomicU64::new(0),
            summary: Mutex::new(None),
            slots: OnceLock::new(),
            live_hint: AtomicUsize::new(0),
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
            .batch()
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

    /// The column data. Reading the data of an open group seals it (see
    /// [`RowGroup::seal`]).
    pub fn batch(&self) -> &RecordBatch {
        match self.data.get() {
            Some(b) => b,
            None => self.seal(),
        }
    }

    /// Ends the growth of an open group: its rows become its sealed column data, and
    /// [`RowGroup::try_append`] takes no more. Returns the data; for a sealed group, only
    /// that.
    pub fn seal(&self) -> &RecordBatch {
        if let Some(b) = self.data.get() {
            return b;
        }
        let open = self
            .open
            .as_ref()
            .expect("a group without data is an open group");
        let mut rows = open.lock();
        if let Some(b) = self.data.get() {
            return b;
        }
        let len = self.len.load(Ordering::Acquire);
        let columns = std::mem::take(&mut rows.columns)
            .into_iter()
            .map(ColumnAppender::finish)
            .collect::<Result<Vec<_>>>()
            .and_then(|columns| {
                Ok(RecordBatch::try_new_with_options(
                    rows.schema.clone(),
                    columns,
                    &RecordBatchOptions::new().with_row_count(Some(len)),
                )?)
            })
            // Every write had the group's schema, of flat types only, and the
            // variable-length bytes per column stay below 2^31 (`try_append` checks all
            // three): concatenating cannot fail.
            .expect("the writes to an open group concatenate");
        self.data.get_or_init(|| columns)
    }

    /// Appends `batch`'s rows to an open group, created by `created` (the writing
    /// transaction's own mark); returns the row number of the first. `None` if the group
    /// is sealed, has no room, or cannot take rows of this schema: the caller starts a new
    /// group. Only the transaction owning the group calls it, under the table's group
    /// lock (see [`super::TableStore::append_buffered`]).
    pub fn try_append(&self, batch: &RecordBatch, created: u64) -> Option<usize> {
        let mut rows = self.open.as_ref()?.lock();
        let start = self.len.load(Ordering::Acquire);
        let n = batch.num_rows();
        // Sealing sets the data under this lock: checked here, it stays unset meanwhile.
        let sealed = self.data.get().is_some();
        let same_schema =
            Arc::ptr_eq(&rows.schema, batch.schema_ref()) || *rows.schema == **batch.schema_ref();
        let fits = |(column, c): (&ColumnAppender, &ArrayRef)| {
            column.offset_bytes() + offset_bytes_of(c) <= OPEN_MAX_VALUE_BYTES
        };
        if sealed
            || start + n > self.created.len()
            || !same_schema
            || !rows.columns.iter().zip(batch.columns()).all(fits)
        {
            return None;
        }
        rows.push(batch);
        // The marks first, then the row count: a reader of the marks up to the count
        // never sees a slot that is not written.
        for m in &self.created[start..start + n] {
            m.store(created, Ordering::Release);
        }
        self.len.store(start + n, Ordering::Release);
        drop(rows);
        self.marks_deleted();
        self.mark_dirty();
        Some(start)
    }

    /// True if the group may still take rows ([`RowGroup::try_append`]).
    pub fn is_open(&self) -> bool {
        self.data.get().is_none()
    }

    /// How many rows the group can hold: its rows, and for an open group the rows it may
    /// still take.
    pub fn capacity(&self) -> usize {
        self.created.len()
    }

    /// Number of row versions (visible or not).
    pub fn num_rows(&self) -> usize {
        self.len.load(Ordering::Acquire)
    }

    /// Per-column statistics.
    pub fn stats(&self) -> &[ChunkStats] {
        self.stats.get_or_init(|| {
            self.batch()
                .columns()
                .iter()
                .map(|c| ChunkStats::compute(c.as_ref()))
                .collect()
        })
    }

    /// The `created` marks, one per row.
    pub fn created(&self) -> &[AtomicU64] {
        &self.created[..self.num_rows()]
    }

    /// The `deleted` marks, one per row.
    pub fn deleted(&self) -> &[AtomicU64] {
        &self.deleted[..self.num_rows()]
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
    ///
    /// An open group is sealed first, so the mask has as many rows as [`RowGroup::batch`].
    pub fn visibility(&self, snap: &Snapshot) -> BooleanArray {
        self.seal();
        let n = self.num_rows();
        let epoch = {
            let s = self.settled.lock();
            if s.visible_from.is_some_and(|v| snap.read_ts >= v) {
                return BooleanArray::new(BooleanBuffer::new_set(n), None);
            }
            s.epoch
        };
        let (c, d) = (self.created(), self.deleted());
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

    /// Asks the CPU to start loading row `row`'s marks and its value in every column (of
    /// strings, the offsets), so that a point lookup's misses overlap instead of following
    /// each other. Does nothing for an open group (a write buffer: recent, in cache).
    pub(super) fn prefetch_row(&self, row: usize) {
        let Some(batch) = self.data.get() else {
            return;
        };
        if row < batch.num_rows() {
            let marks =
                [&self.created[row], &self.deleted[row]].map(|m| m.as_ptr().cast_const().cast());
            self.slots
                .get_or_init(|| RowSlots::of(batch))
                .fetch(row, marks);
        }
    }

    /// False if some row is certainly not dead to every snapshot, whatever the horizon: a
    /// created row with no delete, or with a pending one. Answers from the remembered
    /// summary while it is current; else looks at the row found live last time, then
    /// reads the marks up to the first live row. On a group with live rows that is a few
    /// marks, where [`RowGroup::all_dead`] (and [`RowGroup::is_settled`]) read them all
    /// once per change of the marks.
    pub(super) fn may_be_all_dead(&self) -> bool {
        if let Some(s) = *self.summary.lock()
            && s.version == self.marks_version()
        {
            return s.dies.is_some();
        }
        let (created, deleted) = (self.created(), self.deleted());
        let live = |i: usize| {
            death(
                created[i].load(Ordering::Acquire),
                deleted[i].load(Ordering::Acquire),
            )
            .is_none()
        };
        let hint = self.live_hint.load(Ordering::Relaxed);
        if hint < created.len() && live(hint) {
            return false;
        }
        match (0..created.len()).find(|&i| live(i)) {
            Some(i) => {
                self.live_hint.store(i, Ordering::Relaxed);
                false
            }
            None => true,
        }
    }

    /// True if every row is dead to every snapshot reading at `oldest` or later.
    pub(super) fn all_dead(&self, oldest: Timestamp) -> bool {
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
                let s = MarkSummary::of(version, self.created(), self.deleted());
                *cached = Some(s);
                s
            }
        }
    }
}

/// True if a version with these marks is dead to every snapshot that reads at `oldest` or
/// later: never created, or deleted by a commit at or before `oldest`. Pending marks count
/// as alive.
pub(super) fn is_dead(created: u64, deleted: u64, oldest: Timestamp) -> bool {
    death(created, deleted).is_some_and(|t| t <= oldest)
}

/// From when on a version with these marks is dead to every snapshot: 0 if it was never
/// created, else its delete's commit timestamp; `None` while it is not deleted or its
/// delete is pending (both carry the pending bit).
pub(super) fn death(created: u64, deleted: u64) -> Option<Timestamp> {
    if created == NEVER {
        Some(0)
    } else if deleted & PENDING_BIT != 0 {
        None
    } else {
        Some(deleted)
    }
}

/// Whether rows of these types can go to an open group: flat types, whose concatenation
/// (when the group is sealed) can only fail by overflowing the 32-bit offsets of strings
/// and binaries, which [`RowGroup::try_append`] keeps from happening.
pub fn appendable_type(t: &DataType) -> bool {
    t.is_primitive()
        || matches!(
            t,
            DataType::Null
                | DataType::Boolean
                | DataType::Utf8
                | DataType::Binary
                | DataType::LargeUtf8
                | DataType::LargeBinary
                | DataType::Utf8View
                | DataType::BinaryView
                | DataType::FixedSizeBinary(_)
        )
}
