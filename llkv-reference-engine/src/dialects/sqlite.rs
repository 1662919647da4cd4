//! SQLite's flavour, as SQLite's sqllogictest corpus expects it.

use arrow::datatypes::DataType;
use llkv_traits::{
    Coercion, Dialect, DialectError, DivisionByZero, ErrorInTransaction, IntegerDivision,
    IntegerOverflow,
};
use sqlparser::ast::DataType as SqlType;

use super::{decimal_params, type_name};

/// SQLite semantics: type affinity (any type name maps by SQLite's rules: names containing
/// `INT` are integers, `CHAR`/`CLOB`/`TEXT` text, `REAL`/`FLOA`/`DOUB` reals), integer
/// arithmetic that overflows into reals, `x / 0` is NULL, NULLs sort first ascending, `LIKE`
/// is ASCII case-insensitive, and a failed statement leaves its transaction running.
#[derive(Debug)]
pub struct SqliteDialect {
    parser: super::SqliteParser,
}

impl SqliteDialect {
    /// The dialect.
    pub fn new() -> Self {
        Self {
            parser: super::SqliteParser::new(),
        }
    }
}

impl Default for SqliteDialect {
    fn default() -> Self {
        Self::new()
    }
}

impl Dialect for SqliteDialect {
    fn name(&self) -> &str {
        "sqlite"
    }

    fn parser(&self) -> &dyn sqlparser::dialect::Dialect {
        &self.parser
    }

    fn map_type(&self, t: &SqlType) -> Result<DataType, DialectError> {
        match t {
            SqlType::Boolean | SqlType::Bool => return Ok(DataType::Boolean),
            SqlType::Date => return Ok(DataType::Date32),
            SqlType::Decimal(info) | SqlType::Numeric(info) | SqlType::Dec(info)
                if !matches!(info, sqlparser::ast::ExactNumberInfo::None) =>
            {
                let (p, s) = decimal_params(info, (38, 0));
                return Ok(DataType::Decimal128(p.max(1), s));
            }
            _ => {}
        }
        // SQLite's affinity rules, in SQLite's order.
        let name = type_name(t);
        Ok(if name.contains("INT") {
            DataType::Int64
        } else if name.contains("CHAR")
            || name.contains("CLOB")
            || name.contains("TEXT")
            || name == "STRING"
        {
            DataType::Utf8
        } else if name.contains("BLOB") || name.is_empty() {
            return Err(DialectError::UnsupportedType(format!("{t} (BLOB)")));
        } else {
            // REAL, FLOAT, DOUBLE, and NUMERIC affinity.
            DataType::Float64
        })
    }

    fn nulls_first(&self, descending: bool) -> bool {
        !descending
    }

    fn literal_insert_fast_path(&self) -> bool {
        true
    }

    fn reuse_plans(&self) -> bool {
        true
    }

    fn integer_division(&self) -> IntegerDivision {
        IntegerDivision::Truncate
    }

    fn division_by_zero(&self) -> DivisionByZero {
        DivisionByZero::Null
    }

    fn integer_overflow(&self) -> IntegerOverflow {
        IntegerOverflow::PromoteToFloat
    }

    fn coercion(&self) -> Coercion {
        Coercion::SqliteAffinity
    }

    fn error_in_transaction(&self) -> ErrorInTransaction {
        ErrorInTransaction::Continue
    }

    fn function_alias(&self, name: &str) -> Option<&'static str> {
        match name {
            "ifnull" => Some("coalesce"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    llkv_traits::dialect_conformance_tests!(sqlite_kit, SqliteDialect::new());
}
