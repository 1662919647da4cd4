//! The fast path for `INSERT INTO t [(c, ...)] VALUES (...), (...)` whose values are all
//! plain literals, the form bulk loads and dumps use.
//!
//! The full path builds a sqlparser AST (one node per value), binds one expression per
//! value, evaluates each into a one-row array and concatenates them. Here a small scanner
//! reads the statement text and appends each value straight to its column. It accepts
//! only what it can read exactly as the full path would: unquoted or double-quoted names,
//! numbers with an optional sign, single-quoted strings, `NULL`, `TRUE` and `FALSE`,
//! separated by whitespace. On anything else (an expression, a comment, a blob, `DEFAULT
//! VALUES`, `ON CONFLICT`, rows of different widths, a column mixing strings and numbers)
//! it declines, and the statement goes to the parser. So the fast path changes speed, never
//! meaning: every value gets the type and value the binder would give it
//! ([`number_literal`] for numbers, the same merged column type), and the rows are then
//! inserted by the same code as any `INSERT ... SELECT`.

use std::borrow::Cow;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, Float64Array, Int64Array, NullArray, StringArray};
use arrow::datatypes::DataType;
use llkv_traits::{Coercion, ScalarValue};
use sqlparser::ast::{Ident, ObjectName};

use crate::binder::merge_type;
use crate::binder::types::number_literal;

/// One `INSERT ... VALUES` statement read by the fast path.
#[derive(Debug)]
pub(crate) struct LiteralInsert {
    /// The target table, as the parser would name it.
    pub table: ObjectName,
    /// The column list, empty for "all columns in order".
    pub columns: Vec<String>,
    /// One array per value position, typed as `VALUES` binding types it.
    pub values: Vec<ArrayRef>,
}

/// Reads the leading `INSERT ... VALUES` statements of `sql` that the fast path can take,
/// and returns them with the rest of the text (from the first statement it declines).
pub(crate) fn leading(sql: &str, coercion: Coercion) -> (Vec<LiteralInsert>, &str) {
    let mut out = Vec::new();
    let mut rest = sql;
    while let Some((ins, used)) = statement(rest, coercion) {
        out.push(ins);
        rest = &rest[used..];
    }
    (out, rest)
}

/// One statement at the start of `sql`, and how many bytes it used (through its `;`).
fn statement(sql: &str, coercion: Coercion) -> Option<(LiteralInsert, usize)> {
    let mut c = Cursor { src: sql, pos: 0 };
    c.skip_ws();
    if !c.keyword("INSERT") || !c.keyword("INTO") {
        return None;
    }
    let mut parts = vec![c.name()?];
    while c.eat(b'.') {
        parts.push(c.name()?);
    }
    if parts.len() > 3 {
        return None;
    }
    let mut columns = Vec::new();
    if c.eat(b'(') {
        loop {
            columns.push(c.name()?.value);
            if c.eat(b')') {
                break;
            }
            if !c.eat(b',') {
                return None;
            }
        }
    }
    if !c.keyword("VALUES") {
        return None;
    }
    let mut cols: Vec<Column<'_>> = Vec::new();
    let mut rows = 0usize;
    loop {
        if !c.eat(b'(') {
            return None;
        }
        let mut i = 0;
        loop {
            let v = c.literal()?;
            if rows == 0 {
                cols.push(Column::default());
            }
            cols.get_mut(i)?.push(v);
            i += 1;
            if c.eat(b')') {
                break;
            }
            if !c.eat(b',') {
                return None;
            }
        }
        if i != cols.len() {
            // Rows of different widths: the full path reports it.
            return None;
        }
        rows += 1;
        if !c.eat(b',') {
            break;
        }
    }
    c.skip_ws();
    match c.peek() {
        None => {}
        Some(b';') => c.pos += 1,
        Some(_) => return None,
    }
    let values = cols
        .into_iter()
        .map(|col| col.finish(coercion))
        .collect::<Option<Vec<_>>>()?;
    Some((
        LiteralInsert {
            table: ObjectName::from(parts),
            columns,
            values,
        },
        c.pos,
    ))
}

/// Words after which a name is not a plain table or column name to the parser.
const NOT_A_NAME: &[&str] = &[
    "AS",
    "DEFAULT",
    "FROM",
    "IGNORE",
    "OR",
    "OVERWRITE",
    "PARTITION",
    "REPLACE",
    "SELECT",
    "SET",
    "TABLE",
    "VALUES",
    "WITH",
];

/// One literal value.
#[derive(Debug)]
enum Lit<'a> {
    Null,
    Int(i64),
    Float(f64),
    Str(Cow<'a, str>),
    Bool(bool),
}

/// A cursor over the statement text.
struct Cursor<'a> {
    src: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    fn peek(&self) -> Option<u8> {
        self.bytes().get(self.pos).copied()
    }

    /// Skips spaces; comments are not skipped (the parser handles those statements).
    fn skip_ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn eat(&mut self, b: u8) -> bool {
        self.skip_ws();
        if self.peek() == Some(b) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    /// An unquoted word: ASCII letters, digits and `_`, not starting with a digit.
    fn word(&mut self) -> Option<&'a str> {
        self.skip_ws();
        let start = self.pos;
        match self.peek() {
            Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
            _ => return None,
        }
        while matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || b == b'_') {
            self.pos += 1;
        }
        // A word running into bytes the scanner does not know (`$`, non-ASCII) is left to
        // the parser, whose rules for those are per dialect.
        match self.peek() {
            Some(b) if b == b'$' || !b.is_ascii() => None,
            _ => Some(&self.src[start..self.pos]),
        }
    }

    fn keyword(&mut self, kw: &str) -> bool {
        let save = self.pos;
        if self.word().is_some_and(|w| w.eq_ignore_ascii_case(kw)) {
            return true;
        }
        self.pos = save;
        false
    }

    /// A table or column name: an unquoted word that is not one of [`NOT_A_NAME`], or a
    /// double-quoted name (`""` stands for `"`).
    fn name(&mut self) -> Option<Ident> {
        self.skip_ws();
        if self.peek() == Some(b'"') {
            let text = self.quoted(b'"')?;
            return Some(Ident::with_quote('"', text.into_owned()));
        }
        let w = self.word()?;
        if NOT_A_NAME.iter().any(|k| w.eq_ignore_ascii_case(k)) {
            return None;
        }
        Some(Ident::new(w))
    }

    /// The body of a quoted token starting at the cursor, with doubled quotes undoubled.
    fn quoted(&mut self, q: u8) -> Option<Cow<'a, str>> {
        let bytes = self.bytes();
        let start = self.pos + 1;
        let mut i = start;
        let mut doubled = false;
        loop {
            match bytes.get(i)? {
                b'\\' => return None,
                &b if b == q => {
                    if bytes.get(i + 1) == Some(&q) {
                        doubled = true;
                        i += 2;
                        continue;
                    }
                    break;
                }
                _ => i += 1,
            }
        }
        self.pos = i + 1;
        let body = &self.src[start..i];
        Some(if doubled {
            let one = char::from(q).to_string();
            Cow::Owned(body.replace(&format!("{one}{one}"), &one))
        } else {
            Cow::Borrowed(body)
        })
    }

    /// A literal value followed by `,` or `)`.
    fn literal(&mut self) -> Option<Lit<'a>> {
        self.skip_ws();
        let v = match self.peek()? {
            b'\'' => Lit::Str(self.quoted(b'\'')?),
            b'0'..=b'9' | b'.' | b'-' | b'+' => self.number()?,
            _ => {
                let w = self.word()?;
                if w.eq_ignore_ascii_case("NULL") {
                    Lit::Null
                } else if w.eq_ignore_ascii_case("TRUE") {
                    Lit::Bool(true)
                } else if w.eq_ignore_ascii_case("FALSE") {
                    Lit::Bool(false)
                } else {
                    return None;
                }
            }
        };
        self.skip_ws();
        matches!(self.peek(), Some(b',' | b')')).then_some(v)
    }

    /// `[+|-]digits[.digits][e[+|-]digits]`, typed by [`number_literal`] as the binder
    /// types it (`-` folds into the literal, as the binder folds a negated number).
    fn number(&mut self) -> Option<Lit<'a>> {
        let bytes = self.bytes();
        let start = self.pos;
        let mut i = start;
        let negative = match bytes[i] {
            b'-' => {
                i += 1;
                true
            }
            b'+' => {
                i += 1;
                false
            }
            _ => false,
        };
        let digits_from = i;
        let digits = |i: &mut usize| {
            let from = *i;
            while bytes.get(*i).is_some_and(u8::is_ascii_digit) {
                *i += 1;
            }
            *i - from
        };
        let mut n = digits(&mut i);
        let mut ends_in_digit = n > 0;
        if bytes.get(i) == Some(&b'.') {
            i += 1;
            let frac = digits(&mut i);
            n += frac;
            ends_in_digit = frac > 0;
        }
        if n == 0 {
            return None;
        }
        // `1.e5` is left to the parser; an exponent follows a digit here.
        if ends_in_digit && matches!(bytes.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(bytes.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            if digits(&mut i) == 0 {
                return None;
            }
        }
        // `0x1F`, `1_000`, `12abc`: tokens with per-dialect meanings, left to the parser.
        if bytes
            .get(i)
            .is_some_and(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'.')
        {
            return None;
        }
        self.pos = i;
        let text = if negative {
            &self.src[start..i]
        } else {
            &self.src[digits_from..i]
        };
        match number_literal(text).ok()? {
            ScalarValue::Int64(Some(v)) => Some(Lit::Int(v)),
            ScalarValue::Float64(Some(v)) => Some(Lit::Float(v)),
            _ => None,
        }
    }
}

/// The values of one position, appended row by row.
#[derive(Debug, Default)]
struct Column<'a> {
    values: Vec<Lit<'a>>,
    ints: bool,
    floats: bool,
    strings: bool,
    bools: bool,
}

impl<'a> Column<'a> {
    fn push(&mut self, v: Lit<'a>) {
        match v {
            Lit::Null => {}
            Lit::Int(_) => self.ints = true,
            Lit::Float(_) => self.floats = true,
            Lit::Str(_) => self.strings = true,
            Lit::Bool(_) => self.bools = true,
        }
        self.values.push(v);
    }

    /// The column's array, typed as `VALUES` binding merges its values' types; `None` for
    /// mixes the fast path leaves to the full path (strings with numbers, booleans with
    /// numbers).
    fn finish(self, coercion: Coercion) -> Option<ArrayRef> {
        let v = &self.values;
        let array: ArrayRef = match (self.ints, self.floats, self.strings, self.bools) {
            (false, false, false, false) => Arc::new(NullArray::new(v.len())),
            (true, false, false, false) => Arc::new(
                v.iter()
                    .map(|x| match x {
                        Lit::Int(i) => Some(*i),
                        _ => None,
                    })
                    .collect::<Int64Array>(),
            ),
            (_, true, false, false) => {
                if self.ints
                    && merge_type(&DataType::Int64, &DataType::Float64, coercion)
                        != DataType::Float64
                {
                    return None;
                }
                Arc::new(
                    v.iter()
                        .map(|x| match x {
                            Lit::Int(i) => Some(*i as f64),
                            Lit::Float(f) => Some(*f),
                            _ => None,
                        })
                        .collect::<Float64Array>(),
                )
            }
            (false, false, true, false) => Arc::new(
                v.iter()
                    .map(|x| match x {
                        Lit::Str(s) => Some(s.as_ref()),
                        _ => None,
                    })
                    .collect::<StringArray>(),
            ),
            (false, false, false, true) => Arc::new(
                v.iter()
                    .map(|x| match x {
                        Lit::Bool(b) => Some(*b),
                        _ => None,
                    })
                    .collect::<BooleanArray>(),
            ),
            _ => return None,
        };
        Some(array)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Array;

    fn one(sql: &str) -> Option<LiteralInsert> {
        let (mut v, rest) = leading(sql, Coercion::Strict);
        (v.len() == 1 && rest.trim().is_empty()).then(|| v.remove(0))
    }

    #[test]
    fn reads_rows_and_types() {
        let ins = one("insert into T (a, \"B\"\"x\") values (1, 'it''s'), (-2.5e1, NULL);")
            .expect("fast path");
        assert_eq!(ins.table.to_string(), "T");
        assert_eq!(ins.columns, vec!["a".to_string(), "B\"x".to_string()]);
        assert_eq!(ins.values[0].len(), 2);
        let a = ins.values[0]
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        assert_eq!(a.values(), &[1.0, -25.0]);
        let b = ins.values[1]
            .as_any()
            .downcast_ref::<StringArray>()
            .unwrap();
        assert_eq!(b.value(0), "it's");
        assert!(b.is_null(1));
    }

    #[test]
    fn numbers_follow_the_binder() {
        let ins = one("INSERT INTO t VALUES (-9223372036854775808, 9223372036854775808, 7.)")
            .expect("fast path");
        let a = ins.values[0].as_any().downcast_ref::<Int64Array>().unwrap();
        assert_eq!(a.value(0), i64::MIN);
        let b = ins.values[1]
            .as_any()
            .downcast_ref::<Float64Array>()
            .unwrap();
        assert_eq!(b.value(0), 9223372036854775808.0);
        assert_eq!(ins.values[2].data_type(), &DataType::Float64);
    }

    #[test]
    fn several_statements_then_the_rest() {
        let sql = "INSERT INTO t VALUES (1); INSERT INTO t VALUES (TRUE);SELECT 1; INSERT INTO t VALUES (2)";
        let (v, rest) = leading(sql, Coercion::Strict);
        assert_eq!(v.len(), 2);
        assert_eq!(rest, "SELECT 1; INSERT INTO t VALUES (2)");
    }

    #[test]
    fn declines_what_the_parser_must_read() {
        for sql in [
            "INSERT INTO t VALUES (1+1)",
            "INSERT INTO t VALUES (1) -- c",
            "INSERT INTO t VALUES (1), (2, 3)",
            "INSERT INTO t VALUES ('a', 1), (1, 'b')",
            "INSERT INTO t VALUES (x'00')",
            "INSERT INTO t VALUES (0x10)",
            "INSERT INTO t VALUES (1_000)",
            "INSERT INTO t VALUES ('a\\b')",
            "INSERT INTO t VALUES (- 1)",
            "INSERT INTO t VALUES (1e)",
            "INSERT INTO t VALUES ()",
            "INSERT INTO t DEFAULT VALUES",
            "INSERT INTO t SELECT 1",
            "INSERT OR REPLACE INTO t VALUES (1)",
            "INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING",
            "INSERT INTO t VALUES (1) RETURNING *",
            "INSERT INTO t$x VALUES (1)",
            "INSERT INTO t VALUES (1, TRUE), (2.5, 3)",
            "INSERT INTO t VALUES ('unterminated)",
            "INSERT INTO t VALUES (1) garbage",
            "INSERT INTO a.b.c.d VALUES (1)",
        ] {
            let (v, rest) = leading(sql, Coercion::Strict);
            assert!(v.is_empty() && rest == sql, "{sql}");
        }
    }
}
