//! Alerts: every `alerts.interval_ms` the server checks its thresholds over
//! the window just passed (a constraint's p95 latency, error and timeout
//! rates, an open breaker, a league's queue depth, the process's memory).
//! A condition that holds raises an alert (listed in `/v1/stats`, logged as
//! a warning); one that no longer holds clears it (logged).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::Serialize;

use super::state::App;
use crate::BreakerState;

/// One alert being raised.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub(crate) struct Alert {
    /// `p95_latency`, `error_rate`, `timeout_rate`, `breaker_open`,
    /// `queue_depth` or `memory`.
    pub(crate) kind: &'static str,
    /// What it is about: `league/constraint`, a league, or `process`.
    pub(crate) subject: String,
    /// The value seen, and the threshold it crossed.
    pub(crate) value: f64,
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

    /// Replaces the raised set with what holds now (`(kind, subject, value,
    /// threshold)`), logging what was raised and what cleared.
    fn update(&self, holding: Vec<(&'static str, String, f64, f64)>) {
        let mut active = self.active.lock().unwrap_or_else(|e| e.into_inner());
        let mut next = BTreeMap::new();
        for (kind, subject, value, threshold) in holding {
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

/// Checks the thresholds every interval, for as long as the server runs.
pub(crate) async fn watch(app: Arc<App>) {
    let every = Duration::from_millis(app.config.alerts.interval_ms);
    let mut ticks = tokio::time::interval(every);
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let holding = check(&app);
        app.alerts.update(holding);
    }
}

fn check(app: &App) -> Vec<(&'static str, String, f64, f64)> {
    let a = &app.config.alerts;
    let mut holding = Vec::new();
    for ((league, id), w) in app.metrics.take_windows() {
        let subject = format!("{league}/{id}");
        let n: u64 = w.statuses.values().sum();
        if let Some(limit) = a.p95_ms
            && !w.latency_us.is_empty()
        {
            let p95 = w.latency_us.value_at_quantile(0.95) as f64 / 1000.0;
            if p95 > limit {
                holding.push(("p95_latency", subject.clone(), p95, limit));
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
                    holding.push((kind, subject.clone(), share, limit));
                }
            }
        }
    }
    for (name, state) in &app.leagues {
        let evaluator = state.evaluator.load();
        if a.breaker_open {
            for (c, b) in evaluator
                .registry()
                .constraints()
                .iter()
                .zip(evaluator.breakers())
            {
                if b.state() != BreakerState::Closed {
                    let value = if b.state() == BreakerState::Open {
                        1.0
                    } else {
                        0.5
                    };
                    holding.push((
                        "breaker_open",
                        format!("{name}/{}", c.manifest.id),
                        value,
                        0.0,
                    ));
                }
            }
        }
        if let Some(limit) = a.queue_depth {
            let queued = evaluator.pool_stats().queued;
            if queued > limit {
                holding.push(("queue_depth", name.clone(), queued as f64, limit as f64));
            }
        }
    }
    if let (Some(limit), Some(rss)) = (a.rss_mb, rss_mb())
        && rss > limit as f64
    {
        holding.push(("memory", "process".into(), rss, limit as f64));
    }
    holding
}

/// The process's resident memory in MiB, where the OS tells (Linux).
pub(crate) fn rss_mb() -> Option<f64> {
    let statm = std::fs::read_to_string("/proc/self/statm").ok()?;
    let pages: f64 = statm.split_whitespace().nth(1)?.parse().ok()?;
    Some(pages * 4096.0 / (1024.0 * 1024.0))
}
