//! The shared engines (one plain, one metered for fuel), each with its
//! linker and epoch ticker, and the compile cache: components kept in
//! memory by the SHA-256 of their bytes while a plugin holds them, and on
//! disk as the engine's own serialized machine code, mapped back in.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, OnceLock, Weak};

use wasmtime::component::{Component, Linker};
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

use super::host::{Bindings, HostState};
use super::{CACHE_ENV, Compiled, TICK};

/// Bytes of a freed memory slot kept resident and reset in place (a Rust
/// guest's 1 MiB stack, its data and its first heap pages).
const KEEP_RESIDENT: usize = 2 << 20;
/// Bytes of a freed table slot kept resident.
const KEEP_RESIDENT_TABLE: usize = 64 << 10;
/// Freed instance slots handed back to the kernel together.
const DECOMMIT_BATCH: usize = 32;
/// Instances the pool holds at once, across all workers.
const POOL_INSTANCES: u32 = 1_000;

/// One engine with what hangs off it.
pub(super) struct Kit {
    pub(super) engine: Engine,
    pub(super) linker: Linker<HostState>,
    cache: Option<DiskCache>,
    /// Compiled components by the SHA-256 of their bytes, each kept only
    /// while a loaded plugin holds it: once the last registry that uses a
    /// component is dropped (replaced by a reload), so is its machine code.
    components: Mutex<HashMap<[u8; 32], Weak<Held>>>,
}

/// A compiled component, shared by the plugins loaded from it.
pub(crate) struct Held(pub(super) Component);

static PLAIN: OnceLock<std::result::Result<Arc<Kit>, String>> = OnceLock::new();
static METERED: OnceLock<std::result::Result<Arc<Kit>, String>> = OnceLock::new();

pub(super) fn kit(fuel: bool) -> std::result::Result<Arc<Kit>, String> {
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
        if ON_DEMAND.load(std::sync::atomic::Ordering::Relaxed) {
            config.allocation_strategy(InstanceAllocationStrategy::OnDemand);
        } else {
            config.allocation_strategy(InstanceAllocationStrategy::Pooling(pool));
        }
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
    pub(super) fn component(
        &self,
        hash: [u8; 32],
        bytes: &[u8],
    ) -> wasmtime::Result<(Arc<Held>, Compiled)> {
        let live = |components: &HashMap<[u8; 32], Weak<Held>>| {
            components.get(&hash).and_then(Weak::upgrade)
        };
        if let Some(held) = live(&self.components.lock().unwrap_or_else(|e| e.into_inner())) {
            return Ok((held, Compiled::Memory));
        }
        let cached = self
            .cache
            .as_ref()
            .and_then(|c| c.load(&self.engine, &hash));
        let (component, from) = match cached {
            Some(component) => (component, Compiled::DiskCache),
            None => {
                let component = Component::new(&self.engine, bytes)?;
                if let Some(cache) = &self.cache {
                    cache.store(&self.engine, &hash, &component);
                }
                (component, Compiled::Fresh)
            }
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

pub(super) fn hex(hash: &[u8; 32]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether the engines allocate instances on demand instead of from a
/// pool: a one-shot command that runs a handful of instances saves the
/// pool's reservation and its teardown (set before the first plugin loads).
static ON_DEMAND: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Makes the engines allocate instances on demand: for a process that
/// loads a few plugins, runs them and exits (`umpire robinx`). It has no
/// effect once an engine exists.
pub(crate) fn allocate_on_demand() {
    ON_DEMAND.store(true, std::sync::atomic::Ordering::Relaxed);
}

/// The disk cache, unless turned off or impossible.
fn disk_cache() -> Option<DiskCache> {
    let dir = match std::env::var_os(CACHE_ENV) {
        Some(v) if v == "off" => return None,
        Some(v) => PathBuf::from(v),
        None => {
            let base = std::env::var_os("XDG_CACHE_HOME")
                .map(PathBuf::from)
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
            base.join("umpire").join("components")
        }
    };
    Some(DiskCache { dir })
}

/// Compiled components on disk: one file per component and engine
/// configuration, the engine's serialized machine code as it is, so that a
/// load maps the file instead of decompressing it (wasmtime's own cache
/// keeps zstd: decompressing the RobinX pack was a quarter of a small
/// `umpire robinx` run).
struct DiskCache {
    dir: PathBuf,
}

impl DiskCache {
    /// `<sha256 of the component>-<engine configuration>.cwasm`.
    fn path(&self, engine: &Engine, hash: &[u8; 32]) -> PathBuf {
        use std::hash::{Hash, Hasher};
        let mut h = std::collections::hash_map::DefaultHasher::new();
        engine.precompile_compatibility_hash().hash(&mut h);
        self.dir
            .join(format!("{}-{:016x}.cwasm", hex(hash), h.finish()))
    }

    /// The component compiled earlier, if its file is there and this engine
    /// accepts it (a file from another wasmtime or configuration is
    /// refused by wasmtime's own header check, and then compiled afresh).
    #[allow(unsafe_code)]
    fn load(&self, engine: &Engine, hash: &[u8; 32]) -> Option<Component> {
        let path = self.path(engine, hash);
        if !path.is_file() {
            return None;
        }
        // SAFETY: `deserialize_file` trusts the file to be what
        // `Component::serialize` wrote. Only `store` below writes into this
        // directory (the user's own cache, or the one UMPIRE_WASM_CACHE
        // names), each file complete before it is renamed into place, and
        // named by the SHA-256 of the component it was compiled from and
        // the engine's configuration. This is the trust wasmtime's own disk
        // cache places in its directory.
        match unsafe { Component::deserialize_file(engine, &path) } {
            Ok(component) => Some(component),
            Err(e) => {
                tracing::debug!(path = %path.display(), "a cached component is not used: {e:#}");
                None
            }
        }
    }

    /// Writes `component` for the next process; a failure only costs the
    /// next process a compile.
    fn store(&self, engine: &Engine, hash: &[u8; 32], component: &Component) {
        let path = self.path(engine, hash);
        let write = || -> std::io::Result<()> {
            std::fs::create_dir_all(&self.dir)?;
            let bytes = component.serialize().map_err(std::io::Error::other)?;
            // A name no other writer uses, in this process or another: two
            // threads that compiled the same component at once must not
            // write into one file, or the rename could publish a torn one.
            static WRITES: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
            let tmp = self.dir.join(format!(
                ".{}.{}.{}.tmp",
                std::process::id(),
                WRITES.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
                path.file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or("component")
            ));
            std::fs::write(&tmp, bytes)?;
            std::fs::rename(&tmp, &path)
        };
        if let Err(e) = write() {
            tracing::warn!(dir = %self.dir.display(), "cannot keep a compiled plugin on disk: {e}");
        }
    }
}
