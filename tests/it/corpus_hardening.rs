//! Corpus hardening (issue #11): unreadable sub-folders and paths deeper than PATH_MAX are
//! skipped, obviously wrong roots are refused fast, names that cannot be shown are skipped with an
//! escaped name, a file reached by several names is indexed once, and CR-only line endings split
//! into paragraphs. Every test runs the real binary or library over a temporary corpus.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::support::fixtures::{run_cli, TempCorpus};
use crate::support::unprivileged::{self, open_up, set_mode};
use coverage_bot::corpus::{list_corpus, SkipReason, SkippedFile};
use serde_json::Value;

const SEED_QUESTION: &str = "Pourquoi Microsoft a-t-il suspendu des services Azure ?";

/// A small article holding `word`, so a search can tell which file a hit came from.
fn article(word: &str) -> String {
    format!(
        "Un article de test\n\nCe paragraphe raconte que le mot {word} apparaît ici une seule \
         fois, dans une phrase complète.\n"
    )
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `sources --json`, parsed.
fn sources_json(output: &Output) -> Value {
    assert_eq!(output.status.code(), Some(0), "{}", text(output));
    serde_json::from_slice(&output.stdout).expect("sources --json prints JSON")
}

fn article_files(sources: &Value) -> Vec<String> {
    sources["articles"]
        .as_array()
        .expect("articles")
        .iter()
        .filter_map(|a| a["file"].as_str().map(str::to_string))
        .collect()
}

fn skipped_of(sources: &Value) -> Vec<(String, Value)> {
    sources["skipped"]
        .as_array()
        .expect("skipped")
        .iter()
        .map(|s| {
            (
                s["file"].as_str().unwrap_or_default().to_string(),
                s["reason"].clone(),
            )
        })
        .collect()
}

/// Runs the binary as a user that mode-000 folders keep out. Root reads them anyway, so as root
/// the binary runs as `nobody` through `setpriv`, from a copy inside the (world-readable) temp
/// folder.
struct Unprivileged {
    program: PathBuf,
}

impl Unprivileged {
    /// Prepares `root` (the temp folder) so `nobody` can traverse it, read the corpus and write
    /// `data`.
    fn new(root: &Path, data: &Path) -> Unprivileged {
        let program = unprivileged::program_in(root);
        if unprivileged::running_as_root() {
            open_up(root);
            std::fs::create_dir_all(data).expect("create the data folder");
            set_mode(data, 0o777);
        }
        Unprivileged { program }
    }

    fn run(&self, cwd: &Path, corpus: &Path, data: &Path, args: &[&str]) -> Output {
        unprivileged::cli_command(&self.program, cwd, corpus, data)
            .args(args)
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cannot run the binary unprivileged ({e}); as root this test needs `setpriv` \
                     (util-linux) to drop to uid 65534"
                )
            })
    }
}

/// Gives mode-000 folders their permissions back, so the temp folder can be removed when the
/// test does not run as root.
struct RestoreModes(Vec<PathBuf>);

impl Drop for RestoreModes {
    fn drop(&mut self) {
        for path in &self.0 {
            let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755));
        }
    }
}

#[test]
fn unreadable_sub_folders_are_skipped_and_the_rest_is_served() {
    let t = TempCorpus::new();
    let corpus = t.corpus();
    let locked: Vec<PathBuf> = ["lost+found", "private"]
        .iter()
        .map(|name| corpus.join(name))
        .collect();
    for folder in &locked {
        std::fs::create_dir(folder).unwrap();
        std::fs::write(folder.join("hidden-away.txt"), article("verrouillemot")).unwrap();
    }
    std::fs::create_dir(corpus.join("open")).unwrap();
    std::fs::write(corpus.join("open/visible.txt"), article("ouvertmot")).unwrap();
    let runner = Unprivileged::new(t.root.path(), &t.data());
    let _restore = RestoreModes(locked.clone());
    for folder in &locked {
        set_mode(folder, 0o000);
    }
    let run = |args: &[&str]| runner.run(t.root.path(), &corpus, &t.data(), args);

    let index = run(&["index"]);
    assert_eq!(index.status.code(), Some(0), "{}", text(&index));
    let out = text(&index);
    assert!(out.contains("6 articles"), "{out}");
    for name in ["lost+found", "private"] {
        assert!(
            out.contains(&format!(
                "skipped {name}: unreadable: folder cannot be read: permission denied"
            )),
            "{name} not reported: {out}"
        );
    }
    let sources = sources_json(&run(&["sources", "--json"]));
    let files = article_files(&sources);
    assert!(files.contains(&"open/visible.txt".to_string()), "{files:?}");
    assert_eq!(files.len(), 6, "{files:?}");
    let skipped = skipped_of(&sources);
    for name in ["lost+found", "private"] {
        assert!(
            skipped
                .iter()
                .any(|(file, reason)| file == name && reason["kind"] == "unreadable"),
            "{name}: {skipped:?}"
        );
    }
    let ask = run(&["ask", SEED_QUESTION]);
    assert_eq!(ask.status.code(), Some(0), "{}", text(&ask));
    let ask = run(&["ask", "--json", "ouvertmot"]);
    assert!(text(&ask).contains("open/visible.txt"), "{}", text(&ask));
    // An unreadable root with no index is an error: there is nothing to serve.
    let fresh = t.root.path().join("fresh-data");
    let root = runner.run(t.root.path(), &locked[1], &fresh, &["sources"]);
    assert_eq!(root.status.code(), Some(2), "{}", text(&root));
    assert!(text(&root).contains("ermission denied"), "{}", text(&root));
    // With an index on disk, the index is served and the warning says why it may be stale.
    let root = runner.run(t.root.path(), &locked[1], &t.data(), &["sources"]);
    assert_eq!(root.status.code(), Some(0), "{}", text(&root));
    assert!(text(&root).contains("out-of-date index"), "{}", text(&root));
    assert!(text(&root).contains("ermission denied"), "{}", text(&root));
}

/// Creates `levels` nested folders named `segment` under `dir` with relative steps (a full path
/// over PATH_MAX cannot be passed to mkdir), writes `shallow.txt` at level 3 and `deep.txt` at
/// the bottom.
fn make_deep_tree(dir: &Path, segment: &str, levels: usize, shallow: &str, deep: &str) {
    let script = r#"
        cd "$1" || exit 1
        i=0
        while [ "$i" -lt "$3" ]; do
            mkdir "$2" && cd "$2" || exit 1
            i=$((i + 1))
            if [ "$i" -eq 3 ]; then printf '%s' "$4" > shallow.txt || exit 1; fi
        done
        printf '%s' "$5" > deep.txt
    "#;
    let status = Command::new("bash")
        .arg("-c")
        .arg(script)
        .arg("make_deep_tree")
        .arg(dir)
        .arg(segment)
        .arg(levels.to_string())
        .arg(shallow)
        .arg(deep)
        .status()
        .expect("run bash to build the deep folder tree");
    assert!(status.success(), "building the deep tree failed: {status}");
}

#[test]
fn paths_deeper_than_path_max_are_skipped_and_the_rest_is_served() {
    let t = TempCorpus::new();
    let corpus = t.corpus();
    let segment = "d".repeat(200);
    // 25 levels of 201 bytes: over 5,000 bytes, well past PATH_MAX (4096).
    make_deep_tree(
        &corpus,
        &segment,
        25,
        &article("peuprofondmot"),
        &article("tropprofondmot"),
    );
    let cwd = t.root.path();
    let index = run_cli(cwd, &corpus, &t.data(), &["index"]);
    assert_eq!(index.status.code(), Some(0), "{}", text(&index));
    assert!(text(&index).contains("6 articles"), "{}", text(&index));
    assert!(text(&index).contains("PATH_MAX"), "{}", text(&index));
    let sources = sources_json(&run_cli(cwd, &corpus, &t.data(), &["sources", "--json"]));
    let shallow = [segment.as_str(); 3].join("/") + "/shallow.txt";
    let files = article_files(&sources);
    assert!(files.contains(&shallow), "{files:?}");
    assert!(files.iter().all(|f| !f.ends_with("deep.txt")), "{files:?}");
    let skipped = skipped_of(&sources);
    assert!(
        skipped.iter().any(|(file, reason)| {
            file.starts_with(&segment)
                && reason["kind"] == "unreadable"
                && reason["message"]
                    .as_str()
                    .is_some_and(|m| m.contains("PATH_MAX"))
        }),
        "the too-deep folder is reported: {skipped:?}"
    );
    let ask = run_cli(cwd, &corpus, &t.data(), &["ask", "--json", "peuprofondmot"]);
    assert!(text(&ask).contains("shallow.txt"), "{}", text(&ask));
}

#[test]
fn obviously_wrong_roots_are_refused_fast_with_exit_code_2() {
    let cwd = tempfile::tempdir().unwrap();
    let data = cwd.path().join("data");
    let file = cwd.path().join("article.txt");
    std::fs::write(&file, article("fichiermot")).unwrap();
    let link_to_proc = cwd.path().join("proc-link");
    std::os::unix::fs::symlink("/proc", &link_to_proc).unwrap();
    let mut cases: Vec<(PathBuf, &str)> = vec![
        (PathBuf::from("/"), "root of the file system"),
        (PathBuf::from("/proc"), "system folder /proc"),
        (PathBuf::from("/proc/self"), "system folder /proc"),
        (link_to_proc, "system folder /proc"),
        (PathBuf::from("/sys"), "system folder /sys"),
        (PathBuf::from("/dev"), "system folder /dev"),
        (file, "must be a folder"),
    ];
    if Path::new("/run").is_dir() {
        cases.push((PathBuf::from("/run"), "system folder /run"));
    }
    for (corpus, expected) in cases {
        for args in [&["sources"][..], &["index"][..]] {
            let started = Instant::now();
            let out = run_cli(cwd.path(), &corpus, &data, args);
            let elapsed = started.elapsed();
            let output = text(&out);
            assert_eq!(
                out.status.code(),
                Some(2),
                "{} {args:?}: {output}",
                corpus.display()
            );
            assert!(
                output.contains(expected),
                "{}: expected {expected:?} in {output}",
                corpus.display()
            );
            assert!(
                elapsed < Duration::from_secs(5),
                "{} took {elapsed:?}",
                corpus.display()
            );
        }
    }
}

fn reason_of<'a>(skipped: &'a [SkippedFile], file: &str) -> &'a SkipReason {
    &skipped
        .iter()
        .find(|s| s.file == file)
        .unwrap_or_else(|| panic!("{file} not reported as skipped: {skipped:?}"))
        .reason
}

#[test]
fn names_that_cannot_be_shown_are_skipped_under_distinct_escaped_names() {
    let t = TempCorpus::new();
    let corpus = t.corpus();
    let bad: [(&[u8], &str); 6] = [
        (b"caf\xe9.txt", "caf\\xe9.txt"),
        (b"caf\xe8.txt", "caf\\xe8.txt"),
        (b"back\\slash.txt", "back\\\\slash.txt"),
        (b"tab\there.txt", "tab\\there.txt"),
        (b"new\nline.txt", "new\\nline.txt"),
        (b"esc\x1b[31m.txt", "esc\\u{1b}[31m.txt"),
    ];
    for (i, (raw, _)) in bad.iter().enumerate() {
        std::fs::write(
            corpus.join(OsStr::from_bytes(raw)),
            article(&format!("mauvaisnom{i}")),
        )
        .unwrap();
    }
    let bad_folder = corpus.join(OsStr::from_bytes(b"dossier\x07"));
    std::fs::create_dir(&bad_folder).unwrap();
    std::fs::write(bad_folder.join("inside.txt"), article("dedansmot")).unwrap();

    let (entries, skipped) = list_corpus(&corpus).unwrap();
    assert_eq!(entries.len(), 5, "{entries:?}");
    for (_, shown) in &bad {
        assert!(
            matches!(
                reason_of(&skipped, shown),
                SkipReason::UnsupportedName { .. }
            ),
            "{shown}"
        );
    }
    assert!(matches!(
        reason_of(&skipped, "dossier\\u{7}"),
        SkipReason::UnsupportedName { .. }
    ));
    for s in &skipped {
        assert!(!s.file.chars().any(char::is_control), "{:?}", s.file);
        if matches!(s.reason, SkipReason::UnsupportedName { .. }) {
            assert!(s.reason.to_string().contains("cannot be shown or cited"));
        }
    }

    let cwd = t.root.path();
    let index = run_cli(cwd, &corpus, &t.data(), &["index"]);
    assert_eq!(index.status.code(), Some(0), "{}", text(&index));
    let out = String::from_utf8_lossy(&index.stdout).to_string();
    assert!(out.contains("5 articles"), "{out}");
    assert!(
        !out.chars().any(|c| c.is_control() && c != '\n'),
        "raw control characters printed: {out:?}"
    );
    assert!(
        out.contains("skipped caf\\xe9.txt: file name cannot be shown or cited: not valid UTF-8")
    );
    assert!(out.contains("skipped caf\\xe8.txt"));
    let ask = run_cli(
        cwd,
        &corpus,
        &t.data(),
        &["ask", "--json", "mauvaisnom3 dedansmot"],
    );
    assert!(!text(&ask).contains("tab"), "{}", text(&ask));
}

#[test]
fn a_file_reached_by_several_names_is_indexed_once() {
    use std::os::unix::fs::symlink;
    let t = TempCorpus::new();
    let corpus = t.corpus();
    // A symlink that sorts before its target, and one after: the real file is kept.
    symlink("004_86712a85089916e0.txt", corpus.join("000-alias.txt")).unwrap();
    symlink("004_86712a85089916e0.txt", corpus.join("zz-alias.txt")).unwrap();
    // A hard link: both are regular files, the first name is kept.
    std::fs::write(corpus.join("hard-a.txt"), article("durliemot")).unwrap();
    std::fs::hard_link(corpus.join("hard-a.txt"), corpus.join("hard-b.txt")).unwrap();
    // Only symlinks name this file (its real name is hidden): the first link is kept.
    std::fs::create_dir(corpus.join(".store")).unwrap();
    std::fs::write(corpus.join(".store/real.txt"), article("cachemot")).unwrap();
    symlink(".store/real.txt", corpus.join("link-b.txt")).unwrap();
    symlink(".store/real.txt", corpus.join("link-a.txt")).unwrap();

    let library = t.open();
    let status = library.status();
    assert_eq!(status.articles, 7, "{:?}", status.skipped);
    let alias_of = |file: &str| match reason_of(&status.skipped, file) {
        SkipReason::Alias { of } => of.clone(),
        other => panic!("{file}: {other:?}"),
    };
    assert_eq!(alias_of("000-alias.txt"), "004_86712a85089916e0.txt");
    assert_eq!(alias_of("zz-alias.txt"), "004_86712a85089916e0.txt");
    assert_eq!(alias_of("hard-b.txt"), "hard-a.txt");
    assert_eq!(alias_of("link-b.txt"), "link-a.txt");
    assert_eq!(
        reason_of(&status.skipped, "hard-b.txt").to_string(),
        "same file as hard-a.txt"
    );
    let files: Vec<String> = library.sources().into_iter().map(|a| a.file).collect();
    for kept in ["004_86712a85089916e0.txt", "hard-a.txt", "link-a.txt"] {
        assert!(files.contains(&kept.to_string()), "{kept}: {files:?}");
    }
    // The article is cited once, under one name.
    for word in ["durliemot", "cachemot"] {
        let result = library.search(word, 5).unwrap();
        let sources: Vec<&str> = result.hits().iter().map(|h| h.source.as_str()).collect();
        assert_eq!(sources.len(), 1, "{word}: {sources:?}");
    }
    let result = library.search(SEED_QUESTION, 10).unwrap();
    assert!(result.hits().iter().all(|h| !h.source.contains("alias")));
}

#[test]
fn cr_only_line_endings_give_paragraphs_without_carriage_returns() {
    let t = TempCorpus::new();
    let corpus = t.corpus();
    let cr = "Un titre à l'ancienne\r\rPremier paragraphe écrit sur un vieux Mac, avec le mot \
              retourchariot.\r\rDeuxième paragraphe, lui aussi complet et bien ponctué.\r";
    std::fs::write(corpus.join("mac.txt"), cr).unwrap();
    let library = t.open();
    let view = library.source("mac.txt", None).unwrap();
    assert_eq!(view.article.title, "Un titre à l'ancienne");
    assert_eq!(view.paragraphs.len(), 2, "{:?}", view.paragraphs);
    for p in &view.paragraphs {
        assert!(!p.text.contains('\r'), "{:?}", p.text);
        assert_eq!(&cr[p.byte_start..p.byte_end], p.text);
    }
    let result = library.search("retourchariot", 3).unwrap();
    assert_eq!(result.hits()[0].source, "mac.txt");
    assert!(!result.hits()[0].quote.contains('\r'));
}
