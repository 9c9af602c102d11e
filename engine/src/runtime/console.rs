//! The REPL's Rhai session: the same sandboxed engine and query API the
//! constraint scripts run on, with `league` and `schedule` bound, and what
//! the author declares (`let`, `fn`) kept from one line to the next.
//!
//! It lives beside the Rhai host, not in the CLI, because it must be the
//! host's engine: an expression that works here works in a rule.

use std::sync::Arc;
use std::time::{Duration, Instant};

use rhai::{AST, Dynamic, Engine, EvalAltResult, ImmutableString, ParseErrorType, Scope};

use super::call;
use super::rhai_host::{RGame, RLeague, RSchedule, RhaiLimits, is_outcome, new_engine, outcome};
use crate::data::DataSources;
use crate::model::reads::Read;
use crate::model::{League, Schedule, Violation};

/// Names the session binds itself; everything else in scope is the author's.
const BOUND: [&str; 2] = ["league", "schedule"];

/// An error in a line typed at the console, with where and a hint.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct ConsoleError {
    /// 1-based line and column in the input, when Rhai knows them.
    pub(crate) position: Option<(usize, usize)>,
    /// What went wrong.
    pub(crate) message: String,
    /// How to put it right.
    pub(crate) hint: Option<String>,
}

/// What a line evaluated to.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    /// Nothing to show (a `let`, a `fn`, a statement).
    Unit,
    /// A value, as `to_debug` shows it.
    Shown(String),
    /// A rule's answer (`pass()`, violations, `verdict(...)`).
    Outcome {
        /// The violations (empty: passed).
        violations: Vec<Violation>,
        /// The explicit score, if one was given.
        score: Option<f64>,
    },
}

/// A console session over one league and schedule.
pub(crate) struct Console {
    engine: Engine,
    scope: Scope<'static>,
    /// Functions the author defined so far.
    lib: AST,
    show: AST,
    data: Arc<DataSources>,
}

impl Console {
    /// A session with `league` and `schedule` bound, under the script limits.
    pub(crate) fn new(league: Arc<League>, schedule: Arc<Schedule>, limits: &RhaiLimits) -> Self {
        let mut engine = new_engine(limits);
        // An author at a console wants to see what `print` says.
        engine.on_print(|s| println!("{s}"));
        engine.on_debug(|s, _, pos| println!("[{}] {s}", pos.line().unwrap_or(0)));
        let mut scope = Scope::new();
        scope.push("__value", ());
        let show = engine
            .compile_with_scope(&scope, "to_debug(__value)")
            .unwrap_or_else(|e| unreachable!("a fixed expression compiles: {e}"));
        let mut console = Self {
            engine,
            scope: Scope::new(),
            lib: AST::empty(),
            show,
            data: Arc::default(),
        };
        console.rebind(league, schedule);
        console
    }

    /// Binds a rule's `params` (a manifest's, as its script sees them) and,
    /// when given, a `game` as a game-scoped rule sees it, replacing what
    /// the names held.
    pub(crate) fn bind_rule(
        &mut self,
        params: Option<&serde_json::Map<String, serde_json::Value>>,
        game: Option<Arc<crate::model::Game>>,
    ) -> Result<(), ConsoleError> {
        if let Some(params) = params {
            let params = rhai::serde::to_dynamic(params).map_err(|e| ConsoleError {
                position: None,
                message: format!("the manifest's params cannot be given to a script: {e}"),
                hint: None,
            })?;
            self.scope.set_or_push("params", params);
        }
        if let Some(g) = game {
            self.scope.set_or_push("game", RGame(g));
        }
        Ok(())
    }

    /// Binds another league and schedule (after a reload), keeping the
    /// author's variables.
    pub(crate) fn rebind(&mut self, league: Arc<League>, schedule: Arc<Schedule>) {
        let mut scope = Scope::new();
        scope.push_constant("league", RLeague::new(league));
        scope.push_constant("schedule", RSchedule(schedule));
        // `iter_raw` goes newest first: push them back oldest first.
        let old: Vec<_> = self.scope.iter_raw().collect();
        for (name, constant, value) in old.into_iter().rev() {
            if BOUND.contains(&name) {
                continue;
            }
            if constant {
                scope.push_constant_dynamic(name.to_owned(), value.clone());
            } else {
                scope.push_dynamic(name.to_owned(), value.clone());
            }
        }
        self.scope = scope;
    }

    /// The variables in scope, for completion and hints.
    pub(crate) fn variables(&self) -> Vec<String> {
        let mut names: Vec<String> = Vec::new();
        let all: Vec<&str> = self.scope.iter_raw().map(|(n, ..)| n).collect();
        for n in all.into_iter().rev() {
            if !names.iter().any(|m| m == n) {
                names.push(n.to_owned());
            }
        }
        names
    }

    /// The functions the author defined.
    pub(crate) fn functions(&self) -> Vec<String> {
        self.lib
            .iter_functions()
            .map(|f| f.name.to_owned())
            .collect()
    }

    /// Evaluates `text` under a deadline; with `record`, also returns the
    /// schedule queries it made, as a rule's call would record them.
    pub(crate) fn eval(
        &mut self,
        text: &str,
        timeout: Duration,
        record: bool,
    ) -> Result<(Value, Vec<Read>), ConsoleError> {
        let ast = self
            .engine
            .compile_with_scope(&self.scope, text)
            .map_err(|e| self.parse_error(e))?;
        let program = self.lib.merge(&ast);
        let game = self.scope.get_value::<RGame>("game").map(|g| g.0);
        let deadline = Instant::now() + timeout;
        let engine = &self.engine;
        let scope = &mut self.scope;
        let (result, notes) = call::within(&self.data, deadline, game.as_ref(), record, || {
            super::rhai_host::with_deadline(deadline, || {
                engine.eval_ast_with_scope::<Dynamic>(scope, &program)
            })
        });
        let value = result.map_err(|e| self.eval_error(*e, timeout))?;
        // Keep what the line defined, for the lines after it.
        self.lib = self.lib.merge(&ast.clone_functions_only());
        let reads = notes.reads.unwrap_or_default();
        Ok((self.value(value), reads))
    }

    fn value(&self, value: Dynamic) -> Value {
        if value.is_unit() {
            return Value::Unit;
        }
        if is_outcome(&value)
            && let Ok(o) = outcome(value.clone())
        {
            return Value::Outcome {
                violations: o.violations,
                score: o.score,
            };
        }
        let mut scope = Scope::new();
        scope.push_dynamic("__value", value.clone());
        let shown = self
            .engine
            .eval_ast_with_scope::<ImmutableString>(&mut scope, &self.show)
            .map(|s| s.to_string())
            .unwrap_or_else(|_| value.to_string());
        Value::Shown(shown)
    }

    fn parse_error(&self, e: rhai::ParseError) -> ConsoleError {
        let hint = match &*e.0 {
            ParseErrorType::VariableUndefined(name) => Some(self.variable_hint(name)),
            _ => None,
        };
        ConsoleError {
            position: position(e.1),
            message: lowercase_first(&e.0.to_string()),
            hint,
        }
    }

    fn variable_hint(&self, name: &str) -> String {
        let vars = self.variables().join(", ");
        if name == "game" {
            format!(
                "no game is chosen; pick one with `let game = schedule.game(\"ID\");` (in scope: {vars})"
            )
        } else if name == "params" {
            format!(
                "a rule's params are not bound here; set them with `let params = #{{ min_days: 2 }};` (in scope: {vars})"
            )
        } else {
            format!("in scope: {vars}; declare it with `let {name} = ...;`")
        }
    }

    fn eval_error(&self, mut e: EvalAltResult, timeout: Duration) -> ConsoleError {
        let pos = position(e.take_position());
        let (message, hint) = match &e {
            EvalAltResult::ErrorTerminated(..) => (
                format!("ran past the console's deadline of {} ms", timeout.as_millis()),
                Some("an endless loop? rules run under their manifest's timeout_ms".to_owned()),
            ),
            EvalAltResult::ErrorTooManyOperations(..) => (
                "exceeded the operation limit".to_owned(),
                Some("rules run under the same limit: an endless loop?".to_owned()),
            ),
            EvalAltResult::ErrorVariableNotFound(name, _) => (
                format!("variable `{name}` not found"),
                Some(self.variable_hint(name)),
            ),
            EvalAltResult::ErrorFunctionNotFound(sig, _) => (
                format!("function not found: {sig}"),
                Some(
                    "`:help` lists the query API (e.g. schedule.games_of(team), schedule.rest_days(team, game))"
                        .to_owned(),
                ),
            ),
            EvalAltResult::ErrorPropertyNotFound(p, _) => (
                format!("property `{p}` not found"),
                Some(
                    "a game has id round home away venue start end tv tags; a time has date clock hour minute weekday timezone"
                        .to_owned(),
                ),
            ),
            other => (lowercase_first(&other.to_string()), None),
        };
        ConsoleError {
            position: pos,
            message,
            hint,
        }
    }
}

fn position(p: rhai::Position) -> Option<(usize, usize)> {
    Some((p.line()?, p.position().unwrap_or(1)))
}

fn lowercase_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(first) => first.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn console() -> Console {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../examples/leagues/pacific-atlantic");
        let league = League::load(&dir).unwrap();
        let schedule = Schedule::load(league.schedule_file.as_ref().unwrap(), &league).unwrap();
        Console::new(Arc::new(league), Arc::new(schedule), &RhaiLimits::default())
    }

    fn shown(c: &mut Console, text: &str) -> Value {
        c.eval(text, Duration::from_secs(1), false).unwrap().0
    }

    #[test]
    fn variables_and_functions_carry_over_and_survive_a_rebind() {
        let mut c = console();
        assert_eq!(
            shown(&mut c, "let g = schedule.game(\"R14-PHX-SLC\");"),
            Value::Unit
        );
        assert_eq!(shown(&mut c, "g.home"), Value::Shown("\"PHX\"".into()));
        shown(&mut c, "fn twice(x) { x * 2 }");
        assert_eq!(shown(&mut c, "twice(21)"), Value::Shown("42".into()));
        let league = Arc::new(
            League::load(
                &std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                    .join("../examples/leagues/pacific-atlantic"),
            )
            .unwrap(),
        );
        let empty =
            Arc::new(Schedule::from_spec("x".as_ref(), Default::default(), &league).unwrap());
        c.rebind(league, empty);
        assert_eq!(shown(&mut c, "g.away"), Value::Shown("\"SLC\"".into()));
        assert_eq!(shown(&mut c, "schedule.len"), Value::Shown("0".into()));
    }

    #[test]
    fn errors_carry_a_position_and_a_hint() {
        let mut c = console();
        let e = c
            .eval("1 +\n  gme", Duration::from_secs(1), false)
            .unwrap_err();
        assert_eq!(e.position, Some((2, 3)));
        let hint = e.hint.unwrap();
        assert!(hint.contains("in scope: league, schedule"), "{hint}");
        let e = c
            .eval("loop {}", Duration::from_millis(1), false)
            .unwrap_err();
        assert!(e.message.contains("deadline of 1 ms"), "{e:?}");
    }

    #[test]
    fn a_rule_answer_is_an_outcome_and_reads_are_recorded() {
        let mut c = console();
        shown(&mut c, "let game = schedule.game(\"R14-PHX-SLC\");");
        let (v, reads) = c
            .eval(
                "let gap = schedule.rest_days(game.home, game); if gap < 2 { violation(\"major\", `short: ${gap}`) } else { pass() }",
                Duration::from_secs(1),
                true,
            )
            .unwrap();
        let Value::Outcome { violations, .. } = v else {
            panic!("{v:?}")
        };
        assert_eq!(violations[0].message, "short: 1");
        assert!(!reads.is_empty());
    }
}
