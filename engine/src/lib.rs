//! umpire rules on sports and event schedules.
//!
//! Hand it a [`League`] (teams, venues with time zones and blackout dates, TV
//! windows, reference data) and a [`Schedule`] (games in slots); the
//! [`Registry`] of constraint plugins decides, game by game and for the season
//! as a whole, what holds and what does not, and the [`Evaluator`] assembles a
//! [`Report`]: valid or not, a score, every violation with the entities it
//! touches and a suggestion.
//!
//! The root holds the domain and the engine, the names most programs need;
//! the rest is in the module it belongs to. The data flow is one way:
//! request → plan (which constraints, in which order) → executor → runtime →
//! verdicts → report, and the modules follow it:
//!
//! - [`model`]: leagues, games, the indexed schedule, schedule edits,
//!   verdicts and reports, and the readers of every file (the
//!   `umpire-model` crate, which builds without the plugin hosts);
//! - [`manifests`]: constraint manifests as data, the dependency graph,
//!   plugin builds;
//! - [`runtime`]: the plugin hosts (Rhai, WebAssembly) and their limits;
//! - [`registry`]: a league's constraints loaded, built and compiled;
//! - [`exec`]: the evaluator's settings, cancellation, overload, what-if
//!   answers;
//! - [`cache`], [`breaker`], [`data`]: the verdict cache, circuit breakers,
//!   HTTP data sources;
//! - [`config`] and [`paths`]: the TOML config and the paths it gives;
//! - [`generate`]: synthetic leagues for benchmarks;
//! - [`robinx`]: RobinX instances and solutions (ITC2021 among them) as
//!   leagues, schedules and constraints of the RobinX plugin pack, scored as
//!   the RobinX validator scores them.
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

pub mod breaker;
pub mod cache;
pub mod config;
pub mod data;
pub mod exec;
pub mod generate;
pub mod robinx;
/// ITC2021 is one family of RobinX: [`robinx`] under the name earlier
/// versions gave it.
pub mod itc2021 {
    pub use crate::robinx::*;
}
pub mod manifests;
pub mod paths;
pub mod registry;
pub mod runtime;

mod cli;
mod html;
mod server;

/// The plain data and its readers: leagues, games, the indexed schedule,
/// schedule edits, verdicts and reports (the `umpire-model` crate, which
/// builds, and is fuzzed, without the plugin hosts).
pub mod model {
    pub use umpire_model::*;
}

use umpire_model::error;

pub use error::{Error, Result};
pub use exec::{Evaluator, Season, WhatIf};
pub use model::{
    Game, GameEdit, GameReport, League, Report, Schedule, SchedulePatch, Severity, Status, Verdict,
    Violation,
};
pub use registry::Registry;
pub use runtime::Constraint;

/// The `umpire` command line: what the binary runs. Not part of the
/// library's API.
#[doc(hidden)]
pub fn cli_main() -> std::process::ExitCode {
    cli::main()
}
