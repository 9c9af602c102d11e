//! The cache's settings: the `[cache]` table of the config and its
//! `[cache.redis]` layer.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::breaker::BreakerConfig;
use crate::paths::ConfigPath;

/// The verdict cache.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CacheConfig {
    /// Whether verdicts are cached at all.
    pub enabled: bool,
    /// The in-process layer's size, in MiB (entries weighed by their bytes).
    pub max_mb: u64,
    /// An entry's longest life, in seconds (0: no limit).
    pub ttl_s: u64,
    /// How long an unread entry is kept, in seconds (0: no limit).
    pub tti_s: u64,
    /// The shared layer (L2), if any.
    pub redis: Option<RedisConfig>,
    /// Schedule files of the league to evaluate into the cache before
    /// serving (`umpire cache warm`, and a server at start), relative to
    /// the config file.
    pub warm: Vec<ConfigPath>,
}

impl CacheConfig {
    /// The warm-up schedule files, resolved against the config file.
    pub fn warm_files(&self) -> Vec<PathBuf> {
        self.warm.iter().map(|p| p.path().to_path_buf()).collect()
    }
}

/// The shared verdict cache layer on Redis.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://host:port/db`.
    pub url: String,
    /// Prefix of every key (processes with the same prefix share entries).
    pub prefix: String,
    /// Timeout of connecting and of each command, in milliseconds.
    pub timeout_ms: u64,
    /// An entry's life in Redis, in seconds (0: no expiry).
    pub ttl_s: u64,
    /// Writes waiting for the background writer at most; more are dropped.
    pub write_queue: usize,
    /// The breaker around Redis: while open, the cache works from L1 alone.
    pub breaker: BreakerConfig,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: "redis://127.0.0.1:6379/".into(),
            prefix: "umpire:v1:".into(),
            timeout_ms: 50,
            ttl_s: 86_400,
            write_queue: 10_000,
            breaker: BreakerConfig {
                min_calls: 5,
                open_for: Duration::from_secs(5),
                probes: 1,
                ..BreakerConfig::default()
            },
        }
    }
}

impl Default for CacheConfig {
    fn default() -> Self {
        Self {
            enabled: true,
            max_mb: 64,
            ttl_s: 3600,
            tti_s: 600,
            redis: None,
            warm: Vec::new(),
        }
    }
}

impl CacheConfig {
    /// What is wrong with these settings, if anything: the Redis URL and
    /// the layer's bounds.
    pub(crate) fn check(&self) -> Result<(), String> {
        let Some(r) = &self.redis else {
            return Ok(());
        };
        redis::Client::open(r.url.as_str())
            .map_err(|e| format!("cache.redis.url `{}`: {e}", r.url))?;
        if r.write_queue == 0 || r.timeout_ms == 0 {
            return Err(
                "cache.redis.write_queue and cache.redis.timeout_ms must be at least 1".into(),
            );
        }
        Ok(())
    }
}
