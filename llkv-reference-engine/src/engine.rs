//! [`Engine`] and [`Session`]: the defaults assembled.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::sync::Arc;

use llkv_core::Database;
use llkv_traits::{AggregateFunction, Dialect};

use crate::dialects::{DuckDbDialect, SqliteDialect};

use llkv_pagers::FilePagerOptions;
pub use llkv_pagers::SyncMode;

pub use llkv_core::{Error, PreparedStatement, QueryResult, StatementResult};
pub use llkv_traits::ScalarValue;

/// The built-in dialects.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DialectKind {
    /// [`SqliteDialect`] (the default).
    #[default]
    Sqlite,
    /// [`DuckDbDialect`].
    DuckDb,
}

impl DialectKind {
    /// A fresh instance of the dialect.
    pub fn dialect(self) -> Arc<dyn Dialect> {
        match self {
            DialectKind::Sqlite => Arc::new(SqliteDialect::new()),
            DialectKind::DuckDb => Arc::new(DuckDbDialect::new()),
        }
    }
}

impl FromStr for DialectKind {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        match s.to_ascii_lowercase().as_str() {
            "sqlite" => Ok(DialectKind::Sqlite),
            "duckdb" => Ok(DialectKind::DuckDb),
            other => Err(Error::Unsupported(format!(
                "dialect {other} (choose sqlite or duckdb)"
            ))),
        }
    }
}

/// Builds an [`Engine`].
#[derive(Default)]
pub struct EngineBuilder {
    dialect: Option<Arc<dyn Dialect>>,
    path: Option<PathBuf>,
    synchronous: Option<SyncMode>,
}

impl EngineBuilder {
    /// Uses a built-in dialect.
    pub fn dialect(mut self, kind: DialectKind) -> Self {
        self.dialect = Some(kind.dialect());
        self
    }

    /// Uses any dialect.
    pub fn custom_dialect(mut self, dialect: Arc<dyn Dialect>) -> Self {
        self.dialect = Some(dialect);
        self
    }

    /// Stores the database in this file (created if missing). Without a path the
    /// database lives in memory.
    pub fn path(mut self, path: impl AsRef<Path>) -> Self {
        self.path = Some(path.as_ref().to_owned());
        self
    }

    /// When a durable database's commits reach the disk: [`SyncMode::Full`] (the
    /// default: a commit returns once it is durable; concurrent commits share an fsync),
    /// [`SyncMode::Normal`] (when [`Engine::sync`] is called or
    /// the engine closes; a crash may lose the latest commits, never part of one) or
    /// [`SyncMode::Off`] (left to the operating system).
    pub fn synchronous(mut self, mode: SyncMode) -> Self {
        self.synchronous = Some(mode);
        self
    }

    /// Opens the engine.
    pub fn build(self) -> Result<Engine, Error> {
        let db = match &self.path {
            None => Database::in_memory(),
            Some(p) => {
                // Full: the pager writes without syncing and the engine syncs after each
                // commit outside its commit lock, so concurrent commits share an fsync.
                let mode = self.synchronous.unwrap_or(SyncMode::Full);
                let pager_mode = match mode {
                    SyncMode::Full => SyncMode::Normal,
                    other => other,
                };
                let options = FilePagerOptions::new().sync_mode(pager_mode);
                let pager = llkv_pagers::FilePager::open_with(p, options)?;
                let db = Database::open(pager, llkv_core::codec::ArrowCodec)?;
                db.set_sync_on_commit(mode == SyncMode::Full);
                db
            }
        };
        Ok(Engine {
            db,
            dialect: self
                .dialect
                .unwrap_or_else(|| DialectKind::Sqlite.dialect()),
            path: self.path,
        })
    }
}

/// An open database with a dialect. Clone it freely: clones share the database.
#[derive(Clone)]
pub struct Engine {
    db: Arc<Database>,
    dialect: Arc<dyn Dialect>,
    path: Option<PathBuf>,
}

impl std::fmt::Debug for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Engine")
            .field("dialect", &self.dialect.name())
            .field("path", &self.path)
            .finish()
    }
}

impl Engine {
    /// An in-memory database speaking SQLite's dialect.
    pub fn in_memory() -> Result<Self, Error> {
        Self::builder().build()
    }

    /// A durable database in `path` (created if missing), speaking SQLite's dialect.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, Error> {
        Self::builder().path(path).build()
    }

    /// A builder for other settings.
    pub fn builder() -> EngineBuilder {
        EngineBuilder::default()
    }

    /// A new session (connection) with its own transaction state.
    pub fn session(&self) -> Session {
        Session {
            inner: llkv_core::Session::new(self.db.clone(), self.dialect.clone()),
        }
    }

    /// The dialect's name (`"sqlite"` or `"duckdb"` for the built-ins).
    pub fn dialect_name(&self) -> &str {
        self.dialect.name()
    }

    /// The database file, if the engine is durable.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Registers an aggregate function; SQL then finds it by name.
    pub fn register_aggregate(&self, f: Arc<dyn AggregateFunction>) {
        self.db.register_aggregate(f);
    }

    /// The underlying database.
    pub fn database(&self) -> &Arc<Database> {
        &self.db
    }

    /// Makes every commit so far durable (needed with [`SyncMode::Normal`]; a no-op in
    /// memory).
    pub fn sync(&self) -> Result<(), Error> {
        self.db.sync()
    }
}

/// One connection: runs SQL, with its own transaction state.
#[derive(Debug)]
pub struct Session {
    inner: llkv_core::Session,
}

impl Session {
    /// Runs every statement of `sql` in order; stops at the first error.
    pub fn execute(&mut self, sql: &str) -> Result<Vec<StatementResult>, Error> {
        self.inner.execute(sql)
    }

    /// Runs one query and returns its rows.
    pub fn query(&mut self, sql: &str) -> Result<QueryResult, Error> {
        self.inner.query(sql)
    }

    /// Parses one statement with `?`, `?N` or `$N` placeholders, to run many times with
    /// [`Session::execute_prepared`] or [`Session::query_prepared`]. A query, `UPDATE` or
    /// `DELETE` is bound once per set of value types and reused while the schema stays
    /// the same.
    ///
    /// ```
    /// use llkv_reference_engine::{Engine, ScalarValue};
    /// let engine = Engine::in_memory()?;
    /// let mut s = engine.session();
    /// s.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v VARCHAR)")?;
    /// let mut insert = s.prepare("INSERT INTO t VALUES (?, ?)")?;
    /// for (id, v) in [(1, "a"), (2, "b")] {
    ///     let values = [ScalarValue::Int64(Some(id)), ScalarValue::Utf8(Some(v.into()))];
    ///     s.execute_prepared(&mut insert, &values)?;
    /// }
    /// let mut lookup = s.prepare("SELECT v FROM t WHERE id = ?1")?;
    /// let rows = s.query_prepared(&mut lookup, &[ScalarValue::Int64(Some(2))])?;
    /// assert_eq!(rows.num_rows(), 1);
    /// # Ok::<(), llkv_reference_engine::Error>(())
    /// ```
    pub fn prepare(&self, sql: &str) -> Result<PreparedStatement, Error> {
        self.inner.prepare(sql)
    }

    /// Runs a prepared statement with `values` for its parameters (`values[0]` is `?1`).
    pub fn execute_prepared(
        &mut self,
        statement: &mut PreparedStatement,
        values: &[ScalarValue],
    ) -> Result<StatementResult, Error> {
        self.inner.execute_prepared(statement, values)
    }

    /// Runs a prepared query and returns its rows.
    pub fn query_prepared(
        &mut self,
        statement: &mut PreparedStatement,
        values: &[ScalarValue],
    ) -> Result<QueryResult, Error> {
        self.inner.query_prepared(statement, values)
    }

    /// Names of the tables and views, sorted.
    pub fn table_names(&self) -> Vec<String> {
        self.inner.table_names().unwrap_or_default()
    }

    /// The statement that created a table or view (for `.schema`).
    pub fn table_ddl(&self, name: &str) -> Option<String> {
        self.inner
            .table_meta(name)
            .ok()
            .flatten()
            .map(|m| m.sql.clone())
    }

    /// True inside `BEGIN ... COMMIT`.
    pub fn in_transaction(&self) -> bool {
        self.inner.in_transaction()
    }

    /// The core session, for lower-level use.
    pub fn core(&mut self) -> &mut llkv_core::Session {
        &mut self.inner
    }
}
