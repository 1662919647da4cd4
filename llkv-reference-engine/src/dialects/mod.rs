//! The built-in dialects: [`SqliteDialect`] and [`DuckDbDialect`].

mod duckdb;
mod duckdb_errors;
mod duckdb_parser;
mod duckdb_settings;
mod sqlite;
mod sqlite_parser;

pub use duckdb::DuckDbDialect;
pub use duckdb_parser::DuckDbParser;
pub use sqlite::SqliteDialect;
pub use sqlite_parser::SqliteParser;

use sqlparser::ast::{DataType as SqlType, ExactNumberInfo};

/// The precision and scale of a `DECIMAL`/`NUMERIC` type, with defaults.
fn decimal_params(info: &ExactNumberInfo, default: (u8, i8)) -> (u8, i8) {
    match info {
        ExactNumberInfo::None => default,
        ExactNumberInfo::Precision(p) => ((*p).min(38) as u8, 0),
        ExactNumberInfo::PrecisionAndScale(p, s) => ((*p).min(38) as u8, (*s).clamp(0, 38) as i8),
    }
}

/// The upper-case name of a type, without parameters (for affinity rules).
fn type_name(t: &SqlType) -> String {
    let text = t.to_string().to_uppercase();
    text.split('(').next().unwrap_or("").trim().to_owned()
}
