//! RobinX conformance: every row of the shipped sample
//! (`examples/robinx/expected.tsv`, a few solutions of every family) and
//! every hand-made case (`examples/robinx/cases`, one rule or pitfall each)
//! scores exactly the validator's two numbers, or gives no result where the
//! validator gives none; with the whole public benchmark present next to
//! the checkout (`../shared/robinx`, as on CI), every one of its rows too.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use umpire::registry::LoadOptions;
use umpire::robinx::{Host, Instance, Pack, Scorer, Solution};

use crate::support::{TestResult, umpire, workspace_root};

fn sample() -> PathBuf {
    workspace_root().join("examples/robinx")
}

fn pack() -> Pack {
    Pack::load(&Pack::default_dir()).expect("the pack in plugins/robinx")
}

/// What scoring a solution gives: both numbers, or no result and why.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    Scored(i64, i64),
    NoResult(String),
}

impl Outcome {
    fn same(&self, other: &Outcome) -> bool {
        match (self, other) {
            (Outcome::Scored(a, b), Outcome::Scored(c, d)) => (a, b) == (c, d),
            (Outcome::NoResult(_), Outcome::NoResult(_)) => true,
            _ => false,
        }
    }
}

/// Scores solutions, reading and building each instance once while its
/// rows follow each other (one scorer at a time: each holds an instance of
/// the component, and the engine's pool has room for a thousand).
struct Bench {
    pack: Pack,
    scorers: HashMap<PathBuf, Result<(Instance, Scorer), String>>,
}

impl Bench {
    fn new() -> Self {
        Self {
            pack: pack(),
            scorers: HashMap::new(),
        }
    }

    fn score(&mut self, instance: &Path, solution: &Path) -> Outcome {
        let pack = &self.pack;
        if !self.scorers.contains_key(instance) {
            self.scorers.clear();
        }
        let entry = self.scorers.entry(instance.to_owned()).or_insert_with(|| {
            let i = Instance::load(instance).map_err(|e| e.to_string())?;
            let s = Scorer::new(&i, pack, Host::Wasm, &LoadOptions::default())
                .map_err(|e| e.to_string())?;
            Ok((i, s))
        });
        let (i, s) = match entry {
            Ok(pair) => pair,
            Err(e) => return Outcome::NoResult(e.clone()),
        };
        let solution = match Solution::load(solution, i) {
            Ok(sol) => sol,
            Err(e) => return Outcome::NoResult(e.to_string()),
        };
        let schedule = match solution.schedule(s.league()) {
            Ok(sch) => Arc::new(sch),
            Err(e) => return Outcome::NoResult(e.to_string()),
        };
        let score = s.score(&schedule);
        if let Some(f) = score.failures().next() {
            return Outcome::NoResult(format!(
                "{}: {}",
                f.constraint,
                f.message.as_deref().unwrap_or("")
            ));
        }
        Outcome::Scored(score.hard_violations, score.objective)
    }
}

/// The rows of an `expected.tsv` of the benchmark's shape, scored; the rows
/// that differ from the validator.
fn conform(dir: &Path) -> Result<(usize, Vec<String>), Box<dyn std::error::Error>> {
    let text = std::fs::read_to_string(dir.join("expected.tsv"))?;
    let mut bench = Bench::new();
    let (mut rows, mut wrong) = (0, Vec::new());
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [_family, instance, solution, expect, hard, objective, _ms] = cols[..] else {
            panic!("a row of expected.tsv has 7 columns: {line}");
        };
        let want = match expect {
            "scored" => Outcome::Scored(hard.parse()?, objective.parse()?),
            "no-result" => Outcome::NoResult(String::new()),
            other => panic!("unknown expectation {other} in {line}"),
        };
        let got = bench.score(
            &dir.join("instances").join(instance),
            &dir.join("solutions").join(solution),
        );
        if !got.same(&want) {
            wrong.push(format!(
                "{solution} on {instance}: got {got:?}, validator {want:?}"
            ));
        }
        rows += 1;
    }
    Ok((rows, wrong))
}

fn assert_conforms(dir: &Path, at_least: usize) -> TestResult {
    let (rows, wrong) = conform(dir)?;
    assert!(rows >= at_least, "{} holds {rows} rows", dir.display());
    assert!(
        wrong.is_empty(),
        "{} of {rows} rows differ from the validator:\n{}",
        wrong.len(),
        wrong
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    Ok(())
}

#[test]
fn the_shipped_sample_of_every_family_scores_as_the_validator() -> TestResult {
    assert_conforms(&sample(), 36)
}

#[test]
fn the_whole_public_benchmark_scores_as_the_validator() -> TestResult {
    // `../shared/robinx` next to the checkout (or next to one of its
    // ancestors), or where UMPIRE_ROBINX_BENCHMARK says.
    let found = std::env::var_os("UMPIRE_ROBINX_BENCHMARK")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            workspace_root()
                .ancestors()
                .map(|a| a.join("shared/robinx"))
                .collect::<Vec<_>>(),
        )
        .find(|d| d.join("expected.tsv").is_file());
    let dir = found.unwrap_or_else(|| workspace_root().join("../shared/robinx"));
    if !dir.join("expected.tsv").is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI runs the whole RobinX benchmark, but {} is missing",
            dir.display()
        );
        use std::io::Write;
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: the whole RobinX benchmark is not next to this checkout ({}); the shipped sample is scored instead",
            dir.display()
        );
        return Ok(());
    }
    assert_conforms(&dir, 1795)
}

#[test]
fn every_hand_made_case_scores_as_the_validator() -> TestResult {
    let dir = sample().join("cases");
    let text = std::fs::read_to_string(dir.join("expected.tsv"))?;
    let mut bench = Bench::new();
    let (mut rows, mut wrong) = (0, Vec::new());
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let cols: Vec<&str> = line.split('\t').collect();
        let [case, _description, output, _exit] = cols[..] else {
            panic!("a case row has 4 columns: {line}");
        };
        let want = if output.starts_with("NO RESULT") {
            Outcome::NoResult(String::new())
        } else {
            let mut n = output.split_whitespace().map(str::parse::<i64>);
            match (n.next(), n.next()) {
                (Some(Ok(h)), Some(Ok(o))) => Outcome::Scored(h, o),
                _ => panic!("unreadable output in {line}"),
            }
        };
        let got = bench.score(
            &dir.join(format!("{case}.instance.xml")),
            &dir.join(format!("{case}.solution.xml")),
        );
        if !got.same(&want) {
            wrong.push(format!("{case}: got {got:?}, validator {want:?}"));
        }
        rows += 1;
    }
    assert_eq!(rows, 81, "every hand-made case is a row");
    assert!(
        wrong.is_empty(),
        "{} of {rows} cases differ:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    Ok(())
}

/// Several solutions of one instance in one process: a JSON array, the
/// instance read once, and the exit status of the worst (no result: 2).
#[test]
fn one_process_scores_several_solutions_and_says_why_one_has_no_result() -> TestResult {
    let dir = sample();
    let out = umpire()
        .args(["robinx", "--format", "json", "--instance"])
        .arg(dir.join("instances/TravelOptimization/CON4_Mirrored.xml"))
        .arg("--solution")
        .arg(dir.join("solutions/TravelOptimization/CON4_Mirrored_SolIP.xml"))
        .arg("--solution")
        .arg(dir.join("solutions/TravelOptimization/CON4_MirroredHistSol_26_8_2004.xml"))
        .output()?;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let body: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    let all = body.as_array().expect("an array for several solutions");
    assert_eq!(all.len(), 2);
    assert_eq!(all[0]["hard_violations"], 0);
    assert!(
        all[0]["objective"].as_i64().is_some_and(|o| o > 0),
        "{}",
        all[0]
    );
    assert!(all[1]["objective"].is_null());
    let why = all[1]["no_result"].as_str().unwrap_or_default();
    assert!(why.contains("CA3") && why.contains("window"), "{why}");

    // `umpire itc2021` is the same command.
    let out = umpire()
        .args(["itc2021", "--format", "json", "--instance"])
        .arg(dir.join("instances/ITC2021/ITC2021_Test2.xml"))
        .arg("--solution")
        .arg(dir.join("solutions/ITC2021/ITC2021_Test2_SolIP.xml"))
        .output()?;
    let body: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert!(body.is_object(), "one object for one solution");
    assert!(body["hard_violations"].is_i64());
    Ok(())
}
