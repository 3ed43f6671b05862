//! The fetcher against a loopback HTTP server (axum) serving pages written here: redirects to
//! refused addresses, a 50 MB body, a server that stalls, a non-HTML type, a Latin-1 page and a
//! page with no article. Loopback is allowed by the tests' policy, and only there.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use coverage_bot::add::{AddedBy, Submission};
use coverage_bot::fetch::{fetch, FetchError, FetchPolicy};

const ARTICLE: &str = "<!doctype html><html><head><meta charset=\"utf-8\">\
    <title>Le marché couvert rouvre</title></head><body><nav>Accueil · Sports</nav>\
    <article><h1>Le marché couvert rouvre</h1>\
    <p>Le marché couvert de la place Carnot rouvre samedi après huit mois de travaux, avec \
    quarante-deux étals et un nouveau toit de verre, a annoncé la municipalité vendredi.</p>\
    <p>Les commerçants saluent des loyers gelés pour deux ans, mais regrettent la disparition \
    de vingt places de stationnement autour de la halle, selon leur association.</p>\
    </article></body></html>";

fn html(body: impl Into<Body>, content_type: &str) -> Response {
    (
        [(header::CONTENT_TYPE, content_type.to_string())],
        body.into(),
    )
        .into_response()
}

fn redirect(to: &str) -> Response {
    (StatusCode::FOUND, [(header::LOCATION, to.to_string())]).into_response()
}

/// Starts the server on an ephemeral loopback port.
async fn serve() -> SocketAddr {
    let latin1 = crate::support::fixtures::latin1(
        &ARTICLE.replace("charset=\"utf-8\"", "charset=\"iso-8859-1\""),
    );
    let app = Router::new()
        .route(
            "/article",
            get(|| async { html(ARTICLE, "text/html; charset=utf-8") }),
        )
        .route(
            "/latin1",
            get(move || {
                let body = latin1.clone();
                async move { html(body, "text/html; charset=ISO-8859-1") }
            }),
        )
        .route("/to-article", get(|| async { redirect("/article") }))
        .route(
            "/to-metadata",
            get(|| async { redirect("http://169.254.169.254/latest/meta-data/") }),
        )
        .route(
            "/to-private",
            get(|| async { redirect("http://10.0.0.7/admin") }),
        )
        .route(
            "/to-mapped",
            get(|| async { redirect("http://[::ffff:192.168.0.1]/") }),
        )
        .route("/to-file", get(|| async { redirect("file:///etc/passwd") }))
        .route("/loop", get(|| async { redirect("/loop") }))
        .route(
            "/huge",
            get(|| async {
                // 50 MB in 1 MB chunks, with no Content-Length: the cap must cut the stream.
                let chunks = futures_util::stream::iter(
                    (0..50).map(|_| Ok::<_, std::io::Error>(vec![b'a'; 1 << 20])),
                );
                html(Body::from_stream(chunks), "text/html")
            }),
        )
        .route(
            "/stall",
            get(|| async {
                tokio::time::sleep(Duration::from_secs(60)).await;
                html(ARTICLE, "text/html")
            }),
        )
        .route(
            "/pdf",
            get(|| async { html(&b"%PDF-1.7"[..], "application/pdf") }),
        )
        .route(
            "/menu",
            get(|| async { html("<nav><a href=\"/\">Accueil</a></nav>", "text/html") }),
        )
        .route("/gone", get(|| async { StatusCode::NOT_FOUND }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    address
}

/// The tests' policy: loopback allowed (the server is on it), short waits.
fn loopback() -> FetchPolicy {
    FetchPolicy {
        allow_loopback: true,
        first_byte_timeout: Duration::from_secs(1),
        total_timeout: Duration::from_secs(5),
        ..FetchPolicy::default()
    }
}

#[tokio::test]
async fn pages_are_fetched_and_their_charset_comes_out_right() {
    let server = serve().await;
    let page = fetch(&format!("http://{server}/to-article"), &loopback())
        .await
        .unwrap();
    assert!(
        page.url.ends_with("/article"),
        "redirects are followed: {}",
        page.url
    );
    assert_eq!(page.charset.as_deref(), Some("utf-8"));
    let by = AddedBy {
        who: "test".into(),
        at: "2026-12-03T09:00:00Z".into(),
    };
    for path in ["article", "latin1"] {
        let page = fetch(&format!("http://{server}/{path}"), &loopback())
            .await
            .unwrap();
        let submission = Submission::Page {
            bytes: page.bytes,
            url: Some(page.url),
            charset: page.charset,
        };
        let new = coverage_bot::add::prepare(&submission, &by).unwrap();
        assert!(
            new.text.contains("Le marché couvert de la place Carnot"),
            "{path}: {}",
            new.text
        );
        assert!(new.text.contains("quarante-deux étals"), "{path}");
    }
}

#[tokio::test]
async fn refused_addresses_redirects_bodies_types_and_stalls_fail_with_the_reason() {
    let server = serve().await;
    let url = |path: &str| format!("http://{server}/{path}");
    let policy = loopback();
    for path in ["to-metadata", "to-private", "to-mapped"] {
        match fetch(&url(path), &policy).await {
            Err(FetchError::RefusedAddress { .. }) => {}
            other => panic!("{path}: {other:?}"),
        }
    }
    assert!(matches!(
        fetch(&url("to-file"), &policy).await,
        Err(FetchError::BadUrl(_))
    ));
    assert_eq!(
        fetch(&url("loop"), &policy).await.unwrap_err(),
        FetchError::Redirects
    );
    assert_eq!(
        fetch(&url("pdf"), &policy).await.unwrap_err(),
        FetchError::NotHtml("application/pdf".into())
    );
    assert_eq!(
        fetch(&url("gone"), &policy).await.unwrap_err(),
        FetchError::Status(404)
    );

    let started = Instant::now();
    assert!(matches!(
        fetch(&url("huge"), &policy).await,
        Err(FetchError::TooLarge { .. })
    ));
    let started_stall = Instant::now();
    assert!(matches!(
        fetch(&url("stall"), &policy).await,
        Err(FetchError::Timeout(_))
    ));
    assert!(
        started_stall.elapsed() < Duration::from_secs(10),
        "the stall is cut at the cap"
    );
    assert!(started.elapsed() < Duration::from_secs(30));

    // A page without an article is fetched, then refused by the extraction.
    let menu = fetch(&url("menu"), &policy).await.unwrap();
    let submission = Submission::Page {
        bytes: menu.bytes,
        url: Some(menu.url),
        charset: None,
    };
    let by = AddedBy {
        who: "test".into(),
        at: "2026-12-03T09:00:00Z".into(),
    };
    assert!(coverage_bot::add::prepare(&submission, &by).is_err());
}

#[tokio::test]
async fn without_the_tests_permission_loopback_itself_is_refused_before_connecting() {
    let server = serve().await;
    let default = FetchPolicy::default();
    for address in [
        format!("http://{server}/article"),
        format!("http://localhost:{}/article", server.port()),
    ] {
        match fetch(&address, &default).await {
            Err(FetchError::RefusedAddress { network, .. }) => assert_eq!(network, "loopback"),
            other => panic!("{address}: {other:?}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_fetches_a_page_only_where_the_config_allows_and_recognises_its_url() {
    let server = serve().await;
    let t = crate::support::fixtures::TempCorpus::new();
    let cwd = tempfile::tempdir().unwrap();
    let (corpus, data, dir) = (t.corpus(), t.data(), cwd.path().to_path_buf());
    let cli = move |args: Vec<String>| {
        let (corpus, data, dir) = (corpus.clone(), data.clone(), dir.clone());
        async move {
            tokio::task::spawn_blocking(move || {
                let args: Vec<&str> = args.iter().map(String::as_str).collect();
                crate::support::fixtures::run_cli(&dir, &corpus, &data, &args)
            })
            .await
            .unwrap()
        }
    };
    let files =
        |t: &crate::support::fixtures::TempCorpus| std::fs::read_dir(t.corpus()).unwrap().count();
    let before = files(&t);
    let address = format!("http://{server}/article");

    // The default config refuses loopback: nothing is fetched or written.
    let refused = cli(vec!["add".into(), address.clone()]).await;
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    assert!(String::from_utf8_lossy(&refused.stderr).contains("loopback"));
    assert_eq!(files(&t), before);

    // Allowed in the config (as an intranet bot would allow private networks).
    std::fs::create_dir_all(cwd.path().join("config")).unwrap();
    std::fs::write(
        cwd.path().join("config/coverage-bot.toml"),
        "[fetch]\nallow_loopback = true\n",
    )
    .unwrap();
    let added = cli(vec!["add".into(), address.clone()]).await;
    assert!(added.status.success(), "{added:?}");
    assert_eq!(files(&t), before + 1);
    let again = cli(vec!["add".into(), address.clone()]).await;
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("already in the corpus"),
        "{again:?}"
    );
    let answer = cli(vec![
        "ask".into(),
        "--json".into(),
        "Combien d'étals au marché couvert ?".into(),
    ])
    .await;
    let json: serde_json::Value = serde_json::from_slice(&answer.stdout).unwrap();
    assert_eq!(json["hits"][0]["url"], address.as_str(), "{json}");
    assert!(json["hits"][0]["quote"]
        .as_str()
        .unwrap()
        .contains("quarante-deux"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_through_discord_fetches_indexes_answers_and_audits() {
    use crate::support::harness::{assert_all_messages_ok, is_ephemeral, text_of, Harness};
    use fake_discord::{DEFAULT_MEMBER_PERMISSIONS, PERM_MANAGE_GUILD, TEST_USER_ID};
    use serde_json::json;

    let server = serve().await;
    let t = crate::support::fixtures::TempCorpus::new();
    let h = Harness::start_fetching_from_loopback(t.corpus(), None).await;
    let d = &h.discord;
    let moderator = DEFAULT_MEMBER_PERMISSIONS | PERM_MANAGE_GUILD;
    let add = |url: String, permissions: u64| {
        d.slash_command(
            "add",
            json!([{"name": "url", "type": 3, "value": url}]),
            TEST_USER_ID,
            "en-US",
            permissions,
        )
    };
    let harness = &h;
    let result_of = |token: String| async move { harness.deferred_result(&token).await };

    // Without Manage Server: refused, nothing fetched.
    let (id, _, payload) = add(
        format!("http://{server}/article"),
        DEFAULT_MEMBER_PERMISSIONS,
    );
    let body = h.reply_body(payload, id).await;
    assert!(is_ephemeral(&body) && text_of(&body).contains("Manage Server"));
    assert_eq!(h.library.status().articles, 5);

    // Added: the reply is the new article's card, and /ask quotes it.
    let (id, token, payload) = add(format!("http://{server}/to-article"), moderator);
    h.interact(payload, id).await;
    let done = result_of(token).await;
    let text = text_of(&done.body);
    assert!(
        text.contains("Added") && text.contains("(2 paragraphs)"),
        "{text}"
    );
    assert!(
        text.contains("Le marché couvert rouvre"),
        "the card: {text}"
    );
    assert_eq!(done.files.len(), 1, "the article is attached to its card");
    assert_eq!(h.library.status().articles, 6);
    let (id, _, payload) = d
        .ask("Combien d'étals compte le marché couvert ?")
        .results(1)
        .locale("fr")
        .build();
    let answer = text_of(&h.reply_body(payload, id).await);
    assert!(answer.contains("quarante-deux"), "{answer}");

    // The same page again, and a page behind a redirect to the metadata address.
    let (id, token, payload) = add(format!("http://{server}/article"), moderator);
    h.interact(payload, id).await;
    assert!(text_of(&result_of(token).await.body).contains("already has this article"));
    let (id, token, payload) = add(format!("http://{server}/to-metadata"), moderator);
    h.interact(payload, id).await;
    let refused = text_of(&result_of(token).await.body);
    assert!(
        refused.contains("Nothing was added") && refused.contains("169.254.169.254"),
        "{refused}"
    );
    assert_eq!(h.library.status().articles, 6);

    let (events, _) = h.library.audit_log().read(None).unwrap();
    let adds: Vec<&str> = events
        .iter()
        .filter(|e| matches!(e.action, coverage_bot::audit::AuditAction::Add { .. }))
        .map(|e| e.outcome.as_str())
        .collect();
    assert_eq!(adds.len(), 4, "{adds:?}");
    assert!(
        adds[0].starts_with("refused")
            && adds[1].starts_with("ok")
            && adds[3].starts_with("failed"),
        "{adds:?}"
    );
    assert_all_messages_ok(d);
    h.stop().await;
}
