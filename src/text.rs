//! Small text utilities shared by the analyzer, the quote extractor and name matching.

use std::borrow::Cow;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Folds text for loose comparison: NFKD, combining marks removed, lowercase, typographic
/// apostrophes and non-breaking spaces made plain, runs of whitespace collapsed.
/// `Éléphant’s  café` becomes `elephant's cafe`.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    for c in text.nfkd() {
        if is_combining_mark(c) {
            continue;
        }
        let c = normalize_char(c);
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
            continue;
        }
        last_space = false;
        out.extend(c.to_lowercase());
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Normalizes whitespace and apostrophes only, keeping case and accents. This is the comparison the
/// evaluation uses for "the quote contains the answer".
pub fn normalize_spacing(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last_space = true;
    for c in text.chars() {
        let c = normalize_char(c);
        if c.is_whitespace() {
            if !last_space {
                out.push(' ');
                last_space = true;
            }
        } else {
            out.push(c);
            last_space = false;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Maps typographic variants to their plain forms: curly apostrophes to `'`, the non-breaking
/// spaces U+00A0/U+202F/U+2007 to a space.
fn normalize_char(c: char) -> char {
    match c {
        '\u{2019}' | '\u{2018}' | '\u{02BC}' | '\u{FF07}' => '\'',
        '\u{00A0}' | '\u{202F}' | '\u{2007}' => ' ',
        other => other,
    }
}

/// Truncates to at most `max_chars` characters, never inside a character, and appends `…` when it
/// cut. The result, ellipsis included, is at most `max_chars` characters.
pub fn truncate_chars(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    if max_chars == 0 {
        return String::new();
    }
    let mut out: String = text.chars().take(max_chars - 1).collect();
    // Prefer a word boundary when one is close, so that a word is not split.
    if let Some(pos) = out.rfind(' ') {
        if out[pos..].chars().count() < 20 && pos > 0 {
            out.truncate(pos);
        }
    }
    out.push('…');
    out
}

/// Removes control characters (other than newline and tab) and zero-width formatting characters
/// that only serve to disguise text.
pub fn strip_controls(text: &str) -> String {
    text.chars().filter(|&c| !is_invisible(c)).collect()
}

/// Control characters other than newline and tab, and zero-width or bidirectional formatting
/// characters.
fn is_invisible(c: char) -> bool {
    let control = c.is_control() && c != '\n' && c != '\t';
    control || is_formatting(c)
}

/// Zero-width and bidirectional formatting characters: they reorder or hide text on screen.
fn is_formatting(c: char) -> bool {
    matches!(
        c,
        '\u{061C}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{2069}'
            | '\u{FEFF}'
    )
}

/// Makes text safe to print on a terminal, for multi-line text (quotes, paragraphs): C0 controls
/// other than `\n` and `\t`, DEL, C1 controls (U+0080–U+009F) and the zero-width and bidi
/// formatting characters are written as a visible Rust-style escape, `\u{1b}`. `\r\n` and a lone
/// `\r` are line breaks and become `\n`.
///
/// Escaping rather than dropping: the reader sees that the file holds something odd, and the
/// text stays recognisable against the file; an escape sequence (`ESC ] 0 ; … BEL` retitles the
/// window, `ESC [ 2 J` clears it, U+009B is a one-character CSI) can no longer act. Text without
/// such characters is returned as is. JSON output keeps the exact text and does not use this.
pub fn visible_controls(text: &str) -> Cow<'_, str> {
    escape_controls(text, false)
}

/// [`visible_controls`] for one-line fields (file names, titles, metadata, reasons): line breaks
/// are escaped too, so that a name cannot forge extra output lines.
pub fn visible_controls_line(text: &str) -> Cow<'_, str> {
    escape_controls(text, true)
}

fn escape_controls(text: &str, one_line: bool) -> Cow<'_, str> {
    let needs = |c: char| match c {
        '\t' => false,
        '\n' | '\r' => one_line || c == '\r',
        c => c.is_control() || is_formatting(c),
    };
    if !text.chars().any(needs) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && !one_line {
            // `\r\n` and a lone `\r` are both one line break.
            if chars.peek() == Some(&'\n') {
                chars.next();
            }
            out.push('\n');
        } else if needs(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A short hex content hash (first 12 hex digits of SHA-256), stable across runs and machines.
pub fn short_hash(text: &str) -> String {
    short_hash_bytes(text.as_bytes())
}

/// [`short_hash`] of raw bytes.
pub fn short_hash_bytes(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    short_hex(&Sha256::digest(bytes))
}

/// The short form of a SHA-256 digest: its first 6 bytes in hex.
pub fn short_hex(digest: &[u8]) -> String {
    digest.iter().take(6).map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_removes_accents_and_normalizes_spaces() {
        assert_eq!(
            fold("  Éléphant’s\u{00A0}\u{202F}café  "),
            "elephant's cafe"
        );
        assert_eq!(fold("Défense ISRAÉLIENNE"), "defense israelienne");
    }

    #[test]
    fn normalize_spacing_keeps_accents() {
        assert_eq!(
            normalize_spacing("l’État\u{00A0}d’Israël"),
            "l'État d'Israël"
        );
    }

    #[test]
    fn truncate_never_splits_characters() {
        let s = "éééééééééé";
        let t = truncate_chars(s, 5);
        assert_eq!(t.chars().count(), 5);
        assert!(t.ends_with('…'));
        assert_eq!(truncate_chars("court", 10), "court");
    }

    #[test]
    fn strip_controls_removes_invisible_characters() {
        assert_eq!(strip_controls("a\u{0}b\u{200B}c\u{202E}d\ne"), "abcd\ne");
    }

    #[test]
    fn short_hash_is_stable() {
        assert_eq!(short_hash("abc"), "ba7816bf8f01");
    }

    #[test]
    fn visible_controls_escapes_terminal_sequences() {
        assert_eq!(
            visible_controls("a\u{1b}]0;pwned\u{7}b\u{1b}[2J\u{9b}c\u{7f}\u{202e}"),
            "a\\u{1b}]0;pwned\\u{7}b\\u{1b}[2J\\u{9b}c\\u{7f}\\u{202e}"
        );
        assert_eq!(
            visible_controls("ligne\r\nune\rdeux\n\tfin"),
            "ligne\nune\ndeux\n\tfin"
        );
        assert_eq!(visible_controls_line("a\nb\rc\td"), "a\\u{a}b\\u{d}c\td");
        assert!(matches!(
            visible_controls("Éléphant « café »"),
            Cow::Borrowed(_)
        ));
    }
}
