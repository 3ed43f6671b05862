//! Boilerplate detection: web page furniture must never be quoted as an answer.
//!
//! Two kinds of rules, both general:
//! - configurable patterns (regular expressions over the folded, lowercase, accent-free paragraph),
//!   with French and English defaults below;
//! - a structural rule: after the article's last prose paragraph, short lines without sentence
//!   punctuation are page furniture (author blurbs, share bars, "latest stories" lists).
//!
//! Patterns must not cost real sentences ("a Reuters/Ipsos poll found…", "the paper launched a
//! newsletter…"), so how far a pattern reaches depends on its anchoring, the block and where the
//! block sits:
//! - an anchored pattern (`^…`) describes a whole line ("À lire aussi : …", "© 2024 …") and
//!   removes the block wherever it is;
//! - an unanchored pattern only finds a word somewhere in the block. In the body it removes the
//!   block only when the block does not read as a sentence (no closing punctuation:
//!   "SIGN UP FOR OUR NEWSLETTER", "JIM WATSON/AFP/Getty Images");
//! - in the tail, after the last prose paragraph that no pattern touches, an unanchored match
//!   also removes a short sentence (at most [`TAIL_SENTENCE_WORDS`] words): "Dites-le en
//!   commentaire.", "X is a team of journalists…". Furniture gathers at the end of a page, so the
//!   end is judged more leniently than the middle; a long paragraph is always kept.
//!
//! [`Cleaner::new`] refuses patterns that match the empty string or every kind of character:
//! such a pattern would flag every paragraph and skip every article without a word.

use regex::{Regex, RegexSet};

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

/// In the tail of an article, a sentence of at most this many words that matches an unanchored
/// pattern is furniture; longer paragraphs are article text.
pub const TAIL_SENTENCE_WORDS: usize = 25;

/// Probe strings, one per kind of character (lowercase, capital, digit, accented, space, sign). A
/// pattern that matches all of them matches almost any paragraph: `.`, `\w|\s|\W`, `(?s).`.
const PROBES: &[&str] = &["a", "Z", "1", "é", " ", "-"];

/// Why boilerplate patterns were refused.
#[derive(Debug, thiserror::Error)]
pub enum CleanerError {
    /// The pattern is not a valid regular expression.
    #[error("bad boilerplate pattern {pattern:?}")]
    Invalid {
        /// The pattern as written.
        pattern: String,
        /// The regex error.
        source: Box<regex::Error>,
    },
    /// The pattern matches the empty string, so it matches every paragraph.
    #[error("boilerplate pattern {pattern:?} matches the empty string, so every paragraph")]
    MatchesEmpty {
        /// The pattern as written.
        pattern: String,
    },
    /// The pattern matches a letter, a capital, a digit, an accented letter, a space and a sign:
    /// it matches (nearly) every paragraph.
    #[error("boilerplate pattern {pattern:?} matches any character, so every paragraph")]
    MatchesEverything {
        /// The pattern as written.
        pattern: String,
    },
}

/// Compiled boilerplate rules.
#[derive(Debug, Clone)]
pub struct Cleaner {
    patterns: RegexSet,
    /// Per pattern: whether it is anchored at the start of the block (`^…`).
    anchored: Vec<bool>,
}

impl Cleaner {
    /// Compiles the patterns, refusing any that would flag every paragraph (see
    /// [`CleanerError`]). Patterns are matched against folded text (see [`fold`]).
    pub fn new(patterns: &[String]) -> Result<Cleaner, CleanerError> {
        let compiled: Vec<String> = patterns.iter().map(|p| ascii_word_boundaries(p)).collect();
        for (pattern, source) in patterns.iter().zip(&compiled) {
            check_pattern(pattern, source)?;
        }
        let set = RegexSet::new(&compiled).map_err(|e| CleanerError::Invalid {
            pattern: patterns.join(" | "),
            source: Box::new(e),
        })?;
        Ok(Cleaner {
            patterns: set,
            anchored: patterns.iter().map(|p| is_anchored(p)).collect(),
        })
    }

    /// The built-in French and English patterns.
    pub fn with_default_patterns() -> Cleaner {
        let patterns: Vec<String> = DEFAULT_PATTERNS.iter().map(|s| s.to_string()).collect();
        // The built-in list is static and compiled by the unit tests below.
        Cleaner::new(&patterns).expect("built-in boilerplate patterns compile")
    }

    /// Whether a paragraph matches one of the patterns, wherever it stands. The position and
    /// length rules of [`Cleaner::boilerplate_flags`] decide whether the match removes it.
    pub fn matches_pattern(&self, paragraph: &str) -> bool {
        self.patterns.is_match(&fold(paragraph))
    }

    /// Indices (into the pattern list given to [`Cleaner::new`]) of the patterns a paragraph
    /// matches. Counting them over a corpus shows a pattern that removes too much.
    pub fn pattern_hits(&self, paragraph: &str) -> Vec<usize> {
        self.patterns
            .matches(&fold(paragraph))
            .into_iter()
            .collect()
    }

    /// Classifies each block of an article body as boilerplate or not. `blocks` are the paragraph
    /// texts in order. See the module documentation for the rules.
    pub fn boilerplate_flags(&self, blocks: &[&str]) -> Vec<bool> {
        let hits: Vec<Hits> = blocks.iter().map(|b| self.hits(b)).collect();
        // In the body, an unanchored match needs a block that does not read as a sentence.
        let mut flags: Vec<bool> = blocks
            .iter()
            .zip(&hits)
            .map(|(b, h)| h.anchored || (h.loose && !ends_like_sentence(b)))
            .collect();
        let tail_furniture = |b: &str, h: &Hits| h.loose && word_count(b) <= TAIL_SENTENCE_WORDS;
        let last_prose = (0..blocks.len()).rposition(|i| {
            !flags[i] && is_prose(blocks[i]) && !tail_furniture(blocks[i], &hits[i])
        });
        if let Some(last) = last_prose {
            for (i, block) in blocks.iter().enumerate().skip(last + 1) {
                if !ends_like_sentence(block)
                    || block.chars().count() < 40
                    || tail_furniture(block, &hits[i])
                {
                    flags[i] = true;
                }
            }
        }
        flags
    }

    /// Which kinds of pattern a block matches.
    fn hits(&self, block: &str) -> Hits {
        let mut hits = Hits::default();
        for i in self.patterns.matches(&fold(block)).iter() {
            if self.anchored.get(i).copied().unwrap_or(false) {
                hits.anchored = true;
            } else {
                hits.loose = true;
            }
        }
        hits
    }
}

/// Which kinds of pattern matched a block.
#[derive(Debug, Default, Clone, Copy)]
struct Hits {
    anchored: bool,
    loose: bool,
}

/// Counts, over a corpus, how many paragraphs each pattern matches, to find a pattern that
/// removes most of the corpus (a too-broad extra pattern in the config).
#[derive(Debug, Clone, Default)]
pub struct PatternTally {
    /// Paragraphs seen.
    pub paragraphs: usize,
    /// Per pattern index: paragraphs it matched.
    pub hits: Vec<usize>,
}

impl PatternTally {
    /// Counts one paragraph.
    pub fn add(&mut self, cleaner: &Cleaner, paragraph: &str) {
        self.paragraphs += 1;
        for i in cleaner.pattern_hits(paragraph) {
            if self.hits.len() <= i {
                self.hits.resize(i + 1, 0);
            }
            self.hits[i] += 1;
        }
    }

    /// Indices of the patterns that matched more than half of all paragraphs.
    pub fn dominant(&self) -> Vec<usize> {
        (0..self.hits.len())
            .filter(|&i| self.hits[i] * 2 > self.paragraphs)
            .collect()
    }
}

/// Refuses a pattern that is invalid, matches the empty string, or matches every probe.
fn check_pattern(pattern: &str, compiled: &str) -> Result<(), CleanerError> {
    let regex = Regex::new(compiled).map_err(|e| CleanerError::Invalid {
        pattern: pattern.to_string(),
        source: Box::new(e),
    })?;
    if regex.is_match("") {
        return Err(CleanerError::MatchesEmpty {
            pattern: pattern.to_string(),
        });
    }
    if PROBES.iter().all(|p| regex.is_match(p)) {
        return Err(CleanerError::MatchesEverything {
            pattern: pattern.to_string(),
        });
    }
    Ok(())
}

/// Whether a pattern only matches at the start of the block: `^…`, possibly after inline flags
/// such as `(?i)`. An alternation at the top level (`^a|b`) is not anchored as a whole.
fn is_anchored(pattern: &str) -> bool {
    let mut rest = pattern.trim_start();
    while let Some(flags) = rest.strip_prefix("(?") {
        match flags.find(')') {
            Some(end)
                if flags[..end]
                    .chars()
                    .all(|c| c.is_ascii_alphabetic() || c == '-') =>
            {
                rest = &flags[end + 1..];
            }
            _ => break,
        }
    }
    rest.starts_with('^') && !has_top_level_alternation(rest)
}

fn has_top_level_alternation(pattern: &str) -> bool {
    let mut depth = 0i32;
    let mut chars = pattern.chars();
    let mut in_class = false;
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                chars.next();
            }
            '[' => in_class = true,
            ']' => in_class = false,
            '(' if !in_class => depth += 1,
            ')' if !in_class => depth -= 1,
            '|' if !in_class && depth == 0 => return true,
            _ => {}
        }
    }
    false
}

fn word_count(block: &str) -> usize {
    block.split_whitespace().count()
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
    ends_like_sentence(block) && word_count(block) >= 12
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

    #[test]
    fn news_sentences_that_mention_furniture_words_are_kept() {
        let c = cleaner();
        let prose = "Le conseil municipal a voté le budget après trois heures de débats animés, \
            et l'opposition a annoncé un recours devant le tribunal administratif.";
        let blocks = [
            prose,
            "A Reuters/Ipsos poll published on Tuesday found that 41% of Americans approve of the plan.",
            "The Guardian launched a weekly newsletter on climate policy in 2019.",
            "Getty Images, the photo agency based in Seattle, agreed to merge with Shutterstock.",
            "Getty Images Holdings lost 3% in early trading, according to Reuters/Ipsos data.",
            "In the bakery, we use cookies from a family recipe, the owner said, smiling at the queue.",
            "« Tous droits réservés, c'est écrit partout, mais personne ne lit », a-t-il ironisé.",
            "SIGN UP FOR OUR NEWSLETTER",
            "JIM WATSON/AFP/Getty Images",
            "À lire aussi : le budget de la ville en cinq chiffres.",
            prose,
            "Dites-le en commentaire.",
            "© 2024 Le Journal. Tous droits réservés.",
            "We use cookies to improve your experience.",
        ];
        let flags = c.boilerplate_flags(&blocks);
        let kept: Vec<&str> = blocks
            .iter()
            .zip(&flags)
            .filter(|(_, f)| !**f)
            .map(|(b, _)| *b)
            .collect();
        assert_eq!(
            flags,
            vec![
                false, false, false, false, false, false, false, true, true, true, false, true,
                true, true
            ],
            "kept: {kept:#?}"
        );
    }

    #[test]
    fn a_long_paragraph_in_the_tail_is_kept_despite_a_pattern_word() {
        let c = cleaner();
        let prose = "Le conseil municipal a voté le budget après trois heures de débats animés, \
            et l'opposition a annoncé un recours devant le tribunal administratif.";
        let long = "The company said it would keep sending its newsletter to the two million \
            subscribers who signed up before the change, and that readers could opt out at any \
            time without losing access to the archive.";
        assert_eq!(
            c.boilerplate_flags(&[prose, long, "Share"]),
            vec![false, false, true]
        );
    }

    #[test]
    fn patterns_that_match_everything_are_refused() {
        for bad in ["", ".", "a*", "(?s).", r"\w|\s|\W", "^", "x?"] {
            let err = Cleaner::new(&[r"^voir aussi".to_string(), bad.to_string()]);
            match err {
                Err(
                    e
                    @ (CleanerError::MatchesEmpty { .. } | CleanerError::MatchesEverything { .. }),
                ) => {
                    assert!(e.to_string().contains(&format!("{bad:?}")), "{e}");
                }
                other => panic!("{bad:?} accepted: {other:?}"),
            }
        }
        assert!(matches!(
            Cleaner::new(&["(".to_string()]),
            Err(CleanerError::Invalid { .. })
        ));
        assert!(Cleaner::new(&[r"\bnewsletters?\b".to_string()]).is_ok());
    }

    #[test]
    fn anchoring_is_read_through_flags_and_alternations() {
        assert!(is_anchored("^voir aussi"));
        assert!(is_anchored("(?i)^voir"));
        assert!(is_anchored("^(a|b)c"));
        assert!(!is_anchored("^a|b"));
        assert!(!is_anchored(r"\bnewsletter"));
    }

    #[test]
    fn the_tally_names_a_pattern_that_matches_most_paragraphs() {
        let c = Cleaner::new(&[r"\bvoir\b".to_string(), r"\ble\b".to_string()]).unwrap();
        let mut tally = PatternTally::default();
        for p in [
            "Le chat dort.",
            "Le chien court.",
            "Voir aussi",
            "Un oiseau chante.",
        ] {
            tally.add(&c, p);
        }
        assert_eq!(c.pattern_hits("Voir le film"), vec![0, 1]);
        assert_eq!(tally.dominant(), Vec::<usize>::new());
        tally.add(&c, "Le soir tombe.");
        assert_eq!(tally.dominant(), vec![1]);
    }
}
