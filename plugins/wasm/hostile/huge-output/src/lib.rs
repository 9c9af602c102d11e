//! Hostile: answers with far too much. `[params] mode` picks how:
//! `"many"` (the default) returns 1,000,000 violations, `"long"` one
//! violation whose message is 10 MiB. Its manifest gives it 256 MiB so the
//! output reaches the host: the test is of the host's output limits, not of
//! the memory cap.

use umpire_plugin::{Description, Game, Outcome, Rule, Severity, Violation, params};

struct HugeOutput;

impl Rule for HugeOutput {
    fn describe() -> Description {
        Description::new("huge-output", "Hostile: huge output")
    }

    fn evaluate_game(_game: &Game) -> Result<Outcome, String> {
        let mode: String = params::get_or("mode", "many".to_owned())?;
        match mode.as_str() {
            // About 120 MiB of guest memory with the lowered copy.
            "many" => Ok((0..1_000_000)
                .map(|i| Violation::new(Severity::Minor, format!("violation {i}")))
                .collect()),
            "long" => Ok(Outcome::from(Violation::new(
                Severity::Minor,
                "x".repeat(10 << 20),
            ))),
            other => Err(format!(
                "parameter `mode`: unknown mode \"{other}\"; expected \"many\" or \"long\""
            )),
        }
    }
}

umpire_plugin::export_rule!(HugeOutput);
