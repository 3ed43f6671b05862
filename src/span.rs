//! One type for every byte range: passages and quotes in a file, highlights in a quote, corpus
//! paragraphs and blocks, sentences, tokens.

use serde::{Serialize, Serializer};

/// A half-open byte range `start..end` into some text. `Copy`, unlike `Range<usize>`, so spans are
/// passed and stored by value. Serialized as `[start, end]`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// The span `start..end`.
    pub const fn new(start: usize, end: usize) -> Span {
        Span { start, end }
    }

    /// Length in bytes.
    pub const fn len(self) -> usize {
        self.end.saturating_sub(self.start)
    }

    /// Whether the span holds no byte.
    pub const fn is_empty(self) -> bool {
        self.end <= self.start
    }

    /// Whether `other` lies wholly inside this span.
    pub const fn contains(self, other: Span) -> bool {
        self.start <= other.start && other.end <= self.end
    }

    /// Whether the two spans share at least one byte.
    pub const fn overlaps(self, other: Span) -> bool {
        self.start < other.end && other.start < self.end
    }

    /// The same range, counted from `origin` instead of 0 (`origin` must not be after `start`).
    pub const fn relative_to(self, origin: usize) -> Span {
        Span::new(self.start - origin, self.end - origin)
    }

    /// The same range moved `by` bytes further.
    pub const fn shifted(self, by: usize) -> Span {
        Span::new(self.start + by, self.end + by)
    }

    /// The text the span covers, or `""` when it does not fit `text` (outside it, or inside a
    /// character).
    pub fn of(self, text: &str) -> &str {
        text.get(self.start..self.end).unwrap_or("")
    }
}

impl Serialize for Span {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        (self.start, self.end).serialize(serializer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spans_slice_safely_and_move() {
        let text = "héllo";
        assert_eq!(Span::new(0, 1).of(text), "h");
        assert_eq!(Span::new(1, 2).of(text), "", "inside a character");
        assert_eq!(Span::new(3, 99).of(text), "");
        assert_eq!(Span::new(4, 6).relative_to(4), Span::new(0, 2));
        assert!(Span::new(0, 6).contains(Span::new(1, 3)));
        assert!(Span::new(0, 6).overlaps(Span::new(5, 9)));
        assert!(
            !Span::new(0, 6).overlaps(Span::new(6, 9)),
            "adjacent spans share no byte"
        );
        assert_eq!(serde_json::to_string(&Span::new(2, 5)).unwrap(), "[2,5]");
    }
}
