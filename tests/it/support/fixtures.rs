//! Fixtures for the reliability suite: temporary corpora, a canary file beside them, the built
//! binary, and process figures (peak RSS).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use coverage_bot::{Config, Library};

/// Text of the canary file placed beside test corpora. It reads like an article, so that it
/// would be indexed and quoted if anything ever read it.
pub const CANARY: &str = "CANARY7f3e9b2ad41c";

/// The canary file's content.
pub fn canary_article() -> String {
    format!(
        "Le secret du canari\n\nCe paragraphe du canari {CANARY} raconte que Microsoft et Azure \
         cachent un trésor zorblax sous la surveillance du ministère.\n"
    )
}

/// A temporary folder holding `corpus/` (a copy of the bundled corpus), `secret.txt` (the canary,
/// beside the corpus) and `data/` (for the index).
pub struct TempCorpus {
    /// The root folder (deleted on drop).
    pub root: tempfile::TempDir,
}

impl TempCorpus {
    /// A copy of the bundled corpus with the canary beside it.
    pub fn new() -> TempCorpus {
        let root = tempfile::tempdir().expect("tempdir");
        copy_repo_corpus(&root.path().join("corpus"));
        std::fs::write(root.path().join("secret.txt"), canary_article()).unwrap();
        TempCorpus { root }
    }

    /// A corpus holding only `files` (name, text), and no canary.
    pub fn with_files(files: &[(&str, &str)]) -> TempCorpus {
        let root = tempfile::tempdir().expect("tempdir");
        let corpus = root.path().join("corpus");
        std::fs::create_dir_all(&corpus).expect("corpus folder");
        for (name, text) in files {
            std::fs::write(corpus.join(name), text).expect("write article");
        }
        TempCorpus { root }
    }

    /// The corpus folder.
    pub fn corpus(&self) -> PathBuf {
        self.root.path().join("corpus")
    }

    /// The canary file, beside the corpus.
    pub fn canary_path(&self) -> PathBuf {
        self.root.path().join("secret.txt")
    }

    /// The index data folder.
    pub fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }

    /// A config over this corpus and data folder.
    pub fn config(&self) -> Config {
        super::harness::test_config(&self.corpus(), &self.data())
    }

    /// Opens the library.
    pub fn open(&self) -> Library {
        Library::open(self.config()).expect("library opens").0
    }
}

/// Copies the bundled corpus's files into `dest` (created).
pub fn copy_repo_corpus(dest: &Path) {
    std::fs::create_dir_all(dest).unwrap();
    for entry in std::fs::read_dir(super::harness::repo_corpus()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), dest.join(entry.file_name())).unwrap();
        }
    }
}

/// The built `coverage-bot` binary.
pub fn bin() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_coverage-bot"))
}

/// The binary run from `cwd` (so no config or `.env` of another folder is picked up), with no
/// token and no log filter from the environment.
pub fn bin_in(cwd: &Path) -> Command {
    let mut command = Command::new(bin());
    command
        .current_dir(cwd)
        .env_remove("DISCORD_TOKEN")
        .env_remove("RUST_LOG");
    command
}

/// The CLI over a corpus and data folder, from `cwd` (so no config or `.env` of the repository is
/// picked up), with no token and no log filter from the environment.
pub fn cli_command(cwd: &Path, corpus: &Path, data: &Path) -> Command {
    over_corpus(Command::new(bin()), cwd, corpus, data)
}

/// Points a command that runs the binary (directly or through a wrapper) at a corpus and data
/// folder, from `cwd`, with no token and no log filter from the environment.
pub fn over_corpus(mut command: Command, cwd: &Path, corpus: &Path, data: &Path) -> Command {
    command
        .current_dir(cwd)
        .arg("--corpus")
        .arg(corpus)
        .arg("--data")
        .arg(data)
        .env_remove("DISCORD_TOKEN")
        .env_remove("RUST_LOG");
    command
}

/// Runs the CLI over a corpus and data folder (see [`cli_command`]).
pub fn run_cli(cwd: &Path, corpus: &Path, data: &Path, args: &[&str]) -> Output {
    cli_command(cwd, corpus, data)
        .args(args)
        .output()
        .expect("run coverage-bot")
}

/// A field of `/proc/self/status` in kB (`VmHWM` is the peak RSS), where available.
pub fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find(|l| l.starts_with(field))?
        .split_whitespace()
        .nth(1)?
        .parse()
        .ok()
}

/// `text` encoded as Latin-1 (ISO-8859-1); characters outside it become `?`.
pub fn latin1(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// Whether a string's lowercase form contains the canary.
pub fn has_canary(text: &str) -> bool {
    text.contains(CANARY) || text.to_lowercase().contains(&CANARY.to_lowercase())
}

/// Writes `n` small synthetic French articles `synth-NNNNN.txt` into `dir`, each with a few
/// paragraphs and a unique word, and returns their names.
pub fn write_synthetic_corpus(dir: &Path, n: usize) -> Vec<String> {
    const SUBJECTS: &[&str] = &[
        "la mairie",
        "le ministère",
        "l'entreprise",
        "le syndicat",
        "la préfecture",
        "le tribunal",
        "l'université",
        "la région",
    ];
    const VERBS: &[&str] = &[
        "annonce", "conteste", "prépare", "suspend", "finance", "examine", "reporte", "publie",
    ];
    const OBJECTS: &[&str] = &[
        "un nouveau budget",
        "la réforme des transports",
        "un rapport sur l'eau",
        "le plan de rénovation",
        "une enquête interne",
        "la fermeture du site",
        "un accord salarial",
        "les résultats du scrutin",
    ];
    std::fs::create_dir_all(dir).unwrap();
    let mut names = Vec::with_capacity(n);
    for i in 0..n {
        let pick = |list: &[&'static str], salt: usize| list[(i * 7 + salt * 13) % list.len()];
        let name = format!("synth-{i:05}.txt");
        let text = format!(
            "{} {} {} (dossier {i})\n\n{} {} {} après plusieurs mois de discussions, selon le \
             communiqué numéro {i} publié jeudi. Les élus demandent des précisions.\n\nLe mot \
             témoin de cet article est synthmot{i}, cité une seule fois. {} {} {} dès la \
             semaine prochaine.\n",
            pick(SUBJECTS, 0),
            pick(VERBS, 1),
            pick(OBJECTS, 2),
            pick(SUBJECTS, 3),
            pick(VERBS, 4),
            pick(OBJECTS, 5),
            pick(SUBJECTS, 6),
            pick(VERBS, 7),
            pick(OBJECTS, 8),
        );
        std::fs::write(dir.join(&name), text).unwrap();
        names.push(name);
    }
    names
}
