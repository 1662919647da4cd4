//! [`MemPager`]: an in-memory pager.

use std::sync::atomic::{AtomicU64, Ordering};

use hashbrown::HashMap;
use llkv_traits::pager::{BufferBlob, Pager, PagerError, PhysicalKey, RESERVED_KEYS, WriteBatch};
use parking_lot::RwLock;

use crate::batch::{alloc_from, validate_batch};

/// An in-memory [`Pager`]: blobs live in 64-byte aligned Arrow buffers in a hash map.
///
/// Nothing survives the process, so [`Pager::sync`] has nothing to do. Use it for tests,
/// temporary databases, and as the reference behaviour of the [`Pager`] contract.
///
/// Batches are checked before they are applied (see the crate docs for the rules) and are
/// applied under one write lock, so a reader sees either none or all of a batch.
///
/// ```
/// use llkv_pagers::MemPager;
/// use llkv_traits::{Pager, WriteBatch};
///
/// let pager = MemPager::new();
/// let key = pager.alloc_keys(1).unwrap()[0];
/// let mut batch = WriteBatch::new();
/// batch.put(key, b"hello".to_vec());
/// pager.write_batch(batch).unwrap();
/// assert_eq!(pager.get(key).unwrap().unwrap().as_ref(), b"hello");
/// ```
#[derive(Debug)]
pub struct MemPager {
    blobs: RwLock<HashMap<PhysicalKey, BufferBlob>>,
    next_key: AtomicU64,
}

impl MemPager {
    /// An empty pager.
    pub fn new() -> Self {
        Self {
            blobs: RwLock::new(HashMap::new()),
            next_key: AtomicU64::new(RESERVED_KEYS),
        }
    }

    /// A pager holding `blobs`, whose [`alloc_keys`](Pager::alloc_keys) starts at
    /// `next_key` (or past the largest key of `blobs`, or at
    /// [`RESERVED_KEYS`], whichever is larger), so keys are not handed out again.
    ///
    /// This is how an image of a store (for example what
    /// [`CrashPager::crash_image`](crate::CrashPager::crash_image) says survived a crash)
    /// is "reopened".
    pub fn from_blobs(
        blobs: impl IntoIterator<Item = (PhysicalKey, BufferBlob)>,
        next_key: PhysicalKey,
    ) -> Self {
        let blobs: HashMap<PhysicalKey, BufferBlob> = blobs.into_iter().collect();
        let past_largest = blobs
            .keys()
            .max()
            .map_or(RESERVED_KEYS, |k| k.saturating_add(1));
        Self {
            blobs: RwLock::new(blobs),
            next_key: AtomicU64::new(next_key.max(past_largest).max(RESERVED_KEYS)),
        }
    }

    /// Every key that holds a blob, with its blob (sorted by key).
    pub fn blobs(&self) -> Vec<(PhysicalKey, BufferBlob)> {
        let mut all: Vec<(PhysicalKey, BufferBlob)> = self
            .blobs
            .read()
            .iter()
            .map(|(k, b)| (*k, b.clone()))
            .collect();
        all.sort_unstable_by_key(|(k, _)| *k);
        all
    }

    /// The first key the next [`alloc_keys`](Pager::alloc_keys) would hand out.
    pub fn next_key(&self) -> PhysicalKey {
        self.next_key.load(Ordering::Acquire)
    }

    /// Number of keys that hold a blob.
    pub fn len(&self) -> usize {
        self.blobs.read().len()
    }

    /// True if no key holds a blob.
    pub fn is_empty(&self) -> bool {
        self.blobs.read().is_empty()
    }

    /// Total size in bytes of the blobs held.
    pub fn bytes(&self) -> u64 {
        self.blobs.read().values().map(|b| b.0.len() as u64).sum()
    }
}

impl Default for MemPager {
    fn default() -> Self {
        Self::new()
    }
}

impl Pager for MemPager {
    type Blob = BufferBlob;

    fn get_many(&self, keys: &[PhysicalKey]) -> Result<Vec<Option<BufferBlob>>, PagerError> {
        let blobs = self.blobs.read();
        Ok(keys.iter().map(|k| blobs.get(k).cloned()).collect())
    }

    fn alloc_keys(&self, count: usize) -> Result<Vec<PhysicalKey>, PagerError> {
        alloc_from(&self.next_key, count)
    }

    fn write_batch(&self, batch: WriteBatch) -> Result<(), PagerError> {
        if batch.is_empty() {
            return Ok(());
        }
        // Copy into aligned buffers before taking the lock, so readers wait only for the
        // map updates.
        let puts: Vec<(PhysicalKey, BufferBlob)> = batch
            .puts
            .iter()
            .map(|(k, bytes)| (*k, BufferBlob::copy_from(bytes)))
            .collect();
        let mut blobs = self.blobs.write();
        validate_batch(&batch, self.next_key.load(Ordering::Acquire), |k| {
            blobs.contains_key(&k)
        })?;
        for (k, blob) in puts {
            blobs.insert(k, blob);
        }
        for k in &batch.frees {
            blobs.remove(k);
        }
        Ok(())
    }

    fn sync(&self) -> Result<(), PagerError> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use llkv_traits::PagerBlob;

    llkv_traits::pager_conformance_tests!(mem_pager_kit, MemPager::new());

    #[test]
    fn blobs_are_64_byte_aligned() {
        let pager = MemPager::new();
        let keys = pager.alloc_keys(2).unwrap();
        let mut b = WriteBatch::new();
        b.put(keys[0], vec![7; 100]).put(keys[1], vec![1; 3]);
        pager.write_batch(b).unwrap();
        for blob in pager.get_many(&keys).unwrap() {
            let buffer = blob.unwrap().into_buffer();
            assert_eq!(buffer.as_ptr() as usize % 64, 0);
        }
        assert_eq!(pager.len(), 2);
        assert_eq!(pager.bytes(), 103);
    }

    #[test]
    fn from_blobs_does_not_reissue_keys() {
        let pager = MemPager::from_blobs([(40, BufferBlob::copy_from(b"x"))], 30);
        assert_eq!(pager.next_key(), 41);
        assert_eq!(pager.alloc_keys(1).unwrap(), vec![41]);
        assert_eq!(pager.blobs().len(), 1);
        let pager = MemPager::from_blobs([(1, BufferBlob::copy_from(b"root"))], 100);
        assert_eq!(pager.alloc_keys(1).unwrap(), vec![100]);
        let empty = MemPager::from_blobs([], 0);
        assert_eq!(empty.next_key(), RESERVED_KEYS);
    }

    #[test]
    fn rejected_batch_changes_nothing() {
        let pager = MemPager::new();
        let k = pager.alloc_keys(1).unwrap()[0];
        let mut b = WriteBatch::new();
        b.put(k, vec![1]);
        pager.write_batch(b).unwrap();
        let mut b = WriteBatch::new();
        b.put(k, vec![2]).free(k + 100);
        assert!(matches!(
            pager.write_batch(b),
            Err(PagerError::InvalidKey(_))
        ));
        assert_eq!(pager.get(k).unwrap().unwrap().as_ref(), &[1]);
        // Never-allocated keys cannot be written.
        let mut b = WriteBatch::new();
        b.put(k + 1, vec![1]);
        assert!(pager.write_batch(b).is_err());
    }
}
