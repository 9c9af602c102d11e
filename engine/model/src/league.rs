//! A league: teams, venues, TV windows and reference data, read from
//! `league.toml`.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::civil::{Date, Time, Weekday};
use jiff::tz::{Disambiguation, TimeZone};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, from_toml, read_to_string};
use crate::fingerprint::Fingerprint;

/// The file a league directory must hold.
pub const LEAGUE_FILE: &str = "league.toml";

/// Default game length when a game gives no `end`.
pub const DEFAULT_GAME_MINUTES: u32 = 120;

/// A league, validated: every id unique, every reference resolved.
#[derive(Debug, Clone)]
pub struct League {
    /// The league's name.
    pub name: String,
    /// The season, free text.
    pub season: Option<String>,
    /// The directory the league was loaded from.
    pub dir: PathBuf,
    /// The default schedule file, resolved against `dir`.
    pub schedule_file: Option<PathBuf>,
    /// Plugin directories, resolved against `dir`.
    pub plugin_dirs: Vec<PathBuf>,
    /// Game length when a game gives no `end`.
    pub default_game_minutes: u32,
    /// What a wall-clock game time that a daylight-saving change skips or
    /// repeats means (`dst` in league.toml; by default such a time is
    /// refused).
    pub dst: DstPolicy,
    /// The teams, in file order.
    pub teams: Vec<Team>,
    /// The venues, in file order.
    pub venues: Vec<Venue>,
    /// The TV windows, in file order.
    pub tv_windows: Vec<TvWindow>,
    /// Free-form reference data rules can read.
    pub reference: serde_json::Map<String, serde_json::Value>,
    team_index: FxHashMap<Arc<str>, usize>,
    venue_index: FxHashMap<Arc<str>, usize>,
    tv_index: FxHashMap<Arc<str>, usize>,
    fingerprint: u64,
}

/// A team.
#[derive(Debug, Clone)]
pub struct Team {
    /// Unique id, what games and rules refer to.
    pub id: Arc<str>,
    /// Display name.
    pub name: String,
    /// Home venue id.
    pub venue: Arc<str>,
    /// Division, if the league has them.
    pub division: Option<String>,
}

/// A venue, with its time zone and the dates it cannot be used.
#[derive(Debug, Clone)]
pub struct Venue {
    /// Unique id.
    pub id: Arc<str>,
    /// Display name.
    pub name: String,
    /// The IANA name of its time zone.
    pub timezone_name: String,
    /// Its time zone.
    pub timezone: TimeZone,
    /// Venue-local date ranges it cannot be used.
    pub blackouts: Vec<Blackout>,
}

/// An inclusive range of venue-local dates a venue cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Blackout {
    /// First date.
    pub from: Date,
    /// Last date (inclusive).
    pub to: Date,
    /// Why, for diagnostics.
    pub reason: String,
}

impl Blackout {
    /// Whether `date` falls in this range.
    pub fn covers(&self, date: Date) -> bool {
        self.from <= date && date <= self.to
    }
}

/// A broadcast window: days of the week and a span of local time in one zone.
#[derive(Debug, Clone)]
pub struct TvWindow {
    /// Unique id.
    pub id: Arc<str>,
    /// Broadcaster.
    pub network: String,
    /// Days of the week the window exists.
    pub days: Vec<Weekday>,
    /// Start, local to `timezone`.
    pub start: Time,
    /// End, local to `timezone`; after `start`.
    pub end: Time,
    /// The IANA name of the window's time zone.
    pub timezone_name: String,
    /// The window's time zone.
    pub timezone: TimeZone,
}

/// What a wall-clock game time (venue-local, or zoned without an offset)
/// means when a daylight-saving change skips it (a gap: 02:30 on the day the
/// clocks go forward) or repeats it (an overlap: 01:30 on the day they go
/// back). Such a time names no instant, or two, so by default it is an
/// error; a league that writes its schedule in wall-clock time and wants it
/// read anyway picks a rule, as jiff's [`Disambiguation`] resolves. A time
/// with an offset is exact and never affected.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
#[non_exhaustive]
pub enum DstPolicy {
    /// An error naming the game, the time and the zone (the default).
    #[default]
    Refuse,
    /// The earlier instant: in an overlap the first 01:30 (still summer
    /// time); in a gap the instant the time would have had before the
    /// change (02:30 reads as 01:30 standard time).
    Earlier,
    /// The later instant: in an overlap the second 01:30 (standard time);
    /// in a gap the instant the time would have had after the change
    /// (02:30 reads as 03:30 summer time).
    Later,
    /// What most calendar software does: a gap as `later`, an overlap as
    /// `earlier`.
    Compatible,
}

impl DstPolicy {
    /// The jiff rule it stands for.
    pub fn disambiguation(self) -> Disambiguation {
        match self {
            Self::Refuse => Disambiguation::Reject,
            Self::Earlier => Disambiguation::Earlier,
            Self::Later => Disambiguation::Later,
            Self::Compatible => Disambiguation::Compatible,
        }
    }
}

/// A league as plain data: what `league.toml` says, field for field, and
/// what [`League::from_spec`] validates into a [`League`]. Build one in code
/// to make a league without a file.
///
/// ```
/// use std::path::Path;
/// use umpire_model::{League, LeagueSpec, TeamSpec, VenueSpec};
///
/// let spec = LeagueSpec {
///     name: "Two Towns".into(),
///     venues: vec![VenueSpec::new("north", "North Park", "America/Chicago")],
///     teams: vec![
///         TeamSpec::new("N", "Northers", "north"),
///         TeamSpec::new("S", "Southers", "north"),
///     ],
///     ..LeagueSpec::default()
/// };
/// let league = League::from_spec(Path::new("league.toml"), spec).unwrap();
/// assert_eq!(league.teams.len(), 2);
/// ```
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeagueSpec {
    /// The league's name.
    pub name: String,
    /// The season it plays, if named.
    pub season: Option<String>,
    /// Its schedule file, relative to the league file.
    pub schedule: Option<PathBuf>,
    /// Its plugin directories, relative to the league file.
    #[serde(default)]
    pub plugins: Vec<PathBuf>,
    /// How long a game without an end lasts (default
    /// [`DEFAULT_GAME_MINUTES`](crate::DEFAULT_GAME_MINUTES)).
    pub default_game_minutes: Option<u32>,
    /// How a wall-clock time that daylight saving skips or repeats reads.
    #[serde(default)]
    pub dst: DstPolicy,
    /// The teams.
    #[serde(default)]
    pub teams: Vec<TeamSpec>,
    /// The venues.
    #[serde(default)]
    pub venues: Vec<VenueSpec>,
    /// The TV windows.
    #[serde(default)]
    pub tv_windows: Vec<TvWindowSpec>,
    /// Reference data the rules may read (`league.reference(key)`).
    #[serde(default)]
    pub reference: serde_json::Map<String, serde_json::Value>,
}

/// A team as a league file writes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TeamSpec {
    /// Its id, as schedules name it.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its home venue's id.
    pub venue: String,
    /// Its division, if any.
    pub division: Option<String>,
}

impl TeamSpec {
    /// A team with no division.
    pub fn new(id: impl Into<String>, name: impl Into<String>, venue: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            venue: venue.into(),
            division: None,
        }
    }
}

/// A venue as a league file writes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VenueSpec {
    /// Its id.
    pub id: String,
    /// Its name.
    pub name: String,
    /// Its IANA time zone (`America/New_York`).
    pub timezone: String,
    /// The dates it cannot be used.
    #[serde(default)]
    pub blackouts: Vec<BlackoutSpec>,
}

impl VenueSpec {
    /// A venue with no blackouts.
    pub fn new(
        id: impl Into<String>,
        name: impl Into<String>,
        timezone: impl Into<String>,
    ) -> Self {
        Self {
            id: id.into(),
            name: name.into(),
            timezone: timezone.into(),
            blackouts: Vec::new(),
        }
    }
}

/// A venue's blackout as a league file writes it: dates `YYYY-MM-DD`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlackoutSpec {
    /// The first date.
    pub from: String,
    /// The last date (`from` when none).
    pub to: Option<String>,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// A TV window as a league file writes it.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TvWindowSpec {
    /// Its id.
    pub id: String,
    /// The network.
    pub network: String,
    /// The weekdays it runs (`"sat"`, `"sun"`, ...).
    pub days: Vec<String>,
    /// Its start, `HH:MM` in its time zone.
    pub start: String,
    /// Its end, `HH:MM`.
    pub end: String,
    /// Its IANA time zone.
    pub timezone: String,
}

impl League {
    /// A fingerprint of the league's spec (its JSON): two leagues with the
    /// same fingerprint read the same to every rule. The same in
    /// every build and version ([`fingerprint`](crate::fingerprint)).
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// Loads `league.toml` from a league directory (or the file itself).
    pub fn load(path: &Path) -> Result<Self> {
        let file = if path.is_dir() {
            path.join(LEAGUE_FILE)
        } else {
            path.to_owned()
        };
        let text = read_to_string(&file)?;
        Self::from_toml_str(&file, &text)
    }

    /// Parses and validates a league from TOML text; `file` names it in errors
    /// and anchors its relative paths.
    pub fn from_toml_str(file: &Path, text: &str) -> Result<Self> {
        Self::from_spec(file, from_toml(file, text)?).map_err(|e| e.in_toml(text))
    }

    /// Validates a league spec, as [`League::load`] does a file's; `file`
    /// names it in errors and anchors its relative paths.
    pub fn from_spec(file: &Path, spec: LeagueSpec) -> Result<Self> {
        // Of the spec as data, not of a file's text: a comment does not
        // change it, and a league built in code and the same league read
        // from a file share cached verdicts.
        let fingerprint = {
            let mut f = Fingerprint::new();
            serde_json::to_writer(&mut f, &spec)
                .map_err(|e| Error::invalid(file, "", format!("cannot be read: {e}")))?;
            f.finish()
        };
        let dir = file
            .parent()
            .map(Path::to_owned)
            .unwrap_or_else(|| PathBuf::from("."));
        let dir = if dir.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            dir
        };
        let invalid = |at: String, message: String| Error::invalid(file, at, message);

        let mut venues = Vec::with_capacity(spec.venues.len());
        let mut venue_index = FxHashMap::default();
        for (i, v) in spec.venues.into_iter().enumerate() {
            let at = format!("venues[{i}] ({})", v.id);
            let timezone = zone(&v.timezone)
                .map_err(|_| invalid(format!("{at}.timezone"), unknown_zone(&v.timezone)))?;
            let mut blackouts = Vec::with_capacity(v.blackouts.len());
            for (j, b) in v.blackouts.into_iter().enumerate() {
                let from = parse_date(&b.from)
                    .map_err(|m| invalid(format!("{at}.blackouts[{j}].from"), m))?;
                let to = match &b.to {
                    Some(t) => {
                        parse_date(t).map_err(|m| invalid(format!("{at}.blackouts[{j}].to"), m))?
                    }
                    None => from,
                };
                if to < from {
                    return Err(invalid(
                        format!("{at}.blackouts[{j}]"),
                        format!("`to` ({to}) is before `from` ({from})"),
                    ));
                }
                blackouts.push(Blackout {
                    from,
                    to,
                    reason: b.reason,
                });
            }
            let id: Arc<str> = v.id.into();
            if venue_index.insert(id.clone(), venues.len()).is_some() {
                return Err(invalid(at, format!("venue id `{id}` is declared twice")));
            }
            venues.push(Venue {
                id,
                name: v.name,
                timezone_name: v.timezone,
                timezone,
                blackouts,
            });
        }

        let mut teams = Vec::with_capacity(spec.teams.len());
        let mut team_index = FxHashMap::default();
        for (i, t) in spec.teams.into_iter().enumerate() {
            let at = format!("teams[{i}] ({})", t.id);
            let Some(&v) = venue_index.get(t.venue.as_str()) else {
                return Err(invalid(
                    format!("{at}.venue"),
                    format!(
                        "unknown venue `{}`; declare it under [[venues]]{}",
                        t.venue,
                        suggest(&t.venue, venues.iter().map(|v| &*v.id))
                    ),
                ));
            };
            let id: Arc<str> = t.id.into();
            if team_index.insert(id.clone(), teams.len()).is_some() {
                return Err(invalid(at, format!("team id `{id}` is declared twice")));
            }
            teams.push(Team {
                id,
                name: t.name,
                venue: venues[v].id.clone(),
                division: t.division,
            });
        }

        let mut tv_windows = Vec::with_capacity(spec.tv_windows.len());
        let mut tv_index = FxHashMap::default();
        for (i, w) in spec.tv_windows.into_iter().enumerate() {
            let at = format!("tv_windows[{i}] ({})", w.id);
            let timezone = zone(&w.timezone)
                .map_err(|_| invalid(format!("{at}.timezone"), unknown_zone(&w.timezone)))?;
            let days = w
                .days
                .iter()
                .enumerate()
                .map(|(j, d)| {
                    parse_weekday(d).ok_or_else(|| {
                        invalid(
                            format!("{at}.days[{j}]"),
                            format!(
                                "\"{d}\" is not a day; expected mon, tue, wed, thu, fri, sat or sun"
                            ),
                        )
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            let start = parse_clock(&w.start).map_err(|m| invalid(format!("{at}.start"), m))?;
            let end = parse_clock(&w.end).map_err(|m| invalid(format!("{at}.end"), m))?;
            if end <= start {
                return Err(invalid(
                    format!("{at}.end"),
                    format!("end {} is not after start {}", w.end, w.start),
                ));
            }
            let id: Arc<str> = w.id.into();
            if tv_index.insert(id.clone(), tv_windows.len()).is_some() {
                return Err(invalid(
                    at,
                    format!("TV window id `{id}` is declared twice"),
                ));
            }
            tv_windows.push(TvWindow {
                id,
                network: w.network,
                days,
                start,
                end,
                timezone_name: w.timezone,
                timezone,
            });
        }

        let default_game_minutes = spec.default_game_minutes.unwrap_or(DEFAULT_GAME_MINUTES);
        if default_game_minutes == 0 {
            return Err(invalid(
                "default_game_minutes".into(),
                "must be at least 1".into(),
            ));
        }
        Ok(Self {
            name: spec.name,
            season: spec.season,
            schedule_file: spec.schedule.map(|s| join_clean(&dir, &s)),
            plugin_dirs: spec.plugins.iter().map(|p| join_clean(&dir, p)).collect(),
            dir,
            default_game_minutes,
            dst: spec.dst,
            teams,
            venues,
            tv_windows,
            reference: spec.reference,
            team_index,
            venue_index,
            tv_index,
            fingerprint,
        })
    }

    /// The team with this id.
    pub fn team(&self, id: &str) -> Option<&Team> {
        self.team_index.get(id).map(|&i| &self.teams[i])
    }

    /// The venue with this id.
    pub fn venue(&self, id: &str) -> Option<&Venue> {
        self.venue_index.get(id).map(|&i| &self.venues[i])
    }

    /// The TV window with this id.
    pub fn tv_window(&self, id: &str) -> Option<&TvWindow> {
        self.tv_index.get(id).map(|&i| &self.tv_windows[i])
    }

    /// The position of a team in the league's list (for the plugin hosts).
    #[doc(hidden)]
    pub fn team_position(&self, id: &str) -> Option<usize> {
        self.team_index.get(id).copied()
    }

    /// The position of a venue in the league's list (for the plugin hosts).
    #[doc(hidden)]
    pub fn venue_position(&self, id: &str) -> Option<usize> {
        self.venue_index.get(id).copied()
    }

    /// The position of a TV window in the league's list (for the plugin hosts).
    #[doc(hidden)]
    pub fn tv_position(&self, id: &str) -> Option<usize> {
        self.tv_index.get(id).copied()
    }
}

/// `base` joined with `rel`, with `a/..` pairs folded away lexically, so
/// diagnostics print `plugins/rhai/x.rhai` rather than
/// `examples/leagues/l/../../../plugins/rhai/x.rhai`. A `..` that cannot be
/// folded (leading, or after another `..`) is kept.
pub fn join_clean(base: &Path, rel: &Path) -> PathBuf {
    use std::path::Component;
    let joined = base.join(rel);
    let mut out: Vec<Component<'_>> = Vec::new();
    for c in joined.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    if out.is_empty() {
        PathBuf::from(".")
    } else {
        out.iter().collect()
    }
}

/// Parses `YYYY-MM-DD`.
pub(crate) fn parse_date(s: &str) -> Result<Date, String> {
    s.parse::<Date>()
        .map_err(|_| format!("\"{s}\" is not a date; expected YYYY-MM-DD"))
}

/// Parses `HH:MM` (or `HH:MM:SS`).
pub(crate) fn parse_clock(s: &str) -> Result<Time, String> {
    s.parse::<Time>()
        .map_err(|_| format!("\"{s}\" is not a time of day; expected HH:MM"))
}

/// Parses a three-letter (or full) English weekday name.
pub(crate) fn parse_weekday(s: &str) -> Option<Weekday> {
    let s = s.to_ascii_lowercase();
    let day = match s.get(..3)? {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    };
    let full = weekday_name(day);
    (s.len() == 3 || full.starts_with(s.as_str())).then_some(day)
}

/// The full lowercase name of a weekday.
pub fn weekday_name(day: Weekday) -> &'static str {
    match day {
        Weekday::Monday => "monday",
        Weekday::Tuesday => "tuesday",
        Weekday::Wednesday => "wednesday",
        Weekday::Thursday => "thursday",
        Weekday::Friday => "friday",
        Weekday::Saturday => "saturday",
        Weekday::Sunday => "sunday",
    }
}

/// "; did you mean `x`?" when one of `known` is close to `wrong`, else the
/// known ids when they are few.
pub fn suggest<'a>(wrong: &str, known: impl Iterator<Item = &'a str>) -> String {
    let known: Vec<&str> = known.collect();
    let close = known
        .iter()
        .filter(|k| k.eq_ignore_ascii_case(wrong) || strsim::levenshtein(k, wrong) <= 2)
        .min_by_key(|k| strsim::levenshtein(k, wrong));
    match close {
        Some(k) => format!("; did you mean `{k}`?"),
        None if !known.is_empty() && known.len() <= 20 => {
            format!("; known: {}", known.join(", "))
        }
        None => String::new(),
    }
}

/// What is wrong with a time zone name the zone database does not know:
/// the close one it knows, if any (`America/Los_Angelos`: did you mean
/// `America/Los_Angeles`?), else what a name looks like.
pub fn unknown_zone(name: &str) -> String {
    let names: Vec<String> = jiff::tz::db()
        .available()
        .map(|n| n.as_str().to_owned())
        .collect();
    match suggest(name, names.iter().map(String::as_str)) {
        close if !close.is_empty() => format!("unknown time zone \"{name}\"{close}"),
        _ => format!(
            "unknown time zone \"{name}\"; expected an IANA name such as \"America/New_York\""
        ),
    }
}

/// The time zone of an IANA name. `UTC` needs no lookup: asking the
/// system's zone database for it reads the whole zoneinfo directory, a
/// millisecond of every RobinX run (their leagues are all in UTC).
fn zone(name: &str) -> Result<TimeZone, jiff::Error> {
    if name == "UTC" {
        Ok(TimeZone::UTC)
    } else {
        TimeZone::get(name)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MINI: &str = r#"
name = "Mini"
[[venues]]
id = "park"
name = "Park"
timezone = "America/Chicago"
blackouts = [{ from = "2026-03-01", to = "2026-03-02", reason = "fair" }]
[[teams]]
id = "A"
name = "Alphas"
venue = "park"
[[tv_windows]]
id = "sat"
network = "N"
days = ["sat", "Sunday"]
start = "19:00"
end = "23:00"
timezone = "America/New_York"
"#;

    #[test]
    fn loads_a_small_league() {
        let league = League::from_toml_str(Path::new("x/league.toml"), MINI).unwrap();
        assert_eq!(league.team("A").unwrap().venue.as_ref(), "park");
        let park = league.venue("park").unwrap();
        assert!(park.blackouts[0].covers("2026-03-02".parse().unwrap()));
        assert!(!park.blackouts[0].covers("2026-03-03".parse().unwrap()));
        let w = league.tv_window("sat").unwrap();
        assert_eq!(w.days, vec![Weekday::Saturday, Weekday::Sunday]);
        assert_eq!(league.default_game_minutes, DEFAULT_GAME_MINUTES);
    }

    /// The same league built in code reads as the file does, down to its
    /// fingerprint (so the two share cached verdicts); a comment in the
    /// file changes nothing, an edit of the data does.
    #[test]
    fn a_league_built_in_code_is_the_league_its_file_gives() {
        let file = Path::new("x/league.toml");
        let read = League::from_toml_str(file, MINI).unwrap();
        let mut venue = VenueSpec::new("park", "Park", "America/Chicago");
        venue.blackouts.push(BlackoutSpec {
            from: "2026-03-01".into(),
            to: Some("2026-03-02".into()),
            reason: "fair".into(),
        });
        let spec = LeagueSpec {
            name: "Mini".into(),
            venues: vec![venue],
            teams: vec![TeamSpec::new("A", "Alphas", "park")],
            tv_windows: vec![TvWindowSpec {
                id: "sat".into(),
                network: "N".into(),
                days: vec!["sat".into(), "Sunday".into()],
                start: "19:00".into(),
                end: "23:00".into(),
                timezone: "America/New_York".into(),
            }],
            ..LeagueSpec::default()
        };
        let built = League::from_spec(file, spec.clone()).unwrap();
        assert_eq!(built.fingerprint(), read.fingerprint());
        assert_eq!(built.team("A").unwrap().venue.as_ref(), "park");
        let commented = format!("# a comment\n{MINI}");
        let again = League::from_toml_str(file, &commented).unwrap();
        assert_eq!(again.fingerprint(), read.fingerprint());
        let renamed = LeagueSpec {
            name: "Maxi".into(),
            ..spec
        };
        let other = League::from_spec(file, renamed).unwrap();
        assert_ne!(other.fingerprint(), read.fingerprint());
    }

    #[test]
    fn a_league_spec_in_code_is_checked_as_a_file_is() {
        let spec = LeagueSpec {
            name: "Bad".into(),
            teams: vec![TeamSpec::new("A", "Alphas", "nowhere")],
            ..LeagueSpec::default()
        };
        let err = League::from_spec(Path::new("league.toml"), spec).unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("teams[0]") && msg.contains("nowhere"), "{msg}");
    }

    #[test]
    fn misspelt_field_is_an_error_naming_it() {
        let text = MINI.replace(
            "timezone = \"America/Chicago\"",
            "timezon = \"America/Chicago\"",
        );
        let err = League::from_toml_str(Path::new("l.toml"), &text).unwrap_err();
        let msg = err.to_string();
        assert!(msg.starts_with("l.toml:"), "{msg}");
        assert!(msg.contains("timezon"), "{msg}");
    }

    #[test]
    fn unknown_time_zone_names_the_venue() {
        let text = MINI.replace("America/Chicago", "America/Chicagoo");
        let msg = League::from_toml_str(Path::new("l.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("venues[0] (park).timezone"), "{msg}");
        assert!(msg.contains("America/Chicagoo"), "{msg}");
        assert!(msg.contains("did you mean `America/Chicago`?"), "{msg}");
        // A TV window's zone too; a name nothing is close to says what a
        // name looks like.
        let text = MINI.replace("America/New_York", "Eastern Standard");
        let msg = League::from_toml_str(Path::new("l.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("tv_windows[0] (sat).timezone"), "{msg}");
        assert!(msg.contains("expected an IANA name"), "{msg}");
    }

    #[test]
    fn unknown_home_venue_suggests_the_close_one() {
        let text = MINI.replace("venue = \"park\"", "venue = \"prak\"");
        let msg = League::from_toml_str(Path::new("l.toml"), &text)
            .unwrap_err()
            .to_string();
        assert!(msg.contains("teams[0] (A).venue"), "{msg}");
        assert!(msg.contains("did you mean `park`?"), "{msg}");
        // At the value's line and column in the file.
        assert!(
            msg.starts_with("l.toml:11:9: teams[0] (A).venue: "),
            "{msg}"
        );
    }

    #[test]
    fn relative_paths_fold_parent_steps() {
        let p = |b: &str, r: &str| join_clean(Path::new(b), Path::new(r));
        assert_eq!(
            p("examples/leagues/x", "../../../plugins/rhai"),
            Path::new("plugins/rhai")
        );
        assert_eq!(p(".", "schedule.json"), Path::new("schedule.json"));
        assert_eq!(p("a", "../../b"), Path::new("../b"));
        assert_eq!(p("/srv/l", "../p"), Path::new("/srv/p"));
    }

    #[test]
    fn weekdays_parse_short_and_long_but_not_nonsense() {
        assert_eq!(parse_weekday("Sat"), Some(Weekday::Saturday));
        assert_eq!(parse_weekday("wednesday"), Some(Weekday::Wednesday));
        assert_eq!(parse_weekday("satx"), None);
        assert_eq!(parse_weekday("xx"), None);
    }

    #[test]
    fn dst_defaults_to_refuse_and_reads_each_rule() {
        let league = League::from_toml_str(Path::new("l.toml"), MINI).unwrap();
        assert_eq!(league.dst, DstPolicy::Refuse);
        for (text, rule) in [
            ("refuse", DstPolicy::Refuse),
            ("earlier", DstPolicy::Earlier),
            ("later", DstPolicy::Later),
            ("compatible", DstPolicy::Compatible),
        ] {
            let league =
                League::from_toml_str(Path::new("l.toml"), &format!("dst = \"{text}\"\n{MINI}"))
                    .unwrap();
            assert_eq!(league.dst, rule, "{text}");
        }
    }

    #[test]
    fn an_unknown_dst_rule_is_an_error_listing_the_rules() {
        let msg = League::from_toml_str(Path::new("l.toml"), &format!("dst = \"Later\"\n{MINI}"))
            .unwrap_err()
            .to_string();
        assert!(msg.starts_with("l.toml:"), "{msg}");
        assert!(
            msg.contains("`refuse`, `earlier`, `later`, `compatible`"),
            "{msg}"
        );
    }
}
