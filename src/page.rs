//! A web page as an article document: its bytes decoded (whatever the charset), its article
//! extracted, and written as Markdown with YAML front matter (title, url, outlet, date, author).
//!
//! Two callers share it: `add` (a page fetched or attached, saved to the corpus with who added
//! it) and the corpus reader (an `.html` file dropped into the corpus folder, read as the
//! document its article makes, so citations point into that document).

use encoding_rs::Encoding;
use serde::Serialize;

use crate::extract::{extract, ExtractError, Extracted, MAX_HTML_BYTES};

/// The front matter of a document made from a page (or of an added text file).
#[derive(Debug, Serialize)]
pub struct FrontMatter<'a> {
    /// Title.
    pub title: &'a str,
    /// Where it came from.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<&'a str>,
    /// Outlet (site name).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outlet: Option<&'a str>,
    /// Publication date, as the page gives it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<&'a str>,
    /// Author line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<&'a str>,
    /// Who added it (set by `add`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_by: Option<&'a str>,
    /// When it was added, RFC 3339 (set by `add`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub added_at: Option<&'a str>,
}

impl<'a> FrontMatter<'a> {
    /// The fields an extracted page gives, with `url` when known.
    pub fn of_page(article: &'a Extracted, url: Option<&'a str>) -> FrontMatter<'a> {
        FrontMatter {
            title: &article.title,
            url,
            outlet: article.outlet.as_deref(),
            date: article.date.as_deref(),
            author: article.author.as_deref(),
            added_by: None,
            added_at: None,
        }
    }
}

/// The document: YAML front matter, a blank line, the body.
pub fn document(front: &FrontMatter<'_>, body: &str) -> String {
    // Serialising strings cannot fail; YAML quoting keeps any title intact.
    let yaml = serde_yaml_ng::to_string(front).unwrap_or_default();
    format!("---\n{yaml}---\n\n{body}")
}

/// The article of a page given as bytes: size checked, decoded, extracted.
pub fn article_of(
    bytes: &[u8],
    url: Option<&str>,
    charset: Option<&str>,
) -> Result<Extracted, ExtractError> {
    if bytes.len() > MAX_HTML_BYTES {
        return Err(ExtractError::TooLarge { bytes: bytes.len() });
    }
    extract(&decode_page(bytes, charset), url)
}

/// The document an HTML file of the corpus is read as. The same bytes always give the same
/// document, so its hash and paragraph spans stay valid between indexing and `source`.
pub fn stored_document(bytes: &[u8]) -> Result<String, ExtractError> {
    let article = article_of(bytes, None, None)?;
    Ok(document(
        &FrontMatter::of_page(&article, None),
        &article.body(),
    ))
}

/// Decodes a page: a byte-order mark, else the declared charset (HTTP header, then `<meta>`),
/// else UTF-8 when the bytes are valid UTF-8, else the charset detected from the bytes.
pub fn decode_page(bytes: &[u8], declared: Option<&str>) -> String {
    if let Some((encoding, _)) = Encoding::for_bom(bytes) {
        return encoding.decode_with_bom_removal(bytes).0.into_owned();
    }
    let label = declared
        .and_then(|l| Encoding::for_label(l.trim().as_bytes()))
        .or_else(|| meta_charset(bytes));
    if let Some(encoding) = label {
        return encoding.decode_without_bom_handling(bytes).0.into_owned();
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_string();
    }
    let mut detector = chardetng::EncodingDetector::new();
    detector.feed(bytes, true);
    detector
        .guess(None, true)
        .decode_without_bom_handling(bytes)
        .0
        .into_owned()
}

/// The charset of a `<meta charset>` or `<meta http-equiv content="...; charset=">` in the first
/// 4 KB (where HTML requires it to be).
fn meta_charset(bytes: &[u8]) -> Option<&'static Encoding> {
    let head = String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).to_ascii_lowercase();
    let at = head.find("charset=")? + "charset=".len();
    let label: String = head[at..]
        .trim_start_matches(['"', '\'', ' '])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    Encoding::for_label(label.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latin1_and_windows_1252_pages_come_out_right() {
        let latin1: Vec<u8> = "<meta charset=\"iso-8859-1\"><p>Élève à l'école</p>"
            .chars()
            .map(|c| c as u32 as u8)
            .collect();
        assert!(decode_page(&latin1, None).contains("Élève à l'école"));
        // Undeclared Windows-1252 (0x92 is its right single quote), found by detection.
        let mut cp1252 = b"<p>L".to_vec();
        cp1252.push(0x92);
        cp1252.extend(b"\xe9l\xe8ve de l");
        cp1252.push(0x92);
        cp1252.extend(b"\xe9cole est arriv\xe9 \xe0 l'heure, d\xe9j\xe0 pr\xeat.</p>");
        let text = decode_page(&cp1252, None);
        assert!(text.contains("L\u{2019}élève de l\u{2019}école"), "{text}");
        // The header's charset wins over a wrong guess.
        assert!(decode_page(&latin1, Some("ISO-8859-1")).contains("Élève"));
        assert_eq!(decode_page("déjà".as_bytes(), None), "déjà");
    }

    #[test]
    fn an_html_page_reads_as_the_same_markdown_document_every_time() {
        let page = "<html><head><title>Le marché couvert rouvre | Le Courrier</title>\
            <meta property=\"og:site_name\" content=\"Le Courrier\"></head><body>\
            <nav><a href=\"/\">Accueil</a></nav><article><h1>Le marché couvert rouvre</h1>\
            <p>Le marché couvert de la place Carnot rouvre samedi après huit mois de travaux, \
            avec quarante étals et une halle aux poissons entièrement refaite.</p>\
            <p>Les commerçants paieront un droit de place inchangé jusqu'en septembre, a \
            indiqué l'adjointe au commerce, qui espère attirer de nouveaux producteurs.</p>\
            </article><footer>Mentions légales</footer></body></html>";
        let text = stored_document(page.as_bytes()).unwrap();
        assert_eq!(stored_document(page.as_bytes()).unwrap(), text);
        assert!(
            text.starts_with("---\n") && !text.contains("Mentions"),
            "{text}"
        );
        let cleaner = crate::clean::Cleaner::new(&[]).unwrap();
        let article = crate::corpus::parse_article("marche.html", text, &cleaner).unwrap();
        assert_eq!(article.meta.outlet.as_deref(), Some("Le Courrier"));
        assert!(
            article.meta.title.contains("marché couvert"),
            "{}",
            article.meta.title
        );
        assert_eq!(article.paragraphs.len(), 2);
        assert!(article
            .paragraph_text(&article.paragraphs[0])
            .starts_with("Le marché couvert de la place Carnot"));
        assert_eq!(
            stored_document(b"<p>trop court</p>"),
            Err(ExtractError::NoArticle)
        );
    }
}
