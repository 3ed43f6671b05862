//! Records audit events: appended to the data folder's trail, then posted to the audit channel.
//! Neither step can fail the command that caused it: a failure is logged, and the user's answer
//! stands.

use poise::serenity_prelude as serenity;

use super::reply::channel_message;
use super::Data;
use crate::audit::{Actor, AuditAction, AuditEvent, CitedPassage};
use crate::render::{self, Locale};
use crate::search::Hit;

/// The actor of an event: the Discord user, by id and display name.
pub fn actor(user: &serenity::User) -> Actor {
    Actor {
        id: user.id.to_string(),
        name: user
            .global_name
            .clone()
            .unwrap_or_else(|| user.name.clone()),
    }
}

/// What a public answer cites: each hit's file, paragraph and paragraph hash.
pub fn citations(hits: &[Hit]) -> Vec<CitedPassage> {
    hits.iter()
        .map(|hit| CitedPassage {
            file: hit.source.clone(),
            paragraph: hit.paragraph,
            hash: hit.hash.clone(),
        })
        .collect()
}

/// An answer made public: `message` is the public message, for its link.
pub async fn published(
    http: &serenity::Http,
    data: &Data,
    user: &serenity::User,
    question: &str,
    hits: &[Hit],
    message: Option<&serenity::Message>,
) {
    let action = AuditAction::Published {
        question: question.to_string(),
        citations: citations(hits),
        link: message.map(serenity::Message::link),
    };
    record(http, data, AuditEvent::now(actor(user), action, "ok")).await;
}

/// Appends `event` to the trail and posts it to the audit channel, if one is set.
pub async fn record(http: &serenity::Http, data: &Data, event: AuditEvent) {
    let library = data.library.clone();
    let line = event.clone();
    let written = tokio::task::spawn_blocking(move || library.audit_log().append(&line)).await;
    match written {
        Ok(Ok(())) => {}
        Ok(Err(error)) => tracing::error!(%error, "the audit event was not written"),
        Err(error) => tracing::error!(%error, "the audit writer stopped"),
    }
    let Some(channel) = data.settings.audit_channel else {
        return;
    };
    let message = render::audit_message(&event, &Locale::En.messages().audit);
    if let Err(error) = channel.send_message(http, channel_message(&message)).await {
        tracing::error!(%error, %channel, "the audit line was not posted");
    }
}
