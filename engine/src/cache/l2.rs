//! L2: verdicts shared through Redis by every umpire process that points at
//! it. Values are the entry (verdict and reads) as JSON, compressed with LZ4
//! (`umpire_model::stored`, where the decoding of what Redis returns is
//! fuzzed). Keys and the answers' fingerprints in them are
//! `umpire_model::fingerprint`s, the same in every build, so processes of
//! different builds (a rolling deploy) share entries safely.
//!
//! Redis is an optimisation, never a dependency: every command has a
//! timeout, failures go to a circuit breaker, and while it is open the cache
//! works from L1 alone. Connections are pooled and dropped after an error;
//! when the breaker lets a probe through, a new connection is made, so a
//! Redis that comes back is used again. Writes go through a bounded queue to
//! a background thread, so a slow Redis never holds an evaluation; when the
//! queue is full the write is dropped (and counted).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use redis::Commands;
pub(super) use umpire_model::stored::Stored;

use super::Key;
use super::RedisConfig;
use crate::breaker::{Admit, Breaker};

/// L2's own counters (hits and misses are counted by the cache).
#[derive(Default)]
pub(super) struct Counters {
    pub(super) errors: AtomicU64,
    pub(super) writes: AtomicU64,
    pub(super) dropped_writes: AtomicU64,
    pub(super) skipped: AtomicU64,
    /// Writes queued and not yet tried.
    pub(super) pending: AtomicU64,
}

/// Writes sent in one pipeline, at most.
const WRITE_BATCH: usize = 256;

pub(super) struct L2 {
    shared: Arc<Shared>,
    writes: crossbeam_channel::Sender<(String, Vec<u8>)>,
}

struct Shared {
    client: redis::Client,
    prefix: String,
    timeout: Duration,
    ttl_s: u64,
    pool: Mutex<Vec<redis::Connection>>,
    breaker: Breaker,
    counters: Counters,
}

impl L2 {
    /// An L2 on the Redis at `config.url` (connected lazily).
    pub(super) fn new(config: &RedisConfig) -> Result<Self, String> {
        let client = redis::Client::open(config.url.as_str())
            .map_err(|e| format!("cache.redis.url `{}`: {e}", config.url))?;
        let shared = Arc::new(Shared {
            client,
            prefix: config.prefix.clone(),
            timeout: Duration::from_millis(config.timeout_ms.max(1)),
            ttl_s: config.ttl_s,
            pool: Mutex::new(Vec::new()),
            breaker: Breaker::new("the Redis cache (L2)".into(), config.breaker),
            counters: Counters::default(),
        });
        let (writes, queue) = crossbeam_channel::bounded::<(String, Vec<u8>)>(config.write_queue);
        let writer = shared.clone();
        std::thread::Builder::new()
            .name("umpire-l2-writer".into())
            .spawn(move || {
                // What is queued goes in one pipeline: one round trip for
                // up to WRITE_BATCH writes.
                while let Ok(first) = queue.recv() {
                    let mut batch = vec![first];
                    batch.extend(queue.try_iter().take(WRITE_BATCH - 1));
                    let written = writer.run(|c| {
                        let mut pipe = redis::pipe();
                        for (key, value) in &batch {
                            if writer.ttl_s > 0 {
                                pipe.set_ex(key, value.as_slice(), writer.ttl_s).ignore();
                            } else {
                                pipe.set(key, value.as_slice()).ignore();
                            }
                        }
                        pipe.query::<()>(c)
                    });
                    let n = batch.len() as u64;
                    if written.is_some() {
                        writer.counters.writes.fetch_add(n, Ordering::Relaxed);
                    }
                    writer.counters.pending.fetch_sub(n, Ordering::Relaxed);
                }
            })
            .map_err(|e| format!("cannot start the L2 writer thread: {e}"))?;
        Ok(Self { shared, writes })
    }

    pub(super) fn counters(&self) -> &Counters {
        &self.shared.counters
    }

    pub(super) fn breaker(&self) -> &Breaker {
        &self.shared.breaker
    }

    fn key(&self, key: &Key) -> String {
        format!(
            "{}{:016x}{:016x}{:016x}",
            self.shared.prefix, key.constraint, key.league, key.game
        )
    }

    /// The stored entry, or `None` (a miss, or Redis is unavailable).
    pub(super) fn get(&self, key: &Key) -> Option<Stored> {
        let k = self.key(key);
        let bytes: Vec<u8> = self
            .shared
            .run(|c| c.get::<_, Option<Vec<u8>>>(&k))
            .flatten()?;
        self.decode(&k, &bytes)
    }

    /// The stored entries of `keys`, in one round trip (`MGET`): per key,
    /// the entry or `None` (absent); `None` for all when Redis is
    /// unavailable.
    pub(super) fn get_many(&self, keys: &[Key]) -> Option<Vec<Option<Stored>>> {
        let names: Vec<String> = keys.iter().map(|k| self.key(k)).collect();
        let values: Vec<Option<Vec<u8>>> = self.shared.run(|c| {
            redis::cmd("MGET")
                .arg(&names)
                .query::<Vec<Option<Vec<u8>>>>(c)
        })?;
        if values.len() != names.len() {
            self.shared.counters.errors.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        Some(
            (names.iter().zip(values))
                .map(|(k, v)| v.and_then(|bytes| self.decode(k, &bytes)))
                .collect(),
        )
    }

    fn decode(&self, key: &str, bytes: &[u8]) -> Option<Stored> {
        match Stored::decode(bytes) {
            Ok(stored) => Some(stored),
            Err(e) => {
                // Written by another build, or damaged: treat as absent.
                self.shared.counters.errors.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(error = %e, key = %key, "the Redis cache (L2) holds a bad entry");
                None
            }
        }
    }

    /// Queues a write; dropped if the queue is full or Redis is out.
    pub(super) fn put(&self, key: &Key, stored: &Stored) {
        if self.shared.breaker.state() != crate::breaker::BreakerState::Closed {
            self.shared.counters.skipped.fetch_add(1, Ordering::Relaxed);
            return;
        }
        let Ok(value) = stored.encode() else {
            return;
        };
        self.shared.counters.pending.fetch_add(1, Ordering::Relaxed);
        if self.writes.try_send((self.key(key), value)).is_err() {
            self.shared.counters.pending.fetch_sub(1, Ordering::Relaxed);
            self.shared
                .counters
                .dropped_writes
                .fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Waits until every queued write was tried, or `timeout` passed;
    /// whether the queue drained.
    pub(super) fn flush(&self, timeout: Duration) -> bool {
        let until = Instant::now() + timeout;
        while self.shared.counters.pending.load(Ordering::Relaxed) > 0 {
            if Instant::now() >= until {
                return false;
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        true
    }

    /// Drops every entry under the prefix (`SCAN` + `DEL`).
    /// Deletes every entry under the prefix; how many, or `None` when
    /// Redis could not be asked.
    pub(super) fn clear(&self) -> Option<u64> {
        let pattern = format!("{}*", self.shared.prefix);
        self.shared.run(|c| {
            let keys = c
                .scan_match::<_, String>(&pattern)?
                .collect::<redis::RedisResult<Vec<String>>>()?;
            if keys.is_empty() {
                return Ok(0);
            }
            c.del::<_, u64>(keys)
        })
    }
}

impl Shared {
    /// Runs a command through the breaker on a pooled connection; `None`
    /// when the breaker is open or the command failed.
    fn run<T>(&self, f: impl FnOnce(&mut redis::Connection) -> redis::RedisResult<T>) -> Option<T> {
        let now = Instant::now();
        let admitted = self.breaker.admit(now);
        if admitted == Admit::Fallback {
            self.counters.skipped.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        let pooled = self
            .pool
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .pop();
        let conn = match pooled {
            Some(c) => Ok(c),
            None => self.connect(),
        };
        let result = conn.and_then(|mut c| f(&mut c).map(|v| (v, c)));
        match result {
            Ok((value, conn)) => {
                self.breaker.record(now, admitted, false);
                self.pool
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push(conn);
                Some(value)
            }
            Err(e) => {
                // The connection, if any, is dropped: the next call makes a
                // new one.
                self.breaker.record(now, admitted, true);
                self.counters.errors.fetch_add(1, Ordering::Relaxed);
                tracing::debug!(error = %e, "the Redis cache (L2) failed a command");
                None
            }
        }
    }

    fn connect(&self) -> redis::RedisResult<redis::Connection> {
        let c = self.client.get_connection_with_timeout(self.timeout)?;
        c.set_read_timeout(Some(self.timeout))?;
        c.set_write_timeout(Some(self.timeout))?;
        Ok(c)
    }
}
