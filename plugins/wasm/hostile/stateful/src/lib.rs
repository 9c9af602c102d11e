//! Hostile (mildly): counts its calls in a static and reports the count as
//! "call N", so a test can tell a fresh instance (always "call 1") from a
//! reused one ("call 2", "call 3", ...). `[params] mode = "error"` reports
//! the count as its own error instead of a violation, so a test can tell
//! whether the host kept the instance after such an error.

use std::sync::atomic::{AtomicU64, Ordering};

use umpire_plugin::{Description, Game, Outcome, Rule, Severity, Violation, params};

struct Stateful;

static CALLS: AtomicU64 = AtomicU64::new(0);

fn report() -> Result<Outcome, String> {
    let n = CALLS.fetch_add(1, Ordering::Relaxed) + 1;
    let said = format!("call {n}");
    match params::get_or("mode", "violation".to_owned())?.as_str() {
        "violation" => Ok(Outcome::from(Violation::new(Severity::Minor, said))),
        "error" => Err(said),
        other => Err(format!(
            "parameter `mode`: unknown mode \"{other}\"; expected \"violation\" or \"error\""
        )),
    }
}

impl Rule for Stateful {
    fn describe() -> Description {
        Description::new("stateful", "Hostile: state between calls")
    }

    fn evaluate_game(_game: &Game) -> Result<Outcome, String> {
        report()
    }

    fn evaluate_schedule() -> Result<Outcome, String> {
        report()
    }
}

umpire_plugin::export_rule!(Stateful);
