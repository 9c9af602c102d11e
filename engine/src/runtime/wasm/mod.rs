//! The WebAssembly host: plugins are components of the world
//! `umpire:plugin/constraint` (`wit/`), run by wasmtime.
//!
//! - One shared [`Engine`](wasmtime::Engine) per process (two when a plugin asks for fuel:
//!   metering changes the compiled code), with the pooling allocator and
//!   epoch interruption; a ticker thread advances the epoch every
//!   millisecond, and each call's deadline is set in ticks.
//! - Components are compiled once and kept by the SHA-256 of their bytes,
//!   in memory, and on disk through wasmtime's cache, so a restart loads
//!   machine code instead of compiling.
//! - Each plugin has an `InstancePre`: imports resolved once, so an
//!   instantiation is a copy-on-write memory map and a few allocations.
//! - A store carries WASI without authority (no preopened directories, no
//!   environment, no arguments, no network), a memory cap (`StoreLimits`),
//!   and optionally a fuel budget.
//! - Isolation: `fresh` (the default) instantiates per call, so nothing
//!   carries over; `reuse` keeps one instance per worker and plugin, dropped
//!   after a trap or a timeout; `shared` keeps one per worker and component
//!   for all the manifests on it, their params swapped in per call.
//! - A component is read, hashed, linked and described once per registry
//!   load however many manifests name it ([`Loader`]).
//!
//! `engines.rs` holds the shared engines and the compile cache, `load.rs`
//! loads and checks a component, `run.rs` runs a call under the plugin's
//! isolation mode, and `host/` is the host half of the WIT contract.

mod engines;
mod host;
mod load;
mod run;

use std::time::Duration;

pub(crate) use engines::allocate_on_demand;
pub use engines::components_in_memory;
pub(crate) use load::{Loader, WasmPlugin};
pub(crate) use run::WasmHost;

/// The contract version this host implements.
pub const CONTRACT: &str = "umpire:plugin@0.2.0";
const PACKAGE: &str = "umpire:plugin";
/// Versions that link: within 0.x, the same minor version.
const COMPATIBLE: &str = "0.2.";

/// How often the epoch advances: the granularity of deadlines.
const TICK: Duration = Duration::from_millis(1);
/// Room for a guest's stdout and stderr per instance.
const STDIO_CAPACITY: usize = 64 * 1024;
/// A reused instance that has written this much is replaced.
const STDIO_RECYCLE: usize = 32 * 1024;

/// Where compiled components go on disk: `UMPIRE_WASM_CACHE` (a directory,
/// or `off`), else the user's cache directory.
pub const CACHE_ENV: &str = "UMPIRE_WASM_CACHE";

/// How a component was obtained when its plugin loaded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Compiled {
    /// Already in this process's memory.
    Memory,
    /// Machine code from the disk cache.
    DiskCache,
    /// Compiled from the component's bytes.
    Fresh,
}

/// Epoch ticks for a wall-clock budget, rounded up, plus one for the tick
/// in progress.
fn ticks(budget: Duration) -> u64 {
    (budget.as_micros().div_ceil(TICK.as_micros()) as u64).max(1) + 1
}
