//! Constraint manifests as plain data, read in `umpire-model` and
//! re-exported here, with what needs no plugin host: the dependency graph
//! that orders them (`graph.rs`), and the `[build]` commands that make their
//! plugins (`build.rs`). Nothing here runs a plugin, so a reader of
//! manifests (a linter, `umpire constraints --graph`) builds without Rhai
//! and wasmtime.

pub(crate) mod build;
mod graph;

// Manifests are read in `umpire-model` (plain data, fuzzed without the hosts).
use umpire_model::manifest;

pub use build::{BuildEvent, BuildLimits, BuildObserver, BuildOutput, BuildPolicy, PASSED_ENV};
pub use graph::{Bottleneck, DependencyGraph};
pub use manifest::{
    BuildSpec, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS, DEFAULT_WEIGHT, Fallback, Isolation, Kind,
    MAX_MEMORY_MB, MAX_TIMEOUT_MS, Manifest, Partition, Scope, WasmSettings,
};
