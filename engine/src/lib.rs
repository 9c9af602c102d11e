//! umpire rules on sports and event schedules.
//!
//! Hand it a [`League`] (teams, venues with time zones and blackout dates, TV
//! windows, reference data) and a [`Schedule`] (games in slots); the
//! [`Registry`] of constraint plugins decides, game by game and for the season
//! as a whole, what holds and what does not, and the [`Evaluator`] assembles a
//! [`Report`]: valid or not, a score, every violation with the entities it
//! touches and a suggestion.
//!
//! The data flow is one way: request → plan (which constraints, in which
//! order) → executor → runtime → verdicts → report. Each stage lives in its
//! own module (see `src/README.md`):
//!
//! - `model`: league, games, the indexed schedule, verdicts, reports;
//! - `manifests`: constraint manifests as data, the dependency graph, plugin
//!   builds;
//! - `runtime`: the plugin hosts and the query API they share;
//! - `registry`: a league's constraints loaded, built and compiled;
//! - `exec`: plans and runs an evaluation;
//! - `generate`: synthetic leagues for benchmarks;
//! - [`itc2021`]: ITC2021 instances and solutions as leagues, schedules and
//!   constraints of the ITC2021 plugin pack, scored as the official
//!   validator scores them.
//!
//! ```no_run
//! use std::sync::Arc;
//! use umpire::{Evaluator, League, Registry, Schedule};
//!
//! # fn main() -> Result<(), umpire::Error> {
//! let league = League::load("examples/leagues/pacific-atlantic".as_ref())?;
//! let schedule = Schedule::load(league.schedule_file.as_ref().unwrap(), &league)?;
//! let registry = Registry::load(&league.plugin_dirs)?;
//! let evaluator = Evaluator::new(Arc::new(league), Arc::new(registry));
//! let report = evaluator.evaluate(&Arc::new(schedule));
//! println!("valid: {}, hard violations: {}", report.summary.valid, report.summary.hard_violations);
//! # Ok(())
//! # }
//! ```

#![warn(missing_debug_implementations)]

mod breaker;
mod cache;
mod config;
mod data;
mod exec;
mod generate;
pub mod itc2021;
mod manifests;
mod paths;
mod registry;
mod runtime;
mod server;

#[doc(hidden)]
pub mod cli;

// The plain data and its readers live in their own crate (`engine/model`),
// so that what reads untrusted input builds, and is fuzzed, without the
// plugin hosts; under their old names here, `crate::model::League` and
// `crate::error::Error` read as before.
use umpire_model as model;
use umpire_model::error;

pub use breaker::{Admit, Breaker, BreakerConfig, BreakerState};
pub use cache::{CacheConfig, Key as CacheKey, RedisConfig, VerdictCache};
pub use config::{AlertConfig, Config, LeagueEntry, LogFormat, LogSync, ServerConfig, Setting};
pub use data::{DataConfig, DataError, DataSources, SourceConfig, UrlTemplate};
pub use error::{Error, Result};
pub use exec::{
    Cancel, CancelOnDrop, Changed, Cost, Deadlines, Evaluator, ExecutorConfig, Interrupted, Order,
    Overloaded, PoolStats, Season, Totals, TotalsDelta, Warmed, WhatIf,
};
pub use generate::{GenerateOptions, generate};
pub use manifests::{
    Bottleneck, BuildEvent, BuildLimits, BuildObserver, BuildOutput, BuildPolicy, BuildSpec,
    DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS, DEFAULT_WEIGHT, DependencyGraph, Fallback, Isolation,
    Kind, MAX_MEMORY_MB, MAX_TIMEOUT_MS, Manifest, PASSED_ENV, Partition, Scope, WasmSettings,
};
pub use model::{
    Blackout, CacheStats, DEFAULT_GAME_MINUTES, Entity, EntityKind, Game, GameReport, GameSpec,
    Hardness, L2Stats, LEAGUE_FILE, LayerStats, League, Penalties, Report, Schedule,
    ScheduleReport, ScheduleSpec, Severity, Status, Summary, Team, TvWindow, Venue, Verdict,
    Violation,
};
pub use model::{GameEdit, PatchError, SchedulePatch};
pub use paths::ConfigPath;
pub use registry::{LoadOptions, PluginsConfig, Registry};
pub use runtime::{
    CACHE_ENV, CONTRACT, Compiled, Constraint, RhaiLimits, Runtime, WasmInfo, components_in_memory,
};
pub use server::{ServeLeague, serve};
