//! Constraints: manifests loaded from plugin directories, compiled once, and
//! the dependency graph that orders them.
//!
//! A plugin directory holds any number of manifests (`*.toml`, top level
//! only, so fixtures in subdirectories are never mistaken for rules; and
//! never `Cargo.toml` or other tool files, so a cargo workspace of
//! WebAssembly plugins is a plugin directory too). Every manifest is
//! validated, its plugin built if its `[build]` says how and it is out of
//! date, and its code compiled when the registry is built: a registry that
//! exists is one that can run.

mod build;
mod config;
mod graph;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

// Manifests are read in `umpire-model` (plain data, fuzzed without the hosts).
use umpire_model::manifest;

pub use build::{BuildEvent, BuildLimits, BuildObserver, BuildOutput, BuildPolicy, PASSED_ENV};
pub use config::PluginsConfig;
pub use graph::{Bottleneck, DependencyGraph};
pub use manifest::{
    BuildSpec, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_MS, DEFAULT_WEIGHT, Fallback, Isolation, Kind,
    MAX_MEMORY_MB, MAX_TIMEOUT_MS, Manifest, Partition, Scope, WasmSettings,
};

use crate::error::{Error, Result};
use crate::model::{Severity, Status, Verdict, Violation};
use crate::runtime::{Compiled, Program, RhaiLimits};

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

/// A loaded constraint: its manifest and its compiled code.
#[derive(Debug, Clone)]
pub struct Constraint {
    /// What it is.
    pub manifest: Manifest,
    pub(crate) program: Program,
    /// A hash of the manifest (params included) and the code: a cached
    /// verdict is only ever served to the same content.
    pub(crate) content: u64,
}

impl Constraint {
    /// The constraint's id.
    pub fn id(&self) -> &Arc<str> {
        &self.manifest.id
    }

    /// A hash of the manifest (params included) and the code: what the
    /// verdict cache keys on, so an edited rule never meets an old verdict.
    pub fn content_hash(&self) -> u64 {
        self.content
    }

    /// For a WebAssembly plugin: the SHA-256 of its component (hex), where
    /// its machine code came from, and the version it describes itself with.
    pub fn wasm_info(&self) -> Option<(&str, Compiled, &str)> {
        self.program.wasm_info()
    }

    /// The verdict of this constraint when it was not called: score 0, no
    /// violations, `message` saying why.
    pub(crate) fn unrun(&self, status: Status, message: String) -> Verdict {
        let m = &self.manifest;
        Verdict {
            constraint: m.id.clone(),
            hardness: m.hardness,
            weight: m.weight,
            status,
            score: 0.0,
            violations: Vec::new(),
            message: Some(message),
            elapsed_us: 0,
        }
    }

    /// A partitioned rule's verdict from its parts' verdicts (`(part, verdict)`
    /// in part order): the first part that erred, timed out or fell back
    /// decides for the whole, its message naming the part; otherwise the
    /// violations in part order, the score the parts' mean. Time adds up.
    pub(crate) fn merge_parts(
        &self,
        league: &crate::model::League,
        parts: Vec<(usize, Verdict)>,
    ) -> Verdict {
        let Some(partition) = self.manifest.partition else {
            unreachable!("only a partitioned rule has parts")
        };
        let elapsed_us = parts.iter().map(|(_, v)| v.elapsed_us).sum();
        let rank = |s: Status| match s {
            Status::Error => 0,
            Status::Timeout => 1,
            Status::Fallback => 2,
            _ => 3,
        };
        let worst = parts
            .iter()
            .filter(|(_, v)| rank(v.status) < 3)
            .min_by_key(|(k, v)| (rank(v.status), *k));
        if let Some((k, v)) = worst {
            let id = crate::runtime::part_id(league, partition, *k);
            let mut v = v.clone();
            v.message = Some(format!(
                "{} `{id}`: {}",
                partition.as_str(),
                v.message.as_deref().unwrap_or("failed")
            ));
            v.elapsed_us = elapsed_us;
            return v;
        }
        let n = parts.len();
        let score = if n == 0 {
            1.0
        } else {
            parts.iter().map(|(_, v)| v.score).sum::<f64>() / n as f64
        };
        let violations: Vec<Violation> =
            parts.into_iter().flat_map(|(_, v)| v.violations).collect();
        let status = if violations.is_empty() {
            Status::Passed
        } else {
            Status::Violated
        };
        Verdict {
            status,
            score,
            violations,
            message: None,
            elapsed_us,
            ..self.unrun(status, String::new())
        }
    }

    /// What the manifest's `fallback` answers when the constraint cannot run
    /// (its breaker is open, or a data source it asked is down).
    pub(crate) fn fallback(&self, reason: &str) -> Verdict {
        let m = &self.manifest;
        let answer = match m.fallback {
            Fallback::Pass => "pass",
            Fallback::Fail => "fail",
            Fallback::Skip => "skip",
        };
        let message = format!("{reason}; not run, its fallback answers `{answer}`");
        let violations = match m.fallback {
            Fallback::Fail => vec![Violation::new(
                Severity::Major,
                format!(
                    "`{}` could not run ({reason}) and its fallback is `fail`",
                    m.id
                ),
            )],
            Fallback::Pass | Fallback::Skip => Vec::new(),
        };
        Verdict {
            score: if m.fallback == Fallback::Pass {
                1.0
            } else {
                0.0
            },
            violations,
            ..self.unrun(Status::Fallback, message)
        }
    }
}

/// Every loaded constraint, with the dependency graph over them.
#[derive(Debug, Clone)]
pub struct Registry {
    constraints: Vec<Constraint>,
    limits: RhaiLimits,
    manifests: Vec<Manifest>,
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
        let mut code: HashMap<&Path, u64> = HashMap::new();
        let constraints = manifests
            .iter()
            .map(|m| {
                let program = compiler.compile(m)?;
                let code = *code
                    .entry(m.source.as_path())
                    .or_insert_with(|| code_hash(&m.source, limits));
                Ok(Constraint {
                    program,
                    content: content_hash(m, code),
                    manifest: m.clone(),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            constraints,
            limits: limits.clone(),
            manifests,
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
    pub fn manifests(&self) -> &[Manifest] {
        &self.manifests
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
fn manifest_files(dir: &Path) -> Result<Vec<PathBuf>> {
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

/// A hash of a manifest and of its code's hash.
fn content_hash(m: &Manifest, code: u64) -> u64 {
    use std::hash::{Hash, Hasher};
    /// Feeds what is written to a hasher (no string in between).
    struct Feed<'a>(&'a mut std::hash::DefaultHasher);
    impl std::io::Write for Feed<'_> {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.write(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut h = std::hash::DefaultHasher::new();
    if serde_json::to_writer(Feed(&mut h), m).is_err() {
        m.id.hash(&mut h);
    }
    code.hash(&mut h);
    h.finish()
}

/// A hash of the bytes of a source file (unreadable code hashes as empty:
/// it did compile, so this does not happen in practice).
fn code_hash(source: &Path, limits: &RhaiLimits) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::hash::DefaultHasher::new();
    let max = limits.max_script_bytes.max(limits.max_component_bytes);
    crate::runtime::read_source(source, max, "plugins.max_component_mb")
        .unwrap_or_default()
        .hash(&mut h);
    h.finish()
}
