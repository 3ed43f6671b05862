//! Button clicks: "Post publicly", "More results" and `/sources` pages.

use poise::serenity_prelude as serenity;
use serenity::{ComponentInteraction, CreateInteractionResponse, CreateInteractionResponseMessage};

use super::answers::ButtonAction;
use super::reply::{followup, no_mentions, response_message};
use super::{Data, Error};
use crate::messages::Locale;
use crate::render;

/// Replaces the clicked message's buttons with a note that they expired.
fn expired(locale: Locale) -> CreateInteractionResponse {
    CreateInteractionResponse::UpdateMessage(
        CreateInteractionResponseMessage::new()
            .content(locale.messages().notice.buttons_expired)
            .components(Vec::new())
            .allowed_mentions(no_mentions()),
    )
}

/// Handles a click on one of our buttons; other components are ignored.
pub async fn handle(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
) -> Result<(), Error> {
    let Some(action) = ButtonAction::parse(&click.data.custom_id) else {
        return Ok(());
    };
    let locale = Locale::from_code(Some(click.locale.as_str()));
    let response = match action {
        ButtonAction::PostPublicly(key) => {
            match post_publicly(ctx, data, click, &key, locale).await? {
                Some(response) => response,
                // Already answered (the preview was updated and the answer posted).
                None => return Ok(()),
            }
        }
        ButtonAction::MoreResults(key) => more_results(data, click, &key, locale),
        ButtonAction::SourcesPage(page) => {
            let message = super::commands::sources_message(&data.library, page, locale);
            CreateInteractionResponse::UpdateMessage(response_message(&message))
        }
    };
    click.create_response(&ctx.http, response).await?;
    Ok(())
}

/// "Post publicly": the preview loses its button, then the answer is posted to the channel.
/// Returns the response still to send, or `None` once both are done.
async fn post_publicly(
    ctx: &serenity::Context,
    data: &Data,
    click: &ComponentInteraction,
    key: &str,
    locale: Locale,
) -> Result<Option<CreateInteractionResponse>, Error> {
    let name = click
        .user
        .global_name
        .clone()
        .unwrap_or_else(|| click.user.name.clone());
    let outcome = data.answers.with(key, |answer| {
        if answer.posted {
            return None;
        }
        answer.posted = true;
        Some((
            answer.render(key, answer.page, None),
            answer.render(key, answer.page, Some(&name)),
            answer.asked.question.clone(),
            answer.page_hits(answer.page).to_vec(),
        ))
    });
    let (preview, public, question, hits) = match outcome {
        None => return Ok(Some(expired(locale))),
        Some(None) => {
            let notice = render::notice(locale.messages().notice.already_posted);
            return Ok(Some(CreateInteractionResponse::Message(response_message(
                &notice,
            ))));
        }
        Some(Some(messages)) => messages,
    };
    click
        .create_response(
            &ctx.http,
            CreateInteractionResponse::UpdateMessage(response_message(&preview)),
        )
        .await?;
    let posted = click.create_followup(&ctx.http, followup(&public)).await?;
    super::audit::published(
        &ctx.http,
        data,
        &click.user,
        &question,
        &hits,
        Some(&posted),
    )
    .await;
    Ok(None)
}

/// "More results": the owner's message turns the page; anyone else gets the next page privately.
fn more_results(
    data: &Data,
    click: &ComponentInteraction,
    key: &str,
    locale: Locale,
) -> CreateInteractionResponse {
    let user = click.user.id;
    let outcome = data.answers.with(key, |answer| {
        let next = (answer.page + 1).min(answer.pages() - 1);
        if answer.asked.owner == user {
            answer.page = next;
            (true, answer.render(key, next, None))
        } else {
            // Someone else's public answer: show them the next page privately.
            let mut message = answer.render(key, next, None);
            message.ephemeral = true;
            message.buttons.clear();
            (false, message)
        }
    });
    match outcome {
        None => expired(locale),
        Some((true, message)) => {
            CreateInteractionResponse::UpdateMessage(response_message(&message))
        }
        Some((false, message)) => CreateInteractionResponse::Message(response_message(&message)),
    }
}
