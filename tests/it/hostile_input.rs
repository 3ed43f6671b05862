//! Hostile input: at least 10,000 generated queries (arbitrary Unicode, control, RTL and
//! zero-width characters, emoji, combining marks, tantivy query syntax, Discord markdown and
//! mentions) plus fixed nasty cases (0 bytes, 100 kB) go through `Library::search`, the CLI
//! renderer and the Discord renderers. Each must give a valid result: no panic, no error, no
//! match-all, and every Discord message within Discord's limits. A handful also go through the
//! real bot via the fake Discord, where every message must block all mentions.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

use crate::support::harness::{assert_all_messages_ok, text_of, Harness};
use coverage_bot::analysis::Analyzers;
use coverage_bot::render::{self, AnswerControls, Locale};
use coverage_bot::search::Abstention;
use coverage_bot::text::strip_controls;
use coverage_bot::{Library, SearchResult};
use fake_discord::{DEFAULT_MEMBER_PERMISSIONS, TEST_USER_ID};
use proptest::prelude::*;

/// Generated cases per property; four properties make 10,000 queries.
const CASES: u32 = 2500;

/// One library over the bundled corpus, shared by every test of this module.
fn library() -> &'static Library {
    static LIBRARY: OnceLock<Library> = OnceLock::new();
    LIBRARY.get_or_init(|| {
        let data = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("hostile-input-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data);
        let config =
            crate::support::harness::test_config(&crate::support::harness::repo_corpus(), &data);
        Library::open(config).expect("library opens").0
    })
}

/// Analyzed forms of a text: (stems, exact forms of the informative words, all exact forms).
fn forms(text: &str) -> (HashSet<String>, HashSet<String>, HashSet<String>) {
    let mut analyzers = Analyzers::new(coverage_bot::language::Language::Fr, &[]);
    let tokens = analyzers.analyze(text);
    let stems = tokens.iter().filter_map(|t| t.stem.clone()).collect();
    let informative = tokens
        .iter()
        .filter(|t| t.stem.is_some())
        .map(|t| t.exact.clone())
        .collect();
    let exact = tokens.into_iter().map(|t| t.exact).collect();
    (stems, informative, exact)
}

/// Every word of the corpus (exact form) with its stem, for the typo check.
fn vocabulary() -> &'static Vec<(String, Option<String>)> {
    static VOCABULARY: OnceLock<Vec<(String, Option<String>)>> = OnceLock::new();
    VOCABULARY.get_or_init(|| {
        let library = library();
        let mut analyzers = Analyzers::new(coverage_bot::language::Language::Fr, &[]);
        let mut words = HashSet::new();
        for article in library.sources() {
            let view = library.source(&article.file, None).expect("article");
            let text = format!("{}\n{}", article.title, view.text);
            for t in analyzers.analyze(&text) {
                words.insert((t.exact, t.stem));
            }
        }
        words.into_iter().collect()
    })
}

/// Whether a hit genuinely matches the question: it shares a stem or the exact form of an
/// informative word with it, or one of the question's informative words is within the typo
/// distance (same first letter) of a corpus word whose stem the hit holds.
fn genuinely_matches(question: &str, passage: &str, title: &str) -> bool {
    let cleaned: String = strip_controls(question).chars().take(4000).collect();
    let (q_stems, q_exact, _) = forms(&cleaned);
    let (p_stems, _, p_exact) = forms(&format!("{passage}\n{title}"));
    if q_stems.iter().any(|s| p_stems.contains(s)) || q_exact.iter().any(|e| p_exact.contains(e)) {
        return true;
    }
    q_exact.iter().any(|q| {
        let budget = match q.chars().count() {
            0..=4 => return false,
            5..=8 => 1,
            _ => 2,
        };
        vocabulary().iter().any(|(word, stem)| {
            word.chars().next() == q.chars().next()
                && strsim::damerau_levenshtein(word, q) <= budget
                && (p_exact.contains(word) || stem.as_ref().is_some_and(|s| p_stems.contains(s)))
        })
    })
}

/// Runs one question through search and all renderers and checks every promise.
fn check_query(question: &str) -> SearchResult {
    let library = library();
    let result = library
        .search(question, 5)
        .unwrap_or_else(|e| panic!("search failed on {question:?}: {e}"));
    if result.is_abstained() {
        assert!(
            result.hits().is_empty(),
            "abstention with hits: {question:?}"
        );
        assert!(result.abstention().is_some());
    } else {
        assert!(
            !result.hits().is_empty(),
            "an answer without hits: {question:?}"
        );
        for hit in result.hits() {
            assert!(
                genuinely_matches(question, &hit.passage, &hit.title),
                "match-all: {question:?} returned {} ¶{} which shares no word with it",
                hit.source,
                hit.paragraph
            );
            assert!(
                hit.quote_span.start <= hit.quote_span.end
                    && hit.passage_span.start <= hit.passage_span.end
            );
        }
    }
    // CLI renderer, plain and bold.
    let plain = render::answer_text(&result, false);
    let bold = render::answer_text(&result, true);
    assert!(!plain.is_empty() && !bold.is_empty());
    // Discord renderers, both locales, with and without controls and sharer.
    for locale in [Locale::En, Locale::Fr] {
        let message = if result.is_abstained() {
            render::abstention_message(&result, locale)
        } else {
            let hits = result.hits();
            let controls = AnswerControls {
                post_publicly: Some("cb:pub:1234567890".into()),
                more_results: Some("cb:more:1234567890:1".into()),
                posted: false,
                question_cut_to: Some(1000),
                scope: Some(coverage_bot::filter::ScopeCount {
                    kept: usize::MAX,
                    total: usize::MAX,
                }),
            };
            let first =
                render::answer_message(question, hits, 1, locale, Some(question), &controls);
            first
                .check_limits()
                .unwrap_or_else(|e| panic!("answer over limits for {question:?}: {e}"));
            render::answer_message(
                question,
                &hits[..1],
                1,
                locale,
                None,
                &AnswerControls::default(),
            )
        };
        message
            .check_limits()
            .unwrap_or_else(|e| panic!("message over limits for {question:?}: {e}"));
    }
    result
}

/// Pieces hostile users paste: query syntax, Discord markdown and mentions, invisible and
/// direction characters, emoji, combining marks, corpus words and stop words.
const PIECES: &[&str] = &[
    // tantivy / Lucene syntax
    ":",
    "\"",
    "*",
    "~",
    "^",
    "(",
    ")",
    "[",
    "]",
    "{",
    "}",
    "AND",
    "OR",
    "NOT",
    "-",
    "+",
    "!",
    "\\",
    "/",
    "?",
    "~2",
    "^10",
    "body:",
    "title:*",
    "file:",
    "[* TO *]",
    "{a TO z}",
    "\"\"",
    "*:*",
    "&&",
    "||",
    "(((((",
    ")))))",
    "NOT *",
    "-*",
    "a~",
    "\"a b\"~5",
    // Discord markdown and mentions
    "@everyone",
    "@here",
    "<@123>",
    "<@!123>",
    "<@&1>",
    "<#1>",
    "</ask:1>",
    "<t:0:R>",
    "```",
    "```rust",
    "`",
    "||",
    "||spoiler||",
    "> ",
    ">>> ",
    "# ",
    "## ",
    "-# ",
    "**",
    "__",
    "~~",
    "[lien](https://evil.example)",
    "<https://evil.example>",
    "\\@everyone",
    // invisible, direction and control characters
    "\u{200B}",
    "\u{200C}",
    "\u{200D}",
    "\u{200E}",
    "\u{200F}",
    "\u{202A}",
    "\u{202B}",
    "\u{202E}",
    "\u{2066}",
    "\u{2069}",
    "\u{FEFF}",
    "\u{0}",
    "\u{7}",
    "\u{1b}[31m",
    "\r",
    "\n",
    "\t",
    "\u{85}",
    "\u{2028}",
    "\u{2029}",
    "\u{AD}",
    // emoji, combining marks, other scripts
    "😀",
    "👩‍👩‍👧‍👦",
    "🏳️‍🌈",
    "🇫🇷",
    "e\u{301}",
    "\u{301}\u{301}\u{301}",
    "Z̷̢͓̈́a̵͙͛l̶̰͝g̸̣̈o̶͍͝",
    "שלום",
    "مرحبا",
    "你好",
    "𝕄𝕚𝕔𝕣𝕠𝕤𝕠𝕗𝕥",
    "ｍｉｃｒｏｓｏｆｔ",
    "İ",
    "ß",
    "ﬁ",
    // corpus words and stop words
    "Microsoft",
    "Azure",
    "Israël",
    "israelien",
    "surveillance",
    "Londres",
    "gouvernement",
    "Westminster",
    "e-mails",
    "Microsfot",
    "le",
    "la",
    "les",
    "de",
    "des",
    "du",
    "que",
    "qui",
    "pourquoi",
    "comment",
    "est-ce",
    "a-t-il",
    "what",
    "the",
];

fn piece_soup() -> impl Strategy<Value = String> {
    let separator = prop::sample::select(vec!["", " ", "  ", "\n", "\u{200B}", "-", ":"]);
    prop::collection::vec((prop::sample::select(PIECES), separator), 0..40).prop_map(|parts| {
        parts
            .into_iter()
            .flat_map(|(p, s)| [p, s])
            .collect::<String>()
    })
}

fn any_chars() -> impl Strategy<Value = String> {
    prop::collection::vec(any::<char>(), 0..120).prop_map(|c| c.into_iter().collect())
}

/// Only query syntax, punctuation, invisible characters and stop words: never a real term.
fn no_terms() -> impl Strategy<Value = String> {
    let pieces = vec![
        ":", "\"", "*", "~", "^", "(", ")", "[", "]", "{", "}", "-", "+", "!", "\\", "?", "/",
        "&&", "||", "*:*", "```", "> ", "**", "__", "\u{200B}", "\u{202E}", "\u{FEFF}", "\u{0}",
        "😀", "🇫🇷", "\u{301}", " ", "\n", "le", "la", "les", "de", "des", "que", "qui", "pourquoi",
        "comment", "quoi", "est", "sont", "à", "au", "aux", "en", "et", "ou", "un", "une", "il",
        "elle", "ils",
    ];
    prop::collection::vec(
        (
            prop::sample::select(pieces),
            prop::sample::select(vec![" ", "  ", "\n", "\t"]),
        ),
        0..30,
    )
    .prop_map(|parts| {
        parts
            .into_iter()
            .flat_map(|(p, s)| [p, s])
            .collect::<String>()
    })
}

/// Corpus words disguised: mixed case, accents added, invisible characters inside, mentions and
/// markdown around.
fn disguised_words() -> impl Strategy<Value = String> {
    let words = vec![
        "Microsoft",
        "Azure",
        "Israël",
        "renseignement",
        "surveillance",
        "Palestiniens",
        "Londres",
        "attaque",
        "britannique",
        "e-mails",
        "zorblax",
        "qwxzjv",
    ];
    let wrap = vec![
        ("", ""),
        ("**", "**"),
        ("||", "||"),
        ("`", "`"),
        ("\"", "\""),
        ("<@", ">"),
        ("@", ""),
        ("\u{202E}", "\u{202C}"),
        ("(", ")~2"),
        ("title:", "^3"),
        ("-", "*"),
    ];
    prop::collection::vec(
        (
            prop::sample::select(words),
            prop::sample::select(wrap),
            any::<bool>(),
            0usize..12,
        ),
        1..12,
    )
    .prop_map(|parts| {
        let mut out = String::new();
        for (word, (open, close), upper, cut) in parts {
            let word = if upper {
                word.to_uppercase()
            } else {
                word.to_string()
            };
            let mut chars: Vec<char> = word.chars().collect();
            if cut > 0 && cut < chars.len() {
                chars.insert(cut, '\u{200B}');
            }
            out.push_str(open);
            out.extend(chars);
            out.push_str(close);
            out.push(' ');
        }
        out
    })
}

fn config() -> ProptestConfig {
    ProptestConfig {
        cases: CASES,
        max_shrink_iters: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Runs `check` on `CASES` generated queries; on failure, reports the shrunk input.
fn run_property<S: Strategy<Value = String>>(name: &str, strategy: S, check: fn(&str)) {
    let tried = AtomicUsize::new(0);
    let mut runner = proptest::test_runner::TestRunner::new(config());
    runner
        .run(&strategy, |q| {
            check(&q);
            tried.fetch_add(1, Ordering::Relaxed);
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{name}: {e}"));
    let tried = tried.into_inner();
    assert!(tried >= CASES as usize);
    println!("{name}: {tried} generated queries, all valid");
}

#[test]
fn arbitrary_unicode_never_breaks_search_or_rendering() {
    run_property("arbitrary unicode", any_chars(), |q| {
        check_query(q);
    });
}

#[test]
fn query_syntax_markdown_and_mentions_are_plain_text() {
    run_property("syntax, markdown, mentions", piece_soup(), |q| {
        check_query(q);
    });
}

#[test]
fn operators_and_stop_words_alone_never_match() {
    run_property("operators and stop words only", no_terms(), |q| {
        let result = check_query(q);
        assert!(
            result.is_abstained(),
            "{q:?} answered with {} hits",
            result.hits().len()
        );
        assert_eq!(result.abstention(), Some(Abstention::NoTerms), "{q:?}");
    });
}

#[test]
fn disguised_corpus_words_give_valid_answers() {
    run_property("disguised corpus words", disguised_words(), |q| {
        check_query(q);
    });
}

#[test]
fn fixed_nasty_cases() {
    let hundred_kb = |unit: &str| unit.repeat(100 * 1024 / unit.len().max(1) + 1);
    let mut cases: Vec<String> = vec![
        String::new(),
        " ".into(),
        "\0".into(),
        "\u{0}\u{0}\u{0}".into(),
        "*".into(),
        "*:*".into(),
        "\"".into(),
        "\"\"".into(),
        "AND OR NOT".into(),
        // Found by the syntax property: a quoted phrase of stop words next to a real word.
        "\"a-t-il\"\"israelien".into(),
        "NOT Microsoft".into(),
        "-Microsoft".into(),
        "Microsoft AND".into(),
        "title:Microsoft".into(),
        "[* TO *]".into(),
        "body:[a TO z]".into(),
        "Microsoft~100".into(),
        "Microsoft^1000000".into(),
        "commentque Microsfot".into(),
        "((((((((((Microsoft))))))))))".into(),
        "\"Microsoft Azure".into(),
        "@everyone @here <@123> <@&1> <#1>".into(),
        "```\n@everyone\n```".into(),
        "||Microsoft|| > Azure ```".into(),
        "\u{202E}tfosorciM".into(),
        "Micro\u{200B}soft Az\u{200D}ure".into(),
        "Ｍｉｃｒｏｓｏｆｔ".into(),
        "𝐌𝐢𝐜𝐫𝐨𝐬𝐨𝐟𝐭".into(),
        "\u{301}".repeat(5000),
        "Z̷̢͓̈́a̵͙͛l̶̰͝g̸̣̈o̶͍͝ Microsoft".into(),
        "le la les de des du".into(),
        "pourquoi comment quand".into(),
        "a".repeat(49),
        "a".repeat(1000),
        format!("{} Microsoft", "x".repeat(10_000)),
    ];
    // 100 kB inputs: one word, a pasted text, mentions, combining marks, emoji, syntax, controls.
    cases.push(hundred_kb("a"));
    cases.push(hundred_kb(
        "Microsoft a suspendu des services Azure utilisés par l'armée israélienne. ",
    ));
    cases.push(hundred_kb("@everyone <@123> "));
    cases.push(hundred_kb("e\u{301}\u{302}\u{303}"));
    cases.push(hundred_kb("😀👩‍👩‍👧‍👦"));
    cases.push(hundred_kb("*:* AND (\"x\"~2)^3 OR "));
    cases.push(hundred_kb("\u{202E}\u{200B}\u{1b}"));
    cases.push(hundred_kb("zqxwv kjhgf "));
    for case in &cases {
        assert!(case.is_empty() || case.len() < 200 * 1024);
        check_query(case);
    }
    let hundred = cases.iter().filter(|c| c.len() >= 100 * 1024).count();
    assert_eq!(hundred, 8, "eight 100 kB cases");
    // Exact expectations for a few.
    let empty = check_query("");
    assert!(empty.is_abstained() && empty.abstention() == Some(Abstention::NoTerms));
    for q in [
        "*",
        "*:*",
        "[* TO *]",
        "\"\"",
        "@everyone",
        "```",
        "le la les de des du",
    ] {
        let r = check_query(q);
        assert!(r.is_abstained(), "{q:?} must abstain");
    }
    let real = check_query("Micro\u{200B}soft Azure services suspendus");
    assert!(
        !real.is_abstained(),
        "invisible characters do not hide a real question"
    );
    let paste = check_query(&hundred_kb(
        "Microsoft a suspendu des services Azure utilisés par l'armée israélienne. ",
    ));
    assert!(!paste.is_abstained(), "a long paste still answers");
    println!(
        "fixed nasty cases: {} (8 of 100 kB, one of 0 bytes)",
        cases.len()
    );
}

/// Hostile questions through the real bot: every reply is within Discord's limits and blocks
/// every mention, the bot keeps answering.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_questions_through_the_bot() {
    let h = Harness::start().await;
    let d = &h.discord;
    let questions = [
        "@everyone Microsoft Azure",
        "<@123> <@&1> @here pourquoi Microsoft a suspendu Azure ?",
        "```\n@everyone\n``` ||Azure|| > Microsoft",
        "\u{202E}Microsoft\u{200B} Azure\u{0} surveillance",
        "*:* AND NOT (title:Microsoft)^10 OR \"\"~2",
        "😀👩‍👩‍👧‍👦 Z̷̢͓̈́a̵͙͛l̶̰͝g̸̣̈o̶͍͝",
        "",
        "le la les de",
        &"Microsoft Azure surveillance ".repeat(40),
    ];
    let mut answered = 0;
    for (i, question) in questions.iter().enumerate() {
        let (id, _, payload) = if i % 3 == 2 {
            d.message_context(
                "Find sources",
                question,
                TEST_USER_ID,
                "en-US",
                DEFAULT_MEMBER_PERMISSIONS,
            )
        } else {
            d.ask(question)
                .locale(if i % 2 == 0 { "fr" } else { "en-US" })
                .build()
        };
        let response = h.interact(payload, id).await;
        assert!(response.is_success(), "{question:?}: {}", response.status);
        answered += 1;
    }
    // The bot still answers a plain question afterwards.
    let (id, _, payload) = d
        .ask("Pourquoi Microsoft a-t-il suspendu des services Azure ?")
        .locale("fr")
        .build();
    let response = h.interact(payload, id).await;
    assert!(text_of(response.message_body().unwrap()).contains('¶'));
    let checked = assert_all_messages_ok(d);
    assert!(checked > answered, "{checked} messages checked");
    h.stop().await;
}
