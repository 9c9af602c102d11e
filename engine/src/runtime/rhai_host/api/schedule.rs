//! The schedule queries: every one through `ask` (runtime::call), the one
//! lookup that also records it for the cache.

use rhai::{Array, Dynamic, ImmutableString, Module};

use super::{RGame, RSchedule, RTime, date_arg, games, opt_game};
use crate::model::reads::{Fields, Query};
use crate::runtime::call::{ask, saw};
use crate::runtime::query;

pub(super) fn register(m: &mut Module) {
    // Schedule: every query through `ask` (runtime::call), the one lookup
    // that also records it for the cache.
    m.set_native_fn("games_of", |s: &mut RSchedule, team: ImmutableString| {
        Ok(games(ask(&s.0, Query::GamesOf(&team)).games()))
    });
    m.set_native_fn(
        "games_of",
        |s: &mut RSchedule, team: ImmutableString, from: RTime, to: RTime| {
            let query = Query::GamesOfBetween(&team, from.0.timestamp(), to.0.timestamp());
            Ok(games(ask(&s.0, query).games()))
        },
    );
    m.set_native_fn(
        "previous_game",
        |s: &mut RSchedule, team: ImmutableString, g: RGame| {
            Ok(opt_game(ask(&s.0, Query::Previous(&team, &g.0)).one()))
        },
    );
    m.set_native_fn(
        "rest_days",
        |s: &mut RSchedule, team: ImmutableString, g: RGame| {
            let previous = ask(&s.0, Query::Previous(&team, &g.0)).one();
            // The answer is made of the kickoff of the game it finds.
            saw(Fields::START);
            Ok(previous.map_or(Dynamic::UNIT, |prev| {
                Dynamic::from(query::days_between(&prev.start, &g.0.start))
            }))
        },
    );
    m.set_native_fn(
        "next_game",
        |s: &mut RSchedule, team: ImmutableString, g: RGame| {
            Ok(opt_game(ask(&s.0, Query::Next(&team, &g.0)).one()))
        },
    );
    m.set_native_fn(
        "games_at",
        |s: &mut RSchedule, venue: ImmutableString, date: ImmutableString| {
            let date = date_arg(&date)?;
            Ok(games(ask(&s.0, Query::GamesAt(&venue, date)).games()))
        },
    );
    m.set_native_fn("pairings", |s: &mut RSchedule| {
        let position = |id: &str| s.0.team_position(id).map_or(-1, |p| p as i64);
        Ok(ask(&s.0, Query::All)
            .games()
            .map(|g| {
                let triple: Array = vec![
                    Dynamic::from(position(&g.home)),
                    Dynamic::from(position(&g.away)),
                    Dynamic::from(g.round.map_or(-1, i64::from)),
                ];
                Dynamic::from_array(triple)
            })
            .collect::<Array>())
    });
    m.set_native_fn("games_on", |s: &mut RSchedule, date: ImmutableString| {
        let date = date_arg(&date)?;
        Ok(games(ask(&s.0, Query::GamesOn(date)).games()))
    });
    m.set_native_fn("game", |s: &mut RSchedule, id: ImmutableString| {
        Ok(opt_game(ask(&s.0, Query::ById(&id)).one()))
    });
    m.set_getter_fn("games", |s: &mut RSchedule| {
        Ok(games(ask(&s.0, Query::All).games()))
    });
    m.set_getter_fn("len", |s: &mut RSchedule| {
        Ok(ask(&s.0, Query::Len).count() as i64)
    });
}
