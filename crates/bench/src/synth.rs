//! Synthetic corpora for benchmarks: `coverage-bench gen-corpus --articles N --out DIR --seed S`.
//!
//! Articles are recombined from the sentences of the seed corpus (its own paragraphs, boilerplate
//! removed). Each article:
//! - draws most of its sentences from one seed article (its "story") and the rest from the whole
//!   pool, shuffled, in 2 to 24 paragraphs of 1 to 4 sentences, with an occasional short heading
//!   and an occasional web-furniture line (which the cleaner must drop);
//! - gets a title: a seed headline or a seed sentence, reworded the same way;
//! - has some of its capitalised names replaced by proper nouns of its own, its numbers redrawn,
//!   and some of its content words replaced by topic words. Names and topic words are drawn from
//!   large synthetic lexicons with a log-uniform (Zipf-like, 1/rank) law, so the vocabulary keeps
//!   growing with the corpus and term frequencies stay skewed, as in real news: BM25's document
//!   frequencies look like a real corpus's rather than like 5 articles repeated.
//!
//! Generation is deterministic: article `i` depends only on the seed corpus, `seed` and `i`
//! (a local SplitMix64 generator, independent of crate versions). Files are written one by one,
//! so 100k articles need no more memory than one.

use std::io::Write;
use std::path::{Path, PathBuf};

use coverage_bot::clean::Cleaner;
use coverage_bot::corpus::{list_corpus, read_article};
use coverage_bot::error::CoreError;
use coverage_bot::sentence::split_sentences;

/// Why a corpus could not be generated.
#[derive(Debug, thiserror::Error)]
pub enum SynthError {
    /// Reading the seed corpus failed.
    #[error(transparent)]
    Core(#[from] CoreError),
    /// The seed corpus holds no usable sentence.
    #[error("seed corpus {0} has no usable article text")]
    NoSeed(PathBuf),
    /// The output folder exists and is not empty.
    #[error("output folder {0} is not empty; choose a new folder")]
    OutputNotEmpty(PathBuf),
    /// Writing the output failed.
    #[error("{path}: {source}")]
    Io {
        /// The file or folder.
        path: PathBuf,
        /// The error.
        #[source]
        source: std::io::Error,
    },
}

/// A small, fast, portable generator (SplitMix64). Its output never changes with dependency
/// versions, so a seed names the same corpus forever.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator for one stream.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (((self.next_u64() >> 11) as u128 * n as u128) >> 53) as usize
    }

    /// Uniform in `[0, 1)`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    /// A rank in `1..=n` with probability proportional to 1/rank (log-uniform).
    pub fn zipf(&mut self, n: usize) -> usize {
        let r = ((n as f64 + 1.0).ln() * self.unit()).exp().floor() as usize;
        r.clamp(1, n)
    }

    /// One word of a non-empty list.
    pub fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        items[self.below(items.len())]
    }

    /// One element of a non-empty slice.
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// One piece of a seed sentence.
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    /// Text kept as is (punctuation, spaces, stop words, short words).
    Keep(String),
    /// A capitalised word inside a sentence: a name.
    Name(String),
    /// A run of digits.
    Number(usize),
    /// A lowercase content word of 5 letters or more.
    Word(String),
}

/// A seed sentence cut into pieces.
#[derive(Debug, Clone)]
struct Template {
    pieces: Vec<Piece>,
    chars: usize,
}

/// Everything the generator takes from the seed corpus.
#[derive(Debug, Clone)]
pub struct SeedMaterial {
    /// Sentences per seed article.
    stories: Vec<Vec<Template>>,
    /// All sentences.
    pool: Vec<Template>,
    /// Seed headlines.
    titles: Vec<Template>,
    /// Sentences of headline length (titles and headings).
    headlines: Vec<Template>,
}

#[cfg(test)]
impl SeedMaterial {
    /// Number of seed sentences.
    pub fn sentences(&self) -> usize {
        self.pool.len()
    }
}

/// Cuts a sentence into pieces: words are runs of alphanumeric characters (with inner hyphens
/// kept inside), everything else is kept verbatim.
fn template(sentence: &str) -> Template {
    let mut pieces = Vec::new();
    let mut keep = String::new();
    let chars: Vec<(usize, char)> = sentence.char_indices().collect();
    let mut i = 0;
    let mut first_word = true;
    while i < chars.len() {
        let (start, c) = chars[i];
        if !c.is_alphanumeric() {
            keep.push(c);
            i += 1;
            continue;
        }
        let mut j = i;
        while j < chars.len() && chars[j].1.is_alphanumeric() {
            j += 1;
        }
        let end = chars.get(j).map(|p| p.0).unwrap_or(sentence.len());
        let word = &sentence[start..end];
        // A word right after an apostrophe (l'Europe) still counts as a word.
        let piece = if word.chars().all(|c| c.is_ascii_digit()) {
            Some(Piece::Number(word.len()))
        } else if c.is_uppercase() && !first_word && word.chars().count() >= 3 {
            Some(Piece::Name(word.to_string()))
        } else if c.is_lowercase()
            && word.chars().count() >= 5
            && word.chars().all(char::is_alphabetic)
        {
            Some(Piece::Word(word.to_string()))
        } else {
            None
        };
        match piece {
            Some(piece) => {
                if !keep.is_empty() {
                    pieces.push(Piece::Keep(std::mem::take(&mut keep)));
                }
                pieces.push(piece);
            }
            None => keep.push_str(word),
        }
        first_word = false;
        i = j;
    }
    if !keep.is_empty() {
        pieces.push(Piece::Keep(keep));
    }
    Template {
        pieces,
        chars: sentence.chars().count(),
    }
}

/// Reads the seed corpus (the configured boilerplate patterns remove web furniture) and cuts its
/// paragraphs into sentence templates.
pub fn load_seed(seed_dir: &Path) -> Result<SeedMaterial, SynthError> {
    let cleaner = Cleaner::with_default_patterns();
    let (entries, _) = list_corpus(seed_dir)?;
    let mut stories = Vec::new();
    let mut titles = Vec::new();
    for entry in &entries {
        let Ok(article) = read_article(entry, 10 * 1024 * 1024, &cleaner) else {
            continue;
        };
        titles.push(template(&article.meta.title));
        let mut story = Vec::new();
        for paragraph in &article.paragraphs {
            let text = paragraph.body.of(&article.text);
            for span in split_sentences(text) {
                let sentence = span.of(text).trim();
                if sentence.chars().count() >= 25 && sentence.chars().any(char::is_alphabetic) {
                    story.push(template(sentence));
                }
            }
        }
        if !story.is_empty() {
            stories.push(story);
        }
    }
    if stories.is_empty() {
        return Err(SynthError::NoSeed(seed_dir.to_path_buf()));
    }
    let pool: Vec<Template> = stories.iter().flatten().cloned().collect();
    let mut headlines: Vec<Template> = pool
        .iter()
        .filter(|t| (40..=160).contains(&t.chars))
        .cloned()
        .collect();
    if headlines.is_empty() {
        headlines = titles.clone();
    }
    if headlines.is_empty() {
        headlines = pool.clone();
    }
    if titles.is_empty() {
        titles = headlines.clone();
    }
    Ok(SeedMaterial {
        stories,
        pool,
        titles,
        headlines,
    })
}

const ONSETS: &[&str] = &[
    "b", "c", "d", "f", "g", "l", "m", "n", "p", "r", "s", "t", "v", "ch", "tr", "pr", "br", "gr",
    "cl", "pl", "fr", "j", "qu", "st",
];
const VOWELS: &[&str] = &[
    "a", "e", "i", "o", "u", "é", "ou", "ai", "au", "an", "on", "in", "eu", "oi", "è",
];
const SUFFIXES: &[&str] = &[
    "tion", "ment", "ique", "eur", "ité", "age", "isme", "ance", "ence", "oire", "elle", "ier",
    "ure", "iste", "aire", "eux", "ale", "ette", "ois", "ard",
];
const NAME_ENDINGS: &[&str] = &[
    "", "", "", "ier", "ard", "in", "ot", "ez", "ski", "son", "berg", "ani", "ova", "ez", "at",
];

/// Synthetic lexicons: the same rank always gives the same word.
const TOPIC_WORDS: usize = 200_000;
const NAMES: usize = 60_000;

fn syllables(rng: &mut Rng, count: usize, out: &mut String) {
    for _ in 0..count {
        out.push_str(rng.pick_str(ONSETS));
        out.push_str(rng.pick_str(VOWELS));
    }
}

/// The topic word of a rank: two or three syllables and a French suffix.
fn topic_word(seed: u64, rank: usize) -> String {
    let mut rng = Rng::new(seed ^ (rank as u64).wrapping_mul(0xA24B_AED4_963E_E407));
    let mut word = String::new();
    let count = 1 + rng.below(3);
    syllables(&mut rng, count, &mut word);
    word.push_str(rng.pick_str(SUFFIXES));
    word
}

/// The proper noun of a rank, capitalised.
fn name(seed: u64, rank: usize) -> String {
    let mut rng = Rng::new(seed ^ (rank as u64).wrapping_mul(0x9FB2_1C65_1E98_DF25) ^ 0x55);
    let mut word = String::new();
    let count = 1 + rng.below(3);
    syllables(&mut rng, count, &mut word);
    word.push_str(rng.pick_str(NAME_ENDINGS));
    capitalise(&word)
}

fn capitalise(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

/// What one article talks about: its own names and topic words.
struct Topic {
    names: Vec<String>,
    words: Vec<String>,
    /// Share of names replaced, and of content words replaced.
    name_rate: f64,
    word_rate: f64,
}

impl Topic {
    fn draw(rng: &mut Rng, seed: u64) -> Topic {
        let names = (0..2 + rng.below(5))
            .map(|_| name(seed, rng.zipf(NAMES)))
            .collect();
        let words = (0..4 + rng.below(12))
            .map(|_| topic_word(seed, rng.zipf(TOPIC_WORDS)))
            .collect();
        Topic {
            names,
            words,
            name_rate: 0.3 + 0.5 * rng.unit(),
            word_rate: 0.03 + 0.12 * rng.unit(),
        }
    }
}

fn render(t: &Template, topic: &Topic, rng: &mut Rng, out: &mut String) {
    for piece in &t.pieces {
        match piece {
            Piece::Keep(text) => out.push_str(text),
            Piece::Name(original) => {
                if rng.chance(topic.name_rate) {
                    out.push_str(rng.pick(&topic.names).as_str());
                } else {
                    out.push_str(original);
                }
            }
            Piece::Number(digits) => {
                let digits = (*digits).clamp(1, 6) as u32;
                let low = if digits == 1 {
                    1
                } else {
                    10u64.pow(digits - 1)
                };
                let value = low + rng.next_u64() % (10u64.pow(digits) - low);
                out.push_str(&value.to_string());
            }
            Piece::Word(original) => {
                if rng.chance(topic.word_rate) {
                    let word: &String = rng.pick(&topic.words);
                    out.push_str(word);
                    if original.ends_with('s') && !word.ends_with(['s', 'x']) {
                        out.push('s');
                    }
                } else {
                    out.push_str(original);
                }
            }
        }
    }
}

/// Lines of web furniture that real pages carry and the cleaner must drop.
const FURNITURE: &[&str] = &[
    "Laisser un commentaire",
    "Inscrivez-vous à notre newsletter pour ne rien manquer.",
    "VOIR AUSSI : les dernières actualités",
    "Quelque chose à ajouter ? Dites-le en commentaire.",
];

/// The file name and text of article `index`.
pub fn article(material: &SeedMaterial, seed: u64, index: usize) -> (String, String) {
    let mut rng = Rng::new(seed.wrapping_mul(0xD134_2543_DE82_EF95) ^ index as u64);
    let topic = Topic::draw(&mut rng, seed);
    let story = rng.pick(&material.stories);
    let mut text = String::with_capacity(4096);

    // Title: a seed headline or a seed sentence of headline length, reworded; sometimes led by a
    // name ("Dupont : ...").
    let headline_like = &material.headlines;
    if rng.chance(0.2) {
        text.push_str(rng.pick(&topic.names).as_str());
        text.push_str(" : ");
    }
    let start = text.len();
    if rng.chance(0.4) {
        render(rng.pick(&material.titles), &topic, &mut rng, &mut text);
    } else {
        render(rng.pick(headline_like), &topic, &mut rng, &mut text);
    }
    while text.ends_with(['.', ' ']) && text.len() > start {
        text.pop();
    }
    text.push_str("\n\n");

    // Body: 2 to 24 paragraphs, skewed towards short articles.
    let paragraphs = 2 + rng.zipf(23).min(22);
    let paragraphs = if rng.chance(0.5) {
        paragraphs
    } else {
        2 + rng.below(10)
    };
    for p in 0..paragraphs {
        if p > 0 && rng.chance(0.12) {
            // A short heading line.
            let heading = rng.pick(headline_like);
            let at = text.len();
            render(heading, &topic, &mut rng, &mut text);
            while text.ends_with(['.', ' ']) && text.len() > at {
                text.pop();
            }
            text.push('\n');
        }
        let sentences = 1 + rng.below(4);
        for s in 0..sentences {
            if s > 0 {
                text.push(' ');
            }
            let from = if rng.chance(0.7) {
                rng.pick(story)
            } else {
                rng.pick(&material.pool)
            };
            render(from, &topic, &mut rng, &mut text);
        }
        text.push_str("\n\n");
    }
    if rng.chance(0.15) {
        text.push_str(rng.pick_str(FURNITURE));
        text.push('\n');
    }
    let name = format!("{index:06}_{:016x}.txt", rng.next_u64());
    (name, text)
}

/// Writes `articles` synthetic articles built from the corpus in `seed_dir` into `out` (created;
/// it must be empty or missing). Returns the number written.
pub fn generate_corpus(
    seed_dir: &Path,
    articles: usize,
    out: &Path,
    seed: u64,
) -> Result<usize, SynthError> {
    let material = load_seed(seed_dir)?;
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |source| SynthError::Io { path, source }
    };
    if out.exists() {
        let mut listing = std::fs::read_dir(out).map_err(io(out))?;
        if listing.next().is_some() {
            return Err(SynthError::OutputNotEmpty(out.to_path_buf()));
        }
    }
    std::fs::create_dir_all(out).map_err(io(out))?;
    for index in 0..articles {
        let (name, text) = article(&material, seed, index);
        let path = out.join(name);
        let mut file = std::fs::File::create(&path).map_err(io(&path))?;
        file.write_all(text.as_bytes()).map_err(io(&path))?;
    }
    Ok(articles)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn seed_dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../corpus")
    }

    #[test]
    fn rng_is_stable_and_in_range() {
        let mut a = Rng::new(7);
        let mut b = Rng::new(7);
        for _ in 0..1000 {
            assert_eq!(a.next_u64(), b.next_u64());
            let z = a.zipf(100);
            assert!((1..=100).contains(&z));
            assert!(a.below(3) < 3);
            b.zipf(100);
            b.below(3);
        }
    }

    #[test]
    fn templates_find_names_numbers_and_words() {
        let t = template("Le 22 mars, Brad Smith a déclaré que Microsoft coopère.");
        assert!(t.pieces.contains(&Piece::Number(2)));
        assert!(t.pieces.contains(&Piece::Name("Brad".into())));
        assert!(t.pieces.contains(&Piece::Name("Microsoft".into())));
        assert!(t.pieces.contains(&Piece::Word("déclaré".into())));
        // Rendering with no replacement gives the sentence back, numbers aside.
        let topic = Topic {
            names: vec!["X".into()],
            words: vec!["y".into()],
            name_rate: 0.0,
            word_rate: 0.0,
        };
        let mut out = String::new();
        render(&t, &topic, &mut Rng::new(1), &mut out);
        assert!(out.starts_with("Le "));
        assert!(out.ends_with(", Brad Smith a déclaré que Microsoft coopère."));
    }

    #[test]
    fn articles_are_deterministic_varied_and_parse_back() {
        let material = load_seed(&seed_dir()).unwrap();
        assert!(material.sentences() > 50);
        let a = article(&material, 42, 3);
        assert_eq!(a, article(&material, 42, 3));
        assert_ne!(a, article(&material, 42, 4));
        assert_ne!(a, article(&material, 43, 3));

        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("corpus");
        assert_eq!(generate_corpus(&seed_dir(), 40, &out, 42).unwrap(), 40);
        let cleaner = Cleaner::with_default_patterns();
        let (entries, skipped) = list_corpus(&out).unwrap();
        assert_eq!(entries.len(), 40);
        assert!(skipped.is_empty());
        let mut sizes = Vec::new();
        let mut titles = std::collections::HashSet::new();
        for entry in &entries {
            let article = read_article(entry, 1 << 20, &cleaner).expect("parses");
            assert!(!article.paragraphs.is_empty());
            sizes.push(article.text.len());
            titles.insert(article.meta.title.clone());
        }
        assert!(titles.len() > 30, "titles vary: {}", titles.len());
        let (min, max) = (sizes.iter().min().unwrap(), sizes.iter().max().unwrap());
        assert!(max > &(min * 3), "lengths vary: {min}..{max}");
        // A second run into a used folder is refused.
        assert!(matches!(
            generate_corpus(&seed_dir(), 1, &out, 42),
            Err(SynthError::OutputNotEmpty(_))
        ));
    }
}
