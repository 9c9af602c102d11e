//! The `umpire` command line.
//!
//! Exit codes: 0 ok, 1 violations (or failed checks), 2 usage or input
//! error. Human output reads like compiler diagnostics; every command also
//! speaks `--format json`.
//!
//! Each command is a file of its own, its arguments and its run; this one
//! holds the command list, the entry point (exit codes, broken pipes,
//! logging) and the loading of the registry the commands share.

mod bench;
mod cache;
mod canned;
mod check;
mod config;
mod constraints;
mod eval;
mod fixture;
mod generate;
mod new;
mod render;
mod repl;
mod robinx;
mod serve;
mod test;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Parser, Subcommand, ValueEnum};

use crate::Registry;

/// A constraint engine for sports and event schedules.
#[derive(Debug, Parser)]
#[command(name = "umpire", version, about, propagate_version = true)]
pub(crate) struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Rule on a league's schedule: every game, then the season.
    Eval(eval::EvalArgs),
    /// List the constraints and analyse their dependency graph.
    Constraints(constraints::ConstraintsArgs),
    /// Write a synthetic league and schedule of any size.
    Generate(generate::GenerateArgs),
    /// Warm or clear the shared verdict cache.
    #[command(subcommand)]
    Cache(cache::CacheCommand),
    /// Serve the HTTP API.
    Serve(serve::ServeArgs),
    /// Show the effective configuration.
    #[command(subcommand)]
    Config(config::ConfigCommand),
    /// Run plugin fixtures (`*.test.toml`): one line per case, then the
    /// totals; exit 1 when a case fails.
    Test(test::TestArgs),
    /// Check a league, its schedule, its plugins and their fixtures without
    /// evaluating: every error at once, each naming its file; exit 1 on any.
    Check(check::CheckArgs),
    /// Write a new plugin (manifest, code, fixture) that passes `umpire test`.
    New(new::NewArgs),
    /// Time each constraint on a league's season: evaluations, mean, p50,
    /// p99 and ns per evaluation.
    Bench(bench::BenchArgs),
    /// Try expressions and rules live against a league's season.
    Repl(repl::ReplArgs),
    /// Score RobinX solutions (ITC2021 among them) as the RobinX validator
    /// does: hard violations (infeasibility) and objective, per class and
    /// per constraint element.
    #[command(visible_alias = "itc2021")]
    Robinx(robinx::RobinxArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

/// Parses the command line, runs the command and maps the outcome to an
/// exit code.
pub(crate) fn main() -> ExitCode {
    let cli = Cli::parse();
    // A server sets up its log from its config.
    if !matches!(cli.command, Command::Serve(_)) {
        init_tracing("warn", crate::config::LogFormat::Text);
    }
    let json = cli.command.prints_json();
    match run(cli) {
        Ok(code) => code,
        // The reader went away (`umpire eval | head`): stop quietly, as
        // Unix filters do.
        Err(err) if is_broken_pipe(&err) => ExitCode::SUCCESS,
        Err(err) => {
            let mut stderr = anstream::stderr();
            // Several errors of one file: each on its own line, labelled.
            match err.downcast_ref::<crate::model::Error>() {
                Some(e @ crate::model::Error::Several { .. }) => {
                    for line in e.lines() {
                        let _ = writeln!(stderr, "{}: {line}", render::error_label());
                    }
                }
                _ => {
                    let _ = writeln!(stderr, "{}: {err:#}", render::error_label());
                }
            }
            if json {
                // A program reading the JSON gets JSON: the error, and where.
                let _ = writeln!(std::io::stdout(), "{}", error_json(&err));
            }
            ExitCode::from(2)
        }
    }
}

impl Command {
    /// Whether the command was asked for JSON on stdout (`--format json`).
    fn prints_json(&self) -> bool {
        let format = match self {
            Command::Eval(a) => return a.format == eval::EvalFormat::Json,
            Command::Check(a) => a.format,
            Command::Constraints(a) => a.format,
            Command::Bench(a) => a.format,
            Command::Robinx(a) => a.format,
            _ => return false,
        };
        format == Format::Json
    }
}

/// An error as the JSON a `--format json` run prints instead of its
/// report: `{"error": {"message", "file", "at", "line", "column",
/// "errors"}}`: the file, the field and its line and column when the error
/// names them (`null` otherwise; the first, when a file had several), and
/// each error's text.
fn error_json(err: &anyhow::Error) -> serde_json::Value {
    let model = err
        .chain()
        .find_map(|e| e.downcast_ref::<crate::model::Error>());
    let (file, at, position) = model.map_or((None, None, None), |e| e.location());
    // Each error, when one file had several (the first is the one placed).
    let each = match model {
        Some(e @ crate::model::Error::Several { .. }) => e.lines(),
        _ => vec![format!("{err:#}")],
    };
    serde_json::json!({
        "error": {
            "message": format!("{err:#}"),
            "file": file.map(|f| f.display().to_string()),
            "at": at,
            "line": position.map(|p| p.0),
            "column": position.map(|p| p.1),
            "errors": each,
        }
    })
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
fn init_tracing(level: &str, format: crate::config::LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("UMPIRE_LOG")
        .or_else(|_| tracing_subscriber::EnvFilter::try_new(level))
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour_on_stderr())
        .with_writer(std::io::stderr);
    let _ = match format {
        crate::config::LogFormat::Text => builder.try_init(),
        crate::config::LogFormat::Json => builder.json().with_current_span(true).try_init(),
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
        Command::Eval(args) => eval::run(args),
        Command::Constraints(args) => constraints::run(args),
        Command::Generate(args) => generate::run(args),
        Command::Cache(command) => cache::run(command),
        Command::Serve(args) => serve::run(args),
        Command::Config(config::ConfigCommand::Show(args)) => config::show(args),
        Command::Test(args) => test::run(args),
        Command::Check(args) => check::run(args),
        Command::New(args) => new::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Repl(args) => repl::run(args),
        Command::Robinx(args) => robinx::run(args),
    }
}

/// Loads the constraints, building out-of-date plugins first unless told
/// not to (and saying so on stderr, since a first build takes a while),
/// under the plugin settings of the built-in config and the `UMPIRE_*`
/// environment.
pub(super) fn load_registry(dirs: &[PathBuf], no_build: bool) -> Result<Registry> {
    let config = crate::config::Config::load(None)?;
    load_registry_with(dirs, no_build, &config.plugins)
}

/// As [`load_registry`], under these plugin settings.
pub(super) fn load_registry_with(
    dirs: &[PathBuf],
    no_build: bool,
    plugins: &crate::registry::PluginsConfig,
) -> Result<Registry> {
    let announce = |event: crate::manifests::BuildEvent<'_>| {
        let mut err = anstream::stderr();
        let _ = match event {
            // The one thing a build does to the machine: said plainly.
            crate::manifests::BuildEvent::AddingTarget { dir, command } => writeln!(
                err,
                "{} a Rust target the plugins in {} build for: {}",
                render::adding_label(),
                dir.display(),
                command.join(" ")
            ),
            crate::manifests::BuildEvent::Building { dir, command } => writeln!(
                err,
                "{} plugins in {}: {}",
                render::building_label(),
                dir.display(),
                command.join(" ")
            ),
            crate::manifests::BuildEvent::Built { dir, elapsed } => writeln!(
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
        crate::manifests::BuildOutput::Shown
    } else {
        crate::manifests::BuildOutput::Captured
    };
    let options = crate::registry::LoadOptions {
        on_build: Some(&announce),
        build_output,
        ..plugins.load_options(false, no_build)
    };
    Ok(Registry::load_opts(dirs, &options)?)
}
