//! [`SltDatabase`] for the reference [`Engine`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;

use super::{SltDatabase, SltRows};
use crate::cli::open_engine;
use crate::{Engine, Session, StatementResult};

/// Drives an [`Engine`]: one [`Session`] per connection name, created on first use.
pub struct EngineDatabase {
    dialect: String,
    /// `None` between closing and reopening, or after a reopen failed.
    engine: Option<Engine>,
    /// The durable file, if the database was loaded from one.
    path: Option<PathBuf>,
    default: Option<Session>,
    named: HashMap<String, Session>,
}

impl EngineDatabase {
    /// Opens a fresh in-memory database of the dialect `sqlite` or `duckdb`.
    pub fn open(dialect: &str) -> Result<Self, String> {
        let engine = open_engine(dialect, None)?;
        Ok(Self {
            dialect: dialect.to_string(),
            engine: Some(engine),
            path: None,
            default: None,
            named: HashMap::new(),
        })
    }

    fn session(&mut self, connection: Option<&str>) -> Result<&mut Session, String> {
        let Some(engine) = &self.engine else {
            return Err("the database is closed (a reopen failed)".to_string());
        };
        Ok(match connection {
            None => self.default.get_or_insert_with(|| engine.session()),
            Some(name) => self
                .named
                .entry(name.to_string())
                .or_insert_with(|| engine.session()),
        })
    }

    fn reopen(&mut self, path: Option<PathBuf>) -> Result<(), String> {
        // Close everything before opening again: a durable file is opened once at a time.
        self.default = None;
        self.named.clear();
        self.engine = None;
        self.engine = Some(open_engine(&self.dialect, path.as_deref())?);
        self.path = path;
        Ok(())
    }
}

impl SltDatabase for EngineDatabase {
    fn statement(&mut self, connection: Option<&str>, sql: &str) -> Result<(), String> {
        self.session(connection)?
            .execute(sql)
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    fn query(&mut self, connection: Option<&str>, sql: &str) -> Result<SltRows, String> {
        let duckdb = self.dialect.eq_ignore_ascii_case("duckdb");
        let mut results = self
            .session(connection)?
            .execute(sql)
            .map_err(|e| e.to_string())?;
        match results.pop() {
            Some(StatementResult::Query(result)) => Ok(SltRows {
                schema: result.schema,
                batches: result.batches,
            }),
            // DuckDB answers INSERT/UPDATE/DELETE with one `Count` column.
            Some(StatementResult::Affected { rows, .. }) if duckdb => {
                let schema = Arc::new(Schema::new(vec![Field::new(
                    "Count",
                    DataType::Int64,
                    false,
                )]));
                let count = i64::try_from(rows).unwrap_or(i64::MAX);
                let column: ArrayRef = Arc::new(Int64Array::from(vec![count]));
                let batch = RecordBatch::try_new(schema.clone(), vec![column])
                    .map_err(|e| e.to_string())?;
                Ok(SltRows {
                    schema,
                    batches: vec![batch],
                })
            }
            // Other statements return no columns (SQLite's runner then reports the column
            // count mismatch).
            Some(_) => Ok(SltRows {
                schema: Arc::new(Schema::empty()),
                batches: Vec::new(),
            }),
            None => Err("the query text holds no statement".to_string()),
        }
    }

    fn load(&mut self, path: Option<&Path>) -> Result<(), String> {
        self.reopen(path.map(Path::to_path_buf))
    }

    fn restart(&mut self) -> Result<(), String> {
        let path = self.path.clone();
        self.reopen(path)
    }

    fn reconnect(&mut self) -> Result<(), String> {
        self.default = None;
        self.named.clear();
        Ok(())
    }
}
