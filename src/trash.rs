//! Removing an article moves it to a trash folder inside the data folder; restoring moves it
//! back. Nothing is ever deleted: a removed article stays in the trash until someone restores it
//! or deletes it by hand.
//!
//! Layout: `<data>/trash/<stamp>/<name>`, one stamp folder per removal (`<unix millis>-<n>`), the
//! article keeping its corpus-relative name inside it, so the same name can be removed several
//! times and each copy stays.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// The trash folder's name inside the data folder.
pub const TRASH_DIR: &str = "trash";

/// Why an article could not be removed or restored.
#[derive(Debug, thiserror::Error)]
pub enum TrashError {
    /// The corpus has no regular file by that name (a symlink is not removed: its target is not
    /// ours to move).
    #[error("{name:?} is not a file of the corpus")]
    NotInCorpus {
        /// The name given.
        name: String,
    },
    /// The trash holds no article by that name.
    #[error("the trash holds no {name:?}")]
    NotInTrash {
        /// The name given.
        name: String,
        /// What the trash holds, for the message.
        trashed: Vec<String>,
    },
    /// Restoring would overwrite an article of the corpus.
    #[error("the corpus already has {name:?}; move it away first")]
    WouldOverwrite {
        /// The name.
        name: String,
    },
    /// A name that is not a plain relative path.
    #[error("{name:?} is not a corpus file name")]
    BadName {
        /// The name given.
        name: String,
    },
    /// A filesystem operation failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> TrashError + '_ {
    move |source| TrashError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Checks that `name` is a relative path of plain components (`a/b.md`), never `..`, absolute,
/// or with a backslash or NUL.
fn checked_name(name: &str) -> Result<&str, TrashError> {
    let plain = !name.is_empty()
        && !name.contains(['\\', '\0'])
        && name
            .split('/')
            .all(|part| !part.is_empty() && part != "." && part != "..");
    if plain {
        Ok(name)
    } else {
        Err(TrashError::BadName {
            name: name.to_string(),
        })
    }
}

/// Moves corpus file `name` into a new stamp folder of the trash. Returns where it went.
pub fn remove(corpus_dir: &Path, data_dir: &Path, name: &str) -> Result<PathBuf, TrashError> {
    let name = checked_name(name)?;
    let source = corpus_dir.join(name);
    let is_file = std::fs::symlink_metadata(&source).is_ok_and(|m| m.file_type().is_file());
    if !is_file {
        return Err(TrashError::NotInCorpus {
            name: name.to_string(),
        });
    }
    let stamp = new_stamp_dir(&data_dir.join(TRASH_DIR))?;
    let target = stamp.join(name);
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    move_file(&source, &target)?;
    Ok(target)
}

/// Moves the most recently removed copy of `name` back into the corpus. Refuses to overwrite.
pub fn restore(corpus_dir: &Path, data_dir: &Path, name: &str) -> Result<PathBuf, TrashError> {
    let name = checked_name(name)?;
    let trash = data_dir.join(TRASH_DIR);
    let Some(stamp) = stamps(&trash)?
        .into_iter()
        .rev()
        .find(|stamp| stamp.join(name).is_file())
    else {
        return Err(TrashError::NotInTrash {
            name: name.to_string(),
            trashed: list(data_dir)?,
        });
    };
    let target = corpus_dir.join(name);
    if std::fs::symlink_metadata(&target).is_ok() {
        return Err(TrashError::WouldOverwrite {
            name: name.to_string(),
        });
    }
    if let Some(parent) = target.parent() {
        std::fs::create_dir_all(parent).map_err(io(parent))?;
    }
    move_file(&stamp.join(name), &target)?;
    // The stamp folder and its subfolders are ours: removed once empty (remove_dir never
    // removes a folder that still holds something).
    let mut folder = stamp.join(name);
    while folder.pop() && folder.starts_with(&stamp) {
        if std::fs::remove_dir(&folder).is_err() {
            break;
        }
    }
    Ok(target)
}

/// The names in the trash, newest removal first, each once.
pub fn list(data_dir: &Path) -> Result<Vec<String>, TrashError> {
    let mut names = Vec::new();
    for stamp in stamps(&data_dir.join(TRASH_DIR))?.into_iter().rev() {
        for entry in walkdir::WalkDir::new(&stamp)
            .follow_links(false)
            .sort_by_file_name()
        {
            let Ok(entry) = entry else { continue };
            if !entry.file_type().is_file() {
                continue;
            }
            let Ok(relative) = entry.path().strip_prefix(&stamp) else {
                continue;
            };
            let name = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy())
                .collect::<Vec<_>>()
                .join("/");
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    Ok(names)
}

/// The stamp folders, oldest first (stamps sort by time, then by counter).
fn stamps(trash: &Path) -> Result<Vec<PathBuf>, TrashError> {
    let entries = match std::fs::read_dir(trash) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err(io(trash)(e)),
    };
    let mut found: Vec<(u128, u64, PathBuf)> = entries
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            let (millis, n) = name.split_once('-')?;
            Some((millis.parse().ok()?, n.parse().ok()?, e.path()))
        })
        .collect();
    found.sort();
    Ok(found.into_iter().map(|(_, _, path)| path).collect())
}

/// Creates a fresh stamp folder; the counter makes two removals in one millisecond distinct.
fn new_stamp_dir(trash: &Path) -> Result<PathBuf, TrashError> {
    std::fs::create_dir_all(trash).map_err(io(trash))?;
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    for n in 0u64.. {
        let candidate = trash.join(format!("{millis:013}-{n}"));
        match std::fs::create_dir(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io(&candidate)(e)),
        }
    }
    unreachable!("u64 counters do not run out")
}

/// Renames `from` to `to`; across filesystems, copies, syncs, then removes `from` (the copy is
/// whole on disk before the original goes).
fn move_file(from: &Path, to: &Path) -> Result<(), TrashError> {
    match std::fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::CrossesDevices => {
            // The data folder is on another filesystem than the corpus.
            std::fs::copy(from, to).map_err(io(to))?;
            std::fs::File::open(to)
                .and_then(|f| f.sync_all())
                .map_err(io(to))?;
            std::fs::remove_file(from).map_err(io(from))
        }
        Err(e) => Err(io(from)(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folders() -> (tempfile::TempDir, PathBuf, PathBuf) {
        let root = tempfile::tempdir().unwrap();
        let corpus = root.path().join("corpus");
        let data = root.path().join("data");
        std::fs::create_dir_all(corpus.join("2024")).unwrap();
        std::fs::write(corpus.join("2024/a.md"), "first").unwrap();
        (root, corpus, data)
    }

    #[test]
    fn a_removed_article_keeps_its_bytes_in_the_trash_and_comes_back() {
        let (_root, corpus, data) = folders();
        let trashed = remove(&corpus, &data, "2024/a.md").unwrap();
        assert!(!corpus.join("2024/a.md").exists());
        assert_eq!(std::fs::read_to_string(&trashed).unwrap(), "first");
        assert!(trashed.starts_with(data.join(TRASH_DIR)));
        assert_eq!(list(&data).unwrap(), ["2024/a.md"]);
        let restored = restore(&corpus, &data, "2024/a.md").unwrap();
        assert_eq!(restored, corpus.join("2024/a.md"));
        assert_eq!(std::fs::read_to_string(&restored).unwrap(), "first");
        assert!(list(&data).unwrap().is_empty());
        // Its empty stamp folder is gone; the trash folder itself stays.
        assert_eq!(std::fs::read_dir(data.join(TRASH_DIR)).unwrap().count(), 0);
    }

    #[test]
    fn every_removal_is_kept_and_the_newest_comes_back_first() {
        let (_root, corpus, data) = folders();
        remove(&corpus, &data, "2024/a.md").unwrap();
        std::fs::write(corpus.join("2024/a.md"), "second").unwrap();
        remove(&corpus, &data, "2024/a.md").unwrap();
        restore(&corpus, &data, "2024/a.md").unwrap();
        assert_eq!(
            std::fs::read_to_string(corpus.join("2024/a.md")).unwrap(),
            "second"
        );
        // The older copy is still there, and restoring over the corpus's file is refused.
        assert_eq!(list(&data).unwrap(), ["2024/a.md"]);
        assert!(matches!(
            restore(&corpus, &data, "2024/a.md"),
            Err(TrashError::WouldOverwrite { .. })
        ));
        assert_eq!(
            std::fs::read_to_string(corpus.join("2024/a.md")).unwrap(),
            "second"
        );
    }

    #[test]
    fn names_outside_the_corpus_or_the_trash_are_refused_and_touch_nothing() {
        let (root, corpus, data) = folders();
        std::fs::write(root.path().join("secret.txt"), "keep").unwrap();
        for name in [
            "../secret.txt",
            "/etc/passwd",
            "2024/../../secret.txt",
            "",
            "a\\b",
            "2024//a.md",
        ] {
            assert!(
                matches!(
                    remove(&corpus, &data, name),
                    Err(TrashError::BadName { .. })
                ),
                "{name}"
            );
            assert!(
                matches!(
                    restore(&corpus, &data, name),
                    Err(TrashError::BadName { .. })
                ),
                "{name}"
            );
        }
        assert!(matches!(
            remove(&corpus, &data, "nope.md"),
            Err(TrashError::NotInCorpus { .. })
        ));
        assert!(matches!(
            remove(&corpus, &data, "2024"),
            Err(TrashError::NotInCorpus { .. })
        ));
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink(root.path().join("secret.txt"), corpus.join("link.md"))
                .unwrap();
            assert!(matches!(
                remove(&corpus, &data, "link.md"),
                Err(TrashError::NotInCorpus { .. })
            ));
        }
        match restore(&corpus, &data, "never.md") {
            Err(TrashError::NotInTrash { trashed, .. }) => assert!(trashed.is_empty()),
            other => panic!("{other:?}"),
        }
        assert_eq!(
            std::fs::read_to_string(root.path().join("secret.txt")).unwrap(),
            "keep"
        );
        assert_eq!(
            std::fs::read_to_string(corpus.join("2024/a.md")).unwrap(),
            "first"
        );
    }
}
