//! The decision log: one NDJSON line per evaluation (id, time, league,
//! schedule version and fingerprint, the version of every constraint used,
//! and the outcome), so that a verdict can be explained later.
//!
//! Lines go through a bounded queue to a writer thread, and are queued from
//! the blocking threads that ran the evaluation, never from the async ones:
//! a slow disk then slows the evaluations that log, not the server's
//! answers to `/healthz`. A line that cannot be queued within
//! `server.request_timeout_ms` fails its request (503): an answer is given
//! only for a decision that was queued to the log. Write, flush and sync
//! errors are counted (`umpire_decision_log_errors_total`) and logged;
//! while the last write failed, `/readyz` says not ready and evaluations
//! answer 503, and the writer retries its buffer every second until the
//! disk takes it. When a line reaches the disk is
//! `server.decision_log_sync` (fsync after each batch by default).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{RecvTimeoutError, SendTimeoutError, Sender};
use prometheus_client::metrics::counter::Counter;

use crate::Evaluator;
use crate::config::LogSync;
use crate::model::GameReport;

/// Lines waiting for the writer at most.
const QUEUE: usize = 65_536;

/// While writes fail, how often the writer tries its buffer again.
const RETRY: Duration = Duration::from_secs(1);

pub(crate) struct DecisionLog {
    tx: Mutex<Option<Sender<String>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    path: PathBuf,
    health: Arc<Health>,
}

/// What the writer thread tells the rest of the server.
struct Health {
    /// The last write, flush or sync failed (cleared by the next success).
    failing: AtomicBool,
    last_error: Mutex<Option<String>>,
    errors: Counter,
}

impl Health {
    fn outcome(&self, shown: &str, result: std::io::Result<()>) {
        match result {
            Ok(()) => self.failing.store(false, Ordering::Release),
            Err(e) => {
                self.errors.inc();
                self.failing.store(true, Ordering::Release);
                tracing::error!(file = %shown, error = %e, "cannot write the decision log");
                *self.last_error.lock().unwrap_or_else(|e| e.into_inner()) = Some(e.to_string());
            }
        }
    }
}

/// Why a line was not logged.
#[derive(Debug)]
pub(crate) enum NotLogged {
    /// The queue stayed full for the whole wait: the disk is too slow.
    Full,
    /// The last write failed (a full disk, say): lines now would be lost.
    Failing(String),
    /// The writer has stopped (at shutdown).
    Closed,
}

impl std::fmt::Display for NotLogged {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Full => f.write_str(
                "the decision log cannot keep up (its queue is full): the answer is withheld, since it could not be logged",
            ),
            Self::Failing(why) => write!(f, "{why}; the answer is withheld, since it could not be logged"),
            Self::Closed => f.write_str("the decision log is closed: the server is stopping"),
        }
    }
}

impl DecisionLog {
    /// Opens (appends to) the file; an error names it. Failed writes count
    /// in `errors`.
    pub(crate) fn open(path: &Path, sync: LogSync, errors: Counter) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let (tx, rx) = crossbeam_channel::bounded::<String>(QUEUE);
        let shown = path.display().to_string();
        let health = Arc::new(Health {
            failing: AtomicBool::new(false),
            last_error: Mutex::new(None),
            errors,
        });
        let writer_health = health.clone();
        let writer = std::thread::Builder::new()
            .name("umpire-decisions".into())
            .spawn(move || {
                let health = writer_health;
                let mut out = std::io::BufWriter::new(file);
                loop {
                    let line = match rx.recv_timeout(RETRY) {
                        Ok(line) => line,
                        Err(RecvTimeoutError::Timeout) => {
                            // What failed to go out is still buffered: try
                            // again, so the log recovers once the disk does.
                            if health.failing.load(Ordering::Acquire) {
                                let result = out.flush().and_then(|()| match sync {
                                    LogSync::Never => Ok(()),
                                    _ => out.get_ref().sync_data(),
                                });
                                health.outcome(&shown, result);
                            }
                            continue;
                        }
                        Err(RecvTimeoutError::Disconnected) => break,
                    };
                    let mut batch = vec![line];
                    // Everything queued meanwhile goes in the same batch.
                    while let Ok(more) = rx.try_recv() {
                        batch.push(more);
                        if batch.len() >= 4096 {
                            break;
                        }
                    }
                    let written = batch.iter().try_for_each(|line| {
                        writeln!(out, "{line}")?;
                        if sync == LogSync::Always {
                            out.flush()?;
                            out.get_ref().sync_data()?;
                        }
                        Ok(())
                    });
                    let result = written.and_then(|()| {
                        out.flush()?;
                        if sync == LogSync::Batch {
                            out.get_ref().sync_data()?;
                        }
                        Ok(())
                    });
                    health.outcome(&shown, result);
                }
                let result = out.flush().and_then(|()| match sync {
                    LogSync::Never => Ok(()),
                    _ => out.get_ref().sync_data(),
                });
                health.outcome(&shown, result);
            })?;
        Ok(Self {
            tx: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
            path: path.to_path_buf(),
            health,
        })
    }

    /// Why the log is not healthy now: the last write, flush or sync
    /// failed.
    pub(crate) fn failing(&self) -> Option<String> {
        if !self.health.failing.load(Ordering::Acquire) {
            return None;
        }
        let error = self
            .health
            .last_error
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
            .unwrap_or_default();
        Some(format!(
            "the decision log {} cannot be written: {error}",
            self.path.display()
        ))
    }

    /// Logs one evaluation of `games` in `league`, waiting at most `wait`
    /// for room in the queue. Call it from a blocking thread.
    #[allow(
        clippy::too_many_arguments,
        reason = "each is one field of the logged line"
    )]
    pub(crate) fn record(
        &self,
        id: &str,
        league: &str,
        schedule_version: u64,
        schedule_fingerprint: u64,
        evaluator: &Evaluator,
        games: &[&GameReport],
        wait: Duration,
    ) -> Result<(), NotLogged> {
        let constraints: serde_json::Map<String, serde_json::Value> = evaluator
            .registry()
            .constraints()
            .iter()
            .map(|c| {
                let version = match c.wasm_info() {
                    Some(w) => format!(
                        "{:016x} wasm {} sha256:{}",
                        c.content_hash(),
                        w.version,
                        w.sha256
                    ),
                    None => format!("{:016x}", c.content_hash()),
                };
                (c.manifest.id.to_string(), version.into())
            })
            .collect();
        let outcome: Vec<_> = games
            .iter()
            .map(|g| {
                let statuses: serde_json::Map<String, serde_json::Value> = g
                    .verdicts
                    .iter()
                    .map(|v| (v.constraint.to_string(), v.status.as_str().into()))
                    .collect();
                serde_json::json!({"game": g.game, "valid": g.valid, "score": g.score, "statuses": statuses})
            })
            .collect();
        let line = serde_json::json!({
            "id": id,
            "time": jiff::Timestamp::now().to_string(),
            "league": league,
            "schedule_version": schedule_version,
            "schedule_fingerprint": format!("{schedule_fingerprint:016x}"),
            "constraints": constraints,
            "games": outcome,
        })
        .to_string();
        if let Some(why) = self.failing() {
            return Err(NotLogged::Failing(why));
        }
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner()).clone();
        let Some(tx) = tx else {
            return Err(NotLogged::Closed);
        };
        match tx.send_timeout(line, wait) {
            Ok(()) => Ok(()),
            Err(SendTimeoutError::Timeout(_)) => {
                self.health.errors.inc();
                tracing::error!(file = %self.path.display(), "the decision log's queue stayed full; an answer was withheld");
                Err(NotLogged::Full)
            }
            Err(SendTimeoutError::Disconnected(_)) => Err(NotLogged::Closed),
        }
    }

    /// Writes what is queued and closes the file (at shutdown).
    pub(crate) fn close(&self) {
        self.tx.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(writer) = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take() {
            let _ = writer.join();
        }
    }
}
