//! Properties over random small schedules, run through the example plugins:
//! validity is exactly "no hard violation", totals add up, and a dependent
//! is skipped exactly when a hard rule it depends on did not pass.

use std::sync::Arc;

use proptest::prelude::*;
use proptest::test_runner::FileFailurePersistence;
use umpire::{
    Evaluator, League, Registry, Report, Schedule, Status, model::GameSpec, model::Hardness,
    model::ScheduleSpec,
};

use crate::support::{MINI_LEAGUE, example_plugins};

const TEAMS: [&str; 4] = ["NYR", "LAS", "CHW", "PHX"];
const VENUES: [&str; 4] = ["hudson", "palms", "lakefront", "desert"];

fn evaluator() -> Evaluator {
    let league =
        League::from_toml_str(std::path::Path::new("mini/league.toml"), MINI_LEAGUE).unwrap();
    let registry = Registry::load(&example_plugins()).unwrap();
    Evaluator::new(Arc::new(league), Arc::new(registry))
}

/// A random game: home and away team indexes, day offset, hour, venue
/// override and TV window, as indexes into the tables above.
type RandomGame = (usize, usize, u32, u32, Option<usize>, Option<usize>);

/// One random game: two different teams, a day in March-April 2026 (the
/// hudson blackout is 04-01..04-03), an hour, maybe another venue, maybe TV.
fn game_strategy() -> impl Strategy<Value = RandomGame> {
    (
        0..4usize,
        1..4usize,
        0..45u32,
        9..23u32,
        proptest::option::of(0..4usize),
        proptest::option::weighted(0.3, 0..2usize),
    )
        .prop_map(|(home, shift, day, hour, venue, tv)| {
            (home, (home + shift) % 4, day, hour, venue, tv)
        })
}

fn schedule_of(league: &League, games: &[RandomGame]) -> Schedule {
    let start = jiff::civil::date(2026, 3, 1);
    let games = games
        .iter()
        .enumerate()
        .map(|(i, &(home, away, day, hour, venue, tv))| GameSpec {
            id: format!("g{i}"),
            round: None,
            home: TEAMS[home].into(),
            away: TEAMS[away].into(),
            venue: venue.map(|v| VENUES[v].into()),
            start: format!(
                "{}T{hour:02}:00",
                start + jiff::Span::new().days(i64::from(day))
            ),
            end: None,
            tv: tv.map(|w| ["sat-prime", "weekend"][w].into()),
            tags: vec![],
        })
        .collect();
    Schedule::from_spec(
        std::path::Path::new("random.json"),
        ScheduleSpec { games },
        league,
    )
    .unwrap()
}

fn check(report: &Report) -> Result<(), TestCaseError> {
    let mut hard_violations = 0;
    let mut invalid_games = 0;
    for g in &report.games {
        let hard_violated = g
            .verdicts
            .iter()
            .any(|v| v.hardness == Hardness::Hard && !v.violations.is_empty());
        prop_assert_eq!(g.valid, !hard_violated, "game {}", g.game);
        invalid_games += usize::from(!g.valid);
        for v in &g.verdicts {
            prop_assert_eq!(
                v.status == Status::Violated,
                !v.violations.is_empty(),
                "{:?}",
                v
            );
            prop_assert!((0.0..=1.0).contains(&v.score));
            if v.hardness == Hardness::Hard {
                hard_violations += v.violations.len();
            }
        }
        let status = |id: &str| {
            g.verdicts
                .iter()
                .find(|v| &*v.constraint == id)
                .map(|v| v.status)
        };
        let blackout_failed = status("venue-availability") != Some(Status::Passed);
        let rest_failed = status("min-rest-days") != Some(Status::Passed);
        prop_assert_eq!(
            status("tv-window-fit") == Some(Status::Skipped),
            blackout_failed
        );
        prop_assert_ne!(status("local-kickoff-window"), Some(Status::Skipped));
        prop_assert_eq!(
            status("max-consecutive-away") == Some(Status::Skipped),
            rest_failed
        );
    }
    for v in &report.schedule.verdicts {
        if v.hardness == Hardness::Hard {
            hard_violations += v.violations.len();
        }
    }
    let s = &report.summary;
    prop_assert_eq!(s.hard_violations, hard_violations);
    prop_assert_eq!(s.invalid_games, invalid_games);
    prop_assert_eq!(s.valid, hard_violations == 0);
    prop_assert_eq!(s.errors, 0);
    prop_assert_eq!(s.games, report.games.len());
    Ok(())
}

#[test]
fn a_game_is_valid_exactly_when_no_hard_rule_reports_a_violation() {
    // Built once (the plugins are compiled once), used by every case.
    let evaluator = evaluator();
    // Failing cases are saved next to this file, in proptest-regressions/.
    let config = ProptestConfig {
        cases: 32,
        failure_persistence: Some(Box::new(FileFailurePersistence::WithSource(
            "proptest-regressions",
        ))),
        ..ProptestConfig::default()
    };
    proptest!(config, |(games in proptest::collection::vec(game_strategy(), 1..14))| {
        let schedule = Arc::new(schedule_of(evaluator.league(), &games));
        let report = evaluator.evaluate(&schedule);
        prop_assert_eq!(report.games.len(), games.len());
        check(&report)?;
    });
}
