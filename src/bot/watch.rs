//! Watches the corpus folder and reindexes after changes settle.

use std::sync::Arc;
use std::time::Duration;

use notify_debouncer_mini::notify::{RecommendedWatcher, RecursiveMode};
use notify_debouncer_mini::{new_debouncer, DebounceEventResult, Debouncer};

use crate::Library;

/// Starts watching. Dropping the returned value stops the watch.
pub fn spawn(
    library: Arc<Library>,
    debounce: Duration,
) -> anyhow::Result<Debouncer<RecommendedWatcher>> {
    let runtime = tokio::runtime::Handle::current();
    let handler_library = library.clone();
    let mut debouncer = new_debouncer(debounce, move |events: DebounceEventResult| match events {
        Ok(events) if !events.is_empty() => {
            let library = handler_library.clone();
            runtime.spawn_blocking(move || match library.reindex(false) {
                Ok(crate::ReindexOutcome::Rebuilt {
                    articles,
                    passages,
                    millis,
                }) => {
                    tracing::info!(articles, passages, millis, "corpus changed: index rebuilt");
                }
                Ok(outcome) => tracing::debug!(?outcome, "corpus event without change"),
                Err(error) => {
                    let error = crate::error::chain(&error);
                    tracing::error!(%error, "reindex after a corpus change failed")
                }
            });
        }
        Ok(_) => {}
        Err(error) => tracing::warn!(%error, "corpus watch error"),
    })?;
    debouncer
        .watcher()
        .watch(&library.config().corpus.dir, RecursiveMode::Recursive)?;
    Ok(debouncer)
}
