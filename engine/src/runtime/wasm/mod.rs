//! The WebAssembly host: plugins are components of the world
//! `umpire:plugin/constraint` (`wit/`), run by wasmtime.
//!
//! - One shared [`Engine`] per process (two when a plugin asks for fuel:
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

mod host;

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, Weak};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig, Store, Trap};

use super::Target;
use super::answer::{Failure, Outcome};
use crate::error::{Error, Result};
use crate::manifests::{Isolation, Manifest, Partition, Scope, WasmSettings};
use crate::model::{Game, League, Schedule};
use host::{Bindings, BindingsPre, Call, HostState, OUTSIDE_SCHEDULE, Params, Part};

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
/// Bytes of a freed memory slot kept resident and reset in place (a Rust
/// guest's 1 MiB stack, its data and its first heap pages).
const KEEP_RESIDENT: usize = 2 << 20;
/// Bytes of a freed table slot kept resident.
const KEEP_RESIDENT_TABLE: usize = 64 << 10;
/// Freed instance slots handed back to the kernel together.
const DECOMMIT_BATCH: usize = 32;
/// Instances the pool holds at once, across all workers.
const POOL_INSTANCES: u32 = 1_000;

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

/// One engine with what hangs off it.
struct Kit {
    engine: Engine,
    linker: Linker<HostState>,
    cache: Option<wasmtime::Cache>,
    /// Compiled components by the SHA-256 of their bytes, each kept only
    /// while a loaded plugin holds it: once the last registry that uses a
    /// component is dropped (replaced by a reload), so is its machine code.
    components: Mutex<HashMap<[u8; 32], Weak<Held>>>,
}

/// A compiled component, shared by the plugins loaded from it.
pub(crate) struct Held(Component);

static PLAIN: OnceLock<std::result::Result<Arc<Kit>, String>> = OnceLock::new();
static METERED: OnceLock<std::result::Result<Arc<Kit>, String>> = OnceLock::new();

fn kit(fuel: bool) -> std::result::Result<Arc<Kit>, String> {
    let cell = if fuel { &METERED } else { &PLAIN };
    cell.get_or_init(|| Kit::new(fuel).map(Arc::new)).clone()
}

impl Kit {
    fn new(fuel: bool) -> std::result::Result<Self, String> {
        let mut config = Config::new();
        config.epoch_interruption(true).consume_fuel(fuel);
        // `UMPIRE_WASM_PROFILER=perfmap` writes /tmp/perf-PID.map, so `perf
        // report` names the plugins' functions (build them unstripped).
        if std::env::var_os("UMPIRE_WASM_PROFILER").is_some_and(|v| v == "perfmap") {
            config.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let cache = disk_cache();
        config.cache(cache.clone());
        let mut pool = PoolingAllocationConfig::new();
        pool.total_component_instances(POOL_INSTANCES)
            .total_core_instances(POOL_INSTANCES * 4)
            .total_memories(POOL_INSTANCES)
            .total_tables(POOL_INSTANCES * 2)
            // Calls are synchronous: no fiber stacks (the default reserves
            // one per instance, a guard page each, ~4 ms at start).
            .total_stacks(0)
            .max_memory_size(crate::manifests::MAX_MEMORY_MB as usize * 1024 * 1024)
            // A freed slot keeps its pages: the kernel's PAGEMAP_SCAN finds
            // the few a call dirtied and only those are reset, so the next
            // instance takes no page faults there (Linux 6.7+; elsewhere
            // the low bytes are reset with memset, or pages are returned).
            .pagemap_scan(wasmtime::Enabled::Auto)
            .linear_memory_keep_resident(KEEP_RESIDENT)
            .table_keep_resident(KEEP_RESIDENT_TABLE)
            // What is handed back goes in batches: one `madvise` pass and
            // one TLB shootdown per batch instead of per instance.
            .decommit_batch_size(DECOMMIT_BATCH);
        config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        let engine = match Engine::new(&config) {
            Ok(engine) => engine,
            Err(e) => {
                // A machine that will not reserve the pool's address space
                // (a low `ulimit -v`) still runs plugins, only slower.
                tracing::warn!(
                    "the pooling allocator is unavailable ({e}); allocating instances on demand"
                );
                config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
                Engine::new(&config).map_err(|e| format!("cannot start wasmtime: {e}"))?
            }
        };
        let mut linker = Linker::new(&engine);
        wasmtime_wasi::p2::add_to_linker_sync(&mut linker)
            .and_then(|()| {
                Bindings::add_to_linker::<HostState, wasmtime::component::HasSelf<HostState>>(
                    &mut linker,
                    |s| s,
                )
            })
            .map_err(|e| format!("cannot link the host interfaces: {e}"))?;
        let ticker = engine.weak();
        std::thread::Builder::new()
            .name("umpire-wasm-epoch".into())
            .spawn(move || {
                while let Some(engine) = ticker.upgrade() {
                    engine.increment_epoch();
                    std::thread::sleep(TICK);
                }
            })
            .map_err(|e| format!("cannot start the epoch ticker: {e}"))?;
        Ok(Self {
            engine,
            linker,
            cache,
            components: Mutex::new(HashMap::new()),
        })
    }

    /// The component with these bytes, compiled once while any loaded
    /// plugin holds it.
    fn component(&self, hash: [u8; 32], bytes: &[u8]) -> wasmtime::Result<(Arc<Held>, Compiled)> {
        let live = |components: &HashMap<[u8; 32], Weak<Held>>| {
            components.get(&hash).and_then(Weak::upgrade)
        };
        if let Some(held) = live(&self.components.lock().unwrap_or_else(|e| e.into_inner())) {
            return Ok((held, Compiled::Memory));
        }
        let hits = self.cache.as_ref().map_or(0, |c| c.cache_hits());
        let component = Component::new(&self.engine, bytes)?;
        let from = if self.cache.as_ref().is_some_and(|c| c.cache_hits() > hits) {
            Compiled::DiskCache
        } else {
            Compiled::Fresh
        };
        let mut components = self.components.lock().unwrap_or_else(|e| e.into_inner());
        // Another thread may have compiled it meanwhile: one copy in memory.
        if let Some(held) = live(&components) {
            return Ok((held, Compiled::Memory));
        }
        components.retain(|_, held| held.strong_count() > 0);
        let held = Arc::new(Held(component));
        components.insert(hash, Arc::downgrade(&held));
        Ok((held, from))
    }

    fn in_memory(&self) -> Vec<[u8; 32]> {
        let components = self.components.lock().unwrap_or_else(|e| e.into_inner());
        components
            .iter()
            .filter(|(_, held)| held.strong_count() > 0)
            .map(|(hash, _)| *hash)
            .collect()
    }
}

/// The SHA-256 (hex) of every compiled component this process holds in
/// memory: those that a loaded plugin uses, and no others (for tests and
/// metrics; a reload that replaces a component frees the old one).
pub fn components_in_memory() -> Vec<String> {
    let mut hashes: Vec<String> = [&PLAIN, &METERED]
        .into_iter()
        .filter_map(|cell| cell.get().and_then(|k| k.as_ref().ok()))
        .flat_map(|kit| kit.in_memory())
        .map(|hash| hex(&hash))
        .collect();
    hashes.sort();
    hashes
}

fn hex(hash: &[u8; 32]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// The disk cache, unless turned off or impossible.
fn disk_cache() -> Option<wasmtime::Cache> {
    let dir = match std::env::var_os(CACHE_ENV) {
        Some(v) if v == "off" => return None,
        Some(v) => PathBuf::from(v),
        None => {
            let base = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
            base.join("umpire").join("wasmtime")
        }
    };
    let mut config = wasmtime::CacheConfig::new();
    config.with_directory(&dir);
    match wasmtime::Cache::new(config) {
        Ok(cache) => Some(cache),
        Err(e) => {
            tracing::warn!(dir = %dir.display(), "no disk cache for compiled plugins: {e}");
            None
        }
    }
}

/// A component checked, linked and described once, shared by every
/// manifest that names it.
pub(crate) struct Prepared {
    pre: BindingsPre<HostState>,
    /// Keeps the compiled component in the in-memory cache while this
    /// plugin is loaded.
    _held: Arc<Held>,
    engine: Engine,
    hash: String,
    compiled: Compiled,
    /// The id and version it gave in `describe`.
    id: String,
    version: String,
}

/// Loads components, each file once: a pack of many manifests on one
/// component (ITC2021's) reads, hashes, links and describes it once.
pub(crate) struct Loader {
    by_file: RefCell<HashMap<(PathBuf, bool), Arc<Prepared>>>,
    max_bytes: usize,
}

impl Loader {
    /// A loader that refuses component files over `max_bytes`.
    pub(crate) fn new(max_bytes: usize) -> Self {
        Self {
            by_file: RefCell::default(),
            max_bytes,
        }
    }

    /// Loads and checks a `wasm` manifest's component.
    pub(crate) fn load(&self, m: &Manifest) -> Result<WasmPlugin> {
        let settings = m.wasm.unwrap_or_default();
        let key = (m.source.clone(), settings.fuel.is_some());
        let known = self.by_file.borrow().get(&key).cloned();
        let prepared = match known {
            Some(p) => p,
            None => {
                let p = Arc::new(prepare(m, self.max_bytes)?);
                self.by_file.borrow_mut().insert(key, p.clone());
                p
            }
        };
        let owned = prepared.id == *m.id
            || m.id
                .strip_prefix(prepared.id.as_str())
                .is_some_and(|rest| rest.starts_with('.'));
        if !owned {
            return Err(Error::Plugin {
                path: m.source.clone(),
                message: format!(
                    "the plugin describes itself as `{}`, but its manifest {} says `{}`; make the ids agree (or, for one of several constraints on the plugin, start the id with `{}.`)",
                    prepared.id,
                    m.path.display(),
                    m.id,
                    prepared.id
                ),
            });
        }
        Ok(WasmPlugin {
            id: m.id.clone(),
            source: m.source.clone(),
            scope: m.scope,
            settings,
            params: Arc::new(Params::new(&m.params)),
            prepared,
        })
    }
}

/// A loaded plugin: its component, prepared for instantiation.
pub(crate) struct WasmPlugin {
    id: Arc<str>,
    source: PathBuf,
    scope: Scope,
    settings: WasmSettings,
    params: Arc<Params>,
    prepared: Arc<Prepared>,
}

impl std::fmt::Debug for WasmPlugin {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WasmPlugin")
            .field("id", &self.id)
            .field("source", &self.source)
            .field("hash", &self.prepared.hash)
            .finish_non_exhaustive()
    }
}

impl WasmPlugin {
    /// SHA-256 of the component, hex.
    pub(crate) fn hash(&self) -> &str {
        &self.prepared.hash
    }

    /// Where its machine code came from.
    pub(crate) fn compiled(&self) -> Compiled {
        self.prepared.compiled
    }

    /// The version the plugin gave in `describe`.
    pub(crate) fn version(&self) -> &str {
        &self.prepared.version
    }

    fn store(&self, league: Option<Arc<League>>) -> Store<HostState> {
        let state = HostState::new(
            league,
            self.params.clone(),
            self.id.clone(),
            self.settings.memory_mb as usize * 1024 * 1024,
            STDIO_CAPACITY,
        );
        let mut store = Store::new(&self.prepared.engine, state);
        store.limiter(|s| &mut s.limits);
        store
    }
}

/// Reads, compiles, checks, links and describes a `wasm` manifest's
/// component.
fn prepare(m: &Manifest, max_bytes: usize) -> Result<Prepared> {
    let fail = |message: String| Error::Plugin {
        path: m.source.clone(),
        message,
    };
    let settings = m.wasm.unwrap_or_default();
    let kit = kit(settings.fuel.is_some()).map_err(fail)?;
    let bytes = super::read_source(&m.source, max_bytes, "plugins.max_component_mb")?;
    // What is not a component is said without quoting its bytes (wasmtime
    // would print the first four): the file may be anything.
    if !bytes.starts_with(b"\0asm") {
        return Err(fail(
            "not a WebAssembly component (no `\\0asm` header); build it for wasm32-wasip2 with the umpire-plugin SDK".into(),
        ));
    }
    if bytes.get(4..8) == Some(&[1, 0, 0, 0]) {
        return Err(fail(
            "not a WebAssembly component but a core module; build it for wasm32-wasip2 (which emits a component) with the umpire-plugin SDK".into(),
        ));
    }
    let hash: [u8; 32] = Sha256::digest(&bytes).into();
    let (held, compiled) = kit.component(hash, &bytes).map_err(|e| {
        fail(format!(
            "not a WebAssembly component this host can compile: {e:#}; build it for wasm32-wasip2 with the umpire-plugin SDK"
        ))
    })?;
    let component = held.0.clone();
    check_contract(&component, &kit.engine).map_err(fail)?;
    let pre = kit.linker.instantiate_pre(&component).map_err(|e| {
        fail(format!(
            "cannot link: {e:#}; a plugin gets the {PACKAGE} interfaces and WASI without files, network, environment or arguments"
        ))
    })?;
    let pre = BindingsPre::new(pre)
        .map_err(|e| fail(format!("its exports do not match {CONTRACT}: {e:#}")))?;
    let plugin = WasmPlugin {
        id: m.id.clone(),
        source: m.source.clone(),
        scope: m.scope,
        settings,
        params: Arc::new(Params::new(&m.params)),
        prepared: Arc::new(Prepared {
            pre,
            _held: held,
            engine: kit.engine.clone(),
            hash: hex(&hash),
            compiled,
            id: String::new(),
            version: String::new(),
        }),
    };
    let description = describe(&plugin, m).map_err(fail)?;
    let Ok(prepared) = Arc::try_unwrap(plugin.prepared) else {
        unreachable!("`describe` keeps no reference")
    };
    Ok(Prepared {
        id: description.id,
        version: description.version,
        ..prepared
    })
}

/// Refuses a component built against another version of the contract, or
/// one that does not export the rule.
fn check_contract(component: &Component, engine: &Engine) -> std::result::Result<(), String> {
    let ty = component.component_type();
    let mut names: Vec<(&str, bool)> = ty.imports(engine).map(|(n, _)| (n, true)).collect();
    let exports: Vec<&str> = ty.exports(engine).map(|(n, _)| n).collect();
    names.extend(exports.iter().map(|n| (*n, false)));
    for (name, imported) in &names {
        let Some(rest) = name.strip_prefix(PACKAGE).and_then(|r| r.strip_prefix('/')) else {
            continue;
        };
        let version = rest.split_once('@').map(|(_, v)| v);
        match version {
            Some(v) if v.starts_with(COMPATIBLE) => {}
            Some(v) => {
                return Err(format!(
                    "built against {PACKAGE}@{v} (it {} `{name}`), but this umpire implements {CONTRACT}; rebuild it with a matching umpire-plugin SDK",
                    if *imported { "imports" } else { "exports" }
                ));
            }
            None => {
                return Err(format!(
                    "`{name}` carries no version; this umpire implements {CONTRACT}"
                ));
            }
        }
    }
    if !exports
        .iter()
        .any(|n| n.starts_with(&format!("{PACKAGE}/rule@")))
    {
        let found = &exports;
        return Err(format!(
            "it does not export `{PACKAGE}/rule` (it exports: {}); a plugin implements the world `constraint` of {CONTRACT}, e.g. with `umpire_plugin::export_rule!`",
            if found.is_empty() {
                "nothing".to_owned()
            } else {
                found.join(", ")
            }
        ));
    }
    Ok(())
}

fn describe(
    plugin: &WasmPlugin,
    m: &Manifest,
) -> std::result::Result<host::bindings::exports::umpire::plugin::rule::Description, String> {
    let mut store = plugin.store(None);
    store.set_epoch_deadline(ticks(m.timeout));
    if let Some(fuel) = plugin.settings.fuel {
        store
            .set_fuel(fuel)
            .map_err(|e| format!("cannot set fuel: {e}"))?;
    }
    let instance = plugin
        .prepared
        .pre
        .instantiate(&mut store)
        .map_err(|e| format!("cannot instantiate: {}", failure_text(&e, &store, plugin)))?;
    instance
        .umpire_plugin_rule()
        .call_describe(&mut store)
        .map_err(|e| format!("`describe` failed: {}", failure_text(&e, &store, plugin)))
}

/// Epoch ticks for a wall-clock budget, rounded up, plus one for the tick
/// in progress.
fn ticks(budget: Duration) -> u64 {
    (budget.as_micros().div_ceil(TICK.as_micros()) as u64).max(1) + 1
}

/// A reused instance and its store.
struct Slot {
    /// Keeps the component alive while its address is the slot's key.
    prepared: Arc<Prepared>,
    store: Store<HostState>,
    bindings: Bindings,
}

/// Which reused instance a call may enter: one per plugin under `reuse`;
/// under `shared`, one per component, memory cap and fuel budget.
#[derive(Clone, Copy, PartialEq, Eq)]
struct SlotKey(usize, u32, Option<u64>);

impl SlotKey {
    fn of(plugin: &Arc<WasmPlugin>) -> Self {
        let s = plugin.settings;
        match s.isolation {
            Isolation::Shared => Self(Arc::as_ptr(&plugin.prepared) as usize, s.memory_mb, s.fuel),
            Isolation::Reuse | Isolation::Fresh => Self(Arc::as_ptr(plugin) as usize, 0, None),
        }
    }
}

/// The records of the schedule last seen, so a call does not rebuild them.
struct Records {
    schedule: Weak<Schedule>,
    records: Arc<host::Records>,
    /// The slot last asked about: games usually come in order.
    last: usize,
}

/// What a worker keeps for WebAssembly plugins: its reused instances and
/// the schedule's game records.
pub(crate) struct WasmHost {
    league: Arc<League>,
    /// Reused instances by plugin (a handful: a linear scan beats hashing).
    slots: RefCell<Vec<(SlotKey, Slot)>>,
    records: RefCell<Option<Records>>,
    limits: host::OutputLimits,
    /// Bytes a call's answer may copy out of the guest (wasmtime's
    /// hostcall fuel): the output limit, enforced before the host holds
    /// the answer.
    output_fuel: usize,
}

impl WasmHost {
    pub(crate) fn new(league: Arc<League>, limits: &super::RhaiLimits) -> Self {
        Self {
            league,
            slots: RefCell::new(Vec::new()),
            records: RefCell::new(None),
            output_fuel: limits.max_output_bytes,
            limits: host::OutputLimits {
                max_violations: limits.max_violations,
                max_entities: limits.max_array_size,
                max_string_bytes: limits.max_string_size,
            },
        }
    }

    /// Where `game` sits in the schedule, if it is that schedule's own game
    /// (not an edited or inline one). Tries the slot after the last one
    /// asked about before looking the id up.
    fn slot_of(&self, schedule: &Schedule, game: &Arc<Game>) -> Option<usize> {
        let games = schedule.games();
        let mut cached = self.records.borrow_mut();
        let last = cached.as_ref().map_or(0, |r| r.last);
        let found = [last, last + 1]
            .into_iter()
            .find(|&i| games.get(i).is_some_and(|g| Arc::ptr_eq(g, game)))
            .or_else(|| schedule.position_of(game));
        if let (Some(i), Some(r)) = (found, cached.as_mut()) {
            r.last = i;
        }
        found
    }

    fn records(&self, schedule: &Arc<Schedule>) -> Arc<host::Records> {
        let mut cached = self.records.borrow_mut();
        if let Some(r) = cached.as_ref()
            && std::ptr::eq(r.schedule.as_ptr(), Arc::as_ptr(schedule))
        {
            return r.records.clone();
        }
        let before = cached.as_ref().map(|r| &*r.records);
        let records = Arc::new(host::Records::after(schedule, before));
        *cached = Some(Records {
            schedule: Arc::downgrade(schedule),
            records: records.clone(),
            last: 0,
        });
        records
    }

    /// Runs one call under the plugin's isolation mode; `now` is when the
    /// call started.
    pub(crate) fn run(
        &self,
        plugin: &Arc<WasmPlugin>,
        schedule: &Arc<Schedule>,
        target: Target<'_>,
        deadline: Instant,
        now: Instant,
    ) -> std::result::Result<Outcome, Failure> {
        let game = target.game();
        let records = self.records(schedule);
        let record;
        let game_record = match game {
            Some(g) => Some(match self.slot_of(schedule, g) {
                Some(i) => records
                    .get(i, schedule, &self.league)
                    .unwrap_or_else(|| unreachable!("a slot of this schedule")),
                None => {
                    record = host::game_record(g, OUTSIDE_SCHEDULE, &self.league);
                    &record
                }
            }),
            None => None,
        };
        let call = Call {
            schedule: schedule.clone(),
            records: records.clone(),
            game: game.cloned(),
        };
        let key = SlotKey::of(plugin);
        // The caller's clock read: the deadline in epoch ticks from `now`
        // (what happened since takes microseconds, far below a tick).
        let mut slot = match plugin.settings.isolation {
            Isolation::Reuse | Isolation::Shared => {
                let mut slots = self.slots.borrow_mut();
                let found = slots.iter().position(|(k, _)| *k == key);
                found.map(|i| slots.swap_remove(i).1)
            }
            Isolation::Fresh => None,
        };
        let slot = match slot.take() {
            Some(slot) => slot,
            None => {
                let mut store = plugin.store(Some(self.league.clone()));
                store.set_epoch_deadline(ticks(deadline.saturating_duration_since(now)));
                let bindings = plugin
                    .prepared
                    .pre
                    .instantiate(&mut store)
                    .map_err(|e| self.failure(&e, &store, plugin, deadline))?;
                Slot {
                    prepared: plugin.prepared.clone(),
                    store,
                    bindings,
                }
            }
        };
        let Slot {
            prepared: kept,
            mut store,
            bindings,
        } = slot;
        let state = store.data_mut();
        if plugin.settings.isolation == Isolation::Shared {
            state.serve(&plugin.params, &plugin.id);
        }
        state.begin(call);
        store.set_hostcall_fuel(self.output_fuel);
        store.set_epoch_deadline(ticks(deadline.saturating_duration_since(now)));
        if let Some(fuel) = plugin.settings.fuel
            && let Err(e) = store.set_fuel(fuel)
        {
            return Err(Failure::trap(format!("cannot set fuel: {e}")));
        }
        let rule = bindings.umpire_plugin_rule();
        let result = match (plugin.scope, game_record, target) {
            (Scope::Game, Some(g), _) => rule.call_evaluate_game(&mut store, g),
            (_, _, Target::Part(p, k)) => {
                let k = k as u32;
                let part = match p {
                    Partition::Team => Part::Team(k),
                    Partition::Venue => Part::Venue(k),
                };
                rule.call_evaluate_part(&mut store, part)
            }
            _ => rule.call_evaluate_schedule(&mut store),
        };
        store.data_mut().call = None;
        let returned = result.is_ok();
        let answer = match result {
            Err(e) => Err(self.failure(&e, &store, plugin, deadline)),
            Ok(Err(message)) => Err(Failure::reported(format!(
                "{}: the plugin reported an error: {message}",
                file_name(&plugin.source)
            ))),
            Ok(Ok(record)) => host::outcome(record, &self.limits)
                .map(|(violations, score)| Outcome { violations, score })
                .map_err(|m| Failure::invalid(format!("{}: {m}", file_name(&plugin.source)))),
        };
        // An instance whose call did not return (a trap, a timeout, an answer
        // stopped while it was copied out) is never entered again; one that
        // returned, even with its own error, goes back unless it has filled
        // its output buffer.
        if plugin.settings.isolation != Isolation::Fresh
            && returned
            && store.data().stdio.contents().len() < STDIO_RECYCLE
        {
            self.slots.borrow_mut().push((
                key,
                Slot {
                    prepared: kept,
                    store,
                    bindings,
                },
            ));
        }
        answer
    }

    /// A call that did not return, by why: an answer over the output limit
    /// (stopped while it was copied out) is invalid, one past the deadline
    /// a timeout, anything else a trap.
    fn failure(
        &self,
        e: &wasmtime::Error,
        store: &Store<HostState>,
        plugin: &WasmPlugin,
        deadline: Instant,
    ) -> Failure {
        let text = failure_text(e, store, plugin);
        let file = file_name(&plugin.source);
        if format!("{e:#}").contains("fuel allocated for hostcalls has been exhausted") {
            return Failure::invalid(format!(
                "{file}: its answer is over {} KiB; at most that is accepted (`plugins.max_output_kb`), and the rest was not copied out of the plugin",
                self.output_fuel / 1024
            ));
        }
        if e.downcast_ref::<Trap>() == Some(&Trap::Interrupt) || Instant::now() > deadline {
            Failure::timeout(format!("{file}: the plugin ran past its deadline"))
        } else {
            Failure::trap(format!("{file}: {text}"))
        }
    }
}

/// A trap or host error in words, with what the guest last printed (a
/// Rust panic message).
fn failure_text(e: &wasmtime::Error, store: &Store<HostState>, plugin: &WasmPlugin) -> String {
    let printed = String::from_utf8_lossy(&store.data().stdio.contents()).into_owned();
    let last = printed
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.contains("note: run with `RUST_BACKTRACE"))
        .map(|l| l.trim().to_owned());
    let chain = format!("{e:#}");
    match e.downcast_ref::<Trap>() {
        Some(Trap::OutOfFuel) => format!(
            "the plugin used up its fuel budget of {} instructions",
            plugin.settings.fuel.unwrap_or(0)
        ),
        Some(Trap::StackOverflow) => {
            "the plugin overflowed its stack (unbounded recursion?)".to_owned()
        }
        Some(Trap::UnreachableCodeReached) => match &last {
            Some(line) => format!("the plugin trapped: {line}"),
            None => "the plugin trapped (a Rust panic or abort)".to_owned(),
        },
        Some(trap) => format!("the plugin trapped: {trap}"),
        None if chain.contains("forcing trap when growing memory") => format!(
            "the plugin went over its memory cap of {} MiB",
            plugin.settings.memory_mb
        ),
        None => chain.lines().next().unwrap_or("unknown error").to_owned(),
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| path.display().to_string())
}
