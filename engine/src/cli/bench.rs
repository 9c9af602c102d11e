//! `umpire bench`: what each constraint costs on a league's season, in the
//! manner of `opa bench`; and `eval --profile`, each constraint's share of
//! an evaluation.
//!
//! The bench calls every constraint through one [`Runtime`] on the calling
//! thread (no pool, no cache, no breakers), game after game, round after
//! round until `--duration-ms` has passed for that constraint, and times
//! each call: what is measured is the rule and its host, nothing else.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Result, bail};
use clap::Args;
use hdrhistogram::Histogram;
use serde::Serialize;

use super::{Format, render};
use crate::{
    League, Report, Schedule, Status, manifests::Scope, runtime::RhaiLimits, runtime::Runtime,
};

#[derive(Debug, Args)]
pub(super) struct BenchArgs {
    /// League directory (default: examples/leagues/pacific-atlantic).
    #[arg(long, value_name = "DIR")]
    league: Option<PathBuf>,
    /// Schedule file; defaults to the league's `schedule`.
    #[arg(long, value_name = "FILE")]
    schedule: Option<PathBuf>,
    /// More plugin directories, added to the league's own (repeatable).
    #[arg(long = "plugins", value_name = "DIR")]
    plugins: Vec<PathBuf>,
    /// Time spent on each constraint, at least one round of the season.
    #[arg(long, value_name = "MS", default_value_t = 300, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    duration_ms: u64,
    /// Never run a plugin's `[build]` command; use what is built.
    #[arg(long)]
    no_build: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(super) format: Format,
}

/// One constraint's figures.
#[derive(Debug, Serialize)]
struct Row {
    constraint: Arc<str>,
    kind: &'static str,
    scope: &'static str,
    evaluations: u64,
    mean_ns: f64,
    p50_ns: u64,
    p99_ns: u64,
    ns_per_evaluation: u64,
}

pub(super) fn run(args: BenchArgs) -> Result<ExitCode> {
    let dir = args
        .league
        .clone()
        .unwrap_or_else(|| PathBuf::from("examples/leagues/pacific-atlantic"));
    if args.league.is_none() && !dir.is_dir() {
        bail!(
            "{}: no such league directory here; pass one with --league DIR",
            dir.display()
        );
    }
    let league = League::load(&dir)?;
    let Some(schedule_path) = args
        .schedule
        .clone()
        .or_else(|| league.schedule_file.clone())
    else {
        bail!(
            "{}: the league names no `schedule`; pass one with --schedule FILE",
            dir.display()
        );
    };
    let schedule = Arc::new(Schedule::load(&schedule_path, &league)?);
    let mut dirs = league.plugin_dirs.clone();
    dirs.extend(args.plugins.iter().cloned());
    if dirs.is_empty() {
        bail!(
            "no plugin directories: the league lists none and none were given with --plugins DIR"
        );
    }
    let registry = super::load_registry(&dirs, args.no_build)?;
    if schedule.is_empty() {
        bail!(
            "{}: the schedule has no games to time",
            schedule_path.display()
        );
    }
    let league = Arc::new(league);
    let runtime = Runtime::new(league.clone(), &RhaiLimits::default());
    let budget = Duration::from_millis(args.duration_ms);
    let mut rows = Vec::new();
    for &i in registry.graph().order() {
        let c = &registry.constraints()[i];
        let m = &c.manifest;
        let mut hist = Histogram::<u64>::new(3).expect("3 significant figures are supported");
        let mut total = 0u128;
        let started = Instant::now();
        let mut time = |game: Option<&Arc<crate::Game>>| {
            let t = Instant::now();
            let v = runtime.evaluate(c, &schedule, game);
            let ns = t.elapsed().as_nanos();
            std::hint::black_box(v);
            total += ns;
            let _ = hist.record(u64::try_from(ns).unwrap_or(u64::MAX).max(1));
        };
        // A first call pays for lazy set-up (instances, caches): not timed.
        let first = schedule.games().first();
        let _ = runtime.evaluate(c, &schedule, first.filter(|_| m.scope == Scope::Game));
        loop {
            match m.scope {
                Scope::Game => schedule.games().iter().for_each(|g| time(Some(g))),
                Scope::Schedule => time(None),
            }
            if started.elapsed() >= budget {
                break;
            }
        }
        let n = hist.len();
        let mean = total as f64 / n as f64;
        rows.push(Row {
            constraint: m.id.clone(),
            kind: m.kind.as_str(),
            scope: match (m.scope, m.partition) {
                (Scope::Game, _) => "game",
                (Scope::Schedule, None) => "schedule",
                (Scope::Schedule, Some(crate::manifests::Partition::Team)) => "schedule/team",
                (Scope::Schedule, Some(crate::manifests::Partition::Venue)) => "schedule/venue",
            },
            evaluations: n,
            mean_ns: mean,
            p50_ns: hist.value_at_quantile(0.5),
            p99_ns: hist.value_at_quantile(0.99),
            ns_per_evaluation: mean.round() as u64,
        });
    }
    // What one season's evaluation costs, by these figures.
    let season_ns: f64 = rows
        .iter()
        .map(|r| {
            let per_season = if r.scope == "game" {
                schedule.len() as f64
            } else {
                1.0
            };
            r.mean_ns * per_season
        })
        .sum();
    let mut out = anstream::stdout().lock();
    match args.format {
        Format::Json => {
            let v = serde_json::json!({
                "league": league.name,
                "games": schedule.len(),
                "duration_ms": args.duration_ms,
                "constraints": rows,
                "season_ns": season_ns.round() as u64,
            });
            writeln!(out, "{v}")?;
        }
        Format::Text => {
            let width = rows
                .iter()
                .map(|r| r.constraint.len())
                .max()
                .unwrap_or(10)
                .max(10);
            writeln!(
                out,
                "{} · {} games · {} constraints · one thread, no cache\n",
                league.name,
                schedule.len(),
                rows.len()
            )?;
            writeln!(
                out,
                "{:width$}  {:4}  {:14}  {:>11}  {:>9}  {:>9}  {:>9}  {:>11}",
                "constraint", "kind", "scope", "evaluations", "mean", "p50", "p99", "ns/eval"
            )?;
            for r in &rows {
                writeln!(
                    out,
                    "{:width$}  {:4}  {:14}  {:>11}  {:>9}  {:>9}  {:>9}  {:>11}",
                    r.constraint,
                    r.kind,
                    r.scope,
                    r.evaluations,
                    render::duration(r.mean_ns),
                    render::duration(r.p50_ns as f64),
                    render::duration(r.p99_ns as f64),
                    r.ns_per_evaluation
                )?;
            }
            writeln!(
                out,
                "\none season, every constraint once per game (or once per schedule): {}",
                render::duration(season_ns)
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One constraint's time in an evaluation (`eval --profile`).
#[derive(Debug, Serialize)]
pub(super) struct Profile {
    constraint: Arc<str>,
    /// Verdicts that ran (not skipped, not from a breaker's fallback).
    calls: u64,
    total_us: u64,
    mean_us: f64,
    /// Of the time all constraints took, 0..=1.
    share: f64,
}

/// Each constraint's time in `report`, the costliest first.
pub(super) fn profile(report: &Report) -> Vec<Profile> {
    let mut rows: Vec<Profile> = Vec::new();
    let verdicts = report
        .schedule
        .verdicts
        .iter()
        .chain(report.games.iter().flat_map(|g| &g.verdicts));
    for v in verdicts {
        if matches!(v.status, Status::Skipped) {
            continue;
        }
        let row = match rows.iter_mut().find(|r| r.constraint == v.constraint) {
            Some(r) => r,
            None => {
                rows.push(Profile {
                    constraint: v.constraint.clone(),
                    calls: 0,
                    total_us: 0,
                    mean_us: 0.0,
                    share: 0.0,
                });
                rows.last_mut().expect("just pushed")
            }
        };
        row.calls += 1;
        row.total_us += v.elapsed_us;
    }
    let all: u64 = rows.iter().map(|r| r.total_us).sum();
    for r in &mut rows {
        r.mean_us = r.total_us as f64 / r.calls.max(1) as f64;
        r.share = if all == 0 {
            0.0
        } else {
            r.total_us as f64 / all as f64
        };
    }
    rows.sort_by(|a, b| {
        b.total_us
            .cmp(&a.total_us)
            .then(a.constraint.cmp(&b.constraint))
    });
    rows
}

/// The profile as a table after the report.
pub(super) fn write_profile(out: &mut impl Write, rows: &[Profile]) -> std::io::Result<()> {
    let width = rows
        .iter()
        .map(|r| r.constraint.len())
        .max()
        .unwrap_or(10)
        .max(10);
    writeln!(out, "\nprofile (time inside each constraint, all workers):")?;
    writeln!(
        out,
        "  {:width$}  {:>7}  {:>9}  {:>9}  {:>6}",
        "constraint", "calls", "total", "mean", "share"
    )?;
    for r in rows {
        writeln!(
            out,
            "  {:width$}  {:>7}  {:>9}  {:>9}  {:>5.1}%",
            r.constraint,
            r.calls,
            render::duration(r.total_us as f64 * 1e3),
            render::duration(r.mean_us * 1e3),
            r.share * 100.0
        )?;
    }
    Ok(())
}
