//! `coverage-bot add FILE`: pages and text files into the corpus, recognised when they come
//! again, refused cleanly when they hold no article.

use crate::support::fixtures::{latin1, run_cli, TempCorpus};

const PAGE: &str = "<!doctype html><html><head><title>Piscine : réouverture en juin</title>\
    <meta property=\"og:site_name\" content=\"Le Courrier\">\
    <meta property=\"article:published_time\" content=\"2024-05-02T07:00:00Z\"></head>\
    <body><nav><a href=\"/\">Accueil</a><a href=\"/sports\">Sports</a></nav>\
    <article><h1>Piscine : réouverture en juin</h1>\
    <p>La piscine des Tilleuls rouvrira le 15 juin après dix-huit mois de travaux d'étanchéité, \
    a annoncé la mairie, qui promet aussi des horaires élargis le dimanche matin.</p>\
    <p>Le chantier a coûté 2,3 millions d'euros, dont un tiers pris en charge par la région, \
    selon l'adjoint aux sports, qui évoque un bassin nordique pour l'hiver suivant.</p>\
    </article><footer>Mentions légales · Publicité</footer></body></html>";

fn corpus_files(t: &TempCorpus) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(t.corpus())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn a_page_is_added_as_markdown_quoted_and_recognised_when_added_again() {
    let t = TempCorpus::new();
    let inbox = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| run_cli(inbox.path(), &t.corpus(), &t.data(), args);
    std::fs::write(inbox.path().join("piscine.html"), PAGE).unwrap();
    let before = corpus_files(&t);

    let added = cli(&["add", "piscine.html"]);
    assert!(added.status.success(), "{added:?}");
    let stdout = String::from_utf8_lossy(&added.stdout);
    assert!(stdout.contains("(2 paragraphs)"), "{stdout}");
    let new: Vec<String> = corpus_files(&t)
        .into_iter()
        .filter(|f| !before.contains(f))
        .collect();
    assert_eq!(new.len(), 1, "{new:?}");
    let file = &new[0];
    assert!(
        file.starts_with("piscine-reouverture-en-juin-") && file.ends_with(".md"),
        "{file}"
    );
    let text = std::fs::read_to_string(t.corpus().join(file)).unwrap();
    assert!(
        text.starts_with("---\n") && text.contains("outlet: Le Courrier"),
        "{text}"
    );
    assert!(
        text.contains("added_by:") && text.contains("added_at:"),
        "{text}"
    );
    assert!(
        !text.contains("Mentions légales") && !text.contains("Accueil"),
        "{text}"
    );

    let answer = cli(&[
        "ask",
        "--json",
        "Quand la piscine des Tilleuls rouvrira-t-elle ?",
    ]);
    let json: serde_json::Value = serde_json::from_slice(&answer.stdout).unwrap();
    assert_eq!(json["hits"][0]["source"], file.as_str(), "{json}");
    assert!(json["hits"][0]["quote"]
        .as_str()
        .unwrap()
        .contains("15 juin"));

    // Again, even under another name: the corpus already has it, nothing is written.
    std::fs::write(inbox.path().join("copie.htm"), PAGE).unwrap();
    let again = cli(&["add", "copie.htm"]);
    assert!(again.status.success());
    assert!(
        String::from_utf8_lossy(&again.stdout).contains(&format!("already in the corpus: {file}"))
    );
    assert_eq!(corpus_files(&t).len(), before.len() + 1);

    // A Latin-1 page comes out in the right letters.
    let latin1 = latin1(
        &PAGE
            .replace("<head>", "<head><meta charset=\"iso-8859-1\">")
            .replace("Tilleuls", "Érables"),
    );
    std::fs::write(inbox.path().join("latin1.html"), latin1).unwrap();
    assert!(cli(&["add", "latin1.html"]).status.success());
    let latin_file = corpus_files(&t)
        .into_iter()
        .find(|f| !before.contains(f) && f != file)
        .unwrap();
    let text = std::fs::read_to_string(t.corpus().join(latin_file)).unwrap();
    assert!(
        text.contains("piscine des Érables rouvrira") && text.contains("d'étanchéité"),
        "{text}"
    );
}

#[test]
fn files_without_an_article_are_refused_and_leave_the_corpus_untouched() {
    let t = TempCorpus::new();
    let inbox = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| run_cli(inbox.path(), &t.corpus(), &t.data(), args);
    let before = corpus_files(&t);
    std::fs::write(
        inbox.path().join("menu.html"),
        "<nav><a href=\"/\">Accueil</a></nav>",
    )
    .unwrap();
    std::fs::write(inbox.path().join("scan.pdf"), b"%PDF-1.7").unwrap();
    for (file, message) in [
        ("menu.html", "no article found"),
        ("scan.pdf", "only .html"),
        ("missing.txt", "missing.txt"),
    ] {
        let refused = cli(&["add", file]);
        assert_eq!(refused.status.code(), Some(1), "{file}: {refused:?}");
        let stderr = String::from_utf8_lossy(&refused.stderr);
        assert!(stderr.contains(message), "{file}: {stderr}");
    }
    assert_eq!(
        corpus_files(&t),
        before,
        "nothing written, no temporary file left"
    );

    // A text file is added with its title, and the trail has every attempt.
    std::fs::write(
        inbox.path().join("note.txt"),
        "Conseil du 3 mai\n\nLe conseil a adopté le plan vélo à l'unanimité, avec trente kilomètres de pistes.\n",
    )
    .unwrap();
    assert!(cli(&["add", "note.txt"]).status.success());
    assert!(corpus_files(&t)
        .iter()
        .any(|f| f.starts_with("conseil-du-3-mai-")));
    let audit = cli(&["audit", "--json"]);
    let outcomes: Vec<String> = String::from_utf8_lossy(&audit.stdout)
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|e| e["action"] == "add")
        .map(|e| e["outcome"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(outcomes.len(), 4, "{outcomes:?}");
    assert!(
        outcomes[..3].iter().all(|o| o.starts_with("failed")),
        "{outcomes:?}"
    );
    assert!(outcomes[3].starts_with("ok"), "{outcomes:?}");
}

#[test]
fn an_html_page_dropped_into_the_corpus_is_read_quoted_cited_and_recognised() {
    let t = TempCorpus::new();
    let inbox = tempfile::tempdir().unwrap();
    let cli = |args: &[&str]| run_cli(inbox.path(), &t.corpus(), &t.data(), args);
    // Windows-1252 bytes, declared in the page: read through the same decoder as `add`.
    let page = PAGE.replace("<head>", "<head><meta charset=\"windows-1252\">");
    std::fs::write(t.corpus().join("piscine.html"), latin1(&page)).unwrap();

    let answer = cli(&[
        "ask",
        "--json",
        "Combien a coûté le chantier, et quelle part la région prend-elle en charge ?",
    ]);
    assert!(answer.status.success(), "{answer:?}");
    let json: serde_json::Value = serde_json::from_slice(&answer.stdout).unwrap();
    let hit = &json["hits"][0];
    assert_eq!(hit["source"], "piscine.html", "{json}");
    let quote = hit["quote"].as_str().unwrap();
    assert!(quote.contains("2,3 millions d'euros"), "{quote}");
    assert!(
        !quote.contains('<'),
        "markup never reaches a quote: {quote}"
    );

    // The cited paragraph is the article's, as `source` shows it, with the page's metadata.
    let paragraph = hit["paragraph"].as_u64().unwrap().to_string();
    let source = cli(&["source", "piscine.html", "--paragraph", &paragraph]);
    assert!(source.status.success(), "{source:?}");
    let shown = String::from_utf8_lossy(&source.stdout);
    assert!(shown.contains("2,3 millions d'euros"), "{shown}");
    assert!(shown.contains("Le Courrier"), "{shown}");
    assert!(!shown.contains("Mentions légales"), "{shown}");

    // The same page added again is the dropped file, by its body.
    std::fs::write(inbox.path().join("copie.html"), PAGE).unwrap();
    let again = cli(&["add", "copie.html"]);
    assert!(again.status.success(), "{again:?}");
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("already in the corpus: piscine.html"),
        "{again:?}"
    );

    // A page with no article is skipped with its reason, and the rest still serves.
    std::fs::write(
        t.corpus().join("menu.html"),
        "<nav><a href=\"/\">Accueil</a></nav>",
    )
    .unwrap();
    let index = cli(&["index"]);
    assert!(index.status.success(), "{index:?}");
    let report = String::from_utf8_lossy(&index.stdout).into_owned()
        + &String::from_utf8_lossy(&index.stderr);
    assert!(
        report.contains("menu.html") && report.contains("no article found in the HTML page"),
        "{report}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_through_discord_takes_attached_files_and_refuses_the_wrong_ones() {
    use crate::support::harness::{assert_all_messages_ok, text_of, Harness};
    use fake_discord::{DEFAULT_MEMBER_PERMISSIONS, PERM_MANAGE_GUILD, TEST_USER_ID};
    use serde_json::json;
    use std::time::Duration;

    const AUDIT_CHANNEL: u64 = 1_180_000_000_000_000_078;
    let t = TempCorpus::new();
    // The fake serves attachments from its loopback address (Discord, from its CDN).
    let h = Harness::start_fetching_from_loopback(t.corpus(), Some(AUDIT_CHANNEL)).await;
    let d = &h.discord;
    let moderator = DEFAULT_MEMBER_PERMISSIONS | PERM_MANAGE_GUILD;
    let attach = |options: serde_json::Value, name: &str, bytes: &[u8]| {
        let attachment = d.attachment(name, bytes);
        d.slash_command_with_attachment(
            "add",
            options,
            "file",
            attachment,
            TEST_USER_ID,
            "en-US",
            moderator,
        )
    };
    let harness = &h;
    let result_of =
        |token: String| async move { text_of(&harness.deferred_result(&token).await.body) };
    let articles = || h.library.status().articles;
    let before = articles();

    // A Markdown note: added, its card in the reply, and /ask quotes it.
    let note = "---\ntitle: Conseil du 3 mai\noutlet: Le Courrier\ndate: 2024-05-03\n---\n\n\
        Le conseil municipal a adopté le plan vélo à l'unanimité, avec trente kilomètres de \
        pistes cyclables nouvelles d'ici à la fin du mandat.\n";
    let (id, token, payload) = attach(json!([]), "conseil.md", note.as_bytes());
    h.interact(payload, id).await;
    let text = result_of(token).await;
    assert!(
        text.contains("Added") && text.contains("(1 paragraph)"),
        "{text}"
    );
    assert!(text.contains("Conseil du 3 mai"), "the card: {text}");
    assert_eq!(articles(), before + 1);
    let (id, _, payload) = d
        .ask("Combien de kilomètres de pistes cyclables le plan vélo prévoit-il ?")
        .results(1)
        .build();
    let answer = text_of(&h.reply_body(payload, id).await);
    assert!(answer.contains("à l'unanimité, avec trente"), "{answer}");

    // A Latin-1 page, read in the right letters.
    let page = PAGE.replace("<head>", "<head><meta charset=\"iso-8859-1\">");
    let (id, token, payload) = attach(json!([]), "piscine.html", &latin1(&page));
    h.interact(payload, id).await;
    assert!(result_of(token).await.contains("(2 paragraphs)"));
    let added = corpus_files(&t)
        .into_iter()
        .find(|f| f.starts_with("piscine-reouverture-en-juin-"))
        .expect("the page was saved");
    let saved = std::fs::read_to_string(t.corpus().join(added)).unwrap();
    assert!(saved.contains("travaux d'étanchéité"), "{saved}");

    // Refused: another type, both url and file, neither; the corpus is untouched.
    let count = corpus_files(&t).len();
    let (id, token, payload) = attach(json!([]), "scan.pdf", b"%PDF-1.7");
    h.interact(payload, id).await;
    let refused = result_of(token).await;
    assert!(
        refused.contains("Nothing was added") && refused.contains("only .html"),
        "{refused}"
    );
    let both = json!([{"name": "url", "type": 3, "value": "https://example.org/a"}]);
    let (id, token, payload) = attach(both, "conseil.md", note.as_bytes());
    h.interact(payload, id).await;
    assert!(result_of(token).await.contains("one of the two"));
    let (id, token, payload) = d.slash_command("add", json!([]), TEST_USER_ID, "en-US", moderator);
    h.interact(payload, id).await;
    assert!(result_of(token).await.contains("one of the two"));
    assert_eq!(corpus_files(&t).len(), count);

    // The same note again is recognised; the trail names the attachments.
    let (id, token, payload) = attach(json!([]), "copie.md", note.as_bytes());
    h.interact(payload, id).await;
    assert!(result_of(token).await.contains("already has this article"));
    let (events, _) = h.library.audit_log().read(None).unwrap();
    let given: Vec<String> = events
        .iter()
        .filter_map(|e| match &e.action {
            coverage_bot::audit::AuditAction::Add { given, .. } => Some(given.clone()),
            _ => None,
        })
        .collect();
    assert!(
        given.contains(&"attachment conseil.md".to_string())
            && given.contains(&"attachment scan.pdf".to_string()),
        "{given:?}"
    );
    // Each attempt is also one line in the audit channel, with the user and the outcome.
    let posted = d
        .wait_for_requests(
            given.len(),
            |r| {
                r.method == "POST"
                    && r.path == format!("/api/v10/channels/{AUDIT_CHANNEL}/messages")
            },
            Duration::from_secs(20),
        )
        .await
        .expect("one audit line per /add");
    let lines: Vec<String> = posted.iter().map(|r| text_of(&r.body)).collect();
    assert!(
        lines
            .iter()
            .any(|l| l.contains("conseil.md") && l.contains(&TEST_USER_ID.to_string())),
        "{lines:?}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("scan.pdf") && l.contains("failed")),
        "{lines:?}"
    );
    assert_all_messages_ok(d);
    h.stop().await;
}
