//! Hostile: answers with far too much. `[params] mode` picks how:
//! `"many"` (the default) returns 1,000,000 violations; `"long"` one
//! violation whose message is 100 KiB (over the 64 KiB a string may be);
//! `"count"` 10,001 small ones (one over the violation limit, well within
//! the byte limit); `"wide"` 100 violations of 60 KB each (each string
//! within its limit, 6 MB together: over the 4 MiB a call may return). Its
//! manifest gives it 256 MiB so the output reaches the host: the test is of
//! the host's output limits, not of the memory cap.

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
                "x".repeat(100 << 10),
            ))),
            "count" => Ok((0..10_001)
                .map(|i| Violation::new(Severity::Minor, format!("violation {i}")))
                .collect()),
            "wide" => Ok((0..100)
                .map(|i| Violation::new(Severity::Minor, format!("{i:>60000}")))
                .collect()),
            other => Err(format!(
                "parameter `mode`: unknown mode \"{other}\"; expected \"many\", \"long\", \"count\" or \"wide\""
            )),
        }
    }
}

umpire_plugin::export_rule!(HugeOutput);
