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
    // Where UMPIRE_ROBINX_BENCHMARK says, or `shared/robinx` next to the
    // checkout or one of its ancestors, or this machine family's
    // `/work/shared/robinx`.
    let found = std::env::var_os("UMPIRE_ROBINX_BENCHMARK")
        .map(PathBuf::from)
        .into_iter()
        .chain(
            workspace_root()
                .ancestors()
                .map(|a| a.join("shared/robinx"))
                .collect::<Vec<_>>(),
        )
        .chain([PathBuf::from("/work/shared/robinx")])
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

/// The first row of each family in the shipped sample: `(instance,
/// solution)` paths.
fn one_per_family() -> Vec<(PathBuf, PathBuf)> {
    let dir = sample();
    let text = std::fs::read_to_string(dir.join("expected.tsv")).expect("the sample's rows");
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for line in text.lines().skip(1) {
        let cols: Vec<&str> = line.split('\t').collect();
        if cols.len() == 7 && cols[3] == "scored" && seen.insert(cols[0].to_owned()) {
            out.push((
                dir.join("instances").join(cols[1]),
                dir.join("solutions").join(cols[2]),
            ));
        }
    }
    assert_eq!(out.len(), 8, "a scored row of each of the eight families");
    out
}

/// What a mangled input may give: an error naming the file, a validator
/// no-result saying why, or a score. A plugin failure of any other kind (a
/// trap, a timeout, an answer the host refused) is a defect.
fn judged(instance: (&str, &str), solution: (&str, &str), pack: &Pack) {
    let (iname, itext) = instance;
    let (sname, stext) = solution;
    let i = match Instance::from_xml_str(Path::new(iname), itext) {
        Ok(i) => i,
        Err(e) => {
            assert!(e.to_string().starts_with(iname), "{e}");
            return;
        }
    };
    for note in &i.notes {
        assert!(note.to_string().starts_with(iname), "{note}");
    }
    let scorer = Scorer::new(&i, pack, Host::Wasm, &LoadOptions::default())
        .unwrap_or_else(|e| panic!("{iname}: a read instance builds its constraints: {e}"));
    let sol = match Solution::from_xml_str(Path::new(sname), stext, &i) {
        Ok(s) => s,
        Err(e) => {
            assert!(e.to_string().starts_with(sname), "{e}");
            return;
        }
    };
    let schedule = Arc::new(
        sol.schedule(scorer.league())
            .expect("a read solution is a schedule"),
    );
    let score = scorer.score(&schedule);
    for f in score.failures() {
        let message = f.message.as_deref().unwrap_or_default();
        assert!(
            message.contains("the validator gives no result"),
            "{iname} / {sname}: {} failed otherwise than a validator no-result: {message}",
            f.constraint
        );
    }
}

#[test]
fn mangled_files_of_every_family_are_refused_naming_the_file_or_scored() -> TestResult {
    let pack = pack();
    let rows = one_per_family();
    let texts: Vec<(String, String)> = rows
        .iter()
        .map(|(i, s)| Ok((std::fs::read_to_string(i)?, std::fs::read_to_string(s)?)))
        .collect::<std::io::Result<_>>()?;
    for (k, (itext, stext)) in texts.iter().enumerate() {
        let (other_i, other_s) = &texts[(k + 1) % texts.len()];
        let half = |t: &str| t[..t.len() / 2].to_owned();
        let spliced = |t: &str, piece: &str| {
            let at = t.len() / 3;
            format!(
                "{}{}{}",
                &t[..at],
                &piece[piece.len() / 4..piece.len() / 2],
                &t[at..]
            )
        };
        // Cut, spliced, a solution for another family's instance.
        judged(("cut.xml", &half(itext)), ("s.xml", stext), &pack);
        judged(("i.xml", itext), ("cut.xml", &half(stext)), &pack);
        judged(
            ("spliced.xml", &spliced(itext, other_i)),
            ("s.xml", stext),
            &pack,
        );
        judged(
            ("i.xml", itext),
            ("spliced.xml", &spliced(stext, other_s)),
            &pack,
        );
        judged(("i.xml", itext), ("other.xml", other_s), &pack);
        // Wrong ids: a slot, a team and a league that do not exist.
        judged(
            ("i.xml", itext),
            ("slot.xml", &stext.replacen("slot=\"", "slot=\"9", 3)),
            &pack,
        );
        judged(
            ("i.xml", itext),
            ("team.xml", &stext.replacen("home=\"", "home=\"7", 2)),
            &pack,
        );
        judged(
            ("league.xml", &itext.replacen("league=\"", "league=\"9", 1)),
            ("s.xml", stext),
            &pack,
        );
        judged(
            ("teams.xml", &itext.replacen("teams=\"", "teams=\"99;", 2)),
            ("s.xml", stext),
            &pack,
        );
    }
    Ok(())
}

/// A 50 MB solution (a real one, then a million repeated matches, which the
/// validator drops) is read and scored, and a 50 MB instance of constraint
/// elements is refused with a bound it names; neither crashes or hangs.
#[test]
fn fifty_megabyte_files_are_scored_or_refused_with_a_bound() -> TestResult {
    let dir = sample();
    let t = crate::support::TempTree::new();
    let instance = dir.join("instances/ITC2021/ITC2021_Test2.xml");
    let solution = std::fs::read_to_string(dir.join("solutions/ITC2021/ITC2021_Test2_SolIP.xml"))?;
    let repeat = "<ScheduledMatch home=\"0\" away=\"1\" slot=\"0\"/>\n";
    let at = solution.rfind("</Games>").expect("a <Games> element");
    let big = format!(
        "{}{}{}",
        &solution[..at],
        repeat.repeat(50_000_000 / repeat.len()),
        &solution[at..]
    );
    let big_solution = t.write("big-solution.xml", &big);
    drop(big);
    let out = umpire()
        .args(["robinx", "--format", "json", "--instance"])
        .arg(&instance)
        .arg("--solution")
        .arg(&big_solution)
        .output()?;
    assert!(matches!(out.status.code(), Some(0 | 1)), "{out:?}");
    let body: serde_json::Value = serde_json::from_slice(&out.stdout)?;
    assert_eq!(body["hard_violations"], 0, "the repeats are dropped");

    let text = std::fs::read_to_string(&instance)?;
    let element = "<CA1 teams=\"0\" slots=\"0\" mode=\"H\" min=\"0\" max=\"1\" type=\"SOFT\" penalty=\"1\"/>\n";
    let at = text
        .find("</CapacityConstraints>")
        .expect("a capacity section");
    let big = format!(
        "{}{}{}",
        &text[..at],
        element.repeat(50_000_000 / element.len()),
        &text[at..]
    );
    let big_instance = t.write("big-instance.xml", &big);
    drop(big);
    let out = umpire()
        .args(["robinx", "--instance"])
        .arg(&big_instance)
        .arg("--solution")
        .arg(dir.join("solutions/ITC2021/ITC2021_Test2_SolIP.xml"))
        .output()?;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("big-instance.xml") && err.contains("at most"),
        "{err}"
    );
    Ok(())
}
