//! Circuit breakers in an evaluation: a rule that keeps failing stops being
//! called, its manifest's fallback answers, and it recovers through probes.

use std::sync::Arc;
use std::time::Duration;

use umpire::{
    Evaluator, Registry, Report, Schedule, Status, breaker::BreakerConfig, breaker::BreakerState,
};

use crate::support::{TempTree, TestResult, mini_league};

/// `n` games on consecutive days, round i on day i.
fn schedule_json(n: u32) -> String {
    let games: Vec<String> = (1..=n)
        .map(|i| {
            let (home, away) = if i % 2 == 0 { ("NYR", "LAS") } else { ("CHW", "PHX") };
            let day = jiff::civil::date(2026, 5, 1)
                .checked_add(jiff::Span::new().days(i64::from(i)))
                .expect("a date");
            format!(
                r#"{{"id": "G{i:02}", "round": {i}, "home": "{home}", "away": "{away}", "start": "{day}T19:00"}}"#
            )
        })
        .collect();
    format!(r#"{{"games": [{}]}}"#, games.join(","))
}

fn config(open_for: Duration) -> BreakerConfig {
    BreakerConfig {
        window: Duration::from_secs(600),
        min_calls: 5,
        failure_rate: 0.5,
        open_for,
        probes: 2,
    }
}

fn run(
    t: &TempTree,
    games: u32,
    config: BreakerConfig,
) -> Result<(Report, Evaluator), umpire::Error> {
    let league = mini_league(t.path());
    let path = t.write("schedule.json", &schedule_json(games));
    let schedule = Schedule::load(&path, &league)?;
    let registry = Registry::load(&[t.path().join("plugins")])?;
    let evaluator = Evaluator::new(Arc::new(league), Arc::new(registry)).with_breakers(config);
    let report = evaluator.evaluate(&Arc::new(schedule));
    Ok((report, evaluator))
}

fn statuses(report: &Report, id: &str) -> Vec<Status> {
    report
        .games
        .iter()
        .map(|g| crate::support::verdict(g, id).status)
        .collect()
}

#[test]
fn a_failing_rule_opens_its_breaker_and_each_fallback_answers() -> TestResult {
    let t = TempTree::new();
    for (id, fallback) in [
        ("down-pass", "pass"),
        ("down-fail", "fail"),
        ("down-skip", "skip"),
    ] {
        t.rule(
            id,
            "game",
            "hard",
            &format!("fallback = \"{fallback}\""),
            "throw \"the service behind this rule is down\"",
        );
    }
    let (report, evaluator) = run(&t, 30, config(Duration::from_secs(3600)))?;
    for id in ["down-pass", "down-fail", "down-skip"] {
        let s = statuses(&report, id);
        assert!(s[..5].iter().all(|&s| s == Status::Error), "{id}: {s:?}");
        assert!(s[5..].iter().all(|&s| s == Status::Fallback), "{id}: {s:?}");
    }
    assert_eq!(report.summary.errors, 15);
    assert_eq!(report.summary.fallbacks, 75);
    let g = crate::support::game(&report, "G20");
    let pass = crate::support::verdict(g, "down-pass");
    assert_eq!((pass.score, pass.violations.len()), (1.0, 0));
    let message = pass.message.as_deref().unwrap_or("");
    assert!(
        message.contains("circuit open: 5 of 5 recent calls failed")
            && message.contains("its fallback answers `pass`"),
        "{message}"
    );
    let fail = crate::support::verdict(g, "down-fail");
    assert_eq!(fail.violations.len(), 1);
    assert!(
        fail.violations[0]
            .message
            .contains("its fallback is `fail`")
    );
    assert!(!g.valid, "a hard `fail` fallback invalidates the game");
    assert!(
        crate::support::verdict(g, "down-skip")
            .violations
            .is_empty()
    );
    for b in evaluator.breakers() {
        assert_eq!(b.state(), BreakerState::Open);
    }
    Ok(())
}

#[test]
fn a_breaker_probes_and_closes_when_the_rule_recovers() -> TestResult {
    let t = TempTree::new();
    t.rule(
        "flaky",
        "game",
        "soft",
        "",
        "if game.round <= 5 { throw \"not yet\" } pass()",
    );
    // Open for no time at all: the call after opening is a probe.
    let (report, evaluator) = run(&t, 20, config(Duration::ZERO))?;
    let s = statuses(&report, "flaky");
    assert!(s[..5].iter().all(|&s| s == Status::Error), "{s:?}");
    assert!(s[5..].iter().all(|&s| s == Status::Passed), "{s:?}");
    assert_eq!(report.summary.fallbacks, 0);
    assert_eq!(evaluator.breakers()[0].state(), BreakerState::Closed);
    Ok(())
}

#[test]
fn timeouts_count_as_failures() -> TestResult {
    // The hostile WebAssembly loop: it never returns, so only the deadline
    // stops it (a Rhai loop would hit its operation limit first).
    let t = TempTree::new();
    t.stuck("plugins", 10)?;
    let (report, _) = run(&t, 12, config(Duration::from_secs(3600)))?;
    let s = statuses(&report, "infinite-loop");
    assert!(s[..5].iter().all(|&s| s == Status::Timeout), "{s:?}");
    assert!(s[5..].iter().all(|&s| s == Status::Fallback), "{s:?}");
    assert_eq!(report.summary.timeouts, 5);
    Ok(())
}
