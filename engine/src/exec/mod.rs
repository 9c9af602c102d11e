//! Plans and runs an evaluation: schedule-scoped constraints once, then every
//! game through the game-scoped constraints, each in dependency order.
//!
//! A constraint whose hard dependency did not pass is `skipped` for that
//! game (or for every game, when the dependency is schedule-scoped). The
//! order and the skip rule are computed once per evaluation from the
//! registry's [`DependencyGraph`](crate::manifests::DependencyGraph).
//!
//! The work runs on a pool (`pool.rs`) of workers that own their runtimes: the
//! schedule scope as one task, then the games in chunks. Reports come back
//! in schedule order, so they are the same whatever the number of workers.
//!
//! Here: the [`Evaluator`], its settings and its entry points. Every entry
//! point that rules on games (a whole schedule, a list of games, a stream, a
//! what-if) goes through one batch path (`batch.rs`); `rules.rs` rules on
//! one game or the schedule scope; `baseline.rs` keeps the last
//! evaluation's reports for the next one to reuse.

mod baseline;
mod batch;
mod cancel;
mod config;
mod cost;
mod pool;
mod rules;
mod whatif;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

pub use cancel::{Cancel, CancelOnDrop, Interrupted};
pub use config::{ExecutorConfig, Order};
pub use pool::{Overloaded, PoolStats};
pub use whatif::{Changed, Season, Totals, TotalsDelta, WhatIf};

use crate::breaker::{Breaker, BreakerConfig};
use crate::cache::{GameEntry, VerdictCache};
use crate::data::DataSources;
use crate::manifests::Scope;
use crate::model::{
    CacheStats, Game, GameReport, League, Report, Schedule, ScheduleReport, Verdict,
};
use crate::registry::Registry;
use crate::runtime::{RhaiLimits, Runtime};
use baseline::Baseline;
use batch::Flow;
use cost::Costs;
use pool::Pool;
use rules::{Plan, Rules, breakers};

/// Rules on schedules of one league with one set of constraints, on a pool
/// of workers started at the first evaluation.
pub struct Evaluator {
    rules: Arc<Rules>,
    limits: RhaiLimits,
    data: Arc<DataSources>,
    executor: ExecutorConfig,
    pool: OnceLock<Pool>,
    /// With a cache: the last evaluation, to re-run only what the next
    /// one's changes touch.
    baseline: Mutex<Option<Arc<Baseline>>>,
    reused: AtomicU64,
    /// Unique in the process: a [`Season`] knows which evaluator made it.
    id: u64,
}

impl std::fmt::Debug for Evaluator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let rules = &self.rules;
        f.debug_struct("Evaluator")
            .field("id", &self.id)
            .field("teams", &rules.league.teams.len())
            .field("constraints", &rules.registry.len())
            .field("cached", &rules.cache.is_some())
            .field("executor", &self.executor)
            .field("started", &self.pool.get().is_some())
            .finish_non_exhaustive()
    }
}

/// What one constraint's calls have cost so far, as the cost order
/// measures it (`executor.order = "cost"`).
#[derive(Debug, Clone, PartialEq)]
pub struct Cost {
    /// The constraint's id.
    pub constraint: Arc<str>,
    /// Calls measured.
    pub calls: u64,
    /// Their mean time, in nanoseconds.
    pub mean_ns: f64,
    /// The share of them that found a hard violation.
    pub hard_share: f64,
}

/// The next evaluator's id.
static EVALUATORS: AtomicU64 = AtomicU64::new(0);

/// What warming the cache with one schedule file did.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Warmed {
    /// The schedule file.
    pub file: PathBuf,
    /// Its games.
    pub games: usize,
    /// Verdicts computed and stored (the others were cached already).
    pub stored: u64,
    /// How long it took.
    pub elapsed_ms: f64,
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

impl Evaluator {
    /// An evaluator whose calls run under the limits the registry was
    /// loaded with.
    pub fn new(league: Arc<League>, registry: Arc<Registry>) -> Self {
        let limits = registry.limits().clone();
        Self::with_limits(league, registry, &limits)
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
        let executor = ExecutorConfig {
            workers: 1,
            ..ExecutorConfig::default()
        };
        Self {
            rules: Arc::new(Rules {
                costs: Costs::new(registry.len()),
                league,
                registry,
                plan,
                breakers,
                deadlines: Deadlines::default(),
                order: Order::Dependency,
                cache: None,
            }),
            limits: limits.clone(),
            data: Arc::default(),
            executor,
            pool: OnceLock::new(),
            baseline: Mutex::new(None),
            reused: AtomicU64::new(0),
            id: EVALUATORS.fetch_add(1, Ordering::Relaxed),
        }
    }

    fn rules_mut(&mut self) -> &mut Rules {
        Arc::make_mut(&mut self.rules)
    }

    /// This evaluator with circuit breakers configured so (one per
    /// constraint, starting closed).
    pub fn with_breakers(mut self, config: BreakerConfig) -> Self {
        let breakers = breakers(&self.rules.registry, config);
        self.rules_mut().breakers = breakers;
        self
    }

    /// This evaluator with `n` worker threads (at least 1). Each worker has
    /// its own runtime; the report is the same whatever `n` (timings
    /// aside), unless a breaker opens mid-run, which depends on timing
    /// anyway.
    pub fn with_workers(mut self, n: usize) -> Self {
        self.executor.workers = n.max(1);
        self
    }

    /// This evaluator with request and game deadlines, and fail-fast.
    pub fn with_deadlines(mut self, deadlines: Deadlines) -> Self {
        self.rules_mut().deadlines = deadlines;
        self
    }

    /// This evaluator set up as `config` says: workers (0: one per core),
    /// queue, recycling, order, fail-fast and deadlines.
    pub fn with_executor(mut self, config: &ExecutorConfig) -> Self {
        self.executor = config.clone();
        self.executor.workers = config.worker_count();
        let rules = self.rules_mut();
        rules.order = config.order;
        rules.deadlines = Deadlines {
            request: config.deadline_ms.map(Duration::from_millis),
            game: config.game_deadline_ms.map(Duration::from_millis),
            fail_fast: config.fail_fast,
        };
        self
    }

    /// This evaluator keeps verdicts in `cache` and serves them from it when
    /// nothing they were read from has changed. Several evaluators may share
    /// one cache.
    pub fn with_cache(mut self, cache: Arc<VerdictCache>) -> Self {
        self.rules_mut().cache = Some(cache);
        self
    }

    /// The verdict cache's counters, if there is one.
    pub fn cache_stats(&self) -> Option<CacheStats> {
        self.rules.cache.as_ref().map(|c| CacheStats {
            reused_games: self.reused.load(Ordering::Relaxed),
            ..c.stats()
        })
    }

    /// This evaluator's plugins may ask these data sources.
    pub fn with_data(mut self, data: Arc<DataSources>) -> Self {
        self.data = data;
        self
    }

    /// How many workers rule on a schedule's games.
    pub fn workers(&self) -> usize {
        self.executor.workers
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

    /// What the worker pool has done so far.
    pub fn pool_stats(&self) -> PoolStats {
        self.pool.get().map(Pool::stats).unwrap_or(PoolStats {
            workers: 0,
            capacity: self.executor.queue_chunks,
            ..PoolStats::default()
        })
    }

    /// Each game-scoped constraint's measured cost and rejection rate, in
    /// registry order.
    pub fn costs(&self) -> Vec<Cost> {
        self.rules
            .registry
            .constraints()
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let (calls, mean_ns, hard_share) = self.rules.costs.of(i);
                Cost {
                    constraint: c.manifest.id.clone(),
                    calls,
                    mean_ns,
                    hard_share,
                }
            })
            .collect()
    }

    fn pool(&self) -> &Pool {
        self.pool.get_or_init(|| {
            let (league, limits, data) = (
                self.rules.league.clone(),
                self.limits.clone(),
                self.data.clone(),
            );
            Pool::new(
                self.executor.workers,
                self.executor.queue_chunks,
                self.executor.recycle_after,
                Arc::new(move || Runtime::with_data(league.clone(), &limits, data.clone())),
            )
        })
    }

    /// Evaluates each schedule file of the league into the cache, so the
    /// first requests find their verdicts there (with a shared layer, other
    /// processes too), and keeps the last as the baseline for the next
    /// evaluation. Errors name the file; without a cache there is nothing
    /// to warm.
    pub fn warm(&self, files: &[PathBuf]) -> crate::Result<Vec<Warmed>> {
        let Some(cache) = &self.rules.cache else {
            return Err(crate::Error::Config {
                path: "cache".into(),
                message: "there is nothing to warm: the verdict cache is off".into(),
            });
        };
        let schedules = files
            .iter()
            .map(|f| Ok((f, Arc::new(Schedule::load(f, &self.rules.league)?))))
            .collect::<crate::Result<Vec<_>>>()?;
        Ok(schedules
            .into_iter()
            .map(|(file, schedule)| {
                let before = cache.stats().l1.inserts;
                let started = Instant::now();
                self.evaluate(&schedule);
                Warmed {
                    file: file.clone(),
                    games: schedule.len(),
                    stored: cache.stats().l1.inserts - before,
                    elapsed_ms: started.elapsed().as_secs_f64() * 1e3,
                }
            })
            .collect())
    }

    /// Rules on a whole schedule, waiting for room if the queue is full.
    pub fn evaluate(&self, schedule: &Arc<Schedule>) -> Report {
        self.evaluate_with_progress(schedule, &mut |_| {})
    }

    /// Rules on a whole schedule, calling `progress` with the number of games
    /// done as chunks finish; waits for room if the queue is full.
    pub fn evaluate_with_progress(
        &self,
        schedule: &Arc<Schedule>,
        progress: &mut dyn FnMut(usize),
    ) -> Report {
        self.run(schedule, progress, false, &Cancel::never())
            .unwrap_or_else(|_| unreachable!("a waiting, uncancelled submission always ends"))
    }

    /// Rules on a whole schedule, or answers [`Overloaded`] at once when the
    /// executor's queue has no room for it.
    pub fn try_evaluate(&self, schedule: &Arc<Schedule>) -> Result<Report, Overloaded> {
        self.run(schedule, &mut |_| {}, true, &Cancel::never())
            .map_err(Interrupted::overloaded)
    }

    /// [`try_evaluate`](Self::try_evaluate) that stops early once `cancel`
    /// is cancelled (its caller has gone): the games not yet started are
    /// not run, nothing half-done is kept, and the answer is
    /// [`Interrupted::Cancelled`].
    pub fn try_evaluate_until(
        &self,
        schedule: &Arc<Schedule>,
        cancel: &Cancel,
    ) -> Result<Report, Interrupted> {
        self.run(schedule, &mut |_| {}, true, cancel)
    }

    fn run(
        &self,
        schedule: &Arc<Schedule>,
        progress: &mut dyn FnMut(usize),
        refuse_when_full: bool,
        cancel: &Cancel,
    ) -> Result<Report, Interrupted> {
        self.run_keeping(schedule, progress, refuse_when_full, cancel)
            .map(|(report, _)| report)
    }

    /// Runs an evaluation that reuses the last one's baseline; returns the
    /// report and, with a cache, the baseline it makes (which also becomes
    /// the evaluator's own).
    fn run_keeping(
        &self,
        schedule: &Arc<Schedule>,
        progress: &mut dyn FnMut(usize),
        refuse_when_full: bool,
        cancel: &Cancel,
    ) -> Result<(Report, Option<Arc<Baseline>>), Interrupted> {
        let _span = tracing::debug_span!("evaluation", games = schedule.len()).entered();
        let started = Instant::now();
        let opened = self.open(schedule, started, refuse_when_full, cancel)?;
        let (budget, blocked) = (opened.budget, opened.blocked.clone());
        let games = schedule.games();
        let keep = self.rules.game_memo_applies(budget);
        // Reports (and their entries, for the next baseline) by position.
        let mut reports: Vec<Option<GameReport>> = (0..games.len()).map(|_| None).collect();
        let mut entries: Vec<Option<Arc<GameEntry>>> = vec![None; games.len()];
        let todo = if keep {
            let base = self
                .baseline
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            self.reuse(base, schedule, &blocked, budget, &mut reports, &mut entries)
        } else {
            (0..games.len()).collect()
        };
        let reused = games.len() - todo.len();
        let mut done = reused;
        if reused > 0 {
            progress(done);
        }
        let flow = Flow::AtOnce { refuse_when_full };
        let todo_games = todo.iter().map(|&i| games[i].clone());
        self.batch(
            schedule,
            &opened,
            todo_games,
            flow,
            cancel,
            &mut |first, part| {
                done += part.len();
                for (&i, (report, entry)) in todo[first..].iter().zip(part) {
                    reports[i] = Some(report);
                    entries[i] = entry;
                }
                progress(done);
            },
        )?;
        // Games a cancelled task left out would read as errors, and a
        // baseline of them would poison the next evaluation: nothing of a
        // cancelled evaluation is kept (`batch` answers `Cancelled`).
        // A chunk is missing only if its task panicked outside a game.
        let reports = reports
            .into_iter()
            .zip(games)
            .map(|(r, g)| r.unwrap_or_else(|| self.rules.panicked(g)))
            .collect();
        let mut made = None;
        if let (true, Some(cache)) = (keep, &self.rules.cache) {
            let baseline = Arc::new(Baseline {
                schedule: schedule.clone(),
                blocked,
                fail_fast: budget.fail_fast,
                games: entries,
                generation: cache.generation(),
                topics: OnceLock::new(),
            });
            *self.baseline.lock().unwrap_or_else(|e| e.into_inner()) = Some(baseline.clone());
            made = Some(baseline);
        }
        let mut report = Report::new(
            self.rules.registry.len(),
            ScheduleReport::new(opened.schedule_verdicts),
            reports,
            started.elapsed(),
        );
        report.cache = self.cache_stats();
        Ok((report, made))
    }

    /// Rules on `games` (of `schedule`, or inline ones not in it) and
    /// returns their reports in order, or [`Overloaded`] at once when the
    /// queue has no room. The schedule-scoped constraints run first (from
    /// the cache when nothing they read changed): their verdicts decide
    /// which game rules are skipped.
    pub fn try_evaluate_games(
        &self,
        schedule: &Arc<Schedule>,
        games: Vec<Arc<Game>>,
    ) -> Result<Vec<GameReport>, Overloaded> {
        self.try_evaluate_games_until(schedule, games, &Cancel::never())
            .map_err(Interrupted::overloaded)
    }

    /// [`try_evaluate_games`](Self::try_evaluate_games) that stops early
    /// once `cancel` is cancelled: the games not yet started are not run and
    /// the answer is [`Interrupted::Cancelled`].
    pub fn try_evaluate_games_until(
        &self,
        schedule: &Arc<Schedule>,
        games: Vec<Arc<Game>>,
        cancel: &Cancel,
    ) -> Result<Vec<GameReport>, Interrupted> {
        let _span = tracing::debug_span!("evaluation", games = games.len()).entered();
        let opened = self.open(schedule, Instant::now(), true, cancel)?;
        let mut reports: Vec<Option<GameReport>> = (0..games.len()).map(|_| None).collect();
        let flow = Flow::AtOnce {
            refuse_when_full: true,
        };
        self.batch(
            schedule,
            &opened,
            games.clone(),
            flow,
            cancel,
            &mut |first, part| {
                for (slot, (report, _)) in reports[first..].iter_mut().zip(part) {
                    *slot = Some(report);
                }
            },
        )?;
        Ok(reports
            .into_iter()
            .zip(&games)
            .map(|(r, g)| r.unwrap_or_else(|| self.rules.panicked(g)))
            .collect())
    }

    /// Rules on `games` (of `schedule`, or not yet in it) and hands each
    /// game's report to `deliver` as it completes, with at most the
    /// configured number of games in flight. The schedule-scoped
    /// constraints run first; their verdicts are returned.
    pub fn stream(
        &self,
        schedule: &Arc<Schedule>,
        games: impl IntoIterator<Item = Arc<Game>>,
        deliver: &mut dyn FnMut(GameReport),
    ) -> Result<Vec<Verdict>, Overloaded> {
        self.stream_until(schedule, games, deliver, &Cancel::never())
            .map_err(Interrupted::overloaded)
    }

    /// [`stream`](Self::stream) that stops once `cancel` is cancelled (by
    /// `deliver`, say, when the reader has gone): no more games are
    /// started, those running finish, and the answer is
    /// [`Interrupted::Cancelled`].
    pub fn stream_until(
        &self,
        schedule: &Arc<Schedule>,
        games: impl IntoIterator<Item = Arc<Game>>,
        deliver: &mut dyn FnMut(GameReport),
        cancel: &Cancel,
    ) -> Result<Vec<Verdict>, Interrupted> {
        let opened = self.open(schedule, Instant::now(), true, cancel)?;
        let flow = Flow::Bounded {
            most: self.executor.stream_in_flight.max(1),
        };
        self.batch(schedule, &opened, games, flow, cancel, &mut |_, part| {
            part.into_iter().map(|(r, _)| r).for_each(&mut *deliver);
        })?;
        Ok(opened.schedule_verdicts)
    }
}
