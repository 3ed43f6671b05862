//! Running the binary as an unprivileged user. Root ignores permission bits, so when the tests
//! run as root (as CI does) the binary is copied into the temp folder and run as `nobody`
//! through `setpriv`; otherwise the test user already is unprivileged. A test that cannot drop
//! privileges fails, it never skips.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The uid `setpriv` drops to.
pub const NOBODY: u32 = 65534;

/// Sets a file's mode, failing the test with the path on error.
pub fn set_mode(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {mode:o} {}: {e}", path.display()));
}

/// Whether the tests run as root (effective uid 0, from `/proc/self/status`).
pub fn running_as_root() -> bool {
    let status = std::fs::read_to_string("/proc/self/status").expect("read /proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|ids| ids.split_whitespace().nth(1))
        .map(|id| id == "0")
        .expect("an Uid line in /proc/self/status")
}

/// Folders 0755, files 0644 (executables keep their bits), recursively: tempfile creates 0700
/// folders, which `nobody` could not enter.
pub fn open_up(path: &Path) {
    let meta = std::fs::symlink_metadata(path).expect("stat");
    if meta.is_dir() {
        set_mode(path, 0o755);
        for entry in std::fs::read_dir(path).expect("read_dir").flatten() {
            open_up(&entry.path());
        }
    } else if meta.is_file() && meta.permissions().mode() & 0o111 == 0 {
        set_mode(path, 0o644);
    }
}

/// The binary to run unprivileged: as root, a copy inside `dir` (which `nobody` can reach once
/// opened up); otherwise the built binary itself.
pub fn program_in(dir: &Path) -> PathBuf {
    if !running_as_root() {
        return super::fixtures::bin();
    }
    let program = dir.join("coverage-bot");
    std::fs::copy(super::fixtures::bin(), &program).expect("copy the binary into the temp folder");
    set_mode(&program, 0o755);
    program
}

/// A command running `program` unprivileged.
pub fn command(program: &Path) -> Command {
    if !running_as_root() {
        return Command::new(program);
    }
    let setpriv = ["/usr/bin/setpriv", "/bin/setpriv"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("as root, these tests need `setpriv` (util-linux) to drop to uid 65534");
    let mut c = Command::new(setpriv);
    c.arg(format!("--reuid={NOBODY}"))
        .arg(format!("--regid={NOBODY}"))
        .arg("--clear-groups")
        .arg("--")
        .arg(program);
    c
}

/// The CLI run unprivileged over a corpus and data folder, like [`super::fixtures::cli_command`].
pub fn cli_command(program: &Path, cwd: &Path, corpus: &Path, data: &Path) -> Command {
    super::fixtures::over_corpus(command(program), cwd, corpus, data)
}
