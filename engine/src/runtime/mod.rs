//! Plugin hosts and the query API they share.
//!
//! A [`Runtime`] is what a worker owns: one prepared host per plugin kind for
//! one league. It turns a constraint call into a [`Verdict`] whatever
//! happens inside: a rule that throws, breaks a limit, runs past its deadline,
//! returns nonsense or panics gets an `error` or `timeout` verdict and the
//! runtime carries on. The host that saw a failure says what kind it was
//! (`answer.rs`); a trap or a timeout that stopped a WebAssembly plugin
//! mid-call, or a panic in the host, also marks the runtime
//! [tainted](Runtime::tainted), for its owner to replace.

mod answer;
mod call;
mod console;
mod constraint;
pub(crate) mod printed;
mod query;
mod rhai_host;
mod wasm;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

pub(crate) use console::{Console, ConsoleError, Value as ConsoleValue};
pub use constraint::Constraint;
pub use rhai_host::RhaiLimits;
pub(crate) use rhai_host::open_in;
pub(crate) use wasm::allocate_on_demand;
pub use wasm::{CACHE_ENV, CONTRACT, Compiled, components_in_memory};

use crate::data::DataSources;
use crate::error::{Error, Result};
use crate::manifests::{Kind, Manifest, Partition};
use crate::model::reads::Seen;
use crate::model::{Game, League, Schedule, Status, Verdict};
use answer::{Failure, FailureKind};
use rhai_host::{RhaiCompiler, RhaiHost, Script};

/// What one constraint call rules on.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'a> {
    /// The whole schedule.
    Schedule,
    /// One game, with the whole schedule readable.
    Game(&'a Arc<Game>),
    /// One part of a partitioned schedule-scoped rule: the team or venue at
    /// this position of the league's list.
    Part(Partition, usize),
}

impl<'a> Target<'a> {
    /// The game under evaluation, if any.
    pub(crate) fn game(self) -> Option<&'a Arc<Game>> {
        match self {
            Target::Game(g) => Some(g),
            Target::Schedule | Target::Part(..) => None,
        }
    }
}

/// The parts a partitioned rule is asked about in `league`: their count.
pub(crate) fn part_count(league: &League, partition: Partition) -> usize {
    match partition {
        Partition::Team => league.teams.len(),
        Partition::Venue => league.venues.len(),
    }
}

/// The id of part `k` (a team's or a venue's).
pub(crate) fn part_id(league: &League, partition: Partition, k: usize) -> &str {
    match partition {
        Partition::Team => &league.teams[k].id,
        Partition::Venue => &league.venues[k].id,
    }
}

/// Reads a plugin's source file: a regular file (checked before it is
/// opened, so a FIFO or a device never blocks or floods the load) of at
/// most `max` bytes (`setting` names the limit), read through a bounded
/// reader in case it grows in between.
pub(crate) fn read_source(path: &Path, max: usize, setting: &str) -> Result<Vec<u8>> {
    use std::io::Read;
    let read_error = |cause| Error::Read {
        path: path.to_owned(),
        cause,
    };
    let refuse = |message: String| Error::Plugin {
        path: path.to_owned(),
        message,
    };
    let meta = std::fs::metadata(path).map_err(read_error)?;
    if !meta.is_file() {
        return Err(refuse(
            "not a regular file (a directory, FIFO or device); a source must be a plain file"
                .into(),
        ));
    }
    let too_big = |size: u64| {
        refuse(format!(
            "the file is {size} bytes, over the limit of {max} bytes (`{setting}`)"
        ))
    };
    if meta.len() > max as u64 {
        return Err(too_big(meta.len()));
    }
    let file = std::fs::File::open(path).map_err(read_error)?;
    let mut bytes = Vec::with_capacity(meta.len() as usize);
    file.take(max as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if bytes.len() > max {
        return Err(too_big(bytes.len() as u64));
    }
    Ok(bytes)
}

/// The bytes one violation takes as the output limit counts them.
pub(crate) use query::{SCHEDULE_QUERIES, output_size};

/// Compiled code of one constraint.
#[derive(Debug, Clone)]
pub(crate) enum Program {
    Rhai(Script),
    Wasm(Arc<wasm::WasmPlugin>),
}

impl Program {
    /// For a WebAssembly plugin, what its component is.
    pub(crate) fn wasm_info(&self) -> Option<WasmInfo<'_>> {
        match self {
            Program::Wasm(p) => Some(WasmInfo {
                sha256: p.hash(),
                compiled: p.compiled(),
                version: p.version(),
            }),
            Program::Rhai(_) => None,
        }
    }
}

/// What a WebAssembly plugin's component is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WasmInfo<'a> {
    /// The SHA-256 of the component's bytes, in hex.
    pub sha256: &'a str,
    /// Where its machine code came from.
    pub compiled: Compiled,
    /// The version the plugin describes itself with.
    pub version: &'a str,
}

/// Compiles manifests' code.
/// Each source file is read and compiled once however many manifests
/// name it.
pub(crate) struct Compiler {
    rhai: RhaiCompiler,
    wasm: wasm::Loader,
}

impl Compiler {
    pub(crate) fn new(limits: &RhaiLimits) -> Self {
        Self {
            rhai: RhaiCompiler::new(limits),
            wasm: wasm::Loader::new(limits.max_component_bytes),
        }
    }

    pub(crate) fn compile(&self, m: &Manifest) -> Result<Program> {
        match m.kind {
            Kind::Rhai => Ok(Program::Rhai(self.rhai.compile(m)?)),
            Kind::Wasm => Ok(Program::Wasm(Arc::new(self.wasm.load(m)?))),
        }
    }
}

/// The hosts a worker owns, prepared for one league.
pub struct Runtime {
    league: Arc<League>,
    rhai: RhaiHost,
    wasm: wasm::WasmHost,
    data: Arc<DataSources>,
    calls: AtomicU64,
    tainted: AtomicBool,
    max_violations: usize,
    max_output_bytes: usize,
}

impl std::fmt::Debug for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Runtime")
            .field("teams", &self.league.teams.len())
            .field("calls", &self.calls())
            .field("tainted", &self.tainted())
            .field("data", &self.data)
            .finish_non_exhaustive()
    }
}

impl Runtime {
    /// A runtime for one league under the given script limits, with no data
    /// sources.
    pub fn new(league: Arc<League>, limits: &RhaiLimits) -> Self {
        Self::with_data(league, limits, Arc::default())
    }

    /// A runtime whose plugins may ask these data sources.
    pub fn with_data(league: Arc<League>, limits: &RhaiLimits, data: Arc<DataSources>) -> Self {
        Self {
            rhai: RhaiHost::new(limits, league.clone()),
            league: league.clone(),
            wasm: wasm::WasmHost::new(league, limits),
            data,
            calls: AtomicU64::new(0),
            tainted: AtomicBool::new(false),
            max_violations: limits.max_violations,
            max_output_bytes: limits.max_output_bytes,
        }
    }

    /// Constraint calls this runtime has made.
    pub fn calls(&self) -> u64 {
        self.calls.load(Ordering::Relaxed)
    }

    /// Whether a call may have left this runtime's state half-changed: a
    /// WebAssembly plugin trapped or was stopped at its deadline (its
    /// instance is dropped), or the host panicked. The runtime still works,
    /// but a careful owner replaces it (the worker pool does). A plugin that
    /// returned its own error or an answer the host refused does not taint
    /// it, nor does anything a Rhai script does (Rhai stops a script
    /// between two operations and the host rewinds its scope).
    pub fn tainted(&self) -> bool {
        self.tainted.load(Ordering::Relaxed)
    }

    /// Asks one constraint about one game, or about the schedule when `game`
    /// is `None` (a partitioned rule part by part, its verdict the parts'
    /// together). Never fails: every failure is a verdict.
    pub fn evaluate(
        &self,
        constraint: &Constraint,
        schedule: &Arc<Schedule>,
        game: Option<&Arc<Game>>,
    ) -> Verdict {
        self.evaluate_by(constraint, schedule, game, None)
    }

    /// As [`Runtime::evaluate`], stopping at `cap` if that comes before the
    /// constraint's own deadline (a game's or a request's deadline).
    pub fn evaluate_by(
        &self,
        constraint: &Constraint,
        schedule: &Arc<Schedule>,
        game: Option<&Arc<Game>>,
        cap: Option<Instant>,
    ) -> Verdict {
        let m = &constraint.manifest;
        match (game, m.partition) {
            (Some(g), _) => {
                self.evaluate_noting(constraint, schedule, Target::Game(g), cap, false)
                    .0
            }
            (None, None) => {
                self.evaluate_noting(constraint, schedule, Target::Schedule, cap, false)
                    .0
            }
            (None, Some(p)) => {
                let parts = (0..part_count(&self.league, p)).map(|k| {
                    let target = Target::Part(p, k);
                    (
                        k,
                        self.evaluate_noting(constraint, schedule, target, cap, false)
                            .0,
                    )
                });
                constraint.merge_parts(&self.league, parts.collect())
            }
        }
    }

    /// As [`Runtime::evaluate_by`], also returning what the call read
    /// (when `record`), for the verdict cache; `None` when its verdict must
    /// not be cached (it asked a data source).
    pub(crate) fn evaluate_noting(
        &self,
        constraint: &Constraint,
        schedule: &Arc<Schedule>,
        target: Target<'_>,
        cap: Option<Instant>,
        record: bool,
    ) -> (Verdict, Option<Seen>) {
        let m = &constraint.manifest;
        let started = Instant::now();
        let own = started + m.timeout;
        let deadline = cap.map_or(own, |cap| cap.min(own));
        self.calls.fetch_add(1, Ordering::Relaxed);
        let (run, notes) = call::within(&self.data, deadline, target.game(), record, || {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| match &constraint.program {
                Program::Rhai(script) => self.rhai.run(script, schedule, target, deadline),
                Program::Wasm(plugin) => self.wasm.run(plugin, schedule, target, deadline, started),
            }))
        });
        let elapsed_us = started.elapsed().as_micros() as u64;
        let mut verdict = Verdict {
            constraint: m.id.clone(),
            hardness: m.hardness,
            weight: m.weight,
            status: Status::Passed,
            score: 1.0,
            violations: Vec::new(),
            message: None,
            elapsed_us,
        };
        let outcome = match run {
            Ok(outcome) => outcome,
            Err(panic) => Err(Failure::trap(format!(
                "the host panicked while running `{}`: {}",
                m.id,
                panic_message(&panic)
            ))),
        };
        if outcome.as_ref().is_err_and(Failure::taints) {
            self.tainted.store(true, Ordering::Relaxed);
        }
        // A rule that failed because a data source it asked is down is not
        // at fault: its fallback answers.
        if let (Err(_), Some(why)) = (&outcome, notes.data_failure) {
            let verdict = Verdict {
                elapsed_us,
                ..constraint.fallback(&why)
            };
            return (verdict, None);
        }
        let fields = notes.fields;
        let reads = (notes.reads)
            .filter(|_| !notes.used_data)
            .map(|reads| Seen { reads, fields });
        // Bounded and checked before the verdict goes into a report,
        // whichever host.
        let outcome = outcome.and_then(|o| {
            // Named only in an error: most calls never need it.
            let file = || m.source.file_name().unwrap_or_default().to_string_lossy();
            if o.violations.len() > self.max_violations {
                let file = file();
                return Err(Failure::invalid(format!(
                    "{file}: it returned {} violations; at most {} are accepted (`plugins.max_violations`)",
                    o.violations.len(),
                    self.max_violations
                )));
            }
            let size = output_size(&o.violations);
            if size > self.max_output_bytes {
                let file = file();
                return Err(Failure::invalid(format!(
                    "{file}: its answer takes {} KiB; at most {} KiB are accepted (`plugins.max_output_kb`)",
                    size.div_ceil(1024),
                    self.max_output_bytes / 1024
                )));
            }
            let score = query::check_outcome(&o.violations, o.score, m.rewards).map_err(|message| {
                Failure::invalid(format!("{}: {message}", m.source.display()))
            })?;
            Ok((o.violations, score))
        });
        match outcome {
            Ok((violations, score)) => {
                verdict.score = score;
                verdict.status = if violations.is_empty() {
                    Status::Passed
                } else {
                    Status::Violated
                };
                verdict.violations = violations;
            }
            Err(Failure {
                kind: FailureKind::Timeout,
                message,
                ..
            }) => {
                verdict.status = Status::Timeout;
                verdict.score = 0.0;
                verdict.message = Some(if deadline < own {
                    format!(
                        "{message} (cut short after {} ms by the game's or the request's deadline)",
                        (deadline - started).as_millis()
                    )
                } else {
                    format!("{message} ({} ms)", m.timeout.as_millis())
                });
            }
            Err(Failure { message, .. }) => {
                verdict.status = Status::Error;
                verdict.score = 0.0;
                verdict.message = Some(message);
            }
        }
        (verdict, reads)
    }
}

fn panic_message(panic: &Box<dyn std::any::Any + Send>) -> String {
    panic
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
