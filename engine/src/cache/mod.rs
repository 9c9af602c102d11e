//! The verdict cache: L1 in process (moka), bounded by weight in bytes, with
//! time-to-live and time-to-idle.
//!
//! A key names the constraint's content (its manifest with params, and its
//! code), the league, and the game (by fingerprint; the schedule's for a
//! schedule-scoped rule). The entry holds the verdict and the schedule
//! queries the evaluation made, each with the fingerprint of its answer
//! over the fields of the games the evaluation looked at. A lookup re-asks
//! those queries of the schedule at hand and serves the verdict only if
//! every answer is the same, so a cached verdict is never one a fresh
//! evaluation would not give: moving a game leaves the verdicts of games
//! whose queries it does not touch in place, and re-evaluates the rest.

mod config;
mod l2;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

pub(crate) use umpire_model::reads::{Answer, Delta, Read, Seen, Subject};

use crate::error::{Error, Result};
use crate::model::{CacheStats, Game, GameReport, L2Stats, LayerStats, Schedule, Status, Verdict};
pub use config::{CacheConfig, RedisConfig};
use l2::{L2, Stored};

thread_local! {
    /// What [`VerdictCache::prefetch`] brought from L2 for this thread's
    /// lookups: per key, the entry, or `None` when Redis has none.
    static FETCHED: std::cell::RefCell<Option<rustc_hash::FxHashMap<Key, Option<Stored>>>> =
        const { std::cell::RefCell::new(None) };
}

/// While it lives, this thread's lookups take their L2 answers from a
/// prefetch; dropped, they ask Redis again.
#[must_use = "the prefetched answers are dropped with it"]
pub(crate) struct Fetched(());

impl Drop for Fetched {
    fn drop(&mut self) {
        FETCHED.with(|f| *f.borrow_mut() = None);
    }
}

/// What a cached verdict answers for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// The constraint's content: manifest, params and code
    /// ([`Constraint::content_hash`](crate::Constraint::content_hash)).
    pub constraint: u64,
    /// The league's fingerprint ([`League::fingerprint`](crate::League::fingerprint)).
    pub league: u64,
    /// The game's fingerprint ([`Schedule::fingerprint_of`]), or 0 for the
    /// schedule scope.
    pub game: u64,
}

/// A game's whole report and the union of what its verdicts were read from:
/// when none of it changed, the game needs no lookup per constraint.
#[derive(Debug)]
pub(crate) struct GameEntry {
    pub(crate) report: GameReport,
    pub(crate) reads: Reads,
    /// Each verdict asked of its constraint (a skipped one is not): the
    /// constraint's position in the registry, the verdict's position in
    /// the report, and the reads it stands on; by registry position.
    asked: Box<[(u32, u32, Reads)]>,
    calls: u64,
}

impl GameEntry {
    /// The constraint calls its report stands for (those not skipped): the
    /// hits it counts when served.
    pub(crate) fn calls(&self) -> u64 {
        self.calls
    }

    /// The verdict of the constraint at registry position `constraint`,
    /// with the reads it stands on, when it was asked.
    pub(crate) fn verdict_of(&self, constraint: usize) -> Option<(&Verdict, &Reads)> {
        let at = self
            .asked
            .binary_search_by_key(&constraint, |&(c, ..)| c as usize)
            .ok()?;
        let (_, k, reads) = &self.asked[at];
        Some((self.report.verdicts.get(*k as usize)?, reads))
    }
}

/// A verdict and what it was read from.
#[derive(Debug)]
pub(crate) struct Entry {
    verdict: Verdict,
    reads: Reads,
}

/// Up to this many reads, repeats are found by looking through the list.
const FEW_READS: usize = 8;

/// Fingerprinted reads, shared between the entry and whoever collects a
/// game's reads (a hit clones a pointer, not the list).
pub(crate) type Reads = Arc<[Answer]>;

impl Entry {
    /// Approximate bytes held, for the weigher.
    fn weight(&self) -> u32 {
        let v = &self.verdict;
        let text: usize = v.message.as_deref().map_or(0, str::len)
            + v.violations
                .iter()
                .map(|x| {
                    x.message.len()
                        + x.suggestion.as_deref().map_or(0, str::len)
                        + x.entities.len() * 32
                        + 64
                })
                .sum::<usize>();
        let size = std::mem::size_of::<Self>() + text + self.reads.len() * 48 + 64;
        u32::try_from(size).unwrap_or(u32::MAX)
    }
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    misses: AtomicU64,
    stale: AtomicU64,
    inserts: AtomicU64,
    evictions: Arc<AtomicU64>,
}

/// The layered verdict cache, shared by every worker.
pub struct VerdictCache {
    l1: moka::sync::Cache<Key, Arc<Entry>, rustc_hash::FxBuildHasher>,
    games: moka::sync::Cache<Key, Arc<GameEntry>, rustc_hash::FxBuildHasher>,
    counters: Counters,
    l2: Option<(L2, Counters)>,
    /// Bumped by [`VerdictCache::clear`]: what was taken from the cache
    /// before (an evaluator's baseline) is not to be served after.
    generation: AtomicU64,
}

impl std::fmt::Debug for VerdictCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VerdictCache")
            .field("stats", &self.stats())
            .finish()
    }
}

impl VerdictCache {
    /// A cache as `config` says: L1 always, L2 when `config.redis` is set
    /// (connected lazily; a Redis that is down only costs L2's hits).
    pub fn new(config: &CacheConfig) -> Result<Self> {
        let counters = Counters::default();
        let evictions = counters.evictions.clone();
        let mut l1 = moka::sync::Cache::builder()
            .max_capacity(config.max_mb.saturating_mul(1 << 20))
            .weigher(|_: &Key, e: &Arc<Entry>| e.weight())
            .eviction_listener(move |_, _, cause| {
                if cause.was_evicted() {
                    evictions.fetch_add(1, Ordering::Relaxed);
                }
            });
        if config.ttl_s > 0 {
            l1 = l1.time_to_live(Duration::from_secs(config.ttl_s));
        }
        if config.tti_s > 0 {
            l1 = l1.time_to_idle(Duration::from_secs(config.tti_s));
        }
        let l2 = match &config.redis {
            Some(r) => Some((
                L2::new(r).map_err(|message| Error::Config {
                    path: "cache.redis".into(),
                    message,
                })?,
                Counters::default(),
            )),
            None => None,
        };
        let mut games = moka::sync::Cache::builder()
            .max_capacity(config.max_mb.saturating_mul(1 << 20) / 4)
            .weigher(|_: &Key, e: &Arc<GameEntry>| {
                let size = e.report.verdicts.len() * 256 + e.reads.len() * 48 + 256;
                u32::try_from(size).unwrap_or(u32::MAX)
            });
        if config.ttl_s > 0 {
            games = games.time_to_live(Duration::from_secs(config.ttl_s));
        }
        if config.tti_s > 0 {
            games = games.time_to_idle(Duration::from_secs(config.tti_s));
        }
        Ok(Self {
            games: games.build_with_hasher(rustc_hash::FxBuildHasher),
            l1: l1.build_with_hasher(rustc_hash::FxBuildHasher),
            counters,
            l2,
            generation: AtomicU64::new(0),
        })
    }

    /// The verdict stored for `key`, if every query it was read from answers
    /// the same in `schedule` (with `game` the game under evaluation).
    pub fn get(&self, key: &Key, schedule: &Schedule, game: Option<&Arc<Game>>) -> Option<Verdict> {
        self.lookup(key, schedule, game).map(|(v, _)| v)
    }

    /// As [`VerdictCache::get`], with the reads the verdict stands on.
    pub(crate) fn lookup(
        &self,
        key: &Key,
        schedule: &Schedule,
        game: Option<&Arc<Game>>,
    ) -> Option<(Verdict, Reads)> {
        let valid = |reads: &[Answer]| reads.iter().all(|a| a.holds(schedule, game));
        let c = &self.counters;
        match self.l1.get(key) {
            Some(entry) if valid(&entry.reads) => {
                c.hits.fetch_add(1, Ordering::Relaxed);
                let mut verdict = entry.verdict.clone();
                verdict.elapsed_us = 0;
                return Some((verdict, entry.reads.clone()));
            }
            Some(_) => {
                c.misses.fetch_add(1, Ordering::Relaxed);
                c.stale.fetch_add(1, Ordering::Relaxed);
            }
            None => {
                c.misses.fetch_add(1, Ordering::Relaxed);
            }
        }
        let (l2, c) = self.l2.as_ref()?;
        let fetched = FETCHED.with(|f| f.borrow_mut().as_mut().and_then(|m| m.remove(key)));
        let stored = fetched.unwrap_or_else(|| l2.get(key)).map(|s| {
            let fields = s.fields;
            let reads: Vec<Answer> = (s.reads.into_iter())
                .map(|(read, fingerprint)| Answer {
                    read,
                    fields,
                    fingerprint,
                })
                .collect();
            (s.verdict, reads)
        });
        match stored {
            Some((verdict, reads)) if valid(&reads) => {
                c.hits.fetch_add(1, Ordering::Relaxed);
                let reads: Reads = reads.into();
                let found = (verdict.clone(), reads.clone());
                self.l1.insert(*key, Arc::new(Entry { verdict, reads }));
                Some(found)
            }
            Some(_) => {
                c.misses.fetch_add(1, Ordering::Relaxed);
                c.stale.fetch_add(1, Ordering::Relaxed);
                None
            }
            None => {
                c.misses.fetch_add(1, Ordering::Relaxed);
                None
            }
        }
    }

    /// Whether it has a shared layer (L2).
    pub(crate) fn shared(&self) -> bool {
        self.l2.is_some()
    }

    /// Brings from L2, in one round trip, the entries of `keys` that L1
    /// does not hold, for this thread's lookups while the answer lives:
    /// each then takes its L2 answer (an entry, or none) from what came
    /// back instead of asking Redis, and counts as it would have.
    pub(crate) fn prefetch(&self, keys: impl IntoIterator<Item = Key>) -> Fetched {
        let Some((l2, _)) = &self.l2 else {
            return Fetched(());
        };
        let mut wanted: Vec<Key> = keys
            .into_iter()
            .filter(|k| !self.l1.contains_key(k))
            .collect();
        wanted.sort_unstable_by_key(|k| (k.constraint, k.game));
        wanted.dedup();
        if wanted.is_empty() {
            return Fetched(());
        }
        if let Some(found) = l2.get_many(&wanted) {
            let map = wanted.into_iter().zip(found).collect();
            FETCHED.with(|f| *f.borrow_mut() = Some(map));
        }
        Fetched(())
    }

    /// Stores `verdict` under `key` with the queries it was read from,
    /// fingerprinted against `schedule` over the fields the call looked
    /// at; returns those fingerprinted reads (`None` if it could not be
    /// stored).
    pub(crate) fn put(
        &self,
        key: Key,
        verdict: &Verdict,
        seen: Seen,
        schedule: &Schedule,
        game: Option<&Arc<Game>>,
    ) -> Option<Reads> {
        let fields = seen.fields;
        let fingerprinted = Self::fingerprinted(seen, schedule, game)?;
        self.counters.inserts.fetch_add(1, Ordering::Relaxed);
        let mut verdict = verdict.clone();
        verdict.elapsed_us = 0;
        if let Some((l2, c)) = &self.l2 {
            c.inserts.fetch_add(1, Ordering::Relaxed);
            l2.put(
                &key,
                &Stored {
                    verdict: verdict.clone(),
                    reads: (fingerprinted.iter())
                        .map(|a| (a.read.clone(), a.fingerprint))
                        .collect(),
                    fields,
                },
            );
        }
        let reads: Reads = fingerprinted.into();
        self.l1.insert(
            key,
            Arc::new(Entry {
                verdict,
                reads: reads.clone(),
            }),
        );
        Some(reads)
    }

    /// The reads `seen` fingerprinted against `schedule`, as
    /// [`put`](Self::put) stores them, without storing a verdict: for a
    /// verdict kept only as part of its game's whole report.
    pub(crate) fn answers(
        &self,
        seen: Seen,
        schedule: &Schedule,
        game: Option<&Arc<Game>>,
    ) -> Option<Reads> {
        Self::fingerprinted(seen, schedule, game).map(Reads::from)
    }

    /// Each read of `seen` once, with its answer's fingerprint in
    /// `schedule` over the fields the call looked at; `None` if one makes
    /// no sense there.
    fn fingerprinted(
        seen: Seen,
        schedule: &Schedule,
        game: Option<&Arc<Game>>,
    ) -> Option<Vec<Answer>> {
        let Seen { reads, fields } = seen;
        let mut fingerprinted: Vec<Answer> = Vec::with_capacity(reads.len());
        // Most calls make a query or two: a set to drop the repeats would
        // cost more than looking through those.
        let mut asked = (reads.len() > FEW_READS)
            .then(|| std::collections::HashSet::with_capacity(reads.len()));
        for read in reads {
            let repeat = match asked.as_mut() {
                Some(set) => !set.insert(read.clone()),
                None => fingerprinted.iter().any(|a| a.read == read),
            };
            if repeat {
                continue;
            }
            // Recorded against this very schedule, so every question makes
            // sense; skip storing if one somehow does not.
            fingerprinted.push(Answer::of(read, fields, schedule, game)?);
        }
        Some(fingerprinted)
    }

    /// A game's whole report stored under `key`, if nothing it was read
    /// from changed; its verdicts count as hits.
    pub(crate) fn get_game(
        &self,
        key: &Key,
        schedule: &Schedule,
        game: &Arc<Game>,
    ) -> Option<Arc<GameEntry>> {
        let entry = self.games.get(key)?;
        let valid = entry.reads.iter().all(|a| a.holds(schedule, Some(game)));
        if !valid {
            return None;
        }
        self.hit_game(&entry);
        Some(entry)
    }

    /// Counts a game's report served without asking its constraints.
    pub(crate) fn hit_game(&self, entry: &GameEntry) {
        self.count_hits(entry.calls);
    }

    /// Counts `calls` verdicts served without asking their constraints
    /// (the sum of [`GameEntry::calls`] over the reports served).
    pub(crate) fn count_hits(&self, calls: u64) {
        self.counters.hits.fetch_add(calls, Ordering::Relaxed);
    }

    /// Stores a game's whole report with the union of its verdicts' reads;
    /// returns the entry.
    /// `asked` is each verdict asked of its constraint: the constraint's
    /// registry position, the verdict's position in `report`, and its
    /// reads.
    pub(crate) fn put_game(
        &self,
        key: Key,
        report: &GameReport,
        mut asked: Vec<(u32, u32, Reads)>,
    ) -> Arc<GameEntry> {
        let mut seen = std::collections::HashSet::new();
        let reads: Reads = (asked.iter())
            .flat_map(|(.., reads)| reads.iter())
            .filter(|r| seen.insert(*r))
            .cloned()
            .collect();
        asked.sort_unstable_by_key(|&(c, ..)| c);
        let mut report = report.clone();
        report.verdicts.iter_mut().for_each(|v| v.elapsed_us = 0);
        let calls = report
            .verdicts
            .iter()
            .filter(|v| v.status != Status::Skipped)
            .count() as u64;
        let entry = Arc::new(GameEntry {
            report,
            reads,
            asked: asked.into(),
            calls,
        });
        self.games.insert(key, entry.clone());
        entry
    }

    /// Drops every entry (after a plugin reload, say; keys name the
    /// constraint's content, so stale entries could not be served anyway,
    /// but they take room), in Redis too: returns how many shared entries
    /// went, or `None` without a shared layer or when Redis could not be
    /// asked.
    pub fn clear(&self) -> Option<u64> {
        self.generation.fetch_add(1, Ordering::Relaxed);
        self.l1.invalidate_all();
        self.games.invalidate_all();
        self.l2.as_ref().and_then(|(l2, _)| l2.clear())
    }

    /// How many times the cache was cleared.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// Waits (at most `timeout`) until the writes queued for L2 were tried,
    /// so that a process about to exit leaves its verdicts to the others;
    /// whether they were. True at once without L2.
    pub fn flush(&self, timeout: Duration) -> bool {
        self.l2.as_ref().is_none_or(|(l2, _)| l2.flush(timeout))
    }

    /// The counters so far.
    pub fn stats(&self) -> CacheStats {
        self.l1.run_pending_tasks();
        let mut l1 = layer(&self.counters);
        l1.entries = self.l1.entry_count();
        l1.bytes = self.l1.weighted_size();
        CacheStats {
            l1,
            reused_games: 0,
            l2: self.l2.as_ref().map(|(l2, c)| {
                let own = l2.counters();
                L2Stats {
                    layer: layer(c),
                    written: own.writes.load(Ordering::Relaxed),
                    errors: own.errors.load(Ordering::Relaxed),
                    dropped_writes: own.dropped_writes.load(Ordering::Relaxed),
                    skipped: own.skipped.load(Ordering::Relaxed),
                    breaker: l2.breaker().state().as_str().to_owned(),
                }
            }),
        }
    }
}

fn layer(c: &Counters) -> LayerStats {
    let (hits, misses) = (
        c.hits.load(Ordering::Relaxed),
        c.misses.load(Ordering::Relaxed),
    );
    LayerStats {
        hits,
        misses,
        stale: c.stale.load(Ordering::Relaxed),
        hit_rate: if hits + misses == 0 {
            0.0
        } else {
            hits as f64 / (hits + misses) as f64
        },
        inserts: c.inserts.load(Ordering::Relaxed),
        evictions: c.evictions.load(Ordering::Relaxed),
        entries: 0,
        bytes: 0,
    }
}
