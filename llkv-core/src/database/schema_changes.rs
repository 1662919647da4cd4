//! Schema changes at commit time: conflicts between DDL and concurrent writers, and the
//! storage of dropped tables, kept while older snapshots can still read them.
//!
//! The catalog is an MVCC table, so a `DROP TABLE` (or an `ALTER TABLE`, which rewrites a
//! table under a new id and drops the old one) is invisible to snapshots taken before it
//! commits. Two rules keep those snapshots consistent:
//!
//! - **Readers**: a dropped table's storage is *retired*, not freed, when the drop commits;
//!   snapshots that still see the table read it until the oldest running snapshot is newer
//!   than the drop ([`Database::purge_retired`]).
//! - **Writers**: a transaction that changed rows of a table fails at commit if another
//!   transaction dropped or altered that table and committed after its snapshot (its
//!   changes would be lost), and an `ALTER TABLE` fails at commit if another transaction
//!   committed row changes to the old table after the alter's snapshot (the rewritten
//!   table would miss them). Both checks run under the commit lock.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::{Array, AsArray};
use llkv_traits::TableId;
use parking_lot::Mutex;

use super::{Database, Transaction};
use crate::catalog::{CATALOG_TABLE_ID, ObjectKind};
use crate::error::{Error, Result};
use crate::storage::TableStore;
use crate::txn::{NEVER, PENDING_BIT, Snapshot, Timestamp};

/// What the database remembers about schema changes.
#[derive(Default)]
pub(super) struct SchemaChanges {
    /// Dropped tables' storage, with the timestamp of the commit that dropped them.
    retired: Mutex<Vec<(Timestamp, Arc<TableStore>)>>,
    /// The newest commit timestamp allocated to a transaction that changed the catalog.
    last_ddl: AtomicU64,
}

/// True if `mark` is the timestamp of a commit (not pending, not "never").
fn committed(mark: u64) -> bool {
    mark != NEVER && mark & PENDING_BIT == 0
}

impl Database {
    /// The storage of a table, also if a drop committed after the caller's snapshot
    /// retired it.
    pub(super) fn visible_store(&self, id: TableId) -> Option<Arc<TableStore>> {
        self.table_store(id).or_else(|| {
            self.schema
                .retired
                .lock()
                .iter()
                .find(|(_, s)| s.id() == id)
                .map(|(_, s)| s.clone())
        })
    }

    /// Records that the commit at `ts` changes the catalog (under the commit lock, before
    /// the commit's marks are stamped), so later commits check their writes against it.
    pub(super) fn note_schema_commit(&self, t: &Transaction, ts: Timestamp) {
        if t.touched.contains(&CATALOG_TABLE_ID) {
            self.schema.last_ddl.fetch_max(ts, Ordering::AcqRel);
        }
    }

    /// Moves the storage of the tables `t` dropped out of the live set.
    pub(super) fn retire_dropped(&self, t: &Transaction, ts: Timestamp) {
        if t.dropped.is_empty() {
            return;
        }
        let mut retired = self.schema.retired.lock();
        let mut tables = self.tables.write();
        for id in &t.dropped {
            if let Some(store) = tables.remove(id) {
                retired.push((ts, store));
            }
        }
    }

    /// Frees retired storage that no running snapshot can see any more.
    pub(super) fn purge_retired(&self) {
        let mut retired = self.schema.retired.lock();
        if retired.is_empty() {
            return;
        }
        let oldest = self.txns.oldest_active_read_ts();
        retired.retain(|(ts, _)| *ts > oldest);
    }

    /// Fails the commit of `t` if it would lose another transaction's work (see the
    /// module documentation).
    pub(super) fn check_schema_conflicts(&self, t: &Transaction) -> Result<()> {
        if self.schema.last_ddl.load(Ordering::Acquire) > t.snap.read_ts {
            for &id in &t.touched {
                if id != CATALOG_TABLE_ID {
                    self.check_not_dropped(&t.snap, id)?;
                }
            }
        }
        for &id in &t.replaced {
            self.check_unchanged_since(&t.snap, id)?;
        }
        Ok(())
    }

    /// Fails if the catalog row of table `id` that `snap` sees was deleted by a commit.
    fn check_not_dropped(&self, snap: &Snapshot, id: TableId) -> Result<()> {
        let catalog = self
            .table_store(CATALOG_TABLE_ID)
            .ok_or_else(|| Error::Corrupt("the catalog table is missing".into()))?;
        let own = snap.own_mark();
        for g in catalog.groups() {
            let batch = g.batch();
            let ids = batch
                .column(0)
                .as_primitive_opt::<arrow::datatypes::Int64Type>()
                .ok_or_else(|| Error::Corrupt("catalog ids".into()))?;
            let names = batch
                .column(2)
                .as_string_opt::<i32>()
                .ok_or_else(|| Error::Corrupt("catalog names".into()))?;
            for i in 0..batch.num_rows() {
                if ids.is_null(i) || ids.value(i) != i64::from(id) {
                    continue;
                }
                let c = g.created()[i].load(Ordering::Acquire);
                let d = g.deleted()[i].load(Ordering::Acquire);
                let seen = c == own || (committed(c) && c <= snap.read_ts);
                if seen && committed(d) && d > snap.read_ts {
                    let name = names.value(i);
                    let what = if self.latest_table_named(name)? {
                        "altered"
                    } else {
                        "dropped"
                    };
                    return Err(Error::Conflict(format!(
                        "another transaction has {what} this table ({name})"
                    )));
                }
            }
        }
        Ok(())
    }

    /// True if the newest committed catalog has a table called `name`.
    fn latest_table_named(&self, name: &str) -> Result<bool> {
        let latest = Snapshot {
            read_ts: self.txns.last_commit(),
            txn: 0,
        };
        Ok(self
            .catalog_entries(&latest)?
            .iter()
            .any(|m| m.kind == ObjectKind::Table && m.name.eq_ignore_ascii_case(name)))
    }

    /// Fails if a row of table `id` was inserted or deleted by a transaction that
    /// committed after `snap`.
    fn check_unchanged_since(&self, snap: &Snapshot, id: TableId) -> Result<()> {
        let Some(store) = self.visible_store(id) else {
            return Ok(());
        };
        let newer = |m: &AtomicU64| {
            let v = m.load(Ordering::Acquire);
            committed(v) && v > snap.read_ts
        };
        for g in store.groups() {
            if g.created().iter().any(newer) || g.deleted().iter().any(newer) {
                return Err(Error::Conflict(format!(
                    "another transaction changed table {} while this one altered it",
                    self.metas
                        .read()
                        .get(&id)
                        .map_or_else(|| id.to_string(), |m| m.name.clone())
                )));
            }
        }
        Ok(())
    }
}
