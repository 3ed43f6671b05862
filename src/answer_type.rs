//! Expected answer types. A question that asks "when" is answered by a sentence with a date,
//! "how many" by one with a number, "who" by one naming someone. Used as a tie-breaking cue when
//! ranking passages and choosing the quoted sentences.

use std::sync::LazyLock;

use regex::Regex;

use crate::text::fold;

/// What kind of answer a question expects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerType {
    /// A date or time.
    Date,
    /// A quantity.
    Number,
    /// A person or organisation name.
    Name,
}

static DATE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?i)(?-u:\b)(\d{1,2}(er)?\s+)?(janvier|f[ée]vrier|mars|avril|mai|juin|juillet|ao[uû]t|septembre|octobre|novembre|d[ée]cembre|january|february|march|april|june|july|august|september|october|november|december)(?-u:\b)|(?-u:\b)(1[89]|20)\d\d(?-u:\b)|(?-u:\b)(lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche|hier|monday|tuesday|wednesday|thursday|friday|saturday|sunday|yesterday)(?-u:\b)",
    )
    .expect("static regex")
});

static NUMBER: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)\d|%|(?-u:\b)(deux|trois|quatre|cinq|six|sept|huit|neuf|dix|douze|vingt|trente|quarante|cinquante|cent|cents|mille|million|millions|milliard|milliards|moiti[ée]|tiers|quart|two|three|four|five|ten|hundred|thousand|million|billion|half)(?-u:\b)")
        .expect("static regex")
});

static NAME: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?-u:\b)(M\.|Mme|Dr|Mr\.?|Mrs\.?)\s+\p{Lu}|\p{Lu}\p{Ll}+[ -]\p{Lu}[\p{Ll}\p{Lu}]+")
        .expect("static regex")
});

/// The answer type a question asks for, from its interrogative words (French and English).
pub fn expected(question: &str) -> Option<AnswerType> {
    let q = format!(" {} ", fold(question).replace(['?', ',', '!', '.'], " "));
    let has = |words: &[&str]| words.iter().any(|w| q.contains(&format!(" {w} ")));
    if has(&["quand", "when", "date", "annee", "year", "depuis quand"]) {
        Some(AnswerType::Date)
    } else if has(&[
        "combien",
        "how many",
        "how much",
        "nombre",
        "pourcentage",
        "quelle part",
        "montant",
        "proportion",
    ]) {
        Some(AnswerType::Number)
    } else if has(&[
        "qui",
        "who",
        "whom",
        "a qui",
        "quel journal",
        "quelle entreprise",
        "quel media",
    ]) {
        Some(AnswerType::Name)
    } else {
        None
    }
}

/// Whether `text` contains something of that type.
pub fn present(text: &str, answer: AnswerType) -> bool {
    match answer {
        AnswerType::Date => DATE.is_match(text),
        AnswerType::Number => NUMBER.is_match(text),
        AnswerType::Name => NAME.is_match(text),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn question_words_give_the_type() {
        assert_eq!(
            expected("Quand a eu lieu l'attaque ?"),
            Some(AnswerType::Date)
        );
        assert_eq!(expected("Combien de lobbies ?"), Some(AnswerType::Number));
        assert_eq!(expected("Qui a dit cela ?"), Some(AnswerType::Name));
        assert_eq!(
            expected("How many experts signed?"),
            Some(AnswerType::Number)
        );
        assert_eq!(expected("Pourquoi Microsoft a-t-il suspendu Azure ?"), None);
    }

    #[test]
    fn types_are_recognized_in_text() {
        assert!(present("le 22 mars, à Londres", AnswerType::Date));
        assert!(present("en octobre 2024", AnswerType::Date));
        assert!(!present("une décision forte", AnswerType::Date));
        assert!(present("23 lobbies", AnswerType::Number));
        assert!(present("selon Brad Smith", AnswerType::Name));
        assert!(present("a déclaré M. Mor-Biran", AnswerType::Name));
        assert!(!present("la décision de la justice", AnswerType::Name));
    }
}
