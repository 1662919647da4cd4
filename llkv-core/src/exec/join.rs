//! Joins: hash join on equality keys, nested loops otherwise.
//!
//! The right input is the build side: it is collected, its keys encoded with Arrow's row
//! format and indexed in a hash table; left batches then stream through and probe it. Rows
//! whose key has a NULL never match. A residual condition is applied to the joined rows; a
//! left join then adds the left rows that found no match, with NULLs on the right.

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, UInt32Array, new_null_array};
use arrow::compute;
use arrow::datatypes::SchemaRef;
use arrow::row::{RowConverter, SortField};
use hashbrown::HashMap;

use super::{BatchStream, ExecCtx, batch_with, collect, concat, eval, execute};
use crate::error::{Error, Result};
use crate::plan::{JoinKind, Plan};

/// Most joined rows produced per output batch of a nested-loop join.
const PAIRS_PER_BATCH: usize = 8192;

/// Starts a join.
pub fn run<'c>(ctx: &'c ExecCtx<'_>, plan: &'c Plan) -> Result<BatchStream<'c>> {
    let Plan::Join {
        left,
        right,
        kind,
        on,
        filter,
        schema,
    } = plan
    else {
        return Err(Error::Execution(
            "join::run called on a non-join plan".into(),
        ));
    };
    let right_schema = right.schema();
    let build = concat(&right_schema, &collect(ctx, right)?)?;
    let probe = execute(ctx, left)?;
    let kind = *kind;

    // Hash table over the build side's keys.
    let table = if on.is_empty() {
        None
    } else {
        let keys = on
            .iter()
            .map(|(_, r)| eval::evaluate(ctx, r, &build))
            .collect::<Result<Vec<_>>>()?;
        let conv = RowConverter::new(
            keys.iter()
                .map(|k| SortField::new(k.data_type().clone()))
                .collect(),
        )?;
        let rows = conv.convert_columns(&keys)?;
        let mut map: HashMap<Box<[u8]>, Vec<u32>> = HashMap::new();
        for (i, r) in rows.iter().enumerate() {
            if keys.iter().any(|k| k.is_null(i)) {
                continue;
            }
            map.entry(r.data().into()).or_default().push(i as u32);
        }
        Some((conv, map))
    };

    let schema = schema.clone();
    Ok(Box::new(
        probe
            .map(move |lb| -> Result<Vec<RecordBatch>> {
                let lb = lb?;
                let mut out = Vec::new();
                let mut matched = vec![false; lb.num_rows()];
                let mut emit =
                    |li: Vec<u32>, ri: Vec<u32>, out: &mut Vec<RecordBatch>| -> Result<()> {
                        if li.is_empty() {
                            return Ok(());
                        }
                        let joined = joined_batch(&schema, &lb, &build, &li, &ri)?;
                        let (joined, keep) = match filter {
                            Some(f) => {
                                let v = eval::evaluate(ctx, f, &joined)?;
                                let mask =
                                    v.as_any().downcast_ref::<BooleanArray>().ok_or_else(|| {
                                        Error::Type("a join condition must be boolean".into())
                                    })?;
                                let mask = super::eval::null_as_false(mask);
                                (compute::filter_record_batch(&joined, &mask)?, Some(mask))
                            }
                            None => (joined, None),
                        };
                        for (k, l) in li.iter().enumerate() {
                            if keep.as_ref().is_none_or(|m| m.value(k)) {
                                matched[*l as usize] = true;
                            }
                        }
                        if joined.num_rows() > 0 {
                            out.push(joined);
                        }
                        Ok(())
                    };
                match &table {
                    Some((conv, map)) => {
                        let keys = on
                            .iter()
                            .map(|(l, _)| eval::evaluate(ctx, l, &lb))
                            .collect::<Result<Vec<_>>>()?;
                        let rows = conv.convert_columns(&keys)?;
                        let (mut li, mut ri) = (Vec::new(), Vec::new());
                        for (i, r) in rows.iter().enumerate() {
                            if let Some(hits) = map.get(r.data()) {
                                if keys.iter().any(|k| k.is_null(i)) {
                                    continue;
                                }
                                for &h in hits {
                                    li.push(i as u32);
                                    ri.push(h);
                                }
                            }
                            if li.len() >= PAIRS_PER_BATCH {
                                emit(std::mem::take(&mut li), std::mem::take(&mut ri), &mut out)?;
                            }
                        }
                        emit(li, ri, &mut out)?;
                    }
                    None => {
                        let nr = build.num_rows() as u32;
                        let (mut li, mut ri) = (Vec::new(), Vec::new());
                        for l in 0..lb.num_rows() as u32 {
                            for r in 0..nr {
                                li.push(l);
                                ri.push(r);
                            }
                            if li.len() >= PAIRS_PER_BATCH {
                                emit(std::mem::take(&mut li), std::mem::take(&mut ri), &mut out)?;
                            }
                        }
                        emit(li, ri, &mut out)?;
                    }
                }
                if kind == JoinKind::Left {
                    let unmatched: Vec<u32> = matched
                        .iter()
                        .enumerate()
                        .filter(|(_, m)| !**m)
                        .map(|(i, _)| i as u32)
                        .collect();
                    if !unmatched.is_empty() {
                        out.push(left_only_batch(&schema, &lb, &build, &unmatched)?);
                    }
                }
                Ok(out)
            })
            .flat_map(|r| match r {
                Ok(v) => v.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(e) => vec![Err(e)],
            }),
    ))
}

fn joined_batch(
    schema: &SchemaRef,
    left: &RecordBatch,
    right: &RecordBatch,
    li: &[u32],
    ri: &[u32],
) -> Result<RecordBatch> {
    let li = UInt32Array::from(li.to_vec());
    let ri = UInt32Array::from(ri.to_vec());
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for c in left.columns() {
        cols.push(compute::take(c.as_ref(), &li, None)?);
    }
    for c in right.columns() {
        cols.push(compute::take(c.as_ref(), &ri, None)?);
    }
    batch_with(schema, cols, li.len())
}

fn left_only_batch(
    schema: &SchemaRef,
    left: &RecordBatch,
    right: &RecordBatch,
    rows: &[u32],
) -> Result<RecordBatch> {
    let idx = UInt32Array::from(rows.to_vec());
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for c in left.columns() {
        cols.push(compute::take(c.as_ref(), &idx, None)?);
    }
    for c in right.columns() {
        cols.push(new_null_array(c.data_type(), rows.len()));
    }
    batch_with(schema, cols, rows.len())
}
