//! The `umpire` binary's contract: exit codes (0 no hard violation, 1 hard
//! violations, 2 usage or input error), where messages go, and the options
//! of `eval`.

use predicates::prelude::*;
use serde_json::Value;

use crate::support::{TempTree, TestResult, fixture, manifest, umpire, without_timings};

fn clean_league() -> String {
    fixture("leagues/clean").display().to_string()
}

fn stderr_of(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn eval_exits_0_on_a_season_without_violations() -> TestResult {
    let out = umpire()
        .args(["eval", "--league", &clean_league()])
        .output()?;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr_of(&out));
    let text = String::from_utf8(out.stdout)?;
    assert!(text.contains("valid: no hard violation"), "{text}");
    assert!(text.contains("summary: 6 games · 6 constraints"), "{text}");
    // Nothing to report: no diagnostics at all.
    assert!(!text.contains("-->"), "{text}");
    Ok(())
}

#[test]
fn eval_json_on_a_clean_season_is_valid_with_every_rule_passing() -> TestResult {
    let out = umpire()
        .args(["eval", "--league", &clean_league(), "--format", "json"])
        .output()?;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr_of(&out));
    let report: Value = serde_json::from_slice(&out.stdout)?;
    let s = &report["summary"];
    assert_eq!(s["valid"], true);
    assert_eq!(s["games"], 6);
    assert_eq!(s["hard_violations"], 0);
    assert_eq!(s["soft_violations"], 0);
    assert_eq!(s["preference_violations"], 0);
    assert_eq!(s["errors"], 0);
    assert_eq!(s["skipped"], 0);
    assert_eq!(s["score"], 1.0);
    for g in report["games"].as_array().ok_or("games")? {
        assert_eq!(g["valid"], true);
        for v in g["verdicts"].as_array().ok_or("verdicts")? {
            assert_eq!(v["status"], "passed", "{v}");
        }
    }
    Ok(())
}

#[test]
fn soft_violations_alone_still_exit_0() -> TestResult {
    let t = TempTree::new();
    t.write(
        "league.toml",
        &crate::support::MINI_LEAGUE.replace("plugins = [\"plugins\"]", "plugins = [\"rules\"]"),
    );
    t.write(
        "schedule.json",
        r#"{"games": [{"id": "g1", "home": "NYR", "away": "LAS", "start": "2026-03-07T19:00"}]}"#,
    );
    t.write("rules/nag.rhai", "violation(\"minor\", \"always\")");
    t.write(
        "rules/nag.toml",
        &manifest("nag", "nag.rhai", "game", "soft", ""),
    );
    let out = umpire()
        .args(["eval", "--format", "json", "--league"])
        .arg(t.path())
        .output()?;
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr_of(&out));
    let report: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["summary"]["soft_violations"], 1);
    assert_eq!(report["summary"]["valid"], true);
    Ok(())
}

#[test]
fn an_input_error_under_format_json_is_json_naming_the_file_and_the_field() -> TestResult {
    let t = TempTree::new();
    let league = crate::support::MINI_LEAGUE.replacen("America/New_York", "America/New_Yrok", 1);
    assert_ne!(
        league,
        crate::support::MINI_LEAGUE,
        "the mini league has that zone"
    );
    t.write("league.toml", &league);
    t.write("schedule.json", r#"{"games": []}"#);
    let out = umpire()
        .args(["eval", "--format", "json", "--league"])
        .arg(t.path())
        .output()?;
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr_of(&out));
    let answer: Value = serde_json::from_slice(&out.stdout)?;
    let error = &answer["error"];
    assert!(
        error["file"]
            .as_str()
            .is_some_and(|f| f.ends_with("league.toml")),
        "{answer}"
    );
    assert!(
        error["at"]
            .as_str()
            .is_some_and(|a| a.ends_with(".timezone")),
        "{answer}"
    );
    // The line and column of the zone's value in league.toml.
    let (line, column) = (error["line"].as_u64(), error["column"].as_u64());
    let text_line = league
        .lines()
        .nth(line.ok_or("a line")? as usize - 1)
        .ok_or("the line is in the file")?;
    assert!(text_line.contains("America/New_Yrok"), "{text_line}");
    assert_eq!(
        text_line.find('"').map(|c| c as u64 + 1),
        column,
        "{text_line}"
    );
    let message = error["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("did you mean `America/New_York`?"),
        "{message}"
    );
    // The text stays on stderr for a person.
    assert!(stderr_of(&out).contains("America/New_Yrok"));

    // A schedule with two bad games: both, each on its own line.
    t.write("league.toml", crate::support::MINI_LEAGUE);
    t.write(
        "schedule.json",
        r#"{"games": [
  {"id": "g1", "home": "NYX", "away": "LAS", "start": "2026-03-07T19:00"},
  {"id": "g2", "home": "NYR", "away": "LAS", "start": "2026-03-08T19:00"},
  {"id": "g3", "home": "NYR", "away": "LAZ", "start": "2026-03-09T19:00"}
]}"#,
    );
    let out = umpire()
        .args(["eval", "--format", "json", "--league"])
        .arg(t.path())
        .output()?;
    assert_eq!(out.status.code(), Some(2), "stderr: {}", stderr_of(&out));
    let answer: Value = serde_json::from_slice(&out.stdout)?;
    let errors = answer["error"]["errors"].as_array().ok_or("errors")?;
    assert_eq!(errors.len(), 2, "{answer}");
    assert_eq!(answer["error"]["line"], 2, "{answer}");
    let stderr = stderr_of(&out);
    let lines: Vec<&str> = stderr
        .lines()
        .filter(|l| l.starts_with("error: "))
        .collect();
    assert_eq!(lines.len(), 2, "{stderr}");
    assert!(
        lines[0].contains("schedule.json:2:") && lines[0].contains("`NYX`"),
        "{stderr}"
    );
    assert!(
        lines[1].contains("schedule.json:4:") && lines[1].contains("`LAZ`"),
        "{stderr}"
    );
    Ok(())
}

#[test]
fn schedule_option_overrides_the_leagues_schedule_and_exits_1_on_hard_violations() -> TestResult {
    let league = fixture("leagues/clean");
    let out = umpire()
        .args(["eval", "--format", "json", "--league"])
        .arg(&league)
        .arg("--schedule")
        .arg(league.join("schedule-faulty.json"))
        .arg("--plugins")
        .arg(crate::support::wasm_plugins())
        .output()?;
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr_of(&out));
    let report: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["summary"]["games"], 2);
    // R1-NYR-LAS is on 2026-04-02, inside hudson's 04-01..04-03 blackout
    // (venue-availability, a WebAssembly plugin).
    let g = &report["games"][0];
    assert_eq!(g["game"], "R1-NYR-LAS");
    assert_eq!(g["valid"], false);
    Ok(())
}

#[test]
fn plugins_option_adds_constraints_to_the_leagues_own() -> TestResult {
    let t = TempTree::new();
    t.write(
        "extra/always.rhai",
        "violation(\"critical\", `no ${game.id}`)",
    );
    t.write(
        "extra/always.toml",
        &manifest("always-fails", "always.rhai", "game", "hard", ""),
    );
    let out = umpire()
        .args([
            "eval",
            "--format",
            "json",
            "--league",
            &clean_league(),
            "--plugins",
        ])
        .arg(t.path().join("extra"))
        .output()?;
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr_of(&out));
    let report: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(report["summary"]["constraints"], 7);
    assert_eq!(report["summary"]["hard_violations"], 6);
    assert_eq!(report["summary"]["invalid_games"], 6);
    Ok(())
}

#[test]
fn json_output_is_a_single_json_document() -> TestResult {
    let out = umpire()
        .args(["eval", "--league", &clean_league(), "--format", "json"])
        .output()?;
    let text = String::from_utf8(out.stdout)?;
    assert_eq!(text.lines().count(), 1, "one line of JSON");
    let value: Value = serde_json::from_str(&text)?;
    for key in ["summary", "schedule", "games"] {
        assert!(value.get(key).is_some(), "missing {key}");
    }
    Ok(())
}

#[test]
fn unknown_flag_is_a_usage_error() {
    umpire()
        .args(["eval", "--league", "x", "--bogus"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::contains("--bogus"));
}

#[test]
fn missing_league_is_a_usage_error() {
    umpire()
        .arg("eval")
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--league"));
}

#[test]
fn missing_subcommand_is_a_usage_error() {
    umpire()
        .assert()
        .code(2)
        .stderr(predicate::str::contains("Usage"));
}

#[test]
fn unknown_format_is_a_usage_error() {
    umpire()
        .args(["eval", "--league", &clean_league(), "--format", "yaml"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("yaml"));
}

#[test]
fn missing_league_directory_is_an_input_error_naming_the_path() {
    umpire()
        .args(["eval", "--league", "no/such/league"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(predicate::str::starts_with("error: "))
        .stderr(predicate::str::contains("no/such/league"));
}

#[test]
fn missing_league_directory_states_the_os_error_once() -> TestResult {
    let out = umpire()
        .args(["eval", "--league", "no/such/league"])
        .output()?;
    let err = stderr_of(&out);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert_eq!(
        err.matches("No such file or directory").count(),
        1,
        "the cause should be stated once: {err}"
    );
    Ok(())
}

#[test]
fn malformed_league_toml_is_an_input_error_naming_file_and_line() -> TestResult {
    let t = TempTree::new();
    t.write("league.toml", "name = \"Broken\"\n[[teams]\nid = \"A\"\n");
    let out = umpire().args(["eval", "--league"]).arg(t.path()).output()?;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("league.toml"), "{err}");
    assert!(err.contains("line 2"), "{err}");
    Ok(())
}

#[test]
fn unknown_field_in_league_toml_is_an_input_error_naming_it() -> TestResult {
    let t = TempTree::new();
    t.write("league.toml", "name = \"L\"\nsesaon = \"2026\"\n");
    let out = umpire().args(["eval", "--league"]).arg(t.path()).output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = stderr_of(&out);
    assert!(
        err.contains("league.toml") && err.contains("sesaon"),
        "{err}"
    );
    Ok(())
}

#[test]
fn bad_game_is_an_input_error_naming_schedule_game_and_field() -> TestResult {
    let t = TempTree::new();
    t.write("league.toml", crate::support::MINI_LEAGUE);
    t.write("plugins/ok.rhai", "pass()");
    t.write(
        "plugins/ok.toml",
        &manifest("ok", "ok.rhai", "game", "hard", ""),
    );
    t.write(
        "schedule.json",
        r#"{"games": [{"id": "g1", "home": "NYR", "away": "BOS", "start": "2026-03-07T19:00"}]}"#,
    );
    let out = umpire().args(["eval", "--league"]).arg(t.path()).output()?;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("schedule.json"), "{err}");
    assert!(
        err.contains("games[0] (g1).away: unknown team `BOS`"),
        "{err}"
    );
    Ok(())
}

#[test]
fn league_without_schedule_needs_the_schedule_option() -> TestResult {
    let t = TempTree::new();
    t.write("league.toml", "name = \"No schedule\"\n");
    let out = umpire().args(["eval", "--league"]).arg(t.path()).output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("--schedule"),
        "{}",
        stderr_of(&out)
    );
    Ok(())
}

#[test]
fn league_without_plugins_is_an_input_error() -> TestResult {
    let t = TempTree::new();
    t.write(
        "league.toml",
        "name = \"No plugins\"\nschedule = \"s.json\"\n[[venues]]\nid = \"v\"\nname = \"V\"\ntimezone = \"UTC\"\n[[teams]]\nid = \"A\"\nname = \"A\"\nvenue = \"v\"\n",
    );
    t.write("s.json", r#"{"games": []}"#);
    let out = umpire().args(["eval", "--league"]).arg(t.path()).output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr_of(&out).contains("no plugin directories"),
        "{}",
        stderr_of(&out)
    );
    Ok(())
}

#[test]
fn broken_plugin_is_an_input_error_naming_the_script_position() -> TestResult {
    let t = TempTree::new();
    t.write("league.toml", crate::support::MINI_LEAGUE);
    t.write("schedule.json", r#"{"games": []}"#);
    t.write("plugins/broken.rhai", "let x = 1;\nlet y = ;\n");
    t.write(
        "plugins/broken.toml",
        &manifest("broken", "broken.rhai", "game", "hard", ""),
    );
    let out = umpire().args(["eval", "--league"]).arg(t.path()).output()?;
    assert_eq!(out.status.code(), Some(2));
    let err = stderr_of(&out);
    assert!(err.contains("broken.rhai:2:9:"), "{err}");
    Ok(())
}

#[test]
fn help_and_version_exit_0() {
    umpire()
        .arg("--help")
        .assert()
        .code(0)
        .stdout(predicate::str::contains("eval").and(predicate::str::contains("generate")));
    umpire()
        .arg("--version")
        .assert()
        .code(0)
        .stdout(predicate::str::contains(env!("CARGO_PKG_VERSION")));
}

#[test]
fn a_rule_that_fails_is_reported_as_a_diagnostic_with_its_position() -> TestResult {
    let t = TempTree::new();
    t.write("league.toml", crate::support::MINI_LEAGUE);
    t.write(
        "schedule.json",
        r#"{"games": [{"id": "g1", "home": "NYR", "away": "LAS", "start": "2026-03-07T19:00"}]}"#,
    );
    t.write("plugins/broken.rhai", "let x = 1;\nthrow \"boom\";\n");
    t.write(
        "plugins/broken.toml",
        &manifest("broken", "broken.rhai", "game", "soft", ""),
    );
    let out = umpire().args(["eval", "--league"]).arg(t.path()).output()?;
    // A rule that could not run is a failed check (exit 1), not an input
    // error (2) and not a clean pass (0).
    assert_eq!(out.status.code(), Some(1), "stderr: {}", stderr_of(&out));
    let text = String::from_utf8(out.stdout)?;
    assert!(text.contains("error[broken]: the rule failed"), "{text}");
    assert!(
        text.contains("incomplete: no hard violation found, but 1 rule call failed to run"),
        "{text}"
    );
    assert!(text.contains("  --> g1 · NYR vs LAS"), "{text}");
    assert!(
        text.contains("broken.rhai:2:1:") && text.contains("boom"),
        "{text}"
    );
    assert!(text.contains("errors 1 · timeouts 0 · skipped 0"), "{text}");
    Ok(())
}

/// Regression: `umpire eval ... | head` printed "error: Broken pipe" and
/// exited 2 once the reader closed its end.
#[test]
fn a_reader_that_stops_early_is_not_an_error() -> TestResult {
    use std::io::Read;
    let t = TempTree::new();
    crate::support::generate_league(t.path(), 20, 3000, 5);
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("umpire"))
        .args(["eval", "--format", "json", "--league"])
        .arg(t.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let mut first = [0u8; 16];
    child
        .stdout
        .take()
        .ok_or("no stdout")?
        .read_exact(&mut first)?;
    // The pipe's read end is dropped here, long before ~1 MB of JSON is written.
    let out = child.wait_with_output()?;
    let stderr = String::from_utf8(out.stderr)?;
    assert!(!stderr.contains("Broken pipe"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    Ok(())
}

#[test]
fn the_report_is_the_same_with_one_worker_and_with_several() -> TestResult {
    let t = TempTree::new();
    let plugins = crate::support::patient_example_plugins(&t.path().join("plugins"));
    let league = t.path().join("league");
    crate::support::generate_league_with(&league, 12, 700, 3, &plugins);
    let report = |workers: &str| -> Result<(Vec<u8>, Value), Box<dyn std::error::Error>> {
        let out = umpire()
            .args(["eval", "--format", "json", "--workers", workers, "--league"])
            .arg(&league)
            .output()?;
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "{}",
            stderr_of(&out)
        );
        let mut value: Value = serde_json::from_slice(&out.stdout)?;
        without_timings(&mut value);
        Ok((serde_json::to_vec(&value)?, value))
    };
    let (one, value) = report("1")?;
    assert_eq!(value["summary"]["games"], 700);
    assert_eq!(value["summary"]["constraints"], 10, "every example rule");
    assert_eq!(value["summary"]["errors"], 0);
    for workers in ["2", "3", "8"] {
        let (many, _) = report(workers)?;
        assert!(
            one == many,
            "the report with {workers} workers differs from one worker's"
        );
    }
    Ok(())
}

#[test]
fn zero_workers_is_a_usage_error() -> TestResult {
    let out = umpire()
        .args(["eval", "--workers", "0", "--league", &clean_league()])
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).contains("--workers"), "{}", stderr_of(&out));
    Ok(())
}

#[test]
fn nothing_written_to_a_pipe_carries_colour_codes() -> TestResult {
    // A violated rule (coloured diagnostics on a terminal) that also
    // prints (a log line): stdout and stderr are pipes here, as in
    // `umpire eval 2>&1 | grep` or a server's log file.
    let t = TempTree::new();
    t.write("league.toml", crate::support::MINI_LEAGUE);
    t.write(
        "plugins/loud.rhai",
        "print(`judging ${game.id}`); violation(\"major\", \"always\")",
    );
    t.write(
        "plugins/loud.toml",
        &manifest("loud", "loud.rhai", "game", "hard", ""),
    );
    t.write(
        "schedule.json",
        r#"{"games": [{"id": "g1", "home": "NYR", "away": "LAS", "start": "2026-03-07T19:00"}]}"#,
    );
    let out = umpire()
        .args(["eval", "--league"])
        .arg(t.path())
        .env("UMPIRE_LOG", "info")
        .env_remove("CLICOLOR_FORCE")
        .env_remove("NO_COLOR")
        .output()?;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("judging g1"),
        "no log line to check: {stderr}"
    );
    assert!(!out.stderr.contains(&0x1b), "{stderr:?}");
    let stdout = String::from_utf8(out.stdout)?;
    assert!(stdout.contains("error[loud]"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "{stdout:?}");
    // A failing input: the error label is plain too.
    let out = umpire()
        .args(["eval", "--league", "/no/such/league"])
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr_of(&out).starts_with("error:"), "{}", stderr_of(&out));
    assert!(!out.stderr.contains(&0x1b));
    Ok(())
}

/// A rule that throws on every game from round 4: the text report says so
/// once, with the count, and the report is the same on every run and
/// worker count (a one-shot run has no breaker: no game gets a fallback).
#[test]
fn a_failing_rule_is_one_diagnostic_with_its_count_and_the_report_never_varies() -> TestResult {
    let t = TempTree::new();
    t.rule(
        "broken",
        "game",
        "soft",
        "",
        "if game.round > 3 { throw \"cannot judge \" + game.id; } pass()",
    );
    let plugins = t.path().join("plugins");
    let run = |workers: &str, format: &str| -> Result<String, Box<dyn std::error::Error>> {
        let out = umpire()
            .args([
                "eval",
                "--league",
                "examples/leagues/pacific-atlantic",
                "--no-build",
            ])
            .args(["--workers", workers, "--format", format, "--plugins"])
            .arg(&plugins)
            .output()?;
        assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
        assert!(
            !stderr_of(&out).contains("circuit open"),
            "{}",
            stderr_of(&out)
        );
        Ok(String::from_utf8(out.stdout)?)
    };
    let text = run("2", "text")?;
    assert_eq!(text.matches("error[broken]").count(), 1, "{text}");
    assert!(
        text.contains("error[broken]: the rule failed on 216 games"),
        "{text}"
    );
    assert!(text.contains("cannot judge R04-"), "{text}");
    assert!(text.contains("and 210 more"), "{text}");
    assert!(
        text.contains("errors 216 · timeouts 0 · skipped 2\n"),
        "{text}"
    );
    let statuses = |json: &str| -> Result<Vec<String>, Box<dyn std::error::Error>> {
        let v: Value = serde_json::from_str(json)?;
        Ok(v["games"]
            .as_array()
            .ok_or("games")?
            .iter()
            .flat_map(|g| g["verdicts"].as_array().into_iter().flatten())
            .map(|v| format!("{}={}", v["constraint"], v["status"]))
            .collect())
    };
    let first = statuses(&run("1", "json")?)?;
    assert!(!first.iter().any(|s| s.ends_with("\"fallback\"")));
    for workers in ["1", "2", "4"] {
        assert_eq!(
            statuses(&run(workers, "json")?)?,
            first,
            "{workers} workers"
        );
    }
    Ok(())
}

/// The example league with the Rhai rules alone: none reads the venues'
/// blackouts or the TV windows, and `eval` says so; with every example
/// plugin, nothing is unread and nothing is said.
#[test]
fn league_data_no_loaded_rule_reads_is_a_warning() -> TestResult {
    let root = crate::support::workspace_root();
    let example = root.join("examples/leagues/pacific-atlantic");
    let t = TempTree::new();
    let toml = std::fs::read_to_string(example.join("league.toml"))?;
    let rhai_only = toml.replace(
        "plugins = [\"../../../plugins/rhai\", \"../../../plugins/wasm\"]",
        &format!("plugins = [{:?}]", root.join("plugins/rhai")),
    );
    assert_ne!(rhai_only, toml, "the example's plugins line moved");
    t.write("league/league.toml", &rhai_only);
    std::fs::copy(
        example.join("schedule.json"),
        t.path().join("league/schedule.json"),
    )?;
    let out = umpire()
        .args(["eval", "--no-build", "--league"])
        .arg(t.path().join("league"))
        .output()?;
    let stderr = stderr_of(&out);
    assert!(
        stderr.contains("warning: the league has 24 venue blackouts, but no loaded rule read them"),
        "{stderr}"
    );
    assert!(
        stderr.contains("TV windows, but no loaded rule read them"),
        "{stderr}"
    );
    assert!(
        !stderr.contains("rivalries"),
        "rivalry-on-weekend reads it: {stderr}"
    );
    let out = umpire()
        .args(["eval", "--no-build", "--league"])
        .arg(&example)
        .output()?;
    assert!(!stderr_of(&out).contains("warning"), "{}", stderr_of(&out));
    Ok(())
}

/// The `errors` of `umpire check --format json`'s answer.
fn errors_in(v: &Value) -> Vec<&str> {
    v["errors"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect()
}

/// `umpire check` reports every error of a league's files at once, each
/// naming its file, and evaluates nothing; the example league is clean.
#[test]
fn check_reports_every_error_at_once_with_its_file() -> TestResult {
    let out = umpire()
        .args(["check", "--league", "examples/leagues/pacific-atlantic"])
        .output()?;
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    assert!(String::from_utf8(out.stdout)?.contains("10 manifests, 10 fixture files: no errors"));

    let root = crate::support::workspace_root();
    let example = root.join("examples/leagues/pacific-atlantic");
    let t = TempTree::new();
    let toml = std::fs::read_to_string(example.join("league.toml"))?.replace(
        "plugins = [\"../../../plugins/rhai\", \"../../../plugins/wasm\"]",
        "plugins = [\"../plugins\"]",
    );
    t.write("league/league.toml", &toml);
    let schedule = std::fs::read_to_string(example.join("schedule.json"))?;
    t.write(
        "league/schedule.json",
        &schedule.replacen("\"start\": \"2026", "\"start\": \"2026-13", 1),
    );
    t.write(
        "plugins/a.toml",
        &manifest("a", "a.rhai", "game", "hrad", ""),
    );
    t.write("plugins/a.rhai", "pass()");
    t.write(
        "plugins/b.toml",
        &manifest("b", "b.rhai", "game", "hard", "depends_on = [\"nope\"]"),
    );
    t.write("plugins/b.rhai", "let x = 1;\nif x > 0 {\n  pass()\n");
    t.write(
        "plugins/c.toml",
        &manifest("c", "c.rhai", "game", "soft", ""),
    );
    t.write("plugins/c.rhai", "pass(\n");
    t.write(
        "plugins/tests/c.test.toml",
        "constraint = \"cc\"\n[[case]]\nname = \"x\"\ngame = \"R01-SEA-POR\"\nexpect = \"passed\"\n",
    );
    let out = umpire()
        .args(["check", "--format", "json", "--league"])
        .arg(t.path().join("league"))
        .output()?;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let v: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v["ok"], false);
    let errors = errors_in(&v);
    let has = |needle: &str| errors.iter().any(|e| e.contains(needle));
    // A schedule's field at its value's line and column.
    let broken = schedule.replacen("\"start\": \"2026", "\"start\": \"2026-13", 1);
    let (line, text) = (broken.lines().enumerate())
        .find(|(_, l)| l.contains("2026-13"))
        .ok_or("the broken line")?;
    let column = text.find("\"2026-13").ok_or("the value")? + 1;
    assert!(
        has(&format!(
            "league/schedule.json:{}:{column}: games[0] (R01-TOR-SDG).start",
            line + 1
        )),
        "{errors:#?}"
    );
    assert!(
        has("plugins/a.toml: TOML parse error at line 6, column 12"),
        "{errors:#?}"
    );
    assert!(
        has("plugins/b.toml: depends_on: unknown constraint `nope`"),
        "{errors:#?}"
    );
    assert!(
        has("plugins/b.rhai:2:10: this `{` is never closed"),
        "{errors:#?}"
    );
    assert!(
        has("plugins/c.rhai:1:5: this `(` is never closed"),
        "{errors:#?}"
    );
    assert!(
        has(
            "c.test.toml:1:14: `constraint`: no loaded plugin has a constraint `cc`; did you mean `c`?"
        ),
        "{errors:#?}"
    );
    assert_eq!(errors.len(), 6, "{errors:#?}");

    // A league that does not load: its error, and its plugins' still.
    let broken = toml.replacen("America/Los_Angeles", "America/Los_Angelos", 1);
    assert_ne!(broken, toml);
    t.write("league/league.toml", &broken);
    let out = umpire()
        .args(["check", "--format", "json", "--league"])
        .arg(t.path().join("league"))
        .output()?;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let v: Value = serde_json::from_slice(&out.stdout)?;
    let errors = errors_in(&v);
    let has = |needle: &str| errors.iter().any(|e| e.contains(needle));
    assert!(
        has(
            "venues[0] (cascade-park).timezone: unknown time zone \"America/Los_Angelos\"; did you mean `America/Los_Angeles`?"
        ),
        "{errors:#?}"
    );
    assert!(has("plugins/c.rhai:1:5"), "{errors:#?}");
    Ok(())
}

/// `umpire test` shows what a failing case's rule printed, and with `-v`
/// every case's; `--run` picks cases by name.
#[test]
fn test_shows_what_a_rule_printed_and_runs_the_cases_asked_for() -> TestResult {
    let t = TempTree::new();
    t.rule(
        "p",
        "game",
        "soft",
        "",
        "print(`looking at ${game.id}`);\ndebug(game.home);\nif game.home == \"SEA\" { return violation(\"minor\", \"sea\"); }\npass()\n",
    );
    let league = crate::support::workspace_root().join("examples/leagues/pacific-atlantic");
    t.write(
        "plugins/tests/p.test.toml",
        &format!(
            "constraint = \"p\"\nleague = {league:?}\n\n[[case]]\nname = \"a home game of Seattle is flagged\"\ngame = \"R17-SEA-POR\"\nexpect = \"violated\"\n\n[[case]]\nname = \"Portland is flagged too (wrongly)\"\ngame = \"R02-POR-SEA\"\nexpect = \"violated\"\n"
        ),
    );
    let plugins = t.path().join("plugins");
    let out = umpire()
        .args(["test", "--no-build"])
        .arg(&plugins)
        .output()?;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let text = String::from_utf8(out.stdout)?;
    assert!(
        text.contains("       | print: looking at R02-POR-SEA\n"),
        "{text}"
    );
    assert!(text.contains("| debug: \"POR\" ("), "{text}");
    assert!(
        !text.contains("looking at R17-SEA-POR"),
        "a passing case is quiet: {text}"
    );

    let out = umpire()
        .args(["test", "--no-build", "-v", "--run", "SEATTLE"])
        .arg(&plugins)
        .output()?;
    assert_eq!(out.status.code(), Some(0), "{}", stderr_of(&out));
    let text = String::from_utf8(out.stdout)?;
    assert!(text.contains("| print: looking at R17-SEA-POR"), "{text}");
    assert!(
        text.contains("1 passed, 0 failed (1 not matching --run)"),
        "{text}"
    );
    assert!(!text.contains("R02-POR-SEA"), "{text}");
    Ok(())
}

/// `umpire test -v` lists the schedule queries a failing case's rule made,
/// as the script writes them, each once.
#[test]
fn test_verbose_shows_what_a_failing_rule_asked_of_the_schedule() -> TestResult {
    let t = TempTree::new();
    t.rule(
        "q",
        "game",
        "soft",
        "",
        "let before = schedule.previous_game(game.home, game);\nlet again = schedule.previous_game(game.home, game);\nlet there = schedule.games_at(game.venue, game.date);\nif there.len() > 5 { return violation(\"minor\", \"busy\"); }\npass()\n",
    );
    let league = crate::support::workspace_root().join("examples/leagues/pacific-atlantic");
    t.write(
        "plugins/tests/q.test.toml",
        &format!(
            "constraint = \"q\"\nleague = {league:?}\n\n[[case]]\nname = \"wrongly expected violated\"\ngame = \"R02-POR-SEA\"\nexpect = \"violated\"\n\n[[case]]\nname = \"passes\"\ngame = \"R17-SEA-POR\"\nexpect = \"passed\"\n"
        ),
    );
    let plugins = t.path().join("plugins");
    let out = umpire()
        .args(["test", "--no-build", "-v"])
        .arg(&plugins)
        .output()?;
    assert_eq!(out.status.code(), Some(1), "{}", stderr_of(&out));
    let text = String::from_utf8(out.stdout)?;
    let queries: Vec<&str> = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("query: "))
        .collect();
    assert_eq!(
        queries,
        [
            "schedule.previous_game(POR, game)",
            "schedule.games_at(willamette-grounds, 2026-03-07)"
        ],
        "{text}"
    );
    // Without -v, a failing case shows what failed, not the queries.
    let out = umpire()
        .args(["test", "--no-build"])
        .arg(&plugins)
        .output()?;
    let text = String::from_utf8(out.stdout)?;
    assert!(!text.contains("query: "), "{text}");
    // In JSON, the failing case carries them.
    let out = umpire()
        .args(["test", "--no-build", "-v", "--format", "json"])
        .arg(&plugins)
        .output()?;
    let answer: Value = serde_json::from_slice(&out.stdout)?;
    let text = answer.to_string();
    assert!(text.contains("schedule.previous_game(POR, game)"), "{text}");
    Ok(())
}
