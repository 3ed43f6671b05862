//! Generation folders inside the index data folder: how they are named, marked, found and removed.
//!
//! The data folder may be shared with other things (a user can point `--data` at any folder), so
//! nothing is removed on its name alone. A generation is ours only when all three hold:
//! - its name has the strict form `gen-<millis>-<pid>-<n>` (digits only), or
//!   `.staging-gen-<millis>-<pid>-<n>` while it is being created;
//! - it is a real folder (not a symlink) directly inside the index folder;
//! - it holds the marker file, written first when the folder is created, with our exact content.
//!
//! Even then, removal deletes only the files a build writes (tantivy's segment and meta files, the
//! catalog, the marker), one by one, and then the folder with a non-recursive `remove_dir`: a file
//! someone else put inside keeps the folder, and is never deleted.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Prefix of generation folder names.
const PREFIX: &str = "gen-";
/// Prefix of a generation folder while it is created: it gets its marker under this name and is
/// then renamed, so a folder named `gen-…` always holds its marker, whenever a build is killed.
const STAGING_PREFIX: &str = ".staging-";
/// The marker file inside every generation, written before anything else.
pub const MARKER_FILE: &str = ".coverage-bot-generation";
/// The marker's content: a fixed line, so a file of the same name made by someone else is not
/// mistaken for ours.
const MARKER_CONTENT: &str = "coverage-bot index generation, safe to delete with its folder\n";
/// Name of the pointer file to the generation in use.
pub const CURRENT_FILE: &str = "CURRENT";
/// Name of the catalog inside a generation.
pub const CATALOG_FILE: &str = "catalog.json";

/// Whether `name` has the exact form of a generation folder name: `gen-<digits>-<digits>-<digits>`.
pub fn is_generation_name(name: &str) -> bool {
    is_final_name(name) || name.strip_prefix(STAGING_PREFIX).is_some_and(is_final_name)
}

fn is_final_name(name: &str) -> bool {
    let Some(rest) = name.strip_prefix(PREFIX) else {
        return false;
    };
    let parts: Vec<&str> = rest.split('-').collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 20 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Creates a new, empty, marked generation folder inside `data_dir`. The folder is made under a
/// staging name, marked, then renamed: a build killed at any point leaves either a marked folder,
/// recognised as ours and cleaned later, or an empty hidden staging folder (killed between
/// `mkdir` and the marker), which is left alone since nothing proves it is ours.
pub fn create(data_dir: &Path) -> std::io::Result<PathBuf> {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let pid = std::process::id();
    for n in 0..1000u32 {
        let name = format!("{PREFIX}{millis}-{pid}-{n}");
        let candidate = data_dir.join(&name);
        if std::fs::symlink_metadata(&candidate).is_ok() {
            continue;
        }
        let staging = data_dir.join(format!("{STAGING_PREFIX}{name}"));
        // `create_dir` fails when the name exists: never reuse someone else's folder.
        match std::fs::create_dir(&staging) {
            Ok(()) => {
                let made = std::fs::write(staging.join(MARKER_FILE), MARKER_CONTENT)
                    .and_then(|()| std::fs::rename(&staging, &candidate));
                return match made {
                    Ok(()) => Ok(candidate),
                    Err(error) => {
                        // Made by this call a moment ago: it holds the marker at most.
                        let _ = std::fs::remove_file(staging.join(MARKER_FILE));
                        let _ = std::fs::remove_dir(&staging);
                        Err(error)
                    }
                };
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(std::io::Error::new(
        std::io::ErrorKind::AlreadyExists,
        "no free generation folder name",
    ))
}

/// Whether `path` is a generation folder this program created (see the module docs).
pub fn is_ours(path: &Path) -> bool {
    let named = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(is_generation_name);
    let real_folder = std::fs::symlink_metadata(path).is_ok_and(|m| m.is_dir());
    let marker = path.join(MARKER_FILE);
    let marked = std::fs::symlink_metadata(&marker).is_ok_and(|m| m.is_file() && m.len() < 4096)
        && std::fs::read_to_string(&marker).is_ok_and(|text| text == MARKER_CONTENT);
    named && real_folder && marked
}

/// The generations of ours in `data_dir` other than `keep`, oldest name first.
pub fn others(data_dir: &Path, keep: Option<&Path>) -> Vec<PathBuf> {
    let Ok(read) = std::fs::read_dir(data_dir) else {
        return Vec::new();
    };
    let keep_name = keep.and_then(|k| k.file_name()).map(|n| n.to_owned());
    let mut found: Vec<PathBuf> = read
        .flatten()
        .filter(|item| Some(item.file_name()) != keep_name)
        .map(|item| item.path())
        .filter(|path| is_ours(path))
        .collect();
    found.sort();
    found
}

/// Whether a file inside a generation is one a build writes: tantivy's files (segment files are
/// named by a 32-hex-digit segment id), its meta and lock files, our catalog and temporary files,
/// and the marker.
fn is_build_file(name: &str) -> bool {
    const FIXED: &[&str] = &[
        "meta.json",
        ".managed.json",
        ".tantivy-meta.lock",
        ".tantivy-writer.lock",
        CATALOG_FILE,
        MARKER_FILE,
    ];
    if FIXED.contains(&name) {
        return true;
    }
    if let Some(rest) = name.strip_prefix("catalog.tmp-") {
        return !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit());
    }
    // tantivy's atomic writes go through a `.tmpXXXXXX` sibling first.
    if let Some(rest) = name.strip_prefix(".tmp") {
        return !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric());
    }
    let stem = name.split('.').next().unwrap_or("");
    stem.len() == 32 && stem.bytes().all(|b| b.is_ascii_hexdigit()) && name.len() > 33
}

/// Removes a generation of ours: only the files a build writes, then the folder if it is empty.
/// Returns whether the folder is gone. Anything that is not ours is left in place.
pub fn remove(path: &Path) -> bool {
    if !is_ours(path) {
        tracing::warn!(path = %path.display(), "not removing a folder this program did not create");
        return false;
    }
    if let Ok(read) = std::fs::read_dir(path) {
        for item in read.flatten() {
            let name = item.file_name();
            let Some(name) = name.to_str() else { continue };
            let is_file = item.file_type().is_ok_and(|t| t.is_file());
            if is_file && name != MARKER_FILE && is_build_file(name) {
                let _ = std::fs::remove_file(item.path());
            }
        }
    }
    // The marker goes last, so a removal interrupted half-way is retried next time.
    let _ = std::fs::remove_file(path.join(MARKER_FILE));
    match std::fs::remove_dir(path) {
        Ok(()) => true,
        Err(error) => {
            tracing::warn!(path = %path.display(), %error, "generation folder kept: it holds files this program did not write");
            false
        }
    }
}

/// Reads the generation that `CURRENT` points to, if any. The pointer may only name a generation
/// folder directly inside the data folder.
pub fn current(data_dir: &Path) -> Option<PathBuf> {
    let name = std::fs::read_to_string(data_dir.join(CURRENT_FILE)).ok()?;
    let name = name.trim();
    is_final_name(name).then(|| data_dir.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_strict_name_form_counts() {
        assert!(is_generation_name("gen-1733140000000-4242-0"));
        assert!(is_generation_name(".staging-gen-1733140000000-4242-0"));
        assert!(!is_generation_name(".staging-gen-x-1-2"));
        assert!(!is_generation_name("staging-gen-1-2-3"));
        for name in [
            "gen-articles",
            "gen-",
            "gen-1-2",
            "gen-1-2-3-4",
            "gen-1-2-x",
            "gen--2-3",
            "GEN-1-2-3",
            "gen-1-2-3/..",
        ] {
            assert!(!is_generation_name(name), "{name}");
        }
    }

    #[test]
    fn a_user_folder_named_like_a_generation_is_never_removed() {
        let dir = tempfile::tempdir().unwrap();
        let user = dir.path().join("gen-1-2-3");
        std::fs::create_dir(&user).unwrap();
        std::fs::write(user.join("article.txt"), "mine").unwrap();
        assert!(!is_ours(&user));
        assert!(!remove(&user));
        assert!(user.join("article.txt").exists());
        // A marker with other content is not ours either.
        std::fs::write(user.join(MARKER_FILE), "something else").unwrap();
        assert!(!remove(&user));
        assert!(user.join("article.txt").exists());
    }

    #[test]
    fn our_generation_is_removed_but_foreign_files_inside_survive() {
        let dir = tempfile::tempdir().unwrap();
        let generation = create(dir.path()).unwrap();
        assert!(is_ours(&generation));
        std::fs::write(generation.join(CATALOG_FILE), "{}").unwrap();
        std::fs::write(
            generation.join("0123456789abcdef0123456789abcdef.store"),
            "x",
        )
        .unwrap();
        assert!(remove(&generation));
        assert!(!generation.exists());

        let generation = create(dir.path()).unwrap();
        std::fs::write(generation.join("notes.txt"), "someone's").unwrap();
        assert!(!remove(&generation));
        assert!(generation.join("notes.txt").exists());
    }

    #[test]
    fn a_symlink_to_a_marked_folder_is_not_ours() {
        let dir = tempfile::tempdir().unwrap();
        let generation = create(dir.path()).unwrap();
        let link = dir.path().join("gen-9-9-9");
        std::os::unix::fs::symlink(&generation, &link).unwrap();
        assert!(!is_ours(&link));
        assert!(others(dir.path(), Some(&generation)).is_empty());
    }

    #[test]
    fn a_build_killed_while_creating_its_folder_leaves_nothing_unmarked_under_a_generation_name() {
        let dir = tempfile::tempdir().unwrap();
        let made = create(dir.path()).unwrap();
        let names: Vec<String> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 1, "no staging folder left: {names:?}");
        assert!(is_ours(&made));
        // Killed after the marker, before the rename: ours, and cleaned.
        let marked = dir.path().join(".staging-gen-1-2-3");
        std::fs::create_dir(&marked).unwrap();
        std::fs::write(marked.join(MARKER_FILE), MARKER_CONTENT).unwrap();
        // Killed before the marker: nothing proves it is ours, so it stays.
        let empty = dir.path().join(".staging-gen-1-2-4");
        std::fs::create_dir(&empty).unwrap();
        let leftovers = others(dir.path(), Some(&made));
        assert_eq!(leftovers, vec![marked.clone()]);
        assert!(remove(&marked));
        assert!(empty.exists() && made.exists());
        // CURRENT never names a staging folder.
        std::fs::write(dir.path().join(CURRENT_FILE), ".staging-gen-1-2-4").unwrap();
        assert_eq!(current(dir.path()), None);
    }
}
