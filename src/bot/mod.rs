//! The Discord bot. The only module that knows about serenity and poise.

/// A start-up problem the operator must fix (exit code 2): missing token, bad settings.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

/// Runs the bot until Ctrl-C or SIGTERM.
pub fn serve_blocking(_config: crate::Config) -> anyhow::Result<()> {
    Err(StartError("not yet".into()).into())
}
