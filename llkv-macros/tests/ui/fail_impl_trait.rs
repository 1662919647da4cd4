#[llkv_kernels::kernel(types(i32))]
fn apply<T: llkv_kernels::Native>(values: &[T], f: impl Fn(T) -> T) -> usize {
    values.iter().map(|v| f(*v)).count()
}

fn main() {}
