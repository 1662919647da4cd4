//! Compile tests: a minimal implementation of each contract compiles, and common misuse
//! fails with a readable message.

#[test]
fn contracts_compile_and_misuse_is_rejected() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/minimal_impls.rs");
    t.compile_fail("tests/ui/pager_missing_method.rs");
    t.compile_fail("tests/ui/blob_not_bytes.rs");
}
