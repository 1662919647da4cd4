//! Sessions: one connection's transaction state and statement execution.

use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch};
use arrow::datatypes::SchemaRef;
use llkv_traits::{Dialect, ErrorInTransaction, SessionSetting, StatementHook, TransactionAborted};
use sqlparser::ast::Statement;
use sqlparser::parser::Parser;

use crate::binder::OrderDefaults;
use crate::catalog::TableMeta;
use crate::database::{Database, Transaction};
use crate::error::{Error, Result};
use crate::exec::{Semantics, concat};

mod alter;
mod ddl;
mod dml;
mod literal_insert;
mod modify;
mod parse_cache;
mod plan_cache;
mod prepared;
mod statement;

pub use statement::PreparedStatement;

/// How deeply expressions and subqueries may nest (the parser's limit). Binding and
/// evaluation recurse once per level and move to a new stack segment when the thread's
/// stack runs low, so any thread can run statements this deep.
pub const MAX_NESTING: usize = 200;

/// The rows a query returned.
#[derive(Debug, Clone)]
pub struct QueryResult {
    /// The result columns' names and types.
    pub schema: SchemaRef,
    /// The rows, in batches.
    pub batches: Vec<RecordBatch>,
}

impl QueryResult {
    /// Total number of rows.
    pub fn num_rows(&self) -> usize {
        self.batches.iter().map(|b| b.num_rows()).sum()
    }

    /// All rows as one batch.
    pub fn concat(&self) -> Result<RecordBatch> {
        concat(&self.schema, &self.batches)
    }
}

/// What one statement did.
#[derive(Debug, Clone)]
pub enum StatementResult {
    /// A query's rows.
    Query(QueryResult),
    /// Rows changed by `INSERT`, `UPDATE` or `DELETE`.
    Affected {
        /// `"INSERT"`, `"UPDATE"` or `"DELETE"`.
        verb: &'static str,
        /// How many rows.
        rows: u64,
    },
    /// A statement without rows (`CREATE TABLE`, `BEGIN`, ...), named.
    Done(&'static str),
}

/// One connection to a [`Database`]: its dialect and its transaction state.
///
/// Statements outside `BEGIN ... COMMIT` run in their own transaction (autocommit). A
/// statement that fails is undone on its own; inside an explicit transaction, the dialect
/// decides whether the transaction goes on ([`ErrorInTransaction::Continue`]) or must be
/// rolled back ([`ErrorInTransaction::MustRollback`]).
pub struct Session {
    db: Arc<Database>,
    dialect: Arc<dyn Dialect>,
    txn: Option<Transaction>,
    aborted: bool,
    /// Open savepoints, innermost last: name and undo-log position.
    savepoints: Vec<(String, usize)>,
    /// True if the transaction was opened by a SAVEPOINT (it ends with the last RELEASE).
    savepoint_txn: bool,
    /// `ORDER BY` defaults set by the session's statements ([`SessionSetting`]).
    order: OrderDefaults,
    /// Parsed statement shapes, so texts differing only in literals parse once.
    parse_cache: parse_cache::ParseCache,
    /// Bound plans by statement shape, so such texts bind once too.
    plans: plan_cache::PlanCache,
    /// Whether statements go through `plans` (the dialect must allow it too).
    reuse_plans: bool,
}

impl std::fmt::Debug for Session {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Session")
            .field("dialect", &self.dialect.name())
            .field("in_transaction", &self.txn.is_some())
            .finish()
    }
}

impl Drop for Session {
    fn drop(&mut self) {
        if let Some(t) = self.txn.take() {
            self.db.rollback(t);
        }
    }
}

/// Parses `sql` with `dialect`'s parser (see [`Session::parse`]).
fn parse_with(dialect: &dyn Dialect, sql: &str) -> Result<Vec<Statement>> {
    Ok(Parser::new(dialect.parser())
        .with_recursion_limit(MAX_NESTING)
        .try_with_sql(sql)?
        .parse_statements()?)
}

impl Session {
    /// A session on `db` speaking `dialect`.
    pub fn new(db: Arc<Database>, dialect: Arc<dyn Dialect>) -> Self {
        Self {
            db,
            dialect,
            txn: None,
            aborted: false,
            savepoints: Vec::new(),
            savepoint_txn: false,
            order: OrderDefaults::default(),
            parse_cache: parse_cache::ParseCache::default(),
            plans: plan_cache::PlanCache::default(),
            reuse_plans: true,
        }
    }

    fn end_transaction_state(&mut self) {
        self.aborted = false;
        self.savepoints.clear();
        self.savepoint_txn = false;
    }

    /// The database.
    pub fn database(&self) -> &Arc<Database> {
        &self.db
    }

    /// The dialect.
    pub fn dialect(&self) -> &Arc<dyn Dialect> {
        &self.dialect
    }

    /// How many bound plans the session keeps for reuse (see [`Dialect::reuse_plans`]).
    pub fn kept_plans(&self) -> usize {
        self.plans.len()
    }

    /// Turns plan reuse on (the default, where the dialect allows it) or off. Off, every
    /// statement is bound with its literals as written and no plan is kept: the
    /// reference a reused plan must agree with.
    pub fn set_plan_reuse(&mut self, on: bool) {
        self.reuse_plans = on;
        if !on {
            self.plans.clear();
        }
    }

    /// True inside `BEGIN ... COMMIT`.
    pub fn in_transaction(&self) -> bool {
        self.txn.is_some()
    }

    /// Parses `sql` with the session's dialect. Expressions may nest up to
    /// [`MAX_NESTING`] levels deep.
    pub fn parse(&self, sql: &str) -> Result<Vec<Statement>> {
        parse_with(self.dialect.as_ref(), sql)
    }

    /// Runs every statement of `sql` in order, stopping at the first error. Errors with a
    /// structured detail carry the dialect's wording ([`Error::worded_by`]).
    pub fn execute(&mut self, sql: &str) -> Result<Vec<StatementResult>> {
        self.execute_unworded(sql)
            .map_err(|e| e.worded_by(self.dialect.as_ref()))
    }

    fn execute_unworded(&mut self, sql: &str) -> Result<Vec<StatementResult>> {
        // Leading `INSERT ... VALUES` statements of plain literals skip the parser; the
        // rest is parsed before anything runs, so a syntax error still runs nothing.
        let (inserts, rest) = if self.dialect.literal_insert_fast_path() {
            literal_insert::leading(sql, self.dialect.coercion())
        } else {
            (Vec::new(), sql)
        };
        let scanned = match parse_cache::scan(rest) {
            Some(sc) if inserts.is_empty() && self.reuse_plans && self.dialect.reuse_plans() => {
                return self.execute_scanned(rest, sc);
            }
            other => other,
        };
        let (dialect, cache) = (&self.dialect, &mut self.parse_cache);
        let parse = |sql: &str| parse_with(dialect.as_ref(), sql);
        let statements = match &scanned {
            Some(sc) => cache.parse_scanned(rest, sc, parse)?.0,
            None => parse(rest)?,
        };
        let mut out = Vec::with_capacity(inserts.len() + statements.len());
        for ins in &inserts {
            out.push(self.run_in_transaction(|s, t| dml::insert_literal(s, t, ins))?);
        }
        for s in statements {
            out.extend(self.execute_statement_unworded(s)?);
        }
        Ok(out)
    }

    /// Runs one query and returns its rows.
    pub fn query(&mut self, sql: &str) -> Result<QueryResult> {
        let mut results = self.execute(sql)?;
        match results.pop() {
            Some(StatementResult::Query(q)) if results.is_empty() => Ok(q),
            _ => Err(Error::Type(format!("not a single query: {sql}"))),
        }
    }

    /// Names of the tables and views this session sees, sorted.
    pub fn table_names(&self) -> Result<Vec<String>> {
        let mut names: Vec<String> = self.with_snapshot(|db, t| {
            Ok(db
                .catalog_entries(&t.snap)?
                .iter()
                .map(|m| m.name.clone())
                .collect())
        })?;
        names.sort();
        Ok(names)
    }

    /// The catalog entry of a table or view.
    pub fn table_meta(&self, name: &str) -> Result<Option<Arc<TableMeta>>> {
        self.with_snapshot(|db, t| {
            Ok(db
                .catalog_entries(&t.snap)?
                .into_iter()
                .find(|m| m.name.eq_ignore_ascii_case(name)))
        })
    }

    fn with_snapshot<T>(&self, f: impl FnOnce(&Database, &Transaction) -> Result<T>) -> Result<T> {
        match &self.txn {
            Some(t) => f(&self.db, t),
            None => {
                let t = self.db.begin();
                let r = f(&self.db, &t);
                self.db.rollback(t);
                r
            }
        }
    }

    /// Runs one parsed statement. Errors with a structured detail carry the dialect's
    /// wording ([`Error::worded_by`]).
    pub fn execute_statement(&mut self, statement: Statement) -> Result<Vec<StatementResult>> {
        self.execute_statement_unworded(statement)
            .map_err(|e| e.worded_by(self.dialect.as_ref()))
    }

    fn execute_statement_unworded(&mut self, statement: Statement) -> Result<Vec<StatementResult>> {
        let statements = self.rewritten(statement)?;
        let mut out = Vec::with_capacity(statements.len());
        for s in statements {
            out.push(self.run_one(s)?);
        }
        Ok(out)
    }

    /// What the dialect's statement hook makes of `statement`: the statements to run. A
    /// session setting is applied here (and none is left to run).
    fn rewritten(&mut self, statement: Statement) -> Result<Vec<Statement>> {
        Ok(match self.dialect.rewrite_statement(statement)? {
            StatementHook::Unhandled(s) => vec![*s],
            StatementHook::Rewritten(v) => v,
            StatementHook::Set(setting) => {
                match setting {
                    SessionSetting::DefaultNullOrder(n) => self.order.null_order = Some(n),
                    SessionSetting::DefaultOrderDescending(d) => self.order.descending = d,
                }
                // Kept plans sort by the old defaults.
                self.plans.clear();
                Vec::new()
            }
        })
    }

    fn run_one(&mut self, statement: Statement) -> Result<StatementResult> {
        match &statement {
            Statement::StartTransaction { .. } => {
                if self.txn.is_some() {
                    return Err(Error::Transaction(
                        "cannot start a transaction within a transaction".into(),
                    ));
                }
                self.txn = Some(self.db.begin());
                self.end_transaction_state();
                return Ok(StatementResult::Done("BEGIN"));
            }
            Statement::Savepoint { name } => {
                if self.aborted {
                    return Err(aborted_error());
                }
                if self.txn.is_none() {
                    // SQLite: a SAVEPOINT outside a transaction starts one.
                    self.txn = Some(self.db.begin());
                    self.end_transaction_state();
                    self.savepoint_txn = true;
                }
                let mark = self.txn.as_ref().map_or(0, |t| t.undo.len());
                self.savepoints.push((name.value.clone(), mark));
                return Ok(StatementResult::Done("SAVEPOINT"));
            }
            Statement::ReleaseSavepoint { name } => {
                let pos = self.savepoint_position(&name.value)?;
                self.savepoints.truncate(pos);
                if self.savepoints.is_empty() && self.savepoint_txn {
                    let t = self
                        .txn
                        .take()
                        .ok_or_else(|| Error::Transaction("no transaction is active".into()))?;
                    let aborted = self.aborted;
                    self.end_transaction_state();
                    if aborted {
                        self.db.rollback(t);
                        return Err(aborted_error());
                    }
                    self.db.commit(t)?;
                }
                return Ok(StatementResult::Done("RELEASE"));
            }
            Statement::Rollback {
                savepoint: Some(name),
                ..
            } => {
                let pos = self.savepoint_position(&name.value)?;
                let mark = self.savepoints[pos].1;
                // The savepoint stays; the ones opened after it are gone.
                self.savepoints.truncate(pos + 1);
                if let Some(t) = self.txn.as_mut() {
                    t.rollback_to(&self.db, mark);
                }
                self.aborted = false;
                return Ok(StatementResult::Done("ROLLBACK TO"));
            }
            Statement::Commit { .. } => {
                let t = self.txn.take().ok_or_else(|| {
                    Error::Transaction("cannot commit - no transaction is active".into())
                })?;
                if self.aborted {
                    self.end_transaction_state();
                    self.db.rollback(t);
                    return Err(Error::aborted(TransactionAborted::RolledBackAtCommit));
                }
                self.end_transaction_state();
                self.db.commit(t)?;
                return Ok(StatementResult::Done("COMMIT"));
            }
            Statement::Rollback {
                savepoint: None, ..
            } => {
                let t = self.txn.take().ok_or_else(|| {
                    Error::Transaction("cannot rollback - no transaction is active".into())
                })?;
                self.end_transaction_state();
                self.db.rollback(t);
                return Ok(StatementResult::Done("ROLLBACK"));
            }
            Statement::Vacuum(_) => {
                if self.txn.is_some() {
                    return Err(Error::Transaction(
                        "cannot VACUUM from within a transaction".into(),
                    ));
                }
                self.db.vacuum()?;
                return Ok(StatementResult::Done("VACUUM"));
            }
            _ => {}
        }
        self.run_in_transaction(|s, t| s.dispatch(t, &statement))
    }

    /// Runs `f` in the session's transaction, or in a transaction of its own (autocommit).
    /// A failure undoes what `f` did; inside an explicit transaction the dialect decides
    /// whether the transaction may go on.
    fn run_in_transaction<T>(
        &mut self,
        f: impl FnOnce(&Self, &mut Transaction) -> Result<T>,
    ) -> Result<T> {
        if self.aborted {
            return Err(aborted_error());
        }
        let autocommit = self.txn.is_none();
        let mut t = match self.txn.take() {
            Some(t) => t,
            None => self.db.begin(),
        };
        let mark = t.undo.len();
        let result = f(self, &mut t);
        match result {
            Ok(r) => {
                if autocommit {
                    self.db.commit(t)?;
                } else {
                    self.txn = Some(t);
                }
                Ok(r)
            }
            Err(e) => {
                if autocommit {
                    self.db.rollback(t);
                } else {
                    t.rollback_to(&self.db, mark);
                    if self.dialect.error_in_transaction() == ErrorInTransaction::MustRollback
                        || matches!(e, Error::Conflict(_))
                    {
                        self.aborted = true;
                    }
                    self.txn = Some(t);
                }
                Err(e)
            }
        }
    }

    fn savepoint_position(&self, name: &str) -> Result<usize> {
        self.savepoints
            .iter()
            .rposition(|(n, _)| n.eq_ignore_ascii_case(name))
            .ok_or_else(|| Error::Transaction(format!("no such savepoint: {name}")))
    }

    fn semantics(&self) -> Semantics {
        Semantics {
            overflow: self.dialect.integer_overflow(),
            division_by_zero: self.dialect.division_by_zero(),
            coercion: self.dialect.coercion(),
        }
    }

    fn dispatch(&self, t: &mut Transaction, s: &Statement) -> Result<StatementResult> {
        match s {
            Statement::Query(_) | Statement::Update { .. } | Statement::Delete(_) => {
                prepared::Prepared::bind(self, t, s, None)?
                    .0
                    .run(self, t, &[])
            }
            Statement::CreateTable(ct) => ddl::create_table(self, t, ct),
            Statement::CreateView { .. } => ddl::create_view(self, t, s),
            Statement::Drop { .. } => ddl::drop(self, t, s),
            Statement::AlterTable { .. } => alter::alter_table(self, t, s),
            Statement::CreateIndex(ci) => ddl::create_index(self, t, ci),
            Statement::Insert(ins) => dml::insert(self, t, ins),
            other => Err(Error::Unsupported(format!(
                "statement {}",
                first_words(other)
            ))),
        }
    }
}

fn aborted_error() -> Error {
    Error::aborted(TransactionAborted::StatementIgnored)
}

fn first_words(s: &Statement) -> String {
    let text = s.to_string();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn rename(schema: &SchemaRef, b: RecordBatch) -> Result<RecordBatch> {
    let cols: Vec<ArrayRef> = b.columns().to_vec();
    Ok(RecordBatch::try_new_with_options(
        schema.clone(),
        cols,
        &arrow::array::RecordBatchOptions::new().with_row_count(Some(b.num_rows())),
    )?)
}
