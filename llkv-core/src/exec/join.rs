//! Joins: hash join on equality keys, nested loops otherwise.
//!
//! The right input is the build side: it is collected and its distinct non-NULL keys go
//! into a [`KeySet`], each with the list of build rows holding it. Left batches then
//! stream through: their keys are looked up (hashed and verified column at a time, one
//! type dispatch per array) and every match becomes a (left row, right row) pair. Rows
//! whose key has a NULL never match. A residual condition is applied to the joined rows;
//! a left join then adds the left rows that found no match, with NULLs on the right.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, GenericByteArray, RecordBatch, UInt32Array,
    new_null_array,
};
use arrow::buffer::{BooleanBuffer, Buffer, NullBuffer, OffsetBuffer, ScalarBuffer};
use arrow::datatypes::{ArrowNativeType, ByteArrayType, DataType, SchemaRef};
use llkv_kernels::select::{self, filter_record_batch};

use super::keys::{KeySet, NONE};
use super::{BatchStream, ExecCtx, batch_with, collect, concat, eval, execute};
use crate::error::{Error, Result};
use crate::plan::{Expr, JoinKind, Plan};

/// Most joined rows produced per output batch when build keys repeat (or there are none:
/// nested loops). With unique build keys a left batch joins into at most as many rows as
/// it has, produced as one batch.
const PAIRS_PER_BATCH: usize = 8192;

/// The build side's keys: its distinct non-NULL keys and, for each, the rows holding it.
struct BuildTable {
    keys: KeySet,
    /// The key columns' types (probe keys are cast to them).
    types: Vec<DataType>,
    /// The build rows of key `id` are `rows[starts[id]..starts[id + 1]]`, ascending.
    starts: Vec<usize>,
    rows: Vec<u32>,
}

impl BuildTable {
    /// Indexes the build rows by `keys` (one array per key column, one row per build row).
    fn new(keys: Vec<ArrayRef>) -> Result<Self> {
        let types: Vec<DataType> = keys.iter().map(|k| k.data_type().clone()).collect();
        // Rows with a NULL in some key never match: leave them out.
        let nulls = keys.iter().fold(None, |acc: Option<NullBuffer>, k| {
            NullBuffer::union(acc.as_ref(), k.logical_nulls().as_ref())
        });
        let (keys, row_of) = match nulls.filter(|n| n.null_count() > 0) {
            None => (keys, None),
            Some(n) => {
                let mask = BooleanArray::new(n.inner().clone(), None);
                let keys = keys
                    .iter()
                    .map(|k| select::filter(k.as_ref(), &mask))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                let rows: Vec<u32> = n.valid_indices().map(|i| i as u32).collect();
                (keys, Some(rows))
            }
        };
        let mut set = KeySet::new(&types)?;
        let mut ids = Vec::new();
        set.intern(&keys, &mut ids)?;
        // Counting sort of the rows by key id (stable: rows stay ascending per key).
        let mut starts = vec![0usize; set.len() + 1];
        for &id in &ids {
            starts[id + 1] += 1;
        }
        for k in 1..starts.len() {
            starts[k] += starts[k - 1];
        }
        let mut next = starts.clone();
        let mut rows = vec![0u32; ids.len()];
        for (j, &id) in ids.iter().enumerate() {
            rows[next[id]] = match &row_of {
                Some(r) => r[j],
                None => j as u32,
            };
            next[id] += 1;
        }
        Ok(BuildTable {
            keys: set,
            types,
            starts,
            rows,
        })
    }

    /// The build rows holding key `id`.
    #[inline]
    fn matches(&self, id: usize) -> &[u32] {
        &self.rows[self.starts[id]..self.starts[id + 1]]
    }

    /// True when every key has exactly one build row (row `rows[id]` for key `id`).
    fn unique(&self) -> bool {
        self.rows.len() + 1 == self.starts.len()
    }
}

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
    let mut table = if on.is_empty() {
        None
    } else {
        let keys = on
            .iter()
            .map(|(_, r)| eval::evaluate(ctx, r, &build))
            .collect::<Result<Vec<_>>>()?;
        Some(BuildTable::new(keys)?)
    };
    let joiner = Joiner {
        ctx,
        schema: schema.clone(),
        build,
        kind: *kind,
        filter: filter.as_ref(),
    };
    let mut ids: Vec<usize> = Vec::new();
    Ok(Box::new(
        probe
            .map(move |lb| -> Result<Vec<RecordBatch>> {
                let lb = lb?;
                match &mut table {
                    Some(table) => joiner.hash_probe(&lb, on, table, &mut ids),
                    None => joiner.nested_loops(&lb),
                }
            })
            .flat_map(|r| match r {
                Ok(v) => v.into_iter().map(Ok).collect::<Vec<_>>(),
                Err(e) => vec![Err(e)],
            }),
    ))
}

/// What joining each left batch needs.
struct Joiner<'c, 'a> {
    ctx: &'c ExecCtx<'a>,
    schema: SchemaRef,
    /// The right input, whole.
    build: RecordBatch,
    kind: JoinKind,
    /// The residual condition.
    filter: Option<&'c Expr>,
}

/// The left rows of the pairs being joined, in pair order.
#[derive(Clone, Copy)]
enum Left<'a> {
    /// Rows `start..start + n` of the left batch, one per pair (sliced, not gathered).
    Run(usize),
    /// These rows.
    Rows(&'a [u32]),
}

impl<'a> Left<'a> {
    /// `rows`, strictly increasing, as a run when they are consecutive.
    fn increasing(rows: &'a [u32]) -> Self {
        match (rows.first(), rows.last()) {
            (Some(&first), Some(&last)) if (last - first) as usize + 1 == rows.len() => {
                Left::Run(first as usize)
            }
            _ => Left::Rows(rows),
        }
    }

    /// The left row of pair `k`.
    #[inline]
    fn row(self, k: usize) -> usize {
        match self {
            Left::Run(start) => start + k,
            Left::Rows(rows) => rows[k] as usize,
        }
    }
}

/// The joined rows of one left batch, and which left rows found a match.
struct Output {
    batches: Vec<RecordBatch>,
    /// Per left row (left joins only).
    matched: Vec<bool>,
}

impl Joiner<'_, '_> {
    /// Joins a left batch through the hash table.
    fn hash_probe(
        &self,
        lb: &RecordBatch,
        on: &[(Expr, Expr)],
        table: &mut BuildTable,
        ids: &mut Vec<usize>,
    ) -> Result<Vec<RecordBatch>> {
        let mut out = self.output(lb);
        let keys = on
            .iter()
            .zip(&table.types)
            .map(|((l, _), t)| {
                let v = eval::evaluate(self.ctx, l, lb)?;
                if table.keys.is_empty() {
                    Ok(v)
                } else {
                    eval::cast_value(self.ctx, &v, t)
                }
            })
            .collect::<Result<Vec<_>>>()?;
        if !table.keys.is_empty() {
            table.keys.lookup(&keys, ids)?;
            let (mut li, mut ri) = (Vec::new(), Vec::new());
            if table.unique() && !ids.contains(&NONE) {
                // Every left row matches one build row: the left side is the whole batch.
                ri.extend(ids.iter().map(|&id| table.rows[id]));
                self.emit(lb, Left::Run(0), &ri, &mut out)?;
            } else if table.unique() {
                // At most one pair per left row, in left order.
                li.reserve(ids.len());
                ri.reserve(ids.len());
                for (i, &id) in ids.iter().enumerate() {
                    if id != NONE {
                        li.push(i as u32);
                        ri.push(table.rows[id]);
                    }
                }
                self.emit(lb, Left::increasing(&li), &ri, &mut out)?;
            } else {
                for (i, &id) in ids.iter().enumerate() {
                    if id == NONE {
                        continue;
                    }
                    for &r in table.matches(id) {
                        li.push(i as u32);
                        ri.push(r);
                    }
                    if li.len() >= PAIRS_PER_BATCH {
                        self.emit(lb, Left::Rows(&li), &ri, &mut out)?;
                        li.clear();
                        ri.clear();
                    }
                }
                self.emit(lb, Left::Rows(&li), &ri, &mut out)?;
            }
        }
        self.finish(lb, out)
    }

    /// Joins a left batch with every build row.
    fn nested_loops(&self, lb: &RecordBatch) -> Result<Vec<RecordBatch>> {
        let mut out = self.output(lb);
        let nr = self.build.num_rows() as u32;
        let (mut li, mut ri) = (Vec::new(), Vec::new());
        for l in 0..lb.num_rows() as u32 {
            for r in 0..nr {
                li.push(l);
                ri.push(r);
            }
            if li.len() >= PAIRS_PER_BATCH {
                self.emit(lb, Left::Rows(&li), &ri, &mut out)?;
                li.clear();
                ri.clear();
            }
        }
        self.emit(lb, Left::Rows(&li), &ri, &mut out)?;
        self.finish(lb, out)
    }

    fn output(&self, lb: &RecordBatch) -> Output {
        Output {
            batches: Vec::new(),
            matched: if self.kind == JoinKind::Left {
                vec![false; lb.num_rows()]
            } else {
                Vec::new()
            },
        }
    }

    /// Joins left rows `left` with build rows `ri` (pairwise), applies the residual
    /// condition and records the left rows that matched.
    fn emit(&self, lb: &RecordBatch, left: Left<'_>, ri: &[u32], out: &mut Output) -> Result<()> {
        let n = ri.len();
        if n == 0 {
            return Ok(());
        }
        let mut cols: Vec<ArrayRef> = Vec::with_capacity(self.schema.fields().len());
        match left {
            Left::Run(start) => {
                for c in lb.columns() {
                    cols.push(c.slice(start, n));
                }
            }
            Left::Rows(li) => {
                let li = UInt32Array::from(li.to_vec());
                for c in lb.columns() {
                    cols.push(take_column(c, &li)?);
                }
            }
        }
        let ri = UInt32Array::from(ri.to_vec());
        for c in self.build.columns() {
            cols.push(take_column(c, &ri)?);
        }
        let joined = batch_with(&self.schema, cols, n)?;
        let (joined, keep) = match self.filter {
            Some(f) => {
                let v = eval::evaluate(self.ctx, f, &joined)?;
                let mask = v
                    .as_any()
                    .downcast_ref::<BooleanArray>()
                    .ok_or_else(|| Error::Type("a join condition must be boolean".into()))?;
                let mask = super::eval::null_as_false(mask);
                (filter_record_batch(&joined, &mask)?, Some(mask))
            }
            None => (joined, None),
        };
        if self.kind == JoinKind::Left {
            for k in 0..n {
                if keep.as_ref().is_none_or(|m| m.value(k)) {
                    out.matched[left.row(k)] = true;
                }
            }
        }
        if joined.num_rows() > 0 {
            out.batches.push(joined);
        }
        Ok(())
    }

    /// The joined batches, then (left join) the unmatched left rows with NULLs.
    fn finish(&self, lb: &RecordBatch, out: Output) -> Result<Vec<RecordBatch>> {
        let Output {
            mut batches,
            matched,
        } = out;
        if self.kind == JoinKind::Left {
            let unmatched: Vec<u32> = matched
                .iter()
                .enumerate()
                .filter(|(_, m)| !**m)
                .map(|(i, _)| i as u32)
                .collect();
            if !unmatched.is_empty() {
                batches.push(left_only_batch(&self.schema, lb, &self.build, unmatched)?);
            }
        }
        Ok(batches)
    }
}

fn left_only_batch(
    schema: &SchemaRef,
    left: &RecordBatch,
    right: &RecordBatch,
    rows: Vec<u32>,
) -> Result<RecordBatch> {
    let idx = UInt32Array::from(rows);
    let mut cols: Vec<ArrayRef> = Vec::with_capacity(schema.fields().len());
    for c in left.columns() {
        cols.push(take_column(c, &idx)?);
    }
    for c in right.columns() {
        cols.push(new_null_array(c.data_type(), idx.len()));
    }
    batch_with(schema, cols, idx.len())
}

/// `array[indices[i]]` for every `i` (indices in bounds, none NULL): text and binary
/// gathered here, other types by [`select::take`].
fn take_column(array: &ArrayRef, indices: &UInt32Array) -> Result<ArrayRef> {
    let idx = indices.values();
    match array.data_type() {
        DataType::Utf8 => take_bytes(array.as_string::<i32>(), idx),
        DataType::LargeUtf8 => take_bytes(array.as_string::<i64>(), idx),
        DataType::Binary => take_bytes(array.as_binary::<i32>(), idx),
        DataType::LargeBinary => take_bytes(array.as_binary::<i64>(), idx),
        _ => Ok(select::take(array.as_ref(), indices)?),
    }
}

/// Gathers byte values: offsets in one pass, then the bytes, short values (the usual
/// join payload) copied as one fixed 16-byte move each instead of a `memcpy` call.
fn take_bytes<T: ByteArrayType>(array: &GenericByteArray<T>, idx: &[u32]) -> Result<ArrayRef>
where
    GenericByteArray<T>: Array,
{
    const SHORT: usize = 16;
    let (offsets, data) = (array.value_offsets(), array.value_data());
    let bounds = |i: u32| {
        let i = i as usize;
        (offsets[i].as_usize(), offsets[i + 1].as_usize())
    };
    let overflow = || Error::Execution(format!("join: gathered {} overflows", T::DATA_TYPE));
    let mut out_offsets = Vec::with_capacity(idx.len() + 1);
    out_offsets.push(T::Offset::usize_as(0));
    let mut total = 0usize;
    for &i in idx {
        let (s, e) = bounds(i);
        total += e - s;
        out_offsets.push(T::Offset::from_usize(total).ok_or_else(overflow)?);
    }
    let mut bytes = vec![0u8; total + SHORT];
    let mut pos = 0;
    for &i in idx {
        let (s, e) = bounds(i);
        let len = e - s;
        if len <= SHORT && s + SHORT <= data.len() {
            bytes[pos..pos + SHORT].copy_from_slice(&data[s..s + SHORT]);
        } else {
            bytes[pos..pos + len].copy_from_slice(&data[s..e]);
        }
        pos += len;
    }
    bytes.truncate(total);
    let nulls = array.nulls().filter(|n| n.null_count() > 0).map(|n| {
        NullBuffer::new(BooleanBuffer::collect_bool(idx.len(), |k| {
            n.is_valid(idx[k] as usize)
        }))
    });
    // `try_new` checks the offsets and, for text, UTF-8 (whole values were copied).
    let array = GenericByteArray::<T>::try_new(
        OffsetBuffer::new(ScalarBuffer::from(out_offsets)),
        Buffer::from_vec(bytes),
        nulls,
    )?;
    Ok(Arc::new(array))
}
