//! The fake's state: recorded requests, gateway sessions, interactions, registered commands, and
//! the message store, which acts like Discord's: a callback 4/5 creates the interaction's
//! original message, the first followup after a defer fills it, 6/7 update the component's
//! message, `@original` edits and webhook messages change stored messages.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tokio::sync::{mpsc, watch, Notify};

use crate::gateway::{ConnCmd, LiveConn};
use crate::objects::{bot_user_object, message_skeleton, now_timestamp, snowflake_of};
use crate::protocol::{callback, error_code, message_flags, message_type};
use crate::record::RecordedRequest;
use crate::rest::{Reply, Upload};
use crate::validate::{validate_choices, validate_message};
use crate::{APP_ID, CHANNEL_ID};

#[derive(Default)]
pub(crate) struct FakeState {
    pub(crate) requests: Vec<RecordedRequest>,
    /// Answer every REST call with 401, as Discord does for a bad token.
    pub(crate) reject_auth: bool,
    // gateway
    pub(crate) connection_count: usize,
    pub(crate) identify_count: usize,
    pub(crate) resume_count: usize,
    pub(crate) ready_count: usize,
    pub(crate) gateway_queries: Vec<String>,
    pub(crate) client_frames: Vec<Value>,
    pub(crate) last_identify: Option<Value>,
    pub(crate) conns: HashMap<u64, mpsc::UnboundedSender<ConnCmd>>,
    pub(crate) live: Option<LiveConn>,
    pub(crate) session_id: Option<String>,
    pub(crate) session_counter: u64,
    pub(crate) seq: u64,
    pub(crate) event_log: Vec<(u64, String)>,
    // interactions
    pub(crate) tokens: HashMap<String, u64>,
    pub(crate) sent_at: HashMap<u64, Instant>,
    pub(crate) acknowledged: HashSet<u64>,
    pub(crate) fail_callbacks: VecDeque<u16>,
    pub(crate) fail_webhooks: VecDeque<u16>,
    pub(crate) callback_deadline: Option<Duration>,
    pub(crate) app_permissions: u64,
    pub(crate) strict: bool,
    // commands
    pub(crate) command_ids: HashMap<String, u64>,
    pub(crate) global_commands: Option<Value>,
    pub(crate) guild_commands: Option<Value>,
    pub(crate) last_commands_put: Option<Value>,
    // messages
    pub(crate) messages: HashMap<u64, Value>,
    pub(crate) originals: HashMap<String, u64>,
    pub(crate) deferred: HashSet<String>,
    pub(crate) component_messages: HashMap<String, u64>,
    // the CDN: attachments users "uploaded", served by id
    pub(crate) cdn: HashMap<u64, Vec<u8>>,
}

pub(crate) struct Inner {
    pub(crate) port: u16,
    pub(crate) state: Mutex<FakeState>,
    pub(crate) notify: Notify,
    pub(crate) next_id: AtomicU64,
    pub(crate) next_conn: AtomicU64,
    pub(crate) shutdown: watch::Sender<bool>,
}

impl Inner {
    pub(crate) fn st(&self) -> MutexGuard<'_, FakeState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn next_id(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    pub(crate) fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}/gateway", self.port)
    }
}

pub(crate) fn interaction_callback(
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
    let unknown = || Reply::error(404, error_code::UNKNOWN_INTERACTION, "Unknown interaction");
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
        return Reply::error(
            400,
            error_code::ALREADY_ACKNOWLEDGED,
            "Interaction has already been acknowledged.",
        );
    }
    let kind = body.get("type").and_then(Value::as_u64).unwrap_or(0);
    let data = body.get("data").cloned().unwrap_or(Value::Null);
    match kind {
        callback::CHANNEL_MESSAGE_WITH_SOURCE | callback::UPDATE_MESSAGE => {
            let is_create = kind == callback::CHANNEL_MESSAGE_WITH_SOURCE;
            if let Err(r) = validate_message(st, &data, uploads, is_create, true) {
                return r;
            }
        }
        callback::APPLICATION_COMMAND_AUTOCOMPLETE_RESULT => {
            if let Err(r) = validate_choices(st, &data) {
                return r;
            }
        }
        k if callback::ALL.contains(&k) => {}
        _ => {
            return Reply::json(
                400,
                json!({"message": "Invalid Form Body", "code": error_code::INVALID_FORM_BODY, "errors": {"type": {"_errors": [{"code": "BASE_TYPE_CHOICES", "message": "Value must be one of {1, 4, 5, 6, 7, 8, 9, 10, 12}."}]}}}),
            )
        }
    }
    st.acknowledged.insert(id);
    match kind {
        callback::CHANNEL_MESSAGE_WITH_SOURCE | callback::DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE => {
            let mid = inner.next_id();
            let mut msg = message_skeleton(
                mid,
                CHANNEL_ID,
                bot_user_object(),
                message_type::CHAT_INPUT_COMMAND,
            );
            msg["webhook_id"] = json!(APP_ID.to_string());
            msg["application_id"] = json!(APP_ID.to_string());
            apply_message_fields(inner, &mut msg, &data, uploads, false);
            if kind == callback::DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE {
                msg["flags"] = json!(
                    data.get("flags").and_then(Value::as_u64).unwrap_or(0) | message_flags::LOADING
                );
                st.deferred.insert(token.to_string());
            }
            st.messages.insert(mid, msg);
            st.originals.insert(token.to_string(), mid);
        }
        callback::DEFERRED_UPDATE_MESSAGE | callback::UPDATE_MESSAGE => {
            let mid = match st.component_messages.get(token) {
                Some(mid) => *mid,
                None => {
                    let mid = inner.next_id();
                    let skeleton =
                        message_skeleton(mid, CHANNEL_ID, bot_user_object(), message_type::DEFAULT);
                    st.messages.insert(mid, skeleton);
                    mid
                }
            };
            if kind == callback::UPDATE_MESSAGE {
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

pub(crate) fn followup(
    inner: &Inner,
    st: &mut FakeState,
    token: &str,
    body: &Value,
    uploads: &[Upload],
) -> Reply {
    if !st.tokens.contains_key(token) || !st.originals.contains_key(token) {
        return Reply::error(404, error_code::UNKNOWN_WEBHOOK, "Unknown Webhook");
    }
    if let Err(r) = validate_message(st, body, uploads, true, false) {
        return r;
    }
    if st.deferred.remove(token) {
        // The first followup after a defer fills the original "thinking..." message.
        let mid = st.originals[token];
        if let Some(msg) = st.messages.get_mut(&mid) {
            let flags = msg["flags"].as_u64().unwrap_or(0) & !message_flags::LOADING;
            apply_message_fields(inner, msg, body, uploads, true);
            msg["flags"] = json!(flags);
            msg["edited_timestamp"] = Value::Null;
            return Reply::json(200, msg.clone());
        }
    }
    let mid = inner.next_id();
    let mut msg = message_skeleton(mid, CHANNEL_ID, bot_user_object(), message_type::DEFAULT);
    msg["webhook_id"] = json!(APP_ID.to_string());
    msg["application_id"] = json!(APP_ID.to_string());
    apply_message_fields(inner, &mut msg, body, uploads, false);
    st.messages.insert(mid, msg.clone());
    Reply::json(200, msg)
}

pub(crate) fn webhook_message(
    inner: &Inner,
    st: &mut FakeState,
    method: &str,
    token: &str,
    mid: &str,
    body: &Value,
    uploads: &[Upload],
) -> Reply {
    if !st.tokens.contains_key(token) {
        return Reply::error(404, error_code::UNKNOWN_WEBHOOK, "Unknown Webhook");
    }
    let id = if mid == "@original" {
        match st.originals.get(token) {
            Some(id) => *id,
            None => return Reply::error(404, error_code::UNKNOWN_WEBHOOK, "Unknown Webhook"),
        }
    } else {
        match mid.parse::<u64>() {
            Ok(id) if st.messages.contains_key(&id) => id,
            _ => return Reply::error(404, error_code::UNKNOWN_MESSAGE, "Unknown Message"),
        }
    };
    match method {
        "GET" => match st.messages.get(&id) {
            Some(m) => Reply::json(200, m.clone()),
            None => Reply::error(404, error_code::UNKNOWN_MESSAGE, "Unknown Message"),
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
                return Reply::error(404, error_code::UNKNOWN_MESSAGE, "Unknown Message");
            };
            apply_message_fields(inner, msg, body, uploads, true);
            if was_deferred {
                let flags = msg["flags"].as_u64().unwrap_or(0) & !message_flags::LOADING;
                msg["flags"] = json!(flags);
                msg["edited_timestamp"] = Value::Null;
            }
            Reply::json(200, msg.clone())
        }
    }
}

/// Copies the message fields of a request body into a stored Message object.
pub(crate) fn apply_message_fields(
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
        msg["flags"] =
            json!((old & !message_flags::SUPPRESS_EMBEDS) | (f & message_flags::SUPPRESS_EMBEDS));
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

pub(crate) fn append_uploads(
    inner: &Inner,
    msg: &mut Value,
    uploads: &[Upload],
    meta: Option<&Vec<Value>>,
) {
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

pub(crate) fn guess_content_type(filename: &str) -> &'static str {
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
