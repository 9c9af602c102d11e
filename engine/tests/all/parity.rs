//! One query API, two hosts: the same probes asked from a Rhai rule and from
//! a WebAssembly component (`plugins/wasm/probe`) about every game of the
//! example season must give the same answers, line by line; and the answers
//! keep the game-order contract the WIT and the SDK document.

use std::collections::BTreeMap;
use std::sync::Arc;

use umpire::{Evaluator, Registry, Status, model::ScheduleSpec};

use crate::support::{TempTree, example_season, schedule_of, verdict, wasm_plugins};

/// The probes of `plugins/wasm/probe/src/lib.rs`, in the same order and
/// written the same way, asked from Rhai.
const RHAI_PROBE: &str = r#"
fn text(g) {
    if type_of(g) == "()" { return "none"; }
    let round = if type_of(g.round) == "()" { "-" } else { g.round.to_string() };
    `${g.id} ${g.home}-${g.away}@${g.venue} ${g.start.date}T${g.start.clock}..${g.end.date}T${g.end.clock} r${round} [${g.tags.join(",")}]`
}
fn list(games) {
    let texts = [];
    for g in games { texts.push(text(g)); }
    `${texts.len()} | ${texts.join(" | ")}`
}
fn days(d) {
    if type_of(d) == "()" { "none" } else { d.to_string() }
}
let home = game.home;
let away = game.away;
let n = schedule.len;
let all = schedule.games;
let next = schedule.next_game(home, game);
let pairings = [];
for p in schedule.pairings() {
    let round = if p[2] < 0 { "-" } else { p[2].to_string() };
    pairings.push(`${p[0]}/${p[1]}/${round}`);
}
let answers = [
    ["len", n.to_string()],
    ["games", list(all)],
    ["game_at(0)", text(if n > 0 { all[0] } else { () })],
    ["game_at(len)", "none"],
    ["game(id)", text(schedule.game(game.id))],
    ["game(nope)", text(schedule.game("nope"))],
    ["games_of(home)", list(schedule.games_of(home))],
    ["games_of(away)", list(schedule.games_of(away))],
    ["games_of(nope)", list(schedule.games_of("nope"))],
    ["games_of(home, week around)", list(schedule.games_of(home, game.start.plus_hours(-168), game.start.plus_hours(168)))],
    ["previous_game(home)", text(schedule.previous_game(home, game))],
    ["next_game(home)", text(next)],
    ["previous_game(away)", text(schedule.previous_game(away, game))],
    ["next_game(away)", text(schedule.next_game(away, game))],
    ["previous_game(home, next_game(home))", text(if type_of(next) == "()" { () } else { schedule.previous_game(home, next) })],
    ["rest_days(home)", days(schedule.rest_days(home, game))],
    ["rest_days(away)", days(schedule.rest_days(away, game))],
    ["games_at(venue, date)", list(schedule.games_at(game.venue, game.date))],
    ["games_on(date)", list(schedule.games_on(game.date))],
    ["pairings", pairings.join(" ")],
];
let out = [];
for a in answers { out.push(violation("minor", `${a[0]}: ${a[1]}`)); }
out
"#;

/// Each game's answers, probe by probe, from each host, for the example
/// season's games as `spec` lists them, with both probes loaded.
fn answers(spec: &ScheduleSpec) -> BTreeMap<String, [Vec<String>; 2]> {
    let (league, _, _) = example_season();
    let schedule = schedule_of(&league, spec);
    let t = TempTree::new();
    t.write(
        "rhai/probe.toml",
        "id = \"probe-rhai\"\nname = \"Probe: the query API from Rhai\"\nkind = \"rhai\"\nsource = \"probe.rhai\"\nscope = \"game\"\nhardness = \"soft\"\ntimeout_ms = 5000\n",
    );
    t.write("rhai/probe.rhai", RHAI_PROBE);
    let registry = Registry::load(&[t.path().join("rhai"), wasm_plugins().join("probe")])
        .expect("the two probes load (the WebAssembly one is built if missing)");
    let report = Evaluator::new(league, Arc::new(registry)).evaluate(&schedule);
    report
        .games
        .iter()
        .map(|g| {
            let lines = |id: &str| {
                let v = verdict(g, id);
                assert_eq!(v.status, Status::Violated, "{id} on {}: {v:?}", g.game);
                v.violations
                    .iter()
                    .map(|v| v.message.clone())
                    .collect::<Vec<_>>()
            };
            (
                g.game.to_string(),
                [lines("probe-rhai"), lines("probe-wasm")],
            )
        })
        .collect()
}

#[test]
fn every_query_answers_the_same_from_rhai_and_from_webassembly() {
    let (_, spec, _) = example_season();
    let answers = answers(&spec);
    assert_eq!(answers.len(), 240, "every game of the example season");
    for (game, [rhai, wasm]) in &answers {
        assert_eq!(rhai.len(), 20, "{game}: every probe answered in Rhai");
        for (r, w) in rhai.iter().zip(wasm) {
            assert_eq!(r, w, "{game}: Rhai and WebAssembly differ");
        }
        assert_eq!(rhai.len(), wasm.len(), "{game}");
    }
}

/// The game-order contract, as both hosts answer it: the schedule's games
/// in file order, a team's (and a venue-day's, and a date's) by start time.
#[test]
fn games_come_in_file_order_and_a_teams_games_by_start_time() {
    // The example file lists its games by start time: reversed, its order
    // and start order differ everywhere.
    let (league, mut spec, _) = example_season();
    spec.games.reverse();
    let schedule = schedule_of(&league, &spec);
    let start = |id: &str| {
        schedule
            .game(id)
            .expect("a game of the season")
            .start
            .timestamp()
    };
    let ids = |answers: &[String], probe: &str| -> Vec<String> {
        let prefix = format!("{probe}: ");
        let answer = answers
            .iter()
            .find_map(|a| a.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no `{probe}` answer"));
        answer
            .split(" | ")
            .skip(1)
            .map(|g| g.split(' ').next().unwrap_or_default().to_owned())
            .collect()
    };
    let file_order: Vec<String> = spec.games.iter().map(|g| g.id.clone()).collect();
    let by_start = |ids: &[String]| ids.windows(2).all(|w| start(&w[0]) <= start(&w[1]));
    assert!(
        !by_start(&file_order),
        "the file is not in start order, or this would prove nothing"
    );
    for (game, [rhai, wasm]) in &answers(&spec) {
        for answers in [rhai, wasm] {
            assert_eq!(
                ids(answers, "games"),
                file_order,
                "{game}: `games` in file order"
            );
            for probe in [
                "games_of(home)",
                "games_of(away)",
                "games_of(home, week around)",
                "games_at(venue, date)",
                "games_on(date)",
            ] {
                let found = ids(answers, probe);
                assert!(
                    found.contains(game),
                    "{game}: `{probe}` finds the game itself"
                );
                assert!(
                    by_start(&found),
                    "{game}: `{probe}` by start time: {found:?}"
                );
            }
        }
    }
}
