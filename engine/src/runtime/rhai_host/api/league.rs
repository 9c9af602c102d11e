//! The league as scripts see it: its teams, venues, TV windows, reference
//! data and blackouts.

use rhai::{Array, Dynamic, ImmutableString, Module};

use super::super::types::blackout_map;
use super::{RLeague, date_arg, get_or_unit};

pub(super) fn register(m: &mut Module) {
    // League
    m.set_getter_fn("name", |l: &mut RLeague| {
        Ok(ImmutableString::from(l.0.league.name.as_str()))
    });
    m.set_native_fn("team", |l: &mut RLeague, id: ImmutableString| {
        Ok(get_or_unit(&l.0.teams, &id))
    });
    m.set_native_fn("venue", |l: &mut RLeague, id: ImmutableString| {
        Ok(get_or_unit(&l.0.venues, &id))
    });
    m.set_native_fn("tv_window", |l: &mut RLeague, id: ImmutableString| {
        Ok(get_or_unit(&l.0.tv_windows, &id))
    });
    m.set_getter_fn("teams", |l: &mut RLeague| {
        Ok(l.0.teams.values().cloned().collect::<Array>())
    });
    m.set_getter_fn("venues", |l: &mut RLeague| {
        Ok(l.0.venues.values().cloned().collect::<Array>())
    });
    m.set_native_fn("reference", |l: &mut RLeague, key: ImmutableString| {
        Ok(get_or_unit(&l.0.reference, &key))
    });
    m.set_native_fn(
        "blackout",
        |l: &mut RLeague, venue: ImmutableString, date: ImmutableString| {
            let date = date_arg(&date)?;
            Ok(l.0
                .league
                .venue(&venue)
                .and_then(|v| v.blackouts.iter().find(|b| b.covers(date)))
                .map_or(Dynamic::UNIT, blackout_map))
        },
    );
}
