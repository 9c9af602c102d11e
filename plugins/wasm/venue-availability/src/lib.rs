//! `venue-availability`: a venue cannot host on its blackout dates, read on
//! the venue's own calendar.
//!
//! The same rule, message and suggestion as the Rhai `venue-blackout` it
//! replaces. The common case (no blackout that day) costs one host call that
//! returns nothing and allocates nothing.

use umpire_plugin::{Description, Game, Outcome, Rule, Severity, Violation, league};

struct VenueAvailability;

impl Rule for VenueAvailability {
    fn describe() -> Description {
        Description::new("venue-availability", "Venue availability")
    }

    fn evaluate_game(game: &Game) -> Result<Outcome, String> {
        let date = game.date();
        let Some(blackout) = league::blackout(game.venue(), &date) else {
            return Ok(Outcome::pass());
        };
        let venue = game
            .venue()
            .venue()
            .ok_or_else(|| format!("{} is at unknown venue `{}`", game.id, game.venue()))?;
        let violation = Violation::new(
            Severity::Critical,
            format!(
                "{} is unavailable on {date}: {}",
                venue.name, blackout.reason
            ),
        )
        .game(game)
        .venue(game.venue())
        .date(&date)
        .suggest(format!(
            "move {} off {}..{}, or to another venue",
            game.id, blackout.from, blackout.to
        ));
        Ok(Outcome::from(violation))
    }
}

umpire_plugin::export_rule!(VenueAvailability);
