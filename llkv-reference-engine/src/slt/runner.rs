//! Executes the parsed items of one file against an [`SltDatabase`].

use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt::Write as _;
use std::ops::Range;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use md5::{Digest, Md5};

use crate::cli::panic_message;

use super::format::{self, ResultValues, Style};
use super::parser::{
    self, CompareOp, Condition, Item, ItemKind, LoopClause, SortMode, StatementExpect,
};
use super::{SltCounts, SltDatabase, SltFailure, SltFileReport, SltRows};

/// How many expected and actual lines a failure report shows.
const SHOWN_LINES: usize = 20;

/// `require` arguments that describe this runner's environment truthfully. Everything else
/// (extensions such as `parquet`, DuckDB build settings such as `vector_size`) is missing.
fn require_is_met(args: &[&str]) -> bool {
    let Some(first) = args.first() else {
        return false;
    };
    match first.to_ascii_lowercase().as_str() {
        // DuckDB test-harness switches and build checks that hold for LLKV.
        "skip_reload"
        | "noforcestorage"
        | "nothreadsan"
        | "notmusl"
        | "notmingw"
        | "no_alternative_verify"
        | "noalternativeverify"
        | "no_block_verification"
        | "no_vector_verification"
        | "no_extension_autoloading" => true,
        "64bit" => cfg!(target_pointer_width = "64"),
        "notwindows" => !cfg!(windows),
        "windows" => cfg!(windows),
        _ => false,
    }
}

/// Why the rest of a file is not run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Stop {
    /// `halt`, or a `require` we cannot meet: the remaining records count as skipped.
    Skip,
    /// A parse error, an unsupported directive or a failed `load`/`restart`: the remaining
    /// records count as failed.
    Fail,
}

/// Runs the text of one file and returns its report.
pub(crate) fn run_file_text<D: SltDatabase>(
    db: &mut D,
    path: &Path,
    text: &str,
    engine: &str,
    max_failures_shown: usize,
) -> SltFileReport {
    let items = parser::parse(text);
    let mut runner = FileRunner {
        db,
        engine,
        style: if engine.eq_ignore_ascii_case("duckdb") {
            Style::DuckDb
        } else {
            Style::Sqlite
        },
        hash_threshold: 0,
        labels: HashMap::new(),
        vars: Vec::new(),
        skip_level: 0,
        stop: None,
        temp_dir: None,
        report: SltFileReport {
            path: path.to_path_buf(),
            counts: SltCounts::default(),
            skip_reason: None,
            failures: Vec::new(),
        },
        max_failures_shown,
    };
    runner.exec(&items, 0..items.len());
    runner.report
}

struct FileRunner<'a, D: SltDatabase> {
    db: &'a mut D,
    engine: &'a str,
    style: Style,
    hash_threshold: usize,
    /// Hash of the results of each label seen so far.
    labels: HashMap<String, String>,
    /// Loop variables in scope, innermost last.
    vars: Vec<(String, String)>,
    /// Depth of `mode skip`.
    skip_level: usize,
    stop: Option<Stop>,
    /// Directory for `{TEST_DIR}` / `__TEST_DIR__`, created on first use.
    temp_dir: Option<tempfile::TempDir>,
    report: SltFileReport,
    max_failures_shown: usize,
}

fn is_record(kind: &ItemKind<'_>) -> bool {
    matches!(kind, ItemKind::Statement { .. } | ItemKind::Query { .. })
}

impl<D: SltDatabase> FileRunner<'_, D> {
    fn exec(&mut self, items: &[Item<'_>], range: Range<usize>) {
        let mut i = range.start;
        while i < range.end {
            let item = &items[i];
            // The index after this item (a loop's body is part of it).
            let next = match &item.kind {
                ItemKind::LoopStart { end, .. } if self.skip_level == 0 => {
                    end.saturating_add(1).min(range.end)
                }
                _ => i + 1,
            };
            match self.excluded(&item.conditions) {
                Ok(true) => {
                    i = next;
                    continue;
                }
                Ok(false) => {}
                Err(message) => {
                    if is_record(&item.kind) {
                        match self.stop {
                            Some(Stop::Skip) => self.report.counts.skipped += 1,
                            _ => self.fail(item.line, "", message),
                        }
                    }
                    i = next;
                    continue;
                }
            }
            if self.skip_level > 0 {
                match item.kind {
                    ItemKind::ModeSkip => self.skip_level += 1,
                    ItemKind::ModeUnskip => self.skip_level -= 1,
                    _ if is_record(&item.kind) => self.report.counts.skipped += 1,
                    _ => {}
                }
                i += 1;
                continue;
            }
            self.exec_item(items, i, item);
            i = next;
        }
    }

    fn exec_item(&mut self, items: &[Item<'_>], index: usize, item: &Item<'_>) {
        let line = item.line;
        match &item.kind {
            ItemKind::Statement {
                expect,
                connection,
                sql,
            } => match self.stop {
                None => self.run_statement(line, expect, *connection, sql),
                Some(Stop::Skip) => self.report.counts.skipped += 1,
                Some(Stop::Fail) => self.report.counts.failed += 1,
            },
            ItemKind::Query {
                types,
                sort,
                connection,
                label,
                sql,
                expected,
            } => match self.stop {
                None => self.run_query(line, types, *sort, *connection, *label, sql, expected),
                Some(Stop::Skip) => self.report.counts.skipped += 1,
                Some(Stop::Fail) => self.report.counts.failed += 1,
            },
            ItemKind::LoopStart { names, values, end } => {
                let body = index + 1..*end;
                for iteration in values {
                    let outer = self.vars.len();
                    for (name, value) in names.iter().zip(iteration) {
                        self.vars.push(((*name).to_string(), value.clone()));
                    }
                    self.exec(items, body.clone());
                    self.vars.truncate(outer);
                }
            }
            ItemKind::EndLoop | ItemKind::Ignored => {}
            ItemKind::ModeSkip => self.skip_level += 1,
            ItemKind::ModeUnskip => {}
            ItemKind::HashThreshold(n) => self.hash_threshold = *n,
            ItemKind::Halt => self.stop_with(Stop::Skip),
            ItemKind::Require(args) => {
                if self.stop.is_none() && !require_is_met(args) {
                    self.report.skip_reason = Some(format!("require {}", args.join(" ")));
                    self.stop = Some(Stop::Skip);
                }
            }
            ItemKind::RequireEnv { name, value } => {
                let present = match std::env::var(name) {
                    Ok(actual) => value.is_none_or(|v| v == actual),
                    Err(_) => false,
                };
                if self.stop.is_none() && !present {
                    let mut reason = format!("require-env {name}");
                    if let Some(v) = value {
                        reason.push(' ');
                        reason.push_str(v);
                    }
                    self.report.skip_reason = Some(reason);
                    self.stop = Some(Stop::Skip);
                }
            }
            ItemKind::Load { path, readonly } => {
                if self.stop.is_none() {
                    let result = self.load(*path, *readonly);
                    self.control_result(line, "load", result);
                }
            }
            ItemKind::Restart => {
                if self.stop.is_none() {
                    let result = guarded(|| self.db.restart());
                    self.control_result(line, "restart", result);
                }
            }
            ItemKind::Reconnect => {
                if self.stop.is_none() {
                    let result = guarded(|| self.db.reconnect());
                    self.control_result(line, "reconnect", result);
                }
            }
            ItemKind::Unsupported { directive } => {
                if self.stop.is_none() {
                    self.fail(
                        line,
                        "",
                        format!(
                            "unsupported directive `{directive}`: the rest of the file is counted as failed"
                        ),
                    );
                    self.stop = Some(Stop::Fail);
                }
            }
            ItemKind::Abort { message, remaining } => {
                let remaining = u64::try_from(*remaining).unwrap_or(u64::MAX);
                match self.stop {
                    Some(Stop::Skip) => self.report.counts.skipped += remaining,
                    Some(Stop::Fail) => self.report.counts.failed += remaining,
                    None => {
                        let text = format!(
                            "parse error: {message}; {remaining} remaining record(s) counted as failed"
                        );
                        self.push_failure(line, "", text);
                        // A parse error never passes silently, even with no records left.
                        self.report.counts.failed += remaining.max(1);
                        self.stop = Some(Stop::Fail);
                    }
                }
            }
        }
    }

    fn stop_with(&mut self, stop: Stop) {
        if self.stop.is_none() {
            self.stop = Some(stop);
        }
    }

    /// A failed control directive fails itself and every record after it.
    fn control_result(&mut self, line: usize, what: &str, result: Result<(), String>) {
        if let Err(e) = result {
            self.fail(
                line,
                "",
                format!("{what} failed: {e}; the rest of the file is counted as failed"),
            );
            self.stop = Some(Stop::Fail);
        }
    }

    fn load(&mut self, path: Option<&str>, readonly: bool) -> Result<(), String> {
        let Some(path) = path else {
            return guarded(|| self.db.load(None));
        };
        let path = PathBuf::from(self.substitute(path).into_owned());
        if !readonly {
            // Like DuckDB's runner, start from a fresh file, but only ever delete inside the
            // runner's own temporary directory.
            if let Some(dir) = &self.temp_dir
                && path.starts_with(dir.path())
                && path.exists()
            {
                std::fs::remove_file(&path)
                    .map_err(|e| format!("cannot remove {}: {e}", path.display()))?;
            }
        }
        guarded(|| self.db.load(Some(&path)))
    }

    /// Whether the conditions exclude the item for this engine and these loop variables.
    fn excluded(&self, conditions: &[Condition<'_>]) -> Result<bool, String> {
        for condition in conditions {
            let excluded = match condition {
                Condition::SkipIf(name) => name.eq_ignore_ascii_case(self.engine),
                Condition::OnlyIf(name) => !name.eq_ignore_ascii_case(self.engine),
                Condition::Loop { skip_if, clauses } => {
                    let mut excluded = false;
                    for clause in clauses {
                        let holds = self.clause_holds(clause)?;
                        if holds == *skip_if {
                            excluded = true;
                            break;
                        }
                    }
                    excluded
                }
            };
            if excluded {
                return Ok(true);
            }
        }
        Ok(false)
    }

    fn clause_holds(&self, clause: &LoopClause<'_>) -> Result<bool, String> {
        let Some((_, value)) = self.vars.iter().rev().find(|(n, _)| n == clause.name) else {
            return Err(format!(
                "condition on `{}`, which is not a loop variable here",
                clause.name
            ));
        };
        Ok(match clause.op {
            CompareOp::Eq => value == clause.value,
            CompareOp::NotEq => value != clause.value,
            op => {
                let (Ok(left), Ok(right)) = (value.parse::<i64>(), clause.value.parse::<i64>())
                else {
                    return Err(format!(
                        "condition `{} {op:?} {}` needs numbers",
                        value, clause.value
                    ));
                };
                match op {
                    CompareOp::Lt => left < right,
                    CompareOp::LtEq => left <= right,
                    CompareOp::Gt => left > right,
                    _ => left >= right,
                }
            }
        })
    }

    /// Replaces loop variables (`${i}` and `{i}`) and DuckDB's path keywords.
    fn substitute<'t>(&mut self, text: &'t str) -> Cow<'t, str> {
        if !text.contains('{') && !text.contains("__") {
            return Cow::Borrowed(text);
        }
        let mut out = text.to_string();
        for (name, value) in self.vars.iter().rev() {
            out = out.replace(&format!("${{{name}}}"), value);
            out = out.replace(&format!("{{{name}}}"), value);
        }
        const DIR_KEYWORDS: [&str; 3] = ["__TEST_DIR__", "{TEST_DIR}", "{TEMP_DIR}"];
        if DIR_KEYWORDS.iter().any(|k| out.contains(k))
            && let Some(dir) = self.test_dir()
        {
            for keyword in DIR_KEYWORDS {
                out = out.replace(keyword, &dir);
            }
        }
        if out.contains("__WORKING_DIRECTORY__")
            && let Ok(cwd) = std::env::current_dir()
        {
            out = out.replace("__WORKING_DIRECTORY__", &cwd.to_string_lossy());
        }
        Cow::Owned(out)
    }

    fn test_dir(&mut self) -> Option<String> {
        if self.temp_dir.is_none() {
            self.temp_dir = tempfile::Builder::new().prefix("llkv-slt-").tempdir().ok();
        }
        self.temp_dir
            .as_ref()
            .map(|d| d.path().to_string_lossy().into_owned())
    }

    fn pass(&mut self) {
        self.report.counts.passed += 1;
    }

    /// Counts a failed record and remembers its description if under the limit.
    fn fail(&mut self, line: usize, sql: &str, message: String) {
        self.report.counts.failed += 1;
        self.push_failure(line, sql, message);
    }

    fn push_failure(&mut self, line: usize, sql: &str, message: String) {
        if self.report.failures.len() < self.max_failures_shown {
            self.report.failures.push(SltFailure {
                line,
                sql: sql.to_string(),
                message,
            });
        }
    }

    fn run_statement(
        &mut self,
        line: usize,
        expect: &StatementExpect,
        connection: Option<&str>,
        sql: &str,
    ) {
        let sql = self.substitute(sql).into_owned();
        let result = guarded(|| self.db.statement(connection, &sql));
        let (expected_message, error_passes) = match expect {
            StatementExpect::Ok => (None, false),
            StatementExpect::Error(m) => (m.as_deref(), true),
            StatementExpect::Maybe(m) => (m.as_deref(), true),
        };
        match result {
            Ok(()) => match expect {
                StatementExpect::Error(_) => self.fail(
                    line,
                    &sql,
                    "statement succeeded, but an error was expected".to_string(),
                ),
                _ => self.pass(),
            },
            Err(error) if !error_passes => {
                self.fail(line, &sql, format!("statement failed: {error}"));
            }
            Err(error) => match expected_message {
                None => self.pass(),
                Some(message) => {
                    let message = self.substitute(message).into_owned();
                    match error_matches(&message, &error) {
                        Ok(true) => self.pass(),
                        Ok(false) => self.fail(
                            line,
                            &sql,
                            format!(
                                "statement failed with an unexpected message\n  expected: {message}\n  actual:   {error}"
                            ),
                        ),
                        Err(e) => self.fail(line, &sql, e),
                    }
                }
            },
        }
    }

    #[expect(
        clippy::too_many_arguments,
        reason = "the fields of a query record, passed by reference"
    )]
    fn run_query(
        &mut self,
        line: usize,
        types: &str,
        sort: SortMode,
        connection: Option<&str>,
        label: Option<&str>,
        sql: &str,
        expected: &[&str],
    ) {
        let sql = self.substitute(sql).into_owned();
        let rows: SltRows = match guarded(|| self.db.query(connection, &sql)) {
            Ok(rows) => rows,
            Err(error) => return self.fail(line, &sql, format!("query failed: {error}")),
        };
        let values = match format::render(&rows.schema, &rows.batches, types.as_bytes(), self.style)
        {
            Ok(values) => values,
            Err(error) => return self.fail(line, &sql, error),
        };
        let strs = values.strs();
        let order = output_order(&strs, values.rows, sort);
        let expected: Vec<Cow<'_, str>> = if self.vars.is_empty() {
            expected.iter().map(|l| Cow::Borrowed(*l)).collect()
        } else {
            expected
                .iter()
                .map(|l| Cow::Owned(self.substitute(l).into_owned()))
                .collect()
        };

        let count = order.len();
        let expected_is_hash = expected.len() == 1 && is_hash_line(&expected[0]);
        let by_hash = expected_is_hash || (self.hash_threshold > 0 && count > self.hash_threshold);
        let hash = (by_hash || label.is_some()).then(|| hash_values(&strs, &order));

        let outcome = if let (true, Some(hash)) = (by_hash, &hash) {
            if expected.len() == 1 && expected[0] == *hash {
                Ok(())
            } else {
                let mut message = String::from("wrong result hash\n  expected:\n");
                show_lines(&mut message, expected.iter().map(|l| l.as_ref()));
                let _ = writeln!(message, "  actual:\n    {hash}");
                show_actual(&mut message, &values, &strs, &order, false);
                Err(message)
            }
        } else {
            compare_values(&values, &strs, &order, &expected, self.style)
        };
        if let Err(message) = outcome {
            return self.fail(line, &sql, message);
        }
        if let (Some(label), Some(hash)) = (label, hash) {
            match self.labels.get(label) {
                Some(previous) if *previous != hash => {
                    return self.fail(
                        line,
                        &sql,
                        format!(
                            "results differ from an earlier query labelled `{label}`\n  earlier: {previous}\n  this:    {hash}"
                        ),
                    );
                }
                Some(_) => {}
                None => {
                    self.labels.insert(label.to_string(), hash);
                }
            }
        }
        self.pass();
    }
}

/// Runs `f`, turning a panic into an error so that one bad statement does not end the run.
fn guarded<T>(f: impl FnOnce() -> Result<T, String>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result,
        Err(payload) => Err(format!(
            "the engine panicked: {}",
            panic_message(payload.as_ref())
        )),
    }
}

/// DuckDB's expected error: a substring of the error, or a `<REGEX>:` / `<!REGEX>:` that
/// must (not) match the whole message.
fn error_matches(expected: &str, actual: &str) -> Result<bool, String> {
    if actual.contains(expected) {
        return Ok(true);
    }
    regex_matches(expected, actual).unwrap_or(Ok(false))
}

/// Evaluates a `<REGEX>:` / `<!REGEX>:` pattern (`.` matches newlines, the whole text must
/// match). `None` when `pattern` is not a regex pattern.
fn regex_matches(pattern: &str, text: &str) -> Option<Result<bool, String>> {
    let (want, body) = if let Some(body) = pattern.strip_prefix("<REGEX>:") {
        (true, body)
    } else if let Some(body) = pattern.strip_prefix("<!REGEX>:") {
        (false, body)
    } else {
        return None;
    };
    Some(
        regex::RegexBuilder::new(&format!("^(?:{body})$"))
            .dot_matches_new_line(true)
            .build()
            .map(|re| re.is_match(text) == want)
            .map_err(|e| format!("invalid regex `{body}`: {e}")),
    )
}

fn is_hash_line(line: &str) -> bool {
    let Some((count, hash)) = line.split_once(" values hashing to ") else {
        return false;
    };
    !count.is_empty()
        && count.bytes().all(|b| b.is_ascii_digit())
        && hash.len() == 32
        && hash.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The order in which values are output: indices into `strs` (column-major values of a
/// result with `rows` rows), row by row.
fn output_order(strs: &[&str], rows: usize, sort: SortMode) -> Vec<usize> {
    let cols = strs.len().checked_div(rows).unwrap_or(0);
    let row_major = |row_order: &mut dyn Iterator<Item = usize>| -> Vec<usize> {
        let mut order = Vec::with_capacity(strs.len());
        for r in row_order {
            order.extend((0..cols).map(|c| c * rows + r));
        }
        order
    };
    match sort {
        SortMode::Unsorted => row_major(&mut (0..rows)),
        SortMode::Rows if cols > 1 => {
            let mut row_order: Vec<usize> = (0..rows).collect();
            row_order.sort_by(|&a, &b| {
                let mut index = (a, b);
                for _ in 0..cols {
                    let ordering = strs[index.0].cmp(strs[index.1]);
                    if ordering.is_ne() {
                        return ordering;
                    }
                    index = (index.0 + rows, index.1 + rows);
                }
                std::cmp::Ordering::Equal
            });
            row_major(&mut row_order.into_iter())
        }
        // Value sort, or a row sort of one column (which is the same thing).
        SortMode::Values | SortMode::Rows => {
            let mut order: Vec<usize> = (0..strs.len()).collect();
            order.sort_by(|&x, &y| strs[x].cmp(strs[y]));
            order
        }
    }
}

/// `N values hashing to <md5>`: the MD5 of every value followed by a newline.
fn hash_values(strs: &[&str], order: &[usize]) -> String {
    let mut hasher = Md5::new();
    for &i in order {
        hasher.update(strs[i].as_bytes());
        hasher.update(b"\n");
    }
    format!("{} values hashing to {:x}", order.len(), hasher.finalize())
}

/// Compares values with the expected lines: one value per line, or (when the result has
/// several columns and the lines hold one row each, tab-separated) one row per line.
fn compare_values(
    values: &ResultValues,
    strs: &[&str],
    order: &[usize],
    expected: &[Cow<'_, str>],
    style: Style,
) -> Result<(), String> {
    let cols = values.cols();
    let rows = order.len().checked_div(cols).unwrap_or(0);
    let row_wise = cols > 1
        && !expected.is_empty()
        && (expected.len() == rows || expected.iter().all(|l| l.contains('\t')));
    let mismatch = |headline: String| {
        let mut message = headline;
        message.push_str("\n  expected:\n");
        show_lines(&mut message, expected.iter().map(|l| l.as_ref()));
        message.push_str("  actual:\n");
        show_actual(&mut message, values, strs, order, row_wise);
        message
    };
    let same = |index: usize, expected: &str| -> bool {
        let actual = strs[index];
        if actual == expected {
            return true;
        }
        if style == Style::DuckDb {
            if let Some(result) = regex_matches(expected, actual) {
                return result.unwrap_or(false);
            }
            let kind = values.kinds[index / values.rows.max(1)];
            return format::duckdb_values_equal(actual, expected, kind);
        }
        false
    };
    if row_wise {
        if expected.len() != rows {
            return Err(mismatch(format!(
                "wrong row count: expected {}, got {rows}",
                expected.len()
            )));
        }
        for (r, line) in expected.iter().enumerate() {
            let parts: Vec<&str> = line.split('\t').collect();
            if parts.len() != cols {
                return Err(mismatch(format!(
                    "expected row {} has {} values, the result has {cols} columns",
                    r + 1,
                    parts.len()
                )));
            }
            for (c, part) in parts.iter().enumerate() {
                if !same(order[r * cols + c], part) {
                    return Err(mismatch(format!(
                        "wrong result at row {}, column {}",
                        r + 1,
                        c + 1
                    )));
                }
            }
        }
    } else {
        if expected.len() != order.len() {
            return Err(mismatch(format!(
                "wrong value count: expected {}, got {}",
                expected.len(),
                order.len()
            )));
        }
        for (i, line) in expected.iter().enumerate() {
            if !same(order[i], line) {
                let (r, c) = (i / cols.max(1), i % cols.max(1));
                return Err(mismatch(format!(
                    "wrong result at row {}, column {}",
                    r + 1,
                    c + 1
                )));
            }
        }
    }
    Ok(())
}

fn show_lines<'s>(out: &mut String, lines: impl ExactSizeIterator<Item = &'s str>) {
    let total = lines.len();
    if total == 0 {
        out.push_str("    (nothing)\n");
    }
    for line in lines.take(SHOWN_LINES) {
        let _ = writeln!(out, "    {line}");
    }
    if total > SHOWN_LINES {
        let _ = writeln!(out, "    ... {} more", total - SHOWN_LINES);
    }
}

fn show_actual(
    out: &mut String,
    values: &ResultValues,
    strs: &[&str],
    order: &[usize],
    row_wise: bool,
) {
    let cols = values.cols().max(1);
    if row_wise {
        let rows: Vec<String> = order
            .chunks(cols)
            .map(|row| row.iter().map(|&i| strs[i]).collect::<Vec<_>>().join("\t"))
            .collect();
        show_lines(out, rows.iter().map(String::as_str));
    } else {
        show_lines(out, order.iter().map(|&i| strs[i]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_lines_are_recognised() {
        assert!(is_hash_line(
            "30 values hashing to 3c13dee48d9356ae19af2515e05e6b54"
        ));
        assert!(!is_hash_line("30 values hashing to xyz"));
        assert!(!is_hash_line(
            "values hashing to 3c13dee48d9356ae19af2515e05e6b54"
        ));
    }

    #[test]
    fn error_patterns() {
        assert_eq!(error_matches("no such", "Error: no such table"), Ok(true));
        assert_eq!(
            error_matches("<REGEX>:.*table.*", "no such\ntable t"),
            Ok(true)
        );
        assert_eq!(
            error_matches("<!REGEX>:.*table.*", "no such table"),
            Ok(false)
        );
        assert_eq!(error_matches("<REGEX>:^abc", "xabc"), Ok(false));
        assert!(error_matches("<REGEX>:(", "x").is_err());
        assert_eq!(error_matches("missing", "other"), Ok(false));
    }

    #[test]
    fn requirements() {
        assert!(require_is_met(&["skip_reload"]));
        assert!(!require_is_met(&["parquet"]));
        assert!(!require_is_met(&["vector_size", "2048"]));
        assert!(!require_is_met(&[]));
    }
}
