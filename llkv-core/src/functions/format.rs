//! Values to text and text to numbers, the SQLite way.
//!
//! SQLite renders a REAL as `printf("%!.15g")`: 15 significant digits (rounded half up),
//! trailing zeros dropped but always at least one digit after the decimal point
//! (`1.0`, not `1`), and exponent form `d.ddde+NN` when the decimal exponent is below -4
//! or above 14, with at least two exponent digits. [`sqlite_float_to_text`] reproduces it;
//! [`value_to_text`] applies it (and the other SQLite renderings) to a whole array with one
//! type dispatch, for `CAST(x AS TEXT)`, `||` and `group_concat`.
//!
//! [`text_to_f64`] goes the other way: SQLite's numeric value of a text is the longest
//! leading prefix that reads as a number (`' 12abc'` is 12, `'1.5x'` is 1.5, `'abc'` is 0).

use arrow::array::{Array, AsArray, StringArray, StringBuilder};
use arrow::compute;
use arrow::datatypes::{DataType, Float32Type, Float64Type};
use arrow::error::ArrowError;
use std::fmt::Write as _;

/// Renders `value` as SQLite renders a REAL as text (`printf("%!.15g")`).
///
/// `1.0` -> `"1.0"`, `0.1` -> `"0.1"`, `1e20` -> `"1.0e+20"`,
/// `123456789012345678.0` -> `"1.23456789012346e+17"`, `-0.0` -> `"0.0"`,
/// infinities -> `"Inf"` / `"-Inf"`, NaN -> `"NaN"`.
pub fn sqlite_float_to_text(value: f64) -> String {
    let mut out = String::with_capacity(24);
    let mut scratch = String::with_capacity(32);
    write_f64(&mut out, &mut scratch, value);
    out
}

/// Appends the SQLite text of `value` to `out`; `scratch` is reusable working space.
fn write_f64(out: &mut String, scratch: &mut String, value: f64) {
    if special(out, value) {
        return;
    }
    scratch.clear();
    // Shortest round-trip digits: when they are 15 or fewer they are exactly the value
    // rounded to 15 significant digits (a double carries more than 15 digits).
    let _ = write!(scratch, "{:e}", value.abs());
    let (mut digits, mut exp) = split_exponent(scratch);
    if digits.len() > 15 {
        // Round to 15 digits, half up on the 16th digit as SQLite does.
        scratch.clear();
        let _ = write!(scratch, "{:.20e}", value.abs());
        let (long, long_exp) = split_exponent(scratch);
        let (d, e) = round_half_up(&long, long_exp, 15);
        digits = d;
        exp = e;
    }
    if value < 0.0 {
        out.push('-');
    }
    layout(out, &digits, exp);
}

/// Appends the text of an `f32`: its shortest round-trip digits laid out like SQLite.
fn write_f32(out: &mut String, scratch: &mut String, value: f32) {
    if special(out, f64::from(value)) {
        return;
    }
    scratch.clear();
    let _ = write!(scratch, "{:e}", value.abs());
    let (digits, exp) = split_exponent(scratch);
    if value < 0.0 {
        out.push('-');
    }
    layout(out, &digits, exp);
}

/// Zero, infinities and NaN; true when `value` was one of them and has been written.
fn special(out: &mut String, value: f64) -> bool {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "Inf" } else { "-Inf" });
    } else if value == 0.0 {
        out.push_str("0.0");
    } else {
        return false;
    }
    true
}

/// Splits Rust's `{:e}` output of a positive number (`"1.2345e-7"`) into its significant
/// digits without trailing zeros (`"12345"`) and the decimal exponent of the first (-7).
fn split_exponent(s: &str) -> (Vec<u8>, i32) {
    let (mantissa, exp) = s.split_once('e').unwrap_or((s, "0"));
    let mut digits: Vec<u8> = mantissa.bytes().filter(u8::is_ascii_digit).collect();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    (digits, exp.parse().unwrap_or(0))
}

/// Keeps `keep` significant digits, rounding half up on the next digit only (SQLite's rule).
fn round_half_up(digits: &[u8], exp: i32, keep: usize) -> (Vec<u8>, i32) {
    if digits.len() <= keep {
        return (digits.to_vec(), exp);
    }
    let mut out = digits[..keep].to_vec();
    let mut exp = exp;
    if digits[keep] >= b'5' {
        let mut j = keep;
        loop {
            if j == 0 {
                out.insert(0, b'1');
                out.truncate(keep);
                exp += 1;
                break;
            }
            j -= 1;
            if out[j] == b'9' {
                out[j] = b'0';
            } else {
                out[j] += 1;
                break;
            }
        }
    }
    while out.len() > 1 && out.last() == Some(&b'0') {
        out.pop();
    }
    (out, exp)
}

/// Writes significant `digits` (no trailing zeros) with decimal exponent `exp` the way
/// `%!.15g` does: fixed notation for -4 <= exp <= 14, otherwise `d.ddde[+-]NN`; always at
/// least one digit after the point.
fn layout(out: &mut String, digits: &[u8], exp: i32) {
    let push_digits = |out: &mut String, d: &[u8]| {
        for &b in d {
            out.push(char::from(b));
        }
    };
    let Some((&first, rest)) = digits.split_first() else {
        out.push_str("0.0");
        return;
    };
    if !(-4..=14).contains(&exp) {
        out.push(char::from(first));
        out.push('.');
        if rest.is_empty() {
            out.push('0');
        } else {
            push_digits(out, rest);
        }
        out.push('e');
        out.push(if exp < 0 { '-' } else { '+' });
        // At least two exponent digits, as SQLite prints them.
        let _ = write!(out, "{:02}", exp.unsigned_abs());
    } else if exp >= 0 {
        let int_len = exp as usize + 1;
        for i in 0..int_len {
            out.push(char::from(digits.get(i).copied().unwrap_or(b'0')));
        }
        out.push('.');
        match digits.get(int_len..) {
            Some(frac) if !frac.is_empty() => push_digits(out, frac),
            _ => out.push('0'),
        }
    } else {
        out.push_str("0.");
        for _ in 0..(-exp - 1) {
            out.push('0');
        }
        push_digits(out, digits);
    }
}

/// Converts every value of `array` to text the SQLite way, keeping NULLs.
///
/// - text stays as is; integers print in decimal; booleans as `1` / `0`;
/// - `Float64` as [`sqlite_float_to_text`]; `Float32` with its shortest round-trip digits
///   laid out the same way (`0.1f32` -> `"0.1"`);
/// - `Date32` as `YYYY-MM-DD`; `Decimal128` as its exact decimal string (`12.50`);
/// - `Null` gives all NULLs; any other type Arrow can cast to `Utf8` is cast.
///
/// One type dispatch per array; no allocation per value beyond the result's buffers.
pub fn value_to_text(array: &dyn Array) -> Result<StringArray, ArrowError> {
    match array.data_type() {
        DataType::Utf8 => Ok(array.as_string::<i32>().clone()),
        DataType::Null => Ok(StringArray::new_null(array.len())),
        DataType::Boolean => Ok(array
            .as_boolean()
            .iter()
            .map(|v| v.map(|b| if b { "1" } else { "0" }))
            .collect()),
        DataType::Float64 => {
            let a = array.as_primitive::<Float64Type>();
            Ok(floats_to_text(
                a.len(),
                a.nulls(),
                |i| a.value(i),
                write_f64,
            ))
        }
        DataType::Float32 => {
            let a = array.as_primitive::<Float32Type>();
            Ok(floats_to_text(
                a.len(),
                a.nulls(),
                |i| a.value(i),
                write_f32,
            ))
        }
        _ => {
            let cast = compute::cast(array, &DataType::Utf8)?;
            Ok(cast.as_string::<i32>().clone())
        }
    }
}

fn floats_to_text<F: Copy>(
    len: usize,
    nulls: Option<&arrow::buffer::NullBuffer>,
    value: impl Fn(usize) -> F,
    write: fn(&mut String, &mut String, F),
) -> StringArray {
    let mut builder = StringBuilder::with_capacity(len, len * 8);
    let mut text = String::with_capacity(32);
    let mut scratch = String::with_capacity(32);
    for i in 0..len {
        if nulls.is_some_and(|n| n.is_null(i)) {
            builder.append_null();
        } else {
            text.clear();
            write(&mut text, &mut scratch, value(i));
            builder.append_value(&text);
        }
    }
    builder.finish()
}

/// True when [`value_to_text`] accepts arrays of this type.
pub fn can_convert_to_text(data_type: &DataType) -> bool {
    matches!(
        data_type,
        DataType::Utf8 | DataType::Null | DataType::Boolean | DataType::Float32 | DataType::Float64
    ) || compute::can_cast_types(data_type, &DataType::Utf8)
}

/// The numeric value SQLite gives a text: the longest leading prefix that reads as a number
/// (after leading whitespace: a sign, digits, an optional fraction, an optional exponent),
/// or 0 when there is none. `' 12abc'` -> 12, `'1.5x'` -> 1.5, `'abc'` -> 0, `'.5'` -> 0.5,
/// `'1e3'` -> 1000.
pub fn text_to_f64(text: &str) -> f64 {
    let b = text.as_bytes();
    let digits_from = |mut i: usize| {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        i
    };
    let mut i = 0;
    while i < b.len() && matches!(b[i], b' ' | b'\t' | b'\n' | 0x0b | 0x0c | b'\r') {
        i += 1;
    }
    let start = i;
    if i < b.len() && matches!(b[i], b'+' | b'-') {
        i += 1;
    }
    let int_end = digits_from(i);
    let mut any_digit = int_end > i;
    i = int_end;
    if i < b.len() && b[i] == b'.' {
        let frac_end = digits_from(i + 1);
        if any_digit || frac_end > i + 1 {
            any_digit = true;
            i = frac_end;
        }
    }
    if !any_digit {
        return 0.0;
    }
    if i < b.len() && matches!(b[i], b'e' | b'E') {
        let mut j = i + 1;
        if j < b.len() && matches!(b[j], b'+' | b'-') {
            j += 1;
        }
        let exp_end = digits_from(j);
        if exp_end > j {
            i = exp_end;
        }
    }
    text.get(start..i)
        .and_then(|s| s.parse::<f64>().ok())
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{
        BooleanArray, Date32Array, Decimal128Array, Float32Array, Float64Array, Int64Array,
        NullArray,
    };

    #[test]
    fn floats_render_like_sqlite() {
        let cases: &[(f64, &str)] = &[
            (1.0, "1.0"),
            (0.1, "0.1"),
            (1e20, "1.0e+20"),
            (123456789012345678.0, "1.23456789012346e+17"),
            (-0.0, "0.0"),
            (0.0, "0.0"),
            (6.02214, "6.02214"),
            (314159.0 / 100000.0, "3.14159"),
            (-2.5, "-2.5"),
            (100.0, "100.0"),
            (1e14, "100000000000000.0"),
            (1e15, "1.0e+15"),
            (999999999999999.0, "999999999999999.0"),
            (9999999999999999.0, "1.0e+16"),
            (1234567890123445.0, "1.23456789012345e+15"),
            (0.0001, "0.0001"),
            (0.00001, "1.0e-05"),
            (1.5e-7, "1.5e-07"),
            (1e-300, "1.0e-300"),
            (1.7976931348623157e308, "1.79769313486232e+308"),
            (0.1 + 0.2, "0.3"),
            (1.0 / 3.0, "0.333333333333333"),
            (2.0 / 3.0, "0.666666666666667"),
            (-123.456, "-123.456"),
            (12345.678901234567, "12345.6789012346"),
            (f64::INFINITY, "Inf"),
            (f64::NEG_INFINITY, "-Inf"),
            (f64::NAN, "NaN"),
        ];
        for &(v, want) in cases {
            assert_eq!(sqlite_float_to_text(v), want, "{v:e}");
        }
    }

    #[test]
    fn rounding_carries_into_a_new_digit() {
        assert_eq!(
            round_half_up(b"9999999999999999", 3, 15),
            (b"1".to_vec(), 4)
        );
        assert_eq!(round_half_up(b"1234", 0, 15), (b"1234".to_vec(), 0));
    }

    #[test]
    fn arrays_render_like_sqlite() {
        let f = value_to_text(&Float64Array::from(vec![Some(1.0), None, Some(0.5)])).unwrap();
        assert_eq!(
            f.iter().collect::<Vec<_>>(),
            vec![Some("1.0"), None, Some("0.5")]
        );
        let f = value_to_text(&Float32Array::from(vec![0.1f32, 2.0])).unwrap();
        assert_eq!(f.iter().collect::<Vec<_>>(), vec![Some("0.1"), Some("2.0")]);
        let i = value_to_text(&Int64Array::from(vec![Some(-7), None, Some(i64::MAX)])).unwrap();
        assert_eq!(
            i.iter().collect::<Vec<_>>(),
            vec![Some("-7"), None, Some("9223372036854775807")]
        );
        let b = value_to_text(&BooleanArray::from(vec![Some(true), Some(false), None])).unwrap();
        assert_eq!(
            b.iter().collect::<Vec<_>>(),
            vec![Some("1"), Some("0"), None]
        );
        let d = value_to_text(&Date32Array::from(vec![0, 19000])).unwrap();
        assert_eq!(
            d.iter().collect::<Vec<_>>(),
            vec![Some("1970-01-01"), Some("2022-01-08")]
        );
        let dec = Decimal128Array::from(vec![1250, -5])
            .with_precision_and_scale(10, 2)
            .unwrap();
        let dec = value_to_text(&dec).unwrap();
        assert_eq!(
            dec.iter().collect::<Vec<_>>(),
            vec![Some("12.50"), Some("-0.05")]
        );
        let n = value_to_text(&NullArray::new(2)).unwrap();
        assert_eq!(n.null_count(), 2);
        let s = StringArray::from(vec![Some("x"), None]);
        assert_eq!(value_to_text(&s).unwrap(), s);
        let sliced = Float64Array::from(vec![Some(1.0), None, Some(2.0)]).slice(1, 2);
        let t = value_to_text(&sliced).unwrap();
        assert_eq!(t.iter().collect::<Vec<_>>(), vec![None, Some("2.0")]);
    }

    #[test]
    fn text_reads_its_numeric_prefix() {
        let cases: &[(&str, f64)] = &[
            ("5", 5.0),
            (" 12abc", 12.0),
            ("abc", 0.0),
            ("1.5x", 1.5),
            ("", 0.0),
            ("-", 0.0),
            (".", 0.0),
            (".5", 0.5),
            ("5.", 5.0),
            ("-.5e1x", -5.0),
            ("+3", 3.0),
            ("1e", 1.0),
            ("1e+", 1.0),
            ("2E2", 200.0),
            ("\t\n -7 ", -7.0),
            ("1e999", f64::INFINITY),
            ("0x10", 0.0),
            ("١٢", 0.0),
        ];
        for &(s, want) in cases {
            assert_eq!(text_to_f64(s), want, "{s:?}");
        }
    }
}
