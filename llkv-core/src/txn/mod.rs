//! Transactions: timestamps, snapshots, and the undo log that makes statements and
//! transactions atomic.
//!
//! Every row version carries two `u64` marks, `created` and `deleted`:
//! - a committed mark is the commit timestamp of the transaction that wrote it;
//! - a pending mark is [`PENDING_BIT`] | the writer's transaction id;
//! - [`NEVER`] means "not deleted" (for `deleted`) or "never created" (an aborted insert).
//!
//! A snapshot with read timestamp `ts` owned by transaction `txn` sees a version iff
//! `created <= ts || created == PENDING_BIT | txn`, and not `deleted <= ts || deleted ==
//! PENDING_BIT | txn`. Both tests are plain integer compares, so visibility of a whole row
//! group is one vectorizable loop. At commit the writer's marks are replaced by its commit
//! timestamp; at rollback inserts become [`NEVER`] and deletes are cleared.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::{Condvar, Mutex};

use crate::storage::RowGroup;

/// A transaction id.
pub type TxnId = u64;

/// A commit timestamp.
pub type Timestamp = u64;

/// Set on marks written by a transaction that has not committed yet.
pub const PENDING_BIT: u64 = 1 << 63;

/// "Not deleted" / "never created".
pub const NEVER: u64 = u64::MAX;

/// What one transaction can see.
#[derive(Debug, Clone, Copy)]
pub struct Snapshot {
    /// Commits with a timestamp up to this one are visible.
    pub read_ts: Timestamp,
    /// The owning transaction; its own pending writes are visible.
    pub txn: TxnId,
}

impl Snapshot {
    /// The pending mark of this snapshot's transaction.
    #[inline]
    pub fn own_mark(&self) -> u64 {
        PENDING_BIT | self.txn
    }

    /// True if a version with these marks is visible.
    #[inline]
    pub fn sees(&self, created: u64, deleted: u64) -> bool {
        let own = self.own_mark();
        (created <= self.read_ts || created == own) && !(deleted <= self.read_ts || deleted == own)
    }
}

/// One change a transaction made, kept so that it can be undone or stamped at commit.
#[derive(Clone)]
pub enum UndoEntry {
    /// Rows `start..end` of a row group were inserted by this transaction.
    Insert {
        /// The row group.
        group: Arc<RowGroup>,
        /// First row.
        start: usize,
        /// One past the last row.
        end: usize,
    },
    /// These rows of a row group were deleted by this transaction.
    Delete {
        /// The row group.
        group: Arc<RowGroup>,
        /// The rows.
        rows: Vec<u32>,
    },
    /// A table's storage was created by this transaction (dropped again on rollback).
    CreateTable(u32),
}

/// The clock and the set of running transactions.
///
/// Commit timestamps are allocated in commit order ([`TxnManager::next_commit_ts`], under
/// the database's commit lock) and published in the same order
/// ([`TxnManager::publish`]): a commit whose batch became durable first still waits for the
/// commits before it, so a snapshot never sees a later commit without an earlier one.
#[derive(Debug)]
pub struct TxnManager {
    next_txn: AtomicU64,
    /// The newest timestamp handed to a committer.
    allocated: AtomicU64,
    /// The newest published timestamp: snapshots read up to it.
    last_commit: AtomicU64,
    /// Running transactions by id, with their read timestamps (for garbage collection).
    active: Mutex<BTreeMap<TxnId, Timestamp>>,
    order: Mutex<()>,
    published: Condvar,
}

impl TxnManager {
    /// A manager whose clock starts after `last_commit`.
    pub fn new(last_commit: Timestamp) -> Self {
        Self {
            next_txn: AtomicU64::new(1),
            allocated: AtomicU64::new(last_commit),
            last_commit: AtomicU64::new(last_commit),
            active: Mutex::new(BTreeMap::new()),
            order: Mutex::new(()),
            published: Condvar::new(),
        }
    }

    /// Starts a transaction and returns its snapshot.
    pub fn begin(&self) -> Snapshot {
        let mut active = self.active.lock();
        let txn = self.next_txn.fetch_add(1, Ordering::Relaxed);
        let read_ts = self.last_commit.load(Ordering::Acquire);
        active.insert(txn, read_ts);
        Snapshot { read_ts, txn }
    }

    /// The newest published commit timestamp.
    pub fn last_commit(&self) -> Timestamp {
        self.last_commit.load(Ordering::Acquire)
    }

    /// Allocates the next commit timestamp. The caller holds the commit lock, stamps its
    /// marks, writes its batch, and then calls [`TxnManager::publish`] exactly once with
    /// it (also when the commit failed, so later commits are not held up).
    pub fn next_commit_ts(&self) -> Timestamp {
        self.allocated.fetch_add(1, Ordering::AcqRel) + 1
    }

    /// Makes commit `ts` visible to snapshots that begin from now on, after every earlier
    /// timestamp has been published.
    pub fn publish(&self, ts: Timestamp) {
        let mut guard = self.order.lock();
        while self.last_commit.load(Ordering::Acquire) + 1 < ts {
            self.published.wait(&mut guard);
        }
        self.last_commit.store(ts, Ordering::Release);
        self.published.notify_all();
    }

    /// Forgets a finished transaction.
    pub fn end(&self, txn: TxnId) {
        self.active.lock().remove(&txn);
    }

    /// The oldest read timestamp of any running transaction (or the newest published
    /// commit if none runs): versions deleted at or before it are invisible to everyone.
    pub fn oldest_active_read_ts(&self) -> Timestamp {
        let active = self.active.lock();
        active
            .values()
            .copied()
            .min()
            .unwrap_or_else(|| self.last_commit())
    }
}

/// Replaces, in every mark `undo` recorded, the value `from` by `insert_to` (for inserted
/// rows' `created` marks) or `delete_to` (for deleted rows' `deleted` marks). Marks that
/// hold anything else are left alone (compare-and-swap), and the groups are flagged for
/// persisting.
pub fn swap_marks(undo: &[UndoEntry], from: u64, insert_to: u64, delete_to: u64) {
    for entry in undo {
        match entry {
            UndoEntry::Insert { group, start, end } => {
                for m in &group.created()[*start..*end] {
                    let _ =
                        m.compare_exchange(from, insert_to, Ordering::AcqRel, Ordering::Relaxed);
                }
                group.mark_dirty();
            }
            UndoEntry::Delete { group, rows } => {
                let deleted = group.deleted();
                for &r in rows {
                    let _ = deleted[r as usize].compare_exchange(
                        from,
                        delete_to,
                        Ordering::AcqRel,
                        Ordering::Relaxed,
                    );
                }
                group.mark_dirty();
            }
            UndoEntry::CreateTable(_) => {}
        }
    }
}

/// Stamps every mark of `undo` with the commit timestamp `ts`.
pub fn stamp_commit(undo: &[UndoEntry], own: u64, ts: Timestamp) {
    swap_marks(undo, own, ts, ts);
}

/// Undoes `undo`: inserts become never-created, deletes are cleared.
pub fn rollback(undo: &[UndoEntry], own: u64) {
    swap_marks(undo, own, NEVER, NEVER);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn visibility_rules() {
        let s = Snapshot {
            read_ts: 10,
            txn: 7,
        };
        assert!(s.sees(3, NEVER));
        assert!(!s.sees(11, NEVER), "committed after the snapshot");
        assert!(s.sees(PENDING_BIT | 7, NEVER), "own insert");
        assert!(!s.sees(PENDING_BIT | 8, NEVER), "other's pending insert");
        assert!(!s.sees(3, 9), "deleted before the snapshot");
        assert!(s.sees(3, 12), "deleted after the snapshot");
        assert!(!s.sees(3, PENDING_BIT | 7), "own delete");
        assert!(s.sees(3, PENDING_BIT | 8), "other's pending delete");
        assert!(!s.sees(NEVER, NEVER), "aborted insert");
    }
}
