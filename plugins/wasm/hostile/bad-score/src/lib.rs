//! Hostile: breaks the outcome's invariants. `[params] mode` picks which:
//! `"nan"` a NaN score, `"range"` a score of 1.5, `"penalty"` a violation
//! with a negative penalty.

use umpire_plugin::{Description, Game, Outcome, Rule, Severity, Violation, params};

struct BadScore;

impl Rule for BadScore {
    fn describe() -> Description {
        Description::new("bad-score", "Hostile: bad score")
    }

    fn evaluate_game(game: &Game) -> Result<Outcome, String> {
        let mode: String = params::get("mode")?;
        match mode.as_str() {
            "nan" => Ok(Outcome::pass().with_score(f64::NAN)),
            "range" => Ok(Outcome::pass().with_score(1.5)),
            "penalty" => Ok(Outcome::from(
                Violation::new(Severity::Minor, "a negative penalty")
                    .game(game)
                    .penalty(-1.0),
            )),
            other => Err(format!(
                "parameter `mode`: unknown mode \"{other}\"; expected \"nan\", \"range\" or \"penalty\""
            )),
        }
    }
}

umpire_plugin::export_rule!(BadScore);
