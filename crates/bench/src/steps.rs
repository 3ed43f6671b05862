//! Benchmarks: `coverage-bot bench <step>`. Each step measures one thing and writes its figures as
//! JSON; `bench report` turns a folder of them into `BENCHMARKS.md`. `bench/run.sh` runs every
//! step at every corpus size, plus the Python peer and the serve benchmark, and writes the report.
//!
//! Steps run in their own process, so peak RSS (VmHWM) belongs to one step. This module is a
//! reporting edge: it uses `anyhow`.

use std::collections::BTreeMap;
use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{bail, Context};
use serde::{Deserialize, Serialize};

use crate::render::{self, AnswerControls, Locale};
use crate::{Config, Library, OpenOutcome};

/// Options of `coverage-bot bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {
    #[command(subcommand)]
    step: Step,
}

#[derive(Debug, Clone, clap::Subcommand)]
enum Step {
    /// Build the index of `--corpus` into a fresh `--data` folder: wall time, MB/s, peak RSS,
    /// index size.
    Build {
        /// Corpus label in the report (seed, 10k, 100k).
        #[arg(long)]
        label: String,
        /// JSON output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Query mix on an already built index: search + quote extraction + Discord render, and the
    /// same queries against the Python peer in the same run.
    Query {
        /// Corpus label in the report.
        #[arg(long)]
        label: String,
        /// Query mix: JSONL lines {"kind", "query"}.
        #[arg(long, default_value = "bench/queries.jsonl")]
        queries: PathBuf,
        /// Timed passes over the mix (after one warm-up pass).
        #[arg(long, default_value_t = 20)]
        rounds: usize,
        /// Python interpreter of the peer's venv; no peer when absent.
        #[arg(long)]
        peer_python: Option<PathBuf>,
        /// The peer's script.
        #[arg(long, default_value = "bench/peer.py")]
        peer_script: PathBuf,
        /// JSON output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Cold start: `coverage-bot ask` as a whole process on the already built index.
    Cold {
        /// Corpus label in the report.
        #[arg(long)]
        label: String,
        /// Timed runs (after one warm-up run).
        #[arg(long, default_value_t = 11)]
        runs: usize,
        /// The question.
        #[arg(
            long,
            default_value = "Pourquoi Microsoft a-t-il suspendu des services Azure ?"
        )]
        question: String,
        /// JSON output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the Markdown report from a folder of step results.
    Report {
        /// Folder holding the JSON results.
        #[arg(long)]
        results: PathBuf,
        /// Report file.
        #[arg(long, default_value = "BENCHMARKS.md")]
        out: PathBuf,
        /// Hand-written analysis (profiles, causes of misses) appended to the report, if present.
        #[arg(long, default_value = "bench/analysis.md")]
        analysis: PathBuf,
    },
}

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
    /// Bytes of article text.
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

/// Figures of the serve benchmark (written by `tests/bench_serve.rs`).
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

/// A query of the mix.
#[derive(Debug, Clone, Deserialize)]
struct MixQuery {
    kind: String,
    query: String,
}

/// Runs a step and returns what to print.
pub fn run(config: &Config, args: &BenchArgs) -> anyhow::Result<String> {
    match &args.step {
        Step::Build { label, out } => {
            let result = build(config, label)?;
            write_json(out, &result)
        }
        Step::Query {
            label,
            queries,
            rounds,
            peer_python,
            peer_script,
            out,
        } => {
            let mix = read_mix(queries)?;
            let mut result = query(config, label, &mix, *rounds)?;
            if let Some(python) = peer_python {
                result.peer = Some(peer(config, python, peer_script, queries, *rounds)?);
            }
            write_json(out, &result)
        }
        Step::Cold {
            label,
            runs,
            question,
            out,
        } => {
            let result = cold(config, label, *runs, question)?;
            write_json(out, &result)
        }
        Step::Report {
            results,
            out,
            analysis,
        } => {
            let mut report = report(results)?;
            if let Ok(notes) = std::fs::read_to_string(analysis) {
                report.push('\n');
                report.push_str(&notes);
            }
            std::fs::write(out, &report).with_context(|| format!("writing {}", out.display()))?;
            Ok(report)
        }
    }
}

fn write_json(out: &Path, value: &impl Serialize) -> anyhow::Result<String> {
    let text = serde_json::to_string_pretty(value)?;
    if let Some(parent) = out.parent() {
        std::fs::create_dir_all(parent)?;
    }
    std::fs::write(out, format!("{text}\n"))
        .with_context(|| format!("writing {}", out.display()))?;
    Ok(format!("{text}\n"))
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

fn build(config: &Config, label: &str) -> anyhow::Result<BuildResult> {
    if crate::generation::current(&config.index.dir).is_some() {
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
    let snapshot = library.snapshot();
    let text_bytes = snapshot.catalog.text_bytes;
    Ok(BuildResult {
        label: label.to_string(),
        articles: snapshot.catalog.articles.len(),
        passages: snapshot.catalog.passages,
        text_bytes,
        seconds,
        mb_per_s: text_bytes as f64 / 1e6 / seconds,
        peak_rss_mb: proc_status_mb(None, "VmHWM").unwrap_or(0.0),
        index_mb: dir_size(&snapshot.dir) as f64 / 1e6,
    })
}

fn read_mix(path: &Path) -> anyhow::Result<Vec<MixQuery>> {
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
    let message = if result.abstained {
        render::abstention_message(&result, Locale::Fr)
    } else {
        render::answer_message(question, &result.hits, 1, Locale::Fr, None, &controls)
    };
    let size = message
        .embeds
        .iter()
        .map(|e| e.description.as_ref().map(String::len).unwrap_or(0))
        .sum::<usize>()
        + message.content.len();
    Ok((result.abstained, black_box(size)))
}

fn query(
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
    Ok(QueryResult {
        label: label.to_string(),
        passages: library.status().passages,
        all: Latency::of(&all),
        by_kind: by_kind
            .into_iter()
            .map(|(kind, samples)| (kind, Latency::of(&samples)))
            .collect(),
        abstained: abstained as f64 / mix.len() as f64,
        rss_mb: proc_status_mb(None, "VmRSS").unwrap_or(0.0),
        peer: None,
    })
}

fn peer(
    config: &Config,
    python: &Path,
    script: &Path,
    queries: &Path,
    rounds: usize,
) -> anyhow::Result<PeerResult> {
    let output = Command::new(python)
        .arg(script)
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

fn cold(config: &Config, label: &str, runs: usize, question: &str) -> anyhow::Result<ColdResult> {
    let exe = std::env::current_exe()?;
    // The index must exist already: open it once here (building it if needed), then time whole
    // processes.
    drop(Library::open(config.clone())?);
    let once = || -> anyhow::Result<Duration> {
        let started = Instant::now();
        let status = Command::new(&exe)
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

fn read_result<T: for<'de> Deserialize<'de>>(dir: &Path, name: &str) -> Option<T> {
    let text = std::fs::read_to_string(dir.join(name)).ok()?;
    serde_json::from_str(&text).ok()
}

fn ms(us: f64) -> String {
    if us >= 100_000.0 {
        format!("{:.0} ms", us / 1e3)
    } else {
        format!("{:.2} ms", us / 1e3)
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "met"
    } else {
        "**missed**"
    }
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("model name"))
                .and_then(|l| l.split(':').nth(1))
                .map(|s| s.trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(0);
    let ram = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("MemTotal"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map(|kb| format!("{:.1} GiB", kb / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".into());
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_default();
    format!("{cores} cores (nproc), {cpu}, {ram} RAM, Linux {kernel}")
}

fn today() -> String {
    Command::new("date")
        .arg("-u")
        .arg("+%Y-%m-%d %H:%M UTC")
        .output()
        .ok()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
        .unwrap_or_default()
}

const LABELS: [&str; 3] = ["seed", "10k", "100k"];

/// The Markdown report.
pub fn report(dir: &Path) -> anyhow::Result<String> {
    use std::fmt::Write;
    let mut out = String::new();
    let builds: Vec<BuildResult> = LABELS
        .iter()
        .filter_map(|l| read_result(dir, &format!("build-{l}.json")))
        .collect();
    let queries: Vec<QueryResult> = LABELS
        .iter()
        .filter_map(|l| read_result(dir, &format!("query-{l}.json")))
        .collect();
    let colds: Vec<ColdResult> = LABELS
        .iter()
        .filter_map(|l| read_result(dir, &format!("cold-{l}.json")))
        .collect();
    let serves: Vec<ServeResult> = LABELS
        .iter()
        .filter_map(|l| read_result(dir, &format!("serve-{l}.json")))
        .collect();
    if builds.is_empty() && queries.is_empty() {
        bail!("no results in {}", dir.display());
    }
    writeln!(out, "# Benchmarks\n")?;
    writeln!(
        out,
        "Produced by `bench/run.sh` on {}.  \nMachine: {}.\n",
        today(),
        machine()
    )?;
    writeln!(
        out,
        "Corpora: `seed` is `corpus/` (5 articles); `10k` and `100k` are written by \
         `coverage-bot gen-corpus --seed 42` from it. Release build. Times are wall-clock.\n"
    )?;

    writeln!(out, "## Targets\n")?;
    writeln!(out, "| Target | Figure | Verdict |")?;
    writeln!(out, "|---|---|---|")?;
    let q100 = queries.iter().find(|q| q.label == "100k");
    let b100 = builds.iter().find(|b| b.label == "100k");
    let s100 = serves.iter().find(|s| s.label == "100k");
    let qseed = queries.iter().find(|q| q.label == "seed");
    if let Some(q) = q100 {
        writeln!(
            out,
            "| 100k: query p99 ≤ 10 ms | {} | {} |",
            ms(q.all.p99_us),
            verdict(q.all.p99_us <= 10_000.0)
        )?;
    }
    if let Some(b) = b100 {
        writeln!(
            out,
            "| 100k: build ≥ 5 MB/s of text | {:.1} MB/s | {} |",
            b.mb_per_s,
            verdict(b.mb_per_s >= 5.0)
        )?;
    }
    if let Some(s) = s100 {
        writeln!(
            out,
            "| 100k: serving RSS ≤ 512 MB | {:.0} MB at rest | {} |",
            s.rss_rest_mb,
            verdict(s.rss_rest_mb <= 512.0)
        )?;
    }
    if let Some(peer) = qseed.and_then(|q| q.peer.as_ref().map(|p| (q, p))) {
        let (q, p) = peer;
        let ratio = q.all.p50_us / p.all.p50_us;
        writeln!(
            out,
            "| seed: query p50 ≤ 0.5× the peer's | {} vs {} = {:.2}× | {} |",
            ms(q.all.p50_us),
            ms(p.all.p50_us),
            ratio,
            verdict(ratio <= 0.5)
        )?;
    }
    for c in &colds {
        writeln!(
            out,
            "| {}: cold `ask` ≤ 150 ms | {:.0} ms median | {} |",
            c.label,
            c.median_ms,
            verdict(c.median_ms <= 150.0)
        )?;
    }
    for s in &serves {
        writeln!(
            out,
            "| {}: interaction → first response p99 ≤ 50 ms, {} users | {} | {} |",
            s.label,
            s.users,
            ms(s.twenty_users.p99_us),
            verdict(s.twenty_users.p99_us <= 50_000.0)
        )?;
    }

    if !builds.is_empty() {
        writeln!(out, "\n## Index build\n")?;
        writeln!(
            out,
            "Fresh data folder; `Library::open` end to end (listing, reading, cleaning, \
             indexing on up to 4 threads, commit, merges, opening). Peak RSS is the process's VmHWM.\n"
        )?;
        writeln!(
            out,
            "| Corpus | Articles | Passages | Text | Wall time | Throughput | Peak RSS | Index on disk |"
        )?;
        writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|")?;
        for b in &builds {
            writeln!(
                out,
                "| {} | {} | {} | {:.1} MB | {:.2} s | {:.1} MB/s | {:.0} MB | {:.1} MB |",
                b.label,
                b.articles,
                b.passages,
                b.text_bytes as f64 / 1e6,
                b.seconds,
                b.mb_per_s,
                b.peak_rss_mb,
                b.index_mb
            )?;
        }
    }

    if !queries.is_empty() {
        writeln!(
            out,
            "\n## Queries: search + quote extraction + Discord render\n"
        )?;
        let mix = queries
            .first()
            .map(|q| {
                q.by_kind
                    .iter()
                    .map(|(k, l)| format!("{k} ×{}", l.n))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_default();
        writeln!(
            out,
            "In process, one thread, top 3 hits, after one warm-up pass; samples per kind: {mix}. \
             The peer (bm25s + PyStemmer French, one passage per paragraph, whole paragraph as the \
             quote) is timed in the same run on the same queries, counting only its in-process \
             query time.\n"
        )?;
        writeln!(
            out,
            "| Corpus | Passages | p50 | p99 | max | abstained | Peer p50 | Peer p99 | Peer max | p50 ratio (ours/peer) |"
        )?;
        writeln!(out, "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")?;
        for q in &queries {
            let (pp50, pp99, pmax, ratio) = match &q.peer {
                Some(p) => (
                    ms(p.all.p50_us),
                    ms(p.all.p99_us),
                    ms(p.all.max_us),
                    format!("{:.2}×", q.all.p50_us / p.all.p50_us),
                ),
                None => ("–".into(), "–".into(), "–".into(), "–".into()),
            };
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {:.0}% | {} | {} | {} | {} |",
                q.label,
                q.passages,
                ms(q.all.p50_us),
                ms(q.all.p99_us),
                ms(q.all.max_us),
                q.abstained * 100.0,
                pp50,
                pp99,
                pmax,
                ratio
            )?;
        }
        writeln!(out, "\nBy query kind (ours p50 / p99; peer p50):\n")?;
        let kinds: Vec<String> = queries[0].by_kind.keys().cloned().collect();
        write!(out, "| Corpus |")?;
        for k in &kinds {
            write!(out, " {k} |")?;
        }
        writeln!(out)?;
        write!(out, "|---|")?;
        for _ in &kinds {
            write!(out, "---:|")?;
        }
        writeln!(out)?;
        for q in &queries {
            write!(out, "| {} |", q.label)?;
            for k in &kinds {
                let ours = q.by_kind.get(k).cloned().unwrap_or_default();
                let theirs = q
                    .peer
                    .as_ref()
                    .and_then(|p| p.by_kind.get(k))
                    .map(|l| ms(l.p50_us))
                    .unwrap_or_else(|| "–".into());
                write!(
                    out,
                    " {} / {}; {} |",
                    ms(ours.p50_us),
                    ms(ours.p99_us),
                    theirs
                )?;
            }
            writeln!(out)?;
        }
        let peers: Vec<(&str, &PeerResult)> = queries
            .iter()
            .filter_map(|q| q.peer.as_ref().map(|p| (q.label.as_str(), p)))
            .collect();
        if !peers.is_empty() {
            writeln!(out, "\nPeer: {}.", peers[0].1.name)?;
            for (label, p) in peers {
                writeln!(
                    out,
                    "- {label}: {} paragraphs, indexed in {:.2} s.",
                    p.passages, p.index_seconds
                )?;
            }
        }
    }

    if !colds.is_empty() {
        writeln!(out, "\n## Cold start of `coverage-bot ask`\n")?;
        writeln!(
            out,
            "Whole process (`coverage-bot --corpus … --data … ask \"…\"`) on an already built \
             index, warm page cache, one warm-up run then the median.\n"
        )?;
        writeln!(out, "| Corpus | Runs | Median | Min | Max |")?;
        writeln!(out, "|---|---:|---:|---:|---:|")?;
        for c in &colds {
            writeln!(
                out,
                "| {} | {} | {:.1} ms | {:.1} ms | {:.1} ms |",
                c.label, c.runs, c.median_ms, c.min_ms, c.max_ms
            )?;
        }
    }

    if !serves.is_empty() {
        writeln!(out, "\n## Serve: interaction → first response\n")?;
        writeln!(
            out,
            "The real `coverage-bot serve` process against the in-repo fake Discord on 127.0.0.1 \
             (`tests/bench_serve.rs`): time from the INTERACTION_CREATE frame being written to the \
             bot's first callback arriving, for `/ask` over the query mix (cooldown off). RSS is \
             the serving process's VmRSS at rest (file-backed = mapped index pages).\n"
        )?;
        writeln!(
            out,
            "| Corpus | 1 user p50 | 1 user p99 | 1 user max | N users | p50 | p99 | max | RSS after start | RSS at rest after load | of which file / anon |"
        )?;
        writeln!(
            out,
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
        )?;
        for s in &serves {
            writeln!(
                out,
                "| {} | {} | {} | {} | {} | {} | {} | {} | {:.0} MB | {:.0} MB | {:.0} / {:.0} MB |",
                s.label,
                ms(s.one_user.p50_us),
                ms(s.one_user.p99_us),
                ms(s.one_user.max_us),
                s.users,
                ms(s.twenty_users.p50_us),
                ms(s.twenty_users.p99_us),
                ms(s.twenty_users.max_us),
                s.rss_start_mb,
                s.rss_rest_mb,
                s.rss_file_mb,
                s.rss_anon_mb
            )?;
        }
    }
    Ok(out)
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
