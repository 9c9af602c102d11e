//! The verdict cache never serves a verdict that a fresh evaluation would not
//! give: after any edit of the schedule, the cached evaluation equals the
//! uncached one; and after moving one game, most verdicts come from the
//! cache.

use std::sync::Arc;

use proptest::prelude::*;
use umpire::{
    Evaluator, Registry, Report, Schedule, cache::CacheConfig, cache::VerdictCache,
    model::ScheduleSpec,
};

use crate::support::{
    TempTree, TestResult, calls_of, comparable, example_season, mini_league, move_game,
    schedule_of, shift_game,
};

/// What a key of the shared cache is made of, for the example league as
/// one load sees it: each constraint's content, the league's fingerprint,
/// each game's and the schedule's.
type Keys = (Vec<(String, u64)>, u64, Vec<u64>, u64);

fn example_keys() -> Keys {
    let (league, spec, registry) = example_season();
    let schedule = schedule_of(&league, &spec);
    let constraints = registry
        .constraints()
        .iter()
        .map(|c| (c.id().to_string(), c.content_hash()))
        .collect();
    let games = (0..schedule.len())
        .filter_map(|i| schedule.fingerprint_at(i))
        .collect();
    (
        constraints,
        league.fingerprint(),
        games,
        schedule.fingerprint(),
    )
}

/// Keys go to Redis and are read back by other processes: loading the same
/// league, schedule and plugins again gives the same keys (and the tests in
/// `umpire_model::fingerprint` pin the algorithm, so another build does too).
#[test]
fn the_example_league_has_the_same_cache_keys_on_every_load() {
    let first = example_keys();
    assert_eq!(first, example_keys());
    let (constraints, _, games, _) = &first;
    let distinct = |v: Vec<u64>| v.iter().collect::<std::collections::BTreeSet<_>>().len();
    assert_eq!(
        distinct(games.clone()),
        games.len(),
        "a fingerprint per game"
    );
    assert_eq!(
        distinct(constraints.iter().map(|(_, c)| *c).collect()),
        constraints.len(),
        "a content hash per constraint"
    );
}

#[test]
fn moving_one_game_reuses_most_verdicts_and_changes_none_wrongly() -> TestResult {
    let (league, mut spec, registry) = example_season();
    let cache = Arc::new(VerdictCache::new(&CacheConfig::default())?);
    let cached = Evaluator::new(league.clone(), registry.clone()).with_cache(cache.clone());
    let fresh = Evaluator::new(league.clone(), registry.clone());

    let cold = cached.evaluate(&schedule_of(&league, &spec));
    let after_cold = cache.stats().l1;
    assert_eq!(after_cold.hits, 0);
    // Every call is stored; the two skipped verdicts were never calls, and
    // the two partitioned rules are asked once per team.
    let calls = |r: &Report| calls_of(r, &league, &registry);
    assert_eq!(after_cold.inserts, calls(&cold));

    // R14-PHX-SLC, the short-rest fault, moves a day later: rested enough.
    let i = spec
        .games
        .iter()
        .position(|g| g.id == "R14-PHX-SLC")
        .ok_or("no such game")?;
    move_game(&mut spec, i, 1);
    let edited = schedule_of(&league, &spec);
    let warm = cached.evaluate(&edited);
    assert_eq!(
        comparable(warm.clone()),
        comparable(fresh.evaluate(&edited))
    );
    assert_eq!(
        warm.summary.hard_violations,
        cold.summary.hard_violations - 1
    );

    let l1 = cache.stats().l1;
    let (hits, misses) = (l1.hits - after_cold.hits, l1.misses - after_cold.misses);
    assert_eq!(hits + misses, calls(&warm));
    // The moved game, its neighbours in both teams' runs, the games on the
    // two days, and the schedule-scoped rules: a few dozen calls of ~1,900.
    assert!(misses < 60, "{misses} misses, {hits} hits");
    assert!(
        l1.stale > 0,
        "entries of the touched games were found but not served"
    );
    let report = warm
        .cache
        .ok_or("the report carries the cache's counters")?;
    assert_eq!(report.l1.hits, l1.hits);
    Ok(())
}

#[test]
fn a_changed_param_or_an_uncacheable_rule_is_never_served_from_the_cache() -> TestResult {
    let t = TempTree::new();
    let league = Arc::new(mini_league(t.path()));
    let path = t.write(
        "schedule.json",
        r#"{"games": [{"id": "G1", "home": "NYR", "away": "LAS", "start": "2026-06-06T19:00"}]}"#,
    );
    let schedule = Arc::new(Schedule::load(&path, &league)?);
    let cache = Arc::new(VerdictCache::new(&CacheConfig::default())?);
    let rule = |limit: u32, extra: &str| -> Result<Arc<Registry>, umpire::Error> {
        t.rule(
            "limit",
            "game",
            "soft",
            &format!("{extra}\n[params]\nlimit = {limit}"),
            "if params.limit > 1 { violation(\"minor\", `limit ${params.limit}`) } else { pass() }",
        );
        Ok(Arc::new(Registry::load(&[t.path().join("plugins")])?))
    };
    let verdict = |registry: Arc<Registry>| {
        let e = Evaluator::new(league.clone(), registry).with_cache(cache.clone());
        let r = e.evaluate(&schedule);
        r.games[0].verdicts[0]
            .violations
            .first()
            .map(|v| v.message.clone())
    };
    assert_eq!(verdict(rule(2, "")?), Some("limit 2".into()));
    assert_eq!(verdict(rule(2, "")?), Some("limit 2".into()));
    assert_eq!(cache.stats().l1.hits, 1);
    // New params: a new key, not the old verdict.
    assert_eq!(verdict(rule(3, "")?), Some("limit 3".into()));
    assert_eq!(verdict(rule(1, "")?), None);
    assert_eq!(cache.stats().l1.hits, 1);
    // `cacheable = false`: never stored, never served.
    let inserts = cache.stats().l1.inserts;
    for _ in 0..2 {
        assert_eq!(
            verdict(rule(3, "cacheable = false")?),
            Some("limit 3".into())
        );
    }
    let l1 = cache.stats().l1;
    assert_eq!((l1.hits, l1.inserts), (1, inserts));
    Ok(())
}

/// One edit of a schedule.
#[derive(Debug, Clone)]
pub(crate) enum Edit {
    Move { game: usize, days: i64 },
    Hours { game: usize, hours: i64 },
    Swap { game: usize },
    Drop { game: usize },
}

pub(crate) fn edit() -> impl Strategy<Value = Edit> {
    prop_oneof![
        (0..240usize, -3..=3i64).prop_map(|(game, days)| Edit::Move { game, days }),
        (0..240usize, -4..=4i64).prop_map(|(game, hours)| Edit::Hours { game, hours }),
        (0..240usize).prop_map(|game| Edit::Swap { game }),
        (0..240usize).prop_map(|game| Edit::Drop { game }),
    ]
}

pub(crate) fn apply(spec: &mut ScheduleSpec, e: &Edit) {
    let n = spec.games.len();
    match *e {
        Edit::Move { game, days } => move_game(spec, game % n, days),
        Edit::Hours { game, hours } => shift_game(spec, game % n, jiff::Span::new().hours(hours)),
        Edit::Swap { game } => {
            let g = &mut spec.games[game % n];
            std::mem::swap(&mut g.home, &mut g.away);
            g.venue = None;
        }
        Edit::Drop { game } => {
            if n > 1 {
                spec.games.remove(game % n);
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    #[test]
    fn cached_evaluation_always_equals_uncached_evaluation(
        edits in proptest::collection::vec(proptest::collection::vec(edit(), 1..4), 1..4)
    ) {
        let (league, mut spec, registry) = example_season();
        let cache = Arc::new(VerdictCache::new(&CacheConfig::default())?);
        let cached = Evaluator::new(league.clone(), registry.clone()).with_cache(cache);
        let fresh = Evaluator::new(league.clone(), registry);
        cached.evaluate(&schedule_of(&league, &spec));
        for batch in &edits {
            for e in batch {
                apply(&mut spec, e);
            }
            let s = schedule_of(&league, &spec);
            prop_assert_eq!(comparable(cached.evaluate(&s)), comparable(fresh.evaluate(&s)));
        }
    }
}

#[test]
fn eval_reports_the_cache_layers_only_when_it_uses_the_cache() -> TestResult {
    let run = |extra: &[&str]| -> Result<serde_json::Value, Box<dyn std::error::Error>> {
        let out = crate::support::umpire()
            .args([
                "eval",
                "--format",
                "json",
                "--league",
                "examples/leagues/pacific-atlantic",
            ])
            .args(extra)
            .output()?;
        Ok(serde_json::from_slice(&out.stdout)?)
    };
    // One process, no shared layer: a cache could only cost.
    assert!(run(&[])?.get("cache").is_none());
    let cached = run(&["--cache"])?;
    let l1 = &cached["cache"]["l1"];
    // 1,918 game calls, and 16 teams for each of the two partitioned rules.
    assert_eq!(l1["inserts"], 1950);
    assert_eq!(l1["entries"], 1950);
    assert!(l1["bytes"].as_u64().unwrap_or(0) > 100_000, "{l1}");
    assert!(cached["cache"].get("l2").is_none());
    Ok(())
}
