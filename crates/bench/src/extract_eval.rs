//! Article extraction measured on pages with a reference extraction (Mozilla Readability's test
//! pages in `../shared/extract-dev`): the product's extractor (`dom_smoothie`, in
//! `coverage_bot::extract`) beside the runner-up (`libreadability`, a port of go-readability).
//!
//! Measure, per page: token F1 between the visible text of the extraction and of `expected.html`
//! (lower-cased, whitespace-split, as multisets), and whether the title and the publication day
//! equal `expected-metadata.json`'s.

use std::collections::HashMap;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

/// One extractor's figures on one page.
#[derive(Debug, Clone, Serialize)]
pub struct Scores {
    /// Token F1 against the reference text.
    pub f1: f64,
    /// The title matches.
    pub title: bool,
    /// The publication day matches (both absent counts as a match).
    pub date: bool,
}

/// Both extractors on one page.
#[derive(Debug, Clone, Serialize)]
pub struct Page {
    /// The page folder's name.
    pub name: String,
    /// The product's extractor, measured like the runner-up (visible text of its article HTML).
    pub product: Scores,
    /// Token F1 of the text the product stores (its paragraphs, from Readability's formatted
    /// text): what users are quoted.
    pub product_stored_f1: f64,
    /// The runner-up.
    pub runner_up: Scores,
}

/// The visible text of an HTML fragment: text nodes outside script, style and noscript.
fn visible_text(html: &str) -> String {
    let document = scraper::Html::parse_fragment(html);
    let mut out = String::new();
    for node in document.tree.nodes() {
        let Some(text) = node.value().as_text() else {
            continue;
        };
        let hidden = node.ancestors().any(|a| {
            a.value()
                .as_element()
                .is_some_and(|e| matches!(e.name(), "script" | "style" | "noscript"))
        });
        if !hidden {
            out.push_str(text);
            out.push(' ');
        }
    }
    out
}

fn token_counts(text: &str) -> HashMap<String, usize> {
    let mut counts = HashMap::new();
    for token in text.to_lowercase().split_whitespace() {
        *counts.entry(token.to_string()).or_insert(0) += 1;
    }
    counts
}

/// Token F1 of two texts (multiset overlap).
pub fn token_f1(found: &str, expected: &str) -> f64 {
    let (found, expected) = (token_counts(found), token_counts(expected));
    let overlap: usize = found
        .iter()
        .map(|(token, n)| (*n).min(expected.get(token).copied().unwrap_or(0)))
        .sum();
    if overlap == 0 {
        return 0.0;
    }
    let precision = overlap as f64 / found.values().sum::<usize>() as f64;
    let recall = overlap as f64 / expected.values().sum::<usize>() as f64;
    2.0 * precision * recall / (precision + recall)
}

fn day(time: Option<&str>) -> Option<String> {
    time.map(|t| t.trim().chars().take(10).collect::<String>())
        .filter(|d| !d.is_empty())
}

/// Measures both extractors on every page folder of `pages`.
pub fn measure(pages: &Path) -> anyhow::Result<Vec<Page>> {
    let mut names: Vec<String> = std::fs::read_dir(pages)
        .with_context(|| format!("reading {}", pages.display()))?
        .filter_map(Result::ok)
        .filter(|e| e.path().join("source.html").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let mut out = Vec::with_capacity(names.len());
    // The suite's pages are extracted as if served from this address.
    let url = "http://fakehost/test/page.html";
    for name in names {
        let dir = pages.join(&name);
        let source = String::from_utf8_lossy(&std::fs::read(dir.join("source.html"))?).into_owned();
        let expected = visible_text(&std::fs::read_to_string(dir.join("expected.html"))?);
        let metadata: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(
            dir.join("expected-metadata.json"),
        )?)?;
        let title = metadata["title"].as_str().unwrap_or_default().trim();
        let date = day(metadata["publishedTime"].as_str());
        let product = match coverage_bot::extract::extract(&source, Some(url)) {
            Ok(article) => Scores {
                f1: token_f1(&visible_text(&article.html), &expected),
                title: article.title == title,
                date: day(article.date.as_deref()) == date,
            },
            Err(_) => Scores {
                f1: 0.0,
                title: false,
                date: false,
            },
        };
        let product_stored_f1 = coverage_bot::extract::extract(&source, Some(url))
            .map(|article| token_f1(&article.body(), &expected))
            .unwrap_or(0.0);
        let runner_up = match libreadability::extract(&source, Some(url)) {
            Ok(article) => Scores {
                f1: token_f1(&visible_text(&article.content), &expected),
                title: article.title.trim() == title,
                date: day(Some(article.published_time.as_str())) == date,
            },
            Err(_) => Scores {
                f1: 0.0,
                title: false,
                date: false,
            },
        };
        out.push(Page {
            name,
            product,
            product_stored_f1,
            runner_up,
        });
    }
    Ok(out)
}

/// A Markdown table of the pages and the means.
pub fn table(pages: &[Page]) -> String {
    let mut out = String::from(
        "| page | dom_smoothie F1 | stored text F1 | title | date | libreadability F1 | title | date |\n|---|---|---|---|---|---|---|---|\n",
    );
    let mark = |b: bool| if b { "✓" } else { "✗" };
    for p in pages {
        out.push_str(&format!(
            "| {} | {:.3} | {:.3} | {} | {} | {:.3} | {} | {} |\n",
            p.name,
            p.product.f1,
            p.product_stored_f1,
            mark(p.product.title),
            mark(p.product.date),
            p.runner_up.f1,
            mark(p.runner_up.title),
            mark(p.runner_up.date)
        ));
    }
    let n = pages.len().max(1) as f64;
    let mean = |f: fn(&Page) -> f64| pages.iter().map(f).sum::<f64>() / n;
    let count = |f: fn(&Page) -> bool| pages.iter().filter(|p| f(p)).count();
    out.push_str(&format!(
        "| **mean / count** | **{:.3}** | {:.3} | {}/{} | {}/{} | **{:.3}** | {}/{} | {}/{} |\n",
        mean(|p| p.product.f1),
        mean(|p| p.product_stored_f1),
        count(|p| p.product.title),
        pages.len(),
        count(|p| p.product.date),
        pages.len(),
        mean(|p| p.runner_up.f1),
        count(|p| p.runner_up.title),
        pages.len(),
        count(|p| p.runner_up.date),
        pages.len()
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn token_f1_counts_repeated_tokens_once_each() {
        assert_eq!(token_f1("a b c", "a b c"), 1.0);
        assert_eq!(token_f1("", "a"), 0.0);
        // found a a b (3), expected a b b c (4): overlap a + b = 2.
        let f1 = token_f1("A a b", "a b b c");
        assert!((f1 - 2.0 * (2.0 / 3.0) * 0.5 / (2.0 / 3.0 + 0.5)).abs() < 1e-12);
        assert_eq!(
            visible_text("<p>x<script>y</script></p><style>z</style>").trim(),
            "x"
        );
    }
}
