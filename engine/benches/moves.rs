//! Candidate moves on the example season (ten rules, 240 games): what a
//! solver pays to have one move judged, committed nowhere.
//!
//! Run: `cargo bench -p umpire --bench moves`
//!
//! - `one_move/new`: one game moved to a kickoff never seen before (a
//!   different game and minute each time, so the moved game is never in the
//!   cache): the edit applied to the season, the games it touches judged
//!   again, the season's totals and the changed games compared;
//! - `one_move/seen`: one of 64 moves, round and round: the moved games'
//!   verdicts are in the cache, as when a solver asks again;
//! - `hundred_moves`: `score_moves` with 100 new moves in one call (per
//!   call; divide by 100 for a move).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use divan::Bencher;
use umpire::{
    Evaluator, GameEdit, League, Registry, Schedule, SchedulePatch, Season, cache::CacheConfig,
    cache::VerdictCache,
};

fn main() {
    divan::main();
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The example season, evaluated, with an evaluator that has a cache.
fn season() -> (Arc<League>, Evaluator, Season) {
    let dir = root().join("examples/leagues/pacific-atlantic");
    let league = Arc::new(League::load(&dir).unwrap());
    let schedule =
        Arc::new(Schedule::load(league.schedule_file.as_ref().unwrap(), &league).unwrap());
    let registry = Arc::new(Registry::load(&league.plugin_dirs).unwrap());
    let cache = Arc::new(VerdictCache::new(&CacheConfig::default()).unwrap());
    let evaluator = Evaluator::new(league.clone(), registry).with_cache(cache);
    let season = evaluator.season(&schedule);
    (league, evaluator, season)
}

/// Move `n`: game `7n` of the season, up to ten hours and a day or two
/// later. No two moves below `240 × 601` are the same (a game comes round
/// again every 240 moves, its minutes every 601), so a bench that counts
/// up from 0 never meets a move twice.
fn a_move(season: &Season, n: usize) -> SchedulePatch {
    let games = season.schedule().games();
    let g = &games[(7 * n) % games.len()];
    let span = jiff::Span::new()
        .days(1 + (n % 2) as i64)
        .minutes((n % 601) as i64);
    let start = g.start.checked_add(span).unwrap().to_string();
    SchedulePatch::new().editing(GameEdit::new(&*g.id).start(start))
}

fn judge(league: &League, evaluator: &Evaluator, season: &Season, m: &SchedulePatch) -> usize {
    let edited = m
        .apply_to(season.schedule(), league, Path::new("bench"))
        .unwrap();
    evaluator.what_if(season, Arc::new(edited)).changed.len()
}

mod one_move {
    use super::*;

    #[divan::bench(sample_count = 200, sample_size = 10)]
    fn new(bencher: Bencher<'_, '_>) {
        let (league, evaluator, season) = season();
        let mut n = 0;
        bencher
            .with_inputs(|| {
                n += 1;
                a_move(&season, n)
            })
            .bench_local_refs(|m| judge(&league, &evaluator, &season, m));
    }

    #[divan::bench(sample_count = 200, sample_size = 10)]
    fn seen(bencher: Bencher<'_, '_>) {
        let (league, evaluator, season) = season();
        let moves: Vec<SchedulePatch> = (0..64).map(|n| a_move(&season, n)).collect();
        for m in &moves {
            judge(&league, &evaluator, &season, m);
        }
        let mut n = 0;
        bencher.bench_local(|| {
            n = (n + 1) % moves.len();
            judge(&league, &evaluator, &season, &moves[n])
        });
    }
}

#[divan::bench(sample_count = 30)]
fn hundred_moves(bencher: Bencher<'_, '_>) {
    let (_, evaluator, season) = season();
    let mut n = 1_000;
    bencher
        .with_inputs(|| {
            n += 100;
            (n..n + 100).map(|k| a_move(&season, k)).collect::<Vec<_>>()
        })
        .bench_local_refs(|moves| evaluator.score_moves(&season, moves).len());
}
