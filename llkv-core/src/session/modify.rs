//! `UPDATE` and `DELETE`: bound once into a [`BoundModify`] (reusable with other
//! parameter values, see `plan_cache`), then run: find the rows the filter accepts, mark
//! their versions deleted and, for `UPDATE`, write the new versions.

use std::sync::Arc;

use arrow::array::{Array, AsArray, RecordBatch, RecordBatchOptions};
use arrow::datatypes::SchemaRef;
use llkv_traits::ScalarValue;
use sqlparser::ast::{self, AssignmentTarget, Delete, FromTable, Statement};

use super::dml::{UniqueKey, unique_keys, write_checked};
use super::{Session, StatementResult};
use crate::binder::{Binder, Params, Scope, object_name};
use crate::catalog::TableMeta;
use crate::database::Transaction;
use crate::error::{Error, Result};
use crate::exec::index::IndexProbe;
use crate::exec::{ExecCtx, concat, eval};
use crate::plan::Expr;
use crate::storage::{RowGroup, TableStore};

/// A bound `UPDATE` or `DELETE`.
#[derive(Debug)]
pub(crate) struct BoundModify {
    meta: Arc<TableMeta>,
    /// The table's schema (`meta.schema()`, made once).
    schema: SchemaRef,
    store: Arc<TableStore>,
    /// The `WHERE` condition over the table's columns.
    filter: Option<Expr>,
    /// Its conjuncts (one of them may be answered by an index).
    conjuncts: Vec<Expr>,
    /// Every column of the table, in order (the rows are read whole).
    projection: Vec<usize>,
    /// `UPDATE`: (column, new value) per assigned column; `None` for `DELETE`.
    sets: Option<Vec<(usize, Expr)>>,
    /// Columns that lead a key or an index.
    indexed: Vec<usize>,
    /// `UPDATE`: the unique keys new versions are checked against: those with an
    /// assigned column. A version keeping its key (the old version's, which this
    /// statement deletes) cannot break it: another row with that key would already have.
    keys: Vec<UniqueKey>,
}

/// Binds an `UPDATE`; with `params`, also whether the result may run with other values
/// of them ([`Binder::params_reusable`]).
pub(super) fn bind_update(
    s: &Session,
    t: &Transaction,
    stmt: &Statement,
    params: Option<Params<'_>>,
) -> Result<(BoundModify, bool)> {
    let Statement::Update {
        table,
        assignments,
        from,
        selection,
        returning,
        or,
        limit,
    } = stmt
    else {
        return Err(Error::Unsupported("UPDATE".into()));
    };
    if from.is_some() || returning.is_some() || or.is_some() || limit.is_some() {
        return Err(Error::Unsupported(
            "UPDATE ... FROM / RETURNING / OR / LIMIT".into(),
        ));
    }
    bind_modify(s, t, table, selection.as_ref(), Some(assignments), params)
}

/// Binds a `DELETE` (see [`bind_update`]).
pub(super) fn bind_delete(
    s: &Session,
    t: &Transaction,
    d: &Delete,
    params: Option<Params<'_>>,
) -> Result<(BoundModify, bool)> {
    if d.using.is_some()
        || d.returning.is_some()
        || !d.order_by.is_empty()
        || d.limit.is_some()
        || !d.tables.is_empty()
    {
        return Err(Error::Unsupported(
            "DELETE ... USING / RETURNING / ORDER BY / LIMIT".into(),
        ));
    }
    let tables = match &d.from {
        FromTable::WithFromKeyword(v) | FromTable::WithoutKeyword(v) => v,
    };
    let [table] = tables.as_slice() else {
        return Err(Error::Unsupported("DELETE from several tables".into()));
    };
    bind_modify(s, t, table, d.selection.as_ref(), None, params)
}

/// Binds the target table, the `WHERE` condition and, for an `UPDATE`, the assignments.
fn bind_modify(
    s: &Session,
    t: &Transaction,
    table: &ast::TableWithJoins,
    selection: Option<&ast::Expr>,
    assignments: Option<&[ast::Assignment]>,
    params: Option<Params<'_>>,
) -> Result<(BoundModify, bool)> {
    let (meta, store, scope) = single_table(s, t, table)?;
    let catalog = s.db.catalog_view(t.snap);
    let mut binder = Binder::new(&catalog, s.dialect.as_ref());
    if let Some(p) = params {
        binder = binder.with_params(p);
    }
    let filter = selection
        .map(|w| binder.bind_condition(w, &scope, &mut None))
        .transpose()?;
    let mut sets = None;
    let mut keys = Vec::new();
    if let Some(assignments) = assignments {
        let mut assigned: Vec<(usize, Expr)> = Vec::new();
        for a in assignments {
            let AssignmentTarget::ColumnName(c) = &a.target else {
                return Err(Error::Unsupported("tuple assignment".into()));
            };
            let cname = object_name(c)?;
            let i = meta
                .column_index(&cname)
                .ok_or_else(|| Error::NoSuchColumn(format!("no such column: {cname}")))?;
            let (x, xt) = binder.bind_scalar(&a.value, &scope)?;
            let x = crate::binder::types::cast(x, &xt, &meta.columns[i].data_type);
            assigned.retain(|(j, _)| *j != i);
            assigned.push((i, x));
        }
        keys = unique_keys(s, t, &meta)?;
        keys.retain(|(cols, _)| cols.iter().any(|c| assigned.iter().any(|(i, _)| i == c)));
        sets = Some(assigned);
    }
    let indexed = indexed_columns(s, t, &meta)?;
    let reusable = binder.params_reusable();
    let mut conjuncts = Vec::new();
    if let Some(f) = &filter {
        f.clone().split_conjuncts(&mut conjuncts);
    }
    Ok((
        BoundModify {
            schema: meta.schema(),
            projection: (0..store.schema().fields().len()).collect(),
            conjuncts,
            meta,
            store,
            filter,
            sets,
            indexed,
            keys,
        },
        reusable,
    ))
}

impl BoundModify {
    /// Runs the statement with these parameter values.
    pub(super) fn run(
        &self,
        s: &Session,
        t: &mut Transaction,
        values: &[ScalarValue],
    ) -> Result<StatementResult> {
        let (meta, store) = (&self.meta, &self.store);
        let ctx = ExecCtx::new(t.snap, s.semantics()).with_params(values);
        // Phase 1: find the rows (and, for UPDATE, compute every new row version) from the
        // statement's snapshot.
        let matches = self.matching_rows(&ctx)?;
        let mut new_batches: Vec<RecordBatch> = Vec::new();
        if let Some(sets) = &self.sets {
            new_batches.reserve(matches.len());
            for (_, _, batch) in &matches {
                let mut cols = batch.columns().to_vec();
                for (i, e) in sets {
                    let v = eval::evaluate(&ctx, e, batch)?;
                    cols[*i] = eval::cast_value(&ctx, &v, &meta.columns[*i].data_type)?;
                }
                new_batches.push(RecordBatch::try_new_with_options(
                    self.schema.clone(),
                    cols,
                    &RecordBatchOptions::new().with_row_count(Some(batch.num_rows())),
                )?);
            }
        }
        // Phase 2: delete the old versions, then write the new ones.
        let mut count = 0u64;
        for (g, idx, _) in &matches {
            store.mark_deleted(g, idx, &t.snap, &mut t.undo, &meta.name)?;
            count += idx.len() as u64;
        }
        t.touched.insert(meta.id);
        let verb = match self.sets {
            Some(_) => {
                if count > 0 {
                    let all = match new_batches.len() {
                        1 => new_batches.pop().expect("one batch"),
                        _ => concat(&self.schema, &new_batches)?,
                    };
                    write_checked(t, meta, store, all, &self.keys)?;
                }
                "UPDATE"
            }
            None => "DELETE",
        };
        Ok(StatementResult::Affected { verb, rows: count })
    }
}

/// Rows of one group a statement matched: the group, their row numbers (ascending) and
/// their projected columns.
type Matched = (Arc<RowGroup>, Vec<u32>, RecordBatch);

impl BoundModify {
    /// The rows of each group of the table that the snapshot sees and the filter accepts.
    fn matching_rows(&self, ctx: &ExecCtx<'_>) -> Result<Vec<Matched>> {
        let (store, conjuncts, projection) = (&self.store, &self.conjuncts, &self.projection);
        // A conjunct comparing an indexed column with constants picks the candidate rows by
        // binary search (exec::index), as in scans.
        let probe = IndexProbe::find(ctx, store.schema(), projection, conjuncts, &self.indexed);
        // An equality on a key: only the rows the table's hash index finds (visible, with the
        // key). If that equality is the whole filter, it is answered.
        let hashed = probe.as_ref().map(|p| p.hash_rows(store, &ctx.snap));
        let answered = matches!(hashed, Some(Ok(Some(_)))) && conjuncts.len() == 1;
        let filter = self.filter.as_ref().filter(|_| !answered);
        // Per group: the rows the hash index found, if it was asked.
        let groups: Vec<(Arc<RowGroup>, Option<Vec<u32>>)> = match hashed.transpose()? {
            Some(Some(found)) => found.into_iter().map(|(g, r)| (g, Some(r))).collect(),
            _ => store.groups().into_iter().map(|g| (g, None)).collect(),
        };
        let mut out = Vec::new();
        for (g, candidates) in groups {
            // Rows the hash index answered hold the key: statistics cannot rule them out.
            if g.num_rows() == 0
                || (!answered && crate::exec::pruned(ctx, &g, projection, conjuncts))
            {
                continue;
            }
            let idx: Vec<u32> = match (&probe, candidates) {
                (_, Some(rows)) => rows,
                (Some(p), None) => g.visible_among(&ctx.snap, &p.rows(&g)?),
                (None, None) => g
                    .visibility(&ctx.snap)
                    .iter()
                    .enumerate()
                    .filter(|(_, v)| *v == Some(true))
                    .map(|(i, _)| i as u32)
                    .collect(),
            };
            if idx.is_empty() {
                continue;
            }
            let cols = crate::exec::columns_at(g.batch(), projection, idx.as_slice())?;
            let batch = RecordBatch::try_new_with_options(
                g.batch().schema(),
                cols,
                &RecordBatchOptions::new().with_row_count(Some(idx.len())),
            )?;
            let (idx, batch) = match filter {
                None => (idx, batch),
                Some(f) => {
                    let v = eval::evaluate(ctx, f, &batch)?;
                    let mask = v.as_boolean_opt().ok_or_else(|| {
                        Error::Type(format!(
                            "a condition must be boolean, found {}",
                            v.data_type()
                        ))
                    })?;
                    let mask = eval::null_as_false(mask);
                    if mask.true_count() == batch.num_rows() {
                        (idx, batch)
                    } else {
                        let kept = idx
                            .iter()
                            .zip(mask.values())
                            .filter_map(|(&r, keep)| keep.then_some(r))
                            .collect();
                        (kept, arrow::compute::filter_record_batch(&batch, &mask)?)
                    }
                }
            };
            if !idx.is_empty() {
                out.push((g, idx, batch));
            }
        }
        Ok(out)
    }
}

/// Columns that lead a key or an index of the table: lookups on them can binary-search.
fn indexed_columns(s: &Session, t: &Transaction, meta: &TableMeta) -> Result<Vec<usize>> {
    let mut cols: Vec<usize> = meta
        .unique_keys()
        .filter_map(|k| k.first().copied())
        .collect();
    let catalog = s.db.catalog_view(t.snap);
    for index in crate::binder::CatalogAccess::indexes(&catalog, meta.id)? {
        cols.extend(index.primary_key.first().copied());
    }
    cols.sort_unstable();
    cols.dedup();
    Ok(cols)
}

fn single_table(
    s: &Session,
    t: &Transaction,
    twj: &ast::TableWithJoins,
) -> Result<(Arc<TableMeta>, Arc<TableStore>, Scope)> {
    if !twj.joins.is_empty() {
        return Err(Error::Unsupported("joins in UPDATE/DELETE".into()));
    }
    let ast::TableFactor::Table { name, alias, .. } = &twj.relation else {
        return Err(Error::Unsupported("UPDATE/DELETE of a subquery".into()));
    };
    let catalog = s.db.catalog_view(t.snap);
    let binder = Binder::new(&catalog, s.dialect.as_ref());
    let (meta, store) = binder.table_for_write(name)?;
    let q = alias
        .as_ref()
        .map(|a| a.name.value.clone())
        .unwrap_or_else(|| meta.name.clone());
    let scope = Scope::of_schema(&meta.schema(), Some(&q));
    Ok((meta, store, scope))
}
