//! Building plugins whose manifest says how (the `[build]` table): the
//! command runs when `source` is missing or older than any file under the
//! build directory, as `make` would decide.
//!
//! A `[build]` command is code from the plugin directory, so it runs fenced:
//! from an environment cleared down to an allow-list ([`PASSED_ENV`]: no
//! `UMPIRE_*`, no tokens or keys), in a process group of its own that is
//! killed as a whole at the timeout, with only the tail of its output kept.
//! A server does not build at all unless its config says so
//! (`plugins.build`).
//!
//! A cargo build for a target that rustup has not installed (a fresh
//! machine with stable only) would fail with "can't find crate for `core`";
//! before such a build the target is added with `rustup target add`, said
//! through the observer, or the error names the command to run.

use std::ffi::OsString;
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use super::manifest::{BuildSpec, Manifest};
use crate::error::{Error, Result};

mod fenced;
mod fresh;
mod target;
#[cfg(test)]
mod tests;

use fenced::{run_fenced, run_fenced_to};
use fresh::{NewestInputs, is_fresh};
use target::{ensure_target, target_in_path, target_of};

/// When to run a manifest's `[build]` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BuildPolicy {
    /// When `source` is missing or older than its inputs.
    #[default]
    IfStale,
    /// Never: a missing `source` is an error, a stale one is used as it is.
    Never,
}

/// How a build may run: how long, and how much of its output is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildLimits {
    /// A build still running after this is killed with its process group
    /// (default 600 s: a first cargo build of the example plugins on two
    /// cores takes a few minutes).
    pub timeout: Duration,
    /// Bytes of a build's output (stdout and stderr together) kept for an
    /// error; older output is dropped as it comes (default 64 KiB).
    pub output_bytes: usize,
}

impl Default for BuildLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_secs(600),
            output_bytes: 64 * 1024,
        }
    }
}

/// What a build tells its observer, as it happens.
#[derive(Debug, Clone, Copy)]
pub enum BuildEvent<'a> {
    /// `rustup target add` is about to run in `dir`: a build needs a
    /// target the toolchain does not have.
    AddingTarget {
        /// Where the build runs.
        dir: &'a Path,
        /// The rustup command.
        command: &'a [String],
    },
    /// A build command is about to run in `dir`.
    Building {
        /// Where it runs.
        dir: &'a Path,
        /// The command, with the packages of every plugin that needs it.
        command: &'a [String],
    },
    /// The build command of `dir` succeeded after `elapsed`.
    Built {
        /// Where it ran.
        dir: &'a Path,
        /// How long it took.
        elapsed: Duration,
    },
}

/// Told of each step of a build ([`BuildEvent`]).
pub type BuildObserver<'a> = dyn Fn(BuildEvent<'_>) + Send + Sync + 'a;

/// Where a build's output goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuildOutput {
    /// Kept (its tail, [`BuildLimits::output_bytes`]) and quoted in the
    /// error if the build fails: for servers and for output that is not a
    /// terminal.
    #[default]
    Captured,
    /// The build's stderr is this process's own, so cargo draws its
    /// progress on the terminal and its errors are read there.
    Shown,
}

/// The environment a build gets: these variables, if set, and nothing
/// else. Enough for cargo and rustup to find the toolchain, its caches and
/// a terminal; never the server's secrets (`UMPIRE_*`, tokens, keys), nor
/// variables that would redirect cargo's output away from `source` or
/// apply the host's compiler flags to a wasm target (`CARGO_TARGET_DIR`,
/// `RUSTFLAGS`). A proxy for cargo goes in cargo's own config
/// (`http.proxy`).
pub const PASSED_ENV: &[&str] = &[
    "PATH",
    "HOME",
    "USER",
    "LOGNAME",
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TERM",
    "TMPDIR",
    "CARGO_HOME",
    "RUSTUP_HOME",
    "RUSTUP_TOOLCHAIN",
    "RUSTUP_AUTO_INSTALL",
    "RUSTUP_DIST_SERVER",
    "RUSTUP_UPDATE_ROOT",
];

/// How many lines of a failed build's output an error quotes.
const OUTPUT_TAIL_LINES: usize = 25;

/// One build at a time in this process: manifests that share a workspace
/// then build it once, and the rest find it fresh.
static BUILDING: Mutex<()> = Mutex::new(());

/// The environment variables of this process that a build may see.
fn passed_env() -> Vec<(OsString, OsString)> {
    std::env::vars_os()
        .filter(|(k, _)| PASSED_ENV.iter().any(|p| k == p))
        .collect()
}

/// Builds every manifest's `source` that needs it; manifests that share a
/// command and directory (a cargo workspace) build together, once.
pub(crate) fn ensure_built(
    manifests: &[Manifest],
    policy: BuildPolicy,
    how: How,
    observer: Option<&BuildObserver<'_>>,
) -> Result<()> {
    ensure_built_in(manifests, policy, how, observer, &passed_env())
}

/// How builds run: their limits and where their output goes.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct How {
    pub(crate) limits: BuildLimits,
    pub(crate) output: BuildOutput,
}

fn ensure_built_in(
    manifests: &[Manifest],
    policy: BuildPolicy,
    how: How,
    observer: Option<&BuildObserver<'_>>,
    env: &[(OsString, OsString)],
) -> Result<()> {
    // One group per command, directory and inputs: the artifact each
    // member copies in (`output`) may differ. Cargo commands that differ
    // only in the packages they select (`-p NAME`) are one group and run
    // once, with every member's packages: building one package of a
    // workspace builds what the others share anyway.
    let mut groups: Vec<Group<'_>> = Vec::new();
    for m in manifests {
        let Some(spec) = &m.build else { continue };
        let (base, packages) = split_packages(&spec.command);
        let same =
            |g: &Group<'_>| g.base == base && g.spec.dir == spec.dir && g.spec.watch == spec.watch;
        let at = match groups.iter().position(same) {
            Some(at) => at,
            None => {
                groups.push(Group {
                    spec,
                    base,
                    packages: Some(Vec::new()),
                    members: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let group = &mut groups[at];
        group.members.push(m);
        match (&mut group.packages, packages) {
            // A member that builds the whole workspace: so does the group.
            (selected, None) => *selected = None,
            (Some(selected), Some(packages)) => {
                for p in packages {
                    if !selected.contains(&p) {
                        selected.push(p);
                    }
                }
            }
            (None, Some(_)) => {}
        }
    }
    // Inputs shared by several manifests (the workspace, the SDK) are
    // walked once.
    let mut newest = NewestInputs::default();
    for group in groups {
        let spec = group.spec;
        let members = &group.members;
        // Each file once, however many manifests name it, with the first
        // manifest that does (for the error).
        let mut sources: Vec<(&Path, &Manifest)> = Vec::new();
        for m in members {
            if !sources.iter().any(|(s, _)| *s == m.source) {
                sources.push((&m.source, m));
            }
        }
        if policy == BuildPolicy::Never {
            if let Some((source, m)) = sources.iter().find(|(s, _)| !s.is_file()) {
                let command = m.build.as_ref().map_or(&spec.command, |b| &b.command);
                return Err(Error::invalid(
                    &m.path,
                    "source",
                    format!(
                        "{} does not exist and building is turned off; build it with `{}` in {} (or let umpire build: `plugins.build = \"if-stale\"` in the config)",
                        source.display(),
                        command.join(" "),
                        spec.dir.display()
                    ),
                ));
            }
            continue;
        }
        let _guard = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
        if sources
            .iter()
            .all(|(_, m)| is_fresh(m, m.build.as_ref().unwrap_or(spec), &mut newest))
        {
            continue;
        }
        let command = group.command();
        run(members, spec, &command, how, observer, env)?;
        newest.forget();
    }
    Ok(())
}

/// Manifests whose plugins one build command makes.
struct Group<'a> {
    /// The first member's build table (directory and inputs).
    spec: &'a BuildSpec,
    /// The command without its package selections.
    base: Vec<String>,
    /// The packages to build, or `None` for all of them.
    packages: Option<Vec<String>>,
    members: Vec<&'a Manifest>,
}

impl Group<'_> {
    /// The command to run: the base with each selected package.
    fn command(&self) -> Vec<String> {
        let mut command = self.base.clone();
        for p in self.packages.iter().flatten() {
            command.push("-p".into());
            command.push(p.clone());
        }
        command
    }
}

/// A cargo command without its package selections (`-p NAME`,
/// `--package NAME`, `--package=NAME`), and those packages; `None` when it
/// selects none (it builds the whole workspace) or is not cargo's.
fn split_packages(command: &[String]) -> (Vec<String>, Option<Vec<String>>) {
    let is_cargo = command
        .first()
        .is_some_and(|c| Path::new(c).file_name().is_some_and(|n| n == "cargo"));
    if !is_cargo {
        return (command.to_vec(), None);
    }
    let mut base = Vec::new();
    let mut packages = Vec::new();
    let mut args = command.iter();
    while let Some(a) = args.next() {
        if a == "-p" || a == "--package" {
            match args.next() {
                Some(p) => packages.push(p.clone()),
                None => base.push(a.clone()),
            }
        } else if let Some(p) = a.strip_prefix("--package=") {
            packages.push(p.to_owned());
        } else {
            base.push(a.clone());
        }
    }
    let packages = (!packages.is_empty()).then_some(packages);
    (base, packages)
}

fn run(
    members: &[&Manifest],
    spec: &BuildSpec,
    command: &[String],
    how: How,
    observer: Option<&BuildObserver<'_>>,
    env: &[(OsString, OsString)],
) -> Result<()> {
    let limits = how.limits;
    let first = members[0];
    let fail = |m: &Manifest, message: String| Error::Build {
        path: m.path.clone(),
        message,
    };
    let shown = command.join(" ");
    let program = Path::new(&command[0]);
    if program.file_name().is_some_and(|n| n == "cargo") {
        let artifact = first.build.as_ref().and_then(|b| b.output.as_deref());
        let target = target_of(command).or_else(|| {
            artifact
                .and_then(target_in_path)
                .or_else(|| target_in_path(&first.source))
        });
        if let Some(target) = target {
            ensure_target(&target, &spec.dir, limits, observer, env)
                .map_err(|message| fail(first, message))?;
        }
    }
    if let Some(observe) = observer {
        observe(BuildEvent::Building {
            dir: &spec.dir,
            command,
        });
    }
    tracing::info!(dir = %spec.dir.display(), command = %shown, "building plugin");
    let started = Instant::now();
    let mut cmd = Command::new(&command[0]);
    cmd.args(&command[1..]).current_dir(&spec.dir);
    let ran = run_fenced_to(&mut cmd, limits, how.output, env).map_err(|e| {
        fail(
            first,
            format!("cannot run `{shown}` in {}: {e}", spec.dir.display()),
        )
    })?;
    match ran.status {
        None => {
            return Err(fail(
                first,
                format!(
                    "`{shown}` in {} was still running after {} s and was killed with its process group; raise `plugins.build_timeout_s` if the build is only slow{}",
                    spec.dir.display(),
                    limits.timeout.as_secs(),
                    ran.tail_for_error()
                ),
            ));
        }
        Some(status) if !status.success() => {
            return Err(fail(
                first,
                format!(
                    "`{shown}` in {} exited with {status}{}",
                    spec.dir.display(),
                    ran.tail_for_error()
                ),
            ));
        }
        Some(_) => {}
    }
    if let Some(observe) = observer {
        observe(BuildEvent::Built {
            dir: &spec.dir,
            elapsed: started.elapsed(),
        });
    }
    let now = SystemTime::now();
    for m in members {
        if let Some(output) = m.build.as_ref().and_then(|b| b.output.as_ref()) {
            copy_artifact(output, &m.source).map_err(|e| {
                fail(
                    m,
                    format!(
                        "`{shown}` in {} succeeded, but {} cannot be copied to {}: {e}; check `build.output`",
                        spec.dir.display(),
                        output.display(),
                        m.source.display()
                    ),
                )
            })?;
        }
        if !m.source.is_file() {
            return Err(fail(
                m,
                format!(
                    "`{shown}` in {} succeeded but did not produce {}; check `source`",
                    spec.dir.display(),
                    m.source.display()
                ),
            ));
        }
        // What the build left must pass the rules a manifest's source does
        // (a regular file inside the plugin directory).
        let dir = m.path.parent().unwrap_or(Path::new("."));
        let inside = match (m.source.canonicalize(), dir.canonicalize()) {
            (Ok(real), Ok(root)) => real.starts_with(root) && real.is_file(),
            _ => false,
        };
        if !inside {
            return Err(Error::invalid(
                &m.path,
                "source",
                format!(
                    "`{shown}` left {} as something other than a regular file inside the plugin directory (a symlink out?); a source must be a file inside it",
                    m.source.display()
                ),
            ));
        }
        // A build with nothing to do for this artifact leaves its time
        // alone; mark it built now so the next load does not build again.
        let _ = std::fs::File::options()
            .write(true)
            .open(&m.source)
            .and_then(|f| f.set_modified(now));
    }
    Ok(())
}

/// Copies a build's artifact into the plugin directory (through a
/// temporary name, so a reader never sees half a file).
fn copy_artifact(from: &Path, to: &Path) -> std::io::Result<()> {
    if !std::fs::metadata(from)?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    if let Some(parent) = to.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let partial = to.with_extension("partial");
    std::fs::copy(from, &partial)?;
    std::fs::rename(&partial, to)
}
