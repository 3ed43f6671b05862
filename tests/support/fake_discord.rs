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
//!   shape is checked by `tests/fake_discord_selftest.rs`);
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

use std::collections::{HashMap, HashSet, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::ws::{Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{DefaultBodyLimit, FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, oneshot, watch, Notify};
use tokio::task::JoinHandle;

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
pub const PERM_ADMINISTRATOR: u64 = 1 << 3;
/// Discord permission bit `MANAGE_GUILD`.
pub const PERM_MANAGE_GUILD: u64 = 1 << 5;
/// Discord permission bit `MENTION_EVERYONE`.
pub const PERM_MENTION_EVERYONE: u64 = 1 << 17;
/// Permissions of an ordinary member: view channel, send messages, embed links, attach files, read
/// history, add reactions, external emojis, use application commands.
pub const DEFAULT_MEMBER_PERMISSIONS: u64 =
    (1 << 6) | (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 18) | (1 << 31);
/// Default `app_permissions` sent with every interaction (the bot's permissions in the channel).
/// Change with [`FakeDiscord::set_app_permissions`].
pub const DEFAULT_APP_PERMISSIONS: u64 = DEFAULT_MEMBER_PERMISSIONS | (1 << 38);

/// Heartbeat interval announced in HELLO, in milliseconds.
pub const HEARTBEAT_INTERVAL_MS: u64 = 1000;
/// How long [`FakeDiscord::send_interaction`] waits for a live gateway connection.
pub const SEND_TIMEOUT: Duration = Duration::from_secs(10);

const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;
const MEMBER_JOINED_AT: &str = "2024-01-01T00:00:00.000000+00:00";
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// One REST request the fake received, and how it answered.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// HTTP method, upper case (`"POST"`).
    pub method: String,
    /// Path without the query, e.g. `/api/v10/interactions/123/tok/callback`.
    pub path: String,
    /// Raw query string without `?` (empty if none).
    pub query: String,
    /// JSON body; for multipart requests the parsed `payload_json`. `Null` if there was none.
    pub body: serde_json::Value,
    /// Uploaded files (multipart `files[n]` parts) as `(filename, bytes)`, in upload order.
    pub files: Vec<(String, Vec<u8>)>,
    /// When the fake received the request.
    pub at: Instant,
    /// HTTP status the fake answered.
    pub status: u16,
    /// JSON the fake answered (`Null` for 204).
    pub response: serde_json::Value,
}

impl RecordedRequest {
    fn segments(&self) -> Vec<&str> {
        self.path
            .trim_start_matches("/api/v10/")
            .split('/')
            .collect()
    }

    /// True for `POST /interactions/{id}/{token}/callback`.
    pub fn is_callback(&self) -> bool {
        let s = self.segments();
        self.method == "POST" && s.len() == 4 && s[0] == "interactions" && s[3] == "callback"
    }

    /// True for requests on `/webhooks/{app}/{token}...` (followups and `@original` edits).
    pub fn is_webhook(&self) -> bool {
        let s = self.segments();
        s.len() >= 3 && s[0] == "webhooks"
    }

    /// The interaction id of a callback request.
    pub fn interaction_id(&self) -> Option<u64> {
        if self.is_callback() {
            self.segments()[1].parse().ok()
        } else {
            None
        }
    }

    /// The interaction token of a callback or webhook request.
    pub fn interaction_token(&self) -> Option<&str> {
        let path = self.path.trim_start_matches("/api/v10/");
        let mut it = path.split('/');
        match (it.next(), it.next(), it.next()) {
            (Some("interactions"), Some(_), Some(tok)) if self.is_callback() => Some(tok),
            (Some("webhooks"), Some(_), Some(tok)) => Some(tok),
            _ => None,
        }
    }

    /// The callback `type` (4 message, 5 defer, 6 deferred update, 7 update, 8 autocomplete, 9
    /// modal) of a callback request.
    pub fn callback_type(&self) -> Option<u64> {
        if self.is_callback() {
            self.body.get("type").and_then(Value::as_u64)
        } else {
            None
        }
    }

    /// The message-like part of the body: `data` for callbacks, the body itself otherwise.
    pub fn message_body(&self) -> Option<&Value> {
        if self.is_callback() {
            self.body.get("data")
        } else if self.body.is_object() {
            Some(&self.body)
        } else {
            None
        }
    }

    /// `content` of [`Self::message_body`], if any.
    pub fn content(&self) -> Option<&str> {
        self.message_body()?.get("content")?.as_str()
    }

    /// `flags` of [`Self::message_body`], if any.
    pub fn flags(&self) -> Option<u64> {
        self.message_body()?.get("flags")?.as_u64()
    }

    /// True if the fake answered 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// Commands for one gateway connection task.
enum ConnCmd {
    /// Write a text frame. Acknowledged with the write time once written; `interaction` is the id
    /// of an INTERACTION_CREATE, whose send time is recorded.
    Send {
        frame: String,
        ack: Option<oneshot::Sender<Instant>>,
        interaction: Option<u64>,
    },
    /// Drop the TCP connection without a close frame.
    Drop,
}

#[derive(Clone)]
struct LiveConn {
    id: u64,
    tx: mpsc::UnboundedSender<ConnCmd>,
    session: String,
}

struct Upload {
    index: Option<u64>,
    filename: String,
    data: Vec<u8>,
}

#[derive(Default)]
struct FakeState {
    requests: Vec<RecordedRequest>,
    /// Answer every REST call with 401, as Discord does for a bad token.
    reject_auth: bool,
    // gateway
    connection_count: usize,
    identify_count: usize,
    resume_count: usize,
    ready_count: usize,
    gateway_queries: Vec<String>,
    client_frames: Vec<Value>,
    last_identify: Option<Value>,
    conns: HashMap<u64, mpsc::UnboundedSender<ConnCmd>>,
    live: Option<LiveConn>,
    session_id: Option<String>,
    session_counter: u64,
    seq: u64,
    event_log: Vec<(u64, String)>,
    // interactions
    tokens: HashMap<String, u64>,
    sent_at: HashMap<u64, Instant>,
    acknowledged: HashSet<u64>,
    fail_callbacks: VecDeque<u16>,
    fail_webhooks: VecDeque<u16>,
    callback_deadline: Option<Duration>,
    app_permissions: u64,
    strict: bool,
    // commands
    command_ids: HashMap<String, u64>,
    global_commands: Option<Value>,
    guild_commands: Option<Value>,
    last_commands_put: Option<Value>,
    // messages
    messages: HashMap<u64, Value>,
    originals: HashMap<String, u64>,
    deferred: HashSet<String>,
    component_messages: HashMap<String, u64>,
}

struct Inner {
    port: u16,
    state: Mutex<FakeState>,
    notify: Notify,
    next_id: AtomicU64,
    next_conn: AtomicU64,
    shutdown: watch::Sender<bool>,
}

impl Inner {
    fn st(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/gateway", self.port)
    }
}

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
            .route("/gateway", get(ws_handler))
            .route("/gateway/", get(ws_handler))
            .fallback(rest_handler)
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

    /// Closes every gateway connection abruptly (TCP closed, no close frame).
    pub async fn drop_gateway(&self) {
        let mut st = self.inner.st();
        st.live = None;
        for tx in st.conns.values() {
            let _ = tx.send(ConnCmd::Drop);
        }
    }

    async fn take_live(&self) -> Option<LiveConn> {
        let live = self.wait_until(SEND_TIMEOUT, |st| st.live.clone()).await?;
        let mut st = self.inner.st();
        if st.live.as_ref().map(|l| l.id) == Some(live.id) {
            st.live = None;
        }
        Some(live)
    }

    /// Sends op 7 RECONNECT on the live connection (waiting up to [`SEND_TIMEOUT`] for one). The
    /// connection is no longer used for dispatches; the client should RESUME on a new one.
    pub async fn send_reconnect(&self) {
        if let Some(live) = self.take_live().await {
            let _ = live.tx.send(ConnCmd::Send {
                frame: json!({"op": 7, "d": null, "s": null, "t": null}).to_string(),
                ack: None,
                interaction: None,
            });
        }
    }

    /// Sends op 9 INVALID_SESSION `d: resumable` on the live connection. When not resumable the
    /// session is forgotten, so a RESUME is refused (another op 9 false) and the bot must
    /// IDENTIFY again. Note: serenity 0.12.5 waits ~5 s before re-identifying.
    pub async fn send_invalid_session(&self, resumable: bool) {
        if let Some(live) = self.take_live().await {
            if !resumable {
                let mut st = self.inner.st();
                if st.session_id.as_deref() == Some(live.session.as_str()) {
                    st.session_id = None;
                }
            }
            let _ = live.tx.send(ConnCmd::Send {
                frame: json!({"op": 9, "d": resumable, "s": null, "t": null}).to_string(),
                ack: None,
                interaction: None,
            });
        }
    }

    // ------------------------------------------------------------------------------------------
    // Dispatch

    /// Sends INTERACTION_CREATE with `payload` as `d` over the newest live gateway connection
    /// (waiting up to [`SEND_TIMEOUT`] for one) and returns when the frame was written.
    /// Panics if no connection becomes live.
    pub async fn send_interaction(&self, payload: serde_json::Value) -> Instant {
        self.try_send_dispatch("INTERACTION_CREATE", payload, SEND_TIMEOUT)
            .await
            .expect("fake discord: no live gateway connection to send INTERACTION_CREATE on")
    }

    /// Sends any dispatch event `{"op":0,"t":event,"s":N,"d":data}` on the live connection.
    /// Returns the write time, or `None` if no connection became live within `timeout`. If the
    /// connection dies before the write, the event is replayed on RESUME or re-sent after a new
    /// IDENTIFY.
    pub async fn try_send_dispatch(
        &self,
        event: &str,
        data: serde_json::Value,
        timeout: Duration,
    ) -> Option<Instant> {
        let deadline = tokio::time::Instant::now() + timeout;
        let interaction = if event == "INTERACTION_CREATE" {
            let id = data.get("id").and_then(snowflake_of);
            if let (Some(id), Some(token)) = (id, data.get("token").and_then(Value::as_str)) {
                self.inner.st().tokens.insert(token.to_string(), id);
            }
            id
        } else {
            None
        };
        // (session, seq, connection) of a frame queued on a connection that died.
        let mut pending: Option<(String, u64, u64)> = None;
        loop {
            let remaining = deadline.saturating_duration_since(tokio::time::Instant::now());
            let failed_conn = pending.as_ref().map(|p| p.2);
            let live = self
                .wait_until(remaining, |st| {
                    st.live.clone().filter(|l| Some(l.id) != failed_conn)
                })
                .await?;
            let (ack_tx, ack_rx) = oneshot::channel();
            let seq;
            {
                let mut st = self.inner.st();
                if st.live.as_ref().map(|l| l.id) != Some(live.id) {
                    continue;
                }
                if let Some((session, seq, _)) = &pending {
                    let replayed =
                        live.session == *session && st.event_log.iter().any(|(s, _)| s == seq);
                    if replayed {
                        // The RESUME handler replayed it on the new connection.
                        let now = Instant::now();
                        if let Some(id) = interaction {
                            st.sent_at.entry(id).or_insert(now);
                        }
                        return Some(now);
                    }
                }
                st.seq += 1;
                seq = st.seq;
                let frame = json!({"op": 0, "t": event, "s": seq, "d": data}).to_string();
                st.event_log.push((seq, frame.clone()));
                let _ = live.tx.send(ConnCmd::Send {
                    frame,
                    ack: Some(ack_tx),
                    interaction,
                });
            }
            match tokio::time::timeout_at(deadline, ack_rx).await {
                Ok(Ok(at)) => return Some(at),
                Ok(Err(_)) => pending = Some((live.session.clone(), seq, live.id)),
                Err(_) => return None,
            }
        }
    }

    // ------------------------------------------------------------------------------------------
    // Payload builders

    fn new_token(&self, id: u64) -> String {
        format!("fake_itoken_{id:x}_{:x}", self.inner.next_id())
    }

    fn command_id(&self, name: &str) -> u64 {
        let mut st = self.inner.st();
        if let Some(id) = st.command_ids.get(name) {
            return *id;
        }
        let id = self.inner.next_id();
        st.command_ids.insert(name.to_string(), id);
        id
    }

    fn base_interaction(
        &self,
        kind: u8,
        user: u64,
        locale: &str,
        permissions: u64,
    ) -> (u64, String, Map<String, Value>) {
        let id = self.inner.next_id();
        let token = self.new_token(id);
        let app_permissions = {
            let mut st = self.inner.st();
            st.tokens.insert(token.clone(), id);
            st.app_permissions
        };
        let mut m = Map::new();
        m.insert("id".into(), json!(id.to_string()));
        m.insert("application_id".into(), json!(APP_ID.to_string()));
        m.insert("type".into(), json!(kind));
        m.insert("token".into(), json!(token));
        m.insert("version".into(), json!(1));
        m.insert("guild_id".into(), json!(GUILD_ID.to_string()));
        m.insert("channel_id".into(), json!(CHANNEL_ID.to_string()));
        m.insert("channel".into(), partial_channel_object(app_permissions));
        m.insert("member".into(), member_object(user, permissions));
        m.insert("app_permissions".into(), json!(app_permissions.to_string()));
        m.insert("locale".into(), json!(locale));
        m.insert("guild_locale".into(), json!("en-US"));
        m.insert("entitlements".into(), json!([]));
        m.insert(
            "authorizing_integration_owners".into(),
            json!({"0": GUILD_ID.to_string()}),
        );
        m.insert("context".into(), json!(0));
        m.insert("attachment_size_limit".into(), json!(26_214_400));
        (id, token, m)
    }

    /// A slash command (interaction type 2, data type 1) in [`GUILD_ID`] / [`CHANNEL_ID`].
    /// `options` uses Discord's shape, e.g. `json!([{"name":"question","type":3,"value":"..."}])`
    /// (pass `json!([])` or `Value::Null` for none). Values must have the registered type: a
    /// STRING option sent as a JSON number makes serenity drop the whole event, silently.
    /// `permissions` are the member's permissions. Returns `(interaction id, token, payload)`.
    pub fn slash_command(
        &self,
        name: &str,
        options: serde_json::Value,
        user: u64,
        locale: &str,
        permissions: u64,
    ) -> (u64, String, serde_json::Value) {
        let (id, token, mut m) = self.base_interaction(2, user, locale, permissions);
        m.insert(
            "data".into(),
            json!({
                "id": self.command_id(name).to_string(),
                "name": name,
                "type": 1,
                "options": options_or_empty(options),
                "guild_id": GUILD_ID.to_string(),
            }),
        );
        (id, token, Value::Object(m))
    }

    /// An autocomplete request (interaction type 4) for command `name`. One option in `options`
    /// should carry `"focused": true`; its value is turned into a string if it is not one
    /// (serenity 0.12.5 only accepts string values for focused options). The member has
    /// [`DEFAULT_MEMBER_PERMISSIONS`].
    pub fn autocomplete(
        &self,
        name: &str,
        options: serde_json::Value,
        user: u64,
        locale: &str,
    ) -> (u64, String, serde_json::Value) {
        let (id, token, mut m) = self.base_interaction(4, user, locale, DEFAULT_MEMBER_PERMISSIONS);
        let mut options = options_or_empty(options);
        stringify_focused(&mut options);
        m.insert(
            "data".into(),
            json!({
                "id": self.command_id(name).to_string(),
                "name": name,
                "type": 1,
                "options": options,
                "guild_id": GUILD_ID.to_string(),
            }),
        );
        (id, token, Value::Object(m))
    }

    /// A button click (interaction type 3, `component_type` 2) on `message` (a Message object,
    /// e.g. from [`Self::original_message`] or a recorded response; missing required fields are
    /// filled in). A later callback 6/7 on this interaction updates that message.
    pub fn component(
        &self,
        custom_id: &str,
        message: serde_json::Value,
        user: u64,
        locale: &str,
    ) -> (u64, String, serde_json::Value) {
        self.component_inner(
            json!({"custom_id": custom_id, "component_type": 2}),
            message,
            user,
            locale,
        )
    }

    /// A string-select choice (interaction type 3, `component_type` 3, `values`) on `message`.
    pub fn select_menu(
        &self,
        custom_id: &str,
        values: &[&str],
        message: serde_json::Value,
        user: u64,
        locale: &str,
    ) -> (u64, String, serde_json::Value) {
        self.component_inner(
            json!({"custom_id": custom_id, "component_type": 3, "values": values}),
            message,
            user,
            locale,
        )
    }

    fn component_inner(
        &self,
        data: Value,
        message: Value,
        user: u64,
        locale: &str,
    ) -> (u64, String, Value) {
        let (id, token, mut m) = self.base_interaction(3, user, locale, DEFAULT_MEMBER_PERMISSIONS);
        let message = self.complete_message(message);
        if let Some(mid) = message.get("id").and_then(snowflake_of) {
            let mut st = self.inner.st();
            st.messages.entry(mid).or_insert_with(|| message.clone());
            st.component_messages.insert(token.clone(), mid);
        }
        m.insert("data".into(), data);
        m.insert("message".into(), message);
        (id, token, Value::Object(m))
    }

    /// A modal submission (interaction type 5) with one text input per `(custom_id, value)`.
    pub fn modal_submit(
        &self,
        custom_id: &str,
        fields: &[(&str, &str)],
        user: u64,
        locale: &str,
    ) -> (u64, String, serde_json::Value) {
        let (id, token, mut m) = self.base_interaction(5, user, locale, DEFAULT_MEMBER_PERMISSIONS);
        let rows: Vec<Value> = fields
            .iter()
            .map(|(cid, value)| {
                json!({"type": 1, "components": [{"type": 4, "custom_id": cid, "value": value, "style": 1, "label": cid}]})
            })
            .collect();
        m.insert(
            "data".into(),
            json!({"custom_id": custom_id, "components": rows}),
        );
        (id, token, Value::Object(m))
    }

    /// A message context-menu command (interaction type 2, data type 3) on a new message by
    /// [`OTHER_USER_ID`] with `target_message_content`; `data.target_id` and
    /// `data.resolved.messages` are filled in. The target message is stored
    /// (see [`Self::message`]).
    pub fn message_context(
        &self,
        name: &str,
        target_message_content: &str,
        user: u64,
        locale: &str,
        permissions: u64,
    ) -> (u64, String, serde_json::Value) {
        let (id, token, mut m) = self.base_interaction(2, user, locale, permissions);
        let mid = self.inner.next_id();
        let mut target = message_skeleton(mid, CHANNEL_ID, user_object(OTHER_USER_ID), 0);
        target["content"] = json!(target_message_content);
        self.inner.st().messages.insert(mid, target.clone());
        let mut resolved = Map::new();
        resolved.insert(mid.to_string(), target);
        m.insert(
            "data".into(),
            json!({
                "id": self.command_id(name).to_string(),
                "name": name,
                "type": 3,
                "target_id": mid.to_string(),
                "resolved": {"messages": resolved},
                "guild_id": GUILD_ID.to_string(),
            }),
        );
        (id, token, Value::Object(m))
    }

    /// Fills in the fields serenity requires on a Message object (id, channel_id, author,
    /// timestamp, ...), keeping the given ones.
    pub fn complete_message(&self, message: serde_json::Value) -> serde_json::Value {
        let mid = message
            .get("id")
            .and_then(snowflake_of)
            .unwrap_or_else(|| self.inner.next_id());
        let mut full = message_skeleton(mid, CHANNEL_ID, bot_user_object(), 0);
        if let (Some(full), Value::Object(given)) = (full.as_object_mut(), message) {
            for (k, v) in given {
                if !v.is_null() || !REQUIRED_MESSAGE_FIELDS.contains(&k.as_str()) {
                    full.insert(k, v);
                }
            }
        }
        full
    }

    /// The READY `d` the fake sends for `session_id`.
    pub fn ready_payload(&self, session_id: &str) -> serde_json::Value {
        ready_payload(&self.inner.ws_url(), session_id, json!([0, 1]))
    }

    /// The GUILD_CREATE `d` the fake sends after READY.
    pub fn guild_create_payload(&self) -> serde_json::Value {
        guild_object()
    }
}

const REQUIRED_MESSAGE_FIELDS: &[&str] = &[
    "id",
    "channel_id",
    "author",
    "content",
    "timestamp",
    "tts",
    "mention_everyone",
    "mentions",
    "mention_roles",
    "attachments",
    "embeds",
    "pinned",
    "type",
];

fn snowflake_of(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

fn options_or_empty(options: Value) -> Value {
    if options.is_null() {
        json!([])
    } else {
        options
    }
}

fn stringify_focused(options: &mut Value) {
    if let Some(arr) = options.as_array_mut() {
        for opt in arr {
            if opt.get("focused").and_then(Value::as_bool) == Some(true) {
                if let Some(v) = opt.get_mut("value") {
                    if !v.is_string() {
                        let text = match &*v {
                            Value::Null => String::new(),
                            other => other.to_string(),
                        };
                        *v = Value::String(text);
                    }
                }
            }
            if let Some(sub) = opt.get_mut("options") {
                stringify_focused(sub);
            }
        }
    }
}

/// Installs a `tracing` subscriber writing to the test output, filtered by `RUST_LOG`, if
/// `RUST_LOG` is set (e.g. `RUST_LOG=serenity=debug`). Safe to call from every test.
pub fn init_test_logging() {
    if std::env::var_os("RUST_LOG").is_some() {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
            .with_test_writer()
            .with_ansi(false)
            .try_init();
    }
}

fn now_timestamp() -> String {
    serenity::model::Timestamp::now().to_string()
}

// ----------------------------------------------------------------------------------------------
// JSON objects

/// A User object for an ordinary (non-bot) user.
pub fn user_object(id: u64) -> serde_json::Value {
    json!({
        "id": id.to_string(),
        "username": format!("user{}", id % 100_000),
        "discriminator": "0",
        "global_name": format!("Test User {}", id % 100_000),
        "avatar": null,
        "bot": false,
        "public_flags": 0,
    })
}

/// The bot's User object.
pub fn bot_user_object() -> serde_json::Value {
    json!({
        "id": BOT_USER_ID.to_string(),
        "username": BOT_USERNAME,
        "discriminator": "0",
        "global_name": null,
        "avatar": null,
        "bot": true,
        "public_flags": 0,
        "flags": 0,
        "verified": true,
        "mfa_enabled": false,
    })
}

/// A guild Member object (with `user`) holding `permissions`.
pub fn member_object(user: u64, permissions: u64) -> serde_json::Value {
    json!({
        "user": user_object(user),
        "nick": null,
        "avatar": null,
        "roles": [],
        "joined_at": MEMBER_JOINED_AT,
        "premium_since": null,
        "deaf": false,
        "mute": false,
        "flags": 0,
        "pending": false,
        "permissions": permissions.to_string(),
        "communication_disabled_until": null,
    })
}

fn partial_channel_object(permissions: u64) -> Value {
    json!({
        "id": CHANNEL_ID.to_string(),
        "type": 0,
        "name": "general",
        "permissions": permissions.to_string(),
        "guild_id": GUILD_ID.to_string(),
        "parent_id": null,
        "nsfw": false,
        "position": 0,
        "flags": 0,
    })
}

/// The GuildChannel object of [`CHANNEL_ID`].
pub fn channel_object() -> serde_json::Value {
    json!({
        "id": CHANNEL_ID.to_string(),
        "type": 0,
        "guild_id": GUILD_ID.to_string(),
        "name": "general",
        "position": 0,
        "permission_overwrites": [],
        "topic": null,
        "nsfw": false,
        "last_message_id": null,
        "rate_limit_per_user": 0,
        "parent_id": null,
        "flags": 0,
    })
}

/// The Guild object of [`GUILD_ID`], as sent in GUILD_CREATE.
pub fn guild_object() -> serde_json::Value {
    let mut guild = json!({
        "id": GUILD_ID.to_string(),
        "name": "Fake Newsroom",
        "icon": null,
        "icon_hash": null,
        "splash": null,
        "discovery_splash": null,
        "owner_id": OWNER_ID.to_string(),
        "afk_channel_id": null,
        "afk_timeout": 300,
        "widget_enabled": false,
        "widget_channel_id": null,
        "verification_level": 0,
        "default_message_notifications": 1,
        "explicit_content_filter": 0,
        "roles": [{
            "id": GUILD_ID.to_string(),
            "name": "@everyone",
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
            "hoist": false,
            "icon": null,
            "unicode_emoji": null,
            "position": 0,
            "permissions": DEFAULT_MEMBER_PERMISSIONS.to_string(),
            "managed": false,
            "mentionable": false,
            "flags": 0,
        }],
        "emojis": [],
        "features": [],
        "mfa_level": 0,
        "application_id": null,
        "system_channel_id": CHANNEL_ID.to_string(),
        "system_channel_flags": 0,
        "rules_channel_id": null,
        "max_presences": null,
        "max_members": 500_000,
        "vanity_url_code": null,
        "description": null,
        "banner": null,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "public_updates_channel_id": null,
        "max_video_channel_users": 25,
        "max_stage_video_channel_users": 50,
    });
    let rest = json!({
        "nsfw_level": 0,
        "stickers": [],
        "premium_progress_bar_enabled": false,
        "safety_alerts_channel_id": null,
        "joined_at": MEMBER_JOINED_AT,
        "large": false,
        "unavailable": false,
        "member_count": 3,
        "voice_states": [],
        "members": [{
            "user": bot_user_object(),
            "nick": null,
            "avatar": null,
            "roles": [],
            "joined_at": MEMBER_JOINED_AT,
            "premium_since": null,
            "deaf": false,
            "mute": false,
            "flags": 0,
            "pending": false,
        }],
        "channels": [channel_object()],
        "threads": [],
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": [],
        "soundboard_sounds": [],
        "embedded_activities": [],
    });
    if let (Some(g), Value::Object(rest)) = (guild.as_object_mut(), rest) {
        g.extend(rest);
    }
    guild
}

/// The CurrentApplicationInfo returned by `GET /oauth2/applications/@me`.
pub fn application_info_object() -> serde_json::Value {
    json!({
        "id": APP_ID.to_string(),
        "name": BOT_USERNAME,
        "icon": null,
        "description": "Fake application for tests",
        "rpc_origins": [],
        "bot_public": false,
        "bot_require_code_grant": false,
        "bot": bot_user_object(),
        "terms_of_service_url": null,
        "privacy_policy_url": null,
        "owner": {
            "id": OWNER_ID.to_string(),
            "username": "fakeowner",
            "discriminator": "0",
            "global_name": "Fake Owner",
            "avatar": null,
            "bot": false,
            "public_flags": 0,
            "flags": 0,
        },
        "verify_key": "0000000000000000000000000000000000000000000000000000000000000000",
        "team": null,
        "guild_id": null,
        "flags": 0,
        "tags": [],
        "integration_types_config": {"0": {}},
        "approximate_guild_count": 1,
        "interactions_endpoint_url": null,
        "redirect_uris": [],
    })
}

fn ready_payload(ws_url: &str, session_id: &str, shard: Value) -> Value {
    json!({
        "v": 10,
        "user": bot_user_object(),
        "guilds": [{"id": GUILD_ID.to_string(), "unavailable": true}],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": ws_url,
        "shard": shard,
        "application": {"id": APP_ID.to_string(), "flags": 0},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["us-east"],
        "user_settings": {},
        "_trace": ["fake-discord"],
    })
}

fn message_skeleton(id: u64, channel_id: u64, author: Value, kind: u8) -> Value {
    json!({
        "id": id.to_string(),
        "channel_id": channel_id.to_string(),
        "author": author,
        "content": "",
        "timestamp": now_timestamp(),
        "edited_timestamp": null,
        "tts": false,
        "mention_everyone": false,
        "mentions": [],
        "mention_roles": [],
        "mention_channels": [],
        "attachments": [],
        "embeds": [],
        "reactions": [],
        "pinned": false,
        "type": kind,
        "flags": 0,
        "components": [],
    })
}

// ----------------------------------------------------------------------------------------------
// Gateway

async fn ws_handler(State(inner): State<Arc<Inner>>, uri: Uri, ws: WebSocketUpgrade) -> Response {
    let query = uri.query().unwrap_or_default().to_string();
    ws.on_upgrade(move |socket| run_gateway_conn(inner, socket, query))
}

fn dispatch_frame(event: &str, seq: u64, d: Value) -> String {
    json!({"op": 0, "t": event, "s": seq, "d": d}).to_string()
}

async fn run_gateway_conn(inner: Arc<Inner>, mut socket: WebSocket, query: String) {
    let conn_id = inner.next_conn.fetch_add(1, Ordering::Relaxed);
    let (tx, mut rx) = mpsc::unbounded_channel::<ConnCmd>();
    let mut shutdown = inner.shutdown.subscribe();
    {
        let mut st = inner.st();
        st.connection_count += 1;
        st.gateway_queries.push(query);
        st.conns.insert(conn_id, tx.clone());
    }
    inner.notify.notify_waiters();

    let hello =
        json!({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": null, "t": null});
    let mut alive = socket
        .send(WsMessage::Text(hello.to_string()))
        .await
        .is_ok();
    while alive {
        tokio::select! {
            incoming = socket.recv() => match incoming {
                Some(Ok(WsMessage::Text(text))) => {
                    for frame in handle_client_frame(&inner, conn_id, &tx, &text) {
                        if socket.send(WsMessage::Text(frame)).await.is_err() {
                            alive = false;
                            break;
                        }
                    }
                }
                Some(Ok(WsMessage::Binary(bytes))) => {
                    let text = String::from_utf8_lossy(&bytes).into_owned();
                    for frame in handle_client_frame(&inner, conn_id, &tx, &text) {
                        if socket.send(WsMessage::Text(frame)).await.is_err() {
                            alive = false;
                            break;
                        }
                    }
                }
                // Keep polling after a Close: that is what flushes tungstenite's close reply,
                // which serenity waits for when shutting a shard down.
                Some(Ok(_)) => {}
                Some(Err(_)) | None => alive = false,
            },
            cmd = rx.recv() => match cmd {
                Some(ConnCmd::Send { frame, ack, interaction }) => {
                    if socket.send(WsMessage::Text(frame)).await.is_ok() {
                        let now = Instant::now();
                        if let Some(id) = interaction {
                            inner.st().sent_at.entry(id).or_insert(now);
                        }
                        if let Some(ack) = ack {
                            let _ = ack.send(now);
                        }
                    } else {
                        alive = false;
                    }
                }
                Some(ConnCmd::Drop) | None => alive = false,
            },
            _ = shutdown.changed() => alive = false,
        }
    }
    {
        let mut st = inner.st();
        st.conns.remove(&conn_id);
        if st.live.as_ref().map(|l| l.id) == Some(conn_id) {
            st.live = None;
        }
    }
    inner.notify.notify_waiters();
    // Dropping the socket closes the TCP connection without a close frame; dropping `rx` fails
    // the acks of frames that were never written.
    drop(socket);
    drop(rx);
}

fn handle_client_frame(
    inner: &Inner,
    conn_id: u64,
    tx: &mpsc::UnboundedSender<ConnCmd>,
    text: &str,
) -> Vec<String> {
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        return vec![];
    };
    let op = v.get("op").and_then(Value::as_u64);
    let mut frames = Vec::new();
    {
        let mut st = inner.st();
        if op != Some(1) {
            st.client_frames.push(v.clone());
        }
        match op {
            Some(1) => frames.push(json!({"op": 11, "d": null, "s": null, "t": null}).to_string()),
            Some(2) => {
                st.identify_count += 1;
                st.last_identify = Some(v["d"].clone());
                st.session_counter += 1;
                let session = format!("fake-session-{}-{}", inner.port, st.session_counter);
                st.session_id = Some(session.clone());
                st.event_log.clear();
                st.seq = 0;
                let shard = v["d"].get("shard").cloned().unwrap_or(json!([0, 1]));
                let ready = ready_payload(&inner.ws_url(), &session, shard);
                for (event, d) in [("READY", ready), ("GUILD_CREATE", guild_object())] {
                    st.seq += 1;
                    let frame = dispatch_frame(event, st.seq, d);
                    let seq = st.seq;
                    st.event_log.push((seq, frame.clone()));
                    frames.push(frame);
                }
                st.live = Some(LiveConn {
                    id: conn_id,
                    tx: tx.clone(),
                    session,
                });
                st.ready_count += 1;
            }
            Some(6) => {
                st.resume_count += 1;
                let d = &v["d"];
                let client_seq = d.get("seq").and_then(Value::as_u64).unwrap_or(0);
                let session = d.get("session_id").and_then(Value::as_str).unwrap_or("");
                if st.session_id.as_deref() == Some(session) && !session.is_empty() {
                    for (s, frame) in &st.event_log {
                        if *s > client_seq {
                            frames.push(frame.clone());
                        }
                    }
                    st.seq += 1;
                    frames.push(dispatch_frame(
                        "RESUMED",
                        st.seq,
                        json!({"_trace": ["fake-discord"]}),
                    ));
                    st.live = Some(LiveConn {
                        id: conn_id,
                        tx: tx.clone(),
                        session: session.to_string(),
                    });
                } else {
                    frames.push(json!({"op": 9, "d": false, "s": null, "t": null}).to_string());
                }
            }
            _ => {}
        }
    }
    inner.notify.notify_waiters();
    frames
}

// ----------------------------------------------------------------------------------------------
// REST

struct Reply {
    status: u16,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            headers: vec![],
        }
    }

    fn no_content() -> Reply {
        Reply {
            status: 204,
            body: None,
            headers: vec![],
        }
    }

    fn error(status: u16, code: u64, message: &str) -> Reply {
        Reply::json(status, json!({"message": message, "code": code}))
    }

    fn unknown() -> Reply {
        Reply::error(404, 0, "Unknown")
    }

    /// An injected failure with a Discord-like body (and rate-limit headers for 429).
    fn injected(status: u16) -> Reply {
        match status {
            429 => Reply {
                status,
                body: Some(json!({
                    "message": "You are being rate limited.",
                    "retry_after": 0.25,
                    "global": false,
                    "code": 0,
                })),
                headers: vec![
                    ("retry-after", "1".into()),
                    ("x-ratelimit-limit", "5".into()),
                    ("x-ratelimit-remaining", "0".into()),
                    ("x-ratelimit-reset-after", "0.250".into()),
                    ("x-ratelimit-bucket", "fakebucket".into()),
                    ("x-ratelimit-scope", "user".into()),
                ],
            },
            500 => Reply::error(500, 0, "500: Internal Server Error"),
            502 => Reply::error(502, 0, "502: Bad Gateway"),
            503 => Reply::error(503, 0, "503: Service Unavailable"),
            s => Reply::error(s, 0, &format!("{s}: injected failure")),
        }
    }
}

async fn rest_handler(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let at = Instant::now();
    let method = req.method().as_str().to_string();
    let path = req.uri().path().to_string();
    let query = req.uri().query().unwrap_or_default().to_string();
    let multipart = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| ct.starts_with("multipart/form-data"));
    let (body, uploads) = if multipart {
        read_multipart(req).await
    } else {
        match axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES).await {
            Ok(bytes) if !bytes.is_empty() => (
                serde_json::from_slice(&bytes)
                    .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into())),
                vec![],
            ),
            _ => (Value::Null, vec![]),
        }
    };
    let reply = {
        let mut st = inner.st();
        let reply = route(&inner, &mut st, &method, &path, &body, &uploads);
        st.requests.push(RecordedRequest {
            method,
            path,
            query,
            body,
            files: uploads.into_iter().map(|u| (u.filename, u.data)).collect(),
            at,
            status: reply.status,
            response: reply.body.clone().unwrap_or(Value::Null),
        });
        reply
    };
    inner.notify.notify_waiters();

    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match reply.body {
        Some(body) => (
            status,
            [(CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response(),
        None => status.into_response(),
    };
    for (name, value) in reply.headers {
        if let Ok(v) = value.parse() {
            resp.headers_mut().insert(name, v);
        }
    }
    resp
}

async fn read_multipart(req: Request) -> (Value, Vec<Upload>) {
    let mut body = Value::Null;
    let mut uploads = Vec::new();
    let Ok(mut mp) = Multipart::from_request(req, &()).await else {
        return (body, uploads);
    };
    let mut extra = Map::new();
    while let Ok(Some(field)) = mp.next_field().await {
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let data = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
        if name == "payload_json" {
            body = serde_json::from_slice(&data)
                .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&data).into()));
        } else if file_name.is_some() || name.starts_with("files[") || name == "file" {
            let index = name
                .strip_prefix("files[")
                .and_then(|s| s.strip_suffix(']'))
                .and_then(|s| s.parse().ok());
            uploads.push(Upload {
                index,
                filename: file_name.unwrap_or_else(|| name.clone()),
                data,
            });
        } else {
            extra.insert(name, Value::String(String::from_utf8_lossy(&data).into()));
        }
    }
    if !extra.is_empty() {
        match &mut body {
            Value::Object(m) => m.extend(extra),
            _ => body = Value::Object(extra),
        }
    }
    (body, uploads)
}

fn route(
    inner: &Inner,
    st: &mut FakeState,
    method: &str,
    path: &str,
    body: &Value,
    uploads: &[Upload],
) -> Reply {
    let Some(rest) = path.strip_prefix("/api/v10/") else {
        return Reply::unknown();
    };
    if st.reject_auth {
        return Reply::json(401, json!({"message": "401: Unauthorized", "code": 0}));
    }
    let segs: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let app_ok = |app: &str| app == APP_ID.to_string() || app == "@me";
    match (method, segs.as_slice()) {
        ("GET", ["gateway"]) => Reply::json(200, json!({"url": inner.ws_url()})),
        ("GET", ["gateway", "bot"]) => Reply::json(
            200,
            json!({
                "url": inner.ws_url(),
                "shards": 1,
                "session_start_limit": {
                    "total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1
                },
            }),
        ),
        ("GET", ["oauth2", "applications", "@me"]) | ("GET", ["applications", "@me"]) => {
            Reply::json(200, application_info_object())
        }
        ("GET", ["users", "@me"]) => Reply::json(200, bot_user_object()),
        ("GET", ["channels", cid]) if *cid == CHANNEL_ID.to_string() => {
            Reply::json(200, channel_object())
        }
        ("GET", ["guilds", gid, "members", uid]) if *gid == GUILD_ID.to_string() => {
            match uid.parse::<u64>() {
                Ok(uid) if uid == BOT_USER_ID => {
                    let mut m = member_object(uid, st.app_permissions);
                    m["user"] = bot_user_object();
                    Reply::json(200, m)
                }
                Ok(uid) => Reply::json(200, member_object(uid, DEFAULT_MEMBER_PERMISSIONS)),
                Err(_) => Reply::error(404, 10013, "Unknown User"),
            }
        }
        // Commands
        ("PUT", ["applications", app, "commands"]) if app_ok(app) => {
            put_commands(inner, st, body, None)
        }
        ("PUT", ["applications", app, "guilds", gid, "commands"]) if app_ok(app) => {
            put_commands(inner, st, body, gid.parse().ok())
        }
        ("GET", ["applications", app, "commands"]) if app_ok(app) => {
            Reply::json(200, st.global_commands.clone().unwrap_or(json!([])))
        }
        ("GET", ["applications", app, "guilds", _, "commands"]) if app_ok(app) => {
            Reply::json(200, st.guild_commands.clone().unwrap_or(json!([])))
        }
        ("POST", ["applications", app, "commands"]) if app_ok(app) => {
            Reply::json(201, echo_command(inner, st, body, None))
        }
        ("POST", ["applications", app, "guilds", gid, "commands"]) if app_ok(app) => {
            Reply::json(201, echo_command(inner, st, body, gid.parse().ok()))
        }
        // Interactions
        ("POST", ["interactions", iid, token, "callback"]) => {
            interaction_callback(inner, st, iid, token, body, uploads)
        }
        (_, ["webhooks", app, _, ..]) if !app_ok(app) => {
            Reply::error(404, 10015, "Unknown Webhook")
        }
        ("POST", ["webhooks", _, token]) => {
            if let Some(status) = st.fail_webhooks.pop_front() {
                return Reply::injected(status);
            }
            followup(inner, st, token, body, uploads)
        }
        (m @ ("GET" | "PATCH" | "DELETE"), ["webhooks", _, token, "messages", mid]) => {
            if m != "GET" {
                if let Some(status) = st.fail_webhooks.pop_front() {
                    return Reply::injected(status);
                }
            }
            webhook_message(inner, st, m, token, mid, body, uploads)
        }
        // Channel messages
        ("POST", ["channels", cid, "messages"]) => match cid.parse::<u64>() {
            Ok(cid) => {
                if let Err(r) = validate_message(st, body, uploads, true, false) {
                    return r;
                }
                let kind = if body.get("message_reference").is_some() {
                    19
                } else {
                    0
                };
                let id = inner.next_id();
                let mut msg = message_skeleton(id, cid, bot_user_object(), kind);
                apply_message_fields(inner, &mut msg, body, uploads, false);
                st.messages.insert(id, msg.clone());
                Reply::json(200, msg)
            }
            Err(_) => Reply::error(404, 10003, "Unknown Channel"),
        },
        ("GET", ["channels", _, "messages", mid]) => {
            match mid.parse::<u64>().ok().and_then(|id| st.messages.get(&id)) {
                Some(m) => Reply::json(200, m.clone()),
                None => Reply::error(404, 10008, "Unknown Message"),
            }
        }
        ("PATCH", ["channels", _, "messages", mid]) => {
            let Some(id) = mid
                .parse::<u64>()
                .ok()
                .filter(|id| st.messages.contains_key(id))
            else {
                return Reply::error(404, 10008, "Unknown Message");
            };
            if let Err(r) = validate_message(st, body, uploads, false, false) {
                return r;
            }
            let msg = st.messages.get_mut(&id).expect("checked");
            apply_message_fields(inner, msg, body, uploads, true);
            Reply::json(200, msg.clone())
        }
        ("DELETE", ["channels", _, "messages", mid]) => {
            match mid
                .parse::<u64>()
                .ok()
                .and_then(|id| st.messages.remove(&id))
            {
                Some(_) => Reply::no_content(),
                None => Reply::error(404, 10008, "Unknown Message"),
            }
        }
        ("POST", ["channels", _, "typing"]) => Reply::no_content(),
        _ => Reply::unknown(),
    }
}

fn echo_command(inner: &Inner, st: &mut FakeState, cmd: &Value, guild: Option<u64>) -> Value {
    let mut out = cmd.as_object().cloned().unwrap_or_default();
    let name = out
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string();
    let id = *st
        .command_ids
        .entry(name.clone())
        .or_insert_with(|| inner.next_id());
    out.insert("id".into(), json!(id.to_string()));
    out.insert("application_id".into(), json!(APP_ID.to_string()));
    out.insert("version".into(), json!(inner.next_id().to_string()));
    out.entry("type").or_insert(json!(1));
    out.entry("description").or_insert(json!(""));
    out.entry("options").or_insert(json!([]));
    out.entry("default_member_permissions")
        .or_insert(Value::Null);
    out.entry("nsfw").or_insert(json!(false));
    out.entry("integration_types").or_insert(json!([0]));
    out.entry("contexts").or_insert(Value::Null);
    if out.get("description").is_some_and(Value::is_null) {
        out.insert("description".into(), json!(""));
    }
    match guild {
        Some(g) => out.insert("guild_id".into(), json!(g.to_string())),
        None => out.remove("guild_id"),
    };
    Value::Object(out)
}

fn put_commands(inner: &Inner, st: &mut FakeState, body: &Value, guild: Option<u64>) -> Reply {
    let Some(cmds) = body.as_array() else {
        return Reply::json(
            400,
            json!({"message": "Invalid Form Body", "code": 50035, "errors": {"_errors": [{"code": "BASE_TYPE_ARRAY", "message": "Must be an array."}]}}),
        );
    };
    let echoed: Vec<Value> = cmds
        .iter()
        .map(|c| echo_command(inner, st, c, guild))
        .collect();
    let echoed = Value::Array(echoed);
    if guild.is_some() {
        st.guild_commands = Some(echoed.clone());
    } else {
        st.global_commands = Some(echoed.clone());
    }
    st.last_commands_put = Some(body.clone());
    Reply::json(200, echoed)
}

fn interaction_callback(
    inner: &Inner,
    st: &mut FakeState,
    iid: &str,
    token: &str,
    body: &Value,
    uploads: &[Upload],
) -> Reply {
    if let Some(status) = st.fail_callbacks.pop_front() {
        return Reply::injected(status);
    }
    let unknown = || Reply::error(404, 10062, "Unknown interaction");
    let Ok(id) = iid.parse::<u64>() else {
        return unknown();
    };
    if st.tokens.get(token) != Some(&id) {
        return unknown();
    }
    if let (Some(deadline), Some(sent)) = (st.callback_deadline, st.sent_at.get(&id)) {
        if sent.elapsed() > deadline {
            return unknown();
        }
    }
    if st.acknowledged.contains(&id) {
        return Reply::error(400, 40060, "Interaction has already been acknowledged.");
    }
    let kind = body.get("type").and_then(Value::as_u64).unwrap_or(0);
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    match kind {
        4 | 7 => {
            if let Err(r) = validate_message(st, &data, uploads, kind == 4, true) {
                return r;
            }
        }
        8 => {
            if let Err(r) = validate_choices(st, &data) {
                return r;
            }
        }
        1 | 5 | 6 | 9 | 10 | 12 => {}
        _ => {
            return Reply::json(
                400,
                json!({"message": "Invalid Form Body", "code": 50035, "errors": {"type": {"_errors": [{"code": "BASE_TYPE_CHOICES", "message": "Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}."}]}}}),
            )
        }
    }
    st.acknowledged.insert(id);
    match kind {
        4 | 5 => {
            let mid = inner.next_id();
            let mut msg = message_skeleton(mid, CHANNEL_ID, bot_user_object(), 20);
            msg["webhook_id"] = json!(APP_ID.to_string());
            msg["application_id"] = json!(APP_ID.to_string());
            apply_message_fields(inner, &mut msg, &data, uploads, false);
            if kind == 5 {
                msg["flags"] = json!(
                    data.get("flags").and_then(Value::as_u64).unwrap_or(0) | (1 << 7) // LOADING
                );
                st.deferred.insert(token.to_string());
            }
            st.messages.insert(mid, msg);
            st.originals.insert(token.to_string(), mid);
        }
        6 | 7 => {
            let mid = match st.component_messages.get(token) {
                Some(mid) => *mid,
                None => {
                    let mid = inner.next_id();
                    st.messages
                        .insert(mid, message_skeleton(mid, CHANNEL_ID, bot_user_object(), 0));
                    mid
                }
            };
            if kind == 7 {
                if let Some(msg) = st.messages.get_mut(&mid) {
                    apply_message_fields(inner, msg, &data, uploads, true);
                }
            }
            st.originals.insert(token.to_string(), mid);
        }
        _ => {}
    }
    Reply::no_content()
}

fn followup(
    inner: &Inner,
    st: &mut FakeState,
    token: &str,
    body: &Value,
    uploads: &[Upload],
) -> Reply {
    if !st.tokens.contains_key(token) || !st.originals.contains_key(token) {
        return Reply::error(404, 10015, "Unknown Webhook");
    }
    if let Err(r) = validate_message(st, body, uploads, true, false) {
        return r;
    }
    if st.deferred.remove(token) {
        // The first followup after a defer fills the original "thinking..." message.
        let mid = st.originals[token];
        if let Some(msg) = st.messages.get_mut(&mid) {
            let flags = msg["flags"].as_u64().unwrap_or(0) & !(1 << 7);
            apply_message_fields(inner, msg, body, uploads, true);
            msg["flags"] = json!(flags);
            msg["edited_timestamp"] = Value::Null;
            return Reply::json(200, msg.clone());
        }
    }
    let mid = inner.next_id();
    let mut msg = message_skeleton(mid, CHANNEL_ID, bot_user_object(), 0);
    msg["webhook_id"] = json!(APP_ID.to_string());
    msg["application_id"] = json!(APP_ID.to_string());
    apply_message_fields(inner, &mut msg, body, uploads, false);
    st.messages.insert(mid, msg.clone());
    Reply::json(200, msg)
}

fn webhook_message(
    inner: &Inner,
    st: &mut FakeState,
    method: &str,
    token: &str,
    mid: &str,
    body: &Value,
    uploads: &[Upload],
) -> Reply {
    if !st.tokens.contains_key(token) {
        return Reply::error(404, 10015, "Unknown Webhook");
    }
    let id = if mid == "@original" {
        match st.originals.get(token) {
            Some(id) => *id,
            None => return Reply::error(404, 10015, "Unknown Webhook"),
        }
    } else {
        match mid.parse::<u64>() {
            Ok(id) if st.messages.contains_key(&id) => id,
            _ => return Reply::error(404, 10008, "Unknown Message"),
        }
    };
    match method {
        "GET" => match st.messages.get(&id) {
            Some(m) => Reply::json(200, m.clone()),
            None => Reply::error(404, 10008, "Unknown Message"),
        },
        "DELETE" => {
            st.messages.remove(&id);
            if st.originals.get(token) == Some(&id) {
                st.originals.remove(token);
            }
            Reply::no_content()
        }
        _ => {
            if let Err(r) = validate_message(st, body, uploads, false, false) {
                return r;
            }
            let was_deferred = mid == "@original" && st.deferred.remove(token);
            let Some(msg) = st.messages.get_mut(&id) else {
                return Reply::error(404, 10008, "Unknown Message");
            };
            apply_message_fields(inner, msg, body, uploads, true);
            if was_deferred {
                let flags = msg["flags"].as_u64().unwrap_or(0) & !(1 << 7);
                msg["flags"] = json!(flags);
                msg["edited_timestamp"] = Value::Null;
            }
            Reply::json(200, msg.clone())
        }
    }
}

/// Copies the message fields of a request body into a stored Message object.
fn apply_message_fields(
    inner: &Inner,
    msg: &mut Value,
    body: &Value,
    uploads: &[Upload],
    is_edit: bool,
) {
    let Some(b) = body.as_object() else {
        if !uploads.is_empty() {
            append_uploads(inner, msg, uploads, None);
        }
        return;
    };
    if let Some(c) = b.get("content") {
        msg["content"] = json!(c.as_str().unwrap_or_default());
    }
    for key in ["embeds", "components", "sticker_items"] {
        if let Some(v) = b.get(key) {
            msg[key] = if v.is_null() { json!([]) } else { v.clone() };
        }
    }
    if !is_edit {
        if let Some(f) = b.get("flags").and_then(Value::as_u64) {
            msg["flags"] = json!(f);
        }
        if let Some(t) = b.get("tts").and_then(Value::as_bool) {
            msg["tts"] = json!(t);
        }
        if let Some(r) = b.get("message_reference") {
            msg["message_reference"] = r.clone();
        }
    } else if let Some(f) = b.get("flags").and_then(Value::as_u64) {
        // Only SUPPRESS_EMBEDS can be changed by an edit.
        let old = msg["flags"].as_u64().unwrap_or(0);
        msg["flags"] = json!((old & !4) | (f & 4));
    }
    match b.get("attachments").and_then(Value::as_array) {
        Some(list) => {
            let existing = msg["attachments"].as_array().cloned().unwrap_or_default();
            let mut kept = Vec::new();
            for a in list {
                let is_new = a.get("filename").is_some();
                if is_new {
                    continue;
                }
                if let Some(old) = existing.iter().find(|e| e.get("id") == a.get("id")) {
                    kept.push(old.clone());
                }
            }
            msg["attachments"] = Value::Array(kept);
            append_uploads(inner, msg, uploads, Some(list));
        }
        None => {
            if !is_edit {
                msg["attachments"] = json!([]);
            }
            append_uploads(inner, msg, uploads, None);
        }
    }
    if is_edit {
        msg["edited_timestamp"] = json!(now_timestamp());
    }
    // Discord sets mention_everyone when the content pings @everyone/@here and allowed_mentions
    // permits it (no allowed_mentions means the defaults, which do).
    let content = msg["content"].as_str().unwrap_or_default();
    let pings = content.contains("@everyone") || content.contains("@here");
    let allowed = match b.get("allowed_mentions") {
        None | Some(Value::Null) => true,
        Some(am) => am
            .get("parse")
            .and_then(Value::as_array)
            .is_some_and(|p| p.iter().any(|x| x == "everyone")),
    };
    if b.contains_key("content") || b.contains_key("allowed_mentions") || !is_edit {
        msg["mention_everyone"] = json!(pings && allowed);
    }
}

fn append_uploads(inner: &Inner, msg: &mut Value, uploads: &[Upload], meta: Option<&Vec<Value>>) {
    let Some(list) = msg["attachments"].as_array_mut() else {
        return;
    };
    for u in uploads {
        let desc = meta.and_then(|m| {
            m.iter()
                .find(|a| a.get("id").and_then(snowflake_of) == u.index && u.index.is_some())
                .and_then(|a| a.get("description").cloned())
        });
        let aid = inner.next_id();
        let url = format!(
            "https://cdn.discordapp.com/attachments/{CHANNEL_ID}/{aid}/{}",
            u.filename
        );
        list.push(json!({
            "id": aid.to_string(),
            "filename": u.filename,
            "description": desc.unwrap_or(Value::Null),
            "size": u.data.len(),
            "url": url,
            "proxy_url": url.replace("cdn.discordapp.com", "media.discordapp.net"),
            "content_type": guess_content_type(&u.filename),
        }));
    }
}

fn guess_content_type(filename: &str) -> &'static str {
    let ext = filename.rsplit('.').next().unwrap_or_default();
    match ext.to_ascii_lowercase().as_str() {
        "txt" | "md" => "text/plain; charset=utf-8",
        "json" => "application/json; charset=utf-8",
        "csv" => "text/csv; charset=utf-8",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "html" => "text/html; charset=utf-8",
        _ => "application/octet-stream",
    }
}

// ----------------------------------------------------------------------------------------------
// Validation (Discord's documented limits)

fn chars(v: Option<&Value>) -> usize {
    v.and_then(Value::as_str).map_or(0, |s| s.chars().count())
}

/// Inserts an error at a dotted path into Discord's nested `errors` object.
fn push_error(errors: &mut Map<String, Value>, path: &str, code: &str, message: &str) {
    let mut cur = errors;
    for part in path.split('.') {
        cur = cur
            .entry(part.to_string())
            .or_insert_with(|| json!({}))
            .as_object_mut()
            .expect("error tree nodes are objects");
    }
    let list = cur.entry("_errors").or_insert_with(|| json!([]));
    if let Some(list) = list.as_array_mut() {
        list.push(json!({"code": code, "message": message}));
    }
}

fn check_len(errors: &mut Map<String, Value>, v: Option<&Value>, max: usize, path: &str) {
    if chars(v) > max {
        push_error(
            errors,
            path,
            "BASE_TYPE_MAX_LENGTH",
            &format!("Must be {max} or fewer in length."),
        );
    }
}

/// Checks a message body against Discord's limits. `in_data` nests error paths under `data`
/// (interaction callbacks).
fn validate_message(
    st: &FakeState,
    body: &Value,
    uploads: &[Upload],
    is_create: bool,
    in_data: bool,
) -> Result<(), Reply> {
    if !st.strict {
        return Ok(());
    }
    let mut errors = Map::new();
    check_len(&mut errors, body.get("content"), 2000, "content");
    let embeds = body
        .get("embeds")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if embeds.len() > 10 {
        push_error(
            &mut errors,
            "embeds",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 10 or fewer in length.",
        );
    }
    let mut total = 0;
    for (i, e) in embeds.iter().enumerate() {
        let p = format!("embeds.{i}");
        check_len(&mut errors, e.get("title"), 256, &format!("{p}.title"));
        check_len(
            &mut errors,
            e.get("description"),
            4096,
            &format!("{p}.description"),
        );
        check_len(
            &mut errors,
            e.pointer("/footer/text"),
            2048,
            &format!("{p}.footer.text"),
        );
        check_len(
            &mut errors,
            e.pointer("/author/name"),
            256,
            &format!("{p}.author.name"),
        );
        total += chars(e.get("title"))
            + chars(e.get("description"))
            + chars(e.pointer("/footer/text"))
            + chars(e.pointer("/author/name"));
        let fields = e
            .get("fields")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if fields.len() > 25 {
            push_error(
                &mut errors,
                &format!("{p}.fields"),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 25 or fewer in length.",
            );
        }
        for (j, f) in fields.iter().enumerate() {
            let fp = format!("{p}.fields.{j}");
            check_len(&mut errors, f.get("name"), 256, &format!("{fp}.name"));
            check_len(&mut errors, f.get("value"), 1024, &format!("{fp}.value"));
            if chars(f.get("name")) == 0 {
                push_error(
                    &mut errors,
                    &format!("{fp}.name"),
                    "BASE_TYPE_REQUIRED",
                    "This field is required",
                );
            }
            if chars(f.get("value")) == 0 {
                push_error(
                    &mut errors,
                    &format!("{fp}.value"),
                    "BASE_TYPE_REQUIRED",
                    "This field is required",
                );
            }
            total += chars(f.get("name")) + chars(f.get("value"));
        }
    }
    if total > 6000 {
        push_error(
            &mut errors,
            "embeds",
            "MAX_EMBED_SIZE_EXCEEDED",
            "Embed size exceeds maximum size of 6000",
        );
    }
    let rows = body
        .get("components")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if rows.len() > 5 {
        push_error(
            &mut errors,
            "components",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 5 or fewer in length.",
        );
    }
    for (i, row) in rows.iter().enumerate() {
        let comps = row
            .get("components")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        if comps.len() > 5 {
            push_error(
                &mut errors,
                &format!("components.{i}.components"),
                "BASE_TYPE_MAX_LENGTH",
                "Must be 5 or fewer in length.",
            );
        }
        for (j, c) in comps.iter().enumerate() {
            let cp = format!("components.{i}.components.{j}");
            check_len(
                &mut errors,
                c.get("custom_id"),
                100,
                &format!("{cp}.custom_id"),
            );
            check_len(&mut errors, c.get("label"), 80, &format!("{cp}.label"));
        }
    }
    if errors.is_empty() && is_create {
        let has = |k: &str| {
            body.get(k).is_some_and(|v| match v {
                Value::String(s) => !s.is_empty(),
                Value::Array(a) => !a.is_empty(),
                Value::Null => false,
                _ => true,
            })
        };
        if !(has("content")
            || has("embeds")
            || has("components")
            || has("sticker_ids")
            || has("poll")
            || !uploads.is_empty())
        {
            return Err(Reply::error(400, 50006, "Cannot send an empty message"));
        }
    }
    if errors.is_empty() {
        return Ok(());
    }
    let errors = if in_data {
        json!({ "data": errors })
    } else {
        Value::Object(errors)
    };
    Err(Reply::json(
        400,
        json!({"message": "Invalid Form Body", "code": 50035, "errors": errors}),
    ))
}

fn validate_choices(st: &FakeState, data: &Value) -> Result<(), Reply> {
    if !st.strict {
        return Ok(());
    }
    let mut errors = Map::new();
    let choices = data
        .get("choices")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    if choices.len() > 25 {
        push_error(
            &mut errors,
            "data.choices",
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
        );
    }
    for (i, c) in choices.iter().enumerate() {
        check_len(
            &mut errors,
            c.get("name"),
            100,
            &format!("data.choices.{i}.name"),
        );
        if c.get("value").is_some_and(Value::is_string) {
            check_len(
                &mut errors,
                c.get("value"),
                100,
                &format!("data.choices.{i}.value"),
            );
        }
        if chars(c.get("name")) == 0 {
            push_error(
                &mut errors,
                &format!("data.choices.{i}.name"),
                "BASE_TYPE_MIN_LENGTH",
                "Must be between 1 and 100 in length.",
            );
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Reply::json(
            400,
            json!({"message": "Invalid Form Body", "code": 50035, "errors": errors}),
        ))
    }
}
