//! The database: tables, the catalog, transactions and persistence, shared by sessions.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

use arrow::array::{Array, AsArray, RecordBatch};
use llkv_traits::{AggregateFunction, ColumnCodec, Pager, TableId, WriteBatch};
use parking_lot::{Mutex, RwLock};

use crate::binder::CatalogAccess;
use crate::catalog::{CATALOG_TABLE_ID, ObjectKind, TableMeta, catalog_schema};
use crate::error::{Error, Result};
use crate::functions::aggregates::builtin_aggregates;
use crate::storage::persist::{
    self, BlobStore, GroupEntry, PagerStore, ROOT_KEY, Root, decode_manifest, encode_manifest,
};
use crate::storage::{RowGroup, TableStore};
use crate::txn::{self, Snapshot, TxnManager, UndoEntry};

/// A running transaction's state.
pub struct Transaction {
    /// Its snapshot.
    pub snap: Snapshot,
    /// What it changed, oldest first.
    pub undo: Vec<UndoEntry>,
    /// Tables whose rows or storage it changed.
    pub touched: BTreeSet<TableId>,
    /// Tables it dropped (freed at commit).
    pub dropped: BTreeSet<TableId>,
}

impl Transaction {
    /// Undoes the changes recorded after position `mark` of the undo log.
    pub fn rollback_to(&mut self, db: &Database, mark: usize) {
        let own = self.snap.own_mark();
        let tail = self.undo.split_off(mark);
        txn::rollback(&tail, own);
        for e in &tail {
            if let UndoEntry::CreateTable(id) = e {
                db.tables.write().remove(id);
                self.touched.remove(id);
            }
        }
    }
}

/// The shared state of one database. Sessions (see [`crate::Session`]) run statements
/// against it; any number may run at once.
pub struct Database {
    store: Option<Arc<dyn BlobStore>>,
    txns: TxnManager,
    commit: Mutex<HashMap<TableId, u64>>,
    tables: RwLock<HashMap<TableId, Arc<TableStore>>>,
    metas: RwLock<HashMap<TableId, Arc<TableMeta>>>,
    next_table_id: AtomicU32,
    aggregates: RwLock<HashMap<String, Arc<dyn AggregateFunction>>>,
}

impl std::fmt::Debug for Database {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Database")
            .field("durable", &self.store.is_some())
            .finish()
    }
}

impl Database {
    fn empty(store: Option<Arc<dyn BlobStore>>, last_commit: u64, next_table_id: TableId) -> Self {
        let aggregates = builtin_aggregates()
            .into_iter()
            .map(|f| (f.name().to_lowercase(), f))
            .collect();
        Self {
            store,
            txns: TxnManager::new(last_commit),
            commit: Mutex::new(HashMap::new()),
            tables: RwLock::new(HashMap::new()),
            metas: RwLock::new(HashMap::new()),
            next_table_id: AtomicU32::new(next_table_id),
            aggregates: RwLock::new(aggregates),
        }
    }

    /// A database that lives in memory only: nothing is encoded or written anywhere.
    pub fn in_memory() -> Arc<Self> {
        let db = Self::empty(None, 0, 1);
        db.tables.write().insert(
            CATALOG_TABLE_ID,
            Arc::new(TableStore::new(CATALOG_TABLE_ID, catalog_schema())),
        );
        Arc::new(db)
    }

    /// Opens (or initializes) a database stored in `pager`, encoding chunks with `codec`.
    /// A pager without a root is a new, empty database.
    pub fn open<P: Pager, C: ColumnCodec>(pager: P, codec: C) -> Result<Arc<Self>> {
        let store: Arc<dyn BlobStore> = Arc::new(PagerStore::new(pager, codec));
        let root = match store.get_many(&[ROOT_KEY])?.pop().flatten() {
            Some(b) => Root::decode(b.as_slice())?,
            None => {
                let db = Self::empty(Some(store), 0, 1);
                db.tables.write().insert(
                    CATALOG_TABLE_ID,
                    Arc::new(TableStore::new(CATALOG_TABLE_ID, catalog_schema())),
                );
                return Ok(Arc::new(db));
            }
        };
        let db = Self::empty(Some(store.clone()), root.last_commit, root.next_table_id);
        let manifests: HashMap<TableId, u64> = root.manifests.iter().copied().collect();
        let load = |id: TableId, schema: arrow::datatypes::SchemaRef| -> Result<TableStore> {
            let Some(&key) = manifests.get(&id) else {
                return Ok(TableStore::new(id, schema));
            };
            let blob = store
                .get_many(&[key])?
                .pop()
                .flatten()
                .ok_or_else(|| Error::Corrupt(format!("manifest of table {id} is missing")))?;
            let (_, entries) = decode_manifest(blob.as_slice())?;
            let groups = entries
                .iter()
                .map(|e| persist::load_group(store.as_ref(), &schema, e).map(Arc::new))
                .collect::<Result<Vec<_>>>()?;
            Ok(TableStore::with_groups(id, schema, groups))
        };
        let catalog = Arc::new(load(CATALOG_TABLE_ID, catalog_schema())?);
        db.tables.write().insert(CATALOG_TABLE_ID, catalog);
        let snap = Snapshot {
            read_ts: root.last_commit,
            txn: 0,
        };
        for meta in db.catalog_entries(&snap)? {
            if meta.kind == ObjectKind::Table {
                let t = load(meta.id, meta.schema())?;
                db.tables.write().insert(meta.id, Arc::new(t));
            }
        }
        *db.commit.lock() = manifests;
        Ok(Arc::new(db))
    }

    /// True if commits are written to a pager.
    pub fn is_durable(&self) -> bool {
        self.store.is_some()
    }

    /// Registers an aggregate function; SQL finds it by its (case-insensitive) name. A
    /// function with the name of an existing one replaces it.
    pub fn register_aggregate(&self, f: Arc<dyn AggregateFunction>) {
        self.aggregates.write().insert(f.name().to_lowercase(), f);
    }

    /// Starts a transaction.
    pub fn begin(&self) -> Transaction {
        Transaction {
            snap: self.txns.begin(),
            undo: Vec::new(),
            touched: BTreeSet::new(),
            dropped: BTreeSet::new(),
        }
    }

    /// Rolls a transaction back entirely.
    pub fn rollback(&self, mut t: Transaction) {
        t.rollback_to(self, 0);
        self.txns.end(t.snap.txn);
    }

    /// Commits a transaction: stamps its changes with a commit timestamp and, for a
    /// durable database, writes them in one atomic pager batch before they become visible.
    pub fn commit(&self, mut t: Transaction) -> Result<()> {
        if t.undo.is_empty() && t.dropped.is_empty() {
            self.txns.end(t.snap.txn);
            return Ok(());
        }
        let mut manifests = self.commit.lock();
        let ts = self.txns.next_commit_ts();
        let own = t.snap.own_mark();
        txn::stamp_commit(&t.undo, own, ts);
        let oldest = self.txns.oldest_active_read_ts().min(ts);
        let result = self.persist(&t, &mut manifests, ts, oldest);
        if let Err(e) = result {
            // Nothing became durable: take the stamps back and undo.
            unstamp(&t.undo, own, ts);
            t.rollback_to(self, 0);
            self.txns.end(t.snap.txn);
            return Err(e);
        }
        self.txns.publish(ts);
        for id in &t.dropped {
            self.tables.write().remove(id);
        }
        self.txns.end(t.snap.txn);
        Ok(())
    }

    fn persist(
        &self,
        t: &Transaction,
        manifests: &mut HashMap<TableId, u64>,
        ts: u64,
        oldest: u64,
    ) -> Result<()> {
        let mut batch = WriteBatch::new();
        let mut removed_all: Vec<Arc<RowGroup>> = Vec::new();
        for id in &t.touched {
            if t.dropped.contains(id) {
                continue;
            }
            if let Some(store) = self.table_store(*id) {
                removed_all.extend(store.compact(oldest)?);
            }
        }
        let Some(blobs) = &self.store else {
            return Ok(());
        };
        for g in &removed_all {
            persist::free_group(g, &mut batch);
        }
        for id in &t.dropped {
            if let Some(store) = self.table_store(*id) {
                for g in store.groups() {
                    persist::free_group(&g, &mut batch);
                }
            }
            if let Some(k) = manifests.remove(id) {
                batch.free(k);
            }
        }
        for id in &t.touched {
            if t.dropped.contains(id) {
                continue;
            }
            let Some(store) = self.table_store(*id) else {
                continue;
            };
            let entries = store
                .groups()
                .iter()
                .map(|g| persist::persist_group(blobs.as_ref(), g, &mut batch))
                .collect::<Result<Vec<GroupEntry>>>()?;
            let key = blobs.alloc_keys(1)?[0];
            batch.put(
                key,
                encode_manifest(store.schema().fields().len(), &entries),
            );
            if let Some(old) = manifests.insert(*id, key) {
                batch.free(old);
            }
        }
        let mut list: Vec<(TableId, u64)> = manifests.iter().map(|(a, b)| (*a, *b)).collect();
        list.sort_unstable();
        let root = Root {
            last_commit: ts,
            next_table_id: self.next_table_id.load(Ordering::Acquire),
            manifests: list,
        };
        batch.put(ROOT_KEY, root.encode());
        blobs.write_batch(batch)?;
        Ok(())
    }

    /// Makes every commit so far durable (a no-op in memory).
    pub fn sync(&self) -> Result<()> {
        match &self.store {
            Some(s) => s.sync(),
            None => Ok(()),
        }
    }

    /// Allocates a table id.
    pub fn next_table_id(&self) -> TableId {
        self.next_table_id.fetch_add(1, Ordering::AcqRel)
    }

    /// Creates the (empty) storage of a new table.
    pub fn create_storage(&self, meta: &TableMeta) -> Arc<TableStore> {
        let store = Arc::new(TableStore::new(meta.id, meta.schema()));
        self.tables.write().insert(meta.id, store.clone());
        self.metas.write().insert(meta.id, Arc::new(meta.clone()));
        store
    }

    /// A table's storage.
    pub fn table_store(&self, id: TableId) -> Option<Arc<TableStore>> {
        self.tables.read().get(&id).cloned()
    }

    /// Every object in the catalog that `snap` sees.
    pub fn catalog_entries(&self, snap: &Snapshot) -> Result<Vec<Arc<TableMeta>>> {
        let catalog = self
            .table_store(CATALOG_TABLE_ID)
            .ok_or_else(|| Error::Corrupt("the catalog table is missing".into()))?;
        let mut out = Vec::new();
        for g in catalog.groups() {
            let visible = g.visibility(snap);
            let batch: &RecordBatch = g.batch();
            let ids = batch
                .column(0)
                .as_primitive_opt::<arrow::datatypes::Int64Type>()
                .ok_or_else(|| Error::Corrupt("catalog ids".into()))?;
            for i in 0..batch.num_rows() {
                if !visible.value(i) || ids.is_null(i) {
                    continue;
                }
                let id = ids.value(i) as TableId;
                if let Some(m) = self.metas.read().get(&id) {
                    out.push(m.clone());
                    continue;
                }
                let meta = Arc::new(TableMeta::from_row(batch, i)?);
                self.metas.write().insert(id, meta.clone());
                out.push(meta);
            }
        }
        Ok(out)
    }

    /// Finds the catalog row of an object: its group and row.
    pub fn catalog_row(
        &self,
        snap: &Snapshot,
        id: TableId,
    ) -> Result<Option<(Arc<RowGroup>, u32)>> {
        let catalog = self
            .table_store(CATALOG_TABLE_ID)
            .ok_or_else(|| Error::Corrupt("the catalog table is missing".into()))?;
        for g in catalog.groups() {
            let visible = g.visibility(snap);
            let ids = g
                .batch()
                .column(0)
                .as_primitive_opt::<arrow::datatypes::Int64Type>()
                .ok_or_else(|| Error::Corrupt("catalog ids".into()))?;
            for i in 0..g.num_rows() {
                if visible.value(i) && !ids.is_null(i) && ids.value(i) == id as i64 {
                    return Ok(Some((g.clone(), i as u32)));
                }
            }
        }
        Ok(None)
    }

    /// A view of the catalog for the binder, as `snap` sees it.
    pub fn catalog_view(&self, snap: Snapshot) -> CatalogView<'_> {
        CatalogView { db: self, snap }
    }

    /// The oldest snapshot still in use.
    pub fn oldest_active(&self) -> u64 {
        self.txns.oldest_active_read_ts()
    }
}

fn unstamp(undo: &[UndoEntry], own: u64, ts: u64) {
    for e in undo {
        match e {
            UndoEntry::Insert { group, start, end } => {
                for m in &group.created()[*start..*end] {
                    let _ = m.compare_exchange(ts, own, Ordering::AcqRel, Ordering::Relaxed);
                }
            }
            UndoEntry::Delete { group, rows } => {
                for &r in rows {
                    let _ = group.deleted()[r as usize].compare_exchange(
                        ts,
                        own,
                        Ordering::AcqRel,
                        Ordering::Relaxed,
                    );
                }
            }
            UndoEntry::CreateTable(_) => {}
        }
    }
}

/// The catalog as one snapshot sees it.
pub struct CatalogView<'a> {
    db: &'a Database,
    snap: Snapshot,
}

impl CatalogAccess for CatalogView<'_> {
    fn table(&self, name: &str) -> Result<Option<crate::binder::TableEntry>> {
        for meta in self.db.catalog_entries(&self.snap)? {
            if meta.name.eq_ignore_ascii_case(name) {
                let store = match meta.kind {
                    ObjectKind::Table => Some(self.db.table_store(meta.id).ok_or_else(|| {
                        Error::Corrupt(format!("storage of table {} is missing", meta.name))
                    })?),
                    ObjectKind::View => None,
                    ObjectKind::Index => continue,
                };
                return Ok(Some((meta, store)));
            }
        }
        Ok(None)
    }

    fn aggregate(&self, name: &str) -> Option<Arc<dyn AggregateFunction>> {
        self.db.aggregates.read().get(name).cloned()
    }

    fn indexes(&self, table: TableId) -> Result<Vec<Arc<TableMeta>>> {
        Ok(self
            .db
            .catalog_entries(&self.snap)?
            .into_iter()
            .filter(|m| m.kind == ObjectKind::Index && m.on_table == Some(table))
            .collect())
    }
}
