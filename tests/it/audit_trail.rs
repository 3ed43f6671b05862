//! The audit trail: public answers and `/reindex` go to the audit channel and to `audit.jsonl`;
//! `coverage-bot audit` prints them.

use std::time::Duration;

use coverage_bot::audit::AuditAction;
use fake_discord::{RecordedRequest, DEFAULT_MEMBER_PERMISSIONS, PERM_MANAGE_GUILD, TEST_USER_ID};
use serde_json::json;

use crate::support::fixtures::run_cli;
use crate::support::harness::{assert_all_messages_ok, button_ids, text_of, Harness};

/// A channel of its own, so audit lines are told apart from answers.
const AUDIT_CHANNEL: u64 = 1_180_000_000_000_000_077;
const QUESTION: &str = "Pourquoi Microsoft a-t-il suspendu des services Azure ?";

fn is_audit_line(request: &RecordedRequest) -> bool {
    request.method == "POST"
        && request.path == format!("/api/v10/channels/{AUDIT_CHANNEL}/messages")
}

async fn audit_lines(h: &Harness, n: usize) -> Vec<String> {
    h.discord
        .wait_for_requests(n, is_audit_line, Duration::from_secs(20))
        .await
        .unwrap_or_else(|| panic!("{n} audit lines were not posted"))
        .iter()
        .map(|r| r.body["content"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_answers_and_reindexes_are_posted_and_appended_to_the_trail() {
    let h =
        Harness::start_with(|config| config.discord.audit_channel_id = Some(AUDIT_CHANNEL)).await;
    let d = &h.discord;

    // 1. `public:true`: the answer goes to the channel, and the audit line cites what it shows.
    let (id, _, payload) = d
        .ask(QUESTION)
        .results(2)
        .public(true)
        .locale("en-US")
        .build();
    let public = h.reply_body(payload, id).await;
    let lines = audit_lines(&h, 1).await;
    assert!(lines[0].contains("published"), "{}", lines[0]);
    assert!(lines[0].contains("Microsoft"), "{}", lines[0]);
    assert!(
        lines[0].contains("https://discord.com/channels/"),
        "{}",
        lines[0]
    );
    let public_text = text_of(&public);
    for cited in lines[0].split(" ¶").skip(1) {
        // Each citation's paragraph number appears in the public answer as `¶N`.
        let number: String = cited.chars().take_while(char::is_ascii_digit).collect();
        assert!(public_text.contains(&format!("¶{number}")), "{public_text}");
    }

    // 2. A preview made public with "Post publicly".
    let (id, token, payload) = d.ask(QUESTION).results(1).locale("fr").build();
    let preview = h.reply_body(payload, id).await;
    let post = button_ids(&preview)
        .into_iter()
        .find(|(id, _)| id.starts_with("cb:pub:"))
        .expect("Post publicly")
        .0;
    let original = d.original_message(&token).unwrap();
    let (click_id, _, click) = d.component(&post, original, TEST_USER_ID, "fr");
    h.interact(click, click_id).await;
    let lines = audit_lines(&h, 2).await;
    assert!(lines[1].contains("published"), "{}", lines[1]);

    // 3. `/reindex`, refused and then done: both recorded with their outcome.
    for permissions in [
        DEFAULT_MEMBER_PERMISSIONS & !PERM_MANAGE_GUILD,
        DEFAULT_MEMBER_PERMISSIONS | PERM_MANAGE_GUILD,
    ] {
        let (id, _, payload) =
            d.slash_command("reindex", json!([]), TEST_USER_ID, "en-US", permissions);
        h.interact(payload, id).await;
    }
    let lines = audit_lines(&h, 4).await;
    assert!(
        lines[2].contains("rebuilt the index") && lines[2].contains("refused"),
        "{}",
        lines[2]
    );
    assert!(
        lines[3].contains("rebuilt the index") && lines[3].contains("ok: 5 articles"),
        "{}",
        lines[3]
    );
    // Audit lines ping no one and respect every limit.
    assert_all_messages_ok(d);

    // The same four events, in order, in audit.jsonl.
    let (events, unreadable) = h.library.audit_log().read(None).unwrap();
    assert_eq!(unreadable, 0);
    assert_eq!(events.len(), 4, "{events:?}");
    match &events[0].action {
        AuditAction::Published {
            question,
            citations,
            link,
        } => {
            assert_eq!(question, QUESTION);
            assert_eq!(citations.len(), 2, "the two results shown");
            assert!(citations
                .iter()
                .all(|c| c.file.ends_with(".txt") && !c.hash.is_empty()));
            assert!(link.as_deref().is_some_and(|l| l.contains("/channels/")));
        }
        other => panic!("expected a published answer, got {other:?}"),
    }
    assert!(
        matches!(&events[1].action, AuditAction::Published { citations, .. } if citations.len() == 1)
    );
    assert!(matches!(events[2].action, AuditAction::Reindex));
    assert!(events[2].outcome.starts_with("refused"));
    assert!(events[3].outcome.starts_with("ok"));
    assert!(events.iter().all(|e| e.user.id == TEST_USER_ID.to_string()));

    // `coverage-bot audit` prints the trail of the data folder.
    let data = h.library.config().index.dir.clone();
    let corpus = h.library.config().corpus.dir.clone();
    let cwd = tempfile::tempdir().unwrap();
    let json = run_cli(cwd.path(), &corpus, &data, &["audit", "--json"]);
    assert!(json.status.success(), "{json:?}");
    let stdout = String::from_utf8_lossy(&json.stdout);
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    let first: serde_json::Value = serde_json::from_str(stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["action"], "published");
    let lines = run_cli(
        cwd.path(),
        &corpus,
        &data,
        &["audit", "--since", "2000-01-01"],
    );
    assert_eq!(String::from_utf8_lossy(&lines.stdout).lines().count(), 4);
    let future = run_cli(
        cwd.path(),
        &corpus,
        &data,
        &["audit", "--since", "2999-01-01"],
    );
    assert!(future.status.success() && future.stdout.is_empty());
    let bad = run_cli(
        cwd.path(),
        &corpus,
        &data,
        &["audit", "--since", "yesterday"],
    );
    assert_eq!(bad.status.code(), Some(2));
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_audit_channel_events_still_reach_the_trail_and_nothing_is_posted() {
    let h = Harness::start().await;
    let d = &h.discord;
    let (id, _, payload) = d.ask(QUESTION).public(true).locale("en-US").build();
    h.reply_body(payload, id).await;
    // The event is written just after the answer is sent.
    let started = std::time::Instant::now();
    let mut events = Vec::new();
    while events.is_empty() && started.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(50)).await;
        events = h.library.audit_log().read(None).unwrap().0;
    }
    assert_eq!(events.len(), 1);
    let posted_to_channels = d
        .requests()
        .iter()
        .filter(|r| {
            r.method == "POST" && r.path.contains("/channels/") && r.path.ends_with("/messages")
        })
        .count();
    assert_eq!(posted_to_channels, 0);
    h.stop().await;
}
