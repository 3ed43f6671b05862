//! Operating the bot: a rejected token, cooldowns, the channel allow-list and the corpus watch.

use fake_discord::protocol::callback;
use std::sync::Arc;
use std::time::Duration;

use crate::support::fixtures::copy_repo_corpus;
use crate::support::harness::{
    assert_all_messages_ok, is_ephemeral, test_config, text_of, Harness,
};
use fake_discord::{FakeDiscord, CHANNEL_ID, GUILD_ID, TEST_USER_ID};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rejected_token_is_reported_clearly() {
    let discord = FakeDiscord::start().await;
    discord.set_reject_auth(true);
    let data = tempfile::tempdir().unwrap();
    let config = test_config(&crate::support::harness::repo_corpus(), data.path());
    let library = Arc::new(coverage_bot::Library::open(config).unwrap().0);
    let settings = coverage_bot::bot::BotSettings {
        token: "rejected-token-canary".into(),
        guild_id: Some(GUILD_ID),
        proxy_url: Some(discord.proxy_url()),
    };
    let outcome = tokio::time::timeout(
        Duration::from_secs(20),
        coverage_bot::bot::run(settings, library, std::future::pending()),
    )
    .await
    .expect("the bot gives up instead of hanging");
    // Nothing but the token check reached Discord.
    assert_eq!(discord.requests().len(), 1);
    let error = outcome.expect_err("a rejected token is an error");
    let message = format!("{error:#}");
    assert!(message.contains("rejected the token"), "{message}");
    assert!(!message.contains("rejected-token-canary"));
    assert!(error
        .downcast_ref::<coverage_bot::bot::StartError>()
        .is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_ask_cooldown_refuses_politely() {
    let h = Harness::start_with(|c| c.discord.ask_cooldown_seconds = 60).await;
    let d = &h.discord;
    let (id, _, payload) = h.discord.ask("Westminster").locale("fr").build();
    let first = h.interact(payload, id).await;
    assert!(text_of(first.message_body().unwrap()).contains('¶'));
    let (id, _, payload) = h.discord.ask("Azure").locale("fr").build();
    let second = h.interact(payload, id).await;
    let body = second.message_body().unwrap();
    assert!(is_ephemeral(body));
    assert!(
        text_of(body).contains("réessayez dans"),
        "{}",
        text_of(body)
    );
    // Another user is not affected.
    let (id, _, payload) = d
        .ask("Azure")
        .user(TEST_USER_ID + 1)
        .locale("en-US")
        .build();
    assert!(text_of(h.interact(payload, id).await.message_body().unwrap()).contains('¶'));
    assert_all_messages_ok(d);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn channels_outside_the_allow_list_are_refused() {
    let h = Harness::start_with(|c| c.discord.allowed_channels = vec![CHANNEL_ID + 1]).await;
    let d = &h.discord;
    let (id, _, payload) = h.discord.ask("Westminster").locale("en-US").build();
    let response = h.interact(payload, id).await;
    let body = response.message_body().unwrap();
    assert!(is_ephemeral(body));
    assert!(
        text_of(body).contains("does not answer in this channel"),
        "{}",
        text_of(body)
    );
    assert_all_messages_ok(d);
    h.stop().await;
}

/// An expected refusal is a value, not an error: even with `RUST_BACKTRACE=1` it is answered at
/// once and logged as one line, with no captured backtrace.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_channel_is_logged_in_one_line_even_with_backtraces_on() {
    // Set before anything in this binary captures a backtrace: std caches the setting.
    std::env::set_var("RUST_BACKTRACE", "1");
    let logs = crate::support::logs::capture(crate::support::logs::CAPTURE_FILTER);
    let h = Harness::start_with(|c| c.discord.allowed_channels = vec![CHANNEL_ID + 1]).await;
    let (id, _, payload) = h.discord.ask("Westminster").locale("fr").build();
    let before = logs.text().len();
    let started = std::time::Instant::now();
    let response = h.interact(payload, id).await;
    let elapsed = started.elapsed();
    let body = response.message_body().unwrap();
    assert!(is_ephemeral(body));
    assert!(
        text_of(body).contains("ne répond pas dans ce salon"),
        "{}",
        text_of(body)
    );
    // Give the log line time to land (it may follow the reply).
    tokio::time::sleep(Duration::from_millis(200)).await;
    let text = logs.text();
    let logged = &text[before..];
    let lines: Vec<&str> = logged.lines().collect();
    eprintln!("refusal: {} log line(s) in {elapsed:?}", lines.len());
    // The log is shared with the tests running beside this one: look at this refusal's event.
    let refusals: Vec<usize> = (0..lines.len())
        .filter(|&i| lines[i].contains("use refused") && lines[i].contains("refusal=channel"))
        .collect();
    assert_eq!(refusals.len(), 1, "{logged}");
    // It is one line: the next line, if any, is another event (it starts with a timestamp),
    // not a backtrace.
    if let Some(next) = lines.get(refusals[0] + 1) {
        assert!(
            next.starts_with(|c: char| c.is_ascii_digit()),
            "a multi-line log entry:\n{logged}"
        );
    }
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn adding_an_article_to_the_watched_corpus_reindexes_it() {
    let corpus = tempfile::tempdir().unwrap();
    copy_repo_corpus(corpus.path());
    let corpus_dir = corpus.path().to_path_buf();
    let h = Harness::start_with(move |c| {
        c.corpus.dir = corpus_dir;
        c.discord.watch_corpus = true;
        c.discord.reindex_debounce_ms = 200;
    })
    .await;
    std::fs::write(
        corpus.path().join("010_orques.txt"),
        "Les orques de Gibraltar\nLes orques du détroit de Gibraltar continuent de heurter les voiliers, selon les biologistes marins.\n",
    )
    .unwrap();
    let mut found = false;
    for _ in 0..100 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if h.library.status().articles == 6 {
            found = true;
            break;
        }
    }
    assert!(found, "the new article was not indexed");
    let (id, _, payload) = h
        .discord
        .ask("Que font les orques à Gibraltar ?")
        .locale("fr")
        .build();
    let text = text_of(h.interact(payload, id).await.message_body().unwrap());
    assert!(text.contains("010_orques.txt"), "{text}");
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buttons_expire_cleanly() {
    let h = Harness::start_with(|c| c.discord.button_timeout_seconds = 1).await;
    let d = &h.discord;
    let (id, token, payload) = h
        .discord
        .ask("Pourquoi Microsoft a-t-il suspendu des services Azure ?")
        .locale("en-US")
        .build();
    let body = h.reply_body(payload, id).await;
    let post = crate::support::harness::button_ids(&body)
        .into_iter()
        .find(|(id, _)| id.starts_with("cb:pub:"))
        .unwrap()
        .0;
    tokio::time::sleep(Duration::from_millis(1200)).await;
    let (click_id, _, click) = d.component(
        &post,
        d.original_message(&token).unwrap(),
        TEST_USER_ID,
        "en-US",
    );
    let response = h.interact(click, click_id).await;
    assert_eq!(response.callback_type(), Some(callback::UPDATE_MESSAGE));
    let updated = response.message_body().unwrap();
    assert!(text_of(updated).contains("expired"), "{}", text_of(updated));
    assert!(crate::support::harness::button_ids(updated).is_empty());
    // Nothing was posted publicly.
    assert!(!d
        .requests()
        .iter()
        .any(|r| r.is_webhook() && r.method == "POST"));
    assert_all_messages_ok(d);
    h.stop().await;
}
