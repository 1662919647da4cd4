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
    /// Primitive values, strings and binaries: copied into buffers.
    Copied(Copied),
    /// Any other type: the written arrays, concatenated when sealed.
    Parts(Vec<ArrayRef>),
}

/// The buffers of a column whose values are copied as they are written.
#[derive(Debug)]
pub(super) struct Copied {
    data_type: DataType,
    /// Strings and binaries: the offsets (of the width the type says), starting at zero.
    /// `None` for fixed-width values.
    offsets: Option<MutableBuffer>,
    /// The fixed-width values' bytes, or the bytes the offsets address.
    values: MutableBuffer,
    nulls: NullBufferBuilder,
    len: usize,
}

/// True for the string and binary types with 64-bit offsets.
fn large_offsets(t: &DataType) -> bool {
    matches!(t, DataType::LargeUtf8 | DataType::LargeBinary)
}

impl ColumnAppender {
    /// An empty appender for a column of `data_type`.
    pub(super) fn new(data_type: &DataType) -> Self {
        let offsets = match data_type {
            t if t.is_primitive() => None,
            DataType::Utf8 | DataType::Binary => Some(MutableBuffer::from_iter([0i32])),
            DataType::LargeUtf8 | DataType::LargeBinary => Some(MutableBuffer::from_iter([0i64])),
            _ => return Self::Parts(Vec::new()),
        };
        Self::Copied(Copied {
            data_type: data_type.clone(),
            offsets,
            values: MutableBuffer::new(0),
            nulls: NullBufferBuilder::new(0),
            len: 0,
        })
    }

    /// Appends the rows of `array` (of the appender's type).
    pub(super) fn append(&mut self, array: &ArrayRef) {
        let c = match self {
            Self::Copied(c) => c,
            Self::Parts(parts) => return parts.push(array.clone()),
        };
        match &mut c.offsets {
            None => downcast_primitive_array!(
                array => c.values.extend_from_slice(array.values().inner().as_slice()),
                // `new` copies fixed-width values of primitive types only, and the array
                // has the column's type (the group checks the schema of each write).
                t => unreachable!("a fixed-width column of type {t}")
            ),
            Some(offsets) => {
                let data = if large_offsets(&c.data_type) {
                    let (from, data) = byte_parts::<i64>(array);
                    extend_offsets(offsets, from);
                    data
                } else {
                    let (from, data) = byte_parts::<i32>(array);
                    extend_offsets(offsets, from);
                    data
                };
                c.values.extend_from_slice(data);
            }
        }
        append_nulls(&mut c.nulls, array);
        c.len += array.len();
    }

    /// The bytes its 32-bit offsets address so far (0 for other types).
    pub(super) fn offset_bytes(&self) -> usize {
        match self {
            Self::Copied(c) if c.offsets.is_some() && !large_offsets(&c.data_type) => {
                c.values.len()
            }
            _ => 0,
        }
    }

    /// The column of every row appended.
    pub(super) fn finish(self) -> Result<ArrayRef> {
        let mut c = match self {
            Self::Copied(c) => c,
            Self::Parts(parts) => {
                let arrays: Vec<&dyn Array> = parts.iter().map(|a| a.as_ref()).collect();
                return Ok(compute::concat(&arrays)?);
            }
        };
        let mut data = ArrayData::builder(c.data_type).len(c.len);
        if let Some(offsets) = c.offsets {
            data = data.add_buffer(offsets.into());
        }
        let data = data
            .add_buffer(c.values.into())
            .nulls(c.nulls.finish())
            .build()?;
        Ok(make_array(data))
    }
}

/// The bytes a string or binary array with 32-bit offsets addresses (0 for other types):
/// what it adds to [`ColumnAppender::offset_bytes`].
pub(super) fn offset_bytes_of(array: &ArrayRef) -> usize {
    match array.data_type() {
        DataType::Utf8 | DataType::Binary => byte_parts::<i32>(array).1.len(),
        _ => 0,
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
        // The bytes counted against the 32-bit offsets: only those a slice addresses.
        let mut a = ColumnAppender::new(s.data_type());
        a.append(&s.slice(2, 2));
        assert_eq!((a.offset_bytes(), offset_bytes_of(&s)), (3, 5));
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
