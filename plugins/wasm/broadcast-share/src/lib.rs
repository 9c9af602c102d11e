//! `broadcast-share`: every team appears in between `min_tv_games` and
//! `max_tv_games` broadcast games (games with a TV window), home or away.
//!
//! A league office's fairness rule: broadcasters want the big clubs, sponsors
//! of the small ones want them seen too. Schedule-scoped and soft, asked team
//! by team (`partition = "team"`): moving a game asks again only about the
//! teams it involves. The score is the share of teams inside the band.

use umpire_plugin::{Description, Outcome, Rule, Severity, TeamRef, Violation, params, schedule};

struct BroadcastShare;

impl Rule for BroadcastShare {
    fn describe() -> Description {
        Description::new("broadcast-share", "Broadcast share")
    }

    fn evaluate_team(team: TeamRef) -> Result<Outcome, String> {
        let min: u32 = params::get("min_tv_games")?;
        let max: u32 = params::get("max_tv_games")?;
        if min > max {
            return Err(format!(
                "parameters: `min_tv_games` ({min}) is above `max_tv_games` ({max})"
            ));
        }
        let n = schedule::games_of(team)
            .iter()
            .filter(|g| g.tv.is_some())
            .count() as u32;
        let (off, suggestion) = if n < min {
            (
                min - n,
                format!("put {team} in {} more broadcast game(s)", min - n),
            )
        } else if n > max {
            (
                n - max,
                format!(
                    "give {} of {team}'s broadcast games to teams with fewer",
                    n - max
                ),
            )
        } else {
            return Ok(Outcome::pass());
        };
        let mut outcome = Outcome::pass();
        outcome.push(
            Violation::new(
                Severity::Minor,
                format!("{team} is in {n} broadcast game(s); the league wants {min} to {max}"),
            )
            .team(team)
            .penalty(off)
            .suggest(suggestion),
        );
        Ok(outcome)
    }
}

umpire_plugin::export_rule!(BroadcastShare);
