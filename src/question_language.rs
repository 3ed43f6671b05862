//! Whether a question is written in another language than the corpus (an English question on
//! French news). Its words then find only names and numbers, which every sentence of the
//! article about them shares, so quotes choose sentences by their meaning
//! ([`crate::quote::TermMatcher::other_language`]).
//!
//! `whatlang` guesses the language among the supported ones (letter trigrams and frequencies).
//! A short question fools it often, so a guess it does not call reliable must be confirmed by
//! the question's stop words (tantivy's lists): the guessed language's must outnumber the
//! corpus language's. Where the corpus language has no list there is nothing to weigh them
//! against, and only a reliable guess counts. On the development questions (592 in the corpus
//! language, 22 in another):
//!
//! | rule | other-language questions found | corpus-language questions taken for another |
//! |---|---|---|
//! | `whatlang` alone | 22 | 26 |
//! | `whatlang`, reliable guesses only | 13 | 0 |
//! | stop words alone (another list holds at least 2 and more than the corpus's) | 16 | 9 |
//! | **a reliable guess, or a guess its language's stop words confirm** | 19 | 1 |
//!
//! "How far from our Sun is the planet PH1?" is a guess of low confidence (0.21) that the stop
//! words confirm ("is" and "the" are English stop words; none of its words is a French one).

use std::sync::LazyLock;

use tantivy::tokenizer::{LowerCaser, SimpleTokenizer, StopWordFilter, TextAnalyzer};

use crate::language::Language;

/// Guesses among the supported languages only, built once.
static DETECTOR: LazyLock<whatlang::Detector> = LazyLock::new(|| {
    whatlang::Detector::with_allowlist(Language::ALL.iter().map(|l| l.detected_as()).collect())
});

/// Whether `question` is written in another supported language than `corpus`.
pub fn in_other_language(question: &str, corpus: Language) -> bool {
    let Some(guess) = DETECTOR.detect(question) else {
        return false;
    };
    // A script only one language writes (Hebrew, Japanese) is named whatever the allowlist:
    // not a language the corpus can be in, so nothing to compare with.
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
    if guess.is_reliable() {
        return true;
    }
    match (stop_words(question, asked), stop_words(question, corpus)) {
        (Some(theirs), Some(ours)) => theirs > ours,
        _ => false,
    }
}

/// How many of `text`'s words are stop words of `language`; `None` when tantivy has no list.
fn stop_words(text: &str, language: Language) -> Option<usize> {
    let stop = StopWordFilter::new(language.stemming())?;
    let count = |mut analyzer: TextAnalyzer| {
        let mut stream = analyzer.token_stream(text);
        let mut words = 0;
        while stream.advance() {
            words += 1;
        }
        words
    };
    let lowercased_words = || TextAnalyzer::builder(SimpleTokenizer::default()).filter(LowerCaser);
    // The filter only removes words, so the difference cannot underflow.
    Some(count(lowercased_words().build()) - count(lowercased_words().filter(stop).build()))
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
        assert!(!in_other_language(
            "Quelle est la masse de la planète PH1 par rapport à la Terre ?",
            Language::Fr
        ));
        // Both are guessed Spanish, without confidence; their French stop words outnumber the
        // Spanish ones.
        for question in [
            "Quel est le premier titre de l'album de Los Fabulosos Cadillacs ?",
            "Quand a eu lieu la conference de presse des familles d'otages a Tel Aviv ?",
        ] {
            let guess = DETECTOR
                .detect(question)
                .map(|g| (g.lang(), g.is_reliable()));
            assert_eq!(guess, Some((whatlang::Lang::Spa, false)), "{question}");
            assert!(!in_other_language(question, Language::Fr), "{question}");
        }
        assert!(in_other_language(
            "Combien de roubles le gouvernement russe va-t-il injecter dans la Bourse ?",
            Language::En
        ));
    }

    #[test]
    fn without_a_stop_word_list_only_a_reliable_guess_counts() {
        // Turkish has no tantivy list; this question is guessed Portuguese, without confidence.
        let question = "Ankara'da ne oldu?";
        let guess = DETECTOR.detect(question).map(|g| g.is_reliable());
        assert_eq!(guess, Some(false));
        assert!(!in_other_language(question, Language::Tr));
        assert!(in_other_language(
            "Какие меры объявило правительство для поддержки биржи?",
            Language::Tr
        ));
    }

    #[test]
    fn keywords_and_empty_text_stay_in_the_corpus_language() {
        for question in ["", "PH1", "AF447 BEA", "Nikkei"] {
            assert!(!in_other_language(question, Language::Fr), "{question}");
        }
    }
}
