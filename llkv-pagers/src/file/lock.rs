//! The advisory lock that keeps a second [`FilePager`](super::FilePager) off a file.
//!
//! The lock is an `flock`-style lock (`File::try_lock`) on the sibling file `<path>.lock`.
//! Such a lock belongs to the *open file description*, not to the descriptor, and a child
//! process forked by any thread of this process shares the description until it execs
//! (close-on-exec closes the child's copy only then). Two consequences, both handled here:
//!
//! - Closing our descriptor does not release the lock while such a child still holds its
//!   copy. [`FileLock`] therefore unlocks explicitly before closing (an unlock through any
//!   descriptor of the description releases it), so a pager that was closed is unlocked at
//!   once, whatever other threads are spawning.
//! - A child forked while the lock is held keeps a reference to it until it execs, and a
//!   process that dies in that moment leaves its child holding the lock briefly. Acquiring
//!   therefore retries with backoff for a bounded time
//!   ([`FilePagerOptions::lock_timeout`](super::FilePagerOptions::lock_timeout), 250 ms by
//!   default) before reporting [`PagerError::Locked`].
//!
//! A registry of the lock files this process holds (by device and inode) tells a second
//! open in the same process apart from another process, for a precise error message.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use llkv_traits::pager::PagerError;

/// Identity of a lock file: device and inode on Unix (the same file under any path).
type LockId = (u64, u64);

/// Lock files held by pagers of this process.
static HELD: Mutex<Vec<LockId>> = Mutex::new(Vec::new());

fn held() -> std::sync::MutexGuard<'static, Vec<LockId>> {
    // The registry is a plain list that no panic can leave half-updated.
    HELD.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(unix)]
fn lock_id(file: &File, _path: &Path) -> std::io::Result<LockId> {
    use std::os::unix::fs::MetadataExt;
    let m = file.metadata()?;
    Ok((m.dev(), m.ino()))
}

#[cfg(not(unix))]
fn lock_id(_file: &File, path: &Path) -> std::io::Result<LockId> {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    std::fs::canonicalize(path)?.hash(&mut h);
    Ok((0, h.finish()))
}

/// Why one attempt to take the lock failed.
enum Busy {
    /// A pager of this process has the file open.
    ThisProcess,
    /// Another open file description holds the lock (another process, or a child forked
    /// from this one that has not yet exec'd).
    Elsewhere,
}

/// An exclusive advisory lock on `<db>.lock`, released (explicitly) on drop.
#[derive(Debug)]
pub(crate) struct FileLock {
    file: File,
    id: LockId,
}

impl FileLock {
    /// Takes the lock on `lock_path` for the database `db_path`, waiting up to `timeout`
    /// (with backoff) while it is busy. Errors: [`PagerError::Locked`] naming `db_path` if
    /// it stays busy, [`PagerError::Io`].
    pub(crate) fn acquire(
        lock_path: &Path,
        db_path: &Path,
        timeout: Duration,
    ) -> Result<Self, PagerError> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(lock_path)?;
        let id = lock_id(&file, lock_path)?;
        let start = Instant::now();
        let mut backoff = Duration::from_micros(500);
        loop {
            let busy = match Self::try_once(&file, id)? {
                None => return Ok(Self { file, id }),
                Some(busy) => busy,
            };
            let waited = start.elapsed();
            if waited >= timeout {
                let who = match busy {
                    Busy::ThisProcess => "is already open in this process",
                    Busy::Elsewhere => "is locked by another process",
                };
                return Err(PagerError::Locked(format!(
                    "{} {who} (lock file {}, waited {} ms)",
                    db_path.display(),
                    lock_path.display(),
                    waited.as_millis()
                )));
            }
            std::thread::sleep(backoff.min(timeout - waited));
            backoff = (backoff * 2).min(Duration::from_millis(20));
        }
    }

    /// One attempt: `None` if the lock is now ours (and registered).
    fn try_once(file: &File, id: LockId) -> Result<Option<Busy>, PagerError> {
        let mut held = held();
        if held.contains(&id) {
            return Ok(Some(Busy::ThisProcess));
        }
        match file.try_lock() {
            Ok(()) => {
                held.push(id);
                Ok(None)
            }
            Err(TryLockError::WouldBlock) => Ok(Some(Busy::Elsewhere)),
            Err(TryLockError::Error(e)) => Err(PagerError::Io(e)),
        }
    }
}

impl Drop for FileLock {
    fn drop(&mut self) {
        let mut held = held();
        // Unlock explicitly: closing our descriptor alone would leave the lock held by any
        // forked child that still shares the open file description.
        let _ = self.file.unlock();
        held.retain(|h| *h != self.id);
        // The descriptor closes after this, when `file` drops.
    }
}
