//! Hostile: recurses without bound until a stack runs out. `[params] mode`
//! picks which stack:
//!
//! - `"native"` (the default): small frames that live in wasm locals, so the
//!   engine's call stack limit (`max_wasm_stack`) trips first: "call stack
//!   exhausted".
//! - `"shadow"`: 256-byte frames on the stack Rust keeps in linear memory,
//!   which overflows first and faults: "out of bounds memory access".
//!
//! `black_box` keeps the optimiser from proving the recursion endless or
//! turning it into a loop.

use std::hint::black_box;

use umpire_plugin::{Description, Game, Outcome, Rule, params};

struct DeepRecursion;

#[inline(never)]
fn native(depth: u64) -> u64 {
    if black_box(depth) == u64::MAX {
        return depth;
    }
    native(depth + 1).wrapping_mul(31).wrapping_add(depth)
}

#[inline(never)]
fn shadow(depth: u64) -> u64 {
    let frame = black_box([depth; 32]);
    if black_box(depth) == u64::MAX {
        return frame[0];
    }
    black_box(frame[31].wrapping_add(shadow(depth + 1)))
}

impl Rule for DeepRecursion {
    fn describe() -> Description {
        Description::new("deep-recursion", "Hostile: deep recursion")
    }

    fn evaluate_game(_game: &Game) -> Result<Outcome, String> {
        let mode: String = params::get_or("mode", "native".to_owned())?;
        let bottom = match mode.as_str() {
            "native" => native(0),
            "shadow" => shadow(0),
            other => {
                return Err(format!(
                    "parameter `mode`: unknown mode \"{other}\"; expected \"native\" or \"shadow\""
                ));
            }
        };
        Err(format!("reached the bottom at {bottom}"))
    }
}

umpire_plugin::export_rule!(DeepRecursion);
