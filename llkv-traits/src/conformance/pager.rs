//! The pager kit. Instantiate with [`crate::pager_conformance_tests!`].

use std::collections::HashSet;
use std::sync::Arc;

use crate::pager::{Pager, PagerBlob, RESERVED_KEYS, WriteBatch};

fn bytes(seed: u64, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| (seed.wrapping_mul(31).wrapping_add(i as u64) % 251) as u8)
        .collect()
}

/// Written blobs read back byte for byte, also through [`PagerBlob::into_buffer`].
pub fn put_then_get<P: Pager>(pager: &P) {
    let keys = pager.alloc_keys(3).expect("alloc_keys");
    let mut batch = WriteBatch::new();
    for (i, k) in keys.iter().enumerate() {
        batch.put(*k, bytes(*k, 100 * i + 1));
    }
    pager.write_batch(batch).expect("write_batch");
    let got = pager.get_many(&keys).expect("get_many");
    for (i, (k, blob)) in keys.iter().zip(got).enumerate() {
        let blob = blob.unwrap_or_else(|| panic!("key {k} written but not found"));
        assert_eq!(
            blob.as_ref(),
            &bytes(*k, 100 * i + 1)[..],
            "key {k}: wrong bytes"
        );
        let buffer = blob.into_buffer();
        assert_eq!(
            buffer.as_slice(),
            &bytes(*k, 100 * i + 1)[..],
            "into_buffer changed bytes"
        );
    }
}

/// Missing keys read as `None`, in the position asked.
pub fn missing_keys_are_none<P: Pager>(pager: &P) {
    let keys = pager.alloc_keys(2).expect("alloc_keys");
    let mut batch = WriteBatch::new();
    batch.put(keys[0], vec![1, 2, 3]);
    pager.write_batch(batch).expect("write_batch");
    let got = pager
        .get_many(&[keys[1], keys[0], keys[1]])
        .expect("get_many");
    assert_eq!(got.len(), 3, "get_many must answer once per key asked");
    assert!(
        got[0].is_none() && got[2].is_none(),
        "unwritten key must read as None"
    );
    assert_eq!(
        got[1].as_ref().map(|b| b.as_ref().to_vec()),
        Some(vec![1, 2, 3])
    );
    assert!(pager.get(u64::MAX - 7).expect("get").is_none());
}

/// Allocated keys are unique and never reserved.
pub fn alloc_keys_are_unique<P: Pager>(pager: &P) {
    let mut seen = HashSet::new();
    for n in [1, 7, 100, 0, 3] {
        let keys = pager.alloc_keys(n).expect("alloc_keys");
        assert_eq!(
            keys.len(),
            n,
            "alloc_keys({n}) returned {} keys",
            keys.len()
        );
        for k in keys {
            assert!(k >= RESERVED_KEYS, "alloc_keys returned reserved key {k}");
            assert!(seen.insert(k), "alloc_keys returned {k} twice");
        }
    }
}

/// A put to an existing key replaces the blob; old handles keep the old bytes.
pub fn overwrite_keeps_old_handles<P: Pager>(pager: &P) {
    let k = pager.alloc_keys(1).expect("alloc_keys")[0];
    let mut b = WriteBatch::new();
    b.put(k, b"old".to_vec());
    pager.write_batch(b).expect("write_batch");
    let old = pager.get(k).expect("get").expect("written");
    let mut b = WriteBatch::new();
    b.put(k, b"new value".to_vec());
    pager.write_batch(b).expect("write_batch");
    assert_eq!(
        pager.get(k).expect("get").expect("written").as_ref(),
        b"new value"
    );
    assert_eq!(old.as_ref(), b"old", "an old handle must keep its bytes");
    // Reserved keys may be written directly.
    let mut b = WriteBatch::new();
    b.put(1, b"root".to_vec());
    pager.write_batch(b).expect("write reserved key");
    assert_eq!(pager.get(1).expect("get").expect("root").as_ref(), b"root");
}

/// Freed keys read as `None`; handles taken before the free stay valid.
pub fn free_removes<P: Pager>(pager: &P) {
    let keys = pager.alloc_keys(2).expect("alloc_keys");
    let mut b = WriteBatch::new();
    b.put(keys[0], vec![9; 64]).put(keys[1], vec![8; 64]);
    pager.write_batch(b).expect("write_batch");
    let held = pager.get(keys[0]).expect("get").expect("written");
    let mut b = WriteBatch::new();
    b.free(keys[0]);
    pager.write_batch(b).expect("free");
    assert!(
        pager.get(keys[0]).expect("get").is_none(),
        "freed key still readable"
    );
    assert_eq!(held.as_ref(), &[9; 64][..], "handle changed after free");
    assert_eq!(
        pager.get(keys[1]).expect("get").expect("kept").as_ref(),
        &[8; 64][..]
    );
}

/// One batch may put and free together; empty batches and empty blobs are fine.
pub fn mixed_and_empty_batches<P: Pager>(pager: &P) {
    pager.write_batch(WriteBatch::new()).expect("empty batch");
    let keys = pager.alloc_keys(3).expect("alloc_keys");
    let mut b = WriteBatch::new();
    b.put(keys[0], Vec::new()).put(keys[1], vec![1]);
    pager.write_batch(b).expect("write_batch");
    assert_eq!(
        pager
            .get(keys[0])
            .expect("get")
            .expect("empty blob")
            .as_ref(),
        b""
    );
    let mut b = WriteBatch::new();
    b.free(keys[1]).put(keys[2], vec![2; 5]);
    pager.write_batch(b).expect("mixed batch");
    assert!(pager.get(keys[1]).expect("get").is_none());
    assert_eq!(
        pager.get(keys[2]).expect("get").expect("put").as_ref(),
        &[2; 5][..]
    );
    pager.sync().expect("sync");
}

/// Large blobs (several MiB) and many keys in one batch.
pub fn large_and_many<P: Pager>(pager: &P) {
    let keys = pager.alloc_keys(1000).expect("alloc_keys");
    let mut b = WriteBatch::new();
    for k in &keys {
        b.put(*k, bytes(*k, 17));
    }
    let big = pager.alloc_keys(1).expect("alloc_keys")[0];
    b.put(big, bytes(5, 5 << 20));
    pager.write_batch(b).expect("write_batch");
    let got = pager.get_many(&keys).expect("get_many");
    for (k, blob) in keys.iter().zip(got) {
        assert_eq!(blob.expect("written").as_ref(), &bytes(*k, 17)[..]);
    }
    assert_eq!(
        pager.get(big).expect("get").expect("big").as_ref().len(),
        5 << 20
    );
}

/// Readers on other threads see whole blobs while a writer writes.
pub fn concurrent_readers<P: Pager>(pager: Arc<P>) {
    let keys = pager.alloc_keys(64).expect("alloc_keys");
    let mut b = WriteBatch::new();
    for k in &keys {
        b.put(*k, bytes(*k, 256));
    }
    pager.write_batch(b).expect("write_batch");
    std::thread::scope(|s| {
        for _ in 0..3 {
            let pager = &pager;
            let keys = &keys;
            s.spawn(move || {
                for _ in 0..50 {
                    for (k, blob) in keys.iter().zip(pager.get_many(keys).expect("get_many")) {
                        let blob = blob.expect("written");
                        let v = blob.as_ref();
                        assert!(
                            v == &bytes(*k, 256)[..] || v == &bytes(*k + 1, 256)[..],
                            "torn read of key {k}"
                        );
                    }
                }
            });
        }
        for _ in 0..20 {
            let mut b = WriteBatch::new();
            for k in &keys {
                b.put(*k, bytes(*k + 1, 256));
            }
            pager.write_batch(b).expect("write_batch");
        }
    });
}

/// Runs every check above on fresh pagers made by `make`.
pub fn run_all<P: Pager>(make: impl Fn() -> P) {
    put_then_get(&make());
    missing_keys_are_none(&make());
    alloc_keys_are_unique(&make());
    overwrite_keeps_old_handles(&make());
    free_removes(&make());
    mixed_and_empty_batches(&make());
    large_and_many(&make());
    concurrent_readers(Arc::new(make()));
}

/// Stamps out the pager kit as `#[test]` functions in a module named `$name`. `$make` is an
/// expression that builds a fresh pager each time it is evaluated.
#[macro_export]
macro_rules! pager_conformance_tests {
    ($name:ident, $make:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            use $crate::conformance::pager as kit;

            #[test]
            fn put_then_get() {
                kit::put_then_get(&$make);
            }
            #[test]
            fn missing_keys_are_none() {
                kit::missing_keys_are_none(&$make);
            }
            #[test]
            fn alloc_keys_are_unique() {
                kit::alloc_keys_are_unique(&$make);
            }
            #[test]
            fn overwrite_keeps_old_handles() {
                kit::overwrite_keeps_old_handles(&$make);
            }
            #[test]
            fn free_removes() {
                kit::free_removes(&$make);
            }
            #[test]
            fn mixed_and_empty_batches() {
                kit::mixed_and_empty_batches(&$make);
            }
            #[test]
            fn large_and_many() {
                kit::large_and_many(&$make);
            }
            #[test]
            fn concurrent_readers() {
                kit::concurrent_readers(::std::sync::Arc::new($make));
            }
        }
    };
}
