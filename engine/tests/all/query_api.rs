//! The query API scripts see, checked against a hand-made league and
//! schedule whose answers are worked out below. Each probe is a rule that
//! returns a violation carrying the computed value as its message.
//!
//! The schedule (file order differs from start order on purpose; Z = UTC):
//!
//! | game | home v away | venue     | local start          | UTC start     |
//! |------|-------------|-----------|----------------------|---------------|
//! | g4   | NYR v PHX   | hudson    | Sat 03-21 13:00 EDT  | 03-21 17:00Z  |
//! | g2   | LAS v NYR   | palms     | Sun 03-08 16:00 PDT  | 03-08 23:00Z  |
//! | g1   | NYR v LAS   | hudson    | Sat 03-07 19:00 EST  | 03-08 00:00Z  |
//! | g3   | CHW v NYR   | lakefront | Sat 03-14 19:00 CDT  | 03-15 00:00Z  |
//! | g5   | PHX v CHW   | desert    | Sat 03-07 19:00 MST  | 03-08 02:00Z  |
//! | g6   | LAS v CHW   | palms     | Sat 03-14 22:30 PDT  | 03-15 05:30Z  |
//! | g7   | LAS v PHX   | palms     | Sat 03-14 13:00 PDT  | 03-14 20:00Z  |
//! | g8   | CHW v PHX   | hudson    | Sun 03-08 19:00 EDT  | 03-08 23:00Z  |
//! | g9   | PHX v LAS   | desert    | Sat 03-21 19:00 MST  | 03-22 02:00Z  |
//!
//! US daylight saving time starts on 2026-03-08; Phoenix keeps MST; London
//! stays on GMT until 03-29.

use std::collections::BTreeMap;
use std::sync::Arc;

use umpire::{Evaluator, League, Registry, Schedule, Status};

use crate::support::{TempTree, mini_league};

const SCHEDULE: &str = r#"{"games": [
  {"id": "g4", "round": 3, "home": "NYR", "away": "PHX", "start": "2026-03-21T13:00", "tv": "weekend", "tags": ["derby", "sunny"]},
  {"id": "g2", "round": 1, "home": "LAS", "away": "NYR", "start": "2026-03-08T16:00"},
  {"id": "g1", "round": 1, "home": "NYR", "away": "LAS", "start": "2026-03-07T19:00", "tv": "sat-prime", "tags": ["rivalry"]},
  {"id": "g3", "round": 2, "home": "CHW", "away": "NYR", "start": "2026-03-14T19:00"},
  {"id": "g5", "home": "PHX", "away": "CHW", "start": "2026-03-07T19:00"},
  {"id": "g6", "round": 2, "home": "LAS", "away": "CHW", "start": "2026-03-14T22:30"},
  {"id": "g7", "round": 2, "home": "LAS", "away": "PHX", "start": "2026-03-14T13:00"},
  {"id": "g8", "round": 1, "home": "CHW", "away": "PHX", "venue": "hudson", "start": "2026-03-08T19:00", "end": "2026-03-08T21:45"},
  {"id": "g9", "round": 3, "home": "PHX", "away": "LAS", "start": "2026-03-21T19:00"}
]}"#;

/// Helpers every probe can call; functions cannot see the caller's
/// variables, so the schedule is passed in.
const PRELUDE: &str = r#"
fn by_id(s, id) { s.games.filter(|x| x.id == id)[0] }
fn ids(list) { list.map(|x| x.id).join(",") }
fn id_or_dash(g) { if g == () { "-" } else { g.id } }
fn or_dash(x) { if x == () { "-" } else { x } }
"#;

struct Probe {
    tree: TempTree,
    league: Arc<League>,
    schedule: Arc<Schedule>,
}

impl Probe {
    fn new() -> Self {
        let tree = TempTree::new();
        let league = mini_league(tree.path());
        let path = tree.write("schedule.json", SCHEDULE);
        let schedule = Schedule::load(&path, &league).expect("the query schedule is valid");
        Self {
            tree,
            league: Arc::new(league),
            schedule: Arc::new(schedule),
        }
    }

    /// Runs `body` (whose last expression is the answer) as a rule of
    /// `scope`; returns each call's message, keyed by game id (or
    /// "schedule"), or the error message when the call failed.
    fn run(&self, scope: &str, body: &str) -> BTreeMap<String, Result<String, String>> {
        let dir = tempfile::tempdir_in(self.tree.path()).expect("a plugin dir");
        let script = format!(
            "{PRELUDE}\nlet answer = {{\n{body}\n}};\nviolation(\"minor\", `${{answer}}`)\n"
        );
        std::fs::write(dir.path().join("probe.rhai"), script).unwrap();
        std::fs::write(
            dir.path().join("probe.toml"),
            crate::support::manifest(
                "probe",
                "probe.rhai",
                scope,
                "soft",
                "timeout_ms = 5000\n[params]\nn = 3\nname = \"three\"\nlist = [10, 20]\nnested = { deep = true }",
            ),
        )
        .unwrap();
        let registry = Registry::load(&[dir.path().to_owned()])
            .unwrap_or_else(|e| panic!("probe does not compile: {e}\n{body}"));
        let evaluator = Evaluator::new(self.league.clone(), Arc::new(registry));
        let report = evaluator.evaluate(&self.schedule);
        let answer = |v: &umpire::Verdict| match v.status {
            Status::Violated => Ok(v.violations[0].message.clone()),
            _ => Err(v.message.clone().unwrap_or_default()),
        };
        let mut out = BTreeMap::new();
        for v in &report.schedule.verdicts {
            out.insert("schedule".to_owned(), answer(v));
        }
        for g in &report.games {
            if let Some(v) = g.verdicts.first() {
                out.insert(g.game.to_string(), answer(v));
            }
        }
        out
    }

    /// The answer of a schedule-scoped probe.
    fn value(&self, body: &str) -> String {
        match self
            .run("schedule", body)
            .remove("schedule")
            .expect("a schedule verdict")
        {
            Ok(v) => v,
            Err(e) => panic!("probe failed: {e}\n{body}"),
        }
    }

    /// The error of a schedule-scoped probe that must fail.
    fn error(&self, body: &str) -> String {
        match self
            .run("schedule", body)
            .remove("schedule")
            .expect("a schedule verdict")
        {
            Ok(v) => panic!("probe should fail but answered {v:?}\n{body}"),
            Err(e) => e,
        }
    }

    /// Asserts each `(body, expected)` pair.
    fn check(&self, cases: &[(&str, &str)]) {
        let mut failures = Vec::new();
        for (body, expected) in cases {
            let got = self.value(body);
            if got != *expected {
                failures.push(format!("{body}\n    expected {expected:?}, got {got:?}"));
            }
        }
        assert!(
            failures.is_empty(),
            "{} probe(s) wrong:\n  {}",
            failures.len(),
            failures.join("\n  ")
        );
    }
}

#[test]
fn games_of_lists_a_teams_games_by_start_time_not_file_order() {
    Probe::new().check(&[
        (r#"ids(schedule.games_of("NYR"))"#, "g1,g2,g3,g4"),
        (r#"ids(schedule.games_of("LAS"))"#, "g1,g2,g7,g6,g9"),
        (r#"ids(schedule.games_of("CHW"))"#, "g5,g8,g3,g6"),
        (r#"ids(schedule.games_of("PHX"))"#, "g5,g8,g7,g4,g9"),
        (r#"schedule.games_of("BOS").len()"#, "0"),
        (r#"ids(schedule.games)"#, "g4,g2,g1,g3,g5,g6,g7,g8,g9"),
        (r#"schedule.len"#, "9"),
    ]);
}

#[test]
fn games_of_between_is_half_open() {
    Probe::new().check(&[
        (
            r#"ids(schedule.games_of("NYR", by_id(schedule, "g2").start, by_id(schedule, "g4").start))"#,
            "g2,g3",
        ),
        (
            r#"ids(schedule.games_of("PHX", by_id(schedule, "g8").start, by_id(schedule, "g9").start))"#,
            "g8,g7,g4",
        ),
        // Empty and reversed ranges hold nothing.
        (
            r#"schedule.games_of("LAS", by_id(schedule, "g1").start, by_id(schedule, "g1").start).len()"#,
            "0",
        ),
        (
            r#"schedule.games_of("LAS", by_id(schedule, "g9").start, by_id(schedule, "g1").start).len()"#,
            "0",
        ),
        // The bounds are instants: g2 (16:00 PDT) and g8 (19:00 EDT) start together.
        (
            r#"ids(schedule.games_of("PHX", by_id(schedule, "g2").start, by_id(schedule, "g7").start))"#,
            "g8",
        ),
    ]);
}

#[test]
fn previous_and_next_game_follow_each_teams_calendar_with_unit_at_the_ends() {
    let answers = Probe::new().run(
        "game",
        r#"let h = game.home; let a = game.away;
           `${id_or_dash(schedule.previous_game(h, game))} ${id_or_dash(schedule.next_game(h, game))} | ${id_or_dash(schedule.previous_game(a, game))} ${id_or_dash(schedule.next_game(a, game))}`"#,
    );
    let expected = [
        ("g1", "- g2 | - g2"),
        ("g2", "g1 g7 | g1 g3"),
        ("g3", "g8 g6 | g2 g4"),
        ("g4", "g3 - | g7 g9"),
        ("g5", "- g8 | - g8"),
        ("g6", "g7 g9 | g3 -"),
        ("g7", "g2 g6 | g8 g4"),
        ("g8", "g5 g3 | g5 g7"),
        ("g9", "g4 - | g6 -"),
    ];
    for (id, want) in expected {
        assert_eq!(answers[id].as_deref(), Ok(want), "game {id}");
    }
}

#[test]
fn previous_and_next_game_of_a_team_not_playing_are_around_that_time() {
    Probe::new().check(&[
        // g5 starts 02:00Z on 03-08: NYR played g1 at 00:00Z and plays g2 next.
        (
            r#"id_or_dash(schedule.previous_game("NYR", by_id(schedule, "g5")))"#,
            "g1",
        ),
        (
            r#"id_or_dash(schedule.next_game("NYR", by_id(schedule, "g5")))"#,
            "g2",
        ),
        (
            r#"id_or_dash(schedule.previous_game("NYR", by_id(schedule, "g9")))"#,
            "g4",
        ),
        (
            r#"id_or_dash(schedule.next_game("NYR", by_id(schedule, "g9")))"#,
            "-",
        ),
        (
            r#"id_or_dash(schedule.previous_game("BOS", by_id(schedule, "g1")))"#,
            "-",
        ),
    ]);
}

#[test]
fn rest_days_counts_calendar_days_since_each_teams_previous_game() {
    let answers = Probe::new().run(
        "game",
        r#"`${or_dash(schedule.rest_days(game.home, game))} ${or_dash(schedule.rest_days(game.away, game))}`"#,
    );
    // Each date in its own venue's zone, as days_between counts them.
    let expected = [
        ("g1", "- -"),
        ("g2", "1 1"),
        ("g3", "6 6"),
        ("g4", "7 7"),
        ("g5", "- -"),
        ("g6", "0 0"),
        ("g7", "6 6"),
        ("g8", "1 1"),
        ("g9", "0 7"),
    ];
    for (id, want) in expected {
        assert_eq!(answers[id].as_deref(), Ok(want), "game {id}");
    }
}

#[test]
fn games_at_uses_the_venues_local_date() {
    let probe = Probe::new();
    probe.check(&[
        // g6 kicks off 22:30 PDT on the 14th, already the 15th in UTC.
        (r#"ids(schedule.games_at("palms", "2026-03-14"))"#, "g7,g6"),
        (r#"schedule.games_at("palms", "2026-03-15").len()"#, "0"),
        (r#"ids(schedule.games_at("hudson", "2026-03-07"))"#, "g1"),
        (r#"ids(schedule.games_at("hudson", "2026-03-08"))"#, "g8"),
        (r#"schedule.games_at("nowhere", "2026-03-08").len()"#, "0"),
    ]);
    let err = probe.error(r#"schedule.games_at("palms", "14/03/2026")"#);
    assert!(
        err.contains("14/03/2026") && err.contains("YYYY-MM-DD"),
        "{err}"
    );
}

#[test]
fn game_fields_read_as_written_with_defaults_filled_in() {
    Probe::new().check(&[
        (
            r#"let g = by_id(schedule, "g1"); `${g.id} ${g.round} ${g.home} ${g.away} ${g.venue}`"#,
            "g1 1 NYR LAS hudson",
        ),
        (
            r#"let g = by_id(schedule, "g1"); `${g.tv} ${g.tags.join("+")} ${g.date}`"#,
            "sat-prime rivalry 2026-03-07",
        ),
        (r#"by_id(schedule, "g4").tags.join("+")"#, "derby+sunny"),
        (
            r#"let g = by_id(schedule, "g5"); `${g.round == ()} ${g.tv == ()} ${g.tags.len()}`"#,
            "true true 0",
        ),
        // The venue defaults to the home team's; an explicit one wins.
        (r#"by_id(schedule, "g9").venue"#, "desert"),
        (r#"by_id(schedule, "g8").venue"#, "hudson"),
        // The end defaults to start + 120 minutes, in the venue's zone.
        (
            r#"let g = by_id(schedule, "g1"); `${g.end.clock} ${g.end.timezone}`"#,
            "21:00 America/New_York",
        ),
        (r#"by_id(schedule, "g8").end.clock"#, "21:45"),
    ]);
}

#[test]
fn league_lookups_answer_unit_for_unknown_ids() {
    let probe = Probe::new();
    probe.check(&[
        (r#"league.name"#, "Mini League"),
        (r#"let t = league.team("NYR"); `${t.id} ${t.name} ${t.venue} ${t.division}`"#, "NYR New York Rovers hudson east"),
        (r#"league.team("CHW").division == ()"#, "true"),
        (r#"league.team("BOS") == ()"#, "true"),
        (r#"let v = league.venue("desert"); `${v.id} ${v.name} ${v.timezone} ${v.blackouts.len()}`"#, "desert Desert Dome America/Phoenix 0"),
        (r#"let b = league.venue("hudson").blackouts[0]; `${b.from}..${b.to} ${b.reason}`"#, "2026-04-01..2026-04-03 Circus"),
        (r#"league.venue("moon") == ()"#, "true"),
        (
            r#"let w = league.tv_window("weekend"); `${w.id} ${w.network} ${w.days.join(",")} ${w.start}-${w.end} ${w.timezone}`"#,
            "weekend Weekend Channel sat,sun 12:00-18:00 America/Chicago",
        ),
        (r#"league.tv_window("late-show") == ()"#, "true"),
        (r#"league.teams.len()"#, "4"),
        (r#"league.venues.len()"#, "4"),
    ]);
    let teams = probe.value(r#"league.teams.map(|t| t.id).join(",")"#);
    let mut teams: Vec<&str> = teams.split(',').collect();
    teams.sort_unstable();
    assert_eq!(teams, ["CHW", "LAS", "NYR", "PHX"]);
}

#[test]
fn league_reference_reads_the_reference_table() {
    Probe::new().check(&[
        (r#"league.reference("rivalries")[0][1]"#, "LAS"),
        (r#"league.reference("rivalries").len()"#, "1"),
        (r#"league.reference("founded").NYR"#, "1901"),
        (r#"league.reference("founded")["LAS"] + 1"#, "1951"),
        (r#"league.reference("nothing") == ()"#, "true"),
    ]);
}

#[test]
fn params_read_as_properties_and_by_index() {
    Probe::new().check(&[
        (r#"params.n * 2"#, "6"),
        (r#"params["n"] + 1"#, "4"),
        (r#"params.name"#, "three"),
        (r#"params["list"][1]"#, "20"),
        (r#"params.list.len()"#, "2"),
        (r#"params.nested.deep"#, "true"),
    ]);
}

#[test]
fn time_values_read_in_their_own_zone() {
    Probe::new().check(&[
        (
            r#"let t = by_id(schedule, "g1").start; `${t.date} ${t.clock} ${t.hour}:${t.minute} ${t.weekday} ${t.timezone}`"#,
            "2026-03-07 19:00 19:0 sat America/New_York",
        ),
        (r#"let t = by_id(schedule, "g6").start; `${t.date} ${t.clock} ${t.weekday}`"#, "2026-03-14 22:30 sat"),
        (r#"by_id(schedule, "g3").start.minute"#, "0"),
        (r#"by_id(schedule, "g6").start.minute"#, "30"),
    ]);
}

#[test]
fn in_tz_converts_the_same_instant_to_another_zone() {
    let probe = Probe::new();
    probe.check(&[
        // 19:00 EST on Saturday is midnight GMT, already Sunday.
        (
            r#"let t = by_id(schedule, "g1").start.in_tz("Europe/London"); `${t.date} ${t.clock} ${t.weekday} ${t.timezone}`"#,
            "2026-03-08 00:00 sun Europe/London",
        ),
        // 22:30 PDT on the 14th is 01:30 EDT on the 15th.
        (r#"let t = by_id(schedule, "g6").start.in_tz("America/New_York"); `${t.date} ${t.clock} ${t.weekday}`"#, "2026-03-15 01:30 sun"),
        // Phoenix keeps MST: two hours behind New York before DST, three after.
        (r#"by_id(schedule, "g5").start.in_tz("America/New_York").clock"#, "21:00"),
        (r#"by_id(schedule, "g9").start.in_tz("America/New_York").clock"#, "22:00"),
        (r#"let t = by_id(schedule, "g1").start; t == t.in_tz("Asia/Tokyo")"#, "true"),
    ]);
    let err = probe.error(r#"by_id(schedule, "g1").start.in_tz("Mars/Olympus")"#);
    assert!(err.contains("Mars/Olympus"), "{err}");
}

#[test]
fn days_between_counts_local_dates_and_hours_between_counts_elapsed_time() {
    Probe::new().check(&[
        // Across the spring-forward night: one calendar day, 23 hours.
        (
            r#"days_between(by_id(schedule, "g1").start, by_id(schedule, "g8").start)"#,
            "1",
        ),
        (
            r#"hours_between(by_id(schedule, "g1").start, by_id(schedule, "g8").start)"#,
            "23.0",
        ),
        // Same local date in Chicago and Los Angeles, 5.5 hours apart.
        (
            r#"days_between(by_id(schedule, "g3").start, by_id(schedule, "g6").start)"#,
            "0",
        ),
        (
            r#"hours_between(by_id(schedule, "g3").start, by_id(schedule, "g6").start)"#,
            "5.5",
        ),
        // Backwards is negative.
        (
            r#"days_between(by_id(schedule, "g9").start, by_id(schedule, "g6").start)"#,
            "-7",
        ),
        (
            r#"hours_between(by_id(schedule, "g8").start, by_id(schedule, "g1").start)"#,
            "-23.0",
        ),
        // g5 (Phoenix, 03-07) to g2 (Los Angeles, 03-08): each by its own calendar.
        (
            r#"days_between(by_id(schedule, "g5").start, by_id(schedule, "g2").start)"#,
            "1",
        ),
        (
            r#"hours_between(by_id(schedule, "g5").start, by_id(schedule, "g2").start)"#,
            "21.0",
        ),
    ]);
}

#[test]
fn times_compare_as_instants_across_zones() {
    Probe::new().check(&[
        (
            r#"by_id(schedule, "g1").start < by_id(schedule, "g2").start"#,
            "true",
        ),
        (
            r#"by_id(schedule, "g2").start < by_id(schedule, "g1").start"#,
            "false",
        ),
        // 16:00 PDT and 19:00 EDT are the same instant.
        (
            r#"by_id(schedule, "g2").start == by_id(schedule, "g8").start"#,
            "true",
        ),
        (
            r#"by_id(schedule, "g2").start != by_id(schedule, "g8").start"#,
            "false",
        ),
        (
            r#"by_id(schedule, "g2").start <= by_id(schedule, "g8").start"#,
            "true",
        ),
        (
            r#"by_id(schedule, "g6").start > by_id(schedule, "g7").start"#,
            "true",
        ),
        (
            r#"by_id(schedule, "g6").start >= by_id(schedule, "g3").start"#,
            "true",
        ),
        // Games compare by id.
        (r#"by_id(schedule, "g2") == by_id(schedule, "g2")"#, "true"),
        (r#"by_id(schedule, "g2") != by_id(schedule, "g8")"#, "true"),
    ]);
}

#[test]
fn violation_builders_attach_entities_penalty_and_suggestion() {
    let t = TempTree::new();
    t.rule(
        "built",
        "game",
        "hard",
        "weight = 40",
        r#"violation("major", "m")
             .team(game.home).venue(game.venue).game(game).game("other").entity("round", 7).entity("date", game.date)
             .team(game.home)
             .penalty(2.5)
             .suggest("do better")"#,
    );
    let path = t.write(
        "schedule.json",
        r#"{"games": [{"id": "g1", "home": "NYR", "away": "LAS", "start": "2026-03-07T19:00"}]}"#,
    );
    let report =
        crate::support::evaluate(mini_league(t.path()), &path, &[t.path().join("plugins")])
            .unwrap();
    let v = crate::support::verdict(&report.games[0], "built");
    let violation = &v.violations[0];
    assert_eq!(violation.severity, umpire::Severity::Major);
    let entities: Vec<String> = violation
        .entities
        .iter()
        .map(|e| format!("{}:{}", e.kind.as_str(), e.id))
        .collect();
    // In the order attached, each once.
    assert_eq!(
        entities,
        [
            "team:NYR",
            "venue:hudson",
            "game:g1",
            "game:other",
            "round:7",
            "date:2026-03-07"
        ]
    );
    assert_eq!(violation.penalty, 2.5);
    assert_eq!(violation.suggestion.as_deref(), Some("do better"));
    assert_eq!(report.games[0].penalties.hard, 100.0, "weight × penalty");
    assert!(!report.games[0].valid);
}
