//! A hit's quote cut into plain and matched segments: the one walk over highlights that every
//! renderer uses.

use crate::search::Hit;

/// A piece of a quote, matched (a question word, shown in bold) or not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Segment<'a> {
    /// The text, verbatim.
    pub text: &'a str,
    /// Whether it matched the question.
    pub matched: bool,
}

/// The quote of `hit` as segments, in order, covering the whole quote. Highlights that are
/// empty, overlap an earlier one, fall outside the quote or inside a character are ignored, and
/// a highlight that spans a line break is shown plain (bold markers must close on their line).
pub fn highlighted_segments(hit: &Hit) -> Vec<Segment<'_>> {
    let quote = hit.quote.as_str();
    let mut ranges = hit.highlights.clone();
    ranges.sort();
    let mut out = Vec::new();
    let mut cursor = 0;
    for range in ranges {
        let word = range.of(quote);
        if range.start < cursor || range.is_empty() || word.is_empty() {
            continue;
        }
        if range.start > cursor {
            out.push(Segment {
                text: &quote[cursor..range.start],
                matched: false,
            });
        }
        out.push(Segment {
            text: word,
            matched: !word.contains(['\n', '\r']),
        });
        cursor = range.end;
    }
    if cursor < quote.len() {
        out.push(Segment {
            text: &quote[cursor..],
            matched: false,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::span::Span;

    fn hit(quote: &str, highlights: Vec<Span>) -> Hit {
        crate::render::sample_hit(quote, highlights)
    }

    #[test]
    fn segments_cover_the_quote_and_skip_bad_highlights() {
        let h = hit(
            "été chaud\nici",
            vec![
                Span::new(0, 5),
                Span::new(1, 3),
                Span::new(6, 11),
                Span::new(30, 40),
                Span::new(2, 2),
            ],
        );
        let segments = highlighted_segments(&h);
        let text: String = segments.iter().map(|s| s.text).collect();
        assert_eq!(text, h.quote);
        assert_eq!(
            segments,
            vec![
                Segment {
                    text: "été",
                    matched: true
                },
                Segment {
                    text: " ",
                    matched: false
                },
                Segment {
                    text: "chaud",
                    matched: true
                },
                Segment {
                    text: "\nici",
                    matched: false
                },
            ]
        );
        // Inside a character: ignored.
        let h = hit("été", vec![Span::new(1, 2)]);
        assert_eq!(
            highlighted_segments(&h),
            vec![Segment {
                text: "été",
                matched: false
            }]
        );
    }
}
