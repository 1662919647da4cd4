//! Write buffers: open row groups taking a transaction's small writes, sealed by the first
//! read.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, ListArray, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Int64Type, Schema, SchemaRef};

use super::tests::found;
use super::*;
use crate::txn::{self, NEVER, PENDING_BIT};

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![
        Field::new("k", DataType::Int64, false),
        Field::new("s", DataType::Utf8, true),
    ]))
}

/// A batch of keys `keys`, each with the text of its number.
fn rows(keys: std::ops::Range<i64>) -> RecordBatch {
    let k: ArrayRef = Arc::new(Int64Array::from_iter_values(keys.clone()));
    let s: ArrayRef = Arc::new(StringArray::from_iter_values(keys.map(|k| k.to_string())));
    RecordBatch::try_new(schema(), vec![k, s]).expect("batch")
}

fn keys_of(g: &RowGroup) -> Vec<i64> {
    let col = g.batch().column(0);
    col.as_any()
        .downcast_ref::<Int64Array>()
        .expect("i64")
        .values()
        .to_vec()
}

fn snap(txn: u64) -> Snapshot {
    Snapshot { read_ts: 1, txn }
}

#[test]
fn an_open_group_takes_rows_until_it_is_read() {
    let own = PENDING_BIT | 7;
    let g = RowGroup::open(rows(0..1), own, 4);
    assert!(g.is_open());
    assert_eq!((g.num_rows(), g.capacity()), (1, 4));
    assert_eq!(g.try_append(&rows(1..3), own), Some(1));
    assert_eq!(g.num_rows(), 3);
    // Marks cover the rows written; the slot left is "never created".
    assert_eq!(g.created().len(), 3);
    assert!(g.created().iter().all(|m| m.load(Ordering::Acquire) == own));
    assert_eq!(g.try_append(&rows(3..5), own), None, "no room for two");
    // The first read seals: the data is every row written, and no more rows come.
    assert_eq!(keys_of(&g), [0, 1, 2]);
    assert!(!g.is_open());
    assert_eq!(g.try_append(&rows(3..4), own), None);
    assert_eq!(g.num_rows(), 3);
    assert_eq!(g.batch().column(1).len(), 3);
}

#[test]
fn an_open_group_refuses_rows_of_another_schema() {
    let own = PENDING_BIT | 7;
    let g = RowGroup::open(rows(0..1), own, 8);
    let other = Arc::new(Schema::new(vec![
        Field::new("k", DataType::Int64, false),
        Field::new("t", DataType::Utf8, true),
    ]));
    let batch = RecordBatch::try_new(other, rows(1..2).columns().to_vec()).expect("batch");
    assert_eq!(g.try_append(&batch, own), None);
    assert_eq!(keys_of(&g), [0]);
}

#[test]
fn visibility_seals_so_its_mask_matches_the_data() {
    let own = PENDING_BIT | 7;
    let g = RowGroup::open(rows(0..2), own, 8);
    let mask = g.visibility(&snap(7));
    assert_eq!(mask.len(), 2);
    assert_eq!(mask.true_count(), 2, "the writer sees its rows");
    assert_eq!(g.visibility(&snap(8)).true_count(), 0, "others do not");
    assert_eq!(g.try_append(&rows(2..3), own), None);
    assert_eq!(g.batch().num_rows(), mask.len());
}

#[test]
fn a_transactions_small_writes_share_growing_buffers() {
    let store = TableStore::new(1, schema());
    let (s, mut undo, mut buffers) = (snap(7), Vec::new(), WriteBuffers::default());
    // The hash index is built first (building reads, and so seals, every group); then it
    // takes each write's rows from the write itself.
    assert_eq!(found(&store, 0), 0);
    for k in 0..10 {
        store.append_buffered(&rows(k..k + 1), &s, &mut undo, &mut buffers);
    }
    // A buffer of the first write's size, then one eight times the rows before it.
    let groups = store.groups();
    let sizes: Vec<_> = groups
        .iter()
        .map(|g| (g.num_rows(), g.capacity()))
        .collect();
    assert_eq!(sizes, [(1, 1), (8, 8), (1, 64)]);
    assert_eq!(undo.len(), 10, "one undo entry per write");
    for k in 0..10 {
        assert_eq!(found(&store, k), 1, "the index knows key {k}");
    }
    assert!(groups[2].is_open(), "probing reads the index, not the data");
    assert_eq!(keys_of(&groups[1]), (1..9).collect::<Vec<_>>());

    // Rolling the writes back leaves every slot "never created".
    txn::rollback(&undo, s.own_mark());
    for g in &groups {
        assert!(
            g.created()
                .iter()
                .all(|m| m.load(Ordering::Acquire) == NEVER)
        );
    }
}

#[test]
fn a_read_buffer_is_sealed_and_the_next_write_starts_another() {
    let store = TableStore::new(1, schema());
    let (s, mut undo, mut buffers) = (snap(7), Vec::new(), WriteBuffers::default());
    store.append_buffered(&rows(0..2), &s, &mut undo, &mut buffers);
    store.append_buffered(&rows(2..3), &s, &mut undo, &mut buffers);
    assert_eq!(store.groups().len(), 2);
    assert_eq!(keys_of(&store.groups()[1]), [2], "read: sealed");
    store.append_buffered(&rows(3..4), &s, &mut undo, &mut buffers);
    let groups = store.groups();
    assert_eq!(groups.len(), 3);
    assert_eq!(
        groups[2].capacity(),
        8,
        "eight times the rows of the one before"
    );
    assert_eq!(keys_of(&groups[2]), [3]);
}

#[test]
fn a_buffer_that_left_the_table_takes_no_more_rows() {
    let store = TableStore::new(1, schema());
    let (s, mut undo, mut buffers) = (snap(7), Vec::new(), WriteBuffers::default());
    store.append_buffered(&rows(0..1), &s, &mut undo, &mut buffers);
    store.append_buffered(&rows(1..2), &s, &mut undo, &mut buffers);
    // The writes are rolled back (a failed statement) and another commit's compaction
    // drops the groups: their rows were never created.
    txn::rollback(&undo, s.own_mark());
    undo.clear();
    let horizon = Horizon {
        oldest: 1,
        published: 1,
        committing: 0,
    };
    assert_eq!(store.compact(&horizon).expect("compact").len(), 2);
    assert!(store.groups().is_empty());
    // The next write must not go to the dropped buffer, where nobody would see it.
    store.append_buffered(&rows(5..6), &s, &mut undo, &mut buffers);
    let groups = store.groups();
    assert_eq!(groups.len(), 1);
    assert_eq!(keys_of(&groups[0]), [5]);
    assert_eq!(found(&store, 5), 1);
}

#[test]
fn large_or_nested_writes_bypass_the_buffer() {
    let store = TableStore::new(1, schema());
    let (s, mut undo, mut buffers) = (snap(7), Vec::new(), WriteBuffers::default());
    let big = BUFFER_ROWS as i64 + 1;
    store.append_buffered(&rows(0..big), &s, &mut undo, &mut buffers);
    assert!(!store.groups()[0].is_open());

    let list = DataType::new_list(DataType::Int64, true);
    let nested = Arc::new(Schema::new(vec![Field::new("l", list, true)]));
    let store = TableStore::new(2, nested.clone());
    let values: ArrayRef = Arc::new(ListArray::from_iter_primitive::<Int64Type, _, _>(vec![
        Some(vec![Some(1)]),
    ]));
    let batch = RecordBatch::try_new(nested, vec![values]).expect("batch");
    store.append_buffered(&batch, &s, &mut undo, &mut buffers);
    assert!(!store.groups()[0].is_open());
}

#[test]
fn commit_seals_the_buffers() {
    let store = TableStore::new(1, schema());
    let (s, mut undo, mut buffers) = (snap(7), Vec::new(), WriteBuffers::default());
    store.append_buffered(&rows(0..1), &s, &mut undo, &mut buffers);
    store.append_buffered(&rows(1..2), &s, &mut undo, &mut buffers);
    let open = store.groups()[1].clone();
    assert!(open.is_open());
    buffers.seal_all();
    assert!(!open.is_open());
    assert_eq!(keys_of(&open), [1]);
}
