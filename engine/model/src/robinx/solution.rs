//! Reading a solution against its instance (ITC2021 SPEC.md §2, §3.2;
//! RobinX SPEC.md §4) and the schedule it becomes.

use std::collections::{HashMap, VecDeque};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::tz::TimeZone;

use super::xml::{self, Element};
use super::{Instance, Note};
use crate::error::{Result, read_to_string};
use crate::{Game, League, Schedule};

/// The first day of the synthetic calendar: slot `s` is this day plus `s`.
const FIRST_DAY: i64 = 1_609_459_200; // 2021-01-01T00:00:00Z

/// A scheduled meeting: the pool's position, home, away and slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Meeting {
    /// Its position in the meeting pool (RobinX SPEC.md §3).
    pub pool: usize,
    /// Home team id.
    pub home: usize,
    /// Away team id.
    pub away: usize,
    /// Slot id.
    pub slot: usize,
}

/// A parsed solution: the pool meetings it schedules, in pool order.
#[derive(Debug, Clone)]
pub struct Solution {
    /// The file it came from.
    pub path: PathBuf,
    /// The meetings that got a slot, in pool order.
    pub meetings: Vec<Meeting>,
    /// How the reading departed from the plain one.
    pub notes: Vec<Note>,
}

impl Solution {
    /// Reads a solution file against its instance.
    pub fn load(path: &Path, instance: &Instance) -> Result<Self> {
        let text = read_to_string(path)?;
        Self::from_xml_str(path, &text, instance)
    }

    /// Parses solution XML as the validator reads it (ITC2021 SPEC.md §2, §3.2; RobinX SPEC.md §4).
    pub fn from_xml_str(path: &Path, text: &str, instance: &Instance) -> Result<Self> {
        let root = xml::parse(path, text)?;
        let mut notes = Vec::new();
        let note = |notes: &mut Vec<Note>, line: usize, message: String| {
            notes.push(Note {
                path: path.to_owned(),
                line,
                message,
            })
        };
        let pool = instance.pool();
        if let Some(wipe) = metadata_pitfall(&root) {
            note(
                &mut notes,
                wipe.0,
                format!("{}; the validator then reads no games at all", wipe.1),
            );
            return Ok(Self {
                path: path.to_owned(),
                meetings: Vec::new(),
                notes,
            });
        }
        let Some(games) = root.child("Games") else {
            note(
                &mut notes,
                root.line,
                "no <Games> element: no game is scheduled".into(),
            );
            return Ok(Self {
                path: path.to_owned(),
                meetings: Vec::new(),
                notes,
            });
        };
        // Unscheduled pool positions: determined ones by (home, away), first
        // first; undetermined ones by unordered pair, last first.
        let n = instance.teams();
        let mut determined: HashMap<(usize, usize), VecDeque<usize>> = HashMap::new();
        let mut free: HashMap<(usize, usize), Vec<usize>> = HashMap::new();
        for (i, m) in pool.iter().enumerate() {
            if m.determined {
                determined.entry((m.home, m.away)).or_default().push_back(i);
            } else {
                free.entry((m.home.min(m.away), m.home.max(m.away)))
                    .or_default()
                    .push(i);
            }
        }
        let mut meetings = Vec::new();
        let matches: Vec<&Element> = games.children_named("ScheduledMatch").collect();
        for (k, m) in matches.iter().enumerate() {
            let (home, away, slot) = (m.int("home"), m.int("away"), m.int("slot"));
            let bad = |v: i64, limit: usize, what: &str, attr: &str| {
                (v < 0 || v as usize >= limit).then(|| {
                    let shown = m
                        .attr(attr)
                        .map_or("missing".to_owned(), |a| format!("\"{a}\""));
                    format!("{attr} {shown} is not a {what} of the instance")
                })
            };
            if let Some(why) = bad(home, n, "team", "home")
                .or_else(|| bad(away, n, "team", "away"))
                .or_else(|| bad(slot, instance.slots, "slot", "slot"))
            {
                note(
                    &mut notes,
                    m.line,
                    format!(
                        "{why}; the validator stops reading here: this and the {} matches after it are not scheduled",
                        matches.len() - k - 1
                    ),
                );
                break;
            }
            let (home, away, slot) = (home as usize, away as usize, slot as usize);
            let taken = determined
                .get_mut(&(home, away))
                .and_then(VecDeque::pop_front)
                .or_else(|| {
                    free.get_mut(&(home.min(away), home.max(away)))
                        .and_then(Vec::pop)
                });
            match taken {
                Some(pool) => meetings.push(Meeting {
                    pool,
                    home,
                    away,
                    slot,
                }),
                None => note(
                    &mut notes,
                    m.line,
                    if home == away {
                        format!("team {home} cannot play itself; the match is dropped")
                    } else {
                        format!(
                            "no meeting of the pool is left for {home}-{away} (already scheduled, or the teams never meet); the match is dropped"
                        )
                    },
                ),
            }
        }
        meetings.sort_by_key(|m| m.pool);
        Ok(Self {
            path: path.to_owned(),
            meetings,
            notes,
        })
    }

    /// The solution as a schedule of `league` (from [`Instance::league`]):
    /// games in pool order, each slot a round and a day.
    pub fn schedule(&self, league: &League) -> Result<Schedule> {
        let games = self.meetings.iter().map(|m| Arc::new(game(m))).collect();
        Schedule::from_games(&self.path, league, games)
    }
}

/// The game of a meeting: round = slot, starting on the slot's day (plus
/// its pool position in seconds, so a slot's games start in pool order).
pub fn game(m: &Meeting) -> Game {
    let start = Timestamp::from_second(FIRST_DAY + m.slot as i64 * 86_400 + m.pool as i64)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(TimeZone::UTC);
    let end = start
        .checked_add(jiff::SignedDuration::from_secs(1))
        .unwrap_or_else(|_| start.clone());
    Game {
        id: format!("{}-{}.{}", m.home, m.away, m.pool).into(),
        round: Some(m.slot as u32),
        home: m.home.to_string().into(),
        away: m.away.to_string().into(),
        venue: format!("v{}", m.home).into(),
        start,
        end,
        tv: None,
        tags: Vec::new(),
    }
}

/// The edit that moves `game` of a solution's schedule to `slot`: its round
/// and its day (each slot is a day, see [`game`]), keeping its place in
/// the slot's order.
pub fn to_slot(game: &Game, slot: usize) -> crate::GameEdit {
    let within = game.start.timestamp().as_second().rem_euclid(86_400);
    let start = Timestamp::from_second(FIRST_DAY + slot as i64 * 86_400 + within)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(TimeZone::UTC);
    let end = start
        .checked_add(jiff::SignedDuration::from_secs(1))
        .unwrap_or_else(|_| start.clone());
    crate::GameEdit::new(&*game.id)
        .round(slot as u32)
        .start(start.to_string())
        .end(end.to_string())
}

/// The `MetaData` mistakes that make the validator read no games
/// (ITC2021 SPEC.md §2): their line and what they are.
fn metadata_pitfall(root: &Element) -> Option<(usize, String)> {
    let meta = root.child("MetaData")?;
    for name in ["SolutionName", "InstanceName"] {
        if let Some(el) = meta.child(name)
            && el.text.trim().is_empty()
            && el.children.is_empty()
        {
            return Some((el.line, format!("<{name}> is empty")));
        }
    }
    if let Some(el) = meta.child("SolutionMethod") {
        // An empty one is not read at all.
        let method = el.text.trim();
        if !method.is_empty() && !["IP", "CP", "A", "H", "NULL"].contains(&method) {
            return Some((
                el.line,
                format!("<SolutionMethod> \"{method}\" is not one of IP, CP, A, H, NULL"),
            ));
        }
    }
    None
}
