//! A REPL session: the league, its schedule and its constraints as loaded,
//! the host's console, and the lines that change them.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail};

use super::super::fixture::similar;
use super::super::render;
use super::ReplArgs;
use super::complete::Words;
use super::error::{LineError, io};
use super::write::{write_reads, write_verdict, write_violation};
use super::{COMMANDS, Last, help};
use crate::runtime::{Console, ConsoleValue, Target};
use crate::{
    Evaluator, League, Registry, Schedule, Status, Verdict, manifests::Manifest, manifests::Scope,
    runtime::RhaiLimits, runtime::Runtime,
};

pub(super) struct Session {
    pub(super) league_dir: PathBuf,
    pub(super) schedule_path: Option<PathBuf>,
    pub(super) dirs: Vec<PathBuf>,
    /// Manifests added with `:load FILE`.
    pub(super) extra: Vec<PathBuf>,
    pub(super) no_build: bool,
    pub(super) timeout: Duration,
    pub(super) league: Arc<League>,
    pub(super) schedule: Arc<Schedule>,
    pub(super) registry: Arc<Registry>,
    pub(super) evaluator: Evaluator,
    pub(super) runtime: Runtime,
    pub(super) console: Console,
    pub(super) time: bool,
    pub(super) trace: bool,
    pub(super) last: Option<Last>,
}

/// The league, its schedule and the constraints, as loaded from disk.
pub(super) type Loaded = (Arc<League>, Arc<Schedule>, Arc<Registry>);

pub(super) fn load(
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
        super::super::load_registry(&dirs, no_build)?
    };
    let registry = if extra.is_empty() {
        registry
    } else {
        let mut manifests: Vec<Manifest> = registry.manifests().into_iter().cloned().collect();
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
    pub(super) fn open(args: &ReplArgs) -> Result<Self> {
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
    pub(super) fn reload(&mut self) -> Result<()> {
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
    pub(super) fn words(&self) -> Words {
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
    pub(super) fn line(&mut self, line: &str, out: &mut dyn Write) -> Result<bool, LineError> {
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

    pub(super) fn expression(&mut self, text: &str, out: &mut dyn Write) -> Result<(), LineError> {
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

    pub(super) fn game(&self, id: &str) -> Result<Arc<crate::Game>, LineError> {
        self.schedule.game(id).cloned().ok_or_else(|| {
            let hint = similar(id, self.schedule.games().iter().map(|g| &*g.id));
            LineError::new(format!(
                "no game `{id}` in the schedule ({} games){hint}",
                self.schedule.len()
            ))
            .hint("Tab completes game ids; `schedule.games.map(|g| g.id)` lists them")
        })
    }

    pub(super) fn constraint(&self, id: &str) -> Result<&crate::Constraint, LineError> {
        self.registry.get(id).ok_or_else(|| {
            let hint = similar(id, self.registry.constraints().iter().map(|c| &**c.id()));
            LineError::new(format!("no constraint `{id}`{hint}")).hint("`:constraints` lists them")
        })
    }

    /// `:eval`: the verdicts, one line each (and their violations).
    pub(super) fn eval(
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
                        traced.push((c.id().clone(), reads.map(|s| s.reads).unwrap_or_default()));
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
                            reads.extend(r.map(|s| s.reads).unwrap_or_default());
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
                    traced.push((c.id().clone(), reads.map(|s| s.reads).unwrap_or_default()));
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
                                traced.push((
                                    c.id().clone(),
                                    reads.map(|s| s.reads).unwrap_or_default(),
                                ));
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

    pub(super) fn example_game(&self) -> String {
        self.schedule
            .games()
            .first()
            .map_or("GAME".to_owned(), |g| g.id.to_string())
    }

    pub(super) fn load_file(&mut self, rest: &str, out: &mut dyn Write) -> Result<(), LineError> {
        let mut words = rest.split_whitespace();
        let (Some(file), game, None) = (words.next(), words.next(), words.next()) else {
            return Err(LineError::new("`:load` takes a file, and a game to bind").hint(
                "a manifest (`rule.toml`), a plugin directory, or a Rhai script (`rule.rhai`); then optionally a game id: `:load rule.toml R14-PHX-SLC`",
            ));
        };
        let path = PathBuf::from(file);
        if !path.exists() {
            return Err(LineError::new(format!(
                "{}: no such file or directory",
                path.display()
            )));
        }
        let game = match game {
            Some(id) => Some(self.schedule.game(id).cloned().ok_or_else(|| {
                LineError::new(format!("no game `{id}` in the schedule")).hint(format!(
                    "a game id, as `schedule.games()` lists them{}",
                    crate::cli::fixture::similar(id, self.schedule.games().iter().map(|g| &*g.id))
                ))
            })?),
            None => None,
        };
        if path.extension().is_some_and(|e| e == "rhai") {
            // The manifest that runs this script gives its params.
            let same = |p: &Path| p.canonicalize().ok() == path.canonicalize().ok();
            let manifest = self
                .registry
                .manifests()
                .into_iter()
                .find(|m| same(&m.source))
                .cloned();
            self.bind(manifest.as_ref(), game, out)?;
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
        .map_err(io)?;
        if path.is_file() {
            let manifest = crate::manifests::Manifest::load(&path).ok();
            self.bind(manifest.as_ref(), game, out)?;
        }
        Ok(())
    }

    /// Binds a manifest's `params` and a `game` in the session, saying so.
    fn bind(
        &mut self,
        manifest: Option<&crate::manifests::Manifest>,
        game: Option<Arc<crate::model::Game>>,
        out: &mut dyn Write,
    ) -> Result<(), LineError> {
        let said = match (manifest, &game) {
            (Some(m), Some(g)) => format!("bound `params` of {} and `game` = {}", m.id, g.id),
            (Some(m), None) => format!("bound `params` of {}", m.id),
            (None, Some(g)) => format!("bound `game` = {}", g.id),
            (None, None) => return Ok(()),
        };
        self.console
            .bind_rule(manifest.map(|m| &m.params), game)
            .map_err(|e| LineError::new(e.message))?;
        writeln!(out, "{said}").map_err(io)
    }
}

pub(super) fn on_off(b: bool) -> &'static str {
    if b { "on" } else { "off" }
}
