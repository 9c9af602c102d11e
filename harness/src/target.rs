//! The server under load: one already running (`--target URL`), or one the
//! harness starts (`--spawn CONFIG`) on a free loopback port, waits for,
//! samples and stops.

use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::profile::{ConfigError, HarnessFile};

/// The target did not answer, or the server would not start: exit 3.
#[derive(Debug)]
pub(crate) struct Unreachable(pub(crate) String);

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Unreachable {}

/// The server the load goes to.
#[derive(Debug)]
pub(crate) struct Target {
    /// Its base URL, without a trailing slash.
    pub(crate) url: String,
    /// The process, when the harness started it.
    pub(crate) child: Option<Child>,
}

/// A short-lived HTTP agent for the harness's own calls.
pub(crate) fn agent(timeout: Duration) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .build()
        .into()
}

impl Target {
    /// A server already running: it must answer `/healthz` at once and
    /// `/readyz` within `ready`.
    pub(crate) fn remote(url: &str, ready: Duration) -> Result<Self, Unreachable> {
        let url = url.trim_end_matches('/').to_owned();
        if !url.starts_with("http://") {
            return Err(Unreachable(format!(
                "--target {url}: give an http:// URL (the harness speaks plain HTTP)"
            )));
        }
        let target = Self { url, child: None };
        let health = agent(Duration::from_secs(5))
            .get(&format!("{}/healthz", target.url))
            .call();
        match health {
            Ok(r) if r.status().is_success() => {}
            Ok(r) => {
                return Err(Unreachable(format!(
                    "{}/healthz answered {}",
                    target.url,
                    r.status()
                )));
            }
            Err(e) => {
                return Err(Unreachable(format!("{} does not answer: {e}", target.url)));
            }
        }
        target.wait_ready(ready)?;
        Ok(target)
    }

    /// Starts `umpire serve --config CONFIG --bind 127.0.0.1:0` with the
    /// harness file's leagues, reads the address it prints, and waits for
    /// `/readyz`.
    pub(crate) fn spawn(
        umpire: &Path,
        config: &Path,
        harness: &HarnessFile,
        env: &[(String, String)],
        out_dir: &Path,
    ) -> anyhow::Result<Self> {
        if !config.is_file() {
            return Err(
                ConfigError(format!("--spawn {}: no such config file", config.display())).into(),
            );
        }
        let mut command = Command::new(umpire);
        command
            .arg("serve")
            .arg("--config")
            .arg(config)
            .args(["--bind", "127.0.0.1:0"]);
        for league in &harness.spawn.leagues {
            command.arg("--league").arg(harness.dir.join(league));
        }
        if let Some(generated) = &harness.spawn.generated {
            let dir = out_dir.join("generated");
            let mut make = Command::new(umpire);
            make.args(["generate", "--teams", &generated.teams.to_string()])
                .args(["--games", &generated.games.to_string()])
                .args(["--seed", &generated.seed.to_string()])
                .arg("--out")
                .arg(&dir);
            for plugins in &generated.plugins {
                let abs = std::path::absolute(harness.dir.join(plugins))?;
                make.arg("--plugins").arg(abs);
            }
            let status = make
                .stdout(Stdio::null())
                .status()
                .map_err(|e| Unreachable(format!("cannot run {}: {e}", umpire.display())))?;
            if !status.success() {
                return Err(Unreachable(format!(
                    "`umpire generate` for the synthetic league failed ({status})"
                ))
                .into());
            }
            command.arg("--league").arg(&dir);
        }
        // A server builds no plugin unless its config says so; build the
        // spawned leagues' plugins first, as a developer would
        // (`umpire constraints` builds what is stale).
        let leagues: Vec<std::path::PathBuf> = command
            .get_args()
            .collect::<Vec<_>>()
            .windows(2)
            .filter(|w| w[0] == "--league")
            .map(|w| std::path::PathBuf::from(w[1]))
            .collect();
        for league in leagues {
            let status = Command::new(umpire)
                .arg("constraints")
                .arg("--league")
                .arg(&league)
                .stdout(Stdio::null())
                .status()
                .map_err(|e| Unreachable(format!("cannot run {}: {e}", umpire.display())))?;
            if !status.success() {
                return Err(Unreachable(format!(
                    "the plugins of {} do not build or load ({status}); see the error above",
                    league.display()
                ))
                .into());
            }
        }
        if let Some(workers) = harness.spawn.workers {
            command.args(["--workers", &workers.to_string()]);
        }
        let log = out_dir.join("server.log");
        let stderr = std::fs::File::create(&log)?;
        command
            .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(stderr);
        let mut child = command.spawn().map_err(|e| {
            Unreachable(format!(
                "cannot start {}: {e} (build it with `cargo build -p umpire`, or pass --umpire PATH)",
                umpire.display()
            ))
        })?;
        // The server prints its address once it answers; keep reading its
        // stdout afterwards so it never blocks on a full pipe.
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("umpire: listening on ")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(addr.trim().to_owned());
                }
            }
        });
        let ready = Duration::from_secs(harness.spawn.ready_timeout_s);
        let url = match rx.recv_timeout(ready) {
            Ok(url) => url,
            Err(_) => {
                let _ = child.kill();
                let status = child.wait().ok();
                return Err(Unreachable(format!(
                    "the server did not start listening within {}s{}; see {}",
                    ready.as_secs(),
                    status.map_or(String::new(), |s| format!(" (it exited: {s})")),
                    log.display()
                ))
                .into());
            }
        };
        let mut target = Self {
            url,
            child: Some(child),
        };
        if let Err(e) = target.wait_ready(ready) {
            target.stop();
            return Err(e.into());
        }
        Ok(target)
    }

    /// Polls `/readyz` until it says 200.
    fn wait_ready(&self, within: Duration) -> Result<(), Unreachable> {
        let started = Instant::now();
        let agent = agent(Duration::from_secs(5));
        loop {
            match agent.get(&format!("{}/readyz", self.url)).call() {
                Ok(r) if r.status().is_success() => return Ok(()),
                _ if started.elapsed() > within => {
                    return Err(Unreachable(format!(
                        "{}/readyz did not say ready within {}s",
                        self.url,
                        within.as_secs()
                    )));
                }
                _ => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// The server's process id, when the harness started it.
    pub(crate) fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Stops a spawned server with SIGTERM (it drains, then exits), or
    /// kills it after 30 s. Says how it ended.
    pub(crate) fn stop(&mut self) -> Option<String> {
        let mut child = self.child.take()?;
        let pid = rustix::process::Pid::from_child(&child);
        let _ = rustix::process::kill_process(pid, rustix::process::Signal::TERM);
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            match child.try_wait() {
                Ok(Some(status)) => return Some(status.to_string()),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    return Some("killed after 30 s without exiting on SIGTERM".into());
                }
            }
        }
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The resident memory of a process, MB, from `/proc`.
pub(crate) fn rss_of(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    let kb: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb / 1024.0)
}

/// The resident memory the server reports in `/v1/stats`, MB.
pub(crate) fn rss_from_stats(agent: &ureq::Agent, url: &str) -> Option<f64> {
    let mut response = agent.get(&format!("{url}/v1/stats")).call().ok()?;
    if !response.status().is_success() {
        return None;
    }
    let text = response.body_mut().read_to_string().ok()?;
    let stats: serde_json::Value = serde_json::from_str(&text).ok()?;
    stats.get("rss_mb")?.as_f64()
}

/// Finds the `umpire` binary: `--umpire`, `UMPIRE_BIN`, beside this
/// binary (the same cargo target directory), or on the PATH.
pub(crate) fn find_umpire(given: Option<&Path>) -> PathBuf {
    if let Some(path) = given {
        return path.to_path_buf();
    }
    if let Some(path) = std::env::var_os("UMPIRE_BIN") {
        return PathBuf::from(path);
    }
    if let Ok(exe) = std::env::current_exe() {
        // target/debug/umpire-harness, or target/debug/deps/... for tests.
        for dir in exe.ancestors().skip(1).take(2) {
            let candidate = dir.join("umpire");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    PathBuf::from("umpire")
}
