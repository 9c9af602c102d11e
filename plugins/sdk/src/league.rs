//! The league: teams, venues, TV windows and reference data.

use serde::de::DeserializeOwned;

use crate::bindings::umpire::plugin::league as host;
use crate::params::{json_error, parse};
use crate::{Blackout, Date, Team, TvWindow, Venue};

/// The team with this id.
pub fn team(id: &str) -> Option<Team> {
    host::team_by_id(id)
}

/// Every team.
pub fn teams() -> Vec<Team> {
    host::teams()
}

/// The venue with this id.
pub fn venue(id: &str) -> Option<Venue> {
    host::venue_by_id(id)
}

/// Every venue.
pub fn venues() -> Vec<Venue> {
    host::venues()
}

/// The TV window with this id.
pub fn tv_window(id: &str) -> Option<TvWindow> {
    host::tv_window_by_id(id)
}

/// The venue's blackout covering a venue-local date, if any.
pub fn blackout(venue: &str, date: &Date) -> Option<Blackout> {
    host::blackout_on(venue, *date)
}

/// An entry of the league's `[reference]` table, read into `T`; `Ok(None)`
/// when the league has no such key.
///
/// ```no_run
/// let rivalries: Vec<[String; 2]> =
///     umpire_plugin::league::reference("rivalries")?.unwrap_or_default();
/// # Ok::<(), String>(())
/// ```
pub fn reference<T: DeserializeOwned>(key: &str) -> Result<Option<T>, String> {
    match host::reference(key) {
        None => Ok(None),
        Some(json) => parse(&json)
            .map(Some)
            .map_err(|e| format!("reference `{key}`: {}", json_error(&e))),
    }
}
