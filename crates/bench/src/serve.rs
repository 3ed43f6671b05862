//! Serve benchmark (ignored by default; `bench/run.sh` runs it): the real `coverage-bot serve`
//! process against the in-repo fake Discord on 127.0.0.1. Measures the time from the
//! INTERACTION_CREATE frame being written to the bot's first callback, for `/ask` over the query
//! mix, with 1 user and with 20 concurrent users, and the serving process's RSS at rest.
//! Reports only; asserts nothing about time.
//!
//! Environment: `BENCH_CORPUS` (default: the repo corpus), `BENCH_DATA` (an index folder, built
//! if needed; default: a temporary one), `BENCH_LABEL` (default `seed`), `BENCH_OUT` (JSON file;
//! default: stdout only), `BENCH_QUERIES` (default `bench/queries.jsonl`), `BENCH_ROUNDS`
//! (passes over the mix; default 5).
//!
//! `cargo test --release --test bench_serve -- --ignored --nocapture`

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use coverage_bot::bench::{proc_status_mb, Latency, ServeResult};
use fake_discord::{FakeDiscord, DEFAULT_MEMBER_PERMISSIONS, GUILD_ID};
use serde_json::{json, Value};

const USERS: usize = 20;

fn env_path(key: &str) -> Option<PathBuf> {
    std::env::var_os(key).map(PathBuf::from)
}

fn queries(path: &Path) -> Vec<String> {
    std::fs::read_to_string(path)
        .expect("query mix")
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("query line");
            v["query"].as_str().expect("query").to_string()
        })
        .collect()
}

/// Kills the bot process when dropped, even if the benchmark panics.
struct Bot(Child);

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn ask(d: &FakeDiscord, question: &str, user: u64) -> (u64, Value) {
    let (id, _, payload) = d.slash_command(
        "ask",
        json!([{"name": "question", "type": 3, "value": question}]),
        user,
        "fr",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    (id, payload)
}

async fn answered(d: &FakeDiscord, id: u64) -> f64 {
    let response = d
        .wait_for_response(id, Duration::from_secs(30))
        .await
        .unwrap_or_else(|| panic!("no response to interaction {id}"));
    assert!(response.is_success(), "callback failed for {id}");
    d.response_latency(id).expect("latency").as_secs_f64() * 1e6
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: run by bench/run.sh"]
async fn serve_latency_and_rss() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let corpus = env_path("BENCH_CORPUS").unwrap_or_else(|| root.join("corpus"));
    let scratch = tempfile::tempdir().expect("tempdir");
    let data = env_path("BENCH_DATA").unwrap_or_else(|| scratch.path().join("index"));
    let label = std::env::var("BENCH_LABEL").unwrap_or_else(|_| "seed".into());
    let mix =
        queries(&env_path("BENCH_QUERIES").unwrap_or_else(|| root.join("bench/queries.jsonl")));
    let rounds: usize = std::env::var("BENCH_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(5);

    // Default settings, except the per-user cooldown (off, so every /ask runs a search).
    let config = scratch.path().join("bench.toml");
    std::fs::write(
        &config,
        format!(
            "[corpus]\ndir = {:?}\n[index]\ndir = {:?}\n[discord]\nask_cooldown_seconds = 0\n",
            corpus.display().to_string(),
            data.display().to_string()
        ),
    )
    .expect("config");

    let discord = FakeDiscord::start().await;
    let log = std::fs::File::create(scratch.path().join("bot.log")).expect("log");
    let child = Command::new(env!("CARGO_BIN_EXE_coverage-bot"))
        .arg("--config")
        .arg(&config)
        .arg("serve")
        .env("DISCORD_TOKEN", "fake-token-for-benchmarks")
        .env("DISCORD_GUILD_ID", GUILD_ID.to_string())
        .env("DISCORD_PROXY_URL", discord.proxy_url())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .expect("start coverage-bot serve");
    let bot = Bot(child);
    let pid = bot.0.id();
    assert!(
        discord.wait_ready(Duration::from_secs(600)).await,
        "bot never identified; see its log"
    );
    assert!(
        discord
            .wait_commands_registered(Duration::from_secs(60))
            .await
            .is_some(),
        "bot never registered its commands"
    );
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_start = proc_status_mb(Some(pid), "VmRSS").unwrap_or(0.0);

    // Warm-up: one pass, one user.
    for q in &mix {
        let (id, payload) = ask(&discord, q, 1_180_000_000_000_002_000);
        discord.send_interaction(payload).await;
        answered(&discord, id).await;
    }

    // One user: one interaction at a time.
    let mut one = Vec::new();
    for _ in 0..rounds {
        for q in &mix {
            let (id, payload) = ask(&discord, q, 1_180_000_000_000_002_001);
            discord.send_interaction(payload).await;
            one.push(answered(&discord, id).await);
        }
    }

    // USERS users at once: each wave sends USERS interactions back to back (different users and
    // questions), then waits for all of them.
    let mut many = Vec::new();
    let mut n = 0usize;
    for _ in 0..rounds * mix.len() / USERS {
        let mut ids = Vec::new();
        for u in 0..USERS {
            let q = &mix[n % mix.len()];
            n += 1;
            let (id, payload) = ask(&discord, q, 1_180_000_000_000_003_000 + u as u64);
            discord.send_interaction(payload).await;
            ids.push(id);
        }
        for id in ids {
            many.push(answered(&discord, id).await);
        }
    }

    tokio::time::sleep(Duration::from_secs(2)).await;
    let result = ServeResult {
        label,
        one_user: Latency::of(&one),
        twenty_users: Latency::of(&many),
        users: USERS,
        rss_start_mb: rss_start,
        rss_rest_mb: proc_status_mb(Some(pid), "VmRSS").unwrap_or(0.0),
        rss_file_mb: proc_status_mb(Some(pid), "RssFile").unwrap_or(0.0),
        rss_anon_mb: proc_status_mb(Some(pid), "RssAnon").unwrap_or(0.0),
    };
    drop(bot);
    let text = serde_json::to_string_pretty(&result).expect("json");
    println!("{text}");
    if let Some(out) = env_path("BENCH_OUT") {
        std::fs::write(out, format!("{text}\n")).expect("write BENCH_OUT");
    }
}
