//! The dialect kit. Instantiate with [`crate::dialect_conformance_tests!`].

use arrow::datatypes::DataType;
use sqlparser::parser::Parser;

use crate::dialect::{Dialect, StatementHook};

/// The statements every dialect must parse.
pub const CORE_STATEMENTS: &[&str] = &[
    "CREATE TABLE t (a INTEGER PRIMARY KEY, b VARCHAR(10) NOT NULL DEFAULT 'x', c DOUBLE)",
    "INSERT INTO t VALUES (1, 'a,)''b', 2.5), (2, NULL, NULL)",
    "SELECT a, count(*) FROM t WHERE b IS NOT NULL GROUP BY a HAVING count(*) > 1 ORDER BY a DESC NULLS LAST LIMIT 3 OFFSET 1",
    "SELECT * FROM t AS x LEFT JOIN t AS y ON x.a = y.a CROSS JOIN t AS z",
    "UPDATE t SET b = 'y' WHERE a IN (1, 2, 3)",
    "DELETE FROM t WHERE c BETWEEN 1 AND 2 OR b LIKE 'a%'",
    "SELECT CASE WHEN a > 1 THEN 'big' ELSE 'small' END, CAST(a AS TEXT), COALESCE(b, 'n') FROM t",
    "BEGIN",
    "COMMIT",
    "ROLLBACK",
    "DROP TABLE IF EXISTS t",
];

/// The parser accepts the core statements, and hooks hand on what they do not handle.
pub fn parses_core_sql(d: &dyn Dialect) {
    for sql in CORE_STATEMENTS {
        let statements = Parser::parse_sql(d.parser(), sql)
            .unwrap_or_else(|e| panic!("{}: failed to parse `{sql}`: {e}", d.name()));
        assert_eq!(
            statements.len(),
            1,
            "{}: `{sql}` is one statement",
            d.name()
        );
        for s in statements {
            match d.rewrite_statement(s).expect("rewrite_statement") {
                StatementHook::Unhandled(_) => {}
                StatementHook::Set(setting) => {
                    panic!("{}: `{sql}` read as the setting {setting:?}", d.name())
                }
                StatementHook::Rewritten(v) => {
                    assert!(
                        !v.is_empty() || sql.starts_with("DROP"),
                        "{}: hook dropped `{sql}`",
                        d.name()
                    )
                }
            }
        }
    }
}

/// Standard DDL types map to the expected Arrow types, and unknown types are errors.
pub fn maps_standard_types(d: &dyn Dialect) {
    type Check = fn(&DataType) -> bool;
    let cases: &[(&str, Check)] = &[
        ("INTEGER", |t| t.is_integer()),
        ("BIGINT", |t| *t == DataType::Int64),
        ("SMALLINT", |t| t.is_integer()),
        ("DOUBLE", |t| *t == DataType::Float64),
        ("REAL", |t| t.is_floating()),
        ("VARCHAR(10)", |t| *t == DataType::Utf8),
        ("TEXT", |t| *t == DataType::Utf8),
        ("BOOLEAN", |t| *t == DataType::Boolean),
        ("DATE", |t| *t == DataType::Date32),
        ("DECIMAL(10,2)", |t| {
            matches!(t, DataType::Decimal128(10, 2))
        }),
    ];
    for (sql_type, check) in cases {
        let sql = format!("CREATE TABLE t (c {sql_type})");
        let stmt = Parser::parse_sql(d.parser(), &sql)
            .unwrap_or_else(|e| panic!("{}: failed to parse `{sql}`: {e}", d.name()))
            .remove(0);
        let sqlparser::ast::Statement::CreateTable(ct) = stmt else {
            panic!("{}: `{sql}` is not CREATE TABLE", d.name());
        };
        let mapped = d
            .map_type(&ct.columns[0].data_type)
            .unwrap_or_else(|e| panic!("{}: {sql_type}: {e}", d.name()));
        assert!(
            check(&mapped),
            "{}: {sql_type} mapped to {mapped}",
            d.name()
        );
    }
}

/// Identifier folding is idempotent.
pub fn folding_is_idempotent(d: &dyn Dialect) {
    for ident in ["abc", "ABC", "MixedCase", "x_1"] {
        let once = d.fold_identifier(ident);
        assert_eq!(
            d.fold_identifier(&once),
            once,
            "{}: folding {ident}",
            d.name()
        );
    }
}

/// Stamps out the dialect kit as `#[test]` functions in a module named `$name`.
#[macro_export]
macro_rules! dialect_conformance_tests {
    ($name:ident, $make:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn parses_core_sql() {
                $crate::conformance::dialect::parses_core_sql(&$make);
            }
            #[test]
            fn maps_standard_types() {
                $crate::conformance::dialect::maps_standard_types(&$make);
            }
            #[test]
            fn folding_is_idempotent() {
                $crate::conformance::dialect::folding_is_idempotent(&$make);
            }
        }
    };
}
