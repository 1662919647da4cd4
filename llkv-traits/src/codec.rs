//! The column encoding contract: one Arrow array to bytes and back.
//!
//! A [`ColumnCodec`] encodes each (column, row group) chunk into one blob and produces its
//! [`ChunkStats`], which the planner uses to skip chunks a predicate cannot match. Decoding
//! receives the blob as an Arrow [`Buffer`]; a codec that lays its buffers out aligned can
//! return arrays that point into that buffer without copying.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::buffer::Buffer;
use arrow::compute;
use arrow::datatypes::{
    DataType, Date32Type, Decimal128Type, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type,
};

use crate::ScalarValue;

/// Errors a codec reports.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The codec cannot store arrays of this type.
    #[error("codec {codec} does not support type {data_type}")]
    UnsupportedType {
        /// The codec's name.
        codec: String,
        /// The rejected type.
        data_type: DataType,
    },
    /// The bytes are not a valid chunk (wrong magic, bad checksum, truncated, ...).
    #[error("corrupt column chunk: {0}")]
    Corrupt(String),
    /// An Arrow error while building the decoded array.
    #[error(transparent)]
    Arrow(#[from] arrow::error::ArrowError),
}

/// Statistics of one encoded chunk.
#[derive(Debug, Clone, PartialEq)]
pub struct ChunkStats {
    /// Number of rows (values, NULLs included).
    pub rows: u64,
    /// Number of NULLs.
    pub null_count: u64,
    /// The smallest non-NULL value, if the type is ordered and some value is non-NULL.
    pub min: Option<ScalarValue>,
    /// The largest non-NULL value, if the type is ordered and some value is non-NULL.
    pub max: Option<ScalarValue>,
}

impl ChunkStats {
    /// Computes the statistics of `array` with Arrow's aggregate kernels (one pass per
    /// statistic, no per-row dispatch). Floats ignore NaN for min and max.
    pub fn compute(array: &dyn Array) -> Self {
        let rows = array.len() as u64;
        let null_count = array.null_count() as u64;
        let (min, max) = if null_count == rows {
            (None, None)
        } else {
            min_max(array)
        };
        Self {
            rows,
            null_count,
            min,
            max,
        }
    }
}

fn min_max(array: &dyn Array) -> (Option<ScalarValue>, Option<ScalarValue>) {
    macro_rules! prim {
        ($t:ty, $variant:ident) => {{
            let a = array.as_primitive::<$t>();
            (
                compute::min(a).map(|v| ScalarValue::$variant(Some(v))),
                compute::max(a).map(|v| ScalarValue::$variant(Some(v))),
            )
        }};
    }
    match array.data_type() {
        DataType::Boolean => {
            let a = array.as_boolean();
            (
                compute::min_boolean(a).map(|v| ScalarValue::Boolean(Some(v))),
                compute::max_boolean(a).map(|v| ScalarValue::Boolean(Some(v))),
            )
        }
        DataType::Int8 => prim!(Int8Type, Int8),
        DataType::Int16 => prim!(Int16Type, Int16),
        DataType::Int32 => prim!(Int32Type, Int32),
        DataType::Int64 => prim!(Int64Type, Int64),
        DataType::Float32 => prim!(Float32Type, Float32),
        DataType::Float64 => prim!(Float64Type, Float64),
        DataType::Date32 => prim!(Date32Type, Date32),
        DataType::Decimal128(p, s) => {
            let a = array.as_primitive::<Decimal128Type>();
            (
                compute::min(a).map(|v| ScalarValue::Decimal128(Some(v), *p, *s)),
                compute::max(a).map(|v| ScalarValue::Decimal128(Some(v), *p, *s)),
            )
        }
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            (
                compute::min_string(a).map(|v| ScalarValue::Utf8(Some(v.to_owned()))),
                compute::max_string(a).map(|v| ScalarValue::Utf8(Some(v.to_owned()))),
            )
        }
        _ => (None, None),
    }
}

/// One encoded chunk: its bytes and its statistics.
#[derive(Debug, Clone)]
pub struct EncodedChunk {
    /// The bytes to store in the pager.
    pub bytes: Vec<u8>,
    /// Statistics of the encoded array.
    pub stats: ChunkStats,
}

/// Turns one Arrow array into bytes and back.
///
/// # Contract
/// - `decode(t, encode(a).bytes)` equals `a` (values, NULLs and type `t = a.data_type()`),
///   also for sliced, empty and all-NULL arrays.
/// - NULLs are values: a chunk stores exactly `a.len()` rows.
/// - `decode` of bytes that are not a chunk of this codec returns an error, never panics.
/// - The statistics describe the encoded array exactly ([`ChunkStats::compute`] is the
///   reference).
pub trait ColumnCodec: Send + Sync + 'static {
    /// A short stable name, stored with the data so a file records how it was written.
    fn name(&self) -> &str;

    /// True if this codec can store arrays of `data_type`.
    fn supports(&self, data_type: &DataType) -> bool;

    /// Encodes one array.
    fn encode(&self, array: &dyn Array) -> Result<EncodedChunk, CodecError>;

    /// Decodes one chunk as an array of `data_type`.
    fn decode(&self, data_type: &DataType, bytes: Buffer) -> Result<ArrayRef, CodecError>;
}
