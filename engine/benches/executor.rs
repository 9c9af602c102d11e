//! The executor on a large season: 10,000 generated games (100 teams, seed
//! 7) against the example league's ten constraints (six Rhai, four
//! WebAssembly), 80,002 constraint calls per evaluation, report included.
//!
//! Run: `cargo bench -p umpire --bench executor`
//!
//! `workers` shows the scaling from one worker to two; `fail_fast` what
//! stopping a game at its first hard violation saves, in dependency order
//! and ordered by measured cost. There is no verdict cache yet, so every
//! iteration is a cold evaluation.

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use divan::Bencher;
use umpire::{
    Evaluator, League, Registry, Schedule, exec::ExecutorConfig, exec::Order,
    generate::GenerateOptions,
};

fn main() {
    divan::main();
}

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The generated league and its schedule, written once per process.
fn season() -> &'static (Arc<League>, Arc<Schedule>, Arc<Registry>) {
    static SEASON: OnceLock<(Arc<League>, Arc<Schedule>, Arc<Registry>)> = OnceLock::new();
    SEASON.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("umpire-bench-10k-{}", std::process::id()));
        let options = GenerateOptions {
            teams: 100,
            games: 10_000,
            seed: 7,
            plugins: vec![root().join("plugins/rhai"), root().join("plugins/wasm")],
        };
        umpire::generate::generate(&options, &dir).unwrap();
        let league = League::load(&dir).unwrap();
        let schedule = Schedule::load(&dir.join("schedule.json"), &league).unwrap();
        let registry = Registry::load(&league.plugin_dirs).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        (Arc::new(league), Arc::new(schedule), Arc::new(registry))
    })
}

fn evaluator(config: &ExecutorConfig) -> (Evaluator, Arc<Schedule>) {
    let (league, schedule, registry) = season();
    let evaluator = Evaluator::new(league.clone(), registry.clone()).with_executor(config);
    // Start the workers (and their runtimes) before timing.
    evaluator.evaluate(schedule);
    (evaluator, schedule.clone())
}

/// The whole season with 1 and 2 workers.
#[divan::bench(args = [1, 2], sample_count = 20)]
fn workers(bencher: Bencher<'_, '_>, n: usize) {
    let (evaluator, schedule) = evaluator(&ExecutorConfig {
        workers: n,
        ..ExecutorConfig::default()
    });
    bencher.bench_local(|| evaluator.evaluate(&schedule));
}

/// Two workers, fail-fast on, in each order.
#[divan::bench(args = ["dependency", "cost"], sample_count = 20)]
fn fail_fast(bencher: Bencher<'_, '_>, order: &str) {
    let (evaluator, schedule) = evaluator(&ExecutorConfig {
        workers: 2,
        fail_fast: true,
        order: if order == "cost" {
            Order::Cost
        } else {
            Order::Dependency
        },
        ..ExecutorConfig::default()
    });
    bencher.bench_local(|| evaluator.evaluate(&schedule));
}

/// Two hard rules on the same season: an expensive one that passes every
/// game, listed first, and a cheap one that rejects about half of them.
/// Without fail-fast both always run; with it, dependency order still runs
/// the expensive one first, and ordering by cost puts the cheap one first
/// so that the rejected games skip the expensive check.
#[divan::bench(args = ["off", "dependency", "cost"], sample_count = 20)]
fn fail_fast_cheap_rejects(bencher: Bencher<'_, '_>, mode: &str) {
    let (league, schedule, _) = season();
    let dir = tempfile::tempdir().unwrap();
    let rule = |id: &str, script: &str| {
        let file = id.replace('-', "_");
        std::fs::write(dir.path().join(format!("{file}.rhai")), script).unwrap();
        std::fs::write(
            dir.path().join(format!("{file}.toml")),
            format!(
                "id = \"{id}\"\nname = \"{id}\"\nkind = \"rhai\"\nsource = \"{file}.rhai\"\nscope = \"game\"\nhardness = \"hard\"\n"
            ),
        )
        .unwrap();
    };
    rule(
        "a-expensive",
        "let n = 0; for i in 0..500 { n += i; } pass()",
    );
    rule(
        "b-cheap",
        "if game.home < game.away { violation(\"critical\", game.id) } else { pass() }",
    );
    let registry = Arc::new(Registry::load(&[dir.path().to_owned()]).unwrap());
    let config = ExecutorConfig {
        workers: 2,
        fail_fast: mode != "off",
        order: if mode == "cost" {
            Order::Cost
        } else {
            Order::Dependency
        },
        ..ExecutorConfig::default()
    };
    let evaluator = Evaluator::new(league.clone(), registry).with_executor(&config);
    evaluator.evaluate(schedule);
    bencher.bench_local(|| evaluator.evaluate(schedule));
}
