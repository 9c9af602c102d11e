//! Time zones and time arithmetic. The host does the time zone work, so a
//! plugin carries no time zone database of its own.

use crate::bindings::umpire::plugin::time as host;
use crate::{Civil, Moment};

/// The civil time of an instant (Unix seconds) in an IANA time zone, e.g.
/// `in_zone(game.start.unix_seconds, "America/New_York")`.
pub fn in_zone(unix_seconds: i64, timezone: &str) -> Result<Civil, String> {
    host::in_zone(unix_seconds, timezone)
}

/// Calendar days from `a`'s local date to `b`'s local date, each taken in its
/// own time zone (a game's is its venue's), as the host's `days_between`.
///
/// A game on Saturday 22:00 in Los Angeles and one on Monday 13:00 in New
/// York are 2 days apart.
pub fn days_between(a: &Moment, b: &Moment) -> i64 {
    b.local_days_since_epoch() - a.local_days_since_epoch()
}

/// Elapsed hours from `a` to `b` (negative when `b` is earlier).
pub fn hours_between(a: &Moment, b: &Moment) -> f64 {
    (b.unix_seconds - a.unix_seconds) as f64 / 3600.0
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Date;

    fn moment(unix_seconds: i64, offset_seconds: i32) -> Moment {
        Moment {
            unix_seconds,
            offset_seconds,
        }
    }

    #[test]
    fn days_between_uses_each_local_date() {
        // The host's own test: 22:00 in Los Angeles on the 14th is the 15th in
        // New York, but each game counts by its own venue's calendar.
        let la = moment(1_773_550_800, -7 * 3600);
        let ny = moment(1_773_680_400, -4 * 3600);
        assert_eq!(la.date(), Date::new(2026, 3, 14));
        assert_eq!(ny.date(), Date::new(2026, 3, 16));
        assert_eq!(days_between(&la, &ny), 2);
        assert_eq!(days_between(&ny, &la), -2);
        assert!((hours_between(&la, &ny) - 36.0).abs() < 1e-9);
    }
}
