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

/// A hash index over one column set of a table.
#[derive(Debug)]
pub struct KeyIndex {
    /// The indexed column positions, in key order.
    columns: Vec<usize>,
    /// (key hash, packed location), several entries per hash when keys repeat.
    entries: HashTable<(u64, u64)>,
    /// Scratch space for a group's hashes.
    hashes: Vec<u64>,
}

impl KeyIndex {
    /// An empty index over `columns`.
    pub fn new(columns: Vec<usize>) -> Self {
        Self {
            columns,
            entries: HashTable::new(),
            hashes: Vec::new(),
        }
    }

    /// The indexed columns.
    pub fn columns(&self) -> &[usize] {
        &self.columns
    }

    /// How many row versions are indexed.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True if no row is indexed.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The key columns of `group`, and the rows without a NULL in the key.
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
        self.entries.reserve(self.hashes.len(), |e| e.0);
        let any_null = cols.iter().any(|c| c.null_count() > 0);
        for (row, &h) in self.hashes.iter().enumerate() {
            if any_null && cols.iter().any(|c| c.is_null(row)) {
                continue;
            }
            self.entries.insert_unique(h, (h, pack(id, row)), |e| e.0);
        }
        Ok(())
    }

    /// Removes every row of `group` (a group merged away or dropped).
    pub fn remove_group(&mut self, group: &RowGroup) -> Result<()> {
        let cols = self.hash_group(group)?;
        let id = group.id();
        let any_null = cols.iter().any(|c| c.null_count() > 0);
        for (row, &h) in self.hashes.iter().enumerate() {
            if any_null && cols.iter().any(|c| c.is_null(row)) {
                continue;
            }
            let loc = pack(id, row);
            if let Ok(e) = self.entries.find_entry(h, |e| *e == (h, loc)) {
                e.remove();
            }
        }
        Ok(())
    }

    /// The packed locations of the rows whose key hashes to `hash`.
    pub fn candidates(&self, hash: u64) -> impl Iterator<Item = u64> + '_ {
        self.entries
            .iter_hash(hash)
            .filter(move |e| e.0 == hash)
            .map(|e| e.1)
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

    #[test]
    fn indexable_types() {
        assert!(indexable(&[&DataType::Int64, &DataType::Utf8]));
        assert!(!indexable(&[]));
        assert!(!indexable(&[&DataType::Int64, &DataType::Null]));
        assert!(!indexable(&[&DataType::new_list(DataType::Int32, true)]));
    }
}
