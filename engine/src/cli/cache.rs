//! `umpire cache warm` and `umpire cache clear`: the verdict cache's shared
//! layer, looked after from the command line.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Result, bail};
use clap::{Args, Subcommand};

use super::{Format, load_registry_with};
use crate::{Evaluator, League, cache::VerdictCache, config::Config};

#[derive(Debug, Subcommand)]
pub(super) enum CacheCommand {
    /// Evaluate schedules into the shared cache, so that every process
    /// sharing it finds their verdicts.
    Warm(WarmArgs),
    /// Delete every entry of the shared cache under the config's prefix.
    Clear(ClearArgs),
}

#[derive(Debug, Args)]
pub(super) struct WarmArgs {
    /// League directory (holding league.toml).
    #[arg(long, value_name = "DIR")]
    league: PathBuf,
    /// Schedule files to warm with (repeatable); without any, the config's
    /// `[cache] warm` list, else the league's own schedule.
    #[arg(long = "schedule", value_name = "FILE")]
    schedules: Vec<PathBuf>,
    /// More plugin directories, added to the league's own (repeatable).
    #[arg(long = "plugins", value_name = "DIR")]
    plugins: Vec<PathBuf>,
    /// Never run a plugin's `[build]` command; use what is built.
    #[arg(long)]
    no_build: bool,
    /// Config file naming the shared cache (`[cache.redis]`).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Args)]
pub(super) struct ClearArgs {
    /// Config file naming the shared cache (`[cache.redis]`).
    #[arg(long, value_name = "FILE")]
    config: PathBuf,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(super) fn run(command: CacheCommand) -> Result<ExitCode> {
    match command {
        CacheCommand::Warm(args) => warm(args),
        CacheCommand::Clear(args) => clear(args),
    }
}

/// The config, which must name a shared cache: an in-process cache dies
/// with the command.
fn shared(path: &std::path::Path) -> Result<(Config, VerdictCache)> {
    let config = Config::load(Some(path))?;
    if !config.cache.enabled || config.cache.redis.is_none() {
        bail!(
            "{}: no shared cache to work on: set `[cache.redis]` (see configs/redis.toml), with `[cache] enabled = true`",
            path.display()
        );
    }
    let cache = VerdictCache::new(&config.cache)?;
    Ok((config, cache))
}

fn warm(args: WarmArgs) -> Result<ExitCode> {
    let (config, cache) = shared(&args.config)?;
    let cache = Arc::new(cache);
    let league = League::load(&args.league)?;
    let files = if !args.schedules.is_empty() {
        args.schedules.clone()
    } else if !config.cache.warm.is_empty() {
        config.cache.warm_files()
    } else if let Some(file) = league.schedule_file.clone() {
        vec![file]
    } else {
        bail!(
            "{}: the league names no `schedule` and the config no `[cache] warm`; pass --schedule FILE",
            args.league.display()
        );
    };
    let mut dirs = league.plugin_dirs.clone();
    dirs.extend(args.plugins.iter().cloned());
    let registry = load_registry_with(&dirs, args.no_build, &config.plugins)?;
    let evaluator = Evaluator::new(Arc::new(league), Arc::new(registry))
        .with_executor(&config.executor)
        .with_breakers(config.breaker)
        .with_data(Arc::new(crate::data::DataSources::new(&config.data)))
        .with_cache(cache.clone());
    let warmed = evaluator.warm(&files)?;
    let flushed = cache.flush(Duration::from_secs(30));
    let stats = cache.stats();
    let l2 = stats.l2.clone().unwrap_or_default();
    let stored: u64 = warmed.iter().map(|w| w.stored).sum();
    // Every verdict stored in L1 was queued for Redis; it took them all
    // unless some write failed, was dropped or never left the queue.
    let complete = flushed && l2.errors == 0 && l2.dropped_writes == 0 && l2.skipped == 0;
    let mut out = anstream::stdout().lock();
    match args.format {
        Format::Json => {
            let v = serde_json::json!({
                "warmed": warmed,
                "stored": stored,
                "complete": complete,
                "cache": stats,
            });
            writeln!(out, "{v}")?;
        }
        Format::Text => {
            for w in &warmed {
                writeln!(
                    out,
                    "warmed {}: {} games, {} verdicts computed and stored in {:.1} ms",
                    w.file.display(),
                    w.games,
                    w.stored,
                    w.elapsed_ms
                )?;
            }
            writeln!(
                out,
                "redis: {} written, {} errors, {} dropped, breaker {}",
                l2.written, l2.errors, l2.dropped_writes, l2.breaker
            )?;
        }
    }
    if complete {
        Ok(ExitCode::SUCCESS)
    } else {
        let mut err = anstream::stderr();
        writeln!(
            err,
            "{}: Redis did not take every verdict ({} errors, {} dropped, {} skipped while its breaker was open{})",
            super::render::error_label(),
            l2.errors,
            l2.dropped_writes,
            l2.skipped,
            if flushed {
                ""
            } else {
                ", writes still queued after 30 s"
            }
        )?;
        Ok(ExitCode::from(1))
    }
}

fn clear(args: ClearArgs) -> Result<ExitCode> {
    let (config, cache) = shared(&args.config)?;
    let redis = config.cache.redis.unwrap_or_default();
    let prefix = redis.prefix;
    let Some(deleted) = cache.clear() else {
        bail!(
            "{}: Redis at {} did not answer; nothing under `{prefix}` was deleted",
            args.config.display(),
            redis.url
        );
    };
    let mut out = anstream::stdout().lock();
    match args.format {
        Format::Json => writeln!(
            out,
            "{}",
            serde_json::json!({"deleted": deleted, "prefix": prefix})
        )?,
        Format::Text => writeln!(out, "deleted {deleted} entries under `{prefix}`")?,
    }
    Ok(ExitCode::SUCCESS)
}
