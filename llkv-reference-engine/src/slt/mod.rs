//! The sqllogictest runner behind `llkv --slt PATH`.
//!
//! It runs one file or every `.test`, `.test_slow` and `.slt` file under a folder (sorted by
//! path), each on a fresh database, and counts records: every `statement` and `query` record
//! that applies to the engine is one. A record excluded by `skipif`/`onlyif` does not count;
//! records not run because of a `require` the engine does not meet, `mode skip` or `halt`
//! count as skipped; records after a parse error or a failed `load`/`restart` count as
//! failed.
//!
//! Results are compared exactly as the formats define them, without tolerance:
//! SQLite's format (type letters, `%.3f`, `NULL`, `(empty)`, `@` for unprintable bytes,
//! `rowsort`/`valuesort`, `hash-threshold` and `values hashing to`) and DuckDB's extensions
//! (connection names, `statement error` messages, `require`, `load`/`restart`, loops,
//! `mode skip`, `<REGEX>:` values, tab-separated rows). The engine name used by
//! `skipif`/`onlyif` is the dialect name; with `duckdb`, values are rendered and compared the
//! way DuckDB's runner does (see `format.rs`).
//!
//! The parser is our own rather than the `sqllogictest` crate's: the corpora need SQLite's
//! comment and condition rules and DuckDB's extensions (loops with `{i}`, `statement maybe`,
//! connection names in the record header, `require`, `load`), and the runner must be
//! synchronous and cheap per record.
//!
//! The database sits behind the small [`SltDatabase`] trait, so the runner can be tested with
//! a fake; [`EngineDatabase`] drives the reference [`Engine`](crate::Engine).

mod engine_db;
mod format;
mod parser;
mod runner;

use std::collections::BTreeMap;
use std::fmt;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;

pub use engine_db::EngineDatabase;

/// A database the runner drives. Connections are named by DuckDB-style records
/// (`statement ok con1`); `None` is the default connection.
pub trait SltDatabase {
    /// Runs `sql` (one or more statements) on a connection. Any result rows are discarded.
    fn statement(&mut self, connection: Option<&str>, sql: &str) -> Result<(), String>;

    /// Runs `sql` on a connection and returns the rows of its (last) statement.
    fn query(&mut self, connection: Option<&str>, sql: &str) -> Result<SltRows, String>;

    /// Closes every connection and reopens the database on `path` (a durable file, created
    /// if missing), or on a fresh in-memory database when `path` is `None`.
    fn load(&mut self, path: Option<&Path>) -> Result<(), String>;

    /// Closes every connection and the database, then reopens the same database (the same
    /// file, or a fresh in-memory database).
    fn restart(&mut self) -> Result<(), String>;

    /// Closes every connection; later records open new ones.
    fn reconnect(&mut self) -> Result<(), String>;
}

/// The rows of a query, as Arrow data.
#[derive(Debug, Clone)]
pub struct SltRows {
    /// Result schema: one field per column.
    pub schema: SchemaRef,
    /// Result batches, in order.
    pub batches: Vec<RecordBatch>,
}

/// Options of a run.
#[derive(Debug, Clone)]
pub struct SltOptions {
    /// Dialect, which is also the engine name for `skipif`/`onlyif`: `sqlite` or `duckdb`.
    pub dialect: String,
    /// Print only the summary line.
    pub quiet: bool,
    /// Also print one line of counts per file.
    pub verbose: bool,
    /// How many failures are described per file (the others are only counted).
    pub max_failures_shown: usize,
    /// How many files run at once (each on its own database).
    pub jobs: usize,
}

impl Default for SltOptions {
    fn default() -> Self {
        Self {
            dialect: "sqlite".to_string(),
            quiet: false,
            verbose: false,
            max_failures_shown: 10,
            jobs: 1,
        }
    }
}

/// Record counts.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SltCounts {
    /// Records that ran and gave the expected outcome.
    pub passed: u64,
    /// Records that ran and did not, or that could not run because the file is broken.
    pub failed: u64,
    /// Records not run because of `require`, `mode skip` or `halt`.
    pub skipped: u64,
}

impl SltCounts {
    fn add(&mut self, other: SltCounts) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
    }
}

impl fmt::Display for SltCounts {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} passed, {} failed, {} skipped",
            self.passed, self.failed, self.skipped
        )
    }
}

/// One failed record (or a problem with the file itself, with an empty `sql`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SltFailure {
    /// 1-based line of the record in its file.
    pub line: usize,
    /// The SQL that ran (after loop-variable substitution); empty for file problems.
    pub sql: String,
    /// What went wrong, with expected and actual results where there are any.
    pub message: String,
}

/// The outcome of one file.
#[derive(Debug, Clone)]
pub struct SltFileReport {
    /// The file.
    pub path: PathBuf,
    /// Its record counts.
    pub counts: SltCounts,
    /// Why the file was (partly) skipped, e.g. `require parquet`.
    pub skip_reason: Option<String>,
    /// The first failures (at most [`SltOptions::max_failures_shown`]).
    pub failures: Vec<SltFailure>,
}

/// The outcome of a run.
#[derive(Debug, Clone, Default)]
pub struct SltSummary {
    /// Counts over all files.
    pub counts: SltCounts,
    /// One report per file, in path order.
    pub files: Vec<SltFileReport>,
}

impl SltSummary {
    fn add(&mut self, report: SltFileReport) {
        self.counts.add(report.counts);
        self.files.push(report);
    }
}

/// Errors that stop a whole run.
#[derive(Debug)]
pub enum SltError {
    /// The path to run does not exist.
    NotFound(PathBuf),
    /// A folder could not be listed.
    Io {
        /// The folder.
        path: PathBuf,
        /// The error.
        source: io::Error,
    },
    /// The report could not be written.
    Output(io::Error),
}

impl fmt::Display for SltError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SltError::NotFound(path) => write!(f, "no such file or folder: {}", path.display()),
            SltError::Io { path, source } => write!(f, "cannot read {}: {source}", path.display()),
            SltError::Output(e) => write!(f, "cannot write the report: {e}"),
        }
    }
}

impl std::error::Error for SltError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SltError::NotFound(_) => None,
            SltError::Io { source, .. } | SltError::Output(source) => Some(source),
        }
    }
}

/// Lists the test files to run: `path` itself if it is a file, else every `.test`,
/// `.test_slow` and `.slt` file under it (recursively), sorted by path.
pub fn collect_files(path: &Path) -> Result<Vec<PathBuf>, SltError> {
    let metadata = std::fs::metadata(path).map_err(|_| SltError::NotFound(path.to_path_buf()))?;
    if !metadata.is_dir() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut files = Vec::new();
    let mut folders = vec![path.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let entries = std::fs::read_dir(&folder).map_err(|source| SltError::Io {
            path: folder.clone(),
            source,
        })?;
        for entry in entries {
            let entry = entry.map_err(|source| SltError::Io {
                path: folder.clone(),
                source,
            })?;
            let entry_path = entry.path();
            if entry_path.is_dir() {
                folders.push(entry_path);
            } else if matches!(
                entry_path.extension().and_then(|e| e.to_str()),
                Some("test" | "test_slow" | "slt")
            ) {
                files.push(entry_path);
            }
        }
    }
    files.sort();
    Ok(files)
}

/// Runs the text of one test file on `db` (which should be fresh) and returns its report.
pub fn run_script<D: SltDatabase>(
    db: &mut D,
    path: &Path,
    text: &str,
    options: &SltOptions,
) -> SltFileReport {
    runner::run_file_text(db, path, text, &options.dialect, options.max_failures_shown)
}

/// Runs a file or folder on the reference engine, printing nothing.
pub fn run_path(path: &Path, options: &SltOptions) -> Result<SltSummary, SltError> {
    run_path_with_output(path, options, &mut io::sink())
}

/// Runs a file or folder on the reference engine, writing failures (and, unless
/// [`SltOptions::quiet`], per-file notes) to `out`, then the summary line
/// `N passed, N failed, N skipped`.
pub fn run_path_with_output(
    path: &Path,
    options: &SltOptions,
    out: &mut dyn Write,
) -> Result<SltSummary, SltError> {
    let dialect = options.dialect.clone();
    run_path_with(path, options, move || EngineDatabase::open(&dialect), out)
}

/// Runs a file or folder on databases made by `open` (one per file), writing the report
/// like [`run_path_with_output`].
pub fn run_path_with<D, F>(
    path: &Path,
    options: &SltOptions,
    open: F,
    out: &mut dyn Write,
) -> Result<SltSummary, SltError>
where
    D: SltDatabase,
    F: Fn() -> Result<D, String> + Sync,
{
    let files = collect_files(path)?;
    let mut summary = SltSummary::default();
    let jobs = options.jobs.clamp(1, files.len().max(1));
    // Files run on worker threads with the main thread's stack size (deeply nested
    // queries recurse in the binder and evaluator, more so in debug builds), even one.
    let mut started = 0;
    {
        let next = AtomicUsize::new(0);
        let (sender, receiver) = mpsc::channel();
        let mut written: io::Result<()> = Ok(());
        std::thread::scope(|scope| {
            for _ in 0..jobs {
                let sender = sender.clone();
                let (next, files, open) = (&next, &files, &open);
                // Deeply nested queries recurse in the binder and evaluator: give workers
                // the main thread's stack size rather than the 2 MiB default.
                let worker = std::thread::Builder::new()
                    .stack_size(8 << 20)
                    .spawn_scoped(scope, move || {
                        loop {
                            let index = next.fetch_add(1, Ordering::Relaxed);
                            let Some(file) = files.get(index) else {
                                break;
                            };
                            let report = run_one_file(file, options, open);
                            if sender.send((index, report)).is_err() {
                                break;
                            }
                        }
                    });
                if worker.is_err() {
                    // Could not start another worker: the ones running take all files.
                    break;
                }
                started += 1;
            }
            drop(sender);
            // Print reports in path order as they complete.
            let mut pending = BTreeMap::new();
            let mut next_to_print = 0;
            for (index, report) in receiver {
                pending.insert(index, report);
                while let Some(report) = pending.remove(&next_to_print) {
                    if written.is_ok() {
                        written = write_file_report(out, &report, options);
                    }
                    summary.add(report);
                    next_to_print += 1;
                }
            }
        });
        written.map_err(SltError::Output)?;
    }
    if started == 0 {
        // No thread could start: run here.
        for file in &files {
            let report = run_one_file(file, options, &open);
            write_file_report(out, &report, options).map_err(SltError::Output)?;
            summary.add(report);
        }
    }
    writeln!(out, "{}", summary.counts).map_err(SltError::Output)?;
    out.flush().map_err(SltError::Output)?;
    Ok(summary)
}

fn run_one_file<D, F>(file: &Path, options: &SltOptions, open: &F) -> SltFileReport
where
    D: SltDatabase,
    F: Fn() -> Result<D, String>,
{
    let broken = |counts: SltCounts, message: String| SltFileReport {
        path: file.to_path_buf(),
        counts,
        skip_reason: None,
        failures: vec![SltFailure {
            line: 0,
            sql: String::new(),
            message,
        }],
    };
    let bytes = match std::fs::read(file) {
        Ok(bytes) => bytes,
        Err(e) => {
            let counts = SltCounts {
                failed: 1,
                ..SltCounts::default()
            };
            return broken(counts, format!("cannot read the file: {e}"));
        }
    };
    let text = String::from_utf8_lossy(&bytes);
    match open() {
        Ok(mut db) => run_script(&mut db, file, &text, options),
        Err(e) => {
            let records = parser::count_records(&text).max(1);
            let counts = SltCounts {
                failed: u64::try_from(records).unwrap_or(u64::MAX),
                ..SltCounts::default()
            };
            broken(
                counts,
                format!("cannot open a database: {e}; all {records} record(s) counted as failed"),
            )
        }
    }
}

/// Writes what a file's report has to say: its failures (with the SQL, expected and actual
/// results), its skip reason, and with [`SltOptions::verbose`] its counts. Nothing when
/// [`SltOptions::quiet`].
pub fn write_file_report(
    out: &mut dyn Write,
    report: &SltFileReport,
    options: &SltOptions,
) -> io::Result<()> {
    if options.quiet {
        return Ok(());
    }
    let path = report.path.display();
    for failure in &report.failures {
        let mut lines = failure.message.lines();
        writeln!(
            out,
            "{path}:{}: {}",
            failure.line,
            lines.next().unwrap_or("failed")
        )?;
        if !failure.sql.is_empty() {
            writeln!(out, "  sql:")?;
            for line in failure.sql.lines() {
                writeln!(out, "    {line}")?;
            }
        }
        for line in lines {
            writeln!(out, "{line}")?;
        }
    }
    let shown = u64::try_from(report.failures.len()).unwrap_or(u64::MAX);
    if report.counts.failed > shown {
        writeln!(
            out,
            "{path}: {} more failure(s) not shown",
            report.counts.failed - shown
        )?;
    }
    if let Some(reason) = &report.skip_reason {
        writeln!(out, "{path}: skipped ({reason})")?;
    }
    if options.verbose {
        writeln!(out, "{path}: {}", report.counts)?;
    }
    Ok(())
}
