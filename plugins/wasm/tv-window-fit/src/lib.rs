//! `tv-window-fit`: a broadcast game must fit its TV window: the same day, an
//! allowed weekday, start and end inside the window, all read in the
//! window's own time zone (converted by the host's `time.in-zone`).
//!
//! The same rule and wording as the Rhai `tv-window-fit` it replaces.

use umpire_plugin::{Description, Game, Outcome, Rule, Severity, Violation, Weekday};

struct TvWindowFit;

impl Rule for TvWindowFit {
    fn describe() -> Description {
        Description::new("tv-window-fit", "TV window fit")
    }

    fn evaluate_game(game: &Game) -> Result<Outcome, String> {
        let Some(tv) = game.tv() else {
            return Ok(Outcome::pass());
        };
        let w = tv
            .window()
            .ok_or_else(|| format!("{} names unknown TV window `{tv}`", game.id))?;
        let start = game.start.in_zone(&w.timezone)?;
        let end = game.end.in_zone(&w.timezone)?;

        let right_day = w.runs_on(start.weekday);
        let starts_in = start.minute_of_day() >= w.start_minute;
        let ends_in = end.date == start.date && end.minute_of_day() <= w.end_minute;
        if right_day && starts_in && ends_in {
            return Ok(Outcome::pass());
        }

        let (open, close) = (w.start_clock(), w.end_clock());
        let mut problems = Vec::new();
        if !right_day {
            let days: Vec<_> = w.days.iter().copied().map(Weekday::short).collect();
            problems.push(format!(
                "it is a {} there; the window runs on {}",
                start.weekday,
                days.join(", ")
            ));
        }
        if !starts_in {
            problems.push(format!("it starts at {}, before {open}", start.clock()));
        }
        if !ends_in {
            problems.push(format!(
                "it ends at {} on {}, after {close}",
                end.clock(),
                end.date
            ));
        }
        let venue = game
            .venue()
            .venue()
            .ok_or_else(|| format!("{} is at unknown venue `{}`", game.id, game.venue()))?;
        let local = format!("{} {}", game.start.local().clock(), venue.timezone);
        let violation = Violation::new(
            Severity::Major,
            format!(
                "{} (kickoff {local}) misses {} ({open}-{close} {}): {}",
                game.id,
                w.id,
                w.timezone,
                problems.join("; ")
            ),
        )
        .game(game)
        .tv_window(&w.id)
        .penalty(problems.len() as f64)
        .suggest(format!(
            "move the kickoff so the game runs between {open} and {close} {}, or drop it from {}",
            w.timezone, w.id
        ));
        Ok(Outcome::from(violation))
    }
}

umpire_plugin::export_rule!(TvWindowFit);
