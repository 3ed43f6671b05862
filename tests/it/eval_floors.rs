//! Runs the question set in tests/eval/questions.jsonl against the bundled corpus and asserts
//! floors on every metric. The floors sit a little under the measured figures (see README), so a
//! regression in analysis, passage splitting, scoring or quoting fails this test.

use std::path::Path;

use coverage_bot::config::SemanticMode;
use coverage_bot::eval::{judge, read_questions, report, EvalReport as Report};
use coverage_bot::language::Language;
use coverage_bot::{Config, Library};

/// A question set run against its corpus with the shipped config in `mode`, in `language`.
fn set_report(corpus: &str, questions: &str, language: Language, mode: SemanticMode) -> Report {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = tempfile::tempdir().unwrap();
    let mut config = Config::load(&root.join("config/coverage-bot.toml"), true).unwrap();
    config.language = language;
    config.corpus.dir = root.join(corpus);
    config.index.dir = data.path().join("index");
    config.semantic.mode = mode;
    config.semantic.model = crate::semantic_encoder::installed_model();
    let (library, _) = Library::open(config).unwrap();
    let questions = read_questions(&root.join(questions)).unwrap();
    let outcomes = questions
        .iter()
        .map(|q| judge(q, &library.search(&q.question, 3).unwrap(), 3))
        .collect();
    let report = report(outcomes);
    println!("{corpus} {language:?} {mode:?}\n{}", report.to_table());
    report
}

/// The seed question set run with the shipped config in `mode`.
fn seed_report(mode: SemanticMode) -> Report {
    let report = set_report("corpus", "tests/eval/questions.jsonl", Language::Fr, mode);
    assert!(report.questions.len() >= 60);
    let no_answer = report.questions.iter().filter(|q| !q.answerable).count();
    assert!(no_answer >= 8);
    report
}

/// Semantic answers (measured on AVX2 with the Q6K layers: src@1 .889, src@3 .958, quote@1 .722,
/// quote@3 .847, MRR .921, 5 of 14 no-answer questions abstained, 1 false abstention; with
/// AVX-512 VNNI and Q8_0 before the adaptive fusion: src@1 .889–.903, src@3 .972–.986): every
/// lexical floor holds or rises except abstention (lexical: 7 of 14, but with 7 false
/// abstentions). The encoder's AVX-512 VNNI and AVX2 kernels round differently, which moves one
/// borderline no-answer question across the abstention rule. Re-reading the best article's
/// passages by sentence (`src/search/reread.rs`) moved one quote question's answer from the first
/// hit to the second on AVX-512 VNNI (quote@1 .722 -> .708, quote@3 .861 unchanged).
#[test]
fn semantic_retrieval_quality_stays_above_its_floors() {
    let report = seed_report(SemanticMode::On);
    let all = &report.overall;
    assert!(all.src_at_1 >= 0.87, "src@1 {}", all.src_at_1);
    // The hits are the best passages whichever article they come from, so the first three name
    // fewer articles and hold the answer more often: src@3 .972 -> .958 and quote@3 .792 -> .847
    // on an AVX2 CPU, when that choice came in (the src@3 floor went from .95 to .94, the quote@3
    // floor from .77 to .80). Ranking passages that hold the question's words beyond the
    // article's subject first within their article then gave src@3 .972 and quote@3 .861 on an
    // AVX-512 CPU: the quote@3 floor rose to .82, leaving three questions for other CPUs'
    // rounding.
    assert!(all.src_at_3 >= 0.94, "src@3 {}", all.src_at_3);
    assert!(all.quote_at_1 >= 0.68, "quote@1 {}", all.quote_at_1);
    assert!(all.quote_at_3 >= 0.82, "quote@3 {}", all.quote_at_3);
    assert!(all.mrr >= 0.9, "mrr {}", all.mrr);
    assert!(
        all.abstention_rate >= 0.28,
        "abstention {}",
        all.abstention_rate
    );
    assert!(
        all.false_abstentions <= 1,
        "false abstentions {}",
        all.false_abstentions
    );
    assert!(
        report.by_kind["english"].src_at_1 >= 0.99,
        "English questions"
    );
    for kind in ["keyword", "no_accent", "typo", "quote"] {
        let m = &report.by_kind[kind];
        assert!(m.src_at_1 >= 0.98, "{kind}: src@1 {}", m.src_at_1);
        assert_eq!(m.false_abstentions, 0, "{kind} abstained");
    }
}

#[test]
fn retrieval_quality_stays_above_its_floors() {
    let report = seed_report(SemanticMode::Off);
    let all = &report.overall;
    assert!(all.src_at_1 >= 0.78, "src@1 {}", all.src_at_1);
    assert!(all.src_at_3 >= 0.83, "src@3 {}", all.src_at_3);
    assert!(all.quote_at_1 >= 0.55, "quote@1 {}", all.quote_at_1);
    assert!(all.quote_at_3 >= 0.65, "quote@3 {}", all.quote_at_3);
    assert!(all.mrr >= 0.8, "mrr {}", all.mrr);
    assert!(
        all.abstention_rate >= 0.45,
        "abstention {}",
        all.abstention_rate
    );
    assert!(
        all.false_abstentions <= 8,
        "false abstentions {}",
        all.false_abstentions
    );
    // Questions that reuse the articles' words, with or without accents and typos, must find
    // their article first.
    for kind in ["keyword", "no_accent", "typo", "quote"] {
        let m = &report.by_kind[kind];
        assert!(m.src_at_1 >= 0.95, "{kind}: src@1 {}", m.src_at_1);
        assert_eq!(m.false_abstentions, 0, "{kind} abstained");
    }
}

/// The English set (`tests/eval-en`, see its SOURCES.md): eight English Wikinews articles on the
/// 2008 market crash, several telling the same days, with English paraphrases, keywords, typos,
/// French questions and no-answer questions, read with `language = "en"`. Measured (AVX2, Q6K
/// layers): src@1 .767, src@3 .900, quote@1 .733, quote@3 .833, 1 of 6 abstained, 1 false
/// abstention; lexical answers: src@1 .600, quote@1 .533, no French question answered.
#[test]
fn english_corpus_quality_stays_above_its_floors() {
    let report = set_report(
        "tests/eval-en/corpus",
        "tests/eval-en/questions.jsonl",
        Language::En,
        SemanticMode::On,
    );
    let all = &report.overall;
    // Two questions of slack on each (30 answerable), for CPUs whose kernels round differently;
    // every floor is still above the lexical figures.
    assert!(all.src_at_1 >= 0.70, "src@1 {}", all.src_at_1);
    assert!(all.src_at_3 >= 0.83, "src@3 {}", all.src_at_3);
    assert!(all.quote_at_1 >= 0.66, "quote@1 {}", all.quote_at_1);
    assert!(all.quote_at_3 >= 0.76, "quote@3 {}", all.quote_at_3);
    assert!(all.false_abstentions <= 2, "{}", all.false_abstentions);
    assert!(all.abstention_rate > 0.0, "no no-answer question abstained");
    // French questions about English articles find them.
    assert!(report.by_kind["fr"].src_at_3 >= 0.99, "French questions");
    for kind in ["keyword", "typo"] {
        let m = &report.by_kind[kind];
        assert!(m.src_at_1 >= 0.98, "{kind}: src@1 {}", m.src_at_1);
    }
}
