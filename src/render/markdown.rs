//! Discord markdown: escaping, quotes with bold matches, citations, and cutting between whole
//! blocks.

use crate::search::Hit;
use crate::text::truncate_chars;

/// Escapes Discord markdown so that quoted text renders literally: no formatting, links,
/// mention syntax, headings or lists can come from a quote.
pub fn escape_markdown(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut at_line_start = true;
    for c in text.chars() {
        match c {
            '\\' | '*' | '_' | '~' | '`' | '|' | '<' | '>' | '[' | ']' | '(' | ')' | '@' => {
                out.push('\\');
                out.push(c);
            }
            '#' | '-' | '+' | '=' if at_line_start => {
                out.push('\\');
                out.push(c);
            }
            _ => out.push(c),
        }
        if c == '\n' {
            at_line_start = true;
        } else if !c.is_whitespace() {
            at_line_start = false;
        }
    }
    out
}

/// Cuts escaped Markdown to `max_chars` like [`truncate_chars`], without leaving the backslash
/// of an escape whose character was cut off (it would escape the ellipsis instead).
pub(crate) fn truncate_escaped(escaped: &str, max_chars: usize) -> String {
    let cut = truncate_chars(escaped, max_chars);
    if cut.len() == escaped.len() {
        return cut;
    }
    let Some(kept) = cut.strip_suffix('…') else {
        return cut;
    };
    let backslashes = kept.chars().rev().take_while(|&c| c == '\\').count();
    if backslashes % 2 == 1 {
        format!("{}…", &kept[..kept.len() - 1])
    } else {
        cut
    }
}

/// The quote as Discord markdown: escaped, matched words in bold, every line a blockquote line.
/// Highlights never span a line break, so bold markers are always closed on their own line.
pub fn quote_markdown(hit: &Hit) -> String {
    let mut marked = String::new();
    for segment in super::highlighted_segments(hit) {
        if segment.matched {
            marked.push_str("**");
            marked.push_str(&escape_markdown(segment.text));
            marked.push_str("**");
        } else {
            marked.push_str(&escape_markdown(segment.text));
        }
    }
    let prefix = if hit.quote_cut_start { "…" } else { "" };
    let suffix = if hit.quote_cut_end { "…" } else { "" };
    format!("{prefix}{marked}{suffix}")
        .lines()
        .map(|line| format!("> {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// The citation line: title, file and paragraph, outlet or URL.
pub fn citation_markdown(hit: &Hit) -> String {
    let mut line = format!(
        "— *{}* · `{}` ¶{}",
        escape_markdown(&truncate_chars(&hit.title, 150)),
        hit.source.replace('`', "'"),
        hit.paragraph
    );
    if let Some(outlet) = &hit.outlet {
        line.push_str(&format!(
            " · {}",
            escape_markdown(&truncate_chars(outlet, 60))
        ));
    }
    if let Some(url) = hit.url.as_deref().filter(|u| is_web_url(u)) {
        line.push_str(&format!(" · <{}>", truncate_chars(url, 200)));
    }
    line
}

pub(crate) fn is_web_url(url: &str) -> bool {
    (url.starts_with("https://") || url.starts_with("http://"))
        && !url.contains(|c: char| c.is_whitespace() || c == '>' || c == '<')
        && url.chars().count() <= 200
}

/// Joins blocks while they fit in `budget` characters; returns the text and how many were left
/// out. A block is never cut.
pub(crate) fn join_within(blocks: &[String], separator: &str, budget: usize) -> (String, usize) {
    let mut out = String::new();
    let mut used = 0;
    for (i, block) in blocks.iter().enumerate() {
        let extra = block.chars().count()
            + if out.is_empty() {
                0
            } else {
                separator.chars().count()
            };
        if used + extra > budget {
            return (out, blocks.len() - i);
        }
        if !out.is_empty() {
            out.push_str(separator);
        }
        out.push_str(block);
        used += extra;
    }
    (out, 0)
}

pub(crate) fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Splits a line longer than `max` characters at spaces (or anywhere, for a line without any),
/// so that line-based truncation stays possible.
pub(crate) fn split_long_line(line: &str, max: usize) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    for word in line.split(' ') {
        if !current.is_empty() && current.chars().count() + 1 + word.chars().count() > max {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        if word.chars().count() > max {
            let chars: Vec<char> = word.chars().collect();
            for chunk in chars.chunks(max) {
                if !current.is_empty() {
                    out.push(std::mem::take(&mut current));
                }
                current = chunk.iter().collect();
            }
        } else {
            current.push_str(word);
        }
    }
    if !current.is_empty() || out.is_empty() {
        out.push(current);
    }
    out
}
