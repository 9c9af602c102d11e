//! Measured cost and rejection rate of each constraint, and the order they
//! suggest: among the constraints whose dependencies have run, the one most
//! likely to stop the game (a hard violation) per nanosecond goes first, so
//! fail-fast skips the expensive checks of games that a cheap one rejects.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use crate::manifests::DependencyGraph;

/// Calls a constraint needs before its figures are trusted for a chunk.
const WARM_CALLS: u64 = 8;

/// Running totals per registry position, shared by the workers.
pub(super) struct Costs {
    calls: Box<[AtomicU64]>,
    nanos: Box<[AtomicU64]>,
    rejections: Box<[AtomicU64]>,
}

impl Clone for Costs {
    fn clone(&self) -> Self {
        let copy = |v: &[AtomicU64]| {
            v.iter()
                .map(|a| AtomicU64::new(a.load(Ordering::Relaxed)))
                .collect()
        };
        Self {
            calls: copy(&self.calls),
            nanos: copy(&self.nanos),
            rejections: copy(&self.rejections),
        }
    }
}

impl Costs {
    pub(super) fn new(n: usize) -> Self {
        let zeros = || (0..n).map(|_| AtomicU64::new(0)).collect();
        Self {
            calls: zeros(),
            nanos: zeros(),
            rejections: zeros(),
        }
    }

    pub(super) fn record(&self, i: usize, took: Duration, rejected: bool) {
        self.calls[i].fetch_add(1, Ordering::Relaxed);
        self.nanos[i].fetch_add(took.as_nanos() as u64, Ordering::Relaxed);
        if rejected {
            self.rejections[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Calls, mean nanoseconds per call and hard-violation share.
    pub(super) fn of(&self, i: usize) -> (u64, f64, f64) {
        let calls = self.calls[i].load(Ordering::Relaxed);
        if calls == 0 {
            return (0, 0.0, 0.0);
        }
        let n = calls as f64;
        (
            calls,
            self.nanos[i].load(Ordering::Relaxed) as f64 / n,
            self.rejections[i].load(Ordering::Relaxed) as f64 / n,
        )
    }

    /// Whether some constraint of `plan` has too few measured calls for its
    /// figures to mean much.
    pub(super) fn warming(&self, plan: &[usize]) -> bool {
        plan.iter()
            .any(|&i| self.calls[i].load(Ordering::Relaxed) < WARM_CALLS)
    }

    /// Rejections per nanosecond; an unmeasured constraint ranks first so
    /// that it gets measured.
    fn yield_of(&self, i: usize) -> f64 {
        match self.of(i) {
            (0, _, _) => f64::INFINITY,
            (_, mean, rate) => rate / mean.max(1.0),
        }
    }

    /// `plan` reordered: dependencies still first, then by yield, ties in
    /// plan order.
    pub(super) fn order(&self, plan: &[usize], graph: &DependencyGraph) -> Vec<usize> {
        let mut placed = vec![false; self.calls.len()];
        // Dependencies outside `plan` (schedule-scoped) have already run.
        for p in placed.iter_mut() {
            *p = true;
        }
        for &i in plan {
            placed[i] = false;
        }
        let mut order = Vec::with_capacity(plan.len());
        while order.len() < plan.len() {
            let next = plan
                .iter()
                .copied()
                .filter(|&i| !placed[i] && graph.dependencies(i).iter().all(|&d| placed[d]))
                .fold(None::<(usize, f64)>, |best, i| {
                    let y = self.yield_of(i);
                    match best {
                        Some((_, by)) if by >= y => best,
                        _ => Some((i, y)),
                    }
                });
            let Some((i, _)) = next else {
                // A cycle cannot be in a loaded registry; keep the plan.
                return plan.to_vec();
            };
            placed[i] = true;
            order.push(i);
        }
        order
    }
}
