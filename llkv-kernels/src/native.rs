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
}

/// The integer natives, which [`sum_int`](fn@crate::aggregate::sum_int) adds exactly.
pub trait NativeInt: Native {
    /// `(hi, lo)` with `value == hi * 2^32 + lo` and `lo` in `0..2^32`, so that sums of up
    /// to 2^30 values of each half fit in an `i64` and vectorize.
    fn split(self) -> (i64, i64);
}

/// The float natives.
pub trait NativeFloat: Native {}

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
        }
        impl NativeInt for $t {
            #[inline(always)]
            fn split(self) -> (i64, i64) {
                let $s = self;
                $split
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
