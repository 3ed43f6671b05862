//! coverage-bot: answers questions about a corpus of news articles with verbatim, checkable
//! quotes. This crate is the retrieval core (corpus loading and cleaning, passages, the analyzer,
//! the index, search, quotes and citations), the pure renderer shared by the CLI and Discord, and
//! the Discord bot in [`bot`], the only module that knows about Discord.

pub mod add;
pub mod analysis;
pub(crate) mod answer_type;
pub mod audit;
pub mod bot;
pub(crate) mod build;
pub mod cite;
pub mod clean;
pub mod config;
pub mod corpus;
pub mod error;
pub mod eval;
pub mod extract;
pub mod fetch;
pub mod filter;
pub(crate) mod frozen_dir;
pub(crate) mod fusion;
pub mod generation;
pub mod index;
pub mod language;
pub mod library;
pub(crate) mod lock;
pub mod messages;
pub mod page;
pub(crate) mod passage;
pub(crate) mod paths;
pub(crate) mod question_language;
pub(crate) mod quote;
pub mod render;
pub mod search;
pub mod semantic;
pub mod sentence;
pub mod source;
pub mod span;
pub mod text;
pub mod trash;

// The library's API: what the CLI, the bot and the tests use.
pub use cite::ByteView;
pub use config::Config;
pub use corpus::{ArticleMeta, SkipReason, SkippedFile};
pub use error::{CoreError, Result};
pub use language::Language;
pub use library::{Added, IndexCheck, Library, OpenOutcome, ReindexOutcome, Status};
pub use search::{Abstention, Answer, Hit, Nearest, SearchResult};
pub use source::SourceView;
pub use span::Span;
