//! What the fake records of every REST request, with helpers to classify it.

use std::time::Instant;

use serde_json::Value;

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

    /// The callback `type` of a callback request (see [`crate::protocol::callback`]).
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
