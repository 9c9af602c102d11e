//! The Rhai host: scripts compiled once to a shared AST, run on a raw engine
//! that holds nothing but the standard language package and the query API.
//!
//! The sandbox is what the engine lacks (no module resolver, no `eval`, no
//! file or network functions, `print` goes to tracing) plus the limits set on
//! it: operations, call depth, expression depth, string, array and map sizes,
//! and a wall-clock deadline checked from `on_progress`. Rhai has no
//! wall-clock limit of its own, so the deadline lives in a thread-local that
//! the progress callback reads every few hundred operations.

use super::call::{ask, saw};
use crate::model::reads::{Fields, Query};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use jiff::Zoned;
use jiff::tz::TimeZone;
use rhai::packages::{Package, StandardPackage};
use rhai::{
    AST, Array, Dynamic, Engine, EvalAltResult, ImmutableString, Map, Module, Position, Scope,
    Shared,
};

use super::Target;
use super::answer::{Failure, Outcome};
use super::query;
use crate::error::{Error, Result};
use crate::manifests::{Manifest, Partition, Scope as RuleScope};
use crate::model::{Entity, EntityKind, Game, League, Schedule, Violation};

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
    static DEADLINE: Cell<Option<Instant>> = const { Cell::new(None) };
    /// Variable reads left before the next size check of the script's data.
    static UNTIL_SIZE_CHECK: Cell<u32> = const { Cell::new(0) };
}

/// Variable reads between two size checks at least, and at most (the
/// bigger the data, the rarer the check, so its cost stays a small share).
const SIZE_CHECK_EVERY: (u32, u32) = (64, 1024);

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
fn check_sizes(
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
pub(super) fn with_deadline<T>(deadline: Instant, f: impl FnOnce() -> T) -> T {
    DEADLINE.with(|d| d.set(Some(deadline)));
    let out = f();
    DEADLINE.with(|d| d.set(None));
    out
}

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
    engine.on_print(|s| tracing::info!(target: "umpire::plugin", "{s}"));
    engine.on_debug(|s, src, pos| {
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

/// A compiled script with its manifest's params, ready to share across threads.
#[derive(Debug, Clone)]
pub(crate) struct Script {
    ast: Arc<AST>,
    params: RParams,
    path: Arc<Path>,
}

/// A script file and the variables declared for it.
type ScriptKey = (PathBuf, RuleScope, Option<Partition>);

/// Compiles scripts. One per registry load.
pub(crate) struct RhaiCompiler {
    engine: Engine,
    max_script_bytes: usize,
    /// Scripts compiled so far, by file and the variables declared for them.
    compiled: RefCell<HashMap<ScriptKey, Arc<AST>>>,
}

impl RhaiCompiler {
    pub(crate) fn new(limits: &RhaiLimits) -> Self {
        Self {
            engine: new_engine(limits),
            max_script_bytes: limits.max_script_bytes,
            compiled: Default::default(),
        }
    }

    /// Compiles a manifest's script (each file once); variables it may use
    /// are declared so a misspelt one is a compile error with its position.
    pub(crate) fn compile(&self, m: &Manifest) -> Result<Script> {
        let key = (m.source.clone(), m.scope, m.partition);
        let known = self.compiled.borrow().get(&key).cloned();
        let ast = match known {
            Some(ast) => ast,
            None => {
                let ast = Arc::new(self.compile_file(m)?);
                self.compiled.borrow_mut().insert(key, ast.clone());
                ast
            }
        };
        let params = rhai::serde::to_dynamic(&m.params)
            .ok()
            .and_then(|d| d.try_cast::<Map>())
            .unwrap_or_default();
        Ok(Script {
            ast,
            params: RParams(Dynamic::from_map(params)),
            path: m.source.clone().into(),
        })
    }

    fn compile_file(&self, m: &Manifest) -> Result<AST> {
        let bytes = super::read_source(&m.source, self.max_script_bytes, "plugins.max_script_kb")?;
        // Not text: said with the position only, never the bytes (the file
        // may be anything).
        let text = String::from_utf8(bytes).map_err(|e| Error::Script {
            path: m.source.clone(),
            line: 0,
            column: 0,
            message: format!(
                "not a Rhai script: it is not UTF-8 text (byte {} is not)",
                e.utf8_error().valid_up_to()
            ),
        })?;
        let mut scope = Scope::new();
        if m.scope == RuleScope::Game {
            scope.push("game", ());
        }
        if let Some(p) = m.partition {
            scope.push(p.as_str(), ());
        }
        scope.push("schedule", ());
        scope.push("league", ());
        scope.push("params", ());
        let mut ast = self
            .engine
            .compile_with_scope(&scope, &text)
            .map_err(|e| Error::Script {
                path: m.source.clone(),
                line: e.1.line().unwrap_or(0),
                column: e.1.position().unwrap_or(0),
                message: e.0.to_string(),
            })?;
        ast.set_source(m.source.display().to_string());
        Ok(ast)
    }
}

/// An engine with one league's data prepared for scripts. One per thread.
///
/// The scope is reused across calls: `league` stays at its bottom, and
/// `schedule`, `params` and `game` are pushed as constants (a script cannot
/// reassign them) on every call; everything above `league` is rewound after
/// the call, so nothing a script declares leaks into the next evaluation.
pub(crate) struct RhaiHost {
    engine: Engine,
    league: RLeague,
    scope: RefCell<Scope<'static>>,
    names: [ImmutableString; 5],
}

impl RhaiHost {
    pub(crate) fn new(limits: &RhaiLimits, league: Arc<League>) -> Self {
        let mut scope = Scope::new();
        let league = RLeague::new(league);
        scope.push_constant("league", league.clone());
        Self {
            league,
            engine: new_engine(limits),
            scope: RefCell::new(scope),
            names: [
                "schedule".into(),
                "params".into(),
                "game".into(),
                "team".into(),
                "venue".into(),
            ],
        }
    }

    /// Runs a script on its target (a game, the schedule, or a team or
    /// venue of a partitioned rule) until `deadline`.
    pub(crate) fn run(
        &self,
        script: &Script,
        schedule: &Arc<Schedule>,
        target: Target<'_>,
        deadline: Instant,
    ) -> std::result::Result<Outcome, Failure> {
        let mut scope = self.scope.borrow_mut();
        scope.rewind(1);
        let [schedule_name, params_name, game_name, team_name, venue_name] = &self.names;
        scope.push_constant(schedule_name.clone(), RSchedule(schedule.clone()));
        scope.push_constant_dynamic(params_name.clone(), script.params.0.clone());
        match target {
            Target::Schedule => {}
            Target::Game(g) => {
                scope.push_constant(game_name.clone(), RGame(g.clone()));
            }
            Target::Part(p, k) => {
                let data = &self.league.0;
                let (name, map, id) = match p {
                    Partition::Team => (team_name, &data.teams, &data.league.teams[k].id),
                    Partition::Venue => (venue_name, &data.venues, &data.league.venues[k].id),
                };
                let part = map.get(id.as_ref()).cloned().unwrap_or(Dynamic::UNIT);
                scope.push_constant_dynamic(name.clone(), part);
            }
        }
        DEADLINE.with(|d| d.set(Some(deadline)));
        UNTIL_SIZE_CHECK.with(|c| c.set(SIZE_CHECK_EVERY.0));
        // A script sees a game's fields only through the getters and
        // functions below, each of which notes what it shows.
        super::call::looking();
        let result = self
            .engine
            .eval_ast_with_scope::<Dynamic>(&mut scope, &script.ast);
        DEADLINE.with(|d| d.set(None));
        scope.rewind(1);
        drop(scope);
        match result {
            Ok(value) => outcome(value)
                .map_err(|m| Failure::invalid(format!("{}: {m}", script.path.display()))),
            Err(err) => Err(failure(script, *err)),
        }
        .map_err(Failure::contained)
    }
}

/// A script's error as a failure: past the deadline a timeout, a `throw`
/// (or a query's refusal the script let through, which Rhai cannot tell
/// apart) the script's own error, anything else a trap.
fn failure(script: &Script, mut err: EvalAltResult) -> Failure {
    let path = &script.path;
    let pos = err.take_position();
    let at = match (pos.line(), pos.position()) {
        (Some(l), Some(c)) => format!("{}:{l}:{c}", path.display()),
        (Some(l), None) => format!("{}:{l}", path.display()),
        _ => path.display().to_string(),
    };
    match err {
        EvalAltResult::ErrorTerminated(..) => {
            Failure::timeout(format!("{at}: the script ran past its deadline"))
        }
        EvalAltResult::ErrorTooManyOperations(..) => Failure::trap(format!(
            "{at}: the script exceeded its operation limit (an endless loop?)"
        )),
        EvalAltResult::ErrorDataTooLarge(what, _) => {
            Failure::trap(format!("{at}: the script went over a data limit: {what}"))
        }
        thrown @ EvalAltResult::ErrorRuntime(..) => Failure::reported(format!("{at}: {thrown}")),
        EvalAltResult::ErrorPropertyNotFound(property, _) => {
            // Most often a misspelt param: name the ones the manifest has.
            let known = script
                .params
                .0
                .read_lock::<Map>()
                .map(|m| m.keys().map(|k| k.to_string()).collect::<Vec<_>>())
                .unwrap_or_default();
            let hint = if known.contains(&property) {
                String::new()
            } else if known.is_empty() {
                "; (if this is a param: the manifest has no [params])".to_owned()
            } else {
                format!(
                    "; (if this is a param: the manifest's [params] holds {})",
                    known.join(", ")
                )
            };
            Failure::trap(format!("{at}: property `{property}` not found{hint}"))
        }
        other => Failure::trap(format!("{at}: {other}")),
    }
}

/// Whether a value is a rule's answer: `pass()`, a violation, `verdict(...)`
/// or a non-empty array of violations.
pub(super) fn is_outcome(value: &Dynamic) -> bool {
    if value.is::<RVerdict>() || value.is::<RViolation>() {
        return true;
    }
    value
        .read_lock::<Array>()
        .is_some_and(|a| !a.is_empty() && a.iter().all(|v| v.is::<RViolation>()))
}

/// Reads what a script returned: `pass()`, a violation, an array of
/// violations, or `verdict(...)`.
pub(super) fn outcome(value: Dynamic) -> std::result::Result<Outcome, String> {
    let value = value.flatten();
    if value.is::<RVerdict>() {
        let v = value.cast::<RVerdict>();
        return Ok(Outcome {
            violations: v.violations,
            score: v.score,
        });
    }
    if value.is::<RViolation>() {
        return Ok(Outcome {
            violations: vec![value.cast::<RViolation>().0],
            score: None,
        });
    }
    if value.is_array() {
        let array = value.cast::<Array>();
        return Ok(Outcome {
            violations: violations_of(array)?,
            score: None,
        });
    }
    let what = if value.is_unit() {
        "nothing (`()`)".to_owned()
    } else {
        format!("a value of type {}", value.type_name())
    };
    Err(format!(
        "the script returned {what}; a rule must end with pass(), a violation(...), or an array of violations"
    ))
}

fn violations_of(array: Array) -> std::result::Result<Vec<Violation>, String> {
    array
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let item = item.flatten();
            if item.is::<RViolation>() {
                Ok(item.cast::<RViolation>().0)
            } else {
                Err(format!(
                    "element {i} of the returned array is a {}, not a violation",
                    item.type_name()
                ))
            }
        })
        .collect()
}

// ---- the types scripts see -------------------------------------------------

#[derive(Clone)]
pub(super) struct RGame(pub(super) Arc<Game>);

#[derive(Clone)]
struct RTime(Zoned);

#[derive(Clone)]
pub(super) struct RSchedule(pub(super) Arc<Schedule>);

/// The league as scripts see it: lookups answered from maps built once.
#[derive(Clone)]
pub(super) struct RLeague(Arc<LeagueData>);

struct LeagueData {
    league: Arc<League>,
    teams: Map,
    venues: Map,
    tv_windows: Map,
    reference: Map,
}

/// The manifest's params as a map, cloned into each call: a shared value
/// would be cheaper to pass but a script could write through it (shared
/// values escape constant checks), and the next call would see the change.
#[derive(Clone, Debug)]
struct RParams(Dynamic);

#[derive(Clone)]
struct RViolation(Violation);

#[derive(Clone)]
struct RVerdict {
    violations: Vec<Violation>,
    score: Option<f64>,
}

impl RLeague {
    pub(super) fn new(league: Arc<League>) -> Self {
        let s = |x: &str| Dynamic::from(ImmutableString::from(x));
        let teams = league
            .teams
            .iter()
            .map(|t| {
                let mut m = Map::new();
                m.insert("id".into(), s(&t.id));
                m.insert("name".into(), s(&t.name));
                m.insert("venue".into(), s(&t.venue));
                m.insert(
                    "division".into(),
                    t.division.as_deref().map_or(Dynamic::UNIT, s),
                );
                (t.id.as_ref().into(), Dynamic::from_map(m))
            })
            .collect();
        let venues = league
            .venues
            .iter()
            .map(|v| {
                let mut m = Map::new();
                m.insert("id".into(), s(&v.id));
                m.insert("name".into(), s(&v.name));
                m.insert("timezone".into(), s(&v.timezone_name));
                let blackouts: Array = v.blackouts.iter().map(blackout_map).collect();
                m.insert("blackouts".into(), Dynamic::from_array(blackouts));
                (v.id.as_ref().into(), Dynamic::from_map(m))
            })
            .collect();
        let tv_windows = league
            .tv_windows
            .iter()
            .map(|w| {
                let mut m = Map::new();
                m.insert("id".into(), s(&w.id));
                m.insert("network".into(), s(&w.network));
                let days: Array = w.days.iter().map(|&d| s(query::weekday_short(d))).collect();
                m.insert("days".into(), Dynamic::from_array(days));
                m.insert(
                    "start".into(),
                    s(&format!("{:02}:{:02}", w.start.hour(), w.start.minute())),
                );
                m.insert(
                    "end".into(),
                    s(&format!("{:02}:{:02}", w.end.hour(), w.end.minute())),
                );
                m.insert("timezone".into(), s(&w.timezone_name));
                (w.id.as_ref().into(), Dynamic::from_map(m))
            })
            .collect();
        let reference = rhai::serde::to_dynamic(&league.reference)
            .ok()
            .and_then(|d| d.try_cast::<Map>())
            .unwrap_or_default();
        Self(Arc::new(LeagueData {
            league,
            teams,
            venues,
            tv_windows,
            reference,
        }))
    }
}

fn blackout_map(b: &crate::model::Blackout) -> Dynamic {
    let mut m = Map::new();
    m.insert(
        "from".into(),
        Dynamic::from(ImmutableString::from(b.from.to_string())),
    );
    m.insert(
        "to".into(),
        Dynamic::from(ImmutableString::from(b.to.to_string())),
    );
    m.insert(
        "reason".into(),
        Dynamic::from(ImmutableString::from(b.reason.as_str())),
    );
    Dynamic::from_map(m)
}

type Res<T> = std::result::Result<T, Box<EvalAltResult>>;

fn runtime_error(message: impl Into<String>) -> Box<EvalAltResult> {
    Box::new(EvalAltResult::ErrorRuntime(
        Dynamic::from(message.into()),
        Position::NONE,
    ))
}

fn string(s: &str) -> Dynamic {
    Dynamic::from(ImmutableString::from(s))
}

fn opt_game(g: Option<&Arc<Game>>) -> Dynamic {
    g.map_or(Dynamic::UNIT, |g| Dynamic::from(RGame(g.clone())))
}

fn games<'a>(it: impl Iterator<Item = &'a Arc<Game>>) -> Array {
    it.map(|g| Dynamic::from(RGame(g.clone()))).collect()
}

fn date_arg(s: &str) -> Res<jiff::civil::Date> {
    s.parse()
        .map_err(|_| runtime_error(format!("\"{s}\" is not a date; expected YYYY-MM-DD")))
}

fn get_or_unit(map: &Map, key: &str) -> Dynamic {
    map.get(key).cloned().unwrap_or(Dynamic::UNIT)
}

/// The query API as one module, built once and shared by every engine.
fn query_package() -> Shared<Module> {
    static PACKAGE: OnceLock<Shared<Module>> = OnceLock::new();
    PACKAGE.get_or_init(|| build_query_module().into()).clone()
}

fn build_query_module() -> Module {
    let mut m = Module::new();
    m.set_custom_type::<RGame>("Game");
    m.set_custom_type::<RTime>("Time");
    m.set_custom_type::<RSchedule>("Schedule");
    m.set_custom_type::<RLeague>("League");
    m.set_custom_type::<RViolation>("Violation");
    m.set_custom_type::<RVerdict>("Verdict");

    // Data sources: the answer, parsed; a failure throws (and the
    // constraint's fallback answers for it).
    m.set_native_fn("data", |source: &str, query: Map| {
        let query: Vec<(String, String)> = query
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        let body = super::call::fetch(source, &query).map_err(runtime_error)?;
        let value: serde_json::Value = serde_json::from_str(&body)
            .map_err(|e| runtime_error(format!("data source `{source}`: {e}")))?;
        rhai::serde::to_dynamic(value)
    });

    // Game. Each getter, and each function that shows a script something
    // of a game, notes the fields it shows (`saw`): the verdict cache
    // fingerprints the games a call read over those alone.
    m.set_getter_fn("id", |g: &mut RGame| {
        saw(Fields::ID);
        Ok(ImmutableString::from(&*g.0.id))
    });
    m.set_getter_fn("home", |g: &mut RGame| {
        saw(Fields::HOME);
        Ok(ImmutableString::from(&*g.0.home))
    });
    m.set_getter_fn("away", |g: &mut RGame| {
        saw(Fields::AWAY);
        Ok(ImmutableString::from(&*g.0.away))
    });
    m.set_getter_fn("venue", |g: &mut RGame| {
        saw(Fields::VENUE);
        Ok(ImmutableString::from(&*g.0.venue))
    });
    m.set_getter_fn("round", |g: &mut RGame| {
        saw(Fields::ROUND);
        Ok(g.0
            .round
            .map_or(Dynamic::UNIT, |r| Dynamic::from(i64::from(r))))
    });
    m.set_getter_fn("start", |g: &mut RGame| {
        saw(Fields::START);
        Ok(RTime(g.0.start.clone()))
    });
    m.set_getter_fn("end", |g: &mut RGame| {
        saw(Fields::END);
        Ok(RTime(g.0.end.clone()))
    });
    m.set_getter_fn("date", |g: &mut RGame| {
        saw(Fields::START);
        Ok(ImmutableString::from(g.0.date().to_string()))
    });
    m.set_getter_fn("tv", |g: &mut RGame| {
        saw(Fields::TV);
        Ok(g.0.tv.as_deref().map_or(Dynamic::UNIT, string))
    });
    m.set_getter_fn("tags", |g: &mut RGame| {
        saw(Fields::TAGS);
        Ok(g.0.tags.iter().map(|t| string(t)).collect::<Array>())
    });
    m.set_native_fn("==", |a: &mut RGame, b: RGame| {
        saw(Fields::ID);
        Ok(a.0.id == b.0.id)
    });
    m.set_native_fn("!=", |a: &mut RGame, b: RGame| {
        saw(Fields::ID);
        Ok(a.0.id != b.0.id)
    });
    m.set_native_fn("to_string", |g: &mut RGame| {
        saw(Fields::ID);
        Ok(ImmutableString::from(&*g.0.id))
    });
    m.set_native_fn("to_debug", |g: &mut RGame| {
        saw(Fields::ID
            .with(Fields::HOME)
            .with(Fields::AWAY)
            .with(Fields::VENUE)
            .with(Fields::START));
        Ok(ImmutableString::from(format!(
            "Game({} {} vs {} at {} {})",
            g.0.id, g.0.home, g.0.away, g.0.venue, g.0.start
        )))
    });

    // Time
    m.set_getter_fn("date", |t: &mut RTime| {
        Ok(ImmutableString::from(t.0.date().to_string()))
    });
    m.set_getter_fn("clock", |t: &mut RTime| {
        Ok(ImmutableString::from(query::clock(&t.0)))
    });
    m.set_getter_fn("hour", |t: &mut RTime| Ok(i64::from(t.0.hour())));
    m.set_getter_fn("minute", |t: &mut RTime| Ok(i64::from(t.0.minute())));
    m.set_getter_fn("weekday", |t: &mut RTime| {
        Ok(ImmutableString::from(query::weekday_short(t.0.weekday())))
    });
    m.set_getter_fn("timezone", |t: &mut RTime| {
        Ok(ImmutableString::from(
            t.0.time_zone().iana_name().unwrap_or("UTC"),
        ))
    });
    m.set_native_fn("in_tz", |t: &mut RTime, tz: ImmutableString| {
        let zone =
            TimeZone::get(&tz).map_err(|_| runtime_error(format!("unknown time zone \"{tz}\"")))?;
        Ok(RTime(t.0.with_time_zone(zone)))
    });
    m.set_native_fn("plus_days", |t: &mut RTime, n: i64| {
        t.0.checked_add(
            jiff::Span::new()
                .try_days(n)
                .map_err(|e| runtime_error(e.to_string()))?,
        )
        .map(RTime)
        .map_err(|e| runtime_error(e.to_string()))
    });
    m.set_native_fn("plus_hours", |t: &mut RTime, n: i64| {
        t.0.checked_add(jiff::SignedDuration::from_hours(n))
            .map(RTime)
            .map_err(|e| runtime_error(e.to_string()))
    });
    m.set_native_fn("<", |a: &mut RTime, b: RTime| {
        Ok(a.0.timestamp() < b.0.timestamp())
    });
    m.set_native_fn("<=", |a: &mut RTime, b: RTime| {
        Ok(a.0.timestamp() <= b.0.timestamp())
    });
    m.set_native_fn(">", |a: &mut RTime, b: RTime| {
        Ok(a.0.timestamp() > b.0.timestamp())
    });
    m.set_native_fn(">=", |a: &mut RTime, b: RTime| {
        Ok(a.0.timestamp() >= b.0.timestamp())
    });
    m.set_native_fn("==", |a: &mut RTime, b: RTime| {
        Ok(a.0.timestamp() == b.0.timestamp())
    });
    m.set_native_fn("!=", |a: &mut RTime, b: RTime| {
        Ok(a.0.timestamp() != b.0.timestamp())
    });
    m.set_native_fn("to_string", |t: &mut RTime| {
        Ok(ImmutableString::from(t.0.to_string()))
    });
    m.set_native_fn("to_debug", |t: &mut RTime| {
        Ok(ImmutableString::from(t.0.to_string()))
    });
    m.set_native_fn("days_between", |a: &mut RTime, b: RTime| {
        Ok(query::days_between(&a.0, &b.0))
    });
    m.set_native_fn("hours_between", |a: &mut RTime, b: RTime| {
        Ok(query::hours_between(&a.0, &b.0))
    });

    // Schedule: every query through `ask` (runtime::call), the one lookup
    // that also records it for the cache.
    m.set_native_fn("games_of", |s: &mut RSchedule, team: ImmutableString| {
        Ok(games(ask(&s.0, Query::GamesOf(&team)).games()))
    });
    m.set_native_fn(
        "games_of",
        |s: &mut RSchedule, team: ImmutableString, from: RTime, to: RTime| {
            let query = Query::GamesOfBetween(&team, from.0.timestamp(), to.0.timestamp());
            Ok(games(ask(&s.0, query).games()))
        },
    );
    m.set_native_fn(
        "previous_game",
        |s: &mut RSchedule, team: ImmutableString, g: RGame| {
            Ok(opt_game(ask(&s.0, Query::Previous(&team, &g.0)).one()))
        },
    );
    m.set_native_fn(
        "rest_days",
        |s: &mut RSchedule, team: ImmutableString, g: RGame| {
            let previous = ask(&s.0, Query::Previous(&team, &g.0)).one();
            // The answer is made of the kickoff of the game it finds.
            saw(Fields::START);
            Ok(previous.map_or(Dynamic::UNIT, |prev| {
                Dynamic::from(query::days_between(&prev.start, &g.0.start))
            }))
        },
    );
    m.set_native_fn(
        "next_game",
        |s: &mut RSchedule, team: ImmutableString, g: RGame| {
            Ok(opt_game(ask(&s.0, Query::Next(&team, &g.0)).one()))
        },
    );
    m.set_native_fn(
        "games_at",
        |s: &mut RSchedule, venue: ImmutableString, date: ImmutableString| {
            let date = date_arg(&date)?;
            Ok(games(ask(&s.0, Query::GamesAt(&venue, date)).games()))
        },
    );
    m.set_native_fn("pairings", |s: &mut RSchedule| {
        let position = |id: &str| s.0.team_position(id).map_or(-1, |p| p as i64);
        Ok(ask(&s.0, Query::All)
            .games()
            .map(|g| {
                let triple: Array = vec![
                    Dynamic::from(position(&g.home)),
                    Dynamic::from(position(&g.away)),
                    Dynamic::from(g.round.map_or(-1, i64::from)),
                ];
                Dynamic::from_array(triple)
            })
            .collect::<Array>())
    });
    m.set_native_fn("games_on", |s: &mut RSchedule, date: ImmutableString| {
        let date = date_arg(&date)?;
        Ok(games(ask(&s.0, Query::GamesOn(date)).games()))
    });
    m.set_native_fn("game", |s: &mut RSchedule, id: ImmutableString| {
        Ok(opt_game(ask(&s.0, Query::ById(&id)).one()))
    });
    m.set_getter_fn("games", |s: &mut RSchedule| {
        Ok(games(ask(&s.0, Query::All).games()))
    });
    m.set_getter_fn("len", |s: &mut RSchedule| {
        Ok(ask(&s.0, Query::Len).count() as i64)
    });

    // League
    m.set_getter_fn("name", |l: &mut RLeague| {
        Ok(ImmutableString::from(l.0.league.name.as_str()))
    });
    m.set_native_fn("team", |l: &mut RLeague, id: ImmutableString| {
        Ok(get_or_unit(&l.0.teams, &id))
    });
    m.set_native_fn("venue", |l: &mut RLeague, id: ImmutableString| {
        Ok(get_or_unit(&l.0.venues, &id))
    });
    m.set_native_fn("tv_window", |l: &mut RLeague, id: ImmutableString| {
        Ok(get_or_unit(&l.0.tv_windows, &id))
    });
    m.set_getter_fn("teams", |l: &mut RLeague| {
        Ok(l.0.teams.values().cloned().collect::<Array>())
    });
    m.set_getter_fn("venues", |l: &mut RLeague| {
        Ok(l.0.venues.values().cloned().collect::<Array>())
    });
    m.set_native_fn("reference", |l: &mut RLeague, key: ImmutableString| {
        Ok(get_or_unit(&l.0.reference, &key))
    });
    m.set_native_fn(
        "blackout",
        |l: &mut RLeague, venue: ImmutableString, date: ImmutableString| {
            let date = date_arg(&date)?;
            Ok(l.0
                .league
                .venue(&venue)
                .and_then(|v| v.blackouts.iter().find(|b| b.covers(date)))
                .map_or(Dynamic::UNIT, blackout_map))
        },
    );

    // Arrays: `["a", "b"].join(", ")` for readable messages.
    m.set_native_fn("join", |a: &mut Array, sep: ImmutableString| {
        Ok(ImmutableString::from(
            a.iter()
                .map(Dynamic::to_string)
                .collect::<Vec<_>>()
                .join(&sep),
        ))
    });

    // Verdict builders
    m.set_native_fn("pass", || {
        Ok(RVerdict {
            violations: Vec::new(),
            score: None,
        })
    });
    m.set_native_fn(
        "violation",
        |severity: ImmutableString, message: ImmutableString| {
            let severity = query::severity(&severity).map_err(runtime_error)?;
            Ok(RViolation(Violation::new(severity, message.as_str())))
        },
    );
    m.set_native_fn("verdict", |violations: Array, score: f64| {
        Ok(RVerdict {
            violations: violations_of(violations).map_err(runtime_error)?,
            score: Some(score),
        })
    });
    m.set_native_fn("verdict", |violations: Array, score: i64| {
        Ok(RVerdict {
            violations: violations_of(violations).map_err(runtime_error)?,
            score: Some(score as f64),
        })
    });
    fn entity(v: &mut RViolation, kind: EntityKind, id: String) -> RViolation {
        let e = Entity { kind, id };
        if !v.0.entities.contains(&e) {
            v.0.entities.push(e);
        }
        v.clone()
    }
    m.set_native_fn("team", |v: &mut RViolation, id: ImmutableString| {
        Ok(entity(v, EntityKind::Team, id.to_string()))
    });
    m.set_native_fn("venue", |v: &mut RViolation, id: ImmutableString| {
        Ok(entity(v, EntityKind::Venue, id.to_string()))
    });
    m.set_native_fn("game", |v: &mut RViolation, g: RGame| {
        saw(Fields::ID);
        Ok(entity(v, EntityKind::Game, g.0.id.to_string()))
    });
    m.set_native_fn("game", |v: &mut RViolation, id: ImmutableString| {
        Ok(entity(v, EntityKind::Game, id.to_string()))
    });
    m.set_native_fn(
        "entity",
        |v: &mut RViolation, kind: ImmutableString, id: Dynamic| {
            let kind = EntityKind::parse(&kind).ok_or_else(|| {
                runtime_error(format!(
                    "unknown entity kind \"{kind}\"; expected one of {}",
                    EntityKind::NAMES
                ))
            })?;
            Ok(entity(v, kind, id.to_string()))
        },
    );
    m.set_native_fn("penalty", |v: &mut RViolation, p: f64| {
        v.0.penalty = p;
        Ok(v.clone())
    });
    m.set_native_fn("penalty", |v: &mut RViolation, p: i64| {
        v.0.penalty = p as f64;
        Ok(v.clone())
    });
    m.set_native_fn("suggest", |v: &mut RViolation, text: ImmutableString| {
        v.0.suggestion = Some(text.to_string());
        Ok(v.clone())
    });
    m.set_native_fn("to_debug", |v: &mut RViolation| {
        Ok(ImmutableString::from(format!(
            "violation({}: {})",
            v.0.severity.as_str(),
            v.0.message
        )))
    });
    m
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::Manifest;
    use std::path::Path;
    use std::time::Duration;

    fn setup(script: &str) -> (RhaiHost, Script, Arc<Schedule>) {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("r.rhai"), script).unwrap();
        std::fs::write(
            dir.path().join("r.toml"),
            "id = 'r'\nname = 'r'\nkind = 'rhai'\nsource = 'r.rhai'\nscope = 'schedule'\nhardness = 'soft'\n[params]\nk = 2\nlist = [1]\n",
        )
        .unwrap();
        let m = Manifest::load(&dir.path().join("r.toml")).unwrap();
        let script = RhaiCompiler::new(&RhaiLimits::default())
            .compile(&m)
            .unwrap();
        let league = Arc::new(League::from_toml_str(Path::new("l.toml"), "name = 'l'\n").unwrap());
        let schedule = Arc::new(
            Schedule::from_spec(Path::new("s.json"), Default::default(), &league).unwrap(),
        );
        (
            RhaiHost::new(&RhaiLimits::default(), league),
            script,
            schedule,
        )
    }

    fn run(host: &RhaiHost, script: &Script, schedule: &Arc<Schedule>) -> Result<usize, Failure> {
        // Violations counted; errors compared by message.
        let deadline = Instant::now() + Duration::from_secs(5);
        host.run(script, schedule, crate::runtime::Target::Schedule, deadline)
            .map(|o| o.violations.len())
    }

    /// Pins the isolation promise: nothing a script does to `params` (directly,
    /// through an alias, or inside a nested value) is seen by the next call.
    #[test]
    fn params_cannot_be_changed_for_the_next_call() {
        for attack in [
            "params.k = 99; pass()",
            "let x = params; x.k = 99; pass()",
            "let x = params; x.list.push(5); pass()",
            "params.list.push(5); pass()",
            "params = #{k: 99}; pass()",
        ] {
            let src = format!(
                "if params.k != 2 || params.list.len() != 1 {{ return violation(\"major\", \"leaked\"); }}\n{attack}"
            );
            let (host, script, schedule) = setup(&src);
            let first = run(&host, &script, &schedule);
            assert_ne!(
                first,
                Ok(1),
                "`{attack}`: params were wrong before the attack"
            );
            // The check runs before the attack: a second call that reports
            // the leak saw the first call's change.
            let second = run(&host, &script, &schedule);
            assert_ne!(second, Ok(1), "after `{attack}`: state leaked");
            assert_eq!(first, second, "`{attack}`: two calls differ");
        }
    }

    #[test]
    fn each_failure_is_told_by_its_kind_and_none_taints_the_runtime() {
        use super::super::answer::FailureKind;
        let in_time = Instant::now() + Duration::from_secs(5);
        for (script, deadline, kind) in [
            ("throw \"no\";", in_time, FailureKind::Reported),
            ("no_such_function()", in_time, FailureKind::Trap),
            ("loop {}", in_time, FailureKind::Trap),
            ("loop {}", Instant::now(), FailureKind::Timeout),
            ("42", in_time, FailureKind::Invalid),
        ] {
            let (host, compiled, schedule) = setup(script);
            let failure = host
                .run(&compiled, &schedule, Target::Schedule, deadline)
                .err()
                .unwrap_or_else(|| panic!("`{script}` fails"));
            assert_eq!(failure.kind, kind, "`{script}`: {failure:?}");
            assert!(!failure.taints(), "`{script}`: {failure:?}");
        }
    }

    #[test]
    fn script_variables_do_not_survive_the_call() {
        let (host, script, schedule) =
            setup("if counter_seen() { return violation(\"major\", \"x\"); } pass()");
        // `counter_seen` does not exist: the call errors, and the next call
        // starts from the same clean scope.
        assert!(run(&host, &script, &schedule).is_err());
        let (host, script, schedule) = setup("let seen = 1; pass()");
        assert_eq!(run(&host, &script, &schedule).ok(), Some(0));
        assert_eq!(
            host.scope.borrow().len(),
            1,
            "only `league` stays in the scope"
        );
    }
}
