//! How the REPL writes what it shows: a verdict, a violation, the schedule
//! queries a call made (as the script would have written them).

use std::io::Write;

use anyhow::Result;

use super::super::fixture::entity_name;
use super::super::render;
use super::error::{LineError, io};
use crate::Verdict;
use crate::model::reads::Read;

pub(super) fn write_verdict(
    out: &mut dyn Write,
    v: &Verdict,
    width: usize,
) -> Result<(), LineError> {
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

pub(super) fn write_violation(out: &mut dyn Write, v: &crate::Violation) -> Result<(), LineError> {
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

pub(super) fn write_reads(out: &mut dyn Write, reads: &[Read]) -> Result<(), LineError> {
    if reads.is_empty() {
        return writeln!(out, "  (no schedule queries)").map_err(io);
    }
    for r in reads {
        writeln!(out, "  query: {}", render::read_text(r)).map_err(io)?;
    }
    Ok(())
}
