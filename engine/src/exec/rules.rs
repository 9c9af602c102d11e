//! What every worker shares ([`Rules`]: the league, the constraints in
//! order, their breakers, deadlines and costs, the cache) and how one game,
//! or the schedule scope, is ruled on: the order and fail-fast, the skips
//! of dependents, the cache around each call, a partitioned rule part by
//! part, the breakers.

use std::sync::Arc;
use std::time::{Duration, Instant};

use super::cost::Costs;
use super::{Deadlines, Order};
use crate::breaker::{Admit, Breaker, BreakerConfig};
use crate::cache::{Delta, GameEntry, Key, Reads, VerdictCache};
use crate::manifests::Partition;
use crate::model::fingerprint::Fingerprint;
use crate::model::reads::Fields;
use crate::model::{Game, GameReport, League, Schedule, Status, Verdict};
use crate::registry::Registry;
use crate::runtime::{self, Constraint, Runtime, Target};

/// What every worker shares: the league, the constraints, the order to run
/// them in, their breakers, the deadlines, and the measured costs.
#[derive(Clone)]
pub(super) struct Rules {
    pub(super) league: Arc<League>,
    pub(super) registry: Arc<Registry>,
    pub(super) plan: Plan,
    pub(super) breakers: Arc<[Breaker]>,
    pub(super) deadlines: Deadlines,
    pub(super) order: Order,
    pub(super) costs: Costs,
    pub(super) cache: Option<Arc<VerdictCache>>,
}

/// The instants one evaluation must keep to.
#[derive(Clone, Copy)]
pub(super) struct Budget {
    pub(super) request: Option<Instant>,
    pub(super) game: Option<Duration>,
    pub(super) fail_fast: bool,
    /// Record the calls' cost and outcome (for ordering by cost).
    pub(super) measure: bool,
    /// A what-if's: the games it judges are kept in the cache as whole
    /// game entries only (one insert a game, not one a verdict); a move
    /// tried again is found whole, and most moves tried are never tried
    /// again.
    pub(super) tentative: bool,
}

/// The evaluation order, split by scope, as positions in the registry.
#[derive(Clone)]
pub(super) struct Plan {
    pub(super) schedule: Vec<usize>,
    pub(super) game: Vec<usize>,
}

/// A game's report, with its cache entry when it has one.
pub(super) type Ruled = (GameReport, Option<Arc<GameEntry>>);

/// One part of a partitioned rule, as the season's evaluation left it.
pub(super) struct SeasonPart {
    pub(super) constraint: usize,
    pub(super) part: usize,
    pub(super) verdict: crate::Verdict,
    pub(super) reads: Reads,
}

/// Verdicts of parts of partitioned rules, by (registry position, part),
/// that are known to hold for the schedule under evaluation (a what-if's:
/// the season's, where the edit touches none of their reads).
pub(super) struct KnownParts {
    pub(super) parts: Arc<[SeasonPart]>,
    pub(super) holding: rustc_hash::FxHashMap<(usize, usize), usize>,
}

/// What an evaluation knows already, to take instead of asking: the
/// season's parts (for the schedule scope) or a game's entry (for a game).
#[derive(Clone, Copy)]
pub(super) enum Known<'a> {
    Parts(Option<&'a KnownParts>),
    Game(Option<&'a KnownGame>),
}

impl KnownParts {
    pub(super) fn get(&self, at: &(usize, usize)) -> Option<Verdict> {
        self.holding.get(at).map(|&n| self.parts[n].verdict.clone())
    }
}

thread_local! {
    /// While a game whose report may be cached is evaluated: each verdict's
    /// reads, by the constraint's registry position, in the order asked;
    /// `None` once one verdict could not be cached.
    static GAME_READS: std::cell::RefCell<Option<Vec<(u32, Reads)>>> =
        const { std::cell::RefCell::new(None) };
}

/// Adds the reads of constraint `i`'s verdict to the game being evaluated,
/// or (`None`) marks the game's report as one not to cache.
pub(super) fn game_reads(i: usize, reads: Option<&Reads>) {
    GAME_READS.with(|r| {
        let mut r = r.borrow_mut();
        match (r.as_mut(), reads) {
            (Some(all), Some(reads)) => all.push((i as u32, reads.clone())),
            (Some(_), None) => *r = None,
            (None, _) => {}
        }
    });
}

/// What a what-if knows of a game it judges again that did not change
/// itself: the season's entry for it, and the edit. A verdict of the entry
/// whose reads the edit does not touch (or that answer as before) holds,
/// as a cache hit would, without a lookup.
pub(super) struct KnownGame {
    pub(super) entry: Arc<GameEntry>,
    pub(super) delta: Arc<Delta>,
}

/// The games a what-if knows, by id.
pub(super) type KnownGames = rustc_hash::FxHashMap<Arc<str>, KnownGame>;

impl KnownGame {
    fn verdict(&self, i: usize, schedule: &Schedule, game: &Arc<Game>) -> Option<(Verdict, Reads)> {
        let (verdict, reads) = self.entry.verdict_of(i)?;
        let holds =
            (reads.iter()).all(|a| !self.delta.touches(&a.read) || a.holds(schedule, Some(game)));
        holds.then(|| {
            let mut verdict = verdict.clone();
            verdict.elapsed_us = 0;
            (verdict, reads.clone())
        })
    }
}

/// With ordering by cost, one game in this many has its calls measured.
pub(super) const MEASURE_EVERY: usize = 8;

pub(super) const PANICKED: &str =
    "the executor panicked while ruling on this; the worker carried on";

impl Rules {
    /// Rules on one game with the constraints in `order` (a permutation of
    /// the plan's); the verdicts come out in plan order whatever `order`.
    #[allow(
        clippy::too_many_arguments,
        reason = "each is one input of the game's evaluation"
    )]
    pub(super) fn evaluate_game(
        &self,
        runtime: &Runtime,
        schedule: &Arc<Schedule>,
        game: &Arc<Game>,
        blocked_by_schedule: &[Option<Arc<str>>],
        budget: Budget,
        order: &[usize],
        known: Option<&KnownGame>,
    ) -> Ruled {
        let memo = self.game_memo(schedule, game, blocked_by_schedule, budget, order);
        if let Some((cache, key)) = &memo {
            if let Some(entry) = cache.get_game(key, schedule, game) {
                return (entry.report.clone(), Some(entry));
            }
            GAME_READS.with(|r| *r.borrow_mut() = Some(Vec::new()));
        }
        // What the season knows stands only where a cache hit would.
        let known = known.filter(|_| memo.is_some());
        let mut blocked = blocked_by_schedule.to_vec();
        let verdicts = self.run_in_order(
            runtime,
            order,
            schedule,
            Some(game),
            &mut blocked,
            budget,
            Known::Game(known),
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
            (Some((cache, key)), Some(reads)) => {
                // With a memo the order is the plan's: the verdicts asked
                // come in its order, each at the position of its constraint.
                let mut at = self.plan.game.iter().enumerate();
                let asked = (reads.into_iter())
                    .filter_map(|(i, r)| {
                        let (k, _) = at.find(|&(_, &c)| c == i as usize)?;
                        Some((i, k as u32, r))
                    })
                    .collect();
                Some(cache.put_game(key, &report, asked))
            }
            _ => None,
        };
        (report, entry)
    }

    /// Whether games' whole reports may be cached (and an evaluation kept
    /// as a baseline): with a cache, no deadline, and the same order every
    /// run.
    pub(super) fn game_memo_applies(&self, budget: Budget) -> bool {
        self.cache.is_some()
            && budget.request.is_none()
            && budget.game.is_none()
            && !(self.order == Order::Cost && budget.fail_fast)
    }

    /// The cache and key under which a game's whole report may be kept:
    /// only when its verdicts depend on nothing but the schedule, the league
    /// and the constraints (no deadline, the same order every run).
    pub(super) fn game_memo(
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
            constraints[i].content_hash().hash(&mut h);
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
    pub(super) fn game_order(&self, budget: Budget) -> Vec<usize> {
        if self.order == Order::Cost && budget.fail_fast {
            self.costs.order(&self.plan.game, self.registry.graph())
        } else {
            self.plan.game.clone()
        }
    }

    /// The schedule-scoped verdicts when their task panicked: errors.
    pub(super) fn schedule_panicked(&self) -> Vec<Verdict> {
        self.plan
            .schedule
            .iter()
            .map(|&i| self.registry.constraints()[i].unrun(Status::Error, PANICKED.into()))
            .collect()
    }

    /// The report of a game whose evaluation panicked.
    pub(super) fn panicked(&self, game: &Arc<Game>) -> GameReport {
        let verdicts = self
            .plan
            .game
            .iter()
            .map(|&i| self.registry.constraints()[i].unrun(Status::Error, PANICKED.into()))
            .collect();
        GameReport::new(game, verdicts)
    }

    pub(super) fn budget(&self, started: Instant) -> Budget {
        Budget {
            request: self.deadlines.request.map(|d| started + d),
            game: self.deadlines.game,
            fail_fast: self.deadlines.fail_fast,
            measure: false,
            tentative: false,
        }
    }

    /// For each registry position, why a dependent must skip (the failed
    /// schedule-scoped constraint's status), if it must.
    pub(super) fn blocked_by_schedule(&self, verdicts: &[Verdict]) -> Vec<Option<Arc<str>>> {
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
    pub(super) fn run_in_order(
        &self,
        runtime: &Runtime,
        order: &[usize],
        schedule: &Arc<Schedule>,
        game: Option<&Arc<Game>>,
        blocked: &mut [Option<Arc<str>>],
        budget: Budget,
        known: Known<'_>,
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
                            let parts = match known {
                                Known::Parts(parts) => parts,
                                Known::Game(_) => None,
                            };
                            self.call_parts(runtime, i, p, schedule, cap, parts)
                        }
                        (None, game, _) => {
                            let target = game.map_or(Target::Schedule, Target::Game);
                            let known = match known {
                                Known::Game(g) => g,
                                Known::Parts(_) => None,
                            };
                            self.call(runtime, i, schedule, target, cap, budget, known)
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
    pub(super) fn cache_key(
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
            Target::Part(p, k) => part_key(
                p,
                runtime::part_id(&self.league, p, k),
                schedule,
                c.manifest
                    .wasm
                    .and_then(|w| w.fields)
                    .unwrap_or(Fields::ALL),
            ),
        };
        let key = Key {
            constraint: c.content_hash(),
            league: self.league.fingerprint(),
            game,
        };
        Some((cache, key))
    }

    /// Brings from the shared cache (L2), in one round trip, the verdicts
    /// of `games` under the constraints in `order` that L1 does not hold.
    pub(super) fn prefetch(
        &self,
        schedule: &Schedule,
        games: &[Arc<Game>],
        order: &[usize],
    ) -> Option<crate::cache::Fetched> {
        let cache = self.cache.as_ref().filter(|c| c.shared())?;
        let keys = games.iter().flat_map(|g| {
            order
                .iter()
                .filter_map(|&i| self.cache_key(i, schedule, Target::Game(g)))
                .map(|(_, key)| key)
        });
        Some(cache.prefetch(keys))
    }

    /// One call through the constraint's breaker (unless `known`, or
    /// else the cache, holds its verdict).
    #[allow(clippy::too_many_arguments, reason = "each is one input of the call")]
    pub(super) fn call(
        &self,
        runtime: &Runtime,
        i: usize,
        schedule: &Arc<Schedule>,
        target: Target<'_>,
        cap: Option<Instant>,
        budget: Budget,
        known: Option<&KnownGame>,
    ) -> Verdict {
        let c = &self.registry.constraints()[i];
        let _span = tracing::trace_span!("constraint", id = %c.manifest.id).entered();
        if let (Some(known), Target::Game(game)) = (known, target)
            && let Some((verdict, reads)) = known.verdict(i, schedule, game)
        {
            if let Some(cache) = &self.cache {
                cache.count_hits(1);
            }
            game_reads(i, Some(&reads));
            return verdict;
        }
        let cached = self.cache_key(i, schedule, target);
        if let Some((cache, key)) = &cached
            && let Some((hit, reads)) = cache.lookup(key, schedule, target.game())
        {
            game_reads(i, Some(&reads));
            return hit;
        }
        let breaker = &self.breakers[i];
        let started = Instant::now();
        let admitted = breaker.admit(started);
        if admitted == Admit::Fallback {
            game_reads(i, None);
            return c.fallback(&breaker.reason());
        }
        let verdict =
            self.run_and_store(runtime, i, schedule, target, cap, cached, budget.tentative);
        if budget.measure {
            self.costs
                .record(i, started.elapsed(), verdict.is_hard_violation());
        }
        self.settle(i, started, admitted, cap, verdict.status);
        verdict
    }

    /// Asks a partitioned rule about each of its parts (those the cache
    /// does not answer) under one admission of its breaker, and merges the
    /// parts' verdicts.
    pub(super) fn call_parts(
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
        // The parts the season does not answer for, from Redis in one
        // round trip.
        let _fetched = self.cache.as_ref().filter(|c| c.shared()).map(|cache| {
            cache.prefetch(
                (0..n)
                    .filter(|&k| known.is_none_or(|m| m.get(&(i, k)).is_none()))
                    .filter_map(|k| self.cache_key(i, schedule, Target::Part(partition, k)))
                    .map(|(_, key)| key),
            )
        });
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
                let v = self.run_and_store(runtime, i, schedule, target, cap, cached, false);
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
    /// keep; notes the reads for the game under evaluation. When
    /// `tentative` and the game's whole report will be stored, the verdict
    /// is kept with it only, not on its own.
    #[allow(clippy::too_many_arguments, reason = "each is one input of the call")]
    pub(super) fn run_and_store(
        &self,
        runtime: &Runtime,
        i: usize,
        schedule: &Arc<Schedule>,
        target: Target<'_>,
        cap: Option<Instant>,
        cached: Option<(&Arc<VerdictCache>, Key)>,
        tentative: bool,
    ) -> Verdict {
        let c = &self.registry.constraints()[i];
        let (verdict, reads) = runtime.evaluate_noting(c, schedule, target, cap, cached.is_some());
        let whole_only = tentative && GAME_READS.with(|r| r.borrow().is_some());
        let stored = match (cached, reads) {
            (Some((cache, _)), Some(reads))
                if whole_only && matches!(verdict.status, Status::Passed | Status::Violated) =>
            {
                cache.answers(reads, schedule, target.game())
            }
            (Some((cache, key)), Some(reads))
                if matches!(verdict.status, Status::Passed | Status::Violated) =>
            {
                cache.put(key, &verdict, reads, schedule, target.game())
            }
            _ => None,
        };
        game_reads(i, stored.as_ref());
        verdict
    }

    /// Tells constraint `i`'s breaker how a call admitted at `started` went.
    pub(super) fn settle(
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
/// say, as for every entry. The games count with the `fields` the rule's
/// manifest says it reads (every field unless it says): a move that leaves
/// them as they were finds the part's verdict under the same key. Shared
/// through L2, so a fingerprint: the partition (a byte: 0 team, 1 venue),
/// the id and, for a team, its games' fingerprints over `fields`
/// ([`Fields::fingerprint`]) in order (a list).
pub(super) fn part_key(partition: Partition, id: &str, schedule: &Schedule, fields: Fields) -> u64 {
    let mut f = Fingerprint::new();
    match partition {
        Partition::Team => {
            let games = schedule.games_of(id);
            f.u8(0).str(id).usize(games.len());
            for g in games {
                f.u64(fields.fingerprint(schedule, g));
            }
        }
        Partition::Venue => {
            f.u8(1).str(id);
        }
    }
    f.finish()
}

pub(super) fn breakers(registry: &Registry, config: BreakerConfig) -> Arc<[Breaker]> {
    registry
        .constraints()
        .iter()
        .map(|c| Breaker::new(c.manifest.id.clone(), config))
        .collect()
}

/// A constraint not run because the request's or the game's deadline passed.
pub(super) fn not_run(c: &Constraint, request: bool) -> Verdict {
    let whose = if request { "request's" } else { "game's" };
    c.unrun(
        Status::Timeout,
        format!("not run: the {whose} deadline had passed"),
    )
}

/// A constraint not run because fail-fast stopped the game at a hard
/// violation.
pub(super) fn fail_fast_skip(c: &Constraint, first: &str) -> Verdict {
    c.unrun(
        Status::Skipped,
        format!("skipped: fail-fast stopped this game at the hard violation of `{first}`"),
    )
}

pub(super) fn block_reason(v: &Verdict) -> Arc<str> {
    v.status.as_str().into()
}

pub(super) fn skipped(c: &Constraint, dep: &str, why: &str) -> Verdict {
    c.unrun(
        Status::Skipped,
        format!("skipped: depends on hard constraint `{dep}`, which was {why}"),
    )
}
