//! Corpus faults: a non-UTF-8 file, an empty file, a binary file, a 50 MB file, a FIFO, a file
//! deleted while indexing and a file changed between listing and reading. Each is skipped and
//! reported (`Library::status().skipped`, and the bot's `/status`), everything else is served.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::support::fixtures::{proc_status_kb, write_synthetic_corpus, TempCorpus};
use crate::support::harness::{assert_all_messages_ok, text_of, Harness};
use crate::support::own_process::run_alone;
use coverage_bot::clean::Cleaner;
use coverage_bot::corpus::{list_corpus, read_article, SkipReason, SkippedFile};
use coverage_bot::{Library, ReindexOutcome};
use fake_discord::{DEFAULT_MEMBER_PERMISSIONS, TEST_USER_ID};
use serde_json::json;

const SEED_QUESTION: &str = "Pourquoi Microsoft a-t-il suspendu des services Azure ?";
const FIFTY_MB: u64 = 50 * 1024 * 1024;

/// The tests of this module measure peak memory; they run one at a time.
static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> std::sync::MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn cleaner() -> Cleaner {
    Cleaner::with_default_patterns()
}

/// Adds the bad files to a corpus folder.
fn add_bad_files(corpus: &Path) {
    // Latin-1 text: not UTF-8.
    std::fs::write(
        corpus.join("latin1.txt"),
        b"Le caf\xe9 du coin\n\nUn article \xe9crit en Latin-1, avec des accents \xe0 la fran\xe7aise.\n",
    )
    .unwrap();
    std::fs::write(corpus.join("empty.txt"), b"").unwrap();
    std::fs::write(corpus.join("blank.md"), b"  \n\n\t\n").unwrap();
    let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    png.extend((0..4096u32).map(|i| (i * 31 % 251) as u8));
    std::fs::write(corpus.join("image.txt"), png).unwrap();
    // 50 MB, sparse: created instantly.
    let huge = std::fs::File::create(corpus.join("huge.txt")).unwrap();
    huge.set_len(FIFTY_MB).unwrap();
    // A FIFO with no writer: opening it for reading would block forever.
    #[cfg(unix)]
    {
        let status = std::process::Command::new("mkfifo")
            .arg(corpus.join("pipe.txt"))
            .status()
            .expect("mkfifo");
        assert!(status.success());
    }
}

fn reason_of<'a>(skipped: &'a [SkippedFile], file: &str) -> &'a SkipReason {
    &skipped
        .iter()
        .find(|s| s.file == file)
        .unwrap_or_else(|| panic!("{file} not reported as skipped: {skipped:?}"))
        .reason
}

fn assert_serves_the_corpus(library: &Library) {
    let result = library.search(SEED_QUESTION, 3).unwrap();
    assert!(!result.is_abstained(), "the good articles are still served");
    assert!(library.source("004_86712a85089916e0.txt", Some(1)).is_ok());
}

#[test]
fn bad_files_are_skipped_and_reported_and_the_rest_is_served() {
    // Peak RSS is the process's: measured in a process of its own.
    if !run_alone("corpus_faults::bad_files_are_skipped_and_reported_and_the_rest_is_served") {
        return;
    }
    let _serial = serial();
    let t = TempCorpus::new();
    add_bad_files(&t.corpus());
    let before_kb = proc_status_kb("VmHWM:");
    let started = Instant::now();
    let (library, _) = Library::open(t.config()).expect("a corpus with bad files opens");
    let elapsed = started.elapsed();
    let after_kb = proc_status_kb("VmHWM:");
    let status = library.status();
    assert_eq!(
        status.articles, 5,
        "the five good articles: {:?}",
        status.skipped
    );
    let skipped = &status.skipped;
    assert_eq!(reason_of(skipped, "latin1.txt"), &SkipReason::NotUtf8);
    assert_eq!(reason_of(skipped, "empty.txt"), &SkipReason::Empty);
    assert_eq!(reason_of(skipped, "blank.md"), &SkipReason::Empty);
    assert_eq!(reason_of(skipped, "image.txt"), &SkipReason::Binary);
    assert!(matches!(
        reason_of(skipped, "huge.txt"),
        SkipReason::TooLarge { bytes, .. } if *bytes == FIFTY_MB
    ));
    #[cfg(unix)]
    assert!(matches!(
        reason_of(skipped, "pipe.txt"),
        SkipReason::Unreadable { .. }
    ));
    assert_serves_the_corpus(&library);
    // The oversized file is never loaded into memory (it is only 50 MB here, but could be 50 GB).
    if let (Some(before), Some(after)) = (before_kb, after_kb) {
        println!(
            "open with a 50 MB file: {elapsed:?}, peak RSS {} -> {} MB",
            before / 1024,
            after / 1024
        );
        assert!(
            after.saturating_sub(before) < 40 * 1024,
            "opening grew peak RSS by {} MB",
            (after - before) / 1024
        );
    }
    // Reopening finds the index up to date: the bad files do not force rebuilds.
    drop(library);
    let (again, outcome) = Library::open(t.config()).unwrap();
    assert_eq!(outcome, coverage_bot::OpenOutcome::Opened);
    assert_eq!(again.status().skipped, status.skipped);
    assert_eq!(again.reindex(false).unwrap(), ReindexOutcome::Unchanged);
}

#[test]
fn files_deleted_or_changed_between_listing_and_reading_are_skipped() {
    let _serial = serial();
    let t = TempCorpus::new();
    let corpus = t.corpus();
    let (entries, _) = list_corpus(&corpus).unwrap();
    assert_eq!(entries.len(), 5);
    let cleaner = cleaner();
    // Deleted after listing.
    std::fs::remove_file(&entries[0].path).unwrap();
    assert!(matches!(
        read_article(&entries[0], 1 << 20, &cleaner),
        Err(SkipReason::Unreadable { .. })
    ));
    // Grew past the cap after listing: the cap is checked again on the bytes read.
    std::fs::write(
        &entries[1].path,
        "Titre\n\n".to_string() + &"mot ".repeat(100_000),
    )
    .unwrap();
    assert!(matches!(
        read_article(&entries[1], 64 * 1024, &cleaner),
        Err(SkipReason::TooLarge { .. })
    ));
    // Turned into binary, or into invalid UTF-8, or emptied after listing.
    std::fs::write(&entries[2].path, b"\0\0\0\x01\x02binary").unwrap();
    assert_eq!(
        read_article(&entries[2], 1 << 20, &cleaner).unwrap_err(),
        SkipReason::Binary
    );
    std::fs::write(&entries[3].path, b"caf\xe9\n\ncaf\xe9 cr\xe8me\n").unwrap();
    assert_eq!(
        read_article(&entries[3], 1 << 20, &cleaner).unwrap_err(),
        SkipReason::NotUtf8
    );
    std::fs::write(&entries[4].path, b"").unwrap();
    assert_eq!(
        read_article(&entries[4], 1 << 20, &cleaner).unwrap_err(),
        SkipReason::Empty
    );
}

/// The real thing: a reindex over 1,500 files, with files deleted and changed after the listing
/// and before they are read. They are skipped, `/status` lists them, the rest is served.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
// The guard only serializes this module's tests (each on its own runtime); nothing awaits it.
#[allow(clippy::await_holding_lock)]
async fn files_deleted_or_changed_during_a_reindex_are_skipped_and_listed_by_status() {
    let _serial = serial();
    let t = TempCorpus::new();
    let corpus = t.corpus();
    add_bad_files(&corpus);
    write_synthetic_corpus(&corpus, 1500);
    // Read last (files are read in name order).
    std::fs::write(
        corpus.join("zz-deleted.txt"),
        "Titre supprimé\n\nUn paragraphe qui disparaîtra avant sa lecture, pendant l'indexation.\n",
    )
    .unwrap();
    std::fs::write(
        corpus.join("zz-grown.txt"),
        "Titre grandi\n\nUn paragraphe qui deviendra trop grand avant sa lecture.\n",
    )
    .unwrap();
    std::fs::write(
        corpus.join("zz-binary.txt"),
        "Titre binaire\n\nUn paragraphe qui deviendra binaire avant sa lecture.\n",
    )
    .unwrap();
    let dir = corpus.clone();
    let h = Harness::start_with(move |c| {
        c.corpus.dir = dir;
        c.corpus.max_file_bytes = 256 * 1024;
    })
    .await;
    assert_eq!(h.library.status().articles, 1508);
    let index_dir = h.library.config().index.dir.clone();
    let current = std::fs::read_to_string(index_dir.join("CURRENT")).unwrap();

    let library = h.library.clone();
    let reindex = tokio::task::spawn_blocking(move || library.reindex(true));
    // The new generation folder exists once the corpus was listed.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let new_generation = std::fs::read_dir(&index_dir).unwrap().flatten().any(|e| {
            let name = e.file_name().to_string_lossy().to_string();
            name.starts_with("gen-") && name != current.trim()
        });
        if new_generation {
            break;
        }
        assert!(Instant::now() < deadline, "the reindex never started");
        std::thread::sleep(Duration::from_millis(1));
    }
    std::fs::remove_file(corpus.join("zz-deleted.txt")).unwrap();
    std::fs::write(corpus.join("zz-grown.txt"), "x ".repeat(200_000)).unwrap();
    std::fs::write(corpus.join("zz-binary.txt"), [0u8, 1, 2, 3, 0, 0, 255]).unwrap();
    let outcome = reindex.await.unwrap().expect("the reindex succeeds");
    assert!(
        matches!(outcome, ReindexOutcome::Rebuilt { articles: 1505, .. }),
        "{outcome:?}"
    );

    let status = h.library.status();
    assert!(matches!(
        reason_of(&status.skipped, "zz-deleted.txt"),
        SkipReason::Unreadable { .. }
    ));
    assert!(matches!(
        reason_of(&status.skipped, "zz-grown.txt"),
        SkipReason::TooLarge { .. }
    ));
    assert_eq!(
        reason_of(&status.skipped, "zz-binary.txt"),
        &SkipReason::Binary
    );
    assert_serves_the_corpus(&h.library);
    let r = h.library.search("synthmot1234", 3).unwrap();
    assert_eq!(r.hits()[0].source, "synth-01234.txt");

    // The bot's /status lists every skipped file.
    let d = &h.discord;
    let (id, _, payload) = d.slash_command(
        "status",
        json!([]),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS,
    );
    let text = text_of(h.interact(payload, id).await.message_body().unwrap());
    for file in [
        "latin1.txt",
        "empty.txt",
        "blank.md",
        "image.txt",
        "huge.txt",
        "zz-deleted.txt",
        "zz-grown.txt",
        "zz-binary.txt",
    ] {
        assert!(text.contains(file), "/status does not list {file}: {text}");
    }
    #[cfg(unix)]
    assert!(text.contains("pipe.txt"), "{text}");
    assert!(
        text.contains("not UTF-8") && text.contains("too large"),
        "{text}"
    );
    // And it keeps answering questions.
    let (id, _, payload) = d.ask(SEED_QUESTION).locale("fr").build();
    assert!(text_of(h.interact(payload, id).await.message_body().unwrap()).contains('¶'));
    assert_all_messages_ok(d);
    h.stop().await;
}
