//! End-to-end tests: the real bot, connected to the in-process fake Discord on 127.0.0.1,
//! driven through interactions. Assertions are on the recorded HTTP bodies.

use fake_discord::protocol::callback;
use std::time::Duration;

use crate::support::harness::{assert_all_messages_ok, button_ids, is_ephemeral, text_of, Harness};
use fake_discord::{FakeDiscord, DEFAULT_MEMBER_PERMISSIONS, PERM_MANAGE_GUILD, TEST_USER_ID};
use serde_json::json;

const SEED_QUESTION: &str = "Pourquoi Microsoft a-t-il suspendu des services Azure ?";

fn median(mut values: Vec<Duration>) -> Duration {
    values.sort();
    values[values.len() / 2]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn commands_are_registered_with_french_and_english_names() {
    let h = Harness::start().await;
    let commands = h
        .discord
        .wait_commands_registered(Duration::from_secs(5))
        .await
        .unwrap();
    let commands = commands.as_array().unwrap().clone();
    let names: Vec<&str> = commands.iter().filter_map(|c| c["name"].as_str()).collect();
    for name in [
        "ask",
        "source",
        "sources",
        "status",
        "reindex",
        "Find sources",
    ] {
        assert!(names.contains(&name), "{name} missing from {names:?}");
    }
    for command in &commands {
        let name = command["name"].as_str().unwrap();
        assert!(
            command["name_localizations"]["fr"].is_string()
                || name == "source"
                || name == "sources",
            "{name} has no French name"
        );
        if command["type"].as_u64() == Some(1) {
            assert!(command["description"].as_str().unwrap().len() <= 100);
            assert!(
                command["description_localizations"]["fr"].is_string(),
                "{name}: no French description"
            );
        }
    }
    let ask = commands.iter().find(|c| c["name"] == "ask").unwrap();
    assert_eq!(ask["name_localizations"]["fr"], "demander");
    let reindex = commands.iter().find(|c| c["name"] == "reindex").unwrap();
    assert_eq!(
        reindex["default_member_permissions"],
        PERM_MANAGE_GUILD.to_string()
    );
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_quotes_the_right_article_then_posts_publicly_and_pages() {
    let h = Harness::start().await;
    let d = &h.discord;
    let (id, token, payload) = h.discord.ask(SEED_QUESTION).results(1).locale("fr").build();
    let response = h.interact(payload, id).await;
    assert_eq!(
        response.callback_type(),
        Some(callback::CHANNEL_MESSAGE_WITH_SOURCE)
    );
    let body = response.message_body().unwrap().clone();
    assert!(
        is_ephemeral(&body),
        "the default answer is an ephemeral preview"
    );
    let text = text_of(&body);
    assert!(
        text.contains("000_b19292d0fd3caf05.txt") || text.contains("001_12ca703743a789d0.txt"),
        "{text}"
    );
    assert!(text.contains('¶'), "citation has a paragraph: {text}");
    assert!(text.contains("> "), "quote is a blockquote: {text}");
    assert!(text.contains("**"), "matched words are bold: {text}");
    assert!(text.contains("Citations verbatim"), "French locale: {text}");
    let buttons = button_ids(&body);
    let post = buttons
        .iter()
        .find(|(id, _)| id.starts_with("cb:pub:"))
        .expect("Post publicly button")
        .0
        .clone();
    let more = buttons
        .iter()
        .find(|(id, _)| id.starts_with("cb:more:"))
        .expect("More results button")
        .0
        .clone();

    // "More results" shows the next page in place.
    let original = d.original_message(&token).unwrap();
    let (more_id, _, click) = d.component(&more, original.clone(), TEST_USER_ID, "fr");
    let paged = h.interact(click, more_id).await;
    assert_eq!(paged.callback_type(), Some(callback::UPDATE_MESSAGE));
    let paged_text = text_of(paged.message_body().unwrap());
    assert!(
        paged_text.contains("**2.**"),
        "second page starts at result 2: {paged_text}"
    );

    // "Post publicly" posts the same answer to the channel and disables itself.
    let original = d.original_message(&token).unwrap();
    let (post_id, post_token, click) = d.component(&post, original, TEST_USER_ID, "fr");
    let update = h.interact(click, post_id).await;
    assert_eq!(update.callback_type(), Some(callback::UPDATE_MESSAGE));
    let disabled = button_ids(update.message_body().unwrap())
        .into_iter()
        .find(|(id, _)| id.starts_with("cb:pub:"))
        .expect("the button stays, greyed out");
    assert!(disabled.1, "Post publicly is disabled after use");
    // The public post has no buttons of its own to misuse.
    let public = d
        .wait_for_request(
            |r| {
                r.is_webhook()
                    && r.method == "POST"
                    && r.interaction_token() == Some(post_token.as_str())
            },
            Duration::from_secs(5),
        )
        .await
        .expect("public followup");
    assert!(!is_ephemeral(&public.body));
    assert!(
        text_of(&public.body).contains("Partagé par"),
        "{}",
        text_of(&public.body)
    );
    assert!(text_of(&public.body).contains('¶'));
    assert!(button_ids(&public.body).is_empty());

    // A second click finds it already posted.
    let original = d.original_message(&token).unwrap();
    let (again_id, _, click) = d.component(&post, original, TEST_USER_ID, "en");
    let again = h.interact(click, again_id).await;
    assert!(is_ephemeral(again.message_body().unwrap()));

    assert!(assert_all_messages_ok(d) >= 4);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn public_by_option_and_abstention_is_ephemeral_with_nearest_titles() {
    let h = Harness::start().await;
    let d = &h.discord;
    let (id, _, payload) = h
        .discord
        .ask(SEED_QUESTION)
        .public(true)
        .locale("en-US")
        .build();
    let body = h.reply_body(payload, id).await;
    assert!(!is_ephemeral(&body));
    assert!(!button_ids(&body)
        .iter()
        .any(|(id, _)| id.starts_with("cb:pub:")));

    let (id, _, payload) = h
        .discord
        .ask("Qui a gagné la Coupe du monde 2022 ?")
        .locale("en-US")
        .build();
    let body = h.reply_body(payload, id).await;
    assert!(is_ephemeral(&body));
    assert!(text_of(&body).contains("No passage"), "{}", text_of(&body));
    assert_all_messages_ok(d);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn source_autocomplete_card_paragraph_and_refusals() {
    let h = Harness::start().await;
    let d = &h.discord;
    // Autocomplete matches titles without accents.
    let (id, _, payload) = d.autocomplete(
        "source",
        json!([{"name": "file", "type": 3, "value": "israelien", "focused": true}]),
        TEST_USER_ID,
        "fr",
    );
    let response = h.interact(payload, id).await;
    assert_eq!(
        response.callback_type(),
        Some(callback::APPLICATION_COMMAND_AUTOCOMPLETE_RESULT)
    );
    let choices = response.body["data"]["choices"].as_array().unwrap().clone();
    assert!(!choices.is_empty() && choices.len() <= 25);
    assert!(
        choices[0]["value"].as_str().unwrap().starts_with("00"),
        "{choices:?}"
    );

    // The card comes with the article attached.
    let (id, _, payload) = h.tester_command(
        "source",
        json!([{"name": "file", "type": 3, "value": "004_86712a85089916e0.txt"}]),
        "en-US",
    );
    let response = h.interact(payload, id).await;
    assert_eq!(response.files.len(), 1, "article attached");
    let original =
        std::fs::read(crate::support::harness::repo_corpus().join("004_86712a85089916e0.txt"))
            .unwrap();
    assert_eq!(response.files[0].1, original);
    assert!(text_of(response.message_body().unwrap()).contains("004_86712a85089916e0.txt"));

    // One exact paragraph, with citation and hash.
    let (id, _, payload) = h.tester_command("source", json!([{"name": "file", "type": 3, "value": "004_86712a85089916e0.txt"}, {"name": "paragraph", "type": 4, "value": 5}]), "en-US");
    let text = text_of(h.interact(payload, id).await.message_body().unwrap());
    assert!(text.contains("¶5") && text.contains("hash"), "{text}");
    let view = h
        .library
        .source("004_86712a85089916e0.txt", Some(5))
        .unwrap();
    let first_words: String = view.paragraphs[0]
        .text
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ");
    assert!(text.contains(&first_words), "{text}");

    // Traversal and unknown names are refused, ephemerally, with suggestions.
    for hostile in [
        "../.env",
        "/etc/passwd",
        "..%2f..%2fetc%2fpasswd",
        "004_86712a85089916e0",
    ] {
        let (id, _, payload) = h.tester_command(
            "source",
            json!([{"name": "file", "type": 3, "value": hostile}]),
            "en-US",
        );
        let response = h.interact(payload, id).await;
        let body = response.message_body().unwrap();
        if hostile == "004_86712a85089916e0" {
            // A name without its extension resolves to the one article it names.
            assert!(response.files.len() == 1, "extension-less name resolves");
            continue;
        }
        assert!(is_ephemeral(body), "{hostile}");
        assert!(
            text_of(body).contains("not an article"),
            "{hostile}: {}",
            text_of(body)
        );
        assert!(response.files.is_empty());
    }
    assert_all_messages_ok(d);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn find_sources_status_sources_and_reindex_permissions() {
    let h = Harness::start().await;
    let d = &h.discord;
    let claim = "Microsoft aurait transmis des e-mails aux autorités britanniques après l'attaque de Westminster";
    let (id, _, payload) = d.message_context(
        "Find sources",
        claim,
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    let body = h.reply_body(payload, id).await;
    assert!(
        text_of(&body).contains("004_86712a85089916e0.txt"),
        "{}",
        text_of(&body)
    );
    assert!(is_ephemeral(&body));

    let (id, _, payload) = h.tester_command("status", json!([]), "en-US");
    let text = text_of(h.interact(payload, id).await.message_body().unwrap());
    assert!(text.contains("Articles") && text.contains('5'), "{text}");

    let (id, token, payload) = h.tester_command("sources", json!([]), "en-US");
    let body = h.reply_body(payload, id).await;
    assert!(text_of(&body).contains("003_3c9e9c1ef6c54ec2.txt"));
    let next = button_ids(&body)
        .into_iter()
        .find(|(id, _)| id == "cb:src:1")
        .expect("next page button");
    assert!(next.1, "one page only: next is disabled");
    let original = d.original_message(&token).unwrap();
    let (id, _, click) = d.component("cb:src:0", original, TEST_USER_ID, "en-US");
    assert_eq!(
        h.interact(click, id).await.callback_type(),
        Some(callback::UPDATE_MESSAGE)
    );

    // Without Manage Server: refused, ephemerally, and nothing is rebuilt.
    let before = h.library.status().built_at_unix;
    let (id, _, payload) = d.slash_command(
        "reindex",
        json!([]),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS & !PERM_MANAGE_GUILD,
    );
    let body = h.reply_body(payload, id).await;
    assert!(is_ephemeral(&body));
    assert!(
        text_of(&body).contains("Manage Server"),
        "{}",
        text_of(&body)
    );
    assert_eq!(h.library.status().built_at_unix, before);

    // With it: deferred, then the result.
    let (id, token, payload) = d.slash_command(
        "reindex",
        json!([]),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS | PERM_MANAGE_GUILD,
    );
    assert_eq!(
        h.interact(payload, id).await.callback_type(),
        Some(callback::DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE)
    );
    let done = d
        .wait_for_request(
            |r| {
                r.is_webhook() && r.interaction_token() == Some(token.as_str()) && r.method != "GET"
            },
            Duration::from_secs(20),
        )
        .await
        .expect("reindex result");
    assert!(
        text_of(&done.body).contains("Index rebuilt"),
        "{}",
        text_of(&done.body)
    );
    assert_all_messages_ok(d);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_resumes_after_the_gateway_drops_and_answers_fast() {
    let h = Harness::start().await;
    let d: &FakeDiscord = &h.discord;
    let mut latencies = Vec::new();
    for round in 0..3 {
        if round > 0 {
            d.drop_gateway().await;
            assert!(
                d.wait_resume_count(round, Duration::from_secs(15)).await,
                "no resume after drop {round}"
            );
        }
        for _ in 0..5 {
            let (id, _, payload) = h.discord.ask(SEED_QUESTION).locale("fr").build();
            let response = h.interact(payload, id).await;
            assert!(response.is_success());
            latencies.push(d.response_latency(id).unwrap());
        }
    }
    let max = *latencies.iter().max().unwrap();
    println!(
        "interaction -> first response over {} interactions: median {:?}, max {:?}",
        latencies.len(),
        median(latencies.clone()),
        max
    );
    assert!(max < Duration::from_secs(3), "Discord's deadline is 3 s");
    assert_all_messages_ok(d);
    h.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_questions_are_cut_to_the_registered_maximum_and_say_so() {
    let h = Harness::start().await;
    let commands = h
        .discord
        .wait_commands_registered(Duration::from_secs(5))
        .await
        .unwrap();
    let ask = commands
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "ask")
        .cloned()
        .unwrap();
    let max = ask["options"][0]["max_length"].as_u64().unwrap() as usize;
    assert_eq!(ask["options"][0]["name"], "question");
    // Longer than registered (a client that ignores the limit): answered, and told so.
    let question = format!("{SEED_QUESTION} ").repeat(max / SEED_QUESTION.len() + 2);
    assert!(question.chars().count() > max);
    let (id, _, payload) = h.discord.ask(&question).locale("en-US").build();
    let body = h.reply_body(payload, id).await;
    let text = text_of(&body);
    assert!(text.contains('¶'), "{text}");
    assert!(
        text.contains(&format!("cut to its first {max} characters")),
        "{text}"
    );
    // Within the limit: no note.
    let (id, _, payload) = h.discord.ask(SEED_QUESTION).locale("fr").build();
    let text = text_of(&h.reply_body(payload, id).await);
    assert!(!text.contains("coupée"), "{text}");
    assert_all_messages_ok(&h.discord);
    h.stop().await;
}
