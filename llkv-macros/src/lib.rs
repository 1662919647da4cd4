//! llkv-macros (being built).
