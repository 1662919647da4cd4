//! Index lookups: a filter comparing an indexed column with constants is answered by
//! binary search over each row group's sorted order of that column.

use std::cmp::Ordering;

use arrow::array::{Array, make_comparator};
use arrow::compute::SortOptions;

use crate::error::Result;
use crate::plan::{BinaryOp, Expr};
use crate::storage::RowGroup;

/// The first filter an index can answer: the matching row numbers of `group` (ascending)
/// and the position of the filter used. `None` if no filter qualifies.
pub fn lookup(
    group: &RowGroup,
    projection: &[usize],
    filters: &[Expr],
    indexed: &[usize],
) -> Result<Option<(Vec<u32>, usize)>> {
    for (pos, f) in filters.iter().enumerate() {
        let Some((col, ranges)) = match_filter(f, indexed) else {
            continue;
        };
        let Some(&stored) = projection.get(col) else {
            continue;
        };
        let column = group.batch().column(stored);
        let order = group.sorted_order(stored)?;
        let mut rows = Vec::new();
        let mut usable = true;
        for (op, lit) in ranges {
            if lit.data_type() != column.data_type() {
                usable = false;
                break;
            }
            let cmp = make_comparator(column.as_ref(), lit.as_ref(), SortOptions::default())?;
            let values = order.values();
            let start = column.null_count();
            let non_null = &values[start..];
            // Lower bound: first position whose value is >= lit; upper: first > lit.
            let lower = non_null.partition_point(|&r| cmp(r as usize, 0) == Ordering::Less);
            let upper = non_null.partition_point(|&r| cmp(r as usize, 0) != Ordering::Greater);
            let range = match op {
                BinaryOp::Eq => lower..upper,
                BinaryOp::Lt => 0..lower,
                BinaryOp::LtEq => 0..upper,
                BinaryOp::Gt => upper..non_null.len(),
                BinaryOp::GtEq => lower..non_null.len(),
                _ => {
                    usable = false;
                    break;
                }
            };
            rows.extend_from_slice(&non_null[range]);
        }
        if !usable {
            continue;
        }
        rows.sort_unstable();
        rows.dedup();
        return Ok(Some((rows, pos)));
    }
    Ok(None)
}

/// If `f` compares an indexed column with non-NULL constants: the column and one
/// (operator, constant) per range to read.
fn match_filter(
    f: &Expr,
    indexed: &[usize],
) -> Option<(usize, Vec<(BinaryOp, arrow::array::ArrayRef)>)> {
    match f {
        Expr::Binary(op, l, r) if op.is_comparison() && *op != BinaryOp::NotEq => {
            let (c, v, op) = match (l.as_ref(), r.as_ref()) {
                (Expr::Column(c), Expr::Literal(v)) => (*c, v, *op),
                (Expr::Literal(v), Expr::Column(c)) => (*c, v, op.swap()),
                _ => return None,
            };
            (indexed.contains(&c) && !v.is_null()).then(|| (c, vec![(op, v.to_array(1))]))
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
                match item {
                    // A NULL in the list never matches (the filter is NULL, not true).
                    Expr::Literal(v) if v.is_null() => {}
                    Expr::Literal(v) => ranges.push((BinaryOp::Eq, v.to_array(1))),
                    _ => return None,
                }
            }
            Some((*c, ranges))
        }
        _ => None,
    }
}
