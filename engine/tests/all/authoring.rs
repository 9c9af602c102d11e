//! Plugin author tooling, driven as an author would: `umpire test` on the
//! example fixtures and on broken ones, `umpire new` followed by `umpire
//! test`, `umpire bench`, `eval --profile`, and the REPL through piped stdin.

use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::support::{TempTree, TestResult, rhai_plugins, umpire, workspace_root};

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// The example league with only its Rhai plugins (nothing to build), in a
/// temp directory: `league.toml` with absolute paths.
fn rhai_example_league(t: &TempTree) -> PathBuf {
    let dir = workspace_root().join("examples/leagues/pacific-atlantic");
    let league = std::fs::read_to_string(dir.join("league.toml")).expect("the example league");
    let league = league
        .replace(
            "schedule = \"schedule.json\"",
            &format!(
                "schedule = {:?}",
                dir.join("schedule.json").display().to_string()
            ),
        )
        .replace(
            "plugins = [\"../../../plugins/rhai\", \"../../../plugins/wasm\"]",
            &format!("plugins = [{:?}]", rhai_plugins().display().to_string()),
        );
    assert!(
        league.contains("plugins/rhai\"]"),
        "the example league's plugins line moved"
    );
    t.write("league/league.toml", &league);
    t.path().join("league")
}

/// `umpire test` on the given paths: (exit code, stdout, stderr).
fn test_cmd(args: &[&Path]) -> Result<(Option<i32>, String, String), Box<dyn std::error::Error>> {
    let out = umpire().arg("test").args(args).output()?;
    Ok((out.status.code(), text(&out.stdout), text(&out.stderr)))
}

#[test]
fn every_example_plugin_passes_its_fixtures() -> TestResult {
    let root = workspace_root();
    let (code, stdout, stderr) = test_cmd(&[&root.join("plugins")])?;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    // One line per case, then the totals.
    let lines: Vec<&str> = stdout.lines().collect();
    let cases = lines.iter().filter(|l| l.starts_with("ok ")).count();
    assert_eq!(
        lines.last(),
        Some(&format!("{cases} passed, 0 failed").as_str()),
        "{stdout}"
    );
    assert_eq!(cases, lines.len() - 1, "{stdout}");
    assert!(cases >= 30, "{stdout}");
    for plugin in [
        "min-rest-days",
        "venue-availability",
        "tv-window-fit",
        "broadcast-share",
        "weather-playable",
        "home-away-balance",
    ] {
        assert!(
            stdout.contains(&format!("({plugin}, ")),
            "{plugin} has no fixture:\n{stdout}"
        );
    }
    assert!(
        stdout.contains("plugins/rhai/tests/min_rest_days.test.toml:"),
        "{stdout}"
    );
    Ok(())
}

const PASSING_AND_FAILING: &str = r#"
constraint = "min-rest-days"
plugins = ["PLUGINS"]

[[case]]
name = "right"
game = "R14-PHX-SLC"
expect = "violated"

[[case]]
name = "wrong"
game = "R14-PHX-SLC"
expect = "passed"

[[case]]
name = "wrong violation"
game = "R14-PHX-SLC"
expect = "violated"
violations = [{ message = "SLC plays" }]
"#;

#[test]
fn a_failing_case_is_reported_and_exits_1() -> TestResult {
    let t = TempTree::new();
    let f = t.write(
        "tests/x.test.toml",
        &PASSING_AND_FAILING.replace("PLUGINS", &rhai_plugins().display().to_string()),
    );
    let (code, stdout, stderr) = test_cmd(&[&f])?;
    assert_eq!(code, Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("ok  ") && stdout.contains(":5 right"),
        "{stdout}"
    );
    assert!(
        stdout.contains("FAIL") && stdout.contains(":10 wrong"),
        "{stdout}"
    );
    assert!(
        stdout.contains("expected `passed`, got `violated`"),
        "{stdout}"
    );
    assert!(stdout.contains("got: major \"PHX plays R14-PHX-SLC 1 day(s) after R13-DEN-PHX; needs 2\" [team:PHX, game:R14-PHX-SLC, game:R13-DEN-PHX]"), "{stdout}");
    assert!(
        stdout.contains("no violation matches: message containing \"SLC plays\""),
        "{stdout}"
    );
    assert!(stdout.ends_with("1 passed, 2 failed\n"), "{stdout}");

    let out = umpire()
        .args(["test", "--format", "json"])
        .arg(&f)
        .output()?;
    assert_eq!(out.status.code(), Some(1));
    let v: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(
        (v["passed"].as_u64(), v["failed"].as_u64()),
        (Some(1), Some(2))
    );
    assert_eq!(v["cases"][1]["name"], "wrong");
    assert_eq!(v["cases"][1]["passed"], false);
    assert_eq!(v["cases"][1]["line"], 10);
    Ok(())
}

#[test]
fn bad_fixtures_name_file_line_and_field() -> TestResult {
    let plugins = rhai_plugins().display().to_string();
    let head = format!("constraint = \"min-rest-days\"\nplugins = [{plugins:?}]\n");
    let case = "[[case]]\nname = \"c\"\n";
    let cases: Vec<(String, &str)> = vec![
        (
            format!("{head}{case}expect = \"passd\"\n"),
            ":5:10: `case[0].expect`: unknown variant `passd`",
        ),
        (
            format!("{head}{case}expect = \"passed\"\nexpct = 1\n"),
            ":6:1: `case[0].expct`: unknown field `expct`, expected one of `name`",
        ),
        (
            format!("{head}{case}expect = \"passed\"\ngame = \"R14-PHX-SCL\"\n"),
            ":6:8: `case[0].game`: no game `R14-PHX-SCL` in the case's schedule (240 games); did you mean `R14-PHX-SLC`?",
        ),
        (
            format!("{head}{case}expect = \"passed\"\nconstraint = \"min-rest-day\"\n"),
            ":6:14: `case[0].constraint`: no constraint `min-rest-day` in ",
        ),
        (
            format!(
                "{head}{case}expect = \"violated\"\ngame = \"R14-PHX-SLC\"\nviolations = [{{ entities = [\"club:PHX\"] }}]\n"
            ),
            ":7:29: `case[0].violations[0].entities[0]`: unknown entity kind \"club\"",
        ),
        (
            format!(
                "{head}{case}expect = \"passed\"\ngames = [{{ id = \"G1\", home = \"XXX\", away = \"SLC\", start = \"2026-03-07T19:00\" }}]\n"
            ),
            ":6:10: `case[0].games`: games[0] (G1).home: ",
        ),
        (
            format!(
                "{head}{case}expect = \"passed\"\ngames = [{{ id = \"G1\", hme = \"PHX\" }}]\n"
            ),
            ":6:10: `case[0].games[0]`: unknown field `hme`",
        ),
        (
            format!("{head}{case}expect = \"passed\"\nviolations = [{{ message = \"x\" }}]\n"),
            ":5:10: `case[0].expect`: violations are listed but the case expects `passed`",
        ),
        (head.clone(), ":1:1: no cases; add one with [[case]]"),
        (
            format!(
                "constraint = \"home-away-balance\"\nplugins = [{plugins:?}]\n{case}expect = \"passed\"\ngame = \"R14-PHX-SLC\"\n"
            ),
            ":6:8: `case[0].game`: `home-away-balance` is schedule-scoped",
        ),
        (
            format!("plugins = [\"nowhere\"]\n{case}constraint = \"x\"\nexpect = \"passed\"\n"),
            ":1:11: `plugins`: ",
        ),
        (
            format!("{head}league = \"nowhere\"\n{case}expect = \"passed\"\n"),
            ":3:10: `league`: ",
        ),
    ];
    for (fixture, expected) in cases {
        let t = TempTree::new();
        let f = t.write("tests/bad.test.toml", &fixture);
        let (code, stdout, stderr) = test_cmd(&[&f])?;
        assert_eq!(code, Some(2), "{fixture}\n{stdout}\n{stderr}");
        let want = format!("error: {}{expected}", f.display());
        assert!(stderr.contains(&want), "want {want:?} in\n{stderr}");
        assert!(stderr.contains("no case was run"), "{stderr}");
        assert!(stdout.is_empty(), "{stdout}");
    }
    // A path without fixtures is an input error too.
    let t = TempTree::new();
    let (code, _, stderr) = test_cmd(&[t.path()])?;
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains("no fixtures (*.test.toml) here"),
        "{stderr}"
    );
    Ok(())
}

#[test]
fn an_inline_league_and_games_make_a_self_contained_fixture() -> TestResult {
    let t = TempTree::new();
    t.write("plugins/home_only.rhai", "if game.home == \"A\" { pass() } else { violation(\"minor\", `${game.home} is not A`).team(game.home) }");
    t.write(
        "plugins/home_only.toml",
        &crate::support::manifest("home-only", "home_only.rhai", "game", "soft", ""),
    );
    let f = t.write(
        "plugins/tests/home_only.test.toml",
        r#"
constraint = "home-only"

[league]
name = "Two"
[[league.teams]]
id = "A"
name = "A"
venue = "a"
[[league.teams]]
id = "B"
name = "B"
venue = "b"
[[league.venues]]
id = "a"
name = "A Park"
timezone = "Europe/Paris"
[[league.venues]]
id = "b"
name = "B Park"
timezone = "Asia/Tokyo"

[[case]]
name = "A at home"
games = [{ id = "g1", home = "A", away = "B", start = "2026-03-07T19:00" }]
game = "g1"
expect = "passed"

[[case]]
name = "every game of the snippet"
games = [
    { id = "g1", home = "A", away = "B", start = "2026-03-07T19:00" },
    { id = "g2", home = "B", away = "A", start = "2026-03-14T19:00" },
]
expect = "violated"
violations = [{ message = "B is not A", severity = "minor", entities = ["team:B"] }]
"#,
    );
    let (code, stdout, stderr) = test_cmd(&[&f])?;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.ends_with("2 passed, 0 failed\n"), "{stdout}");
    Ok(())
}

/// An inline game is an edit of the case's schedule: the rule sees the
/// schedule with the game in it, not the old game beside the new one.
#[test]
fn an_inline_game_of_a_fixture_is_judged_in_the_schedule_it_edits() -> TestResult {
    let t = TempTree::new();
    // What the schedule holds under the game's id, and who else plays
    // that day.
    t.write(
        "plugins/sees_itself.rhai",
        r#"
let mine = schedule.game(game.id);
if mine == () { return violation("major", "not in the schedule"); }
if mine.start != game.start { return violation("major", `the schedule has ${game.id} at ${mine.start}`); }
let others = schedule.games_at(game.venue, game.start.date).filter(|g| g.id != game.id);
if others.len() > 0 { return violation("major", `shares its venue with ${others[0].id}`); }
pass()
"#,
    );
    t.write(
        "plugins/sees_itself.toml",
        &crate::support::manifest("sees-itself", "sees_itself.rhai", "game", "hard", ""),
    );
    let f = t.write(
        "plugins/tests/sees_itself.test.toml",
        r#"
constraint = "sees-itself"

[[case]]
name = "moved, it is where it was moved to"
games = [
    { id = "g1", home = "PHX", away = "SLC", start = "2026-03-07T19:00" },
    { id = "g2", home = "PHX", away = "DEN", start = "2026-03-14T19:00" },
]
game = { id = "g1", home = "PHX", away = "SLC", start = "2026-03-09T19:00" }
expect = "passed"

[[case]]
name = "moved onto the other game's day, it shares the venue"
games = [
    { id = "g1", home = "PHX", away = "SLC", start = "2026-03-07T19:00" },
    { id = "g2", home = "PHX", away = "DEN", start = "2026-03-14T19:00" },
]
game = { id = "g1", home = "PHX", away = "SLC", start = "2026-03-14T13:00" }
expect = "violated"
violations = [{ message = "shares its venue with g2" }]

[[case]]
name = "a new id joins the schedule"
games = [{ id = "g1", home = "PHX", away = "SLC", start = "2026-03-07T19:00" }]
game = { id = "g9", home = "PHX", away = "SLC", start = "2026-03-21T19:00" }
expect = "passed"
"#,
    );
    let (code, stdout, stderr) = test_cmd(&[&f])?;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.ends_with("3 passed, 0 failed\n"), "{stdout}");
    Ok(())
}

#[test]
fn new_rhai_plugin_passes_umpire_test_as_generated() -> TestResult {
    let t = TempTree::new();
    let dir = t.path().join("early-kickoff");
    let out = umpire()
        .args(["new", "--lang", "rhai", "early-kickoff", "--dir"])
        .arg(&dir)
        .output()?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let said = text(&out.stdout);
    assert!(
        said.contains("created Rhai plugin `early-kickoff`"),
        "{said}"
    );
    for f in [
        "early_kickoff.toml",
        "early_kickoff.rhai",
        "tests/early_kickoff.test.toml",
        "README.md",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let (code, stdout, stderr) = test_cmd(&[&dir])?;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stdout.ends_with("2 passed, 0 failed\n"), "{stdout}");

    // The directory exists now: `new` refuses to write over it.
    let out = umpire()
        .args(["new", "--lang", "rhai", "early-kickoff", "--dir"])
        .arg(&dir)
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("already exists; choose another --dir"),
        "{}",
        text(&out.stderr)
    );

    let out = umpire()
        .args(["new", "--lang", "cobol", "x", "--dir"])
        .arg(t.path().join("x"))
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    let e = text(&out.stderr);
    assert!(
        e.contains("invalid value 'cobol' for '--lang <LANG>'") && e.contains("rhai, rust"),
        "{e}"
    );

    let out = umpire()
        .args(["new", "--lang", "rhai", "Bad Name", "--dir"])
        .arg(t.path().join("y"))
        .output()?;
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("`Bad Name` is not a plugin name"),
        "{}",
        text(&out.stderr)
    );
    assert!(!t.path().join("y").exists());
    Ok(())
}

#[test]
fn new_rust_plugin_builds_and_passes_umpire_test() -> TestResult {
    let t = TempTree::new();
    let dir = t.path().join("early-kickoff");
    let out = umpire()
        .args(["new", "--lang", "rust", "early-kickoff", "--dir"])
        .arg(&dir)
        .output()?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    for f in [
        "Cargo.toml",
        "src/lib.rs",
        "early_kickoff.toml",
        ".cargo/config.toml",
        "rust-toolchain.toml",
        "tests/early_kickoff.test.toml",
    ] {
        assert!(dir.join(f).is_file(), "{f} missing");
    }
    let cargo = std::fs::read_to_string(dir.join("Cargo.toml"))?;
    assert!(cargo.contains("umpire-plugin = { path = \"/"), "{cargo}");
    // The plugin is the author's to put anywhere: moved two levels deeper,
    // it still finds the SDK.
    let moved = t.path().join("elsewhere/deeper/early-kickoff");
    std::fs::create_dir_all(moved.parent().ok_or("parent")?)?;
    std::fs::rename(&dir, &moved)?;
    let dir = moved;
    // `umpire test` builds the crate (its manifest's [build]) and runs the fixture.
    let (code, stdout, stderr) = test_cmd(&[&dir])?;
    assert_eq!(code, Some(0), "{stdout}\n{stderr}");
    assert!(stderr.contains("Building plugins in"), "{stderr}");
    assert!(stdout.ends_with("2 passed, 0 failed\n"), "{stdout}");
    assert!(
        dir.join("target/wasm32-wasip2/release/early_kickoff.wasm")
            .is_file()
    );
    Ok(())
}

#[test]
fn bench_gives_each_constraint_its_figures() -> TestResult {
    let t = TempTree::new();
    let league = rhai_example_league(&t);
    let out = umpire()
        .args([
            "bench",
            "--duration-ms",
            "1",
            "--format",
            "json",
            "--league",
        ])
        .arg(&league)
        .output()?;
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let v: Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(v["games"], 240);
    let rows = v["constraints"].as_array().ok_or("constraints")?;
    assert_eq!(rows.len(), 6);
    for r in rows {
        let n = r["evaluations"].as_u64().ok_or("evaluations")?;
        let per_round = if r["scope"] == "game" { 240 } else { 1 };
        assert!(n >= per_round && n % per_round == 0, "{r}");
        let (p50, p99) = (
            r["p50_ns"].as_u64().ok_or("p50")?,
            r["p99_ns"].as_u64().ok_or("p99")?,
        );
        assert!(0 < p50 && p50 <= p99, "{r}");
        assert!(r["ns_per_evaluation"].as_u64().ok_or("ns")? > 0, "{r}");
    }
    assert!(
        rows.iter()
            .any(|r| r["constraint"] == "home-away-balance" && r["scope"] == "schedule/team")
    );

    let out = umpire()
        .args(["bench", "--duration-ms", "1", "--league"])
        .arg(&league)
        .output()?;
    assert_eq!(out.status.code(), Some(0));
    let s = text(&out.stdout);
    assert!(
        s.contains("constraint")
            && s.contains("evaluations")
            && s.contains("p99")
            && s.contains("ns/eval"),
        "{s}"
    );
    assert!(
        s.lines()
            .any(|l| l.starts_with("min-rest-days ") && l.contains("rhai") && l.contains("game")),
        "{s}"
    );

    let out = umpire().args(["bench", "--league", "nowhere"]).output()?;
    assert_eq!(out.status.code(), Some(2));
    Ok(())
}

#[test]
fn eval_profile_adds_each_constraints_time() -> TestResult {
    let t = TempTree::new();
    let league = rhai_example_league(&t);
    let out = umpire()
        .args(["eval", "--profile", "--league"])
        .arg(&league)
        .output()?;
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let s = text(&out.stdout);
    let profile = s
        .split("profile (time inside each constraint")
        .nth(1)
        .ok_or(s.clone())?;
    for id in ["min-rest-days", "venue-double-booking", "home-away-balance"] {
        assert!(profile.contains(id), "{profile}");
    }
    let out = umpire()
        .args(["eval", "--profile", "--format", "json", "--league"])
        .arg(&league)
        .output()?;
    let v: Value = serde_json::from_slice(&out.stdout)?;
    let rows = v["profile"].as_array().ok_or("profile")?;
    assert_eq!(rows.len(), 6);
    let rest = rows
        .iter()
        .find(|r| r["constraint"] == "min-rest-days")
        .ok_or("min-rest-days")?;
    assert_eq!(rest["calls"], 240);
    let shares: f64 = rows.iter().filter_map(|r| r["share"].as_f64()).sum();
    assert!(shares == 0.0 || (shares - 1.0).abs() < 1e-6, "{shares}");
    // Without the flag the report is as it was.
    let out = umpire()
        .args(["eval", "--format", "json", "--league"])
        .arg(&league)
        .output()?;
    let v: Value = serde_json::from_slice(&out.stdout)?;
    assert!(v.get("profile").is_none());
    Ok(())
}

/// Runs the REPL with `input` on stdin: (exit code, stdout, stderr).
fn repl(
    league: &Path,
    input: &str,
) -> Result<(Option<i32>, String, String), Box<dyn std::error::Error>> {
    let out = umpire()
        .args(["repl", "--league"])
        .arg(league)
        .write_stdin(input)
        .output()?;
    Ok((out.status.code(), text(&out.stdout), text(&out.stderr)))
}

#[test]
fn repl_evaluates_expressions_and_commands_from_a_pipe() -> TestResult {
    let t = TempTree::new();
    let league = rhai_example_league(&t);
    let input = r#"schedule.len
let game = schedule.game("R14-PHX-SLC");
schedule.rest_days(game.home, game)
schedule.games_of("PHX").len()
:eval R14-PHX-SLC min-rest-days
:eval R14-PHX-SLC
:eval schedule
:explain R14-PHX-SLC
:constraints
:graph
:trace on
schedule.previous_game(game.home, game).id
:trace off
:time
1 + 1
:time
:bench 20
if schedule.rest_days(game.home, game) < 2 { violation("major", "short") } else { pass() }
:quit
this line is never read
"#;
    let (code, out, err) = repl(&league, input)?;
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(err.is_empty(), "{err}");
    // Piped: no banner, no prompt.
    assert!(
        !out.contains("umpire>") && !out.contains("umpire repl"),
        "{out}"
    );
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(&lines[..3], ["240", "1", "30"], "{out}");
    assert!(out.contains("min-rest-days  violated  hard"), "{out}");
    assert!(out.contains("major: PHX plays R14-PHX-SLC 1 day(s) after R13-DEN-PHX; needs 2 [team:PHX, game:R14-PHX-SLC, game:R13-DEN-PHX]"), "{out}");
    assert!(
        out.contains("help: move R14-PHX-SLC at least 1 day(s) later"),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("max-consecutive-away") && l.contains("skipped")),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("home-away-balance") && l.contains("violated")),
        "{out}"
    );
    assert!(
        out.contains("PHX: previous R13-DEN-PHX (Sun 2026-05-10, 1 day(s) before)"),
        "{out}"
    );
    assert!(out.contains("invalid (a hard violation)"), "{out}");
    assert!(out.contains("runs after min-rest-days"), "{out}");
    assert!(out.contains("6 constraints"), "{out}");
    assert!(
        out.contains("level 1: ") && out.contains("min-rest-days -> max-consecutive-away"),
        "{out}"
    );
    assert!(
        out.contains("\"R13-DEN-PHX\"\n  query: schedule.previous_game(PHX, game)"),
        "{out}"
    );
    assert!(out.contains("time: on\n2\ntime: "), "{out}");
    assert!(out.contains("`1 + 1`: 20 runs, mean "), "{out}");
    assert!(
        out.contains("violated: 1 violation(s)\n    major: short"),
        "{out}"
    );
    assert!(!out.contains("never read"), "{out}");
    Ok(())
}

#[test]
fn repl_errors_say_where_and_hint_and_exit_1() -> TestResult {
    let t = TempTree::new();
    let league = rhai_example_league(&t);
    let cases = [
        (
            ":eval R14-PHX-SCL",
            "error: no game `R14-PHX-SCL` in the schedule (240 games); did you mean `R14-PHX-SLC`?\n  = hint: Tab completes game ids",
        ),
        (
            ":eval R14-PHX-SLC min-rest-day",
            "error: no constraint `min-rest-day`; did you mean `min-rest-days`?\n  = hint: `:constraints` lists them",
        ),
        (":explain", "error: `:explain` takes one game id"),
        (
            ":eval R14-PHX-SLC home-away-balance",
            "is schedule-scoped: it is asked about the schedule, not a game\n  = hint: `:eval schedule home-away-balance`",
        ),
        (
            "schedule.games_of(gme)",
            "error: 1:19: undefined variable: gme\n  | schedule.games_of(gme)\n  |                   ^\n  = hint: in scope: league, schedule",
        ),
        (
            "game.home",
            "hint: no game is chosen; pick one with `let game = schedule.game(\"ID\");`",
        ),
        (
            "schedule.no_such()",
            "error: 1:10: function not found: no_such",
        ),
        ("1 +", "error: 1:4: "),
        (
            ":evl R14-PHX-SLC",
            "error: unknown command `:evl`; did you mean `:eval`?\n  = hint: `:help` lists the commands",
        ),
        (":bench 10", "error: nothing to bench yet"),
        (":bench many", "error: `many` is not a number of runs"),
        (":trace maybe", "error: `:trace` takes `on` or `off`"),
        (
            ":load nowhere.toml",
            "error: nowhere.toml: no such file or directory",
        ),
    ];
    for (line, expected) in cases {
        let (code, out, err) = repl(&league, &format!("{line}\nschedule.len\n"))?;
        assert_eq!(code, Some(1), "{line}: {out}\n{err}");
        assert!(
            err.contains(expected),
            "{line}: want {expected:?} in\n{err}"
        );
        // The session goes on after an error.
        assert!(out.ends_with("240\n"), "{line}: {out}");
    }
    Ok(())
}

#[test]
fn repl_loads_scripts_and_manifests_and_reloads() -> TestResult {
    let t = TempTree::new();
    let league = rhai_example_league(&t);
    let script = t.write(
        "try.rhai",
        "if game.start.hour < 12 { violation(\"minor\", `${game.id} is early`) } else { pass() }",
    );
    let manifest = t.write(
        "extra/late.toml",
        &crate::support::manifest("always-late", "late.rhai", "game", "soft", ""),
    );
    t.write("extra/late.rhai", "violation(\"minor\", \"late\")");
    let input = format!(
        "let game = schedule.game(\"R20-ATL-VAN\");\n:load {}\n:load {}\n:eval R20-ATL-VAN always-late\n:reload\n:constraints\n",
        script.display(),
        manifest.display()
    );
    let (code, out, err) = repl(&league, &input)?;
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(
        out.contains("violated: 1 violation(s)\n    minor: R20-ATL-VAN is early"),
        "{out}"
    );
    assert!(
        out.contains("constraints (was 6)") && out.contains(": 7 constraints"),
        "{out}"
    );
    assert!(out.contains("always-late  violated"), "{out}");
    assert!(out.contains("reloaded: 240 games, 7 constraints"), "{out}");
    assert!(out.contains("7 constraints\n"), "{out}");
    // A script with an error names the file and the position.
    let bad = t.write("bad.rhai", "let x = 1;\nx +* 2");
    let (code, _, err) = repl(&league, &format!(":load {}\n", bad.display()))?;
    assert_eq!(code, Some(1));
    assert!(
        err.contains(&format!("error: {}:2:", bad.display())),
        "{err}"
    );
    assert!(err.contains("  | x +* 2"), "{err}");
    Ok(())
}

/// A bracket left open asks for another line, at the prompt and from a
/// pipe: a helper function can be written over several lines.
#[test]
fn repl_takes_multi_line_input_while_a_bracket_is_open() -> TestResult {
    let t = TempTree::new();
    let league = rhai_example_league(&t);
    let input = "fn window(team, g) {\n  let n = team.len();\n  n + g\n}\nwindow(\"SEA\", 1)\nlet xs = [\n  \"{\",\n  2\n];\nxs.len()\n";
    let (code, out, err) = repl(&league, input)?;
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "4\n2\n", "{err}");
    // Still open at the end: the engine's error, with where.
    let (code, _, err) = repl(&league, "let y = (1 +\n")?;
    assert_eq!(code, Some(1));
    assert!(err.contains("script is incomplete"), "{err}");
    Ok(())
}

/// At a terminal (a real pty, as a person types): Enter inside an open
/// bracket goes on with the input, Tab completes the query API and the
/// fields of a value, and a second Tab lists the candidates of an
/// ambiguous word.
#[test]
fn repl_at_a_terminal_continues_open_brackets_and_completes() -> TestResult {
    let t = TempTree::new();
    let league = rhai_example_league(&t);
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("umpire"));
    cmd.args(["repl", "--league"])
        .arg(&league)
        .arg("--history")
        .arg(t.path().join("history"))
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .env("TERM", "xterm");
    let mut p = rexpect::session::spawn_command(cmd, Some(60_000))?;
    // The editor drops what was typed before it took the terminal: each
    // input waits for the prompt after the last one's answer, and a moment
    // more (no figure is measured).
    let prompt = |p: &mut rexpect::session::PtySession| -> Result<(), rexpect::error::Error> {
        p.exp_string("umpire> ")?;
        std::thread::sleep(std::time::Duration::from_millis(300));
        Ok(())
    };
    p.exp_string("`:help` for commands")?;
    prompt(&mut p)?;
    // A function over three lines: nothing is evaluated until `}`.
    p.send_line("fn twice(x) {")?;
    p.send_line("  x * 2")?;
    p.send_line("} twice(21)")?;
    p.exp_string("42")?;
    prompt(&mut p)?;
    p.send_line("let game = schedule.game(\"R14-PHX-SLC\"); game.id")?;
    p.exp_string("\"R14-PHX-SLC\"")?;
    prompt(&mut p)?;
    // A field of a value, completed.
    p.send("game.sta")?;
    p.send("\t")?;
    p.send_line("")?;
    p.exp_string("2026-05-11")?;
    prompt(&mut p)?;
    // An ambiguous word: a second Tab lists what it could be.
    p.send("schedule.games_o")?;
    p.send("\t")?;
    p.send("\t")?;
    p.flush()?;
    let listed = p.exp_string("games_on(")?;
    assert!(listed.contains("games_of("), "{listed}");
    p.send_control('u')?;
    p.send_control('d')?;
    p.exp_eof()?;
    Ok(())
}

/// A rule that does not compile is blamed on its own file, where the
/// bracket opens, not on the fixture that loads it.
#[test]
fn test_blames_a_broken_rule_on_its_file_not_the_fixture() -> TestResult {
    let t = TempTree::new();
    t.rule(
        "p",
        "game",
        "soft",
        "",
        "let a = 1;\nif a > 0 {\n  pass()\n",
    );
    let f = t.write(
        "plugins/tests/p.test.toml",
        "constraint = \"p\"\n[[case]]\nname = \"x\"\ngame = \"R14-PHX-SLC\"\nexpect = \"passed\"\n",
    );
    let (code, stdout, stderr) = test_cmd(&[&f])?;
    assert_eq!(code, Some(2), "{stdout}\n{stderr}");
    let rule = t.path().join("plugins/p.rhai");
    let want = format!("error: {}:2:10: this `{{` is never closed", rule.display());
    assert!(stderr.contains(&want), "want {want:?} in\n{stderr}");
    assert!(!stderr.contains("p.test.toml"), "{stderr}");
    Ok(())
}

/// `:load` binds the manifest's `params` (for a script, the manifest that
/// runs it) and a chosen game, so a rule's lines can be tried as it runs.
#[test]
fn repl_load_binds_params_and_a_game() -> TestResult {
    let root = workspace_root();
    let league = root.join("examples/leagues/pacific-atlantic");
    let manifest = root.join("plugins/rhai/min_rest_days.toml");
    let script = root.join("plugins/rhai/local_kickoff_window.rhai");
    let input = format!(
        ":load {} R14-PHX-SLC\nparams.min_days\ngame.home\n:load {} R01-TOR-SDG\nparams.earliest\n",
        manifest.display(),
        script.display()
    );
    let (code, out, err) = repl(&league, &input)?;
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("bound `params` of min-rest-days and `game` = R14-PHX-SLC\n2\n\"PHX\"\n"),
        "{out}"
    );
    assert!(
        out.contains("bound `params` of local-kickoff-window and `game` = R01-TOR-SDG\n"),
        "{out}"
    );
    let (code, _, err) = repl(&league, &format!(":load {} NOPE\n", manifest.display()))?;
    assert_eq!(code, Some(1));
    assert!(err.contains("no game `NOPE` in the schedule"), "{err}");
    Ok(())
}

/// `umpire test --watch` runs the fixtures again when a rule changes.
#[test]
fn test_watch_runs_again_when_a_rule_changes() -> TestResult {
    use std::io::BufRead;
    let t = TempTree::new();
    let rule = t.rule(
        "p",
        "game",
        "soft",
        "",
        "if game.home == \"PHX\" { return violation(\"minor\", \"phx\"); }\npass()\n",
    );
    let script = rule.with_extension("rhai");
    t.write(
        "plugins/tests/p.test.toml",
        "constraint = \"p\"\n[[case]]\nname = \"flagged\"\ngame = \"R14-DEN-CHI\"\nexpect = \"violated\"\n",
    );
    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("umpire"))
        .args(["test", "--no-build", "--watch"])
        .arg(t.path().join("plugins"))
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()?;
    let stdout = child.stdout.take().ok_or("stdout")?;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let wait_for = |what: &str| -> Result<(), String> {
        let until = std::time::Instant::now() + std::time::Duration::from_secs(60);
        loop {
            let left = until.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(line) if line.contains(what) => return Ok(()),
                Ok(_) => {}
                Err(_) => return Err(format!("never saw {what:?}")),
            }
        }
    };
    let first = wait_for("0 passed, 1 failed").and_then(|()| wait_for("watching "));
    // The rule now flags every game: the case passes on the next run.
    std::fs::write(&script, "violation(\"minor\", \"every game\")\n")?;
    let second = first.clone().and_then(|()| wait_for("1 passed, 0 failed"));
    let _ = child.kill();
    let _ = child.wait();
    first?;
    second?;
    Ok(())
}
