//! Binding queries: `FROM` and joins (ordered greedily along equality predicates), `WHERE`
//! pushdown, grouping, the select list, `ORDER BY`, `LIMIT`, and set operations.

use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema};
use llkv_traits::{CatalogObject, ScalarValue};
use sqlparser::ast::{
    self, GroupByExpr, JoinConstraint, JoinOperator, LimitClause, OrderByKind, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, SetOperator, SetQuantifier, TableFactor,
};

use super::expr::{AggContext, contains_aggregate, merge_type};
use super::{Binder, Scope, ScopeColumn, object_name, output_scope, view_query};
use crate::catalog::ObjectKind;
use crate::error::{Error, Result};
use crate::plan::{BinaryOp, Expr, JoinKind, Plan, SetOpKind, SortKey};

/// A bound query: its plan and its output column names.
#[derive(Debug)]
pub struct BoundQuery {
    /// The plan.
    pub plan: Plan,
    /// Output column names.
    pub names: Vec<String>,
}

pub(super) fn bind_query(b: &mut Binder<'_>, q: &ast::Query) -> Result<BoundQuery> {
    if q.with.is_some() {
        return Err(Error::Unsupported("WITH (common table expressions)".into()));
    }
    let order_by: &[ast::OrderByExpr] = match &q.order_by {
        None => &[],
        Some(o) => match &o.kind {
            OrderByKind::Expressions(v) => v,
            OrderByKind::All(_) => return Err(Error::Unsupported("ORDER BY ALL".into())),
        },
    };
    let (limit, offset) = match &q.limit_clause {
        None => (None, None),
        Some(LimitClause::LimitOffset { limit, offset, .. }) => {
            (limit.as_ref(), offset.as_ref().map(|o| &o.value))
        }
        Some(LimitClause::OffsetCommaLimit { offset, limit }) => (Some(limit), Some(offset)),
    };
    let limit = limit
        .map(|e| constant_count(b, e, "LIMIT"))
        .transpose()?
        .flatten();
    let offset = offset
        .map(|e| constant_count(b, e, "OFFSET"))
        .transpose()?
        .flatten()
        .unwrap_or(0);
    let fetch = limit.map(|l| l.saturating_add(offset));

    let mut bound = match q.body.as_ref() {
        SetExpr::Select(s) => bind_select(b, s, order_by, fetch)?,
        other => {
            let mut inner = bind_set_expr(b, other)?;
            if !order_by.is_empty() {
                let scope = output_scope(&inner.plan, &inner.names, None);
                let keys = order_by
                    .iter()
                    .map(|o| {
                        let expr = match output_position(b, &o.expr, &inner.names)? {
                            Some(i) => Expr::Column(i),
                            None => b.bind_scalar(&o.expr, &scope)?.0,
                        };
                        Ok(sort_key(b, expr, o))
                    })
                    .collect::<Result<Vec<_>>>()?;
                inner.plan = Plan::Sort {
                    input: Box::new(inner.plan),
                    keys,
                    fetch,
                };
            }
            inner
        }
    };
    if limit.is_some() || offset > 0 {
        bound.plan = Plan::Limit {
            input: Box::new(bound.plan),
            limit,
            offset,
        };
    }
    Ok(bound)
}

/// A constant, non-negative row count (`LIMIT`, `OFFSET`). A negative LIMIT means no limit.
fn constant_count(b: &mut Binder<'_>, e: &ast::Expr, what: &str) -> Result<Option<usize>> {
    let (x, _) = b.bind_scalar(e, &Scope::default())?;
    let Expr::Literal(v) = fold_constant(&b.with_values(&x)) else {
        return Err(Error::Type(format!("{what} must be a constant integer")));
    };
    match v {
        ScalarValue::Int64(Some(n)) if n < 0 => Ok(None),
        ScalarValue::Int64(Some(n)) => Ok(Some(n as usize)),
        ScalarValue::Int64(None) | ScalarValue::Null => Ok(None),
        other => Err(Error::Type(format!(
            "{what} must be an integer, not {other}"
        ))),
    }
}

/// Folds a tiny set of constant forms (negation of literals).
fn fold_constant(e: &Expr) -> Expr {
    match e {
        Expr::Negative(inner) => match fold_constant(inner) {
            Expr::Literal(ScalarValue::Int64(Some(v))) => {
                Expr::Literal(ScalarValue::Int64(v.checked_neg()))
            }
            other => Expr::Negative(Box::new(other)),
        },
        other => other.clone(),
    }
}

fn bind_set_expr(b: &mut Binder<'_>, s: &SetExpr) -> Result<BoundQuery> {
    match s {
        SetExpr::Select(sel) => bind_select(b, sel, &[], None),
        SetExpr::Query(q) => bind_query(b, q),
        SetExpr::Values(v) => bind_values(b, &v.rows),
        SetExpr::SetOperation {
            op,
            set_quantifier,
            left,
            right,
        } => {
            let l = bind_set_expr(b, left)?;
            let r = bind_set_expr(b, right)?;
            let ls = l.plan.schema();
            let rs = r.plan.schema();
            if ls.fields().len() != rs.fields().len() {
                return Err(Error::Type(format!(
                    "SELECTs to the left and right of {op} do not have the same number of result columns"
                )));
            }
            let coercion = b.dialect().coercion();
            let fields: Vec<Field> = ls
                .fields()
                .iter()
                .zip(rs.fields())
                .zip(&l.names)
                .map(|((a, c), n)| {
                    Field::new(n, merge_type(a.data_type(), c.data_type(), coercion), true)
                })
                .collect();
            let schema = Arc::new(Schema::new(fields));
            let kind = match op {
                SetOperator::Union => SetOpKind::Union,
                SetOperator::Intersect => SetOpKind::Intersect,
                SetOperator::Except | SetOperator::Minus => SetOpKind::Except,
            };
            let all = matches!(
                set_quantifier,
                SetQuantifier::All | SetQuantifier::AllByName
            );
            Ok(BoundQuery {
                names: l.names,
                plan: Plan::SetOp {
                    left: Box::new(l.plan),
                    right: Box::new(r.plan),
                    kind,
                    all,
                    schema,
                },
            })
        }
        other => Err(Error::Unsupported(format!("{other}"))),
    }
}

/// `VALUES (..), (..)`: the column types are the merged types of each position.
pub(crate) fn bind_values(b: &mut Binder<'_>, rows: &[Vec<ast::Expr>]) -> Result<BoundQuery> {
    let width = rows.first().map_or(0, |r| r.len());
    let empty = Scope::default();
    let coercion = b.dialect().coercion();
    let mut types = vec![DataType::Null; width];
    let mut bound_rows = Vec::with_capacity(rows.len());
    for row in rows {
        if row.len() != width {
            return Err(Error::Type(
                "all VALUES rows must have the same number of values".into(),
            ));
        }
        let mut out = Vec::with_capacity(width);
        for (i, e) in row.iter().enumerate() {
            let (x, t) = b.bind_scalar(e, &empty)?;
            types[i] = merge_type(&types[i], &t, coercion);
            out.push(x);
        }
        bound_rows.push(out);
    }
    let names: Vec<String> = (1..=width).map(|i| format!("column{i}")).collect();
    let schema = Arc::new(Schema::new(
        names
            .iter()
            .zip(&types)
            .map(|(n, t)| Field::new(n, t.clone(), true))
            .collect::<Vec<_>>(),
    ));
    Ok(BoundQuery {
        plan: Plan::Values {
            rows: bound_rows,
            schema,
        },
        names,
    })
}

/// One relation of a `FROM` list: its plan and scope.
struct Relation {
    plan: Plan,
    scope: Scope,
}

fn bind_table_factor(b: &mut Binder<'_>, t: &TableFactor) -> Result<Relation> {
    match t {
        TableFactor::Table {
            name, alias, args, ..
        } => {
            if let Some(args) = args {
                let plan = bind_table_function(b, name, &args.args)?;
                let qualifier = match alias {
                    Some(a) => a.name.value.clone(),
                    None => object_name(name)?,
                };
                let scope = Scope::of_schema(&plan.schema(), Some(&qualifier));
                return Ok(Relation {
                    plan,
                    scope: rename_columns(scope, alias.as_ref())?,
                });
            }
            let n = object_name(name)?;
            let (meta, store) = b
                .catalog
                .table(&n)?
                .ok_or_else(|| Error::not_found(CatalogObject::Table, n.clone()))?;
            let qualifier = alias.as_ref().map(|a| a.name.value.clone()).unwrap_or(n);
            let (plan, scope) = match (meta.kind, store) {
                (ObjectKind::Table, Some(store)) => {
                    let schema = meta.schema();
                    let scope = Scope::of_schema(&schema, Some(&qualifier));
                    let projection = (0..meta.columns.len()).collect();
                    let mut indexed: Vec<usize> = meta
                        .unique_keys()
                        .filter_map(|k| k.first().copied())
                        .collect();
                    for index in b.catalog.indexes(meta.id)? {
                        indexed.extend(index.primary_key.first().copied());
                    }
                    indexed.sort_unstable();
                    indexed.dedup();
                    (
                        Plan::Scan {
                            table: meta,
                            store,
                            projection,
                            filters: Vec::new(),
                            indexed,
                            schema,
                        },
                        scope,
                    )
                }
                _ => {
                    let q = view_query(&meta, b.dialect())?;
                    // A view is bound on its own, not inside the current query's scopes.
                    let saved_outer = std::mem::take(&mut b.outer);
                    let saved_corr = std::mem::take(&mut b.correlated);
                    let bound = bind_query(b, &q);
                    b.outer = saved_outer;
                    b.correlated = saved_corr;
                    let bound = bound?;
                    let scope = output_scope(&bound.plan, &bound.names, Some(&qualifier));
                    (bound.plan, scope)
                }
            };
            Ok(Relation {
                plan,
                scope: rename_columns(scope, alias.as_ref())?,
            })
        }
        TableFactor::Derived {
            subquery, alias, ..
        } => {
            let bound = bind_query(b, subquery)?;
            let q = alias.as_ref().map(|a| a.name.value.clone());
            let scope = output_scope(&bound.plan, &bound.names, q.as_deref());
            Ok(Relation {
                plan: bound.plan,
                scope: rename_columns(scope, alias.as_ref())?,
            })
        }
        TableFactor::NestedJoin {
            table_with_joins,
            alias,
        } => {
            let r = bind_table_with_joins(b, table_with_joins)?;
            let scope = match alias {
                Some(a) => {
                    let mut s = r.scope;
                    for c in &mut s.columns {
                        c.qualifier = Some(a.name.value.clone());
                    }
                    s
                }
                None => r.scope,
            };
            Ok(Relation {
                plan: r.plan,
                scope,
            })
        }
        other => Err(Error::Unsupported(format!("FROM {other}"))),
    }
}

/// `range(end)`, `range(start, end[, step])` (end exclusive) and `generate_series(...)`
/// (end inclusive), with constant integer arguments: one Int64 column named after the
/// function.
fn bind_table_function(
    b: &mut Binder<'_>,
    name: &ast::ObjectName,
    args: &[ast::FunctionArg],
) -> Result<Plan> {
    let fname = object_name(name)?.to_lowercase();
    let inclusive = match fname.as_str() {
        "range" => false,
        "generate_series" => true,
        _ => return Err(Error::Unsupported(format!("table function {name}"))),
    };
    let mut values = Vec::with_capacity(args.len());
    for a in args {
        let ast::FunctionArg::Unnamed(ast::FunctionArgExpr::Expr(e)) = a else {
            return Err(Error::Function(format!("{fname}() takes plain arguments")));
        };
        let (x, _) = b.bind_scalar(e, &Scope::default())?;
        match b.const_eval(&x) {
            Some(ScalarValue::Int64(Some(v))) => values.push(v),
            Some(ScalarValue::Int32(Some(v))) => values.push(v as i64),
            _ => {
                return Err(Error::Function(format!(
                    "{fname}() arguments must be constant integers, got {e}"
                )));
            }
        }
    }
    let (start, end, step) = match values.as_slice() {
        [end] => (0, *end, 1),
        [start, end] => (*start, *end, 1),
        [start, end, step] => (*start, *end, *step),
        _ => {
            return Err(Error::Function(format!(
                "{fname}() takes 1 to 3 arguments, got {}",
                values.len()
            )));
        }
    };
    if step == 0 {
        return Err(Error::Function(format!("{fname}() step cannot be 0")));
    }
    let schema = Arc::new(Schema::new(vec![Field::new(
        &fname,
        DataType::Int64,
        false,
    )]));
    Ok(Plan::Range {
        start,
        end,
        step,
        inclusive,
        schema,
    })
}

fn rename_columns(mut scope: Scope, alias: Option<&ast::TableAlias>) -> Result<Scope> {
    if let Some(a) = alias
        && !a.columns.is_empty()
    {
        if a.columns.len() > scope.columns.len() {
            return Err(Error::Type(format!(
                "table {} has {} columns but {} column names were given",
                a.name,
                scope.columns.len(),
                a.columns.len()
            )));
        }
        for (c, n) in scope.columns.iter_mut().zip(&a.columns) {
            c.name = n.name.value.clone();
        }
    }
    Ok(scope)
}

fn bind_table_with_joins(b: &mut Binder<'_>, t: &ast::TableWithJoins) -> Result<Relation> {
    let mut left = bind_table_factor(b, &t.relation)?;
    for j in &t.joins {
        let right = bind_table_factor(b, &j.relation)?;
        let (kind, constraint) = match &j.join_operator {
            JoinOperator::Join(c) | JoinOperator::Inner(c) => (JoinKind::Inner, Some(c)),
            JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (JoinKind::Left, Some(c)),
            JoinOperator::CrossJoin(_) => (JoinKind::Inner, None),
            other => {
                return Err(Error::Unsupported(
                    format!("join {other:?}").chars().take(80).collect(),
                ));
            }
        };
        let scope = left.scope.join(&right.scope);
        let left_width = left.scope.columns.len();
        let mut conjuncts = Vec::new();
        match constraint {
            None | Some(JoinConstraint::None) => {}
            Some(JoinConstraint::On(e)) => {
                let c = b.bind_condition(e, &scope, &mut None)?;
                c.split_conjuncts(&mut conjuncts);
            }
            Some(JoinConstraint::Using(cols)) => {
                for c in cols {
                    let name = object_name(c)?;
                    let l = left.scope.resolve(None, &name)?.ok_or_else(|| {
                        Error::NoSuchColumn(format!("no such column: {name} (in USING)"))
                    })?;
                    let r = right.scope.resolve(None, &name)?.ok_or_else(|| {
                        Error::NoSuchColumn(format!("no such column: {name} (in USING)"))
                    })?;
                    let lt = left.scope.columns[l].data_type.clone();
                    let rt = right.scope.columns[r].data_type.clone();
                    let (eq, _) = b.bind_binary(
                        &ast::BinaryOperator::Eq,
                        (Expr::Column(l), lt),
                        (Expr::Column(left_width + r), rt),
                    )?;
                    conjuncts.push(eq);
                }
            }
            Some(JoinConstraint::Natural) => return Err(Error::Unsupported("NATURAL JOIN".into())),
        }
        let plan = make_join(left.plan, right.plan, left_width, kind, conjuncts, &scope);
        left = Relation { plan, scope };
    }
    Ok(left)
}

fn has_subquery(e: &Expr) -> bool {
    let mut found = false;
    e.visit(&mut |x| {
        if matches!(
            x,
            Expr::ScalarSubquery(_) | Expr::Exists(..) | Expr::InSubquery(..)
        ) {
            found = true;
        }
    });
    found
}

/// Builds a join of `left` (the first `left_width` columns of `scope`) and `right`, taking
/// equality conjuncts between the sides as hash keys and the rest as a residual filter.
fn make_join(
    left: Plan,
    right: Plan,
    left_width: usize,
    kind: JoinKind,
    conjuncts: Vec<Expr>,
    scope: &Scope,
) -> Plan {
    let mut on = Vec::new();
    let mut rest = Vec::new();
    for c in conjuncts {
        if !has_subquery(&c)
            && let Expr::Binary(BinaryOp::Eq, l, r) = &c
        {
            let lc = l.columns();
            let rc = r.columns();
            let left_only =
                |cols: &[usize]| !cols.is_empty() && cols.iter().all(|&i| i < left_width);
            let right_only =
                |cols: &[usize]| !cols.is_empty() && cols.iter().all(|&i| i >= left_width);
            let shift = |e: &Expr| e.map_columns(&|i| i - left_width);
            if left_only(&lc) && right_only(&rc) {
                on.push(((**l).clone(), shift(r)));
                continue;
            }
            if right_only(&lc) && left_only(&rc) {
                on.push(((**r).clone(), shift(l)));
                continue;
            }
        }
        rest.push(c);
    }
    let filter = Expr::conjoin(rest);
    Plan::Join {
        left: Box::new(left),
        right: Box::new(right),
        kind,
        on,
        filter,
        schema: scope.schema(),
    }
}

/// Joins the relations of a `FROM` list, using `WHERE` conjuncts: single-relation ones
/// filter that relation (into its scan where possible), equalities between relations become
/// hash-join keys, and relations are joined greedily so that each new one is connected to
/// those already joined whenever some equality allows. Returns the plan (columns in the
/// original `FROM` order) and the conjuncts left to apply on top.
fn join_from_list(
    relations: Vec<Relation>,
    conjuncts: Vec<Expr>,
    scope: &Scope,
) -> (Plan, Vec<Expr>) {
    let n = relations.len();
    let mut offsets = Vec::with_capacity(n);
    let mut acc = 0;
    for r in &relations {
        offsets.push(acc);
        acc += r.scope.columns.len();
    }
    let total = acc;
    let rel_of = |col: usize| -> usize { offsets.iter().rposition(|&o| o <= col).unwrap_or(0) };

    // Push single-relation conjuncts down.
    let mut plans: Vec<Option<Plan>> = Vec::with_capacity(n);
    let mut pending: Vec<Expr> = Vec::new();
    let mut local: Vec<Vec<Expr>> = vec![Vec::new(); n];
    for c in conjuncts {
        let cols = c.columns();
        if has_subquery(&c) || cols.is_empty() {
            pending.push(c);
            continue;
        }
        let r = rel_of(cols[0]);
        if cols.iter().all(|&i| rel_of(i) == r) {
            let off = offsets[r];
            local[r].push(c.map_columns(&|i| i - off));
        } else {
            pending.push(c);
        }
    }
    for (r, (rel, filters)) in relations.into_iter().zip(local).enumerate() {
        let _ = r;
        plans.push(Some(push_filters(rel.plan, filters)));
    }
    if n == 1 {
        return (plans.pop().flatten().expect("one relation"), pending);
    }

    // Greedy join order.
    let widths: Vec<usize> = (0..n)
        .map(|r| {
            if r + 1 < n {
                offsets[r + 1] - offsets[r]
            } else {
                total - offsets[r]
            }
        })
        .collect();
    let mut joined = vec![0usize];
    // Position of each original column in the current joined plan.
    let mut pos: Vec<Option<usize>> = vec![None; total];
    for (k, p) in pos.iter_mut().enumerate().take(widths[0]) {
        *p = Some(k);
    }
    let mut current = plans[0].take().expect("first relation");
    let mut current_fields: Vec<Field> = current
        .schema()
        .fields()
        .iter()
        .map(|f| f.as_ref().clone())
        .collect();
    while joined.len() < n {
        let connected = |r: usize, pending: &[Expr]| {
            pending.iter().any(|c| {
                if has_subquery(c) {
                    return false;
                }
                let Expr::Binary(BinaryOp::Eq, l, rr) = c else {
                    return false;
                };
                let (lc, rc) = (l.columns(), rr.columns());
                let in_r =
                    |cols: &[usize]| !cols.is_empty() && cols.iter().all(|&i| rel_of(i) == r);
                let in_joined =
                    |cols: &[usize]| !cols.is_empty() && cols.iter().all(|&i| pos[i].is_some());
                (in_r(&lc) && in_joined(&rc)) || (in_joined(&lc) && in_r(&rc))
            })
        };
        let next = (0..n)
            .find(|r| !joined.contains(r) && connected(*r, &pending))
            .or_else(|| (0..n).find(|r| !joined.contains(r)))
            .expect("a relation is left");
        let right = plans[next].take().expect("unjoined relation");
        let left_width = current_fields.len();
        let mut new_pos = pos.clone();
        for k in 0..widths[next] {
            new_pos[offsets[next] + k] = Some(left_width + k);
        }
        // Conjuncts whose columns are now all available.
        let (ready, still): (Vec<Expr>, Vec<Expr>) = pending.into_iter().partition(|c| {
            !has_subquery(c)
                && !c.columns().is_empty()
                && c.columns().iter().all(|&i| new_pos[i].is_some())
        });
        pending = still;
        let remapped: Vec<Expr> = ready
            .into_iter()
            .map(|c| c.map_columns(&|i| new_pos[i].expect("available column")))
            .collect();
        current_fields.extend(right.schema().fields().iter().map(|f| f.as_ref().clone()));
        let join_scope = Scope {
            columns: current_fields
                .iter()
                .map(|f| ScopeColumn {
                    qualifier: None,
                    name: f.name().clone(),
                    data_type: f.data_type().clone(),
                })
                .collect(),
        };
        current = make_join(
            current,
            right,
            left_width,
            JoinKind::Inner,
            remapped,
            &join_scope,
        );
        pos = new_pos;
        joined.push(next);
    }
    // Restore the FROM order.
    let exprs: Vec<Expr> = (0..total)
        .map(|i| Expr::Column(pos[i].expect("all joined")))
        .collect();
    let identity = exprs.iter().enumerate().all(|(i, e)| *e == Expr::Column(i));
    let plan = if identity {
        current
    } else {
        Plan::Project {
            input: Box::new(current),
            exprs,
            schema: scope.schema(),
        }
    };
    (plan, pending)
}

/// Adds filters to a plan: into a scan's own filters, else as a filter node.
fn push_filters(plan: Plan, filters: Vec<Expr>) -> Plan {
    if filters.is_empty() {
        return plan;
    }
    match plan {
        Plan::Scan {
            table,
            store,
            projection,
            filters: mut existing,
            indexed,
            schema,
        } => {
            existing.extend(filters);
            Plan::Scan {
                table,
                store,
                projection,
                filters: existing,
                indexed,
                schema,
            }
        }
        other => {
            let predicate = Expr::conjoin(filters).expect("non-empty filters");
            Plan::Filter {
                input: Box::new(other),
                predicate,
            }
        }
    }
}

/// If `e` names an output column (by alias or 1-based position), its index.
fn output_position(b: &Binder<'_>, e: &ast::Expr, names: &[String]) -> Result<Option<usize>> {
    match e {
        ast::Expr::Value(v) => {
            if let ast::Value::Number(n, _) = &v.value {
                b.note_literal_read(v);
                let k: usize = n.parse().map_err(|_| {
                    Error::Type(format!("ORDER BY term {n} is not a column number"))
                })?;
                if k == 0 || k > names.len() {
                    return Err(Error::Type(format!(
                        "ORDER BY term out of range - should be between 1 and {}",
                        names.len()
                    )));
                }
                return Ok(Some(k - 1));
            }
            Ok(None)
        }
        ast::Expr::Identifier(i) => Ok(names.iter().position(|n| n.eq_ignore_ascii_case(&i.value))),
        _ => Ok(None),
    }
}

fn sort_key(b: &Binder<'_>, expr: Expr, o: &ast::OrderByExpr) -> SortKey {
    let order = b.order_defaults();
    let descending = o.options.asc.map_or(order.descending, |asc| !asc);
    let nulls_first = o
        .options
        .nulls_first
        .unwrap_or_else(|| match order.null_order {
            Some(nulls) => nulls.nulls_first(descending),
            None => b.dialect().nulls_first(descending),
        });
    SortKey {
        expr,
        descending,
        nulls_first,
    }
}

fn item_name(e: &ast::Expr) -> String {
    match e {
        ast::Expr::Identifier(i) => i.value.clone(),
        ast::Expr::CompoundIdentifier(p) => p.last().map(|i| i.value.clone()).unwrap_or_default(),
        other => other.to_string(),
    }
}

fn bind_select(
    b: &mut Binder<'_>,
    s: &ast::Select,
    order_by: &[ast::OrderByExpr],
    fetch: Option<usize>,
) -> Result<BoundQuery> {
    if s.top.is_some() || s.into.is_some() || !s.lateral_views.is_empty() || s.qualify.is_some() {
        return Err(Error::Unsupported(format!("{s}")));
    }
    // FROM
    let relations = s
        .from
        .iter()
        .map(|t| bind_table_with_joins(b, t))
        .collect::<Result<Vec<_>>>()?;
    let scope = relations
        .iter()
        .fold(Scope::default(), |acc, r| acc.join(&r.scope));
    // WHERE
    let mut conjuncts = Vec::new();
    if let Some(w) = &s.selection {
        if contains_aggregate(b, w) {
            return Err(Error::Function(
                "misuse of aggregate function in WHERE".into(),
            ));
        }
        let c = b.bind_condition(w, &scope, &mut None)?;
        c.split_conjuncts(&mut conjuncts);
    }
    let (mut plan, rest) = if relations.is_empty() {
        (
            Plan::Values {
                rows: vec![vec![]],
                schema: Arc::new(Schema::empty()),
            },
            conjuncts,
        )
    } else {
        join_from_list(relations, conjuncts, &scope)
    };
    if !rest.is_empty() {
        plan = push_filters(plan, rest);
    }

    // Expand the select list. DuckDB's `FROM t` without a select list means `SELECT *`.
    let from_only = [SelectItem::Wildcard(Default::default())];
    let projection: &[SelectItem] =
        if s.projection.is_empty() && s.flavor == ast::SelectFlavor::FromFirstNoSelect {
            &from_only
        } else {
            &s.projection
        };
    let mut items: Vec<(Option<&ast::Expr>, Option<Expr>, String)> = Vec::new();
    for item in projection {
        match item {
            SelectItem::UnnamedExpr(e) => {
                // The column is named by its text, literals included.
                b.note_text_read(e);
                items.push((Some(e), None, item_name(e)))
            }
            SelectItem::ExprWithAlias { expr, alias } => {
                items.push((Some(expr), None, alias.value.clone()))
            }
            SelectItem::Wildcard(_) => {
                if scope.columns.is_empty() {
                    return Err(Error::Syntax("no tables specified".into()));
                }
                for (i, c) in scope.columns.iter().enumerate() {
                    items.push((None, Some(Expr::Column(i)), c.name.clone()));
                }
            }
            SelectItem::QualifiedWildcard(kind, _) => {
                let q = match kind {
                    SelectItemQualifiedWildcardKind::ObjectName(n) => object_name(n)?,
                    SelectItemQualifiedWildcardKind::Expr(e) => {
                        b.note_text_read(e);
                        e.to_string()
                    }
                };
                let mut any = false;
                for (i, c) in scope.columns.iter().enumerate() {
                    if c.qualifier
                        .as_deref()
                        .is_some_and(|cq| cq.eq_ignore_ascii_case(&q))
                    {
                        items.push((None, Some(Expr::Column(i)), c.name.clone()));
                        any = true;
                    }
                }
                if !any {
                    return Err(Error::NoSuchTable(q));
                }
            }
        }
    }
    let names: Vec<String> = items.iter().map(|(_, _, n)| n.clone()).collect();

    // Grouping.
    let group_exprs: Vec<ast::Expr> = match &s.group_by {
        GroupByExpr::Expressions(v, mods) if mods.is_empty() => v.clone(),
        GroupByExpr::Expressions(..) | GroupByExpr::All(_) => {
            return Err(Error::Unsupported(format!("{}", s.group_by)));
        }
    };
    let aggregated = !group_exprs.is_empty()
        || s.having.is_some()
        || items
            .iter()
            .any(|(e, _, _)| e.as_ref().is_some_and(|e| contains_aggregate(b, e)))
        || order_by.iter().any(|o| contains_aggregate(b, &o.expr));
    let mut agg: Option<AggContext> = None;
    if aggregated {
        let mut ctx = AggContext::default();
        for g in &group_exprs {
            // GROUP BY may name an output column by position or alias.
            let bound = match output_position(b, g, &names)? {
                Some(k)
                    if !matches!(g, ast::Expr::Identifier(_))
                        || scope.resolve(None, &item_name(g))?.is_none() =>
                {
                    match &items[k] {
                        (Some(e), _, _) => b.bind_scalar(e, &scope)?,
                        (None, Some(Expr::Column(i)), _) => {
                            (Expr::Column(*i), scope.columns[*i].data_type.clone())
                        }
                        _ => return Err(Error::Type("bad GROUP BY term".into())),
                    }
                }
                _ => b.bind_scalar(g, &scope)?,
            };
            if contains_aggregate(b, g) {
                return Err(Error::Function(
                    "aggregate functions are not allowed in GROUP BY".into(),
                ));
            }
            ctx.groups.push(bound.0);
            ctx.group_types.push(bound.1);
        }
        agg = Some(ctx);
    }

    // Bind the select list (over the aggregate's output if grouped).
    let mut exprs = Vec::with_capacity(items.len());
    let mut types = Vec::with_capacity(items.len());
    for (e, pre, _) in &items {
        let (x, t) = match (e, pre) {
            (Some(e), _) => b.bind_expr(e, &scope, &mut agg)?,
            (None, Some(Expr::Column(i))) => {
                if let Some(ctx) = &agg {
                    match ctx.groups.iter().position(|g| *g == Expr::Column(*i)) {
                        Some(k) => (Expr::Column(k), ctx.group_types[k].clone()),
                        None => {
                            return Err(Error::NoSuchColumn(format!(
                                "column {} must appear in the GROUP BY clause or be used in an aggregate function",
                                scope.columns[*i].name
                            )));
                        }
                    }
                } else {
                    (Expr::Column(*i), scope.columns[*i].data_type.clone())
                }
            }
            _ => return Err(Error::Type("bad select item".into())),
        };
        exprs.push(x);
        types.push(t);
    }
    let having = match &s.having {
        Some(h) => Some(b.bind_condition(h, &scope, &mut agg)?),
        None => None,
    };

    // ORDER BY: output columns by position/alias/equal expression, else extra hidden columns.
    let mut keys = Vec::new();
    let mut hidden = Vec::new();
    for o in order_by {
        let expr = if let Some(k) = output_position(b, &o.expr, &names)? {
            Expr::Column(k)
        } else if let Some(k) = {
            // Matching the select list's syntax compares literal values.
            b.note_text_read(&o.expr);
            items.iter().position(|(e, _, _)| *e == Some(&o.expr))
        } {
            Expr::Column(k)
        } else {
            let (x, t) = b.bind_expr(&o.expr, &scope, &mut agg)?;
            if let Some(k) = exprs.iter().position(|e| b.same_expr(e, &x)) {
                Expr::Column(k)
            } else {
                hidden.push((x, t));
                Expr::Column(exprs.len() + hidden.len() - 1)
            }
        };
        keys.push(sort_key(b, expr, o));
    }

    if let Some(ctx) = agg.take() {
        let mut fields: Vec<Field> = ctx
            .group_types
            .iter()
            .enumerate()
            .map(|(i, t)| Field::new(format!("group{i}"), t.clone(), true))
            .collect();
        fields.extend(
            ctx.calls
                .iter()
                .enumerate()
                .map(|(i, c)| Field::new(format!("agg{i}"), c.data_type.clone(), true)),
        );
        plan = Plan::Aggregate {
            input: Box::new(plan),
            group: ctx.groups,
            aggregates: ctx.calls,
            schema: Arc::new(Schema::new(fields)),
        };
        if let Some(h) = having {
            plan = Plan::Filter {
                input: Box::new(plan),
                predicate: h,
            };
        }
    }

    let distinct = match &s.distinct {
        None => false,
        Some(ast::Distinct::Distinct) => true,
        Some(ast::Distinct::On(_)) => return Err(Error::Unsupported("DISTINCT ON".into())),
    };
    if distinct && !hidden.is_empty() {
        return Err(Error::Type(
            "for SELECT DISTINCT, ORDER BY expressions must appear in select list".into(),
        ));
    }
    let visible = exprs.len();
    let mut all_exprs = exprs;
    let mut all_types = types;
    let mut all_names = names.clone();
    for (i, (x, t)) in hidden.into_iter().enumerate() {
        all_exprs.push(x);
        all_types.push(t);
        all_names.push(format!("__sort{i}"));
    }
    let schema = Arc::new(Schema::new(
        all_names
            .iter()
            .zip(&all_types)
            .map(|(n, t)| Field::new(n, t.clone(), true))
            .collect::<Vec<_>>(),
    ));
    plan = Plan::Project {
        input: Box::new(plan),
        exprs: all_exprs,
        schema,
    };
    if distinct {
        plan = Plan::Distinct {
            input: Box::new(plan),
        };
    }
    if !keys.is_empty() {
        plan = Plan::Sort {
            input: Box::new(plan),
            keys,
            fetch,
        };
    }
    if plan.schema().fields().len() > visible {
        let schema = Arc::new(Schema::new(
            plan.schema().fields()[..visible]
                .iter()
                .map(|f| f.as_ref().clone())
                .collect::<Vec<_>>(),
        ));
        plan = Plan::Project {
            input: Box::new(plan),
            exprs: (0..visible).map(Expr::Column).collect(),
            schema,
        };
    }
    Ok(BoundQuery { plan, names })
}
