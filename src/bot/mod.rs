//! The Discord bot, on poise and serenity. This is the only module that knows about Discord; it
//! turns interactions into library calls and renderer messages into Discord replies. Its texts
//! come from [`crate::messages`].

mod answers;
mod audit;
mod commands;
mod components;
mod refusal;
mod reply;
mod settings;
mod watch;

use std::future::Future;
use std::sync::Arc;

use poise::serenity_prelude as serenity;

use crate::config::Config;
use crate::messages::{terminal, Locale};
use crate::Library;

pub use answers::ButtonAction;
pub use refusal::{Error, Refusal};
pub use settings::{BotSettings, Settings, StartError};

/// The poise context of our commands.
pub type Context<'a> = poise::Context<'a, Data, Error>;

/// Shared state of the bot.
pub struct Data {
    /// The corpus and its index.
    pub library: Arc<Library>,
    /// Answers kept for their buttons.
    pub answers: answers::AnswerStore,
    /// Discord settings, typed.
    pub settings: Settings,
    /// Searches allowed to run at once: one less than the cores, at least one.
    pub search_slots: tokio::sync::Semaphore,
}

impl Data {
    fn new(library: Arc<Library>, settings: Settings) -> Data {
        let slots = std::thread::available_parallelism()
            .map(|n| n.get().saturating_sub(1))
            .unwrap_or(1)
            .max(1);
        Data {
            library,
            answers: answers::AnswerStore::new(settings.button_lifetime),
            settings,
            search_slots: tokio::sync::Semaphore::new(slots),
        }
    }
}

/// The URL that adds the bot to a server. Interactions need no channel permission, so the bot
/// asks for none.
pub fn invite_url(application_id: serenity::ApplicationId) -> String {
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
    bot: BotSettings,
    library: Arc<Library>,
    shutdown: impl Future<Output = ()> + Send,
) -> anyhow::Result<()> {
    let settings = Settings::new(&bot, library.config())?;
    let watch_corpus = settings.watch_corpus;
    let debounce = settings.reindex_debounce;
    let framework = framework(Data::new(library.clone(), settings));
    let mut client = connect(&bot, framework).await?;
    let _watcher = if watch_corpus {
        watch::spawn(library.clone(), debounce)
            .inspect_err(|error| {
                tracing::warn!(%error, "cannot watch the corpus folder; use /reindex after changes")
            })
            .ok()
    } else {
        None
    };
    let embedder = spawn_embedder(library.clone());
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
    embedder.abort();
    Ok(())
}

/// Computes pending passage embeddings in the background (a large corpus after a build, or a
/// new model) while lexical answers are served; the library switches to them when complete.
/// Checked every few seconds, so a reindex's new passages are picked up too.
fn spawn_embedder(library: Arc<Library>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let mut wait = std::time::Duration::from_secs(5);
            if library.embeddings_pending() {
                let worker = library.clone();
                let failed = match tokio::task::spawn_blocking(move || worker.embed_pending()).await
                {
                    Ok(Ok(_)) => None,
                    Ok(Err(error)) => Some(crate::error::chain(&error)),
                    Err(error) => Some(error.to_string()),
                };
                if let Some(error) = failed {
                    // A full disk or a damaged cache: lexical answers go on; try again later.
                    tracing::error!(%error, "computing passage embeddings failed; retrying in 10 minutes");
                    wait = std::time::Duration::from_secs(600);
                }
            }
            tokio::time::sleep(wait).await;
        }
    })
}

/// The poise framework: commands, checks, handlers, and command registration once connected.
fn framework(data: Data) -> poise::Framework<Data, Error> {
    let guild = data.settings.guild;
    poise::Framework::builder()
        .options(poise::FrameworkOptions {
            commands: commands::all(data.settings.ask_cooldown),
            on_error: |error| Box::pin(refusal::on_error(error)),
            event_handler: |framework, event| Box::pin(on_event(framework, event)),
            command_check: Some(|ctx| Box::pin(channel_allowed(ctx))),
            allowed_mentions: Some(reply::no_mentions()),
            ..Default::default()
        })
        .setup(move |ctx, ready, framework| {
            Box::pin(async move {
                tracing::info!(invite = %invite_url(ready.application.id), "add the bot to a server with this URL");
                // A registration failure must not stop the bot: poise never dispatches events
                // when setup fails.
                if let Err(error) = register(ctx, &framework.options().commands, guild).await {
                    tracing::error!(%error, "registering commands failed");
                }
                Ok(data)
            })
        })
        .build()
}

/// Checks the token, then builds the gateway client (through the proxy, if any).
async fn connect(
    bot: &BotSettings,
    framework: poise::Framework<Data, Error>,
) -> anyhow::Result<serenity::Client> {
    let mut http = serenity::HttpBuilder::new(&bot.token);
    if let Some(proxy) = &bot.proxy_url {
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
    serenity::ClientBuilder::new_with_http(http, serenity::GatewayIntents::GUILDS)
        .framework(framework)
        .await
        .map_err(describe_client_error)
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
        anyhow::Error::new(StartError(terminal().token_rejected.to_string()))
    } else {
        anyhow::anyhow!((terminal().connection_failed)(&error.to_string()))
    }
}

/// Registers the commands, in one guild (instant) or globally. poise leaves context-menu names
/// unlocalized, so those builders get their French names here.
async fn register(
    ctx: &serenity::Context,
    commands: &[poise::Command<Data, Error>],
    guild: Option<serenity::GuildId>,
) -> Result<(), serenity::Error> {
    let builders: Vec<serenity::CreateCommand> = commands
        .iter()
        .flat_map(|command| {
            let context_menu = command.create_as_context_menu_command().map(|builder| {
                match commands::context_menu_name(command, Locale::Fr) {
                    Some(name) => builder.name_localized(Locale::Fr.discord_code(), name),
                    None => builder,
                }
            });
            context_menu
                .into_iter()
                .chain(command.create_as_slash_command())
        })
        .collect();
    match guild {
        Some(guild) => {
            guild.set_commands(&ctx.http, builders).await?;
            tracing::info!(%guild, "commands registered in the guild");
        }
        None => {
            serenity::Command::set_global_commands(&ctx.http, builders).await?;
            tracing::info!("commands registered globally (they may take a while to appear)");
        }
    }
    Ok(())
}

/// The allow-list check. A refusal is a value: it reaches `on_error` without a backtrace.
async fn channel_allowed(ctx: Context<'_>) -> Result<bool, Error> {
    if ctx.data().settings.allows(ctx.channel_id()) {
        Ok(true)
    } else {
        Err(Refusal::Channel.into())
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
