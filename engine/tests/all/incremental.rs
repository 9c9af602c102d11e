//! Incremental re-evaluation: partitioned schedule-scoped rules (asked once
//! per team or venue, and after a change only about the parts it touches),
//! and an evaluator that reuses its previous evaluation's game reports for
//! the games a change does not touch.

use std::path::PathBuf;
use std::sync::Arc;

use umpire::{
    Error, Evaluator, League, Registry, Schedule, Status, cache::CacheConfig, cache::VerdictCache,
    manifests::Manifest, manifests::Partition, runtime::RhaiLimits,
};

use crate::support::{
    TempTree, TestResult, comparable, example_season, mini_league, move_game, rhai_plugins,
    schedule_of, schedule_verdict, wasm_plugins,
};

/// Three games of the mini league: NYR hosts twice, LAS travels twice.
const SCHEDULE: &str = r#"{"games": [
    {"id": "G1", "home": "NYR", "away": "LAS", "start": "2026-06-06T19:00"},
    {"id": "G2", "home": "NYR", "away": "CHW", "start": "2026-06-13T19:00"},
    {"id": "G3", "home": "PHX", "away": "LAS", "start": "2026-06-20T19:00"}
]}"#;

/// Each team's home games minus away games, as one violation per team
/// that is off by more than `params.most`.
const PER_TEAM: &str = r#"
let home = 0;
let away = 0;
for g in schedule.games_of(team.id) {
    if g.home == team.id { home += 1; } else { away += 1; }
}
let diff = if home > away { home - away } else { away - home };
if diff <= params.most { return pass(); }
[violation("major", `${team.id} is off by ${diff}`).team(team.id)]
"#;

/// The same rule over the whole schedule, teams in league order.
const WHOLE: &str = r#"
let found = [];
for id in ["NYR", "LAS", "CHW", "PHX"] {
    let home = 0;
    let away = 0;
    for g in schedule.games_of(id) {
        if g.home == id { home += 1; } else { away += 1; }
    }
    let diff = if home > away { home - away } else { away - home };
    if diff > params.most {
        found.push(violation("major", `${id} is off by ${diff}`).team(id));
    }
}
found
"#;

fn registry(t: &TempTree) -> Result<Arc<Registry>, Error> {
    Ok(Arc::new(Registry::load(&[t.path().join("plugins")])?))
}

fn mini(t: &TempTree) -> Result<(Arc<League>, Arc<Schedule>), Error> {
    let league = Arc::new(mini_league(t.path()));
    let path = t.write("schedule.json", SCHEDULE);
    let schedule = Arc::new(Schedule::load(&path, &league)?);
    Ok((league, schedule))
}

#[test]
fn a_partitioned_rule_is_asked_per_team_and_equals_its_whole_schedule_twin() -> TestResult {
    let t = TempTree::new();
    let (league, schedule) = mini(&t)?;
    let params = "[params]\nmost = 1";
    t.rule(
        "per-team",
        "schedule",
        "soft",
        &format!("partition = \"team\"\n{params}"),
        PER_TEAM,
    );
    t.rule("whole", "schedule", "soft", params, WHOLE);
    let report = Evaluator::new(league, registry(&t)?).evaluate(&schedule);

    let parts = schedule_verdict(&report, "per-team");
    let whole = schedule_verdict(&report, "whole");
    assert_eq!(parts.status, Status::Violated);
    let messages = |v: &umpire::Verdict| -> Vec<String> {
        v.violations.iter().map(|x| x.message.clone()).collect()
    };
    // NYR is 2-0 at home, LAS 0-2 away: in league order, as the twin says.
    assert_eq!(messages(parts), ["NYR is off by 2", "LAS is off by 2"]);
    assert_eq!(messages(parts), messages(whole));
    // The score is the parts' mean: two of four teams are fine.
    assert!((parts.score - 0.5).abs() < 1e-9, "{}", parts.score);
    Ok(())
}

#[test]
fn a_part_that_fails_makes_the_verdict_an_error_that_names_it() -> TestResult {
    let t = TempTree::new();
    let (league, schedule) = mini(&t)?;
    t.rule(
        "fussy",
        "schedule",
        "soft",
        "partition = \"team\"",
        r#"if team.id == "CHW" { throw "no data for this team"; } pass()"#,
    );
    let report = Evaluator::new(league, registry(&t)?).evaluate(&schedule);
    let v = schedule_verdict(&report, "fussy");
    assert_eq!(v.status, Status::Error);
    let message = v.message.as_deref().unwrap_or("");
    assert!(message.starts_with("team `CHW`: "), "{message}");
    assert!(message.contains("no data for this team"), "{message}");
    Ok(())
}

#[test]
fn a_venue_partition_binds_the_venue() -> TestResult {
    let t = TempTree::new();
    let (league, schedule) = mini(&t)?;
    t.rule(
        "busy-venue",
        "schedule",
        "soft",
        "partition = \"venue\"",
        r#"
        let n = 0;
        for g in schedule.games { if g.venue == venue.id { n += 1; } }
        if n < 2 { pass() } else { [violation("minor", `${venue.name} hosts ${n}`).venue(venue.id)] }
        "#,
    );
    let report = Evaluator::new(league, registry(&t)?).evaluate(&schedule);
    let v = schedule_verdict(&report, "busy-venue");
    assert_eq!(v.status, Status::Violated, "{v:?}");
    let messages: Vec<_> = v.violations.iter().map(|x| x.message.as_str()).collect();
    assert_eq!(messages, ["Hudson Field hosts 2"]);
    Ok(())
}

#[test]
fn partition_is_refused_on_a_game_scoped_rule_and_names_the_field() {
    let t = TempTree::new();
    let path = t.rule("g", "game", "soft", "partition = \"team\"", "pass()");
    let err = Registry::load(&[t.path().join("plugins")]).expect_err("refused");
    let text = err.to_string();
    assert!(text.contains(&path.display().to_string()), "{text}");
    assert!(text.contains("partition"), "{text}");
    assert!(text.contains("scope = \"schedule\""), "{text}");

    let t = TempTree::new();
    t.rule(
        "s",
        "schedule",
        "soft",
        "partition = \"division\"",
        "pass()",
    );
    let err = Registry::load(&[t.path().join("plugins")]).expect_err("refused");
    assert!(err.to_string().contains("division"), "{err}");
}

#[test]
fn a_wasm_rule_that_does_not_rule_by_team_says_to_fix_the_manifest() -> TestResult {
    // broadcast-share rules team by team; asked about a venue, it says so.
    crate::wasm::built();
    let mut m = Manifest::load(&wasm_plugins().join("broadcast_share.toml"))?;
    m.partition = Some(Partition::Venue);
    let registry = Registry::from_manifests(vec![m], &RhaiLimits::default())?;
    let t = TempTree::new();
    let (league, schedule) = mini(&t)?;
    let report = Evaluator::new(league, Arc::new(registry)).evaluate(&schedule);
    let v = schedule_verdict(&report, "broadcast-share");
    assert_eq!(v.status, Status::Error);
    let message = v.message.as_deref().unwrap_or("");
    assert!(message.starts_with("venue `hudson`: "), "{message}");
    assert!(
        message.contains("does not rule venue by venue"),
        "{message}"
    );
    Ok(())
}

/// The example league with only its partitioned rules.
fn partitioned_only() -> Result<Arc<Registry>, Box<dyn std::error::Error>> {
    let t = TempTree::new();
    let dir: PathBuf = t.path().join("plugins");
    std::fs::create_dir_all(&dir)?;
    for name in ["home_away_balance.toml", "home_away_balance.rhai"] {
        std::fs::copy(rhai_plugins().join(name), dir.join(name))?;
    }
    Ok(Arc::new(Registry::load_with(
        &[dir],
        &RhaiLimits::default(),
    )?))
}

#[test]
fn moving_a_game_asks_a_partitioned_rule_only_about_its_two_teams() -> TestResult {
    let (league, mut spec, _) = example_season();
    let registry = partitioned_only()?;
    let cache = Arc::new(VerdictCache::new(&CacheConfig::default())?);
    let cached = Evaluator::new(league.clone(), registry.clone()).with_cache(cache.clone());
    let fresh = Evaluator::new(league.clone(), registry);

    cached.evaluate(&schedule_of(&league, &spec));
    assert_eq!(cache.stats().l1.inserts, league.teams.len() as u64);

    move_game(&mut spec, 17, 1);
    let moved = schedule_of(&league, &spec);
    let warm = cached.evaluate(&moved);
    assert_eq!(comparable(warm), comparable(fresh.evaluate(&moved)));
    let l1 = cache.stats().l1;
    // Home and away team asked again; the other teams' parts served.
    assert_eq!(l1.inserts, league.teams.len() as u64 + 2);
    assert_eq!(l1.hits, league.teams.len() as u64 - 2);
    Ok(())
}

#[test]
fn the_evaluator_reuses_the_reports_of_games_a_change_does_not_touch() -> TestResult {
    let (league, mut spec, registry) = example_season();
    let cache = Arc::new(VerdictCache::new(&CacheConfig::default())?);
    let cached = Evaluator::new(league.clone(), registry.clone()).with_cache(cache.clone());
    let fresh = Evaluator::new(league.clone(), registry);
    let reused = |r: &umpire::Report| r.cache.as_ref().map_or(0, |c| c.reused_games);

    let cold = cached.evaluate(&schedule_of(&league, &spec));
    assert_eq!(reused(&cold), 0);
    let again = cached.evaluate(&schedule_of(&league, &spec));
    assert_eq!(reused(&again), 240, "an unchanged season reuses every game");
    assert_eq!(comparable(again), comparable(cold.clone()));

    move_game(&mut spec, 17, 1);
    let moved = schedule_of(&league, &spec);
    let warm = cached.evaluate(&moved);
    assert_eq!(comparable(warm.clone()), comparable(fresh.evaluate(&moved)));
    let n = reused(&warm) - 240;
    // The moved game and the few whose reads it touches are evaluated.
    assert!((225..240).contains(&n), "{n} of 240 reused");

    // A cleared cache takes the baseline with it.
    cache.clear();
    let after = cached.evaluate(&moved);
    assert_eq!(reused(&after), reused(&warm));
    assert_eq!(comparable(after), comparable(warm));
    Ok(())
}

#[test]
fn a_schedule_with_many_changes_is_evaluated_without_the_baseline() -> TestResult {
    let (league, mut spec, registry) = example_season();
    let cache = Arc::new(VerdictCache::new(&CacheConfig::default())?);
    let cached = Evaluator::new(league.clone(), registry.clone()).with_cache(cache);
    let fresh = Evaluator::new(league.clone(), registry);
    cached.evaluate(&schedule_of(&league, &spec));
    // Dropping the first game shifts every position, but games are matched
    // by id: every game the removal does not touch is reused.
    spec.games.remove(0);
    let s = schedule_of(&league, &spec);
    let report = cached.evaluate(&s);
    let reused = report.cache.clone().ok_or("cache stats")?.reused_games;
    assert!(reused > 200, "{reused} of {} games reused", s.len());
    assert_eq!(comparable(report), comparable(fresh.evaluate(&s)));
    // A quarter of the season moved: past the baseline's limit, nothing is
    // reused from it, but the cache still serves what did not change.
    for i in (0..spec.games.len()).step_by(4) {
        move_game(&mut spec, i, 1);
    }
    let s = schedule_of(&league, &spec);
    let report = cached.evaluate(&s);
    let stats = report.cache.clone().ok_or("cache stats")?;
    assert_eq!(stats.reused_games, reused);
    assert!(stats.l1.hits > 1_500, "{:?}", stats.l1);
    assert_eq!(comparable(report), comparable(fresh.evaluate(&s)));
    Ok(())
}

#[test]
fn a_move_that_shortens_the_next_games_rest_re_evaluates_that_game_too() -> TestResult {
    let (league, mut spec, registry) = example_season();
    let cache = Arc::new(VerdictCache::new(&CacheConfig::default())?);
    let cached = Evaluator::new(league.clone(), registry.clone()).with_cache(cache);
    let fresh = Evaluator::new(league.clone(), registry);
    let start = |s: &str| s.parse::<jiff::civil::DateTime>();

    // A game and its home team's next game, which stays where it is.
    let g = 40;
    let team = spec.games[g].home.clone();
    let kickoff = start(&spec.games[g].start)?;
    let next = (0..spec.games.len())
        .filter(|&i| spec.games[i].home == team || spec.games[i].away == team)
        .filter(|&i| start(&spec.games[i].start).is_ok_and(|t| t > kickoff))
        .min_by_key(|&i| spec.games[i].start.clone())
        .ok_or("the team plays again")?;
    let next_id = spec.games[next].id.clone();
    let rest = |r: &umpire::Report| -> Result<Status, Box<dyn std::error::Error>> {
        let game = crate::support::game(r, &next_id);
        Ok(crate::support::verdict(game, "min-rest-days").status)
    };
    let cold = cached.evaluate(&schedule_of(&league, &spec));
    assert_eq!(rest(&cold)?, Status::Passed);

    // Moved to the day before the next game: that game now lacks rest,
    // although it did not change itself.
    let gap = start(&spec.games[next].start)?.date() - kickoff.date();
    let days = gap.get_days() as i64 - 1;
    move_game(&mut spec, g, days);
    let moved = schedule_of(&league, &spec);
    let warm = cached.evaluate(&moved);
    assert_eq!(rest(&warm)?, Status::Violated);
    assert!(warm.cache.as_ref().is_some_and(|c| c.reused_games > 200));
    assert_eq!(comparable(warm), comparable(fresh.evaluate(&moved)));
    Ok(())
}

/// Cancelling an evaluation part-way (as the server does when a client
/// hangs up) must leave nothing behind: no half-filled baseline, no cached
/// verdict that was not computed in full. Whenever the cancel lands, the
/// next evaluations of the cached evaluator equal a fresh one's.
#[test]
fn a_cancelled_evaluation_leaves_no_trace_in_the_cache_or_the_baseline() -> TestResult {
    use umpire::{exec::Cancel, exec::Interrupted};
    let (league, mut spec, registry) = example_season();
    let cache = Arc::new(VerdictCache::new(&CacheConfig::default())?);
    let cached = Evaluator::new(league.clone(), registry.clone())
        .with_workers(2)
        .with_cache(cache);
    let fresh = Evaluator::new(league.clone(), registry);

    // Cancelled before it starts: nothing runs.
    let cancel = Cancel::new();
    cancel.cancel();
    let schedule = schedule_of(&league, &spec);
    assert!(matches!(
        cached.try_evaluate_until(&schedule, &cancel),
        Err(Interrupted::Cancelled)
    ));
    assert!(matches!(
        cached.try_evaluate_games_until(&schedule, schedule.games().to_vec(), &cancel),
        Err(Interrupted::Cancelled)
    ));

    // Cancelled at a different moment each round, while a moved game makes
    // every round real work.
    let mut outcomes = (0, 0);
    for round in 0..24u64 {
        move_game(
            &mut spec,
            (round as usize * 37) % 240,
            1 + (round % 3) as i64,
        );
        let schedule = schedule_of(&league, &spec);
        let cancel = Cancel::new();
        let canceller = {
            let cancel = cancel.clone();
            std::thread::spawn(move || {
                std::thread::sleep(std::time::Duration::from_micros(round * 150));
                cancel.cancel();
            })
        };
        match cached.try_evaluate_until(&schedule, &cancel) {
            Ok(report) => {
                outcomes.0 += 1;
                assert_eq!(comparable(report), comparable(fresh.evaluate(&schedule)));
            }
            Err(Interrupted::Cancelled) => outcomes.1 += 1,
            Err(e) => return Err(format!("round {round}: {e}").into()),
        }
        canceller.join().map_err(|_| "the canceller panicked")?;
        let after = cached.evaluate(&schedule);
        assert_eq!(
            comparable(after),
            comparable(fresh.evaluate(&schedule)),
            "round {round}: the evaluation after a cancelled one differs from a fresh one"
        );
    }
    // Both outcomes are legitimate; the loop must have seen a cancellation
    // to prove anything.
    assert!(outcomes.1 > 0, "no round was cancelled: {outcomes:?}");
    Ok(())
}
