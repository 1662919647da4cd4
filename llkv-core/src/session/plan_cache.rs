//! Bound plans reused across statements that differ only in their literals.
//!
//! A text whose shape the parse cache knows as a template (`parse_cache`) names its plain
//! literals' value nodes. A query, `UPDATE` or `DELETE` of one statement is bound with
//! those literals as parameters ([`crate::binder::Params`]) and run with their values. If
//! the binding did not depend on the values ([`Binder::params_reusable`]), the bound
//! statement is kept under its shape with the catalog's epoch
//! ([`crate::Database::catalog_epoch`]), the literals' types and the session's settings.
//! The next text of that shape whose literals have the same types skips parsing and
//! binding: its values go straight into the kept plan, provided the transaction still sees
//! the catalog of that epoch.
//!
//! Only dialects that say so take this path ([`Dialect::reuse_plans`]): their statement
//! and expression hooks must not depend on literal values.
//!
//! [`Binder::params_reusable`]: crate::binder::Binder::params_reusable
//! [`Dialect::reuse_plans`]: llkv_traits::Dialect::reuse_plans

use arrow::datatypes::DataType;
use hashbrown::HashMap;
use llkv_traits::ScalarValue;
use sqlparser::ast::Statement;

use super::parse_cache::{Scanned, Slots};
use super::prepared::Prepared;
use super::{Session, StatementResult, parse_with};
use crate::binder::Params;
use crate::error::Result;

/// Most plans kept per session (the cache is cleared when full).
const MAX_ENTRIES: usize = 256;

/// A session's reusable plans, by statement shape.
#[derive(Debug, Default)]
pub(crate) struct PlanCache {
    entries: HashMap<String, Cached>,
}

#[derive(Debug)]
struct Cached {
    prepared: Prepared,
    /// The parameters' types.
    types: Vec<DataType>,
    /// The catalog epoch it was bound in.
    epoch: u64,
}

impl PlanCache {
    /// Forgets every plan (the session's settings changed).
    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }

    /// How many plans are kept.
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    fn get(&self, shape: &str, values: &[ScalarValue]) -> Option<&Cached> {
        self.entries.get(shape).filter(|c| {
            c.types.len() == values.len()
                && c.types.iter().zip(values).all(|(t, v)| *t == v.data_type())
        })
    }

    fn insert(&mut self, shape: String, cached: Cached) {
        // Epochs only grow: plans of another epoch can never run again, and they hold the
        // storage of tables that may since have been dropped.
        self.entries.retain(|_, c| c.epoch == cached.epoch);
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.clear();
        }
        self.entries.insert(shape, cached);
    }
}

impl Session {
    /// Runs `sql`, whose scan is `scanned`: with a kept plan if one fits, else parsed
    /// (through the parse cache) and run, keeping the plan if it may be reused.
    pub(super) fn execute_scanned(
        &mut self,
        sql: &str,
        scanned: Scanned<'_>,
    ) -> Result<Vec<StatementResult>> {
        let values = scanned.values();
        if let Some(values) = &values
            && self.plans.get(&scanned.shape, values).is_some()
        {
            match self.run_cached(&scanned.shape, values)? {
                Some(r) => return Ok(vec![r]),
                // Bound under another catalog: bound again below.
                None => {
                    self.plans.entries.remove(&scanned.shape);
                }
            }
        }
        let (dialect, cache) = (&self.dialect, &mut self.parse_cache);
        let (statements, slots) =
            cache.parse_scanned(sql, &scanned, |sql| parse_with(dialect.as_ref(), sql))?;
        let mut out = Vec::with_capacity(statements.len());
        match (slots, values) {
            (Some(slots), Some(values)) if statements.len() == 1 => {
                for s in statements {
                    for s in self.rewritten(s)? {
                        out.push(if Prepared::binds(&s) {
                            self.run_and_keep(&scanned.shape, &s, &slots, values.clone())?
                        } else {
                            self.run_one(s)?
                        });
                    }
                }
            }
            _ => {
                for s in statements {
                    out.extend(self.execute_statement_unworded(s)?);
                }
            }
        }
        Ok(out)
    }

    /// Runs the kept plan of `shape` with `values`; `None` if the transaction does not
    /// see the catalog it was bound in (nothing ran).
    fn run_cached(
        &mut self,
        shape: &str,
        values: &[ScalarValue],
    ) -> Result<Option<StatementResult>> {
        self.run_in_transaction(|s, t| {
            let Some(c) = s.plans.entries.get(shape) else {
                return Ok(None);
            };
            if s.db.catalog_epoch(&t.snap) != Some(c.epoch) {
                return Ok(None);
            }
            c.prepared.run(s, t, values).map(Some)
        })
    }

    /// Binds `statement` with its literals at `slots` as parameters, runs it with
    /// `values`, and keeps the plan under `shape` if it may be reused.
    fn run_and_keep(
        &mut self,
        shape: &str,
        statement: &Statement,
        slots: &Slots,
        values: Vec<ScalarValue>,
    ) -> Result<StatementResult> {
        let (result, keep) = self.run_in_transaction(|s, t| {
            let epoch = || s.db.catalog_epoch(&t.snap);
            // Fill the catalog cache first, so a first statement gets an epoch too.
            let before = epoch().or_else(|| {
                s.db.catalog_entries(&t.snap).ok()?;
                epoch()
            });
            let params = Params::at_slots(&values, statement, slots);
            let (prepared, reusable) = match Prepared::bind(s, t, statement, Some(params)) {
                Ok(bound) => bound,
                // Errors are reported as binding the literals reports them.
                Err(_) => (Prepared::bind(s, t, statement, None)?.0, false),
            };
            let keep = reusable && before.is_some() && before == epoch();
            let result = prepared.run(s, t, &values)?;
            Ok((result, keep.then_some((prepared, before))))
        })?;
        if let Some((prepared, Some(epoch))) = keep {
            let types = values.iter().map(ScalarValue::data_type).collect();
            self.plans.insert(
                shape.to_owned(),
                Cached {
                    prepared,
                    types,
                    epoch,
                },
            );
        }
        Ok(result)
    }
}
