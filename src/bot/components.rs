//! Button clicks: "Post publicly", "More results" and `/sources` pages.

use poise::serenity_prelude as serenity;
use serenity::{ComponentInteraction, CreateInteractionResponse, CreateInteractionResponseMessage};

use super::answers::ButtonAction;
use super::reply::{followup, no_mentions, response_message};
use super::{Data, Error};
use crate::render::{self, Locale};

/// Replaces the clicked message's buttons with a note that they expired.
fn expired(locale: Locale) -> CreateInteractionResponse {
    let text = match locale {
        Locale::Fr => "Ces boutons ont expiré ; reposez la question.",
        Locale::En => "These buttons expired; ask again.",
    };
    CreateInteractionResponse::UpdateMessage(
        CreateInteractionResponseMessage::new()
            .content(text)
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
    let user = click.user.id.get();
    let response = match action {
        ButtonAction::PostPublicly(key) => {
            let name = click
                .user
                .global_name
                .clone()
                .unwrap_or_else(|| click.user.name.clone());
            let outcome = data.answers.with(&key, |answer| {
                if answer.posted {
                    return None;
                }
                answer.posted = true;
                Some((
                    answer.render(&key, answer.page, None),
                    answer.render(&key, answer.page, Some(&name)),
                ))
            });
            match outcome {
                None => expired(locale),
                Some(None) => {
                    let text = match locale {
                        Locale::Fr => "Cette réponse a déjà été publiée.",
                        Locale::En => "This answer was already posted.",
                    };
                    CreateInteractionResponse::Message(response_message(&render::notice(text)))
                }
                Some(Some((preview, public))) => {
                    // The preview loses its button, then the answer is posted to the channel.
                    click
                        .create_response(
                            &ctx.http,
                            CreateInteractionResponse::UpdateMessage(response_message(&preview)),
                        )
                        .await?;
                    click.create_followup(&ctx.http, followup(&public)).await?;
                    return Ok(());
                }
            }
        }
        ButtonAction::MoreResults(key) => {
            let outcome = data.answers.with(&key, |answer| {
                let next = (answer.page + 1).min(answer.pages() - 1);
                if answer.owner == user {
                    answer.page = next;
                    (true, answer.render(&key, next, None))
                } else {
                    // Someone else's public answer: show them the next page privately.
                    let mut message = answer.render(&key, next, None);
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
                Some((false, message)) => {
                    CreateInteractionResponse::Message(response_message(&message))
                }
            }
        }
        ButtonAction::SourcesPage(page) => {
            let message = super::commands::sources_message(&data.library, page, locale);
            CreateInteractionResponse::UpdateMessage(response_message(&message))
        }
    };
    click.create_response(&ctx.http, response).await?;
    Ok(())
}
