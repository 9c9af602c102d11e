//! The query API as one Rhai module, built once and shared by every
//! engine: a file per type it exposes (`game.rs`, `time.rs`, `schedule.rs`,
//! `league.rs`, `verdict.rs`), the data sources and the helpers they share
//! here.

mod game;
mod league;
mod schedule;
mod time;
mod verdict;

use std::sync::{Arc, OnceLock};

use rhai::{Array, Dynamic, EvalAltResult, ImmutableString, Map, Module, Position, Shared};

use super::types::{RGame, RLeague, RSchedule, RTime, RVerdict, RViolation};
use crate::model::Game;

type Res<T> = std::result::Result<T, Box<EvalAltResult>>;

fn runtime_error(message: impl Into<String>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(message.into()),
        Position::NONE,
    ))
}

fn string(s: &str) -> Dynamic {
    Dynamic::from(ImmutableString::from(s))
}

fn opt_game(g: Option<&Arc<Game>>) -> Dynamic {
    g.map_or(Dynamic::UNIT, |g| Dynamic::from(RGame(g.clone())))
}

fn games<'a>(it: impl Iterator<Item = &'a Arc<Game>>) -> Array {
    it.map(|g| Dynamic::from(RGame(g.clone()))).collect()
}

fn date_arg(s: &str) -> Res<jiff::civil::Date> {
    s.parse()
        .map_err(|_| runtime_error(format!("\"{s}\" is not a date; expected YYYY-MM-DD")))
}

fn get_or_unit(map: &Map, key: &str) -> Dynamic {
    map.get(key).cloned().unwrap_or(Dynamic::UNIT)
}

/// The query API as one module, built once and shared by every engine.
pub(super) fn query_package() -> Shared<Module> {
    static PACKAGE: OnceLock<Shared<Module>> = OnceLock::new();
    PACKAGE.get_or_init(|| build_query_module().into()).clone()
}

fn build_query_module() -> Module {
    let mut m = Module::new();
    m.set_custom_type::<RGame>("Game");
    m.set_custom_type::<RTime>("Time");
    m.set_custom_type::<RSchedule>("Schedule");
    m.set_custom_type::<RLeague>("League");
    m.set_custom_type::<RViolation>("Violation");
    m.set_custom_type::<RVerdict>("Verdict");

    // Data sources: the answer, parsed; a failure throws (and the
    // constraint's fallback answers for it).
    m.set_native_fn("data", |source: &str, query: Map| {
        let query: Vec<(String, String)> = query
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let body = crate::runtime::call::fetch(source, &query).map_err(runtime_error)?;
        let value: serde_json::Value = serde_json::from_str(&body)
            .map_err(|e| runtime_error(format!("data source `{source}`: {e}")))?;
        rhai::serde::to_dynamic(value)
    });

    game::register(&mut m);
    time::register(&mut m);
    schedule::register(&mut m);
    league::register(&mut m);
    verdict::register(&mut m);
    m
}
