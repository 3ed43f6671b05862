//! Whether a question is written in another language than the corpus (an English question on
//! French news). Its words then find only names and numbers, which every sentence of the
//! article about them shares, so quotes choose sentences by their meaning
//! ([`crate::quote::TermMatcher::other_language`]).
//!
//! Two weak signals must agree, because a short question fools either alone: `whatlang`'s
//! trigram guess among the supported languages, and the question's stop words (tantivy's lists),
//! which must belong to the guessed language more than to the corpus's. On the development
//! questions (592 in the corpus language, 22 in another):
//!
//! | rule | other-language questions found | corpus-language questions taken for another |
//! |---|---|---|
//! | `whatlang` alone | 22 | 26 |
//! | `whatlang`, reliable guesses only | 13 | 0 |
//! | stop words alone (another list holds at least 2 and more than the corpus's) | 16 | 9 |
//! | **`whatlang` and its language's stop words outnumber the corpus's, or a reliable guess** | 19 | 1 |
//!
//! "How far from our Sun is the planet PH1?" is a guess of low confidence (0.21) that the stop
//! words confirm ("is" and "the" are English stop words; none of its words is a French one).

use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, StopWordFilter, TextAnalyzer};

use crate::language::Language;

/// Whether `question` is written in another supported language than `corpus`.
pub fn in_other_language(question: &str, corpus: Language) -> bool {
    let detector =
        whatlang::Detector::with_allowlist(Language::ALL.iter().map(|l| l.detected_as()).collect());
    let Some(guess) = detector.detect(question) else {
        return false;
    };
    let Some(asked) = Language::ALL
        .iter()
        .copied()
        .find(|l| l.detected_as() == guess.lang())
    else {
        return false;
    };
    if asked == corpus {
        return false;
    }
    guess.is_reliable() || stop_words(question, asked) > stop_words(question, corpus)
}

/// How many of `text`'s words are stop words of `language` (none when tantivy has no list).
fn stop_words(text: &str, language: Language) -> usize {
    let Some(stop) = StopWordFilter::new(language.stemming()) else {
        return 0;
    };
    let count = |mut analyzer: TextAnalyzer| {
        let mut stream = analyzer.token_stream(text);
        let mut words = 0;
        while stream.advance() {
            words += 1;
        }
        words
    };
    let words = || TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser);
    count(words().build()) - count(words().filter(stop).build())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn english_questions_on_a_french_corpus_are_recognised() {
        for question in [
            "How far from our Sun is the planet PH1?",
            "Which singer joined Obama on stage at his last campaign rally in Iowa?",
        ] {
            assert!(in_other_language(question, Language::Fr), "{question}");
            assert!(!in_other_language(question, Language::En), "{question}");
        }
    }

    #[test]
    fn questions_in_the_corpus_language_are_not() {
        // The second looks Portuguese to trigrams, and "a" is a stop word there.
        for question in [
            "Quelle est la masse de la planète PH1 par rapport à la Terre ?",
            "A quelle date a été créée l'aviation birmane ?",
        ] {
            assert!(!in_other_language(question, Language::Fr), "{question}");
        }
        assert!(in_other_language(
            "Combien de roubles le gouvernement russe va-t-il injecter dans la Bourse ?",
            Language::En
        ));
    }

    #[test]
    fn keywords_and_empty_text_stay_in_the_corpus_language() {
        for question in ["", "PH1", "AF447 BEA", "Nikkei"] {
            assert!(!in_other_language(question, Language::Fr), "{question}");
        }
    }
}
