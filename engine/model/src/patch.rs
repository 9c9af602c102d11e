//! A schedule edit as a client sends it (the body of `PATCH
//! /v1/leagues/{name}/schedule`): games to remove, fields to change, games
//! to add, applied in that order to a schedule's spec.
//!
//! A game's edit reads as a JSON merge patch (RFC 7386) of the game: a field
//! left out keeps its value, a field given replaces it, and `null` clears an
//! optional field back to its default (`venue` to the home team's, `end` to
//! the league's default length, no `tv`, no `round`, no `tags`). `null` for
//! `home`, `away` or `start` is an error where it is read: a game cannot be
//! without them.
//!
//! Applying an edit only rewrites the spec; whether the result is a schedule
//! of the league is for [`Schedule::from_spec`](crate::Schedule::from_spec)
//! to say, as for any schedule file.

use std::collections::HashSet;
use std::path::Path;
use std::sync::Arc;

use serde::{Deserialize, Deserializer};

use crate::{Error, Game, GameSpec, League, Schedule, ScheduleSpec, suggest};

/// A partial game: the game's id and the fields to change. An optional
/// field is three-way: absent (`None`, keep), `null` (`Some(None)`, clear)
/// or a value (`Some(Some(v))`, set).
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct GameEdit {
    /// The game's id.
    id: String,
    /// A new round; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    round: Option<Option<u32>>,
    /// A new home team; never `null`.
    #[serde(default, deserialize_with = "home_not_null")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    home: Option<String>,
    /// A new away team; never `null`.
    #[serde(default, deserialize_with = "away_not_null")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    away: Option<String>,
    /// A new venue; `null` gives the home team's.
    #[serde(default, deserialize_with = "nullable")]
    venue: Option<Option<String>>,
    /// A new kickoff; never `null`.
    #[serde(default, deserialize_with = "start_not_null")]
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    start: Option<String>,
    /// A new end; `null` gives the league's default length.
    #[serde(default, deserialize_with = "nullable")]
    end: Option<Option<String>>,
    /// A new TV window; `null` clears it.
    #[serde(default, deserialize_with = "nullable")]
    tv: Option<Option<String>>,
    /// New tags; `null` clears them.
    #[serde(default, deserialize_with = "nullable")]
    tags: Option<Option<Vec<String>>>,
}

/// A field that is there, as a value or `null` (serde's `Option` alone reads
/// both `null` and absent as `None`; `default` covers absent).
fn nullable<'de, D: Deserializer<'de>, T: Deserialize<'de>>(
    d: D,
) -> Result<Option<Option<T>>, D::Error> {
    Option::<T>::deserialize(d).map(Some)
}

/// A required field that is there: a value, never `null`.
fn not_null<'de, D: Deserializer<'de>>(d: D, needs: &str) -> Result<Option<String>, D::Error> {
    match Option::<String>::deserialize(d)? {
        Some(v) => Ok(Some(v)),
        None => Err(serde::de::Error::custom(format!(
            "cannot be null; a game needs {needs} (leave the field out to keep the one it has)"
        ))),
    }
}

fn home_not_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    not_null(d, "a home team")
}

fn away_not_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    not_null(d, "an away team")
}

fn start_not_null<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    not_null(d, "a start")
}

/// An edit of a schedule: `{"remove": [ids], "edit": [partial games],
/// "add": [games]}`, each list optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
        self.end = Some(Some(end.into()));
        self
    }

    /// Plays the game at `venue`.
    pub fn venue(mut self, venue: impl Into<String>) -> Self {
        self.venue = Some(Some(venue.into()));
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
        self.round = Some(Some(round));
        self
    }

    /// Plays the game at its home team's venue (`"venue": null`).
    pub fn clear_venue(mut self) -> Self {
        self.venue = Some(None);
        self
    }

    /// Gives the game the league's default length (`"end": null`).
    pub fn clear_end(mut self) -> Self {
        self.end = Some(None);
        self
    }

    /// Broadcasts the game in TV window `tv`.
    pub fn tv(mut self, tv: impl Into<String>) -> Self {
        self.tv = Some(Some(tv.into()));
        self
    }

    /// Takes the game out of its TV window (`"tv": null`).
    pub fn clear_tv(mut self) -> Self {
        self.tv = Some(None);
        self
    }

    /// Takes the game out of its round (`"round": null`).
    pub fn clear_round(mut self) -> Self {
        self.round = Some(None);
        self
    }

    /// Drops the game's tags (`"tags": null`).
    pub fn clear_tags(mut self) -> Self {
        self.tags = Some(None);
        self
    }

    /// The id of the game it edits.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// Writes the fields it names into `g`, clearing those it gives as
    /// `null`. A new start without an end drops the old end (it went with
    /// the old start): the game then lasts the league's default length.
    fn apply_to_spec(self, g: &mut GameSpec) {
        if let Some(v) = self.round {
            g.round = v;
        }
        if let Some(v) = self.home {
            g.home = v;
        }
        if let Some(v) = self.away {
            g.away = v;
        }
        if let Some(v) = self.venue {
            g.venue = v;
        }
        if let Some(v) = self.start {
            g.start = v;
            if self.end.is_none() {
                g.end = None;
            }
        }
        if let Some(v) = self.end {
            g.end = v;
        }
        if let Some(v) = self.tv {
            g.tv = v;
        }
        if let Some(v) = self.tags {
            g.tags = v.unwrap_or_default();
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
        let mut removed = Vec::with_capacity(self.remove.len());
        for (k, id) in self.remove.iter().enumerate() {
            let at = format!("remove[{k}]");
            twice(at.clone(), id)?;
            removed.push(position(&at, id)?);
        }
        let mut changes = Vec::with_capacity(self.edit.len());
        for (k, e) in self.edit.iter().enumerate() {
            let at = format!("edit[{k}] ({})", e.id);
            twice(at.clone(), &e.id)?;
            let i = position(&at, &e.id)?;
            let mut spec = schedule.games()[i].to_spec(league);
            e.clone().apply_to_spec(&mut spec);
            changes.push((i, Schedule::game_from_spec(origin, &at, spec, league)?));
        }
        // An edit that only edits games (a move) updates the indexes in
        // place; one that removes or adds builds them again.
        if removed.is_empty() && self.add.is_empty() {
            return Ok(schedule.with_replaced(league, &changes));
        }
        let mut games: Vec<Option<Arc<Game>>> =
            schedule.games().iter().cloned().map(Some).collect();
        for i in removed {
            games[i] = None;
        }
        for (i, g) in changes {
            games[i] = Some(g);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::from_json;

    fn league() -> League {
        League::from_toml_str(
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
[[tv_windows]]
id = "prime"
network = "N"
days = ["sat"]
start = "19:00"
end = "23:00"
timezone = "America/New_York"
"#,
        )
        .unwrap()
    }

    /// One game with every optional field set to something not its default.
    const FULL: &str = r#"{"games": [{"id": "g1", "round": 3, "home": "A", "away": "B",
        "venue": "west", "start": "2026-03-07T19:00", "end": "2026-03-07T22:00",
        "tv": "prime", "tags": ["rivalry"]}]}"#;

    fn spec() -> ScheduleSpec {
        from_json(Path::new("s.json"), FULL).unwrap()
    }

    fn schedule() -> Schedule {
        Schedule::from_spec(Path::new("s.json"), spec(), &league()).unwrap()
    }

    fn patch(body: &str) -> Result<SchedulePatch, String> {
        from_json(Path::new("request"), body).map_err(|e| e.to_string())
    }

    /// The one game after `body` is applied to the schedule.
    fn edited(body: &str) -> Arc<Game> {
        let edited = patch(body)
            .unwrap()
            .apply_to(&schedule(), &league(), Path::new("request"))
            .unwrap();
        edited.games()[0].clone()
    }

    #[test]
    fn null_clears_each_optional_field_to_its_default() {
        let before = schedule().games()[0].clone();
        assert_eq!(before.end.duration_since(&before.start).as_mins(), 180);
        type Cleared = fn(&Game) -> bool;
        let cases: [(&str, Cleared); 5] = [
            // Back to the home team's venue.
            ("venue", |g| &*g.venue == "east"),
            // The league's default length (120 minutes).
            ("end", |g| g.end.duration_since(&g.start).as_mins() == 120),
            ("tv", |g| g.tv.is_none()),
            ("round", |g| g.round.is_none()),
            ("tags", |g| g.tags.is_empty()),
        ];
        for (field, cleared) in cases {
            let g = edited(&format!(r#"{{"edit": [{{"id": "g1", "{field}": null}}]}}"#));
            assert!(cleared(&g), "{field}: {g:?}");
            assert!(!cleared(&before), "{field} was set to begin with");
            // Every other field is kept.
            for (other, was_cleared) in cases.iter().filter(|(f, _)| *f != field) {
                assert!(!was_cleared(&g), "{field}: null cleared {other} too");
            }
            assert_eq!(g.start.timestamp(), before.start.timestamp(), "{field}");
        }
    }

    #[test]
    fn an_absent_field_keeps_its_value() {
        let before = schedule().games()[0].fingerprint();
        assert_eq!(edited(r#"{"edit": [{"id": "g1"}]}"#).fingerprint(), before);
        let g = edited(r#"{"edit": [{"id": "g1", "start": "2026-03-14T19:00"}]}"#);
        assert_eq!(g.start.date().to_string(), "2026-03-14");
        assert_eq!(
            (&*g.venue, g.tv.as_deref(), g.round, g.tags.len()),
            ("west", Some("prime"), Some(3), 1)
        );
    }

    #[test]
    fn a_cleared_venue_follows_a_new_home_team() {
        let g = edited(r#"{"edit": [{"id": "g1", "home": "B", "away": "A", "venue": null}]}"#);
        assert_eq!(&*g.venue, "west");
        assert_eq!(g.start.time_zone().iana_name(), Some("America/Los_Angeles"));
    }

    #[test]
    fn the_clearing_builders_match_null_in_json() {
        let built = SchedulePatch::new().editing(
            GameEdit::new("g1")
                .clear_venue()
                .clear_end()
                .clear_tv()
                .clear_round()
                .clear_tags(),
        );
        let from_json = patch(
            r#"{"edit": [{"id": "g1", "venue": null, "end": null, "tv": null,
                "round": null, "tags": null}]}"#,
        )
        .unwrap();
        let (league, schedule) = (league(), schedule());
        let apply = |p: &SchedulePatch| {
            p.apply_to(&schedule, &league, Path::new("request"))
                .unwrap()
                .fingerprint()
        };
        assert_eq!(apply(&built), apply(&from_json));
        // And a spec edited with `apply` reads as the schedule `apply_to` gave.
        let mut spec = spec();
        from_json.clone().apply(&mut spec).unwrap();
        let g = &spec.games[0];
        assert_eq!(
            (&g.venue, &g.end, &g.tv, g.round, g.tags.len()),
            (&None, &None, &None, None, 0)
        );
        let read = Schedule::from_spec(Path::new("s.json"), spec, &league).unwrap();
        let g = &read.games()[0];
        assert_eq!(&*g.venue, "east");
        assert_eq!(g.end.duration_since(&g.start).as_mins(), 120);
    }

    #[test]
    fn null_for_a_required_field_is_an_error_naming_it() {
        for (field, needs) in [
            ("home", "a home team"),
            ("away", "an away team"),
            ("start", "a start"),
        ] {
            let err = patch(&format!(
                r#"{{"edit": [{{"id": "g1"}}, {{"id": "g2", "{field}": null}}]}}"#
            ))
            .unwrap_err();
            let expected = format!(
                "request: field `edit[1].{field}`: cannot be null; a game needs {needs} \
                 (leave the field out to keep the one it has) at line 1 column"
            );
            assert!(err.starts_with(&expected), "{err}\n  expected: {expected}");
        }
    }

    #[test]
    fn an_unknown_field_is_still_refused_even_when_null() {
        let err = patch(r#"{"edit": [{"id": "g1", "kickoff": null}]}"#).unwrap_err();
        assert!(
            err.starts_with(
                "request: field `edit[0].kickoff`: unknown field `kickoff`, expected one of"
            ),
            "{err}"
        );
    }
}
