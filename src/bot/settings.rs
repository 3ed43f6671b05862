//! The bot's settings: connection settings from the environment, and the Discord settings of the
//! config turned once, at start, into typed values (serenity ids, durations).

use std::num::NonZeroU64;
use std::time::Duration;

use poise::serenity_prelude::{ChannelId, GuildId};

use crate::config::Config;
use crate::messages::terminal;

/// A start-up problem the operator must fix (exit code 2): a missing token, a bad setting.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

impl StartError {
    fn new(text: &str) -> StartError {
        StartError(text.to_string())
    }
}

/// Connection settings, from the environment (the token never comes from the config file).
/// Like the config, this is outside input and keeps plain numbers; [`Settings`] holds the
/// checked, typed form.
#[derive(Clone)]
pub struct BotSettings {
    /// The bot token.
    pub token: String,
    /// Register commands in this guild only.
    pub guild_id: Option<u64>,
    /// Send Discord API traffic through this HTTP proxy (`http://host:port`).
    pub proxy_url: Option<String>,
}

impl std::fmt::Debug for BotSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotSettings")
            .field("token", &"<redacted>")
            .field("guild_id", &self.guild_id)
            .field("proxy_url", &self.proxy_url)
            .finish()
    }
}

impl BotSettings {
    /// Reads `DISCORD_TOKEN`, `DISCORD_GUILD_ID` and `DISCORD_PROXY_URL` from the environment
    /// (call `dotenvy::dotenv()` first to include `.env`).
    pub fn from_env(config: &Config) -> Result<BotSettings, StartError> {
        let text = terminal();
        let token = std::env::var("DISCORD_TOKEN")
            .unwrap_or_default()
            .trim()
            .to_string();
        if token.is_empty() {
            return Err(StartError::new(text.token_missing));
        }
        if token.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(StartError::new(text.token_garbled));
        }
        let guild_id = match std::env::var("DISCORD_GUILD_ID") {
            Ok(value) if !value.trim().is_empty() => Some(
                value
                    .trim()
                    .parse::<u64>()
                    .map_err(|_| StartError::new(text.guild_id_not_numeric))?,
            ),
            _ => config.discord.guild_id,
        };
        let proxy_url = std::env::var("DISCORD_PROXY_URL")
            .ok()
            .map(|v| v.trim().trim_end_matches('/').to_string())
            .filter(|v| !v.is_empty());
        if let Some(url) = &proxy_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(StartError::new(text.proxy_scheme));
            }
        }
        Ok(BotSettings {
            token,
            guild_id,
            proxy_url,
        })
    }
}

/// The Discord settings the bot runs with, typed.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Register commands in this guild only (instant), instead of globally.
    pub guild: Option<GuildId>,
    /// If not empty, the bot answers only in these channels.
    pub allowed_channels: Vec<ChannelId>,
    /// Whether `/ask` answers publicly by default.
    pub public_by_default: bool,
    /// Per-user cooldown of `/ask` and "Find sources" (zero disables it).
    pub ask_cooldown: Duration,
    /// How long the buttons of a reply keep working.
    pub button_lifetime: Duration,
    /// Watch the corpus folder and reindex on change.
    pub watch_corpus: bool,
    /// Quiet period before a corpus change triggers a reindex.
    pub reindex_debounce: Duration,
    /// Results per page when the user does not say (the config accepts only what `/ask` offers).
    pub default_results: usize,
    /// Where audit lines are posted, if anywhere.
    pub audit_channel: Option<ChannelId>,
}

impl Settings {
    /// Checks and converts the config's Discord settings, with the guild from `bot`.
    pub fn new(bot: &BotSettings, config: &Config) -> Result<Settings, StartError> {
        let discord = &config.discord;
        let guild = bot
            .guild_id
            .map(|id| discord_id(id, "DISCORD_GUILD_ID / discord.guild_id").map(GuildId::from))
            .transpose()?;
        let allowed_channels = discord
            .allowed_channels
            .iter()
            .map(|&id| discord_id(id, "discord.allowed_channels").map(ChannelId::from))
            .collect::<Result<_, _>>()?;
        Ok(Settings {
            guild,
            allowed_channels,
            public_by_default: discord.public_by_default,
            ask_cooldown: Duration::from_secs(discord.ask_cooldown_seconds),
            // Zero would expire every answer before its first click.
            button_lifetime: Duration::from_secs(discord.button_timeout_seconds.max(1)),
            watch_corpus: discord.watch_corpus,
            reindex_debounce: Duration::from_millis(discord.reindex_debounce_ms.max(100)),
            default_results: config.search.default_results,
            audit_channel: discord
                .audit_channel_id
                .map(|id| discord_id(id, "discord.audit_channel_id").map(ChannelId::from))
                .transpose()?,
        })
    }

    /// Whether the bot answers in `channel`.
    pub fn allows(&self, channel: ChannelId) -> bool {
        self.allowed_channels.is_empty() || self.allowed_channels.contains(&channel)
    }
}

/// Discord ids are never 0 (serenity's id types would panic on it).
fn discord_id(id: u64, setting: &str) -> Result<NonZeroU64, StartError> {
    NonZeroU64::new(id).ok_or_else(|| StartError((terminal().zero_id)(setting)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bot(guild_id: Option<u64>) -> BotSettings {
        BotSettings {
            token: "t".into(),
            guild_id,
            proxy_url: None,
        }
    }

    #[test]
    fn ids_are_typed_once_and_zero_is_refused() {
        let mut config = Config::default();
        config.discord.allowed_channels = vec![7];
        let settings = Settings::new(&bot(Some(5)), &config).unwrap();
        assert_eq!(settings.guild, Some(GuildId::new(5)));
        assert!(settings.allows(ChannelId::new(7)));
        assert!(!settings.allows(ChannelId::new(8)));
        assert!(Settings::new(&bot(Some(0)), &config).is_err());
        config.discord.allowed_channels = vec![0];
        assert!(Settings::new(&bot(None), &config).is_err());
    }

    #[test]
    fn default_results_are_used_as_configured() {
        let mut config = Config::default();
        config.search.default_results = 4;
        let settings = Settings::new(&bot(None), &config).unwrap();
        assert_eq!(settings.default_results, 4);
    }
}
