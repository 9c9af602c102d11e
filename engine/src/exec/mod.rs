//! Plans and runs an evaluation: schedule-scoped constraints once, then every
//! game through the game-scoped constraints, each in dependency order.
//!
//! A constraint whose hard dependency did not pass is `skipped` for that
//! game (or for every game, when the dependency is schedule-scoped). The
//! order and the skip rule are computed once per evaluation from the
//! registry's [`DependencyGraph`](crate::manifests::DependencyGraph).
//!
//! The work runs on a [pool](pool) of workers that own their runtimes: the
//! schedule scope as one task, then the games in chunks. Reports come back
//! in schedule order, so they are the same whatever the number of workers.

mod cancel;
mod config;
mod cost;
mod pool;
mod whatif;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use crossbeam_channel::Receiver;

pub use cancel::{Cancel, CancelOnDrop, Interrupted};
pub use config::{ExecutorConfig, Order};
pub use pool::{Overloaded, PoolStats};
pub use whatif::{Changed, Season, Totals, TotalsDelta, WhatIf};

use crate::breaker::{Admit, Breaker, BreakerConfig};
use crate::cache::{Answer, Delta, GameEntry, Key, Read, VerdictCache};
use crate::data::DataSources;
use crate::manifests::{Partition, Scope};
use crate::model::fingerprint::Fingerprint;
use crate::model::{
    CacheStats, Game, GameReport, League, Report, Schedule, ScheduleReport, Status, Verdict,
};
use crate::registry::Registry;
use crate::runtime::{self, Constraint, RhaiLimits, Runtime, Target};
use cost::Costs;
use pool::{Pool, Task};

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

/// An evaluation's game reports with what each was read from, by position.
/// The next evaluation of a schedule that differs in a few games takes the
/// report of every other game from here, unless the change touches one of
/// its reads, without a cache lookup.
struct Baseline {
    schedule: Arc<Schedule>,
    blocked: Arc<[Option<Arc<str>>]>,
    fail_fast: bool,
    games: Vec<Option<Arc<GameEntry>>>,
    /// The cache's generation it was built in: clearing the cache drops it.
    generation: u64,
    /// Which games read what, made when a what-if first needs it.
    topics: OnceLock<Topics>,
}

/// The baseline's games by what their recorded reads are about: a change
/// can only make a game's reads answer differently when it touches one of
/// the game's topics (as [`Delta::touches`] decides), so only those games
/// need their reads asked again.
#[derive(Default)]
struct Topics {
    by: rustc_hash::FxHashMap<Topic, Vec<u32>>,
    /// Games that read the number of games.
    len: Vec<u32>,
    /// Games that read by position or the whole schedule (asked again
    /// after any change).
    always: Vec<u32>,
}

#[derive(PartialEq, Eq, Hash)]
enum Topic {
    Id(Arc<str>),
    Team(Arc<str>),
    VenueDate(Arc<str>, jiff::civil::Date),
    Date(jiff::civil::Date),
}

impl Topics {
    fn of(base: &Baseline) -> Self {
        let mut t = Topics::default();
        for (j, entry) in base.games.iter().enumerate() {
            let Some(e) = entry else { continue };
            let j = j as u32;
            let mut add = |topic: Topic| {
                let list = t.by.entry(topic).or_default();
                if list.last() != Some(&j) {
                    list.push(j);
                }
            };
            for answer in e.reads.iter() {
                match &answer.read {
                    Read::Len => t.len.push(j),
                    Read::All | Read::At(_) => t.always.push(j),
                    Read::ById(id) => add(Topic::Id(id.clone())),
                    Read::GamesOf(team) | Read::GamesOfBetween(team, ..) => {
                        add(Topic::Team(team.clone()));
                    }
                    Read::Previous(team, subject) | Read::Next(team, subject) => {
                        add(Topic::Team(team.clone()));
                        if let crate::cache::Subject::Other(id, _) = subject {
                            add(Topic::Id(id.clone()));
                        }
                    }
                    Read::GamesAt(venue, date) => add(Topic::VenueDate(venue.clone(), *date)),
                    Read::GamesOn(date) => add(Topic::Date(*date)),
                }
            }
        }
        t
    }

    /// Marks the baseline's games whose reads `delta` may touch.
    fn suspects(&self, delta: &Delta, games: usize) -> Vec<bool> {
        let mut marked = vec![false; games];
        if delta.count() == 0 {
            return marked;
        }
        let mut mark = |list: Option<&Vec<u32>>| {
            for &j in list.into_iter().flatten() {
                marked[j as usize] = true;
            }
        };
        mark(Some(&self.always));
        if delta.len_changed() {
            mark(Some(&self.len));
        }
        for id in delta.ids() {
            mark(self.by.get(&Topic::Id(id.clone())));
        }
        for team in delta.teams() {
            mark(self.by.get(&Topic::Team(team.clone())));
        }
        for (venue, date) in delta.venue_dates() {
            mark(self.by.get(&Topic::VenueDate(venue.clone(), *date)));
        }
        for date in delta.dates() {
            mark(self.by.get(&Topic::Date(*date)));
        }
        marked
    }
}

/// Verdicts of parts of partitioned rules, by (registry position, part),
/// that are known to hold for the schedule under evaluation (a what-if's:
/// the season's, where the edit touches none of their reads).
struct KnownParts {
    parts: Arc<[whatif::SeasonPart]>,
    holding: rustc_hash::FxHashMap<(usize, usize), usize>,
}

impl KnownParts {
    fn get(&self, at: &(usize, usize)) -> Option<Verdict> {
        self.holding.get(at).map(|&n| self.parts[n].verdict.clone())
    }
}

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

/// A baseline is of use when at most this share of the games changed.
const BASELINE_MOST_CHANGED: usize = 8;

/// What every worker shares: the league, the constraints, the order to run
/// them in, their breakers, the deadlines, and the measured costs.
#[derive(Clone)]
struct Rules {
    league: Arc<League>,
    registry: Arc<Registry>,
    plan: Plan,
    breakers: Arc<[Breaker]>,
    deadlines: Deadlines,
    order: Order,
    costs: Costs,
    cache: Option<Arc<VerdictCache>>,
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
    /// Record the calls' cost and outcome (for ordering by cost).
    measure: bool,
}

/// Games per chunk a worker takes at a time, at most; fewer when that would
/// leave a worker idle.
const MAX_CHUNK: usize = 64;

/// The evaluation order, split by scope, as positions in the registry.
#[derive(Clone)]
struct Plan {
    schedule: Vec<usize>,
    game: Vec<usize>,
}

/// A game's report, with its cache entry when it has one.
type Ruled = (GameReport, Option<Arc<GameEntry>>);

/// A batch of games waiting for their reports, chunk by chunk.
struct Pending {
    rx: Receiver<(usize, Vec<Ruled>)>,
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
        let budget = self.rules.budget(started);
        cancel.check()?;
        let schedule_verdicts = self.schedule_scope(schedule, budget, refuse_when_full)?;
        cancel.check()?;
        let blocked: Arc<[_]> = self.rules.blocked_by_schedule(&schedule_verdicts).into();
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
        // A few games go as one task, which the caller may run itself.
        let chunk = if todo.len() <= self.executor.inline_games {
            todo.len().max(1)
        } else {
            self.chunk_size(todo.len())
        };
        let pending = self.submit_games(
            schedule,
            todo.iter().map(|&i| games[i].clone()).collect(),
            chunk,
            blocked.clone(),
            budget,
            refuse_when_full,
            cancel,
        )?;
        let mut done = reused;
        if reused > 0 {
            progress(done);
        }
        for (c, part) in pending.rx.iter() {
            done += part.len();
            for (&i, (report, entry)) in todo[c * chunk..].iter().zip(part) {
                reports[i] = Some(report);
                entries[i] = entry;
            }
            progress(done);
        }
        // Games a cancelled task left out would read as errors, and a
        // baseline of them would poison the next evaluation: nothing of a
        // cancelled evaluation is kept.
        cancel.check()?;
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
            ScheduleReport::new(schedule_verdicts),
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
        let budget = self.rules.budget(Instant::now());
        cancel.check()?;
        let schedule_verdicts = self.schedule_scope(schedule, budget, true)?;
        cancel.check()?;
        let blocked: Arc<[_]> = self.rules.blocked_by_schedule(&schedule_verdicts).into();
        let n = games.len();
        let chunk = if n <= self.executor.inline_games {
            n.max(1)
        } else {
            self.chunk_size(n)
        };
        let pending = self.submit_games(
            schedule,
            games.clone(),
            chunk,
            blocked,
            budget,
            true,
            cancel,
        )?;
        let mut reports: Vec<Option<GameReport>> = (0..n).map(|_| None).collect();
        for (c, part) in pending.rx.iter() {
            for (slot, (report, _)) in reports[c * chunk..].iter_mut().zip(part) {
                *slot = Some(report);
            }
        }
        cancel.check()?;
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
        let budget = self.rules.budget(Instant::now());
        cancel.check()?;
        let schedule_verdicts = self.schedule_scope(schedule, budget, true)?;
        let blocked: Arc<[_]> = self.rules.blocked_by_schedule(&schedule_verdicts).into();
        let most = self.executor.stream_in_flight.max(1);
        let chunk = (most / (2 * self.executor.workers)).clamp(1, MAX_CHUNK);
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut games = games.into_iter();
        // A chunk the queue had no room for, to offer again.
        let mut refused: Option<Vec<Arc<Game>>> = None;
        let mut in_flight = 0;
        loop {
            while in_flight < most && !cancel.is_cancelled() {
                let part = match refused.take() {
                    Some(part) => part,
                    None => games.by_ref().take(chunk.min(most - in_flight)).collect(),
                };
                if part.is_empty() {
                    break;
                }
                let n = part.len();
                let task = self.games_task(
                    schedule,
                    part.clone(),
                    0,
                    blocked.clone(),
                    budget,
                    tx.clone(),
                    cancel.clone(),
                );
                match self.pool().try_submit(vec![task]) {
                    Ok(()) => in_flight += n,
                    Err(full) if in_flight == 0 => return Err(full.into()),
                    Err(_) => {
                        refused = Some(part);
                        break;
                    }
                }
            }
            if in_flight == 0 {
                cancel.check()?;
                return Ok(schedule_verdicts);
            }
            // Our tasks hold a sender each, so this ends only with them.
            let Ok((_, reports)) = rx.recv() else {
                cancel.check()?;
                return Ok(schedule_verdicts);
            };
            // Once cancelled, the tasks still queued skip their games (and
            // send fewer reports): stop counting and go.
            cancel.check()?;
            in_flight -= reports.len();
            reports.into_iter().map(|(r, _)| r).for_each(&mut *deliver);
        }
    }

    /// Fills in the reports the last evaluation's baseline still answers for
    /// `schedule` (games that did not change and whose reads the changes
    /// do not touch, or answer as before); returns the positions left to
    /// evaluate.
    fn reuse(
        &self,
        base: Option<Arc<Baseline>>,
        schedule: &Arc<Schedule>,
        blocked: &Arc<[Option<Arc<str>>]>,
        budget: Budget,
        reports: &mut [Option<GameReport>],
        entries: &mut [Option<Arc<GameEntry>>],
    ) -> Vec<usize> {
        let n = schedule.len();
        let most = (n / BASELINE_MOST_CHANGED).max(1);
        let Some((base, (todo, kept))) = base
            .filter(|b| self.baseline_applies(b, blocked, budget))
            .and_then(|b| self.kept(&b, schedule, most, false).map(|k| (b, k)))
        else {
            return (0..n).collect();
        };
        for (i, j) in kept.iter().enumerate() {
            if let Some(e) = j.and_then(|j| base.games[j].as_ref()) {
                reports[i] = Some(e.report.clone());
                entries[i] = Some(e.clone());
            }
        }
        todo
    }

    /// Whether a baseline's reports may stand for an evaluation with these
    /// schedule-scoped outcomes and budget.
    fn baseline_applies(
        &self,
        base: &Baseline,
        blocked: &Arc<[Option<Arc<str>>]>,
        budget: Budget,
    ) -> bool {
        self.rules.cache.as_ref().is_some_and(|cache| {
            self.rules.game_memo_applies(budget)
                && base.blocked == *blocked
                && base.fail_fast == budget.fail_fast
                && base.generation == cache.generation()
        })
    }

    /// Which games of `schedule` keep their report from `base`: per
    /// position, the baseline's position of the same game when it did not
    /// change and its recorded reads, asked again where the change touches
    /// them, answer as before; and the positions left to judge, in order.
    /// `None` when more than `most` games changed. With `indexed`, only the
    /// games whose topics the change touches have their reads looked at
    /// (the baseline's [`Topics`], made once); the answer is the same.
    fn kept(
        &self,
        base: &Baseline,
        schedule: &Arc<Schedule>,
        most: usize,
        indexed: bool,
    ) -> Option<(Vec<usize>, Vec<Option<usize>>)> {
        let delta = Delta::between(&base.schedule, schedule, most)?;
        self.kept_after(base, schedule, &delta, indexed)
    }

    /// [`kept`](Self::kept) with the delta from `base` made already.
    fn kept_after(
        &self,
        base: &Baseline,
        schedule: &Arc<Schedule>,
        delta: &Delta,
        indexed: bool,
    ) -> Option<(Vec<usize>, Vec<Option<usize>>)> {
        let cache = self.rules.cache.as_ref()?;
        let suspects = indexed.then(|| {
            base.topics
                .get_or_init(|| Topics::of(base))
                .suspects(delta, base.games.len())
        });
        let games = schedule.games();
        let mut todo = Vec::with_capacity(delta.count() * 8);
        let mut kept = vec![None; games.len()];
        // Counted once at the end: one atomic add, not one per game.
        let mut hits = 0;
        for (i, g) in games.iter().enumerate() {
            let holds = |j: usize, e: &Arc<GameEntry>| {
                suspects.as_ref().is_some_and(|s| !s[j])
                    || (e.reads.iter())
                        .all(|a| !delta.touches(&a.read) || a.holds(schedule, Some(g)))
            };
            let from = delta.unchanged_from(i);
            match from.and_then(|j| Some((j, base.games.get(j)?.as_ref()?))) {
                Some((j, e)) if holds(j, e) => {
                    hits += e.calls();
                    kept[i] = from;
                }
                _ => todo.push(i),
            }
        }
        cache.count_hits(hits);
        self.reused
            .fetch_add((games.len() - todo.len()) as u64, Ordering::Relaxed);
        Some((todo, kept))
    }

    fn chunk_size(&self, games: usize) -> usize {
        let fair = games
            .div_ceil(self.executor.workers * 4)
            .clamp(1, MAX_CHUNK);
        // Large batches take larger chunks rather than more than the queue.
        fair.max(games.div_ceil(self.pool().capacity()))
    }

    /// Runs the schedule-scoped constraints as one task.
    fn schedule_scope(
        &self,
        schedule: &Arc<Schedule>,
        budget: Budget,
        refuse_when_full: bool,
    ) -> Result<Vec<Verdict>, Overloaded> {
        self.schedule_scope_knowing(schedule, budget, refuse_when_full, None)
    }

    /// [`schedule_scope`](Self::schedule_scope), taking the parts in
    /// `known` as they are, without asking the cache or the rule.
    fn schedule_scope_knowing(
        &self,
        schedule: &Arc<Schedule>,
        budget: Budget,
        refuse_when_full: bool,
        known: Option<Arc<KnownParts>>,
    ) -> Result<Vec<Verdict>, Overloaded> {
        if self.rules.plan.schedule.is_empty() {
            return Ok(Vec::new());
        }
        let (tx, rx) = crossbeam_channel::bounded(1);
        let (rules, schedule) = (self.rules.clone(), schedule.clone());
        let task: Task = Box::new(move |runtime| {
            let mut blocked = vec![None; rules.registry.len()];
            let order = &rules.plan.schedule;
            let verdicts = rules.run_in_order(
                runtime,
                order,
                &schedule,
                None,
                &mut blocked,
                budget,
                known.as_deref(),
            );
            let _ = tx.send(verdicts);
        });
        // The caller waits for these verdicts anyway: it may as well run
        // them, when its runtime is free and nothing is queued.
        let task = match self.executor.inline_games {
            0 => task,
            _ => match self.pool().run_inline(task) {
                Ok(()) => return Ok(rx.recv().unwrap_or_else(|_| self.rules.schedule_panicked())),
                Err(task) => task,
            },
        };
        self.submit(vec![task], refuse_when_full)?;
        Ok(rx.recv().unwrap_or_else(|_| self.rules.schedule_panicked()))
    }

    fn submit(&self, tasks: Vec<Task>, refuse_when_full: bool) -> Result<(), Overloaded> {
        if refuse_when_full {
            self.pool().try_submit(tasks)
        } else {
            self.pool().submit(tasks);
            Ok(())
        }
    }

    /// Submits `games` (of `schedule`, or inline ones) in chunks; a single
    /// small chunk may run on the calling thread.
    #[allow(
        clippy::too_many_arguments,
        reason = "each is one input of the evaluation the chunks belong to"
    )]
    fn submit_games(
        &self,
        schedule: &Arc<Schedule>,
        games: Vec<Arc<Game>>,
        chunk: usize,
        blocked: Arc<[Option<Arc<str>>]>,
        budget: Budget,
        refuse_when_full: bool,
        cancel: &Cancel,
    ) -> Result<Pending, Overloaded> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut tasks: Vec<Task> = games
            .chunks(chunk)
            .enumerate()
            .map(|(c, part)| {
                self.games_task(
                    schedule,
                    part.to_vec(),
                    c,
                    blocked.clone(),
                    budget,
                    tx.clone(),
                    cancel.clone(),
                )
            })
            .collect();
        if tasks.len() == 1 && games.len() <= self.executor.inline_games {
            match self.pool().run_inline(tasks.remove(0)) {
                Ok(()) => return Ok(Pending { rx }),
                Err(task) => tasks.push(task),
            }
        }
        self.submit(tasks, refuse_when_full)?;
        Ok(Pending { rx })
    }

    /// A task that rules on `games` and sends their reports, tagged `c`.
    /// A game whose evaluation panics gets error verdicts; the others are
    /// not affected. Once `cancel` is cancelled the games left are not run
    /// (the reports sent are fewer).
    #[allow(
        clippy::too_many_arguments,
        reason = "each is one input of the evaluation the task belongs to"
    )]
    fn games_task(
        &self,
        schedule: &Arc<Schedule>,
        games: Vec<Arc<Game>>,
        c: usize,
        blocked: Arc<[Option<Arc<str>>]>,
        budget: Budget,
        tx: crossbeam_channel::Sender<(usize, Vec<Ruled>)>,
        cancel: Cancel,
    ) -> Task {
        let (rules, schedule) = (self.rules.clone(), schedule.clone());
        Box::new(move |runtime| {
            let mut order = rules.game_order(budget);
            let by_cost = rules.order == Order::Cost && budget.fail_fast;
            let reports = games
                .iter()
                .take_while(|_| !cancel.is_cancelled())
                .enumerate()
                .map(|(k, g)| {
                    // Until every constraint has a few measured calls, the
                    // order is worth revising game by game; after that, a
                    // sample of the games keeps the figures current.
                    let warming = by_cost && rules.costs.warming(&rules.plan.game);
                    if warming {
                        order = rules.game_order(budget);
                    }
                    let budget = Budget {
                        measure: by_cost && (warming || k % MEASURE_EVERY == 0),
                        ..budget
                    };
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                        rules.evaluate_game(runtime, &schedule, g, &blocked, budget, &order)
                    }))
                    .unwrap_or_else(|_| (rules.panicked(g), None))
                })
                .collect();
            let _ = tx.send((c, reports));
        })
    }
}

thread_local! {
    /// While a game whose report may be cached is evaluated: the union of
    /// its verdicts' reads; `None` once one verdict could not be cached.
    static GAME_READS: std::cell::RefCell<Option<Vec<Answer>>> =
        const { std::cell::RefCell::new(None) };
}

/// Adds a verdict's reads to the game being evaluated, or (`None`) marks
/// the game's report as one not to cache.
fn game_reads(reads: Option<&[Answer]>) {
    GAME_READS.with(|r| {
        let mut r = r.borrow_mut();
        match (r.as_mut(), reads) {
            (Some(all), Some(reads)) => all.extend_from_slice(reads),
            (Some(_), None) => *r = None,
            (None, _) => {}
        }
    });
}

/// With ordering by cost, one game in this many has its calls measured.
const MEASURE_EVERY: usize = 8;

const PANICKED: &str = "the executor panicked while ruling on this; the worker carried on";

impl Rules {
    /// Rules on one game with the constraints in `order` (a permutation of
    /// the plan's); the verdicts come out in plan order whatever `order`.
    fn evaluate_game(
        &self,
        runtime: &Runtime,
        schedule: &Arc<Schedule>,
        game: &Arc<Game>,
        blocked_by_schedule: &[Option<Arc<str>>],
        budget: Budget,
        order: &[usize],
    ) -> Ruled {
        let memo = self.game_memo(schedule, game, blocked_by_schedule, budget, order);
        if let Some((cache, key)) = &memo {
            if let Some(entry) = cache.get_game(key, schedule, game) {
                return (entry.report.clone(), Some(entry));
            }
            GAME_READS.with(|r| *r.borrow_mut() = Some(Vec::new()));
        }
        let mut blocked = blocked_by_schedule.to_vec();
        let verdicts = self.run_in_order(
            runtime,
            order,
            schedule,
            Some(game),
            &mut blocked,
            budget,
            None,
        );
        let reads = GAME_READS.with(|r| r.borrow_mut().take());
        let verdicts = if order == self.plan.game.as_slice() {
            verdicts
        } else {
            let mut at: Vec<Option<Verdict>> = vec![None; self.registry.len()];
            for (&i, v) in order.iter().zip(verdicts) {
                at[i] = Some(v);
            }
            self.plan
                .game
                .iter()
                .filter_map(|&i| at[i].take())
                .collect()
        };
        let report = GameReport::new(game, verdicts);
        let entry = match (memo, reads) {
            (Some((cache, key)), Some(reads)) => Some(cache.put_game(key, &report, reads)),
            _ => None,
        };
        (report, entry)
    }

    /// Whether games' whole reports may be cached (and an evaluation kept
    /// as a baseline): with a cache, no deadline, and the same order every
    /// run.
    fn game_memo_applies(&self, budget: Budget) -> bool {
        self.cache.is_some()
            && budget.request.is_none()
            && budget.game.is_none()
            && !(self.order == Order::Cost && budget.fail_fast)
    }

    /// The cache and key under which a game's whole report may be kept:
    /// only when its verdicts depend on nothing but the schedule, the league
    /// and the constraints (no deadline, the same order every run).
    fn game_memo(
        &self,
        schedule: &Schedule,
        game: &Arc<Game>,
        blocked_by_schedule: &[Option<Arc<str>>],
        budget: Budget,
        order: &[usize],
    ) -> Option<(&Arc<VerdictCache>, Key)> {
        use std::hash::{Hash, Hasher};
        let cache = self.cache.as_ref()?;
        if budget.request.is_some() || budget.game.is_some() || order != self.plan.game.as_slice() {
            return None;
        }
        // Fx, not a fingerprint: a game's whole report stays in this
        // process (L1 only), and its constraints' content is fingerprinted.
        let mut h = rustc_hash::FxHasher::default();
        let constraints = self.registry.constraints();
        for &i in order {
            constraints[i].content.hash(&mut h);
            constraints[i].manifest.cacheable.hash(&mut h);
        }
        budget.fail_fast.hash(&mut h);
        blocked_by_schedule.hash(&mut h);
        Some((
            cache,
            Key {
                constraint: h.finish(),
                league: self.league.fingerprint(),
                game: schedule.fingerprint_of(game),
            },
        ))
    }

    /// The order to run a game's constraints in: the plan's, or by cost when
    /// configured and fail-fast can make use of it.
    fn game_order(&self, budget: Budget) -> Vec<usize> {
        if self.order == Order::Cost && budget.fail_fast {
            self.costs.order(&self.plan.game, self.registry.graph())
        } else {
            self.plan.game.clone()
        }
    }

    /// The schedule-scoped verdicts when their task panicked: errors.
    fn schedule_panicked(&self) -> Vec<Verdict> {
        self.plan
            .schedule
            .iter()
            .map(|&i| self.registry.constraints()[i].unrun(Status::Error, PANICKED.into()))
            .collect()
    }

    /// The report of a game whose evaluation panicked.
    fn panicked(&self, game: &Arc<Game>) -> GameReport {
        let verdicts = self
            .plan
            .game
            .iter()
            .map(|&i| self.registry.constraints()[i].unrun(Status::Error, PANICKED.into()))
            .collect();
        GameReport::new(game, verdicts)
    }

    fn budget(&self, started: Instant) -> Budget {
        Budget {
            request: self.deadlines.request.map(|d| started + d),
            game: self.deadlines.game,
            fail_fast: self.deadlines.fail_fast,
            measure: false,
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

    #[allow(
        clippy::too_many_arguments,
        reason = "each is one input of the calls it makes in order"
    )]
    fn run_in_order(
        &self,
        runtime: &Runtime,
        order: &[usize],
        schedule: &Arc<Schedule>,
        game: Option<&Arc<Game>>,
        blocked: &mut [Option<Arc<str>>],
        budget: Budget,
        known: Option<&KnownParts>,
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
                    match (reason, game, c.manifest.partition) {
                        (Some((d, why)), ..) => skipped(c, &constraints[d].manifest.id, &why),
                        (None, None, Some(p)) => {
                            self.call_parts(runtime, i, p, schedule, cap, known)
                        }
                        (None, game, _) => {
                            let target = game.map_or(Target::Schedule, Target::Game);
                            self.call(runtime, i, schedule, target, cap, budget.measure)
                        }
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
    /// The cache and the key for constraint `i` asked about `target`, when
    /// its verdicts may be cached.
    fn cache_key(
        &self,
        i: usize,
        schedule: &Schedule,
        target: Target<'_>,
    ) -> Option<(&Arc<VerdictCache>, Key)> {
        let c = &self.registry.constraints()[i];
        let cache = self.cache.as_ref().filter(|_| c.manifest.cacheable)?;
        let game = match target {
            Target::Schedule => 0,
            Target::Game(g) => schedule.fingerprint_of(g),
            Target::Part(p, k) => part_key(p, runtime::part_id(&self.league, p, k), schedule),
        };
        let key = Key {
            constraint: c.content,
            league: self.league.fingerprint(),
            game,
        };
        Some((cache, key))
    }

    /// One call through the constraint's breaker.
    fn call(
        &self,
        runtime: &Runtime,
        i: usize,
        schedule: &Arc<Schedule>,
        target: Target<'_>,
        cap: Option<Instant>,
        measure: bool,
    ) -> Verdict {
        let c = &self.registry.constraints()[i];
        let _span = tracing::trace_span!("constraint", id = %c.manifest.id).entered();
        let cached = self.cache_key(i, schedule, target);
        if let Some((cache, key)) = &cached
            && let Some((hit, reads)) = cache.lookup(key, schedule, target.game())
        {
            game_reads(Some(&reads));
            return hit;
        }
        let breaker = &self.breakers[i];
        let started = Instant::now();
        let admitted = breaker.admit(started);
        if admitted == Admit::Fallback {
            game_reads(None);
            return c.fallback(&breaker.reason());
        }
        let verdict = self.run_and_store(runtime, i, schedule, target, cap, cached);
        if measure {
            self.costs
                .record(i, started.elapsed(), verdict.is_hard_violation());
        }
        self.settle(i, started, admitted, cap, verdict.status);
        verdict
    }

    /// Asks a partitioned rule about each of its parts (those the cache
    /// does not answer) under one admission of its breaker, and merges the
    /// parts' verdicts.
    fn call_parts(
        &self,
        runtime: &Runtime,
        i: usize,
        partition: Partition,
        schedule: &Arc<Schedule>,
        cap: Option<Instant>,
        known: Option<&KnownParts>,
    ) -> Verdict {
        let c = &self.registry.constraints()[i];
        let n = runtime::part_count(&self.league, partition);
        let mut parts: Vec<(usize, Option<Verdict>)> = (0..n)
            .map(|k| {
                let target = Target::Part(partition, k);
                let hit = known.and_then(|m| m.get(&(i, k))).or_else(|| {
                    self.cache_key(i, schedule, target)
                        .and_then(|(cache, key)| cache.lookup(&key, schedule, None))
                        .map(|(v, _)| v)
                });
                (k, hit)
            })
            .collect();
        if parts.iter().any(|(_, v)| v.is_none()) {
            let breaker = &self.breakers[i];
            let started = Instant::now();
            let admitted = breaker.admit(started);
            if admitted == Admit::Fallback {
                return c.fallback(&breaker.reason());
            }
            let mut worst = Status::Passed;
            for (k, verdict) in parts.iter_mut().filter(|(_, v)| v.is_none()) {
                let target = Target::Part(partition, *k);
                let cached = self.cache_key(i, schedule, target);
                let v = self.run_and_store(runtime, i, schedule, target, cap, cached);
                if matches!(v.status, Status::Error | Status::Timeout) && worst == Status::Passed {
                    worst = v.status;
                }
                *verdict = Some(v);
            }
            self.settle(i, started, admitted, cap, worst);
        }
        let parts = parts
            .into_iter()
            .map(|(k, v)| (k, v.unwrap_or_else(|| unreachable!("every part was asked"))))
            .collect();
        c.merge_parts(&self.league, parts)
    }

    /// Runs constraint `i` on `target` and stores a verdict the cache may
    /// keep; notes the reads for the game under evaluation.
    fn run_and_store(
        &self,
        runtime: &Runtime,
        i: usize,
        schedule: &Arc<Schedule>,
        target: Target<'_>,
        cap: Option<Instant>,
        cached: Option<(&Arc<VerdictCache>, Key)>,
    ) -> Verdict {
        let c = &self.registry.constraints()[i];
        let (verdict, reads) = runtime.evaluate_noting(c, schedule, target, cap, cached.is_some());
        let stored = match (cached, reads) {
            (Some((cache, key)), Some(reads))
                if matches!(verdict.status, Status::Passed | Status::Violated) =>
            {
                cache.put(key, &verdict, reads, schedule, target.game())
            }
            _ => None,
        };
        game_reads(stored.as_deref());
        verdict
    }

    /// Tells constraint `i`'s breaker how a call admitted at `started` went.
    fn settle(
        &self,
        i: usize,
        started: Instant,
        admitted: Admit,
        cap: Option<Instant>,
        status: Status,
    ) {
        let breaker = &self.breakers[i];
        let timeout = self.registry.constraints()[i].manifest.timeout;
        // A call cut short by a deadline not its own says nothing about the
        // rule's health.
        let cut = cap.is_some_and(|cap| cap < started + timeout);
        if status == Status::Timeout && cut {
            breaker.abandon(admitted);
        } else {
            let failed = matches!(status, Status::Error | Status::Timeout);
            // The call's start stamps the outcome: buckets are a second wide.
            breaker.record(started, admitted, failed);
        }
    }
}

/// The cache's game slot for one part of a partitioned rule. A team's part
/// is keyed by its games too, so that the part's verdicts for schedules
/// that differ in that team's games (a season and the moves tried on it)
/// are kept side by side; whether one holds is for its recorded reads to
/// say, as for every entry. Shared through L2, so a fingerprint: the
/// partition (a byte: 0 team, 1 venue), the id and, for a team, its games'
/// fingerprints in order (a list).
fn part_key(partition: Partition, id: &str, schedule: &Schedule) -> u64 {
    let mut f = Fingerprint::new();
    match partition {
        Partition::Team => {
            let games = schedule.games_of(id);
            f.u8(0).str(id).usize(games.len());
            for g in games {
                f.u64(schedule.fingerprint_of(g));
            }
        }
        Partition::Venue => {
            f.u8(1).str(id);
        }
    }
    f.finish()
}

fn breakers(registry: &Registry, config: BreakerConfig) -> Arc<[Breaker]> {
    registry
        .constraints()
        .iter()
        .map(|c| Breaker::new(c.manifest.id.clone(), config))
        .collect()
}

/// A constraint not run because the request's or the game's deadline passed.
fn not_run(c: &Constraint, request: bool) -> Verdict {
    let whose = if request { "request's" } else { "game's" };
    c.unrun(
        Status::Timeout,
        format!("not run: the {whose} deadline had passed"),
    )
}

/// A constraint not run because fail-fast stopped the game at a hard
/// violation.
fn fail_fast_skip(c: &Constraint, first: &str) -> Verdict {
    c.unrun(
        Status::Skipped,
        format!("skipped: fail-fast stopped this game at the hard violation of `{first}`"),
    )
}

fn block_reason(v: &Verdict) -> Arc<str> {
    v.status.as_str().into()
}

fn skipped(c: &Constraint, dep: &str, why: &str) -> Verdict {
    c.unrun(
        Status::Skipped,
        format!("skipped: depends on hard constraint `{dep}`, which was {why}"),
    )
}
