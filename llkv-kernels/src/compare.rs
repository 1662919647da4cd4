//! Comparisons with SQL NULL semantics: a NULL on either side gives a NULL result.
//!
//! Floats compare by IEEE 754 `totalOrder`, exactly as `arrow::compute::kernels::cmp` does
//! (`NaN` equals `NaN` and is the largest value; `-0.0 < 0.0`).

use arrow::array::{Array, BooleanArray, Datum, PrimitiveArray};
use arrow::buffer::NullBuffer;
use arrow::compute::kernels::cmp;

use crate::bitmap::{bool_array, pack_binary, pack_unary};
use crate::{KernelError, KernelType, Native, Result, dispatch_native, kernel, primitive};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    /// `=`
    Eq,
    /// `<>`
    NotEq,
    /// `<`
    Lt,
    /// `<=`
    LtEq,
    /// `>`
    Gt,
    /// `>=`
    GtEq,
}

impl CmpOp {
    /// Every operator.
    pub const ALL: [CmpOp; 6] = [
        CmpOp::Eq,
        CmpOp::NotEq,
        CmpOp::Lt,
        CmpOp::LtEq,
        CmpOp::Gt,
        CmpOp::GtEq,
    ];

    /// The operator with its operands swapped: `a < b` is `b > a`.
    pub fn flip(self) -> CmpOp {
        match self {
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::LtEq => CmpOp::GtEq,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::GtEq => CmpOp::LtEq,
            other => other,
        }
    }

    /// Applies the operator to two ordering keys (for scalar code and tests).
    #[inline(always)]
    pub fn test<K: Ord>(self, a: K, b: K) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::NotEq => a != b,
            CmpOp::Lt => a < b,
            CmpOp::LtEq => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::GtEq => a >= b,
        }
    }
}

/// Calls `$f(args..., |v| key(v) OP s)` with the operator matched once, outside the loop.
macro_rules! with_op {
    ($op:expr, |$v:ident| $lhs:expr, $s:expr => $f:ident($($arg:expr),*)) => {
        match $op {
            CmpOp::Eq => $f($($arg,)* |$v: T| $lhs == $s),
            CmpOp::NotEq => $f($($arg,)* |$v: T| $lhs != $s),
            CmpOp::Lt => $f($($arg,)* |$v: T| $lhs < $s),
            CmpOp::LtEq => $f($($arg,)* |$v: T| $lhs <= $s),
            CmpOp::Gt => $f($($arg,)* |$v: T| $lhs > $s),
            CmpOp::GtEq => $f($($arg,)* |$v: T| $lhs >= $s),
        }
    };
}
pub(crate) use with_op;

/// Packs `values[i] OP scalar` into `out` (`ceil(len / 64)` words), ignoring validity.
#[kernel(types(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn cmp_scalar<T: Native>(values: &[T], scalar: T, op: CmpOp, out: &mut [u64]) {
    let s = scalar.key();
    with_op!(op, |v| v.key(), s => pack_unary(values, out))
}

/// Packs `a[i] OP b[i]` into `out` (`ceil(len / 64)` words); `a` and `b` have one length.
#[kernel(types(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn cmp_arrays<T: Native>(a: &[T], b: &[T], op: CmpOp, out: &mut [u64]) {
    match op {
        CmpOp::Eq => pack_binary(a, b, out, |x: T, y: T| x.key() == y.key()),
        CmpOp::NotEq => pack_binary(a, b, out, |x: T, y: T| x.key() != y.key()),
        CmpOp::Lt => pack_binary(a, b, out, |x: T, y: T| x.key() < y.key()),
        CmpOp::LtEq => pack_binary(a, b, out, |x: T, y: T| x.key() <= y.key()),
        CmpOp::Gt => pack_binary(a, b, out, |x: T, y: T| x.key() > y.key()),
        CmpOp::GtEq => pack_binary(a, b, out, |x: T, y: T| x.key() >= y.key()),
    }
}

/// `array[i] OP scalar` for a typed array; NULL where `array` is NULL.
pub fn compare_scalar_typed<T: KernelType>(
    array: &PrimitiveArray<T::Arrow>,
    scalar: T,
    op: CmpOp,
) -> BooleanArray {
    let len = array.len();
    let mut words = vec![0u64; len.div_ceil(64)];
    cmp_scalar::<T>(array.values(), scalar, op, &mut words);
    bool_array(words, len, array.nulls().cloned())
}

/// `a[i] OP b[i]` for typed arrays; NULL where either side is NULL.
///
/// # Errors
/// [`KernelError::LengthMismatch`] when the lengths differ.
pub fn compare_typed<T: KernelType>(
    a: &PrimitiveArray<T::Arrow>,
    b: &PrimitiveArray<T::Arrow>,
    op: CmpOp,
) -> Result<BooleanArray> {
    if a.len() != b.len() {
        return Err(KernelError::LengthMismatch {
            kernel: "compare",
            left: a.len(),
            right: b.len(),
        });
    }
    let len = a.len();
    let mut words = vec![0u64; len.div_ceil(64)];
    cmp_arrays::<T>(a.values(), b.values(), op, &mut words);
    Ok(bool_array(
        words,
        len,
        NullBuffer::union(a.nulls(), b.nulls()),
    ))
}

/// `array[i] OP scalar`, where `scalar` is an array of length 1 of the same type (a NULL
/// scalar gives all NULLs).
///
/// # Errors
/// [`KernelError::NotAScalar`], [`KernelError::TypeMismatch`], or
/// [`KernelError::UnsupportedType`] for a non-primitive type.
pub fn compare_scalar(array: &dyn Array, scalar: &dyn Array, op: CmpOp) -> Result<BooleanArray> {
    if scalar.len() != 1 {
        return Err(KernelError::NotAScalar { len: scalar.len() });
    }
    if scalar.data_type() != array.data_type() {
        return Err(KernelError::TypeMismatch {
            kernel: "compare_scalar",
            left: array.data_type().clone(),
            right: scalar.data_type().clone(),
        });
    }
    dispatch_native!(array.data_type(), T => {
        let a = primitive::<T>(array, "compare_scalar")?;
        let s = primitive::<T>(scalar, "compare_scalar")?;
        if s.is_null(0) {
            return Ok(BooleanArray::new_null(array.len()));
        }
        Ok(compare_scalar_typed::<T>(a, s.value(0), op))
    }, other => Err(KernelError::UnsupportedType {
        kernel: "compare_scalar",
        data_type: other.clone(),
    }))
}

/// `a[i] OP b[i]` for two arrays of one primitive type and length.
///
/// # Errors
/// [`KernelError::TypeMismatch`], [`KernelError::LengthMismatch`], or
/// [`KernelError::UnsupportedType`] for a non-primitive type.
pub fn compare(a: &dyn Array, b: &dyn Array, op: CmpOp) -> Result<BooleanArray> {
    if a.data_type() != b.data_type() {
        return Err(KernelError::TypeMismatch {
            kernel: "compare",
            left: a.data_type().clone(),
            right: b.data_type().clone(),
        });
    }
    dispatch_native!(a.data_type(), T => {
        compare_typed::<T>(primitive::<T>(a, "compare")?, primitive::<T>(b, "compare")?, op)
    }, other => Err(KernelError::UnsupportedType {
        kernel: "compare",
        data_type: other.clone(),
    }))
}

/// A drop-in for `arrow::compute::kernels::cmp::{eq, neq, lt, lt_eq, gt, gt_eq}`: the
/// stamped kernels for the ten primitive types (array-scalar, scalar-array, array-array),
/// Arrow's kernels for everything else (strings, dates, decimals, ...).
///
/// # Errors
/// Whatever the chosen kernel reports (mismatched types or lengths).
pub fn compare_datum(l: &dyn Datum, r: &dyn Datum, op: CmpOp) -> Result<BooleanArray> {
    let (la, l_scalar) = l.get();
    let (ra, r_scalar) = r.get();
    let ours = match (l_scalar, r_scalar) {
        (false, true) => compare_scalar(la, ra, op),
        (true, false) => compare_scalar(ra, la, op.flip()),
        _ => compare(la, ra, op),
    };
    match ours {
        Err(KernelError::UnsupportedType { .. }) => Ok(match op {
            CmpOp::Eq => cmp::eq(l, r)?,
            CmpOp::NotEq => cmp::neq(l, r)?,
            CmpOp::Lt => cmp::lt(l, r)?,
            CmpOp::LtEq => cmp::lt_eq(l, r)?,
            CmpOp::Gt => cmp::gt(l, r)?,
            CmpOp::GtEq => cmp::gt_eq(l, r)?,
        }),
        other => other,
    }
}
