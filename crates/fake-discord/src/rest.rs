//! The REST API under `/api/v10/`: every request is recorded, routed, and answered with the
//! objects serenity expects, or with Discord's error bodies (and injected failures).

use std::sync::Arc;
use std::time::Instant;

use axum::extract::{FromRequest, Multipart, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::{json, Map, Value};

use crate::objects::{
    application_info_object, bot_user_object, channel_object, member_object, message_skeleton,
};
use crate::protocol::{command_type, error_code, message_type};
use crate::record::RecordedRequest;
use crate::store::{
    apply_message_fields, followup, interaction_callback, webhook_message, FakeState, Inner,
};
use crate::validate::validate_message;
use crate::{
    APP_ID, BOT_USER_ID, CHANNEL_ID, DEFAULT_MEMBER_PERMISSIONS, GUILD_ID, MAX_BODY_BYTES,
};

/// A file part of a multipart request.
pub(crate) struct Upload {
    /// `n` of a `files[n]` part.
    pub(crate) index: Option<u64>,
    pub(crate) filename: String,
    pub(crate) data: Vec<u8>,
}

/// How the fake answers a request.
pub(crate) struct Reply {
    status: u16,
    body: Option<Value>,
    headers: Vec<(&'static str, String)>,
}

impl Reply {
    pub(crate) fn json(status: u16, body: Value) -> Reply {
        Reply {
            status,
            body: Some(body),
            headers: vec![],
        }
    }

    pub(crate) fn no_content() -> Reply {
        Reply {
            status: 204,
            body: None,
            headers: vec![],
        }
    }

    pub(crate) fn error(status: u16, code: u64, message: &str) -> Reply {
        Reply::json(status, json!({"message": message, "code": code}))
    }

    pub(crate) fn unknown() -> Reply {
        Reply::error(404, 0, "Unknown")
    }

    /// An injected failure with a Discord-like body (and rate-limit headers for 429).
    pub(crate) fn injected(status: u16) -> Reply {
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

pub(crate) async fn rest_handler(State(inner): State<Arc<Inner>>, req: Request) -> Response {
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
                Err(_) => Reply::error(404, error_code::UNKNOWN_USER, "Unknown User"),
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
            Reply::error(404, error_code::UNKNOWN_WEBHOOK, "Unknown Webhook")
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
                    message_type::REPLY
                } else {
                    message_type::DEFAULT
                };
                let id = inner.next_id();
                let mut msg = message_skeleton(id, cid, bot_user_object(), kind);
                apply_message_fields(inner, &mut msg, body, uploads, false);
                st.messages.insert(id, msg.clone());
                Reply::json(200, msg)
            }
            Err(_) => Reply::error(404, error_code::UNKNOWN_CHANNEL, "Unknown Channel"),
        },
        ("GET", ["channels", _, "messages", mid]) => {
            match mid.parse::<u64>().ok().and_then(|id| st.messages.get(&id)) {
                Some(m) => Reply::json(200, m.clone()),
                None => Reply::error(404, error_code::UNKNOWN_MESSAGE, "Unknown Message"),
            }
        }
        ("PATCH", ["channels", _, "messages", mid]) => {
            let Some(id) = mid
                .parse::<u64>()
                .ok()
                .filter(|id| st.messages.contains_key(id))
            else {
                return Reply::error(404, error_code::UNKNOWN_MESSAGE, "Unknown Message");
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
                None => Reply::error(404, error_code::UNKNOWN_MESSAGE, "Unknown Message"),
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
    out.entry("type").or_insert(json!(command_type::CHAT_INPUT));
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
            json!({"message": "Invalid Form Body", "code": error_code::INVALID_FORM_BODY, "errors": {"_errors": [{"code": "BASE_TYPE_ARRAY", "message": "Must be an array."}]}}),
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
