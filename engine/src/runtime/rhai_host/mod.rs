//! The Rhai host: scripts compiled once to a shared AST, run on a raw engine
//! that holds nothing but the standard language package and the query API.
//!
//! The sandbox is what the engine lacks (no module resolver, no `eval`, no
//! file or network functions, `print` goes to tracing) plus the limits set on
//! it: operations, call depth, expression depth, string, array and map sizes,
//! and a wall-clock deadline checked from `on_progress`. Rhai has no
//! wall-clock limit of its own, so the deadline lives in a thread-local that
//! the progress callback reads every few hundred operations.
//!
//! - `limits.rs`: the limits, the size check Rhai leaves out, the deadline;
//! - `engine.rs`: the sandboxed engine, with the limits set on it;
//! - `compile.rs`: scripts compiled once per registry load;
//! - `host.rs`: the engine with one league's data that runs a script;
//! - `types.rs` and `api/`: what a script sees, and the query API as one
//!   shared package (a file per type it exposes);
//! - `outcome.rs`: what a script returned, read as violations.

mod api;
mod compile;
mod engine;
mod host;
mod limits;
mod outcome;
mod types;

pub use limits::RhaiLimits;

pub(crate) use compile::{RhaiCompiler, Script, open_in};
pub(crate) use engine::new_engine;
pub(crate) use host::RhaiHost;
pub(super) use limits::with_deadline;
pub(super) use outcome::{is_outcome, outcome};
pub(super) use types::{RGame, RLeague, RSchedule};
