//! A custom storage backend: a pager that counts reads and writes around any other pager,
//! checked with the pager conformance kit and used by the engine.
//!
//! `cargo run -p llkv-examples --example custom_pager`

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use llkv_pagers::MemPager;
use llkv_traits::{Pager, PagerError, PhysicalKey, WriteBatch};

/// Counts the blobs read and written through it.
#[derive(Default)]
struct CountingPager<P> {
    inner: P,
    reads: AtomicU64,
    writes: AtomicU64,
}

impl<P: Pager> Pager for CountingPager<P> {
    type Blob = P::Blob;

    fn get_many(&self, keys: &[PhysicalKey]) -> Result<Vec<Option<Self::Blob>>, PagerError> {
        self.reads.fetch_add(keys.len() as u64, Ordering::Relaxed);
        self.inner.get_many(keys)
    }

    fn alloc_keys(&self, count: usize) -> Result<Vec<PhysicalKey>, PagerError> {
        self.inner.alloc_keys(count)
    }

    fn write_batch(&self, batch: WriteBatch) -> Result<(), PagerError> {
        self.writes
            .fetch_add(batch.puts.len() as u64, Ordering::Relaxed);
        self.inner.write_batch(batch)
    }

    fn sync(&self) -> Result<(), PagerError> {
        self.inner.sync()
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // The kit panics with the rule that was broken if the pager misbehaves.
    llkv_traits::conformance::pager::run_all(CountingPager::<MemPager>::default);

    let pager = Arc::new(CountingPager::<MemPager>::default());
    let db = llkv_core::Database::open(pager.clone(), llkv_core::codec::ArrowCodec)?;
    let dialect = Arc::new(llkv_reference_engine::dialects::SqliteDialect::new());
    let mut session = llkv_core::Session::new(db, dialect);
    session.execute("CREATE TABLE t (a INTEGER); INSERT INTO t VALUES (1), (2), (3)")?;
    let rows = session.query("SELECT sum(a) FROM t")?;
    println!(
        "sum = {:?}; blobs written: {}, read: {}",
        rows.concat()?.column(0),
        pager.writes.load(Ordering::Relaxed),
        pager.reads.load(Ordering::Relaxed)
    );
    Ok(())
}
