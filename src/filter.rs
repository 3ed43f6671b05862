//! Filters that narrow a question to part of the corpus: one outlet, a period, or one article.
//!
//! A filter is resolved against the catalog into a [`Scope`]: the files it keeps and their
//! passage rows. The search then runs inside that scope (a tantivy clause on the file field and a
//! scan of the kept rows only), so a filtered question still gets its full number of hits when
//! the kept articles have them.

use std::ops::Range;

use chrono::NaiveDate;
use serde::Serialize;

use crate::corpus::ArticleMeta;
use crate::text::fold;

/// Why a filter was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FilterError {
    /// A date that is not a real `YYYY-MM-DD` day.
    #[error("`{given}` is not a date: write it as YYYY-MM-DD, e.g. 2024-03-05")]
    BadDate {
        /// The text given.
        given: String,
    },
    /// `after` falls later than `before`: no day can match.
    #[error("the period is empty: {after} comes after {before}")]
    EmptyPeriod {
        /// The first day kept.
        after: NaiveDate,
        /// The last day kept.
        before: NaiveDate,
    },
}

/// What a question may be restricted to. Every field set must match (they combine with "and").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    outlet: Option<String>,
    after: Option<NaiveDate>,
    before: Option<NaiveDate>,
    source: Option<String>,
}

impl Filter {
    /// A filter from user text. Blank values count as absent. `after` and `before` are inclusive
    /// days (`after:2024-03-01 before:2024-03-31` is March), written `YYYY-MM-DD`.
    pub fn parse(
        outlet: Option<&str>,
        after: Option<&str>,
        before: Option<&str>,
        source: Option<&str>,
    ) -> Result<Filter, FilterError> {
        let given = |value: Option<&str>| {
            value
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        let day = |value: Option<&str>| given(value).map(|t| Filter::parse_day(&t)).transpose();
        let filter = Filter {
            outlet: given(outlet),
            after: day(after)?,
            before: day(before)?,
            source: given(source),
        };
        if let (Some(after), Some(before)) = (filter.after, filter.before) {
            if after > before {
                return Err(FilterError::EmptyPeriod { after, before });
            }
        }
        Ok(filter)
    }

    /// One day written `YYYY-MM-DD`, as the date filters take it.
    pub fn parse_day(text: &str) -> Result<NaiveDate, FilterError> {
        parse_day(text.trim()).ok_or_else(|| FilterError::BadDate {
            given: text.to_string(),
        })
    }

    /// Whether the filter keeps everything.
    pub fn is_empty(&self) -> bool {
        *self == Filter::default()
    }

    /// The article file the filter names, if any.
    pub fn source(&self) -> Option<&str> {
        self.source.as_deref()
    }

    /// The same filter naming `file` (a name resolved to the corpus's spelling).
    pub fn with_source(self, file: String) -> Filter {
        Filter {
            source: Some(file),
            ..self
        }
    }

    /// Whether the filter keeps `article`. An article without a readable date is never kept by a
    /// date filter. Outlets match whatever their case and accents.
    pub fn keeps(&self, article: &ArticleMeta) -> bool {
        if let Some(outlet) = &self.outlet {
            let same = article
                .outlet
                .as_deref()
                .is_some_and(|o| fold(o.trim()) == fold(outlet));
            if !same {
                return false;
            }
        }
        if let Some(source) = &self.source {
            if article.file != *source {
                return false;
            }
        }
        if self.after.is_none() && self.before.is_none() {
            return true;
        }
        let Some(date) = article.date.as_deref().and_then(article_day) else {
            return false;
        };
        self.after.is_none_or(|after| date >= after) && self.before.is_none_or(|b| date <= b)
    }

    /// The part of the corpus the filter keeps.
    pub fn scope(&self, articles: &[ArticleMeta]) -> Scope {
        let kept: Vec<&ArticleMeta> = articles.iter().filter(|a| self.keeps(a)).collect();
        Scope {
            files: kept.iter().map(|a| a.file.clone()).collect(),
            rows: kept
                .iter()
                .map(|a| a.rows.clone())
                .filter(|r| !r.is_empty())
                .collect(),
            count: ScopeCount {
                kept: kept.len(),
                total: articles.len(),
            },
        }
    }
}

/// How many articles a filter kept, of how many.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ScopeCount {
    /// Articles the filter kept.
    pub kept: usize,
    /// Articles in the corpus.
    pub total: usize,
}

/// The articles a filter keeps, as the search needs them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// Corpus file names kept.
    pub files: Vec<String>,
    /// Their passages' rows in the embedding matrix.
    pub rows: Vec<Range<usize>>,
    /// How many were kept.
    pub count: ScopeCount,
}

impl Scope {
    /// Whether the scope keeps no article at all.
    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

/// An outlet of the corpus and how many articles it has.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutletCount {
    /// The outlet as first spelled in the catalog.
    pub outlet: String,
    /// Its articles (every spelling that matches the same filter).
    pub articles: usize,
}

/// The outlets whose name contains `partial` (case- and accent-insensitive), most articles first,
/// then by name. Spellings that a filter treats as one outlet (same letters once case and
/// accents are folded) are counted as one.
pub fn outlets(articles: &[ArticleMeta], partial: &str, limit: usize) -> Vec<OutletCount> {
    let mut counts: std::collections::BTreeMap<String, OutletCount> = Default::default();
    for outlet in articles.iter().filter_map(|a| a.outlet.as_deref()) {
        let outlet = outlet.trim();
        if outlet.is_empty() {
            continue;
        }
        counts
            .entry(fold(outlet))
            .or_insert_with(|| OutletCount {
                outlet: outlet.to_string(),
                articles: 0,
            })
            .articles += 1;
    }
    let wanted = fold(partial.trim());
    let mut found: Vec<OutletCount> = counts
        .into_values()
        .filter(|o| fold(&o.outlet).contains(&wanted))
        .collect();
    found.sort_by(|a, b| b.articles.cmp(&a.articles).then(a.outlet.cmp(&b.outlet)));
    found.truncate(limit);
    found
}

fn parse_day(text: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(text, "%Y-%m-%d").ok()
}

/// The day of an article's date as written in its front matter: a leading `YYYY-MM-DD`
/// (`2024-03-05`, `2024-03-05T08:00:00+01:00`, `2024-03-05 08:00`). Other forms are not read:
/// such an article counts as undated.
pub fn article_day(date: &str) -> Option<NaiveDate> {
    let date = date.trim();
    let day = date.get(..10)?;
    let rest = &date[10..];
    if !(rest.is_empty() || rest.starts_with(['T', ' ', 't'])) {
        return None;
    }
    parse_day(day)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn article(
        file: &str,
        outlet: Option<&str>,
        date: Option<&str>,
        rows: Range<usize>,
    ) -> ArticleMeta {
        ArticleMeta {
            file: file.into(),
            title: file.into(),
            url: None,
            outlet: outlet.map(str::to_string),
            date: date.map(str::to_string),
            author: None,
            bytes: 0,
            paragraphs: 1,
            hash: String::new(),
            body_start: None,
            title_in_front_matter: false,
            body_hash: None,
            rows,
        }
    }

    fn corpus() -> Vec<ArticleMeta> {
        vec![
            article("a.md", Some("Le Monde"), Some("2024-03-05"), 0..4),
            article(
                "b.md",
                Some("Libération"),
                Some("2024-03-31T23:00:00Z"),
                4..6,
            ),
            article("c.md", Some("le monde "), None, 6..9),
            article("d.md", None, Some("5 mars 2024"), 9..10),
        ]
    }

    fn kept(filter: &Filter) -> Vec<String> {
        filter.scope(&corpus()).files
    }

    #[test]
    fn an_empty_filter_keeps_every_article_and_every_row() {
        let filter = Filter::parse(None, Some(" "), None, Some("")).unwrap();
        assert!(filter.is_empty());
        let scope = filter.scope(&corpus());
        assert_eq!(scope.count, ScopeCount { kept: 4, total: 4 });
        assert_eq!(scope.rows, vec![0..4, 4..6, 6..9, 9..10]);
    }

    #[test]
    fn outlets_match_whatever_their_case_and_spacing() {
        let filter = Filter::parse(Some("LE MONDE"), None, None, None).unwrap();
        assert_eq!(kept(&filter), ["a.md", "c.md"]);
        assert_eq!(filter.scope(&corpus()).rows, vec![0..4, 6..9]);
    }

    #[test]
    fn dates_are_inclusive_days_and_undated_articles_never_match() {
        let march = Filter::parse(None, Some("2024-03-01"), Some("2024-03-31"), None).unwrap();
        assert_eq!(kept(&march), ["a.md", "b.md"]);
        let from_the_6th = Filter::parse(None, Some("2024-03-06"), None, None).unwrap();
        assert_eq!(kept(&from_the_6th), ["b.md"]);
        let until_the_5th = Filter::parse(None, None, Some("2024-03-05"), None).unwrap();
        assert_eq!(kept(&until_the_5th), ["a.md"]);
    }

    #[test]
    fn filters_combine_and_a_source_keeps_one_article() {
        let filter = Filter::parse(Some("le monde"), Some("2024-01-01"), None, None).unwrap();
        assert_eq!(kept(&filter), ["a.md"]);
        let one = Filter::parse(None, None, None, Some("c.md")).unwrap();
        assert_eq!(one.scope(&corpus()).count, ScopeCount { kept: 1, total: 4 });
        let none = Filter::parse(Some("Le Figaro"), None, None, None).unwrap();
        assert!(none.scope(&corpus()).is_empty());
    }

    #[test]
    fn outlets_are_counted_once_per_spelling_and_matched_loosely() {
        let all = outlets(&corpus(), "", 10);
        assert_eq!(
            all,
            vec![
                OutletCount {
                    outlet: "Le Monde".into(),
                    articles: 2
                },
                OutletCount {
                    outlet: "Libération".into(),
                    articles: 1
                },
            ]
        );
        assert_eq!(outlets(&corpus(), "liberation", 10)[0].outlet, "Libération");
        assert_eq!(outlets(&corpus(), "MON", 10)[0].articles, 2);
        assert!(outlets(&corpus(), "figaro", 10).is_empty());
        assert_eq!(outlets(&corpus(), "", 1).len(), 1);
    }

    #[test]
    fn bad_dates_and_empty_periods_are_refused_with_what_was_given() {
        for bad in [
            "2024-02-30",
            "05/03/2024",
            "2024-03",
            "demain",
            "2024-03-05x",
        ] {
            assert_eq!(
                Filter::parse(None, Some(bad), None, None),
                Err(FilterError::BadDate { given: bad.into() }),
                "{bad}"
            );
        }
        let error = Filter::parse(None, Some("2024-04-01"), Some("2024-03-01"), None).unwrap_err();
        assert!(matches!(error, FilterError::EmptyPeriod { .. }));
        assert!(error.to_string().contains("2024-04-01"));
    }

    #[test]
    fn article_dates_are_read_from_a_leading_iso_day_only() {
        let day = NaiveDate::from_ymd_opt(2024, 3, 5);
        assert_eq!(article_day("2024-03-05"), day);
        assert_eq!(article_day(" 2024-03-05T08:00:00+01:00"), day);
        assert_eq!(article_day("2024-03-05 08:00"), day);
        assert_eq!(article_day("2024-03-051"), None);
        assert_eq!(article_day("5 mars 2024"), None);
        assert_eq!(article_day("2024-13-01"), None);
        assert_eq!(article_day("été"), None);
    }
}
