//! What one call may read: the schedule, its games as records (each built
//! the first time a call asks for it), the game under evaluation.

use std::sync::Arc;

use super::GameRecord;
use super::convert::game_record;
use crate::model::reads::Fields;
use crate::model::{Game, League, Schedule};

/// What one call may read: the schedule, its games as records, the game
/// under evaluation.
pub(crate) struct Call {
    pub(crate) schedule: Arc<Schedule>,
    pub(crate) records: Arc<Records>,
    pub(crate) game: Option<Arc<Game>>,
    /// The fields the manifest says the plugin reads (`[wasm] fields`):
    /// every record handed over has the others left empty ([`blank`]).
    pub(crate) fields: Option<Fields>,
}

/// `record` with every field but `fields` (and the slot, a handle) left
/// empty: an empty string or list, no round or TV window, the ref
/// 4294967295, the moment 0 at offset 0. What a plugin that declared its
/// fields sees of a field it did not declare: nothing it could depend on.
pub(crate) fn blank(record: &GameRecord, fields: Fields) -> GameRecord {
    let has = |f: Fields| fields.contains(f);
    let nowhere = u32::MAX;
    let never = super::types::Moment {
        unix_seconds: 0,
        offset_seconds: 0,
    };
    GameRecord {
        slot: record.slot,
        id: if has(Fields::ID) {
            record.id.clone()
        } else {
            String::new()
        },
        round: if has(Fields::ROUND) {
            record.round
        } else {
            None
        },
        home: if has(Fields::HOME) {
            record.home
        } else {
            nowhere
        },
        away: if has(Fields::AWAY) {
            record.away
        } else {
            nowhere
        },
        venue: if has(Fields::VENUE) {
            record.venue
        } else {
            nowhere
        },
        start: if has(Fields::START) {
            record.start
        } else {
            never
        },
        end: if has(Fields::END) { record.end } else { never },
        tv: if has(Fields::TV) { record.tv } else { None },
        tags: if has(Fields::TAGS) {
            record.tags.clone()
        } else {
            Vec::new()
        },
    }
}

/// A schedule's games as records, indexed by slot, each built the first
/// time a call asks for it: a call after a schedule change reads a few
/// games, and need not pay for all of them.
pub(crate) struct Records {
    cells: Box<[std::sync::OnceLock<Arc<Built>>]>,
    /// The `pairings` answer, built the first time a call asks.
    pairings: std::sync::OnceLock<Vec<u32>>,
}

/// A game's record, with the game it was built from: the records of the
/// next schedule take it over where that very game sits in the same slot.
struct Built {
    game: Arc<Game>,
    record: GameRecord,
}

impl Records {
    /// The records of `schedule`, taking over from `before` (the records of
    /// the schedule seen last, if any) those of the games that `schedule`
    /// has in the same slots: an edited copy of a schedule shares all but
    /// the edited games, so a what-if builds the records of those only.
    pub(crate) fn after(schedule: &Schedule, before: Option<&Records>) -> Self {
        let games = schedule.games();
        let taken = |i: usize| {
            before
                .and_then(|b| b.cells.get(i)?.get())
                .filter(|b| Arc::ptr_eq(&b.game, &games[i]))
                .cloned()
        };
        Self {
            cells: (0..games.len())
                .map(|i| match taken(i) {
                    Some(built) => std::sync::OnceLock::from(built),
                    None => std::sync::OnceLock::new(),
                })
                .collect(),
            pairings: std::sync::OnceLock::new(),
        }
    }

    /// Every game as `home, away, round` (team refs; `u32::MAX` for no
    /// round).
    pub(crate) fn pairings(&self, schedule: &Schedule, league: &League) -> &[u32] {
        self.pairings.get_or_init(|| {
            let position = |id: &str| league.team_position(id).map_or(u32::MAX, |p| p as u32);
            schedule
                .games()
                .iter()
                .flat_map(|g| {
                    [
                        position(&g.home),
                        position(&g.away),
                        g.round.unwrap_or(u32::MAX),
                    ]
                })
                .collect()
        })
    }

    /// The record of the game in `slot`.
    pub(crate) fn get(
        &self,
        slot: usize,
        schedule: &Schedule,
        league: &League,
    ) -> Option<&GameRecord> {
        let cell = self.cells.get(slot)?;
        let built = cell.get_or_init(|| {
            let game = schedule.games()[slot].clone();
            let record = game_record(&game, slot as u32, league);
            Arc::new(Built { game, record })
        });
        Some(&built.record)
    }
}
