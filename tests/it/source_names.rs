//! Source names: traversal (`../`, `..\`, `%2e%2e/`, absolute paths, NUL, Unicode lookalikes,
//! very long names) and symlinks inside the corpus pointing outside. A canary file sits beside the
//! corpus; its content must never appear in any output: `Library::source`, suggestions, search
//! results, the CLI, or the bot's replies and attachments.

use crate::support::fixtures::{canary_article, has_canary, run_cli, TempCorpus, CANARY};
use crate::support::harness::{assert_all_messages_ok, Harness};
use coverage_bot::corpus::SkipReason;
use coverage_bot::CoreError;
use fake_discord::{DEFAULT_MEMBER_PERMISSIONS, TEST_USER_ID};
use serde_json::json;

/// A temporary corpus with the canary beside it and symlinks that try to reach it.
fn hostile_corpus() -> TempCorpus {
    let t = TempCorpus::new();
    let corpus = t.corpus();
    #[cfg(unix)]
    {
        use std::os::unix::fs::symlink;
        // A file symlink and a folder symlink pointing outside, a relative and an absolute one.
        symlink("../secret.txt", corpus.join("leak.txt")).unwrap();
        symlink(t.canary_path(), corpus.join("leak-absolute.md")).unwrap();
        symlink("..", corpus.join("parent")).unwrap();
        std::fs::create_dir_all(corpus.join("sub")).unwrap();
        symlink("../../secret.txt", corpus.join("sub/deep.txt")).unwrap();
        // A symlink that stays inside is fine.
        symlink("004_86712a85089916e0.txt", corpus.join("alias.txt")).unwrap();
    }
    t
}

fn hostile_names(t: &TempCorpus) -> Vec<String> {
    let canary = t.canary_path().to_string_lossy().to_string();
    let mut names: Vec<String> = [
        "../secret.txt",
        "..\\secret.txt",
        "..%2fsecret.txt",
        "%2e%2e/secret.txt",
        "%2e%2e%2fsecret.txt",
        "%252e%252e%252fsecret.txt",
        "..%c0%afsecret.txt",
        "./../secret.txt",
        "sub/../../secret.txt",
        "corpus/../secret.txt",
        "parent/secret.txt",
        "parent/corpus/../secret.txt",
        "leak.txt",
        "leak",
        "leak-absolute.md",
        "sub/deep.txt",
        "secret.txt",
        "secret",
        "/etc/passwd",
        "/proc/self/environ",
        "~/secret.txt",
        "file:///etc/passwd",
        "\\\\server\\share\\secret.txt",
        "C:\\secret.txt",
        "../secret.txt\0",
        "secret.txt\0.txt",
        "\0",
        "．．／secret.txt",
        "．．/secret.txt",
        "‥/secret.txt",
        "..∕secret.txt",
        "..⁄secret.txt",
        "..／secret.txt",
        "\u{202E}txt.terces/..",
        "..\u{200B}/secret.txt",
        "",
        " ",
        ".",
        "..",
        "/",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    names.push(canary.clone());
    names.push(format!("{canary}\0"));
    names.push("../".repeat(2000) + "etc/passwd");
    names.push("a".repeat(100_000));
    names.push(format!("{}secret.txt", "../".repeat(50)));
    names
}

#[test]
fn traversal_names_and_outside_symlinks_never_read_outside_the_corpus() {
    let t = hostile_corpus();
    let library = t.open();
    let status = library.status();
    assert_eq!(
        status.articles, 5,
        "five articles; the inside alias is skipped as an alias"
    );
    #[cfg(unix)]
    for name in ["leak.txt", "leak-absolute.md", "parent", "sub/deep.txt"] {
        assert!(
            status
                .skipped
                .iter()
                .any(|s| s.file == name && s.reason == SkipReason::OutsideCorpus),
            "{name} not reported as outside: {:?}",
            status.skipped
        );
    }
    assert!(library.sources().iter().all(|a| !has_canary(&a.title)));

    let mut refused = 0;
    for name in hostile_names(&t) {
        for paragraph in [None, Some(1)] {
            match library.source(&name, paragraph) {
                Ok(view) => {
                    // Only a corpus article can come back (e.g. a fuzzy name), never the canary.
                    assert!(!has_canary(&view.text), "{name:?} read the canary");
                    assert!(library
                        .sources()
                        .iter()
                        .any(|a| a.file == view.article.file));
                }
                Err(CoreError::UnknownSource {
                    requested,
                    suggestions,
                }) => {
                    assert!(requested.chars().count() <= 81, "echo is capped");
                    assert!(suggestions.len() <= 3);
                    refused += 1;
                }
                Err(other) => panic!("{name:?}: unexpected error {other}"),
            }
        }
        for suggestion in library.suggest(&name, 25) {
            assert!(!has_canary(&suggestion.title));
        }
    }
    assert!(refused >= 80, "{refused} refusals");

    // Searching for the canary's own words finds nothing of it.
    for question in [
        CANARY,
        "trésor zorblax",
        "Le secret du canari",
        &canary_article(),
    ] {
        let result = library.search(question, 10).unwrap();
        for hit in result.hits() {
            assert!(!has_canary(&hit.passage) && !has_canary(&hit.title));
        }
        for coverage_bot::search::Nearest { title, .. } in result.nearest() {
            assert!(!has_canary(title));
        }
        assert!(!has_canary(&coverage_bot::render::answer_text(
            &result, false
        )));
    }
}

#[cfg(unix)]
#[test]
fn a_symlink_swapped_after_indexing_is_refused() {
    let t = TempCorpus::new();
    let library = t.open();
    // After indexing, an article is replaced by a symlink to the canary.
    let victim = t.corpus().join("004_86712a85089916e0.txt");
    std::fs::remove_file(&victim).unwrap();
    std::os::unix::fs::symlink(t.canary_path(), &victim).unwrap();
    let outcome = library.source("004_86712a85089916e0.txt", None);
    match outcome {
        Ok(view) => panic!("read through a swapped symlink: {}", view.text.len()),
        Err(e) => assert!(!has_canary(&e.to_string())),
    }
}

#[test]
fn the_cli_never_prints_the_canary() {
    let t = hostile_corpus();
    let cwd = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        let out = run_cli(cwd.path(), &t.corpus(), &t.data(), args);
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(!has_canary(&text), "{args:?} printed the canary: {text}");
        (out.status.code(), text)
    };
    let (code, text) = run(&["index"]);
    assert_eq!(code, Some(0), "{text}");
    let (_, text) = run(&["sources"]);
    assert!(
        text.contains("leak.txt"),
        "skipped files are listed: {text}"
    );
    run(&["sources", "--json"]);
    run(&["ask", CANARY]);
    run(&["ask", "--json", "trésor zorblax canari"]);
    let canary_path = t.canary_path().to_string_lossy().to_string();
    for name in [
        "../secret.txt",
        "..\\secret.txt",
        "%2e%2e/secret.txt",
        "leak.txt",
        "sub/deep.txt",
        "parent/secret.txt",
        "．．／secret.txt",
        canary_path.as_str(),
        "/etc/passwd",
    ] {
        let (code, _) = run(&["source", name]);
        assert_eq!(code, Some(1), "{name} must be refused");
        run(&["source", "--json", name, "--paragraph", "1"]);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_never_sends_the_canary() {
    let t = hostile_corpus();
    let corpus = t.corpus();
    let h = Harness::start_with(|c| c.corpus.dir = corpus).await;
    let d = &h.discord;
    let names = hostile_names(&t);
    for name in names.iter().filter(|n| n.chars().count() <= 300) {
        let (id, _, payload) = d.slash_command(
            "source",
            json!([{"name": "file", "type": 3, "value": name}]),
            TEST_USER_ID,
            "en-US",
            DEFAULT_MEMBER_PERMISSIONS,
        );
        let response = h.interact(payload, id).await;
        assert!(response.is_success(), "{name:?}: {}", response.status);
        let (id, _, payload) = d.autocomplete(
            "source",
            json!([{"name": "file", "type": 3, "value": name, "focused": true}]),
            TEST_USER_ID,
            "fr",
        );
        h.interact(payload, id).await;
    }
    for question in [CANARY, "trésor zorblax du canari"] {
        let (id, _, payload) = d.ask(question).locale("fr").build();
        h.interact(payload, id).await;
    }
    for command in ["sources", "status"] {
        let (id, _, payload) = d.slash_command(
            command,
            json!([]),
            TEST_USER_ID,
            "en-US",
            DEFAULT_MEMBER_PERMISSIONS,
        );
        h.interact(payload, id).await;
    }
    let requests = d.requests();
    for request in &requests {
        assert!(
            !has_canary(&request.body.to_string()),
            "{} {} sent the canary",
            request.method,
            request.path
        );
        for (file, bytes) in &request.files {
            assert!(
                !has_canary(&String::from_utf8_lossy(bytes)),
                "attachment {file} holds the canary"
            );
        }
    }
    assert!(assert_all_messages_ok(d) >= 40);
    h.stop().await;
}
