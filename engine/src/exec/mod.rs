//! Plans and runs an evaluation: schedule-scoped constraints once, then every
//! game through the game-scoped constraints, each in dependency order.
//!
//! A constraint whose hard dependency did not pass is `skipped` for that
//! game (or for every game, when the dependency is schedule-scoped). The
//! order and the skip rule are computed once per evaluation from the
//! registry's [`DependencyGraph`](crate::constraint::DependencyGraph).

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::breaker::{Admit, Breaker, BreakerConfig};
use crate::constraint::{Fallback, Registry, Scope};
use crate::model::{Game, GameReport, League, Report, Schedule, ScheduleReport, Status, Verdict};
use crate::model::{Severity, Violation};
use crate::runtime::{RhaiLimits, Runtime};

/// Rules on schedules of one league with one set of constraints.
pub struct Evaluator {
    rules: Rules,
    /// The runtime of the calling thread (and of the only worker, with one).
    runtime: Runtime,
    limits: RhaiLimits,
    workers: usize,
}

/// What every worker shares: the league, the constraints, the order to run
/// them in, their breakers, and the deadlines.
struct Rules {
    league: Arc<League>,
    registry: Arc<Registry>,
    plan: Plan,
    breakers: Arc<[Breaker]>,
    deadlines: Deadlines,
}

/// Budgets beyond each constraint's own `timeout_ms`, and fail-fast.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Deadlines {
    /// Wall-clock budget for a whole evaluation: what has not run when it
    /// passes is not run (a `timeout` verdict saying so).
    pub request: Option<Duration>,
    /// Wall-clock budget for one game's constraints.
    pub game: Option<Duration>,
    /// Stop a game's evaluation at its first hard violation: the rest of
    /// its constraints are `skipped`.
    pub fail_fast: bool,
}

/// The instants one evaluation must keep to.
#[derive(Clone, Copy)]
struct Budget {
    request: Option<Instant>,
    game: Option<Duration>,
    fail_fast: bool,
}

/// Games per chunk a worker takes at a time, at most; fewer when that would
/// leave a worker idle.
const MAX_CHUNK: usize = 64;

/// The evaluation order, split by scope, as positions in the registry.
struct Plan {
    schedule: Vec<usize>,
    game: Vec<usize>,
}

impl Evaluator {
    /// An evaluator with the default script limits.
    pub fn new(league: Arc<League>, registry: Arc<Registry>) -> Self {
        Self::with_limits(league, registry, &RhaiLimits::default())
    }

    /// An evaluator whose scripts run under `limits`.
    pub fn with_limits(league: Arc<League>, registry: Arc<Registry>, limits: &RhaiLimits) -> Self {
        let order = registry.graph().order();
        let of_scope = |s: Scope| {
            order
                .iter()
                .copied()
                .filter(|&i| registry.constraints()[i].manifest.scope == s)
                .collect()
        };
        let plan = Plan {
            schedule: of_scope(Scope::Schedule),
            game: of_scope(Scope::Game),
        };
        let breakers = breakers(&registry, BreakerConfig::default());
        Self {
            runtime: Runtime::new(league.clone(), limits),
            rules: Rules {
                league,
                registry,
                plan,
                breakers,
                deadlines: Deadlines::default(),
            },
            limits: limits.clone(),
            workers: 1,
        }
    }

    /// This evaluator with circuit breakers configured so (one per
    /// constraint, starting closed).
    pub fn with_breakers(mut self, config: BreakerConfig) -> Self {
        self.rules.breakers = breakers(&self.rules.registry, config);
        self
    }

    /// This evaluator with `n` worker threads for a schedule's games (at
    /// least 1). Each worker has its own runtime; the report is the same
    /// whatever `n` (timings aside), unless a breaker opens mid-run, which
    /// depends on timing anyway.
    pub fn with_workers(mut self, n: usize) -> Self {
        self.workers = n.max(1);
        self
    }

    /// This evaluator with request and game deadlines, and fail-fast.
    pub fn with_deadlines(mut self, deadlines: Deadlines) -> Self {
        self.rules.deadlines = deadlines;
        self
    }

    /// How many workers rule on a schedule's games.
    pub fn workers(&self) -> usize {
        self.workers
    }

    /// The breakers, in registry order.
    pub fn breakers(&self) -> &[Breaker] {
        &self.rules.breakers
    }

    /// The league.
    pub fn league(&self) -> &Arc<League> {
        &self.rules.league
    }

    /// The constraints.
    pub fn registry(&self) -> &Arc<Registry> {
        &self.rules.registry
    }

    /// Rules on a whole schedule.
    pub fn evaluate(&self, schedule: &Arc<Schedule>) -> Report {
        self.evaluate_with_progress(schedule, &mut |_| {})
    }

    /// Rules on a whole schedule, calling `progress` with the number of games
    /// done after each game.
    pub fn evaluate_with_progress(
        &self,
        schedule: &Arc<Schedule>,
        progress: &mut dyn FnMut(usize),
    ) -> Report {
        let started = Instant::now();
        let budget = self.rules.budget(started);
        let schedule_verdicts = self.schedule_scope(schedule, budget);
        let blocked = self.rules.blocked_by_schedule(&schedule_verdicts);
        let games = if self.workers == 1 || schedule.len() < 2 {
            schedule
                .games()
                .iter()
                .enumerate()
                .map(|(done, game)| {
                    let report =
                        self.rules
                            .evaluate_game(&self.runtime, schedule, game, &blocked, budget);
                    progress(done + 1);
                    report
                })
                .collect()
        } else {
            self.evaluate_games_in_parallel(schedule, &blocked, progress, budget)
        };
        Report::new(
            self.rules.registry.len(),
            ScheduleReport::new(schedule_verdicts),
            games,
            started.elapsed(),
        )
    }

    /// The games on `self.workers` threads: each takes the next chunk of
    /// games as it finishes one, so a slow chunk does not hold the others.
    fn evaluate_games_in_parallel(
        &self,
        schedule: &Arc<Schedule>,
        blocked: &[Option<Arc<str>>],
        progress: &mut dyn FnMut(usize),
        budget: Budget,
    ) -> Vec<GameReport> {
        let games = schedule.games();
        let chunk = games.len().div_ceil(self.workers * 4).clamp(1, MAX_CHUNK);
        let chunks = games.len().div_ceil(chunk);
        let next = AtomicUsize::new(0);
        let (done_tx, done_rx) = std::sync::mpsc::channel::<(usize, Vec<GameReport>)>();
        let mut parts: Vec<Option<Vec<GameReport>>> = (0..chunks).map(|_| None).collect();
        std::thread::scope(|scope| {
            for _ in 0..self.workers.min(chunks) {
                let done_tx = done_tx.clone();
                let (rules, next, limits) = (&self.rules, &next, &self.limits);
                scope.spawn(move || {
                    let runtime = Runtime::new(rules.league.clone(), limits);
                    loop {
                        let c = next.fetch_add(1, Ordering::Relaxed);
                        if c >= chunks {
                            break;
                        }
                        let range = c * chunk..((c + 1) * chunk).min(games.len());
                        let reports = games[range]
                            .iter()
                            .map(|g| rules.evaluate_game(&runtime, schedule, g, blocked, budget))
                            .collect();
                        if done_tx.send((c, reports)).is_err() {
                            break;
                        }
                    }
                });
            }
            drop(done_tx);
            let mut done = 0;
            for (c, reports) in done_rx {
                done += reports.len();
                parts[c] = Some(reports);
                progress(done);
            }
        });
        // Every chunk was sent unless a worker panicked, and a panic in a
        // scoped thread is re-raised when the scope ends.
        parts.into_iter().flatten().flatten().collect()
    }

    /// Runs the schedule-scoped constraints.
    pub fn evaluate_schedule_scope(&self, schedule: &Arc<Schedule>) -> Vec<Verdict> {
        self.schedule_scope(schedule, self.rules.budget(Instant::now()))
    }

    fn schedule_scope(&self, schedule: &Arc<Schedule>, budget: Budget) -> Vec<Verdict> {
        let mut blocked = vec![None; self.rules.registry.len()];
        self.rules.run_in_order(
            &self.runtime,
            &self.rules.plan.schedule,
            schedule,
            None,
            &mut blocked,
            budget,
        )
    }

    /// Rules on one game of a schedule, given the schedule-scoped verdicts
    /// (so a game-scoped rule that depends on one can be skipped).
    pub fn evaluate_game(
        &self,
        schedule: &Arc<Schedule>,
        game: &Arc<Game>,
        schedule_verdicts: &[Verdict],
    ) -> GameReport {
        let blocked = self.rules.blocked_by_schedule(schedule_verdicts);
        let budget = self.rules.budget(Instant::now());
        self.rules
            .evaluate_game(&self.runtime, schedule, game, &blocked, budget)
    }
}

impl Rules {
    fn evaluate_game(
        &self,
        runtime: &Runtime,
        schedule: &Arc<Schedule>,
        game: &Arc<Game>,
        blocked_by_schedule: &[Option<Arc<str>>],
        budget: Budget,
    ) -> GameReport {
        let mut blocked = blocked_by_schedule.to_vec();
        let verdicts = self.run_in_order(
            runtime,
            &self.plan.game,
            schedule,
            Some(game),
            &mut blocked,
            budget,
        );
        GameReport::new(game, verdicts)
    }

    fn budget(&self, started: Instant) -> Budget {
        Budget {
            request: self.deadlines.request.map(|d| started + d),
            game: self.deadlines.game,
            fail_fast: self.deadlines.fail_fast,
        }
    }

    /// For each registry position, why a dependent must skip (the failed
    /// schedule-scoped constraint's status), if it must.
    fn blocked_by_schedule(&self, verdicts: &[Verdict]) -> Vec<Option<Arc<str>>> {
        let mut blocked = vec![None; self.registry.len()];
        for (&i, v) in self.plan.schedule.iter().zip(verdicts) {
            if v.blocks_dependents() {
                blocked[i] = Some(block_reason(v));
            }
        }
        blocked
    }

    fn run_in_order(
        &self,
        runtime: &Runtime,
        order: &[usize],
        schedule: &Arc<Schedule>,
        game: Option<&Arc<Game>>,
        blocked: &mut [Option<Arc<str>>],
        budget: Budget,
    ) -> Vec<Verdict> {
        let constraints = self.registry.constraints();
        let graph = self.registry.graph();
        let game_deadline = budget.game.map(|d| Instant::now() + d);
        let cap = match (budget.request, game_deadline) {
            (Some(r), Some(g)) => Some(r.min(g)),
            (r, g) => r.or(g),
        };
        let mut failed_hard: Option<Arc<str>> = None;
        order
            .iter()
            .map(|&i| {
                let c = &constraints[i];
                let reason = graph
                    .dependencies(i)
                    .iter()
                    .find_map(|&d| blocked[d].as_ref().map(|r| (d, r.clone())));
                let verdict = if let Some(first) = &failed_hard {
                    fail_fast_skip(c, first)
                } else if let Some(cap) = cap.filter(|&cap| Instant::now() >= cap) {
                    not_run(c, budget.request == Some(cap))
                } else {
                    match reason {
                        Some((d, why)) => skipped(c, &constraints[d].manifest.id, &why),
                        None => self.call(runtime, i, schedule, game, cap),
                    }
                };
                // Fail-fast stops a game, never the schedule-scoped rules.
                if budget.fail_fast
                    && game.is_some()
                    && failed_hard.is_none()
                    && verdict.is_hard_violation()
                {
                    failed_hard = Some(c.manifest.id.clone());
                }
                if verdict.blocks_dependents() {
                    blocked[i] = Some(block_reason(&verdict));
                }
                verdict
            })
            .collect()
    }
}

impl Rules {
    /// One call through the constraint's breaker.
    fn call(
        &self,
        runtime: &Runtime,
        i: usize,
        schedule: &Arc<Schedule>,
        game: Option<&Arc<Game>>,
        cap: Option<Instant>,
    ) -> Verdict {
        let c = &self.registry.constraints()[i];
        let breaker = &self.breakers[i];
        let started = Instant::now();
        let admitted = breaker.admit(started);
        if admitted == Admit::Fallback {
            return fallback(c, &breaker.reason());
        }
        let verdict = runtime.evaluate_by(c, schedule, game, cap);
        // A call cut short by a deadline not its own says nothing about the
        // rule's health.
        let cut = cap.is_some_and(|cap| cap < started + c.manifest.timeout);
        if verdict.status == Status::Timeout && cut {
            breaker.abandon(admitted);
        } else {
            let failed = matches!(verdict.status, Status::Error | Status::Timeout);
            // The call's start stamps the outcome: buckets are a second wide.
            breaker.record(started, admitted, failed);
        }
        verdict
    }
}

fn breakers(registry: &Registry, config: BreakerConfig) -> Arc<[Breaker]> {
    registry
        .constraints()
        .iter()
        .map(|c| Breaker::new(c.manifest.id.clone(), config))
        .collect()
}

/// What the manifest's `fallback` answers while the breaker is open.
fn fallback(c: &crate::constraint::Constraint, reason: &str) -> Verdict {
    let m = &c.manifest;
    let answer = match m.fallback {
        Fallback::Pass => "pass",
        Fallback::Fail => "fail",
        Fallback::Skip => "skip",
    };
    let message = format!("{reason}; not run, its fallback answers `{answer}`");
    let violations = match m.fallback {
        Fallback::Fail => vec![Violation::new(
            Severity::Major,
            format!(
                "`{}` could not run ({reason}) and its fallback is `fail`",
                m.id
            ),
        )],
        Fallback::Pass | Fallback::Skip => Vec::new(),
    };
    Verdict {
        score: if m.fallback == Fallback::Pass {
            1.0
        } else {
            0.0
        },
        violations,
        ..unrun(c, Status::Fallback, message)
    }
}

/// A constraint not run because the request's or the game's deadline passed.
fn not_run(c: &crate::constraint::Constraint, request: bool) -> Verdict {
    let whose = if request { "request's" } else { "game's" };
    unrun(
        c,
        Status::Timeout,
        format!("not run: the {whose} deadline had passed"),
    )
}

/// A constraint not run because fail-fast stopped the game at a hard
/// violation.
fn fail_fast_skip(c: &crate::constraint::Constraint, first: &str) -> Verdict {
    unrun(
        c,
        Status::Skipped,
        format!("skipped: fail-fast stopped this game at the hard violation of `{first}`"),
    )
}

/// The verdict of a constraint that was not called: score 0, no violations.
fn unrun(c: &crate::constraint::Constraint, status: Status, message: String) -> Verdict {
    let m = &c.manifest;
    Verdict {
        constraint: m.id.clone(),
        hardness: m.hardness,
        weight: m.weight,
        status,
        score: 0.0,
        violations: Vec::new(),
        message: Some(message),
        elapsed_us: 0,
    }
}

fn block_reason(v: &Verdict) -> Arc<str> {
    v.status.as_str().into()
}

fn skipped(c: &crate::constraint::Constraint, dep: &str, why: &str) -> Verdict {
    unrun(
        c,
        Status::Skipped,
        format!("skipped: depends on hard constraint `{dep}`, which was {why}"),
    )
}
