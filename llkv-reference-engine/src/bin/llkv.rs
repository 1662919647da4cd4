//! The `llkv` command: an SQL shell and a sqllogictest runner over the reference engine.

fn main() -> std::process::ExitCode {
    llkv_reference_engine::cli::main()
}
