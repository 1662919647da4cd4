//! Predicate pushdown: `WHERE` conjuncts move below joins, toward the scans.
//!
//! The binder already places single-table conjuncts of a `FROM a, b` list on their
//! tables, but an explicit `JOIN` is one relation to it, so `WHERE d.flag = 1` over
//! `t JOIN d` stays a filter above the join and the join builds every pair first. This
//! pass splits each filter into its conjuncts and moves those that read one side of a
//! join into that side, recursively through nested joins, down to a scan's own `filters`
//! (where index probes and statistics pruning see them) or to a filter node on that side.
//!
//! Rules:
//! - Inner join: a conjunct over one side goes to that side; one over both sides joins the
//!   join's condition (an equality between the sides becomes a hash key, so
//!   `a CROSS JOIN b WHERE a.x = b.y` is a hash join). One-sided conjuncts of the join's
//!   own `ON` condition move the same way.
//! - Left join: a `WHERE` conjunct over the left (preserved) side only goes left; a
//!   conjunct of the `ON` condition over the right side only goes right. Anything else
//!   stays where it is.
//! - Filters pass through filters, through projections (column references are replaced
//!   by the projected expressions) and through sorts without a row limit. They stop at
//!   aggregates, limits, `DISTINCT`, set operations and `VALUES`.
//!
//! A moved conjunct runs on rows the original plan would never have shown it (rows a join
//! would have dropped), so only conjuncts that cannot fail and always give the same answer
//! for the same row move: see [`movable`]. Subqueries, outer references, arithmetic (it can
//! overflow or divide by zero), `random()` and casts that can fail all stay put.

use arrow::datatypes::{DataType, SchemaRef};

use super::{BinaryOp, Expr, JoinKind, Plan, ScalarFunc};

/// `plan` with filter conjuncts moved as far down as they safely go; same output.
pub fn push_predicates(plan: Plan) -> Plan {
    push(plan)
}

/// `plan` with the filters inside it pushed down.
fn push(plan: Plan) -> Plan {
    let (plan, rest) = sink(plan, Vec::new());
    debug_assert!(rest.is_empty(), "no conjuncts were given");
    plan
}

/// `plan` under a filter of `conjuncts` (none: `plan` itself).
fn filtered(plan: Plan, conjuncts: Vec<Expr>) -> Plan {
    match Expr::conjoin(conjuncts) {
        Some(predicate) => Plan::Filter {
            input: Box::new(plan),
            predicate,
        },
        None => plan,
    }
}

/// Places `conjuncts` (movable ones, over `plan`'s output) as deep in `plan` as they go,
/// and pushes the filters inside `plan` down too. Returns the new plan and the conjuncts
/// that could not enter it: the caller applies those right above it.
fn sink(plan: Plan, mut conjuncts: Vec<Expr>) -> (Plan, Vec<Expr>) {
    match plan {
        Plan::Filter { input, predicate } => {
            let schema = input.schema();
            let mut own = Vec::new();
            predicate.split_conjuncts(&mut own);
            let (down, mut stay): (Vec<Expr>, Vec<Expr>) =
                own.into_iter().partition(|c| movable(c, &schema));
            // Conjuncts from above are movable, so they may run before this filter's own.
            conjuncts.extend(down);
            let (input, mut rest) = sink(*input, conjuncts);
            // What could not move forms one filter with what must not, evaluated on the
            // same rows as before.
            rest.append(&mut stay);
            (filtered(input, rest), Vec::new())
        }
        Plan::Scan {
            table,
            store,
            projection,
            mut filters,
            indexed,
            schema,
        } => {
            filters.extend(conjuncts);
            let scan = Plan::Scan {
                table,
                store,
                projection,
                filters,
                indexed,
                schema,
            };
            (scan, Vec::new())
        }
        Plan::Join {
            left,
            right,
            kind,
            on,
            filter,
            schema,
        } => sink_join(*left, *right, kind, on, filter, schema, conjuncts),
        Plan::Project {
            input,
            exprs,
            schema,
        } => {
            let input_schema = input.schema();
            let mut down = Vec::new();
            let mut stay = Vec::new();
            for c in conjuncts {
                let inlined = c.replace_columns(&|i| exprs[i].clone());
                if movable(&inlined, &input_schema) {
                    down.push(inlined);
                } else {
                    stay.push(c);
                }
            }
            let (input, rest) = sink(*input, down);
            let plan = Plan::Project {
                input: Box::new(filtered(input, rest)),
                exprs,
                schema,
            };
            (plan, stay)
        }
        // Filtering before sorting keeps the same rows in the same order; with a row
        // limit the sort would see other rows.
        Plan::Sort {
            input,
            keys,
            fetch: None,
        } => {
            let (input, rest) = sink(*input, conjuncts);
            let plan = Plan::Sort {
                input: Box::new(filtered(input, rest)),
                keys,
                fetch: None,
            };
            (plan, Vec::new())
        }
        Plan::Sort { input, keys, fetch } => {
            let plan = Plan::Sort {
                input: Box::new(push(*input)),
                keys,
                fetch,
            };
            (plan, conjuncts)
        }
        Plan::Limit {
            input,
            limit,
            offset,
        } => {
            let plan = Plan::Limit {
                input: Box::new(push(*input)),
                limit,
                offset,
            };
            (plan, conjuncts)
        }
        Plan::Distinct { input } => {
            let plan = Plan::Distinct {
                input: Box::new(push(*input)),
            };
            (plan, conjuncts)
        }
        Plan::Aggregate {
            input,
            group,
            aggregates,
            schema,
        } => {
            let plan = Plan::Aggregate {
                input: Box::new(push(*input)),
                group,
                aggregates,
                schema,
            };
            (plan, conjuncts)
        }
        Plan::SetOp {
            left,
            right,
            kind,
            all,
            schema,
        } => {
            let plan = Plan::SetOp {
                left: Box::new(push(*left)),
                right: Box::new(push(*right)),
                kind,
                all,
                schema,
            };
            (plan, conjuncts)
        }
        other @ (Plan::Range { .. } | Plan::Values { .. }) => (other, conjuncts),
    }
}

/// Which inputs of a join a conjunct reads.
enum Side {
    /// No column at all (a constant condition).
    Neither,
    /// Left columns only.
    Left,
    /// Right columns only.
    Right,
    /// Columns of both.
    Both,
}

fn side(e: &Expr, left_width: usize) -> Side {
    let cols = e.columns();
    match (cols.first(), cols.last()) {
        (None, _) | (_, None) => Side::Neither,
        (Some(_), Some(&last)) if last < left_width => Side::Left,
        (Some(&first), Some(_)) if first >= left_width => Side::Right,
        _ => Side::Both,
    }
}

/// Sinks into a join: `conjuncts` come from a filter above it (movable, over the join's
/// output); the join's own `filter` holds its `ON` condition's remaining conjuncts.
fn sink_join(
    left: Plan,
    right: Plan,
    kind: JoinKind,
    mut on: Vec<(Expr, Expr)>,
    filter: Option<Expr>,
    schema: SchemaRef,
    conjuncts: Vec<Expr>,
) -> (Plan, Vec<Expr>) {
    let left_width = left.schema().fields().len();
    let shift = |e: &Expr| e.map_columns(&|i| i - left_width);
    let mut to_left = Vec::new();
    let mut to_right = Vec::new();
    // Conjuncts kept in the join's condition, and above the join.
    let mut join_filter = Vec::new();
    let mut above = Vec::new();

    let mut own = Vec::new();
    if let Some(f) = filter {
        f.split_conjuncts(&mut own);
    }
    for c in own {
        if !movable(&c, &schema) {
            join_filter.push(c);
            continue;
        }
        match (kind, side(&c, left_width)) {
            (JoinKind::Inner, Side::Left) => to_left.push(c),
            (_, Side::Right) => to_right.push(shift(&c)),
            // A constant `ON` condition of a left join decides which right rows match.
            (JoinKind::Left, Side::Neither) => to_right.push(c),
            _ => join_filter.push(c),
        }
    }
    for c in conjuncts {
        match (kind, side(&c, left_width)) {
            (_, Side::Left | Side::Neither) => to_left.push(c),
            (JoinKind::Inner, Side::Right) => to_right.push(shift(&c)),
            (JoinKind::Inner, Side::Both) => match hash_key(&c, left_width, &schema) {
                Some((l, r)) => on.push((l, shift(&r))),
                None => join_filter.push(c),
            },
            (JoinKind::Left, _) => above.push(c),
        }
    }
    let (left, left_rest) = sink(left, to_left);
    let (right, right_rest) = sink(right, to_right);
    let join = Plan::Join {
        left: Box::new(filtered(left, left_rest)),
        right: Box::new(filtered(right, right_rest)),
        kind,
        on,
        filter: Expr::conjoin(join_filter),
        schema,
    };
    (join, above)
}

/// If `c` is `l = r` with `l` over the left side and `r` over the right (or swapped) and
/// both of one type, the pair (left expression, right expression over the join's row).
fn hash_key(c: &Expr, left_width: usize, schema: &SchemaRef) -> Option<(Expr, Expr)> {
    let Expr::Binary(BinaryOp::Eq, a, b) = c else {
        return None;
    };
    let (ta, tb) = (type_of(a, schema)?, type_of(b, schema)?);
    if ta != tb {
        return None;
    }
    match (side(a, left_width), side(b, left_width)) {
        (Side::Left, Side::Right) => Some(((**a).clone(), (**b).clone())),
        (Side::Right, Side::Left) => Some(((**b).clone(), (**a).clone())),
        _ => None,
    }
}

/// True if `e` (over rows of `schema`) may run on rows the original plan would not have
/// evaluated it on: it cannot fail, reads no subquery or outer row, and is deterministic.
/// Built from columns, literals, comparisons of like types, `AND`/`OR`/`NOT`,
/// `IS [NOT] NULL`, `IN` lists, `LIKE` with a constant pattern, casts that always
/// succeed, and a few text functions.
pub(crate) fn movable(e: &Expr, schema: &SchemaRef) -> bool {
    let ok = |x: &Expr| movable(x, schema);
    let ty = |x: &Expr| type_of(x, schema);
    match e {
        Expr::Column(i) => *i < schema.fields().len(),
        Expr::Literal(_) | Expr::Param { .. } => true,
        Expr::Binary(op, a, b) => match op {
            BinaryOp::And | BinaryOp::Or => ok(a) && ok(b),
            _ if op.is_comparison()
                || matches!(op, BinaryOp::IsDistinct | BinaryOp::IsNotDistinct) =>
            {
                ok(a) && ok(b) && comparable(ty(a), ty(b))
            }
            _ => false,
        },
        Expr::Not(a) | Expr::IsNull(a) | Expr::IsNotNull(a) => ok(a),
        Expr::Truthy(a) => {
            ok(a)
                && ty(a).is_some_and(|t| {
                    t.is_numeric() || matches!(t, DataType::Boolean | DataType::Null)
                })
        }
        Expr::Cast(a, to) => ok(a) && ty(a).is_some_and(|from| cast_cannot_fail(&from, to)),
        Expr::InList { expr, list, .. } => {
            ok(expr) && list.iter().all(|x| ok(x) && comparable(ty(expr), ty(x)))
        }
        Expr::Like { expr, pattern, .. } => {
            ok(expr)
                && matches!(ty(expr), Some(DataType::Utf8 | DataType::Null))
                && match &**pattern {
                    Expr::Literal(v) => v.data_type() == DataType::Utf8,
                    Expr::Param { data_type, .. } => *data_type == DataType::Utf8,
                    _ => false,
                }
        }
        Expr::Func(
            ScalarFunc::Upper
            | ScalarFunc::Lower
            | ScalarFunc::Length
            | ScalarFunc::Trim
            | ScalarFunc::LTrim
            | ScalarFunc::RTrim,
            args,
        ) => args
            .iter()
            .all(|x| ok(x) && matches!(ty(x), Some(DataType::Utf8 | DataType::Null))),
        // Arithmetic can overflow or divide by zero, functions like `abs` can overflow,
        // `random()` differs per call, `CASE` may cast its branches, and subqueries and
        // outer references read beyond the row.
        Expr::Negative(_)
        | Expr::Case { .. }
        | Expr::Func(..)
        | Expr::Outer { .. }
        | Expr::ScalarSubquery(_)
        | Expr::Exists(..)
        | Expr::InSubquery(..) => false,
    }
}

/// True if values of types `a` and `b` compare without a cast that could fail: one type,
/// a NULL, or two numbers (compared as reals).
fn comparable(a: Option<DataType>, b: Option<DataType>) -> bool {
    let number = |t: &DataType| t.is_integer() || t.is_floating();
    match (a, b) {
        (Some(a), Some(b)) => {
            a == b || a == DataType::Null || b == DataType::Null || (number(&a) && number(&b))
        }
        _ => false,
    }
}

/// True if every value of type `from` converts to `to`: widening integers, integers and
/// smaller reals to reals, and numbers, booleans and dates to text.
fn cast_cannot_fail(from: &DataType, to: &DataType) -> bool {
    use DataType::*;
    let signed_width = |t: &DataType| match t {
        Int8 => Some(8),
        Int16 => Some(16),
        Int32 => Some(32),
        Int64 => Some(64),
        _ => None,
    };
    if from == to || *from == Null {
        return true;
    }
    match to {
        Int16 | Int32 | Int64 => {
            matches!((signed_width(from), signed_width(to)), (Some(f), Some(t)) if f <= t)
                || *from == Boolean
        }
        Float64 => from.is_integer() || *from == Float32 || *from == Boolean,
        Utf8 => from.is_integer() || from.is_floating() || matches!(from, Boolean | Date32),
        _ => false,
    }
}

/// The type of `e` over rows of `schema`, where it is known without evaluating.
fn type_of(e: &Expr, schema: &SchemaRef) -> Option<DataType> {
    match e {
        Expr::Column(i) => schema.fields().get(*i).map(|f| f.data_type().clone()),
        Expr::Literal(v) => Some(v.data_type()),
        Expr::Param { data_type, .. } => Some(data_type.clone()),
        Expr::Cast(_, t) => Some(t.clone()),
        Expr::Binary(op, ..)
            if op.is_comparison()
                || matches!(
                    op,
                    BinaryOp::And | BinaryOp::Or | BinaryOp::IsDistinct | BinaryOp::IsNotDistinct
                ) =>
        {
            Some(DataType::Boolean)
        }
        Expr::Not(_)
        | Expr::IsNull(_)
        | Expr::IsNotNull(_)
        | Expr::Truthy(_)
        | Expr::InList { .. }
        | Expr::Like { .. } => Some(DataType::Boolean),
        Expr::Func(
            ScalarFunc::Upper
            | ScalarFunc::Lower
            | ScalarFunc::Trim
            | ScalarFunc::LTrim
            | ScalarFunc::RTrim,
            _,
        ) => Some(DataType::Utf8),
        Expr::Func(ScalarFunc::Length, _) => Some(DataType::Int64),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::datatypes::{Field, Schema};
    use llkv_traits::ScalarValue;

    use super::*;

    fn values(fields: &[(&str, DataType)]) -> Plan {
        let schema = Schema::new(
            fields
                .iter()
                .map(|(n, t)| Field::new(*n, t.clone(), true))
                .collect::<Vec<_>>(),
        );
        Plan::Values {
            rows: Vec::new(),
            schema: Arc::new(schema),
        }
    }

    /// `Filter(predicate)` over a join of (a Int64, b Utf8) with (c Int64).
    fn filter_over_join(kind: JoinKind, predicate: Expr) -> Plan {
        let left = values(&[("a", DataType::Int64), ("b", DataType::Utf8)]);
        let right = values(&[("c", DataType::Int64)]);
        let fields: Vec<Field> = left
            .schema()
            .fields()
            .iter()
            .chain(right.schema().fields())
            .map(|f| f.as_ref().clone())
            .collect();
        Plan::Filter {
            input: Box::new(Plan::Join {
                left: Box::new(left),
                right: Box::new(right),
                kind,
                on: Vec::new(),
                filter: None,
                schema: Arc::new(Schema::new(fields)),
            }),
            predicate,
        }
    }

    fn col(i: usize) -> Expr {
        Expr::Column(i)
    }

    fn int(v: i64) -> Expr {
        Expr::Literal(ScalarValue::Int64(Some(v)))
    }

    fn bin(op: BinaryOp, a: Expr, b: Expr) -> Expr {
        Expr::Binary(op, Box::new(a), Box::new(b))
    }

    fn and_all(conjuncts: Vec<Expr>) -> Expr {
        Expr::conjoin(conjuncts).expect("conjuncts")
    }

    /// The predicate of a filter node (or `None` if `plan` is not one).
    fn filter_predicate(plan: &Plan) -> Option<&Expr> {
        match plan {
            Plan::Filter { predicate, .. } => Some(predicate),
            _ => None,
        }
    }

    #[test]
    fn inner_join_takes_one_sided_conditions_and_keys() {
        let sum = bin(BinaryOp::Add, col(0), col(2));
        let plan = filter_over_join(
            JoinKind::Inner,
            and_all(vec![
                bin(BinaryOp::Eq, col(0), int(1)),
                bin(BinaryOp::Gt, col(2), int(2)),
                bin(BinaryOp::Eq, col(2), col(0)),
                bin(BinaryOp::Lt, col(0), col(2)),
                bin(BinaryOp::Eq, sum.clone(), int(3)),
            ]),
        );
        let Plan::Filter { input, predicate } = push_predicates(plan) else {
            panic!("the arithmetic condition stays above");
        };
        assert_eq!(predicate, bin(BinaryOp::Eq, sum, int(3)));
        let Plan::Join {
            left,
            right,
            on,
            filter,
            ..
        } = *input
        else {
            panic!("a join below");
        };
        assert_eq!(
            filter_predicate(&left),
            Some(&bin(BinaryOp::Eq, col(0), int(1)))
        );
        assert_eq!(
            filter_predicate(&right),
            Some(&bin(BinaryOp::Gt, col(0), int(2)))
        );
        assert_eq!(on, vec![(col(0), col(0))]);
        assert_eq!(filter, Some(bin(BinaryOp::Lt, col(0), col(2))));
    }

    #[test]
    fn left_join_takes_only_preserved_side_conditions() {
        let plan = filter_over_join(
            JoinKind::Left,
            and_all(vec![
                bin(BinaryOp::Eq, col(0), int(1)),
                Expr::IsNull(Box::new(col(2))),
            ]),
        );
        let Plan::Filter { input, predicate } = push_predicates(plan) else {
            panic!("the right-side condition stays above");
        };
        assert_eq!(predicate, Expr::IsNull(Box::new(col(2))));
        let Plan::Join { left, right, .. } = *input else {
            panic!("a join below");
        };
        assert_eq!(
            filter_predicate(&left),
            Some(&bin(BinaryOp::Eq, col(0), int(1)))
        );
        assert!(filter_predicate(&right).is_none());
    }

    #[test]
    fn failing_and_random_conditions_stay() {
        let cast = Expr::Cast(Box::new(col(1)), DataType::Int64);
        let random = bin(
            BinaryOp::Lt,
            Expr::Func(ScalarFunc::Random, Vec::new()),
            col(2),
        );
        let outer = bin(
            BinaryOp::Eq,
            col(0),
            Expr::Outer {
                levels: 1,
                index: 0,
                data_type: DataType::Int64,
            },
        );
        for c in [bin(BinaryOp::Eq, cast, int(1)), random, outer] {
            let plan = filter_over_join(JoinKind::Inner, c.clone());
            let pushed = push_predicates(plan);
            assert_eq!(filter_predicate(&pushed), Some(&c));
            let Plan::Filter { input, .. } = pushed else {
                unreachable!()
            };
            assert!(matches!(*input, Plan::Join { filter: None, .. }));
        }
    }

    #[test]
    fn safe_casts_and_text_conditions_move() {
        let widen = Expr::Cast(Box::new(col(0)), DataType::Float64);
        let like = Expr::Like {
            expr: Box::new(Expr::Func(ScalarFunc::Lower, vec![col(1)])),
            pattern: Box::new(Expr::Literal(ScalarValue::Utf8(Some("x%".into())))),
            negated: false,
            case_insensitive: false,
        };
        let c = and_all(vec![
            bin(
                BinaryOp::Gt,
                widen,
                Expr::Literal(ScalarValue::Float64(Some(1.5))),
            ),
            like,
        ]);
        let pushed = push_predicates(filter_over_join(JoinKind::Inner, c.clone()));
        let Plan::Join { left, .. } = pushed else {
            panic!("nothing stays above");
        };
        assert_eq!(filter_predicate(&left), Some(&c));
    }
}
