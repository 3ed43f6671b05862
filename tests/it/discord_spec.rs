//! Every request the bot sends, checked against Discord's own OpenAPI description of its HTTP
//! API (`support::discord_spec`). The description is public data read at run time from
//! `../shared/discord-api-spec/openapi.json` (or `COVERAGE_DISCORD_SPEC`), so these tests run on
//! demand: `cargo test --test it discord_spec -- --ignored` (`.ci/run` runs them when the file
//! is there).

use std::time::Duration;

use fake_discord::RecordedRequest;
use serde_json::{json, Value};

use crate::support::discord_spec::DiscordSpec;
use crate::support::fixtures::TempCorpus;
use crate::support::harness::{button_ids, text_of, Harness};
use fake_discord::{DEFAULT_MEMBER_PERMISSIONS, PERM_MANAGE_GUILD, TEST_USER_ID};

#[test]
#[ignore = "needs ../shared/discord-api-spec/openapi.json: run with --ignored"]
fn the_check_refuses_what_discord_would() {
    let spec = DiscordSpec::load();
    let request = |method: &str, path: &str, body: Value| RecordedRequest {
        method: method.into(),
        path: path.into(),
        query: String::new(),
        body,
        files: Vec::new(),
        at: std::time::Instant::now(),
        status: 200,
        response: Value::Null,
    };
    let callback = "/api/v10/interactions/1180000000000000001/tok/callback";
    let good = json!({"type": 4, "data": {"content": "ok", "flags": 64, "allowed_mentions": {"parse": []}}});
    assert_eq!(
        spec.violations(&request("POST", callback, good)),
        Vec::<String>::new()
    );
    // Content over Discord's 2,000 characters, an unknown callback type, a bad route.
    let long = json!({"type": 4, "data": {"content": "x".repeat(2001)}});
    assert!(!spec.violations(&request("POST", callback, long)).is_empty());
    assert!(!spec
        .violations(&request("POST", callback, json!({"type": 99})))
        .is_empty());
    assert!(!spec
        .violations(&request("POST", "/api/v10/no/such/route", Value::Null))
        .is_empty());
    // `@original` is its own route, not a message id.
    assert_eq!(
        spec.template("/api/v10/webhooks/1/tok/messages/@original"),
        Some("/webhooks/{webhook_id}/{webhook_token}/messages/@original")
    );
}

/// Every command of the bot: commands registered, `/ask` (preview, next page, posted publicly
/// with its audit line, public at once, abstention), autocomplete, Find sources, `/source` (card
/// with the article attached, one paragraph, a refusal), `/sources`, `/status`, and the
/// moderators' `/reindex` (refused, then run), `/add` (an attached note) and `/remove`: every
/// request the bot made matches a documented route and its body the route's schema.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs ../shared/discord-api-spec/openapi.json: run with --ignored"]
async fn every_request_the_bot_sends_is_as_discord_describes_it() {
    let spec = DiscordSpec::load();
    let audit_channel = 1_180_000_000_000_000_077;
    // A copy of the corpus: `/add` and `/remove` change it.
    let corpus = TempCorpus::new();
    let h = Harness::start_fetching_from_loopback(corpus.corpus(), Some(audit_channel)).await;
    let d = &h.discord;

    let (id, token, payload) = d
        .ask("Pourquoi Microsoft a-t-il suspendu des services Azure ?")
        .results(1)
        .locale("fr")
        .build();
    let preview = h.reply_body(payload, id).await;
    let buttons = button_ids(&preview);
    for prefix in ["cb:more:", "cb:pub:"] {
        let (custom_id, _) = buttons
            .iter()
            .find(|(b, _)| b.starts_with(prefix))
            .unwrap_or_else(|| panic!("{prefix} button"))
            .clone();
        let original = d.original_message(&token).expect("the preview is stored");
        let (click_id, _, click) = d.component(&custom_id, original, TEST_USER_ID, "fr");
        h.interact(click, click_id).await;
    }
    d.wait_for_request(
        |r| {
            r.method == "POST"
                && r.path
                    .ends_with(&format!("/channels/{audit_channel}/messages"))
        },
        Duration::from_secs(20),
    )
    .await
    .expect("the audit line is posted");

    let (id, _, payload) = d
        .ask("What did Microsoft stop providing to the Israeli army?")
        .public(true)
        .locale("en-US")
        .build();
    h.interact(payload, id).await;
    let (id, _, payload) = d.ask("Qui a gagné la Coupe du monde 2022 ?").build();
    h.interact(payload, id).await;

    let (id, _, payload) = d.autocomplete(
        "source",
        json!([{"name": "file", "type": 3, "value": "israel", "focused": true}]),
        TEST_USER_ID,
        "fr",
    );
    h.interact(payload, id).await;
    for options in [
        json!([{"name": "file", "type": 3, "value": "004_86712a85089916e0.txt"}]),
        json!([{"name": "file", "type": 3, "value": "004_86712a85089916e0.txt"}, {"name": "paragraph", "type": 4, "value": 5}]),
        json!([{"name": "file", "type": 3, "value": "../.env"}]),
    ] {
        let (id, _, payload) = h.tester_command("source", options, "en-US");
        h.interact(payload, id).await;
    }
    for name in ["sources", "status"] {
        let (id, token, payload) = h.tester_command(name, Value::Array(Vec::new()), "en-US");
        let first = h.interact(payload, id).await;
        if first.callback_type()
            == Some(fake_discord::protocol::callback::DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE)
        {
            h.deferred_result(&token).await;
        }
    }

    let (id, _, payload) = d.message_context(
        "Find sources",
        "Microsoft aurait transmis des e-mails aux autorités britanniques",
        TEST_USER_ID,
        "fr",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    h.interact(payload, id).await;

    // The moderators' commands: each is deferred, then answered.
    let moderator = DEFAULT_MEMBER_PERMISSIONS | PERM_MANAGE_GUILD;
    let (id, _, payload) = d.slash_command(
        "reindex",
        json!([]),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS & !PERM_MANAGE_GUILD,
    );
    h.interact(payload, id).await;
    let (id, token, payload) =
        d.slash_command("reindex", json!([]), TEST_USER_ID, "en-US", moderator);
    h.interact(payload, id).await;
    h.deferred_result(&token).await;
    let note = "---\ntitle: Conseil du 3 mai\n---\n\nLe conseil municipal a adopté le plan vélo.\n";
    let attachment = d.attachment("conseil.md", note.as_bytes());
    let (id, token, payload) = d.slash_command_with_attachment(
        "add",
        json!([]),
        "file",
        attachment,
        TEST_USER_ID,
        "en-US",
        moderator,
    );
    h.interact(payload, id).await;
    let added = text_of(&h.deferred_result(&token).await.body);
    assert!(added.contains("Conseil du 3 mai"), "{added}");
    let added_file = std::fs::read_dir(corpus.corpus())
        .expect("the corpus folder")
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|name| name.starts_with("conseil"))
        .expect("the note was saved");
    let (id, token, payload) = d.slash_command(
        "remove",
        json!([{"name": "file", "type": 3, "value": added_file}]),
        TEST_USER_ID,
        "en-US",
        moderator,
    );
    h.interact(payload, id).await;
    h.deferred_result(&token).await;

    let requests: Vec<RecordedRequest> = d.requests();
    let with_body = requests.iter().filter(|r| !r.body.is_null()).count();
    assert!(
        with_body >= 12,
        "only {with_body} requests with a body were recorded"
    );
    // Each kind of request the bot makes with a body was among them.
    for (method, route) in [
        (
            "PUT",
            "/applications/{application_id}/guilds/{guild_id}/commands",
        ),
        (
            "POST",
            "/interactions/{interaction_id}/{interaction_token}/callback",
        ),
        ("POST", "/webhooks/{webhook_id}/{webhook_token}"),
        ("POST", "/channels/{channel_id}/messages"),
    ] {
        assert!(
            requests
                .iter()
                .any(|r| r.method == method && spec.template(&r.path) == Some(route)),
            "no {method} {route} was recorded"
        );
    }
    let violations = spec.all_violations(&requests);
    assert!(violations.is_empty(), "{}", violations.join("\n"));
    h.stop().await;
}
