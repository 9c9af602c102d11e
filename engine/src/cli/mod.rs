//! The `umpire` command line.
//!
//! Exit codes: 0 ok, 1 violations (or failed checks), 2 usage or input
//! error. Human output reads like compiler diagnostics; every command also
//! speaks `--format json`.

mod bench;
mod cache;
mod canned;
mod fixture;
mod itc2021;
mod new;
mod render;
mod repl;
mod test;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::{Evaluator, GenerateOptions, League, Registry, Schedule};

/// A constraint engine for sports and event schedules.
#[derive(Debug, Parser)]
#[command(name = "umpire", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Rule on a league's schedule: every game, then the season.
    Eval(EvalArgs),
    /// List the constraints and analyse their dependency graph.
    Constraints(ConstraintsArgs),
    /// Write a synthetic league and schedule of any size.
    Generate(GenerateArgs),
    /// Warm or clear the shared verdict cache.
    #[command(subcommand)]
    Cache(cache::CacheCommand),
    /// Serve the HTTP API.
    Serve(ServeArgs),
    /// Show the effective configuration.
    #[command(subcommand)]
    Config(ConfigCommand),
    /// Run plugin fixtures (`*.test.toml`): one line per case, then the
    /// totals; exit 1 when a case fails.
    Test(test::TestArgs),
    /// Write a new plugin (manifest, code, fixture) that passes `umpire test`.
    New(new::NewArgs),
    /// Time each constraint on a league's season: evaluations, mean, p50,
    /// p99 and ns per evaluation.
    Bench(bench::BenchArgs),
    /// Try expressions and rules live against a league's season.
    Repl(repl::ReplArgs),
    /// Score an ITC2021 solution as the official validator does: hard
    /// violations (infeasibility) and objective, per class and per
    /// constraint element.
    Itc2021(itc2021::Itc2021Args),
}

#[derive(Debug, Args)]
struct ServeArgs {
    /// Config file (TOML): server, leagues, executor, breakers, data
    /// sources, cache. `UMPIRE_*` variables win over it, flags over both.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    #[arg(long, value_name = "ADDR")]
    bind: Option<String>,
    /// Worker threads per league (default: one per core).
    #[arg(long, value_name = "N")]
    workers: Option<std::num::NonZeroU16>,
    /// A league directory to serve, named after the directory (repeatable);
    /// added to the config's `[leagues]`.
    #[arg(long = "league", value_name = "DIR")]
    leagues: Vec<PathBuf>,
    /// Never run a plugin's `[build]` command; use what is built.
    #[arg(long)]
    no_build: bool,
}

#[derive(Debug, Subcommand)]
enum ConfigCommand {
    /// Print every setting with its value and where it came from: the
    /// default, the file, or an `UMPIRE_*` environment variable.
    Show(ConfigShowArgs),
}

#[derive(Debug, Args)]
struct ConfigShowArgs {
    /// Config file (TOML).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Args)]
struct EvalArgs {
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
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum OrderArg {
    Dependency,
    Cost,
}

#[derive(Debug, Args)]
struct ConstraintsArgs {
    /// League directory whose plugin directories to load.
    #[arg(long, value_name = "DIR")]
    league: Option<PathBuf>,
    /// More plugin directories (repeatable).
    #[arg(long = "plugins", value_name = "DIR")]
    plugins: Vec<PathBuf>,
    /// Never run a plugin's `[build]` command; use what is built.
    #[arg(long)]
    no_build: bool,
    /// Config file (TOML) whose breaker settings to show.
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Print the dependency graph instead, in this format.
    #[arg(long, value_enum)]
    graph: Option<GraphFormat>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    /// Graphviz dot.
    Dot,
}

#[derive(Debug, Args)]
struct GenerateArgs {
    /// Number of teams.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(2..=10_000))]
    teams: u32,
    /// Number of games.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    games: u32,
    /// Random seed.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Plugin directories to list in the generated league.toml, relative to
    /// DIR or absolute (repeatable).
    #[arg(long = "plugins", value_name = "DIR")]
    plugins: Vec<PathBuf>,
}

/// Parses the command line, runs the command and maps the outcome to an
/// exit code.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    // A server sets up its log from its config.
    if !matches!(cli.command, Command::Serve(_)) {
        init_tracing("warn", crate::LogFormat::Text);
    }
    match run(cli) {
        Ok(code) => code,
        // The reader went away (`umpire eval | head`): stop quietly, as
        // Unix filters do.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let mut stderr = anstream::stderr();
            let _ = writeln!(stderr, "{}: {err:#}", render::error_label());
            ExitCode::from(2)
        }
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|e| {
        let kind = e
            .downcast_ref::<std::io::Error>()
            .map(std::io::Error::kind)
            .or_else(|| e.downcast_ref::<serde_json::Error>()?.io_error_kind());
        kind == Some(std::io::ErrorKind::BrokenPipe)
    })
}

/// Logs to stderr at `level` (`UMPIRE_LOG` wins), as text or JSON lines.
fn init_tracing(level: &str, format: crate::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("UMPIRE_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour_on_stderr())
        .with_writer(std::io::stderr);
    let _ = match format {
        crate::LogFormat::Text => builder.try_init(),
        crate::LogFormat::Json => builder.json().with_current_span(true).try_init(),
    };
}

/// Whether stderr takes colour: a terminal, and neither `NO_COLOR` nor
/// `CLICOLOR=0` set (`CLICOLOR_FORCE` wins), as anstream decides for the
/// diagnostics.
pub(crate) fn colour_on_stderr() -> bool {
    !matches!(
        anstream::AutoStream::choice(&std::io::stderr()),
        anstream::ColorChoice::Never
    )
}

fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Eval(args) => eval(args),
        Command::Constraints(args) => constraints(args),
        Command::Generate(args) => generate(args),
        Command::Cache(command) => cache::run(command),
        Command::Serve(args) => serve(args),
        Command::Config(ConfigCommand::Show(args)) => config_show(args),
        Command::Test(args) => test::run(args),
        Command::New(args) => new::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Repl(args) => repl::run(args),
        Command::Itc2021(args) => itc2021::run(args),
    }
}

fn eval(args: EvalArgs) -> Result<ExitCode> {
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
    let config = crate::Config::load(args.config.as_deref())?;
    let registry = load_registry_with(&dirs, args.no_build, &config.plugins)?;
    let mut executor = config.executor.clone();
    if let Some(n) = args.workers {
        executor.workers = usize::from(n);
    }
    executor.deadline_ms = args.deadline_ms.or(executor.deadline_ms);
    executor.game_deadline_ms = args.game_deadline_ms.or(executor.game_deadline_ms);
    executor.fail_fast |= args.fail_fast;
    match args.order {
        Some(OrderArg::Dependency) => executor.order = crate::Order::Dependency,
        Some(OrderArg::Cost) => executor.order = crate::Order::Cost,
        None => {}
    }
    let evaluator = Evaluator::new(Arc::new(league), Arc::new(registry))
        .with_executor(&executor)
        .with_breakers(config.breaker)
        .with_data(Arc::new(crate::DataSources::new(&config.data)));
    let use_cache = config.cache.enabled && (args.cache || config.cache.redis.is_some());
    let cache = if use_cache {
        Some(Arc::new(crate::VerdictCache::new(&config.cache)?))
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

    match args.format {
        Format::Json => {
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
        Format::Text => {
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

fn serve(args: ServeArgs) -> Result<ExitCode> {
    let loaded = crate::Config::load(args.config.as_deref());
    let level = loaded
        .as_ref()
        .map_or("info".to_owned(), |c| c.server.log_level.clone());
    let format = loaded
        .as_ref()
        .map_or(crate::LogFormat::Text, |c| c.server.log_format);
    init_tracing(&level, format);
    let mut config = loaded?;
    if let Some(bind) = args.bind {
        config.server.bind = bind;
    }
    if let Some(n) = args.workers {
        config.executor.workers = usize::from(n.get());
    }
    let mut leagues: Vec<crate::ServeLeague> = config
        .leagues
        .iter()
        .map(|(name, l)| crate::ServeLeague {
            name: name.clone(),
            dir: l.dir.path().to_path_buf(),
            plugins: l.plugins.iter().map(|p| p.path().to_path_buf()).collect(),
            schedule: l.schedule.as_ref().map(|p| p.path().to_path_buf()),
        })
        .collect();
    for dir in &args.leagues {
        let name = dir
            .canonicalize()
            .ok()
            .and_then(|d| d.file_name().map(|n| n.to_string_lossy().into_owned()))
            .with_context(|| format!("{}: no such league directory", dir.display()))?;
        if leagues.iter().any(|l| l.name == name) {
            bail!(
                "{}: a league named `{name}` is served already",
                dir.display()
            );
        }
        leagues.push(crate::ServeLeague {
            name,
            dir: dir.clone(),
            plugins: Vec::new(),
            schedule: None,
        });
    }
    crate::serve(config, leagues, args.no_build, |addr| {
        // The one line a supervisor or a test waits for.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "umpire: listening on http://{addr}");
        let _ = out.flush();
    })?;
    Ok(ExitCode::SUCCESS)
}

fn config_show(args: ConfigShowArgs) -> Result<ExitCode> {
    let (_, explained) = crate::Config::load_explained(args.config.as_deref())?;
    let mut out = anstream::stdout().lock();
    match args.format {
        Format::Json => {
            writeln!(out, "{}", serde_json::to_string(&explained)?)?;
        }
        Format::Text => {
            let width = explained
                .iter()
                .map(|s| s.key.len() + s.value.len())
                .max()
                .unwrap_or(0)
                + 3;
            for crate::Setting { key, value, source } in &explained {
                let pad = width.saturating_sub(key.len() + value.len() + 3);
                writeln!(out, "{key} = {value}{:pad$}  # {source}", "")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn progress_bar(len: u64, format: Format) -> indicatif::ProgressBar {
    if format == Format::Text && std::io::stderr().is_terminal() && len >= 1_000 {
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

fn constraints(args: ConstraintsArgs) -> Result<ExitCode> {
    let mut dirs = Vec::new();
    if let Some(dir) = &args.league {
        dirs.extend(League::load(dir)?.plugin_dirs);
    }
    dirs.extend(args.plugins.iter().cloned());
    if dirs.is_empty() {
        bail!("no plugin directories: pass --league DIR or --plugins DIR");
    }
    let config = crate::Config::load(args.config.as_deref())?;
    let registry = load_registry_with(&dirs, args.no_build, &config.plugins)?;
    // A breaker starts closed; a long-running server shows live states.
    let state = crate::BreakerState::Closed;
    let mut out = anstream::stdout().lock();
    if args.graph == Some(GraphFormat::Dot) {
        write!(out, "{}", registry.graph().to_dot(registry.manifests()))?;
    } else if args.format == Format::Json {
        let graph = registry.graph();
        let constraints = registry
            .constraints()
            .iter()
            .map(|c| {
                let mut v = serde_json::to_value(&c.manifest)?;
                v["breaker"] = serde_json::json!({
                    "state": state,
                    "window_s": config.breaker.window.as_secs_f64(),
                    "min_calls": config.breaker.min_calls,
                    "failure_rate": config.breaker.failure_rate,
                    "open_s": config.breaker.open_for.as_secs_f64(),
                    "probes": config.breaker.probes,
                });
                if let Some(crate::WasmInfo {
                    sha256,
                    compiled,
                    version,
                }) = c.wasm_info()
                {
                    v["component"] = serde_json::json!({
                        "sha256": sha256,
                        "compiled": compiled,
                        "version": version,
                    });
                }
                Ok(v)
            })
            .collect::<serde_json::Result<Vec<_>>>()?;
        let value = serde_json::json!({
            "plugin_dirs": dirs,
            "constraints": constraints,
            "levels": graph.levels(),
            "max_depth": graph.max_depth(),
            "bottlenecks": graph.bottlenecks(),
        });
        serde_json::to_writer(&mut out, &value)?;
        writeln!(out)?;
    } else {
        render::constraints(&mut out, &registry, &dirs, &config.breaker, state)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Loads the constraints, building out-of-date plugins first unless told
/// not to (and saying so on stderr, since a first build takes a while),
/// under the plugin settings of the built-in config and the `UMPIRE_*`
/// environment.
pub(super) fn load_registry(dirs: &[PathBuf], no_build: bool) -> Result<Registry> {
    let config = crate::Config::load(None)?;
    load_registry_with(dirs, no_build, &config.plugins)
}

/// As [`load_registry`], under these plugin settings.
pub(super) fn load_registry_with(
    dirs: &[PathBuf],
    no_build: bool,
    plugins: &crate::PluginsConfig,
) -> Result<Registry> {
    let announce = |event: crate::BuildEvent<'_>| {
        let mut err = anstream::stderr();
        let _ = match event {
            // The one thing a build does to the machine: said plainly.
            crate::BuildEvent::AddingTarget { dir, command } => writeln!(
                err,
                "{} a Rust target the plugins in {} build for: {}",
                render::adding_label(),
                dir.display(),
                command.join(" ")
            ),
            crate::BuildEvent::Building { dir, command } => writeln!(
                err,
                "{} plugins in {}: {}",
                render::building_label(),
                dir.display(),
                command.join(" ")
            ),
            crate::BuildEvent::Built { dir, elapsed } => writeln!(
                err,
                "{} plugins in {} in {}",
                render::built_label(),
                dir.display(),
                render::elapsed(elapsed)
            ),
        };
    };
    // On a terminal cargo draws its progress; elsewhere its output is kept
    // for the error, if there is one.
    let build_output = if std::io::stderr().is_terminal() {
        crate::BuildOutput::Shown
    } else {
        crate::BuildOutput::Captured
    };
    let options = crate::LoadOptions {
        on_build: Some(&announce),
        build_output,
        ..plugins.load_options(false, no_build)
    };
    Ok(Registry::load_opts(dirs, &options)?)
}

fn generate(args: GenerateArgs) -> Result<ExitCode> {
    let options = GenerateOptions {
        teams: args.teams as usize,
        games: args.games as usize,
        seed: args.seed,
        plugins: args.plugins,
    };
    let path = crate::generate(&options, &args.out)?;
    let mut out = anstream::stdout().lock();
    writeln!(
        out,
        "wrote {} ({} teams) and {} ({} games)",
        path.display(),
        options.teams,
        args.out.join("schedule.json").display(),
        options.games
    )?;
    Ok(ExitCode::SUCCESS)
}
