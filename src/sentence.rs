//! Sentence splitting that survives French news typography.
//!
//! UAX#29 (`unicode-segmentation`) is the base. It breaks wrongly after titles such as `M.`, after
//! initials such as `J.-L.`, and inside `« … ! », a-t-il dit`, so its fragments are merged back by
//! rules that look at both sides of each break.

use unicode_segmentation::UnicodeSegmentation;

use crate::span::Span;

/// Abbreviations after which a period does not end a sentence (compared lowercase, without the
/// period). French and English titles and common news abbreviations.
const ABBREVIATIONS: &[&str] = &[
    "m", "mm", "mme", "mmes", "mlle", "mlles", "dr", "pr", "me", "mgr", "st", "ste", "av", "bd",
    "etc", "cf", "p", "pp", "vol", "no", "n°", "art", "mr", "mrs", "ms", "jr", "sr", "prof", "gén",
    "gen", "col", "lt", "sgt", "vs", "env", "min", "max", "ex", "fig", "ibid", "inc", "ltd", "co",
    "corp", "dept", "éd", "ed", "janv", "févr", "avr", "juil", "sept", "oct", "nov", "déc",
];

/// Splits `text` into sentences and returns their byte ranges, trimmed of surrounding whitespace.
/// The ranges cover every non-space character of the text, in order.
pub fn split_sentences(text: &str) -> Vec<Span> {
    let mut merged: Vec<Span> = Vec::new();
    for (start, fragment) in text.split_sentence_bound_indices() {
        let Some(sentence) = trim_range(text, start, start + fragment.len()) else {
            continue;
        };
        match merged.last_mut() {
            Some(last) if should_merge(last.of(text), sentence.of(text)) => last.end = sentence.end,
            _ => merged.push(sentence),
        }
    }
    merged
}

/// The range without leading and trailing whitespace, or `None` when only whitespace remains.
fn trim_range(text: &str, start: usize, end: usize) -> Option<Span> {
    let slice = &text[start..end];
    let trimmed_start = slice.len() - slice.trim_start().len();
    let trimmed = slice.trim();
    if trimmed.is_empty() {
        return None;
    }
    Some(Span::new(
        start + trimmed_start,
        start + trimmed_start + trimmed.len(),
    ))
}

/// Whether the break between `previous` and `next` is a false sentence boundary.
fn should_merge(previous: &str, next: &str) -> bool {
    let Some(first) = next.chars().next() else {
        return true;
    };
    // A sentence never starts with closing punctuation or a lowercase word: `», a-t-il dit`,
    // `? demande-t-il`, `, selon lui`.
    if first.is_lowercase()
        || matches!(
            first,
            '»' | ',' | ';' | ':' | ')' | ']' | '”' | '’' | '-' | '–' | '—'
        )
    {
        return true;
    }
    if let Some(stem) = previous.strip_suffix('.') {
        let last_word = stem
            .rsplit(|c: char| c.is_whitespace() || c == '(' || c == '«' || c == '"')
            .next()
            .unwrap_or("");
        // Initials: `J.`, `J.-L.`, `U.S.` — every letter run is a single character.
        let is_initials = !last_word.is_empty()
            && last_word
                .split(['.', '-'])
                .filter(|p| !p.is_empty())
                .all(|p| p.chars().count() == 1 && p.chars().all(char::is_uppercase));
        if is_initials {
            return true;
        }
        let lower = last_word.to_lowercase();
        if ABBREVIATIONS.contains(&lower.as_str()) {
            return true;
        }
        // A fragment that is only a number (`1.`) or a very short token is not a sentence.
        if stem.trim().chars().count() <= 2 {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &str) -> Vec<&str> {
        split_sentences(text)
            .into_iter()
            .map(|s| s.of(text))
            .collect()
    }

    #[test]
    fn keeps_titles_and_initials_inside_sentences() {
        let text = "Selon M. Ken-Tor, le projet avance. J.-L. Martin l'a confirmé à Mme Dupont.";
        assert_eq!(
            sentences(text),
            vec![
                "Selon M. Ken-Tor, le projet avance.",
                "J.-L. Martin l'a confirmé à Mme Dupont."
            ]
        );
    }

    #[test]
    fn keeps_quoted_exclamations_with_their_attribution() {
        let text = "« C'est inacceptable ! », a-t-il dit. Puis il est parti.";
        assert_eq!(
            sentences(text),
            vec![
                "« C'est inacceptable ! », a-t-il dit.",
                "Puis il est parti."
            ]
        );
    }

    #[test]
    fn numbers_and_dates_do_not_split() {
        let text = "Les 10\u{a0}000 premiers inscrits, le 17 mai 2025. Une autre phrase.";
        assert_eq!(sentences(text).len(), 2);
        assert!(sentences(text)[0].ends_with("2025."));
    }

    #[test]
    fn long_quotations_split_into_their_sentences() {
        // Quotations of several sentences are split so that a quote can pick one of them.
        let text =
            "« Nous accordons un accès. Outre cela, nous aidons. », a déclaré Microsoft. Fin.";
        assert_eq!(
            sentences(text),
            vec![
                "« Nous accordons un accès.",
                "Outre cela, nous aidons. », a déclaré Microsoft.",
                "Fin."
            ]
        );
    }

    #[test]
    fn ranges_are_trimmed_and_ordered() {
        let text = "  Une phrase.   Deux phrases ?  Trois !  ";
        let ranges = split_sentences(text);
        assert_eq!(
            sentences(text),
            vec!["Une phrase.", "Deux phrases ?", "Trois !"]
        );
        assert!(ranges.windows(2).all(|w| w[0].end <= w[1].start));
    }
}
