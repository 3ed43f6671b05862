//! The library across index lifetimes: building, reopening, rebuilding on change, other
//! languages and Markdown articles.

use std::path::Path;

use coverage_bot::{Config, Library, OpenOutcome, ReindexOutcome};

use crate::support::fixtures::copy_repo_corpus;

fn config(root: &Path) -> Config {
    let mut config = Config::default();
    config.semantic.mode = coverage_bot::config::SemanticMode::Off;
    config.corpus.dir = root.join("corpus");
    config.index.dir = root.join("data");
    config
}

#[test]
fn the_index_is_reused_then_rebuilt_when_the_corpus_or_the_analyzer_changes() {
    let root = tempfile::tempdir().unwrap();
    copy_repo_corpus(&root.path().join("corpus"));
    let (library, outcome) = Library::open(config(root.path())).unwrap();
    assert!(matches!(outcome, OpenOutcome::Built { .. }));
    let before = library.search("Westminster", 1).unwrap();
    drop(library);

    let (library, outcome) = Library::open(config(root.path())).unwrap();
    assert_eq!(outcome, OpenOutcome::Opened);
    assert_eq!(
        library.search("Westminster", 1).unwrap().hits(),
        before.hits()
    );
    assert!(!library.corpus_changed().unwrap());
    assert_eq!(library.reindex(false).unwrap(), ReindexOutcome::Unchanged);

    // A new article is picked up by a reindex, without reopening.
    std::fs::write(
        root.path().join("corpus/005_new.md"),
        "---\ntitle: Les girafes du Kenya\noutlet: Gazette\nurl: https://example.org/girafes\n---\n\nLes girafes réticulées du Kenya ont vu leur population augmenter de vingt pour cent en dix ans.\n",
    )
    .unwrap();
    assert!(library.corpus_changed().unwrap());
    assert!(matches!(
        library.reindex(false).unwrap(),
        ReindexOutcome::Rebuilt { articles: 6, .. }
    ));
    let result = library
        .search("population des girafes au Kenya", 1)
        .unwrap();
    assert_eq!(result.hits()[0].source, "005_new.md");
    assert_eq!(result.hits()[0].outlet.as_deref(), Some("Gazette"));
    assert_eq!(
        result.hits()[0].url.as_deref(),
        Some("https://example.org/girafes")
    );
    drop(library);

    // Another analyzer configuration rebuilds on open.
    let mut english = config(root.path());
    english.search.extra_stop_words = vec!["girafes".into()];
    let (_, outcome) = Library::open(english).unwrap();
    match outcome {
        OpenOutcome::Built { reason } => assert!(reason.contains("analyzer"), "{reason}"),
        other => panic!("expected a rebuild, got {other:?}"),
    }
}

#[test]
fn other_languages_work_by_configuration() {
    let root = tempfile::tempdir().unwrap();
    let corpus = root.path().join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    std::fs::write(
        corpus.join("a.txt"),
        "Cloud providers and governments\nThe company was running several investigations into the organizations that requested user data.\nAnother paragraph talks about weather and sports results for the weekend.\n",
    )
    .unwrap();
    let mut config = config(root.path());
    config.language = coverage_bot::language::Language::En;
    let (library, _) = Library::open(config).unwrap();
    let result = library
        .search("Why did organizations request data?", 1)
        .unwrap();
    assert!(!result.is_abstained());
    assert!(result.hits()[0].quote.contains("investigations"));
    assert!(library
        .search("recipe for apple pie", 1)
        .unwrap()
        .is_abstained());
}

#[test]
fn unusable_files_are_skipped_with_reasons_and_the_rest_is_served() {
    let root = tempfile::tempdir().unwrap();
    let corpus = root.path().join("corpus");
    copy_repo_corpus(&corpus);
    std::fs::write(corpus.join("latin1.txt"), [b'T', b'i', 0xe9, 0xe9, b'\n']).unwrap();
    std::fs::write(corpus.join("empty.txt"), "").unwrap();
    std::fs::write(corpus.join("image.txt"), [0u8, 1, 2, 3, 0, 255]).unwrap();
    std::fs::write(corpus.join("notes.pdf"), "%PDF").unwrap();
    let mut config = config(root.path());
    config.corpus.max_file_bytes = 4_000;
    let (library, _) = Library::open(config).unwrap();
    let status = library.status();
    let reasons: Vec<(String, String)> = status
        .skipped
        .iter()
        .map(|s| (s.file.clone(), s.reason.to_string()))
        .collect();
    let find = |name: &str| {
        reasons
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    };
    assert!(find("latin1.txt").contains("UTF-8"));
    assert!(find("empty.txt").contains("empty"));
    assert!(find("image.txt").contains("binary"));
    assert!(find("notes.pdf").contains(".txt, .md, .html or .htm"));
    // 000 and 002 are over the 4000-byte cap in this configuration.
    assert!(find("002_894cc58d588e05a4.txt").contains("too large"));
    assert_eq!(status.articles, 3);
    assert!(!library
        .search("Westminster WhatsApp chiffrement", 1)
        .unwrap()
        .is_abstained());
}

#[test]
fn within_an_article_the_passage_with_the_questions_other_words_comes_first() {
    let root = tempfile::tempdir().unwrap();
    let corpus = root.path().join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    // The first paragraph repeats the subject and shares one more word with the question; the
    // second holds both of the question's other words ("construction", "tours") and calls the
    // castle "il".
    std::fs::write(
        corpus.join("kilkenny.txt"),
        "Le château de Kilkenny\n\n\
         Le château de Kilkenny domine la ville. Le château de Kilkenny se visite, et la \
         construction d'un parking près du château a commencé.\n\n\
         Lors de sa construction, il comptait quatre tours rondes aux angles et un fossé \
         massif.\n",
    )
    .unwrap();
    std::fs::write(
        corpus.join("dublin.txt"),
        "Le port de Dublin\n\nLe port de Dublin reçoit des ferries chaque jour depuis le Pays de \
         Galles, et ses tours de contrôle datent de 1960.\n",
    )
    .unwrap();
    let (library, _) = Library::open(config(root.path())).unwrap();
    let result = library
        .search(
            "Combien de tours comptait la construction du château de Kilkenny ?",
            3,
        )
        .unwrap();
    let top = &result.hits()[0];
    assert_eq!((top.source.as_str(), top.paragraph), ("kilkenny.txt", 2));
    assert!(top.quote.contains("quatre tours"), "{}", top.quote);
}

#[test]
fn a_long_paragraphs_second_window_is_quoted_when_its_quote_differs() {
    let root = tempfile::tempdir().unwrap();
    let corpus = root.path().join("corpus");
    std::fs::create_dir_all(&corpus).unwrap();
    // One paragraph of about 900 characters: it is cut into windows. Its first sentences and its
    // last one each hold the question's words; no other article does.
    let filler = "Les visiteurs arrivent nombreux chaque été, par la route ou par le train. \
                  Les guides racontent l'histoire des lieux dans plusieurs langues. \
                  Les jardins sont entretenus par une équipe de douze personnes. \
                  Un café accueille les promeneurs près de l'entrée principale. \
                  Les remparts ont été restaurés au siècle dernier avec soin. ";
    std::fs::write(
        corpus.join("abbaye.txt"),
        format!(
            "L'abbaye du Mont\n\n\
             Les moines de l'abbaye brassaient une bière ambrée réputée. {filler}{filler}\
             Aujourd'hui encore, la bière de l'abbaye est brassée par des moines selon la recette \
             ambrée d'origine.\n"
        ),
    )
    .unwrap();
    std::fs::write(
        corpus.join("port.txt"),
        "Le port\n\nLe port reçoit des ferries chaque jour depuis le Pays de Galles.\n",
    )
    .unwrap();
    let (library, _) = Library::open(config(root.path())).unwrap();
    let result = library
        .search("Quelle bière ambrée brassaient les moines de l'abbaye ?", 3)
        .unwrap();
    let hits = result.hits();
    let from_the_paragraph: Vec<_> = hits
        .iter()
        .filter(|h| (h.source.as_str(), h.paragraph) == ("abbaye.txt", 1))
        .collect();
    assert_eq!(from_the_paragraph.len(), 2, "{hits:#?}");
    assert!(from_the_paragraph
        .iter()
        .any(|h| h.quote.contains("brassaient une bière ambrée")));
    assert!(from_the_paragraph
        .iter()
        .any(|h| h.quote.contains("recette ambrée d'origine")));
    // No two hits quote the same bytes.
    for (i, a) in hits.iter().enumerate() {
        for b in &hits[i + 1..] {
            assert!(
                a.source != b.source
                    || a.quote_span.end <= b.quote_span.start
                    || b.quote_span.end <= a.quote_span.start,
                "{hits:#?}"
            );
        }
    }
}
