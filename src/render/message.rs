//! Plain message data, and the check of every Discord limit.

use super::limits;
use crate::text::truncate_chars;

/// A button's look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonStyle {
    /// Highlighted.
    Primary,
    /// Neutral.
    Secondary,
}

/// A button.
#[derive(Debug, Clone, PartialEq)]
pub struct Button {
    /// Identifier sent back on click (≤ 100 characters).
    pub custom_id: String,
    /// Label (≤ 80 characters).
    pub label: String,
    /// Look.
    pub style: ButtonStyle,
    /// Greyed out.
    pub disabled: bool,
}

impl Button {
    /// A button; the id and label are cut to Discord's limits.
    pub fn new(custom_id: &str, label: &str, style: ButtonStyle) -> Button {
        Button {
            custom_id: custom_id.chars().take(limits::CUSTOM_ID).collect(),
            label: truncate_chars(label, limits::BUTTON_LABEL),
            style,
            disabled: false,
        }
    }
}

/// A field of an embed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmbedField {
    /// Name (bold, above the value).
    pub name: String,
    /// Value (Discord markdown).
    pub value: String,
    /// Whether it sits beside its neighbours rather than on its own line.
    pub inline: bool,
}

impl EmbedField {
    /// A field shown beside its neighbours.
    pub fn inline(name: impl Into<String>, value: impl Into<String>) -> EmbedField {
        EmbedField {
            name: name.into(),
            value: value.into(),
            inline: true,
        }
    }

    /// A field on its own line.
    pub fn block(name: impl Into<String>, value: impl Into<String>) -> EmbedField {
        EmbedField {
            name: name.into(),
            value: value.into(),
            inline: false,
        }
    }
}

/// An embed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embed {
    /// Title.
    pub title: Option<String>,
    /// Link of the title.
    pub url: Option<String>,
    /// Body (Discord markdown).
    pub description: Option<String>,
    /// Fields.
    pub fields: Vec<EmbedField>,
    /// Footer.
    pub footer: Option<String>,
}

impl Embed {
    fn text_len(&self) -> usize {
        let count = |s: &Option<String>| s.as_ref().map(|t| t.chars().count()).unwrap_or(0);
        count(&self.title)
            + count(&self.description)
            + count(&self.footer)
            + self
                .fields
                .iter()
                .map(|f| f.name.chars().count() + f.value.chars().count())
                .sum::<usize>()
    }
}

/// A file sent with a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    /// File name.
    pub filename: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// A message to send: plain data that the bot turns into Discord builders. Mentions are always
/// disabled when it is sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    /// Plain content.
    pub content: String,
    /// Embeds.
    pub embeds: Vec<Embed>,
    /// One row of buttons.
    pub buttons: Vec<Button>,
    /// Only the requesting user sees it.
    pub ephemeral: bool,
    /// An attached file.
    pub attachment: Option<Attachment>,
}

impl Message {
    /// Checks every Discord limit; returns the first violation.
    pub fn check_limits(&self) -> Result<(), String> {
        let over = |what: &str, len: usize, max: usize| {
            if len > max {
                Err(format!("{what}: {len} > {max}"))
            } else {
                Ok(())
            }
        };
        over("content", self.content.chars().count(), limits::CONTENT)?;
        over("embeds", self.embeds.len(), limits::EMBEDS)?;
        over("buttons", self.buttons.len(), limits::BUTTONS)?;
        let mut total = 0;
        for e in &self.embeds {
            let len = |s: &Option<String>| s.as_ref().map(|t| t.chars().count()).unwrap_or(0);
            over("embed title", len(&e.title), limits::EMBED_TITLE)?;
            over(
                "embed description",
                len(&e.description),
                limits::EMBED_DESCRIPTION,
            )?;
            over("embed footer", len(&e.footer), limits::FOOTER)?;
            over("embed fields", e.fields.len(), limits::FIELDS)?;
            for field in &e.fields {
                over("field name", field.name.chars().count(), limits::FIELD_NAME)?;
                over(
                    "field value",
                    field.value.chars().count(),
                    limits::FIELD_VALUE,
                )?;
                if field.name.is_empty() || field.value.is_empty() {
                    return Err("empty field".into());
                }
            }
            total += e.text_len();
        }
        over("embed total", total, limits::EMBED_TOTAL)?;
        for b in &self.buttons {
            over("custom_id", b.custom_id.chars().count(), limits::CUSTOM_ID)?;
            over(
                "button label",
                b.label.chars().count(),
                limits::BUTTON_LABEL,
            )?;
        }
        if self.content.is_empty() && self.embeds.is_empty() && self.attachment.is_none() {
            return Err("empty message".into());
        }
        Ok(())
    }
}
