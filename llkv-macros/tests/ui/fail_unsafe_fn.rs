#[llkv_kernels::kernel(types(i32))]
unsafe fn total<T: llkv_kernels::Native>(values: &[T]) -> usize {
    values.len()
}

fn main() {}
