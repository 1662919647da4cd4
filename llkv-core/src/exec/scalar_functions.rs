//! Built-in scalar functions, each applied to whole arrays.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, Float64Array, Int64Array, StringArray, new_null_array,
};
use arrow::compute::{self, kernels::cmp};
use arrow::datatypes::{DataType, Float64Type};

use super::ExecCtx;
use super::eval::{cast_value, int64s, strings, to_text};
use crate::error::{Error, Result};
use crate::plan::ScalarFunc;

/// Calls `f` on argument arrays of `n` rows (the binder checked arity and types).
pub fn call(ctx: &ExecCtx<'_>, f: ScalarFunc, args: &[ArrayRef], n: usize) -> Result<ArrayRef> {
    let arg = |i: usize| -> Result<&ArrayRef> {
        args.get(i)
            .ok_or_else(|| Error::Function(format!("{f:?}: missing argument {}", i + 1)))
    };
    match f {
        ScalarFunc::Abs => {
            let a = arg(0)?;
            match a.data_type() {
                DataType::Null => Ok(a.clone()),
                t if t.is_integer() => {
                    let i = compute::cast(a, &DataType::Int64)?;
                    let v: std::result::Result<Int64Array, Error> = int64s(&i)?
                        .iter()
                        .map(|o| {
                            o.map(|x| {
                                x.checked_abs()
                                    .ok_or_else(|| Error::Execution("integer overflow".into()))
                            })
                            .transpose()
                        })
                        .collect();
                    Ok(compute::cast(&(Arc::new(v?) as ArrayRef), t)?)
                }
                t if t.is_floating() => {
                    let f = compute::cast(a, &DataType::Float64)?;
                    let v: Float64Array =
                        compute::unary::<_, _, Float64Type>(f.as_primitive::<Float64Type>(), |x| {
                            x.abs()
                        });
                    Ok(compute::cast(&(Arc::new(v) as ArrayRef), t)?)
                }
                other => Err(Error::Function(format!("abs() of {other}"))),
            }
        }
        ScalarFunc::Coalesce => {
            let mut result = arg(0)?.clone();
            for next in &args[1..] {
                if result.null_count() == 0 {
                    break;
                }
                let next = cast_value(ctx, next, result.data_type())?;
                let has = compute::is_not_null(&result)?;
                result = compute::kernels::zip::zip(&has, &result, &next)?;
            }
            Ok(result)
        }
        ScalarFunc::NullIf => {
            // [value, value in the comparison type, other in the comparison type]
            let a = arg(0)?;
            if a.data_type() == &DataType::Null {
                return Ok(a.clone());
            }
            let eq = cmp::eq(arg(1)?, arg(2)?)?;
            Ok(compute::nullif(a, &super::eval::null_as_false(&eq))?)
        }
        ScalarFunc::Length => {
            let a = arg(0)?;
            if a.data_type() == &DataType::Null {
                return Ok(new_null_array(&DataType::Int64, n));
            }
            let s = to_text(ctx, a)?;
            let v: Int64Array = strings(&s)?
                .iter()
                .map(|o| o.map(|x| x.chars().count() as i64))
                .collect();
            Ok(Arc::new(v))
        }
        ScalarFunc::Upper | ScalarFunc::Lower => {
            let s = to_text(ctx, arg(0)?)?;
            let upper = f == ScalarFunc::Upper;
            let v: StringArray = strings(&s)?
                .iter()
                .map(|o| {
                    o.map(|x| {
                        if upper {
                            x.to_ascii_uppercase()
                        } else {
                            x.to_ascii_lowercase()
                        }
                    })
                })
                .collect();
            Ok(Arc::new(v))
        }
        ScalarFunc::Trim | ScalarFunc::LTrim | ScalarFunc::RTrim => {
            let s = to_text(ctx, arg(0)?)?;
            let chars = match args.get(1) {
                Some(c) => Some(to_text(ctx, c)?),
                None => None,
            };
            let chars = chars.as_ref().map(|c| strings(c)).transpose()?;
            let v: StringArray = strings(&s)?
                .iter()
                .enumerate()
                .map(|(i, o)| {
                    let set: Vec<char> = match chars {
                        Some(c) if c.is_null(i) => return None,
                        Some(c) => c.value(i).chars().collect(),
                        None => vec![' '],
                    };
                    o.map(|x| {
                        let p = |ch: char| set.contains(&ch);
                        match f {
                            ScalarFunc::Trim => x.trim_matches(p).to_owned(),
                            ScalarFunc::LTrim => x.trim_start_matches(p).to_owned(),
                            _ => x.trim_end_matches(p).to_owned(),
                        }
                    })
                })
                .collect();
            Ok(Arc::new(v))
        }
        ScalarFunc::Substr => {
            let s = to_text(ctx, arg(0)?)?;
            let start = compute::cast(arg(1)?, &DataType::Int64)?;
            let len = args
                .get(2)
                .map(|l| compute::cast(l, &DataType::Int64))
                .transpose()?;
            let s = strings(&s)?;
            let start = int64s(&start)?;
            let len = len.as_ref().map(int64s).transpose()?;
            let v: StringArray = (0..n)
                .map(|i| {
                    if s.is_null(i) || start.is_null(i) || len.is_some_and(|l| l.is_null(i)) {
                        return None;
                    }
                    Some(sqlite_substr(
                        s.value(i),
                        start.value(i),
                        len.map(|l| l.value(i)),
                    ))
                })
                .collect();
            Ok(Arc::new(v))
        }
        ScalarFunc::Replace => {
            let s = to_text(ctx, arg(0)?)?;
            let from = to_text(ctx, arg(1)?)?;
            let to = to_text(ctx, arg(2)?)?;
            let (s, from, to) = (strings(&s)?, strings(&from)?, strings(&to)?);
            let v: StringArray = (0..n)
                .map(|i| {
                    if s.is_null(i) || from.is_null(i) || to.is_null(i) {
                        return None;
                    }
                    let f = from.value(i);
                    Some(if f.is_empty() {
                        s.value(i).to_owned()
                    } else {
                        s.value(i).replace(f, to.value(i))
                    })
                })
                .collect();
            Ok(Arc::new(v))
        }
        ScalarFunc::Instr => {
            let s = to_text(ctx, arg(0)?)?;
            let needle = to_text(ctx, arg(1)?)?;
            let (s, needle) = (strings(&s)?, strings(&needle)?);
            let v: Int64Array = (0..n)
                .map(|i| {
                    if s.is_null(i) || needle.is_null(i) {
                        return None;
                    }
                    let h = s.value(i);
                    Some(match h.find(needle.value(i)) {
                        Some(byte) => h[..byte].chars().count() as i64 + 1,
                        None => 0,
                    })
                })
                .collect();
            Ok(Arc::new(v))
        }
        ScalarFunc::Round => {
            let a = arg(0)?;
            let digits = match args.get(1) {
                Some(d) => Some(compute::cast(d, &DataType::Int64)?),
                None => None,
            };
            let x = cast_value(ctx, a, &DataType::Float64)?;
            let x = x.as_primitive::<Float64Type>();
            let digits = digits.as_ref().map(int64s).transpose()?;
            let v: Float64Array = (0..n)
                .map(|i| {
                    if x.is_null(i) || digits.is_some_and(|d| d.is_null(i)) {
                        return None;
                    }
                    let d = digits.map_or(0, |d| d.value(i)).clamp(0, 30) as i32;
                    Some(sqlite_round(x.value(i), d))
                })
                .collect();
            Ok(Arc::new(v))
        }
        ScalarFunc::TypeOf => {
            let a = arg(0)?;
            let name = match a.data_type() {
                DataType::Null => "null",
                t if t.is_integer() || *t == DataType::Boolean => "integer",
                t if t.is_floating() => "real",
                DataType::Utf8 => "text",
                _ => "blob",
            };
            let v: StringArray = (0..n)
                .map(|i| Some(if a.is_null(i) { "null" } else { name }))
                .collect();
            Ok(Arc::new(v))
        }
        ScalarFunc::Random => {
            use std::sync::atomic::{AtomicU64, Ordering};
            static STATE: AtomicU64 = AtomicU64::new(0x2545_F491_4F6C_DD1D);
            let v: Int64Array = (0..n)
                .map(|_| {
                    let mut x = STATE.load(Ordering::Relaxed);
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    STATE.store(x, Ordering::Relaxed);
                    Some(x as i64)
                })
                .collect();
            Ok(Arc::new(v))
        }
    }
}

/// SQLite's `substr`: 1-based; a negative start counts from the end; a negative length
/// takes characters before the start.
fn sqlite_substr(s: &str, start: i64, len: Option<i64>) -> String {
    let chars: Vec<char> = s.chars().collect();
    let total = chars.len() as i128;
    // In i128 no position a user can pass (any i64) overflows.
    let (start, len) = (start as i128, len.map(|l| l as i128));
    let (mut begin, mut count) = match (start, len) {
        (0, None) => (0, total),
        (0, Some(l)) => (-1, l),
        (s, _) if s > 0 => (s - 1, len.unwrap_or(total)),
        (s, _) => (total + s, len.unwrap_or(total)),
    };
    if count < 0 {
        begin += count;
        count = -count;
    }
    let end = (begin + count).clamp(0, total);
    let begin = begin.clamp(0, total);
    if begin >= end {
        return String::new();
    }
    chars[begin as usize..end as usize].iter().collect()
}

fn sqlite_round(x: f64, digits: i32) -> f64 {
    if !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(digits);
    let r = (x * scale).round() / scale;
    if r.is_finite() { r } else { x }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn substr_follows_sqlite() {
        assert_eq!(sqlite_substr("hello", 2, Some(3)), "ell");
        assert_eq!(sqlite_substr("hello", -3, None), "llo");
        assert_eq!(sqlite_substr("hello", 0, Some(2)), "h");
        assert_eq!(sqlite_substr("hello", 3, Some(-2)), "he");
        assert_eq!(sqlite_substr("hello", 10, None), "");
        assert_eq!(sqlite_substr("hello", 1, Some(i64::MIN)), "");
        assert_eq!(sqlite_substr("hello", i64::MIN, Some(i64::MAX)), "hell");
        assert_eq!(sqlite_substr("hello", i64::MAX, Some(3)), "");
        assert_eq!(sqlite_substr("hello", -2, Some(i64::MIN)), "hel");
        assert_eq!(sqlite_round(2.5, 0), 3.0);
        assert_eq!(sqlite_round(-1.005, 2), -1.0);
    }
}
