//! What an operator sets in TOML, layered and composed: built-in defaults,
//! then the file given with `--config FILE`, then `UMPIRE_*` variables;
//! flags on the command line win over all three. Every table refuses keys it
//! does not know, and an error names the key and the file or variable.
//!
//! Each subsystem owns its table and reads it into checked values
//! (`[executor]` in `exec`, `[breaker]` in `breaker`, `[data]` in `data`,
//! `[cache]` in `cache`, `[plugins]` in `registry`); this module only
//! composes them, with the server's own tables (`[server]`, `[alerts]`,
//! `[leagues]`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format as _, Serialized, Toml};
use serde::{Deserialize, Serialize};

use crate::breaker::BreakerConfig;
use crate::cache::CacheConfig;
use crate::data::DataConfig;
use crate::error::{Error, Result};
use crate::exec::ExecutorConfig;
use crate::paths::ConfigPath;
use crate::registry::PluginsConfig;

/// One setting of the effective configuration and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Setting {
    /// Dotted key, `server.bind`.
    pub key: String,
    /// The value as JSON would write it (`(unset)` for none).
    pub value: String,
    /// `default`, the config file's path, or `env UMPIRE_...`.
    pub source: String,
}

/// The whole configuration.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// The worker pool and how it orders and cuts work.
    pub executor: ExecutorConfig,
    /// The circuit breaker every constraint gets.
    pub breaker: BreakerConfig,
    /// Named data sources plugins may ask.
    pub data: DataConfig,
    /// The verdict cache.
    pub cache: CacheConfig,
    /// `umpire serve`: the HTTP server.
    pub server: ServerConfig,
    /// The leagues a server loads at start, by the name requests use.
    pub leagues: BTreeMap<String, LeagueEntry>,
    /// When a server raises an alert (each threshold optional).
    pub alerts: AlertConfig,
    /// Plugins: when `[build]` commands run, and what a plugin may read
    /// and return.
    pub plugins: PluginsConfig,
    /// Several nodes serving the same leagues: schedules kept in Redis.
    /// Unset: each node keeps its schedules to itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<ClusterConfig>,
}

/// `[cluster]`: the leagues' schedules kept in Redis, so that every node
/// serves every league at its current version, and a write on one node is
/// what the others answer from next.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ClusterConfig {
    /// `redis://host:port/db`; unset: the Redis of `[cache.redis]`.
    pub url: Option<String>,
    /// Prefix of the cluster's keys (nodes with the same prefix share
    /// schedules).
    pub prefix: String,
    /// Timeout of connecting and of each command, in milliseconds.
    pub timeout_ms: u64,
    /// This node's name in `GET /v1/cluster`; unset: `HOSTNAME-PID`.
    pub node: Option<String>,
    /// How often a node says it is alive (and which plugins it runs), in
    /// milliseconds; a node silent for three of these is listed as gone.
    pub heartbeat_ms: u64,
}

impl Default for ClusterConfig {
    fn default() -> Self {
        Self {
            url: None,
            prefix: "umpire:cluster:".into(),
            timeout_ms: 200,
            node: None,
            heartbeat_ms: 1000,
        }
    }
}

impl ClusterConfig {
    /// The Redis URL: its own, else the cache's.
    pub fn url<'a>(&'a self, cache: &'a CacheConfig) -> Option<&'a str> {
        self.url
            .as_deref()
            .or(cache.redis.as_ref().map(|r| r.url.as_str()))
    }
}

/// Alert thresholds, checked every `interval_ms` over that window: an alert
/// is raised when its condition holds, listed in `/v1/stats` and logged,
/// and cleared (logged too) when a window passes without it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AlertConfig {
    /// The window and check period, in milliseconds.
    pub interval_ms: u64,
    /// A constraint's p95 latency over the window, in milliseconds.
    pub p95_ms: Option<f64>,
    /// A constraint's share of `error` verdicts over the window.
    pub error_rate: Option<f64>,
    /// A constraint's share of `timeout` verdicts over the window.
    pub timeout_rate: Option<f64>,
    /// Verdicts a constraint must have in the window for its rates to count.
    pub min_verdicts: u64,
    /// Alert while a constraint's breaker is not closed.
    pub breaker_open: bool,
    /// A league's executor queue, in tasks.
    pub queue_depth: Option<usize>,
    /// The process's resident memory, in MiB.
    pub rss_mb: Option<u64>,
}

impl Default for AlertConfig {
    fn default() -> Self {
        Self {
            interval_ms: 10_000,
            p95_ms: Some(100.0),
            error_rate: Some(0.05),
            timeout_rate: Some(0.05),
            min_verdicts: 20,
            breaker_open: true,
            queue_depth: Some(3072),
            rss_mb: Some(4096),
        }
    }
}

/// The HTTP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub bind: String,
    /// Largest request body, in KiB; a bigger one gets 413.
    pub body_limit_kb: usize,
    /// Requests in flight at most; one more gets 503 with `Retry-After`.
    pub concurrency: usize,
    /// How long a request may take, in milliseconds; then 503.
    pub request_timeout_ms: u64,
    /// Seconds a refused client is told to wait (`Retry-After`).
    pub retry_after_s: u64,
    /// Connections open at once at most; one more is answered 503 and
    /// closed at once, before its request is read.
    pub max_connections: usize,
    /// How long a client has to send a request's headers, in milliseconds;
    /// the same bound holds for a kept-alive connection waiting for its next
    /// request. Then the connection is closed.
    pub header_timeout_ms: u64,
    /// How long a client has to send a whole request body, in milliseconds;
    /// then 408. The body is read before a concurrency slot is taken, so a
    /// slow sender holds a connection, never a slot.
    pub body_timeout_ms: u64,
    /// How long a client may leave the next bytes of its answer untaken,
    /// in milliseconds: then its connection is closed and, for an NDJSON
    /// stream, the evaluation behind it cancelled.
    pub write_timeout_ms: u64,
    /// After SIGTERM, how long requests in flight get to finish, in
    /// milliseconds; then their connections are closed.
    pub shutdown_drain_ms: u64,
    /// Games one batch or stream request may name at most; more get 413.
    pub max_batch_games: usize,
    /// Candidate moves one `/v1/leagues/{league}/moves` request may carry
    /// at most; more get 413.
    pub max_moves: usize,
    /// NDJSON streams evaluating at once at most (each holds its games and
    /// up to `executor.stream_in_flight` reports); one more gets 503.
    pub max_streams: usize,
    /// Largest answer, in KiB; an evaluation whose answer would be bigger
    /// gets 413 naming the stream route (which has no such bound).
    pub max_answer_kb: usize,
    /// Bearer token for `/v1/admin/*`; without one, those routes answer 403.
    pub admin_token: Option<String>,
    /// Bearer token for writing schedules (`PUT` and `PATCH` of
    /// `/v1/leagues/{league}/schedule`); the admin token is taken too.
    /// Without either, writes are open to every client that can reach the
    /// server (and the server says so in its log at start).
    pub write_token: Option<String>,
    /// Watch the plugin directories and reload a league's plugins when one
    /// changes (a broken edit keeps the previous version serving).
    pub watch: bool,
    /// Log format: `text` or `json` (one object per line).
    pub log_format: LogFormat,
    /// Log level filter (`UMPIRE_LOG` wins), e.g. `info` or
    /// `umpire=debug,warn`.
    pub log_level: String,
    /// Append one NDJSON line per evaluation to this file: id, time, league,
    /// schedule version and fingerprint, the constraints' versions, and the
    /// outcome.
    pub decision_log: Option<ConfigPath>,
    /// When the decision log's lines reach the disk: `batch` (fsync after
    /// each batch of lines the writer takes from its queue), `always` (after
    /// every line), or `never` (the operating system decides).
    pub decision_log_sync: LogSync,
}

/// When the decision log calls fsync.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogSync {
    /// After each batch of queued lines is written.
    #[default]
    Batch,
    /// After every line.
    Always,
    /// Never: written, flushed to the operating system, not synced.
    Never,
}

/// How a server writes its log.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1:8080".into(),
            body_limit_kb: 8192,
            concurrency: 1024,
            request_timeout_ms: 10_000,
            retry_after_s: 1,
            max_connections: 4096,
            header_timeout_ms: 10_000,
            body_timeout_ms: 10_000,
            write_timeout_ms: 10_000,
            shutdown_drain_ms: 10_000,
            max_batch_games: 20_000,
            max_moves: 1_000,
            max_streams: 64,
            max_answer_kb: 262_144,
            admin_token: None,
            write_token: None,
            watch: true,
            log_format: LogFormat::Text,
            log_level: "info".into(),
            decision_log: None,
            decision_log_sync: LogSync::Batch,
        }
    }
}

/// A league a server loads: its directory (holding league.toml), more
/// plugin directories, and the schedule to start from (the league's own by
/// default); or, with `robinx`, a RobinX or ITC2021 instance served as a
/// league. Paths are relative to the config file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LeagueEntry {
    /// The league directory (unset for a RobinX league).
    #[serde(default)]
    pub dir: Option<ConfigPath>,
    /// More plugin directories, after the league's own.
    #[serde(default)]
    pub plugins: Vec<ConfigPath>,
    /// The schedule to start from.
    #[serde(default)]
    pub schedule: Option<ConfigPath>,
    /// A RobinX (or ITC2021) instance, its constraints on the RobinX
    /// plugin pack, instead of a league directory.
    #[serde(default)]
    pub robinx: Option<RobinxEntry>,
}

/// A RobinX instance served as a league: every element one constraint of
/// the pack, as `umpire robinx` scores it; a schedule's hard penalties are
/// the validator's infeasibility, its soft ones the objective.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RobinxEntry {
    /// The instance file.
    pub instance: ConfigPath,
    /// A solution to start from (none: an empty schedule).
    #[serde(default)]
    pub solution: Option<ConfigPath>,
    /// The plugin pack's directory (`plugins/robinx` of the checkout by
    /// default).
    #[serde(default)]
    pub pack: Option<ConfigPath>,
}

impl Config {
    /// The defaults, overlaid with `file` when given.
    pub fn load(file: Option<&Path>) -> Result<Self> {
        Self::load_with_sources(file).map(|(config, _)| config)
    }

    /// As [`Config::load`], with where each value came from, one
    /// [`Setting`] per leaf.
    pub fn load_explained(file: Option<&Path>) -> Result<(Self, Vec<Setting>)> {
        let (config, figment) = Self::load_with_sources(file)?;
        let value = serde_json::to_value(&config).unwrap_or_default();
        let mut leaves = Vec::new();
        flatten(&value, String::new(), &mut leaves);
        let explained = leaves
            .into_iter()
            .map(|(key, value)| {
                let source = match figment.find_metadata(&key) {
                    Some(m) if m.name.contains("environment") => {
                        format!("env {}", env_var_of(&key))
                    }
                    Some(m) => match &m.source {
                        Some(figment::Source::File(path)) => path.display().to_string(),
                        _ => "default".into(),
                    },
                    None => "default".into(),
                };
                let value = masked(&key, value);
                Setting { key, value, source }
            })
            .collect();
        Ok((config, explained))
    }

    fn load_with_sources(file: Option<&Path>) -> Result<(Self, Figment)> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        if let Some(file) = file {
            if !file.is_file() {
                return Err(Error::Config {
                    path: file.to_path_buf(),
                    message: "no such file".into(),
                });
            }
            figment = figment.merge(Toml::file_exact(file));
        }
        // `UMPIRE_SERVER__ADMIN_TOKEN` sets `server.admin_token`. Every
        // setting sits in a table, so a variable without `__` (UMPIRE_LOG,
        // UMPIRE_WASM_CACHE) is not config.
        figment = figment.merge(
            Env::prefixed(ENV_PREFIX)
                .filter(|key| key.as_str().contains("__"))
                .split("__"),
        );
        let config: Config = figment.extract().map_err(|e| {
            // A value from the environment is blamed on its variable, not on
            // the file or the defaults.
            let from_env = e
                .metadata
                .as_ref()
                .is_some_and(|m| m.name.contains("environment"));
            let path = if from_env && !e.path.is_empty() {
                PathBuf::from(format!(
                    "environment variable {}",
                    env_var_of(&e.path.join("."))
                ))
            } else {
                file.map_or_else(|| PathBuf::from("<defaults>"), Path::to_path_buf)
            };
            Error::Config {
                path,
                message: figment_message(e),
            }
        })?;
        config.check().map_err(|message| Error::Config {
            path: file.map_or_else(|| PathBuf::from("<defaults>"), Path::to_path_buf),
            message,
        })?;
        Ok((config, figment))
    }

    fn check(&self) -> std::result::Result<(), String> {
        self.plugins.check()?;
        self.executor.check()?;
        self.cache.check()?;
        let a = &self.alerts;
        if a.interval_ms == 0 {
            return Err("alerts.interval_ms must be at least 1".into());
        }
        for (key, rate) in [
            ("error_rate", a.error_rate),
            ("timeout_rate", a.timeout_rate),
        ] {
            if rate.is_some_and(|r| !(0.0..=1.0).contains(&r)) {
                return Err(format!("alerts.{key} must be in 0..=1"));
            }
        }
        let s = &self.server;
        if s.body_limit_kb == 0 || s.concurrency == 0 || s.request_timeout_ms == 0 {
            return Err(
                "server.body_limit_kb, server.concurrency and server.request_timeout_ms must be at least 1"
                    .into(),
            );
        }
        if s.bind.parse::<std::net::SocketAddr>().is_err() {
            return Err(format!(
                "server.bind: `{}` is not an address and port such as 127.0.0.1:8080",
                s.bind
            ));
        }
        if let Err(e) = tracing_subscriber::EnvFilter::try_new(&s.log_level) {
            return Err(format!(
                "server.log_level: `{}` is not a level filter: {e}",
                s.log_level
            ));
        }
        if s.admin_token.as_deref().is_some_and(|t| t.len() < 16) {
            return Err("server.admin_token: use at least 16 characters".into());
        }
        if s.write_token.as_deref().is_some_and(|t| t.len() < 16) {
            return Err("server.write_token: use at least 16 characters".into());
        }
        for (key, value) in [
            ("max_connections", s.max_connections as u64),
            ("header_timeout_ms", s.header_timeout_ms),
            ("body_timeout_ms", s.body_timeout_ms),
            ("write_timeout_ms", s.write_timeout_ms),
            ("max_batch_games", s.max_batch_games as u64),
            ("max_moves", s.max_moves as u64),
            ("max_streams", s.max_streams as u64),
            ("max_answer_kb", s.max_answer_kb as u64),
        ] {
            if value == 0 {
                return Err(format!("server.{key} must be at least 1"));
            }
        }
        for name in self.leagues.keys() {
            if name.is_empty()
                || !name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            {
                return Err(format!(
                    "leagues.{name}: a league name takes letters, digits, '-', '_' and '.' (it goes in URLs)"
                ));
            }
        }
        if let Some(c) = &self.cluster {
            if c.url(&self.cache).is_none() {
                return Err(
                    "cluster: name its Redis (`cluster.url`), or set `[cache.redis]` to share that one"
                        .into(),
                );
            }
            if c.timeout_ms == 0 || c.heartbeat_ms == 0 {
                return Err(
                    "cluster.timeout_ms and cluster.heartbeat_ms must be at least 1".into(),
                );
            }
        }
        for (name, l) in &self.leagues {
            match (&l.dir, &l.robinx) {
                (None, None) => {
                    return Err(format!(
                        "leagues.{name}: give the league's directory (`dir = \"...\"`) or a RobinX instance (`robinx = {{ instance = \"...\" }}`)"
                    ));
                }
                (Some(_), Some(_)) => {
                    return Err(format!(
                        "leagues.{name}: `dir` and `robinx` are two kinds of league; give one"
                    ));
                }
                (None, Some(_)) if !l.plugins.is_empty() || l.schedule.is_some() => {
                    return Err(format!(
                        "leagues.{name}: a RobinX league takes its constraints from the pack and its schedule from `robinx.solution`; drop `plugins` and `schedule`"
                    ));
                }
                _ => {}
            }
        }
        Ok(())
    }
}

/// Environment variables that set config: `UMPIRE_` then the key with `__`
/// between table and field (`UMPIRE_EXECUTOR__WORKERS=4`).
pub(crate) const ENV_PREFIX: &str = "UMPIRE_";

/// The environment variable that sets `key` (`server.admin_token`).
fn env_var_of(key: &str) -> String {
    format!("{ENV_PREFIX}{}", key.replace('.', "__").to_uppercase())
}

/// Every leaf of a JSON value with its dotted key, the value as TOML would
/// write it.
fn flatten(v: &serde_json::Value, key: String, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::Object(map) if !map.is_empty() => {
            for (k, v) in map {
                let key = if key.is_empty() {
                    k.clone()
                } else {
                    format!("{key}.{k}")
                };
                flatten(v, key, out);
            }
        }
        serde_json::Value::Null => out.push((key, "(unset)".into())),
        serde_json::Value::Object(_) => out.push((key, "{}".into())),
        other => out.push((key, other.to_string())),
    }
}

/// One line per error figment found, each naming the key (and figment
/// already names the file).
fn figment_message(e: figment::Error) -> String {
    e.into_iter()
        .map(|e| {
            let key = e.path.join(".");
            let kind = e.kind.to_string();
            if key.is_empty() {
                kind
            } else {
                format!("`{key}`: {kind}")
            }
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// A setting as `config show` may print it: secrets (tokens, secrets,
/// passwords, and the password in a URL) are shown as set, never as
/// themselves.
fn masked(key: &str, value: String) -> String {
    const HIDDEN: &str = "\"********\"";
    if value == "(unset)" {
        return value;
    }
    let leaf = key.rsplit('.').next().unwrap_or(key);
    if ["token", "secret", "password"]
        .iter()
        .any(|s| leaf.ends_with(s))
    {
        return HIDDEN.to_owned();
    }
    // scheme://user:password@host…
    if let Some((scheme, rest)) = value.split_once("://")
        && let Some((userinfo, host)) = rest.split_once('@')
        && let Some((user, _)) = userinfo.split_once(':')
    {
        return format!("{scheme}://{user}:********@{host}");
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    fn load(text: &str) -> Result<Config> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("umpire.toml");
        std::fs::write(&path, text).unwrap();
        Config::load(Some(&path))
    }

    #[test]
    fn secrets_are_masked_in_what_config_show_prints() {
        let shown = |k: &str, v: &str| masked(k, v.to_owned());
        assert_eq!(shown("server.admin_token", "\"abc\""), "\"********\"");
        assert_eq!(shown("server.write_token", "\"abc\""), "\"********\"");
        assert_eq!(shown("cache.redis.secret", "\"abc\""), "\"********\"");
        assert_eq!(shown("server.admin_token", "(unset)"), "(unset)");
        assert_eq!(
            shown("cache.redis.url", "\"redis://me:hunter2@127.0.0.1:6379/0\""),
            "\"redis://me:********@127.0.0.1:6379/0\""
        );
        assert_eq!(
            shown("cache.redis.url", "\"redis://:hunter2@127.0.0.1\""),
            "\"redis://:********@127.0.0.1\""
        );
        assert_eq!(
            shown("cache.redis.url", "\"redis://127.0.0.1:6379\""),
            "\"redis://127.0.0.1:6379\""
        );
    }

    #[test]
    fn defaults_need_no_file() {
        let c = Config::load(None).unwrap();
        assert_eq!(c, Config::default());
        assert_eq!(c.breaker, BreakerConfig::default());
    }

    #[test]
    fn a_file_overrides_what_it_names_only() {
        let c = load("[executor]\nworkers = 3\n[breaker]\nmin_calls = 7\n").unwrap();
        assert_eq!(c.executor.workers, 3);
        assert_eq!(c.executor.queue_chunks, 4096);
        assert_eq!(c.breaker.min_calls, 7);
        assert_eq!(c.breaker.probes, 3);
    }

    #[test]
    fn a_wrong_key_or_type_names_the_key_and_the_file() {
        let err = load("[executor]\nworker = 3\n").unwrap_err().to_string();
        assert!(err.contains("umpire.toml"), "{err}");
        assert!(err.contains("worker"), "{err}");
        let err = load("[breaker]\nmin_calls = \"many\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("breaker.min_calls"), "{err}");
        let err = load("[breaker]\nfailure_rate = 1.5\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`breaker`: failure_rate must be in (0, 1], not 1.5"),
            "{err}"
        );
        let err = load("[cache.redis.breaker]\nopen_s = 0\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`cache.redis.breaker`: open_s must be a positive number of seconds"),
            "{err}"
        );
    }

    #[test]
    fn the_shipped_configs_load_and_default_toml_is_the_defaults() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../configs");
        let default = Config::load(Some(&root.join("default.toml"))).unwrap();
        assert_eq!(default, Config::default());
        let weather = Config::load(Some(&root.join("weather.toml"))).unwrap();
        assert_eq!(weather.data.sources["weather"].timeout_ms, 500);
        assert_eq!(weather.data.sources["weather"].breaker.probes, 1);
        let redis = Config::load(Some(&root.join("redis.toml"))).unwrap();
        let r = redis.cache.redis.unwrap();
        assert_eq!((r.timeout_ms, r.breaker.min_calls), (50, 5));
        let production = Config::load(Some(&root.join("production.toml"))).unwrap();
        assert_eq!(production.server.log_format, LogFormat::Json);
        assert!(production.cache.redis.is_some() && production.server.admin_token.is_none());
        let league = &production.leagues["pacific-atlantic"];
        let dir = league.dir.as_ref().unwrap();
        assert!(dir.path().join("league.toml").is_file());
        let cluster = Config::load(Some(&root.join("cluster.toml"))).unwrap();
        assert!(cluster.cache.warm_files().iter().all(|f| f.is_file()));
        assert_eq!(
            cluster.cluster.as_ref().map(|c| c.prefix.as_str()),
            Some("umpire:cluster:schedules:")
        );
        assert_eq!(cluster.cache.redis.unwrap().prefix, "umpire:cluster:v1:");
        let robinx = Config::load(Some(&root.join("robinx.toml"))).unwrap();
        let r = robinx.leagues["itc2021-test2"].robinx.as_ref().unwrap();
        assert!(r.instance.path().is_file());
        assert!(r.solution.as_ref().unwrap().path().is_file());
        assert!(
            r.pack
                .as_ref()
                .unwrap()
                .path()
                .join("robinx.toml")
                .is_file()
        );
    }

    #[test]
    fn a_cluster_names_its_redis() {
        let err = load("[cluster]\nprefix = \"x:\"\n")
            .unwrap_err()
            .to_string();
        assert!(err.contains("cluster: name its Redis"), "{err}");
        let own = load("[cluster]\nurl = \"redis://127.0.0.1:1/\"\n").unwrap();
        let c = own.cluster.unwrap();
        assert_eq!(c.url(&own.cache), Some("redis://127.0.0.1:1/"));
        let shared = load("[cache.redis]\nurl = \"redis://127.0.0.1:2/\"\n[cluster]\n").unwrap();
        assert_eq!(
            shared.cluster.unwrap().url(&shared.cache),
            Some("redis://127.0.0.1:2/")
        );
    }

    #[test]
    fn a_data_source_url_is_checked_at_load() {
        let err = load("[data.sources.weather]\nurl = \"ftp://x/{venue\"\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`data.sources.weather`: url: `ftp://x/{venue` must start with http"),
            "{err}"
        );
        let err = load("[data.sources.weather]\ntimeout_ms = 10\n")
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`data.sources.weather`: a data source needs a `url`"),
            "{err}"
        );
        let c =
            load("[data.sources.weather]\nurl = \"http://127.0.0.1:1/w/{venue}\"\nretries = 0\n")
                .unwrap();
        assert_eq!(c.data.sources["weather"].retries, 0);
        assert_eq!(c.data.sources["weather"].timeout_ms, 1000);
    }
}
