//! A custom SQL dialect: SQLite's rules plus a `SHOUT(x)` function, added as a syntax-tree
//! rewrite (`SHOUT(x)` becomes `UPPER(x) || '!'`), never by rewriting SQL text.
//!
//! `cargo run -p llkv-examples --example custom_dialect`

use std::sync::Arc;

use arrow::datatypes::DataType;
use llkv_reference_engine::Engine;
use llkv_reference_engine::dialects::SqliteDialect;
use llkv_traits::{Coercion, Dialect, DialectError, DivisionByZero, IntegerOverflow};
use sqlparser::ast::{BinaryOperator, Expr, Function, FunctionArguments, Ident, ObjectName, Value};

struct ShoutDialect(SqliteDialect);

impl Dialect for ShoutDialect {
    fn name(&self) -> &str {
        "shout"
    }
    fn parser(&self) -> &dyn sqlparser::dialect::Dialect {
        self.0.parser()
    }
    fn map_type(&self, t: &sqlparser::ast::DataType) -> Result<DataType, DialectError> {
        self.0.map_type(t)
    }
    fn nulls_first(&self, descending: bool) -> bool {
        self.0.nulls_first(descending)
    }
    fn coercion(&self) -> Coercion {
        self.0.coercion()
    }
    fn integer_overflow(&self) -> IntegerOverflow {
        self.0.integer_overflow()
    }
    fn division_by_zero(&self) -> DivisionByZero {
        self.0.division_by_zero()
    }
    fn rewrite_expr(&self, expr: &Expr) -> Result<Option<Expr>, DialectError> {
        let Expr::Function(f) = expr else {
            return Ok(None);
        };
        if !f.name.to_string().eq_ignore_ascii_case("shout") {
            return Ok(None);
        }
        let mut upper: Function = f.clone();
        upper.name = ObjectName::from(vec![Ident::new("upper")]);
        if !matches!(upper.args, FunctionArguments::List(_)) {
            return Err(DialectError::Other("SHOUT takes one argument".into()));
        }
        Ok(Some(Expr::BinaryOp {
            left: Box::new(Expr::Function(upper)),
            op: BinaryOperator::StringConcat,
            right: Box::new(Expr::value(Value::SingleQuotedString("!".into()))),
        }))
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    llkv_traits::conformance::dialect::parses_core_sql(&ShoutDialect(SqliteDialect::new()));
    let engine = Engine::builder()
        .custom_dialect(Arc::new(ShoutDialect(SqliteDialect::new())))
        .build()?;
    let mut session = engine.session();
    let result = session.query("SELECT shout('hello, world')")?;
    println!(
        "{}",
        arrow::util::pretty::pretty_format_batches(&result.batches)?
    );
    Ok(())
}
