//! Captures this process's `tracing` output in memory, so tests can assert that something was
//! logged (or that a secret never was).
//!
//! A process has one global subscriber, and all the tests share one process, so there is one
//! installation: a layer writing [`CAPTURE_FILTER`]-selected events to the shared buffer and, when
//! `RUST_LOG` is set, a layer writing `RUST_LOG`-selected events to the test output.

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};

use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// What [`capture`] records.
pub const CAPTURE_FILTER: &str = "warn,coverage_bot=info";

/// The captured log text.
#[derive(Clone, Default)]
pub struct LogBuffer(Arc<Mutex<Vec<u8>>>);

impl LogBuffer {
    /// Everything logged so far.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap_or_else(|e| e.into_inner())).to_string()
    }
}

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs the global subscriber once, and returns the capture buffer.
fn install() -> LogBuffer {
    static BUFFER: OnceLock<LogBuffer> = OnceLock::new();
    BUFFER
        .get_or_init(|| {
            let buffer = LogBuffer::default();
            let writer = buffer.clone();
            let capture = tracing_subscriber::fmt::layer()
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .with_filter(EnvFilter::new(CAPTURE_FILTER));
            let echo = std::env::var_os("RUST_LOG").is_some().then(|| {
                tracing_subscriber::fmt::layer()
                    .with_test_writer()
                    .with_ansi(false)
                    .with_filter(EnvFilter::from_default_env())
            });
            tracing_subscriber::registry()
                .with(capture)
                .with(echo)
                .try_init()
                .expect("the tests install the only global tracing subscriber");
            buffer
        })
        .clone()
}

/// The shared buffer of `filter`-selected events (which must be [`CAPTURE_FILTER`]: there is one
/// subscriber per process), installing the subscriber if needed.
pub fn capture(filter: &str) -> LogBuffer {
    assert_eq!(
        filter, CAPTURE_FILTER,
        "one subscriber per test process: capture with CAPTURE_FILTER"
    );
    install()
}

/// If `RUST_LOG` is set (e.g. `RUST_LOG=serenity=debug`), writes the events it selects to the test
/// output. Safe to call from every test.
pub fn init_test_logging() {
    if std::env::var_os("RUST_LOG").is_some() {
        install();
    }
}
