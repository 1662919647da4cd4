//! The LLKV reference engine: the defaults assembled into an embedded SQL database.
//!
//! - [`Engine`]: an in-memory database or a durable single-file one
//!   ([`llkv_pagers::FilePager`]), with a dialect ([`dialects::SqliteDialect`] by default,
//!   or [`dialects::DuckDbDialect`]);
//! - [`Session`]: one connection with its own transaction state; results are Arrow
//!   `RecordBatch`es;
//! - [`cli`] and [`slt`]: the `llkv` command-line shell and its sqllogictest runner.
//!
//! ```
//! use llkv_reference_engine::Engine;
//!
//! let engine = Engine::in_memory().unwrap();
//! let mut session = engine.session();
//! session.execute("CREATE TABLE t (a INTEGER, b TEXT); INSERT INTO t VALUES (1, 'x'), (2, NULL)").unwrap();
//! let result = session.query("SELECT count(*), count(b) FROM t").unwrap();
//! assert_eq!(result.num_rows(), 1);
//! ```

pub mod cli;
pub mod dialects;
mod engine;
pub mod slt;

pub use cli::{is_complete, split_statements};
pub use engine::{
    DialectKind, Engine, EngineBuilder, Error, PreparedStatement, QueryResult, ScalarValue,
    Session, StatementResult, SyncMode,
};
