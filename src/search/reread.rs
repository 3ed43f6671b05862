//! Re-reading the best article's first passages sentence by sentence: the passage vectors find
//! the article, but the paragraph that holds the answer is the one with a sentence close to the
//! question, and the quote is that sentence. The sentences' vectors come from the index when
//! `sentence_vectors = "index"` stored them there, and from one forward pass at question time
//! otherwise; both are the same computation (the passage's forward pass, pooled by sentence).

use super::{score_key, Candidate};
use crate::quote::{has_choice, sentence_ends};
use crate::semantic::sentences::SentenceVectors;
use crate::semantic::vectors::{passage_key, PassageVectors, QueryVector};
use crate::semantic::{Encoder, Prefix};

/// How many of the first candidates are re-read: the answer of a quote@1 miss sat in the second
/// or third passage for most of the development sets' misses that had the right article.
/// Re-reading the first five instead changed no answer on any development set: the fourth and
/// fifth passages are rarely within [`MAX_SENTENCE_SHIFT`] of the first. Reading further
/// (five passages within 1.5, or ten within 3.0) changed no first quote either: one French
/// paraphrase of news-dev gained a third quote (quote@3 .741 → .778) and two seed answers moved
/// from the third hit to the second, for up to three times the forward passes.
pub(crate) const REREAD_DEPTH: usize = 3;

/// How much a passage's best sentence moves it among the best article's passages, as a share of
/// what the same cosine is worth on the dense side of the fusion for this question
/// ([`crate::fusion::fused_units_per_cosine`]): each re-read passage gains
/// `SENTENCE_WEIGHT × units × (its best sentence's cosine − the best one's)`. Chosen on the
/// development sets (quote@1, quote@3 in brackets; answerable questions; src@1 unchanged but
/// where said):
///
/// | re-ranking | news-dev (62) | piaf-dev (250) | squad-dev (120) | seed (72) | English set (30) |
/// |---|---|---|---|---|---|
/// | none: only the first hit's sentences read (before) | .758 (.855) | .764 (.872) | .833 (.908) | .722 | .733 |
/// | none, the first three hits' quotes by sentences | .758 (.855) | .764 (.872) | .833 (.917) | | |
/// | any article, 0.5 × 100 per cosine (fixed) | .790 (.871) | .752 (.876), src@1 .904 | .858 (.917) | | |
/// | best article, 0.75 | .806 (.871) | .760 (.872) | .833 (.917) | | |
/// | **best article, 1.5** | .806 (.871) | .764 (.876) | .850 (.917) | .708 (.861) | .733 (.867) |
/// | best article, 2.5 | .806 (.871) | .760 (.876) | .858 (.917) | .708 (.861) | .733 (.867) |
/// | best article, 0.5–1.0 × (best sentence − the passage's own cosine) | .742 | | | .736 | |
/// | 1.5, plus 0.5–5 units × the best sentence's share of the question's words | .806–.758 | .764–.772 | .842–.825 | .722–.736 | .733 |
///
/// Re-ranking across articles moved piaf-dev's first source to another article for 4 of its 5
/// losses: the fusion, which weighs the words and titles of whole passages, chooses the article
/// better; the sentences choose the paragraph within it. News paraphrases gain the most (French
/// paraphrase quote@1 .593 → .704). The words of each passage's best sentence (last row, as the
/// quotes weigh them; the figures move steadily from 0.5 to 5 units) add little to what the
/// passage's words already gave the fusion, and lose as many first quotes as they gain.
pub(crate) const SENTENCE_WEIGHT: f32 = 1.5;

/// The most the sentences move a passage, in fused-score units, so that a passage further than
/// this behind the first cannot overtake it and need not be read (each read passage costs a
/// forward pass at question time, about 35 ms for a 150-token paragraph on 2 AVX-512 cores,
/// unless its sentences' vectors were stored at index time). On the development
/// sets and the seed questions every passage the sentences moved to the first place was less
/// than 0.81 behind (31 of 605 pairs of passages of one article); half the pairs are more than
/// 1.7 apart.
pub(crate) const MAX_SENTENCE_SHIFT: f32 = 1.0;

/// What re-reading needs: the encoder, the question's vector, and the conversion of cosine into
/// this question's fused scores.
pub(super) struct SentenceReader<'a> {
    /// Embeds the passages' sentences.
    pub encoder: &'a Encoder,
    /// The sentences' vectors computed at index time, if any, with the passages' they are
    /// stored against: when they hold every place's sentences, no forward pass is run.
    pub stored: Option<(&'a PassageVectors, &'a SentenceVectors)>,
    /// The question's normalised vector.
    pub question: Vec<f32>,
    /// [`crate::fusion::fused_units_per_cosine`] for this question.
    pub units_per_cosine: f32,
}

impl SentenceReader<'_> {
    /// Re-reads the first [`REREAD_DEPTH`] candidates that come from the first one's article
    /// and stand within [`MAX_SENTENCE_SHIFT`] of it:
    /// one forward pass (or the vectors it stored at index time) gives each sentence a vector in
    /// its paragraph's context, each passage
    /// gains by its best sentence's cosine to the question ([`SENTENCE_WEIGHT`]), and those
    /// passages are reordered among the places they held (another article's passages keep
    /// theirs). When the first passage is its article's only one there, nothing is reordered and
    /// its sentences are read only if its quote must choose among them.
    ///
    /// Returns, by position, the sentences' cosines for the quotes of passages that must choose
    /// ([`has_choice`]); `None` elsewhere, and everywhere if the encoder fails (the quotes are
    /// then chosen by the question's words, the order stays the fusion's).
    pub fn reread_best_article(
        &self,
        candidates: &mut Vec<Candidate>,
        max_quote_chars: usize,
    ) -> Vec<Option<Vec<f32>>> {
        let depth = REREAD_DEPTH.min(candidates.len());
        let Some(first) = candidates.first() else {
            return Vec::new();
        };
        // Passages further behind the first than the sentences can move them are not read.
        let places: Vec<usize> = (0..depth)
            .filter(|&i| {
                candidates[i].file == first.file
                    && (i == 0 || first.score - candidates[i].score < MAX_SENTENCE_SHIFT)
            })
            .collect();
        let ends: Vec<Vec<usize>> = places
            .iter()
            .map(|&i| sentence_ends(&candidates[i].text))
            .collect();
        let choosing: Vec<bool> = places
            .iter()
            .zip(&ends)
            .map(|(&i, ends)| has_choice(&candidates[i].text, ends.len(), max_quote_chars))
            .collect();
        let reorders = places.len() > 1;
        let mut by_position: Vec<Option<Vec<f32>>> = vec![None; depth];
        // Alone, the first passage is read only for its quote's sake.
        if !reorders && !choosing[0] {
            return by_position;
        }
        let texts: Vec<&str> = places
            .iter()
            .map(|&i| candidates[i].text.as_str())
            .collect();
        let rows: Vec<usize> = places.iter().map(|&i| candidates[i].row).collect();
        let Some(mut cosines) = self
            .stored_cosines(&texts, &rows, &ends)
            .or_else(|| self.computed_cosines(&texts, &ends))
        else {
            return by_position;
        };
        let order = if reorders {
            self.reorder(candidates, &places, &cosines)
        } else {
            (0..places.len()).collect()
        };
        for (&place, &j) in places.iter().zip(&order) {
            if choosing[j] {
                by_position[place] = cosines[j].take();
            }
        }
        by_position
    }

    /// The cosines of each text's sentences (`None` for a text without), from the vectors
    /// stored at index time (the text's passage is at `rows`); `None` unless all of them are
    /// stored.
    fn stored_cosines(
        &self,
        texts: &[&str],
        rows: &[usize],
        ends: &[Vec<usize>],
    ) -> Option<Vec<Option<Vec<f32>>>> {
        let (passages, sentences) = self.stored?;
        let question = QueryVector::new(&self.question);
        texts
            .iter()
            .zip(rows)
            .zip(ends)
            .map(|((text, &row), ends)| {
                let key = passage_key(text);
                // Sentences are stored against their passage's own vector.
                if row >= passages.len() || passages.key(row) != key {
                    return None;
                }
                let to_passage = dot(&self.question, &passages.dequantized(row));
                let cosines = sentences.cosines(&question, to_passage, key, ends.len())?;
                Some(Some(cosines).filter(|c| !c.is_empty()))
            })
            .collect()
    }

    /// The same cosines from one forward pass over the texts; `None` if the encoder fails.
    fn computed_cosines(
        &self,
        texts: &[&str],
        ends: &[Vec<usize>],
    ) -> Option<Vec<Option<Vec<f32>>>> {
        let embedded = match self.encoder.embed_parts(texts, ends, Prefix::Passage) {
            Ok(embedded) => embedded,
            Err(error) => {
                tracing::warn!(error = %crate::error::chain(&error), "embedding the sentences failed: quotes by words");
                return None;
            }
        };
        Some(
            embedded
                .into_iter()
                .map(|passage| {
                    let of_sentences: Vec<f32> = passage
                        .parts
                        .iter()
                        .map(|part| dot(part, &self.question))
                        .collect();
                    Some(of_sentences).filter(|c| !c.is_empty())
                })
                .collect(),
        )
    }

    /// Adds each place's sentence evidence to its score and moves the passages among `places`,
    /// best first (ties keep the fusion's order). Returns, for each place, which of the original
    /// places' passages is now there.
    fn reorder(
        &self,
        candidates: &mut Vec<Candidate>,
        places: &[usize],
        cosines: &[Option<Vec<f32>>],
    ) -> Vec<usize> {
        let best: Vec<Option<f32>> = cosines
            .iter()
            .map(|c| {
                c.as_ref()
                    .map(|c| c.iter().copied().fold(f32::MIN, f32::max))
            })
            .collect();
        let shifts = sentence_shifts(&best, self.units_per_cosine);
        for (&place, shift) in places.iter().zip(shifts) {
            candidates[place].score += shift;
        }
        let scores: Vec<f32> = places.iter().map(|&i| candidates[i].score).collect();
        let order = best_first(&scores);
        move_places(candidates, places, &order);
        order
    }
}

/// What each passage's best sentence adds to its score, given each passage's best sentence
/// cosine (`None`: not read, nothing added): the best one adds nothing, the others lose in
/// proportion to how far their best sentence is behind, at most [`MAX_SENTENCE_SHIFT`].
fn sentence_shifts(best: &[Option<f32>], units_per_cosine: f32) -> Vec<f32> {
    let top = best.iter().flatten().copied().fold(f32::MIN, f32::max);
    best.iter()
        .map(|best| {
            best.map_or(0.0, |best| {
                (SENTENCE_WEIGHT * units_per_cosine * (best - top)).max(-MAX_SENTENCE_SHIFT)
            })
        })
        .collect()
}

fn dot(a: &[f32], b: &[f32]) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Indices of `scores`, best first; equal scores (to the ranking's rounding) keep their order.
fn best_first(scores: &[f32]) -> Vec<usize> {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by_key(|&j| std::cmp::Reverse(score_key(scores[j])));
    order
}

/// Puts the item of `places[order[k]]` at `places[k]`; items elsewhere keep their position.
fn move_places<T>(items: &mut Vec<T>, places: &[usize], order: &[usize]) {
    // Where each position's item comes from: a permutation of the positions.
    let mut source: Vec<usize> = (0..items.len()).collect();
    for (&place, &j) in places.iter().zip(order) {
        source[place] = places[j];
    }
    let mut original: Vec<Option<T>> = items.drain(..).map(Some).collect();
    items.extend(source.iter().filter_map(|&s| original[s].take()));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_passage_with_the_closest_sentence_loses_nothing() {
        let shifts = sentence_shifts(&[Some(0.84), Some(0.86), None], 40.0);
        assert_eq!(shifts[1], 0.0);
        assert!(shifts[0] < 0.0);
        // An unread passage keeps its fused score.
        assert_eq!(shifts[2], 0.0);
        // Twice as far behind, twice the loss, until the cap.
        let shifts = sentence_shifts(&[Some(0.860), Some(0.855), Some(0.850)], 10.0);
        assert!((shifts[2] - 2.0 * shifts[1]).abs() < 1e-4, "{shifts:?}");
        let far = sentence_shifts(&[Some(0.70), Some(0.90)], 100.0);
        assert_eq!(far[0], -MAX_SENTENCE_SHIFT);
    }

    #[test]
    fn a_close_second_passage_with_the_answer_sentence_moves_first() {
        // Fused scores 3.0 and 2.7: the second passage's best sentence is 0.02 closer.
        let shifts = sentence_shifts(&[Some(0.85), Some(0.87)], 30.0);
        let scores = [3.0 + shifts[0], 2.7 + shifts[1]];
        assert_eq!(best_first(&scores), [1, 0]);
        // Further behind than the cap, it could not.
        let scores = [3.0 + shifts[0], 3.0 - MAX_SENTENCE_SHIFT - 0.01 + shifts[1]];
        assert_eq!(best_first(&scores), [0, 1]);
    }

    #[test]
    fn equal_scores_keep_the_fusion_order() {
        assert_eq!(best_first(&[1.0, 1.00001, 0.5]), [0, 1, 2]);
        assert_eq!(best_first(&[0.5, 1.0, 0.7]), [1, 2, 0]);
    }

    #[test]
    fn only_the_places_move() {
        let mut items = vec!["a0", "b1", "a2", "c3"];
        // Places 0 and 2 hold one article's passages; the one at 2 moves first.
        move_places(&mut items, &[0, 2], &[1, 0]);
        assert_eq!(items, ["a2", "b1", "a0", "c3"]);
        let mut items = vec!["a0", "a1", "a2"];
        move_places(&mut items, &[0, 1, 2], &[2, 0, 1]);
        assert_eq!(items, ["a2", "a0", "a1"]);
    }
}
