//! Human output: reports as compiler-style diagnostics, the constraint
//! registry as a table. Colour comes from anstyle and is stripped by anstream
//! when the output is not a terminal.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};

use crate::Registry;
use crate::model::reads::{Read, Subject};
use crate::model::{Hardness, League, Report, Schedule, Status, Verdict};

const BOLD: Style = Style::new().bold();
const RED: Style = AnsiColor::Red.on_default().bold();
const YELLOW: Style = AnsiColor::Yellow.on_default().bold();
const CYAN: Style = AnsiColor::Cyan.on_default().bold();
const MAGENTA: Style = AnsiColor::Magenta.on_default().bold();
const BLUE: Style = AnsiColor::Blue.on_default().bold();
const GREEN: Style = AnsiColor::Green.on_default().bold();
const DIM: Style = Style::new().dimmed();

pub(super) fn error_label() -> String {
    format!("{RED}error{RED:#}")
}

pub(super) fn warning_label() -> String {
    format!("{YELLOW}warning{YELLOW:#}")
}

/// `    Building`, cargo-style, for status lines on stderr.
pub(super) fn building_label() -> String {
    format!("{GREEN}{:>12}{GREEN:#}", "Building")
}

/// The label after a plugin build, as cargo's `Finished`.
pub(super) fn built_label() -> String {
    format!("{GREEN}{:>12}{GREEN:#}", "Built")
}

/// A build's elapsed time as a person reads it: `48.2s`, `1m 53s`.
pub(super) fn elapsed(d: std::time::Duration) -> String {
    let s = d.as_secs_f64();
    if s < 60.0 {
        format!("{s:.1}s")
    } else {
        let whole = d.as_secs();
        format!("{}m {:02}s", whole / 60, whole % 60)
    }
}

/// The label before `rustup target add`, as cargo labels its steps.
pub(super) fn adding_label() -> String {
    format!("{GREEN}{:>12}{GREEN:#}", "Adding")
}

fn label(hardness: Hardness) -> (Style, &'static str) {
    match hardness {
        Hardness::Hard => (RED, "error"),
        Hardness::Soft => (YELLOW, "warning"),
        Hardness::Preference => (CYAN, "note"),
    }
}

/// Writes every violation and failed rule as a diagnostic, then the summary.
pub(super) fn report(
    out: &mut impl Write,
    report: &Report,
    schedule: &Schedule,
    league: &League,
) -> io::Result<()> {
    for v in &report.schedule.verdicts {
        verdict(out, v, "schedule".into())?;
    }
    // A rule that fails fails on many games: one diagnostic per rule and
    // kind of failure, at its first game, with the count and the others.
    let mut failures: Vec<Failures> = Vec::new();
    for g in &report.games {
        let location = || {
            schedule
                .game(&g.game)
                .map(|game| crate::html::describe_game(game, g, league))
                .unwrap_or_else(|| g.game.to_string())
        };
        for v in &g.verdicts {
            if matches!(v.status, Status::Error | Status::Timeout) {
                match failures
                    .iter_mut()
                    .find(|f| f.constraint == *v.constraint && f.status == v.status)
                {
                    Some(f) => f.games.push(g.game.to_string()),
                    None => failures.push(Failures {
                        constraint: v.constraint.to_string(),
                        status: v.status,
                        location: location(),
                        message: v.message.clone(),
                        games: vec![g.game.to_string()],
                    }),
                }
            } else {
                verdict(out, v, location())?;
            }
        }
    }
    for f in &failures {
        failed(out, f)?;
    }
    summary(out, report)
}

/// A rule's failures of one kind across the games.
struct Failures {
    constraint: String,
    status: Status,
    /// The first game's description.
    location: String,
    /// The first game's message.
    message: Option<String>,
    /// Every game it failed on, in schedule order.
    games: Vec<String>,
}

/// Games named after the first, at most.
const OTHERS_SHOWN: usize = 5;

fn failed(out: &mut impl Write, f: &Failures) -> io::Result<()> {
    let word = if f.status == Status::Error {
        "the rule failed"
    } else {
        "the rule timed out"
    };
    let n = f.games.len();
    let on = if n == 1 {
        String::new()
    } else {
        format!(" on {n} games")
    };
    writeln!(
        out,
        "{MAGENTA}error[{}]{MAGENTA:#}{BOLD}: {word}{on}{BOLD:#}",
        f.constraint
    )?;
    writeln!(out, "  {BLUE}-->{BLUE:#} {}", f.location)?;
    if let Some(m) = &f.message {
        writeln!(out, "   {BLUE}={BLUE:#} {m}")?;
    }
    if n > 1 {
        let shown = &f.games[1..n.min(OTHERS_SHOWN + 1)];
        let more = n - 1 - shown.len();
        let more = if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        };
        writeln!(
            out,
            "   {BLUE}={BLUE:#} also: {}{more} (`--format json` lists each game's message)",
            shown.join(", ")
        )?;
    }
    writeln!(out)
}

fn verdict(out: &mut impl Write, v: &Verdict, location: String) -> io::Result<()> {
    match v.status {
        Status::Violated => {
            let (style, word) = label(v.hardness);
            for violation in &v.violations {
                writeln!(
                    out,
                    "{style}{word}[{}]{style:#}{BOLD}: {}{BOLD:#}",
                    v.constraint, violation.message
                )?;
                writeln!(out, "  {BLUE}-->{BLUE:#} {location}")?;
                if !violation.entities.is_empty() {
                    let touched: Vec<String> = violation
                        .entities
                        .iter()
                        .map(|e| format!("{} {}", e.kind.as_str(), e.id))
                        .collect();
                    writeln!(out, "   {BLUE}={BLUE:#} touches: {}", touched.join(", "))?;
                }
                writeln!(
                    out,
                    "   {BLUE}={BLUE:#} {} constraint · severity {} · penalty {} × weight {}",
                    v.hardness.as_str(),
                    violation.severity.as_str(),
                    violation.penalty,
                    v.weight
                )?;
                if let Some(s) = &violation.suggestion {
                    writeln!(out, "   {BLUE}={BLUE:#} {BOLD}help{BOLD:#}: {s}")?;
                }
                writeln!(out)?;
            }
        }
        Status::Error | Status::Timeout => {
            let word = if v.status == Status::Error {
                "the rule failed"
            } else {
                "the rule timed out"
            };
            writeln!(
                out,
                "{MAGENTA}error[{}]{MAGENTA:#}{BOLD}: {word}{BOLD:#}",
                v.constraint
            )?;
            writeln!(out, "  {BLUE}-->{BLUE:#} {location}")?;
            if let Some(m) = &v.message {
                writeln!(out, "   {BLUE}={BLUE:#} {m}")?;
            }
            writeln!(out)?;
        }
        Status::Passed | Status::Skipped | Status::Fallback => {}
    }
    Ok(())
}

/// `    1 violation`, `    5 violations`: the count right-aligned.
fn plural_violations(n: usize) -> String {
    format!("{n:>5} {}", if n == 1 { "violation" } else { "violations" })
}

/// `1 violation`, `2 violations`.
pub(super) fn count(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("{n} {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// Per constraint with a violation: its hardness, violations, games and
/// weighted penalty, worst first.
fn totals(out: &mut impl Write, r: &Report) -> io::Result<()> {
    let totals = r.by_constraint();
    if totals.is_empty() {
        return Ok(());
    }
    let width = totals.iter().map(|t| t.constraint.len()).max().unwrap_or(0);
    writeln!(out, "{BOLD}by constraint{BOLD:#}:")?;
    for t in &totals {
        let (style, _) = label(t.hardness);
        let games = if t.games > 0 {
            format!(" on {}", count(t.games, "game"))
        } else {
            " (schedule-wide)".into()
        };
        writeln!(
            out,
            "  {:<width$}  {style}{:<10}{style:#} {}{games} · penalty {}",
            t.constraint,
            t.hardness.as_str(),
            count(t.violations, "violation"),
            t.penalty,
        )?;
    }
    Ok(())
}

/// Why rules were skipped: per constraint and reason, how many games.
fn skips(r: &Report) -> Vec<String> {
    let mut found: Vec<(&str, &str, usize)> = Vec::new();
    for v in r.games.iter().flat_map(|g| &g.verdicts) {
        if v.status != Status::Skipped {
            continue;
        }
        let why = v
            .message
            .as_deref()
            .map_or("", |m| m.strip_prefix("skipped: ").unwrap_or(m));
        match found
            .iter_mut()
            .find(|(c, w, _)| *c == &*v.constraint && *w == why)
        {
            Some(f) => f.2 += 1,
            None => found.push((&v.constraint, why, 1)),
        }
    }
    found
        .into_iter()
        .map(|(c, why, n)| format!("{c} on {}: {why}", count(n, "game")))
        .collect()
}

fn summary(out: &mut impl Write, r: &Report) -> io::Result<()> {
    let s = &r.summary;
    totals(out, r)?;
    writeln!(
        out,
        "{BOLD}summary{BOLD:#}: {} · {} · {} · {:.1} ms",
        count(s.games, "game"),
        count(s.constraints, "constraint"),
        count(s.evaluations, "evaluation"),
        s.elapsed_ms
    )?;
    writeln!(
        out,
        "  {RED}hard{RED:#}        {:>5} ({}{})",
        plural_violations(s.hard_violations),
        count(s.invalid_games, "game") + " invalid",
        if r.schedule.valid {
            ""
        } else {
            ", schedule-wide rules broken"
        }
    )?;
    writeln!(
        out,
        "  {YELLOW}soft{YELLOW:#}        {:>5}",
        plural_violations(s.soft_violations)
    )?;
    writeln!(
        out,
        "  {CYAN}preference{CYAN:#}  {:>5}",
        plural_violations(s.preference_violations)
    )?;
    writeln!(
        out,
        "  {DIM}errors {} · timeouts {} · skipped {}{}{DIM:#}",
        s.errors,
        s.timeouts,
        s.skipped,
        if s.fallbacks > 0 {
            format!(" · fallbacks {} (circuit open)", s.fallbacks)
        } else {
            String::new()
        }
    )?;
    for skip in skips(r) {
        writeln!(out, "  {DIM}  skipped {skip}{DIM:#}")?;
    }
    writeln!(
        out,
        "  score {:.3} · penalties {} hard / {} soft / {} preference ({})",
        s.score, s.penalties.hard, s.penalties.soft, s.penalties.preference, s.levels
    )?;
    let failed = s.errors + s.timeouts;
    if !s.valid {
        writeln!(
            out,
            "{RED}invalid{RED:#}: {} hard violation{}",
            s.hard_violations,
            if s.hard_violations == 1 { "" } else { "s" }
        )
    } else if failed > 0 {
        writeln!(
            out,
            "{MAGENTA}incomplete{MAGENTA:#}: no hard violation found, but {failed} rule call{} failed to run",
            if failed == 1 { "" } else { "s" }
        )
    } else {
        writeln!(out, "{GREEN}valid{GREEN:#}: no hard violation")
    }
}

/// The registry as a table, then the graph analysis.
pub(super) fn constraints(
    out: &mut impl Write,
    registry: &Registry,
    dirs: &[std::path::PathBuf],
    breaker: &crate::breaker::BreakerConfig,
    state: crate::breaker::BreakerState,
) -> io::Result<()> {
    let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
    writeln!(
        out,
        "{BOLD}{} constraints{BOLD:#} from {}\n",
        registry.len(),
        dirs.join(", ")
    )?;
    let width = registry
        .manifests()
        .iter()
        .map(|m| m.id.len())
        .max()
        .unwrap_or(2)
        .max(2);
    writeln!(
        out,
        "  {BOLD}{:width$}  {:4}  {:8}  {:10}  {:>6}  {:>7}  {:9}  {:8}  depends on{BOLD:#}",
        "id", "kind", "scope", "hardness", "weight", "timeout", "breaker", "fallback"
    )?;
    for m in registry.manifests() {
        let deps: Vec<&str> = m.depends_on.iter().map(|d| &**d).collect();
        writeln!(
            out,
            "  {:width$}  {:4}  {:8}  {:10}  {:>6}  {:>4} ms  {:9}  {:8}  {}",
            m.id,
            m.kind.as_str(),
            m.scope.as_str(),
            m.hardness.as_str(),
            m.weight,
            m.timeout.as_millis(),
            state.as_str(),
            match m.fallback {
                crate::manifests::Fallback::Pass => "pass",
                crate::manifests::Fallback::Fail => "fail",
                crate::manifests::Fallback::Skip => "skip",
            },
            if deps.is_empty() {
                "-".to_owned()
            } else {
                deps.join(", ")
            }
        )?;
    }
    writeln!(
        out,
        "\n{BOLD}breakers{BOLD:#}: open at {}% failed calls over {} s (at least {} calls), stay open {} s, close after {} good probes",
        breaker.failure_rate * 100.0,
        breaker.window.as_secs_f64(),
        breaker.min_calls,
        breaker.open_for.as_secs_f64(),
        breaker.probes
    )?;
    let graph = registry.graph();
    writeln!(
        out,
        "\n{BOLD}levels{BOLD:#} (constraints in one level can run in parallel):"
    )?;
    for (i, level) in graph.levels().iter().enumerate() {
        let ids: Vec<&str> = level.iter().map(|s| &**s).collect();
        writeln!(out, "  {}: {}", i + 1, ids.join(", "))?;
    }
    writeln!(out, "{BOLD}max depth{BOLD:#}: {}", graph.max_depth())?;
    let bottlenecks = graph.bottlenecks();
    if bottlenecks.is_empty() {
        writeln!(
            out,
            "{BOLD}bottlenecks{BOLD:#}: none (no constraint has dependents)"
        )?;
    } else {
        writeln!(
            out,
            "{BOLD}bottlenecks{BOLD:#} (if one fails, its dependents skip):"
        )?;
        for b in bottlenecks {
            writeln!(
                out,
                "  {:width$}  {} transitive dependent{}",
                b.id,
                b.transitive_dependents,
                if b.transitive_dependents == 1 {
                    ""
                } else {
                    "s"
                }
            )?;
        }
    }
    Ok(())
}

/// One fixture case's line: `ok` or `FAIL`, where, its name, its rule.
pub(super) fn test_case(
    out: &mut impl Write,
    ok: bool,
    place: &str,
    name: &str,
    constraint: &str,
    elapsed: std::time::Duration,
) -> io::Result<()> {
    let (style, word) = if ok { (GREEN, "ok  ") } else { (RED, "FAIL") };
    writeln!(
        out,
        "{style}{word}{style:#} {place} {name} {DIM}({constraint}, {}){DIM:#}",
        duration(elapsed.as_nanos() as f64)
    )
}

/// A duration in nanoseconds, in the unit that reads best.
pub(super) fn duration(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.1} µs", ns / 1e3)
    } else if ns < 1e9 {
        format!("{:.1} ms", ns / 1e6)
    } else {
        format!("{:.2} s", ns / 1e9)
    }
}

/// A schedule query as the script would have written it.
pub(crate) fn read_text(r: &Read) -> String {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_singular_for_one() {
        assert_eq!(count(1, "game"), "1 game");
        assert_eq!(count(0, "game"), "0 games");
        assert_eq!(count(2, "violation"), "2 violations");
        assert_eq!(plural_violations(1), "    1 violation");
        assert_eq!(plural_violations(12), "   12 violations");
    }
}
