//! The decision log: one NDJSON line per evaluation (id, time, league,
//! schedule version, the version of every constraint used, and the
//! outcome), so that a verdict can be explained later. Lines go through a
//! bounded queue to a writer thread; a full queue makes the request wait
//! rather than lose a line.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::thread::JoinHandle;

use crossbeam_channel::Sender;

use crate::Evaluator;
use crate::model::GameReport;

/// Lines waiting for the writer at most.
const QUEUE: usize = 65_536;

pub(crate) struct DecisionLog {
    tx: Mutex<Option<Sender<String>>>,
    writer: Mutex<Option<JoinHandle<()>>>,
    path: PathBuf,
}

impl DecisionLog {
    /// Opens (appends to) the file; an error names it.
    pub(crate) fn open(path: &Path) -> std::io::Result<Self> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let (tx, rx) = crossbeam_channel::bounded::<String>(QUEUE);
        let shown = path.display().to_string();
        let writer = std::thread::Builder::new()
            .name("umpire-decisions".into())
            .spawn(move || {
                let mut out = std::io::BufWriter::new(file);
                while let Ok(line) = rx.recv() {
                    let mut write = |line: &str| {
                        if let Err(e) = writeln!(out, "{line}") {
                            tracing::error!(file = %shown, error = %e, "cannot write the decision log");
                        }
                    };
                    write(&line);
                    // Flush once the queue is drained.
                    while let Ok(more) = rx.try_recv() {
                        write(&more);
                    }
                    let _ = out.flush();
                }
                let _ = out.flush();
            })?;
        Ok(Self {
            tx: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
            path: path.to_path_buf(),
        })
    }

    /// Logs one evaluation of `games` in `league`.
    pub(crate) fn record(
        &self,
        id: &str,
        league: &str,
        schedule_version: u64,
        evaluator: &Evaluator,
        games: &[&GameReport],
    ) {
        let constraints: serde_json::Map<String, serde_json::Value> = evaluator
            .registry()
            .constraints()
            .iter()
            .map(|c| {
                let version = match c.wasm_info() {
                    Some((sha, _, v)) => format!("{:016x} wasm {v} sha256:{sha}", c.content_hash()),
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
            "constraints": constraints,
            "games": outcome,
        })
        .to_string();
        let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner()).clone();
        if let Some(tx) = tx
            && tx.send(line).is_err()
        {
            tracing::error!(file = %self.path.display(), "the decision log writer stopped; a line was lost");
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
