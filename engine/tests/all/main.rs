//! Integration tests for umpire: one binary, a module per feature.

mod authoring;
mod breaker;
mod cache;
mod cli;
mod data_sources;
mod deadlines;
mod dependencies;
mod example_league;
mod executor;
mod generate;
mod incremental;
mod invariants;
mod itc2021;
mod league_files;
mod manifests;
mod packaging;
mod plugin_trust;
mod query_api;
mod redis_cache;
mod rhai_host;
mod server;
mod server_hardening;
mod server_what_if;
mod support;
mod wasm;
mod what_if;
