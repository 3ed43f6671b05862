//! The command line as a user runs it: the built binary, exit codes, text and JSON output.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::fixtures::bin_in;

struct Cli {
    data: tempfile::TempDir,
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_path_buf()
}

impl Cli {
    fn new() -> Cli {
        Cli {
            data: tempfile::tempdir().unwrap(),
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        bin_in(&repo())
            .arg("--data")
            .arg(self.data.path())
            .args(args)
            .output()
            .expect("binary runs")
    }
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).to_string()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).to_string()
}

#[test]
fn ask_prints_quotes_with_citations() {
    let cli = Cli::new();
    let out = cli.run(&[
        "ask",
        "Pourquoi Microsoft a-t-il suspendu des services Azure ?",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("000_b19292d0fd3caf05.txt ¶") || text.contains("001_12ca703743a789d0.txt ¶"),
        "{text}"
    );
    assert!(text.contains("« "), "{text}");
}

#[test]
fn ask_json_quotes_are_verbatim_byte_ranges_of_the_file() {
    let cli = Cli::new();
    let out = cli.run(&[
        "ask",
        "--json",
        "--top",
        "3",
        "Qui a critiqué Microsoft pour avoir coopéré avec le gouvernement britannique ?",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["abstained"], false);
    assert!(json["query"].is_string());
    let hits = json["hits"].as_array().unwrap();
    assert!(!hits.is_empty() && hits.len() <= 3);
    for hit in hits {
        for key in [
            "source",
            "title",
            "paragraph",
            "quote",
            "passage",
            "score",
            "hash",
            "byte_start",
            "byte_end",
        ] {
            assert!(!hit[key].is_null(), "{key} missing");
        }
        let file =
            std::fs::read(repo().join("corpus").join(hit["source"].as_str().unwrap())).unwrap();
        let range = |a: &str, b: &str| {
            let (s, e) = (
                hit[a].as_u64().unwrap() as usize,
                hit[b].as_u64().unwrap() as usize,
            );
            String::from_utf8(file[s..e].to_vec()).unwrap()
        };
        assert_eq!(
            range("byte_start", "byte_end"),
            hit["passage"].as_str().unwrap()
        );
        assert_eq!(
            range("quote_start", "quote_end"),
            hit["quote"].as_str().unwrap()
        );
        assert!(hit["quote"].as_str().unwrap().chars().count() <= 500);
    }
    assert_eq!(hits[0]["source"], "004_86712a85089916e0.txt");
}

#[test]
fn questions_the_corpus_cannot_answer_exit_1_with_nearest_titles() {
    let cli = Cli::new();
    let out = cli.run(&["ask", "Recette de la tarte tatin"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("No passage"), "{}", stdout(&out));
    let out = cli.run(&["ask", "--json", ""]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["abstained"], true);
    assert_eq!(json["hits"].as_array().unwrap().len(), 0);
}

#[test]
fn source_shows_an_article_or_one_paragraph_and_refuses_other_names() {
    let cli = Cli::new();
    let out = cli.run(&["source", "004_86712a85089916e0.txt", "--paragraph", "5"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("¶5"));
    let out = cli.run(&["source", "004_86712a85089916e0.txt", "--json"]);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(
        json["paragraphs"].as_array().unwrap().len(),
        json["article"]["paragraphs"].as_u64().unwrap() as usize
    );

    let out = cli.run(&["source", "004_86712a85089916e0.txt", "--paragraph", "999"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("there is no paragraph 999"),
        "{}",
        stderr(&out)
    );
    for hostile in ["../.env", "/etc/passwd", "corpus/../Cargo.toml", "00"] {
        let out = cli.run(&["source", hostile]);
        assert_eq!(out.status.code(), Some(1), "{hostile}");
        assert!(
            stderr(&out).contains("closest names"),
            "{hostile}: {}",
            stderr(&out)
        );
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn sources_index_and_eval_work() {
    let cli = Cli::new();
    let out = cli.run(&["sources"]);
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(
        stdout(&out).lines().filter(|l| l.contains(".txt")).count(),
        5
    );
    let out = cli.run(&["index", "--rebuild"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("5 articles"), "{}", stdout(&out));
    let out = cli.run(&["eval", "tests/eval/questions.jsonl"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(stdout(&out).contains("quote@1"));
}

#[test]
fn usage_and_config_errors_exit_2_with_a_message() {
    let cli = Cli::new();
    let out = cli.run(&["--config", "does/not/exist.toml", "sources"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("does/not/exist.toml"));
    let bad = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(bad.path(), "language = \"klingon\"\n").unwrap();
    let out = cli.run(&["--config", bad.path().to_str().unwrap(), "sources"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown language"),
        "{}",
        stderr(&out)
    );
    let out = cli.run(&["--corpus", "/nonexistent/corpus", "sources"]);
    assert_eq!(out.status.code(), Some(2));
    let out = cli.run(&["ask"]);
    assert_eq!(out.status.code(), Some(2));
    let out = cli.run(&["ask", "--top", "0", "x"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn every_command_has_help() {
    let cli = Cli::new();
    for command in ["ask", "source", "sources", "index", "eval", "serve"] {
        let out = cli.run(&[command, "--help"]);
        assert_eq!(out.status.code(), Some(0), "{command}");
        assert!(stdout(&out).contains("Usage"), "{command}");
    }
    // Only user commands: the benchmarks are `coverage-bench` (crates/bench).
    let help = stdout(&cli.run(&["--help"]));
    for command in ["gen-corpus", "bench"] {
        assert!(!help.contains(command), "{command} in --help:\n{help}");
    }
}
