//! `+ - * /` with SQL rules: integer overflow either fails or promotes the result to
//! `Float64` ([`OverflowPolicy`], as the dialect says), and a zero divisor gives NULL or
//! an error ([`DivZeroPolicy`]). Integer division truncates toward zero; it runs in `f64`
//! (vectorized, exact for operands below `2^51` in magnitude) where it can, since x86 has
//! no vector integer division. Overflow in a NULL row never counts.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Datum, Float64Array, PrimitiveArray};
use arrow::buffer::{NullBuffer, ScalarBuffer};
use llkv_traits::{DivisionByZero, IntegerOverflow};

use crate::bitmap::{bool_buffer, pack_unary};
use crate::{KernelError, KernelType, Native, Result, dispatch_native, kernel, primitive};

/// An arithmetic operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ArithOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
}

impl ArithOp {
    /// Every operator.
    pub const ALL: [ArithOp; 4] = [ArithOp::Add, ArithOp::Sub, ArithOp::Mul, ArithOp::Div];

    /// The SQL symbol.
    pub fn symbol(self) -> &'static str {
        match self {
            ArithOp::Add => "+",
            ArithOp::Sub => "-",
            ArithOp::Mul => "*",
            ArithOp::Div => "/",
        }
    }

    /// `a OP b` wrapped, and whether it overflowed (`b` must not be zero for `Div`).
    #[inline(always)]
    pub fn apply<T: Native>(self, a: T, b: T) -> (T, bool) {
        match self {
            ArithOp::Add => a.overflowing_add(b),
            ArithOp::Sub => a.overflowing_sub(b),
            ArithOp::Mul => a.overflowing_mul(b),
            ArithOp::Div => a.overflowing_div(b),
        }
    }

    /// `a OP b` in `f64` (the promoted result).
    pub fn apply_f64(self, a: f64, b: f64) -> f64 {
        match self {
            ArithOp::Add => a + b,
            ArithOp::Sub => a - b,
            ArithOp::Mul => a * b,
            ArithOp::Div => a / b,
        }
    }
}

/// What integer overflow does (the kernels' mirror of [`IntegerOverflow`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OverflowPolicy {
    /// [`KernelError::Overflow`] (DuckDB, PostgreSQL).
    #[default]
    Error,
    /// The whole result is computed as `Float64` (SQLite).
    PromoteToFloat,
}

impl From<IntegerOverflow> for OverflowPolicy {
    fn from(o: IntegerOverflow) -> Self {
        match o {
            IntegerOverflow::Error => OverflowPolicy::Error,
            IntegerOverflow::PromoteToFloat => OverflowPolicy::PromoteToFloat,
        }
    }
}

/// What a zero divisor does (the kernels' mirror of [`DivisionByZero`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum DivZeroPolicy {
    /// The row is NULL (SQLite, DuckDB). Applies to floats too.
    #[default]
    Null,
    /// [`KernelError::DivisionByZero`] (PostgreSQL).
    Error,
}

impl From<DivisionByZero> for DivZeroPolicy {
    fn from(d: DivisionByZero) -> Self {
        match d {
            DivisionByZero::Null => DivZeroPolicy::Null,
            DivisionByZero::Error => DivZeroPolicy::Error,
        }
    }
}

/// The SQL rules arithmetic follows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct ArithOptions {
    /// Integer overflow.
    pub overflow: OverflowPolicy,
    /// Division by zero.
    pub div_by_zero: DivZeroPolicy,
}

impl ArithOptions {
    /// Options from the dialect's settings.
    pub fn new(overflow: impl Into<OverflowPolicy>, div_by_zero: impl Into<DivZeroPolicy>) -> Self {
        ArithOptions {
            overflow: overflow.into(),
            div_by_zero: div_by_zero.into(),
        }
    }
}

/// Replaces `out` with `a[i] OP b[i]` (wrapped); returns whether any row overflowed and
/// whether any divisor was zero. A zero divisor yields 0 here: callers mask those rows.
#[kernel(types(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn arith_arrays<T: Native>(a: &[T], b: &[T], op: ArithOp, out: &mut Vec<T>) -> (bool, bool) {
    out.clear();
    out.reserve(a.len());
    let mut overflow = false;
    let mut zero = false;
    match op {
        ArithOp::Add => out.extend(a.iter().zip(b).map(|(&x, &y)| {
            let (r, o) = x.overflowing_add(y);
            overflow |= o;
            r
        })),
        ArithOp::Sub => out.extend(a.iter().zip(b).map(|(&x, &y)| {
            let (r, o) = x.overflowing_sub(y);
            overflow |= o;
            r
        })),
        ArithOp::Mul => out.extend(a.iter().zip(b).map(|(&x, &y)| {
            let (r, o) = x.overflowing_mul(y);
            overflow |= o;
            r
        })),
        ArithOp::Div if T::IS_FLOAT => out.extend(a.iter().zip(b).map(|(&x, &y)| {
            zero |= y.is_zero();
            x.overflowing_div(y).0
        })),
        ArithOp::Div => {
            let len = a.len().min(b.len());
            return div_int(Operand::Slice(a), Operand::Slice(b), len, out);
        }
    }
    (overflow, zero)
}

/// Replaces `out` with `a[i] OP s` (or `s OP a[i]` when `scalar_left`); returns whether any
/// row overflowed and whether any divisor was zero. A zero divisor yields 0: callers mask
/// those rows.
#[kernel(types(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn arith_scalar<T: Native>(
    a: &[T],
    s: T,
    op: ArithOp,
    scalar_left: bool,
    out: &mut Vec<T>,
) -> (bool, bool) {
    if op == ArithOp::Div && !T::IS_FLOAT {
        let (num, den) = if scalar_left {
            (Operand::Value(s), Operand::Slice(a))
        } else {
            (Operand::Slice(a), Operand::Value(s))
        };
        return div_int(num, den, a.len(), out);
    }
    let zero_divisor = match (op, scalar_left) {
        (ArithOp::Div, false) => s.is_zero(),
        (ArithOp::Div, true) => a.iter().any(|x| x.is_zero()),
        _ => false,
    };
    let overflow = match (op, scalar_left) {
        (ArithOp::Add, _) => map_overflowing(a, out, |x: T| x.overflowing_add(s)),
        (ArithOp::Mul, _) => map_overflowing(a, out, |x: T| x.overflowing_mul(s)),
        (ArithOp::Sub, false) => map_overflowing(a, out, |x: T| x.overflowing_sub(s)),
        (ArithOp::Sub, true) => map_overflowing(a, out, |x: T| s.overflowing_sub(x)),
        (ArithOp::Div, false) => {
            let d = if s.is_zero() { T::ONE } else { s };
            map_overflowing(a, out, |x: T| x.overflowing_div(d))
        }
        (ArithOp::Div, true) => map_overflowing(a, out, |x: T| {
            if x.is_zero() {
                (T::ZERO, false)
            } else {
                s.overflowing_div(x)
            }
        }),
    };
    (overflow, zero_divisor)
}

/// One operand of [`div_int`]: a slice, or one value for every row.
#[derive(Clone, Copy)]
enum Operand<'a, T> {
    Slice(&'a [T]),
    Value(T),
}

/// Values per block of [`div_int`].
const DIV_BLOCK: usize = 256;

/// `x / y` of two integers in range (see [`Native::small_int_key`]) through `f64`, which
/// vectorizes (`idiv` does not); 0 for a zero divisor.
#[inline(always)]
fn quotient_f64<T: Native>(x: T, y: T) -> T {
    let (n, d) = (x.to_f64_for_div(), y.to_f64_for_div());
    let zero = d == 0.0;
    let (n, d) = if zero { (0.0, 1.0) } else { (n, d) };
    T::from_f64_quotient(n / d)
}

/// Replaces `out` with the integer quotients `num[i] / den[i]` (wrapped, 0 for a zero
/// divisor); returns whether any row overflowed and whether any divisor was zero.
///
/// Block by block: when every operand of the block is in `-2^51..2^51` (always, for
/// integers of 32 bits or less) the quotients are computed in `f64`, which is exact there
/// ([`Native::small_int_key`]) and several times faster than integer division; other
/// blocks divide one value at a time.
#[inline(always)]
fn div_int<T: Native>(
    num: Operand<'_, T>,
    den: Operand<'_, T>,
    len: usize,
    out: &mut Vec<T>,
) -> (bool, bool) {
    use std::iter::repeat_n;
    out.clear();
    out.reserve(len);
    let (mut overflow, mut zero) = (false, false);
    let mut start = 0;
    while start < len {
        let end = (start + DIV_BLOCK).min(len);
        let n = end - start;
        let (o, z) = match (num, den) {
            (Operand::Slice(a), Operand::Slice(b)) => div_block(
                a[start..end].iter().copied(),
                b[start..end].iter().copied(),
                out,
            ),
            (Operand::Slice(a), Operand::Value(q)) => {
                div_block(a[start..end].iter().copied(), repeat_n(q, n), out)
            }
            (Operand::Value(p), Operand::Slice(b)) => {
                div_block(repeat_n(p, n), b[start..end].iter().copied(), out)
            }
            (Operand::Value(p), Operand::Value(q)) => {
                div_block(repeat_n(p, n), repeat_n(q, n), out)
            }
        };
        overflow |= o;
        zero |= z;
        start = end;
    }
    (overflow, zero)
}

/// Appends the quotients of one block of [`div_int`]; returns (overflow, zero divisor).
#[inline(always)]
fn div_block<T: Native>(
    x: impl Iterator<Item = T> + Clone,
    y: impl Iterator<Item = T> + Clone,
    out: &mut Vec<T>,
) -> (bool, bool) {
    let zero = y.clone().fold(false, |z, q| z | q.is_zero());
    let key = x.clone().fold(0, |k, p| k | p.small_int_key())
        | y.clone().fold(0, |k, q| k | q.small_int_key());
    if key < 1 << 52 {
        out.extend(x.clone().zip(y.clone()).map(|(p, q)| quotient_f64(p, q)));
        // In range, only `MIN / -1` of a narrow signed type overflows.
        let overflow = T::BITS <= 32 && x.zip(y).fold(false, |o, (p, q)| o | p.div_overflows(q));
        (overflow, zero)
    } else {
        let mut overflow = false;
        out.extend(x.zip(y).map(|(p, q)| {
            let (r, o) = p.overflowing_div(q);
            overflow |= o;
            r
        }));
        (overflow, zero)
    }
}

/// Replaces `out` with `f(a[i]).0`; true if any `f(a[i]).1`.
#[inline(always)]
fn map_overflowing<T: Copy, F: Fn(T) -> (T, bool)>(a: &[T], out: &mut Vec<T>, f: F) -> bool {
    out.clear();
    out.reserve(a.len());
    let mut overflow = false;
    out.extend(a.iter().map(|&x| {
        let (r, o) = f(x);
        overflow |= o;
        r
    }));
    overflow
}

/// Packs `values[i] != 0` into `out`.
#[kernel(types(i8, i16, i32, i64, u8, u16, u32, u64, f32, f64), cpu(baseline, avx2, avx512, neon), krate = crate)]
pub fn nonzero_words<T: Native>(values: &[T], out: &mut [u64]) {
    pack_unary(values, out, |v: T| !v.is_zero());
}

/// One side of an operation: a whole array, or one value for every row.
enum Side<'a, T: Native> {
    Array(&'a PrimitiveArray<T::Arrow>),
    Scalar(T),
}

impl<T: Native> Side<'_, T> {
    #[inline]
    fn at(&self, i: usize) -> T {
        match self {
            Side::Array(a) => a.values().get(i).copied().unwrap_or(T::ZERO),
            Side::Scalar(s) => *s,
        }
    }
}

/// Rows `i` (valid in `nulls`) where `f(i)` holds: does any exist?
fn any_valid(len: usize, nulls: Option<&NullBuffer>, f: impl Fn(usize) -> bool) -> bool {
    match nulls {
        None => (0..len).any(f),
        Some(n) => n.valid_indices().any(f),
    }
}

fn typed<T: KernelType>(
    l: Side<'_, T>,
    r: Side<'_, T>,
    len: usize,
    nulls: Option<NullBuffer>,
    op: ArithOp,
    opts: ArithOptions,
) -> Result<ArrayRef> {
    let mut nulls = nulls;
    let mut out = Vec::new();
    let (overflow, zero) = match (&l, &r) {
        (Side::Array(a), Side::Array(b)) => arith_arrays::<T>(a.values(), b.values(), op, &mut out),
        (Side::Array(a), Side::Scalar(s)) => arith_scalar::<T>(a.values(), *s, op, false, &mut out),
        (Side::Scalar(s), Side::Array(b)) => arith_scalar::<T>(b.values(), *s, op, true, &mut out),
        (Side::Scalar(a), Side::Scalar(b)) => {
            let (v, o) = op.apply(*a, *b);
            out = vec![v; len];
            (o, op == ArithOp::Div && b.is_zero())
        }
    };
    // Zero divisors: NULL or an error.
    if zero {
        let nonzero = match &r {
            Side::Scalar(_) => None,
            Side::Array(b) => {
                let mut w = vec![0u64; len.div_ceil(64)];
                nonzero_words::<T>(b.values(), &mut w);
                Some(bool_buffer(w, len))
            }
        };
        match nonzero {
            None => {
                if opts.div_by_zero == DivZeroPolicy::Error
                    && any_valid(len, nulls.as_ref(), |_| true)
                {
                    return Err(KernelError::DivisionByZero);
                }
                return Ok(arrow::array::new_null_array(
                    &<T::Arrow as arrow::datatypes::ArrowPrimitiveType>::DATA_TYPE,
                    len,
                ));
            }
            Some(nz) => {
                if opts.div_by_zero == DivZeroPolicy::Error
                    && any_valid(len, nulls.as_ref(), |i| !nz.value(i))
                {
                    return Err(KernelError::DivisionByZero);
                }
                let nz = NullBuffer::new(nz);
                nulls = NullBuffer::union(nulls.as_ref(), Some(&nz));
            }
        }
    }
    // Only overflow in a row that is not NULL counts.
    let overflow = overflow
        && (nulls.as_ref().is_none_or(|n| n.null_count() == 0)
            || any_valid(len, nulls.as_ref(), |i| op.apply(l.at(i), r.at(i)).1));
    if overflow {
        return match opts.overflow {
            OverflowPolicy::Error => Err(KernelError::Overflow { op: op.symbol() }),
            OverflowPolicy::PromoteToFloat => {
                let values: Vec<f64> = (0..len)
                    .map(|i| op.apply_f64(l.at(i).to_f64(), r.at(i).to_f64()))
                    .collect();
                Ok(Arc::new(Float64Array::try_new(
                    ScalarBuffer::from(values),
                    nulls,
                )?))
            }
        };
    }
    Ok(Arc::new(PrimitiveArray::<T::Arrow>::try_new(
        ScalarBuffer::from(out),
        nulls,
    )?))
}

/// `l OP r` for the ten primitive types, either side an array or a scalar (`Datum`), with
/// the SQL rules in `opts`. The result has the operands' type, or `Float64` after a
/// promoted overflow; a NULL on either side gives NULL.
///
/// # Errors
/// [`KernelError::Overflow`], [`KernelError::DivisionByZero`] as `opts` say;
/// [`KernelError::TypeMismatch`] / [`KernelError::LengthMismatch`] for mismatched operands;
/// [`KernelError::UnsupportedType`] for other types (use `arrow::compute` for those).
pub fn arith_datum(
    l: &dyn Datum,
    r: &dyn Datum,
    op: ArithOp,
    opts: ArithOptions,
) -> Result<ArrayRef> {
    let (la, ls) = l.get();
    let (ra, rs) = r.get();
    if la.data_type() != ra.data_type() {
        return Err(KernelError::TypeMismatch {
            kernel: "arith",
            left: la.data_type().clone(),
            right: ra.data_type().clone(),
        });
    }
    dispatch_native!(la.data_type(), T => {
        let a = primitive::<T>(la, "arith")?;
        let b = primitive::<T>(ra, "arith")?;
        let side = |p: &dyn Array, is_scalar: bool, arr| -> Result<Option<Side<'_, T>>> {
            if !is_scalar {
                return Ok(Some(Side::Array(arr)));
            }
            if p.len() != 1 {
                return Err(KernelError::NotAScalar { len: p.len() });
            }
            Ok(if p.is_null(0) { None } else { Some(Side::Scalar(arr.value(0))) })
        };
        let len = match (ls, rs) {
            (false, true) | (true, true) => la.len(),
            (true, false) => ra.len(),
            (false, false) => {
                if la.len() != ra.len() {
                    return Err(KernelError::LengthMismatch { kernel: "arith", left: la.len(), right: ra.len() });
                }
                la.len()
            }
        };
        let (Some(left), Some(right)) = (side(la, ls, a)?, side(ra, rs, b)?) else {
            return Ok(arrow::array::new_null_array(la.data_type(), len));
        };
        let nulls = NullBuffer::union(
            if ls { None } else { a.nulls() },
            if rs { None } else { b.nulls() },
        );
        typed::<T>(left, right, len, nulls, op, opts)
    }, other => Err(KernelError::UnsupportedType { kernel: "arith", data_type: other.clone() }))
}

/// `a[i] OP b[i]` for two arrays (see [`arith_datum`]).
///
/// # Errors
/// As [`arith_datum`].
pub fn arith(a: &dyn Array, b: &dyn Array, op: ArithOp, opts: ArithOptions) -> Result<ArrayRef> {
    arith_datum(&ArrayDatum(a), &ArrayDatum(b), op, opts)
}

/// A borrowed array as a non-scalar `Datum`.
struct ArrayDatum<'a>(&'a dyn Array);

impl Datum for ArrayDatum<'_> {
    fn get(&self) -> (&dyn Array, bool) {
        (self.0, false)
    }
}
