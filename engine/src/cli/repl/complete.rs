//! Completion at the REPL's prompt: commands, game and constraint ids,
//! variables and the query API.

use super::COMMANDS;
use crate::runtime::SCHEDULE_QUERIES;

/// Names of the query API beyond the schedule's queries (those come from
/// the runtime's list, `SCHEDULE_QUERIES`), for completion.
pub(super) const API: &[&str] = &[
    "league.team(",
    "league.venue(",
    "league.tv_window(",
    "league.teams",
    "league.venues",
    "league.reference(",
    "league.blackout(",
    "days_between(",
    "hours_between(",
    "pass()",
    "violation(",
    "verdict(",
];

/// The fields and methods of the values scripts see, offered after a dot
/// on a name other than `schedule` and `league` (whose queries are listed
/// whole): a game's, a time's, a list's.
pub(super) const FIELDS: &[&str] = &[
    // a game
    "id",
    "home",
    "away",
    "venue",
    "round",
    "start",
    "end",
    "date",
    "tv",
    "tags",
    // a time
    "clock",
    "hour",
    "minute",
    "weekday",
    "timezone",
    "in_tz(",
    "plus_days(",
    "plus_hours(",
    // a list or a string
    "len()",
    "contains(",
    "filter(",
    "map(",
];

/// What completion offers.
#[derive(Debug, Default, Clone)]
pub(super) struct Words {
    pub(super) games: Vec<String>,
    pub(super) constraints: Vec<String>,
    pub(super) names: Vec<String>,
}

/// The start of the word before `pos` and the words that complete it.
pub(super) fn candidates(line: &str, pos: usize, words: &Words) -> (usize, Vec<String>) {
    let head = &line[..pos];
    let start = head
        .rfind(|c: char| !(c.is_alphanumeric() || "-_:.".contains(c)))
        .map_or(0, |i| {
            i + head[i..].chars().next().map_or(1, char::len_utf8)
        });
    let word = &head[start..];
    let args_before = head[..start].split_whitespace().count();
    let command = head.split_whitespace().next().unwrap_or("");
    let pool: Vec<&str> = if start == 0 && word.starts_with(':') {
        COMMANDS
            .iter()
            .map(|(c, _)| c.split(' ').next().unwrap_or(c))
            .collect()
    } else if (command == ":eval" || command == ":explain") && args_before == 1 {
        words
            .games
            .iter()
            .map(String::as_str)
            .chain((command == ":eval").then_some("schedule"))
            .collect()
    } else if command == ":eval" && args_before == 2 {
        words.constraints.iter().map(String::as_str).collect()
    } else if command == ":trace" || command == ":time" {
        vec!["on", "off"]
    } else if command.starts_with(':') {
        Vec::new()
    } else if let Some(dot) = word.rfind('.').filter(|&d| {
        let of = &word[..d];
        of != "schedule" && of != "league" && !of.is_empty()
    }) {
        // `game.st` -> `game.start`: the fields after the last dot.
        let (of, part) = (&word[..=dot], &word[dot + 1..]);
        let mut found: Vec<String> = FIELDS
            .iter()
            .filter(|f| f.starts_with(part))
            .map(|f| format!("{of}{f}"))
            .collect();
        found.sort();
        found.dedup();
        return (start, found);
    } else {
        words
            .games
            .iter()
            .chain(&words.constraints)
            .chain(&words.names)
            .map(String::as_str)
            .chain(SCHEDULE_QUERIES.iter().map(|q| -> &str { q.completion() }))
            .chain(API.iter().copied())
            .collect()
    };
    let mut found: Vec<String> = pool
        .into_iter()
        .filter(|w| w.starts_with(word))
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    (start, found)
}

pub(super) struct Helper {
    pub(super) words: Words,
}

impl rustyline::completion::Completer for Helper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(candidates(line, pos, &self.words))
    }
}

impl rustyline::hint::Hinter for Helper {
    type Hint = String;
}

impl rustyline::highlight::Highlighter for Helper {}

/// Whether `input` leaves a bracket open (outside strings and `//`
/// comments): the REPL then reads another line before it evaluates. A
/// command (`:...`) is one line.
pub(super) fn incomplete(input: &str) -> bool {
    if input.trim_start().starts_with(':') {
        return false;
    }
    let open = crate::runtime::open_in(input);
    !open.brackets.is_empty() || open.backtick
}

impl rustyline::validate::Validator for Helper {
    fn validate(
        &self,
        ctx: &mut rustyline::validate::ValidationContext<'_>,
    ) -> rustyline::Result<rustyline::validate::ValidationResult> {
        Ok(if incomplete(ctx.input()) {
            rustyline::validate::ValidationResult::Incomplete
        } else {
            rustyline::validate::ValidationResult::Valid(None)
        })
    }
}

impl rustyline::Helper for Helper {}

#[cfg(test)]
mod tests {
    #[test]
    fn an_open_bracket_asks_for_another_line() {
        use super::incomplete;
        assert!(incomplete("fn window(team, g) {"));
        assert!(incomplete("let x = [1,\n2"));
        assert!(incomplete("let s = `a ${1}\n"));
        assert!(!incomplete("fn window(team, g) {\n  team\n}"));
        assert!(!incomplete("\"{\" + '('"));
        assert!(!incomplete("1 // {"));
        assert!(!incomplete(":eval R01-TOR-SDG"));
        assert!(!incomplete("x)"));
    }

    use super::*;

    fn words() -> Words {
        Words {
            games: vec![
                "R14-PHX-SLC".into(),
                "R14-DEN-CHI".into(),
                "R01-TOR-SDG".into(),
            ],
            constraints: vec!["min-rest-days".into(), "max-consecutive-away".into()],
            names: vec!["league".into(), "schedule".into(), "gap".into()],
        }
    }

    #[test]
    fn completes_commands_games_constraints_and_names() {
        let w = words();
        assert_eq!(candidates(":ex", 3, &w), (0, vec![":explain".to_owned()]));
        assert_eq!(
            candidates(":eval R14-", 10, &w),
            (6, vec!["R14-DEN-CHI".to_owned(), "R14-PHX-SLC".to_owned()])
        );
        assert_eq!(
            candidates(":eval R14-PHX-SLC mi", 20, &w),
            (18, vec!["min-rest-days".to_owned()])
        );
        assert_eq!(candidates(":trace o", 8, &w).1, vec!["off", "on"]);
        let (start, found) = candidates("schedule.rest_days(ga", 21, &w);
        assert_eq!((start, found), (19, vec!["gap".to_owned()]));
        let schedule = candidates("sched", 5, &w).1;
        for q in SCHEDULE_QUERIES {
            assert!(schedule.contains(&q.completion().to_owned()), "{}", q.rhai);
        }
        assert!(schedule.contains(&"schedule.pairings(".to_owned()));
    }

    #[test]
    fn completes_the_fields_of_values() {
        let w = words();
        assert_eq!(
            candidates("game.st", 7, &w),
            (0, vec!["game.start".to_owned()])
        );
        assert_eq!(
            candidates("let k = game.start.cl", 21, &w),
            (8, vec!["game.start.clock".to_owned()])
        );
        let (_, home) = candidates("prev.h", 6, &w);
        assert_eq!(home, vec!["prev.home", "prev.hour"]);
        // The schedule's and the league's queries are offered whole.
        assert!(
            candidates("schedule.games_o", 16, &w)
                .1
                .iter()
                .all(|c| c.starts_with("schedule.games_o"))
        );
    }
}
