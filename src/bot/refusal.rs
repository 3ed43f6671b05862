//! What goes wrong in a command: an expected refusal, or a failure.
//!
//! A refusal (wrong channel, cooldown, missing permission, unknown article...) is a plain value:
//! it is answered with a short ephemeral message and logged in one line. Only failures become
//! `anyhow` errors, whose backtrace (with `RUST_BACKTRACE=1`) is worth its cost.

use std::fmt;
use std::time::Duration;

use super::reply::poise_reply;
use super::{Context, Data};
use crate::render::{self, Locale};

/// The error type of commands and event handlers.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An expected refusal, explained to the user.
    #[error("refused: {0}")]
    Refused(Refusal),
    /// Something failed; logged with detail, the user gets a generic message.
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

impl From<Refusal> for Error {
    fn from(refusal: Refusal) -> Error {
        Error::Refused(refusal)
    }
}

/// Failures that command bodies meet, converted for `?`. Listed one by one: a blanket
/// conversion would also accept `Error` itself.
macro_rules! failures {
    ($($error:ty),* $(,)?) => {$(
        impl From<$error> for Error {
            fn from(error: $error) -> Error {
                Error::Failed(anyhow::Error::new(error))
            }
        }
    )*};
}

failures!(
    crate::error::CoreError,
    poise::serenity_prelude::Error,
    tokio::task::JoinError,
    tokio::sync::AcquireError,
);

/// A use the bot refuses. Expected, cheap, and never carries a backtrace.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The channel is not in `discord.allowed_channels`.
    Channel,
    /// The user must wait before asking again.
    Cooldown {
        /// Time left.
        remaining: Duration,
    },
    /// The command needs Manage Server.
    MissingPermission,
    /// A server-only command used outside a server.
    GuildOnly,
    /// Options that do not parse (Discord should have stopped them).
    InvalidOptions {
        /// What did not parse, for the log.
        detail: String,
    },
    /// "Find sources" on a message without text.
    NothingToCheck,
    /// A `/source` name that is no corpus file.
    UnknownArticle {
        /// The name, cleaned.
        requested: String,
        /// The closest corpus names.
        suggestions: Vec<String>,
    },
    /// A filter of `/ask` that does not parse.
    BadFilter(crate::filter::FilterError),
    /// A paragraph number outside the article.
    UnknownParagraph {
        /// The article.
        file: String,
        /// The number asked for.
        requested: usize,
        /// The article's paragraph count.
        count: usize,
    },
}

/// One line for the log (user text is quoted with `Debug`, so it cannot break the line).
impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Channel => write!(f, "channel not allowed"),
            Refusal::Cooldown { remaining } => write!(f, "cooldown, {remaining:?} left"),
            Refusal::MissingPermission => write!(f, "missing Manage Server"),
            Refusal::GuildOnly => write!(f, "server-only command outside a server"),
            Refusal::InvalidOptions { detail } => write!(f, "invalid options: {detail:?}"),
            Refusal::NothingToCheck => write!(f, "message without text"),
            Refusal::UnknownArticle { requested, .. } => write!(f, "unknown article {requested:?}"),
            Refusal::BadFilter(error) => write!(f, "bad filter: {:?}", error.to_string()),
            Refusal::UnknownParagraph {
                file, requested, ..
            } => write!(f, "no paragraph {requested} in {file:?}"),
        }
    }
}

impl Refusal {
    /// The ephemeral reply.
    pub fn message(&self, locale: Locale) -> render::Message {
        let text = &locale.messages().notice;
        match self {
            Refusal::Channel => render::notice(text.channel),
            Refusal::Cooldown { remaining } => {
                // Rounded up: "0 s" would invite a retry that is still refused.
                render::notice(&(text.cooldown)(remaining.as_secs() + 1))
            }
            Refusal::MissingPermission => render::notice(text.missing_permission),
            Refusal::GuildOnly => render::notice(text.guild_only),
            Refusal::InvalidOptions { .. } => render::notice(text.invalid_options),
            Refusal::NothingToCheck => render::notice(text.nothing_to_check),
            Refusal::UnknownArticle {
                requested,
                suggestions,
            } => render::unknown_source_message(requested, suggestions, locale),
            Refusal::BadFilter(error) => render::filter_refusal(error, locale),
            Refusal::UnknownParagraph {
                file,
                requested,
                count,
            } => render::unknown_paragraph_message(file, *requested, *count, locale),
        }
    }
}

/// Logs a refusal in one line and answers it.
async fn refuse(ctx: Context<'_>, refusal: Refusal) {
    tracing::info!(
        command = %ctx.command().name,
        user = %ctx.author().id,
        channel = %ctx.channel_id(),
        %refusal,
        "use refused"
    );
    // Moderators' commands leave a trace even when refused.
    let action = match ctx.command().identifying_name.as_ref() {
        "reindex" => Some(crate::audit::AuditAction::Reindex),
        // The refused file name is not known here (the options were not parsed).
        "remove" => Some(crate::audit::AuditAction::Remove {
            file: String::new(),
        }),
        "add" => Some(crate::audit::AuditAction::Add {
            given: String::new(),
            file: None,
        }),
        _ => None,
    };
    if let Some(action) = action {
        let event = crate::audit::AuditEvent::now(
            super::audit::actor(ctx.author()),
            action,
            format!("refused: {refusal}"),
        );
        super::audit::record(ctx.http(), ctx.data(), event).await;
    }
    send_notice(ctx, refusal.message(Locale::from_code(ctx.locale()))).await;
}

async fn send_notice(ctx: Context<'_>, message: render::Message) {
    if let Err(error) = ctx.send(poise_reply(&message)).await {
        tracing::warn!(%error, "could not send an error reply");
    }
}

/// A command failed: the detail goes to the log, a generic message to the user.
async fn fail(ctx: Context<'_>, error: &anyhow::Error) {
    tracing::error!(command = %ctx.command().name, error = ?error, "command failed");
    send_notice(ctx, render::error_message(Locale::from_code(ctx.locale()))).await;
}

/// poise's error handler: refusals and failures from commands, checks and the framework.
pub async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => match error {
            Error::Refused(refusal) => refuse(ctx, refusal).await,
            Error::Failed(error) => fail(ctx, &error).await,
        },
        poise::FrameworkError::CommandCheckFailed { ctx, error, .. } => match error {
            Some(Error::Refused(refusal)) => refuse(ctx, refusal).await,
            Some(Error::Failed(error)) => fail(ctx, &error).await,
            // Our only check explains itself; a bare "no" is still a channel refusal.
            None => refuse(ctx, Refusal::Channel).await,
        },
        poise::FrameworkError::CooldownHit {
            remaining_cooldown,
            ctx,
            ..
        } => {
            let remaining = remaining_cooldown;
            refuse(ctx, Refusal::Cooldown { remaining }).await
        }
        poise::FrameworkError::MissingUserPermissions { ctx, .. } => {
            refuse(ctx, Refusal::MissingPermission).await
        }
        poise::FrameworkError::GuildOnly { ctx, .. } => refuse(ctx, Refusal::GuildOnly).await,
        poise::FrameworkError::ArgumentParse { ctx, error, .. } => {
            let detail = error.to_string();
            refuse(ctx, Refusal::InvalidOptions { detail }).await
        }
        poise::FrameworkError::EventHandler { error, .. } => {
            tracing::error!(error = ?error, "interaction handling failed");
        }
        other => {
            if let Err(error) = poise::builtins::on_error(other).await {
                tracing::error!(%error, "error while handling an error");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refusals_log_in_one_line_and_answer_ephemerally() {
        let refusals = [
            Refusal::Channel,
            Refusal::Cooldown {
                remaining: Duration::from_millis(1500),
            },
            Refusal::MissingPermission,
            Refusal::GuildOnly,
            Refusal::InvalidOptions {
                detail: "bad\nvalue".into(),
            },
            Refusal::NothingToCheck,
            Refusal::UnknownArticle {
                requested: "x\ny".into(),
                suggestions: vec!["a.txt".into()],
            },
            Refusal::UnknownParagraph {
                file: "a.txt".into(),
                requested: 9,
                count: 2,
            },
        ];
        for refusal in refusals {
            assert!(!refusal.to_string().contains('\n'), "{refusal}");
            for locale in [Locale::En, Locale::Fr] {
                let message = refusal.message(locale);
                assert!(message.ephemeral);
                message.check_limits().unwrap();
            }
        }
        let fr = Refusal::GuildOnly.message(Locale::Fr).content;
        assert!(fr.contains("serveur"), "{fr}");
        let wait = Refusal::Cooldown {
            remaining: Duration::from_millis(1500),
        };
        assert!(wait.message(Locale::En).content.contains("in 2 s"));
    }
}
