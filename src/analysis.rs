//! Text analysis: the language analyzer (elisions, stop and question words, accent folding,
//! stemming) and the unstemmed "exact" analyzer used for exact-form boosting and typo tolerance.
//!
//! Order matters (see `shared/notes/retrieval.md`): stop words are removed on the accented,
//! lowercased form, then accents are folded, then the stemmer runs. Stemming before folding would
//! leave accent-less queries unmatched (`activité` → `activ`, `activite` → `activit`).
//!
//! Words are cut by [`WordTokenizer`], not tantivy's `SimpleTokenizer`: a corpus saved in NFD
//! (`e` + U+0301) must give the same terms as one saved in NFC, so combining marks stay inside
//! words and each token's text is NFC, while its offsets remain byte offsets into the original
//! text (highlights and quote ranges point at what the file holds).
//!
//! Questions only: the search-operator words `AND`, `OR`, `NOT`, `ET`, `OU`, `SAUF`, written
//! in capitals, are noise ([`OPERATOR_WORDS`]). People type them out of habit; the search never
//! reads operator syntax, and the French stem of `NOT` (`not`) would match `notamment`.

use std::str::CharIndices;

use crate::language::Language;
use crate::span::Span;
use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, Stemmer, StopWordFilter, TextAnalyzer, Token,
    TokenStream, Tokenizer,
};
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::{is_nfc_quick, IsNormalized, UnicodeNormalization};

/// Tokenizer name of the stemmed field.
pub const STEMMED_TOKENIZER: &str = "coverage_stemmed";
/// Tokenizer name of the exact (unstemmed, folded) field.
pub const EXACT_TOKENIZER: &str = "coverage_exact";

/// Bumped whenever the analysis pipeline changes in a way that changes indexed terms.
/// 2: [`WordTokenizer`] (NFC tokens, combining marks inside words).
const PIPELINE_VERSION: u32 = 2;

/// Search-operator words that are noise in a question when written exactly so, in capitals.
/// Lowercase `or`, `et`, `not` are ordinary words and go through the normal pipeline.
pub const OPERATOR_WORDS: &[&str] = &["AND", "OR", "NOT", "ET", "OU", "SAUF"];

/// Words that tantivy's French list lacks: elided forms (`jusqu'`, `lorsqu'`), question words that
/// are noise in a question, and accent-free spellings of accented stop words so that a query typed
/// without accents drops them too.
const FRENCH_EXTRA_STOP_WORDS: &[&str] = &[
    // Elided forms the tokenizer leaves behind.
    "jusqu",
    "lorsqu",
    "puisqu",
    "quoiqu",
    "quelqu",
    "presqu",
    // Question words.
    "pourquoi",
    "comment",
    "quand",
    "combien",
    "quoi",
    "où",
    "lequel",
    "laquelle",
    "lesquels",
    "lesquelles",
    "est-ce",
    // Common forms missing from the Snowball list.
    "a",
    "as",
    "est",
    "été",
    "son",
    "être",
    "avoir",
    "comme",
    "si",
    "chez",
    "vers",
    "sous",
    "donc",
    "or",
    "ni",
    "car",
    "alors",
    "aussi",
    "ainsi",
    "fait",
    "faire",
    "faut",
    "peut",
    "doit",
    "veut",
    "dont",
    "selon",
    "tout",
    "tous",
    "toute",
    "toutes",
    "très",
    "plus",
    "moins",
    "ça",
    "celui",
    "celle",
    "ceux",
    "celles",
    "déjà",
    // Accent-free spellings of accented stop words, for questions typed without accents.
    "ou",
    "ete",
    "etre",
    "etee",
    "etees",
    "etant",
    "meme",
    "etes",
    "etais",
    "etait",
    "etions",
    "etiez",
    "etaient",
    "fumes",
    "futes",
    "eumes",
    "eutes",
    "eut",
    "ca",
    "deja",
    "tres",
];

/// English question words, absent from tantivy's short English list.
const ENGLISH_EXTRA_STOP_WORDS: &[&str] = &[
    "what", "why", "how", "when", "where", "who", "whom", "which", "whose", "does", "did", "do",
    "has", "have", "had", "its", "about", "from", "was", "were", "been", "i", "you", "he", "she",
    "we", "me", "my", "our", "his", "her", "can", "could", "would", "should",
];

/// The two analyzers of a language.
#[derive(Clone)]
pub struct Analyzers {
    /// Stop words, folding, stemming: the main retrieval field.
    pub stemmed: TextAnalyzer,
    /// Lowercase and folding only: exact-form boosting, phrases and typo tolerance.
    pub exact: TextAnalyzer,
    /// Identifies the analysis, stems included; stored beside the index.
    pub version: String,
    /// The corpus language.
    pub language: Language,
}

impl std::fmt::Debug for Analyzers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Analyzers")
            .field("version", &self.version)
            .finish()
    }
}

/// A query token seen by both analyzers.
#[derive(Debug, Clone, PartialEq)]
pub struct AnalyzedToken {
    /// Lowercased, accent-folded surface form.
    pub exact: String,
    /// Stem, or `None` for a stop word.
    pub stem: Option<String>,
    /// Token position (counting stop words).
    pub position: usize,
    /// Byte range in the analyzed text.
    pub offset: Span,
}

impl Analyzers {
    /// Builds the analyzers for a language.
    pub fn new(language: Language, extra_stop_words: &[String]) -> Analyzers {
        let lang = language.stemming();
        let mut extras: Vec<String> = extra_stop_words.iter().map(|w| w.to_lowercase()).collect();
        let builtin: &[&str] = match language {
            Language::Fr => FRENCH_EXTRA_STOP_WORDS,
            Language::En => ENGLISH_EXTRA_STOP_WORDS,
            _ => &[],
        };
        extras.extend(builtin.iter().map(|w| w.to_string()));
        extras.sort();
        extras.dedup();

        let base = TextAnalyzer::builder(WordTokenizer::default())
            .filter(RemoveLongFilter::limit(48))
            .filter(LowerCaser);
        let stemmed = match StopWordFilter::new(lang) {
            Some(stop) => base
                .filter(stop)
                .filter(StopWordFilter::remove(extras.clone()))
                .filter(AsciiFoldingFilter)
                .filter(Stemmer::new(lang))
                .build(),
            None => base
                .filter(StopWordFilter::remove(extras.clone()))
                .filter(AsciiFoldingFilter)
                .filter(Stemmer::new(lang))
                .build(),
        };
        let exact = TextAnalyzer::builder(WordTokenizer::default())
            .filter(RemoveLongFilter::limit(48))
            .filter(LowerCaser)
            .filter(AsciiFoldingFilter)
            .build();
        let mut analyzers = Analyzers {
            stemmed,
            exact,
            version: String::new(),
            language,
        };
        analyzers.version = analyzers.fingerprint(language, &extras);
        analyzers
    }

    /// A version string that changes when the pipeline, the language, the stop words, or the
    /// stemmer's output changes (a `cargo update` of the stemmer crate can change stems under an
    /// existing index, so the stems of probe words are part of it).
    fn fingerprint(&mut self, language: Language, extras: &[String]) -> String {
        const PROBES: &str = "Activités nationales françaises, gouvernement, ministères, \
            surveillance massive, allégations, entreprises technologiques, l'informatique, \
            running quickly organizations nations généralement conséquences";
        let stems: Vec<String> = self
            .analyze(PROBES)
            .into_iter()
            .map(|t| format!("{}:{}", t.exact, t.stem.unwrap_or_default()))
            .collect();
        let material = format!(
            "{PIPELINE_VERSION}|{language}|{}|{}",
            extras.join(","),
            stems.join(",")
        );
        format!(
            "{PIPELINE_VERSION}-{language}-{}",
            crate::text::short_hash(&material)
        )
    }

    /// Registers both analyzers on an index. Must be done after every `Index::open`, since an
    /// opened index starts with the default tokenizer manager.
    pub fn register(&self, index: &tantivy::Index) {
        let manager = index.tokenizers();
        manager.register(STEMMED_TOKENIZER, self.stemmed.clone());
        manager.register(EXACT_TOKENIZER, self.exact.clone());
    }

    /// Analyzes a question with both analyzers and pairs the results by position. Operator words
    /// in capitals ([`OPERATOR_WORDS`]) get no stem, like stop words.
    pub fn analyze(&mut self, text: &str) -> Vec<AnalyzedToken> {
        let mut tokens: Vec<AnalyzedToken> = Vec::new();
        {
            let mut stream = self.exact.token_stream(text);
            while stream.advance() {
                let t = stream.token();
                tokens.push(AnalyzedToken {
                    exact: t.text.clone(),
                    stem: None,
                    position: t.position,
                    offset: Span::new(t.offset_from, t.offset_to),
                });
            }
        }
        let mut stream = self.stemmed.token_stream(text);
        let mut cursor = 0;
        while stream.advance() {
            let t = stream.token();
            while cursor < tokens.len() && tokens[cursor].position < t.position {
                cursor += 1;
            }
            if let Some(token) = tokens.get_mut(cursor) {
                let operator = text
                    .get(token.offset.start..token.offset.end)
                    .is_some_and(|surface| OPERATOR_WORDS.contains(&surface));
                if token.position == t.position && !t.text.is_empty() && !operator {
                    token.stem = Some(t.text.clone());
                }
            }
        }
        tokens
    }

    /// Calls `f(stem, byte range)` for every token of the stemmed pipeline (stop words removed).
    /// One pass of one analyzer: the cheap path for matching passages against a question.
    pub fn for_each_stem(&mut self, text: &str, mut f: impl FnMut(&str, Span)) {
        let mut stream = self.stemmed.token_stream(text);
        while stream.advance() {
            let t = stream.token();
            if !t.text.is_empty() {
                f(&t.text, Span::new(t.offset_from, t.offset_to));
            }
        }
    }

    /// Stems of a text, stop words removed.
    pub fn stems(&mut self, text: &str) -> Vec<String> {
        self.analyze(text)
            .into_iter()
            .filter_map(|t| t.stem)
            .collect()
    }
}

/// Splits text into words: an alphanumeric character followed by alphanumeric characters and
/// combining marks. Like tantivy's
/// `SimpleTokenizer`, except that a combining mark (U+0301 of a decomposed `é`) continues a word
/// instead of cutting it, and the token text is NFC. Offsets are into the original text.
#[derive(Clone, Default)]
pub struct WordTokenizer {
    token: Token,
}

/// The token stream of [`WordTokenizer`].
pub struct WordTokenStream<'a> {
    text: &'a str,
    chars: CharIndices<'a>,
    token: &'a mut Token,
}

impl Tokenizer for WordTokenizer {
    type TokenStream<'a> = WordTokenStream<'a>;
    fn token_stream<'a>(&'a mut self, text: &'a str) -> WordTokenStream<'a> {
        self.token.reset();
        WordTokenStream {
            text,
            chars: text.char_indices(),
            token: &mut self.token,
        }
    }
}

fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || is_combining_mark(c)
}

impl WordTokenStream<'_> {
    /// Consumes the rest of the current word (and the separator after it); returns its end.
    fn word_end(&mut self) -> usize {
        self.chars
            .find(|(_, c)| !is_word_char(*c))
            .map_or(self.text.len(), |(offset, _)| offset)
    }
}

impl TokenStream for WordTokenStream<'_> {
    fn advance(&mut self) -> bool {
        self.token.text.clear();
        self.token.position = self.token.position.wrapping_add(1);
        while let Some((from, c)) = self.chars.next() {
            // A mark continues a word but never starts one: a stray U+0301 is not a word.
            if !c.is_alphanumeric() {
                continue;
            }
            let to = self.word_end();
            let word = &self.text[from..to];
            self.token.offset_from = from;
            self.token.offset_to = to;
            // Most words are already NFC: the quick check spares them an allocation.
            if word.is_ascii() || is_nfc_quick(word.chars()) == IsNormalized::Yes {
                self.token.text.push_str(word);
            } else {
                self.token.text.extend(word.nfc());
            }
            return true;
        }
        false
    }

    fn token(&self) -> &Token {
        self.token
    }

    fn token_mut(&mut self) -> &mut Token {
        self.token
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fr() -> Analyzers {
        Analyzers::new(Language::Fr, &[])
    }

    #[test]
    fn accents_do_not_matter() {
        let mut a = fr();
        assert_eq!(
            a.stems("activité israélienne"),
            a.stems("activite israelienne")
        );
        assert_eq!(a.stems("Défense"), a.stems("defense"));
    }

    #[test]
    fn elisions_stop_words_and_question_words_are_dropped() {
        let mut a = fr();
        let stems = a.stems("Pourquoi l’entreprise a-t-elle suspendu jusqu'à quand ses services ?");
        assert_eq!(stems, a.stems("entreprise suspendu services"));
        assert!(!stems
            .iter()
            .any(|s| s == "l" || s == "pourquoi" || s == "quand"));
    }

    #[test]
    fn stemming_groups_inflections() {
        let mut a = fr();
        assert_eq!(a.stems("surveillances"), a.stems("surveillance"));
        assert_eq!(a.stems("entreprises"), a.stems("entreprise"));
    }

    #[test]
    fn exact_forms_keep_stop_words_and_positions() {
        let mut a = fr();
        let tokens = a.analyze("la Défense");
        assert_eq!(tokens.len(), 2);
        assert_eq!(tokens[0].exact, "la");
        assert_eq!(tokens[0].stem, None);
        assert_eq!(tokens[1].exact, "defense");
        assert!(tokens[1].stem.is_some());
        assert_eq!(tokens[1].position, 1);
    }

    #[test]
    fn version_depends_on_language_and_stop_words() {
        let fr = fr().version;
        assert_eq!(fr, Analyzers::new(Language::Fr, &[]).version);
        assert_ne!(fr, Analyzers::new(Language::En, &[]).version);
        assert_ne!(
            fr,
            Analyzers::new(Language::Fr, &["microsoft".into()]).version
        );
    }

    #[test]
    fn other_languages_stem_too() {
        let mut en = Analyzers::new(Language::En, &[]);
        assert_eq!(
            en.stems("Why were the organizations running?"),
            en.stems("organization run")
        );
    }

    #[test]
    fn decomposed_accents_analyze_like_composed_ones() {
        let mut a = fr();
        let nfd = "Activite\u{301} israe\u{301}lienne";
        assert_eq!(a.stems(nfd), a.stems("activité israélienne"));
        assert_eq!(a.stems(nfd), a.stems("activite israelienne"));
        // Offsets stay in the original text and cover whole words, marks included.
        let words: Vec<&str> = a.analyze(nfd).iter().map(|t| t.offset.of(nfd)).collect();
        assert_eq!(words, vec!["Activite\u{301}", "israe\u{301}lienne"]);
        // A stray mark is no word.
        assert!(a.analyze(" \u{301} ").is_empty());
    }

    #[test]
    fn capitalised_operator_words_are_noise_in_questions() {
        let mut a = fr();
        assert!(a.stems("AND OR NOT").is_empty());
        assert!(a.stems("SAUF").is_empty());
        assert_eq!(a.stems("Microsoft NOT Azure"), a.stems("Microsoft Azure"));
        // Written in lowercase they are ordinary words.
        assert!(!a.stems("sauf not").is_empty());
    }
}
