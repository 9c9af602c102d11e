//! What-if evaluation: an edited copy of a schedule, judged without being
//! committed.
//!
//! A [`Season`] is a schedule with its full evaluation. A what-if judges an
//! edited copy against it: the games the edit names, and the games whose
//! recorded reads the edit touches, are judged again; every other game
//! keeps its report, as an incremental evaluation would keep it. The answer
//! is what a full evaluation of the edited schedule says, with each game
//! whose report differs and the season's totals before and after.

use std::path::Path;
use std::sync::Arc;

use serde::Serialize;

use super::{Against, Baseline, Cancel, Evaluator, Interrupted};
use crate::model::{GameReport, PatchError, Penalties, Report, Schedule, SchedulePatch, Summary};

/// A schedule and its full evaluation, to judge edits of it against.
pub struct Season {
    schedule: Arc<Schedule>,
    report: Report,
    /// What the evaluation read, game by game (with a cache only).
    baseline: Option<Arc<Baseline>>,
    /// The evaluator that made it: another's baseline is no use.
    evaluator: u64,
}

impl Season {
    /// The schedule.
    pub fn schedule(&self) -> &Arc<Schedule> {
        &self.schedule
    }

    /// Its full evaluation.
    pub fn report(&self) -> &Report {
        &self.report
    }

    /// Whether `evaluator` made it (what-ifs against it then reuse what it
    /// read).
    pub fn made_by(&self, evaluator: &Evaluator) -> bool {
        self.evaluator == evaluator.id
    }

    /// Its totals.
    pub fn totals(&self) -> Totals {
        Totals::from(&self.report.summary)
    }
}

/// The totals a solver compares schedules by.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    /// No hard violation anywhere.
    pub valid: bool,
    /// Violations of hard constraints.
    pub hard_violations: usize,
    /// Violations of soft constraints.
    pub soft_violations: usize,
    /// Violations of preferences.
    pub preference_violations: usize,
    /// Penalty totals per level (weight × penalty, summed).
    pub penalties: Penalties,
    /// Weighted mean score of every verdict that judged, 0..=1.
    pub score: f64,
    /// The penalties as levels, `-470hard/-160soft/-30pref`.
    pub levels: String,
}

impl From<&Summary> for Totals {
    fn from(s: &Summary) -> Self {
        Self {
            valid: s.valid,
            hard_violations: s.hard_violations,
            soft_violations: s.soft_violations,
            preference_violations: s.preference_violations,
            penalties: s.penalties,
            score: s.score,
            levels: s.levels(),
        }
    }
}

/// How totals moved: after minus before, field by field.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TotalsDelta {
    /// Change in hard violations.
    pub hard_violations: i64,
    /// Change in soft violations.
    pub soft_violations: i64,
    /// Change in preference violations.
    pub preference_violations: i64,
    /// Change in each level's penalty total.
    pub penalties: Penalties,
    /// Change in the score.
    pub score: f64,
}

impl TotalsDelta {
    /// `after - before`.
    pub fn between(before: &Totals, after: &Totals) -> Self {
        let count = |a: usize, b: usize| a as i64 - b as i64;
        Self {
            hard_violations: count(after.hard_violations, before.hard_violations),
            soft_violations: count(after.soft_violations, before.soft_violations),
            preference_violations: count(after.preference_violations, before.preference_violations),
            penalties: Penalties {
                hard: after.penalties.hard - before.penalties.hard,
                soft: after.penalties.soft - before.penalties.soft,
                preference: after.penalties.preference - before.penalties.preference,
            },
            score: after.score - before.score,
        }
    }
}

/// A game whose report an edit changes.
#[derive(Debug, Clone, Serialize)]
pub struct Changed {
    /// The game's id.
    pub game: Arc<str>,
    /// Its report after the edit; none when the edit removes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub report: Option<GameReport>,
    /// Whether the edit removes it.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub removed: bool,
}

/// What an edit would do to a season, committed nowhere.
#[derive(Debug, Clone)]
pub struct WhatIf {
    /// The edited schedule.
    pub schedule: Arc<Schedule>,
    /// Its full evaluation, as [`Evaluator::evaluate`] would give it.
    pub report: Report,
    /// The season's totals before the edit.
    pub before: Totals,
    /// The totals after it.
    pub after: Totals,
    /// `after - before`.
    pub delta: TotalsDelta,
    /// Every game whose report differs (edited, added, removed, or judged
    /// differently because of the edit), in the edited schedule's order,
    /// then the removed ones.
    pub changed: Vec<Changed>,
    /// Whether the schedule-scoped verdicts differ.
    pub schedule_changed: bool,
}

impl WhatIf {
    /// The report of a game of the edited schedule.
    pub fn report_of(&self, id: &str) -> Option<&GameReport> {
        self.schedule.position(id).map(|i| &self.report.games[i])
    }
}

impl Evaluator {
    /// Rules on a whole schedule and keeps what it read, to judge edits of
    /// it with [`what_if`](Self::what_if); waits for room if the queue is
    /// full.
    pub fn season(&self, schedule: &Arc<Schedule>) -> Season {
        self.season_with(schedule, false, &Cancel::never())
            .unwrap_or_else(|_| unreachable!("a waiting, uncancelled submission always ends"))
    }

    /// [`season`](Self::season) that answers [`Interrupted`] when the queue
    /// is full or `cancel` is cancelled.
    pub fn try_season_until(
        &self,
        schedule: &Arc<Schedule>,
        cancel: &Cancel,
    ) -> Result<Season, Interrupted> {
        self.season_with(schedule, true, cancel)
    }

    fn season_with(
        &self,
        schedule: &Arc<Schedule>,
        refuse_when_full: bool,
        cancel: &Cancel,
    ) -> Result<Season, Interrupted> {
        let (report, baseline) = self.run_against(
            schedule,
            &mut |_| {},
            refuse_when_full,
            cancel,
            Against::Last,
        )?;
        Ok(Season {
            schedule: schedule.clone(),
            report,
            baseline,
            evaluator: self.id,
        })
    }

    /// What a full evaluation of `edited` says, against `season`: each game
    /// whose report differs, and the totals before and after. Only what the
    /// edit may change is judged again (with a cache; without one, the
    /// whole edited schedule is). Nothing is kept: the evaluator's own
    /// baseline stays the season it had.
    pub fn what_if(&self, season: &Season, edited: Arc<Schedule>) -> WhatIf {
        self.what_if_with(season, edited, false, &Cancel::never())
            .unwrap_or_else(|_| unreachable!("a waiting, uncancelled submission always ends"))
    }

    /// [`what_if`](Self::what_if) that answers [`Interrupted`] when the
    /// queue is full or `cancel` is cancelled.
    pub fn try_what_if_until(
        &self,
        season: &Season,
        edited: Arc<Schedule>,
        cancel: &Cancel,
    ) -> Result<WhatIf, Interrupted> {
        self.what_if_with(season, edited, true, cancel)
    }

    fn what_if_with(
        &self,
        season: &Season,
        edited: Arc<Schedule>,
        refuse_when_full: bool,
        cancel: &Cancel,
    ) -> Result<WhatIf, Interrupted> {
        let base = season
            .baseline
            .clone()
            .filter(|_| season.evaluator == self.id);
        let (report, _) = self.run_against(
            &edited,
            &mut |_| {},
            refuse_when_full,
            cancel,
            Against::Season(base),
        )?;
        Ok(compare(season, edited, report))
    }

    /// Each move judged on its own against `season`, none committed: a
    /// move that cannot be applied (it names a game that is not there, or
    /// a team, venue or time the league does not have) is an error in its
    /// place, and the others are judged all the same.
    pub fn score_moves(
        &self,
        season: &Season,
        moves: &[SchedulePatch],
    ) -> Vec<Result<WhatIf, PatchError>> {
        self.moves_with(season, moves, false, &Cancel::never())
            .unwrap_or_else(|_| unreachable!("a waiting, uncancelled submission always ends"))
    }

    /// [`score_moves`](Self::score_moves) that answers [`Interrupted`] when
    /// the queue is full or `cancel` is cancelled.
    pub fn try_score_moves_until(
        &self,
        season: &Season,
        moves: &[SchedulePatch],
        cancel: &Cancel,
    ) -> Result<Vec<Result<WhatIf, PatchError>>, Interrupted> {
        self.moves_with(season, moves, true, cancel)
    }

    fn moves_with(
        &self,
        season: &Season,
        moves: &[SchedulePatch],
        refuse_when_full: bool,
        cancel: &Cancel,
    ) -> Result<Vec<Result<WhatIf, PatchError>>, Interrupted> {
        moves
            .iter()
            .enumerate()
            .map(|(k, m)| {
                let origin = format!("moves[{k}]");
                match m.apply_to(&season.schedule, self.league(), Path::new(&origin)) {
                    Ok(edited) => self
                        .what_if_with(season, Arc::new(edited), refuse_when_full, cancel)
                        .map(Ok),
                    Err(e) => Ok(Err(e)),
                }
            })
            .collect()
    }
}

/// The what-if of `report`, the evaluation of `edited`, against `season`.
fn compare(season: &Season, edited: Arc<Schedule>, report: Report) -> WhatIf {
    let before_games = &season.report.games;
    let mut changed: Vec<Changed> = edited
        .games()
        .iter()
        .zip(&report.games)
        .filter(|(g, now)| {
            season
                .schedule
                .position(&g.id)
                .is_none_or(|j| !before_games[j].same_ruling(now))
        })
        .map(|(g, now)| Changed {
            game: g.id.clone(),
            report: Some(now.clone()),
            removed: false,
        })
        .collect();
    changed.extend(
        season
            .schedule
            .games()
            .iter()
            .filter(|g| edited.position(&g.id).is_none())
            .map(|g| Changed {
                game: g.id.clone(),
                report: None,
                removed: true,
            }),
    );
    let before = season.totals();
    let after = Totals::from(&report.summary);
    WhatIf {
        schedule_changed: !season.report.schedule.same_ruling(&report.schedule),
        delta: TotalsDelta::between(&before, &after),
        before,
        after,
        changed,
        schedule: edited,
        report,
    }
}
