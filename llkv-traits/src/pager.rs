//! The storage contract: a key-value store of immutable blobs.
//!
//! A [`Pager`] stores blobs under [`PhysicalKey`]s. Blobs are never modified in place: the
//! engine writes new blobs and frees old ones in one atomic [`WriteBatch`], which is how a
//! commit becomes durable all at once. Reads hand out [`PagerBlob`]s, cheap clonable
//! handles; a backend that can map its file hands out mapped memory, and the engine turns it
//! into an Arrow [`Buffer`] without copying ([`PagerBlob::into_buffer`]).

use std::panic::RefUnwindSafe;
use std::ptr::NonNull;
use std::sync::Arc;

use arrow::buffer::Buffer;

/// The address of one blob in a pager.
pub type PhysicalKey = u64;

/// Keys below this value are never returned by [`Pager::alloc_keys`]: the engine uses them
/// for well-known blobs such as its root.
pub const RESERVED_KEYS: PhysicalKey = 16;

/// Errors a pager reports.
#[derive(Debug, thiserror::Error)]
pub enum PagerError {
    /// An operating-system I/O error.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The file is not a pager file of this kind, or it is damaged.
    #[error("corrupt storage: {0}")]
    Corrupt(String),
    /// Another process holds the file.
    #[error("database is locked: {0}")]
    Locked(String),
    /// The file was written by a newer, incompatible format version.
    #[error("unsupported format version {found} (this build reads up to {supported})")]
    UnsupportedVersion {
        /// The version found in the file.
        found: u32,
        /// The newest version this build reads.
        supported: u32,
    },
    /// A batch named a key that was never allocated, or freed a key twice.
    #[error("invalid key {0}")]
    InvalidKey(PhysicalKey),
    /// The pager is read-only.
    #[error("pager is read-only")]
    ReadOnly,
    /// Simulated power loss (test pagers only): nothing after the cut is durable.
    #[error("simulated power loss")]
    PowerLoss,
}

/// A read-only handle on one stored blob.
///
/// Implementations must hand out the same bytes from every call to `as_ref` for as long as
/// the handle (or a clone of it) lives; `into_buffer` relies on that to lend the bytes to
/// Arrow without copying.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a pager blob",
    label = "not a read-only byte handle",
    note = "a blob must be `Clone + AsRef<[u8]> + Send + Sync + RefUnwindSafe + 'static` and implement `PagerBlob` (use `BufferBlob`, `Arc<[u8]>`, or wrap your handle)"
)]
pub trait PagerBlob: Clone + AsRef<[u8]> + Send + Sync + RefUnwindSafe + 'static {
    /// The blob as an Arrow buffer that keeps the blob alive, without copying its bytes.
    fn into_buffer(self) -> Buffer {
        let owner = Arc::new(self);
        let bytes: &[u8] = (*owner).as_ref();
        let len = bytes.len();
        match NonNull::new(bytes.as_ptr() as *mut u8) {
            // SAFETY: `ptr` points at `len` readable bytes owned by `owner`, which the
            // buffer keeps alive; the blob contract says those bytes do not change.
            Some(ptr) => unsafe { Buffer::from_custom_allocation(ptr, len, owner) },
            None => Buffer::from_vec(Vec::<u8>::new()),
        }
    }
}

/// A blob held in a 64-byte aligned Arrow [`Buffer`] (what in-memory pagers hand out).
#[derive(Debug, Clone)]
pub struct BufferBlob(pub Buffer);

impl BufferBlob {
    /// Copies `bytes` into a new 64-byte aligned buffer.
    pub fn copy_from(bytes: &[u8]) -> Self {
        Self(Buffer::from_slice_ref(bytes))
    }
}

impl AsRef<[u8]> for BufferBlob {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}

impl PagerBlob for BufferBlob {
    fn into_buffer(self) -> Buffer {
        self.0
    }
}

impl PagerBlob for Arc<[u8]> {}

/// Blobs to write and keys to free, applied atomically by [`Pager::write_batch`].
#[derive(Debug, Default, Clone)]
pub struct WriteBatch {
    /// Blobs to store. A key may be one allocated by [`Pager::alloc_keys`] or a reserved key
    /// below [`RESERVED_KEYS`]; writing a key that holds a blob replaces it.
    pub puts: Vec<(PhysicalKey, Vec<u8>)>,
    /// Keys whose blobs are no longer needed.
    pub frees: Vec<PhysicalKey>,
}

impl WriteBatch {
    /// An empty batch.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a blob to store.
    pub fn put(&mut self, key: PhysicalKey, bytes: Vec<u8>) -> &mut Self {
        self.puts.push((key, bytes));
        self
    }

    /// Adds a key to free.
    pub fn free(&mut self, key: PhysicalKey) -> &mut Self {
        self.frees.push(key);
        self
    }

    /// True if the batch neither writes nor frees anything.
    pub fn is_empty(&self) -> bool {
        self.puts.is_empty() && self.frees.is_empty()
    }
}

/// A key-value store of immutable blobs.
///
/// # Contract
/// - `write_batch` is atomic: after a crash, either every put and free of a batch is
///   visible or none is. Batches are applied in the order they were written.
/// - A blob handle stays valid after its key is freed or replaced (it still shows the old
///   bytes), so readers of an older snapshot are never disturbed.
/// - `alloc_keys` never returns a key twice in the life of the store (also across reopen)
///   and never returns a key below [`RESERVED_KEYS`].
/// - `sync` is the durability barrier: once it returns, every batch written before it
///   survives power loss. A pager may also sync in `write_batch` itself.
/// - All methods take `&self`; implementations synchronise internally.
pub trait Pager: Send + Sync + 'static {
    /// The read handle this pager hands out.
    type Blob: PagerBlob;

    /// Reads many blobs at once; `None` for a key that holds no blob.
    fn get_many(&self, keys: &[PhysicalKey]) -> Result<Vec<Option<Self::Blob>>, PagerError>;

    /// Reads one blob.
    fn get(&self, key: PhysicalKey) -> Result<Option<Self::Blob>, PagerError> {
        Ok(self.get_many(&[key])?.pop().flatten())
    }

    /// Allocates `count` fresh keys.
    fn alloc_keys(&self, count: usize) -> Result<Vec<PhysicalKey>, PagerError>;

    /// Applies a batch of puts and frees atomically.
    fn write_batch(&self, batch: WriteBatch) -> Result<(), PagerError>;

    /// Makes every batch written so far durable.
    fn sync(&self) -> Result<(), PagerError>;

    /// Reclaims the space of freed blobs if the backend finds it worthwhile now (a cheap
    /// check otherwise); returns whether it did. The default has nothing to reclaim.
    fn compact(&self) -> Result<bool, PagerError> {
        Ok(false)
    }

    /// Reclaims all the space of freed blobs now (SQL `VACUUM`). The default has nothing
    /// to reclaim.
    fn vacuum(&self) -> Result<(), PagerError> {
        Ok(())
    }
}

impl<P: Pager + ?Sized> Pager for Arc<P> {
    type Blob = P::Blob;

    fn get_many(&self, keys: &[PhysicalKey]) -> Result<Vec<Option<Self::Blob>>, PagerError> {
        (**self).get_many(keys)
    }

    fn get(&self, key: PhysicalKey) -> Result<Option<Self::Blob>, PagerError> {
        (**self).get(key)
    }

    fn alloc_keys(&self, count: usize) -> Result<Vec<PhysicalKey>, PagerError> {
        (**self).alloc_keys(count)
    }

    fn write_batch(&self, batch: WriteBatch) -> Result<(), PagerError> {
        (**self).write_batch(batch)
    }

    fn sync(&self) -> Result<(), PagerError> {
        (**self).sync()
    }

    fn compact(&self) -> Result<bool, PagerError> {
        (**self).compact()
    }

    fn vacuum(&self) -> Result<(), PagerError> {
        (**self).vacuum()
    }
}
