#[llkv_kernels::kernel(types(i32, i64))]
fn total<T: llkv_kernels::Native>(values: &[T]) -> usize {
    values.len()
}

fn main() {
    // u8 was not stamped out.
    total(&[1u8, 2]);
}
