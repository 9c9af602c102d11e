//! The schedule being evaluated. [`games`] and the slots are in schedule
//! order (the order of the schedule file; a game's slot is its position);
//! a team's, a venue-day's and a date's games come sorted by start time.
//! The host indexes them by team, venue and day, so each query is a lookup,
//! not a scan.
//!
//! Queries that return numbers ([`rest_days`], [`len`]) cost a call and no
//! allocation; queries that return games copy them into the plugin's memory,
//! so a rule on its hot path should prefer the former.
//!
//! A team or venue argument is a ref (`game.home()`, or the raw field
//! `game.home`), which costs nothing, or an id (`"CHI"`), which is looked up
//! in the league's ids first; see [`IntoRef`]. An id the league does not have
//! has no games.

use crate::bindings::umpire::plugin::schedule as host;
use crate::refs::IntoRef;
use crate::{Date, Game, TeamRef, VenueRef};

/// How many games.
pub fn len() -> u32 {
    host::len()
}

/// Every game, in schedule order (see [`Game::slot`]).
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
pub fn games_of(team: impl IntoRef<TeamRef>) -> Vec<Game> {
    team.into_ref()
        .map_or_else(Vec::new, |team| host::games_of(team.get()))
}

/// A team's games starting in `[from, to)`, in Unix seconds.
pub fn games_of_between(team: impl IntoRef<TeamRef>, from: i64, to: i64) -> Vec<Game> {
    team.into_ref().map_or_else(Vec::new, |team| {
        host::games_of_between(team.get(), from, to)
    })
}

/// The team's game before `game`.
#[inline]
pub fn previous_game(team: impl IntoRef<TeamRef>, game: &Game) -> Option<Game> {
    host::previous_game(team.into_ref()?.get(), game.slot)
}

/// The team's game after `game`.
#[inline]
pub fn next_game(team: impl IntoRef<TeamRef>, game: &Game) -> Option<Game> {
    host::next_game(team.into_ref()?.get(), game.slot)
}

/// Calendar days from the team's previous game to `game`, each date taken at
/// its own venue (see [`days_between`](crate::days_between)); `None` when
/// `game` is the team's first.
///
/// With a ref, one host call that returns a number: the query for a hot
/// path.
#[inline]
pub fn rest_days(team: impl IntoRef<TeamRef>, game: &Game) -> Option<i32> {
    host::rest_days(team.into_ref()?.get(), game.slot)
}

/// The games at a venue on a venue-local date.
pub fn games_at(venue: impl IntoRef<VenueRef>, date: &Date) -> Vec<Game> {
    venue
        .into_ref()
        .map_or_else(Vec::new, |venue| host::games_at(venue.get(), *date))
}

/// The games on a date, each at its venue's local date.
pub fn games_on(date: &Date) -> Vec<Game> {
    host::games_on(*date)
}

/// One game reduced to who plays whom and when: an item of [`pairings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pairing {
    /// The home team.
    pub home: TeamRef,
    /// The away team.
    pub away: TeamRef,
    /// The game's round, if it has one.
    pub round: Option<u32>,
}

/// Every game of the schedule as a [`Pairing`], in schedule order: one host
/// call and one copy of 12 bytes a game, no strings. The query for a
/// schedule-scoped rule that counts games by team and round.
pub fn pairings() -> Pairings {
    Pairings(host::pairings())
}

/// The answer of [`pairings`]: the host's flat `home, away, round` triples.
///
/// Two answers compare equal when they list the same games in the same
/// order, which a rule may use to keep what it derived from the last
/// schedule; the comparison runs word by word (a WebAssembly `memcmp`
/// goes byte by byte).
#[derive(Debug, Clone, Default)]
pub struct Pairings(Vec<u32>);

impl PartialEq for Pairings {
    fn eq(&self, other: &Self) -> bool {
        crate::words::same_words(&self.0, &other.0)
    }
}

impl Eq for Pairings {}

impl Pairings {
    /// Pairings from flat `home, away, round` triples (round
    /// `u32::MAX` for none), as the host sends them; for tests.
    pub fn from_flat(flat: Vec<u32>) -> Self {
        Self(flat)
    }

    /// How many games.
    pub fn len(&self) -> usize {
        self.0.len() / 3
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.0.len() < 3
    }

    /// The games, in schedule order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Pairing> + '_ {
        self.0
            .as_chunks::<3>()
            .0
            .iter()
            .map(|&[home, away, round]| Pairing {
                home: TeamRef::new(home),
                away: TeamRef::new(away),
                round: (round != u32::MAX).then_some(round),
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pairings_are_equal_when_they_list_the_same_games() {
        let a = Pairings::from_flat(vec![0, 1, 0, 2, 3, 0, 1, 2, u32::MAX]);
        assert_eq!(a, a.clone());
        let mut flat = a.0.clone();
        flat[8] = 1;
        assert_ne!(a, Pairings::from_flat(flat));
        assert_ne!(a, Pairings::from_flat(a.0[..6].to_vec()));
    }
}
