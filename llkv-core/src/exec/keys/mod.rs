//! Sets of distinct keys over one or more columns: the groups of `GROUP BY`, the values a
//! `DISTINCT` aggregate has seen, and the build side of a hash join.
//!
//! A [`KeySet`] gives each distinct key a dense id, in the order keys are first seen. Per
//! batch it works column at a time, with one type dispatch per array:
//!
//! 1. hash every row with [`llkv_kernels::hash`] (values SQL calls equal hash equal);
//! 2. look each hash up in a table from hash to id (inserting unseen hashes when
//!    interning), which yields a candidate id per row;
//! 3. append the rows that created ids to typed per-column stores;
//! 4. verify each row against its candidate's stored key, column by column.
//!
//! Two keys are equal when their columns are pairwise equal with NULL equal to NULL and
//! values compared exactly as Arrow's row format compares them (floats by their bits, so
//! `-0.0` and `0.0` differ, text and binary by bytes). The rare rows that fail step 4 (two
//! keys with one 64-bit hash, or `-0.0` against `0.0`) are resolved one at a time against
//! every id with that hash.
//!
//! Integer, float, temporal, `Decimal128`, text and binary columns are stored typed; other
//! types are stored in Arrow's row format. A single integer key skips hashing while its
//! values stay in a small range: a direct map from value to id serves it ([`dense`]).

mod columns;
mod dense;
#[cfg(test)]
mod tests;

use arrow::array::ArrayRef;
use arrow::datatypes::DataType;
use hashbrown::HashTable;
use llkv_kernels::hash::{SEED, hash_columns_into};

use self::columns::{KeyColumn, key_column};
use self::dense::DenseIndex;
use crate::error::{Error, Result};

/// The id [`KeySet::lookup`] gives a row whose key is not in the set.
pub(crate) const NONE: usize = usize::MAX;

/// Distinct keys over fixed column types, each with a dense id (see the module docs).
pub(crate) struct KeySet {
    columns: Vec<Box<dyn KeyColumn>>,
    /// The direct map while it serves (a single integer column); the hash table is empty
    /// until it is dropped.
    dense: Option<Box<dyn DenseIndex>>,
    /// `(hash, id)` for every id; several ids share a hash only on a collision.
    table: HashTable<(u64, usize)>,
    len: usize,
    /// True when every column hashes with the kernel ([`hash_columns_into`] in one call).
    kernel_hash: bool,
    hashes: Vec<u64>,
    new_rows: Vec<usize>,
    candidates: Vec<usize>,
    equal: Vec<bool>,
}

impl KeySet {
    /// An empty set of keys with these column types.
    ///
    /// # Errors
    /// When Arrow's row format cannot hold a column type (nested types it lacks).
    pub(crate) fn new(types: &[DataType]) -> Result<Self> {
        let columns = types.iter().map(key_column).collect::<Result<Vec<_>>>()?;
        let kernel_hash = columns.iter().all(|c| c.kernel_hash());
        let dense = match columns.as_slice() {
            [only] => only.dense(),
            _ => None,
        };
        Ok(KeySet {
            columns,
            dense,
            table: HashTable::new(),
            len: 0,
            kernel_hash,
            hashes: Vec::new(),
            new_rows: Vec::new(),
            candidates: Vec::new(),
            equal: Vec::new(),
        })
    }

    /// The number of distinct keys (ids are `0..len`).
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// True when no key has been added.
    pub(crate) fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Replaces `ids` with the id of each row's key (one array per column, of the set's
    /// types), adding the keys not seen before.
    ///
    /// # Errors
    /// When the arrays do not match the set's column count, types or one length.
    pub(crate) fn intern(&mut self, keys: &[ArrayRef], ids: &mut Vec<usize>) -> Result<()> {
        let n = self.check(keys)?;
        self.new_rows.clear();
        if let Some(dense) = &mut self.dense {
            if dense.intern(&keys[0], &mut self.len, ids, &mut self.new_rows)? {
                return self.columns[0].append(&keys[0], &self.new_rows);
            }
            // The values left the window: index the keys so far by hash from now on.
            self.dense = None;
            self.index_stored()?;
        }
        self.hash(keys)?;
        ids.clear();
        ids.reserve(n);
        for (i, &h) in self.hashes.iter().enumerate() {
            let id = match self.table.find(h, |e| e.0 == h) {
                Some(e) => e.1,
                None => {
                    let id = self.len;
                    self.len += 1;
                    self.table.insert_unique(h, (h, id), |e| e.0);
                    self.new_rows.push(i);
                    id
                }
            };
            ids.push(id);
        }
        for (c, k) in self.columns.iter_mut().zip(keys) {
            c.append(k, &self.new_rows)?;
        }
        self.equal.clear();
        self.equal.resize(n, true);
        for (c, k) in self.columns.iter().zip(keys) {
            c.equal(k, ids, &mut self.equal)?;
        }
        let start = self.len - self.new_rows.len();
        let mut late = false;
        for (i, id) in ids.iter_mut().enumerate() {
            if !self.equal[i] {
                let before = self.len;
                *id = self.resolve(keys, i, true)?;
                late |= self.len > before;
            }
        }
        if late {
            self.renumber(keys, start, ids)?;
        }
        Ok(())
    }

    /// Replaces `ids` with the id of each row's key, or [`NONE`] where the key is not in
    /// the set. Never adds keys.
    ///
    /// # Errors
    /// As [`KeySet::intern`].
    pub(crate) fn lookup(&mut self, keys: &[ArrayRef], ids: &mut Vec<usize>) -> Result<()> {
        let n = self.check(keys)?;
        if let Some(dense) = &self.dense {
            return dense.lookup(&keys[0], ids);
        }
        ids.clear();
        if self.len == 0 {
            ids.resize(n, NONE);
            return Ok(());
        }
        self.hash(keys)?;
        // Rows without a candidate compare against id 0 and are then ignored.
        self.candidates.clear();
        self.equal.clear();
        for &h in &self.hashes {
            let found = self.table.find(h, |e| e.0 == h);
            self.candidates.push(found.map_or(0, |e| e.1));
            self.equal.push(found.is_some());
        }
        for (c, k) in self.columns.iter().zip(keys) {
            c.equal(k, &self.candidates, &mut self.equal)?;
        }
        ids.reserve(n);
        ids.extend(
            self.candidates
                .iter()
                .zip(&self.equal)
                .map(|(&c, &eq)| if eq { c } else { NONE }),
        );
        // A row whose hash is in the table but whose candidate differs may still match
        // another id with that hash.
        for (i, id) in ids.iter_mut().enumerate() {
            if *id == NONE {
                let h = self.hashes[i];
                if self.table.find(h, |e| e.0 == h).is_some() {
                    *id = self.resolve(keys, i, false)?;
                }
            }
        }
        Ok(())
    }

    /// The stored keys, one array per column, row `id` holding key `id`.
    ///
    /// # Errors
    /// When a column cannot be built (text past the offset range of its type).
    pub(crate) fn finish(self) -> Result<Vec<ArrayRef>> {
        self.columns.into_iter().map(|c| c.finish()).collect()
    }

    /// Checks that `keys` match the set's columns; returns the row count.
    fn check(&self, keys: &[ArrayRef]) -> Result<usize> {
        if keys.len() != self.columns.len() {
            return Err(Error::Execution(format!(
                "key set: {} key columns given, {} expected",
                keys.len(),
                self.columns.len()
            )));
        }
        let n = keys.first().map_or(0, |k| k.len());
        for (c, k) in self.columns.iter().zip(keys) {
            if k.data_type() != c.data_type() || k.len() != n {
                return Err(Error::Execution(format!(
                    "key set: a key column of type {} and {} rows, expected {} and {n}",
                    k.data_type(),
                    k.len(),
                    c.data_type()
                )));
            }
        }
        Ok(n)
    }

    /// Fills `self.hashes` with the hash of each row of `keys` (checked).
    fn hash(&mut self, keys: &[ArrayRef]) -> Result<()> {
        if self.kernel_hash {
            hash_columns_into(keys, &mut self.hashes)?;
        } else {
            let n = keys.first().map_or(0, |k| k.len());
            self.hashes.clear();
            self.hashes.resize(n, SEED);
            for (c, k) in self.columns.iter_mut().zip(keys) {
                c.hash(k, &mut self.hashes)?;
            }
        }
        Ok(())
    }

    /// Puts every stored key into the hash table (when leaving the direct map).
    fn index_stored(&mut self) -> Result<()> {
        let stored = self
            .columns
            .iter()
            .map(|c| c.stored())
            .collect::<Result<Vec<_>>>()?;
        self.hash(&stored)?;
        self.table.clear();
        self.table.reserve(self.hashes.len(), |e| e.0);
        for (id, &h) in self.hashes.iter().enumerate() {
            self.table.insert_unique(h, (h, id), |e| e.0);
        }
        Ok(())
    }

    /// Renumbers the ids this batch created (from `start`) in the order their keys first
    /// appear in it, as one pass over the rows would have: the slow path numbers its new
    /// keys after all of the fast path's. Rare (it takes a hash shared by unequal keys).
    fn renumber(&mut self, keys: &[ArrayRef], start: usize, ids: &mut [usize]) -> Result<()> {
        let mut map = vec![NONE; self.len - start];
        let mut creators = Vec::with_capacity(map.len());
        for (row, id) in ids.iter_mut().enumerate() {
            if *id >= start {
                let m = &mut map[*id - start];
                if *m == NONE {
                    *m = start + creators.len();
                    creators.push(row);
                }
                *id = *m;
            }
        }
        // Every new id has its creating row among `ids`.
        if creators.len() != map.len() {
            return Err(Error::Execution(
                "key set: a new key without a row in its batch".into(),
            ));
        }
        for (c, k) in self.columns.iter_mut().zip(keys) {
            c.truncate(start)?;
            c.append(k, &creators)?;
        }
        for e in self.table.iter_mut() {
            if e.1 >= start {
                e.1 = map[e.1 - start];
            }
        }
        Ok(())
    }

    /// The id of row `row`'s key among every id with its hash; a new id when `insert` and
    /// there is none, else [`NONE`]. The slow path: one row, one dispatch per column.
    fn resolve(&mut self, keys: &[ArrayRef], row: usize, insert: bool) -> Result<usize> {
        let h = self.hashes[row];
        let columns = &self.columns;
        let found = self.table.iter_hash(h).find(|e| {
            e.0 == h
                && columns
                    .iter()
                    .zip(keys)
                    .all(|(c, k)| c.equal_row(k, row, e.1))
        });
        if let Some(e) = found {
            return Ok(e.1);
        }
        if !insert {
            return Ok(NONE);
        }
        let id = self.len;
        self.len += 1;
        self.table.insert_unique(h, (h, id), |e| e.0);
        for (c, k) in self.columns.iter_mut().zip(keys) {
            c.append(k, &[row])?;
        }
        Ok(id)
    }
}
