//! Parsed statements cached by shape, so statements that differ only in their literals
//! (`SELECT v FROM t WHERE id = 1`, `... id = 2`, ...) are parsed once.
//!
//! A light scan of the text replaces each plain literal (a number, or a single-quoted
//! string without backslashes) by a marker of its kind, giving the statement's *shape*.
//! The first time a shape is seen the text is parsed as usual, and the parse becomes a
//! template if every literal the scan found is a value node of the tree, at the scanned
//! position, with exactly the scanned value. Later statements of that shape clone the
//! template and put their own literals in those nodes, which is what the parser would
//! build for them: everything else in their text is the same, and each literal is of the
//! same kind. Shapes whose check fails are remembered as not cacheable.
//!
//! Only query and DML texts are cached, up to [`MAX_SQL`] bytes; parse errors are never
//! cached. A template also tells where its literals are ([`Slots`]), so the session can
//! bind them as parameters and reuse the plan too (`plan_cache`).

use std::borrow::Cow;
use std::ops::ControlFlow;
use std::sync::Arc;

use hashbrown::HashMap;
use smallvec::SmallVec;
use sqlparser::ast::{Expr, Statement, Value, visit_expressions, visit_expressions_mut};

use crate::binder::types::number_literal;
use crate::error::Result;
use llkv_traits::ScalarValue;

/// Most shapes remembered per session (the cache is cleared when full).
const MAX_ENTRIES: usize = 256;
/// Longest text looked at, in bytes.
pub const MAX_SQL: usize = 8 * 1024;

/// A session's cache of parsed statement shapes.
#[derive(Debug, Default)]
pub(crate) struct ParseCache {
    entries: HashMap<String, Entry>,
}

#[derive(Debug)]
enum Entry {
    Template(Template),
    Uncacheable,
}

/// Where a template's literals are: (line, column) of each literal's value node -> its
/// position among the literals. Statements made from the template keep these positions.
pub(crate) type Slots = HashMap<(u64, u64), usize>;

/// A parse whose literal nodes can be replaced.
#[derive(Debug)]
struct Template {
    statements: Vec<Statement>,
    slots: Arc<Slots>,
}

/// A text's shape and its literals, as the scan found them.
#[derive(Debug)]
pub(crate) struct Scanned<'a> {
    /// The text with each literal replaced by a marker of its kind.
    pub(crate) shape: String,
    literals: SmallVec<[Literal<'a>; 4]>,
}

impl Scanned<'_> {
    /// The literals' values, as the binder would type them; `None` if a number does
    /// not read.
    pub(crate) fn values(&self) -> Option<Vec<ScalarValue>> {
        self.literals
            .iter()
            .map(|l| match l.kind {
                Kind::Text => Some(ScalarValue::Utf8(Some(l.text.to_string()))),
                _ => number_literal(&l.text).ok(),
            })
            .collect()
    }
}

/// The kinds of literal a shape tells apart (each parses to one kind of value node).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// Digits only.
    Integer,
    /// Digits with a decimal point.
    Decimal,
    /// A number with an exponent.
    Exponent,
    /// A single-quoted string.
    Text,
}

impl Kind {
    fn marker(self) -> &'static str {
        match self {
            Kind::Integer => "\u{1}i",
            Kind::Decimal => "\u{1}d",
            Kind::Exponent => "\u{1}e",
            Kind::Text => "\u{1}s",
        }
    }
}

/// A literal found by the scan.
#[derive(Debug)]
struct Literal<'a> {
    kind: Kind,
    /// The number's text, or the string's value (quotes removed, `''` undoubled).
    text: Cow<'a, str>,
    /// Where its token starts (1-based line and column, in characters, as the parser
    /// counts them).
    at: (u64, u64),
}

impl Literal<'_> {
    /// The value node the parser builds for this literal.
    fn value(&self) -> Value {
        match self.kind {
            Kind::Text => Value::SingleQuotedString(self.text.to_string()),
            _ => Value::Number(self.text.to_string(), false),
        }
    }
}

impl ParseCache {
    /// The statements of `sql`: from the cache when its shape is known, else by `parse`.
    #[cfg(test)]
    pub(crate) fn parse(
        &mut self,
        sql: &str,
        parse: impl FnOnce(&str) -> Result<Vec<Statement>>,
    ) -> Result<Vec<Statement>> {
        match scan(sql) {
            Some(scanned) => Ok(self.parse_scanned(sql, &scanned, parse)?.0),
            None => parse(sql),
        }
    }

    /// The statements of `sql`, whose scan is `scanned`: from the cache when its shape is
    /// known, else by `parse`. With them, where the literals are if the shape is a
    /// template.
    pub(crate) fn parse_scanned(
        &mut self,
        sql: &str,
        scanned: &Scanned<'_>,
        parse: impl FnOnce(&str) -> Result<Vec<Statement>>,
    ) -> Result<(Vec<Statement>, Option<Arc<Slots>>)> {
        match self.entries.get(&scanned.shape) {
            Some(Entry::Template(t)) => {
                if let Some(statements) = t.instantiate(&scanned.literals) {
                    return Ok((statements, Some(t.slots.clone())));
                }
                return Ok((parse(sql)?, None));
            }
            Some(Entry::Uncacheable) => return Ok((parse(sql)?, None)),
            None => {}
        }
        let statements = parse(sql)?;
        let template = Template::new(&statements, &scanned.literals);
        let slots = template.as_ref().map(|t| t.slots.clone());
        if self.entries.len() >= MAX_ENTRIES {
            self.entries.clear();
        }
        self.entries.insert(
            scanned.shape.clone(),
            template.map_or(Entry::Uncacheable, Entry::Template),
        );
        Ok((statements, slots))
    }
}

impl Template {
    /// A template of `statements` (parsed from a text with `literals`), if each literal is
    /// exactly one value node of the tree, at its position, with its value.
    fn new(statements: &[Statement], literals: &[Literal<'_>]) -> Option<Self> {
        let wanted: HashMap<(u64, u64), usize> = literals
            .iter()
            .enumerate()
            .map(|(i, l)| (l.at, i))
            .collect();
        if wanted.len() != literals.len() {
            return None;
        }
        let statements = statements.to_vec();
        let mut found = vec![false; literals.len()];
        let mut ok = true;
        let _ = visit_expressions(&statements, |e: &Expr| {
            if let Expr::Value(v) = e {
                let at = (v.span.start.line, v.span.start.column);
                if let Some(&i) = wanted.get(&at) {
                    if found[i] || v.value != literals[i].value() {
                        ok = false;
                    }
                    found[i] = true;
                }
            }
            ControlFlow::<()>::Continue(())
        });
        (ok && found.iter().all(|&f| f)).then(|| Self {
            statements,
            slots: Arc::new(wanted),
        })
    }

    /// The template with `literals` (of the same shape) in its value nodes; `None` if
    /// the nodes do not line up (then the text is parsed instead).
    fn instantiate(&self, literals: &[Literal<'_>]) -> Option<Vec<Statement>> {
        if literals.len() != self.slots.len() {
            return None;
        }
        let mut statements = self.statements.clone();
        let mut replaced = 0;
        let _ = visit_expressions_mut(&mut statements, |e: &mut Expr| {
            if let Expr::Value(v) = e
                && let Some(&i) = self.slots.get(&(v.span.start.line, v.span.start.column))
            {
                v.value = literals[i].value();
                replaced += 1;
            }
            ControlFlow::<()>::Continue(())
        });
        (replaced == literals.len()).then_some(statements)
    }
}

/// Statements worth caching start with one of these words.
const CACHED_VERBS: [&str; 7] = [
    "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "VALUES", "REPLACE",
];

/// The shape of `sql` and its literals; `None` if the text is not worth caching (too
/// long, not a query or DML statement, or with dollar-quoted strings the scan does not
/// read).
pub(crate) fn scan(sql: &str) -> Option<Scanned<'_>> {
    if sql.len() > MAX_SQL || sql.contains("$$") {
        return None;
    }
    let first = sql
        .trim_start()
        .split(|c: char| !c.is_ascii_alphabetic())
        .next()?;
    if !CACHED_VERBS.iter().any(|v| v.eq_ignore_ascii_case(first)) {
        return None;
    }
    let b = sql.as_bytes();
    let mut shape = String::with_capacity(sql.len());
    let mut literals = SmallVec::new();
    let (mut line, mut column) = (1u64, 1u64);
    // `copied` is where the text not yet copied to `shape` starts.
    let (mut i, mut copied) = (0usize, 0usize);
    // Advances the position over `sql[from..to]`: a line per newline, a column per
    // character after the last one (counting bytes that do not continue a character).
    let advance = |from: usize, to: usize, line: &mut u64, column: &mut u64| {
        let text = &b[from..to];
        let rest = match text.iter().rposition(|&c| c == b'\n') {
            Some(last) => {
                *line += text.iter().filter(|&&c| c == b'\n').count() as u64;
                *column = 1;
                &text[last + 1..]
            }
            None => text,
        };
        *column += rest.iter().filter(|&&c| c & 0xC0 != 0x80).count() as u64;
    };
    while i < b.len() {
        let c = b[i];
        let prev = if i == 0 { b' ' } else { b[i - 1] };
        let end = match c {
            b'\'' if !is_word(prev) => {
                let end = closing(b, i, b'\'')?;
                let body = &sql[i + 1..end - 1];
                if !body.contains('\\') {
                    let text = if body.contains("''") {
                        Cow::Owned(body.replace("''", "'"))
                    } else {
                        Cow::Borrowed(body)
                    };
                    shape.push_str(&sql[copied..i]);
                    shape.push_str(Kind::Text.marker());
                    advance(copied, i, &mut line, &mut column);
                    literals.push(Literal {
                        kind: Kind::Text,
                        text,
                        at: (line, column),
                    });
                    advance(i, end, &mut line, &mut column);
                    copied = end;
                }
                end
            }
            b'\'' | b'"' | b'`' => closing(b, i, c)?,
            b'-' if b.get(i + 1) == Some(&b'-') => b[i..]
                .iter()
                .position(|&x| x == b'\n')
                .map_or(b.len(), |p| i + p),
            b'/' if b.get(i + 1) == Some(&b'*') => {
                sql[i + 2..].find("*/").map_or(b.len(), |p| i + 2 + p + 2)
            }
            b'0'..=b'9' | b'.' if starts_number(b, i) && number_may_follow(prev) => {
                let (end, kind) = number(b, i);
                if b.get(end).is_some_and(|&x| is_word(x) || x == b'.') {
                    end
                } else {
                    shape.push_str(&sql[copied..i]);
                    shape.push_str(kind.marker());
                    advance(copied, i, &mut line, &mut column);
                    literals.push(Literal {
                        kind,
                        text: Cow::Borrowed(&sql[i..end]),
                        at: (line, column),
                    });
                    advance(i, end, &mut line, &mut column);
                    copied = end;
                    end
                }
            }
            _ if is_word(c) => {
                i + b[i..]
                    .iter()
                    .position(|&x| !is_word(x))
                    .unwrap_or(b.len() - i)
            }
            _ => i + 1,
        };
        i = end;
    }
    shape.push_str(&sql[copied..]);
    Some(Scanned { shape, literals })
}

/// Letters, digits, `_` and any non-ASCII byte (part of an identifier or keyword).
fn is_word(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c >= 0x80
}

/// A number token can start after these (not after a word, `$`, `?`, `:`, `@` or `.`).
fn number_may_follow(prev: u8) -> bool {
    prev.is_ascii_whitespace() || b"(),=<>+-*/%|!;&~^[".contains(&prev)
}

/// True if a number starts at `i`: a digit, or `.` then a digit.
fn starts_number(b: &[u8], i: usize) -> bool {
    b[i].is_ascii_digit() || (b[i] == b'.' && b.get(i + 1).is_some_and(u8::is_ascii_digit))
}

/// The end of the number starting at `i`, and its kind.
fn number(b: &[u8], i: usize) -> (usize, Kind) {
    let digits = |mut j: usize| {
        while b.get(j).is_some_and(u8::is_ascii_digit) {
            j += 1;
        }
        j
    };
    let mut j = digits(i);
    let mut kind = Kind::Integer;
    if b.get(j) == Some(&b'.') {
        j = digits(j + 1);
        kind = Kind::Decimal;
    }
    if matches!(b.get(j), Some(b'e' | b'E')) {
        let mut k = j + 1;
        if matches!(b.get(k), Some(b'+' | b'-')) {
            k += 1;
        }
        if b.get(k).is_some_and(u8::is_ascii_digit) {
            j = digits(k);
            kind = Kind::Exponent;
        }
    }
    (j, kind)
}

/// One past the quote closing the quoted token that starts at `i` (a doubled quote is
/// part of the token); `None` if it is not closed.
fn closing(b: &[u8], i: usize, q: u8) -> Option<usize> {
    let mut j = i + 1;
    loop {
        let p = j + b.get(j..)?.iter().position(|&x| x == q)?;
        if b.get(p + 1) == Some(&q) {
            j = p + 2;
        } else {
            return Some(p + 1);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sqlparser::dialect::SQLiteDialect;
    use sqlparser::parser::Parser;

    fn parse(sql: &str) -> Result<Vec<Statement>> {
        Ok(Parser::parse_sql(&SQLiteDialect {}, sql)?)
    }

    fn shape(sql: &str) -> Option<(String, Vec<String>)> {
        scan(sql).map(|s| {
            let l = s.literals.iter().map(|l| l.text.to_string()).collect();
            (s.shape, l)
        })
    }

    #[test]
    fn shapes_replace_plain_literals_only() {
        let (s, l) = shape("SELECT a, 'it''s', 1.5e3 FROM t WHERE b = -7 -- 8\n").unwrap();
        assert_eq!(
            s,
            "SELECT a, \u{1}s, \u{1}e FROM t WHERE b = -\u{1}i -- 8\n"
        );
        assert_eq!(l, ["it's", "1.5e3", "7"]);
        let (s, l) = shape("select x1, \"c 2\", t.c3, X'ab', $1, ?2 from t").unwrap();
        assert_eq!(s, "select x1, \"c 2\", t.c3, X'ab', $1, ?2 from t");
        assert!(l.is_empty());
        assert_eq!(shape("CREATE TABLE t (a VARCHAR(10))"), None);
        assert!(shape("SELECT 'a\\b'").unwrap().1.is_empty());
    }

    #[test]
    fn a_cached_shape_parses_like_the_parser() {
        let mut cache = ParseCache::default();
        let texts = [
            "SELECT v FROM t WHERE id = 1 AND name = 'a'",
            "SELECT v FROM t WHERE id = 22 AND name = 'b''c'",
            "SELECT v FROM t WHERE id = 333 AND name = ''",
            "UPDATE t SET v = v + 1.5 WHERE id IN (1, 2)\n AND w = 'x\ny'",
            "UPDATE t SET v = v + 2.25 WHERE id IN (30, 40)\n AND w = 'é\nz'",
            "INSERT INTO t VALUES (1, 'a'), (2, 'b')",
            "INSERT INTO t VALUES (10, 'aa'), (20, 'bb')",
            "SELECT CAST(v AS VARCHAR(10)) FROM t LIMIT 5",
            "SELECT CAST(v AS VARCHAR(10)) FROM t LIMIT 6",
        ];
        for sql in texts {
            assert_eq!(
                cache.parse(sql, parse).unwrap(),
                parse(sql).unwrap(),
                "{sql}"
            );
            // The second time, from the cache.
            assert_eq!(
                cache.parse(sql, parse).unwrap(),
                parse(sql).unwrap(),
                "{sql}"
            );
        }
        let templates = cache.entries.values();
        // Three shapes (the two UPDATEs share one) are templates.
        assert_eq!(
            templates
                .filter(|e| matches!(e, Entry::Template(_)))
                .count(),
            3
        );
        // The `VARCHAR(10)` literal is no value node: that shape is not cacheable.
        assert!(
            cache
                .entries
                .values()
                .any(|e| matches!(e, Entry::Uncacheable))
        );
        assert!(cache.parse("SELECT FROM WHERE 1", parse).is_err());
    }
}
