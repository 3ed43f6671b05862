//! The on-disk index: schema, generations, the catalog beside it, building and opening.
//!
//! Layout under the configured data folder:
//! - `gen-<millis>/`: one complete tantivy index plus its `catalog.json`;
//! - `CURRENT`: the name of the generation in use, replaced atomically (write + rename).
//!
//! A build writes a new generation and switches `CURRENT` only once it is committed, so a crash
//! mid-build leaves the old generation in use, never neither.

use std::collections::HashMap;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, STORED, STRING,
};
use tantivy::{doc, Index, IndexReader, ReloadPolicy, TantivyDocument};

use crate::analysis::{Analyzers, EXACT_TOKENIZER, STEMMED_TOKENIZER};
use crate::clean::Cleaner;
use crate::corpus::{list_corpus, read_article, ArticleMeta, CorpusEntry, SkippedFile};
use crate::error::{CoreError, Result};
use crate::passage::split_passages;
use crate::text::{short_hash, short_hash_bytes};

/// Name of the pointer file to the generation in use.
const CURRENT_FILE: &str = "CURRENT";
/// Name of the catalog inside a generation.
const CATALOG_FILE: &str = "catalog.json";
/// Version of the schema and catalog format.
const FORMAT_VERSION: u32 = 2;

/// The fields of a passage document.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// Corpus file name (raw, stored).
    pub file: Field,
    /// Article title, analyzed with the language analyzer.
    pub title: Field,
    /// Passage text, analyzed with the language analyzer and stored verbatim.
    pub body: Field,
    /// Passage text, analyzed with the exact analyzer.
    pub body_exact: Field,
    /// Paragraph number.
    pub paragraph: Field,
    /// Byte range start in the file.
    pub start: Field,
    /// Byte range end in the file.
    pub end: Field,
    /// Passage content hash.
    pub hash: Field,
}

/// Builds the schema.
pub fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let analyzed = |tokenizer: &str| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(IndexRecordOption::WithFreqsAndPositions),
        )
    };
    let fields = Fields {
        file: builder.add_text_field("file", STRING | STORED),
        title: builder.add_text_field("title", analyzed(STEMMED_TOKENIZER) | STORED),
        body: builder.add_text_field("body", analyzed(STEMMED_TOKENIZER) | STORED),
        body_exact: builder.add_text_field("body_exact", analyzed(EXACT_TOKENIZER)),
        paragraph: builder.add_u64_field("paragraph", STORED),
        start: builder.add_u64_field("start", STORED),
        end: builder.add_u64_field("end", STORED),
        hash: builder.add_text_field("hash", STRING | STORED),
    };
    (builder.build(), fields)
}

/// The state of one corpus file when it was indexed, to tell later whether it changed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileState {
    /// Corpus file name.
    pub name: String,
    /// Size at listing time.
    pub size: u64,
    /// Modification time at listing time.
    pub modified_ns: u128,
    /// Hash of the content.
    pub hash: String,
}

/// What is known about an index generation, stored beside it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Catalog {
    /// Schema and catalog format.
    pub format: u32,
    /// Analyzer version the index was built with.
    pub analyzer_version: String,
    /// Fingerprint of the corpus it was built from.
    pub fingerprint: String,
    /// Build time, seconds since the epoch.
    pub built_at_unix: u64,
    /// Build duration in milliseconds.
    pub build_millis: u64,
    /// Indexed articles, sorted by file name.
    pub articles: Vec<ArticleMeta>,
    /// Files that were not indexed.
    pub skipped: Vec<SkippedFile>,
    /// Number of passages.
    pub passages: usize,
    /// Bytes of article text indexed.
    pub text_bytes: u64,
    /// File states, for change detection.
    pub files: Vec<FileState>,
}

/// An opened generation: everything a search needs.
pub struct Snapshot {
    /// The tantivy index.
    pub index: Index,
    /// Its reader.
    pub reader: IndexReader,
    /// Schema fields.
    pub fields: Fields,
    /// The catalog.
    pub catalog: Catalog,
    /// The generation folder.
    pub dir: PathBuf,
    /// Article position in `catalog.articles` by file name.
    pub by_file: HashMap<String, usize>,
}

impl Snapshot {
    /// Metadata of an article by file name.
    pub fn article(&self, file: &str) -> Option<&ArticleMeta> {
        self.by_file.get(file).map(|&i| &self.catalog.articles[i])
    }
}

/// Progress of a build, for callers that report it (the bot's `/status`).
#[derive(Debug, Clone, Default)]
pub struct BuildStats {
    /// Articles indexed.
    pub articles: usize,
    /// Passages indexed.
    pub passages: usize,
    /// Bytes of text.
    pub text_bytes: u64,
    /// Duration.
    pub elapsed: std::time::Duration,
}

/// Computes the corpus fingerprint from names, sizes and content hashes. Content hashes of files
/// whose size and modification time match `previous` are reused, so an unchanged corpus is not
/// read again. `listing_skipped` are the files the listing itself rejected (outside symlinks,
/// unsupported types).
pub fn fingerprint(
    entries: &[CorpusEntry],
    listing_skipped: &[SkippedFile],
    previous: &[FileState],
) -> (String, Vec<FileState>) {
    let known: HashMap<&str, &FileState> = previous.iter().map(|f| (f.name.as_str(), f)).collect();
    let states: Vec<FileState> = entries
        .iter()
        .map(|entry| match known.get(entry.name.as_str()) {
            Some(state)
                if state.size == entry.size
                    && state.modified_ns == entry.modified_ns
                    && entry.modified_ns != 0 =>
            {
                (*state).clone()
            }
            _ => file_state(entry, None),
        })
        .collect();
    (fingerprint_of(&states, listing_skipped), states)
}

/// The state of a file; `content` is used when the caller already holds the bytes.
fn file_state(entry: &CorpusEntry, content: Option<&[u8]>) -> FileState {
    let hash = match content {
        Some(bytes) => short_hash_bytes(bytes),
        // Streamed: a skipped file can be far larger than memory.
        None => match hash_file(&entry.path) {
            Ok(hash) => hash,
            Err(_) => "unreadable".to_string(),
        },
    };
    FileState {
        name: entry.name.clone(),
        size: entry.size,
        modified_ns: entry.modified_ns,
        hash,
    }
}

fn fingerprint_of(states: &[FileState], listing_skipped: &[SkippedFile]) -> String {
    let mut material = String::new();
    for state in states {
        material.push_str(&format!("{}\0{}\0{}\n", state.name, state.size, state.hash));
    }
    for skip in listing_skipped {
        material.push_str(&format!("skipped\0{}\n", skip.file));
    }
    short_hash(&material)
}

/// The short hash of a file's content, read in chunks.
fn hash_file(path: &Path) -> std::io::Result<String> {
    use sha2::{Digest, Sha256};
    use std::io::Read;
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        let n = file.read(&mut buffer)?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(crate::text::short_hex(&hasher.finalize()))
}

/// Reads the generation that `CURRENT` points to, if any.
pub fn current_generation(data_dir: &Path) -> Option<PathBuf> {
    let name = std::fs::read_to_string(data_dir.join(CURRENT_FILE)).ok()?;
    let name = name.trim();
    // The pointer names a folder inside the data folder, nothing else.
    if name.is_empty() || name.contains(['/', '\\']) || name.starts_with('.') {
        return None;
    }
    Some(data_dir.join(name))
}

/// Reads a generation's catalog.
pub fn read_catalog(generation: &Path) -> Option<Catalog> {
    let text = std::fs::read_to_string(generation.join(CATALOG_FILE)).ok()?;
    let catalog: Catalog = serde_json::from_str(&text).ok()?;
    (catalog.format == FORMAT_VERSION).then_some(catalog)
}

/// Opens a generation and checks that it answers a query; any failure means "rebuild".
pub fn open_generation(generation: &Path, analyzers: &Analyzers) -> Result<Snapshot> {
    let catalog = read_catalog(generation).ok_or_else(|| {
        CoreError::Index(tantivy::TantivyError::InternalError(
            "missing or unreadable catalog".into(),
        ))
    })?;
    let index = Index::open_in_dir(generation)?;
    analyzers.register(&index);
    let (_, fields) = schema();
    let reader = index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()?;
    probe(&reader, fields, &catalog)?;
    let by_file = catalog
        .articles
        .iter()
        .enumerate()
        .map(|(i, a)| (a.file.clone(), i))
        .collect();
    Ok(Snapshot {
        index,
        reader,
        fields,
        catalog,
        dir: generation.to_path_buf(),
        by_file,
    })
}

/// Reads a stored document and a posting list from every segment, so that a truncated or damaged
/// segment is found at open time rather than by a user's query. A panic inside tantivy on corrupt
/// data counts as a failure too.
fn probe(reader: &IndexReader, fields: Fields, catalog: &Catalog) -> Result<()> {
    let searcher = reader.searcher();
    let expected = catalog.passages as u64;
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> tantivy::Result<()> {
            if searcher.num_docs() != expected {
                return Err(tantivy::TantivyError::InternalError(format!(
                    "index holds {} passages, catalog says {expected}",
                    searcher.num_docs()
                )));
            }
            for (ord, segment) in searcher.segment_readers().iter().enumerate() {
                if segment.num_docs() == 0 {
                    continue;
                }
                let _: TantivyDocument = searcher.doc(tantivy::DocAddress::new(ord as u32, 0))?;
                let last = segment.max_doc() - 1;
                let _: TantivyDocument =
                    searcher.doc(tantivy::DocAddress::new(ord as u32, last))?;
                for field in [fields.body, fields.body_exact] {
                    let inverted = segment.inverted_index(field)?;
                    let mut stream = inverted.terms().stream()?;
                    if stream.advance() {
                        let info = stream.value().clone();
                        let mut postings = inverted.read_postings_from_terminfo(
                            &info,
                            IndexRecordOption::WithFreqsAndPositions,
                        )?;
                        use tantivy::DocSet;
                        while postings.doc() != tantivy::TERMINATED {
                            postings.advance();
                        }
                    }
                }
            }
            Ok(())
        }));
    match outcome {
        Ok(result) => Ok(result?),
        Err(_) => Err(CoreError::Index(tantivy::TantivyError::InternalError(
            "index probe panicked".into(),
        ))),
    }
}

/// Builds a new generation from the corpus. Returns `Ok(None)` when `cancel` was raised: the
/// partial generation is removed and nothing else changes.
#[allow(clippy::too_many_arguments)]
pub fn build_generation(
    data_dir: &Path,
    corpus_dir: &Path,
    max_file_bytes: u64,
    max_passage_chars: usize,
    writer_memory_mb: usize,
    analyzers: &Analyzers,
    cleaner: &Cleaner,
    cancel: &AtomicBool,
) -> Result<Option<(PathBuf, Catalog)>> {
    let started = Instant::now();
    let (entries, mut skipped) = list_corpus(corpus_dir)?;
    std::fs::create_dir_all(data_dir).map_err(|e| CoreError::io(data_dir, e))?;
    let generation = unique_generation_dir(data_dir);
    std::fs::create_dir_all(&generation).map_err(|e| CoreError::io(&generation, e))?;
    let result = write_generation(
        &generation,
        &entries,
        &mut skipped,
        max_file_bytes,
        max_passage_chars,
        writer_memory_mb,
        analyzers,
        cleaner,
        cancel,
        started,
    );
    match result {
        Ok(Some(catalog)) => Ok(Some((generation, catalog))),
        Ok(None) => {
            let _ = std::fs::remove_dir_all(&generation);
            Ok(None)
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&generation);
            Err(e)
        }
    }
}

fn unique_generation_dir(data_dir: &Path) -> PathBuf {
    let millis = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis())
        .unwrap_or(0);
    let mut n = 0;
    loop {
        let candidate = data_dir.join(format!("gen-{millis}-{}-{n}", std::process::id()));
        if !candidate.exists() {
            return candidate;
        }
        n += 1;
    }
}

#[allow(clippy::too_many_arguments)]
fn write_generation(
    generation: &Path,
    entries: &[CorpusEntry],
    skipped: &mut Vec<SkippedFile>,
    max_file_bytes: u64,
    max_passage_chars: usize,
    writer_memory_mb: usize,
    analyzers: &Analyzers,
    cleaner: &Cleaner,
    cancel: &AtomicBool,
    started: Instant,
) -> Result<Option<Catalog>> {
    let (schema, fields) = schema();
    let index = Index::create_in_dir(generation, schema)?;
    analyzers.register(&index);
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    let memory = (writer_memory_mb.max(20 * threads)) * 1024 * 1024;
    let mut writer: tantivy::IndexWriter = index.writer_with_num_threads(threads, memory)?;
    let progress = progress_bar(entries.len() as u64);
    let mut articles = Vec::with_capacity(entries.len());
    let mut states = Vec::with_capacity(entries.len());
    let mut passages = 0usize;
    let mut text_bytes = 0u64;
    let mut read_skipped = Vec::new();
    for entry in entries {
        if cancel.load(Ordering::Relaxed) {
            progress.finish_and_clear();
            writer.rollback()?;
            return Ok(None);
        }
        progress.inc(1);
        match read_article(entry, max_file_bytes, cleaner) {
            Ok(article) => {
                for passage in split_passages(&article, max_passage_chars) {
                    writer.add_document(doc!(
                        fields.file => passage.file.as_str(),
                        fields.title => passage.title.as_str(),
                        fields.body => &article.text[passage.start..passage.end],
                        fields.body_exact => &article.text[passage.start..passage.end],
                        fields.paragraph => passage.paragraph as u64,
                        fields.start => passage.start as u64,
                        fields.end => passage.end as u64,
                        fields.hash => passage.hash.as_str(),
                    ))?;
                    passages += 1;
                }
                text_bytes += article.text.len() as u64;
                states.push(file_state(entry, Some(article.text.as_bytes())));
                articles.push(article.meta);
            }
            Err(reason) => {
                tracing::warn!(file = %entry.name, %reason, "skipping corpus file");
                states.push(file_state(entry, None));
                read_skipped.push(SkippedFile {
                    file: entry.name.clone(),
                    reason,
                });
            }
        }
    }
    progress.finish_and_clear();
    writer.commit()?;
    writer.wait_merging_threads()?;
    let fingerprint = fingerprint_of(&states, skipped);
    skipped.extend(read_skipped);
    skipped.sort_by(|a, b| a.file.cmp(&b.file));
    let catalog = Catalog {
        format: FORMAT_VERSION,
        analyzer_version: analyzers.version.clone(),
        fingerprint,
        built_at_unix: SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0),
        build_millis: started.elapsed().as_millis() as u64,
        articles,
        skipped: skipped.clone(),
        passages,
        text_bytes,
        files: states,
    };
    write_atomically(
        &generation.join(CATALOG_FILE),
        serde_json::to_string(&catalog)
            .unwrap_or_default()
            .as_bytes(),
    )?;
    Ok(Some(catalog))
}

/// Switches `CURRENT` to a generation, then removes older generations. Readers that still hold an
/// old generation keep working: on Unix, removed files stay readable while mapped.
pub fn activate_generation(data_dir: &Path, generation: &Path) -> Result<()> {
    let name = generation
        .file_name()
        .map(|n| n.to_string_lossy().to_string())
        .unwrap_or_default();
    write_atomically(&data_dir.join(CURRENT_FILE), name.as_bytes())?;
    if let Ok(read) = std::fs::read_dir(data_dir) {
        for item in read.flatten() {
            let file_name = item.file_name().to_string_lossy().to_string();
            if file_name.starts_with("gen-") && file_name != name {
                let _ = std::fs::remove_dir_all(item.path());
            }
        }
    }
    Ok(())
}

/// Writes a file by writing a temporary sibling, syncing it, and renaming it over the target.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("tmp-{}", std::process::id()));
    let write = || -> std::io::Result<()> {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)?;
        if let Some(parent) = path.parent() {
            if let Ok(dir) = std::fs::File::open(parent) {
                let _ = dir.sync_all();
            }
        }
        Ok(())
    };
    write().map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        CoreError::io(path, e)
    })
}

/// A progress bar on a terminal; hidden when stderr is not a TTY (CI, systemd, tests).
fn progress_bar(total: u64) -> indicatif::ProgressBar {
    if total < 200 || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "indexing {bar:40} {pos}/{len} articles ({per_sec}, eta {eta})",
    ) {
        bar.set_style(style);
    }
    bar
}
