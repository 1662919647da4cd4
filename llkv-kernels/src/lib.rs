//! llkv-kernels (being built).
