//! Semantic answers end to end: English questions on the French seed corpus, through the
//! library and through the bot on the fake Discord; determinism; reuse of embeddings on a
//! reindex; the modes.

use std::path::Path;

use coverage_bot::config::SemanticMode;
use coverage_bot::eval::{read_questions, EvalQuestion as Question};
use coverage_bot::{CoreError, Library};
use fake_discord::protocol::callback;

use crate::semantic_encoder::installed_model;
use crate::support::fixtures::copy_repo_corpus;
use crate::support::harness::{semantic_config, text_of, Harness};

/// The seed set's questions asked in English (their answers are in the French articles).
fn english_questions() -> Vec<Question> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let questions = read_questions(&root.join("tests/eval/questions.jsonl")).unwrap();
    let english: Vec<Question> = questions
        .into_iter()
        .filter(|q| q.kind.as_deref() == Some("english"))
        .collect();
    assert!(!english.is_empty());
    english
}

fn seed_library(root: &Path) -> Library {
    copy_repo_corpus(&root.join("corpus"));
    Library::open(semantic_config(&root.join("corpus"), &root.join("data")))
        .unwrap()
        .0
}

#[test]
fn english_questions_find_their_french_articles() {
    let root = tempfile::tempdir().unwrap();
    let library = seed_library(root.path());
    for q in english_questions() {
        let result = library.search(&q.question, 3).unwrap();
        let first = result
            .hits()
            .first()
            .unwrap_or_else(|| panic!("no answer to {:?}", q.question));
        assert!(
            q.sources.contains(&first.source),
            "{:?} answered from {}",
            q.question,
            first.source
        );
    }
}

/// Asks every seed question and checks that hits quoting the same passage are the first two and
/// never overlap (the second holds what the first left out of a long paragraph), and that the
/// second holds some of the question's words if `lexical`; returns how many questions got such a
/// second quote.
fn second_quotes(library: &Library, questions: &[Question], lexical: bool) -> usize {
    let mut count = 0;
    for q in questions {
        let result = library.search(&q.question, 3).unwrap();
        let hits = result.hits();
        for (i, a) in hits.iter().enumerate() {
            for (j, b) in hits.iter().enumerate().skip(i + 1) {
                if a.source != b.source || a.passage_span != b.passage_span {
                    continue;
                }
                assert_eq!(
                    (i, j),
                    (0, 1),
                    "{:?}: one passage at {i} and {j}",
                    q.question
                );
                assert!(!a.quote_span.overlaps(b.quote_span), "{:?}", q.question);
                assert!(a.passage_span.contains(b.quote_span));
                assert!(b.passage.contains(&b.quote) && b.quote.chars().count() <= 500);
                assert!(!lexical || !b.highlights.is_empty(), "{:?}", q.question);
                count += 1;
            }
        }
    }
    count
}

/// A long first paragraph that stands above the next passage gets a second quote, of what its
/// first quote left out, with semantic answers and lexical ones alike (5 and 3 of the 86 seed
/// questions when it came in).
#[test]
fn a_second_quote_of_the_first_passage_quotes_what_the_first_left_out() {
    let questions =
        read_questions(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval/questions.jsonl"))
            .unwrap();
    let root = tempfile::tempdir().unwrap();
    let library = seed_library(root.path());
    assert!(
        second_quotes(&library, &questions, false) > 0,
        "semantic answers"
    );
    let lexical = tempfile::tempdir().unwrap();
    copy_repo_corpus(&lexical.path().join("corpus"));
    let mut config = semantic_config(&lexical.path().join("corpus"), &lexical.path().join("data"));
    config.semantic.mode = SemanticMode::Off;
    let library = Library::open(config).unwrap().0;
    assert!(
        second_quotes(&library, &questions, true) > 0,
        "lexical answers"
    );
}

/// The hits of the first English question, as JSON.
fn first_answer_json(library: &Library) -> String {
    let question = &english_questions()[0].question;
    serde_json::to_string(&library.search(question, 3).unwrap().hits()).unwrap()
}

/// Asks the first English question 20 times and again after a rebuild, checking every answer is
/// the same bytes; returns it.
fn assert_deterministic(library: &Library) -> String {
    let first = first_answer_json(library);
    for _ in 0..20 {
        assert_eq!(first_answer_json(library), first);
    }
    library.reindex(true).unwrap();
    assert_eq!(
        first_answer_json(library),
        first,
        "a rebuild changed the answer"
    );
    first
}

#[test]
fn the_same_question_gives_byte_identical_answers_across_runs_and_rebuilds() {
    let root = tempfile::tempdir().unwrap();
    assert_deterministic(&seed_library(root.path()));
}

#[test]
fn a_reindex_embeds_only_changed_passages() {
    let root = tempfile::tempdir().unwrap();
    let library = seed_library(root.path());
    let all = library.snapshot().catalog.passages;
    assert_eq!(library.snapshot().catalog.embedded_passages, all);
    assert!(library
        .snapshot()
        .vectors
        .as_ref()
        .is_some_and(|v| v.len() == all));
    let file = std::fs::read_dir(root.path().join("corpus"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    let mut text = std::fs::read_to_string(&file).unwrap();
    text.push_str("\n\nUn paragraphe ajouté pour le test, qui parle de tout autre chose.\n");
    std::fs::write(&file, text).unwrap();
    library.reindex(false).unwrap();
    let snapshot = library.snapshot();
    assert!(snapshot.catalog.embedded_passages >= 1);
    assert!(
        snapshot.catalog.embedded_passages < all / 2,
        "{} of {}",
        snapshot.catalog.embedded_passages,
        all
    );
    assert_eq!(
        snapshot.vectors.as_ref().map(|v| v.len()),
        Some(snapshot.catalog.passages)
    );
}

#[test]
fn mode_on_without_the_model_is_a_setting_error_and_off_stays_lexical() {
    let root = tempfile::tempdir().unwrap();
    copy_repo_corpus(&root.path().join("corpus"));
    let mut config = semantic_config(&root.path().join("corpus"), &root.path().join("data"));
    config.semantic.model = root.path().join("missing.gguf");
    let error = Library::open(config.clone()).err().unwrap();
    assert!(
        matches!(
            error,
            CoreError::InvalidSetting {
                key: "semantic.model",
                ..
            }
        ),
        "{error}"
    );

    config.semantic.mode = SemanticMode::Off;
    let (library, _) = Library::open(config).unwrap();
    assert!(library.snapshot().vectors.is_none());
    assert!(library.encoder().is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_english_ask_through_the_bot_quotes_the_french_passage() {
    let h = Harness::start_with(|config| {
        config.semantic.mode = SemanticMode::On;
        config.semantic.model = installed_model();
    })
    .await;
    let q = &english_questions()[0];
    let (id, token, payload) = h
        .discord
        .ask(&q.question)
        .results(1)
        .locale("en-US")
        .build();
    let response = h.interact(payload, id).await;
    // Embedding the question costs ~10 ms of CPU: the bot acknowledges first, then edits.
    assert_eq!(
        response.callback_type(),
        Some(callback::DEFERRED_CHANNEL_MESSAGE_WITH_SOURCE)
    );
    let answer = h
        .discord
        .wait_for_request(
            |r| {
                r.is_webhook() && r.interaction_token() == Some(token.as_str()) && r.method != "GET"
            },
            std::time::Duration::from_secs(20),
        )
        .await
        .expect("the answer");
    let text = text_of(&answer.body);
    assert!(
        q.sources.iter().any(|s| text.contains(s.as_str())),
        "{text}"
    );
    assert!(
        text.contains('¶') && text.contains("> "),
        "a cited quote: {text}"
    );
    h.stop().await;
}

#[test]
fn a_corpus_too_large_to_embed_during_the_build_is_served_lexically_then_switches() {
    let root = tempfile::tempdir().unwrap();
    copy_repo_corpus(&root.path().join("corpus"));
    let mut config = semantic_config(&root.path().join("corpus"), &root.path().join("data"));
    config.semantic.embed_during_build_max = 0;
    let (library, _) = Library::open(config).unwrap();
    assert!(library.embeddings_pending());
    assert!(!library.status().semantic.active());
    let question = &english_questions()[0].question;
    // Answers are lexical meanwhile, and still answers.
    let lexical = library.search(question, 3).unwrap();
    assert!(library.embed_pending().unwrap());
    assert!(!library.embeddings_pending());
    assert!(library.status().semantic.active());
    let semantic = library.search(question, 3).unwrap();
    assert_ne!(
        serde_json::to_string(lexical.hits()).unwrap(),
        serde_json::to_string(semantic.hits()).unwrap()
    );
    // Nothing is left to do.
    assert!(!library.embed_pending().unwrap());
}

#[test]
fn embedding_resumes_from_the_cache_after_an_interruption() {
    use coverage_bot::semantic::cache::{EmbeddingCache, Record};
    use coverage_bot::semantic::vectors::{passage_key, quantize_row, Storage};
    use coverage_bot::semantic::{Encoder, Prefix};

    let root = tempfile::tempdir().unwrap();
    copy_repo_corpus(&root.path().join("corpus"));
    let mut config = semantic_config(&root.path().join("corpus"), &root.path().join("data"));
    config.semantic.embed_during_build_max = 0;
    let data = config.index.dir.clone();
    let (library, _) = Library::open(config).unwrap();
    // An earlier run embedded the first half before it was killed: its batches are in the cache.
    let texts = coverage_bot::index::passage_texts(&library.snapshot()).unwrap();
    let encoder = Encoder::load(&installed_model()).unwrap();
    let half: Vec<&str> = texts[..texts.len() / 2]
        .iter()
        .map(String::as_str)
        .collect();
    let vectors = encoder.embed(&half, Prefix::Passage).unwrap();
    let (sha, dimension) = (&encoder.info().sha256, encoder.dimension());
    let centre = vec![0.0; dimension];
    let mut cache = EmbeddingCache::open(&data, dimension, sha, Storage::Int8, &centre);
    let records: Vec<Record> = half
        .iter()
        .zip(vectors)
        .map(|(text, vector)| {
            let stored = quantize_row(&vector, &centre, Storage::Int8);
            Record::Passage(passage_key(text), stored)
        })
        .collect();
    cache.append(records).unwrap();

    assert!(library.embed_pending().unwrap());
    let distinct_rest: std::collections::HashSet<&String> = texts[texts.len() / 2..]
        .iter()
        .filter(|t| !texts[..texts.len() / 2].contains(t))
        .collect();
    assert_eq!(
        library.snapshot().catalog.embedded_passages,
        distinct_rest.len()
    );
    // The generation now holds every vector: the cache is gone, one copy stays on disk.
    assert!(!data
        .join(coverage_bot::semantic::cache::CACHE_FILE)
        .exists());
}

#[test]
fn ask_json_is_byte_identical_across_thread_counts_and_processes() {
    use crate::support::fixtures::bin_in;
    let root = tempfile::tempdir().unwrap();
    copy_repo_corpus(&root.path().join("corpus"));
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let question = &english_questions()[0].question;
    let ask = |threads: &str| {
        let out = bin_in(repo)
            .arg("--corpus")
            .arg(root.path().join("corpus"))
            .arg("--data")
            .arg(root.path().join("data"))
            .args(["ask", "--json", question])
            .env("RAYON_NUM_THREADS", threads)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    };
    let first = ask("2");
    assert!(String::from_utf8_lossy(&first).contains("\"hits\""));
    assert_eq!(ask("1"), first, "one thread");
    assert_eq!(ask("2"), first, "another process");
}

/// What a hit says, without its score (re-reading from stored int8 sentence vectors moves the
/// fused scores by rounding, not the answers).
fn answer_of(library: &Library, question: &str) -> Vec<(String, usize, String)> {
    let result = library.search(question, 3).unwrap();
    result
        .hits()
        .iter()
        .map(|h| (h.source.clone(), h.paragraph, h.quote.clone()))
        .collect()
}

#[test]
fn sentence_vectors_stored_at_index_time_give_the_same_answers_without_forward_passes() {
    use coverage_bot::config::SentenceVectors;
    let root = tempfile::tempdir().unwrap();
    let corpus = root.path().join("corpus");
    copy_repo_corpus(&corpus);
    let at_question_time = Library::open(semantic_config(&corpus, &root.path().join("query")))
        .unwrap()
        .0;
    let mut config = semantic_config(&corpus, &root.path().join("index"));
    config.semantic.sentence_vectors = SentenceVectors::Index;
    let at_index_time = Library::open(config).unwrap().0;
    assert!(at_index_time.snapshot().sentences.is_some());
    assert!(!at_index_time.embeddings_pending());
    let runs = |library: &Library| library.encoder().unwrap().runs();
    let root_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut reread = 0;
    for q in read_questions(&root_dir.join("tests/eval/questions.jsonl")).unwrap() {
        let before = runs(&at_question_time);
        let expected = answer_of(&at_question_time, &q.question);
        reread += usize::from(runs(&at_question_time) - before > 1);
        let before = runs(&at_index_time);
        let answer = answer_of(&at_index_time, &q.question);
        assert!(
            runs(&at_index_time) - before <= 1,
            "{:?} ran the model for more than the question",
            q.question
        );
        assert_eq!(answer, expected, "{:?}", q.question);
    }
    // The comparison covered answers that re-read passages.
    assert!(reread >= 10, "only {reread} questions re-read passages");

    // A data folder built without them gets them on the next embedding pass, with its passage
    // vectors unchanged.
    drop(at_question_time);
    let vectors_of = |library: &Library| library.snapshot().vectors.clone().unwrap();
    let mut switched = semantic_config(&corpus, &root.path().join("query"));
    switched.semantic.sentence_vectors = SentenceVectors::Index;
    let (library, _) = Library::open(switched).unwrap();
    let before = vectors_of(&library);
    assert!(library.embeddings_pending());
    assert!(library.status().semantic.active(), "semantic meanwhile");
    assert!(library.embed_pending().unwrap());
    assert!(!library.embeddings_pending());
    assert!(library.snapshot().sentences.is_some());
    assert_eq!(vectors_of(&library), before);
}

#[test]
fn compact_storage_takes_under_400_bytes_a_passage_and_answers_without_forward_passes() {
    use coverage_bot::config::SentenceVectors;
    use coverage_bot::semantic::vectors::Storage;
    let root = tempfile::tempdir().unwrap();
    let corpus = root.path().join("corpus");
    copy_repo_corpus(&corpus);
    let mut config = semantic_config(&corpus, &root.path().join("data"));
    config.semantic.sentence_vectors = SentenceVectors::Compact;
    let (library, _) = Library::open(config).unwrap();
    let snapshot = library.snapshot();
    assert!(!library.embeddings_pending());
    assert_eq!(
        snapshot.vectors.as_ref().map(|v| v.storage()),
        Some(Storage::Compact)
    );
    assert!(snapshot.sentences.as_ref().is_some_and(|s| !s.is_empty()));
    // On disk: the two files, less their fixed headers (and the centre), per passage.
    let size = |name: &str| std::fs::metadata(snapshot.dir.join(name)).unwrap().len() as usize;
    let fixed = 2 * 120 + 4 * 384;
    let per_passage =
        (size("vectors.bin") + size("sentences.bin") - fixed) / snapshot.catalog.passages;
    assert!(per_passage <= 400, "{per_passage} bytes a passage");
    let runs = |library: &Library| library.encoder().unwrap().runs();
    for q in english_questions() {
        let before = runs(&library);
        let result = library.search(&q.question, 3).unwrap();
        assert!(runs(&library) - before <= 1, "{:?}", q.question);
        let first = result.hits().first().map(|h| h.source.clone());
        assert!(
            first.is_some_and(|s| q.sources.contains(&s)),
            "{:?}",
            q.question
        );
    }

    // Deterministic: the same answer every time, after a rebuild, and when another data folder
    // computes the vectors again (the centre and the rounding depend on the model alone).
    let first = assert_deterministic(&library);
    let mut elsewhere = semantic_config(&corpus, &root.path().join("elsewhere"));
    elsewhere.semantic.sentence_vectors = SentenceVectors::Compact;
    let (computed_again, _) = Library::open(elsewhere).unwrap();
    assert_eq!(
        first_answer_json(&computed_again),
        first,
        "another data folder"
    );
    drop(computed_again);

    // Back to the default (int8, sentences read at question time): the vectors are recomputed
    // on the next embedding pass, and the compact sentence vectors leave the generation.
    drop((snapshot, library));
    let (library, _) = Library::open(semantic_config(&corpus, &root.path().join("data"))).unwrap();
    assert!(library.embeddings_pending());
    assert!(library.embed_pending().unwrap());
    let snapshot = library.snapshot();
    assert_eq!(
        snapshot.vectors.as_ref().map(|v| v.storage()),
        Some(Storage::Int8)
    );
    assert!(!snapshot.dir.join("sentences.bin").exists());
}

#[test]
fn vectors_of_an_earlier_version_are_computed_again_and_the_index_is_kept() {
    let root = tempfile::tempdir().unwrap();
    let library = seed_library(root.path());
    let generation = library.snapshot().dir.clone();
    drop(library);
    // An earlier version's file: another layout under its own magic.
    let path = generation.join(coverage_bot::semantic::vectors::VECTORS_FILE);
    let mut bytes = std::fs::read(&path).unwrap();
    bytes[..8].copy_from_slice(b"CBVEC01\0");
    std::fs::write(&path, bytes).unwrap();
    let config = semantic_config(&root.path().join("corpus"), &root.path().join("data"));
    let (library, outcome) = Library::open(config).unwrap();
    assert_eq!(
        outcome,
        coverage_bot::OpenOutcome::Opened,
        "the index was kept"
    );
    assert_eq!(library.snapshot().dir, generation);
    assert!(!library.semantic_active());
    assert!(library.embeddings_pending());
    assert!(library.embed_pending().unwrap());
    assert!(library.semantic_active());
    assert_eq!(library.snapshot().dir, generation);
}
