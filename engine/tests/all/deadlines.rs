//! Request and game deadlines cancel what is left; fail-fast stops a game at
//! its first hard violation.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use umpire::{Evaluator, Registry, Report, Schedule, exec::Deadlines};

use crate::support::{TempTree, TestResult, mini_league, umpire};

/// `n` games on consecutive days.
fn schedule_json(n: u32) -> String {
    let games: Vec<String> = (1..=n)
        .map(|i| {
            let day = jiff::civil::date(2026, 6, 1)
                .checked_add(jiff::Span::new().days(i64::from(i)))
                .expect("a date");
            format!(r#"{{"id": "G{i:02}", "home": "LAS", "away": "CHW", "start": "{day}T19:00"}}"#)
        })
        .collect();
    format!(r#"{{"games": [{}]}}"#, games.join(","))
}

/// A plugin directory with the hostile WebAssembly loop (its own deadline
/// one second, soft) and a Rhai rule that runs after it.
fn stuck_rules(t: &TempTree) -> Result<(), umpire::Error> {
    t.stuck("plugins", 1000)?;
    t.rule(
        "after",
        "game",
        "soft",
        "depends_on = [\"infinite-loop\"]",
        "pass()",
    );
    Ok(())
}

fn run(t: &TempTree, games: u32, deadlines: Deadlines) -> Result<Report, umpire::Error> {
    let league = mini_league(t.path());
    let path = t.write("schedule.json", &schedule_json(games));
    let schedule = Schedule::load(&path, &league)?;
    let registry = Registry::load(&[t.path().join("plugins")])?;
    let evaluator = Evaluator::new(Arc::new(league), Arc::new(registry))
        .with_workers(2)
        .with_deadlines(deadlines);
    Ok(evaluator.evaluate(&Arc::new(schedule)))
}

fn messages(report: &Report, id: &str) -> Vec<String> {
    report
        .games
        .iter()
        .map(|g| {
            let v = crate::support::verdict(g, id);
            format!(
                "{}: {}",
                v.status.as_str(),
                v.message.as_deref().unwrap_or("")
            )
        })
        .collect()
}

#[test]
fn a_request_deadline_cancels_the_remaining_work() -> TestResult {
    let t = TempTree::new();
    stuck_rules(&t)?;
    // Without the deadline: 20 games × 1 s each.
    let report = run(
        &t,
        20,
        Deadlines {
            request: Some(Duration::from_millis(100)),
            ..Deadlines::default()
        },
    )?;
    assert!(
        report.summary.elapsed_ms < 5_000.0,
        "cancelled work still ran: {} ms",
        report.summary.elapsed_ms
    );
    let loops = messages(&report, "infinite-loop");
    assert!(
        loops.iter().any(|m| m.contains("cut short after")),
        "{loops:?}"
    );
    let not_run = loops
        .iter()
        .filter(|m| *m == "timeout: not run: the request's deadline had passed")
        .count();
    assert!(not_run >= 17, "{loops:?}");
    for m in messages(&report, "after") {
        assert!(
            m == "passed: " || m == "timeout: not run: the request's deadline had passed",
            "{m}"
        );
    }
    Ok(())
}

#[test]
fn a_game_deadline_cuts_each_game_short_and_the_rest_of_it_is_not_run() -> TestResult {
    let t = TempTree::new();
    stuck_rules(&t)?;
    let report = run(
        &t,
        4,
        Deadlines {
            game: Some(Duration::from_millis(30)),
            ..Deadlines::default()
        },
    )?;
    for m in messages(&report, "infinite-loop") {
        assert!(
            m.starts_with("timeout: ") && m.contains("cut short after"),
            "{m}"
        );
    }
    for m in messages(&report, "after") {
        assert_eq!(m, "timeout: not run: the game's deadline had passed");
    }
    Ok(())
}

#[test]
fn fail_fast_skips_the_rest_of_a_game_after_a_hard_violation() -> TestResult {
    let out = umpire()
        .args([
            "eval",
            "--format",
            "json",
            "--fail-fast",
            "--league",
            "examples/leagues/pacific-atlantic",
        ])
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let report: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["summary"]["hard_violations"], 5);
    let mut stopped = 0;
    for g in report["games"].as_array().ok_or("games")? {
        let verdicts = g["verdicts"].as_array().ok_or("verdicts")?;
        let first_hard = verdicts.iter().position(|v| {
            v["hardness"] == "hard" && v["violations"].as_array().is_some_and(|vs| !vs.is_empty())
        });
        let Some(first) = first_hard else { continue };
        let first_id = verdicts[first]["constraint"].as_str().unwrap_or("");
        for v in &verdicts[first + 1..] {
            assert_eq!(v["status"], "skipped", "{v}");
            let message = v["message"].as_str().unwrap_or("");
            assert_eq!(
                message,
                format!(
                    "skipped: fail-fast stopped this game at the hard violation of `{first_id}`"
                )
            );
            stopped += 1;
        }
    }
    assert!(
        stopped > 0,
        "some game had constraints after its hard violation"
    );
    Ok(())
}
