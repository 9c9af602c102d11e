//! `umpire generate`: a synthetic league the engine accepts, deterministic
//! for a seed.

use std::path::Path;

use serde_json::Value;
use umpire::{League, Schedule, generate::GenerateOptions};

use crate::support::{TempTree, TestResult, example_plugins, rhai_plugins, umpire, wasm_plugins};

fn generate(out: &Path, seed: u64, teams: u32, games: u32) {
    umpire()
        .args([
            "generate",
            "--teams",
            &teams.to_string(),
            "--games",
            &games.to_string(),
        ])
        .args(["--seed", &seed.to_string(), "--out"])
        .arg(out)
        .arg("--plugins")
        .arg(rhai_plugins())
        .arg("--plugins")
        .arg(wasm_plugins())
        .assert()
        .code(0)
        .stdout(predicates::str::contains("wrote "));
}

#[test]
fn a_generated_league_evaluates_with_the_example_plugins() -> TestResult {
    let t = TempTree::new();
    generate(t.path(), 3, 20, 500);
    let out = umpire()
        .args(["eval", "--format", "json", "--league"])
        .arg(t.path())
        .output()?;
    let code = out.status.code();
    assert!(
        matches!(code, Some(0 | 1)),
        "exit {code:?}; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout)?;
    let s = &report["summary"];
    assert_eq!(s["games"], 500);
    assert_eq!(s["constraints"], 10);
    assert_eq!(s["errors"], 0, "every example rule runs on generated data");
    // The exit code follows validity.
    assert_eq!(code == Some(0), s["valid"] == true);
    Ok(())
}

#[test]
fn the_generated_files_hold_the_requested_teams_and_games() -> TestResult {
    let t = TempTree::new();
    generate(t.path(), 5, 7, 40);
    let league = League::load(t.path())?;
    assert_eq!(league.teams.len(), 7);
    assert_eq!(league.plugin_dirs, example_plugins());
    let schedule = Schedule::load(
        league.schedule_file.as_deref().ok_or("a schedule")?,
        &league,
    )?;
    assert_eq!(schedule.len(), 40);
    // Each round, no team plays twice.
    let mut rounds: std::collections::BTreeMap<u32, Vec<&str>> = Default::default();
    for g in schedule.games() {
        let r = rounds
            .entry(g.round.ok_or("rounds are numbered")?)
            .or_default();
        for team in [&*g.home, &*g.away] {
            assert!(
                !r.contains(&team),
                "{team} plays twice in round {:?}",
                g.round
            );
            r.push(team);
        }
    }
    Ok(())
}

#[test]
fn the_same_seed_gives_byte_identical_files() -> TestResult {
    let (a, b) = (TempTree::new(), TempTree::new());
    generate(a.path(), 11, 12, 120);
    generate(b.path(), 11, 12, 120);
    for file in ["league.toml", "schedule.json"] {
        assert_eq!(
            std::fs::read(a.path().join(file))?,
            std::fs::read(b.path().join(file))?,
            "{file}"
        );
    }
    Ok(())
}

#[test]
fn different_seeds_give_different_schedules() -> TestResult {
    let (a, b) = (TempTree::new(), TempTree::new());
    generate(a.path(), 1, 12, 120);
    generate(b.path(), 2, 12, 120);
    // The league's name carries the seed, so compare what is random: the
    // schedule (kickoffs, TV picks) and the venues' blackouts.
    assert_ne!(
        std::fs::read(a.path().join("schedule.json"))?,
        std::fs::read(b.path().join("schedule.json"))?
    );
    let blackouts = |dir: &Path| -> Result<Vec<String>, umpire::Error> {
        Ok(League::load(dir)?
            .venues
            .iter()
            .flat_map(|v| {
                v.blackouts
                    .iter()
                    .map(move |b| format!("{} {}", v.id, b.from))
            })
            .collect())
    };
    assert_ne!(blackouts(a.path())?, blackouts(b.path())?);
    Ok(())
}

#[test]
fn one_team_is_a_usage_error() {
    let t = TempTree::new();
    umpire()
        .args(["generate", "--teams", "1", "--games", "10", "--out"])
        .arg(t.path())
        .assert()
        .code(2)
        .stderr(predicates::str::contains("--teams"));
    assert!(!t.path().join("league.toml").exists(), "nothing is written");
}

#[test]
fn zero_games_is_a_usage_error() {
    let t = TempTree::new();
    umpire()
        .args(["generate", "--games", "0", "--out"])
        .arg(t.path())
        .assert()
        .code(2);
}

#[test]
fn the_library_refuses_fewer_than_two_teams_or_no_games() {
    let t = TempTree::new();
    let options = |teams, games| GenerateOptions {
        teams,
        games,
        seed: 1,
        plugins: vec![],
    };
    assert!(umpire::generate::generate(&options(1, 10), t.path()).is_err());
    assert!(umpire::generate::generate(&options(4, 0), t.path()).is_err());
    assert!(!t.path().join("league.toml").exists());
    let path = umpire::generate::generate(&options(3, 5), t.path()).unwrap();
    assert_eq!(path, t.path().join("league.toml"));
}
