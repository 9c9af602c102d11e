//! A game as scripts see it: its fields, each noted as read (`saw`) so the
//! verdict cache fingerprints the games a call read over those alone.

use rhai::{Array, Dynamic, ImmutableString, Module};

use super::{RGame, RTime, string};
use crate::model::reads::Fields;
use crate::runtime::call::saw;

pub(super) fn register(m: &mut Module) {
    // Game. Each getter, and each function that shows a script something
    // of a game, notes the fields it shows (`saw`): the verdict cache
    // fingerprints the games a call read over those alone.
    m.set_getter_fn("id", |g: &mut RGame| {
        saw(Fields::ID);
        Ok(ImmutableString::from(&*g.0.id))
    });
    m.set_getter_fn("home", |g: &mut RGame| {
        saw(Fields::HOME);
        Ok(ImmutableString::from(&*g.0.home))
    });
    m.set_getter_fn("away", |g: &mut RGame| {
        saw(Fields::AWAY);
        Ok(ImmutableString::from(&*g.0.away))
    });
    m.set_getter_fn("venue", |g: &mut RGame| {
        saw(Fields::VENUE);
        Ok(ImmutableString::from(&*g.0.venue))
    });
    m.set_getter_fn("round", |g: &mut RGame| {
        saw(Fields::ROUND);
        Ok(g.0
            .round
            .map_or(Dynamic::UNIT, |r| Dynamic::from(i64::from(r))))
    });
    m.set_getter_fn("start", |g: &mut RGame| {
        saw(Fields::START);
        Ok(RTime(g.0.start.clone()))
    });
    m.set_getter_fn("end", |g: &mut RGame| {
        saw(Fields::END);
        Ok(RTime(g.0.end.clone()))
    });
    m.set_getter_fn("date", |g: &mut RGame| {
        saw(Fields::START);
        Ok(ImmutableString::from(g.0.date().to_string()))
    });
    m.set_getter_fn("tv", |g: &mut RGame| {
        saw(Fields::TV);
        Ok(g.0.tv.as_deref().map_or(Dynamic::UNIT, string))
    });
    m.set_getter_fn("tags", |g: &mut RGame| {
        saw(Fields::TAGS);
        Ok(g.0.tags.iter().map(|t| string(t)).collect::<Array>())
    });
    m.set_native_fn("==", |a: &mut RGame, b: RGame| {
        saw(Fields::ID);
        Ok(a.0.id == b.0.id)
    });
    m.set_native_fn("!=", |a: &mut RGame, b: RGame| {
        saw(Fields::ID);
        Ok(a.0.id != b.0.id)
    });
    m.set_native_fn("to_string", |g: &mut RGame| {
        saw(Fields::ID);
        Ok(ImmutableString::from(&*g.0.id))
    });
    m.set_native_fn("to_debug", |g: &mut RGame| {
        saw(Fields::ID
            .with(Fields::HOME)
            .with(Fields::AWAY)
            .with(Fields::VENUE)
            .with(Fields::START));
        Ok(ImmutableString::from(format!(
            "Game({} {} vs {} at {} {})",
            g.0.id, g.0.home, g.0.away, g.0.venue, g.0.start
        )))
    });
}
