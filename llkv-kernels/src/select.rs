//! Filter and take for primitive arrays.
//!
//! [`filter`] and [`take`] accept any array: the ten primitive types run the stamped
//! kernels, other fixed-width types of 4 or 8 bytes (dates, times, timestamps, durations)
//! run them on their raw values, and everything else falls back to `arrow::compute`.
//! A NULL in the filter mask drops the row, as in a SQL `WHERE`.

use std::mem::MaybeUninit;
use std::sync::Arc;

use arrow::array::{
    Array, ArrayData, ArrayRef, BooleanArray, PrimitiveArray, RecordBatch, RecordBatchOptions,
    UInt32Array, make_array,
};
use arrow::buffer::{Buffer, NullBuffer, ScalarBuffer};

use crate::bitmap::{BitWriter, bool_buffer, count_ones, mask_words, valid_words};
use crate::{KernelError, KernelType, Native, Result, dispatch_native, kernel, primitive};

/// Copies the values of `chunk` (at most 64) whose bit is set in `word` to `dst[n..]`,
/// returning the new `n`. `dst` must have room for every selected value plus one.
#[inline(always)]
pub(crate) fn compact<T: Copy>(
    chunk: &[T],
    word: u64,
    dst: &mut [MaybeUninit<T>],
    n: usize,
) -> usize {
    let word = if chunk.len() < 64 {
        word & ((1u64 << chunk.len()) - 1)
    } else {
        word
    };
    if word == 0 {
        return n;
    }
    if word == u64::MAX
        && let Some(d) = dst.get_mut(n..n + 64)
    {
        for (d, s) in d.iter_mut().zip(chunk) {
            d.write(*s);
        }
        return n + 64;
    }
    let mut n = n;
    if word.count_ones() < 20 {
        // Sparse: visit the set bits.
        let mut w = word;
        while w != 0 {
            let i = w.trailing_zeros() as usize;
            if let (Some(d), Some(s)) = (dst.get_mut(n), chunk.get(i)) {
                d.write(*s);
            }
            n += 1;
            w &= w - 1;
        }
    } else {
        // Dense: write every value, advance only past the selected ones (no branches).
        for (i, s) in chunk.iter().enumerate() {
            if let Some(d) = dst.get_mut(n) {
                d.write(*s);
            }
            n += ((word >> i) & 1) as usize;
        }
    }
    n
}

/// Replaces `out` with the values whose bit is set in `mask` (`ceil(len / 64)` words).
#[kernel(types(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn filter_words<T: Native>(values: &[T], mask: &[u64], out: &mut Vec<T>) {
    let total = count_ones(mask, values.len());
    out.clear();
    out.reserve(total + 1);
    let dst = out.spare_capacity_mut();
    let mut n = 0;
    for (chunk, &w) in values.chunks(64).zip(mask) {
        n = compact(chunk, w, dst, n);
    }
    // SAFETY: `dst` has room for `total + 1` values and `n <= total` before every write
    // (`n` counts the selected values so far), so every `dst.get_mut(n)` above succeeded:
    // each of the slots `0..n` was written when `n` passed it.
    unsafe { out.set_len(n.min(total)) };
}

/// Replaces `out` with `values[indices[i]]`, 0 for an index past the end; returns true
/// when there was such an index (the caller decides whether it is an error: not under a
/// NULL index). The bounds check rides along with the gather, which waits on memory
/// anyway, instead of costing a pass of its own.
#[kernel(types(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn take_values<T: Native>(values: &[T], indices: &[u32], out: &mut Vec<T>) -> bool {
    out.clear();
    let mut past_end = false;
    out.extend(indices.iter().map(|&i| {
        let v = values.get(i as usize);
        past_end |= v.is_none();
        v.copied().unwrap_or(T::ZERO)
    }));
    past_end
}

/// [`take_values`] for an array with NULLs: also packs the validity of each gathered
/// value (bit `i % 64` of `out_valid[i / 64]`, 0 past the end) from `valid` (the array's
/// validity words), in the same pass, so the random reads of the bitmap overlap with
/// those of the values.
#[kernel(types(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn take_valid<T: Native>(
    values: &[T],
    valid: &[u64],
    indices: &[u32],
    out: &mut Vec<T>,
    out_valid: &mut [u64],
) -> bool {
    out.clear();
    out.reserve(indices.len());
    let mut past_end = false;
    for (chunk, w) in indices.chunks(64).zip(out_valid.iter_mut()) {
        // A chunk at a time through a local buffer, so the validity word and the flag
        // stay in registers (a closure capturing them would keep them in memory).
        let mut buf = [T::ZERO; 64];
        let mut word = 0u64;
        let mut bad = false;
        for (k, (&i, slot)) in chunk.iter().zip(buf.iter_mut()).enumerate() {
            let i = i as usize;
            let v = values.get(i);
            bad |= v.is_none();
            let bit = match (v, valid.get(i / 64)) {
                (Some(_), Some(b)) => (b >> (i % 64)) & 1,
                _ => 0,
            };
            word |= bit << k;
            *slot = v.copied().unwrap_or(T::ZERO);
        }
        out.extend_from_slice(buf.get(..chunk.len()).unwrap_or(&buf));
        *w = word;
        past_end |= bad;
    }
    past_end
}

/// True when [`compress_append`] has a fast path for `T` on this CPU.
pub(crate) fn has_wide_compress<T: Native>() -> bool {
    cfg!(target_arch = "x86_64")
        && matches!(std::mem::size_of::<T>(), 4 | 8)
        && crate::cpu::detected().includes(crate::CpuLevel::Avx512)
}

/// Appends the values selected by `mask` to `out` with AVX-512 compress, when
/// [`has_wide_compress`]; returns false (nothing done) otherwise.
pub(crate) fn compress_append<T: Native>(values: &[T], mask: &[u64], out: &mut Vec<T>) -> bool {
    #[cfg(target_arch = "x86_64")]
    if has_wide_compress::<T>() {
        let total = count_ones(mask, values.len());
        out.reserve(total + 64);
        let len0 = out.len();
        let dst = out.spare_capacity_mut();
        let (n, done) = if std::mem::size_of::<T>() == 4 {
            // SAFETY: `T` is a 4-byte primitive (every bit pattern valid, alignment 4),
            // so its values and slots can be viewed as `u32`.
            let (v, d) = unsafe {
                (
                    std::slice::from_raw_parts(values.as_ptr().cast::<u32>(), values.len()),
                    std::slice::from_raw_parts_mut(
                        dst.as_mut_ptr().cast::<MaybeUninit<u32>>(),
                        dst.len(),
                    ),
                )
            };
            // SAFETY: avx512f is part of the detected level (`has_wide_compress`).
            unsafe { crate::x86::compress32(v, mask, d, 0) }
        } else {
            // SAFETY: as above, for an 8-byte primitive and `u64`.
            let (v, d) = unsafe {
                (
                    std::slice::from_raw_parts(values.as_ptr().cast::<u64>(), values.len()),
                    std::slice::from_raw_parts_mut(
                        dst.as_mut_ptr().cast::<MaybeUninit<u64>>(),
                        dst.len(),
                    ),
                )
            };
            // SAFETY: avx512f is part of the detected level (`has_wide_compress`).
            unsafe { crate::x86::compress64(v, mask, d, 0) }
        };
        let dst = out.spare_capacity_mut();
        let mut n = n;
        let rest = values.get(done * 64..).unwrap_or(&[]);
        for (chunk, &w) in rest.chunks(64).zip(mask.get(done..).unwrap_or(&[])) {
            n = compact(chunk, w, dst, n);
        }
        // SAFETY: the compress loop wrote every slot below the `n` it returned (each store
        // writes 16 or 8 whole slots at `n`, then `n` grows by at most that many), and
        // `compact` continues the same way with room for `total + 64` values.
        unsafe { out.set_len(len0 + n.min(total)) };
        return true;
    }
    let _ = (values, mask, out);
    false
}

/// The validity of the rows `mask` keeps, or `None` if `nulls` has no NULLs.
pub(crate) fn filter_nulls(
    nulls: Option<&NullBuffer>,
    mask: &[u64],
    len: usize,
    kept: usize,
) -> Option<NullBuffer> {
    let valid = valid_words(nulls)?;
    let mut w = BitWriter::with_capacity(kept);
    #[cfg(target_arch = "x86_64")]
    if crate::cpu::detected().includes(crate::CpuLevel::Avx2) {
        // SAFETY: bmi2 is part of the detected Avx2 level.
        unsafe { crate::x86::select_bits(&valid, mask, len, &mut w) };
        return Some(NullBuffer::new(w.finish())).filter(|n| n.null_count() > 0);
    }
    for (i, (&m, &v)) in mask.iter().zip(valid.iter()).enumerate() {
        let rem = len - i * 64;
        let m = if rem < 64 { m & ((1u64 << rem) - 1) } else { m };
        w.push_selected(v, m);
    }
    Some(NullBuffer::new(w.finish())).filter(|n| n.null_count() > 0)
}

/// Keeps the rows of `array` whose bit is set in `mask` (words).
fn filter_native<T: KernelType>(
    values: &[T],
    nulls: Option<&NullBuffer>,
    mask: &[u64],
) -> (Vec<T>, Option<NullBuffer>) {
    let mut out = Vec::new();
    if !compress_append(values, mask, &mut out) {
        filter_words::<T>(values, mask, &mut out);
    }
    let kept = out.len();
    (out, filter_nulls(nulls, mask, values.len(), kept))
}

/// [`filter`] for a typed array.
pub fn filter_typed<T: KernelType>(
    array: &PrimitiveArray<T::Arrow>,
    mask: &BooleanArray,
) -> Result<PrimitiveArray<T::Arrow>> {
    check_len("filter", array.len(), mask.len())?;
    let words = mask_words(mask);
    let (values, nulls) = filter_native::<T>(array.values(), array.nulls(), &words);
    Ok(PrimitiveArray::try_new(ScalarBuffer::from(values), nulls)?)
}

fn check_len(kernel: &'static str, left: usize, right: usize) -> Result<()> {
    if left == right {
        Ok(())
    } else {
        Err(KernelError::LengthMismatch {
            kernel,
            left,
            right,
        })
    }
}

/// Runs a native kernel on the raw values of a fixed-width array of another type
/// (dates, times, ...) and rebuilds an array of the original type.
fn via_raw<N: KernelType>(
    array: &dyn Array,
    f: impl FnOnce(&[N], Option<&NullBuffer>) -> Result<(Vec<N>, Option<NullBuffer>)>,
) -> Result<ArrayRef> {
    let data = array.to_data();
    let values: &[N] = data.buffer::<N>(0);
    let values = values.get(..array.len()).unwrap_or(values);
    let (out, nulls) = f(values, array.nulls())?;
    let len = out.len();
    let data = ArrayData::builder(array.data_type().clone())
        .len(len)
        .add_buffer(Buffer::from_vec(out))
        .nulls(nulls)
        .build()?;
    Ok(make_array(data))
}

fn raw_width(array: &dyn Array) -> Option<usize> {
    let dt = array.data_type();
    let simple = dt.is_primitive() && array.to_data().buffers().len() == 1;
    if simple { dt.primitive_width() } else { None }
}

fn filter_words_any(array: &dyn Array, mask: &BooleanArray, words: &[u64]) -> Result<ArrayRef> {
    dispatch_native!(array.data_type(), T => {
        let a = primitive::<T>(array, "filter")?;
        let (values, nulls) = filter_native::<T>(a.values(), a.nulls(), words);
        Ok(Arc::new(PrimitiveArray::<<T as Native>::Arrow>::try_new(ScalarBuffer::from(values), nulls)?))
    }, _other => match raw_width(array) {
        Some(4) => via_raw::<i32>(array, |v, n| Ok(filter_native::<i32>(v, n, words))),
        Some(8) => via_raw::<i64>(array, |v, n| Ok(filter_native::<i64>(v, n, words))),
        _ => Ok(arrow::compute::filter(array, mask)?),
    })
}

/// Keeps the rows of `array` where `mask` is true (NULL counts as false).
///
/// # Errors
/// [`KernelError::LengthMismatch`] when the lengths differ.
pub fn filter(array: &dyn Array, mask: &BooleanArray) -> Result<ArrayRef> {
    check_len("filter", array.len(), mask.len())?;
    let words = mask_words(mask);
    filter_words_any(array, mask, &words)
}

/// [`filter`] for every column of a batch, reading the mask once.
///
/// # Errors
/// [`KernelError::LengthMismatch`], or an Arrow error rebuilding the batch.
pub fn filter_record_batch(batch: &RecordBatch, mask: &BooleanArray) -> Result<RecordBatch> {
    check_len("filter_record_batch", batch.num_rows(), mask.len())?;
    let words = mask_words(mask);
    let rows = count_ones(&words, mask.len());
    let columns = batch
        .columns()
        .iter()
        .map(|c| filter_words_any(c.as_ref(), mask, &words))
        .collect::<Result<Vec<_>>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    Ok(RecordBatch::try_new_with_options(
        batch.schema(),
        columns,
        &options,
    )?)
}

/// Checks every non-NULL index is below `len`.
fn check_indices(indices: &UInt32Array, len: usize) -> Result<()> {
    let bad = match indices.nulls().filter(|n| n.null_count() > 0) {
        None => indices
            .values()
            .iter()
            .copied()
            .max()
            .filter(|&m| m as usize >= len),
        Some(n) => indices
            .values()
            .iter()
            .zip(n.iter())
            .find(|(i, v)| *v && **i as usize >= len)
            .map(|(i, _)| *i),
    };
    match bad {
        Some(index) => Err(KernelError::IndexOutOfBounds {
            index: index as usize,
            len,
        }),
        None => Ok(()),
    }
}

/// Gathers `values[indices[i]]` and the validity of the result.
///
/// # Errors
/// [`KernelError::IndexOutOfBounds`] for a non-NULL index past the end.
fn take_native<T: KernelType>(
    values: &[T],
    nulls: Option<&NullBuffer>,
    indices: &UInt32Array,
) -> Result<(Vec<T>, Option<NullBuffer>)> {
    let mut out = Vec::new();
    let (past_end, gathered) = match valid_words(nulls) {
        None => (take_values::<T>(values, indices.values(), &mut out), None),
        Some(valid) => {
            let len = indices.len();
            let mut words = vec![0u64; len.div_ceil(64)];
            let past_end = take_valid::<T>(values, &valid, indices.values(), &mut out, &mut words);
            (past_end, Some(NullBuffer::new(bool_buffer(words, len))))
        }
    };
    if past_end {
        // Some index is past the end: an error unless every such index is NULL.
        check_indices(indices, values.len())?;
    }
    // AND the indices' own validity (whole words).
    let nulls =
        NullBuffer::union(indices.nulls(), gathered.as_ref()).filter(|n| n.null_count() > 0);
    Ok((out, nulls))
}

/// [`take`] for a typed array.
pub fn take_typed<T: KernelType>(
    array: &PrimitiveArray<T::Arrow>,
    indices: &UInt32Array,
) -> Result<PrimitiveArray<T::Arrow>> {
    let (values, nulls) = take_native::<T>(array.values(), array.nulls(), indices)?;
    Ok(PrimitiveArray::try_new(ScalarBuffer::from(values), nulls)?)
}

/// `array[indices[i]]` for every `i`; a NULL index gives NULL.
///
/// # Errors
/// [`KernelError::IndexOutOfBounds`] for a non-NULL index past the end.
pub fn take(array: &dyn Array, indices: &UInt32Array) -> Result<ArrayRef> {
    dispatch_native!(array.data_type(), T => {
        let a = primitive::<T>(array, "take")?;
        Ok(Arc::new(take_typed::<T>(a, indices)?))
    }, _other => match raw_width(array) {
        Some(4) => via_raw::<i32>(array, |v, n| take_native::<i32>(v, n, indices)),
        Some(8) => via_raw::<i64>(array, |v, n| take_native::<i64>(v, n, indices)),
        _ => Ok(arrow::compute::take(array, indices, None)?),
    })
}
