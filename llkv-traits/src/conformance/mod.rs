//! Conformance kits: generic checks every implementation of a contract runs in its tests.
//!
//! Each kit is a set of public functions that panic (with a message saying which rule was
//! broken) when an implementation misbehaves, and a macro that stamps them out as `#[test]`
//! functions:
//!
//! ```ignore
//! llkv_traits::pager_conformance_tests!(mem_pager, llkv_pagers::MemPager::new());
//! ```

pub mod aggregate;
pub mod codec;
pub mod dialect;
pub mod pager;
