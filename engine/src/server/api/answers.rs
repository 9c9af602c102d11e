//! A what-if as the answers carry it: about a game sent whole (the other
//! games it changes), and about a candidate move. The totals, deltas and
//! changed games in them are the engine's own types, documented where they
//! are defined.

use serde::Serialize;
use utoipa::ToSchema;

use crate::exec::{Changed, Totals, TotalsDelta};
use crate::model::ScheduleReport;

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
                .collect(),
            before: before.clone(),
            after: after.clone(),
            delta: delta.clone(),
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
            after,
            delta,
            changed,
            schedule_changed,
        }
    }
}
