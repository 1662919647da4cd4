//! Tests of [`KeySet`]: ids in first-seen order, NULL and float equality, the direct map
//! and its hand-over to hashing, lookups, and every kind of column store.

use std::sync::Arc;

use arrow::array::{
    Array, ArrayRef, BooleanArray, Float64Array, Int32Array, Int64Array, LargeStringArray,
    StringArray, UInt64Array,
};
use arrow::datatypes::DataType;

use super::{KeySet, NONE};

fn ints(v: &[Option<i64>]) -> ArrayRef {
    Arc::new(Int64Array::from(v.to_vec()))
}

fn strs(v: &[Option<&str>]) -> ArrayRef {
    Arc::new(StringArray::from(v.to_vec()))
}

fn intern(set: &mut KeySet, keys: &[ArrayRef]) -> Vec<usize> {
    let mut ids = Vec::new();
    set.intern(keys, &mut ids).expect("intern");
    ids
}

fn lookup(set: &mut KeySet, keys: &[ArrayRef]) -> Vec<usize> {
    let mut ids = Vec::new();
    set.lookup(keys, &mut ids).expect("lookup");
    ids
}

#[test]
fn integer_ids_in_first_seen_order_with_null_as_a_key() {
    let mut set = KeySet::new(&[DataType::Int64]).expect("set");
    let ids = intern(&mut set, &[ints(&[Some(5), None, Some(3), Some(5), None])]);
    assert_eq!(ids, vec![0, 1, 2, 0, 1]);
    let ids = intern(&mut set, &[ints(&[Some(3), Some(7)])]);
    assert_eq!(ids, vec![2, 3]);
    assert_eq!(
        lookup(&mut set, &[ints(&[Some(7), Some(8), None, Some(-1)])]),
        vec![3, NONE, 1, NONE]
    );
    let out = set.finish().expect("finish");
    assert_eq!(
        out[0].as_ref(),
        &Int64Array::from(vec![Some(5), None, Some(3), Some(7)]) as &dyn Array
    );
}

#[test]
fn a_wide_integer_range_leaves_the_direct_map_and_keeps_ids() {
    let mut set = KeySet::new(&[DataType::Int64]).expect("set");
    assert_eq!(intern(&mut set, &[ints(&[Some(10), Some(11)])]), vec![0, 1]);
    // Far outside any allowed window: the set switches to hashing.
    let far = ints(&[Some(i64::MAX), Some(11), Some(i64::MIN), Some(10)]);
    assert_eq!(
        intern(&mut set, std::slice::from_ref(&far)),
        vec![2, 1, 3, 0]
    );
    assert_eq!(intern(&mut set, &[far]), vec![2, 1, 3, 0]);
    assert_eq!(
        lookup(&mut set, &[ints(&[Some(i64::MIN), Some(12)])]),
        vec![3, NONE]
    );
    assert_eq!(set.len(), 4);
}

#[test]
fn a_creeping_integer_range_grows_the_window() {
    let mut set = KeySet::new(&[DataType::Int64]).expect("set");
    let mut expected = 0;
    for batch in 0..20i64 {
        let values: Vec<Option<i64>> = (0..1000).map(|k| Some(batch * 1000 + k)).collect();
        let ids = intern(&mut set, &[ints(&values)]);
        assert_eq!(ids, (expected..expected + 1000).collect::<Vec<_>>());
        expected += 1000;
    }
    // Descending values grow the window downwards.
    let ids = intern(&mut set, &[ints(&[Some(-5), Some(0), Some(-5)])]);
    assert_eq!(ids, vec![expected, 0, expected]);
}

#[test]
fn text_keys_compare_by_bytes() {
    let mut set = KeySet::new(&[DataType::Utf8]).expect("set");
    let ids = intern(
        &mut set,
        &[strs(&[
            Some("a"),
            Some(""),
            None,
            Some("a"),
            Some("ab"),
            None,
        ])],
    );
    assert_eq!(ids, vec![0, 1, 2, 0, 3, 2]);
    assert_eq!(
        lookup(&mut set, &[strs(&[Some("ab"), Some("b"), None])]),
        vec![3, NONE, 2]
    );
    let out = set.finish().expect("finish");
    assert_eq!(
        out[0].as_ref(),
        &StringArray::from(vec![Some("a"), Some(""), None, Some("ab")]) as &dyn Array
    );
}

#[test]
fn large_text_keys() {
    let mut set = KeySet::new(&[DataType::LargeUtf8]).expect("set");
    let keys: ArrayRef = Arc::new(LargeStringArray::from(vec!["x", "y", "x"]));
    assert_eq!(intern(&mut set, &[keys]), vec![0, 1, 0]);
}

#[test]
fn negative_zero_and_zero_are_distinct_keys_with_one_hash() {
    let mut set = KeySet::new(&[DataType::Float64]).expect("set");
    let keys: ArrayRef = Arc::new(Float64Array::from(vec![0.0, -0.0, 0.0, -0.0, f64::NAN]));
    assert_eq!(intern(&mut set, &[keys]), vec![0, 1, 0, 1, 2]);
    let probe: ArrayRef = Arc::new(Float64Array::from(vec![-0.0, 1.0, f64::NAN]));
    assert_eq!(lookup(&mut set, &[probe]), vec![1, NONE, 2]);
}

#[test]
fn several_columns_mixing_stores() {
    let types = [DataType::Int32, DataType::Utf8, DataType::Boolean];
    let mut set = KeySet::new(&types).expect("set");
    let a: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), Some(1), None, Some(1)]));
    let b = strs(&[Some("x"), Some("y"), Some("x"), Some("x")]);
    let c: ArrayRef = Arc::new(BooleanArray::from(vec![
        Some(true),
        Some(true),
        None,
        Some(true),
    ]));
    assert_eq!(intern(&mut set, &[a, b, c]), vec![0, 1, 2, 0]);
    let a: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None]));
    let b = strs(&[Some("y"), Some("x")]);
    let c: ArrayRef = Arc::new(BooleanArray::from(vec![Some(false), None]));
    assert_eq!(lookup(&mut set, &[a, b, c]), vec![NONE, 2]);
    let out = set.finish().expect("finish");
    assert_eq!(out.len(), 3);
    assert_eq!(out[2].len(), 3);
    assert_eq!(out[2].null_count(), 1);
}

#[test]
fn unsigned_64_bit_keys_hash() {
    let mut set = KeySet::new(&[DataType::UInt64]).expect("set");
    let keys: ArrayRef = Arc::new(UInt64Array::from(vec![u64::MAX, 0, u64::MAX]));
    assert_eq!(intern(&mut set, &[keys]), vec![0, 1, 0]);
}

#[test]
fn mismatched_types_are_an_error() {
    let mut set = KeySet::new(&[DataType::Int64]).expect("set");
    let mut ids = Vec::new();
    assert!(set.intern(&[strs(&[Some("a")])], &mut ids).is_err());
    assert!(set.intern(&[], &mut ids).is_err());
}

#[test]
fn an_empty_set_finds_nothing() {
    let mut set = KeySet::new(&[DataType::Utf8]).expect("set");
    assert!(set.is_empty());
    assert_eq!(
        lookup(&mut set, &[strs(&[Some("a"), None])]),
        vec![NONE, NONE]
    );
}

#[test]
fn keys_sharing_a_hash_keep_first_seen_order_across_batches() {
    let types = [DataType::Int64, DataType::Float64];
    let mut set = KeySet::new(&types).expect("set");
    let a = ints(&[Some(1), Some(1), Some(2), Some(1)]);
    let b: ArrayRef = Arc::new(Float64Array::from(vec![-0.0, 0.0, 0.0, -0.0]));
    assert_eq!(intern(&mut set, &[a, b]), vec![0, 1, 2, 0]);
    let a = ints(&[Some(3), Some(2), Some(1), Some(2)]);
    let b: ArrayRef = Arc::new(Float64Array::from(vec![0.0, -0.0, 0.0, 0.0]));
    assert_eq!(intern(&mut set, &[a, b]), vec![3, 4, 1, 2]);
    let out = set.finish().expect("finish");
    let signs: Vec<bool> = out[1]
        .as_any()
        .downcast_ref::<Float64Array>()
        .expect("f64")
        .values()
        .iter()
        .map(|v| v.is_sign_negative())
        .collect();
    assert_eq!(signs, vec![true, false, false, false, true]);
}
