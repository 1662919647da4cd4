//! Hash aggregation over [`GroupsAccumulator`]s.
//!
//! Group keys are encoded once per batch with Arrow's row format and looked up in a hash
//! table that maps key bytes to dense group indices; each aggregate then receives the whole
//! batch with its group indices (one call per batch, not per row). `DISTINCT` aggregates
//! first drop (group, value) pairs already seen.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch};
use arrow::compute;
use arrow::datatypes::{DataType, SchemaRef};
use arrow::row::{RowConverter, Rows, SortField};
use hashbrown::{HashMap, HashSet};
use llkv_traits::{GroupsAccumulator, GroupsAccumulatorAdapter};

use super::{ExecCtx, batch_with, eval, execute};
use crate::error::Result;
use crate::plan::{AggregateCall, Expr, Plan};

struct AggState {
    acc: Box<dyn GroupsAccumulator>,
    /// For DISTINCT: (group, value) pairs already fed.
    seen: Option<(RowConverter, HashSet<Box<[u8]>>)>,
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
                    let mut fields = vec![SortField::new(DataType::UInt64)];
                    fields.extend(arg_types(a).into_iter().map(SortField::new));
                    Some((RowConverter::new(fields)?, HashSet::new()))
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
    let converter = if group.is_empty() {
        None
    } else {
        Some(RowConverter::new(
            key_types.iter().cloned().map(SortField::new).collect(),
        )?)
    };
    let mut group_rows: Option<Rows> = converter.as_ref().map(|c| c.empty_rows(0, 0));
    let mut index: HashMap<Box<[u8]>, usize> = HashMap::new();
    let mut num_groups = usize::from(group.is_empty());
    let mut group_indices: Vec<usize> = Vec::new();

    for batch in execute(ctx, input)? {
        let batch = batch?;
        let n = batch.num_rows();
        if n == 0 {
            continue;
        }
        group_indices.clear();
        if let (Some(conv), Some(rows_out)) = (&converter, &mut group_rows) {
            let keys = group
                .iter()
                .zip(&key_types)
                .map(|(e, t)| {
                    let v = eval::evaluate(ctx, e, &batch)?;
                    eval::cast_value(ctx, &v, t)
                })
                .collect::<Result<Vec<_>>>()?;
            let rows = conv.convert_columns(&keys)?;
            for r in rows.iter() {
                let bytes = r.data();
                let g = match index.get(bytes) {
                    Some(g) => *g,
                    None => {
                        let g = num_groups;
                        index.insert(bytes.into(), g);
                        rows_out.push(r);
                        num_groups += 1;
                        g
                    }
                };
                group_indices.push(g);
            }
        } else {
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
                Some((conv, seen)) => {
                    let gcol: ArrayRef = Arc::new(arrow::array::UInt64Array::from_iter_values(
                        group_indices.iter().map(|g| *g as u64),
                    ));
                    let mut cols = vec![gcol];
                    cols.extend(args.iter().cloned());
                    let rows = conv.convert_columns(&cols)?;
                    // DISTINCT ignores NULL arguments (like every aggregate but COUNT(*)).
                    let keep: Vec<bool> = rows
                        .iter()
                        .enumerate()
                        .map(|(i, r)| {
                            !args.iter().any(|a| a.is_null(i)) && seen.insert(r.data().into())
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

    let mut columns: Vec<ArrayRef> = match (&converter, group_rows) {
        (Some(conv), Some(rows)) => conv.convert_rows(&rows)?,
        _ => Vec::new(),
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
