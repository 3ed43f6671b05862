//! Data safety and degraded operation: nothing outside our own generations is ever deleted, the
//! data folder and the corpus never hold each other, killed builds do not pile up, a rebuild
//! that cannot happen leaves the last good index serving (CLI and bot, on a read-only data folder
//! as an unprivileged user), concurrent processes never fail or rebuild for each other, bit rot is
//! found and repaired, edited files are never quoted from stale bytes, settings are range-checked,
//! and every printed citation checks out with `source`.

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::fixtures::{
    bin_in, cli_command, copy_repo_corpus, run_cli, write_synthetic_corpus, TempCorpus,
};
use crate::support::unprivileged;
use coverage_bot::{CoreError, Library, OpenOutcome};
use fake_discord::{FakeDiscord, GUILD_ID};

const QUESTION: &str = "Pourquoi Microsoft a-t-il suspendu des services Azure ?";

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Generation folders in an index folder.
fn generations(index: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = std::fs::read_dir(index)
        .map(|read| {
            read.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("gen-"))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort();
    found
}

/// Every file under `dir`, with its content, for before/after comparisons.
fn snapshot_tree(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(folder) = stack.pop() {
        for entry in std::fs::read_dir(&folder).unwrap().flatten() {
            let path = entry.path();
            if entry.file_type().unwrap().is_dir() {
                stack.push(path);
            } else {
                out.push((path.clone(), std::fs::read(&path).unwrap()));
            }
        }
    }
    out.sort();
    out
}

// ---------------------------------------------------------------------------------------------
// Running as an unprivileged user. CI runs as root, which ignores permission bits; the binary is
// then run through `setpriv` as `nobody`. A test that cannot drop privileges fails.
// ---------------------------------------------------------------------------------------------

/// A folder `nobody` can traverse and read, holding a copy of the binary, a corpus and an index
/// folder that `nobody` cannot write (owned by root with mode 0755, or made read-only).
struct Unprivileged {
    root: tempfile::TempDir,
    program: PathBuf,
}

impl Unprivileged {
    fn new() -> Unprivileged {
        let root = tempfile::tempdir().unwrap();
        std::fs::set_permissions(root.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        copy_repo_corpus(&root.path().join("corpus"));
        let program = unprivileged::program_in(root.path());
        Unprivileged { root, program }
    }
    fn corpus(&self) -> PathBuf {
        self.root.path().join("corpus")
    }
    fn data(&self) -> PathBuf {
        self.root.path().join("data")
    }
    /// Builds the index, then changes the corpus (so the index is out of date) and makes the data
    /// folder read-only.
    fn stale_and_read_only(&self) {
        assert!(
            run_cli(self.root.path(), &self.corpus(), &self.data(), &["index"])
                .status
                .success()
        );
        std::fs::write(
            self.corpus().join("zz-nouveau.txt"),
            "Un nouvel article\n\nLe conseil municipal adopte le budget participatif zorglub.\n",
        )
        .unwrap();
        self.make_data_read_only();
    }

    /// Makes the whole data folder unwritable for the unprivileged user.
    fn make_data_read_only(&self) {
        let mut stack = vec![self.data()];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap().flatten() {
                if entry.file_type().unwrap().is_dir() {
                    stack.push(entry.path());
                } else {
                    std::fs::set_permissions(entry.path(), std::fs::Permissions::from_mode(0o444))
                        .unwrap();
                }
            }
            std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o555)).unwrap();
        }
    }
    /// A command running the copied binary as an unprivileged user.
    fn command(&self) -> Command {
        unprivileged::cli_command(
            &self.program,
            self.root.path(),
            &self.corpus(),
            &self.data(),
        )
    }
}

#[test]
fn the_unprivileged_user_really_cannot_write_the_data_folder() {
    let u = Unprivileged::new();
    assert!(run_cli(u.root.path(), &u.corpus(), &u.data(), &["index"])
        .status
        .success());
    u.make_data_read_only();
    let probe = unprivileged::command(Path::new("/usr/bin/touch"))
        .arg(u.data().join("probe"))
        .output()
        .expect("run touch unprivileged");
    assert!(
        !probe.status.success(),
        "the privilege drop did not work: the data folder is writable"
    );
}

// ---------------------------------------------------------------------------------------------
// 1. Never delete what the program did not create.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_data_folder_holding_the_corpus_is_refused_and_the_corpus_survives() {
    let root = tempfile::tempdir().unwrap();
    let corpus = root.path().join("gen-articles");
    copy_repo_corpus(&corpus);
    let before = snapshot_tree(&corpus);
    for data in [
        root.path().to_path_buf(),
        corpus.clone(),
        corpus.join("idx"),
    ] {
        let out = run_cli(root.path(), &corpus, &data, &["index"]);
        assert_eq!(out.status.code(), Some(2), "{data:?}: {}", stderr(&out));
        assert!(stderr(&out).contains("index.dir"), "{}", stderr(&out));
    }
    assert_eq!(snapshot_tree(&corpus), before, "the corpus changed");
}

#[test]
fn user_folders_named_like_generations_in_a_shared_data_folder_survive_rebuilds() {
    let t = TempCorpus::new();
    let index = t.data();
    std::fs::create_dir_all(&index).unwrap();
    // Folders a user keeps beside the index: one with a generation-like name, one with the exact
    // generation name pattern, one with a marker file of other content.
    let mine = [
        index.join("gen-articles"),
        index.join("gen-1-2-3"),
        index.join("gen-4-5-6"),
    ];
    for dir in &mine {
        std::fs::create_dir_all(dir).unwrap();
        std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    }
    std::fs::write(
        mine[2].join(".coverage-bot-generation"),
        "not the real marker",
    )
    .unwrap();
    for _ in 0..3 {
        let out = run_cli(t.root.path(), &t.corpus(), &index, &["index", "--rebuild"]);
        assert!(out.status.success(), "{}", stderr(&out));
    }
    for dir in &mine {
        assert_eq!(
            std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
            "mine",
            "{dir:?} was touched"
        );
    }
    // Exactly one generation of ours remains beside them.
    let ours: Vec<PathBuf> = generations(&index)
        .into_iter()
        .filter(|p| p.join(".coverage-bot-generation").exists() && !mine.contains(p))
        .collect();
    assert_eq!(ours.len(), 1, "{ours:?}");
}

/// Starts `index --rebuild` and kills it with SIGKILL after `delay`.
fn kill_a_build(t: &TempCorpus, delay: Duration) {
    let mut child = cli_command(t.root.path(), &t.corpus(), &t.data())
        .args(["index", "--rebuild"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(delay);
    let _ = child.kill();
    let _ = child.wait();
}

#[test]
fn builds_killed_at_any_moment_leave_a_working_index_and_no_leftovers() {
    let t = TempCorpus::new();
    write_synthetic_corpus(&t.corpus(), 3000);
    let out = run_cli(t.root.path(), &t.corpus(), &t.data(), &["index"]);
    assert!(out.status.success(), "{}", stderr(&out));
    let kills = 16;
    let mut survived = 0;
    for i in 0..kills {
        // Spread the kills over the whole build: listing, indexing, commit, catalog, switch.
        kill_a_build(&t, Duration::from_millis(40 + (i as u64 * 97) % 900));
        let out = run_cli(
            t.root.path(),
            &t.corpus(),
            &t.data(),
            &["ask", "synthmot17"],
        );
        assert!(out.status.success(), "after kill {i}: {}", stderr(&out));
        assert!(stdout(&out).contains("synth-00017.txt"));
        survived += 1;
        // The ask cleaned up after the killed build: one generation, the current one.
        assert_eq!(generations(&t.data()).len(), 1, "after kill {i}");
    }
    eprintln!("kills survived: {survived}/{kills}");
}

// ---------------------------------------------------------------------------------------------
// 2. Keep serving the index we have.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_rebuild_that_cannot_write_leaves_the_cli_answering_from_the_last_good_index() {
    let u = Unprivileged::new();
    u.stale_and_read_only();
    for args in [
        vec!["ask", QUESTION],
        vec!["sources"],
        vec!["source", "000_b19292d0fd3caf05.txt", "--paragraph", "1"],
    ] {
        let out = u.command().args(&args).output().unwrap();
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert_eq!(
            err.matches("out-of-date index").count(),
            1,
            "{args:?} must say once that the index is stale: {err}"
        );
        assert!(!stdout(&out).is_empty());
    }
    let out = u.command().args(["ask", QUESTION]).output().unwrap();
    assert!(stdout(&out).contains("Azure"), "{}", stdout(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_bot_starts_and_answers_on_a_read_only_data_folder() {
    let u = Unprivileged::new();
    u.stale_and_read_only();
    let d = FakeDiscord::start().await;
    let log = u.root.path().join("serve.log");
    let mut child = u
        .command()
        .arg("serve")
        .env("DISCORD_TOKEN", "fake-token-for-tests")
        .env("DISCORD_PROXY_URL", d.proxy_url())
        .env("DISCORD_GUILD_ID", GUILD_ID.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let ready = d.wait_ready(Duration::from_secs(60)).await;
    let registered = d
        .wait_commands_registered(Duration::from_secs(20))
        .await
        .is_some();
    let (id, _, payload) = d.ask(QUESTION).locale("en-US").build();
    d.send_interaction(payload).await;
    let response = d.wait_for_response(id, Duration::from_secs(15)).await;
    let _ = child.kill();
    let _ = child.wait();
    let log = std::fs::read_to_string(&log).unwrap_or_default();
    assert!(ready && registered, "the bot did not start: {log}");
    let response = response.expect("no answer");
    assert!(response.is_success(), "{log}");
    assert!(log.contains("out-of-date index"), "{log}");
}

#[test]
fn two_rebuilds_at_once_both_succeed() {
    let t = TempCorpus::new();
    write_synthetic_corpus(&t.corpus(), 600);
    assert!(run_cli(t.root.path(), &t.corpus(), &t.data(), &["index"])
        .status
        .success());
    for round in 0..6 {
        let spawn = || {
            cli_command(t.root.path(), &t.corpus(), &t.data())
                .args(["index", "--rebuild"])
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        };
        let (a, b) = (spawn(), spawn());
        for child in [a, b] {
            let out = child.wait_with_output().unwrap();
            assert!(out.status.success(), "round {round}: {}", stderr(&out));
        }
        assert_eq!(generations(&t.data()).len(), 1);
    }
}

#[test]
fn readers_never_rebuild_or_fail_while_another_process_rebuilds() {
    let t = TempCorpus::new();
    write_synthetic_corpus(&t.corpus(), 200);
    let writer = Arc::new(t.open());
    let stop = Arc::new(AtomicBool::new(false));
    let rebuilds = Arc::new(AtomicUsize::new(0));
    let writing = {
        let (writer, stop, rebuilds) = (writer.clone(), stop.clone(), rebuilds.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                writer.reindex(true).expect("rebuild");
                rebuilds.fetch_add(1, Ordering::Relaxed);
            }
        })
    };
    // Readers open the index the way each CLI call does, thousands of times, while generations
    // are created and removed underneath them.
    // Until enough of both have happened (a slow or busy machine takes longer, never fails for
    // it), within a cap that only a hang reaches.
    let started = Instant::now();
    let mut opens = 0;
    while (opens < 50 || rebuilds.load(Ordering::Relaxed) < 3)
        && started.elapsed() < Duration::from_secs(300)
    {
        let (reader, outcome) = Library::open(t.config()).expect("a reader must never fail");
        assert_eq!(outcome, OpenOutcome::Opened, "a reader rebuilt the index");
        let result = reader.search("synthmot42", 3).expect("search");
        assert_eq!(result.hits()[0].source, "synth-00042.txt");
        opens += 1;
    }
    stop.store(true, Ordering::Relaxed);
    writing.join().unwrap();
    let rebuilds = rebuilds.load(Ordering::Relaxed);
    eprintln!("{opens} reader opens during {rebuilds} rebuilds: none failed, none rebuilt");
    assert!(
        rebuilds >= 3 && opens >= 50,
        "{opens} opens, {rebuilds} rebuilds"
    );
}

// ---------------------------------------------------------------------------------------------
// Bit rot.
// ---------------------------------------------------------------------------------------------

fn current_generation(data: &Path) -> PathBuf {
    let name = std::fs::read_to_string(data.join("CURRENT")).unwrap();
    data.join(name.trim())
}

/// Segment files of the current generation with the given extension, largest first.
fn segment_files(generation: &Path, extension: &str) -> Vec<PathBuf> {
    let mut files: Vec<(u64, PathBuf)> = std::fs::read_dir(generation)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().and_then(|e| e.to_str()) == Some(extension))
        .map(|p| (std::fs::metadata(&p).unwrap().len(), p))
        .collect();
    files.sort_by_key(|f| std::cmp::Reverse(f.0));
    files.into_iter().map(|(_, p)| p).collect()
}

fn flip_bit(path: &Path, at: f64, bit: u8) {
    let mut bytes = std::fs::read(path).unwrap();
    let i = ((bytes.len() - 1) as f64 * at) as usize;
    bytes[i] ^= 1 << bit;
    std::fs::write(path, bytes).unwrap();
}

fn zero_block(path: &Path) {
    let mut bytes = std::fs::read(path).unwrap();
    let start = bytes.len() / 3;
    let end = (start + 4096).min(bytes.len());
    bytes[start..end].fill(0);
    std::fs::write(path, bytes).unwrap();
}

fn hits_of(library: &Library) -> Vec<(String, usize, String)> {
    library
        .search(QUESTION, 5)
        .unwrap()
        .into_hits()
        .into_iter()
        .map(|h| (h.source, h.paragraph, h.quote))
        .collect()
}

#[test]
fn every_bit_flip_in_a_segment_file_is_found_by_verify_and_repaired() {
    let t = TempCorpus::new();
    let expected = hits_of(&t.open());
    let (mut flips, mut detected) = (0, 0);
    for extension in ["idx", "term", "store", "fieldnorm", "pos", "fast"] {
        for (k, at) in [0.0, 0.37, 0.81, 1.0].into_iter().enumerate() {
            let generation = current_generation(&t.data().join("index"));
            let Some(file) = segment_files(&generation, extension).into_iter().next() else {
                panic!("no .{extension} file in {generation:?}");
            };
            flip_bit(&file, at, (k * 3 % 8) as u8);
            flips += 1;
            let out = run_cli(
                t.root.path(),
                &t.corpus(),
                &t.data().join("index"),
                &["index", "--verify"],
            );
            assert!(out.status.success(), "{}", stderr(&out));
            if stdout(&out).contains("damaged") {
                detected += 1;
            } else {
                panic!(".{extension} flip at {at} not detected: {}", stdout(&out));
            }
            assert_ne!(current_generation(&t.data().join("index")), generation);
            let (library, outcome) = Library::open(t.config()).unwrap();
            assert_eq!(outcome, OpenOutcome::Opened);
            assert_eq!(hits_of(&library), expected);
        }
    }
    eprintln!("bit flips detected: {detected}/{flips}");
}

#[test]
fn a_damaged_index_never_crashes_a_query_and_gets_rebuilt() {
    for extension in ["term", "idx", "store", "pos"] {
        let t = TempCorpus::new();
        let expected = hits_of(&t.open());
        let generation = current_generation(&t.data().join("index"));
        for file in segment_files(&generation, extension) {
            zero_block(&file);
        }
        // The CLI: an answer (after a repair) or exit 3, never a panic (101) or "not found" (1).
        let out = run_cli(
            t.root.path(),
            &t.corpus(),
            &t.data().join("index"),
            &["ask", QUESTION],
        );
        assert_eq!(out.status.code(), Some(0), ".{extension}: {}", stderr(&out));
        assert!(stdout(&out).contains("Azure"));
        // The library, as the bot uses it: damage again under an open library.
        let library = t.open();
        let generation = current_generation(&t.data().join("index"));
        for file in segment_files(&generation, extension) {
            zero_block(&file);
        }
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| hits_of(&library)));
        let hits = result.unwrap_or_else(|_| panic!(".{extension}: the search panicked"));
        assert!(!hits.is_empty());
        assert_eq!(hits_of(&t.open()), expected, ".{extension}");
    }
}

#[test]
fn an_unrepairable_damaged_index_exits_with_its_own_code() {
    let u = Unprivileged::new();
    assert!(run_cli(u.root.path(), &u.corpus(), &u.data(), &["index"])
        .status
        .success());
    let generation = current_generation(&u.data());
    std::fs::remove_file(generation.join("meta.json")).unwrap();
    u.make_data_read_only();
    let out = u.command().args(["ask", QUESTION]).output().unwrap();
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert!(stderr(&out).contains("damaged"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// Changed files.
// ---------------------------------------------------------------------------------------------

#[test]
fn a_same_size_edit_with_its_mtime_restored_is_never_quoted_from_old_bytes() {
    let t = TempCorpus::new();
    let library = t.open();
    let hit = library.search(QUESTION, 1).unwrap().into_hits().remove(0);
    let path = t.corpus().join(&hit.source);
    let modified = std::fs::metadata(&path).unwrap().modified().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    // Same length, different words, inside the quoted passage.
    let edited = text.replacen("Azure", "AZURX", usize::MAX);
    assert_eq!(edited.len(), text.len());
    assert_ne!(edited, text);
    std::fs::write(&path, &edited).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&path)
        .unwrap()
        .set_modified(modified)
        .unwrap();
    for library in [library, t.open()] {
        let result = library.search(QUESTION, 5).unwrap();
        for hit in result.hits() {
            let file = std::fs::read_to_string(t.corpus().join(&hit.source)).unwrap();
            assert_eq!(
                &file[hit.quote_span.start..hit.quote_span.end],
                hit.quote,
                "a quote that is not in the file"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Settings.
// ---------------------------------------------------------------------------------------------

#[test]
fn out_of_range_settings_and_misplaced_paths_exit_2_naming_the_key() {
    let t = TempCorpus::new();
    let cases = [
        (
            "[index]\nwriter_memory_mb = 100000\n",
            "index.writer_memory_mb",
        ),
        (
            "[index]\nwriter_memory_mb = 17592186044416\n",
            "index.writer_memory_mb",
        ),
        ("[index]\nwriter_memory_mb = 0\n", "index.writer_memory_mb"),
        (
            "[corpus]\nmax_file_bytes = 9223372036854775807\n",
            "corpus.max_file_bytes",
        ),
        ("[boilerplate]\nextra_patterns = [\"\"]\n", "boilerplate"),
        ("[boilerplate]\nextra_patterns = [\"x*\"]\n", "boilerplate"),
    ];
    for (toml, key) in cases {
        let config = t.root.path().join("bad.toml");
        std::fs::write(&config, toml).unwrap();
        let out = cli_command(t.root.path(), &t.corpus(), &t.data())
            .arg("--config")
            .arg(&config)
            .args(["ask", QUESTION])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{toml}: {}", stderr(&out));
        assert!(stderr(&out).contains(key), "{toml}: {}", stderr(&out));
    }
    let file = t.root.path().join("a-file.txt");
    std::fs::write(&file, "x").unwrap();
    let out = run_cli(t.root.path(), &file, &t.data(), &["ask", QUESTION]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("is a file"), "{}", stderr(&out));
    let out = run_cli(t.root.path(), &t.corpus(), &file, &["ask", QUESTION]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(stderr(&out).contains("index.dir"), "{}", stderr(&out));
}

// ---------------------------------------------------------------------------------------------
// Citations and errors.
// ---------------------------------------------------------------------------------------------

fn eval_questions() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/eval/questions.jsonl");
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|v| v["question"].as_str().map(str::to_string))
        .collect()
}

#[test]
fn every_citation_checks_out_with_source_paragraph_and_source_bytes() {
    let t = TempCorpus::new();
    let library = t.open();
    let mut checked = 0;
    for question in eval_questions() {
        for hit in library.search(&question, 5).unwrap().into_hits() {
            let view = library.source(&hit.source, Some(hit.paragraph)).unwrap();
            let paragraph = &view.paragraphs[0];
            assert_eq!(
                paragraph.hash, hit.hash,
                "{} ¶{}",
                hit.source, hit.paragraph
            );
            assert!(
                paragraph.byte_start <= hit.quote_span.start
                    && hit.quote_span.end <= paragraph.byte_end
            );
            let bytes = library
                .source_bytes(&hit.source, hit.quote_span.start, hit.quote_span.end)
                .unwrap();
            assert_eq!(bytes.text, hit.quote);
            assert_eq!(bytes.paragraph, Some(hit.paragraph));
            assert_eq!(bytes.paragraph_hash.as_deref(), Some(hit.hash.as_str()));
            checked += 1;
        }
    }
    assert!(checked > 200, "only {checked} hits checked");
    // The printed form, end to end: the CLI's citation line is checked by the CLI's `source`.
    let out = run_cli(
        t.root.path(),
        &t.corpus(),
        &t.data(),
        &["ask", QUESTION, "--top", "5"],
    );
    let text = stdout(&out);
    let citations = regex::Regex::new(
        r"· (\S+) ¶(\d+).*\[¶\d+ hash ([0-9a-f]{12}) · quote bytes (\d+)–(\d+)\]",
    )
    .unwrap();
    let mut printed = 0;
    for c in citations.captures_iter(&text) {
        let out = run_cli(
            t.root.path(),
            &t.corpus(),
            &t.data(),
            &["source", &c[1], "--paragraph", &c[2]],
        );
        assert!(
            stdout(&out).contains(&format!("hash {}", &c[3])),
            "{}",
            stdout(&out)
        );
        let range = format!("{}..{}", &c[4], &c[5]);
        let out = run_cli(
            t.root.path(),
            &t.corpus(),
            &t.data(),
            &["source", &c[1], "--bytes", &range],
        );
        assert!(out.status.success(), "{}", stderr(&out));
        assert!(stdout(&out).contains(&format!("in ¶{} (hash {})", &c[2], &c[3])));
        printed += 1;
    }
    assert!(printed >= 3, "{text}");
}

#[test]
fn an_io_error_prints_its_cause_once() {
    let t = TempCorpus::new();
    let library = t.open();
    let name = "000_b19292d0fd3caf05.txt";
    // The file goes away under an open library: an I/O error with one cause.
    std::fs::remove_file(t.corpus().join(name)).unwrap();
    let error = library.source(name, None).unwrap_err();
    let shown = coverage_bot::error::chain(&error);
    assert_eq!(shown.matches("os error 2").count(), 1, "{shown}");
    assert!(matches!(error, CoreError::Io { .. }), "{error:?}");
    let missing = t.root.path().join("missing-config.toml");
    let out = bin_in(t.root.path())
        .arg("--config")
        .arg(&missing)
        .args(["ask", "x"])
        .output()
        .unwrap();
    let err = stderr(&out);
    assert!(err.matches("os error 2").count() <= 1, "{err}");
}

#[test]
fn a_boilerplate_pattern_matching_most_of_the_corpus_is_reported() {
    let t = TempCorpus::new();
    let config = t.root.path().join("broad.toml");
    std::fs::write(&config, "[boilerplate]\nextra_patterns = [\"e\"]\n").unwrap();
    let out = cli_command(t.root.path(), &t.corpus(), &t.data())
        .arg("--config")
        .arg(&config)
        .arg("index")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("warning: boilerplate pattern \"e\" matches more than half"),
        "{}",
        stdout(&out)
    );
    // The shipped patterns raise no warning on the bundled corpus.
    let out = run_cli(
        t.root.path(),
        &t.corpus(),
        &t.data(),
        &["index", "--rebuild"],
    );
    assert!(!stdout(&out).contains("warning"), "{}", stdout(&out));
}
