//! The harness file (`configs/harness.toml`): what a spawned server serves,
//! how request bodies are drawn, what counts as a regression, and the
//! profiles, each a Goose test plan with its mix of requests, thresholds and
//! the judgement its shape calls for.
//!
//! Every table denies unknown keys, and every field has a default written
//! beside it, so a misspelt threshold is an error, never a silent pass.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Deserialize;

/// The whole file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HarnessFile {
    /// What `--spawn` serves.
    #[serde(default)]
    pub(crate) spawn: SpawnSettings,
    /// How request bodies are drawn.
    #[serde(default)]
    pub(crate) workload: Workload,
    /// What `--baseline` calls a regression.
    #[serde(default)]
    pub(crate) regression: Regression,
    /// The profiles by name.
    pub(crate) profiles: BTreeMap<String, Profile>,
    /// The directory of the file, which relative paths start from.
    #[serde(skip)]
    pub(crate) dir: PathBuf,
}

/// What a server started with `--spawn CONFIG` serves, beside the config's
/// own `[leagues]`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct SpawnSettings {
    /// League directories, relative to the harness file (default: none).
    pub(crate) leagues: Vec<PathBuf>,
    /// A synthetic league made with `umpire generate` in the output
    /// directory (default: none).
    pub(crate) generated: Option<Generated>,
    /// Seconds to wait for `/readyz` (default 180: the first start builds
    /// the WebAssembly plugins).
    pub(crate) ready_timeout_s: u64,
    /// `--workers` for the server (default: the server's own, one per core).
    pub(crate) workers: Option<usize>,
    /// More `UMPIRE_*` environment for the server (default: none).
    pub(crate) env: BTreeMap<String, String>,
}

impl Default for SpawnSettings {
    fn default() -> Self {
        Self {
            leagues: Vec::new(),
            generated: None,
            ready_timeout_s: 180,
            workers: None,
            env: BTreeMap::new(),
        }
    }
}

/// A synthetic league for a spawned server.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Generated {
    /// Teams (default 20).
    #[serde(default = "Generated::default_teams")]
    pub(crate) teams: u32,
    /// Games (default 380).
    #[serde(default = "Generated::default_games")]
    pub(crate) games: u32,
    /// Seed (default 7).
    #[serde(default = "Generated::default_seed")]
    pub(crate) seed: u64,
    /// Plugin directories the league lists, relative to the harness file.
    #[serde(default)]
    pub(crate) plugins: Vec<PathBuf>,
}

impl Generated {
    fn default_teams() -> u32 {
        20
    }
    fn default_games() -> u32 {
        380
    }
    fn default_seed() -> u64 {
        7
    }
}

/// How request bodies are drawn from the target's leagues.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Workload {
    /// Games in one batch request (default 16).
    pub(crate) batch_games: usize,
    /// Games in one stream request (default 32).
    pub(crate) stream_games: usize,
    /// Candidate moves in one moves request (default 20).
    pub(crate) moves_per_request: usize,
    /// Bodies prepared of each kind, drawn at random (default 512).
    pub(crate) pool: usize,
    /// Seed of the draw (default 1).
    pub(crate) seed: u64,
}

impl Default for Workload {
    fn default() -> Self {
        Self {
            batch_games: 16,
            stream_games: 32,
            moves_per_request: 20,
            pool: 512,
            seed: 1,
        }
    }
}

/// What `--baseline` calls a regression, in percent of the baseline.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Regression {
    /// p95 latency may rise this much (default 10).
    pub(crate) p95_pct: f64,
    /// p99 latency may rise this much (default 20).
    pub(crate) p99_pct: f64,
    /// Throughput may fall this much (default 10).
    pub(crate) rps_pct: f64,
    /// A latency rise smaller than this is noise, whatever its percentage
    /// (default 1 ms).
    pub(crate) min_delta_ms: f64,
}

impl Default for Regression {
    fn default() -> Self {
        Self {
            p95_pct: 10.0,
            p99_pct: 20.0,
            rps_pct: 10.0,
            min_delta_ms: 1.0,
        }
    }
}

/// The shape of a profile, which decides the judgement beyond the
/// whole-run thresholds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Shape {
    /// A plateau: only the thresholds.
    Steady,
    /// Rising load: the load at which the SLO first broke.
    Stress,
    /// A burst: the time to get back under the SLO after the peak.
    Spike,
    /// A long plateau: the drift of p95 and of the server's memory.
    Endurance,
}

/// One profile.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Profile {
    /// One line saying what it is for.
    #[serde(default)]
    pub(crate) description: String,
    /// The shape (default steady).
    #[serde(default = "Profile::default_shape")]
    pub(crate) shape: Shape,
    /// The Goose test plan: `users,duration;...` (duration in h/m/s).
    pub(crate) plan: String,
    /// The weights of the request kinds.
    pub(crate) mix: Mix,
    /// Whole-run thresholds.
    #[serde(default)]
    pub(crate) thresholds: Thresholds,
    /// The service level per second, for the shape's judgement.
    #[serde(default)]
    pub(crate) slo: Slo,
    /// A user's pause between requests, `[min, max]` ms (default none).
    #[serde(default)]
    pub(crate) think_ms: [u64; 2],
    /// A request's client-side timeout (default 10 s).
    #[serde(default = "Profile::default_timeout_s")]
    pub(crate) timeout_s: u64,
    /// Requests at most, whatever the plan (default 50,000,000).
    #[serde(default = "Profile::default_max_requests")]
    pub(crate) max_requests: u64,
    /// A shed user waits as long as `Retry-After` says, at most 5 s
    /// (default true, as a well-behaved client does).
    #[serde(default = "Profile::default_true")]
    pub(crate) honor_retry_after: bool,
    /// More `UMPIRE_*` environment for a spawned server (default none).
    #[serde(default)]
    pub(crate) spawn_env: BTreeMap<String, String>,
    /// Endurance: the start of the plateau left out of the drift judgement,
    /// as a duration (`3m`; default none). Caches fill and pools grow in
    /// the first minutes; drift is what happens after that.
    #[serde(default)]
    pub(crate) warmup: Option<String>,
}

impl Profile {
    fn default_shape() -> Shape {
        Shape::Steady
    }
    fn default_timeout_s() -> u64 {
        10
    }
    fn default_max_requests() -> u64 {
        50_000_000
    }
    fn default_true() -> bool {
        true
    }
}

/// The weights of the request kinds; at least one is above zero.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Mix {
    /// `POST /v1/evaluate`, a game of the schedule by id.
    pub(crate) evaluate: u32,
    /// `POST /v1/evaluate`, a game sent inline, moved by a few days.
    pub(crate) evaluate_inline: u32,
    /// `POST /v1/evaluate/batch`.
    pub(crate) batch: u32,
    /// `POST /v1/evaluate/stream`.
    pub(crate) stream: u32,
    /// `GET /v1/stats`.
    pub(crate) stats: u32,
    /// `POST /v1/leagues/{league}/moves`: `workload.moves_per_request`
    /// candidate moves, each a game moved a few days.
    pub(crate) moves: u32,
    /// `PATCH /v1/leagues/{league}/schedule`: one such move accepted.
    pub(crate) accept: u32,
}

/// Whole-run thresholds; a missing one is not checked.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Thresholds {
    /// p95 latency of answered requests, ms.
    pub(crate) p95_ms: Option<f64>,
    /// p99 latency of answered requests, ms.
    pub(crate) p99_ms: Option<f64>,
    /// Share of failed requests (neither answered nor shed; default 0).
    pub(crate) error_rate: Option<f64>,
    /// Answered requests per second over the run.
    pub(crate) min_rps: Option<f64>,
    /// Share of requests shed with 503 (default 0).
    pub(crate) max_shed_rate: Option<f64>,
    /// The server's resident memory at most, MB.
    pub(crate) max_rss_mb: Option<f64>,
    /// Spike: seconds after the peak to be back under the SLO.
    pub(crate) max_recovery_s: Option<f64>,
    /// Endurance: rise of p95 from the first to the last tenth of the
    /// plateau, percent.
    pub(crate) max_p95_drift_pct: Option<f64>,
    /// Endurance: rise of the server's memory over the plateau, percent.
    pub(crate) max_rss_drift_pct: Option<f64>,
    /// Stress: the SLO must hold at least up to this many answered
    /// requests per second.
    pub(crate) min_break_rps: Option<f64>,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            p95_ms: None,
            p99_ms: None,
            error_rate: Some(0.0),
            min_rps: None,
            max_shed_rate: Some(0.0),
            max_rss_mb: None,
            max_recovery_s: None,
            max_p95_drift_pct: None,
            max_rss_drift_pct: None,
            min_break_rps: None,
        }
    }
}

/// The service level one second must meet.
#[derive(Debug, Clone, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Slo {
    /// p95 latency of the second's answered requests, ms (default 50).
    pub(crate) p95_ms: f64,
    /// Share of the second's requests failed or shed (default 0.01).
    pub(crate) error_rate: f64,
    /// Consecutive seconds that decide (default 3).
    pub(crate) hold_s: u32,
}

impl Default for Slo {
    fn default() -> Self {
        Self {
            p95_ms: 50.0,
            error_rate: 0.01,
            hold_s: 3,
        }
    }
}

/// A wrong harness file or flag: says what and where.
#[derive(Debug)]
pub(crate) struct ConfigError(pub(crate) String);

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ConfigError {}

impl HarnessFile {
    /// Reads and checks the file.
    pub(crate) fn load(path: &Path) -> Result<Self, ConfigError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| ConfigError(format!("cannot read {}: {e}", path.display())))?;
        let mut file: HarnessFile =
            toml::from_str(&text).map_err(|e| ConfigError(format!("{}: {e}", path.display())))?;
        file.dir = path
            .parent()
            .map_or_else(|| PathBuf::from("."), Path::to_path_buf);
        for (name, profile) in &file.profiles {
            profile
                .check()
                .map_err(|e| ConfigError(format!("{}: profile `{name}`: {e}", path.display())))?;
        }
        if file.workload.batch_games == 0 || file.workload.stream_games == 0 {
            return Err(ConfigError(format!(
                "{}: workload: batch_games and stream_games must be at least 1",
                path.display()
            )));
        }
        Ok(file)
    }

    /// The profile of that name, or an error listing the others.
    pub(crate) fn profile(&self, name: &str) -> Result<&Profile, ConfigError> {
        self.profiles.get(name).ok_or_else(|| {
            let known: Vec<_> = self.profiles.keys().map(String::as_str).collect();
            ConfigError(format!(
                "no profile `{name}`; the harness file has: {}",
                known.join(", ")
            ))
        })
    }
}

impl Profile {
    fn check(&self) -> Result<(), String> {
        Plan::parse(&self.plan)?;
        let m = &self.mix;
        if m.evaluate + m.evaluate_inline + m.batch + m.stream + m.stats + m.moves + m.accept == 0 {
            return Err("mix: give at least one request kind a weight above 0".into());
        }
        if self.think_ms[0] > self.think_ms[1] {
            return Err(format!(
                "think_ms: [{}, {}] has its minimum above its maximum",
                self.think_ms[0], self.think_ms[1]
            ));
        }
        if self.timeout_s == 0 {
            return Err("timeout_s: must be at least 1".into());
        }
        if self.slo.hold_s == 0 {
            return Err("slo.hold_s: must be at least 1".into());
        }
        self.warmup_s()?;
        Ok(())
    }

    /// The warm-up in seconds (0 when none).
    pub(crate) fn warmup_s(&self) -> Result<u64, String> {
        match &self.warmup {
            None => Ok(0),
            Some(w) => parse_duration(w).map_err(|e| format!("warmup: {e}")),
        }
    }

    /// The warm-up, checked against the plan that will run (after
    /// `--duration`): it must leave at least half of the plateau to judge.
    pub(crate) fn warmup_within(&self, plan: &Plan) -> Result<u64, String> {
        let warmup = self.warmup_s()?;
        let (start, end) = plan.plateau();
        let plateau = end - start;
        if warmup > 0 && warmup * 2 > plateau {
            return Err(format!(
                "warmup: {warmup}s is more than half of the {plateau}s plateau, which would leave too little to judge drift on; shorten the warm-up or lengthen the plateau (--duration)"
            ));
        }
        Ok(warmup)
    }
}

/// A test plan: steps of (users to reach, seconds to get there or hold).
#[derive(Debug, Clone, PartialEq, serde::Serialize, Deserialize)]
pub(crate) struct Plan {
    /// The steps.
    pub(crate) steps: Vec<Step>,
}

/// One step of a plan.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, Deserialize)]
pub(crate) struct Step {
    /// Users at the end of the step.
    pub(crate) users: usize,
    /// Seconds the step lasts.
    pub(crate) secs: u64,
}

impl Plan {
    /// Parses `users,duration;...`, durations as [`parse_duration`] reads
    /// them: `1h`, `5m`, `30s` or combinations (`1m30s`), the form Goose
    /// takes.
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut steps = Vec::new();
        for (i, part) in text.split(';').enumerate() {
            let part = part.trim();
            let (users, duration) = part.split_once(',').ok_or_else(|| {
                format!("plan: step {} (`{part}`) is not `users,duration`", i + 1)
            })?;
            let users = users.trim().parse::<usize>().map_err(|_| {
                format!(
                    "plan: step {}: `{}` is not a number of users",
                    i + 1,
                    users.trim()
                )
            })?;
            let secs = parse_duration(duration.trim())
                .map_err(|e| format!("plan: step {}: {e}", i + 1))?;
            steps.push(Step { users, secs });
        }
        if steps.iter().all(|s| s.users == 0) {
            return Err("plan: no step has any users".into());
        }
        if steps.iter().map(|s| s.secs).sum::<u64>() == 0 {
            return Err("plan: it lasts no time at all".into());
        }
        Ok(Self { steps })
    }

    /// The plan as Goose takes it.
    pub(crate) fn to_goose(&self) -> String {
        self.steps
            .iter()
            .map(|s| format!("{},{}s", s.users, s.secs))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// Seconds in all.
    pub(crate) fn secs(&self) -> u64 {
        self.steps.iter().map(|s| s.secs).sum()
    }

    /// Users `t` seconds in (ramps are linear).
    pub(crate) fn users_at(&self, t: f64) -> f64 {
        let mut from = 0.0;
        let mut start = 0.0;
        for s in &self.steps {
            let end = start + s.secs as f64;
            if t < end {
                let f = (t - start) / s.secs as f64;
                return from + (s.users as f64 - from) * f;
            }
            from = s.users as f64;
            start = end;
        }
        from
    }

    /// The most users any step reaches.
    pub(crate) fn peak_users(&self) -> usize {
        self.steps.iter().map(|s| s.users).max().unwrap_or(0)
    }

    /// When the peak ends: the end of the last step that holds the most
    /// users, in seconds from the start.
    pub(crate) fn peak_end(&self) -> u64 {
        let peak = self.peak_users();
        let mut t = 0;
        let mut end = 0;
        for s in &self.steps {
            t += s.secs;
            if s.users == peak {
                end = t;
            }
        }
        end
    }

    /// The longest step that holds its users (the plateau): its start and
    /// end in seconds.
    pub(crate) fn plateau(&self) -> (u64, u64) {
        let mut from = 0;
        let mut t = 0;
        let mut best = (0, 0);
        for s in &self.steps {
            if s.users == from && s.users > 0 && s.secs > best.1 - best.0 {
                best = (t, t + s.secs);
            }
            from = s.users;
            t += s.secs;
        }
        best
    }

    /// Sets the plateau's length (`--duration`).
    pub(crate) fn with_plateau(mut self, secs: u64) -> Result<Self, String> {
        let (start, _) = self.plateau();
        let mut t = 0;
        let mut from = 0;
        for s in &mut self.steps {
            if t == start && s.users == from && s.users > 0 {
                s.secs = secs;
                return Ok(self);
            }
            from = s.users;
            t += s.secs;
        }
        Err("--duration: the plan has no step that holds its users".into())
    }
}

/// Parses a duration in whole seconds: plain seconds (`30`), or jiff's
/// friendly form, which takes what Goose plans write (`1h`, `5m`, `30s`,
/// `1m30s`) and spelt-out or spaced units as well (`1h 30m`, `90 mins`).
pub(crate) fn parse_duration(text: &str) -> Result<u64, String> {
    if let Ok(secs) = text.parse::<u64>() {
        return Ok(secs);
    }
    let duration: jiff::SignedDuration = text
        .parse()
        .map_err(|e| format!("`{text}` is not a duration, e.g. `30s`, `5m` or `1m30s` ({e})"))?;
    if duration.is_negative() {
        return Err(format!("`{text}` is negative; a duration is at least 0s"));
    }
    if duration.subsec_nanos() != 0 {
        return Err(format!(
            "`{text}` is not a whole number of seconds; plans count in seconds"
        ));
    }
    Ok(duration.as_secs().unsigned_abs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_parse_and_answer_users_peak_and_plateau() {
        let plan = Plan::parse("10,10s;10,1m;100,2s;100,8s;10,2s;10,30s;0,0s").unwrap();
        assert_eq!(plan.secs(), 112);
        assert_eq!(plan.users_at(5.0), 5.0);
        assert_eq!(plan.users_at(30.0), 10.0);
        assert_eq!(plan.users_at(71.0), 55.0);
        assert_eq!(plan.peak_users(), 100);
        assert_eq!(plan.peak_end(), 80);
        assert_eq!(plan.plateau(), (10, 70));
        assert_eq!(
            plan.to_goose(),
            "10,10s;10,60s;100,2s;100,8s;10,2s;10,30s;0,0s"
        );
        let longer = plan.with_plateau(1800).unwrap();
        assert_eq!(longer.plateau(), (10, 1810));
    }

    #[test]
    fn a_warm_up_must_leave_half_the_plateau() {
        let profile = |warmup: &str| -> Profile {
            toml::from_str(&format!(
                "shape = \"endurance\"\nplan = \"2,10s;2,10m;0,0s\"\nmix = {{ evaluate = 1 }}\nwarmup = \"{warmup}\"\n"
            ))
            .unwrap()
        };
        let plan = Plan::parse("2,10s;2,10m;0,0s").unwrap();
        assert_eq!(profile("3m").warmup_within(&plan), Ok(180));
        assert_eq!(profile("5m").warmup_within(&plan), Ok(300));
        let err = profile("6m").warmup_within(&plan).unwrap_err();
        assert!(
            err.contains("360s is more than half of the 600s plateau"),
            "{err}"
        );
        assert!(profile("soon").check().unwrap_err().starts_with("warmup:"));
        // --duration shortens the plateau under the warm-up.
        let short = plan.with_plateau(240).unwrap();
        assert!(profile("3m").warmup_within(&short).is_err());
    }

    #[test]
    fn bad_plans_say_which_step() {
        assert!(Plan::parse("10,5x").unwrap_err().contains("step 1"));
        assert!(Plan::parse("10,5s;ten,5s").unwrap_err().contains("step 2"));
        assert!(Plan::parse("10").unwrap_err().contains("users,duration"));
        assert!(Plan::parse("0,5s").unwrap_err().contains("no step"));
        assert_eq!(parse_duration("1h2m3s"), Ok(3723));
        assert!(parse_duration("5").is_ok());
        assert!(parse_duration("m").is_err());
        assert!(parse_duration("5m3").is_err());
    }

    /// Every form configs/harness.toml and docs/load-testing.md write, and
    /// the ones a plan in whole seconds cannot take.
    #[test]
    fn durations_parse_in_whole_seconds() {
        for (text, secs) in [
            ("0", 0),
            ("5", 5),
            ("0s", 0),
            ("2s", 2),
            ("30s", 30),
            ("1m", 60),
            ("3m", 180),
            ("30m", 1800),
            ("45m", 2700),
            ("2h", 7200),
            ("1m30s", 90),
            ("1h2m3s", 3723),
            ("1h 30m", 5400),
            ("90 mins", 5400),
        ] {
            assert_eq!(parse_duration(text), Ok(secs), "{text}");
        }
        for (text, says) in [
            ("", "is not a duration"),
            ("m", "is not a duration"),
            ("5m3", "is not a duration"),
            ("ten", "is not a duration"),
            ("-5m", "is negative"),
            ("1.5s", "whole number of seconds"),
        ] {
            let err = parse_duration(text).unwrap_err();
            assert!(err.contains(says), "{text}: {err}");
        }
    }
}
