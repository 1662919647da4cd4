//! Tests of the sqllogictest runner: small files written to a temporary folder, run on the
//! reference engine and on a fake database that answers from the SQL text.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::RecordBatch;
use llkv_reference_engine::slt::{
    SltCounts, SltDatabase, SltFileReport, SltOptions, SltRows, collect_files, run_path,
    run_path_with, run_path_with_output, run_script,
};

fn counts(passed: u64, failed: u64, skipped: u64) -> SltCounts {
    SltCounts {
        passed,
        failed,
        skipped,
    }
}

fn options(dialect: &str) -> SltOptions {
    SltOptions {
        dialect: dialect.to_string(),
        ..SltOptions::default()
    }
}

/// Writes `text` to `name` in a new temporary folder and runs it on the reference engine.
fn run_engine(dialect: &str, text: &str) -> SltFileReport {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("case.test");
    std::fs::write(&path, text).expect("write test file");
    let summary = run_path(&path, &options(dialect)).expect("runs");
    assert_eq!(summary.files.len(), 1);
    summary.files.into_iter().next().expect("one report")
}

fn messages(report: &SltFileReport) -> String {
    report
        .failures
        .iter()
        .map(|f| format!("line {}: {}\n{}", f.line, f.message, f.sql))
        .collect::<Vec<_>>()
        .join("\n")
}

// ---------------------------------------------------------------------------------------
// On the reference engine.

#[test]
fn sqlite_format_records_pass() {
    let text = "# comment line\r\n\
        hash-threshold 100\r\n\
        \r\n\
        statement ok\r\n\
        CREATE TABLE t1(a INTEGER, b TEXT, c REAL)\r\n\
        \r\n\
        statement ok\r\n\
        INSERT INTO t1 VALUES (3, 'x', 1.5), (1, '', 0.25), (2, NULL, -2.0)\r\n\
        \r\n\
        statement error\r\n\
        SELECT * FROM no_such_table\r\n\
        \r\n\
        query I nosort\r\n\
        SELECT a FROM t1 ORDER BY a\r\n\
        ----\r\n\
        1\r\n\
        2\r\n\
        3\r\n\
        \r\n\
        query IT rowsort\r\n\
        SELECT a, b FROM t1\r\n\
        # a comment inside the results is dropped\r\n\
        ----\r\n\
        1\r\n\
        (empty)\r\n\
        2\r\n\
        NULL\r\n\
        3\r\n\
        x\r\n\
        \r\n\
        query R valuesort\r\n\
        SELECT c FROM t1\r\n\
        ----\r\n\
        -2.000\r\n\
        0.250\r\n\
        1.500\r\n\
        \r\n\
        query I nosort\r\n\
        SELECT a FROM t1 WHERE a > 10\r\n\
        \r\n\
        skipif sqlite # this engine is named sqlite\r\n\
        statement ok\r\n\
        THIS IS NOT SQL\r\n\
        \r\n\
        onlyif mysql\r\n\
        query I nosort\r\n\
        SELECT 'not for us'\r\n\
        ----\r\n\
        0\r\n\
        \r\n\
        onlyif sqlite\r\n\
        query I nosort\r\n\
        SELECT count(*) FROM t1\r\n\
        ----\r\n\
        3\r\n";
    let report = run_engine("sqlite", text);
    assert_eq!(report.counts, counts(8, 0, 0), "{}", messages(&report));
}

#[test]
fn a_failing_record_is_counted_and_the_file_goes_on() {
    let text = "statement ok\nCREATE TABLE t(a INTEGER)\n\n\
        statement ok\nINSERT INTO t VALUES (1), (2)\n\n\
        query I rowsort\nSELECT a FROM t\n----\n1\n3\n\n\
        statement ok\nSELECT * FROM no_such_table\n\n\
        statement error\nSELECT a FROM t\n\n\
        query II nosort\nSELECT a FROM t\n----\n1\n\n\
        query I nosort\nSELECT count(*) FROM t\n----\n2\n";
    let report = run_engine("sqlite", text);
    assert_eq!(report.counts, counts(3, 4, 0), "{}", messages(&report));
    let first = &report.failures[0];
    assert_eq!(first.line, 7);
    assert_eq!(first.sql, "SELECT a FROM t");
    assert!(
        first.message.starts_with("wrong result"),
        "{}",
        first.message
    );
    assert!(
        first.message.contains("expected:\n    1\n    3"),
        "{}",
        first.message
    );
    assert!(
        first.message.contains("actual:\n    1\n    2"),
        "{}",
        first.message
    );
    assert!(report.failures[1].message.starts_with("statement failed"));
    assert!(report.failures[2].message.contains("an error was expected"));
    assert!(
        report.failures[3]
            .message
            .contains("wrong number of columns")
    );
}

#[test]
fn results_are_compared_by_hash() {
    // md5("1\n2\n3\n") = c0710d6b4f15dfa88f600b0e6b624077
    let text = "statement ok\nCREATE TABLE t(a INTEGER)\n\n\
        statement ok\nINSERT INTO t VALUES (3), (1), (2)\n\n\
        query I rowsort\nSELECT a FROM t\n----\n3 values hashing to c0710d6b4f15dfa88f600b0e6b624077\n\n\
        hash-threshold 2\n\n\
        query I rowsort\nSELECT a FROM t\n----\n3 values hashing to c0710d6b4f15dfa88f600b0e6b624077\n\n\
        query I nosort\nSELECT a FROM t ORDER BY a DESC\n----\n3 values hashing to c0710d6b4f15dfa88f600b0e6b624077\n\n\
        query I rowsort\nSELECT a FROM t\n----\n1\n2\n3\n\n\
        query I rowsort\nSELECT a FROM t WHERE a < 3\n----\n1\n2\n";
    let report = run_engine("sqlite", text);
    // Sorted DESC the hash differs; over the threshold, listed values are not a hash.
    assert_eq!(report.counts, counts(5, 2, 0), "{}", messages(&report));
    assert!(report.failures[0].message.starts_with("wrong result hash"));
    assert_eq!(report.failures[0].line, 19);
    assert_eq!(report.failures[1].line, 24);
}

#[test]
fn labels_must_agree() {
    let text = "statement ok\nCREATE TABLE t(a INTEGER)\n\n\
        statement ok\nINSERT INTO t VALUES (1), (2)\n\n\
        query I rowsort label-1\nSELECT a FROM t\n----\n1\n2\n\n\
        query I rowsort label-1\nSELECT a + 0 FROM t\n----\n1\n2\n\n\
        query I rowsort label-1\nSELECT a + 1 FROM t\n----\n2\n3\n";
    let report = run_engine("sqlite", text);
    assert_eq!(report.counts, counts(4, 1, 0), "{}", messages(&report));
    assert!(report.failures[0].message.contains("label-1"));
}

#[test]
fn halt_skips_the_rest() {
    let text = "query I nosort\nSELECT 1\n----\n1\n\n\
        onlyif mssql\nhalt\n\n\
        query I nosort\nSELECT 2\n----\n2\n\n\
        halt\n\n\
        query I nosort\nSELECT 3\n----\n3\n\n\
        skipif sqlite\nstatement ok\nSELECT 4\n\n\
        statement ok\nSELECT 5\n";
    let report = run_engine("sqlite", text);
    assert_eq!(report.counts, counts(2, 0, 2), "{}", messages(&report));
}

#[test]
fn parse_errors_fail_the_remaining_records() {
    let text = "query I nosort\nSELECT 1\n----\n1\n\n\
        frobnicate now\n\n\
        query I nosort\nSELECT 2\n----\n2\n\n\
        statement ok\nSELECT 3\n";
    let report = run_engine("sqlite", text);
    assert_eq!(report.counts, counts(1, 2, 0), "{}", messages(&report));
    assert_eq!(report.failures[0].line, 6);
    assert!(report.failures[0].message.contains("parse error"));
    assert!(report.failures[0].message.contains("frobnicate"));
}

#[test]
fn duckdb_connections_loops_and_messages() {
    let text = "statement ok\nCREATE TABLE t(i INTEGER)\n\n\
        loop i 0 3\n\n\
        statement ok con1\nINSERT INTO t VALUES ({i})\n\n\
        endloop\n\n\
        foreach v 10 20\n\n\
        statement ok\nINSERT INTO t VALUES (${v})\n\n\
        endloop\n\n\
        query II con2\nSELECT count(*), sum(i) FROM t\n----\n5\t33\n\n\
        query I\nSELECT i FROM t ORDER BY i\n----\n0\n1\n2\n10\n20\n\n\
        query I sort\nSELECT i FROM t WHERE i >= 10\n----\n10\n20\n\n\
        skipif duckdb\nstatement ok\nNOT SQL\n\n\
        mode skip\n\n\
        statement ok\nNOT SQL EITHER\n\n\
        mode unskip\n\n\
        statement error\nSELECT * FROM no_such_table\n----\n<REGEX>:.*no_such_table.*\n";
    let report = run_engine("duckdb", text);
    assert_eq!(report.counts, counts(10, 0, 1), "{}", messages(&report));
}

#[test]
fn require_of_something_missing_skips_with_the_reason() {
    let text = "statement ok\nCREATE TABLE t(i INTEGER)\n\n\
        require parquet\n\n\
        statement ok\nSELECT * FROM read_parquet('x.parquet')\n\n\
        query I\nSELECT 1\n----\n1\n";
    let report = run_engine("duckdb", text);
    assert_eq!(report.counts, counts(1, 0, 2), "{}", messages(&report));
    assert_eq!(report.skip_reason.as_deref(), Some("require parquet"));

    let report = run_engine(
        "duckdb",
        "require skip_reload\n\nquery I\nSELECT 1\n----\n1\n",
    );
    assert_eq!(report.counts, counts(1, 0, 0), "{}", messages(&report));
}

#[test]
fn load_and_restart_reopen_a_durable_file() {
    let text = "load {TEST_DIR}/restart.db\n\n\
        statement ok\nCREATE TABLE t(i INTEGER)\n\n\
        statement ok\nINSERT INTO t VALUES (1), (2)\n\n\
        restart\n\n\
        query I\nSELECT sum(i) FROM t\n----\n3\n";
    let report = run_engine("duckdb", text);
    assert_eq!(report.counts, counts(3, 0, 0), "{}", messages(&report));
}

#[test]
fn folders_run_recursively_in_path_order() {
    let dir = tempfile::tempdir().expect("temp dir");
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(path, text).expect("write test file");
    };
    let ok = "query I\nSELECT 1\n----\n1\n";
    write("b.test", ok);
    write("a/z.slt", ok);
    write("a/y.test_slow", "query I\nSELECT 1\n----\n2\n");
    write("notes.txt", "not a test");
    let files = collect_files(dir.path()).expect("lists files");
    let names: Vec<PathBuf> = files
        .iter()
        .map(|f| f.strip_prefix(dir.path()).expect("inside").to_path_buf())
        .collect();
    assert_eq!(
        names,
        vec![
            PathBuf::from("a/y.test_slow"),
            PathBuf::from("a/z.slt"),
            PathBuf::from("b.test")
        ]
    );

    let mut out = Vec::new();
    let summary = run_path_with_output(dir.path(), &options("sqlite"), &mut out).expect("runs");
    assert_eq!(summary.counts, counts(2, 1, 0));
    let out = String::from_utf8(out).expect("utf-8");
    assert!(out.contains("y.test_slow:1: wrong result"), "{out}");
    assert!(out.ends_with("\n2 passed, 1 failed, 0 skipped\n"), "{out}");
    assert_eq!(out.lines().filter(|l| l.contains("passed")).count(), 1);

    // The same in parallel: same counts, same report order.
    let mut parallel = Vec::new();
    let opts = SltOptions {
        jobs: 3,
        verbose: true,
        ..options("sqlite")
    };
    let summary = run_path_with_output(dir.path(), &opts, &mut parallel).expect("runs");
    assert_eq!(summary.counts, counts(2, 1, 0));
    let parallel = String::from_utf8(parallel).expect("utf-8");
    let order: Vec<&str> = parallel
        .lines()
        .filter(|l| l.ends_with("skipped"))
        .collect();
    assert_eq!(order.len(), 4, "{parallel}");
    assert!(
        order[0].contains("y.test_slow") && order[2].contains("b.test"),
        "{parallel}"
    );
}

#[test]
fn quiet_prints_only_the_summary() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("x.test"), "query I\nSELECT 1\n----\n2\n").expect("write");
    let mut out = Vec::new();
    let opts = SltOptions {
        quiet: true,
        ..options("sqlite")
    };
    run_path_with_output(dir.path(), &opts, &mut out).expect("runs");
    assert_eq!(
        String::from_utf8(out).expect("utf-8"),
        "0 passed, 1 failed, 0 skipped\n"
    );
}

// ---------------------------------------------------------------------------------------
// On a fake database: `ROWS 1,a;2,b` returns rows (integers become an Int64 column, the
// rest text, NULL is null); a statement containing FAIL fails with its text; PANIC panics.

#[derive(Default)]
struct FakeDb {
    log: Vec<String>,
    events: Vec<String>,
}

fn fake_rows(spec: &str) -> SltRows {
    let rows: Vec<Vec<&str>> = if spec.is_empty() {
        Vec::new()
    } else {
        spec.split(';').map(|r| r.split(',').collect()).collect()
    };
    let cols = rows.first().map_or(1, Vec::len);
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for c in 0..cols {
        let column: Vec<Option<&str>> = rows
            .iter()
            .map(|r| r.get(c).copied().filter(|v| *v != "NULL"))
            .collect();
        if column.iter().flatten().all(|v| v.parse::<i64>().is_ok()) {
            let values: Int64Array = column
                .iter()
                .map(|v| v.and_then(|v| v.parse().ok()))
                .collect();
            fields.push(Field::new(format!("c{c}"), DataType::Int64, true));
            arrays.push(Arc::new(values));
        } else {
            fields.push(Field::new(format!("c{c}"), DataType::Utf8, true));
            arrays.push(Arc::new(StringArray::from(column)));
        }
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = RecordBatch::try_new(schema.clone(), arrays).expect("valid batch");
    SltRows {
        schema,
        batches: vec![batch],
    }
}

impl SltDatabase for FakeDb {
    fn statement(&mut self, connection: Option<&str>, sql: &str) -> Result<(), String> {
        self.log
            .push(format!("{}: {sql}", connection.unwrap_or("default")));
        if sql.contains("PANIC") {
            panic!("fake engine panic");
        }
        if sql.contains("FAIL") {
            return Err(format!("Catalog Error: {sql} did not work"));
        }
        Ok(())
    }

    fn query(&mut self, connection: Option<&str>, sql: &str) -> Result<SltRows, String> {
        self.log
            .push(format!("{}: {sql}", connection.unwrap_or("default")));
        match sql.strip_prefix("ROWS") {
            Some(spec) => Ok(fake_rows(spec.trim())),
            None => Err(format!("cannot answer {sql}")),
        }
    }

    fn load(&mut self, path: Option<&Path>) -> Result<(), String> {
        match path {
            Some(p) if p.to_string_lossy().contains("unopenable") => {
                Err("cannot open that".to_string())
            }
            Some(p) => {
                self.events.push(format!(
                    "load {}",
                    p.file_name()
                        .map(|n| n.to_string_lossy())
                        .unwrap_or_default()
                ));
                Ok(())
            }
            None => {
                self.events.push("load memory".to_string());
                Ok(())
            }
        }
    }

    fn restart(&mut self) -> Result<(), String> {
        self.events.push("restart".to_string());
        Ok(())
    }

    fn reconnect(&mut self) -> Result<(), String> {
        self.events.push("reconnect".to_string());
        Ok(())
    }
}

fn run_fake(dialect: &str, text: &str) -> (SltFileReport, FakeDb) {
    let mut db = FakeDb::default();
    let report = run_script(&mut db, Path::new("fake.test"), text, &options(dialect));
    (report, db)
}

#[test]
fn fake_connections_and_loop_substitution() {
    let text = "concurrentloop threadid 0 2\n\n\
        loop i 1 3\n\n\
        onlyif i<2\n\
        statement ok con1\nINSERT {threadid} {i}\n\n\
        skipif threadid=1\n\
        statement ok\nUPDATE {i}\n\n\
        endloop\n\nendloop\n\n\
        foreach a,b x,1 y,2\n\nstatement ok\nSET ${a} = {b}\n\nendloop\n";
    let (report, db) = run_fake("duckdb", text);
    assert_eq!(report.counts, counts(6, 0, 0), "{}", messages(&report));
    assert_eq!(
        db.log,
        vec![
            "con1: INSERT 0 1",
            "default: UPDATE 1",
            "default: UPDATE 2",
            "con1: INSERT 1 1",
            "default: SET x = 1",
            "default: SET y = 2",
        ]
    );
}

#[test]
fn fake_named_connections_are_passed_through() {
    let text =
        "statement ok con1\nBEGIN\n\nquery I con2\nROWS 1\n----\n1\n\nstatement ok\nCOMMIT\n";
    let (report, db) = run_fake("duckdb", text);
    assert_eq!(report.counts, counts(3, 0, 0), "{}", messages(&report));
    assert_eq!(
        db.log,
        vec!["con1: BEGIN", "con2: ROWS 1", "default: COMMIT"]
    );
}

#[test]
fn fake_statement_error_messages() {
    let text = "statement error\nFAIL 1\n----\nCatalog Error\n\n\
        statement error\nFAIL 2\n----\nBinder Error\n\n\
        statement error\nFAIL 3\n----\n<REGEX>:Catalog.*work\n\n\
        statement error\nFAIL 4\n----\n<!REGEX>:.*Binder.*\n\n\
        statement error\nFAIL 5\n\n\
        statement maybe\nFAIL 6\n----\ndid not work\n\n\
        statement maybe\nFAIL 7\n----\nConflict\n\n\
        statement maybe\nOK 8\n----\nConflict\n\n\
        statement error\nOK 9\n----\nanything\n";
    let (report, _) = run_fake("duckdb", text);
    assert_eq!(report.counts, counts(6, 3, 0), "{}", messages(&report));
    let lines: Vec<usize> = report.failures.iter().map(|f| f.line).collect();
    assert_eq!(lines, vec![6, 29, 39]);
    assert!(
        report.failures[0]
            .message
            .contains("expected: Binder Error")
    );
}

#[test]
fn fake_duckdb_value_comparison() {
    let text = "query IT\nROWS 1,true;2,hello world\n----\n1\ttrue\n2\thello world\n\n\
        query II\nROWS 294912,5\n----\n294912.000000\t5\n\n\
        query T\nROWS Index Scan on t\n----\n<REGEX>:.*Index Scan.*\n\n\
        query T\nROWS Seq Scan on t\n----\n<!REGEX>:.*Index Scan.*\n\n\
        query T\nROWS Seq Scan\n----\n<REGEX>:.*Index Scan.*\n\n\
        query I\nROWS 2\n----\n1.5\n\n\
        query III\nROWS 1,2,3;4,5,6\n----\n1\n2\n3\n4\n5\n6\n\n\
        query II\nROWS 1,2;3,4\n----\n1\t2\n";
    let (report, _) = run_fake("duckdb", text);
    assert_eq!(report.counts, counts(5, 3, 0), "{}", messages(&report));
    assert!(report.failures[2].message.contains("wrong row count"));
}

#[test]
fn fake_sqlite_comparison_is_textual() {
    let text = "query I\nROWS 294912\n----\n294912.000000\n\n\
        query T\nROWS tab\there\n----\ntab@here\n\n\
        query R\nROWS 2\n----\n2.000\n\n\
        query II valuesort\nROWS 10,2;1,9\n----\n1\n10\n2\n9\n\n\
        query II rowsort\nROWS 10,2;1,9\n----\n1\n9\n10\n2\n\n\
        query I\nROWS 1;10;2;9\n----\n4 values hashing to cda4c5ed63d83745df1a33d9f75c5ed0\n";
    let (report, _) = run_fake("sqlite", text);
    assert_eq!(report.counts, counts(5, 1, 0), "{}", messages(&report));
    assert_eq!(report.failures[0].line, 1);
}

#[test]
fn fake_query_errors_and_panics_fail_records_without_stopping() {
    let text = "query I\nNOT ROWS\n----\n1\n\n\
        statement ok\nPANIC now\n\n\
        query I\nROWS 1\n----\n1\n";
    let (report, _) = run_fake("sqlite", text);
    assert_eq!(report.counts, counts(1, 2, 0), "{}", messages(&report));
    assert!(
        report.failures[0]
            .message
            .starts_with("query failed: cannot answer")
    );
    assert!(
        report.failures[1]
            .message
            .contains("panicked: fake engine panic")
    );
}

#[test]
fn fake_load_restart_and_unsupported_directives() {
    let text = "load {TEST_DIR}/a.db\n\nstatement ok\nX\n\nrestart\n\nreconnect\n\nload\n\n\
        statement ok\nY\n";
    let (report, db) = run_fake("duckdb", text);
    assert_eq!(report.counts, counts(2, 0, 0), "{}", messages(&report));
    assert_eq!(
        db.events,
        vec!["load a.db", "restart", "reconnect", "load memory"]
    );

    // A load that fails fails itself and every record after it.
    let text = "statement ok\nX\n\nload /tmp/unopenable.db\n\nstatement ok\nY\n\nquery I\nROWS 1\n----\n1\n";
    let (report, db) = run_fake("duckdb", text);
    assert_eq!(report.counts, counts(1, 3, 0), "{}", messages(&report));
    assert_eq!(db.log, vec!["default: X"]);
    assert!(report.failures[0].message.starts_with("load failed"));

    // Records after a directive we cannot honour count as failed.
    let text = "include test/sql/setup.test_template\n\nstatement ok\nX\n";
    let (report, db) = run_fake("duckdb", text);
    assert_eq!(report.counts, counts(0, 2, 0), "{}", messages(&report));
    assert!(db.log.is_empty());
}

#[test]
fn fake_require_env_and_nested_skip() {
    let text = "require-env LLKV_SURELY_UNSET_VARIABLE\n\nstatement ok\nX\n";
    let (report, db) = run_fake("duckdb", text);
    assert_eq!(report.counts, counts(0, 0, 1));
    assert_eq!(
        report.skip_reason.as_deref(),
        Some("require-env LLKV_SURELY_UNSET_VARIABLE")
    );
    assert!(db.log.is_empty());

    let text = "mode skip\n\nmode skip\n\nstatement ok\nA\n\nmode unskip\n\nstatement ok\nB\n\n\
        mode unskip\n\nstatement ok\nC\n";
    let (report, db) = run_fake("duckdb", text);
    assert_eq!(report.counts, counts(1, 0, 2));
    assert_eq!(db.log, vec!["default: C"]);
}

#[test]
fn fake_databases_through_the_folder_runner() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("one.test"), "query I\nROWS 1\n----\n1\n").expect("write");
    std::fs::write(dir.path().join("two.test"), "statement ok\nFAIL\n").expect("write");
    let mut out = Vec::new();
    let opened = std::sync::atomic::AtomicUsize::new(0);
    let summary = run_path_with(
        dir.path(),
        &options("sqlite"),
        || {
            opened.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            Ok(FakeDb::default())
        },
        &mut out,
    )
    .expect("runs");
    assert_eq!(summary.counts, counts(1, 1, 0));
    assert_eq!(opened.into_inner(), 2, "a fresh database per file");

    let failing_open = run_path_with(
        dir.path(),
        &options("sqlite"),
        || Err::<FakeDb, _>("no database today".to_string()),
        &mut Vec::new(),
    )
    .expect("runs");
    assert_eq!(failing_open.counts, counts(0, 2, 0));
    assert!(
        failing_open.files[0].failures[0]
            .message
            .contains("no database today")
    );
}
