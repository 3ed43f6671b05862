//! Gateway and REST faults through the fake Discord: a connection dropped mid-session, op 7
//! RECONNECT, op 9 INVALID_SESSION (resumable and not). Each time the bot reconnects or resumes
//! and answers the next command. Interaction callbacks answered with 500 or 429: the bot logs
//! it, does not crash, and keeps serving.

use std::time::Duration;

use crate::support::harness::{assert_all_messages_ok, text_of, Harness};
use fake_discord::{FakeDiscord, DEFAULT_MEMBER_PERMISSIONS, TEST_USER_ID};
use serde_json::json;

const SEED_QUESTION: &str = "Pourquoi Microsoft a-t-il suspendu des services Azure ?";

/// Sends `/ask` and returns (interaction id, token).
async fn send_ask(d: &FakeDiscord) -> (u64, String) {
    let (id, token, payload) = d.ask(SEED_QUESTION).locale("fr").build();
    d.send_interaction(payload).await;
    (id, token)
}

/// Waits until the bot has stopped sending messages for `token`: no new one for half a second
/// (at most 5 s).
async fn settle(d: &FakeDiscord, token: &str) {
    let started = std::time::Instant::now();
    let mut last = d.messages_for(token).len();
    let mut quiet = 0;
    while quiet < 5 && started.elapsed() < Duration::from_secs(5) {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let now = d.messages_for(token).len();
        quiet = if now == last { quiet + 1 } else { 0 };
        last = now;
    }
}

/// The bot answers `/ask` with a quote.
async fn assert_answers(h: &Harness, when: &str) {
    let (id, _) = send_ask(&h.discord).await;
    let response = h
        .discord
        .wait_for_response(id, Duration::from_secs(15))
        .await
        .unwrap_or_else(|| panic!("{when}: no answer"));
    assert!(response.is_success(), "{when}: {}", response.status);
    let text = text_of(response.message_body().expect("a message"));
    assert!(text.contains('¶'), "{when}: {text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_resumes_or_reconnects_after_every_gateway_fault() {
    let h = Harness::start().await;
    let d = &h.discord;
    assert_answers(&h, "before any fault").await;
    let mut faults = 0;

    // 1. The TCP connection drops mid-session (twice): RESUME.
    for n in 1..=2 {
        d.drop_gateway().await;
        faults += 1;
        assert!(
            d.wait_resume_count(n, Duration::from_secs(15)).await,
            "no RESUME after drop {n}"
        );
        assert_answers(&h, "after a dropped connection").await;
    }

    // 2. Discord asks for a reconnect (op 7): RESUME on a new connection.
    let resumes = d.resume_count();
    d.send_reconnect().await;
    faults += 1;
    assert!(
        d.wait_resume_count(resumes + 1, Duration::from_secs(15))
            .await,
        "no RESUME after op 7"
    );
    assert_answers(&h, "after RECONNECT").await;

    // 3. INVALID_SESSION, resumable: RESUME.
    let resumes = d.resume_count();
    d.send_invalid_session(true).await;
    faults += 1;
    assert!(
        d.wait_resume_count(resumes + 1, Duration::from_secs(15))
            .await,
        "no RESUME after resumable op 9"
    );
    assert_answers(&h, "after a resumable INVALID_SESSION").await;

    // 4. INVALID_SESSION, not resumable: a new IDENTIFY (serenity waits ~5 s).
    let identifies = d.identify_count();
    d.send_invalid_session(false).await;
    faults += 1;
    assert!(
        d.wait_identify_count(identifies + 1, Duration::from_secs(30))
            .await,
        "no new IDENTIFY after op 9 false"
    );
    assert_answers(&h, "after a non-resumable INVALID_SESSION").await;

    // 5. An interaction sent while the connection is down is delivered on RESUME and answered.
    d.drop_gateway().await;
    faults += 1;
    assert_answers(&h, "sent during a drop").await;

    println!(
        "gateway faults injected: {faults}; connections {}, identifies {}, resumes {}",
        d.connection_count(),
        d.identify_count(),
        d.resume_count()
    );
    assert_all_messages_ok(d);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_interaction_callbacks_are_logged_and_the_bot_keeps_serving() {
    let logs = crate::support::logs::capture("warn,coverage_bot=info");
    let h = Harness::start().await;
    let d = &h.discord;
    let mut faults = 0;
    for (status, count) in [(500u16, 1usize), (429, 1), (500, 2), (429, 2), (502, 1)] {
        d.fail_next_callbacks(status, count);
        faults += count;
        let (id, token) = send_ask(d).await;
        let first = d
            .wait_for_response(id, Duration::from_secs(10))
            .await
            .expect("the bot tried to answer");
        assert_eq!(first.status, status, "the fault was injected");
        // Whatever the bot does about it (an error notice, a retry), it stays up: the next
        // command is answered. Its reaction to this fault must be over before the next fault
        // is injected, or a late error notice would take the next fault (on a loaded machine
        // the notice can come after any fixed pause).
        settle(d, &token).await;
        assert!(
            d.messages_for(&token).len() <= 1 + count,
            "no retry storm after {status}"
        );
        assert_answers(&h, &format!("after a {status} x{count} callback")).await;
    }
    // A failing followup (webhook) on a deferred reply does not stop it either.
    d.fail_next_webhooks(500, 1);
    faults += 1;
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
    assert_answers(&h, "after a failed followup").await;

    let text = logs.text();
    assert!(
        text.contains("command failed")
            && text.contains("500")
            && (text.contains("429") || text.contains("rate limited")),
        "the failures are logged:\n{text}"
    );
    println!("REST faults injected: {faults}; the bot answered after each");
    assert_all_messages_ok(d);
    h.stop().await;
}
