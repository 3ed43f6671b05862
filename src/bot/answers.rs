//! Answers kept in memory for their buttons: "Post publicly" and "More results" need the hits
//! of the original question. Entries expire after the configured button lifetime.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use poise::serenity_prelude::UserId;

use crate::filter::ScopeCount;
use crate::render::{self, AnswerControls, Locale, Message};
use crate::search::Hit;

/// Prefix of every custom id this bot creates.
pub const ID_PREFIX: &str = "cb";

/// A question and its answer, as first given: what the buttons need to show it again.
#[derive(Debug, Clone)]
pub struct Asked {
    /// The question (or the message text, for "Find sources"), within the maximum length.
    pub question: String,
    /// The maximum the question was cut to, if it was longer.
    pub cut_to: Option<usize>,
    /// All hits fetched, across pages.
    pub hits: Vec<Hit>,
    /// How many articles the question's filter kept, if it had one.
    pub scope: Option<ScopeCount>,
    /// Hits per page (at least 1).
    pub per_page: usize,
    /// The asker.
    pub owner: UserId,
    /// The asker's locale.
    pub locale: Locale,
    /// Whether the answer was posted ephemerally (so "Post publicly" is offered).
    pub ephemeral: bool,
}

/// A stored answer.
#[derive(Debug, Clone)]
pub struct StoredAnswer {
    /// How it was asked.
    pub asked: Asked,
    /// Page shown to the owner.
    pub page: usize,
    /// Whether it was already posted publicly.
    pub posted: bool,
    created: Instant,
}

/// What a button click asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ButtonAction {
    /// Post the answer to the channel.
    PostPublicly(String),
    /// Show the next page of hits.
    MoreResults(String),
    /// Show a page of `/sources`.
    SourcesPage(usize),
}

impl ButtonAction {
    /// Parses a custom id; `None` for ids that are not ours or are malformed.
    pub fn parse(custom_id: &str) -> Option<ButtonAction> {
        let mut parts = custom_id.split(':');
        if parts.next() != Some(ID_PREFIX) {
            return None;
        }
        let action = match (parts.next()?, parts.next()?) {
            ("pub", key) => ButtonAction::PostPublicly(key.to_string()),
            ("more", key) => ButtonAction::MoreResults(key.to_string()),
            ("src", page) => ButtonAction::SourcesPage(page.parse().ok()?),
            _ => return None,
        };
        parts.next().is_none().then_some(action)
    }

    /// The custom id (always well under Discord's 100 characters).
    pub fn custom_id(&self) -> String {
        match self {
            ButtonAction::PostPublicly(key) => format!("{ID_PREFIX}:pub:{key}"),
            ButtonAction::MoreResults(key) => format!("{ID_PREFIX}:more:{key}"),
            ButtonAction::SourcesPage(page) => format!("{ID_PREFIX}:src:{page}"),
        }
    }
}

/// The store.
#[derive(Debug)]
pub struct AnswerStore {
    entries: Mutex<HashMap<String, StoredAnswer>>,
    lifetime: Duration,
}

impl AnswerStore {
    /// A store whose entries live `lifetime`.
    pub fn new(lifetime: Duration) -> AnswerStore {
        AnswerStore {
            entries: Mutex::new(HashMap::new()),
            lifetime,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, StoredAnswer>> {
        match self.entries.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        }
    }

    /// Stores an answer under `key` (the interaction id), dropping expired ones.
    pub fn insert(&self, key: &str, mut asked: Asked) {
        asked.per_page = asked.per_page.max(1);
        let mut entries = self.lock();
        let lifetime = self.lifetime;
        entries.retain(|_, e| e.created.elapsed() < lifetime);
        entries.insert(
            key.to_string(),
            StoredAnswer {
                asked,
                page: 0,
                posted: false,
                created: Instant::now(),
            },
        );
    }

    /// Runs `f` on a live entry.
    pub fn with<R>(&self, key: &str, f: impl FnOnce(&mut StoredAnswer) -> R) -> Option<R> {
        let mut entries = self.lock();
        let lifetime = self.lifetime;
        match entries.get_mut(key) {
            Some(entry) if entry.created.elapsed() < lifetime => Some(f(entry)),
            Some(_) => {
                entries.remove(key);
                None
            }
            None => None,
        }
    }

    /// Number of live entries.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether the store is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl StoredAnswer {
    /// Number of pages.
    pub fn pages(&self) -> usize {
        self.asked.hits.len().div_ceil(self.asked.per_page).max(1)
    }

    /// The hits shown on `page` (the last page for a number past it).
    pub fn page_hits(&self, page: usize) -> &[Hit] {
        let asked = &self.asked;
        let start = page.min(self.pages() - 1) * asked.per_page;
        &asked.hits[start.min(asked.hits.len())..(start + asked.per_page).min(asked.hits.len())]
    }

    /// Renders a page. `shared_by` marks a public repost. Buttons: "Post publicly" while the
    /// answer is an unposted ephemeral preview, "More results" while pages remain.
    pub fn render(&self, key: &str, page: usize, shared_by: Option<&str>) -> Message {
        let asked = &self.asked;
        let page = page.min(self.pages() - 1);
        let start = page * asked.per_page;
        let hits = &asked.hits[start..(start + asked.per_page).min(asked.hits.len())];
        let controls = if shared_by.is_some() {
            AnswerControls {
                question_cut_to: asked.cut_to,
                scope: asked.scope,
                ..AnswerControls::default()
            }
        } else {
            AnswerControls {
                post_publicly: asked
                    .ephemeral
                    .then(|| ButtonAction::PostPublicly(key.to_string()).custom_id()),
                posted: self.posted,
                more_results: (page + 1 < self.pages())
                    .then(|| ButtonAction::MoreResults(key.to_string()).custom_id()),
                question_cut_to: asked.cut_to,
                scope: asked.scope,
            }
        };
        let mut message = render::answer_message(
            &asked.question,
            hits,
            start + 1,
            asked.locale,
            shared_by,
            &controls,
        );
        message.ephemeral = asked.ephemeral && shared_by.is_none();
        message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_ids_round_trip_and_reject_foreign_ids() {
        for action in [
            ButtonAction::PostPublicly("123".into()),
            ButtonAction::MoreResults("9".into()),
            ButtonAction::SourcesPage(4),
        ] {
            assert_eq!(
                ButtonAction::parse(&action.custom_id()),
                Some(action.clone())
            );
            assert!(action.custom_id().len() <= 100);
        }
        assert_eq!(ButtonAction::parse("other:pub:1"), None);
        assert_eq!(ButtonAction::parse("cb:src:notanumber"), None);
        assert_eq!(ButtonAction::parse("cb:pub:1:extra"), None);
        assert_eq!(ButtonAction::parse(""), None);
    }

    fn asked() -> Asked {
        Asked {
            question: "q".into(),
            cut_to: None,
            hits: Vec::new(),
            scope: None,
            per_page: 3,
            owner: UserId::new(1),
            locale: Locale::En,
            ephemeral: true,
        }
    }

    #[test]
    fn entries_expire() {
        let store = AnswerStore::new(Duration::from_millis(0));
        store.insert("k", asked());
        assert!(store.with("k", |_| ()).is_none());
        let store = AnswerStore::new(Duration::from_secs(60));
        store.insert("k", asked());
        assert_eq!(store.with("k", |e| e.asked.owner), Some(UserId::new(1)));
    }

    #[test]
    fn a_filtered_answer_says_how_many_articles_it_searched_in_every_rendering() {
        let store = AnswerStore::new(Duration::from_secs(60));
        let scope = Some(ScopeCount { kept: 2, total: 9 });
        store.insert("k", Asked { scope, ..asked() });
        for shared_by in [None, Some("Ann")] {
            let message = store.with("k", |e| e.render("k", 0, shared_by)).unwrap();
            let description = message.embeds[0].description.clone().unwrap_or_default();
            assert!(description.contains("2 of 9 articles"), "{description}");
        }
        store.insert("u", asked());
        let message = store.with("u", |e| e.render("u", 0, None)).unwrap();
        assert!(!message.embeds[0]
            .description
            .clone()
            .unwrap_or_default()
            .contains("articles."));
    }

    #[test]
    fn a_cut_question_says_so_in_every_rendering() {
        let store = AnswerStore::new(Duration::from_secs(60));
        store.insert(
            "k",
            Asked {
                cut_to: Some(1000),
                ..asked()
            },
        );
        for shared_by in [None, Some("Ann")] {
            let message = store.with("k", |e| e.render("k", 0, shared_by)).unwrap();
            let description = message.embeds[0].description.clone().unwrap_or_default();
            assert!(description.contains("1000 characters"), "{description}");
        }
    }
}
