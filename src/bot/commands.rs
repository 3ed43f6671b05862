//! Slash commands and the message context menu. Each body is glue: parse, call the library off
//! the async runtime, render, send.

use std::time::Duration;

use poise::serenity_prelude as serenity;

use super::reply::poise_reply;
use super::{Context, Error};
use crate::bot::answers::ButtonAction;
use crate::error::CoreError;
use crate::render::{self, Locale};

/// Above this many passages, `/ask` acknowledges (defers) before searching.
const DEFER_ABOVE_PASSAGES: usize = 50_000;

fn locale(ctx: &Context<'_>) -> Locale {
    Locale::from_code(ctx.locale())
}

/// Runs blocking library work on the blocking pool, so the gateway keeps being served.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
    Ok(tokio::task::spawn_blocking(f).await?)
}

/// Searches and replies with an answer (or an abstention). Shared by `/ask` and "Find sources".
async fn answer(
    ctx: Context<'_>,
    text: String,
    per_page: usize,
    public: bool,
) -> Result<(), Error> {
    let data = ctx.data();
    let library = data.library.clone();
    // A reindex competes for the CPU, and a large index makes searches queue up under load:
    // acknowledge first so Discord's 3-second deadline holds whatever the search costs.
    if library.is_reindexing() || library.passages() > DEFER_ABOVE_PASSAGES {
        if public {
            ctx.defer().await?;
        } else {
            ctx.defer_ephemeral().await?;
        }
    }
    let question = text.clone();
    // Up to four pages for "More results".
    let fetch = per_page * 4;
    // Searches share a bounded pool so that under load they leave a core to the gateway and to
    // the first responses of other interactions.
    let _slot = data.search_slots.acquire().await?;
    let result = blocking(move || library.search(&question, fetch)).await??;
    let locale = locale(&ctx);
    if result.is_abstained() {
        ctx.send(poise_reply(&render::abstention_message(&result, locale)))
            .await?;
        return Ok(());
    }
    let key = ctx.id().to_string();
    let hits = result.into_hits();
    data.answers.insert(
        &key,
        &text,
        hits,
        per_page,
        ctx.author().id.get(),
        locale,
        !public,
    );
    let message = data
        .answers
        .with(&key, |a| a.render(&key, 0, None))
        .unwrap_or_else(|| render::error_message(locale));
    ctx.send(poise_reply(&message)).await?;
    Ok(())
}

/// Ask a question about the news coverage; answers quote the articles verbatim.
#[poise::command(
    slash_command,
    name_localized("fr", "demander"),
    description_localized(
        "fr",
        "Posez une question sur la couverture ; les réponses citent les articles mot pour mot."
    )
)]
pub async fn ask(
    ctx: Context<'_>,
    #[description = "Your question"]
    #[description_localized("fr", "Votre question")]
    #[max_length = 1000]
    question: String,
    #[description = "Number of results (1-5)"]
    #[name_localized("fr", "resultats")]
    #[description_localized("fr", "Nombre de résultats (1 à 5)")]
    #[min = 1]
    #[max = 5]
    results: Option<u8>,
    #[description = "Post the answer in the channel instead of a private preview"]
    #[description_localized("fr", "Publier la réponse dans le salon plutôt qu'en aperçu privé")]
    public: Option<bool>,
) -> Result<(), Error> {
    let config = &ctx.data().discord;
    let per_page = results
        .map(usize::from)
        .unwrap_or(ctx.data().default_results)
        .clamp(1, 5);
    let public = public.unwrap_or(config.public_by_default);
    answer(ctx, question, per_page, public).await
}

/// Find the passages that best match a message: check a claim against the coverage.
#[poise::command(context_menu_command = "Find sources")]
pub async fn find_sources(ctx: Context<'_>, message: serenity::Message) -> Result<(), Error> {
    let text = message.content.trim().to_string();
    if text.is_empty() {
        let notice = match locale(&ctx) {
            Locale::Fr => "Ce message ne contient pas de texte à vérifier.",
            Locale::En => "This message has no text to check.",
        };
        ctx.send(poise_reply(&render::notice(notice))).await?;
        return Ok(());
    }
    answer(ctx, text, 3, false).await
}

async fn autocomplete_source(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let articles = ctx.data().library.suggest(partial, render::limits::CHOICES);
    let choices = render::autocomplete_choices(&articles)
        .into_iter()
        .map(|(name, value)| serenity::AutocompleteChoice::new(name, value))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

/// Cite an article, or one exact paragraph of it.
#[poise::command(
    slash_command,
    description_localized("fr", "Citer un article, ou un paragraphe exact de celui-ci.")
)]
pub async fn source(
    ctx: Context<'_>,
    #[description = "Article file (type to search file names and titles)"]
    #[name_localized("fr", "fichier")]
    #[description_localized("fr", "Fichier de l'article (tapez pour chercher noms et titres)")]
    #[autocomplete = "autocomplete_source"]
    #[max_length = 300]
    file: String,
    #[description = "Paragraph number"]
    #[name_localized("fr", "paragraphe")]
    #[description_localized("fr", "Numéro du paragraphe")]
    #[min = 1]
    #[max = 100000]
    paragraph: Option<u32>,
) -> Result<(), Error> {
    let library = ctx.data().library.clone();
    let paragraph = paragraph.map(|p| p as usize);
    let requested = file.clone();
    let outcome = blocking(move || library.source(&requested, paragraph)).await?;
    let locale = locale(&ctx);
    let message = match outcome {
        Ok(view) if paragraph.is_some() => render::paragraph_message(&view, locale),
        Ok(view) => render::source_card(&view, locale),
        Err(CoreError::UnknownSource {
            requested,
            suggestions,
        }) => render::unknown_source_message(&requested, &suggestions, locale),
        Err(e @ CoreError::UnknownParagraph { .. }) => render::notice(&e.to_string()),
        Err(e) => return Err(e.into()),
    };
    ctx.send(poise_reply(&message)).await?;
    Ok(())
}

/// The `/sources` page `page`, with its navigation buttons.
pub fn sources_message(library: &crate::Library, page: usize, locale: Locale) -> render::Message {
    let articles = library.sources();
    let previous = ButtonAction::SourcesPage(page.saturating_sub(1)).custom_id();
    let next = ButtonAction::SourcesPage(page + 1).custom_id();
    render::sources_page(&articles, page, locale, Some(&previous), Some(&next))
}

/// List the articles of the corpus.
#[poise::command(
    slash_command,
    description_localized("fr", "Lister les articles du corpus.")
)]
pub async fn sources(ctx: Context<'_>) -> Result<(), Error> {
    let message = sources_message(&ctx.data().library, 0, locale(&ctx));
    ctx.send(poise_reply(&message)).await?;
    Ok(())
}

/// Show the index status: articles, passages, skipped files, index age, version.
#[poise::command(
    slash_command,
    name_localized("fr", "etat"),
    description_localized(
        "fr",
        "État de l'index : articles, passages, fichiers ignorés, âge, version."
    )
)]
pub async fn status(ctx: Context<'_>) -> Result<(), Error> {
    let status = ctx.data().library.status();
    ctx.send(poise_reply(&render::status_message(&status, locale(&ctx))))
        .await?;
    Ok(())
}

/// Rebuild the index from the corpus folder (Manage Server only).
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD",
    name_localized("fr", "reindexer"),
    description_localized(
        "fr",
        "Reconstruire l'index depuis le dossier du corpus (Gérer le serveur)."
    )
)]
pub async fn reindex(ctx: Context<'_>) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let library = ctx.data().library.clone();
    let outcome = blocking(move || library.reindex(true)).await??;
    let locale = locale(&ctx);
    let text = match (outcome, locale) {
        (
            crate::ReindexOutcome::Rebuilt {
                articles,
                passages,
                millis,
            },
            Locale::Fr,
        ) => {
            format!("Index reconstruit : {articles} articles, {passages} passages en {millis} ms.")
        }
        (
            crate::ReindexOutcome::Rebuilt {
                articles,
                passages,
                millis,
            },
            Locale::En,
        ) => {
            format!("Index rebuilt: {articles} articles, {passages} passages in {millis} ms.")
        }
        (_, Locale::Fr) => {
            "Réindexation interrompue ; l'index précédent reste en service.".to_string()
        }
        (_, Locale::En) => "Reindex interrupted; the previous index stays in use.".to_string(),
    };
    ctx.send(poise_reply(&render::notice(&text))).await?;
    Ok(())
}

/// All commands, with the cooldown from the config on `/ask` and "Find sources".
pub fn all(cooldown: Duration) -> Vec<poise::Command<super::Data, Error>> {
    let mut commands = vec![
        ask(),
        find_sources(),
        source(),
        sources(),
        status(),
        reindex(),
    ];
    for command in commands.iter_mut() {
        if matches!(command.name.as_ref(), "ask" | "find_sources") && !cooldown.is_zero() {
            let mut config = match command.cooldown_config.write() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            config.user = Some(cooldown);
        }
    }
    commands
}
