//! Integer division through `f64`: exact quotients at the edges of the range where that
//! path applies and outside it, for several types, at every CPU level.

use llkv_kernels::arith::ArithOp;
use llkv_kernels::{CpuLevel, KernelType};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Integer division runs through `f64` for blocks whose operands are in `-2^51..2^51`
/// and one value at a time otherwise: both must give the exact truncated quotient (and 0,
/// with the zero flag, for a zero divisor; the wrapped value, with the overflow flag, for
/// `MIN / -1`), at every CPU level, for arrays and for a scalar on either side.
fn division_one<T: KernelType + std::fmt::Debug>(values: &[T], divisors: &[T]) {
    use llkv_kernels::arith::{arith_arrays, arith_scalar};
    let want = |x: T, y: T| -> (T, bool) {
        if y.is_zero() {
            (T::ZERO, false)
        } else {
            x.overflowing_div(y)
        }
    };
    for level in CpuLevel::ALL {
        let mut out = Vec::new();
        let (of, zero) =
            arith_arrays::call_at::<T>(level, values, divisors, ArithOp::Div, &mut out);
        let mut want_of = false;
        for (i, (&x, &y)) in values.iter().zip(divisors).enumerate() {
            let (q, o) = want(x, y);
            want_of |= o;
            assert_eq!(out[i], q, "{level} {x:?} / {y:?}");
        }
        assert_eq!(of, want_of, "{level}");
        assert_eq!(zero, divisors.iter().any(|y| y.is_zero()), "{level}");
        for &s in divisors.iter().step_by(97).chain(values.iter().step_by(89)) {
            let (of, _) =
                arith_scalar::call_at::<T>(level, values, s, ArithOp::Div, false, &mut out);
            let mut want_of = false;
            for (&x, &q) in values.iter().zip(&out) {
                let (w, o) = want(x, s);
                want_of |= o;
                assert_eq!(q, w, "{level} {x:?} / {s:?}");
            }
            assert_eq!(of, want_of && !s.is_zero(), "{level} / {s:?}");
            let (of, zero) =
                arith_scalar::call_at::<T>(level, divisors, s, ArithOp::Div, true, &mut out);
            let mut want_of = false;
            for (&y, &q) in divisors.iter().zip(&out) {
                let (w, o) = want(s, y);
                want_of |= o;
                assert_eq!(q, w, "{level} {s:?} / {y:?}");
            }
            assert_eq!((of, zero), (want_of, divisors.iter().any(|y| y.is_zero())));
        }
    }
}

#[test]
fn integer_division_is_exact_in_and_out_of_the_f64_range() {
    let r = &mut StdRng::seed_from_u64(0x11c7_2024);
    const L: i64 = 1 << 51;
    // Magnitudes around the edges of the f64 range and of the types.
    let edges = [
        0,
        1,
        2,
        3,
        7,
        L - 3,
        L - 2,
        L - 1,
        L,
        L + 1,
        (1 << 52) - 1,
        1 << 52,
        1 << 53,
        i64::MAX,
    ];
    let draw = |r: &mut StdRng| -> i64 {
        match r.random_range(0..4) {
            0 => edges[r.random_range(0..edges.len())] * [1, -1][r.random_range(0..2)],
            1 => r.random_range(-L..L),
            2 => r.random_range(-1000..1000),
            _ => r.random(),
        }
    };
    // Long runs in range (the f64 path) with now and then a block that is not.
    let mut a: Vec<i64> = Vec::new();
    let mut b: Vec<i64> = Vec::new();
    for block in 0..40 {
        for _ in 0..256 {
            let in_range = block % 3 != 2;
            let (x, y) = if in_range {
                (
                    r.random_range(-L..L),
                    r.random_range(-L..L) >> r.random_range(0..52),
                )
            } else {
                (draw(r), draw(r) >> r.random_range(0..64))
            };
            a.push(x);
            b.push(y);
        }
    }
    a.extend([i64::MIN, i64::MIN, -L, L - 1, -L, L - 1, 5, -5, L - 1]);
    b.extend([-1, 1, -1, -1, 3, 3, 0, 0, L - 2]);
    division_one::<i64>(&a, &b);
    let u: Vec<u64> = a
        .iter()
        .map(|&v| v as u64 >> r.random_range(0..2))
        .collect();
    let v: Vec<u64> = b
        .iter()
        .map(|&v| (v as u64) >> r.random_range(12..64))
        .collect();
    division_one::<u64>(&u, &v);
    // Narrow types always take the f64 path; MIN / -1 wraps and flags overflow.
    let a32: Vec<i32> = a
        .iter()
        .map(|&v| (v >> 20) as i32)
        .chain([i32::MIN, i32::MIN, 7])
        .collect();
    let b32: Vec<i32> = b
        .iter()
        .map(|&v| (v >> 40) as i32)
        .chain([-1, 2, 0])
        .collect();
    division_one::<i32>(&a32, &b32);
    let u32s: Vec<u32> = a.iter().map(|&v| v as u32).collect();
    let v32: Vec<u32> = b
        .iter()
        .map(|&v| (v as u32) >> r.random_range(0..32))
        .collect();
    division_one::<u32>(&u32s, &v32);
    let a8: Vec<i8> = a.iter().map(|&v| v as i8).chain([i8::MIN]).collect();
    let b8: Vec<i8> = b.iter().map(|&v| (v >> 60) as i8).chain([-1]).collect();
    division_one::<i8>(&a8, &b8);
    let a16: Vec<u16> = a.iter().map(|&v| v as u16).collect();
    let b16: Vec<u16> = b.iter().map(|&v| (v as u16) >> 9).collect();
    division_one::<u16>(&a16, &b16);
}
