//! Any text as the body of `PATCH /v1/leagues/{name}/schedule` on the
//! example league and its schedule: it is read (serde, as the server reads
//! a body) or refused naming where, never panics; applied, it edits or says
//! which game it cannot find; and the edited spec is a schedule of the
//! league or an error naming the request, as the server answers 200, 404 or
//! 422. An applied edit removes and adds exactly the games it lists.
//!
//! The same edit applied to the schedule itself (`apply_to`, the server's
//! and the moves' path): a schedule of the league that keeps every game it
//! does not name as it was, or an error naming where in the edit.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use serde_json::Value;
use umpire_model::error::from_json;
use umpire_model::{League, PatchError, Schedule, SchedulePatch, ScheduleSpec};

fn example() -> &'static (League, ScheduleSpec, Schedule) {
    static EXAMPLE: OnceLock<(League, ScheduleSpec, Schedule)> = OnceLock::new();
    EXAMPLE.get_or_init(|| {
        let dir = Path::new("examples/leagues/pacific-atlantic");
        let text = include_str!("../../examples/leagues/pacific-atlantic/league.toml");
        let league = League::from_toml_str(&dir.join("league.toml"), text).expect("league");
        let text = include_str!("../../examples/leagues/pacific-atlantic/schedule.json");
        let spec: ScheduleSpec = from_json(&dir.join("schedule.json"), text).expect("schedule");
        let schedule = Schedule::from_spec(&dir.join("schedule.json"), spec.clone(), &league)
            .expect("the example schedule");
        (league, spec, schedule)
    })
}

/// How many entries the body's list `key` has.
fn count(body: &Value, key: &str) -> usize {
    body.get(key).and_then(Value::as_array).map_or(0, Vec::len)
}

fuzz_target!(|text: &str| {
    let (league, spec, schedule) = example();
    let patch: SchedulePatch = match from_json(Path::new("request"), text) {
        Ok(patch) => patch,
        Err(e) => {
            assert!(e.to_string().starts_with("request: "), "{e}");
            return;
        }
    };
    let body: Value = serde_json::from_str(text).expect("a patch is JSON");
    match patch.apply_to(schedule, league, Path::new("request")) {
        Ok(edited) => {
            assert_eq!(
                edited.len() + count(&body, "remove"),
                schedule.len() + count(&body, "add")
            );
            let named: Vec<&str> = patch.game_ids().collect();
            for g in schedule.games() {
                if !named.contains(&&*g.id) {
                    let kept = edited.game(&g.id).expect("an unnamed game stays");
                    assert!(std::sync::Arc::ptr_eq(kept, g), "{} was rebuilt", g.id);
                }
            }
        }
        Err(PatchError::Request { at, .. }) => assert!(
            ["remove[", "edit[", "add["]
                .iter()
                .any(|p| at.starts_with(p)),
            "{at}"
        ),
        Err(PatchError::Invalid(e)) => assert!(e.to_string().starts_with("request: "), "{e}"),
    }
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
