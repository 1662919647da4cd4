//! The executor: runs a [`Plan`] as a stream of Arrow record batches.
//!
//! Scans, filters, projections and limits stream batch by batch (a scan yields one batch
//! per row group), so a `SELECT` over a large table never materializes the table. Sorts,
//! aggregates, `DISTINCT`, set operations and the build side of joins consume their input
//! first, as they must.

pub mod eval;
pub mod scalar_functions;

mod aggregate;
pub(crate) mod index;
mod topk;

/// `ORDER BY ... LIMIT k` keeps only the best `k` rows while reading when `k` is at
/// most this; larger limits sort the whole input.
const TOP_K_MAX: usize = 65_536;
mod join;
mod keys;

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, BooleanArray, RecordBatch, RecordBatchOptions, UInt32Array};
use arrow::compute::{self, SortColumn, SortOptions};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::row::{RowConverter, SortField};
use hashbrown::HashSet;
use llkv_traits::{Coercion, DivisionByZero, IntegerOverflow, ScalarValue};

use crate::error::{Error, Result};
use crate::plan::{BinaryOp, Expr, Plan, SetOpKind, SortKey, Subquery};
use crate::storage::RowGroup;
use crate::txn::Snapshot;

/// Rows per batch produced by `range()`.
const RANGE_BATCH: usize = 8192;

/// A stream of batches.
pub type BatchStream<'a> = Box<dyn Iterator<Item = Result<RecordBatch>> + 'a>;

/// The dialect rules evaluation needs.
#[derive(Debug, Clone, Copy)]
pub struct Semantics {
    /// Integer overflow: error or promote to float.
    pub overflow: IntegerOverflow,
    /// Division by zero: NULL or error.
    pub division_by_zero: DivisionByZero,
    /// Type coercion rules.
    pub coercion: Coercion,
}

/// What one statement's execution needs: its snapshot, the dialect's rules, the values of
/// its parameters, the rows of enclosing queries (for correlated subqueries) and cached
/// subquery results.
pub struct ExecCtx<'a> {
    /// The snapshot the statement reads.
    pub snap: Snapshot,
    /// The dialect's evaluation rules.
    pub semantics: Semantics,
    /// The values of the plan's [`Expr::Param`]s, by index.
    params: &'a [ScalarValue],
    outer: RefCell<Vec<(RecordBatch, usize)>>,
    cache: RefCell<HashMap<usize, Arc<Vec<ArrayRef>>>>,
}

impl<'a> ExecCtx<'a> {
    /// A context for one statement without parameters.
    pub fn new(snap: Snapshot, semantics: Semantics) -> Self {
        Self {
            snap,
            semantics,
            params: &[],
            outer: RefCell::new(Vec::new()),
            cache: RefCell::new(HashMap::new()),
        }
    }

    /// The same context, running a plan whose [`Expr::Param`] `i` has the value
    /// `values[i]`. The plan runs as is: a plan bound once is not copied per execution.
    pub fn with_params(mut self, values: &'a [ScalarValue]) -> Self {
        self.params = values;
        self
    }

    /// The value of parameter `index`, which was bound as `data_type`
    /// ([`crate::plan::param_value`]).
    pub fn param(&self, index: usize, data_type: &DataType) -> Result<Cow<'a, ScalarValue>> {
        crate::plan::param_value(self.params, index, data_type)
    }

    /// The value of `e` if it is a constant: a literal, or a parameter with a usable value.
    pub fn constant<'e>(&self, e: &'e Expr) -> Option<Cow<'e, ScalarValue>>
    where
        'a: 'e,
    {
        match e {
            Expr::Literal(v) => Some(Cow::Borrowed(v)),
            Expr::Param { index, data_type } => self.param(*index, data_type).ok(),
            _ => None,
        }
    }

    fn push_outer(&self, batch: RecordBatch, row: usize) {
        self.outer.borrow_mut().push((batch, row));
    }

    fn pop_outer(&self) {
        self.outer.borrow_mut().pop();
    }

    fn outer_value(&self, levels: usize, index: usize) -> Result<ScalarValue> {
        let outer = self.outer.borrow();
        let pos = outer
            .len()
            .checked_sub(levels)
            .ok_or_else(|| Error::Execution("correlated reference outside its query".into()))?;
        let (batch, row) = &outer[pos];
        Ok(ScalarValue::try_from_array(batch.column(index), *row)?)
    }

    /// Runs a subquery and returns its result columns (cached when uncorrelated).
    fn run_subquery(&self, q: &Subquery, limit: Option<usize>) -> Result<Arc<Vec<ArrayRef>>> {
        let key = q as *const Subquery as usize;
        if !q.correlated
            && let Some(hit) = self.cache.borrow().get(&key)
        {
            return Ok(hit.clone());
        }
        let schema = q.plan.schema();
        let mut batches = Vec::new();
        let mut rows = 0;
        for b in execute(self, &q.plan)? {
            let b = b?;
            rows += b.num_rows();
            batches.push(b);
            if q.correlated && limit.is_some_and(|l| rows >= l) {
                break;
            }
        }
        let batch = concat(&schema, &batches)?;
        let cols = Arc::new(batch.columns().to_vec());
        if !q.correlated {
            self.cache.borrow_mut().insert(key, cols.clone());
        }
        Ok(cols)
    }
}

/// Concatenates batches of one schema (an empty batch if there are none).
pub fn concat(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    if batches.len() == 1 {
        return Ok(batches[0].clone());
    }
    if schema.fields().is_empty() {
        let rows = batches.iter().map(|b| b.num_rows()).sum();
        return Ok(RecordBatch::try_new_with_options(
            schema.clone(),
            vec![],
            &RecordBatchOptions::new().with_row_count(Some(rows)),
        )?);
    }
    Ok(compute::concat_batches(schema, batches)?)
}

/// Runs a plan to completion and collects its batches.
pub fn collect(ctx: &ExecCtx<'_>, plan: &Plan) -> Result<Vec<RecordBatch>> {
    execute(ctx, plan)?.collect()
}

fn batch_with(schema: &SchemaRef, columns: Vec<ArrayRef>, rows: usize) -> Result<RecordBatch> {
    // Columns may differ from the declared types only in nullability-irrelevant ways;
    // cast where a kernel returned another type (e.g. NULL literals).
    let columns = columns
        .into_iter()
        .zip(schema.fields())
        .map(|(c, f)| {
            if c.data_type() == f.data_type() {
                Ok(c)
            } else {
                compute::cast(&c, f.data_type()).map_err(Error::from)
            }
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(RecordBatch::try_new_with_options(
        schema.clone(),
        columns,
        &RecordBatchOptions::new().with_row_count(Some(rows)),
    )?)
}

/// Starts executing a plan.
pub fn execute<'c>(ctx: &'c ExecCtx<'_>, plan: &'c Plan) -> Result<BatchStream<'c>> {
    match plan {
        Plan::Scan {
            store,
            projection,
            filters,
            indexed,
            schema,
            ..
        } => {
            let schema = schema.clone();
            let probe = index::IndexProbe::find(ctx, store.schema(), projection, filters, indexed);
            if let Some(found) = probe
                .as_ref()
                .map(|p| p.hash_rows(store, &ctx.snap))
                .transpose()?
                .flatten()
            {
                // Only the rows the hash index found: visible to the snapshot and with the
                // key, so the probe's filter is answered and only the others apply.
                let used = probe.as_ref().map_or(0, |p| p.used);
                let (before, after) = (&filters[..used], &filters[used + 1..]);
                return Ok(Box::new(found.into_iter().filter_map(move |(g, rows)| {
                    scan_rows(ctx, &g, rows, projection, &[before, after], &schema).transpose()
                })));
            }
            let groups = store.groups();
            Ok(Box::new(groups.into_iter().filter_map(move |g| {
                scan_group(ctx, &g, projection, filters, probe.as_ref(), &schema).transpose()
            })))
        }
        Plan::Range {
            start,
            end,
            step,
            inclusive,
            schema,
        } => {
            let (mut next, end, step, inclusive) = (*start, *end, *step, *inclusive);
            let schema = schema.clone();
            let mut done = false;
            Ok(Box::new(std::iter::from_fn(move || {
                if done {
                    return None;
                }
                let mut values = Vec::with_capacity(RANGE_BATCH);
                while values.len() < RANGE_BATCH {
                    let more = match (step > 0, inclusive) {
                        (true, false) => next < end,
                        (true, true) => next <= end,
                        (false, false) => next > end,
                        (false, true) => next >= end,
                    };
                    if !more {
                        done = true;
                        break;
                    }
                    values.push(next);
                    match next.checked_add(step) {
                        Some(n) => next = n,
                        None => {
                            done = true;
                            break;
                        }
                    }
                }
                if values.is_empty() {
                    return None;
                }
                let col: ArrayRef = Arc::new(arrow::array::Int64Array::from(values));
                Some(RecordBatch::try_new(schema.clone(), vec![col]).map_err(Error::from))
            })))
        }
        Plan::Values { rows, schema } => {
            let one = RecordBatch::try_new_with_options(
                Arc::new(arrow::datatypes::Schema::empty()),
                vec![],
                &RecordBatchOptions::new().with_row_count(Some(1)),
            )?;
            let mut columns: Vec<Vec<ArrayRef>> = vec![Vec::new(); schema.fields().len()];
            for row in rows {
                for (i, e) in row.iter().enumerate() {
                    let v = eval::evaluate(ctx, e, &one)?;
                    let t = schema.field(i).data_type();
                    columns[i].push(eval::cast_value(ctx, &v, t)?);
                }
            }
            let cols = columns
                .iter()
                .map(|c| {
                    let refs: Vec<&dyn Array> = c.iter().map(|a| a.as_ref()).collect();
                    compute::concat(&refs).map_err(Error::from)
                })
                .collect::<Result<Vec<_>>>()?;
            let batch = batch_with(schema, cols, rows.len())?;
            Ok(Box::new(std::iter::once(Ok(batch))))
        }
        Plan::Filter { input, predicate } => {
            let input = execute(ctx, input)?;
            Ok(Box::new(input.filter_map(move |b| {
                b.and_then(|b| filter_batch(ctx, &b, std::slice::from_ref(predicate)))
                    .map(|b| (b.num_rows() > 0).then_some(b))
                    .transpose()
            })))
        }
        Plan::Project {
            input,
            exprs,
            schema,
        } => {
            let input = execute(ctx, input)?;
            Ok(Box::new(input.map(move |b| {
                let b = b?;
                let cols = exprs
                    .iter()
                    .map(|e| eval::evaluate(ctx, e, &b))
                    .collect::<Result<Vec<_>>>()?;
                batch_with(schema, cols, b.num_rows())
            })))
        }
        Plan::Aggregate {
            input,
            group,
            aggregates,
            schema,
        } => {
            let batch = aggregate::run(ctx, input, group, aggregates, schema)?;
            Ok(Box::new(std::iter::once(Ok(batch))))
        }
        Plan::Join { .. } => join::run(ctx, plan),
        Plan::Sort {
            input,
            keys,
            fetch: Some(k),
        } if !keys.is_empty() && *k <= TOP_K_MAX => {
            let top = topk::run(ctx, input, keys, *k)?;
            Ok(Box::new(std::iter::once(Ok(top))))
        }
        Plan::Sort { input, keys, fetch } => {
            let schema = input.schema();
            let batches = collect(ctx, input)?;
            let batch = concat(&schema, &batches)?;
            let sorted = sort_batch(ctx, &batch, keys, *fetch)?;
            Ok(Box::new(std::iter::once(Ok(sorted))))
        }
        Plan::Limit {
            input,
            limit,
            offset,
        } => {
            let mut skip = *offset;
            let mut left = limit.unwrap_or(usize::MAX);
            let input = execute(ctx, input)?;
            Ok(Box::new(
                input
                    .map_while(move |b| {
                        if left == 0 {
                            return None;
                        }
                        Some(b.map(|b| {
                            let n = b.num_rows();
                            let s = skip.min(n);
                            skip -= s;
                            let take = (n - s).min(left);
                            left -= take;
                            b.slice(s, take)
                        }))
                    })
                    .filter(|b| b.as_ref().map_or(true, |b| b.num_rows() > 0)),
            ))
        }
        Plan::Distinct { input } => {
            let schema = input.schema();
            let input = execute(ctx, input)?;
            let mut seen = Distinct::new(&schema)?;
            Ok(Box::new(input.filter_map(move |b| {
                b.and_then(|b| seen.keep_new(&b))
                    .map(|b| (b.num_rows() > 0).then_some(b))
                    .transpose()
            })))
        }
        Plan::SetOp {
            left,
            right,
            kind,
            all,
            schema,
        } => set_op(ctx, left, right, *kind, *all, schema),
    }
}

/// Rows of a group visible to the snapshot, projected and filtered.
fn scan_group(
    ctx: &ExecCtx<'_>,
    group: &RowGroup,
    projection: &[usize],
    filters: &[Expr],
    probe: Option<&index::IndexProbe>,
    schema: &SchemaRef,
) -> Result<Option<RecordBatch>> {
    if group.num_rows() == 0 || pruned(ctx, group, projection, filters) {
        return Ok(None);
    }
    if let Some(probe) = probe {
        let used = probe.used;
        let rows = probe.rows(group)?;
        let rest = [&filters[..used], &filters[used + 1..]];
        let rows = group.visible_among(&ctx.snap, &rows);
        return scan_rows(ctx, group, rows, projection, &rest, schema);
    }
    let visible = group.visibility(&ctx.snap);
    let visible_count = visible.true_count();
    if visible_count == 0 {
        return Ok(None);
    }
    let cols: Vec<ArrayRef> = projection
        .iter()
        .map(|&i| group.batch().column(i).clone())
        .collect();
    let batch = batch_with(schema, cols, group.num_rows())?;
    let batch = if visible_count == group.num_rows() {
        batch
    } else {
        filter_record_batch(&batch, &visible)?
    };
    if filters.is_empty() {
        return Ok(Some(batch));
    }
    let out = filter_batch(ctx, &batch, filters)?;
    Ok((out.num_rows() > 0).then_some(out))
}

/// `rows` (ascending, each visible to the snapshot) of a group, projected and filtered by
/// each list of `filters` in turn.
fn scan_rows(
    ctx: &ExecCtx<'_>,
    group: &RowGroup,
    rows: Vec<u32>,
    projection: &[usize],
    filters: &[&[Expr]],
    schema: &SchemaRef,
) -> Result<Option<RecordBatch>> {
    if rows.is_empty() {
        return Ok(None);
    }
    let n = rows.len();
    let cols = columns_at(group.batch(), projection, rows)?;
    let mut out = batch_with(schema, cols, n)?;
    for list in filters.iter().filter(|l| !l.is_empty()) {
        out = filter_batch(ctx, &out, list)?;
    }
    Ok((out.num_rows() > 0).then_some(out))
}

/// The `projection` columns of `batch` at `rows` (ascending). Ascending rows without gaps
/// (a point lookup's one row, say) are a slice of each column: no copy.
pub(crate) fn columns_at(
    batch: &RecordBatch,
    projection: &[usize],
    rows: impl AsRef<[u32]> + Into<Vec<u32>>,
) -> Result<Vec<ArrayRef>> {
    let values = rows.as_ref();
    let (Some(&first), Some(&last)) = (values.first(), values.last()) else {
        return Ok(projection
            .iter()
            .map(|&i| batch.column(i).slice(0, 0))
            .collect());
    };
    let n = values.len();
    let run = last.checked_sub(first).is_some_and(|d| d as usize + 1 == n)
        && values.windows(2).all(|w| w[0] < w[1]);
    if run {
        return Ok(projection
            .iter()
            .map(|&i| batch.column(i).slice(first as usize, n))
            .collect());
    }
    let rows = UInt32Array::from(rows.into());
    Ok(projection
        .iter()
        .map(|&i| compute::take(batch.column(i).as_ref(), &rows, None))
        .collect::<std::result::Result<_, _>>()?)
}

/// True if the statistics prove no row of the group passes `filters`.
pub(crate) fn pruned(
    ctx: &ExecCtx<'_>,
    group: &RowGroup,
    projection: &[usize],
    filters: &[Expr],
) -> bool {
    use std::cmp::Ordering::*;
    for f in filters {
        let Expr::Binary(op, l, r) = f else { continue };
        let (col, lit, op) = match (l.as_ref(), r.as_ref()) {
            (Expr::Column(c), v) => match ctx.constant(v) {
                Some(v) => (*c, v, *op),
                None => continue,
            },
            (v, Expr::Column(c)) => match ctx.constant(v) {
                Some(v) => (*c, v, op.swap()),
                None => continue,
            },
            _ => continue,
        };
        let Some(stats) = projection.get(col).and_then(|&i| group.stats().get(i)) else {
            continue;
        };
        if lit.is_null() && op.is_comparison() {
            return true;
        }
        let (Some(min), Some(max)) = (&stats.min, &stats.max) else {
            if stats.null_count == stats.rows && op.is_comparison() {
                return true;
            }
            continue;
        };
        let (Some(vs_min), Some(vs_max)) = (
            lit.partial_cmp_same_type(min),
            lit.partial_cmp_same_type(max),
        ) else {
            continue;
        };
        let impossible = match op {
            BinaryOp::Eq => vs_min == Less || vs_max == Greater,
            BinaryOp::Lt => vs_min != Greater, // col < lit needs min < lit
            BinaryOp::LtEq => vs_min == Less,  // col <= lit needs min <= lit
            BinaryOp::Gt => vs_max != Less,    // col > lit needs max > lit
            BinaryOp::GtEq => vs_max == Greater, // col >= lit needs max >= lit
            _ => false,
        };
        if impossible {
            return true;
        }
    }
    false
}

/// Keeps the rows where `mask` is true (llkv-kernels' filter: one pass per column over
/// the mask's words; zero-column batches keep their row count).
fn filter_record_batch(batch: &RecordBatch, mask: &BooleanArray) -> Result<RecordBatch> {
    Ok(llkv_kernels::select::filter_record_batch(batch, mask)?)
}

/// Keeps the rows of `batch` for which every predicate is true.
pub fn filter_batch(
    ctx: &ExecCtx<'_>,
    batch: &RecordBatch,
    predicates: &[Expr],
) -> Result<RecordBatch> {
    let mut current = batch.clone();
    for p in predicates {
        if current.num_rows() == 0 {
            break;
        }
        let v = eval::evaluate(ctx, p, &current)?;
        let mask = v.as_any().downcast_ref::<BooleanArray>().ok_or_else(|| {
            Error::Type(format!(
                "a condition must be boolean, found {}",
                v.data_type()
            ))
        })?;
        let mask = eval::null_as_false(mask);
        if mask.true_count() == current.num_rows() {
            continue;
        }
        current = filter_record_batch(&current, &mask)?;
    }
    Ok(current)
}

/// Sorts a batch by `keys`, keeping the first `fetch` rows if given.
pub fn sort_batch(
    ctx: &ExecCtx<'_>,
    batch: &RecordBatch,
    keys: &[SortKey],
    fetch: Option<usize>,
) -> Result<RecordBatch> {
    if batch.num_rows() <= 1 || keys.is_empty() {
        return Ok(match fetch {
            Some(f) => batch.slice(0, f.min(batch.num_rows())),
            None => batch.clone(),
        });
    }
    let columns = keys
        .iter()
        .map(|k| {
            Ok(SortColumn {
                values: eval::evaluate(ctx, &k.expr, batch)?,
                options: Some(SortOptions {
                    descending: k.descending,
                    nulls_first: k.nulls_first,
                }),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let indices = if columns
        .iter()
        .all(|c| !matches!(c.values.data_type(), DataType::Null))
    {
        compute::lexsort_to_indices(&columns, fetch)?
    } else {
        // Arrow cannot sort NULL-typed columns; they compare equal, so drop them.
        let cols: Vec<SortColumn> = columns
            .into_iter()
            .filter(|c| !matches!(c.values.data_type(), DataType::Null))
            .collect();
        if cols.is_empty() {
            UInt32Array::from_iter_values(
                0..fetch.unwrap_or(batch.num_rows()).min(batch.num_rows()) as u32,
            )
        } else {
            compute::lexsort_to_indices(&cols, fetch)?
        }
    };
    take_batch(batch, &indices)
}

/// Gathers rows of a batch.
pub fn take_batch(batch: &RecordBatch, indices: &UInt32Array) -> Result<RecordBatch> {
    let cols = batch
        .columns()
        .iter()
        .map(|c| compute::take(c.as_ref(), indices, None))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    Ok(RecordBatch::try_new_with_options(
        batch.schema(),
        cols,
        &RecordBatchOptions::new().with_row_count(Some(indices.len())),
    )?)
}

/// Remembers rows seen so far (by their row-format bytes).
struct Distinct {
    converter: Option<RowConverter>,
    seen: HashSet<Box<[u8]>>,
}

impl Distinct {
    fn new(schema: &SchemaRef) -> Result<Self> {
        let fields: Vec<SortField> = schema
            .fields()
            .iter()
            .map(|f| SortField::new(f.data_type().clone()))
            .collect();
        Ok(Self {
            converter: if fields.is_empty() {
                None
            } else {
                Some(RowConverter::new(fields)?)
            },
            seen: HashSet::new(),
        })
    }

    /// The rows of `batch` not seen before (and remembers them).
    fn keep_new(&mut self, batch: &RecordBatch) -> Result<RecordBatch> {
        let Some(conv) = &self.converter else {
            // No columns: at most one (empty) row.
            let first = self.seen.insert(Box::new([]));
            let rows = usize::from(first && batch.num_rows() > 0);
            return Ok(batch.slice(0, rows));
        };
        let rows = conv.convert_columns(batch.columns())?;
        let keep: Vec<bool> = rows
            .iter()
            .map(|r| {
                let bytes = r.data();
                if self.seen.contains(bytes) {
                    false
                } else {
                    self.seen.insert(bytes.into());
                    true
                }
            })
            .collect();
        filter_record_batch(batch, &BooleanArray::from(keep))
    }
}

fn set_op<'c>(
    ctx: &'c ExecCtx<'_>,
    left: &'c Plan,
    right: &'c Plan,
    kind: SetOpKind,
    all: bool,
    schema: &'c SchemaRef,
) -> Result<BatchStream<'c>> {
    let cast_to = move |b: RecordBatch| -> Result<RecordBatch> {
        let rows = b.num_rows();
        batch_with(schema, b.columns().to_vec(), rows)
    };
    if kind == SetOpKind::Union {
        let l = execute(ctx, left)?;
        let r = execute(ctx, right)?;
        let chained = l.chain(r).map(move |b| b.and_then(cast_to));
        if all {
            return Ok(Box::new(chained));
        }
        let mut seen = Distinct::new(schema)?;
        return Ok(Box::new(chained.filter_map(move |b| {
            b.and_then(|b| seen.keep_new(&b))
                .map(|b| (b.num_rows() > 0).then_some(b))
                .transpose()
        })));
    }
    // INTERSECT / EXCEPT: count the right side's rows, then stream the left.
    let conv = RowConverter::new(
        schema
            .fields()
            .iter()
            .map(|f| SortField::new(f.data_type().clone()))
            .collect(),
    )?;
    let mut counts: HashMap<Box<[u8]>, usize> = HashMap::new();
    for b in execute(ctx, right)? {
        let b = cast_to(b?)?;
        for r in conv.convert_columns(b.columns())?.iter() {
            *counts.entry(r.data().into()).or_insert(0) += 1;
        }
    }
    let mut emitted: HashSet<Box<[u8]>> = HashSet::new();
    let mut out = Vec::new();
    for b in execute(ctx, left)? {
        let b = cast_to(b?)?;
        let rows = conv.convert_columns(b.columns())?;
        let keep: Vec<bool> = rows
            .iter()
            .map(|r| {
                let k = r.data();
                let in_right = match counts.get_mut(k) {
                    Some(c) if *c > 0 => {
                        if all {
                            *c -= 1;
                        }
                        true
                    }
                    _ => false,
                };
                let wanted = match kind {
                    SetOpKind::Intersect => in_right,
                    _ => !in_right,
                };
                if !wanted {
                    return false;
                }
                all || emitted.insert(k.into())
            })
            .collect();
        out.push(filter_record_batch(&b, &BooleanArray::from(keep))?);
    }
    Ok(Box::new(out.into_iter().map(Ok)))
}
