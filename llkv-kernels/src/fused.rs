//! Fused kernels: compare with a scalar and consume the result in the same pass, without
//! materializing a `BooleanArray` mask.
//!
//! | fused | replaces |
//! | --- | --- |
//! | [`filter_cmp`] | `filter(a, cmp(a, s))` |
//! | [`select_cmp`] | the row indices of `cmp(a, s)` (to `take` other columns) |
//! | [`count_cmp`] | `cmp(a, s).true_count()` |
//! | [`sum_cmp`] | `sum(filter(a, cmp(a, s)))` |
//!
//! A NULL value compares to NULL and is never selected, as in a SQL `WHERE`.

use std::mem::MaybeUninit;

use arrow::array::{Array, PrimitiveArray, UInt32Array};
use arrow::buffer::ScalarBuffer;

use crate::aggregate::{LANES, SUM_BLOCK, SumValue, add_float_chunk, add_int_chunk, reduce_lanes};
use crate::bitmap::{chunk_word, valid_words};
use crate::compare::{CmpOp, with_op};
use crate::native::{NativeFloat, NativeInt};
use crate::select::{compact, compress_append, has_wide_compress};
use crate::{KernelError, KernelType, Native, Result, dispatch_native, kernel, primitive};

/// Calls `g(chunk_index, chunk, word)` for every 64-value chunk, `word` holding
/// `f(value)` for the chunk's valid values.
#[inline(always)]
fn drive<T: Copy, G: FnMut(usize, &[T], u64), F: Fn(T) -> bool>(
    values: &[T],
    valid: Option<&[u64]>,
    mut g: G,
    f: F,
) {
    match valid {
        None => {
            for (c, chunk) in values.chunks(64).enumerate() {
                g(c, chunk, chunk_word(chunk, &f));
            }
        }
        Some(words) => {
            for (c, (chunk, &w)) in values.chunks(64).zip(words).enumerate() {
                g(c, chunk, chunk_word(chunk, &f) & w);
            }
        }
    }
}

/// Replaces `out` with the valid values for which `value OP scalar` holds.
#[kernel(types(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn filter_cmp_values<T: Native>(
    values: &[T],
    valid: Option<&[u64]>,
    scalar: T,
    op: CmpOp,
    out: &mut Vec<T>,
) {
    out.clear();
    out.reserve(values.len() + 1);
    let s = scalar.key();
    let dst: &mut [MaybeUninit<T>] = out.spare_capacity_mut();
    let mut n = 0;
    with_op!(op, |v| v.key(), s => drive(values, valid, |_, chunk: &[T], w| n = compact(chunk, w, dst, n)));
    // SAFETY: `dst` has room for `values.len() + 1` values and `n` never exceeds the
    // number of values visited, so every write in `compact` succeeded and the slots
    // `0..n` were each written when `n` passed them.
    unsafe { out.set_len(n.min(values.len())) };
}

/// Replaces `out` with the indices of the valid values for which `value OP scalar` holds.
#[kernel(types(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn select_cmp_indices<T: Native>(
    values: &[T],
    valid: Option<&[u64]>,
    scalar: T,
    op: CmpOp,
    out: &mut Vec<u32>,
) {
    out.clear();
    let s = scalar.key();
    with_op!(op, |v| v.key(), s => drive(values, valid, |c, _chunk: &[T], w| {
        let base = (c * 64) as u32;
        let mut w = w;
        while w != 0 {
            out.push(base + w.trailing_zeros());
            w &= w - 1;
        }
    }));
}

/// The number of valid values for which `value OP scalar` holds.
#[kernel(types(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn count_cmp_values<T: Native>(
    values: &[T],
    valid: Option<&[u64]>,
    scalar: T,
    op: CmpOp,
) -> usize {
    let s = scalar.key();
    let mut n = 0usize;
    with_op!(op, |v| v.key(), s => drive(values, valid, |_, _chunk: &[T], w| n += w.count_ones() as usize));
    n
}

/// The exact sum and the count of the valid integers for which `value OP scalar` holds.
#[kernel(types(i8, i16, i32, i64, u8, u16, u32, u64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn sum_cmp_int<T: NativeInt>(
    values: &[T],
    valid: Option<&[u64]>,
    scalar: T,
    op: CmpOp,
) -> (i128, usize) {
    let s = scalar.key();
    let (mut total, mut n) = (0i128, 0usize);
    for (b, block) in values.chunks(SUM_BLOCK).enumerate() {
        let valid = valid.map(|w| w.get(b * (SUM_BLOCK / 64)..).unwrap_or(&[]));
        let (mut hi, mut lo) = (0i64, 0i64);
        with_op!(op, |v| v.key(), s => drive(block, valid, |_, chunk: &[T], w| {
            n += w.count_ones() as usize;
            add_int_chunk(chunk, w, &mut hi, &mut lo);
        }));
        total += ((hi as i128) << 32) + lo as i128;
    }
    (total, n)
}

/// The sum (in `f64`) and the count of the valid floats for which `value OP scalar` holds.
#[kernel(types(f32, f64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn sum_cmp_float<T: NativeFloat>(
    values: &[T],
    valid: Option<&[u64]>,
    scalar: T,
    op: CmpOp,
) -> (f64, usize) {
    let s = scalar.key();
    let mut acc = [0f64; LANES];
    let mut n = 0usize;
    with_op!(op, |v| v.key(), s => drive(values, valid, |_, chunk: &[T], w| {
        n += w.count_ones() as usize;
        add_float_chunk(chunk, w, &mut acc);
    }));
    (reduce_lanes(&acc), n)
}

/// Checks `scalar` is one value of `array`'s type; `None` if it is NULL.
fn scalar_of<T: Native>(
    array: &dyn Array,
    scalar: &dyn Array,
    kernel: &'static str,
) -> Result<Option<T>> {
    if scalar.len() != 1 {
        return Err(KernelError::NotAScalar { len: scalar.len() });
    }
    if scalar.data_type() != array.data_type() {
        return Err(KernelError::TypeMismatch {
            kernel,
            left: array.data_type().clone(),
            right: scalar.data_type().clone(),
        });
    }
    let s = primitive::<T>(scalar, kernel)?;
    Ok(if s.is_null(0) { None } else { Some(s.value(0)) })
}

fn unsupported<V>(kernel: &'static str, array: &dyn Array) -> Result<V> {
    Err(KernelError::UnsupportedType {
        kernel,
        data_type: array.data_type().clone(),
    })
}

/// [`filter_cmp`] for a typed array.
pub fn filter_cmp_typed<T: KernelType>(
    array: &PrimitiveArray<T::Arrow>,
    scalar: T,
    op: CmpOp,
) -> PrimitiveArray<T::Arrow> {
    let valid = valid_words(array.nulls());
    let mut out = Vec::new();
    if has_wide_compress::<T>() {
        // Compare a cache-sized block into 64 words on the stack, then compress it.
        let mut words = [0u64; 64];
        for (b, block) in array.values().chunks(4096).enumerate() {
            let nw = block.len().div_ceil(64);
            let words = &mut words[..nw];
            crate::compare::cmp_scalar::<T>(block, scalar, op, words);
            if let Some(v) = &valid {
                let v = v.get(b * 64..).unwrap_or(&[]);
                for (i, w) in words.iter_mut().enumerate() {
                    *w &= v.get(i).copied().unwrap_or(0);
                }
            }
            compress_append(block, words, &mut out);
        }
    } else {
        filter_cmp_values::<T>(array.values(), valid.as_deref(), scalar, op, &mut out);
    }
    if out.capacity() > 2 * out.len() + 64 {
        out.shrink_to_fit();
    }
    PrimitiveArray::new(ScalarBuffer::from(out), None)
}

/// The values `v` of `array` with `v OP scalar` (`scalar`: an array of length 1 of the
/// same type), in one pass. The result has no NULLs.
///
/// # Errors
/// [`KernelError::NotAScalar`], [`KernelError::TypeMismatch`],
/// [`KernelError::UnsupportedType`] for a non-primitive type.
pub fn filter_cmp(
    array: &dyn Array,
    scalar: &dyn Array,
    op: CmpOp,
) -> Result<arrow::array::ArrayRef> {
    dispatch_native!(array.data_type(), T => {
        let a = primitive::<T>(array, "filter_cmp")?;
        Ok(match scalar_of::<T>(array, scalar, "filter_cmp")? {
            None => arrow::array::new_empty_array(array.data_type()),
            Some(s) => std::sync::Arc::new(filter_cmp_typed::<T>(a, s, op)),
        })
    }, _other => unsupported("filter_cmp", array))
}

/// The row indices `i` with `array[i] OP scalar`, ascending, in one pass: `take` them
/// from the other columns of the batch.
///
/// # Errors
/// As [`filter_cmp`].
pub fn select_cmp(array: &dyn Array, scalar: &dyn Array, op: CmpOp) -> Result<UInt32Array> {
    dispatch_native!(array.data_type(), T => {
        let a = primitive::<T>(array, "select_cmp")?;
        let Some(s) = scalar_of::<T>(array, scalar, "select_cmp")? else {
            return Ok(UInt32Array::from(Vec::<u32>::new()));
        };
        let valid = valid_words(a.nulls());
        let mut out = Vec::new();
        select_cmp_indices::<T>(a.values(), valid.as_deref(), s, op, &mut out);
        Ok(UInt32Array::from(out))
    }, _other => unsupported("select_cmp", array))
}

/// The number of rows with `array[i] OP scalar` (what `COUNT(*) ... WHERE` needs).
///
/// # Errors
/// As [`filter_cmp`].
pub fn count_cmp(array: &dyn Array, scalar: &dyn Array, op: CmpOp) -> Result<usize> {
    dispatch_native!(array.data_type(), T => {
        let a = primitive::<T>(array, "count_cmp")?;
        let Some(s) = scalar_of::<T>(array, scalar, "count_cmp")? else { return Ok(0) };
        let valid = valid_words(a.nulls());
        Ok(count_cmp_values::<T>(a.values(), valid.as_deref(), s, op))
    }, _other => unsupported("count_cmp", array))
}

/// `SUM(array) WHERE array OP scalar` in one pass: `None` when no row qualifies.
///
/// # Errors
/// As [`filter_cmp`].
pub fn sum_cmp(array: &dyn Array, scalar: &dyn Array, op: CmpOp) -> Result<Option<SumValue>> {
    macro_rules! go {
        ($t:ty, $k:ident, $wrap:expr) => {{
            let a = primitive::<$t>(array, "sum_cmp")?;
            let Some(s) = scalar_of::<$t>(array, scalar, "sum_cmp")? else {
                return Ok(None);
            };
            let valid = valid_words(a.nulls());
            let (sum, n) = $k::<$t>(a.values(), valid.as_deref(), s, op);
            Ok((n > 0).then(|| $wrap(sum)))
        }};
    }
    use arrow::datatypes::DataType as D;
    match array.data_type() {
        D::Int8 => go!(i8, sum_cmp_int, SumValue::Int),
        D::Int16 => go!(i16, sum_cmp_int, SumValue::Int),
        D::Int32 => go!(i32, sum_cmp_int, SumValue::Int),
        D::Int64 => go!(i64, sum_cmp_int, SumValue::Int),
        D::UInt8 => go!(u8, sum_cmp_int, SumValue::Int),
        D::UInt16 => go!(u16, sum_cmp_int, SumValue::Int),
        D::UInt32 => go!(u32, sum_cmp_int, SumValue::Int),
        D::UInt64 => go!(u64, sum_cmp_int, SumValue::Int),
        D::Float32 => go!(f32, sum_cmp_float, SumValue::Float),
        D::Float64 => go!(f64, sum_cmp_float, SumValue::Float),
        _ => unsupported("sum_cmp", array),
    }
}
