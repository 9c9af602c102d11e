//! One rule, four ways: the minimum-rest-days rule as a Rhai script, as a
//! WebAssembly component (an instance reused per worker, and a fresh
//! instance per call), as native Rust, and as a Rego policy evaluated by
//! regorus (what an OPA user would reach for). Each evaluates the games of
//! the example season in turn.
//!
//! Run: `cargo bench -p umpire --bench plugin_hosts`

use std::path::{Path, PathBuf};
use std::sync::Arc;

use divan::Bencher;
use umpire::{
    League, Registry, Schedule, Severity, Violation, manifests::Isolation, manifests::Manifest,
    runtime::RhaiLimits, runtime::Runtime,
};

fn main() {
    divan::main();
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn league_and_schedule() -> (Arc<League>, Arc<Schedule>) {
    let league = League::load(&root().join("examples/leagues/pacific-atlantic")).unwrap();
    let schedule = Schedule::load(league.schedule_file.as_ref().unwrap(), &league).unwrap();
    (Arc::new(league), Arc::new(schedule))
}

/// Through the runtime: Rhai, or WebAssembly with either isolation mode.
#[divan::bench(args = ["rhai", "wasm-reuse", "wasm-fresh"])]
fn min_rest_days(bencher: Bencher<'_, '_>, host: &str) {
    let (league, schedule) = league_and_schedule();
    let manifest = match host {
        "rhai" => Manifest::load(&root().join("plugins/rhai/min_rest_days.toml")).unwrap(),
        _ => {
            let dir = root().join("plugins/wasm/min-rest-days");
            // Builds the component if it is missing or out of date.
            Registry::load(std::slice::from_ref(&dir)).unwrap();
            let mut m = Manifest::load(&dir.join("min_rest_days.toml")).unwrap();
            m.wasm.as_mut().unwrap().isolation = if host == "wasm-fresh" {
                Isolation::Fresh
            } else {
                Isolation::Reuse
            };
            m
        }
    };
    let registry = Registry::from_manifests(vec![manifest], &RhaiLimits::default()).unwrap();
    let constraint = &registry.constraints()[0];
    let runtime = Runtime::new(league, &RhaiLimits::default());
    let games = schedule.games();
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % games.len();
        runtime.evaluate(constraint, &schedule, Some(&games[i]))
    });
}

/// The same rule compiled into the host: the floor for any plugin.
#[divan::bench]
fn min_rest_days_native(bencher: Bencher<'_, '_>) {
    let (_, schedule) = league_and_schedule();
    let manifest = Manifest::load(&root().join("plugins/rhai/min_rest_days.toml")).unwrap();
    let games = schedule.games();
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % games.len();
        native_min_rest_days(&schedule, &games[i], &manifest.params)
    });
}

fn native_min_rest_days(
    schedule: &Schedule,
    game: &umpire::Game,
    params: &serde_json::Map<String, serde_json::Value>,
) -> Vec<Violation> {
    let min = params["min_days"].as_i64().unwrap_or(2);
    let mut found = Vec::new();
    for team in [&game.home, &game.away] {
        let Some(prev) = schedule.previous_game(team, game) else {
            continue;
        };
        let gap = game
            .start
            .date()
            .duration_since(prev.start.date())
            .as_hours()
            / 24;
        if gap < min {
            let mut v = Violation::new(
                Severity::Major,
                format!(
                    "{team} plays {} {gap} day(s) after {}; needs {min}",
                    game.id, prev.id
                ),
            );
            v.penalty = (min - gap) as f64;
            found.push(v);
        }
    }
    found
}

/// The rule in Rego, as an OPA user would write it: the schedule as data
/// (each team's games with their venue-local day), the game as input.
const REGO: &str = r#"
package umpire.rest

import rego.v1

previous_day(team) := max(days) if {
	days := [g.day | some g in data.schedule[team]; g.start < input.game.start]
	count(days) > 0
}

violations contains v if {
	some team in [input.game.home, input.game.away]
	gap := input.game.day - previous_day(team)
	gap < data.params.min_days
	v := {
		"team": team,
		"message": sprintf("%s plays %s %d day(s) after its previous game; needs %d", [team, input.game.id, gap, data.params.min_days]),
		"penalty": data.params.min_days - gap,
	}
}
"#;

#[divan::bench]
fn min_rest_days_rego(bencher: Bencher<'_, '_>) {
    let (league, schedule) = league_and_schedule();
    let epoch = jiff::civil::date(1970, 1, 1);
    let day = |g: &umpire::Game| g.start.date().duration_since(epoch).as_hours() / 24;
    let mut by_team = serde_json::Map::new();
    for team in &league.teams {
        let games: Vec<serde_json::Value> = schedule
            .games_of(&team.id)
            .map(|g| serde_json::json!({ "start": g.start.timestamp().as_second(), "day": day(g) }))
            .collect();
        by_team.insert(team.id.to_string(), games.into());
    }
    let data = serde_json::json!({ "schedule": by_team, "params": { "min_days": 2 } });
    let mut engine = regorus::Engine::new();
    engine
        .add_policy("min_rest_days.rego".into(), REGO.into())
        .unwrap();
    engine
        .add_data(regorus::Value::from_json_str(&data.to_string()).unwrap())
        .unwrap();
    let inputs: Vec<regorus::Value> = schedule
        .games()
        .iter()
        .map(|g| {
            let input = serde_json::json!({ "game": {
                "id": &*g.id, "home": &*g.home, "away": &*g.away,
                "start": g.start.timestamp().as_second(), "day": day(g),
            }});
            regorus::Value::from_json_str(&input.to_string()).unwrap()
        })
        .collect();
    // The planted short rest (R14-PHX-SLC) is found, as by the other hosts.
    let phx = schedule.position("R14-PHX-SLC").unwrap();
    engine.set_input(inputs[phx].clone());
    let found = engine
        .eval_rule("data.umpire.rest.violations".into())
        .unwrap();
    assert_eq!(found.as_set().unwrap().len(), 1, "{found}");
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % inputs.len();
        engine.set_input(inputs[i].clone());
        engine
            .eval_rule("data.umpire.rest.violations".into())
            .unwrap()
    });
}
