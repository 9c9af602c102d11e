//! What rules print (`print`, `debug` in Rhai; the `log` interface of a
//! component) while a caller listens: `umpire test` shows each case's
//! output. Nothing is kept unless someone listens.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};

static LISTENING: AtomicBool = AtomicBool::new(false);
static LINES: Mutex<Vec<String>> = Mutex::new(Vec::new());

/// Lines kept at most between two [`take`]s.
const MOST: usize = 1000;

/// Starts keeping what rules print, from now on (for the whole process:
/// one listener at a time, as `umpire test` runs one case at a time).
pub(crate) fn listen() {
    LISTENING.store(true, Ordering::Release);
}

/// What was printed since the last call.
pub(crate) fn take() -> Vec<String> {
    std::mem::take(
        &mut *LINES
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner),
    )
}

/// Keeps `line`, when someone listens.
pub(crate) fn note(line: impl FnOnce() -> String) {
    if !LISTENING.load(Ordering::Acquire) {
        return;
    }
    let mut lines = LINES
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if lines.len() < MOST {
        lines.push(line());
    }
}
