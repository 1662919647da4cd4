//! DuckDB's flavour, as DuckDB's test suites expect it.

use arrow::datatypes::DataType;
use llkv_traits::{
    Coercion, Dialect, DialectError, DivisionByZero, ErrorDetail, ErrorInTransaction,
    IntegerDivision, IntegerOverflow, StatementHook,
};
use sqlparser::ast::{DataType as SqlType, Statement};

use super::{DuckDbParser, decimal_params, duckdb_errors, duckdb_settings, type_name};

/// DuckDB semantics: sized integer types whose overflow is an error, `/` on integers gives a
/// double, `x / 0` is NULL, NULLs sort last in both directions, strict typing, and a
/// failed statement aborts its transaction until `ROLLBACK`. Constraint, catalog and
/// aborted-transaction errors are worded as DuckDB words them (`Constraint Error:
/// Duplicate key "i: 1" violates primary key constraint.`). The grammar is
/// [`DuckDbParser`]'s; `SET`/`PRAGMA` options and `CHECKPOINT` are handled as the
/// `duckdb_settings` module describes.
#[derive(Debug)]
pub struct DuckDbDialect {
    parser: DuckDbParser,
}

impl DuckDbDialect {
    /// The dialect.
    pub fn new() -> Self {
        Self {
            parser: DuckDbParser::new(),
        }
    }
}

impl Default for DuckDbDialect {
    fn default() -> Self {
        Self::new()
    }
}

impl Dialect for DuckDbDialect {
    fn name(&self) -> &str {
        "duckdb"
    }

    fn parser(&self) -> &dyn sqlparser::dialect::Dialect {
        &self.parser
    }

    fn map_type(&self, t: &SqlType) -> Result<DataType, DialectError> {
        Ok(match t {
            SqlType::Boolean | SqlType::Bool => DataType::Boolean,
            SqlType::Date => DataType::Date32,
            SqlType::TinyInt(_) | SqlType::Int8(_) if type_name(t) == "TINYINT" => DataType::Int8,
            SqlType::SmallInt(_) | SqlType::Int2(_) => DataType::Int16,
            SqlType::Int(_) | SqlType::Integer(_) | SqlType::Int4(_) => DataType::Int32,
            SqlType::BigInt(_) | SqlType::Int8(_) => DataType::Int64,
            SqlType::Real | SqlType::Float4 => DataType::Float32,
            SqlType::Float(_) => DataType::Float32,
            SqlType::Double(_) | SqlType::DoublePrecision | SqlType::Float8 => DataType::Float64,
            SqlType::Decimal(info) | SqlType::Numeric(info) | SqlType::Dec(info) => {
                let (p, s) = decimal_params(info, (18, 3));
                DataType::Decimal128(p.max(1), s)
            }
            SqlType::Varchar(_)
            | SqlType::Char(_)
            | SqlType::Text
            | SqlType::String(_)
            | SqlType::CharVarying(_)
            | SqlType::Character(_)
            | SqlType::CharacterVarying(_) => DataType::Utf8,
            other => match type_name(other).as_str() {
                "TINYINT" | "INT1" => DataType::Int8,
                "HUGEINT" | "INT128" => DataType::Decimal128(38, 0),
                "UBIGINT" | "UINTEGER" | "USMALLINT" | "UTINYINT" => DataType::Int64,
                "VARCHAR" | "BPCHAR" | "STRING" => DataType::Utf8,
                _ => return Err(DialectError::UnsupportedType(other.to_string())),
            },
        })
    }

    fn nulls_first(&self, _descending: bool) -> bool {
        false
    }

    fn literal_insert_fast_path(&self) -> bool {
        true
    }

    fn reuse_plans(&self) -> bool {
        true
    }

    fn integer_division(&self) -> IntegerDivision {
        IntegerDivision::Float
    }

    fn division_by_zero(&self) -> DivisionByZero {
        DivisionByZero::Null
    }

    fn integer_overflow(&self) -> IntegerOverflow {
        IntegerOverflow::Error
    }

    fn coercion(&self) -> Coercion {
        Coercion::Strict
    }

    fn error_in_transaction(&self) -> ErrorInTransaction {
        ErrorInTransaction::MustRollback
    }

    fn error_message(&self, error: &ErrorDetail<'_>) -> Option<String> {
        Some(duckdb_errors::message(error))
    }

    fn rewrite_statement(&self, statement: Statement) -> Result<StatementHook, DialectError> {
        Ok(match duckdb_settings::configure(&statement)? {
            duckdb_settings::Configured::No => StatementHook::Unhandled(Box::new(statement)),
            duckdb_settings::Configured::Accepted => StatementHook::Rewritten(Vec::new()),
            duckdb_settings::Configured::Session(setting) => StatementHook::Set(setting),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    llkv_traits::dialect_conformance_tests!(duckdb_kit, DuckDbDialect::new());
}
