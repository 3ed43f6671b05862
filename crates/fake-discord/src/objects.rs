//! The JSON objects the fake sends: users, members, the guild and its channel, the application,
//! READY, and message skeletons. Snowflakes are strings, as Discord sends them.

use serde_json::{json, Value};

use crate::protocol::channel_type;
use crate::{
    APP_ID, BOT_USERNAME, BOT_USER_ID, CHANNEL_ID, DEFAULT_MEMBER_PERMISSIONS, GUILD_ID, OWNER_ID,
};

const MEMBER_JOINED_AT: &str = "2024-01-01T00:00:00.000000+00:00";

/// Fields serenity requires on a Message object.
pub(crate) const REQUIRED_MESSAGE_FIELDS: &[&str] = &[
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

/// A snowflake sent as a string (or, leniently, a number).
pub(crate) fn snowflake_of(v: &Value) -> Option<u64> {
    match v {
        Value::String(s) => s.parse().ok(),
        Value::Number(n) => n.as_u64(),
        _ => None,
    }
}

pub(crate) fn now_timestamp() -> String {
    serenity::model::Timestamp::now().to_string()
}

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

pub(crate) fn partial_channel_object(permissions: u64) -> Value {
    json!({
        "id": CHANNEL_ID.to_string(),
        "type": channel_type::GUILD_TEXT,
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
        "type": channel_type::GUILD_TEXT,
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

pub(crate) fn ready_payload(ws_url: &str, session_id: &str, shard: Value) -> Value {
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

pub(crate) fn message_skeleton(id: u64, channel_id: u64, author: Value, kind: u64) -> Value {
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
