//! Splitting SQL scripts into statements.
//!
//! The splitter runs sqlparser's tokenizer over the script, so a `;` inside a string literal,
//! a quoted identifier or a comment never ends a statement. Statements keep their original
//! text (from their first to their last token, comments inside included); the terminating
//! `;` and surrounding whitespace and comments are dropped, and so are empty statements.
//!
//! `CREATE TRIGGER ... BEGIN ...; ...; END;` is one statement: inside a trigger body a `;`
//! ends the statement only after the keyword `END` (the rule of SQLite's `sqlite3_complete`).

use sqlparser::dialect::GenericDialect;
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Location, Token, TokenWithSpan, Tokenizer};

/// Splits a script into its statements at top-level `;`.
///
/// Each returned statement is the original text from its first to its last token, without
/// the terminating `;`; statements that hold only whitespace or comments are dropped. When
/// the tokenizer cannot finish (an unterminated string or comment), the text from the start
/// of the unfinished statement to the end of the script is returned as the last statement, so
/// the engine reports the syntax error.
pub fn split_statements(sql: &str) -> Vec<String> {
    scan(sql)
        .statements
        .into_iter()
        .map(|range| sql[range].to_string())
        .collect()
}

/// Tells whether `sql` is ready to run: it ends (ignoring trailing whitespace and comments)
/// with a `;` that terminates a statement (possibly an empty one).
///
/// The REPL keeps reading continuation lines while this is false.
pub fn is_complete(sql: &str) -> bool {
    scan(sql).complete
}

/// The result of scanning a script.
struct Scanned {
    /// Byte ranges of the non-empty statements, in order.
    statements: Vec<std::ops::Range<usize>>,
    /// True when nothing but whitespace and comments follows the last terminator and the
    /// tokenizer reached the end of the text without error.
    complete: bool,
}

/// Where the statement being scanned stands with respect to `CREATE TRIGGER`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TriggerState {
    /// No token seen yet in this statement.
    Start,
    /// Saw `CREATE`, possibly followed by `TEMP`/`TEMPORARY`.
    AfterCreate,
    /// Inside a `CREATE TRIGGER` statement: `;` ends it only after `END`.
    InTrigger,
    /// An ordinary statement.
    Plain,
}

fn scan(sql: &str) -> Scanned {
    let dialect = GenericDialect {};
    let mut tokens: Vec<TokenWithSpan> = Vec::new();
    let tokenized = Tokenizer::new(&dialect, sql)
        .with_unescape(false)
        .tokenize_with_location_into_buf(&mut tokens)
        .is_ok();

    let mut offsets = OffsetMap::new(sql);
    let mut statements = Vec::new();
    // Byte range of the current statement's tokens (first token start, last token end).
    let mut current: Option<(usize, usize)> = None;
    let mut state = TriggerState::Start;
    let mut last_word_was_end = false;
    let mut complete = false;

    for token in &tokens {
        match &token.token {
            Token::Whitespace(_) => continue,
            Token::SemiColon if state != TriggerState::InTrigger || last_word_was_end => {
                if let Some((start, end)) = current.take() {
                    statements.push(start..end);
                }
                state = TriggerState::Start;
                last_word_was_end = false;
                complete = true;
                continue;
            }
            other => {
                let start = offsets.offset(token.span.start);
                let end = offsets.offset(token.span.end);
                current = Some(match current {
                    Some((s, _)) => (s, end),
                    None => (start, end),
                });
                complete = false;
                let keyword = match other {
                    Token::Word(word) if word.quote_style.is_none() => Some(word.keyword),
                    _ => None,
                };
                last_word_was_end = keyword == Some(Keyword::END);
                state = match (state, keyword) {
                    (TriggerState::Start, Some(Keyword::CREATE)) => TriggerState::AfterCreate,
                    (TriggerState::AfterCreate, Some(Keyword::TEMP | Keyword::TEMPORARY)) => {
                        TriggerState::AfterCreate
                    }
                    (TriggerState::AfterCreate, Some(Keyword::TRIGGER)) => TriggerState::InTrigger,
                    (TriggerState::InTrigger, _) => TriggerState::InTrigger,
                    _ => TriggerState::Plain,
                };
            }
        }
    }

    if tokenized {
        if let Some((start, end)) = current {
            statements.push(start..end);
        }
    } else {
        // The tokenizer stopped (e.g. an unterminated string): hand the rest of the text to
        // the engine as one statement so that it reports the error.
        let start = current.map_or_else(
            || tokens.last().map_or(0, |t| offsets.offset(t.span.end)),
            |(s, _)| s,
        );
        let rest = sql[start..].trim();
        if !rest.is_empty() {
            let begin = start + (sql[start..].len() - sql[start..].trim_start().len());
            statements.push(begin..begin + rest.len());
        }
        complete = false;
    }
    Scanned {
        statements,
        complete,
    }
}

/// Converts the tokenizer's (line, column) locations into byte offsets.
///
/// Locations are visited in increasing order, so the map walks the text once.
struct OffsetMap<'a> {
    text: &'a str,
    byte: usize,
    line: u64,
    column: u64,
}

impl<'a> OffsetMap<'a> {
    fn new(text: &'a str) -> Self {
        Self {
            text,
            byte: 0,
            line: 1,
            column: 1,
        }
    }

    fn offset(&mut self, target: Location) -> usize {
        if (target.line, target.column) < (self.line, self.column) {
            // Not expected (locations only grow); restart from the beginning.
            self.byte = 0;
            self.line = 1;
            self.column = 1;
        }
        while (self.line, self.column) < (target.line, target.column) {
            let Some(ch) = self.text[self.byte..].chars().next() else {
                break;
            };
            self.byte += ch.len_utf8();
            if ch == '\n' {
                self.line += 1;
                self.column = 1;
            } else {
                self.column += 1;
            }
        }
        self.byte
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_top_level_semicolons() {
        assert_eq!(
            split_statements("SELECT 1; SELECT 2;\nSELECT 3"),
            vec!["SELECT 1", "SELECT 2", "SELECT 3"]
        );
    }

    #[test]
    fn semicolons_in_strings_identifiers_and_comments_do_not_split() {
        let sql = "SELECT 'a;b', \"c;d\" FROM t; -- x; y\nSELECT /* ; */ 2;";
        assert_eq!(
            split_statements(sql),
            vec!["SELECT 'a;b', \"c;d\" FROM t", "SELECT /* ; */ 2"]
        );
    }

    #[test]
    fn empty_statements_and_comment_only_statements_are_dropped() {
        assert_eq!(split_statements(" ; ;; -- nothing\n"), Vec::<String>::new());
        assert_eq!(
            split_statements("-- lead\nSELECT 1 -- tail\n;"),
            vec!["SELECT 1"]
        );
    }

    #[test]
    fn keeps_original_text_across_lines_and_unicode() {
        let sql = "INSERT INTO t VALUES ('héllo',\n  'wörld');SELECT 'ü'";
        assert_eq!(
            split_statements(sql),
            vec!["INSERT INTO t VALUES ('héllo',\n  'wörld')", "SELECT 'ü'"]
        );
    }

    #[test]
    fn crlf_text_is_handled() {
        assert_eq!(
            split_statements("SELECT 1;\r\nSELECT 2;\r\n"),
            vec!["SELECT 1", "SELECT 2"]
        );
    }

    #[test]
    fn trigger_bodies_stay_together() {
        let sql = "CREATE TEMP TRIGGER tr AFTER INSERT ON t BEGIN INSERT INTO u VALUES (1); \
                   DELETE FROM v; END; SELECT 1;";
        let parts = split_statements(sql);
        assert_eq!(parts.len(), 2);
        assert!(parts[0].ends_with("END"));
        assert_eq!(parts[1], "SELECT 1");
    }

    #[test]
    fn unterminated_string_is_returned_whole() {
        assert_eq!(
            split_statements("SELECT 1; SELECT 'abc;"),
            vec!["SELECT 1", "SELECT 'abc;"]
        );
    }

    #[test]
    fn completeness() {
        assert!(is_complete("SELECT 1;"));
        assert!(is_complete("SELECT 1; -- done\n"));
        assert!(!is_complete("SELECT 1"));
        assert!(!is_complete("SELECT 'a;"));
        assert!(!is_complete("SELECT 1; SELECT"));
        assert!(!is_complete(""));
        assert!(is_complete(" ; "));
        assert!(!is_complete(
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1;"
        ));
        assert!(is_complete(
            "CREATE TRIGGER tr AFTER INSERT ON t BEGIN SELECT 1; END;"
        ));
    }
}
