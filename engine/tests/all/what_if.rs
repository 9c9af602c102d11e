//! What-if evaluation and candidate moves, in process: each answer is
//! compared with a full evaluation of the edited schedule by an evaluator
//! that has no cache, verdict by verdict.

use std::path::Path;
use std::sync::Arc;

use proptest::prelude::*;
use umpire::{
    Evaluator, GameEdit, GameReport, League, Registry, Report, Schedule, SchedulePatch, WhatIf,
    cache::CacheConfig, cache::VerdictCache, exec::Totals, manifests::Manifest, model::GameSpec,
    runtime::RhaiLimits,
};

use crate::support::{
    TempTree, TestResult, comparable, example_plugins, example_season, rhai_plugins, schedule_of,
};

/// One candidate move, by game index (modulo the schedule's length).
#[derive(Debug, Clone)]
enum Move {
    /// Kick off `days` and `hours` later (or earlier).
    Shift { game: usize, days: i64, hours: i64 },
    /// Home and away trade places (the venue follows the home team).
    Swap { game: usize },
    /// Play at another of the league's venues.
    Venue { game: usize, venue: usize },
    /// Trade kickoffs with another game.
    Trade { game: usize, other: usize },
    /// Broadcast the game in one of the league's TV windows, or in none.
    Tv { game: usize, window: Option<usize> },
    /// Drop the game.
    Remove { game: usize },
    /// A copy of a game, `days` later, as a new game.
    Add { game: usize, days: i64 },
}

fn a_move() -> impl Strategy<Value = Move> {
    let game = 0..10_000usize;
    prop_oneof![
        (game.clone(), -3..=3i64, -5..=5i64).prop_map(|(game, days, hours)| Move::Shift {
            game,
            days,
            hours
        }),
        game.clone().prop_map(|game| Move::Swap { game }),
        (game.clone(), 0..64usize).prop_map(|(game, venue)| Move::Venue { game, venue }),
        (game.clone(), game.clone()).prop_map(|(game, other)| Move::Trade { game, other }),
        (game.clone(), proptest::option::of(0..16usize))
            .prop_map(|(game, window)| Move::Tv { game, window }),
        game.clone().prop_map(|game| Move::Remove { game }),
        (game, -2..=9i64).prop_map(|(game, days)| Move::Add { game, days }),
    ]
}

impl Move {
    /// The move as an edit of `schedule`; `n` makes an added game's id new.
    fn patch(&self, schedule: &Schedule, league: &League, n: usize) -> SchedulePatch {
        let games = schedule.games();
        let at = |k: usize| &games[k % games.len()];
        let later = |g: &umpire::Game, days: i64, hours: i64| {
            g.start
                .checked_add(jiff::Span::new().days(days).hours(hours))
                .expect("a time in range")
                .to_string()
        };
        match *self {
            Move::Shift { game, days, hours } => {
                let g = at(game);
                SchedulePatch::new().editing(GameEdit::new(&*g.id).start(later(g, days, hours)))
            }
            Move::Swap { game } => {
                let g = at(game);
                let home_venue = league.team(&g.away).map(|t| t.venue.to_string());
                let mut edit = GameEdit::new(&*g.id).teams(&*g.away, &*g.home);
                if let Some(v) = home_venue {
                    edit = edit.venue(v);
                }
                SchedulePatch::new().editing(edit)
            }
            Move::Venue { game, venue } => {
                let v = &league.venues[venue % league.venues.len()];
                SchedulePatch::new().editing(GameEdit::new(&*at(game).id).venue(&*v.id))
            }
            Move::Trade { game, other } => {
                let (a, b) = (at(game), at(other));
                if a.id == b.id {
                    return SchedulePatch::new()
                        .editing(GameEdit::new(&*a.id).start(later(a, 1, 0)));
                }
                SchedulePatch::new()
                    .editing(GameEdit::new(&*a.id).start(b.start.to_string()))
                    .editing(GameEdit::new(&*b.id).start(a.start.to_string()))
            }
            Move::Tv { game, window } => {
                let edit = GameEdit::new(&*at(game).id);
                let windows = &league.tv_windows;
                SchedulePatch::new().editing(match window {
                    Some(w) if !windows.is_empty() => edit.tv(&*windows[w % windows.len()].id),
                    _ => edit.clear_tv(),
                })
            }
            Move::Remove { game } => SchedulePatch::new().removing(&*at(game).id),
            Move::Add { game, days } => {
                let g = at(game);
                SchedulePatch::new().adding(GameSpec {
                    id: format!("{}-again-{n}", g.id),
                    round: g.round,
                    home: g.home.to_string(),
                    away: g.away.to_string(),
                    venue: None,
                    start: later(g, days, 0),
                    end: None,
                    tv: None,
                    tags: Vec::new(),
                })
            }
        }
    }
}

/// A game's report without its timings.
fn untimed(mut r: GameReport) -> GameReport {
    r.verdicts.iter_mut().for_each(|v| v.elapsed_us = 0);
    r
}

/// The games whose reports differ between two full evaluations, found the
/// obvious way: in the edited schedule's order, then the removed ones.
fn differences(
    before: (&Schedule, &Report),
    after: (&Schedule, &Report),
) -> Vec<(String, Option<GameReport>)> {
    let (bs, br) = before;
    let (a_s, ar) = after;
    let mut out: Vec<_> = a_s
        .games()
        .iter()
        .zip(&ar.games)
        .filter(|(g, r)| bs.position(&g.id).is_none_or(|j| br.games[j] != **r))
        .map(|(g, r)| (g.id.to_string(), Some(r.clone())))
        .collect();
    out.extend(
        bs.games()
            .iter()
            .filter(|g| a_s.position(&g.id).is_none())
            .map(|g| (g.id.to_string(), None)),
    );
    out
}

/// What a what-if says, in the form [`differences`] gives.
fn changed_of(what: &WhatIf) -> Vec<(String, Option<GameReport>)> {
    what.changed
        .iter()
        .map(|c| (c.game.to_string(), c.report.clone().map(untimed)))
        .collect()
}

/// Walks a season through `steps`: each step's moves are scored, each
/// answer checked against a full evaluation without a cache, and the first
/// move is committed when the step says so.
fn walk(
    league: Arc<League>,
    registry: Arc<Registry>,
    schedule: Arc<Schedule>,
    steps: &[(Vec<Move>, bool)],
) -> Result<(), TestCaseError> {
    let cache = Arc::new(VerdictCache::new(&CacheConfig::default()).expect("a cache"));
    let fast = Evaluator::new(league.clone(), registry.clone()).with_cache(cache);
    let slow = Evaluator::new(league.clone(), registry);
    let mut season = fast.season(&schedule);
    let mut truth = comparable(slow.evaluate(&schedule));
    prop_assert_eq!(&comparable(season.report().clone()), &truth);
    let mut added = 0;
    for (moves, commit) in steps {
        let patches: Vec<SchedulePatch> = moves
            .iter()
            .map(|m| {
                added += 1;
                m.patch(season.schedule(), &league, added)
            })
            .collect();
        let answers = fast.score_moves(&season, &patches);
        let mut first = None;
        for (m, answer) in moves.iter().zip(answers) {
            let what = answer.map_err(|e| TestCaseError::fail(format!("{m:?}: {e}")))?;
            let full = comparable(slow.evaluate(&what.schedule));
            prop_assert_eq!(&comparable(what.report()), &full, "{:?}", m);
            prop_assert_eq!(&what.before, &Totals::from(&truth.summary));
            prop_assert_eq!(&what.after, &Totals::from(&full.summary), "{:?}", m);
            prop_assert_eq!(
                changed_of(&what),
                differences((season.schedule(), &truth), (&what.schedule, &full)),
                "{:?}",
                m
            );
            prop_assert_eq!(
                what.schedule_changed,
                truth.schedule != full.schedule,
                "{:?}",
                m
            );
            first.get_or_insert((what.schedule.clone(), full));
        }
        if let (true, Some((schedule, full))) = (commit, first) {
            season = fast.season(&schedule);
            prop_assert_eq!(&comparable(season.report().clone()), &full);
            truth = full;
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 16, ..ProptestConfig::default() })]

    #[test]
    fn every_move_of_the_example_season_scores_as_a_full_evaluation_of_it(
        steps in proptest::collection::vec(
            (proptest::collection::vec(a_move(), 1..4), any::<bool>()),
            1..5,
        )
    ) {
        let (league, spec, registry) = example_season();
        let schedule = schedule_of(&league, &spec);
        walk(league, registry, schedule, &steps)?;
    }
}

/// A generated league of 2,000 games under the example plugins.
fn big_league() -> (Arc<League>, Arc<Schedule>, Arc<Registry>, TempTree) {
    let t = TempTree::new();
    let options = umpire::generate::GenerateOptions {
        teams: 40,
        games: 2_000,
        seed: 7,
        plugins: example_plugins(),
    };
    let dir =
        umpire::generate::generate(&options, &t.path().join("big")).expect("a generated league");
    let league = League::load(&dir).expect("the generated league loads");
    let file = league.schedule_file.clone().expect("a schedule file");
    let schedule = Schedule::load(&file, &league).expect("its schedule");
    let registry = Registry::load(&league.plugin_dirs).expect("the example plugins");
    let registry = crate::support::patient(registry);
    (Arc::new(league), Arc::new(schedule), Arc::new(registry), t)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3, ..ProptestConfig::default() })]

    #[test]
    fn every_move_of_a_2000_game_season_scores_as_a_full_evaluation_of_it(
        steps in proptest::collection::vec(
            (proptest::collection::vec(a_move(), 1..3), any::<bool>()),
            1..3,
        )
    ) {
        let (league, schedule, registry, _t) = big_league();
        walk(league, registry, schedule, &steps)?;
    }
}

/// The case that opened the issue: `R02-POR-SEA` moved onto 2026-03-14, a
/// day both teams and its venue are busy, is judged with the schedule it
/// would make, and the games it disturbs are judged again.
#[test]
fn a_game_moved_onto_a_busy_day_is_judged_with_the_games_it_disturbs() -> TestResult {
    let (league, spec, registry) = example_season();
    let schedule = schedule_of(&league, &spec);
    let cache = Arc::new(VerdictCache::new(&CacheConfig::default())?);
    let evaluator = Evaluator::new(league.clone(), registry.clone()).with_cache(cache);
    let season = evaluator.season(&schedule);
    assert_eq!(season.totals().hard_violations, 5);
    let moved =
        SchedulePatch::new().editing(GameEdit::new("R02-POR-SEA").start("2026-03-14T15:30"));
    let edited = moved.apply_to(&schedule, &league, Path::new("move"))?;
    let what = evaluator.what_if(&season, Arc::new(edited));
    let report = what.report_of("R02-POR-SEA").ok_or("the moved game")?;
    assert!(!report.valid);
    let double = report
        .verdicts
        .iter()
        .find(|v| &*v.constraint == "venue-double-booking")
        .ok_or("venue-double-booking")?;
    assert_eq!(double.status, umpire::Status::Violated);
    // The other game at the venue that day is judged again, and so is the
    // season: as a full evaluation of the moved schedule says.
    let changed: Vec<&str> = what.changed.iter().map(|c| &*c.game).collect();
    assert!(changed.contains(&"R03-POR-ATL"), "{changed:?}");
    let full = Evaluator::new(league, registry).evaluate(&what.schedule);
    assert_eq!(what.after, Totals::from(&full.summary));
    assert_eq!(what.after.hard_violations, 9);
    assert_eq!(what.delta.hard_violations, 4);
    assert!(what.after.levels.ends_with("pref"), "{}", what.after.levels);
    // Nothing was committed: the season is as it was.
    assert_eq!(
        season
            .schedule()
            .game("R02-POR-SEA")
            .map(|g| g.date().to_string()),
        Some("2026-03-07".into())
    );
    Ok(())
}

/// `home-away-balance` looks at which team is at home in each of a team's
/// games and at nothing else of them: a game moved a day (its teams' games
/// stay in order) leaves every team's part standing, and the what-if asks
/// none of them again, not even the cache. Home and away swapped, the two
/// teams' parts are asked again.
#[test]
fn a_rule_that_looked_only_at_home_teams_is_not_asked_again_after_a_move_in_time() -> TestResult {
    let (league, spec, _) = example_season();
    let schedule = schedule_of(&league, &spec);
    let manifest = Manifest::load(&rhai_plugins().join("home_away_balance.toml"))?;
    let registry = Arc::new(Registry::from_manifests(
        vec![manifest],
        &RhaiLimits::default(),
    )?);
    let cache = Arc::new(VerdictCache::new(&CacheConfig::default())?);
    let fast = Evaluator::new(league.clone(), registry.clone()).with_cache(cache.clone());
    let slow = Evaluator::new(league.clone(), registry);
    let season = fast.season(&schedule);
    // Calls the cache could not answer, and verdicts stored.
    let asked = || {
        let l1 = cache.stats().l1;
        (l1.misses, l1.inserts)
    };
    let judge = |edit: GameEdit| -> Result<WhatIf, Box<dyn std::error::Error>> {
        let edited =
            SchedulePatch::new()
                .editing(edit)
                .apply_to(&schedule, &league, Path::new("move"))?;
        let what = fast.what_if(&season, Arc::new(edited));
        let full = comparable(slow.evaluate(&what.schedule));
        assert_eq!(comparable(what.report()), full);
        Ok(what)
    };

    let before = asked();
    judge(GameEdit::new("R02-POR-SEA").start("2026-03-08T15:30"))?;
    assert_eq!(asked(), before, "no part was asked again");

    let before = asked();
    let what = judge(
        GameEdit::new("R02-POR-SEA")
            .teams("SEA", "POR")
            .venue("cascade-park"),
    )?;
    let after = asked();
    assert_eq!((after.0 - before.0, after.1 - before.1), (2, 2));
    assert!(what.schedule_changed);
    Ok(())
}

#[test]
fn a_move_tried_is_kept_whole_and_found_whole_when_tried_again() -> TestResult {
    let (league, spec, registry) = example_season();
    // The game-scoped rules only: a partitioned rule's parts are stored one
    // by one, as ever.
    let game_scoped: Vec<Manifest> = (registry.manifests().into_iter())
        .filter(|m| m.scope == umpire::manifests::Scope::Game)
        .cloned()
        .collect();
    assert_eq!(game_scoped.len(), 8);
    let registry = Arc::new(Registry::from_manifests(
        game_scoped,
        &RhaiLimits::default(),
    )?);
    let schedule = schedule_of(&league, &spec);
    let cache = Arc::new(VerdictCache::new(&CacheConfig::default())?);
    let fast = Evaluator::new(league.clone(), registry.clone()).with_cache(cache.clone());
    let slow = Evaluator::new(league.clone(), registry);
    let season = fast.season(&schedule);
    let edited = Arc::new(
        SchedulePatch::new()
            .editing(GameEdit::new("R05-MTL-PHX").start("2026-04-01T18:10"))
            .apply_to(&schedule, &league, Path::new("move"))?,
    );
    let full = comparable(slow.evaluate(&edited));
    let l1 = || cache.stats().l1;

    // Tried once: the moved game's rules run, and its verdicts are kept
    // with its whole report, not one by one.
    let before = l1();
    let first = fast.what_if(&season, edited.clone());
    assert_eq!(comparable(first.report()), full);
    let after = l1();
    assert!(after.misses > before.misses, "the moved game was judged");
    assert_eq!(
        after.inserts, before.inserts,
        "no verdict stored on its own"
    );

    // Tried again: found whole, nothing judged, the same answer.
    let again = fast.what_if(&season, edited);
    assert_eq!(comparable(again.report()), full);
    let last = l1();
    assert_eq!(
        (last.misses, last.inserts),
        (after.misses, after.inserts),
        "nothing asked again"
    );
    assert!(last.hits > after.hits);
    Ok(())
}

#[test]
fn a_move_that_cannot_apply_says_which_and_why() -> TestResult {
    let (league, spec, _) = example_season();
    let schedule = schedule_of(&league, &spec);
    let refused = |p: SchedulePatch| match p.apply_to(&schedule, &league, Path::new("moves[0]")) {
        Ok(_) => Err("applied".to_owned()),
        Err(e) => Ok(e.to_string()),
    };
    let unknown = refused(SchedulePatch::new().editing(GameEdit::new("R02-POR-SEAX")))?;
    assert!(
        unknown.contains("no game `R02-POR-SEAX`") && unknown.contains("R02-POR-SEA"),
        "{unknown}"
    );
    let twice = refused(
        SchedulePatch::new()
            .editing(GameEdit::new("R02-POR-SEA").start("2026-03-08T15:30"))
            .editing(GameEdit::new("R02-POR-SEA").start("2026-03-09T15:30")),
    )?;
    assert!(
        twice.contains("edit[1] (R02-POR-SEA)") && twice.contains("named twice"),
        "{twice}"
    );
    let team =
        refused(SchedulePatch::new().editing(GameEdit::new("R02-POR-SEA").teams("POR", "NOPE")))?;
    assert!(
        team.contains("edit[0] (R02-POR-SEA).away") && team.contains("unknown team `NOPE`"),
        "{team}"
    );
    let venue =
        refused(SchedulePatch::new().editing(GameEdit::new("R02-POR-SEA").venue("nowhere")))?;
    assert!(venue.contains("unknown venue `nowhere`"), "{venue}");
    let again = refused(SchedulePatch::new().adding(GameSpec {
        id: "R02-POR-SEA".into(),
        round: None,
        home: "POR".into(),
        away: "SEA".into(),
        venue: None,
        start: "2026-09-01T19:00".into(),
        end: None,
        tv: None,
        tags: Vec::new(),
    }))?;
    assert!(
        again.contains("add[0] (R02-POR-SEA)") && again.contains("already"),
        "{again}"
    );
    Ok(())
}
