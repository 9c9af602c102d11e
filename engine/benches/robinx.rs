//! RobinX in process. ITC2021 Late 2 (16 teams, 30 slots, 1,323 constraint
//! elements): the published solution as a whole, on the WebAssembly pack
//! and with the Rhai versions of CA1, CA2 and GA1; and one game moved to the
//! next slot, re-scored from the solution's score (only the constraints a
//! move of those two teams between those two slots can touch are asked
//! again). The same move re-score on the largest travelling-tournament
//! instance, CON40 mirrored (40 teams, 1,560 games, travel distance).
//!
//! Run: `cargo bench -p umpire --bench robinx`

use std::path::{Path, PathBuf};
use std::sync::Arc;

use divan::Bencher;
use umpire::robinx::{Host, Instance, Meeting, Pack, Scorer, Solution, game};
use umpire::{Schedule, registry::LoadOptions};

fn main() {
    divan::main();
}

fn data() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/itc2021")
}

fn late2(host: Host) -> (Instance, Solution, Scorer, Arc<Schedule>) {
    load(
        &data().join("instances/ITC2021_Late_2.xml"),
        &data().join("solutions/Late_2_5379.xml"),
        host,
    )
}

fn con40() -> (Instance, Solution, Scorer, Arc<Schedule>) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/robinx");
    load(
        &dir.join("instances/TravelOptimization/CON40_Mirrored.xml"),
        &dir.join("solutions/TravelOptimization/CON40Mirrored_Comp_2150.xml"),
        Host::Wasm,
    )
}

fn load(
    instance: &Path,
    solution: &Path,
    host: Host,
) -> (Instance, Solution, Scorer, Arc<Schedule>) {
    let instance = Instance::load(instance).unwrap();
    let solution = Solution::load(solution, &instance).unwrap();
    let pack = Pack::load(&Pack::default_dir()).unwrap();
    let scorer = Scorer::new(&instance, &pack, host, &LoadOptions::default()).unwrap();
    let schedule = Arc::new(solution.schedule(scorer.league()).unwrap());
    (instance, solution, scorer, schedule)
}

/// The whole published solution: 1,325 constraint calls.
#[divan::bench(args = ["wasm", "rhai"])]
fn score_late2(bencher: Bencher<'_, '_>, host: &str) {
    let host = if host == "rhai" {
        Host::Rhai
    } else {
        Host::Wasm
    };
    let (_, _, scorer, schedule) = late2(host);
    assert_eq!(scorer.score(&schedule).objective, 5379);
    bencher.bench_local(|| scorer.score(&schedule));
}

/// One game moved to the next slot (a different game each iteration):
/// the new schedule built and re-scored from the solution's score.
#[divan::bench(args = ["late2", "con40"])]
fn move_one_game_and_rescore(bencher: Bencher<'_, '_>, which: &str) {
    let (instance, solution, scorer, schedule) = if which == "con40" {
        con40()
    } else {
        late2(Host::Wasm)
    };
    let base = scorer.score(&schedule);
    let league = scorer.league().clone();
    let mut i = 0;
    bencher.bench_local(|| {
        i = (i + 1) % solution.meetings.len();
        let m = solution.meetings[i];
        let moved = Meeting {
            slot: (m.slot + 1) % instance.slots,
            ..m
        };
        let mut games = schedule.games().to_vec();
        games[i] = Arc::new(game(&moved));
        let next = Arc::new(Schedule::from_games(&solution.path, &league, games).unwrap());
        scorer.rescore_move(&base, &next, (m.home, m.away), (m.slot, moved.slot))
    });
}
