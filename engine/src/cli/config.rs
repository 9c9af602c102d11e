//! `umpire config show`: every setting with its value and where it came
//! from.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Result;
use clap::{Args, Subcommand};

use super::Format;

#[derive(Debug, Subcommand)]
pub(super) enum ConfigCommand {
    /// Print every setting with its value and where it came from: the
    /// default, the file, or an `UMPIRE_*` environment variable.
    Show(ConfigShowArgs),
}

#[derive(Debug, Args)]
pub(super) struct ConfigShowArgs {
    /// Config file (TOML).
    #[arg(long, value_name = "FILE")]
    config: Option<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

pub(super) fn show(args: ConfigShowArgs) -> Result<ExitCode> {
    let (_, explained) = crate::config::Config::load_explained(args.config.as_deref())?;
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
            for crate::config::Setting { key, value, source } in &explained {
                let pad = width.saturating_sub(key.len() + value.len() + 3);
                writeln!(out, "{key} = {value}{:pad$}  # {source}", "")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
