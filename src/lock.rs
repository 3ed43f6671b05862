//! The writer lock: at most one process builds or cleans generations in a data folder at a time.
//!
//! It is an advisory lock (`flock` on Unix, through the standard library's `File::lock`) on a file
//! in the index folder, released by the kernel when the holder exits, even when killed. Readers
//! never take it: they read `CURRENT` and open that generation. A reader that finds the index
//! stale or damaged rebuilds only if it gets the lock; when another process holds it, the reader
//! answers from the generation in use and leaves the rebuild to that process.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

/// Name of the lock file inside the index folder.
pub const LOCK_FILE: &str = "writer.lock";

/// A held writer lock; dropping it releases the lock.
#[derive(Debug)]
pub struct WriterLock {
    _file: File,
}

/// Why the writer lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum LockError {
    /// Another process holds it (it is building).
    #[error("another coverage-bot process is rebuilding this index")]
    Busy,
    /// The lock file could not be created or locked: the data folder is read-only, missing or
    /// not ours to write.
    #[error("cannot write to the index folder {path}")]
    Unwritable {
        /// The lock file.
        path: std::path::PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl WriterLock {
    fn open(data_dir: &Path) -> Result<File, LockError> {
        let path = data_dir.join(LOCK_FILE);
        let unwritable = |source| LockError::Unwritable {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(data_dir).map_err(unwritable)?;
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(unwritable)
    }

    /// Takes the lock if no other process holds it.
    pub fn try_acquire(data_dir: &Path) -> Result<WriterLock, LockError> {
        let file = Self::open(data_dir)?;
        match file.try_lock() {
            Ok(()) => Ok(WriterLock { _file: file }),
            Err(TryLockError::WouldBlock) => Err(LockError::Busy),
            Err(TryLockError::Error(source)) => Err(LockError::Unwritable {
                path: data_dir.join(LOCK_FILE),
                source,
            }),
        }
    }

    /// Waits for the lock.
    pub fn acquire(data_dir: &Path) -> Result<WriterLock, LockError> {
        let file = Self::open(data_dir)?;
        file.lock().map_err(|source| LockError::Unwritable {
            path: data_dir.join(LOCK_FILE),
            source,
        })?;
        Ok(WriterLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_writer_is_told_the_lock_is_busy_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = WriterLock::try_acquire(dir.path()).unwrap();
        assert!(matches!(
            WriterLock::try_acquire(dir.path()),
            Err(LockError::Busy)
        ));
        drop(first);
        assert!(WriterLock::try_acquire(dir.path()).is_ok());
    }
}
