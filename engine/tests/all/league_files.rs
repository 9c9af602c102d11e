//! `league.toml` and schedule files: parsed strictly, every error naming the
//! file and the field or position; defaults and time forms resolved as
//! docs/leagues-and-schedules.md says.

use std::path::Path;

use umpire::{Error, League, Schedule, model::GameSpec, model::ScheduleSpec};

use crate::support::{MINI_LEAGUE, TempTree, TestResult, mini_league};

fn league_error(text: &str) -> String {
    League::from_toml_str(Path::new("leagues/mini/league.toml"), text)
        .expect_err("the league should be refused")
        .to_string()
}

/// Writes a schedule file into a temp dir and loads it against the mini league.
fn schedule_error(name: &str, text: &str) -> (String, Error) {
    let t = TempTree::new();
    let path = t.write(name, text);
    let err =
        Schedule::load(&path, &mini_league(t.path())).expect_err("the schedule should be refused");
    (path.display().to_string(), err)
}

fn spec(id: &str, home: &str, away: &str, start: &str) -> GameSpec {
    GameSpec {
        id: id.into(),
        round: None,
        home: home.into(),
        away: away.into(),
        venue: None,
        start: start.into(),
        end: None,
        tv: None,
        tags: vec![],
    }
}

fn from_specs(games: Vec<GameSpec>) -> Result<Schedule, Error> {
    let league = mini_league(Path::new("leagues/mini"));
    Schedule::from_spec(
        Path::new("leagues/mini/schedule.json"),
        ScheduleSpec { games },
        &league,
    )
}

#[test]
fn the_mini_league_loads_with_resolved_paths_and_defaults() {
    let league = League::from_toml_str(Path::new("leagues/mini/league.toml"), MINI_LEAGUE).unwrap();
    assert_eq!(league.teams.len(), 4);
    assert_eq!(league.venues.len(), 4);
    assert_eq!(
        league.schedule_file.as_deref(),
        Some(Path::new("leagues/mini/schedule.json"))
    );
    assert_eq!(
        league.plugin_dirs,
        vec![Path::new("leagues/mini/plugins").to_owned()]
    );
    assert_eq!(
        league.default_game_minutes,
        umpire::model::DEFAULT_GAME_MINUTES
    );
    assert_eq!(&*league.team("LAS").unwrap().venue, "palms");
    assert!(league.team("las").is_none(), "ids are case-sensitive");
    let hudson = league.venue("hudson").unwrap();
    assert_eq!(hudson.blackouts.len(), 1);
    assert!(hudson.blackouts[0].covers("2026-04-03".parse().unwrap()));
    assert!(!hudson.blackouts[0].covers("2026-04-04".parse().unwrap()));
}

#[test]
fn league_load_reads_league_toml_from_a_directory() -> TestResult {
    let t = TempTree::new();
    t.write("league.toml", MINI_LEAGUE);
    let league = League::load(t.path())?;
    assert_eq!(league.name, "Mini League");
    assert_eq!(league.dir, t.path());
    Ok(())
}

#[test]
fn misspelt_league_field_names_file_line_and_field() {
    // `timezon` in the first venue (hudson).
    let text = MINI_LEAGUE.replacen(
        "timezone = \"America/New_York\"",
        "timezon = \"America/New_York\"",
        1,
    );
    let line = text
        .lines()
        .position(|l| l.starts_with("timezon "))
        .unwrap()
        + 1;
    let msg = league_error(&text);
    assert!(msg.starts_with("leagues/mini/league.toml: "), "{msg}");
    assert!(msg.contains("timezon"), "{msg}");
    assert!(
        msg.contains(&format!("line {line}")),
        "expected line {line}: {msg}"
    );
}

#[test]
fn unknown_top_level_league_field_is_refused() {
    let msg = league_error(&format!("sesaon = \"2026\"\n{MINI_LEAGUE}"));
    assert!(msg.contains("sesaon") && msg.contains("line 1"), "{msg}");
}

#[test]
fn unknown_time_zone_names_the_venue_and_the_zone() {
    let text = MINI_LEAGUE.replace("America/Phoenix", "America/Phoenixx");
    let msg = league_error(&text);
    // At the value's line and column, as a compiler says where.
    let (line, text_line) = (text.lines().enumerate())
        .find(|(_, l)| l.contains("America/Phoenixx"))
        .expect("the zone's line");
    let column = text_line.find('"').expect("a quoted value") + 1;
    assert!(
        msg.starts_with(&format!(
            "leagues/mini/league.toml:{}:{column}: venues[3] (desert).timezone: ",
            line + 1
        )),
        "{msg}"
    );
    assert!(msg.contains("\"America/Phoenixx\""), "{msg}");
}

#[test]
fn unknown_tv_window_time_zone_names_the_window() {
    let msg = league_error(&MINI_LEAGUE.replacen(
        "timezone = \"America/Chicago\"\n\n[reference]",
        "timezone = \"Mars/Olympus\"\n\n[reference]",
        1,
    ));
    assert!(msg.contains("tv_windows[1] (weekend).timezone"), "{msg}");
    assert!(msg.contains("Mars/Olympus"), "{msg}");
}

#[test]
fn team_with_unknown_venue_names_the_team_and_suggests_the_close_one() {
    let msg = league_error(&MINI_LEAGUE.replace("venue = \"palms\"", "venue = \"plams\""));
    assert!(
        msg.contains("teams[1] (LAS).venue: unknown venue `plams`"),
        "{msg}"
    );
    assert!(msg.contains("did you mean `palms`?"), "{msg}");
}

#[test]
fn duplicate_team_and_venue_ids_are_refused() {
    let msg = league_error(&MINI_LEAGUE.replace("id = \"CHW\"", "id = \"NYR\""));
    assert!(
        msg.contains("teams[2] (NYR)") && msg.contains("declared twice"),
        "{msg}"
    );
    let msg = league_error(&MINI_LEAGUE.replace("id = \"desert\"", "id = \"palms\""));
    assert!(
        msg.contains("venues[3] (palms)") && msg.contains("declared twice"),
        "{msg}"
    );
}

#[test]
fn impossible_tv_windows_and_blackouts_are_refused() {
    let msg = league_error(&MINI_LEAGUE.replacen("end = \"23:00\"", "end = \"18:00\"", 1));
    assert!(msg.contains("tv_windows[0] (sat-prime).end"), "{msg}");
    let msg = league_error(
        &MINI_LEAGUE.replace("days = [\"sat\", \"sun\"]", "days = [\"sat\", \"funday\"]"),
    );
    assert!(
        msg.contains("tv_windows[1] (weekend).days[1]") && msg.contains("funday"),
        "{msg}"
    );
    let msg = league_error(&MINI_LEAGUE.replace("to = \"2026-04-03\"", "to = \"2026-03-03\""));
    assert!(msg.contains("venues[0] (hudson).blackouts[0]"), "{msg}");
    let msg = league_error(&MINI_LEAGUE.replace("from = \"2026-04-01\"", "from = \"April 1st\""));
    assert!(
        msg.contains("venues[0] (hudson).blackouts[0].from") && msg.contains("YYYY-MM-DD"),
        "{msg}"
    );
    let msg = league_error(&format!("default_game_minutes = 0\n{MINI_LEAGUE}"));
    assert!(msg.contains("default_game_minutes"), "{msg}");
}

#[test]
fn malformed_schedule_json_names_file_line_and_column() {
    let (path, err) = schedule_error(
        "schedule.json",
        "{\"games\": [\n  {\"id\": \"g1\",, \"home\": \"NYR\"}\n]}",
    );
    let msg = err.to_string();
    assert!(matches!(err, Error::Parse { .. }), "{err:?}");
    assert!(msg.starts_with(&format!("{path}: ")), "{msg}");
    assert!(msg.contains("line 2 column 15"), "{msg}");
}

#[test]
fn unknown_game_field_names_the_field_path() {
    let (path, err) = schedule_error(
        "schedule.json",
        r#"{"games": [{"id": "g1", "hme": "NYR", "away": "LAS", "start": "2026-03-07T19:00"}]}"#,
    );
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("{path}: ")), "{msg}");
    assert!(msg.contains("games[0]"), "{msg}");
    assert!(msg.contains("unknown field `hme`"), "{msg}");
    assert!(msg.contains("line 1 column"), "{msg}");
}

#[test]
fn wrong_type_in_a_game_names_the_field_path() {
    let (_, err) = schedule_error(
        "schedule.json",
        r#"{"games": [{"id": "g1", "home": "NYR", "away": "LAS", "start": "2026-03-07T19:00", "round": "one"}]}"#,
    );
    let msg = err.to_string();
    assert!(msg.contains("games[0].round"), "{msg}");
}

#[test]
fn unknown_field_in_a_toml_schedule_is_refused_too() {
    let (path, err) = schedule_error(
        "schedule.toml",
        "[[games]]\nid = \"g1\"\nhome = \"NYR\"\naway = \"LAS\"\nstart = \"2026-03-07T19:00\"\nvenu = \"palms\"\n",
    );
    let msg = err.to_string();
    assert!(msg.starts_with(&format!("{path}: ")), "{msg}");
    assert!(msg.contains("venu") && msg.contains("line 6"), "{msg}");
}

#[test]
fn a_toml_schedule_loads_like_a_json_one() -> TestResult {
    let t = TempTree::new();
    let path = t.write(
        "schedule.toml",
        "[[games]]\nid = \"g1\"\nhome = \"NYR\"\naway = \"LAS\"\nstart = \"2026-03-07T19:00\"\ntags = [\"rivalry\"]\n",
    );
    let schedule = Schedule::load(&path, &mini_league(t.path()))?;
    assert_eq!(schedule.len(), 1);
    let g = schedule.game("g1").ok_or("g1")?;
    assert_eq!(&*g.venue, "hudson");
    assert_eq!(g.tags.len(), 1);
    Ok(())
}

#[test]
fn game_naming_an_unknown_team_or_venue_is_refused_with_its_index_and_id() {
    let err = from_specs(vec![
        spec("ok", "NYR", "LAS", "2026-03-07T19:00"),
        spec("bad", "NYX", "LAS", "2026-03-14T19:00"),
    ])
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with("leagues/mini/schedule.json: games[1] (bad).home: unknown team `NYX`"),
        "{err}"
    );
    assert!(err.contains("did you mean `NYR`?"), "{err}");

    let err = from_specs(vec![GameSpec {
        venue: Some("moon".into()),
        ..spec("g", "NYR", "LAS", "2026-03-07T19:00")
    }])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("games[0] (g).venue: unknown venue `moon`"),
        "{err}"
    );

    let err = from_specs(vec![GameSpec {
        tv: Some("late-show".into()),
        ..spec("g", "NYR", "LAS", "2026-03-07T19:00")
    }])
    .unwrap_err()
    .to_string();
    assert!(
        err.contains("games[0] (g).tv: unknown TV window `late-show`"),
        "{err}"
    );
}

#[test]
fn a_team_cannot_play_itself() {
    let err = from_specs(vec![spec("g", "NYR", "NYR", "2026-03-07T19:00")])
        .unwrap_err()
        .to_string();
    assert!(err.contains("games[0] (g).away"), "{err}");
}

#[test]
fn duplicate_game_ids_name_the_second_occurrence() {
    let err = from_specs(vec![
        spec("g", "NYR", "LAS", "2026-03-07T19:00"),
        spec("h", "CHW", "PHX", "2026-03-07T19:00"),
        spec("g", "LAS", "NYR", "2026-03-14T19:00"),
    ])
    .unwrap_err()
    .to_string();
    assert!(err.contains("games[2] (g)"), "{err}");
    assert!(err.contains("`g` is used twice"), "{err}");
}

#[test]
fn end_before_or_at_start_is_refused() {
    for end in ["2026-03-07T18:00", "2026-03-07T19:00"] {
        let err = from_specs(vec![GameSpec {
            end: Some(end.into()),
            ..spec("g", "NYR", "LAS", "2026-03-07T19:00")
        }])
        .unwrap_err()
        .to_string();
        assert!(err.contains("games[0] (g).end: "), "{err}");
        assert!(err.contains("not after start"), "{err}");
    }
}

#[test]
fn unparseable_start_names_the_field_and_the_accepted_forms() {
    let err = from_specs(vec![spec("g", "NYR", "LAS", "7 March, 7pm")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("games[0] (g).start: \"7 March, 7pm\""),
        "{err}"
    );
    assert!(err.contains("2026-03-14T19:30"), "{err}");
}

#[test]
fn venue_local_offset_and_zoned_starts_name_the_same_instant() -> TestResult {
    // 19:00 in New York on 2026-03-07 is EST (UTC-5): 00:00Z on the 8th.
    let schedule = from_specs(vec![
        spec("local", "NYR", "LAS", "2026-03-07T19:00"),
        spec("offset", "NYR", "LAS", "2026-03-07T16:00-08:00"),
        spec("utc", "NYR", "LAS", "2026-03-08T00:00Z"),
        spec("zoned", "NYR", "LAS", "2026-03-07T18:00[America/Chicago]"),
    ])?;
    let instant = |id: &str| schedule.game(id).unwrap().start.timestamp();
    for id in ["offset", "utc", "zoned"] {
        assert_eq!(instant(id), instant("local"), "{id}");
        // Shown in the venue's zone, whatever the input's zone was.
        let g = schedule.game(id).unwrap();
        assert_eq!(
            g.start.time_zone().iana_name(),
            Some("America/New_York"),
            "{id}"
        );
        assert_eq!(g.start.hour(), 19, "{id}");
    }
    assert_eq!(instant("local").to_string(), "2026-03-08T00:00:00Z");
    Ok(())
}

#[test]
fn venue_defaults_to_home_venue_and_end_to_default_game_minutes() -> TestResult {
    let league = League::from_toml_str(
        Path::new("l/league.toml"),
        &format!("default_game_minutes = 95\n{MINI_LEAGUE}"),
    )?;
    let schedule = Schedule::from_spec(
        Path::new("s.json"),
        ScheduleSpec {
            games: vec![
                spec("default", "LAS", "NYR", "2026-03-07T19:00"),
                GameSpec {
                    venue: Some("desert".into()),
                    end: Some("2026-03-14T22:15".into()),
                    ..spec("explicit", "LAS", "NYR", "2026-03-14T19:00")
                },
            ],
        },
        &league,
    )?;
    let d = schedule.game("default").ok_or("default")?;
    assert_eq!(&*d.venue, "palms");
    assert_eq!(
        d.end.timestamp().as_second() - d.start.timestamp().as_second(),
        95 * 60
    );
    let e = schedule.game("explicit").ok_or("explicit")?;
    assert_eq!(&*e.venue, "desert");
    assert_eq!(e.start.time_zone().iana_name(), Some("America/Phoenix"));
    assert_eq!((e.end.hour(), e.end.minute()), (22, 15));
    Ok(())
}

#[test]
fn a_schedule_file_that_does_not_exist_is_a_read_error_naming_it() {
    let t = TempTree::new();
    let missing = t.path().join("nope.json");
    let err = Schedule::load(&missing, &mini_league(t.path())).unwrap_err();
    assert!(matches!(err, Error::Read { .. }), "{err:?}");
    assert!(
        err.to_string().starts_with(&missing.display().to_string()),
        "{err}"
    );
}
