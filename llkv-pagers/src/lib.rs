//! llkv-pagers (being built).
