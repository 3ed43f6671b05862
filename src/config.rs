//! Settings, read from `config/coverage-bot.toml`. Every field has a default, so a missing file at
//! the default path is not an error: a fresh clone works with no setup.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{ConfigProblem, CoreError, Result};
use crate::language::Language;

/// The default location of the config file, relative to the working directory.
pub const DEFAULT_CONFIG_PATH: &str = "config/coverage-bot.toml";

/// Accepted `index.writer_memory_mb`: tantivy needs at least 15 MB per writer thread, and at most
/// 4 GB per thread; the build uses up to 4 threads and at least 20 MB each.
pub const WRITER_MEMORY_MB: std::ops::RangeInclusive<usize> = 20..=4000;
/// Accepted `search.default_results`: the hits of one Discord page.
pub const DEFAULT_RESULTS: std::ops::RangeInclusive<usize> = 1..=5;
/// Accepted `corpus.max_file_bytes`: 1 byte to 1 GiB.
pub const MAX_FILE_BYTES: std::ops::RangeInclusive<u64> = 1..=(1 << 30);

/// The whole configuration.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Analyzer language: `fr` (default), `en`, `de`, `es`, … (see [`Language`]).
    pub language: Language,
    /// Corpus loading.
    pub corpus: CorpusConfig,
    /// Index location.
    pub index: IndexConfig,
    /// Search and quoting.
    pub search: SearchConfig,
    /// Boilerplate detection.
    pub boilerplate: BoilerplateConfig,
    /// Discord bot behaviour.
    pub discord: DiscordConfig,
    /// Semantic answers (the multilingual encoder).
    pub semantic: SemanticConfig,
    /// Fetching pages for `add`.
    pub fetch: FetchConfig,
}

/// Which networks `add URL` may reach besides the public internet.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FetchConfig {
    /// Allow loopback addresses (127.0.0.0/8, ::1).
    pub allow_loopback: bool,
    /// Allow private, shared and link-local networks (cloud metadata addresses included).
    pub allow_private: bool,
}

impl FetchConfig {
    /// The fetcher's policy for these settings.
    pub fn policy(&self) -> crate::fetch::FetchPolicy {
        crate::fetch::FetchPolicy {
            allow_loopback: self.allow_loopback,
            allow_private: self.allow_private,
            ..crate::fetch::FetchPolicy::default()
        }
    }
}

/// When the encoder is used.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SemanticMode {
    /// Use the model when it is installed; lexical answers otherwise.
    Auto,
    /// Require the model: starting without it is an error.
    On,
    /// Never use it.
    Off,
}

/// When the vectors of the best passages' sentences are computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SentenceVectors {
    /// At question time, one forward pass per passage re-read: 396 bytes a passage on disk,
    /// tens of milliseconds a question.
    Query,
    /// At index time, from the passages' own forward passes (no extra model cost), stored with
    /// the generation: about 400 bytes more on disk per sentence, no forward pass but the
    /// question's when answering.
    Index,
    /// As `index`, but passages and sentences stored compactly
    /// ([`crate::semantic::vectors::Storage::Compact`]): about 250 bytes a passage and 60 a
    /// sentence, at a small cost in answers (see the README).
    Compact,
}

impl SentenceVectors {
    /// Whether sentence vectors are stored with the index.
    pub fn stored(self) -> bool {
        self != SentenceVectors::Query
    }

    /// How the vectors are stored.
    pub fn storage(self) -> crate::semantic::vectors::Storage {
        match self {
            SentenceVectors::Compact => crate::semantic::vectors::Storage::Compact,
            _ => crate::semantic::vectors::Storage::Int8,
        }
    }
}

/// Semantic answers.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SemanticConfig {
    /// `auto`, `on` or `off`.
    pub mode: SemanticMode,
    /// The model file that `coverage-bot model install` writes.
    pub model: PathBuf,
    /// Passages a build embeds before its index goes into use (about a minute for 1,000 on two
    /// cores); when more need embedding, the index is used lexically at once and the embeddings
    /// are computed in the background (`serve`) or by `coverage-bot index`.
    pub embed_during_build_max: usize,
    /// `query`, `index` or `compact`: when the sentences of re-read passages get their vectors,
    /// and how vectors are stored.
    pub sentence_vectors: SentenceVectors,
}

impl Default for SemanticConfig {
    fn default() -> Self {
        SemanticConfig {
            mode: SemanticMode::Auto,
            model: PathBuf::from("data/models").join(crate::semantic::model_file::MODEL_FILE_NAME),
            embed_during_build_max: 1_000,
            sentence_vectors: SentenceVectors::Query,
        }
    }
}

/// Where the articles are and which files count.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CorpusConfig {
    /// Folder holding the articles.
    pub dir: PathBuf,
    /// Files larger than this many bytes are skipped and reported.
    pub max_file_bytes: u64,
}

/// Where the index lives.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct IndexConfig {
    /// Data folder for the on-disk index (git-ignored).
    pub dir: PathBuf,
    /// Memory budget of the index writer, in megabytes.
    pub writer_memory_mb: usize,
}

/// Ranking, quoting and abstention.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SearchConfig {
    /// Hits returned when the caller does not ask for a number.
    pub default_results: usize,
    /// Longest quote, in characters.
    pub max_quote_chars: usize,
    /// Abstain when the best passage covers less than this share of the question's information
    /// (IDF-weighted share of its informative terms, 0..1).
    pub min_coverage: f32,
    /// Paragraphs longer than this many characters are split into windows of sentences.
    pub max_passage_chars: usize,
    /// Extra stop words for the configured language (question words are built in for fr and en).
    pub extra_stop_words: Vec<String>,
}

/// Boilerplate patterns: case- and accent-insensitive regular expressions matched against each
/// paragraph. A matching paragraph is kept in the article but never indexed or quoted.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BoilerplateConfig {
    /// Replaces the built-in French and English patterns when set.
    pub patterns: Vec<String>,
    /// Added to the patterns.
    pub extra_patterns: Vec<String>,
}

/// Discord behaviour (the token is never here: it comes from the environment or `.env`).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DiscordConfig {
    /// Register commands in this guild only (instant), instead of globally.
    pub guild_id: Option<u64>,
    /// Whether `/ask` answers publicly by default. When false it gives an ephemeral preview with a
    /// "Post publicly" button.
    pub public_by_default: bool,
    /// Per-user cooldown of `/ask` and "Find sources", in seconds (0 disables it).
    pub ask_cooldown_seconds: u64,
    /// If not empty, the bot answers only in these channels.
    pub allowed_channels: Vec<u64>,
    /// How long the buttons of a reply keep working, in seconds.
    pub button_timeout_seconds: u64,
    /// Watch the corpus folder and reindex on change.
    pub watch_corpus: bool,
    /// Quiet period before a corpus change triggers a reindex, in milliseconds.
    pub reindex_debounce_ms: u64,
    /// The channel that gets one line per public answer and per moderator action (the same
    /// events always go to `audit.jsonl` in the data folder).
    pub audit_channel_id: Option<u64>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            language: Language::Fr,
            corpus: CorpusConfig::default(),
            index: IndexConfig::default(),
            search: SearchConfig::default(),
            boilerplate: BoilerplateConfig::default(),
            discord: DiscordConfig::default(),
            semantic: SemanticConfig::default(),
            fetch: FetchConfig::default(),
        }
    }
}

impl Default for CorpusConfig {
    fn default() -> Self {
        CorpusConfig {
            dir: PathBuf::from("corpus"),
            max_file_bytes: 10 * 1024 * 1024,
        }
    }
}

impl Default for IndexConfig {
    fn default() -> Self {
        IndexConfig {
            dir: PathBuf::from("data/index"),
            writer_memory_mb: 100,
        }
    }
}

impl Default for SearchConfig {
    fn default() -> Self {
        SearchConfig {
            default_results: 3,
            max_quote_chars: 500,
            min_coverage: 0.15,
            max_passage_chars: 700,
            extra_stop_words: Vec::new(),
        }
    }
}

impl Default for BoilerplateConfig {
    fn default() -> Self {
        BoilerplateConfig {
            patterns: crate::clean::DEFAULT_PATTERNS
                .iter()
                .map(|p| p.to_string())
                .collect(),
            extra_patterns: Vec::new(),
        }
    }
}

impl Default for DiscordConfig {
    fn default() -> Self {
        DiscordConfig {
            guild_id: None,
            public_by_default: false,
            ask_cooldown_seconds: 5,
            allowed_channels: Vec::new(),
            button_timeout_seconds: 900,
            watch_corpus: true,
            reindex_debounce_ms: 2000,
            audit_channel_id: None,
        }
    }
}

impl Config {
    /// Parses a config from TOML text.
    pub fn from_toml(text: &str, path: &Path) -> Result<Config> {
        let config: Config = toml::from_str(text).map_err(|e| CoreError::Config {
            path: path.to_path_buf(),
            problem: ConfigProblem::Parse(Box::new(e)),
        })?;
        config.validate(path)?;
        Ok(config)
    }

    /// The config a command line asks for: the file it names (which must exist), or the default
    /// file if present, with the corpus and data folders it gives put over the file's.
    pub fn for_command_line(
        file: Option<&Path>,
        corpus: Option<&Path>,
        data: Option<&Path>,
    ) -> Result<Config> {
        let mut config = match file {
            Some(path) => Config::load(path, true)?,
            None => Config::load(Path::new(DEFAULT_CONFIG_PATH), false)?,
        };
        if let Some(corpus) = corpus {
            config.corpus.dir = corpus.to_path_buf();
        }
        if let Some(data) = data {
            config.index.dir = data.to_path_buf();
        }
        Ok(config)
    }

    /// Loads the config file. A missing file is an error only when `required` (the user named it).
    pub fn load(path: &Path, required: bool) -> Result<Config> {
        match std::fs::read_to_string(path) {
            Ok(text) => Config::from_toml(&text, path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !required => {
                Ok(Config::default())
            }
            Err(e) => Err(CoreError::Config {
                path: path.to_path_buf(),
                problem: ConfigProblem::Read(e),
            }),
        }
    }

    fn validate(&self, path: &Path) -> Result<()> {
        let fail = |message: String| {
            Err(CoreError::Config {
                path: path.to_path_buf(),
                problem: ConfigProblem::Invalid(message),
            })
        };
        if !(0.0..=1.0).contains(&self.search.min_coverage) {
            return fail("search.min_coverage must be between 0 and 1".into());
        }
        if self.search.max_quote_chars < 80 {
            return fail("search.max_quote_chars must be at least 80".into());
        }
        if !DEFAULT_RESULTS.contains(&self.search.default_results) {
            return fail(format!(
                "search.default_results must be between {} and {} (a Discord page holds at most {} \
                 hits); it is {}",
                DEFAULT_RESULTS.start(),
                DEFAULT_RESULTS.end(),
                DEFAULT_RESULTS.end(),
                self.search.default_results
            ));
        }
        if !WRITER_MEMORY_MB.contains(&self.index.writer_memory_mb) {
            return fail(format!(
                "index.writer_memory_mb must be between {} and {} (megabytes); it is {}",
                WRITER_MEMORY_MB.start(),
                WRITER_MEMORY_MB.end(),
                self.index.writer_memory_mb
            ));
        }
        if !MAX_FILE_BYTES.contains(&self.corpus.max_file_bytes) {
            return fail(format!(
                "corpus.max_file_bytes must be between {} and {}; it is {}",
                MAX_FILE_BYTES.start(),
                MAX_FILE_BYTES.end(),
                self.corpus.max_file_bytes
            ));
        }
        if let Err(e) = crate::clean::Cleaner::new(&self.boilerplate.all_patterns()) {
            return Err(CoreError::Config {
                path: path.to_path_buf(),
                problem: ConfigProblem::Boilerplate(e),
            });
        }
        Ok(())
    }
}

impl BoilerplateConfig {
    /// The effective pattern list.
    pub fn all_patterns(&self) -> Vec<String> {
        self.patterns
            .iter()
            .chain(self.extra_patterns.iter())
            .cloned()
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_example_config_parses() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DEFAULT_CONFIG_PATH);
        let config = Config::load(&path, true).expect("example config must parse");
        assert_eq!(config.language, Language::Fr);
    }

    #[test]
    fn unknown_keys_and_languages_are_rejected() {
        let p = Path::new("x.toml");
        assert!(Config::from_toml("langage = \"fr\"", p).is_err());
        assert!(Config::from_toml("language = \"klingon\"", p).is_err());
        assert!(Config::from_toml("[boilerplate]\nextra_patterns = [\"(\"]", p).is_err());
        assert!(Config::from_toml("language = \"en\"", p).is_ok());
    }

    #[test]
    fn missing_default_file_gives_defaults() {
        let config = Config::load(Path::new("/nonexistent/x.toml"), false).unwrap();
        assert_eq!(config.search.max_quote_chars, 500);
        assert!(Config::load(Path::new("/nonexistent/x.toml"), true).is_err());
    }
}
