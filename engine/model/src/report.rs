//! Reports: every verdict, per game and for the schedule, with totals.

use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::schedule::Game;
use super::verdict::{Hardness, Status, Verdict};

/// Penalty totals per hardness: the sum of weight × penalty of the violations.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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

/// One constraint's violations over a report: what the text and HTML
/// reports list under "by constraint".
#[derive(Debug, Clone, PartialEq)]
pub struct ConstraintTotal {
    /// The constraint.
    pub constraint: Arc<str>,
    /// Its level.
    pub hardness: Hardness,
    /// Its violations.
    pub violations: usize,
    /// The games they are on (0 for a schedule-scoped constraint).
    pub games: usize,
    /// Their weighted penalties, added up.
    pub penalty: f64,
}

impl Report {
    /// Each constraint that found a violation, with its totals: hard
    /// first, then soft, then preference; within a level, the largest
    /// penalty first.
    pub fn by_constraint(&self) -> Vec<ConstraintTotal> {
        let mut totals: Vec<ConstraintTotal> = Vec::new();
        let verdicts = (self.schedule.verdicts.iter().map(|v| (v, false))).chain(
            self.games
                .iter()
                .flat_map(|g| g.verdicts.iter().map(|v| (v, true))),
        );
        for (v, of_a_game) in verdicts {
            if v.violations.is_empty() {
                continue;
            }
            let i = match totals.iter().position(|t| t.constraint == v.constraint) {
                Some(i) => i,
                None => {
                    totals.push(ConstraintTotal {
                        constraint: v.constraint.clone(),
                        hardness: v.hardness,
                        violations: 0,
                        games: 0,
                        penalty: 0.0,
                    });
                    totals.len() - 1
                }
            };
            let t = &mut totals[i];
            t.violations += v.violations.len();
            t.games += usize::from(of_a_game);
            t.penalty += v.weighted_penalty();
        }
        totals.sort_by(|a, b| {
            (a.hardness as u8, -a.penalty)
                .partial_cmp(&(b.hardness as u8, -b.penalty))
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        totals
    }

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
        let mut sum = Sum::new(schedule);
        games.into_iter().for_each(|g| sum.game(g));
        sum.summary(constraints, schedule, elapsed)
    }
    /// The score in levels, as a Timefold user reads it: each level's
    /// penalty total, negated, `-470hard/-160soft/-30pref`. Compared level
    /// by level, hard first, it orders schedules as a solver should.
    pub fn levels(&self) -> String {
        self.penalties.levels()
    }
}

/// A summary in the making: one pass over every verdict, in the order a
/// report lists them (the schedule's, then each game's), so the sums come
/// out the same to the last bit however the reports were gathered.
struct Sum {
    counts: Counts,
    games: usize,
    invalid: usize,
    penalties: Penalties,
    num: f64,
    den: f64,
}

/// What a summary counts of verdicts: integers, the same in any order.
#[derive(Debug, Clone, Copy, Default)]
struct Counts {
    evaluations: usize,
    hard: usize,
    soft: usize,
    preference: usize,
    errors: usize,
    timeouts: usize,
    skipped: usize,
    fallbacks: usize,
}

impl Counts {
    /// Counts `v`; returns what it adds to the score's numerator and
    /// denominator, if it judged.
    fn count(&mut self, v: &Verdict) -> Option<(f64, f64)> {
        self.evaluations += 1;
        match v.hardness {
            Hardness::Hard => self.hard += v.violations.len(),
            Hardness::Soft => self.soft += v.violations.len(),
            Hardness::Preference => self.preference += v.violations.len(),
        }
        match v.status {
            Status::Error => self.errors += 1,
            Status::Timeout => self.timeouts += 1,
            Status::Skipped => self.skipped += 1,
            Status::Fallback => self.fallbacks += 1,
            Status::Passed | Status::Violated => {}
        }
        (!matches!(v.status, Status::Skipped | Status::Fallback))
            .then(|| (f64::from(v.weight) * v.score, f64::from(v.weight)))
    }

    fn absorb(&mut self, other: &Self) {
        self.evaluations += other.evaluations;
        self.hard += other.hard;
        self.soft += other.soft;
        self.preference += other.preference;
        self.errors += other.errors;
        self.timeouts += other.timeouts;
        self.skipped += other.skipped;
        self.fallbacks += other.fallbacks;
    }
}

impl Sum {
    fn new(schedule: &ScheduleReport) -> Self {
        let mut sum = Sum {
            counts: Counts::default(),
            games: 0,
            invalid: 0,
            penalties: schedule.penalties,
            num: 0.0,
            den: 0.0,
        };
        for v in &schedule.verdicts {
            if let Some(term) = sum.counts.count(v) {
                sum.term(term);
            }
        }
        sum
    }

    fn term(&mut self, (num, den): (f64, f64)) {
        self.num += num;
        self.den += den;
    }

    fn game(&mut self, g: &GameReport) {
        self.games += 1;
        self.invalid += usize::from(!g.valid);
        self.penalties.absorb(&g.penalties);
        for v in &g.verdicts {
            if let Some(term) = self.counts.count(v) {
                self.term(term);
            }
        }
    }

    /// [`Sum::game`] for a game the ledger has: the same operations on the
    /// same numbers, in the same order.
    fn tallied(&mut self, t: &Tally, terms: &[(f64, f64)]) {
        self.games += 1;
        self.invalid += usize::from(!t.valid);
        self.penalties.absorb(&t.penalties);
        self.counts.absorb(&t.counts);
        terms.iter().for_each(|&term| self.term(term));
    }

    fn summary(
        self,
        constraints: usize,
        schedule: &ScheduleReport,
        elapsed: std::time::Duration,
    ) -> Summary {
        let c = self.counts;
        Summary {
            valid: schedule.valid && self.invalid == 0,
            games: self.games,
            constraints,
            evaluations: c.evaluations,
            invalid_games: self.invalid,
            hard_violations: c.hard,
            soft_violations: c.soft,
            preference_violations: c.preference,
            errors: c.errors,
            timeouts: c.timeouts,
            skipped: c.skipped,
            fallbacks: c.fallbacks,
            score: if self.den == 0.0 {
                1.0
            } else {
                self.num / self.den
            },
            penalties: self.penalties,
            levels: self.penalties.levels(),
            elapsed_ms: elapsed.as_secs_f64() * 1e3,
        }
    }
}

/// Game reports as a summary adds them up: per game what it counts, its
/// penalties, and what each of its verdicts adds to the score, the whole
/// season side by side in memory. The summary of a schedule most of whose
/// games keep a season's reports ([`Ledger::summary`]) reads these instead
/// of every verdict again, and comes out as [`Summary::of`] would, to the
/// last bit.
#[derive(Debug, Clone, Default)]
pub struct Ledger {
    games: Vec<Tally>,
    /// Each judged verdict's part of the score: `weight × score`, `weight`.
    terms: Vec<(f64, f64)>,
}

/// One game of a [`Ledger`].
#[derive(Debug, Clone)]
struct Tally {
    valid: bool,
    penalties: Penalties,
    counts: Counts,
    /// Its verdicts' terms in the ledger's list.
    terms: std::ops::Range<usize>,
}

/// A game of a schedule summed up against a [`Ledger`]: a report of its own,
/// or the ledger's game at a position.
#[derive(Debug, Clone, Copy)]
pub enum Tallied<'a> {
    /// A report the ledger does not have.
    Report(&'a GameReport),
    /// The report of the ledger's game at this position.
    Kept(usize),
}

impl Ledger {
    /// The ledger of these reports, in order.
    pub fn of(games: &[GameReport]) -> Self {
        let mut ledger = Ledger {
            games: Vec::with_capacity(games.len()),
            terms: Vec::with_capacity(games.iter().map(|g| g.verdicts.len()).sum()),
        };
        for g in games {
            let mut counts = Counts::default();
            let from = ledger.terms.len();
            for v in &g.verdicts {
                if let Some(term) = counts.count(v) {
                    ledger.terms.push(term);
                }
            }
            ledger.games.push(Tally {
                valid: g.valid,
                penalties: g.penalties,
                counts,
                terms: from..ledger.terms.len(),
            });
        }
        ledger
    }

    /// [`Summary::of`] the schedule section and these games, each a report
    /// or one of the ledger's. A position the ledger does not have counts
    /// as no game.
    pub fn summary<'a, G>(
        &self,
        constraints: usize,
        schedule: &ScheduleReport,
        games: G,
        elapsed: std::time::Duration,
    ) -> Summary
    where
        G: IntoIterator<Item = Tallied<'a>>,
    {
        let mut sum = Sum::new(schedule);
        for g in games {
            match g {
                Tallied::Report(r) => sum.game(r),
                Tallied::Kept(j) => {
                    if let Some(t) = self.games.get(j) {
                        sum.tallied(t, &self.terms[t.terms.clone()]);
                    }
                }
            }
        }
        sum.summary(constraints, schedule, elapsed)
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

    /// A ledger's summary is the summary of the same reports, to the last
    /// bit, whichever games come from the ledger and whichever are new.
    #[test]
    fn a_ledger_sums_up_as_the_reports_do() {
        let statuses = [
            Status::Passed,
            Status::Violated,
            Status::Skipped,
            Status::Error,
            Status::Fallback,
            Status::Timeout,
        ];
        let hardness = [Hardness::Hard, Hardness::Soft, Hardness::Preference];
        let report = |seed: usize| GameReport {
            game: format!("g{seed}").into(),
            round: None,
            home: "A".into(),
            away: "B".into(),
            venue: "v".into(),
            start: "2026-03-01T19:00".into(),
            valid: !seed.is_multiple_of(5),
            score: 0.5,
            penalties: Penalties {
                hard: seed as f64 * 0.1,
                soft: 1.0 / (seed as f64 + 3.0),
                preference: 0.3,
            },
            verdicts: (0..4)
                .map(|k| Verdict {
                    weight: (seed * 7 + k * 13) as u8 % 101,
                    score: 1.0 / ((seed + k) as f64 + 1.0),
                    ..verdict(
                        hardness[(seed + k) % 3],
                        statuses[(seed * 3 + k) % 6],
                        (seed + k) % 3,
                    )
                })
                .collect(),
        };
        let season: Vec<GameReport> = (0..40).map(report).collect();
        let ledger = Ledger::of(&season);
        let schedule = ScheduleReport::new(vec![verdict(Hardness::Soft, Status::Violated, 2)]);
        // Every third game judged again, one dropped, one added at the end.
        let new: Vec<GameReport> = (100..140).map(report).collect();
        let games: Vec<(usize, Option<&GameReport>)> = (0..40usize)
            .filter(|&i| i != 17)
            .map(|i| (i, i.is_multiple_of(3).then(|| &new[i])))
            .chain([(40, Some(&new[39]))])
            .collect();
        let full = Summary::of(
            9,
            &schedule,
            games.iter().map(|&(i, r)| r.unwrap_or_else(|| &season[i])),
            std::time::Duration::ZERO,
        );
        let summed = ledger.summary(
            9,
            &schedule,
            games.iter().map(|&(i, r)| match r {
                Some(r) => Tallied::Report(r),
                None => Tallied::Kept(i),
            }),
            std::time::Duration::ZERO,
        );
        assert_eq!(summed, full);
        assert_eq!(summed.score.to_bits(), full.score.to_bits());
        assert_eq!(full.games, 40);
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
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
