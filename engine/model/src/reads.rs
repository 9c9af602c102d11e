//! What an evaluation read from the schedule, so that a cached verdict can
//! be checked against another schedule: the verdict still holds when every
//! read gives the same answer.
//!
//! The hosts record each schedule query a call makes (through
//! `runtime::call`); the answer is fingerprinted when the verdict is stored
//! and again when it is found, against the schedule of the moment. League
//! reads need no record: the league's fingerprint is in the key.

use std::hash::{Hash, Hasher};
use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::model::{Game, Schedule};

/// The game a query was asked about.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Subject {
    /// The game under evaluation.
    This,
    /// Another game of the schedule, with its fingerprint then.
    Other(Arc<str>, u64),
}

/// One schedule query.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Read {
    /// The number of games.
    Len,
    /// Every game.
    All,
    /// The game at a position.
    At(u32),
    /// The game with an id.
    ById(Arc<str>),
    /// A team's games.
    GamesOf(Arc<str>),
    /// A team's games in a time range.
    GamesOfBetween(Arc<str>, Timestamp, Timestamp),
    /// A team's game before a game.
    Previous(Arc<str>, Subject),
    /// A team's game after a game.
    Next(Arc<str>, Subject),
    /// The games at a venue on a date.
    GamesAt(Arc<str>, Date),
    /// The games on a date.
    GamesOn(Date),
}

impl Read {
    /// The answer's fingerprint in `schedule`, with `this` the game under
    /// evaluation; `None` when the question no longer makes sense (the other
    /// game it names is gone or changed).
    pub fn answer(&self, schedule: &Schedule, this: Option<&Arc<Game>>) -> Option<u64> {
        // Fx: fast, and the same in every process (L2 shares the answers).
        let mut h = rustc_hash::FxHasher::default();
        let mut list = |games: &mut dyn Iterator<Item = &Arc<Game>>| {
            for g in games {
                schedule.fingerprint_of(g).hash(&mut h);
            }
        };
        match self {
            Read::Len => schedule.len().hash(&mut h),
            Read::All => schedule.fingerprint().hash(&mut h),
            Read::At(i) => schedule.fingerprint_at(*i as usize).hash(&mut h),
            Read::ById(id) => schedule
                .game(id)
                .map(|g| schedule.fingerprint_of(g))
                .hash(&mut h),
            Read::GamesOf(team) => list(&mut schedule.games_of(team)),
            Read::GamesOfBetween(team, from, to) => {
                list(&mut schedule.games_of_between(team, *from, *to));
            }
            Read::Previous(team, subject) | Read::Next(team, subject) => {
                let game = match subject {
                    Subject::This => this?,
                    Subject::Other(id, fp) => {
                        let g = schedule.game(id)?;
                        (schedule.fingerprint_of(g) == *fp).then_some(g)?
                    }
                };
                let found = if matches!(self, Read::Previous(..)) {
                    schedule.previous_game(team, game)
                } else {
                    schedule.next_game(team, game)
                };
                found.map(|g| schedule.fingerprint_of(g)).hash(&mut h);
            }
            Read::GamesAt(venue, date) => list(&mut schedule.games_at(venue, *date)),
            Read::GamesOn(date) => list(&mut schedule.games_on(*date)),
        }
        Some(h.finish())
    }

    /// The subject of a query about `game`, given the game under evaluation.
    pub fn subject(schedule: &Schedule, game: &Arc<Game>, this: Option<&Arc<Game>>) -> Subject {
        match this {
            Some(t)
                if Arc::ptr_eq(t, game)
                    || (t.id == game.id && t.fingerprint() == game.fingerprint()) =>
            {
                Subject::This
            }
            _ => Subject::Other(game.id.clone(), schedule.fingerprint_of(game)),
        }
    }
}

/// What changed from one schedule to the next, by topic: the reads a change
/// may have answered differently are those it [`touches`](Delta::touches);
/// any other read answers as before without being asked.
///
/// Games are matched by id: an edited or moved game is a change, an added
/// or removed one too, and a game that only changed position (another was
/// removed before it) is not, since no read but the positional ones
/// ([`Read::At`], [`Read::All`], always re-asked) depends on where it sits.
#[derive(Debug, Default)]
pub struct Delta {
    /// Per position of the new schedule: the position of the same game (by
    /// id, with the same fingerprint) in the old one.
    from: Vec<Option<usize>>,
    count: usize,
    len: bool,
    ids: rustc_hash::FxHashSet<Arc<str>>,
    teams: rustc_hash::FxHashSet<Arc<str>>,
    venue_dates: rustc_hash::FxHashSet<(Arc<str>, Date)>,
    dates: rustc_hash::FxHashSet<Date>,
}

impl Delta {
    /// How `new` differs from `old`, or `None` when more than `most` games
    /// differ (changed, added or removed).
    pub fn between(old: &Schedule, new: &Schedule, most: usize) -> Option<Self> {
        let mut delta = Delta {
            from: Vec::with_capacity(new.len()),
            len: old.len() != new.len(),
            ..Delta::default()
        };
        for (i, g) in new.games().iter().enumerate() {
            // The same `Arc` is the same game; otherwise by id and content.
            let same = old.position_of(g).or_else(|| {
                old.position(&g.id)
                    .filter(|&j| old.fingerprint_at(j) == new.fingerprint_at(i))
            });
            delta.from.push(same);
            if same.is_none() {
                delta.note(old.game(&g.id));
                delta.note(Some(g));
                delta.count += 1;
                if delta.count > most {
                    return None;
                }
            }
        }
        if old.len() + delta.count > new.len() {
            for g in old.games().iter().filter(|g| new.position(&g.id).is_none()) {
                delta.note(Some(g));
                delta.count += 1;
                if delta.count > most {
                    return None;
                }
            }
        }
        Some(delta)
    }

    /// Adds a changed game's topics.
    fn note(&mut self, game: Option<&Arc<Game>>) {
        if let Some(g) = game {
            self.ids.insert(g.id.clone());
            self.teams.insert(g.home.clone());
            self.teams.insert(g.away.clone());
            self.venue_dates.insert((g.venue.clone(), g.date()));
            self.dates.insert(g.date());
        }
    }

    /// The position in the old schedule of the game at `position` of the
    /// new one, when it did not change.
    pub fn unchanged_from(&self, position: usize) -> Option<usize> {
        self.from.get(position).copied().flatten()
    }

    /// The ids of the games that changed, were added or were removed.
    pub fn ids(&self) -> impl Iterator<Item = &Arc<str>> {
        self.ids.iter()
    }

    /// The teams of the games that changed (before and after).
    pub fn teams(&self) -> impl Iterator<Item = &Arc<str>> {
        self.teams.iter()
    }

    /// The venues and venue-local dates of the games that changed.
    pub fn venue_dates(&self) -> impl Iterator<Item = &(Arc<str>, Date)> {
        self.venue_dates.iter()
    }

    /// The venue-local dates of the games that changed.
    pub fn dates(&self) -> impl Iterator<Item = &Date> {
        self.dates.iter()
    }

    /// Whether the number of games changed.
    pub fn len_changed(&self) -> bool {
        self.len
    }

    /// How many games differ (changed, added or removed).
    pub fn count(&self) -> usize {
        self.count
    }

    /// Whether the game at `position` of the new schedule differs from its
    /// namesake before (or is new).
    pub fn changed_at(&self, position: usize) -> bool {
        self.unchanged_from(position).is_none()
    }

    /// Whether the change may answer `read` differently, for a game under
    /// evaluation that did not change itself. False means it surely does
    /// not: every answer depends only on the games of its topic (a team, a
    /// venue and date, a date, an id).
    pub fn touches(&self, read: &Read) -> bool {
        if self.count == 0 {
            return false;
        }
        match read {
            Read::Len => self.len,
            // Position and whole-schedule reads: asked again (cheaply).
            Read::All | Read::At(_) => true,
            Read::ById(id) => self.ids.contains(id),
            Read::GamesOf(team) | Read::GamesOfBetween(team, ..) => self.teams.contains(team),
            Read::Previous(team, subject) | Read::Next(team, subject) => {
                self.teams.contains(team)
                    || matches!(subject, Subject::Other(id, _) if self.ids.contains(id))
            }
            Read::GamesAt(venue, date) => self.venue_dates.contains(&(venue.clone(), *date)),
            Read::GamesOn(date) => self.dates.contains(date),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;
    use crate::model::{League, ScheduleSpec};

    fn schedule(games: &str) -> Schedule {
        let league = League::from_toml_str(
            Path::new("league.toml"),
            r#"
name = "T"
[[venues]]
id = "east"
name = "East"
timezone = "America/New_York"
[[venues]]
id = "west"
name = "West"
timezone = "America/Los_Angeles"
[[teams]]
id = "A"
name = "A"
venue = "east"
[[teams]]
id = "B"
name = "B"
venue = "west"
[[teams]]
id = "C"
name = "C"
venue = "west"
"#,
        )
        .unwrap();
        let spec: ScheduleSpec =
            serde_json::from_str(&format!(r#"{{"games": [{games}]}}"#)).unwrap();
        Schedule::from_spec(Path::new("s.json"), spec, &league).unwrap()
    }

    const G1: &str = r#"{"id": "g1", "home": "A", "away": "B", "start": "2026-03-01T19:00"}"#;
    const G2: &str = r#"{"id": "g2", "home": "B", "away": "C", "start": "2026-03-05T19:00"}"#;
    const G2_MOVED: &str = r#"{"id": "g2", "home": "B", "away": "C", "start": "2026-03-07T19:00"}"#;

    #[test]
    fn a_moved_game_touches_its_teams_ids_venue_days_and_days_only() {
        let before = schedule(&format!("{G1}, {G2}"));
        let after = schedule(&format!("{G1}, {G2_MOVED}"));
        let d = Delta::between(&before, &after, 10).unwrap();
        assert_eq!(d.count(), 1);
        assert!(!d.changed_at(0));
        assert!(d.changed_at(1));
        let day = |s: &str| s.parse::<Date>().unwrap();
        let other = Subject::Other("g1".into(), 0);
        for touched in [
            Read::GamesOf("B".into()),
            Read::GamesOf("C".into()),
            Read::Previous("B".into(), Subject::This),
            Read::Next("C".into(), other.clone()),
            Read::Previous("A".into(), Subject::Other("g2".into(), 0)),
            Read::ById("g2".into()),
            Read::GamesAt("west".into(), day("2026-03-05")),
            Read::GamesAt("west".into(), day("2026-03-07")),
            Read::GamesOn(day("2026-03-05")),
            Read::GamesOn(day("2026-03-07")),
            Read::All,
            Read::At(0),
        ] {
            assert!(d.touches(&touched), "{touched:?}");
        }
        for untouched in [
            Read::GamesOf("A".into()),
            Read::Previous("A".into(), Subject::This),
            Read::Next("A".into(), other),
            Read::ById("g1".into()),
            Read::GamesAt("east".into(), day("2026-03-05")),
            Read::GamesAt("west".into(), day("2026-03-06")),
            Read::GamesOn(day("2026-03-01")),
            Read::Len,
        ] {
            assert!(!d.touches(&untouched), "{untouched:?}");
        }
    }

    #[test]
    fn an_added_game_changes_the_length_and_too_many_changes_give_no_delta() {
        let before = schedule(G1);
        let after = schedule(&format!("{G1}, {G2}"));
        let d = Delta::between(&before, &after, 10).unwrap();
        assert!(d.touches(&Read::Len));
        assert!(d.changed_at(1));
        assert!(
            Delta::between(&after, &before, 10)
                .unwrap()
                .touches(&Read::Len)
        );
        assert!(Delta::between(&before, &after, 0).is_none());
        // No change touches nothing.
        let same = Delta::between(&after, &after, 0).unwrap();
        assert!(!same.touches(&Read::All));
    }
}
