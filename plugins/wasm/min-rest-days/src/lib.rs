//! `min-rest-days`: each team gets at least `min_days` calendar days between
//! its games, each game's date read in its own venue's time zone.
//!
//! The same rule as the Rhai `min-rest-days`, written for the Rhai / WASM /
//! native benchmark. Its fast path mirrors the script's: two `rest_days`
//! queries that take and return numbers, and a pass that allocates nothing.
//! The parameter is asked for once per instance (`isolation = "reuse"`), and
//! the league's ids only when there is a violation to write.

use umpire_plugin::{
    Description, Game, Outcome, Rule, Severity, TeamRef, Violation, params, schedule,
};

struct MinRestDays;

impl Rule for MinRestDays {
    fn describe() -> Description {
        Description::new("min-rest-days", "Minimum rest days")
    }

    fn evaluate_game(game: &Game) -> Result<Outcome, String> {
        let min: i64 = params::get("min_days")?;
        let short = |team: TeamRef| {
            schedule::rest_days(team, game)
                .map(i64::from)
                .filter(|&gap| gap < min)
        };
        let (home, away) = (short(game.home()), short(game.away()));
        if home.is_none() && away.is_none() {
            return Ok(Outcome::pass());
        }

        let mut found = Vec::new();
        for (team, gap) in [(game.home(), home), (game.away(), away)] {
            let Some(gap) = gap else { continue };
            let prev = schedule::previous_game(team, game).ok_or_else(|| {
                format!(
                    "{team} rests {gap} day(s) before {} but has no previous game",
                    game.id
                )
            })?;
            found.push(
                Violation::new(
                    Severity::Major,
                    format!(
                        "{team} plays {} {gap} day(s) after {}; needs {min}",
                        game.id, prev.id
                    ),
                )
                .team(team)
                .game(game)
                .game(&prev)
                .penalty((min - gap) as f64)
                .suggest(format!(
                    "move {} at least {} day(s) later",
                    game.id,
                    min - gap
                )),
            );
        }
        Ok(Outcome::from(found))
    }
}

umpire_plugin::export_rule!(MinRestDays);
