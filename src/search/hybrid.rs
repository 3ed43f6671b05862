//! Hybrid ranking: the dense candidates of the embedding matrix join the lexical ones, and the
//! union is ranked by the fused score ([`crate::fusion`]).

use std::collections::HashSet;

use tantivy::collector::TopDocs;
use tantivy::query::TermQuery;
use tantivy::schema::IndexRecordOption;
use tantivy::Term;

use super::{annotate, read_candidate, sort_candidates, Candidate, Prepared, TitleMatches};
use crate::analysis::Analyzers;
use crate::filter::Scope;
use crate::index::Snapshot;
use crate::semantic::sentences::SentenceVectors;
use crate::semantic::vectors::{PassageVectors, QueryVector};
use crate::semantic::Encoder;

/// What semantic search needs: the encoder and the generation's passage embeddings.
#[derive(Clone, Copy)]
pub struct Semantic<'a> {
    /// Embeds the question.
    pub encoder: &'a Encoder,
    /// The passages' vectors, by row.
    pub vectors: &'a PassageVectors,
    /// Their sentences' vectors, when computed at index time: re-reading then looks them up
    /// instead of running the encoder.
    pub sentences: Option<&'a SentenceVectors>,
}

/// The union of the lexical and dense candidates, ranked by the fused score.
pub(super) struct HybridRanking {
    /// Best first.
    pub candidates: Vec<Candidate>,
    /// How far the best dense score stands above the corpus's, for abstention.
    pub margin: f32,
    /// What one unit of cosine is worth in this question's fused scores
    /// ([`crate::fusion::fused_units_per_cosine`]).
    pub units_per_cosine: f32,
}

/// Adds the dense candidates to the lexical ones and ranks the union by the fused score
/// ([`crate::fusion`]).
pub(super) fn hybrid_candidates(
    snapshot: &Snapshot,
    analyzers: &mut Analyzers,
    prepared: &Prepared,
    semantic: Semantic<'_>,
    query: &QueryVector,
    lexical: Vec<Candidate>,
    scope: Option<&Scope>,
) -> tantivy::Result<HybridRanking> {
    // How much of the question the words alone find, before the dense candidates join.
    let lexical_coverage = super::best_coverage(&lexical);
    let corpus_top = semantic.vectors.top(query, crate::fusion::DENSE_CANDIDATES);
    let corpus_list: Vec<f32> = corpus_top.iter().map(|(_, s)| *s).collect();
    let dense_top = match scope {
        Some(scope) => semantic.vectors.top_among(
            query,
            crate::fusion::DENSE_CANDIDATES,
            scope.rows.iter().cloned(),
        ),
        None => corpus_top,
    };
    let dense_list: Vec<f32> = dense_top.iter().map(|(_, s)| *s).collect();
    let best_dense = dense_list.first().copied().unwrap_or(f32::NEG_INFINITY);
    let lexical_list: Vec<f32> = lexical.iter().map(|c| c.score).collect();
    let lexical_rows: HashSet<usize> = lexical.iter().map(|c| c.row).collect();
    let mut lexical_scores: Vec<Option<f32>> = lexical.iter().map(|c| Some(c.score)).collect();
    let mut candidates = lexical;
    let searcher = snapshot.reader.searcher();
    let mut titles = TitleMatches::default();
    for &(row, _) in &dense_top {
        if lexical_rows.contains(&row) || row >= semantic.vectors.len() {
            continue;
        }
        let term = Term::from_field_u64(snapshot.fields.row, row as u64);
        let by_row = TermQuery::new(term, IndexRecordOption::Basic);
        let found = searcher.search(&by_row, &TopDocs::with_limit(1).order_by_score())?;
        if let Some((_, address)) = found.first() {
            let mut candidate = read_candidate(&searcher, snapshot, 0.0, *address)?;
            annotate(&mut candidate, prepared, analyzers, &mut titles);
            candidates.push(candidate);
            lexical_scores.push(None);
        }
    }
    let dense: Vec<f32> = candidates
        .iter()
        .map(|c| {
            semantic
                .vectors
                .similarity(query, c.row.min(semantic.vectors.len().saturating_sub(1)))
        })
        .collect();
    let dense_weight = crate::fusion::dense_weight(lexical_coverage);
    let fused = crate::fusion::fuse(
        &lexical_scores,
        &dense,
        &lexical_list,
        &dense_list,
        dense_weight,
    );
    for (candidate, score) in candidates.iter_mut().zip(fused) {
        candidate.score = score;
    }
    sort_candidates(&mut candidates);
    Ok(HybridRanking {
        candidates,
        margin: crate::fusion::dense_margin_of(best_dense, &corpus_list),
        units_per_cosine: crate::fusion::fused_units_per_cosine(&dense_list, dense_weight),
    })
}
