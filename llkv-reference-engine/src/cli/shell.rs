//! The shell: statements and dot commands, fed one line at a time.
//!
//! The REPL and the script runner both feed lines into a [`Shell`]; it collects lines until a
//! top-level `;` ends a statement, runs the statements, prints results in the current output
//! mode, and handles dot commands (a line starting with `.` where a statement would start).
//! Nothing here needs a terminal, so all of it is tested with in-memory writers.

use std::any::Any;
use std::io::Write;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::time::Instant;

use super::output::{OutputMode, write_result};
use super::split::{is_complete, split_statements};
use crate::{DialectKind, Engine, Session, StatementResult};

/// Help text of `.help`.
const HELP: &str = "\
.exit                  Exit the shell (also .quit)
.help                  Show this message
.mode [MODE]           Set (or show) the output mode: table, csv, tsv, line
.open [FILE]           Close the database and open FILE (created if missing);
                       without FILE, open a new in-memory database
.quit                  Exit the shell
.schema [TABLE]        Show the CREATE TABLE statement of TABLE, or of every table
.tables                List the tables
.timer on|off          Print the run time of each statement
";

/// Opens an engine of the dialect `sqlite` or `duckdb`, durable on `path` or in memory.
pub fn open_engine(dialect: &str, path: Option<&Path>) -> Result<Engine, String> {
    let kind: DialectKind = dialect
        .parse()
        .map_err(|_| format!("unknown dialect `{dialect}` (expected sqlite or duckdb)"))?;
    let mut builder = Engine::builder().dialect(kind);
    if let Some(path) = path {
        builder = builder.path(path);
    }
    builder.build().map_err(|e| match path {
        Some(p) => format!("unable to open database \"{}\": {e}", p.display()),
        None => format!("unable to open an in-memory database: {e}"),
    })
}

/// An interactive or scripted session: one engine, one connection, output settings, and
/// the text of the statement being typed.
pub struct Shell<O: Write, E: Write> {
    engine: Engine,
    session: Session,
    mode: OutputMode,
    timer: bool,
    bail: bool,
    /// Lines of the statement(s) not yet ended by `;`.
    buffer: String,
    out: O,
    err: E,
    errors: usize,
    quit: bool,
}

impl<O: Write, E: Write> Shell<O, E> {
    /// A shell on `engine`, printing results to `out` and errors to `err`.
    pub fn new(engine: Engine, out: O, err: E) -> Self {
        let session = engine.session();
        Self {
            engine,
            session,
            mode: OutputMode::default(),
            timer: false,
            bail: false,
            buffer: String::new(),
            out,
            err,
            errors: 0,
            quit: false,
        }
    }

    /// Sets the output mode.
    pub fn set_mode(&mut self, mode: OutputMode) {
        self.mode = mode;
    }

    /// Stops at the first error (`-bail`).
    pub fn set_bail(&mut self, bail: bool) {
        self.bail = bail;
    }

    /// Number of statements and dot commands that failed so far.
    pub fn error_count(&self) -> usize {
        self.errors
    }

    /// True once `.quit`/`.exit` ran, or an error stopped a `-bail` run.
    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// The prompt for the next line: `llkv> `, or `   ...> ` inside a statement.
    pub fn prompt(&self) -> &'static str {
        if has_content(&self.buffer) {
            "   ...> "
        } else {
            "llkv> "
        }
    }

    /// The output writer.
    pub fn out(&mut self) -> &mut O {
        &mut self.out
    }

    /// Consumes the shell and returns its writers.
    pub fn into_writers(self) -> (O, E) {
        (self.out, self.err)
    }

    /// Forgets the statement being typed (Ctrl-C in the REPL).
    pub fn clear_buffer(&mut self) {
        self.buffer.clear();
    }

    /// Feeds one line of input (without its line terminator).
    pub fn feed_line(&mut self, line: &str) {
        if self.quit {
            return;
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim_start().starts_with('.') && !has_content(&self.buffer) {
            self.buffer.clear();
            self.dot_command(line.trim());
            return;
        }
        if !self.buffer.is_empty() {
            self.buffer.push('\n');
        }
        self.buffer.push_str(line);
        // Only a line with a `;` can end a statement.
        if line.contains(';') && is_complete(&self.buffer) {
            let text = std::mem::take(&mut self.buffer);
            self.run_text(&text);
        }
    }

    /// Feeds a whole script (several lines).
    pub fn feed_text(&mut self, text: &str) {
        for line in text.lines() {
            self.feed_line(line);
        }
    }

    /// End of input: runs what remains of the buffer even without a final `;`.
    pub fn finish(&mut self) {
        let text = std::mem::take(&mut self.buffer);
        if has_content(&text) && !self.quit {
            self.run_text(&text);
        }
        let _ = self.out.flush();
        let _ = self.err.flush();
    }

    fn run_text(&mut self, text: &str) {
        for statement in split_statements(text) {
            if self.quit {
                break;
            }
            self.run_statement(&statement);
        }
    }

    fn run_statement(&mut self, sql: &str) {
        let start = Instant::now();
        // An engine bug must not end the session: report it like an error.
        let outcome = catch_unwind(AssertUnwindSafe(|| self.session.execute(sql)));
        let outcome = match outcome {
            Ok(result) => result.map_err(|e| e.to_string()),
            Err(payload) => Err(format!(
                "internal error: the engine panicked: {}",
                panic_message(payload.as_ref())
            )),
        };
        match outcome {
            Ok(results) => {
                for result in results {
                    if let StatementResult::Query(query) = result
                        && let Err(e) = write_result(&mut self.out, self.mode, &query)
                    {
                        self.report_error(&e, None);
                    }
                }
            }
            Err(e) => self.report_error(&e, Some(sql)),
        }
        if self.timer {
            let elapsed = start.elapsed().as_secs_f64();
            self.print(&format!("Run Time: real {elapsed:.3}"));
        }
    }

    fn print(&mut self, text: &str) {
        if writeln!(self.out, "{text}").is_err() {
            // Nobody reads the output any more (e.g. a closed pipe).
            self.quit = true;
        }
    }

    fn report_error(&mut self, message: &str, statement: Option<&str>) {
        let _ = self.out.flush();
        let _ = writeln!(self.err, "Error: {message}");
        if let Some(sql) = statement {
            let _ = writeln!(self.err, "  in statement: {sql}");
        }
        let _ = self.err.flush();
        self.errors += 1;
        if self.bail {
            self.quit = true;
        }
    }

    fn dot_command(&mut self, line: &str) {
        let args = match split_args(line) {
            Ok(args) => args,
            Err(e) => return self.report_error(&e, None),
        };
        let Some(command) = args.first() else {
            return;
        };
        let rest = &args[1..];
        match (command.as_str(), rest) {
            (".quit" | ".exit", []) => self.quit = true,
            (".help", []) => self.print(HELP.trim_end()),
            (".tables", []) => {
                let names = self.session.table_names();
                if !names.is_empty() {
                    self.print(&names.join("\n"));
                }
            }
            (".schema", []) => {
                let ddl: Vec<String> = self
                    .session
                    .table_names()
                    .iter()
                    .filter_map(|name| self.session.table_ddl(name))
                    .map(|ddl| format!("{ddl};"))
                    .collect();
                if !ddl.is_empty() {
                    self.print(&ddl.join("\n"));
                }
            }
            (".schema", [table]) => match self.session.table_ddl(table) {
                Some(ddl) => self.print(&format!("{ddl};")),
                None => self.report_error(&format!("no such table: {table}"), None),
            },
            (".timer", [flag]) => match flag.to_ascii_lowercase().as_str() {
                "on" | "1" | "yes" | "true" => self.timer = true,
                "off" | "0" | "no" | "false" => self.timer = false,
                _ => self.report_error(".timer takes on or off", None),
            },
            (".mode", []) => {
                let text = format!("current output mode: {}", self.mode);
                self.print(&text);
            }
            (".mode", [mode]) => match mode.parse() {
                Ok(mode) => self.mode = mode,
                Err(e) => self.report_error(&e, None),
            },
            (".open", []) => self.reopen(None),
            (".open", [file]) => self.reopen(Some(Path::new(file))),
            (
                ".quit" | ".exit" | ".help" | ".tables" | ".schema" | ".timer" | ".mode" | ".open",
                _,
            ) => {
                let usage = HELP
                    .lines()
                    .find(|l| l.starts_with(command.as_str()))
                    .map_or(String::new(), |l| {
                        format!(" (usage: {})", l.split("  ").next().unwrap_or(l).trim())
                    });
                self.report_error(&format!("wrong arguments for {command}{usage}"), None);
            }
            _ => self.report_error(
                &format!("unknown command: {command} (enter .help for the list)"),
                None,
            ),
        }
    }

    fn reopen(&mut self, path: Option<&Path>) {
        // Close the current database first: the same file may be opened again.
        let dialect = self.engine.dialect_name().to_string();
        let placeholder = match open_engine(&dialect, None) {
            Ok(engine) => engine,
            Err(e) => return self.report_error(&e, None),
        };
        self.session = placeholder.session();
        self.engine = placeholder;
        if path.is_none() {
            return;
        }
        match open_engine(&dialect, path) {
            Ok(engine) => {
                self.session = engine.session();
                self.engine = engine;
            }
            Err(e) => self.report_error(&format!("{e}; using a new in-memory database"), None),
        }
    }
}

/// The message of a caught panic.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_string())
}

/// True when `sql` holds more than whitespace and comments.
fn has_content(sql: &str) -> bool {
    !sql.trim().is_empty() && !split_statements(sql).is_empty()
}

/// Splits a dot-command line into words; `'...'` and `"..."` quote words with spaces.
fn split_args(line: &str) -> Result<Vec<String>, String> {
    let mut args = Vec::new();
    let mut chars = line.chars().peekable();
    loop {
        while chars.peek().is_some_and(|c| c.is_whitespace()) {
            chars.next();
        }
        let Some(&first) = chars.peek() else {
            break;
        };
        let mut word = String::new();
        if first == '\'' || first == '"' {
            chars.next();
            let mut closed = false;
            for c in chars.by_ref() {
                if c == first {
                    closed = true;
                    break;
                }
                word.push(c);
            }
            if !closed {
                return Err(format!("unterminated {first} in: {line}"));
            }
        } else {
            while let Some(&c) = chars.peek() {
                if c.is_whitespace() {
                    break;
                }
                word.push(c);
                chars.next();
            }
        }
        args.push(word);
    }
    Ok(args)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_command_arguments() {
        assert_eq!(
            split_args(".open 'my file.db'"),
            Ok(vec![".open".to_string(), "my file.db".to_string()])
        );
        assert_eq!(
            split_args(".mode   csv "),
            Ok(vec![".mode".to_string(), "csv".to_string()])
        );
        assert!(split_args(".open \"x").is_err());
    }

    #[test]
    fn content_detection() {
        assert!(!has_content(""));
        assert!(!has_content("  -- just a comment\n"));
        assert!(has_content("SELECT"));
    }
}
