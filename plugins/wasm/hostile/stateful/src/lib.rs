//! Hostile (mildly): counts its calls in a static and reports the count as
//! "call N", so a test can tell a fresh instance (always "call 1") from a
//! reused one ("call 2", "call 3", ...).

use std::sync::atomic::{AtomicU64, Ordering};

use umpire_plugin::{Description, Game, Outcome, Rule, Severity, Violation};

struct Stateful;

static CALLS: AtomicU64 = AtomicU64::new(0);

fn report() -> Outcome {
    let n = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
    Outcome::from(Violation::new(Severity::Minor, format!("call {n}")))
}

impl Rule for Stateful {
    fn describe() -> Description {
        Description::new("stateful", "Hostile: state between calls")
    }

    fn evaluate_game(_game: &Game) -> Result<Outcome, String> {
        Ok(report())
    }

    fn evaluate_schedule() -> Result<Outcome, String> {
        Ok(report())
    }
}

umpire_plugin::export_rule!(Stateful);
