//! Checks shared by every pager in this crate: what a [`WriteBatch`] may name.

use hashbrown::HashSet;
use llkv_traits::pager::{PagerError, PhysicalKey, RESERVED_KEYS, WriteBatch};

/// Checks `batch` before anything of it is applied, so a rejected batch changes nothing.
///
/// The rules, the same for every pager of this crate:
/// - a put names a reserved key (below [`RESERVED_KEYS`]) or a key already handed out by
///   `alloc_keys` (below `next_key`);
/// - a freed key holds a blob now (`holds`), so freeing a key twice is an error;
/// - a key appears at most once in a batch (two puts of one key, or a put and a free of it,
///   would make the outcome depend on an order the batch does not define).
pub(crate) fn validate_batch(
    batch: &WriteBatch,
    next_key: PhysicalKey,
    holds: impl Fn(PhysicalKey) -> bool,
) -> Result<(), PagerError> {
    let mut seen: HashSet<PhysicalKey> =
        HashSet::with_capacity(batch.puts.len() + batch.frees.len());
    for (key, _) in &batch.puts {
        if (*key >= RESERVED_KEYS && *key >= next_key) || !seen.insert(*key) {
            return Err(PagerError::InvalidKey(*key));
        }
    }
    for key in &batch.frees {
        if !seen.insert(*key) || !holds(*key) {
            return Err(PagerError::InvalidKey(*key));
        }
    }
    Ok(())
}

/// Reserves `count` keys from the counter `next`, failing (instead of wrapping) if the key
/// space is exhausted.
pub(crate) fn alloc_from(
    next: &std::sync::atomic::AtomicU64,
    count: usize,
) -> Result<Vec<PhysicalKey>, PagerError> {
    use std::sync::atomic::Ordering;
    let count = count as u64;
    let first = next
        .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
            n.checked_add(count)
        })
        .map_err(PagerError::InvalidKey)?;
    Ok((first..first + count).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        let holds = |k: PhysicalKey| k == 20;
        let mut b = WriteBatch::new();
        b.put(1, vec![1]).put(20, vec![2]).put(29, vec![3]);
        assert!(validate_batch(&b, 30, holds).is_ok());
        assert!(matches!(
            validate_batch(&b, 29, holds),
            Err(PagerError::InvalidKey(29))
        ));
        let mut b = WriteBatch::new();
        b.put(20, vec![]).put(20, vec![]);
        assert!(validate_batch(&b, 30, holds).is_err());
        let mut b = WriteBatch::new();
        b.free(21);
        assert!(matches!(
            validate_batch(&b, 30, holds),
            Err(PagerError::InvalidKey(21))
        ));
        let mut b = WriteBatch::new();
        b.free(20).free(20);
        assert!(validate_batch(&b, 30, holds).is_err());
        let mut b = WriteBatch::new();
        b.put(20, vec![]).free(20);
        assert!(validate_batch(&b, 30, holds).is_err());
    }

    #[test]
    fn alloc_does_not_wrap() {
        let next = std::sync::atomic::AtomicU64::new(u64::MAX - 2);
        assert_eq!(
            alloc_from(&next, 2).unwrap(),
            vec![u64::MAX - 2, u64::MAX - 1]
        );
        assert!(alloc_from(&next, 2).is_err());
        assert_eq!(alloc_from(&next, 0).unwrap(), Vec::<u64>::new());
    }
}
