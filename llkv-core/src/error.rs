//! The engine's error type.
//!
//! Every user mistake is a typed variant whose message names the object involved, so a
//! caller can match on the kind and a person can read the message.

use llkv_traits::{AggregateError, CodecError, DialectError, PagerError};

/// Errors from executing SQL or opening a database.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The SQL text does not parse.
    #[error("syntax error: {0}")]
    Syntax(String),
    /// A table, view or index that does not exist.
    #[error("no such table: {0}")]
    NoSuchTable(String),
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
    /// A constraint violated by the data (NOT NULL, UNIQUE, PRIMARY KEY).
    #[error("constraint failed: {0}")]
    Constraint(String),
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
