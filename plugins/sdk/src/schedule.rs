//! The schedule being evaluated. Games come sorted by start time; the host
//! indexes them by team, venue and day, so each query is a lookup, not a scan.
//!
//! Queries that return numbers ([`rest_days`], [`len`]) cost a call and no
//! allocation; queries that return games copy them into the plugin's memory,
//! so a rule on its hot path should prefer the former.

use crate::bindings::umpire::plugin::schedule as host;
use crate::{Date, Game};

/// How many games.
pub fn len() -> u32 {
    host::len()
}

/// Every game, in start order.
pub fn games() -> Vec<Game> {
    host::games()
}

/// The game in a slot ([`Game::slot`]).
pub fn game_at(slot: u32) -> Option<Game> {
    host::game_at(slot)
}

/// The game with this id.
pub fn game_by_id(id: &str) -> Option<Game> {
    host::game_by_id(id)
}

/// A team's games, in start order.
pub fn games_of(team: &str) -> Vec<Game> {
    host::games_of(team)
}

/// A team's games starting in `[from, to)`, in Unix seconds.
pub fn games_of_between(team: &str, from: i64, to: i64) -> Vec<Game> {
    host::games_of_between(team, from, to)
}

/// The team's game before `game`.
pub fn previous_game(team: &str, game: &Game) -> Option<Game> {
    host::previous_game(team, game.slot)
}

/// The team's game after `game`.
pub fn next_game(team: &str, game: &Game) -> Option<Game> {
    host::next_game(team, game.slot)
}

/// Calendar days from the team's previous game to `game`, each date taken at
/// its own venue (see [`days_between`](crate::days_between)); `None` when
/// `game` is the team's first.
pub fn rest_days(team: &str, game: &Game) -> Option<i32> {
    host::rest_days(team, game.slot)
}

/// The games at a venue on a venue-local date.
pub fn games_at(venue: &str, date: &Date) -> Vec<Game> {
    host::games_at(venue, *date)
}

/// The games on a date, each at its venue's local date.
pub fn games_on(date: &Date) -> Vec<Game> {
    host::games_on(*date)
}
