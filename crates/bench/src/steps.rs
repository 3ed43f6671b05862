//! The measuring steps: index build, query mix (and the Python peer on the same queries), and the
//! cold start of `coverage-bot ask`. Each runs in its own process, so peak RSS (VmHWM) belongs to
//! one step.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use coverage_bot::render::{self, AnswerControls, Locale};
use coverage_bot::{Config, Library, OpenOutcome};
use serde::{Deserialize, Serialize};

use crate::results::{proc_status_mb, BuildResult, ColdResult, Latency, PeerResult, QueryResult};

/// A query of the mix.
#[derive(Debug, Clone, Deserialize)]
pub struct MixQuery {
    /// Query kind (a column of the report).
    pub kind: String,
    /// The question.
    pub query: String,
}

pub fn write_json(out: &Path, value: &impl Serialize) -> anyhow::Result<String> {
    let text = serde_json::to_string_pretty(value)?;
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(out, format!("{text}\n"))
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(format!("{text}\n"))
}

fn dir_size(dir: &Path) -> u64 {
    let Ok(read) = std::fs::read_dir(dir) else {
        return 0;
    };
    read.flatten()
        .map(|item| match item.metadata() {
            Ok(m) if m.is_dir() => dir_size(&item.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

/// Bytes of the indexed article files: the sum of their sizes.
fn text_bytes(library: &Library) -> u64 {
    library.sources().iter().map(|article| article.bytes).sum()
}

pub fn build(config: &Config, label: &str) -> anyhow::Result<BuildResult> {
    if coverage_bot::generation::current(&config.index.dir).is_some() {
        bail!(
            "{} already holds an index; the build benchmark needs a fresh --data folder",
            config.index.dir.display()
        );
    }
    let started = Instant::now();
    let (library, outcome) = Library::open(config.clone())?;
    let seconds = started.elapsed().as_secs_f64();
    if outcome == OpenOutcome::Opened {
        bail!("the index was opened, not built");
    }
    let text_bytes = text_bytes(&library);
    let status = library.status();
    Ok(BuildResult {
        label: label.to_string(),
        articles: status.articles,
        passages: status.passages,
        text_bytes,
        seconds,
        mb_per_s: text_bytes as f64 / 1e6 / seconds,
        peak_rss_mb: proc_status_mb(None, "VmHWM").unwrap_or(0.0),
        index_mb: dir_size(&library.snapshot().dir) as f64 / 1e6,
    })
}

pub fn read_mix(path: &Path) -> anyhow::Result<Vec<MixQuery>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut mix = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let query: MixQuery = serde_json::from_str(line)
            .with_context(|| format!("{}, line {}", path.display(), i + 1))?;
        mix.push(query);
    }
    if mix.is_empty() {
        bail!("{} holds no query", path.display());
    }
    Ok(mix)
}

/// One query as the bot answers it: search, quotes, and the Discord message.
fn answer_once(library: &Library, question: &str, k: usize) -> anyhow::Result<(bool, usize)> {
    let result = library.search(question, k)?;
    let controls = AnswerControls {
        post_publicly: Some("cb:pub:1234567890123456789".into()),
        more_results: Some("cb:more:1234567890123456789".into()),
        ..AnswerControls::default()
    };
    let message = if result.is_abstained() {
        render::abstention_message(&result, Locale::Fr)
    } else {
        render::answer_message(question, result.hits(), 1, Locale::Fr, None, &controls)
    };
    let size = message
        .embeds
        .iter()
        .map(|e| e.description.as_ref().map(String::len).unwrap_or(0))
        .sum::<usize>()
        + message.content.len();
    Ok((result.is_abstained(), black_box(size)))
}

pub fn query(
    config: &Config,
    label: &str,
    mix: &[MixQuery],
    rounds: usize,
) -> anyhow::Result<QueryResult> {
    let (library, outcome) = Library::open(config.clone())?;
    if outcome != OpenOutcome::Opened {
        eprintln!("note: the index was built first ({outcome:?})");
    }
    let k = config.search.default_results;
    let mut abstained = 0usize;
    for q in mix {
        abstained += usize::from(answer_once(&library, &q.query, k)?.0);
    }
    let mut all = Vec::new();
    let mut by_kind: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    for _ in 0..rounds.max(1) {
        for q in mix {
            let started = Instant::now();
            answer_once(&library, &q.query, k)?;
            let us = started.elapsed().as_secs_f64() * 1e6;
            all.push(us);
            by_kind.entry(q.kind.clone()).or_default().push(us);
        }
    }
    let snapshot = library.snapshot();
    let embedding_bytes_per_passage = snapshot.vectors.is_some().then(|| {
        let size = |path: &Path| std::fs::metadata(path).map_or(0, |m| m.len());
        let files = [
            snapshot
                .dir
                .join(coverage_bot::semantic::vectors::VECTORS_FILE),
            snapshot
                .dir
                .join(coverage_bot::semantic::sentences::SENTENCES_FILE),
            config
                .index
                .dir
                .join(coverage_bot::semantic::cache::CACHE_FILE),
        ];
        let total: u64 = files.iter().map(|f| size(f)).sum();
        total as f64 / snapshot.catalog.passages.max(1) as f64
    });
    Ok(QueryResult {
        label: label.to_string(),
        embedding_bytes_per_passage,
        passages: library.status().passages,
        all: Latency::of(&all),
        by_kind: by_kind
            .into_iter()
            .map(|(kind, samples)| (kind, Latency::of(&samples)))
            .collect(),
        abstained: abstained as f64 / mix.len() as f64,
        rss_mb: proc_status_mb(None, "VmRSS").unwrap_or(0.0),
        peer: None,
        hybrid_peer: None,
    })
}

pub fn peer(
    config: &Config,
    python: &Path,
    script: &Path,
    queries: &Path,
    rounds: usize,
    hybrid: Option<&str>,
) -> anyhow::Result<PeerResult> {
    let output = Command::new(python)
        .arg(script)
        .arg("--hybrid")
        .arg(hybrid.unwrap_or("off"))
        .arg("--corpus")
        .arg(&config.corpus.dir)
        .arg("--queries")
        .arg(queries)
        .arg("--rounds")
        .arg(rounds.to_string())
        .arg("--k")
        .arg(config.search.default_results.to_string())
        .stderr(Stdio::inherit())
        .output()
        .with_context(|| format!("running the peer with {}", python.display()))?;
    if !output.status.success() {
        bail!("the peer failed ({})", output.status);
    }
    serde_json::from_slice(&output.stdout).context("reading the peer's JSON")
}

pub fn cold(
    config: &Config,
    bot: &Path,
    label: &str,
    runs: usize,
    question: &str,
) -> anyhow::Result<ColdResult> {
    // The index must exist already: open it once here (building it if needed), then time whole
    // processes.
    drop(Library::open(config.clone())?);
    // The same semantic mode as the benchmark's config.
    let scratch = tempfile::tempdir()?;
    let settings = scratch.path().join("cold.toml");
    std::fs::write(
        &settings,
        format!(
            "[semantic]\nmode = {:?}\nmodel = {:?}\n",
            format!("{:?}", config.semantic.mode).to_lowercase(),
            config.semantic.model.display().to_string()
        ),
    )?;
    let once = || -> anyhow::Result<Duration> {
        let started = Instant::now();
        let status = Command::new(bot)
            .arg("--config")
            .arg(&settings)
            .arg("--corpus")
            .arg(&config.corpus.dir)
            .arg("--data")
            .arg(&config.index.dir)
            .arg("ask")
            .arg(question)
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .status()?;
        let elapsed = started.elapsed();
        // 0: answered, 1: abstained. Anything else is a failure.
        if !matches!(status.code(), Some(0) | Some(1)) {
            bail!("`coverage-bot ask` failed ({status})");
        }
        Ok(elapsed)
    };
    once()?;
    let mut times = Vec::new();
    for _ in 0..runs.max(1) {
        times.push(once()?.as_secs_f64() * 1e3);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    Ok(ColdResult {
        label: label.to_string(),
        runs: times.len(),
        median_ms: times[times.len() / 2],
        min_ms: times[0],
        max_ms: times[times.len() - 1],
    })
}
