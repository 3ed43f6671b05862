//! The library facade: one corpus, its index, and the operations every front end uses. Searches
//! run on an immutable snapshot; a reindex builds a new generation beside it and swaps it in
//! atomically, so queries never wait for or see a half-built index.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use arc_swap::ArcSwap;
use serde::Serialize;

use crate::add::{AddedBy, Submission};
use crate::analysis::Analyzers;
use crate::audit::AuditLog;
use crate::build::{build_generation, BuildSettings, BuildTools};
use crate::cite::ByteView;
use crate::clean::Cleaner;
use crate::config::{Config, SemanticMode};
use crate::corpus::{list_corpus, ArticleMeta, SkippedFile};
use crate::error::{CoreError, Result};
use crate::filter::{Filter, OutletCount};
use crate::index::{activate_generation, fingerprint, open_generation, Snapshot};
use crate::lock::{LockError, WriterLock};
use crate::search::{Abstention, Answer, SearchResult};
use crate::semantic::Encoder;
use crate::source::SourceView;
use crate::trash::TrashError;

/// How the index was made available at start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpenOutcome {
    /// An up-to-date index was opened.
    Opened,
    /// An index was built; the reason says why.
    Built {
        /// Why: none yet, corpus changed, analyzer changed, or damage.
        reason: String,
    },
    /// The index in use is out of date and could not be rebuilt now (another process is
    /// rebuilding it, the data folder is read-only, the rebuild failed). Answers come from the
    /// last good generation.
    Stale {
        /// Why it is out of date and why it was not rebuilt.
        reason: String,
    },
}

/// How thoroughly an existing index is checked when it is opened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexCheck {
    /// Open it and read a document and a posting list of every segment (milliseconds).
    Probe,
    /// Also verify every segment file's checksum, which finds bit rot anywhere (reads the whole
    /// index once). Used by `index` and by the bot at start.
    Checksums,
}

/// The result of a reindex request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReindexOutcome {
    /// The corpus had not changed.
    Unchanged,
    /// A new generation is in use.
    Rebuilt {
        /// Articles indexed.
        articles: usize,
        /// Passages indexed.
        passages: usize,
        /// Build time.
        millis: u64,
    },
    /// Shutdown was requested during the build; the old index stays in use.
    Cancelled,
}

/// The outcome of [`Library::add_article`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// Written and indexed.
    Added {
        /// The corpus file.
        file: String,
        /// Its paragraphs, as indexed.
        paragraphs: usize,
    },
    /// The corpus already has it.
    AlreadyThere {
        /// The corpus file that holds it.
        file: String,
    },
}

/// What `/status` shows.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Indexed articles.
    pub articles: usize,
    /// Indexed passages.
    pub passages: usize,
    /// Skipped files with reasons.
    pub skipped: Vec<SkippedFile>,
    /// When the index was built (seconds since the epoch).
    pub built_at_unix: u64,
    /// Seconds since it was built.
    pub index_age_seconds: u64,
    /// Build time.
    pub build_millis: u64,
    /// Crate version.
    pub version: String,
    /// Analyzer version.
    pub analyzer_version: String,
    /// Analyzer language.
    pub language: String,
    /// Whether a reindex is running.
    pub reindexing: bool,
    /// Set when answers come from an out-of-date index, with the reason.
    pub stale: Option<String>,
    /// Warnings from the build (a boilerplate pattern removing most of the corpus).
    pub warnings: Vec<String>,
    /// Semantic answers: the mode, and the model when one is loaded.
    pub semantic: SemanticStatus,
}

/// Whether answers are semantic, with which model.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SemanticStatus {
    /// The configured mode.
    pub mode: SemanticMode,
    /// The loaded model (path, hash, origin); none in lexical mode.
    pub model: Option<crate::semantic::ModelInfo>,
    /// Whether the index in use holds the passage embeddings (false until the first build
    /// with the model).
    pub embedded: bool,
    /// Whether answers use sentence vectors stored with the index (`sentence_vectors =
    /// "index"`, once computed) instead of re-reading at question time.
    pub stored_sentences: bool,
    /// Whether the vectors in use are stored compactly (`sentence_vectors = "compact"`).
    pub compact: bool,
}

impl SemanticStatus {
    /// Whether questions are answered with the encoder.
    pub fn active(&self) -> bool {
        self.model.is_some() && self.embedded
    }
}

/// What a search of the index found, before the hits are checked against the files.
enum Attempt {
    Done(SearchResult),
    Failed(String),
}

/// What was found on disk when opening.
enum Found {
    /// The current generation, up to date.
    Fresh(Snapshot),
    /// The current generation opens, but is out of date for the reason given.
    Stale(Snapshot, String),
    /// No usable generation, for the reason given.
    Missing(String),
}

/// One corpus and its index.
pub struct Library {
    config: Config,
    settings: BuildSettings,
    analyzers: Analyzers,
    cleaner: Cleaner,
    current: ArcSwap<Snapshot>,
    encoder: Option<Arc<Encoder>>,
    build_lock: Mutex<()>,
    reindexing: AtomicBool,
    cancel: AtomicBool,
    stale: Mutex<Option<String>>,
    audit: AuditLog,
}

impl Library {
    /// Opens the index for the configured corpus (with [`IndexCheck::Probe`]), building or
    /// rebuilding it when it is missing, stale, made by another analyzer version, or damaged.
    pub fn open(config: Config) -> Result<(Library, OpenOutcome)> {
        Library::open_with(config, IndexCheck::Probe)
    }

    /// [`Library::open`] with a chosen check of the existing index.
    ///
    /// When the index is out of date but cannot be rebuilt (read-only data folder, another
    /// process rebuilding, a failed build), the last good generation is used and the outcome is
    /// [`OpenOutcome::Stale`]; only when no usable generation exists is that an error.
    pub fn open_with(config: Config, check: IndexCheck) -> Result<(Library, OpenOutcome)> {
        crate::paths::check(&config)?;
        let analyzers = Analyzers::new(config.language, &config.search.extra_stop_words);
        let cleaner =
            Cleaner::new(&config.boilerplate.all_patterns()).map_err(|e| CoreError::Config {
                path: PathBuf::from("boilerplate"),
                problem: e.into(),
            })?;
        let encoder = load_encoder(&config)?.map(Arc::new);
        let settings = BuildSettings::from_config(&config);
        let tools = BuildTools {
            analyzers: &analyzers,
            cleaner: &cleaner,
            encoder: encoder.as_deref(),
        };
        let (snapshot, outcome) = open_or_build(&settings, &tools, check)?;
        let stale = match &outcome {
            OpenOutcome::Stale { reason } => Some(reason.clone()),
            _ => None,
        };
        Ok((
            Library {
                settings,
                analyzers,
                cleaner,
                current: ArcSwap::from_pointee(snapshot),
                encoder,
                build_lock: Mutex::new(()),
                reindexing: AtomicBool::new(false),
                cancel: AtomicBool::new(false),
                stale: Mutex::new(stale),
                audit: AuditLog::in_data_dir(&config.index.dir),
                config,
            },
            outcome,
        ))
    }

    fn tools(&self) -> BuildTools<'_> {
        BuildTools {
            analyzers: &self.analyzers,
            cleaner: &self.cleaner,
            encoder: self.encoder.as_deref(),
        }
    }

    /// Adds an article to the corpus (see [`crate::add`]) and reindexes. An article already in
    /// the corpus (same URL or same text) is not written again: the outcome names it.
    pub fn add_article(&self, submission: &Submission, added_by: &AddedBy) -> Result<Added> {
        let new = crate::add::prepare(submission, added_by)?;
        let snapshot = self.snapshot();
        if let Some(existing) = crate::add::existing(&new, &snapshot.catalog.articles) {
            return Ok(Added::AlreadyThere {
                file: existing.file.clone(),
            });
        }
        if self.config.corpus.dir.join(&new.file).exists() {
            return Ok(Added::AlreadyThere { file: new.file });
        }
        crate::add::write(&self.config.corpus.dir, &new)?;
        self.reindex(false)?;
        let paragraphs = self
            .snapshot()
            .article(&new.file)
            .map(|a| a.paragraphs)
            .unwrap_or(0);
        Ok(Added::Added {
            file: new.file,
            paragraphs,
        })
    }

    /// Moves an article (named as `source` accepts it) to the trash in the data folder, then
    /// reindexes. Returns the corpus name and the reindex outcome.
    pub fn remove_article(&self, name: &str) -> Result<(String, ReindexOutcome)> {
        let (corpus, data) = (&self.config.corpus.dir, &self.config.index.dir);
        let file = match crate::source::resolve(&self.snapshot(), name) {
            Ok(meta) => meta.file.clone(),
            // A file the index skipped can still be removed by its exact (plain) name.
            Err(unknown) => match crate::trash::remove(corpus, data, name) {
                Ok(_) => return Ok((name.to_string(), self.reindex(false)?)),
                Err(TrashError::NotInCorpus { .. } | TrashError::BadName { .. }) => {
                    return Err(unknown)
                }
                Err(other) => return Err(other.into()),
            },
        };
        crate::trash::remove(corpus, data, &file)?;
        Ok((file, self.reindex(false)?))
    }

    /// Moves the most recently removed copy of `name` back into the corpus, then reindexes.
    pub fn restore_article(&self, name: &str) -> Result<ReindexOutcome> {
        crate::trash::restore(&self.config.corpus.dir, &self.config.index.dir, name.trim())?;
        self.reindex(false)
    }

    /// The names in the trash, newest removal first.
    pub fn trashed(&self) -> Result<Vec<String>> {
        Ok(crate::trash::list(&self.config.index.dir)?)
    }

    /// The data folder's audit trail.
    pub fn audit_log(&self) -> &AuditLog {
        &self.audit
    }

    /// The snapshot in use. Holding it keeps that generation readable.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.current.load_full()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Why answers come from an out-of-date index, if they do.
    pub fn stale(&self) -> Option<String> {
        self.stale.lock().map(|s| s.clone()).unwrap_or_default()
    }

    fn set_stale(&self, reason: Option<String>) {
        if let Ok(mut stale) = self.stale.lock() {
            *stale = reason;
        }
    }

    /// Searches for passages that answer `question`.
    ///
    /// Two checks keep every answer true to the files:
    /// - a search that fails or panics (a damaged index) triggers a verified rebuild and one retry;
    /// - every hit's passage bytes are compared with the file before it is shown. A hit whose file
    ///   changed since indexing (even a same-size edit with its modification time restored) is
    ///   dropped, the index is rebuilt, and the search runs again.
    pub fn search(&self, question: &str, k: usize) -> Result<SearchResult> {
        self.search_filtered(question, k, &Filter::default())
    }

    /// [`Self::search`] inside the part of the corpus that `filter` keeps. A filter naming an
    /// article resolves it as `/source` does (an unknown name is refused with suggestions).
    pub fn search_filtered(
        &self,
        question: &str,
        k: usize,
        filter: &Filter,
    ) -> Result<SearchResult> {
        let filter = match filter.source() {
            Some(name) => {
                let file = crate::source::resolve(&self.snapshot(), name)?.file.clone();
                filter.clone().with_source(file)
            }
            None => filter.clone(),
        };
        let searched = self.snapshot();
        let result = self.search_repairing(question, k, &filter)?;
        let (result, changed) = self.drop_changed_hits(result);
        if changed.is_empty() {
            return Ok(result);
        }
        tracing::warn!(files = ?changed, "files changed since indexing: rebuilding the index");
        match self.rebuild_replacing(&searched) {
            Ok(_) => Ok(self
                .drop_changed_hits(self.search_repairing(question, k, &filter)?)
                .0),
            Err(error) => {
                self.set_stale(Some(format!(
                    "{} changed since indexing and the index could not be rebuilt: {}",
                    changed.join(", "),
                    crate::error::chain(&error)
                )));
                Ok(result)
            }
        }
    }

    fn attempt(&self, snapshot: &Snapshot, question: &str, k: usize, filter: &Filter) -> Attempt {
        let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let semantic = self.semantic_for(snapshot);
            // Resolved on each snapshot: a rebuild renumbers the rows.
            let scope = (!filter.is_empty()).then(|| filter.scope(&snapshot.catalog.articles));
            crate::search::search(
                snapshot,
                &self.analyzers,
                &self.config.search,
                semantic,
                question,
                k,
                scope.as_ref(),
            )
        }));
        match run {
            Ok(Ok(result)) => Attempt::Done(result),
            Ok(Err(error)) => Attempt::Failed(crate::error::chain(&error)),
            Err(_) => Attempt::Failed("the search panicked on damaged index data".into()),
        }
    }

    fn search_repairing(&self, question: &str, k: usize, filter: &Filter) -> Result<SearchResult> {
        let snapshot = self.snapshot();
        let reason = match self.attempt(&snapshot, question, k, filter) {
            Attempt::Done(result) => return Ok(result),
            Attempt::Failed(reason) => reason,
        };
        tracing::error!(generation = %snapshot.dir.display(), %reason, "the index failed a search: rebuilding it");
        let damaged = |reason: String| CoreError::IndexDamaged {
            generation: snapshot.dir.clone(),
            reason,
        };
        if let Err(error) = self.rebuild_replacing(&snapshot) {
            return Err(damaged(format!(
                "{reason}; rebuilding it failed: {}",
                crate::error::chain(&error)
            )));
        }
        match self.attempt(&self.snapshot(), question, k, filter) {
            Attempt::Done(result) => Ok(result),
            Attempt::Failed(again) => Err(damaged(again)),
        }
    }

    /// Removes the hits whose passage bytes are no longer in their file; returns the files.
    fn drop_changed_hits(&self, mut result: SearchResult) -> (SearchResult, Vec<String>) {
        let mut changed: Vec<String> = Vec::new();
        let Answer::Found { hits } = &mut result.answer else {
            return (result, changed);
        };
        let mut check = crate::cite::PassageCheck::new(&self.config.corpus.dir);
        hits.retain(|hit| {
            let same = check.matches(&hit.source, hit.passage_span.start, hit.passage.as_bytes());
            if !same && !changed.contains(&hit.source) {
                changed.push(hit.source.clone());
            }
            same
        });
        if hits.is_empty() {
            result.answer = Answer::Abstained {
                reason: Abstention::NotCovered,
                nearest: Vec::new(),
            };
        }
        (result, changed)
    }

    /// An article, or one of its paragraphs, by corpus file name.
    pub fn source(&self, name: &str, paragraph: Option<usize>) -> Result<SourceView> {
        let snapshot = self.snapshot();
        crate::source::source(
            &snapshot,
            &self.config.corpus.dir,
            self.config.corpus.max_file_bytes,
            &self.cleaner,
            name,
            paragraph,
        )
    }

    /// Bytes `start..end` of a corpus article, with their hash and the paragraph holding them:
    /// how anyone checks a quote's byte range.
    pub fn source_bytes(&self, name: &str, start: usize, end: usize) -> Result<ByteView> {
        let view = self.source(name, None)?;
        crate::cite::byte_view(&view.article.file, &view, start, end)
    }

    /// Articles matching a partial file name or title (autocomplete).
    pub fn suggest(&self, partial: &str, limit: usize) -> Vec<ArticleMeta> {
        let snapshot = self.snapshot();
        crate::source::suggest_articles(&snapshot, partial, limit)
            .into_iter()
            .cloned()
            .collect()
    }

    /// The corpus's outlets that contain `partial` (case- and accent-insensitive), with their
    /// article counts: the choices of the `outlet` filter.
    pub fn outlets(&self, partial: &str, limit: usize) -> Vec<OutletCount> {
        crate::filter::outlets(&self.snapshot().catalog.articles, partial, limit)
    }

    /// All indexed articles, by file name.
    pub fn sources(&self) -> Vec<ArticleMeta> {
        self.snapshot().catalog.articles.clone()
    }

    /// Index and corpus status.
    pub fn status(&self) -> Status {
        let snapshot = self.snapshot();
        let catalog = &snapshot.catalog;
        let semantic = self.semantic_for(&snapshot);
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        Status {
            articles: catalog.articles.len(),
            passages: catalog.passages,
            skipped: catalog.skipped.clone(),
            built_at_unix: catalog.built_at_unix,
            index_age_seconds: now.saturating_sub(catalog.built_at_unix),
            build_millis: catalog.build_millis,
            version: env!("CARGO_PKG_VERSION").to_string(),
            analyzer_version: catalog.analyzer_version.clone(),
            language: self.config.language.code().to_string(),
            reindexing: self.reindexing.load(Ordering::Relaxed),
            stale: self.stale(),
            warnings: catalog.warnings.clone(),
            semantic: SemanticStatus {
                mode: self.config.semantic.mode,
                model: self.encoder.as_ref().map(|e| e.info().clone()),
                embedded: semantic.is_some(),
                stored_sentences: semantic.is_some_and(|semantic| semantic.sentences.is_some()),
                compact: semantic.is_some_and(|semantic| {
                    semantic.vectors.storage() == crate::semantic::vectors::Storage::Compact
                }),
            },
        }
    }

    /// Whether the corpus differs from what the index holds.
    pub fn corpus_changed(&self) -> Result<bool> {
        let snapshot = self.snapshot();
        let (entries, skipped) = list_corpus(&self.config.corpus.dir)?;
        let (fp, _) = fingerprint(&entries, &skipped, &snapshot.catalog.files);
        Ok(fp != snapshot.catalog.fingerprint)
    }

    /// Rebuilds the index when the corpus changed (or always, with `force`). Queries keep using
    /// the old snapshot until the new one is committed, verified and opened. Concurrent calls in
    /// this process wait for the running build and then find nothing left to do; another
    /// process's build is waited for through the writer lock. A failed rebuild leaves the old
    /// index in use and marks it stale.
    pub fn reindex(&self, force: bool) -> Result<ReindexOutcome> {
        self.reindex_when(|library| Ok(force || library.corpus_changed()?))
    }

    /// Rebuilds unless the snapshot in use is no longer `seen`: when several searches find the
    /// same damage or the same changed file, the first rebuilds and the others use its result.
    fn rebuild_replacing(&self, seen: &Arc<Snapshot>) -> Result<ReindexOutcome> {
        self.reindex_when(|library| Ok(Arc::ptr_eq(&library.snapshot(), seen)))
    }

    /// Rebuilds when `needed` says so, asked with the in-process build lock held.
    fn reindex_when(
        &self,
        needed: impl FnOnce(&Library) -> Result<bool>,
    ) -> Result<ReindexOutcome> {
        let _guard = match self.build_lock.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if !needed(self)? {
            return Ok(ReindexOutcome::Unchanged);
        }
        self.reindexing.store(true, Ordering::Relaxed);
        let built = WriterLock::acquire(&self.settings.data_dir)
            .map_err(|error| CoreError::CannotRebuild {
                reason: crate::error::chain(&error),
            })
            .and_then(|_lock| build_and_activate(&self.settings, &self.tools(), &self.cancel));
        self.reindexing.store(false, Ordering::Relaxed);
        let snapshot = match built {
            Ok(Some(snapshot)) => snapshot,
            Ok(None) => return Ok(ReindexOutcome::Cancelled),
            Err(error) => {
                self.set_stale(Some(format!(
                    "the last rebuild failed: {}",
                    crate::error::chain(&error)
                )));
                return Err(error);
            }
        };
        let outcome = ReindexOutcome::Rebuilt {
            articles: snapshot.catalog.articles.len(),
            passages: snapshot.catalog.passages,
            millis: snapshot.catalog.build_millis,
        };
        self.current.store(Arc::new(snapshot));
        self.set_stale(None);
        Ok(outcome)
    }

    /// The encoder and the snapshot's embeddings, when both exist (a generation built before
    /// the model was installed has none: lexical answers until the rebuild).
    fn semantic_for<'a>(&'a self, snapshot: &'a Snapshot) -> Option<crate::search::Semantic<'a>> {
        let encoder = self.encoder.as_deref()?;
        let vectors = snapshot
            .vectors
            .as_ref()
            .filter(|v| v.model_sha256() == encoder.info().sha256)?;
        let sentences = snapshot.sentences.as_ref().filter(|s| {
            self.settings.sentence_vectors && s.model_sha256() == vectors.model_sha256()
        });
        Some(crate::search::Semantic {
            encoder,
            vectors,
            sentences,
        })
    }

    /// Whether questions are answered with the encoder now (cheaper than [`Library::status`]).
    pub fn semantic_active(&self) -> bool {
        self.semantic_for(&self.snapshot()).is_some()
    }

    /// Whether the encoder is loaded but the index in use lacks its passage embeddings (a large
    /// corpus just indexed, or a new model): answers are lexical until
    /// [`Library::embed_pending`] completes. With sentence vectors stored at index time, also
    /// when it lacks them (answers are semantic meanwhile, re-reading at question time); and
    /// when its vectors are stored otherwise than configured (they answer meanwhile).
    pub fn embeddings_pending(&self) -> bool {
        let snapshot = self.snapshot();
        self.encoder.is_some()
            && self.semantic_for(&snapshot).is_none_or(|semantic| {
                (self.settings.sentence_vectors && semantic.sentences.is_none())
                    || semantic.vectors.storage() != self.settings.storage
            })
    }

    /// Whether the vectors in use are stored otherwise than configured (they answer until
    /// [`Library::embed_pending`] recomputes them).
    pub fn storage_differs(&self) -> bool {
        self.semantic_for(&self.snapshot())
            .is_some_and(|semantic| semantic.vectors.storage() != self.settings.storage)
    }

    /// Computes the missing passage embeddings of the index in use, then switches to them
    /// atomically. Resumable: every batch goes to the data folder's cache first, so a killed or
    /// cancelled run continues where it stopped. Returns whether embeddings were switched in.
    pub fn embed_pending(&self) -> Result<bool> {
        let _guard = match self.build_lock.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let Some(encoder) = self.encoder.as_deref() else {
            return Ok(false);
        };
        if !self.embeddings_pending() {
            return Ok(false);
        }
        let _lock = WriterLock::acquire(&self.settings.data_dir).map_err(|error| {
            CoreError::CannotRebuild {
                reason: crate::error::chain(&error),
            }
        })?;
        let snapshot = self.snapshot();
        let sentences = self.settings.sentence_vectors;
        let passages = crate::semantic::passages::KeyedTexts::new(
            crate::index::passage_texts(&snapshot)?,
            sentences,
        );
        let sha = &encoder.info().sha256;
        let mut cache = crate::build::open_cache(&self.settings, Some(&snapshot.dir), encoder)?;
        self.reindexing.store(true, Ordering::Relaxed);
        let embedded = crate::build::embed_generation(
            &snapshot.dir,
            &passages,
            encoder,
            &mut cache,
            &self.cancel,
        );
        self.reindexing.store(false, Ordering::Relaxed);
        let Some(computed) = embedded? else {
            return Ok(false);
        };
        let mut catalog = snapshot.catalog.clone();
        catalog.semantic_model = Some(sha.clone());
        catalog.embedded_passages = computed;
        catalog.sentence_vectors = sentences;
        crate::build::write_catalog(&snapshot.dir, &catalog)?;
        let reopened = open_generation(&snapshot.dir, &self.analyzers)?;
        self.current.store(Arc::new(reopened));
        tracing::info!(passages = passages.len(), computed, "semantic answers on");
        Ok(true)
    }

    /// The loaded encoder, if semantic answers are on.
    pub fn encoder(&self) -> Option<&Encoder> {
        self.encoder.as_deref()
    }

    /// Number of indexed passages.
    pub fn passages(&self) -> usize {
        self.snapshot().catalog.passages
    }

    /// Whether a reindex is running.
    pub fn is_reindexing(&self) -> bool {
        self.reindexing.load(Ordering::Relaxed)
    }

    /// Asks a running build to stop; the old index stays in use. Used at shutdown.
    pub fn cancel_builds(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }
}

/// Loads the encoder as `[semantic] mode` says: `off` never, `auto` when the model file exists
/// (a file that fails to load is logged and answers stay lexical), `on` always (an error when
/// it cannot be loaded).
fn load_encoder(config: &Config) -> Result<Option<Encoder>> {
    let path = &config.semantic.model;
    match config.semantic.mode {
        SemanticMode::Off => Ok(None),
        SemanticMode::Auto if !path.is_file() => Ok(None),
        SemanticMode::Auto => match Encoder::load(path) {
            Ok(encoder) => Ok(Some(encoder)),
            Err(error) => {
                tracing::error!(model = %path.display(), error = %crate::error::chain(&error), "semantic model unusable: lexical answers only");
                Ok(None)
            }
        },
        SemanticMode::On => Encoder::load(path).map(Some).map_err(|error| CoreError::InvalidSetting {
            key: "semantic.model",
            message: format!(
                "{}: {}; install it with `coverage-bot model install`, or set semantic.mode = \"auto\"",
                path.display(),
                crate::error::chain(&error)
            ),
        }),
    }
}

/// Builds a generation, opens it and makes it current. Call with the writer lock held.
fn build_and_activate(
    settings: &BuildSettings,
    tools: &BuildTools<'_>,
    cancel: &AtomicBool,
) -> Result<Option<Snapshot>> {
    let Some((generation, catalog)) = build_generation(settings, tools, cancel)? else {
        return Ok(None);
    };
    let snapshot = open_generation(&generation, tools.analyzers)?;
    activate_generation(&settings.data_dir, &generation)?;
    tracing::info!(
        articles = catalog.articles.len(),
        passages = catalog.passages,
        skipped = catalog.skipped.len(),
        millis = catalog.build_millis,
        "index ready"
    );
    Ok(Some(snapshot))
}

/// Opens the current generation, or builds one; falls back to the last good generation when a
/// build is impossible or fails.
fn open_or_build(
    settings: &BuildSettings,
    tools: &BuildTools<'_>,
    check: IndexCheck,
) -> Result<(Snapshot, OpenOutcome)> {
    clean_leftovers(&settings.data_dir);
    let seen = crate::generation::current(&settings.data_dir);
    let (usable, why) = match find_current(settings, tools.analyzers, check) {
        Found::Fresh(snapshot) => return Ok((snapshot, OpenOutcome::Opened)),
        Found::Stale(snapshot, why) => (Some(snapshot), why),
        Found::Missing(why) => {
            // Nothing to serve: an unreadable corpus is the error to report, not the index.
            list_corpus(&settings.corpus_dir)?;
            (None, why)
        }
    };
    let lock = match (WriterLock::try_acquire(&settings.data_dir), usable) {
        (Ok(lock), usable) => {
            let seen = Seen {
                generation: seen,
                check,
            };
            return build_locked(lock, settings, tools, &seen, usable, why);
        }
        (Err(LockError::Busy), Some(snapshot)) => {
            let reason = format!("{why}; another process is rebuilding it");
            return Ok((snapshot, OpenOutcome::Stale { reason }));
        }
        (Err(error @ LockError::Unwritable { .. }), Some(snapshot)) => {
            let reason = format!(
                "{why}; it cannot be rebuilt: {}",
                crate::error::chain(&error)
            );
            return Ok((snapshot, OpenOutcome::Stale { reason }));
        }
        (Err(LockError::Busy), None) => {
            // Nothing to answer from: wait for the other process's build.
            WriterLock::acquire(&settings.data_dir).map_err(|error| CoreError::CannotRebuild {
                reason: format!("{why}; {}", crate::error::chain(&error)),
            })?
        }
        (Err(error), None) => {
            return Err(CoreError::CannotRebuild {
                reason: format!("{why}; {}", crate::error::chain(&error)),
            })
        }
    };
    let seen = Seen {
        generation: seen,
        check,
    };
    build_locked(lock, settings, tools, &seen, None, why)
}

/// The generation `CURRENT` named when it was judged unusable, and how it was checked.
struct Seen {
    generation: Option<PathBuf>,
    check: IndexCheck,
}

/// With the writer lock held: uses a generation another process finished meanwhile (`CURRENT`
/// moved on since `seen`), or builds.
fn build_locked(
    _lock: WriterLock,
    settings: &BuildSettings,
    tools: &BuildTools<'_>,
    seen: &Seen,
    usable: Option<Snapshot>,
    why: String,
) -> Result<(Snapshot, OpenOutcome)> {
    if crate::generation::current(&settings.data_dir) != seen.generation {
        if let Found::Fresh(snapshot) = find_current(settings, tools.analyzers, seen.check) {
            return Ok((snapshot, OpenOutcome::Opened));
        }
    }
    tracing::info!(reason = %why, "building the index");
    let never = AtomicBool::new(false);
    match (build_and_activate(settings, tools, &never), usable) {
        (Ok(Some(snapshot)), _) => Ok((snapshot, OpenOutcome::Built { reason: why })),
        (Ok(None), _) => Err(CoreError::CannotRebuild {
            reason: "the build was cancelled".into(),
        }),
        (Err(error), Some(snapshot)) => {
            let reason = format!("{why}; the rebuild failed: {}", crate::error::chain(&error));
            tracing::warn!(%reason, "answering from the last good index");
            Ok((snapshot, OpenOutcome::Stale { reason }))
        }
        (Err(error), None) => Err(error),
    }
}

/// Opens the generation `CURRENT` names and says whether it is up to date. A generation that
/// fails to open because a writer switched `CURRENT` and removed it meanwhile is not "damaged":
/// the pointer is read again.
fn find_current(settings: &BuildSettings, analyzers: &Analyzers, check: IndexCheck) -> Found {
    for _ in 0..5 {
        let Some(generation) = crate::generation::current(&settings.data_dir) else {
            return Found::Missing("no index yet".into());
        };
        let opened = open_generation(&generation, analyzers).and_then(|snapshot| {
            if check == IndexCheck::Checksums {
                crate::index::verify_checksums(&generation)?;
            }
            Ok(snapshot)
        });
        match opened {
            Ok(snapshot) => return freshness(snapshot, settings, analyzers),
            Err(_)
                if crate::generation::current(&settings.data_dir).as_ref() != Some(&generation) =>
            {
                continue
            }
            Err(error) => return Found::Missing(crate::error::chain(&error)),
        }
    }
    Found::Missing("the index kept changing while it was being opened".into())
}

/// Whether an opened generation matches the analyzer and the corpus.
fn freshness(snapshot: Snapshot, settings: &BuildSettings, analyzers: &Analyzers) -> Found {
    if snapshot.catalog.analyzer_version != analyzers.version {
        return Found::Stale(snapshot, "the analyzer changed".into());
    }

    let (entries, listing_skipped) = match list_corpus(&settings.corpus_dir) {
        Ok(listing) => listing,
        Err(error) => {
            let why = format!("the corpus cannot be read: {}", crate::error::chain(&error));
            return Found::Stale(snapshot, why);
        }
    };
    let (fp, _) = fingerprint(&entries, &listing_skipped, &snapshot.catalog.files);
    if fp != snapshot.catalog.fingerprint {
        return Found::Stale(snapshot, "the corpus changed".into());
    }
    Found::Fresh(snapshot)
}

/// Removes generations left by killed builds (ours only, never the current one). Only done with
/// the writer lock, so a build in progress elsewhere is never touched; silently skipped on a
/// read-only data folder.
fn clean_leftovers(data_dir: &Path) {
    let current = crate::generation::current(data_dir);
    if crate::generation::others(data_dir, current.as_deref()).is_empty() {
        return;
    }
    let Ok(_lock) = WriterLock::try_acquire(data_dir) else {
        return;
    };
    // Read again under the lock: a build may have finished in between.
    let current = crate::generation::current(data_dir);
    for leftover in crate::generation::others(data_dir, current.as_deref()) {
        if crate::generation::remove(&leftover) {
            tracing::info!(generation = %leftover.display(), "removed a generation left by an interrupted build");
        }
    }
}
