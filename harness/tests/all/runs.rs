//! Whole runs: spawn and target, every request kind, reports, thresholds,
//! baselines, a spike that must be shed and recovered from, and the exit
//! codes for bad configuration and an unreachable target.

use predicates::str::contains;

use crate::support::{Server, TestResult, check, harness, harness_file, report, root};

const MIX_ALL: &str = "mix = { evaluate = 6, evaluate_inline = 2, batch = 1, stream = 1, stats = 1, moves = 1, accept = 1 }";

#[test]
fn a_spawned_run_answers_every_kind_writes_three_reports_and_stops_the_server() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = harness_file(
        dir.path(),
        &format!(
            "[profiles.quick]\ndescription = \"test\"\nplan = \"3,1s;3,4s;0,0s\"\n{MIX_ALL}\nthresholds = {{ p95_ms = 5000.0, min_rps = 1.0 }}\n"
        ),
    );
    let out = dir.path().join("out");
    harness()
        .arg("--config")
        .arg(&file)
        .args(["--profile", "quick", "--spawn", "configs/default.toml"])
        .arg("--out-dir")
        .arg(&out)
        .assert()
        .success()
        .stdout(contains("passed: profile `quick`"));
    let r = report(&out);
    assert_eq!(r["passed"], true);
    assert_eq!(r["spawned"], true);
    let answered = r["totals"]["answered"].as_u64().unwrap_or(0);
    assert!(answered > 20, "only {answered} answered");
    assert_eq!(r["totals"]["failed"], 0);
    assert_eq!(r["lost"], 0);
    assert!(
        r["moves_scored_per_s"].as_f64() > Some(0.0),
        "{}",
        r["moves_scored_per_s"]
    );
    for kind in [
        "evaluate",
        "evaluate_inline",
        "batch",
        "stream",
        "stats",
        "moves",
        "accept",
    ] {
        let n = r["kinds"][kind]["answered"].as_u64().unwrap_or(0);
        assert!(n > 0, "no {kind} request answered: {:#}", r["kinds"]);
    }
    // Goose counted the same requests (but for those the plan's end cut short).
    let goose = r["goose_requests"].as_i64().unwrap_or(0);
    let ours = r["totals"]["requests"].as_i64().unwrap_or(0);
    assert!((goose - ours).abs() <= 3, "goose {goose}, harness {ours}");
    // The server drained and exited 0 on SIGTERM.
    assert_eq!(r["server_exit"], "exit status: 0");
    // The server's memory was sampled.
    assert!(r["memory"]["samples"].as_u64().unwrap_or(0) >= 2);
    assert!(r["timeline"].as_array().is_some_and(|t| t.len() >= 4));
    let md = std::fs::read_to_string(out.join("report.md"))?;
    assert!(md.starts_with("# PASS `quick`"), "{md}");
    assert!(md.contains("| ✓ | lost requests | = 0 | 0 |"), "{md}");
    let html = std::fs::read_to_string(out.join("report.html"))?;
    assert!(html.contains("<svg") && html.contains("lost requests"));
    // The title is plain text.
    assert!(
        html.contains("<title>PASS quick against http://127.0.0.1:"),
        "{html}"
    );
    assert!(!html.contains('`'), "Markdown in the HTML page");
    // Every row of every table has a cell per heading.
    for table in html.split("<table>").skip(1) {
        let table = table.split("</table>").next().unwrap_or_default();
        let mut rows = table.split("<tr>").skip(1);
        let heads = rows.next().unwrap_or_default().matches("<th>").count();
        assert!(heads > 0, "{table}");
        for row in rows {
            assert_eq!(row.matches("<td").count(), heads, "{row}");
        }
    }
    assert!(html.contains("<th>server MB</th>"));
    // The chart: axes with units, the users, the SLO's p95.
    for part in [
        ">req/s</text>",
        ">ms</text>",
        ">time since the start (s)</text>",
        "class=\"slo\"",
        "class=\"users\"",
        "class=\"rps\"",
        "class=\"p95\"",
    ] {
        assert!(html.contains(part), "no {part} in the chart");
    }
    // Goose's own report needs a network for its charts: not pointed to.
    assert!(!html.contains("goose/report.html"));
    for goose in ["report.html", "report.md", "report.json"] {
        assert!(
            out.join("goose").join(goose).is_file(),
            "goose/{goose} missing"
        );
    }
    Ok(())
}

/// A failed request is counted as failed, as Goose counts it: a server
/// that wants a write token answers the unauthenticated PATCHes 401.
#[test]
fn failed_requests_are_counted_and_fail_the_run() -> TestResult {
    let dir = tempfile::tempdir()?;
    let file = harness_file(
        dir.path(),
        "[profiles.writes]\ndescription = \"test\"\nplan = \"2,1s;2,3s;0,0s\"\n\
         mix = { evaluate = 1, accept = 1 }\nthresholds = { p95_ms = 5000.0 }\n\
         spawn_env = { UMPIRE_SERVER__WRITE_TOKEN = \"a-write-token-of-twenty\" }\n",
    );
    let out = dir.path().join("out");
    harness()
        .arg("--config")
        .arg(&file)
        .args(["--profile", "writes", "--spawn", "configs/default.toml"])
        .arg("--out-dir")
        .arg(&out)
        .assert()
        .code(1);
    let r = report(&out);
    let failed = r["kinds"]["accept"]["failed"].as_u64().unwrap_or(0);
    assert!(failed > 0, "{:#}", r["kinds"]);
    assert_eq!(r["kinds"]["accept"]["answered"], 0);
    let goose = r["goose_requests"].as_i64().unwrap_or(0);
    let ours = r["totals"]["requests"].as_i64().unwrap_or(0);
    assert!((goose - ours).abs() <= 2, "goose {goose}, harness {ours}");
    Ok(())
}

#[test]
fn thresholds_and_baselines_decide_the_exit_code() -> TestResult {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir()?;
    let file = harness_file(
        dir.path(),
        "[regression]\np95_pct = 10.0\np99_pct = 10.0\nrps_pct = 10.0\nmin_delta_ms = 0.0\n\n\
             [profiles.easy]\nplan = \"2,1s;2,3s;0,0s\"\nmix = { evaluate = 1 }\nthresholds = { p95_ms = 5000.0 }\n\n\
             [profiles.strict]\nplan = \"2,1s;2,3s;0,0s\"\nmix = { evaluate = 1 }\nthresholds = { p95_ms = 0.001, min_rps = 1000000000.0 }\n",
    );
    let run = |profile: &str, out: &std::path::Path| {
        let mut cmd = harness();
        cmd.arg("--config")
            .arg(&file)
            .args(["--profile", profile, "--target", &server.url])
            .arg("--out-dir")
            .arg(out);
        cmd
    };
    let first = dir.path().join("first");
    run("easy", &first).assert().success();
    let base = report(&first);
    assert_eq!(base["spawned"], false);
    assert!(base["server_exit"].is_null());

    // A threshold that cannot hold fails the run with exit 1, and says so.
    let strict = dir.path().join("strict");
    run("strict", &strict)
        .assert()
        .code(1)
        .stdout(contains("FAIL p95"))
        .stdout(contains("FAIL throughput"));
    let r = report(&strict);
    assert_eq!(r["passed"], false);
    assert_eq!(check(&r, "p95")["pass"], false);
    assert_eq!(check(&r, "lost requests")["pass"], true);

    // A baseline far faster than anything this machine does: a regression.
    let mut fast = base.clone();
    fast["totals"]["p95_ms"] = 0.001.into();
    fast["totals"]["p99_ms"] = 0.001.into();
    fast["totals"]["rps"] = 1.0e9.into();
    let fast_file = dir.path().join("fast.json");
    std::fs::write(&fast_file, fast.to_string())?;
    let against = dir.path().join("against");
    run("easy", &against)
        .arg("--baseline")
        .arg(&fast_file)
        .assert()
        .code(1)
        .stdout(contains("FAIL p95 against the baseline"));
    let r = report(&against);
    assert_eq!(check(&r, "throughput against the baseline")["pass"], false);
    assert_eq!(
        check(&r, "p95")["pass"],
        true,
        "the run itself met its thresholds"
    );

    // A baseline of an impossibly slow run: no regression.
    let mut slow = base;
    slow["totals"]["p95_ms"] = 60000.0.into();
    slow["totals"]["p99_ms"] = 60000.0.into();
    slow["totals"]["rps"] = 0.5.into();
    let slow_file = dir.path().join("slow.json");
    std::fs::write(&slow_file, slow.to_string())?;
    run("easy", &dir.path().join("again"))
        .arg("--baseline")
        .arg(&slow_file)
        .assert()
        .success();

    // A baseline that is not a report is a configuration error, before any load.
    let junk = dir.path().join("junk.json");
    std::fs::write(&junk, "{\"totals\": 3}")?;
    run("easy", &dir.path().join("junk"))
        .arg("--baseline")
        .arg(&junk)
        .assert()
        .code(2)
        .stderr(contains("not a harness report.json"));
    Ok(())
}

#[test]
fn a_spike_past_the_concurrency_limit_is_shed_recovered_from_and_loses_nothing() -> TestResult {
    // The server takes 4 requests at once; the burst brings 60 users.
    let server = Server::start(&[("UMPIRE_SERVER__CONCURRENCY", "4")]);
    let dir = tempfile::tempdir()?;
    let file = harness_file(
        dir.path(),
        "[profiles.burst]\nshape = \"spike\"\nplan = \"2,1s;2,3s;60,1s;60,3s;2,1s;2,8s;0,0s\"\n\
         mix = { evaluate = 4, batch = 1 }\n\
         thresholds = { error_rate = 0.0, max_shed_rate = 0.99, max_recovery_s = 6.0 }\n\
         slo = { p95_ms = 2000.0, error_rate = 0.0, hold_s = 2 }\n",
    );
    let out = dir.path().join("out");
    harness()
        .arg("--config")
        .arg(&file)
        .args(["--profile", "burst", "--target", &server.url])
        .arg("--out-dir")
        .arg(&out)
        .assert()
        .success();
    let r = report(&out);
    let shed = r["totals"]["shed"].as_u64().unwrap_or(0);
    assert!(shed > 0, "nothing was shed: {:#}", r["totals"]);
    assert_eq!(r["lost"], 0);
    assert_eq!(r["totals"]["failed"], 0);
    assert_eq!(r["peak_end_s"], 8);
    let recovery = r["recovery_s"].as_u64().expect("the run recovered");
    assert!(recovery <= 6);
    // Shed requests fall in the burst, not before it.
    let timeline = r["timeline"].as_array().expect("timeline");
    let before: u64 = timeline[..3]
        .iter()
        .map(|s| s["shed"].as_u64().unwrap_or(0))
        .sum();
    assert_eq!(before, 0, "shed before the burst: {timeline:#?}");
    Ok(())
}

#[test]
fn a_stress_run_names_the_load_at_which_the_slo_broke() -> TestResult {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir()?;
    // An SLO no request can meet breaks at once; one every request meets never does.
    let file = harness_file(
        dir.path(),
        "[profiles.tight]\nshape = \"stress\"\nplan = \"2,1s;2,2s;4,1s;4,2s;0,0s\"\nmix = { evaluate = 1 }\n\
         slo = { p95_ms = 0.000001, error_rate = 0.0, hold_s = 2 }\nthresholds = { min_break_rps = 1.0 }\n\n\
         [profiles.loose]\nshape = \"stress\"\nplan = \"2,1s;2,2s;4,1s;4,2s;0,0s\"\nmix = { evaluate = 1 }\n\
         slo = { p95_ms = 60000.0, error_rate = 1.0, hold_s = 2 }\n",
    );
    let tight = dir.path().join("tight");
    harness()
        .arg("--config")
        .arg(&file)
        .args(["--profile", "tight", "--target", &server.url])
        .arg("--out-dir")
        .arg(&tight)
        .assert()
        .code(1)
        .stdout(contains("FAIL SLO held up to"));
    let r = report(&tight);
    assert_eq!(r["broke_at_s"], 2);
    assert!(r["broke_at_users"].as_f64().is_some());

    let loose = dir.path().join("loose");
    harness()
        .arg("--config")
        .arg(&file)
        .args(["--profile", "loose", "--target", &server.url])
        .arg("--out-dir")
        .arg(&loose)
        .assert()
        .success();
    let r = report(&loose);
    assert!(r["broke_at_s"].is_null(), "{r:#}");
    assert!(r["held_rps"].as_u64().unwrap_or(0) > 0);
    Ok(())
}

#[test]
fn an_endurance_run_measures_drift_over_its_plateau() -> TestResult {
    let server = Server::start(&[]);
    let dir = tempfile::tempdir()?;
    let file = harness_file(
        dir.path(),
        "[profiles.soak]\nshape = \"endurance\"\nplan = \"2,1s;2,30m;0,0s\"\nmix = { evaluate = 1 }\n\
         warmup = \"4s\"\nthresholds = { max_p95_drift_pct = 100000.0, max_rss_drift_pct = 100.0 }\n",
    );
    let out = dir.path().join("out");
    // --duration shortens the 30-minute plateau to 10 s.
    harness()
        .arg("--config")
        .arg(&file)
        .args([
            "--profile",
            "soak",
            "--duration",
            "10s",
            "--target",
            &server.url,
        ])
        .arg("--out-dir")
        .arg(&out)
        .assert()
        .success();
    let r = report(&out);
    assert_eq!(r["plan"], "2,1s;2,10s;0,0s");
    // The plateau starts at 1 s; its first 4 s are the warm-up.
    assert_eq!(r["judged_from_s"], 5, "{r:#}");
    assert!(r["rss_slope_mb_per_h"].as_f64().is_some(), "{r:#}");
    assert!(r["p95_first_ms"].as_f64().is_some_and(|x| x > 0.0));
    assert!(r["p95_last_ms"].as_f64().is_some_and(|x| x > 0.0));
    assert!(r["p95_drift_pct"].as_f64().is_some());
    // Memory came from the target's /v1/stats, as it was not spawned.
    assert!(r["rss_first_mb"].as_f64().is_some_and(|x| x > 1.0), "{r:#}");
    assert!(r["rss_drift_pct"].as_f64().is_some());
    assert_eq!(check(&r, "memory drift")["pass"], true);
    Ok(())
}

#[test]
fn an_unreachable_target_exits_3() -> TestResult {
    // A port nobody listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port();
    harness()
        .args([
            "--profile",
            "smoke",
            "--target",
            &format!("http://127.0.0.1:{port}"),
        ])
        .assert()
        .code(3)
        .stderr(contains("does not answer"));
    // A spawned server that cannot start: a config it refuses.
    let dir = tempfile::tempdir()?;
    let bad = dir.path().join("bad.toml");
    std::fs::write(&bad, "[server]\nbogus = 1\n")?;
    harness()
        .args(["--profile", "smoke", "--spawn"])
        .arg(&bad)
        .arg("--out-dir")
        .arg(dir.path().join("out"))
        .assert()
        .code(3)
        .stderr(contains("server.log"));
    Ok(())
}

#[test]
fn configuration_errors_exit_2_and_say_what_and_where() -> TestResult {
    let dir = tempfile::tempdir()?;
    harness()
        .args(["--profile", "nosuch", "--target", "http://127.0.0.1:9"])
        .assert()
        .code(2)
        .stderr(contains("no profile `nosuch`"))
        .stderr(contains("smoke"));
    let misspelt = harness_file(
        dir.path(),
        "[profiles.x]\nplan = \"1,1s\"\nmix = { evaluate = 1 }\nthresholds = { p95ms = 3.0 }\n",
    );
    harness()
        .arg("--config")
        .arg(&misspelt)
        .args(["--profile", "x", "--target", "http://127.0.0.1:9"])
        .assert()
        .code(2)
        .stderr(contains("harness.toml"))
        .stderr(contains("p95ms"));
    let bad_plan = harness_file(
        dir.path(),
        "[profiles.x]\nplan = \"4,10s;4,ten\"\nmix = { evaluate = 1 }\n",
    );
    harness()
        .arg("--config")
        .arg(&bad_plan)
        .args(["--profile", "x", "--target", "http://127.0.0.1:9"])
        .assert()
        .code(2)
        .stderr(contains("profile `x`: plan: step 2"));
    let no_mix = harness_file(dir.path(), "[profiles.x]\nplan = \"4,10s\"\nmix = {}\n");
    harness()
        .arg("--config")
        .arg(&no_mix)
        .args(["--profile", "x", "--target", "http://127.0.0.1:9"])
        .assert()
        .code(2)
        .stderr(contains("mix: give at least one"));
    // A warm-up longer than half the plateau that --duration leaves.
    let soak = harness_file(
        dir.path(),
        "[profiles.soak]\nshape = \"endurance\"\nplan = \"2,1s;2,30m;0,0s\"\nmix = { evaluate = 1 }\nwarmup = \"3m\"\n",
    );
    harness()
        .arg("--config")
        .arg(&soak)
        .args(["--profile", "soak", "--duration", "5m"])
        .args(["--target", "http://127.0.0.1:9"])
        .assert()
        .code(2)
        .stderr(contains(
            "profile `soak`: warmup: 180s is more than half of the 300s plateau",
        ));
    harness()
        .args([
            "--profile",
            "smoke",
            "--duration",
            "ten",
            "--target",
            "http://127.0.0.1:9",
        ])
        .assert()
        .code(2)
        .stderr(contains("--duration"));
    harness()
        .args(["--profile", "smoke"])
        .assert()
        .code(2)
        .stderr(contains("--target"));
    harness()
        .args(["--config", "nowhere.toml", "--list"])
        .assert()
        .code(2)
        .stderr(contains("cannot read nowhere.toml"));
    Ok(())
}

#[test]
fn the_shipped_profiles_parse_and_list() -> TestResult {
    let listed = harness().arg("--list").assert().success();
    let out = String::from_utf8(listed.get_output().stdout.clone())?;
    for profile in [
        "smoke",
        "normal",
        "stress",
        "spike",
        "endurance",
        "mixed",
        "throughput",
    ] {
        assert!(
            out.lines().any(|l| l.starts_with(profile)),
            "{profile} missing:\n{out}"
        );
    }
    // The smoke profile fits CI's minute, the soak is at least 30 minutes.
    let smoke = out
        .lines()
        .find(|l| l.starts_with("smoke"))
        .unwrap_or_default();
    let secs: u64 = smoke
        .split_whitespace()
        .nth(2)
        .and_then(|s| s.trim_end_matches('s').parse().ok())
        .unwrap_or(999);
    assert!(secs <= 60, "{smoke}");
    let soak = out
        .lines()
        .find(|l| l.starts_with("endurance"))
        .unwrap_or_default();
    let secs: u64 = soak
        .split_whitespace()
        .nth(2)
        .and_then(|s| s.trim_end_matches('s').parse().ok())
        .unwrap_or(0);
    assert!(secs >= 1800, "{soak}");
    assert!(root().join("configs/harness.toml").is_file());
    Ok(())
}
