//! What an evaluation read from the schedule, so that a cached verdict can
//! be checked against another schedule: the verdict still holds when every
//! read gives the same answer.
//!
//! The hosts record each schedule query a call makes (through
//! `runtime::call`); the answer is fingerprinted when the verdict is stored
//! and again when it is found, against the schedule of the moment. League
//! reads need no record: the league's fingerprint is in the key.
//!
//! A host that sees which fields of the games a call looked at (the Rhai
//! host: a script reads a game through its getters) says so with
//! [`Fields`], and the answers are fingerprinted over those fields only: a
//! rule that counts a team's home games holds when a game of that team
//! only moves in time. A host that cannot tell (a WebAssembly component
//! gets whole records) says [`Fields::ALL`].

use std::sync::Arc;

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};

use crate::fingerprint::Fingerprint;
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

/// One schedule query as a rule asks it, borrowing its arguments: the one
/// definition of each query's lookup ([`Query::find`]) and of the read
/// recorded for it ([`Query::read`]). The Rhai host, the WebAssembly host
/// and the cache's replay ([`Read::answer`]) all answer through it, so
/// they cannot disagree on what a query finds.
#[derive(Debug, Clone, Copy)]
pub enum Query<'a> {
    /// How many games.
    Len,
    /// Every game, in schedule order.
    All,
    /// The game in a slot (its position in schedule order).
    At(u32),
    /// The game with an id.
    ById(&'a str),
    /// A team's games, by start time.
    GamesOf(&'a str),
    /// A team's games starting in `[from, to)`, by start time.
    GamesOfBetween(&'a str, Timestamp, Timestamp),
    /// The team's game just before a game, by start time.
    Previous(&'a str, &'a Arc<Game>),
    /// The team's game just after a game, by start time.
    Next(&'a str, &'a Arc<Game>),
    /// The games at a venue on a venue-local date, by start time.
    GamesAt(&'a str, Date),
    /// The games on a date (each game's venue-local date), by start time.
    GamesOn(Date),
}

/// What a query finds.
#[derive(Debug, Clone)]
pub enum Found<'s> {
    /// A number: [`Query::Len`].
    Count(usize),
    /// At most one game: [`Query::At`], [`Query::ById`], [`Query::Previous`],
    /// [`Query::Next`].
    One(Option<&'s Arc<Game>>),
    /// Games, in the query's order: the others.
    Games(crate::model::Picked<'s>),
}

impl<'s> Found<'s> {
    /// The games found: none for a count, the one game if any.
    pub fn games(self) -> impl Iterator<Item = &'s Arc<Game>> {
        let (one, many) = match self {
            Found::Count(_) => (None, None),
            Found::One(game) => (game, None),
            Found::Games(games) => (None, Some(games)),
        };
        one.into_iter().chain(many.into_iter().flatten())
    }

    /// How many: the count, or how many games were found.
    pub fn count(self) -> usize {
        match self {
            Found::Count(n) => n,
            games => games.games().count(),
        }
    }

    /// The one game found (the first, for a query of several).
    pub fn one(self) -> Option<&'s Arc<Game>> {
        self.games().next()
    }
}

impl<'a> Query<'a> {
    /// What the query finds in `schedule`: the index lookup every host
    /// answers a rule from.
    pub fn find<'s>(&self, schedule: &'s Schedule) -> Found<'s> {
        match *self {
            Query::Len => Found::Count(schedule.len()),
            Query::All => Found::Games(schedule.all()),
            Query::At(i) => Found::One(schedule.games().get(i as usize)),
            Query::ById(id) => Found::One(schedule.game(id)),
            Query::GamesOf(team) => Found::Games(schedule.games_of(team)),
            Query::GamesOfBetween(team, from, to) => {
                Found::Games(schedule.games_of_between(team, from, to))
            }
            Query::Previous(team, game) => Found::One(schedule.previous_game(team, game)),
            Query::Next(team, game) => Found::One(schedule.next_game(team, game)),
            Query::GamesAt(venue, date) => Found::Games(schedule.games_at(venue, date)),
            Query::GamesOn(date) => Found::Games(schedule.games_on(date)),
        }
    }

    /// The read to record for it, with `this` the game under evaluation (a
    /// query about a game names it by subject).
    pub fn read(&self, schedule: &Schedule, this: Option<&Arc<Game>>) -> Read {
        match *self {
            Query::Len => Read::Len,
            Query::All => Read::All,
            Query::At(i) => Read::At(i),
            Query::ById(id) => Read::ById(id.into()),
            Query::GamesOf(team) => Read::GamesOf(team.into()),
            Query::GamesOfBetween(team, from, to) => Read::GamesOfBetween(team.into(), from, to),
            Query::Previous(team, game) => {
                Read::Previous(team.into(), Read::subject(schedule, game, this))
            }
            Query::Next(team, game) => Read::Next(team.into(), Read::subject(schedule, game, this)),
            Query::GamesAt(venue, date) => Read::GamesAt(venue.into(), date),
            Query::GamesOn(date) => Read::GamesOn(date),
        }
    }

    /// Whether the query names a game (its answer then depends on which
    /// game that is, not only on its fields).
    pub fn names_a_game(&self) -> bool {
        matches!(self, Query::Previous(..) | Query::Next(..))
    }
}

impl Read {
    /// The query recorded, asked again of `schedule` with `this` the game
    /// under evaluation; `None` when it no longer makes sense (the other
    /// game it names is gone or changed).
    pub fn query<'a>(
        &'a self,
        schedule: &'a Schedule,
        this: Option<&'a Arc<Game>>,
    ) -> Option<Query<'a>> {
        let game = |subject: &'a Subject| match subject {
            Subject::This => this,
            Subject::Other(id, fp) => schedule
                .game(id)
                .filter(|g| schedule.fingerprint_of(g) == *fp),
        };
        Some(match self {
            Read::Len => Query::Len,
            Read::All => Query::All,
            Read::At(i) => Query::At(*i),
            Read::ById(id) => Query::ById(id),
            Read::GamesOf(team) => Query::GamesOf(team),
            Read::GamesOfBetween(team, from, to) => Query::GamesOfBetween(team, *from, *to),
            Read::Previous(team, subject) => Query::Previous(team, game(subject)?),
            Read::Next(team, subject) => Query::Next(team, game(subject)?),
            Read::GamesAt(venue, date) => Query::GamesAt(venue, *date),
            Read::GamesOn(date) => Query::GamesOn(*date),
        })
    }

    /// The answer's fingerprint in `schedule` over the games' `fields`, with
    /// `this` the game under evaluation; `None` when the question no longer
    /// makes sense (the other game it names is gone or changed). Which games
    /// answer, and in what order, is always part of it; a game in it counts
    /// with the fields named only.
    ///
    /// Shared through L2: a fingerprint, the same in every build. It feeds
    /// the count for `Len`; for `All`, the schedule's fingerprint (every
    /// field of every game: a stronger condition than the fields asked,
    /// and one number); an option of the game's fingerprint over `fields`
    /// for a query of one game; and for a query of several each game's,
    /// then how many (over no fields, every game looks the same).
    pub fn answer(
        &self,
        schedule: &Schedule,
        this: Option<&Arc<Game>>,
        fields: Fields,
    ) -> Option<u64> {
        if let Read::All = self {
            return Some(Fingerprint::of_u64(schedule.fingerprint()));
        }
        let seen = |g: &Arc<Game>| fields.fingerprint(schedule, g);
        Some(match self.query(schedule, this)?.find(schedule) {
            Found::Count(n) => Fingerprint::of_u64(n as u64),
            Found::One(game) => Fingerprint::of_option_u64(game.map(seen)),
            Found::Games(games) => {
                let mut f = Fingerprint::new();
                let mut n = 0usize;
                for g in games {
                    f.u64(seen(g));
                    n += 1;
                }
                f.usize(n).finish()
            }
        })
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

/// Which fields of the games a call looked at (see the module docs). The
/// game under evaluation is not among them: its verdicts are keyed by the
/// whole game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fields(u16);

impl Fields {
    /// None: the call counted games, or compared none of their fields.
    pub const NONE: Self = Self(0);
    /// The id (a game compared with another is compared by id).
    pub const ID: Self = Self(1);
    /// The round.
    pub const ROUND: Self = Self(1 << 1);
    /// The home team.
    pub const HOME: Self = Self(1 << 2);
    /// The away team.
    pub const AWAY: Self = Self(1 << 3);
    /// The venue.
    pub const VENUE: Self = Self(1 << 4);
    /// The kickoff, with its time zone (and so its local date).
    pub const START: Self = Self(1 << 5);
    /// The end, with its time zone.
    pub const END: Self = Self(1 << 6);
    /// The TV window.
    pub const TV: Self = Self(1 << 7);
    /// The tags.
    pub const TAGS: Self = Self(1 << 8);
    /// Every field: what a host that cannot tell says.
    pub const ALL: Self = Self((1 << 9) - 1);

    /// Each field by the name a manifest gives it (`[wasm] fields`), in
    /// the order of the constants.
    pub const NAMES: [(&'static str, Self); 9] = [
        ("id", Self::ID),
        ("round", Self::ROUND),
        ("home", Self::HOME),
        ("away", Self::AWAY),
        ("venue", Self::VENUE),
        ("start", Self::START),
        ("end", Self::END),
        ("tv", Self::TV),
        ("tags", Self::TAGS),
    ];

    /// The field a manifest names `name`, if any.
    pub fn named(name: &str) -> Option<Self> {
        Self::NAMES
            .iter()
            .find(|(n, _)| *n == name)
            .map(|&(_, field)| field)
    }

    /// The names of these fields, in the order of the constants.
    pub fn names(self) -> impl Iterator<Item = &'static str> {
        Self::NAMES
            .into_iter()
            .filter(move |&(_, field)| self.contains(field))
            .map(|(name, _)| name)
    }

    /// These fields and `other`'s.
    #[must_use]
    pub const fn with(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// Whether these include every one of `other`'s.
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// The fingerprint of `game` over these fields: the game's own
    /// fingerprint ([`Schedule::fingerprint_of`]) for all of them.
    pub fn fingerprint(self, schedule: &Schedule, game: &Arc<Game>) -> u64 {
        if self == Self::ALL {
            return schedule.fingerprint_of(game);
        }
        // Shared through L2: a fingerprint of the field set (as a `u64`),
        // then each field named, in the order of the constants; an instant
        // with its offset (an `i32` of seconds) and its zone's name (an
        // option of a string).
        let mut f = Fingerprint::new();
        f.u64(u64::from(self.0));
        let time = |f: &mut Fingerprint, t: &jiff::Zoned| {
            f.timestamp(t.timestamp())
                .i32(t.offset().seconds())
                .option(t.time_zone().iana_name(), Fingerprint::str);
        };
        if self.contains(Self::ID) {
            f.str(&game.id);
        }
        if self.contains(Self::ROUND) {
            f.option(game.round, Fingerprint::u32);
        }
        if self.contains(Self::HOME) {
            f.str(&game.home);
        }
        if self.contains(Self::AWAY) {
            f.str(&game.away);
        }
        if self.contains(Self::VENUE) {
            f.str(&game.venue);
        }
        if self.contains(Self::START) {
            time(&mut f, &game.start);
        }
        if self.contains(Self::END) {
            time(&mut f, &game.end);
        }
        if self.contains(Self::TV) {
            f.option(game.tv.as_deref(), Fingerprint::str);
        }
        if self.contains(Self::TAGS) {
            f.list(&game.tags, |f, tag| f.str(tag));
        }
        f.finish()
    }
}

/// Every field: what is safe to assume when nobody said.
impl Default for Fields {
    fn default() -> Self {
        Self::ALL
    }
}

/// What a call read: its schedule queries, and the fields of the games in
/// their answers that it looked at.
#[derive(Debug, Clone)]
pub struct Seen {
    /// The queries, in the order asked (repeats included).
    pub reads: Vec<Read>,
    /// The fields of the games in their answers that the call looked at.
    pub fields: Fields,
}

/// A read with the fingerprint of its answer over the fields the call
/// looked at: the verdict it was made for holds in a schedule where every
/// one of its answers [`holds`](Answer::holds).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Answer {
    /// The query.
    pub read: Read,
    /// The fields of the games in its answer that the call looked at.
    pub fields: Fields,
    /// The answer's fingerprint over them ([`Read::answer`]).
    pub fingerprint: u64,
}

impl Answer {
    /// `read` asked of `schedule` (with `this` the game under evaluation),
    /// over `fields`; `None` when the question makes no sense there.
    pub fn of(
        read: Read,
        fields: Fields,
        schedule: &Schedule,
        this: Option<&Arc<Game>>,
    ) -> Option<Self> {
        let fingerprint = read.answer(schedule, this, fields)?;
        Some(Self {
            read,
            fields,
            fingerprint,
        })
    }

    /// Whether `schedule` gives the same answer, as far as the call looked.
    pub fn holds(&self, schedule: &Schedule, this: Option<&Arc<Game>>) -> bool {
        self.read.answer(schedule, this, self.fields) == Some(self.fingerprint)
    }
}

/// The answers of reads asked of one schedule, each worked out once: many
/// games of a season ask the same question (a team's games, by each of
/// its games), and checking whether their verdicts hold after an edit
/// asks it again for each. A read about the game under evaluation itself
/// ([`Subject::This`]) is worked out every time.
pub struct Answers<'s> {
    schedule: &'s Schedule,
    memo: rustc_hash::FxHashMap<(Read, Fields), Option<u64>>,
}

impl<'s> Answers<'s> {
    /// No answer worked out yet, of `schedule`.
    pub fn of(schedule: &'s Schedule) -> Self {
        Self {
            schedule,
            memo: rustc_hash::FxHashMap::default(),
        }
    }

    /// Whether `answer` holds in the schedule, with `this` the game under
    /// evaluation: [`Answer::holds`], remembering what it works out.
    pub fn holds(&mut self, answer: &Answer, this: Option<&Arc<Game>>) -> bool {
        let about_this = matches!(
            &answer.read,
            Read::Previous(_, Subject::This) | Read::Next(_, Subject::This)
        );
        if about_this {
            return answer.holds(self.schedule, this);
        }
        let key = (answer.read.clone(), answer.fields);
        let found = match self.memo.get(&key) {
            Some(found) => *found,
            None => {
                let found = answer.read.answer(self.schedule, this, answer.fields);
                self.memo.insert(key, found);
                found
            }
        };
        found == Some(answer.fingerprint)
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
        // Games of `new` whose id `old` lacks.
        let mut added = 0;
        for (i, g) in new.games().iter().enumerate() {
            // The same `Arc` is the same game (in an edited copy, at the same
            // position: no lookup); otherwise by id and content.
            let same = (old.games().get(i))
                .filter(|o| Arc::ptr_eq(o, g))
                .map(|_| i)
                .or_else(|| old.position_of(g))
                .or_else(|| {
                    old.position(&g.id)
                        .filter(|&j| old.fingerprint_at(j) == new.fingerprint_at(i))
                });
            delta.from.push(same);
            if same.is_none() {
                let before = old.game(&g.id);
                added += usize::from(before.is_none());
                delta.note(before);
                delta.note(Some(g));
                delta.count += 1;
                if delta.count > most {
                    return None;
                }
            }
        }
        // `new` holds `new.len() - added` of `old`'s games: any more were
        // removed.
        if old.len() > new.len() - added {
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
    fn remembered_answers_hold_exactly_where_answers_asked_afresh_do() {
        let before = schedule(&format!("{G1}, {G2}"));
        let g = |s: &Schedule, id: &str| s.game(id).unwrap().clone();
        let day = |s: &str| s.parse::<Date>().unwrap();
        let reads = [
            Read::GamesOf("B".into()),
            Read::GamesOf("A".into()),
            Read::Previous("C".into(), Subject::This),
            Read::Next("B".into(), Subject::This),
            Read::Previous(
                "B".into(),
                Subject::Other("g2".into(), before.fingerprint_of(&g(&before, "g2"))),
            ),
            Read::GamesOn(day("2026-03-05")),
            Read::GamesAt("west".into(), day("2026-03-07")),
            Read::ById("g2".into()),
            Read::Len,
            Read::All,
        ];
        let fields = [Fields::NONE, Fields::HOME, Fields::START, Fields::ALL];
        let answers: Vec<(Answer, Arc<Game>)> = (reads.iter())
            .flat_map(|r| fields.map(|f| (r.clone(), f)))
            .flat_map(|(r, f)| {
                ["g1", "g2"].map(|id| {
                    let this = g(&before, id);
                    (
                        Answer::of(r.clone(), f, &before, Some(&this)).unwrap(),
                        this,
                    )
                })
            })
            .collect();
        for after in [
            schedule(&format!("{G1}, {G2}")),
            schedule(&format!("{G1}, {G2_MOVED}")),
            schedule(G1),
        ] {
            // Asked in two orders, so that a remembered answer is used for
            // each game in turn.
            for order in [false, true] {
                let mut remembered = Answers::of(&after);
                let mut each: Vec<&(Answer, Arc<Game>)> = answers.iter().collect();
                if order {
                    each.reverse();
                }
                for (a, this) in each {
                    let this = after
                        .game(&this.id)
                        .cloned()
                        .unwrap_or_else(|| this.clone());
                    assert_eq!(
                        remembered.holds(a, Some(&this)),
                        a.holds(&after, Some(&this)),
                        "{a:?} about {}",
                        this.id
                    );
                }
            }
        }
    }

    #[test]
    fn an_answer_over_some_fields_holds_while_only_other_fields_change() {
        let before = Arc::new(schedule(&format!("{G1}, {G2}")));
        let moved = schedule(&format!("{G1}, {G2_MOVED}"));
        let swapped = schedule(&format!(
            r#"{G1}, {{"id": "g2", "home": "C", "away": "B", "start": "2026-03-05T19:00"}}"#
        ));
        let dropped = schedule(G1);
        let read = Read::GamesOf("B".into());
        let over = |fields| Answer::of(read.clone(), fields, &before, None).unwrap();
        let home = over(Fields::HOME);
        assert!(home.holds(&moved, None), "the kickoff is not looked at");
        assert!(!home.holds(&swapped, None), "the home team is");
        assert!(
            !home.holds(&dropped, None),
            "and which games answer, always"
        );
        let nothing = over(Fields::NONE);
        assert!(nothing.holds(&moved, None) && nothing.holds(&swapped, None));
        assert!(!nothing.holds(&dropped, None));
        for fields in [Fields::START, Fields::ALL, Fields::HOME.with(Fields::START)] {
            assert!(!over(fields).holds(&moved, None), "{fields:?}");
            assert!(over(fields).holds(&before, None), "{fields:?}");
        }
        // All fields is the games' own fingerprints.
        let g2 = &before.games()[1];
        assert_eq!(Fields::ALL.fingerprint(&before, g2), g2.fingerprint());
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
