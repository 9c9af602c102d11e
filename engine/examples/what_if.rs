//! A solver's question: what would moving one game do? The example season
//! is evaluated once; then one game is moved a day later as a candidate
//! move, judged against the season without committing anything, and the
//! answer says how the totals change and which games' reports change.
//!
//! Run from the repository's root:
//!
//! ```sh
//! cargo run -p umpire --example what_if
//! ```

use std::path::Path;
use std::sync::Arc;

use umpire::cache::{CacheConfig, VerdictCache};
use umpire::{Evaluator, GameEdit, League, Registry, Schedule, SchedulePatch};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/leagues/pacific-atlantic");
    let league = Arc::new(League::load(&dir)?);
    let file = league
        .schedule_file
        .clone()
        .expect("the example league names its schedule");
    let schedule = Arc::new(Schedule::load(&file, &league)?);
    let registry = Arc::new(Registry::load(&league.plugin_dirs)?);
    // The cache is what makes a move cheap: the season's verdicts, with what
    // each was read from, are reused wherever the move does not reach.
    let cache = Arc::new(VerdictCache::new(&CacheConfig::default())?);
    let evaluator = Evaluator::new(league.clone(), registry).with_cache(cache);
    let season = evaluator.season(&schedule);

    // Move the season's fifth game one day later, same clock time.
    let game = &season.schedule().games()[4];
    let later = game.start.checked_add(jiff::Span::new().days(1))?;
    let candidate = SchedulePatch::new().editing(GameEdit::new(&*game.id).start(later.to_string()));
    let edited = candidate.apply_to(season.schedule(), &league, Path::new("candidate"))?;
    let answer = evaluator.what_if(&season, Arc::new(edited));

    println!(
        "moving {} to {}: hard violations {} -> {}, score {:.4} -> {:.4} ({} -> {})",
        game.id,
        later.date(),
        answer.before.hard_violations,
        answer.after.hard_violations,
        answer.before.score,
        answer.after.score,
        answer.before.levels,
        answer.after.levels,
    );
    for changed in &answer.changed {
        let Some(report) = &changed.report else {
            println!("  {}: removed", changed.game);
            continue;
        };
        let violations: usize = report.verdicts.iter().map(|v| v.violations.len()).sum();
        println!(
            "  {}: valid {}, {violations} violations",
            changed.game, report.valid
        );
    }
    Ok(())
}
