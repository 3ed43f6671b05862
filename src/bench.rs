//! Benchmarks (to be written).

/// Options of `coverage-bot bench`.
#[derive(Debug, Clone, clap::Args)]
pub struct BenchArgs {}

/// Runs the benchmarks and returns a Markdown report.
pub fn run(_config: &crate::Config, _args: &BenchArgs) -> anyhow::Result<String> {
    anyhow::bail!("not implemented yet")
}
