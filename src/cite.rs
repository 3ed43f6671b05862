//! What a citation promises, and how it is checked.
//!
//! A citation reads `FILE ¶N · hash H · bytes A–B`:
//! - `H` is the short hash of paragraph N's bytes, exactly as `source FILE --paragraph N` prints
//!   them (and prints their hash). For a window of a long paragraph it is still the whole
//!   paragraph's hash, so `ask` and `source` always agree.
//! - `A–B` is the quote's byte range in the file: `source FILE --bytes A..B` prints those bytes
//!   (the quote, verbatim), their hash, and the paragraph that holds them. An HTML page is read
//!   as the Markdown document of its article (`crate::page`), and its ranges are in that
//!   document, which `source` prints.
//!
//! Before a hit is shown, its passage bytes are compared with the file ([`passage_matches_file`]),
//! so a citation never points at bytes that are no longer there.

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;

use serde::Serialize;

use crate::error::{CoreError, Result};
use crate::source::SourceView;
use crate::text::short_hash;

/// A byte range of an article, as `source FILE --bytes A..B` shows it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ByteView {
    /// Corpus file name.
    pub file: String,
    /// First byte.
    pub byte_start: usize,
    /// One past the last byte.
    pub byte_end: usize,
    /// The bytes, verbatim.
    pub text: String,
    /// Short hash of the bytes.
    pub hash: String,
    /// The paragraph that holds the whole range, if one does.
    pub paragraph: Option<usize>,
    /// That paragraph's hash (what citations show next to `¶N`).
    pub paragraph_hash: Option<String>,
}

/// Bytes `start..end` of an article read by `source`; refuses ranges outside the file or inside
/// a character.
pub fn byte_view(file: &str, view: &SourceView, start: usize, end: usize) -> Result<ByteView> {
    let text = &view.text;
    let refuse = |reason: String| CoreError::UnknownByteRange {
        file: file.to_string(),
        start,
        end,
        reason,
    };
    if start >= end {
        return Err(refuse("the range is empty; write A..B with A < B".into()));
    }
    if end > text.len() {
        return Err(refuse(format!("the file has {} bytes", text.len())));
    }
    if !text.is_char_boundary(start) || !text.is_char_boundary(end) {
        return Err(refuse("the range cuts a character in two".into()));
    }
    let holder = view
        .paragraphs
        .iter()
        .find(|p| p.byte_start <= start && end <= p.byte_end);
    Ok(ByteView {
        file: file.to_string(),
        byte_start: start,
        byte_end: end,
        text: text[start..end].to_string(),
        hash: short_hash(&text[start..end]),
        paragraph: holder.map(|p| p.paragraph),
        paragraph_hash: holder.map(|p| p.hash.clone()),
    })
}

/// Whether the corpus file `name` still holds `expected` at byte `start`. Reads only those bytes
/// of a text file; an HTML page is read whole and its article's document compared.
pub fn passage_matches_file(corpus_dir: &Path, name: &str, start: usize, expected: &[u8]) -> bool {
    PassageCheck::new(corpus_dir).matches(name, start, expected)
}

/// Checks the passages of one answer against the corpus files ([`passage_matches_file`] for
/// each), making the document of each HTML page once, however many hits it has.
pub struct PassageCheck<'a> {
    corpus_dir: &'a Path,
    /// Each page's document, or `None` when it can no longer be read or has no article.
    pages: HashMap<String, Option<String>>,
}

impl<'a> PassageCheck<'a> {
    /// A check over the corpus folder `corpus_dir`.
    pub fn new(corpus_dir: &'a Path) -> PassageCheck<'a> {
        PassageCheck {
            corpus_dir,
            pages: HashMap::new(),
        }
    }

    /// Whether `name` still holds `expected` at byte `start`.
    pub fn matches(&mut self, name: &str, start: usize, expected: &[u8]) -> bool {
        if !crate::corpus::is_html(name) {
            return text_matches(self.corpus_dir, name, start, expected);
        }
        let corpus_dir = self.corpus_dir;
        let document = self
            .pages
            .entry(name.to_string())
            .or_insert_with(|| page_document(corpus_dir, name));
        document.as_ref().is_some_and(|text| {
            text.as_bytes()
                .get(start..start.saturating_add(expected.len()))
                .is_some_and(|bytes| bytes == expected)
        })
    }
}

fn text_matches(corpus_dir: &Path, name: &str, start: usize, expected: &[u8]) -> bool {
    let read = || -> Result<Vec<u8>> {
        let path = crate::source::safe_path(corpus_dir, name)?;
        let mut file = std::fs::File::open(&path).map_err(|e| CoreError::io(&path, e))?;
        file.seek(SeekFrom::Start(start as u64))
            .map_err(|e| CoreError::io(&path, e))?;
        let mut bytes = Vec::with_capacity(expected.len());
        file.take(expected.len() as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| CoreError::io(&path, e))?;
        Ok(bytes)
    };
    read().is_ok_and(|bytes| bytes == expected)
}

fn page_document(corpus_dir: &Path, name: &str) -> Option<String> {
    let cap = crate::extract::MAX_HTML_BYTES as u64;
    let path = crate::source::safe_path(corpus_dir, name).ok()?;
    let bytes = crate::source::read_limited(&path, cap).ok()?;
    crate::corpus::article_text(name, bytes, cap).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_same_size_edit_is_seen() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.txt"), "Titre\nLe chat dort.\n").unwrap();
        assert!(passage_matches_file(
            dir.path(),
            "a.txt",
            6,
            b"Le chat dort."
        ));
        std::fs::write(dir.path().join("a.txt"), "Titre\nLe chien dor.\n").unwrap();
        assert!(!passage_matches_file(
            dir.path(),
            "a.txt",
            6,
            b"Le chat dort."
        ));
        assert!(!passage_matches_file(dir.path(), "missing.txt", 0, b"x"));
        assert!(!passage_matches_file(
            dir.path(),
            "../a.txt",
            6,
            b"Le chat dort."
        ));
    }

    #[test]
    fn a_page_is_checked_against_its_article_document() {
        let dir = tempfile::tempdir().unwrap();
        let page = |figure: &str| {
            format!(
                "<html><head><title>Le pont rouvre</title></head><body><article>\
                 <h1>Le pont rouvre</h1><p>Le pont de la Gare rouvre lundi à la circulation \
                 après {figure} mois de travaux, a annoncé la préfecture, qui prévoit des \
                 contrôles de vitesse renforcés sur le tablier pendant tout l'été et une voie réservée \
                 aux autobus du réseau urbain aux heures de pointe.</p>\
                 </article></body></html>"
            )
        };
        std::fs::write(dir.path().join("pont.html"), page("six")).unwrap();
        let text = crate::page::stored_document(page("six").as_bytes()).unwrap();
        let start = text.find("Le pont de la Gare").unwrap();
        let passage = &text.as_bytes()[start..start + 40];
        assert!(passage_matches_file(
            dir.path(),
            "pont.html",
            start,
            passage
        ));
        // The page's own bytes at that offset are markup: the document is what is compared.
        assert!(!passage_matches_file(
            dir.path(),
            "pont.html",
            start + 1,
            passage
        ));
        std::fs::write(dir.path().join("pont.html"), page("sept")).unwrap();
        let changed = &text.as_bytes()[start..text.len()];
        assert!(!passage_matches_file(
            dir.path(),
            "pont.html",
            start,
            changed
        ));
        assert!(!passage_matches_file(
            dir.path(),
            "pont.html",
            usize::MAX,
            b"x"
        ));
    }
}
