//! From what was recorded to a verdict: the whole-run figures and
//! thresholds, the judgement of the profile's shape (spike recovery, the
//! stress breaking point, endurance drift), and the comparison with a
//! baseline run.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::profile::{Plan, Profile, Regression, Shape, Slo};
use crate::record::{Recorded, Tally};

/// The figures of a set of requests.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Figures {
    pub(crate) requests: u64,
    pub(crate) answered: u64,
    pub(crate) shed: u64,
    pub(crate) failed: u64,
    /// Answered requests per second of the run.
    pub(crate) rps: f64,
    pub(crate) error_rate: f64,
    pub(crate) shed_rate: f64,
    pub(crate) mean_ms: f64,
    pub(crate) p50_ms: f64,
    pub(crate) p95_ms: f64,
    pub(crate) p99_ms: f64,
    pub(crate) max_ms: f64,
}

impl Figures {
    fn of(t: &Tally, secs: f64) -> Self {
        let total = t.total();
        let share = |n: u64| {
            if total == 0 {
                0.0
            } else {
                n as f64 / total as f64
            }
        };
        Self {
            requests: total,
            answered: t.answered,
            shed: t.shed,
            failed: t.failed,
            rps: if secs > 0.0 {
                t.answered as f64 / secs
            } else {
                0.0
            },
            error_rate: share(t.failed),
            shed_rate: share(t.shed),
            mean_ms: if t.latency.is_empty() {
                0.0
            } else {
                t.latency.mean() / 1000.0
            },
            p50_ms: t.percentile_ms(0.50),
            p95_ms: t.percentile_ms(0.95),
            p99_ms: t.percentile_ms(0.99),
            max_ms: t.percentile_ms(1.0),
        }
    }
}

/// One second of the run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Second {
    pub(crate) t: u64,
    /// Users the plan had running (mid-second).
    pub(crate) users: f64,
    pub(crate) requests: u64,
    pub(crate) shed: u64,
    pub(crate) failed: u64,
    /// Answered in this second.
    pub(crate) rps: u64,
    pub(crate) p95_ms: f64,
    pub(crate) p99_ms: f64,
    /// The server's memory sampled in this second, MB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rss_mb: Option<f64>,
    /// Whether this second met the SLO (none: no request ended in it).
    pub(crate) within_slo: Option<bool>,
}

/// The server's memory over the run.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Memory {
    pub(crate) samples: usize,
    pub(crate) first_mb: Option<f64>,
    pub(crate) last_mb: Option<f64>,
    pub(crate) max_mb: Option<f64>,
}

/// The judgement of the profile's shape.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Phases {
    /// Spike: when the peak ended (s from the start).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) peak_end_s: Option<u64>,
    /// Spike: seconds after the peak until the SLO held again for
    /// `slo.hold_s` seconds (none: it never did).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) recovery_s: Option<u64>,
    /// Stress: when the SLO first broke for `slo.hold_s` seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) broke_at_s: Option<u64>,
    /// Stress: the users running then.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) broke_at_users: Option<f64>,
    /// Stress: the most answered requests per second of a second within
    /// the SLO before it broke (the load it held).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) held_rps: Option<u64>,
    /// Endurance: the second the drift judgement starts from (the plateau's
    /// start plus the profile's warm-up).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) judged_from_s: Option<u64>,
    /// Endurance: p95 of the first and last tenth of the judged plateau,
    /// and the drift between them.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) p95_first_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) p95_last_ms: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) p95_drift_pct: Option<f64>,
    /// Endurance: the server's memory over the first and last tenth.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rss_first_mb: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rss_last_mb: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) rss_drift_pct: Option<f64>,
    /// Endurance: the trend of the server's memory over the judged
    /// plateau, MB per hour (least squares over every sample).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) rss_slope_mb_per_h: Option<f64>,
}

/// One check and how it went.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Check {
    pub(crate) name: String,
    /// What it had to be, as text (`<= 50 ms`).
    pub(crate) limit: String,
    /// What it was, as text.
    pub(crate) actual: String,
    pub(crate) pass: bool,
}

/// Everything the run measured and concluded.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Judged {
    pub(crate) totals: Figures,
    pub(crate) kinds: BTreeMap<String, Figures>,
    pub(crate) failures: BTreeMap<String, u64>,
    /// Requests lost: accepted but neither answered nor shed (transport
    /// errors, 5xx other than 503, short or broken answers).
    pub(crate) lost: u64,
    pub(crate) memory: Memory,
    pub(crate) timeline: Vec<Second>,
    #[serde(flatten)]
    pub(crate) phases: Phases,
    pub(crate) checks: Vec<Check>,
}

fn within(t: &Tally, slo: &Slo) -> Option<bool> {
    let total = t.total();
    if total == 0 {
        return None;
    }
    let bad = (t.failed + t.shed) as f64 / total as f64;
    Some(t.answered > 0 && t.percentile_ms(0.95) <= slo.p95_ms && bad <= slo.error_rate)
}

/// Whether a failure reason means a lost request.
fn is_lost(reason: &str) -> bool {
    let reason = reason.split_once(": ").map_or(reason, |(_, r)| r);
    reason.starts_with("transport")
        || reason.starts_with("body")
        || reason.starts_with("stream")
        || reason.starts_with("answer without")
        || (reason.starts_with("status 5") && !reason.starts_with("status 503"))
}

/// Judges a run of `profile` (with `plan`, perhaps lengthened).
pub(crate) fn judge(profile: &Profile, plan: &Plan, got: &Recorded) -> Judged {
    let secs = plan.secs() as f64;
    let totals = Figures::of(&got.overall(), secs);
    let kinds = got
        .kinds
        .iter()
        .filter(|(_, t)| t.total() > 0)
        .map(|(k, t)| (k.name().to_owned(), Figures::of(t, secs)))
        .collect();
    let lost = got
        .failures
        .iter()
        .filter(|(reason, _)| is_lost(reason))
        .map(|(_, n)| n)
        .sum();
    // Seconds past the plan's end hold the stragglers: not judged.
    let seconds: Vec<&Tally> = got.seconds.iter().take(plan.secs() as usize).collect();
    let slo = &profile.slo;
    let timeline: Vec<Second> = seconds
        .iter()
        .enumerate()
        .map(|(t, s)| Second {
            t: t as u64,
            users: (plan.users_at(t as f64 + 0.5) * 10.0).round() / 10.0,
            requests: s.total(),
            shed: s.shed,
            failed: s.failed,
            rps: s.answered,
            p95_ms: s.percentile_ms(0.95),
            p99_ms: s.percentile_ms(0.99),
            rss_mb: got
                .rss
                .iter()
                .rev()
                .find(|(at, _)| *at >= t as f64 && *at < t as f64 + 1.0)
                .map(|(_, mb)| (mb * 10.0).round() / 10.0),
            within_slo: within(s, slo),
        })
        .collect();
    let rss: Vec<f64> = got.rss.iter().map(|(_, mb)| *mb).collect();
    let memory = Memory {
        samples: rss.len(),
        first_mb: rss.first().copied(),
        last_mb: rss.last().copied(),
        max_mb: rss.iter().copied().reduce(f64::max),
    };
    // Checked against the plan in main; a bad value judges from the start.
    let warmup = profile.warmup_s().unwrap_or(0);
    let phases = phases(
        profile.shape,
        plan,
        slo,
        warmup,
        &timeline,
        &seconds,
        &got.rss,
    );
    let mut judged = Judged {
        totals,
        kinds,
        failures: got.failures.clone(),
        lost,
        memory,
        timeline,
        phases,
        checks: Vec::new(),
    };
    judged.checks = checks(profile, &judged);
    judged
}

/// The first second from which `hold` seconds in a row satisfy `ok`.
fn first_run(
    timeline: &[Second],
    from: u64,
    hold: u32,
    ok: impl Fn(&Second) -> bool,
) -> Option<u64> {
    let hold = hold as usize;
    let start = from as usize;
    (start..timeline.len())
        .find(|&t| t + hold <= timeline.len() && timeline[t..t + hold].iter().all(&ok))
        .map(|t| t as u64)
}

fn phases(
    shape: Shape,
    plan: &Plan,
    slo: &Slo,
    warmup: u64,
    timeline: &[Second],
    seconds: &[&Tally],
    rss: &[(f64, f64)],
) -> Phases {
    let mut p = Phases::default();
    match shape {
        Shape::Steady => {}
        Shape::Spike => {
            let end = plan.peak_end();
            p.peak_end_s = Some(end);
            p.recovery_s = first_run(timeline, end, slo.hold_s, |s| s.within_slo == Some(true))
                .map(|t| t - end);
        }
        Shape::Stress => {
            // The first seconds warm up connections and caches.
            let broke = first_run(timeline, 2, slo.hold_s, |s| s.within_slo == Some(false));
            let until = broke.unwrap_or(timeline.len() as u64) as usize;
            p.held_rps = timeline[..until.min(timeline.len())]
                .iter()
                .filter(|s| s.within_slo == Some(true))
                .map(|s| s.rps)
                .max();
            if let Some(t) = broke {
                p.broke_at_s = Some(t);
                p.broke_at_users = Some(timeline[t as usize].users);
            }
        }
        Shape::Endurance => {
            let (start, end) = plan.plateau();
            // The warm-up is left out (at most half the plateau).
            let start = (start + warmup).min(start + (end - start) / 2);
            p.judged_from_s = Some(start);
            let tenth = ((end - start) / 10).max(1);
            let merged = |from: u64, to: u64| {
                let mut all: Option<Tally> = None;
                for s in seconds.iter().take(to as usize).skip(from as usize) {
                    match &mut all {
                        Some(a) => a.merge(s),
                        None => all = Some((*s).clone()),
                    }
                }
                all.filter(|a| a.answered > 0)
                    .map(|a| a.percentile_ms(0.95))
            };
            p.p95_first_ms = merged(start, start + tenth);
            p.p95_last_ms = merged(end - tenth, end);
            p.p95_drift_pct = drift(p.p95_first_ms, p.p95_last_ms);
            let mean = |from: u64, to: u64| {
                let v: Vec<f64> = rss
                    .iter()
                    .filter(|(t, _)| *t >= from as f64 && *t < to as f64)
                    .map(|(_, mb)| *mb)
                    .collect();
                (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
            };
            p.rss_first_mb = mean(start, start + tenth);
            p.rss_last_mb = mean(end - tenth, end);
            p.rss_drift_pct = drift(p.rss_first_mb, p.rss_last_mb);
            p.rss_slope_mb_per_h = slope(
                rss.iter()
                    .filter(|(t, _)| *t >= start as f64 && *t < end as f64)
                    .copied(),
            )
            .map(|per_s| round2(per_s * 3600.0));
        }
    }
    p
}

/// The least-squares slope of `(x, y)` points (none for fewer than two
/// distinct x).
fn slope(points: impl Iterator<Item = (f64, f64)>) -> Option<f64> {
    let points: Vec<(f64, f64)> = points.collect();
    let n = points.len() as f64;
    let mx = points.iter().map(|p| p.0).sum::<f64>() / n;
    let my = points.iter().map(|p| p.1).sum::<f64>() / n;
    let sxx: f64 = points.iter().map(|p| (p.0 - mx).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mx) * (p.1 - my)).sum();
    (points.len() >= 2 && sxx > 0.0).then(|| sxy / sxx)
}

fn drift(first: Option<f64>, last: Option<f64>) -> Option<f64> {
    match (first, last) {
        (Some(a), Some(b)) if a > 0.0 => Some(round2((b - a) / a * 100.0)),
        _ => None,
    }
}

fn round2(x: f64) -> f64 {
    (x * 100.0).round() / 100.0
}

fn ms(x: f64) -> String {
    if x < 10.0 {
        format!("{x:.2} ms")
    } else {
        format!("{x:.1} ms")
    }
}

fn pct(x: f64) -> String {
    format!("{:.2} %", x * 100.0)
}

fn checks(profile: &Profile, j: &Judged) -> Vec<Check> {
    let t = &profile.thresholds;
    let mut out = vec![Check {
        name: "lost requests".into(),
        limit: "= 0".into(),
        actual: j.lost.to_string(),
        pass: j.lost == 0,
    }];
    let mut at_most =
        |name: &str, limit: Option<f64>, actual: Option<f64>, show: fn(f64) -> String| {
            if let Some(limit) = limit {
                out.push(Check {
                    name: name.into(),
                    limit: format!("<= {}", show(limit)),
                    actual: actual.map_or_else(|| "not measured".into(), show),
                    pass: actual.is_some_and(|a| a <= limit),
                });
            }
        };
    at_most("p95", t.p95_ms, Some(j.totals.p95_ms), ms);
    at_most("p99", t.p99_ms, Some(j.totals.p99_ms), ms);
    at_most("error rate", t.error_rate, Some(j.totals.error_rate), pct);
    at_most("shed rate", t.max_shed_rate, Some(j.totals.shed_rate), pct);
    at_most("server memory", t.max_rss_mb, j.memory.max_mb, |x| {
        format!("{x:.1} MB")
    });
    at_most(
        "recovery after the peak",
        t.max_recovery_s,
        j.phases.recovery_s.map(|s| s as f64),
        |x| format!("{x:.0} s"),
    );
    at_most(
        "p95 drift",
        t.max_p95_drift_pct,
        j.phases.p95_drift_pct,
        |x| format!("{x:.1} %"),
    );
    at_most(
        "memory drift",
        t.max_rss_drift_pct,
        j.phases.rss_drift_pct,
        |x| format!("{x:.1} %"),
    );
    if let Some(min) = t.min_rps {
        out.push(Check {
            name: "throughput".into(),
            limit: format!(">= {min:.0} req/s"),
            actual: format!("{:.0} req/s", j.totals.rps),
            pass: j.totals.rps >= min,
        });
    }
    if let Some(min) = t.min_break_rps {
        let held = j.phases.held_rps.unwrap_or(0) as f64;
        out.push(Check {
            name: "SLO held up to".into(),
            limit: format!(">= {min:.0} req/s"),
            actual: format!(
                "{held:.0} req/s{}",
                if j.phases.broke_at_s.is_some() {
                    ""
                } else {
                    " (never broke)"
                }
            ),
            pass: held >= min,
        });
    }
    out
}

/// Checks against a baseline run: p95 and p99 may not rise, throughput
/// may not fall, by more than the allowed percentages. A latency rise
/// under `min_delta_ms` is noise, not a regression.
pub(crate) fn compare(current: &Figures, baseline: &Figures, allowed: &Regression) -> Vec<Check> {
    let rise = |now: f64, then: f64, limit_pct: f64, name: &str| {
        let change = if then > 0.0 {
            (now - then) / then * 100.0
        } else {
            0.0
        };
        Check {
            name: format!("{name} against the baseline"),
            limit: format!("<= +{limit_pct:.0} % (baseline {})", ms(then)),
            actual: format!("{} ({change:+.1} %)", ms(now)),
            pass: change <= limit_pct || now - then < allowed.min_delta_ms,
        }
    };
    let mut out = vec![
        rise(current.p95_ms, baseline.p95_ms, allowed.p95_pct, "p95"),
        rise(current.p99_ms, baseline.p99_ms, allowed.p99_pct, "p99"),
    ];
    let fall = if baseline.rps > 0.0 {
        (baseline.rps - current.rps) / baseline.rps * 100.0
    } else {
        0.0
    };
    out.push(Check {
        name: "throughput against the baseline".into(),
        limit: format!(
            ">= -{:.0} % (baseline {:.0} req/s)",
            allowed.rps_pct, baseline.rps
        ),
        actual: format!("{:.0} req/s ({:+.1} %)", current.rps, -fall),
        pass: fall <= allowed.rps_pct,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn second(t: u64, ok: bool) -> Second {
        Second {
            t,
            users: 1.0,
            requests: 10,
            shed: 0,
            failed: 0,
            rps: 10 + t,
            p95_ms: 1.0,
            p99_ms: 1.0,
            rss_mb: None,
            within_slo: Some(ok),
        }
    }

    #[test]
    fn recovery_waits_for_the_slo_to_hold() {
        let pattern = [
            true, true, false, false, true, false, true, true, true, true,
        ];
        let timeline: Vec<_> = pattern
            .iter()
            .enumerate()
            .map(|(t, ok)| second(t as u64, *ok))
            .collect();
        assert_eq!(
            first_run(&timeline, 2, 3, |s| s.within_slo == Some(true)),
            Some(6)
        );
        assert_eq!(
            first_run(&timeline, 2, 5, |s| s.within_slo == Some(true)),
            None
        );
        assert_eq!(
            first_run(&timeline, 0, 2, |s| s.within_slo == Some(false)),
            Some(2)
        );
    }

    #[test]
    fn endurance_drift_is_judged_after_the_warm_up() {
        // A 10 s ramp, a 100 s plateau. Memory climbs from 30 to 70 MB in
        // the first 20 s of the plateau, then holds at 70.
        let plan = Plan::parse("2,10s;2,100s;0,0s").unwrap();
        let timeline: Vec<_> = (0..110).map(|t| second(t, true)).collect();
        let tally = Tally::new(2);
        let seconds: Vec<&Tally> = (0..110).map(|_| &tally).collect();
        let rss: Vec<(f64, f64)> = (0..110u64)
            .map(|t| (t as f64, 30.0 + 2.0 * (t.saturating_sub(10)).min(20) as f64))
            .collect();
        let slo = Slo::default();
        let judge = |warmup| {
            phases(
                Shape::Endurance,
                &plan,
                &slo,
                warmup,
                &timeline,
                &seconds,
                &rss,
            )
        };
        let all = judge(0);
        assert_eq!(all.judged_from_s, Some(10));
        assert!(all.rss_drift_pct.unwrap() > 20.0, "{all:?}");
        let settled = judge(30);
        assert_eq!(settled.judged_from_s, Some(40));
        assert_eq!(settled.rss_drift_pct, Some(0.0));
        assert_eq!(settled.rss_slope_mb_per_h, Some(0.0));
        // More than half the plateau is never left out.
        assert_eq!(judge(500).judged_from_s, Some(60));
    }

    #[test]
    fn the_memory_trend_is_a_least_squares_slope() {
        let line = (0..100).map(|t| (t as f64, 50.0 + 0.5 * t as f64));
        assert!((slope(line).unwrap() - 0.5).abs() < 1e-9);
        let noisy = [(0.0, 10.0), (1.0, 12.0), (2.0, 10.0), (3.0, 12.0)];
        assert!((slope(noisy.into_iter()).unwrap() - 0.4).abs() < 1e-9);
        assert_eq!(slope([(1.0, 5.0)].into_iter()), None);
        assert_eq!(slope(std::iter::empty()), None);
    }

    #[test]
    fn lost_means_accepted_and_not_answered() {
        assert!(is_lost("evaluate: transport: connection reset"));
        assert!(is_lost("batch: status 500 internal"));
        assert!(is_lost("stream: stream answered 3 of 32 lines"));
        assert!(!is_lost("evaluate: status 422 invalid_request"));
        assert!(!is_lost("evaluate: status 503"));
    }

    #[test]
    fn a_baseline_comparison_allows_noise_and_catches_regressions() {
        let base = Figures {
            p95_ms: 10.0,
            p99_ms: 20.0,
            rps: 1000.0,
            ..Figures::default()
        };
        let allowed = Regression::default();
        let same = compare(&base, &base, &allowed);
        assert!(same.iter().all(|c| c.pass));
        let slower = Figures {
            p95_ms: 12.0,
            rps: 850.0,
            ..base.clone()
        };
        let got = compare(&slower, &base, &allowed);
        assert!(!got[0].pass, "p95 +20 % > 10 %");
        assert!(got[1].pass);
        assert!(!got[2].pass, "throughput -15 % > 10 %");
        let tiny = Figures {
            p95_ms: 0.3,
            p99_ms: 0.5,
            rps: 1000.0,
            ..Figures::default()
        };
        let noisy = Figures {
            p95_ms: 0.45,
            ..tiny.clone()
        };
        assert!(
            compare(&noisy, &tiny, &allowed)[0].pass,
            "0.15 ms is under min_delta_ms"
        );
    }
}
