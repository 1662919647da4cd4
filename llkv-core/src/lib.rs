//! LLKV core (under construction in this commit).

pub mod codec;
