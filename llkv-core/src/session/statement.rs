//! Prepared statements: SQL with `?`, `?N` or `$N` placeholders, parsed once and run with
//! values.
//!
//! A query, `UPDATE` or `DELETE` is bound with its placeholders as parameters of the given
//! values' types; the bound plan is kept in the statement and reused while the values'
//! types and the catalog stay the same and the binding did not depend on the values (as
//! for the session's plan cache, `plan_cache`). Other statements (`INSERT`, DDL, ...) are
//! run with each placeholder replaced by its value as a literal.

use std::ops::ControlFlow;
use std::sync::{Arc, Weak};

use arrow::datatypes::DataType;
use hashbrown::HashMap;
use llkv_traits::{Dialect, ScalarValue, StatementHook};
use sqlparser::ast::{self, Statement, Value, visit_expressions, visit_expressions_mut};

use super::prepared::Prepared;
use super::{QueryResult, Session, StatementResult, parse_with};
use crate::binder::{OrderDefaults, Params};
use crate::database::Database;
use crate::error::{Error, Result};

/// A statement parsed once, to run with parameter values ([`Session::prepare`]).
#[derive(Debug)]
pub struct PreparedStatement {
    sql: String,
    statement: Statement,
    /// The placeholder nodes' positions ((line, column) -> 0-based parameter index).
    slots: HashMap<(u64, u64), usize>,
    /// How many values a run takes.
    parameters: usize,
    /// Whether runs bind the statement with parameters (a query, `UPDATE` or `DELETE` the
    /// dialect's hook hands on, under a dialect that allows reuse); else each run
    /// replaces the placeholders with literals and runs the text's statement.
    bind: bool,
    /// The last binding, if it may be reused.
    kept: Option<Kept>,
}

/// A binding of a prepared statement and what it holds for.
struct Kept {
    /// The database and dialect of the session that bound it (a statement may be run by
    /// another session).
    database: Weak<Database>,
    dialect: Arc<dyn Dialect>,
    /// The session's `ORDER BY` defaults.
    order: OrderDefaults,
    /// The values' types.
    types: Vec<DataType>,
    /// The catalog epoch ([`Database::catalog_epoch`]).
    epoch: u64,
    prepared: Prepared,
}

impl std::fmt::Debug for Kept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kept")
            .field("types", &self.types)
            .field("epoch", &self.epoch)
            .finish_non_exhaustive()
    }
}

impl Kept {
    fn fits(&self, s: &Session, types: &[DataType], epoch: Option<u64>) -> bool {
        self.database
            .upgrade()
            .is_some_and(|db| Arc::ptr_eq(&db, &s.db))
            && std::ptr::addr_eq(Arc::as_ptr(&self.dialect), Arc::as_ptr(&s.dialect))
            && self.order == s.order
            && self.types == types
            && epoch == Some(self.epoch)
    }
}

impl PreparedStatement {
    /// The SQL text.
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// How many values a run takes: the highest placeholder number.
    pub fn parameter_count(&self) -> usize {
        self.parameters
    }

    /// True if the last run's bound plan is kept: the next run with values of the same
    /// types skips binding (unless the schema changed meanwhile).
    pub fn has_kept_plan(&self) -> bool {
        self.kept.is_some()
    }
}

/// The 0-based index of placeholder `p` (`?`, `?N`, `$N`); `next` numbers the bare `?`s.
fn placeholder_index(p: &str, next: &mut usize) -> Result<usize> {
    let digits = p.strip_prefix('?').or_else(|| p.strip_prefix('$'));
    let index = match digits {
        Some("") if p == "?" => *next,
        Some(d) => match d.parse::<usize>() {
            Ok(n) if (1..=32_766).contains(&n) => n - 1,
            _ => {
                return Err(Error::Syntax(format!(
                    "bad parameter {p}: parameters are ?, ?N or $N with N from 1 to 32766"
                )));
            }
        },
        None => {
            return Err(Error::Unsupported(format!(
                "parameter {p}: named parameters (only ?, ?N and $N are)"
            )));
        }
    };
    // SQLite: a bare `?` takes the number after the largest one so far.
    *next = (*next).max(index + 1);
    Ok(index)
}

/// `v` as the literal syntax node a text would have had.
fn literal_value(v: &ScalarValue, index: usize) -> Result<Value> {
    Ok(match v {
        ScalarValue::Null => Value::Null,
        ScalarValue::Boolean(Some(b)) => Value::Boolean(*b),
        ScalarValue::Utf8(Some(s)) => Value::SingleQuotedString(s.clone()),
        ScalarValue::Float64(Some(f)) if f.is_finite() => Value::Number(format!("{f:?}"), false),
        other if other.is_null() => Value::Null,
        other if other.data_type().is_integer() => Value::Number(other.to_string(), false),
        other => {
            return Err(Error::Unsupported(format!(
                "parameter {} of type {} in this statement (only queries, UPDATE and DELETE take \
                 every type)",
                index + 1,
                other.data_type()
            )));
        }
    })
}

impl Session {
    /// Parses one statement with `?`, `?N` or `$N` placeholders, to run with
    /// [`Session::execute_prepared`] or [`Session::query_prepared`].
    pub fn prepare(&self, sql: &str) -> Result<PreparedStatement> {
        self.prepare_unworded(sql)
            .map_err(|e| e.worded_by(self.dialect.as_ref()))
    }

    fn prepare_unworded(&self, sql: &str) -> Result<PreparedStatement> {
        let mut statements = parse_with(self.dialect.as_ref(), sql)?;
        let statement = match (statements.pop(), statements.is_empty()) {
            (Some(s), true) => s,
            _ => {
                return Err(Error::Syntax(format!(
                    "a prepared statement is one statement: {sql}"
                )));
            }
        };
        let mut found = Vec::new();
        let _ = visit_expressions(&statement, |e: &ast::Expr| {
            if let ast::Expr::Value(v) = e
                && let Value::Placeholder(p) = &v.value
            {
                found.push(((v.span.start.line, v.span.start.column), p.clone()));
            }
            ControlFlow::<()>::Continue(())
        });
        // Bare `?`s are numbered in text order.
        found.sort_by_key(|(at, _)| *at);
        let mut next = 0;
        let mut slots = HashMap::new();
        for (at, p) in found {
            if slots
                .insert(at, placeholder_index(&p, &mut next)?)
                .is_some()
            {
                return Err(Error::Syntax(format!(
                    "two parameters at one position in {sql}"
                )));
            }
        }
        let bind = self.dialect.reuse_plans()
            && Prepared::binds(&statement)
            && matches!(
                self.dialect.rewrite_statement(statement.clone())?,
                StatementHook::Unhandled(_)
            );
        Ok(PreparedStatement {
            sql: sql.to_owned(),
            statement,
            slots,
            parameters: next,
            bind,
            kept: None,
        })
    }

    /// Runs a prepared statement with `values` for its parameters (`values[0]` for `?1`).
    pub fn execute_prepared(
        &mut self,
        statement: &mut PreparedStatement,
        values: &[ScalarValue],
    ) -> Result<StatementResult> {
        self.execute_prepared_unworded(statement, values)
            .map_err(|e| e.worded_by(self.dialect.as_ref()))
    }

    /// Runs a prepared query and returns its rows.
    pub fn query_prepared(
        &mut self,
        statement: &mut PreparedStatement,
        values: &[ScalarValue],
    ) -> Result<QueryResult> {
        match self.execute_prepared(statement, values)? {
            StatementResult::Query(q) => Ok(q),
            _ => Err(Error::Type(format!("not a query: {}", statement.sql))),
        }
    }

    fn execute_prepared_unworded(
        &mut self,
        p: &mut PreparedStatement,
        values: &[ScalarValue],
    ) -> Result<StatementResult> {
        if values.len() != p.parameters {
            return Err(Error::Type(format!(
                "the statement takes {} parameter value(s), {} given",
                p.parameters,
                values.len()
            )));
        }
        if !p.bind {
            let mut statement = p.statement.clone();
            let mut failed = None;
            let _ = visit_expressions_mut(&mut statement, |e: &mut ast::Expr| {
                if let ast::Expr::Value(v) = e
                    && let Some(&i) = p.slots.get(&(v.span.start.line, v.span.start.column))
                {
                    match literal_value(&values[i], i) {
                        Ok(lit) => v.value = lit,
                        Err(err) => {
                            failed = Some(err);
                            return ControlFlow::Break(());
                        }
                    }
                }
                ControlFlow::Continue(())
            });
            if let Some(err) = failed {
                return Err(err);
            }
            // A setting the dialect applied (or an option it accepted) leaves no result.
            let mut results = self.execute_statement_unworded(statement)?;
            return Ok(results.pop().unwrap_or(StatementResult::Done("OK")));
        }
        let types: Vec<DataType> = values.iter().map(ScalarValue::data_type).collect();
        let (result, keep) = self.run_in_transaction(|s, t| {
            let epoch = s.db.catalog_epoch(&t.snap);
            if let Some(kept) = &p.kept
                && kept.fits(s, &types, epoch)
            {
                return Ok((kept.prepared.run(s, t, values)?, None));
            }
            let before = epoch.or_else(|| {
                s.db.catalog_entries(&t.snap).ok()?;
                s.db.catalog_epoch(&t.snap)
            });
            let params = Params::at_slots(values, &p.statement, &p.slots);
            let (prepared, reusable) = Prepared::bind(s, t, &p.statement, Some(params))?;
            let keep = reusable && before.is_some() && before == s.db.catalog_epoch(&t.snap);
            let result = prepared.run(s, t, values)?;
            Ok((result, keep.then_some((before, prepared))))
        })?;
        if let Some((Some(epoch), prepared)) = keep {
            p.kept = Some(Kept {
                database: Arc::downgrade(&self.db),
                dialect: self.dialect.clone(),
                order: self.order,
                types,
                epoch,
                prepared,
            });
        }
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_number_like_sqlite() {
        let mut next = 0;
        let got: Vec<usize> = ["?", "?", "?5", "?", "$2"]
            .iter()
            .map(|p| placeholder_index(p, &mut next).expect("valid"))
            .collect();
        assert_eq!(got, [0, 1, 4, 5, 1]);
        assert_eq!(next, 6);
        assert!(placeholder_index("?0", &mut next).is_err());
        assert!(placeholder_index(":name", &mut next).is_err());
    }

    #[test]
    fn values_become_literals() {
        let v = |s: ScalarValue| literal_value(&s, 0).expect("literal").to_string();
        assert_eq!(v(ScalarValue::Int64(Some(-5))), "-5");
        assert_eq!(v(ScalarValue::Float64(Some(0.5))), "0.5");
        assert_eq!(v(ScalarValue::Utf8(Some("it's".into()))), "'it''s'");
        assert_eq!(v(ScalarValue::Null), "NULL");
        assert!(literal_value(&ScalarValue::Float64(Some(f64::NAN)), 0).is_err());
    }
}
