//! What a host gives back for one call: the rule's [`Outcome`], or a
//! [`Failure`] typed by the host that saw it happen.
//!
//! The kind is chosen where the failure happens, because only there is it
//! known: the WebAssembly host tells a trap from the plugin's own `Err` and
//! from an answer it cannot accept, the Rhai host a deadline from a thrown
//! error. [`Runtime`](super::Runtime) turns every kind into an `error` or
//! `timeout` verdict alike; what the kind decides is whether the runtime is
//! left [tainted](Failure::taints).

use crate::model::Violation;

/// A rule's answer: its violations and, if it gave one, a score.
pub(crate) struct Outcome {
    pub(crate) violations: Vec<Violation>,
    pub(crate) score: Option<f64>,
}

/// What went wrong in a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum FailureKind {
    /// The plugin stopped abnormally: a WebAssembly trap (a panic, an out
    /// of bounds access, a stack overflow, its fuel or memory cap, a query
    /// the host refused), a Rhai script that failed or broke a limit, or a
    /// panic in the host while it ran.
    Trap,
    /// The plugin answered with an error of its own: the `Err` arm of the
    /// contract's `result`, or a Rhai `throw`.
    Reported,
    /// The plugin answered, but the answer breaks the contract: too many
    /// violations, too large, a score or penalty out of range, not a
    /// verdict at all.
    Invalid,
    /// It ran past its deadline.
    Timeout,
}

/// Why a call gave no verdict: its kind and the message the verdict
/// carries.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Failure {
    pub(crate) kind: FailureKind,
    pub(crate) message: String,
    taints: bool,
}

impl Failure {
    /// The plugin trapped, or the host panicked running it.
    pub(crate) fn trap(message: String) -> Self {
        Self::new(FailureKind::Trap, message)
    }

    /// The plugin reported an error of its own.
    pub(crate) fn reported(message: String) -> Self {
        Self::new(FailureKind::Reported, message)
    }

    /// The plugin's answer breaks the contract.
    pub(crate) fn invalid(message: String) -> Self {
        Self::new(FailureKind::Invalid, message)
    }

    /// The plugin ran past its deadline.
    pub(crate) fn timeout(message: String) -> Self {
        Self::new(FailureKind::Timeout, message)
    }

    /// A trap or a timeout stops a plugin in the middle of a call, wherever
    /// it was: a WebAssembly instance stopped that way is never entered
    /// again, and a panic may leave the host's own state half-changed, so
    /// the runtime that ran it is tainted. A plugin that answers, with an
    /// error or with an answer the host refuses, has finished its call
    /// cleanly: its instance stays, and so does the runtime.
    fn new(kind: FailureKind, message: String) -> Self {
        Self {
            taints: matches!(kind, FailureKind::Trap | FailureKind::Timeout),
            kind,
            message,
        }
    }

    /// The same failure, stopped by a host that leaves nothing of the call
    /// behind: Rhai unwinds its errors, limits and deadline as values
    /// between two operations, and the host rewinds the scope after every
    /// call, so no Rhai failure taints the runtime.
    pub(crate) fn contained(self) -> Self {
        Self {
            taints: false,
            ..self
        }
    }

    /// Whether the runtime that ran the call should be replaced
    /// ([`Runtime::tainted`](super::Runtime::tainted)).
    pub(crate) fn taints(&self) -> bool {
        self.taints
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_a_trap_or_a_timeout_taints_and_a_contained_one_does_not() {
        let m = || "m".to_owned();
        assert!(Failure::trap(m()).taints());
        assert!(Failure::timeout(m()).taints());
        assert!(!Failure::reported(m()).taints());
        assert!(!Failure::invalid(m()).taints());
        let contained = Failure::trap(m()).contained();
        assert!(!contained.taints());
        assert_eq!(contained.kind, FailureKind::Trap);
        assert!(!Failure::timeout(m()).contained().taints());
    }
}
