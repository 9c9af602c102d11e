//! The example league end to end through the real binary: exit code, JSON
//! totals, exactly the faults FAULTS.md lists, validity, skips, and the text
//! report.

use std::collections::BTreeSet;

use serde_json::Value;

use crate::support::{TestResult, umpire};

const LEAGUE: &str = "examples/leagues/pacific-atlantic";

/// Runs `umpire eval` on the example league as JSON; checks it exits 1.
fn eval_json() -> Result<Value, Box<dyn std::error::Error>> {
    let out = umpire()
        .args(["eval", "--league", LEAGUE, "--format", "json"])
        .output()?;
    assert_eq!(
        out.status.code(),
        Some(1),
        "the example season has hard violations; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Ok(serde_json::from_slice(&out.stdout)?)
}

fn str_of(v: &Value) -> &str {
    v.as_str()
        .unwrap_or_else(|| panic!("expected a string, got {v}"))
}

#[test]
fn eval_exits_1_and_totals_match_the_planted_faults() -> TestResult {
    let report = eval_json()?;
    let s = &report["summary"];
    assert_eq!(s["valid"], false);
    assert_eq!(s["games"], 240);
    assert_eq!(s["constraints"], 10);
    assert_eq!(s["hard_violations"], 5);
    assert_eq!(s["soft_violations"], 3);
    assert_eq!(s["preference_violations"], 2);
    assert_eq!(s["invalid_games"], 5);
    assert_eq!(s["errors"], 0);
    assert_eq!(s["timeouts"], 0);
    // R08-CHI-PHI skips tv-window-fit (it depends on venue-availability),
    // R14-PHX-SLC skips max-consecutive-away (on min-rest-days).
    assert_eq!(s["skipped"], 2);
    // One call per game per game-scoped rule (5 Rhai, 2 WebAssembly) and
    // one per schedule-scoped rule (one of each).
    assert_eq!(s["evaluations"], 240 * 8 + 2);
    assert!(s["elapsed_ms"].as_f64().is_some_and(|ms| ms >= 0.0), "{s}");
    let score = s["score"].as_f64().ok_or("score is a number")?;
    assert!(score > 0.0 && score < 1.0, "score {score}");
    assert_eq!(report["games"].as_array().map(Vec::len), Some(240));
    Ok(())
}

#[test]
fn violated_constraint_game_pairs_are_exactly_those_in_faults_md() -> TestResult {
    let report = eval_json()?;
    let mut found = BTreeSet::new();
    for g in report["games"].as_array().ok_or("games")? {
        for v in g["verdicts"].as_array().ok_or("verdicts")? {
            if v["status"] == "violated" {
                found.insert((
                    str_of(&v["constraint"]).to_owned(),
                    str_of(&g["game"]).to_owned(),
                ));
            }
        }
    }
    let expected: BTreeSet<(String, String)> = [
        ("venue-availability", "R08-CHI-PHI"),
        ("min-rest-days", "R14-PHX-SLC"),
        ("tv-window-fit", "R06-LAC-VAN"),
        ("max-consecutive-away", "R16-PHX-CHI"),
        ("venue-double-booking", "R25-LAC-SLC"),
        ("venue-double-booking", "R25-SEA-DAL"),
        ("local-kickoff-window", "R20-ATL-VAN"),
        ("rivalry-on-weekend", "R27-DEN-SLC"),
    ]
    .into_iter()
    .map(|(c, g)| (c.to_owned(), g.to_owned()))
    .collect();
    assert_eq!(found, expected);

    // Schedule-wide: home-away-balance (Rhai) touches exactly CHI and DEN;
    // broadcast-share (WebAssembly) passes.
    let verdicts = report["schedule"]["verdicts"]
        .as_array()
        .ok_or("schedule verdicts")?;
    assert_eq!(verdicts.len(), 2);
    let share = verdicts
        .iter()
        .find(|v| v["constraint"] == "broadcast-share")
        .ok_or("broadcast-share verdict")?;
    assert_eq!(share["status"], "passed", "{share}");
    let balance = verdicts
        .iter()
        .find(|v| v["constraint"] == "home-away-balance")
        .ok_or("home-away-balance verdict")?;
    assert_eq!(balance["constraint"], "home-away-balance");
    assert_eq!(balance["status"], "violated");
    assert_eq!(
        report["schedule"]["valid"], true,
        "a soft rule cannot invalidate"
    );
    let mut teams = BTreeSet::new();
    for v in balance["violations"].as_array().ok_or("violations")? {
        for e in v["entities"].as_array().ok_or("entities")? {
            assert_eq!(e["kind"], "team");
            teams.insert(str_of(&e["id"]).to_owned());
        }
    }
    assert_eq!(teams, BTreeSet::from(["CHI".to_owned(), "DEN".to_owned()]));
    Ok(())
}

#[test]
fn each_fault_touches_the_team_or_game_faults_md_names() -> TestResult {
    let report = eval_json()?;
    let games = report["games"].as_array().ok_or("games")?;
    let violations = |game: &str, constraint: &str| -> Vec<Value> {
        let g = games
            .iter()
            .find(|g| g["game"] == game)
            .expect("game present");
        let v = g["verdicts"]
            .as_array()
            .expect("verdicts")
            .iter()
            .find(|v| v["constraint"] == constraint)
            .expect("verdict present");
        v["violations"].as_array().cloned().unwrap_or_default()
    };
    let has = |v: &Value, kind: &str, id: &str| {
        v["entities"]
            .as_array()
            .is_some_and(|es| es.iter().any(|e| e["kind"] == kind && e["id"] == id))
    };

    // Only PHX is short of rest (SLC had exactly 2 days), against R13-DEN-PHX.
    let rest = violations("R14-PHX-SLC", "min-rest-days");
    assert_eq!(rest.len(), 1, "{rest:?}");
    assert!(
        has(&rest[0], "team", "PHX") && !has(&rest[0], "team", "SLC"),
        "{rest:?}"
    );
    assert!(has(&rest[0], "game", "R13-DEN-PHX"), "{rest:?}");

    let away = violations("R16-PHX-CHI", "max-consecutive-away");
    assert_eq!(away.len(), 1);
    assert!(has(&away[0], "team", "CHI"), "{away:?}");

    let blackout = violations("R08-CHI-PHI", "venue-availability");
    assert_eq!(blackout.len(), 1);
    assert!(
        has(&blackout[0], "venue", "north-branch-stadium"),
        "{blackout:?}"
    );
    assert_eq!(blackout[0]["severity"], "critical");

    for (game, other) in [
        ("R25-LAC-SLC", "R25-SEA-DAL"),
        ("R25-SEA-DAL", "R25-LAC-SLC"),
    ] {
        let double = violations(game, "venue-double-booking");
        assert_eq!(double.len(), 1);
        assert!(has(&double[0], "venue", "cascade-park"), "{double:?}");
        let message = str_of(&double[0]["message"]);
        assert!(message.contains(other), "{message}");
    }

    let tv = violations("R06-LAC-VAN", "tv-window-fit");
    assert_eq!(tv.len(), 1);
    assert!(has(&tv[0], "tv_window", "sat-prime"), "{tv:?}");
    Ok(())
}

#[test]
fn exactly_the_games_with_a_hard_violation_are_invalid() -> TestResult {
    let report = eval_json()?;
    let mut invalid = BTreeSet::new();
    for g in report["games"].as_array().ok_or("games")? {
        let hard_violation = g["verdicts"].as_array().ok_or("verdicts")?.iter().any(|v| {
            v["hardness"] == "hard" && v["violations"].as_array().is_some_and(|vs| !vs.is_empty())
        });
        assert_eq!(g["valid"], !hard_violation, "game {}", g["game"]);
        if g["valid"] == false {
            invalid.insert(str_of(&g["game"]).to_owned());
        }
    }
    let expected: BTreeSet<String> = [
        "R06-LAC-VAN",
        "R08-CHI-PHI",
        "R14-PHX-SLC",
        "R25-LAC-SLC",
        "R25-SEA-DAL",
    ]
    .into_iter()
    .map(String::from)
    .collect();
    assert_eq!(invalid, expected);
    Ok(())
}

#[test]
fn dependents_of_a_failed_hard_constraint_are_skipped_and_only_those() -> TestResult {
    let report = eval_json()?;
    let mut skipped = BTreeSet::new();
    for g in report["games"].as_array().ok_or("games")? {
        for v in g["verdicts"].as_array().ok_or("verdicts")? {
            if v["status"] == "skipped" {
                let message = str_of(&v["message"]);
                skipped.insert((
                    str_of(&g["game"]).to_owned(),
                    str_of(&v["constraint"]).to_owned(),
                ));
                let dep = match str_of(&v["constraint"]) {
                    "tv-window-fit" => "venue-availability",
                    "max-consecutive-away" => "min-rest-days",
                    other => panic!("{other} has no dependency but was skipped"),
                };
                assert!(message.contains(dep), "{message}");
                assert!(v["violations"].as_array().is_none_or(Vec::is_empty));
            }
        }
    }
    let expected: BTreeSet<(String, String)> = [
        ("R08-CHI-PHI", "tv-window-fit"),
        ("R14-PHX-SLC", "max-consecutive-away"),
    ]
    .into_iter()
    .map(|(g, c)| (g.to_owned(), c.to_owned()))
    .collect();
    assert_eq!(skipped, expected);
    Ok(())
}

/// Replaces the elapsed time on the summary line ("· 200.8 ms") with `[ms]`.
fn redact_elapsed(text: &str) -> String {
    text.lines()
        .map(|line| {
            if line.starts_with("summary:") && line.ends_with(" ms") {
                let cut = line.rfind(" · ").expect("the summary line has parts");
                format!("{} · [ms]", &line[..cut])
            } else {
                line.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn text_report_reads_like_compiler_diagnostics() -> TestResult {
    let out = umpire().args(["eval", "--league", LEAGUE]).output()?;
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8(out.stdout)?;
    assert!(
        !text.contains('\u{1b}'),
        "no colour when stdout is not a terminal"
    );
    for needle in [
        "error[venue-availability]: ",
        "error[min-rest-days]: ",
        "error[tv-window-fit]: ",
        "error[venue-double-booking]: ",
        "warning[max-consecutive-away]: ",
        "warning[home-away-balance]: ",
        "note[local-kickoff-window]: ",
        "note[rivalry-on-weekend]: ",
        "  --> R08-CHI-PHI",
        "   = help: ",
        "summary: 240 games · 10 constraints",
        "invalid: 5 hard violations",
    ] {
        assert!(text.contains(needle), "missing {needle:?} in:\n{text}");
    }
    // Ten violations, ten diagnostics.
    assert_eq!(text.matches("  --> ").count(), 10, "{text}");
    insta::assert_snapshot!("example_league_text_report", redact_elapsed(&text));
    Ok(())
}
