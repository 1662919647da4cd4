//! A pager's blob type must be a read-only byte handle: a `String` is not.

use llkv_traits::{Pager, PagerError, PhysicalKey, WriteBatch};

struct Stringly;

impl Pager for Stringly {
    type Blob = String;

    fn get_many(&self, keys: &[PhysicalKey]) -> Result<Vec<Option<String>>, PagerError> {
        Ok(vec![None; keys.len()])
    }

    fn alloc_keys(&self, count: usize) -> Result<Vec<PhysicalKey>, PagerError> {
        Ok((16..16 + count as u64).collect())
    }

    fn write_batch(&self, _batch: WriteBatch) -> Result<(), PagerError> {
        Ok(())
    }

    fn sync(&self) -> Result<(), PagerError> {
        Ok(())
    }
}

fn main() {}
