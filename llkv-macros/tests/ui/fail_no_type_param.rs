#[llkv_kernels::kernel(types(i32))]
fn total(values: &[i32]) -> i64 {
    values.iter().map(|&v| v as i64).sum()
}

fn main() {}
