//! A schedule edit as a client sends it (the body of `PATCH
//! /v1/leagues/{name}/schedule`): games to remove, fields to change, games
//! to add, applied in that order to a schedule's spec.
//!
//! Applying an edit only rewrites the spec; whether the result is a schedule
//! of the league is for [`Schedule::from_spec`](crate::Schedule::from_spec)
//! to say, as for any schedule file.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use serde::Deserialize;

use crate::{Error, Game, GameSpec, League, Schedule, ScheduleSpec, suggest};

/// A partial game: the game's id and the fields to change.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GameEdit {
    id: String,
    round: Option<u32>,
    home: Option<String>,
    away: Option<String>,
    venue: Option<String>,
    start: Option<String>,
    end: Option<String>,
    tv: Option<String>,
    tags: Option<Vec<String>>,
}

/// An edit of a schedule: `{"remove": [ids], "edit": [partial games],
/// "add": [games]}`, each list optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulePatch {
    #[serde(default)]
    edit: Vec<GameEdit>,
    #[serde(default)]
    add: Vec<GameSpec>,
    #[serde(default)]
    remove: Vec<String>,
}

impl GameEdit {
    /// An edit of game `id` that changes nothing yet.
    pub fn new(id: impl Into<String>) -> Self {
        Self {
            id: id.into(),
            round: None,
            home: None,
            away: None,
            venue: None,
            start: None,
            end: None,
            tv: None,
            tags: None,
        }
    }

    /// Moves the game to `start` (its end then follows: the league's
    /// default length, unless [`end`](Self::end) says otherwise).
    pub fn start(mut self, start: impl Into<String>) -> Self {
        self.start = Some(start.into());
        self
    }

    /// Gives the game this end.
    pub fn end(mut self, end: impl Into<String>) -> Self {
        self.end = Some(end.into());
        self
    }

    /// Plays the game at `venue`.
    pub fn venue(mut self, venue: impl Into<String>) -> Self {
        self.venue = Some(venue.into());
        self
    }

    /// Gives the game these teams.
    pub fn teams(mut self, home: impl Into<String>, away: impl Into<String>) -> Self {
        self.home = Some(home.into());
        self.away = Some(away.into());
        self
    }

    /// Puts the game in `round`.
    pub fn round(mut self, round: u32) -> Self {
        self.round = Some(round);
        self
    }

    /// The id of the game it edits.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Writes the fields it names into `g`. A new start without an end
    /// drops the old end (it went with the old start): the game then lasts
    /// the league's default length.
    fn apply_to_spec(self, g: &mut GameSpec) {
        if let Some(v) = self.round {
            g.round = Some(v);
        }
        if let Some(v) = self.home {
            g.home = v;
        }
        if let Some(v) = self.away {
            g.away = v;
        }
        if let Some(v) = self.venue {
            g.venue = Some(v);
        }
        if let Some(v) = self.start {
            g.start = v;
            if self.end.is_none() {
                g.end = None;
            }
        }
        if let Some(v) = self.end {
            g.end = Some(v);
        }
        if let Some(v) = self.tv {
            g.tv = Some(v);
        }
        if let Some(v) = self.tags {
            g.tags = v;
        }
    }
}

/// Why an edit cannot be applied.
#[derive(Debug, thiserror::Error)]
pub enum PatchError {
    /// The edit itself is wrong: it names a game the schedule does not
    /// have, names one game twice, or adds an id already there.
    #[error("{at}: {message}")]
    Request {
        /// Where in the edit (`edit[0]`, `remove[2]`, `add[1]`).
        at: String,
        /// What is wrong.
        message: String,
        /// Whether it names a game that is not there.
        unknown_game: bool,
    },
    /// The edited games are not games of the league (a team, venue or time
    /// that does not resolve).
    #[error(transparent)]
    Invalid(#[from] Error),
}

impl SchedulePatch {
    /// An edit that changes nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// This edit, also removing game `id`.
    pub fn removing(mut self, id: impl Into<String>) -> Self {
        self.remove.push(id.into());
        self
    }

    /// This edit, also editing a game.
    pub fn editing(mut self, edit: GameEdit) -> Self {
        self.edit.push(edit);
        self
    }

    /// This edit, also adding a game.
    pub fn adding(mut self, game: GameSpec) -> Self {
        self.add.push(game);
        self
    }

    /// Whether it changes nothing (every list empty).
    pub fn is_empty(&self) -> bool {
        self.edit.is_empty() && self.add.is_empty() && self.remove.is_empty()
    }

    /// The ids of the games it removes, edits or adds, in that order.
    pub fn game_ids(&self) -> impl Iterator<Item = &str> {
        self.remove
            .iter()
            .map(String::as_str)
            .chain(self.edit.iter().map(|e| e.id.as_str()))
            .chain(self.add.iter().map(|g| g.id.as_str()))
    }

    /// The edit applied to `schedule`: removals, then edits, then additions,
    /// as [`apply`](Self::apply) does to a spec, with one game named at
    /// most once. The games it does not name stay the same (the same
    /// `Arc`s, so what was known about them still applies); an edited game
    /// keeps its position, an added one goes last. `origin` names the
    /// edit in errors.
    ///
    /// An edited game is its current fields, as [`Game::to_spec`] gives
    /// them, with the edit's written over: a venue that is the home team's
    /// own follows the home team when the edit changes it, and a new start
    /// without an end gives the league's default length.
    pub fn apply_to<'p>(
        &'p self,
        schedule: &Schedule,
        league: &League,
        origin: &Path,
    ) -> Result<Schedule, PatchError> {
        let request = |at: String, message: String, unknown_game: bool| PatchError::Request {
            at,
            message,
            unknown_game,
        };
        let mut named: HashSet<&str> = HashSet::new();
        let mut twice = |at: String, id: &'p str| {
            if named.insert(id) {
                Ok(())
            } else {
                Err(request(
                    at,
                    format!("game `{id}` is named twice in one edit; edit each game once"),
                    false,
                ))
            }
        };
        let mut games: Vec<Option<Arc<Game>>> = schedule.games().iter().cloned().map(Some).collect();
        let position = |at: &str, id: &str| {
            schedule.position(id).ok_or_else(|| {
                request(
                    at.to_owned(),
                    format!(
                        "no game `{id}` in the schedule{}",
                        suggest(id, schedule.games().iter().map(|g| &*g.id))
                    ),
                    true,
                )
            })
        };
        for (k, id) in self.remove.iter().enumerate() {
            let at = format!("remove[{k}]");
            twice(at.clone(), id)?;
            games[position(&at, id)?] = None;
        }
        for (k, e) in self.edit.iter().enumerate() {
            let at = format!("edit[{k}] ({})", e.id);
            twice(at.clone(), &e.id)?;
            let i = position(&at, &e.id)?;
            let mut spec = schedule.games()[i].to_spec(league);
            e.clone().apply_to_spec(&mut spec);
            games[i] = Some(Schedule::game_from_spec(origin, &at, spec, league)?);
        }
        let mut games: Vec<Arc<Game>> = games.into_iter().flatten().collect();
        for (k, g) in self.add.iter().enumerate() {
            let at = format!("add[{k}] ({})", g.id);
            twice(at.clone(), &g.id)?;
            if schedule.position(&g.id).is_some() && !self.remove.contains(&g.id) {
                return Err(request(
                    at,
                    format!(
                        "game `{}` is in the schedule already; edit it, or remove it first",
                        g.id
                    ),
                    false,
                ));
            }
            games.push(Schedule::game_from_spec(origin, &at, g.clone(), league)?);
        }
        Ok(schedule.rebuilt(league, games))
    }

    /// Applies the edit to `spec`: removals, then edits, then additions. A
    /// removal or edit naming a game that is not there is an error saying
    /// which, and `spec` is then partly edited (edit a copy).
    pub fn apply(self, spec: &mut ScheduleSpec) -> Result<(), String> {
        for id in &self.remove {
            let i = spec
                .games
                .iter()
                .position(|g| g.id == *id)
                .ok_or_else(|| format!("remove: no game `{id}`"))?;
            spec.games.remove(i);
        }
        for e in self.edit {
            let g = spec
                .games
                .iter_mut()
                .find(|g| g.id == e.id)
                .ok_or_else(|| format!("edit: no game `{}`", e.id))?;
            e.apply_to_spec(g);
        }
        spec.games.extend(self.add);
        Ok(())
    }
}
