//! The article in a web page: its main text and metadata, extracted with `dom_smoothie` (a port
//! of Mozilla's Readability.js).
//!
//! Chosen by measurement on `../shared/extract-dev` (Readability's own test pages: token F1 of the
//! visible text against `expected.html`, `coverage-bench extract-eval`): dom_smoothie 1.000 mean
//! F1, titles 21/21, dates 21/21; libreadability (a port of go-readability) 0.994, 21/21, 21/21.
//! Both crates are developed against that suite, so on unseen pages the figures are an upper
//! bound; dom_smoothie also follows Readability.js most closely.

use dom_smoothie::{Config, Readability, TextMode};

/// Pages larger than this are not parsed (a DOM of many megabytes costs seconds and memory).
pub const MAX_HTML_BYTES: usize = 5 * 1024 * 1024;

/// Shortest article kept, in characters of text: below it, the page is navigation or a stub.
pub const MIN_ARTICLE_CHARS: usize = 200;

/// Why no article came out of a page.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExtractError {
    /// The page is larger than [`MAX_HTML_BYTES`].
    #[error("the page is {bytes} bytes; pages over {MAX_HTML_BYTES} bytes are not read")]
    TooLarge {
        /// Its size.
        bytes: usize,
    },
    /// Readability found no article, or one too short to be one.
    #[error("no article found in the page")]
    NoArticle,
}

/// An article taken out of a page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extracted {
    /// Title (the page's, cleaned of the site name by Readability).
    pub title: String,
    /// Author line, when the page has one.
    pub author: Option<String>,
    /// Outlet (site name), when the page has one.
    pub outlet: Option<String>,
    /// Publication time as the page gives it.
    pub date: Option<String>,
    /// Paragraphs of text, in order, each on one line.
    pub paragraphs: Vec<String>,
    /// The article as cleaned HTML (for measuring the extraction; the text is what is stored).
    pub html: String,
}

impl Extracted {
    /// The text as it is stored: paragraphs separated by blank lines.
    pub fn body(&self) -> String {
        let mut body = self.paragraphs.join("\n\n");
        body.push('\n');
        body
    }
}

/// Extracts the article of `html`. `url` is the page's address, when known (relative links and
/// metadata resolve against it).
pub fn extract(html: &str, url: Option<&str>) -> Result<Extracted, ExtractError> {
    if html.len() > MAX_HTML_BYTES {
        return Err(ExtractError::TooLarge { bytes: html.len() });
    }
    let config = Config {
        text_mode: TextMode::Formatted,
        ..Config::default()
    };
    let mut readability =
        Readability::new(html, url, Some(config)).map_err(|_| ExtractError::NoArticle)?;
    let article = readability.parse().map_err(|_| ExtractError::NoArticle)?;
    let paragraphs: Vec<String> = article
        .text_content
        .split("\n\n")
        .map(|block| block.split_whitespace().collect::<Vec<_>>().join(" "))
        .filter(|p| !p.is_empty())
        .collect();
    let chars: usize = paragraphs.iter().map(|p| p.chars().count()).sum();
    if chars < MIN_ARTICLE_CHARS {
        return Err(ExtractError::NoArticle);
    }
    let clean = |s: Option<String>| {
        s.map(|s| s.split_whitespace().collect::<Vec<_>>().join(" "))
            .filter(|s| !s.is_empty())
    };
    let title = clean(Some(article.title))
        .or_else(|| paragraphs.first().map(|p| p.chars().take(120).collect()))
        .unwrap_or_default();
    Ok(Extracted {
        title,
        author: clean(article.byline),
        outlet: clean(article.site_name),
        date: clean(article.published_time),
        paragraphs,
        html: article.content.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(body: &str) -> String {
        format!(
            "<html><head><title>Le budget des écoles | La Gazette</title>\
             <meta property=\"og:site_name\" content=\"La Gazette\">\
             <meta property=\"article:published_time\" content=\"2024-03-05T08:00:00Z\">\
             </head><body><nav><a href=\"/\">Accueil</a> <a href=\"/sport\">Sport</a></nav>{body}\
             <footer>© La Gazette — mentions légales</footer></body></html>"
        )
    }

    #[test]
    fn the_article_is_kept_and_the_page_around_it_left_out() {
        let article = "<article><h1>Le budget des écoles</h1>\
            <p>Le conseil municipal a voté mardi le budget des écoles, en hausse de 4 % sur un an, \
            après deux heures de débat et une longue discussion sur les cantines.</p>\
            <p>La piscine municipale rouvrira en juin, une fois les travaux d'étanchéité terminés, \
            a précisé le maire, qui a aussi annoncé un nouveau gymnase pour la rentrée.</p></article>";
        let extracted = extract(&page(article), Some("https://example.org/budget")).unwrap();
        assert_eq!(extracted.outlet.as_deref(), Some("La Gazette"));
        assert!(
            extracted.title.contains("budget des écoles"),
            "{}",
            extracted.title
        );
        assert_eq!(
            extracted.date.as_deref().map(|d| &d[..10]),
            Some("2024-03-05")
        );
        let body = extracted.body();
        assert!(body.contains("en hausse de 4 % sur un an"), "{body}");
        assert!(
            body.contains("\n\nLa piscine municipale"),
            "paragraphs stay apart: {body}"
        );
        assert!(
            !body.contains("Accueil") && !body.contains("mentions légales"),
            "{body}"
        );
    }

    #[test]
    fn a_page_without_an_article_is_refused() {
        let stub = "<div><a href=\"/a\">Lire</a> <a href=\"/b\">Partager</a></div>";
        assert_eq!(extract(&page(stub), None), Err(ExtractError::NoArticle));
        assert_eq!(extract("", None), Err(ExtractError::NoArticle));
        let huge = "x".repeat(MAX_HTML_BYTES + 1);
        assert!(matches!(
            extract(&huge, None),
            Err(ExtractError::TooLarge { .. })
        ));
    }
}
