//! Boilerplate detection: web page furniture must never be quoted as an answer.
//!
//! Two kinds of rules, both general:
//! - configurable patterns (regular expressions over the folded, lowercase, accent-free paragraph),
//!   with French and English defaults below;
//! - a structural rule: after the article's last prose paragraph, short lines without sentence
//!   punctuation are page furniture (author blurbs, share bars, "latest stories" lists).

use regex::RegexSet;

use crate::text::fold;

/// Default patterns, French and English. They are matched against folded text (lowercase, no
/// accents, plain apostrophes), so write them that way.
pub const DEFAULT_PATTERNS: &[&str] = &[
    // Newsletter and subscription calls.
    r"\bnewsletters?\b",
    r"^(inscri(s|vez|re)|abonne(z|r)?)[- ]?(toi|vous)?\b",
    r"^(subscribe|sign up)\b",
    // Comment prompts.
    r"\b(laisser|laissez|ecrire|poster|postez) un commentaire\b",
    r"\b(dites|dis)-le (nous )?en commentaires?\b",
    r"\bleave a (comment|reply)\b",
    r"^\d+ commentaires?$",
    // "See also" and related-article lines.
    r"^(voir|lire) (aussi|egalement)\b",
    r"^a (lire|voir) (aussi|egalement)\b",
    r"^(see|read) (also|more)\b",
    r"^(related|sur le meme sujet|dans la meme rubrique)\b",
    // Lists of latest stories.
    r"\b(latest|top) (stories|news|articles)\b",
    r"\breceive latest\b",
    r"^(les )?(dernieres|derniers) (actualites|infos|articles|nouvelles)\b",
    r"^(les plus lus|most read|trending)\b",
    // Photo credits and captions.
    r"^(photo|credit photo|credits? photos?|image|illustration)\s*:",
    r"\b(getty images|afp photo|reuters/)\b",
    r"^©",
    // Author blurbs, translation notes and staff lines.
    r"^[-–—]?\s*(adapte|traduit|translated|adapted) (par|by)\b",
    r"\bversion originale sur\b",
    r"\b(is a team of journalists|news staff|notre redaction)\b",
    r"^(par|by) [\w' .-]{3,40}\w$",
    r"\bje vous (concocte|concote|propose les meilleurs)\b",
    // Sharing and page furniture.
    r"^(partager|partagez|share|tweet|imprimer|print|email)( (cet|this) article| sur| on)?$",
    r"^(publicite|advertisement|sponsorise|sponsored)$",
    r"\b(tous droits reserves|all rights reserved)\b",
    r"\b(accepte[rz]? les|we use) cookies\b",
];

/// A photo or video credit in parentheses at the end of a caption: `(Photo : A. Name/Agency)`.
/// The credit is trimmed; the caption itself is article text.
static TRAILING_CREDIT: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(
        r"(?i)\s*\((photos?|cr[ée]dits?( photos?)?|images?|illustrations?|vid[ée]os?|source)\s*:[^()]*\)\s*$",
    )
    .expect("static regex")
});

/// Where a trailing credit starts in `block`, if it ends with one.
pub fn trailing_credit_start(block: &str) -> Option<usize> {
    TRAILING_CREDIT.find(block).map(|m| m.start())
}

/// Compiled boilerplate rules.
#[derive(Debug, Clone)]
pub struct Cleaner {
    patterns: RegexSet,
}

impl Cleaner {
    /// Compiles the patterns. Invalid patterns are rejected when the config is validated, so this
    /// only fails on a config that skipped validation.
    pub fn new(patterns: &[String]) -> Result<Cleaner, regex::Error> {
        Ok(Cleaner {
            patterns: RegexSet::new(patterns.iter().map(|p| ascii_word_boundaries(p)))?,
        })
    }

    /// The built-in French and English patterns.
    pub fn with_default_patterns() -> Cleaner {
        let patterns: Vec<String> = DEFAULT_PATTERNS.iter().map(|s| s.to_string()).collect();
        // The built-in list is static and compiled by the unit tests below.
        Cleaner::new(&patterns).expect("built-in boilerplate patterns compile")
    }

    /// Whether a paragraph matches one of the patterns.
    pub fn matches_pattern(&self, paragraph: &str) -> bool {
        self.patterns.is_match(&fold(paragraph))
    }

    /// Classifies each block of an article body as boilerplate or not. `blocks` are the paragraph
    /// texts in order.
    pub fn boilerplate_flags(&self, blocks: &[&str]) -> Vec<bool> {
        let mut flags: Vec<bool> = blocks.iter().map(|b| self.matches_pattern(b)).collect();
        let last_prose = blocks
            .iter()
            .enumerate()
            .rposition(|(i, b)| !flags[i] && is_prose(b));
        if let Some(last) = last_prose {
            for (i, block) in blocks.iter().enumerate().skip(last + 1) {
                if !ends_like_sentence(block) || block.chars().count() < 40 {
                    flags[i] = true;
                }
            }
        }
        flags
    }
}

/// Rewrites `\b` as an ASCII word boundary. Patterns run on folded, mostly ASCII text, where
/// both mean the same; Unicode boundaries would force the regex engine off its fast DFA path on
/// any remaining non-ASCII character (`œ`, `«`), which made cleaning a quarter of indexing time.
fn ascii_word_boundaries(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 16);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.next() {
                Some('b') => out.push_str("(?-u:\\b)"),
                Some(next) => {
                    out.push('\\');
                    out.push(next);
                }
                None => out.push('\\'),
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Prose: a paragraph of real sentences, as opposed to a heading, caption or link line.
fn is_prose(block: &str) -> bool {
    ends_like_sentence(block) && block.split_whitespace().count() >= 12
}

/// Whether the text ends with sentence punctuation (possibly followed by a closing quote).
pub fn ends_like_sentence(block: &str) -> bool {
    let trimmed = block.trim_end();
    let trimmed =
        trimmed.trim_end_matches(['»', '"', '”', '’', '\'', ')', ' ', '\u{a0}', '\u{202f}']);
    trimmed.ends_with(['.', '!', '?', '…', ':'])
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cleaner() -> Cleaner {
        Cleaner::with_default_patterns()
    }

    #[test]
    fn default_patterns_catch_common_furniture() {
        let c = cleaner();
        for line in [
            "Newsletter VIP gratuit pour les 10 000 premiers",
            "Laisser un commentaire",
            "Quelque chose à ajouter ? Dites-le en commentaire.",
            "VOIR AUSSI : Décret anti-immigration : pourquoi la Silicon Valley",
            "À lire aussi : notre dossier",
            "Latest Stories",
            "– Adapté par Charlotte Viguié. Retrouvez la version originale sur Mashable.",
            "The All Israel News Staff is a team of journalists in Israel.",
            "Leave a Reply",
            "Partager",
        ] {
            assert!(c.matches_pattern(line), "{line}");
        }
    }

    #[test]
    fn ordinary_news_sentences_are_not_boilerplate() {
        let c = cleaner();
        for line in [
            "Microsoft a annoncé la suspension de plusieurs de ses services.",
            "Par ailleurs, l'entreprise a refusé de commenter ces informations auprès de la presse.",
            "La photo publiée par le journal montre les serveurs.",
            "Le site utilise des cookies pour suivre ses lecteurs, selon l'enquête.",
        ] {
            assert!(!c.matches_pattern(line), "{line}");
        }
    }

    #[test]
    fn word_boundaries_become_ascii_and_escapes_survive() {
        assert_eq!(ascii_word_boundaries(r"\bvoir\b"), r"(?-u:\b)voir(?-u:\b)");
        assert_eq!(ascii_word_boundaries(r"a\\b\d"), r"a\\b\d");
    }

    #[test]
    fn trailing_credits_are_found() {
        let caption = "Les familles tiennent une conférence, le 17 mai 2025. (Photo : Avshalom Sassoni/Flash90)";
        let at = trailing_credit_start(caption).unwrap();
        assert_eq!(
            &caption[..at],
            "Les familles tiennent une conférence, le 17 mai 2025."
        );
        assert_eq!(trailing_credit_start("(Crédit photo : AFP)"), Some(0));
        assert_eq!(
            trailing_credit_start("Une phrase (avec : une parenthèse) au milieu."),
            None
        );
    }

    #[test]
    fn short_lines_after_the_last_prose_paragraph_are_furniture() {
        let c = cleaner();
        let blocks = [
            "Titre intermédiaire",
            "Un long paragraphe de prose qui raconte les faits avec assez de mots pour compter comme un vrai paragraphe.",
            "Passionné de high tech, je vous présente mes articles",
            "Suivez-nous",
        ];
        assert_eq!(c.boilerplate_flags(&blocks), vec![false, false, true, true]);
    }
}
