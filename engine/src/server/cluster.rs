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
//!
//! Every node also says, every `heartbeat_ms`, that it is alive and which
//! plugins it runs (`{prefix}nodes`, read by `GET /v1/cluster`), and a
//! plugin reload on one node is announced (`{prefix}reload`, pub/sub) so
//! that every node reloads.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

use crate::config::{ClusterConfig, Config};
use crate::error::{Error, Result};

/// Reads the stored version and token, and the games when they are not
/// the caller's (ARGV[1] version, ARGV[2] token): `{version, token, games
/// or false}`; version 0 when none is stored. A version's token tells two
/// stores of one version number apart (after Redis lost its data and
/// nodes stored their copies again).
const FETCH: &str = r"
local v = redis.call('HGET', KEYS[1], 'version')
if not v then return {0, '', false} end
local t = redis.call('HGET', KEYS[1], 'token') or ''
if v == ARGV[1] and t == ARGV[2] then return {tonumber(v), t, false} end
return {tonumber(v), t, redis.call('HGET', KEYS[1], 'games')}
";

/// Stores version ARGV[3] (token ARGV[4]) with games ARGV[5] if the stored
/// version and token are ARGV[1] and ARGV[2] (0 and '': none stored):
/// `{1, new version}`, or `{0, the stored one}`.
const WRITE: &str = r"
local v = tonumber(redis.call('HGET', KEYS[1], 'version') or '0')
local t = redis.call('HGET', KEYS[1], 'token') or ''
if v ~= tonumber(ARGV[1]) or t ~= ARGV[2] then return {0, v} end
redis.call('HSET', KEYS[1], 'version', ARGV[3], 'token', ARGV[4], 'games', ARGV[5])
return {1, tonumber(ARGV[3])}
";

/// The cluster's Redis, for schedules.
pub(crate) struct Cluster {
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    conn: Mutex<Option<redis::Connection>>,
    /// This node's name.
    pub(crate) node: String,
    /// How often nodes beat.
    pub(crate) heartbeat: Duration,
}

/// What a node says of itself at each heartbeat.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct NodeInfo {
    /// Its name.
    pub(crate) node: String,
    /// Where it listens.
    pub(crate) addr: String,
    /// Its last heartbeat, in milliseconds since 1970.
    pub(crate) heartbeat_ms: u64,
    /// When it started, in milliseconds since 1970.
    pub(crate) started_ms: u64,
    /// Per league: its plugins and its schedule's version.
    pub(crate) leagues: BTreeMap<String, LeagueInfo>,
}

/// A league as one node serves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub(crate) struct LeagueInfo {
    /// The content of its constraints (each one's manifest, params and
    /// code), as one hash: equal on two nodes when they run the same
    /// plugins.
    pub(crate) plugins: String,
    /// Plugin reloads that took effect on the node.
    pub(crate) reloads: u64,
    /// The schedule version it last answered from.
    pub(crate) version: u64,
}

/// Milliseconds since 1970.
pub(crate) fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Redis did not answer: what failed.
#[derive(Debug)]
pub(crate) struct Down(pub(crate) String);

/// A version of a schedule as the cluster names it: its number, and the
/// token of the write that stored it.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub(crate) struct Stamp {
    pub(crate) version: u64,
    pub(crate) token: String,
}

impl Stamp {
    /// Version `version` with a token no other write has.
    pub(crate) fn fresh(version: u64) -> Self {
        use std::hash::{BuildHasher, Hasher};
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(now_ms());
        h.write_u32(std::process::id());
        Self {
            version,
            token: format!("{:016x}", h.finish()),
        }
    }
}

/// What Redis holds for a league, as a node with stamp `have` asked.
pub(crate) enum Stored {
    /// Nothing yet.
    Nothing,
    /// The node's own version.
    Same,
    /// Another version, with its games as JSON.
    Other(Stamp, String),
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
            node: c.node.clone().unwrap_or_else(default_node),
            heartbeat: Duration::from_millis(c.heartbeat_ms),
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
    pub(crate) fn fetch(&self, league: &str, have: &Stamp) -> std::result::Result<Stored, Down> {
        let key = self.key(league);
        // EVAL: the scripts are short, and a Redis that restarted has no
        // script cache to miss.
        let (version, token, games): (u64, String, Option<String>) = self.run(|c| {
            redis::cmd("EVAL")
                .arg(FETCH)
                .arg(1)
                .arg(&key)
                .arg(have.version.to_string())
                .arg(&have.token)
                .query(c)
        })?;
        Ok(match (version, games) {
            (0, _) => Stored::Nothing,
            (_, None) => Stored::Same,
            (version, Some(games)) => Stored::Other(Stamp { version, token }, games),
        })
    }

    /// Stores `games` as `league`'s version `new` if Redis still holds
    /// `base` (the default stamp: nothing): `Ok(None)`, or
    /// `Ok(Some(stored version))` when another write came first.
    pub(crate) fn write(
        &self,
        league: &str,
        base: &Stamp,
        new: &Stamp,
        games: &str,
    ) -> std::result::Result<Option<u64>, Down> {
        let key = self.key(league);
        let (written, stored): (u8, u64) = self.run(|c| {
            redis::cmd("EVAL")
                .arg(WRITE)
                .arg(1)
                .arg(&key)
                .arg(base.version)
                .arg(&base.token)
                .arg(new.version)
                .arg(&new.token)
                .arg(games)
                .query(c)
        })?;
        Ok((written == 0).then_some(stored))
    }
}

/// `HOSTNAME-PID`: unique on a host, and telling which host.
fn default_node() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .or_else(|| std::env::var("HOSTNAME").ok())
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".into());
    format!("{host}-{}", std::process::id())
}

impl Cluster {
    fn nodes_key(&self) -> String {
        format!("{}nodes", self.prefix)
    }

    fn reload_channel(&self) -> String {
        format!("{}reload", self.prefix)
    }

    /// Says this node is alive, and what it runs.
    pub(crate) fn beat(&self, info: &NodeInfo) -> std::result::Result<(), Down> {
        let json = serde_json::to_string(info).unwrap_or_default();
        let key = self.nodes_key();
        self.run(|c| {
            redis::cmd("HSET")
                .arg(&key)
                .arg(&info.node)
                .arg(json)
                .query::<()>(c)
        })
    }

    /// Every node that ever beat under this prefix, by name.
    pub(crate) fn nodes(&self) -> std::result::Result<Vec<NodeInfo>, Down> {
        let key = self.nodes_key();
        let all: BTreeMap<String, String> =
            self.run(|c| redis::cmd("HGETALL").arg(&key).query(c))?;
        Ok(all
            .values()
            .filter_map(|json| serde_json::from_str(json).ok())
            .collect())
    }

    /// Tells every node to reload its plugins.
    pub(crate) fn announce_reload(&self) -> std::result::Result<(), Down> {
        let channel = self.reload_channel();
        self.run(|c| {
            redis::cmd("PUBLISH")
                .arg(&channel)
                .arg(&self.node)
                .query::<()>(c)
        })
    }

    /// Calls `reload` whenever another node announces a reload, for as long
    /// as the process runs (on its own connection, made again after an
    /// error, a second apart).
    pub(crate) fn on_reload(&self, reload: impl Fn(&str) + Send + 'static) {
        let (client, channel, me) = (
            self.client.clone(),
            self.reload_channel(),
            self.node.clone(),
        );
        let spawned = std::thread::Builder::new()
            .name("umpire-cluster-reloads".into())
            .spawn(move || {
                loop {
                    let listened = (|| -> redis::RedisResult<()> {
                        let mut conn = client.get_connection()?;
                        let mut pubsub = conn.as_pubsub();
                        pubsub.subscribe(&channel)?;
                        loop {
                            let from: String = pubsub.get_message()?.get_payload()?;
                            if from != me {
                                reload(&from);
                            }
                        }
                    })();
                    if let Err(e) = listened {
                        tracing::debug!(error = %e, "the cluster's reload announcements: listening again in a second");
                    }
                    std::thread::sleep(Duration::from_secs(1));
                }
            });
        if let Err(e) = spawned {
            tracing::error!(error = %e, "cannot listen for the cluster's reload announcements");
        }
    }
}
