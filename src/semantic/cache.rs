//! The embedding cache of a data folder: every passage vector computed so far, keyed by the
//! passage text's hash, for one model. Embedding appends to it chunk by chunk (each chunk
//! flushed and synced), so a build that is killed or cancelled resumes where it stopped, and a
//! rebuild embeds only new or changed passages. When a generation's embeddings are complete the
//! cache is rewritten to hold exactly them (so it never grows without bound).
//!
//! Layout: a header (magic, dimension, the model's SHA-256), then records of an 8-byte key, an
//! f32 scale and `dimension` int8 values. A torn last record (a kill mid-write) is ignored.

use std::collections::HashMap;
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use super::vectors::quantize;
use super::{ModelError, ModelResult};

/// The cache's file name inside the data folder.
pub const CACHE_FILE: &str = "embeddings.cache";
const MAGIC: &[u8; 8] = b"CBCACHE1";
const HEADER: usize = 8 + 4 + 64;

/// One stored vector: scale and int8 values.
pub type Stored = (f32, Vec<i8>);

/// The cache, loaded.
pub struct EmbeddingCache {
    path: PathBuf,
    dimension: usize,
    model_sha256: String,
    rows: HashMap<u64, Stored>,
}

fn header(dimension: usize, model_sha256: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(HEADER);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&(dimension as u32).to_le_bytes());
    let mut sha = [0u8; 64];
    let given = model_sha256.as_bytes();
    let n = given.len().min(64);
    sha[..n].copy_from_slice(&given[..n]);
    out.extend_from_slice(&sha);
    out
}

impl EmbeddingCache {
    /// Loads the cache of `data_dir` for this model; a missing, foreign or damaged file gives
    /// an empty cache (it is only a cache).
    pub fn open(data_dir: &Path, dimension: usize, model_sha256: &str) -> EmbeddingCache {
        let path = data_dir.join(CACHE_FILE);
        let mut cache = EmbeddingCache {
            path,
            dimension,
            model_sha256: model_sha256.to_string(),
            rows: HashMap::new(),
        };
        let mut bytes = Vec::new();
        let read = std::fs::File::open(&cache.path).and_then(|mut f| f.read_to_end(&mut bytes));
        if read.is_err()
            || bytes.len() < HEADER
            || bytes[..HEADER] != header(dimension, model_sha256)[..]
        {
            return cache;
        }
        let record = 12 + dimension;
        for chunk in bytes[HEADER..].chunks_exact(record) {
            let key = u64::from_le_bytes(chunk[..8].try_into().unwrap_or([0; 8]));
            let scale = f32::from_le_bytes(chunk[8..12].try_into().unwrap_or([0; 4]));
            // As in the generation's vectors: never -128 (see `vectors::quantize`).
            let values = chunk[12..].iter().map(|v| (*v as i8).max(-127)).collect();
            cache.rows.insert(key, (scale, values));
        }
        cache
    }

    /// The stored vector of a passage key.
    pub fn get(&self, key: u64) -> Option<&Stored> {
        self.rows.get(&key)
    }

    /// Number of stored vectors.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Adds freshly computed vectors and makes them durable before returning.
    pub fn append(&mut self, vectors: &[(u64, Vec<f32>)]) -> ModelResult<()> {
        let io = |e| ModelError::io(&self.path, e);
        let fresh = std::fs::metadata(&self.path).map_or(true, |m| m.len() < HEADER as u64);
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        if fresh || !self.matches_on_disk() {
            // A foreign or damaged cache is replaced, never appended to.
            file = std::fs::File::create(&self.path).map_err(io)?;
            file.write_all(&header(self.dimension, &self.model_sha256))
                .map_err(io)?;
            for (key, (scale, values)) in &self.rows {
                file.write_all(&record(*key, *scale, values)).map_err(io)?;
            }
        }
        let mut out = BufWriter::new(file);
        for (key, vector) in vectors {
            let (scale, values) = quantize(vector);
            out.write_all(&record(*key, scale, &values)).map_err(io)?;
            self.rows.insert(*key, (scale, values));
        }
        let file = out.into_inner().map_err(|e| io(e.into_error()))?;
        file.sync_data().map_err(io)
    }

    fn matches_on_disk(&self) -> bool {
        let mut head = vec![0u8; HEADER];
        std::fs::File::open(&self.path)
            .and_then(|mut f| f.read_exact(&mut head))
            .is_ok()
            && head == header(self.dimension, &self.model_sha256)
    }

    /// Rewrites the cache to hold only `keys` (those of the generation just completed), through
    /// a temporary file and a rename.
    pub fn compact(&mut self, keys: &[u64]) -> ModelResult<()> {
        let temp = self.path.with_extension("cache.partial");
        let io = |e| ModelError::io(&temp, e);
        let mut out = BufWriter::new(std::fs::File::create(&temp).map_err(io)?);
        out.write_all(&header(self.dimension, &self.model_sha256))
            .map_err(io)?;
        let mut kept = HashMap::with_capacity(keys.len());
        for key in keys {
            if let Some((scale, values)) = self.rows.remove(key) {
                out.write_all(&record(*key, scale, &values)).map_err(io)?;
                kept.insert(*key, (scale, values));
            }
        }
        out.into_inner()
            .map_err(|e| io(e.into_error()))?
            .sync_all()
            .map_err(io)?;
        std::fs::rename(&temp, &self.path).map_err(|e| ModelError::io(&self.path, e))?;
        self.rows = kept;
        Ok(())
    }
}

fn record(key: u64, scale: f32, values: &[i8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(12 + values.len());
    out.extend_from_slice(&key.to_le_bytes());
    out.extend_from_slice(&scale.to_le_bytes());
    out.extend(values.iter().map(|v| *v as u8));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appended_vectors_survive_a_reopen_and_a_torn_tail() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = EmbeddingCache::open(dir.path(), 4, "model-a");
        cache
            .append(&[(1, vec![0.5, 0.5, 0.5, 0.5]), (2, vec![1.0, 0.0, 0.0, 0.0])])
            .unwrap();
        cache.append(&[(3, vec![0.0, 1.0, 0.0, 0.0])]).unwrap();
        // A kill in the middle of a record leaves a torn tail.
        let path = dir.path().join(CACHE_FILE);
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend_from_slice(&[7, 7, 7]);
        std::fs::write(&path, bytes).unwrap();
        let reopened = EmbeddingCache::open(dir.path(), 4, "model-a");
        assert_eq!(reopened.len(), 3);
        assert_eq!(reopened.get(2).unwrap().1, vec![127, 0, 0, 0]);
        // Another model's cache is not used.
        assert!(EmbeddingCache::open(dir.path(), 4, "model-b").is_empty());
    }

    #[test]
    fn compaction_keeps_only_the_given_keys() {
        let dir = tempfile::tempdir().unwrap();
        let mut cache = EmbeddingCache::open(dir.path(), 2, "m");
        cache
            .append(&[(1, vec![1.0, 0.0]), (2, vec![0.0, 1.0])])
            .unwrap();
        cache.compact(&[2]).unwrap();
        let reopened = EmbeddingCache::open(dir.path(), 2, "m");
        assert_eq!(reopened.len(), 1);
        assert!(reopened.get(2).is_some() && reopened.get(1).is_none());
    }

    #[test]
    fn a_cache_of_another_model_is_replaced_not_appended_to() {
        let dir = tempfile::tempdir().unwrap();
        EmbeddingCache::open(dir.path(), 2, "old")
            .append(&[(1, vec![1.0, 0.0])])
            .unwrap();
        let mut cache = EmbeddingCache::open(dir.path(), 2, "new");
        cache.append(&[(2, vec![0.0, 1.0])]).unwrap();
        let reopened = EmbeddingCache::open(dir.path(), 2, "new");
        assert_eq!(reopened.len(), 1);
        assert!(reopened.get(2).is_some());
    }
}
