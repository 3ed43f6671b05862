//! The integration tests: one binary, one module per area (as ripgrep does), so the shared
//! helpers in `support` and the fake Discord are compiled once.
//!
//! `cargo test --test it` runs them all; `cargo test --test it hostile_input` runs one area.

mod support;

mod add;
mod audit_trail;
mod bot_e2e;
mod bot_operations;
mod cli;
mod corpus_faults;
mod corpus_hardening;
mod data_safety;
mod dev_sets;
mod discord_spec;
mod eval_floors;
mod fake_discord_selftest;
mod fetch;
mod filters;
mod gateway_faults;
mod hostile_input;
mod index_faults;
mod library;
mod load;
mod secrets;
mod semantic_answers;
mod semantic_encoder;
mod source_names;
mod text_hardening;
mod trash;
