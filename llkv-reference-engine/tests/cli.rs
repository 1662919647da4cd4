//! Tests of the `llkv` command: the built binary run as a process, and the shell's line
//! handling driven directly (the REPL feeds the same `Shell` one line at a time).

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use llkv_reference_engine::Engine;
use llkv_reference_engine::cli::{OutputMode, Shell, is_complete, split_statements};

fn llkv() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_llkv"));
    // Keep the tests away from the user's history file.
    command.env_remove("HOME");
    command
}

/// Runs `llkv args...` with `stdin` as its standard input.
fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = llkv()
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the llkv binary starts");
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes())
        .expect("stdin takes the script");
    child.wait_with_output().expect("llkv finishes")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn script_continues_after_an_error_and_exits_1() {
    let script = "CREATE TABLE t(a INTEGER);\n\
                  INSERT INTO t VALUES (1);\n\
                  SELECT * FROM missing_table;\n\
                  INSERT INTO t VALUES (2);\n\
                  .mode csv\n\
                  SELECT a FROM t ORDER BY a;\n";
    let output = run(&[], script);
    assert_eq!(output.status.code(), Some(1), "stderr: {}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains("Error: "), "{err}");
    assert!(
        err.contains("in statement: SELECT * FROM missing_table"),
        "{err}"
    );
    assert_eq!(stdout(&output), "a\n1\n2\n");
}

#[test]
fn bail_stops_at_the_first_error() {
    let script = "CREATE TABLE t(a INTEGER);\n\
                  SELECT * FROM missing_table;\n\
                  INSERT INTO t VALUES (2);\n";
    for flag in ["-bail", "--bail"] {
        let output = run(
            &[flag, "--mode", "csv"],
            &format!("{script}SELECT count(*) AS n FROM t;\n"),
        );
        assert_eq!(output.status.code(), Some(1));
        assert_eq!(stdout(&output), "", "nothing after the error runs");
        assert_eq!(stderr(&output).matches("Error: ").count(), 1);
    }
}

#[test]
fn clean_script_exits_0_and_prints_nothing_for_statements() {
    let output = run(
        &[],
        "CREATE TABLE t(a INTEGER);\nINSERT INTO t VALUES (1);\n",
    );
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "");
    assert_eq!(stderr(&output), "");
}

#[test]
fn statements_span_lines_and_the_last_needs_no_semicolon() {
    let script = "CREATE TABLE t(\n  a INTEGER,\n  b TEXT\n);\nINSERT INTO t VALUES (1, 'x;y'); INSERT INTO t VALUES (2, 'z');\nSELECT b\nFROM t\nORDER BY a";
    let output = run(&["--mode", "csv"], script);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "b\nx;y\nz\n");
}

#[test]
fn command_option_runs_several_statements() {
    let output = run(
        &[
            "-c",
            "CREATE TABLE t(a INTEGER); INSERT INTO t VALUES (7); SELECT a FROM t;",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let out = stdout(&output);
    assert!(out.contains("| a |"), "table mode by default: {out}");
    assert!(out.contains("| 7 |"), "{out}");

    let output = run(&["--command", "SELECT * FROM nowhere"], "");
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("in statement: SELECT * FROM nowhere"));
}

#[test]
fn a_database_file_persists_across_processes() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("test.llkv");
    let file = file.to_str().expect("utf-8 path");
    let output = run(
        &[file],
        "CREATE TABLE t(a INTEGER, b TEXT);\nINSERT INTO t VALUES (1, 'one'), (2, 'two');\n",
    );
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert!(Path::new(file).exists());

    let output = run(
        &[file, "--mode", "csv", "-c", "SELECT a, b FROM t ORDER BY a"],
        "",
    );
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "a,b\n1,one\n2,two\n");
}

#[test]
fn dot_commands_in_scripts() {
    let script = "CREATE TABLE beta(x INTEGER);\nCREATE TABLE alpha(y TEXT);\n\
                  .tables\n.schema alpha\n.mode tsv\nSELECT 1 AS one, 'a' AS two;\n\
                  .mode line\nSELECT 1 AS one, 'a' AS two;\n";
    let output = run(&[], script);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let out = stdout(&output);
    assert!(out.starts_with("alpha\nbeta\n"), "{out}");
    let schema_line = out.lines().nth(2).unwrap_or_default();
    assert!(
        schema_line.to_ascii_uppercase().contains("CREATE TABLE") && schema_line.contains("alpha"),
        "{out}"
    );
    assert!(schema_line.ends_with(';'), "{out}");
    assert!(out.contains("one\ttwo\n1\ta\n"), "{out}");
    assert!(out.ends_with("one = 1\ntwo = a\n"), "{out}");
}

#[test]
fn schema_lists_every_table_and_mode_csv_quotes() {
    let script = "CREATE TABLE t1(a INTEGER);\nCREATE TABLE t2(b TEXT);\n.schema\n\
                  .mode csv\nSELECT 'x,y' AS v;\n";
    let output = run(&[], script);
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let out = stdout(&output);
    let ddl: Vec<&str> = out.lines().take(2).collect();
    assert!(ddl[0].contains("t1") && ddl[1].contains("t2"), "{out}");
    assert!(out.ends_with("v\n\"x,y\"\n"), "{out}");
}

#[test]
fn unknown_dot_command_is_an_error_and_the_script_goes_on() {
    let output = run(&["--mode", "csv"], ".frobnicate\nSELECT 2 AS n;\n");
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("unknown command: .frobnicate"));
    assert_eq!(stdout(&output), "n\n2\n");
}

#[test]
fn timer_prints_run_time() {
    let output = run(
        &[],
        ".timer on\nCREATE TABLE t(a INTEGER);\n.timer off\nCREATE TABLE u(a INTEGER);\n",
    );
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    let out = stdout(&output);
    assert_eq!(out.matches("Run Time: real ").count(), 1, "{out}");
    let seconds = out.trim().trim_start_matches("Run Time: real ");
    assert!(seconds.parse::<f64>().is_ok(), "{out}");
}

#[test]
fn quit_stops_the_script() {
    let output = run(
        &["--mode", "csv"],
        "SELECT 1 AS a;\n.quit\nSELECT 2 AS a;\n",
    );
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "a\n1\n");
}

#[test]
fn help_and_version() {
    let output = run(&["--help"], "");
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    assert!(out.contains("Usage: llkv"), "{out}");
    assert!(out.contains("--slt"), "{out}");

    let output = run(&["--version"], "");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        format!("llkv {}\n", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn bad_arguments_exit_2_with_a_clear_message() {
    let output = run(&["--no-such-flag"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown option: --no-such-flag"));

    let output = run(&["--dialect", "oracle"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("unknown dialect"));

    let output = run(&["-c"], "");
    assert_eq!(output.status.code(), Some(2));
}

#[test]
fn duckdb_dialect_is_selectable() {
    let output = run(
        &[
            "--dialect",
            "duckdb",
            "--mode",
            "csv",
            "-c",
            "SELECT 1 AS a",
        ],
        "",
    );
    assert_eq!(output.status.code(), Some(0), "stderr: {}", stderr(&output));
    assert_eq!(stdout(&output), "a\n1\n");
}

#[test]
fn slt_option_prints_the_summary_and_sets_the_exit_status() {
    let dir = tempfile::tempdir().expect("temp dir");
    let good = dir.path().join("good.slt");
    std::fs::write(
        &good,
        "statement ok\nCREATE TABLE t(a INTEGER)\n\nquery I nosort\nSELECT 1\n----\n1\n",
    )
    .expect("write test file");
    let output = run(&["--slt", good.to_str().expect("utf-8 path")], "");
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "2 passed, 0 failed, 0 skipped\n");

    let bad = dir.path().join("bad.slt");
    std::fs::write(&bad, "query I nosort\nSELECT 1\n----\n2\n").expect("write test file");
    let output = run(&["--slt", bad.to_str().expect("utf-8 path")], "");
    assert_eq!(output.status.code(), Some(1));
    let out = stdout(&output);
    assert!(out.contains("bad.slt:1: wrong result"), "{out}");
    assert!(out.ends_with("0 passed, 1 failed, 0 skipped\n"), "{out}");

    let output = run(&["--slt", bad.to_str().expect("utf-8 path"), "--quiet"], "");
    assert_eq!(stdout(&output), "0 passed, 1 failed, 0 skipped\n");

    let output = run(&["--slt", "/no/such/path"], "");
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no such file or folder"));
}

// The REPL reads lines with rustyline and feeds them to a `Shell`; these tests feed the same
// lines without a terminal.

fn shell() -> Shell<Vec<u8>, Vec<u8>> {
    let engine = Engine::in_memory().expect("in-memory engine");
    let mut shell = Shell::new(engine, Vec::new(), Vec::new());
    shell.set_mode(OutputMode::Csv);
    shell
}

fn texts(shell: Shell<Vec<u8>, Vec<u8>>) -> (String, String) {
    let (out, err) = shell.into_writers();
    (
        String::from_utf8(out).expect("utf-8 output"),
        String::from_utf8(err).expect("utf-8 errors"),
    )
}

#[test]
fn repl_lines_accumulate_until_a_semicolon() {
    let mut shell = shell();
    assert_eq!(shell.prompt(), "llkv> ");
    shell.feed_line("SELECT");
    assert_eq!(shell.prompt(), "   ...> ");
    shell.feed_line("  'a;b' AS v");
    assert_eq!(shell.prompt(), "   ...> ");
    shell.feed_line(";");
    assert_eq!(shell.prompt(), "llkv> ");
    shell.feed_line("SELECT 1 AS w; SELECT 2 AS w;");
    let (out, err) = texts(shell);
    assert_eq!(err, "");
    assert_eq!(out, "v\na;b\nw\n1\nw\n2\n");
}

#[test]
fn repl_dot_commands_only_at_statement_start() {
    let mut shell = shell();
    shell.feed_line("-- a comment does not start a statement");
    assert_eq!(shell.prompt(), "llkv> ");
    shell.feed_line(".mode tsv");
    shell.feed_line("SELECT 1 AS a,");
    // Inside a statement, a line starting with '.' is SQL.
    shell.feed_line(".5 AS b;");
    shell.feed_line(".bogus");
    assert_eq!(shell.error_count(), 1);
    assert!(!shell.should_quit());
    shell.feed_line(".exit");
    assert!(shell.should_quit());
    shell.feed_line("SELECT 3;");
    let (out, err) = texts(shell);
    assert_eq!(out, "a\tb\n1\t0.5\n");
    assert!(err.contains("unknown command: .bogus"), "{err}");
}

#[test]
fn repl_interrupt_clears_the_statement_and_errors_do_not_stop_it() {
    let mut shell = shell();
    shell.feed_line("SELECT * FROM");
    shell.clear_buffer();
    assert_eq!(shell.prompt(), "llkv> ");
    shell.feed_line("SELECT * FROM nowhere;");
    shell.feed_line("SELECT 5 AS x;");
    assert_eq!(shell.error_count(), 1);
    let (out, err) = texts(shell);
    assert_eq!(out, "x\n5\n");
    assert!(err.starts_with("Error: "), "{err}");
    assert!(
        err.contains("  in statement: SELECT * FROM nowhere"),
        "{err}"
    );
}

#[test]
fn open_switches_databases() {
    // Run in a child process: reopening a file right after closing it must not race with
    // the processes that other tests spawn (they inherit open descriptors until exec).
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("repl.llkv");
    let script = format!(
        ".open '{path}'\nCREATE TABLE kept(a INTEGER);\n.open\n.tables\n.open '{path}'\n.tables\n",
        path = file.display()
    );
    let output = run(&[], &script);
    assert_eq!(stderr(&output), "");
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output), "kept\n");
}

#[test]
fn splitting_is_exposed_for_the_repl() {
    assert!(is_complete("SELECT 1;"));
    assert!(!is_complete("SELECT ';"));
    assert_eq!(
        split_statements("SELECT 1; SELECT ';'"),
        vec!["SELECT 1", "SELECT ';'"]
    );
}
