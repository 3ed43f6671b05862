//! The messages the bot sends.

use super::markdown::{
    citation_markdown, escape_markdown, is_web_url, join_within, one_line, quote_markdown,
    split_long_line,
};
use super::{limits, Attachment, Button, ButtonStyle, Embed, Locale, Message};
use crate::corpus::ArticleMeta;
use crate::library::Status;
use crate::search::{Hit, SearchResult};
use crate::source::SourceView;
use crate::text::truncate_chars;

/// Controls attached to an answer.
#[derive(Debug, Clone, Default)]
pub struct AnswerControls {
    /// Custom id of "Post publicly", if offered.
    pub post_publicly: Option<String>,
    /// The answer was already posted: "Post publicly" shows, greyed out.
    pub posted: bool,
    /// Custom id of "More results", if there are more.
    pub more_results: Option<String>,
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
    let title = truncate_chars(&format!("❓ {}", one_line(question)), limits::EMBED_TITLE);
    let footer = match shared_by {
        Some(user) => format!(
            "{} {} · {}",
            locale.pick("Shared by", "Partagé par"),
            truncate_chars(user, 64),
            locale.pick(
                "verbatim quotes; check them with /source",
                "citations verbatim ; vérifiez-les avec /source"
            )
        ),
        None => locale
            .pick(
                "Verbatim quotes; check any of them with /source file paragraph",
                "Citations verbatim ; vérifiez-les avec /source fichier paragraphe",
            )
            .to_string(),
    };
    let budget = limits::EMBED_DESCRIPTION
        .min(limits::EMBED_TOTAL - title.chars().count() - footer.chars().count())
        - 80;
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
    let (description, left_out) = join_within(&blocks, "\n\n", budget);
    let mut description = description;
    if left_out > 0 {
        description.push_str(&format!(
            "\n\n*{}*",
            match locale {
                Locale::En => format!("Truncated: {left_out} more result(s) did not fit."),
                Locale::Fr => format!("Tronqué : {left_out} résultat(s) de plus ne tenaient pas."),
            }
        ));
    }
    let mut buttons = Vec::new();
    if let Some(id) = &controls.post_publicly {
        let mut button = if controls.posted {
            Button::new(id, locale.pick("Posted", "Publié"), ButtonStyle::Secondary)
        } else {
            Button::new(
                id,
                locale.pick("Post publicly", "Publier"),
                ButtonStyle::Primary,
            )
        };
        button.disabled = controls.posted;
        buttons.push(button);
    }
    if let Some(id) = &controls.more_results {
        buttons.push(Button::new(
            id,
            locale.pick("More results", "Plus de résultats"),
            ButtonStyle::Secondary,
        ));
    }
    Message {
        content: String::new(),
        embeds: vec![Embed {
            title: Some(title),
            description: Some(description),
            footer: Some(footer),
            ..Embed::default()
        }],
        buttons,
        ephemeral: false,
        attachment: None,
    }
}

/// The ephemeral reply when nothing in the corpus answers.
pub fn abstention_message(result: &SearchResult, locale: Locale) -> Message {
    let mut content = String::from(match result.abstention() {
        Some(crate::search::Abstention::NoTerms) => locale.pick(
            "Your question has no searchable words. Try a few keywords, e.g. `Azure Israël surveillance`.",
            "Votre question ne contient aucun mot cherchable. Essayez quelques mots-clés, p. ex. `Azure Israël surveillance`.",
        ),
        _ => locale.pick(
            "No passage in the corpus answers this question.",
            "Aucun passage du corpus ne répond à cette question.",
        ),
    });
    if !result.nearest().is_empty() {
        content.push_str(locale.pick("\nNearest articles:", "\nArticles les plus proches :"));
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

/// The article card of `/source`: metadata fields, with the article attached as a file.
pub fn source_card(view: &SourceView, locale: Locale) -> Message {
    let a = &view.article;
    let mut fields = vec![
        (
            locale.pick("File", "Fichier").to_string(),
            format!("`{}`", truncate_chars(&a.file, 200).replace('`', "'")),
            true,
        ),
        (
            locale.pick("Paragraphs", "Paragraphes").to_string(),
            a.paragraphs.to_string(),
            true,
        ),
    ];
    let mut optional = |name: &str, value: &Option<String>| {
        if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            fields.push((
                name.to_string(),
                escape_markdown(&truncate_chars(v, 300)),
                true,
            ));
        }
    };
    optional(locale.pick("Outlet", "Média"), &a.outlet);
    optional("Date", &a.date);
    optional(locale.pick("Author", "Auteur"), &a.author);
    if let Some(url) = a.url.as_deref().filter(|u| is_web_url(u)) {
        fields.push(("URL".to_string(), url.to_string(), false));
    }
    let first = view
        .paragraphs
        .first()
        .map(|p| truncate_chars(&one_line(&p.text), 300))
        .unwrap_or_default();
    let description = format!(
        "> {}\n\n{}",
        escape_markdown(&first),
        locale.pick(
            "Full text attached. Cite one paragraph with `/source file paragraph:N`.",
            "Texte intégral en pièce jointe. Citez un paragraphe avec `/source fichier paragraphe:N`."
        )
    );
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
            fields,
            footer: Some(format!("hash {}", a.hash)),
        }],
        attachment: Some(Attachment {
            filename,
            bytes: view.text.as_bytes().to_vec(),
        }),
        ..Message::default()
    }
}

/// One paragraph of `/source`, quoted with its citation and hash. A paragraph too long for one
/// embed is cut between lines and says so.
pub fn paragraph_message(view: &SourceView, locale: Locale) -> Message {
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
        body.push_str(locale.pick(
            "\n*Truncated: the paragraph is longer; see the attached article with /source.*",
            "\n*Tronqué : le paragraphe est plus long ; voir l'article joint avec /source.*",
        ));
    }
    let citation = format!(
        "— *{}* · `{}` ¶{} · bytes {}–{} · hash `{}`",
        escape_markdown(&truncate_chars(&a.title, 150)),
        a.file.replace('`', "'"),
        p.paragraph,
        p.byte_start,
        p.byte_end,
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
    let pages = articles.len().div_ceil(SOURCES_PER_PAGE).max(1);
    let page = page.min(pages - 1);
    let rows: Vec<String> = articles
        .iter()
        .skip(page * SOURCES_PER_PAGE)
        .take(SOURCES_PER_PAGE)
        .map(|a| {
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
        })
        .collect();
    let (description, _) = join_within(&rows, "\n", limits::EMBED_DESCRIPTION - 100);
    let description = if description.is_empty() {
        locale
            .pick("The corpus is empty.", "Le corpus est vide.")
            .to_string()
    } else {
        description
    };
    let mut buttons = Vec::new();
    if let Some(id) = previous_id {
        let mut b = Button::new(
            id,
            locale.pick("◀ Previous", "◀ Précédent"),
            ButtonStyle::Secondary,
        );
        b.disabled = page == 0;
        buttons.push(b);
    }
    if let Some(id) = next_id {
        let mut b = Button::new(
            id,
            locale.pick("Next ▶", "Suivant ▶"),
            ButtonStyle::Secondary,
        );
        b.disabled = page + 1 >= pages;
        buttons.push(b);
    }
    Message {
        embeds: vec![Embed {
            title: Some(format!(
                "{} ({})",
                locale.pick("Corpus", "Corpus"),
                articles.len()
            )),
            description: Some(description),
            footer: Some(format!(
                "{} {}/{}",
                locale.pick("Page", "Page"),
                page + 1,
                pages
            )),
            ..Embed::default()
        }],
        buttons,
        ..Message::default()
    }
}

/// `/status`.
pub fn status_message(status: &Status, locale: Locale) -> Message {
    let mut fields = vec![
        (
            locale.pick("Articles", "Articles").to_string(),
            status.articles.to_string(),
            true,
        ),
        (
            locale.pick("Passages", "Passages").to_string(),
            status.passages.to_string(),
            true,
        ),
        (
            locale.pick("Index age", "Âge de l'index").to_string(),
            human_duration(status.index_age_seconds),
            true,
        ),
        (
            locale
                .pick("Build time", "Durée de construction")
                .to_string(),
            format!("{} ms", status.build_millis),
            true,
        ),
        (
            "Version".to_string(),
            format!("{} (analyzer {})", status.version, status.analyzer_version),
            true,
        ),
        (
            locale.pick("Reindexing", "Réindexation").to_string(),
            if status.reindexing { "yes" } else { "no" }.to_string(),
            true,
        ),
    ];
    // A stale index and build warnings come first: the operator must act on them.
    if let Some(reason) = &status.stale {
        fields.insert(
            0,
            (
                locale
                    .pick("⚠ Out-of-date index", "⚠ Index pas à jour")
                    .to_string(),
                truncate_chars(&escape_markdown(reason), limits::FIELD_VALUE - 40),
                false,
            ),
        );
    }
    for warning in status.warnings.iter().take(3) {
        fields.push((
            locale.pick("⚠ Warning", "⚠ Avertissement").to_string(),
            truncate_chars(&escape_markdown(warning), limits::FIELD_VALUE - 40),
            false,
        ));
    }
    let skipped_title = format!(
        "{} ({})",
        locale.pick("Skipped files", "Fichiers ignorés"),
        status.skipped.len()
    );
    if status.skipped.is_empty() {
        fields.push((skipped_title, "—".to_string(), false));
    } else {
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
        fields.push((skipped_title, list, false));
    }
    Message {
        embeds: vec![Embed {
            title: Some("coverage-bot status".to_string()),
            fields,
            ..Embed::default()
        }],
        ephemeral: true,
        ..Message::default()
    }
}

fn human_duration(seconds: u64) -> String {
    match seconds {
        0..=119 => format!("{seconds} s"),
        120..=7199 => format!("{} min", seconds / 60),
        7200..=172_799 => format!("{} h", seconds / 3600),
        _ => format!("{} d", seconds / 86_400),
    }
}

/// A refusal for a name that is not a corpus file, offering the closest names.
pub fn unknown_source_message(requested: &str, suggestions: &[String], locale: Locale) -> Message {
    let mut content = match locale {
        Locale::En => format!(
            "`{}` is not an article of the corpus.",
            truncate_chars(&one_line(requested), 80).replace('`', "'")
        ),
        Locale::Fr => format!(
            "`{}` n'est pas un article du corpus.",
            truncate_chars(&one_line(requested), 80).replace('`', "'")
        ),
    };
    if !suggestions.is_empty() {
        content.push_str(locale.pick(" Did you mean:", " Vouliez-vous dire :"));
        for s in suggestions.iter().take(5) {
            content.push_str(&format!(
                "\n• `{}`",
                truncate_chars(s, 150).replace('`', "'")
            ));
        }
    }
    Message {
        content: truncate_chars(&content, limits::CONTENT),
        ephemeral: true,
        ..Message::default()
    }
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
    notice(locale.pick(
        "Something went wrong on our side; the error was logged. Please try again.",
        "Une erreur s'est produite de notre côté ; elle a été journalisée. Réessayez.",
    ))
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
