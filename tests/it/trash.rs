//! Removing and restoring articles: from the command line and with `/remove`. Nothing is ever
//! deleted; every step is in the audit trail.

use coverage_bot::audit::AuditAction;
use fake_discord::{DEFAULT_MEMBER_PERMISSIONS, PERM_MANAGE_GUILD, TEST_USER_ID};
use serde_json::json;

use crate::support::fixtures::{run_cli, TempCorpus};
use crate::support::harness::{assert_all_messages_ok, is_ephemeral, text_of, Harness};

const ARTICLE: &str = "004_86712a85089916e0.txt";
const QUESTION: &str = "Microsoft a-t-il transmis des e-mails aux autorités britanniques ?";

#[test]
fn remove_and_restore_from_the_command_line_keep_every_byte() {
    let t = TempCorpus::new();
    let cwd = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| run_cli(cwd.path(), &t.corpus(), &t.data(), args);
    let original = std::fs::read(t.corpus().join(ARTICLE)).unwrap();
    let cited =
        |output: &std::process::Output| String::from_utf8_lossy(&output.stdout).contains(ARTICLE);
    assert!(
        cited(&cli(&["ask", QUESTION])),
        "the article answers before"
    );

    // By prefix, as `source` accepts names.
    let removed = cli(&["remove", "004"]);
    assert!(removed.status.success(), "{removed:?}");
    assert!(String::from_utf8_lossy(&removed.stdout).contains("coverage-bot restore"));
    assert!(!t.corpus().join(ARTICLE).exists());
    assert!(
        !cited(&cli(&["ask", QUESTION])),
        "a removed article is not quoted"
    );
    let trashed: Vec<_> = walk_files(&t.data().join("trash"));
    assert_eq!(trashed.len(), 1);
    assert_eq!(std::fs::read(&trashed[0]).unwrap(), original);

    let listed = cli(&["restore"]);
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), ARTICLE);
    let restored = cli(&["restore", ARTICLE]);
    assert!(restored.status.success(), "{restored:?}");
    assert_eq!(std::fs::read(t.corpus().join(ARTICLE)).unwrap(), original);
    assert!(
        cited(&cli(&["ask", QUESTION])),
        "answers again after the restore"
    );
    assert!(walk_files(&t.data().join("trash")).is_empty());

    // Refusals touch nothing: unknown names, names outside the corpus, restoring twice.
    for args in [
        &["remove", "nowhere.txt"][..],
        &["remove", "../secret.txt"],
        &["restore", ARTICLE],
        &["restore", "../secret.txt"],
    ] {
        let refused = cli(args);
        assert_eq!(refused.status.code(), Some(1), "{args:?}: {refused:?}");
        assert!(!refused.stderr.is_empty());
    }
    assert!(t.canary_path().exists());
    assert_eq!(std::fs::read(t.corpus().join(ARTICLE)).unwrap(), original);

    // Each step is in the trail, with its outcome.
    let audit = cli(&["audit", "--json"]);
    let events: Vec<serde_json::Value> = String::from_utf8_lossy(&audit.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let actions: Vec<(&str, bool)> = events
        .iter()
        .map(|e| {
            let ok = e["outcome"].as_str().unwrap().starts_with("ok");
            (e["action"].as_str().unwrap(), ok)
        })
        .collect();
    assert_eq!(
        actions,
        [
            ("remove", true),
            ("restore", true),
            ("remove", false),
            ("remove", false),
            ("restore", false),
            ("restore", false)
        ]
    );
    assert_eq!(events[0]["file"], ARTICLE);
    assert_eq!(events[0]["user"]["id"], "cli");
}

fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    walkdir::WalkDir::new(dir)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| e.into_path())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn remove_through_discord_needs_manage_server_and_is_audited() {
    let t = TempCorpus::new();
    let corpus = t.corpus();
    let h = Harness::start_with(move |config| config.corpus.dir = corpus).await;
    let d = &h.discord;
    let registered = d.guild_commands().expect("registered");
    let remove = registered
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "remove")
        .expect("/remove is registered");
    assert_eq!(
        remove["default_member_permissions"],
        PERM_MANAGE_GUILD.to_string()
    );
    assert_eq!(remove["name_localizations"]["fr"], "retirer");

    let options = json!([{"name": "file", "type": 3, "value": ARTICLE}]);
    let (id, _, payload) = d.slash_command(
        "remove",
        options.clone(),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS & !PERM_MANAGE_GUILD,
    );
    let body = h.reply_body(payload, id).await;
    assert!(is_ephemeral(&body) && text_of(&body).contains("Manage Server"));
    assert!(t.corpus().join(ARTICLE).exists(), "refused: nothing moved");

    let (id, token, payload) = d.slash_command(
        "remove",
        options,
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS | PERM_MANAGE_GUILD,
    );
    h.interact(payload, id).await;
    let done = d
        .wait_for_request(
            |r| {
                r.is_webhook() && r.interaction_token() == Some(token.as_str()) && r.method != "GET"
            },
            std::time::Duration::from_secs(30),
        )
        .await
        .expect("the /remove result");
    let text = text_of(&done.body);
    assert!(
        text.contains("trash") && text.contains("4 articles"),
        "{text}"
    );
    assert!(!t.corpus().join(ARTICLE).exists());
    assert_eq!(h.library.status().articles, 4);

    // Unknown names get the closest ones, and nothing moves.
    let (id, _, payload) = d.slash_command(
        "remove",
        json!([{"name": "file", "type": 3, "value": "../secret.txt"}]),
        TEST_USER_ID,
        "en-US",
        DEFAULT_MEMBER_PERMISSIONS | PERM_MANAGE_GUILD,
    );
    h.interact(payload, id).await;
    assert!(t.canary_path().exists());

    let (events, _) = h.library.audit_log().read(None).unwrap();
    let removes: Vec<_> = events
        .iter()
        .filter_map(|e| match &e.action {
            AuditAction::Remove { file } => Some((file.clone(), e.outcome.clone())),
            _ => None,
        })
        .collect();
    assert!(removes.len() >= 2, "{removes:?}");
    assert!(removes[0].1.starts_with("refused"), "{removes:?}");
    assert_eq!(removes[1], (ARTICLE.to_string(), "ok".to_string()));

    // The host brings it back.
    h.library.restore_article(ARTICLE).unwrap();
    assert_eq!(h.library.status().articles, 5);
    assert_all_messages_ok(d);
    h.stop().await;
}
