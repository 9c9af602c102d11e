//! What an evaluation read from the schedule, so that a cached verdict can
//! be checked against another schedule: the verdict still holds when every
//! read gives the same answer.
//!
//! The hosts record each schedule query a call makes (through
//! `runtime::call`); the answer is fingerprinted when the verdict is stored
//! and again when it is found, against the schedule of the moment. League
//! reads need no record: the league's fingerprint is in the key.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::model::{Game, Schedule};

/// The game a query was asked about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum Subject {
    /// The game under evaluation.
    This,
    /// Another game of the schedule, with its fingerprint then.
    Other(Arc<str>, u64),
}

/// One schedule query.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub(crate) enum Read {
    /// The number of games.
    Len,
    /// Every game.
    All,
    /// The game at a position.
    At(u32),
    /// The game with an id.
    ById(Arc<str>),
    /// A team's games.
    GamesOf(Arc<str>),
    /// A team's games in a time range.
    GamesOfBetween(Arc<str>, Timestamp, Timestamp),
    /// A team's game before a game.
    Previous(Arc<str>, Subject),
    /// A team's game after a game.
    Next(Arc<str>, Subject),
    /// The games at a venue on a date.
    GamesAt(Arc<str>, Date),
    /// The games on a date.
    GamesOn(Date),
}

impl Read {
    /// The answer's fingerprint in `schedule`, with `this` the game under
    /// evaluation; `None` when the question no longer makes sense (the other
    /// game it names is gone or changed).
    pub(crate) fn answer(&self, schedule: &Schedule, this: Option<&Arc<Game>>) -> Option<u64> {
        // Fx: fast, and the same in every process (L2 shares the answers).
        let mut h = rustc_hash::FxHasher::default();
        let mut list = |games: &mut dyn Iterator<Item = &Arc<Game>>| {
            for g in games {
                schedule.fingerprint_of(g).hash(&mut h);
            }
        };
        match self {
            Read::Len => schedule.len().hash(&mut h),
            Read::All => schedule.fingerprint().hash(&mut h),
            Read::At(i) => schedule.fingerprint_at(*i as usize).hash(&mut h),
            Read::ById(id) => schedule
                .game(id)
                .map(|g| schedule.fingerprint_of(g))
                .hash(&mut h),
            Read::GamesOf(team) => list(&mut schedule.games_of(team)),
            Read::GamesOfBetween(team, from, to) => {
                list(&mut schedule.games_of_between(team, *from, *to));
            }
            Read::Previous(team, subject) | Read::Next(team, subject) => {
                let game = match subject {
                    Subject::This => this?,
                    Subject::Other(id, fp) => {
                        let g = schedule.game(id)?;
                        (schedule.fingerprint_of(g) == *fp).then_some(g)?
                    }
                };
                let found = if matches!(self, Read::Previous(..)) {
                    schedule.previous_game(team, game)
                } else {
                    schedule.next_game(team, game)
                };
                found.map(|g| schedule.fingerprint_of(g)).hash(&mut h);
            }
            Read::GamesAt(venue, date) => list(&mut schedule.games_at(venue, *date)),
            Read::GamesOn(date) => list(&mut schedule.games_on(*date)),
        }
        Some(h.finish())
    }

    /// The subject of a query about `game`, given the game under evaluation.
    pub(crate) fn subject(
        schedule: &Schedule,
        game: &Arc<Game>,
        this: Option<&Arc<Game>>,
    ) -> Subject {
        match this {
            Some(t)
                if Arc::ptr_eq(t, game)
                    || (t.id == game.id && t.fingerprint() == game.fingerprint()) =>
            {
                Subject::This
            }
            _ => Subject::Other(game.id.clone(), schedule.fingerprint_of(game)),
        }
    }
}
