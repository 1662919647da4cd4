//! SQLite's grammar: sqlparser's `SQLiteDialect` plus the `x [NOT] IN table` form.
//!
//! sqlparser lets a dialect wrap another: [`SqliteParser`] reports the wrapped dialect's
//! type id (so the parser's SQLite-specific rules still apply) and delegates every method
//! `SQLiteDialect` overrides. Its only addition is in `parse_infix`, which reads
//! `x IN t` as `x IN (SELECT * FROM t)`, as SQLite does. The test below pins the SQLite
//! forms that depend on the delegation.

use sqlparser::ast::{Expr, Statement};
use sqlparser::dialect::{Dialect, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::Token;

/// SQLite's grammar with `x [NOT] IN table`.
#[derive(Debug)]
pub struct SqliteParser(SQLiteDialect);

impl SqliteParser {
    /// The grammar.
    pub fn new() -> Self {
        Self(SQLiteDialect {})
    }
}

impl Default for SqliteParser {
    fn default() -> Self {
        Self::new()
    }
}

impl Dialect for SqliteParser {
    fn dialect(&self) -> std::any::TypeId {
        self.0.dialect()
    }

    fn is_delimited_identifier_start(&self, ch: char) -> bool {
        self.0.is_delimited_identifier_start(ch)
    }

    fn identifier_quote_style(&self, identifier: &str) -> Option<char> {
        self.0.identifier_quote_style(identifier)
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

    fn supports_start_transaction_modifier(&self) -> bool {
        self.0.supports_start_transaction_modifier()
    }

    fn parse_statement(&self, parser: &mut Parser) -> Option<Result<Statement, ParserError>> {
        self.0.parse_statement(parser)
    }

    fn parse_infix(
        &self,
        parser: &mut Parser,
        expr: &Expr,
        precedence: u8,
    ) -> Option<Result<Expr, ParserError>> {
        if let Some(result) = parse_in_table(parser, expr) {
            return Some(result);
        }
        self.0.parse_infix(parser, expr, precedence)
    }

    fn supports_in_empty_list(&self) -> bool {
        self.0.supports_in_empty_list()
    }

    fn supports_limit_comma(&self) -> bool {
        self.0.supports_limit_comma()
    }

    fn supports_asc_desc_in_column_definition(&self) -> bool {
        self.0.supports_asc_desc_in_column_definition()
    }

    fn supports_dollar_placeholder(&self) -> bool {
        self.0.supports_dollar_placeholder()
    }

    fn supports_notnull_operator(&self) -> bool {
        self.0.supports_notnull_operator()
    }
}

/// `[NOT] IN name` (no parenthesis): the rows of table `name`. Consumes nothing and
/// returns `None` for any other form.
fn parse_in_table(parser: &mut Parser, expr: &Expr) -> Option<Result<Expr, ParserError>> {
    let negated = matches!(&parser.peek_token().token, Token::Word(w) if w.keyword == Keyword::NOT);
    let (in_tok, name_tok) = if negated {
        (parser.peek_nth_token(1), parser.peek_nth_token(2))
    } else {
        (parser.peek_token(), parser.peek_nth_token(1))
    };
    if !matches!(&in_tok.token, Token::Word(w) if w.keyword == Keyword::IN) {
        return None;
    }
    if !matches!(&name_tok.token, Token::Word(_)) {
        return None;
    }
    if negated {
        parser.next_token();
    }
    parser.next_token(); // IN
    let name = match parser.parse_object_name(false) {
        Ok(n) => n,
        Err(e) => return Some(Err(e)),
    };
    // The subquery `SELECT * FROM name`, parsed from the name's own (quoted) text.
    let dialect = SQLiteDialect {};
    let query = Parser::new(&dialect)
        .try_with_sql(&format!("SELECT * FROM {name}"))
        .and_then(|mut p| p.parse_query());
    Some(query.map(|subquery| Expr::InSubquery {
        expr: Box::new(expr.clone()),
        subquery,
        negated,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn both(
        sql: &str,
    ) -> (
        Result<Vec<Statement>, ParserError>,
        Result<Vec<Statement>, ParserError>,
    ) {
        (
            Parser::parse_sql(&SQLiteDialect {}, sql),
            Parser::parse_sql(&SqliteParser::new(), sql),
        )
    }

    #[test]
    fn sqlite_forms_parse_as_with_sqlite_dialect() {
        for sql in [
            "REPLACE INTO t VALUES (1)",
            "SELECT `a b`, [c] FROM t LIMIT 1, 2",
            "SELECT * FROM t WHERE a NOTNULL",
            "CREATE TABLE t (a INTEGER PRIMARY KEY AUTOINCREMENT, b TEXT ON CONFLICT REPLACE, c)",
            "SELECT a IN () FROM t",
            "SELECT a REGEXP 'x' FROM t",
            "SELECT count(*) FILTER (WHERE a > 1) FROM t",
            "SELECT a NOT IN (1, 2), b IN (SELECT 1) FROM t",
        ] {
            let (plain, ours) = both(sql);
            assert_eq!(
                plain.map_err(|e| e.to_string()),
                ours.map_err(|e| e.to_string()),
                "{sql}"
            );
        }
    }

    #[test]
    fn in_table_reads_the_table() {
        let ours =
            Parser::parse_sql(&SqliteParser::new(), "SELECT 1 IN t1, 2 NOT IN \"t 2\"").unwrap();
        let expected = Parser::parse_sql(
            &SQLiteDialect {},
            "SELECT 1 IN (SELECT * FROM t1), 2 NOT IN (SELECT * FROM \"t 2\")",
        )
        .unwrap();
        assert_eq!(ours, expected);
    }
}
