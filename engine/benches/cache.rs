//! The verdict cache on the example season (ten rules, 240 games, 1,920
//! constraint calls).
//!
//! Run: `cargo bench -p umpire --bench cache`
//!
//! - `l1_hit`: one lookup that serves a verdict (`VerdictCache::get`: the
//!   moka lookup, re-asking the schedule queries the verdict was read from,
//!   and the verdict's clone), over the season's game-scoped entries;
//! - `season/cold`: the whole season with an empty cache (every verdict
//!   computed and stored);
//! - `season/one_game_moved`: the whole season after moving one more game by
//!   a day (a new game each iteration, so the moved game is never cached):
//!   what a solver pays per move;
//! - `season/unchanged`: the whole season again, every verdict from the
//!   cache.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use divan::Bencher;
use umpire::{
    Evaluator, League, Registry, Schedule, cache::CacheConfig, cache::Key as CacheKey,
    cache::VerdictCache, manifests::Scope, model::ScheduleSpec,
};

fn main() {
    divan::main();
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

struct Season {
    league: Arc<League>,
    spec: ScheduleSpec,
    registry: Arc<Registry>,
}

fn season() -> Season {
    let dir = root().join("examples/leagues/pacific-atlantic");
    let league = League::load(&dir).unwrap();
    let spec =
        serde_json::from_str(&std::fs::read_to_string(dir.join("schedule.json")).unwrap()).unwrap();
    let registry = Registry::load(&league.plugin_dirs).unwrap();
    Season {
        league: Arc::new(league),
        spec,
        registry: Arc::new(registry),
    }
}

fn build(league: &League, spec: &ScheduleSpec) -> Arc<Schedule> {
    Arc::new(Schedule::from_spec(Path::new("bench.json"), spec.clone(), league).unwrap())
}

/// Moves game `i` a day later.
fn move_game(spec: &mut ScheduleSpec, i: usize) {
    let g = &mut spec.games[i];
    let day = jiff::Span::new().days(1);
    let start: jiff::civil::DateTime = g.start.parse().unwrap();
    g.start = start.checked_add(day).unwrap().to_string();
    if let Some(end) = &g.end {
        let end: jiff::civil::DateTime = end.parse().unwrap();
        g.end = Some(end.checked_add(day).unwrap().to_string());
    }
}

#[divan::bench(sample_count = 200, sample_size = 1000)]
fn l1_hit(bencher: Bencher<'_, '_>) {
    let s = season();
    let cache = Arc::new(VerdictCache::new(&CacheConfig::default()).unwrap());
    let evaluator = Evaluator::new(s.league.clone(), s.registry.clone()).with_cache(cache.clone());
    let schedule = build(&s.league, &s.spec);
    evaluator.evaluate(&schedule);
    let keys: Vec<(CacheKey, usize)> = s
        .registry
        .constraints()
        .iter()
        .filter(|c| c.manifest.scope == Scope::Game)
        .flat_map(|c| {
            let league = s.league.fingerprint();
            let schedule = &schedule;
            (0..schedule.len()).map(move |i| {
                let key = CacheKey {
                    constraint: c.content_hash(),
                    league,
                    game: schedule.fingerprint_at(i).unwrap(),
                };
                (key, i)
            })
        })
        .collect();
    let mut n = 0;
    bencher.bench_local(|| {
        n = (n + 1) % keys.len();
        let (key, i) = &keys[n];
        cache.get(key, &schedule, Some(&schedule.games()[*i]))
    });
}

mod season {
    use super::*;

    #[divan::bench(sample_count = 50)]
    fn cold(bencher: Bencher<'_, '_>) {
        let s = season();
        let cache = Arc::new(VerdictCache::new(&CacheConfig::default()).unwrap());
        let evaluator =
            Evaluator::new(s.league.clone(), s.registry.clone()).with_cache(cache.clone());
        let schedule = build(&s.league, &s.spec);
        evaluator.evaluate(&schedule);
        bencher
            .with_inputs(|| cache.clear())
            .bench_local_values(|_| evaluator.evaluate(&schedule));
    }

    #[divan::bench(sample_count = 100)]
    fn one_game_moved(bencher: Bencher<'_, '_>) {
        let mut s = season();
        let cache = Arc::new(VerdictCache::new(&CacheConfig::default()).unwrap());
        let evaluator =
            Evaluator::new(s.league.clone(), s.registry.clone()).with_cache(cache.clone());
        evaluator.evaluate(&build(&s.league, &s.spec));
        let mut next = 0;
        bencher
            .with_inputs(|| {
                // Each input moves one more game, a different one each time.
                let n = s.spec.games.len();
                move_game(&mut s.spec, next % n);
                next += 7;
                build(&s.league, &s.spec)
            })
            .bench_local_values(|schedule| evaluator.evaluate(&schedule));
    }

    #[divan::bench(sample_count = 100)]
    fn unchanged(bencher: Bencher<'_, '_>) {
        let s = season();
        let cache = Arc::new(VerdictCache::new(&CacheConfig::default()).unwrap());
        let evaluator = Evaluator::new(s.league.clone(), s.registry.clone()).with_cache(cache);
        let schedule = build(&s.league, &s.spec);
        evaluator.evaluate(&schedule);
        bencher.bench_local(|| evaluator.evaluate(&schedule));
    }
}
