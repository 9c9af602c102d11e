//! `umpire-harness`: proves an umpire deployment holds its service levels.
//!
//! A profile from `configs/harness.toml` (smoke, normal, stress, spike,
//! endurance, mixed) is a Goose test plan, a weighted mix of requests drawn
//! from the target's own leagues, whole-run thresholds, and the judgement
//! its shape calls for: the time a spike takes to recover, the load at
//! which stress first broke the SLO, the drift of p95 and memory over a
//! soak. Goose runs the users; the harness records every request in
//! microseconds and by second, because thresholds over the whole run hide
//! exactly the phases these shapes are about.
//!
//! ```sh
//! umpire-harness --profile smoke --spawn configs/default.toml
//! umpire-harness --profile normal --target http://127.0.0.1:8080 --baseline last/report.json
//! ```
//!
//! Exit codes: 0 pass, 1 a threshold or the baseline failed, 2 a
//! configuration error, 3 the target is unreachable.

mod judge;
mod load;
mod profile;
mod record;
mod report;
mod target;
mod workload;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Parser;

use profile::{ConfigError, HarnessFile, Plan};
use record::Recorder;
use report::Report;
use target::{Target, Unreachable};

/// Load-tests `umpire serve` with a profile of configs/harness.toml.
#[derive(Debug, Parser)]
#[command(name = "umpire-harness", version, about)]
struct Args {
    /// The profile to run (see --list).
    #[arg(long, value_name = "NAME", required_unless_present = "list")]
    profile: Option<String>,
    /// The harness file with the profiles.
    #[arg(long, value_name = "FILE", default_value = "configs/harness.toml")]
    config: PathBuf,
    /// A running server's base URL.
    #[arg(long, value_name = "URL", conflicts_with = "spawn", required_unless_present_any = ["spawn", "list"])]
    target: Option<String>,
    /// Start `umpire serve --config CONFIG` on a free loopback port, run,
    /// and stop it.
    #[arg(long, value_name = "CONFIG")]
    spawn: Option<PathBuf>,
    /// Where the reports go [default: target/harness/PROFILE].
    #[arg(long, value_name = "DIR")]
    out_dir: Option<PathBuf>,
    /// An earlier run's report.json to compare with.
    #[arg(long, value_name = "FILE")]
    baseline: Option<PathBuf>,
    /// The length of the plan's plateau (its longest step that holds its
    /// users), e.g. `45m` for a longer soak.
    #[arg(long, value_name = "DURATION")]
    duration: Option<String>,
    /// The `umpire` binary for --spawn [default: beside this one, else on
    /// the PATH].
    #[arg(long, value_name = "PATH")]
    umpire: Option<PathBuf>,
    /// List the profiles and exit.
    #[arg(long)]
    list: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    match run(args) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::from(1),
        Err(e) => {
            eprintln!("umpire-harness: error: {e:#}");
            if e.downcast_ref::<Unreachable>().is_some() {
                ExitCode::from(3)
            } else {
                ExitCode::from(2)
            }
        }
    }
}

fn run(args: Args) -> anyhow::Result<bool> {
    let harness = HarnessFile::load(&args.config)?;
    if args.list {
        for (name, p) in &harness.profiles {
            let plan = Plan::parse(&p.plan).map_err(ConfigError)?;
            println!(
                "{name:<12} {:<9} {:>5}s  {}",
                format!("{:?}", p.shape).to_lowercase(),
                plan.secs(),
                p.description
            );
        }
        return Ok(true);
    }
    let name = args.profile.as_deref().unwrap_or_default();
    let profile = harness.profile(name)?.clone();
    let mut plan = Plan::parse(&profile.plan).map_err(ConfigError)?;
    if let Some(d) = &args.duration {
        let secs =
            profile::parse_duration(d).map_err(|e| ConfigError(format!("--duration: {e}")))?;
        plan = plan.with_plateau(secs).map_err(ConfigError)?;
    }
    profile
        .warmup_within(&plan)
        .map_err(|e| ConfigError(format!("profile `{name}`: {e}")))?;
    let baseline = args.baseline.as_deref().map(Report::load).transpose()?;
    let out_dir = args
        .out_dir
        .clone()
        .unwrap_or_else(|| PathBuf::from("target/harness").join(name));
    std::fs::create_dir_all(&out_dir)
        .with_context(|| format!("cannot create --out-dir {}", out_dir.display()))?;

    let mut target = match (&args.target, &args.spawn) {
        (Some(url), _) => Target::remote(url, Duration::from_secs(harness.spawn.ready_timeout_s))?,
        (None, Some(config)) => {
            let umpire = target::find_umpire(args.umpire.as_deref());
            let env: Vec<(String, String)> = harness
                .spawn
                .env
                .iter()
                .chain(&profile.spawn_env)
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            eprintln!("umpire-harness: starting {} serve", umpire.display());
            Target::spawn(&umpire, config, &harness, &env, &out_dir)?
        }
        (None, None) => unreachable!("clap requires --target or --spawn"),
    };
    let url = target.url.clone();
    let bodies = workload::Bodies::prepare(&url, &harness.workload).map_err(|e| {
        if e.downcast_ref::<Unreachable>().is_some() {
            e
        } else {
            Unreachable(format!("{e:#}")).into()
        }
    })?;
    let leagues = bodies.leagues.clone();
    let memory = match target.pid() {
        Some(pid) => load::Memory::Process(pid),
        None => load::Memory::Stats(url.clone()),
    };
    eprintln!(
        "umpire-harness: profile `{name}` against {url}: plan {} ({} s, up to {} users)",
        plan.to_goose(),
        plan.secs(),
        plan.peak_users()
    );
    let recorder = Arc::new(Recorder::new());
    let started_at = jiff::Timestamp::now()
        .round(jiff::Unit::Second)?
        .to_string();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    let metrics = runtime.block_on(load::run(
        &url,
        &profile,
        &plan,
        bodies,
        recorder.clone(),
        memory,
        &out_dir,
    ));
    let server_exit = target.stop();
    let metrics = metrics?;
    let goose_requests = metrics
        .requests
        .values()
        .map(|r| (r.success_count + r.fail_count) as u64)
        .sum();

    let mut judged = judge::judge(&profile, &plan, &recorder.snapshot());
    if let Some(base) = &baseline {
        judged.checks.extend(judge::compare(
            &judged.totals,
            &base.judged.totals,
            &harness.regression,
        ));
    }
    let passed = judged.checks.iter().all(|c| c.pass);
    let report = Report {
        harness: format!("umpire-harness {}", env!("CARGO_PKG_VERSION")),
        profile: name.to_owned(),
        description: profile.description.clone(),
        shape: profile.shape,
        target: url,
        spawned: args.spawn.is_some(),
        started_at,
        plan: plan.to_goose(),
        peak_users: plan.peak_users(),
        leagues,
        slo: profile.slo.clone(),
        moves_scored_per_s: judged
            .kinds
            .get("moves")
            .map(|f| f.rps * harness.workload.moves_per_request.max(1) as f64),
        judged,
        goose_requests,
        baseline: args.baseline.clone(),
        server_exit,
        passed,
    };
    let written = report
        .write(&out_dir)
        .with_context(|| format!("cannot write the reports into {}", out_dir.display()))?;
    print_summary(&report, &written);
    Ok(passed)
}

fn print_summary(report: &Report, written: &[PathBuf]) {
    let t = &report.judged.totals;
    println!(
        "{} requests: {} answered, {} shed, {} failed; {:.0} req/s; p50 {:.2} ms, p95 {:.2} ms, p99 {:.2} ms",
        t.requests, t.answered, t.shed, t.failed, t.rps, t.p50_ms, t.p95_ms, t.p99_ms
    );
    for c in &report.judged.checks {
        println!(
            "{} {}: {} (limit {})",
            if c.pass { "ok  " } else { "FAIL" },
            c.name,
            c.actual,
            c.limit
        );
    }
    for path in written {
        println!("report: {}", path.display());
    }
    println!(
        "{}: profile `{}`",
        if report.passed { "passed" } else { "failed" },
        report.profile
    );
}
