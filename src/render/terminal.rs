//! Plain text for the terminal.
//!
//! Every piece of corpus- or user-derived text (titles, file names, metadata, quotes, paragraphs,
//! skip reasons) goes through [`visible_controls`] or [`visible_controls_line`], so that a file
//! cannot send escape sequences to the reader's terminal. Our own ANSI bold is added after.

use crate::corpus::ArticleMeta;
use crate::messages::terminal;
use crate::search::{Abstention, Answer, SearchResult};
use crate::source::SourceView;
use crate::text::{visible_controls as multi, visible_controls_line as line};

/// Plain-text rendering for the terminal. With `bold`, matched words use ANSI bold.
pub fn answer_text(result: &SearchResult, bold: bool) -> String {
    let text = terminal();
    let mut out = String::new();
    if let Some(scope) = result.scope {
        out.push_str(&(text.scope)(scope.kept, scope.total));
        out.push('\n');
    }
    let hits = match &result.answer {
        Answer::Found { hits } => hits,
        Answer::Abstained { reason, nearest } => {
            out.push_str(match reason {
                Abstention::NoTerms => text.no_terms,
                Abstention::NotCovered => text.not_covered,
                Abstention::OutOfScope => text.out_of_scope,
            });
            out.push('\n');
            if !nearest.is_empty() {
                out.push_str(text.nearest);
                out.push('\n');
                for n in nearest {
                    out.push_str(&format!("  - {} ({})\n", line(&n.title), line(&n.source)));
                }
            }
            return out;
        }
    };
    for (i, hit) in hits.iter().enumerate() {
        let mut quote = String::new();
        for segment in super::highlighted_segments(hit) {
            if bold && segment.matched {
                quote.push_str(&format!("\x1b[1m{}\x1b[0m", multi(segment.text)));
            } else {
                quote.push_str(&multi(segment.text));
            }
        }
        let prefix = if hit.quote_cut_start { "…" } else { "" };
        let suffix = if hit.quote_cut_end { "…" } else { "" };
        out.push_str(&format!(
            "{}. « {prefix}{}{suffix} »\n",
            i + 1,
            quote.trim()
        ));
        out.push_str(&format!(
            "   — {} · {} ¶{}",
            line(&hit.title),
            line(&hit.source),
            hit.paragraph
        ));
        if let Some(outlet) = &hit.outlet {
            out.push_str(&format!(" · {}", line(outlet)));
        }
        if let Some(url) = &hit.url {
            out.push_str(&format!(" · {}", line(url)));
        }
        // See `crate::cite`: the hash is paragraph N's, the range is the quote's.
        out.push_str(&format!(
            "  [¶{} {} {} · {} {}–{}]\n\n",
            hit.paragraph,
            text.hash,
            hit.hash,
            text.quote_bytes,
            hit.quote_span.start,
            hit.quote_span.end
        ));
    }
    out
}

/// `source` for the terminal.
pub fn source_text(view: &SourceView) -> String {
    let text = terminal();
    let a = &view.article;
    let mut out = format!(
        "{}\n{} · {} {} · {} {}\n",
        line(&a.title),
        line(&a.file),
        a.paragraphs,
        text.paragraphs,
        text.hash,
        a.hash
    );
    let values = [&a.outlet, &a.url, &a.date, &a.author];
    for (label, value) in text.meta_labels.iter().zip(values) {
        if let Some(v) = value {
            out.push_str(&format!("{label}: {}\n", line(v)));
        }
    }
    if view.changed_since_index {
        out.push_str(text.changed_since_index);
        out.push('\n');
    }
    out.push('\n');
    for p in &view.paragraphs {
        out.push_str(&format!(
            "¶{} [{} {}–{}, {} {}]\n{}\n\n",
            p.paragraph,
            text.bytes,
            p.byte_start,
            p.byte_end,
            text.hash,
            p.hash,
            multi(&p.text)
        ));
    }
    out
}

/// `sources` for the terminal.
pub fn sources_text(articles: &[ArticleMeta], skipped: &[crate::corpus::SkippedFile]) -> String {
    let mut out = String::new();
    for a in articles {
        out.push_str(&format!(
            "{}  {}  ({} ¶",
            line(&a.file),
            line(&a.title),
            a.paragraphs
        ));
        if let Some(outlet) = &a.outlet {
            out.push_str(&format!(", {}", line(outlet)));
        }
        out.push_str(")\n");
    }
    if !skipped.is_empty() {
        out.push_str(&format!("\n{}\n", (terminal().skipped)(skipped.len())));
        for s in skipped {
            out.push_str(&format!(
                "  {}: {}\n",
                line(&s.file),
                line(&s.reason.to_string())
            ));
        }
    }
    out
}

/// `source FILE --bytes A..B` for the terminal.
pub fn bytes_text(view: &crate::cite::ByteView) -> String {
    let text = terminal();
    let holder = match (view.paragraph, &view.paragraph_hash) {
        (Some(n), Some(hash)) => (text.in_paragraph)(n, hash),
        _ => text.across_paragraphs.to_string(),
    };
    format!(
        "{} {} {}–{} · {} {} · {holder}\n{}\n",
        line(&view.file),
        text.bytes,
        view.byte_start,
        view.byte_end,
        text.hash,
        view.hash,
        multi(&view.text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::{SkipReason, SkippedFile};
    use crate::search::Hit;
    use crate::source::ParagraphView;
    use crate::span::Span;

    const HOSTILE: &str = "a\u{1b}]0;pwned\u{7}b\u{1b}[2Jc\u{9b}31m";

    /// The text with our own bold sequences removed holds no ESC, BEL or CSI.
    fn assert_inert(text: &str) {
        let rest = text.replace("\x1b[1m", "").replace("\x1b[0m", "");
        assert!(
            !rest.contains(['\u{1b}', '\u{7}', '\u{9b}']),
            "raw control in {text:?}"
        );
    }

    fn meta() -> ArticleMeta {
        ArticleMeta {
            file: format!("{HOSTILE}.txt"),
            title: HOSTILE.into(),
            url: Some(HOSTILE.into()),
            outlet: Some(HOSTILE.into()),
            date: Some(HOSTILE.into()),
            author: Some(HOSTILE.into()),
            bytes: 1,
            paragraphs: 1,
            hash: "abc".into(),
            body_start: None,
            title_in_front_matter: false,
            body_hash: None,
            rows: 0..0,
        }
    }

    #[test]
    fn answers_escape_controls_but_keep_bold() {
        let quote = format!("Le cloud {HOSTILE} fin");
        let hit = Hit {
            source: meta().file,
            title: HOSTILE.into(),
            outlet: Some(HOSTILE.into()),
            url: Some(HOSTILE.into()),
            ..crate::render::sample_hit(
                &quote,
                vec![Span::new(3, 8), Span::new(9, 9 + HOSTILE.len())],
            )
        };
        let result = SearchResult {
            query: HOSTILE.into(),
            answer: Answer::Found { hits: vec![hit] },
            coverage: 1.0,
            scope: None,
        };
        let text = answer_text(&result, true);
        assert_inert(&text);
        assert!(text.contains("\x1b[1mcloud\x1b[0m"));
        assert!(text.contains("\\u{1b}]0;pwned\\u{7}"));
        let abstained = SearchResult {
            answer: Answer::Abstained {
                reason: Abstention::NotCovered,
                nearest: vec![crate::search::Nearest {
                    source: meta().file,
                    title: HOSTILE.into(),
                }],
            },
            ..result
        };
        assert_inert(&answer_text(&abstained, true));
    }

    #[test]
    fn sources_and_source_escape_controls() {
        let skipped = [SkippedFile {
            file: HOSTILE.into(),
            reason: SkipReason::Empty,
        }];
        assert_inert(&sources_text(&[meta()], &skipped));
        let view = SourceView {
            article: meta(),
            paragraphs: vec![ParagraphView {
                paragraph: 1,
                text: format!("{HOSTILE}\r\nsuite"),
                byte_start: 0,
                byte_end: 1,
                hash: "abc".into(),
            }],
            text: String::new(),
            changed_since_index: false,
        };
        let text = source_text(&view);
        assert_inert(&text);
        assert!(!text.contains('\r') && text.contains("31m\nsuite"));
    }
}
