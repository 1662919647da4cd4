//! A single SQL value, used for literals, chunk statistics and aggregate states.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Decimal128Array, Float32Array,
    Float64Array, Int8Array, Int16Array, Int32Array, Int64Array, NullArray, StringArray,
    new_null_array,
};
use arrow::buffer::ScalarBuffer;
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type,
};
use arrow::error::ArrowError;

/// One SQL value of a type LLKV stores.
#[derive(Debug, Clone, PartialEq)]
pub enum ScalarValue {
    /// SQL NULL of unknown type.
    Null,
    /// BOOLEAN.
    Boolean(Option<bool>),
    /// TINYINT.
    Int8(Option<i8>),
    /// SMALLINT.
    Int16(Option<i16>),
    /// INTEGER (32-bit dialects).
    Int32(Option<i32>),
    /// BIGINT, and INTEGER in SQLite.
    Int64(Option<i64>),
    /// REAL (32-bit dialects).
    Float32(Option<f32>),
    /// DOUBLE.
    Float64(Option<f64>),
    /// TEXT / VARCHAR.
    Utf8(Option<String>),
    /// DATE, days since 1970-01-01.
    Date32(Option<i32>),
    /// DECIMAL(precision, scale), the unscaled value.
    Decimal128(Option<i128>, u8, i8),
}

impl ScalarValue {
    /// The Arrow type of this value.
    pub fn data_type(&self) -> DataType {
        match self {
            Self::Null => DataType::Null,
            Self::Boolean(_) => DataType::Boolean,
            Self::Int8(_) => DataType::Int8,
            Self::Int16(_) => DataType::Int16,
            Self::Int32(_) => DataType::Int32,
            Self::Int64(_) => DataType::Int64,
            Self::Float32(_) => DataType::Float32,
            Self::Float64(_) => DataType::Float64,
            Self::Utf8(_) => DataType::Utf8,
            Self::Date32(_) => DataType::Date32,
            Self::Decimal128(_, p, s) => DataType::Decimal128(*p, *s),
        }
    }

    /// True for NULL of any type.
    pub fn is_null(&self) -> bool {
        match self {
            Self::Null => true,
            Self::Boolean(v) => v.is_none(),
            Self::Int8(v) => v.is_none(),
            Self::Int16(v) => v.is_none(),
            Self::Int32(v) => v.is_none(),
            Self::Int64(v) => v.is_none(),
            Self::Float32(v) => v.is_none(),
            Self::Float64(v) => v.is_none(),
            Self::Utf8(v) => v.is_none(),
            Self::Date32(v) => v.is_none(),
            Self::Decimal128(v, _, _) => v.is_none(),
        }
    }

    /// A NULL of the given type. Fails for types LLKV does not store.
    pub fn null_of(data_type: &DataType) -> Result<Self, ArrowError> {
        Ok(match data_type {
            DataType::Null => Self::Null,
            DataType::Boolean => Self::Boolean(None),
            DataType::Int8 => Self::Int8(None),
            DataType::Int16 => Self::Int16(None),
            DataType::Int32 => Self::Int32(None),
            DataType::Int64 => Self::Int64(None),
            DataType::Float32 => Self::Float32(None),
            DataType::Float64 => Self::Float64(None),
            DataType::Utf8 => Self::Utf8(None),
            DataType::Date32 => Self::Date32(None),
            DataType::Decimal128(p, s) => Self::Decimal128(None, *p, *s),
            other => {
                return Err(ArrowError::NotYetImplemented(format!(
                    "scalar values of type {other}"
                )));
            }
        })
    }

    /// The value at `index` of `array`.
    pub fn try_from_array(array: &dyn Array, index: usize) -> Result<Self, ArrowError> {
        if index >= array.len() {
            return Err(ArrowError::InvalidArgumentError(format!(
                "index {index} out of bounds for array of length {}",
                array.len()
            )));
        }
        if array.is_null(index) {
            return Self::null_of(array.data_type());
        }
        Ok(match array.data_type() {
            DataType::Null => Self::Null,
            DataType::Boolean => Self::Boolean(Some(array.as_boolean().value(index))),
            DataType::Int8 => Self::Int8(Some(array.as_primitive::<Int8Type>().value(index))),
            DataType::Int16 => Self::Int16(Some(array.as_primitive::<Int16Type>().value(index))),
            DataType::Int32 => Self::Int32(Some(array.as_primitive::<Int32Type>().value(index))),
            DataType::Int64 => Self::Int64(Some(array.as_primitive::<Int64Type>().value(index))),
            DataType::Float32 => {
                Self::Float32(Some(array.as_primitive::<Float32Type>().value(index)))
            }
            DataType::Float64 => {
                Self::Float64(Some(array.as_primitive::<Float64Type>().value(index)))
            }
            DataType::Utf8 => Self::Utf8(Some(array.as_string::<i32>().value(index).to_owned())),
            DataType::Date32 => Self::Date32(Some(array.as_primitive::<Date32Type>().value(index))),
            DataType::Decimal128(p, s) => Self::Decimal128(
                Some(array.as_primitive::<Decimal128Type>().value(index)),
                *p,
                *s,
            ),
            other => {
                return Err(ArrowError::NotYetImplemented(format!(
                    "scalar values of type {other}"
                )));
            }
        })
    }

    /// An array of `len` copies of this value.
    pub fn to_array(&self, len: usize) -> ArrayRef {
        // Straight from a buffer: `From<Vec<_>>` goes through `ArrayData`, one allocation
        // and a validation more, which a point statement pays for each of its literals.
        macro_rules! rep {
            ($arr:ty, $v:expr) => {
                Arc::new(<$arr>::new(ScalarBuffer::from(vec![*$v; len]), None)) as ArrayRef
            };
        }
        match self {
            Self::Null => Arc::new(NullArray::new(len)),
            Self::Boolean(Some(v)) => Arc::new(BooleanArray::from(vec![*v; len])),
            Self::Int8(Some(v)) => rep!(Int8Array, v),
            Self::Int16(Some(v)) => rep!(Int16Array, v),
            Self::Int32(Some(v)) => rep!(Int32Array, v),
            Self::Int64(Some(v)) => rep!(Int64Array, v),
            Self::Float32(Some(v)) => rep!(Float32Array, v),
            Self::Float64(Some(v)) => rep!(Float64Array, v),
            Self::Date32(Some(v)) => rep!(Date32Array, v),
            Self::Utf8(Some(v)) => {
                Arc::new(StringArray::from_iter_values(std::iter::repeat_n(v, len)))
            }
            Self::Decimal128(Some(v), p, s) => Arc::new(
                Decimal128Array::from(vec![*v; len])
                    .with_precision_and_scale(*p, *s)
                    .unwrap_or_else(|_| Decimal128Array::from(vec![*v; len])),
            ),
            other => new_null_array(&other.data_type(), len),
        }
    }

    /// Orders two non-null values of the same type; `None` when they are not comparable.
    pub fn partial_cmp_same_type(&self, other: &Self) -> Option<Ordering> {
        use ScalarValue::*;
        match (self, other) {
            (Boolean(Some(a)), Boolean(Some(b))) => a.partial_cmp(b),
            (Int8(Some(a)), Int8(Some(b))) => a.partial_cmp(b),
            (Int16(Some(a)), Int16(Some(b))) => a.partial_cmp(b),
            (Int32(Some(a)), Int32(Some(b))) => a.partial_cmp(b),
            (Int64(Some(a)), Int64(Some(b))) => a.partial_cmp(b),
            (Float32(Some(a)), Float32(Some(b))) => a.partial_cmp(b),
            (Float64(Some(a)), Float64(Some(b))) => a.partial_cmp(b),
            (Utf8(Some(a)), Utf8(Some(b))) => a.partial_cmp(b),
            (Date32(Some(a)), Date32(Some(b))) => a.partial_cmp(b),
            (Decimal128(Some(a), _, s1), Decimal128(Some(b), _, s2)) if s1 == s2 => {
                a.partial_cmp(b)
            }
            _ => None,
        }
    }
}

impl fmt::Display for ScalarValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_null() {
            return f.write_str("NULL");
        }
        match self {
            Self::Boolean(Some(v)) => write!(f, "{v}"),
            Self::Int8(Some(v)) => write!(f, "{v}"),
            Self::Int16(Some(v)) => write!(f, "{v}"),
            Self::Int32(Some(v)) => write!(f, "{v}"),
            Self::Int64(Some(v)) => write!(f, "{v}"),
            Self::Float32(Some(v)) => write!(f, "{v}"),
            Self::Float64(Some(v)) => write!(f, "{v}"),
            Self::Utf8(Some(v)) => write!(f, "'{}'", v.replace('\'', "''")),
            Self::Date32(Some(v)) => write!(f, "DATE {v}"),
            Self::Decimal128(Some(v), _, s) => {
                let arr = Decimal128Array::from(vec![*v])
                    .with_precision_and_scale(38, *s)
                    .map_err(|_| fmt::Error)?;
                write!(f, "{}", arr.value_as_string(0))
            }
            _ => f.write_str("NULL"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_through_arrays() {
        let values = [
            ScalarValue::Boolean(Some(true)),
            ScalarValue::Int64(Some(-7)),
            ScalarValue::Float64(Some(2.5)),
            ScalarValue::Utf8(Some("a,)'b".into())),
            ScalarValue::Date32(Some(19000)),
            ScalarValue::Decimal128(Some(12345), 10, 2),
            ScalarValue::Int32(None),
        ];
        for v in values {
            let arr = v.to_array(3);
            assert_eq!(arr.len(), 3);
            assert_eq!(ScalarValue::try_from_array(&arr, 2).unwrap(), v);
        }
        assert!(ScalarValue::try_from_array(&Int64Array::from(vec![1]), 5).is_err());
    }
}
