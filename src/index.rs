//! The on-disk index: schema, the catalog beside it, opening, verifying and activating a
//! generation (the build loop is in [`crate::build`]).
//!
//! Layout under the configured data folder:
//! - `gen-<millis>-<pid>-<n>/`: one complete tantivy index plus its `catalog.json` and the marker
//!   that says the folder is ours (see [`crate::generation`]);
//! - `CURRENT`: the name of the generation in use, replaced atomically (write + rename);
//! - `writer.lock`: the lock held by the one process that builds (see [`crate::lock`]).
//!
//! A build writes a new generation, verifies its checksums and switches `CURRENT` only then, so a
//! crash mid-build leaves the old generation in use, never neither.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, INDEXED, STORED, STRING,
};
use tantivy::{Index, IndexReader, ReloadPolicy, TantivyDocument};

use crate::analysis::{Analyzers, EXACT_TOKENIZER, STEMMED_TOKENIZER};
use crate::corpus::{ArticleMeta, CorpusEntry, SkippedFile};
use crate::error::{CoreError, Result};
use crate::generation::{CATALOG_FILE, CURRENT_FILE};
use crate::semantic::sentences::{SentenceVectors, SENTENCES_FILE};
use crate::semantic::vectors::{PassageVectors, VECTORS_FILE};
use crate::semantic::ModelError;
use crate::text::{short_hash, short_hash_bytes};

/// Version of the schema and catalog format.
pub(crate) const FORMAT_VERSION: u32 = 5;

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
    /// Hash of the whole paragraph the passage belongs to (what citations show).
    pub paragraph_hash: Field,
    /// The passage's row in the generation's embedding matrix.
    pub row: Field,
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
        paragraph_hash: builder.add_text_field("paragraph_hash", STRING | STORED),
        row: builder.add_u64_field("row", INDEXED | STORED),
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
    /// File states, for change detection.
    pub files: Vec<FileState>,
    /// Problems found while building that the operator should see (a boilerplate pattern that
    /// removes most of the corpus).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// SHA-256 of the model whose passage embeddings this generation holds; none when it was
    /// built without semantic answers.
    #[serde(default)]
    pub semantic_model: Option<String>,
    /// Passages this build embedded; the others reused the previous generation's vectors.
    #[serde(default)]
    pub embedded_passages: usize,
    /// Whether the generation holds its passages' sentence vectors (`sentences.bin`).
    #[serde(default)]
    pub sentence_vectors: bool,
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
    /// The passage embeddings, when the generation was built with the encoder.
    pub vectors: Option<PassageVectors>,
    /// Its passages' sentence vectors, when they were computed at index time.
    pub sentences: Option<SentenceVectors>,
}

impl Snapshot {
    /// Metadata of an article by file name.
    pub fn article(&self, file: &str) -> Option<&ArticleMeta> {
        self.by_file.get(file).map(|&i| &self.catalog.articles[i])
    }
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
pub(crate) fn file_state(entry: &CorpusEntry, content: Option<&[u8]>) -> FileState {
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

pub(crate) fn fingerprint_of(states: &[FileState], listing_skipped: &[SkippedFile]) -> String {
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

/// Reads a generation's catalog.
pub fn read_catalog(generation: &Path) -> Option<Catalog> {
    let text = std::fs::read_to_string(generation.join(CATALOG_FILE)).ok()?;
    let catalog: Catalog = serde_json::from_str(&text).ok()?;
    (catalog.format == FORMAT_VERSION).then_some(catalog)
}

fn damaged(generation: &Path, reason: impl Into<String>) -> CoreError {
    CoreError::IndexDamaged {
        generation: generation.to_path_buf(),
        reason: reason.into(),
    }
}

/// Opens a generation and checks that it answers a query; any failure means "rebuild".
pub fn open_generation(generation: &Path, analyzers: &Analyzers) -> Result<Snapshot> {
    let catalog = read_catalog(generation)
        .ok_or_else(|| damaged(generation, "its catalog is missing or unreadable"))?;
    let opened = std::panic::catch_unwind(std::panic::AssertUnwindSafe(
        || -> Result<(Index, IndexReader)> {
            let index = Index::open(crate::frozen_dir::FrozenDirectory::open(generation)?)?;
            analyzers.register(&index);
            let reader = index
                .reader_builder()
                .reload_policy(ReloadPolicy::Manual)
                .try_into()?;
            Ok((index, reader))
        },
    ));
    let (index, reader) = match opened {
        Ok(Ok(pair)) => pair,
        Ok(Err(error)) => return Err(damaged(generation, crate::error::chain(&error))),
        Err(_) => return Err(damaged(generation, "reading it panicked")),
    };
    let (_, fields) = schema();
    probe(&reader, fields, &catalog).map_err(|reason| damaged(generation, reason))?;
    // Vectors an earlier version wrote are left out: answers are lexical (or re-read at
    // question time) until the embedding pass computes them again, as after a model change.
    let earlier = |e: &ModelError| matches!(e, ModelError::EarlierVersion(_));
    let vectors = match &catalog.semantic_model {
        None => None,
        Some(_) => match PassageVectors::read(&generation.join(VECTORS_FILE)) {
            Err(e) if earlier(&e) => None,
            Err(e) => return Err(damaged(generation, crate::error::chain(&e))),
            Ok(vectors) if vectors.len() != catalog.passages => {
                return Err(damaged(
                    generation,
                    "its embeddings do not match its passages",
                ))
            }
            Ok(vectors) => Some(vectors),
        },
    };
    let sentences = match (&vectors, catalog.sentence_vectors) {
        (Some(vectors), true) => {
            match SentenceVectors::read(&generation.join(SENTENCES_FILE), vectors) {
                Err(e) if earlier(&e) => None,
                Err(e) => return Err(damaged(generation, crate::error::chain(&e))),
                Ok(sentences) => Some(sentences),
            }
        }
        _ => None,
    };
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
        vectors,
        sentences,
    })
}

/// Every passage's text, in row order (the order of the embedding matrix).
pub fn passage_texts(snapshot: &Snapshot) -> Result<Vec<String>> {
    use tantivy::schema::Value;
    let searcher = snapshot.reader.searcher();
    let mut rows: Vec<Option<String>> = vec![None; snapshot.catalog.passages];
    for (ordinal, segment) in searcher.segment_readers().iter().enumerate() {
        let alive = segment.alive_bitset();
        for doc in 0..segment.max_doc() {
            if alive.is_some_and(|a| !a.is_alive(doc)) {
                continue;
            }
            let stored: TantivyDocument =
                searcher.doc(tantivy::DocAddress::new(ordinal as u32, doc))?;
            let row = stored
                .get_first(snapshot.fields.row)
                .and_then(|v| v.as_u64());
            let body = stored
                .get_first(snapshot.fields.body)
                .and_then(|v| v.as_str());
            if let (Some(row), Some(body)) = (row, body) {
                if let Some(slot) = rows.get_mut(row as usize) {
                    *slot = Some(body.to_string());
                }
            }
        }
    }
    rows.into_iter()
        .enumerate()
        .map(|(row, text)| {
            text.ok_or_else(|| damaged(&snapshot.dir, format!("passage row {row} is missing")))
        })
        .collect()
}

/// Reads a stored document and a posting list from every segment, so that a truncated or damaged
/// segment is found at open time rather than by a user's query. A panic inside tantivy on corrupt
/// data counts as a failure too.
fn probe(
    reader: &IndexReader,
    fields: Fields,
    catalog: &Catalog,
) -> std::result::Result<(), String> {
    let searcher = reader.searcher();
    let expected = catalog.passages as u64;
    if searcher.num_docs() != expected {
        return Err(format!(
            "it holds {} passages, its catalog says {expected}",
            searcher.num_docs()
        ));
    }
    let outcome =
        std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| -> tantivy::Result<()> {
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
        Ok(Ok(())) => Ok(()),
        Ok(Err(error)) => Err(crate::error::chain(&error)),
        Err(_) => Err("reading it panicked".into()),
    }
}

/// Verifies the CRC32 checksum that tantivy keeps in the footer of every segment file (`.idx`,
/// `.term`, `.store`, `.pos`, `.fieldnorm`, `.fast`), so that bit rot is found even where the
/// probe would read damaged data without noticing (a flipped field norm only changes rankings).
pub fn verify_checksums(generation: &Path) -> Result<()> {
    let checked = std::panic::catch_unwind(|| -> tantivy::Result<Vec<PathBuf>> {
        let index = Index::open(crate::frozen_dir::FrozenDirectory::open(generation)?)?;
        let mut bad: Vec<PathBuf> = index.validate_checksum()?.into_iter().collect();
        // Files listed in the meta but gone are damage too.
        let metas = index.searchable_segment_metas()?;
        use tantivy::index::SegmentComponent;
        for meta in metas {
            for component in [
                SegmentComponent::Postings,
                SegmentComponent::Positions,
                SegmentComponent::Terms,
                SegmentComponent::Store,
                SegmentComponent::FastFields,
                SegmentComponent::FieldNorms,
            ] {
                let file = meta.relative_path(component);
                if !generation.join(&file).exists() {
                    bad.push(file);
                }
            }
        }
        bad.sort();
        bad.dedup();
        Ok(bad)
    });
    match checked {
        Ok(Ok(bad)) if bad.is_empty() => Ok(()),
        Ok(Ok(bad)) => Err(damaged(
            generation,
            format!(
                "checksum mismatch in {}",
                bad.iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
        Ok(Err(error)) => Err(damaged(generation, crate::error::chain(&error))),
        Err(_) => Err(damaged(generation, "verifying it panicked")),
    }
}

/// Switches `CURRENT` to a generation, then removes the other generations of ours (never anything
/// else: see [`crate::generation`]). Call with the writer lock held. Readers that still hold an old
/// generation keep working: on Unix, removed files stay readable while open or mapped.
pub fn activate_generation(data_dir: &Path, generation: &Path) -> Result<()> {
    let name = generation
        .file_name()
        .and_then(|n| n.to_str())
        .filter(|n| crate::generation::is_generation_name(n))
        .ok_or_else(|| damaged(generation, "not a generation folder"))?;
    write_atomically(&data_dir.join(CURRENT_FILE), name.as_bytes())?;
    for old in crate::generation::others(data_dir, Some(generation)) {
        crate::generation::remove(&old);
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
