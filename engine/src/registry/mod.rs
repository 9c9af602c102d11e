//! The registry: every constraint of a league's plugin directories, each
//! manifest validated, its plugin built if its `[build]` says how and it is
//! out of date, its code compiled by the runtime, and the dependency graph
//! over them. A registry that exists is one that can run.
//!
//! A plugin directory holds any number of manifests (`*.toml`, top level
//! only, so fixtures in subdirectories are never mistaken for rules; and
//! never `Cargo.toml` or other tool files, so a cargo workspace of
//! WebAssembly plugins is a plugin directory too).

mod config;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use config::PluginsConfig;

use crate::error::{Error, Result};
use crate::manifests::{
    BuildLimits, BuildObserver, BuildOutput, BuildPolicy, DependencyGraph, Manifest, build,
};
use crate::model::fingerprint::Fingerprint;
use crate::runtime::{Constraint, RhaiLimits};

/// Files in a plugin directory that belong to tools, not to umpire.
const NOT_MANIFESTS: &[&str] = &[
    "Cargo.toml",
    "rust-toolchain.toml",
    "rustfmt.toml",
    ".rustfmt.toml",
    "clippy.toml",
];

/// How a registry loads.
#[derive(Default)]
pub struct LoadOptions<'a> {
    /// Limits for Rhai scripts (and for what any plugin may return).
    pub limits: RhaiLimits,
    /// Whether to run `[build]` commands.
    pub build: BuildPolicy,
    /// How long a build may run and how much of its output is kept.
    pub build_limits: BuildLimits,
    /// Where a build's output goes (captured unless a terminal shows it).
    pub build_output: BuildOutput,
    /// Told of each step of a build.
    pub on_build: Option<&'a BuildObserver<'a>>,
}

impl std::fmt::Debug for LoadOptions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadOptions")
            .field("limits", &self.limits)
            .field("build", &self.build)
            .field("build_limits", &self.build_limits)
            .field("build_output", &self.build_output)
            .field("on_build", &self.on_build.map(|_| "observer"))
            .finish()
    }
}

/// Every loaded constraint, with the dependency graph over them.
#[derive(Debug, Clone)]
pub struct Registry {
    constraints: Vec<Constraint>,
    limits: RhaiLimits,
    graph: DependencyGraph,
}

impl Registry {
    /// Loads every manifest in the directories, compiles the code and builds
    /// the dependency graph, with the default script limits.
    pub fn load(dirs: &[PathBuf]) -> Result<Self> {
        Self::load_with(dirs, &RhaiLimits::default())
    }

    /// As [`Registry::load`], compiling under the given limits.
    pub fn load_with(dirs: &[PathBuf], limits: &RhaiLimits) -> Result<Self> {
        Self::load_opts(
            dirs,
            &LoadOptions {
                limits: limits.clone(),
                ..LoadOptions::default()
            },
        )
    }

    /// As [`Registry::load`], with every option.
    pub fn load_opts(dirs: &[PathBuf], options: &LoadOptions<'_>) -> Result<Self> {
        let mut manifests = Vec::new();
        let mut seen: HashMap<Arc<str>, PathBuf> = HashMap::new();
        for dir in dirs {
            for path in manifest_files(dir)? {
                let m = Manifest::load(&path)?;
                if let Some(first) = seen.get(&m.id) {
                    return Err(Error::DuplicateConstraint {
                        id: m.id.to_string(),
                        first: first.clone(),
                        path,
                    });
                }
                seen.insert(m.id.clone(), path);
                manifests.push(m);
            }
        }
        build::ensure_built(
            &manifests,
            options.build,
            build::How {
                limits: options.build_limits,
                output: options.build_output,
            },
            options.on_build,
        )?;
        Self::from_manifests(manifests, &options.limits)
    }

    /// As [`Registry::from_manifests`], first running the `[build]`
    /// commands of plugins that are missing or out of date (each command
    /// once, however many manifests share it).
    pub fn from_manifests_opts(
        manifests: Vec<Manifest>,
        options: &LoadOptions<'_>,
    ) -> Result<Self> {
        build::ensure_built(
            &manifests,
            options.build,
            build::How {
                limits: options.build_limits,
                output: options.build_output,
            },
            options.on_build,
        )?;
        Self::from_manifests(manifests, &options.limits)
    }

    /// Compiles already-validated manifests and builds the graph.
    ///
    /// Manifests may come from files ([`Manifest::load`]) or be built in
    /// code: a pack that turns each element of a problem file into one
    /// constraint clones a template manifest and sets its `id`, `params`
    /// and `hardness`. Each source file is read and compiled once, however
    /// many manifests name it.
    pub fn from_manifests(manifests: Vec<Manifest>, limits: &RhaiLimits) -> Result<Self> {
        let graph = DependencyGraph::build(&manifests)?;
        let compiler = crate::runtime::Compiler::new(limits);
        let mut code: HashMap<PathBuf, u64> = HashMap::new();
        let mut constraints = Vec::with_capacity(manifests.len());
        for m in manifests {
            let program = compiler.compile(&m)?;
            let code = *code
                .entry(m.source.clone())
                .or_insert_with(|| code_hash(&m.source, limits));
            constraints.push(Constraint::new(m, program, code));
        }
        Ok(Self {
            constraints,
            limits: limits.clone(),
            graph,
        })
    }

    /// The limits it was compiled under, which its calls run under too
    /// ([`crate::Evaluator::new`]).
    pub fn limits(&self) -> &RhaiLimits {
        &self.limits
    }

    /// The constraints, in load order.
    pub fn constraints(&self) -> &[Constraint] {
        &self.constraints
    }

    /// Their manifests, in load order.
    pub fn manifests(&self) -> Vec<&Manifest> {
        self.constraints.iter().map(|c| &c.manifest).collect()
    }

    /// How many constraints.
    pub fn len(&self) -> usize {
        self.constraints.len()
    }

    /// Whether none are loaded.
    pub fn is_empty(&self) -> bool {
        self.constraints.is_empty()
    }

    /// The dependency graph (positions index [`Registry::constraints`]).
    pub fn graph(&self) -> &DependencyGraph {
        &self.graph
    }

    /// The constraint with this id.
    pub fn get(&self, id: &str) -> Option<&Constraint> {
        self.constraints.iter().find(|c| &**c.id() == id)
    }
}

/// The manifests in a plugin directory, sorted by name.
pub(crate) fn manifest_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::PluginDir {
        path: dir.to_owned(),
        message: format!("cannot read plugin directory: {e}"),
    })?;
    let mut files = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|cause| Error::Read {
            path: dir.to_owned(),
            cause,
        })?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let skipped = name.starts_with('.') || NOT_MANIFESTS.contains(&&*name);
        if !skipped && path.is_file() && path.extension().is_some_and(|e| e == "toml") {
            files.push(path);
        }
    }
    if files.is_empty() {
        return Err(Error::PluginDir {
            path: dir.to_owned(),
            message: "no constraint manifests (*.toml) in this plugin directory".into(),
        });
    }
    files.sort();
    Ok(files)
}

/// The fingerprint of the bytes of a source file (unreadable code
/// fingerprints as empty: it did compile, so this does not happen in
/// practice).
fn code_hash(source: &Path, limits: &RhaiLimits) -> u64 {
    let max = limits.max_script_bytes.max(limits.max_component_bytes);
    let bytes =
        crate::runtime::read_source(source, max, "plugins.max_component_mb").unwrap_or_default();
    Fingerprint::new().bytes(&bytes).finish()
}
