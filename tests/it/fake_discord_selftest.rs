//! Self-tests of the fake Discord (`crates/fake-discord`): a plain serenity 0.12 client
//! connects to it and answers slash commands, through gateway faults; and every payload the fake
//! builds or returns is checked against serenity's own model types.

use fake_discord::protocol::{callback, message_flags};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fake_discord::{
    FakeDiscord, RecordedRequest, APP_ID, CHANNEL_ID, DEFAULT_MEMBER_PERMISSIONS, GUILD_ID,
    OTHER_USER_ID, OWNER_ID, TEST_USER_ID,
};
use serde_json::{json, Value};
use serenity::all::{
    ChannelId, ClientBuilder, Command, CommandOptionType, CommandType, Context, CreateAttachment,
    CreateButton, CreateCommand, CreateCommandOption, CreateEmbed, CreateInteractionResponse,
    CreateInteractionResponseFollowup, CreateInteractionResponseMessage, CreateMessage,
    EditInteractionResponse, EventHandler, GatewayIntents, GuildId, Http, HttpBuilder, Interaction,
    InteractionId, Message, RawEventHandler, ShardManager,
};
use serenity::builder::Builder;
use serenity::model::event::{Event, GatewayEvent};

const TOKEN: &str = "fake-token-for-tests";
const TIMEOUT: Duration = Duration::from_secs(20);

// ------------------------------------------------------------------------------------------------
// A minimal serenity bot

struct Pong;

/// Counts dispatches serenity could not deserialize (they become `Event::Unknown`, silently).
struct UnknownEvents(Arc<AtomicUsize>);

#[serenity::async_trait]
impl RawEventHandler for UnknownEvents {
    async fn raw_event(&self, _ctx: Context, event: Event) {
        if let Event::Unknown(u) = event {
            eprintln!("serenity could not parse a {} dispatch", u.kind);
            self.0.fetch_add(1, Ordering::SeqCst);
        }
    }
}

#[serenity::async_trait]
impl EventHandler for Pong {
    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        if let Interaction::Command(cmd) = interaction {
            let reply = CreateInteractionResponse::Message(
                CreateInteractionResponseMessage::new().content("pong"),
            );
            if let Err(e) = cmd.create_response(&ctx.http, reply).await {
                eprintln!("pong bot: create_response failed: {e}");
            }
        }
    }
}

struct Bot {
    shard_manager: Arc<ShardManager>,
    task: tokio::task::JoinHandle<()>,
    unknown_events: Arc<AtomicUsize>,
}

async fn start_bot(fake: &FakeDiscord) -> Bot {
    crate::support::logs::init_test_logging();
    let http = HttpBuilder::new(TOKEN)
        .proxy(fake.proxy_url())
        .ratelimiter_disabled(true)
        .build();
    let unknown_events = Arc::new(AtomicUsize::new(0));
    let mut client = ClientBuilder::new_with_http(http, GatewayIntents::non_privileged())
        .event_handler(Pong)
        .raw_event_handler(UnknownEvents(Arc::clone(&unknown_events)))
        .await
        .expect("build serenity client");
    let shard_manager = client.shard_manager.clone();
    let task = tokio::spawn(async move {
        if let Err(e) = client.start().await {
            eprintln!("pong bot: client stopped with error: {e}");
        }
    });
    Bot {
        shard_manager,
        task,
        unknown_events,
    }
}

async fn stop_bot(bot: Bot) {
    assert_eq!(
        bot.unknown_events.load(Ordering::SeqCst),
        0,
        "undeserializable dispatches"
    );
    let _ = tokio::time::timeout(Duration::from_secs(10), bot.shard_manager.shutdown_all()).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), bot.task).await;
}

/// Sends `/ping` and asserts the bot answered "pong" with a single 204 callback.
async fn ping(fake: &FakeDiscord) -> RecordedRequest {
    let (id, token, payload) = fake.slash_command(
        "ping",
        json!([]),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    fake.send_interaction(payload).await;
    let cb = fake
        .wait_for_response(id, TIMEOUT)
        .await
        .expect("the bot never answered the interaction");
    assert_eq!(
        cb.status, 204,
        "callback answered {}: {:?}",
        cb.status, cb.response
    );
    assert_eq!(
        cb.callback_type(),
        Some(callback::CHANNEL_MESSAGE_WITH_SOURCE)
    );
    assert_eq!(cb.content(), Some("pong"));
    assert_eq!(cb.interaction_token(), Some(token.as_str()));
    assert_eq!(fake.messages_for(&token).len(), 1);
    cb
}

// ------------------------------------------------------------------------------------------------
// Gateway tests with a live client

#[tokio::test]
async fn ready_then_slash_command_gets_pong() {
    let fake = FakeDiscord::start().await;
    let bot = start_bot(&fake).await;
    assert!(fake.wait_ready(TIMEOUT).await, "no READY");
    assert_eq!(fake.identify_count(), 1);
    let identify = fake.last_identify().expect("identify payload");
    assert!(identify["token"]
        .as_str()
        .unwrap_or_default()
        .ends_with(TOKEN));
    assert!(fake.gateway_queries().iter().all(|q| q.contains("v=10")));

    ping(&fake).await;
    let (id, _, payload) = fake.slash_command(
        "ping",
        json!([]),
        TEST_USER_ID,
        "de",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    fake.send_interaction(payload).await;
    fake.wait_for_response(id, TIMEOUT)
        .await
        .expect("second ping");
    let latency = fake.response_latency(id).expect("latency");
    assert!(latency < Duration::from_secs(3), "slow answer: {latency:?}");

    // Only the expected REST calls were made, all successfully.
    for r in fake.requests() {
        assert!(
            r.is_success(),
            "failed request {} {}: {:?}",
            r.method,
            r.path,
            r.response
        );
    }
    stop_bot(bot).await;
}

#[tokio::test]
async fn client_resumes_after_dropped_connection() {
    let fake = FakeDiscord::start().await;
    let bot = start_bot(&fake).await;
    assert!(fake.wait_ready(TIMEOUT).await);
    ping(&fake).await;

    fake.drop_gateway().await;
    ping(&fake).await;
    assert!(fake.resume_count() >= 1, "expected a RESUME after the drop");
    assert_eq!(fake.identify_count(), 1, "expected no new IDENTIFY");
    stop_bot(bot).await;
}

#[tokio::test]
async fn client_resumes_after_op7_reconnect() {
    let fake = FakeDiscord::start().await;
    let bot = start_bot(&fake).await;
    assert!(fake.wait_ready(TIMEOUT).await);
    ping(&fake).await;

    fake.send_reconnect().await;
    ping(&fake).await;
    assert_eq!(fake.resume_count(), 1);
    assert_eq!(fake.identify_count(), 1);
    assert!(fake.connection_count() >= 2);
    stop_bot(bot).await;
}

#[tokio::test]
async fn client_reidentifies_after_invalid_session() {
    let fake = FakeDiscord::start().await;
    let bot = start_bot(&fake).await;
    assert!(fake.wait_ready(TIMEOUT).await);
    ping(&fake).await;

    fake.send_invalid_session(false).await;
    ping(&fake).await;
    assert_eq!(fake.identify_count(), 2);
    stop_bot(bot).await;
}

#[tokio::test]
async fn client_resumes_after_resumable_invalid_session() {
    let fake = FakeDiscord::start().await;
    let bot = start_bot(&fake).await;
    assert!(fake.wait_ready(TIMEOUT).await);
    ping(&fake).await;

    fake.send_invalid_session(true).await;
    ping(&fake).await;
    assert_eq!(fake.resume_count(), 1);
    assert_eq!(fake.identify_count(), 1);
    stop_bot(bot).await;
}

// ------------------------------------------------------------------------------------------------
// Payload shapes, checked with serenity's own deserializers

fn as_dispatch(event: &str, d: Value) -> Event {
    let frame = json!({"op": 0, "s": 1, "t": event, "d": d});
    match serde_json::from_value::<GatewayEvent>(frame) {
        Ok(GatewayEvent::Dispatch(_, event)) => event,
        Ok(other) => panic!("not a dispatch: {other:?}"),
        Err(e) => panic!("gateway frame does not parse: {e}"),
    }
}

fn as_interaction(payload: &Value) -> Interaction {
    if let Err(e) = serde_json::from_value::<Interaction>(payload.clone()) {
        panic!("interaction does not deserialize: {e}\n{payload:#}");
    }
    match as_dispatch("INTERACTION_CREATE", payload.clone()) {
        Event::InteractionCreate(ev) => ev.interaction,
        other => panic!("INTERACTION_CREATE became {other:?}"),
    }
}

#[tokio::test]
async fn ready_and_guild_create_deserialize() {
    let fake = FakeDiscord::start().await;
    match as_dispatch("READY", fake.ready_payload("s1")) {
        Event::Ready(r) => {
            assert_eq!(r.ready.user.id.get(), APP_ID);
            assert_eq!(r.ready.application.id.get(), APP_ID);
            assert_eq!(r.ready.resume_gateway_url, fake.gateway_url());
        }
        other => panic!("READY became {other:?}"),
    }
    match as_dispatch("GUILD_CREATE", fake.guild_create_payload()) {
        Event::GuildCreate(g) => {
            assert_eq!(g.guild.id.get(), GUILD_ID);
            assert!(g.guild.channels.contains_key(&ChannelId::new(CHANNEL_ID)));
        }
        other => panic!("GUILD_CREATE became {other:?}"),
    }
    let resumed = json!({"op": 0, "s": 5, "t": "RESUMED", "d": {"_trace": []}});
    assert!(matches!(
        serde_json::from_value::<GatewayEvent>(resumed),
        Ok(GatewayEvent::Dispatch(5, Event::Resumed(_)))
    ));
}

#[tokio::test]
async fn interaction_builders_deserialize() {
    let fake = FakeDiscord::start().await;

    let options = json!([{"name": "question", "type": 3, "value": "Who won?"},
                         {"name": "limit", "type": 4, "value": 3}]);
    let (id, token, p) = fake.slash_command("ask", options, TEST_USER_ID, "fr", 1 << 5);
    match as_interaction(&p) {
        Interaction::Command(c) => {
            assert_eq!(c.id.get(), id);
            assert_eq!(c.token, token);
            assert_eq!(c.data.name, "ask");
            assert_eq!(c.locale, "fr");
            assert_eq!(c.guild_id, Some(GuildId::new(GUILD_ID)));
            assert_eq!(c.user.id.get(), TEST_USER_ID);
            let member = c.member.expect("member");
            assert_eq!(member.permissions.map(|p| p.bits()), Some(1 << 5));
            assert!(c.app_permissions.is_some());
            assert_eq!(c.data.options().len(), 2);
        }
        other => panic!("expected a command, got {other:?}"),
    }

    // An INTEGER option marked focused is sent as a string, as serenity needs.
    let (_, _, p) = fake.autocomplete(
        "ask",
        json!([{"name": "question", "type": 3, "value": "Wh", "focused": true},
               {"name": "limit", "type": 4, "value": 2}]),
        TEST_USER_ID,
        "en-US",
    );
    match as_interaction(&p) {
        Interaction::Autocomplete(c) => {
            let focused = c.data.autocomplete().expect("focused option");
            assert_eq!((focused.name, focused.value), ("question", "Wh"));
        }
        other => panic!("expected autocomplete, got {other:?}"),
    }
    let (_, _, p) = fake.autocomplete(
        "ask",
        json!([{"name": "limit", "type": 4, "value": 7, "focused": true}]),
        TEST_USER_ID,
        "en-US",
    );
    assert!(matches!(as_interaction(&p), Interaction::Autocomplete(_)));

    let (_, _, p) = fake.message_context(
        "Check quote",
        "@everyone the minister said \"x\"",
        TEST_USER_ID,
        "en-GB",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    match as_interaction(&p) {
        Interaction::Command(c) => {
            assert_eq!(c.data.kind, CommandType::Message);
            match c.data.target() {
                Some(serenity::all::ResolvedTarget::Message(m)) => {
                    assert_eq!(m.content, "@everyone the minister said \"x\"");
                    assert_eq!(m.author.id.get(), OTHER_USER_ID);
                }
                other => panic!("no message target: {other:?}"),
            }
        }
        other => panic!("expected a command, got {other:?}"),
    }

    // A button click on a partial message: the fake completes it.
    let msg = json!({"content": "results", "components": [{"type": 1, "components": [
        {"type": 2, "style": 1, "custom_id": "more:1", "label": "More"}]}]});
    let (_, _, p) = fake.component("more:1", msg, TEST_USER_ID, "en-US");
    match as_interaction(&p) {
        Interaction::Component(c) => {
            assert_eq!(c.data.custom_id, "more:1");
            assert_eq!(c.message.content, "results");
            assert_eq!(c.message.components.len(), 1);
        }
        other => panic!("expected a component, got {other:?}"),
    }
    let (_, _, p) = fake.select_menu("pick", &["a", "b"], json!({}), TEST_USER_ID, "en-US");
    assert!(matches!(as_interaction(&p), Interaction::Component(_)));
    let (_, _, p) = fake.modal_submit("feedback", &[("text", "hello")], TEST_USER_ID, "en-US");
    assert!(matches!(as_interaction(&p), Interaction::Modal(_)));
}

// ------------------------------------------------------------------------------------------------
// REST behaviour, driven by serenity's Http (no gateway needed)

fn http_for(fake: &FakeDiscord) -> Http {
    fake.serenity_http(TOKEN)
}

fn status_and_code(err: serenity::Error) -> (u16, isize, Vec<String>) {
    match err {
        serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(resp)) => (
            resp.status_code.as_u16(),
            resp.error.code,
            resp.error.errors.iter().map(|e| e.path.clone()).collect(),
        ),
        other => panic!("expected an HTTP error, got {other:?}"),
    }
}

#[tokio::test]
async fn startup_routes_and_command_registration() {
    let fake = FakeDiscord::start().await;
    let http = http_for(&fake);

    assert_eq!(http.get_gateway().await.unwrap().url, fake.gateway_url());
    let bot_gw = http.get_bot_gateway().await.unwrap();
    assert_eq!(bot_gw.shards, 1);
    let app = http.get_current_application_info().await.unwrap();
    assert_eq!(app.id.get(), APP_ID);
    assert_eq!(app.owner.map(|o| o.id.get()), Some(OWNER_ID));
    assert!(http.get_current_user().await.unwrap().bot);

    let commands = vec![
        CreateCommand::new("ask")
            .description("Ask the corpus")
            .add_option(
                CreateCommandOption::new(CommandOptionType::String, "question", "Your question")
                    .required(true)
                    .set_autocomplete(true)
                    .max_length(300),
            )
            .add_option(
                CreateCommandOption::new(CommandOptionType::Integer, "limit", "How many")
                    .min_int_value(1)
                    .max_int_value(10)
                    .add_int_choice("one", 1),
            ),
        CreateCommand::new("Check quote").kind(CommandType::Message),
    ];
    let registered = Command::set_global_commands(&http, commands.clone())
        .await
        .expect("global commands echo deserializes");
    assert_eq!(registered.len(), 2);
    assert_eq!(registered[0].name, "ask");
    assert_eq!(registered[1].kind, CommandType::Message);
    let body = fake
        .wait_commands_registered(Duration::from_secs(1))
        .await
        .expect("PUT recorded");
    assert_eq!(body.as_array().map(Vec::len), Some(2));

    let in_guild = GuildId::new(GUILD_ID)
        .set_commands(&http, commands)
        .await
        .expect("guild commands echo deserializes");
    assert_eq!(in_guild[0].guild_id, Some(GuildId::new(GUILD_ID)));
    // Ids are stable per name, and the builders use them.
    assert_eq!(in_guild[0].id, registered[0].id);
    let (_, _, p) = fake.slash_command(
        "ask",
        json!([]),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    assert_eq!(p["data"]["id"], json!(registered[0].id.to_string()));

    // Unknown routes: recorded, 404 with a JSON body.
    let err = http.get_guild(GuildId::new(GUILD_ID)).await.unwrap_err();
    assert_eq!(status_and_code(err).0, 404);
    let last = fake.requests().pop().unwrap();
    assert_eq!(
        (last.status, last.response.clone()),
        (404, json!({"message": "Unknown", "code": 0}))
    );
}

#[tokio::test]
async fn callbacks_duplicates_and_injected_failures() {
    let fake = FakeDiscord::start().await;
    let http = http_for(&fake);
    let (id, token, _) = fake.slash_command(
        "ping",
        json!([]),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    let iid = InteractionId::new(id);
    let reply = |text: &str| {
        CreateInteractionResponse::Message(CreateInteractionResponseMessage::new().content(text))
    };

    fake.fail_next_callbacks(500, 1);
    let err = reply("a").execute(&http, (iid, &token)).await.unwrap_err();
    assert_eq!(status_and_code(err).0, 500);

    fake.fail_next_callbacks(429, 1);
    let err = reply("b").execute(&http, (iid, &token)).await.unwrap_err();
    assert_eq!(status_and_code(err).0, 429);
    let rl = fake.requests().pop().unwrap();
    assert!(rl.response["retry_after"].as_f64().is_some());

    reply("c")
        .execute(&http, (iid, &token))
        .await
        .expect("third try works");
    let err = reply("d").execute(&http, (iid, &token)).await.unwrap_err();
    let (status, code, _) = status_and_code(err);
    assert_eq!((status, code), (400, 40060));

    let first = fake
        .wait_for_response(id, Duration::from_secs(1))
        .await
        .unwrap();
    assert_eq!(first.status, 500);
    let statuses: Vec<u16> = fake.messages_for(&token).iter().map(|r| r.status).collect();
    assert_eq!(statuses, vec![500, 429, 204, 400]);
    assert_eq!(fake.original_message(&token).unwrap()["content"], "c");

    // An unknown interaction.
    let err = http
        .create_interaction_response(
            InteractionId::new(42),
            "nope",
            &json!({"type": 4, "data": {"content": "x"}}),
            vec![],
        )
        .await
        .unwrap_err();
    let (status, code, _) = status_and_code(err);
    assert_eq!((status, code), (404, 10062));
}

#[tokio::test]
async fn edits_followups_files_and_limits() {
    let fake = FakeDiscord::start().await;
    let http = http_for(&fake);

    // Editing before responding fails like on Discord.
    let (id, token, _) = fake.slash_command(
        "ask",
        json!([]),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    let err = EditInteractionResponse::new()
        .content("early")
        .execute(&http, &token)
        .await;
    assert_eq!(status_and_code(err.unwrap_err()).0, 404);

    // Defer (ephemeral), then the first followup fills the original message.
    CreateInteractionResponse::Defer(CreateInteractionResponseMessage::new().ephemeral(true))
        .execute(&http, (InteractionId::new(id), &token))
        .await
        .unwrap();
    let original: Message = http
        .get_original_interaction_response(&token)
        .await
        .unwrap();
    let filled = CreateInteractionResponseFollowup::new()
        .content("answer with quotes")
        .embed(
            CreateEmbed::new()
                .title("Sources")
                .field("1", "\"quote\"", false),
        )
        .button(CreateButton::new("more:1").label("More"))
        .execute(&http, (None, &token))
        .await
        .unwrap();
    assert_eq!(filled.id, original.id);
    assert_eq!(filled.content, "answer with quotes");
    assert_eq!(filled.embeds.len(), 1);
    assert_eq!(filled.components.len(), 1);
    assert!(filled
        .flags
        .is_some_and(|f| f.bits() & message_flags::EPHEMERAL != 0));

    // A second followup with a file is a new message with an attachment.
    let second = CreateInteractionResponseFollowup::new()
        .content("file")
        .add_file(CreateAttachment::bytes(b"hello".to_vec(), "quotes.txt"))
        .execute(&http, (None, &token))
        .await
        .unwrap();
    assert_ne!(second.id, original.id);
    assert_eq!(second.attachments.len(), 1);
    assert_eq!(second.attachments[0].filename, "quotes.txt");
    assert_eq!(second.attachments[0].size, 5);
    let rec = fake.messages_for(&token).pop().unwrap();
    assert_eq!(
        rec.files,
        vec![("quotes.txt".to_string(), b"hello".to_vec())]
    );
    assert_eq!(rec.content(), Some("file"));

    // Edit the original, then edit the followup.
    let edited = EditInteractionResponse::new()
        .content("@everyone edited")
        .allowed_mentions(serenity::all::CreateAllowedMentions::new())
        .execute(&http, &token)
        .await
        .unwrap();
    assert_eq!(edited.content, "@everyone edited");
    assert!(!edited.mention_everyone);
    let edited2 = CreateInteractionResponseFollowup::new()
        .content("file v2")
        .execute(&http, (Some(second.id), &token))
        .await
        .unwrap();
    // serenity quirk: CreateInteractionResponseFollowup always serializes `attachments: []` and
    // `embeds: []`, so editing with it drops the message's files and embeds (as Discord would).
    assert_eq!((edited2.id, edited2.attachments.len()), (second.id, 0));
    assert_eq!(
        fake.messages_for(&token).pop().unwrap().body["attachments"],
        json!([])
    );

    // A button click on the stored message, answered with UPDATE_MESSAGE.
    let stored = fake.original_message(&token).unwrap();
    let (cid, ctoken, p) = fake.component("more:1", stored, TEST_USER_ID, "en-US");
    assert!(matches!(as_interaction(&p), Interaction::Component(_)));
    CreateInteractionResponse::UpdateMessage(
        CreateInteractionResponseMessage::new().content("page 2"),
    )
    .execute(&http, (InteractionId::new(cid), &ctoken))
    .await
    .unwrap();
    assert_eq!(fake.original_message(&ctoken).unwrap()["content"], "page 2");
    assert_eq!(
        fake.message(original.id.get()).unwrap()["content"],
        "page 2"
    );

    // Discord's limits are enforced with Discord's error shape (raw JSON: serenity's builders
    // would refuse before sending).
    let (id2, token2, _) = fake.slash_command(
        "ask",
        json!([]),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    let long = "x".repeat(2001);
    let err = http
        .create_interaction_response(
            InteractionId::new(id2),
            &token2,
            &json!({"type": 4, "data": {"content": long}}),
            vec![],
        )
        .await
        .unwrap_err();
    assert_eq!(
        status_and_code(err),
        (400, 50035, vec!["data.content".to_string()])
    );
    let err = http
        .create_interaction_response(
            InteractionId::new(id2),
            &token2,
            &json!({"type": 4, "data": {"content": ""}}),
            vec![],
        )
        .await
        .unwrap_err();
    assert_eq!(status_and_code(err).1, 50006);
    let choices: Vec<Value> = (0..26)
        .map(|i| json!({"name": format!("c{i}"), "value": "v"}))
        .collect();
    let err = http
        .create_interaction_response(
            InteractionId::new(id2),
            &token2,
            &json!({"type": 8, "data": {"choices": choices}}),
            vec![],
        )
        .await
        .unwrap_err();
    assert_eq!(status_and_code(err).1, 50035);

    // Plain channel messages.
    let m = ChannelId::new(CHANNEL_ID)
        .send_message(&http, CreateMessage::new().content("hello @everyone"))
        .await
        .unwrap();
    assert_eq!(m.content, "hello @everyone");
    assert!(
        m.mention_everyone,
        "no allowed_mentions: Discord would ping"
    );
}

// ------------------------------------------------------------------------------------------------
// A small poise bot: registration, slash, autocomplete, buttons and context menus

type PoiseError = Box<dyn std::error::Error + Send + Sync>;
type PoiseCtx<'a> = poise::Context<'a, (), PoiseError>;

#[poise::command(slash_command, rename = "ping")]
async fn poise_ping(ctx: PoiseCtx<'_>) -> Result<(), PoiseError> {
    ctx.say("pong").await?;
    Ok(())
}

async fn complete_question(
    _ctx: PoiseCtx<'_>,
    partial: &str,
) -> serenity::all::CreateAutocompleteResponse {
    let choices = ["who won", "when was", "what did"]
        .into_iter()
        .filter(|q| q.starts_with(partial))
        .map(serenity::all::AutocompleteChoice::from)
        .collect();
    serenity::all::CreateAutocompleteResponse::new().set_choices(choices)
}

#[poise::command(slash_command)]
async fn ask(
    ctx: PoiseCtx<'_>,
    #[autocomplete = "complete_question"] question: String,
    limit: Option<i64>,
) -> Result<(), PoiseError> {
    let reply = poise::CreateReply::default()
        .content(format!("q={question} limit={}", limit.unwrap_or(3)))
        .components(vec![serenity::all::CreateActionRow::Buttons(vec![
            CreateButton::new("more:2").label("More"),
        ])]);
    ctx.send(reply).await?;
    Ok(())
}

#[poise::command(context_menu_command = "Check quote")]
async fn check_quote(ctx: PoiseCtx<'_>, msg: serenity::all::Message) -> Result<(), PoiseError> {
    ctx.send(
        poise::CreateReply::default()
            .content(format!("checked {} chars", msg.content.chars().count()))
            .ephemeral(true),
    )
    .await?;
    Ok(())
}

async fn on_event(
    ctx: &serenity::all::Context,
    event: &serenity::all::FullEvent,
) -> Result<(), PoiseError> {
    if let serenity::all::FullEvent::InteractionCreate {
        interaction: Interaction::Component(click),
    } = event
    {
        let page = CreateInteractionResponse::UpdateMessage(
            CreateInteractionResponseMessage::new()
                .content(format!("page for {}", click.data.custom_id)),
        );
        click.create_response(ctx, page).await?;
    }
    Ok(())
}

#[tokio::test]
async fn poise_bot_end_to_end() {
    crate::support::logs::init_test_logging();
    let fake = FakeDiscord::start().await;
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: vec![poise_ping(), ask(), check_quote()],
            event_handler: |framework, event| Box::pin(on_event(framework.serenity_context, event)),
            ..Default::default()
        })
        .setup(|ctx, _ready, framework| {
            Box::pin(async move {
                poise::builtins::register_globally(ctx, &framework.options().commands).await?;
                Ok(())
            })
        })
        .build();
    let http = HttpBuilder::new(TOKEN)
        .proxy(fake.proxy_url())
        .ratelimiter_disabled(true)
        .build();
    let mut client = ClientBuilder::new_with_http(http, GatewayIntents::non_privileged())
        .framework(framework)
        .await
        .expect("build poise client");
    let shard_manager = client.shard_manager.clone();
    let task = tokio::spawn(async move {
        let _ = client.start().await;
    });

    assert!(fake.wait_ready(TIMEOUT).await);
    let registered = fake
        .wait_commands_registered(TIMEOUT)
        .await
        .expect("commands registered");
    let names: Vec<&str> = registered
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|c| c["name"].as_str())
        .collect();
    assert_eq!(names, vec!["ping", "ask", "Check quote"]);
    // poise looked up the owners.
    assert!(fake
        .requests()
        .iter()
        .any(|r| r.path == "/api/v10/oauth2/applications/@me"));

    // Slash command.
    let (id, token, p) = fake.slash_command(
        "ping",
        json!([]),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    fake.send_interaction(p).await;
    let cb = fake
        .wait_for_response(id, TIMEOUT)
        .await
        .expect("ping answered");
    assert_eq!((cb.status, cb.content()), (204, Some("pong")));
    assert_eq!(fake.messages_for(&token).len(), 1);

    // Autocomplete.
    let (id, _, p) = fake.autocomplete(
        "ask",
        json!([{"name": "question", "type": 3, "value": "w", "focused": true}]),
        TEST_USER_ID,
        "en-US",
    );
    fake.send_interaction(p).await;
    let cb = fake
        .wait_for_response(id, TIMEOUT)
        .await
        .expect("autocomplete answered");
    assert_eq!(
        (cb.status, cb.callback_type()),
        (204, Some(callback::APPLICATION_COMMAND_AUTOCOMPLETE_RESULT))
    );
    assert_eq!(cb.body["data"]["choices"].as_array().map(Vec::len), Some(3));

    // Slash command with options, then a click on its button.
    let (id, token, p) = fake.slash_command(
        "ask",
        json!([{"name": "question", "type": 3, "value": "who won"},
               {"name": "limit", "type": 4, "value": 5}]),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    fake.send_interaction(p).await;
    let cb = fake
        .wait_for_response(id, TIMEOUT)
        .await
        .expect("ask answered");
    assert_eq!(cb.content(), Some("q=who won limit=5"));
    let message = fake.original_message(&token).expect("original message");
    let (cid, ctoken, p) = fake.component("more:2", message, TEST_USER_ID, "en-US");
    fake.send_interaction(p).await;
    let cb = fake
        .wait_for_response(cid, TIMEOUT)
        .await
        .expect("click answered");
    assert_eq!(
        (cb.status, cb.callback_type()),
        (204, Some(callback::UPDATE_MESSAGE))
    );
    assert_eq!(
        fake.original_message(&ctoken).unwrap()["content"],
        "page for more:2"
    );

    // Message context menu.
    let (id, _, p) = fake.message_context(
        "Check quote",
        "hello",
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    fake.send_interaction(p).await;
    let cb = fake
        .wait_for_response(id, TIMEOUT)
        .await
        .expect("context menu answered");
    assert_eq!(
        (cb.content(), cb.flags()),
        (Some("checked 5 chars"), Some(64))
    );

    let _ = tokio::time::timeout(Duration::from_secs(10), shard_manager.shutdown_all()).await;
    let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
}
