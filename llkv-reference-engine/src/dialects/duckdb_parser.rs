//! DuckDB's grammar: sqlparser's `DuckDbDialect` plus the `CHECKPOINT` statement.
//!
//! [`DuckDbParser`] reports the wrapped dialect's type id (so the parser's DuckDB-specific
//! rules still apply) and delegates every method `DuckDbDialect` overrides. Its addition is
//! in `parse_statement`: `[FORCE] CHECKPOINT [database]`, which DuckDB itself treats as a
//! call of the `checkpoint` (or `force_checkpoint`) pragma, is read as
//! `PRAGMA checkpoint` / `PRAGMA force_checkpoint` (with the database name as its value).

use sqlparser::ast::{Ident, ObjectName, Statement, Value};
use sqlparser::dialect::{Dialect, DuckDbDialect};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// DuckDB's grammar with `CHECKPOINT`.
#[derive(Debug, Default)]
pub struct DuckDbParser(DuckDbDialect);

impl DuckDbParser {
    /// The grammar.
    pub fn new() -> Self {
        Self(DuckDbDialect {})
    }
}

impl Dialect for DuckDbParser {
    fn dialect(&self) -> std::any::TypeId {
        self.0.dialect()
    }

    fn supports_trailing_commas(&self) -> bool {
        self.0.supports_trailing_commas()
    }

    fn is_identifier_start(&self, ch: char) -> bool {
        self.0.is_identifier_start(ch)
    }

    fn is_identifier_part(&self, ch: char) -> bool {
        self.0.is_identifier_part(ch)
    }

    fn supports_filter_during_aggregation(&self) -> bool {
        self.0.supports_filter_during_aggregation()
    }

    fn supports_group_by_expr(&self) -> bool {
        self.0.supports_group_by_expr()
    }

    fn supports_named_fn_args_with_eq_operator(&self) -> bool {
        self.0.supports_named_fn_args_with_eq_operator()
    }

    fn supports_named_fn_args_with_assignment_operator(&self) -> bool {
        self.0.supports_named_fn_args_with_assignment_operator()
    }

    fn supports_dictionary_syntax(&self) -> bool {
        self.0.supports_dictionary_syntax()
    }

    fn support_map_literal_syntax(&self) -> bool {
        self.0.support_map_literal_syntax()
    }

    fn supports_lambda_functions(&self) -> bool {
        self.0.supports_lambda_functions()
    }

    fn allow_extract_single_quotes(&self) -> bool {
        self.0.allow_extract_single_quotes()
    }

    fn supports_explain_with_utility_options(&self) -> bool {
        self.0.supports_explain_with_utility_options()
    }

    fn supports_load_extension(&self) -> bool {
        self.0.supports_load_extension()
    }

    fn supports_array_typedef_with_brackets(&self) -> bool {
        self.0.supports_array_typedef_with_brackets()
    }

    fn supports_from_first_select(&self) -> bool {
        self.0.supports_from_first_select()
    }

    fn supports_order_by_all(&self) -> bool {
        self.0.supports_order_by_all()
    }

    fn supports_select_wildcard_exclude(&self) -> bool {
        self.0.supports_select_wildcard_exclude()
    }

    fn supports_notnull_operator(&self) -> bool {
        self.0.supports_notnull_operator()
    }

    fn parse_statement(&self, parser: &mut Parser) -> Option<Result<Statement, ParserError>> {
        if let Some(result) = parse_checkpoint(parser) {
            return Some(result);
        }
        self.0.parse_statement(parser)
    }
}

fn is_word(t: &Token, word: &str) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}

/// `[FORCE] CHECKPOINT [database]`. Consumes nothing and returns `None` for any other
/// statement.
fn parse_checkpoint(parser: &mut Parser) -> Option<Result<Statement, ParserError>> {
    let force = is_word(&parser.peek_token().token, "FORCE");
    let keyword = if force {
        parser.peek_nth_token(1)
    } else {
        parser.peek_token()
    };
    if !is_word(&keyword.token, "CHECKPOINT") {
        return None;
    }
    if force {
        parser.next_token();
    }
    parser.next_token();
    let database = match parser.peek_token().token {
        Token::Word(w) => {
            parser.next_token();
            Some(Value::SingleQuotedString(w.value))
        }
        _ => None,
    };
    let name = if force {
        "force_checkpoint"
    } else {
        "checkpoint"
    };
    Some(Ok(Statement::Pragma {
        name: ObjectName::from(vec![Ident::new(name)]),
        value: database,
        is_eq: false,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn duckdb_forms_parse_as_with_duckdb_dialect() {
        for sql in [
            "FROM t",
            "FROM range(3) SELECT range + 1",
            "SELECT * EXCLUDE (a) FROM t ORDER BY ALL",
            "SELECT {'a': 1}, [1, 2], x -> x + 1 FROM t",
            "CREATE TABLE t (a INTEGER[], b INTEGER,)",
            "SELECT count(*) FILTER (WHERE a > 1) FROM t",
            "PRAGMA threads = 4",
        ] {
            let plain = Parser::parse_sql(&DuckDbDialect {}, sql).map_err(|e| e.to_string());
            let ours = Parser::parse_sql(&DuckDbParser::new(), sql).map_err(|e| e.to_string());
            assert_eq!(plain, ours, "{sql}");
        }
    }

    #[test]
    fn checkpoint_is_a_pragma() {
        let parse = |sql| Parser::parse_sql(&DuckDbParser::new(), sql).unwrap();
        let pragma = |name: &str, value: Option<&str>| Statement::Pragma {
            name: ObjectName::from(vec![Ident::new(name)]),
            value: value.map(|v| Value::SingleQuotedString(v.into())),
            is_eq: false,
        };
        assert_eq!(parse("CHECKPOINT"), vec![pragma("checkpoint", None)]);
        assert_eq!(
            parse("force checkpoint db1; CHECKPOINT"),
            vec![
                pragma("force_checkpoint", Some("db1")),
                pragma("checkpoint", None)
            ]
        );
        // A column called checkpoint is still a column.
        assert!(Parser::parse_sql(&DuckDbParser::new(), "SELECT checkpoint FROM t").is_ok());
    }
}
