//! Circuit breakers, one per constraint: a rule that keeps failing (errors
//! and timeouts) stops being called for a while, and its manifest's
//! `fallback` answers in its place.
//!
//! Closed: calls go through; outcomes land in a rolling window of
//! time-stamped buckets. When the window holds at least `min_calls` calls
//! and the failed share reaches `failure_rate`, the breaker opens. Open:
//! every call is answered by the fallback until `open_for` has passed.
//! Half-open: up to `probes` calls go through; if they all succeed the
//! breaker closes with an empty window, and one failure opens it again.
//!
//! Every method takes the current instant, so tests drive time by hand.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

/// How breakers judge and recover. In TOML it is written in seconds and
/// counts (`window_s`, `min_calls`, `failure_rate`, `open_s`, `probes`) and
/// checked as it is read: a `BreakerConfig` is always a working one.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "Settings", into = "Settings")]
pub struct BreakerConfig {
    /// How far back the failure rate looks.
    pub window: Duration,
    /// Calls the window must hold before the rate counts.
    pub min_calls: u32,
    /// Failed share of the window's calls that opens the breaker, in (0, 1].
    pub failure_rate: f64,
    /// How long an open breaker answers with the fallback before probing.
    pub open_for: Duration,
    /// Successful probes that close a half-open breaker.
    pub probes: u32,
}

impl Default for BreakerConfig {
    fn default() -> Self {
        Self {
            window: Duration::from_secs(10),
            min_calls: 20,
            failure_rate: 0.5,
            open_for: Duration::from_secs(30),
            probes: 3,
        }
    }
}

/// A breaker as TOML writes it.
#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
struct Settings {
    /// How far back the failure rate looks, in seconds.
    window_s: f64,
    /// Calls the window must hold before the rate counts.
    min_calls: u32,
    /// Failed share that opens the breaker, in (0, 1].
    failure_rate: f64,
    /// How long it stays open before probing, in seconds.
    open_s: f64,
    /// Successful probes that close it again.
    probes: u32,
}

impl Default for Settings {
    fn default() -> Self {
        BreakerConfig::default().into()
    }
}

impl From<BreakerConfig> for Settings {
    fn from(c: BreakerConfig) -> Self {
        Self {
            window_s: c.window.as_secs_f64(),
            min_calls: c.min_calls,
            failure_rate: c.failure_rate,
            open_s: c.open_for.as_secs_f64(),
            probes: c.probes,
        }
    }
}

impl TryFrom<Settings> for BreakerConfig {
    type Error = String;

    fn try_from(s: Settings) -> Result<Self, String> {
        let seconds = |v: f64, key: &str| {
            Duration::try_from_secs_f64(v)
                .ok()
                .filter(|d| !d.is_zero())
                .ok_or_else(|| format!("{key} must be a positive number of seconds, not {v}"))
        };
        if !(s.failure_rate > 0.0 && s.failure_rate <= 1.0) {
            return Err(format!(
                "failure_rate must be in (0, 1], not {}",
                s.failure_rate
            ));
        }
        if s.min_calls == 0 || s.probes == 0 {
            return Err("min_calls and probes must be at least 1".into());
        }
        Ok(Self {
            window: seconds(s.window_s, "window_s")?,
            min_calls: s.min_calls,
            failure_rate: s.failure_rate,
            open_for: seconds(s.open_s, "open_s")?,
            probes: s.probes,
        })
    }
}

/// Where a breaker stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
#[schema(as = Breaker)]
pub enum BreakerState {
    /// Calls go through.
    Closed,
    /// The fallback answers.
    Open,
    /// A few probe calls go through.
    HalfOpen,
}

impl BreakerState {
    /// The state's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Closed => "closed",
            Self::Open => "open",
            Self::HalfOpen => "half-open",
        }
    }
}

/// What to do with one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admit {
    /// Run it.
    Call,
    /// Run it as a half-open probe.
    Probe,
    /// Do not run it: answer with the fallback.
    Fallback,
}

/// Buckets in a window.
const BUCKETS: u32 = 10;

#[derive(Debug)]
struct Bucket {
    start: Instant,
    calls: u32,
    failures: u32,
}

#[derive(Debug)]
enum Inner {
    Closed {
        buckets: VecDeque<Bucket>,
    },
    Open {
        until: Instant,
        calls: u32,
        failures: u32,
    },
    HalfOpen {
        in_flight: u32,
        passed: u32,
    },
}

/// One constraint's breaker.
#[derive(Debug)]
pub struct Breaker {
    id: Arc<str>,
    config: BreakerConfig,
    inner: Mutex<Inner>,
}

impl Breaker {
    /// A closed breaker for the constraint `id`.
    pub fn new(id: Arc<str>, config: BreakerConfig) -> Self {
        Self {
            id,
            config,
            inner: Mutex::new(Inner::Closed {
                buckets: VecDeque::new(),
            }),
        }
    }

    /// Where it stands now.
    pub fn state(&self) -> BreakerState {
        match &*self.lock() {
            Inner::Closed { .. } => BreakerState::Closed,
            Inner::Open { .. } => BreakerState::Open,
            Inner::HalfOpen { .. } => BreakerState::HalfOpen,
        }
    }

    /// Whether a call at `now` runs, runs as a probe, or gets the fallback.
    pub fn admit(&self, now: Instant) -> Admit {
        let mut inner = self.lock();
        match &mut *inner {
            Inner::Closed { .. } => Admit::Call,
            Inner::Open { until, .. } if now < *until => Admit::Fallback,
            Inner::Open { .. } => {
                tracing::info!(constraint = %self.id, "circuit half-open: probing");
                *inner = Inner::HalfOpen {
                    in_flight: 1,
                    passed: 0,
                };
                Admit::Probe
            }
            Inner::HalfOpen { in_flight, passed } => {
                if *in_flight + *passed < self.config.probes {
                    *in_flight += 1;
                    Admit::Probe
                } else {
                    Admit::Fallback
                }
            }
        }
    }

    /// Records how an admitted call ended.
    pub fn record(&self, now: Instant, admitted: Admit, failed: bool) {
        let mut inner = self.lock();
        match (&mut *inner, admitted) {
            (Inner::Closed { buckets }, Admit::Call) => {
                let width = self.config.window / BUCKETS;
                while buckets
                    .front()
                    .is_some_and(|b| now.saturating_duration_since(b.start) >= self.config.window)
                {
                    buckets.pop_front();
                }
                match buckets.back_mut() {
                    Some(b) if now.saturating_duration_since(b.start) < width => {
                        b.calls += 1;
                        b.failures += u32::from(failed);
                    }
                    _ => buckets.push_back(Bucket {
                        start: now,
                        calls: 1,
                        failures: u32::from(failed),
                    }),
                }
                let calls: u32 = buckets.iter().map(|b| b.calls).sum();
                let failures: u32 = buckets.iter().map(|b| b.failures).sum();
                if calls >= self.config.min_calls
                    && f64::from(failures) >= self.config.failure_rate * f64::from(calls)
                {
                    tracing::warn!(
                        constraint = %self.id,
                        failures, calls,
                        "circuit open for {} ms: {failures} of the last {calls} calls failed",
                        self.config.open_for.as_millis()
                    );
                    *inner = Inner::Open {
                        until: now + self.config.open_for,
                        calls,
                        failures,
                    };
                }
            }
            (Inner::HalfOpen { in_flight, passed }, Admit::Probe) => {
                *in_flight = in_flight.saturating_sub(1);
                if failed {
                    tracing::warn!(constraint = %self.id, "probe failed: circuit open again");
                    *inner = Inner::Open {
                        until: now + self.config.open_for,
                        calls: 1,
                        failures: 1,
                    };
                } else {
                    *passed += 1;
                    if *passed >= self.config.probes {
                        tracing::info!(constraint = %self.id, "probes passed: circuit closed");
                        *inner = Inner::Closed {
                            buckets: VecDeque::new(),
                        };
                    }
                }
            }
            // A call admitted under an earlier state ended after a
            // transition: it says nothing about the new state.
            _ => {}
        }
    }

    /// Forgets an admitted call that says nothing about the rule (it was
    /// cut short by a deadline not its own).
    pub fn abandon(&self, admitted: Admit) {
        if let (Inner::HalfOpen { in_flight, .. }, Admit::Probe) = (&mut *self.lock(), admitted) {
            *in_flight = in_flight.saturating_sub(1);
        }
    }

    /// Why the fallback answers, for the verdict's message.
    pub fn reason(&self) -> String {
        match &*self.lock() {
            Inner::Open {
                calls, failures, ..
            } => format!(
                "circuit open: {failures} of {calls} recent calls failed (errors or timeouts)"
            ),
            Inner::HalfOpen { .. } => "circuit half-open: waiting on probe calls".to_owned(),
            Inner::Closed { .. } => "circuit closed".to_owned(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> BreakerConfig {
        BreakerConfig {
            window: Duration::from_secs(10),
            min_calls: 4,
            failure_rate: 0.5,
            open_for: Duration::from_secs(5),
            probes: 2,
        }
    }

    fn call(b: &Breaker, now: Instant, failed: bool) -> Admit {
        let admitted = b.admit(now);
        if admitted != Admit::Fallback {
            b.record(now, admitted, failed);
        }
        admitted
    }

    #[test]
    fn opens_after_the_failure_rate_with_enough_calls_then_probes_and_closes() {
        let b = Breaker::new("r".into(), config());
        let t0 = Instant::now();
        // Three failures are not enough calls.
        for i in 0..3 {
            assert_eq!(call(&b, t0 + Duration::from_millis(i), true), Admit::Call);
        }
        assert_eq!(b.state(), BreakerState::Closed);
        // The fourth makes 4 of 4.
        call(&b, t0 + Duration::from_millis(3), true);
        assert_eq!(b.state(), BreakerState::Open);
        assert!(
            b.reason().contains("4 of 4 recent calls failed"),
            "{}",
            b.reason()
        );
        assert_eq!(b.admit(t0 + Duration::from_secs(4)), Admit::Fallback);
        // After `open_for`, two probes; a third caller gets the fallback
        // while they are in flight.
        let later = t0 + Duration::from_secs(6);
        assert_eq!(b.admit(later), Admit::Probe);
        assert_eq!(b.state(), BreakerState::HalfOpen);
        assert_eq!(b.admit(later), Admit::Probe);
        assert_eq!(b.admit(later), Admit::Fallback);
        b.record(later, Admit::Probe, false);
        assert_eq!(b.state(), BreakerState::HalfOpen);
        b.record(later, Admit::Probe, false);
        assert_eq!(b.state(), BreakerState::Closed);
        assert_eq!(b.admit(later), Admit::Call);
    }

    #[test]
    fn a_failed_probe_opens_it_again() {
        let b = Breaker::new("r".into(), config());
        let t0 = Instant::now();
        for _ in 0..4 {
            call(&b, t0, true);
        }
        let later = t0 + Duration::from_secs(6);
        assert_eq!(call(&b, later, true), Admit::Probe);
        assert_eq!(b.state(), BreakerState::Open);
        assert_eq!(b.admit(later + Duration::from_secs(4)), Admit::Fallback);
        assert_eq!(b.admit(later + Duration::from_secs(6)), Admit::Probe);
    }

    #[test]
    fn failures_below_the_rate_or_outside_the_window_keep_it_closed() {
        let b = Breaker::new("r".into(), config());
        let t0 = Instant::now();
        // One failure in three: under half.
        for i in 0..30 {
            call(&b, t0 + Duration::from_millis(i), i % 3 == 1);
        }
        assert_eq!(b.state(), BreakerState::Closed);
        // Old failures age out of the window.
        let b = Breaker::new("r".into(), config());
        for i in 0..3 {
            call(&b, t0 + Duration::from_millis(i), true);
        }
        let later = t0 + Duration::from_secs(11);
        call(&b, later, true);
        for _ in 0..3 {
            call(&b, later, false);
        }
        // 4 of 7 had the old failures counted; 1 of 4 in the window.
        assert_eq!(b.state(), BreakerState::Closed);
    }
}
