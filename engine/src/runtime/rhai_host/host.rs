//! Running a script: the engine with one league's data, its reused scope,
//! and a script's error as a typed failure.

use std::cell::RefCell;
use std::sync::Arc;
use std::time::Instant;

use rhai::{Dynamic, Engine, EvalAltResult, ImmutableString, Map, Scope};

use super::compile::Script;
use super::engine::new_engine;
use super::limits::{DEADLINE, RhaiLimits, SIZE_CHECK_EVERY, UNTIL_SIZE_CHECK};
use super::outcome::outcome;
use super::types::{RGame, RLeague, RSchedule};
use crate::manifests::Partition;
use crate::model::{League, Schedule};
use crate::runtime::Target;
use crate::runtime::answer::{Failure, Outcome};

/// An engine with one league's data prepared for scripts. One per thread.
///
/// The scope is reused across calls: `league` stays at its bottom, and
/// `schedule`, `params` and `game` are pushed as constants (a script cannot
/// reassign them) on every call; everything above `league` is rewound after
/// the call, so nothing a script declares leaks into the next evaluation.
pub(crate) struct RhaiHost {
    /// Made on first use: a runtime that only runs WebAssembly never
    /// pays for it.
    engine: std::cell::OnceCell<Engine>,
    limits: RhaiLimits,
    league: RLeague,
    scope: RefCell<Scope<'static>>,
    names: [ImmutableString; 5],
}

impl RhaiHost {
    /// The engine, made on first use.
    fn engine(&self) -> &Engine {
        self.engine.get_or_init(|| new_engine(&self.limits))
    }

    pub(crate) fn new(limits: &RhaiLimits, league: Arc<League>) -> Self {
        let mut scope = Scope::new();
        let league = RLeague::new(league);
        scope.push_constant("league", league.clone());
        Self {
            league,
            engine: std::cell::OnceCell::new(),
            limits: limits.clone(),
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
        crate::runtime::call::looking();
        let result = self
            .engine()
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

/// The names a rule's script is given; a `fn` sees none of them.
const GIVEN: [&str; 6] = ["params", "game", "schedule", "league", "team", "venue"];

/// A script's error as a failure: past the deadline a timeout, a `throw`
/// (or a query's refusal the script let through, which Rhai cannot tell
/// apart) the script's own error, anything else a trap.
fn failure(script: &Script, mut err: EvalAltResult) -> Failure {
    let path = &script.path;
    // A helper `fn` sees only its arguments: a rule's own names inside one
    // are not found. Say so where it is used, and how to pass it in.
    if let EvalAltResult::ErrorInFunctionCall(f, _, inner, _) = &err
        && let EvalAltResult::ErrorVariableNotFound(name, pos) = &**inner
        && GIVEN.contains(&name.as_str())
    {
        let at = match pos.line() {
            Some(l) => format!("{}:{l}:{}", path.display(), pos.position().unwrap_or(0)),
            None => path.display().to_string(),
        };
        return Failure::trap(format!(
            "{at}: `{name}` is not visible inside `fn {f}`: a Rhai `fn` sees only its arguments; pass it in (`fn {f}(..., {name})`, called as `{f}(..., {name})`)"
        ));
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::manifests::Manifest;
    use crate::runtime::rhai_host::RhaiCompiler;
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
        use crate::runtime::answer::FailureKind;
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
    fn a_rule_name_inside_a_helper_fn_says_to_pass_it_in() {
        let (host, script, schedule) = setup("fn window(g) {\n  g + params.k\n}\nwindow(1)");
        let failure = run(&host, &script, &schedule).expect_err("fails");
        let m = &failure.message;
        assert!(m.contains("r.rhai:2:"), "{m}");
        assert!(
            m.contains("`params` is not visible inside `fn window`: a Rhai `fn` sees only its arguments; pass it in (`fn window(..., params)`, called as `window(..., params)`)"),
            "{m}"
        );
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
