//! Synthetic corpora for benchmarks (to be written).

use std::path::Path;

/// Writes `articles` synthetic articles built from the corpus in `seed_dir` into `out`.
pub fn generate_corpus(
    _seed_dir: &Path,
    _articles: usize,
    _out: &Path,
    _seed: u64,
) -> anyhow::Result<usize> {
    anyhow::bail!("not implemented yet")
}
