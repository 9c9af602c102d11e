//! Asks every schedule query about the game under evaluation and reports
//! each answer as one violation, `name: answer`, in a fixed order. The
//! engine's parity test asks the same probes from a Rhai rule and compares
//! the two reports line by line: both hosts must find the same games, in the
//! same order, with the same fields.
//!
//! A game is written `ID HOME-AWAY@VENUE START..END rROUND [TAGS]`, times
//! venue-local (`2026-03-14T19:00`), `r-` for no round; no game is `none`.

use umpire_plugin::{Description, Game, Outcome, Rule, Severity, Violation, schedule};

struct Probe;

fn game_text(g: &Game) -> String {
    let at = |m: &umpire_plugin::Moment| format!("{}T{}", m.date(), m.local().clock());
    let round = g.round.map_or_else(|| "-".to_owned(), |r| r.to_string());
    format!(
        "{} {}-{}@{} {}..{} r{} [{}]",
        g.id,
        g.home(),
        g.away(),
        g.venue(),
        at(&g.start),
        at(&g.end),
        round,
        g.tags.join(",")
    )
}

fn one(g: Option<Game>) -> String {
    g.as_ref().map_or_else(|| "none".to_owned(), game_text)
}

fn list(games: Vec<Game>) -> String {
    let texts: Vec<String> = games.iter().map(game_text).collect();
    format!("{} | {}", texts.len(), texts.join(" | "))
}

fn days(d: Option<i32>) -> String {
    d.map_or_else(|| "none".to_owned(), |d| d.to_string())
}

impl Rule for Probe {
    fn describe() -> Description {
        Description::new("probe-wasm", "Probe: the query API from WebAssembly")
    }

    fn evaluate_game(game: &Game) -> Result<Outcome, String> {
        const WEEK: i64 = 7 * 24 * 3600;
        let (home, away, venue) = (game.home(), game.away(), game.venue());
        let len = schedule::len();
        let next = schedule::next_game(home, game);
        let pairings: Vec<String> = schedule::pairings()
            .iter()
            .map(|p| {
                let round = p.round.map_or_else(|| "-".to_owned(), |r| r.to_string());
                format!("{}/{}/{round}", u32::from(p.home), u32::from(p.away))
            })
            .collect();
        let answers = [
            ("len", len.to_string()),
            ("games", list(schedule::games())),
            ("game_at(0)", one(schedule::game_at(0))),
            ("game_at(len)", one(schedule::game_at(len))),
            ("game(id)", one(schedule::game_by_id(&game.id))),
            ("game(nope)", one(schedule::game_by_id("nope"))),
            ("games_of(home)", list(schedule::games_of(home))),
            ("games_of(away)", list(schedule::games_of(away))),
            ("games_of(nope)", list(schedule::games_of("nope"))),
            (
                "games_of(home, week around)",
                list(schedule::games_of_between(
                    home,
                    game.start.unix_seconds - WEEK,
                    game.start.unix_seconds + WEEK,
                )),
            ),
            (
                "previous_game(home)",
                one(schedule::previous_game(home, game)),
            ),
            ("next_game(home)", one(next.clone())),
            (
                "previous_game(away)",
                one(schedule::previous_game(away, game)),
            ),
            ("next_game(away)", one(schedule::next_game(away, game))),
            (
                "previous_game(home, next_game(home))",
                one(next.and_then(|n| schedule::previous_game(home, &n))),
            ),
            ("rest_days(home)", days(schedule::rest_days(home, game))),
            ("rest_days(away)", days(schedule::rest_days(away, game))),
            (
                "games_at(venue, date)",
                list(schedule::games_at(venue, &game.date())),
            ),
            ("games_on(date)", list(schedule::games_on(&game.date()))),
            ("pairings", pairings.join(" ")),
        ];
        let mut outcome = Outcome::pass();
        for (name, answer) in answers {
            outcome.push(Violation::new(Severity::Minor, format!("{name}: {answer}")));
        }
        Ok(outcome)
    }
}

umpire_plugin::export_rule!(Probe);
