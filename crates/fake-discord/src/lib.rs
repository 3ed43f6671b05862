//! An in-process fake Discord for end-to-end tests of the bot.
//!
//! One axum server on `127.0.0.1:0` serves both the REST API (under `/api/v10/...`) and a gateway
//! websocket (at `/gateway`). Point serenity at it with
//!
//! ```ignore
//! let http = serenity::all::HttpBuilder::new("fake-token-for-tests")
//!     .proxy(fake.proxy_url())
//!     .ratelimiter_disabled(true)
//!     .build();
//! let client = serenity::all::ClientBuilder::new_with_http(http, intents)...;
//! ```
//!
//! Both `proxy` and `ratelimiter_disabled(true)` are needed: serenity's rate limiter builds its
//! requests without the proxy and would try to reach the real discord.com.
//!
//! What the fake does:
//! - records every REST request ([`RecordedRequest`]), with JSON or multipart bodies;
//! - answers the routes a poise/serenity bot uses with objects serenity 0.12.5 deserializes (each
//!   shape is checked by `tests/it/fake_discord_selftest.rs`);
//! - keeps a small message store, so `@original` edits, followups and component updates act like
//!   Discord (a deferred response is filled by the first followup, etc.);
//! - checks message bodies against Discord's size limits and answers 400 / 50035 like Discord does
//!   (see [`FakeDiscord::set_strict_validation`]);
//! - runs the gateway handshake (HELLO, IDENTIFY → READY + GUILD_CREATE, heartbeat ACKs, RESUME →
//!   replay + RESUMED) and can inject faults (dropped connection, op 7, op 9, failing callbacks).
//!
//! Snowflakes are sent as JSON strings, like Discord does.
//!
//! serenity 0.12.5 behaviour worth knowing when writing tests against this fake:
//! - a dispatch serenity cannot deserialize becomes `Event::Unknown` with no log line; the only
//!   symptom is a timeout. A `RawEventHandler` that counts `Event::Unknown` makes it visible.
//! - a focused autocomplete option must carry a *string* value, whatever the option type.
//! - op 9 with `d: false` (and any other re-IDENTIFY) costs ~5 s: the shard runner asks the
//!   manager to restart itself and the manager waits 5 s for a shutdown the runner cannot ack.
//!   Drops, op 7 and resumable op 9 RESUME within milliseconds.
//! - serenity connects to the URL from `GET /gateway` plus `?v=10`, ignores
//!   `resume_gateway_url`, asks for `compress: true` in IDENTIFY but accepts plain text frames.
//! - `CreateInteractionResponseFollowup` always serializes `embeds: []` and `attachments: []`
//!   (and `CreateInteractionResponseMessage` `attachments: []`), so editing a followup or
//!   answering UPDATE_MESSAGE with them drops existing embeds/files; the fake does the same.
//! - serenity's builders refuse content over 2000 chars, more than 10 embeds and more than 6000
//!   embed chars client-side (`Error::Model`, no request is made); per-field embed limits,
//!   component and autocomplete-choice limits are only enforced by Discord, and by this fake.
//!
//! Layout: [`protocol`] names Discord's numbers; `gateway` runs the websocket, `rest` routes
//! the REST API, `store` keeps the state and the message store, `validate` checks bodies against
//! Discord's limits, `objects` builds the JSON objects and `builders` the interaction payloads.

mod builders;
mod cdn;
mod gateway;
mod objects;
pub mod protocol;
mod record;
mod rest;
mod store;
mod validate;

use std::net::SocketAddr;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::extract::DefaultBodyLimit;
use axum::routing::get;
use axum::Router;
use tokio::sync::{watch, Notify};
use tokio::task::JoinHandle;

pub use builders::Ask;
pub use objects::{
    application_info_object, bot_user_object, channel_object, guild_object, member_object,
    user_object,
};
pub use record::RecordedRequest;

use protocol::permission;
use store::{FakeState, Inner};

/// Application id of the fake bot. Equal to [`BOT_USER_ID`], as for every modern Discord app.
pub const APP_ID: u64 = 1_180_000_000_000_000_001;
/// User id of the fake bot (the READY `user`, the author of the bot's messages).
pub const BOT_USER_ID: u64 = APP_ID;
/// User id of the application owner (`owner` in `GET /oauth2/applications/@me`).
pub const OWNER_ID: u64 = 1_180_000_000_000_000_002;
/// The one guild the bot is in.
pub const GUILD_ID: u64 = 1_180_000_000_000_000_010;
/// The one text channel of [`GUILD_ID`]; all interactions come from it.
pub const CHANNEL_ID: u64 = 1_180_000_000_000_000_020;
/// Author of the target messages built by [`FakeDiscord::message_context`].
pub const OTHER_USER_ID: u64 = 1_180_000_000_000_000_030;
/// A convenient default invoking user.
pub const TEST_USER_ID: u64 = 1_180_000_000_000_000_100;
/// Name of the fake bot user.
pub const BOT_USERNAME: &str = "FakeCoverageBot";

/// Discord permission bit `ADMINISTRATOR`.
pub const PERM_ADMINISTRATOR: u64 = permission::ADMINISTRATOR;
/// Discord permission bit `MANAGE_GUILD`.
pub const PERM_MANAGE_GUILD: u64 = permission::MANAGE_GUILD;
/// Discord permission bit `MENTION_EVERYONE`.
pub const PERM_MENTION_EVERYONE: u64 = permission::MENTION_EVERYONE;
/// Permissions of an ordinary member: view channel, send messages, embed links, attach files, read
/// history, add reactions, external emojis, use application commands.
pub const DEFAULT_MEMBER_PERMISSIONS: u64 = permission::ADD_REACTIONS
    | permission::VIEW_CHANNEL
    | permission::SEND_MESSAGES
    | permission::EMBED_LINKS
    | permission::ATTACH_FILES
    | permission::READ_MESSAGE_HISTORY
    | permission::USE_EXTERNAL_EMOJIS
    | permission::USE_APPLICATION_COMMANDS;
/// Default `app_permissions` sent with every interaction (the bot's permissions in the channel).
/// Change with [`FakeDiscord::set_app_permissions`].
pub const DEFAULT_APP_PERMISSIONS: u64 =
    DEFAULT_MEMBER_PERMISSIONS | permission::SEND_MESSAGES_IN_THREADS;

/// Heartbeat interval announced in HELLO, in milliseconds.
pub const HEARTBEAT_INTERVAL_MS: u64 = 1000;
/// How long [`FakeDiscord::send_interaction`] waits for a live gateway connection.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
/// Largest request body the fake reads.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// The fake Discord server. Dropping it stops the server and closes gateway connections.
pub struct FakeDiscord {
    inner: Arc<Inner>,
    addr: SocketAddr,
    server: JoinHandle<()>,
}

impl Drop for FakeDiscord {
    fn drop(&mut self) {
        let _ = self.inner.shutdown.send(true);
        self.server.abort();
    }
}

impl FakeDiscord {
    /// See [`APP_ID`].
    pub const APP_ID: u64 = APP_ID;
    /// See [`BOT_USER_ID`].
    pub const BOT_USER_ID: u64 = BOT_USER_ID;
    /// See [`OWNER_ID`].
    pub const OWNER_ID: u64 = OWNER_ID;
    /// See [`GUILD_ID`].
    pub const GUILD_ID: u64 = GUILD_ID;
    /// See [`CHANNEL_ID`].
    pub const CHANNEL_ID: u64 = CHANNEL_ID;
    /// See [`OTHER_USER_ID`].
    pub const OTHER_USER_ID: u64 = OTHER_USER_ID;
    /// See [`TEST_USER_ID`].
    pub const TEST_USER_ID: u64 = TEST_USER_ID;

    /// Binds `127.0.0.1:0` and starts serving REST and the gateway.
    pub async fn start() -> FakeDiscord {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("fake discord: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("fake discord: local_addr");
        let now_ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_millis() as u64)
            .unwrap_or(DISCORD_EPOCH_MS + 1);
        let (shutdown, _) = watch::channel(false);
        let inner = Arc::new(Inner {
            port: addr.port(),
            state: Mutex::new(FakeState {
                app_permissions: DEFAULT_APP_PERMISSIONS,
                strict: true,
                ..FakeState::default()
            }),
            notify: Notify::new(),
            next_id: AtomicU64::new((now_ms.saturating_sub(DISCORD_EPOCH_MS)) << 22),
            next_conn: AtomicU64::new(1),
            shutdown,
        });
        let app = Router::new()
            .route("/gateway", get(gateway::ws_handler))
            .route("/gateway/", get(gateway::ws_handler))
            .route("/attachments/:id/:filename", get(cdn::attachment_handler))
            .fallback(rest::rest_handler)
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(Arc::clone(&inner));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        FakeDiscord {
            inner,
            addr,
            server,
        }
    }

    /// A serenity `Http` talking to this fake (proxy set, rate limiter off, application id
    /// [`APP_ID`]), for driving REST routes without a gateway client.
    pub fn serenity_http(&self, token: &str) -> serenity::all::Http {
        let http = serenity::all::HttpBuilder::new(token)
            .proxy(self.proxy_url())
            .ratelimiter_disabled(true)
            .build();
        http.set_application_id(serenity::all::ApplicationId::new(APP_ID));
        http
    }

    /// `http://127.0.0.1:PORT`, for `HttpBuilder::proxy`.
    pub fn proxy_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The gateway URL the fake hands out (`ws://127.0.0.1:PORT/gateway`).
    pub fn gateway_url(&self) -> String {
        self.inner.ws_url()
    }

    // ------------------------------------------------------------------------------------------
    // Waiting

    async fn wait_until<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&FakeState) -> Option<T>,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(v) = check(&self.inner.st()) {
                return Some(v);
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return check(&self.inner.st());
            }
        }
    }

    /// True once the bot has IDENTIFYed and been sent READY (at least once since start).
    pub async fn wait_ready(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |st| (st.ready_count > 0).then_some(()))
            .await
            .is_some()
    }

    /// True once a gateway connection is live (READY or RESUMED sent, and no fault injected since).
    pub async fn wait_live(&self, timeout: Duration) -> bool {
        self.wait_until(timeout, |st| st.live.as_ref().map(|_| ()))
            .await
            .is_some()
    }

    /// Waits until [`Self::identify_count`] reaches `n`.
    pub async fn wait_identify_count(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |st| (st.identify_count >= n).then_some(()))
            .await
            .is_some()
    }

    /// Waits until [`Self::resume_count`] reaches `n`.
    pub async fn wait_resume_count(&self, n: usize, timeout: Duration) -> bool {
        self.wait_until(timeout, |st| (st.resume_count >= n).then_some(()))
            .await
            .is_some()
    }

    /// Waits for a successful `PUT .../commands` (global or guild) and returns its request body
    /// (the array of commands the bot registered). Returns the most recent one.
    pub async fn wait_commands_registered(&self, timeout: Duration) -> Option<serde_json::Value> {
        self.wait_until(timeout, |st| st.last_commands_put.clone())
            .await
    }

    /// The first callback (`POST /interactions/{id}/{token}/callback`) recorded for this
    /// interaction, whatever its status (so injected failures are returned too).
    pub async fn wait_for_response(
        &self,
        interaction_id: u64,
        timeout: Duration,
    ) -> Option<RecordedRequest> {
        self.wait_for_request(|r| r.interaction_id() == Some(interaction_id), timeout)
            .await
    }

    /// The first recorded request (since start) matching `pred`.
    pub async fn wait_for_request(
        &self,
        pred: impl Fn(&RecordedRequest) -> bool,
        timeout: Duration,
    ) -> Option<RecordedRequest> {
        self.wait_until(timeout, |st| st.requests.iter().find(|r| pred(r)).cloned())
            .await
    }

    /// Waits until at least `n` recorded requests match `pred`, and returns all of them.
    pub async fn wait_for_requests(
        &self,
        n: usize,
        pred: impl Fn(&RecordedRequest) -> bool,
        timeout: Duration,
    ) -> Option<Vec<RecordedRequest>> {
        self.wait_until(timeout, |st| {
            let found: Vec<_> = st.requests.iter().filter(|r| pred(r)).cloned().collect();
            (found.len() >= n).then_some(found)
        })
        .await
    }

    // ------------------------------------------------------------------------------------------
    // Inspection

    /// All recorded REST requests, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.inner.st().requests.clone()
    }

    /// Callbacks, followups and webhook edits/gets for one interaction token, in arrival order
    /// (failed ones included; check [`RecordedRequest::status`]).
    pub fn messages_for(&self, token: &str) -> Vec<RecordedRequest> {
        self.inner
            .st()
            .requests
            .iter()
            .filter(|r| r.interaction_token() == Some(token))
            .cloned()
            .collect()
    }

    /// The current state of the interaction's original response message (after callback 4/5/7 and
    /// any `@original` edits / first followup after a defer), as a full Message object.
    pub fn original_message(&self, token: &str) -> Option<serde_json::Value> {
        let st = self.inner.st();
        st.originals
            .get(token)
            .and_then(|id| st.messages.get(id))
            .cloned()
    }

    /// A stored message (sent by the bot, or built by the fake) by id.
    pub fn message(&self, id: u64) -> Option<serde_json::Value> {
        self.inner.st().messages.get(&id).cloned()
    }

    /// Duration from the INTERACTION_CREATE frame being written to the first callback for it.
    pub fn response_latency(&self, interaction_id: u64) -> Option<Duration> {
        let st = self.inner.st();
        let sent = *st.sent_at.get(&interaction_id)?;
        let cb = st
            .requests
            .iter()
            .find(|r| r.interaction_id() == Some(interaction_id))?;
        Some(cb.at.saturating_duration_since(sent))
    }

    /// Number of IDENTIFY (op 2) payloads received.
    pub fn identify_count(&self) -> usize {
        self.inner.st().identify_count
    }

    /// Number of RESUME (op 6) payloads received (accepted or not).
    pub fn resume_count(&self) -> usize {
        self.inner.st().resume_count
    }

    /// Number of gateway websocket connections accepted.
    pub fn connection_count(&self) -> usize {
        self.inner.st().connection_count
    }

    /// The `d` of the last IDENTIFY (token, intents, shard, properties, ...).
    pub fn last_identify(&self) -> Option<serde_json::Value> {
        self.inner.st().last_identify.clone()
    }

    /// Query strings of the gateway connections (serenity sends `v=10`).
    pub fn gateway_queries(&self) -> Vec<String> {
        self.inner.st().gateway_queries.clone()
    }

    /// Non-heartbeat payloads the client sent over the gateway, in order.
    pub fn gateway_frames(&self) -> Vec<serde_json::Value> {
        self.inner.st().client_frames.clone()
    }

    /// The commands of the last successful global `PUT`, as echoed back (with ids).
    pub fn global_commands(&self) -> Option<serde_json::Value> {
        self.inner.st().global_commands.clone()
    }

    /// The commands of the last successful guild `PUT`, as echoed back (with ids).
    pub fn guild_commands(&self) -> Option<serde_json::Value> {
        self.inner.st().guild_commands.clone()
    }

    // ------------------------------------------------------------------------------------------
    // Settings and faults

    /// The next `count` interaction callbacks answer `status` (e.g. 500, or 429 with
    /// `retry_after` and rate-limit headers) instead of being processed.
    pub fn fail_next_callbacks(&self, status: u16, count: usize) {
        self.inner
            .st()
            .fail_callbacks
            .extend(std::iter::repeat_n(status, count));
    }

    /// The next `count` webhook requests (followups, `@original` edits) answer `status`.
    pub fn fail_next_webhooks(&self, status: u16, count: usize) {
        self.inner
            .st()
            .fail_webhooks
            .extend(std::iter::repeat_n(status, count));
    }

    /// Callbacks arriving later than `deadline` after the INTERACTION_CREATE was written get
    /// 404 / 10062 "Unknown interaction", like Discord after 3 s. Off (`None`) by default.
    pub fn set_callback_deadline(&self, deadline: Option<Duration>) {
        self.inner.st().callback_deadline = deadline;
    }

    /// `app_permissions` sent with the next built interactions.
    pub fn set_app_permissions(&self, permissions: u64) {
        self.inner.st().app_permissions = permissions;
    }

    /// When on (the default), message bodies over Discord's limits are refused with 400 / 50035
    /// (and empty messages with 400 / 50006), as Discord does.
    pub fn set_strict_validation(&self, strict: bool) {
        self.inner.st().strict = strict;
    }

    /// When set, every REST call gets 401 Unauthorized, as for a token Discord rejects.
    pub fn set_reject_auth(&self, reject: bool) {
        self.inner.st().reject_auth = reject;
    }
}
