//! `umpire serve`: the config layered with the flags and the `--league`
//! directories, its log set up, then the HTTP server.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Args;

use super::init_tracing;
use crate::server::Source;

#[derive(Debug, Args)]
pub(super) struct ServeArgs {
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

pub(super) fn run(args: ServeArgs) -> Result<ExitCode> {
    let loaded = crate::config::Config::load(args.config.as_deref());
    let level = loaded
        .as_ref()
        .map_or("info".to_owned(), |c| c.server.log_level.clone());
    let format = loaded
        .as_ref()
        .map_or(crate::config::LogFormat::Text, |c| c.server.log_format);
    init_tracing(&level, format);
    let mut config = loaded?;
    if let Some(bind) = args.bind {
        config.server.bind = bind;
    }
    if let Some(n) = args.workers {
        config.executor.workers = usize::from(n.get());
    }
    let mut leagues: Vec<crate::server::ServeLeague> = config
        .leagues
        .iter()
        .map(|(name, l)| crate::server::ServeLeague {
            name: name.clone(),
            source: match (&l.dir, &l.robinx) {
                (_, Some(r)) => Source::Robinx {
                    instance: r.instance.path().to_path_buf(),
                    solution: r.solution.as_ref().map(|p| p.path().to_path_buf()),
                    pack: r
                        .pack
                        .as_ref()
                        .map_or_else(super::robinx::default_pack, |p| p.path().to_path_buf()),
                },
                // The config's check makes sure one of them is there.
                (dir, None) => Source::Dir {
                    dir: dir
                        .as_ref()
                        .map(|d| d.path().to_path_buf())
                        .unwrap_or_default(),
                    plugins: l.plugins.iter().map(|p| p.path().to_path_buf()).collect(),
                    schedule: l.schedule.as_ref().map(|p| p.path().to_path_buf()),
                },
            },
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
        leagues.push(crate::server::ServeLeague {
            name,
            source: Source::Dir {
                dir: dir.clone(),
                plugins: Vec::new(),
                schedule: None,
            },
        });
    }
    crate::server::serve(config, leagues, args.no_build, |addr| {
        // The one line a supervisor or a test waits for.
        let mut out = std::io::stdout().lock();
        let _ = writeln!(out, "umpire: listening on http://{addr}");
        let _ = out.flush();
    })?;
    Ok(ExitCode::SUCCESS)
}
