//! `umpire test [PATH...]`: runs plugin fixtures (`*.test.toml`), one line
//! per case, then `N passed, N failed`.
//!
//! Every fixture is parsed and checked against its league and plugins
//! before any case runs, so a broken fixture is an input error (exit 2)
//! reported like a compiler's, not a failed case. Plugin directories and
//! leagues shared by several fixtures are loaded once.

use std::collections::HashMap;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Instant;

use anyhow::{Result, bail};
use clap::Args;

use super::fixture::{self, Case, Fixture};
use super::{Format, render};
use crate::model::{League, Schedule};
use crate::runtime::{Runtime, Target};
use crate::{Evaluator, Registry, manifests::Scope};

#[derive(Debug, Args)]
pub(super) struct TestArgs {
    /// Fixture files, or directories searched for `*.test.toml` (default:
    /// the current directory); `target/` and hidden folders are skipped.
    #[arg(value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Never run a plugin's `[build]` command; use what is built.
    #[arg(long)]
    no_build: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Only the cases whose name contains this (case-insensitive).
    #[arg(long, value_name = "PATTERN")]
    run: Option<String>,
    /// Show what each case's rules printed (`print`, `debug`, a
    /// component's `log`; a failing case shows it always), and the
    /// schedule queries a failing case's rule made.
    #[arg(short, long)]
    verbose: bool,
    /// Run again whenever a file under the paths, or under a fixture's
    /// plugin directories, changes (Ctrl-C to stop).
    #[arg(long)]
    watch: bool,
}

/// Fixture files under `paths`, sorted, each once.
pub(super) fn discover(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut found = Vec::new();
    for path in paths {
        if path.is_file() {
            found.push(path.clone());
            continue;
        }
        if !path.is_dir() {
            bail!("{}: no such file or directory", path.display());
        }
        let before = found.len();
        let mut stack = vec![path.clone()];
        while let Some(dir) = stack.pop() {
            let entries = std::fs::read_dir(&dir)
                .map_err(|e| anyhow::anyhow!("{}: cannot read: {e}", dir.display()))?;
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                let p = entry.path();
                if name.starts_with('.') || name == "target" {
                    continue;
                }
                if p.is_dir() {
                    stack.push(p);
                } else if name.ends_with(fixture::SUFFIX) {
                    found.push(p);
                }
            }
        }
        if found.len() == before {
            bail!(
                "{}: no fixtures (*{}) here; `umpire new` writes a plugin with one",
                path.display(),
                fixture::SUFFIX
            );
        }
    }
    found.sort();
    found.dedup();
    Ok(found)
}

/// A fixture with its cases resolved and the evaluator to run them on.
struct Ready {
    path: PathBuf,
    cases: Vec<Case>,
    evaluator: Arc<Evaluator>,
}

pub(super) fn run(args: TestArgs) -> Result<ExitCode> {
    if args.watch {
        return watch(&args);
    }
    run_once(&args)
}

/// How long the files must be quiet before a run: an editor's save is
/// several events.
const SETTLE: std::time::Duration = std::time::Duration::from_millis(300);

/// Runs, then runs again after every change, until interrupted.
fn watch(args: &TestArgs) -> Result<ExitCode> {
    use notify::{RecursiveMode, Watcher};
    let (tx, rx) = std::sync::mpsc::channel::<notify::Result<notify::Event>>();
    let mut watcher = notify::recommended_watcher(tx)?;
    let mut watched: Vec<PathBuf> = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    // A fixture's plugin directories, wherever they are.
    for file in discover(&watched).unwrap_or_default() {
        if let Ok(f) = Fixture::load(&file) {
            watched.extend(f.plugins.iter().cloned());
        }
    }
    for path in &mut watched {
        if let Ok(canonical) = path.canonicalize() {
            *path = canonical;
        }
    }
    watched.sort();
    watched.dedup();
    for path in &watched {
        watcher
            .watch(path, RecursiveMode::Recursive)
            .map_err(|e| anyhow::anyhow!("{}: cannot watch: {e}", path.display()))?;
    }
    loop {
        if let Err(e) = run_once(args) {
            let mut err = anstream::stderr().lock();
            writeln!(err, "{}: {e:#}", render::error_label())?;
        }
        println!(
            "watching {} for changes (Ctrl-C to stop)",
            watched
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        );
        // The next change that is not under target/ or hidden, settled.
        loop {
            let Ok(event) = rx.recv() else {
                return Ok(ExitCode::SUCCESS);
            };
            let mut changed = relevant(event, &watched);
            while let Ok(next) = rx.recv_timeout(SETTLE) {
                changed |= relevant(next, &watched);
            }
            if changed {
                break;
            }
        }
    }
}

/// Whether an event is a change to a file a run reads: under a watched
/// path, and not under `target/` or a hidden folder there.
fn relevant(event: notify::Result<notify::Event>, watched: &[PathBuf]) -> bool {
    match event {
        Ok(e) if !matches!(e.kind, notify::EventKind::Access(_)) => e.paths.iter().any(|p| {
            watched.iter().any(|w| {
                p.strip_prefix(w).is_ok_and(|rel| {
                    !rel.components().any(|c| {
                        let c = c.as_os_str().to_string_lossy();
                        c == "target" || c.starts_with('.')
                    })
                })
            })
        }),
        _ => false,
    }
}

fn run_once(args: &TestArgs) -> Result<ExitCode> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let files = discover(&paths)?;
    // Check everything first: a broken fixture stops the run before a case.
    let mut leagues: HashMap<String, (Arc<League>, Option<Arc<Schedule>>)> = HashMap::new();
    let mut registries: HashMap<Vec<PathBuf>, Arc<Registry>> = HashMap::new();
    let mut evaluators: HashMap<(String, Vec<PathBuf>), Arc<Evaluator>> = HashMap::new();
    let mut ready = Vec::new();
    let mut errors = Vec::new();
    for file in &files {
        let fixture = match Fixture::load(file) {
            Ok(f) => f,
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        let key = fixture.league_key();
        let (league, season) = match leagues.get(&key) {
            Some(l) => l.clone(),
            None => match fixture.load_league() {
                Ok(l) => {
                    leagues.insert(key.clone(), l.clone());
                    l
                }
                Err(e) => {
                    errors.push(e.to_string());
                    continue;
                }
            },
        };
        let dirs: Vec<PathBuf> = fixture
            .plugins
            .iter()
            .map(|d| d.canonicalize().unwrap_or_else(|_| d.clone()))
            .collect();
        let registry = match registries.get(&dirs) {
            Some(r) => r.clone(),
            None => match super::load_registry(&dirs, args.no_build) {
                Ok(r) => {
                    let r = Arc::new(r);
                    registries.insert(dirs.clone(), r.clone());
                    r
                }
                Err(e) => {
                    // A plugin directory that cannot be read is the
                    // fixture's `plugins` mistake; an error in a plugin's
                    // own file names that file, and is said as it is.
                    let e = match e.downcast_ref::<crate::Error>() {
                        Some(pe @ crate::Error::PluginDir { .. }) => {
                            fixture.plugins_error(pe).to_string()
                        }
                        _ => e.to_string(),
                    };
                    errors.push(e);
                    continue;
                }
            },
        };
        let cases = match fixture.cases(&league, season.as_ref(), &registry) {
            Ok(c) => c,
            Err(e) => {
                errors.push(e.to_string());
                continue;
            }
        };
        let evaluator = if fixture.data.is_empty() {
            evaluators
                .entry((key, dirs))
                .or_insert_with(|| Arc::new(Evaluator::new(league.clone(), registry.clone())))
                .clone()
        } else {
            // Its own data sources: an evaluator of its own.
            match super::canned::serve(&fixture.data) {
                Ok(data) => {
                    Arc::new(Evaluator::new(league.clone(), registry.clone()).with_data(data))
                }
                Err(e) => {
                    errors.push(format!(
                        "{}: cannot serve its [data] answers: {e}",
                        file.display()
                    ));
                    continue;
                }
            }
        };
        ready.push(Ready {
            path: fixture.path.clone(),
            cases,
            evaluator,
        });
    }
    if !errors.is_empty() {
        let mut err = anstream::stderr().lock();
        for e in &errors {
            writeln!(err, "{}: {e}", render::error_label())?;
        }
        bail!(
            "{} of {} fixture file(s) could not be read; no case was run",
            errors.len(),
            files.len()
        );
    }

    let mut out = anstream::stdout().lock();
    let (mut passed, mut failed, mut filtered) = (0usize, 0usize, 0usize);
    let mut json_cases = Vec::new();
    let pattern = args.run.as_deref().map(str::to_lowercase);
    crate::runtime::printed::listen();
    for r in &ready {
        for case in &r.cases {
            if pattern
                .as_deref()
                .is_some_and(|p| !case.name.to_lowercase().contains(p))
            {
                filtered += 1;
                continue;
            }
            let _ = crate::runtime::printed::take();
            let started = Instant::now();
            let problems = match verdict_of(&r.evaluator, case) {
                Ok(v) => fixture::check(case, &v),
                Err(e) => vec![e],
            };
            let elapsed = started.elapsed();
            let printed = crate::runtime::printed::take();
            let ok = problems.is_empty();
            // What the rule asked of the schedule, for a failing case
            // under -v: asked again, with the queries recorded.
            let reads = (!ok && args.verbose)
                .then(|| reads_of(&r.evaluator, case))
                .flatten();
            if ok {
                passed += 1;
            } else {
                failed += 1;
            }
            let place = format!("{}:{}", r.path.display(), case.line);
            match args.format {
                Format::Text => {
                    render::test_case(&mut out, ok, &place, &case.name, &case.constraint, elapsed)?;
                    for p in &problems {
                        writeln!(out, "       {p}")?;
                    }
                    if args.verbose || !ok {
                        for line in &printed {
                            writeln!(out, "       | {line}")?;
                        }
                    }
                    for read in reads.iter().flatten() {
                        writeln!(out, "       query: {read}")?;
                    }
                }
                Format::Json => json_cases.push(serde_json::json!({
                    "file": r.path,
                    "line": case.line,
                    "name": case.name,
                    "constraint": case.constraint,
                    "passed": ok,
                    "problems": problems,
                    "printed": printed,
                    "queries": reads,
                    "elapsed_us": elapsed.as_micros() as u64,
                })),
            }
        }
    }
    match args.format {
        Format::Text => {
            let skipped = if filtered > 0 {
                format!(" ({filtered} not matching --run)")
            } else {
                String::new()
            };
            writeln!(out, "{passed} passed, {failed} failed{skipped}")?;
            if passed + failed == 0 && filtered > 0 {
                writeln!(
                    out,
                    "{}: no case's name contains {:?}",
                    render::warning_label(),
                    args.run.as_deref().unwrap_or_default()
                )?;
            }
        }
        Format::Json => {
            let v = serde_json::json!({
                "cases": json_cases, "passed": passed, "failed": failed, "filtered": filtered,
            });
            writeln!(out, "{v}")?;
        }
    }
    Ok(if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What the case's constraint says: about its game (in dependency order,
/// after the schedule-scoped rules, as `eval` would), or about the whole
/// schedule.
/// The schedule queries the case's rule makes, each once, in the order
/// first asked, as the script would write them: about the case's game, or
/// the schedule (each part of a partitioned rule). `None` for a
/// game-scoped rule asked about every game of the case's schedule.
fn reads_of(evaluator: &Evaluator, case: &Case) -> Option<Vec<String>> {
    let c = evaluator.registry().get(&case.constraint)?;
    let league = evaluator.league();
    let runtime = Runtime::new(league.clone(), evaluator.registry().limits());
    let mut reads: Vec<crate::model::reads::Read> = Vec::new();
    let mut ask = |target: Target<'_>| {
        let (_, seen) = runtime.evaluate_noting(c, &case.schedule, target, None, true);
        for read in seen.map(|s| s.reads).unwrap_or_default() {
            if !reads.contains(&read) {
                reads.push(read);
            }
        }
    };
    match (&case.game, c.manifest.scope, c.manifest.partition) {
        (Some(game), Scope::Game, _) => ask(Target::Game(game)),
        (_, Scope::Schedule, None) => ask(Target::Schedule),
        (_, Scope::Schedule, Some(p)) => {
            for k in 0..crate::runtime::part_count(league, p) {
                ask(Target::Part(p, k));
            }
        }
        (None, Scope::Game, _) => return None,
    }
    Some(reads.iter().map(render::read_text).collect())
}

fn verdict_of(evaluator: &Evaluator, case: &Case) -> Result<crate::Verdict, String> {
    let missing = || format!("`{}` gave no verdict", case.constraint);
    if let Some(game) = &case.game {
        let reports = evaluator
            .try_evaluate_games(&case.schedule, vec![game.clone()])
            .map_err(|e| e.to_string())?;
        return reports
            .into_iter()
            .next()
            .and_then(|r| {
                r.verdicts
                    .into_iter()
                    .find(|v| v.constraint == case.constraint)
            })
            .ok_or_else(missing);
    }
    let report = evaluator.evaluate(&case.schedule);
    let scope = evaluator
        .registry()
        .get(&case.constraint)
        .map(|c| c.manifest.scope);
    if scope == Some(Scope::Schedule) {
        return report
            .schedule
            .verdicts
            .into_iter()
            .find(|v| v.constraint == case.constraint)
            .ok_or_else(missing);
    }
    let verdicts: Vec<&crate::Verdict> = report
        .games
        .iter()
        .flat_map(|g| &g.verdicts)
        .filter(|v| v.constraint == case.constraint)
        .collect();
    if verdicts.is_empty() {
        return Err(format!(
            "the case's schedule has no games for `{}` to rule on",
            case.constraint
        ));
    }
    fixture::combine(&case.constraint, verdicts).ok_or_else(missing)
}
