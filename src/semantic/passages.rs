//! Embedding a generation's passages: vectors already in the data folder's cache (same text,
//! same model) are reused; the rest are embedded in batches, each batch appended to the cache
//! before the next starts, with progress and cancellation between batches.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};

use super::cache::{EmbeddingCache, Record};
use super::encoder::{Encoder, Prefix};
use super::sentences::{sentence_key, SentenceRow, SentenceVectors};
use super::vectors::{dequantize_row, passage_key, quantize_row, PassageVectors};
use super::ModelResult;
use crate::quote::sentence_ends;

/// Passages embedded per call: large enough for full batches, small enough to cancel quickly and
/// to lose little work to a kill.
const CHUNK: usize = 64;

/// The vectors of a generation, and how many of them were computed (not reused).
pub struct Embedded {
    /// One row per passage.
    pub vectors: PassageVectors,
    /// The passages' sentence vectors, when they are stored at index time.
    pub sentences: Option<SentenceVectors>,
    /// Passages computed by this call.
    pub computed: usize,
}

/// A generation's passage texts in row order, with their cache keys hashed once (a million
/// passages is 400 MB of text to hash) and, when sentence vectors are wanted, where each
/// passage's sentences end (what re-reading cuts them at), found once.
pub struct KeyedTexts {
    texts: Vec<String>,
    keys: Vec<u64>,
    ends: Option<Vec<Vec<usize>>>,
}

impl KeyedTexts {
    /// Hashes every text, and with `sentences` finds its sentences.
    pub fn new(texts: Vec<String>, sentences: bool) -> KeyedTexts {
        let keys = texts.iter().map(|t| passage_key(t)).collect();
        let ends = sentences.then(|| texts.iter().map(|t| sentence_ends(t)).collect());
        KeyedTexts { texts, keys, ends }
    }

    /// Every cache key these passages use: theirs, then their sentences' when wanted.
    pub fn all_keys(&self) -> Vec<u64> {
        let mut keys = self.keys.clone();
        if let Some(ends) = &self.ends {
            for (key, ends) in self.keys.iter().zip(ends) {
                keys.extend((0..ends.len()).map(|j| sentence_key(*key, j)));
            }
        }
        keys
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

/// Indices of the passages whose vectors the cache lacks (one per distinct text): the passage's
/// own, or when sentence vectors are wanted one of its sentences'.
pub fn missing(passages: &KeyedTexts, cache: &EmbeddingCache) -> Vec<usize> {
    let mut seen = HashSet::new();
    (0..passages.len())
        .filter(|&i| {
            let key = passages.keys[i];
            let lacks_sentence = passages.ends.as_ref().is_some_and(|ends| {
                (0..ends[i].len()).any(|j| cache.sentence(sentence_key(key, j)).is_none())
            });
            (cache.passage(key).is_none() || lacks_sentence) && seen.insert(key)
        })
        .collect()
}

/// Embeds the passages (row order) through `cache`, and when sentence vectors are wanted their
/// sentences from the same forward passes; `None` when cancelled (what was embedded stays in the
/// cache).
pub fn embed_passages(
    encoder: &Encoder,
    passages: &KeyedTexts,
    cache: &mut EmbeddingCache,
    cancel: &AtomicBool,
    progress: &indicatif::ProgressBar,
) -> ModelResult<Option<Embedded>> {
    let (storage, centre) = (cache.storage(), cache.centre().to_vec());
    let missing = missing(passages, cache);
    let (texts, keys, ends) = (&passages.texts, &passages.keys, &passages.ends);
    progress.set_length(missing.len() as u64);
    for chunk in missing.chunks(CHUNK) {
        if cancel.load(Ordering::Relaxed) {
            return Ok(None);
        }
        let batch: Vec<&str> = chunk.iter().map(|&i| texts[i].as_str()).collect();
        let embedded = match ends {
            Some(ends) => {
                let batch_ends: Vec<Vec<usize>> = chunk.iter().map(|&i| ends[i].clone()).collect();
                encoder.embed_parts(&batch, &batch_ends, Prefix::Passage)?
            }
            None => encoder
                .embed(&batch, Prefix::Passage)?
                .into_iter()
                .map(|whole| super::Embedded {
                    whole,
                    parts: Vec::new(),
                })
                .collect(),
        };
        let mut records = Vec::new();
        for (&i, passage) in chunk.iter().zip(embedded) {
            // A passage vector already cached stays as it is, and its sentences are stored
            // against it: the same text keeps the same vectors however it was computed.
            let stored = match cache.passage(keys[i]) {
                Some(stored) => stored.clone(),
                None => {
                    let stored = quantize_row(&passage.whole, &centre, storage);
                    records.push(Record::Passage(keys[i], stored.clone()));
                    stored
                }
            };
            let as_stored = dequantize_row(stored.0, &stored.1, &centre);
            records.extend(passage.parts.iter().enumerate().map(|(j, part)| {
                let row = SentenceRow::encode(part, &as_stored, storage);
                Record::Sentence(sentence_key(keys[i], j), row)
            }));
        }
        cache.append(records)?;
        progress.inc(chunk.len() as u64);
    }
    let dimension = encoder.dimension();
    let sha = &encoder.info().sha256;
    let mut vectors = PassageVectors::new(dimension, sha, storage, centre);
    for key in keys {
        match cache.passage(*key) {
            Some((scale, values)) => vectors.push_stored(*key, *scale, values),
            // Unreachable: every missing key was appended above.
            None => vectors.push(*key, &vec![0.0; dimension]),
        }
    }
    let sentences = ends.as_ref().map(|ends| {
        let mut rows = SentenceVectors::new(dimension, sha, storage);
        let mut seen = HashSet::new();
        for (key, ends) in keys.iter().zip(ends) {
            // Every missing key was appended above; were one absent, its passage would get no
            // sentences, and re-reading would compute them.
            let of_passage: Option<Vec<SentenceRow>> = (0..ends.len())
                .map(|j| cache.sentence(sentence_key(*key, j)).cloned())
                .collect();
            let of_passage = of_passage.filter(|_| seen.insert(*key)).unwrap_or_default();
            rows.push_passage(*key, of_passage);
        }
        rows
    });
    tracing::info!(
        passages = texts.len(),
        embedded = missing.len(),
        reused = texts.len() - missing.len(),
        sentences = sentences.as_ref().map_or(0, SentenceVectors::len),
        "passage embeddings ready"
    );
    Ok(Some(Embedded {
        vectors,
        sentences,
        computed: missing.len(),
    }))
}
