//! Corpus loading: walking the folder, reading articles safely, finding titles, metadata and
//! paragraphs. Files that cannot be used are skipped with a reason, never fatal.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::clean::{ends_like_sentence, Cleaner};
use crate::error::{CoreError, Result};
use crate::text::short_hash;

/// File extensions read as articles.
pub const ARTICLE_EXTENSIONS: &[&str] = &["txt", "md"];

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
    /// File size in bytes.
    pub bytes: u64,
    /// Number of article paragraphs (boilerplate excluded).
    pub paragraphs: usize,
    /// Short hash of the file's content.
    pub hash: String,
}

/// One numbered paragraph of an article: a content block, with a short heading that precedes it
/// attached.
#[derive(Debug, Clone, PartialEq)]
pub struct Paragraph {
    /// 1-based paragraph number, counting the article's own paragraphs.
    pub number: usize,
    /// Byte offset in the file where the paragraph (its heading included) starts.
    pub start: usize,
    /// Byte offset where the paragraph's own text starts (after an attached heading).
    pub body_start: usize,
    /// Byte offset where the paragraph ends.
    pub end: usize,
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
    pub boilerplate: Vec<(usize, usize)>,
}

impl Article {
    /// The verbatim text of a paragraph.
    pub fn paragraph_text(&self, paragraph: &Paragraph) -> &str {
        &self.text[paragraph.start..paragraph.end]
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
    /// Not a `.txt` or `.md` file.
    UnsupportedType,
    /// The file has no paragraph of article text once boilerplate is removed.
    NoContent,
    /// The file could not be read.
    Unreadable { message: String },
}

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
            SkipReason::UnsupportedType => write!(f, "not a .txt or .md file"),
            SkipReason::NoContent => write!(f, "no article text after removing boilerplate"),
            SkipReason::Unreadable { message } => write!(f, "unreadable: {message}"),
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

/// Lists the article files under `dir`, recursively, sorted by name. Hidden files and folders are
/// ignored; symlinks pointing outside the folder and unsupported files are reported as skipped.
pub fn list_corpus(dir: &Path) -> Result<(Vec<CorpusEntry>, Vec<SkippedFile>)> {
    let root = dir.canonicalize().map_err(|e| CoreError::Corpus {
        path: dir.to_path_buf(),
        message: e.to_string(),
    })?;
    let mut entries = Vec::new();
    let mut skipped = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(folder) = stack.pop() {
        let read = std::fs::read_dir(&folder).map_err(|e| CoreError::io(&folder, e))?;
        for item in read.flatten() {
            let path = item.path();
            let file_name = item.file_name().to_string_lossy().to_string();
            if file_name.starts_with('.') {
                continue;
            }
            let Some(name) = relative_name(&root, &path) else {
                continue;
            };
            // The directory entry knows its type without a syscall; only symlinks need their
            // target resolved. `DirEntry::metadata` stats relative to the open folder, which is
            // much cheaper than resolving the full path again on large corpora.
            let Ok(entry_type) = item.file_type() else {
                continue;
            };
            let is_link = entry_type.is_symlink();
            if is_link {
                match path.canonicalize() {
                    Ok(target) if target.starts_with(&root) => {}
                    _ => {
                        skipped.push(SkippedFile {
                            file: name,
                            reason: SkipReason::OutsideCorpus,
                        });
                        continue;
                    }
                }
            }
            let meta = if is_link {
                std::fs::metadata(&path)
            } else {
                item.metadata()
            };
            let Ok(meta) = meta else {
                skipped.push(SkippedFile {
                    file: name,
                    reason: SkipReason::Unreadable {
                        message: "cannot stat".into(),
                    },
                });
                continue;
            };
            if meta.is_dir() {
                if !is_link {
                    stack.push(path);
                }
                continue;
            }
            // A FIFO, socket or device would block or never end when read.
            if !meta.is_file() {
                skipped.push(SkippedFile {
                    file: name,
                    reason: SkipReason::Unreadable {
                        message: "not a regular file".into(),
                    },
                });
                continue;
            }
            let extension = path
                .extension()
                .map(|e| e.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            if !ARTICLE_EXTENSIONS.contains(&extension.as_str()) {
                skipped.push(SkippedFile {
                    file: name,
                    reason: SkipReason::UnsupportedType,
                });
                continue;
            }
            let modified_ns = meta
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map(|d| d.as_nanos())
                .unwrap_or(0);
            entries.push(CorpusEntry {
                name,
                path,
                size: meta.len(),
                modified_ns,
            });
        }
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    skipped.sort_by(|a, b| a.file.cmp(&b.file));
    Ok((entries, skipped))
}

fn relative_name(root: &Path, path: &Path) -> Option<String> {
    let relative = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = relative
        .components()
        .map(|c| c.as_os_str().to_string_lossy().to_string())
        .collect();
    Some(parts.join("/"))
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
    let text = decode_text(bytes, max_bytes)?;
    parse_article(&entry.name, text, cleaner)
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
type Block = (usize, usize);

/// Parses article text already checked to be UTF-8 and non-empty.
pub fn parse_article(
    name: &str,
    text: String,
    cleaner: &Cleaner,
) -> std::result::Result<Article, SkipReason> {
    let is_markdown = name.to_lowercase().ends_with(".md");
    let (front, body_offset) = if is_markdown {
        split_front_matter(&text)
    } else {
        (FrontMatter::default(), 0)
    };
    let blocks: Vec<Block> = split_blocks(&text, body_offset, is_markdown)
        .into_iter()
        .filter_map(
            |(s, e)| match crate::clean::trailing_credit_start(&text[s..e]) {
                Some(0) => None,
                Some(at) => Some((s, s + at)),
                None => Some((s, e)),
            },
        )
        .collect();
    if blocks.is_empty() {
        return Err(SkipReason::Empty);
    }

    // The title is the first block, or the front matter's title. A first line that is a short
    // masthead (the site's name) followed by a headline gives way to the headline.
    let mut outlet = front.outlet.clone();
    let mut first_content = 0;
    let mut title = front.title.clone();
    if title.is_none() {
        let block_text = |b: &Block| clean_heading(&text[b.0..b.1]);
        let first = block_text(&blocks[0]);
        let second = blocks.get(1).map(block_text).unwrap_or_default();
        if blocks.len() > 2
            && is_masthead(&first)
            && is_headline(&second)
            && !ends_like_sentence(&second)
        {
            outlet.get_or_insert(first);
            title = Some(block_text(&blocks[1]));
            first_content = 2;
        } else if is_headline(&first) {
            title = Some(first);
            first_content = 1;
        } else {
            // The first line is a lead paragraph: it stays paragraph 1, its first sentence is the
            // display title.
            title = Some(display_title(&first));
        }
    }

    let body: Vec<Block> = blocks[first_content..].to_vec();
    let texts: Vec<&str> = body.iter().map(|b| &text[b.0..b.1]).collect();
    let flags = cleaner.boilerplate_flags(&texts);
    let mut paragraphs = Vec::new();
    let mut boilerplate = Vec::new();
    let mut pending_heading: Option<usize> = None;
    for (i, block) in body.iter().enumerate() {
        if flags[i] {
            boilerplate.push(*block);
            pending_heading = None;
            continue;
        }
        let block_text = texts[i];
        let next_is_content = body.get(i + 1).map(|_| !flags[i + 1]).unwrap_or(false);
        if is_heading(block_text) && next_is_content {
            pending_heading.get_or_insert(block.0);
            continue;
        }
        paragraphs.push(Paragraph {
            number: paragraphs.len() + 1,
            start: pending_heading.take().unwrap_or(block.0),
            body_start: block.0,
            end: block.1,
        });
    }
    if paragraphs.is_empty() {
        return Err(SkipReason::NoContent);
    }
    let meta = ArticleMeta {
        file: name.to_string(),
        title: title.unwrap_or_else(|| name.to_string()),
        url: front.url,
        outlet,
        date: front.date.map(|d| match d {
            toml::Value::String(s) => s,
            other => other.to_string(),
        }),
        author: front.author,
        bytes: text.len() as u64,
        paragraphs: paragraphs.len(),
        hash: short_hash(&text),
    };
    Ok(Article {
        meta,
        text,
        paragraphs,
        boilerplate,
    })
}

/// Splits off TOML (`+++`) or YAML (`---`) front matter. Returns the fields and where the body
/// starts. Malformed front matter is treated as body text.
fn split_front_matter(text: &str) -> (FrontMatter, usize) {
    let trimmed = text.trim_start_matches('\u{feff}');
    for fence in ["---", "+++"] {
        let Some(rest) = trimmed.strip_prefix(fence) else {
            continue;
        };
        let Some(rest) = rest
            .strip_prefix('\n')
            .or_else(|| rest.strip_prefix("\r\n"))
        else {
            continue;
        };
        let closing = format!("\n{fence}");
        let Some(end) = rest.find(&closing) else {
            continue;
        };
        let raw = &rest[..end];
        let after = (text.len() - rest.len()) + end + closing.len();
        let parsed = if fence == "+++" {
            toml::from_str::<FrontMatter>(raw).ok()
        } else {
            serde_yaml_ng::from_str::<serde_yaml_ng::Value>(raw)
                .ok()
                .map(front_matter_from_yaml)
        };
        if let Some(front) = parsed {
            return (front, after.min(text.len()));
        }
    }
    (FrontMatter::default(), 0)
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
            .map(|&(s, e)| text[s..e].chars().count())
            .filter(|&n| n > 0)
            .collect();
        lengths.sort_unstable();
        let p90 = lengths.get(lengths.len() * 9 / 10).copied().unwrap_or(0);
        p90 <= 100 && by_blank.iter().any(|g| g.len() > 1)
    };
    if blank_line_mode || hard_wrapped {
        by_blank
            .iter()
            .filter_map(|group| Some((group.first()?.0, group.last()?.1)))
            .collect()
    } else {
        lines
            .into_iter()
            .filter(|&(s, e)| !text[s..e].trim().is_empty())
            .collect()
    }
}

/// Byte ranges of the lines, trimmed of surrounding whitespace.
fn line_ranges(text: &str, offset: usize) -> Vec<Block> {
    let mut out = Vec::new();
    let mut start = offset;
    for line in text[offset..].split_inclusive('\n') {
        let end = start + line.len();
        let content = line.trim();
        let lead = line.len() - line.trim_start().len();
        out.push((start + lead, start + lead + content.len()));
        start = end;
    }
    out
}

fn group_by_blank_lines(text: &str, lines: &[Block]) -> Vec<Vec<Block>> {
    let mut groups: Vec<Vec<Block>> = Vec::new();
    let mut current: Vec<Block> = Vec::new();
    for &(s, e) in lines {
        if text[s..e].is_empty() {
            if !current.is_empty() {
                groups.push(std::mem::take(&mut current));
            }
        } else {
            current.push((s, e));
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
        && !line.contains('\n')
}

/// A title made from a lead paragraph: its first sentence, at most 150 characters.
fn display_title(lead: &str) -> String {
    let first = crate::sentence::split_sentences(lead)
        .first()
        .map(|&(s, e)| lead[s..e].to_string())
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
        assert!(text[second.body_start..].starts_with("Deuxième"));
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
