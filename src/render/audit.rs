//! One line per audit event: for the audit channel (Markdown, escaped, within Discord's content
//! limit) and for `coverage-bot audit` (plain, control characters made visible).

use super::markdown::{escape_markdown, one_line, truncate_escaped};
use super::{limits, Message};
use crate::audit::{AuditAction, AuditEvent};
use crate::messages::AuditText;
use crate::text::{truncate_chars, visible_controls_line};

/// How user and corpus text is made safe for one output.
struct Style {
    markdown: bool,
}

impl Style {
    /// User or corpus text: one line, at most `max` characters, escaped for the output.
    fn text(&self, text: &str, max: usize) -> String {
        let line = truncate_chars(&one_line(text), max);
        if self.markdown {
            escape_markdown(&line)
        } else {
            visible_controls_line(&line).into_owned()
        }
    }

    fn name(&self, text: &str) -> String {
        let name = self.text(text, 80);
        if self.markdown {
            format!("**{name}**")
        } else {
            name
        }
    }
}

fn line(event: &AuditEvent, text: &AuditText, style: &Style) -> String {
    let who = format!(
        "{} ({})",
        style.name(&event.user.name),
        style.text(&event.user.id, 40)
    );
    let what = match &event.action {
        AuditAction::Published {
            question,
            citations,
            link,
        } => {
            let cited: Vec<String> = citations
                .iter()
                .map(|c| {
                    format!(
                        "{} ¶{} ({})",
                        style.text(&c.file, 120),
                        c.paragraph,
                        style.text(&c.hash, 16)
                    )
                })
                .collect();
            let mut out = format!(
                "{} “{}” → {}",
                text.published,
                style.text(question, 300),
                cited.join(", ")
            );
            if let Some(link) = link {
                // Our own link to the message: plain, so that Discord makes it clickable.
                out.push_str(&format!(" · {}", style.text(link, 200)));
            }
            out
        }
        AuditAction::Add { given, file } => match file {
            Some(file) => format!(
                "{} {} → {}",
                text.added,
                style.text(given, 300),
                style.text(file, 120)
            ),
            None => format!("{} {}", text.added, style.text(given, 300)),
        },
        AuditAction::Remove { file } => format!("{} {}", text.removed, style.text(file, 120)),
        AuditAction::Restore { file } => format!("{} {}", text.restored, style.text(file, 120)),
        AuditAction::Reindex => text.reindexed.to_string(),
    };
    format!(
        "{} · {who} {what} · {}",
        style.text(&event.at, 40),
        style.text(&event.outcome, 300)
    )
}

/// The audit channel's message for one event: plain content, never over Discord's limit.
pub fn audit_message(event: &AuditEvent, text: &AuditText) -> Message {
    let content = line(event, text, &Style { markdown: true });
    Message {
        content: truncate_escaped(&content, limits::CONTENT),
        ..Message::default()
    }
}

/// The terminal line for one event.
pub fn audit_text_line(event: &AuditEvent, text: &AuditText) -> String {
    line(event, text, &Style { markdown: false })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::audit::{Actor, CitedPassage};
    use crate::messages::Locale;

    fn event(question: &str, citations: usize) -> AuditEvent {
        AuditEvent::now(
            Actor {
                id: "42".into(),
                name: "Ann_*the*_mod".into(),
            },
            AuditAction::Published {
                question: question.into(),
                citations: (0..citations)
                    .map(|i| CitedPassage {
                        file: format!("{i}_`file`.md"),
                        paragraph: i + 1,
                        hash: "abc".into(),
                    })
                    .collect(),
                link: Some("https://discord.com/channels/1/2/3".into()),
            },
            "ok",
        )
    }

    #[test]
    fn an_audit_line_names_the_user_question_citations_and_link_escaped() {
        let text = &Locale::En.messages().audit;
        let message = audit_message(&event("Qui a *dit* @everyone ?\nsuite", 2), text);
        let content = &message.content;
        assert!(
            content.contains("**Ann\\_\\*the\\*\\_mod** (42)"),
            "{content}"
        );
        assert!(content.contains("\\*dit\\*"), "{content}");
        assert!(!content.contains('\n'), "one line: {content}");
        assert!(
            content.contains("¶1") && content.contains("¶2"),
            "{content}"
        );
        assert!(
            content.contains("https://discord.com/channels/1/2/3"),
            "{content}"
        );
        assert!(!message.ephemeral);
        message.check_limits().unwrap();
    }

    #[test]
    fn a_huge_event_still_fits_discords_content_limit() {
        let text = &Locale::Fr.messages().audit;
        let message = audit_message(&event(&"*".repeat(5000), 200), text);
        assert!(message.content.chars().count() <= limits::CONTENT);
        message.check_limits().unwrap();
        let plain = audit_text_line(&event("q\u{1b}[31m", 1), &Locale::En.messages().audit);
        assert!(!plain.contains('\u{1b}'), "{plain}");
    }
}
