//! Hash aggregation over [`GroupsAccumulator`]s.
//!
//! Group keys go into a [`KeySet`] once per batch (hashed and verified column at a time),
//! which gives every row its dense group index in the order groups are first seen; each
//! aggregate then receives the whole batch with its group indices (one call per batch,
//! not per row). `DISTINCT` aggregates first drop (group, value) pairs already seen, kept
//! in a [`KeySet`] of their own.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, UInt64Array};
use arrow::compute;
use arrow::datatypes::{DataType, SchemaRef};
use llkv_traits::{GroupsAccumulator, GroupsAccumulatorAdapter};

use super::keys::KeySet;
use super::{ExecCtx, batch_with, eval, execute};
use crate::error::{Error, Result};
use crate::plan::{AggregateCall, Expr, Plan};

struct AggState {
    acc: Box<dyn GroupsAccumulator>,
    /// For DISTINCT: the (group, arguments) keys already fed.
    seen: Option<KeySet>,
}

/// Runs an aggregation to completion.
pub fn run(
    ctx: &ExecCtx<'_>,
    input: &Plan,
    group: &[Expr],
    aggregates: &[AggregateCall],
    schema: &SchemaRef,
) -> Result<RecordBatch> {
    let mut states = aggregates
        .iter()
        .map(|a| {
            Ok(AggState {
                acc: make_accumulator(a)?,
                seen: if a.distinct {
                    let mut types = vec![DataType::UInt64];
                    types.extend(arg_types(a));
                    Some(KeySet::new(&types)?)
                } else {
                    None
                },
            })
        })
        .collect::<Result<Vec<_>>>()?;

    let key_types: Vec<DataType> = schema
        .fields()
        .iter()
        .take(group.len())
        .map(|f| f.data_type().clone())
        .collect();
    let mut groups = if group.is_empty() {
        None
    } else {
        Some(KeySet::new(&key_types)?)
    };
    let mut num_groups = usize::from(group.is_empty());
    let mut group_indices: Vec<usize> = Vec::new();
    let mut distinct_ids: Vec<usize> = Vec::new();

    for batch in execute(ctx, input)? {
        let batch = batch?;
        let n = batch.num_rows();
        if n == 0 {
            continue;
        }
        if let Some(set) = &mut groups {
            let keys = group
                .iter()
                .zip(&key_types)
                .map(|(e, t)| {
                    let v = eval::evaluate(ctx, e, &batch)?;
                    eval::cast_value(ctx, &v, t)
                })
                .collect::<Result<Vec<_>>>()?;
            set.intern(&keys, &mut group_indices)?;
            num_groups = set.len();
        } else {
            group_indices.clear();
            group_indices.resize(n, 0);
        }
        for (call, state) in aggregates.iter().zip(states.iter_mut()) {
            let args = call
                .args
                .iter()
                .map(|e| eval::evaluate(ctx, e, &batch))
                .collect::<Result<Vec<_>>>()?;
            match &mut state.seen {
                None => state.acc.update_batch(&args, &group_indices, num_groups)?,
                Some(seen) => {
                    let mut cols: Vec<ArrayRef> = vec![Arc::new(UInt64Array::from_iter_values(
                        group_indices.iter().map(|g| *g as u64),
                    ))];
                    if args.len() != call.arg_types.len() {
                        return Err(Error::Execution(format!(
                            "DISTINCT aggregate: {} arguments for {} types",
                            args.len(),
                            call.arg_types.len()
                        )));
                    }
                    for (a, t) in args.iter().zip(&call.arg_types) {
                        cols.push(eval::cast_value(ctx, a, t)?);
                    }
                    let before = seen.len();
                    seen.intern(&cols, &mut distinct_ids)?;
                    // A row is fed when it is the first with its key (DISTINCT ignores
                    // NULL arguments, like every aggregate but COUNT(*)).
                    let mut fed = vec![false; seen.len() - before];
                    let keep: Vec<bool> = distinct_ids
                        .iter()
                        .enumerate()
                        .map(|(i, &id)| {
                            !args.iter().any(|a| a.is_null(i))
                                && id >= before
                                && !std::mem::replace(&mut fed[id - before], true)
                        })
                        .collect();
                    let mask = BooleanArray::from(keep);
                    let args = args
                        .iter()
                        .map(|a| compute::filter(a.as_ref(), &mask))
                        .collect::<std::result::Result<Vec<_>, _>>()?;
                    let idx: Vec<usize> = group_indices
                        .iter()
                        .zip(mask.values().iter())
                        .filter(|(_, k)| *k)
                        .map(|(g, _)| *g)
                        .collect();
                    state.acc.update_batch(&args, &idx, num_groups)?;
                }
            }
        }
    }

    let mut columns: Vec<ArrayRef> = match groups {
        Some(set) => set.finish()?,
        None => Vec::new(),
    };
    for state in &mut states {
        columns.push(state.acc.evaluate(num_groups)?);
    }
    batch_with(schema, columns, num_groups)
}

fn arg_types(call: &AggregateCall) -> Vec<DataType> {
    call.arg_types.clone()
}

fn make_accumulator(call: &AggregateCall) -> Result<Box<dyn GroupsAccumulator>> {
    let types = arg_types(call);
    Ok(match call.function.groups_accumulator(&types)? {
        Some(g) => g,
        None => Box::new(GroupsAccumulatorAdapter::for_function(
            call.function.clone(),
            &types,
        )?),
    })
}
