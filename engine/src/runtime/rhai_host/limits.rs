//! The limits a Rhai script runs under, the size check Rhai leaves out,
//! and the wall-clock deadline the progress callback reads.

use std::cell::Cell;
use std::time::Instant;

use rhai::{Array, Dynamic, EvalAltResult, ImmutableString, Map, Position};

use super::types::{RVerdict, RViolation};
use crate::runtime::query;

/// Limits every plugin runs under: the Rhai engine's, checked on every
/// write a script makes (index writes included), and what any plugin may
/// be read from and may return.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct RhaiLimits {
    /// Operations per call (default 1,000,000).
    pub max_operations: u64,
    /// Nested function calls (default 32).
    pub max_call_levels: usize,
    /// Expression nesting at top level and in functions (default 64, 32).
    pub max_expr_depth: (usize, usize),
    /// Bytes in one string (default 64 KiB).
    pub max_string_size: usize,
    /// Elements in one array (default 10,000).
    pub max_array_size: usize,
    /// Entries in one map (default 10,000).
    pub max_map_size: usize,
    /// Bytes of a Rhai source file (default 1 MiB; `plugins.max_script_kb`).
    pub max_script_bytes: usize,
    /// Bytes of a WebAssembly component file (default 64 MiB;
    /// `plugins.max_component_mb`).
    pub max_component_bytes: usize,
    /// Violations one call may return (default 10,000;
    /// `plugins.max_violations`).
    pub max_violations: usize,
    /// Bytes one call's answer may take, counted as the host holds its
    /// violations (each one's fixed part, message, suggestion and entities)
    /// (default 4 MiB; `plugins.max_output_kb`).
    pub max_output_bytes: usize,
}

impl Default for RhaiLimits {
    fn default() -> Self {
        Self {
            max_operations: 1_000_000,
            max_call_levels: 32,
            max_expr_depth: (64, 32),
            max_string_size: 64 * 1024,
            max_array_size: 10_000,
            max_map_size: 10_000,
            max_script_bytes: 1 << 20,
            max_component_bytes: 64 << 20,
            max_violations: 10_000,
            max_output_bytes: 4 << 20,
        }
    }
}

impl RhaiLimits {
    /// These limits with a different operation budget.
    pub fn with_max_operations(mut self, n: u64) -> Self {
        self.max_operations = n;
        self
    }
}

thread_local! {
    pub(super) static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// Variable reads left before the next size check of the script's data.
    pub(super) static UNTIL_SIZE_CHECK: Cell<u32> = const { Cell::new(0) };
}

/// Variable reads between two size checks at least, and at most (the
/// bigger the data, the rarer the check, so its cost stays a small share).
pub(super) const SIZE_CHECK_EVERY: (u32, u32) = (64, 1024);

/// What a value holds, counted as Rhai's own data-size check counts it
/// (elements of arrays, entries of maps, bytes of strings, all nested), and
/// the bytes of the violations in it (which Rhai cannot see into).
#[derive(Default)]
struct Sizes {
    array: usize,
    map: usize,
    string: usize,
    output: usize,
}

impl Sizes {
    fn of(value: &Dynamic) -> Self {
        let mut sizes = Self::default();
        sizes.add(value);
        sizes
    }

    fn add(&mut self, value: &Dynamic) {
        if let Some(a) = value.read_lock::<Array>() {
            self.array += a.len();
            a.iter().for_each(|v| self.add(v));
        } else if let Some(m) = value.read_lock::<Map>() {
            self.map += m.len();
            m.values().for_each(|v| self.add(v));
        } else if let Some(s) = value.read_lock::<ImmutableString>() {
            self.string += s.len();
        } else if let Some(b) = value.read_lock::<rhai::Blob>() {
            self.array += b.len();
        } else if let Some(v) = value.read_lock::<RViolation>() {
            self.output += query::violation_size(&v.0);
        } else if let Some(v) = value.read_lock::<RVerdict>() {
            self.output += query::output_size(&v.violations);
        }
    }

    /// A measure of the work a check of this much data costs.
    fn units(&self) -> usize {
        self.array + self.map + (self.string + self.output) / 256
    }
}

/// The size check Rhai leaves out: it checks what an index write stores
/// (`m[k] = v` checks `v`), not the array or map it grows, so a loop of
/// such writes builds gigabytes under limits that say kilobytes. Every
/// so many variable reads, the script's variables are measured against
/// the limits; the first one over stops the script with an error naming
/// it and the limit.
pub(super) fn check_sizes(
    context: &rhai::EvalContext<'_, '_, '_, '_, '_, '_>,
    limits: &RhaiLimits,
) -> std::result::Result<(), Box<EvalAltResult>> {
    let left = UNTIL_SIZE_CHECK.with(Cell::get);
    if left > 0 {
        UNTIL_SIZE_CHECK.with(|c| c.set(left - 1));
        return Ok(());
    }
    let too_large = |what: String| Box::new(EvalAltResult::ErrorDataTooLarge(what, Position::NONE));
    let mut units = 0;
    let mut output = 0;
    let this = context.this_ptr().map(|v| ("this", v));
    for (name, value) in context
        .scope()
        .iter_raw()
        .map(|(name, _, value)| (name, value))
        .chain(this)
    {
        let sizes = Sizes::of(value);
        units += sizes.units();
        output += sizes.output;
        for (count, limit, what, setting) in [
            (
                sizes.array,
                limits.max_array_size,
                "array elements",
                "max_array_size",
            ),
            (
                sizes.map,
                limits.max_map_size,
                "map entries",
                "max_map_size",
            ),
            (
                sizes.string,
                limits.max_string_size,
                "bytes of strings",
                "max_string_size",
            ),
        ] {
            if count > limit {
                return Err(too_large(format!(
                    "`{name}` holds {count} {what}, over the limit of {limit} (`{setting}`)"
                )));
            }
        }
    }
    if output > limits.max_output_bytes {
        return Err(too_large(format!(
            "the violations the script holds take {} KiB, over the limit of {} KiB (`plugins.max_output_kb`)",
            output.div_ceil(1024),
            limits.max_output_bytes / 1024
        )));
    }
    let (least, most) = SIZE_CHECK_EVERY;
    let next = u32::try_from(units / 16).unwrap_or(most).clamp(least, most);
    UNTIL_SIZE_CHECK.with(|c| c.set(next));
    Ok(())
}

/// Runs `f` with the script deadline set to `deadline` on this thread.
pub(in crate::runtime) fn with_deadline<T>(deadline: Instant, f: impl FnOnce() -> T) -> T {
    DEADLINE.with(|d| d.set(Some(deadline)));
    let out = f();
    DEADLINE.with(|d| d.set(None));
    out
}
