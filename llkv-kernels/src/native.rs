//! [`Native`]: what the kernels need from an element type, implemented for the ten Arrow
//! primitive natives (`i8` ... `u64`, `f32`, `f64`).

use arrow::datatypes::{
    ArrowNativeType, ArrowPrimitiveType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type,
    Int64Type, UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};

mod sealed {
    pub trait Sealed {}
}

/// An element type the kernels are stamped out for. Sealed: implemented for `i8`, `i16`,
/// `i32`, `i64`, `u8`, `u16`, `u32`, `u64`, `f32` and `f64`.
///
/// Floats are ordered by IEEE 754 `totalOrder` (as `f64::total_cmp` and `arrow::compute`
/// order them): `-NaN < -inf < ... < -0.0 < 0.0 < ... < inf < NaN`. The [`key`](Native::key)
/// maps that order onto a signed integer, so float comparisons vectorize like integer ones.
pub trait Native:
    sealed::Sealed + ArrowNativeType + PartialOrd + Copy + Send + Sync + 'static
{
    /// The Arrow type whose native this is.
    type Arrow: ArrowPrimitiveType<Native = Self>;
    /// The ordering key: the value itself for integers, the `totalOrder` integer for floats.
    type Key: Copy + Ord + Send + Sync + 'static;
    /// The smallest key.
    const KEY_MIN: Self::Key;
    /// The largest key.
    const KEY_MAX: Self::Key;
    /// Zero.
    const ZERO: Self;
    /// One.
    const ONE: Self;
    /// True for `f32` and `f64`.
    const IS_FLOAT: bool;
    /// The width in bits.
    const BITS: u32;

    /// The ordering key of the value.
    fn key(self) -> Self::Key;
    /// The value with this key (the inverse of [`key`](Native::key)).
    fn from_key(key: Self::Key) -> Self;
    /// The value as an `f64` (rounded for 64-bit integers beyond 2^53).
    fn to_f64(self) -> f64;
    /// 64 bits to hash: integers sign- or zero-extended, floats widened to `f64` with
    /// `-0.0` read as `0.0` and every NaN as one NaN, so values SQL calls equal hash equal.
    fn hash_bits(self) -> u64;
    /// `self + rhs`, wrapped, and whether it overflowed (never, for floats).
    fn overflowing_add(self, rhs: Self) -> (Self, bool);
    /// `self - rhs`, wrapped, and whether it overflowed.
    fn overflowing_sub(self, rhs: Self) -> (Self, bool);
    /// `self * rhs`, wrapped, and whether it overflowed.
    fn overflowing_mul(self, rhs: Self) -> (Self, bool);
    /// `self / rhs` truncated toward zero for integers (`rhs` must not be zero), and
    /// whether it overflowed (`MIN / -1`).
    fn overflowing_div(self, rhs: Self) -> (Self, bool);
    /// True for zero (and `-0.0`).
    fn is_zero(self) -> bool;
    /// Bits that, OR-ed over several values, stay below `2^52` exactly when every value
    /// is an integer in `-2^51..2^51` (`0..2^51` for `u64`): `0` for integers of 32 bits or
    /// less, `u64::MAX` for floats. Two uses:
    /// - division: for two such integers `a / b` computed in `f64` and truncated is the
    ///   exact integer quotient (`|b| * ceil(|a / b|) < 2^53`, so a quotient just below an
    ///   integer is more than half an ulp below it and cannot round up to it);
    /// - sums: up to `2^11` such values add up in an `i64` without overflow.
    fn small_int_key(self) -> u64;
    /// The value as `f64`, exact for integers in range (see
    /// [`small_int_key`](Native::small_int_key)). For 64-bit integers this adds
    /// `1.5 * 2^52` in the bits instead of converting, so it vectorizes without AVX-512DQ.
    fn to_f64_for_div(self) -> f64;
    /// `q` truncated toward zero, wrapped to the type (so `MIN / -1` computed in `f64`
    /// gives the wrapped `MIN`), for `|q| <= 2^51` (any other `q` gives an unspecified
    /// value); for floats, `q`. Float adds and bit operations only, so it vectorizes at
    /// every level (SSE2 has no vector `f64 -> i64` conversion).
    fn from_f64_quotient(q: f64) -> Self;
    /// True when `self / rhs` overflows (`MIN / -1` for signed integers).
    fn div_overflows(self, rhs: Self) -> bool;
}

/// The integer natives, which [`sum_int`](fn@crate::aggregate::sum_int) adds exactly.
pub trait NativeInt: Native {
    /// `(hi, lo)` with `value == hi * 2^32 + lo` and `lo` in `0..2^32`, so that sums of up
    /// to 2^30 values of each half fit in an `i64` and vectorize.
    fn split(self) -> (i64, i64);
    /// The value as an `i64`, wrapped (exact for all but `u64` values of `2^63` or more).
    fn to_i64_wrapping(self) -> i64;
}

/// The float natives.
pub trait NativeFloat: Native {}

/// `1.5 * 2^52`: adding it to an `f64` of magnitude at most `2^51` rounds it to an integer
/// held in the low mantissa bits.
const MAGIC: f64 = 6_755_399_441_055_744.0;

macro_rules! int_native {
    ($t:ty, $arrow:ty, $wide:ty, |$s:ident| $split:expr) => {
        impl sealed::Sealed for $t {}
        impl Native for $t {
            type Arrow = $arrow;
            type Key = $t;
            const KEY_MIN: $t = <$t>::MIN;
            const KEY_MAX: $t = <$t>::MAX;
            const ZERO: $t = 0;
            const ONE: $t = 1;
            const IS_FLOAT: bool = false;
            const BITS: u32 = <$t>::BITS;

            #[inline(always)]
            fn key(self) -> $t {
                self
            }
            #[inline(always)]
            fn from_key(key: $t) -> $t {
                key
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn hash_bits(self) -> u64 {
                self as $wide as u64
            }
            #[inline(always)]
            fn overflowing_add(self, rhs: $t) -> ($t, bool) {
                <$t>::overflowing_add(self, rhs)
            }
            #[inline(always)]
            fn overflowing_sub(self, rhs: $t) -> ($t, bool) {
                <$t>::overflowing_sub(self, rhs)
            }
            #[inline(always)]
            fn overflowing_mul(self, rhs: $t) -> ($t, bool) {
                <$t>::overflowing_mul(self, rhs)
            }
            #[inline(always)]
            fn overflowing_div(self, rhs: $t) -> ($t, bool) {
                // A zero divisor yields (0, false) instead of panicking; callers mask it.
                match <$t>::checked_div(self, rhs) {
                    Some(q) => (q, false),
                    None if rhs == 0 => (0, false),
                    None => (<$t>::wrapping_div(self, rhs), true),
                }
            }
            #[inline(always)]
            fn is_zero(self) -> bool {
                self == 0
            }
            #[inline(always)]
            fn small_int_key(self) -> u64 {
                if <$t>::BITS <= 32 {
                    0
                } else if <$t>::MIN == 0 {
                    // Below 2^52 iff v < 2^51.
                    (self as u64) | ((self as u64) << 1)
                } else {
                    // Below 2^52 iff -2^51 <= v < 2^51.
                    (self as u64).wrapping_add(1 << 51)
                }
            }
            #[inline(always)]
            fn to_f64_for_div(self) -> f64 {
                if <$t>::BITS <= 32 {
                    self as f64
                } else {
                    // 1.5 * 2^52 + v keeps the exponent of 2^52 for |v| <= 2^51, with v
                    // in the low mantissa bits.
                    f64::from_bits((self as u64).wrapping_add(MAGIC.to_bits())) - MAGIC
                }
            }
            #[inline(always)]
            fn from_f64_quotient(q: f64) -> $t {
                let sign = q.to_bits() & (1 << 63);
                let a = f64::from_bits(q.to_bits() ^ sign);
                // |q| + 1.5 * 2^52 rounds |q| to the nearest integer (in the low mantissa
                // bits); step down when that rounded up, for floor(|q|).
                let big = a + MAGIC;
                let down = if big - MAGIC > a { 1.0 } else { 0.0 };
                let t = f64::from_bits((big - down - MAGIC).to_bits() | sign);
                // trunc(q), exactly, back to an integer through the same magic number.
                ((t + MAGIC).to_bits() as i64).wrapping_sub(MAGIC.to_bits() as i64) as $t
            }
            #[inline(always)]
            fn div_overflows(self, rhs: $t) -> bool {
                <$t>::MIN != 0 && self == <$t>::MIN && rhs == (0 as $t).wrapping_sub(1)
            }
        }
        impl NativeInt for $t {
            #[inline(always)]
            fn split(self) -> (i64, i64) {
                let $s = self;
                $split
            }
            #[inline(always)]
            fn to_i64_wrapping(self) -> i64 {
                self as i64
            }
        }
    };
}

int_native!(i8, Int8Type, i64, |v| (0, v as i64));
int_native!(i16, Int16Type, i64, |v| (0, v as i64));
int_native!(i32, Int32Type, i64, |v| (0, v as i64));
int_native!(i64, Int64Type, i64, |v| (v >> 32, v & 0xFFFF_FFFF));
int_native!(u8, UInt8Type, u64, |v| (0, v as i64));
int_native!(u16, UInt16Type, u64, |v| (0, v as i64));
int_native!(u32, UInt32Type, u64, |v| (0, v as i64));
int_native!(u64, UInt64Type, u64, |v| (
    (v >> 32) as i64,
    (v & 0xFFFF_FFFF) as i64
));

macro_rules! float_native {
    ($t:ty, $arrow:ty, $key:ty, $ukey:ty, $bits:expr) => {
        impl sealed::Sealed for $t {}
        impl Native for $t {
            type Arrow = $arrow;
            type Key = $key;
            const KEY_MIN: $key = <$key>::MIN;
            const KEY_MAX: $key = <$key>::MAX;
            const ZERO: $t = 0.0;
            const ONE: $t = 1.0;
            const IS_FLOAT: bool = true;
            const BITS: u32 = $bits;

            #[inline(always)]
            fn key(self) -> $key {
                // The same transform as `total_cmp`.
                let k = self.to_bits() as $key;
                k ^ ((((k >> ($bits - 1)) as $ukey) >> 1) as $key)
            }
            #[inline(always)]
            fn from_key(key: $key) -> $t {
                // The transform is its own inverse (it never changes the sign bit).
                let k = key ^ ((((key >> ($bits - 1)) as $ukey) >> 1) as $key);
                <$t>::from_bits(k as $ukey)
            }
            #[inline(always)]
            fn to_f64(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn hash_bits(self) -> u64 {
                let f = self as f64;
                if f == 0.0 {
                    0
                } else if f.is_nan() {
                    f64::NAN.to_bits()
                } else {
                    f.to_bits()
                }
            }
            #[inline(always)]
            fn overflowing_add(self, rhs: $t) -> ($t, bool) {
                (self + rhs, false)
            }
            #[inline(always)]
            fn overflowing_sub(self, rhs: $t) -> ($t, bool) {
                (self - rhs, false)
            }
            #[inline(always)]
            fn overflowing_mul(self, rhs: $t) -> ($t, bool) {
                (self * rhs, false)
            }
            #[inline(always)]
            fn overflowing_div(self, rhs: $t) -> ($t, bool) {
                (self / rhs, false)
            }
            #[inline(always)]
            fn is_zero(self) -> bool {
                self == 0.0
            }
            #[inline(always)]
            fn small_int_key(self) -> u64 {
                u64::MAX
            }
            #[inline(always)]
            fn to_f64_for_div(self) -> f64 {
                self as f64
            }
            #[inline(always)]
            fn from_f64_quotient(q: f64) -> $t {
                q as $t
            }
            #[inline(always)]
            fn div_overflows(self, _rhs: $t) -> bool {
                false
            }
        }
        impl NativeFloat for $t {}
    };
}

float_native!(f32, Float32Type, i32, u32, 32);
float_native!(f64, Float64Type, i64, u64, 64);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_keys_follow_total_order() {
        let v = [
            f64::NEG_INFINITY,
            -1.5,
            -0.0,
            0.0,
            1e-300,
            2.0,
            f64::INFINITY,
            f64::NAN,
        ];
        for w in v.windows(2) {
            assert!(w[0].key() < w[1].key(), "{} {}", w[0], w[1]);
            assert_eq!(w[0].total_cmp(&w[1]), w[0].key().cmp(&w[1].key()));
        }
        for x in v {
            assert_eq!(f64::from_key(x.key()).to_bits(), x.to_bits());
            assert_eq!(
                f32::from_key((x as f32).key()).to_bits(),
                (x as f32).to_bits()
            );
        }
    }

    #[test]
    fn split_reassembles() {
        for v in [i64::MIN, -1, 0, 1, i64::MAX, 0x1234_5678_9abc_def0] {
            let (h, l) = v.split();
            assert_eq!(h as i128 * (1 << 32) + l as i128, v as i128);
        }
        for v in [0u64, u64::MAX, 1 << 40] {
            let (h, l) = v.split();
            assert_eq!(h as i128 * (1 << 32) + l as i128, v as i128);
        }
        assert_eq!(Native::overflowing_div(i32::MIN, -1), (i32::MIN, true));
        assert_eq!(Native::overflowing_div(7i32, 0), (0, false));
    }
}
