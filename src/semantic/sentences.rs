//! Sentence vectors computed at index time (`semantic.sentence_vectors = "index"`): each
//! sentence's vector comes from its passage's own forward pass (the mean of the final token
//! states over the sentence's tokens, [`super::Encoder::embed_parts`]), exactly what re-reading
//! computes at question time, so answering needs no forward pass but the question's.
//!
//! They are keyed by content, not by row: a sentence's key is derived from its passage text's
//! key and its place in the passage, so a lookup can never meet another passage's vectors, and
//! the cache keeps them across rebuilds like the passage vectors. The generation's
//! `sentences.bin` has [`PassageVectors`]' layout (int8 values and a scale: 388 bytes and an
//! 8-byte key a sentence).

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::vectors::{PassageVectors, QueryVector};
use super::ModelResult;

/// The file name inside a generation.
pub const SENTENCES_FILE: &str = "sentences.bin";

/// The cache key of sentence `index` of the passage whose key is `passage`: a hash of both with
/// a tag of its own, so it never equals a passage key by construction of its input.
pub fn sentence_key(passage: u64, index: usize) -> u64 {
    let mut hasher = Sha256::new();
    hasher.update(b"sentence\0");
    hasher.update(passage.to_le_bytes());
    hasher.update((index as u64).to_le_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    u64::from_le_bytes(first)
}

/// How many sentence vectors a passage has: one per sentence where re-reading cuts it
/// ([`crate::quote::sentence_ends`]).
pub fn sentence_count(passage: &str) -> usize {
    crate::quote::sentence_ends(passage).len()
}

/// A generation's sentence vectors, found by key.
#[derive(Debug, Clone)]
pub struct SentenceVectors {
    rows: PassageVectors,
    by_key: HashMap<u64, usize>,
}

impl SentenceVectors {
    /// Indexes the rows by key.
    pub fn new(rows: PassageVectors) -> SentenceVectors {
        let by_key = (0..rows.len()).map(|row| (rows.key(row), row)).collect();
        SentenceVectors { rows, by_key }
    }

    /// Reads a generation's `sentences.bin`.
    pub fn read(path: &Path) -> ModelResult<SentenceVectors> {
        PassageVectors::read(path).map(SentenceVectors::new)
    }

    /// Writes them (the rows' layout, with its checksum).
    pub fn write(&self, path: &Path) -> ModelResult<()> {
        self.rows.write(path)
    }

    /// The hash of the model that made them.
    pub fn model_sha256(&self) -> &str {
        self.rows.model_sha256()
    }

    /// Number of stored sentences.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether none are stored.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The cosines of the first `count` sentences of a passage with a unit question vector, in
    /// order; `None` when any of them is not stored.
    pub fn cosines(&self, question: &QueryVector, passage: u64, count: usize) -> Option<Vec<f32>> {
        (0..count)
            .map(|i| {
                let row = *self.by_key.get(&sentence_key(passage, i))?;
                Some(self.rows.similarity(question, row))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_are_found_by_their_passage_and_place() {
        let mut rows = PassageVectors::new(2, "m");
        rows.push(sentence_key(7, 0), &[1.0, 0.0]);
        rows.push(sentence_key(7, 1), &[0.0, 1.0]);
        rows.push(sentence_key(8, 0), &[0.6, 0.8]);
        let sentences = SentenceVectors::new(rows);
        let question = QueryVector::new(&[0.0, 1.0]);
        let cosines = sentences.cosines(&question, 7, 2).unwrap();
        assert!(cosines[0].abs() < 0.01 && (cosines[1] - 1.0).abs() < 0.01);
        let of_other = sentences.cosines(&question, 8, 1).unwrap();
        assert!((of_other[0] - 0.8).abs() < 0.01);
        // A third sentence of passage 7 was never stored: nothing, not a partial answer.
        assert!(sentences.cosines(&question, 7, 3).is_none());
        assert!(sentences.cosines(&question, 9, 1).is_none());
    }

    #[test]
    fn keys_differ_by_passage_and_place() {
        let keys = [
            sentence_key(1, 0),
            sentence_key(1, 1),
            sentence_key(2, 0),
            sentence_key(0, 1),
        ];
        for (i, a) in keys.iter().enumerate() {
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn a_written_file_reads_back_the_same_cosines() {
        let dir = tempfile::tempdir().unwrap();
        let mut rows = PassageVectors::new(3, "m");
        rows.push(sentence_key(5, 0), &[0.6, 0.0, 0.8]);
        rows.push(sentence_key(5, 1), &[0.0, 1.0, 0.0]);
        let path = dir.path().join(SENTENCES_FILE);
        SentenceVectors::new(rows).write(&path).unwrap();
        let read = SentenceVectors::read(&path).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(read.model_sha256(), "m");
        let question = QueryVector::new(&[0.0, 0.0, 1.0]);
        let cosines = read.cosines(&question, 5, 2).unwrap();
        assert!((cosines[0] - 0.8).abs() < 0.01 && cosines[1].abs() < 0.01);
    }
}
