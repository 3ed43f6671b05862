//! Adding an article to the corpus: from a web page (its article extracted) or a text file. The
//! result is a Markdown file with front matter (title, url, outlet, date, author, who added it
//! and when), named `slug-hash.md`, written whole or not at all.
//!
//! The same article is recognised when it comes again: the same URL as an article of the corpus,
//! or the same text (its hash is in the file name, and the whole file's hash in the catalog).

use std::path::{Path, PathBuf};

use crate::corpus::ArticleMeta;
use crate::extract::ExtractError;
use crate::page::{article_of, document, FrontMatter};
use crate::text::fold;

/// Largest file or page accepted, in bytes.
pub const MAX_INPUT_BYTES: usize = crate::extract::MAX_HTML_BYTES;

/// Why an article was not added. Nothing was written.
#[derive(Debug, thiserror::Error)]
pub enum AddError {
    /// The page has no article (or it is too large to read).
    #[error(transparent)]
    Extract(#[from] ExtractError),
    /// The text is empty, binary or not a text file.
    #[error("{0}")]
    NotText(String),
    /// The file type is not one the corpus takes.
    #[error("{name:?}: only .html, .htm, .md and .txt files are added")]
    UnsupportedType {
        /// The name given.
        name: String,
    },
    /// An attachment larger than [`MAX_INPUT_BYTES`].
    #[error("the file is {bytes} bytes; files over {MAX_INPUT_BYTES} bytes are not added")]
    TooLarge {
        /// Its size.
        bytes: u64,
    },
    /// The page or file could not be fetched.
    #[error(transparent)]
    Fetch(#[from] crate::fetch::FetchError),
    /// Writing into the corpus failed.
    #[error("{}: {source}", path.display())]
    Io {
        /// The path involved.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

/// What is being added.
#[derive(Debug, Clone)]
pub enum Submission {
    /// A web page, as bytes (any charset), with its address and the charset its server declared.
    Page {
        /// The page's bytes.
        bytes: Vec<u8>,
        /// Where it came from, if anywhere.
        url: Option<String>,
        /// The charset of the HTTP `Content-Type`, if any.
        charset: Option<String>,
    },
    /// A file: `.html`/`.htm` is read as a page, `.md`/`.txt` as text.
    File {
        /// Its name (only the extension and the stem are used).
        name: String,
        /// Its bytes.
        bytes: Vec<u8>,
    },
}

/// Where an article to add is fetched from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// A web page.
    Url(String),
    /// A Discord attachment: its name (which says its type), its declared size and its address.
    Attachment {
        /// The file name.
        name: String,
        /// The size Discord declares, checked before anything is downloaded.
        size: u64,
        /// Where Discord serves it.
        url: String,
    },
}

impl Origin {
    /// What was given, as the audit trail records it.
    pub fn given(&self) -> String {
        match self {
            Origin::Url(url) => url.clone(),
            Origin::Attachment { name, .. } => format!("attachment {name}"),
        }
    }
}

/// Fetches what `origin` points at under `policy` (the same address checks for an attachment
/// as for a page). An attachment's type and declared size are checked before it is downloaded.
pub async fn fetch_submission(
    origin: &Origin,
    policy: &crate::fetch::FetchPolicy,
) -> Result<Submission, AddError> {
    match origin {
        Origin::Url(url) => {
            let page = crate::fetch::fetch(url, policy).await?;
            Ok(Submission::Page {
                bytes: page.bytes,
                url: Some(page.url),
                charset: page.charset,
            })
        }
        Origin::Attachment { name, size, url } => {
            file_kind(name)?;
            if *size > MAX_INPUT_BYTES as u64 {
                return Err(AddError::TooLarge { bytes: *size });
            }
            let file = crate::fetch::fetch_file(url, policy).await?;
            Ok(Submission::File {
                name: name.clone(),
                bytes: file.bytes,
            })
        }
    }
}

/// How a file is read, by its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum FileKind {
    Page,
    Text,
}

fn file_kind(name: &str) -> Result<FileKind, AddError> {
    if !crate::corpus::has_article_extension(Path::new(name)) {
        return Err(AddError::UnsupportedType {
            name: name.to_string(),
        });
    }
    Ok(if crate::corpus::is_html(name) {
        FileKind::Page
    } else {
        FileKind::Text
    })
}

/// Who added it, and when (RFC 3339).
#[derive(Debug, Clone)]
pub struct AddedBy {
    /// Display name and id, e.g. `Ann (discord 42)`.
    pub who: String,
    /// When.
    pub at: String,
}

/// An article ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewArticle {
    /// The corpus file name: `slug-hash.md`.
    pub file: String,
    /// The whole file: front matter and body.
    pub text: String,
    /// The source URL, if any.
    pub url: Option<String>,
    /// Hash of the body, as it appears in the file name.
    pub body_hash: String,
}

/// A readable, file-safe slug of a title: folded to ASCII letters and digits joined by `-`, at
/// most 60 characters; `article` when nothing is left.
pub fn slug(title: &str) -> String {
    let folded = fold(title);
    let mut out = String::new();
    for word in folded.split(|c: char| !c.is_ascii_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        if out.len() + word.len() + 1 > 60 {
            break;
        }
        if !out.is_empty() {
            out.push('-');
        }
        out.push_str(word);
    }
    if out.is_empty() {
        "article".into()
    } else {
        out
    }
}

/// Turns a submission into the file to write.
pub fn prepare(submission: &Submission, added_by: &AddedBy) -> Result<NewArticle, AddError> {
    match submission {
        Submission::Page {
            bytes,
            url,
            charset,
        } => prepare_page(bytes, url.as_deref(), charset.as_deref(), added_by),
        Submission::File { name, bytes } => match file_kind(name)? {
            FileKind::Page => prepare_page(bytes, None, None, added_by),
            FileKind::Text => prepare_text(name, bytes, added_by),
        },
    }
}

fn prepare_page(
    bytes: &[u8],
    url: Option<&str>,
    charset: Option<&str>,
    added_by: &AddedBy,
) -> Result<NewArticle, AddError> {
    let article = article_of(bytes, url, charset)?;
    let front = FrontMatter {
        added_by: Some(&added_by.who),
        added_at: Some(&added_by.at),
        ..FrontMatter::of_page(&article, url)
    };
    Ok(assemble(&front, &article.body(), url))
}

fn prepare_text(name: &str, bytes: &[u8], added_by: &AddedBy) -> Result<NewArticle, AddError> {
    let text = crate::corpus::decode_text(bytes.to_vec(), MAX_INPUT_BYTES as u64)
        .map_err(|reason| AddError::NotText(reason.to_string()))?;
    // Parsed as the corpus will parse it: the title and any front matter come along.
    let cleaner = crate::clean::Cleaner::new(&[]).map_err(|e| AddError::NotText(e.to_string()))?;
    let article = crate::corpus::parse_article(name, text, &cleaner)
        .map_err(|reason| AddError::NotText(reason.to_string()))?;
    let meta = &article.meta;
    let body = article
        .text
        .get(meta.body_start.unwrap_or(0)..)
        .unwrap_or(&article.text)
        .trim_start()
        .to_string();
    let front = FrontMatter {
        title: &meta.title,
        url: meta.url.as_deref(),
        outlet: meta.outlet.as_deref(),
        date: meta.date.as_deref(),
        author: meta.author.as_deref(),
        added_by: Some(&added_by.who),
        added_at: Some(&added_by.at),
    };
    Ok(assemble(&front, &body, meta.url.as_deref()))
}

fn assemble(front: &FrontMatter<'_>, body: &str, url: Option<&str>) -> NewArticle {
    let body_hash = crate::corpus::body_hash(body);
    NewArticle {
        file: format!("{}-{body_hash}.md", slug(front.title)),
        text: document(front, body),
        url: url.map(str::to_string),
        body_hash,
    }
}

/// The article of the corpus that `new` repeats, if any: the same URL, or the same body (by the
/// body hash the catalog records, or, in a catalog too old to record it, the hash in the names
/// of the files this module writes).
pub fn existing<'a>(new: &NewArticle, articles: &'a [ArticleMeta]) -> Option<&'a ArticleMeta> {
    let same_url = |a: &&ArticleMeta| {
        new.url.is_some() && a.url.as_deref().map(str::trim) == new.url.as_deref().map(str::trim)
    };
    let suffix = format!("-{}.md", new.body_hash);
    let same_body = |a: &&ArticleMeta| match &a.body_hash {
        Some(hash) => *hash == new.body_hash,
        None => a.file.ends_with(&suffix),
    };
    articles.iter().find(|a| same_url(a) || same_body(a))
}

/// Writes `new` into `corpus_dir` under its name, whole or not at all: into a hidden temporary
/// file first (the corpus listing skips hidden files), synced, then linked to its name, which
/// fails rather than overwrite. Returns the path.
pub fn write(corpus_dir: &Path, new: &NewArticle) -> Result<PathBuf, AddError> {
    use std::io::Write;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| AddError::Io { path, source }
    };
    let target = corpus_dir.join(&new.file);
    let temporary = corpus_dir.join(format!(".coverage-bot-add-{}.tmp", std::process::id()));
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temporary)
        .map_err(io(&temporary))?;
    let written = file
        .write_all(new.text.as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| std::fs::hard_link(&temporary, &target));
    // The temporary file is ours: it goes whether the link was made or not.
    let _ = std::fs::remove_file(&temporary);
    written.map_err(io(&target))?;
    Ok(target)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn by() -> AddedBy {
        AddedBy {
            who: "Ann (discord 42)".into(),
            at: "2026-12-03T09:00:00Z".into(),
        }
    }

    const PAGE: &str = "<html><head><title>Le budget des écoles voté à 4 %</title>\
        <meta property=\"og:site_name\" content=\"La Gazette\"></head><body><nav>Accueil</nav>\
        <article><h1>Le budget des écoles voté à 4 %</h1>\
        <p>Le conseil municipal a voté mardi le budget des écoles, en hausse de 4 % sur un an, \
        après deux heures de débat et une longue discussion sur les cantines scolaires.</p>\
        <p>La piscine municipale rouvrira en juin, une fois les travaux d'étanchéité terminés, \
        a précisé le maire, qui a aussi annoncé un nouveau gymnase pour la rentrée.</p>\
        </article></body></html>";

    #[test]
    fn a_page_becomes_markdown_with_front_matter_that_the_corpus_reads_back() {
        let submission = Submission::Page {
            bytes: PAGE.as_bytes().to_vec(),
            url: Some("https://example.org/budget".into()),
            charset: None,
        };
        let new = prepare(&submission, &by()).unwrap();
        assert!(
            new.file.starts_with("le-budget-des-ecoles-vote-a-4-"),
            "{}",
            new.file
        );
        assert!(new.file.ends_with(".md") && new.file.len() < 80);
        let cleaner = crate::clean::Cleaner::new(&[]).unwrap();
        let article = crate::corpus::parse_article(&new.file, new.text.clone(), &cleaner).unwrap();
        assert_eq!(article.meta.title, "Le budget des écoles voté à 4 %");
        assert_eq!(
            article.meta.url.as_deref(),
            Some("https://example.org/budget")
        );
        assert_eq!(article.meta.outlet.as_deref(), Some("La Gazette"));
        assert_eq!(article.paragraphs.len(), 2, "{}", new.text);
        assert!(
            new.text.contains("added_by: Ann (discord 42)"),
            "{}",
            new.text
        );
        assert!(new.text.contains("added_at:"), "{}", new.text);
    }

    #[test]
    fn the_same_article_is_recognised_by_url_body_or_file() {
        let new = prepare(
            &Submission::File {
                name: "note.txt".into(),
                bytes: "Titre de la note\n\nUn paragraphe assez long pour être un article de la note.\n"
                    .as_bytes()
                    .to_vec(),
            },
            &by(),
        )
        .unwrap();
        let meta = |file: &str, url: Option<&str>, hash: &str| ArticleMeta {
            file: file.into(),
            title: String::new(),
            url: url.map(str::to_string),
            outlet: None,
            date: None,
            author: None,
            bytes: 0,
            paragraphs: 1,
            hash: hash.into(),
            body_start: None,
            title_in_front_matter: false,
            body_hash: None,
            rows: 0..0,
        };
        let others = [meta("a.md", Some("https://x.org/a"), "h")];
        assert!(existing(&new, &others).is_none());
        let same_body = [meta(&format!("autre-{}.md", new.body_hash), None, "h")];
        assert!(existing(&new, &same_body).is_some());
        // A catalog that records body hashes recognises the body under any name.
        let mut dropped = meta("page.html", None, "h");
        dropped.body_hash = Some(new.body_hash.clone());
        assert!(existing(&new, std::slice::from_ref(&dropped)).is_some());
        dropped.body_hash = Some("00000000".into());
        assert!(existing(&new, &[dropped]).is_none());
        let mut with_url = new.clone();
        with_url.url = Some("https://x.org/a".into());
        assert_eq!(
            existing(&with_url, &others).map(|a| a.file.as_str()),
            Some("a.md")
        );
    }

    #[test]
    fn writing_never_overwrites_and_leaves_no_temporary_file() {
        let dir = tempfile::tempdir().unwrap();
        let new = NewArticle {
            file: "a-1234.md".into(),
            text: "---\ntitle: A\n---\n\nCorps.\n".into(),
            url: None,
            body_hash: "1234".into(),
        };
        write(dir.path(), &new).unwrap();
        let mut other = new.clone();
        other.text = "autre".into();
        assert!(matches!(
            write(dir.path(), &other),
            Err(AddError::Io { .. })
        ));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("a-1234.md")).unwrap(),
            new.text
        );
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names.len(), 1, "{names:?}");
    }

    #[test]
    fn other_files_and_pages_without_articles_are_refused() {
        let file = |name: &str, bytes: &[u8]| Submission::File {
            name: name.into(),
            bytes: bytes.to_vec(),
        };
        assert!(matches!(
            prepare(&file("x.pdf", b"%PDF"), &by()),
            Err(AddError::UnsupportedType { .. })
        ));
        assert!(matches!(
            prepare(&file("x.html", b"<p>court</p>"), &by()),
            Err(AddError::Extract(ExtractError::NoArticle))
        ));
        assert!(matches!(
            prepare(&file("x.txt", b"\0\0\0binary"), &by()),
            Err(AddError::NotText(_))
        ));
        assert_eq!(slug("«  »"), "article");
        assert_eq!(slug("L'été à Paris !"), "l-ete-a-paris");
    }

    #[tokio::test]
    async fn attachments_are_checked_before_anything_is_downloaded() {
        let policy = crate::fetch::FetchPolicy::default();
        let attachment = |name: &str, size: u64, url: &str| Origin::Attachment {
            name: name.into(),
            size,
            url: url.into(),
        };
        // Refused by name and by declared size: no address is even looked at.
        let pdf = attachment("scan.pdf", 10, "http://127.0.0.1:9/scan.pdf");
        assert!(matches!(
            fetch_submission(&pdf, &policy).await,
            Err(AddError::UnsupportedType { .. })
        ));
        let big = attachment(
            "big.md",
            MAX_INPUT_BYTES as u64 + 1,
            "http://127.0.0.1:9/big.md",
        );
        assert!(matches!(
            fetch_submission(&big, &policy).await,
            Err(AddError::TooLarge { .. })
        ));
        // The address itself goes through the fetch policy, as a page's does.
        let inside = attachment("a.md", 10, "http://169.254.169.254/a.md");
        assert!(matches!(
            fetch_submission(&inside, &policy).await,
            Err(AddError::Fetch(
                crate::fetch::FetchError::RefusedAddress { .. }
            ))
        ));
        assert_eq!(inside.given(), "attachment a.md");
    }
}
