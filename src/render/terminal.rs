//! Plain text for the terminal.

use crate::corpus::ArticleMeta;
use crate::search::SearchResult;
use crate::source::SourceView;

/// Plain-text rendering for the terminal. With `bold`, matched words use ANSI bold.
pub fn answer_text(result: &SearchResult, bold: bool) -> String {
    let mut out = String::new();
    if result.abstained {
        out.push_str(match result.abstention {
            Some(crate::search::Abstention::NoTerms) => "Your question has no searchable words.\n",
            _ => "No passage in the corpus answers this question.\n",
        });
        if !result.nearest.is_empty() {
            out.push_str("Nearest articles:\n");
            for (file, title) in &result.nearest {
                out.push_str(&format!("  - {title} ({file})\n"));
            }
        }
        return out;
    }
    for (i, hit) in result.hits.iter().enumerate() {
        let mut quote = String::new();
        let mut cursor = 0;
        for &(s, e) in &hit.highlights {
            if s < cursor
                || e > hit.quote.len()
                || !hit.quote.is_char_boundary(s)
                || !hit.quote.is_char_boundary(e)
            {
                continue;
            }
            quote.push_str(&hit.quote[cursor..s]);
            if bold {
                quote.push_str(&format!("\x1b[1m{}\x1b[0m", &hit.quote[s..e]));
            } else {
                quote.push_str(&hit.quote[s..e]);
            }
            cursor = e;
        }
        quote.push_str(&hit.quote[cursor..]);
        let prefix = if hit.quote_cut_start { "…" } else { "" };
        let suffix = if hit.quote_cut_end { "…" } else { "" };
        out.push_str(&format!(
            "{}. « {prefix}{}{suffix} »\n",
            i + 1,
            quote.trim()
        ));
        out.push_str(&format!(
            "   — {} · {} ¶{}",
            hit.title, hit.source, hit.paragraph
        ));
        if let Some(outlet) = &hit.outlet {
            out.push_str(&format!(" · {outlet}"));
        }
        if let Some(url) = &hit.url {
            out.push_str(&format!(" · {url}"));
        }
        // See `crate::cite`: the hash is paragraph N's, the range is the quote's.
        out.push_str(&format!(
            "  [¶{} hash {} · quote bytes {}–{}]\n\n",
            hit.paragraph, hit.hash, hit.quote_start, hit.quote_end
        ));
    }
    out
}

/// `source` for the terminal.
pub fn source_text(view: &SourceView) -> String {
    let a = &view.article;
    let mut out = format!(
        "{}\n{} · {} paragraphs · hash {}\n",
        a.title, a.file, a.paragraphs, a.hash
    );
    for (label, value) in [
        ("outlet", &a.outlet),
        ("url", &a.url),
        ("date", &a.date),
        ("author", &a.author),
    ] {
        if let Some(v) = value {
            out.push_str(&format!("{label}: {v}\n"));
        }
    }
    if view.changed_since_index {
        out.push_str("note: the file changed since it was indexed; reindex to update answers\n");
    }
    out.push('\n');
    for p in &view.paragraphs {
        out.push_str(&format!(
            "¶{} [bytes {}–{}, hash {}]\n{}\n\n",
            p.paragraph, p.byte_start, p.byte_end, p.hash, p.text
        ));
    }
    out
}

/// `sources` for the terminal.
pub fn sources_text(articles: &[ArticleMeta], skipped: &[crate::corpus::SkippedFile]) -> String {
    let mut out = String::new();
    for a in articles {
        out.push_str(&format!("{}  {}  ({} ¶", a.file, a.title, a.paragraphs));
        if let Some(outlet) = &a.outlet {
            out.push_str(&format!(", {outlet}"));
        }
        out.push_str(")\n");
    }
    if !skipped.is_empty() {
        out.push_str(&format!("\nskipped {} file(s):\n", skipped.len()));
        for s in skipped {
            out.push_str(&format!("  {}: {}\n", s.file, s.reason));
        }
    }
    out
}

/// `source FILE --bytes A..B` for the terminal.
pub fn bytes_text(view: &crate::cite::ByteView) -> String {
    let holder = match (view.paragraph, &view.paragraph_hash) {
        (Some(n), Some(hash)) => format!(" · in ¶{n} (hash {hash})"),
        _ => " · spans more than one paragraph".to_string(),
    };
    format!(
        "{} bytes {}–{} · hash {}{holder}\n{}\n",
        view.file, view.byte_start, view.byte_end, view.hash, view.text
    )
}
