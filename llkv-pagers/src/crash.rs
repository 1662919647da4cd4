//! [`CrashPager`]: a test pager that cuts the power at a chosen write point and tells what
//! survived, and that can inject I/O errors.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use std::io;
use std::sync::Arc;

use llkv_traits::pager::{BufferBlob, Pager, PagerError, PhysicalKey, RESERVED_KEYS, WriteBatch};
use parking_lot::Mutex;

use crate::{MemPager, SyncMode};

/// One batch as the durable model keeps it.
#[derive(Debug, Clone)]
struct Recorded {
    puts: Vec<(PhysicalKey, Arc<[u8]>)>,
    frees: Vec<PhysicalKey>,
    /// The key allocation high-water mark when the batch was written (what a
    /// [`FilePager`](crate::FilePager) record stores).
    key_hwm: PhysicalKey,
}

impl Recorded {
    fn of(batch: &WriteBatch, key_hwm: PhysicalKey) -> Self {
        Self {
            puts: batch
                .puts
                .iter()
                .map(|(k, b)| (*k, Arc::<[u8]>::from(&b[..])))
                .collect(),
            frees: batch.frees.clone(),
            key_hwm,
        }
    }
}

/// What would be on stable storage: the blobs and the key high-water mark.
#[derive(Debug, Clone, Default)]
struct Image {
    blobs: BTreeMap<PhysicalKey, Arc<[u8]>>,
    key_hwm: PhysicalKey,
}

impl Image {
    fn apply(&mut self, batch: &Recorded) {
        for (k, b) in &batch.puts {
            self.blobs.insert(*k, b.clone());
        }
        for k in &batch.frees {
            self.blobs.remove(k);
        }
        self.key_hwm = self.key_hwm.max(batch.key_hwm);
    }

    fn to_mem_pager(&self) -> MemPager {
        MemPager::from_blobs(
            self.blobs
                .iter()
                .map(|(k, b)| (*k, BufferBlob::copy_from(b))),
            self.key_hwm,
        )
    }
}

/// The mutable part of a [`CrashPager`].
#[derive(Debug)]
struct State {
    sync_mode: SyncMode,
    /// Write points passed so far (the last one's number).
    points: u64,
    crash_at: Option<u64>,
    faults: BTreeSet<u64>,
    in_flight_survives: bool,
    /// The write point at which the power was cut.
    crashed_at: Option<u64>,
    /// What is durable.
    durable: Image,
    /// Batches written but not yet durable, oldest first.
    unsynced: Vec<Recorded>,
    /// One past the largest key handed out by `alloc_keys`.
    alloc_hwm: PhysicalKey,
}

impl State {
    fn check_power(&self) -> Result<(), PagerError> {
        match self.crashed_at {
            Some(_) => Err(PagerError::PowerLoss),
            None => Ok(()),
        }
    }

    /// Counts a write point and says what happens at it.
    fn next_point(&mut self) -> Result<Point, PagerError> {
        self.check_power()?;
        self.points += 1;
        let p = self.points;
        if self.crash_at == Some(p) {
            self.crashed_at = Some(p);
            return Ok(Point::Crash);
        }
        if self.faults.remove(&p) {
            return Err(PagerError::Io(io::Error::other(format!(
                "injected I/O error at write point {p}"
            ))));
        }
        Ok(Point::Normal)
    }

    /// A batch reached the "disk": durable at once in [`SyncMode::Full`], else pending.
    fn written(&mut self, batch: Recorded) {
        match self.sync_mode {
            SyncMode::Full => self.durable.apply(&batch),
            SyncMode::Normal | SyncMode::Off => self.unsynced.push(batch),
        }
    }

    /// A sync completed.
    fn synced(&mut self) {
        if self.sync_mode == SyncMode::Normal {
            for b in std::mem::take(&mut self.unsynced) {
                self.durable.apply(&b);
            }
        }
    }
}

/// What happens at a write point.
enum Point {
    Normal,
    Crash,
}

/// A test pager that simulates power loss and I/O errors.
///
/// It wraps an inner pager that holds the **live image** (what the running process sees:
/// reads, writes and key allocation go to it) and keeps a model of the **durable image**
/// (what stable storage would hold if the power were cut now). Every call of
/// [`write_batch`](Pager::write_batch) and of [`sync`](Pager::sync) is a numbered **write
/// point**, counting from 1.
///
/// # Sync modes
/// The durable image follows [`SyncMode`], as [`FilePager`](crate::FilePager) implements
/// it:
/// - [`SyncMode::Full`] (default): a batch is durable when `write_batch` returns, so
///   everything written before the cut survives.
/// - [`SyncMode::Normal`]: a batch becomes durable at the next completed `sync`. Batches
///   written after the last sync are *unsynced*: a power cut may lose any suffix of them
///   (batches are atomic and survive as a prefix of those written), so
///   [`crash_image`](Self::crash_image) keeps none of them and
///   [`crash_image_keeping`](Self::crash_image_keeping) keeps the first `n`.
/// - [`SyncMode::Off`]: nothing written through this pager becomes durable by itself;
///   every batch stays unsynced.
///
/// # Power loss
/// [`with_crash_at(n)`](Self::with_crash_at) (or [`set_crash_at`](Self::set_crash_at))
/// cuts the power at write point `n`: that call fails with [`PagerError::PowerLoss`] and
/// so does every later call of any method (reads, allocation, writes, syncs): the pager is
/// frozen. By default the batch (or sync) in flight at the cut did not reach the disk;
/// [`with_in_flight_survives(true)`](Self::with_in_flight_survives) models the other
/// outcome, where it did but the power went before the call returned (a batch then counts
/// as written, a sync as completed). [`cut_power`](Self::cut_power) cuts it between write
/// points.
///
/// [`crash_image`](Self::crash_image) returns a [`MemPager`] holding exactly the durable
/// image (at the cut, or now if the power is still on), with a key counter that does not
/// hand out the keys it holds again; [`reopen`](Self::reopen) wraps that in a fresh
/// `CrashPager`, to crash again.
///
/// # Fault injection
/// [`with_fault_at(n)`](Self::with_fault_at) (or [`inject_fault_at`](Self::inject_fault_at))
/// makes write point `n` fail with a [`PagerError::Io`] error and change nothing, live or
/// durable; later write points work again (a transient error, unlike a power cut), so the
/// caller's error path and its recovery can be tested.
///
/// The inner pager should be empty when wrapped: the durable image knows only what was
/// written through the `CrashPager`. Batches the inner pager rejects (for example with
/// [`PagerError::InvalidKey`]) are not written anywhere, but still count as write points.
///
/// ```
/// use llkv_pagers::{CrashPager, MemPager};
/// use llkv_traits::{Pager, PagerError, WriteBatch};
///
/// let pager = CrashPager::new(MemPager::new()).with_crash_at(2);
/// let mut batch = WriteBatch::new();
/// batch.put(1, b"root v1".to_vec());
/// pager.write_batch(batch).unwrap(); // write point 1
/// let mut batch = WriteBatch::new();
/// batch.put(1, b"root v2".to_vec());
/// assert!(matches!(pager.write_batch(batch), Err(PagerError::PowerLoss))); // point 2
/// assert!(matches!(pager.get(1), Err(PagerError::PowerLoss))); // frozen
///
/// let survivor = pager.crash_image();
/// assert_eq!(survivor.get(1).unwrap().unwrap().as_ref(), b"root v1");
/// ```
pub struct CrashPager<P: Pager = MemPager> {
    inner: P,
    state: Mutex<State>,
}

impl<P: Pager> fmt::Debug for CrashPager<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.state.lock();
        f.debug_struct("CrashPager")
            .field("sync_mode", &s.sync_mode)
            .field("write_points", &s.points)
            .field("crash_at", &s.crash_at)
            .field("crashed_at", &s.crashed_at)
            .field("durable_blobs", &s.durable.blobs.len())
            .field("unsynced_batches", &s.unsynced.len())
            .finish_non_exhaustive()
    }
}

impl<P: Pager> CrashPager<P> {
    /// Wraps `inner` (which should be empty), in [`SyncMode::Full`], with no crash and no
    /// faults planned.
    pub fn new(inner: P) -> Self {
        Self::with_durable(inner, Image::default())
    }

    fn with_durable(inner: P, durable: Image) -> Self {
        let alloc_hwm = durable.key_hwm.max(RESERVED_KEYS);
        Self {
            inner,
            state: Mutex::new(State {
                sync_mode: SyncMode::Full,
                points: 0,
                crash_at: None,
                faults: BTreeSet::new(),
                in_flight_survives: false,
                crashed_at: None,
                durable,
                unsynced: Vec::new(),
                alloc_hwm,
            }),
        }
    }

    /// Sets the durability model (see the type docs). Set it before writing.
    pub fn with_sync_mode(self, mode: SyncMode) -> Self {
        self.state.lock().sync_mode = mode;
        self
    }

    /// Cuts the power at write point `n` (counting from 1).
    pub fn with_crash_at(self, n: u64) -> Self {
        self.set_crash_at(Some(n));
        self
    }

    /// Makes write point `n` fail with an I/O error (without cutting the power). May be
    /// called several times for several points.
    pub fn with_fault_at(self, n: u64) -> Self {
        self.inject_fault_at(n);
        self
    }

    /// Whether the batch or sync in flight at the cut reached the disk (default `false`).
    pub fn with_in_flight_survives(self, survives: bool) -> Self {
        self.state.lock().in_flight_survives = survives;
        self
    }

    /// Plans (or with `None` cancels) the power cut at write point `n`.
    pub fn set_crash_at(&self, n: Option<u64>) {
        self.state.lock().crash_at = n;
    }

    /// Makes write point `n` fail with an I/O error. Points already passed are ignored.
    pub fn inject_fault_at(&self, n: u64) {
        self.state.lock().faults.insert(n);
    }

    /// Cuts the power now, between write points: every later call fails with
    /// [`PagerError::PowerLoss`].
    pub fn cut_power(&self) {
        let mut s = self.state.lock();
        if s.crashed_at.is_none() {
            s.crashed_at = Some(s.points);
        }
    }

    /// The number of write points passed so far (the number of the last one).
    pub fn write_points(&self) -> u64 {
        self.state.lock().points
    }

    /// The write point at which the power was cut, if it was.
    pub fn crashed_at(&self) -> Option<u64> {
        self.state.lock().crashed_at
    }

    /// The sync mode being modelled.
    pub fn sync_mode(&self) -> SyncMode {
        self.state.lock().sync_mode
    }

    /// Batches written but not yet durable (always 0 in [`SyncMode::Full`]).
    pub fn unsynced_batches(&self) -> usize {
        self.state.lock().unsynced.len()
    }

    /// The inner pager (the live image).
    pub fn inner(&self) -> &P {
        &self.inner
    }

    /// What survives a power cut (the one that happened, or one now): the durable image,
    /// without any unsynced batch.
    pub fn crash_image(&self) -> MemPager {
        self.crash_image_keeping(0)
    }

    /// What survives a power cut if the first `unsynced` of the unsynced batches had
    /// reached the disk after all (any number up to
    /// [`unsynced_batches`](Self::unsynced_batches) is a possible outcome; a larger number
    /// keeps them all).
    pub fn crash_image_keeping(&self, unsynced: usize) -> MemPager {
        let s = self.state.lock();
        let mut image = s.durable.clone();
        for b in s.unsynced.iter().take(unsynced) {
            image.apply(b);
        }
        image.to_mem_pager()
    }

    /// A fresh `CrashPager` over [`crash_image`](Self::crash_image), in the same sync mode:
    /// the store as a restart after the power cut finds it. No crash or fault is planned.
    pub fn reopen(&self) -> CrashPager<MemPager> {
        let (durable, mode) = {
            let s = self.state.lock();
            (s.durable.clone(), s.sync_mode)
        };
        CrashPager::with_durable(durable.to_mem_pager(), durable).with_sync_mode(mode)
    }
}

impl CrashPager<MemPager> {
    /// A `CrashPager` over an existing [`MemPager`] whose contents count as durable (for
    /// example a [`crash_image`](Self::crash_image)).
    pub fn from_image(image: MemPager) -> Self {
        let durable = Image {
            blobs: image
                .blobs()
                .into_iter()
                .map(|(k, b)| (k, Arc::<[u8]>::from(b.0.as_slice())))
                .collect(),
            key_hwm: image.next_key(),
        };
        Self::with_durable(image, durable)
    }
}

impl<P: Pager> Pager for CrashPager<P> {
    type Blob = P::Blob;

    fn get_many(&self, keys: &[PhysicalKey]) -> Result<Vec<Option<P::Blob>>, PagerError> {
        self.state.lock().check_power()?;
        self.inner.get_many(keys)
    }

    fn alloc_keys(&self, count: usize) -> Result<Vec<PhysicalKey>, PagerError> {
        let mut s = self.state.lock();
        s.check_power()?;
        let keys = self.inner.alloc_keys(count)?;
        if let Some(last) = keys.iter().max() {
            s.alloc_hwm = s.alloc_hwm.max(last.saturating_add(1));
        }
        Ok(keys)
    }

    fn write_batch(&self, batch: WriteBatch) -> Result<(), PagerError> {
        // The lock is held across the inner write so that batches reach the model in the
        // order they reach the live image.
        let mut s = self.state.lock();
        let point = s.next_point()?;
        let recorded = Recorded::of(&batch, s.alloc_hwm);
        match point {
            Point::Normal => {
                self.inner.write_batch(batch)?;
                s.written(recorded);
                Ok(())
            }
            Point::Crash => {
                // The live image is frozen from here, so writing the in-flight batch to it
                // is only a way to find out whether it was valid.
                if s.in_flight_survives && self.inner.write_batch(batch).is_ok() {
                    s.written(recorded);
                }
                Err(PagerError::PowerLoss)
            }
        }
    }

    fn sync(&self) -> Result<(), PagerError> {
        let mut s = self.state.lock();
        match s.next_point()? {
            Point::Normal => {
                self.inner.sync()?;
                s.synced();
                Ok(())
            }
            Point::Crash => {
                if s.in_flight_survives {
                    s.synced();
                }
                Err(PagerError::PowerLoss)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    llkv_traits::pager_conformance_tests!(crash_pager_kit, CrashPager::new(MemPager::new()));
    llkv_traits::pager_conformance_tests!(
        crash_pager_kit_normal,
        CrashPager::new(MemPager::new()).with_sync_mode(SyncMode::Normal)
    );

    fn put(pager: &impl Pager, key: PhysicalKey, value: u8) -> Result<(), PagerError> {
        let mut b = WriteBatch::new();
        b.put(key, vec![value]);
        pager.write_batch(b)
    }

    fn value(pager: &MemPager, key: PhysicalKey) -> Option<u8> {
        pager.get(key).unwrap().map(|b| b.as_ref()[0])
    }

    #[test]
    fn full_mode_keeps_everything_before_the_cut() {
        let pager = CrashPager::new(MemPager::new()).with_crash_at(3);
        put(&pager, 1, 1).unwrap();
        pager.sync().unwrap();
        assert!(matches!(put(&pager, 1, 3), Err(PagerError::PowerLoss)));
        assert_eq!(pager.crashed_at(), Some(3));
        assert_eq!(pager.write_points(), 3);
        // Frozen: every call fails, and does not count.
        assert!(matches!(put(&pager, 2, 4), Err(PagerError::PowerLoss)));
        assert!(matches!(pager.sync(), Err(PagerError::PowerLoss)));
        assert!(matches!(pager.alloc_keys(1), Err(PagerError::PowerLoss)));
        assert!(matches!(pager.get(1), Err(PagerError::PowerLoss)));
        assert_eq!(pager.write_points(), 3);
        assert_eq!(value(&pager.crash_image(), 1), Some(1));
    }

    #[test]
    fn in_flight_batch_may_survive() {
        let pager = CrashPager::new(MemPager::new())
            .with_crash_at(2)
            .with_in_flight_survives(true);
        put(&pager, 1, 1).unwrap();
        assert!(matches!(put(&pager, 1, 2), Err(PagerError::PowerLoss)));
        assert_eq!(value(&pager.crash_image(), 1), Some(2));
    }

    #[test]
    fn normal_mode_loses_unsynced_batches_as_a_suffix() {
        let pager = CrashPager::new(MemPager::new())
            .with_sync_mode(SyncMode::Normal)
            .with_crash_at(6);
        put(&pager, 1, 1).unwrap(); // 1
        put(&pager, 2, 1).unwrap(); // 2
        pager.sync().unwrap(); // 3: both durable
        put(&pager, 1, 2).unwrap(); // 4
        put(&pager, 3, 2).unwrap(); // 5
        assert_eq!(pager.unsynced_batches(), 2);
        assert!(matches!(pager.sync(), Err(PagerError::PowerLoss))); // 6
        let none = pager.crash_image();
        assert_eq!((value(&none, 1), value(&none, 3)), (Some(1), None));
        let one = pager.crash_image_keeping(1);
        assert_eq!((value(&one, 1), value(&one, 3)), (Some(2), None));
        let all = pager.crash_image_keeping(usize::MAX);
        assert_eq!((value(&all, 1), value(&all, 3)), (Some(2), Some(2)));
        assert_eq!(value(&all, 2), Some(1));
    }

    #[test]
    fn off_mode_makes_nothing_durable() {
        let pager = CrashPager::new(MemPager::new()).with_sync_mode(SyncMode::Off);
        put(&pager, 1, 1).unwrap();
        pager.sync().unwrap();
        assert_eq!(value(&pager.crash_image(), 1), None);
        assert_eq!(value(&pager.crash_image_keeping(1), 1), Some(1));
    }

    #[test]
    fn a_fault_fails_one_write_point_and_changes_nothing() {
        let pager = CrashPager::new(MemPager::new()).with_fault_at(2);
        put(&pager, 1, 1).unwrap();
        let err = put(&pager, 1, 2).unwrap_err();
        assert!(matches!(err, PagerError::Io(_)), "{err}");
        assert!(err.to_string().contains("write point 2"), "{err}");
        assert_eq!(pager.get(1).unwrap().unwrap().as_ref(), &[1]);
        assert_eq!(value(&pager.crash_image(), 1), Some(1));
        // Not frozen: the next write point works.
        put(&pager, 1, 3).unwrap();
        assert_eq!(value(&pager.crash_image(), 1), Some(3));
        pager.inject_fault_at(pager.write_points() + 1);
        assert!(matches!(pager.sync(), Err(PagerError::Io(_))));
        pager.sync().unwrap();
    }

    #[test]
    fn rejected_batches_are_not_durable() {
        let pager = CrashPager::new(MemPager::new());
        // Key 100 was never allocated: the inner pager rejects the batch.
        assert!(matches!(
            put(&pager, 100, 1),
            Err(PagerError::InvalidKey(100))
        ));
        assert_eq!(pager.write_points(), 1);
        assert!(pager.crash_image().is_empty());
    }

    #[test]
    fn image_keeps_keys_and_high_water_mark_and_can_crash_again() {
        let pager = CrashPager::new(MemPager::new());
        let keys = pager.alloc_keys(10).unwrap();
        put(&pager, keys[0], 7).unwrap();
        let image = pager.crash_image();
        // Keys allocated before the last durable batch are not handed out again.
        assert!(image.alloc_keys(1).unwrap()[0] > keys[9]);
        let again = pager.reopen().with_crash_at(2);
        assert_eq!(again.get(keys[0]).unwrap().unwrap().as_ref(), &[7]);
        let k = again.alloc_keys(1).unwrap()[0];
        assert!(k > keys[9]);
        put(&again, k, 8).unwrap();
        assert!(matches!(
            put(&again, keys[0], 9),
            Err(PagerError::PowerLoss)
        ));
        let image = again.crash_image();
        assert_eq!(
            (value(&image, keys[0]), value(&image, k)),
            (Some(7), Some(8))
        );
        // from_image treats the contents as durable.
        let wrapped = CrashPager::from_image(image);
        assert_eq!(value(&wrapped.crash_image(), k), Some(8));
    }

    #[test]
    fn cut_power_between_write_points() {
        let pager = CrashPager::new(MemPager::new());
        put(&pager, 1, 1).unwrap();
        pager.cut_power();
        assert_eq!(pager.crashed_at(), Some(1));
        assert!(matches!(put(&pager, 1, 2), Err(PagerError::PowerLoss)));
        assert_eq!(value(&pager.crash_image(), 1), Some(1));
    }

    #[test]
    fn wraps_a_file_pager() {
        let dir = tempfile::tempdir().unwrap();
        let file = crate::FilePager::open(dir.path().join("db")).unwrap();
        let pager = CrashPager::new(file).with_crash_at(2);
        put(&pager, 1, 1).unwrap();
        assert!(matches!(put(&pager, 1, 2), Err(PagerError::PowerLoss)));
        // The live file got the first batch only; the model agrees.
        assert_eq!(pager.inner().get(1).unwrap().unwrap().as_ref(), &[1]);
        assert_eq!(value(&pager.crash_image(), 1), Some(1));
    }
}
