//! Index faults: a deleted index, a truncated segment file, garbage in `meta.json` (and in the
//! catalog and the `CURRENT` pointer) are rebuilt at start-up with identical answers; a process
//! killed mid-reindex leaves an index that opens (old or new, never neither); queries during a
//! reindex never fail and move from the old generation to the new one atomically.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::support::fixtures::{cli_command, write_synthetic_corpus, TempCorpus};
use coverage_bot::{Library, OpenOutcome, ReindexOutcome};

const QUESTIONS: &[&str] = &[
    "Pourquoi Microsoft a-t-il suspendu des services Azure ?",
    "Microsoft a-t-il transmis des e-mails aux autorités britanniques ?",
    "surveillance des Palestiniens",
    "Qui a gagné la Coupe du monde 2022 ?",
    "renseignement militaire israélien",
    "attaque de Westminster",
];

/// What a question answers: for each hit, file, paragraph, quote and byte range.
type Answer = (bool, Vec<(String, usize, String, usize, usize)>);

fn answers(library: &Library) -> Vec<Answer> {
    QUESTIONS
        .iter()
        .map(|q| {
            let r = library.search(q, 5).expect("search");
            (
                r.is_abstained(),
                r.hits()
                    .iter()
                    .map(|h| {
                        (
                            h.source.clone(),
                            h.paragraph,
                            h.quote.clone(),
                            h.quote_span.start,
                            h.quote_span.end,
                        )
                    })
                    .collect(),
            )
        })
        .collect()
}

fn current_generation(data: &Path) -> PathBuf {
    let name = std::fs::read_to_string(data.join("index/CURRENT")).unwrap();
    data.join("index").join(name.trim())
}

/// The largest tantivy file of the current generation (a segment's store or postings).
fn largest_segment_file(generation: &Path) -> PathBuf {
    std::fs::read_dir(generation)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_string_lossy().to_string();
            !name.ends_with(".json") && !name.starts_with('.') && p.is_file()
        })
        .max_by_key(|p| p.metadata().unwrap().len())
        .expect("a segment file")
}

#[test]
fn a_damaged_index_is_rebuilt_at_start_up_with_identical_answers() {
    let t = TempCorpus::new();
    let (library, outcome) = Library::open(t.config()).unwrap();
    assert!(matches!(outcome, OpenOutcome::Built { .. }));
    let expected = answers(&library);
    assert!(expected.iter().filter(|a| !a.0).count() >= 4);
    drop(library);

    type Damage = (&'static str, fn(&Path));
    let damages: &[Damage] = &[
        ("index folder deleted", |data| {
            std::fs::remove_dir_all(data.join("index")).unwrap()
        }),
        ("segment file truncated", |data| {
            let file = largest_segment_file(&current_generation(data));
            let len = file.metadata().unwrap().len();
            std::fs::OpenOptions::new()
                .write(true)
                .open(&file)
                .unwrap()
                .set_len(len / 2)
                .unwrap();
        }),
        ("segment file emptied", |data| {
            let file = largest_segment_file(&current_generation(data));
            std::fs::write(file, b"").unwrap();
        }),
        ("segment file overwritten with garbage", |data| {
            let file = largest_segment_file(&current_generation(data));
            let len = file.metadata().unwrap().len() as usize;
            std::fs::write(file, vec![0xA5u8; len]).unwrap();
        }),
        ("garbage in meta.json", |data| {
            std::fs::write(
                current_generation(data).join("meta.json"),
                b"{\"segments\": [garbage \xff\xfe",
            )
            .unwrap()
        }),
        ("meta.json deleted", |data| {
            std::fs::remove_file(current_generation(data).join("meta.json")).unwrap()
        }),
        ("garbage in catalog.json", |data| {
            std::fs::write(current_generation(data).join("catalog.json"), b"\0\0{[").unwrap()
        }),
        ("CURRENT points outside", |data| {
            std::fs::write(data.join("index/CURRENT"), b"../../../etc").unwrap()
        }),
        ("CURRENT points nowhere", |data| {
            std::fs::write(data.join("index/CURRENT"), b"gen-does-not-exist").unwrap()
        }),
    ];
    for (what, damage) in damages {
        damage(&t.data());
        let started = Instant::now();
        let (library, outcome) =
            Library::open(t.config()).unwrap_or_else(|e| panic!("{what}: start-up failed: {e}"));
        assert!(
            matches!(outcome, OpenOutcome::Built { .. }),
            "{what}: the damage was not noticed ({outcome:?})"
        );
        assert_eq!(answers(&library), expected, "{what}: answers changed");
        println!("{what}: rebuilt in {:?} ({outcome:?})", started.elapsed());
        drop(library);
        // And the rebuilt index opens as is next time.
        let (_, outcome) = Library::open(t.config()).unwrap();
        assert_eq!(
            outcome,
            OpenOutcome::Opened,
            "{what}: rebuilt index reopens"
        );
    }
}

/// Kills `coverage-bot index --rebuild` at several points of the build: the index left behind
/// always opens without a rebuild (old or new generation) and answers.
#[cfg(unix)]
#[test]
fn a_reindex_killed_mid_way_leaves_an_index_that_opens() {
    let t = TempCorpus::new();
    write_synthetic_corpus(&t.corpus(), 3000);
    let cwd = tempfile::tempdir().unwrap();
    let index_dir = t.data().join("index");
    let (library, _) = Library::open(t.config()).unwrap();
    let expected = answers(&library);
    drop(library);

    let mut kills = 0;
    for delay_ms in [0u64, 50, 200, 600, 1500] {
        let before = std::fs::read_to_string(index_dir.join("CURRENT")).unwrap();
        let mut child = cli_command(cwd.path(), &t.corpus(), &index_dir)
            .args(["index", "--rebuild"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        // Wait for the new generation folder, i.e. the build under way.
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut finished = false;
        loop {
            let building = std::fs::read_dir(&index_dir).unwrap().flatten().any(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                name.starts_with("gen-") && name != before.trim()
            });
            if building {
                break;
            }
            if child.try_wait().unwrap().is_some() {
                finished = true;
                break;
            }
            assert!(Instant::now() < deadline, "the rebuild never started");
            std::thread::sleep(Duration::from_millis(2));
        }
        std::thread::sleep(Duration::from_millis(delay_ms));
        let exited = child.try_wait().unwrap().is_some() || finished;
        child.kill().unwrap_or(()); // SIGKILL
        let status = child.wait().unwrap();
        if !exited {
            kills += 1;
        }
        let after = std::fs::read_to_string(index_dir.join("CURRENT")).unwrap();
        println!(
            "killed after {delay_ms} ms (exited first: {exited}, status {status}): CURRENT {} -> {}",
            before.trim(),
            after.trim()
        );
        let (library, outcome) = Library::open(t.config()).expect("the index opens after a kill");
        assert_eq!(
            outcome,
            OpenOutcome::Opened,
            "after a kill at {delay_ms} ms the old or the new index must open as is"
        );
        assert_eq!(answers(&library), expected);
        assert_eq!(library.status().articles, 3005);
    }
    assert!(kills >= 3, "only {kills} kills landed mid-build");
}

/// Threads search without pause while the corpus changes and a reindex runs: no query fails,
/// and every result is wholly the old generation's or wholly the new one's, switching once.
#[test]
fn queries_during_a_reindex_never_fail_and_switch_atomically() {
    let t = TempCorpus::new();
    let corpus = t.corpus();
    write_synthetic_corpus(&corpus, 1000);
    let marker = corpus.join("marker.txt");
    std::fs::write(
        &marker,
        "Le marqueur de génération\n\nCe paragraphe témoin contient le mot alphaversion et décrit \
         l'ancienne génération du marqueur.\n",
    )
    .unwrap();
    let (library, _) = Library::open(t.config()).unwrap();
    let library = Arc::new(library);
    let question = "marqueur témoin alphaversion betaversion génération";
    let fingerprint = |library: &Library| {
        let r = library.search(question, 5).unwrap();
        r.hits()
            .iter()
            .map(|h| format!("{}#{}#{}#{}", h.source, h.paragraph, h.hash, h.quote))
            .collect::<Vec<_>>()
    };
    let old = fingerprint(&library);
    assert!(old.iter().any(|h| h.contains("alphaversion")), "{old:?}");

    // The corpus changes: one article comes. (Files already indexed stay as they are: a hit whose
    // bytes changed is never shown, and triggers a rebuild by the query itself; see
    // `data_safety`.)
    std::fs::write(
        corpus.join("new-marker.txt"),
        "Un second marqueur\n\nUn autre paragraphe témoin, avec betaversion, ajouté à la nouvelle \
         génération.\n",
    )
    .unwrap();

    let stop = Arc::new(AtomicBool::new(false));
    let queries = Arc::new(AtomicUsize::new(0));
    let mut readers = Vec::new();
    for _ in 0..2 {
        let (library, stop, queries) = (library.clone(), stop.clone(), queries.clone());
        readers.push(std::thread::spawn(move || {
            let mut seen = Vec::new();
            loop {
                let done = stop.load(Ordering::Relaxed);
                let r = library
                    .search(question, 5)
                    .expect("a query failed during reindex");
                let snapshot_articles = library.status().articles;
                seen.push((
                    r.hits()
                        .iter()
                        .map(|h| format!("{}#{}#{}#{}", h.source, h.paragraph, h.hash, h.quote))
                        .collect::<Vec<_>>(),
                    snapshot_articles,
                ));
                queries.fetch_add(1, Ordering::Relaxed);
                // Also read sources while the generation changes.
                let _ = library.source("004_86712a85089916e0.txt", Some(1)).unwrap();
                if done {
                    return seen;
                }
            }
        }));
    }
    std::thread::sleep(Duration::from_millis(50));
    let started = Instant::now();
    let outcome = library.reindex(false).expect("reindex");
    let took = started.elapsed();
    assert!(
        matches!(outcome, ReindexOutcome::Rebuilt { .. }),
        "{outcome:?}"
    );
    std::thread::sleep(Duration::from_millis(50));
    stop.store(true, Ordering::Relaxed);
    let new = fingerprint(&library);
    assert_ne!(old, new);
    assert!(new.iter().any(|h| h.contains("betaversion")));
    assert!(!old.iter().any(|h| h.contains("betaversion")));

    let mut total = 0;
    let (mut saw_old, mut saw_new) = (0, 0);
    for reader in readers {
        let seen = reader.join().expect("a reader panicked");
        let mut switched = false;
        for (hits, _) in &seen {
            if *hits == old {
                assert!(!switched, "an old answer after a new one");
                saw_old += 1;
            } else if *hits == new {
                switched = true;
                saw_new += 1;
            } else {
                panic!("a mixed answer during reindex: {hits:?}");
            }
        }
        total += seen.len();
    }
    println!(
        "{total} queries during a {took:?} reindex: 0 failed, {saw_old} old then {saw_new} new"
    );
    assert_eq!(total, queries.load(Ordering::Relaxed));
    assert!(saw_old > 0 && saw_new > 0);
}
