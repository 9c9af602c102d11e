//! Schedules shared by every node through Redis (`[cluster]`).
//!
//! Each league's schedule is one Redis hash, `{prefix}schedule:{league}`,
//! with its `version` and its `games` (the schedule file's JSON). A write
//! is one script that checks the version it was made against and sets the
//! next one, so two nodes cannot both turn version 7 into version 8: the
//! second is told the version that won. Before a node answers from a
//! league's schedule it asks for the stored version (one round trip, the
//! games only when they are newer than its own copy). A node whose Redis
//! does not answer answers 503: it never serves a version it cannot tell
//! is current.

use std::sync::Mutex;
use std::time::Duration;

use crate::config::{ClusterConfig, Config};
use crate::error::{Error, Result};

/// Reads the stored version, and the games when they are not the caller's
/// version (ARGV[1]): `{version, games or false}`; version 0 when none is
/// stored.
const FETCH: &str = r"
local v = redis.call('HGET', KEYS[1], 'version')
if not v then return {0, false} end
if v == ARGV[1] then return {tonumber(v), false} end
return {tonumber(v), redis.call('HGET', KEYS[1], 'games')}
";

/// Stores version ARGV[2] with games ARGV[3] if the stored version is
/// ARGV[1] (0: none stored): `{1, new version}`, or `{0, the stored one}`.
const WRITE: &str = r"
local v = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
if v ~= tonumber(ARGV[1]) then return {0, v} end
redis.call('HSET', KEYS[1], 'version', ARGV[2], 'games', ARGV[3])
return {1, tonumber(ARGV[2])}
";

/// The cluster's Redis, for schedules.
pub(crate) struct Cluster {
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    conn: Mutex<Option<redis::Connection>>,
}

/// Redis did not answer: what failed.
#[derive(Debug)]
pub(crate) struct Down(pub(crate) String);

/// What Redis holds for a league, as a node with version `have` asked.
pub(crate) enum Stored {
    /// Nothing yet.
    Nothing,
    /// The node's own version.
    Same,
    /// A newer (or other) version, with its games as JSON.
    Other(u64, String),
}

impl Cluster {
    /// The cluster of `config`, when `[cluster]` is set.
    pub(crate) fn of(config: &Config) -> Result<Option<Self>> {
        let Some(c) = &config.cluster else {
            return Ok(None);
        };
        let url = c.url(&config.cache).unwrap_or_default();
        let client = redis::Client::open(url).map_err(|e| Error::Config {
            path: "cluster.url".into(),
            message: format!("`{url}`: {e}"),
        })?;
        Ok(Some(Self::new(client, c)))
    }

    fn new(client: redis::Client, c: &ClusterConfig) -> Self {
        Self {
            client,
            prefix: c.prefix.clone(),
            timeout: Duration::from_millis(c.timeout_ms),
            conn: Mutex::new(None),
        }
    }

    fn key(&self, league: &str) -> String {
        format!("{}schedule:{league}", self.prefix)
    }

    /// Runs `f` on the connection (made on first use, and again after an
    /// error).
    fn run<T>(
        &self,
        f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>,
    ) -> std::result::Result<T, Down> {
        let mut held = self
            .conn
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let conn = match held.as_mut() {
            Some(c) => c,
            None => {
                let c = self
                    .client
                    .get_connection_with_timeout(self.timeout)
                    .and_then(|c| {
                        c.set_read_timeout(Some(self.timeout))?;
                        c.set_write_timeout(Some(self.timeout))?;
                        Ok(c)
                    })
                    .map_err(|e| Down(format!("the cluster's Redis does not answer: {e}")))?;
                held.insert(c)
            }
        };
        f(conn).map_err(|e| {
            // A new connection next time.
            *held = None;
            Down(format!("the cluster's Redis failed a command: {e}"))
        })
    }

    /// What Redis holds of `league`'s schedule, for a node with `have`.
    pub(crate) fn fetch(&self, league: &str, have: u64) -> std::result::Result<Stored, Down> {
        let key = self.key(league);
        // EVAL: the scripts are short, and a Redis that restarted has no
        // script cache to miss.
        let (version, games): (u64, Option<String>) = self.run(|c| {
            redis::cmd("EVAL")
                .arg(FETCH)
                .arg(1)
                .arg(&key)
                .arg(have.to_string())
                .query(c)
        })?;
        Ok(match (version, games) {
            (0, _) => Stored::Nothing,
            (_, None) => Stored::Same,
            (v, Some(games)) => Stored::Other(v, games),
        })
    }

    /// Stores `games` as `league`'s version `version` if Redis still holds
    /// `base` (0: nothing): `Ok(None)`, or `Ok(Some(stored))` when another
    /// node wrote first.
    pub(crate) fn write(
        &self,
        league: &str,
        base: u64,
        version: u64,
        games: &str,
    ) -> std::result::Result<Option<u64>, Down> {
        let key = self.key(league);
        let (written, stored): (u8, u64) = self.run(|c| {
            redis::cmd("EVAL")
                .arg(WRITE)
                .arg(1)
                .arg(&key)
                .arg(base)
                .arg(version)
                .arg(games)
                .query(c)
        })?;
        Ok((written == 0).then_some(stored))
    }
}
