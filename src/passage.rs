//! Passage splitting: one passage per paragraph, long paragraphs cut into overlapping windows of
//! whole sentences. Every passage is a verbatim byte range of the article file.

use crate::corpus::Article;
use crate::sentence::split_sentences;
use crate::span::Span;
use crate::text::short_hash;

/// A unit of retrieval.
#[derive(Debug, Clone, PartialEq)]
pub struct Passage {
    /// Corpus file name.
    pub file: String,
    /// Article title.
    pub title: String,
    /// 1-based paragraph number.
    pub paragraph: usize,
    /// Byte range in the file.
    pub span: Span,
    /// Short hash of the passage text.
    pub hash: String,
    /// Short hash of the whole paragraph's bytes: what a citation `file ¶N` shows, and what
    /// `source file --paragraph N` prints for it.
    pub paragraph_hash: String,
}

/// Splits an article into passages. Paragraphs up to `max_chars` characters are one passage;
/// longer ones become windows of sentences of about half that size, overlapping by one sentence so
/// that an answer spanning a window edge is still whole in one of them.
pub fn split_passages(article: &Article, max_chars: usize) -> Vec<Passage> {
    let mut passages = Vec::new();
    let target = (max_chars / 2).max(120);
    for paragraph in &article.paragraphs {
        let text = article.paragraph_text(paragraph);
        let paragraph_hash = short_hash(text);
        let make = |span: Span| Passage {
            file: article.meta.file.clone(),
            title: article.meta.title.clone(),
            paragraph: paragraph.number,
            span,
            hash: short_hash(span.of(&article.text)),
            paragraph_hash: paragraph_hash.clone(),
        };
        if text.chars().count() <= max_chars {
            passages.push(make(paragraph.span));
            continue;
        }
        let body = paragraph.body.of(&article.text);
        let sentences: Vec<Span> = split_sentences(body)
            .into_iter()
            .map(|s| s.shifted(paragraph.body.start))
            .collect();
        let mut first = 0;
        while first < sentences.len() {
            let mut last = first;
            let mut length = sentences[first].len();
            while last + 1 < sentences.len() {
                let next = sentences[last + 1].len();
                if length + next > target * 2 || (length >= target && last > first) {
                    break;
                }
                length += next;
                last += 1;
            }
            // The first window carries the heading.
            let start = if first == 0 {
                paragraph.span.start
            } else {
                sentences[first].start
            };
            passages.push(make(Span::new(start, sentences[last].end)));
            if last + 1 >= sentences.len() {
                break;
            }
            // Overlap by one sentence, but always move forward.
            first = if last > first { last } else { last + 1 };
        }
    }
    passages
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clean::Cleaner;
    use crate::corpus::parse_article;

    fn article(text: &str) -> Article {
        let cleaner = Cleaner::with_default_patterns();
        parse_article("t.txt", text.to_string(), &cleaner).unwrap()
    }

    #[test]
    fn short_paragraphs_are_one_passage_each() {
        let a = article("Titre\nUne phrase assez longue pour le test. Et une autre.\nDeuxième paragraphe ici, complet.\n");
        let p = split_passages(&a, 700);
        assert_eq!(p.len(), 2);
        assert_eq!(p[0].paragraph, 1);
        assert_eq!(p[1].span.of(&a.text), "Deuxième paragraphe ici, complet.");
    }

    #[test]
    fn long_paragraphs_become_overlapping_windows_of_whole_sentences() {
        let sentence = "Cette phrase de test contient exactement assez de mots pour peser. ";
        let long = sentence.repeat(30);
        let a = article(&format!("Titre\n{}\n", long.trim()));
        let p = split_passages(&a, 700);
        assert!(p.len() > 3);
        for passage in &p {
            let text = passage.span.of(&a.text);
            assert!(
                text.starts_with("Cette") && text.ends_with("peser."),
                "{text}"
            );
            assert!(text.chars().count() <= 700);
            assert_eq!(passage.paragraph, 1);
        }
        // Consecutive windows overlap, so every sentence is covered.
        assert!(p.windows(2).all(|w| w[1].span.start < w[0].span.end));
        assert_eq!(p.last().unwrap().span.end, a.paragraphs[0].span.end);
    }
}
