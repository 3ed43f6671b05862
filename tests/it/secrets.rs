//! Secrets: the real `coverage-bot serve` runs against the fake Discord with a recognizable fake
//! token and `RUST_LOG=trace`, through start-up, failing callbacks, bad input and a SIGTERM
//! shutdown (which must exit 0). The token appears nowhere in its output. `.env` is git-ignored,
//! the README warns about it, and a missing token exits with code 2 pointing to `.env.example`.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::fixtures::{cli_command, TempCorpus};
use fake_discord::{FakeDiscord, DEFAULT_MEMBER_PERMISSIONS, TEST_USER_ID};
use serde_json::json;

/// A fake token shaped like a real one (id . timestamp . HMAC), easy to grep for.
const CANARY_TOKEN: &str = "MTE4MDAwMDAwMDAwMDAwMDAx.GcAnRy.T0kEn_CaNaRy_5f2c8e1d9a7b3e6f4c2a0d8b";

/// Pieces of the token long enough to be recognizable if it were logged cut or re-encoded.
fn token_pieces() -> Vec<String> {
    let mut pieces: Vec<String> = CANARY_TOKEN
        .split('.')
        .filter(|p| p.len() >= 6)
        .map(str::to_string)
        .collect();
    pieces.push(CANARY_TOKEN.to_string());
    pieces.push("T0kEn_CaNaRy".to_string());
    pieces
}

fn wait_exit(
    child: &mut std::process::Child,
    timeout: Duration,
) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    None
}

#[cfg(unix)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_appears_in_trace_logs_from_start_to_shutdown() {
    let d = FakeDiscord::start().await;
    let t = TempCorpus::new();
    let cwd = tempfile::tempdir().unwrap();
    let out_path = cwd.path().join("stdout.log");
    let err_path = cwd.path().join("stderr.log");
    let mut child = cli_command(cwd.path(), &t.corpus(), &t.data())
        .arg("serve")
        .env("DISCORD_TOKEN", CANARY_TOKEN)
        .env("DISCORD_PROXY_URL", d.proxy_url())
        .env("DISCORD_GUILD_ID", fake_discord::GUILD_ID.to_string())
        .env("RUST_LOG", "trace")
        .env("RUST_BACKTRACE", "1")
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .spawn()
        .expect("start coverage-bot serve");

    assert!(
        d.wait_ready(Duration::from_secs(60)).await,
        "the bot never connected"
    );
    assert!(d
        .wait_commands_registered(Duration::from_secs(20))
        .await
        .is_some());
    let ask = |question: &str| d.ask(question).locale("en-US").build();
    // A normal answer.
    let (id, _, payload) = ask("Pourquoi Microsoft a-t-il suspendu des services Azure ?");
    d.send_interaction(payload).await;
    assert!(d
        .wait_for_response(id, Duration::from_secs(10))
        .await
        .unwrap()
        .is_success());
    // Errors: failing callbacks and webhooks, bad input, a traversal, a dropped gateway.
    d.fail_next_callbacks(500, 1);
    let (id, _, payload) = ask("@everyone <@123> *:*");
    d.send_interaction(payload).await;
    d.wait_for_response(id, Duration::from_secs(10)).await;
    d.fail_next_callbacks(429, 1);
    let (id, _, payload) = ask("Azure");
    d.send_interaction(payload).await;
    d.wait_for_response(id, Duration::from_secs(10)).await;
    let (id, _, payload) = d.slash_command(
        "ask",
        json!([{"name": "question", "type": 4, "value": 12}]),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    d.send_interaction(payload).await;
    d.wait_for_response(id, Duration::from_millis(1500)).await;
    let (id, _, payload) = d.slash_command(
        "source",
        json!([{"name": "file", "type": 3, "value": "../.env"}]),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    d.send_interaction(payload).await;
    d.wait_for_response(id, Duration::from_secs(10)).await;
    d.fail_next_webhooks(500, 1);
    let (id, _, payload) = d.slash_command(
        "reindex",
        json!([]),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS | fake_discord::PERM_MANAGE_GUILD,
    );
    d.send_interaction(payload).await;
    d.wait_for_response(id, Duration::from_secs(10)).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    d.drop_gateway().await;
    assert!(d.wait_resume_count(1, Duration::from_secs(15)).await);
    let (id, _, payload) = ask("renseignement militaire israélien");
    d.send_interaction(payload).await;
    assert!(d
        .wait_for_response(id, Duration::from_secs(10))
        .await
        .unwrap()
        .is_success());

    // SIGTERM: a graceful shutdown, exit code 0.
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = wait_exit(&mut child, Duration::from_secs(30)).unwrap_or_else(|| {
        let _ = child.kill();
        panic!("the bot did not stop within 30 s of SIGTERM")
    });
    let output = format!(
        "{}\n{}",
        std::fs::read_to_string(&out_path).unwrap_or_default(),
        String::from_utf8_lossy(&std::fs::read(&err_path).unwrap())
    );
    assert_eq!(
        status.code(),
        Some(0),
        "exit after SIGTERM; tail:\n{}",
        tail(&output)
    );
    // The logs are real trace logs that saw the token being used.
    assert!(output.contains("TRACE"), "trace logging was on");
    assert!(output.contains("shutting down"), "{}", tail(&output));
    assert!(output.lines().count() > 100);
    // The token was really sent to Discord (the fake saw it in IDENTIFY)...
    let identify = d.last_identify().unwrap();
    assert!(
        identify["token"]
            .as_str()
            .is_some_and(|t| t.contains(CANARY_TOKEN)),
        "IDENTIFY carried the token"
    );
    // ...and never written to the output, whole or in pieces.
    for piece in token_pieces() {
        if let Some(at) = output.find(&piece) {
            let start = output[..at].rfind('\n').map(|i| i + 1).unwrap_or(0);
            let end = output[at..]
                .find('\n')
                .map(|i| at + i)
                .unwrap_or(output.len());
            panic!(
                "the token ({piece}) leaked into the output: {}",
                &output[start..end.min(start + 400)]
            );
        }
    }
    println!(
        "secrets: {} lines of trace output, token absent",
        output.lines().count()
    );
}

fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}

#[test]
fn dot_env_is_git_ignored_and_the_readme_warns_about_it() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let gitignore = std::fs::read_to_string(root.join(".gitignore")).unwrap();
    assert!(
        gitignore
            .lines()
            .any(|l| l.trim() == ".env" || l.trim() == "/.env"),
        ".env missing from .gitignore"
    );
    if root.join(".git").exists() {
        let ignored = Command::new("git")
            .current_dir(root)
            .args(["check-ignore", "-q", ".env"])
            .status();
        if let Ok(status) = ignored {
            assert!(status.success(), "git does not ignore .env");
        }
        let example = Command::new("git")
            .current_dir(root)
            .args(["check-ignore", "-q", ".env.example"])
            .status();
        if let Ok(status) = example {
            assert!(!status.success(), ".env.example must stay tracked");
        }
    }
    let example = std::fs::read_to_string(root.join(".env.example")).unwrap();
    assert!(
        example
            .lines()
            .any(|l| l.trim() == "DISCORD_TOKEN=" || l.trim() == "DISCORD_TOKEN=\"\""),
        ".env.example holds no real token"
    );
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    assert!(
        readme.contains("Never commit `.env`"),
        "the README warns about .env"
    );
}

#[test]
fn a_missing_or_empty_token_exits_with_code_2_and_points_to_env_example() {
    let cwd = tempfile::tempdir().unwrap();
    let t = TempCorpus::new();
    for token in [None, Some(""), Some("   "), Some("abc def")] {
        let mut command = cli_command(cwd.path(), &t.corpus(), &t.data());
        command.arg("serve");
        if let Some(token) = token {
            command.env("DISCORD_TOKEN", token);
        }
        let out = command.output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{token:?}: {stderr}");
        if token != Some("abc def") {
            assert!(stderr.contains(".env.example"), "{token:?}: {stderr}");
        } else {
            assert!(!stderr.contains("abc def"), "the bad token is not echoed");
        }
    }
}
