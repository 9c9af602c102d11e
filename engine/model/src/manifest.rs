//! Constraint manifests: the TOML file that says what a rule is and how to
//! run it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result, from_toml, read_to_string};
use crate::model::Hardness;
use crate::reads::Fields;

/// Default wall-clock deadline per call.
pub const DEFAULT_TIMEOUT_MS: u64 = 100;
/// Longest deadline a manifest may ask for.
pub const MAX_TIMEOUT_MS: u64 = 60_000;
/// Default weight.
pub const DEFAULT_WEIGHT: u8 = 50;
/// Default memory cap of a WebAssembly instance, in MiB.
pub const DEFAULT_MEMORY_MB: u32 = 64;
/// Largest memory cap a manifest may ask for, in MiB.
pub const MAX_MEMORY_MB: u32 = 1024;

/// How a rule is implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A Rhai script.
    Rhai,
    /// A WebAssembly component.
    Wasm,
}

/// What a rule is asked about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    /// Once per game, with read access to the whole schedule.
    Game,
    /// Once per schedule.
    Schedule,
}

impl Kind {
    /// The manifest's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Rhai => "rhai",
            Kind::Wasm => "wasm",
        }
    }
}

impl Scope {
    /// The manifest's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Game => "game",
            Scope::Schedule => "schedule",
        }
    }
}

/// The parts a schedule-scoped rule is asked about one at a time.
///
/// A partitioned rule is called once per part (each team, say) with that
/// part in hand, and its verdict is the parts' verdicts together: the
/// violations in part order, the score their mean. Each part's verdict is
/// cached with what it read, so after a change only the parts it touches
/// are asked again.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Partition {
    /// Each of the league's teams, in league order.
    Team,
    /// Each of the league's venues, in league order.
    Venue,
}

impl Partition {
    /// The manifest's word for it.
    pub fn as_str(self) -> &'static str {
        match self {
            Partition::Team => "team",
            Partition::Venue => "venue",
        }
    }
}

/// What an open circuit breaker answers in the rule's place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Fallback {
    /// Answer passed.
    Pass,
    /// Answer violated.
    Fail,
    /// Answer skipped.
    #[default]
    Skip,
}

/// Whether a WebAssembly plugin's state may carry over between calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Isolation {
    /// A new instance for every call: nothing a call leaves behind is seen by
    /// the next (a few microseconds per call with the pooling allocator).
    #[default]
    Fresh,
    /// One instance per worker, reused until it traps: the fastest, but
    /// globals and heap carry over from one call to the next.
    Reuse,
    /// As `reuse`, and one instance serves every constraint of the same
    /// component (and memory cap and fuel): for a pack of many constraints
    /// on one plugin, each with its own params, such as the ITC2021
    /// classes. The params change from call to call, so the plugin reads
    /// them on every call (`umpire_plugin::params::current`).
    Shared,
}

impl Isolation {
    /// The mode's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Fresh => "fresh",
            Self::Reuse => "reuse",
            Self::Shared => "shared",
        }
    }
}

/// How a WebAssembly plugin runs: the `[wasm]` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WasmSettings {
    /// Fresh instance per call, or one reused per worker.
    pub isolation: Isolation,
    /// Memory cap per instance, in MiB.
    pub memory_mb: u32,
    /// Instruction budget per call, if any (runs the plugin on a
    /// fuel-metered engine, about a quarter slower).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fuel: Option<u64>,
    /// The fields of the games the plugin reads, when its manifest says
    /// (`fields = ["home", "away", "tv"]`): the host leaves the others
    /// empty in every game record it hands over, and the verdict cache
    /// fingerprints the games over these alone. `None`: every field.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "field_names"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Vec<String>>))]
    pub fields: Option<Fields>,
}

fn field_names<S: serde::Serializer>(fields: &Option<Fields>, s: S) -> Result<S::Ok, S::Error> {
    s.collect_seq(fields.iter().flat_map(|f| f.names()))
}

impl Default for WasmSettings {
    fn default() -> Self {
        Self {
            isolation: Isolation::Fresh,
            memory_mb: DEFAULT_MEMORY_MB,
            fuel: None,
            fields: None,
        }
    }
}

/// How to build a plugin's `source` when it is missing or out of date: the
/// `[build]` table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BuildSpec {
    /// Program and arguments (no shell).
    pub command: Vec<String>,
    /// Where it runs; every file under it (but `target/` and hidden ones) is
    /// an input whose change calls for a rebuild.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub dir: PathBuf,
    /// More inputs outside `dir` (files or directories), such as the SDK
    /// and the WIT contract the plugin is built against.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<String>))]
    pub watch: Vec<PathBuf>,
    /// Where the command leaves the artifact, when that is outside the
    /// plugin directory (a cargo workspace's `target/`): it is copied to
    /// `source` after each build.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<String>))]
    pub output: Option<PathBuf>,
}

/// A validated manifest.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Manifest {
    /// Unique id.
    pub id: Arc<str>,
    /// Display name.
    pub name: String,
    /// What the rule is for.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// How it is implemented.
    pub kind: Kind,
    /// The code, resolved against the manifest's directory.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub source: PathBuf,
    /// The manifest file itself.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub path: PathBuf,
    /// What it is asked about.
    pub scope: Scope,
    /// For a schedule-scoped rule: asked once per part instead of once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<Partition>,
    /// How much it matters.
    pub hardness: Hardness,
    /// 0..=100.
    pub weight: u8,
    /// Constraints that must pass (when hard) before this one runs.
    pub depends_on: Vec<Arc<str>>,
    /// Free parameters the rule reads.
    #[cfg_attr(feature = "openapi", schema(value_type = Object))]
    pub params: serde_json::Map<String, serde_json::Value>,
    /// Wall-clock deadline per call, in milliseconds.
    #[serde(serialize_with = "as_millis")]
    #[cfg_attr(feature = "openapi", schema(value_type = u64))]
    pub timeout: Duration,
    /// What an open breaker answers.
    pub fallback: Fallback,
    /// Whether verdicts may be cached.
    pub cacheable: bool,
    /// Whether a violation's penalty may be negative: a reward, added to
    /// the totals as it is (RobinX instances give soft constraints negative
    /// penalties). Off by default: a negative penalty is then a plugin
    /// error.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rewards: bool,
    /// How a `wasm` plugin runs.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub wasm: Option<WasmSettings>,
    /// How to build `source`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub build: Option<BuildSpec>,
}

fn as_millis<S: serde::Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_u64(d.as_millis() as u64)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ManifestFile {
    id: String,
    name: String,
    description: Option<String>,
    kind: Kind,
    source: PathBuf,
    scope: Scope,
    partition: Option<Partition>,
    hardness: Hardness,
    weight: Option<u8>,
    #[serde(default)]
    depends_on: Vec<String>,
    #[serde(default)]
    params: serde_json::Map<String, serde_json::Value>,
    timeout_ms: Option<u64>,
    #[serde(default)]
    fallback: Fallback,
    cacheable: Option<bool>,
    #[serde(default)]
    rewards: bool,
    wasm: Option<WasmFile>,
    build: Option<BuildFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct WasmFile {
    #[serde(default)]
    isolation: Isolation,
    memory_mb: Option<u32>,
    fuel: Option<u64>,
    fields: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BuildFile {
    command: Vec<String>,
    dir: Option<PathBuf>,
    #[serde(default)]
    watch: Vec<PathBuf>,
    output: Option<PathBuf>,
}

/// The fields a `[wasm] fields` list names, or what is wrong with it.
fn declared_fields(names: &[String]) -> std::result::Result<Fields, String> {
    let mut fields = Fields::NONE;
    for name in names {
        let Some(field) = Fields::named(name) else {
            let known = Fields::NAMES.map(|(n, _)| n);
            return Err(format!(
                "\"{name}\" is not a field of a game{}",
                crate::league::suggest(name, known.into_iter()),
            ));
        };
        if fields.contains(field) {
            return Err(format!("\"{name}\" is listed twice"));
        }
        fields = fields.with(field);
    }
    Ok(fields)
}

impl Manifest {
    /// Reads and validates a manifest file.
    pub fn load(path: &Path) -> Result<Self> {
        let text = read_to_string(path)?;
        Self::from_toml_str(path, &text).map_err(|e| e.in_toml(&text))
    }

    /// Parses and validates manifest text; `path` names it in errors and
    /// anchors `source`.
    pub fn from_toml_str(path: &Path, text: &str) -> Result<Self> {
        let m: ManifestFile = from_toml(path, text)?;
        let invalid = |field: &str, msg: String| Error::invalid(path, field, msg);
        if m.id.is_empty()
            || !m
                .id
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
        {
            return Err(invalid(
                "id",
                format!(
                    "\"{}\" is not a valid id; use letters, digits, '-', '_' and '.'",
                    m.id
                ),
            ));
        }
        let weight = m.weight.unwrap_or(DEFAULT_WEIGHT);
        if weight > 100 {
            return Err(invalid(
                "weight",
                format!("{weight} is out of range 0..=100"),
            ));
        }
        let timeout_ms = m.timeout_ms.unwrap_or(DEFAULT_TIMEOUT_MS);
        if !(1..=MAX_TIMEOUT_MS).contains(&timeout_ms) {
            return Err(invalid(
                "timeout_ms",
                format!("{timeout_ms} is out of range 1..={MAX_TIMEOUT_MS}"),
            ));
        }
        if m.partition.is_some() && m.scope == Scope::Game {
            return Err(invalid(
                "partition",
                "only a schedule-scoped rule is asked part by part; set `scope = \"schedule\"` or drop `partition`".into(),
            ));
        }
        let mut depends_on: Vec<Arc<str>> = Vec::with_capacity(m.depends_on.len());
        for dep in m.depends_on {
            if dep == m.id {
                return Err(invalid("depends_on", format!("`{dep}` depends on itself")));
            }
            if depends_on.iter().any(|d| **d == *dep) {
                return Err(invalid("depends_on", format!("`{dep}` is listed twice")));
            }
            depends_on.push(dep.into());
        }
        let dir = path.parent().unwrap_or(Path::new("."));
        let source = check_source(dir, &m.source, m.build.is_some())
            .map_err(|message| invalid("source", message))?;
        let wasm = match (m.kind, m.wasm) {
            (Kind::Rhai, Some(_)) => {
                return Err(invalid(
                    "wasm",
                    "a `[wasm]` table only applies to kind = \"wasm\"".into(),
                ));
            }
            (Kind::Rhai, None) => None,
            (Kind::Wasm, file) => {
                let file = file.unwrap_or(WasmFile {
                    isolation: Isolation::default(),
                    memory_mb: None,
                    fuel: None,
                    fields: None,
                });
                let memory_mb = file.memory_mb.unwrap_or(DEFAULT_MEMORY_MB);
                if !(1..=MAX_MEMORY_MB).contains(&memory_mb) {
                    return Err(invalid(
                        "wasm.memory_mb",
                        format!("{memory_mb} is out of range 1..={MAX_MEMORY_MB}"),
                    ));
                }
                if file.fuel == Some(0) {
                    return Err(invalid(
                        "wasm.fuel",
                        "0 leaves no fuel to run on; give a budget or leave it out".into(),
                    ));
                }
                let fields = match file.fields {
                    None => None,
                    Some(names) => {
                        Some(declared_fields(&names).map_err(|m| invalid("wasm.fields", m))?)
                    }
                };
                Some(WasmSettings {
                    isolation: file.isolation,
                    memory_mb,
                    fuel: file.fuel,
                    fields,
                })
            }
        };
        let build = match m.build {
            None => None,
            Some(b) => {
                if b.command.first().is_none_or(|p| p.trim().is_empty()) {
                    return Err(invalid(
                        "build.command",
                        "give the program and its arguments, e.g. [\"cargo\", \"build\", \"--release\"]".into(),
                    ));
                }
                let build_dir = match &b.dir {
                    Some(d) => crate::model::join_clean(dir, d),
                    None => dir.to_owned(),
                };
                if !build_dir.is_dir() {
                    return Err(invalid(
                        "build.dir",
                        format!(
                            "{} is not a directory (the path is relative to the manifest)",
                            build_dir.display()
                        ),
                    ));
                }
                let mut watch = Vec::with_capacity(b.watch.len());
                for (i, w) in b.watch.iter().enumerate() {
                    let p = crate::model::join_clean(dir, w);
                    if !p.exists() {
                        return Err(invalid(
                            &format!("build.watch[{i}]"),
                            format!(
                                "{} does not exist (the path is relative to the manifest)",
                                p.display()
                            ),
                        ));
                    }
                    watch.push(p);
                }
                Some(BuildSpec {
                    command: b.command,
                    dir: build_dir,
                    watch,
                    output: b.output.map(|o| crate::model::join_clean(dir, &o)),
                })
            }
        };
        Ok(Self {
            id: m.id.into(),
            name: m.name,
            description: m.description,
            kind: m.kind,
            source,
            path: path.to_owned(),
            scope: m.scope,
            partition: m.partition,
            hardness: m.hardness,
            weight,
            depends_on,
            params: m.params,
            timeout: Duration::from_millis(timeout_ms),
            fallback: m.fallback,
            cacheable: m.cacheable.unwrap_or(true),
            rewards: m.rewards,
            wasm,
            build,
        })
    }
}

/// Where a manifest's `source` is, if it is allowed: a relative path with
/// no `..`, naming a regular file inside the plugin directory `dir` (after
/// symlinks). A plugin directory is a trust boundary: what it names must
/// not reach the rest of the machine (`/etc/shadow`, a FIFO, `/dev/zero`).
/// A source that a `[build]` will produce (`built`) need not exist yet.
pub fn check_source(
    dir: &Path,
    source: &Path,
    built: bool,
) -> std::result::Result<PathBuf, String> {
    use std::path::Component;
    let shown = source.display();
    if source.is_absolute() {
        return Err(format!(
            "`{shown}` is an absolute path; a source is a path inside the plugin directory, relative to the manifest"
        ));
    }
    if source
        .components()
        .any(|c| matches!(c, Component::ParentDir))
    {
        return Err(format!(
            "`{shown}` leaves the plugin directory (`..`); a source is a path inside it, relative to the manifest (a build that leaves its artifact elsewhere names it with `build.output`)"
        ));
    }
    let joined = crate::model::join_clean(dir, source);
    let exists = std::fs::symlink_metadata(&joined).is_ok();
    if !exists {
        if built {
            return Ok(joined);
        }
        return Err(format!(
            "{} does not exist (the path is relative to the manifest)",
            joined.display()
        ));
    }
    let outside = || {
        format!(
            "`{shown}` resolves outside the plugin directory (a symlink out?); a source must be a file inside it"
        )
    };
    let (Ok(real), Ok(root)) = (joined.canonicalize(), dir.canonicalize()) else {
        return Err(outside());
    };
    if !real.starts_with(&root) {
        return Err(outside());
    }
    match std::fs::metadata(&real) {
        Ok(meta) if meta.is_file() => Ok(joined),
        Ok(meta) => {
            let what = if meta.is_dir() {
                "a directory"
            } else {
                "not a regular file (a FIFO, socket or device)"
            };
            Err(format!(
                "`{shown}` is {what}; a source must be a regular file"
            ))
        }
        Err(e) => Err(format!("`{shown}` cannot be read: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, text: &str) -> PathBuf {
        std::fs::write(dir.join("rule.rhai"), "pass()").unwrap();
        let path = dir.join("rule.toml");
        std::fs::write(&path, text).unwrap();
        path
    }

    const GOOD: &str = r#"
id = "rest"
name = "Rest"
kind = "rhai"
source = "rule.rhai"
scope = "game"
hardness = "hard"
[params]
min_days = 2
"#;

    #[test]
    fn defaults_apply_when_fields_are_absent() {
        let dir = tempfile::tempdir().unwrap();
        let m = Manifest::load(&write(dir.path(), GOOD)).unwrap();
        assert_eq!(m.weight, DEFAULT_WEIGHT);
        assert_eq!(m.timeout, Duration::from_millis(DEFAULT_TIMEOUT_MS));
        assert_eq!(m.fallback, Fallback::Skip);
        assert!(m.cacheable);
        assert_eq!(m.params["min_days"], 2);
        assert_eq!(m.source, dir.path().join("rule.rhai"));
    }

    #[test]
    fn wasm_settings_default_and_build_paths_resolve() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("crate")).unwrap();
        let text = GOOD
            .replace("kind = \"rhai\"", "kind = \"wasm\"")
            .replace("source = \"rule.rhai\"", "source = \"target/rule.wasm\"")
            + "[build]\ncommand = [\"cargo\", \"build\"]\ndir = \"crate\"\nwatch = [\"rule.rhai\"]\n";
        let m = Manifest::load(&write(dir.path(), &text)).unwrap();
        assert_eq!(m.wasm, Some(WasmSettings::default()));
        assert_eq!(m.wasm.unwrap().isolation, Isolation::Fresh);
        assert_eq!(m.wasm.unwrap().memory_mb, DEFAULT_MEMORY_MB);
        assert_eq!(m.wasm.unwrap().fields, None);
        // A source that a build will produce need not exist yet.
        assert!(!m.source.exists());
        let build = m.build.unwrap();
        assert_eq!(build.dir, dir.path().join("crate"));
        assert_eq!(build.watch, [dir.path().join("rule.rhai")]);
    }

    #[test]
    fn a_wasm_manifest_names_the_fields_its_plugin_reads() {
        let dir = tempfile::tempdir().unwrap();
        let text = GOOD.replace("kind = \"rhai\"", "kind = \"wasm\"")
            + "[wasm]\nfields = [\"tv\", \"home\", \"away\"]\n";
        let m = Manifest::load(&write(dir.path(), &text)).unwrap();
        let fields = m.wasm.unwrap().fields.unwrap();
        assert_eq!(fields, Fields::HOME.with(Fields::AWAY).with(Fields::TV));
        // Shown in the order of a game's fields.
        let shown = serde_json::to_value(m.wasm.unwrap()).unwrap();
        assert_eq!(shown["fields"], serde_json::json!(["home", "away", "tv"]));
        // An empty list is a plugin that reads no field of a game.
        let text = GOOD.replace("kind = \"rhai\"", "kind = \"wasm\"") + "[wasm]\nfields = []\n";
        let m = Manifest::load(&write(dir.path(), &text)).unwrap();
        assert_eq!(m.wasm.unwrap().fields, Some(Fields::NONE));
    }

    #[test]
    fn bad_wasm_and_build_tables_are_named() {
        let dir = tempfile::tempdir().unwrap();
        let wasm = GOOD.replace("kind = \"rhai\"", "kind = \"wasm\"");
        let cases = [
            (
                format!("{GOOD}[wasm]\nmemory_mb = 8\n"),
                "wasm: a `[wasm]` table only applies to kind = \"wasm\"",
            ),
            (
                format!("{wasm}[wasm]\nmemory_mb = 0\n"),
                "wasm.memory_mb: 0 is out of range 1..=1024",
            ),
            (
                format!("{wasm}[wasm]\nmemory_mb = 4096\n"),
                "wasm.memory_mb: 4096 is out of range",
            ),
            (
                format!("{wasm}[wasm]\nfuel = 0\n"),
                "wasm.fuel: 0 leaves no fuel",
            ),
            (
                format!("{wasm}[wasm]\nfields = [\"home\", \"strat\"]\n"),
                "wasm.fields: \"strat\" is not a field of a game; did you mean `start`?",
            ),
            (
                format!("{wasm}[wasm]\nfields = [\"tv\", \"tv\"]\n"),
                "wasm.fields: \"tv\" is listed twice",
            ),
            (format!("{wasm}[wasm]\nfields = \"tv\"\n"), "fields"),
            (format!("{wasm}[wasm]\nisolation = \"pooled\"\n"), "pooled"),
            (format!("{wasm}[wasm]\nmemory = 8\n"), "memory"),
            (
                format!("{wasm}[build]\ncommand = []\n"),
                "build.command: give the program",
            ),
            (
                format!("{wasm}[build]\ncommand = [\"make\"]\ndir = \"nowhere\"\n"),
                "build.dir: ",
            ),
            (
                format!("{wasm}[build]\ncommand = [\"make\"]\nwatch = [\"nowhere\"]\n"),
                "build.watch[0]: ",
            ),
            (format!("{wasm}[build]\ncmd = [\"make\"]\n"), "cmd"),
        ];
        for (text, expected) in cases {
            let path = write(dir.path(), &text);
            let msg = Manifest::load(&path).unwrap_err().to_string();
            assert!(msg.contains(expected), "{expected:?} not in {msg}");
            assert!(msg.starts_with(&path.display().to_string()), "{msg}");
        }
    }

    #[test]
    fn each_bad_field_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let cases = [
            (GOOD.replace("hardness", "hardnes"), "hardnes"),
            (GOOD.replace("\"hard\"", "\"firm\""), "firm"),
            (GOOD.replace("\"game\"", "\"season\""), "season"),
            (
                format!("weight = 101\n{GOOD}"),
                "weight: 101 is out of range",
            ),
            (format!("weight = 300\n{GOOD}"), "weight"),
            (
                format!("timeout_ms = 0\n{GOOD}"),
                "timeout_ms: 0 is out of range",
            ),
            (
                GOOD.replace("\"rest\"", "\"re st\""),
                "id: \"re st\" is not a valid id",
            ),
            (GOOD.replace("rule.rhai", "missing.rhai"), "source:"),
            (
                format!("depends_on = [\"rest\"]\n{GOOD}"),
                "depends_on: `rest` depends on itself",
            ),
            (format!("fallback = \"maybe\"\n{GOOD}"), "maybe"),
            (
                GOOD.replace("kind = \"rhai\"\n", ""),
                "missing field `kind`",
            ),
        ];
        for (text, expected) in cases {
            let path = write(dir.path(), &text);
            let msg = Manifest::load(&path).unwrap_err().to_string();
            assert!(msg.contains("rule.toml"), "{msg}");
            assert!(msg.contains(expected), "{msg}\n  expected: {expected}");
        }
    }
}
