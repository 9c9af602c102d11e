//! What the run measured: every request's outcome and latency, by kind and
//! by second, and the server's memory as sampled during the run.
//!
//! Goose keeps its own figures (in milliseconds, for its reports); the
//! judgements need microseconds and a per-second view, so each request is
//! also recorded here, under one short lock.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

/// The request kinds of a mix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Kind {
    /// One game by id.
    Evaluate,
    /// One game inline, moved.
    EvaluateInline,
    /// A batch of games.
    Batch,
    /// An NDJSON stream of games.
    Stream,
    /// The stats page.
    Stats,
    /// Candidate moves scored (`POST /v1/leagues/{league}/moves`).
    Moves,
    /// A move accepted (`PATCH /v1/leagues/{league}/schedule`).
    Accept,
}

impl Kind {
    /// Every kind, in report order.
    pub(crate) const ALL: [Kind; 7] = [
        Kind::Evaluate,
        Kind::EvaluateInline,
        Kind::Batch,
        Kind::Stream,
        Kind::Stats,
        Kind::Moves,
        Kind::Accept,
    ];

    /// The name in reports and in Goose's metrics.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Kind::Evaluate => "evaluate",
            Kind::EvaluateInline => "evaluate_inline",
            Kind::Batch => "batch",
            Kind::Stream => "stream",
            Kind::Stats => "stats",
            Kind::Moves => "moves",
            Kind::Accept => "accept",
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// How one request ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A 2xx with the answer it should have.
    Answered,
    /// A 503: the server shed the load.
    Shed,
    /// Anything else: a transport error, another status, a wrong body.
    Failed(String),
}

/// Latency histogram in microseconds, up to a minute.
fn histogram(sigfig: u8) -> Histogram<u64> {
    Histogram::new_with_bounds(1, 60_000_000, sigfig).expect("static histogram bounds")
}

/// The figures of one second, or of one kind over the run.
#[derive(Debug, Clone)]
pub(crate) struct Tally {
    pub(crate) answered: u64,
    pub(crate) shed: u64,
    pub(crate) failed: u64,
    /// Latency of answered requests, µs.
    pub(crate) latency: Histogram<u64>,
}

impl Tally {
    pub(crate) fn new(sigfig: u8) -> Self {
        Self {
            answered: 0,
            shed: 0,
            failed: 0,
            latency: histogram(sigfig),
        }
    }

    /// Requests in all.
    pub(crate) fn total(&self) -> u64 {
        self.answered + self.shed + self.failed
    }

    /// A percentile of answered latency in ms (0 when none answered).
    pub(crate) fn percentile_ms(&self, q: f64) -> f64 {
        if self.latency.is_empty() {
            return 0.0;
        }
        self.latency.value_at_quantile(q) as f64 / 1000.0
    }

    fn add(&mut self, latency_us: u64, outcome: &Outcome) {
        match outcome {
            Outcome::Answered => {
                self.answered += 1;
                self.latency.saturating_record(latency_us.max(1));
            }
            Outcome::Shed => self.shed += 1,
            Outcome::Failed(_) => self.failed += 1,
        }
    }

    /// Merges another tally into this one.
    pub(crate) fn merge(&mut self, other: &Tally) {
        self.answered += other.answered;
        self.shed += other.shed;
        self.failed += other.failed;
        // Same bounds on both sides: adding cannot fail.
        let _ = self.latency.add(&other.latency);
    }
}

#[derive(Debug)]
struct Inner {
    /// Second 0 of the load.
    start: Instant,
    seconds: Vec<Tally>,
    kinds: Vec<Tally>,
    failures: BTreeMap<String, u64>,
    rss: Vec<(f64, f64)>,
}

/// The run's recorder, shared by every user.
#[derive(Debug)]
pub(crate) struct Recorder {
    inner: Mutex<Inner>,
    requests: AtomicU64,
}

/// Distinct failure reasons kept; more are counted under "other".
const MAX_REASONS: usize = 32;

impl Recorder {
    pub(crate) fn new() -> Self {
        Self {
            inner: Mutex::new(Inner {
                start: Instant::now(),
                seconds: Vec::new(),
                kinds: Kind::ALL.iter().map(|_| Tally::new(3)).collect(),
                failures: BTreeMap::new(),
                rss: Vec::new(),
            }),
            requests: AtomicU64::new(0),
        }
    }

    /// Marks the start of the load (second 0).
    pub(crate) fn restart_clock(&self) {
        self.inner.lock().expect("recorder").start = Instant::now();
    }

    /// Requests issued so far (counted when they start).
    pub(crate) fn issue(&self) -> u64 {
        self.requests.fetch_add(1, Ordering::Relaxed)
    }

    /// Records a finished request.
    pub(crate) fn record(&self, kind: Kind, latency: Duration, outcome: Outcome) {
        let latency_us = latency.as_micros().min(u128::from(u64::MAX)) as u64;
        let mut inner = self.inner.lock().expect("recorder");
        let second = inner.start.elapsed().as_secs() as usize;
        while inner.seconds.len() <= second {
            inner.seconds.push(Tally::new(2));
        }
        inner.seconds[second].add(latency_us, &outcome);
        inner.kinds[kind.index()].add(latency_us, &outcome);
        if let Outcome::Failed(reason) = outcome {
            let key = if inner.failures.len() < MAX_REASONS || inner.failures.contains_key(&reason)
            {
                format!("{}: {reason}", kind.name())
            } else {
                "other".to_owned()
            };
            *inner.failures.entry(key).or_default() += 1;
        }
    }

    /// Records a sample of the server's resident memory.
    pub(crate) fn sample_rss(&self, mb: f64) {
        let mut inner = self.inner.lock().expect("recorder");
        let t = inner.start.elapsed().as_secs_f64();
        inner.rss.push((t, mb));
    }

    /// What was recorded.
    pub(crate) fn snapshot(&self) -> Recorded {
        let inner = self.inner.lock().expect("recorder");
        Recorded {
            seconds: inner.seconds.clone(),
            kinds: Kind::ALL
                .iter()
                .map(|k| (*k, inner.kinds[k.index()].clone()))
                .collect(),
            failures: inner.failures.clone(),
            rss: inner.rss.clone(),
        }
    }
}

/// A copy of what the recorder holds.
#[derive(Debug, Clone)]
pub(crate) struct Recorded {
    /// Per second since the start.
    pub(crate) seconds: Vec<Tally>,
    /// Per kind over the run.
    pub(crate) kinds: Vec<(Kind, Tally)>,
    /// Failure reasons with their counts.
    pub(crate) failures: BTreeMap<String, u64>,
    /// (seconds since the start, MB) samples of the server's memory.
    pub(crate) rss: Vec<(f64, f64)>,
}

impl Recorded {
    /// Every kind together.
    pub(crate) fn overall(&self) -> Tally {
        let mut all = Tally::new(3);
        for (_, t) in &self.kinds {
            all.merge(t);
        }
        all
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_land_in_their_second_and_kind() {
        let r = Recorder::new();
        r.record(
            Kind::Evaluate,
            Duration::from_micros(300),
            Outcome::Answered,
        );
        r.record(
            Kind::Evaluate,
            Duration::from_micros(900),
            Outcome::Answered,
        );
        r.record(Kind::Batch, Duration::from_micros(50), Outcome::Shed);
        r.record(
            Kind::Stream,
            Duration::from_micros(50),
            Outcome::Failed("500".into()),
        );
        let got = r.snapshot();
        assert_eq!(got.seconds.len(), 1);
        assert_eq!(got.seconds[0].answered, 2);
        assert_eq!(got.seconds[0].shed, 1);
        assert_eq!(got.seconds[0].failed, 1);
        let all = got.overall();
        assert_eq!(all.total(), 4);
        assert!((all.percentile_ms(1.0) - 0.9).abs() < 0.01);
        assert_eq!(got.failures.get("stream: 500"), Some(&1));
    }
}
