//! Any text as a schedule file of the example league (pacific-atlantic):
//! JSON when it opens with `{`, TOML otherwise (a TOML document cannot), as
//! `Schedule::load` reads a `.json` or `.toml` file. It is read or refused
//! with an error naming the file, never panics, and what is read is
//! consistent: every game found by its id, of known teams at a known venue,
//! ending after it starts, in its teams' lists; and the file's games
//! written back as JSON read the same.

#![no_main]

use std::path::Path;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use umpire_model::error::{from_json, from_toml};
use umpire_model::{League, Schedule, ScheduleSpec};

fn league() -> &'static League {
    static LEAGUE: OnceLock<League> = OnceLock::new();
    LEAGUE.get_or_init(|| {
        let text = include_str!("../../examples/leagues/pacific-atlantic/league.toml");
        let file = Path::new("examples/leagues/pacific-atlantic/league.toml");
        League::from_toml_str(file, text).expect("the example league reads")
    })
}

fuzz_target!(|text: &str| {
    let league = league();
    let (file, spec) = if text.trim_start().starts_with('{') {
        (
            "fuzz/schedule.json",
            from_json::<ScheduleSpec>(Path::new("fuzz/schedule.json"), text),
        )
    } else {
        (
            "fuzz/schedule.toml",
            from_toml::<ScheduleSpec>(Path::new("fuzz/schedule.toml"), text),
        )
    };
    let spec = match spec {
        Ok(spec) => spec,
        Err(e) => {
            assert!(e.to_string().starts_with(file), "{e}");
            return;
        }
    };
    let json = serde_json::to_string(&spec).expect("a spec writes as JSON");
    let again: ScheduleSpec = from_json(Path::new("again.json"), &json).expect("and reads back");
    assert_eq!(again, spec);
    let schedule = match Schedule::from_spec(Path::new(file), spec, league) {
        Ok(schedule) => schedule,
        Err(e) => {
            assert!(e.to_string().starts_with(file), "{e}");
            return;
        }
    };
    let mut appearances = 0;
    for game in schedule.games() {
        let found = schedule.game(&game.id).expect("a game is found by its id");
        assert!(
            std::sync::Arc::ptr_eq(found, game),
            "game id `{}` twice",
            game.id
        );
        assert!(league.team(&game.home).is_some() && league.team(&game.away).is_some());
        assert_ne!(game.home, game.away);
        assert!(league.venue(&game.venue).is_some());
        assert!(
            game.end > game.start,
            "game `{}` ends before it starts",
            game.id
        );
        assert!(
            schedule
                .games_of(&game.home)
                .any(|g| std::sync::Arc::ptr_eq(g, game))
        );
        appearances += 2;
    }
    let listed: usize = league
        .teams
        .iter()
        .map(|t| schedule.games_of(&t.id).len())
        .sum();
    assert_eq!(listed, appearances);
});
