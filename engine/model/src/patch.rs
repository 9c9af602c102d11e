//! A schedule edit as a client sends it (the body of `PATCH
//! /v1/leagues/{name}/schedule`): games to remove, fields to change, games
//! to add, applied in that order to a schedule's spec.
//!
//! Applying an edit only rewrites the spec; whether the result is a schedule
//! of the league is for [`Schedule::from_spec`](crate::Schedule::from_spec)
//! to say, as for any schedule file.

use serde::Deserialize;

use crate::{GameSpec, ScheduleSpec};

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
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchedulePatch {
    #[serde(default)]
    edit: Vec<GameEdit>,
    #[serde(default)]
    add: Vec<GameSpec>,
    #[serde(default)]
    remove: Vec<String>,
}

impl SchedulePatch {
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
            if let Some(v) = e.round {
                g.round = Some(v);
            }
            if let Some(v) = e.home {
                g.home = v;
            }
            if let Some(v) = e.away {
                g.away = v;
            }
            if let Some(v) = e.venue {
                g.venue = Some(v);
            }
            if let Some(v) = e.start {
                g.start = v;
                // An end that went with the old start would now be wrong.
                if e.end.is_none() {
                    g.end = None;
                }
            }
            if let Some(v) = e.end {
                g.end = Some(v);
            }
            if let Some(v) = e.tv {
                g.tv = Some(v);
            }
            if let Some(v) = e.tags {
                g.tags = v;
            }
        }
        spec.games.extend(self.add);
        Ok(())
    }
}
