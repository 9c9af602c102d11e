//! The one batch path: every evaluation of games (a whole schedule, a
//! list of games, a stream) opens the same way (the budget, the
//! schedule-scoped constraints as one task, the game rules their verdicts
//! block) and sends its games to the pool in chunks the same way; only how
//! many are in flight at once differs ([`Flow`]).

use std::sync::Arc;
use std::time::Instant;

use super::cancel::{Cancel, Interrupted};
use super::pool::{Overloaded, Task};
use super::rules::{Budget, Known, KnownGames, KnownParts, MEASURE_EVERY, Ruled};
use super::{Evaluator, Order};
use crate::model::{Game, Schedule, Verdict};

/// Games per chunk a worker takes at a time, at most; fewer when that would
/// leave a worker idle.
pub(super) const MAX_CHUNK: usize = 64;

/// What every batch starts with.
pub(super) struct Opened {
    /// The instants it keeps to.
    pub(super) budget: Budget,
    /// The schedule-scoped constraints' verdicts.
    pub(super) schedule_verdicts: Vec<Verdict>,
    /// Per constraint, the schedule-scoped rule whose failure skips it for
    /// every game.
    pub(super) blocked: Arc<[Option<Arc<str>>]>,
    /// What a what-if knows of the games it judges again (the season's
    /// entries of those that did not change themselves), by id.
    pub(super) known: Option<Arc<KnownGames>>,
}

/// How a batch's games go to the pool.
#[derive(Debug, Clone, Copy)]
pub(super) enum Flow {
    /// Every chunk at once, the caller waiting for all of them: refused
    /// whole with [`Overloaded`] when `refuse_when_full` and the queue has
    /// no room, else waiting for room. A single small chunk may run on the
    /// calling thread.
    AtOnce { refuse_when_full: bool },
    /// At most `most` games in flight, a chunk at a time as reports come
    /// back (a stream): refused only when not one chunk fits.
    Bounded { most: usize },
}

impl Evaluator {
    /// Opens a batch started at `started`: the schedule-scoped constraints
    /// run first (from the cache when nothing they read changed).
    pub(super) fn open(
        &self,
        schedule: &Arc<Schedule>,
        started: Instant,
        refuse_when_full: bool,
        cancel: &Cancel,
    ) -> Result<Opened, Interrupted> {
        let budget = self.rules.budget(started);
        cancel.check()?;
        let schedule_verdicts = self.schedule_scope(schedule, budget, refuse_when_full)?;
        cancel.check()?;
        let blocked = self.rules.blocked_by_schedule(&schedule_verdicts).into();
        Ok(Opened {
            budget,
            schedule_verdicts,
            blocked,
            known: None,
        })
    }

    /// Rules on `games` (of `schedule`, or inline ones not in it) as `flow`
    /// says, handing each chunk's reports to `deliver` with the position of
    /// its first game in `games` as it completes. Once `cancel` is
    /// cancelled no more games start and the answer is
    /// [`Interrupted::Cancelled`]; a chunk whose task panicked outside a
    /// game is never delivered (the caller fills in).
    pub(super) fn batch(
        &self,
        schedule: &Arc<Schedule>,
        opened: &Opened,
        games: impl IntoIterator<Item = Arc<Game>>,
        flow: Flow,
        cancel: &Cancel,
        deliver: &mut dyn FnMut(usize, Vec<Ruled>),
    ) -> Result<(), Interrupted> {
        let (tx, rx) = crossbeam_channel::unbounded();
        let task = |part: Vec<Arc<Game>>, first: usize| {
            self.games_task(
                schedule,
                part,
                first,
                opened.blocked.clone(),
                opened.budget,
                opened.known.clone(),
                tx.clone(),
                cancel.clone(),
            )
        };
        match flow {
            Flow::AtOnce { refuse_when_full } => {
                let games: Vec<Arc<Game>> = games.into_iter().collect();
                let n = games.len();
                // A few games go as one task, which the caller may run
                // itself.
                let chunk = if n <= self.executor.inline_games {
                    n.max(1)
                } else {
                    self.chunk_size(n)
                };
                let mut tasks: Vec<Task> = games
                    .chunks(chunk)
                    .enumerate()
                    .map(|(c, part)| task(part.to_vec(), c * chunk))
                    .collect();
                drop(tx);
                let inline = tasks.len() == 1 && n <= self.executor.inline_games;
                let ran = inline
                    && match self.pool().run_inline(tasks.remove(0)) {
                        Ok(()) => true,
                        Err(back) => {
                            tasks.push(back);
                            false
                        }
                    };
                if !ran {
                    self.submit(tasks, refuse_when_full)?;
                }
                for (first, part) in rx.iter() {
                    deliver(first, part);
                }
                cancel.check()?;
                Ok(())
            }
            Flow::Bounded { most } => {
                let chunk = (most / (2 * self.executor.workers)).clamp(1, MAX_CHUNK);
                let mut games = games.into_iter();
                let mut next = 0;
                // A chunk the queue had no room for, to offer again.
                let mut refused: Option<(usize, Vec<Arc<Game>>)> = None;
                let mut in_flight = 0;
                loop {
                    while in_flight < most && !cancel.is_cancelled() {
                        let (first, part) = match refused.take() {
                            Some(offered) => offered,
                            None => {
                                let part: Vec<_> =
                                    games.by_ref().take(chunk.min(most - in_flight)).collect();
                                next += part.len();
                                (next - part.len(), part)
                            }
                        };
                        if part.is_empty() {
                            break;
                        }
                        let n = part.len();
                        match self.pool().try_submit(vec![task(part.clone(), first)]) {
                            Ok(()) => in_flight += n,
                            Err(full) if in_flight == 0 => return Err(full.into()),
                            Err(_) => {
                                refused = Some((first, part));
                                break;
                            }
                        }
                    }
                    if in_flight == 0 {
                        return cancel.check();
                    }
                    // Our tasks hold a sender each, so this ends only with
                    // them.
                    let Ok((first, reports)) = rx.recv() else {
                        return cancel.check();
                    };
                    // Once cancelled, the tasks still queued skip their
                    // games (and send fewer reports): stop counting and go.
                    cancel.check()?;
                    in_flight -= reports.len();
                    deliver(first, reports);
                }
            }
        }
    }

    pub(super) fn chunk_size(&self, games: usize) -> usize {
        let fair = games
            .div_ceil(self.executor.workers * 4)
            .clamp(1, MAX_CHUNK);
        // Large batches take larger chunks rather than more than the queue.
        fair.max(games.div_ceil(self.pool().capacity()))
    }

    /// Runs the schedule-scoped constraints as one task.
    pub(super) fn schedule_scope(
        &self,
        schedule: &Arc<Schedule>,
        budget: Budget,
        refuse_when_full: bool,
    ) -> Result<Vec<Verdict>, Overloaded> {
        self.schedule_scope_knowing(schedule, budget, refuse_when_full, None)
    }

    /// [`schedule_scope`](Self::schedule_scope), taking the parts in
    /// `known` as they are, without asking the cache or the rule.
    pub(super) fn schedule_scope_knowing(
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
                Known::Parts(known.as_deref()),
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

    pub(super) fn submit(
        &self,
        tasks: Vec<Task>,
        refuse_when_full: bool,
    ) -> Result<(), Overloaded> {
        if refuse_when_full {
            self.pool().try_submit(tasks)
        } else {
            self.pool().submit(tasks);
            Ok(())
        }
    }

    /// A task that rules on `games` and sends their reports, tagged with
    /// `first`, the position of its first game in the batch.
    /// A game whose evaluation panics gets error verdicts; the others are
    /// not affected. Once `cancel` is cancelled the games left are not run
    /// (the reports sent are fewer).
    #[allow(
        clippy::too_many_arguments,
        reason = "each is one input of the evaluation the task belongs to"
    )]
    pub(super) fn games_task(
        &self,
        schedule: &Arc<Schedule>,
        games: Vec<Arc<Game>>,
        first: usize,
        blocked: Arc<[Option<Arc<str>>]>,
        budget: Budget,
        known: Option<Arc<KnownGames>>,
        tx: crossbeam_channel::Sender<(usize, Vec<Ruled>)>,
        cancel: Cancel,
    ) -> Task {
        let (rules, schedule) = (self.rules.clone(), schedule.clone());
        Box::new(move |runtime| {
            let mut order = rules.game_order(budget);
            // Every verdict of these games Redis may hold, in one round trip.
            let _fetched = rules.prefetch(&schedule, &games, &order);
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
                        let known = known.as_ref().and_then(|k| k.get(&g.id));
                        rules.evaluate_game(runtime, &schedule, g, &blocked, budget, &order, known)
                    }))
                    .unwrap_or_else(|_| (rules.panicked(g), None))
                })
                .collect();
            let _ = tx.send((first, reports));
        })
    }
}
