//! Checks of the corpus and data folders before anything is read or written: each must be a
//! folder (the corpus one also passes [`crate::corpus::check_root`]), and neither may hold the other, so that building an index can never write into the
//! corpus nor remove anything from it.

use std::path::{Component, Path, PathBuf};

use crate::config::Config;
use crate::error::{CoreError, Result};

/// Checks the configured folders. Errors name the setting (`corpus.dir`, `index.dir`).
pub fn check(config: &Config) -> Result<()> {
    let corpus = &config.corpus.dir;
    let data = &config.index.dir;
    // Missing, a file, `/` or a system folder: refused before anything else is looked at.
    let corpus_real = crate::corpus::check_root(corpus)?;
    if let Ok(meta) = std::fs::metadata(data) {
        if !meta.is_dir() {
            return Err(CoreError::InvalidSetting {
                key: "index.dir",
                message: format!(
                    "{} is a file; the index needs a folder of its own",
                    data.display()
                ),
            });
        }
    }
    let data_real = resolve_maybe_missing(data);
    let overlap = if data_real == corpus_real {
        Some("is the corpus folder")
    } else if data_real.starts_with(&corpus_real) {
        Some("is inside the corpus folder")
    } else if corpus_real.starts_with(&data_real) {
        Some("contains the corpus folder")
    } else {
        None
    };
    match overlap {
        Some(how) => Err(CoreError::InvalidSetting {
            key: "index.dir",
            message: format!(
                "the index folder {} {how} ({}); give the index a folder of its own, outside \
                 the corpus (e.g. --data data/index)",
                data.display(),
                corpus.display()
            ),
        }),
        None => Ok(()),
    }
}

/// The absolute, symlink-free form of a path that may not exist yet: its deepest existing
/// ancestor canonicalized, then the remaining components (`..` applied lexically).
fn resolve_maybe_missing(path: &Path) -> PathBuf {
    let absolute = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .unwrap_or_else(|_| PathBuf::from("/"))
            .join(path)
    };
    let mut existing = absolute.clone();
    let mut rest: Vec<std::ffi::OsString> = Vec::new();
    loop {
        if let Ok(real) = existing.canonicalize() {
            let mut out = real;
            for part in rest.iter().rev() {
                match Path::new(part).components().next() {
                    Some(Component::ParentDir) => {
                        out.pop();
                    }
                    Some(Component::CurDir) | None => {}
                    _ => out.push(part),
                }
            }
            return out;
        }
        match (existing.file_name(), existing.parent()) {
            (Some(name), Some(parent)) => {
                rest.push(name.to_owned());
                existing = parent.to_path_buf();
            }
            _ => return absolute,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(corpus: &Path, data: &Path) -> Config {
        let mut config = Config::default();
        config.corpus.dir = corpus.to_path_buf();
        config.index.dir = data.to_path_buf();
        config
    }

    #[test]
    fn data_and_corpus_must_not_hold_each_other() {
        let root = tempfile::tempdir().unwrap();
        let corpus = root.path().join("gen-articles");
        std::fs::create_dir(&corpus).unwrap();
        for data in [
            root.path().to_path_buf(),
            corpus.clone(),
            corpus.join("index"),
            corpus.join("a/b/../index"),
        ] {
            let error = check(&config(&corpus, &data)).unwrap_err();
            assert!(
                matches!(
                    error,
                    CoreError::InvalidSetting {
                        key: "index.dir",
                        ..
                    }
                ),
                "{data:?}: {error}"
            );
        }
        assert!(check(&config(&corpus, &root.path().join("data/index"))).is_ok());
    }

    #[test]
    fn files_where_folders_belong_are_refused() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("file.txt");
        std::fs::write(&file, "x").unwrap();
        let corpus = root.path().join("corpus");
        std::fs::create_dir(&corpus).unwrap();
        assert!(matches!(
            check(&config(&file, &root.path().join("data"))),
            Err(CoreError::Corpus { .. })
        ));
        assert!(matches!(
            check(&config(&corpus, &file)),
            Err(CoreError::InvalidSetting {
                key: "index.dir",
                ..
            })
        ));
    }
}
