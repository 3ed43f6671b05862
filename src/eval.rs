//! Evaluation over a JSONL question set: source and quote accuracy, MRR and abstention.

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::{CoreError, Result};
use crate::search::SearchResult;
use crate::text::normalize_spacing;

/// One line of the question file.
#[derive(Debug, Clone, Deserialize)]
pub struct EvalQuestion {
    /// Identifier.
    pub id: String,
    /// The question.
    pub question: String,
    /// Files that answer it; empty when no answer is expected.
    #[serde(default)]
    pub sources: Vec<String>,
    /// Substrings a correct quote contains.
    #[serde(default)]
    pub answers: Vec<String>,
    /// Optional category, reported separately.
    #[serde(default)]
    pub kind: Option<String>,
}

/// Reads a JSONL question file. Blank lines and lines starting with `//` are ignored.
pub fn read_questions(path: &Path) -> Result<Vec<EvalQuestion>> {
    let text = std::fs::read_to_string(path).map_err(|e| CoreError::io(path, e))?;
    let mut questions = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            continue;
        }
        let question: EvalQuestion = serde_json::from_str(line).map_err(|e| CoreError::Eval {
            path: path.to_path_buf(),
            line: i + 1,
            message: e.to_string(),
        })?;
        questions.push(question);
    }
    Ok(questions)
}

/// Metrics over a group of questions.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Metrics {
    /// Questions with an expected answer.
    pub answerable: usize,
    /// Questions without one.
    pub unanswerable: usize,
    /// Top hit from an expected source.
    pub src_at_1: f64,
    /// An expected source in the top 3.
    pub src_at_3: f64,
    /// Top hit's quote contains an answer.
    pub quote_at_1: f64,
    /// One of the top 3 quotes contains an answer.
    pub quote_at_3: f64,
    /// Mean reciprocal rank of the first hit from an expected source.
    pub mrr: f64,
    /// Share of unanswerable questions on which the search abstained.
    pub abstention_rate: f64,
    /// Answerable questions on which it abstained.
    pub false_abstentions: usize,
}

/// Per-question outcome.
#[derive(Debug, Clone, Serialize)]
pub struct QuestionOutcome {
    /// Question id.
    pub id: String,
    /// Category.
    pub kind: Option<String>,
    /// Rank (1-based) of the first hit whose quote contains an answer.
    pub quote_rank: Option<usize>,
    /// Rank of the first hit from an expected source.
    pub source_rank: Option<usize>,
    /// Rank of the first hit whose whole passage contains an answer: with `quote_rank`, tells a
    /// wrong passage from a quote that left the answer out.
    pub passage_rank: Option<usize>,
    /// Whether the search abstained.
    pub abstained: bool,
    /// Whether an answer was expected.
    pub answerable: bool,
    /// The top hit's citation, for reading failures.
    pub top: Option<String>,
    /// Coverage of the best passage (what abstention is decided on).
    pub coverage: f32,
}

/// The evaluation report.
#[derive(Debug, Clone, Serialize)]
pub struct EvalReport {
    /// All questions.
    pub overall: Metrics,
    /// By `kind`.
    pub by_kind: BTreeMap<String, Metrics>,
    /// Each question.
    pub questions: Vec<QuestionOutcome>,
}

/// Whether a quote contains an answer, comparing after normalizing spaces and apostrophes.
pub fn quote_contains(quote: &str, answer: &str) -> bool {
    let answer = normalize_spacing(answer);
    !answer.is_empty() && normalize_spacing(quote).contains(&answer)
}

/// Scores one result.
pub fn judge(question: &EvalQuestion, result: &SearchResult, top_k: usize) -> QuestionOutcome {
    let hits = &result.hits()[..result.hits().len().min(top_k)];
    let quote_rank = hits
        .iter()
        .position(|h| question.answers.iter().any(|a| quote_contains(&h.quote, a)))
        .map(|i| i + 1);
    let source_rank = hits
        .iter()
        .position(|h| question.sources.contains(&h.source))
        .map(|i| i + 1);
    let passage_rank = hits
        .iter()
        .position(|h| {
            question
                .answers
                .iter()
                .any(|a| quote_contains(&h.passage, a))
        })
        .map(|i| i + 1);
    QuestionOutcome {
        id: question.id.clone(),
        kind: question.kind.clone(),
        quote_rank,
        source_rank,
        passage_rank,
        abstained: result.is_abstained(),
        answerable: !question.sources.is_empty(),
        top: hits
            .first()
            .map(|h| format!("{} ¶{}", h.source, h.paragraph)),
        coverage: result.coverage,
    }
}

/// Aggregates outcomes.
pub fn aggregate<'a>(outcomes: impl IntoIterator<Item = &'a QuestionOutcome>) -> Metrics {
    let mut m = Metrics::default();
    let (mut s1, mut s3, mut q1, mut q3, mut rr, mut abst) = (0, 0, 0, 0, 0.0, 0);
    for o in outcomes {
        if o.answerable {
            m.answerable += 1;
            s1 += usize::from(o.source_rank == Some(1));
            s3 += usize::from(o.source_rank.is_some_and(|r| r <= 3));
            q1 += usize::from(o.quote_rank == Some(1));
            q3 += usize::from(o.quote_rank.is_some_and(|r| r <= 3));
            rr += o.source_rank.map(|r| 1.0 / r as f64).unwrap_or(0.0);
            m.false_abstentions += usize::from(o.abstained);
        } else {
            m.unanswerable += 1;
            abst += usize::from(o.abstained);
        }
    }
    let ratio = |n: usize, d: usize| if d == 0 { 0.0 } else { n as f64 / d as f64 };
    m.src_at_1 = ratio(s1, m.answerable);
    m.src_at_3 = ratio(s3, m.answerable);
    m.quote_at_1 = ratio(q1, m.answerable);
    m.quote_at_3 = ratio(q3, m.answerable);
    m.mrr = if m.answerable == 0 {
        0.0
    } else {
        rr / m.answerable as f64
    };
    m.abstention_rate = ratio(abst, m.unanswerable);
    m
}

/// Builds the report from per-question outcomes.
pub fn report(outcomes: Vec<QuestionOutcome>) -> EvalReport {
    let overall = aggregate(&outcomes);
    let mut groups: BTreeMap<String, Vec<&QuestionOutcome>> = BTreeMap::new();
    for o in &outcomes {
        if let Some(kind) = &o.kind {
            groups.entry(kind.clone()).or_default().push(o);
        }
    }
    let by_kind = groups.into_iter().map(|(k, v)| (k, aggregate(v))).collect();
    EvalReport {
        overall,
        by_kind,
        questions: outcomes,
    }
}

impl EvalReport {
    /// A plain-text table.
    pub fn to_table(&self) -> String {
        let mut out = String::from(
            "group              n   src@1  src@3  quote@1 quote@3  MRR    abstain  false-abst\n",
        );
        let row = |name: &str, m: &Metrics| {
            format!(
                "{name:<16} {:>4}   {:.3}  {:.3}  {:.3}   {:.3}    {:.3}  {}  {}\n",
                m.answerable + m.unanswerable,
                m.src_at_1,
                m.src_at_3,
                m.quote_at_1,
                m.quote_at_3,
                m.mrr,
                if m.unanswerable > 0 {
                    format!("{:.3}  ", m.abstention_rate)
                } else {
                    "  -    ".to_string()
                },
                m.false_abstentions
            )
        };
        out.push_str(&row("all", &self.overall));
        for (kind, m) in &self.by_kind {
            out.push_str(&row(kind, m));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quote_matching_normalizes_spaces_and_apostrophes() {
        assert!(quote_contains(
            "l’État\u{a0}d’Israël a dit",
            "l'État d'Israël"
        ));
        assert!(!quote_contains("l'Etat", "l'État"));
        assert!(!quote_contains("abc", ""));
    }

    #[test]
    fn aggregate_counts_ranks_and_abstentions() {
        let o = |answerable, quote_rank, source_rank, abstained| QuestionOutcome {
            id: "x".into(),
            kind: None,
            quote_rank,
            source_rank,
            passage_rank: quote_rank,
            abstained,
            answerable,
            top: None,
            coverage: 0.0,
        };
        let m = aggregate(&[
            o(true, Some(1), Some(1), false),
            o(true, Some(2), Some(2), false),
            o(true, None, None, true),
            o(false, None, None, true),
            o(false, None, None, false),
        ]);
        assert_eq!(m.answerable, 3);
        assert!((m.src_at_1 - 1.0 / 3.0).abs() < 1e-9);
        assert!((m.quote_at_3 - 2.0 / 3.0).abs() < 1e-9);
        assert!((m.mrr - 0.5).abs() < 1e-9);
        assert_eq!(m.false_abstentions, 1);
        assert!((m.abstention_rate - 0.5).abs() < 1e-9);
    }
}
