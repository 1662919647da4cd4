//! A pager's blob type must be a read-only byte handle: a plain struct is not.

use llkv_traits::{Pager, PagerError, PhysicalKey, WriteBatch};

#[derive(Clone)]
struct Text(Vec<char>);

struct Stringly;

impl Pager for Stringly {
    type Blob = Text;

    fn get_many(&self, keys: &[PhysicalKey]) -> Result<Vec<Option<Text>>, PagerError> {
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
