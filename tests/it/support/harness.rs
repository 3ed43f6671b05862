//! Starts the real bot (library + `coverage_bot::bot::run`) against the in-process fake Discord,
//! and checks recorded bodies against Discord's limits.

use fake_discord::protocol::{callback, message_flags};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::oneshot;

use coverage_bot::bot::BotSettings;
use coverage_bot::{Config, Library};
use fake_discord::{FakeDiscord, RecordedRequest, GUILD_ID};

/// A running bot and its fake Discord.
pub struct Harness {
    /// The fake.
    pub discord: FakeDiscord,
    /// The library the bot serves.
    pub library: Arc<Library>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
    _data: tempfile::TempDir,
}

/// The repository's corpus folder.
pub fn repo_corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// A config over `corpus` with a fresh data folder, no cooldown and no watcher, and lexical
/// answers: the tests of semantic answers opt in with [`semantic_config`], so the many tests of
/// other areas do not embed their corpora.
pub fn test_config(corpus: &Path, data: &Path) -> Config {
    let mut config = Config::default();
    config.semantic.mode = coverage_bot::config::SemanticMode::Off;
    config.corpus.dir = corpus.to_path_buf();
    config.index.dir = data.join("index");
    config.discord.ask_cooldown_seconds = 0;
    config.discord.watch_corpus = false;
    config
}

/// [`test_config`] with semantic answers required, from the model installed in the repository
/// (`cargo run --release -- model install`; CI does it first).
pub fn semantic_config(corpus: &Path, data: &Path) -> Config {
    let mut config = test_config(corpus, data);
    config.semantic.mode = coverage_bot::config::SemanticMode::On;
    config.semantic.model = crate::semantic_encoder::installed_model();
    config
}

impl Harness {
    /// Starts with the bundled corpus.
    pub async fn start() -> Harness {
        Harness::start_with(|_| {}).await
    }

    /// Starts after letting the caller adjust the config.
    pub async fn start_with(adjust: impl FnOnce(&mut Config)) -> Harness {
        let discord = FakeDiscord::start().await;
        let data = tempfile::tempdir().expect("tempdir");
        let mut config = test_config(&repo_corpus(), data.path());
        adjust(&mut config);
        let library = Arc::new(Library::open(config).expect("library opens").0);
        let settings = BotSettings {
            token: "fake-token-for-tests".into(),
            guild_id: Some(GUILD_ID),
            proxy_url: Some(discord.proxy_url()),
        };
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(coverage_bot::bot::run(
            settings,
            library.clone(),
            async move {
                let _ = stopped.await;
            },
        ));
        assert!(
            discord.wait_ready(Duration::from_secs(20)).await,
            "bot never identified"
        );
        assert!(
            discord
                .wait_commands_registered(Duration::from_secs(20))
                .await
                .is_some(),
            "bot never registered its commands"
        );
        Harness {
            discord,
            library,
            stop: Some(stop),
            task: Some(task),
            _data: data,
        }
    }

    /// A bot over `corpus` (with [`Self::start_with`]'s other settings) whose fetcher may reach
    /// loopback addresses, where the tests' page server and the fake's attachment CDN are (a
    /// config would allow an intranet the same way), posting audit lines to `audit_channel`.
    pub async fn start_fetching_from_loopback(
        corpus: PathBuf,
        audit_channel: Option<u64>,
    ) -> Harness {
        Harness::start_with(move |config| {
            config.corpus.dir = corpus;
            config.fetch.allow_loopback = true;
            config.discord.audit_channel_id = audit_channel;
        })
        .await
    }

    /// The result of a deferred command: the first edit or follow-up of the interaction whose
    /// token is `token`.
    pub async fn deferred_result(&self, token: &str) -> RecordedRequest {
        self.discord
            .wait_for_request(
                |r| r.is_webhook() && r.interaction_token() == Some(token) && r.method != "GET",
                Duration::from_secs(30),
            )
            .await
            .unwrap_or_else(|| panic!("no result for the deferred interaction {token}"))
    }

    /// Sends an interaction and waits for its first callback.
    pub async fn interact(&self, payload: Value, id: u64) -> RecordedRequest {
        self.discord.send_interaction(payload).await;
        self.discord
            .wait_for_response(id, Duration::from_secs(10))
            .await
            .unwrap_or_else(|| panic!("no response to interaction {id}"))
    }

    /// A slash command from the test user with ordinary member permissions:
    /// `(interaction id, token, payload)`.
    pub fn tester_command(&self, name: &str, options: Value, locale: &str) -> (u64, String, Value) {
        self.discord.slash_command(
            name,
            options,
            fake_discord::TEST_USER_ID,
            locale,
            fake_discord::DEFAULT_MEMBER_PERMISSIONS,
        )
    }

    /// Sends an interaction and returns the message of its first callback.
    pub async fn reply_body(&self, payload: Value, id: u64) -> Value {
        self.interact(payload, id)
            .await
            .message_body()
            .cloned()
            .unwrap_or_else(|| panic!("interaction {id} got no message"))
    }

    /// Stops the bot and waits for it to return.
    pub async fn stop(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            let result = tokio::time::timeout(Duration::from_secs(20), task).await;
            let joined = result.expect("bot did not shut down in time");
            joined
                .expect("bot task panicked")
                .expect("bot returned an error");
        }
    }
}

fn chars(v: &Value) -> usize {
    v.as_str().map(|s| s.chars().count()).unwrap_or(0)
}

/// A message the bot posted or edited in a channel (not through an interaction).
pub fn is_channel_message(request: &RecordedRequest) -> bool {
    let segments: Vec<&str> = request.path.trim_end_matches('/').split('/').collect();
    matches!(request.method.as_str(), "POST" | "PATCH")
        && matches!(
            segments.as_slice(),
            ["", "api", "v10", "channels", _, "messages", ..]
        )
}

/// The message part of a recorded request: callback `data`, or a webhook body.
pub fn message_of(request: &RecordedRequest) -> Option<Value> {
    if request.is_callback() {
        match request.callback_type() {
            Some(callback::CHANNEL_MESSAGE_WITH_SOURCE | callback::UPDATE_MESSAGE) => {
                request.message_body().cloned()
            }
            _ => None,
        }
    } else if (request.is_webhook() && (request.method == "POST" || request.method == "PATCH"))
        || is_channel_message(request)
    {
        Some(request.body.clone())
    } else {
        None
    }
}

/// Checks one message body against Discord's limits and our no-ping rule.
pub fn assert_message_ok(request: &RecordedRequest, body: &Value) {
    let where_ = format!("{} {}", request.method, request.path);
    assert!(
        chars(&body["content"]) <= 2000,
        "{where_}: content too long"
    );
    let embeds = body["embeds"].as_array().cloned().unwrap_or_default();
    assert!(embeds.len() <= 10, "{where_}: too many embeds");
    let mut total = 0;
    for e in &embeds {
        assert!(chars(&e["title"]) <= 256, "{where_}: embed title");
        assert!(
            chars(&e["description"]) <= 4096,
            "{where_}: embed description"
        );
        assert!(chars(&e["footer"]["text"]) <= 2048, "{where_}: footer");
        let fields = e["fields"].as_array().cloned().unwrap_or_default();
        assert!(fields.len() <= 25, "{where_}: fields");
        for f in &fields {
            assert!(
                chars(&f["name"]) <= 256 && chars(&f["value"]) <= 1024,
                "{where_}: field"
            );
            total += chars(&f["name"]) + chars(&f["value"]);
        }
        total += chars(&e["title"]) + chars(&e["description"]) + chars(&e["footer"]["text"]);
    }
    assert!(total <= 6000, "{where_}: embed total {total}");
    let rows = body["components"].as_array().cloned().unwrap_or_default();
    assert!(rows.len() <= 5, "{where_}: rows");
    for row in &rows {
        let buttons = row["components"].as_array().cloned().unwrap_or_default();
        assert!(buttons.len() <= 5, "{where_}: buttons");
        for b in &buttons {
            assert!(chars(&b["custom_id"]) <= 100, "{where_}: custom_id");
            assert!(chars(&b["label"]) <= 80, "{where_}: label");
        }
    }
    // Every message must block all pings.
    let mentions = &body["allowed_mentions"];
    assert!(
        mentions.is_object(),
        "{where_}: allowed_mentions missing in {body}"
    );
    assert_eq!(
        mentions["parse"],
        serde_json::json!([]),
        "{where_}: parse must be empty"
    );
    for key in ["users", "roles"] {
        assert!(
            mentions[key]
                .as_array()
                .map(|a| a.is_empty())
                .unwrap_or(true),
            "{where_}: {key} allowed"
        );
    }
    assert_ne!(
        mentions["replied_user"],
        serde_json::json!(true),
        "{where_}: replied_user"
    );
}

/// Checks every message the bot sent, and every autocomplete answer.
pub fn assert_all_messages_ok(discord: &FakeDiscord) -> usize {
    let mut checked = 0;
    for request in discord.requests() {
        if request.callback_type() == Some(callback::APPLICATION_COMMAND_AUTOCOMPLETE_RESULT) {
            let choices = request.body["data"]["choices"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(choices.len() <= 25, "too many choices");
            for c in &choices {
                assert!(
                    chars(&c["name"]) <= 100 && chars(&c["value"]) <= 100,
                    "choice too long"
                );
            }
        }
        if let Some(body) = message_of(&request) {
            assert_message_ok(&request, &body);
            checked += 1;
        }
    }
    checked
}

/// The text of a message body: content, embed titles, descriptions, fields and footers.
pub fn text_of(body: &Value) -> String {
    let mut out = body["content"].as_str().unwrap_or("").to_string();
    for e in body["embeds"].as_array().cloned().unwrap_or_default() {
        for key in ["title", "description"] {
            out.push('\n');
            out.push_str(e[key].as_str().unwrap_or(""));
        }
        for f in e["fields"].as_array().cloned().unwrap_or_default() {
            out.push('\n');
            out.push_str(f["name"].as_str().unwrap_or(""));
            out.push('\n');
            out.push_str(f["value"].as_str().unwrap_or(""));
        }
        out.push('\n');
        out.push_str(e["footer"]["text"].as_str().unwrap_or(""));
    }
    out
}

/// Whether the body is ephemeral (flag 64).
pub fn is_ephemeral(body: &Value) -> bool {
    body["flags"]
        .as_u64()
        .map(|f| f & message_flags::EPHEMERAL != 0)
        .unwrap_or(false)
}

/// Custom ids of the buttons in a message body.
pub fn button_ids(body: &Value) -> Vec<(String, bool)> {
    body["components"]
        .as_array()
        .cloned()
        .unwrap_or_default()
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .map(|b| {
            (
                b["custom_id"].as_str().unwrap_or("").to_string(),
                b["disabled"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}
