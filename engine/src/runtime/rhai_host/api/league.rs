//! The league as scripts see it: its teams, venues, TV windows, reference
//! data and blackouts.

use rhai::{Array, Dynamic, ImmutableString, Module};

use super::super::types::blackout_map;
use super::{RLeague, date_arg, get_or_unit};
use crate::data::LeagueData;
use crate::runtime::call::read_league;

pub(super) fn register(m: &mut Module) {
    // League
    m.set_getter_fn("name", |l: &mut RLeague| {
        Ok(ImmutableString::from(l.0.league.name.as_str()))
    });
    m.set_native_fn("team", |l: &mut RLeague, id: ImmutableString| {
        Ok(get_or_unit(&l.0.teams, &id))
    });
    // A venue carries its blackouts: reading one may read them.
    m.set_native_fn("venue", |l: &mut RLeague, id: ImmutableString| {
        read_league(LeagueData::Blackouts);
        Ok(get_or_unit(&l.0.venues, &id))
    });
    m.set_native_fn("tv_window", |l: &mut RLeague, id: ImmutableString| {
        read_league(LeagueData::TvWindows);
        Ok(get_or_unit(&l.0.tv_windows, &id))
    });
    m.set_getter_fn("teams", |l: &mut RLeague| {
        Ok(l.0.teams.values().cloned().collect::<Array>())
    });
    m.set_getter_fn("venues", |l: &mut RLeague| {
        read_league(LeagueData::Blackouts);
        Ok(l.0.venues.values().cloned().collect::<Array>())
    });
    m.set_native_fn("reference", |l: &mut RLeague, key: ImmutableString| {
        read_league(LeagueData::Reference(&key));
        Ok(get_or_unit(&l.0.reference, &key))
    });
    m.set_native_fn(
        "blackout",
        |l: &mut RLeague, venue: ImmutableString, date: ImmutableString| {
            read_league(LeagueData::Blackouts);
            let date = date_arg(&date)?;
            Ok(l.0
                .league
                .venue(&venue)
                .and_then(|v| v.blackouts.iter().find(|b| b.covers(date)))
                .map_or(Dynamic::UNIT, blackout_map))
        },
    );
}
