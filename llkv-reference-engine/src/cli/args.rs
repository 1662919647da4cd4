//! Command-line arguments of `llkv`.

use std::ffi::OsString;
use std::path::PathBuf;

use super::output::OutputMode;

/// What the command line asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Action {
    Help,
    Version,
    /// Run the sqllogictest files under a path.
    Slt(PathBuf),
    /// Open a database (a file, or in memory) and run commands, a script or the REPL.
    Shell,
}

/// Parsed arguments.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Args {
    pub action: Action,
    pub file: Option<PathBuf>,
    pub commands: Vec<String>,
    pub dialect: String,
    pub bail: bool,
    pub mode: Option<OutputMode>,
    pub quiet: bool,
    pub verbose: bool,
    pub max_failures_shown: Option<usize>,
    pub jobs: Option<usize>,
}

pub(crate) const USAGE: &str = "\
Usage: llkv [OPTIONS] [FILE] [SQL...]
       llkv --slt PATH [--dialect sqlite|duckdb] [SLT OPTIONS]

LLKV, an Arrow-native embedded SQL database.

With FILE, opens (or creates) that durable database file; without it, an in-memory one.
When standard input is a terminal, starts an interactive shell; otherwise runs standard
input as a script (statements end with ';', lines starting with '.' are dot commands,
errors are reported and the script goes on). SQL given after FILE runs like -c.

Options:
  -c, --command SQL        Run SQL (one or more statements) and exit
      --dialect NAME       SQL dialect: sqlite (default) or duckdb
      --mode MODE          Output mode: table (default), csv, tsv, line
      -bail, --bail        Stop at the first error
  -h, --help               Print this help
  -V, --version            Print the version

sqllogictest runner:
      --slt PATH           Run a .test/.test_slow/.slt file, or every such file under a
                           folder, and print `N passed, N failed, N skipped`
  -q, --quiet              Print only the summary line
  -v, --verbose            Also print the counts of each file
      --max-failures-shown N
                           Failures described per file (default 10)
  -j, --jobs N             Files run at once (default 1)

Exit status: 0 on success, 1 when a statement or record failed, 2 on bad arguments.";

impl Args {
    fn new() -> Self {
        Self {
            action: Action::Shell,
            file: None,
            commands: Vec::new(),
            dialect: "sqlite".to_string(),
            bail: false,
            mode: None,
            quiet: false,
            verbose: false,
            max_failures_shown: None,
            jobs: None,
        }
    }
}

/// Parses the arguments after the program name.
pub(crate) fn parse(args: impl IntoIterator<Item = OsString>) -> Result<Args, String> {
    let mut parsed = Args::new();
    let mut slt: Option<PathBuf> = None;
    let mut help = false;
    let mut version = false;
    let mut positional: Vec<OsString> = Vec::new();
    let mut args = args.into_iter();
    let mut options_done = false;

    while let Some(arg) = args.next() {
        let Some(text) = arg.to_str().map(str::to_string) else {
            // Not UTF-8: can only be a file name or SQL.
            positional.push(arg);
            continue;
        };
        if options_done || !text.starts_with('-') || text == "-" {
            positional.push(arg);
            continue;
        }
        // `--name=value` form.
        let (name, inline) = match text.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n.to_string(), Some(v.to_string())),
            _ => (text.clone(), None),
        };
        let mut value = |what: &str| -> Result<String, String> {
            if let Some(v) = inline.clone() {
                return Ok(v);
            }
            args.next()
                .ok_or_else(|| format!("option {name} needs {what}"))?
                .into_string()
                .map_err(|_| format!("the value of {name} is not valid UTF-8"))
        };
        match name.as_str() {
            "--" => options_done = true,
            "-h" | "--help" | "-help" => help = true,
            "-V" | "--version" | "-version" => version = true,
            "-c" | "--command" | "-cmd" => parsed.commands.push(value("SQL")?),
            "--dialect" | "-dialect" => {
                let dialect = value("a dialect (sqlite or duckdb)")?.to_ascii_lowercase();
                if dialect != "sqlite" && dialect != "duckdb" {
                    return Err(format!(
                        "unknown dialect `{dialect}` (expected sqlite or duckdb)"
                    ));
                }
                parsed.dialect = dialect;
            }
            "--mode" | "-mode" => parsed.mode = Some(value("a mode")?.parse()?),
            "--bail" | "-bail" => parsed.bail = true,
            "--slt" => slt = Some(PathBuf::from(value("a file or folder")?)),
            "-q" | "--quiet" => parsed.quiet = true,
            "-v" | "--verbose" => parsed.verbose = true,
            "--max-failures-shown" => {
                parsed.max_failures_shown = Some(number(&name, &value("a number")?)?);
            }
            "-j" | "--jobs" => {
                let jobs = number(&name, &value("a number")?)?;
                if jobs == 0 {
                    return Err("--jobs must be at least 1".to_string());
                }
                parsed.jobs = Some(jobs);
            }
            _ => return Err(format!("unknown option: {text}")),
        }
        if inline.is_some() && matches!(name.as_str(), "--help" | "--version" | "--bail") {
            return Err(format!("option {name} takes no value"));
        }
    }

    if help {
        parsed.action = Action::Help;
        return Ok(parsed);
    }
    if version {
        parsed.action = Action::Version;
        return Ok(parsed);
    }
    let slt_only = parsed.quiet
        || parsed.verbose
        || parsed.max_failures_shown.is_some()
        || parsed.jobs.is_some();
    if let Some(path) = slt {
        if !positional.is_empty() || !parsed.commands.is_empty() {
            return Err("--slt cannot be combined with a database file or SQL".to_string());
        }
        if parsed.bail || parsed.mode.is_some() {
            return Err("--bail and --mode do not apply to --slt".to_string());
        }
        parsed.action = Action::Slt(path);
        return Ok(parsed);
    }
    if slt_only {
        return Err(
            "--quiet, --verbose, --max-failures-shown and --jobs only apply to --slt".to_string(),
        );
    }
    let mut positional = positional.into_iter();
    parsed.file = positional.next().map(PathBuf::from);
    for sql in positional {
        parsed.commands.push(
            sql.into_string()
                .map_err(|_| "SQL arguments must be valid UTF-8".to_string())?,
        );
    }
    Ok(parsed)
}

fn number(option: &str, text: &str) -> Result<usize, String> {
    text.parse()
        .map_err(|_| format!("option {option} needs a number, not `{text}`"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(args: &[&str]) -> Result<Args, String> {
        parse(args.iter().map(OsString::from))
    }

    #[test]
    fn defaults_to_an_in_memory_shell() {
        let args = p(&[]).expect("parses");
        assert_eq!(args.action, Action::Shell);
        assert_eq!(args.file, None);
        assert_eq!(args.dialect, "sqlite");
    }

    #[test]
    fn file_commands_and_flags() {
        let args = p(&[
            "db.llkv",
            "-c",
            "SELECT 1",
            "--bail",
            "--dialect=duckdb",
            "SELECT 2",
        ])
        .expect("parses");
        assert_eq!(args.file, Some(PathBuf::from("db.llkv")));
        assert_eq!(args.commands, vec!["SELECT 1", "SELECT 2"]);
        assert!(args.bail);
        assert_eq!(args.dialect, "duckdb");
        let args = p(&["-bail", "--mode", "csv"]).expect("parses");
        assert!(args.bail);
        assert_eq!(args.mode, Some(OutputMode::Csv));
    }

    #[test]
    fn slt_options() {
        let args = p(&[
            "--slt",
            "dir",
            "-q",
            "--jobs",
            "2",
            "--max-failures-shown=3",
        ])
        .expect("parses");
        assert_eq!(args.action, Action::Slt(PathBuf::from("dir")));
        assert!(args.quiet);
        assert_eq!(args.jobs, Some(2));
        assert_eq!(args.max_failures_shown, Some(3));
    }

    #[test]
    fn clear_errors() {
        assert_eq!(
            p(&["--frobnicate"]).unwrap_err(),
            "unknown option: --frobnicate"
        );
        assert!(p(&["-c"]).unwrap_err().contains("needs SQL"));
        assert!(
            p(&["--dialect", "oracle"])
                .unwrap_err()
                .contains("unknown dialect")
        );
        assert!(p(&["--slt", "x", "db"]).is_err());
        assert!(p(&["--quiet"]).is_err());
        assert!(
            p(&["--jobs", "x", "--slt", "d"])
                .unwrap_err()
                .contains("number")
        );
        assert!(p(&["--mode", "box"]).is_err());
    }

    #[test]
    fn help_and_version_win() {
        assert_eq!(
            p(&["--help", "--bogus-after"]).map(|a| a.action),
            Err("unknown option: --bogus-after".to_string())
        );
        assert_eq!(p(&["db", "-h"]).map(|a| a.action), Ok(Action::Help));
        assert_eq!(p(&["-V"]).map(|a| a.action), Ok(Action::Version));
    }
}
