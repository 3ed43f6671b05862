//! Runs the question set in tests/eval/questions.jsonl against the bundled corpus and asserts
//! floors on every metric. The floors sit a little under the measured figures (see README), so a
//! regression in analysis, passage splitting, scoring or quoting fails this test.

use std::path::Path;

use coverage_bot::eval::{judge, read_questions, report};
use coverage_bot::{Config, Library};

#[test]
fn retrieval_quality_stays_above_its_floors() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let data = tempfile::tempdir().unwrap();
    let mut config = Config::load(&root.join("config/coverage-bot.toml"), true).unwrap();
    config.corpus.dir = root.join("corpus");
    config.index.dir = data.path().join("index");
    let (library, _) = Library::open(config).unwrap();
    let questions = read_questions(&root.join("tests/eval/questions.jsonl")).unwrap();
    assert!(questions.len() >= 60);
    let no_answer = questions.iter().filter(|q| q.sources.is_empty()).count();
    assert!(no_answer >= 8);

    let outcomes = questions
        .iter()
        .map(|q| judge(q, &library.search(&q.question, 3).unwrap(), 3))
        .collect();
    let report = report(outcomes);
    println!("{}", report.to_table());
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
