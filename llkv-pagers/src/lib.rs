//! Pagers for LLKV: the storage backends behind [`llkv_traits::Pager`].
//!
//! - [`MemPager`]: blobs in memory, for tests and temporary databases.
//! - [`FilePager`]: a durable single-file pager on
//!   [`simd-r-drive`](https://crates.io/crates/simd-r-drive). Every
//!   [`WriteBatch`](llkv_traits::WriteBatch) is one checksummed record, so a batch survives a
//!   crash whole or not at all; reads are zero-copy views of the memory-mapped file.
//! - [`CrashPager`]: a test pager over any other one that cuts the power at a chosen write
//!   point (or injects an I/O error there) and tells what would have survived, for crash
//!   tests of engines.
//!
//! # Batch rules
//! Both pagers check a batch before applying any of it, and reject it with
//! [`PagerError::InvalidKey`](llkv_traits::PagerError::InvalidKey) (changing nothing) when:
//! - a put names a key that is neither reserved (below
//!   [`RESERVED_KEYS`](llkv_traits::pager::RESERVED_KEYS)) nor handed out by `alloc_keys`;
//! - a free names a key that holds no blob (so a key cannot be freed twice);
//! - a key appears twice in the batch (two puts, or a put and a free).

mod batch;
mod crash;
mod file;
mod mem;

pub use crash::CrashPager;
pub use file::{FileBlob, FilePager, FilePagerOptions, RecoveryReport, SpaceStats, SyncMode};
pub use mem::MemPager;
