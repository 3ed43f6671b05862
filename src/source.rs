//! `source`: an article or one paragraph, by a name that must be a corpus file. User text is
//! never turned into a path: it is matched against the catalog's names, and only a catalog name
//! is ever joined to the corpus folder.

use std::path::Path;

use serde::Serialize;

use crate::clean::Cleaner;
use crate::corpus::{article_text, parse_article, parse_article_body, ArticleMeta};
use crate::error::{CoreError, Result};
use crate::index::Snapshot;
use crate::text::{fold, short_hash, strip_controls};

/// One paragraph as shown by `source`.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ParagraphView {
    /// 1-based number.
    pub paragraph: usize,
    /// Verbatim text.
    pub text: String,
    /// Byte range in the file.
    pub byte_start: usize,
    /// End of the byte range.
    pub byte_end: usize,
    /// Short hash of the text.
    pub hash: String,
}

/// An article, or one of its paragraphs.
#[derive(Debug, Clone, Serialize)]
pub struct SourceView {
    /// Metadata.
    pub article: ArticleMeta,
    /// The requested paragraphs (all of them, or one).
    pub paragraphs: Vec<ParagraphView>,
    /// The whole file, verbatim (for attachments).
    #[serde(skip)]
    pub text: String,
    /// The file changed since it was indexed; numbering follows the file as it is now.
    pub changed_since_index: bool,
}

/// Longest name accepted before matching, in characters.
const MAX_NAME_CHARS: usize = 300;

/// Most candidates listed for an ambiguous prefix.
const MAX_CANDIDATES: usize = 10;

/// Resolves a user-given name to a catalog article. Accepts the exact file name, a name that
/// folds (case, accents, spaces) to exactly one catalog name, with or without its extension, or
/// the folded prefix of exactly one catalog name (`004` for `004_86712a85089916e0.txt`). An
/// ambiguous prefix is refused with the names it starts, as suggestions.
pub fn resolve<'a>(snapshot: &'a Snapshot, requested: &str) -> Result<&'a ArticleMeta> {
    let cleaned: String = strip_controls(requested)
        .trim()
        .chars()
        .take(MAX_NAME_CHARS)
        .collect();
    if let Some(meta) = snapshot.article(&cleaned) {
        return Ok(meta);
    }
    let wanted = fold(&cleaned);
    let matching: Vec<&ArticleMeta> = snapshot
        .catalog
        .articles
        .iter()
        .filter(|a| {
            let name = fold(&a.file);
            !wanted.is_empty()
                && (name == wanted
                    || name.rsplit_once('.').map(|(stem, _)| stem) == Some(wanted.as_str()))
        })
        .collect();
    if let [only] = matching.as_slice() {
        return Ok(only);
    }
    // Only when nothing matched whole: a full name must never lose to a longer one it starts.
    let prefixed: Vec<&ArticleMeta> = if matching.is_empty() && !wanted.is_empty() {
        snapshot
            .catalog
            .articles
            .iter()
            .filter(|a| fold(&a.file).starts_with(&wanted))
            .collect()
    } else {
        Vec::new()
    };
    let suggestions = match prefixed.as_slice() {
        [only] => return Ok(only),
        [] => suggest(snapshot, &cleaned, 3),
        candidates => candidates
            .iter()
            .take(MAX_CANDIDATES)
            .map(|a| a.file.clone())
            .collect(),
    };
    Err(CoreError::UnknownSource {
        requested: crate::text::truncate_chars(&cleaned, 80),
        suggestions,
    })
}

/// Catalog articles closest to a partial name or title, best first: accent- and case-insensitive
/// substring matches on the file name or title first, then by string similarity.
pub fn suggest(snapshot: &Snapshot, partial: &str, limit: usize) -> Vec<String> {
    suggest_articles(snapshot, partial, limit)
        .into_iter()
        .map(|a| a.file.clone())
        .collect()
}

/// Like [`suggest`], returning the articles.
pub fn suggest_articles<'a>(
    snapshot: &'a Snapshot,
    partial: &str,
    limit: usize,
) -> Vec<&'a ArticleMeta> {
    let wanted = fold(
        &strip_controls(partial)
            .chars()
            .take(MAX_NAME_CHARS)
            .collect::<String>(),
    );
    let mut scored: Vec<(f64, &ArticleMeta)> = snapshot
        .catalog
        .articles
        .iter()
        .map(|a| {
            let name = fold(&a.file);
            let title = fold(&a.title);
            let score = if wanted.is_empty() {
                0.0
            } else if name.starts_with(&wanted) {
                3.0
            } else if name.contains(&wanted) || title.contains(&wanted) {
                2.0
            } else {
                strsim::jaro_winkler(&wanted, &name).max(strsim::jaro_winkler(&wanted, &title))
            };
            (score, a)
        })
        .collect();
    scored.sort_by(|a, b| {
        b.0.partial_cmp(&a.0)
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(a.1.file.cmp(&b.1.file))
    });
    scored.into_iter().take(limit).map(|(_, a)| a).collect()
}

/// Reads an article from the corpus folder and returns it, or one paragraph of it.
pub fn source(
    snapshot: &Snapshot,
    corpus_dir: &Path,
    max_file_bytes: u64,
    cleaner: &Cleaner,
    requested: &str,
    paragraph: Option<usize>,
) -> Result<SourceView> {
    let meta = resolve(snapshot, requested)?;
    let path = safe_path(corpus_dir, &meta.file)?;
    let bytes = read_limited(&path, max_file_bytes)?;
    let text =
        article_text(&meta.file, bytes, max_file_bytes).map_err(|reason| CoreError::Article {
            path: path.clone(),
            reason,
        })?;
    let changed = short_hash(&text) != meta.hash && !meta.hash.is_empty();
    // The front matter was parsed at index time; only a file changed since then is parsed again.
    let parsed = if changed || meta.hash.is_empty() {
        parse_article(&meta.file, text, cleaner)
    } else {
        parse_article_body(&meta.file, text, meta, cleaner)
    };
    let article = parsed.map_err(|reason| CoreError::Article {
        path: path.clone(),
        reason,
    })?;
    let count = article.paragraphs.len();
    let chosen: Vec<ParagraphView> = match paragraph {
        Some(n) if n == 0 || n > count => {
            return Err(CoreError::UnknownParagraph {
                file: meta.file.clone(),
                requested: n,
                count,
            })
        }
        Some(n) => vec![view(&article, n - 1)],
        None => (0..count).map(|i| view(&article, i)).collect(),
    };
    let mut article_meta = meta.clone();
    article_meta.paragraphs = count;
    Ok(SourceView {
        article: article_meta,
        paragraphs: chosen,
        text: article.text,
        changed_since_index: changed,
    })
}

fn view(article: &crate::corpus::Article, i: usize) -> ParagraphView {
    let p = &article.paragraphs[i];
    let text = article.paragraph_text(p).to_string();
    ParagraphView {
        paragraph: p.number,
        hash: short_hash(&text),
        text,
        byte_start: p.span.start,
        byte_end: p.span.end,
    }
}

/// The path of a catalog file, checked to resolve inside the corpus folder (a symlink could have
/// been swapped since indexing).
pub(crate) fn safe_path(corpus_dir: &Path, name: &str) -> Result<std::path::PathBuf> {
    let root = corpus_dir
        .canonicalize()
        .map_err(|e| CoreError::io(corpus_dir, e))?;
    let refuse = || CoreError::UnknownSource {
        requested: name.to_string(),
        suggestions: Vec::new(),
    };
    if name
        .split('/')
        .any(|part| part.is_empty() || part == "." || part == "..")
        || name.contains(['\\', '\0'])
    {
        return Err(refuse());
    }
    let path = root.join(name);
    let resolved = path.canonicalize().map_err(|e| CoreError::io(&path, e))?;
    if !resolved.starts_with(&root) {
        return Err(refuse());
    }
    Ok(resolved)
}

/// The file's bytes, read up to one byte past `max_bytes` (so an over-long file is seen as such).
pub(crate) fn read_limited(path: &Path, max_bytes: u64) -> Result<Vec<u8>> {
    use std::io::Read;
    let file = std::fs::File::open(path).map_err(|e| CoreError::io(path, e))?;
    let mut bytes = Vec::new();
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| CoreError::io(path, e))?;
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use crate::corpus::YAML_PARSES;
    use crate::error::CoreError;
    use crate::{Config, Library};

    /// A library over articles with these file names.
    fn library_of(names: &[&str]) -> (tempfile::TempDir, Library) {
        let root = tempfile::tempdir().unwrap();
        let corpus = root.path().join("corpus");
        std::fs::create_dir_all(&corpus).unwrap();
        for name in names {
            let text =
                format!("Titre {name}\n\nUn paragraphe assez long pour être indexé, sur {name}.\n");
            std::fs::write(corpus.join(name), text).unwrap();
        }
        let mut config = Config::default();
        config.corpus.dir = corpus;
        config.index.dir = root.path().join("index");
        config.discord.watch_corpus = false;
        let (library, _) = Library::open(config).unwrap();
        (root, library)
    }

    #[test]
    fn an_unambiguous_prefix_names_its_file_and_an_ambiguous_one_lists_the_candidates() {
        let (_root, library) = library_of(&[
            "004_86712a.txt",
            "005_aa.txt",
            "005_bb.txt",
            "1.txt",
            "10.txt",
        ]);
        let view = library.source("004", None).unwrap();
        assert_eq!(view.article.file, "004_86712a.txt");
        assert_eq!(
            library.source(" 004_8 ", None).unwrap().article.file,
            "004_86712a.txt"
        );
        match library.source("005", None) {
            Err(CoreError::UnknownSource { suggestions, .. }) => {
                assert_eq!(suggestions, ["005_aa.txt", "005_bb.txt"]);
            }
            other => panic!(
                "ambiguous prefix accepted: {:?}",
                other.map(|v| v.article.file)
            ),
        }
        // A whole name wins over the longer names it starts.
        assert_eq!(library.source("1", None).unwrap().article.file, "1.txt");
        // No file starts with it: the closest names, as before.
        match library.source("zzz", None) {
            Err(CoreError::UnknownSource { suggestions, .. }) => assert!(suggestions.len() <= 3),
            other => panic!("unexpected: {:?}", other.map(|v| v.article.file)),
        }
    }

    fn yaml_parses() -> usize {
        YAML_PARSES.with(|n| n.get())
    }

    #[test]
    fn source_on_an_unchanged_file_does_not_parse_front_matter_again() {
        let root = tempfile::tempdir().unwrap();
        let corpus = root.path().join("corpus");
        std::fs::create_dir_all(&corpus).unwrap();
        let text = "---\ntitle: Un titre\nauthor: Jeanne\n---\n\nLe corps de l'article, avec une phrase entière et des détails.\n\nLa suite de l'article, qui donne encore des détails précis.\n";
        std::fs::write(corpus.join("a.md"), text).unwrap();
        let mut config = Config::default();
        config.corpus.dir = corpus.clone();
        config.index.dir = root.path().join("index");
        config.discord.watch_corpus = false;
        // The index is built on this thread, so the thread-local counter sees its parse.
        let before_index = yaml_parses();
        let (library, _) = Library::open(config).unwrap();
        assert!(
            yaml_parses() > before_index,
            "indexing parses the front matter"
        );

        let before = yaml_parses();
        let view = library.source("a.md", None).unwrap();
        assert_eq!(
            yaml_parses(),
            before,
            "source parsed the front matter again"
        );
        assert!(!view.changed_since_index);
        assert_eq!(view.paragraphs.len(), 2);
        assert!(view.paragraphs[0].text.starts_with("Le corps"));
        library.source("a.md", Some(2)).unwrap();
        assert_eq!(yaml_parses(), before);

        // Changed since indexing: the file is parsed again, front matter included.
        std::fs::write(corpus.join("a.md"), text.replace("Un titre", "Autre titre")).unwrap();
        let view = library.source("a.md", None).unwrap();
        assert!(view.changed_since_index);
        assert_eq!(yaml_parses(), before + 1);
        assert!(view.paragraphs[0].text.starts_with("Le corps"));
    }
}
