//! The library facade: one corpus, its index, and the operations every front end uses. Searches
//! run on an immutable snapshot; a reindex builds a new generation beside it and swaps it in
//! atomically, so queries never wait for or see a half-built index.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::Serialize;

use crate::analysis::Analyzers;
use crate::clean::Cleaner;
use crate::config::Config;
use crate::corpus::{list_corpus, ArticleMeta, SkippedFile};
use crate::error::{CoreError, Result};
use crate::index::{
    activate_generation, build_generation, current_generation, fingerprint, open_generation,
    read_catalog, Snapshot,
};
use crate::search::SearchResult;
use crate::source::SourceView;

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
}

/// One corpus and its index.
pub struct Library {
    config: Config,
    analyzers: Analyzers,
    cleaner: Cleaner,
    current: RwLock<Arc<Snapshot>>,
    build_lock: Mutex<()>,
    reindexing: AtomicBool,
    cancel: AtomicBool,
}

impl Library {
    /// Opens the index for the configured corpus, building or rebuilding it when it is missing,
    /// stale, made by another analyzer version, or damaged.
    pub fn open(config: Config) -> Result<(Library, OpenOutcome)> {
        let analyzers = Analyzers::new(&config.language, &config.search.extra_stop_words);
        let cleaner =
            Cleaner::new(&config.boilerplate.all_patterns()).map_err(|e| CoreError::Config {
                path: PathBuf::from("boilerplate"),
                message: e.to_string(),
            })?;
        let (snapshot, outcome) = match Self::try_open_current(&config, &analyzers) {
            Ok(snapshot) => (snapshot, OpenOutcome::Opened),
            Err(reason) => {
                tracing::info!(%reason, "building the index");
                let cancel = AtomicBool::new(false);
                let snapshot =
                    Self::build(&config, &analyzers, &cleaner, &cancel)?.ok_or_else(|| {
                        CoreError::Index(tantivy::TantivyError::InternalError(
                            "build cancelled".into(),
                        ))
                    })?;
                (snapshot, OpenOutcome::Built { reason })
            }
        };
        Ok((
            Library {
                config,
                analyzers,
                cleaner,
                current: RwLock::new(Arc::new(snapshot)),
                build_lock: Mutex::new(()),
                reindexing: AtomicBool::new(false),
                cancel: AtomicBool::new(false),
            },
            outcome,
        ))
    }

    /// Opens the current generation if it is up to date, or says why not.
    fn try_open_current(
        config: &Config,
        analyzers: &Analyzers,
    ) -> std::result::Result<Snapshot, String> {
        let data_dir = &config.index.dir;
        let generation = current_generation(data_dir).ok_or("no index yet")?;
        let catalog = read_catalog(&generation).ok_or("index catalog missing or unreadable")?;
        if catalog.analyzer_version != analyzers.version {
            return Err("the analyzer changed".into());
        }
        let (entries, listing_skipped) =
            list_corpus(&config.corpus.dir).map_err(|e| e.to_string())?;
        let (fp, _) = fingerprint(&entries, &listing_skipped, &catalog.files);
        if fp != catalog.fingerprint {
            return Err("the corpus changed".into());
        }
        open_generation(&generation, analyzers).map_err(|e| format!("index damaged ({e})"))
    }

    fn build(
        config: &Config,
        analyzers: &Analyzers,
        cleaner: &Cleaner,
        cancel: &AtomicBool,
    ) -> Result<Option<Snapshot>> {
        let built = build_generation(
            &config.index.dir,
            &config.corpus.dir,
            config.corpus.max_file_bytes,
            config.search.max_passage_chars,
            config.index.writer_memory_mb,
            analyzers,
            cleaner,
            cancel,
        )?;
        let Some((generation, catalog)) = built else {
            return Ok(None);
        };
        let snapshot = open_generation(&generation, analyzers)?;
        activate_generation(&config.index.dir, &generation)?;
        tracing::info!(
            articles = catalog.articles.len(),
            passages = catalog.passages,
            skipped = catalog.skipped.len(),
            millis = catalog.build_millis,
            "index ready"
        );
        Ok(Some(snapshot))
    }

    /// The snapshot in use. Holding it keeps that generation readable.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        match self.current.read() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Searches for passages that answer `question`.
    pub fn search(&self, question: &str, k: usize) -> Result<SearchResult> {
        let snapshot = self.snapshot();
        Ok(crate::search::search(
            &snapshot,
            &self.analyzers,
            &self.config.search,
            question,
            k,
        )?)
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

    /// Articles matching a partial file name or title (autocomplete).
    pub fn suggest(&self, partial: &str, limit: usize) -> Vec<ArticleMeta> {
        let snapshot = self.snapshot();
        crate::source::suggest_articles(&snapshot, partial, limit)
            .into_iter()
            .cloned()
            .collect()
    }

    /// All indexed articles, by file name.
    pub fn sources(&self) -> Vec<ArticleMeta> {
        self.snapshot().catalog.articles.clone()
    }

    /// Index and corpus status.
    pub fn status(&self) -> Status {
        let snapshot = self.snapshot();
        let catalog = &snapshot.catalog;
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
            language: self.config.language.clone(),
            reindexing: self.reindexing.load(Ordering::Relaxed),
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
    /// the old snapshot until the new one is committed and opened. Concurrent calls wait for the
    /// running build and then find nothing left to do.
    pub fn reindex(&self, force: bool) -> Result<ReindexOutcome> {
        let _guard = match self.build_lock.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        if !force && !self.corpus_changed()? {
            return Ok(ReindexOutcome::Unchanged);
        }
        self.reindexing.store(true, Ordering::Relaxed);
        let built = Self::build(&self.config, &self.analyzers, &self.cleaner, &self.cancel);
        self.reindexing.store(false, Ordering::Relaxed);
        let Some(snapshot) = built? else {
            return Ok(ReindexOutcome::Cancelled);
        };
        let outcome = ReindexOutcome::Rebuilt {
            articles: snapshot.catalog.articles.len(),
            passages: snapshot.catalog.passages,
            millis: snapshot.catalog.build_millis,
        };
        match self.current.write() {
            Ok(mut guard) => *guard = Arc::new(snapshot),
            Err(poisoned) => *poisoned.into_inner() = Arc::new(snapshot),
        }
        Ok(outcome)
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
