//! coverage-bot: answers questions about a corpus of news articles with verbatim, checkable
//! quotes. This crate is the retrieval core (corpus loading and cleaning, passages, the analyzer,
//! the index, search, quotes and citations), the pure renderer shared by the CLI and Discord, and
//! the Discord bot in [`bot`], the only module that knows about Discord.

pub mod analysis;
pub mod answer_type;
pub mod bot;
pub mod build;
pub mod cite;
pub mod clean;
pub mod config;
pub mod corpus;
pub mod error;
pub mod eval;
pub(crate) mod frozen_dir;
pub mod generation;
pub mod index;
pub mod library;
pub mod lock;
pub mod passage;
pub mod paths;
pub mod quote;
pub mod render;
pub mod search;
pub mod sentence;
pub mod source;
pub mod text;

pub use config::Config;
pub use error::{CoreError, Result};
pub use library::{IndexCheck, Library, OpenOutcome, ReindexOutcome, Status};
pub use search::{Hit, SearchResult};
pub use source::SourceView;
