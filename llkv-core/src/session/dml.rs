//! `INSERT`, `UPDATE`, `DELETE`, and the constraint checks they make.

use std::sync::Arc;
use std::sync::atomic::Ordering;

use arrow::array::{Array, ArrayRef, RecordBatch, RecordBatchOptions};
use arrow::row::{RowConverter, SortField};
use std::cmp::Ordering::{Equal, Greater, Less};

use arrow::array::make_comparator;
use hashbrown::HashSet;
use sqlparser::ast::{self, Insert, TableObject};
use sqlparser::parser::Parser;

use super::literal_insert::LiteralInsert;
use super::{Session, StatementResult};
use crate::binder::{Binder, Scope, object_name};
use crate::catalog::TableMeta;
use crate::database::Transaction;
use crate::error::{Error, Result};
use crate::exec::{ExecCtx, collect, concat, eval};
use crate::storage::{RowGroup, TableStore};
use crate::txn::{NEVER, PENDING_BIT};
use llkv_traits::{ConstraintKind, ConstraintViolation, ScalarValue};

pub(super) fn insert(s: &Session, t: &mut Transaction, ins: &Insert) -> Result<StatementResult> {
    let TableObject::TableName(name) = &ins.table else {
        return Err(Error::Unsupported("INSERT INTO a table function".into()));
    };
    if ins.or.is_some() || ins.on.is_some() || ins.returning.is_some() || ins.replace_into {
        return Err(Error::Unsupported(
            "INSERT OR / ON CONFLICT / RETURNING".into(),
        ));
    }
    let source = ins
        .source
        .as_ref()
        .ok_or_else(|| Error::Unsupported("INSERT without VALUES or SELECT".into()))?;
    let columns: Vec<String> = ins.columns.iter().map(|c| c.value.clone()).collect();
    let rows = insert_query(s, t, &object_name(name)?, &columns, source)?;
    Ok(StatementResult::Affected {
        verb: "INSERT",
        rows,
    })
}

/// Inserts the rows of `source` into `table` (columns named by `columns`, or all).
pub(super) fn insert_query(
    s: &Session,
    t: &mut Transaction,
    table: &str,
    columns: &[String],
    source: &ast::Query,
) -> Result<u64> {
    let catalog = s.db.catalog_view(t.snap);
    let mut binder = Binder::new(&catalog, s.dialect.as_ref());
    let (meta, store) =
        binder.table_for_write(&ast::ObjectName::from(vec![ast::Ident::new(table)]))?;
    let targets = insert_targets(&meta, columns)?;
    let bound = binder.bind_query(source)?;
    check_width(&meta, &targets, bound.plan.schema().fields().len())?;
    let ctx = ExecCtx::new(t.snap, s.semantics());
    let schema = bound.plan.schema();
    let batches = collect(&ctx, &bound.plan)?;
    let input = concat(&schema, &batches)?;
    insert_columns(s, t, &ctx, &meta, &store, &targets, input.columns())
}

/// Runs an `INSERT ... VALUES` the literal fast path read: the same checks and writes as
/// [`insert_query`], on the columns the scanner built.
pub(super) fn insert_literal(
    s: &Session,
    t: &mut Transaction,
    ins: &LiteralInsert,
) -> Result<StatementResult> {
    let catalog = s.db.catalog_view(t.snap);
    let binder = Binder::new(&catalog, s.dialect.as_ref());
    let (meta, store) = binder.table_for_write(&ins.table)?;
    let targets = insert_targets(&meta, &ins.columns)?;
    check_width(&meta, &targets, ins.values.len())?;
    let ctx = ExecCtx::new(t.snap, s.semantics());
    let rows = insert_columns(s, t, &ctx, &meta, &store, &targets, &ins.values)?;
    Ok(StatementResult::Affected {
        verb: "INSERT",
        rows,
    })
}

/// The table positions an `INSERT` names (all columns when `columns` is empty).
fn insert_targets(meta: &TableMeta, columns: &[String]) -> Result<Vec<usize>> {
    if columns.is_empty() {
        return Ok((0..meta.columns.len()).collect());
    }
    let mut seen = Vec::new();
    for c in columns {
        let i = meta.column_index(c).ok_or_else(|| {
            Error::NoSuchColumn(format!("table {} has no column named {c}", meta.name))
        })?;
        if seen.contains(&i) {
            return Err(Error::Syntax(format!(
                "column {c} specified more than once"
            )));
        }
        seen.push(i);
    }
    Ok(seen)
}

fn check_width(meta: &TableMeta, targets: &[usize], width: usize) -> Result<()> {
    if width != targets.len() {
        return Err(Error::Type(format!(
            "table {} has {} columns but {} values were supplied",
            meta.name,
            targets.len(),
            width
        )));
    }
    Ok(())
}

/// Casts `input` (one array per target) to the target columns' types, fills the other
/// columns with their defaults, checks constraints and appends the rows.
fn insert_columns(
    s: &Session,
    t: &mut Transaction,
    ctx: &ExecCtx<'_>,
    meta: &TableMeta,
    store: &Arc<TableStore>,
    targets: &[usize],
    input: &[ArrayRef],
) -> Result<u64> {
    let n = input.first().map_or(0, |a| a.len());
    if n == 0 {
        return Ok(0);
    }
    let mut cols: Vec<Option<ArrayRef>> = vec![None; meta.columns.len()];
    for (k, &i) in targets.iter().enumerate() {
        let v = eval::cast_value(ctx, &input[k], &meta.columns[i].data_type)?;
        cols[i] = Some(v);
    }
    let full = fill_defaults(s, ctx, meta, cols, n)?;
    write_rows(s, t, meta, store, full)?;
    Ok(n as u64)
}

/// Completes a row batch: columns not given get their DEFAULT (or NULL).
fn fill_defaults(
    s: &Session,
    ctx: &ExecCtx<'_>,
    meta: &TableMeta,
    cols: Vec<Option<ArrayRef>>,
    n: usize,
) -> Result<RecordBatch> {
    let empty = RecordBatch::try_new_with_options(
        Arc::new(arrow::datatypes::Schema::empty()),
        vec![],
        &RecordBatchOptions::new().with_row_count(Some(n)),
    )?;
    let mut out = Vec::with_capacity(cols.len());
    for (c, m) in cols.into_iter().zip(&meta.columns) {
        out.push(match c {
            Some(a) => a,
            None => match &m.default {
                Some(text) => {
                    let e = Parser::new(s.dialect.parser())
                        .try_with_sql(text)?
                        .parse_expr()?;
                    let catalog = s.db.catalog_view(ctx.snap);
                    let mut binder = Binder::new(&catalog, s.dialect.as_ref());
                    let (x, _) = binder.bind_scalar(&e, &Scope::default())?;
                    let v = eval::evaluate(ctx, &x, &empty)?;
                    eval::cast_value(ctx, &v, &m.data_type)?
                }
                None => arrow::array::new_null_array(&m.data_type, n),
            },
        });
    }
    Ok(RecordBatch::try_new_with_options(
        meta.schema(),
        out,
        &RecordBatchOptions::new().with_row_count(Some(n)),
    )?)
}

/// Checks constraints and appends rows.
pub(super) fn write_rows(
    s: &Session,
    t: &mut Transaction,
    meta: &TableMeta,
    store: &Arc<TableStore>,
    batch: RecordBatch,
) -> Result<()> {
    let keys = unique_keys(s, t, meta)?;
    write_checked(t, meta, store, batch, &keys)
}

/// A unique key (its columns) and the constraint it enforces.
pub(super) type UniqueKey = (Vec<usize>, ConstraintKind);

/// The unique keys of a table: its primary key, its `UNIQUE` constraints and its unique
/// indexes.
pub(super) fn unique_keys(
    s: &Session,
    t: &Transaction,
    meta: &TableMeta,
) -> Result<Vec<UniqueKey>> {
    let mut keys: Vec<UniqueKey> = Vec::new();
    if !meta.primary_key.is_empty() {
        keys.push((meta.primary_key.clone(), ConstraintKind::PrimaryKey));
    }
    let uniques = meta.uniques.iter().cloned();
    keys.extend(uniques.map(|k| (k, ConstraintKind::Unique)));
    let catalog = s.db.catalog_view(t.snap);
    for index in crate::binder::CatalogAccess::indexes(&catalog, meta.id)? {
        let uniques = index.uniques.iter().cloned();
        keys.extend(uniques.map(|k| (k, ConstraintKind::Unique)));
    }
    Ok(keys)
}

/// Checks `NOT NULL` and the unique `keys`, then appends the rows.
pub(super) fn write_checked(
    t: &mut Transaction,
    meta: &TableMeta,
    store: &Arc<TableStore>,
    batch: RecordBatch,
    keys: &[UniqueKey],
) -> Result<()> {
    for (i, c) in meta.columns.iter().enumerate() {
        if !c.nullable && batch.column(i).null_count() > 0 {
            return Err(Error::violation(ConstraintViolation {
                kind: ConstraintKind::NotNull,
                table: meta.name.clone(),
                columns: vec![c.name.clone()],
                key: Vec::new(),
                within_transaction: false,
            }));
        }
    }
    let _writes = store.lock_writes();
    check_unique(t, meta, store, &batch, keys)?;
    store.append_buffered(&batch, &t.snap, &mut t.undo, &mut t.buffers);
    t.touched.insert(meta.id);
    Ok(())
}

/// Rejects rows whose unique keys repeat among themselves or match a row this transaction
/// sees; a match with a row another transaction is writing (or committed after our
/// snapshot) is a write conflict.
///
/// The new keys are sorted once. Each row group is skipped when its statistics show its
/// key range misses the new keys' range (a load in key order touches no old group);
/// otherwise the new keys are matched against the group's sorted order of the key's first
/// column (its part of the index): by binary search for a few keys, by one merge pass for
/// many.
fn check_unique(
    t: &Transaction,
    meta: &TableMeta,
    store: &TableStore,
    batch: &RecordBatch,
    keys: &[(Vec<usize>, ConstraintKind)],
) -> Result<()> {
    let opts = arrow::compute::SortOptions::default();
    for (key, kind) in keys {
        let key_cols = |b: &RecordBatch| -> Vec<ArrayRef> {
            key.iter().map(|&i| b.column(i).clone()).collect()
        };
        let new_cols = key_cols(batch);
        // New row `i` repeats a key of this transaction (or statement) or a committed one.
        let duplicate = |i: usize, within_transaction: bool| {
            violation(meta, key, *kind, &new_cols, i, within_transaction)
        };
        // The new rows without a NULL in the key (NULLs never collide), in key order.
        let sort_cols: Vec<arrow::compute::SortColumn> = new_cols
            .iter()
            .map(|c| arrow::compute::SortColumn {
                values: c.clone(),
                options: Some(opts),
            })
            .collect();
        let order = arrow::compute::lexsort_to_indices(&sort_cols, None)?;
        let candidates: Vec<usize> = order
            .values()
            .iter()
            .map(|&i| i as usize)
            .filter(|&i| !new_cols.iter().any(|c| c.is_null(i)))
            .collect();
        let (Some(&lo), Some(&hi)) = (candidates.first(), candidates.last()) else {
            continue;
        };
        let same_new = new_cols
            .iter()
            .map(|c| make_comparator(c.as_ref(), c.as_ref(), opts))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for w in candidates.windows(2) {
            if same_new.iter().all(|eq| eq(w[0], w[1]) == Equal) {
                return Err(duplicate(w[1], true));
            }
        }
        // Floats: the statistics leave NaN out, and NaN keys still collide.
        let by_stats = !new_cols[0].data_type().is_floating();
        let new_lo = ScalarValue::try_from_array(new_cols[0].as_ref(), lo)?;
        let new_hi = ScalarValue::try_from_array(new_cols[0].as_ref(), hi)?;
        // True if the group's statistics show its keys miss the new keys' range.
        let misses = |g: &RowGroup| {
            by_stats
                && g.stats()
                    .get(key[0])
                    .is_some_and(|stats| match (&stats.min, &stats.max) {
                        (Some(min), Some(max)) => {
                            new_hi.partial_cmp_same_type(min) == Some(Less)
                                || new_lo.partial_cmp_same_type(max) == Some(Greater)
                        }
                        // No non-NULL key in the group.
                        _ => stats.null_count == stats.rows,
                    })
        };
        // Until the table has a hash index over the key, a load whose keys miss every
        // group's range (keys in order) looks nothing up and builds no index.
        let unindexed = (!store.has_key_index(key)).then(|| store.groups());
        if unindexed
            .as_ref()
            .is_some_and(|groups| groups.iter().all(|g| misses(g)))
        {
            continue;
        }
        // The table's hash index over the key, when the key's types allow one: only the
        // stored versions whose key hashes like a new one are looked at.
        if let Some(found) = store.probe_keys(
            key,
            &new_cols,
            Some(&|c, d| !matches!(Clash::of(t, c, d), Clash::None)),
        )? {
            for (g, rows) in found {
                let stored = key_cols(g.batch());
                let same = stored
                    .iter()
                    .zip(&new_cols)
                    .map(|(a, b)| make_comparator(a.as_ref(), b.as_ref(), opts))
                    .collect::<std::result::Result<Vec<_>, _>>()?;
                for (r, i) in rows {
                    let (r, i) = (r as usize, i as usize);
                    if same.iter().all(|eq| eq(r, i) == Equal) {
                        Clash::of_row(t, &g, r).check(meta, |w| duplicate(i, w))?;
                    }
                }
            }
            continue;
        }
        for g in unindexed.unwrap_or_else(|| store.groups()) {
            if misses(&g) {
                continue;
            }
            let stored = key_cols(g.batch());
            let sorted = g.sorted_order(key[0])?;
            let non_null = &sorted.values()[stored[0].null_count()..];
            let first = make_comparator(stored[0].as_ref(), new_cols[0].as_ref(), opts)?;
            let rest = stored[1..]
                .iter()
                .zip(&new_cols[1..])
                .map(|(a, b)| make_comparator(a.as_ref(), b.as_ref(), opts))
                .collect::<std::result::Result<Vec<_>, _>>()?;
            // Checks the stored rows equal to new row `i` on the first key column, from
            // `from` on; returns where that run ends.
            let check_run = |from: usize, i: usize| -> Result<usize> {
                let mut at = from;
                while let Some(&r) = non_null.get(at) {
                    let r = r as usize;
                    if first(r, i) != Equal {
                        break;
                    }
                    at += 1;
                    if rest.iter().any(|eq| eq(r, i) != Equal) {
                        continue;
                    }
                    Clash::of_row(t, &g, r).check(meta, |w| duplicate(i, w))?;
                }
                Ok(at)
            };
            let searches =
                candidates.len() * (usize::BITS - non_null.len().leading_zeros()) as usize;
            if searches < non_null.len() {
                for &i in &candidates {
                    let lower = non_null.partition_point(|&r| first(r as usize, i) == Less);
                    check_run(lower, i)?;
                }
            } else {
                // One merge pass: both sides are in order of the first key column.
                let mut at = 0;
                for &i in &candidates {
                    while non_null
                        .get(at)
                        .is_some_and(|&r| first(r as usize, i) == Less)
                    {
                        at += 1;
                    }
                    check_run(at, i)?;
                }
            }
        }
    }
    Ok(())
}

/// What a stored row version whose key equals a new row's means for the new row.
enum Clash {
    /// Nothing: never created, or deleted.
    None,
    /// The transaction sees it: a duplicate key (`within`: the transaction wrote it).
    Duplicate { within: bool },
    /// A concurrent transaction is writing it or committed it after the snapshot.
    Conflict,
}

impl Clash {
    /// What a version with marks `c` (created) and `d` (deleted) means for `t`.
    fn of(t: &Transaction, c: u64, d: u64) -> Clash {
        let own = t.snap.own_mark();
        if c == NEVER {
            Clash::None
        } else if t.snap.sees(c, d) {
            Clash::Duplicate { within: c == own }
        } else if d == NEVER && c != own && ((c & PENDING_BIT != 0) || c > t.snap.read_ts) {
            Clash::Conflict
        } else {
            Clash::None
        }
    }

    /// What row `row` of `group` means for `t`.
    fn of_row(t: &Transaction, group: &RowGroup, row: usize) -> Clash {
        Clash::of(
            t,
            group.created()[row].load(Ordering::Acquire),
            group.deleted()[row].load(Ordering::Acquire),
        )
    }

    /// `Ok` for [`Clash::None`], else the error (`duplicate` words a duplicate key).
    fn check(self, meta: &TableMeta, duplicate: impl FnOnce(bool) -> Error) -> Result<()> {
        match self {
            Clash::None => Ok(()),
            Clash::Duplicate { within } => Err(duplicate(within)),
            Clash::Conflict => Err(Error::Conflict(format!(
                "a concurrent transaction wrote the same key of {}",
                meta.name
            ))),
        }
    }
}

/// The violation of unique key `key` (column positions of `meta`) by row `row` of
/// `key_cols` (the key's columns, in key order).
fn violation(
    meta: &TableMeta,
    key: &[usize],
    kind: ConstraintKind,
    key_cols: &[ArrayRef],
    row: usize,
    within_transaction: bool,
) -> Error {
    let options = arrow::util::display::FormatOptions::default().with_null("NULL");
    let values = key_cols
        .iter()
        .map(|c| {
            arrow::util::display::ArrayFormatter::try_new(c.as_ref(), &options)
                .map(|f| f.value(row).to_string())
                .unwrap_or_else(|_| "?".to_string())
        })
        .collect();
    Error::violation(ConstraintViolation {
        kind,
        table: meta.name.clone(),
        columns: key.iter().map(|&i| meta.columns[i].name.clone()).collect(),
        key: values,
        within_transaction,
    })
}

/// Rejects a new unique index over rows whose keys already repeat.
pub(super) fn check_existing_unique(
    t: &Transaction,
    meta: &TableMeta,
    store: &TableStore,
    key: &[usize],
) -> Result<()> {
    let fields: Vec<SortField> = key
        .iter()
        .map(|&i| SortField::new(meta.columns[i].data_type.clone()))
        .collect();
    let conv = RowConverter::new(fields)?;
    let mut seen: HashSet<Box<[u8]>> = HashSet::new();
    for g in store.groups() {
        let visible = g.visibility(&t.snap);
        let cols: Vec<ArrayRef> = key.iter().map(|&i| g.batch().column(i).clone()).collect();
        let rows = conv.convert_columns(&cols)?;
        for i in 0..g.num_rows() {
            if !visible.value(i) || cols.iter().any(|c| c.is_null(i)) {
                continue;
            }
            if !seen.insert(rows.row(i).data().into()) {
                let kind = if key == meta.primary_key.as_slice() {
                    ConstraintKind::PrimaryKey
                } else {
                    ConstraintKind::Unique
                };
                return Err(violation(meta, key, kind, &cols, i, false));
            }
        }
    }
    Ok(())
}
