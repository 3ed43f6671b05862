//! Passage splitting: one passage per paragraph, long paragraphs cut into overlapping windows of
//! whole sentences. Every passage is a verbatim byte range of the article file.

use crate::corpus::Article;
use crate::sentence::split_sentences;
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
    pub start: usize,
    /// End of the byte range in the file.
    pub end: usize,
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
        let make = |start: usize, end: usize| Passage {
            file: article.meta.file.clone(),
            title: article.meta.title.clone(),
            paragraph: paragraph.number,
            start,
            end,
            hash: short_hash(&article.text[start..end]),
            paragraph_hash: paragraph_hash.clone(),
        };
        if text.chars().count() <= max_chars {
            passages.push(make(paragraph.start, paragraph.end));
            continue;
        }
        let body = &article.text[paragraph.body_start..paragraph.end];
        let sentences: Vec<(usize, usize)> = split_sentences(body)
            .into_iter()
            .map(|(s, e)| (s + paragraph.body_start, e + paragraph.body_start))
            .collect();
        let mut first = 0;
        while first < sentences.len() {
            let mut last = first;
            let mut length = sentences[first].1 - sentences[first].0;
            while last + 1 < sentences.len() {
                let next = sentences[last + 1].1 - sentences[last + 1].0;
                if length + next > target * 2 || (length >= target && last > first) {
                    break;
                }
                length += next;
                last += 1;
            }
            // The first window carries the heading.
            let start = if first == 0 {
                paragraph.start
            } else {
                sentences[first].0
            };
            passages.push(make(start, sentences[last].1));
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
        assert_eq!(
            &a.text[p[1].start..p[1].end],
            "Deuxième paragraphe ici, complet."
        );
    }

    #[test]
    fn long_paragraphs_become_overlapping_windows_of_whole_sentences() {
        let sentence = "Cette phrase de test contient exactement assez de mots pour peser. ";
        let long = sentence.repeat(30);
        let a = article(&format!("Titre\n{}\n", long.trim()));
        let p = split_passages(&a, 700);
        assert!(p.len() > 3);
        for passage in &p {
            let text = &a.text[passage.start..passage.end];
            assert!(
                text.starts_with("Cette") && text.ends_with("peser."),
                "{text}"
            );
            assert!(text.chars().count() <= 700);
            assert_eq!(passage.paragraph, 1);
        }
        // Consecutive windows overlap, so every sentence is covered.
        assert!(p.windows(2).all(|w| w[1].start < w[0].end));
        assert_eq!(p.last().unwrap().end, a.paragraphs[0].end);
    }
}
