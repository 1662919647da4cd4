//! Each kernel against `arrow::compute` on the same 1M-element arrays, with and without
//! NULLs, in the default build (no `target-cpu` flags: the kernels pick their CPU level
//! at run time). `llkv@baseline` rows force the baseline copy, to show what the runtime
//! dispatch buys. See `README.md` for the numbers.

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented public function"
)]

use std::hint::black_box;
use std::sync::Arc;
use std::time::Duration;

use arrow::array::{Array, ArrayRef, AsArray, Int32Array, Int64Array, Scalar, UInt32Array};
use arrow::compute::kernels::{cmp, numeric};
use arrow::datatypes::{Float64Type, Int32Type, Int64Type};
use arrow::row::{RowConverter, SortField};
use criterion::{
    BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main, measurement::WallTime,
};
use llkv_benches::{KERNEL_LEN, float64s, int32s, int64s, mask, rng};
use llkv_kernels::arith::{ArithOp, ArithOptions, arith, arith_datum};
use llkv_kernels::compare::{CmpOp, cmp_scalar, compare, compare_scalar};
use llkv_kernels::{CpuLevel, aggregate, fused, hash, select};
use rand::Rng;

fn group<'a>(c: &'a mut Criterion, name: &str, bytes: usize) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_millis(1200))
        .throughput(Throughput::Bytes(bytes as u64));
    g
}

fn nulls_label(rate: f64) -> &'static str {
    if rate == 0.0 {
        "no_nulls"
    } else {
        "nulls_10pct"
    }
}

fn kernels(c: &mut Criterion) {
    let n = KERNEL_LEN;
    eprintln!("llkv-kernels cpu level: {}", llkv_kernels::cpu::detected());
    for rate in [0.0, 0.1] {
        let nl = nulls_label(rate);
        let i32a = int32s(n, rate, 1);
        let i64a = int64s(n, rate, 2);
        let i64b = int64s(n, rate, 3);
        let f64a = float64s(n, rate, 4);
        let s_i32: ArrayRef = Arc::new(Int32Array::from(vec![500]));
        let s_i64: ArrayRef = Arc::new(Int64Array::from(vec![250_000]));
        let s_f64: ArrayRef = Arc::new(arrow::array::Float64Array::from(vec![500.0]));

        // compare array < scalar
        for (ty, a, s, w) in [
            ("i32", &i32a, &s_i32, 4),
            ("i64", &i64a, &s_i64, 8),
            ("f64", &f64a, &s_f64, 8),
        ] {
            let mut g = group(c, &format!("compare_scalar_lt/{ty}/{nl}"), n * w);
            let sc = Scalar::new(s.clone());
            g.bench_function("arrow", |b| b.iter(|| cmp::lt(a, &sc).expect("arrow")));
            g.bench_function("llkv", |b| {
                b.iter(|| compare_scalar(a.as_ref(), s.as_ref(), CmpOp::Lt).expect("llkv"))
            });
            if ty == "i32" {
                let v = a.as_primitive::<Int32Type>().values();
                let mut out = vec![0u64; n.div_ceil(64)];
                g.bench_function("llkv@baseline", |b| {
                    b.iter(|| {
                        cmp_scalar::call_at::<i32>(CpuLevel::Baseline, v, 500, CmpOp::Lt, &mut out)
                    })
                });
            }
            g.finish();
        }
        // compare array = array
        {
            let mut g = group(c, &format!("compare_arrays_eq/i64/{nl}"), n * 16);
            g.bench_function("arrow", |b| {
                b.iter(|| cmp::eq(&i64a, &i64b).expect("arrow"))
            });
            g.bench_function("llkv", |b| {
                b.iter(|| compare(i64a.as_ref(), i64b.as_ref(), CmpOp::Eq).expect("llkv"))
            });
            g.finish();
        }
        // filter with a 50% mask
        let m = mask(n, 0.5, 5);
        for (ty, a, w) in [("i32", &i32a, 4), ("i64", &i64a, 8), ("f64", &f64a, 8)] {
            let mut g = group(c, &format!("filter_50pct/{ty}/{nl}"), n * w);
            g.bench_function("arrow", |b| {
                b.iter(|| arrow::compute::filter(a, &m).expect("arrow"))
            });
            g.bench_function("llkv", |b| {
                b.iter(|| select::filter(a.as_ref(), &m).expect("llkv"))
            });
            g.finish();
        }
        // take with random indices
        {
            let mut r = rng(6);
            let idx = UInt32Array::from_iter_values((0..n).map(|_| r.random_range(0..n as u32)));
            let mut g = group(c, &format!("take_random/i64/{nl}"), n * 8);
            g.bench_function("arrow", |b| {
                b.iter(|| arrow::compute::take(&i64a, &idx, None).expect("arrow"))
            });
            g.bench_function("llkv", |b| {
                b.iter(|| select::take(i64a.as_ref(), &idx).expect("llkv"))
            });
            g.finish();
        }
        // arithmetic (checked, as SQL needs)
        {
            let mut g = group(c, &format!("add_checked/i64/{nl}"), n * 16);
            g.bench_function("arrow", |b| {
                b.iter(|| numeric::add(&i64a, &i64b).expect("arrow"))
            });
            g.bench_function("llkv", |b| {
                b.iter(|| {
                    arith(
                        i64a.as_ref(),
                        i64b.as_ref(),
                        ArithOp::Add,
                        ArithOptions::default(),
                    )
                    .expect("llkv")
                })
            });
            g.finish();
            let mut g = group(c, &format!("mul_scalar_checked/i32/{nl}"), n * 4);
            let three = Scalar::new(Int32Array::from(vec![3]));
            g.bench_function("arrow", |b| {
                b.iter(|| numeric::mul(&i32a, &three).expect("arrow"))
            });
            g.bench_function("llkv", |b| {
                b.iter(|| {
                    arith_datum(&i32a, &three, ArithOp::Mul, ArithOptions::default()).expect("llkv")
                })
            });
            g.finish();
            // Divisors without zeros (arrow errors on zero).
            let div = arrow::compute::kernels::numeric::add(
                &i64b,
                &Scalar::new(Int64Array::from(vec![1])),
            )
            .expect("add");
            let mut g = group(c, &format!("div/i64/{nl}"), n * 16);
            g.bench_function("arrow", |b| {
                b.iter(|| numeric::div(&i64a, &div).expect("arrow"))
            });
            g.bench_function("llkv", |b| {
                b.iter(|| {
                    arith(
                        i64a.as_ref(),
                        div.as_ref(),
                        ArithOp::Div,
                        ArithOptions::default(),
                    )
                    .expect("llkv")
                })
            });
            g.finish();
        }
        // aggregates
        {
            let p64 = i64a.as_primitive::<Int64Type>();
            let pf = f64a.as_primitive::<Float64Type>();
            let p32 = i32a.as_primitive::<Int32Type>();
            let mut g = group(c, &format!("sum/i64/{nl}"), n * 8);
            g.bench_function("arrow", |b| b.iter(|| arrow::compute::sum(p64)));
            g.bench_function("llkv", |b| b.iter(|| aggregate::sum(p64).expect("llkv")));
            g.finish();
            let mut g = group(c, &format!("sum/i32/{nl}"), n * 4);
            g.bench_function("arrow", |b| b.iter(|| arrow::compute::sum(p32)));
            g.bench_function("llkv", |b| b.iter(|| aggregate::sum(p32).expect("llkv")));
            g.finish();
            let mut g = group(c, &format!("sum/f64/{nl}"), n * 8);
            g.bench_function("arrow", |b| b.iter(|| arrow::compute::sum(pf)));
            g.bench_function("llkv", |b| b.iter(|| aggregate::sum(pf).expect("llkv")));
            g.finish();
            let mut g = group(c, &format!("min/i64/{nl}"), n * 8);
            g.bench_function("arrow", |b| b.iter(|| arrow::compute::min(p64)));
            g.bench_function("llkv", |b| b.iter(|| aggregate::min_typed::<i64>(p64)));
            g.finish();
            let mut g = group(c, &format!("max/f64/{nl}"), n * 8);
            g.bench_function("arrow", |b| b.iter(|| arrow::compute::max(pf)));
            g.bench_function("llkv", |b| b.iter(|| aggregate::max_typed::<f64>(pf)));
            g.finish();
        }
        // fused
        {
            let sc = Scalar::new(s_i32.clone());
            let mut g = group(c, &format!("fused_filter_lt/i32/{nl}"), n * 4);
            g.bench_function("arrow", |b| {
                b.iter(|| {
                    arrow::compute::filter(&i32a, &cmp::lt(&i32a, &sc).expect("cmp"))
                        .expect("filter")
                })
            });
            g.bench_function("llkv", |b| {
                b.iter(|| {
                    fused::filter_cmp(i32a.as_ref(), s_i32.as_ref(), CmpOp::Lt).expect("llkv")
                })
            });
            g.finish();
            let mut g = group(c, &format!("fused_count_lt/i32/{nl}"), n * 4);
            g.bench_function("arrow", |b| {
                b.iter(|| cmp::lt(&i32a, &sc).expect("cmp").true_count())
            });
            g.bench_function("llkv", |b| {
                b.iter(|| fused::count_cmp(i32a.as_ref(), s_i32.as_ref(), CmpOp::Lt).expect("llkv"))
            });
            g.finish();
            let sc64 = Scalar::new(s_i64.clone());
            let mut g = group(c, &format!("fused_sum_lt/i64/{nl}"), n * 8);
            g.bench_function("arrow", |b| {
                b.iter(|| {
                    let f = arrow::compute::filter(&i64a, &cmp::lt(&i64a, &sc64).expect("cmp"))
                        .expect("filter");
                    arrow::compute::sum(f.as_primitive::<Int64Type>())
                })
            });
            g.bench_function("llkv", |b| {
                b.iter(|| fused::sum_cmp(i64a.as_ref(), s_i64.as_ref(), CmpOp::Lt).expect("llkv"))
            });
            g.finish();
        }
        // hashing group/join keys: arrow-row encoding + hashing each row (what the
        // executor does today) against the vectorized column hash
        {
            let cols = vec![i64a.clone(), i32a.clone()];
            let conv = RowConverter::new(vec![
                SortField::new(i64a.data_type().clone()),
                SortField::new(i32a.data_type().clone()),
            ])
            .expect("row converter");
            let mut g = group(c, &format!("hash_keys/i64+i32/{nl}"), n * 12);
            g.bench_function("arrow-row", |b| {
                b.iter(|| {
                    let rows = conv.convert_columns(&cols).expect("rows");
                    rows.iter()
                        .map(|r| hash::hash_bytes(r.data()))
                        .collect::<Vec<u64>>()
                })
            });
            let mut out = Vec::new();
            g.bench_function("llkv", |b| {
                b.iter(|| hash::hash_columns_into(&cols, &mut out).expect("llkv"))
            });
            g.finish();
        }
        black_box(());
    }
}

criterion_group!(benches, kernels);
criterion_main!(benches);
