//! Bound statements: a query's plan or an `UPDATE`/`DELETE`, bound once and run with
//! parameter values (none for a statement bound with its literals).

use std::sync::Arc;

use arrow::datatypes::{Field, Schema, SchemaRef};
use llkv_traits::ScalarValue;
use sqlparser::ast::Statement;

use super::modify::{self, BoundModify};
use super::{Session, StatementResult, rename};
use crate::binder::{Binder, Params};
use crate::database::Transaction;
use crate::error::{Error, Result};
use crate::exec::{ExecCtx, collect};
use crate::plan::Plan;

use super::QueryResult;

/// A bound statement.
#[derive(Debug)]
pub(crate) enum Prepared {
    /// A query: its plan (columns pruned) and its result schema (the output names).
    Query {
        /// The plan.
        plan: Plan,
        /// The result's schema.
        schema: SchemaRef,
    },
    /// An `UPDATE` or `DELETE`.
    Modify(BoundModify),
}

impl Prepared {
    /// True for the statements [`Prepared::bind`] takes.
    pub(crate) fn binds(statement: &Statement) -> bool {
        matches!(
            statement,
            Statement::Query(_) | Statement::Update { .. } | Statement::Delete(_)
        )
    }

    /// Binds a query, `UPDATE` or `DELETE` in `t`'s snapshot. With `params`, also
    /// whether the result may run with other values of them
    /// ([`Binder::params_reusable`]).
    pub(crate) fn bind(
        s: &Session,
        t: &Transaction,
        statement: &Statement,
        params: Option<Params<'_>>,
    ) -> Result<(Prepared, bool)> {
        match statement {
            Statement::Query(q) => {
                let catalog = s.db.catalog_view(t.snap);
                let mut binder =
                    Binder::new(&catalog, s.dialect.as_ref()).with_order_defaults(s.order);
                if let Some(p) = params {
                    binder = binder.with_params(p);
                }
                let bound = binder.bind_query(q)?;
                let reusable = binder.params_reusable();
                let mut plan = crate::plan::prune::prune_columns(bound.plan);
                let plan_schema = plan.schema();
                let schema = Arc::new(Schema::new(
                    plan_schema
                        .fields()
                        .iter()
                        .zip(&bound.names)
                        .map(|(f, n)| Field::new(n, f.data_type().clone(), true))
                        .collect::<Vec<_>>(),
                ));
                plan.name_output(&schema);
                Ok((Prepared::Query { plan, schema }, reusable))
            }
            Statement::Update { .. } => {
                let (m, reusable) = modify::bind_update(s, t, statement, params)?;
                Ok((Prepared::Modify(m), reusable))
            }
            Statement::Delete(d) => {
                let (m, reusable) = modify::bind_delete(s, t, d, params)?;
                Ok((Prepared::Modify(m), reusable))
            }
            _ => Err(Error::Unsupported("binding this statement".into())),
        }
    }

    /// Runs the statement in `t` with these parameter values.
    pub(crate) fn run(
        &self,
        s: &Session,
        t: &mut Transaction,
        values: &[ScalarValue],
    ) -> Result<StatementResult> {
        match self {
            Prepared::Query { plan, schema } => {
                let ctx = ExecCtx::new(t.snap, s.semantics()).with_params(values);
                let batches = collect(&ctx, plan)?;
                // Batches of the node `name_output` named need no renaming.
                let batches = batches
                    .into_iter()
                    .map(|b| match Arc::ptr_eq(b.schema_ref(), schema) {
                        true => Ok(b),
                        false => rename(schema, b),
                    })
                    .collect::<Result<Vec<_>>>()?;
                Ok(StatementResult::Query(QueryResult {
                    schema: schema.clone(),
                    batches,
                }))
            }
            Prepared::Modify(m) => m.run(s, t, values),
        }
    }
}
