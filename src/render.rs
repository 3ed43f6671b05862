//! Rendering: results to messages. Pure code, no Discord types: the CLI and the bot share it, and
//! every Discord limit is enforced here by construction.
//!
//! Long output is cut only between whole blocks (a hit, a paragraph line, a list row), never
//! inside a character, a bold marker or a quote line, and a cut always says so.

use crate::corpus::ArticleMeta;
use crate::library::Status;
use crate::search::{Hit, SearchResult};
use crate::source::SourceView;
use crate::text::truncate_chars;

/// Discord's limits, in characters.
pub mod limits {
    /// Message content.
    pub const CONTENT: usize = 2000;
    /// Embed title.
    pub const EMBED_TITLE: usize = 256;
    /// Embed description.
    pub const EMBED_DESCRIPTION: usize = 4096;
    /// Embed field name.
    pub const FIELD_NAME: usize = 256;
    /// Embed field value.
    pub const FIELD_VALUE: usize = 1024;
    /// Embed footer.
    pub const FOOTER: usize = 2048;
    /// All embed text of a message.
    pub const EMBED_TOTAL: usize = 6000;
    /// Fields per embed.
    pub const FIELDS: usize = 25;
    /// Embeds per message.
    pub const EMBEDS: usize = 10;
    /// Buttons per action row (this renderer uses one row).
    pub const BUTTONS: usize = 5;
    /// Button label.
    pub const BUTTON_LABEL: usize = 80;
    /// Component custom id.
    pub const CUSTOM_ID: usize = 100;
    /// Autocomplete choices.
    pub const CHOICES: usize = 25;
    /// Autocomplete choice name and value.
    pub const CHOICE: usize = 100;
}

/// The reader's language for interface text. Quotes stay in the corpus language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Locale {
    /// English (default).
    En,
    /// French.
    Fr,
}

impl Locale {
    /// From a Discord locale code (`fr`, `en-US`, ...).
    pub fn from_code(code: Option<&str>) -> Locale {
        match code {
            Some(c) if c.starts_with("fr") => Locale::Fr,
            _ => Locale::En,
        }
    }

    fn pick(self, en: &'static str, fr: &'static str) -> &'static str {
        match self {
            Locale::En => en,
            Locale::Fr => fr,
        }
    }
}

/// A button's look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ButtonStyle {
    /// Highlighted.
    Primary,
    /// Neutral.
    Secondary,
}

/// A button.
#[derive(Debug, Clone, PartialEq)]
pub struct Button {
    /// Identifier sent back on click (≤ 100 characters).
    pub custom_id: String,
    /// Label (≤ 80 characters).
    pub label: String,
    /// Look.
    pub style: ButtonStyle,
    /// Greyed out.
    pub disabled: bool,
}

impl Button {
    /// A button; the id and label are cut to Discord's limits.
    pub fn new(custom_id: &str, label: &str, style: ButtonStyle) -> Button {
        Button {
            custom_id: custom_id.chars().take(limits::CUSTOM_ID).collect(),
            label: truncate_chars(label, limits::BUTTON_LABEL),
            style,
            disabled: false,
        }
    }
}

/// An embed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Embed {
    /// Title.
    pub title: Option<String>,
    /// Link of the title.
    pub url: Option<String>,
    /// Body (Discord markdown).
    pub description: Option<String>,
    /// Fields: name, value, inline.
    pub fields: Vec<(String, String, bool)>,
    /// Footer.
    pub footer: Option<String>,
}

impl Embed {
    fn text_len(&self) -> usize {
        let count = |s: &Option<String>| s.as_ref().map(|t| t.chars().count()).unwrap_or(0);
        count(&self.title)
            + count(&self.description)
            + count(&self.footer)
            + self
                .fields
                .iter()
                .map(|(n, v, _)| n.chars().count() + v.chars().count())
                .sum::<usize>()
    }
}

/// A file sent with a message.
#[derive(Debug, Clone, PartialEq)]
pub struct Attachment {
    /// File name.
    pub filename: String,
    /// Content.
    pub bytes: Vec<u8>,
}

/// A message to send: plain data that the bot turns into Discord builders. Mentions are always
/// disabled when it is sent.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Message {
    /// Plain content.
    pub content: String,
    /// Embeds.
    pub embeds: Vec<Embed>,
    /// One row of buttons.
    pub buttons: Vec<Button>,
    /// Only the requesting user sees it.
    pub ephemeral: bool,
    /// An attached file.
    pub attachment: Option<Attachment>,
}

impl Message {
    /// Checks every Discord limit; returns the first violation.
    pub fn check_limits(&self) -> Result<(), String> {
        let over = |what: &str, len: usize, max: usize| {
            if len > max {
                Err(format!("{what}: {len} > {max}"))
            } else {
                Ok(())
            }
        };
        over("content", self.content.chars().count(), limits::CONTENT)?;
        over("embeds", self.embeds.len(), limits::EMBEDS)?;
        over("buttons", self.buttons.len(), limits::BUTTONS)?;
        let mut total = 0;
        for e in &self.embeds {
            let len = |s: &Option<String>| s.as_ref().map(|t| t.chars().count()).unwrap_or(0);
            over("embed title", len(&e.title), limits::EMBED_TITLE)?;
            over(
                "embed description",
                len(&e.description),
                limits::EMBED_DESCRIPTION,
            )?;
            over("embed footer", len(&e.footer), limits::FOOTER)?;
            over("embed fields", e.fields.len(), limits::FIELDS)?;
            for (name, value, _) in &e.fields {
                over("field name", name.chars().count(), limits::FIELD_NAME)?;
                over("field value", value.chars().count(), limits::FIELD_VALUE)?;
                if name.is_empty() || value.is_empty() {
                    return Err("empty field".into());
                }
            }
            total += e.text_len();
        }
        over("embed total", total, limits::EMBED_TOTAL)?;
        for b in &self.buttons {
            over("custom_id", b.custom_id.chars().count(), limits::CUSTOM_ID)?;
            over(
                "button label",
                b.label.chars().count(),
                limits::BUTTON_LABEL,
            )?;
        }
        if self.content.is_empty() && self.embeds.is_empty() && self.attachment.is_none() {
            return Err("empty message".into());
        }
        Ok(())
    }
}

/// Escapes Discord markdown so that quoted text renders literally: no formatting, links,
/// mention syntax, headings or lists can come from a quote.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut at_line_start = true;
    for c in text.chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '<' | '>' | '[' | ']' | '(' | ')' | '@' => {
                out.push('\\');
                out.push(c);
            }
            '#' | '-' | '+' | '=' if at_line_start => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
        if c == '\n' {
            at_line_start = true;
        } else if !c.is_whitespace() {
            at_line_start = false;
        }
    }
    out
}

/// The quote as Discord markdown: escaped, matched words in bold, every line a blockquote line.
/// Highlights never span a line break, so bold markers are always closed on their own line.
pub fn quote_markdown(hit: &Hit) -> String {
    let quote = &hit.quote;
    let mut marked = String::new();
    let mut cursor = 0;
    let mut ranges: Vec<(usize, usize)> = hit
        .highlights
        .iter()
        .copied()
        .filter(|&(s, e)| {
            s < e && e <= quote.len() && quote.is_char_boundary(s) && quote.is_char_boundary(e)
        })
        .collect();
    ranges.sort();
    for (s, e) in ranges {
        if s < cursor {
            continue;
        }
        marked.push_str(&escape_markdown(&quote[cursor..s]));
        let word = &quote[s..e];
        if word.contains('\n') {
            marked.push_str(&escape_markdown(word));
        } else {
            marked.push_str("**");
            marked.push_str(&escape_markdown(word));
            marked.push_str("**");
        }
        cursor = e;
    }
    marked.push_str(&escape_markdown(&quote[cursor..]));
    let prefix = if hit.quote_cut_start { "…" } else { "" };
    let suffix = if hit.quote_cut_end { "…" } else { "" };
    format!("{prefix}{marked}{suffix}")
        .lines()
        .map(|line| format!("> {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The citation line: title, file and paragraph, outlet or URL.
pub fn citation_markdown(hit: &Hit) -> String {
    let mut line = format!(
        "— *{}* · `{}` ¶{}",
        escape_markdown(&truncate_chars(&hit.title, 150)),
        hit.source.replace('`', "'"),
        hit.paragraph
    );
    if let Some(outlet) = &hit.outlet {
        line.push_str(&format!(
            " · {}",
            escape_markdown(&truncate_chars(outlet, 60))
        ));
    }
    if let Some(url) = hit.url.as_deref().filter(|u| is_web_url(u)) {
        line.push_str(&format!(" · <{}>", truncate_chars(url, 200)));
    }
    line
}

fn is_web_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(|c: char| c.is_whitespace() || c == '>' || c == '<')
        && url.chars().count() <= 200
}

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

/// Joins blocks while they fit in `budget` characters; returns the text and how many were left
/// out. A block is never cut.
fn join_within(blocks: &[String], separator: &str, budget: usize) -> (String, usize) {
    let mut out = String::new();
    let mut used = 0;
    for (i, block) in blocks.iter().enumerate() {
        let extra = block.chars().count()
            + if out.is_empty() {
                0
            } else {
                separator.chars().count()
            };
        if used + extra > budget {
            return (out, blocks.len() - i);
        }
        if !out.is_empty() {
            out.push_str(separator);
        }
        out.push_str(block);
        used += extra;
    }
    (out, 0)
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The ephemeral reply when nothing in the corpus answers.
pub fn abstention_message(result: &SearchResult, locale: Locale) -> Message {
    let mut content = String::from(match result.abstention {
        Some(crate::search::Abstention::NoTerms) => locale.pick(
            "Your question has no searchable words. Try a few keywords, e.g. `Azure Israël surveillance`.",
            "Votre question ne contient aucun mot cherchable. Essayez quelques mots-clés, p. ex. `Azure Israël surveillance`.",
        ),
        _ => locale.pick(
            "No passage in the corpus answers this question.",
            "Aucun passage du corpus ne répond à cette question.",
        ),
    });
    if !result.nearest.is_empty() {
        content.push_str(locale.pick("\nNearest articles:", "\nArticles les plus proches :"));
        for (file, title) in &result.nearest {
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

/// Splits a line longer than `max` characters at spaces (or anywhere, for a line without any),
/// so that line-based truncation stays possible.
fn split_long_line(line: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > max {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        if word.chars().count() > max {
            let chars: Vec<char> = word.chars().collect();
            for chunk in chars.chunks(max) {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                current = chunk.iter().collect();
            }
        } else {
            current.push_str(word);
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
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

/// Plain-text rendering for the terminal. With `bold`, matched words use ANSI bold.
pub fn answer_text(result: &SearchResult, bold: bool) -> String {
    let mut out = String::new();
    if result.abstained {
        out.push_str(match result.abstention {
            Some(crate::search::Abstention::NoTerms) => "Your question has no searchable words.\n",
            _ => "No passage in the corpus answers this question.\n",
        });
        if !result.nearest.is_empty() {
            out.push_str("Nearest articles:\n");
            for (file, title) in &result.nearest {
                out.push_str(&format!("  - {title} ({file})\n"));
            }
        }
        return out;
    }
    for (i, hit) in result.hits.iter().enumerate() {
        let mut quote = String::new();
        let mut cursor = 0;
        for &(s, e) in &hit.highlights {
            if s < cursor
                || e > hit.quote.len()
                || !hit.quote.is_char_boundary(s)
                || !hit.quote.is_char_boundary(e)
            {
                continue;
            }
            quote.push_str(&hit.quote[cursor..s]);
            if bold {
                quote.push_str(&format!("\x1b[1m{}\x1b[0m", &hit.quote[s..e]));
            } else {
                quote.push_str(&hit.quote[s..e]);
            }
            cursor = e;
        }
        quote.push_str(&hit.quote[cursor..]);
        let prefix = if hit.quote_cut_start { "…" } else { "" };
        let suffix = if hit.quote_cut_end { "…" } else { "" };
        out.push_str(&format!(
            "{}. « {prefix}{}{suffix} »\n",
            i + 1,
            quote.trim()
        ));
        out.push_str(&format!(
            "   — {} · {} ¶{}",
            hit.title, hit.source, hit.paragraph
        ));
        if let Some(outlet) = &hit.outlet {
            out.push_str(&format!(" · {outlet}"));
        }
        if let Some(url) = &hit.url {
            out.push_str(&format!(" · {url}"));
        }
        out.push_str(&format!(
            "  [bytes {}–{}, hash {}]\n\n",
            hit.quote_start, hit.quote_end, hit.hash
        ));
    }
    out
}

/// `source` for the terminal.
pub fn source_text(view: &SourceView) -> String {
    let a = &view.article;
    let mut out = format!(
        "{}\n{} · {} paragraphs · hash {}\n",
        a.title, a.file, a.paragraphs, a.hash
    );
    for (label, value) in [
        ("outlet", &a.outlet),
        ("url", &a.url),
        ("date", &a.date),
        ("author", &a.author),
    ] {
        if let Some(v) = value {
            out.push_str(&format!("{label}: {v}\n"));
        }
    }
    if view.changed_since_index {
        out.push_str("note: the file changed since it was indexed; reindex to update answers\n");
    }
    out.push('\n');
    for p in &view.paragraphs {
        out.push_str(&format!(
            "¶{} [bytes {}–{}, hash {}]\n{}\n\n",
            p.paragraph, p.byte_start, p.byte_end, p.hash, p.text
        ));
    }
    out
}

/// `sources` for the terminal.
pub fn sources_text(articles: &[ArticleMeta], skipped: &[crate::corpus::SkippedFile]) -> String {
    let mut out = String::new();
    for a in articles {
        out.push_str(&format!("{}  {}  ({} ¶", a.file, a.title, a.paragraphs));
        if let Some(outlet) = &a.outlet {
            out.push_str(&format!(", {outlet}"));
        }
        out.push_str(")\n");
    }
    if !skipped.is_empty() {
        out.push_str(&format!("\nskipped {} file(s):\n", skipped.len()));
        for s in skipped {
            out.push_str(&format!("  {}: {}\n", s.file, s.reason));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hit(quote: &str, highlights: Vec<(usize, usize)>) -> Hit {
        Hit {
            source: "000_a.txt".into(),
            title: "Un *titre*".into(),
            paragraph: 3,
            quote: quote.into(),
            passage: quote.into(),
            score: 1.0,
            hash: "abc".into(),
            byte_start: 0,
            byte_end: quote.len(),
            quote_start: 0,
            quote_end: quote.len(),
            highlights,
            quote_cut_start: false,
            quote_cut_end: false,
            outlet: None,
            url: None,
        }
    }

    #[test]
    fn markdown_in_quotes_is_escaped_and_matches_are_bold() {
        let quote = "Le **cloud** <@123> @everyone [lien](x)";
        let start = quote.find("**cloud**").unwrap();
        let h = hit(quote, vec![(start, start + "**cloud**".len())]);
        let md = quote_markdown(&h);
        assert!(md.starts_with("> "));
        assert!(md.contains("\\<\\@123\\>"));
        assert!(md.contains("\\[lien\\]\\(x\\)"));
        assert!(md.contains("**\\*\\*cloud\\*\\***"));
    }

    #[test]
    fn multi_line_quotes_keep_every_line_quoted() {
        let h = hit("ligne un\nligne deux", vec![(0, 5), (9, 14)]);
        let md = quote_markdown(&h);
        assert_eq!(md, "> **ligne** un\n> **ligne** deux");
    }

    #[test]
    fn answers_stay_within_limits_and_say_when_they_truncate() {
        let long = "é".repeat(500);
        let hits: Vec<Hit> = (0..25).map(|_| hit(&long, vec![(0, 2)])).collect();
        let m = answer_message(
            &"q".repeat(5000),
            &hits,
            1,
            Locale::En,
            None,
            &AnswerControls::default(),
        );
        m.check_limits().unwrap();
        let d = m.embeds[0].description.as_ref().unwrap();
        assert!(d.contains("Truncated"));
        // Every bold marker is closed: unescaped markers come in pairs.
        let unescaped = d.replace("\\*", "");
        assert_eq!(unescaped.matches("**").count() % 2, 0);
    }

    #[test]
    fn escaping_neutralizes_line_start_syntax() {
        assert_eq!(escape_markdown("# titre\n- liste"), "\\# titre\n\\- liste");
        assert_eq!(escape_markdown("a-b"), "a-b");
    }

    #[test]
    fn long_lines_split_without_losing_text() {
        let line = "mot ".repeat(500);
        let parts = split_long_line(line.trim(), 100);
        assert!(parts.iter().all(|p| p.chars().count() <= 100));
        assert_eq!(parts.join(" "), line.trim());
    }
}
