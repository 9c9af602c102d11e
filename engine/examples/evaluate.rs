//! Evaluates the example league's season and prints what a league office
//! reads first: whether the season is valid, its score, and its hard
//! violations with what they touch.
//!
//! Run from the repository's root:
//!
//! ```sh
//! cargo run -p umpire --example evaluate
//! ```
//!
//! (the first run builds the league's WebAssembly plugins, which needs the
//! `wasm32-wasip2` target; umpire adds it with rustup when it can).

use std::path::Path;
use std::sync::Arc;

use umpire::model::Hardness;
use umpire::{Evaluator, League, Registry, Schedule, Status};

fn main() -> Result<(), umpire::Error> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/leagues/pacific-atlantic");
    let league = League::load(&dir)?;
    let file = league
        .schedule_file
        .clone()
        .expect("the example league names its schedule");
    let schedule = Arc::new(Schedule::load(&file, &league)?);
    let registry = Arc::new(Registry::load(&league.plugin_dirs)?);
    let hard: Vec<_> = (registry.constraints().iter())
        .filter(|c| c.manifest.hardness == Hardness::Hard)
        .map(|c| c.id().clone())
        .collect();
    let evaluator = Evaluator::new(Arc::new(league), registry);
    let report = evaluator.evaluate(&schedule);

    let s = &report.summary;
    println!(
        "{} games: valid {}, score {:.3}, {} hard and {} soft violations",
        report.games.len(),
        s.valid,
        s.score,
        s.hard_violations,
        s.soft_violations
    );
    for game in &report.games {
        for verdict in &game.verdicts {
            if verdict.status != Status::Violated || !hard.contains(&verdict.constraint) {
                continue;
            }
            for v in &verdict.violations {
                println!("  {} [{}] {}", game.game, verdict.constraint, v.message);
            }
        }
    }
    Ok(())
}
