//! Runnable examples of LLKV; see `examples/` and run them with
//! `cargo run -p llkv-examples --example NAME`.
