//! `ORDER BY ... LIMIT k`: the first `k` rows in order, without sorting (or even keeping)
//! the whole input.
//!
//! The best `k` rows so far are kept sorted. Once there are `k`, the `k`-th row's first
//! sort key is a threshold: of each new batch, only rows whose first key is at least as
//! good survive one vectorized comparison, and only those are merged and re-sorted with
//! the kept rows. Ties on the first key survive, so later keys still decide.

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch};
use arrow::compute;
use arrow::compute::kernels::cmp;
use arrow::datatypes::{DataType, SchemaRef};

use super::{ExecCtx, concat, eval, execute, filter_record_batch, sort_batch};
use crate::error::Result;
use crate::plan::{Plan, SortKey};

/// The first `k` rows of `input` in `keys` order, as one batch.
pub fn run(ctx: &ExecCtx<'_>, input: &Plan, keys: &[SortKey], k: usize) -> Result<RecordBatch> {
    let schema: SchemaRef = input.schema();
    let mut best: Option<RecordBatch> = None;
    for batch in execute(ctx, input)? {
        let batch = batch?;
        if batch.num_rows() == 0 || k == 0 {
            continue;
        }
        let batch = match &best {
            Some(b) if b.num_rows() == k => match survivors(ctx, &batch, b, &keys[0])? {
                Some(mask) => filter_record_batch(&batch, &mask)?,
                None => batch,
            },
            _ => batch,
        };
        if batch.num_rows() == 0 {
            continue;
        }
        let merged = match best.take() {
            Some(b) => concat(&schema, &[b, batch])?,
            None => batch,
        };
        best = Some(sort_batch(ctx, &merged, keys, Some(k))?);
    }
    match best {
        Some(b) => Ok(b),
        None => Ok(RecordBatch::new_empty(schema)),
    }
}

/// The rows of `batch` whose first sort key is not worse than that of `best`'s last row;
/// `None` when no rows can be ruled out this way.
fn survivors(
    ctx: &ExecCtx<'_>,
    batch: &RecordBatch,
    best: &RecordBatch,
    key: &SortKey,
) -> Result<Option<BooleanArray>> {
    let values = eval::evaluate(ctx, &key.expr, batch)?;
    if matches!(values.data_type(), DataType::Null) {
        return Ok(None);
    }
    let last = eval::evaluate(ctx, &key.expr, &best.slice(best.num_rows() - 1, 1))?;
    if last.data_type() != values.data_type() {
        return Ok(None);
    }
    if last.is_null(0) {
        // With NULLs first, every kept row is NULL: only NULLs can tie. With NULLs last,
        // a NULL threshold rules nothing out.
        return Ok(key
            .nulls_first
            .then(|| compute::is_null(&values))
            .transpose()?);
    }
    // The comparison kernels order floats by IEEE totalOrder, as the sort does.
    let scalar = arrow::array::Scalar::new(last);
    let better_or_tie = if key.descending {
        cmp::gt_eq(&values, &scalar)?
    } else {
        cmp::lt_eq(&values, &scalar)?
    };
    Ok(Some(with_nulls(&values, better_or_tie, key.nulls_first)?))
}

/// `mask` where `values` is non-NULL; NULL rows survive when NULLs sort first.
fn with_nulls(values: &ArrayRef, mask: BooleanArray, nulls_first: bool) -> Result<BooleanArray> {
    if values.null_count() == 0 {
        return Ok(mask);
    }
    let mask = compute::prep_null_mask_filter(&mask);
    if nulls_first {
        Ok(compute::or(&mask, &compute::is_null(values)?)?)
    } else {
        Ok(mask)
    }
}
