//! Building a generation: reading the corpus, splitting passages, writing the tantivy index and
//! the catalog, with a progress bar and cancellation. Callers hold the writer lock
//! ([`crate::lock`]) while they build and activate.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use tantivy::{doc, Index, TantivyDocument};

use crate::analysis::Analyzers;
use crate::clean::{Cleaner, PatternTally};
use crate::config::Config;
use crate::corpus::{
    list_corpus, read_article, Article, ArticleMeta, CorpusEntry, SkipReason, SkippedFile,
};
use crate::error::{CoreError, Result};
use crate::generation::CATALOG_FILE;
use crate::index::{
    file_state, fingerprint_of, schema, verify_checksums, write_atomically, Catalog, Fields,
    FileState, FORMAT_VERSION,
};
use crate::passage::{split_passages, Passage};
use crate::semantic::cache::EmbeddingCache;
use crate::semantic::passages::KeyedTexts;
use crate::semantic::sentences::SENTENCES_FILE;
use crate::semantic::vectors::Storage;
use crate::semantic::vectors::VECTORS_FILE;

/// What a build reads and how, taken from the config once.
#[derive(Debug, Clone)]
pub struct BuildSettings {
    /// The corpus folder.
    pub corpus_dir: PathBuf,
    /// The index data folder, where generations are created.
    pub data_dir: PathBuf,
    /// Files over this size are skipped.
    pub max_file_bytes: u64,
    /// Paragraphs over this many characters are split into windows.
    pub max_passage_chars: usize,
    /// Memory budget of the index writer, in megabytes (validated by the config).
    pub writer_memory_mb: usize,
    /// The boilerplate patterns as written, to name one in a warning.
    pub boilerplate_patterns: Vec<String>,
    /// Most passages embedded during a build (`semantic.embed_during_build_max`).
    pub embed_during_build_max: usize,
    /// Whether sentence vectors are stored with the passage vectors
    /// (`semantic.sentence_vectors = "index"` or `"compact"`).
    pub sentence_vectors: bool,
    /// How the vectors are stored.
    pub storage: Storage,
}

impl BuildSettings {
    /// The build settings of a config.
    pub fn from_config(config: &Config) -> BuildSettings {
        BuildSettings {
            corpus_dir: config.corpus.dir.clone(),
            data_dir: config.index.dir.clone(),
            max_file_bytes: config.corpus.max_file_bytes,
            max_passage_chars: config.search.max_passage_chars,
            writer_memory_mb: config.index.writer_memory_mb,
            boilerplate_patterns: config.boilerplate.all_patterns(),
            embed_during_build_max: config.semantic.embed_during_build_max,
            sentence_vectors: config.semantic.sentence_vectors.stored(),
            storage: config.semantic.sentence_vectors.storage(),
        }
    }
}

/// The text tools a build applies to every article.
pub struct BuildTools<'a> {
    /// The analyzers registered on the new index.
    pub analyzers: &'a Analyzers,
    /// The boilerplate rules.
    pub cleaner: &'a Cleaner,
    /// The encoder, when passages get embeddings.
    pub encoder: Option<&'a crate::semantic::Encoder>,
}

/// Builds a new generation from the corpus and verifies its checksums. Returns `Ok(None)` when
/// `cancel` was raised. On cancellation or failure the partial generation is removed and nothing
/// else changes.
pub fn build_generation(
    settings: &BuildSettings,
    tools: &BuildTools<'_>,
    cancel: &AtomicBool,
) -> Result<Option<(PathBuf, Catalog)>> {
    let started = Instant::now();
    let (entries, skipped) = list_corpus(&settings.corpus_dir)?;
    let data_dir = &settings.data_dir;
    std::fs::create_dir_all(data_dir).map_err(|e| CoreError::io(data_dir, e))?;
    let generation = crate::generation::create(data_dir).map_err(|e| CoreError::io(data_dir, e))?;
    let result = write_generation(&generation, &entries, skipped, settings, tools, cancel)
        .and_then(|catalog| {
            if catalog.is_some() {
                verify_checksums(&generation)?;
            }
            Ok(catalog)
        });
    match result {
        Ok(Some(mut catalog)) => {
            catalog.build_millis = started.elapsed().as_millis() as u64;
            write_catalog(&generation, &catalog)?;
            Ok(Some((generation, catalog)))
        }
        Ok(None) => {
            crate::generation::remove(&generation);
            Ok(None)
        }
        Err(e) => {
            crate::generation::remove(&generation);
            Err(e)
        }
    }
}

/// Writes the catalog beside the index; an error here is an error of the build, never an empty
/// catalog.
pub(crate) fn write_catalog(generation: &Path, catalog: &Catalog) -> Result<()> {
    let json = serde_json::to_string(catalog)?;
    write_atomically(&generation.join(CATALOG_FILE), json.as_bytes())
}

/// Indexes every entry into a new tantivy index in `generation`; `None` when cancelled.
fn write_generation(
    generation: &Path,
    entries: &[CorpusEntry],
    listing_skipped: Vec<SkippedFile>,
    settings: &BuildSettings,
    tools: &BuildTools<'_>,
    cancel: &AtomicBool,
) -> Result<Option<Catalog>> {
    let (schema, fields) = schema();
    let index = Index::create_in_dir(generation, schema)?;
    tools.analyzers.register(&index);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    let memory = settings.writer_memory_mb.max(20 * threads) * 1024 * 1024;
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(threads, memory)?;
    let progress = progress_bar(entries.len() as u64, "articles");
    let mut collected = Collected::default();
    // Passage texts in row order, kept only for the encoder.
    let mut texts: Vec<String> = Vec::new();
    for entry in entries {
        if cancel.load(Ordering::Relaxed) {
            progress.finish_and_clear();
            writer.rollback()?;
            return Ok(None);
        }
        progress.inc(1);
        match read_article(entry, settings.max_file_bytes, tools.cleaner) {
            Ok(mut article) => {
                let first_row = collected.passages;
                for passage in split_passages(&article, settings.max_passage_chars) {
                    let row = collected.passages as u64;
                    writer.add_document(passage_document(fields, &passage, &article.text, row))?;
                    collected.passages += 1;
                    if tools.encoder.is_some() {
                        texts.push(passage.span.of(&article.text).to_string());
                    }
                }
                article.meta.rows = first_row..collected.passages;
                collected.article(entry, article, tools.cleaner);
            }
            Err(reason) => collected.skipped(entry, reason),
        }
    }
    progress.finish_and_clear();
    writer.commit()?;
    writer.wait_merging_threads()?;
    let mut catalog = collected.into_catalog(entries.len(), listing_skipped, settings, tools);
    if let Some(encoder) = tools.encoder {
        let live = crate::generation::current(&settings.data_dir);
        let mut cache = open_cache(settings, live.as_deref(), encoder)?;
        let sentences = settings.sentence_vectors;
        let passages = KeyedTexts::new(texts, sentences);
        let missing = crate::semantic::passages::missing(&passages, &cache).len();
        if missing <= settings.embed_during_build_max {
            match embed_generation(generation, &passages, encoder, &mut cache, cancel)? {
                Some(computed) => {
                    catalog.semantic_model = Some(encoder.info().sha256.clone());
                    catalog.embedded_passages = computed;
                    catalog.sentence_vectors = sentences;
                }
                None => return Ok(None),
            }
        } else {
            // The generation in use goes once this one is published: what this one can reuse
            // of its vectors moves to the cache first.
            cache.persist_adopted(&passages.all_keys())?;
            tracing::info!(
                missing,
                "passage embeddings will be computed after the index is in use"
            );
        }
    }
    Ok(Some(catalog))
}

/// Embeds the passages (row order) into the generation's `vectors.bin` through the data folder's
/// cache, and when `passages` want sentence vectors their sentences into its `sentences.bin`.
/// Returns how many passages were embedded; `None` when cancelled.
pub(crate) fn embed_generation(
    generation: &Path,
    passages: &KeyedTexts,
    encoder: &crate::semantic::Encoder,
    cache: &mut EmbeddingCache,
    cancel: &AtomicBool,
) -> Result<Option<usize>> {
    let progress = progress_bar(passages.len() as u64, "passages embedded");
    let embedded =
        crate::semantic::passages::embed_passages(encoder, passages, cache, cancel, &progress)?;
    progress.finish_and_clear();
    let Some(embedded) = embedded else {
        return Ok(None);
    };
    let sentences_file = generation.join(SENTENCES_FILE);
    match &embedded.sentences {
        Some(sentences) => sentences.write(&sentences_file)?,
        // Sentence vectors an earlier pass stored in this generation (ours, under our name) no
        // longer match its vectors: they go.
        None => match std::fs::remove_file(&sentences_file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(crate::semantic::ModelError::io(&sentences_file, e).into())
            }
            _ => {}
        },
    }
    // Written last: its presence is what says the generation's embeddings are complete.
    embedded.vectors.write(&generation.join(VECTORS_FILE))?;
    // The generation now holds every vector it needs: it is the only copy kept.
    cache.retire()?;
    Ok(Some(embedded.computed))
}

/// The data folder's embedding cache for this encoder and the configured storage, with the
/// vectors of `generation` (the one in use, when it has them) taken in so that a rebuild reuses
/// them.
pub(crate) fn open_cache(
    settings: &BuildSettings,
    generation: Option<&Path>,
    encoder: &crate::semantic::Encoder,
) -> Result<EmbeddingCache> {
    // int8 rows are uncentred: their rounding is already far below what answers notice.
    let centre = match settings.storage {
        Storage::Int8 => vec![0.0; encoder.dimension()],
        Storage::Compact => encoder.centre()?.to_vec(),
    };
    let mut cache = EmbeddingCache::open(
        &settings.data_dir,
        encoder.dimension(),
        &encoder.info().sha256,
        settings.storage,
        &centre,
    );
    if let Some(generation) = generation {
        cache.adopt_generation(generation);
    }
    Ok(cache)
}

/// The tantivy document of one passage.
fn passage_document(fields: Fields, passage: &Passage, text: &str, row: u64) -> TantivyDocument {
    let body = passage.span.of(text);
    doc!(
        fields.file => passage.file.as_str(),
        fields.title => passage.title.as_str(),
        fields.body => body,
        fields.body_exact => body,
        fields.paragraph => passage.paragraph as u64,
        fields.start => passage.span.start as u64,
        fields.end => passage.span.end as u64,
        fields.hash => passage.hash.as_str(),
        fields.paragraph_hash => passage.paragraph_hash.as_str(),
        fields.row => row,
    )
}

/// What a build learns about the corpus while indexing it, for the catalog.
#[derive(Default)]
struct Collected {
    articles: Vec<ArticleMeta>,
    states: Vec<FileState>,
    passages: usize,
    read_skipped: Vec<SkippedFile>,
    tally: PatternTally,
}

impl Collected {
    fn article(&mut self, entry: &CorpusEntry, article: Article, cleaner: &Cleaner) {
        let blocks = article.paragraphs.iter().map(|p| p.span);
        for block in blocks.chain(article.boilerplate.iter().copied()) {
            self.tally.add(cleaner, block.of(&article.text));
        }
        self.states
            .push(file_state(entry, Some(article.text.as_bytes())));
        self.articles.push(article.meta);
    }

    fn skipped(&mut self, entry: &CorpusEntry, reason: SkipReason) {
        tracing::warn!(file = %entry.name, %reason, "skipping corpus file");
        self.states.push(file_state(entry, None));
        self.read_skipped.push(SkippedFile {
            file: entry.name.clone(),
            reason,
        });
    }

    fn into_catalog(
        self,
        entries: usize,
        listing_skipped: Vec<SkippedFile>,
        settings: &BuildSettings,
        tools: &BuildTools<'_>,
    ) -> Catalog {
        let warnings = boilerplate_warnings(&self.tally, &self.read_skipped, entries, settings);
        for warning in &warnings {
            tracing::warn!("{warning}");
        }
        let fingerprint = fingerprint_of(&self.states, &listing_skipped);
        let mut skipped = listing_skipped;
        skipped.extend(self.read_skipped);
        skipped.sort_by(|a, b| a.file.cmp(&b.file));
        Catalog {
            format: FORMAT_VERSION,
            analyzer_version: tools.analyzers.version.clone(),
            fingerprint,
            built_at_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            build_millis: 0,
            articles: self.articles,
            skipped,
            passages: self.passages,
            files: self.states,
            warnings,
            semantic_model: None,
            embedded_passages: 0,
            sentence_vectors: false,
        }
    }
}

/// Warnings about boilerplate patterns that remove most of the corpus: a pattern that matched
/// more than half of all paragraphs, or patterns that left more than half of the articles with
/// no text at all.
fn boilerplate_warnings(
    tally: &PatternTally,
    read_skipped: &[SkippedFile],
    articles: usize,
    settings: &BuildSettings,
) -> Vec<String> {
    let mut warnings: Vec<String> = tally
        .dominant()
        .into_iter()
        .filter_map(|i| settings.boilerplate_patterns.get(i))
        .map(|pattern| {
            format!(
                "boilerplate pattern {pattern:?} matches more than half of the corpus's \
                 paragraphs; check boilerplate.patterns and boilerplate.extra_patterns"
            )
        })
        .collect();
    let emptied = read_skipped
        .iter()
        .filter(|s| s.reason == SkipReason::NoContent)
        .count();
    if articles > 0 && emptied * 2 > articles {
        warnings.push(format!(
            "boilerplate patterns left {emptied} of {articles} articles with no text; check \
             boilerplate.patterns and boilerplate.extra_patterns"
        ));
    }
    warnings
}

/// A progress bar on a terminal; hidden when stderr is not a TTY (CI, systemd, tests).
fn progress_bar(total: u64, unit: &str) -> indicatif::ProgressBar {
    if total < 200 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(&format!(
        "indexing {{bar:40}} {{pos}}/{{len}} {unit} ({{per_sec}}, eta {{eta}})"
    )) {
        bar.set_style(style);
    }
    bar
}
