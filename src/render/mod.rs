//! Rendering: results to messages. Pure code, no Discord types: the CLI and the bot share it, and
//! every Discord limit is enforced here by construction.
//!
//! Long output is cut only between whole blocks (a hit, a paragraph line, a list row), never
//! inside a character, a bold marker or a quote line, and a cut always says so.

mod audit;
mod discord;
mod highlight;
mod markdown;
mod message;
mod terminal;

pub use audit::{audit_message, audit_text_line};
pub use discord::*;
pub use highlight::{highlighted_segments, Segment};
pub use markdown::{citation_markdown, escape_markdown, quote_markdown};
pub use message::*;
pub use terminal::*;

pub use crate::messages::Locale;

/// Discord's limits, in characters.
pub mod limits {
    /// Message content.
    pub const CONTENT: usize = 2000;
    /// Embed title.
    pub const EMBED_TITLE: usize = 256;
    /// Embed description.
    pub const EMBED_DESCRIPTION: usize = 4096;
    /// Embed field name.
    pub const FIELD_NAME: usize = 256;
    /// Embed field value.
    pub const FIELD_VALUE: usize = 1024;
    /// Embed footer.
    pub const FOOTER: usize = 2048;
    /// All embed text of a message.
    pub const EMBED_TOTAL: usize = 6000;
    /// Fields per embed.
    pub const FIELDS: usize = 25;
    /// Embeds per message.
    pub const EMBEDS: usize = 10;
    /// Buttons per action row (this renderer uses one row).
    pub const BUTTONS: usize = 5;
    /// Button label.
    pub const BUTTON_LABEL: usize = 80;
    /// Component custom id.
    pub const CUSTOM_ID: usize = 100;
    /// Autocomplete choices.
    pub const CHOICES: usize = 25;
    /// Autocomplete choice name and value.
    pub const CHOICE: usize = 100;
}

/// A hit over `quote` alone, for renderer tests.
#[cfg(test)]
pub(crate) fn sample_hit(quote: &str, highlights: Vec<crate::span::Span>) -> crate::search::Hit {
    crate::search::Hit {
        source: "000_a.txt".into(),
        title: "Un *titre*".into(),
        paragraph: 3,
        quote: quote.into(),
        passage: quote.into(),
        score: 1.0,
        hash: "abc".into(),
        passage_span: crate::span::Span::new(0, quote.len()),
        quote_span: crate::span::Span::new(0, quote.len()),
        highlights,
        quote_cut_start: false,
        quote_cut_end: false,
        outlet: None,
        url: None,
    }
}

#[cfg(test)]
mod tests {
    use super::markdown::split_long_line;
    use super::*;
    use crate::search::Hit;
    use crate::span::Span;

    fn hit(quote: &str, highlights: Vec<Span>) -> Hit {
        sample_hit(quote, highlights)
    }

    #[test]
    fn markdown_in_quotes_is_escaped_and_matches_are_bold() {
        let quote = "Le **cloud** <@123> @everyone [lien](x)";
        let start = quote.find("**cloud**").unwrap();
        let h = hit(quote, vec![Span::new(start, start + "**cloud**".len())]);
        let md = quote_markdown(&h);
        assert!(md.starts_with("> "));
        assert!(md.contains("\\<\\@123\\>"));
        assert!(md.contains("\\[lien\\]\\(x\\)"));
        assert!(md.contains("**\\*\\*cloud\\*\\***"));
    }

    #[test]
    fn multi_line_quotes_keep_every_line_quoted() {
        let h = hit(
            "ligne un\nligne deux",
            vec![Span::new(0, 5), Span::new(9, 14)],
        );
        let md = quote_markdown(&h);
        assert_eq!(md, "> **ligne** un\n> **ligne** deux");
    }

    #[test]
    fn answers_stay_within_limits_and_say_when_they_truncate() {
        let long = "é".repeat(500);
        let hits: Vec<Hit> = (0..25).map(|_| hit(&long, vec![Span::new(0, 2)])).collect();
        let m = answer_message(
            &"q".repeat(5000),
            &hits,
            1,
            Locale::En,
            None,
            &AnswerControls::default(),
        );
        m.check_limits().unwrap();
        let d = m.embeds[0].description.as_ref().unwrap();
        assert!(d.contains("Truncated"));
        // Every bold marker is closed: unescaped markers come in pairs.
        let unescaped = d.replace("\\*", "");
        assert_eq!(unescaped.matches("**").count() % 2, 0);
    }

    #[test]
    fn the_question_in_an_answer_title_is_shown_literally() {
        let h = hit("Le cloud", vec![]);
        let controls = AnswerControls::default();
        let m = answer_message(
            "**x** @everyone <@1>",
            std::slice::from_ref(&h),
            1,
            Locale::En,
            None,
            &controls,
        );
        let title = m.embeds[0].title.clone().unwrap();
        assert_eq!(title, "❓ \\*\\*x\\*\\* \\@everyone \\<\\@1\\>");
        // Cut inside an escape: the dangling backslash goes, the ellipsis stays plain.
        let long = format!("{}*bbb", "a".repeat(252));
        let m = answer_message(&long, &[h], 1, Locale::En, None, &controls);
        let title = m.embeds[0].title.clone().unwrap();
        assert!(title.chars().count() <= limits::EMBED_TITLE);
        assert!(title.ends_with("a…"), "{title}");
        m.check_limits().unwrap();
    }

    #[test]
    fn escaping_neutralizes_line_start_syntax() {
        assert_eq!(escape_markdown("# titre\n- liste"), "\\# titre\n\\- liste");
        assert_eq!(escape_markdown("a-b"), "a-b");
    }

    #[test]
    fn long_lines_split_without_losing_text() {
        let line = "mot ".repeat(500);
        let parts = split_long_line(line.trim(), 100);
        assert!(parts.iter().all(|p| p.chars().count() <= 100));
        assert_eq!(parts.join(" "), line.trim());
    }
}
