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
    self, BlobStore, PagerStore, ROOT_KEY, Root, decode_manifest, encode_manifest,
};
use crate::storage::{Horizon, PersistedGroup, RowGroup, TableStore, WriteBuffers};
use crate::txn::{self, Snapshot, TxnManager, UndoEntry};

mod schema_changes;

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
    /// Tables it dropped because `ALTER TABLE` rewrote them under a new id: its commit
    /// fails if another transaction committed changes to their rows after its snapshot.
    pub replaced: BTreeSet<TableId>,
    /// The open row groups its small writes go to, per table (sealed at commit).
    pub buffers: WriteBuffers,
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

/// Every this many commits the pager is asked whether compacting is worthwhile.
const COMPACT_EVERY: u64 = 256;

/// The catalog entries every snapshot reading at or after `newest` sees, while the
/// catalog's groups and their marks are as `key` says.
struct CatalogCache {
    /// (group id, marks version) of each catalog group.
    key: Vec<(u64, u64)>,
    /// The newest commit timestamp of any catalog mark.
    newest: u64,
    entries: Vec<Arc<TableMeta>>,
    /// Distinct for each cache filled ([`Database::catalog_epoch`]).
    epoch: u64,
}

/// What the commit lock protects: where the durable state is.
#[derive(Default)]
struct CommitState {
    /// Each table's durable manifest key.
    manifests: HashMap<TableId, u64>,
    /// Groups compaction removed from tables whose durable manifests still list them; the
    /// next written batch frees their blobs and rewrites those manifests.
    removed: HashMap<TableId, Vec<Arc<RowGroup>>>,
}

/// A commit's batch and the storage bookkeeping to install once it is written.
struct Staged {
    batch: WriteBatch,
    /// The manifest keys after the batch.
    manifests: HashMap<TableId, u64>,
    /// Groups and where the batch persists them.
    persisted: Vec<(Arc<RowGroup>, PersistedGroup)>,
    /// Groups whose blobs the batch frees.
    freed: Vec<Arc<RowGroup>>,
    /// Groups whose dirty flag staging took.
    took_dirty: Vec<Arc<RowGroup>>,
}

impl Staged {
    /// The batch was written: the bookkeeping now describes the durable state.
    fn install(self, state: &mut CommitState) {
        for (g, p) in self.persisted {
            *g.persisted() = Some(p);
        }
        for g in self.freed {
            *g.persisted() = None;
        }
        state.manifests = self.manifests;
        state.removed.clear();
    }

    /// The batch was not written: the groups' changes are still to be persisted.
    fn abandon(&self) {
        for g in &self.took_dirty {
            g.mark_dirty();
        }
    }
}

/// The shared state of one database. Sessions (see [`crate::Session`]) run statements
/// against it; any number may run at once.
pub struct Database {
    store: Option<Arc<dyn BlobStore>>,
    txns: TxnManager,
    commit: Mutex<CommitState>,
    tables: RwLock<HashMap<TableId, Arc<TableStore>>>,
    metas: RwLock<HashMap<TableId, Arc<TableMeta>>>,
    /// The catalog's entries as every snapshot from some timestamp on sees them.
    catalog_cache: Mutex<Option<CatalogCache>>,
    /// The last catalog cache's epoch.
    catalog_epochs: std::sync::atomic::AtomicU64,
    next_table_id: AtomicU32,
    aggregates: RwLock<HashMap<String, Arc<dyn AggregateFunction>>>,
    /// Whether a commit returns only once its batch is durable (see
    /// [`Database::set_sync_on_commit`]).
    sync_on_commit: std::sync::atomic::AtomicBool,
    /// Schema-change bookkeeping: dropped tables kept for older snapshots, and the newest
    /// commit that changed the catalog.
    schema: schema_changes::SchemaChanges,
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
            commit: Mutex::new(CommitState::default()),
            tables: RwLock::new(HashMap::new()),
            metas: RwLock::new(HashMap::new()),
            catalog_cache: Mutex::new(None),
            catalog_epochs: std::sync::atomic::AtomicU64::new(0),
            next_table_id: AtomicU32::new(next_table_id),
            aggregates: RwLock::new(aggregates),
            sync_on_commit: std::sync::atomic::AtomicBool::new(false),
            schema: schema_changes::SchemaChanges::default(),
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
        db.commit.lock().manifests = manifests;
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
        // Plans bound before name the old function: a new epoch retires them.
        *self.catalog_cache.lock() = None;
    }

    /// Starts a transaction.
    pub fn begin(&self) -> Transaction {
        Transaction {
            snap: self.txns.begin(),
            undo: Vec::new(),
            touched: BTreeSet::new(),
            dropped: BTreeSet::new(),
            replaced: BTreeSet::new(),
            buffers: WriteBuffers::default(),
        }
    }

    /// Rolls a transaction back entirely.
    pub fn rollback(&self, mut t: Transaction) {
        t.rollback_to(self, 0);
        self.txns.end(t.snap.txn);
    }

    /// Commits a transaction: stamps its changes with a commit timestamp and, for a
    /// durable database, writes them in one atomic pager batch before they become visible.
    ///
    /// If the batch cannot be written, the commit fails and changes nothing: the
    /// transaction is rolled back, and what the database remembers about its storage (which
    /// blobs hold which groups and manifests) still describes the durable state, so later
    /// commits work and write consistent roots.
    pub fn commit(&self, mut t: Transaction) -> Result<()> {
        t.buffers.seal_all();
        if t.undo.is_empty() && t.dropped.is_empty() {
            self.txns.end(t.snap.txn);
            return Ok(());
        }
        let mut state = self.commit.lock();
        if let Err(e) = self.check_schema_conflicts(&t) {
            drop(state);
            self.rollback(t);
            return Err(e);
        }
        let ts = self.txns.next_commit_ts();
        self.note_schema_commit(&t, ts);
        let own = t.snap.own_mark();
        txn::stamp_commit(&t.undo, own, ts);
        let oldest = self.txns.oldest_active_read_ts().min(ts);
        let horizon = Horizon {
            oldest,
            published: self.txns.last_commit(),
            committing: ts,
        };
        let written = self
            .compact_touched(&t, &mut state, &horizon)
            .and_then(|()| {
                let Some(blobs) = &self.store else {
                    return Ok(None);
                };
                let mut staged = self.stage(&t, &state, ts, blobs.as_ref())?;
                match blobs.write_batch(std::mem::take(&mut staged.batch)) {
                    Ok(()) => Ok(Some(staged)),
                    Err(e) => {
                        staged.abandon();
                        Err(e)
                    }
                }
            });
        match written {
            Ok(Some(staged)) => staged.install(&mut state),
            Ok(None) => {}
            Err(e) => {
                // Nothing became durable: take the stamps back and undo. Compaction may
                // have copied stamped marks into merged groups: no other transaction has
                // `ts`, so those marks are this transaction's and are undone too.
                unstamp(&t.undo, own, ts);
                self.undo_compacted_marks(&t, ts);
                t.rollback_to(self, 0);
                self.txns.end(t.snap.txn);
                self.txns.publish(ts);
                return Err(e);
            }
        }
        if let Some(store) = &self.store
            && self.sync_on_commit.load(Ordering::Acquire)
        {
            // Group commit: the batch is written; make it durable outside the commit lock,
            // so commits arriving meanwhile write theirs and share one fsync. Nothing
            // after this point takes the commit lock again (publishing waits for earlier
            // commits, which may need it).
            drop(state);
            if let Err(e) = store.sync() {
                // Whether the batch reached the disk is unknown, and the pager refuses
                // further writes until the database is reopened; in memory the commit
                // does not happen.
                unstamp(&t.undo, own, ts);
                t.rollback_to(self, 0);
                self.txns.end(t.snap.txn);
                self.txns.publish(ts);
                return Err(e);
            }
            self.finish_commit(&t, ts);
            return Ok(());
        }
        self.finish_commit(&t, ts);
        drop(state);
        Ok(())
    }

    /// Publishes a written (and, if required, durable) commit and tidies up after it.
    fn finish_commit(&self, t: &Transaction, ts: u64) {
        self.txns.publish(ts);
        self.retire_dropped(t, ts);
        self.txns.end(t.snap.txn);
        self.purge_retired();
        if let Some(store) = &self.store
            && ts.is_multiple_of(COMPACT_EVERY)
        {
            // Freed blobs are reclaimed when the pager finds it worthwhile (a cheap check
            // otherwise). This commit is already durable, so a failure here is not its
            // failure: a pager that cannot rewrite itself reports it on the next write.
            let _ = store.compact();
        }
    }

    /// Makes each commit return only after its batch is durable, by calling the pager's
    /// `sync` after the batch is written and outside the commit lock: commits that arrive
    /// while one fsync runs share the next one (group commit). Use it with a pager that
    /// does not sync in `write_batch` itself (`FilePager` with `SyncMode::Normal`).
    pub fn set_sync_on_commit(&self, on: bool) {
        self.sync_on_commit.store(on, Ordering::Release);
    }

    /// Reclaims the space of every freed blob now (SQL `VACUUM`; a no-op in memory).
    pub fn vacuum(&self) -> Result<()> {
        let _state = self.commit.lock();
        match &self.store {
            Some(s) => s.vacuum(),
            None => Ok(()),
        }
    }

    /// Compacts the tables `t` touched. For a durable database, the groups compaction
    /// removed are remembered until a written batch frees their blobs and rewrites their
    /// tables' manifests (the durable manifests still list them).
    fn compact_touched(
        &self,
        t: &Transaction,
        state: &mut CommitState,
        horizon: &Horizon,
    ) -> Result<()> {
        for id in &t.touched {
            if t.dropped.contains(id) {
                continue;
            }
            if let Some(store) = self.table_store(*id) {
                let removed = store.compact(horizon)?;
                if self.store.is_some() && !removed.is_empty() {
                    state.removed.entry(*id).or_default().extend(removed);
                }
            }
        }
        Ok(())
    }

    /// After a failed commit at `ts`: marks stamped `ts` in the touched tables' groups
    /// (copies that compaction made of the transaction's marks) become "never created" and
    /// "not deleted".
    fn undo_compacted_marks(&self, t: &Transaction, ts: u64) {
        for id in &t.touched {
            let Some(store) = self.table_store(*id) else {
                continue;
            };
            for g in store.groups() {
                for m in g.created().iter().chain(g.deleted().iter()) {
                    let _ = m.compare_exchange(ts, txn::NEVER, Ordering::AcqRel, Ordering::Relaxed);
                }
                g.mark_dirty();
            }
        }
    }

    /// Builds the batch of a commit at `ts` without changing anything it describes.
    fn stage(
        &self,
        t: &Transaction,
        state: &CommitState,
        ts: u64,
        blobs: &dyn BlobStore,
    ) -> Result<Staged> {
        let mut staged = Staged {
            batch: WriteBatch::new(),
            manifests: state.manifests.clone(),
            persisted: Vec::new(),
            freed: Vec::new(),
            took_dirty: Vec::new(),
        };
        let result = self.stage_into(t, state, ts, blobs, &mut staged);
        match result {
            Ok(()) => Ok(staged),
            Err(e) => {
                staged.abandon();
                Err(e)
            }
        }
    }

    fn stage_into(
        &self,
        t: &Transaction,
        state: &CommitState,
        ts: u64,
        blobs: &dyn BlobStore,
        staged: &mut Staged,
    ) -> Result<()> {
        // Groups compacted away (by this commit or by earlier ones whose batch failed).
        for g in state.removed.values().flatten() {
            if persist::stage_free_group(g, &mut staged.batch) {
                staged.freed.push(g.clone());
            }
        }
        for id in &t.dropped {
            if let Some(store) = self.table_store(*id) {
                for g in store.groups() {
                    if persist::stage_free_group(&g, &mut staged.batch) {
                        staged.freed.push(g);
                    }
                }
            }
            if let Some(k) = staged.manifests.remove(id) {
                staged.batch.free(k);
            }
        }
        // Every table the transaction touched, and every table whose group list changed
        // since its durable manifest was written.
        let mut tables: BTreeSet<TableId> = t.touched.clone();
        tables.extend(state.removed.keys().copied());
        for id in &tables {
            if t.dropped.contains(id) {
                continue;
            }
            let Some(store) = self.table_store(*id) else {
                continue;
            };
            let mut entries = Vec::new();
            for g in store.groups() {
                let sg = persist::stage_group(blobs, &g, &mut staged.batch)?;
                if sg.took_dirty {
                    staged.took_dirty.push(g.clone());
                }
                entries.push(sg.entry);
                staged.persisted.push((g, sg.persisted));
            }
            let key = blobs.alloc_keys(1)?[0];
            staged.batch.put(
                key,
                encode_manifest(store.schema().fields().len(), &entries),
            );
            if let Some(old) = staged.manifests.insert(*id, key) {
                staged.batch.free(old);
            }
        }
        let mut list: Vec<(TableId, u64)> =
            staged.manifests.iter().map(|(a, b)| (*a, *b)).collect();
        list.sort_unstable();
        let root = Root {
            last_commit: ts,
            next_table_id: self.next_table_id.load(Ordering::Acquire),
            manifests: list,
        };
        staged.batch.put(ROOT_KEY, root.encode());
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
    ///
    /// Most statements see the same catalog: when no catalog row is being written by a
    /// running transaction, every snapshot reading at or after the newest catalog commit
    /// sees the same entries, and they are reused until a catalog group's marks or the
    /// group list change.
    pub fn catalog_entries(&self, snap: &Snapshot) -> Result<Vec<Arc<TableMeta>>> {
        let catalog = self
            .table_store(CATALOG_TABLE_ID)
            .ok_or_else(|| Error::Corrupt("the catalog table is missing".into()))?;
        let groups = catalog.groups();
        // Read before the marks: a change after this read makes the key stale.
        let key: Vec<(u64, u64)> = groups.iter().map(|g| (g.id(), g.marks_version())).collect();
        if let Some(c) = self.catalog_cache.lock().as_ref()
            && c.key == key
            && snap.read_ts >= c.newest
        {
            return Ok(c.entries.clone());
        }
        let mut out = Vec::new();
        let mut pending = false;
        let mut newest = 0;
        for g in &groups {
            let visible = g.visibility(snap);
            let batch: &RecordBatch = g.batch();
            let ids = batch
                .column(0)
                .as_primitive_opt::<arrow::datatypes::Int64Type>()
                .ok_or_else(|| Error::Corrupt("catalog ids".into()))?;
            for (c, d) in g.created().iter().zip(g.deleted()) {
                for m in [c.load(Ordering::Acquire), d.load(Ordering::Acquire)] {
                    if m != txn::NEVER {
                        pending |= m & txn::PENDING_BIT != 0;
                        newest = newest.max(m);
                    }
                }
            }
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
        // Only a catalog no running transaction is writing, seen in full by `snap`.
        if !pending && snap.read_ts >= newest {
            *self.catalog_cache.lock() = Some(CatalogCache {
                key,
                newest,
                entries: out.clone(),
                epoch: self.catalog_epochs.fetch_add(1, Ordering::AcqRel) + 1,
            });
        }
        Ok(out)
    }

    /// An identifier of the catalog `snap` sees, while it is the cached one
    /// ([`Database::catalog_entries`]); `None` otherwise. Two equal answers mean the same
    /// catalog entries, table storage and aggregate functions, so a plan bound under one
    /// may run under the other. Ask after binding too: a catalog read in between may have
    /// filled the cache anew.
    pub fn catalog_epoch(&self, snap: &Snapshot) -> Option<u64> {
        let catalog = self.table_store(CATALOG_TABLE_ID)?;
        let cache = self.catalog_cache.lock();
        let c = cache.as_ref()?;
        let same = snap.read_ts >= c.newest
            && catalog.read_groups(|groups| {
                c.key.len() == groups.len()
                    && c.key
                        .iter()
                        .zip(groups)
                        .all(|(&(id, version), g)| id == g.id() && version == g.marks_version())
            });
        same.then_some(c.epoch)
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

/// Takes a failed commit's timestamp `ts` back out of its marks (they become pending for
/// `own` again, ready to be rolled back).
fn unstamp(undo: &[UndoEntry], own: u64, ts: u64) {
    txn::swap_marks(undo, ts, own, own);
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
                    ObjectKind::Table => Some(self.db.visible_store(meta.id).ok_or_else(|| {
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
