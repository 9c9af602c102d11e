//! The REPL's commands that show what is loaded: `:explain`, `:constraints`,
//! `:graph`, `:bench`, and how verdicts, violations and reads are written.

use std::io::Write;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Result;

use super::super::render;
use super::Last;
use super::error::{LineError, io};
use super::session::Session;
use super::write::write_verdict;

impl Session {
    pub(super) fn explain(&self, id: &str, out: &mut dyn Write) -> Result<(), LineError> {
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

    pub(super) fn constraints(&self, out: &mut dyn Write) -> Result<(), LineError> {
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

    pub(super) fn graph(&self, out: &mut dyn Write) -> Result<(), LineError> {
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

    pub(super) fn bench(&mut self, n: usize, out: &mut dyn Write) -> Result<(), LineError> {
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
