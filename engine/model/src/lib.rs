//! The data umpire rules on and what it rules: leagues, games and schedules,
//! verdicts and reports; and the readers of everything a client or a plugin
//! directory hands the engine: league and schedule files, constraint
//! manifests, ITC2021 XML, schedule edits, cached verdicts; and the
//! fingerprints that name them across processes.
//!
//! Nothing here knows about plugins, scripts or how evaluation is run; the
//! model is plain data, validated once when it is loaded, so every later
//! stage can trust it.
//!
//! It is a crate of its own, not a module of `umpire`, so that what reads
//! untrusted input builds without the plugin hosts (wasmtime, Rhai), the
//! server and the Redis client: the fuzz targets in `fuzz/` depend on it
//! alone, so their sanitizer-instrumented build compiles a few small crates
//! instead of wasmtime, cranelift and Rhai (FUZZING.md has the times).
//! `umpire` re-exports its public types; depend on `umpire`, not on this
//! crate.
//!
//! ```
//! use std::path::Path;
//! use umpire_model::{League, Schedule};
//!
//! let league = League::load(Path::new("../../examples/leagues/pacific-atlantic"))?;
//! let schedule = Schedule::load(league.schedule_file.as_ref().unwrap(), &league)?;
//! assert!(!schedule.is_empty());
//! # Ok::<(), umpire_model::Error>(())
//! ```

pub mod error;
pub mod fingerprint;
pub mod itc2021;
mod league;
pub mod manifest;
pub mod patch;
pub mod reads;
mod report;
pub mod robinx;
mod schedule;
pub mod stored;
mod verdict;

// The moved readers still name the model as the engine does
// (`crate::model::join_clean`), so edits made to them in the engine merge.
use crate as model;

pub use error::{Error, Result};
pub use league::{
    Blackout, BlackoutSpec, DEFAULT_GAME_MINUTES, DstPolicy, LEAGUE_FILE, League, LeagueSpec, Team,
    TeamSpec, TvWindow, TvWindowSpec, Venue, VenueSpec,
};
pub use league::{join_clean, suggest, unknown_zone, weekday_name};
pub use patch::{GameEdit, PatchError, SchedulePatch};
pub use report::{
    CacheStats, ConstraintTotal, GameReport, L2Stats, LayerStats, Ledger, Penalties, Report,
    ScheduleReport, Summary, Tallied,
};
pub use schedule::{Game, GameSpec, Picked, Schedule, ScheduleSpec};
pub use verdict::{Entity, EntityKind, Hardness, Severity, Status, Verdict, Violation};
