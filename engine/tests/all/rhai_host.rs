//! The Rhai sandbox: compile errors at load time with their position, and at
//! run time every limit, throw or nonsense answer turning into an `error` or
//! `timeout` verdict for that rule alone, while the evaluator goes on to rule
//! correctly with the next one.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use umpire::{Error, Evaluator, Registry, Report, Schedule, Status, Verdict, runtime::RhaiLimits};

use crate::support::{TempTree, TestResult, game, mini_league, verdict};

const SCHEDULE: &str = r#"{"games": [
  {"id": "g1", "home": "NYR", "away": "LAS", "start": "2026-03-07T19:00"},
  {"id": "g2", "home": "LAS", "away": "NYR", "start": "2026-03-14T19:00"}
]}"#;

/// A league with a failing rule `a-bad` and a well-behaved rule `z-good`
/// that runs after it (file order) for every game.
struct Sandbox {
    tree: TempTree,
    bad: PathBuf,
}

impl Sandbox {
    fn new(script: &str, manifest_extra: &str) -> Self {
        let tree = TempTree::new();
        tree.rule("a-bad", "game", "soft", manifest_extra, script);
        tree.rule(
            "z-good",
            "game",
            "soft",
            "[params]\ntag = \"ok\"",
            "violation(\"minor\", `good ${game.id} of ${schedule.len} at ${league.team(game.home).venue} ${params.tag}`).game(game)",
        );
        tree.write("schedule.json", SCHEDULE);
        let bad = tree.path().join("plugins/a_bad.rhai");
        Self { tree, bad }
    }

    fn registry(&self, limits: &RhaiLimits) -> Result<Registry, Error> {
        Registry::load_with(&[self.tree.path().join("plugins")], limits)
    }

    /// Evaluates twice with one evaluator and checks the good rule both times;
    /// returns the bad rule's verdicts on g1 from each run.
    fn run(&self, limits: &RhaiLimits) -> Result<Vec<Verdict>, Box<dyn std::error::Error>> {
        let league = mini_league(self.tree.path());
        let schedule = Arc::new(Schedule::load(
            &self.tree.path().join("schedule.json"),
            &league,
        )?);
        let evaluator =
            Evaluator::with_limits(Arc::new(league), Arc::new(self.registry(limits)?), limits);
        let mut bad = Vec::new();
        for _ in 0..2 {
            let report = evaluator.evaluate(&schedule);
            check_good_rule(&report);
            bad.push(verdict(game(&report, "g1"), "a-bad").clone());
            // The failure is the same on every game: nothing carries over.
            let again = verdict(game(&report, "g2"), "a-bad");
            assert_eq!(again.status, bad[0].status, "{again:?}");
        }
        assert_eq!(bad[0].status, bad[1].status);
        assert_eq!(bad[0].message, bad[1].message);
        Ok(bad)
    }

    /// The bad rule's verdict on g1, with default limits; asserts `status`.
    fn verdict(&self, status: Status) -> Verdict {
        let v = self
            .run(&RhaiLimits::default())
            .expect("the sandbox runs")
            .remove(0);
        assert_eq!(v.status, status, "{v:?}");
        assert!(v.violations.is_empty());
        assert_eq!(v.score, 0.0);
        v
    }

    /// The message of an `error` verdict; checks it starts with the script path.
    fn error_message(&self) -> String {
        let message = self
            .verdict(Status::Error)
            .message
            .expect("an error verdict says why");
        let path = self.bad.display().to_string();
        assert!(
            message.starts_with(&path),
            "{message}\n  should start with {path}"
        );
        message
    }

    fn load_error(&self) -> Error {
        self.registry(&RhaiLimits::default())
            .expect_err("the script should not compile")
    }
}

fn check_good_rule(report: &Report) {
    for (id, g) in [
        ("g1", "good g1 of 2 at hudson ok"),
        ("g2", "good g2 of 2 at palms ok"),
    ] {
        let v = verdict(game(report, id), "z-good");
        assert_eq!(v.status, Status::Violated, "{v:?}");
        assert_eq!(v.violations.len(), 1);
        assert_eq!(v.violations[0].message, g);
        assert_eq!(v.violations[0].entities[0].id, id);
    }
}

// ---- load time ---------------------------------------------------------------

/// The parts of an `Error::Script`, or a panic naming what came instead.
fn script_error(err: &Error) -> (&PathBuf, &usize, &usize, &String) {
    match err {
        Error::Script {
            path,
            line,
            column,
            message,
        } => (path, line, column, message),
        other => panic!("expected Error::Script, got {other:?}"),
    }
}

#[test]
fn a_script_that_does_not_compile_is_a_load_error_with_path_line_and_column() {
    let sandbox = Sandbox::new("let x = 1;\nlet y = ;\npass()", "");
    let err = sandbox.load_error();
    let (path, line, column, message) = script_error(&err);
    assert_eq!(path, &sandbox.bad);
    assert_eq!((*line, *column), (2, 9));
    assert_eq!(
        err.to_string(),
        format!("{}:2:9: {message}", sandbox.bad.display())
    );
}

#[test]
fn a_misspelt_variable_is_a_compile_error_with_its_position() {
    let sandbox = Sandbox::new("let home = game.home;\nlet id = gmae.id;\npass()", "");
    let err = sandbox.load_error();
    let (_, line, column, message) = script_error(&err);
    assert_eq!((*line, *column), (2, 10));
    assert!(message.contains("gmae"), "{message}");
}

#[test]
fn a_schedule_scoped_script_has_no_game_variable() {
    let t = TempTree::new();
    t.rule(
        "season",
        "schedule",
        "soft",
        "",
        "if game.id == \"x\" { pass() } else { pass() }",
    );
    let err = Registry::load(&[t.path().join("plugins")]).unwrap_err();
    let (_, line, _, message) = script_error(&err);
    assert_eq!(*line, 1);
    assert!(message.contains("game"), "{message}");
}

#[test]
fn eval_is_refused_at_compile_time() {
    let sandbox = Sandbox::new("let x = eval(\"1\");\npass()", "");
    let err = sandbox.load_error();
    let (_, line, _, message) = script_error(&err);
    assert_eq!(*line, 1);
    assert!(message.contains("eval"), "{message}");
}

#[test]
fn import_is_refused_at_compile_time() {
    // The engine is built without modules: `import` is a reserved word, so
    // the rule never loads (it is not an error verdict at run time).
    let sandbox = Sandbox::new("import \"x\" as y;\npass()", "");
    let err = sandbox.load_error();
    let (path, line, column, message) = script_error(&err);
    assert_eq!(path, &sandbox.bad);
    assert_eq!((*line, *column), (1, 1));
    assert!(message.contains("import"), "{message}");
}

// ---- run time: limits ----------------------------------------------------------

#[test]
fn an_endless_loop_times_out_at_the_manifest_deadline_and_the_next_rule_still_runs() -> TestResult {
    let sandbox = Sandbox::new("loop {}", "timeout_ms = 30");
    // An operation budget too large to matter: only the wall clock stops it.
    let limits = RhaiLimits::default().with_max_operations(u64::MAX);
    let started = Instant::now();
    let bad = sandbox.run(&limits)?;
    let elapsed = started.elapsed();
    let v = &bad[0];
    assert_eq!(v.status, Status::Timeout, "{v:?}");
    let message = v.message.as_deref().unwrap_or_default();
    assert!(
        message.starts_with(&sandbox.bad.display().to_string()),
        "{message}"
    );
    assert!(
        message.contains("deadline") && message.contains("30 ms"),
        "{message}"
    );
    assert!(v.elapsed_us >= 30_000, "stopped before its deadline: {v:?}");
    // Four timed-out calls (2 games × 2 runs) of 30 ms each, plus the rest.
    assert!(elapsed < Duration::from_secs(2), "took {elapsed:?}");
    Ok(())
}

#[test]
fn timeouts_are_counted_in_the_summary() -> TestResult {
    let sandbox = Sandbox::new("loop {}", "timeout_ms = 10");
    let limits = RhaiLimits::default().with_max_operations(u64::MAX);
    let league = mini_league(sandbox.tree.path());
    let schedule = Arc::new(Schedule::load(
        &sandbox.tree.path().join("schedule.json"),
        &league,
    )?);
    let evaluator = Evaluator::with_limits(
        Arc::new(league),
        Arc::new(sandbox.registry(&limits)?),
        &limits,
    );
    let report = evaluator.evaluate(&schedule);
    assert_eq!(report.summary.timeouts, 2);
    assert_eq!(report.summary.errors, 0);
    Ok(())
}

#[test]
fn a_small_operation_budget_stops_a_loop_with_an_error() -> TestResult {
    let sandbox = Sandbox::new("let n = 0;\nloop { n += 1; }", "timeout_ms = 10000");
    let limits = RhaiLimits::default().with_max_operations(1000);
    let started = Instant::now();
    let v = sandbox.run(&limits)?.remove(0);
    assert_eq!(v.status, Status::Error, "{v:?}");
    let message = v.message.unwrap_or_default();
    assert!(
        message.starts_with(&format!("{}:2:", sandbox.bad.display())),
        "{message}"
    );
    assert!(message.contains("operation limit"), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "stopped by operations, not the clock"
    );
    Ok(())
}

#[test]
fn deep_recursion_is_an_error() {
    let sandbox = Sandbox::new("fn down(n) { down(n + 1) }\ndown(0)", "timeout_ms = 10000");
    let message = sandbox.error_message().to_lowercase();
    assert!(
        message.contains("stack overflow") || message.contains("call level"),
        "{message}"
    );
}

#[test]
fn a_string_past_64_kib_is_an_error() {
    let sandbox = Sandbox::new("let s = \"x\";\nloop { s += s; }", "timeout_ms = 10000");
    let message = sandbox.error_message();
    assert!(message.contains(":2:"), "{message}");
    assert!(message.to_lowercase().contains("string"), "{message}");
}

#[test]
fn a_string_just_under_64_kib_is_fine() {
    let sandbox = Sandbox::new(
        "let s = \"\";\ns.pad(65536, \"x\");\nviolation(\"minor\", `${s.len()}`)",
        "",
    );
    let v = sandbox.run(&RhaiLimits::default()).unwrap().remove(0);
    assert_eq!(v.status, Status::Violated, "{v:?}");
    assert_eq!(v.violations[0].message, "65536");
}

#[test]
fn an_array_past_10000_elements_is_an_error() {
    let sandbox = Sandbox::new(
        "let a = [];\nfor i in 0..20000 { a.push(i); }\npass()",
        "timeout_ms = 10000",
    );
    let message = sandbox.error_message();
    assert!(message.to_lowercase().contains("array"), "{message}");
}

#[test]
fn an_array_of_10000_elements_is_fine() {
    let sandbox = Sandbox::new(
        "let a = [];\na.pad(10000, 0);\nviolation(\"minor\", `${a.len()}`)",
        "",
    );
    let v = sandbox.run(&RhaiLimits::default()).unwrap().remove(0);
    assert_eq!(v.violations[0].message, "10000");
}

#[test]
fn a_map_past_10000_entries_is_an_error() {
    let sandbox = Sandbox::new(
        "let m = #{};\nfor i in 0..10001 { m[`k${i}`] = i; }\nviolation(\"minor\", `${m.len()}`)",
        "timeout_ms = 10000",
    );
    let message = sandbox.error_message();
    assert!(message.to_lowercase().contains("map"), "{message}");
}

/// A hostile script from `engine/tests/fixtures/hostile`.
fn hostile_script(name: &str) -> String {
    std::fs::read_to_string(crate::support::fixture(&format!("hostile/{name}")))
        .expect("the hostile fixture exists")
}

/// Pins issue 17: Rhai checks the value an index write stores, not the map
/// it grows; `m[k] = s + i` built a 1.3 GB map under limits of 64 KiB
/// strings, verdict `passed`. Now the map's strings are measured on the
/// way and the script stops with the limit named, long before a gigabyte.
#[test]
fn index_writes_that_grow_a_map_past_the_limits_are_an_error() {
    let sandbox = Sandbox::new(&hostile_script("map_growth.rhai"), "timeout_ms = 10000");
    let message = sandbox.error_message();
    assert!(
        message.contains("the script went over a data limit: `m` holds ")
            && message.contains(" bytes of strings, over the limit of 65536 (`max_string_size`)"),
        "{message}"
    );
    let sandbox = Sandbox::new(&hostile_script("map_keys.rhai"), "timeout_ms = 10000");
    let message = sandbox.error_message();
    assert!(
        message.contains("`m` holds ")
            && message.contains(" map entries, over the limit of 10000 (`max_map_size`)"),
        "{message}"
    );
}

/// Pins issue 17: `a[i] = ...` filled a 640 MB array of 10,000 elements,
/// each string within its limit.
#[test]
fn index_writes_that_fill_an_array_past_the_string_limit_are_an_error() {
    let sandbox = Sandbox::new(&hostile_script("array_fill.rhai"), "timeout_ms = 10000");
    let message = sandbox.error_message();
    assert!(
        message.contains("`a` holds ")
            && message.contains(" bytes of strings, over the limit of 65536 (`max_string_size`)"),
        "{message}"
    );
}

/// Pins issue 17: 10,000 violations of 60 KB each, within the array and
/// string limits, made a 600 MB verdict.
#[test]
fn violations_past_the_output_limit_are_an_error_while_the_script_builds_them() {
    let sandbox = Sandbox::new(
        &hostile_script("violation_flood.rhai"),
        "timeout_ms = 10000",
    );
    let message = sandbox.error_message();
    assert!(
        message.contains("the violations the script holds take ")
            && message.contains(" KiB, over the limit of 4096 KiB (`plugins.max_output_kb`)"),
        "{message}"
    );
}

#[test]
fn more_violations_than_max_violations_are_an_error_naming_the_setting() -> TestResult {
    let mut limits = RhaiLimits::default();
    limits.max_violations = 5;
    let sandbox = Sandbox::new(
        "let out = [];\nfor i in 0..6 { out.push(violation(\"minor\", `v${i}`)); }\nout",
        "",
    );
    let v = sandbox.run(&limits)?.remove(0);
    assert_eq!(v.status, Status::Error, "{v:?}");
    assert_eq!(
        v.message.as_deref(),
        Some(
            "a_bad.rhai: it returned 6 violations; at most 5 are accepted (`plugins.max_violations`)"
        )
    );
    let mut limits = RhaiLimits::default();
    limits.max_output_bytes = 1024;
    let sandbox = Sandbox::new(
        "let s = \"\";\ns.pad(2000, \"x\");\nviolation(\"minor\", s)",
        "",
    );
    let v = sandbox.run(&limits)?.remove(0);
    assert_eq!(v.status, Status::Error, "{v:?}");
    assert_eq!(
        v.message.as_deref(),
        Some(
            "a_bad.rhai: its answer takes 3 KiB; at most 1 KiB are accepted (`plugins.max_output_kb`)"
        )
    );
    Ok(())
}

// ---- run time: throws and nonsense answers ----------------------------------------

#[test]
fn a_thrown_error_names_the_script_line_column_and_message() {
    let sandbox = Sandbox::new("let x = 1;\n  throw \"boom\";", "");
    let message = sandbox.error_message();
    assert!(
        message.starts_with(&format!("{}:2:3: ", sandbox.bad.display())),
        "{message}"
    );
    assert!(message.contains("boom"), "{message}");
}

#[test]
fn a_runtime_type_error_is_an_error_verdict() {
    let sandbox = Sandbox::new(
        "let x = game.home + 1;\nlet y = x.nothing_here();\npass()",
        "",
    );
    let message = sandbox.error_message();
    assert!(message.contains(":2:"), "{message}");
}

fn assert_says_what_a_rule_must_return(message: &str) {
    assert!(
        message.contains("pass()")
            && message.contains("violation(...)")
            && message.contains("array of violations"),
        "{message}"
    );
}

#[test]
fn returning_a_number_is_an_error_saying_what_a_rule_must_return() {
    let message = Sandbox::new("42", "").error_message();
    assert!(
        message.contains("i64") || message.contains("integer"),
        "{message}"
    );
    assert_says_what_a_rule_must_return(&message);
}

#[test]
fn returning_nothing_is_an_error_saying_what_a_rule_must_return() {
    let message = Sandbox::new("let x = 1;", "").error_message();
    assert!(message.contains("()"), "{message}");
    assert_says_what_a_rule_must_return(&message);
    let message = Sandbox::new("()", "").error_message();
    assert_says_what_a_rule_must_return(&message);
}

#[test]
fn an_array_with_a_non_violation_element_is_an_error_naming_the_element() {
    let message = Sandbox::new("[violation(\"minor\", \"fine\"), \"not one\"]", "").error_message();
    assert!(message.contains("element 1"), "{message}");
    assert!(message.contains("not a violation"), "{message}");
}

#[test]
fn an_empty_array_passes() {
    let sandbox = Sandbox::new("[]", "");
    let v = sandbox.run(&RhaiLimits::default()).unwrap().remove(0);
    assert_eq!(v.status, Status::Passed);
    assert_eq!(v.score, 1.0);
}

#[test]
fn a_score_outside_0_to_1_is_an_error() {
    for script in ["verdict([], 1.5)", "verdict([], -0.1)", "verdict([], 2)"] {
        let message = Sandbox::new(script, "").error_message();
        assert!(message.contains("score"), "{script}: {message}");
        assert!(message.contains("0..=1"), "{script}: {message}");
    }
}

#[test]
fn a_nan_score_is_an_error() {
    let message = Sandbox::new("verdict([], 0.0 / 0.0)", "").error_message();
    assert!(message.contains("NaN"), "{message}");
}

#[test]
fn an_explicit_score_in_range_is_kept() {
    let sandbox = Sandbox::new("verdict([violation(\"minor\", \"half\")], 0.25)", "");
    let v = sandbox.run(&RhaiLimits::default()).unwrap().remove(0);
    assert_eq!(v.status, Status::Violated);
    assert_eq!(v.score, 0.25);
}

#[test]
fn a_negative_or_infinite_penalty_is_an_error() {
    for script in [
        "violation(\"minor\", \"x\").penalty(-1)",
        "violation(\"minor\", \"x\").penalty(-0.5)",
        "violation(\"minor\", \"x\").penalty(1.0 / 0.0)",
    ] {
        let message = Sandbox::new(script, "").error_message();
        assert!(message.contains("penalty"), "{script}: {message}");
    }
}

#[test]
fn an_unknown_severity_is_an_error_listing_the_choices() {
    let message = Sandbox::new("violation(\"huge\", \"x\")", "").error_message();
    assert!(message.contains("huge"), "{message}");
    for choice in ["critical", "major", "minor"] {
        assert!(message.contains(choice), "{message}");
    }
}

#[test]
fn an_unknown_entity_kind_is_an_error_listing_the_choices() {
    let message =
        Sandbox::new("violation(\"minor\", \"x\").entity(\"stadium\", \"y\")", "").error_message();
    assert!(
        message.contains("stadium") && message.contains("tv_window"),
        "{message}"
    );
}

const PARAMS: &str = "[params]\nmin_days = 2\nmax_away = 3";

#[test]
fn reading_a_missing_param_is_an_error_naming_the_known_params() {
    let message = Sandbox::new("let x = params.nope;\npass()", PARAMS).error_message();
    assert!(message.contains(":1:"), "{message}");
    assert!(message.contains("nope"), "{message}");
    assert!(
        message.contains("min_days") && message.contains("max_away"),
        "{message}"
    );
}

#[test]
fn indexing_a_missing_param_is_an_error_too() {
    // A misspelt key must not quietly read as `()` (a rule comparing it
    // would then silently pass).
    let message = Sandbox::new("let x = params[\"nope\"];\npass()", PARAMS).error_message();
    assert!(message.contains("nope"), "{message}");
}

#[test]
fn existing_params_read_the_same_both_ways() {
    let sandbox = Sandbox::new(
        "violation(\"minor\", `${params.min_days + params[\"max_away\"]}`)",
        PARAMS,
    );
    let v = sandbox.run(&RhaiLimits::default()).unwrap().remove(0);
    assert_eq!(v.violations[0].message, "5");
}

#[test]
fn reassigning_an_input_never_reaches_the_next_rule_or_game() {
    // Whether the host refuses the assignment (an error) or lets the script
    // shadow its copy, the next rule and the next game see the real values:
    // the good rule's message is built from game, schedule, league and params.
    for name in ["game", "schedule", "league", "params"] {
        let sandbox = Sandbox::new(&format!("{name} = ();\npass()"), "");
        match sandbox.registry(&RhaiLimits::default()) {
            Err(Error::Script { .. }) => {}
            Err(other) => panic!("{name}: unexpected load error {other}"),
            Ok(_) => {
                let v = sandbox.run(&RhaiLimits::default()).unwrap().remove(0);
                assert!(
                    matches!(v.status, Status::Passed | Status::Error),
                    "{name}: {v:?}"
                );
            }
        }
    }
}

#[test]
fn variables_a_script_declares_do_not_leak_into_the_next_call() {
    // If `seen` survived from g1, g2 would report it.
    let sandbox = Sandbox::new("let seen = game.id;\nviolation(\"minor\", seen)", "");
    let league = mini_league(sandbox.tree.path());
    let schedule =
        Arc::new(Schedule::load(&sandbox.tree.path().join("schedule.json"), &league).unwrap());
    let evaluator = Evaluator::new(
        Arc::new(league),
        Arc::new(sandbox.registry(&RhaiLimits::default()).unwrap()),
    );
    let report = evaluator.evaluate(&schedule);
    for id in ["g1", "g2"] {
        assert_eq!(
            verdict(game(&report, id), "a-bad").violations[0].message,
            id
        );
    }
}

#[test]
fn one_rule_failing_does_not_change_another_rules_answer_in_a_shared_evaluator() -> TestResult {
    // The same registry holds a throwing rule, a timing-out rule and a good
    // one; the good one's answers match a registry with it alone.
    let t = TempTree::new();
    t.rule("a-throws", "game", "hard", "", "throw \"no\";");
    t.rule("b-spins", "game", "soft", "timeout_ms = 5", "loop {}");
    t.rule("c-rest", "game", "hard", "", "let p = schedule.previous_game(game.home, game);\nif p == () { pass() } else { violation(\"major\", `${days_between(p.start, game.start)}`) }");
    t.write("schedule.json", SCHEDULE);
    let league = Arc::new(mini_league(t.path()));
    let schedule = Arc::new(Schedule::load(&t.path().join("schedule.json"), &league)?);
    let limits = RhaiLimits::default().with_max_operations(u64::MAX);
    let evaluator = Evaluator::with_limits(
        league,
        Arc::new(Registry::load_with(&[t.path().join("plugins")], &limits)?),
        &limits,
    );
    let report = evaluator.evaluate(&schedule);
    assert_eq!(
        verdict(game(&report, "g1"), "a-throws").status,
        Status::Error
    );
    assert_eq!(
        verdict(game(&report, "g1"), "b-spins").status,
        Status::Timeout
    );
    assert_eq!(
        verdict(game(&report, "g1"), "c-rest").status,
        Status::Passed
    );
    let rest = verdict(game(&report, "g2"), "c-rest");
    assert_eq!(rest.violations[0].message, "7");
    assert!(!game(&report, "g2").valid);
    Ok(())
}
