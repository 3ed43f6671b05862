//! English: the default locale, and the only one of the terminal.

use super::*;

/// `count` with the noun in agreement: "1 article", "0 articles", "2 articles".
fn count_of(count: usize, one: &str, many: &str) -> String {
    format!("{count} {}", if count == 1 { one } else { many })
}

/// "1 paragraph", "2 paragraphs".
fn paragraphs(count: usize) -> String {
    count_of(count, "paragraph", "paragraphs")
}

/// "1 article", "2 articles".
fn articles(count: usize) -> String {
    count_of(count, "article", "articles")
}

/// English Discord texts.
pub(super) static MESSAGES: Messages = Messages {
    commands: CommandTexts {
        ask: CommandText {
            name: "ask",
            description:
                "Ask a question about the news coverage; answers quote the articles verbatim.",
            options: &[
                OptionText {
                    name: "question",
                    description: "Your question",
                },
                OptionText {
                    name: "results",
                    description: "Number of results (1-5)",
                },
                OptionText {
                    name: "public",
                    description: "Post the answer in the channel instead of a private preview",
                },
                OptionText {
                    name: "outlet",
                    description: "Only articles from this outlet",
                },
                OptionText {
                    name: "after",
                    description: "Only articles dated on or after this day (YYYY-MM-DD)",
                },
                OptionText {
                    name: "before",
                    description: "Only articles dated on or before this day (YYYY-MM-DD)",
                },
                OptionText {
                    name: "source",
                    description: "Only this article",
                },
            ],
        },
        find_sources: CommandText {
            name: "Find sources",
            description:
                "Find the passages that best match a message: check a claim against the coverage.",
            options: &[],
        },
        source: CommandText {
            name: "source",
            description: "Cite an article, or one exact paragraph of it.",
            options: &[
                OptionText {
                    name: "file",
                    description: "Article file (type to search file names and titles)",
                },
                OptionText {
                    name: "paragraph",
                    description: "Paragraph number",
                },
            ],
        },
        sources: CommandText {
            name: "sources",
            description: "List the articles of the corpus.",
            options: &[],
        },
        status: CommandText {
            name: "status",
            description:
                "Show the index status: articles, passages, skipped files, index age, version.",
            options: &[],
        },
        reindex: CommandText {
            name: "reindex",
            description: "Rebuild the index from the corpus folder (Manage Server only).",
            options: &[],
        },
        add: CommandText {
            name: "add",
            description: "Add a web article or an attached file to the corpus and index it (Manage Server only).",
            options: &[
                OptionText {
                    name: "url",
                    description: "The article's address (http or https)",
                },
                OptionText {
                    name: "file",
                    description: "A file to add: .html, .htm, .md or .txt",
                },
            ],
        },
        remove: CommandText {
            name: "remove",
            description: "Move an article to the trash and reindex; it can be restored (Manage Server only).",
            options: &[OptionText {
                name: "file",
                description: "Article file (type to search file names and titles)",
            }],
        },
    },
    answer: AnswerText {
        footer: "Verbatim quotes; check any of them with /source file paragraph",
        footer_shared: |user| format!("Shared by {user} · verbatim quotes; check them with /source"),
        truncated: |left_out| format!("Truncated: {left_out} more result(s) did not fit."),
        question_cut: |max| format!("Your question was cut to its first {max} characters."),
        post_publicly: "Post publicly",
        posted: "Posted",
        more_results: "More results",
        scope: |kept, total| format!("Filter: searched {kept} of {}.", articles(total)),
    },
    abstention: AbstentionText {
        no_terms: "Your question has no searchable words. Try a few keywords, e.g. `Azure Israël surveillance`.",
        not_covered: "No passage in the corpus answers this question.",
        out_of_scope: "No article matches this filter (an article without a date never matches a date filter).",
        nearest: "Nearest articles:",
    },
    source: SourceText {
        file: "File",
        paragraphs: "Paragraphs",
        outlet: "Outlet",
        date: "Date",
        author: "Author",
        url: "URL",
        card_hint: "Full text attached. Cite one paragraph with `/source file paragraph:N`.",
        card_footer: |hash| format!("hash {hash}"),
        paragraph_truncated:
            "Truncated: the paragraph is longer; see the attached article with /source.",
        bytes: "bytes",
        hash: "hash",
        unknown: |name| format!("`{name}` is not an article of the corpus."),
        did_you_mean: "Did you mean:",
        unknown_paragraph: |file, requested, count| {
            format!("{file} has {}; there is no paragraph {requested}", paragraphs(count))
        },
    },
    sources: SourcesText {
        title: "Corpus",
        empty: "The corpus is empty.",
        previous: "◀ Previous",
        next: "Next ▶",
        page: |page, pages| format!("Page {page}/{pages}"),
    },
    status: StatusText {
        title: "coverage-bot status",
        articles: "Articles",
        passages: "Passages",
        index_age: "Index age",
        age: short_age,
        build_time: "Build time",
        millis: |millis| format!("{millis} ms"),
        version: "Version",
        version_value: |version, analyzer| format!("{version} (analyzer {analyzer})"),
        semantic: "Semantic answers",
        semantic_value: |s| match &s.model {
            Some(model) if s.embedded => format!(
                "on ({:?}), model sha256 {}, sentences {}",
                s.mode,
                model.sha256.get(..16).unwrap_or(&model.sha256),
                match (s.stored_sentences, s.compact) {
                    (true, true) => "stored with the index, compact",
                    (true, false) => "stored with the index",
                    _ => "read at question time",
                }
            )
            .to_lowercase(),
            Some(model) => format!("model sha256 {} loaded; computing the passage embeddings (lexical answers until done)", model.sha256.get(..16).unwrap_or(&model.sha256)),
            None => format!("off ({:?}): `coverage-bot model install` enables them", s.mode).to_lowercase(),
        },
        reindexing: "Reindexing",
        yes: "yes",
        no: "no",
        stale: "⚠ Out-of-date index",
        warning: "⚠ Warning",
        skipped: "Skipped files",
    },
    reindex: ReindexText {
        rebuilt: |count, passages, millis| {
            format!(
                "Index rebuilt: {}, {} in {millis} ms.",
                articles(count),
                count_of(passages, "passage", "passages")
            )
        },
        interrupted: "Reindex interrupted; the previous index stays in use.",
        removed: |file, count| format!("Moved `{file}` to the trash; the index now has {}. The host can bring it back with `coverage-bot restore {file}`.", articles(count)),
        remove_failed: |reason| format!("Nothing was moved: {reason}"),
        added: |file, count| format!("Added `{file}` ({}) and indexed it.", paragraphs(count)),
        already_there: |file| format!("The corpus already has this article: `{file}`."),
        add_failed: |reason| format!("Nothing was added: {reason}"),
        add_one_of: "Give either `url:` or `file:`, one of the two.",
    },
    notice: NoticeText {
        cooldown: |seconds| format!("Slow down: try again in {seconds} s."),
        missing_permission: "You need the Manage Server permission for this command.",
        channel: "This bot does not answer in this channel.",
        guild_only: "This command works only in a server.",
        invalid_options: "Invalid options; check the command and try again.",
        nothing_to_check: "This message has no text to check.",
        bad_date: |given| format!("`{given}` is not a date: write it as YYYY-MM-DD, e.g. 2024-03-05."),
        empty_period: |after, before| format!("The period is empty: {after} comes after {before}."),
        buttons_expired: "These buttons expired; ask again.",
        already_posted: "This answer was already posted.",
        error: "Something went wrong on our side; the error was logged. Please try again.",
    },
    audit: AuditText {
        published: "published",
        added: "added",
        removed: "moved to the trash",
        restored: "restored",
        reindexed: "rebuilt the index",
    },
};

/// Terminal and start-up texts.
pub(super) static TERMINAL: TerminalText = TerminalText {
    no_terms: "Your question has no searchable words.",
    not_covered: "No passage in the corpus answers this question.",
    out_of_scope: "No article matches this filter (an article without a date never matches a date filter).",
    scope: |kept, total| format!("(filter: searched {kept} of {})", articles(total)),
    added: |file, count| format!("added {file} ({}) and reindexed", paragraphs(count)),
    already_there: |file| format!("already in the corpus: {file}"),
    removed: |file| format!("moved {file} to the trash (in the data folder) and reindexed; `coverage-bot restore {file}` brings it back"),
    restored: |file| format!("restored {file} and reindexed"),
    trash_empty: "the trash is empty",
    audit_unreadable: |count, path| format!("warning: {count} damaged line(s) of {path} skipped"),
    nearest: "Nearest articles:",
    quote_bytes: "quote bytes",
    bytes: "bytes",
    hash: "hash",
    paragraphs: "paragraphs",
    meta_labels: ["outlet", "url", "date", "author"],
    changed_since_index: "note: the file changed since it was indexed; reindex to update answers",
    skipped: |count| format!("skipped {count} file(s):"),
    in_paragraph: |paragraph, hash| format!("in ¶{paragraph} (hash {hash})"),
    across_paragraphs: "spans more than one paragraph",
    token_missing:
        "DISCORD_TOKEN is not set. Copy .env.example to .env and put your bot token in it \
                    (Discord developer portal → your application → Bot → Reset Token), or export \
                    DISCORD_TOKEN. `coverage-bot ask` works without a token.",
    token_garbled: "DISCORD_TOKEN contains spaces or control characters; paste it again.",
    guild_id_not_numeric: "DISCORD_GUILD_ID must be a numeric server id.",
    proxy_scheme: "DISCORD_PROXY_URL must start with http:// or https://.",
    zero_id: |setting| format!("{setting}: 0 is not a Discord id."),
    token_rejected:
        "Discord rejected the token (401 Unauthorized). Reset it in the developer portal \
                     (your application → Bot → Reset Token) and update DISCORD_TOKEN in .env.",
    connection_failed: |error| format!("Discord connection failed: {error}"),
    stale_index: |reason| format!("warning: answering from an out-of-date index: {reason}"),
    error: |error| format!("error: {error}"),
    warning: |warning| format!("warning: {warning}"),
    unknown_source: |requested| format!("error: no article named {requested:?} in the corpus."),
    closest_names: |names| format!("closest names: {names}"),
    list_hint: "run `coverage-bot sources` to list the articles.",
    index_built: |reason| format!("index built ({reason})"),
    checksums_verified: "checksums verified: every index file is intact",
    semantic_hint: "(lexical answers: `cargo run --release -- model install` enables semantic answers, for paraphrases and other languages)",
    semantic_pending: "(lexical answers: the passage embeddings are not computed yet; `coverage-bot index` computes them)",
    sentences_pending: "(sentences re-read at question time: their vectors are not stored yet; `coverage-bot index` computes them)",
    storage_pending: "(the index's vectors are stored otherwise than `sentence_vectors` says: they answer until `coverage-bot index` recomputes them)",
    model_installed: |path, sha256| {
        format!("semantic model installed: {path} (sha256 {sha256}); semantic answers are on")
    },
    index_status: |s| {
        format!(
            "{} articles, {} passages, {} skipped; built in {} ms; analyzer {}\nsemantic answers: {}",
            s.articles,
            s.passages,
            s.skipped.len(),
            s.build_millis,
            s.analyzer_version,
            (super::en::MESSAGES.status.semantic_value)(&s.semantic)
        )
    },
    skipped_file: |file, reason| format!("  skipped {file}: {reason}"),
    byte_range_format: "write the range as A..B, e.g. 120..348",
    not_a_byte_offset: |text| format!("{text:?} is not a byte offset"),
};
