//! Turns renderer messages into serenity builders. Every builder gets empty allowed mentions,
//! so no quote can ping anyone.

use poise::serenity_prelude as serenity;
use serenity::{
    ButtonStyle, CreateActionRow, CreateAllowedMentions, CreateAttachment, CreateButton,
    CreateEmbed, CreateEmbedFooter, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage,
};

use crate::render::{self, Message};

/// No pings: no users, roles, `@everyone` or replied user.
pub fn no_mentions() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
        .everyone(false)
        .all_users(false)
        .all_roles(false)
        .replied_user(false)
}

fn embed(e: &render::Embed) -> CreateEmbed {
    let mut out = CreateEmbed::new();
    if let Some(title) = &e.title {
        out = out.title(title);
    }
    if let Some(url) = &e.url {
        out = out.url(url);
    }
    if let Some(description) = &e.description {
        out = out.description(description);
    }
    for field in &e.fields {
        out = out.field(&field.name, &field.value, field.inline);
    }
    if let Some(footer) = &e.footer {
        out = out.footer(CreateEmbedFooter::new(footer));
    }
    out
}

/// The action row of a message's buttons (none when it has no buttons).
pub fn components(message: &Message) -> Vec<CreateActionRow> {
    if message.buttons.is_empty() {
        return Vec::new();
    }
    let buttons = message
        .buttons
        .iter()
        .map(|b| {
            CreateButton::new(&b.custom_id)
                .label(&b.label)
                .style(match b.style {
                    render::ButtonStyle::Primary => ButtonStyle::Primary,
                    render::ButtonStyle::Secondary => ButtonStyle::Secondary,
                })
                .disabled(b.disabled)
        })
        .collect();
    vec![CreateActionRow::Buttons(buttons)]
}

fn embeds(message: &Message) -> Vec<CreateEmbed> {
    message.embeds.iter().map(embed).collect()
}

fn attachment(message: &Message) -> Option<CreateAttachment> {
    message
        .attachment
        .as_ref()
        .map(|a| CreateAttachment::bytes(a.bytes.clone(), a.filename.clone()))
}

/// A poise reply.
pub fn poise_reply(message: &Message) -> poise::CreateReply {
    let mut reply = poise::CreateReply::default()
        .ephemeral(message.ephemeral)
        .allowed_mentions(no_mentions())
        .components(components(message));
    if !message.content.is_empty() {
        reply = reply.content(&message.content);
    }
    for e in embeds(message) {
        reply = reply.embed(e);
    }
    if let Some(file) = attachment(message) {
        reply = reply.attachment(file);
    }
    reply
}

/// Fills an interaction-message builder; the response and followup builders share these methods
/// but no trait, hence the macro.
macro_rules! interaction_message {
    ($builder:expr, $message:expr) => {{
        let message: &Message = $message;
        let mut out = $builder
            .ephemeral(message.ephemeral)
            .allowed_mentions(no_mentions())
            .components(components(message))
            .embeds(embeds(message));
        if !message.content.is_empty() {
            out = out.content(&message.content);
        }
        if let Some(file) = attachment(message) {
            out = out.add_file(file);
        }
        out
    }};
}

/// An interaction response message (for component clicks).
pub fn response_message(message: &Message) -> CreateInteractionResponseMessage {
    interaction_message!(CreateInteractionResponseMessage::new(), message)
}

/// A message posted to a channel (the audit channel): content only, no pings.
pub fn channel_message(message: &Message) -> serenity::CreateMessage {
    let mut out = serenity::CreateMessage::new()
        .allowed_mentions(no_mentions())
        .components(components(message))
        .embeds(embeds(message));
    if !message.content.is_empty() {
        out = out.content(&message.content);
    }
    out
}

/// A followup message.
pub fn followup(message: &Message) -> CreateInteractionResponseFollowup {
    interaction_message!(CreateInteractionResponseFollowup::new(), message)
}
