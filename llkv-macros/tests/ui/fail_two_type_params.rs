#[llkv_kernels::kernel(types(i32))]
fn mix<T: llkv_kernels::Native, U: llkv_kernels::Native>(a: &[T], b: &[U]) -> usize {
    a.len() + b.len()
}

fn main() {}
