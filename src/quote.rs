//! Quote extraction: one to three whole sentences of a passage that best answer the question,
//! verbatim, with the matched words located for bold rendering.

use std::collections::BTreeSet;

use crate::analysis::Analyzers;
use crate::sentence::split_sentences;
use crate::span::Span;

/// One informative term of a question, with the forms that count as a match.
#[derive(Debug, Clone)]
pub struct QueryTerm {
    /// Stem of the question's word.
    pub stem: String,
    /// Other stems that match it: typo corrections found in the index.
    pub alt_stems: Vec<String>,
    /// Inverse document frequency: the term's weight.
    pub idf: f32,
}

/// Matches passage tokens against a question's terms.
#[derive(Debug, Clone, Default)]
pub struct TermMatcher {
    /// The question's informative terms.
    pub terms: Vec<QueryTerm>,
    /// The kind of answer the question asks for, if its wording says.
    pub answer_type: Option<crate::answer_type::AnswerType>,
    /// Whether the question is written in another language than the corpus
    /// ([`crate::question_language`]): the passage's sentences are then chosen by their
    /// similarity to it, [`OTHER_LANGUAGE_SIMILARITY_WEIGHT`].
    pub other_language: bool,
}

impl TermMatcher {
    /// Index of the term a stem matches, if any.
    pub fn term_of(&self, stem: &str) -> Option<usize> {
        self.terms
            .iter()
            .position(|t| t.stem == stem || t.alt_stems.iter().any(|a| a == stem))
    }

    /// Total weight of all terms.
    pub fn total_weight(&self) -> f32 {
        self.terms.iter().map(|t| t.idf).sum()
    }

    /// Matched term indices and matched byte ranges in `text`.
    pub fn matches(&self, analyzers: &mut Analyzers, text: &str) -> (BTreeSet<usize>, Vec<Span>) {
        let mut found = BTreeSet::new();
        let mut ranges = Vec::new();
        for token in self.matched_tokens(analyzers, text) {
            found.insert(token.term);
            ranges.push(token.span);
        }
        (found, ranges)
    }

    /// Every token of `text` that matches a term.
    pub fn matched_tokens(&self, analyzers: &mut Analyzers, text: &str) -> Vec<MatchedToken> {
        let mut out = Vec::new();
        analyzers.for_each_stem(text, |stem, range| {
            if let Some(term) = self.term_of(stem) {
                out.push(MatchedToken { term, span: range });
            }
        });
        out
    }

    /// The matcher for choosing sentences inside one article: the terms its title holds (its
    /// subject, which every sentence of it is about) weigh [`SUBJECT_TERM_WEIGHT`] of their
    /// weight, so that the words which tell its sentences apart decide.
    pub fn with_subject(&self, subject_terms: &BTreeSet<usize>) -> TermMatcher {
        let mut matcher = self.clone();
        for &term in subject_terms {
            if let Some(t) = matcher.terms.get_mut(term) {
                t.idf *= SUBJECT_TERM_WEIGHT;
            }
        }
        matcher
    }

    /// Weight of a set of matched terms.
    ///
    /// The set is ordered so that the float sum is the same on every run: a hash set's order
    /// changes per process, and rounding then broke ties between sentences differently.
    pub fn weight(&self, found: &BTreeSet<usize>) -> f32 {
        found.iter().map(|&i| self.terms[i].idf).sum()
    }
}

/// A token of a passage that matches one of the question's terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MatchedToken {
    /// Index of the term in [`TermMatcher::terms`].
    pub term: usize,
    /// Where the token is in the passage.
    pub span: Span,
}

/// A quote inside a passage.
#[derive(Debug, Clone, PartialEq)]
pub struct Quote {
    /// Byte range in the passage text.
    pub span: Span,
    /// Matched words, as byte ranges relative to the quote start.
    pub highlights: Vec<Span>,
    /// Whether the quote starts inside a sentence (a single sentence longer than the limit).
    pub cut_start: bool,
    /// Whether the quote ends inside a sentence.
    pub cut_end: bool,
}

/// Share of its weight that a question term keeps, when sentences are chosen, if the article's
/// title holds it ([`TermMatcher::with_subject`]). IDF is corpus-wide: the subject's name is rare
/// in the corpus but in every sentence of its article ("Quand le château de Kilkenny a-t-il
/// été construit ?"), so at full weight it drew the quote to whichever sentence repeats it. Chosen
/// on the development sets (first quote holding the answer, `coverage-bot eval`):
///
/// | title terms weigh | piaf-dev quote@1 / quote@3 | news-dev | squad-dev (en) | seed | English set |
/// |---|---|---|---|---|---|
/// | 1 (before) | .728 / .816 | .758 / .823 | .825 / .883 | .708 / .847 | .733 / .833 |
/// | 0.5 | .732 / .824 | .758 / .823 | | | |
/// | **0.25** | .740 / .832 | .758 / .823 | .825 / .883 | .708 / .847 | .733 / .833 |
/// | 0 | .740 / .828 | .758 / .823 | .825 / .883 | .708 / .847 | .733 / .833 |
///
/// A quarter keeps the subject as a tie-break: a sentence that names it is often the one that
/// defines it.
const SUBJECT_TERM_WEIGHT: f32 = 0.25;

/// Quotes shorter than this take neighbouring sentences as context.
const CONTEXT_CHARS: usize = 500;

/// How much a sentence's similarity to the question counts against its share of the question's
/// weighted words when the anchor sentence is chosen: `share + SIMILARITY_WEIGHT × (cosine − best
/// cosine in the passage)`. e5's cosines between sentences of one passage differ by 0.01–0.05, so
/// a 0.05 gap weighs as half of the question's words: words decide when they differ clearly, the
/// vectors otherwise (alone when no word is shared; a question in another language weighs them
/// far more, [`OTHER_LANGUAGE_SIMILARITY_WEIGHT`]). Chosen on the development sets (first quote
/// holding the answer, `coverage-bot eval`), with the context grown toward the neighbour closer
/// to the question:
///
/// | sentence choice | piaf-dev quote@1 | news-dev fr / en / keyword quote@1 |
/// |---|---|---|
/// | words only (weight 0, context grows forward) | .700 | .593 / .833 / .818 |
/// | weight 0, context grows toward the closer neighbour | .708 | |
/// | weight 1, 3 or 10 | .716 | .630 / .750 / .909 |
/// | weight 30 | .708 | |
/// | weight 10, 1-bit vectors (residual to the passage's) | .696 | |
///
/// A 4-bit residual matched the float figures, but even 1-bit vectors for every sentence would
/// break the 400 bytes per passage stored: sentence vectors are computed at question time.
const SIMILARITY_WEIGHT: f32 = 10.0;

/// [`SIMILARITY_WEIGHT`] for a question in another language than the corpus: the similarity
/// decides and the words only break near-ties (a whole question's words weigh about 0.001 of
/// cosine). Such a question's words find only names and numbers, and every sentence of the
/// article about them holds those: "How far from our Sun is the planet PH1?" took the sentence
/// naming PH1 over the one giving its distance, 0.004 closer in cosine.
/// Chosen on the development sets (first quote holding the answer, `coverage-bot eval`, sentence
/// vectors computed at question time; stored int8 vectors gave the same; compact 1-bit ones
/// changed nothing):
///
/// | weight | news-dev English questions | every other set and kind |
/// |---|---|---|
/// | 10 (as in the corpus language) | .750 | |
/// | 30 | .750 | unchanged |
/// | 60 | .833 | unchanged |
/// | 100 | .833 | unchanged |
/// | **1000** | .833 | unchanged |
const OTHER_LANGUAGE_SIMILARITY_WEIGHT: f32 = 1000.0;

struct ScoredSentence {
    span: Span,
    /// Characters before `start` in the passage: spans are measured in characters from these, so
    /// that the whitespace between sentences (tabs, NBSP, long runs) counts as the reader sees it.
    char_start: usize,
    char_end: usize,
    found: BTreeSet<usize>,
    ranges: Vec<Span>,
}

impl ScoredSentence {
    fn chars(&self) -> usize {
        self.char_end - self.char_start
    }
}

/// The passage's sentences with their character positions and the matches inside them.
fn score_sentences(passage: &str, tokens: &[MatchedToken]) -> Vec<ScoredSentence> {
    let ranges = split_sentences(passage);
    let mut bounds: Vec<usize> = ranges.iter().flat_map(|s| [s.start, s.end]).collect();
    bounds.dedup();
    // One pass over the passage turns every byte bound into a character position.
    let mut char_of = std::collections::HashMap::with_capacity(bounds.len());
    let mut next = bounds.iter().peekable();
    for (chars, (byte, _)) in passage
        .char_indices()
        .chain([(passage.len(), ' ')])
        .enumerate()
    {
        while next.peek().is_some_and(|&&b| b == byte) {
            char_of.insert(byte, chars);
            next.next();
        }
    }
    ranges
        .into_iter()
        .map(|span| {
            let inside: Vec<&MatchedToken> =
                tokens.iter().filter(|t| span.contains(t.span)).collect();
            ScoredSentence {
                span,
                char_start: char_of.get(&span.start).copied().unwrap_or(0),
                char_end: char_of.get(&span.end).copied().unwrap_or(0),
                found: inside.iter().map(|t| t.term).collect(),
                ranges: inside.iter().map(|t| t.span).collect(),
            }
        })
        .collect()
}

/// A passage without sentences (only whitespace): its first `max_chars` characters.
fn passage_head(passage: &str, max_chars: usize) -> Quote {
    let end = passage
        .char_indices()
        .nth(max_chars)
        .map_or(passage.len(), |(i, _)| i);
    Quote {
        span: Span::new(0, end),
        highlights: Vec::new(),
        cut_start: false,
        cut_end: false,
    }
}

/// Chooses the quote. The window starts from the
/// sentence with the most question weight and grows by neighbours that add new question terms;
/// a short result gets the following sentence as context. At most three sentences, and at most
/// `max_chars` characters of the verbatim span `passage[start..end]`, separators included.
///
/// `tokens` are the passage's matched tokens from [`TermMatcher::matched_tokens`]: the passage is
/// analysed once, for ranking, and its matches are shared out among the sentences here.
pub fn extract_quote(
    passage: &str,
    tokens: &[MatchedToken],
    matcher: &TermMatcher,
    max_chars: usize,
    similarity: Option<&[f32]>,
) -> Quote {
    let sentences = score_sentences(passage, tokens);
    if sentences.is_empty() {
        return passage_head(passage, max_chars);
    }
    let similarity = similarity.filter(|s| s.len() == sentences.len());
    let weights = sentence_weights(passage, &sentences, matcher, similarity);
    let anchor = best_of(&weights, 0..sentences.len()).unwrap_or(0);
    quote_around(
        passage,
        &sentences,
        0..sentences.len(),
        anchor,
        matcher,
        max_chars,
        similarity,
    )
}

/// A second quote of the same passage, from the sentences `first` (a quote of it, relative to
/// the passage) left out: chosen as the first was, among the sentences before it or after it,
/// and never overlapping it. `None` when `first` leaves no whole sentence out.
pub fn extract_second_quote(
    passage: &str,
    tokens: &[MatchedToken],
    matcher: &TermMatcher,
    max_chars: usize,
    similarity: Option<&[f32]>,
    first: Span,
) -> Option<Quote> {
    let sentences = score_sentences(passage, tokens);
    let similarity = similarity.filter(|s| s.len() == sentences.len());
    let before = sentences
        .iter()
        .take_while(|s| s.span.end <= first.start)
        .count();
    let after = sentences
        .iter()
        .position(|s| s.span.start >= first.end)
        .unwrap_or(sentences.len());
    let weights = sentence_weights(passage, &sentences, matcher, similarity);
    let anchor = best_of(&weights, (0..before).chain(after..sentences.len()))?;
    let block = if anchor < before {
        0..before
    } else {
        after..sentences.len()
    };
    Some(quote_around(
        passage, &sentences, block, anchor, matcher, max_chars, similarity,
    ))
}

/// The quote grown from the `anchor` sentence within the sentences `block` (which holds it).
fn quote_around(
    passage: &str,
    sentences: &[ScoredSentence],
    block: std::ops::Range<usize>,
    anchor: usize,
    matcher: &TermMatcher,
    max_chars: usize,
    similarity: Option<&[f32]>,
) -> Quote {
    if sentences[anchor].chars() > max_chars {
        return cut_long_sentence(passage, &sentences[anchor], max_chars);
    }
    let offset = block.start;
    let (first, last) = grow_window(
        &sentences[block.clone()],
        anchor - offset,
        matcher,
        max_chars,
        similarity.map(|s| &s[block]),
    );
    let window = &sentences[offset + first..=offset + last];
    let span = Span::new(window[0].span.start, window[window.len() - 1].span.end);
    let highlights = window
        .iter()
        .flat_map(|s| s.ranges.iter().map(|r| r.relative_to(span.start)))
        .collect();
    Quote {
        span,
        highlights,
        cut_start: false,
        cut_end: false,
    }
}

/// Byte offsets where the passage's sentences end, as quotes see them: where sentence vectors are
/// cut ([`crate::semantic::Encoder::embed_parts`]).
pub fn sentence_ends(passage: &str) -> Vec<usize> {
    split_sentences(passage).iter().map(|s| s.end).collect()
}

/// Whether a quote of `passage` (of `sentences` sentences) has to leave sentences out, so that
/// choosing among them matters: more than three sentences, or more than `max_chars` characters.
pub fn has_choice(passage: &str, sentences: usize, max_chars: usize) -> bool {
    sentences > 3 || passage.chars().count() > max_chars.min(CONTEXT_CHARS)
}

/// Each sentence's question weight (and, given, similarity): the anchor is the heaviest.
fn sentence_weights(
    passage: &str,
    sentences: &[ScoredSentence],
    matcher: &TermMatcher,
    similarity: Option<&[f32]>,
) -> Vec<f32> {
    // A sentence holding the kind of answer asked for (a date for "quand") gets a bonus worth
    // half an average term, among sentences that share the question's words.
    let total = matcher.total_weight().max(f32::EPSILON);
    let bonus = 0.5 / matcher.terms.len().max(1) as f32;
    let best_similarity = similarity.map_or(0.0, |s| s.iter().copied().fold(f32::MIN, f32::max));
    let similarity_weight = if matcher.other_language {
        OTHER_LANGUAGE_SIMILARITY_WEIGHT
    } else {
        SIMILARITY_WEIGHT
    };
    (0..sentences.len())
        .map(|i| {
            let s = &sentences[i];
            let base = matcher.weight(&s.found) / total;
            let typed = match matcher.answer_type {
                Some(t) if base > 0.0 && crate::answer_type::present(s.span.of(passage), t) => {
                    base + bonus
                }
                _ => base,
            };
            typed + similarity.map_or(0.0, |sims| similarity_weight * (sims[i] - best_similarity))
        })
        .collect()
}

/// The heaviest of the `eligible` sentences; the first one on a tie.
fn best_of(weights: &[f32], eligible: impl Iterator<Item = usize>) -> Option<usize> {
    eligible.max_by(|&a, &b| {
        weights[a]
            .partial_cmp(&weights[b])
            .unwrap_or(std::cmp::Ordering::Equal)
            .then(b.cmp(&a))
    })
}

/// Grows the window `anchor..=anchor` to at most three sentences: first by neighbours that add new
/// question terms, then, while the quote is short, by context (the following sentence first).
/// The span always stays within `max_chars` characters.
fn grow_window(
    sentences: &[ScoredSentence],
    anchor: usize,
    matcher: &TermMatcher,
    max_chars: usize,
    similarity: Option<&[f32]>,
) -> (usize, usize) {
    let span = |first: usize, last: usize| sentences[last].char_end - sentences[first].char_start;
    let (mut first, mut last) = (anchor, anchor);
    let mut covered: BTreeSet<usize> = sentences[anchor].found.clone();
    while last - first < 2 {
        let gain = |i: usize| -> f32 {
            let new: BTreeSet<usize> = sentences[i].found.difference(&covered).copied().collect();
            matcher.weight(&new)
        };
        let left =
            (first > 0 && span(first - 1, last) <= max_chars).then(|| (gain(first - 1), first - 1));
        let right = (last + 1 < sentences.len() && span(first, last + 1) <= max_chars)
            .then(|| (gain(last + 1), last + 1));
        let best = match (left, right) {
            (Some(l), Some(r)) => Some(if l.0 > r.0 { l } else { r }),
            (l, r) => l.or(r),
        };
        let Some((weight, index)) = best else { break };
        if weight <= 0.0 {
            break;
        }
        covered.extend(sentences[index].found.iter().copied());
        if index < first {
            first = index;
        } else {
            last = index;
        }
    }
    // Context: an answer often sits next to the sentence that shares the question's words, so
    // the window is filled with neighbours (following first) up to `CONTEXT_CHARS`.
    while last - first < 2 {
        let limit = max_chars.min(CONTEXT_CHARS.max(span(first, last)));
        let right = last + 1 < sentences.len() && span(first, last + 1) <= limit;
        let left = first > 0 && span(first - 1, last) <= limit;
        // With sentence vectors, the neighbour closer to the question; without, the following
        // one (it usually continues the statement).
        let prefer_left = match (similarity, left && right) {
            (Some(sims), true) => sims[first - 1] > sims[last + 1],
            _ => false,
        };
        if right && !prefer_left {
            last += 1;
        } else if left {
            first -= 1;
        } else {
            break;
        }
    }
    (first, last)
}

/// A sentence over the limit: keep the `max_chars` window with the most matches, cut at spaces.
fn cut_long_sentence(passage: &str, sentence: &ScoredSentence, max_chars: usize) -> Quote {
    let text = sentence.span.of(passage);
    // Two characters are left for the ellipses the renderers add at a cut.
    let budget = max_chars.saturating_sub(2).max(1).min(max_chars);
    let boundaries: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let mut best = (0usize, 0usize);
    let mut best_count = -1i64;
    let mut s = 0;
    while s < boundaries.len() {
        let e = (s + budget).min(boundaries.len() - 1);
        let window = Span::new(boundaries[s], boundaries[e]).shifted(sentence.span.start);
        let count = sentence
            .ranges
            .iter()
            .filter(|&&r| window.contains(r))
            .count() as i64;
        if count > best_count {
            best_count = count;
            best = (boundaries[s], boundaries[e]);
        }
        if e == boundaries.len() - 1 {
            break;
        }
        s += (budget / 4).max(1);
    }
    let (mut a, mut b) = best;
    if a > 0 {
        if let Some(space) = text[a..b].find(' ') {
            a += space + 1;
        }
    }
    if b < text.len() {
        if let Some(space) = text[a..b].rfind(' ') {
            b = a + space;
        }
    }
    let span = Span::new(a, b).shifted(sentence.span.start);
    let highlights = sentence
        .ranges
        .iter()
        .filter(|&&r| span.contains(r))
        .map(|r| r.relative_to(span.start))
        .collect();
    Quote {
        span,
        highlights,
        cut_start: a > 0,
        cut_end: b < text.len(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn matcher(analyzers: &mut Analyzers, words: &str) -> TermMatcher {
        TermMatcher {
            terms: analyzers
                .stems(words)
                .into_iter()
                .map(|stem| QueryTerm {
                    stem,
                    alt_stems: Vec::new(),
                    idf: 1.0,
                })
                .collect(),
            answer_type: None,
            other_language: false,
        }
    }

    #[test]
    fn a_set_of_terms_weighs_the_same_every_time() {
        // Summation order matters in f32 here: 2^24 + 1 + 1 is 2^24 one way, 2^24 + 2 another.
        let m = TermMatcher {
            terms: [16_777_216.0, 1.0, 1.0, 1.0]
                .into_iter()
                .enumerate()
                .map(|(i, idf)| QueryTerm {
                    stem: format!("t{i}"),
                    alt_stems: Vec::new(),
                    idf,
                })
                .collect(),
            answer_type: None,
            other_language: false,
        };
        let weights: std::collections::HashSet<u32> = (0..200)
            .map(|_| m.weight(&[3, 1, 0, 2].into_iter().collect()).to_bits())
            .collect();
        assert_eq!(weights.len(), 1);
    }

    #[test]
    fn picks_the_sentence_with_the_question_terms_and_highlights_them() {
        let mut a = Analyzers::new(crate::language::Language::Fr, &[]);
        let passage = "Le ciel est bleu ce matin sur toute la région parisienne. Microsoft a suspendu ses services Azure pour le ministère. Les marchés sont calmes.";
        let m = matcher(&mut a, "services suspendu");
        let tokens = m.matched_tokens(&mut a, passage);
        let q = extract_quote(passage, &tokens, &m, 500, None);
        let quote = q.span.of(passage);
        assert!(quote.contains("Microsoft a suspendu"));
        let bold: Vec<&str> = q.highlights.iter().map(|h| h.of(quote)).collect();
        assert_eq!(bold, vec!["suspendu", "services"]);
    }

    /// Six sentences of about 90 characters: a quote holds three at most, so it has to choose.
    const SIX_SENTENCES: &str =
        "Le conseil municipal s'est réuni mardi soir dans la grande salle de l'hôtel de ville. \
        Les élus ont longuement débattu du budget annuel présenté par l'adjoint aux finances. \
        La nouvelle ligne de tramway ouvrira finalement aux voyageurs au mois de septembre. \
        Le chantier avait pris du retard à cause des fouilles archéologiques sous la place. \
        Les commerçants du centre ont demandé des compensations pour les mois de travaux. \
        La séance s'est terminée tard dans la nuit après un vote à main levée des élus.";

    #[test]
    fn without_shared_words_the_sentence_closest_to_the_question_is_quoted() {
        let mut a = Analyzers::new(crate::language::Language::Fr, &[]);
        // An English question: none of its words is in the French passage.
        let m = matcher(&mut a, "when will trams run");
        let tokens = m.matched_tokens(&mut a, SIX_SENTENCES);
        assert!(tokens.is_empty());
        assert!(has_choice(SIX_SENTENCES, 6, 500));
        let similarity = [0.80, 0.81, 0.86, 0.84, 0.80, 0.79];
        let q = extract_quote(SIX_SENTENCES, &tokens, &m, 500, Some(&similarity));
        let quote = q.span.of(SIX_SENTENCES);
        assert!(quote.contains("La nouvelle ligne de tramway"), "{quote}");
        // The context grows toward the closer neighbour each time: after (0.84), then before
        // (0.81 against 0.80); the first sentence (0.80) stays out.
        assert!(
            quote.starts_with("Les élus") && quote.ends_with("sous la place."),
            "{quote}"
        );
        // Without similarities, the first sentence is the anchor.
        let plain = extract_quote(SIX_SENTENCES, &tokens, &m, 500, None);
        assert!(plain
            .span
            .of(SIX_SENTENCES)
            .starts_with("Le conseil municipal"));
    }

    #[test]
    fn a_second_quote_takes_the_best_of_the_sentences_the_first_left_out() {
        let mut a = Analyzers::new(crate::language::Language::Fr, &[]);
        let m = matcher(&mut a, "tramway septembre");
        let tokens = m.matched_tokens(&mut a, SIX_SENTENCES);
        // Both quotes with room for two sentences, for the sentences' similarities.
        let quotes = |similarity: &[f32]| {
            let first = extract_quote(SIX_SENTENCES, &tokens, &m, 200, Some(similarity));
            let second = extract_second_quote(
                SIX_SENTENCES,
                &tokens,
                &m,
                200,
                Some(similarity),
                first.span,
            )
            .unwrap();
            (first, second)
        };
        // The first quote is the tram sentence and its closer neighbour; the commerce sentence,
        // the closest of the rest, anchors the second.
        let (first, second) = quotes(&[0.80, 0.79, 0.86, 0.82, 0.84, 0.81]);
        let first_text = first.span.of(SIX_SENTENCES);
        assert!(
            first_text.starts_with("La nouvelle ligne") && first_text.ends_with("sous la place."),
            "{first_text}"
        );
        let second_text = second.span.of(SIX_SENTENCES);
        assert!(!second.span.overlaps(first.span));
        assert!(
            second_text.starts_with("Les commerçants") && second_text.ends_with("des élus."),
            "{second_text}"
        );
        // The second never reaches across the first: with the best of the rest before it, it
        // stays before it.
        let (first, second) = quotes(&[0.84, 0.79, 0.86, 0.82, 0.80, 0.81]);
        assert!(second.span.end <= first.span.start);
        assert!(second
            .span
            .of(SIX_SENTENCES)
            .starts_with("Le conseil municipal"));
    }

    #[test]
    fn no_second_quote_when_the_first_holds_every_sentence() {
        let mut a = Analyzers::new(crate::language::Language::Fr, &[]);
        let passage = "Le tramway ouvrira en septembre. Le chantier a pris du retard.";
        let m = matcher(&mut a, "tramway");
        let tokens = m.matched_tokens(&mut a, passage);
        let first = extract_quote(passage, &tokens, &m, 500, None);
        assert_eq!(first.span, Span::new(0, passage.len()));
        assert!(extract_second_quote(passage, &tokens, &m, 500, None, first.span).is_none());
    }

    #[test]
    fn shared_words_outweigh_a_small_similarity_gap() {
        let mut a = Analyzers::new(crate::language::Language::Fr, &[]);
        let m = matcher(&mut a, "commerçants compensations");
        let tokens = m.matched_tokens(&mut a, SIX_SENTENCES);
        // The tram sentence is a little closer to the question, but the commerce sentence holds
        // all of its words.
        let similarity = [0.80, 0.81, 0.83, 0.80, 0.82, 0.79];
        let q = extract_quote(SIX_SENTENCES, &tokens, &m, 500, Some(&similarity));
        assert!(q
            .span
            .of(SIX_SENTENCES)
            .contains("Les commerçants du centre"));
        // Similarities that do not match the sentences are ignored, not misapplied.
        let q = extract_quote(SIX_SENTENCES, &tokens, &m, 500, Some(&[0.9, 0.1]));
        assert!(q
            .span
            .of(SIX_SENTENCES)
            .contains("Les commerçants du centre"));
    }

    #[test]
    fn in_another_language_the_closest_sentence_wins_over_shared_words() {
        let mut a = Analyzers::new(crate::language::Language::Fr, &[]);
        // A name shared by the question and one sentence; another sentence is a little closer
        // in meaning. In the corpus language the name decides, in another the meaning does.
        let mut m = matcher(&mut a, "tramway");
        let tokens = m.matched_tokens(&mut a, SIX_SENTENCES);
        let similarity = [0.80, 0.81, 0.82, 0.83, 0.80, 0.79];
        let anchor = |m: &TermMatcher| {
            let weights = sentence_weights(
                SIX_SENTENCES,
                &score_sentences(SIX_SENTENCES, &tokens),
                m,
                Some(&similarity),
            );
            best_of(&weights, 0..weights.len())
        };
        assert_eq!(anchor(&m), Some(2));
        m.other_language = true;
        assert_eq!(anchor(&m), Some(3));
        // Without vectors the words still choose.
        let q = extract_quote(SIX_SENTENCES, &tokens, &m, 500, None);
        assert!(q.span.of(SIX_SENTENCES).contains("tramway"));
    }

    #[test]
    fn the_articles_subject_does_not_pick_the_sentence() {
        let mut a = Analyzers::new(crate::language::Language::Fr, &[]);
        let passage = "Le conseil municipal siège à l'hôtel de ville depuis un siècle et demi. \
            Il s'y est réuni mardi soir devant une salle comble et des journalistes. \
            Le tramway ouvrira en septembre, a annoncé l'adjoint aux finances. \
            Le chantier avait pris du retard à cause des fouilles archéologiques. \
            Les commerçants ont demandé des compensations pour les travaux.";
        // "conseil" and "municipal" are in the title: every sentence of the article is about the
        // council, named or not. "tramway" tells the sentences apart.
        let m = TermMatcher {
            terms: ["conseil", "municipal", "tramway"]
                .iter()
                .map(|w| QueryTerm {
                    stem: a.stems(w).remove(0),
                    alt_stems: Vec::new(),
                    idf: 2.0,
                })
                .collect(),
            answer_type: None,
            other_language: false,
        };
        let tokens = m.matched_tokens(&mut a, passage);
        let anchor_of = |matcher: &TermMatcher| {
            let q = extract_quote(passage, &tokens, matcher, 80, None);
            q.span.of(passage).to_string()
        };
        assert!(anchor_of(&m).starts_with("Le conseil municipal"));
        let subject: BTreeSet<usize> = [0, 1].into_iter().collect();
        let weighted = m.with_subject(&subject);
        let quote = anchor_of(&weighted);
        assert!(quote.starts_with("Le tramway ouvrira"), "{quote}");
        // The subject's terms still count, at a quarter of their weight.
        assert_eq!(weighted.weight(&subject), 1.0);
        assert_eq!(weighted.terms[2].idf, 2.0);
    }

    #[test]
    fn a_quote_that_holds_the_whole_passage_has_no_choice() {
        assert!(!has_choice("Une phrase. Deux phrases. Trois.", 3, 500));
        assert!(has_choice("Une. Deux. Trois. Quatre.", 4, 500));
        assert!(has_choice(&"long ".repeat(120), 1, 500));
    }

    #[test]
    fn quotes_are_whole_sentences_within_the_limit() {
        let mut a = Analyzers::new(crate::language::Language::Fr, &[]);
        let sentence = "Une phrase qui parle de cloud et de données personnelles stockées. ";
        let passage = sentence.repeat(12);
        let m = matcher(&mut a, "cloud données");
        let tokens = m.matched_tokens(&mut a, &passage);
        let q = extract_quote(&passage, &tokens, &m, 200, None);
        let quote = q.span.of(&passage);
        assert!(quote.chars().count() <= 200);
        assert!(quote.ends_with('.') && quote.starts_with("Une"));
    }

    #[test]
    fn an_overlong_sentence_is_cut_at_spaces_around_the_matches() {
        let mut a = Analyzers::new(crate::language::Language::Fr, &[]);
        let passage = format!("{} Westminster {}.", "mot ".repeat(200), "mot ".repeat(200));
        let m = matcher(&mut a, "Westminster");
        let tokens = m.matched_tokens(&mut a, &passage);
        let q = extract_quote(&passage, &tokens, &m, 100, None);
        let quote = q.span.of(&passage);
        assert!(quote.contains("Westminster"));
        assert!(quote.chars().count() <= 100);
        assert!(q.cut_start && q.cut_end);
        assert!(!quote.starts_with(' ') && !quote.ends_with(' '));
    }

    #[test]
    fn a_matching_heading_is_quoted_with_the_sentence_after_it() {
        let mut a = Analyzers::new(crate::language::Language::Fr, &[]);
        let passage = "Pas d'aide, mais un peu d'aide\nLe patron a refusé. Puis il a accepté de coopérer avec la police.";
        let m = matcher(&mut a, "pas d'aide mais un peu d'aide");
        let tokens = m.matched_tokens(&mut a, passage);
        let q = extract_quote(passage, &tokens, &m, 500, None);
        assert!(q.span.of(passage).starts_with("Pas d'aide"));
        assert!(q.span.of(passage).contains("Le patron a refusé."));
    }

    #[test]
    fn whitespace_between_sentences_counts_towards_the_limit() {
        let mut a = Analyzers::new(crate::language::Language::Fr, &[]);
        let gap = "\u{a0}\t ".repeat(300);
        let passage = format!(
            "Le ministère publie un rapport.{gap}Le rapport parle du budget.{gap}Fin du texte."
        );
        let m = matcher(&mut a, "rapport budget ministère");
        let tokens = m.matched_tokens(&mut a, &passage);
        let q = extract_quote(&passage, &tokens, &m, 500, None);
        assert!(q.span.of(&passage).chars().count() <= 500);
    }

    /// Sentences of two to twelve words from a small vocabulary, some of it matching the question.
    fn sentence() -> impl Strategy<Value = String> {
        let word = prop::sample::select(vec![
            "rapport",
            "budget",
            "ministère",
            "le",
            "la",
            "publie",
            "été",
            "Azure",
            "données",
            "x",
            "très",
            "longtemps",
            "surveillance",
        ]);
        (
            prop::collection::vec(word, 1..12),
            prop::sample::select(vec![".", "!", "?", ""]),
        )
            .prop_map(|(words, end)| format!("Il {}{end}", words.join(" ")))
    }

    fn separator() -> impl Strategy<Value = String> {
        let unit = prop::sample::select(vec![" ", "\t", "\n", "\u{a0}", "\u{202f}"]);
        (prop::collection::vec(unit, 1..8), 1usize..600)
            .prop_map(|(units, times)| units.concat().repeat(times.div_ceil(units.len().max(1))))
    }

    proptest::proptest! {
        #![proptest_config(ProptestConfig::with_cases(256))]
        #[test]
        fn quotes_never_exceed_the_limit(
            parts in prop::collection::vec((sentence(), separator()), 1..8),
            max_chars in 80usize..=600,
        ) {
            let passage: String = parts.iter().map(|(s, sep)| format!("{s}{sep}")).collect();
            let mut a = Analyzers::new(crate::language::Language::Fr, &[]);
            let m = matcher(&mut a, "rapport budget surveillance données");
            let tokens = m.matched_tokens(&mut a, &passage);
            let q = extract_quote(&passage, &tokens, &m, max_chars, None);
            prop_assert!(q.span.start <= q.span.end && q.span.end <= passage.len());
            prop_assert!(passage.is_char_boundary(q.span.start) && passage.is_char_boundary(q.span.end));
            let quote = &passage[q.span.start..q.span.end];
            prop_assert!(quote.chars().count() <= max_chars, "{} chars", quote.chars().count());
            for h in &q.highlights {
                prop_assert!(quote.is_char_boundary(h.start) && quote.is_char_boundary(h.end) && h.end <= quote.len());
            }
            if let Some(second) = extract_second_quote(&passage, &tokens, &m, max_chars, None, q.span) {
                prop_assert!(!second.span.overlaps(q.span));
                prop_assert!(second.span.end <= passage.len());
                prop_assert!(passage.is_char_boundary(second.span.start) && passage.is_char_boundary(second.span.end));
                prop_assert!(passage[second.span.start..second.span.end].chars().count() <= max_chars);
            }
        }
    }
}
