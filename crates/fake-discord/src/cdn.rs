//! The fake's CDN: files users attach to a command (see `FakeDiscord::attachment`) are served
//! at `/attachments/{id}/{filename}` on the fake's loopback address, as Discord serves them from
//! `cdn.discordapp.com`.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use crate::store::{guess_content_type, Inner};

pub(crate) async fn attachment_handler(
    State(inner): State<Arc<Inner>>,
    Path((id, filename)): Path<(u64, String)>,
) -> Response {
    let bytes = inner.st().cdn.get(&id).cloned();
    match bytes {
        Some(bytes) => ([(CONTENT_TYPE, guess_content_type(&filename))], bytes).into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}
