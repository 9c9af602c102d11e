//! Methods on the records the host hands over: formatting the way the Rhai
//! host formats (`2026-03-14`, `19:30`, `sat`) and the small comparisons rules
//! make, none of which allocate unless they return a `String`.

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};
use std::str::FromStr;

use crate::{
    Blackout, Civil, Date, Game, Moment, TeamRef, TvWindow, TvWindowRef, VenueRef, Weekday,
};

const SECONDS_PER_DAY: i64 = 86_400;

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
        Self::from_days_since_epoch(self.days_since_epoch() + days)
    }

    /// The date `days` days after 1970-01-01 (before, when negative): the
    /// inverse of [`days_since_epoch`](Self::days_since_epoch).
    pub fn from_days_since_epoch(days: i64) -> Self {
        // Hinnant's `civil_from_days`.
        let z = days + 719_468;
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
        weekday_of(self.days_since_epoch())
    }
}

/// The weekday of a day counted from 1970-01-01.
fn weekday_of(days_since_epoch: i64) -> Weekday {
    // 1970-01-01 was a Thursday.
    match days_since_epoch.rem_euclid(7) {
        0 => Weekday::Thu,
        1 => Weekday::Fri,
        2 => Weekday::Sat,
        3 => Weekday::Sun,
        4 => Weekday::Mon,
        5 => Weekday::Tue,
        _ => Weekday::Wed,
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
    /// Seconds since 1970-01-01T00:00 on the venue-local wall clock.
    fn local_seconds(&self) -> i64 {
        self.unix_seconds + i64::from(self.offset_seconds)
    }

    /// Days since 1970-01-01 of the venue-local date: what
    /// [`days_between`](crate::days_between) subtracts.
    pub fn local_days_since_epoch(&self) -> i64 {
        self.local_seconds().div_euclid(SECONDS_PER_DAY)
    }

    /// The venue-local wall clock: date, hour, minute, weekday and the offset
    /// from UTC. Arithmetic on the instant and its offset, no host call.
    pub fn local(&self) -> Civil {
        let days = self.local_days_since_epoch();
        let seconds = self.local_seconds().rem_euclid(SECONDS_PER_DAY);
        Civil {
            date: Date::from_days_since_epoch(days),
            // Both below 60 and 24: in range.
            hour: (seconds / 3600) as u8,
            minute: (seconds % 3600 / 60) as u8,
            weekday: weekday_of(days),
            offset_seconds: self.offset_seconds,
        }
    }

    /// The venue-local date.
    pub fn date(&self) -> Date {
        Date::from_days_since_epoch(self.local_days_since_epoch())
    }

    /// The civil time of this instant in another IANA time zone.
    pub fn in_zone(&self, timezone: &str) -> Result<Civil, String> {
        crate::time::in_zone(self.unix_seconds, timezone)
    }
}

impl Game {
    /// The home team. (The field `home` is the raw ref, a number: print or
    /// compare this instead.)
    #[inline]
    pub fn home(&self) -> TeamRef {
        TeamRef::new(self.home)
    }

    /// The away team.
    #[inline]
    pub fn away(&self) -> TeamRef {
        TeamRef::new(self.away)
    }

    /// The venue.
    #[inline]
    pub fn venue(&self) -> VenueRef {
        VenueRef::new(self.venue)
    }

    /// The TV window, for a broadcast game.
    #[inline]
    pub fn tv(&self) -> Option<TvWindowRef> {
        self.tv.map(TvWindowRef::new)
    }

    /// The venue-local date the game starts on.
    pub fn date(&self) -> Date {
        self.start.date()
    }

    /// Whether `team` plays in it, home or away: a ref (`&other.home()`,
    /// compared as a number) or an id (`"CHI"`, `team.id.as_str()`).
    pub fn involves<T: ?Sized>(&self, team: &T) -> bool
    where
        TeamRef: PartialEq<T>,
    {
        self.home() == *team || self.away() == *team
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
        assert_eq!(Date::from_days_since_epoch(-1), Date::new(1969, 12, 31));
    }

    #[test]
    fn moments_read_the_venue_clock() {
        // 2026-03-15T05:00Z is 22:00 on Saturday the 14th in Los Angeles.
        let m = Moment {
            unix_seconds: 1_773_550_800,
            offset_seconds: -7 * 3600,
        };
        let local = m.local();
        assert_eq!(local.date, Date::new(2026, 3, 14));
        assert_eq!(
            (local.hour, local.minute, local.clock()),
            (22, 0, "22:00".to_owned())
        );
        assert_eq!(local.weekday, Weekday::Sat);
        assert_eq!(local.offset_seconds, -7 * 3600);
        assert_eq!(m.date(), local.date);
        // Before 1970, and a half-hour zone.
        let m = Moment {
            unix_seconds: -1,
            offset_seconds: 5 * 3600 + 1800,
        };
        let local = m.local();
        assert_eq!(
            (local.date, local.clock()),
            (Date::new(1970, 1, 1), "05:29".to_owned())
        );
        let m = Moment {
            unix_seconds: -1,
            offset_seconds: 0,
        };
        assert_eq!(
            (m.date(), m.local().clock()),
            (Date::new(1969, 12, 31), "23:59".to_owned())
        );
        assert_eq!(m.local().weekday, Weekday::Wed);
    }

    #[test]
    fn games_name_their_teams() {
        let game = Game {
            slot: 0,
            id: "g1".to_owned(),
            round: None,
            home: 1,
            away: 2,
            venue: 1,
            start: Moment {
                unix_seconds: 0,
                offset_seconds: 0,
            },
            end: Moment {
                unix_seconds: 7200,
                offset_seconds: 0,
            },
            tv: Some(0),
            tags: Vec::new(),
        };
        assert_eq!((game.home().id(), game.away().id()), ("CHI", "LA"));
        assert_eq!(game.venue().to_string(), "chi-field");
        assert_eq!(game.tv().map(TvWindowRef::id), Some("sat-night"));
        assert!(game.involves("LA") && !game.involves("BOS"));
        assert!(game.involves(&TeamRef::new(1)) && game.involves(&"CHI".to_owned()));
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
