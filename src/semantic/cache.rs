//! The embedding cache of a data folder: vectors computed for a generation that is not yet
//! complete, keyed by the passage text's hash (sentences by [`super::sentences::sentence_key`]),
//! for one model and centre. Embedding appends to it chunk by chunk (each chunk flushed and
//! synced), so a build that is killed or cancelled resumes where it stopped. A rebuild also
//! reuses the vectors of the generation in use ([`EmbeddingCache::adopt`]), so it embeds only
//! new or changed passages. Once a generation holds its complete embeddings the file is deleted
//! ([`EmbeddingCache::retire`]): the generation is the only copy on disk.
//!
//! Records are stored as the generation stores them ([`super::vectors`], [`super::sentences`]):
//! a kind byte, an 8-byte key, an f32 scale, then the packed values (a passage), int8 values or
//! signs (a sentence). The header names the model, the storage and the centre: a cache made
//! with another is not used. A torn last record (a kill mid-write) is ignored.

use std::collections::{HashMap, HashSet};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use super::sentences::{SentenceRow, SentenceSigns, SentenceVectors, SENTENCES_FILE};
use super::vectors::{PassageVectors, Storage, VECTORS_FILE};
use super::{ModelError, ModelResult};

/// The cache's file name inside the data folder.
pub const CACHE_FILE: &str = "embeddings.cache";
const MAGIC: &[u8; 8] = b"CBCACHE2";
const HEADER: usize = 8 + 4 + 64 + 4 + 32;
const PASSAGE: u8 = b'P';
const SENTENCE_SIGNS: u8 = b'S';
const SENTENCE_FULL: u8 = b'F';

/// One stored passage vector: scale and values, unpacked ([`super::vectors::quantize_row`]).
pub type Stored = (f32, Vec<i8>);

/// A vector to store.
#[derive(Debug, Clone, PartialEq)]
pub enum Record {
    /// A passage's, quantized.
    Passage(u64, Stored),
    /// A sentence's.
    Sentence(u64, SentenceRow),
}

/// The cache, loaded.
pub struct EmbeddingCache {
    path: PathBuf,
    header: Vec<u8>,
    dimension: usize,
    storage: Storage,
    centre: Vec<f32>,
    passages: HashMap<u64, Stored>,
    sentences: HashMap<u64, SentenceRow>,
    /// Keys taken from a generation and not in the file.
    adopted: HashSet<u64>,
}

fn header(dimension: usize, model_sha256: &str, storage: Storage, centre: &[f32]) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(dimension as u32).to_le_bytes());
    let mut sha = [0u8; 64];
    let given = model_sha256.as_bytes();
    let n = given.len().min(64);
    sha[..n].copy_from_slice(&given[..n]);
    out.extend_from_slice(&sha);
    out.extend_from_slice(&storage.bits().to_le_bytes());
    let mut of_centre = Sha256::new();
    for value in centre {
        of_centre.update(value.to_le_bytes());
    }
    out.extend_from_slice(&of_centre.finalize());
    out
}

impl EmbeddingCache {
    /// Loads the cache of `data_dir` for this model, storage and centre; a missing, foreign or
    /// damaged file gives an empty cache (it is only a cache).
    pub fn open(
        data_dir: &Path,
        dimension: usize,
        model_sha256: &str,
        storage: Storage,
        centre: &[f32],
    ) -> EmbeddingCache {
        let mut cache = EmbeddingCache {
            path: data_dir.join(CACHE_FILE),
            header: header(dimension, model_sha256, storage, centre),
            dimension,
            storage,
            centre: centre.to_vec(),
            passages: HashMap::new(),
            sentences: HashMap::new(),
            adopted: HashSet::new(),
        };
        let mut bytes = Vec::new();
        let read = std::fs::File::open(&cache.path).and_then(|mut f| f.read_to_end(&mut bytes));
        if read.is_err() || bytes.len() < HEADER || bytes[..HEADER] != cache.header[..] {
            return cache;
        }
        let mut rest = &bytes[HEADER..];
        while let Some((record, after)) = parse(rest, dimension, storage) {
            cache.insert(record);
            rest = after;
        }
        cache
    }

    fn insert(&mut self, record: Record) {
        match record {
            Record::Passage(key, stored) => {
                self.passages.insert(key, stored);
            }
            Record::Sentence(key, signs) => {
                self.sentences.insert(key, signs);
            }
        }
    }

    /// Takes in a generation's vectors (those in use), in memory only: the generation keeps
    /// them on disk. Vectors of another model or centre are not taken.
    pub fn adopt(&mut self, vectors: &PassageVectors, sentences: Option<&SentenceVectors>) {
        let same = header(
            self.dimension,
            vectors.model_sha256(),
            vectors.storage(),
            vectors.centre(),
        );
        if same != self.header {
            return;
        }
        for row in 0..vectors.len() {
            let (scale, values) = vectors.stored(row);
            let key = vectors.key(row);
            if let std::collections::hash_map::Entry::Vacant(slot) = self.passages.entry(key) {
                slot.insert((scale, values.to_vec()));
                self.adopted.insert(key);
            }
        }
        let sentences = sentences
            .filter(|s| s.model_sha256() == vectors.model_sha256() && s.storage() == self.storage);
        for (key, row) in sentences.into_iter().flat_map(SentenceVectors::iter) {
            if let std::collections::hash_map::Entry::Vacant(slot) = self.sentences.entry(key) {
                slot.insert(row.clone());
                self.adopted.insert(key);
            }
        }
    }

    /// [`Self::adopt`]s the vectors of the generation in `dir`, if it has readable ones.
    pub fn adopt_generation(&mut self, dir: &Path) {
        let Ok(vectors) = PassageVectors::read(&dir.join(VECTORS_FILE)) else {
            return;
        };
        let sentences = SentenceVectors::read(&dir.join(SENTENCES_FILE), &vectors).ok();
        self.adopt(&vectors, sentences.as_ref());
    }

    /// Writes to the file those of `keys` that were only adopted, so that they outlive the
    /// generation they came from.
    pub fn persist_adopted(&mut self, keys: &[u64]) -> ModelResult<()> {
        let mut records = Vec::new();
        for key in keys {
            if !self.adopted.remove(key) {
                continue;
            }
            if let Some(stored) = self.passages.get(key) {
                records.push(Record::Passage(*key, stored.clone()));
            } else if let Some(row) = self.sentences.get(key) {
                records.push(Record::Sentence(*key, row.clone()));
            }
        }
        if records.is_empty() {
            return Ok(());
        }
        self.append(records)
    }

    /// How vectors are stored.
    pub fn storage(&self) -> Storage {
        self.storage
    }

    /// What passage vectors are stored relative to.
    pub fn centre(&self) -> &[f32] {
        &self.centre
    }

    /// The stored vector of a passage key.
    pub fn passage(&self, key: u64) -> Option<&Stored> {
        self.passages.get(&key)
    }

    /// The stored row of a sentence key.
    pub fn sentence(&self, key: u64) -> Option<&SentenceRow> {
        self.sentences.get(&key)
    }

    /// Number of stored vectors, passages and sentences.
    pub fn len(&self) -> usize {
        self.passages.len() + self.sentences.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Adds freshly computed vectors and makes them durable before returning.
    pub fn append(&mut self, records: Vec<Record>) -> ModelResult<()> {
        let path = self.path.clone();
        let io = |e| ModelError::io(&path, e);
        let file = if self.matches_on_disk() {
            std::fs::OpenOptions::new()
                .append(true)
                .open(&self.path)
                .map_err(io)?
        } else {
            // A missing, foreign or damaged cache is replaced, never appended to. What was
            // adopted from a generation stays there, not here.
            let mut file = std::fs::File::create(&self.path).map_err(io)?;
            file.write_all(&self.header).map_err(io)?;
            file
        };
        let mut out = BufWriter::new(file);
        for record in records {
            out.write_all(&encode(&record, self.dimension, self.storage))
                .map_err(io)?;
            self.insert(record);
        }
        let file = out.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_data().map_err(io)
    }

    fn matches_on_disk(&self) -> bool {
        let mut head = vec![0u8; HEADER];
        std::fs::File::open(&self.path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok()
            && head == self.header
    }

    /// Deletes the file once a generation holds every vector it had (the program's own file,
    /// found at the name it gave it); the vectors stay in memory.
    pub fn retire(&mut self) -> ModelResult<()> {
        match std::fs::remove_file(&self.path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                Err(ModelError::io(&self.path, e))
            }
            _ => Ok(()),
        }
    }
}

/// A record's bytes.
fn encode(record: &Record, dimension: usize, storage: Storage) -> Vec<u8> {
    let mut out = Vec::with_capacity(13 + dimension);
    match record {
        Record::Passage(key, (scale, values)) => {
            out.push(PASSAGE);
            out.extend_from_slice(&key.to_le_bytes());
            out.extend_from_slice(&scale.to_le_bytes());
            storage.pack(values, &mut out);
        }
        Record::Sentence(key, SentenceRow::Full(scale, values)) => {
            out.push(SENTENCE_FULL);
            out.extend_from_slice(&key.to_le_bytes());
            out.extend_from_slice(&scale.to_le_bytes());
            out.extend(values.iter().map(|v| *v as u8).take(dimension));
            out.resize(13 + dimension, 0);
        }
        Record::Sentence(key, SentenceRow::Signs(signs)) => {
            out.push(SENTENCE_SIGNS);
            out.extend_from_slice(&key.to_le_bytes());
            out.extend_from_slice(&signs.scale.to_le_bytes());
            let mut bits = signs.signs.clone();
            bits.resize(dimension.div_ceil(8), 0);
            out.extend_from_slice(&bits);
        }
    }
    out
}

/// The first record of `bytes` and what follows it; `None` at the end, a torn record or an
/// unknown kind.
fn parse(bytes: &[u8], dimension: usize, storage: Storage) -> Option<(Record, &[u8])> {
    let kind = *bytes.first()?;
    let payload = match kind {
        PASSAGE => storage.packed_len(dimension),
        SENTENCE_FULL => dimension,
        SENTENCE_SIGNS => dimension.div_ceil(8),
        _ => return None,
    };
    let record = bytes.get(1..13 + payload)?;
    let key = u64::from_le_bytes(record[..8].try_into().ok()?);
    let scale = f32::from_le_bytes(record[8..12].try_into().ok()?);
    let data = &record[12..];
    let parsed = match kind {
        PASSAGE => {
            let mut values = Vec::with_capacity(dimension);
            storage.unpack(data, dimension, &mut values);
            Record::Passage(key, (scale, values))
        }
        // -128 is never written (see `vectors::quantize`): the kernels rely on ±127.
        SENTENCE_FULL => Record::Sentence(
            key,
            SentenceRow::Full(scale, data.iter().map(|v| (*v as i8).max(-127)).collect()),
        ),
        _ => {
            let signs = data.to_vec();
            Record::Sentence(key, SentenceRow::Signs(SentenceSigns { scale, signs }))
        }
    };
    Some((parsed, &bytes[13 + payload..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Record {
        fn row(&self) -> Option<&SentenceRow> {
            match self {
                Record::Sentence(_, row) => Some(row),
                Record::Passage(..) => None,
            }
        }
    }

    fn passage(key: u64, first: i8) -> Record {
        Record::Passage(key, (0.5, vec![first, 0, -7, 7]))
    }

    fn sentence(key: u64) -> Record {
        Record::Sentence(
            key,
            SentenceRow::Signs(SentenceSigns {
                scale: 0.25,
                signs: vec![0b1010],
            }),
        )
    }

    #[test]
    fn appended_vectors_survive_a_reopen_and_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let centre = [0.1, 0.2, 0.3, 0.4];
        let mut cache = EmbeddingCache::open(dir.path(), 4, "model-a", Storage::Compact, &centre);
        cache.append(vec![passage(1, 3), passage(2, -2)]).unwrap();
        cache.append(vec![sentence(3)]).unwrap();
        // A kill in the middle of a record leaves a torn tail.
        let path = dir.path().join(CACHE_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&[PASSAGE, 7, 7]);
        std::fs::write(&path, bytes).unwrap();
        let reopened = EmbeddingCache::open(dir.path(), 4, "model-a", Storage::Compact, &centre);
        assert_eq!(reopened.len(), 3);
        assert_eq!(reopened.passage(2).unwrap().1, vec![-2, 0, -7, 7]);
        assert_eq!(reopened.sentence(3), sentence(3).row());
        // Another storage's cache is not used either.
        assert!(EmbeddingCache::open(dir.path(), 4, "model-a", Storage::Int8, &centre).is_empty());
        // Another model's or another centre's cache is not used.
        assert!(
            EmbeddingCache::open(dir.path(), 4, "model-b", Storage::Compact, &centre).is_empty()
        );
        assert!(
            EmbeddingCache::open(dir.path(), 4, "model-a", Storage::Compact, &[0.0; 4]).is_empty()
        );
    }

    #[test]
    fn a_generation_is_adopted_in_memory_and_retiring_deletes_only_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let centre = vec![0.0, 0.5];
        let mut vectors = PassageVectors::new(2, "m", Storage::Compact, centre.clone());
        vectors.push(1, &[0.6, 0.8]);
        let mut sentences = SentenceVectors::new(2, "m", Storage::Compact);
        let row = SentenceRow::encode(&[1.0, 0.0], &[0.6, 0.8], Storage::Compact);
        sentences.push_passage(1, vec![row]);
        let sentence = crate::semantic::sentences::sentence_key(1, 0);
        let open =
            |centre: &[f32]| EmbeddingCache::open(dir.path(), 2, "m", Storage::Compact, centre);
        let mut cache = open(&centre);
        cache.adopt(&vectors, Some(&sentences));
        assert!(cache.passage(1).is_some() && cache.sentence(sentence).is_some());
        assert!(!dir.path().join(CACHE_FILE).exists());
        cache.append(vec![passage(2, 1)]).unwrap();
        assert_eq!(open(&centre).len(), 1);
        cache.retire().unwrap();
        cache.retire().unwrap();
        assert!(!dir.path().join(CACHE_FILE).exists());
        assert_eq!(cache.len(), 3);
        // What a generation lent is written out on request, once.
        cache.persist_adopted(&[1, sentence, 1]).unwrap();
        assert_eq!(open(&centre).len(), 2);
        // Vectors kept relative to another centre are not adopted.
        let mut other = open(&[0.0, 0.0]);
        other.adopt(&vectors, Some(&sentences));
        assert!(other.is_empty());
    }

    #[test]
    fn a_cache_of_another_model_is_replaced_not_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        let centre = [0.0; 4];
        EmbeddingCache::open(dir.path(), 4, "old", Storage::Int8, &centre)
            .append(vec![passage(1, 1)])
            .unwrap();
        let mut cache = EmbeddingCache::open(dir.path(), 4, "new", Storage::Int8, &centre);
        cache.append(vec![passage(2, 1)]).unwrap();
        let reopened = EmbeddingCache::open(dir.path(), 4, "new", Storage::Int8, &centre);
        assert_eq!(reopened.len(), 1);
        assert!(reopened.passage(2).is_some());
    }
}
