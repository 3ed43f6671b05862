//! `coverage-bench serve`: the real `coverage-bot serve` process against the in-repo fake Discord
//! on 127.0.0.1. Measures the time from the INTERACTION_CREATE frame being written to the bot's
//! first callback, for `/ask` over the query mix, with 1 user and with 20 concurrent users, and
//! the serving process's RSS at rest. Reports only; asserts nothing about time.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{bail, Context};
use coverage_bot::Config;
use fake_discord::{FakeDiscord, GUILD_ID};

use crate::results::{proc_status_mb, Latency, ServeResult};
use crate::steps::MixQuery;

const USERS: usize = 20;

/// Kills the bot process when dropped, even if the benchmark fails.
struct Bot(Child);

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Sends `/ask` and returns its interaction id.
async fn ask(d: &FakeDiscord, question: &str, user: u64) -> u64 {
    let (id, _, payload) = d.ask(question).user(user).locale("fr").build();
    d.send_interaction(payload).await;
    id
}

/// Waits for the first callback of `id` and returns its latency in microseconds.
async fn answered(d: &FakeDiscord, id: u64) -> anyhow::Result<f64> {
    let Some(response) = d.wait_for_response(id, Duration::from_secs(30)).await else {
        bail!("no response to interaction {id}");
    };
    if !response.is_success() {
        bail!("callback failed for {id}");
    }
    let latency = d.response_latency(id).context("latency")?;
    Ok(latency.as_secs_f64() * 1e6)
}

/// Runs the benchmark: `bot` serves `config`'s corpus and index (built if needed) with default
/// settings, except the per-user cooldown (off, so every `/ask` runs a search).
pub async fn serve(
    config: &Config,
    bot: &Path,
    label: &str,
    mix: &[MixQuery],
    rounds: usize,
) -> anyhow::Result<ServeResult> {
    let mix: Vec<&str> = mix.iter().map(|q| q.query.as_str()).collect();
    let scratch = tempfile::tempdir().context("tempdir")?;
    let settings = scratch.path().join("bench.toml");
    std::fs::write(
        &settings,
        format!(
            "[corpus]\ndir = {:?}\n[index]\ndir = {:?}\n[discord]\nask_cooldown_seconds = 0\n[semantic]\nmode = {:?}\nmodel = {:?}\n",
            config.corpus.dir.display().to_string(),
            config.index.dir.display().to_string(),
            format!("{:?}", config.semantic.mode).to_lowercase(),
            config.semantic.model.display().to_string()
        ),
    )
    .context("config")?;

    let discord = FakeDiscord::start().await;
    let log_path = scratch.path().join("bot.log");
    let log = std::fs::File::create(&log_path).context("log")?;
    let child = Command::new(bot)
        .arg("--config")
        .arg(&settings)
        .arg("serve")
        .env("DISCORD_TOKEN", "fake-token-for-benchmarks")
        .env("DISCORD_GUILD_ID", GUILD_ID.to_string())
        .env("DISCORD_PROXY_URL", discord.proxy_url())
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(log)
        .spawn()
        .with_context(|| format!("starting {} serve", bot.display()))?;
    let bot = Bot(child);
    let pid = bot.0.id();
    let bot_log = || std::fs::read_to_string(&log_path).unwrap_or_default();
    if !discord.wait_ready(Duration::from_secs(600)).await {
        bail!("the bot never identified; its log:\n{}", bot_log());
    }
    if discord
        .wait_commands_registered(Duration::from_secs(60))
        .await
        .is_none()
    {
        bail!(
            "the bot never registered its commands; its log:\n{}",
            bot_log()
        );
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let rss_start = proc_status_mb(Some(pid), "VmRSS").unwrap_or(0.0);

    // Warm-up: one pass, one user.
    for q in &mix {
        let id = ask(&discord, q, 1_180_000_000_000_002_000).await;
        answered(&discord, id).await?;
    }

    // One user: one interaction at a time.
    let mut one = Vec::new();
    for _ in 0..rounds {
        for q in &mix {
            let id = ask(&discord, q, 1_180_000_000_000_002_001).await;
            one.push(answered(&discord, id).await?);
        }
    }

    // USERS users at once: each wave sends USERS interactions back to back (different users and
    // questions), then waits for all of them.
    let mut many = Vec::new();
    let mut n = 0usize;
    for _ in 0..rounds * mix.len() / USERS {
        let mut ids = Vec::new();
        for u in 0..USERS {
            let q = mix[n % mix.len()];
            n += 1;
            ids.push(ask(&discord, q, 1_180_000_000_000_003_000 + u as u64).await);
        }
        for id in ids {
            many.push(answered(&discord, id).await?);
        }
    }

    tokio::time::sleep(Duration::from_secs(2)).await;
    let result = ServeResult {
        label: label.to_string(),
        one_user: Latency::of(&one),
        twenty_users: Latency::of(&many),
        users: USERS,
        rss_start_mb: rss_start,
        rss_rest_mb: proc_status_mb(Some(pid), "VmRSS").unwrap_or(0.0),
        rss_file_mb: proc_status_mb(Some(pid), "RssFile").unwrap_or(0.0),
        rss_anon_mb: proc_status_mb(Some(pid), "RssAnon").unwrap_or(0.0),
    };
    drop(bot);
    Ok(result)
}
