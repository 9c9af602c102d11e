//! The baseline: the last evaluation's game reports with what each was
//! read from, so that the next evaluation of a schedule that differs in a
//! few games re-runs only the games the change touches.

use std::sync::atomic::Ordering;
use std::sync::{Arc, OnceLock};

use super::Evaluator;
use super::rules::Budget;
use crate::cache::{Delta, GameEntry, Read};
use crate::model::reads::Answers;
use crate::model::{GameReport, Schedule};

/// An evaluation's game reports with what each was read from, by position.
/// The next evaluation of a schedule that differs in a few games takes the
/// report of every other game from here, unless the change touches one of
/// its reads, without a cache lookup.
pub(super) struct Baseline {
    pub(super) schedule: Arc<Schedule>,
    pub(super) blocked: Arc<[Option<Arc<str>>]>,
    pub(super) fail_fast: bool,
    pub(super) games: Vec<Option<Arc<GameEntry>>>,
    /// The cache's generation it was built in: clearing the cache drops it.
    pub(super) generation: u64,
    /// Which games read what, made when a what-if first needs it.
    pub(super) topics: OnceLock<Topics>,
}

/// The baseline's games by what their recorded reads are about: a change
/// can only make a game's reads answer differently when it touches one of
/// the game's topics (as [`Delta::touches`] decides), so only those games
/// need their reads asked again.
#[derive(Default)]
pub(super) struct Topics {
    pub(super) by: rustc_hash::FxHashMap<Topic, Vec<u32>>,
    /// Games that read the number of games.
    pub(super) len: Vec<u32>,
    /// Games that read by position or the whole schedule (asked again
    /// after any change).
    pub(super) always: Vec<u32>,
}

#[derive(PartialEq, Eq, Hash)]
pub(super) enum Topic {
    Id(Arc<str>),
    Team(Arc<str>),
    VenueDate(Arc<str>, jiff::civil::Date),
    Date(jiff::civil::Date),
}

impl Topics {
    pub(super) fn of(base: &Baseline) -> Self {
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
    pub(super) fn suspects(&self, delta: &Delta, games: usize) -> Vec<bool> {
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

/// A baseline is of use when at most this share of the games changed.
pub(super) const BASELINE_MOST_CHANGED: usize = 8;

impl Evaluator {
    /// Fills in the reports the last evaluation's baseline still answers for
    /// `schedule` (games that did not change and whose reads the changes
    /// do not touch, or answer as before); returns the positions left to
    /// evaluate.
    pub(super) fn reuse(
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
    pub(super) fn baseline_applies(
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
    pub(super) fn kept(
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
    pub(super) fn kept_after(
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
        let mut answers = Answers::of(schedule);
        for (i, g) in games.iter().enumerate() {
            let mut holds = |j: usize, e: &Arc<GameEntry>| {
                suspects.as_ref().is_some_and(|s| !s[j])
                    || (e.reads.iter())
                        .all(|a| !delta.touches(&a.read) || answers.holds(a, Some(g)))
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
}
