//! LLKV core: the column store, catalog, MVCC, binder, planner and executor.
//!
//! Nothing here names a concrete pager, codec or dialect: a [`Database`] is opened over any
//! [`llkv_traits::Pager`] and [`llkv_traits::ColumnCodec`] (or lives in memory), and each
//! [`Session`] speaks a [`llkv_traits::Dialect`].
//!
//! ```
//! use std::sync::Arc;
//! # struct D(sqlparser::dialect::GenericDialect);
//! # impl llkv_traits::Dialect for D {
//! #     fn name(&self) -> &str { "generic" }
//! #     fn parser(&self) -> &dyn sqlparser::dialect::Dialect { &self.0 }
//! #     fn map_type(&self, _t: &sqlparser::ast::DataType) -> Result<arrow::datatypes::DataType, llkv_traits::DialectError> {
//! #         Ok(arrow::datatypes::DataType::Int64)
//! #     }
//! #     fn nulls_first(&self, descending: bool) -> bool { !descending }
//! # }
//! let db = llkv_core::Database::in_memory();
//! let mut session = llkv_core::Session::new(db, Arc::new(D(Default::default())));
//! session.execute("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2)").unwrap();
//! let rows = session.query("SELECT sum(a) FROM t").unwrap();
//! assert_eq!(rows.num_rows(), 1);
//! ```

pub mod binder;
pub mod catalog;
pub mod codec;
pub mod database;
pub mod error;
pub mod exec;
pub mod functions;
pub mod plan;
pub mod session;
mod stack;
pub mod storage;
pub mod txn;

pub use database::Database;
pub use error::{Error, Result};
pub use session::{PreparedStatement, QueryResult, Session, StatementResult};
