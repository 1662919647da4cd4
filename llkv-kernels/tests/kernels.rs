//! Every kernel against `arrow::compute` (or a scalar reference where Arrow's semantics
//! differ on purpose), for all ten types, with and without NULLs, on sliced arrays, with a
//! fixed-seed RNG; and every CPU level against the baseline.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, AsArray, BooleanArray, Date32Array, Float64Array, Int32Array, Int64Array,
    PrimitiveArray, RecordBatch, Scalar, StringArray, UInt32Array,
};
use arrow::compute::kernels::{cmp, numeric};
use arrow::datatypes::{
    ArrowPrimitiveType, Float32Type, Float64Type, Int8Type, Int16Type, Int32Type, Int64Type,
    UInt8Type, UInt16Type, UInt32Type, UInt64Type,
};
use arrow::error::ArrowError;
use llkv_kernels::aggregate::{self, SumValue};
use llkv_kernels::arith::{self, ArithOp, ArithOptions, DivZeroPolicy, OverflowPolicy};
use llkv_kernels::compare::{self, CmpOp};
use llkv_kernels::{CpuLevel, KernelError, KernelType, fused, hash, select};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// How tests draw values of a type.
trait Draw: KernelType {
    /// `small`: from a handful of values, so equal values and ties are common.
    fn draw(r: &mut StdRng, small: bool) -> Self;
    fn to_f64_exact(self) -> f64;
    fn to_i128(self) -> i128;
    /// `arrow::compute::sum` (checked for integers), as `f64`.
    fn arrow_sum(a: &PrimitiveArray<Self::Arrow>) -> Option<f64>;
}

macro_rules! draw_int {
    ($($t:ty),*) => {$(
        impl Draw for $t {
            fn draw(r: &mut StdRng, small: bool) -> Self {
                if small { r.random_range(0..6) as $t } else { r.random() }
            }
            fn to_f64_exact(self) -> f64 { self as f64 }
            fn to_i128(self) -> i128 { self as i128 }
            fn arrow_sum(a: &PrimitiveArray<Self::Arrow>) -> Option<f64> {
                arrow::compute::sum_checked(a).ok().flatten().map(|v| v as f64)
            }
        }
    )*};
}
draw_int!(i8, i16, i32, i64, u8, u16, u32, u64);

macro_rules! draw_float {
    ($($t:ty),*) => {$(
        impl Draw for $t {
            fn draw(r: &mut StdRng, small: bool) -> Self {
                if small {
                    [-1.0, -0.0, 0.0, 1.0, 2.5, 1000.0][r.random_range(0..6)]
                } else if r.random_bool(0.01) {
                    [<$t>::INFINITY, <$t>::NEG_INFINITY, <$t>::MAX][r.random_range(0..3)]
                } else {
                    r.random_range(-1000.0..1000.0)
                }
            }
            fn to_f64_exact(self) -> f64 { self as f64 }
            fn to_i128(self) -> i128 { self as i128 }
            fn arrow_sum(a: &PrimitiveArray<Self::Arrow>) -> Option<f64> {
                arrow::compute::sum(a).map(|v| v as f64)
            }
        }
    )*};
}
draw_float!(f32, f64);

fn rng() -> StdRng {
    StdRng::seed_from_u64(0x11c7_2024)
}

/// A random array of `len` values, sliced out of a larger one at a random offset.
fn array<T: Draw>(
    r: &mut StdRng,
    len: usize,
    null_rate: f64,
    small: bool,
) -> PrimitiveArray<T::Arrow> {
    let off = r.random_range(0..70);
    let total = off + len + r.random_range(0..10);
    let a: PrimitiveArray<T::Arrow> = (0..total)
        .map(|_| {
            let v = T::draw(r, small);
            (!r.random_bool(null_rate)).then_some(v)
        })
        .collect();
    a.slice(off, len)
}

/// The shapes every test runs: (length, NULL rate, small values).
fn shapes(r: &mut StdRng) -> Vec<(usize, f64, bool)> {
    let mut v = vec![
        (0, 0.0, false),
        (1, 0.0, true),
        (64, 0.0, false),
        (1000, 0.3, true),
    ];
    for _ in 0..6 {
        let len = r.random_range(0..300);
        let null_rate = [0.0, 0.1, 0.5, 1.0][r.random_range(0..4)];
        v.push((len, null_rate, r.random_bool(0.5)));
    }
    v.push((5000, 0.05, false));
    v
}

macro_rules! for_all_types {
    ($f:ident) => {
        $f::<i8>();
        $f::<i16>();
        $f::<i32>();
        $f::<i64>();
        $f::<u8>();
        $f::<u16>();
        $f::<u32>();
        $f::<u64>();
        $f::<f32>();
        $f::<f64>();
    };
}

fn arrow_cmp(l: &dyn arrow::array::Datum, r: &dyn arrow::array::Datum, op: CmpOp) -> BooleanArray {
    match op {
        CmpOp::Eq => cmp::eq(l, r),
        CmpOp::NotEq => cmp::neq(l, r),
        CmpOp::Lt => cmp::lt(l, r),
        CmpOp::LtEq => cmp::lt_eq(l, r),
        CmpOp::Gt => cmp::gt(l, r),
        CmpOp::GtEq => cmp::gt_eq(l, r),
    }
    .expect("arrow cmp")
}

fn compare_one<T: Draw>() {
    let r = &mut rng();
    for (len, nr, small) in shapes(r) {
        let a = array::<T>(r, len, nr, small);
        let b = array::<T>(r, len, nr, small);
        let s = T::draw(r, small);
        let s_arr = PrimitiveArray::<T::Arrow>::from_iter_values([s]);
        for op in CmpOp::ALL {
            let want = arrow_cmp(&a, &Scalar::new(&s_arr), op);
            let got = compare::compare_scalar(&a, &s_arr, op).expect("compare_scalar");
            assert_eq!(got, want, "{:?} {op:?} len {len}", T::Arrow::DATA_TYPE);
            // Scalar on the left goes through flip().
            let want = arrow_cmp(&Scalar::new(&s_arr), &a, op);
            let got = compare::compare_datum(&Scalar::new(&s_arr), &a, op).expect("datum");
            assert_eq!(got, want);
            let want = arrow_cmp(&a, &b, op);
            assert_eq!(compare::compare(&a, &b, op).expect("compare"), want);
            assert_eq!(compare::compare_datum(&a, &b, op).expect("datum"), want);
        }
        // NULL scalar: all NULL.
        let null = [None::<T>]
            .into_iter()
            .collect::<PrimitiveArray<T::Arrow>>();
        let got = compare::compare_scalar(&a, &null, CmpOp::Eq).expect("null scalar");
        assert_eq!(got.null_count(), len);
    }
}

#[test]
fn compare_matches_arrow() {
    for_all_types!(compare_one);
}

#[test]
fn compare_nan_follows_total_order() {
    let a = Float64Array::from(vec![f64::NAN, 1.0, -0.0, 0.0, f64::INFINITY]);
    for s in [f64::NAN, 0.0, -0.0, f64::INFINITY] {
        let sa = Float64Array::from(vec![s]);
        for op in CmpOp::ALL {
            assert_eq!(
                compare::compare_scalar(&a, &sa, op).expect("cmp"),
                arrow_cmp(&a, &Scalar::new(&sa), op)
            );
        }
    }
}

#[test]
fn compare_datum_falls_back_for_other_types() {
    let a = StringArray::from(vec![Some("a"), None, Some("c")]);
    let s = StringArray::from(vec!["b"]);
    let got = compare::compare_datum(&a, &Scalar::new(&s), CmpOp::Lt).expect("fallback");
    assert_eq!(got, cmp::lt(&a, &Scalar::new(&s)).expect("arrow"));
    assert!(matches!(
        compare::compare_scalar(&a, &s, CmpOp::Lt),
        Err(KernelError::UnsupportedType { .. })
    ));
    let i = Int32Array::from(vec![1]);
    assert!(matches!(
        compare::compare(&Int32Array::from(vec![1, 2]), &i, CmpOp::Eq),
        Err(KernelError::LengthMismatch { .. })
    ));
}

fn random_mask(r: &mut StdRng, len: usize) -> BooleanArray {
    let off = r.random_range(0..9);
    let sel = [0.0, 0.05, 0.5, 0.97, 1.0][r.random_range(0..5)];
    let nulls = r.random_bool(0.3);
    let m: BooleanArray = (0..len + off)
        .map(|_| (!(nulls && r.random_bool(0.2))).then(|| r.random_bool(sel)))
        .collect();
    m.slice(off, len)
}

fn filter_take_one<T: Draw>() {
    let r = &mut rng();
    for (len, nr, small) in shapes(r) {
        let a = array::<T>(r, len, nr, small);
        let m = random_mask(r, len);
        let want = arrow::compute::filter(&a, &m).expect("arrow filter");
        let got = select::filter(&a, &m).expect("filter");
        assert_eq!(
            got.as_ref(),
            want.as_ref(),
            "{:?} len {len}",
            T::Arrow::DATA_TYPE
        );
        let typed = select::filter_typed::<T>(&a, &m).expect("typed");
        assert_eq!(&typed as &dyn Array, want.as_ref());

        let idx: UInt32Array = (0..len * 2)
            .map(|_| (len > 0 && !r.random_bool(0.1)).then(|| r.random_range(0..len.max(1) as u32)))
            .collect();
        let want = arrow::compute::take(&a, &idx, None).expect("arrow take");
        let got = select::take(&a, &idx).expect("take");
        assert_eq!(got.as_ref(), want.as_ref());
        let bad = UInt32Array::from(vec![len as u32]);
        assert!(matches!(
            select::take(&a, &bad),
            Err(KernelError::IndexOutOfBounds { .. })
        ));
    }
}

#[test]
fn filter_and_take_match_arrow() {
    for_all_types!(filter_take_one);
}

/// Filters of a million 8-byte values, larger than the caches: every density, value slices
/// at odd offsets (so the output's alignment moves), masks with runs of empty and full words.
#[test]
fn large_filters_match_arrow() {
    let r = &mut rng();
    let base: Int64Array = (0..1_200_000u32)
        .map(|i| (i % 97 != 0).then(|| r.random::<i64>()))
        .collect();
    let floats: Float64Array = (0..1_200_000u32)
        .map(|i| Some(f64::from(i) * 0.5))
        .collect();
    for (off, sel) in [(0, 0.5), (1, 0.97), (3, 1.0), (5, 0.3), (7, 0.75)] {
        let len = 1_100_000 - off * 1000;
        let a = base.slice(off, len);
        let f = floats.slice(off, len);
        let m: BooleanArray = (0..len)
            .map(|i| {
                // Stretches of empty and full words between random ones.
                let block = (i / 4096) % 5;
                Some(match block {
                    0 => false,
                    1 => true,
                    _ => r.random_bool(sel),
                })
            })
            .collect();
        let want = arrow::compute::filter(&a, &m).expect("arrow");
        let got = select::filter(&a, &m).expect("filter");
        assert_eq!(got.as_ref(), want.as_ref(), "i64 off {off} sel {sel}");
        let want = arrow::compute::filter(&f, &m).expect("arrow");
        let got = select::filter(&f, &m).expect("filter");
        assert_eq!(got.as_ref(), want.as_ref(), "f64 off {off} sel {sel}");
    }
}

#[test]
fn take_past_end_is_an_error_only_under_a_valid_index() {
    let r = &mut rng();
    let with_nulls: PrimitiveArray<Int64Type> =
        (0..300).map(|i| (i % 3 != 0).then_some(i * 10)).collect();
    let without: PrimitiveArray<Int64Type> = (0..300).map(|i| Some(i * 10)).collect();
    for a in [with_nulls.slice(5, 290), without.slice(5, 290)] {
        // A NULL index may hold any value, past the end too.
        let raw: Vec<u32> = (0..700).map(|_| r.random_range(0..290)).collect();
        let valid: Vec<bool> = (0..700).map(|i| i % 11 != 0).collect();
        let past: Vec<u32> = raw
            .iter()
            .zip(&valid)
            .map(|(&x, &v)| if v { x } else { 1000 + x })
            .collect();
        let idx = UInt32Array::new(past.into(), Some(valid.clone().into()));
        let got = select::take(&a, &idx).expect("NULL indices past the end are fine");
        let clean = UInt32Array::new(raw.into(), Some(valid.into()));
        let want = arrow::compute::take(&a, &clean, None).expect("arrow take");
        assert_eq!(got.as_ref(), want.as_ref());
        let bad = UInt32Array::from(vec![Some(1), None, Some(290)]);
        assert!(matches!(
            select::take(&a, &bad),
            Err(KernelError::IndexOutOfBounds {
                index: 290,
                len: 290
            })
        ));
    }
    // The gather with validity at every CPU level.
    let vals = with_nulls.values().as_ref();
    let valid = llkv_kernels::bitmap::valid_words(with_nulls.nulls()).expect("nulls");
    let idx: Vec<u32> = (0..1000).map(|_| r.random_range(0..310)).collect();
    let run = |level| {
        let mut out = Vec::new();
        let mut words = vec![0u64; idx.len().div_ceil(64)];
        let past =
            select::take_valid::call_at::<i64>(level, vals, &valid, &idx, &mut out, &mut words);
        (past, out, words)
    };
    let (past, out, words) = run(CpuLevel::Baseline);
    assert!(past);
    for (k, &i) in idx.iter().enumerate() {
        let i = i as usize;
        let bit = words[k / 64] >> (k % 64) & 1 == 1;
        assert_eq!(bit, i < 300 && with_nulls.is_valid(i), "{k}");
        assert_eq!(out[k], if i < 300 { vals[i] } else { 0 });
    }
    for level in CpuLevel::ALL {
        assert_eq!(run(level), (past, out.clone(), words.clone()), "{level}");
    }
}

#[test]
fn filter_and_take_other_types() {
    let r = &mut rng();
    let d: Date32Array = (0..500).map(|i| (i % 7 != 0).then_some(i * 3)).collect();
    let d = d.slice(3, 400);
    let s: StringArray = (0..400)
        .map(|i| (i % 5 != 0).then(|| format!("s{i}")))
        .collect();
    let m = random_mask(r, 400);
    for a in [Arc::new(d) as ArrayRef, Arc::new(s)] {
        assert_eq!(
            select::filter(&a, &m).expect("filter").as_ref(),
            arrow::compute::filter(&a, &m).expect("arrow").as_ref()
        );
        let idx = UInt32Array::from(vec![Some(5), None, Some(399), Some(0)]);
        assert_eq!(
            select::take(&a, &idx).expect("take").as_ref(),
            arrow::compute::take(&a, &idx, None)
                .expect("arrow")
                .as_ref()
        );
    }
    let batch = RecordBatch::try_from_iter([
        ("a", Arc::new(Int32Array::from_iter(0..400)) as ArrayRef),
        (
            "b",
            Arc::new(StringArray::from_iter_values(
                (0..400).map(|i| i.to_string()),
            )),
        ),
    ])
    .expect("batch");
    assert_eq!(
        select::filter_record_batch(&batch, &m).expect("batch"),
        arrow::compute::filter_record_batch(&batch, &m).expect("arrow")
    );
}

/// (left, right, arrow left, arrow right) of one arithmetic case.
type Case<'a> = (
    &'a dyn arrow::array::Datum,
    &'a dyn arrow::array::Datum,
    &'a dyn arrow::array::Datum,
    &'a dyn arrow::array::Datum,
);

fn arrow_arith(
    op: ArithOp,
    a: &dyn arrow::array::Datum,
    b: &dyn arrow::array::Datum,
) -> Result<ArrayRef, ArrowError> {
    match op {
        ArithOp::Add => numeric::add(a, b),
        ArithOp::Sub => numeric::sub(a, b),
        ArithOp::Mul => numeric::mul(a, b),
        ArithOp::Div => numeric::div(a, b),
    }
}

/// `b` with its zero values made NULL (what `DivZeroPolicy::Null` yields).
fn null_zeros<T: Draw>(b: &PrimitiveArray<T::Arrow>) -> PrimitiveArray<T::Arrow> {
    b.iter().map(|v| v.filter(|x| !x.is_zero())).collect()
}

fn arith_one<T: Draw>() {
    let r = &mut rng();
    for (len, nr, small) in shapes(r) {
        let a = array::<T>(r, len, nr, small);
        let b = array::<T>(r, len, nr, small);
        let s = T::draw(r, small);
        let s_arr = PrimitiveArray::<T::Arrow>::from_iter_values([s]);
        for op in ArithOp::ALL {
            let (b_ref, s_ref) = if op == ArithOp::Div {
                (null_zeros::<T>(&b), null_zeros::<T>(&s_arr))
            } else {
                (b.clone(), s_arr.clone())
            };
            let cases: [Case<'_>; 3] = [
                (&a, &b, &a, &b_ref),
                (&a, &Scalar::new(&s_arr), &a, &Scalar::new(&s_ref)),
                (&Scalar::new(&s_arr), &a, &Scalar::new(&s_arr), &a),
            ];
            for (case, (l, rr, wl, wr)) in cases.into_iter().enumerate() {
                if op == ArithOp::Div && case == 2 {
                    // Zeros in the divisor array: compare against a nulled copy.
                    let a_ref = null_zeros::<T>(&a);
                    let want = arrow_arith(op, &Scalar::new(&s_arr), &a_ref);
                    check_arith::<T>(
                        op,
                        arith::arith_datum(l, rr, op, ArithOptions::default()),
                        want,
                        len,
                    );
                    continue;
                }
                let want = arrow_arith(op, wl, wr);
                let got = arith::arith_datum(l, rr, op, ArithOptions::default());
                check_arith::<T>(op, got, want, len);
                // Promotion: the float result of every row.
                let got = arith::arith_datum(
                    l,
                    rr,
                    op,
                    ArithOptions {
                        overflow: OverflowPolicy::PromoteToFloat,
                        ..Default::default()
                    },
                )
                .expect("promote never fails");
                if got.data_type() == &arrow::datatypes::DataType::Float64 && !T::IS_FLOAT {
                    let (la, _) = l.get();
                    let (ra, _) = rr.get();
                    let g = got.as_primitive::<Float64Type>();
                    for i in 0..g.len() {
                        if g.is_valid(i) {
                            let x = la.as_primitive::<T::Arrow>().value(if la.len() == 1 {
                                0
                            } else {
                                i
                            });
                            let y = ra.as_primitive::<T::Arrow>().value(if ra.len() == 1 {
                                0
                            } else {
                                i
                            });
                            assert_eq!(
                                g.value(i),
                                op.apply_f64(x.to_f64_exact(), y.to_f64_exact())
                            );
                        }
                    }
                }
            }
        }
    }
}

fn check_arith<T: Draw>(
    op: ArithOp,
    got: llkv_kernels::Result<ArrayRef>,
    want: Result<ArrayRef, ArrowError>,
    len: usize,
) {
    match (got, want) {
        (Ok(g), Ok(w)) => {
            if T::IS_FLOAT && op == ArithOp::Div {
                // Same values; arrow has no NULL for x/0.0 (we compared on nulled zeros).
                assert_eq!(g.len(), w.len());
            }
            assert_eq!(
                g.as_ref(),
                w.as_ref(),
                "{:?} {op:?} len {len}",
                T::Arrow::DATA_TYPE
            );
        }
        (Err(KernelError::Overflow { .. }), Err(ArrowError::ArithmeticOverflow(_))) => {}
        (g, w) => panic!("{:?} {op:?}: llkv {g:?} arrow {w:?}", T::Arrow::DATA_TYPE),
    }
}

#[test]
fn arithmetic_matches_arrow_checked() {
    for_all_types!(arith_one);
}

#[test]
fn arithmetic_sql_rules() {
    let a = arrow::array::Int64Array::from(vec![Some(i64::MAX), Some(1), None]);
    let b = arrow::array::Int64Array::from(vec![Some(1), Some(0), Some(5)]);
    let err = arith::arith(&a, &b, ArithOp::Add, ArithOptions::default());
    assert!(
        matches!(err, Err(KernelError::Overflow { op: "+" })),
        "{err:?}"
    );
    let p = arith::arith(
        &a,
        &b,
        ArithOp::Add,
        ArithOptions::new(
            llkv_traits::IntegerOverflow::PromoteToFloat,
            llkv_traits::DivisionByZero::Null,
        ),
    )
    .expect("promote");
    let p = p.as_primitive::<Float64Type>();
    assert_eq!(p.value(0), i64::MAX as f64 + 1.0);
    assert!(p.is_null(2));
    // Overflow under a NULL does not count.
    let c = arrow::array::Int64Array::from(vec![Some(1), None]);
    let d = arrow::array::Int64Array::from(vec![Some(1), Some(i64::MAX)]);
    let mut cd = arrow::array::Int64Array::from(vec![Some(1), Some(i64::MAX)])
        .into_data()
        .into_builder();
    cd = cd.nulls(c.nulls().cloned());
    let c2 = arrow::array::Int64Array::from(cd.build().expect("data"));
    assert!(arith::arith(&c2, &d, ArithOp::Add, ArithOptions::default()).is_ok());
    // Division by zero: NULL, or an error.
    let q = arith::arith(&a, &b, ArithOp::Div, ArithOptions::default()).expect("div");
    assert_eq!(
        q.as_primitive::<Int64Type>().iter().collect::<Vec<_>>(),
        [Some(i64::MAX), None, None]
    );
    let e = arith::arith(
        &a,
        &b,
        ArithOp::Div,
        ArithOptions {
            div_by_zero: DivZeroPolicy::Error,
            ..Default::default()
        },
    );
    assert!(matches!(e, Err(KernelError::DivisionByZero)));
    // MIN / -1 overflows.
    let m = arrow::array::Int32Array::from(vec![i32::MIN]);
    let n1 = arrow::array::Int32Array::from(vec![-1]);
    assert!(matches!(
        arith::arith(&m, &n1, ArithOp::Div, ArithOptions::default()),
        Err(KernelError::Overflow { op: "/" })
    ));
    let f = arith::arith(
        &m,
        &n1,
        ArithOp::Div,
        ArithOptions {
            overflow: OverflowPolicy::PromoteToFloat,
            ..Default::default()
        },
    )
    .expect("promote");
    assert_eq!(f.as_primitive::<Float64Type>().value(0), 2147483648.0);
    // Truncation toward zero.
    let t = arith::arith(
        &Int32Array::from(vec![-7]),
        &Int32Array::from(vec![2]),
        ArithOp::Div,
        ArithOptions::default(),
    )
    .expect("div");
    assert_eq!(t.as_primitive::<Int32Type>().value(0), -3);
    // Float division by zero is NULL too.
    let z = arith::arith(
        &Float64Array::from(vec![1.0]),
        &Float64Array::from(vec![0.0]),
        ArithOp::Div,
        ArithOptions::default(),
    )
    .expect("div");
    assert!(z.is_null(0));
    // Unsupported types say so.
    let s = StringArray::from(vec!["a"]);
    assert!(matches!(
        arith::arith(&s, &s, ArithOp::Add, ArithOptions::default()),
        Err(KernelError::UnsupportedType { .. })
    ));
}

fn reference_sum<T: Draw>(a: &PrimitiveArray<T::Arrow>) -> Option<SumValue> {
    let valid: Vec<T> = a.iter().flatten().collect();
    if valid.is_empty() {
        None
    } else if T::IS_FLOAT {
        Some(SumValue::Float(
            valid.iter().map(|v| v.to_f64_exact()).sum(),
        ))
    } else {
        Some(SumValue::Int(valid.iter().map(|v| v.to_i128()).sum()))
    }
}

fn close(a: f64, b: f64) -> bool {
    a == b || (a - b).abs() <= 1e-9 * (a.abs().max(b.abs()).max(1.0)) || (a.is_nan() && b.is_nan())
}

fn aggregate_one<T: Draw>() {
    let r = &mut rng();
    for (len, nr, small) in shapes(r) {
        let a = array::<T>(r, len, nr, small);
        match (aggregate::sum(&a).expect("sum"), reference_sum::<T>(&a)) {
            (Some(SumValue::Float(g)), Some(SumValue::Float(w))) => {
                assert!(close(g, w), "{g} vs {w}");
                if let Some(arrow_sum) = T::arrow_sum(&a) {
                    // Arrow adds f32 in f32; we add in f64.
                    let tol = if std::mem::size_of::<T>() == 4 {
                        1e-4
                    } else {
                        1e-9
                    };
                    let ok = (g - arrow_sum).abs() <= tol * g.abs().max(arrow_sum.abs()).max(1.0);
                    assert!(
                        ok || g.is_infinite() || g.is_nan(),
                        "{g} vs arrow {arrow_sum:?}"
                    );
                }
            }
            (g, w) => {
                assert_eq!(g, w);
                if let (Some(SumValue::Int(g)), Some(arrow_sum)) = (g, T::arrow_sum(&a)) {
                    assert_eq!(g as f64, arrow_sum);
                }
            }
        }
        let (mn, mx) = (aggregate::min_typed::<T>(&a), aggregate::max_typed::<T>(&a));
        let (amn, amx) = (arrow::compute::min(&a), arrow::compute::max(&a));
        assert_eq!(
            mn.map(|v| v.to_f64_exact()),
            amn.map(|v| v.to_f64_exact()),
            "min {:?}",
            T::Arrow::DATA_TYPE
        );
        assert_eq!(
            mx.map(|v| v.to_f64_exact()),
            amx.map(|v| v.to_f64_exact()),
            "max"
        );
        let dm = aggregate::min(&a).expect("min");
        assert_eq!(dm.len(), 1);
        assert_eq!(dm.is_null(0), mn.is_none());
        assert_eq!(aggregate::max(&a).expect("max").is_null(0), mx.is_none());
        assert_eq!(aggregate::count(&a), len - a.null_count());
    }
}

#[test]
fn aggregates_match_reference() {
    for_all_types!(aggregate_one);
}

#[test]
fn integer_sums_are_exact() {
    let a = arrow::array::Int64Array::from(vec![i64::MAX; 10]);
    assert_eq!(
        aggregate::sum(&a).expect("sum"),
        Some(SumValue::Int(i64::MAX as i128 * 10))
    );
    let u = arrow::array::UInt64Array::from(vec![u64::MAX; 3]);
    assert_eq!(
        aggregate::sum(&u).expect("sum"),
        Some(SumValue::Int(u64::MAX as i128 * 3))
    );
    let n = arrow::array::Int64Array::from(vec![None::<i64>; 3]);
    assert_eq!(aggregate::sum(&n).expect("sum"), None);
}

fn fused_one<T: Draw>() {
    let r = &mut rng();
    for (len, nr, small) in shapes(r) {
        let a = array::<T>(r, len, nr, small);
        let s = T::draw(r, small);
        let s_arr = PrimitiveArray::<T::Arrow>::from_iter_values([s]);
        for op in CmpOp::ALL {
            let mask = arrow_cmp(&a, &Scalar::new(&s_arr), op);
            let want = arrow::compute::filter(&a, &mask).expect("filter");
            let got = fused::filter_cmp(&a, &s_arr, op).expect("filter_cmp");
            assert_eq!(got.len(), want.len());
            assert_eq!(
                got.as_primitive::<T::Arrow>().values(),
                want.as_primitive::<T::Arrow>().values()
            );
            assert_eq!(
                fused::count_cmp(&a, &s_arr, op).expect("count"),
                mask.true_count()
            );
            let idx = fused::select_cmp(&a, &s_arr, op).expect("select");
            let want_idx: Vec<u32> = mask
                .iter()
                .enumerate()
                .filter(|(_, m)| *m == Some(true))
                .map(|(i, _)| i as u32)
                .collect();
            assert_eq!(idx.values().as_ref(), want_idx.as_slice());
            let sum = fused::sum_cmp(&a, &s_arr, op).expect("sum_cmp");
            let want_sum = reference_sum::<T>(want.as_primitive::<T::Arrow>());
            match (sum, want_sum) {
                (Some(SumValue::Float(g)), Some(SumValue::Float(w))) => {
                    assert!(close(g, w), "{g} {w}")
                }
                (g, w) => assert_eq!(g, w),
            }
        }
    }
}

#[test]
fn fused_kernels_match_composed_arrow() {
    for_all_types!(fused_one);
}

fn hash_one<T: Draw>() {
    let r = &mut rng();
    for (len, nr, small) in shapes(r) {
        let a = array::<T>(r, len, nr, small);
        let h = hash::hash_columns(&[Arc::new(a.clone()) as ArrayRef]).expect("hash");
        assert_eq!(h.len(), len);
        for (i, hi) in h.iter().enumerate() {
            let bits = if a.is_null(i) {
                hash::NULL_BITS
            } else {
                a.value(i).hash_bits()
            };
            assert_eq!(*hi, hash::combine(hash::SEED, bits));
        }
        // Equal values (and NULLs) hash equal wherever they sit.
        let copy: PrimitiveArray<T::Arrow> = a.iter().collect();
        assert_eq!(
            hash::hash_columns(&[Arc::new(copy) as ArrayRef]).expect("hash"),
            h
        );
    }
}

#[test]
fn hashes_are_consistent() {
    for_all_types!(hash_one);
    // Integers of any width and floats of either width agree on equal values.
    let i8s: ArrayRef = Arc::new(arrow::array::Int8Array::from(vec![Some(-1), None, Some(3)]));
    let i64s: ArrayRef = Arc::new(arrow::array::Int64Array::from(vec![
        Some(-1),
        None,
        Some(3),
    ]));
    assert_eq!(
        hash::hash_columns(&[i8s]).expect("h"),
        hash::hash_columns(std::slice::from_ref(&i64s)).expect("h")
    );
    let f32s: ArrayRef = Arc::new(arrow::array::Float32Array::from(vec![
        -0.0f32,
        1.5,
        f32::NAN,
    ]));
    let f64s: ArrayRef = Arc::new(Float64Array::from(vec![0.0, 1.5, -f64::NAN]));
    assert_eq!(
        hash::hash_columns(&[f32s]).expect("h"),
        hash::hash_columns(&[f64s]).expect("h")
    );
    // Several columns: the row hash combines them in order; text works.
    let s: ArrayRef = Arc::new(StringArray::from(vec![Some("a"), Some("b"), None]));
    let both = hash::hash_columns(&[i64s.clone(), s.clone()]).expect("h");
    let swapped = hash::hash_columns(&[s.clone(), i64s]).expect("h");
    assert_ne!(both, swapped);
    let sliced: ArrayRef =
        Arc::new(StringArray::from(vec![Some("x"), Some("a"), Some("b"), None]).slice(1, 3));
    assert_eq!(
        hash::hash_columns(&[sliced]).expect("h"),
        hash::hash_columns(&[s]).expect("h")
    );
    let bad: ArrayRef = Arc::new(arrow::array::ListArray::new_null(
        Arc::new(arrow::datatypes::Field::new(
            "x",
            arrow::datatypes::DataType::Int32,
            true,
        )),
        3,
    ));
    assert!(matches!(
        hash::hash_columns(&[bad]),
        Err(KernelError::UnsupportedType { .. })
    ));
}

/// Every CPU level computes the same result as the baseline copy.
fn levels_one<T: Draw>() {
    use llkv_kernels::aggregate::min_max;
    use llkv_kernels::arith::arith_arrays;
    use llkv_kernels::compare::{cmp_arrays, cmp_scalar};
    use llkv_kernels::fused::{count_cmp_values, filter_cmp_values};
    use llkv_kernels::hash::hash_values;
    use llkv_kernels::select::filter_words;
    let r = &mut rng();
    for (len, nr, small) in shapes(r) {
        let a = array::<T>(r, len, nr, small);
        let b = array::<T>(r, len, nr, small);
        let (av, bv) = (a.values().as_ref(), b.values().as_ref());
        let valid = a
            .nulls()
            .map(|n| llkv_kernels::bitmap::words(n.inner()).into_owned());
        let valid = valid.as_deref();
        let s = T::draw(r, small);
        let words = len.div_ceil(64);
        let run = |level: CpuLevel| {
            let mut w1 = vec![0u64; words];
            cmp_scalar::call_at::<T>(level, av, s, CmpOp::LtEq, &mut w1);
            let mut w2 = vec![0u64; words];
            cmp_arrays::call_at::<T>(level, av, bv, CmpOp::NotEq, &mut w2);
            let mut f = Vec::new();
            filter_words::call_at::<T>(level, av, &w1, &mut f);
            let mut ar = Vec::new();
            let of = arith_arrays::call_at::<T>(level, av, bv, ArithOp::Mul, &mut ar);
            let mm = (
                min_max::call_at::<T>(level, av, valid, false),
                min_max::call_at::<T>(level, av, valid, true),
            );
            let mut fc = Vec::new();
            filter_cmp_values::call_at::<T>(level, av, valid, s, CmpOp::Gt, &mut fc);
            let cc = count_cmp_values::call_at::<T>(level, av, valid, s, CmpOp::Eq);
            let mut h = vec![hash::SEED; len];
            hash_values::call_at::<T>(level, av, valid, &mut h);
            let bits = |v: &[T]| v.iter().map(|x| x.hash_bits()).collect::<Vec<_>>();
            (
                w1,
                w2,
                bits(&f),
                bits(&ar),
                of,
                (mm.0.hash_bits(), mm.1.hash_bits()),
                bits(&fc),
                cc,
                h,
            )
        };
        let base = run(CpuLevel::Baseline);
        for level in CpuLevel::ALL {
            assert_eq!(run(level), base, "{level} {:?}", T::Arrow::DATA_TYPE);
        }
    }
}

#[test]
fn every_cpu_level_matches_baseline() {
    eprintln!("detected: {}", llkv_kernels::cpu::detected());
    for_all_types!(levels_one);
    // Sums: the integer and float kernels too.
    let r = &mut rng();
    let a = array::<i64>(r, 3000, 0.1, false);
    let f = array::<f64>(r, 3000, 0.1, false);
    let va = a
        .nulls()
        .map(|n| llkv_kernels::bitmap::words(n.inner()).into_owned());
    let vf = f
        .nulls()
        .map(|n| llkv_kernels::bitmap::words(n.inner()).into_owned());
    // Without NULLs: long enough for the four-stream loop, with small and large values
    // (the large ones take the split path of their step), and the dense kernels agree.
    let small: PrimitiveArray<Int64Type> = (0..20_000)
        .map(|i| {
            Some(if i % 5000 == 17 {
                i64::MAX - i
            } else {
                i * 7 - 30_000
            })
        })
        .collect();
    let narrow = array::<i32>(r, 20_000, 0.0, false);
    let floats = array::<f32>(r, 20_000, 0.0, false);
    let want: i128 = small.values().iter().map(|&v| v as i128).sum();
    let want32: i128 = narrow.values().iter().map(|&v| v as i128).sum();
    for level in CpuLevel::ALL {
        assert_eq!(
            aggregate::sum_int::call_at::<i64>(level, small.values(), None),
            want
        );
        assert_eq!(
            aggregate::sum_int_dense::call_at::<i64>(level, small.values()),
            want
        );
        assert_eq!(
            aggregate::sum_int_dense::call_at::<i32>(level, narrow.values()),
            want32
        );
        assert_eq!(
            aggregate::sum_float_dense::call_at::<f32>(level, floats.values()).to_bits(),
            aggregate::sum_float::call_at::<f32>(CpuLevel::Baseline, floats.values(), None)
                .to_bits()
        );
    }
    for level in CpuLevel::ALL {
        assert_eq!(
            aggregate::sum_int::call_at::<i64>(level, a.values(), va.as_deref()),
            aggregate::sum_int::call_at::<i64>(CpuLevel::Baseline, a.values(), va.as_deref())
        );
        assert_eq!(
            aggregate::sum_float::call_at::<f64>(level, f.values(), vf.as_deref()).to_bits(),
            aggregate::sum_float::call_at::<f64>(CpuLevel::Baseline, f.values(), vf.as_deref())
                .to_bits()
        );
    }
}

#[test]
fn generated_dispatch_and_metadata() {
    // `nonzero_words` has only slice parameters of T... but also `&mut [u64]`; the
    // kernels with a `&[T]`-only signature get a `dispatch` over `&dyn Array`.
    let a = Int32Array::from(vec![3, 1, 2]);
    assert_eq!(aggregate::sum_int::dispatch(&a, None).expect("dispatch"), 6);
    let s = StringArray::from(vec!["x"]);
    assert!(matches!(
        aggregate::sum_int::dispatch(&s, None),
        Err(KernelError::UnsupportedType {
            kernel: "sum_int",
            ..
        })
    ));
    assert!(aggregate::sum_float::supports(
        &arrow::datatypes::DataType::Float32
    ));
    assert!(!aggregate::sum_float::supports(
        &arrow::datatypes::DataType::Int32
    ));
    assert_eq!(compare::cmp_scalar::TYPES.len(), 10);
    let _ = (
        Int8Type::DATA_TYPE,
        Int16Type::DATA_TYPE,
        UInt8Type::DATA_TYPE,
        UInt16Type::DATA_TYPE,
        UInt32Type::DATA_TYPE,
        UInt64Type::DATA_TYPE,
        Float32Type::DATA_TYPE,
    );
}
