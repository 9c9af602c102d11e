//! ITC2021 conformance: every published solution in
//! `examples/itc2021/expected.tsv` scores exactly the official validator's
//! two numbers; the worked examples of SPEC.md §7 (one rule each, quirks
//! included); the Rhai versions agree with the pack; a re-score after a
//! move equals a full score; odd and bad input is named with file and line.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde_json::Value;
use umpire::itc2021::{Host, Instance, Meeting, Pack, Scorer, Solution, game, to_slot};
use umpire::{GameEdit, Schedule, SchedulePatch, model::GameSpec, registry::LoadOptions};

use crate::support::{TempTree, TestResult, umpire, workspace_root};

fn data() -> PathBuf {
    workspace_root().join("examples/itc2021")
}

fn pack() -> Pack {
    Pack::load(&Pack::default_dir()).expect("the pack in plugins/robinx")
}

fn scorer(instance: &Instance, host: Host) -> Result<Scorer, umpire::Error> {
    Scorer::new(instance, &pack(), host, &LoadOptions::default())
}

/// `(hard_violations, objective)` of a solution.
fn numbers(scorer: &Scorer, solution: &Solution) -> Result<(i64, i64), umpire::Error> {
    let schedule = Arc::new(solution.schedule(scorer.league())?);
    let score = scorer.score(&schedule);
    if let Some(f) = score.failures().next() {
        panic!("{} could not rule: {:?}", f.constraint, f.message);
    }
    Ok((score.hard_violations, score.objective))
}

#[test]
fn every_published_solution_scores_as_the_official_validator() -> TestResult {
    let expected = std::fs::read_to_string(data().join("expected.tsv"))?;
    let mut scorers: HashMap<String, (Instance, Scorer)> = HashMap::new();
    let mut rows = 0;
    let mut wrong = Vec::new();
    for line in expected.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [solution, instance, hard, objective] = cols[..] else {
            panic!("a row of expected.tsv has 4 columns: {line}");
        };
        if !scorers.contains_key(instance) {
            let i = Instance::load(&data().join("instances").join(instance))?;
            let s = scorer(&i, Host::Wasm)?;
            scorers.insert(instance.to_owned(), (i, s));
        }
        let (i, s) = &scorers[instance];
        let sol = Solution::load(&data().join("solutions").join(solution), i)?;
        let got = numbers(s, &sol)?;
        let want = (hard.parse::<i64>()?, objective.parse::<i64>()?);
        if got != want {
            wrong.push(format!(
                "{solution} on {instance}: got {got:?}, validator {want:?}"
            ));
        }
        rows += 1;
    }
    assert_eq!(rows, 132, "expected.tsv has a row per published solution");
    assert!(
        wrong.is_empty(),
        "{} of {rows} differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    Ok(())
}

#[test]
fn the_rhai_classes_score_as_the_pack_does() -> TestResult {
    for (instance, solution) in [
        ("ITC2021_Late_2.xml", "Late_2_5379.xml"),
        ("ITC2021_Early_1.xml", "Early_1_comp_best.xml"),
    ] {
        let i = Instance::load(&data().join("instances").join(instance))?;
        let path = data().join("solutions").join(solution);
        let sol = Solution::load(&path, &i)?;
        let wasm = scorer(&i, Host::Wasm)?;
        let rhai = scorer(&i, Host::Rhai)?;
        let schedule = Arc::new(sol.schedule(wasm.league())?);
        let (a, b) = (wasm.score(&schedule), rhai.score(&schedule));
        assert_eq!(b.failures().count(), 0, "{:?}", b.failures().next());
        assert_eq!(a.classes, b.classes, "{instance}");
        for (x, y) in a.verdicts.iter().zip(&b.verdicts) {
            let p = |v: &umpire::Verdict| v.violations.iter().map(|v| v.penalty).sum::<f64>();
            assert_eq!(p(x), p(y), "{}", x.constraint);
        }
    }
    Ok(())
}

#[test]
fn a_rescore_after_a_move_equals_a_full_score() -> TestResult {
    let i = Instance::load(&data().join("instances/ITC2021_Late_2.xml"))?;
    let sol = Solution::load(&data().join("solutions/Late_2_5379.xml"), &i)?;
    let s = scorer(&i, Host::Wasm)?;
    let schedule = Arc::new(sol.schedule(s.league())?);
    let base = s.score(&schedule);
    for (k, step) in [(3usize, 1usize), (77, 5), (151, 13), (239, 29)] {
        let m = sol.meetings[k];
        let moved = Meeting {
            slot: (m.slot + step) % i.slots,
            ..m
        };
        let mut games = schedule.games().to_vec();
        games[k] = Arc::new(game(&moved));
        let next = Arc::new(Schedule::from_games(&sol.path, s.league(), games)?);
        let quick = s.rescore_move(&base, &next, (m.home, m.away), (m.slot, moved.slot));
        let full = s.score(&next);
        assert_eq!(
            (quick.hard_violations, quick.objective, &quick.classes),
            (full.hard_violations, full.objective, &full.classes),
            "moving game {k}"
        );
        assert!(quick.hard_violations > 0, "a move double-books two teams");
    }
    Ok(())
}

#[test]
fn candidate_moves_score_as_a_full_score_of_each_edited_solution() -> TestResult {
    let i = Instance::load(&data().join("instances/ITC2021_Late_2.xml"))?;
    let sol = Solution::load(&data().join("solutions/Late_2_5379.xml"), &i)?;
    let s = scorer(&i, Host::Wasm)?;
    let schedule = Arc::new(sol.schedule(s.league())?);
    let base = s.score(&schedule);
    let games = schedule.games();
    let slot = |k: usize| games[k].round.unwrap_or(0) as usize;
    let mut moves = Vec::new();
    for (k, step) in [(3usize, 1usize), (77, 5), (151, 13), (239, 29), (12, 2)] {
        moves.push(SchedulePatch::new().editing(to_slot(&games[k], (slot(k) + step) % i.slots)));
    }
    // Two games trade slots: one move, two edits.
    for (a, b) in [(5usize, 200usize), (40, 41)] {
        moves.push(
            SchedulePatch::new()
                .editing(to_slot(&games[a], slot(b)))
                .editing(to_slot(&games[b], slot(a))),
        );
    }
    // Home and away trade places; a game goes; a game comes back.
    let g = &games[9];
    moves.push(SchedulePatch::new().editing(GameEdit::new(&*g.id).teams(&*g.away, &*g.home)));
    moves.push(SchedulePatch::new().removing(&*games[100].id));
    let spec = games[100].to_spec(s.league());
    moves.push(
        SchedulePatch::new()
            .removing(&*games[100].id)
            .adding(GameSpec {
                id: "again".into(),
                ..spec
            }),
    );
    let answers = s.score_moves(&schedule, &base, &moves);
    assert_eq!(answers.len(), moves.len());
    for (k, answer) in answers.into_iter().enumerate() {
        let (edited, quick) = answer?;
        let full = s.score(&edited);
        assert_eq!(
            (quick.hard_violations, quick.objective, &quick.classes),
            (full.hard_violations, full.objective, &full.classes),
            "move {k}: {:?}",
            moves[k]
        );
    }
    // A move that does not apply says which.
    let bad = s.score_moves(
        &schedule,
        &base,
        &[SchedulePatch::new().editing(GameEdit::new("nope").round(1))],
    );
    let message = bad[0]
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(message.contains("no game `nope`"), "{message}");
    // Nor does a move to a slot the instance does not have.
    let slots = games.iter().filter_map(|g| g.round).max().unwrap_or(0) + 1;
    let off = s.score_moves(
        &schedule,
        &base,
        &[SchedulePatch::new().editing(GameEdit::new(&*games[3].id).round(slots))],
    );
    let message = off[0]
        .as_ref()
        .err()
        .map(ToString::to_string)
        .unwrap_or_default();
    assert!(
        message.contains(&format!("round {slots} is not a slot of the instance")),
        "{message}"
    );
    Ok(())
}

// The tiny instance of SPEC.md §7: 4 teams, 6 slots.

const BASE: &[(usize, usize, usize)] = &[
    (0, 1, 0),
    (2, 3, 0),
    (2, 0, 1),
    (1, 3, 1),
    (0, 3, 2),
    (1, 2, 2),
    (1, 0, 3),
    (3, 2, 3),
    (0, 2, 4),
    (3, 1, 4),
    (3, 0, 5),
    (2, 1, 5),
];

/// A 4-team double round robin over 6 slots with `constraints`, each read
/// from its own section (the string is put in all six; the validator reads
/// a class only from its section).
fn tiny_instance(mode: &str, teams: &[usize], constraints: &str) -> String {
    let teams: String = teams
        .iter()
        .map(|t| format!("<team id=\"{t}\" league=\"0\" name=\"T{t}\" teamGroups=\"\"/>\n"))
        .collect();
    let slots: String = (0..6)
        .map(|s| format!("<slot id=\"{s}\" name=\"S{s}\" slotGroup=\"\"/>\n"))
        .collect();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<Instance>
<MetaData><InstanceName>Tiny</InstanceName></MetaData>
<Structure><Format leagueIds="0"><numberRoundRobin>2</numberRoundRobin><compactness>C</compactness><gameMode>{mode}</gameMode></Format><AdditionalGames/></Structure>
<ObjectiveFunction><Objective>SC</Objective></ObjectiveFunction>
<Resources><Leagues><league id="0" name="L"/></Leagues>
<Teams>
{teams}</Teams>
<Slots>
{slots}</Slots></Resources>
<Constraints><BasicConstraints>{constraints}</BasicConstraints><CapacityConstraints>{constraints}</CapacityConstraints><GameConstraints>{constraints}</GameConstraints><BreakConstraints>{constraints}</BreakConstraints><FairnessConstraints>{constraints}</FairnessConstraints><SeparationConstraints>{constraints}</SeparationConstraints></Constraints>
</Instance>"#
    )
}

fn tiny_solution(games: &[(usize, usize, usize)]) -> String {
    let matches: String = games
        .iter()
        .map(|(h, a, s)| format!("<ScheduledMatch home=\"{h}\" away=\"{a}\" slot=\"{s}\"/>\n"))
        .collect();
    format!(
        "<Solution><MetaData><SolutionName>t</SolutionName></MetaData><Games>\n{matches}</Games></Solution>"
    )
}

/// What the tiny instance with `constraints` scores `games` as.
fn tiny(mode: &str, constraints: &str, games: &[(usize, usize, usize)]) -> (i64, i64) {
    tiny_ordered(mode, &[0, 1, 2, 3], constraints, games)
}

fn tiny_ordered(
    mode: &str,
    teams: &[usize],
    constraints: &str,
    games: &[(usize, usize, usize)],
) -> (i64, i64) {
    let i = Instance::from_xml_str(
        Path::new("tiny.xml"),
        &tiny_instance(mode, teams, constraints),
    )
    .expect("the tiny instance reads");
    let sol = Solution::from_xml_str(Path::new("sol.xml"), &tiny_solution(games), &i)
        .expect("the solution reads");
    numbers(&scorer(&i, Host::Wasm).expect("its scorer"), &sol).expect("scored")
}

fn with(
    games: &[(usize, usize, usize)],
    edit: impl FnOnce(&mut Vec<(usize, usize, usize)>),
) -> Vec<(usize, usize, usize)> {
    let mut g = games.to_vec();
    edit(&mut g);
    g
}

#[test]
fn the_structural_checks_count_as_the_validator_does() {
    assert_eq!(tiny("P", "", BASE), (0, 0));
    let no_01 = with(BASE, |g| {
        g.remove(0);
    });
    assert_eq!(
        tiny("P", "", &no_01),
        (3, 0),
        "1 unscheduled + phased pair ×2"
    );
    assert_eq!(tiny("NULL", "", &no_01), (1, 0));
    let second_01 = with(BASE, |g| g.push((0, 1, 5)));
    assert_eq!(tiny("P", "", &second_01), (0, 0), "a duplicate is dropped");
    let flipped = with(BASE, |g| g[0] = (1, 0, 0));
    assert_eq!(tiny("P", "", &flipped), (1, 0));
    let to_1 = with(BASE, |g| g[0].2 = 1);
    assert_eq!(tiny("P", "", &to_1), (4, 0), "double booking weighs 2");
    let to_5 = with(BASE, |g| g[0].2 = 5);
    assert_eq!(tiny("P", "", &to_5), (6, 0));
    assert_eq!(tiny("NULL", "", &to_5), (4, 0));
    let swapped = with(BASE, |g| {
        for x in g.iter_mut() {
            x.2 = match x.2 {
                2 => 3,
                3 => 2,
                s => s,
            }
        }
    });
    assert_eq!(tiny("P", "", &swapped), (8, 0));
    assert_eq!(tiny("NULL", "", &swapped), (0, 0));
    assert_eq!(tiny("P", "", &[]), (24, 0));
    assert_eq!(tiny("M", "", BASE), (0, 0));
    assert_eq!(tiny("E", "", BASE), (12, 0));
    assert_eq!(tiny("F", "", BASE), (12, 0));
    assert_eq!(tiny("I", "", BASE), (8, 0));
}

#[test]
fn an_unknown_slot_stops_the_reading_and_is_noted_with_its_line() {
    let bad = with(BASE, |g| g[6].2 = 6);
    assert_eq!(tiny("NULL", "", &bad), (6, 0));
    let first = with(BASE, |g| g[0].2 = 6);
    assert_eq!(tiny("P", "", &first), (24, 0));
    let i = Instance::from_xml_str(
        Path::new("tiny.xml"),
        &tiny_instance("NULL", &[0, 1, 2, 3], ""),
    )
    .unwrap();
    let sol = Solution::from_xml_str(Path::new("sol.xml"), &tiny_solution(&bad), &i).unwrap();
    assert_eq!(sol.meetings.len(), 6);
    let note = sol.notes[0].to_string();
    assert_eq!(
        note,
        "sol.xml:8: slot \"6\" is not a slot of the instance; the validator stops reading here: this and the 5 matches after it are not scheduled"
    );
    let away = with(BASE, |g| g[6].1 = 9);
    let sol = Solution::from_xml_str(Path::new("sol.xml"), &tiny_solution(&away), &i).unwrap();
    assert!(
        sol.notes[0]
            .to_string()
            .contains("away \"9\" is not a team"),
        "{:?}",
        sol.notes
    );
}

#[test]
fn each_class_counts_as_the_validator_does() {
    let c = |xml: &str| tiny("NULL", xml, BASE);
    let attrs = r#"teamGroups="" slotGroups="" penalty="1" type="SOFT""#;
    assert_eq!(
        c(
            r#"<CA1 teams="1" slots="1;2;3" mode="H" min="0" max="1" type="SOFT" penalty="5" teamGroups="" slotGroups=""/>"#
        ),
        (0, 10)
    );
    assert_eq!(
        c(
            r#"<CA1 teams="0;3" slots="0" mode="A" min="0" max="0" type="HARD" penalty="3" teamGroups="" slotGroups=""/>"#
        ),
        (3, 0)
    );
    assert_eq!(
        c(&format!(
            r#"<CA1 teams="0;1;2;3" slots="0;1" mode="HA" min="3" max="5" {attrs}/>"#
        )),
        (0, 4)
    );
    assert_eq!(
        c(&format!(
            r#"<CA1 teams="0" slots="0;1;2" mode="H" min="3" max="1" {attrs}/>"#
        )),
        (0, 2)
    );
    assert_eq!(
        c(
            r#"<CA2 teams1="0" teams2="1;2" mode1="HA" mode2="GLOBAL" slots="0;1;2" min="0" max="1" type="SOFT" penalty="3"/>"#
        ),
        (0, 3)
    );
    assert_eq!(
        c(
            r#"<CA2 teams1="0;1" teams2="2;3" mode1="A" mode2="EVERY" slots="0;1;2" min="1" max="1" type="SOFT" penalty="1"/>"#
        ),
        (0, 3)
    );
    assert_eq!(
        c(
            r#"<CA3 teams1="3" teams2="0;1;2" mode1="A" mode2="SLOTS" intp="3" min="0" max="2" type="SOFT" penalty="2"/>"#
        ),
        (0, 2)
    );
    assert_eq!(
        c(
            r#"<CA3 teams1="3" teams2="0;1;2" mode1="H" mode2="SLOTS" intp="3" min="1" max="2" type="SOFT" penalty="1"/>"#
        ),
        (0, 2)
    );
    assert_eq!(
        c(
            r#"<CA3 teams1="0;1;2;3" teams2="0;1" mode1="HA" mode2="SLOTS" intp="2" min="0" max="0" type="HARD" penalty="1"/>"#
        ),
        (20, 0)
    );
    assert_eq!(
        c(&format!(
            r#"<CA4 teams1="0;1" teams2="2;3" mode1="H" mode2="GLOBAL" slots="0;1;2" min="0" max="1" {attrs}/>"#
        )),
        (0, 2)
    );
    assert_eq!(
        c(&format!(
            r#"<CA4 teams1="0;1" teams2="2;3" mode1="H" mode2="EVERY" slots="0;1;2" min="0" max="1" {attrs}/>"#
        )),
        (0, 1)
    );
    assert_eq!(
        c(
            r#"<CA4 teams1="0;1;2;3" teams2="0;1;2;3" mode1="HA" mode2="EVERY" slots="0" min="0" max="1" type="HARD" penalty="1"/>"#
        ),
        (1, 0)
    );
    assert_eq!(
        c(&format!(
            r#"<CA4 teams1="0;1" teams2="2;3" mode1="A" mode2="GLOBAL" slots="0;1;2;3;4;5" min="0" max="0" {attrs}/>"#
        )),
        (0, 4)
    );
    assert_eq!(
        c(&format!(
            r#"<CA4 teams1="0" teams2="1;2;3" mode1="H" mode2="GLOBAL" slots="0;1;2" min="3" max="1" {attrs}/>"#
        )),
        (0, 1)
    );
    assert_eq!(
        c(&format!(
            r#"<GA1 meetings="0,1;1,0;2,3" slots="0;1;2" min="2" max="3" {attrs}/>"#
        )),
        (0, 0)
    );
    assert_eq!(
        c(r#"<GA1 meetings="0,1;1,0;2,3" slots="0;1;2" min="3" max="3" type="SOFT" penalty="4"/>"#),
        (0, 4)
    );
    assert_eq!(
        c(r#"<GA1 meetings="1,0" slots="0" min="1" max="1" type="HARD" penalty="1"/>"#),
        (1, 0)
    );
    let all = r#"teams="0;1;2;3" slots="0;1;2;3;4;5""#;
    assert_eq!(
        c(&format!(
            r#"<BR1 teams="1;2;3" slots="1;2;3" intp="1" mode1="LEQ" mode2="HA" {attrs}/>"#
        )),
        (0, 3)
    );
    assert_eq!(
        c(&format!(
            r#"<BR1 {all} intp="0" mode1="LEQ" mode2="H" type="SOFT" penalty="1"/>"#
        )),
        (0, 5)
    );
    assert_eq!(
        c(&format!(
            r#"<BR1 {all} intp="0" mode1="LEQ" mode2="A" type="SOFT" penalty="1"/>"#
        )),
        (0, 5)
    );
    assert_eq!(
        c(&format!(
            r#"<BR1 {all} intp="2" mode1="EQ" mode2="HA" type="SOFT" penalty="1"/>"#
        )),
        (0, 6)
    );
    assert_eq!(
        c(&format!(
            r#"<BR2 {all} intp="6" mode2="LEQ" homeMode="H" type="SOFT" penalty="1"/>"#
        )),
        (0, 4)
    );
    assert_eq!(
        c(&format!(
            r#"<BR2 {all} intp="12" mode2="EQ" type="HARD" penalty="1"/>"#
        )),
        (2, 0)
    );
    assert_eq!(
        c(r#"<BR2 teams="1;2" slots="1;2" intp="0" mode2="LEQ" type="SOFT" penalty="1"/>"#),
        (0, 2)
    );
    assert_eq!(
        c(&format!(
            r#"<FA2 {all} mode="H" intp="1" type="SOFT" penalty="1"/>"#
        )),
        (0, 3)
    );
    assert_eq!(
        c(&format!(
            r#"<FA2 {all} mode="A" intp="1" type="SOFT" penalty="1"/>"#
        )),
        (0, 3)
    );
    assert_eq!(
        c(&format!(
            r#"<FA2 {all} mode="HA" intp="0" type="SOFT" penalty="1"/>"#
        )),
        (0, 0)
    );
    assert_eq!(
        c(r#"<FA2 teams="0;1;2;3" slots="0;1" mode="H" intp="1" type="SOFT" penalty="1"/>"#),
        (0, 1)
    );
    assert_eq!(
        c(r#"<SE1 teams="0;1;2;3" min="2" mode1="SLOTS" type="SOFT" penalty="1"/>"#),
        (0, 0)
    );
    assert_eq!(
        c(r#"<SE1 teams="0;1;2;3" min="3" type="SOFT" penalty="1"/>"#),
        (0, 6)
    );
    assert_eq!(
        c(r#"<SE1 teams="0;1" min="4" type="SOFT" penalty="2"/>"#),
        (0, 4)
    );
}

#[test]
fn games_sharing_a_slot_keep_the_pool_order_of_the_team_elements() {
    // SPEC.md §7.3: 2–0 moved into slot 4, where 0–2 is.
    let moved = with(BASE, |g| g[2].2 = 4);
    let rules = r#"<BR1 teams="0" slots="4" intp="0" mode1="LEQ" mode2="HA" type="SOFT" penalty="1"/><BR1 teams="2" slots="4" intp="0" mode1="LEQ" mode2="HA" type="SOFT" penalty="10"/>"#;
    assert_eq!(tiny_ordered("NULL", &[0, 1, 2, 3], rules, &moved), (4, 10));
    assert_eq!(tiny_ordered("NULL", &[3, 2, 1, 0], rules, &moved), (4, 1));
}

#[test]
fn metadata_mistakes_empty_the_schedule_with_a_note() -> TestResult {
    let i = Instance::from_xml_str(
        Path::new("tiny.xml"),
        &tiny_instance("P", &[0, 1, 2, 3], ""),
    )?;
    let text = tiny_solution(BASE).replace("<SolutionName>t</SolutionName>", "<SolutionName/>");
    let sol = Solution::from_xml_str(Path::new("sol.xml"), &text, &i)?;
    assert!(sol.meetings.is_empty());
    assert!(
        sol.notes[0].message.contains("<SolutionName> is empty"),
        "{:?}",
        sol.notes
    );
    let s = scorer(&i, Host::Wasm)?;
    assert_eq!(numbers(&s, &sol)?, (24, 0));
    Ok(())
}

#[test]
fn malformed_xml_is_an_error_naming_file_and_line() {
    let e = Instance::from_xml_str(Path::new("bad.xml"), "<Instance>\n<Resources>\n</Instance>")
        .unwrap_err()
        .to_string();
    assert!(e.starts_with("bad.xml: line 3, column"), "{e}");
    let i = Instance::from_xml_str(
        Path::new("tiny.xml"),
        &tiny_instance("P", &[0, 1, 2, 3], ""),
    )
    .unwrap();
    let e = Solution::from_xml_str(
        Path::new("sol.xml"),
        "<Solution><Games>\n<ScheduledMatch home=\"0\" away=1/>",
        &i,
    )
    .unwrap_err()
    .to_string();
    assert!(e.starts_with("sol.xml: line 2"), "{e}");
}

/// Regression (found while writing the `itc2021_instance` fuzz target's
/// property): the league's name went into TOML quoted as JSON, which leaves
/// DEL bare, so an instance named with one read but made no league.
#[test]
fn any_instance_name_makes_a_league_of_that_name() -> TestResult {
    for name in [
        "Ti\u{7f}ny",
        "a \"quoted\" \\ name",
        "tab\tand\u{1}",
        "ünï ☃",
    ] {
        let text = tiny_instance("P", &[0, 1, 2, 3], "").replace(
            "<InstanceName>Tiny</InstanceName>",
            &format!("<InstanceName>{name}</InstanceName>"),
        );
        let league = Instance::from_xml_str(Path::new("tiny.xml"), &text)?.league()?;
        assert_eq!(league.name, name);
        assert_eq!(league.teams.len(), 4);
    }
    Ok(())
}

#[test]
fn an_instance_with_bad_values_stops_its_reading_with_a_note_or_is_refused() {
    // An unknown keyword is a stop, as the validator reads it: the
    // constraint and every one after it are lost, and a note says where.
    let text = tiny_instance(
        "P",
        &[0, 1, 2, 3],
        r#"<CA1 teams="0" slots="0" mode="X" min="0" max="0" type="HARD" penalty="1"/>"#,
    );
    let i = Instance::from_xml_str(Path::new("tiny.xml"), &text).unwrap();
    assert!(i.elements.is_empty());
    let note = i.notes[0].to_string();
    assert!(
        note.contains("tiny.xml:21: <CA1>: mode is \"X\", not one of H, A, HA")
            && note.contains("stops reading"),
        "{note}"
    );
    // Every class of RobinX is read.
    let text = tiny_instance(
        "P",
        &[0, 1, 2, 3],
        r#"<CA5 teams1="0" teams2="1" slots="0" min="0" max="1" type="HARD" penalty="1"/>"#,
    );
    let i = Instance::from_xml_str(Path::new("tiny.xml"), &text).unwrap();
    assert_eq!(i.elements.len(), 1);
    assert!(i.notes.is_empty(), "{:?}", i.notes);
    // Ids umpire cannot index by are refused, naming the element.
    let text = tiny_instance("P", &[0, 1, 2, 5], "");
    let e = Instance::from_xml_str(Path::new("tiny.xml"), &text)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("(<team>): team id 5 where team 3 is missing"),
        "{e}"
    );
}

fn cli_files(t: &TempTree, games: &[(usize, usize, usize)]) -> (String, String) {
    let i = t.write(
        "tiny.xml",
        &tiny_instance(
            "P",
            &[0, 1, 2, 3],
            r#"<CA1 teams="1" slots="1;2;3" mode="H" min="0" max="1" type="SOFT" penalty="5"/>"#,
        ),
    );
    let s = t.write("sol.xml", &tiny_solution(games));
    (i.display().to_string(), s.display().to_string())
}

#[test]
fn the_command_prints_both_numbers_and_exits_0_when_feasible() -> TestResult {
    let out = umpire()
        .args([
            "itc2021",
            "--instance",
            &data()
                .join("instances/ITC2021_Late_2.xml")
                .display()
                .to_string(),
            "--solution",
            &data()
                .join("solutions/Late_2_5379.xml")
                .display()
                .to_string(),
            "--format",
            "json",
        ])
        .output()?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v["hard_violations"], 0);
    assert_eq!(v["objective"], 5379);
    assert_eq!(v["constraints"], 1325);
    let first = &v["violations"][0];
    assert!(
        first["constraint"]
            .as_str()
            .is_some_and(|c| c.starts_with("robinx.")),
        "{first}"
    );
    assert!(
        first["slots"].as_array().is_some_and(|s| !s.is_empty()),
        "{first}"
    );
    Ok(())
}

#[test]
fn the_command_exits_1_when_infeasible_and_lists_the_largest_violations() -> TestResult {
    let t = TempTree::new();
    let (i, s) = cli_files(&t, &with(BASE, |g| g[0].2 = 1));
    let out = umpire()
        .args(["itc2021", "--instance", &i, "--solution", &s])
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout)?;
    assert!(
        text.contains("infeasible: hard_violations 4, objective 10"),
        "{text}"
    );
    assert!(
        text.contains("BA2 (one game per team and slot): team 0 plays 2 games in slot 1"),
        "{text}"
    );
    assert!(
        text.contains("CA1 #1 (line 21): team 1 plays 3 home games"),
        "{text}"
    );
    Ok(())
}

#[test]
fn the_command_exits_2_on_input_errors_and_under_strict_on_odd_input() -> TestResult {
    let t = TempTree::new();
    let (i, s) = cli_files(&t, &with(BASE, |g| g[6].2 = 6));
    let out = umpire()
        .args(["itc2021", "--instance", &i, "--solution", "missing.xml"])
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing.xml: cannot read"));
    // Read as the validator reads it: a warning with the line, then scored.
    let out = umpire()
        .args(["itc2021", "--instance", &i, "--solution", &s])
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("sol.xml:8: slot \"6\" is not a slot of the instance"),
        "{err}"
    );
    let out = umpire()
        .args(["itc2021", "--instance", &i, "--solution", &s, "--strict"])
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("sol.xml:8: slot \"6\""));
    let bad = t.write("bad.xml", "<Solution><Games>");
    let out = umpire()
        .args([
            "itc2021",
            "--instance",
            &i,
            "--solution",
            &bad.display().to_string(),
        ])
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("bad.xml: line 1"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(())
}

/// A pack directory without the pack (a binary far from its checkout, or a
/// wrong `--pack`) is an input error that names the directory and the flag.
#[test]
fn a_missing_plugin_pack_is_an_input_error_naming_the_directory_and_the_flag() -> TestResult {
    let t = TempTree::new();
    let (i, s) = cli_files(&t, BASE);
    let empty = t.path().join("no-pack");
    std::fs::create_dir_all(&empty)?;
    let out = umpire()
        .args(["itc2021", "--instance", &i, "--solution", &s, "--pack"])
        .arg(&empty)
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no-pack: no RobinX plugin pack here (no robinx.toml)")
            && err.contains("--pack DIR"),
        "{err}"
    );
    Ok(())
}

/// Regression (issue 17): a file starting with a byte-order mark made the
/// reader panic (exit 101): quick-xml skipped the mark without counting it,
/// so its offsets were three bytes behind the text.
#[test]
fn a_byte_order_mark_is_read_past_and_the_command_exits_2_naming_the_file() -> TestResult {
    let t = TempTree::new();
    let bom = t
        .write("bom.xml", "\u{feff} <Instance/>")
        .display()
        .to_string();
    let out = umpire()
        .args(["itc2021", "--instance", &bom, "--solution", &bom])
        .output()?;
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("bom.xml: line 1 (<Instance>): no <ObjectiveFunction>"),
        "{err}"
    );
    // A real instance and solution, each behind a mark, score as without.
    let (i, s) = cli_files(&t, BASE);
    let marked = |p: &str| -> std::io::Result<String> {
        let text = std::fs::read_to_string(p)?;
        let path = Path::new(p).with_extension("bom.xml");
        std::fs::write(&path, format!("\u{feff}{text}"))?;
        Ok(path.display().to_string())
    };
    let plain = umpire()
        .args([
            "itc2021",
            "--instance",
            &i,
            "--solution",
            &s,
            "--format",
            "json",
        ])
        .output()?;
    assert!(matches!(plain.status.code(), Some(0 | 1)), "{plain:?}");
    let (bi, bs) = (marked(&i)?, marked(&s)?);
    let out = umpire()
        .args([
            "itc2021",
            "--instance",
            &bi,
            "--solution",
            &bs,
            "--format",
            "json",
        ])
        .output()?;
    assert_eq!(out.status.code(), plain.status.code());
    let numbers = |o: &std::process::Output| -> serde_json::Result<(Value, Value)> {
        let v: Value = serde_json::from_slice(&o.stdout)?;
        Ok((v["hard_violations"].clone(), v["objective"].clone()))
    };
    assert_eq!(numbers(&out)?, numbers(&plain)?);
    Ok(())
}

/// The text report of a published solution, with its paths made relative
/// and its timing redacted: totals per class, the largest violations with
/// their teams and slots, and the closing line.
#[test]
fn the_text_report_of_a_published_solution_is_stable() -> TestResult {
    let root = workspace_root();
    let out = umpire()
        .current_dir(&root)
        .args([
            "itc2021",
            "--instance",
            "examples/itc2021/instances/ITC2021_Test2.xml",
            "--solution",
            "examples/itc2021/solutions/ITC2021_Test2_SolIP.xml",
            "--top",
            "5",
        ])
        .output()?;
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout)?;
    let redacted: Vec<String> = text
        .lines()
        .map(
            |line| match (line.find(" scored in "), line.find(" ms on ")) {
                (Some(a), Some(b)) if a < b => {
                    format!("{} scored in [ms]{}", &line[..a], &line[b + 3..])
                }
                _ => line.to_owned(),
            },
        )
        .collect();
    insta::assert_snapshot!("itc2021_test2_text_report", redacted.join("\n"));
    Ok(())
}

mod mangled {
    //! ITC2021 files cut short, overwritten or spliced, as a fuzzer would:
    //! the reader never panics, a refusal names the file, and a solution it
    //! reads is scored without a plugin failure.

    use std::path::Path;
    use std::sync::{Arc, OnceLock};

    use proptest::prelude::*;
    use umpire::itc2021::{Host, Instance, Scorer, Solution};

    use super::{data, scorer};

    fn instance_text() -> &'static str {
        static TEXT: OnceLock<String> = OnceLock::new();
        TEXT.get_or_init(|| {
            std::fs::read_to_string(data().join("instances/ITC2021_Test2.xml")).unwrap()
        })
    }

    fn solution_text() -> &'static str {
        static TEXT: OnceLock<String> = OnceLock::new();
        TEXT.get_or_init(|| {
            std::fs::read_to_string(data().join("solutions/ITC2021_Test2_SolIP.xml")).unwrap()
        })
    }

    thread_local! {
        /// The instance and one scorer for it, built once per thread (a
        /// scorer keeps its plugin instances: it stays on its thread).
        static TEST2: (Instance, Scorer) = {
            let i = Instance::from_xml_str(Path::new("Test2.xml"), instance_text()).unwrap();
            let s = scorer(&i, Host::Wasm).unwrap();
            (i, s)
        };
    }

    /// One edit: cut at a point, overwrite a stretch with XML-ish noise, or
    /// copy a stretch elsewhere. Positions are fractions of the length.
    #[derive(Debug, Clone)]
    enum Edit {
        Cut(f64),
        Overwrite(f64, String),
        Splice(f64, f64, usize),
    }

    fn edit() -> impl Strategy<Value = Edit> {
        prop_oneof![
            (0.0..1.0f64).prop_map(Edit::Cut),
            (0.0..1.0f64, "[<>/=\"' a-zA-Z0-9_.&;-]{1,12}")
                .prop_map(|(at, s)| Edit::Overwrite(at, s)),
            (0.0..1.0f64, 0.0..1.0f64, 1..200usize)
                .prop_map(|(from, to, len)| Edit::Splice(from, to, len)),
        ]
    }

    fn apply(text: &str, edits: &[Edit]) -> String {
        let mut bytes = text.as_bytes().to_vec();
        let at = |f: f64, len: usize| ((f * len as f64) as usize).min(len);
        for e in edits {
            let len = bytes.len();
            match e {
                Edit::Cut(f) => bytes.truncate(at(*f, len)),
                Edit::Overwrite(f, s) => {
                    let start = at(*f, len);
                    let end = (start + s.len()).min(len);
                    bytes.splice(start..end, s.bytes());
                }
                Edit::Splice(from, to, n) => {
                    let start = at(*from, len);
                    let piece = bytes[start..(start + n).min(len)].to_vec();
                    let to = at(*to, len);
                    bytes.splice(to..to, piece);
                }
            }
        }
        // Edits are ASCII and cut only ASCII files: still UTF-8.
        String::from_utf8_lossy(&bytes).into_owned()
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

        #[test]
        fn a_mangled_instance_is_read_or_refused_naming_the_file(
            edits in proptest::collection::vec(edit(), 1..4)
        ) {
            let text = apply(instance_text(), &edits);
            if let Err(e) = Instance::from_xml_str(Path::new("mangled.xml"), &text) {
                let message = e.to_string();
                prop_assert!(message.starts_with("mangled.xml: "), "{message}");
            }
        }

        #[test]
        fn a_mangled_solution_is_refused_or_scored(
            edits in proptest::collection::vec(edit(), 1..4)
        ) {
            let text = apply(solution_text(), &edits);
            TEST2.with(|(instance, scorer)| {
                match Solution::from_xml_str(Path::new("mangled.xml"), &text, instance) {
                    Err(e) => {
                        let message = e.to_string();
                        prop_assert!(message.starts_with("mangled.xml: "), "{message}");
                    }
                    Ok(solution) => {
                        let schedule = Arc::new(solution.schedule(scorer.league()).unwrap());
                        let score = scorer.score(&schedule);
                        let failed: Vec<_> =
                            score.failures().map(|v| v.constraint.to_string()).collect();
                        prop_assert!(failed.is_empty(), "{failed:?}");
                        prop_assert!(score.hard_violations >= 0 && score.objective >= 0);
                    }
                }
                Ok(())
            })?;
        }
    }
}
