//! Hashing of group and join keys: one `u64` per row over one or more columns.
//!
//! A fixed-seed fold-multiply hash (the 64x64->128-bit multiply folded to 64 bits, as in
//! `foldhash`): deterministic across runs, processes and CPU levels, so hashes can be
//! persisted or compared between threads. Values SQL calls equal hash equal: integers of
//! any width hash by value (`1i8` and `1i64` agree), floats by value with `-0.0 == 0.0`
//! and one NaN, and `f32` agrees with `f64`. NULL hashes as the fixed [`NULL_BITS`], so
//! NULL keys group together (join code that must not match NULLs checks validity). Not
//! DoS-resistant: do not expose to untrusted keys where that matters.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::datatypes::{DataType, IntervalUnit};

use crate::bitmap::valid_words;
use crate::{KernelError, Native, Result, dispatch_native, kernel, primitive};

/// The starting value of every row's hash.
pub const SEED: u64 = 0x243F_6A88_85A3_08D3;
/// What a NULL contributes in place of a value's bits.
pub const NULL_BITS: u64 = 0x9E37_79B9_7F4A_7C15;
const MUL: u64 = 0x5851_F42D_4C95_7F2D;
const BYTES_SEED: u64 = 0x1319_8A2E_0370_7344;

/// The 128-bit product of `a` and `b`, folded to 64 bits.
#[inline(always)]
pub fn folded_multiply(a: u64, b: u64) -> u64 {
    let full = (a as u128).wrapping_mul(b as u128);
    (full as u64) ^ ((full >> 64) as u64)
}

/// Mixes one column's bits into a row hash.
#[inline(always)]
pub fn combine(hash: u64, bits: u64) -> u64 {
    folded_multiply(hash ^ bits, MUL)
}

/// The bits of a byte string (for text and binary keys).
#[inline]
pub fn hash_bytes(bytes: &[u8]) -> u64 {
    let mut h = BYTES_SEED ^ (bytes.len() as u64);
    let mut chunks = bytes.chunks_exact(8);
    for c in &mut chunks {
        let mut w = [0u8; 8];
        w.copy_from_slice(c);
        h = folded_multiply(h ^ u64::from_le_bytes(w), MUL);
    }
    let rem = chunks.remainder();
    if !rem.is_empty() {
        let mut w = [0u8; 8];
        w[..rem.len()].copy_from_slice(rem);
        h = folded_multiply(h ^ u64::from_le_bytes(w), MUL ^ 0xFF);
    }
    h
}

/// Mixes `values` (NULL where the `valid` bit is clear) into `out`, one hash per row.
#[kernel(types(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn hash_values<T: Native>(values: &[T], valid: Option<&[u64]>, out: &mut [u64]) {
    match valid {
        None => {
            for (h, v) in out.iter_mut().zip(values) {
                *h = combine(*h, v.hash_bits());
            }
        }
        Some(words) => {
            for ((hs, vs), &w) in out.chunks_mut(64).zip(values.chunks(64)).zip(words) {
                for (i, (h, v)) in hs.iter_mut().zip(vs).enumerate() {
                    let bits = if (w >> i) & 1 == 1 {
                        v.hash_bits()
                    } else {
                        NULL_BITS
                    };
                    *h = combine(*h, bits);
                }
            }
        }
    }
}

fn mix_each(array: &dyn Array, out: &mut [u64], bits: impl Fn(usize) -> u64) {
    for (i, h) in out.iter_mut().enumerate() {
        let b = if array.is_null(i) { NULL_BITS } else { bits(i) };
        *h = combine(*h, b);
    }
}

/// Mixes one column into `out` (one hash per row, `out.len() == array.len()`).
///
/// Supports the integer and float types, booleans, NULL, text and binary (all offset
/// widths and views), dates, times, timestamps, durations and `Decimal128`.
///
/// # Errors
/// [`KernelError::LengthMismatch`]; [`KernelError::UnsupportedType`] for other types
/// (dictionaries, nested types, ...).
pub fn hash_array_into(array: &dyn Array, out: &mut [u64]) -> Result<()> {
    if array.len() != out.len() {
        return Err(KernelError::LengthMismatch {
            kernel: "hash",
            left: array.len(),
            right: out.len(),
        });
    }
    let valid = valid_words(array.nulls());
    let valid = valid.as_deref();
    dispatch_native!(array.data_type(), T => {
        hash_values::<T>(primitive::<T>(array, "hash")?.values(), valid, out);
        Ok(())
    }, other => {
        match other {
            DataType::Null => {
                for h in out.iter_mut() {
                    *h = combine(*h, NULL_BITS);
                }
            }
            DataType::Boolean => {
                let b = array.as_boolean();
                mix_each(array, out, |i| u64::from(b.value(i)));
            }
            DataType::Utf8 => {
                let s = array.as_string::<i32>();
                mix_each(array, out, |i| hash_bytes(s.value(i).as_bytes()));
            }
            DataType::LargeUtf8 => {
                let s = array.as_string::<i64>();
                mix_each(array, out, |i| hash_bytes(s.value(i).as_bytes()));
            }
            DataType::Utf8View => {
                let s = array.as_string_view();
                mix_each(array, out, |i| hash_bytes(s.value(i).as_bytes()));
            }
            DataType::Binary => {
                let s = array.as_binary::<i32>();
                mix_each(array, out, |i| hash_bytes(s.value(i)));
            }
            DataType::LargeBinary => {
                let s = array.as_binary::<i64>();
                mix_each(array, out, |i| hash_bytes(s.value(i)));
            }
            DataType::BinaryView => {
                let s = array.as_binary_view();
                mix_each(array, out, |i| hash_bytes(s.value(i)));
            }
            DataType::Decimal128(_, _) => {
                let d = array.as_primitive::<arrow::datatypes::Decimal128Type>();
                mix_each(array, out, |i| {
                    let v = d.value(i);
                    folded_multiply(v as u64 ^ BYTES_SEED, ((v >> 64) as u64) | 1)
                });
            }
            DataType::Date32 | DataType::Time32(_) | DataType::Interval(IntervalUnit::YearMonth) => {
                let data = array.to_data();
                let v: &[i32] = data.buffer::<i32>(0);
                hash_values::<i32>(v.get(..array.len()).unwrap_or(v), valid, out);
            }
            DataType::Date64 | DataType::Time64(_) | DataType::Timestamp(_, _) | DataType::Duration(_) => {
                let data = array.to_data();
                let v: &[i64] = data.buffer::<i64>(0);
                hash_values::<i64>(v.get(..array.len()).unwrap_or(v), valid, out);
            }
            other => {
                return Err(KernelError::UnsupportedType {
                    kernel: "hash",
                    data_type: other.clone(),
                });
            }
        }
        Ok(())
    })
}

/// The hash of every row over `columns` (all of one length), in column order.
///
/// # Errors
/// As [`hash_array_into`].
pub fn hash_columns(columns: &[ArrayRef]) -> Result<Vec<u64>> {
    let mut out = Vec::new();
    hash_columns_into(columns, &mut out)?;
    Ok(out)
}

/// [`hash_columns`] into a reused buffer (resized to the row count).
///
/// # Errors
/// As [`hash_array_into`].
pub fn hash_columns_into(columns: &[ArrayRef], out: &mut Vec<u64>) -> Result<()> {
    let rows = columns.first().map_or(0, |c| c.len());
    out.clear();
    out.resize(rows, SEED);
    for c in columns {
        hash_array_into(c.as_ref(), out)?;
    }
    Ok(())
}
