//! The `llkv` command-line shell.
//!
//! - `llkv [FILE]` with a terminal on standard input: an interactive shell (line editing,
//!   history in `$HOME/.llkv_history`, statements over several lines, dot commands).
//! - `llkv [FILE] < script.sql`: runs the script. Errors are printed to standard error as
//!   `Error: <message>` with the failing statement, and the script goes on (like sqlite3)
//!   unless `-bail` is given; the exit status is 1 if anything failed.
//! - `llkv [FILE] -c SQL`: runs SQL and exits.
//! - `llkv --slt PATH`: the sqllogictest runner ([`crate::slt`]).
//!
//! The pieces are public so that they can be driven without a terminal: [`Shell`] takes
//! lines and writes to any [`std::io::Write`], [`split_statements`] and [`is_complete`]
//! split scripts at top-level `;`.

mod args;
mod output;
mod repl;
mod shell;
mod split;

use std::ffi::OsString;
use std::io::{self, BufRead, IsTerminal, Write};
use std::process::ExitCode;

pub use output::{OutputMode, write_result};
pub(crate) use shell::panic_message;
pub use shell::{Shell, open_engine};
pub use split::{is_complete, split_statements};

use crate::slt::{self, SltOptions};
use args::Action;

/// Exit status for bad arguments.
const USAGE_ERROR: u8 = 2;

/// Runs `llkv` with the process's arguments and standard streams.
pub fn main() -> ExitCode {
    ExitCode::from(run(std::env::args_os().skip(1)))
}

/// Runs `llkv` with `args` (without the program name) on the process's standard streams and
/// returns the exit status: 0 on success, 1 when a statement or record failed, 2 on bad
/// arguments.
pub fn run(args: impl IntoIterator<Item = OsString>) -> u8 {
    let args = match args::parse(args) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("llkv: {message}");
            eprintln!("Try 'llkv --help' for more information.");
            return USAGE_ERROR;
        }
    };
    match &args.action {
        Action::Help => {
            println!("{}", args::USAGE);
            0
        }
        Action::Version => {
            println!("llkv {}", env!("CARGO_PKG_VERSION"));
            0
        }
        Action::Slt(path) => run_slt(path, &args),
        Action::Shell => run_shell(&args),
    }
}

fn run_slt(path: &std::path::Path, args: &args::Args) -> u8 {
    let defaults = SltOptions::default();
    let options = SltOptions {
        dialect: args.dialect.clone(),
        quiet: args.quiet,
        verbose: args.verbose,
        max_failures_shown: args
            .max_failures_shown
            .unwrap_or(defaults.max_failures_shown),
        jobs: args.jobs.unwrap_or(defaults.jobs),
    };
    // The runner reports engine panics as failed records; the default hook would also
    // print each one on standard error.
    std::panic::set_hook(Box::new(|_| {}));
    let stdout = io::stdout();
    let mut out = io::BufWriter::new(stdout.lock());
    let result = slt::run_path_with_output(path, &options, &mut out);
    let _ = out.flush();
    match result {
        Ok(summary) if summary.counts.failed == 0 => 0,
        Ok(_) => 1,
        Err(e) => {
            eprintln!("llkv: {e}");
            USAGE_ERROR
        }
    }
}

fn run_shell(args: &args::Args) -> u8 {
    let engine = match open_engine(&args.dialect, args.file.as_deref()) {
        Ok(engine) => engine,
        Err(e) => {
            eprintln!("Error: {e}");
            return 1;
        }
    };
    let stdin = io::stdin();
    let interactive = args.commands.is_empty() && stdin.is_terminal();
    let stdout = io::stdout();
    // The REPL writes straight through; scripts and commands buffer their output.
    let out: Box<dyn Write> = if interactive {
        Box::new(stdout.lock())
    } else {
        Box::new(io::BufWriter::new(stdout.lock()))
    };
    let mut shell = Shell::new(engine, out, io::stderr());
    shell.set_bail(args.bail);
    if let Some(mode) = args.mode {
        shell.set_mode(mode);
    }

    if !args.commands.is_empty() {
        for command in &args.commands {
            shell.feed_text(command);
            shell.finish();
            if shell.should_quit() {
                break;
            }
        }
    } else if interactive {
        let place = match &args.file {
            Some(file) => format!("database {}", file.display()),
            None => "a transient in-memory database".to_string(),
        };
        println!(
            "llkv {} ({} dialect) on {place}. Enter \".help\" for usage hints.",
            env!("CARGO_PKG_VERSION"),
            args.dialect
        );
        if let Err(e) = repl::run(&mut shell) {
            eprintln!("Error: {e}");
            return 1;
        }
        shell.finish();
    } else if let Err(e) = run_script(&mut shell, stdin.lock()) {
        eprintln!("Error: {e}");
        shell.finish();
        return 1;
    }
    u8::from(shell.error_count() > 0)
}

/// Feeds a script to the shell line by line, then finishes it.
fn run_script<O: Write, E: Write>(
    shell: &mut Shell<O, E>,
    mut input: impl BufRead,
) -> Result<(), String> {
    let mut line = String::new();
    let mut number = 0usize;
    while !shell.should_quit() {
        line.clear();
        number += 1;
        match input.read_line(&mut line) {
            Ok(0) => break,
            Ok(_) => {
                let text = line.strip_suffix('\n').unwrap_or(&line);
                shell.feed_line(text);
            }
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                return Err(format!("line {number} of the input is not valid UTF-8"));
            }
            Err(e) => return Err(format!("cannot read the input: {e}")),
        }
    }
    shell.finish();
    Ok(())
}
