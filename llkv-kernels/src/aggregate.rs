//! `SUM`, `MIN`, `MAX`, `COUNT` over one array, skipping NULLs.
//!
//! Integer sums are exact (`i128`, whatever the input width) and vectorize: each value is
//! split into 32-bit halves summed in `i64` lanes. Float sums add into 16 fixed lanes, so
//! the result is the same at every CPU level (but may differ from a left-to-right sum in
//! the last bits, as `arrow::compute::sum` does too). `MIN`/`MAX` of floats follow
//! `totalOrder` like `arrow::compute::{min, max}` (NaN is the largest value).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, PrimitiveArray};

use crate::bitmap::valid_words;
use crate::native::{NativeFloat, NativeInt};
use crate::{KernelError, KernelType, Native, Result, dispatch_native, kernel, primitive};

/// Values per block whose `i64` half-sums cannot overflow (a multiple of 64).
pub(crate) const SUM_BLOCK: usize = 1 << 24;

/// Lanes of the float sum.
pub(crate) const LANES: usize = 16;

/// Adds the halves of `chunk` (at most 64 values) whose bit is set in `word`.
#[inline(always)]
pub(crate) fn add_int_chunk<T: NativeInt>(chunk: &[T], word: u64, hi: &mut i64, lo: &mut i64) {
    for (i, v) in chunk.iter().enumerate() {
        let keep = 0i64.wrapping_sub(((word >> i) & 1) as i64);
        let (h, l) = v.split();
        *hi = hi.wrapping_add(h & keep);
        *lo = lo.wrapping_add(l & keep);
    }
}

/// Adds the values of `chunk` whose bit is set in `word` into the lanes (value `i` of
/// the chunk into lane `i % LANES`).
#[inline(always)]
pub(crate) fn add_float_chunk<T: Native>(chunk: &[T], word: u64, acc: &mut [f64; LANES]) {
    let mut groups = chunk.chunks_exact(LANES);
    for (g, group) in (&mut groups).enumerate() {
        let bits = word >> (g * LANES);
        for (l, (a, v)) in acc.iter_mut().zip(group).enumerate() {
            // All ones when the bit is set: integer ops the vectorizer handles well.
            let keep = 0u64.wrapping_sub((bits >> l) & 1);
            *a += f64::from_bits(v.to_f64().to_bits() & keep);
        }
    }
    let base = chunk.len() - groups.remainder().len();
    for (l, (a, v)) in acc.iter_mut().zip(groups.remainder()).enumerate() {
        let keep = (word >> (base + l)) & 1 == 1;
        *a += if keep { v.to_f64() } else { 0.0 };
    }
}

/// The lanes summed pairwise.
#[inline(always)]
pub(crate) fn reduce_lanes(acc: &[f64; LANES]) -> f64 {
    let mut a = *acc;
    let mut w = LANES / 2;
    while w > 0 {
        for i in 0..w {
            a[i] += a[i + w];
        }
        w /= 2;
    }
    a[0]
}

/// Exact sum of the integers whose bit is set in `valid` (all of them when `None`).
#[kernel(types(i8, i16, i32, i64, u8, u16, u32, u64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn sum_int<T: NativeInt>(values: &[T], valid: Option<&[u64]>) -> i128 {
    let mut total: i128 = 0;
    for (b, block) in values.chunks(SUM_BLOCK).enumerate() {
        let (mut hi, mut lo) = (0i64, 0i64);
        match valid {
            None => {
                for v in block {
                    let (h, l) = v.split();
                    hi = hi.wrapping_add(h);
                    lo = lo.wrapping_add(l);
                }
            }
            Some(words) => {
                let words = words.get(b * (SUM_BLOCK / 64)..).unwrap_or(&[]);
                for (chunk, &w) in block.chunks(64).zip(words) {
                    add_int_chunk(chunk, w, &mut hi, &mut lo);
                }
            }
        }
        total += ((hi as i128) << 32) + lo as i128;
    }
    total
}

/// Sum of the floats whose bit is set in `valid` (all of them when `None`), in `f64`.
#[kernel(types(f32, f64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn sum_float<T: NativeFloat>(values: &[T], valid: Option<&[u64]>) -> f64 {
    let mut acc = [0f64; LANES];
    match valid {
        None => {
            let mut chunks = values.chunks_exact(LANES);
            for c in &mut chunks {
                for (a, v) in acc.iter_mut().zip(c) {
                    *a += v.to_f64();
                }
            }
            for (a, v) in acc.iter_mut().zip(chunks.remainder()) {
                *a += v.to_f64();
            }
        }
        Some(words) => {
            for (chunk, &w) in values.chunks(64).zip(words) {
                add_float_chunk(chunk, w, &mut acc);
            }
        }
    }
    reduce_lanes(&acc)
}

/// The smallest (or, with `max`, largest) value whose bit is set in `valid`; with no
/// such value, the type's extreme. Callers check there is at least one.
#[kernel(types(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn min_max<T: Native>(values: &[T], valid: Option<&[u64]>, max: bool) -> T {
    let key = match (valid, max) {
        (None, true) => values.iter().fold(T::KEY_MIN, |m, v| m.max(v.key())),
        (None, false) => values.iter().fold(T::KEY_MAX, |m, v| m.min(v.key())),
        (Some(words), true) => {
            let mut m = T::KEY_MIN;
            for (chunk, &w) in values.chunks(64).zip(words) {
                for (i, v) in chunk.iter().enumerate() {
                    let k = if (w >> i) & 1 == 1 {
                        v.key()
                    } else {
                        T::KEY_MIN
                    };
                    m = m.max(k);
                }
            }
            m
        }
        (Some(words), false) => {
            let mut m = T::KEY_MAX;
            for (chunk, &w) in values.chunks(64).zip(words) {
                for (i, v) in chunk.iter().enumerate() {
                    let k = if (w >> i) & 1 == 1 {
                        v.key()
                    } else {
                        T::KEY_MAX
                    };
                    m = m.min(k);
                }
            }
            m
        }
    };
    T::from_key(key)
}

/// A `SUM` result: exact for integers, `f64` for floats.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum SumValue {
    /// The exact sum of integers (wider than any input, so it cannot overflow; a dialect
    /// that wants an `i64` checks the range).
    Int(i128),
    /// The sum of floats.
    Float(f64),
}

/// `SUM(array)`: `None` when every value is NULL (or the array is empty).
///
/// # Errors
/// [`KernelError::UnsupportedType`] for a non-numeric type.
pub fn sum(array: &dyn Array) -> Result<Option<SumValue>> {
    if array.len() == array.null_count() {
        return Ok(None);
    }
    let valid = valid_words(array.nulls());
    let valid = valid.as_deref();
    macro_rules! int {
        ($t:ty) => {
            SumValue::Int(sum_int::<$t>(
                primitive::<$t>(array, "sum")?.values(),
                valid,
            ))
        };
    }
    macro_rules! float {
        ($t:ty) => {
            SumValue::Float(sum_float::<$t>(
                primitive::<$t>(array, "sum")?.values(),
                valid,
            ))
        };
    }
    use arrow::datatypes::DataType as D;
    Ok(Some(match array.data_type() {
        D::Int8 => int!(i8),
        D::Int16 => int!(i16),
        D::Int32 => int!(i32),
        D::Int64 => int!(i64),
        D::UInt8 => int!(u8),
        D::UInt16 => int!(u16),
        D::UInt32 => int!(u32),
        D::UInt64 => int!(u64),
        D::Float32 => float!(f32),
        D::Float64 => float!(f64),
        other => {
            return Err(KernelError::UnsupportedType {
                kernel: "sum",
                data_type: other.clone(),
            });
        }
    }))
}

fn extreme<T: KernelType>(array: &PrimitiveArray<T::Arrow>, max: bool) -> Option<T> {
    if array.len() == array.null_count() {
        return None;
    }
    let valid = valid_words(array.nulls());
    Some(min_max::<T>(array.values(), valid.as_deref(), max))
}

/// `MIN(array)` for a typed array; `None` when every value is NULL.
pub fn min_typed<T: KernelType>(array: &PrimitiveArray<T::Arrow>) -> Option<T> {
    extreme::<T>(array, false)
}

/// `MAX(array)` for a typed array; `None` when every value is NULL.
pub fn max_typed<T: KernelType>(array: &PrimitiveArray<T::Arrow>) -> Option<T> {
    extreme::<T>(array, true)
}

fn extreme_dyn(array: &dyn Array, max: bool) -> Result<ArrayRef> {
    dispatch_native!(array.data_type(), T => {
        let a = primitive::<T>(array, if max { "max" } else { "min" })?;
        let v = extreme::<T>(a, max);
        Ok(Arc::new(PrimitiveArray::<<T as Native>::Arrow>::from(vec![v])))
    }, other => Err(KernelError::UnsupportedType {
        kernel: if max { "max" } else { "min" },
        data_type: other.clone(),
    }))
}

/// `MIN(array)` as a one-row array of the same type (NULL when every value is NULL).
///
/// # Errors
/// [`KernelError::UnsupportedType`] for a non-primitive type.
pub fn min(array: &dyn Array) -> Result<ArrayRef> {
    extreme_dyn(array, false)
}

/// `MAX(array)` as a one-row array of the same type (NULL when every value is NULL).
///
/// # Errors
/// [`KernelError::UnsupportedType`] for a non-primitive type.
pub fn max(array: &dyn Array) -> Result<ArrayRef> {
    extreme_dyn(array, true)
}

/// `COUNT(array)`: the non-NULL values (O(1): Arrow keeps the NULL count).
pub fn count(array: &dyn Array) -> usize {
    array.len() - array.null_count()
}
