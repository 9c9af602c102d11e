//! Any text as a `league.toml`: it is read or refused with an error naming
//! the file, never panics, and what is read is consistent: ids unique and
//! found by their lookups, every team's venue one of the league's, every
//! blackout and TV window a forward range, the directory the file's.

#![no_main]

use std::path::Path;

use libfuzzer_sys::fuzz_target;
use umpire_model::League;

const FILE: &str = "leagues/fuzz/league.toml";

fuzz_target!(|text: &str| {
    let league = match League::from_toml_str(Path::new(FILE), text) {
        Ok(league) => league,
        Err(e) => {
            assert!(e.to_string().starts_with(FILE), "{e}");
            return;
        }
    };
    for team in &league.teams {
        let found = league.team(&team.id).expect("a team is found by its id");
        assert!(std::ptr::eq(found, team), "team id `{}` twice", team.id);
        assert!(
            league.venue(&team.venue).is_some(),
            "team `{}` plays at unknown venue `{}`",
            team.id,
            team.venue
        );
    }
    for venue in &league.venues {
        let found = league.venue(&venue.id).expect("a venue is found by its id");
        assert!(std::ptr::eq(found, venue), "venue id `{}` twice", venue.id);
        assert!(venue.blackouts.iter().all(|b| b.from <= b.to));
    }
    for tv in &league.tv_windows {
        let found = league
            .tv_window(&tv.id)
            .expect("a window is found by its id");
        assert!(std::ptr::eq(found, tv), "window id `{}` twice", tv.id);
        assert!(tv.start < tv.end);
    }
    assert!(league.default_game_minutes > 0);
    assert_eq!(league.dir, Path::new("leagues/fuzz"));
});
