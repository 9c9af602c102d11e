//! Games and the schedule that indexes them.
//!
//! Rules ask the same few questions millions of times (a team's previous
//! game, the games at a venue on a day), so the schedule answers each from an
//! index built once: per team a list sorted by start, per (venue, local date)
//! and per local date a map. Lookups are O(1) or O(log n), never scans.

use std::collections::{BTreeMap, HashSet};
use std::path::Path;
use std::sync::Arc;

use jiff::civil::{Date, DateTime};
use jiff::fmt::temporal::Pieces;
use jiff::tz::{AmbiguousOffset, TimeZone};
use jiff::{SignedDuration, Timestamp, Zoned};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::league::{DstPolicy, League, suggest};
use crate::error::{Error, Result, from_json, from_toml, read_to_string};
use crate::fingerprint::Fingerprint;

/// Positions of games, sorted by start then position; shared between a
/// schedule and its edited copies until one changes it.
type Positions = Arc<Vec<usize>>;

/// One game, a slot of the schedule.
#[derive(Debug, Clone)]
pub struct Game {
    /// Unique id.
    pub id: Arc<str>,
    /// Round number, if the schedule has rounds.
    pub round: Option<u32>,
    /// Home team id.
    pub home: Arc<str>,
    /// Away team id.
    pub away: Arc<str>,
    /// Venue id.
    pub venue: Arc<str>,
    /// Kickoff, in the venue's time zone.
    pub start: Zoned,
    /// End, in the venue's time zone; after `start`.
    pub end: Zoned,
    /// The TV window the game is broadcast in, if any.
    pub tv: Option<Arc<str>>,
    /// Free tags.
    pub tags: Vec<Arc<str>>,
}

impl Game {
    /// A fingerprint of everything in the game: two games with the same
    /// fingerprint read the same to every rule. The same in every build
    /// and version (see [`fingerprint`](crate::fingerprint)), so caches
    /// shared between processes key on it. It feeds the id, the round (an
    /// option of a `u32`), home, away and venue, the start and end instants,
    /// the TV window (an option of a string) and the tags (a list of
    /// strings).
    pub fn fingerprint(&self) -> u64 {
        let mut f = Fingerprint::new();
        f.str(&self.id)
            .option(self.round, Fingerprint::u32)
            .str(&self.home)
            .str(&self.away)
            .str(&self.venue)
            .timestamp(self.start.timestamp())
            .timestamp(self.end.timestamp())
            .option(self.tv.as_deref(), Fingerprint::str)
            .list(&self.tags, |f, tag| f.str(tag));
        f.finish()
    }

    /// The game as a schedule file writes it: times zoned (exact, in any
    /// season), the venue only when it is not the home team's own, the end
    /// only when it is not the league's default length. Read back against
    /// the same league it gives the same game.
    pub fn to_spec(&self, league: &League) -> GameSpec {
        let home_venue = league.team(&self.home).map(|t| &*t.venue);
        let default_end = self
            .start
            .checked_add(SignedDuration::from_mins(i64::from(
                league.default_game_minutes,
            )))
            .ok();
        GameSpec {
            id: self.id.to_string(),
            round: self.round,
            home: self.home.to_string(),
            away: self.away.to_string(),
            venue: (home_venue != Some(&*self.venue)).then(|| self.venue.to_string()),
            start: self.start.to_string(),
            end: (default_end.as_ref().map(Zoned::timestamp) != Some(self.end.timestamp()))
                .then(|| self.end.to_string()),
            tv: self.tv.as_deref().map(str::to_owned),
            tags: self.tags.iter().map(|t| t.to_string()).collect(),
        }
    }

    /// The venue-local date of the kickoff.
    pub fn date(&self) -> Date {
        self.start.date()
    }

    /// Whether `team` plays in this game.
    pub fn involves(&self, team: &str) -> bool {
        &*self.home == team || &*self.away == team
    }
}

/// A game as written in a schedule file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema), schema(as = Game))]
#[serde(deny_unknown_fields)]
pub struct GameSpec {
    /// Unique id.
    pub id: String,
    /// Round number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    /// Home team id.
    pub home: String,
    /// Away team id.
    pub away: String,
    /// Venue id; defaults to the home team's venue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub venue: Option<String>,
    /// Kickoff: venue-local, with an offset, or zoned.
    pub start: String,
    /// End; defaults to `start` plus the league's default game length.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// TV window id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tv: Option<String>,
    /// Free tags.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tags: Vec<String>,
}

/// A schedule file: the games.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct ScheduleSpec {
    /// The games.
    pub games: Vec<GameSpec>,
}

impl ScheduleSpec {
    /// Reads a schedule file (`.json` or `.toml`) without validating its
    /// games against a league.
    pub fn load(path: &Path) -> Result<Self> {
        let text = read_to_string(path)?;
        match path.extension().and_then(|e| e.to_str()) {
            Some("toml") => from_toml(path, &text),
            _ => from_json(path, &text),
        }
    }
}

/// Games of a schedule as an index lookup finds them, in the lookup's order
/// (every game, in schedule order, or those at a list of positions): what
/// [`Schedule::games_of`] and the other lookups answer, with no allocation.
#[derive(Debug, Clone)]
pub struct Picked<'s> {
    games: &'s [Arc<Game>],
    /// `None`: every game.
    positions: Option<std::slice::Iter<'s, usize>>,
}

impl<'s> Iterator for Picked<'s> {
    type Item = &'s Arc<Game>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        match &mut self.positions {
            Some(positions) => positions.next().map(|&i| &self.games[i]),
            None => {
                let (first, rest) = self.games.split_first()?;
                self.games = rest;
                Some(first)
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self
            .positions
            .as_ref()
            .map_or(self.games.len(), |p| p.len());
        (n, Some(n))
    }
}

impl ExactSizeIterator for Picked<'_> {}

/// The games of a season, indexed by team, venue and day.
///
/// An edit copies a schedule and changes a few games (see
/// [`SchedulePatch::apply_to`](crate::SchedulePatch::apply_to)), so the
/// indexes are shared where they can be: the maps by id, which an edit
/// keeps, whole; each list of positions on its own, copied only when the
/// edit changes it.
#[derive(Debug, Clone)]
pub struct Schedule {
    games: Vec<Arc<Game>>,
    by_id: Arc<FxHashMap<Arc<str>, usize>>,
    /// Per team (league order), its games' positions sorted by start.
    by_team: Vec<Positions>,
    /// Per game, its position in the home team's and the away team's list.
    team_slot: Vec<[usize; 2]>,
    by_venue_day: FxHashMap<(usize, Date), Positions>,
    by_day: BTreeMap<Date, Positions>,
    team_positions: Arc<FxHashMap<Arc<str>, usize>>,
    venue_positions: Arc<FxHashMap<Arc<str>, usize>>,
    /// Per game, a hash of everything in it (see [`Game::fingerprint`]).
    fingerprints: Vec<u64>,
    /// Each game's position, by the address of its `Arc` (a lookup for the
    /// cache's hot path that hashes no string).
    by_ptr: FxHashMap<usize, usize>,
    /// A hash of every game's fingerprint, in order.
    fingerprint: u64,
}

impl Schedule {
    /// Loads a schedule file (`.json` or `.toml`) against a league.
    pub fn load(path: &Path, league: &League) -> Result<Self> {
        let text = read_to_string(path)?;
        if path.extension().is_some_and(|e| e == "toml") {
            Self::from_spec(path, from_toml(path, &text)?, league).map_err(|e| e.in_toml(&text))
        } else {
            Self::from_spec(path, from_json(path, &text)?, league).map_err(|e| e.in_json(&text))
        }
    }

    /// Validates games against a league and builds the indexes; `file` names
    /// the source in errors.
    pub fn from_spec(file: &Path, spec: ScheduleSpec, league: &League) -> Result<Self> {
        let mut games = Vec::with_capacity(spec.games.len());
        let mut seen = HashSet::with_capacity(spec.games.len());
        // Every bad game is named, not only the first.
        let mut errors = Vec::new();
        for (i, g) in spec.games.into_iter().enumerate() {
            let at = format!("games[{i}] ({})", g.id);
            let game = match resolve_game(league, g) {
                Ok(game) => game,
                Err((field, msg)) => {
                    errors.push(Error::invalid(file, format!("{at}{field}"), msg));
                    continue;
                }
            };
            if !seen.insert(game.id.clone()) {
                errors.push(Error::invalid(
                    file,
                    at,
                    format!("game id `{}` is used twice; ids must be unique", game.id),
                ));
                continue;
            }
            games.push(Arc::new(game));
        }
        Error::all(errors)?;
        Ok(Self::index(league, games))
    }

    /// A schedule of games made in code (an importer's, or a schedule with
    /// one game moved), checked as a file's would be: known teams and
    /// venues, no team playing itself, unique ids, end after start;
    /// `origin` names the source in errors.
    pub fn from_games(origin: &Path, league: &League, games: Vec<Arc<Game>>) -> Result<Self> {
        let mut seen = HashSet::with_capacity(games.len());
        for (i, g) in games.iter().enumerate() {
            let at = || format!("games[{i}] ({})", g.id);
            for (field, team) in [("home", &g.home), ("away", &g.away)] {
                if league.team_position(team).is_none() {
                    return Err(Error::invalid(
                        origin,
                        format!("{}.{field}", at()),
                        format!("unknown team `{team}`"),
                    ));
                }
            }
            if g.home == g.away {
                return Err(Error::invalid(
                    origin,
                    format!("{}.away", at()),
                    format!("team `{}` cannot play itself", g.home),
                ));
            }
            if league.venue_position(&g.venue).is_none() {
                return Err(Error::invalid(
                    origin,
                    format!("{}.venue", at()),
                    format!("unknown venue `{}`", g.venue),
                ));
            }
            if g.end <= g.start {
                return Err(Error::invalid(
                    origin,
                    format!("{}.end", at()),
                    format!("end {} is not after start {}", g.end, g.start),
                ));
            }
            if !seen.insert(g.id.clone()) {
                return Err(Error::invalid(
                    origin,
                    at(),
                    format!("game id `{}` is used twice; ids must be unique", g.id),
                ));
            }
        }
        Ok(Self::index(league, games))
    }

    /// One game validated against a league on its own (a game sent inline,
    /// not in any schedule); `origin` and `at` name it in errors.
    pub fn game_from_spec(
        origin: &Path,
        at: &str,
        spec: GameSpec,
        league: &League,
    ) -> Result<Arc<Game>> {
        resolve_game(league, spec)
            .map(Arc::new)
            .map_err(|(field, msg)| Error::invalid(origin, format!("{at}{field}"), msg))
    }

    /// The schedule as a schedule file writes it (see [`Game::to_spec`]).
    pub fn to_spec(&self, league: &League) -> ScheduleSpec {
        ScheduleSpec {
            games: self.games.iter().map(|g| g.to_spec(league)).collect(),
        }
    }

    /// A schedule of `games`, each either one of this schedule's (the same
    /// `Arc`) or validated against `league` on its own; the ids must be
    /// unique (the caller checked). Fingerprints of the kept games are
    /// taken from here, not computed again.
    pub(crate) fn rebuilt(&self, league: &League, games: Vec<Arc<Game>>) -> Self {
        let known: Vec<u64> = games
            .iter()
            .map(|g| match self.position_of(g) {
                Some(i) => self.fingerprints[i],
                None => g.fingerprint(),
            })
            .collect();
        Self::index_with(league, games, Some(known))
    }

    /// This schedule with `games` in it: each replaces the game with its id,
    /// in its place, or is added at the end. The games must be of `league`
    /// (validated on their own, as [`game_from_spec`](Self::game_from_spec)
    /// does) and their ids unique among them: a repeated id is an error
    /// naming the second, by its index among `games` (`origin` names the
    /// source).
    pub fn with_games(
        &self,
        league: &League,
        games: Vec<Arc<Game>>,
        origin: &Path,
    ) -> Result<Self> {
        let mut all = self.games.clone();
        let mut seen = HashSet::with_capacity(games.len());
        for (k, g) in games.into_iter().enumerate() {
            if !seen.insert(g.id.clone()) {
                return Err(Error::invalid(
                    origin,
                    format!("games[{k}] ({})", g.id),
                    format!(
                        "game `{}` is sent twice; send each game once (the request is one edit)",
                        g.id
                    ),
                ));
            }
            match self.position(&g.id) {
                Some(i) => all[i] = g,
                None => all.push(g),
            }
        }
        Ok(self.rebuilt(league, all))
    }

    /// This schedule with the games at some positions replaced by games of
    /// the same ids (an edit): the indexes are updated where those games
    /// were and now are, not built again. The games must be of `league`.
    pub(crate) fn with_replaced(&self, league: &League, changes: &[(usize, Arc<Game>)]) -> Self {
        let mut s = self.clone();
        let mut teams = Vec::with_capacity(4 * changes.len());
        for (i, _) in changes {
            let old = &self.games[*i];
            for team in [&old.home, &old.away] {
                if let Some(t) = league.team_position(team) {
                    Arc::make_mut(&mut s.by_team[t]).retain(|&x| x != *i);
                    teams.push(t);
                }
            }
            if let Some(v) = league.venue_position(&old.venue) {
                remove_from(&mut s.by_venue_day, (v, old.date()), *i);
            }
            if let Some(list) = s.by_day.get_mut(&old.date()) {
                Arc::make_mut(list).retain(|&x| x != *i);
                if list.is_empty() {
                    s.by_day.remove(&old.date());
                }
            }
            s.by_ptr.remove(&(Arc::as_ptr(old) as usize));
        }
        for (i, g) in changes {
            debug_assert_eq!(g.id, self.games[*i].id, "an edit keeps the game's id");
            s.games[*i] = g.clone();
        }
        for (i, g) in changes {
            for team in [&g.home, &g.away] {
                if let Some(t) = league.team_position(team) {
                    insert_sorted(Arc::make_mut(&mut s.by_team[t]), &s.games, *i);
                    teams.push(t);
                }
            }
            if let Some(v) = league.venue_position(&g.venue) {
                insert_sorted(
                    Arc::make_mut(s.by_venue_day.entry((v, g.date())).or_default()),
                    &s.games,
                    *i,
                );
            }
            insert_sorted(
                Arc::make_mut(s.by_day.entry(g.date()).or_default()),
                &s.games,
                *i,
            );
            s.by_ptr.insert(Arc::as_ptr(g) as usize, *i);
            s.fingerprints[*i] = g.fingerprint();
        }
        teams.sort_unstable();
        teams.dedup();
        for t in teams {
            for (slot, &i) in s.by_team[t].iter().enumerate() {
                let side = usize::from(league.team_position(&s.games[i].home) != Some(t));
                s.team_slot[i][side] = slot;
            }
        }
        s.fingerprint = of_games(&s.fingerprints);
        s
    }

    /// Builds the indexes over validated games.
    fn index(league: &League, games: Vec<Arc<Game>>) -> Self {
        Self::index_with(league, games, None)
    }

    fn index_with(league: &League, games: Vec<Arc<Game>>, fingerprints: Option<Vec<u64>>) -> Self {
        let mut by_team = vec![Vec::new(); league.teams.len()];
        let mut by_venue_day: FxHashMap<(usize, Date), Vec<usize>> = FxHashMap::default();
        let mut by_day: BTreeMap<Date, Vec<usize>> = BTreeMap::new();
        let mut by_id = FxHashMap::with_capacity_and_hasher(games.len(), Default::default());
        for (i, g) in games.iter().enumerate() {
            by_id.insert(g.id.clone(), i);
            for team in [&g.home, &g.away] {
                if let Some(t) = league.team_position(team) {
                    by_team[t].push(i);
                }
            }
            if let Some(v) = league.venue_position(&g.venue) {
                by_venue_day.entry((v, g.date())).or_default().push(i);
            }
            by_day.entry(g.date()).or_default().push(i);
        }
        let key = |&i: &usize| (games[i].start.timestamp(), i);
        for list in &mut by_team {
            list.sort_by_key(key);
        }
        for list in by_venue_day.values_mut().chain(by_day.values_mut()) {
            list.sort_by_key(key);
        }
        let mut team_slot = vec![[0, 0]; games.len()];
        for (t, list) in by_team.iter().enumerate() {
            for (slot, &i) in list.iter().enumerate() {
                let side = usize::from(league.team_position(&games[i].home) != Some(t));
                team_slot[i][side] = slot;
            }
        }
        let fingerprints: Vec<u64> =
            fingerprints.unwrap_or_else(|| games.iter().map(|g| g.fingerprint()).collect());
        let fingerprint = of_games(&fingerprints);
        let by_ptr = games
            .iter()
            .enumerate()
            .map(|(i, g)| (Arc::as_ptr(g) as usize, i))
            .collect();
        Self {
            fingerprints,
            fingerprint,
            by_ptr,
            team_positions: Arc::new(
                league
                    .teams
                    .iter()
                    .enumerate()
                    .map(|(i, t)| (t.id.clone(), i))
                    .collect(),
            ),
            venue_positions: Arc::new(
                league
                    .venues
                    .iter()
                    .enumerate()
                    .map(|(i, v)| (v.id.clone(), i))
                    .collect(),
            ),
            games,
            by_id: Arc::new(by_id),
            by_team: by_team.into_iter().map(Arc::new).collect(),
            team_slot,
            by_venue_day: by_venue_day
                .into_iter()
                .map(|(k, v)| (k, Arc::new(v)))
                .collect(),
            by_day: by_day.into_iter().map(|(k, v)| (k, Arc::new(v))).collect(),
        }
    }

    /// A hash of the whole schedule: every game, in order.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The fingerprint of `game`: looked up when it is this schedule's
    /// (the same `Arc`), computed otherwise.
    pub fn fingerprint_of(&self, game: &Arc<Game>) -> u64 {
        match self.by_ptr.get(&(Arc::as_ptr(game) as usize)) {
            Some(&i) => self.fingerprints[i],
            None => game.fingerprint(),
        }
    }

    /// The position of `game` when it is this schedule's own (the same
    /// `Arc`).
    #[doc(hidden)]
    pub fn position_of(&self, game: &Arc<Game>) -> Option<usize> {
        self.by_ptr.get(&(Arc::as_ptr(game) as usize)).copied()
    }

    /// The fingerprint of the game at `position`.
    pub fn fingerprint_at(&self, position: usize) -> Option<u64> {
        self.fingerprints.get(position).copied()
    }

    /// Every game, in file order.
    pub fn games(&self) -> &[Arc<Game>] {
        &self.games
    }

    /// How many games.
    pub fn len(&self) -> usize {
        self.games.len()
    }

    /// Whether there are no games.
    pub fn is_empty(&self) -> bool {
        self.games.is_empty()
    }

    /// The game with this id.
    pub fn game(&self, id: &str) -> Option<&Arc<Game>> {
        self.by_id.get(id).map(|&i| &self.games[i])
    }

    /// The position in [`Schedule::games`] of the game with this id.
    pub fn position(&self, id: &str) -> Option<usize> {
        self.by_id.get(id).copied()
    }

    /// A team's games, by start time.
    pub fn games_of(&self, team: &str) -> Picked<'_> {
        self.picked(self.team_list(team))
    }

    /// A team's games that start in `[from, to)`, by start time.
    pub fn games_of_between(&self, team: &str, from: Timestamp, to: Timestamp) -> Picked<'_> {
        let list = self.team_list(team);
        let lo = list.partition_point(|&i| self.games[i].start.timestamp() < from);
        let hi = list.partition_point(|&i| self.games[i].start.timestamp() < to);
        self.picked(&list[lo..hi.max(lo)])
    }

    /// The team's game just before `game`, by start time.
    pub fn previous_game(&self, team: &str, game: &Game) -> Option<&Arc<Game>> {
        let (list, slot, _) = self.slot_of(team, game);
        slot.checked_sub(1).map(|s| &self.games[list[s]])
    }

    /// The team's game just after `game`, by start time.
    pub fn next_game(&self, team: &str, game: &Game) -> Option<&Arc<Game>> {
        let (list, slot, own) = self.slot_of(team, game);
        list.get(slot + usize::from(own)).map(|&i| &self.games[i])
    }

    /// The games at a venue on a venue-local date, by start time.
    pub fn games_at(&self, venue: &str, date: Date) -> Picked<'_> {
        self.picked(
            self.venue_positions
                .get(venue)
                .and_then(|&v| self.by_venue_day.get(&(v, date)))
                .map(|list| list.as_slice())
                .unwrap_or_default(),
        )
    }

    /// The games on a date (each game's venue-local date), by start time.
    pub fn games_on(&self, date: Date) -> Picked<'_> {
        self.picked(
            self.by_day
                .get(&date)
                .map(|list| list.as_slice())
                .unwrap_or_default(),
        )
    }

    /// Every game, in schedule order, as a query answers them.
    pub fn all(&self) -> Picked<'_> {
        Picked {
            games: &self.games,
            positions: None,
        }
    }

    fn picked<'s>(&'s self, positions: &'s [usize]) -> Picked<'s> {
        Picked {
            games: &self.games,
            positions: Some(positions.iter()),
        }
    }

    /// A team's position in the league's list.
    #[doc(hidden)]
    pub fn team_position(&self, team: &str) -> Option<usize> {
        self.team_positions.get(team).copied()
    }

    fn team_list(&self, team: &str) -> &[usize] {
        self.team_positions
            .get(team)
            .map(|&t| self.by_team[t].as_slice())
            .unwrap_or_default()
    }

    /// Where `game` sits in the team's list: its own slot (and `true`) when
    /// the team plays in it, otherwise the first slot starting at or after it.
    fn slot_of(&self, team: &str, game: &Game) -> (&[usize], usize, bool) {
        let list = self.team_list(team);
        if let Some(&i) = self.by_id.get(&game.id) {
            let g = &self.games[i];
            let side = if &*g.home == team {
                Some(0)
            } else if &*g.away == team {
                Some(1)
            } else {
                None
            };
            if let Some(side) = side {
                return (list, self.team_slot[i][side], true);
            }
        }
        let start = game.start.timestamp();
        let slot = list.partition_point(|&i| self.games[i].start.timestamp() < start);
        (list, slot, false)
    }
}

/// Inserts position `i` into a list sorted as the indexes are: by start,
/// then position.
fn insert_sorted(list: &mut Vec<usize>, games: &[Arc<Game>], i: usize) {
    let key = |x: usize| (games[x].start.timestamp(), x);
    let at = list.partition_point(|&x| key(x) < key(i));
    list.insert(at, i);
}

/// A schedule's fingerprint: the list of its games' fingerprints, in order.
fn of_games(fingerprints: &[u64]) -> u64 {
    Fingerprint::new().u64s(fingerprints).finish()
}

/// Takes position `i` out of a venue's day, and the day out when empty.
fn remove_from(map: &mut FxHashMap<(usize, Date), Positions>, key: (usize, Date), i: usize) {
    if let Some(list) = map.get_mut(&key) {
        Arc::make_mut(list).retain(|&x| x != i);
        if list.is_empty() {
            map.remove(&key);
        }
    }
}

/// Resolves one game's ids and times against the league; on failure, the
/// field (`.home`, `.start`, …) and a message.
fn resolve_game(league: &League, g: GameSpec) -> std::result::Result<Game, (String, String)> {
    let team = |field: &str, id: &str| {
        league.team(id).ok_or_else(|| {
            (
                format!(".{field}"),
                format!(
                    "unknown team `{id}`{}",
                    suggest(id, league.teams.iter().map(|t| &*t.id))
                ),
            )
        })
    };
    let home = team("home", &g.home)?;
    let away = team("away", &g.away)?;
    if home.id == away.id {
        return Err((
            ".away".into(),
            format!("team `{}` cannot play itself", home.id),
        ));
    }
    let venue_id = g.venue.as_deref().unwrap_or(&home.venue);
    let venue = league.venue(venue_id).ok_or_else(|| {
        (
            ".venue".into(),
            format!(
                "unknown venue `{venue_id}`{}",
                suggest(venue_id, league.venues.iter().map(|v| &*v.id))
            ),
        )
    })?;
    let start =
        parse_time(&g.start, &venue.timezone, league.dst).map_err(|m| (".start".into(), m))?;
    let end = match &g.end {
        Some(e) => parse_time(e, &venue.timezone, league.dst).map_err(|m| (".end".into(), m))?,
        None => start
            .checked_add(SignedDuration::from_mins(i64::from(
                league.default_game_minutes,
            )))
            .map_err(|e| (".start".into(), e.to_string()))?,
    };
    if end <= start {
        return Err((
            ".end".into(),
            format!("end {} is not after start {}", end, start),
        ));
    }
    let tv = match &g.tv {
        Some(id) => Some(
            league
                .tv_window(id)
                .ok_or_else(|| {
                    (
                        ".tv".into(),
                        format!(
                            "unknown TV window `{id}`{}",
                            suggest(id, league.tv_windows.iter().map(|w| &*w.id))
                        ),
                    )
                })?
                .id
                .clone(),
        ),
        None => None,
    };
    Ok(Game {
        id: g.id.into(),
        round: g.round,
        home: home.id.clone(),
        away: away.id.clone(),
        venue: venue.id.clone(),
        start,
        end,
        tv,
        tags: g.tags.into_iter().map(Into::into).collect(),
    })
}

/// Parses a game time: zoned (`...[Area/City]`), an instant with an offset,
/// or venue-local; the result is in the venue's zone. A time with an offset
/// is exact. A wall-clock time (venue-local, or zoned without an offset)
/// that a daylight-saving change skips or repeats names no instant, or two:
/// `dst` says which to take, or to refuse it.
pub(crate) fn parse_time(
    s: &str,
    venue_tz: &TimeZone,
    dst: DstPolicy,
) -> std::result::Result<Zoned, String> {
    if s.ends_with(']') {
        // jiff alone would resolve a zoned time without an offset
        // (compatibly); it is as much a wall-clock time as a venue-local one,
        // so it follows the league's rule too.
        if let Ok(pieces) = Pieces::parse(s)
            && pieces.offset().is_none()
            && let Some(time) = pieces.time()
            && let Some(Ok(tz)) = pieces.time_zone_annotation().map(|a| a.to_time_zone())
        {
            let zoned = wall_clock(s, pieces.date().to_datetime(time), &tz, dst)?;
            return Ok(zoned.with_time_zone(venue_tz.clone()));
        }
        match s.parse::<Zoned>() {
            Ok(z) => return Ok(z.with_time_zone(venue_tz.clone())),
            // A zoned time whose offset the zone does not have then: say so.
            Err(e) if Pieces::parse(s).is_ok() => return Err(format!("\"{s}\": {e}")),
            Err(_) => {}
        }
    } else if let Ok(ts) = s.parse::<Timestamp>() {
        return Ok(ts.to_zoned(venue_tz.clone()));
    } else if let Ok(dt) = s.parse::<DateTime>() {
        return wall_clock(s, dt, venue_tz, dst);
    }
    Err(format!(
        "\"{s}\" is not a date-time; expected venue-local 2026-03-14T19:30, \
         an offset 2026-03-14T19:30-05:00, or zoned 2026-03-14T19:30[America/New_York]"
    ))
}

/// The instant of wall-clock time `dt` in `tz` (`s` as written, for errors):
/// the one instant it names, or in a gap or an overlap the one `dst` picks.
fn wall_clock(
    s: &str,
    dt: DateTime,
    tz: &TimeZone,
    dst: DstPolicy,
) -> std::result::Result<Zoned, String> {
    let ambiguous = tz.to_ambiguous_zoned(dt);
    let (before, after, gap) = match ambiguous.offset() {
        AmbiguousOffset::Unambiguous { .. } => {
            return ambiguous.unambiguous().map_err(|e| format!("\"{s}\": {e}"));
        }
        AmbiguousOffset::Gap { before, after } => (before, after, true),
        AmbiguousOffset::Fold { before, after } => (before, after, false),
    };
    if dst != DstPolicy::Refuse {
        return ambiguous
            .disambiguate(dst.disambiguation())
            .map_err(|e| format!("\"{s}\": {e}"));
    }
    let zone = tz.iana_name().unwrap_or("the venue's time zone");
    // Both readings are instants (each with the offset it would have); the
    // error shows them, as the exact ways to write the time.
    let (Ok(earlier), Ok(later)) = (ambiguous.clone().earlier(), ambiguous.later()) else {
        return Err(format!("\"{s}\" is not a single instant in {zone}"));
    };
    let clocks = match tz.following(earlier.timestamp()).next() {
        Some(change) => format!(
            " (the clocks go {} from {} to {} that day)",
            if gap { "forward" } else { "back" },
            before.to_datetime(change.timestamp()).strftime("%H:%M"),
            after.to_datetime(change.timestamp()).strftime("%H:%M"),
        ),
        None => String::new(),
    };
    Err(if gap {
        format!(
            "\"{s}\" does not exist in {zone}{clocks}; give an offset ({}) \
             or set dst = \"later\" in league.toml",
            exact(&later),
        )
    } else {
        format!(
            "\"{s}\" happens twice in {zone}{clocks}; give an offset ({} for the first, \
             {} for the second) or set dst = \"earlier\" or \"later\" in league.toml",
            exact(&earlier),
            exact(&later),
        )
    })
}

/// A time written with its offset (`2026-03-08T03:30-04:00`), seconds only
/// when it has them.
fn exact(z: &Zoned) -> String {
    if z.second() == 0 && z.subsec_nanosecond() == 0 {
        z.strftime("%Y-%m-%dT%H:%M%:z").to_string()
    } else {
        z.strftime("%Y-%m-%dT%H:%M:%S%.f%:z").to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn league() -> League {
        league_with("")
    }

    /// The test league with `top` (top-level keys) added.
    fn league_with(top: &str) -> League {
        League::from_toml_str(
            Path::new("league.toml"),
            &format!(
                r#"
name = "T"
{top}
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
"#
            ),
        )
        .unwrap()
    }

    fn spec(id: &str, home: &str, away: &str, start: &str) -> GameSpec {
        GameSpec {
            id: id.into(),
            round: None,
            home: home.into(),
            away: away.into(),
            venue: None,
            start: start.into(),
            end: None,
            tv: None,
            tags: vec![],
        }
    }

    fn schedule(games: Vec<GameSpec>) -> Schedule {
        Schedule::from_spec(Path::new("s.json"), ScheduleSpec { games }, &league()).unwrap()
    }

    #[test]
    fn every_bad_game_is_named_at_once_up_to_a_count() {
        let games = |bad: usize| {
            (0..bad + 2)
                .map(|i| {
                    let home = if i < bad { "X" } else { "A" };
                    spec(&format!("g{i}"), home, "B", "2026-03-07T19:00")
                })
                .collect::<Vec<_>>()
        };
        let err = |bad: usize| {
            Schedule::from_spec(
                Path::new("s.json"),
                ScheduleSpec { games: games(bad) },
                &league(),
            )
            .unwrap_err()
        };
        // One: itself.
        assert!(matches!(err(1), Error::Invalid { .. }));
        // Three: each named, in order.
        let three = err(3).lines();
        assert_eq!(three.len(), 3, "{three:?}");
        for (i, line) in three.iter().enumerate() {
            assert!(
                line.starts_with(&format!("s.json: games[{i}] (g{i}).home: unknown team `X`")),
                "{line}"
            );
        }
        // Past the count: the first ones, and how many more.
        let many = err(crate::error::SEVERAL_SHOWN + 7);
        let lines = many.lines();
        assert_eq!(lines.len(), crate::error::SEVERAL_SHOWN + 1);
        assert_eq!(lines.last().map(String::as_str), Some("... and 7 more"));
        assert_eq!(
            many.to_string().lines().count(),
            crate::error::SEVERAL_SHOWN + 1
        );
        // A duplicate id among them too.
        let mut dup = games(1);
        dup.push(spec("g1", "A", "C", "2026-03-08T19:00"));
        let lines =
            Schedule::from_spec(Path::new("s.json"), ScheduleSpec { games: dup }, &league())
                .unwrap_err()
                .lines();
        assert_eq!(lines.len(), 2, "{lines:?}");
        assert!(lines[1].contains("game id `g1` is used twice"), "{lines:?}");
    }

    /// Pins a game's and a schedule's fingerprints (what the shared cache
    /// keys on) to numbers worked out apart from this code, by the reference
    /// C library's `XXH3_64bits` over what `Game::fingerprint` says it
    /// feeds: a change of what is fed, or how, fails here.
    #[test]
    fn fingerprints_of_a_game_and_a_schedule_are_pinned() {
        let mut g = spec("G1", "A", "B", "2026-03-14T19:00");
        g.round = Some(3);
        g.tags = vec!["derby".into(), "tv".into()];
        let s = schedule(vec![g]);
        // 19:00 in New York on 14 March 2026 is 23:00 UTC; two hours long.
        assert_eq!(s.games()[0].start.timestamp().as_second(), 1_773_529_200);
        assert_eq!(s.games()[0].fingerprint(), 0x4f0011f5540d4335);
        assert_eq!(s.fingerprint(), 0xee387f3d04c55430);
    }

    #[test]
    fn previous_and_next_follow_start_time_not_file_order() {
        let s = schedule(vec![
            spec("g3", "A", "B", "2026-03-20T19:00"),
            spec("g1", "A", "C", "2026-03-01T19:00"),
            spec("g2", "B", "A", "2026-03-10T19:00"),
        ]);
        let g2 = s.game("g2").unwrap();
        assert_eq!(&*s.previous_game("A", g2).unwrap().id, "g1");
        assert_eq!(&*s.next_game("A", g2).unwrap().id, "g3");
        assert!(s.previous_game("B", g2).is_none());
        assert_eq!(&*s.next_game("B", g2).unwrap().id, "g3");
        let ids: Vec<_> = s.games_of("A").map(|g| g.id.to_string()).collect();
        assert_eq!(ids, ["g1", "g2", "g3"]);
    }

    #[test]
    fn previous_game_of_a_team_not_in_the_game_is_the_last_before_it() {
        let s = schedule(vec![
            spec("g1", "A", "C", "2026-03-01T19:00"),
            spec("g2", "A", "B", "2026-03-10T19:00"),
            spec("g3", "C", "B", "2026-03-20T19:00"),
        ]);
        let g2 = s.game("g2").unwrap();
        assert_eq!(&*s.previous_game("C", g2).unwrap().id, "g1");
        assert_eq!(&*s.next_game("C", g2).unwrap().id, "g3");
    }

    #[test]
    fn venue_local_dates_and_zones() {
        let s = schedule(vec![
            // 22:00 in Los Angeles is already the next day in UTC.
            spec("late", "B", "A", "2026-03-14T22:00"),
            spec("inst", "A", "B", "2026-03-21T00:30Z"),
        ]);
        let late = s.game("late").unwrap();
        assert_eq!(late.date().to_string(), "2026-03-14");
        assert_eq!(
            late.start.time_zone().iana_name(),
            Some("America/Los_Angeles")
        );
        assert_eq!(s.games_at("west", "2026-03-14".parse().unwrap()).count(), 1);
        // An instant is shown in the venue's zone: 00:30Z is 20:30 in New York the day before.
        let inst = s.game("inst").unwrap();
        assert_eq!(inst.date().to_string(), "2026-03-20");
        assert_eq!(
            inst.end
                .timestamp()
                .duration_since(inst.start.timestamp())
                .as_secs(),
            7200
        );
    }

    #[test]
    fn games_of_between_is_half_open() {
        let s = schedule(vec![
            spec("g1", "A", "C", "2026-03-01T19:00"),
            spec("g2", "A", "B", "2026-03-10T19:00"),
        ]);
        let from = s.game("g1").unwrap().start.timestamp();
        let to = s.game("g2").unwrap().start.timestamp();
        let ids: Vec<_> = s
            .games_of_between("A", from, to)
            .map(|g| g.id.to_string())
            .collect();
        assert_eq!(ids, ["g1"]);
        assert_eq!(s.games_of_between("A", to, from).count(), 0);
    }

    /// Every index of two schedules of the same games, compared.
    fn assert_same_index(a: &Schedule, b: &Schedule) {
        let ids = |s: &Schedule| s.games.iter().map(|g| g.fingerprint()).collect::<Vec<_>>();
        assert_eq!(ids(a), ids(b));
        assert_eq!(a.by_id, b.by_id);
        assert_eq!(a.by_team, b.by_team);
        assert_eq!(a.team_slot, b.team_slot);
        assert_eq!(a.by_venue_day, b.by_venue_day);
        assert_eq!(a.by_day, b.by_day);
        assert_eq!(a.fingerprints, b.fingerprints);
        assert_eq!(a.fingerprint, b.fingerprint);
        for (i, g) in a.games.iter().enumerate() {
            assert_eq!(a.by_ptr.get(&(Arc::as_ptr(g) as usize)), Some(&i));
        }
        assert_eq!(a.by_ptr.len(), a.games.len());
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

        #[test]
        fn replacing_games_in_place_indexes_as_building_anew(seed in 1..u64::MAX) {
            replace_and_compare(seed);
        }
    }

    /// Schedules and edits drawn from `seed`, each edited schedule indexed
    /// in place and anew.
    fn replace_and_compare(seed: u64) {
        let league = league();
        let teams = ["A", "B", "C"];
        let mut rng = seed;
        let mut next = |n: u64| {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            rng % n
        };
        let game = |id: String, home: &str, away: &str, day: u64, hour: u64| {
            spec(
                &id,
                home,
                away,
                &format!("2026-06-{:02}T{:02}:00", 1 + day, 12 + hour),
            )
        };
        for _ in 0..16 {
            let n = 1 + next(12) as usize;
            let specs: Vec<GameSpec> = (0..n)
                .map(|k| {
                    let h = next(3) as usize;
                    let a = (h + 1 + next(2) as usize) % 3;
                    game(format!("g{k}"), teams[h], teams[a], next(6), next(3))
                })
                .collect();
            let before = schedule(specs);
            let mut changes: Vec<(usize, Arc<Game>)> = Vec::new();
            for _ in 0..1 + next(3) {
                let i = next(n as u64) as usize;
                if changes.iter().any(|(j, _)| *j == i) {
                    continue;
                }
                let h = next(3) as usize;
                let a = (h + 1 + next(2) as usize) % 3;
                let moved = game(format!("g{i}"), teams[h], teams[a], next(6), next(3));
                let g = Schedule::game_from_spec(Path::new("t"), "edit", moved, &league).unwrap();
                changes.push((i, g));
            }
            let fast = before.with_replaced(&league, &changes);
            let mut games = before.games().to_vec();
            for (i, g) in &changes {
                games[*i] = g.clone();
            }
            let slow = Schedule::index(&league, games);
            assert_same_index(&fast, &slow);
        }
    }

    #[test]
    fn a_zoned_time_with_an_offset_its_zone_does_not_have_is_refused_saying_so() {
        let tz = TimeZone::get("America/Los_Angeles").unwrap();
        // Summer time from 2026-03-08: -08:00 is a day late.
        let e = parse_time(
            "2026-03-09T15:30:00-08:00[America/Los_Angeles]",
            &tz,
            DstPolicy::Refuse,
        )
        .unwrap_err();
        assert!(
            e.starts_with("\"2026-03-09T15:30:00-08:00[America/Los_Angeles]\": "),
            "{e}"
        );
        assert!(e.contains("-07"), "{e}");
        let ok = parse_time(
            "2026-03-09T15:30:00-07:00[America/Los_Angeles]",
            &tz,
            DstPolicy::Refuse,
        );
        assert_eq!(ok.map(|z| z.offset().seconds()), Ok(-7 * 3600));
    }

    #[test]
    fn bad_games_name_the_game_and_field() {
        let cases = [
            (
                spec("x", "A", "Z", "2026-03-01T19:00"),
                "games[0] (x).away: unknown team `Z`",
            ),
            (
                spec("x", "A", "A", "2026-03-01T19:00"),
                "games[0] (x).away: team `A` cannot play itself",
            ),
            (
                spec("x", "A", "B", "March 1st"),
                "games[0] (x).start: \"March 1st\" is not a date-time",
            ),
            (
                GameSpec {
                    venue: Some("nowhere".into()),
                    ..spec("x", "A", "B", "2026-03-01T19:00")
                },
                "games[0] (x).venue: unknown venue `nowhere`",
            ),
            (
                GameSpec {
                    end: Some("2026-03-01T18:00".into()),
                    ..spec("x", "A", "B", "2026-03-01T19:00")
                },
                "games[0] (x).end: end",
            ),
            (
                GameSpec {
                    tv: Some("nbc".into()),
                    ..spec("x", "A", "B", "2026-03-01T19:00")
                },
                "games[0] (x).tv: unknown TV window `nbc`",
            ),
        ];
        for (game, expected) in cases {
            let err = Schedule::from_spec(
                Path::new("s.json"),
                ScheduleSpec { games: vec![game] },
                &league(),
            )
            .unwrap_err()
            .to_string();
            assert!(err.starts_with("s.json: "), "{err}");
            assert!(err.contains(expected), "{err}\n  expected: {expected}");
        }
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let err = Schedule::from_spec(
            Path::new("s.json"),
            ScheduleSpec {
                games: vec![
                    spec("g", "A", "B", "2026-03-01T19:00"),
                    spec("g", "B", "A", "2026-03-08T19:00"),
                ],
            },
            &league(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("games[1] (g): game id `g` is used twice"),
            "{err}"
        );
    }

    /// The start of a one-game schedule at A's venue (New York) of `league`,
    /// or the error.
    fn start_in(league: &League, start: &str) -> std::result::Result<Zoned, String> {
        Schedule::from_spec(
            Path::new("s.json"),
            ScheduleSpec {
                games: vec![spec("x", "A", "B", start)],
            },
            league,
        )
        .map(|s| s.games()[0].start.clone())
        .map_err(|e| e.to_string())
    }

    #[test]
    fn a_time_the_clocks_skip_is_refused_naming_game_time_and_zone() {
        assert_eq!(
            start_in(&league(), "2026-03-08T02:30").unwrap_err(),
            "s.json: games[0] (x).start: \"2026-03-08T02:30\" does not exist in \
             America/New_York (the clocks go forward from 02:00 to 03:00 that day); \
             give an offset (2026-03-08T03:30-04:00) or set dst = \"later\" in league.toml"
        );
        // An end in the gap is named as the end.
        let err = Schedule::from_spec(
            Path::new("s.json"),
            ScheduleSpec {
                games: vec![GameSpec {
                    end: Some("2026-03-08T02:15".into()),
                    ..spec("x", "A", "B", "2026-03-08T00:30")
                }],
            },
            &league(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("games[0] (x).end: \"2026-03-08T02:15\" does not exist"),
            "{err}"
        );
    }

    #[test]
    fn a_time_the_clocks_repeat_is_refused_naming_both_offsets() {
        assert_eq!(
            start_in(&league(), "2026-11-01T01:30").unwrap_err(),
            "s.json: games[0] (x).start: \"2026-11-01T01:30\" happens twice in \
             America/New_York (the clocks go back from 02:00 to 01:00 that day); \
             give an offset (2026-11-01T01:30-04:00 for the first, \
             2026-11-01T01:30-05:00 for the second) or set dst = \"earlier\" or \"later\" \
             in league.toml"
        );
    }

    #[test]
    fn the_same_times_with_an_offset_are_exact() {
        for (time, utc) in [
            ("2026-03-08T03:30-04:00", "2026-03-08T07:30:00Z"),
            ("2026-03-08T01:30-05:00", "2026-03-08T06:30:00Z"),
            ("2026-11-01T01:30-04:00", "2026-11-01T05:30:00Z"),
            ("2026-11-01T01:30-05:00", "2026-11-01T06:30:00Z"),
            (
                "2026-11-01T01:30-05:00[America/New_York]",
                "2026-11-01T06:30:00Z",
            ),
            ("2026-11-01T06:30Z", "2026-11-01T06:30:00Z"),
        ] {
            let start = start_in(&league(), time).unwrap();
            assert_eq!(start.timestamp().to_string(), utc, "{time}");
        }
    }

    #[test]
    fn each_dst_rule_resolves_as_documented() {
        // (rule, the offset a gap time gets, the offset an overlap time gets)
        let cases = [
            (
                "earlier",
                "2026-03-08T01:30:00-05:00",
                "2026-11-01T01:30:00-04:00",
            ),
            (
                "later",
                "2026-03-08T03:30:00-04:00",
                "2026-11-01T01:30:00-05:00",
            ),
            (
                "compatible",
                "2026-03-08T03:30:00-04:00",
                "2026-11-01T01:30:00-04:00",
            ),
        ];
        for (rule, gap, overlap) in cases {
            let league = league_with(&format!("dst = \"{rule}\""));
            let start = |t| {
                start_in(&league, t)
                    .unwrap()
                    .strftime("%FT%T%:z")
                    .to_string()
            };
            assert_eq!(start("2026-03-08T02:30"), gap, "{rule}");
            assert_eq!(start("2026-11-01T01:30"), overlap, "{rule}");
            // Outside a change a rule changes nothing.
            assert_eq!(
                start("2026-03-09T02:30"),
                "2026-03-09T02:30:00-04:00",
                "{rule}"
            );
        }
    }

    #[test]
    fn a_zoned_time_without_an_offset_follows_the_league_rule() {
        // jiff alone resolves it, compatibly (the gap read as 03:30 summer
        // time); umpire treats it as the wall-clock time it is.
        let jiff = "2026-03-08T02:30[America/New_York]"
            .parse::<Zoned>()
            .unwrap();
        assert_eq!(
            jiff.to_string(),
            "2026-03-08T03:30:00-04:00[America/New_York]"
        );
        // Its own zone is named, not the venue's (B plays at Los Angeles).
        let err = Schedule::from_spec(
            Path::new("s.json"),
            ScheduleSpec {
                games: vec![spec("x", "B", "A", "2026-03-08T02:30[America/New_York]")],
            },
            &league(),
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.contains(
                "games[0] (x).start: \"2026-03-08T02:30[America/New_York]\" does not exist \
                 in America/New_York"
            ),
            "{err}"
        );
        let err = start_in(&league(), "2026-11-01T01:30[America/New_York]").unwrap_err();
        assert!(err.contains("happens twice in America/New_York"), "{err}");
        let later = start_in(
            &league_with("dst = \"later\""),
            "2026-03-08T02:30[America/New_York]",
        )
        .unwrap();
        assert_eq!(later.timestamp().to_string(), "2026-03-08T07:30:00Z");
        // Unambiguous, it is read as before.
        let plain = start_in(&league(), "2026-03-07T18:00[America/Chicago]").unwrap();
        assert_eq!(plain.timestamp().to_string(), "2026-03-08T00:00:00Z");
    }

    #[test]
    fn a_game_written_back_is_exact_under_any_rule() {
        // Read with `later` from wall-clock time, written zoned (with its
        // offset), read back by a league that refuses wall-clock overlaps.
        let later = league_with("dst = \"later\"");
        let s = Schedule::from_spec(
            Path::new("s.json"),
            ScheduleSpec {
                games: vec![GameSpec {
                    end: Some("2026-11-01T01:45".into()),
                    ..spec("x", "A", "B", "2026-11-01T01:30")
                }],
            },
            &later,
        )
        .unwrap();
        let spec = s.to_spec(&later);
        assert_eq!(
            spec.games[0].start,
            "2026-11-01T01:30:00-05:00[America/New_York]"
        );
        let again = Schedule::from_spec(Path::new("s.json"), spec, &league()).unwrap();
        assert_eq!(again.games()[0].fingerprint(), s.games()[0].fingerprint());
    }
}
