//! Methods on the records the host hands over: formatting the way the Rhai
//! host formats (`2026-03-14`, `19:30`, `sat`) and the small comparisons rules
//! make, none of which allocate unless they return a `String`.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::{Blackout, Civil, Date, Game, Moment, TvWindow, Weekday};

impl Date {
    /// The date `year-month-day`. Not checked: the host validates dates.
    pub const fn new(year: i16, month: u8, day: u8) -> Self {
        Self { year, month, day }
    }

    /// Days since 1970-01-01 (negative before), for date arithmetic.
    pub fn days_since_epoch(&self) -> i64 {
        // Howard Hinnant's `days_from_civil`: exact for the proleptic
        // Gregorian calendar.
        let (m, d) = (i64::from(self.month), i64::from(self.day));
        let y = i64::from(self.year) - i64::from(m <= 2);
        let era = y.div_euclid(400);
        let yoe = y - era * 400;
        let mp = (m + 9) % 12;
        let doy = (153 * mp + 2) / 5 + d - 1;
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        era * 146_097 + doe - 719_468
    }

    /// The date `days` days after this one (before, when negative).
    #[must_use]
    pub fn plus_days(&self, days: i64) -> Self {
        // Inverse of `days_since_epoch` (Hinnant's `civil_from_days`).
        let z = self.days_since_epoch() + days + 719_468;
        let era = z.div_euclid(146_097);
        let doe = z - era * 146_097;
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        let mp = (5 * doy + 2) / 153;
        let day = doy - (153 * mp + 2) / 5 + 1;
        let month = if mp < 10 { mp + 3 } else { mp - 9 };
        let year = yoe + era * 400 + i64::from(month <= 2);
        // In range for any date the host can send.
        Self::new(year as i16, month as u8, day as u8)
    }

    /// The day of the week.
    pub fn weekday(&self) -> Weekday {
        // 1970-01-01 was a Thursday.
        match self.days_since_epoch().rem_euclid(7) {
            0 => Weekday::Thu,
            1 => Weekday::Fri,
            2 => Weekday::Sat,
            3 => Weekday::Sun,
            4 => Weekday::Mon,
            5 => Weekday::Tue,
            _ => Weekday::Wed,
        }
    }
}

impl fmt::Display for Date {
    /// `2026-03-14`, as the host writes dates.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for Date {
    type Err = String;

    /// Reads `YYYY-MM-DD`.
    fn from_str(s: &str) -> Result<Self, String> {
        let bad = || format!("invalid date \"{s}\"; expected YYYY-MM-DD, e.g. 2026-03-14");
        let mut parts = s.splitn(3, '-');
        let mut next = || parts.next().ok_or_else(bad);
        let (y, m, d) = (next()?, next()?, next()?);
        if y.len() != 4 || m.len() != 2 || d.len() != 2 {
            return Err(bad());
        }
        let date = Self::new(
            y.parse().map_err(|_| bad())?,
            m.parse().map_err(|_| bad())?,
            d.parse().map_err(|_| bad())?,
        );
        let normalized = date.plus_days(0);
        if !(1..=12).contains(&date.month) || date.day == 0 || normalized != date {
            return Err(bad());
        }
        Ok(date)
    }
}

impl PartialEq for Date {
    fn eq(&self, other: &Self) -> bool {
        (self.year, self.month, self.day) == (other.year, other.month, other.day)
    }
}

impl Eq for Date {}

impl PartialOrd for Date {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Date {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.year, self.month, self.day).cmp(&(other.year, other.month, other.day))
    }
}

impl Hash for Date {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.year, self.month, self.day).hash(state);
    }
}

impl Weekday {
    /// Three lowercase letters, as TV windows write them: `mon` .. `sun`.
    pub fn short(self) -> &'static str {
        match self {
            Self::Mon => "mon",
            Self::Tue => "tue",
            Self::Wed => "wed",
            Self::Thu => "thu",
            Self::Fri => "fri",
            Self::Sat => "sat",
            Self::Sun => "sun",
        }
    }

    /// Saturday or Sunday.
    pub fn is_weekend(self) -> bool {
        matches!(self, Self::Sat | Self::Sun)
    }
}

impl fmt::Display for Weekday {
    /// The short name, `sat`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.short())
    }
}

/// `HH:MM` for minutes after midnight.
fn clock(minutes: u16) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

impl Civil {
    /// `19:30`, zero-padded, as the host writes clocks.
    pub fn clock(&self) -> String {
        clock(self.minute_of_day())
    }

    /// Minutes after local midnight: compares like [`clock`](Self::clock)
    /// without building a string.
    pub fn minute_of_day(&self) -> u16 {
        u16::from(self.hour) * 60 + u16::from(self.minute)
    }
}

impl Moment {
    /// The venue-local date.
    pub fn date(&self) -> Date {
        self.local.date
    }

    /// The civil time of this instant in another IANA time zone.
    pub fn in_zone(&self, timezone: &str) -> Result<Civil, String> {
        crate::time::in_zone(self.unix_seconds, timezone)
    }
}

impl Game {
    /// The venue-local date the game starts on.
    pub fn date(&self) -> Date {
        self.start.local.date
    }

    /// Whether `team` plays in it, home or away.
    pub fn involves(&self, team: &str) -> bool {
        self.home == team || self.away == team
    }

    /// Whether it carries `tag`.
    pub fn has_tag(&self, tag: &str) -> bool {
        self.tags.iter().any(|t| t == tag)
    }
}

impl TvWindow {
    /// When the window opens, `19:00`.
    pub fn start_clock(&self) -> String {
        clock(self.start_minute)
    }

    /// When the window closes, `23:00`.
    pub fn end_clock(&self) -> String {
        clock(self.end_minute)
    }

    /// Whether the window runs on `day`.
    pub fn runs_on(&self, day: Weekday) -> bool {
        self.days.contains(&day)
    }
}

impl Blackout {
    /// Whether the blackout covers `date` (both ends included).
    pub fn covers(&self, date: &Date) -> bool {
        self.from <= *date && *date <= self.to
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_print_and_parse_like_the_host() {
        let d = Date::new(2026, 3, 14);
        assert_eq!(d.to_string(), "2026-03-14");
        assert_eq!("2026-03-14".parse::<Date>(), Ok(d));
        assert!("2026-02-29".parse::<Date>().is_err());
        assert!("2026-3-14".parse::<Date>().is_err());
        assert_eq!(Date::new(1970, 1, 1).days_since_epoch(), 0);
        assert_eq!(d.weekday(), Weekday::Sat);
        assert_eq!(d.plus_days(18), Date::new(2026, 4, 1));
        assert_eq!(Date::new(2024, 3, 1).plus_days(-1), Date::new(2024, 2, 29));
    }

    #[test]
    fn clocks_and_weekdays() {
        let c = Civil {
            date: Date::new(2026, 3, 14),
            hour: 9,
            minute: 5,
            weekday: Weekday::Sat,
            offset_seconds: 0,
        };
        assert_eq!(c.clock(), "09:05");
        assert_eq!(Weekday::Sat.to_string(), "sat");
        assert!(Weekday::Sun.is_weekend() && !Weekday::Wed.is_weekend());
    }
}
