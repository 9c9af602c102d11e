//! `depends_on`: refused when unknown, cyclic or cross-scope the wrong way;
//! a dependent is skipped exactly when a hard constraint it depends on did
//! not pass; and the `constraints` command's analysis of the graph.

use std::collections::BTreeSet;

use serde_json::Value;
use umpire::{Error, Registry, Status};

use crate::support::{
    TempTree, TestResult, evaluate, game, mini_league, schedule_verdict, umpire, verdict,
};

const TWO_GAMES: &str = r#"{"games": [
  {"id": "g1", "home": "NYR", "away": "LAS", "start": "2026-03-07T19:00"},
  {"id": "g2", "home": "CHW", "away": "PHX", "start": "2026-03-07T15:00"}
]}"#;

#[test]
fn depends_on_an_unknown_id_names_the_manifest_and_the_id() {
    let t = TempTree::new();
    t.rule("base", "game", "hard", "", "pass()");
    let m = t.rule("after", "game", "soft", "depends_on = [\"bsae\"]", "pass()");
    let err = Registry::load(&[t.path().join("plugins")]).unwrap_err();
    let msg = err.to_string();
    assert!(
        msg.starts_with(&format!(
            "{}: depends_on: unknown constraint `bsae`",
            m.display()
        )),
        "{msg}"
    );
    assert!(msg.contains("did you mean `base`?"), "{msg}");
}

#[test]
fn a_two_rule_cycle_is_named_in_full() {
    let t = TempTree::new();
    t.rule("a", "game", "hard", "depends_on = [\"b\"]", "pass()");
    t.rule("b", "game", "hard", "depends_on = [\"a\"]", "pass()");
    t.rule("c", "game", "hard", "", "pass()");
    let err = Registry::load(&[t.path().join("plugins")]).unwrap_err();
    match &err {
        Error::Cycle { cycle } => assert_eq!(cycle, &["a", "b", "a"]),
        other => panic!("expected a cycle, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains("a -> b -> a"), "{msg}");
}

#[test]
fn a_longer_cycle_behind_an_acyclic_prefix_names_only_the_cycle() {
    let t = TempTree::new();
    t.rule("a", "game", "hard", "depends_on = [\"b\"]", "pass()");
    t.rule("b", "game", "hard", "depends_on = [\"c\"]", "pass()");
    t.rule("c", "game", "hard", "depends_on = [\"d\"]", "pass()");
    t.rule("d", "game", "hard", "depends_on = [\"b\"]", "pass()");
    let err = Registry::load(&[t.path().join("plugins")]).unwrap_err();
    let msg = err.to_string();
    assert!(msg.contains("dependency cycle: b -> c -> d -> b;"), "{msg}");
}

#[test]
fn a_schedule_rule_cannot_depend_on_a_game_rule() {
    let t = TempTree::new();
    t.rule("per-game", "game", "hard", "", "pass()");
    let m = t.rule(
        "season",
        "schedule",
        "hard",
        "depends_on = [\"per-game\"]",
        "pass()",
    );
    let msg = Registry::load(&[t.path().join("plugins")])
        .unwrap_err()
        .to_string();
    assert!(
        msg.starts_with(&format!("{}: depends_on: ", m.display())),
        "{msg}"
    );
}

/// A hard rule failing only for g1 and a soft dependent that always reports.
fn gate_and_dependent(t: &TempTree, gate_hardness: &str, gate_script: &str) {
    t.rule("gate", "game", gate_hardness, "", gate_script);
    t.rule(
        "after",
        "game",
        "soft",
        "depends_on = [\"gate\"]",
        "violation(\"minor\", `ran on ${game.id}`)",
    );
}

#[test]
fn a_failed_hard_dependency_skips_the_dependent_for_that_game_only() -> TestResult {
    let t = TempTree::new();
    gate_and_dependent(
        &t,
        "hard",
        "if game.id == \"g1\" { violation(\"critical\", \"closed\") } else { pass() }",
    );
    let sched = t.write("schedule.json", TWO_GAMES);
    let report = evaluate(mini_league(t.path()), &sched, &[t.path().join("plugins")])?;

    let after = verdict(game(&report, "g1"), "after");
    assert_eq!(after.status, Status::Skipped);
    let message = after.message.as_deref().unwrap_or_default();
    assert!(
        message.contains("`gate`") && message.contains("violated"),
        "{message}"
    );
    assert!(after.violations.is_empty());

    let after = verdict(game(&report, "g2"), "after");
    assert_eq!(after.status, Status::Violated);
    assert_eq!(after.violations[0].message, "ran on g2");

    assert_eq!(report.summary.skipped, 1);
    assert_eq!(report.summary.evaluations, 4);
    Ok(())
}

#[test]
fn dependencies_run_before_dependents_whatever_the_file_order() -> TestResult {
    // `a-late` sorts first but depends on `z-early`, which must run first
    // for the skip to happen.
    let t = TempTree::new();
    t.rule(
        "z-early",
        "game",
        "hard",
        "",
        "violation(\"major\", \"no\")",
    );
    t.rule(
        "a-late",
        "game",
        "soft",
        "depends_on = [\"z-early\"]",
        "pass()",
    );
    let sched = t.write("schedule.json", TWO_GAMES);
    let report = evaluate(mini_league(t.path()), &sched, &[t.path().join("plugins")])?;
    for g in &report.games {
        let order: Vec<&str> = g.verdicts.iter().map(|v| &*v.constraint).collect();
        assert_eq!(order, ["z-early", "a-late"]);
        assert_eq!(verdict(g, "a-late").status, Status::Skipped);
    }
    Ok(())
}

#[test]
fn a_failed_soft_dependency_does_not_skip() -> TestResult {
    let t = TempTree::new();
    gate_and_dependent(&t, "soft", "violation(\"minor\", \"meh\")");
    let sched = t.write("schedule.json", TWO_GAMES);
    let report = evaluate(mini_league(t.path()), &sched, &[t.path().join("plugins")])?;
    for g in &report.games {
        assert_eq!(verdict(g, "gate").status, Status::Violated);
        assert_eq!(verdict(g, "after").status, Status::Violated);
        assert!(g.valid, "soft violations leave the game valid");
    }
    assert_eq!(report.summary.skipped, 0);
    Ok(())
}

#[test]
fn a_hard_dependency_that_errors_skips_its_dependents_too() -> TestResult {
    let t = TempTree::new();
    gate_and_dependent(&t, "hard", "throw \"broken rule\";");
    let sched = t.write("schedule.json", TWO_GAMES);
    let report = evaluate(mini_league(t.path()), &sched, &[t.path().join("plugins")])?;
    for g in &report.games {
        assert_eq!(verdict(g, "gate").status, Status::Error);
        let after = verdict(g, "after");
        assert_eq!(after.status, Status::Skipped);
        assert!(
            after
                .message
                .as_deref()
                .unwrap_or_default()
                .contains("error"),
            "{after:?}"
        );
    }
    assert_eq!(report.summary.errors, 2);
    assert_eq!(report.summary.skipped, 2);
    Ok(())
}

#[test]
fn skips_propagate_through_a_chain_of_hard_rules() -> TestResult {
    let t = TempTree::new();
    t.rule(
        "first",
        "game",
        "hard",
        "",
        "if game.id == \"g1\" { violation(\"major\", \"x\") } else { pass() }",
    );
    t.rule(
        "second",
        "game",
        "hard",
        "depends_on = [\"first\"]",
        "pass()",
    );
    t.rule(
        "third",
        "game",
        "soft",
        "depends_on = [\"second\"]",
        "violation(\"minor\", \"ran\")",
    );
    let sched = t.write("schedule.json", TWO_GAMES);
    let report = evaluate(mini_league(t.path()), &sched, &[t.path().join("plugins")])?;
    let g1 = game(&report, "g1");
    assert_eq!(verdict(g1, "second").status, Status::Skipped);
    assert_eq!(verdict(g1, "third").status, Status::Skipped);
    let g2 = game(&report, "g2");
    assert_eq!(verdict(g2, "second").status, Status::Passed);
    assert_eq!(verdict(g2, "third").status, Status::Violated);
    Ok(())
}

#[test]
fn a_failed_hard_schedule_rule_skips_its_game_scoped_dependents_everywhere() -> TestResult {
    let t = TempTree::new();
    t.rule(
        "season-ok",
        "schedule",
        "hard",
        "",
        "violation(\"critical\", `only ${schedule.len} games`)",
    );
    t.rule(
        "per-game",
        "game",
        "soft",
        "depends_on = [\"season-ok\"]",
        "violation(\"minor\", \"ran\")",
    );
    t.rule(
        "independent",
        "game",
        "soft",
        "",
        "violation(\"minor\", \"ran\")",
    );
    let sched = t.write("schedule.json", TWO_GAMES);
    let report = evaluate(mini_league(t.path()), &sched, &[t.path().join("plugins")])?;
    let season = schedule_verdict(&report, "season-ok");
    assert_eq!(season.violations[0].message, "only 2 games");
    assert!(!report.schedule.valid);
    assert!(!report.summary.valid);
    for g in &report.games {
        assert_eq!(verdict(g, "per-game").status, Status::Skipped);
        assert_eq!(verdict(g, "independent").status, Status::Violated);
        // The schedule-wide failure does not make each game invalid.
        assert!(g.valid);
    }
    assert_eq!(report.summary.invalid_games, 0);
    assert_eq!(report.summary.hard_violations, 1);
    Ok(())
}

#[test]
fn skipped_verdicts_do_not_count_in_the_score() -> TestResult {
    let t = TempTree::new();
    // gate passes on g2; `after` is skipped on g1 and fails on g2.
    gate_and_dependent(
        &t,
        "hard",
        "if game.id == \"g1\" { violation(\"critical\", \"closed\") } else { pass() }",
    );
    let sched = t.write("schedule.json", TWO_GAMES);
    let report = evaluate(mini_league(t.path()), &sched, &[t.path().join("plugins")])?;
    // g1: only the gate counts (score 0). g2: gate 1 and after 0, same weight.
    assert_eq!(game(&report, "g1").score, 0.0);
    assert_eq!(game(&report, "g2").score, 0.5);
    // Overall: three counted verdicts of equal weight, one passed.
    assert!(
        (report.summary.score - 1.0 / 3.0).abs() < 1e-9,
        "{}",
        report.summary.score
    );
    Ok(())
}

// ---- the `constraints` command ----------------------------------------------

const LEAGUE: &str = "examples/leagues/pacific-atlantic";

#[test]
fn constraints_lists_ids_levels_depth_and_bottlenecks() -> TestResult {
    let out = umpire()
        .args(["constraints", "--league", LEAGUE])
        .output()?;
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout)?;
    assert!(text.starts_with("10 constraints from "), "{text}");
    for id in [
        "home-away-balance",
        "local-kickoff-window",
        "max-consecutive-away",
        "min-rest-days",
        "rivalry-on-weekend",
        "home-venue",
        "tv-window-fit",
        "venue-availability",
        "venue-double-booking",
        "broadcast-share",
    ] {
        assert!(
            text.lines().any(|l| l.trim_start().starts_with(id)),
            "{id} missing:\n{text}"
        );
    }
    let level = |n: u32| -> BTreeSet<String> {
        let prefix = format!("  {n}: ");
        text.lines()
            .find_map(|l| l.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no level {n} in:\n{text}"))
            .split(", ")
            .map(String::from)
            .collect()
    };
    let set = |ids: &[&str]| ids.iter().map(|s| s.to_string()).collect::<BTreeSet<_>>();
    assert_eq!(
        level(1),
        set(&[
            "broadcast-share",
            "home-away-balance",
            "home-venue",
            "local-kickoff-window",
            "min-rest-days",
            "rivalry-on-weekend",
            "venue-availability",
            "venue-double-booking"
        ])
    );
    assert_eq!(level(2), set(&["tv-window-fit", "max-consecutive-away"]));
    assert!(!text.contains("\n  3: "), "only two levels:\n{text}");
    assert!(text.contains("max depth: 2"), "{text}");
    let after = text
        .split_once("bottlenecks")
        .ok_or("bottlenecks section")?
        .1;
    let rows: Vec<&str> = after
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .collect();
    assert_eq!(rows.len(), 2, "{after}");
    // Ties in order of id.
    assert!(
        rows[0].trim_start().starts_with("min-rest-days")
            && rows[0].contains("1 transitive dependent"),
        "{after}"
    );
    assert!(
        rows[1].trim_start().starts_with("venue-availability")
            && rows[1].contains("1 transitive dependent"),
        "{after}"
    );
    Ok(())
}

#[test]
fn constraints_graph_dot_has_an_edge_from_dependency_to_dependent() -> TestResult {
    let out = umpire()
        .args(["constraints", "--league", LEAGUE, "--graph", "dot"])
        .output()?;
    assert_eq!(out.status.code(), Some(0));
    let dot = String::from_utf8(out.stdout)?;
    assert!(dot.starts_with("digraph "), "{dot}");
    assert!(dot.trim_end().ends_with('}'), "{dot}");
    let edges: BTreeSet<&str> = dot
        .lines()
        .map(str::trim)
        .filter(|l| l.contains("->"))
        .collect();
    assert_eq!(
        edges,
        BTreeSet::from([
            "\"venue-availability\" -> \"tv-window-fit\";",
            "\"min-rest-days\" -> \"max-consecutive-away\";",
        ])
    );
    // One node line per constraint.
    assert_eq!(
        dot.lines().filter(|l| l.contains("[shape=")).count(),
        10,
        "{dot}"
    );
    Ok(())
}

#[test]
fn constraints_json_parses_with_levels_and_bottlenecks() -> TestResult {
    let out = umpire()
        .args(["constraints", "--league", LEAGUE, "--format", "json"])
        .output()?;
    assert_eq!(out.status.code(), Some(0));
    let value: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(value["constraints"].as_array().map(Vec::len), Some(10));
    assert_eq!(value["max_depth"], 2);
    assert_eq!(value["levels"].as_array().map(Vec::len), Some(2));
    assert_eq!(value["levels"][1].as_array().map(Vec::len), Some(2));
    assert_eq!(value["bottlenecks"][1]["id"], "venue-availability");
    assert_eq!(value["bottlenecks"][1]["transitive_dependents"], 1);
    let tv = value["constraints"]
        .as_array()
        .and_then(|cs| cs.iter().find(|c| c["id"] == "tv-window-fit"))
        .ok_or("tv-window-fit")?;
    assert_eq!(tv["depends_on"], serde_json::json!(["venue-availability"]));
    assert_eq!(tv["hardness"], "hard");
    assert_eq!(tv["timeout"], 50);
    Ok(())
}

#[test]
fn constraints_takes_plugin_directories_directly() -> TestResult {
    let t = TempTree::new();
    t.rule("solo", "game", "soft", "", "pass()");
    let out = umpire()
        .args(["constraints", "--plugins"])
        .arg(t.path().join("plugins"))
        .output()?;
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout)?;
    assert!(text.starts_with("1 constraints from "), "{text}");
    assert!(text.contains("max depth: 1"), "{text}");
    assert!(text.contains("bottlenecks: none"), "{text}");
    Ok(())
}

#[test]
fn constraints_without_any_directory_is_an_input_error() {
    umpire().arg("constraints").assert().code(2);
}

#[test]
fn constraints_reports_a_cycle_as_an_input_error() -> TestResult {
    let t = TempTree::new();
    t.rule("a", "game", "hard", "depends_on = [\"b\"]", "pass()");
    t.rule("b", "game", "hard", "depends_on = [\"a\"]", "pass()");
    let out = umpire()
        .args(["constraints", "--plugins"])
        .arg(t.path().join("plugins"))
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("a -> b -> a"));
    Ok(())
}
