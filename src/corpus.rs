//! Corpus loading: walking the folder, reading articles safely, finding titles, metadata and
//! paragraphs. Files that cannot be used are skipped with a reason, never fatal.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::clean::{ends_like_sentence, Cleaner};
use crate::error::{CoreError, CorpusProblem, Result};
use crate::span::Span;
use crate::text::short_hash;

/// File extensions read as articles. HTML pages are read as the Markdown document their
/// article makes (see [`crate::page::stored_document`]).
pub const ARTICLE_EXTENSIONS: &[&str] = &["txt", "md", "html", "htm"];

/// Descriptive metadata of one article, kept in the catalog beside the index.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ArticleMeta {
    /// File name relative to the corpus folder, with `/` separators: what users cite.
    pub file: String,
    /// Display title.
    pub title: String,
    /// Source URL, from front matter.
    pub url: Option<String>,
    /// Outlet name, from front matter or a masthead line.
    pub outlet: Option<String>,
    /// Publication date as written in front matter.
    pub date: Option<String>,
    /// Author, from front matter.
    pub author: Option<String>,
    /// Size of the text read, in bytes (of an HTML page, its article's document).
    pub bytes: u64,
    /// Number of article paragraphs (boilerplate excluded).
    pub paragraphs: usize,
    /// Short hash of the file's content.
    pub hash: String,
    /// Byte offset where the body starts, after any front matter; `None` in catalogs written
    /// before it was recorded (then `source` parses the front matter again).
    #[serde(default)]
    pub body_start: Option<usize>,
    /// Whether the title came from front matter (so it is not looked for in the body).
    #[serde(default)]
    pub title_in_front_matter: bool,
    /// [`body_hash`] of the body (the text after any front matter): how the same article is
    /// recognised under another name or with other front matter. `None` in older catalogs.
    #[serde(default)]
    pub body_hash: Option<String>,
    /// Its passages' rows in the generation's embedding matrix (contiguous: an article's
    /// passages are indexed together). Set by the build; empty for an article only parsed.
    #[serde(default)]
    pub rows: std::ops::Range<usize>,
}

/// One numbered paragraph of an article: a content block, with a short heading that precedes it
/// attached.
#[derive(Debug, Clone, PartialEq)]
pub struct Paragraph {
    /// 1-based paragraph number, counting the article's own paragraphs.
    pub number: usize,
    /// Where the paragraph is in the file, its attached heading included.
    pub span: Span,
    /// Where the paragraph's own text is (after an attached heading; same end).
    pub body: Span,
}

/// A parsed article: its original text and where its paragraphs are.
#[derive(Debug, Clone)]
pub struct Article {
    /// Metadata.
    pub meta: ArticleMeta,
    /// The whole file, verbatim.
    pub text: String,
    /// Numbered paragraphs.
    pub paragraphs: Vec<Paragraph>,
    /// Byte ranges of blocks recognized as boilerplate.
    pub boilerplate: Vec<Span>,
}

impl Article {
    /// The verbatim text of a paragraph.
    pub fn paragraph_text(&self, paragraph: &Paragraph) -> &str {
        paragraph.span.of(&self.text)
    }
}

/// Why a file was not indexed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SkipReason {
    /// The file is not valid UTF-8.
    NotUtf8,
    /// The file is empty or only whitespace.
    Empty,
    /// The file holds binary data.
    Binary,
    /// The file is over the configured size cap.
    TooLarge { bytes: u64, max: u64 },
    /// A symlink that points outside the corpus folder.
    OutsideCorpus,
    /// Not a `.txt`, `.md`, `.html` or `.htm` file.
    UnsupportedType,
    /// An HTML page in which no article was found.
    NoArticle,
    /// The file has no paragraph of article text once boilerplate is removed.
    NoContent,
    /// The file could not be read.
    Unreadable { message: String },
    /// The name cannot be shown or cited faithfully; the skipped entry's name is escaped.
    UnsupportedName { problem: NameProblem },
    /// Another name (symlink or hard link) of a file that is indexed under `of`.
    Alias { of: String },
}

/// Why a file name is not supported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NameProblem {
    /// Not valid UTF-8.
    NotUtf8,
    /// Holds a backslash, which `source` refuses as a path separator.
    Backslash,
    /// Holds a control character (newline, tab, escape...).
    ControlCharacter,
}

impl fmt::Display for NameProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NameProblem::NotUtf8 => write!(f, "not valid UTF-8"),
            NameProblem::Backslash => write!(f, "contains a backslash"),
            NameProblem::ControlCharacter => write!(f, "contains a control character"),
        }
    }
}

impl std::error::Error for SkipReason {}

impl fmt::Display for SkipReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SkipReason::NotUtf8 => write!(f, "not UTF-8 text"),
            SkipReason::Empty => write!(f, "empty file"),
            SkipReason::Binary => write!(f, "binary data"),
            SkipReason::TooLarge { bytes, max } => {
                write!(f, "too large ({bytes} bytes, limit {max})")
            }
            SkipReason::OutsideCorpus => write!(f, "symlink pointing outside the corpus folder"),
            SkipReason::UnsupportedType => write!(f, "not a .txt, .md, .html or .htm file"),
            SkipReason::NoArticle => write!(f, "no article found in the HTML page"),
            SkipReason::NoContent => write!(f, "no article text after removing boilerplate"),
            SkipReason::Unreadable { message } => write!(f, "unreadable: {message}"),
            SkipReason::UnsupportedName { problem } => {
                write!(f, "file name cannot be shown or cited: {problem}")
            }
            SkipReason::Alias { of } => write!(f, "same file as {of}"),
        }
    }
}

/// A file that was skipped, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SkippedFile {
    /// File name relative to the corpus folder.
    pub file: String,
    /// Why it was skipped.
    pub reason: SkipReason,
}

/// A corpus file found by the listing.
#[derive(Debug, Clone, PartialEq)]
pub struct CorpusEntry {
    /// Name relative to the corpus folder, `/`-separated.
    pub name: String,
    /// Full path.
    pub path: PathBuf,
    /// Size in bytes (of the target, for symlinks).
    pub size: u64,
    /// Modification time in nanoseconds since the epoch, 0 when unknown.
    pub modified_ns: u128,
}

/// Folders of the running system that are never a corpus: walking them is slow, never ends
/// (`/proc`) or reads device nodes.
const SYSTEM_FOLDERS: &[&str] = &["/proc", "/sys", "/dev", "/run"];

/// Checks that `dir` can be a corpus root and returns its canonical path. Refuses a missing path,
/// a file, the file-system root and the system folders (`/proc`, `/sys`, `/dev`, `/run`), with
/// [`CoreError::Corpus`], before anything is walked.
pub fn check_root(dir: &Path) -> Result<PathBuf> {
    let refuse = |message: String| CoreError::Corpus {
        path: dir.to_path_buf(),
        problem: CorpusProblem::Refused(message),
    };
    let unreadable = |error: std::io::Error| CoreError::Corpus {
        path: dir.to_path_buf(),
        problem: CorpusProblem::Unreadable(error),
    };
    let root = dir.canonicalize().map_err(unreadable)?;
    if root == Path::new("/") {
        return Err(refuse(
            "it is the root of the file system; point the corpus at the folder of articles".into(),
        ));
    }
    if let Some(system) = SYSTEM_FOLDERS.iter().find(|s| root.starts_with(s)) {
        return Err(refuse(format!(
            "it is inside the system folder {system}; point the corpus at the folder of articles"
        )));
    }
    let meta = std::fs::metadata(&root).map_err(unreadable)?;
    if !meta.is_dir() {
        return Err(refuse(
            "it is a file; the corpus must be a folder of .txt and .md articles".into(),
        ));
    }
    Ok(root)
}

/// Lists the article files under `dir`, recursively, sorted by name. Hidden files and folders are
/// ignored. Symlinks pointing outside the folder, unsupported files and names, unreadable
/// sub-folders, paths too long for the system and second names of one file (symlinks, hard
/// links) are reported as skipped. Only a root that [`check_root`] refuses, or that cannot be
/// read, is an error.
pub fn list_corpus(dir: &Path) -> Result<(Vec<CorpusEntry>, Vec<SkippedFile>)> {
    let root = check_root(dir)?;
    let mut listing = Listing::new(root.clone());
    let mut walk = walkdir::WalkDir::new(&root)
        .follow_links(false)
        .min_depth(1)
        .into_iter()
        .filter_entry(|e| !is_hidden(e.file_name()));
    while let Some(item) = walk.next() {
        match item {
            Ok(entry) => {
                if listing.visit(&entry) == Visit::SkipFolder {
                    walk.skip_current_dir();
                }
            }
            // Depth 0 is the root itself: without it there is no corpus at all.
            Err(error) if error.depth() == 0 => {
                return Err(CoreError::Corpus {
                    path: dir.to_path_buf(),
                    problem: CorpusProblem::Unreadable(error.into()),
                });
            }
            Err(error) => listing.folder_error(&error),
        }
    }
    Ok(listing.finish())
}

fn is_hidden(name: &std::ffi::OsStr) -> bool {
    name.as_encoded_bytes().first() == Some(&b'.')
}

/// What the walk should do after an entry.
#[derive(Debug, PartialEq)]
enum Visit {
    Continue,
    /// Do not descend into this folder.
    SkipFolder,
}

/// A usable file, with what is needed to recognize two names of one file.
struct Found {
    entry: CorpusEntry,
    /// Device and inode of the file itself (of the target, for symlinks).
    id: (u64, u64),
    is_link: bool,
}

/// The state of a corpus walk.
struct Listing {
    root: PathBuf,
    found: Vec<Found>,
    skipped: Vec<SkippedFile>,
}

impl Listing {
    fn new(root: PathBuf) -> Listing {
        Listing {
            root,
            found: Vec::new(),
            skipped: Vec::new(),
        }
    }

    fn skip(&mut self, file: String, reason: SkipReason) {
        self.skipped.push(SkippedFile { file, reason });
    }

    /// Classifies one entry. Folders are descended by the walk itself; the directory entry
    /// already knows its type, so only files (and symlink targets) are stat-ed, once.
    fn visit(&mut self, entry: &walkdir::DirEntry) -> Visit {
        let file_type = entry.file_type();
        let path = entry.path();
        let name = match entry_name(&self.root, path) {
            Ok(name) => name,
            Err((shown, problem)) => {
                self.skip(shown, SkipReason::UnsupportedName { problem });
                return if file_type.is_dir() {
                    Visit::SkipFolder
                } else {
                    Visit::Continue
                };
            }
        };
        if file_type.is_dir() {
            return Visit::Continue;
        }
        if file_type.is_symlink() {
            self.visit_link(name, path);
        } else if !file_type.is_file() {
            // A FIFO, socket or device would block or never end when read.
            self.skip(name, not_regular());
        } else if !has_article_extension(path) {
            self.skip(name, SkipReason::UnsupportedType);
        } else {
            match entry.metadata() {
                Ok(meta) => self.add(name, path, &meta, false),
                Err(error) => self.skip(name, unreadable(&error)),
            }
        }
        Visit::Continue
    }

    /// A symlink is used only when it resolves inside the corpus; a symlinked folder is not
    /// descended, so nothing is listed twice through it and no loop is followed.
    fn visit_link(&mut self, name: String, path: &Path) {
        match path.canonicalize() {
            Ok(target) if target.starts_with(&self.root) => {}
            _ => return self.skip(name, SkipReason::OutsideCorpus),
        }
        let meta = match std::fs::metadata(path) {
            Ok(meta) => meta,
            Err(error) => {
                return self.skip(
                    name,
                    SkipReason::Unreadable {
                        message: describe_io_error(&error),
                    },
                )
            }
        };
        if meta.is_dir() {
            return;
        }
        if !meta.is_file() {
            self.skip(name, not_regular());
        } else if !has_article_extension(path) {
            self.skip(name, SkipReason::UnsupportedType);
        } else {
            self.add(name, path, &meta, true);
        }
    }

    fn add(&mut self, name: String, path: &Path, meta: &std::fs::Metadata, is_link: bool) {
        use std::os::unix::fs::MetadataExt;
        let modified_ns = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        self.found.push(Found {
            entry: CorpusEntry {
                name,
                path: path.to_path_buf(),
                size: meta.len(),
                modified_ns,
            },
            id: (meta.dev(), meta.ino()),
            is_link,
        });
    }

    /// A sub-folder that cannot be opened (permissions, a path over PATH_MAX) is skipped; the
    /// rest of the corpus is still served.
    fn folder_error(&mut self, error: &walkdir::Error) {
        let file = error
            .path()
            .and_then(|p| p.strip_prefix(&self.root).ok())
            .map(escaped_name)
            .unwrap_or_else(|| "?".into());
        let cause = error
            .io_error()
            .map(describe_io_error)
            .unwrap_or_else(|| error.to_string());
        self.skip(
            file,
            SkipReason::Unreadable {
                message: format!("folder cannot be read: {cause}"),
            },
        );
    }

    fn finish(mut self) -> (Vec<CorpusEntry>, Vec<SkippedFile>) {
        self.found.sort_by(|a, b| a.entry.name.cmp(&b.entry.name));
        let entries = dedup_aliases(self.found, &mut self.skipped);
        self.skipped.sort_by(|a, b| a.file.cmp(&b.file));
        (entries, self.skipped)
    }
}

/// Keeps one name per file (device and inode): the first name that is not a symlink, or the
/// first name when all are symlinks. The other names are skipped as aliases, so an article is
/// never indexed or cited twice. `found` is sorted by name.
fn dedup_aliases(found: Vec<Found>, skipped: &mut Vec<SkippedFile>) -> Vec<CorpusEntry> {
    let mut keeper: std::collections::HashMap<(u64, u64), usize> = std::collections::HashMap::new();
    for (i, f) in found.iter().enumerate() {
        let kept = keeper.entry(f.id).or_insert(i);
        if found[*kept].is_link && !f.is_link {
            *kept = i;
        }
    }
    let kept_names: Vec<Option<String>> = found
        .iter()
        .enumerate()
        .map(|(i, f)| {
            keeper
                .get(&f.id)
                .filter(|&&k| k != i)
                .map(|&k| found[k].entry.name.clone())
        })
        .collect();
    let mut entries = Vec::with_capacity(found.len());
    for (f, alias_of) in found.into_iter().zip(kept_names) {
        match alias_of {
            None => entries.push(f.entry),
            Some(of) => skipped.push(SkippedFile {
                file: f.entry.name,
                reason: SkipReason::Alias { of },
            }),
        }
    }
    entries
}

fn not_regular() -> SkipReason {
    SkipReason::Unreadable {
        message: "not a regular file".into(),
    }
}

fn unreadable(error: &walkdir::Error) -> SkipReason {
    SkipReason::Unreadable {
        message: error
            .io_error()
            .map(describe_io_error)
            .unwrap_or_else(|| error.to_string()),
    }
}

/// A short reason for an I/O error, naming the PATH_MAX case plainly.
fn describe_io_error(error: &std::io::Error) -> String {
    match error.kind() {
        std::io::ErrorKind::InvalidFilename => {
            "path too long for the system (over PATH_MAX)".to_string()
        }
        std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
        kind => kind.to_string(),
    }
}

/// Whether the file's extension is one the corpus reads ([`ARTICLE_EXTENSIONS`]).
pub(crate) fn has_article_extension(path: &Path) -> bool {
    let extension = path
        .extension()
        .map(|e| e.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    ARTICLE_EXTENSIONS.contains(&extension.as_str())
}

/// The `/`-separated name of a corpus path, or, when a part of it cannot be shown and cited
/// faithfully, its escaped form and the problem.
fn entry_name(root: &Path, path: &Path) -> std::result::Result<String, (String, NameProblem)> {
    let relative = path.strip_prefix(root).unwrap_or(path);
    let mut parts = Vec::new();
    for component in relative.components() {
        let problem = match component.as_os_str().to_str() {
            None => Some(NameProblem::NotUtf8),
            Some(part) if part.contains('\\') => Some(NameProblem::Backslash),
            Some(part) if part.chars().any(char::is_control) => Some(NameProblem::ControlCharacter),
            Some(part) => {
                parts.push(part);
                None
            }
        };
        if let Some(problem) = problem {
            return Err((escaped_name(relative), problem));
        }
    }
    Ok(parts.join("/"))
}

/// A printable, unambiguous form of a path: control characters and backslashes are escaped as
/// in Rust strings, bytes that are not UTF-8 as `\xNN`, so two different bad names stay
/// different.
fn escaped_name(relative: &Path) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    for chunk in relative.as_os_str().as_encoded_bytes().utf8_chunks() {
        for c in chunk.valid().chars() {
            if c.is_control() || c == '\\' {
                out.extend(c.escape_default());
            } else {
                out.push(c);
            }
        }
        for byte in chunk.invalid() {
            let _ = write!(out, "\\x{byte:02x}");
        }
    }
    out
}

/// Reads and parses one article. The size cap is checked again on the bytes actually read, since
/// the file may have changed since it was listed.
pub fn read_article(
    entry: &CorpusEntry,
    max_bytes: u64,
    cleaner: &Cleaner,
) -> std::result::Result<Article, SkipReason> {
    if entry.size > max_bytes {
        return Err(SkipReason::TooLarge {
            bytes: entry.size,
            max: max_bytes,
        });
    }
    let bytes = read_capped(&entry.path, max_bytes)?;
    let text = article_text(&entry.name, bytes, max_bytes)?;
    parse_article(&entry.name, text, cleaner)
}

/// The text an article file is read as: a text file's own text (checked by [`decode_text`]), or
/// for an HTML page the Markdown document of its article, which is what its paragraphs, hashes
/// and quotes then refer to.
pub fn article_text(
    name: &str,
    bytes: Vec<u8>,
    max_bytes: u64,
) -> std::result::Result<String, SkipReason> {
    if !is_html(name) {
        return decode_text(bytes, max_bytes);
    }
    if bytes.len() as u64 > max_bytes {
        return Err(SkipReason::TooLarge {
            bytes: bytes.len() as u64,
            max: max_bytes,
        });
    }
    crate::page::stored_document(&bytes).map_err(|error| match error {
        crate::extract::ExtractError::TooLarge { bytes } => SkipReason::TooLarge {
            bytes: bytes as u64,
            max: crate::extract::MAX_HTML_BYTES as u64,
        },
        crate::extract::ExtractError::NoArticle => SkipReason::NoArticle,
    })
}

fn read_capped(path: &Path, max_bytes: u64) -> std::result::Result<Vec<u8>, SkipReason> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| SkipReason::Unreadable {
        message: e.kind().to_string(),
    })?;
    let mut bytes = Vec::new();
    // Read one byte past the cap, to tell "exactly at the cap" from "grew past it".
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| SkipReason::Unreadable {
            message: e.kind().to_string(),
        })?;
    Ok(bytes)
}

/// Checks size, binary content and encoding.
pub fn decode_text(bytes: Vec<u8>, max_bytes: u64) -> std::result::Result<String, SkipReason> {
    if bytes.len() as u64 > max_bytes {
        return Err(SkipReason::TooLarge {
            bytes: bytes.len() as u64,
            max: max_bytes,
        });
    }
    if bytes.iter().take(8192).any(|&b| b == 0) {
        return Err(SkipReason::Binary);
    }
    let text = String::from_utf8(bytes).map_err(|_| SkipReason::NotUtf8)?;
    let control = text
        .chars()
        .take(8192)
        .filter(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t' | '\u{c}'))
        .count();
    if control > 8 {
        return Err(SkipReason::Binary);
    }
    if text.trim().is_empty() {
        return Err(SkipReason::Empty);
    }
    Ok(text)
}

/// Front matter fields of a Markdown article.
#[derive(Debug, Default, Deserialize)]
struct FrontMatter {
    title: Option<String>,
    url: Option<String>,
    outlet: Option<String>,
    date: Option<toml::Value>,
    author: Option<String>,
}

/// A block of text: a byte range of one paragraph-like unit in the file.
type Block = Span;

/// Largest front matter parsed, in bytes. Real front matter is a few hundred bytes; a larger
/// block is treated as body text, so a hostile file cannot make indexing (or `source`) slow.
pub const MAX_FRONT_MATTER_BYTES: usize = 16 * 1024;

/// Deepest nesting (flow `[`/`{`, or block indentation) of front matter handed to the YAML or TOML
/// parser; deeper front matter is treated as body text.
pub const MAX_FRONT_MATTER_NESTING: usize = 32;

/// Parses article text already checked to be UTF-8 and non-empty, front matter included.
pub fn parse_article(
    name: &str,
    text: String,
    cleaner: &Cleaner,
) -> std::result::Result<Article, SkipReason> {
    let (front, body_start) = if is_markdown(name) {
        split_front_matter(&text)
    } else {
        (FrontMatter::default(), 0)
    };
    build_article(name, text, front, body_start, cleaner)
}

/// Parses an article whose front matter was already read at index time: `meta` (from the
/// catalog) says where the body starts and what the front matter held, so the front matter is
/// not parsed again. Gives the same paragraphs as [`parse_article`] for the text `meta` was made
/// from; the caller checks that (same hash). A catalog written before the body start was
/// recorded falls back to [`parse_article`].
pub fn parse_article_body(
    name: &str,
    text: String,
    meta: &ArticleMeta,
    cleaner: &Cleaner,
) -> std::result::Result<Article, SkipReason> {
    match meta.body_start {
        Some(start) if text.is_char_boundary(start) => {
            build_article(name, text, FrontMatter::recorded(meta), start, cleaner)
        }
        _ => parse_article(name, text, cleaner),
    }
}

/// Whether the text is read as Markdown with front matter: `.md` files, and HTML pages (read as
/// the Markdown document of their article).
fn is_markdown(name: &str) -> bool {
    name.to_lowercase().ends_with(".md") || is_html(name)
}

/// Whether a corpus file is an HTML page, by its name.
pub(crate) fn is_html(name: &str) -> bool {
    let name = name.to_lowercase();
    name.ends_with(".html") || name.ends_with(".htm")
}

/// Short hash (8 hex digits) of an article's body with its whitespace runs made single spaces:
/// the same text under another layout, name or front matter has the same hash.
pub fn body_hash(body: &str) -> String {
    let normalized = body.split_whitespace().collect::<Vec<_>>().join(" ");
    short_hash(&normalized).chars().take(8).collect()
}

/// Where the title comes from and where the article's own paragraphs begin.
struct Heading {
    title: String,
    outlet: Option<String>,
    /// Index of the first block that is article content.
    first_content: usize,
}

/// The article from its text, its front matter fields and where its body starts.
fn build_article(
    name: &str,
    text: String,
    front: FrontMatter,
    body_start: usize,
    cleaner: &Cleaner,
) -> std::result::Result<Article, SkipReason> {
    let blocks = content_blocks(&text, body_start, is_markdown(name));
    if blocks.is_empty() {
        return Err(SkipReason::Empty);
    }
    let title_in_front_matter = front.title.is_some();
    let heading = find_heading(&text, &blocks, front.title, front.outlet);
    let (paragraphs, boilerplate) =
        number_paragraphs(&text, &blocks[heading.first_content..], cleaner);
    if paragraphs.is_empty() {
        return Err(SkipReason::NoContent);
    }
    let meta = ArticleMeta {
        file: name.to_string(),
        title: heading.title,
        url: front.url,
        outlet: heading.outlet,
        date: front.date.map(|d| match d {
            toml::Value::String(s) => s,
            other => other.to_string(),
        }),
        author: front.author,
        bytes: text.len() as u64,
        paragraphs: paragraphs.len(),
        hash: short_hash(&text),
        body_start: Some(body_start),
        title_in_front_matter,
        body_hash: Some(body_hash(text.get(body_start..).unwrap_or(&text))),
        rows: 0..0,
    };
    Ok(Article {
        meta,
        text,
        paragraphs,
        boilerplate,
    })
}

/// The body's blocks, with trailing photo credits cut off.
fn content_blocks(text: &str, body_start: usize, is_markdown: bool) -> Vec<Block> {
    split_blocks(text, body_start, is_markdown)
        .into_iter()
        .filter_map(
            |block| match crate::clean::trailing_credit_start(block.of(text)) {
                Some(0) => None,
                Some(at) => Some(Span::new(block.start, block.start + at)),
                None => Some(block),
            },
        )
        .collect()
}

/// The title is the front matter's, or the first block. A first line that is a short masthead
/// (the site's name) followed by a headline gives way to the headline. `blocks` is not empty.
fn find_heading(
    text: &str,
    blocks: &[Block],
    front_title: Option<String>,
    front_outlet: Option<String>,
) -> Heading {
    let mut heading = Heading {
        title: String::new(),
        outlet: front_outlet,
        first_content: 0,
    };
    if let Some(title) = front_title {
        heading.title = title;
        return heading;
    }
    let block_text = |b: &Block| clean_heading(b.of(text));
    let first = blocks.first().map(block_text).unwrap_or_default();
    let second = blocks.get(1).map(block_text).unwrap_or_default();
    if blocks.len() > 2
        && is_masthead(&first)
        && is_headline(&second)
        && !ends_like_sentence(&second)
    {
        heading.outlet.get_or_insert(first);
        heading.title = second;
        heading.first_content = 2;
    } else if is_headline(&first) {
        heading.title = first;
        heading.first_content = 1;
    } else {
        // The first line is a lead paragraph: it stays paragraph 1, its first sentence is the
        // display title.
        heading.title = display_title(&first);
    }
    heading
}

/// Numbers the body's paragraphs: boilerplate blocks are set aside, and a short heading is
/// attached to the content paragraph that follows it.
fn number_paragraphs(
    text: &str,
    body: &[Block],
    cleaner: &Cleaner,
) -> (Vec<Paragraph>, Vec<Block>) {
    let texts: Vec<&str> = body.iter().map(|b| b.of(text)).collect();
    let flags = cleaner.boilerplate_flags(&texts);
    let is_boilerplate = |i: usize| flags.get(i).copied().unwrap_or(false);
    let mut paragraphs = Vec::new();
    let mut boilerplate = Vec::new();
    let mut pending_heading: Option<usize> = None;
    for (i, block) in body.iter().enumerate() {
        if is_boilerplate(i) {
            boilerplate.push(*block);
            pending_heading = None;
            continue;
        }
        let next_is_content = i + 1 < body.len() && !is_boilerplate(i + 1);
        if is_heading(texts[i]) && next_is_content {
            pending_heading.get_or_insert(block.start);
            continue;
        }
        paragraphs.push(Paragraph {
            number: paragraphs.len() + 1,
            span: Span::new(pending_heading.take().unwrap_or(block.start), block.end),
            body: *block,
        });
    }
    (paragraphs, boilerplate)
}

impl FrontMatter {
    /// The fields as recorded in the catalog at index time. Only fields that can have come from
    /// the front matter matter here: the title when it did, the rest as recorded (an outlet taken
    /// from a masthead is found again, identical).
    fn recorded(meta: &ArticleMeta) -> FrontMatter {
        FrontMatter {
            title: meta.title_in_front_matter.then(|| meta.title.clone()),
            url: meta.url.clone(),
            outlet: meta.outlet.clone(),
            date: meta.date.clone().map(toml::Value::String),
            author: meta.author.clone(),
        }
    }
}

/// Splits off TOML (`+++`) or YAML (`---`) front matter. Returns the fields and where the body
/// starts. Malformed, oversized or too deeply nested front matter is treated as body text.
fn split_front_matter(text: &str) -> (FrontMatter, usize) {
    let bom = text.len() - text.trim_start_matches('\u{feff}').len();
    for fence in ["---", "+++"] {
        let Some((raw, after)) = fenced_block(text, bom, fence) else {
            continue;
        };
        if let Some(front) = parse_front_matter(raw, fence) {
            return (front, after.min(text.len()));
        }
    }
    (FrontMatter::default(), 0)
}

/// The text between an opening fence line at `from` and the next line starting with the fence,
/// and the offset just past the closing fence. The closing fence is looked for only within
/// [`MAX_FRONT_MATTER_BYTES`], so a file that merely starts with `---` costs no full scan.
fn fenced_block<'a>(text: &'a str, from: usize, fence: &str) -> Option<(&'a str, usize)> {
    let rest = text.get(from..)?.strip_prefix(fence)?;
    let after_fence = text.len() - rest.len();
    let mut lines = raw_lines(text, after_fence);
    // The opening fence must be alone on its line.
    let (_, opening_end, start) = lines.next()?;
    if opening_end != after_fence || start == opening_end {
        return None;
    }
    for (line_start, line_end, _) in lines {
        if line_start - start > MAX_FRONT_MATTER_BYTES {
            return None;
        }
        if text[line_start..line_end].starts_with(fence) {
            return Some((&text[start..line_start], line_start + fence.len()));
        }
    }
    None
}

/// Parses front matter that passed the size and nesting caps.
fn parse_front_matter(raw: &str, fence: &str) -> Option<FrontMatter> {
    if raw.len() > MAX_FRONT_MATTER_BYTES || front_matter_nesting(raw) > MAX_FRONT_MATTER_NESTING {
        return None;
    }
    // TOML allows only `\n` and `\r\n` line breaks; a file with old Mac (`\r`) line breaks
    // is read the same way.
    let raw = raw.replace("\r\n", "\n").replace('\r', "\n");
    if fence == "+++" {
        toml::from_str::<FrontMatter>(&raw).ok()
    } else {
        #[cfg(test)]
        YAML_PARSES.with(|n| n.set(n.get() + 1));
        serde_yaml_ng::from_str::<serde_yaml_ng::Value>(&raw)
            .ok()
            .map(front_matter_from_yaml)
    }
}

#[cfg(test)]
thread_local! {
    /// YAML front matter parses on this thread, so tests can tell that `source` skips them.
    pub(crate) static YAML_PARSES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// An upper bound of the nesting depth of front matter: flow brackets (`[`, `{`) counted without
/// regard to quoting, and block nesting from indentation and compact `- ` / `? ` markers.
/// Over-counting only turns odd front matter into body text; parsers are slow on deep nesting.
fn front_matter_nesting(raw: &str) -> usize {
    let mut flow = 0usize;
    let mut deepest_flow = 0usize;
    for byte in raw.bytes() {
        match byte {
            b'[' | b'{' => {
                flow += 1;
                deepest_flow = deepest_flow.max(flow);
            }
            b']' | b'}' => flow = flow.saturating_sub(1),
            _ => {}
        }
    }
    deepest_flow.max(block_nesting(raw))
}

/// Block nesting depth: the stack of indentation columns, each compact sequence or key marker on
/// a line opening one more level.
fn block_nesting(raw: &str) -> usize {
    let mut columns: Vec<usize> = Vec::new();
    let mut deepest = 0;
    for (start, end, _) in raw_lines(raw, 0) {
        let line = &raw[start..end];
        let content = line.trim_start_matches(' ');
        if content.trim().is_empty() || content.starts_with('#') {
            continue;
        }
        let mut column = line.len() - content.len();
        while columns.last().is_some_and(|&c| c >= column) {
            columns.pop();
        }
        let mut rest = content;
        loop {
            columns.push(column);
            let Some(after) = rest.strip_prefix("- ").or_else(|| rest.strip_prefix("? ")) else {
                break;
            };
            let next = after.trim_start_matches(' ');
            column += rest.len() - next.len();
            rest = next;
        }
        deepest = deepest.max(columns.len());
    }
    deepest
}

fn front_matter_from_yaml(value: serde_yaml_ng::Value) -> FrontMatter {
    let field = |key: &str| -> Option<String> {
        match value.get(key)? {
            serde_yaml_ng::Value::String(s) => Some(s.clone()),
            serde_yaml_ng::Value::Number(n) => Some(n.to_string()),
            serde_yaml_ng::Value::Bool(b) => Some(b.to_string()),
            _ => None,
        }
    };
    FrontMatter {
        title: field("title"),
        url: field("url"),
        outlet: field("outlet"),
        date: field("date").map(toml::Value::String),
        author: field("author"),
    }
}

/// Splits text into blocks. In Markdown, and in text files that are hard-wrapped, a blank line
/// separates paragraphs; otherwise every non-empty line is a paragraph.
fn split_blocks(text: &str, offset: usize, blank_line_mode: bool) -> Vec<Block> {
    let lines = line_ranges(text, offset);
    let by_blank = group_by_blank_lines(text, &lines);
    // Hard-wrapped text has blank lines between paragraphs and short lines of similar length;
    // one-paragraph-per-line text has long lines.
    let hard_wrapped = by_blank.len() >= 2 && {
        let mut lengths: Vec<usize> = lines
            .iter()
            .map(|line| line.of(text).chars().count())
            .filter(|&n| n > 0)
            .collect();
        lengths.sort_unstable();
        let p90 = lengths.get(lengths.len() * 9 / 10).copied().unwrap_or(0);
        p90 <= 100 && by_blank.iter().any(|g| g.len() > 1)
    };
    if blank_line_mode || hard_wrapped {
        by_blank
            .iter()
            .filter_map(|group| Some(Span::new(group.first()?.start, group.last()?.end)))
            .collect()
    } else {
        lines
            .into_iter()
            .filter(|line| !line.of(text).trim().is_empty())
            .collect()
    }
}

/// Byte ranges of the lines, trimmed of surrounding whitespace. `\n`, `\r\n` and a lone `\r`
/// all end a line.
fn line_ranges(text: &str, offset: usize) -> Vec<Block> {
    raw_lines(text, offset)
        .map(|(start, end, _)| {
            let line = &text[start..end];
            let lead = line.len() - line.trim_start().len();
            Span::new(start + lead, start + lead + line.trim().len())
        })
        .collect()
}

/// The lines of `text` from `offset`, as (start, end of the line's text, start of the next
/// line). `\n`, `\r\n` and a lone `\r` (old Mac files) all end a line; offsets stay offsets into
/// `text`.
fn raw_lines(text: &str, offset: usize) -> impl Iterator<Item = (usize, usize, usize)> + '_ {
    let bytes = text.as_bytes();
    let mut start = offset;
    std::iter::from_fn(move || {
        if start >= bytes.len() {
            return None;
        }
        let line_start = start;
        let end = bytes[line_start..]
            .iter()
            .position(|&b| b == b'\n' || b == b'\r')
            .map_or(bytes.len(), |i| line_start + i);
        let next = match bytes.get(end..end + 2) {
            Some(b"\r\n") => end + 2,
            _ if end < bytes.len() => end + 1,
            _ => end,
        };
        start = next;
        Some((line_start, end, next))
    })
}

fn group_by_blank_lines(text: &str, lines: &[Block]) -> Vec<Vec<Block>> {
    let mut groups: Vec<Vec<Block>> = Vec::new();
    let mut current: Vec<Block> = Vec::new();
    for &line in lines {
        if line.of(text).is_empty() {
            if !current.is_empty() {
                groups.push(std::mem::take(&mut current));
            }
        } else {
            current.push(line);
        }
    }
    if !current.is_empty() {
        groups.push(current);
    }
    groups
}

/// Removes Markdown heading markers and collapses whitespace.
fn clean_heading(block: &str) -> String {
    let stripped = block.trim().trim_start_matches('#').trim();
    stripped.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A site name line: a few words, no sentence punctuation.
fn is_masthead(line: &str) -> bool {
    line.split_whitespace().count() <= 4 && line.chars().count() <= 40 && !ends_like_sentence(line)
}

/// A headline: not too long, and not a paragraph of several sentences ending in a period.
fn is_headline(line: &str) -> bool {
    let chars = line.chars().count();
    chars <= 200 && !(line.trim_end().ends_with('.') && chars > 120)
}

/// A short line inside the body that introduces the next paragraph.
fn is_heading(block: &str) -> bool {
    let line = block.trim();
    (line.starts_with('#') || !ends_like_sentence(line))
        && line.chars().count() <= 120
        && !line.contains(['\n', '\r'])
}

/// A title made from a lead paragraph: its first sentence, at most 150 characters.
fn display_title(lead: &str) -> String {
    let first = crate::sentence::split_sentences(lead)
        .first()
        .map(|s| s.of(lead).to_string())
        .unwrap_or_else(|| lead.to_string());
    crate::text::truncate_chars(&first, 150)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cleaner() -> Cleaner {
        Cleaner::with_default_patterns()
    }

    fn parse(name: &str, text: &str) -> Article {
        parse_article(name, text.to_string(), &cleaner()).unwrap()
    }

    #[test]
    fn first_line_is_the_title_and_headings_attach_to_the_next_paragraph() {
        let text = "Le titre de l'article\nPremier paragraphe, qui raconte les faits en détail pour le lecteur.\nUn intertitre\nDeuxième paragraphe avec sa propre information et une phrase complète.\n";
        let a = parse("a.txt", text);
        assert_eq!(a.meta.title, "Le titre de l'article");
        assert_eq!(a.paragraphs.len(), 2);
        let second = &a.paragraphs[1];
        assert!(a
            .paragraph_text(second)
            .starts_with("Un intertitre\nDeuxième"));
        assert!(text[second.body.start..].starts_with("Deuxième"));
    }

    #[test]
    fn masthead_gives_way_to_the_headline_and_becomes_the_outlet() {
        let text = "Le Journal\n\nLa vraie manchette de l'article\n\nUn paragraphe complet qui décrit ce qui s'est passé hier soir en ville.\n";
        let a = parse("b.txt", text);
        assert_eq!(a.meta.title, "La vraie manchette de l'article");
        assert_eq!(a.meta.outlet.as_deref(), Some("Le Journal"));
        assert_eq!(a.paragraphs.len(), 1);
    }

    #[test]
    fn a_lead_paragraph_stays_paragraph_one() {
        let lead = "Après l'attaque de Londres, le gouvernement britannique a demandé à Microsoft de lui fournir des informations privées. L'entreprise a obtempéré.";
        let text = format!(
            "{lead}\n\nSecond paragraphe qui ajoute des détails sur les faits rapportés ici.\n"
        );
        let a = parse("c.txt", &text);
        assert_eq!(a.paragraphs.len(), 2);
        assert_eq!(a.paragraph_text(&a.paragraphs[0]), lead);
        assert!(a.meta.title.starts_with("Après l'attaque de Londres"));
    }

    #[test]
    fn markdown_front_matter_is_read_in_yaml_and_toml() {
        let yaml = "---\ntitle: Un titre\nurl: https://exemple.fr/a\noutlet: Exemple\ndate: 2025-05-17\nauthor: Jeanne\n---\n\n# Un titre\n\nLe corps de l'article, avec une phrase entière et des détails.\n";
        let a = parse("d.md", yaml);
        assert_eq!(a.meta.title, "Un titre");
        assert_eq!(a.meta.url.as_deref(), Some("https://exemple.fr/a"));
        assert_eq!(a.meta.date.as_deref(), Some("2025-05-17"));
        assert_eq!(a.meta.author.as_deref(), Some("Jeanne"));
        let toml = "+++\ntitle = \"Titre TOML\"\noutlet = \"Presse\"\n+++\nLe corps de l'article, avec une phrase entière et des détails.\n";
        let b = parse("e.md", toml);
        assert_eq!(b.meta.title, "Titre TOML");
        assert_eq!(b.meta.outlet.as_deref(), Some("Presse"));
        assert!(b.paragraph_text(&b.paragraphs[0]).starts_with("Le corps"));
    }

    #[test]
    fn hard_wrapped_text_keeps_paragraphs_whole() {
        let text = "Titre\n\nUne phrase coupée\nsur deux lignes.\n\nUne autre phrase\ncoupée elle aussi.\n";
        let a = parse("f.txt", text);
        assert_eq!(a.paragraphs.len(), 2);
        assert_eq!(
            a.paragraph_text(&a.paragraphs[0]),
            "Une phrase coupée\nsur deux lignes."
        );
    }

    /// The paragraphs' texts, for comparing files that differ only in line endings.
    fn paragraph_texts(a: &Article) -> Vec<String> {
        a.paragraphs
            .iter()
            .map(|p| a.paragraph_text(p).to_string())
            .collect()
    }

    #[test]
    fn cr_and_crlf_line_endings_split_like_lf() {
        let lf = "Le titre de l'article\n\nPremier paragraphe, qui raconte les faits en détail.\n\nDeuxième paragraphe avec sa propre information complète.\n\nTroisième paragraphe, le dernier, qui conclut.\n";
        let expected = paragraph_texts(&parse("lf.txt", lf));
        assert_eq!(expected.len(), 3);
        for ending in ["\r\n", "\r"] {
            let text = lf.replace('\n', ending);
            let a = parse("x.txt", &text);
            assert_eq!(a.meta.title, "Le titre de l'article", "{ending:?}");
            assert_eq!(paragraph_texts(&a), expected, "{ending:?}");
            // Offsets stay offsets into the original file.
            for p in &a.paragraphs {
                assert_eq!(p.span.of(&text), a.paragraph_text(p));
            }
        }
        // One paragraph per line, CR-only: each line is its own paragraph, none holds a `\r`.
        let per_line = "Titre\rUne première phrase complète du texte, assez longue pour compter comme un vrai paragraphe d'article.\rUne deuxième phrase complète du texte, elle aussi assez longue pour compter comme paragraphe.\r";
        let a = parse("y.txt", per_line);
        assert_eq!(a.paragraphs.len(), 2);
        assert!(paragraph_texts(&a).iter().all(|t| !t.contains('\r')));
        // Hard-wrapped CR text keeps its paragraphs whole and blank lines still separate them.
        let wrapped = "Titre\r\rUne phrase coupée\rsur deux lignes.\r\rUne autre phrase\rcoupée elle aussi.\r";
        let a = parse("z.txt", wrapped);
        assert_eq!(a.paragraphs.len(), 2);
        assert_eq!(
            a.paragraph_text(&a.paragraphs[0]),
            "Une phrase coupée\rsur deux lignes."
        );
    }

    #[test]
    fn front_matter_with_cr_or_crlf_line_endings_is_read() {
        let yaml = "---\ntitle: Un titre\nauthor: Jeanne\n---\n\nLe corps de l'article, avec une phrase entière et des détails.\n";
        let toml = "+++\ntitle = \"Titre TOML\"\n+++\nLe corps de l'article, avec une phrase entière et des détails.\n";
        for ending in ["\r\n", "\r"] {
            let a = parse("a.md", &yaml.replace('\n', ending));
            assert_eq!(a.meta.title, "Un titre", "{ending:?}");
            assert_eq!(a.meta.author.as_deref(), Some("Jeanne"));
            assert_eq!(a.paragraphs.len(), 1);
            assert!(a.paragraph_text(&a.paragraphs[0]).starts_with("Le corps"));
            let b = parse("b.md", &toml.replace('\n', ending));
            assert_eq!(b.meta.title, "Titre TOML", "{ending:?}");
            assert!(b.paragraph_text(&b.paragraphs[0]).starts_with("Le corps"));
        }
    }

    #[test]
    fn hostile_front_matter_parses_in_well_under_a_second() {
        let body = "\n---\n\nLe corps de l'article, avec une phrase entière et des détails.\n";
        let nested = |depth: usize| "[".repeat(depth) + &"]".repeat(depth);
        let cases = [
            (
                "1 MB of [",
                format!("---\ntitle: {}{body}", "[".repeat(1 << 20)),
            ),
            (
                "10 000 nested [",
                format!("---\ntitle: {}{body}", nested(10_000)),
            ),
            (
                "5 000 nested [, under the size cap",
                format!("---\ntitle: {}{body}", nested(5_000)),
            ),
            (
                "160 kB of title: [[[[",
                format!("---\ntitle: {}{body}", "[".repeat(160_000)),
            ),
            (
                "deep block nesting",
                format!("---\ntitle: {}x{body}", "- ".repeat(3_000)),
            ),
            (
                "deep indentation",
                format!(
                    "---\n{}{body}",
                    (0..400)
                        .map(|i| format!("{}k{i}:\n", " ".repeat(i)))
                        .collect::<String>()
                ),
            ),
            (
                "TOML arrays",
                format!(
                    "+++\ntitle = {}\n+++\nLe corps de l'article, avec une phrase entière.\n",
                    nested(5_000)
                ),
            ),
        ];
        for (what, text) in cases {
            let started = std::time::Instant::now();
            let a = parse("hostile.md", &text);
            let elapsed = started.elapsed();
            assert!(
                elapsed < std::time::Duration::from_secs(1),
                "{what}: {elapsed:?}"
            );
            // Refused front matter is body text: it is not read as fields.
            assert!(!a.meta.title_in_front_matter, "{what}");
            assert_eq!(a.meta.body_start, Some(0), "{what}");
        }
    }

    #[test]
    fn reasonable_front_matter_is_under_the_caps() {
        let yaml = "---\ntitle: Un titre\ntags: [a, [b, {c: d}]]\nauthors:\n  - name: Jeanne\n    roles:\n      - autrice\n      - - x\n        - y\n---\n\nLe corps de l'article, avec une phrase entière et des détails.\n";
        assert!(
            front_matter_nesting(yaml) <= 8,
            "{}",
            front_matter_nesting(yaml)
        );
        let a = parse("a.md", yaml);
        assert_eq!(a.meta.title, "Un titre");
        assert!(a.meta.title_in_front_matter);
        assert!(text_at(yaml, a.meta.body_start).starts_with("\n\nLe corps"));
        assert_eq!(front_matter_nesting(&"[".repeat(40)), 40);
        assert!(block_nesting(&"- ".repeat(40)) >= 40);
    }

    fn text_at(text: &str, at: Option<usize>) -> &str {
        &text[at.unwrap_or(0)..]
    }

    #[test]
    fn parsing_the_body_with_recorded_meta_gives_the_same_article() {
        let articles = [
            ("yaml.md", "---\ntitle: Un titre\nurl: https://exemple.fr/a\noutlet: Exemple\ndate: 2025-05-17\nauthor: Jeanne\n---\n\n# Un titre\n\nLe corps de l'article, avec une phrase entière et des détails.\n\n## Un intertitre\n\nLa suite de l'article, qui donne encore des détails précis.\n".to_string()),
            ("yaml-no-title.md", "---\noutlet: Exemple\ndate: 2025-05-17\n---\n# Le vrai titre\n\nLe corps de l'article, avec une phrase entière et des détails.\n".to_string()),
            ("toml.md", "+++\ntitle = \"Titre TOML\"\noutlet = \"Presse\"\ndate = 2025-05-17\n+++\nLe corps de l'article, avec une phrase entière et des détails.\n".to_string()),
            ("masthead.txt", "Le Journal\n\nLa vraie manchette de l'article\n\nUn paragraphe complet qui décrit ce qui s'est passé hier soir en ville.\n\nUn second paragraphe complet qui ajoute des détails sur la soirée.\n".to_string()),
            ("lead.txt", "Après l'attaque de Londres, le gouvernement britannique a demandé à Microsoft de lui fournir des informations privées. L'entreprise a obtempéré.\n\nSecond paragraphe qui ajoute des détails sur les faits rapportés ici.\n".to_string()),
            ("crlf-masthead.md", "Le Journal\r\n\r\nLa vraie manchette\r\n\r\nUn paragraphe complet qui décrit ce qui s'est passé hier soir en ville.\r\n".to_string()),
            ("cr.md", "---\rtitle: Titre CR\r---\rLe corps de l'article, avec une phrase entière et des détails.\r".to_string()),
            ("hostile.md", format!("---\ntitle: {}\n---\nLe corps de l'article.\n", "[".repeat(20_000))),
        ];
        for (name, text) in articles {
            let full = parse(name, &text);
            let body = parse_article_body(name, text.clone(), &full.meta, &cleaner()).unwrap();
            assert_eq!(body.paragraphs, full.paragraphs, "{name}");
            assert_eq!(body.boilerplate, full.boilerplate, "{name}");
            assert_eq!(body.meta, full.meta, "{name}");
            // A catalog written before the body start was recorded: parsed in full.
            let old = ArticleMeta {
                body_start: None,
                title_in_front_matter: false,
                ..full.meta.clone()
            };
            let fallback = parse_article_body(name, text, &old, &cleaner()).unwrap();
            assert_eq!(fallback.paragraphs, full.paragraphs, "{name}");
        }
    }

    #[test]
    fn catalogs_without_the_body_start_still_load() {
        let json = r#"{"file":"a.md","title":"T","url":null,"outlet":null,"date":null,"author":null,"bytes":10,"paragraphs":1,"hash":"abc"}"#;
        let meta: ArticleMeta = serde_json::from_str(json).unwrap();
        assert_eq!(meta.body_start, None);
        assert!(!meta.title_in_front_matter);
    }

    #[test]
    fn parsing_the_body_does_not_parse_yaml() {
        let text = "---\ntitle: Un titre\n---\n\nLe corps de l'article, avec une phrase entière et des détails.\n";
        let full = parse("a.md", text);
        let before = YAML_PARSES.with(|n| n.get());
        parse_article_body("a.md", text.to_string(), &full.meta, &cleaner()).unwrap();
        assert_eq!(YAML_PARSES.with(|n| n.get()), before);
    }

    #[test]
    fn escaped_names_are_printable_and_distinct() {
        use std::ffi::OsStr;
        use std::os::unix::ffi::OsStrExt;
        let a = escaped_name(Path::new(OsStr::from_bytes(b"sub/\xff.txt")));
        let b = escaped_name(Path::new(OsStr::from_bytes(b"sub/\xfe.txt")));
        assert_eq!(a, "sub/\\xff.txt");
        assert_ne!(a, b);
        assert_eq!(escaped_name(Path::new("a\tb\x1b.txt")), "a\\tb\\u{1b}.txt");
        assert_eq!(escaped_name(Path::new("a\\b.txt")), "a\\\\b.txt");
        assert_eq!(escaped_name(Path::new("été.txt")), "été.txt");
    }

    #[test]
    fn system_folders_and_files_are_refused_as_roots() {
        for root in ["/", "/proc", "/proc/self", "/sys", "/dev", "/dev/null"] {
            match check_root(Path::new(root)) {
                Err(CoreError::Corpus {
                    problem: CorpusProblem::Refused(message),
                    ..
                }) => {
                    assert!(
                        message.contains("point the corpus") || message.contains("a file"),
                        "{root}: {message}"
                    )
                }
                other => panic!("{root}: {other:?}"),
            }
        }
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.txt");
        std::fs::write(&file, "x").unwrap();
        match check_root(&file) {
            Err(CoreError::Corpus {
                problem: CorpusProblem::Refused(message),
                ..
            }) => assert!(message.contains("must be a folder")),
            other => panic!("{other:?}"),
        }
        assert!(check_root(dir.path()).is_ok());
    }

    #[test]
    fn bad_bytes_are_classified() {
        assert_eq!(
            decode_text(vec![0xff, 0xfe, 0x41], 100),
            Err(SkipReason::NotUtf8)
        );
        assert_eq!(decode_text(b"  \n ".to_vec(), 100), Err(SkipReason::Empty));
        assert_eq!(
            decode_text(vec![b'a', 0, b'b'], 100),
            Err(SkipReason::Binary)
        );
        assert!(matches!(
            decode_text(vec![b'a'; 101], 100),
            Err(SkipReason::TooLarge { .. })
        ));
    }
}
