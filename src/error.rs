//! Typed errors of the retrieval core.

use std::path::PathBuf;

/// Everything that can go wrong inside the library. The CLI and the bot map these to exit codes and
/// user-facing messages; none of them carries secrets.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The configuration file could not be read or parsed.
    #[error("config error in {path}: {message}")]
    Config { path: PathBuf, message: String },

    /// The corpus folder is missing or unreadable.
    #[error("corpus folder {path} cannot be read: {message}")]
    Corpus { path: PathBuf, message: String },

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

    /// The on-disk index failed; callers rebuild from the corpus.
    #[error("index error: {0}")]
    Index(#[from] tantivy::TantivyError),

    /// A filesystem error with the path it happened on.
    #[error("{path}: {source}")]
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

/// Result type of the library.
pub type Result<T, E = CoreError> = std::result::Result<T, E>;
