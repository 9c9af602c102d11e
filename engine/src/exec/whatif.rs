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

use std::time::Instant;

use std::sync::OnceLock;

use super::batch::{Flow, Opened};
use super::rules::{Budget, KnownGame, KnownGames, KnownParts, SeasonPart};
use super::{Baseline, Cancel, Evaluator, Interrupted};
use crate::cache::Delta;
use crate::model::{
    GameReport, Ledger, PatchError, Penalties, Report, Schedule, SchedulePatch, ScheduleReport,
    Summary, Tallied,
};
use crate::runtime::{self, Target};

/// A schedule and its full evaluation, to judge edits of it against.
pub struct Season {
    schedule: Arc<Schedule>,
    report: Arc<Report>,
    /// What the evaluation read, game by game (with a cache only).
    baseline: Option<Arc<Baseline>>,
    /// The evaluator that made it: another's baseline is no use.
    evaluator: u64,
    /// The verdicts of the partitioned rules' parts, with their reads, as
    /// the cache held them for this schedule (found at the first what-if).
    parts: OnceLock<Arc<[SeasonPart]>>,
    /// The games' reports as a summary adds them up (made at the first
    /// what-if): a what-if's summary reads the kept games' numbers from
    /// here, not their verdicts.
    ledger: OnceLock<Ledger>,
}

impl std::fmt::Debug for Season {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Season")
            .field("games", &self.schedule.len())
            .field("summary", &self.report.summary)
            .field("evaluator", &self.evaluator)
            .finish_non_exhaustive()
    }
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
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
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
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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
    /// The edited schedule's summary.
    pub summary: Summary,
    /// The edited schedule's schedule-scoped verdicts.
    pub schedule_report: ScheduleReport,
    /// The season's evaluation, for the games the edit leaves as they were.
    season: Arc<Report>,
    /// Per position of the edited schedule: its new report, when it was
    /// judged again, or the season's position whose report it keeps.
    games: Vec<Judged>,
}

/// One game of a what-if: judged again, or as the season had it. Most are
/// kept, so a report judged again is boxed: the list of every game stays
/// small to build and move.
#[derive(Debug, Clone)]
enum Judged {
    Again(Box<GameReport>),
    Kept(usize),
}

impl WhatIf {
    /// The report of a game of the edited schedule.
    pub fn report_of(&self, id: &str) -> Option<&GameReport> {
        self.schedule.position(id).map(|i| self.at(i))
    }

    /// The report of the game at `position` of the edited schedule.
    fn at(&self, position: usize) -> &GameReport {
        match &self.games[position] {
            Judged::Again(r) => r,
            Judged::Kept(j) => &self.season.games[*j],
        }
    }

    /// The whole evaluation of the edited schedule, as
    /// [`Evaluator::evaluate`] would give it (a copy of every game's
    /// report: for an answer about every game, not for scoring moves).
    pub fn report(&self) -> Report {
        Report {
            summary: self.summary.clone(),
            schedule: self.schedule_report.clone(),
            games: (0..self.games.len()).map(|i| self.at(i).clone()).collect(),
            cache: None,
        }
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
        let (report, baseline) =
            self.run_keeping(schedule, &mut |_| {}, refuse_when_full, cancel)?;
        Ok(Season {
            schedule: schedule.clone(),
            report: Arc::new(report),
            baseline,
            evaluator: self.id,
            parts: OnceLock::new(),
            ledger: OnceLock::new(),
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
        let _span = tracing::debug_span!("what_if", games = edited.len()).entered();
        let started = Instant::now();
        let rules = &self.rules;
        let budget = Budget {
            tentative: true,
            ..rules.budget(started)
        };
        cancel.check()?;
        // What the season read decides which parts and games to judge
        // again; another evaluator's season, or none, and all are.
        let base = season
            .baseline
            .as_ref()
            .filter(|_| season.evaluator == self.id);
        let delta = base.and_then(|b| Delta::between(&b.schedule, &edited, usize::MAX));
        let known = match (base, &delta, &rules.cache) {
            (Some(b), Some(d), Some(cache)) if b.generation == cache.generation() => {
                Some(Arc::new(self.known_parts(season, &edited, d)))
            }
            _ => None,
        };
        let schedule_verdicts =
            self.schedule_scope_knowing(&edited, budget, refuse_when_full, known)?;
        cancel.check()?;
        let blocked: Arc<[_]> = rules.blocked_by_schedule(&schedule_verdicts).into();
        let mut opened = Opened {
            budget,
            schedule_verdicts,
            blocked,
            known: None,
        };
        let n = edited.len();
        let applies = base.filter(|b| self.baseline_applies(b, &opened.blocked, budget));
        let (todo, kept) = applies
            .zip(delta.as_ref())
            .and_then(|(b, d)| self.kept_after(b, &edited, d, true))
            .unwrap_or_else(|| ((0..n).collect(), vec![None; n]));
        // A game judged again that did not change itself keeps each
        // verdict of the season's whose reads still answer the same.
        if let (Some(b), Some(d)) = (applies, delta) {
            let delta = Arc::new(d);
            let known: KnownGames = (todo.iter())
                .filter_map(|&i| {
                    let entry = b.games.get(delta.unchanged_from(i)?)?.clone()?;
                    let known = KnownGame {
                        entry,
                        delta: delta.clone(),
                    };
                    Some((edited.games()[i].id.clone(), known))
                })
                .collect();
            opened.known = (!known.is_empty()).then(|| Arc::new(known));
        }
        let mut games: Vec<Option<Judged>> =
            kept.into_iter().map(|j| j.map(Judged::Kept)).collect();
        let again = todo.iter().map(|&i| edited.games()[i].clone());
        let flow = Flow::AtOnce { refuse_when_full };
        self.batch(&edited, &opened, again, flow, cancel, &mut |first, part| {
            for (&i, (report, _)) in todo[first..].iter().zip(part) {
                games[i] = Some(Judged::Again(Box::new(report)));
            }
        })?;
        let games: Vec<Judged> = games
            .into_iter()
            .zip(edited.games())
            .map(|(j, g)| j.unwrap_or_else(|| Judged::Again(Box::new(rules.panicked(g)))))
            .collect();
        let schedule_report = ScheduleReport::new(opened.schedule_verdicts);
        let before_games = &season.report.games;
        let report_at = |i: usize| match &games[i] {
            Judged::Again(r) => r,
            Judged::Kept(j) => &before_games[*j],
        };
        let ledger = season.ledger.get_or_init(|| Ledger::of(before_games));
        let summary = ledger.summary(
            rules.registry.len(),
            &schedule_report,
            games.iter().map(|g| match g {
                Judged::Again(r) => Tallied::Report(r),
                Judged::Kept(j) => Tallied::Kept(*j),
            }),
            started.elapsed(),
        );
        // A kept report is the season's own; only those judged again may
        // differ, and every game that is new or gone does.
        let mut added = 0;
        let mut changed: Vec<Changed> = Vec::new();
        for &i in &todo {
            let now = report_at(i);
            let was = season.schedule.position(&now.game);
            added += usize::from(was.is_none());
            if was.is_none_or(|j| !before_games[j].same_ruling(now)) {
                changed.push(Changed {
                    game: now.game.clone(),
                    report: Some(now.clone()),
                    removed: false,
                });
            }
        }
        if season.schedule.len() + added > n {
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
        }
        let before = season.totals();
        let after = Totals::from(&summary);
        Ok(WhatIf {
            schedule_changed: !season.report.schedule.same_ruling(&schedule_report),
            delta: TotalsDelta::between(&before, &after),
            before,
            after,
            changed,
            summary,
            schedule_report,
            season: season.report.clone(),
            schedule: edited,
            games,
        })
    }

    /// The season's parts whose reads answer for `edited` as they did for
    /// the season (those `delta` does not touch, and those asked again
    /// that answer the same over the fields the part looked at): their
    /// verdicts hold for the edited schedule.
    fn known_parts(&self, season: &Season, edited: &Schedule, delta: &Delta) -> KnownParts {
        let parts = season
            .parts
            .get_or_init(|| self.season_parts(season))
            .clone();
        let holding = parts
            .iter()
            .enumerate()
            .filter(|(_, p)| {
                (p.reads.iter()).all(|a| !delta.touches(&a.read) || a.holds(edited, None))
            })
            .map(|(n, p)| ((p.constraint, p.part), n))
            .collect();
        KnownParts { parts, holding }
    }

    /// The verdicts and reads of the season's parts, as the cache holds them
    /// (a part it no longer holds is asked as usual).
    fn season_parts(&self, season: &Season) -> Arc<[SeasonPart]> {
        let rules = &self.rules;
        let mut found = Vec::new();
        for &i in &rules.plan.schedule {
            let Some(p) = rules.registry.constraints()[i].manifest.partition else {
                continue;
            };
            for k in 0..runtime::part_count(&rules.league, p) {
                let target = Target::Part(p, k);
                if let Some((cache, key)) = rules.cache_key(i, &season.schedule, target)
                    && let Some((verdict, reads)) = cache.lookup(&key, &season.schedule, None)
                {
                    found.push(SeasonPart {
                        constraint: i,
                        part: k,
                        verdict,
                        reads,
                    });
                }
            }
        }
        found.into()
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
