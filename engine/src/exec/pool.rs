//! The worker pool: threads that each own their runtimes (a Rhai engine, the
//! WebAssembly stores) and take tasks from one shared queue, so an idle
//! worker picks up the next chunk of whatever batch is waiting.
//!
//! The queue is bounded in tasks. A submission is admitted whole or not at
//! all: [`Pool::try_submit`] answers [`Overloaded`] at once when the queue
//! has no room, [`Pool::submit`] waits for room. Workers rebuild their
//! runtimes after a configured number of constraint calls, or after a call
//! [tainted](Runtime::tainted) them (a WebAssembly trap or timeout, a panic
//! in the host), never for a plugin's own error; a panic inside a task never
//! takes a worker down.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use serde::Serialize;

use crate::runtime::Runtime;

/// The queue is full: the work was not accepted; try again later.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("overloaded: the executor's queue is full ({queued} of {capacity} chunks waiting)")]
pub struct Overloaded {
    /// Tasks waiting when the work was refused.
    pub queued: usize,
    /// The queue's capacity.
    pub capacity: usize,
}

/// A unit of work: it gets the worker's runtime.
pub(crate) type Task = Box<dyn FnOnce(&Runtime) + Send>;

/// Makes a fresh runtime for a worker.
pub(crate) type MakeRuntime = Arc<dyn Fn() -> Runtime + Send + Sync>;

/// What the pool has done so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[schema(as = Pool)]
pub struct PoolStats {
    /// Worker threads.
    pub workers: usize,
    /// Tasks the queue holds at most.
    pub capacity: usize,
    /// Tasks waiting for a worker now.
    pub queued: usize,
    /// Tasks running now.
    pub running: usize,
    /// Tasks run.
    pub completed: u64,
    /// Of those, tasks a caller ran on its own thread in place of an idle
    /// worker (small evaluations; `[executor] inline_games`).
    pub inline: u64,
    /// Submissions refused as overloaded.
    pub overloaded: u64,
    /// Runtimes rebuilt (after the call budget, or a call that tainted
    /// them: a WebAssembly trap or timeout, a panic).
    pub recycled: u64,
    /// Tasks that panicked (each contained to its task).
    pub panics: u64,
}

struct Shared {
    capacity: usize,
    /// Tasks admitted and not yet taken by a worker; guarded so that a
    /// waiting submitter can sleep until there is room.
    queued: Mutex<usize>,
    room: Condvar,
    running: AtomicUsize,
    completed: AtomicU64,
    inline: AtomicU64,
    overloaded: AtomicU64,
    recycled: AtomicU64,
    panics: AtomicU64,
}

/// Worker threads and the bounded queue in front of them.
pub(crate) struct Pool {
    tx: Option<Sender<Task>>,
    threads: Vec<JoinHandle<()>>,
    shared: Arc<Shared>,
    /// A runtime for a submitting thread itself (see [`Pool::run_inline`]),
    /// made on first use.
    inline: Mutex<Option<Runtime>>,
    make: MakeRuntime,
    recycle_after: u64,
}

impl Pool {
    /// Starts `workers` threads, each with a runtime from `make`, rebuilt
    /// after `recycle_after` calls (0: only once a call tainted it).
    pub(crate) fn new(
        workers: usize,
        capacity: usize,
        recycle_after: u64,
        make: MakeRuntime,
    ) -> Self {
        let (tx, rx) = crossbeam_channel::unbounded::<Task>();
        let shared = Arc::new(Shared {
            capacity: capacity.max(1),
            queued: Mutex::new(0),
            room: Condvar::new(),
            running: AtomicUsize::new(0),
            completed: AtomicU64::new(0),
            inline: AtomicU64::new(0),
            overloaded: AtomicU64::new(0),
            recycled: AtomicU64::new(0),
            panics: AtomicU64::new(0),
        });
        let threads = (0..workers.max(1))
            .map(|n| {
                let (rx, shared, make) = (rx.clone(), shared.clone(), make.clone());
                let make: MakeRuntime = make;
                std::thread::Builder::new()
                    .name(format!("umpire-worker-{n}"))
                    .spawn(move || work(&rx, &shared, &make, recycle_after))
                    .expect("the OS refused to start a worker thread")
            })
            .collect();
        Self {
            tx: Some(tx),
            threads,
            shared,
            inline: Mutex::new(None),
            make,
            recycle_after,
        }
    }

    /// Runs a small task on the calling thread, with the pool's inline
    /// runtime, in place of an idle worker: when that runtime is free, no
    /// task is waiting and a worker is idle. A hand-off to a worker (two
    /// thread wake-ups) costs more than a few cached lookups. Otherwise
    /// gives the task back, to be submitted. One caller at a time runs
    /// inline, so the queue's bound holds and at most one thread more than
    /// the workers runs at any moment.
    pub(crate) fn run_inline(&self, task: Task) -> Result<(), Task> {
        let Ok(mut inline) = self.inline.try_lock() else {
            return Err(task);
        };
        let idle = self.shared.running.load(Ordering::Relaxed) < self.threads.len();
        if !idle || *self.lock() > 0 {
            return Err(task);
        }
        let runtime = inline.get_or_insert_with(|| (self.make)());
        let s = &self.shared;
        s.running.fetch_add(1, Ordering::Relaxed);
        let panicked =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task(runtime))).is_err();
        if panicked {
            s.panics.fetch_add(1, Ordering::Relaxed);
            tracing::error!("a task panicked on its caller's thread; the runtime is replaced");
        }
        let spent = self.recycle_after > 0 && runtime.calls() >= self.recycle_after;
        if panicked || spent || runtime.tainted() {
            *inline = None;
            s.recycled.fetch_add(1, Ordering::Relaxed);
        }
        s.completed.fetch_add(1, Ordering::Relaxed);
        s.inline.fetch_add(1, Ordering::Relaxed);
        s.running.fetch_sub(1, Ordering::Relaxed);
        Ok(())
    }

    /// The queue's capacity in tasks.
    pub(crate) fn capacity(&self) -> usize {
        self.shared.capacity
    }

    /// Admits all of `tasks`, or none and says the queue is full.
    pub(crate) fn try_submit(&self, tasks: Vec<Task>) -> Result<(), Overloaded> {
        {
            let mut queued = self.lock();
            if !fits(*queued, tasks.len(), self.shared.capacity) {
                self.shared.overloaded.fetch_add(1, Ordering::Relaxed);
                return Err(Overloaded {
                    queued: *queued,
                    capacity: self.shared.capacity,
                });
            }
            *queued += tasks.len();
        }
        self.send(tasks);
        Ok(())
    }

    /// Admits all of `tasks`, waiting for room if the queue is full.
    pub(crate) fn submit(&self, tasks: Vec<Task>) {
        {
            let mut queued = self.lock();
            while !fits(*queued, tasks.len(), self.shared.capacity) {
                queued = self
                    .shared
                    .room
                    .wait(queued)
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
            }
            *queued += tasks.len();
        }
        self.send(tasks);
    }

    fn send(&self, tasks: Vec<Task>) {
        if let Some(tx) = &self.tx {
            for task in tasks {
                // The workers hold the receiver until the pool is dropped.
                let _ = tx.send(task);
            }
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, usize> {
        self.shared
            .queued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// What the pool has done so far.
    pub(crate) fn stats(&self) -> PoolStats {
        let s = &self.shared;
        PoolStats {
            workers: self.threads.len(),
            capacity: s.capacity,
            queued: *self.lock(),
            running: s.running.load(Ordering::Relaxed),
            completed: s.completed.load(Ordering::Relaxed),
            inline: s.inline.load(Ordering::Relaxed),
            overloaded: s.overloaded.load(Ordering::Relaxed),
            recycled: s.recycled.load(Ordering::Relaxed),
            panics: s.panics.load(Ordering::Relaxed),
        }
    }
}

/// Whether `n` more tasks fit. A submission larger than the whole queue is
/// admitted when the queue is empty, so that no batch is refused forever.
fn fits(queued: usize, n: usize, capacity: usize) -> bool {
    queued + n <= capacity || queued == 0
}

impl Drop for Pool {
    fn drop(&mut self) {
        // Closing the channel ends each worker's loop once the queue drains.
        self.tx = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

fn work(rx: &Receiver<Task>, shared: &Shared, make: &MakeRuntime, recycle_after: u64) {
    let mut runtime = make();
    for task in rx {
        // Taken off the queue: that makes room for the next submission
        // before this one runs.
        shared.running.fetch_add(1, Ordering::Relaxed);
        let mut queued = shared
            .queued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        *queued -= 1;
        drop(queued);
        shared.room.notify_all();

        let panicked =
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| task(&runtime))).is_err();
        if panicked {
            shared.panics.fetch_add(1, Ordering::Relaxed);
            tracing::error!("a task panicked; its worker carries on with a new runtime");
        }
        let spent = recycle_after > 0 && runtime.calls() >= recycle_after;
        if panicked || spent || runtime.tainted() {
            runtime = make();
            shared.recycled.fetch_add(1, Ordering::Relaxed);
        }
        shared.completed.fetch_add(1, Ordering::Relaxed);
        shared.running.fetch_sub(1, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::time::Duration;

    use super::*;
    use crate::model::League;
    use crate::runtime::RhaiLimits;

    fn make() -> MakeRuntime {
        let league = League::from_toml_str(
            Path::new("league.toml"),
            "name = \"L\"\n[[teams]]\nid = \"A\"\nname = \"A\"\nvenue = \"v\"\n[[venues]]\nid = \"v\"\nname = \"V\"\ntimezone = \"UTC\"\n",
        )
        .unwrap();
        let league = Arc::new(league);
        Arc::new(move || Runtime::new(league.clone(), &RhaiLimits::default()))
    }

    #[test]
    fn a_panicking_task_is_contained_and_its_worker_goes_on_with_a_new_runtime() {
        let pool = Pool::new(1, 8, 0, make());
        let (tx, rx) = crossbeam_channel::unbounded();
        let boom: Task = Box::new(|_| panic!("a bug in a task"));
        let fine: Task = Box::new(move |_| tx.send(42).unwrap());
        pool.try_submit(vec![boom, fine]).unwrap();
        assert_eq!(rx.recv_timeout(Duration::from_secs(10)), Ok(42));
        // Booked just after the task ran.
        let until = std::time::Instant::now() + Duration::from_secs(10);
        while pool.stats().running + pool.stats().queued > 0 && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
        let stats = pool.stats();
        assert_eq!((stats.panics, stats.recycled, stats.completed), (1, 1, 2));
    }

    #[test]
    fn admission_is_all_or_nothing_and_an_empty_queue_takes_any_batch() {
        assert!(fits(0, 100, 8), "a batch larger than the queue, alone");
        assert!(fits(3, 5, 8));
        assert!(!fits(3, 6, 8));
        let pool = Pool::new(1, 2, 0, make());
        let (hold_tx, hold_rx) = crossbeam_channel::bounded::<()>(0);
        let blocker: Task = Box::new(move |_| {
            let _ = hold_rx.recv();
        });
        let noop = || -> Task { Box::new(|_| {}) };
        pool.try_submit(vec![blocker]).unwrap();
        // Once the worker holds the blocker, the queue has room for two.
        let until = std::time::Instant::now() + Duration::from_secs(10);
        while pool.stats().running == 0 && std::time::Instant::now() < until {
            std::thread::sleep(Duration::from_millis(1));
        }
        pool.try_submit(vec![noop(), noop()]).unwrap();
        let refused = pool.try_submit(vec![noop()]).unwrap_err();
        assert_eq!(
            refused,
            Overloaded {
                queued: 2,
                capacity: 2
            }
        );
        hold_tx.send(()).unwrap();
        // `submit` waits for room instead.
        pool.submit(vec![noop(), noop()]);
        assert_eq!(pool.stats().overloaded, 1);
    }
}
