//! `umpire check`: validates a league, its schedule, its plugins' manifests
//! and code, and their fixtures, without evaluating anything; every error
//! at once, each naming its file (and line and column where the file has
//! them), as `opa check` does for policies.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Result;
use clap::Args;
use serde::Serialize;

use super::{Format, fixture, render, test};
use crate::manifests::{DependencyGraph, Kind, Manifest};
use crate::model::{League, Schedule};
use crate::runtime::{Compiler, RhaiLimits};

#[derive(Debug, Args)]
pub(super) struct CheckArgs {
    /// The league directory (holding league.toml).
    #[arg(long, value_name = "DIR")]
    league: Option<PathBuf>,
    /// A schedule file to check instead of the league's own.
    #[arg(long, value_name = "FILE")]
    schedule: Option<PathBuf>,
    /// More plugin directories, after the league's own (repeatable).
    #[arg(long = "plugins", value_name = "DIR")]
    plugins: Vec<PathBuf>,
    /// Fixture files, or directories searched for `*.test.toml` (default:
    /// every plugin directory).
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(super) format: Format,
}

/// The plugin directories a league's file names (`plugins = [...]`),
/// read as plain TOML: for a league that does not load, so that its plugins
/// are checked all the same. None when the file cannot say.
fn plugin_dirs_named(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let Ok(text) = std::fs::read_to_string(dir.join("league.toml")) else {
        return Vec::new();
    };
    let Ok(table) = text.parse::<toml::Table>() else {
        return Vec::new();
    };
    (table
        .get("plugins")
        .and_then(toml::Value::as_array)
        .into_iter()
        .flatten())
    .filter_map(toml::Value::as_str)
    .map(|p| crate::model::join_clean(dir, std::path::Path::new(p)))
    .collect()
}

/// What was checked, and what is wrong.
#[derive(Debug, Default, Serialize)]
struct Checked {
    /// Every error found, each naming its file.
    errors: Vec<String>,
    /// What is fine but worth knowing (a component not built yet).
    notes: Vec<String>,
    /// Files checked, by kind.
    leagues: usize,
    schedules: usize,
    manifests: usize,
    fixtures: usize,
}

pub(super) fn run(args: CheckArgs) -> Result<ExitCode> {
    let mut c = Checked::default();
    let mut dirs = Vec::new();
    if let Some(dir) = &args.league {
        c.leagues += 1;
        match League::load(dir) {
            Ok(league) => {
                dirs.extend(league.plugin_dirs.iter().cloned());
                let schedule = args.schedule.clone().or(league.schedule_file.clone());
                if let Some(path) = schedule {
                    c.schedules += 1;
                    if let Err(e) = Schedule::load(&path, &league) {
                        c.errors.extend(e.lines());
                    }
                }
            }
            Err(e) => {
                c.errors.extend(e.lines());
                // The rest of the league is still worth checking: its
                // plugin directories, as its file names them.
                dirs.extend(plugin_dirs_named(dir));
            }
        }
    } else if args.schedule.is_some() {
        c.errors
            .push("--schedule: a schedule is checked against a league; give --league DIR".into());
    }
    dirs.extend(args.plugins.iter().cloned());
    if args.league.is_none() && dirs.is_empty() && args.paths.is_empty() {
        anyhow::bail!(
            "nothing to check: give --league DIR, --plugins DIR or fixture files (`umpire check --help`)"
        );
    }
    let manifests = check_plugins(&dirs, &mut c);
    let fixtures = if args.paths.is_empty() {
        dirs.iter()
            .filter(|d| d.is_dir())
            .filter_map(|d| test::discover(std::slice::from_ref(d)).ok())
            .flatten()
            .collect()
    } else {
        match test::discover(&args.paths) {
            Ok(found) => found,
            Err(e) => {
                c.errors.push(e.to_string());
                Vec::new()
            }
        }
    };
    let ids: Vec<String> = manifests.iter().map(|m| m.id.to_string()).collect();
    for path in &fixtures {
        c.fixtures += 1;
        match fixture::Fixture::load(path) {
            Ok(f) => {
                // A fixture naming its own plugin directories is checked
                // against those too.
                let own: Vec<String> = (f.plugins.iter())
                    .flat_map(|d| loadable(d))
                    .map(|m| m.id.to_string())
                    .collect();
                let known: Vec<&str> = ids.iter().chain(&own).map(String::as_str).collect();
                c.errors.extend(
                    f.unknown_constraints(&known)
                        .into_iter()
                        .map(|e| e.to_string()),
                );
            }
            Err(e) => c.errors.push(e.to_string()),
        }
    }
    report(&c, args.format)?;
    Ok(if c.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// The manifests of `dir` that load, errors ignored (for the ids a
/// fixture's own plugin directories add).
fn loadable(dir: &Path) -> Vec<Manifest> {
    crate::registry::manifest_files(dir)
        .unwrap_or_default()
        .iter()
        .filter_map(|p| Manifest::load(p).ok())
        .collect()
}

/// Loads every manifest of `dirs` and compiles its code, noting each error;
/// the manifests that loaded.
fn check_plugins(dirs: &[PathBuf], c: &mut Checked) -> Vec<Manifest> {
    let mut manifests: Vec<Manifest> = Vec::new();
    let mut seen: HashMap<String, PathBuf> = HashMap::new();
    for dir in dirs {
        let files = match crate::registry::manifest_files(dir) {
            Ok(files) => files,
            Err(e) => {
                c.errors.extend(e.lines());
                continue;
            }
        };
        for path in files {
            c.manifests += 1;
            match Manifest::load(&path) {
                Ok(m) => {
                    if let Some(first) = seen.get(&*m.id) {
                        c.errors.push(format!(
                            "{}: `id`: `{}` is also the id of {}; ids are unique across plugin directories",
                            path.display(),
                            m.id,
                            first.display()
                        ));
                        continue;
                    }
                    seen.insert(m.id.to_string(), path.clone());
                    manifests.push(m);
                }
                Err(e) => c.errors.extend(e.lines()),
            }
        }
    }
    if let Err(e) = DependencyGraph::build(&manifests) {
        c.errors.extend(e.lines());
    }
    let compiler = Compiler::new(&RhaiLimits::default());
    for m in &manifests {
        if m.kind == Kind::Wasm && !m.source.is_file() {
            c.notes.push(format!(
                "{}: `source`: {} is not built yet (`umpire eval` or `umpire test` builds it)",
                m.path.display(),
                m.source.display()
            ));
            continue;
        }
        if let Err(e) = compiler.compile(m) {
            c.errors.extend(e.lines());
        }
    }
    manifests
}

fn report(c: &Checked, format: Format) -> Result<()> {
    match format {
        Format::Json => {
            let mut out = std::io::stdout().lock();
            serde_json::to_writer(
                &mut out,
                &serde_json::json!({
                    "ok": c.errors.is_empty(),
                    "errors": c.errors,
                    "notes": c.notes,
                    "checked": {
                        "leagues": c.leagues,
                        "schedules": c.schedules,
                        "manifests": c.manifests,
                        "fixtures": c.fixtures,
                    },
                }),
            )?;
            writeln!(out)?;
        }
        Format::Text => {
            let mut out = anstream::stdout().lock();
            for e in &c.errors {
                writeln!(out, "{}: {e}", render::error_label())?;
            }
            for n in &c.notes {
                writeln!(out, "note: {n}")?;
            }
            let count = render::count;
            writeln!(
                out,
                "checked {}, {}, {}, {}: {}",
                count(c.leagues, "league"),
                count(c.schedules, "schedule"),
                count(c.manifests, "manifest"),
                count(c.fixtures, "fixture file"),
                if c.errors.is_empty() {
                    "no errors".to_owned()
                } else {
                    count(c.errors.len(), "error")
                }
            )?;
        }
    }
    Ok(())
}
