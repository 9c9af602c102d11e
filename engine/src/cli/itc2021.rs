//! `umpire itc2021`: score an ITC2021 solution as the official validator
//! does.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Result, bail};
use clap::{Args, ValueEnum};

use super::Format;
use crate::itc2021::{Host, Instance, Pack, Scorer, Solution};
use crate::{model::EntityKind, model::Hardness, registry::LoadOptions};

#[derive(Debug, Args)]
pub(super) struct Itc2021Args {
    /// Instance file (ITC2021 XML).
    #[arg(long, value_name = "FILE")]
    instance: PathBuf,
    /// Solution file (ITC2021 XML).
    #[arg(long, value_name = "FILE")]
    solution: PathBuf,
    /// Which host runs the classes: the WebAssembly pack, or the Rhai
    /// version of the classes that have one.
    #[arg(long, value_enum, default_value_t = HostArg::Wasm)]
    host: HostArg,
    /// The plugin pack directory (default: the repository's
    /// plugins/itc2021).
    #[arg(long, value_name = "DIR")]
    pack: Option<PathBuf>,
    /// Treat what the validator reads its own way (a match naming an unknown
    /// team or slot, a repeated match, a MetaData mistake) as an input error
    /// instead of scoring it.
    #[arg(long)]
    strict: bool,
    /// How many of the largest violations the text report lists.
    #[arg(long, value_name = "N", default_value_t = 10)]
    top: usize,
    /// Never run the pack's `[build]` command; use what is built.
    #[arg(long)]
    no_build: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum HostArg {
    Wasm,
    Rhai,
}

pub(super) fn run(args: Itc2021Args) -> Result<ExitCode> {
    let instance = Instance::load(&args.instance)?;
    let solution = Solution::load(&args.solution, &instance)?;
    if args.strict && !solution.notes.is_empty() {
        let notes: Vec<String> = solution.notes.iter().map(ToString::to_string).collect();
        bail!(
            "the solution is not read as written (--strict):\n  {}",
            notes.join("\n  ")
        );
    }
    let pack_dir = args.pack.clone().unwrap_or_else(default_pack);
    if !pack_dir.join("itc2021.toml").is_file() {
        bail!(
            "{}: no ITC2021 plugin pack here (no itc2021.toml); pass the pack's directory (plugins/itc2021 of an umpire checkout) with --pack DIR",
            pack_dir.display()
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
    let schedule = Arc::new(solution.schedule(scorer.league())?);
    let score = scorer.score(&schedule);
    if let Some(failed) = score.failures().next() {
        bail!(
            "`{}` could not rule: {}",
            failed.constraint,
            failed.message.as_deref().unwrap_or(failed.status.as_str())
        );
    }
    let feasible = score.hard_violations == 0;
    let mut violations: Vec<(&crate::Verdict, &crate::Violation)> = score
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
    let ids = |x: &crate::Violation, kind: EntityKind| -> Vec<String> {
        x.entities
            .iter()
            .filter(|e| e.kind == kind)
            .map(|e| e.id.clone())
            .collect()
    };
    // The report is written in one piece at the end (it is about 200 KB of
    // JSON for a large instance: written piecemeal it costs milliseconds).
    let mut out: Vec<u8> = Vec::with_capacity(64 << 10);
    match args.format {
        Format::Json => {
            let body = serde_json::json!({
                "instance": instance.name,
                "instance_file": args.instance,
                "solution_file": args.solution,
                "hard_violations": score.hard_violations,
                "objective": score.objective,
                "feasible": feasible,
                "host": format!("{:?}", host).to_lowercase(),
                "constraints": score.verdicts.len(),
                "elapsed_us": score.elapsed_us,
                "classes": score.classes,
                "notes": solution.notes,
                "violations": violations.iter().map(|(v, x)| serde_json::json!({
                    "constraint": v.constraint,
                    "hardness": v.hardness.as_str(),
                    "penalty": x.penalty,
                    "message": x.message,
                    "teams": ids(x, EntityKind::Team),
                    "slots": ids(x, EntityKind::Round),
                })).collect::<Vec<_>>(),
            });
            serde_json::to_writer_pretty(&mut out, &body)?;
            writeln!(out)?;
        }
        Format::Text => {
            let mut err = anstream::stderr().lock();
            for note in &solution.notes {
                writeln!(err, "warning: {note}")?;
            }
            writeln!(
                out,
                "{} ({}), solution {}",
                if instance.name.is_empty() {
                    "ITC2021 instance"
                } else {
                    &instance.name
                },
                args.instance.display(),
                args.solution.display()
            )?;
            writeln!(
                out,
                "{} constraints ({} elements and {} structural checks) scored in {:.2} ms on {}\n",
                score.verdicts.len(),
                instance.elements.len(),
                score.verdicts.len() - instance.elements.len(),
                score.elapsed_us as f64 / 1e3,
                match host {
                    Host::Wasm => "the WebAssembly pack".to_owned(),
                    Host::Rhai =>
                        format!("Rhai ({}) and WebAssembly", pack.rhai_classes().join(", ")),
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
        }
    }
    let mut stdout = anstream::stdout().lock();
    stdout.write_all(&out)?;
    stdout.flush()?;
    // The process ends here: freeing 1,325 constraints' manifests, params
    // and verdicts one by one would take longer than the scoring did.
    std::mem::forget((scorer, score, instance, schedule));
    Ok(if feasible {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// `plugins/itc2021` under the working directory, else the repository's.
fn default_pack() -> PathBuf {
    let local = PathBuf::from("plugins/itc2021");
    if local.join("itc2021.toml").is_file() {
        local
    } else {
        Pack::default_dir()
    }
}
