//! Any text as the body of `PATCH /v1/leagues/{name}/schedule` on the
//! example league and its schedule: it is read (serde, as the server reads
//! a body) or refused naming where, never panics; applied, it edits or says
//! which game it cannot find; and the edited spec is a schedule of the
//! league or an error naming the request, as the server answers 200, 404 or
//! 422. An applied edit removes and adds exactly the games it lists.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use umpire_model::error::from_json;
use umpire_model::{League, Schedule, SchedulePatch, ScheduleSpec};

fn example() -> &'static (League, ScheduleSpec) {
    static EXAMPLE: OnceLock<(League, ScheduleSpec)> = OnceLock::new();
    EXAMPLE.get_or_init(|| {
        let dir = Path::new("examples/leagues/pacific-atlantic");
        let text = include_str!("../../examples/leagues/pacific-atlantic/league.toml");
        let league = League::from_toml_str(&dir.join("league.toml"), text).expect("league");
        let text = include_str!("../../examples/leagues/pacific-atlantic/schedule.json");
        let spec = from_json(&dir.join("schedule.json"), text).expect("schedule");
        (league, spec)
    })
}

/// How many entries the body's list `key` has.
fn count(body: &Value, key: &str) -> usize {
    body.get(key).and_then(Value::as_array).map_or(0, Vec::len)
}

fuzz_target!(|text: &str| {
    let (league, spec) = example();
    let patch: SchedulePatch = match from_json(Path::new("request"), text) {
        Ok(patch) => patch,
        Err(e) => {
            assert!(e.to_string().starts_with("request: "), "{e}");
            return;
        }
    };
    let body: Value = serde_json::from_str(text).expect("a patch is JSON");
    let mut edited = spec.clone();
    if let Err(e) = patch.apply(&mut edited) {
        assert!(
            e.starts_with("remove: no game `") || e.starts_with("edit: no game `"),
            "{e}"
        );
        return;
    }
    assert_eq!(
        edited.games.len() + count(&body, "remove"),
        spec.games.len() + count(&body, "add")
    );
    match Schedule::from_spec(Path::new("request"), edited.clone(), league) {
        Ok(schedule) => {
            assert_eq!(schedule.len(), edited.games.len());
            assert!(edited.games.iter().all(|g| schedule.game(&g.id).is_some()));
        }
        Err(e) => assert!(e.to_string().starts_with("request: "), "{e}"),
    }
});
