//! Shared helpers of the integration tests. The fake Discord is the `fake-discord` crate
//! (`crates/fake-discord`).

pub mod discord_spec;
pub mod fixtures;
pub mod harness;
pub mod logs;
pub mod own_process;
pub mod unprivileged;
