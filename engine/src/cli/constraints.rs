//! `umpire constraints`: the loaded constraints with their breaker
//! settings, or their dependency graph.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use super::{Format, load_registry_with, render};
use crate::League;

#[derive(Debug, Args)]
pub(super) struct ConstraintsArgs {
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
    pub(super) format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    /// Graphviz dot.
    Dot,
}

pub(super) fn run(args: ConstraintsArgs) -> Result<ExitCode> {
    let mut dirs = Vec::new();
    if let Some(dir) = &args.league {
        dirs.extend(League::load(dir)?.plugin_dirs);
    }
    dirs.extend(args.plugins.iter().cloned());
    if dirs.is_empty() {
        bail!("no plugin directories: pass --league DIR or --plugins DIR");
    }
    let config = crate::config::Config::load(args.config.as_deref())?;
    let registry = load_registry_with(&dirs, args.no_build, &config.plugins)?;
    // A breaker starts closed; a long-running server shows live states.
    let state = crate::breaker::BreakerState::Closed;
    let mut out = anstream::stdout().lock();
    if args.graph == Some(GraphFormat::Dot) {
        write!(out, "{}", registry.graph().to_dot(&registry.manifests()))?;
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
                if let Some(crate::runtime::WasmInfo {
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
