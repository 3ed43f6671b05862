//! Shared helpers for integration tests. Each test binary uses only part of this.
#![allow(dead_code)]

pub mod fake_discord;
pub mod fixtures;
pub mod harness;
pub mod logs;
pub mod unprivileged;
