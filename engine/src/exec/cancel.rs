//! Stopping an evaluation whose caller has gone.
//!
//! A server request whose client disconnects is dropped by the HTTP layer,
//! but the evaluation it started runs on worker threads that know nothing of
//! the connection. A [`Cancel`] is the one thing both sides hold: the
//! request cancels it when it is dropped, and every task checks it before
//! each game, so abandoned work stops within a game per worker instead of
//! running to the end of the batch.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use super::Overloaded;

/// A flag an evaluation checks before each game; cheap to clone, and every
/// clone sees the same flag.
#[derive(Debug, Clone, Default)]
pub struct Cancel(Arc<AtomicBool>);

impl Cancel {
    /// A flag not cancelled yet.
    pub fn new() -> Self {
        Self::default()
    }

    /// A flag nobody cancels (for the calls that take none).
    pub(crate) fn never() -> Self {
        Self::default()
    }

    /// Stops the evaluations that hold this flag (idempotent).
    pub fn cancel(&self) {
        self.0.store(true, Ordering::Release);
    }

    /// Whether [`cancel`](Self::cancel) was called.
    pub fn is_cancelled(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    /// A guard that cancels the flag when dropped, unless
    /// [`disarm`](CancelOnDrop::disarm)ed first: held by a request's
    /// future, it turns the future being dropped into a cancellation.
    pub fn on_drop(&self) -> CancelOnDrop {
        CancelOnDrop(Some(self.clone()))
    }

    pub(crate) fn check(&self) -> Result<(), Interrupted> {
        if self.is_cancelled() {
            Err(Interrupted::Cancelled)
        } else {
            Ok(())
        }
    }
}

/// Cancels its flag when dropped; see [`Cancel::on_drop`].
#[derive(Debug)]
pub struct CancelOnDrop(Option<Cancel>);

impl CancelOnDrop {
    /// The work finished: dropping the guard no longer cancels.
    pub fn disarm(mut self) {
        self.0 = None;
    }
}

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        if let Some(c) = self.0.take() {
            c.cancel();
        }
    }
}

/// Why an evaluation gave no answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Interrupted {
    /// The executor had no room for it; nothing ran.
    #[error(transparent)]
    Overloaded(#[from] Overloaded),
    /// Its [`Cancel`] was cancelled; what ran was thrown away.
    #[error("cancelled: the caller stopped waiting for this evaluation")]
    Cancelled,
}

impl Interrupted {
    /// For the calls that take no [`Cancel`]: only `Overloaded` can happen.
    pub(crate) fn overloaded(self) -> Overloaded {
        match self {
            Self::Overloaded(o) => o,
            Self::Cancelled => unreachable!("an evaluation nobody can cancel was cancelled"),
        }
    }
}
