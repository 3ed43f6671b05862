//! Measures boilerplate false positives on clean article text.
//!
//! Each subfolder of the given directory holds an `expected.html`: the article text a good
//! extractor keeps (Mozilla Readability's test pages). Every paragraph of it is article text, so
//! every paragraph the cleaner flags is a false positive. The table compares the rules before
//! issue #11 (the same default patterns applied anywhere, as `legacy_flags` below) with the current [`Cleaner`].
//!
//! ```text
//! cargo run --release --example boilerplate_check -- /work/shared/extract-dev
//! ```

use std::path::{Path, PathBuf};

use coverage_bot::clean::{ends_like_sentence, Cleaner, DEFAULT_PATTERNS};
use coverage_bot::text::fold;
use regex::RegexSet;
use scraper::{ElementRef, Html, Selector};

/// The rules before issue #11: any pattern anywhere, then short or unpunctuated lines after the
/// last prose paragraph.
fn legacy_flags(set: &RegexSet, blocks: &[String]) -> Vec<bool> {
    let mut flags: Vec<bool> = blocks.iter().map(|b| set.is_match(&fold(b))).collect();
    let prose = |b: &str| ends_like_sentence(b) && b.split_whitespace().count() >= 12;
    let last = (0..blocks.len()).rposition(|i| !flags[i] && prose(&blocks[i]));
    if let Some(last) = last {
        for (i, block) in blocks.iter().enumerate().skip(last + 1) {
            if !ends_like_sentence(block) || block.chars().count() < 40 {
                flags[i] = true;
            }
        }
    }
    flags
}

/// Paragraph texts of an article: the innermost `p`, `li`, heading and `blockquote` elements,
/// whitespace collapsed, empty ones dropped.
fn paragraphs(html: &str) -> Vec<String> {
    let Ok(blocks) = Selector::parse("p, li, h1, h2, h3, h4, h5, h6, blockquote") else {
        return Vec::new();
    };
    let document = Html::parse_document(html);
    let innermost = |e: &ElementRef| e.select(&blocks).nth(1).is_none();
    document
        .select(&blocks)
        .filter(innermost)
        .map(|e| e.text().collect::<Vec<_>>().join(" "))
        .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|t| !t.is_empty())
        .collect()
}

fn pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut pages: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.join("expected.html").is_file())
        .collect();
    pages.sort();
    Ok(pages)
}

fn main() -> anyhow::Result<()> {
    let dir = std::env::args()
        .nth(1)
        .map(PathBuf::from)
        .ok_or_else(|| anyhow::anyhow!("usage: boilerplate_check <extract-dev folder>"))?;
    let legacy = RegexSet::new(DEFAULT_PATTERNS)?;
    let cleaner = Cleaner::with_default_patterns();
    let (mut total, mut before, mut after) = (0, 0, 0);
    let mut flagged_after = Vec::new();
    println!("| page | paragraphs | flagged before | flagged after |");
    println!("|---|---:|---:|---:|");
    let pages = pages(&dir)?;
    for page in &pages {
        let name = page.file_name().unwrap_or_default().to_string_lossy();
        let texts = paragraphs(&std::fs::read_to_string(page.join("expected.html"))?);
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let old = legacy_flags(&legacy, &texts).iter().filter(|f| **f).count();
        let new = cleaner.boilerplate_flags(&refs);
        for (text, _) in texts.iter().zip(&new).filter(|(_, f)| **f) {
            flagged_after.push(format!(
                "{name}: {}",
                coverage_bot::text::truncate_chars(text, 140)
            ));
        }
        let new = new.iter().filter(|f| **f).count();
        println!("| {name} | {} | {old} | {new} |", texts.len());
        total += texts.len();
        before += old;
        after += new;
    }
    println!(
        "| **{} pages** | **{total}** | **{before}** | **{after}** |",
        pages.len()
    );
    println!("\nflagged after:");
    for line in &flagged_after {
        println!("- {line}");
    }
    Ok(())
}
