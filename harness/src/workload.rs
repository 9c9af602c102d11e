//! Request bodies, drawn from the target's own leagues and schedules (the
//! example league, a generated one, whatever it serves), so the load asks
//! what clients ask: games by id, games moved inline, batches, streams,
//! and a solver's candidate moves and accepted ones.
//!
//! Bodies are prepared before the run, a pool of each kind, so the load
//! loop only picks one.

use std::time::Duration;

use bytes::Bytes;

use anyhow::{Context, bail};
use serde_json::{Value, json};

use crate::profile::Workload;
use crate::record::Kind;
use crate::target::{Unreachable, agent};

/// One prepared request.
#[derive(Debug, Clone)]
pub(crate) struct Body {
    /// Path and query.
    pub(crate) path: String,
    /// The body (none for GET); cloning it copies no bytes.
    pub(crate) body: Option<Bytes>,
    /// NDJSON lines a stream answer must have.
    pub(crate) lines: usize,
    /// Sent with PATCH (otherwise POST with a body, GET without).
    pub(crate) patch: bool,
}

/// The prepared bodies of every kind, and what they were drawn from.
#[derive(Debug)]
pub(crate) struct Bodies {
    pools: Vec<Vec<Body>>,
    /// (league, games) the target serves.
    pub(crate) leagues: Vec<(String, usize)>,
}

impl Bodies {
    /// Asks the target for its leagues and schedules and prepares bodies.
    pub(crate) fn prepare(url: &str, workload: &Workload) -> anyhow::Result<Self> {
        let agent = agent(Duration::from_secs(30));
        let get = |path: &str| -> anyhow::Result<Value> {
            let mut response = agent
                .get(&format!("{url}{path}"))
                .call()
                .map_err(|e| Unreachable(format!("{url}{path}: {e}")))?;
            if !response.status().is_success() {
                bail!("{url}{path} answered {}", response.status());
            }
            let text = response
                .body_mut()
                .with_config()
                .limit(256 * 1024 * 1024)
                .read_to_string()
                .with_context(|| format!("{url}{path}: no body"))?;
            serde_json::from_str(&text).with_context(|| format!("{url}{path}: not JSON"))
        };
        let listing = get("/v1/leagues")?;
        let mut schedules = Vec::new();
        for league in listing["leagues"].as_array().into_iter().flatten() {
            let name = league["name"]
                .as_str()
                .context("/v1/leagues: a league without a name")?
                .to_owned();
            let schedule = get(&format!("/v1/leagues/{name}/schedule"))?;
            let games = schedule["games"].as_array().cloned().unwrap_or_default();
            if !games.is_empty() {
                schedules.push((name, games));
            }
        }
        if schedules.is_empty() {
            bail!("{url} serves no league with games to evaluate");
        }
        let mut rng = fastrand::Rng::with_seed(workload.seed);
        let mut pools: Vec<Vec<Body>> = Kind::ALL.iter().map(|_| Vec::new()).collect();
        for _ in 0..workload.pool.max(1) {
            // Leagues weighed by their games: every game is equally likely.
            let total: usize = schedules.iter().map(|(_, g)| g.len()).sum();
            let mut pick = rng.usize(..total);
            let (league, games) = schedules
                .iter()
                .find(|(_, g)| {
                    if pick < g.len() {
                        true
                    } else {
                        pick -= g.len();
                        false
                    }
                })
                .expect("a pick within the total");
            let game = &games[pick];
            let id = game["id"].as_str().context("a game without an id")?;
            pools[0].push(json_body(
                "/v1/evaluate",
                &json!({"league": league, "game": id}),
            ));
            pools[1].push(json_body(
                "/v1/evaluate",
                &json!({"league": league, "game": moved(game, rng.i64(1..=3))}),
            ));
            let batch: Vec<&Value> = (0..workload.batch_games)
                .map(|_| &games[rng.usize(..games.len())]["id"])
                .collect();
            pools[2].push(json_body(
                "/v1/evaluate/batch",
                &json!({"league": league, "games": batch}),
            ));
            let mut ndjson = String::new();
            for _ in 0..workload.stream_games {
                ndjson.push_str(&games[rng.usize(..games.len())]["id"].to_string());
                ndjson.push('\n');
            }
            pools[3].push(Body {
                path: format!("/v1/evaluate/stream?league={league}"),
                body: Some(Bytes::from(ndjson)),
                lines: workload.stream_games,
                patch: false,
            });
            // As a solver asks: many candidates, each a game moved a few
            // days, judged on their own; now and then one is accepted.
            let mut candidate = || {
                let g = &games[rng.usize(..games.len())];
                let days = if rng.bool() {
                    rng.i64(1..=3)
                } else {
                    -rng.i64(1..=3)
                };
                json!({"edit": [{"id": g["id"], "start": moved(g, days)["start"]}]})
            };
            let moves: Vec<Value> = (0..workload.moves_per_request.max(1))
                .map(|_| candidate())
                .collect();
            pools[5].push(json_body(
                &format!("/v1/leagues/{league}/moves"),
                &json!({"moves": moves}),
            ));
            pools[6].push(Body {
                patch: true,
                ..json_body(&format!("/v1/leagues/{league}/schedule"), &candidate())
            });
        }
        pools[4].push(Body {
            path: "/v1/stats".into(),
            body: None,
            lines: 0,
            patch: false,
        });
        Ok(Self {
            pools,
            leagues: schedules
                .iter()
                .map(|(n, g)| (n.clone(), g.len()))
                .collect(),
        })
    }

    /// A body of that kind, at random.
    pub(crate) fn pick(&self, kind: Kind) -> &Body {
        let pool = &self.pools[Kind::ALL.iter().position(|k| *k == kind).unwrap_or(0)];
        &pool[fastrand::usize(..pool.len())]
    }
}

fn json_body(path: &str, value: &Value) -> Body {
    Body {
        path: path.to_owned(),
        body: Some(Bytes::from(value.to_string())),
        lines: 0,
        patch: false,
    }
}

/// The game moved `days` later: a question the cache cannot answer from
/// the schedule as it is. Its `end` is dropped so the league's game length
/// applies.
fn moved(game: &Value, days: i64) -> Value {
    let mut game = game.clone();
    if let Some(start) = game["start"].as_str()
        && let Some(shifted) = shift_date(start, days)
    {
        game["start"] = Value::String(shifted);
    }
    if let Some(map) = game.as_object_mut() {
        map.remove("end");
    }
    game
}

/// `start` moved by `days`: a zoned time (as `GET .../schedule` gives
/// them) by the zone's calendar, so the offset is the one of the new day;
/// any other form by its date alone.
fn shift_date(start: &str, days: i64) -> Option<String> {
    if start.ends_with(']') {
        let zoned: jiff::Zoned = start.parse().ok()?;
        return Some(
            zoned
                .checked_add(jiff::Span::new().days(days))
                .ok()?
                .to_string(),
        );
    }
    let date: jiff::civil::Date = start.get(..10)?.parse().ok()?;
    let moved = date.checked_add(jiff::Span::new().days(days)).ok()?;
    Some(format!("{moved}{}", &start[10..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_moved_game_keeps_its_clock_and_zone() {
        assert_eq!(
            shift_date("2026-02-28T19:30:00-08:00[America/Los_Angeles]", 2).as_deref(),
            Some("2026-03-02T19:30:00-08:00[America/Los_Angeles]")
        );
        // Across the change to summer time the offset follows the zone.
        assert_eq!(
            shift_date("2026-03-07T15:30:00-08:00[America/Los_Angeles]", 2).as_deref(),
            Some("2026-03-09T15:30:00-07:00[America/Los_Angeles]")
        );
        let game = json!({"id": "G", "start": "2026-12-31T20:00-05:00", "end": "x"});
        let moved = moved(&game, 1);
        assert_eq!(moved["start"], "2027-01-01T20:00-05:00");
        assert!(moved.get("end").is_none());
        assert_eq!(shift_date("soon", 1), None);
    }
}
