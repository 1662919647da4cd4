//! DuckDB's `SET`, `PRAGMA` and `CHECKPOINT` statements.
//!
//! DuckDB configures itself with `SET name = value` (or `PRAGMA name = value`) and runs
//! maintenance with `PRAGMA name` and `CHECKPOINT`. LLKV accepts the options whose purpose
//! has no counterpart in its engine, checking the value's form, and does nothing else
//! with them:
//!
//! - `threads`, `worker_threads`, `memory_limit`, `max_memory`: LLKV runs on rayon's
//!   global pool and has no buffer manager to limit;
//! - `wal_autocheckpoint`, `checkpoint_threshold`, `CHECKPOINT`, `FORCE CHECKPOINT`,
//!   `PRAGMA [enable|disable]_checkpoint_on_shutdown`: LLKV has no write-ahead log; every
//!   commit is written to the database file as it commits;
//! - `immediate_transaction_mode = true`: LLKV's `BEGIN` always takes its snapshot at once
//!   (`false`, DuckDB's lazy start, is not supported);
//! - `index_scan_percentage`, `index_scan_max_count`: thresholds of DuckDB's ART index
//!   scans (LLKV picks its index lookups from the predicate alone);
//! - `preserve_insertion_order`, `enable_progress_bar`, `enable_object_cache`,
//!   `PRAGMA verify_parallelism`, `PRAGMA [enable|disable]_verification`: output-order,
//!   UI and test-verification switches that change nothing LLKV computes.
//!
//! Two options change results, for the session that sets them ([`SessionSetting`]):
//! `default_null_order` (`nulls_first`, `nulls_last`, `nulls_first_on_asc_last_on_desc`,
//! `nulls_last_on_asc_first_on_desc`) and `default_order` (`asc`, `desc`), the `ORDER BY`
//! defaults.
//!
//! Any other option is an error naming it, as in DuckDB.

use llkv_traits::{DialectError, NullOrder, SessionSetting};
use sqlparser::ast::{Expr, ObjectName, Set, Statement, UnaryOperator, Value};

/// The form an option's value must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `true` / `false` (or `1` / `0`).
    Bool,
    /// The value `true` only.
    True,
    /// A non-negative integer.
    Count,
    /// A number.
    Number,
    /// A size: a number of bytes or a string such as `'4GB'`.
    Size,
}

/// Options accepted with `SET name = value` / `PRAGMA name = value`.
const OPTIONS: &[(&str, Kind)] = &[
    ("threads", Kind::Count),
    ("worker_threads", Kind::Count),
    ("memory_limit", Kind::Size),
    ("max_memory", Kind::Size),
    ("wal_autocheckpoint", Kind::Size),
    ("checkpoint_threshold", Kind::Size),
    ("immediate_transaction_mode", Kind::True),
    ("index_scan_percentage", Kind::Number),
    ("index_scan_max_count", Kind::Count),
    ("preserve_insertion_order", Kind::Bool),
    ("enable_progress_bar", Kind::Bool),
    ("enable_object_cache", Kind::Bool),
];

/// Pragmas called without a value.
const CALLS: &[&str] = &[
    "checkpoint",
    "force_checkpoint",
    "enable_checkpoint_on_shutdown",
    "disable_checkpoint_on_shutdown",
    "verify_parallelism",
    "enable_verification",
    "disable_verification",
];

/// A value as written, without its quotes; `None` for anything but a literal.
fn literal(e: &Expr) -> Option<String> {
    match e {
        Expr::Value(v) => match &v.value {
            Value::Number(n, _) => Some(n.clone()),
            Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => Some(s.clone()),
            Value::Boolean(b) => Some(b.to_string()),
            _ => None,
        },
        Expr::Identifier(i) => Some(i.value.clone()),
        Expr::UnaryOp {
            op: UnaryOperator::Minus,
            expr,
        } => literal(expr).map(|v| format!("-{v}")),
        _ => None,
    }
}

/// True if `text` is a size: digits, optionally a fraction, and an optional unit.
fn is_size(text: &str) -> bool {
    let t = text.trim();
    let digits = t
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(t.len());
    let (number, unit) = t.split_at(digits);
    let units = [
        "", "b", "byte", "bytes", "kb", "kib", "mb", "mib", "gb", "gib", "tb", "tib", "pb", "pib",
    ];
    number.parse::<f64>().is_ok() && units.contains(&unit.trim().to_lowercase().as_str())
}

fn check_value(name: &str, kind: Kind, value: &str) -> Result<(), DialectError> {
    let v = value.trim().to_lowercase();
    let ok = match kind {
        Kind::Bool => matches!(v.as_str(), "true" | "false" | "1" | "0"),
        Kind::True => {
            if matches!(v.as_str(), "false" | "0") {
                return Err(DialectError::Other(format!(
                    "{name} = false is not supported: LLKV transactions always take their \
                     snapshot at BEGIN"
                )));
            }
            matches!(v.as_str(), "true" | "1")
        }
        Kind::Count => v.parse::<u64>().is_ok(),
        Kind::Number => v.parse::<f64>().is_ok_and(f64::is_finite),
        Kind::Size => is_size(&v),
    };
    if ok {
        Ok(())
    } else {
        Err(DialectError::Other(format!(
            "invalid value {value:?} for configuration parameter \"{name}\""
        )))
    }
}

fn option_name(name: &ObjectName) -> String {
    name.to_string().to_lowercase()
}

fn unrecognized(name: &str) -> DialectError {
    DialectError::Other(format!("unrecognized configuration parameter \"{name}\""))
}

/// What a statement did to the configuration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Configured {
    /// Not a `SET`/`PRAGMA`/`CHECKPOINT` statement.
    No,
    /// An option without effect in LLKV, accepted.
    Accepted,
    /// A setting of the session.
    Session(SessionSetting),
}

/// `default_null_order`'s values, as DuckDB spells them (case-insensitive, `_` or space).
fn null_order(value: &str) -> Result<NullOrder, DialectError> {
    Ok(
        match value.trim().to_lowercase().replace(' ', "_").as_str() {
            "nulls_first" => NullOrder::First,
            "nulls_last" => NullOrder::Last,
            "nulls_first_on_asc_last_on_desc" => NullOrder::FirstOnAscending,
            "nulls_last_on_asc_first_on_desc" => NullOrder::LastOnAscending,
            _ => {
                return Err(DialectError::Other(format!(
                    "Parser Error: Unrecognized parameter for option NULL_ORDER \"{value}\", \
                     expected either NULLS FIRST, NULLS LAST, NULLS_FIRST_ON_ASC_LAST_ON_DESC \
                     or NULLS_LAST_ON_ASC_FIRST_ON_DESC"
                )));
            }
        },
    )
}

/// `default_order`'s values: true for descending.
fn descending(value: &str) -> Result<bool, DialectError> {
    match value.trim().to_lowercase().as_str() {
        "asc" | "ascending" => Ok(false),
        "desc" | "descending" => Ok(true),
        _ => Err(DialectError::Other(format!(
            "Invalid Input Error: Unrecognized parameter for option DEFAULT_ORDER \"{value}\". \
             Expected ASC or DESC."
        ))),
    }
}

/// Sets an option to `value`: a session setting, or checked and then ignored.
fn set(name: &str, value: Option<String>) -> Result<Configured, DialectError> {
    let constant = |value: Option<String>| {
        value.ok_or_else(|| {
            DialectError::Other(format!(
                "configuration parameter \"{name}\" needs a constant value"
            ))
        })
    };
    match name {
        "default_null_order" | "null_order" => {
            let order = null_order(&constant(value)?)?;
            return Ok(Configured::Session(SessionSetting::DefaultNullOrder(order)));
        }
        "default_order" => {
            let descending = descending(&constant(value)?)?;
            return Ok(Configured::Session(SessionSetting::DefaultOrderDescending(
                descending,
            )));
        }
        _ => {}
    }
    let Some(&(_, kind)) = OPTIONS.iter().find(|(n, _)| *n == name) else {
        return Err(unrecognized(name));
    };
    check_value(name, kind, &constant(value)?)?;
    Ok(Configured::Accepted)
}

/// Handles a `SET`/`PRAGMA` statement.
pub(super) fn configure(statement: &Statement) -> Result<Configured, DialectError> {
    match statement {
        Statement::Set(Set::SingleAssignment {
            hivevar: false,
            variable,
            values,
            ..
        }) => {
            let name = option_name(variable);
            let value = match values.as_slice() {
                [v] => literal(v),
                _ => None,
            };
            set(&name, value)
        }
        Statement::Pragma { name, value, is_eq } => {
            let name = option_name(name);
            match value {
                Some(v) if *is_eq || OPTIONS.iter().any(|(n, _)| *n == name) => {
                    // `PRAGMA name = value` and `PRAGMA name(value)`.
                    let text = match v {
                        Value::Number(n, _) => Some(n.clone()),
                        Value::SingleQuotedString(s) | Value::DoubleQuotedString(s) => {
                            Some(s.clone())
                        }
                        Value::Boolean(b) => Some(b.to_string()),
                        _ => None,
                    };
                    return set(&name, text);
                }
                // `CHECKPOINT db` / `PRAGMA checkpoint('db')`: the database name is not
                // checked (there is one database).
                _ if CALLS.contains(&name.as_str()) => {}
                _ => return Err(unrecognized(&name)),
            }
            Ok(Configured::Accepted)
        }
        _ => Ok(Configured::No),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dialects::DuckDbParser;
    use sqlparser::parser::Parser;

    fn run(sql: &str) -> Result<Configured, String> {
        let stmts = Parser::parse_sql(&DuckDbParser::new(), sql).map_err(|e| e.to_string())?;
        configure(&stmts[0]).map_err(|e| e.to_string())
    }

    #[test]
    fn accepts_known_options_with_valid_values() {
        for sql in [
            "SET threads = 4",
            "SET threads TO 1",
            "PRAGMA threads=2",
            "SET memory_limit = '1GB'",
            "PRAGMA wal_autocheckpoint='1TB'",
            "SET immediate_transaction_mode = true",
            "SET index_scan_percentage = 1.0",
            "PRAGMA disable_checkpoint_on_shutdown",
            "CHECKPOINT",
            "FORCE CHECKPOINT",
        ] {
            assert_eq!(run(sql), Ok(Configured::Accepted), "{sql}");
        }
        assert_eq!(run("SELECT 1"), Ok(Configured::No));
    }

    #[test]
    fn order_defaults_are_session_settings() {
        use SessionSetting::*;
        for (sql, setting) in [
            (
                "SET default_null_order = 'nulls_first'",
                DefaultNullOrder(NullOrder::First),
            ),
            (
                "PRAGMA default_null_order='NULLS LAST'",
                DefaultNullOrder(NullOrder::Last),
            ),
            (
                "SET default_null_order = 'nulls_last_on_asc_first_on_desc'",
                DefaultNullOrder(NullOrder::LastOnAscending),
            ),
            (
                "PRAGMA default_order='DESCENDING'",
                DefaultOrderDescending(true),
            ),
            ("SET default_order = 'asc'", DefaultOrderDescending(false)),
        ] {
            assert_eq!(run(sql), Ok(Configured::Session(setting)), "{sql}");
        }
        let err = run("PRAGMA default_null_order='UNKNOWN'").unwrap_err();
        assert!(err.contains("Unrecognized parameter for option"), "{err}");
        let err = run("PRAGMA default_order='UNKNOWN'").unwrap_err();
        assert!(err.contains("Unrecognized parameter for option"), "{err}");
    }

    #[test]
    fn rejects_unknown_options_and_bad_values() {
        for (sql, message) in [
            (
                "SET no_such_option = 1",
                "unrecognized configuration parameter",
            ),
            (
                "PRAGMA no_such_pragma",
                "unrecognized configuration parameter",
            ),
            ("SET threads = 'many'", "invalid value"),
            ("SET memory_limit = '12 parsecs'", "invalid value"),
            ("SET immediate_transaction_mode = false", "not supported"),
            ("SET threads = (SELECT 1)", "needs a constant value"),
        ] {
            let err = run(sql).unwrap_err();
            assert!(err.contains(message), "{sql}: {err}");
        }
    }
}
