//! The `llkv` command: an SQL shell and a sqllogictest runner over the reference engine.

// An application's choice, made here and not in the library: statements allocate many
// small buffers, and mimalloc serves them about twice as fast as glibc's malloc (point
// UPDATEs measured 16 µs with glibc, 7.6 µs with mimalloc; see benches/README.md).
#[cfg(feature = "mimalloc")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    llkv_reference_engine::cli::main()
}
