//! Rendering result values the way the sqllogictest formats define them.
//!
//! Two styles:
//!
//! - [`Style::Sqlite`] follows SQLite's C runner (`slt_sqlite.c`): the query's type letter
//!   decides the conversion. `I` is `sqlite3_column_int` printed with `%d`, `R` is
//!   `sqlite3_column_double` printed with `%.3f`, `T` is `sqlite3_column_text` with
//!   non-printable bytes shown as `@` and the empty string as `(empty)`. Conversions between
//!   storage classes follow SQLite: a float under `I` is truncated toward zero (saturating),
//!   text under `I`/`R` takes its longest numeric prefix, a float under `T` is `%!.15g`.
//!   `%.3f` and `%.15g` round half away from zero as SQLite's printf does.
//! - [`Style::DuckDb`] follows DuckDB's runner: every value is its own text form whatever
//!   the letter (`true`/`false` for booleans, decimals with their scale, floats in shortest
//!   round-trip form), `NULL` and `(empty)` as above.

use std::fmt::Write as _;

use arrow::array::{Array, ArrayRef, AsArray, PrimitiveArray};
use arrow::datatypes::{
    ArrowPrimitiveType, DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type,
    Int16Type, Int32Type, Int64Type, SchemaRef, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};

/// How values are rendered (see the module documentation).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Style {
    /// SQLite's runner: the type letter converts the value.
    Sqlite,
    /// DuckDB's runner: the value's own text form.
    DuckDb,
}

/// The broad type of a result column, for DuckDB's value comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ColumnKind {
    Integer,
    Float,
    Decimal,
    Boolean,
    Other,
}

/// The rendered values of a result, stored column by column in one buffer.
#[derive(Debug, Default)]
pub(crate) struct ResultValues {
    buf: String,
    ends: Vec<usize>,
    /// Number of rows.
    pub rows: usize,
    /// Kind of each column.
    pub kinds: Vec<ColumnKind>,
}

impl ResultValues {
    /// Number of columns.
    pub fn cols(&self) -> usize {
        self.kinds.len()
    }

    /// Every value, column-major (`col * rows + row`).
    pub fn strs(&self) -> Vec<&str> {
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let s = &self.buf[start..end];
                start = end;
                s
            })
            .collect()
    }

    fn end_value(&mut self) {
        self.ends.push(self.buf.len());
    }

    fn push(&mut self, s: &str) {
        self.buf.push_str(s);
        self.end_value();
    }

    fn push_null(&mut self) {
        self.push("NULL");
    }
}

/// Renders a query result. `types` holds the record's type letters (`I`, `R`, `T`).
///
/// Fails when the result does not have one column per type letter.
pub(crate) fn render(
    schema: &SchemaRef,
    batches: &[RecordBatch],
    types: &[u8],
    style: Style,
) -> Result<ResultValues, String> {
    let cols = schema.fields().len();
    if cols != types.len() {
        return Err(format!(
            "wrong number of columns: the query returned {cols}, the record expects {}",
            types.len()
        ));
    }
    let rows = batches.iter().map(RecordBatch::num_rows).sum();
    let mut out = ResultValues {
        buf: String::new(),
        ends: Vec::with_capacity(rows * cols),
        rows,
        kinds: schema
            .fields()
            .iter()
            .map(|f| column_kind(f.data_type()))
            .collect(),
    };
    for (col, &letter) in types.iter().enumerate() {
        for batch in batches {
            let Some(array) = batch.columns().get(col) else {
                return Err(format!(
                    "a result batch has {} columns, the schema {cols}",
                    batch.num_columns()
                ));
            };
            render_column(array, letter, style, &mut out)?;
        }
    }
    Ok(out)
}

fn column_kind(data_type: &DataType) -> ColumnKind {
    match data_type {
        DataType::Int8
        | DataType::Int16
        | DataType::Int32
        | DataType::Int64
        | DataType::UInt8
        | DataType::UInt16
        | DataType::UInt32
        | DataType::UInt64 => ColumnKind::Integer,
        DataType::Float16 | DataType::Float32 | DataType::Float64 => ColumnKind::Float,
        DataType::Decimal32(..)
        | DataType::Decimal64(..)
        | DataType::Decimal128(..)
        | DataType::Decimal256(..) => ColumnKind::Decimal,
        DataType::Boolean => ColumnKind::Boolean,
        _ => ColumnKind::Other,
    }
}

fn render_column(
    array: &ArrayRef,
    letter: u8,
    style: Style,
    out: &mut ResultValues,
) -> Result<(), String> {
    match array.data_type() {
        DataType::Int8 => ints(
            array.as_primitive::<Int8Type>(),
            i64::from,
            letter,
            style,
            out,
        ),
        DataType::Int16 => ints(
            array.as_primitive::<Int16Type>(),
            i64::from,
            letter,
            style,
            out,
        ),
        DataType::Int32 => ints(
            array.as_primitive::<Int32Type>(),
            i64::from,
            letter,
            style,
            out,
        ),
        DataType::Int64 => ints(array.as_primitive::<Int64Type>(), |v| v, letter, style, out),
        DataType::UInt8 => ints(
            array.as_primitive::<UInt8Type>(),
            i64::from,
            letter,
            style,
            out,
        ),
        DataType::UInt16 => ints(
            array.as_primitive::<UInt16Type>(),
            i64::from,
            letter,
            style,
            out,
        ),
        DataType::UInt32 => ints(
            array.as_primitive::<UInt32Type>(),
            i64::from,
            letter,
            style,
            out,
        ),
        DataType::UInt64 => {
            // SQLite has no unsigned 64-bit integers; values above i64::MAX saturate.
            let conv = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
            ints(array.as_primitive::<UInt64Type>(), conv, letter, style, out)
        }
        DataType::Float32 => floats(
            array.as_primitive::<Float32Type>(),
            f64::from,
            true,
            letter,
            style,
            out,
        ),
        DataType::Float64 => floats(
            array.as_primitive::<Float64Type>(),
            |v| v,
            false,
            letter,
            style,
            out,
        ),
        DataType::Boolean => {
            let a = array.as_boolean();
            for i in 0..a.len() {
                if a.is_null(i) {
                    out.push_null();
                } else if style == Style::DuckDb {
                    out.push(if a.value(i) { "true" } else { "false" });
                } else {
                    push_sqlite_int(i64::from(a.value(i)), letter, out);
                }
            }
        }
        DataType::Utf8 => texts(array.as_string::<i32>().iter(), letter, style, out),
        DataType::LargeUtf8 => texts(array.as_string::<i64>().iter(), letter, style, out),
        DataType::Utf8View => texts(array.as_string_view().iter(), letter, style, out),
        DataType::Decimal128(_, scale) => {
            let a: &PrimitiveArray<Decimal128Type> = array.as_primitive();
            let mut text = String::new();
            for i in 0..a.len() {
                if a.is_null(i) {
                    out.push_null();
                    continue;
                }
                let v = a.value(i);
                text.clear();
                write_decimal(&mut text, v, *scale);
                match (style, letter) {
                    (Style::DuckDb, _) => out.push(&text),
                    (Style::Sqlite, b'I') => {
                        let int = decimal_trunc(v, *scale);
                        push_sqlite_int(int, letter, out);
                    }
                    (Style::Sqlite, _) => {
                        // SQLite would hold the value as a REAL.
                        let real = text.parse::<f64>().unwrap_or(0.0);
                        push_sqlite_real(real, letter, out);
                    }
                }
            }
        }
        DataType::Date32 => {
            let a: &PrimitiveArray<Date32Type> = array.as_primitive();
            let mut text = String::new();
            for i in 0..a.len() {
                if a.is_null(i) {
                    out.push_null();
                    continue;
                }
                text.clear();
                match a.value_as_date(i) {
                    Some(date) => {
                        let _ = write!(text, "{date}");
                    }
                    None => {
                        let _ = write!(text, "{}", a.value(i));
                    }
                }
                push_text(&text, letter, style, out);
            }
        }
        DataType::Null => {
            for _ in 0..array.len() {
                out.push_null();
            }
        }
        _ => {
            let options = FormatOptions::default();
            let formatter = ArrayFormatter::try_new(array.as_ref(), &options)
                .map_err(|e| format!("cannot display a {} value: {e}", array.data_type()))?;
            let mut text = String::new();
            for i in 0..array.len() {
                if array.is_null(i) {
                    out.push_null();
                    continue;
                }
                text.clear();
                let _ = write!(text, "{}", formatter.value(i));
                push_text(&text, letter, style, out);
            }
        }
    }
    Ok(())
}

fn ints<T: ArrowPrimitiveType>(
    a: &PrimitiveArray<T>,
    conv: impl Fn(T::Native) -> i64,
    letter: u8,
    style: Style,
    out: &mut ResultValues,
) {
    for i in 0..a.len() {
        if a.is_null(i) {
            out.push_null();
            continue;
        }
        let v = conv(a.value(i));
        match style {
            Style::Sqlite => push_sqlite_int(v, letter, out),
            Style::DuckDb => {
                let _ = write!(out.buf, "{v}");
                out.end_value();
            }
        }
    }
}

fn floats<T: ArrowPrimitiveType>(
    a: &PrimitiveArray<T>,
    conv: impl Fn(T::Native) -> f64,
    is_f32: bool,
    letter: u8,
    style: Style,
    out: &mut ResultValues,
) {
    for i in 0..a.len() {
        if a.is_null(i) {
            out.push_null();
            continue;
        }
        let v = conv(a.value(i));
        match style {
            Style::Sqlite => push_sqlite_real(v, letter, out),
            Style::DuckDb => {
                write_duckdb_float(&mut out.buf, v, is_f32);
                out.end_value();
            }
        }
    }
}

fn texts<'a>(
    values: impl Iterator<Item = Option<&'a str>>,
    letter: u8,
    style: Style,
    out: &mut ResultValues,
) {
    for v in values {
        match v {
            None => out.push_null(),
            Some(s) => push_text(s, letter, style, out),
        }
    }
}

/// An integer value under a SQLite type letter.
fn push_sqlite_int(v: i64, letter: u8, out: &mut ResultValues) {
    match letter {
        // sqlite3_column_int: the low 32 bits of the 64-bit value, printed with %d.
        b'I' => {
            let _ = write!(out.buf, "{}", v as i32);
        }
        b'R' => write_sqlite_fixed3(&mut out.buf, v as f64),
        _ => {
            let _ = write!(out.buf, "{v}");
        }
    }
    out.end_value();
}

/// A floating-point value under a SQLite type letter.
fn push_sqlite_real(v: f64, letter: u8, out: &mut ResultValues) {
    match letter {
        b'I' => {
            let _ = write!(out.buf, "{}", sqlite_real_to_int(v) as i32);
        }
        b'R' => write_sqlite_fixed3(&mut out.buf, v),
        _ => write_sqlite_g15(&mut out.buf, v),
    }
    out.end_value();
}

/// A text value (or a value shown through its text) under a type letter.
fn push_text(s: &str, letter: u8, style: Style, out: &mut ResultValues) {
    match (style, letter) {
        (Style::Sqlite, b'I') => {
            let _ = write!(out.buf, "{}", sqlite_text_to_int(s) as i32);
        }
        (Style::Sqlite, b'R') => write_sqlite_fixed3(&mut out.buf, sqlite_text_to_real(s)),
        _ if s.is_empty() => out.buf.push_str("(empty)"),
        (Style::Sqlite, _) => {
            if s.bytes().all(|b| (0x20..=0x7e).contains(&b)) {
                out.buf.push_str(s);
            } else {
                // Every byte outside printable ASCII (so every byte of a multi-byte
                // character) becomes '@', as the C runner does.
                out.buf.extend(s.bytes().map(|b| {
                    if (0x20..=0x7e).contains(&b) {
                        b as char
                    } else {
                        '@'
                    }
                }));
            }
        }
        (Style::DuckDb, _) => {
            if s.contains('\0') {
                out.buf.push_str(&s.replace('\0', "\\0"));
            } else {
                out.buf.push_str(s);
            }
        }
    }
    out.end_value();
}

/// SQLite's REAL to INTEGER conversion: truncation toward zero, saturating at the i64 range
/// (NaN becomes 0).
pub(crate) fn sqlite_real_to_int(v: f64) -> i64 {
    // `as` saturates and maps NaN to 0, which is SQLite's doubleToInt64.
    v as i64
}

fn is_sqlite_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r')
}

/// SQLite's TEXT to INTEGER conversion: the longest prefix that is an integer (after
/// leading spaces and a sign), saturating at the i64 range; 0 when there is none.
pub(crate) fn sqlite_text_to_int(s: &str) -> i64 {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() && is_sqlite_space(b[i]) {
        i += 1;
    }
    let negative = match b.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    let mut magnitude: u128 = 0;
    while let Some(d) = b.get(i).filter(|c| c.is_ascii_digit()) {
        magnitude = (magnitude * 10 + u128::from(d - b'0')).min(u128::from(u64::MAX));
        i += 1;
    }
    let signed = if negative {
        -(magnitude as i128)
    } else {
        magnitude as i128
    };
    signed.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// SQLite's TEXT to REAL conversion: the longest prefix that is a real number; 0.0 when there
/// is none.
pub(crate) fn sqlite_text_to_real(s: &str) -> f64 {
    let b = s.as_bytes();
    let mut start = 0;
    while start < b.len() && is_sqlite_space(b[start]) {
        start += 1;
    }
    let mut i = start;
    if matches!(b.get(i), Some(b'-' | b'+')) {
        i += 1;
    }
    let mut digits = 0;
    while b.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
        digits += 1;
    }
    if b.get(i) == Some(&b'.') {
        i += 1;
        while b.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
            digits += 1;
        }
    }
    if digits == 0 {
        return 0.0;
    }
    if matches!(b.get(i), Some(b'e' | b'E')) {
        let mut j = i + 1;
        if matches!(b.get(j), Some(b'-' | b'+')) {
            j += 1;
        }
        if b.get(j).is_some_and(u8::is_ascii_digit) {
            while b.get(j).is_some_and(u8::is_ascii_digit) {
                j += 1;
            }
            i = j;
        }
    }
    let text = &s[start..i];
    // Rust's parser rejects "5." and ".5" forms only when there are no digits at all,
    // which was excluded above.
    text.parse::<f64>().unwrap_or(0.0)
}

/// `%.3f` as SQLite's printf writes it: round half away from zero, at most 16 significant
/// digits (the rest are zeros), `-0.0` printed without a sign, `NaN`, `Inf`, `-Inf`.
pub(crate) fn write_sqlite_fixed3(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v < 0.0 { "-Inf" } else { "Inf" });
        return;
    }
    if v < 0.0 {
        out.push('-');
    }
    let a = v.abs();
    if a < 1e15 && a.fract() == 0.0 {
        let _ = write!(out, "{}.000", a as u64);
    } else if a < 1e13 {
        // Below 10^13 the 3 decimals fit in 16 significant digits. The exact value is
        // rounded; it can only lie exactly half-way when 16*a is an odd integer, where
        // SQLite rounds up and Rust would round to even.
        let sixteenth = a * 16.0;
        if sixteenth.fract() == 0.0 && (sixteenth as u64) % 2 == 1 {
            let thousandths = (a * 1000.0 + 0.5).floor() as u64;
            let _ = write!(out, "{}.{:03}", thousandths / 1000, thousandths % 1000);
        } else {
            let _ = write!(out, "{a:.3}");
        }
    } else {
        // 16 significant digits, then zeros.
        let (digits, exp) = significant_digits(a, 16);
        let int_digits = usize::try_from(exp + 1).unwrap_or(0);
        for k in 0..int_digits {
            out.push(char::from(*digits.get(k).unwrap_or(&b'0')));
        }
        out.push('.');
        for k in int_digits..int_digits + 3 {
            out.push(char::from(*digits.get(k).unwrap_or(&b'0')));
        }
    }
}

/// The first `n` significant decimal digits of `a > 0` (rounded) and the decimal exponent of
/// the first one.
fn significant_digits(a: f64, n: usize) -> (Vec<u8>, i32) {
    let text = format!("{:.*e}", n - 1, a);
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let digits = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    (digits, exp.parse().unwrap_or(0))
}

/// `%!.15g` as SQLite uses it to turn a REAL into text: 15 significant digits, trailing zeros
/// removed but at least one digit after the point, exponent form below 1e-4 and from 1e15.
pub(crate) fn write_sqlite_g15(out: &mut String, v: f64) {
    if v.is_nan() {
        out.push_str("NaN");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v < 0.0 { "-Inf" } else { "Inf" });
        return;
    }
    if v < 0.0 {
        out.push('-');
    }
    let a = v.abs();
    if a == 0.0 {
        out.push_str("0.0");
        return;
    }
    let (mut digits, exp) = significant_digits(a, 15);
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    if !(-4..15).contains(&exp) {
        out.push(char::from(digits[0]));
        out.push('.');
        if digits.len() > 1 {
            out.extend(digits[1..].iter().map(|&d| char::from(d)));
        } else {
            out.push('0');
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.extend(digits.iter().map(|&d| char::from(d)));
    } else {
        let int_digits = usize::try_from(exp + 1).unwrap_or(0);
        for k in 0..int_digits {
            out.push(char::from(*digits.get(k).unwrap_or(&b'0')));
        }
        out.push('.');
        if digits.len() > int_digits {
            out.extend(digits[int_digits..].iter().map(|&d| char::from(d)));
        } else {
            out.push('0');
        }
    }
}

/// A float as DuckDB prints it: shortest round-trip digits, `.0` on integral values,
/// exponent form (`1e+20`) below 1e-4 and from 1e16.
fn write_duckdb_float(out: &mut String, v: f64, is_f32: bool) {
    if v.is_nan() {
        out.push_str("nan");
        return;
    }
    if v.is_infinite() {
        out.push_str(if v < 0.0 { "-inf" } else { "inf" });
        return;
    }
    // Shortest digits of the value in its own precision.
    let text = if is_f32 {
        format!("{:e}", v as f32)
    } else {
        format!("{v:e}")
    };
    let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let negative = mantissa.starts_with('-');
    let digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    if negative {
        out.push('-');
    }
    if !(-4..16).contains(&exp) {
        out.push(char::from(digits[0]));
        if digits.len() > 1 {
            out.push('.');
            out.extend(digits[1..].iter().map(|&d| char::from(d)));
        }
        let _ = write!(
            out,
            "e{}{:02}",
            if exp < 0 { '-' } else { '+' },
            exp.unsigned_abs()
        );
    } else if exp < 0 {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        out.extend(digits.iter().map(|&d| char::from(d)));
    } else {
        let int_digits = usize::try_from(exp + 1).unwrap_or(0);
        for k in 0..int_digits {
            out.push(char::from(*digits.get(k).unwrap_or(&b'0')));
        }
        out.push('.');
        if digits.len() > int_digits {
            out.extend(digits[int_digits..].iter().map(|&d| char::from(d)));
        } else {
            out.push('0');
        }
    }
}

/// Writes a Decimal128 value with its scale (`-1.50`).
fn write_decimal(out: &mut String, v: i128, scale: i8) {
    if scale <= 0 {
        let _ = write!(out, "{v}");
        for _ in 0..scale.unsigned_abs() {
            out.push('0');
        }
        return;
    }
    let scale = usize::from(scale.unsigned_abs());
    let digits = v.unsigned_abs().to_string();
    if v < 0 {
        out.push('-');
    }
    if digits.len() <= scale {
        out.push_str("0.");
        for _ in 0..scale - digits.len() {
            out.push('0');
        }
        out.push_str(&digits);
    } else {
        let (int, frac) = digits.split_at(digits.len() - scale);
        out.push_str(int);
        out.push('.');
        out.push_str(frac);
    }
}

/// The integer part of a Decimal128 value (toward zero), saturating at the i64 range.
fn decimal_trunc(v: i128, scale: i8) -> i64 {
    let value = if scale >= 0 {
        v / 10i128
            .checked_pow(u32::from(scale.unsigned_abs()))
            .unwrap_or(i128::MAX)
    } else {
        v.saturating_mul(10i128.saturating_pow(u32::from(scale.unsigned_abs())))
    };
    value.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
}

/// DuckDB's comparison of a rendered value with an expected one when the texts differ:
/// numeric columns compare by value (exactly: `1.50` equals `1.5`, `294912.000000` equals
/// `294912`), boolean columns accept `1`/`0` for `true`/`false`.
pub(crate) fn duckdb_values_equal(actual: &str, expected: &str, kind: ColumnKind) -> bool {
    match kind {
        ColumnKind::Integer | ColumnKind::Decimal => {
            match (ExactDecimal::parse(actual), ExactDecimal::parse(expected)) {
                (Some(a), Some(e)) => a == e,
                _ => false,
            }
        }
        ColumnKind::Float => match (actual.parse::<f64>(), expected.parse::<f64>()) {
            (Ok(a), Ok(e)) => a == e || (a.is_nan() && e.is_nan()),
            _ => false,
        },
        ColumnKind::Boolean => match (parse_bool(actual), parse_bool(expected)) {
            (Some(a), Some(e)) => a == e,
            _ => false,
        },
        ColumnKind::Other => false,
    }
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") || s == "1" {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") || s == "0" {
        Some(false)
    } else {
        None
    }
}

/// A decimal number in canonical form: sign, digits without leading zeros in the integer
/// part and without trailing zeros in the fraction.
#[derive(Debug, PartialEq, Eq)]
struct ExactDecimal<'a> {
    negative: bool,
    int: &'a str,
    frac: &'a str,
}

impl<'a> ExactDecimal<'a> {
    fn parse(s: &'a str) -> Option<Self> {
        let (negative, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        if (int.is_empty() && frac.is_empty())
            || !int.bytes().all(|b| b.is_ascii_digit())
            || !frac.bytes().all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let int = int.trim_start_matches('0');
        let frac = frac.trim_end_matches('0');
        let negative = negative && !(int.is_empty() && frac.is_empty());
        Some(Self {
            negative,
            int,
            frac,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        BooleanArray, Date32Array, Decimal128Array, Float64Array, Int64Array, NullArray,
        StringArray,
    };
    use arrow::datatypes::{Field, Schema};
    use std::sync::Arc;

    fn fixed3(v: f64) -> String {
        let mut s = String::new();
        write_sqlite_fixed3(&mut s, v);
        s
    }

    fn g15(v: f64) -> String {
        let mut s = String::new();
        write_sqlite_g15(&mut s, v);
        s
    }

    fn duck(v: f64) -> String {
        let mut s = String::new();
        write_duckdb_float(&mut s, v, false);
        s
    }

    #[test]
    fn sqlite_fixed3_matches_sqlite_printf() {
        assert_eq!(fixed3(0.0), "0.000");
        assert_eq!(fixed3(-0.0), "0.000");
        assert_eq!(fixed3(1.0), "1.000");
        assert_eq!(fixed3(-12.0), "-12.000");
        assert_eq!(fixed3(1.5), "1.500");
        assert_eq!(fixed3(2.0 / 3.0), "0.667");
        assert_eq!(fixed3(-2.0 / 3.0), "-0.667");
        assert_eq!(fixed3(-0.0001), "-0.000");
        // Exact ties round away from zero, as SQLite does (Rust would give 0.062).
        assert_eq!(fixed3(0.0625), "0.063");
        assert_eq!(fixed3(-0.0625), "-0.063");
        assert_eq!(fixed3(2.1875), "2.188");
        assert_eq!(fixed3(123456.789), "123456.789");
        assert_eq!(fixed3(1e20), "100000000000000000000.000");
        assert_eq!(fixed3(2f64.powi(60)), "1152921504606847000.000");
        assert_eq!(fixed3(f64::NAN), "NaN");
        assert_eq!(fixed3(f64::NEG_INFINITY), "-Inf");
    }

    #[test]
    fn sqlite_g15_matches_sqlite_text_conversion() {
        assert_eq!(g15(1.0), "1.0");
        assert_eq!(g15(0.1), "0.1");
        assert_eq!(g15(-2.5), "-2.5");
        assert_eq!(g15(100.0), "100.0");
        assert_eq!(g15(1.0 / 3.0), "0.333333333333333");
        assert_eq!(g15(1e20), "1.0e+20");
        assert_eq!(g15(1.5e-7), "1.5e-07");
        assert_eq!(g15(0.0001), "0.0001");
        assert_eq!(g15(123456789012345.0), "123456789012345.0");
        assert_eq!(g15(1234567890123456.0), "1.23456789012346e+15");
        assert_eq!(g15(0.0), "0.0");
    }

    #[test]
    fn duckdb_floats() {
        assert_eq!(duck(327680.0), "327680.0");
        assert_eq!(duck(0.1), "0.1");
        assert_eq!(duck(-1.25), "-1.25");
        assert_eq!(duck(1e20), "1e+20");
        assert_eq!(duck(1.5e-7), "1.5e-07");
        let mut s = String::new();
        write_duckdb_float(&mut s, f64::from(0.1f32), true);
        assert_eq!(s, "0.1");
    }

    #[test]
    fn sqlite_text_conversions() {
        assert_eq!(sqlite_text_to_int("  12abc"), 12);
        assert_eq!(sqlite_text_to_int("-7.9"), -7);
        assert_eq!(sqlite_text_to_int("1e5"), 1);
        assert_eq!(sqlite_text_to_int("abc"), 0);
        assert_eq!(sqlite_text_to_int(""), 0);
        assert_eq!(sqlite_text_to_int("99999999999999999999"), i64::MAX);
        assert_eq!(sqlite_text_to_int("-99999999999999999999"), i64::MIN);
        assert_eq!(sqlite_text_to_real(" 12.5xyz"), 12.5);
        assert_eq!(sqlite_text_to_real("1e3"), 1000.0);
        assert_eq!(sqlite_text_to_real("1e"), 1.0);
        assert_eq!(sqlite_text_to_real(".5"), 0.5);
        assert_eq!(sqlite_text_to_real("5."), 5.0);
        assert_eq!(sqlite_text_to_real("-"), 0.0);
        assert_eq!(sqlite_real_to_int(-3.9), -3);
        assert_eq!(sqlite_real_to_int(1e30), i64::MAX);
        assert_eq!(sqlite_real_to_int(f64::NAN), 0);
    }

    fn one_column(array: ArrayRef) -> (SchemaRef, Vec<RecordBatch>) {
        let schema = Arc::new(Schema::new(vec![Field::new(
            "c",
            array.data_type().clone(),
            true,
        )]));
        let batch = RecordBatch::try_new(schema.clone(), vec![array]).expect("valid batch");
        (schema, vec![batch])
    }

    fn rendered(array: ArrayRef, letter: u8, style: Style) -> Vec<String> {
        let (schema, batches) = one_column(array);
        let values = render(&schema, &batches, &[letter], style).expect("renders");
        values.strs().iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn sqlite_style_by_type_letter() {
        let ints: ArrayRef = Arc::new(Int64Array::from(vec![
            Some(5),
            None,
            Some(-3),
            Some(1 << 33),
        ]));
        assert_eq!(
            rendered(ints.clone(), b'I', Style::Sqlite),
            ["5", "NULL", "-3", "0"]
        );
        assert_eq!(
            rendered(ints.clone(), b'R', Style::Sqlite),
            ["5.000", "NULL", "-3.000", "8589934592.000"]
        );
        assert_eq!(
            rendered(ints, b'T', Style::Sqlite),
            ["5", "NULL", "-3", "8589934592"]
        );

        let floats: ArrayRef = Arc::new(Float64Array::from(vec![2.75, -2.75, 0.5]));
        assert_eq!(
            rendered(floats.clone(), b'I', Style::Sqlite),
            ["2", "-2", "0"]
        );
        assert_eq!(
            rendered(floats.clone(), b'R', Style::Sqlite),
            ["2.750", "-2.750", "0.500"]
        );
        assert_eq!(
            rendered(floats, b'T', Style::Sqlite),
            ["2.75", "-2.75", "0.5"]
        );

        let texts: ArrayRef = Arc::new(StringArray::from(vec![
            Some(""),
            Some("a\tb"),
            Some("é"),
            None,
            Some("12x"),
        ]));
        assert_eq!(
            rendered(texts.clone(), b'T', Style::Sqlite),
            ["(empty)", "a@b", "@@", "NULL", "12x"]
        );
        assert_eq!(
            rendered(texts.clone(), b'I', Style::Sqlite),
            ["0", "0", "0", "NULL", "12"]
        );
        assert_eq!(
            rendered(texts, b'R', Style::Sqlite),
            ["0.000", "0.000", "0.000", "NULL", "12.000"]
        );

        let bools: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), Some(false), None]));
        assert_eq!(
            rendered(bools.clone(), b'I', Style::Sqlite),
            ["1", "0", "NULL"]
        );
        assert_eq!(
            rendered(bools, b'T', Style::DuckDb),
            ["true", "false", "NULL"]
        );

        let nulls: ArrayRef = Arc::new(NullArray::new(2));
        assert_eq!(rendered(nulls, b'T', Style::Sqlite), ["NULL", "NULL"]);
    }

    #[test]
    fn decimals_and_dates() {
        let dec: ArrayRef = Arc::new(
            Decimal128Array::from(vec![150, -5, 12345])
                .with_precision_and_scale(10, 2)
                .expect("valid decimal"),
        );
        assert_eq!(
            rendered(dec.clone(), b'T', Style::DuckDb),
            ["1.50", "-0.05", "123.45"]
        );
        assert_eq!(
            rendered(dec.clone(), b'I', Style::Sqlite),
            ["1", "0", "123"]
        );
        assert_eq!(
            rendered(dec, b'R', Style::Sqlite),
            ["1.500", "-0.050", "123.450"]
        );
        let dates: ArrayRef = Arc::new(Date32Array::from(vec![0, 19000]));
        assert_eq!(
            rendered(dates, b'T', Style::DuckDb),
            ["1970-01-01", "2022-01-08"]
        );
    }

    #[test]
    fn column_count_mismatch_is_an_error() {
        let (schema, batches) = one_column(Arc::new(Int64Array::from(vec![1])));
        assert!(render(&schema, &batches, b"II", Style::Sqlite).is_err());
    }

    #[test]
    fn duckdb_value_equality() {
        assert!(duckdb_values_equal(
            "294912",
            "294912.000000",
            ColumnKind::Integer
        ));
        assert!(duckdb_values_equal("1.50", "1.5", ColumnKind::Decimal));
        assert!(duckdb_values_equal("-0", "0", ColumnKind::Integer));
        assert!(!duckdb_values_equal("2", "1.5", ColumnKind::Integer));
        assert!(duckdb_values_equal(
            "327680.0",
            "327680.000000",
            ColumnKind::Float
        ));
        assert!(!duckdb_values_equal("0.1", "0.1000001", ColumnKind::Float));
        assert!(duckdb_values_equal("true", "1", ColumnKind::Boolean));
        assert!(duckdb_values_equal("false", "FALSE", ColumnKind::Boolean));
        assert!(!duckdb_values_equal("abc", "ABC", ColumnKind::Other));
    }
}
