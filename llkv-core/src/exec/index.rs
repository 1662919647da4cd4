//! Index lookups: a filter comparing an indexed column with constants is answered by
//! binary search over each row group's sorted order of that column.
//!
//! [`IndexProbe::find`] picks the filter once per statement. An equality (`=` or `IN`)
//! goes to the table-wide hash index ([`IndexProbe::hash_rows`]), which finds the rows
//! without visiting the other row groups; ranges, and keys the hash index cannot take,
//! use [`IndexProbe::rows`], which searches each row group with one type dispatch per
//! group (not per comparison).

use std::cmp::Ordering;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, make_comparator};
use arrow::compute::SortOptions;
use arrow::datatypes::{
    ArrowNativeTypeOp, ArrowPrimitiveType, DataType, Date32Type, Date64Type, Float32Type,
    Float64Type, Int8Type, Int16Type, Int32Type, Int64Type, Schema, UInt8Type, UInt16Type,
    UInt32Type, UInt64Type,
};

use crate::error::Result;
use crate::exec::ExecCtx;
use crate::plan::{BinaryOp, Expr};
use crate::storage::{RowGroup, TableStore};
use crate::txn::Snapshot;

/// Candidate rows per row group, in table order, rows ascending.
pub type GroupRows = Vec<(Arc<RowGroup>, Vec<u32>)>;

/// A filter an index can answer: which column of the stored rows, and the ranges to read.
#[derive(Debug)]
pub struct IndexProbe {
    /// The filter's position in the filter list (the caller applies the others).
    pub used: usize,
    /// The stored column searched.
    stored: usize,
    /// One (operator, one-element constant array of the column's type) per range.
    ranges: Vec<(BinaryOp, ArrayRef)>,
}

impl IndexProbe {
    /// The first of `filters` an index can answer, over stored rows of type `schema`
    /// projected by `projection`; `None` if no filter qualifies.
    pub fn find(
        ctx: &ExecCtx<'_>,
        schema: &Schema,
        projection: &[usize],
        filters: &[Expr],
        indexed: &[usize],
    ) -> Option<Self> {
        filters.iter().enumerate().find_map(|(used, f)| {
            let (col, ranges) = match_filter(ctx, f, indexed)?;
            let stored = *projection.get(col)?;
            let t = schema.fields().get(stored)?.data_type();
            let usable = ranges.iter().all(|(_, lit)| lit.data_type() == t);
            usable.then_some(Self {
                used,
                stored,
                ranges,
            })
        })
    }

    /// For an equality (`=` or `IN`): the rows `snap` sees whose key equals one of the
    /// constants, by the table-wide hash index of the column, per row group in table
    /// order. The candidates' values are compared with the constants (hashes collide), so
    /// the filter is answered: the caller applies only the others. `None` when the filter
    /// is a range or the column cannot be hash-indexed.
    pub fn hash_rows(&self, store: &TableStore, snap: &Snapshot) -> Result<Option<GroupRows>> {
        if self.ranges.is_empty() || self.ranges.iter().any(|(op, _)| *op != BinaryOp::Eq) {
            return Ok(None);
        }
        let keys = if self.ranges.len() == 1 {
            self.ranges[0].1.clone()
        } else {
            let parts: Vec<&dyn Array> = self.ranges.iter().map(|(_, a)| a.as_ref()).collect();
            arrow::compute::concat(&parts)?
        };
        let Some(found) = store.probe_keys(
            &[self.stored],
            std::slice::from_ref(&keys),
            Some(&|c, d| snap.sees(c, d)),
        )?
        else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(found.len());
        for (g, candidates) in found {
            // By (row, key): a row matching two keys of an IN list comes twice.
            let mut rows = holding_keys(g.batch().column(self.stored), &keys, candidates)?;
            rows.dedup();
            if !rows.is_empty() {
                out.push((g, rows));
            }
        }
        Ok(Some(out))
    }

    /// The matching row numbers of `group`, ascending.
    pub fn rows(&self, group: &RowGroup) -> Result<Vec<u32>> {
        let sorted = group.sorted_column(self.stored)?;
        let nulls = sorted.values.null_count();
        let non_null = &sorted.order.values()[nulls..];
        let values = sorted.values.slice(nulls, non_null.len());
        let mut rows = Vec::new();
        for (op, lit) in &self.ranges {
            // Lower bound: first position whose value is >= lit; upper: first > lit.
            let (lower, upper) = bounds(&values, lit)?;
            let range = match op {
                BinaryOp::Eq => lower..upper,
                BinaryOp::Lt => 0..lower,
                BinaryOp::LtEq => 0..upper,
                BinaryOp::Gt => upper..non_null.len(),
                _ => lower..non_null.len(),
            };
            rows.extend_from_slice(&non_null[range]);
        }
        if self.ranges.len() > 1 || self.ranges.iter().any(|(op, _)| *op != BinaryOp::Eq) {
            rows.sort_unstable();
            rows.dedup();
        } else if rows.len() > 1 {
            rows.sort_unstable();
        }
        Ok(rows)
    }
}

/// The rows of `candidates` (row, key position) whose value in `column` equals the key at
/// that position of `keys`, in the comparison kernels' order (total order for floats,
/// bytes for text). Neither side is NULL: the hash index leaves NULL keys out. One type
/// dispatch per call.
fn holding_keys(
    column: &ArrayRef,
    keys: &ArrayRef,
    candidates: Vec<(u32, u32)>,
) -> Result<Vec<u32>> {
    fn primitive<T: ArrowPrimitiveType>(
        column: &ArrayRef,
        keys: &ArrayRef,
        candidates: Vec<(u32, u32)>,
    ) -> Vec<u32> {
        let (values, keys) = (
            column.as_primitive::<T>().values(),
            keys.as_primitive::<T>().values(),
        );
        candidates
            .into_iter()
            .filter(|&(r, k)| values[r as usize].is_eq(keys[k as usize]))
            .map(|(r, _)| r)
            .collect()
    }
    Ok(match (column.data_type(), keys.data_type()) {
        (DataType::Int32, DataType::Int32) => primitive::<Int32Type>(column, keys, candidates),
        (DataType::Int64, DataType::Int64) => primitive::<Int64Type>(column, keys, candidates),
        (DataType::Float64, DataType::Float64) => {
            primitive::<Float64Type>(column, keys, candidates)
        }
        (DataType::Utf8, DataType::Utf8) => {
            let (values, keys) = (column.as_string::<i32>(), keys.as_string::<i32>());
            candidates
                .into_iter()
                .filter(|&(r, k)| values.value(r as usize) == keys.value(k as usize))
                .map(|(r, _)| r)
                .collect()
        }
        _ => {
            let same = make_comparator(column.as_ref(), keys.as_ref(), SortOptions::default())?;
            candidates
                .into_iter()
                .filter(|&(r, k)| same(r as usize, k as usize) == Ordering::Equal)
                .map(|(r, _)| r)
                .collect()
        }
    })
}

/// The positions in `sorted` (non-NULL values in ascending order) of the first value
/// `>= lit` and the first value `> lit`.
fn bounds(sorted: &ArrayRef, lit: &ArrayRef) -> Result<(usize, usize)> {
    fn primitive<T: ArrowPrimitiveType>(sorted: &ArrayRef, lit: &ArrayRef) -> (usize, usize) {
        let values = sorted.as_primitive::<T>().values();
        let v = lit.as_primitive::<T>().value(0);
        // `compare` is the total order the sort used (floats included).
        let lower = values.partition_point(|x| x.compare(v) == Ordering::Less);
        let upper = lower + values[lower..].partition_point(|x| x.compare(v) != Ordering::Greater);
        (lower, upper)
    }
    Ok(match sorted.data_type() {
        DataType::Int8 => primitive::<Int8Type>(sorted, lit),
        DataType::Int16 => primitive::<Int16Type>(sorted, lit),
        DataType::Int32 => primitive::<Int32Type>(sorted, lit),
        DataType::Int64 => primitive::<Int64Type>(sorted, lit),
        DataType::UInt8 => primitive::<UInt8Type>(sorted, lit),
        DataType::UInt16 => primitive::<UInt16Type>(sorted, lit),
        DataType::UInt32 => primitive::<UInt32Type>(sorted, lit),
        DataType::UInt64 => primitive::<UInt64Type>(sorted, lit),
        DataType::Float32 => primitive::<Float32Type>(sorted, lit),
        DataType::Float64 => primitive::<Float64Type>(sorted, lit),
        DataType::Date32 => primitive::<Date32Type>(sorted, lit),
        DataType::Date64 => primitive::<Date64Type>(sorted, lit),
        DataType::Utf8 => {
            let values = sorted.as_string::<i32>();
            let v = lit.as_string::<i32>().value(0);
            let n = values.len();
            let lower = partition(n, |i| values.value(i) < v);
            let upper = lower + partition(n - lower, |i| values.value(lower + i) <= v);
            (lower, upper)
        }
        _ => {
            let cmp = make_comparator(sorted.as_ref(), lit.as_ref(), SortOptions::default())?;
            let n = sorted.len();
            let lower = partition(n, |i| cmp(i, 0) == Ordering::Less);
            let upper = partition(n, |i| cmp(i, 0) != Ordering::Greater);
            (lower, upper)
        }
    })
}

/// The first index in `0..n` where `pred` turns false (`pred` true then false).
fn partition(n: usize, pred: impl Fn(usize) -> bool) -> usize {
    let (mut lo, mut hi) = (0, n);
    while lo < hi {
        let mid = lo + (hi - lo) / 2;
        if pred(mid) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    lo
}

/// If `f` compares an indexed column with non-NULL constants (literals or parameters): the
/// column and one (operator, constant) per range to read.
fn match_filter(
    ctx: &ExecCtx<'_>,
    f: &Expr,
    indexed: &[usize],
) -> Option<(usize, Vec<(BinaryOp, ArrayRef)>)> {
    match f {
        Expr::Binary(op, l, r) if op.is_comparison() && *op != BinaryOp::NotEq => {
            let (c, v, op) = match (l.as_ref(), r.as_ref()) {
                (Expr::Column(c), v) => (*c, ctx.constant(v)?, *op),
                (v, Expr::Column(c)) => (*c, ctx.constant(v)?, op.swap()),
                _ => return None,
            };
            let range_op = matches!(
                op,
                BinaryOp::Eq | BinaryOp::Lt | BinaryOp::LtEq | BinaryOp::Gt | BinaryOp::GtEq
            );
            (range_op && indexed.contains(&c) && !v.is_null())
                .then(|| (c, vec![(op, v.to_array(1))]))
        }
        Expr::InList {
            expr,
            list,
            negated: false,
        } => {
            let Expr::Column(c) = expr.as_ref() else {
                return None;
            };
            if !indexed.contains(c) {
                return None;
            }
            let mut ranges = Vec::with_capacity(list.len());
            for item in list {
                let v = ctx.constant(item)?;
                // A NULL in the list never matches (the filter is NULL, not true).
                if !v.is_null() {
                    ranges.push((BinaryOp::Eq, v.to_array(1)));
                }
            }
            Some((*c, ranges))
        }
        _ => None,
    }
}
