//! A pager must say how writes become durable: leaving out `sync` is an error.

use llkv_traits::{BufferBlob, Pager, PagerError, PhysicalKey, WriteBatch};

struct Forgetful;

impl Pager for Forgetful {
    type Blob = BufferBlob;

    fn get_many(&self, keys: &[PhysicalKey]) -> Result<Vec<Option<BufferBlob>>, PagerError> {
        Ok(vec![None; keys.len()])
    }

    fn alloc_keys(&self, count: usize) -> Result<Vec<PhysicalKey>, PagerError> {
        Ok((16..16 + count as u64).collect())
    }

    fn write_batch(&self, _batch: WriteBatch) -> Result<(), PagerError> {
        Ok(())
    }
}

fn main() {}
