//! What the server counts: requests by route and status with their latency,
//! and per league and constraint the verdicts by status with their latency
//! (hdrhistogram). `/v1/stats` reads them as JSON, `/metrics` as Prometheus
//! text (prometheus-client), with the pool, the cache and the breakers.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::AtomicU64;

use hdrhistogram::Histogram;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram as PromHistogram, exponential_buckets};
use prometheus_client::registry::Registry;
use serde::Serialize;

use crate::model::{Status, Verdict};

/// One constraint's verdicts in one league: since the start, and since the
/// last alert check.
pub(crate) struct ConstraintStats {
    latency_us: Histogram<u64>,
    statuses: BTreeMap<&'static str, u64>,
    recent: Window,
}

/// The verdicts of one alert window.
pub(crate) struct Window {
    pub(crate) latency_us: Histogram<u64>,
    pub(crate) statuses: BTreeMap<&'static str, u64>,
}

fn histogram() -> Histogram<u64> {
    // 1 µs to 1 h, 3 significant digits.
    Histogram::new_with_bounds(1, 3_600_000_000, 3).unwrap_or_else(|_| unreachable!("valid bounds"))
}

impl Window {
    pub(crate) fn new() -> Self {
        Self {
            latency_us: histogram(),
            statuses: BTreeMap::new(),
        }
    }
}

impl ConstraintStats {
    fn new() -> Self {
        Self {
            latency_us: histogram(),
            statuses: BTreeMap::new(),
            recent: Window::new(),
        }
    }
}

/// A constraint's figures as `/v1/stats` shows them: its calls since the
/// server started, their latency in microseconds (hdrhistogram), and how
/// many ended in each status.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub(crate) struct ConstraintFigures {
    pub(crate) count: u64,
    pub(crate) p50_us: u64,
    pub(crate) p95_us: u64,
    pub(crate) p99_us: u64,
    pub(crate) max_us: u64,
    /// Verdicts by status (`passed`, `violated`, ...).
    pub(crate) statuses: BTreeMap<&'static str, u64>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct RouteLabels {
    pub(crate) route: String,
    pub(crate) status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteOnly {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct VerdictLabels {
    pub(crate) league: String,
    pub(crate) constraint: String,
    pub(crate) status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct ConstraintLabels {
    pub(crate) league: String,
    pub(crate) constraint: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct LayerLabels {
    pub(crate) layer: String,
    pub(crate) outcome: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub(crate) struct LeagueLabels {
    pub(crate) league: String,
}

/// Everything counted, and the Prometheus registry that exposes it.
pub(crate) struct Metrics {
    constraints: Mutex<BTreeMap<(String, String), ConstraintStats>>,
    registry: Registry,
    requests: Family<RouteLabels, Counter>,
    latency: Family<RouteOnly, PromHistogram>,
    verdicts: Family<VerdictLabels, Counter>,
    /// Set at each scrape from the live values.
    pub(crate) breaker_open: Family<ConstraintLabels, Gauge>,
    pub(crate) cache: Family<LayerLabels, Counter<u64, AtomicU64>>,
    pub(crate) queued: Family<LeagueLabels, Gauge>,
    pub(crate) in_flight: Gauge,
    /// Connections open now.
    pub(crate) connections: Gauge,
    /// Connections refused at the `server.max_connections` cap.
    pub(crate) connections_refused: Counter,
    /// Requests whose client went away before the answer, their work
    /// cancelled.
    pub(crate) cancelled: Counter,
    /// Decision log lines that could not be written, flushed or synced.
    pub(crate) decision_log_errors: Counter,
}

impl Metrics {
    pub(crate) fn new() -> Self {
        let mut registry = Registry::with_prefix("umpire");
        let requests = Family::<RouteLabels, Counter>::default();
        let latency = Family::<RouteOnly, PromHistogram>::new_with_constructor(|| {
            PromHistogram::new(exponential_buckets(0.0001, 2.0, 18))
        });
        let verdicts = Family::<VerdictLabels, Counter>::default();
        let breaker_open = Family::<ConstraintLabels, Gauge>::default();
        let cache = Family::<LayerLabels, Counter<u64, AtomicU64>>::default();
        let queued = Family::<LeagueLabels, Gauge>::default();
        let in_flight = Gauge::default();
        let connections = Gauge::default();
        let connections_refused = Counter::default();
        let cancelled = Counter::default();
        let decision_log_errors = Counter::default();
        registry.register(
            "http_connections",
            "HTTP connections open",
            connections.clone(),
        );
        registry.register(
            "http_connections_refused",
            "HTTP connections refused at server.max_connections",
            connections_refused.clone(),
        );
        registry.register(
            "http_requests_cancelled",
            "Requests whose client went away before the answer; their evaluation was cancelled",
            cancelled.clone(),
        );
        registry.register(
            "decision_log_errors",
            "Decision log writes, flushes or syncs that failed",
            decision_log_errors.clone(),
        );
        registry.register(
            "http_requests",
            "HTTP requests by route and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by route",
            latency.clone(),
        );
        registry.register(
            "verdicts",
            "Verdicts by league, constraint and status",
            verdicts.clone(),
        );
        registry.register(
            "breaker_open",
            "1 while a constraint's circuit breaker is open (0.5 half-open)",
            breaker_open.clone(),
        );
        registry.register(
            "cache_lookups",
            "Verdict cache lookups by layer and outcome",
            cache.clone(),
        );
        registry.register(
            "executor_queued",
            "Tasks waiting in a league's executor queue",
            queued.clone(),
        );
        registry.register(
            "http_in_flight",
            "Requests holding a concurrency slot (server.concurrency)",
            in_flight.clone(),
        );
        Self {
            constraints: Mutex::new(BTreeMap::new()),
            registry,
            requests,
            latency,
            verdicts,
            breaker_open,
            cache,
            queued,
            in_flight,
            connections,
            connections_refused,
            cancelled,
            decision_log_errors,
        }
    }

    /// Counts one request.
    pub(crate) fn request(&self, route: &str, status: u16, seconds: f64) {
        self.requests
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteOnly {
                route: route.to_owned(),
            })
            .observe(seconds);
    }

    /// Counts the verdicts of one evaluation in `league`.
    pub(crate) fn verdicts<'a>(&self, league: &str, verdicts: impl Iterator<Item = &'a Verdict>) {
        let mut all = self.constraints.lock().unwrap_or_else(|e| e.into_inner());
        for v in verdicts {
            let key = (league.to_owned(), v.constraint.to_string());
            let stats = all.entry(key).or_insert_with(ConstraintStats::new);
            let status = status_name(v.status);
            *stats.statuses.entry(status).or_default() += 1;
            *stats.recent.statuses.entry(status).or_default() += 1;
            // Skipped and unrun verdicts took no time worth a sample.
            if !matches!(v.status, Status::Skipped) {
                let _ = stats.latency_us.record(v.elapsed_us.max(1));
                let _ = stats.recent.latency_us.record(v.elapsed_us.max(1));
            }
            self.verdicts
                .get_or_create(&VerdictLabels {
                    league: league.to_owned(),
                    constraint: v.constraint.to_string(),
                    status: status.to_owned(),
                })
                .inc();
        }
    }

    /// Each constraint's figures in `league`, by id.
    pub(crate) fn figures(&self, league: &str) -> BTreeMap<String, ConstraintFigures> {
        let all = self.constraints.lock().unwrap_or_else(|e| e.into_inner());
        all.iter()
            .filter(|((l, _), _)| l == league)
            .map(|((_, id), s)| {
                let h = &s.latency_us;
                (
                    id.clone(),
                    ConstraintFigures {
                        count: s.statuses.values().sum(),
                        p50_us: h.value_at_quantile(0.50),
                        p95_us: h.value_at_quantile(0.95),
                        p99_us: h.value_at_quantile(0.99),
                        max_us: h.max(),
                        statuses: s.statuses.clone(),
                    },
                )
            })
            .collect()
    }

    /// Every constraint's window since the last call, by (league, id); a
    /// new window starts.
    pub(crate) fn take_windows(&self) -> BTreeMap<(String, String), Window> {
        let mut all = self.constraints.lock().unwrap_or_else(|e| e.into_inner());
        all.iter_mut()
            .map(|(k, s)| (k.clone(), std::mem::replace(&mut s.recent, Window::new())))
            .collect()
    }

    /// The Prometheus text exposition.
    pub(crate) fn encode(&self) -> String {
        let mut out = String::new();
        // Writing to a String cannot fail.
        let _ = prometheus_client::encoding::text::encode(&mut out, &self.registry);
        out
    }
}

fn status_name(s: Status) -> &'static str {
    s.as_str()
}
