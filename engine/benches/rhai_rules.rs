//! Cost of one Rhai constraint evaluation on the example league, per rule,
//! and of ruling on the whole example season.
//!
//! Run: `cargo bench -p umpire --bench rhai_rules`

use std::path::{Path, PathBuf};
use std::sync::Arc;

use divan::Bencher;
use umpire::{
    Evaluator, League, Registry, Schedule, manifests::Manifest, runtime::RhaiLimits,
    runtime::Runtime,
};

fn main() {
    divan::main();
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn league_and_schedule() -> (Arc<League>, Arc<Schedule>) {
    let league = League::load(&root().join("examples/leagues/pacific-atlantic")).unwrap();
    let schedule = Schedule::load(league.schedule_file.as_ref().unwrap(), &league).unwrap();
    (Arc::new(league), Arc::new(schedule))
}

/// One game-scoped rule, evaluated on each game of the season in turn.
#[divan::bench(args = [
    "min_rest_days",
    "venue_double_booking",
    "max_consecutive_away",
    "local_kickoff_window",
    "rivalry_on_weekend",
])]
fn game_rule(bencher: Bencher<'_, '_>, rule: &str) {
    let (league, schedule) = league_and_schedule();
    let mut manifest = Manifest::load(&root().join(format!("plugins/rhai/{rule}.toml"))).unwrap();
    manifest.depends_on.clear();
    let registry = Registry::from_manifests(vec![manifest], &RhaiLimits::default()).unwrap();
    let constraint = &registry.constraints()[0];
    let runtime = Runtime::new(league, &RhaiLimits::default());
    let games = schedule.games();
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % games.len();
        runtime.evaluate(constraint, &schedule, Some(&games[i]))
    });
}

/// The schedule-scoped home/away balance rule over the whole season.
#[divan::bench]
fn schedule_rule_home_away_balance(bencher: Bencher<'_, '_>) {
    let (league, schedule) = league_and_schedule();
    let manifest = Manifest::load(&root().join("plugins/rhai/home_away_balance.toml")).unwrap();
    let registry = Registry::from_manifests(vec![manifest], &RhaiLimits::default()).unwrap();
    let runtime = Runtime::new(league, &RhaiLimits::default());
    bencher.bench_local(|| runtime.evaluate(&registry.constraints()[0], &schedule, None));
}

/// The example league's ten rules (six Rhai, four WebAssembly) over
/// its 240-game season, report included.
#[divan::bench(sample_count = 30)]
fn example_season(bencher: Bencher<'_, '_>) {
    let (league, schedule) = league_and_schedule();
    let registry = Registry::load(&league.plugin_dirs).unwrap();
    let evaluator = Evaluator::new(league, Arc::new(registry));
    bencher.bench_local(|| evaluator.evaluate(&schedule));
}
