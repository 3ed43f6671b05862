//! The audit trail: what was made public, and what moderators did to the corpus.
//!
//! Every event is appended to `audit.jsonl` in the data folder, one JSON object a line, written
//! in one `write` and synced before the call returns, so a crash loses no event that was reported
//! and never leaves half a line before a whole one. `coverage-bot audit` prints the file; the bot
//! also posts each event to its audit channel.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// The file name of the trail, inside the data folder.
pub const AUDIT_FILE: &str = "audit.jsonl";

/// Why the trail could not be written or read.
#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    /// The file could not be opened, written or synced.
    #[error("audit trail {path}: {source}")]
    Io {
        /// The trail's path.
        path: PathBuf,
        /// What failed.
        source: std::io::Error,
    },
}

/// Who did it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Actor {
    /// The Discord user id, or `cli` for the command line.
    pub id: String,
    /// The display name at the time.
    pub name: String,
}

/// One passage cited by a published answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitedPassage {
    /// Corpus file name.
    pub file: String,
    /// Paragraph number.
    pub paragraph: usize,
    /// Hash of the paragraph's bytes, as `source --paragraph` prints it.
    pub hash: String,
}

/// What happened, with what each kind of event needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum AuditAction {
    /// An answer made public (`public:true`, "Post publicly").
    Published {
        /// The question, or the checked message's text for "Find sources".
        question: String,
        /// The passages the public message cites.
        citations: Vec<CitedPassage>,
        /// The public message.
        link: Option<String>,
    },
    /// An article added to the corpus.
    Add {
        /// What was given: a URL or an attachment's name.
        given: String,
        /// The corpus file, when it was added.
        file: Option<String>,
    },
    /// An article moved to the trash.
    Remove {
        /// The corpus file.
        file: String,
    },
    /// An article brought back from the trash.
    Restore {
        /// The corpus file.
        file: String,
    },
    /// The index rebuilt on request.
    Reindex,
}

/// One line of the trail.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditEvent {
    /// When, in UTC (RFC 3339, seconds).
    pub at: String,
    /// Who.
    pub user: Actor,
    /// What.
    #[serde(flatten)]
    pub action: AuditAction,
    /// How it ended, in a few words (`ok`, `refused: ...`, `failed: ...`).
    pub outcome: String,
}

/// The time now, in UTC, as the trail writes it (RFC 3339, seconds).
pub fn now_utc() -> String {
    DateTime::<Utc>::from(SystemTime::now()).to_rfc3339_opts(SecondsFormat::Secs, true)
}

impl AuditEvent {
    /// An event that happens now.
    pub fn now(user: Actor, action: AuditAction, outcome: impl Into<String>) -> AuditEvent {
        AuditEvent {
            at: now_utc(),
            user,
            action,
            outcome: outcome.into(),
        }
    }

    /// The day of the event, when its time reads.
    pub fn day(&self) -> Option<NaiveDate> {
        DateTime::parse_from_rfc3339(&self.at)
            .ok()
            .map(|t| t.with_timezone(&Utc).date_naive())
    }
}

/// The trail of one data folder. Appends are serialised, so lines never interleave.
#[derive(Debug)]
pub struct AuditLog {
    path: PathBuf,
    writing: Mutex<()>,
}

impl AuditLog {
    /// The trail in `data_dir` (the file is created by the first event).
    pub fn in_data_dir(data_dir: &Path) -> AuditLog {
        AuditLog {
            path: data_dir.join(AUDIT_FILE),
            writing: Mutex::new(()),
        }
    }

    /// Where the trail is.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one event and syncs it to disk.
    pub fn append(&self, event: &AuditEvent) -> Result<(), AuditError> {
        let io = |source| AuditError::Io {
            path: self.path.clone(),
            source,
        };
        // Serialising plain strings and numbers cannot fail; the line is built whole first so
        // that it goes out in one write.
        let mut line = serde_json::to_string(event).unwrap_or_default();
        line.push('\n');
        let _guard = self.writing.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(io)?;
        file.write_all(line.as_bytes()).map_err(io)?;
        file.sync_data().map_err(io)
    }

    /// The events on or after `since` (all without it), oldest first, and how many lines could
    /// not be read (a damaged line is skipped, never fatal). A missing file is an empty trail.
    pub fn read(&self, since: Option<NaiveDate>) -> Result<(Vec<AuditEvent>, usize), AuditError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((Vec::new(), 0)),
            Err(source) => {
                return Err(AuditError::Io {
                    path: self.path.clone(),
                    source,
                })
            }
        };
        let mut events = Vec::new();
        let mut unreadable = 0;
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            match serde_json::from_str::<AuditEvent>(line) {
                Ok(event) => {
                    let kept = match since {
                        Some(since) => event.day().is_some_and(|day| day >= since),
                        None => true,
                    };
                    if kept {
                        events.push(event);
                    }
                }
                Err(_) => unreadable += 1,
            }
        }
        Ok((events, unreadable))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn actor() -> Actor {
        Actor {
            id: "42".into(),
            name: "Ann".into(),
        }
    }

    fn published() -> AuditAction {
        AuditAction::Published {
            question: "Pourquoi ?\n@everyone".into(),
            citations: vec![CitedPassage {
                file: "a.md".into(),
                paragraph: 3,
                hash: "abc".into(),
            }],
            link: Some("https://discord.com/channels/1/2/3".into()),
        }
    }

    #[test]
    fn events_are_appended_one_line_each_and_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::in_data_dir(&dir.path().join("data"));
        let first = AuditEvent::now(actor(), published(), "ok");
        let second = AuditEvent::now(actor(), AuditAction::Reindex, "failed: disk full");
        log.append(&first).unwrap();
        log.append(&second).unwrap();
        let text = std::fs::read_to_string(log.path()).unwrap();
        assert_eq!(text.lines().count(), 2, "{text}");
        let json: serde_json::Value = serde_json::from_str(text.lines().next().unwrap()).unwrap();
        assert_eq!(json["action"], "published");
        assert_eq!(json["user"]["name"], "Ann");
        assert_eq!(json["citations"][0]["paragraph"], 3);
        assert_eq!(log.read(None).unwrap(), (vec![first, second], 0));
    }

    #[test]
    fn since_keeps_later_days_and_damaged_lines_are_counted_not_fatal() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::in_data_dir(dir.path());
        let mut old = AuditEvent::now(actor(), AuditAction::Reindex, "ok");
        old.at = "2024-01-31T23:59:59Z".into();
        let mut new = old.clone();
        new.at = "2024-02-01T00:00:00Z".into();
        log.append(&old).unwrap();
        std::fs::OpenOptions::new()
            .append(true)
            .open(log.path())
            .unwrap()
            .write_all(b"{\"half\": \n")
            .unwrap();
        log.append(&new).unwrap();
        let since = NaiveDate::from_ymd_opt(2024, 2, 1);
        assert_eq!(log.read(since).unwrap(), (vec![new.clone()], 1));
        assert_eq!(log.read(None).unwrap().0.len(), 2);
    }

    #[test]
    fn a_missing_trail_is_empty_and_an_unwritable_one_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let log = AuditLog::in_data_dir(dir.path());
        assert_eq!(log.read(None).unwrap(), (Vec::new(), 0));
        // A folder where the file should be: appending fails with the path, never panics.
        std::fs::create_dir(log.path()).unwrap();
        let error = log
            .append(&AuditEvent::now(actor(), AuditAction::Reindex, "ok"))
            .unwrap_err();
        assert!(error.to_string().contains(AUDIT_FILE), "{error}");
    }

    #[test]
    fn concurrent_appends_never_interleave() {
        let dir = tempfile::tempdir().unwrap();
        let log = std::sync::Arc::new(AuditLog::in_data_dir(dir.path()));
        let threads: Vec<_> = (0..4)
            .map(|t| {
                let log = log.clone();
                std::thread::spawn(move || {
                    for i in 0..25 {
                        let action = AuditAction::Remove {
                            file: format!("{t}-{i}-{}.md", "x".repeat(2000)),
                        };
                        log.append(&AuditEvent::now(actor(), action, "ok")).unwrap();
                    }
                })
            })
            .collect();
        for thread in threads {
            thread.join().unwrap();
        }
        assert_eq!(log.read(None).unwrap().0.len(), 100);
        assert_eq!(log.read(None).unwrap().1, 0);
    }
}
