//! The data umpire rules on and what it rules: leagues, games and schedules,
//! verdicts and reports.
//!
//! Nothing here knows about plugins, scripts or how evaluation is run; the
//! model is plain data, validated once when it is loaded, so every later
//! stage can trust it.

mod league;
mod report;
mod schedule;
mod verdict;

pub(crate) use league::join_clean;
pub use league::{Blackout, DEFAULT_GAME_MINUTES, LEAGUE_FILE, League, Team, TvWindow, Venue};
pub(crate) use league::{suggest, weekday_name};
pub use report::{
    CacheStats, GameReport, L2Stats, LayerStats, Penalties, Report, ScheduleReport, Summary,
};
pub use schedule::{Game, GameSpec, Schedule, ScheduleSpec};
pub use verdict::{Entity, EntityKind, Hardness, Severity, Status, Verdict, Violation};
