//! The messages the bot sends.

use super::markdown::{
    citation_markdown, escape_markdown, is_web_url, join_within, one_line, quote_markdown,
    split_long_line, truncate_escaped,
};
use super::{limits, Attachment, Button, ButtonStyle, Embed, EmbedField, Locale, Message};
use crate::corpus::ArticleMeta;
use crate::filter::{FilterError, OutletCount, ScopeCount};
use crate::library::Status;
use crate::search::{Hit, SearchResult};
use crate::source::SourceView;
use crate::text::truncate_chars;

/// Controls attached to an answer, and what it must tell about its question.
#[derive(Debug, Clone, Default)]
pub struct AnswerControls {
    /// Custom id of "Post publicly", if offered.
    pub post_publicly: Option<String>,
    /// The answer was already posted: "Post publicly" shows, greyed out.
    pub posted: bool,
    /// Custom id of "More results", if there are more.
    pub more_results: Option<String>,
    /// The question was cut to this many characters before searching; the answer says so.
    pub question_cut_to: Option<usize>,
    /// The question was filtered: the answer says how many articles were searched.
    pub scope: Option<ScopeCount>,
}

/// An answer for Discord: one embed whose description holds the hits as blockquotes with their
/// citations. Hits that do not fit are left out, and the message says how many.
pub fn answer_message(
    question: &str,
    hits: &[Hit],
    first_rank: usize,
    locale: Locale,
    shared_by: Option<&str>,
    controls: &AnswerControls,
) -> Message {
    let text = &locale.messages().answer;
    // The question is the user's text: shown literally, like quotes.
    let title = truncate_escaped(
        &format!("❓ {}", escape_markdown(&one_line(question))),
        limits::EMBED_TITLE,
    );
    let footer = match shared_by {
        Some(user) => (text.footer_shared)(&truncate_chars(user, 64)),
        None => text.footer.to_string(),
    };
    let notes = [
        controls.question_cut_to.map(|max| (text.question_cut)(max)),
        controls.scope.map(|s| (text.scope)(s.kept, s.total)),
    ];
    let cut_note: String = notes
        .into_iter()
        .flatten()
        .map(|note| format!("\n\n*{note}*"))
        .collect();
    // The slack of 80 leaves room for the "Truncated" note.
    let budget = limits::EMBED_DESCRIPTION
        .min(limits::EMBED_TOTAL - title.chars().count() - footer.chars().count())
        - 80
        - cut_note.chars().count();
    let mut description = hits_description(hits, first_rank, budget, locale);
    description.push_str(&cut_note);
    Message {
        content: String::new(),
        embeds: vec![Embed {
            title: Some(title),
            description: Some(description),
            footer: Some(footer),
            ..Embed::default()
        }],
        buttons: answer_buttons(controls, locale),
        ephemeral: false,
        attachment: None,
    }
}

/// The hits as numbered blockquotes with citations, within `budget` characters, followed by a
/// note when some did not fit.
fn hits_description(hits: &[Hit], first_rank: usize, budget: usize, locale: Locale) -> String {
    let blocks: Vec<String> = hits
        .iter()
        .enumerate()
        .map(|(i, hit)| {
            format!(
                "**{}.**\n{}\n{}",
                first_rank + i,
                quote_markdown(hit),
                citation_markdown(hit)
            )
        })
        .collect();
    let (mut description, left_out) = join_within(&blocks, "\n\n", budget);
    if left_out > 0 {
        let note = (locale.messages().answer.truncated)(left_out);
        description.push_str(&format!("\n\n*{note}*"));
    }
    description
}

fn answer_buttons(controls: &AnswerControls, locale: Locale) -> Vec<Button> {
    let text = &locale.messages().answer;
    let mut buttons = Vec::new();
    if let Some(id) = &controls.post_publicly {
        let mut button = if controls.posted {
            Button::new(id, text.posted, ButtonStyle::Secondary)
        } else {
            Button::new(id, text.post_publicly, ButtonStyle::Primary)
        };
        button.disabled = controls.posted;
        buttons.push(button);
    }
    if let Some(id) = &controls.more_results {
        buttons.push(Button::new(id, text.more_results, ButtonStyle::Secondary));
    }
    buttons
}

/// The ephemeral reply when nothing in the corpus answers.
pub fn abstention_message(result: &SearchResult, locale: Locale) -> Message {
    let text = &locale.messages().abstention;
    let mut content = String::from(match result.abstention() {
        Some(crate::search::Abstention::NoTerms) => text.no_terms,
        Some(crate::search::Abstention::OutOfScope) => text.out_of_scope,
        _ => text.not_covered,
    });
    if let Some(scope) = result.scope {
        content.push('\n');
        content.push_str(&(locale.messages().answer.scope)(scope.kept, scope.total));
    }
    if !result.nearest().is_empty() {
        content.push('\n');
        content.push_str(text.nearest);
        for crate::search::Nearest {
            source: file,
            title,
        } in result.nearest()
        {
            let line = format!(
                "\n• {} (`{}`)",
                escape_markdown(&truncate_chars(title, 150)),
                file.replace('`', "'")
            );
            if content.chars().count() + line.chars().count() > limits::CONTENT - 40 {
                break;
            }
            content.push_str(&line);
        }
    }
    Message {
        content,
        ephemeral: true,
        ..Message::default()
    }
}

/// Appends a short note to a plain-content message, cutting the content if it must.
pub fn with_note(mut message: Message, note: &str) -> Message {
    let note = format!("\n*{note}*");
    let room = limits::CONTENT.saturating_sub(note.chars().count());
    message.content = truncate_chars(&message.content, room);
    message.content.push_str(&note);
    message
}

/// The article card of `/source`: metadata fields, with the article attached as a file.
pub fn source_card(view: &SourceView, locale: Locale) -> Message {
    let text = &locale.messages().source;
    let a = &view.article;
    let first = view
        .paragraphs
        .first()
        .map(|p| truncate_chars(&one_line(&p.text), 300))
        .unwrap_or_default();
    let description = format!("> {}\n\n{}", escape_markdown(&first), text.card_hint);
    let filename = a
        .file
        .rsplit('/')
        .next()
        .unwrap_or("article.txt")
        .to_string();
    Message {
        embeds: vec![Embed {
            title: Some(truncate_chars(&a.title, limits::EMBED_TITLE)),
            url: a.url.clone().filter(|u| is_web_url(u)),
            description: Some(description),
            fields: card_fields(a, locale),
            footer: Some((text.card_footer)(&a.hash)),
        }],
        attachment: Some(Attachment {
            filename,
            bytes: view.text.as_bytes().to_vec(),
        }),
        ..Message::default()
    }
}

/// The metadata fields of a card; missing or blank metadata is left out.
fn card_fields(a: &ArticleMeta, locale: Locale) -> Vec<EmbedField> {
    let text = &locale.messages().source;
    let mut fields = vec![
        EmbedField::inline(
            text.file,
            format!("`{}`", truncate_chars(&a.file, 200).replace('`', "'")),
        ),
        EmbedField::inline(text.paragraphs, a.paragraphs.to_string()),
    ];
    for (name, value) in [
        (text.outlet, &a.outlet),
        (text.date, &a.date),
        (text.author, &a.author),
    ] {
        if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            fields.push(EmbedField::inline(
                name,
                escape_markdown(&truncate_chars(v, 300)),
            ));
        }
    }
    if let Some(url) = a.url.as_deref().filter(|u| is_web_url(u)) {
        fields.push(EmbedField::block(text.url, url));
    }
    fields
}

/// One paragraph of `/source`, quoted with its citation and hash. A paragraph too long for one
/// embed is cut between lines and says so.
pub fn paragraph_message(view: &SourceView, locale: Locale) -> Message {
    let text = &locale.messages().source;
    let a = &view.article;
    let Some(p) = view.paragraphs.first() else {
        return error_message(locale);
    };
    let lines: Vec<String> = escape_markdown(&p.text)
        .lines()
        .flat_map(|line| split_long_line(line, 900))
        .map(|line| format!("> {line}"))
        .collect();
    let (mut body, left_out) = join_within(&lines, "\n", limits::EMBED_DESCRIPTION - 300);
    if left_out > 0 {
        body.push_str(&format!("\n*{}*", text.paragraph_truncated));
    }
    let citation = format!(
        "— *{}* · `{}` ¶{} · {} {}–{} · {} `{}`",
        escape_markdown(&truncate_chars(&a.title, 150)),
        a.file.replace('`', "'"),
        p.paragraph,
        text.bytes,
        p.byte_start,
        p.byte_end,
        text.hash,
        p.hash
    );
    Message {
        embeds: vec![Embed {
            title: Some(truncate_chars(
                &format!("{} ¶{}", a.title, p.paragraph),
                limits::EMBED_TITLE,
            )),
            url: a.url.clone().filter(|u| is_web_url(u)),
            description: Some(format!("{body}\n\n{citation}")),
            ..Embed::default()
        }],
        ..Message::default()
    }
}

/// Number of articles per `/sources` page.
pub const SOURCES_PER_PAGE: usize = 10;

/// One page of `/sources`, with previous/next buttons whose ids the caller gives.
pub fn sources_page(
    articles: &[ArticleMeta],
    page: usize,
    locale: Locale,
    previous_id: Option<&str>,
    next_id: Option<&str>,
) -> Message {
    let text = &locale.messages().sources;
    let pages = articles.len().div_ceil(SOURCES_PER_PAGE).max(1);
    let page = page.min(pages - 1);
    let rows: Vec<String> = articles
        .iter()
        .skip(page * SOURCES_PER_PAGE)
        .take(SOURCES_PER_PAGE)
        .map(source_row)
        .collect();
    let (description, _) = join_within(&rows, "\n", limits::EMBED_DESCRIPTION - 100);
    let description = if description.is_empty() {
        text.empty.to_string()
    } else {
        description
    };
    let mut buttons = Vec::new();
    for (id, label, disabled) in [
        (previous_id, text.previous, page == 0),
        (next_id, text.next, page + 1 >= pages),
    ] {
        if let Some(id) = id {
            let mut b = Button::new(id, label, ButtonStyle::Secondary);
            b.disabled = disabled;
            buttons.push(b);
        }
    }
    Message {
        embeds: vec![Embed {
            title: Some(format!("{} ({})", text.title, articles.len())),
            description: Some(description),
            footer: Some((text.page)(page + 1, pages)),
            ..Embed::default()
        }],
        buttons,
        ..Message::default()
    }
}

/// One article of `/sources`: title, file and outlet.
fn source_row(a: &ArticleMeta) -> String {
    let mut row = format!(
        "• **{}**\n  `{}`",
        escape_markdown(&truncate_chars(&a.title, 150)),
        truncate_chars(&a.file, 120).replace('`', "'")
    );
    if let Some(outlet) = &a.outlet {
        row.push_str(&format!(
            " · {}",
            escape_markdown(&truncate_chars(outlet, 60))
        ));
    }
    row
}

/// `/status`.
pub fn status_message(status: &Status, locale: Locale) -> Message {
    let text = &locale.messages().status;
    // A stale index and build warnings come first: the operator must act on them.
    let mut fields = stale_field(status, locale);
    fields.extend(count_fields(status, locale));
    for warning in status.warnings.iter().take(3) {
        fields.push(EmbedField::block(
            text.warning,
            truncate_chars(&escape_markdown(warning), limits::FIELD_VALUE - 40),
        ));
    }
    fields.push(skipped_field(status, locale));
    Message {
        embeds: vec![Embed {
            title: Some(text.title.to_string()),
            fields,
            ..Embed::default()
        }],
        ephemeral: true,
        ..Message::default()
    }
}

fn stale_field(status: &Status, locale: Locale) -> Vec<EmbedField> {
    let text = &locale.messages().status;
    status
        .stale
        .iter()
        .map(|reason| {
            EmbedField::block(
                text.stale,
                truncate_chars(&escape_markdown(reason), limits::FIELD_VALUE - 40),
            )
        })
        .collect()
}

fn count_fields(status: &Status, locale: Locale) -> Vec<EmbedField> {
    let text = &locale.messages().status;
    let reindexing = if status.reindexing { text.yes } else { text.no };
    [
        (text.articles, status.articles.to_string()),
        (text.passages, status.passages.to_string()),
        (text.index_age, (text.age)(status.index_age_seconds)),
        (text.build_time, (text.millis)(status.build_millis)),
        (
            text.version,
            (text.version_value)(&status.version, &status.analyzer_version),
        ),
        (text.reindexing, reindexing.to_string()),
        (text.semantic, (text.semantic_value)(&status.semantic)),
    ]
    .into_iter()
    .map(|(name, value)| EmbedField::inline(name, value))
    .collect()
}

fn skipped_field(status: &Status, locale: Locale) -> EmbedField {
    let text = &locale.messages().status;
    let title = format!("{} ({})", text.skipped, status.skipped.len());
    if status.skipped.is_empty() {
        return EmbedField::block(title, "—");
    }
    let rows: Vec<String> = status
        .skipped
        .iter()
        .map(|s| {
            format!(
                "`{}`: {}",
                truncate_chars(&s.file, 80).replace('`', "'"),
                s.reason
            )
        })
        .collect();
    let (mut list, left_out) = join_within(&rows, "\n", limits::FIELD_VALUE - 40);
    if left_out > 0 {
        list.push_str(&format!("\n… +{left_out}"));
    }
    EmbedField::block(title, list)
}

/// A refusal for a name that is not a corpus file, offering the closest names.
pub fn unknown_source_message(requested: &str, suggestions: &[String], locale: Locale) -> Message {
    let text = &locale.messages().source;
    let name = truncate_chars(&one_line(requested), 80).replace('`', "'");
    let mut content = (text.unknown)(&name);
    if !suggestions.is_empty() {
        content.push(' ');
        content.push_str(text.did_you_mean);
        // Ten names (an ambiguous prefix's candidates) stay far below the content limit.
        for s in suggestions.iter().take(10) {
            content.push_str(&format!(
                "\n• `{}`",
                truncate_chars(s, 150).replace('`', "'")
            ));
        }
    }
    notice(&content)
}

/// A refusal for a paragraph number outside the article.
pub fn unknown_paragraph_message(
    file: &str,
    requested: usize,
    count: usize,
    locale: Locale,
) -> Message {
    notice(&(locale.messages().source.unknown_paragraph)(
        file, requested, count,
    ))
}

/// A short notice to the user (ephemeral).
pub fn notice(text: &str) -> Message {
    Message {
        content: truncate_chars(text, limits::CONTENT),
        ephemeral: true,
        ..Message::default()
    }
}

/// The generic error reply; details go to the log, not to the user.
pub fn error_message(locale: Locale) -> Message {
    notice(locale.messages().notice.error)
}

/// Autocomplete choices (name, value) for the `outlet` filter: `Le Monde (12)`. Outlets too long
/// for a choice value are left out (they can still be typed).
pub fn outlet_choices(outlets: &[OutletCount]) -> Vec<(String, String)> {
    outlets
        .iter()
        .filter(|o| o.outlet.chars().count() <= limits::CHOICE)
        .take(limits::CHOICES)
        .map(|o| {
            let name = format!("{} ({})", one_line(&o.outlet), o.articles);
            (truncate_chars(&name, limits::CHOICE), o.outlet.clone())
        })
        .collect()
}

/// Text to show inside inline code in a notice: one line, at most 200 characters, backticks
/// replaced (they would end the code span).
pub fn inline_code_text(text: &str) -> String {
    truncate_chars(&one_line(text), 200).replace('`', "'")
}

/// The reply to a filter that does not parse; the text given is shown as inline code.
pub fn filter_refusal(error: &FilterError, locale: Locale) -> Message {
    let text = &locale.messages().notice;
    let safe = |s: &str| truncate_chars(&one_line(s), 40).replace('`', "'");
    notice(&match error {
        FilterError::BadDate { given } => (text.bad_date)(&safe(given)),
        FilterError::EmptyPeriod { after, before } => {
            (text.empty_period)(&after.to_string(), &before.to_string())
        }
    })
}

/// Autocomplete choices (name, value) for articles, each within Discord's limits.
pub fn autocomplete_choices(articles: &[ArticleMeta]) -> Vec<(String, String)> {
    articles
        .iter()
        .filter(|a| a.file.chars().count() <= limits::CHOICE)
        .take(limits::CHOICES)
        .map(|a| {
            let name = truncate_chars(
                &format!("{} — {}", a.file, one_line(&a.title)),
                limits::CHOICE,
            );
            (name, a.file.clone())
        })
        .collect()
}
