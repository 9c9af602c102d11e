//! `umpire robinx` (also `umpire itc2021`): score RobinX solutions
//! (ITC2021 among them) as the RobinX validator does.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};
use serde_json::{Value, json};

use super::Format;
use crate::robinx::{Host, Instance, Pack, Score, Scorer, Solution};
use crate::{model::EntityKind, model::Hardness, registry::LoadOptions};

#[derive(Debug, Args)]
pub(super) struct RobinxArgs {
    /// Instance file (RobinX XML).
    #[arg(long, value_name = "FILE")]
    instance: PathBuf,
    /// Solution file (RobinX XML); repeat it to score several solutions of
    /// the instance in one process, reading the instance once.
    #[arg(long, value_name = "FILE", required = true)]
    solution: Vec<PathBuf>,
    /// Which host runs the classes: the WebAssembly pack, or the Rhai
    /// version of the classes that have one.
    #[arg(long, value_enum, default_value_t = HostArg::Wasm)]
    host: HostArg,
    /// The plugin pack directory (default: the repository's
    /// plugins/robinx).
    #[arg(long, value_name = "DIR")]
    pack: Option<PathBuf>,
    /// Treat what the validator reads its own way (a match naming an unknown
    /// team or slot, a repeated match, a MetaData mistake, an instance
    /// element that stops its reading) as an input error instead of scoring
    /// it.
    #[arg(long)]
    strict: bool,
    /// How many of the largest violations the text report lists.
    #[arg(long, value_name = "N", default_value_t = 10)]
    top: usize,
    /// Never run the pack's `[build]` command; use what is built.
    #[arg(long)]
    no_build: bool,
    /// Output format: JSON is one object, or an array of them when several
    /// solutions are given.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub(super) format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum HostArg {
    Wasm,
    Rhai,
}

/// One solution's outcome.
enum Outcome {
    Scored(Solution, Score),
    /// No score exists (the validator gives none), and why.
    NoResult(String),
}

pub(super) fn run(args: RobinxArgs) -> Result<ExitCode> {
    crate::robinx::one_shot();
    let instance = Instance::load(&args.instance)?;
    if args.strict && !instance.notes.is_empty() {
        let notes: Vec<String> = instance.notes.iter().map(ToString::to_string).collect();
        bail!(
            "the instance is not read as written (--strict):\n  {}",
            notes.join("\n  ")
        );
    }
    let pack_dir = args.pack.clone().unwrap_or_else(default_pack);
    if !pack_dir.join(Pack::TEMPLATE).is_file() {
        bail!(
            "{}: no RobinX plugin pack here (no {}); pass the pack's directory (plugins/robinx of an umpire checkout) with --pack DIR",
            pack_dir.display(),
            Pack::TEMPLATE
        );
    }
    let pack = Pack::load(&pack_dir)?;
    let host = match args.host {
        HostArg::Wasm => Host::Wasm,
        HostArg::Rhai => Host::Rhai,
    };
    let options: LoadOptions<'_> = crate::config::Config::load(None)?
        .plugins
        .load_options(false, args.no_build);
    let scorer = Scorer::new(&instance, &pack, host, &options)?;
    let mut outcomes = Vec::with_capacity(args.solution.len());
    for path in &args.solution {
        let solution = match Solution::load(path, &instance) {
            Ok(s) => s,
            Err(e) if args.solution.len() == 1 => return Err(e.into()),
            Err(e) => {
                outcomes.push((path, Outcome::NoResult(e.to_string())));
                continue;
            }
        };
        if args.strict && !solution.notes.is_empty() {
            let notes: Vec<String> = solution.notes.iter().map(ToString::to_string).collect();
            bail!(
                "the solution is not read as written (--strict):\n  {}",
                notes.join("\n  ")
            );
        }
        let schedule = Arc::new(solution.schedule(scorer.league())?);
        let score = scorer.score(&schedule);
        let failure = score.failures().next().map(|failed| {
            format!(
                "`{}` cannot be computed, so no score exists: {}",
                failed.constraint,
                failed.message.as_deref().unwrap_or(failed.status.as_str())
            )
        });
        let outcome = match failure {
            Some(why) => Outcome::NoResult(why),
            None => Outcome::Scored(solution, score),
        };
        outcomes.push((path, outcome));
    }
    // The report is written in one piece at the end (it is about 200 KB of
    // JSON for a large instance: written piecemeal it costs milliseconds).
    let mut out: Vec<u8> = Vec::with_capacity(64 << 10);
    let mut err = anstream::stderr().lock();
    for note in &instance.notes {
        writeln!(err, "warning: {note}")?;
    }
    let mut code = 0u8;
    let mut bodies = Vec::new();
    for (path, outcome) in &outcomes {
        match outcome {
            Outcome::NoResult(why) => {
                code = 2;
                match args.format {
                    Format::Json => bodies.push(json!({
                        "instance": instance.name,
                        "instance_file": args.instance,
                        "solution_file": path,
                        "hard_violations": null,
                        "objective": null,
                        "no_result": why,
                    })),
                    Format::Text => writeln!(err, "error: {}: no result: {why}", path.display())?,
                }
            }
            Outcome::Scored(solution, score) => {
                if score.hard_violations > 0 {
                    code = code.max(1);
                }
                let report = Report {
                    args: &args,
                    instance: &instance,
                    path,
                    solution,
                    score,
                    host,
                    pack: &pack,
                };
                match args.format {
                    Format::Json => bodies.push(report.json()),
                    Format::Text => {
                        for note in &solution.notes {
                            writeln!(err, "warning: {note}")?;
                        }
                        report.text(&mut out)?;
                    }
                }
            }
        }
    }
    if args.format == Format::Json {
        if bodies.len() == 1 {
            serde_json::to_writer_pretty(&mut out, &bodies[0])?;
        } else {
            serde_json::to_writer_pretty(&mut out, &bodies)?;
        }
        writeln!(out)?;
    }
    drop(err);
    let mut stdout = anstream::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    // The process ends here: freeing thousands of constraints' manifests,
    // params and verdicts one by one would take longer than the scoring
    // did.
    std::mem::forget((scorer, outcomes, instance));
    Ok(ExitCode::from(code))
}

/// One scored solution, for the report.
struct Report<'a> {
    args: &'a RobinxArgs,
    instance: &'a Instance,
    path: &'a Path,
    solution: &'a Solution,
    score: &'a Score,
    host: Host,
    pack: &'a Pack,
}

impl Report<'_> {
    /// The violations, hard first, largest first.
    fn violations(&self) -> Vec<(&crate::Verdict, &crate::Violation)> {
        let mut violations: Vec<(&crate::Verdict, &crate::Violation)> = self
            .score
            .verdicts
            .iter()
            .map(|v| &**v)
            .flat_map(|v| v.violations.iter().map(move |x| (v, x)))
            .collect();
        violations.sort_by(|a, b| {
            (b.0.hardness == Hardness::Hard)
                .cmp(&(a.0.hardness == Hardness::Hard))
                .then(b.1.penalty.total_cmp(&a.1.penalty))
        });
        violations
    }

    fn json(&self) -> Value {
        let (score, instance) = (self.score, self.instance);
        let notes: Vec<&crate::robinx::Note> =
            instance.notes.iter().chain(&self.solution.notes).collect();
        json!({
            "instance": instance.name,
            "instance_file": self.args.instance,
            "solution_file": self.path,
            "objective_function": instance.objective,
            "hard_violations": score.hard_violations,
            "objective": score.objective,
            "feasible": score.hard_violations == 0,
            "host": format!("{:?}", self.host).to_lowercase(),
            "constraints": score.verdicts.len(),
            "elapsed_us": score.elapsed_us,
            "classes": score.classes,
            "notes": notes,
            "violations": self.violations().iter().map(|(v, x)| json!({
                "constraint": v.constraint,
                "hardness": v.hardness.as_str(),
                "penalty": x.penalty,
                "message": x.message,
                "teams": ids(x, EntityKind::Team),
                "slots": ids(x, EntityKind::Round),
            })).collect::<Vec<_>>(),
        })
    }

    fn text(&self, out: &mut Vec<u8>) -> Result<()> {
        let (score, instance, args) = (self.score, self.instance, self.args);
        let feasible = score.hard_violations == 0;
        let violations = self.violations();
        writeln!(
            out,
            "{} ({}), solution {}",
            if instance.name.is_empty() {
                "RobinX instance"
            } else {
                &instance.name
            },
            args.instance.display(),
            self.path.display()
        )?;
        let objective = crate::robinx::OBJECTIVES.contains(&instance.objective.as_str());
        let objective = if objective {
            format!(" and the objective {}", instance.objective.as_str())
        } else {
            String::new()
        };
        writeln!(
            out,
            "{} constraints ({} elements, {} structural checks{objective}) scored in {:.2} ms on {}\n",
            score.verdicts.len(),
            instance.elements.len(),
            score.verdicts.len() - instance.elements.len() - usize::from(!objective.is_empty()),
            score.elapsed_us as f64 / 1e3,
            match self.host {
                Host::Wasm => "the WebAssembly pack".to_owned(),
                Host::Rhai => format!(
                    "Rhai ({}) and WebAssembly",
                    self.pack.rhai_classes().join(", ")
                ),
            }
        )?;
        writeln!(
            out,
            "{:<6} {:>11} {:>8} {:>8} {:>8}",
            "class", "constraints", "violated", "hard", "soft"
        )?;
        for c in &score.classes {
            writeln!(
                out,
                "{:<6} {:>11} {:>8} {:>8} {:>8}",
                c.class, c.constraints, c.violated, c.hard, c.soft
            )?;
        }
        writeln!(
            out,
            "{:<6} {:>11} {:>8} {:>8} {:>8}\n",
            "total",
            score.verdicts.len(),
            score.classes.iter().map(|c| c.violated).sum::<usize>(),
            score.hard_violations,
            score.objective
        )?;
        if !violations.is_empty() {
            let shown = violations.len().min(args.top);
            writeln!(out, "largest violations ({shown} of {}):", violations.len())?;
            for (v, x) in violations.iter().take(shown) {
                let teams = ids(x, EntityKind::Team);
                let slots = ids(x, EntityKind::Round);
                writeln!(
                    out,
                    "  {:>5} {}  {}\n        teams {}; slots {}",
                    x.penalty,
                    v.hardness.as_str(),
                    x.message,
                    if teams.is_empty() {
                        "-".to_owned()
                    } else {
                        teams.join(",")
                    },
                    if slots.is_empty() {
                        "-".to_owned()
                    } else {
                        slots.join(",")
                    },
                )?;
            }
            writeln!(out)?;
        }
        writeln!(
            out,
            "{}: hard_violations {}, objective {}",
            if feasible { "feasible" } else { "infeasible" },
            score.hard_violations,
            score.objective
        )?;
        Ok(())
    }
}

/// The ids of one kind of entity a violation names.
fn ids(x: &crate::Violation, kind: EntityKind) -> Vec<String> {
    x.entities
        .iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.id.clone())
        .collect()
}

/// `plugins/robinx` under the working directory, else the repository's.
pub(super) fn default_pack() -> PathBuf {
    let local = PathBuf::from("plugins/robinx");
    if local.join(Pack::TEMPLATE).is_file() {
        local
    } else {
        Pack::default_dir()
    }
}
