//! `umpire generate`: a synthetic league and schedule of any size.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;

use crate::generate::GenerateOptions;

#[derive(Debug, Args)]
pub(super) struct GenerateArgs {
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

pub(super) fn run(args: GenerateArgs) -> Result<ExitCode> {
    let options = GenerateOptions {
        teams: args.teams as usize,
        games: args.games as usize,
        seed: args.seed,
        plugins: args.plugins,
    };
    let path = crate::generate::generate(&options, &args.out)?;
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
