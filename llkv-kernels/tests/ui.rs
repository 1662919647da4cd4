//! Compile tests of `#[llkv_macros::kernel]`: one kernel that must compile and run, and
//! the misuses whose error messages must stay readable (the `.stderr` files beside them
//! in `llkv-macros/tests/ui/`). Regenerate with `TRYBUILD=overwrite`.

#[test]
fn kernel_macro_ui() {
    let t = trybuild::TestCases::new();
    t.pass("../llkv-macros/tests/ui/pass.rs");
    t.compile_fail("../llkv-macros/tests/ui/fail_*.rs");
}
