//! A server to aim at, a harness file to run, and the report to read.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub(crate) type TestResult = Result<(), Box<dyn std::error::Error>>;

/// The repository's root.
pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("harness/ has a parent")
        .to_path_buf()
}

/// The `umpire` binary beside the harness (built by `cargo test
/// --workspace`).
pub(crate) fn umpire_bin() -> PathBuf {
    let harness = assert_cmd::cargo::cargo_bin("umpire-harness");
    let umpire = harness.with_file_name("umpire");
    assert!(
        umpire.is_file(),
        "{} is missing: run the tests with `cargo test --workspace`, or `cargo build -p umpire` first",
        umpire.display()
    );
    umpire
}

/// The harness binary, with the umpire binary named and run from the root.
pub(crate) fn harness() -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::cargo_bin("umpire-harness").expect("the harness binary");
    cmd.current_dir(root())
        .arg("--umpire")
        .arg(umpire_bin())
        .env("UMPIRE_LOG", "warn")
        .timeout(Duration::from_secs(240));
    cmd
}

/// A running `umpire serve` on the example league, killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) url: String,
}

impl Server {
    pub(crate) fn start(env: &[(&str, &str)]) -> Self {
        let mut cmd = Command::new(umpire_bin());
        cmd.current_dir(root())
            .args([
                "serve",
                "--bind",
                "127.0.0.1:0",
                "--config",
                "configs/default.toml",
            ])
            .args(["--league", "examples/leagues/pacific-atlantic"])
            .env("UMPIRE_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("umpire serve starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout"))
            .read_line(&mut line)
            .expect("a line from umpire serve");
        let url = line
            .trim()
            .strip_prefix("umpire: listening on ")
            .unwrap_or_else(|| panic!("not an address line: {line:?}"))
            .to_owned();
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let until = Instant::now() + Duration::from_secs(120);
        loop {
            let ready = agent
                .get(format!("{url}/readyz"))
                .call()
                .is_ok_and(|r| r.status() == 200);
            if ready {
                break;
            }
            assert!(Instant::now() < until, "the server never got ready");
            std::thread::sleep(Duration::from_millis(50));
        }
        Self { child, url }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Writes a harness file into `dir` whose spawn table serves the example
/// league, followed by `profiles` (TOML), and returns its path.
pub(crate) fn harness_file(dir: &Path, profiles: &str) -> PathBuf {
    let league = root().join("examples/leagues/pacific-atlantic");
    let text = format!(
        "[spawn]\nleagues = [{:?}]\nready_timeout_s = 240\n\n[workload]\npool = 64\nbatch_games = 4\nstream_games = 5\n\n{profiles}",
        league.display().to_string()
    );
    let path = dir.join("harness.toml");
    std::fs::write(&path, text).expect("write the harness file");
    path
}

/// The report.json of a run.
pub(crate) fn report(dir: &Path) -> Value {
    let text = std::fs::read_to_string(dir.join("report.json")).expect("report.json written");
    serde_json::from_str(&text).expect("report.json is JSON")
}

/// The checks of a report by name: (pass, actual).
pub(crate) fn check<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .expect("checks")
        .iter()
        .find(|c| c["name"] == name)
        .unwrap_or_else(|| panic!("no check `{name}` in {:#}", report["checks"]))
}
