//! Interaction payloads, as Discord sends them in INTERACTION_CREATE: slash commands (and the
//! bot's `/ask` through [`Ask`]), autocomplete, buttons, select menus, modals, message context
//! menus.

use serde_json::{json, Map, Value};

use crate::objects::{
    bot_user_object, guild_object, member_object, message_skeleton, partial_channel_object,
    ready_payload, snowflake_of, user_object, REQUIRED_MESSAGE_FIELDS,
};
use crate::protocol::{command_type, component_type, interaction_type, message_type, option_type};
use crate::{
    FakeDiscord, APP_ID, CHANNEL_ID, DEFAULT_MEMBER_PERMISSIONS, GUILD_ID, OTHER_USER_ID,
    TEST_USER_ID,
};

impl FakeDiscord {
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
        kind: u64,
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
        let (id, token, mut m) = self.base_interaction(
            interaction_type::APPLICATION_COMMAND,
            user,
            locale,
            permissions,
        );
        m.insert(
            "data".into(),
            json!({
                "id": self.command_id(name).to_string(),
                "name": name,
                "type": command_type::CHAT_INPUT,
                "options": options_or_empty(options),
                "guild_id": GUILD_ID.to_string(),
            }),
        );
        (id, token, Value::Object(m))
    }

    /// A file a user attaches to a command: stored in the fake's CDN (served on its loopback
    /// address) and returned as the attachment object Discord puts in an interaction's
    /// `data.resolved.attachments`. Pass it to [`Self::slash_command_with_attachment`].
    pub fn attachment(&self, filename: &str, bytes: &[u8]) -> Value {
        let id = self.inner.next_id();
        self.inner.st().cdn.insert(id, bytes.to_vec());
        let url = format!(
            "http://127.0.0.1:{}/attachments/{id}/{filename}",
            self.inner.port
        );
        json!({
            "id": id.to_string(),
            "filename": filename,
            "size": bytes.len(),
            "url": url,
            "proxy_url": url,
            "content_type": crate::store::guess_content_type(filename),
            "ephemeral": true,
        })
    }

    /// [`Self::slash_command`] with an ATTACHMENT option `option` carrying `attachment` (from
    /// [`Self::attachment`]) after the other `options`, resolved in `data.resolved.attachments`.
    #[allow(clippy::too_many_arguments)]
    pub fn slash_command_with_attachment(
        &self,
        name: &str,
        options: serde_json::Value,
        option: &str,
        attachment: Value,
        user: u64,
        locale: &str,
        permissions: u64,
    ) -> (u64, String, serde_json::Value) {
        let (id, token, mut payload) = self.slash_command(name, options, user, locale, permissions);
        let attachment_id = attachment["id"].clone();
        let data = &mut payload["data"];
        if let Some(list) = data["options"].as_array_mut() {
            list.push(json!({
                "name": option,
                "type": option_type::ATTACHMENT,
                "value": attachment_id,
            }));
        }
        let mut resolved = Map::new();
        if let Some(key) = attachment_id.as_str() {
            resolved.insert(key.to_string(), attachment);
        }
        data["resolved"] = json!({"attachments": resolved});
        (id, token, payload)
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
        let (id, token, mut m) = self.base_interaction(
            interaction_type::APPLICATION_COMMAND_AUTOCOMPLETE,
            user,
            locale,
            DEFAULT_MEMBER_PERMISSIONS,
        );
        let mut options = options_or_empty(options);
        stringify_focused(&mut options);
        m.insert(
            "data".into(),
            json!({
                "id": self.command_id(name).to_string(),
                "name": name,
                "type": command_type::CHAT_INPUT,
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
            json!({"custom_id": custom_id, "component_type": component_type::BUTTON}),
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
            json!({
                "custom_id": custom_id,
                "component_type": component_type::STRING_SELECT,
                "values": values,
            }),
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
        let (id, token, mut m) = self.base_interaction(
            interaction_type::MESSAGE_COMPONENT,
            user,
            locale,
            DEFAULT_MEMBER_PERMISSIONS,
        );
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
        let (id, token, mut m) = self.base_interaction(
            interaction_type::MODAL_SUBMIT,
            user,
            locale,
            DEFAULT_MEMBER_PERMISSIONS,
        );
        let rows: Vec<Value> = fields
            .iter()
            .map(|(cid, value)| {
                let input = json!({
                    "type": component_type::TEXT_INPUT,
                    "custom_id": cid,
                    "value": value,
                    "style": 1,
                    "label": cid,
                });
                json!({"type": component_type::ACTION_ROW, "components": [input]})
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
        let (id, token, mut m) = self.base_interaction(
            interaction_type::APPLICATION_COMMAND,
            user,
            locale,
            permissions,
        );
        let mid = self.inner.next_id();
        let mut target = message_skeleton(
            mid,
            CHANNEL_ID,
            user_object(OTHER_USER_ID),
            message_type::DEFAULT,
        );
        target["content"] = json!(target_message_content);
        self.inner.st().messages.insert(mid, target.clone());
        let mut resolved = Map::new();
        resolved.insert(mid.to_string(), target);
        m.insert(
            "data".into(),
            json!({
                "id": self.command_id(name).to_string(),
                "name": name,
                "type": command_type::MESSAGE,
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
        let mut full = message_skeleton(mid, CHANNEL_ID, bot_user_object(), message_type::DEFAULT);
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

    /// The bot's `/ask` slash command with `question`, from [`TEST_USER_ID`] in locale `fr` with
    /// [`DEFAULT_MEMBER_PERMISSIONS`]; change those and add options on the returned [`Ask`].
    pub fn ask(&self, question: &str) -> Ask<'_> {
        Ask {
            fake: self,
            options: vec![
                json!({"name": "question", "type": option_type::STRING, "value": question}),
            ],
            user: TEST_USER_ID,
            locale: "fr".into(),
            permissions: DEFAULT_MEMBER_PERMISSIONS,
        }
    }
}

/// An `/ask` interaction being built (see [`FakeDiscord::ask`]); [`Ask::build`] returns
/// `(interaction id, token, payload)` like [`FakeDiscord::slash_command`].
#[must_use]
pub struct Ask<'a> {
    fake: &'a FakeDiscord,
    options: Vec<Value>,
    user: u64,
    locale: String,
    permissions: u64,
}

impl Ask<'_> {
    /// The invoking user.
    pub fn user(mut self, user: u64) -> Self {
        self.user = user;
        self
    }

    /// The user's locale (`fr`, `en-US`, ...).
    pub fn locale(mut self, locale: &str) -> Self {
        self.locale = locale.into();
        self
    }

    /// The member's permissions.
    pub fn permissions(mut self, permissions: u64) -> Self {
        self.permissions = permissions;
        self
    }

    /// The `results` option (INTEGER).
    pub fn results(mut self, results: i64) -> Self {
        self.options
            .push(json!({"name": "results", "type": option_type::INTEGER, "value": results}));
        self
    }

    /// The `public` option (BOOLEAN).
    pub fn public(mut self, public: bool) -> Self {
        self.options
            .push(json!({"name": "public", "type": option_type::BOOLEAN, "value": public}));
        self
    }

    /// A STRING option, such as the filters `outlet`, `after`, `before` and `source`.
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.options
            .push(json!({"name": name, "type": option_type::STRING, "value": value}));
        self
    }

    /// `(interaction id, token, payload)`.
    pub fn build(self) -> (u64, String, Value) {
        self.fake.slash_command(
            "ask",
            Value::Array(self.options),
            self.user,
            &self.locale,
            self.permissions,
        )
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
