//! The Discord bot, on poise and serenity. This is the only module that knows about Discord; it
//! turns interactions into library calls and renderer messages into Discord replies.

mod answers;
mod commands;
mod components;
mod reply;
mod watch;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use poise::serenity_prelude as serenity;

use crate::config::{Config, DiscordConfig};
use crate::render::{self, Locale};
use crate::Library;

pub use answers::ButtonAction;

/// Errors of command bodies; they are logged with detail and shown to the user as a short
/// ephemeral message.
pub type Error = anyhow::Error;
/// The poise context of our commands.
pub type Context<'a> = poise::Context<'a, Data, Error>;

/// Shared state of the bot.
pub struct Data {
    /// The corpus and its index.
    pub library: Arc<Library>,
    /// Answers kept for their buttons.
    pub answers: answers::AnswerStore,
    /// Discord settings.
    pub discord: DiscordConfig,
    /// Results per page when the user does not say.
    pub default_results: usize,
    /// Searches allowed to run at once: one less than the cores, at least one.
    pub search_slots: tokio::sync::Semaphore,
}

/// A start-up problem the operator must fix (exit code 2): a missing token, a bad setting.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct StartError(pub String);

/// A use the bot refuses, explained to the user.
#[derive(Debug, thiserror::Error)]
enum Refusal {
    #[error("channel not allowed")]
    Channel,
}

/// Connection settings, from the environment (the token never comes from the config file).
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
        let token = std::env::var("DISCORD_TOKEN")
            .unwrap_or_default()
            .trim()
            .to_string();
        if token.is_empty() {
            return Err(StartError(
                "DISCORD_TOKEN is not set. Copy .env.example to .env and put your bot token in it \
                 (Discord developer portal → your application → Bot → Reset Token), or export \
                 DISCORD_TOKEN. `coverage-bot ask` works without a token."
                    .into(),
            ));
        }
        if token.chars().any(|c| c.is_control() || c.is_whitespace()) {
            return Err(StartError(
                "DISCORD_TOKEN contains spaces or control characters; paste it again.".into(),
            ));
        }
        let guild_id = match std::env::var("DISCORD_GUILD_ID") {
            Ok(value) if !value.trim().is_empty() => {
                Some(value.trim().parse::<u64>().map_err(|_| {
                    StartError("DISCORD_GUILD_ID must be a numeric server id.".into())
                })?)
            }
            _ => config.discord.guild_id,
        };
        let proxy_url = std::env::var("DISCORD_PROXY_URL")
            .ok()
            .map(|v| v.trim().trim_end_matches('/').to_string())
            .filter(|v| !v.is_empty());
        if let Some(url) = &proxy_url {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                return Err(StartError(
                    "DISCORD_PROXY_URL must start with http:// or https://.".into(),
                ));
            }
        }
        Ok(BotSettings {
            token,
            guild_id,
            proxy_url,
        })
    }
}

/// The URL that adds the bot to a server. Interactions need no channel permission, so the bot
/// asks for none.
pub fn invite_url(application_id: u64) -> String {
    format!("https://discord.com/oauth2/authorize?client_id={application_id}&scope=bot%20applications.commands&permissions=0")
}

/// Runs the bot until Ctrl-C or SIGTERM: reads the token, opens the index, serves.
pub fn serve_blocking(config: Config) -> anyhow::Result<()> {
    let settings = BotSettings::from_env(&config)?;
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async move {
        // The bot runs for a long time: verify every index file once at start, so bit rot is
        // repaired before the first question rather than found by it.
        let (library, outcome) = tokio::task::spawn_blocking(move || {
            Library::open_with(config, crate::IndexCheck::Checksums)
        })
        .await??;
        match &outcome {
            crate::OpenOutcome::Stale { reason } => {
                tracing::warn!(%reason, "answering from an out-of-date index")
            }
            _ => tracing::info!(?outcome, "index open"),
        }
        run(settings, Arc::new(library), shutdown_signal()).await
    })
}

/// Resolves on Ctrl-C or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// Serves Discord until `shutdown` resolves, then closes the shards and abandons any index
/// build in progress (the previous index stays in use).
pub async fn run(
    settings: BotSettings,
    library: Arc<Library>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let discord = library.config().discord.clone();
    let default_results = library.config().search.default_results.clamp(1, 5);
    let guild_id = settings.guild_id;
    let data = Data {
        library: library.clone(),
        answers: answers::AnswerStore::new(Duration::from_secs(
            discord.button_timeout_seconds.max(1),
        )),
        discord: discord.clone(),
        default_results,
        search_slots: tokio::sync::Semaphore::new(
            std::thread::available_parallelism()
                .map(|n| n.get().saturating_sub(1))
                .unwrap_or(1)
                .max(1),
        ),
    };
    let framework = poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all(Duration::from_secs(discord.ask_cooldown_seconds)),
            on_error: |error| Box::pin(on_error(error)),
            event_handler: |framework, event| Box::pin(on_event(framework, event)),
            command_check: Some(|ctx| Box::pin(channel_allowed(ctx))),
            allowed_mentions: Some(reply::no_mentions()),
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                tracing::info!(invite = %invite_url(ready.application.id.get()), "add the bot to a server with this URL");
                // A registration failure must not stop the bot: poise never dispatches events
                // when setup fails.
                if let Err(error) = register(ctx, &framework.options().commands, guild_id).await {
                    tracing::error!(%error, "registering commands failed");
                }
                Ok(data)
            })
        })
        .build();

    let mut http = serenity::HttpBuilder::new(&settings.token);
    if let Some(proxy) = &settings.proxy_url {
        // serenity's rate limiter ignores the proxy, so it must be off for the proxy to apply.
        http = http.proxy(proxy.clone()).ratelimiter_disabled(true);
    }
    let http = http.build();
    // Check the token before connecting: serenity falls back to the public gateway URL when
    // `GET /gateway` fails, which turns a bad token into a hang instead of an error.
    let me = http
        .get_current_user()
        .await
        .map_err(describe_client_error)?;
    tracing::info!(bot = %me.name, "token accepted");
    let mut client = serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::GUILDS)
        .framework(framework)
        .await
        .map_err(describe_client_error)?;
    let _watcher = if discord.watch_corpus {
        match watch::spawn(
            library.clone(),
            Duration::from_millis(discord.reindex_debounce_ms.max(100)),
        ) {
            Ok(watcher) => Some(watcher),
            Err(error) => {
                tracing::warn!(%error, "cannot watch the corpus folder; use /reindex after changes");
                None
            }
        }
    } else {
        None
    };
    let shard_manager = client.shard_manager.clone();
    tokio::select! {
        result = client.start() => result.map_err(describe_client_error)?,
        _ = shutdown => {
            tracing::info!("shutting down");
            library.cancel_builds();
            shard_manager.shutdown_all().await;
            tracing::info!("shards closed");
        }
    }
    Ok(())
}

/// A clear message for start-up failures; a rejected token is the common one.
fn describe_client_error(error: serenity::Error) -> anyhow::Error {
    let rejected = match &error {
        serenity::Error::Gateway(serenity::GatewayError::InvalidAuthentication) => true,
        serenity::Error::Http(serenity::HttpError::UnsuccessfulRequest(response)) => {
            response.status_code.as_u16() == 401
        }
        _ => false,
    };
    if rejected {
        anyhow::Error::new(StartError(
            "Discord rejected the token (401 Unauthorized). Reset it in the developer portal \
             (your application → Bot → Reset Token) and update DISCORD_TOKEN in .env."
                .into(),
        ))
    } else {
        anyhow::anyhow!("Discord connection failed: {error}")
    }
}

/// Registers the commands, in one guild (instant) or globally. poise leaves context-menu names
/// unlocalized, so those builders get their French names here.
async fn register(
    ctx: &serenity::Context,
    commands: &[poise::Command<Data, Error>],
    guild_id: Option<u64>,
) -> Result<(), serenity::Error> {
    let builders: Vec<serenity::CreateCommand> = commands
        .iter()
        .flat_map(|command| {
            let context_menu = command
                .create_as_context_menu_command()
                .map(|builder| builder.name_localized("fr", "Trouver les sources"));
            context_menu
                .into_iter()
                .chain(command.create_as_slash_command())
        })
        .collect();
    match guild_id {
        Some(id) => {
            serenity::GuildId::new(id)
                .set_commands(&ctx.http, builders)
                .await?;
            tracing::info!(guild = id, "commands registered in the guild");
        }
        None => {
            serenity::Command::set_global_commands(&ctx.http, builders).await?;
            tracing::info!("commands registered globally (they may take a while to appear)");
        }
    }
    Ok(())
}

async fn channel_allowed(ctx: Context<'_>) -> Result<bool, Error> {
    let allowed = &ctx.data().discord.allowed_channels;
    if allowed.is_empty() || allowed.contains(&ctx.channel_id().get()) {
        Ok(true)
    } else {
        Err(Refusal::Channel.into())
    }
}

async fn send_notice(ctx: Context<'_>, message: render::Message) {
    if let Err(error) = ctx.send(reply::poise_reply(&message)).await {
        tracing::warn!(%error, "could not send an error reply");
    }
}

async fn on_error(error: poise::FrameworkError<'_, Data, Error>) {
    match error {
        poise::FrameworkError::Command { error, ctx, .. } => {
            tracing::error!(command = %ctx.command().name, error = ?error, "command failed");
            send_notice(ctx, render::error_message(Locale::from_code(ctx.locale()))).await;
        }
        poise::FrameworkError::CooldownHit {
            remaining_cooldown,
            ctx,
            ..
        } => {
            let seconds = remaining_cooldown.as_secs() + 1;
            let text = match Locale::from_code(ctx.locale()) {
                Locale::Fr => format!("Doucement : réessayez dans {seconds} s."),
                Locale::En => format!("Slow down: try again in {seconds} s."),
            };
            send_notice(ctx, render::notice(&text)).await;
        }
        poise::FrameworkError::MissingUserPermissions { ctx, .. } => {
            let text = match Locale::from_code(ctx.locale()) {
                Locale::Fr => "Il faut la permission « Gérer le serveur » pour cette commande.",
                Locale::En => "You need the Manage Server permission for this command.",
            };
            send_notice(ctx, render::notice(text)).await;
        }
        poise::FrameworkError::CommandCheckFailed { ctx, error, .. } => {
            tracing::info!(channel = %ctx.channel_id(), ?error, "use refused");
            let text = match Locale::from_code(ctx.locale()) {
                Locale::Fr => "Ce bot ne répond pas dans ce salon.",
                Locale::En => "This bot does not answer in this channel.",
            };
            send_notice(ctx, render::notice(text)).await;
        }
        poise::FrameworkError::GuildOnly { ctx, .. } => {
            send_notice(ctx, render::notice("This command works only in a server.")).await;
        }
        poise::FrameworkError::ArgumentParse { ctx, error, .. } => {
            tracing::info!(%error, "bad command input");
            let text = match Locale::from_code(ctx.locale()) {
                Locale::Fr => "Paramètres invalides ; vérifiez la commande.",
                Locale::En => "Invalid options; check the command and try again.",
            };
            send_notice(ctx, render::notice(text)).await;
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

async fn on_event(
    framework: poise::FrameworkContext<'_, Data, Error>,
    event: &serenity::FullEvent,
) -> Result<(), Error> {
    match event {
        serenity::FullEvent::InteractionCreate {
            interaction: serenity::Interaction::Component(click),
        } => components::handle(framework.serenity_context, framework.user_data, click).await,
        serenity::FullEvent::Resume { .. } => {
            tracing::info!("gateway session resumed");
            Ok(())
        }
        serenity::FullEvent::Ready { data_about_bot } => {
            tracing::info!(user = %data_about_bot.user.name, "connected to the gateway");
            Ok(())
        }
        _ => Ok(()),
    }
}
