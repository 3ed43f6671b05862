//! Typed errors of the retrieval core.

use std::path::PathBuf;

/// Everything that can go wrong inside the library. The CLI and the bot map these to exit codes and
/// user-facing messages; none of them carries secrets.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The configuration file could not be read, parsed or accepted.
    #[error("config error in {}", path.display())]
    Config {
        /// The config file.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        problem: ConfigProblem,
    },

    /// The corpus folder is missing, unreadable, or cannot be a corpus.
    #[error("corpus folder {}", path.display())]
    Corpus {
        /// The folder as given.
        path: PathBuf,
        /// What is wrong with it.
        #[source]
        problem: CorpusProblem,
    },

    /// An article cannot be shown: it became unusable since it was indexed.
    #[error("article {} cannot be shown", path.display())]
    Article {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        reason: crate::corpus::SkipReason,
    },

    /// A file name given by a user does not name a corpus article.
    #[error("no article named {requested:?} in the corpus")]
    UnknownSource {
        requested: String,
        /// The closest corpus file names, best first.
        suggestions: Vec<String>,
    },

    /// A paragraph number outside the article.
    #[error("{file} has {count} paragraphs; there is no paragraph {requested}")]
    UnknownParagraph {
        file: String,
        requested: usize,
        count: usize,
    },

    /// A setting (config key or command-line path) that cannot work; names the key.
    #[error("{key}: {message}")]
    InvalidSetting {
        /// The config key, e.g. `index.writer_memory_mb`.
        key: &'static str,
        /// What is wrong and what to do.
        message: String,
    },

    /// A byte range outside an article or inside a character.
    #[error("{file} has no byte range {start}..{end}: {reason}")]
    UnknownByteRange {
        file: String,
        start: usize,
        end: usize,
        reason: String,
    },

    /// The semantic model could not be loaded or run.
    #[error("semantic model")]
    Semantic(#[from] crate::semantic::ModelError),

    /// An article could not be added; nothing was written.
    #[error(transparent)]
    Add(#[from] crate::add::AddError),

    /// Removing or restoring an article failed.
    #[error(transparent)]
    Trash(#[from] crate::trash::TrashError),

    /// The on-disk index failed; callers rebuild from the corpus.
    #[error("index error")]
    Index(#[from] tantivy::TantivyError),

    /// An index generation is damaged: a checksum mismatch, a missing or unreadable file or
    /// catalog, or a panic while reading it. Callers rebuild it.
    #[error("the index in {} is damaged: {reason}", generation.display())]
    IndexDamaged {
        /// The generation folder.
        generation: PathBuf,
        /// What was found.
        reason: String,
    },

    /// The index is damaged or stale and cannot be rebuilt here (another process holds the
    /// writer lock and there is no usable generation, or the data folder is read-only).
    #[error("the index cannot be rebuilt: {reason}")]
    CannotRebuild {
        /// Why.
        reason: String,
    },

    /// Something (the catalog, a JSON view) could not be serialized.
    #[error("cannot serialize JSON")]
    Json(#[from] serde_json::Error),

    /// A filesystem error with the path it happened on (the cause is the error's source, so a
    /// chain prints it once).
    #[error("{}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    /// The evaluation file is malformed.
    #[error("eval file {path}, line {line}: {message}")]
    Eval {
        path: PathBuf,
        line: usize,
        message: String,
    },
}

impl CoreError {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        CoreError::Io {
            path: path.into(),
            source,
        }
    }
}

/// What is wrong with a config file.
#[derive(Debug, thiserror::Error)]
pub enum ConfigProblem {
    /// It could not be read.
    #[error("cannot read it")]
    Read(#[source] std::io::Error),
    /// It is not TOML, or has unknown keys or wrong types.
    #[error("cannot parse it")]
    Parse(#[source] Box<toml::de::Error>),
    /// A value is out of its range; the message names the key.
    #[error("{0}")]
    Invalid(String),
    /// A boilerplate pattern is refused.
    #[error(transparent)]
    Boilerplate(#[from] crate::clean::CleanerError),
}

/// What is wrong with a corpus folder.
#[derive(Debug, thiserror::Error)]
pub enum CorpusProblem {
    /// It cannot be read.
    #[error("cannot be read")]
    Unreadable(#[source] std::io::Error),
    /// It can be read but cannot be a corpus (the root of the file system, a system folder, a
    /// file); the message says what to do.
    #[error("{0}")]
    Refused(String),
}

/// An error with its chain of causes, `: `-separated, each printed once: how errors are shown in
/// logs and messages (the CLI prints the same with anyhow's `{:#}`).
pub fn chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut out = error.to_string();
    let mut cause = error.source();
    while let Some(next) = cause {
        let text = next.to_string();
        // Some errors repeat their cause in their own message; print each text once.
        if !out.ends_with(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        cause = next.source();
    }
    out
}

/// Result type of the library.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;
