//! Embedding a generation's passages at build time: unchanged passages (same text, same model)
//! reuse the previous generation's vectors; the rest are embedded in batches, with progress and
//! cancellation between batches.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};

use super::encoder::{Encoder, Prefix};
use super::vectors::{passage_key, PassageVectors};
use super::ModelResult;

/// Passages embedded per call: large enough for full batches, small enough to cancel quickly.
const CHUNK: usize = 64;

/// The vectors of a generation, and how many of them were computed (not reused).
pub struct Embedded {
    /// One row per passage.
    pub vectors: PassageVectors,
    /// Rows computed by this build.
    pub computed: usize,
}

/// Embeds `texts` (row order); `None` when cancelled.
pub fn embed_passages(
    encoder: &Encoder,
    texts: &[String],
    previous: Option<&PassageVectors>,
    cancel: &AtomicBool,
    progress: &indicatif::ProgressBar,
) -> ModelResult<Option<Embedded>> {
    let sha = &encoder.info().sha256;
    let reusable = previous.filter(|p| p.model_sha256() == sha);
    let cached: HashMap<u64, usize> = reusable.map(|p| p.rows_by_key()).unwrap_or_default();
    let keys: Vec<u64> = texts.iter().map(|t| passage_key(t)).collect();
    let missing: Vec<usize> = (0..texts.len())
        .filter(|&i| !cached.contains_key(&keys[i]))
        .collect();
    progress.set_length(missing.len() as u64);
    let mut fresh: HashMap<usize, Vec<f32>> = HashMap::with_capacity(missing.len());
    for chunk in missing.chunks(CHUNK) {
        if cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let batch: Vec<&str> = chunk.iter().map(|&i| texts[i].as_str()).collect();
        for (&i, vector) in chunk.iter().zip(encoder.embed(&batch, Prefix::Passage)?) {
            fresh.insert(i, vector);
        }
        progress.inc(chunk.len() as u64);
    }
    let mut vectors = PassageVectors::new(encoder.dimension(), sha);
    for (i, key) in keys.iter().enumerate() {
        match (fresh.get(&i), reusable, cached.get(key)) {
            (Some(vector), _, _) => vectors.push(*key, vector),
            (None, Some(previous), Some(&row)) => vectors.push_from(previous, row),
            // Unreachable: every key is either cached or embedded above.
            (None, _, _) => vectors.push(*key, &vec![0.0; encoder.dimension()]),
        }
    }
    tracing::info!(
        passages = texts.len(),
        embedded = missing.len(),
        reused = texts.len() - missing.len(),
        "passage embeddings ready"
    );
    Ok(Some(Embedded {
        vectors,
        computed: missing.len(),
    }))
}
