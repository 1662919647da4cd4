//! Compaction: which groups merge and drop, and the hash index following them.

use std::sync::Arc;

use arrow::array::{ArrayRef, Int64Array, RecordBatch};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use super::*;
use crate::txn::{NEVER, PENDING_BIT};

fn schema() -> SchemaRef {
    Arc::new(Schema::new(vec![Field::new("k", DataType::Int64, false)]))
}

/// A one-row group holding key `k` with these marks.
fn one_row(k: i64, created: u64, deleted: u64) -> Arc<RowGroup> {
    let col: ArrayRef = Arc::new(Int64Array::from(vec![k]));
    let batch = RecordBatch::try_new(schema(), vec![col]).expect("batch");
    Arc::new(RowGroup::with_marks(
        batch,
        Box::new([AtomicU64::new(created)]),
        Box::new([AtomicU64::new(deleted)]),
        None,
    ))
}

fn keys(store: &TableStore) -> Vec<Vec<i64>> {
    store
        .groups()
        .iter()
        .map(|g| {
            let col = g.batch().column(0);
            let col = col.as_any().downcast_ref::<Int64Array>().expect("i64");
            col.values().to_vec()
        })
        .collect()
}

/// The rows (group, row) the hash index finds for key `k`, visible or not.
pub(super) fn found(store: &TableStore, k: i64) -> usize {
    let key: ArrayRef = Arc::new(Int64Array::from(vec![k]));
    let found = store
        .probe_keys(&[0], &[key], None)
        .expect("probe")
        .expect("indexable");
    found.iter().map(|(_, rows)| rows.len()).sum()
}

const HORIZON: Horizon = Horizon {
    oldest: 4,
    published: 4,
    committing: 0,
};

#[test]
fn the_committing_transactions_groups_merge_at_its_commit() {
    let store = TableStore::new(1, schema());
    // Twenty one-row groups written by the transaction committing at 5: stamped, not
    // yet published.
    let groups: Vec<_> = (0..20).map(|k| one_row(k, 5, NEVER)).collect();
    store.replace_groups(groups);
    assert_eq!(found(&store, 3), 1, "builds the index");

    // Seen from another commit, the marks of commit 5 may still change: nothing merges.
    assert!(store.compact(&HORIZON).expect("compact").is_empty());
    assert_eq!(store.groups().len(), 20);

    // Seen from commit 5 itself, they are final: one group, every row kept.
    let committing = Horizon {
        committing: 5,
        ..HORIZON
    };
    let removed = store.compact(&committing).expect("compact");
    assert_eq!(removed.len(), 20);
    assert_eq!(keys(&store), [(0..20).collect::<Vec<i64>>()]);
    assert_eq!(found(&store, 3), 1, "the index follows the merge");
    assert_eq!(found(&store, 20), 0);
}

#[test]
fn pending_marks_break_a_run_and_dead_rows_are_left_out() {
    let store = TableStore::new(1, schema());
    let mut groups: Vec<_> = (0..8).map(|k| one_row(k, 2, NEVER)).collect();
    // A group whose second row was deleted by a commit every snapshot has seen: that row
    // is dead and left out of the merge.
    let col: ArrayRef = Arc::new(Int64Array::from(vec![3, 103]));
    groups[3] = Arc::new(RowGroup::with_marks(
        RecordBatch::try_new(schema(), vec![col]).expect("batch"),
        Box::new([AtomicU64::new(2), AtomicU64::new(2)]),
        Box::new([AtomicU64::new(NEVER), AtomicU64::new(3)]),
        None,
    ));
    // Being deleted by a running transaction: its group must keep its place.
    groups.push(one_row(8, 2, PENDING_BIT | 9));
    groups.extend((9..17).map(|k| one_row(k, 2, NEVER)));
    // Wholly dead: dropped.
    groups.push(one_row(50, 2, 4));
    store.replace_groups(groups);
    store.compact(&HORIZON).expect("compact");
    assert_eq!(
        keys(&store),
        [(0..8).collect::<Vec<i64>>(), vec![8], (9..17).collect()]
    );
}

#[test]
fn rows_the_committing_transaction_deleted_are_not_yet_dead() {
    // Its commit may still fail and take the delete back.
    let store = TableStore::new(1, schema());
    let groups: Vec<_> = (0..8).map(|k| one_row(k, 2, 5)).collect();
    store.replace_groups(groups);
    let committing = Horizon {
        committing: 5,
        ..HORIZON
    };
    store.compact(&committing).expect("compact");
    assert_eq!(keys(&store), [(0..8).collect::<Vec<i64>>()]);
    // Once every snapshot has seen commit 5, the rows are dead and the group goes.
    let later = Horizon {
        oldest: 5,
        published: 5,
        committing: 0,
    };
    let removed = store.compact(&later).expect("compact");
    assert_eq!(removed.len(), 1);
    assert!(store.groups().is_empty());
}

#[test]
fn merged_runs_stop_at_a_full_group() {
    let store = TableStore::new(1, schema());
    // Eight groups of a quarter group each (one tier) then eight one-row groups.
    let quarter = |base: i64| {
        let col: ArrayRef = Arc::new(Int64Array::from_iter_values(
            base..base + (ROW_GROUP_ROWS / 4) as i64,
        ));
        Arc::new(RowGroup::new(
            RecordBatch::try_new(schema(), vec![col]).expect("batch"),
            2,
        ))
    };
    let mut groups: Vec<_> = (0..8).map(|i| quarter(i * 100_000)).collect();
    groups.extend((0..8).map(|k| one_row(1_000_000 + k, 2, NEVER)));
    store.replace_groups(groups);
    store.compact(&HORIZON).expect("compact");
    let sizes: Vec<usize> = store.groups().iter().map(|g| g.num_rows()).collect();
    // Quarters never make a run of eight within one full group; the small ones merge.
    assert_eq!(
        sizes,
        [ROW_GROUP_ROWS / 4; 8]
            .into_iter()
            .chain([8])
            .collect::<Vec<_>>()
    );
}

#[test]
fn a_remembered_summary_follows_every_change_of_the_marks() {
    let g = one_row(1, 3, NEVER);
    assert!(g.is_settled(&HORIZON));
    assert!(!g.all_dead(HORIZON.oldest));
    assert!(!g.may_be_all_dead(), "a live row");
    // A running transaction deletes the row: the summary read before must not answer.
    g.deleted()[0].store(PENDING_BIT | 9, Ordering::Release);
    g.mark_dirty();
    assert!(!g.is_settled(&HORIZON));
    assert!(!g.all_dead(HORIZON.oldest));
    assert!(!g.may_be_all_dead(), "a pending delete");
    // It commits at 4: settled and dead to snapshots at 4; at 3, still seen.
    g.deleted()[0].store(4, Ordering::Release);
    g.mark_dirty();
    assert!(g.is_settled(&HORIZON));
    assert!(g.may_be_all_dead());
    assert!(g.all_dead(4));
    assert!(!g.all_dead(3));
    // A mark stamped by the committing transaction is final, one of a later commit not.
    let g = one_row(2, 3, 6);
    let committing = Horizon {
        committing: 6,
        ..HORIZON
    };
    assert!(g.is_settled(&committing));
    assert!(!g.is_settled(&Horizon {
        committing: 5,
        ..HORIZON
    }));
    let g = one_row(3, 5, 6);
    assert!(
        !g.is_settled(&committing),
        "5 is neither published nor committing"
    );
}

#[test]
fn big_groups_drop_when_all_dead_and_stay_with_one_live_row() {
    let store = TableStore::new(1, schema());
    // Two full groups (a tier that never merges): every row deleted at 3 in both, but
    // the last row of the second is still live.
    let full = |base: i64, last_live: bool| {
        let col: ArrayRef = Arc::new(Int64Array::from_iter_values(
            base..base + ROW_GROUP_ROWS as i64,
        ));
        let deleted: Box<[AtomicU64]> = (0..ROW_GROUP_ROWS)
            .map(|i| {
                let live = last_live && i + 1 == ROW_GROUP_ROWS;
                AtomicU64::new(if live { NEVER } else { 3 })
            })
            .collect();
        Arc::new(RowGroup::with_marks(
            RecordBatch::try_new(schema(), vec![col]).expect("batch"),
            (0..ROW_GROUP_ROWS).map(|_| AtomicU64::new(2)).collect(),
            deleted,
            None,
        ))
    };
    store.replace_groups(vec![full(0, false), full(1_000_000, true)]);
    let removed = store.compact(&HORIZON).expect("compact");
    assert_eq!(removed.len(), 1);
    assert_eq!(keys(&store)[0][0], 1_000_000);
    assert_eq!(found(&store, (1_000_000 + ROW_GROUP_ROWS - 1) as i64), 1);
}

#[test]
fn may_be_all_dead_follows_deletes_past_its_hint() {
    // Rows 0..3 deleted at 3, row 3 live: found live, and remembered.
    let col: ArrayRef = Arc::new(Int64Array::from_iter_values(0..4));
    let g = RowGroup::with_marks(
        RecordBatch::try_new(schema(), vec![col]).expect("batch"),
        (0..4).map(|_| AtomicU64::new(2)).collect(),
        (0..4)
            .map(|i| AtomicU64::new(if i == 3 { NEVER } else { 3 }))
            .collect(),
        None,
    );
    assert!(!g.may_be_all_dead());
    assert!(!g.may_be_all_dead(), "asked again, from the hint");
    // The remembered row is deleted: the hint is stale, the marks are read again.
    g.deleted()[3].store(4, Ordering::Release);
    g.mark_dirty();
    assert!(g.may_be_all_dead());
    // A summary computed since answers while current, and not after a change.
    assert!(g.is_settled(&HORIZON));
    assert!(g.may_be_all_dead());
    g.deleted()[1].store(PENDING_BIT | 9, Ordering::Release);
    g.mark_dirty();
    assert!(!g.may_be_all_dead(), "a pending delete after the summary");
}
