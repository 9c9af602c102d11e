//! Alerts: every `alerts.interval_ms` the server gathers what the window
//! just passed showed ([`Readings`]: a constraint's latencies and statuses,
//! its breaker, a league's queue depth, the process's memory) and [`check`]
//! judges them against the thresholds, a pure function of the two. A
//! condition that holds raises an alert (listed in `/v1/stats`, logged as a
//! warning); one that no longer holds clears it (logged).

use std::collections::BTreeMap;
use std::sync::Mutex;

use serde::Serialize;

use super::metrics::Window;
use crate::{breaker::BreakerState, config::AlertConfig};

/// One alert being raised.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub(crate) struct Alert {
    /// `p95_latency`, `error_rate`, `timeout_rate`, `breaker_open`,
    /// `queue_depth` or `memory`.
    pub(crate) kind: &'static str,
    /// What it is about: `league/constraint`, a league, or `process`.
    pub(crate) subject: String,
    /// The value seen.
    pub(crate) value: f64,
    /// The threshold it crossed.
    pub(crate) threshold: f64,
    /// When it was raised (RFC 3339).
    pub(crate) since: String,
}

/// The alerts raised now, by (kind, subject).
#[derive(Default)]
pub(crate) struct Alerts {
    active: Mutex<BTreeMap<(&'static str, String), Alert>>,
}

impl Alerts {
    /// The alerts raised now.
    pub(crate) fn active(&self) -> Vec<Alert> {
        self.active
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .values()
            .cloned()
            .collect()
    }

    /// Replaces the raised set with what holds now, logging what was
    /// raised and what cleared.
    pub(crate) fn update(&self, holding: Vec<Holding>) {
        let mut active = self.active.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = BTreeMap::new();
        for h in holding {
            let Holding {
                kind,
                subject,
                value,
                threshold,
            } = h;
            let key = (kind, subject.clone());
            let alert = match active.remove(&key) {
                Some(mut a) => {
                    a.value = value;
                    a
                }
                None => {
                    tracing::warn!(alert = kind, subject = %subject, value, threshold, "alert raised");
                    Alert {
                        kind,
                        subject,
                        value,
                        threshold,
                        since: jiff::Timestamp::now().to_string(),
                    }
                }
            };
            next.insert(key, alert);
        }
        for (kind, subject) in active.keys() {
            tracing::info!(alert = kind, subject = %subject, "alert cleared");
        }
        *active = next;
    }
}

/// What one interval showed, gathered by the server for [`check`].
#[derive(Default)]
pub(crate) struct Readings {
    /// Each constraint's window, by `league/constraint`.
    pub(crate) windows: Vec<(String, Window)>,
    /// Each constraint's breaker, by `league/constraint`.
    pub(crate) breakers: Vec<(String, BreakerState)>,
    /// Each league's executor queue, in tasks.
    pub(crate) queues: Vec<(String, usize)>,
    /// The process's resident memory in MiB, where the OS tells.
    pub(crate) rss_mb: Option<f64>,
}

/// A condition that holds now: its kind, what it is about, the value seen
/// and the threshold it crossed.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Holding {
    pub(crate) kind: &'static str,
    pub(crate) subject: String,
    pub(crate) value: f64,
    pub(crate) threshold: f64,
}

impl Holding {
    fn new(kind: &'static str, subject: &str, value: f64, threshold: f64) -> Self {
        let subject = subject.to_owned();
        Self {
            kind,
            subject,
            value,
            threshold,
        }
    }
}

/// The conditions that hold over `readings` under the thresholds `a`.
pub(crate) fn check(a: &AlertConfig, readings: &Readings) -> Vec<Holding> {
    let mut holding = Vec::new();
    for (subject, w) in &readings.windows {
        let n: u64 = w.statuses.values().sum();
        if let Some(limit) = a.p95_ms
            && !w.latency_us.is_empty()
        {
            let p95 = w.latency_us.value_at_quantile(0.95) as f64 / 1000.0;
            if p95 > limit {
                holding.push(Holding::new("p95_latency", subject, p95, limit));
            }
        }
        if n >= a.min_verdicts.max(1) {
            for (kind, status, limit) in [
                ("error_rate", "error", a.error_rate),
                ("timeout_rate", "timeout", a.timeout_rate),
            ] {
                let share = w.statuses.get(status).copied().unwrap_or(0) as f64 / n as f64;
                if let Some(limit) = limit
                    && share > limit
                {
                    holding.push(Holding::new(kind, subject, share, limit));
                }
            }
        }
    }
    if a.breaker_open {
        for (subject, state) in &readings.breakers {
            let value = match state {
                BreakerState::Closed => continue,
                BreakerState::Open => 1.0,
                BreakerState::HalfOpen => 0.5,
            };
            holding.push(Holding::new("breaker_open", subject, value, 0.0));
        }
    }
    if let Some(limit) = a.queue_depth {
        for (league, queued) in &readings.queues {
            if *queued > limit {
                holding.push(Holding::new(
                    "queue_depth",
                    league,
                    *queued as f64,
                    limit as f64,
                ));
            }
        }
    }
    if let (Some(limit), Some(rss)) = (a.rss_mb, readings.rss_mb)
        && rss > limit as f64
    {
        holding.push(Holding::new("memory", "process", rss, limit as f64));
    }
    holding
}

/// The process's resident memory in MiB, where the OS tells (Linux).
/// `statm` counts pages, whose size is the system's (4 KiB on most x86
/// machines, 16 or 64 KiB on some ARM ones).
pub(crate) fn rss_mb() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * rustix::param::page_size() as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(latencies_ms: &[u64], statuses: &[(&'static str, u64)]) -> Window {
        let mut w = Window::new();
        for ms in latencies_ms {
            w.latency_us.record(ms * 1000).unwrap();
        }
        w.statuses = statuses.iter().copied().collect();
        w
    }

    fn kinds(holding: &[Holding]) -> Vec<(&'static str, &str)> {
        holding.iter().map(|h| (h.kind, &*h.subject)).collect()
    }

    #[test]
    fn quiet_readings_raise_nothing() {
        let readings = Readings {
            windows: vec![("pa/rest".into(), window(&[1, 2], &[("passed", 40)]))],
            breakers: vec![("pa/rest".into(), BreakerState::Closed)],
            queues: vec![("pa".into(), 3)],
            rss_mb: Some(60.0),
        };
        assert_eq!(check(&AlertConfig::default(), &readings), []);
    }

    #[test]
    fn each_threshold_crossed_raises_its_kind_with_value_and_threshold() {
        let slow = window(
            &[150; 30],
            &[("passed", 10), ("error", 10), ("timeout", 10)],
        );
        let readings = Readings {
            windows: vec![("pa/rest".into(), slow)],
            breakers: vec![
                ("pa/rest".into(), BreakerState::Open),
                ("pa/venue".into(), BreakerState::HalfOpen),
            ],
            queues: vec![("pa".into(), 5000)],
            rss_mb: Some(5000.0),
        };
        let holding = check(&AlertConfig::default(), &readings);
        assert_eq!(
            kinds(&holding),
            [
                ("p95_latency", "pa/rest"),
                ("error_rate", "pa/rest"),
                ("timeout_rate", "pa/rest"),
                ("breaker_open", "pa/rest"),
                ("breaker_open", "pa/venue"),
                ("queue_depth", "pa"),
                ("memory", "process"),
            ]
        );
        assert!((holding[1].value - 1.0 / 3.0).abs() < 1e-9);
        assert_eq!(holding[1].threshold, 0.05);
        assert_eq!((holding[3].value, holding[4].value), (1.0, 0.5));
        assert_eq!((holding[5].value, holding[5].threshold), (5000.0, 3072.0));
    }

    #[test]
    fn rates_wait_for_enough_verdicts_and_switched_off_checks_stay_quiet() {
        let few = window(&[], &[("error", 3)]);
        let readings = Readings {
            windows: vec![("pa/rest".into(), few)],
            breakers: vec![("pa/rest".into(), BreakerState::Open)],
            ..Readings::default()
        };
        let off = AlertConfig {
            breaker_open: false,
            ..AlertConfig::default()
        };
        assert_eq!(check(&off, &readings), []);
        let eager = AlertConfig {
            min_verdicts: 3,
            ..off
        };
        assert_eq!(
            kinds(&check(&eager, &readings)),
            [("error_rate", "pa/rest")]
        );
    }

    /// Regression: pages were taken to be 4 KiB, so a 16 or 64 KiB page
    /// kernel (some ARM machines) saw a quarter or a sixteenth of the real
    /// figure. The kernel's own count in KiB (`VmRSS`) must agree.
    #[cfg(target_os = "linux")]
    #[test]
    fn resident_memory_agrees_with_the_kernels_count_in_kib() {
        let status = std::fs::read_to_string("/proc/self/status").unwrap();
        let kib: f64 = status
            .lines()
            .find_map(|l| l.strip_prefix("VmRSS:"))
            .and_then(|v| v.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap();
        let counted = kib / 1024.0;
        let rss = rss_mb().unwrap();
        // The two reads are moments apart, and other tests allocate
        // meanwhile: a few MiB either way, not a factor.
        assert!(
            (rss - counted).abs() <= 4.0 + counted * 0.1,
            "statm says {rss:.1} MiB, VmRSS {counted:.1} MiB"
        );
    }
}
