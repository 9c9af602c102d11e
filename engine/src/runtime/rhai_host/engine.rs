//! The sandboxed engine: a raw Rhai engine with the standard package, the
//! query API and the limits set on it, and nothing else.

use std::sync::OnceLock;
use std::time::Instant;

use rhai::packages::{Package, StandardPackage};
use rhai::{Dynamic, Engine, Module, Shared};

use super::api::query_package;
use super::limits::{DEADLINE, RhaiLimits, check_sizes};
use super::types::{RGame, RLeague, RSchedule, RTime, RVerdict, RViolation};

/// How often (in operations) the progress callback reads the clock.
const CLOCK_EVERY: u64 = 256;

/// A sandboxed engine with the query API.
pub(crate) fn new_engine(limits: &RhaiLimits) -> Engine {
    let mut engine = Engine::new_raw();
    engine.register_global_module(standard_package());
    engine.register_global_module(query_package());
    engine
        .set_max_operations(limits.max_operations)
        .set_max_call_levels(limits.max_call_levels)
        .set_max_expr_depths(limits.max_expr_depth.0, limits.max_expr_depth.1)
        .set_max_string_size(limits.max_string_size)
        .set_max_array_size(limits.max_array_size)
        .set_max_map_size(limits.max_map_size)
        .set_strict_variables(true)
        .set_fail_on_invalid_map_property(true);
    engine.disable_symbol("eval");
    let checked = limits.clone();
    #[allow(
        deprecated,
        reason = "on_var is marked volatile, not deprecated; it is the one hook that sees the scope while a script runs"
    )]
    engine.on_var(move |_, _, context| check_sizes(&context, &checked).map(|()| None));
    engine.on_print(|s| {
        crate::runtime::printed::note(|| format!("print: {s}"));
        tracing::info!(target: "umpire::plugin", "{s}")
    });
    engine.on_debug(|s, src, pos| {
        crate::runtime::printed::note(|| match (src, pos.line()) {
            (Some(src), Some(line)) => format!("debug: {s} ({src}:{line})"),
            (None, Some(line)) => format!("debug: {s} (line {line})"),
            _ => format!("debug: {s}"),
        });
        tracing::debug!(target: "umpire::plugin", source = src.unwrap_or(""), line = pos.line(), "{s}")
    });
    engine.on_progress(|ops| {
        if ops % CLOCK_EVERY != 0 {
            return None;
        }
        let passed = DEADLINE.with(|d| d.get().is_some_and(|d| Instant::now() >= d));
        passed.then(|| Dynamic::from("deadline"))
    });
    for (ty, name) in [
        (std::any::type_name::<RGame>(), "Game"),
        (std::any::type_name::<RTime>(), "Time"),
        (std::any::type_name::<RSchedule>(), "Schedule"),
        (std::any::type_name::<RLeague>(), "League"),
        (std::any::type_name::<RViolation>(), "Violation"),
        (std::any::type_name::<RVerdict>(), "Verdict"),
    ] {
        engine.register_type_with_name_raw(ty, name);
    }
    engine
}

fn standard_package() -> Shared<Module> {
    static PACKAGE: OnceLock<Shared<Module>> = OnceLock::new();
    PACKAGE
        .get_or_init(|| StandardPackage::new().as_shared_module())
        .clone()
}
