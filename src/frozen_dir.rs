//! A tantivy directory for reading an activated generation, which nothing writes again.
//!
//! tantivy's readers take a "meta lock" by creating a lock file in the index folder, so that a
//! writer's garbage collection does not delete files under them. Our generations are immutable
//! once activated (no writer ever opens them again), so that lock protects nothing, and creating
//! it fails on a read-only data folder: the bot could not start under `ProtectSystem=strict` with
//! a missing `ReadWritePaths`. This wrapper reads through tantivy's memory-mapped directory and
//! hands out a lock that is not a file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tantivy::directory::error::{DeleteError, LockError, OpenReadError, OpenWriteError};
use tantivy::directory::{
    Directory, DirectoryLock, FileHandle, Lock, MmapDirectory, WatchCallback, WatchHandle, WritePtr,
};

/// A read-only view of a generation folder.
#[derive(Debug, Clone)]
pub struct FrozenDirectory {
    inner: MmapDirectory,
}

impl FrozenDirectory {
    /// Opens a generation folder for reading.
    pub fn open(path: &Path) -> tantivy::Result<FrozenDirectory> {
        let inner = MmapDirectory::open(path).map_err(|e| {
            tantivy::TantivyError::SystemError(format!("cannot open {}: {e}", path.display()))
        })?;
        Ok(FrozenDirectory { inner })
    }
}

fn read_only(path: &Path) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::PermissionDenied,
        format!(
            "{} belongs to an activated index generation, which is never written",
            path.display()
        ),
    )
}

impl Directory for FrozenDirectory {
    fn get_file_handle(&self, path: &Path) -> Result<Arc<dyn FileHandle>, OpenReadError> {
        self.inner.get_file_handle(path)
    }

    fn delete(&self, path: &Path) -> Result<(), DeleteError> {
        Err(DeleteError::IoError {
            io_error: Arc::new(read_only(path)),
            filepath: path.to_path_buf(),
        })
    }

    fn exists(&self, path: &Path) -> Result<bool, OpenReadError> {
        self.inner.exists(path)
    }

    fn open_write(&self, path: &Path) -> Result<WritePtr, OpenWriteError> {
        Err(OpenWriteError::IoError {
            io_error: Arc::new(read_only(path)),
            filepath: PathBuf::from(path),
        })
    }

    fn atomic_read(&self, path: &Path) -> Result<Vec<u8>, OpenReadError> {
        self.inner.atomic_read(path)
    }

    fn atomic_write(&self, path: &Path, _data: &[u8]) -> std::io::Result<()> {
        Err(read_only(path))
    }

    fn sync_directory(&self) -> std::io::Result<()> {
        Ok(())
    }

    fn acquire_lock(&self, _lock: &Lock) -> Result<DirectoryLock, LockError> {
        Ok(DirectoryLock::from(Box::new(())))
    }

    fn watch(&self, watch_callback: WatchCallback) -> tantivy::Result<WatchHandle> {
        self.inner.watch(watch_callback)
    }
}
