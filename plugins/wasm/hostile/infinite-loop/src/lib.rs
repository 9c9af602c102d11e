//! Hostile: `evaluate-game` never returns. The host's deadline (epoch
//! interruption) must stop it.

use std::hint::black_box;

use umpire_plugin::{Description, Game, Outcome, Rule};

struct InfiniteLoop;

impl Rule for InfiniteLoop {
    fn describe() -> Description {
        Description::new("infinite-loop", "Hostile: infinite loop")
    }

    fn evaluate_game(_game: &Game) -> Result<Outcome, String> {
        let mut spins = 0u64;
        loop {
            spins = black_box(spins.wrapping_add(1));
        }
    }
}

umpire_plugin::export_rule!(InfiniteLoop);
