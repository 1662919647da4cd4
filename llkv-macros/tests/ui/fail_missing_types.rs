#[llkv_kernels::kernel(cpu(avx2))]
fn total<T: llkv_kernels::Native>(values: &[T]) -> usize {
    values.len()
}

fn main() {}
