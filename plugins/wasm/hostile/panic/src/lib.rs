//! Hostile: panics. With `panic = "abort"` the instance traps; std writes
//! the message to the (host-provided) stderr first.

use umpire_plugin::{Description, Game, Outcome, Rule};

struct Panic;

impl Rule for Panic {
    fn describe() -> Description {
        Description::new("panic", "Hostile: panic")
    }

    fn evaluate_game(_game: &Game) -> Result<Outcome, String> {
        panic!("hostile plugin panicked on purpose")
    }
}

umpire_plugin::export_rule!(Panic);
