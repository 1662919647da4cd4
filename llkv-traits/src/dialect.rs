//! The SQL flavour contract.
//!
//! A [`Dialect`] is a `sqlparser` dialect (by delegation, through [`Dialect::parser`]) plus
//! the semantics the binder asks about: how DDL types map to Arrow types, how identifiers
//! fold, where NULLs sort, what integer division and division by zero do, how strings and
//! numbers coerce, and what a failed statement does to its transaction. Two optional hooks
//! let a dialect rewrite a statement or an expression *as syntax trees* before binding, so a
//! dialect extends SQL without forking the binder (and never by rewriting SQL text).

use arrow::datatypes::DataType;
use sqlparser::ast::{Expr, Statement};

use crate::diagnostic::ErrorDetail;

/// Errors a dialect reports.
#[derive(Debug, thiserror::Error)]
pub enum DialectError {
    /// A DDL type this dialect does not map.
    #[error("unsupported type {0}")]
    UnsupportedType(String),
    /// Anything else, described.
    #[error("{0}")]
    Other(String),
}

/// What `integer / integer` means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegerDivision {
    /// Truncating integer division (SQLite, PostgreSQL).
    Truncate,
    /// The quotient as a double (DuckDB's `/`).
    Float,
}

/// What dividing by zero yields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DivisionByZero {
    /// NULL (SQLite, DuckDB).
    Null,
    /// An error (PostgreSQL).
    Error,
}

/// What integer overflow in arithmetic does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntegerOverflow {
    /// An error naming the operation (DuckDB, PostgreSQL).
    Error,
    /// The result becomes a double (SQLite).
    PromoteToFloat,
}

/// How values of different types meet in comparisons and arithmetic.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coercion {
    /// SQLite's type affinity: text that looks like a number compares and computes as one,
    /// and numbers sort before text.
    SqliteAffinity,
    /// Implicit casts only between numeric types and from literals; anything else is a type
    /// error.
    Strict,
}

/// What a statement that fails inside an explicit transaction does to the transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorInTransaction {
    /// The statement is undone and the transaction goes on (SQLite).
    Continue,
    /// The statement is undone and the transaction is aborted: every later statement fails
    /// until `ROLLBACK` (DuckDB, PostgreSQL).
    MustRollback,
}

/// Where `ORDER BY` puts NULLs when a key says neither `NULLS FIRST` nor `NULLS LAST`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NullOrder {
    /// NULLs first in both directions.
    First,
    /// NULLs last in both directions.
    Last,
    /// NULLs first in ascending keys, last in descending ones (NULL is the smallest value).
    FirstOnAscending,
    /// NULLs last in ascending keys, first in descending ones (NULL is the largest value).
    LastOnAscending,
}

impl NullOrder {
    /// Whether NULLs sort first in a key sorted in this direction.
    pub fn nulls_first(self, descending: bool) -> bool {
        match self {
            NullOrder::First => true,
            NullOrder::Last => false,
            NullOrder::FirstOnAscending => !descending,
            NullOrder::LastOnAscending => descending,
        }
    }
}

/// A setting of one session that a dialect statement (such as DuckDB's
/// `SET default_null_order = ...`) changes, returned by [`Dialect::rewrite_statement`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionSetting {
    /// Where NULLs sort when `ORDER BY` does not say (instead of
    /// [`Dialect::nulls_first`]).
    DefaultNullOrder(NullOrder),
    /// Whether `ORDER BY` keys without `ASC`/`DESC` sort descending.
    DefaultOrderDescending(bool),
}

/// The outcome of [`Dialect::rewrite_statement`].
#[derive(Debug)]
pub enum StatementHook {
    /// The dialect does not handle this statement: bind the original.
    Unhandled(Box<Statement>),
    /// The dialect rewrote it into these statements (possibly none), bound in order.
    Rewritten(Vec<Statement>),
    /// The statement changes a setting of the session that runs it (and nothing else).
    Set(SessionSetting),
}

/// A SQL flavour.
pub trait Dialect: Send + Sync {
    /// The dialect's name (`"sqlite"`, `"duckdb"`, ...). sqllogictest `skipif`/`onlyif`
    /// conditions match it.
    fn name(&self) -> &str;

    /// The parser dialect, by delegation.
    fn parser(&self) -> &dyn sqlparser::dialect::Dialect;

    /// The Arrow type a DDL type maps to, or an error naming the type.
    fn map_type(&self, sql_type: &sqlparser::ast::DataType) -> Result<DataType, DialectError>;

    /// Folds an unquoted identifier for lookup. The default folds to lower case.
    fn fold_identifier(&self, ident: &str) -> String {
        ident.to_lowercase()
    }

    /// Whether NULLs sort first when `ORDER BY` gives no `NULLS FIRST|LAST`.
    fn nulls_first(&self, descending: bool) -> bool;

    /// What `integer / integer` means.
    fn integer_division(&self) -> IntegerDivision {
        IntegerDivision::Truncate
    }

    /// What dividing by zero yields.
    fn division_by_zero(&self) -> DivisionByZero {
        DivisionByZero::Null
    }

    /// What integer overflow does.
    fn integer_overflow(&self) -> IntegerOverflow {
        IntegerOverflow::Error
    }

    /// How mixed types coerce.
    fn coercion(&self) -> Coercion {
        Coercion::Strict
    }

    /// What a failed statement does to an explicit transaction.
    fn error_in_transaction(&self) -> ErrorInTransaction {
        ErrorInTransaction::MustRollback
    }

    /// The canonical name of a function alias (already lower-cased), if this is one.
    fn function_alias(&self, name: &str) -> Option<&'static str> {
        let _ = name;
        None
    }

    /// Rewrites a statement before binding. The default hands it on.
    fn rewrite_statement(&self, statement: Statement) -> Result<StatementHook, DialectError> {
        Ok(StatementHook::Unhandled(Box::new(statement)))
    }

    /// Whether `INSERT INTO t [(...)] VALUES (...), ...` statements whose values are all
    /// plain literals (numbers, single-quoted strings, `NULL`, `TRUE`, `FALSE`) may skip
    /// the parser and the binder and go straight into column arrays (the engine's bulk-load
    /// path). Say `true` only if the parser dialect reads such statements as standard SQL
    /// does (double quotes delimit names) and [`Dialect::rewrite_statement`] and
    /// [`Dialect::rewrite_expr`] leave them and their literals unchanged. The default is
    /// `false`: every statement is parsed.
    fn literal_insert_fast_path(&self) -> bool {
        false
    }

    /// Whether a session may bind a query, `UPDATE` or `DELETE` once and reuse the bound
    /// plan for later texts that differ from it only in plain literals (numbers and
    /// single-quoted strings) of the same types, skipping the parser and the binder for
    /// them. Say `true` only if [`Dialect::rewrite_statement`] and
    /// [`Dialect::rewrite_expr`] treat such statements alike whatever their literals'
    /// values are. The default is `false`: every statement is bound.
    fn reuse_plans(&self) -> bool {
        false
    }

    /// Rewrites an expression before binding; `None` (the default) keeps it.
    fn rewrite_expr(&self, expr: &Expr) -> Result<Option<Expr>, DialectError> {
        let _ = expr;
        Ok(None)
    }

    /// The message users see for an error the engine describes as data (a constraint
    /// violation, a missing or existing catalog object, an aborted transaction). `None`
    /// (the default) keeps the engine's wording, the detail's `Display`. The session
    /// asks once per failed statement; the structured detail stays available to callers
    /// either way.
    fn error_message(&self, error: &ErrorDetail<'_>) -> Option<String> {
        let _ = error;
        None
    }
}
