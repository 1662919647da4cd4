//! The default column codec: Arrow buffers laid out 64-byte aligned, decoded without copying.
//!
//! [`ArrowCodec`] stores one array as a small checksummed header followed by the array's
//! Arrow buffers (validity bitmap, then values or offsets and values), each starting at a
//! 64-byte aligned offset from the start of the chunk. Decoding slices those buffers out of
//! the chunk's [`Buffer`], so when a pager hands out 64-byte aligned (or mapped) blobs the
//! decoded array points straight into them.
//!
//! # Chunk format (version 1, little-endian)
//!
//! ```text
//! offset  size  field
//!      0     4  magic "LKVA"
//!      4     1  version (1)
//!      5     1  type tag (see `TypeTag`)
//!      6     1  flags: bit 0 = has validity bitmap
//!      7     1  reserved (0)
//!      8     8  len          rows
//!     16     8  null_count
//!     24     1  decimal precision (Decimal128, else 0)
//!     25     1  decimal scale as i8 (Decimal128, else 0)
//!     26     6  reserved (0)
//!     32     4  n_buffers
//!     36     4  crc32 of bytes [0..36) and [40..end)
//!     40        buffer table: n_buffers x (offset u64, len u64), offsets from chunk start
//!               buffers, each at a 64-byte aligned offset, zero padding between them
//! ```
//!
//! Buffers, in order: the validity bitmap if `null_count > 0` (bit 0 = first row), then
//! - Boolean: the values bitmap;
//! - fixed-width types: `len` values;
//! - Utf8: `len + 1` i32 offsets starting at 0, then the string bytes;
//! - Null: nothing.
//!
//! Sliced inputs are normalised when written (offsets rebased to 0, bitmaps starting at bit
//! 0), so a chunk never stores rows outside the array.

use arrow::array::{Array, ArrayData, ArrayRef, AsArray, make_array};
use arrow::buffer::Buffer;
use arrow::datatypes::DataType;
use llkv_traits::codec::{ChunkStats, CodecError, ColumnCodec, EncodedChunk};

const MAGIC: [u8; 4] = *b"LKVA";
const VERSION: u8 = 1;
const FIXED_LEN: usize = 40;
const ENTRY_LEN: usize = 16;
const ALIGN: usize = 64;
const CRC_AT: usize = 36;
const FLAG_VALIDITY: u8 = 1;

/// The stable name stored with data written by [`ArrowCodec`].
pub const ARROW_CODEC_NAME: &str = "llkv-arrow-v1";

/// The default [`ColumnCodec`]: Arrow buffers, 64-byte aligned, zero-copy decode.
///
/// Supports Null, Boolean, Int8/16/32/64, UInt8/16/32/64, Float32/64, Utf8, Date32 and
/// Decimal128. The format is described in the [module docs](self).
///
/// `decode` checks everything it reads (magic, version, type, buffer bounds and sizes, the
/// checksum, and the Arrow invariants such as monotonic offsets and valid UTF-8) and
/// returns [`CodecError::Corrupt`] for bytes that are not a valid chunk of the requested
/// type. When a buffer in the chunk is not aligned in memory for its value type, that
/// buffer is copied into an aligned allocation; otherwise nothing is copied.
///
/// ```
/// use std::sync::Arc;
/// use arrow::array::{Array, Int64Array};
/// use arrow::buffer::Buffer;
/// use arrow::datatypes::DataType;
/// use llkv_core::codec::ArrowCodec;
/// use llkv_traits::ColumnCodec;
///
/// let array = Int64Array::from(vec![Some(1), None, Some(3)]);
/// let chunk = ArrowCodec.encode(&array).unwrap();
/// assert_eq!(chunk.stats.null_count, 1);
/// let decoded = ArrowCodec
///     .decode(&DataType::Int64, Buffer::from_slice_ref(&chunk.bytes))
///     .unwrap();
/// assert_eq!(decoded.to_data(), array.to_data());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ArrowCodec;

/// The type tag stored in a chunk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
enum TypeTag {
    Null = 0,
    Boolean = 1,
    Int8 = 2,
    Int16 = 3,
    Int32 = 4,
    Int64 = 5,
    UInt8 = 6,
    UInt16 = 7,
    UInt32 = 8,
    UInt64 = 9,
    Float32 = 10,
    Float64 = 11,
    Utf8 = 12,
    Date32 = 13,
    Decimal128 = 14,
}

/// How a type's values are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Layout {
    /// No buffers (Null).
    Empty,
    /// One bitmap of `len` bits (Boolean).
    Bits,
    /// One buffer of `len` values of this many bytes.
    Fixed(usize),
    /// i32 offsets then bytes (Utf8).
    Utf8,
}

impl Layout {
    fn buffers(self) -> usize {
        match self {
            Layout::Empty => 0,
            Layout::Bits | Layout::Fixed(_) => 1,
            Layout::Utf8 => 2,
        }
    }
}

/// The tag, decimal parameters and layout of a supported type.
fn describe(data_type: &DataType) -> Option<(TypeTag, u8, i8, Layout)> {
    use DataType as D;
    Some(match data_type {
        D::Null => (TypeTag::Null, 0, 0, Layout::Empty),
        D::Boolean => (TypeTag::Boolean, 0, 0, Layout::Bits),
        D::Int8 => (TypeTag::Int8, 0, 0, Layout::Fixed(1)),
        D::Int16 => (TypeTag::Int16, 0, 0, Layout::Fixed(2)),
        D::Int32 => (TypeTag::Int32, 0, 0, Layout::Fixed(4)),
        D::Int64 => (TypeTag::Int64, 0, 0, Layout::Fixed(8)),
        D::UInt8 => (TypeTag::UInt8, 0, 0, Layout::Fixed(1)),
        D::UInt16 => (TypeTag::UInt16, 0, 0, Layout::Fixed(2)),
        D::UInt32 => (TypeTag::UInt32, 0, 0, Layout::Fixed(4)),
        D::UInt64 => (TypeTag::UInt64, 0, 0, Layout::Fixed(8)),
        D::Float32 => (TypeTag::Float32, 0, 0, Layout::Fixed(4)),
        D::Float64 => (TypeTag::Float64, 0, 0, Layout::Fixed(8)),
        D::Utf8 => (TypeTag::Utf8, 0, 0, Layout::Utf8),
        D::Date32 => (TypeTag::Date32, 0, 0, Layout::Fixed(4)),
        D::Decimal128(p, s) => (TypeTag::Decimal128, *p, *s, Layout::Fixed(16)),
        _ => return None,
    })
}

fn corrupt(msg: impl Into<String>) -> CodecError {
    CodecError::Corrupt(msg.into())
}

/// The buffers of `array` as written: normalised so that row 0 of the array is at bit or
/// byte 0 of each buffer.
fn normalized_buffers(array: &dyn Array, layout: Layout) -> Result<Vec<Buffer>, CodecError> {
    let len = array.len();
    let mut out = Vec::with_capacity(3);
    if layout != Layout::Empty
        && array.null_count() > 0
        && let Some(nulls) = array.nulls()
    {
        // `sliced` is zero-copy when the bit offset is a multiple of 8.
        out.push(nulls.inner().sliced());
    }
    let data = array.to_data();
    match layout {
        Layout::Empty => {}
        Layout::Bits => out.push(array.as_boolean().values().sliced()),
        Layout::Fixed(width) => {
            let values = data
                .buffers()
                .first()
                .ok_or_else(|| corrupt("array has no values buffer"))?;
            let start = data.offset() * width;
            out.push(values.slice_with_length(start, len * width));
        }
        Layout::Utf8 => {
            let strings = array.as_string::<i32>();
            let offsets = strings.value_offsets();
            let first = offsets[0];
            let last = offsets[len];
            let rebased: Buffer = if first == 0 {
                strings.offsets().inner().inner().clone()
            } else {
                offsets
                    .iter()
                    .map(|o| o - first)
                    .collect::<Vec<i32>>()
                    .into()
            };
            out.push(rebased);
            let bytes = strings.values();
            // Offsets of a valid array are non-negative and in bounds.
            out.push(bytes.slice_with_length(first as usize, (last - first) as usize));
        }
    }
    Ok(out)
}

impl ColumnCodec for ArrowCodec {
    fn name(&self) -> &str {
        ARROW_CODEC_NAME
    }

    fn supports(&self, data_type: &DataType) -> bool {
        describe(data_type).is_some()
    }

    fn encode(&self, array: &dyn Array) -> Result<EncodedChunk, CodecError> {
        let (tag, precision, scale, layout) =
            describe(array.data_type()).ok_or_else(|| CodecError::UnsupportedType {
                codec: ARROW_CODEC_NAME.into(),
                data_type: array.data_type().clone(),
            })?;
        let buffers = normalized_buffers(array, layout)?;
        let has_validity = buffers.len() > layout.buffers();
        let table_end = FIXED_LEN + ENTRY_LEN * buffers.len();
        let mut offsets = Vec::with_capacity(buffers.len());
        let mut cursor = table_end;
        for b in &buffers {
            let at = cursor.next_multiple_of(ALIGN);
            offsets.push(at);
            cursor = at + b.len();
        }
        let mut bytes = Vec::with_capacity(cursor);
        bytes.extend_from_slice(&MAGIC);
        bytes.push(VERSION);
        bytes.push(tag as u8);
        bytes.push(if has_validity { FLAG_VALIDITY } else { 0 });
        bytes.push(0);
        bytes.extend_from_slice(&(array.len() as u64).to_le_bytes());
        let null_count = if has_validity { array.null_count() } else { 0 };
        bytes.extend_from_slice(&(null_count as u64).to_le_bytes());
        bytes.push(precision);
        bytes.push(scale as u8);
        bytes.extend_from_slice(&[0; 6]);
        bytes.extend_from_slice(&(buffers.len() as u32).to_le_bytes());
        bytes.extend_from_slice(&[0; 4]); // crc, filled in below
        for (b, at) in buffers.iter().zip(&offsets) {
            bytes.extend_from_slice(&(*at as u64).to_le_bytes());
            bytes.extend_from_slice(&(b.len() as u64).to_le_bytes());
        }
        for (b, at) in buffers.iter().zip(&offsets) {
            bytes.resize(*at, 0);
            bytes.extend_from_slice(b.as_slice());
        }
        let crc = chunk_crc(&bytes);
        bytes[CRC_AT..CRC_AT + 4].copy_from_slice(&crc.to_le_bytes());
        Ok(EncodedChunk {
            bytes,
            stats: ChunkStats::compute(array),
        })
    }

    fn decode(&self, data_type: &DataType, bytes: Buffer) -> Result<ArrayRef, CodecError> {
        let (tag, precision, scale, layout) =
            describe(data_type).ok_or_else(|| CodecError::UnsupportedType {
                codec: ARROW_CODEC_NAME.into(),
                data_type: data_type.clone(),
            })?;
        let b = bytes.as_slice();
        if b.len() < FIXED_LEN || b[0..4] != MAGIC {
            return Err(corrupt("not an llkv-arrow chunk (bad magic)"));
        }
        if b[4] != VERSION {
            return Err(corrupt(format!("unsupported chunk version {}", b[4])));
        }
        let crc = u32_at(b, CRC_AT);
        if chunk_crc(b) != crc {
            return Err(corrupt("chunk checksum mismatch"));
        }
        if b[5] != tag as u8 || b[24] != precision || b[25] as i8 != scale {
            return Err(corrupt(format!(
                "chunk holds type tag {} (precision {}, scale {}), not {data_type}",
                b[5], b[24], b[25] as i8
            )));
        }
        let flags = b[6];
        if flags & !FLAG_VALIDITY != 0 || b[7] != 0 || b[26..32] != [0; 6] {
            return Err(corrupt("unknown chunk flags"));
        }
        let has_validity = flags & FLAG_VALIDITY != 0;
        let len = usize::try_from(u64_at(b, 8)).map_err(|_| corrupt("row count too large"))?;
        let null_count =
            usize::try_from(u64_at(b, 16)).map_err(|_| corrupt("null count too large"))?;
        if has_validity != (null_count > 0) || null_count > len {
            return Err(corrupt("null count and validity flag disagree"));
        }
        if layout == Layout::Empty && has_validity {
            return Err(corrupt("a Null chunk has no validity bitmap"));
        }
        let n_buffers = u32_at(b, 32) as usize;
        if n_buffers != layout.buffers() + usize::from(has_validity) {
            return Err(corrupt(format!(
                "chunk has {n_buffers} buffers, {data_type} needs {}",
                layout.buffers() + usize::from(has_validity)
            )));
        }
        let table_end = FIXED_LEN + ENTRY_LEN * n_buffers;
        if b.len() < table_end {
            return Err(corrupt("chunk buffer table is truncated"));
        }
        let mut buffers = Vec::with_capacity(n_buffers);
        let mut prev_end = table_end;
        for i in 0..n_buffers {
            let at = FIXED_LEN + ENTRY_LEN * i;
            let (offset, size) = (u64_at(b, at), u64_at(b, at + 8));
            let range = usize::try_from(offset)
                .ok()
                .zip(usize::try_from(size).ok())
                .and_then(|(o, s)| Some((o, o.checked_add(s)?)))
                .filter(|(o, e)| o % ALIGN == 0 && *o >= prev_end && *e <= b.len())
                .ok_or_else(|| corrupt(format!("buffer {i} lies outside the chunk")))?;
            prev_end = range.1;
            // Zero copy: a view of the input buffer.
            buffers.push(bytes.slice_with_length(range.0, range.1 - range.0));
        }
        let bitmap_len = len.div_ceil(8);
        let mut buffers = buffers.into_iter();
        let validity = if has_validity {
            let v = buffers.next().ok_or_else(|| corrupt("missing validity"))?;
            if v.len() < bitmap_len {
                return Err(corrupt("validity bitmap too short"));
            }
            Some(v)
        } else {
            None
        };
        let values: Vec<Buffer> = buffers.collect();
        // `values` holds `layout.buffers()` buffers (checked against n_buffers above).
        let first_len = values.first().map_or(0, Buffer::len);
        let size_ok = match layout {
            Layout::Empty => true,
            Layout::Bits => first_len >= bitmap_len,
            Layout::Fixed(width) => Some(first_len) == len.checked_mul(width),
            Layout::Utf8 => Some(first_len) == len.checked_add(1).and_then(|n| n.checked_mul(4)),
        };
        if !size_ok {
            return Err(corrupt("values buffer size does not match the row count"));
        }
        let mut builder = ArrayData::builder(data_type.clone())
            .len(len)
            .buffers(values)
            .align_buffers(true);
        if let Some(v) = validity {
            builder = builder.null_bit_buffer(Some(v)).null_count(null_count);
        }
        // `build` validates: buffer sizes, the null count against the bitmap, offsets
        // (monotonic, in bounds) and UTF-8; misaligned buffers are copied, not rejected.
        let data = builder
            .build()
            .map_err(|e| corrupt(format!("invalid {data_type} chunk: {e}")))?;
        if layout != Layout::Empty && data.null_count() != null_count {
            return Err(corrupt("null count does not match the validity bitmap"));
        }
        Ok(make_array(data))
    }
}

/// crc32 of a chunk: every byte except the checksum field itself.
fn chunk_crc(b: &[u8]) -> u32 {
    let mut h = crc32fast::Hasher::new();
    h.update(&b[..CRC_AT]);
    h.update(&b[CRC_AT + 4..]);
    h.finalize()
}

fn u32_at(b: &[u8], at: usize) -> u32 {
    let mut a = [0u8; 4];
    a.copy_from_slice(&b[at..at + 4]);
    u32::from_le_bytes(a)
}

fn u64_at(b: &[u8], at: usize) -> u64 {
    let mut a = [0u8; 8];
    a.copy_from_slice(&b[at..at + 8]);
    u64::from_le_bytes(a)
}

#[cfg(test)]
mod tests;
