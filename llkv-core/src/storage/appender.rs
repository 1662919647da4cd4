//! Column appenders: how an open row group (a write buffer) keeps the rows written to it.
//!
//! Each write's arrays are copied at once into growing buffers (the values' bytes and the
//! validity bits), so the write's own small arrays are freed as soon as its statement is
//! done, and sealing the group only wraps the buffers into arrays. Types without a copy
//! path here keep the written arrays and concatenate them when the group is sealed.

use arrow::array::NullBufferBuilder;
use arrow::array::{Array, ArrayData, ArrayRef, AsArray, OffsetSizeTrait, make_array};
use arrow::buffer::MutableBuffer;
use arrow::compute;
use arrow::datatypes::DataType;
use arrow::downcast_primitive_array;

use crate::error::Result;

/// The rows of one column written to an open group.
#[derive(Debug)]
pub(super) enum ColumnAppender {
    /// Fixed-width values (every primitive type): their bytes and validity.
    Fixed {
        data_type: DataType,
        values: MutableBuffer,
        nulls: NullBufferBuilder,
        len: usize,
    },
    /// Strings or binaries, with 32-bit or 64-bit offsets.
    Bytes {
        data_type: DataType,
        /// True for 64-bit offsets.
        large: bool,
        offsets: MutableBuffer,
        values: MutableBuffer,
        nulls: NullBufferBuilder,
        len: usize,
    },
    /// Any other type: the written arrays, concatenated when sealed.
    Parts(Vec<ArrayRef>),
}

impl ColumnAppender {
    /// An empty appender for a column of `data_type`.
    pub(super) fn new(data_type: &DataType) -> Self {
        let nulls = NullBufferBuilder::new(0);
        match data_type {
            t if t.is_primitive() => Self::Fixed {
                data_type: t.clone(),
                values: MutableBuffer::new(0),
                nulls,
                len: 0,
            },
            DataType::Utf8 | DataType::Binary | DataType::LargeUtf8 | DataType::LargeBinary => {
                let large = matches!(data_type, DataType::LargeUtf8 | DataType::LargeBinary);
                let mut offsets = MutableBuffer::new(0);
                if large {
                    offsets.push(0i64);
                } else {
                    offsets.push(0i32);
                }
                Self::Bytes {
                    data_type: data_type.clone(),
                    large,
                    offsets,
                    values: MutableBuffer::new(0),
                    nulls,
                    len: 0,
                }
            }
            _ => Self::Parts(Vec::new()),
        }
    }

    /// Appends the rows of `array` (of the appender's type).
    pub(super) fn append(&mut self, array: &ArrayRef) {
        match self {
            Self::Fixed {
                values, nulls, len, ..
            } => {
                downcast_primitive_array!(
                    array => values.extend_from_slice(array.values().inner().as_slice()),
                    // `new` chose `Fixed` for primitive types only, and the array has the
                    // column's type (the group checks the schema of each write).
                    t => unreachable!("a fixed-width column of type {t}")
                );
                append_nulls(nulls, array);
                *len += array.len();
            }
            Self::Bytes {
                large,
                offsets,
                values,
                nulls,
                len,
                ..
            } => {
                let data = if *large {
                    let (from, data) = byte_parts::<i64>(array);
                    extend_offsets(offsets, from);
                    data
                } else {
                    let (from, data) = byte_parts::<i32>(array);
                    extend_offsets(offsets, from);
                    data
                };
                values.extend_from_slice(data);
                append_nulls(nulls, array);
                *len += array.len();
            }
            Self::Parts(parts) => parts.push(array.clone()),
        }
    }

    /// The column of every row appended.
    pub(super) fn finish(self) -> Result<ArrayRef> {
        match self {
            Self::Fixed {
                data_type,
                values,
                mut nulls,
                len,
            } => {
                let data = ArrayData::builder(data_type)
                    .len(len)
                    .add_buffer(values.into())
                    .nulls(nulls.finish())
                    .build()?;
                Ok(make_array(data))
            }
            Self::Bytes {
                data_type,
                offsets,
                values,
                mut nulls,
                len,
                ..
            } => {
                let data = ArrayData::builder(data_type)
                    .len(len)
                    .add_buffer(offsets.into())
                    .add_buffer(values.into())
                    .nulls(nulls.finish())
                    .build()?;
                Ok(make_array(data))
            }
            Self::Parts(parts) => {
                let arrays: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
                Ok(compute::concat(&arrays)?)
            }
        }
    }
}

/// Appends `array`'s validity (all valid if it has no null buffer).
fn append_nulls(nulls: &mut NullBufferBuilder, array: &ArrayRef) {
    match array.logical_nulls() {
        Some(n) => nulls.append_buffer(&n),
        None => nulls.append_n_non_nulls(array.len()),
    }
}

/// The offsets and the bytes they address of a string or binary array with offsets of
/// type `O`.
fn byte_parts<O: OffsetSizeTrait>(array: &ArrayRef) -> (&[O], &[u8]) {
    let (offsets, data) = match array.as_string_opt::<O>() {
        Some(a) => (a.value_offsets(), a.value_data()),
        None => {
            let a = array.as_binary::<O>();
            (a.value_offsets(), a.value_data())
        }
    };
    (offsets, addressed(offsets, data))
}

/// The bytes between the first and the last offset.
fn addressed<'a, O: OffsetSizeTrait>(offsets: &[O], data: &'a [u8]) -> &'a [u8] {
    let at = |o: Option<&O>| o.map_or(0, |o| o.as_usize());
    data.get(at(offsets.first())..at(offsets.last()))
        .unwrap_or(&[])
}

/// Appends `from[1..]` to `offsets`, rebased so `from[0]` lands on the last offset
/// written (`new` writes the first, a zero).
fn extend_offsets<O: OffsetSizeTrait>(offsets: &mut MutableBuffer, from: &[O]) {
    let Some(&first) = from.first() else {
        return;
    };
    let base = offsets
        .typed_data::<O>()
        .last()
        .copied()
        .unwrap_or(O::usize_as(0));
    for &o in &from[1..] {
        offsets.push(base + (o - first));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        BinaryArray, BooleanArray, Decimal128Array, Int32Array, LargeStringArray, StringArray,
        TimestampMicrosecondArray,
    };

    use super::*;

    /// Appends `parts` (sliced from each array as given) and checks the result equals
    /// their concatenation.
    fn round_trip(parts: &[ArrayRef]) {
        let mut a = ColumnAppender::new(parts[0].data_type());
        for p in parts {
            a.append(p);
        }
        let got = a.finish().expect("finish");
        let refs: Vec<&dyn Array> = parts.iter().map(|p| p.as_ref()).collect();
        let want = compute::concat(&refs).expect("concat");
        assert_eq!(got.to_data(), want.to_data(), "{:?}", parts[0].data_type());
    }

    #[test]
    fn fixed_width_values_with_nulls_and_slices() {
        let a: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None, Some(3), Some(4)]));
        let b: ArrayRef = Arc::new(Int32Array::from(vec![5, 6, 7]));
        round_trip(&[a.slice(1, 2), b.clone(), a.slice(3, 1), b.slice(0, 0)]);
        round_trip(&[b.slice(2, 1), a.clone()]);
        let ts: ArrayRef =
            Arc::new(TimestampMicrosecondArray::from(vec![Some(1), None]).with_timezone("+02:00"));
        round_trip(&[ts.slice(1, 1), ts.clone()]);
        let dec: ArrayRef = Arc::new(
            Decimal128Array::from(vec![Some(12345), None])
                .with_precision_and_scale(10, 2)
                .expect("decimal"),
        );
        round_trip(&[dec.clone(), dec.slice(0, 1)]);
    }

    #[test]
    fn strings_and_binaries_rebase_their_offsets() {
        let s: ArrayRef = Arc::new(StringArray::from(vec![
            Some("ab"),
            None,
            Some("cde"),
            Some(""),
        ]));
        round_trip(&[s.slice(2, 2), s.clone(), s.slice(1, 1)]);
        let l: ArrayRef = Arc::new(LargeStringArray::from(vec![Some("xyz"), Some("q"), None]));
        round_trip(&[l.slice(1, 2), l.clone()]);
        let b: ArrayRef = Arc::new(BinaryArray::from(vec![&b"\x00\x01"[..], b"", b"\xff"]));
        round_trip(&[b.slice(1, 2), b.clone()]);
    }

    #[test]
    fn other_types_are_concatenated() {
        let b: ArrayRef = Arc::new(BooleanArray::from(vec![Some(true), None, Some(false)]));
        assert!(matches!(
            ColumnAppender::new(b.data_type()),
            ColumnAppender::Parts(_)
        ));
        round_trip(&[b.slice(1, 2), b.clone()]);
    }
}
