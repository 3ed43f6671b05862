//! Load through the fake Discord: 500 interactions over about 10 s, all answered within
//! Discord's 3-second deadline, none dropped; median and p99 dispatch→first-response latency and
//! the process's peak RSS are printed. Under load the bot keeps its per-user cooldown.
//!
//! The long soak (`soak_*`, ignored by default) runs for minutes with gateway faults and
//! reindexes mixed in:
//! `SOAK_INTERACTIONS=20000 cargo test --release --test it -- --ignored soak --nocapture`.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::support::fixtures::proc_status_kb;
use crate::support::harness::{assert_all_messages_ok, text_of, Harness};
use fake_discord::{FakeDiscord, DEFAULT_MEMBER_PERMISSIONS, PERM_MANAGE_GUILD};
use serde_json::{json, Value};

const QUESTIONS: &[&str] = &[
    "Pourquoi Microsoft a-t-il suspendu des services Azure ?",
    "Microsoft a-t-il transmis des e-mails aux autorités britanniques ?",
    "surveillance des Palestiniens",
    "renseignement militaire israélien",
    "Qui a gagné la Coupe du monde 2022 ?",
    "@everyone <@123> ```Azure```",
    "attaque de Westminster",
];

/// The `n`-th interaction of a mixed workload, from one of 50 users.
fn workload(d: &FakeDiscord, n: usize) -> (u64, String, Value) {
    let user = 1_180_000_000_000_001_000 + (n % 50) as u64;
    let locale = if n.is_multiple_of(2) { "fr" } else { "en-US" };
    match n % 10 {
        0..=5 => d.ask(QUESTIONS[n % QUESTIONS.len()]).user(user).locale(locale).build(),
        6 => d.message_context(
            "Find sources",
            "Microsoft aurait transmis des e-mails aux autorités britanniques",
            user,
            locale,
            DEFAULT_MEMBER_PERMISSIONS,
        ),
        7 => d.slash_command(
            "source",
            json!([{"name": "file", "type": 3, "value": "004_86712a85089916e0.txt"}, {"name": "paragraph", "type": 4, "value": 1 + n % 5}]),
            user,
            locale,
            DEFAULT_MEMBER_PERMISSIONS,
        ),
        8 => d.autocomplete(
            "source",
            json!([{"name": "file", "type": 3, "value": "isra", "focused": true}]),
            user,
            locale,
        ),
        _ => d.slash_command(
            if n % 20 == 9 { "status" } else { "sources" },
            json!([]),
            user,
            locale,
            DEFAULT_MEMBER_PERMISSIONS,
        ),
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Sends `count` interactions at a steady pace over `over`, then waits for every first response.
/// Returns the sorted latencies.
async fn drive(h: &Harness, count: usize, over: Duration) -> Vec<Duration> {
    let d = &h.discord;
    let mut ids = Vec::with_capacity(count);
    let mut ticker = tokio::time::interval(over / count as u32);
    let started = Instant::now();
    for n in 0..count {
        ticker.tick().await;
        let (id, _, payload) = workload(d, n);
        d.send_interaction(payload).await;
        ids.push(id);
    }
    let sending = started.elapsed();
    let ids_set: std::collections::HashSet<u64> = ids.iter().copied().collect();
    let answered = d
        .wait_for_requests(
            count,
            |r| r.interaction_id().is_some_and(|id| ids_set.contains(&id)),
            Duration::from_secs(60),
        )
        .await;
    let mut first: HashMap<u64, u16> = HashMap::new();
    for r in answered.unwrap_or_default() {
        first.entry(r.interaction_id().unwrap()).or_insert(r.status);
    }
    let missing: Vec<_> = ids.iter().filter(|id| !first.contains_key(id)).collect();
    assert!(missing.is_empty(), "{} of {count} dropped", missing.len());
    let failed = first.values().filter(|s| !(200..300).contains(*s)).count();
    assert_eq!(failed, 0, "{failed} of {count} first responses failed");
    let mut latencies: Vec<Duration> = ids
        .iter()
        .map(|id| d.response_latency(*id).expect("latency"))
        .collect();
    latencies.sort();
    println!(
        "{count} interactions sent over {sending:?}: {} answered",
        first.len()
    );
    latencies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn five_hundred_interactions_in_ten_seconds_are_all_answered() {
    let h = Harness::start().await;
    let d = &h.discord;
    // Discord refuses callbacks later than 3 s; so does the fake now.
    d.set_callback_deadline(Some(Duration::from_secs(3)));
    let latencies = drive(&h, 500, Duration::from_secs(10)).await;
    let p50 = percentile(&latencies, 0.50);
    let p99 = percentile(&latencies, 0.99);
    let max = *latencies.last().unwrap();
    let peak_mb = proc_status_kb("VmHWM:").unwrap_or(0) / 1024;
    println!(
        "load: 500/500 answered; dispatch -> first response p50 {p50:?}, p99 {p99:?}, max {max:?}; \
         peak RSS (VmHWM, test process incl. fake Discord) {peak_mb} MB"
    );
    assert!(
        p99 < Duration::from_secs(3),
        "p99 {p99:?} over Discord's deadline"
    );
    assert!(assert_all_messages_ok(d) >= 450);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cooldown_holds_under_load() {
    const COOLDOWN: Duration = Duration::from_secs(2);
    let h = Harness::start_with(|c| c.discord.ask_cooldown_seconds = COOLDOWN.as_secs()).await;
    let d = &h.discord;
    let users: Vec<u64> = (0..5).map(|i| 1_180_000_000_000_002_000 + i).collect();
    // (user, command, interaction); the cooldown is per user and per command.
    let mut sent: Vec<(u64, &str, u64)> = Vec::new();
    let mut ticker = tokio::time::interval(Duration::from_millis(20));
    let started = Instant::now();
    // Each user asks every 100 ms for 5 s: 50 asks each, 250 in all.
    for round in 0..50 {
        for (i, user) in users.iter().enumerate() {
            ticker.tick().await;
            let find = (round + i) % 4 == 0;
            let (id, _, payload) = if find {
                d.message_context(
                    "Find sources",
                    "Microsoft et Azure",
                    *user,
                    "en-US",
                    DEFAULT_MEMBER_PERMISSIONS,
                )
            } else {
                d.ask(QUESTIONS[round % 3])
                    .user(*user)
                    .locale("en-US")
                    .build()
            };
            d.send_interaction(payload).await;
            sent.push((*user, if find { "find" } else { "ask" }, id));
        }
    }
    let elapsed = started.elapsed();
    let mut answered_at: HashMap<(u64, &str), Vec<Instant>> = HashMap::new();
    let mut refusals = 0;
    for (user, command, id) in &sent {
        let r = d
            .wait_for_response(*id, Duration::from_secs(15))
            .await
            .expect("every ask gets a response, answer or refusal");
        assert!(r.is_success());
        let text = text_of(r.message_body().unwrap());
        if text.contains("Slow down") {
            refusals += 1;
        } else {
            answered_at.entry((*user, *command)).or_default().push(r.at);
        }
    }
    let windows = elapsed.as_secs_f64() / COOLDOWN.as_secs_f64();
    let per_window = windows.ceil() as usize + 1;
    for user in &users {
        for command in ["ask", "find"] {
            let mut times = answered_at.remove(&(*user, command)).unwrap_or_default();
            times.sort();
            assert!(!times.is_empty(), "user {user} got no {command} answer");
            assert!(
                times.len() <= per_window,
                "user {user}: {} {command} answers in {elapsed:?}",
                times.len()
            );
            for pair in times.windows(2) {
                let gap = pair[1] - pair[0];
                assert!(
                    gap + Duration::from_millis(300) >= COOLDOWN,
                    "user {user}: two {command} answers {gap:?} apart with a {COOLDOWN:?} cooldown"
                );
            }
        }
    }
    println!(
        "cooldown under load: {} asks from {} users in {elapsed:?}, {refusals} refused by the cooldown",
        sent.len(),
        users.len()
    );
    assert!(refusals >= sent.len() - users.len() * 2 * per_window);
    // Other commands are not rate-limited by the ask cooldown.
    let (id, _, payload) = d.slash_command(
        "status",
        json!([]),
        users[0],
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    assert!(text_of(h.interact(payload, id).await.message_body().unwrap()).contains("Articles"));
    assert_all_messages_ok(d);
    h.stop().await;
}

/// Long soak: many interactions with gateway drops and reindexes along the way; every
/// interaction is answered and memory stays flat after warm-up.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long soak; run with --ignored soak"]
async fn soak_long_run_with_faults() {
    let total: usize = std::env::var("SOAK_INTERACTIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_000);
    let h = Harness::start().await;
    let d = &h.discord;
    d.set_callback_deadline(Some(Duration::from_secs(3)));
    let batch = 1000usize;
    let mut all = Vec::new();
    let mut rss_after_warmup = None;
    for (i, start) in (0..total).step_by(batch).enumerate() {
        let count = batch.min(total - start);
        if i % 3 == 1 {
            d.drop_gateway().await;
        }
        if i % 5 == 2 {
            let (id, _, payload) = d.slash_command(
                "reindex",
                json!([]),
                1_180_000_000_000_003_000,
                "en-US",
                DEFAULT_MEMBER_PERMISSIONS | PERM_MANAGE_GUILD,
            );
            d.send_interaction(payload).await;
            d.wait_for_response(id, Duration::from_secs(10)).await;
        }
        let latencies = drive(&h, count, Duration::from_millis(20 * count as u64)).await;
        all.extend(latencies);
        let rss = proc_status_kb("VmRSS:").unwrap_or(0);
        println!("soak batch {i}: {} done, RSS {} MB", all.len(), rss / 1024);
        if i == 1 {
            rss_after_warmup = Some(rss);
        }
        d.set_strict_validation(true);
    }
    all.sort();
    println!(
        "soak: {}/{total} answered, p50 {:?}, p99 {:?}, peak RSS {} MB",
        all.len(),
        percentile(&all, 0.5),
        percentile(&all, 0.99),
        proc_status_kb("VmHWM:").unwrap_or(0) / 1024
    );
    assert_eq!(all.len(), total);
    if let (Some(warm), Some(now)) = (rss_after_warmup, proc_status_kb("VmRSS:")) {
        // The fake Discord keeps every request, so allow for that; the bot itself must not grow.
        assert!(now < warm * 3, "RSS grew from {warm} kB to {now} kB");
    }
    h.stop().await;
}
