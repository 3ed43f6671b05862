//! Filters (`outlet`, `after`, `before`, `source`): applied inside the search, lexical and
//! semantic, from the library, the command line and Discord.

use std::collections::BTreeSet;

use coverage_bot::error::CoreError;
use coverage_bot::filter::{Filter, ScopeCount};
use coverage_bot::search::{Abstention, SearchResult};
use coverage_bot::Library;
use fake_discord::TEST_USER_ID;
use serde_json::json;

use crate::support::fixtures::{run_cli, TempCorpus};
use crate::support::harness::{
    assert_all_messages_ok, is_ephemeral, semantic_config, text_of, Harness,
};

const QUESTION: &str = "budget des écoles";

/// Nine articles from two outlets, one undated. "La Gazette" and the undated article repeat the
/// question's words, so without a filter they outrank "Le Courrier".
fn filter_corpus() -> TempCorpus {
    let mut files: Vec<(String, String)> = Vec::new();
    for month in 1..=4 {
        files.push((
            format!("courrier-{month}.md"),
            format!(
                "---\ntitle: Conseil {month}\noutlet: Le Courrier\ndate: 2024-0{month}-10\n---\n\n\
                 Le conseil municipal a voté le budget des écoles pour le trimestre {month}.\n\n\
                 La piscine rouvrira après des travaux d'étanchéité.\n"
            ),
        ));
        files.push((
            format!("gazette-{month}.md"),
            format!(
                "---\ntitle: Écoles {month}\noutlet: La Gazette\ndate: 2024-0{month}-20T08:00:00+01:00\n---\n\n\
                 Budget des écoles : le budget des écoles augmente, et le budget des écoles \
                 numériques aussi, de {month} pour cent.\n"
            ),
        ));
    }
    files.push((
        "sans-date.md".into(),
        "---\ntitle: Sans date\noutlet: le courrier\n---\n\n\
         Budget des écoles, budget des écoles : le budget des écoles reste un débat.\n"
            .into(),
    ));
    let borrowed: Vec<(&str, &str)> = files
        .iter()
        .map(|(n, t)| (n.as_str(), t.as_str()))
        .collect();
    TempCorpus::with_files(&borrowed)
}

fn filter(outlet: Option<&str>, after: Option<&str>, before: Option<&str>) -> Filter {
    Filter::parse(outlet, after, before, None).expect("valid filter")
}

fn sources(result: &SearchResult) -> BTreeSet<String> {
    result.hits().iter().map(|h| h.source.clone()).collect()
}

fn names(list: &[&str]) -> BTreeSet<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// The checks every mode must pass: hits only from kept articles, and as many as asked when the
/// kept articles have them.
fn assert_filters_apply_inside_the_search(library: &Library, question: &str) {
    let unfiltered = library.search(question, 3).unwrap();
    assert!(
        sources(&unfiltered)
            .iter()
            .any(|s| s.starts_with("gazette")),
        "without a filter La Gazette ranks: {:?}",
        sources(&unfiltered)
    );
    assert_eq!(unfiltered.scope, None);

    // One outlet, whatever the case and accents: three hits, all from it.
    let courrier = library
        .search_filtered(question, 3, &filter(Some("LE COURRIER"), None, None))
        .unwrap();
    assert_eq!(courrier.hits().len(), 3, "{:?}", sources(&courrier));
    assert!(
        sources(&courrier)
            .iter()
            .all(|s| s.starts_with("courrier") || s == "sans-date.md"),
        "{:?}",
        sources(&courrier)
    );
    assert_eq!(courrier.scope, Some(ScopeCount { kept: 5, total: 9 }));

    // A period: inclusive days; the undated article never matches.
    let february_march = library
        .search_filtered(
            question,
            5,
            &filter(None, Some("2024-02-10"), Some("2024-03-20")),
        )
        .unwrap();
    assert_eq!(
        sources(&february_march),
        names(&[
            "courrier-2.md",
            "courrier-3.md",
            "gazette-2.md",
            "gazette-3.md"
        ])
    );
    let from_march = library
        .search_filtered(
            question,
            10,
            &filter(Some("le courrier"), Some("2024-03-01"), None),
        )
        .unwrap();
    assert_eq!(
        sources(&from_march),
        names(&["courrier-3.md", "courrier-4.md"])
    );
    assert_eq!(from_march.scope, Some(ScopeCount { kept: 2, total: 9 }));

    // One article, named as `/source` accepts it (here without its extension).
    let one = Filter::parse(None, None, None, Some("gazette-2")).unwrap();
    let result = library.search_filtered(question, 3, &one).unwrap();
    assert_eq!(sources(&result), names(&["gazette-2.md"]));
    let unknown = Filter::parse(None, None, None, Some("nowhere")).unwrap();
    assert!(matches!(
        library.search_filtered(question, 3, &unknown),
        Err(CoreError::UnknownSource { .. })
    ));

    // A filter that keeps nothing says so.
    let none = library
        .search_filtered(question, 3, &filter(Some("Le Figaro"), None, None))
        .unwrap();
    assert_eq!(none.abstention(), Some(Abstention::OutOfScope));
    assert_eq!(none.scope, Some(ScopeCount { kept: 0, total: 9 }));
}

#[test]
fn lexical_filters_apply_inside_the_search() {
    let corpus = filter_corpus();
    let library = corpus.open();
    assert_filters_apply_inside_the_search(&library, QUESTION);
}

#[test]
fn semantic_filters_scan_only_the_kept_articles_rows() {
    let corpus = filter_corpus();
    let (library, _) = Library::open(semantic_config(&corpus.corpus(), &corpus.data())).unwrap();
    assert!(library.semantic_active(), "the installed model is used");
    assert_filters_apply_inside_the_search(&library, QUESTION);
    // An English question shares no word with the corpus: its candidates are dense ones, and
    // they too come from the kept articles only.
    let english = library
        .search_filtered(
            "When will the swimming pool reopen?",
            3,
            &filter(None, Some("2024-04-01"), None),
        )
        .unwrap();
    assert!(
        sources(&english).is_subset(&names(&["courrier-4.md", "gazette-4.md"])),
        "{:?}",
        sources(&english)
    );
    assert_eq!(english.hits()[0].source, "courrier-4.md");
}

#[test]
fn the_command_line_filters_and_refuses_bad_dates_before_opening_the_index() {
    let corpus = filter_corpus();
    let cwd = tempfile::tempdir().unwrap();
    let output = run_cli(
        cwd.path(),
        &corpus.corpus(),
        &corpus.data(),
        &[
            "ask",
            "--json",
            "--outlet",
            "la gazette",
            "--top",
            "5",
            QUESTION,
        ],
    );
    assert!(output.status.success(), "{output:?}");
    let json: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(json["scope"], json!({"kept": 4, "total": 9}));
    let hits = json["hits"].as_array().unwrap();
    assert_eq!(hits.len(), 4);
    assert!(hits
        .iter()
        .all(|h| h["source"].as_str().unwrap().starts_with("gazette")));

    let text = run_cli(
        cwd.path(),
        &corpus.corpus(),
        &corpus.data(),
        &["ask", "--source", "courrier-1.md", QUESTION],
    );
    let stdout = String::from_utf8_lossy(&text.stdout);
    assert!(stdout.contains("searched 1 of 9 articles"), "{stdout}");
    assert!(stdout.contains("courrier-1.md ¶1"), "{stdout}");

    let fresh = tempfile::tempdir().unwrap();
    let data = fresh.path().join("data");
    for dates in [["--after", "2024-02-30"], ["--before", "10/03/2024"]] {
        let refused = run_cli(
            cwd.path(),
            &corpus.corpus(),
            &data,
            &["ask", dates[0], dates[1], QUESTION],
        );
        assert_eq!(refused.status.code(), Some(2), "{refused:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains("YYYY-MM-DD"), "{stderr}");
        assert!(!data.exists(), "refused before the index was opened");
    }
    let empty = run_cli(
        cwd.path(),
        &corpus.corpus(),
        &data,
        &[
            "ask",
            "--after",
            "2024-05-01",
            "--before",
            "2024-04-01",
            QUESTION,
        ],
    );
    assert_eq!(empty.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&empty.stderr).contains("period is empty"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ask_filters_through_discord_with_outlet_autocomplete_and_refusals() {
    let corpus = filter_corpus();
    let dir = corpus.corpus();
    let h = Harness::start_with(move |config| config.corpus.dir = dir).await;
    let d = &h.discord;

    // Outlets are offered with their article counts; spellings that differ only by case count
    // as one outlet.
    let (id, _, payload) = d.autocomplete(
        "ask",
        json!([
            {"name": "question", "type": 3, "value": QUESTION},
            {"name": "outlet", "type": 3, "value": "cour", "focused": true}
        ]),
        TEST_USER_ID,
        "en-US",
    );
    let response = h.interact(payload, id).await;
    let choices = response.body["data"]["choices"].as_array().unwrap().clone();
    assert_eq!(choices.len(), 1, "{choices:?}");
    assert_eq!(choices[0]["value"], "Le Courrier");
    assert_eq!(choices[0]["name"], "Le Courrier (5)");

    let (id, _, payload) = d
        .ask(QUESTION)
        .results(3)
        .text("outlet", "La Gazette")
        .text("before", "2024-03-31")
        .locale("en-US")
        .build();
    let body = h.reply_body(payload, id).await;
    let text = text_of(&body);
    assert!(text.contains("searched 3 of 9 articles"), "{text}");
    for month in 1..=3 {
        assert!(text.contains(&format!("gazette-{month}.md")), "{text}");
    }
    assert!(
        !text.contains("courrier") && !text.contains("sans-date"),
        "{text}"
    );

    let (id, _, payload) = d
        .ask(QUESTION)
        .text("after", "mars 2024")
        .locale("fr")
        .build();
    let body = h.reply_body(payload, id).await;
    assert!(is_ephemeral(&body));
    let text = text_of(&body);
    assert!(
        text.contains("AAAA-MM-JJ") && text.contains("mars 2024"),
        "{text}"
    );

    let (id, _, payload) = d
        .ask(QUESTION)
        .text("outlet", "Le Figaro")
        .locale("en-US")
        .build();
    let text = text_of(&h.reply_body(payload, id).await);
    assert!(text.contains("No article matches this filter"), "{text}");
    assert!(text.contains("searched 0 of 9 articles"), "{text}");

    assert_all_messages_ok(d);
    h.stop().await;
}
