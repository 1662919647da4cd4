//! Type rules the binder applies: literal types, common types, coercion casts.

use arrow::datatypes::DataType;
use llkv_traits::{Coercion, ScalarValue};

use crate::error::{Error, Result};
use crate::plan::Expr;

fn int_rank(t: &DataType) -> Option<u8> {
    Some(match t {
        DataType::Int8 => 1,
        DataType::Int16 => 2,
        DataType::Int32 => 3,
        DataType::Int64 => 4,
        DataType::UInt8 => 2,
        DataType::UInt16 => 3,
        DataType::UInt32 => 4,
        DataType::UInt64 => 4,
        _ => return None,
    })
}

fn int_of_rank(r: u8) -> DataType {
    match r {
        1 => DataType::Int8,
        2 => DataType::Int16,
        3 => DataType::Int32,
        _ => DataType::Int64,
    }
}

/// True for integer, floating and decimal types.
pub fn is_numeric(t: &DataType) -> bool {
    t.is_numeric()
}

/// The type two numeric operands are computed in.
pub fn common_numeric(a: &DataType, b: &DataType) -> DataType {
    match (a, b) {
        (DataType::Float64, _) | (_, DataType::Float64) => DataType::Float64,
        (DataType::Float32, DataType::Float32) => DataType::Float32,
        (DataType::Float32, _) | (_, DataType::Float32) => DataType::Float64,
        (DataType::Decimal128(_, s1), DataType::Decimal128(_, s2)) => {
            DataType::Decimal128(38, (*s1).max(*s2))
        }
        (DataType::Decimal128(_, s), other) | (other, DataType::Decimal128(_, s))
            if other.is_integer() =>
        {
            DataType::Decimal128(38, *s)
        }
        _ => match (int_rank(a), int_rank(b)) {
            (Some(x), Some(y)) => int_of_rank(x.max(y)),
            _ => DataType::Float64,
        },
    }
}

/// The type of a literal number as written.
pub fn number_literal(text: &str) -> Result<ScalarValue> {
    if !text.contains(['.', 'e', 'E'])
        && let Ok(v) = text.parse::<i64>()
    {
        return Ok(ScalarValue::Int64(Some(v)));
    }
    text.parse::<f64>()
        .map(|v| ScalarValue::Float64(Some(v)))
        .map_err(|_| Error::Syntax(format!("invalid number {text}")))
}

/// Casts `e` (of type `from`) to `to` unless it already has that type.
pub fn cast(e: Expr, from: &DataType, to: &DataType) -> Expr {
    if from == to {
        return e;
    }
    if let Expr::Literal(ScalarValue::Null) = e {
        return match ScalarValue::null_of(to) {
            Ok(v) => Expr::Literal(v),
            Err(_) => Expr::Cast(Box::new(e), to.clone()),
        };
    }
    Expr::Cast(Box::new(e), to.clone())
}

/// The type two values are compared (or unioned, or CASE-merged) in.
pub fn comparison_type(a: &DataType, b: &DataType, coercion: Coercion) -> Result<DataType> {
    use DataType::*;
    Ok(match (a, b) {
        (x, y) if x == y => x.clone(),
        (Null, y) => y.clone(),
        (x, Null) => x.clone(),
        (x, y) if is_numeric(x) && is_numeric(y) => common_numeric(x, y),
        (Boolean, y) | (y, Boolean) if is_numeric(y) => common_numeric(&Int64, y),
        (Date32, Utf8) | (Utf8, Date32) => Date32,
        (Utf8, y) | (y, Utf8) if is_numeric(y) => match coercion {
            Coercion::SqliteAffinity => y.clone(),
            Coercion::Strict => y.clone(),
        },
        (Utf8, Boolean) | (Boolean, Utf8) => Boolean,
        (x, y) => {
            return Err(Error::Type(format!(
                "cannot compare values of type {x} and {y}"
            )));
        }
    })
}

/// The type an arithmetic operand takes: booleans and text become numbers.
pub fn arithmetic_operand(t: &DataType, e: &Expr, coercion: Coercion) -> Result<DataType> {
    Ok(match t {
        DataType::Boolean => DataType::Int64,
        DataType::Null => DataType::Null,
        DataType::Utf8 => match (coercion, e) {
            (_, Expr::Literal(ScalarValue::Utf8(Some(s)))) if s.trim().parse::<i64>().is_ok() => {
                DataType::Int64
            }
            (Coercion::SqliteAffinity, _) => DataType::Float64,
            (Coercion::Strict, Expr::Literal(ScalarValue::Utf8(Some(s))))
                if s.trim().parse::<f64>().is_ok() =>
            {
                DataType::Float64
            }
            _ => {
                return Err(Error::Type(
                    "cannot use a text value in arithmetic".to_string(),
                ));
            }
        },
        t if is_numeric(t) => t.clone(),
        DataType::Date32 => DataType::Int64,
        other => return Err(Error::Type(format!("cannot use {other} in arithmetic"))),
    })
}
