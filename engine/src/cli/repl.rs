//! `umpire repl`: try an idea live against a league's season.
//!
//! A line is a Rhai expression, evaluated on the host's own engine with the
//! query API the rules see (`league`, `schedule`; `let game = ...` picks a
//! game), or a `:command`. At a terminal there is line editing, history and
//! completion of commands, constraint ids, game ids and variables
//! (rustyline); with piped stdin there are no prompts, so a session can be
//! scripted, and the exit code is 1 when any line failed.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};
use clap::Args;

use super::fixture::{entity_name, similar};
use super::render;
use crate::model::reads::{Read, Subject};
use crate::runtime::{Console, ConsoleError, ConsoleValue, Target};
use crate::{
    Evaluator, League, Manifest, Registry, RhaiLimits, Runtime, Schedule, Scope, Status, Verdict,
};

#[derive(Debug, Args)]
pub(super) struct ReplArgs {
    /// League directory (holding league.toml).
    #[arg(long, value_name = "DIR")]
    league: PathBuf,
    /// Schedule file; defaults to the league's `schedule`.
    #[arg(long, value_name = "FILE")]
    schedule: Option<PathBuf>,
    /// More plugin directories, added to the league's own (repeatable).
    #[arg(long = "plugins", value_name = "DIR")]
    plugins: Vec<PathBuf>,
    /// Never run a plugin's `[build]` command; use what is built.
    #[arg(long)]
    no_build: bool,
    /// Wall-clock budget of one expression, in milliseconds.
    #[arg(long, value_name = "MS", default_value_t = 5000, value_parser = clap::value_parser!(u64).range(1..=600_000))]
    timeout_ms: u64,
    /// History file (default: `$XDG_STATE_HOME/umpire/repl_history`, or
    /// under `~/.local/state`).
    #[arg(long, value_name = "FILE")]
    history: Option<PathBuf>,
}

/// The commands, for `:help` and completion.
const COMMANDS: &[(&str, &str)] = &[
    (":help", "this list, and the query API"),
    (
        ":load FILE",
        "a manifest or plugin directory: add its constraints; a .rhai file: run it here",
    ),
    (
        ":reload",
        "read the league, the schedule and every plugin again",
    ),
    (
        ":constraints",
        "the constraints: kind, scope, hardness, weight, dependencies",
    ),
    (":graph", "the dependency graph: levels and edges"),
    (
        ":eval GAME [CONSTRAINT]",
        "rule on a game (`schedule`: the schedule-scoped rules)",
    ),
    (
        ":explain GAME",
        "a game, its teams' neighbouring games, and every verdict in full",
    ),
    (":time", "show the time of each evaluation (toggles)"),
    (
        ":bench N",
        "run the last expression or :eval N times: mean, p50, p99",
    ),
    (
        ":trace on|off",
        "show the schedule queries each evaluation makes",
    ),
    (":quit", "leave (or Ctrl-D)"),
];

/// Names of the query API, for completion.
const API: &[&str] = &[
    "schedule.games_of(",
    "schedule.previous_game(",
    "schedule.next_game(",
    "schedule.rest_days(",
    "schedule.games_at(",
    "schedule.games_on(",
    "schedule.game(",
    "schedule.games",
    "schedule.len",
    "league.team(",
    "league.venue(",
    "league.tv_window(",
    "league.teams",
    "league.venues",
    "league.reference(",
    "league.blackout(",
    "days_between(",
    "hours_between(",
    "pass()",
    "violation(",
    "verdict(",
];

/// What `:bench` repeats.
#[derive(Debug, Clone)]
enum Last {
    Expr(String),
    Eval(String, Option<String>),
}

/// A failed line: what, where (in the line), how to fix it.
#[derive(Debug)]
struct LineError {
    message: String,
    position: Option<(usize, usize)>,
    hint: Option<String>,
    /// The file the failing text came from (`:load`), and its text.
    file: Option<(PathBuf, String)>,
}

impl LineError {
    fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            position: None,
            hint: None,
            file: None,
        }
    }

    fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
}

impl From<ConsoleError> for LineError {
    fn from(e: ConsoleError) -> Self {
        Self {
            message: e.message,
            position: e.position,
            hint: e.hint,
            file: None,
        }
    }
}

impl From<anyhow::Error> for LineError {
    fn from(e: anyhow::Error) -> Self {
        Self::new(format!("{e:#}"))
    }
}

struct Session {
    league_dir: PathBuf,
    schedule_path: Option<PathBuf>,
    dirs: Vec<PathBuf>,
    /// Manifests added with `:load FILE`.
    extra: Vec<PathBuf>,
    no_build: bool,
    timeout: Duration,
    league: Arc<League>,
    schedule: Arc<Schedule>,
    registry: Arc<Registry>,
    evaluator: Evaluator,
    runtime: Runtime,
    console: Console,
    time: bool,
    trace: bool,
    last: Option<Last>,
}

/// The league, its schedule and the constraints, as loaded from disk.
type Loaded = (Arc<League>, Arc<Schedule>, Arc<Registry>);

fn load(
    league_dir: &Path,
    schedule: Option<&Path>,
    extra_dirs: &[PathBuf],
    extra: &[PathBuf],
    no_build: bool,
) -> Result<(Loaded, Vec<PathBuf>)> {
    let league = League::load(league_dir)?;
    let Some(path) = schedule
        .map(Path::to_owned)
        .or_else(|| league.schedule_file.clone())
    else {
        bail!(
            "{}: the league names no `schedule`; pass one with --schedule FILE",
            league_dir.display()
        );
    };
    let schedule = Schedule::load(&path, &league)?;
    let mut dirs = league.plugin_dirs.clone();
    dirs.extend(extra_dirs.iter().cloned());
    let registry = if dirs.is_empty() {
        Registry::from_manifests(Vec::new(), &RhaiLimits::default())?
    } else {
        super::load_registry(&dirs, no_build)?
    };
    let registry = if extra.is_empty() {
        registry
    } else {
        let mut manifests: Vec<Manifest> = registry.manifests().to_vec();
        for file in extra {
            let m = Manifest::load(file)?;
            manifests.retain(|old| old.id != m.id);
            manifests.push(m);
        }
        Registry::from_manifests(manifests, &RhaiLimits::default())?
    };
    Ok((
        (Arc::new(league), Arc::new(schedule), Arc::new(registry)),
        dirs,
    ))
}

impl Session {
    fn open(args: &ReplArgs) -> Result<Self> {
        let ((league, schedule, registry), _) = load(
            &args.league,
            args.schedule.as_deref(),
            &args.plugins,
            &[],
            args.no_build,
        )?;
        let console = Console::new(league.clone(), schedule.clone(), &RhaiLimits::default());
        Ok(Self {
            league_dir: args.league.clone(),
            schedule_path: args.schedule.clone(),
            dirs: args.plugins.clone(),
            extra: Vec::new(),
            no_build: args.no_build,
            timeout: Duration::from_millis(args.timeout_ms),
            evaluator: Evaluator::new(league.clone(), registry.clone()),
            runtime: Runtime::new(league.clone(), &RhaiLimits::default()),
            league,
            schedule,
            registry,
            console,
            time: false,
            trace: false,
            last: None,
        })
    }

    /// Loads everything again; on failure the session keeps what it had.
    fn reload(&mut self) -> Result<()> {
        let ((league, schedule, registry), _) = load(
            &self.league_dir,
            self.schedule_path.as_deref(),
            &self.dirs,
            &self.extra,
            self.no_build,
        )?;
        self.console.rebind(league.clone(), schedule.clone());
        self.evaluator = Evaluator::new(league.clone(), registry.clone());
        self.runtime = Runtime::new(league.clone(), &RhaiLimits::default());
        self.league = league;
        self.schedule = schedule;
        self.registry = registry;
        Ok(())
    }

    /// Words to complete: game ids, constraint ids, variables, functions.
    fn words(&self) -> Words {
        Words {
            games: self
                .schedule
                .games()
                .iter()
                .map(|g| g.id.to_string())
                .collect(),
            constraints: self
                .registry
                .constraints()
                .iter()
                .map(|c| c.id().to_string())
                .collect(),
            names: self
                .console
                .variables()
                .into_iter()
                .chain(self.console.functions())
                .collect(),
        }
    }

    /// Runs one line; `Ok(false)` means quit.
    fn line(&mut self, line: &str, out: &mut dyn Write) -> Result<bool, LineError> {
        let line = line.trim();
        if line.is_empty() || line.starts_with("//") {
            return Ok(true);
        }
        let Some(command) = line.strip_prefix(':') else {
            self.expression(line, out)?;
            self.last = Some(Last::Expr(line.to_owned()));
            return Ok(true);
        };
        let mut words = command.split_whitespace();
        let name = words.next().unwrap_or("");
        let args: Vec<&str> = words.collect();
        let rest = command[name.len()..].trim();
        match name {
            "help" | "h" | "?" => help(out)?,
            "quit" | "q" | "exit" => return Ok(false),
            "load" => self.load_file(rest, out)?,
            "reload" => {
                self.reload()?;
                writeln!(
                    out,
                    "reloaded: {} games, {} constraints",
                    self.schedule.len(),
                    self.registry.len()
                )
                .map_err(io)?;
            }
            "constraints" => self.constraints(out)?,
            "graph" => self.graph(out)?,
            "eval" => {
                let (game, constraint) = match args.as_slice() {
                    [g] => (*g, None),
                    [g, c] => (*g, Some(*c)),
                    _ => {
                        return Err(LineError::new(
                            "`:eval` takes a game and, optionally, a constraint",
                        )
                        .hint("e.g. `:eval R14-PHX-SLC` or `:eval R14-PHX-SLC min-rest-days`"));
                    }
                };
                self.eval(game, constraint, out, true)?;
                self.last = Some(Last::Eval(game.to_owned(), constraint.map(str::to_owned)));
            }
            "explain" => match args.as_slice() {
                [g] => self.explain(g, out)?,
                _ => {
                    return Err(LineError::new("`:explain` takes one game id")
                        .hint("e.g. `:explain R14-PHX-SLC`"));
                }
            },
            "time" => {
                self.time = match args.as_slice() {
                    [] => !self.time,
                    ["on"] => true,
                    ["off"] => false,
                    _ => return Err(LineError::new("`:time` takes nothing, `on` or `off`")),
                };
                writeln!(out, "time: {}", on_off(self.time)).map_err(io)?;
            }
            "trace" => {
                self.trace = match args.as_slice() {
                    ["on"] => true,
                    ["off"] => false,
                    _ => return Err(LineError::new("`:trace` takes `on` or `off`")),
                };
                writeln!(out, "trace: {}", on_off(self.trace)).map_err(io)?;
            }
            "bench" => {
                let n: usize = match args.as_slice() {
                    [n] => n.parse().ok().filter(|&n| n > 0).ok_or_else(|| {
                        LineError::new(format!("`{n}` is not a number of runs"))
                            .hint("e.g. `:bench 1000`")
                    })?,
                    _ => {
                        return Err(LineError::new("`:bench` takes a number of runs")
                            .hint("e.g. `:bench 1000`"));
                    }
                };
                self.bench(n, out)?;
            }
            other => {
                let names = COMMANDS
                    .iter()
                    .map(|(c, _)| c.split(' ').next().unwrap_or(c));
                let hint = similar(&format!(":{other}"), names);
                return Err(LineError::new(format!("unknown command `:{other}`{hint}"))
                    .hint("`:help` lists the commands"));
            }
        }
        Ok(true)
    }

    fn expression(&mut self, text: &str, out: &mut dyn Write) -> Result<(), LineError> {
        let started = Instant::now();
        let (value, reads) = self.console.eval(text, self.timeout, self.trace)?;
        let elapsed = started.elapsed();
        match value {
            ConsoleValue::Unit => {}
            ConsoleValue::Shown(s) => writeln!(out, "{s}").map_err(io)?,
            ConsoleValue::Outcome { violations, score } => {
                if violations.is_empty() {
                    writeln!(out, "passed").map_err(io)?;
                } else {
                    writeln!(out, "violated: {} violation(s)", violations.len()).map_err(io)?;
                    for v in &violations {
                        write_violation(out, v)?;
                    }
                }
                if let Some(s) = score {
                    writeln!(out, "  score {s}").map_err(io)?;
                }
            }
        }
        if self.trace {
            write_reads(out, &reads)?;
        }
        if self.time {
            writeln!(out, "time: {}", render::duration(elapsed.as_nanos() as f64)).map_err(io)?;
        }
        Ok(())
    }

    fn game(&self, id: &str) -> Result<Arc<crate::Game>, LineError> {
        self.schedule.game(id).cloned().ok_or_else(|| {
            let hint = similar(id, self.schedule.games().iter().map(|g| &*g.id));
            LineError::new(format!(
                "no game `{id}` in the schedule ({} games){hint}",
                self.schedule.len()
            ))
            .hint("Tab completes game ids; `schedule.games.map(|g| g.id)` lists them")
        })
    }

    fn constraint(&self, id: &str) -> Result<&crate::Constraint, LineError> {
        self.registry.get(id).ok_or_else(|| {
            let hint = similar(id, self.registry.constraints().iter().map(|c| &**c.id()));
            LineError::new(format!("no constraint `{id}`{hint}")).hint("`:constraints` lists them")
        })
    }

    /// `:eval`: the verdicts, one line each (and their violations).
    fn eval(
        &self,
        game: &str,
        constraint: Option<&str>,
        out: &mut dyn Write,
        show: bool,
    ) -> Result<(), LineError> {
        let started = Instant::now();
        let mut traced = Vec::new();
        let verdicts: Vec<Verdict> = if game == "schedule" {
            let ids: Vec<&crate::Constraint> = match constraint {
                Some(c) => {
                    let c = self.constraint(c)?;
                    if c.manifest.scope != Scope::Schedule {
                        return Err(LineError::new(format!(
                            "`{}` is game-scoped; ask it about a game",
                            c.id()
                        ))
                        .hint(format!(
                            "e.g. `:eval {} {}`",
                            self.example_game(),
                            c.id()
                        )));
                    }
                    vec![c]
                }
                None => self
                    .registry
                    .constraints()
                    .iter()
                    .filter(|c| c.manifest.scope == Scope::Schedule)
                    .collect(),
            };
            ids.iter()
                .map(|c| {
                    let Some(p) = c.manifest.partition else {
                        let (v, reads) = self.runtime.evaluate_noting(
                            c,
                            &self.schedule,
                            Target::Schedule,
                            None,
                            self.trace,
                        );
                        traced.push((c.id().clone(), reads.unwrap_or_default()));
                        return v;
                    };
                    // Part by part, as the evaluator asks it.
                    let mut reads = Vec::new();
                    let parts = (0..crate::runtime::part_count(&self.league, p))
                        .map(|k| {
                            let (v, r) = self.runtime.evaluate_noting(
                                c,
                                &self.schedule,
                                Target::Part(p, k),
                                None,
                                self.trace,
                            );
                            reads.extend(r.unwrap_or_default());
                            (k, v)
                        })
                        .collect();
                    traced.push((c.id().clone(), reads));
                    c.merge_parts(&self.league, parts)
                })
                .collect()
        } else {
            let g = self.game(game)?;
            match constraint {
                Some(c) => {
                    let c = self.constraint(c)?;
                    if c.manifest.scope == Scope::Schedule {
                        return Err(LineError::new(format!(
                            "`{}` is schedule-scoped: it is asked about the schedule, not a game",
                            c.id()
                        ))
                        .hint(format!("`:eval schedule {}`", c.id())));
                    }
                    let (v, reads) = self.runtime.evaluate_noting(
                        c,
                        &self.schedule,
                        Target::Game(&g),
                        None,
                        self.trace,
                    );
                    traced.push((c.id().clone(), reads.unwrap_or_default()));
                    vec![v]
                }
                None => {
                    let reports = self
                        .evaluator
                        .try_evaluate_games(&self.schedule, vec![g.clone()])
                        .map_err(|e| LineError::new(e.to_string()))?;
                    let verdicts = reports
                        .into_iter()
                        .next()
                        .map(|r| r.verdicts)
                        .unwrap_or_default();
                    if self.trace {
                        for v in verdicts.iter().filter(|v| v.status != Status::Skipped) {
                            if let Some(c) = self.registry.get(&v.constraint) {
                                let (_, reads) = self.runtime.evaluate_noting(
                                    c,
                                    &self.schedule,
                                    Target::Game(&g),
                                    None,
                                    true,
                                );
                                traced.push((c.id().clone(), reads.unwrap_or_default()));
                            }
                        }
                    }
                    verdicts
                }
            }
        };
        let elapsed = started.elapsed();
        if !show {
            return Ok(());
        }
        let width = verdicts
            .iter()
            .map(|v| v.constraint.len())
            .max()
            .unwrap_or(0);
        for v in &verdicts {
            write_verdict(out, v, width)?;
        }
        if self.trace {
            for (id, reads) in &traced {
                writeln!(out, "{id}:").map_err(io)?;
                write_reads(out, reads)?;
            }
        }
        if self.time {
            writeln!(out, "time: {}", render::duration(elapsed.as_nanos() as f64)).map_err(io)?;
        }
        Ok(())
    }

    fn example_game(&self) -> String {
        self.schedule
            .games()
            .first()
            .map_or("GAME".to_owned(), |g| g.id.to_string())
    }

    fn explain(&self, id: &str, out: &mut dyn Write) -> Result<(), LineError> {
        let g = self.game(id)?;
        let venue = self.league.venue(&g.venue);
        let venue_name = venue.map_or(g.venue.to_string(), |v| {
            format!("{} ({})", v.name, v.timezone_name)
        });
        let w = |out: &mut dyn Write, s: String| writeln!(out, "{s}").map_err(io);
        w(
            out,
            format!(
                "{}{} · {} vs {} · {} · {}",
                g.id,
                g.round.map(|r| format!(" · round {r}")).unwrap_or_default(),
                g.home,
                g.away,
                g.start.strftime("%a %Y-%m-%d %H:%M %Z"),
                venue_name
            ),
        )?;
        w(
            out,
            format!(
                "  ends {} · UTC {} · tv {} · tags {}",
                g.end.strftime("%H:%M"),
                g.start.timestamp().strftime("%Y-%m-%d %H:%M"),
                g.tv.as_deref().unwrap_or("-"),
                if g.tags.is_empty() {
                    "-".to_owned()
                } else {
                    g.tags.iter().map(|t| &**t).collect::<Vec<_>>().join(", ")
                }
            ),
        )?;
        for team in [&g.home, &g.away] {
            let prev = self.schedule.previous_game(team, &g);
            let next = self.schedule.next_game(team, &g);
            let near = |o: Option<&Arc<crate::Game>>, word: &str| match o {
                Some(o) => {
                    let days = (g.date() - o.date()).get_days().abs();
                    format!(
                        "{word} {} ({}, {days} day(s) {})",
                        o.id,
                        o.start.strftime("%a %Y-%m-%d"),
                        if word == "previous" {
                            "before"
                        } else {
                            "after"
                        }
                    )
                }
                None => format!("no {word} game"),
            };
            w(
                out,
                format!(
                    "  {team}: {}; {}",
                    near(prev, "previous"),
                    near(next, "next")
                ),
            )?;
        }
        let reports = self
            .evaluator
            .try_evaluate_games(&self.schedule, vec![g.clone()])
            .map_err(|e| LineError::new(e.to_string()))?;
        let Some(report) = reports.into_iter().next() else {
            return Ok(());
        };
        w(
            out,
            format!(
                "{} · score {:.3} · {} verdict(s) in dependency order:",
                if report.valid {
                    "valid"
                } else {
                    "invalid (a hard violation)"
                },
                report.score,
                report.verdicts.len()
            ),
        )?;
        let width = report
            .verdicts
            .iter()
            .map(|v| v.constraint.len())
            .max()
            .unwrap_or(0);
        for v in &report.verdicts {
            write_verdict(out, v, width)?;
            if let Some(c) = self.registry.get(&v.constraint)
                && !c.manifest.depends_on.is_empty()
            {
                let deps: Vec<&str> = c.manifest.depends_on.iter().map(|d| &**d).collect();
                w(out, format!("      runs after {}", deps.join(", ")))?;
            }
        }
        Ok(())
    }

    fn constraints(&self, out: &mut dyn Write) -> Result<(), LineError> {
        let width = self
            .registry
            .manifests()
            .iter()
            .map(|m| m.id.len())
            .max()
            .unwrap_or(2);
        for m in self.registry.manifests() {
            let deps: Vec<&str> = m.depends_on.iter().map(|d| &**d).collect();
            writeln!(
                out,
                "{:width$}  {:4}  {:8}  {:10}  weight {:>3}{}",
                m.id,
                m.kind.as_str(),
                m.scope.as_str(),
                m.hardness.as_str(),
                m.weight,
                if deps.is_empty() {
                    String::new()
                } else {
                    format!("  after {}", deps.join(", "))
                }
            )
            .map_err(io)?;
        }
        writeln!(out, "{} constraints", self.registry.len()).map_err(io)
    }

    fn graph(&self, out: &mut dyn Write) -> Result<(), LineError> {
        let graph = self.registry.graph();
        for (i, level) in graph.levels().iter().enumerate() {
            let ids: Vec<&str> = level.iter().map(|s| &**s).collect();
            writeln!(out, "level {}: {}", i + 1, ids.join(", ")).map_err(io)?;
        }
        for m in self.registry.manifests() {
            for d in &m.depends_on {
                writeln!(out, "{d} -> {}", m.id).map_err(io)?;
            }
        }
        Ok(())
    }

    fn load_file(&mut self, rest: &str, out: &mut dyn Write) -> Result<(), LineError> {
        if rest.is_empty() {
            return Err(LineError::new("`:load` takes a file").hint(
                "a manifest (`rule.toml`), a plugin directory, or a Rhai script (`rule.rhai`)",
            ));
        }
        let path = PathBuf::from(rest);
        if !path.exists() {
            return Err(LineError::new(format!(
                "{}: no such file or directory",
                path.display()
            )));
        }
        if path.extension().is_some_and(|e| e == "rhai") {
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("{}: cannot read", path.display()))?;
            return self.expression(&text, out).map_err(|e| LineError {
                file: Some((path.clone(), text.clone())),
                ..e
            });
        }
        let before = self.registry.len();
        let (dirs, extra) = if path.is_dir() {
            let mut dirs = self.dirs.clone();
            dirs.push(path.clone());
            (dirs, self.extra.clone())
        } else {
            let mut extra = self.extra.clone();
            extra.push(path.clone());
            (self.dirs.clone(), extra)
        };
        let (old_dirs, old_extra) = (
            std::mem::replace(&mut self.dirs, dirs),
            std::mem::replace(&mut self.extra, extra),
        );
        if let Err(e) = self.reload() {
            self.dirs = old_dirs;
            self.extra = old_extra;
            return Err(e.into());
        }
        writeln!(
            out,
            "loaded {}: {} constraints (was {before})",
            path.display(),
            self.registry.len()
        )
        .map_err(io)
    }

    fn bench(&mut self, n: usize, out: &mut dyn Write) -> Result<(), LineError> {
        let Some(last) = self.last.clone() else {
            return Err(LineError::new("nothing to bench yet").hint(
                "run an expression or `:eval GAME [CONSTRAINT]` first; `:bench N` repeats it",
            ));
        };
        let mut sink = std::io::sink();
        let mut times = Vec::with_capacity(n);
        let (time, trace) = (self.time, self.trace);
        (self.time, self.trace) = (false, false);
        let mut result = Ok(());
        for _ in 0..n {
            let t = Instant::now();
            result = match &last {
                Last::Expr(text) => self
                    .console
                    .eval(text, self.timeout, false)
                    .map(|_| ())
                    .map_err(LineError::from),
                Last::Eval(g, c) => self.eval(g, c.as_deref(), &mut sink, false),
            };
            times.push(t.elapsed().as_nanos() as u64);
            if result.is_err() {
                break;
            }
        }
        (self.time, self.trace) = (time, trace);
        result?;
        times.sort_unstable();
        let mean = times.iter().map(|&t| t as f64).sum::<f64>() / times.len() as f64;
        let at = |q: f64| times[((times.len() - 1) as f64 * q).round() as usize] as f64;
        let what = match &last {
            Last::Expr(t) => format!("`{t}`"),
            Last::Eval(g, Some(c)) => format!(":eval {g} {c}"),
            Last::Eval(g, None) => format!(":eval {g}"),
        };
        writeln!(
            out,
            "{what}: {n} runs, mean {}, p50 {}, p99 {}, min {}, max {}",
            render::duration(mean),
            render::duration(at(0.5)),
            render::duration(at(0.99)),
            render::duration(at(0.0)),
            render::duration(at(1.0)),
        )
        .map_err(io)
    }
}

fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}

fn io(e: std::io::Error) -> LineError {
    LineError::new(format!("writing the answer: {e}"))
}

fn help(out: &mut dyn Write) -> Result<(), LineError> {
    let mut text = String::from("commands:\n");
    for (c, what) in COMMANDS {
        text.push_str(&format!("  {c:26} {what}\n"));
    }
    text.push_str(
        "anything else is a Rhai expression over the query API the rules see:\n  \
         schedule.games_of(team), schedule.previous_game(team, game), schedule.rest_days(team, game),\n  \
         schedule.games_at(venue, date), schedule.games_on(date), schedule.game(id), schedule.len,\n  \
         league.team(id), league.venue(id), league.tv_window(id), league.reference(key), league.blackout(venue, date),\n  \
         days_between(a, b), hours_between(a, b), pass(), violation(severity, message)\n\
         `let game = schedule.game(\"ID\");` binds `game` as a game-scoped rule sees it; `let` and `fn` persist.\n",
    );
    out.write_all(text.as_bytes()).map_err(io)
}

fn write_verdict(out: &mut dyn Write, v: &Verdict, width: usize) -> Result<(), LineError> {
    let count = if v.violations.is_empty() {
        String::new()
    } else {
        format!(" · {} violation(s)", v.violations.len())
    };
    writeln!(
        out,
        "{:width$}  {:8}  {:10}  {}{count}",
        v.constraint,
        v.status.as_str(),
        v.hardness.as_str(),
        render::duration(v.elapsed_us as f64 * 1e3)
    )
    .map_err(io)?;
    if let Some(m) = &v.message {
        writeln!(out, "    {m}").map_err(io)?;
    }
    for violation in &v.violations {
        write_violation(out, violation)?;
    }
    Ok(())
}

fn write_violation(out: &mut dyn Write, v: &crate::Violation) -> Result<(), LineError> {
    let entities: Vec<String> = v.entities.iter().map(entity_name).collect();
    writeln!(
        out,
        "    {}: {}{}",
        v.severity.as_str(),
        v.message,
        if entities.is_empty() {
            String::new()
        } else {
            format!(" [{}]", entities.join(", "))
        }
    )
    .map_err(io)?;
    if let Some(s) = &v.suggestion {
        writeln!(out, "      help: {s}").map_err(io)?;
    }
    Ok(())
}

fn write_reads(out: &mut dyn Write, reads: &[Read]) -> Result<(), LineError> {
    if reads.is_empty() {
        return writeln!(out, "  (no schedule queries)").map_err(io);
    }
    for r in reads {
        writeln!(out, "  query: {}", read_text(r)).map_err(io)?;
    }
    Ok(())
}

/// A schedule query as the script would have written it.
fn read_text(r: &Read) -> String {
    let subject = |s: &Subject| match s {
        Subject::This => "game".to_owned(),
        Subject::Other(id, _) => id.to_string(),
    };
    match r {
        Read::Len => "schedule.len".into(),
        Read::All => "schedule.games".into(),
        Read::At(i) => format!("schedule.games[{i}]"),
        Read::ById(id) => format!("schedule.game({id})"),
        Read::GamesOf(t) => format!("schedule.games_of({t})"),
        Read::GamesOfBetween(t, a, b) => format!("schedule.games_of({t}, {a}, {b})"),
        Read::Previous(t, s) => format!("schedule.previous_game({t}, {})", subject(s)),
        Read::Next(t, s) => format!("schedule.next_game({t}, {})", subject(s)),
        Read::GamesAt(v, d) => format!("schedule.games_at({v}, {d})"),
        Read::GamesOn(d) => format!("schedule.games_on({d})"),
    }
}

fn write_error(e: &LineError, line: &str) {
    let mut err = anstream::stderr().lock();
    let (file, text) = match &e.file {
        Some((path, text)) => (format!("{}:", path.display()), text.as_str()),
        None => (String::new(), line),
    };
    let at = match e.position {
        Some((l, c)) => format!("{file}{l}:{c}: "),
        None if !file.is_empty() => format!("{file} "),
        None => String::new(),
    };
    let _ = writeln!(err, "{}: {at}{}", render::error_label(), e.message);
    if let Some((l, c)) = e.position
        && let Some(text) = text.lines().nth(l.saturating_sub(1))
    {
        let _ = writeln!(err, "  | {text}");
        let _ = writeln!(err, "  | {}^", " ".repeat(c.saturating_sub(1)));
    }
    if let Some(h) = &e.hint {
        let _ = writeln!(err, "  = hint: {h}");
    }
}

/// What completion offers.
#[derive(Debug, Default, Clone)]
struct Words {
    games: Vec<String>,
    constraints: Vec<String>,
    names: Vec<String>,
}

/// The start of the word before `pos` and the words that complete it.
fn candidates(line: &str, pos: usize, words: &Words) -> (usize, Vec<String>) {
    let head = &line[..pos];
    let start = head
        .rfind(|c: char| !(c.is_alphanumeric() || "-_:.".contains(c)))
        .map_or(0, |i| {
            i + head[i..].chars().next().map_or(1, char::len_utf8)
        });
    let word = &head[start..];
    let args_before = head[..start].split_whitespace().count();
    let command = head.split_whitespace().next().unwrap_or("");
    let pool: Vec<&str> = if start == 0 && word.starts_with(':') {
        COMMANDS
            .iter()
            .map(|(c, _)| c.split(' ').next().unwrap_or(c))
            .collect()
    } else if (command == ":eval" || command == ":explain") && args_before == 1 {
        words
            .games
            .iter()
            .map(String::as_str)
            .chain((command == ":eval").then_some("schedule"))
            .collect()
    } else if command == ":eval" && args_before == 2 {
        words.constraints.iter().map(String::as_str).collect()
    } else if command == ":trace" || command == ":time" {
        vec!["on", "off"]
    } else if command.starts_with(':') {
        Vec::new()
    } else {
        words
            .games
            .iter()
            .chain(&words.constraints)
            .chain(&words.names)
            .map(String::as_str)
            .chain(API.iter().copied())
            .collect()
    };
    let mut found: Vec<String> = pool
        .into_iter()
        .filter(|w| w.starts_with(word))
        .map(str::to_owned)
        .collect();
    found.sort();
    found.dedup();
    (start, found)
}

struct Helper {
    words: Words,
}

impl rustyline::completion::Completer for Helper {
    type Candidate = String;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _: &rustyline::Context<'_>,
    ) -> rustyline::Result<(usize, Vec<String>)> {
        Ok(candidates(line, pos, &self.words))
    }
}

impl rustyline::hint::Hinter for Helper {
    type Hint = String;
}

impl rustyline::highlight::Highlighter for Helper {}

impl rustyline::validate::Validator for Helper {}

impl rustyline::Helper for Helper {}

fn history_path(args: &ReplArgs) -> Option<PathBuf> {
    if let Some(p) = &args.history {
        return Some(p.clone());
    }
    let state = std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))?;
    Some(state.join("umpire/repl_history"))
}

pub(super) fn run(args: ReplArgs) -> Result<ExitCode> {
    let mut session = Session::open(&args)?;
    if !std::io::stdin().is_terminal() {
        return piped(&mut session);
    }
    let mut editor: rustyline::Editor<Helper, rustyline::history::DefaultHistory> =
        rustyline::Editor::new().context("starting the line editor")?;
    editor.set_helper(Some(Helper {
        words: session.words(),
    }));
    let history = history_path(&args);
    if let Some(h) = &history {
        let _ = editor.load_history(h);
    }
    println!(
        "umpire repl · {} · {} games · {} constraints · `:help` for commands, Ctrl-D to leave",
        session.league.name,
        session.schedule.len(),
        session.registry.len()
    );
    loop {
        match editor.readline("umpire> ") {
            Ok(line) => {
                if !line.trim().is_empty() {
                    let _ = editor.add_history_entry(line.as_str());
                }
                let mut out = std::io::stdout().lock();
                match session.line(&line, &mut out) {
                    Ok(true) => {}
                    Ok(false) => break,
                    Err(e) => write_error(&e, &line),
                }
                drop(out);
                if let Some(h) = editor.helper_mut() {
                    h.words = session.words();
                }
            }
            Err(rustyline::error::ReadlineError::Interrupted) => continue,
            Err(rustyline::error::ReadlineError::Eof) => break,
            Err(e) => return Err(e).context("reading a line"),
        }
    }
    if let Some(h) = &history {
        if let Some(dir) = h.parent() {
            let _ = std::fs::create_dir_all(dir);
        }
        let _ = editor.save_history(h);
    }
    Ok(ExitCode::SUCCESS)
}

/// Lines from a pipe: no prompts, no banner; exit 1 if any line failed.
fn piped(session: &mut Session) -> Result<ExitCode> {
    let mut failed = false;
    for line in std::io::stdin().lock().lines() {
        let line = line.context("reading stdin")?;
        let mut out = std::io::stdout().lock();
        let result = session.line(&line, &mut out);
        out.flush()?;
        match result {
            Ok(true) => {}
            Ok(false) => break,
            Err(e) => {
                failed = true;
                write_error(&e, &line);
            }
        }
    }
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> Words {
        Words {
            games: vec![
                "R14-PHX-SLC".into(),
                "R14-DEN-CHI".into(),
                "R01-TOR-SDG".into(),
            ],
            constraints: vec!["min-rest-days".into(), "max-consecutive-away".into()],
            names: vec!["league".into(), "schedule".into(), "gap".into()],
        }
    }

    #[test]
    fn completes_commands_games_constraints_and_names() {
        let w = words();
        assert_eq!(candidates(":ex", 3, &w), (0, vec![":explain".to_owned()]));
        assert_eq!(
            candidates(":eval R14-", 10, &w),
            (6, vec!["R14-DEN-CHI".to_owned(), "R14-PHX-SLC".to_owned()])
        );
        assert_eq!(
            candidates(":eval R14-PHX-SLC mi", 20, &w),
            (18, vec!["min-rest-days".to_owned()])
        );
        assert_eq!(candidates(":trace o", 8, &w).1, vec!["off", "on"]);
        let (start, found) = candidates("schedule.rest_days(ga", 21, &w);
        assert_eq!((start, found), (19, vec!["gap".to_owned()]));
        assert!(
            candidates("sched", 5, &w)
                .1
                .contains(&"schedule.games_of(".to_owned())
        );
    }
}
