//! Hostile: allocates 1 MiB after 1 MiB, touching every page, until an
//! allocation fails (the host's memory cap) and the plugin aborts.

use std::hint::black_box;

use umpire_plugin::{Description, Game, Outcome, Rule};

struct MemoryBomb;

const CHUNK: usize = 1 << 20;
const PAGE: usize = 4096;

impl Rule for MemoryBomb {
    fn describe() -> Description {
        Description::new("memory-bomb", "Hostile: memory bomb")
    }

    fn evaluate_game(_game: &Game) -> Result<Outcome, String> {
        let mut hoard: Vec<Vec<u8>> = Vec::new();
        loop {
            let mut chunk = vec![0u8; CHUNK];
            for page in chunk.iter_mut().step_by(PAGE) {
                *page = 0xAB;
            }
            hoard.push(black_box(chunk));
        }
    }
}

umpire_plugin::export_rule!(MemoryBomb);
