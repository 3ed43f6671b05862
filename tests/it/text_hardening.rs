//! Issue #11, text side: quotes bounded whatever the whitespace, NFD corpora, operator words in
//! questions, terminal escapes in corpus text, boilerplate patterns that cost real sentences, and
//! patterns that would remove everything. Each test builds its own corpus in a temp folder.

use crate::support::fixtures::{run_cli, TempCorpus};
use crate::support::harness::test_config;
use coverage_bot::search::Abstention;
use coverage_bot::Library;

const FILLER: &str = "Le marché du vin\n\nLes viticulteurs du Bordelais attendent une \
    récolte moyenne cette année, après un printemps pluvieux et un été sec.\n\nLes prix des \
    bouteilles devraient rester stables selon la chambre d'agriculture.\n";

#[test]
fn quotes_stay_within_the_limit_when_whitespace_separates_sentences() {
    let gap = "\u{a0}\t \u{202f}".repeat(500);
    let article = format!(
        "Le rapport minier\n\nLe ministère publie un rapport sur les mines.{gap}Le rapport \
         chiffre le budget des mines.{gap}La suite paraîtra en juin.\n"
    );
    let corpus = TempCorpus::with_files(&[("mines.txt", &article), ("vin.txt", FILLER)]);
    let result = corpus
        .open()
        .search("rapport budget mines ministère", 3)
        .expect("search");
    assert!(!result.is_abstained());
    for hit in result.hits() {
        assert!(hit.quote.chars().count() <= 500, "{}", hit.quote.len());
    }
}

#[test]
fn an_nfd_article_answers_accented_and_plain_questions_with_highlights_on_its_bytes() {
    let nfd = "Activite\u{301} minie\u{300}re en Guyane\n\nLa socie\u{301}te\u{301} a \
               de\u{301}clare\u{301} une activite\u{301} minie\u{300}re record en Guyane, selon le \
               rapport publie\u{301} jeudi.\n";
    let corpus = TempCorpus::with_files(&[("guyane.txt", nfd), ("vin.txt", FILLER)]);
    let library = corpus.open();
    for question in ["activité minière", "activite miniere"] {
        let result = library.search(question, 3).expect("search");
        assert!(!result.is_abstained(), "{question}: abstained");
        let hit = &result.hits()[0];
        assert_eq!(hit.source, "guyane.txt", "{question}");
        let bold: Vec<&str> = hit.highlights.iter().map(|h| h.of(&hit.quote)).collect();
        assert!(bold.contains(&"activite\u{301}"), "{question}: {bold:?}");
        assert!(bold.contains(&"minie\u{300}re"), "{question}: {bold:?}");
        // The quote is the file's own bytes.
        assert_eq!(&nfd[hit.quote_span.start..hit.quote_span.end], hit.quote);
    }
}

#[test]
fn a_question_of_operator_words_only_abstains() {
    // The corpus must outlive the library: hits are checked against the files.
    let corpus = TempCorpus::new();
    let library = corpus.open();
    for question in ["AND OR NOT", "NOT", "ET OU SAUF"] {
        let result = library.search(question, 3).expect("search");
        assert!(
            result.is_abstained(),
            "{question} answered: {:?}",
            result.hits()
        );
        assert_eq!(result.abstention(), Some(Abstention::NoTerms), "{question}");
    }
    let normal = library
        .search("Pourquoi Microsoft a-t-il suspendu des services Azure ?", 3)
        .expect("search");
    assert!(!normal.is_abstained());
}

/// Raw ESC or BEL in CLI output: what lets a file retitle or clear the reader's terminal.
fn raw_controls(bytes: &[u8]) -> bool {
    let text = String::from_utf8_lossy(bytes);
    text.contains(['\u{1b}', '\u{7}', '\u{9b}'])
}

#[test]
fn cli_output_never_carries_escape_sequences_from_the_corpus() {
    let article = "Le titre \u{1b}]0;pwned\u{7} piégé \u{1b}[2J\n\nLe zorblax \u{1b}[2J a été \
                   découvert \u{9b}31m par les chercheurs du laboratoire, selon le communiqué \
                   \u{1b}]0;pwned\u{7} publié jeudi.\r\nLa suite du texte suit ici.\n";
    let corpus = TempCorpus::with_files(&[("piege.txt", article), ("vin.txt", FILLER)]);
    let cwd = corpus.root.path();
    for args in [
        vec!["sources"],
        vec!["ask", "zorblax découvert"],
        vec!["source", "piege.txt"],
    ] {
        let out = run_cli(cwd, &corpus.corpus(), &corpus.data(), &args);
        assert!(out.status.success(), "{args:?}: {:?}", out);
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(!raw_controls(&out.stdout), "{args:?}: {stdout:?}");
        assert!(stdout.contains("\\u{1b}"), "{args:?}: {stdout:?}");
    }
    // JSON keeps the exact text.
    let out = run_cli(
        cwd,
        &corpus.corpus(),
        &corpus.data(),
        &["ask", "--json", "zorblax découvert"],
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let quote = json["hits"][0]["quote"].as_str().unwrap_or_default();
    assert!(quote.contains('\u{1b}'), "{quote:?}");
}

#[test]
fn sentences_mentioning_furniture_words_can_be_quoted() {
    let article = "Sondage sur la réforme\n\nUn sondage Reuters/Ipsos publié mardi montre que \
                   41 % des électeurs soutiennent la réforme des retraites.\n\nLe journal a \
                   lancé une newsletter consacrée au climat en 2019.\n\nLe gouvernement \
                   présentera le texte au Parlement à l'automne, après une longue concertation \
                   avec les syndicats et le patronat.\n";
    let corpus = TempCorpus::with_files(&[("sondage.txt", article), ("vin.txt", FILLER)]);
    let library = corpus.open();
    let result = library
        .search("sondage Ipsos électeurs réforme", 3)
        .expect("search");
    assert!(!result.is_abstained());
    assert!(
        result.hits()[0].quote.contains("Reuters/Ipsos"),
        "{:?}",
        result.hits()
    );
    let result = library.search("newsletter climat", 3).expect("search");
    assert!(
        result.hits().iter().any(|h| h.quote.contains("newsletter")),
        "{:?}",
        result.hits()
    );
}

#[test]
fn a_pattern_that_matches_everything_is_refused_by_name() {
    let corpus = TempCorpus::with_files(&[("vin.txt", FILLER)]);
    for bad in ["", "."] {
        let mut config = test_config(&corpus.corpus(), &corpus.data());
        config.boilerplate.extra_patterns = vec![bad.to_string()];
        match Library::open(config) {
            Ok(_) => panic!("pattern {bad:?} accepted"),
            Err(e) => {
                let shown = coverage_bot::error::chain(&e);
                assert!(shown.contains(&format!("{bad:?}")), "{shown}")
            }
        }
    }
}
