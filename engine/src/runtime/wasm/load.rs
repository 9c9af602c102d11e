//! Loading a component: read, hashed, compiled, checked against the
//! contract, linked and described, once per file however many manifests
//! name it.

use std::cell::RefCell;
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use wasmtime::component::Component;
use wasmtime::{Engine, Store, Trap};

use super::engines::{Held, hex, kit};
use super::host::{self, BindingsPre, HostState, Params};
use super::{COMPATIBLE, CONTRACT, Compiled, PACKAGE, STDIO_CAPACITY, ticks};
use crate::error::{Error, Result};
use crate::manifests::{Manifest, Scope, WasmSettings};
use crate::model::League;

/// A component checked, linked and described once, shared by every
/// manifest that names it.
pub(crate) struct Prepared {
    pub(super) pre: BindingsPre<HostState>,
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
    pub(super) id: Arc<str>,
    pub(super) source: PathBuf,
    pub(super) scope: Scope,
    pub(super) settings: WasmSettings,
    pub(super) params: Arc<Params>,
    pub(super) prepared: Arc<Prepared>,
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

    pub(super) fn store(&self, league: Option<Arc<League>>) -> Store<HostState> {
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
    let bytes = crate::runtime::read_source(&m.source, max_bytes, "plugins.max_component_mb")?;
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

/// A trap or host error in words, with what the guest last printed (a
/// Rust panic message).
pub(super) fn failure_text(
    e: &wasmtime::Error,
    store: &Store<HostState>,
    plugin: &WasmPlugin,
) -> String {
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
