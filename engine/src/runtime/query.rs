//! The query API's host-independent half: the list of schedule queries, the
//! time arithmetic and verdict checks every plugin host offers the same way,
//! so a rule reads the same in Rhai or WebAssembly. What each query finds,
//! and the read recorded for it, are defined once, in
//! [`Query`](crate::model::reads::Query); both hosts answer through
//! `call::ask`.

use jiff::Zoned;
use jiff::civil::Weekday;

use crate::model::{Severity, Violation};

/// A schedule query as the two hosts offer it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct QueryName {
    /// As a Rhai rule writes it (`schedule.games_of(team)`).
    pub(crate) rhai: &'static str,
    /// The function of the WIT's `schedule` interface.
    #[cfg_attr(
        not(test),
        expect(dead_code, reason = "read by the test that holds the list to the WIT")
    )]
    pub(crate) wit: &'static str,
}

/// Every schedule query: the REPL completes and lists them from here, and
/// tests check that the Rhai host registers each and the WIT declares each
/// (and nothing else).
pub(crate) const SCHEDULE_QUERIES: &[QueryName] = &[
    QueryName {
        rhai: "schedule.len",
        wit: "len",
    },
    QueryName {
        rhai: "schedule.games",
        wit: "games",
    },
    QueryName {
        rhai: "schedule.games[slot]",
        wit: "game-at",
    },
    QueryName {
        rhai: "schedule.game(id)",
        wit: "game-by-id",
    },
    QueryName {
        rhai: "schedule.games_of(team)",
        wit: "games-of",
    },
    QueryName {
        rhai: "schedule.games_of(team, from, to)",
        wit: "games-of-between",
    },
    QueryName {
        rhai: "schedule.previous_game(team, game)",
        wit: "previous-game",
    },
    QueryName {
        rhai: "schedule.next_game(team, game)",
        wit: "next-game",
    },
    QueryName {
        rhai: "schedule.rest_days(team, game)",
        wit: "rest-days",
    },
    QueryName {
        rhai: "schedule.games_at(venue, date)",
        wit: "games-at",
    },
    QueryName {
        rhai: "schedule.games_on(date)",
        wit: "games-on",
    },
    QueryName {
        rhai: "schedule.pairings()",
        wit: "pairings",
    },
];

impl QueryName {
    /// What completion offers: the name up to its opening parenthesis, or
    /// the whole of a getter.
    pub(crate) fn completion(&self) -> &'static str {
        match self.rhai.find(['(', '[']) {
            Some(i) if self.rhai.as_bytes()[i] == b'(' => &self.rhai[..=i],
            Some(i) => &self.rhai[..i],
            None => self.rhai,
        }
    }
}

/// Calendar days from `a`'s local date to `b`'s local date, each date taken
/// in its own time zone (a game's zone is its venue's).
pub(crate) fn days_between(a: &Zoned, b: &Zoned) -> i64 {
    // Whole days between two civil dates; `duration_since` avoids the
    // calendar arithmetic of a `Span` and is exact for dates.
    b.date().duration_since(a.date()).as_hours() / 24
}

/// Elapsed hours from `a` to `b`.
pub(crate) fn hours_between(a: &Zoned, b: &Zoned) -> f64 {
    b.timestamp().duration_since(a.timestamp()).as_secs_f64() / 3600.0
}

/// `HH:MM`, zero-padded, so clocks compare as strings.
pub(crate) fn clock(z: &Zoned) -> String {
    format!("{:02}:{:02}", z.hour(), z.minute())
}

/// Three-letter lowercase weekday, as TV windows write them.
pub(crate) fn weekday_short(day: Weekday) -> &'static str {
    &crate::model::weekday_name(day)[..3]
}

/// Checks what a rule returned: a score must be a number in 0..=1, a penalty
/// finite and, unless the manifest allows `rewards`, not negative. Returns
/// the verdict's score.
pub(crate) fn check_outcome(
    violations: &[Violation],
    score: Option<f64>,
    rewards: bool,
) -> Result<f64, String> {
    for (i, v) in violations.iter().enumerate() {
        if !v.penalty.is_finite() || (v.penalty < 0.0 && !rewards) {
            return Err(format!(
                "violation {i} has penalty {}; a penalty must be a finite number >= 0 (a manifest with `rewards = true` may give negative ones)",
                v.penalty
            ));
        }
    }
    match score {
        Some(s) if !(0.0..=1.0).contains(&s) => Err(format!(
            "the verdict's score is {s}; a score must be a number in 0..=1"
        )),
        Some(s) => Ok(s),
        None if violations.is_empty() => Ok(1.0),
        None => Ok(0.0),
    }
}

/// The severity named by a rule, or an error listing the choices.
pub(crate) fn severity(name: &str) -> Result<Severity, String> {
    Severity::parse(name).ok_or_else(|| {
        format!("unknown severity \"{name}\"; expected \"critical\", \"major\" or \"minor\"")
    })
}

/// The bytes a call's violations take, as `plugins.max_output_kb` counts
/// them: about what the host holds for them.
pub(crate) fn output_size(violations: &[Violation]) -> usize {
    violations.iter().map(violation_size).sum()
}

/// The bytes one violation takes: its fixed part, its message and
/// suggestion, and each entity with its id.
pub(crate) fn violation_size(v: &Violation) -> usize {
    std::mem::size_of::<Violation>()
        + v.message.len()
        + v.suggestion.as_ref().map_or(0, String::len)
        + v.entities
            .iter()
            .map(|e| std::mem::size_of::<crate::model::Entity>() + e.id.len())
            .sum::<usize>()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn z(s: &str) -> Zoned {
        s.parse().unwrap()
    }

    /// The functions of the WIT's `schedule` interface, in order.
    fn wit_schedule_functions() -> Vec<String> {
        let wit = include_str!("../../wit/umpire.wit");
        let body = wit
            .split("interface schedule {")
            .nth(1)
            .and_then(|rest| rest.split("\n}").next())
            .expect("the WIT has a schedule interface");
        body.lines()
            .filter_map(|line| line.trim().split_once(": func"))
            .map(|(name, _)| name.to_owned())
            .collect()
    }

    #[test]
    fn the_query_list_names_every_function_of_the_wit_schedule_interface() {
        let mut listed: Vec<&str> = SCHEDULE_QUERIES.iter().map(|q| q.wit).collect();
        let mut wit = wit_schedule_functions();
        listed.sort_unstable();
        wit.sort_unstable();
        assert_eq!(listed, wit);
    }

    #[test]
    fn completions_come_from_the_written_form() {
        let by = |rhai: &str| {
            let q = SCHEDULE_QUERIES.iter().find(|q| q.rhai == rhai).unwrap();
            q.completion()
        };
        assert_eq!(by("schedule.games_of(team)"), "schedule.games_of(");
        assert_eq!(by("schedule.len"), "schedule.len");
        assert_eq!(by("schedule.games[slot]"), "schedule.games");
        assert_eq!(by("schedule.pairings()"), "schedule.pairings(");
    }

    #[test]
    fn days_between_uses_each_local_date() {
        // 22:00 in Los Angeles on the 14th is the 15th in New York, but each
        // game counts by its own venue's calendar.
        let la = z("2026-03-14T22:00[America/Los_Angeles]");
        let ny = z("2026-03-16T13:00[America/New_York]");
        assert_eq!(days_between(&la, &ny), 2);
        assert_eq!(days_between(&ny, &la), -2);
        assert!((hours_between(&la, &ny) - 36.0).abs() < 1e-9);
    }

    #[test]
    fn scores_and_penalties_are_checked() {
        let v = Violation::new(Severity::Minor, "x");
        assert_eq!(check_outcome(&[], None, false), Ok(1.0));
        assert_eq!(
            check_outcome(std::slice::from_ref(&v), None, false),
            Ok(0.0)
        );
        assert_eq!(
            check_outcome(std::slice::from_ref(&v), Some(0.5), false),
            Ok(0.5)
        );
        assert!(check_outcome(&[], Some(f64::NAN), false).is_err());
        assert!(check_outcome(&[], Some(1.5), false).is_err());
        let bad = Violation {
            penalty: f64::INFINITY,
            ..v.clone()
        };
        assert!(check_outcome(std::slice::from_ref(&bad), None, true).is_err());
        let reward = Violation { penalty: -3.0, ..v };
        assert!(check_outcome(std::slice::from_ref(&reward), None, false).is_err());
        assert_eq!(check_outcome(&[reward], None, true), Ok(0.0));
        assert_eq!(clock(&z("2026-03-14T09:05[UTC]")), "09:05");
    }
}
