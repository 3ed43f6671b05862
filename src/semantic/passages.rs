//! Embedding a generation's passages: vectors already in the data folder's cache (same text,
//! same model) are reused; the rest are embedded in batches, each batch appended to the cache
//! before the next starts, with progress and cancellation between batches.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use super::cache::EmbeddingCache;
use super::encoder::{Encoder, Prefix};
use super::vectors::{passage_key, PassageVectors};
use super::ModelResult;

/// Passages embedded per call: large enough for full batches, small enough to cancel quickly and
/// to lose little work to a kill.
const CHUNK: usize = 64;

/// The vectors of a generation, and how many of them were computed (not reused).
pub struct Embedded {
    /// One row per passage.
    pub vectors: PassageVectors,
    /// Rows computed by this call.
    pub computed: usize,
    /// The passage keys, in row order.
    pub keys: Vec<u64>,
}

/// A generation's passage texts in row order, with their cache keys hashed once (a million
/// passages is 400 MB of text to hash).
pub struct KeyedTexts {
    texts: Vec<String>,
    keys: Vec<u64>,
}

impl KeyedTexts {
    /// Hashes every text.
    pub fn new(texts: Vec<String>) -> KeyedTexts {
        let keys = texts.iter().map(|t| passage_key(t)).collect();
        KeyedTexts { texts, keys }
    }

    /// Number of passages.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }
}

/// Indices of the passages whose vectors the cache lacks (one per distinct text).
pub fn missing(passages: &KeyedTexts, cache: &EmbeddingCache) -> Vec<usize> {
    let mut seen = HashSet::new();
    (0..passages.len())
        .filter(|&i| {
            let key = passages.keys[i];
            cache.get(key).is_none() && seen.insert(key)
        })
        .collect()
}

/// Embeds the passages (row order) through `cache`; `None` when cancelled (what was embedded
/// stays in the cache).
pub fn embed_passages(
    encoder: &Encoder,
    passages: &KeyedTexts,
    cache: &mut EmbeddingCache,
    cancel: &AtomicBool,
    progress: &indicatif::ProgressBar,
) -> ModelResult<Option<Embedded>> {
    let missing = missing(passages, cache);
    let (texts, keys) = (&passages.texts, &passages.keys);
    progress.set_length(missing.len() as u64);
    for chunk in missing.chunks(CHUNK) {
        if cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let batch: Vec<&str> = chunk.iter().map(|&i| texts[i].as_str()).collect();
        let vectors = encoder.embed(&batch, Prefix::Passage)?;
        let keyed: Vec<(u64, Vec<f32>)> = chunk.iter().map(|&i| keys[i]).zip(vectors).collect();
        cache.append(&keyed)?;
        progress.inc(chunk.len() as u64);
    }
    let mut vectors = PassageVectors::new(encoder.dimension(), &encoder.info().sha256);
    for key in keys {
        match cache.get(*key) {
            Some((scale, values)) => vectors.push_stored(*key, *scale, values),
            // Unreachable: every missing key was appended above.
            None => vectors.push(*key, &vec![0.0; encoder.dimension()]),
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
        keys: keys.clone(),
    }))
}
