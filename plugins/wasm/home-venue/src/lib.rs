//! `home-venue`: a game is played at its home team's venue, unless it is
//! tagged as a neutral-site game (a cup final, a game abroad, a borrowed
//! stadium while the home one is unavailable).
//!
//! Cheap by design: refs are compared, not strings. Each team's home venue
//! is looked up once per instance, which `isolation = "reuse"` keeps.

use std::sync::OnceLock;

use umpire_plugin::{Description, Game, Outcome, Rule, Severity, Violation, league, params};

struct HomeVenue;

/// Each team's home venue as a venue position (`None`: a venue the league
/// does not list).
static HOMES: OnceLock<Vec<Option<usize>>> = OnceLock::new();

fn homes() -> &'static [Option<usize>] {
    HOMES.get_or_init(|| {
        let venues = &league::ids().venues;
        league::teams()
            .iter()
            .map(|t| venues.iter().position(|v| *v == t.venue))
            .collect()
    })
}

impl Rule for HomeVenue {
    fn describe() -> Description {
        Description::new("home-venue", "Home venue")
    }

    fn evaluate_game(game: &Game) -> Result<Outcome, String> {
        let home = game.home();
        let at = game.venue();
        if homes().get(home.index()).copied().flatten() == Some(at.index()) {
            return Ok(Outcome::pass());
        }
        let tag: String = params::get_or("neutral_tag", "neutral-site".to_owned())?;
        if game.has_tag(&tag) {
            return Ok(Outcome::pass());
        }
        let team = home
            .team()
            .ok_or_else(|| format!("{} names unknown home team `{home}`", game.id))?;
        let mut outcome = Outcome::pass();
        outcome.push(
            Violation::new(
                Severity::Major,
                format!(
                    "{} is at {at}, not at {home}'s home venue {}, and is not tagged `{tag}`",
                    game.id, team.venue
                ),
            )
            .game(game)
            .team(home.id())
            .venue(at.id())
            .suggest(format!(
                "play it at {}, or tag it `{tag}` if the move is intended",
                team.venue
            )),
        );
        Ok(outcome)
    }
}

umpire_plugin::export_rule!(HomeVenue);
