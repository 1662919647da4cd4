#[llkv_kernels::kernel(types(i32), cpu(baseline, sse9))]
fn total<T: llkv_kernels::Native>(values: &[T]) -> f64 {
    values.iter().map(|v| v.to_f64()).sum()
}

fn main() {}
