//! Sentence vectors computed at index time (`semantic.sentence_vectors = "index"` or
//! `"compact"`): each sentence's vector comes from its passage's own forward pass (the mean of
//! the final token states over the sentence's tokens, [`super::Encoder::embed_parts`]), exactly
//! what re-reading computes at question time, so answering needs no forward pass but the
//! question's.
//!
//! With int8 storage a sentence is stored like an int8 passage row (388 bytes). Compact
//! storage keeps only how it differs from its passage, coarsely: the sign of each value of
//! `sentence − passage` (the passage vector as stored), with one f16 scale, the mean absolute
//! difference, which makes `passage + scale × signs` the closest such vector: 50 bytes for 384
//! dimensions, so that a passage and its sentences take under 400 bytes even for
//! Wikipedia-style paragraphs of about three sentences. A cosine is then the passage's plus
//! `scale × Σ ±question`. One bit a value is close to the best any code of that size can do
//! for such differences, and it is coarse: see the README's figures for what it costs. The
//! scale that makes the estimate of `question · (sentence − passage)` unbiased (`‖d‖² / Σ|dᵢ|`,
//! about 1.6 times this one) changed no answer on any development set.
//!
//! The file lists each passage row's sentence count, so sentences need no stored key: a
//! sentence's key is derived from its passage text's key and its place in the passage
//! ([`sentence_key`]), a lookup can never meet another passage's vectors, and the cache keeps
//! them across rebuilds like the passage vectors.

use std::collections::HashMap;
use std::path::Path;

use sha2::{Digest, Sha256};

use super::vectors::{
    f32s, quantize, read_checked, write_checked, PassageVectors, QueryVector, Storage,
};
use super::ModelResult;

/// The file name inside a generation.
pub const SENTENCES_FILE: &str = "sentences.bin";
const MAGIC: &[u8; 8] = b"CBSEN02\0";

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

/// A sentence as compact storage keeps it: the scale and the signs of its difference from its
/// passage, one bit a dimension (set: positive), the first dimension in the lowest bit.
#[derive(Debug, Clone, PartialEq)]
pub struct SentenceSigns {
    /// The mean absolute difference (an f16 value).
    pub scale: f32,
    /// `dimension / 8` bytes, rounded up.
    pub signs: Vec<u8>,
}

impl SentenceSigns {
    /// Encodes a sentence vector against its passage's stored vector.
    pub fn encode(sentence: &[f32], passage: &[f32]) -> SentenceSigns {
        let difference: Vec<f32> = sentence.iter().zip(passage).map(|(s, p)| s - p).collect();
        let total: f32 = difference.iter().map(|d| d.abs()).sum();
        let scale = half::f16::from_f32(total / difference.len().max(1) as f32).to_f32();
        let mut signs = vec![0u8; difference.len().div_ceil(8)];
        for (i, d) in difference.iter().enumerate() {
            if *d > 0.0 {
                signs[i / 8] |= 1 << (i % 8);
            }
        }
        SentenceSigns { scale, signs }
    }

    /// The sentence's cosine with a unit question, given the question's cosine with the passage's
    /// stored vector.
    pub fn cosine(&self, question: &[f32], to_passage: f32) -> f32 {
        let mut signed = 0f32;
        for (i, q) in question.iter().enumerate() {
            let positive = self
                .signs
                .get(i / 8)
                .is_some_and(|b| b & (1 << (i % 8)) != 0);
            signed += if positive { *q } else { -*q };
        }
        to_passage + self.scale * signed
    }
}

/// A sentence as stored.
#[derive(Debug, Clone, PartialEq)]
pub enum SentenceRow {
    /// int8 values and their scale ([`Storage::Int8`]).
    Full(f32, Vec<i8>),
    /// Signs against the passage's stored vector ([`Storage::Compact`]).
    Signs(SentenceSigns),
}

impl SentenceRow {
    /// Encodes a sentence vector as `storage` keeps it; `passage` is its passage's vector as
    /// stored.
    pub fn encode(sentence: &[f32], passage: &[f32], storage: Storage) -> SentenceRow {
        match storage {
            Storage::Int8 => {
                let (scale, values) = quantize(sentence);
                SentenceRow::Full(scale, values)
            }
            Storage::Compact => SentenceRow::Signs(SentenceSigns::encode(sentence, passage)),
        }
    }

    /// The storage this row belongs to.
    pub fn storage(&self) -> Storage {
        match self {
            SentenceRow::Full(..) => Storage::Int8,
            SentenceRow::Signs(_) => Storage::Compact,
        }
    }

    /// The sentence's cosine with a question, given the question's cosine with the passage's
    /// stored vector (what signs are relative to).
    pub fn cosine(&self, question: &QueryVector, to_passage: f32) -> f32 {
        match self {
            SentenceRow::Full(scale, values) => question.similarity_int8(*scale, values),
            SentenceRow::Signs(signs) => signs.cosine(question.vector(), to_passage),
        }
    }
}

/// A generation's sentence vectors, grouped by passage row and found by key.
#[derive(Debug, Clone)]
pub struct SentenceVectors {
    dimension: usize,
    model_sha256: String,
    storage: Storage,
    /// Each passage row's key and sentence count, in row order.
    passages: Vec<(u64, u16)>,
    rows: Vec<SentenceRow>,
    by_key: HashMap<u64, usize>,
}

impl SentenceVectors {
    /// None yet, for `dimension`-wide vectors of the model with this hash, kept as `storage`
    /// says.
    pub fn new(dimension: usize, model_sha256: &str, storage: Storage) -> SentenceVectors {
        SentenceVectors {
            dimension,
            model_sha256: model_sha256.to_string(),
            storage,
            passages: Vec::new(),
            rows: Vec::new(),
            by_key: HashMap::new(),
        }
    }

    /// Adds the next passage row's sentences, in order (none for a passage whose text an earlier
    /// row already has). Rows of another storage, and sentences past 65,535, are left out:
    /// re-reading then computes that passage's sentences.
    pub fn push_passage(&mut self, passage: u64, sentences: Vec<SentenceRow>) {
        let kept: Vec<SentenceRow> = if sentences.iter().all(|r| r.storage() == self.storage) {
            sentences.into_iter().take(usize::from(u16::MAX)).collect()
        } else {
            Vec::new()
        };
        for j in 0..kept.len() {
            self.by_key
                .entry(sentence_key(passage, j))
                .or_insert(self.rows.len() + j);
        }
        self.passages.push((passage, kept.len() as u16));
        self.rows.extend(kept);
    }

    /// Every stored sentence with its key.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &SentenceRow)> + '_ {
        self.passages
            .iter()
            .flat_map(|(passage, count)| {
                (0..usize::from(*count)).map(|j| sentence_key(*passage, j))
            })
            .zip(&self.rows)
    }

    /// How the rows are kept.
    pub fn storage(&self) -> Storage {
        self.storage
    }

    /// Bytes of a row's scale and values.
    fn widths(storage: Storage, dimension: usize) -> (usize, usize) {
        match storage {
            Storage::Int8 => (4, dimension),
            Storage::Compact => (2, dimension.div_ceil(8)),
        }
    }

    /// Reads a generation's `sentences.bin`, checking its size and checksum; `passages` is the
    /// generation's passage matrix, whose rows the file's counts follow.
    pub fn read(path: &Path, passages: &PassageVectors) -> ModelResult<SentenceVectors> {
        let checked = read_checked(path, MAGIC)?;
        let (bits, body) = checked.body.split_at(4.min(checked.body.len()));
        let storage = bits
            .try_into()
            .ok()
            .map(u32::from_le_bytes)
            .and_then(Storage::of_bits)
            .ok_or_else(|| checked.bad("unknown storage"))?;
        let (scale_width, width) = Self::widths(storage, checked.dimension);
        let rows = checked.rows;
        let counts_len = 2 * passages.len();
        let expected = rows
            .checked_mul(scale_width + width)
            .and_then(|n| n.checked_add(counts_len))
            .ok_or_else(|| checked.bad("size"))?;
        if body.len() != expected {
            return Err(checked.bad("does not match its passages"));
        }
        let (counts, rest) = body.split_at(counts_len);
        let counts: Vec<u16> = counts
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        if counts.iter().map(|c| usize::from(*c)).sum::<usize>() != rows {
            return Err(checked.bad("counts do not match its sentences"));
        }
        let (scales, values) = rest.split_at(rows * scale_width);
        let scales: Vec<f32> = match storage {
            Storage::Int8 => f32s(scales),
            Storage::Compact => scales
                .chunks_exact(2)
                .map(|c| half::f16::from_le_bytes([c[0], c[1]]).to_f32())
                .collect(),
        };
        let mut stored = scales
            .into_iter()
            .zip(values.chunks_exact(width.max(1)))
            .map(|(scale, values)| match storage {
                // -128 is never written (see `vectors::quantize`): the kernels rely on ±127.
                Storage::Int8 => {
                    SentenceRow::Full(scale, values.iter().map(|v| (*v as i8).max(-127)).collect())
                }
                Storage::Compact => SentenceRow::Signs(SentenceSigns {
                    scale,
                    signs: values.to_vec(),
                }),
            });
        let mut sentences = SentenceVectors::new(checked.dimension, &checked.model_sha256, storage);
        for (row, count) in counts.into_iter().enumerate() {
            let of_passage: Vec<SentenceRow> = stored.by_ref().take(usize::from(count)).collect();
            sentences.push_passage(passages.key(row), of_passage);
        }
        Ok(sentences)
    }

    /// Writes them with a checksum: the storage's bits, each passage row's count, the scales,
    /// then the values.
    pub fn write(&self, path: &Path) -> ModelResult<()> {
        let (scale_width, width) = Self::widths(self.storage, self.dimension);
        let mut body =
            Vec::with_capacity(4 + 2 * self.passages.len() + self.len() * (scale_width + width));
        body.extend_from_slice(&self.storage.bits().to_le_bytes());
        for (_, count) in &self.passages {
            body.extend_from_slice(&count.to_le_bytes());
        }
        for row in &self.rows {
            match row {
                SentenceRow::Full(scale, _) => body.extend_from_slice(&scale.to_le_bytes()),
                SentenceRow::Signs(signs) => {
                    body.extend_from_slice(&half::f16::from_f32(signs.scale).to_le_bytes())
                }
            }
        }
        for row in &self.rows {
            let mut values: Vec<u8> = match row {
                SentenceRow::Full(_, values) => values.iter().map(|v| *v as u8).collect(),
                SentenceRow::Signs(signs) => signs.signs.clone(),
            };
            values.resize(width, 0);
            body.extend_from_slice(&values);
        }
        write_checked(
            path,
            MAGIC,
            self.dimension,
            self.len(),
            &self.model_sha256,
            &body,
        )
    }

    /// The hash of the model that made them.
    pub fn model_sha256(&self) -> &str {
        &self.model_sha256
    }

    /// Number of stored sentences.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether none are stored.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The cosines of the first `count` sentences of a passage with a question, in order, given
    /// the question's cosine with the passage's stored vector; `None` when any of them is not
    /// stored.
    pub fn cosines(
        &self,
        question: &QueryVector,
        to_passage: f32,
        passage: u64,
        count: usize,
    ) -> Option<Vec<f32>> {
        (0..count)
            .map(|i| {
                let row = *self.by_key.get(&sentence_key(passage, i))?;
                Some(self.rows[row].cosine(question, to_passage))
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::semantic::encoder::normalize;
    use crate::semantic::vectors::tests::unit;

    /// `a + weight × b`, normalised.
    fn mix(a: &[f32], b: &[f32], weight: f32) -> Vec<f32> {
        let mut v: Vec<f32> = a.iter().zip(b).map(|(x, y)| x + weight * y).collect();
        normalize(&mut v);
        v
    }

    fn dot(a: &[f32], b: &[f32]) -> f32 {
        a.iter().zip(b).map(|(x, y)| x * y).sum()
    }

    #[test]
    fn signs_keep_a_sentence_cosine_close_and_the_closest_sentence_first() {
        let passage = unit(1, 384);
        let sentences: Vec<Vec<f32>> = (2..6).map(|i| mix(&passage, &unit(i, 384), 0.4)).collect();
        for (target, sentence) in sentences.iter().enumerate() {
            let question = mix(sentence, &unit(100 + target as u64, 384), 0.8);
            let to_passage = dot(&question, &passage);
            let approximate: Vec<f32> = sentences
                .iter()
                .map(|s| SentenceSigns::encode(s, &passage).cosine(&question, to_passage))
                .collect();
            for (s, a) in sentences.iter().zip(&approximate) {
                assert!((dot(&question, s) - a).abs() < 0.05, "{a}");
            }
            let best = (0..approximate.len())
                .max_by(|&a, &b| approximate[a].total_cmp(&approximate[b]))
                .unwrap();
            assert_eq!(best, target);
        }
    }

    #[test]
    fn sentences_are_found_by_their_passage_and_place() {
        let passage = [0.6, 0.8];
        let signs = |s: &[f32]| SentenceRow::Signs(SentenceSigns::encode(s, &passage));
        let mut sentences = SentenceVectors::new(2, "m", Storage::Compact);
        sentences.push_passage(7, vec![signs(&[1.0, 0.0]), signs(&[0.0, 1.0])]);
        sentences.push_passage(8, vec![signs(&[0.6, 0.8])]);
        // A row of the other storage is not taken: that passage has none.
        sentences.push_passage(6, vec![SentenceRow::Full(1.0, vec![1, 0])]);
        let question = QueryVector::new(&[0.0, 1.0]);
        let to_passage = dot(question.vector(), &passage);
        let cosines = sentences.cosines(&question, to_passage, 7, 2).unwrap();
        assert!(cosines[0] < cosines[1], "{cosines:?}");
        let of_other = sentences.cosines(&question, to_passage, 8, 1).unwrap();
        assert!((of_other[0] - 0.8).abs() < 0.01);
        // A third sentence of passage 7 was never stored: nothing, not a partial answer.
        assert!(sentences.cosines(&question, to_passage, 7, 3).is_none());
        assert!(sentences.cosines(&question, to_passage, 6, 1).is_none());
        assert!(sentences.cosines(&question, to_passage, 9, 1).is_none());
        let keys: Vec<u64> = sentences.iter().map(|(key, _)| key).collect();
        assert_eq!(
            keys,
            vec![sentence_key(7, 0), sentence_key(7, 1), sentence_key(8, 0)]
        );
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
    fn a_written_file_reads_back_the_same_cosines_and_damage_is_detected() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(SENTENCES_FILE);
        let question = QueryVector::new(&unit(12, 20));
        // Scale and values a sentence: f32 and 20 int8 values, or f16 and 3 bytes of signs.
        for (storage, row_bytes) in [(Storage::Int8, 4 + 20), (Storage::Compact, 2 + 3)] {
            let mut passages = PassageVectors::new(20, "m", storage, vec![0.0; 20]);
            passages.push(5, &unit(9, 20));
            passages.push(6, &unit(8, 20));
            let mut sentences = SentenceVectors::new(20, "m", storage);
            let rows = [10, 11].map(|seed| {
                SentenceRow::encode(&unit(seed, 20), &passages.dequantized(0), storage)
            });
            sentences.push_passage(5, rows.to_vec());
            sentences.push_passage(6, Vec::new());
            sentences.write(&path).unwrap();
            let read = SentenceVectors::read(&path, &passages).unwrap();
            assert_eq!(read.len(), 2);
            assert_eq!(read.model_sha256(), "m");
            assert_eq!(read.storage(), storage);
            assert!(read.cosines(&question, 0.5, 5, 2).is_some());
            assert_eq!(
                read.cosines(&question, 0.5, 5, 2),
                sentences.cosines(&question, 0.5, 5, 2)
            );
            // A header, the bits, a count a passage, then the sentences.
            let mut bytes = std::fs::read(&path).unwrap();
            assert_eq!(bytes.len(), 116 + 4 + 2 * 2 + 2 * row_bytes);
            // Against another generation's passages, the counts do not fit.
            let mut fewer = PassageVectors::new(20, "m", storage, vec![0.0; 20]);
            fewer.push(5, &unit(9, 20));
            assert!(SentenceVectors::read(&path, &fewer).is_err());
            bytes[124] ^= 1;
            std::fs::write(&path, bytes).unwrap();
            assert!(SentenceVectors::read(&path, &passages).is_err());
        }
    }

    #[test]
    fn int8_sentences_give_their_own_cosine() {
        let sentence = unit(3, 20);
        let question = QueryVector::new(&unit(4, 20));
        let row = SentenceRow::encode(&sentence, &unit(5, 20), Storage::Int8);
        // The passage's cosine plays no part: the vector is whole.
        let cosine = row.cosine(&question, 0.9);
        assert!((cosine - dot(question.vector(), &sentence)).abs() < 0.002);
    }
}
