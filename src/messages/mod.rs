//! Every text a user reads, in one place: Discord replies and command descriptions in English
//! and French, and the terminal and start-up text in English.
//!
//! Each locale fills one [`Messages`] value (`en.rs`, `fr.rs`). A text missing from a locale is a
//! missing struct field, so a half-done translation does not compile. Texts that take values are
//! plain functions, so their arguments are checked by the compiler too. The renderers keep the
//! layout (Markdown, blockquotes, limits); only the words live here.
//!
//! Why not Fluent files: with two locales and a few dozen texts, Fluent would move the checks
//! from compile time to start-up (a missing message, a misspelt argument), add a file-loading
//! failure mode and three crates, and still need a Rust table of message ids.

mod en;
mod fr;

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

    /// The texts of this locale.
    pub fn messages(self) -> &'static Messages {
        match self {
            Locale::En => &en::MESSAGES,
            Locale::Fr => &fr::MESSAGES,
        }
    }

    /// The Discord locale code that command localizations are registered under.
    pub fn discord_code(self) -> &'static str {
        match self {
            Locale::En => "en-US",
            Locale::Fr => "fr",
        }
    }
}

/// The terminal and start-up texts (English only: the CLI and the operator's log).
pub fn terminal() -> &'static TerminalText {
    &en::TERMINAL
}

/// All texts of one locale.
#[derive(Debug)]
pub struct Messages {
    /// Command names and descriptions, as registered with Discord.
    pub commands: CommandTexts,
    /// Answers to a question.
    pub answer: AnswerText,
    /// The reply when nothing answers.
    pub abstention: AbstentionText,
    /// `/source`.
    pub source: SourceText,
    /// `/sources`.
    pub sources: SourcesText,
    /// `/status`.
    pub status: StatusText,
    /// `/reindex`.
    pub reindex: ReindexText,
    /// Expected refusals and other short notices.
    pub notice: NoticeText,
    /// The audit trail's lines.
    pub audit: AuditText,
}

/// The verbs of the audit trail's lines.
#[derive(Debug)]
pub struct AuditText {
    /// An answer made public.
    pub published: &'static str,
    /// An article added.
    pub added: &'static str,
    /// An article moved to the trash.
    pub removed: &'static str,
    /// An article brought back.
    pub restored: &'static str,
    /// The index rebuilt.
    pub reindexed: &'static str,
}

/// A command's name and description, and its options', in one locale.
#[derive(Debug)]
pub struct CommandText {
    /// The name (for the context menu: the menu label). English names are the names Discord
    /// sends back, so they must equal the code's; French names are shown only.
    pub name: &'static str,
    /// The description (≤ 100 characters).
    pub description: &'static str,
    /// The options, in the order of the command's parameters.
    pub options: &'static [OptionText],
}

/// An option's name and description, in one locale.
#[derive(Debug)]
pub struct OptionText {
    /// The name (see [`CommandText::name`]).
    pub name: &'static str,
    /// The description (≤ 100 characters).
    pub description: &'static str,
}

/// The commands, by their function name in `bot::commands`.
#[derive(Debug)]
pub struct CommandTexts {
    /// `/ask`.
    pub ask: CommandText,
    /// The "Find sources" message menu.
    pub find_sources: CommandText,
    /// `/source`.
    pub source: CommandText,
    /// `/sources`.
    pub sources: CommandText,
    /// `/status`.
    pub status: CommandText,
    /// `/reindex`.
    pub reindex: CommandText,
    /// `/remove`.
    pub remove: CommandText,
    /// `/add`.
    pub add: CommandText,
}

impl CommandTexts {
    /// The text of the command whose function is `identifying_name`.
    pub fn get(&self, identifying_name: &str) -> Option<&CommandText> {
        Some(match identifying_name {
            "ask" => &self.ask,
            "find_sources" => &self.find_sources,
            "source" => &self.source,
            "sources" => &self.sources,
            "status" => &self.status,
            "reindex" => &self.reindex,
            "remove" => &self.remove,
            "add" => &self.add,
            _ => return None,
        })
    }
}

/// Answers to a question.
#[derive(Debug)]
pub struct AnswerText {
    /// Footer of an answer.
    pub footer: &'static str,
    /// Footer of an answer someone posted publicly.
    pub footer_shared: fn(user: &str) -> String,
    /// Some hits did not fit in the message.
    pub truncated: fn(left_out: usize) -> String,
    /// The question was longer than the bot accepts and was cut.
    pub question_cut: fn(max_chars: usize) -> String,
    /// Button: post the preview to the channel.
    pub post_publicly: &'static str,
    /// The same button once used.
    pub posted: &'static str,
    /// Button: next page of hits.
    pub more_results: &'static str,
    /// How many articles a filter kept.
    pub scope: fn(kept: usize, total: usize) -> String,
}

/// The reply when nothing in the corpus answers.
#[derive(Debug)]
pub struct AbstentionText {
    /// The question has no searchable word.
    pub no_terms: &'static str,
    /// No passage answers.
    pub not_covered: &'static str,
    /// The filter kept no article.
    pub out_of_scope: &'static str,
    /// Heading of the nearest articles.
    pub nearest: &'static str,
}

/// `/source`: the article card, one paragraph, and unknown names.
#[derive(Debug)]
pub struct SourceText {
    /// Field: file name.
    pub file: &'static str,
    /// Field: paragraph count.
    pub paragraphs: &'static str,
    /// Field: outlet.
    pub outlet: &'static str,
    /// Field: date.
    pub date: &'static str,
    /// Field: author.
    pub author: &'static str,
    /// Field: URL.
    pub url: &'static str,
    /// Below the first paragraph of the card.
    pub card_hint: &'static str,
    /// Footer of the card.
    pub card_footer: fn(hash: &str) -> String,
    /// A paragraph too long for one message.
    pub paragraph_truncated: &'static str,
    /// Word before a byte range in a citation.
    pub bytes: &'static str,
    /// Word before a hash in a citation.
    pub hash: &'static str,
    /// A name that is no corpus file (the name comes quoted and cleaned).
    pub unknown: fn(name: &str) -> String,
    /// Before the closest names.
    pub did_you_mean: &'static str,
    /// A paragraph number outside the article.
    pub unknown_paragraph: fn(file: &str, requested: usize, count: usize) -> String,
}

/// `/sources`.
#[derive(Debug)]
pub struct SourcesText {
    /// Title, before the article count.
    pub title: &'static str,
    /// The corpus has no article.
    pub empty: &'static str,
    /// Button: previous page.
    pub previous: &'static str,
    /// Button: next page.
    pub next: &'static str,
    /// Footer: page `page` of `pages`.
    pub page: fn(page: usize, pages: usize) -> String,
}

/// `/status`.
#[derive(Debug)]
pub struct StatusText {
    /// Title.
    pub title: &'static str,
    /// Field: articles.
    pub articles: &'static str,
    /// Field: passages.
    pub passages: &'static str,
    /// Field: index age.
    pub index_age: &'static str,
    /// An age in seconds, short.
    pub age: fn(seconds: u64) -> String,
    /// Field: build time.
    pub build_time: &'static str,
    /// A build time.
    pub millis: fn(millis: u64) -> String,
    /// Field: version.
    pub version: &'static str,
    /// The program and analyzer versions.
    pub version_value: fn(version: &str, analyzer: &str) -> String,
    /// Field: semantic answers.
    pub semantic: &'static str,
    /// Whether answers are semantic, and the model's hash.
    pub semantic_value: fn(status: &crate::library::SemanticStatus) -> String,
    /// Field: whether a reindex runs.
    pub reindexing: &'static str,
    /// Yes.
    pub yes: &'static str,
    /// No.
    pub no: &'static str,
    /// Field: the index is out of date.
    pub stale: &'static str,
    /// Field: a build warning.
    pub warning: &'static str,
    /// Field: skipped files.
    pub skipped: &'static str,
}

/// `/reindex`.
#[derive(Debug)]
pub struct ReindexText {
    /// The index was rebuilt.
    pub rebuilt: fn(articles: usize, passages: usize, millis: u64) -> String,
    /// The rebuild stopped; the previous index serves.
    pub interrupted: &'static str,
    /// `/remove` moved an article to the trash.
    pub removed: fn(file: &str, articles: usize) -> String,
    /// `/remove` could not move it (the reason, already made safe).
    pub remove_failed: fn(reason: &str) -> String,
    /// `/add` added an article.
    pub added: fn(file: &str, paragraphs: usize) -> String,
    /// `/add` found the article already in the corpus.
    pub already_there: fn(file: &str) -> String,
    /// `/add` could not add it (the reason, already made safe).
    pub add_failed: fn(reason: &str) -> String,
    /// `/add` was given both a URL and a file, or neither.
    pub add_one_of: &'static str,
}

/// Short ephemeral notices: expected refusals, expired buttons, the generic error.
#[derive(Debug)]
pub struct NoticeText {
    /// The command is on cooldown for this user.
    pub cooldown: fn(seconds: u64) -> String,
    /// The user lacks Manage Server.
    pub missing_permission: &'static str,
    /// The channel is not in the allow-list.
    pub channel: &'static str,
    /// A server-only command used in a DM.
    pub guild_only: &'static str,
    /// Options Discord should not have let through.
    pub invalid_options: &'static str,
    /// "Find sources" on a message without text.
    pub nothing_to_check: &'static str,
    /// A filter date that is not `YYYY-MM-DD` (the text given, already made safe).
    pub bad_date: fn(given: &str) -> String,
    /// `after` later than `before`.
    pub empty_period: fn(after: &str, before: &str) -> String,
    /// The buttons of a reply expired.
    pub buttons_expired: &'static str,
    /// "Post publicly" clicked twice.
    pub already_posted: &'static str,
    /// Something failed on our side; details are in the log.
    pub error: &'static str,
}

/// Terminal output of the CLI, and start-up problems the operator reads.
#[derive(Debug)]
pub struct TerminalText {
    /// The question has no searchable word.
    pub no_terms: &'static str,
    /// No passage answers.
    pub not_covered: &'static str,
    /// The filter kept no article.
    pub out_of_scope: &'static str,
    /// How many articles a filter kept.
    pub scope: fn(kept: usize, total: usize) -> String,
    /// An article added to the corpus.
    pub added: fn(file: &str, paragraphs: usize) -> String,
    /// The article was already in the corpus.
    pub already_there: fn(file: &str) -> String,
    /// An article moved to the trash.
    pub removed: fn(file: &str) -> String,
    /// An article brought back.
    pub restored: fn(file: &str) -> String,
    /// `restore` without a name, on an empty trash.
    pub trash_empty: &'static str,
    /// Lines of the audit trail that could not be read.
    pub audit_unreadable: fn(count: usize, path: &str) -> String,
    /// Heading of the nearest articles.
    pub nearest: &'static str,
    /// Word before a hit's quote byte range.
    pub quote_bytes: &'static str,
    /// Word before a byte range.
    pub bytes: &'static str,
    /// Word before a hash.
    pub hash: &'static str,
    /// After a paragraph count.
    pub paragraphs: &'static str,
    /// Metadata labels: outlet, url, date, author.
    pub meta_labels: [&'static str; 4],
    /// The file changed since it was indexed.
    pub changed_since_index: &'static str,
    /// Heading of the skipped files.
    pub skipped: fn(count: usize) -> String,
    /// A byte range inside one paragraph.
    pub in_paragraph: fn(paragraph: usize, hash: &str) -> String,
    /// A byte range across paragraphs.
    pub across_paragraphs: &'static str,
    /// Start-up: no token.
    pub token_missing: &'static str,
    /// Start-up: the token has spaces or control characters.
    pub token_garbled: &'static str,
    /// Start-up: the guild id is not a number.
    pub guild_id_not_numeric: &'static str,
    /// Start-up: the proxy URL has no HTTP scheme.
    pub proxy_scheme: &'static str,
    /// Start-up: a Discord id setting holds 0.
    pub zero_id: fn(setting: &str) -> String,
    /// Start-up: Discord refused the token.
    pub token_rejected: &'static str,
    /// Start-up: Discord could not be reached.
    pub connection_failed: fn(error: &str) -> String,
    /// CLI: answers come from an out-of-date index, and why.
    pub stale_index: fn(reason: &str) -> String,
    /// CLI: an error, with its causes.
    pub error: fn(error: &str) -> String,
    /// CLI: a warning from the build.
    pub warning: fn(warning: &str) -> String,
    /// CLI: the name matches no article.
    pub unknown_source: fn(requested: &str) -> String,
    /// CLI: the closest article names.
    pub closest_names: fn(names: &str) -> String,
    /// CLI: how to list the articles.
    pub list_hint: &'static str,
    /// CLI `index`: an index was built, and why.
    pub index_built: fn(reason: &str) -> String,
    /// CLI `index --verify`: the checksums hold.
    pub checksums_verified: &'static str,
    /// CLI `index`: the status line.
    pub index_status: fn(status: &crate::library::Status) -> String,
    /// CLI `index`: one skipped file.
    pub skipped_file: fn(file: &str, reason: &str) -> String,
    /// CLI `source --bytes`: the range is not written `A..B`.
    pub byte_range_format: &'static str,
    /// CLI `source --bytes`: one end is not a number.
    pub not_a_byte_offset: fn(text: &str) -> String,
    /// CLI `ask`: how to turn semantic answers on (shown when they are off).
    pub semantic_hint: &'static str,
    /// CLI `ask`: the model is loaded but the index lacks its embeddings.
    pub semantic_pending: &'static str,
    /// CLI `ask`: sentence vectors are to be stored but the index lacks them.
    pub sentences_pending: &'static str,
    /// CLI `ask`: the index's vectors are stored otherwise than `sentence_vectors` says.
    pub storage_pending: &'static str,
    /// CLI `model install`: where the model went, and its hash.
    pub model_installed: fn(path: &str, sha256: &str) -> String,
}

/// A short age, shared by both locales (the units read the same).
fn short_age(seconds: u64) -> String {
    match seconds {
        0..=119 => format!("{seconds} s"),
        120..=7199 => format!("{} min", seconds / 60),
        7200..=172_799 => format!("{} h", seconds / 3600),
        _ => format!("{} d", seconds / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_commands(m: &Messages) -> [&CommandText; 6] {
        let c = &m.commands;
        [
            &c.ask,
            &c.find_sources,
            &c.source,
            &c.sources,
            &c.status,
            &c.reindex,
        ]
    }

    #[test]
    fn both_locales_describe_the_same_options_within_discord_limits() {
        let en = all_commands(Locale::En.messages());
        let fr = all_commands(Locale::Fr.messages());
        for (en, fr) in en.iter().zip(fr) {
            assert_eq!(en.options.len(), fr.options.len(), "{}", en.name);
            for text in [en, fr] {
                assert!(text.description.chars().count() <= 100, "{}", text.name);
                for option in text.options {
                    assert!(option.description.chars().count() <= 100);
                    assert!(option.name.chars().count() <= 32);
                }
            }
        }
    }

    #[test]
    fn counts_agree_in_number() {
        let en = Locale::En.messages();
        let fr = Locale::Fr.messages();
        assert!((en.reindex.added)("a.md", 1).contains("(1 paragraph)"));
        assert!((en.reindex.added)("a.md", 2).contains("(2 paragraphs)"));
        assert!((fr.reindex.added)("a.md", 1).contains("(1 paragraphe)"));
        assert!((fr.reindex.added)("a.md", 3).contains("(3 paragraphes)"));
        assert!((en.source.unknown_paragraph)("a.md", 4, 1).contains("has 1 paragraph;"));
        assert!((fr.source.unknown_paragraph)("a.md", 4, 2).contains("a 2 paragraphes ;"));
        assert!((terminal().added)("a.md", 1).contains("(1 paragraph)"));
        assert_eq!(
            (en.reindex.rebuilt)(1, 1, 5),
            "Index rebuilt: 1 article, 1 passage in 5 ms."
        );
        assert_eq!(
            (fr.reindex.rebuilt)(2, 0, 5),
            "Index reconstruit : 2 articles, 0 passage en 5 ms."
        );
        assert!((en.reindex.removed)("a.md", 1).contains("now has 1 article."));
        assert!((fr.answer.scope)(1, 5).contains("1 article cherché sur 5"));
        assert!((en.answer.scope)(1, 1).contains("searched 1 of 1 article."));
    }

    #[test]
    fn ages_use_the_largest_readable_unit() {
        assert_eq!(short_age(5), "5 s");
        assert_eq!(short_age(600), "10 min");
        assert_eq!(short_age(7200), "2 h");
        assert_eq!(short_age(200_000), "2 d");
    }
}
