//! The executor's settings: the `[executor]` table of the config.

use serde::{Deserialize, Serialize};

/// The worker pool.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ExecutorConfig {
    /// Worker threads; 0 means one per core.
    pub workers: usize,
    /// Chunks of games the submission queue holds; a batch that finds it
    /// full is refused as overloaded at once.
    pub queue_chunks: usize,
    /// Games in flight at most while streaming.
    pub stream_in_flight: usize,
    /// A worker rebuilds its runtimes after this many constraint calls
    /// (0: never on count; always after a trap or a panic).
    pub recycle_after: u64,
    /// An evaluation with at most this many games left to rule on (after
    /// the cache), and its schedule-scoped rules, run on the calling thread
    /// in place of an idle worker, sparing the hand-off (0: never).
    pub inline_games: usize,
    /// The order in which a game's independent constraints run.
    pub order: Order,
    /// Stop a game's evaluation at its first hard violation.
    pub fail_fast: bool,
    /// Budget for a whole evaluation, in milliseconds.
    pub deadline_ms: Option<u64>,
    /// Budget for one game's constraints, in milliseconds.
    pub game_deadline_ms: Option<u64>,
}

impl Default for ExecutorConfig {
    fn default() -> Self {
        Self {
            workers: 0,
            queue_chunks: 4096,
            stream_in_flight: 1024,
            recycle_after: 1_000_000,
            inline_games: 16,
            order: Order::Dependency,
            fail_fast: false,
            deadline_ms: None,
            game_deadline_ms: None,
        }
    }
}

impl ExecutorConfig {
    /// The number of workers, with 0 read as one per core.
    pub fn worker_count(&self) -> usize {
        match self.workers {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        }
    }
}

/// The order in which a game's independent constraints run.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Order {
    /// Dependency order, ties by id: the same order every run.
    #[default]
    Dependency,
    /// Dependencies first, then the cheapest, most often failing checks, by
    /// measured cost and rejection rate (pays off with fail-fast).
    Cost,
}

impl ExecutorConfig {
    /// What is wrong with these settings, if anything.
    pub(crate) fn check(&self) -> Result<(), String> {
        if self.queue_chunks == 0 || self.stream_in_flight == 0 {
            return Err(
                "executor.queue_chunks and executor.stream_in_flight must be at least 1".into(),
            );
        }
        if self.deadline_ms == Some(0) || self.game_deadline_ms == Some(0) {
            return Err(
                "executor.deadline_ms and executor.game_deadline_ms must be at least 1".into(),
            );
        }
        Ok(())
    }
}
