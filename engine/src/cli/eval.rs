//! `umpire eval`: rule on a league's schedule (every game, then the
//! season), print the report, and exit 1 unless the season is clean.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

use super::{bench, load_registry_with, render};
use crate::{Evaluator, League, Schedule};

#[derive(Debug, Args)]
pub(super) struct EvalArgs {
    /// League directory (holding league.toml).
    #[arg(long, value_name = "DIR")]
    league: PathBuf,
    /// Schedule file (.json or .toml); defaults to the league's `schedule`.
    #[arg(long, value_name = "FILE")]
    schedule: Option<PathBuf>,
    /// More plugin directories, added to the league's own (repeatable).
    #[arg(long = "plugins", value_name = "DIR")]
    plugins: Vec<PathBuf>,
    /// Never run a plugin's `[build]` command; use what is built.
    #[arg(long)]
    no_build: bool,
    /// Config file (TOML): executor, breakers, data sources, cache. Flags
    /// win.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Use the verdict cache even without a shared layer (`[cache.redis]`):
    /// in a one-shot run an in-process cache only costs, so by default
    /// `eval` uses the cache when the config names a Redis to share.
    #[arg(long)]
    cache: bool,
    /// Order of a game's independent constraints: `dependency`, or `cost`
    /// (cheap, often failing checks first; pays off with --fail-fast).
    #[arg(long, value_enum)]
    order: Option<OrderArg>,
    /// Wall-clock budget for the whole evaluation, in milliseconds: what has
    /// not run by then gets a `timeout` verdict saying so.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    deadline_ms: Option<u64>,
    /// Wall-clock budget for each game's constraints, in milliseconds.
    #[arg(long, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..))]
    game_deadline_ms: Option<u64>,
    /// Stop each game's evaluation at its first hard violation (the rest of
    /// its constraints are skipped).
    #[arg(long)]
    fail_fast: bool,
    /// Worker threads for the games (default: the number of cores).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=1024))]
    workers: Option<u16>,
    /// Add each constraint's time (calls, total, mean, share) to the
    /// report: a table after it, or `profile` in JSON.
    #[arg(long)]
    profile: bool,
    /// Output format: the text report, JSON, or one self-contained HTML
    /// page of the season (a grid by team and round, filters, every
    /// violation with its help; redirect it to a file).
    #[arg(long, value_enum, default_value_t = EvalFormat::Text)]
    pub(super) format: EvalFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum EvalFormat {
    Text,
    Json,
    Html,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OrderArg {
    Dependency,
    Cost,
}

pub(super) fn run(args: EvalArgs) -> Result<ExitCode> {
    let league = League::load(&args.league)?;
    let schedule_path = match args
        .schedule
        .clone()
        .or_else(|| league.schedule_file.clone())
    {
        Some(p) => p,
        None => bail!(
            "{}: the league names no `schedule`; pass one with --schedule FILE",
            args.league.display()
        ),
    };
    let schedule = Schedule::load(&schedule_path, &league)?;
    let mut dirs = league.plugin_dirs.clone();
    dirs.extend(args.plugins.iter().cloned());
    if dirs.is_empty() {
        bail!(
            "no plugin directories: the league lists no `plugins` and none were given with --plugins DIR"
        );
    }
    let config = crate::config::Config::load(args.config.as_deref())?;
    let registry = load_registry_with(&dirs, args.no_build, &config.plugins)?;
    let mut executor = config.executor.clone();
    if let Some(n) = args.workers {
        executor.workers = usize::from(n);
    }
    executor.deadline_ms = args.deadline_ms.or(executor.deadline_ms);
    executor.game_deadline_ms = args.game_deadline_ms.or(executor.game_deadline_ms);
    executor.fail_fast |= args.fail_fast;
    match args.order {
        Some(OrderArg::Dependency) => executor.order = crate::exec::Order::Dependency,
        Some(OrderArg::Cost) => executor.order = crate::exec::Order::Cost,
        None => {}
    }
    // One run, one answer: no breaker. A rule that fails is asked about
    // every game all the same, so which games get an error cannot depend on
    // timing or on the worker count (the breaker protects a server, which
    // answers many requests; here each failure is in the report).
    let data = Arc::new(crate::data::DataSources::new(&config.data));
    let one_shot = crate::breaker::BreakerConfig {
        min_calls: u32::MAX,
        ..config.breaker
    };
    let evaluator = Evaluator::new(Arc::new(league), Arc::new(registry))
        .with_executor(&executor)
        .with_breakers(one_shot)
        .with_data(data.clone());
    let use_cache = config.cache.enabled && (args.cache || config.cache.redis.is_some());
    let cache = if use_cache {
        Some(Arc::new(crate::cache::VerdictCache::new(&config.cache)?))
    } else {
        None
    };
    let evaluator = match &cache {
        Some(cache) => evaluator.with_cache(cache.clone()),
        None => evaluator,
    };
    let schedule = Arc::new(schedule);

    let bar = progress_bar(schedule.len() as u64, args.format);
    let report = evaluator.evaluate_with_progress(&schedule, &mut |done| {
        if done % 64 == 0 {
            bar.set_position(done as u64);
        }
    });
    bar.finish_and_clear();
    // Leave this run's verdicts in the shared layer for the next process.
    let mut report = report;
    if let Some(cache) = &cache {
        if !cache.flush(std::time::Duration::from_secs(5)) {
            tracing::warn!("some verdicts were not written to the Redis cache within 5 s");
        }
        report.cache = Some(cache.stats());
    }

    // League data no rule read is data the report says nothing about. (A
    // verdict from the cache ran no rule: then nothing can be told.)
    if cache.is_none() && !schedule.is_empty() {
        let mut err = anstream::stderr().lock();
        for unread in unread_league_data(evaluator.league(), data.league_reads()) {
            writeln!(err, "{}: {unread}", render::warning_label())?;
        }
    }
    match args.format {
        EvalFormat::Html => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            out.write_all(
                crate::html::season_page(&report, &schedule, evaluator.league()).as_bytes(),
            )?;
            out.flush()?;
        }
        EvalFormat::Json => {
            // JSON carries no colour: skip anstream's scan for escapes, and
            // buffer (a 10,000-game report is tens of megabytes).
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            if args.profile {
                let mut value = serde_json::to_value(&report)?;
                value["profile"] = serde_json::to_value(bench::profile(&report))?;
                serde_json::to_writer(&mut out, &value).context("writing the report")?;
            } else {
                serde_json::to_writer(&mut out, &report).context("writing the report")?;
            }
            writeln!(out)?;
            out.flush()?;
        }
        EvalFormat::Text => {
            let mut out = anstream::stdout().lock();
            render::report(&mut out, &report, &schedule, evaluator.league())?;
            if args.profile {
                bench::write_profile(&mut out, &bench::profile(&report))?;
            }
            out.flush()?;
        }
    }
    // A rule that failed to run is a failed check: the season was not fully
    // ruled on, so it must not read as a clean pass.
    let s = &report.summary;
    Ok(if s.valid && s.errors == 0 && s.timeouts == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The league's own data that no rule read in this run, each as a warning.
fn unread_league_data(league: &crate::League, reads: &crate::data::LeagueReads) -> Vec<String> {
    use crate::data::LeagueData;
    let mut unread = Vec::new();
    let blackouts: usize = league.venues.iter().map(|v| v.blackouts.len()).sum();
    if blackouts > 0 && !reads.read(LeagueData::Blackouts) {
        unread.push(format!(
            "the league has {blackouts} venue blackout{}, but no loaded rule read them: a game at a blacked-out venue is not flagged (a rule reads them with `league.blackout(venue, date)` in Rhai, `league::blackout-on` in WebAssembly)",
            if blackouts == 1 { "" } else { "s" }
        ));
    }
    let windows = league.tv_windows.len();
    if windows > 0 && !reads.read(LeagueData::TvWindows) {
        unread.push(format!(
            "the league has {windows} TV window{}, but no loaded rule read them: a broadcast game outside its window is not flagged (`league.tv_window(id)` in Rhai, `league::tv-window-by-id` in WebAssembly)",
            if windows == 1 { "" } else { "s" }
        ));
    }
    for key in league.reference.keys() {
        if !reads.read(LeagueData::Reference(key)) {
            unread.push(format!(
                "the league's reference table `{key}` was read by no loaded rule"
            ));
        }
    }
    unread
}

fn progress_bar(len: u64, format: EvalFormat) -> indicatif::ProgressBar {
    if format != EvalFormat::Json && std::io::stderr().is_terminal() && len >= 1_000 {
        let bar = indicatif::ProgressBar::new(len);
        if let Ok(style) = indicatif::ProgressStyle::with_template(
            "{spinner} evaluating [{bar:40}] {pos}/{len} games ({per_sec}, {eta} left)",
        ) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar
    } else {
        indicatif::ProgressBar::hidden()
    }
}
