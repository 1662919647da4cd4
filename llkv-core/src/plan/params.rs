//! Statement parameters in plans: finding them, and putting values in their place.
//!
//! A plan bound once for a statement shape ([`Expr::Param`] where the literals were) runs
//! as is: the executor reads each parameter's value from its context
//! ([`crate::exec::ExecCtx::with_params`]), so a kept plan is not copied per execution.
//! Putting values in a copy ([`Expr::with_params`], [`Plan::with_params`]) is for the
//! binder, which folds constant expressions with their values.

use std::borrow::Cow;
use std::sync::Arc;

use arrow::datatypes::DataType;
use llkv_traits::ScalarValue;

use super::{AggregateCall, Expr, Plan, SortKey, Subquery};
use crate::error::{Error, Result};

/// The value of parameter `index` among `values`, for a parameter bound as `data_type`: a
/// NULL takes that type; a value of another type, or a missing one, is an error.
pub fn param_value<'v>(
    values: &'v [ScalarValue],
    index: usize,
    data_type: &DataType,
) -> Result<Cow<'v, ScalarValue>> {
    let v = values
        .get(index)
        .ok_or_else(|| Error::Execution(format!("no value for parameter {}", index + 1)))?;
    if v.data_type() == *data_type {
        Ok(Cow::Borrowed(v))
    } else if v.is_null() {
        Ok(Cow::Owned(
            ScalarValue::null_of(data_type).unwrap_or(ScalarValue::Null),
        ))
    } else {
        Err(Error::Type(format!(
            "parameter {} was bound as {data_type}, got a value of type {}",
            index + 1,
            v.data_type()
        )))
    }
}

impl Expr {
    /// True if this expression (or a subquery in it) has a [`Expr::Param`].
    pub fn has_params(&self) -> bool {
        let mut found = false;
        self.visit(&mut |e| match e {
            Expr::Param { .. } => found = true,
            Expr::ScalarSubquery(q) | Expr::Exists(q, _) | Expr::InSubquery(_, q, _) => {
                found |= q.plan.has_params();
            }
            _ => {}
        });
        found
    }

    /// A copy with each parameter replaced by its value in `params`. A value must have
    /// the parameter's type (a NULL takes it).
    pub fn with_params(&self, params: &[ScalarValue]) -> Result<Expr> {
        let m = |e: &Expr| e.with_params(params).map(Box::new);
        let all = |v: &[Expr]| {
            v.iter()
                .map(|e| e.with_params(params))
                .collect::<Result<Vec<_>>>()
        };
        Ok(match self {
            Expr::Param { index, data_type } => {
                Expr::Literal(param_value(params, *index, data_type)?.into_owned())
            }
            Expr::Column(_) | Expr::Outer { .. } | Expr::Literal(_) => self.clone(),
            Expr::Binary(op, a, b) => Expr::Binary(*op, m(a)?, m(b)?),
            Expr::Not(a) => Expr::Not(m(a)?),
            Expr::Negative(a) => Expr::Negative(m(a)?),
            Expr::IsNull(a) => Expr::IsNull(m(a)?),
            Expr::IsNotNull(a) => Expr::IsNotNull(m(a)?),
            Expr::Truthy(a) => Expr::Truthy(m(a)?),
            Expr::Cast(a, t) => Expr::Cast(m(a)?, t.clone()),
            Expr::Case {
                operand,
                whens,
                else_expr,
            } => Expr::Case {
                operand: operand.as_deref().map(m).transpose()?,
                whens: whens
                    .iter()
                    .map(|(w, t)| Ok((w.with_params(params)?, t.with_params(params)?)))
                    .collect::<Result<_>>()?,
                else_expr: else_expr.as_deref().map(m).transpose()?,
            },
            Expr::InList {
                expr,
                list,
                negated,
            } => Expr::InList {
                expr: m(expr)?,
                list: all(list)?,
                negated: *negated,
            },
            Expr::Like {
                expr,
                pattern,
                negated,
                case_insensitive,
            } => Expr::Like {
                expr: m(expr)?,
                pattern: m(pattern)?,
                negated: *negated,
                case_insensitive: *case_insensitive,
            },
            Expr::Func(f, args) => Expr::Func(*f, all(args)?),
            Expr::ScalarSubquery(q) => Expr::ScalarSubquery(q.with_params(params)?),
            Expr::Exists(q, negated) => Expr::Exists(q.with_params(params)?, *negated),
            Expr::InSubquery(e, q, negated) => {
                Expr::InSubquery(m(e)?, q.with_params(params)?, *negated)
            }
        })
    }
}

impl Subquery {
    /// The subquery itself if it has no parameters, else a copy with their values.
    fn with_params(self: &Arc<Self>, params: &[ScalarValue]) -> Result<Arc<Subquery>> {
        if !self.plan.has_params() {
            return Ok(self.clone());
        }
        Ok(Arc::new(Subquery {
            plan: self.plan.with_params(params)?,
            correlated: self.correlated,
        }))
    }
}

fn exprs_with(v: &[Expr], params: &[ScalarValue]) -> Result<Vec<Expr>> {
    v.iter().map(|e| e.with_params(params)).collect()
}

impl Plan {
    /// True if an expression of this plan (or of a subquery in it) has a parameter.
    pub fn has_params(&self) -> bool {
        let any = |v: &[Expr]| v.iter().any(Expr::has_params);
        match self {
            Plan::Scan { filters, .. } => any(filters),
            Plan::Range { .. } => false,
            Plan::Values { rows, .. } => rows.iter().any(|r| any(r)),
            Plan::Filter { input, predicate } => predicate.has_params() || input.has_params(),
            Plan::Project { input, exprs, .. } => any(exprs) || input.has_params(),
            Plan::Aggregate {
                input,
                group,
                aggregates,
                ..
            } => any(group) || aggregates.iter().any(|a| any(&a.args)) || input.has_params(),
            Plan::Join {
                left,
                right,
                on,
                filter,
                ..
            } => {
                on.iter().any(|(a, b)| a.has_params() || b.has_params())
                    || filter.as_ref().is_some_and(Expr::has_params)
                    || left.has_params()
                    || right.has_params()
            }
            Plan::Sort { input, keys, .. } => {
                keys.iter().any(|k| k.expr.has_params()) || input.has_params()
            }
            Plan::Limit { input, .. } | Plan::Distinct { input } => input.has_params(),
            Plan::SetOp { left, right, .. } => left.has_params() || right.has_params(),
        }
    }

    /// A copy of the plan with each parameter replaced by its value in `params`
    /// ([`Expr::with_params`]).
    pub fn with_params(&self, params: &[ScalarValue]) -> Result<Plan> {
        let boxed = |p: &Plan| p.with_params(params).map(Box::new);
        Ok(match self {
            Plan::Scan {
                table,
                store,
                projection,
                filters,
                indexed,
                schema,
            } => Plan::Scan {
                table: table.clone(),
                store: store.clone(),
                projection: projection.clone(),
                filters: exprs_with(filters, params)?,
                indexed: indexed.clone(),
                schema: schema.clone(),
            },
            Plan::Range {
                start,
                end,
                step,
                inclusive,
                schema,
            } => Plan::Range {
                start: *start,
                end: *end,
                step: *step,
                inclusive: *inclusive,
                schema: schema.clone(),
            },
            Plan::Values { rows, schema } => Plan::Values {
                rows: rows
                    .iter()
                    .map(|r| exprs_with(r, params))
                    .collect::<Result<_>>()?,
                schema: schema.clone(),
            },
            Plan::Filter { input, predicate } => Plan::Filter {
                input: boxed(input)?,
                predicate: predicate.with_params(params)?,
            },
            Plan::Project {
                input,
                exprs,
                schema,
            } => Plan::Project {
                input: boxed(input)?,
                exprs: exprs_with(exprs, params)?,
                schema: schema.clone(),
            },
            Plan::Aggregate {
                input,
                group,
                aggregates,
                schema,
            } => Plan::Aggregate {
                input: boxed(input)?,
                group: exprs_with(group, params)?,
                aggregates: aggregates
                    .iter()
                    .map(|a| {
                        Ok(AggregateCall {
                            args: exprs_with(&a.args, params)?,
                            ..a.clone()
                        })
                    })
                    .collect::<Result<_>>()?,
                schema: schema.clone(),
            },
            Plan::Join {
                left,
                right,
                kind,
                on,
                filter,
                schema,
            } => Plan::Join {
                left: boxed(left)?,
                right: boxed(right)?,
                kind: *kind,
                on: on
                    .iter()
                    .map(|(a, b)| Ok((a.with_params(params)?, b.with_params(params)?)))
                    .collect::<Result<_>>()?,
                filter: filter.as_ref().map(|f| f.with_params(params)).transpose()?,
                schema: schema.clone(),
            },
            Plan::Sort { input, keys, fetch } => Plan::Sort {
                input: boxed(input)?,
                keys: keys
                    .iter()
                    .map(|k| {
                        Ok(SortKey {
                            expr: k.expr.with_params(params)?,
                            ..k.clone()
                        })
                    })
                    .collect::<Result<_>>()?,
                fetch: *fetch,
            },
            Plan::Limit {
                input,
                limit,
                offset,
            } => Plan::Limit {
                input: boxed(input)?,
                limit: *limit,
                offset: *offset,
            },
            Plan::Distinct { input } => Plan::Distinct {
                input: boxed(input)?,
            },
            Plan::SetOp {
                left,
                right,
                kind,
                all,
                schema,
            } => Plan::SetOp {
                left: boxed(left)?,
                right: boxed(right)?,
                kind: *kind,
                all: *all,
                schema: schema.clone(),
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::DataType;

    use super::*;
    use crate::plan::BinaryOp;

    fn param(index: usize, data_type: DataType) -> Expr {
        Expr::Param { index, data_type }
    }

    #[test]
    fn params_become_literals() {
        let e = Expr::Binary(
            BinaryOp::Eq,
            Box::new(Expr::Column(0)),
            Box::new(param(1, DataType::Int64)),
        );
        assert!(e.has_params());
        let v = [
            ScalarValue::Utf8(Some("x".into())),
            ScalarValue::Int64(Some(7)),
        ];
        let bound = e.with_params(&v).expect("bound");
        assert!(!bound.has_params());
        assert_eq!(
            bound,
            Expr::Binary(
                BinaryOp::Eq,
                Box::new(Expr::Column(0)),
                Box::new(Expr::Literal(ScalarValue::Int64(Some(7)))),
            )
        );
    }

    #[test]
    fn a_value_of_another_type_is_refused_and_null_takes_the_type() {
        let e = param(0, DataType::Int64);
        let err = e
            .with_params(&[ScalarValue::Utf8(Some("a".into()))])
            .expect_err("type mismatch");
        assert!(err.to_string().contains("parameter 1"), "{err}");
        assert_eq!(
            e.with_params(&[ScalarValue::Null]).expect("null"),
            Expr::Literal(ScalarValue::Int64(None))
        );
        assert!(e.with_params(&[]).is_err());
    }
}
