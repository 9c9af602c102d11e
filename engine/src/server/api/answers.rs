//! The engine's figures as the answers carry them: what-if totals and
//! changes, a breaker's state, the pool's counts. Each is the engine's
//! type field for field, converted by destructuring it whole, so that a
//! field added to the engine's type does not compile until it is here,
//! in the answers and in the OpenAPI document.

use std::sync::Arc;

use serde::Serialize;
use utoipa::ToSchema;

use crate::model::{GameReport, Penalties, ScheduleReport};

/// The totals a solver compares schedules by.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Totals {
    /// No hard violation anywhere.
    valid: bool,
    /// Violations of hard constraints.
    hard_violations: usize,
    /// Violations of soft constraints.
    soft_violations: usize,
    /// Violations of preferences.
    preference_violations: usize,
    /// Penalty totals per level (weight × penalty, summed).
    penalties: Penalties,
    /// Weighted mean score of every verdict that judged, 0..=1.
    score: f64,
    /// The penalties as levels, `-470hard/-160soft/-30pref`; compare them
    /// hard first.
    levels: String,
}

impl From<crate::exec::Totals> for Totals {
    fn from(totals: crate::exec::Totals) -> Self {
        let crate::exec::Totals {
            valid,
            hard_violations,
            soft_violations,
            preference_violations,
            penalties,
            score,
            levels,
        } = totals;
        Self {
            valid,
            hard_violations,
            soft_violations,
            preference_violations,
            penalties,
            score,
            levels,
        }
    }
}

/// How totals moved: after minus before, field by field.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct TotalsDelta {
    /// Change in hard violations.
    hard_violations: i64,
    /// Change in soft violations.
    soft_violations: i64,
    /// Change in preference violations.
    preference_violations: i64,
    /// Change in each level's penalty total.
    penalties: Penalties,
    /// Change in the score.
    score: f64,
}

impl From<crate::exec::TotalsDelta> for TotalsDelta {
    fn from(delta: crate::exec::TotalsDelta) -> Self {
        let crate::exec::TotalsDelta {
            hard_violations,
            soft_violations,
            preference_violations,
            penalties,
            score,
        } = delta;
        Self {
            hard_violations,
            soft_violations,
            preference_violations,
            penalties,
            score,
        }
    }
}

/// A game whose report an edit changes.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Changed {
    /// The game's id.
    game: Arc<str>,
    /// Its report after the edit; none when the edit removes it.
    #[serde(skip_serializing_if = "Option::is_none")]
    report: Option<GameReport>,
    /// Whether the edit removes it (only there when it does).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    removed: bool,
}

impl From<crate::exec::Changed> for Changed {
    fn from(changed: crate::exec::Changed) -> Self {
        let crate::exec::Changed {
            game,
            report,
            removed,
        } = changed;
        Self {
            game,
            report,
            removed,
        }
    }
}

/// What an edit changes beyond the games asked about: the `what_if` member
/// of an answer about a game sent whole.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct WhatIf {
    /// Every other game whose report differs, with its new report.
    changed: Vec<Changed>,
    /// The season's totals before the edit.
    before: Totals,
    /// The totals after it.
    after: Totals,
    /// `after - before`.
    delta: TotalsDelta,
    /// Whether the schedule-scoped verdicts differ.
    schedule_changed: bool,
    /// The schedule-scoped report after the edit, when it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule: Option<ScheduleReport>,
}

impl WhatIf {
    /// What `what` changed, leaving out the games a request asked about
    /// (they have their reports in the answer already).
    pub(crate) fn of(what: &crate::WhatIf, asked: &[&str]) -> Self {
        let crate::WhatIf {
            before,
            after,
            delta,
            changed,
            schedule_changed,
            schedule_report,
            ..
        } = what;
        Self {
            changed: changed
                .iter()
                .filter(|c| !asked.contains(&&*c.game))
                .cloned()
                .map(Changed::from)
                .collect(),
            before: before.clone().into(),
            after: after.clone().into(),
            delta: delta.clone().into(),
            schedule_changed: *schedule_changed,
            schedule: schedule_changed.then(|| schedule_report.clone()),
        }
    }
}

/// One candidate move's answer: the season's totals after it, how they
/// moved, and the games whose reports change.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct MoveAnswer {
    /// The season's totals with the move made.
    after: Totals,
    /// `after` minus the season's current totals.
    delta: TotalsDelta,
    /// Every game whose report the move changes.
    changed: Vec<Changed>,
    /// Whether the schedule-scoped verdicts differ.
    schedule_changed: bool,
    /// The schedule-scoped report after the move, when it differs.
    #[serde(skip_serializing_if = "Option::is_none")]
    schedule: Option<ScheduleReport>,
}

impl From<crate::WhatIf> for MoveAnswer {
    fn from(what: crate::WhatIf) -> Self {
        let crate::WhatIf {
            after,
            delta,
            changed,
            schedule_changed,
            schedule_report,
            ..
        } = what;
        Self {
            schedule: schedule_changed.then_some(schedule_report),
            after: after.into(),
            delta: delta.into(),
            changed: changed.into_iter().map(Changed::from).collect(),
            schedule_changed,
        }
    }
}

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, Serialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum Breaker {
    /// Calls go through.
    Closed,
    /// The fallback answers.
    Open,
    /// A few probe calls go through.
    HalfOpen,
}

impl From<crate::breaker::BreakerState> for Breaker {
    fn from(state: crate::breaker::BreakerState) -> Self {
        use crate::breaker::BreakerState;
        match state {
            BreakerState::Closed => Self::Closed,
            BreakerState::Open => Self::Open,
            BreakerState::HalfOpen => Self::HalfOpen,
        }
    }
}

/// What a league's worker pool has done so far.
#[derive(Debug, Serialize, ToSchema)]
pub(crate) struct Pool {
    /// Worker threads.
    workers: usize,
    /// Tasks the queue holds at most.
    capacity: usize,
    /// Tasks waiting for a worker now.
    queued: usize,
    /// Tasks running now.
    running: usize,
    /// Tasks run.
    completed: u64,
    /// Of those, tasks a caller ran on its own thread (`[executor]
    /// inline_games`).
    inline: u64,
    /// Submissions refused as overloaded.
    overloaded: u64,
    /// Runtimes rebuilt (after the call budget, or a call that tainted
    /// them).
    recycled: u64,
    /// Tasks that panicked (each contained to its task).
    panics: u64,
}

impl From<crate::exec::PoolStats> for Pool {
    fn from(stats: crate::exec::PoolStats) -> Self {
        let crate::exec::PoolStats {
            workers,
            capacity,
            queued,
            running,
            completed,
            inline,
            overloaded,
            recycled,
            panics,
        } = stats;
        Self {
            workers,
            capacity,
            queued,
            running,
            completed,
            inline,
            overloaded,
            recycled,
            panics,
        }
    }
}
