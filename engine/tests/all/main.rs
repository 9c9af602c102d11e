//! Integration tests for umpire: one binary, a module per feature.

mod breaker;
mod cli;
mod deadlines;
mod dependencies;
mod example_league;
mod generate;
mod invariants;
mod league_files;
mod manifests;
mod query_api;
mod rhai_host;
mod support;
mod wasm;
