//! The worker pool: a full queue refuses at once, streams keep a bounded
//! number of games in flight, workers recycle their runtimes, and ordering
//! by cost lets fail-fast skip the expensive checks.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::{Duration, Instant};

use umpire::{Evaluator, Registry, Schedule, Status, exec::ExecutorConfig, exec::Order};

use crate::support::{TempTree, TestResult, mini_league, umpire, verdict};

/// `n` games on consecutive days.
fn schedule_json(n: u32) -> String {
    let games: Vec<String> = (1..=n)
        .map(|i| {
            let (home, away) = if i % 2 == 0 {
                ("NYR", "LAS")
            } else {
                ("CHW", "PHX")
            };
            let day = jiff::civil::date(2026, 1, 1)
                .checked_add(jiff::Span::new().days(i64::from(i)))
                .expect("a date");
            format!(
                r#"{{"id": "G{i:03}", "home": "{home}", "away": "{away}", "start": "{day}T19:00"}}"#
            )
        })
        .collect();
    format!(r#"{{"games": [{}]}}"#, games.join(","))
}

fn pool(
    t: &TempTree,
    games: u32,
    config: &ExecutorConfig,
) -> Result<(Evaluator, Arc<Schedule>), umpire::Error> {
    let league = mini_league(t.path());
    let path = t.write("schedule.json", &schedule_json(games));
    let schedule = Schedule::load(&path, &league)?;
    let registry = Registry::load(&[t.path().join("plugins")])?;
    let evaluator = Evaluator::new(Arc::new(league), Arc::new(registry)).with_executor(config);
    Ok((evaluator, Arc::new(schedule)))
}

/// The hostile WebAssembly loop as a soft rule with a deadline of `ms`.
fn stuck_rule(t: &TempTree, ms: u32) -> Result<(), umpire::Error> {
    t.stuck("plugins", ms)?;
    Ok(())
}

#[test]
fn a_full_queue_answers_overloaded_at_once_and_the_accepted_work_completes() -> TestResult {
    let t = TempTree::new();
    stuck_rule(&t, 300)?;
    let config = ExecutorConfig {
        workers: 1,
        queue_chunks: 1,
        // Every batch goes through the queue, none runs on its caller.
        inline_games: 0,
        ..ExecutorConfig::default()
    };
    let (evaluator, schedule) = pool(&t, 2, &config)?;
    std::thread::scope(|s| -> TestResult {
        // One batch runs on the only worker, a second waits in the queue.
        let running = s.spawn(|| evaluator.evaluate(&schedule));
        let until = Instant::now() + Duration::from_secs(10);
        while evaluator.pool_stats().running == 0 {
            assert!(Instant::now() < until, "the first batch never started");
            std::thread::sleep(Duration::from_millis(2));
        }
        let waiting = s.spawn(|| evaluator.evaluate(&schedule));
        while evaluator.pool_stats().queued == 0 {
            assert!(Instant::now() < until, "the second batch never queued");
            std::thread::sleep(Duration::from_millis(2));
        }
        let asked = Instant::now();
        let refused = evaluator
            .try_evaluate(&schedule)
            .expect_err("the queue is full");
        assert!(
            asked.elapsed() < Duration::from_millis(200),
            "{:?}",
            asked.elapsed()
        );
        assert_eq!((refused.queued, refused.capacity), (1, 1));
        assert!(
            refused
                .to_string()
                .starts_with("overloaded: the executor's queue is full")
        );
        assert_eq!(evaluator.pool_stats().overloaded, 1);

        // Both accepted batches are ruled on in full.
        for batch in [running, waiting] {
            let report = batch
                .join()
                .map_err(|_| "an accepted evaluation panicked")?;
            assert_eq!(report.games.len(), 2);
            for g in &report.games {
                assert_eq!(verdict(g, "infinite-loop").status, Status::Timeout);
            }
        }
        // With room again, the same request goes through.
        assert_eq!(evaluator.try_evaluate(&schedule)?.games.len(), 2);
        Ok(())
    })
}

#[test]
fn a_stream_delivers_every_game_once_with_a_bounded_number_in_flight() -> TestResult {
    let t = TempTree::new();
    t.rule(
        "busy",
        "game",
        "soft",
        "",
        "let n = 0; for i in 0..2000 { n += i; } if game.home == \"NYR\" { violation(\"minor\", game.id) } else { pass() }",
    );
    let config = ExecutorConfig {
        workers: 2,
        stream_in_flight: 4,
        ..ExecutorConfig::default()
    };
    let (evaluator, schedule) = pool(&t, 60, &config)?;
    let mut seen = Vec::new();
    let mut most_queued = 0;
    evaluator.stream(&schedule, schedule.games().iter().cloned(), &mut |report| {
        most_queued = most_queued.max(evaluator.pool_stats().queued);
        seen.push(report);
    })?;
    assert!(most_queued <= 4, "{most_queued} chunks in flight");
    let ids: BTreeSet<_> = seen.iter().map(|r| r.game.to_string()).collect();
    assert_eq!((seen.len(), ids.len()), (60, 60));
    // The same reports as a whole evaluation, in whatever order they came.
    let whole = evaluator.evaluate(&schedule);
    seen.sort_by(|a, b| a.game.cmp(&b.game));
    let strip = |r: &umpire::GameReport| {
        let mut r = r.clone();
        r.verdicts.iter_mut().for_each(|v| v.elapsed_us = 0);
        r
    };
    let streamed: Vec<_> = seen.iter().map(strip).collect();
    let evaluated: Vec<_> = whole.games.iter().map(strip).collect();
    assert_eq!(streamed, evaluated);
    Ok(())
}

/// The pool's figures once the worker has booked its last task (it does so
/// just after delivering the reports).
fn settled(evaluator: &Evaluator) -> umpire::exec::PoolStats {
    let until = Instant::now() + Duration::from_secs(10);
    loop {
        let stats = evaluator.pool_stats();
        if stats.queued + stats.running == 0 || Instant::now() > until {
            return stats;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
}

#[test]
fn workers_recycle_their_runtimes_after_a_budget_of_calls_and_after_a_trap() -> TestResult {
    let t = TempTree::new();
    t.rule("ok", "game", "soft", "", "pass()");
    let config = ExecutorConfig {
        workers: 1,
        recycle_after: 10,
        ..ExecutorConfig::default()
    };
    let (evaluator, schedule) = pool(&t, 40, &config)?;
    let report = evaluator.evaluate(&schedule);
    assert_eq!(report.summary.errors, 0);
    // Chunks of 10 games, one call each: a new runtime after every chunk.
    let stats = settled(&evaluator);
    assert_eq!((stats.completed, stats.recycled), (4, 4), "{stats:?}");

    let t = TempTree::new();
    stuck_rule(&t, 20)?;
    let config = ExecutorConfig {
        workers: 1,
        recycle_after: 0,
        ..ExecutorConfig::default()
    };
    let (evaluator, schedule) = pool(&t, 4, &config)?;
    evaluator.evaluate(&schedule);
    let stats = settled(&evaluator);
    assert_eq!(
        stats.recycled, stats.completed,
        "a trap in every chunk: {stats:?}"
    );
    assert!(stats.recycled >= 1);
    Ok(())
}

/// Pins the re-layering's first item: a WebAssembly plugin's own error
/// (the `Err` arm of its answer) used to mark the runtime tainted, so the
/// worker threw away the runtime, and with it the reused instance, after
/// every chunk that met one.
#[test]
fn a_plugin_that_reports_its_own_error_keeps_its_worker_and_its_instance() -> TestResult {
    let t = TempTree::new();
    t.hostile(
        "plugins",
        "stateful",
        "stateful",
        "timeout_ms = 5000\n[params]\nmode = \"error\"\n[wasm]\nisolation = \"reuse\"",
    )?;
    let config = ExecutorConfig {
        workers: 1,
        recycle_after: 0,
        ..ExecutorConfig::default()
    };
    let (evaluator, schedule) = pool(&t, 4, &config)?;
    // The reused instance counts its calls: the second evaluation goes on
    // counting where the first stopped only if it met the same instance.
    let errors = |report: &umpire::Report| -> BTreeSet<String> {
        report
            .games
            .iter()
            .map(|g| {
                let v = verdict(g, "stateful");
                assert_eq!(v.status, Status::Error, "{v:?}");
                let message = v.message.as_deref().unwrap_or_default();
                let (_, said) = message
                    .split_once("the plugin reported an error: ")
                    .unwrap_or_else(|| panic!("its own error: {message}"));
                said.to_owned()
            })
            .collect()
    };
    let calls =
        |from: u32| -> BTreeSet<String> { (from..from + 4).map(|n| format!("call {n}")).collect() };
    assert_eq!(errors(&evaluator.evaluate(&schedule)), calls(1));
    assert_eq!(errors(&evaluator.evaluate(&schedule)), calls(5));
    let stats = settled(&evaluator);
    assert_eq!(stats.recycled, 0, "{stats:?}");
    assert!(stats.completed >= 2, "{stats:?}");

    // A trap still has the worker replace its runtime.
    let t = TempTree::new();
    t.hostile("plugins", "panic", "panic", "timeout_ms = 5000")?;
    let (evaluator, schedule) = pool(&t, 4, &config)?;
    evaluator.evaluate(&schedule);
    let stats = settled(&evaluator);
    assert_eq!(
        stats.recycled, stats.completed,
        "a trap in every chunk: {stats:?}"
    );
    assert!(stats.recycled >= 1);
    Ok(())
}

/// Two hard rules: an expensive one that passes every game, first by id,
/// and a cheap one that rejects every game.
fn cost_rules(t: &TempTree) {
    t.rule(
        "a-expensive",
        "game",
        "hard",
        "",
        "let n = 0; for i in 0..20000 { n += i; } pass()",
    );
    t.rule(
        "b-cheap",
        "game",
        "hard",
        "",
        "violation(\"critical\", `${game.id} is rejected`)",
    );
}

#[test]
fn ordering_by_cost_lets_fail_fast_skip_the_expensive_check() -> TestResult {
    let t = TempTree::new();
    cost_rules(&t);
    let run = |order: Order| -> Result<umpire::Report, umpire::Error> {
        let config = ExecutorConfig {
            workers: 1,
            fail_fast: true,
            order,
            ..ExecutorConfig::default()
        };
        let (evaluator, schedule) = pool(&t, 40, &config)?;
        Ok(evaluator.evaluate(&schedule))
    };
    let skipped = |r: &umpire::Report| {
        r.games
            .iter()
            .filter(|g| verdict(g, "a-expensive").status == Status::Skipped)
            .count()
    };
    let by_dependency = run(Order::Dependency)?;
    assert_eq!(skipped(&by_dependency), 0);
    let by_cost = run(Order::Cost)?;
    // The first game measures both; the rest start with the cheap check.
    assert!(skipped(&by_cost) >= 38, "{} skipped", skipped(&by_cost));
    let g = &by_cost.games[39];
    assert_eq!(
        verdict(g, "a-expensive").message.as_deref(),
        Some("skipped: fail-fast stopped this game at the hard violation of `b-cheap`")
    );
    // Verdicts stay in plan order whatever order they ran in.
    let ids: Vec<&str> = g.verdicts.iter().map(|v| &*v.constraint).collect();
    assert_eq!(ids, ["a-expensive", "b-cheap"]);
    // Either way every game is invalid.
    assert_eq!(by_cost.summary.valid, by_dependency.summary.valid);
    Ok(())
}

#[test]
fn eval_takes_the_order_from_the_command_line() -> TestResult {
    let t = TempTree::new();
    t.write("league.toml", crate::support::MINI_LEAGUE);
    t.write("schedule.json", &schedule_json(8));
    cost_rules(&t);
    let out = umpire()
        .args([
            "eval",
            "--format",
            "json",
            "--workers",
            "1",
            "--fail-fast",
            "--order",
            "cost",
            "--league",
        ])
        .arg(t.path())
        .output()?;
    let report: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let last = &report["games"][7]["verdicts"][0];
    assert_eq!(last["constraint"], "a-expensive");
    assert_eq!(last["status"], "skipped", "{last}");
    Ok(())
}

#[test]
fn an_evaluator_can_be_shared_across_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Evaluator>();
}

#[test]
fn a_small_evaluation_runs_on_its_callers_thread_unless_turned_off() -> TestResult {
    let t = TempTree::new();
    t.rule("ok", "game", "soft", "", "pass()");
    t.rule("whole", "schedule", "soft", "", "pass()");
    let config = |inline_games| ExecutorConfig {
        workers: 1,
        inline_games,
        ..ExecutorConfig::default()
    };
    // Eight games and the schedule-scoped rule: two tasks, both on the
    // caller, with the same report as through the worker.
    let (inline, schedule) = pool(&t, 8, &config(16))?;
    let (queued, _) = pool(&t, 8, &config(0))?;
    let a = inline.evaluate(&schedule);
    let b = queued.evaluate(&schedule);
    assert_eq!(a.games.len(), 8);
    assert_eq!(crate::support::comparable(a), crate::support::comparable(b));
    let stats = settled(&inline);
    assert_eq!((stats.completed, stats.inline), (2, 2), "{stats:?}");
    let stats = settled(&queued);
    assert_eq!(stats.inline, 0, "{stats:?}");
    assert!(stats.completed >= 2, "{stats:?}");

    // More games than `inline_games`: the worker takes them.
    let (evaluator, schedule) = pool(&t, 40, &config(16))?;
    evaluator.evaluate(&schedule);
    let stats = settled(&evaluator);
    assert_eq!(stats.inline, 1, "only the schedule scope: {stats:?}");
    assert!(stats.completed > 1, "{stats:?}");
    Ok(())
}
