//! Reports: every verdict, per game and for the schedule, with totals.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::schedule::Game;
use super::verdict::{Hardness, Status, Verdict};

/// Penalty totals per hardness: the sum of weight × penalty of the violations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Penalties {
    /// From hard constraints.
    pub hard: f64,
    /// From soft constraints.
    pub soft: f64,
    /// From preferences.
    pub preference: f64,
}

impl Penalties {
    fn add(&mut self, v: &Verdict) {
        let p = v.weighted_penalty();
        match v.hardness {
            Hardness::Hard => self.hard += p,
            Hardness::Soft => self.soft += p,
            Hardness::Preference => self.preference += p,
        }
    }

    fn absorb(&mut self, other: &Self) {
        self.hard += other.hard;
        self.soft += other.soft;
        self.preference += other.preference;
    }
}

/// Everything the constraints said about one game.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GameReport {
    /// The game's id.
    pub game: Arc<str>,
    /// Its round.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u32>,
    /// Home team.
    pub home: Arc<str>,
    /// Away team.
    pub away: Arc<str>,
    /// Venue.
    pub venue: Arc<str>,
    /// Kickoff, zoned.
    pub start: String,
    /// No hard violation.
    pub valid: bool,
    /// Weighted mean of the verdicts' scores (skipped ones aside), 0..=1.
    pub score: f64,
    /// Penalty totals.
    pub penalties: Penalties,
    /// One verdict per game-scoped constraint, in evaluation order.
    pub verdicts: Vec<Verdict>,
}

impl GameReport {
    /// Builds a game's report from its verdicts.
    pub fn new(game: &Game, verdicts: Vec<Verdict>) -> Self {
        let mut penalties = Penalties::default();
        verdicts.iter().for_each(|v| penalties.add(v));
        Self {
            game: game.id.clone(),
            round: game.round,
            home: game.home.clone(),
            away: game.away.clone(),
            venue: game.venue.clone(),
            start: game.start.to_string(),
            valid: !verdicts.iter().any(Verdict::is_hard_violation),
            score: weighted_score(&verdicts),
            penalties,
            verdicts,
        }
    }
}

/// What the schedule-scoped constraints said.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ScheduleReport {
    /// No hard violation from a schedule-scoped constraint.
    pub valid: bool,
    /// Penalty totals.
    pub penalties: Penalties,
    /// One verdict per schedule-scoped constraint.
    pub verdicts: Vec<Verdict>,
}

impl ScheduleReport {
    /// Builds the schedule section from its verdicts.
    pub fn new(verdicts: Vec<Verdict>) -> Self {
        let mut penalties = Penalties::default();
        verdicts.iter().for_each(|v| penalties.add(v));
        Self {
            valid: !verdicts.iter().any(Verdict::is_hard_violation),
            penalties,
            verdicts,
        }
    }
}

/// The whole-season totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Summary {
    /// No hard violation anywhere.
    pub valid: bool,
    /// Games evaluated.
    pub games: usize,
    /// Constraints loaded.
    pub constraints: usize,
    /// Constraint calls made or skipped (one per game per game-scoped
    /// constraint, one per schedule-scoped constraint).
    pub evaluations: usize,
    /// Games with a hard violation.
    pub invalid_games: usize,
    /// Violations of hard constraints.
    pub hard_violations: usize,
    /// Violations of soft constraints.
    pub soft_violations: usize,
    /// Violations of preferences.
    pub preference_violations: usize,
    /// Verdicts with status `error`.
    pub errors: usize,
    /// Verdicts with status `timeout`.
    pub timeouts: usize,
    /// Verdicts with status `skipped`.
    pub skipped: usize,
    /// Verdicts answered by an open circuit breaker's fallback.
    pub fallbacks: usize,
    /// Weighted mean score over every verdict that judged (not skipped, not
    /// a fallback), 0..=1.
    pub score: f64,
    /// Penalty totals.
    pub penalties: Penalties,
    /// The penalties as score levels, `-470hard/-160soft/-30pref` (see
    /// [`Penalties::levels`]).
    #[serde(default)]
    pub levels: String,
    /// Wall-clock time of the evaluation.
    pub elapsed_ms: f64,
}

/// The ruling on a schedule: every verdict and the totals.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Report {
    /// The totals.
    pub summary: Summary,
    /// What the schedule-scoped constraints said.
    pub schedule: ScheduleReport,
    /// Per game, in schedule order.
    pub games: Vec<GameReport>,
    /// The verdict cache's counters after the evaluation, when one is used.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache: Option<CacheStats>,
}

impl Report {
    /// Assembles a report and computes its summary.
    pub fn new(
        constraints: usize,
        schedule: ScheduleReport,
        games: Vec<GameReport>,
        elapsed: std::time::Duration,
    ) -> Self {
        let summary = Summary::of(constraints, &schedule, &games, elapsed);
        Self {
            summary,
            schedule,
            games,
            cache: None,
        }
    }
}

impl Summary {
    /// The totals of a schedule section and its games' reports, in order.
    /// The same reports in the same order give the same totals, to the
    /// last bit of every float.
    pub fn of<'a, G>(
        constraints: usize,
        schedule: &ScheduleReport,
        games: G,
        elapsed: std::time::Duration,
    ) -> Self
    where
        G: IntoIterator<Item = &'a GameReport>,
    {
        // One pass over every verdict, in the order a report lists them, so
        // the sums come out the same to the last bit however the reports
        // were gathered.
        let mut s = Summary {
            valid: schedule.valid,
            games: 0,
            constraints,
            evaluations: 0,
            invalid_games: 0,
            hard_violations: 0,
            soft_violations: 0,
            preference_violations: 0,
            errors: 0,
            timeouts: 0,
            skipped: 0,
            fallbacks: 0,
            score: 1.0,
            penalties: schedule.penalties,
            levels: String::new(),
            elapsed_ms: elapsed.as_secs_f64() * 1e3,
        };
        let (mut num, mut den) = (0.0, 0.0);
        let mut tally = |v: &Verdict| {
            s.evaluations += 1;
            match v.hardness {
                Hardness::Hard => s.hard_violations += v.violations.len(),
                Hardness::Soft => s.soft_violations += v.violations.len(),
                Hardness::Preference => s.preference_violations += v.violations.len(),
            }
            match v.status {
                Status::Error => s.errors += 1,
                Status::Timeout => s.timeouts += 1,
                Status::Skipped => s.skipped += 1,
                Status::Fallback => s.fallbacks += 1,
                Status::Passed | Status::Violated => {}
            }
            if !matches!(v.status, Status::Skipped | Status::Fallback) {
                num += f64::from(v.weight) * v.score;
                den += f64::from(v.weight);
            }
        };
        schedule.verdicts.iter().for_each(&mut tally);
        let mut penalties = schedule.penalties;
        let (mut games_n, mut invalid) = (0, 0);
        for g in games {
            games_n += 1;
            invalid += usize::from(!g.valid);
            penalties.absorb(&g.penalties);
            g.verdicts.iter().for_each(&mut tally);
        }
        s.games = games_n;
        s.invalid_games = invalid;
        s.valid = schedule.valid && invalid == 0;
        s.penalties = penalties;
        s.levels = penalties.levels();
        s.score = if den == 0.0 { 1.0 } else { num / den };
        s
    }

    /// The score in levels, as a Timefold user reads it: each level's
    /// penalty total, negated, `-470hard/-160soft/-30pref`. Compared level
    /// by level, hard first, it orders schedules as a solver should.
    pub fn levels(&self) -> String {
        self.penalties.levels()
    }
}

impl Penalties {
    /// `-Hhard/-Ssoft/-Ppref`: each level's total, negated (see
    /// [`Summary::levels`]).
    pub fn levels(&self) -> String {
        let level = |p: f64| {
            if p == 0.0 {
                "0".to_owned()
            } else {
                format!("{}", -p)
            }
        };
        format!(
            "{}hard/{}soft/{}pref",
            level(self.hard),
            level(self.soft),
            level(self.preference)
        )
    }
}

impl GameReport {
    /// Whether two reports say the same about their game: everything but
    /// the time the calls took.
    pub fn same_ruling(&self, other: &Self) -> bool {
        self.game == other.game
            && self.round == other.round
            && self.home == other.home
            && self.away == other.away
            && self.venue == other.venue
            && self.start == other.start
            && self.valid == other.valid
            && self.score.to_bits() == other.score.to_bits()
            && self.penalties == other.penalties
            && same_verdicts(&self.verdicts, &other.verdicts)
    }
}

impl ScheduleReport {
    /// Whether two schedule sections say the same: everything but the time
    /// the calls took.
    pub fn same_ruling(&self, other: &Self) -> bool {
        self.valid == other.valid
            && self.penalties == other.penalties
            && same_verdicts(&self.verdicts, &other.verdicts)
    }
}

fn same_verdicts(a: &[Verdict], b: &[Verdict]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.same_ruling(y))
}

fn weighted_score<'a>(verdicts: impl IntoIterator<Item = &'a Verdict>) -> f64 {
    let (mut num, mut den) = (0.0, 0.0);
    for v in verdicts {
        // Neither a skip nor a breaker's fallback is a judgement of the
        // schedule (a `fail` fallback still counts as a violation).
        if matches!(v.status, Status::Skipped | Status::Fallback) {
            continue;
        }
        num += f64::from(v.weight) * v.score;
        den += f64::from(v.weight);
    }
    if den == 0.0 { 1.0 } else { num / den }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::verdict::{Severity, Violation};

    fn verdict(hardness: Hardness, status: Status, violations: usize) -> Verdict {
        Verdict {
            constraint: "c".into(),
            hardness,
            weight: 50,
            status,
            score: if violations == 0 { 1.0 } else { 0.0 },
            violations: (0..violations)
                .map(|_| Violation::new(Severity::Major, "x"))
                .collect(),
            message: None,
            elapsed_us: 0,
        }
    }

    #[test]
    fn a_hard_violation_makes_the_schedule_invalid_and_soft_ones_do_not() {
        let soft = ScheduleReport::new(vec![verdict(Hardness::Soft, Status::Violated, 3)]);
        assert!(soft.valid);
        let hard = ScheduleReport::new(vec![verdict(Hardness::Hard, Status::Violated, 1)]);
        assert!(!hard.valid);
        assert_eq!(hard.penalties.hard, 50.0);
        let report = Report::new(1, hard, vec![], std::time::Duration::ZERO);
        assert!(!report.summary.valid);
        assert_eq!(report.summary.hard_violations, 1);
    }

    #[test]
    fn skipped_verdicts_do_not_count_in_the_score() {
        let vs = [
            verdict(Hardness::Soft, Status::Passed, 0),
            verdict(Hardness::Soft, Status::Skipped, 0),
        ];
        assert_eq!(weighted_score(&vs), 1.0);
        assert_eq!(weighted_score(&[]), 1.0);
    }
}

/// Counters of one cache layer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct LayerStats {
    /// Lookups that served a verdict.
    pub hits: u64,
    /// Lookups that found nothing, or an entry whose reads had changed.
    pub misses: u64,
    /// Of the misses, entries found but no longer valid for this schedule.
    pub stale: u64,
    /// hits / (hits + misses), 0 when there was no lookup.
    pub hit_rate: f64,
    /// Verdicts stored.
    pub inserts: u64,
    /// Entries dropped for room or age.
    pub evictions: u64,
    /// Entries held now.
    pub entries: u64,
    /// Approximate bytes held now.
    pub bytes: u64,
}

/// Counters of every layer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CacheStats {
    /// In process.
    pub l1: LayerStats,
    /// Shared, on Redis, when configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub l2: Option<L2Stats>,
    /// Game reports taken from the evaluator's previous evaluation without
    /// a lookup: the games a schedule change did not touch (their verdicts
    /// also count as L1 hits).
    #[serde(default)]
    pub reused_games: u64,
}

/// Counters of the shared layer.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct L2Stats {
    /// Lookups and writes, as for L1 (`entries`, `bytes` and `evictions`
    /// are Redis's business and read 0).
    #[serde(flatten)]
    pub layer: LayerStats,
    /// Writes Redis has taken.
    pub written: u64,
    /// Commands that failed or timed out.
    pub errors: u64,
    /// Writes dropped because the writer's queue was full.
    pub dropped_writes: u64,
    /// Lookups and writes not tried because the breaker was open.
    pub skipped: u64,
    /// The breaker around Redis: closed, open or half-open.
    pub breaker: String,
}
