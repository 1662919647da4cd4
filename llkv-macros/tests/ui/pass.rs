//! A kernel stamped out for three types and every CPU level, called three ways.
use arrow::array::Int32Array;
use llkv_kernels::{CpuLevel, Native};

/// Sum of the values as `f64`.
#[llkv_kernels::kernel(types(i32, i64, f64), cpu(baseline, avx2, avx512, neon))]
pub fn total<T: Native>(values: &[T]) -> f64 {
    values.iter().map(|v| v.to_f64()).sum()
}

/// Adds `by` to every value in place (a `&mut [T]` parameter: no `dispatch`).
#[llkv_kernels::kernel(types(u8, u16), cpu(baseline, avx2))]
fn bump<'a, T: Native>(values: &'a mut [T], by: T) -> &'a [T] {
    for v in values.iter_mut() {
        *v = v.overflowing_add(by).0;
    }
    values
}

fn main() {
    assert_eq!(total(&[1i32, 2, 3]), 6.0);
    assert_eq!(total::call_at::<f64>(CpuLevel::Baseline, &[0.5, 0.25]), 0.75);
    let a = Int32Array::from(vec![4, 5]);
    assert_eq!(total::dispatch(&a).unwrap(), 9.0);
    assert!(total::supports(&arrow::datatypes::DataType::Int64));
    let mut v = [1u8, 255];
    assert_eq!(bump(&mut v, 1), &[2, 0]);
}
