//! Column pruning: each scan reads only the columns the plan above it uses.
//!
//! The binder makes every scan produce all of its table's columns. This pass walks the
//! plan from the top, telling each node which of its output columns are used; a scan
//! then drops the others from its projection (so they are neither filtered nor copied),
//! and every expression above is renumbered. A node may keep columns nobody above it asks
//! for (a filter keeps the columns its predicate reads), so each node reports where its
//! old output columns went. The query's own output never changes.
//!
//! Plans with subqueries are left alone: a correlated subquery reads the enclosing row by
//! position, and renumbering those references is not worth the risk.

use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};

use super::{Expr, Plan, SortKey};

/// `plan` with unused columns dropped from its scans; same output schema.
///
/// Filter conjuncts are first pushed below joins ([`super::pushdown::push_predicates`]),
/// so the columns only a pushed condition reads are dropped right after the scan filters.
pub fn prune_columns(plan: Plan) -> Plan {
    let plan = super::pushdown::push_predicates(plan);
    if has_subquery(&plan) {
        return plan;
    }
    let width = plan.schema().fields().len();
    prune(plan, &vec![true; width]).0
}

/// For each old output position: the new position, or `None` if the column was dropped.
type Mapping = Vec<Option<usize>>;

fn identity(width: usize) -> Mapping {
    (0..width).map(Some).collect()
}

/// Marks the input columns `e` reads.
fn mark(e: &Expr, used: &mut [bool]) {
    e.visit(&mut |x| {
        if let Expr::Column(i) = x
            && let Some(u) = used.get_mut(*i)
        {
            *u = true;
        }
    });
}

/// `e` renumbered by `map`. Every column `e` reads was marked used, so it was kept.
fn remap(e: &Expr, map: &Mapping) -> Expr {
    e.map_columns(&|i| {
        map.get(i)
            .copied()
            .flatten()
            .expect("a column an expression reads is marked used, so it is kept")
    })
}

/// A schema of `schema`'s fields at the positions `keep`.
fn narrow(schema: &SchemaRef, keep: &[usize]) -> SchemaRef {
    Arc::new(Schema::new_with_metadata(
        keep.iter()
            .map(|&i| schema.field(i).clone())
            .collect::<Vec<Field>>(),
        schema.metadata().clone(),
    ))
}

/// Positions `0..used.len()` that are used, and the mapping that keeps exactly those.
fn keep_used(used: &[bool]) -> (Vec<usize>, Mapping) {
    let keep: Vec<usize> = (0..used.len()).filter(|&i| used[i]).collect();
    let mut map = vec![None; used.len()];
    for (new, &old) in keep.iter().enumerate() {
        map[old] = Some(new);
    }
    (keep, map)
}

/// Prunes `plan` given which of its output columns are `required`.
fn prune(plan: Plan, required: &[bool]) -> (Plan, Mapping) {
    match plan {
        Plan::Scan {
            table,
            store,
            projection,
            filters,
            indexed,
            schema,
        } => {
            let mut used = required.to_vec();
            for f in &filters {
                mark(f, &mut used);
            }
            let (keep, map) = keep_used(&used);
            let schema = if keep.len() == projection.len() {
                schema
            } else {
                narrow(&schema, &keep)
            };
            let plan = Plan::Scan {
                table,
                store,
                projection: keep.iter().map(|&i| projection[i]).collect(),
                filters: filters.iter().map(|f| remap(f, &map)).collect(),
                indexed: indexed.iter().filter_map(|&i| map[i]).collect(),
                schema,
            };
            (plan, map)
        }
        Plan::Filter { input, predicate } => {
            let mut used = required.to_vec();
            mark(&predicate, &mut used);
            let (input, map) = prune(*input, &used);
            let predicate = remap(&predicate, &map);
            (
                Plan::Filter {
                    input: Box::new(input),
                    predicate,
                },
                map,
            )
        }
        Plan::Project {
            input,
            exprs,
            schema,
        } => {
            let (keep, map) = keep_used(required);
            let mut used = vec![false; input.schema().fields().len()];
            for &i in &keep {
                mark(&exprs[i], &mut used);
            }
            let (input, input_map) = prune(*input, &used);
            let exprs = keep.iter().map(|&i| remap(&exprs[i], &input_map)).collect();
            let schema = if keep.len() == schema.fields().len() {
                schema
            } else {
                narrow(&schema, &keep)
            };
            (
                Plan::Project {
                    input: Box::new(input),
                    exprs,
                    schema,
                },
                map,
            )
        }
        Plan::Aggregate {
            input,
            group,
            mut aggregates,
            schema,
        } => {
            let mut used = vec![false; input.schema().fields().len()];
            for g in &group {
                mark(g, &mut used);
            }
            for a in &aggregates {
                for e in &a.args {
                    mark(e, &mut used);
                }
            }
            let (input, map) = prune(*input, &used);
            let group = group.iter().map(|g| remap(g, &map)).collect();
            for a in &mut aggregates {
                a.args = a.args.iter().map(|e| remap(e, &map)).collect();
            }
            let width = schema.fields().len();
            (
                Plan::Aggregate {
                    input: Box::new(input),
                    group,
                    aggregates,
                    schema,
                },
                identity(width),
            )
        }
        Plan::Join {
            left,
            right,
            kind,
            on,
            filter,
            schema,
        } => {
            let left_width = left.schema().fields().len();
            let mut used_left = required[..left_width].to_vec();
            let mut used_right = required[left_width..].to_vec();
            for (l, r) in &on {
                mark(l, &mut used_left);
                mark(r, &mut used_right);
            }
            if let Some(f) = &filter {
                let mut both = vec![false; schema.fields().len()];
                mark(f, &mut both);
                for (i, u) in both.into_iter().enumerate() {
                    if u && i < left_width {
                        used_left[i] = true;
                    } else if u {
                        used_right[i - left_width] = true;
                    }
                }
            }
            let (left, left_map) = prune(*left, &used_left);
            let (right, right_map) = prune(*right, &used_right);
            let new_left_width = left.schema().fields().len();
            let map: Mapping = left_map
                .iter()
                .copied()
                .chain(right_map.iter().map(|m| m.map(|j| j + new_left_width)))
                .collect();
            let on = on
                .iter()
                .map(|(l, r)| (remap(l, &left_map), remap(r, &right_map)))
                .collect();
            let filter = filter.map(|f| remap(&f, &map));
            // Every kept column is an old one; take its field (and nullability) from the
            // join's schema.
            let mut keep: Vec<(usize, usize)> = map
                .iter()
                .enumerate()
                .filter_map(|(old, new)| new.map(|n| (n, old)))
                .collect();
            keep.sort_unstable();
            let keep: Vec<usize> = keep.into_iter().map(|(_, old)| old).collect();
            let schema = narrow(&schema, &keep);
            (
                Plan::Join {
                    left: Box::new(left),
                    right: Box::new(right),
                    kind,
                    on,
                    filter,
                    schema,
                },
                map,
            )
        }
        Plan::Sort { input, keys, fetch } => {
            let mut used = required.to_vec();
            for k in &keys {
                mark(&k.expr, &mut used);
            }
            let (input, map) = prune(*input, &used);
            let keys = keys
                .iter()
                .map(|k| SortKey {
                    expr: remap(&k.expr, &map),
                    descending: k.descending,
                    nulls_first: k.nulls_first,
                })
                .collect();
            (
                Plan::Sort {
                    input: Box::new(input),
                    keys,
                    fetch,
                },
                map,
            )
        }
        Plan::Limit {
            input,
            limit,
            offset,
        } => {
            let (input, map) = prune(*input, required);
            (
                Plan::Limit {
                    input: Box::new(input),
                    limit,
                    offset,
                },
                map,
            )
        }
        // Duplicates are judged on every column: all of them stay.
        Plan::Distinct { input } => {
            let width = input.schema().fields().len();
            let (input, _) = prune(*input, &vec![true; width]);
            (
                Plan::Distinct {
                    input: Box::new(input),
                },
                identity(width),
            )
        }
        Plan::SetOp {
            left,
            right,
            kind,
            all,
            schema,
        } => {
            let width = schema.fields().len();
            let (left, _) = prune(*left, &vec![true; width]);
            let (right, _) = prune(*right, &vec![true; width]);
            (
                Plan::SetOp {
                    left: Box::new(left),
                    right: Box::new(right),
                    kind,
                    all,
                    schema,
                },
                identity(width),
            )
        }
        other @ (Plan::Range { .. } | Plan::Values { .. }) => {
            let width = other.schema().fields().len();
            (other, identity(width))
        }
    }
}

/// True if any expression of the plan holds a subquery.
fn has_subquery(plan: &Plan) -> bool {
    let mut found = false;
    let mut check = |e: &Expr| {
        e.visit(&mut |x| {
            if matches!(
                x,
                Expr::ScalarSubquery(_)
                    | Expr::Exists(..)
                    | Expr::InSubquery(..)
                    | Expr::Outer { .. }
            ) {
                found = true;
            }
        });
    };
    visit_exprs(plan, &mut check);
    found
}

/// Calls `f` on every expression of every node of `plan`.
fn visit_exprs(plan: &Plan, f: &mut dyn FnMut(&Expr)) {
    match plan {
        Plan::Scan { filters, .. } => filters.iter().for_each(&mut *f),
        Plan::Range { .. } => {}
        Plan::Values { rows, .. } => rows.iter().flatten().for_each(&mut *f),
        Plan::Filter { input, predicate } => {
            f(predicate);
            visit_exprs(input, f);
        }
        Plan::Project { input, exprs, .. } => {
            exprs.iter().for_each(&mut *f);
            visit_exprs(input, f);
        }
        Plan::Aggregate {
            input,
            group,
            aggregates,
            ..
        } => {
            group.iter().for_each(&mut *f);
            aggregates.iter().flat_map(|a| &a.args).for_each(&mut *f);
            visit_exprs(input, f);
        }
        Plan::Join {
            left,
            right,
            on,
            filter,
            ..
        } => {
            for (l, r) in on {
                f(l);
                f(r);
            }
            if let Some(x) = filter {
                f(x);
            }
            visit_exprs(left, f);
            visit_exprs(right, f);
        }
        Plan::Sort { input, keys, .. } => {
            keys.iter().for_each(|k| f(&k.expr));
            visit_exprs(input, f);
        }
        Plan::Limit { input, .. } | Plan::Distinct { input } => visit_exprs(input, f),
        Plan::SetOp { left, right, .. } => {
            visit_exprs(left, f);
            visit_exprs(right, f);
        }
    }
}
