//! The query API's host-independent half: the time arithmetic and verdict
//! checks every plugin host offers the same way, so a rule reads the same in
//! Rhai or WebAssembly. The index lookups themselves are
//! [`Schedule`](crate::model::Schedule)'s methods.

use jiff::Zoned;
use jiff::civil::Weekday;

use crate::model::{Severity, Violation};

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
/// finite and not negative. Returns the verdict's score.
pub(crate) fn check_outcome(violations: &[Violation], score: Option<f64>) -> Result<f64, String> {
    for (i, v) in violations.iter().enumerate() {
        if !v.penalty.is_finite() || v.penalty < 0.0 {
            return Err(format!(
                "violation {i} has penalty {}; a penalty must be a finite number >= 0",
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
        assert_eq!(check_outcome(&[], None), Ok(1.0));
        assert_eq!(check_outcome(std::slice::from_ref(&v), None), Ok(0.0));
        assert_eq!(check_outcome(std::slice::from_ref(&v), Some(0.5)), Ok(0.5));
        assert!(check_outcome(&[], Some(f64::NAN)).is_err());
        assert!(check_outcome(&[], Some(1.5)).is_err());
        let bad = Violation {
            penalty: f64::INFINITY,
            ..v
        };
        assert!(check_outcome(&[bad], None).is_err());
        assert_eq!(clock(&z("2026-03-14T09:05[UTC]")), "09:05");
    }
}
