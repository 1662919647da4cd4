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
//! It lives in memory only and is rebuilt on first use after the database is opened.

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::DataType;
use hashbrown::HashTable;
use llkv_kernels::hash::hash_columns_into;

use super::{ROW_GROUP_ROWS, RowGroup};
use crate::error::Result;

/// Bits of a location that hold the row number within its group.
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

/// Whether keys of these types can be hash-indexed: types the hash kernel supports and
/// whose equality is the equality of their hashed values.
pub fn indexable(types: &[&DataType]) -> bool {
    !types.is_empty()
        && types.iter().all(|t| {
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
        })
}

/// The locations of the row versions whose keys share one hash.
#[derive(Debug)]
enum Locations {
    One(u64),
    Many(Vec<u64>),
}

impl Locations {
    fn push(&mut self, loc: u64) {
        match self {
            Locations::One(first) => *self = Locations::Many(vec![*first, loc]),
            Locations::Many(v) => v.push(loc),
        }
    }

    fn as_slice(&self) -> &[u64] {
        match self {
            Locations::One(l) => std::slice::from_ref(l),
            Locations::Many(v) => v,
        }
    }

    /// Keeps the locations `keep` accepts; false if none is left.
    fn retain(&mut self, keep: impl Fn(u64) -> bool) -> bool {
        match self {
            Locations::One(l) => keep(*l),
            Locations::Many(v) => {
                v.retain(|&l| keep(l));
                !v.is_empty()
            }
        }
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
            hashes: Vec::new(),
        }
    }

    /// The indexed columns.
    pub fn columns(&self) -> &[usize] {
        &self.columns
    }

    /// How many row versions are indexed.
    pub fn len(&self) -> usize {
        self.len
    }

    /// True if no row is indexed.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Hashes the key of every row of `group` into `self.hashes`; returns the key
    /// columns.
    fn hash_group(&mut self, group: &RowGroup) -> Result<Vec<ArrayRef>> {
        let cols: Vec<ArrayRef> = self
            .columns
            .iter()
            .map(|&c| group.batch().column(c).clone())
            .collect();
        hash_columns_into(&cols, &mut self.hashes)?;
        Ok(cols)
    }

    /// Adds every row of `group`.
    pub fn add_group(&mut self, group: &RowGroup) -> Result<()> {
        let cols = self.hash_group(group)?;
        let id = group.id();
        let any_null = cols.iter().any(|c| c.null_count() > 0);
        for (row, &h) in self.hashes.iter().enumerate() {
            if any_null && cols.iter().any(|c| c.is_null(row)) {
                continue;
            }
            let loc = pack(id, row);
            match self.entries.find_mut(h, |e| e.0 == h) {
                Some(e) => e.1.push(loc),
                None => {
                    self.entries
                        .insert_unique(h, (h, Locations::One(loc)), |e| e.0);
                }
            }
            self.len += 1;
        }
        Ok(())
    }

    /// Removes every row of `groups` (groups merged away or dropped): each affected
    /// entry is visited once, however many of the groups' rows it holds.
    pub fn remove_groups(&mut self, groups: &[&RowGroup]) -> Result<()> {
        let ids: hashbrown::HashSet<u64> = groups.iter().map(|g| g.id()).collect();
        let mut affected = hashbrown::HashSet::new();
        for g in groups {
            let cols = self.hash_group(g)?;
            let any_null = cols.iter().any(|c| c.null_count() > 0);
            for (row, &h) in self.hashes.iter().enumerate() {
                if !(any_null && cols.iter().any(|c| c.is_null(row))) {
                    affected.insert(h);
                }
            }
        }
        for h in affected {
            if let Ok(mut e) = self.entries.find_entry(h, |e| e.0 == h) {
                let before = e.get().1.as_slice().len();
                let left = e.get_mut().1.retain(|l| !ids.contains(&unpack(l).0));
                let after = if left { e.get().1.as_slice().len() } else { 0 };
                self.len -= before - after;
                if !left {
                    e.remove();
                }
            }
        }
        Ok(())
    }

    /// The packed locations of the rows whose key hashes to `hash`.
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

    fn group(keys: &[Option<i64>]) -> RowGroup {
        use std::sync::Arc;
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
        let col: ArrayRef = std::sync::Arc::new(arrow::array::Int64Array::from(vec![k]));
        llkv_kernels::hash::hash_columns(&[col]).expect("hash")[0]
    }

    #[test]
    fn versions_of_a_key_share_an_entry_and_leave_with_their_groups() {
        let mut ix = KeyIndex::new(vec![0]);
        let a = group(&[Some(1), Some(1), None, Some(2)]);
        let b = group(&[Some(1), Some(3)]);
        ix.add_group(&a).expect("add");
        ix.add_group(&b).expect("add");
        assert_eq!(ix.len(), 5, "the NULL key is left out");
        let ones: Vec<(u64, u32)> = ix
            .candidates(hash_of(1))
            .iter()
            .map(|&l| unpack(l))
            .collect();
        assert_eq!(ones, [(a.id(), 0), (a.id(), 1), (b.id(), 0)]);
        ix.remove_groups(&[&a]).expect("remove");
        assert_eq!(ix.len(), 2);
        let ones: Vec<(u64, u32)> = ix
            .candidates(hash_of(1))
            .iter()
            .map(|&l| unpack(l))
            .collect();
        assert_eq!(ones, [(b.id(), 0)]);
        assert!(ix.candidates(hash_of(2)).is_empty());
        ix.remove_groups(&[&b]).expect("remove");
        assert!(ix.is_empty());
        assert!(ix.candidates(hash_of(3)).is_empty());
    }

    #[test]
    fn indexable_types() {
        assert!(indexable(&[&DataType::Int64, &DataType::Utf8]));
        assert!(!indexable(&[]));
        assert!(!indexable(&[&DataType::Int64, &DataType::Null]));
        assert!(!indexable(&[&DataType::new_list(DataType::Int32, true)]));
    }
}
