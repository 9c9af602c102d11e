//! The league: teams, venues, TV windows and reference data.
//!
//! Lookups take an id (`"CHI"`, `&team.id`) or a ref (`game.venue()`): a ref
//! is written as its id for the host. [`team_ref`], [`venue_ref`] and
//! [`tv_window_ref`] go the other way, and [`ids`] gives the whole lists the
//! refs index.

use serde::de::DeserializeOwned;

use crate::bindings::umpire::plugin::league as host;
use crate::params::{json_error, parse};
use crate::refs::{IntoRef, Ref};
use crate::{Blackout, Date, IdLists, Team, TeamRef, TvWindow, TvWindowRef, Venue, VenueRef};

/// The team with this id (or ref).
pub fn team(id: impl AsRef<str>) -> Option<Team> {
    host::team_by_id(id.as_ref())
}

/// Every team, in league order.
pub fn teams() -> Vec<Team> {
    host::teams()
}

/// The venue with this id (or ref).
pub fn venue(id: impl AsRef<str>) -> Option<Venue> {
    host::venue_by_id(id.as_ref())
}

/// Every venue, in league order.
pub fn venues() -> Vec<Venue> {
    host::venues()
}

/// The TV window with this id (or ref).
pub fn tv_window(id: impl AsRef<str>) -> Option<TvWindow> {
    host::tv_window_by_id(id.as_ref())
}

/// The venue's blackout covering a venue-local date, if any. The venue is a
/// ref (`game.venue()`, or the raw `game.venue`) or an id.
pub fn blackout(venue: impl IntoRef<VenueRef>, date: &Date) -> Option<Blackout> {
    host::blackout_on(venue.into_ref()?.get(), *date)
}

/// The ids the refs index, in league order: `ids().teams[r.index()]` is
/// `r.id()` for a [`TeamRef`] `r`. Fetched from the host on the first call
/// in an instance, then cached (the host keeps them fixed).
pub fn ids() -> &'static IdLists {
    crate::refs::ids()
}

/// The ref of the team with this id, if the league has one.
pub fn team_ref(id: &str) -> Option<TeamRef> {
    TeamRef::find(id)
}

/// The ref of the venue with this id, if the league has one.
pub fn venue_ref(id: &str) -> Option<VenueRef> {
    VenueRef::find(id)
}

/// The ref of the TV window with this id, if the league has one.
pub fn tv_window_ref(id: &str) -> Option<TvWindowRef> {
    TvWindowRef::find(id)
}

/// Every team's ref, in league order.
pub fn team_refs() -> impl ExactSizeIterator<Item = TeamRef> {
    (0..ids().teams.len() as u32).map(TeamRef::new)
}

/// Every venue's ref, in league order.
pub fn venue_refs() -> impl ExactSizeIterator<Item = VenueRef> {
    (0..ids().venues.len() as u32).map(VenueRef::new)
}

/// Every TV window's ref, in league order.
pub fn tv_window_refs() -> impl ExactSizeIterator<Item = TvWindowRef> {
    (0..ids().tv_windows.len() as u32).map(TvWindowRef::new)
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
