//! Slash commands and the message context menu. Each body is glue: parse, call the library off
//! the async runtime, render, send. Names and descriptions are set from [`crate::messages`] in
//! [`all`]; the doc comments here are for readers of the code.

use std::time::Duration;

use poise::serenity_prelude as serenity;

use super::answers::{Asked, ButtonAction};
use super::reply::poise_reply;
use super::{Context, Data, Error, Refusal};
use crate::add::AddedBy;
use crate::audit::{AuditAction, AuditEvent};
use crate::error::CoreError;
use crate::filter::Filter;
use crate::library::Added;
use crate::messages::{CommandText, Locale};
use crate::render;
use crate::search::Hit;

/// Above this many passages, `/ask` acknowledges (defers) before searching.
const DEFER_ABOVE_PASSAGES: usize = 50_000;

/// Longest question, in characters: registered as the `question` option's maximum, and applied
/// to every question (a "Find sources" message can be longer).
pub const MAX_QUESTION_CHARS: u16 = 1000;

fn locale(ctx: &Context<'_>) -> Locale {
    Locale::from_code(ctx.locale())
}

/// Runs blocking library work on the blocking pool, so the gateway keeps being served.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Error> {
    Ok(tokio::task::spawn_blocking(f).await?)
}

/// The question within [`MAX_QUESTION_CHARS`], and the maximum if it had to be cut.
fn within_max_length(text: String) -> (String, Option<usize>) {
    let max = usize::from(MAX_QUESTION_CHARS);
    match text.char_indices().nth(max) {
        Some((end, _)) => (text[..end].to_string(), Some(max)),
        None => (text, None),
    }
}

/// Searches and replies with an answer (or an abstention). Shared by `/ask` and "Find sources".
async fn answer(
    ctx: Context<'_>,
    text: String,
    per_page: usize,
    public: bool,
    filter: Filter,
) -> Result<(), Error> {
    let data = ctx.data();
    let library = data.library.clone();
    // A reindex competes for the CPU, a large index makes searches queue up under load, and
    // embedding the question takes ~10 ms of both cores (20 at once queue for 200+ ms):
    // acknowledge first so the first response is immediate whatever the search costs.
    let semantic = library.semantic_active();
    if library.is_reindexing() || semantic || library.passages() > DEFER_ABOVE_PASSAGES {
        if public {
            ctx.defer().await?;
        } else {
            ctx.defer_ephemeral().await?;
        }
    }
    let (question, cut_to) = within_max_length(text);
    let query = question.clone();
    // Up to four pages for "More results".
    let fetch = per_page * 4;
    // Searches share a bounded pool so that under load they leave a core to the gateway and to
    // the first responses of other interactions.
    let _slot = data.search_slots.acquire().await?;
    let searched = blocking(move || library.search_filtered(&query, fetch, &filter)).await?;
    let result = searched.map_err(unknown_article)?;
    let locale = locale(&ctx);
    if result.is_abstained() {
        let mut message = render::abstention_message(&result, locale);
        if let Some(max) = cut_to {
            message = render::with_note(message, &(locale.messages().answer.question_cut)(max));
        }
        ctx.send(poise_reply(&message)).await?;
        return Ok(());
    }
    let key = ctx.id().to_string();
    // What a public answer shows, for the audit trail: its first page.
    let audited = public.then(|| {
        let shown: Vec<Hit> = result.hits().iter().take(per_page).cloned().collect();
        (question.clone(), shown)
    });
    data.answers.insert(
        &key,
        Asked {
            question,
            cut_to,
            scope: result.scope,
            hits: result.into_hits(),
            per_page,
            owner: ctx.author().id,
            locale,
            ephemeral: !public,
        },
    );
    let message = data
        .answers
        .with(&key, |a| a.render(&key, 0, None))
        .unwrap_or_else(|| render::error_message(locale));
    let sent = ctx.send(poise_reply(&message)).await?;
    if let Some((question, hits)) = audited {
        let posted = sent
            .message()
            .await
            .inspect_err(|error| tracing::warn!(%error, "no link to the public answer"))
            .ok();
        super::audit::published(
            ctx.http(),
            data,
            ctx.author(),
            &question,
            &hits,
            posted.as_deref(),
        )
        .await;
    }
    Ok(())
}

/// `/ask`: a question about the coverage, answered with verbatim quotes.
// Each Discord option is a parameter of the command function: that is how poise declares them.
#[allow(clippy::too_many_arguments)]
#[poise::command(slash_command)]
pub async fn ask(
    ctx: Context<'_>,
    question: String,
    #[min = 1]
    #[max = 5]
    results: Option<u8>,
    public: Option<bool>,
    #[autocomplete = "autocomplete_outlet"]
    #[max_length = 200]
    outlet: Option<String>,
    #[max_length = 40] after: Option<String>,
    #[max_length = 40] before: Option<String>,
    #[autocomplete = "autocomplete_source"]
    #[max_length = 300]
    source: Option<String>,
) -> Result<(), Error> {
    let filter = Filter::parse(
        outlet.as_deref(),
        after.as_deref(),
        before.as_deref(),
        source.as_deref(),
    )
    .map_err(Refusal::BadFilter)?;
    let settings = &ctx.data().settings;
    // Discord enforces 1-5 on the option; a forged interaction still gets a valid page size.
    let per_page = results
        .map(|n| usize::from(n).clamp(1, 5))
        .unwrap_or(settings.default_results);
    let public = public.unwrap_or(settings.public_by_default);
    answer(ctx, question, per_page, public, filter).await
}

/// "Find sources": the passages that best match a message, to check a claim.
#[poise::command(context_menu_command = "Find sources")]
pub async fn find_sources(ctx: Context<'_>, message: serenity::Message) -> Result<(), Error> {
    let text = message.content.trim().to_string();
    if text.is_empty() {
        return Err(Refusal::NothingToCheck.into());
    }
    answer(ctx, text, 3, false, Filter::default()).await
}

/// A name the corpus does not have is the user's mistake (refused with the closest names);
/// any other error is a failure.
fn unknown_article(error: CoreError) -> Error {
    match error {
        CoreError::UnknownSource {
            requested,
            suggestions,
        } => Refusal::UnknownArticle {
            requested,
            suggestions,
        }
        .into(),
        other => other.into(),
    }
}

fn autocomplete_response(choices: Vec<(String, String)>) -> serenity::CreateAutocompleteResponse {
    let choices = choices
        .into_iter()
        .map(|(name, value)| serenity::AutocompleteChoice::new(name, value))
        .collect();
    serenity::CreateAutocompleteResponse::new().set_choices(choices)
}

async fn autocomplete_outlet(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let outlets = ctx.data().library.outlets(partial, render::limits::CHOICES);
    autocomplete_response(render::outlet_choices(&outlets))
}

async fn autocomplete_source(
    ctx: Context<'_>,
    partial: &str,
) -> serenity::CreateAutocompleteResponse {
    let articles = ctx.data().library.suggest(partial, render::limits::CHOICES);
    autocomplete_response(render::autocomplete_choices(&articles))
}

/// `/source`: an article as a card with the file attached, or one exact paragraph.
#[poise::command(slash_command)]
pub async fn source(
    ctx: Context<'_>,
    #[autocomplete = "autocomplete_source"]
    #[max_length = 300]
    file: String,
    #[min = 1]
    #[max = 100000]
    paragraph: Option<u32>,
) -> Result<(), Error> {
    let library = ctx.data().library.clone();
    let paragraph = paragraph.map(|p| p as usize);
    let outcome = blocking(move || library.source(&file, paragraph)).await?;
    let locale = locale(&ctx);
    let message = match outcome {
        Ok(view) if paragraph.is_some() => render::paragraph_message(&view, locale),
        Ok(view) => render::source_card(&view, locale),
        Err(error @ CoreError::UnknownSource { .. }) => return Err(unknown_article(error)),
        Err(CoreError::UnknownParagraph {
            file,
            requested,
            count,
        }) => {
            return Err(Refusal::UnknownParagraph {
                file,
                requested,
                count,
            }
            .into())
        }
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

/// `/sources`: the articles of the corpus, a page at a time.
#[poise::command(slash_command)]
pub async fn sources(ctx: Context<'_>) -> Result<(), Error> {
    let message = sources_message(&ctx.data().library, 0, locale(&ctx));
    ctx.send(poise_reply(&message)).await?;
    Ok(())
}

/// `/status`: articles, passages, skipped files, index age, version.
#[poise::command(slash_command)]
pub async fn status(ctx: Context<'_>) -> Result<(), Error> {
    let status = ctx.data().library.status();
    ctx.send(poise_reply(&render::status_message(&status, locale(&ctx))))
        .await?;
    Ok(())
}

/// `/reindex`: rebuilds the index from the corpus folder (Manage Server only).
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD"
)]
pub async fn reindex(ctx: Context<'_>) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let library = ctx.data().library.clone();
    let outcome = blocking(move || library.reindex(true)).await?;
    let audited = match &outcome {
        Ok(crate::ReindexOutcome::Rebuilt {
            articles, passages, ..
        }) => format!("ok: {articles} articles, {passages} passages"),
        Ok(_) => "interrupted".to_string(),
        Err(error) => format!("failed: {}", crate::error::chain(error)),
    };
    let event = AuditEvent::now(
        super::audit::actor(ctx.author()),
        AuditAction::Reindex,
        audited,
    );
    super::audit::record(ctx.http(), ctx.data(), event).await;
    let text = &locale(&ctx).messages().reindex;
    let text = match outcome? {
        crate::ReindexOutcome::Rebuilt {
            articles,
            passages,
            millis,
        } => (text.rebuilt)(articles, passages, millis),
        _ => text.interrupted.to_string(),
    };
    ctx.send(poise_reply(&render::notice(&text))).await?;
    Ok(())
}

// A page (`url:`) or an attachment (`file:`, .html/.htm/.md/.txt) is fetched under the config's
// `[fetch]` policy (see `crate::fetch`), saved as Markdown with front matter and indexed; the
// reply is the new article's card.
/// `/add`: adds a web article or an attached file to the corpus.
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD"
)]
pub async fn add(
    ctx: Context<'_>,
    #[max_length = 2000] url: Option<String>,
    file: Option<serenity::Attachment>,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let data = ctx.data();
    let locale = locale(&ctx);
    let text = &locale.messages().reindex;
    let origin = match (url, file) {
        (Some(url), None) => crate::add::Origin::Url(url),
        (None, Some(file)) => crate::add::Origin::Attachment {
            name: file.filename,
            size: u64::from(file.size),
            url: file.url,
        },
        _ => {
            ctx.send(poise_reply(&render::notice(text.add_one_of)))
                .await?;
            return Ok(());
        }
    };
    let policy = data.library.config().fetch.policy();
    let actor = super::audit::actor(ctx.author());
    let added_by = AddedBy {
        who: format!("{} (discord {})", actor.name, actor.id),
        at: crate::audit::now_utc(),
    };
    let outcome = match crate::add::fetch_submission(&origin, &policy).await {
        Ok(submission) => {
            let library = data.library.clone();
            blocking(move || library.add_article(&submission, &added_by))
                .await?
                .map_err(|e| crate::error::chain(&e))
        }
        Err(error) => Err(error.to_string()),
    };
    let (file, audited, message) = match outcome {
        Ok(Added::Added { file, paragraphs }) => {
            let note = (text.added)(&render::inline_code_text(&file), paragraphs);
            let card = data
                .library
                .source(&file, None)
                .map(|view| render::with_note(render::source_card(&view, locale), &note))
                .unwrap_or_else(|_| render::notice(&note));
            (Some(file), format!("ok: {paragraphs} paragraphs"), card)
        }
        Ok(Added::AlreadyThere { file }) => {
            let message = render::notice(&(text.already_there)(&render::inline_code_text(&file)));
            (Some(file), "already in the corpus".to_string(), message)
        }
        Err(reason) => {
            let message = render::notice(&(text.add_failed)(&render::inline_code_text(&reason)));
            (None, format!("failed: {reason}"), message)
        }
    };
    let given = origin.given();
    let event = AuditEvent::now(actor, AuditAction::Add { given, file }, audited);
    super::audit::record(ctx.http(), data, event).await;
    ctx.send(poise_reply(&message)).await?;
    Ok(())
}

// The article goes to the trash in the data folder (never deleted), then the index is rebuilt.
// Restoring is a host command (`coverage-bot restore`).
/// `/remove`: moves an article to the trash and reindexes.
#[poise::command(
    slash_command,
    guild_only,
    default_member_permissions = "MANAGE_GUILD",
    required_permissions = "MANAGE_GUILD"
)]
pub async fn remove(
    ctx: Context<'_>,
    #[autocomplete = "autocomplete_source"]
    #[max_length = 300]
    file: String,
) -> Result<(), Error> {
    ctx.defer_ephemeral().await?;
    let library = ctx.data().library.clone();
    let requested = file.clone();
    let outcome = blocking(move || library.remove_article(&requested)).await?;
    let (file, audited) = match &outcome {
        Ok((file, _)) => (file.clone(), "ok".to_string()),
        Err(error) => (file, format!("failed: {}", crate::error::chain(error))),
    };
    let event = AuditEvent::now(
        super::audit::actor(ctx.author()),
        AuditAction::Remove { file },
        audited,
    );
    super::audit::record(ctx.http(), ctx.data(), event).await;
    let locale = locale(&ctx);
    let message = match outcome {
        Ok((file, _)) => {
            let articles = ctx.data().library.status().articles;
            render::notice(&(locale.messages().reindex.removed)(
                &render::inline_code_text(&file),
                articles,
            ))
        }
        Err(error @ CoreError::UnknownSource { .. }) => return Err(unknown_article(error)),
        Err(CoreError::Trash(error)) => render::notice(&(locale.messages().reindex.remove_failed)(
            &render::inline_code_text(&error.to_string()),
        )),
        Err(other) => return Err(other.into()),
    };
    ctx.send(poise_reply(&message)).await?;
    Ok(())
}

/// All commands, with their texts from [`crate::messages`], the question's maximum length, and
/// the cooldown from the config on `/ask` and "Find sources".
pub fn all(cooldown: Duration) -> Vec<poise::Command<Data, Error>> {
    let mut commands = vec![
        ask(),
        find_sources(),
        source(),
        sources(),
        status(),
        reindex(),
        remove(),
        add(),
    ];
    for command in commands.iter_mut() {
        apply_texts(command);
        if command.identifying_name == "ask" {
            if let Some(question) = command.parameters.first_mut() {
                question.type_setter = Some(question_option);
            }
        }
        if matches!(command.identifying_name.as_ref(), "ask" | "find_sources")
            && !cooldown.is_zero()
        {
            let mut config = match command.cooldown_config.write() {
                Ok(guard) => guard,
                Err(poisoned) => poisoned.into_inner(),
            };
            config.user = Some(cooldown);
        }
    }
    commands
}

fn question_option(option: serenity::CreateCommandOption) -> serenity::CreateCommandOption {
    <String as poise::SlashArgument>::create(option).max_length(MAX_QUESTION_CHARS)
}

fn text_of(command: &poise::Command<Data, Error>, locale: Locale) -> Option<&'static CommandText> {
    locale.messages().commands.get(&command.identifying_name)
}

/// The context-menu label of `command` in `locale` (poise registers only the default one).
pub fn context_menu_name(
    command: &poise::Command<Data, Error>,
    locale: Locale,
) -> Option<&'static str> {
    command.context_menu_action?;
    text_of(command, locale).map(|text| text.name)
}

/// Sets a command's names and descriptions from the messages. English is the default text;
/// French is registered as a localization where it differs. English names are not set: Discord
/// sends them back and poise matches them against the code's names (a test checks they agree).
fn apply_texts(command: &mut poise::Command<Data, Error>) {
    let (Some(en), Some(fr)) = (text_of(command, Locale::En), text_of(command, Locale::Fr)) else {
        return;
    };
    let code = Locale::Fr.discord_code();
    if command.context_menu_action.is_some() {
        command.context_menu_name = Some(en.name.into());
    }
    command.description = Some(en.description.into());
    command.description_localizations = vec![(code.into(), fr.description.into())].into();
    command.name_localizations = localized_name(en.name, fr.name, code);
    let options = en.options.iter().zip(fr.options);
    for (parameter, (en, fr)) in command.parameters.iter_mut().zip(options) {
        parameter.description = Some(en.description.into());
        parameter.description_localizations = vec![(code.into(), fr.description.into())].into();
        parameter.name_localizations = localized_name(en.name, fr.name, code);
    }
}

type Localizations = std::borrow::Cow<
    'static,
    [(
        std::borrow::Cow<'static, str>,
        std::borrow::Cow<'static, str>,
    )],
>;

fn localized_name(en: &'static str, fr: &'static str, code: &'static str) -> Localizations {
    if en == fr {
        Vec::new().into()
    } else {
        vec![(code.into(), fr.into())].into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_takes_its_texts_from_the_messages() {
        for command in all(Duration::ZERO) {
            let en = text_of(&command, Locale::En).expect("English text");
            let fr = text_of(&command, Locale::Fr).expect("French text");
            let name = command
                .context_menu_name
                .as_deref()
                .unwrap_or(&command.name);
            // Discord sends the English name back and poise matches it literally.
            assert_eq!(name, en.name);
            assert_eq!(command.description.as_deref(), Some(en.description));
            if command.context_menu_action.is_some() {
                // The target message is no option: there is nothing to describe.
                assert!(en.options.is_empty() && fr.options.is_empty());
                continue;
            }
            assert_eq!(command.parameters.len(), en.options.len(), "{name}");
            for (parameter, (en, fr)) in command
                .parameters
                .iter()
                .zip(en.options.iter().zip(fr.options))
            {
                assert_eq!(parameter.name, en.name);
                assert_eq!(parameter.description.as_deref(), Some(en.description));
                assert_eq!(
                    parameter
                        .description_localizations
                        .first()
                        .map(|(_, d)| d.as_ref()),
                    Some(fr.description)
                );
            }
        }
    }

    #[test]
    fn questions_are_cut_at_the_registered_maximum() {
        let max = usize::from(MAX_QUESTION_CHARS);
        let long = "é".repeat(max + 5);
        let (cut, cut_to) = within_max_length(long);
        assert_eq!(cut.chars().count(), max);
        assert_eq!(cut_to, Some(max));
        let (kept, cut_to) = within_max_length("court".into());
        assert_eq!((kept.as_str(), cut_to), ("court", None));
    }
}
