//! The engine's error type.
//!
//! Every user mistake is a typed variant whose message names the object involved, so a
//! caller can match on the kind and a person can read the message.

use std::fmt;

use llkv_traits::{
    AggregateError, CatalogError, CatalogObject, CatalogProblem, CodecError, ConstraintViolation,
    Dialect, DialectError, ErrorDetail, PagerError, TransactionAborted,
};

/// Errors from executing SQL or opening a database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SQL text does not parse.
    #[error("syntax error: {0}")]
    Syntax(String),
    /// A table, view or index that does not exist, described only in text (see
    /// [`Error::Catalog`] for the structured form).
    #[error("no such table: {0}")]
    NoSuchTable(String),
    /// A table, view or index that does not exist or already exists, as data, worded by
    /// the session's dialect.
    #[error("{0}")]
    Catalog(Worded<CatalogError>),
    /// A column that does not exist (or is ambiguous).
    #[error("{0}")]
    NoSuchColumn(String),
    /// A function that does not exist, or wrong arguments to one.
    #[error("{0}")]
    Function(String),
    /// An object that already exists.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// A type error found while binding.
    #[error("type error: {0}")]
    Type(String),
    /// A constraint failure described only in text (see [`Error::Violation`] for the
    /// structured form of NOT NULL, UNIQUE and PRIMARY KEY violations).
    #[error("constraint failed: {0}")]
    Constraint(String),
    /// A NOT NULL, UNIQUE or PRIMARY KEY constraint violated by the data: the table,
    /// columns and key, worded by the session's dialect.
    #[error("{0}")]
    Violation(Worded<ConstraintViolation>),
    /// An error while computing a value (overflow, invalid cast, ...).
    #[error("{0}")]
    Execution(String),
    /// Another transaction wrote the same row first; roll back and retry.
    #[error("serialization failure: {0}")]
    Conflict(String),
    /// A transaction-control mistake (COMMIT without BEGIN, statement in an aborted
    /// transaction, ...).
    #[error("{0}")]
    Transaction(String),
    /// A statement refused, or a `COMMIT` turned into a rollback, because an earlier
    /// statement failed in a transaction that must be rolled back.
    #[error("{0}")]
    Aborted(Worded<TransactionAborted>),
    /// SQL this engine does not support yet.
    #[error("not supported: {0}")]
    Unsupported(String),
    /// The storage layer failed.
    #[error("storage error: {0}")]
    Storage(#[from] PagerError),
    /// A stored chunk could not be decoded.
    #[error("storage error: {0}")]
    Codec(#[from] CodecError),
    /// The database file's metadata is damaged.
    #[error("corrupt database: {0}")]
    Corrupt(String),
    /// A dialect refused something.
    #[error("{0}")]
    Dialect(#[from] DialectError),
    /// An aggregate function failed.
    #[error("{0}")]
    Aggregate(#[from] AggregateError),
    /// An Arrow kernel failed.
    #[error("{0}")]
    Arrow(#[from] arrow::error::ArrowError),
}

/// A typed error detail and the message the session's dialect gave it.
///
/// `Display` shows the dialect's message once [`Error::worded_by`] has run (the session
/// does this for every error it returns), else the detail's default wording.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Worded<T> {
    detail: T,
    message: Option<String>,
}

impl<T> Worded<T> {
    /// The detail, with its default wording.
    pub fn new(detail: T) -> Self {
        Self {
            detail,
            message: None,
        }
    }

    /// The structured detail.
    pub fn detail(&self) -> &T {
        &self.detail
    }
}

impl<T> std::ops::Deref for Worded<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.detail
    }
}

impl<T: fmt::Display> fmt::Display for Worded<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.message {
            Some(m) => f.write_str(m),
            None => self.detail.fmt(f),
        }
    }
}

impl Error {
    /// A constraint violation, in its default wording.
    pub fn violation(detail: ConstraintViolation) -> Self {
        Error::Violation(Worded::new(detail))
    }

    /// A missing or existing catalog object, in its default wording.
    pub fn catalog(detail: CatalogError) -> Self {
        Error::Catalog(Worded::new(detail))
    }

    /// A missing catalog object of the given kind.
    pub fn not_found(object: CatalogObject, name: impl Into<String>) -> Self {
        Self::catalog(CatalogError {
            problem: CatalogProblem::NotFound,
            object,
            name: name.into(),
        })
    }

    /// A catalog object whose name is taken.
    pub fn already_exists(object: CatalogObject, name: impl Into<String>) -> Self {
        Self::catalog(CatalogError {
            problem: CatalogProblem::AlreadyExists,
            object,
            name: name.into(),
        })
    }

    /// A statement refused by an aborted transaction, in its default wording.
    pub fn aborted(detail: TransactionAborted) -> Self {
        Error::Aborted(Worded::new(detail))
    }

    /// The structured detail of this error, if it has one.
    pub fn detail(&self) -> Option<ErrorDetail<'_>> {
        match self {
            Error::Violation(w) => Some(ErrorDetail::Constraint(&w.detail)),
            Error::Catalog(w) => Some(ErrorDetail::Catalog(&w.detail)),
            Error::Aborted(w) => Some(ErrorDetail::TransactionAborted(w.detail)),
            _ => None,
        }
    }

    /// Gives a structured error the message `dialect` words it with
    /// ([`Dialect::error_message`]); other errors are returned unchanged.
    pub fn worded_by(mut self, dialect: &dyn Dialect) -> Self {
        let message = match self.detail() {
            Some(detail) => dialect.error_message(&detail),
            None => return self,
        };
        match &mut self {
            Error::Violation(w) => w.message = message,
            Error::Catalog(w) => w.message = message,
            Error::Aborted(w) => w.message = message,
            _ => {}
        }
        self
    }
}

impl From<sqlparser::parser::ParserError> for Error {
    fn from(e: sqlparser::parser::ParserError) -> Self {
        let msg = e.to_string();
        Error::Syntax(
            msg.strip_prefix("sql parser error: ")
                .unwrap_or(&msg)
                .to_owned(),
        )
    }
}

impl From<llkv_kernels::KernelError> for Error {
    fn from(e: llkv_kernels::KernelError) -> Self {
        match e {
            llkv_kernels::KernelError::Overflow { .. } => {
                Error::Execution("integer overflow".into())
            }
            llkv_kernels::KernelError::DivisionByZero => {
                Error::Execution("division by zero".into())
            }
            other => Error::Execution(other.to_string()),
        }
    }
}

/// The engine's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
