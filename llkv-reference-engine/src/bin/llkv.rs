//! The `llkv` command: an SQL shell and a sqllogictest runner over the reference engine.

// An application's choice, made here and not in the library: statements allocate many
// small buffers, which mimalloc serves faster than glibc's malloc (point UPDATEs in a
// 10,000-UPDATE transaction, commit included, measured 5.8-6.9 µs with glibc and
// 4.9-5.6 µs with mimalloc; see benches/README.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    llkv_reference_engine::cli::main()
}
