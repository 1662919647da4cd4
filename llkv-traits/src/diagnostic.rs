//! Errors described as data, for a [`Dialect`](crate::Dialect) to word.
//!
//! The engine reports constraint violations, missing or duplicate catalog objects and
//! aborted transactions as the structured values of this module. Each has a default
//! wording (its `Display`, the engine's own text); a dialect may replace it through
//! [`Dialect::error_message`](crate::Dialect::error_message), so that, for example, the
//! DuckDB dialect says `Constraint Error: Duplicate key "i: 1" violates primary key
//! constraint.` where the default says `constraint failed: UNIQUE constraint failed: t.i`.

use std::fmt;

/// The kind of constraint a row violated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    /// A `NOT NULL` column (primary-key columns are `NOT NULL` too) received a NULL.
    NotNull,
    /// A primary key's value repeats.
    PrimaryKey,
    /// A `UNIQUE` constraint's (or unique index's) value repeats.
    Unique,
}

/// A constraint violated by the data of an `INSERT`, `UPDATE` or a new unique index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintViolation {
    /// Which kind of constraint.
    pub kind: ConstraintKind,
    /// The table's name.
    pub table: String,
    /// The constrained columns' names, in key order.
    pub columns: Vec<String>,
    /// The offending key, one value per column as text (`NULL` for a NULL); empty for
    /// [`ConstraintKind::NotNull`].
    pub key: Vec<String>,
    /// True when the repeated key collides with a row written by the same transaction
    /// (including the same statement), false when it collides with a row committed
    /// before the transaction began. Always false for [`ConstraintKind::NotNull`].
    pub within_transaction: bool,
}

impl fmt::Display for ConstraintViolation {
    /// The default wording: `constraint failed: NOT NULL constraint failed: t.c`, or
    /// `constraint failed: UNIQUE constraint failed: t.a, t.b` for a repeated key.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.kind {
            ConstraintKind::NotNull => "NOT NULL",
            ConstraintKind::PrimaryKey | ConstraintKind::Unique => "UNIQUE",
        };
        write!(f, "constraint failed: {what} constraint failed: ")?;
        for (i, c) in self.columns.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{}.{c}", self.table)?;
        }
        Ok(())
    }
}

/// The kinds of named objects in a catalog.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogObject {
    /// A table.
    Table,
    /// A view.
    View,
    /// An index.
    Index,
}

impl CatalogObject {
    /// The lower-case name of the kind (`"table"`, `"view"`, `"index"`).
    pub fn name(self) -> &'static str {
        match self {
            CatalogObject::Table => "table",
            CatalogObject::View => "view",
            CatalogObject::Index => "index",
        }
    }
}

/// What is wrong with a catalog object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogProblem {
    /// The statement names an object that does not exist.
    NotFound,
    /// The statement creates an object whose name is taken.
    AlreadyExists,
}

/// A catalog object that does not exist, or that already exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CatalogError {
    /// Missing or taken.
    pub problem: CatalogProblem,
    /// The kind of object the statement expected or would create.
    pub object: CatalogObject,
    /// The name as the statement spelt it.
    pub name: String,
}

impl fmt::Display for CatalogError {
    /// The default wording: `no such table: t` (`no such table: view v` for other kinds)
    /// or `table t already exists`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.problem, self.object) {
            (CatalogProblem::NotFound, CatalogObject::Table) => {
                write!(f, "no such table: {}", self.name)
            }
            (CatalogProblem::NotFound, other) => {
                write!(f, "no such table: {} {}", other.name(), self.name)
            }
            (CatalogProblem::AlreadyExists, object) => {
                write!(f, "{} {} already exists", object.name(), self.name)
            }
        }
    }
}

/// Why a statement could not run in the session's transaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionAborted {
    /// An earlier statement failed and the dialect
    /// ([`ErrorInTransaction::MustRollback`](crate::ErrorInTransaction::MustRollback))
    /// requires a `ROLLBACK` first.
    StatementIgnored,
    /// `COMMIT` of such an aborted transaction: it was rolled back instead.
    RolledBackAtCommit,
}

impl fmt::Display for TransactionAborted {
    /// The default wording (PostgreSQL's).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TransactionAborted::StatementIgnored => {
                "current transaction is aborted, commands ignored until end of transaction block"
            }
            TransactionAborted::RolledBackAtCommit => {
                "current transaction is aborted: it was rolled back"
            }
        })
    }
}

/// An error the engine describes as data, handed to
/// [`Dialect::error_message`](crate::Dialect::error_message).
#[derive(Debug, Clone, Copy)]
pub enum ErrorDetail<'a> {
    /// A constraint violation.
    Constraint(&'a ConstraintViolation),
    /// A missing or already existing catalog object.
    Catalog(&'a CatalogError),
    /// A statement refused because the transaction is aborted.
    TransactionAborted(TransactionAborted),
}

impl fmt::Display for ErrorDetail<'_> {
    /// The default wording of the detail.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorDetail::Constraint(c) => c.fmt(f),
            ErrorDetail::Catalog(c) => c.fmt(f),
            ErrorDetail::TransactionAborted(a) => a.fmt(f),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_wording() {
        let v = ConstraintViolation {
            kind: ConstraintKind::PrimaryKey,
            table: "t".into(),
            columns: vec!["a".into(), "b".into()],
            key: vec!["1".into(), "x".into()],
            within_transaction: false,
        };
        assert_eq!(
            v.to_string(),
            "constraint failed: UNIQUE constraint failed: t.a, t.b"
        );
        let c = CatalogError {
            problem: CatalogProblem::NotFound,
            object: CatalogObject::View,
            name: "v".into(),
        };
        assert_eq!(c.to_string(), "no such table: view v");
        let c = CatalogError {
            problem: CatalogProblem::AlreadyExists,
            object: CatalogObject::Index,
            name: "i".into(),
        };
        assert_eq!(c.to_string(), "index i already exists");
    }
}
