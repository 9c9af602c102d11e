//! `broadcast-share`: every team appears in between `min_tv_games` and
//! `max_tv_games` broadcast games (games with a TV window), home or away.
//!
//! A league office's fairness rule: broadcasters want the big clubs, sponsors
//! of the small ones want them seen too. Schedule-scoped and soft; the score
//! is the share of teams inside the band.

use umpire_plugin::{Description, Outcome, Rule, Severity, Violation, league, params, schedule};

struct BroadcastShare;

impl Rule for BroadcastShare {
    fn describe() -> Description {
        Description::new("broadcast-share", "Broadcast share")
    }

    fn evaluate_schedule() -> Result<Outcome, String> {
        let min: u32 = params::get("min_tv_games")?;
        let max: u32 = params::get("max_tv_games")?;
        if min > max {
            return Err(format!(
                "parameters: `min_tv_games` ({min}) is above `max_tv_games` ({max})"
            ));
        }

        // Broadcast games per team ref: one pass, no string compared.
        let mut counts = vec![0u32; league::ids().teams.len()];
        for game in schedule::games().iter().filter(|g| g.tv.is_some()) {
            let (home, away) = (game.home(), game.away());
            // A team in the game counts once, even against itself.
            let teams = if home == away {
                &[home][..]
            } else {
                &[home, away][..]
            };
            for team in teams {
                if let Some(count) = counts.get_mut(team.index()) {
                    *count += 1;
                }
            }
        }

        // Reported in the order of `league.teams`, each looked up by id.
        let teams = league::teams();
        let mut outcome = Outcome::pass();
        for team in &teams {
            let n = league::team_ref(&team.id).map_or(0, |r| counts[r.index()]);
            let (off, suggestion) = if n < min {
                (
                    min - n,
                    format!("put {} in {} more broadcast game(s)", team.id, min - n),
                )
            } else if n > max {
                (
                    n - max,
                    format!(
                        "give {} of {}'s broadcast games to teams with fewer",
                        n - max,
                        team.id
                    ),
                )
            } else {
                continue;
            };
            outcome.push(
                Violation::new(
                    Severity::Minor,
                    format!(
                        "{} is in {n} broadcast game(s); the league wants {min} to {max}",
                        team.id
                    ),
                )
                .team(&team.id)
                .penalty(off)
                .suggest(suggestion),
            );
        }
        if outcome.is_pass() || teams.is_empty() {
            return Ok(outcome);
        }
        let inside = teams.len() - outcome.violations.len();
        Ok(outcome.with_score(inside as f64 / teams.len() as f64))
    }
}

umpire_plugin::export_rule!(BroadcastShare);
