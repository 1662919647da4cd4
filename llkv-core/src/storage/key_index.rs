//! Hash indexes over key columns: the table-wide part of an index, so a point lookup, a
//! point update or a unique check costs the same however many row groups a table has.
//!
//! A [`KeyIndex`] maps the hash of a row's key (one or more columns, hashed by
//! `llkv_kernels::hash`, under which values SQL calls equal hash equal) to the row's
//! location: (row group id, row). It holds every stored row version, visible or not, and
//! answers with candidates only: the caller checks the key values (hashes collide) and the
//! MVCC marks (the versions a snapshot sees). Rows with a NULL in the key are left out:
//! NULL never equals anything.
//!
//! An index is built on first use for the column set asked for, then kept in step with
//! the table by [`super::TableStore`] as row groups are appended, merged and dropped.
//! Groups that leave are forgotten lazily: their locations are dropped when an entry
//! holding them takes new rows, or all at once by a rebuild when they are half the index.
//! It lives in memory only and is rebuilt on first use after the database is opened.

use arrow::array::{Array, ArrayRef, RecordBatch};
use arrow::datatypes::DataType;
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use llkv_kernels::hash::hash_columns_into;
use smallvec::SmallVec;

use super::{ROW_GROUP_ROWS, RowGroup};
use crate::error::Result;

/// Bits of a location that hold the row number within its group.
/// Locations of groups that left the table are dropped all at once only past this many
/// (and half the index): rebuilding a small index often would cost more than it saves.
const STALE_MIN: usize = 4096;

const ROW_BITS: u32 = ROW_GROUP_ROWS.trailing_zeros();

// A row number must fit below the group id in a packed location.
const _: () = assert!(ROW_GROUP_ROWS.is_power_of_two());

/// A row's place: its group's id and its row number, packed in one `u64`.
fn pack(group: u64, row: usize) -> u64 {
    (group << ROW_BITS) | row as u64
}

/// The group id and row number of a packed location.
pub fn unpack(loc: u64) -> (u64, u32) {
    (loc >> ROW_BITS, (loc & ((1 << ROW_BITS) - 1)) as u32)
}

/// Whether keys of these types can be hash-indexed: at least one column, each of a type
/// [`indexable_type`] accepts.
pub fn indexable(types: &[&DataType]) -> bool {
    !types.is_empty() && types.iter().all(|t| indexable_type(t))
}

/// Whether a key column of this type can be hash-indexed: a type the hash kernel supports
/// and whose equality is the equality of its hashed values.
pub fn indexable_type(t: &DataType) -> bool {
    t.is_integer()
        || t.is_floating()
        || matches!(
            t,
            DataType::Boolean
                | DataType::Utf8
                | DataType::LargeUtf8
                | DataType::Utf8View
                | DataType::Binary
                | DataType::LargeBinary
                | DataType::BinaryView
                | DataType::Date32
                | DataType::Date64
                | DataType::Time32(_)
                | DataType::Time64(_)
                | DataType::Timestamp(_, _)
                | DataType::Decimal128(_, _)
        )
}

/// How many locations an entry holds in itself.
const INLINE: usize = 3;

/// The locations of the row versions whose keys share one hash. Up to [`INLINE`] live in
/// the entry itself (a key, its new version and one older one), so most lookups read no
/// other memory.
#[derive(Debug)]
struct Locations(SmallVec<[u64; INLINE]>);

impl Locations {
    fn one(loc: u64) -> Self {
        Self(smallvec::smallvec![loc])
    }

    fn push(&mut self, loc: u64) {
        self.0.push(loc);
    }

    fn as_slice(&self) -> &[u64] {
        &self.0
    }

    /// Keeps the locations `keep` accepts; returns how many were dropped.
    fn retain(&mut self, keep: impl Fn(u64) -> bool) -> usize {
        let before = self.0.len();
        self.0.retain(|l| keep(*l));
        before - self.0.len()
    }
}

/// A hash index over one column set of a table.
///
/// One entry per distinct key hash, holding every location with that hash: a key with
/// many versions (a row updated many times in one transaction) or a column with few
/// distinct values costs one probe sequence, not one per version.
#[derive(Debug)]
pub struct KeyIndex {
    /// The indexed column positions, in key order.
    columns: Vec<usize>,
    /// (key hash, the packed locations of the rows with that hash).
    entries: HashTable<(u64, Locations)>,
    /// How many locations the entries hold.
    len: usize,
    /// How many of them belong to groups that left the table.
    stale: usize,
    /// Scratch space for a group's hashes.
    hashes: Vec<u64>,
}

impl KeyIndex {
    /// An empty index over `columns`.
    pub fn new(columns: Vec<usize>) -> Self {
        Self {
            columns,
            entries: HashTable::new(),
            len: 0,
            stale: 0,
            hashes: Vec::new(),
        }
    }

    /// The indexed columns.
    pub fn columns(&self) -> &[usize] {
        &self.columns
    }

    /// How many row versions are indexed (those of groups that left the table included,
    /// until they are dropped).
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if no row is indexed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// How many indexed locations belong to groups that left the table.
    pub fn stale(&self) -> usize {
        self.stale
    }

    /// Adds every row of `group`. `live` tells whether a group id is still one of the
    /// table's groups: an entry the new rows join first drops the locations of groups
    /// that left (see [`KeyIndex::forget_groups`]), so a key updated over and over keeps a
    /// short list.
    pub fn add_group(&mut self, group: &RowGroup, live: &dyn Fn(u64) -> bool) -> Result<()> {
        self.add_rows(group.id(), group.batch(), 0, live, &|_| false)
    }

    /// Adds the rows of `rows` as the rows of group `id` from row `first` on (rows
    /// appended to an open group, or a whole group), as [`KeyIndex::add_group`] does.
    /// `dead` tells whether the version at a location is dead to every snapshot: an entry
    /// about to outgrow its inline room first drops those, so a key updated in
    /// transaction after transaction keeps its locations in the entry (and probes skip
    /// reading the marks of versions nobody can see).
    pub fn add_rows(
        &mut self,
        id: u64,
        rows: &RecordBatch,
        first: usize,
        live: &dyn Fn(u64) -> bool,
        dead: &dyn Fn(u64) -> bool,
    ) -> Result<()> {
        let cols: Vec<ArrayRef> = self
            .columns
            .iter()
            .map(|&c| {
                rows.columns().get(c).cloned().ok_or_else(|| {
                    crate::error::Error::Execution(format!("an indexed row has no column {c}"))
                })
            })
            .collect::<Result<_>>()?;
        hash_columns_into(&cols, &mut self.hashes)?;
        let any_null = cols.iter().any(|c| c.null_count() > 0);
        for (row, &h) in self.hashes.iter().enumerate() {
            if any_null && cols.iter().any(|c| c.is_null(row)) {
                continue;
            }
            let loc = pack(id, first + row);
            match self.entries.entry(h, |e| e.0 == h, |e| e.0) {
                Entry::Occupied(mut o) => {
                    let e = o.get_mut();
                    if self.stale > 0 {
                        let dropped = e.1.retain(|l| live(unpack(l).0));
                        self.len -= dropped;
                        self.stale = self.stale.saturating_sub(dropped);
                    }
                    // Only at the moment of spilling: an entry of many rows (a column
                    // with few distinct values) is not read again on every add.
                    if e.1.as_slice().len() == INLINE {
                        self.len -= e.1.retain(|l| !dead(l));
                    }
                    e.1.push(loc);
                }
                Entry::Vacant(v) => {
                    v.insert((h, Locations::one(loc)));
                }
            }
            self.len += 1;
        }
        Ok(())
    }

    /// Notes that `groups` left the table (merged away or dropped). Their locations stay
    /// until an entry holding them takes new rows, or until they are half the index and
    /// [`KeyIndex::needs_rebuild`] says so: removing them now would hash every row
    /// again. Lookups skip locations whose group is gone.
    pub fn forget_groups(&mut self, groups: &[&RowGroup]) {
        for g in groups {
            let cols: Vec<&ArrayRef> = self.columns.iter().map(|&c| g.batch().column(c)).collect();
            let indexed = if cols.iter().all(|c| c.null_count() == 0) {
                g.num_rows()
            } else {
                (0..g.num_rows())
                    .filter(|&r| cols.iter().all(|c| !c.is_null(r)))
                    .count()
            };
            self.stale += indexed;
        }
    }

    /// True when locations of groups that left are at least half the index: time to
    /// rebuild it from the table's groups.
    pub fn needs_rebuild(&self) -> bool {
        self.stale >= STALE_MIN && self.stale * 2 >= self.len
    }

    /// Empties the index and adds every row of `groups` (the table's groups).
    pub fn rebuild(&mut self, groups: &[std::sync::Arc<RowGroup>]) -> Result<()> {
        self.entries.clear();
        self.len = 0;
        self.stale = 0;
        // Sized once for every row: growing by doubling would move every entry again.
        let rows = groups.iter().map(|g| g.num_rows()).sum();
        self.entries.reserve(rows, |e| e.0);
        for g in groups {
            self.add_group(g, &|_| true)?;
        }
        Ok(())
    }

    /// The packed locations of the rows whose key hashes to `hash`, those of groups that
    /// left the table included: callers skip group ids the table no longer has.
    pub fn candidates(&self, hash: u64) -> &[u64] {
        self.entries
            .find(hash, |e| e.0 == hash)
            .map_or(&[], |e| e.1.as_slice())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_round_trip() {
        for (g, r) in [(1u64, 0usize), (7, 65_535), (1 << 40, 12_345)] {
            assert_eq!(unpack(pack(g, r)), (g, r as u32));
        }
    }

    use std::sync::Arc;

    fn group(keys: &[Option<i64>]) -> RowGroup {
        let schema = Arc::new(arrow::datatypes::Schema::new(vec![
            arrow::datatypes::Field::new("k", DataType::Int64, true),
        ]));
        let col: ArrayRef = Arc::new(arrow::array::Int64Array::from(keys.to_vec()));
        RowGroup::new(
            arrow::array::RecordBatch::try_new(schema, vec![col]).expect("batch"),
            1,
        )
    }

    fn hash_of(k: i64) -> u64 {
        let col: ArrayRef = Arc::new(arrow::array::Int64Array::from(vec![k]));
        llkv_kernels::hash::hash_columns(&[col]).expect("hash")[0]
    }

    fn located(ix: &KeyIndex, key: i64) -> Vec<(u64, u32)> {
        ix.candidates(hash_of(key))
            .iter()
            .map(|&l| unpack(l))
            .collect()
    }

    #[test]
    fn versions_of_a_key_share_an_entry_and_leave_with_their_groups() {
        let mut ix = KeyIndex::new(vec![0]);
        let a = group(&[Some(1), Some(1), None, Some(2)]);
        let b = group(&[Some(1), Some(3)]);
        ix.add_group(&a, &|_| true).expect("add");
        ix.add_group(&b, &|_| true).expect("add");
        assert_eq!(ix.len(), 5, "the NULL key is left out");
        assert_eq!(located(&ix, 1), [(a.id(), 0), (a.id(), 1), (b.id(), 0)]);

        // `a` leaves: its three locations stay until an entry holding them takes rows.
        ix.forget_groups(&[&a]);
        assert_eq!((ix.len(), ix.stale()), (5, 3));
        assert_eq!(located(&ix, 1).len(), 3, "lookups skip them by group id");
        let c = group(&[Some(1)]);
        let live = |id: u64| id != a.id();
        ix.add_group(&c, &live).expect("add");
        assert_eq!(located(&ix, 1), [(b.id(), 0), (c.id(), 0)]);
        assert_eq!(
            (ix.len(), ix.stale()),
            (4, 1),
            "key 2 of `a` is still there"
        );
        assert_eq!(located(&ix, 2), [(a.id(), 3)]);
        assert!(!ix.needs_rebuild(), "too few to be worth a rebuild");

        ix.rebuild(&[Arc::new(b), Arc::new(c)]).expect("rebuild");
        assert_eq!((ix.len(), ix.stale()), (3, 0));
        assert!(located(&ix, 2).is_empty());
        assert_eq!(located(&ix, 3).len(), 1);
    }

    #[test]
    fn a_full_entry_drops_versions_nobody_sees_before_it_grows() {
        let mut ix = KeyIndex::new(vec![0]);
        let groups: Vec<RowGroup> = (0..4).map(|_| group(&[Some(1)])).collect();
        let all = |_: u64| true;
        for g in &groups[..3] {
            ix.add_group(g, &all).expect("add");
        }
        // The versions in the first two groups are dead to every snapshot.
        let dead_ids = [groups[0].id(), groups[1].id()];
        let dead = |loc: u64| dead_ids.contains(&unpack(loc).0);
        ix.add_rows(groups[3].id(), groups[3].batch(), 0, &all, &dead)
            .expect("add");
        assert_eq!(located(&ix, 1), [(groups[2].id(), 0), (groups[3].id(), 0)]);
        assert_eq!(ix.len(), 2);
        // An entry with room keeps what it has: nothing is read for it.
        let g = group(&[Some(1)]);
        ix.add_rows(g.id(), g.batch(), 0, &all, &|_| true)
            .expect("add");
        assert_eq!(located(&ix, 1).len(), 3);
    }

    #[test]
    fn many_forgotten_rows_ask_for_a_rebuild() {
        let mut ix = KeyIndex::new(vec![0]);
        let keys: Vec<Option<i64>> = (0..STALE_MIN as i64).map(Some).collect();
        let old = group(&keys);
        ix.add_group(&old, &|_| true).expect("add");
        ix.forget_groups(&[&old]);
        assert!(ix.needs_rebuild());
        ix.rebuild(&[]).expect("rebuild");
        assert!(ix.is_empty() && ix.stale() == 0);
    }

    #[test]
    fn indexable_types() {
        assert!(indexable(&[&DataType::Int64, &DataType::Utf8]));
        assert!(!indexable(&[]));
        assert!(!indexable(&[&DataType::Int64, &DataType::Null]));
        assert!(!indexable(&[&DataType::new_list(DataType::Int32, true)]));
    }
}
