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

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use super::manifest::{BuildSpec, Manifest};
use crate::error::{Error, Result};

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

/// The newest modification time under each input path, found once per
/// load however many manifests name the path.
#[derive(Default)]
struct NewestInputs(std::collections::HashMap<PathBuf, Option<SystemTime>>);

impl NewestInputs {
    fn of(&mut self, path: &Path) -> Option<SystemTime> {
        if let Some(t) = self.0.get(path) {
            return *t;
        }
        let t = newest_input(path);
        self.0.insert(path.to_owned(), t);
        t
    }

    /// After a build: the inputs may have changed (a build script, a lock
    /// file).
    fn forget(&mut self) {
        self.0.clear();
    }
}

/// Whether a manifest's `source` exists, no input is newer, and neither is
/// the artifact it is copied from.
fn is_fresh(m: &Manifest, spec: &BuildSpec, newest: &mut NewestInputs) -> bool {
    let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let Some(built) = modified(&m.source) else {
        return false;
    };
    if let Some(output) = &spec.output
        && modified(output).is_some_and(|t| t > built)
    {
        return false;
    }
    std::iter::once(&spec.dir)
        .chain(&spec.watch)
        .filter_map(|p| newest.of(p))
        .all(|t| t <= built)
}

/// The newest modification time of `path` or of the files under it,
/// skipping `target/`, hidden entries and fixtures.
fn newest_input(path: &Path) -> Option<SystemTime> {
    if path.is_file() {
        return std::fs::metadata(path).and_then(|m| m.modified()).ok();
    }
    let mut newest = None;
    let mut stack = vec![path.to_owned()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries.flatten() {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            // Fixtures (`*.test.toml`) test the plugin; they do not build it.
            if name.starts_with('.') || name == "target" || name.ends_with(".test.toml") {
                continue;
            }
            let Ok(meta) = entry.metadata() else { continue };
            if meta.is_dir() {
                stack.push(entry.path());
            } else if let Ok(t) = meta.modified() {
                newest = newest.max(Some(t));
            }
        }
    }
    newest
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

/// The target a cargo command names with `--target`.
fn target_of(command: &[String]) -> Option<String> {
    command.iter().enumerate().find_map(|(i, a)| {
        a.strip_prefix("--target=").map(str::to_owned).or_else(|| {
            (a == "--target")
                .then(|| command.get(i + 1).cloned())
                .flatten()
        })
    })
}

/// The target triple in a cargo artifact's path
/// (`target/wasm32-wasip2/release/x.wasm`), if it names one.
fn target_in_path(path: &Path) -> Option<String> {
    let parts: Vec<&std::ffi::OsStr> = path.iter().collect();
    parts.windows(3).find_map(|w| {
        let triple = w[1].to_str()?;
        (w[0] == "target" && triple.contains('-')).then(|| triple.to_owned())
    })
}

/// Makes sure rustup has `target` for the toolchain that builds in `dir`,
/// adding it if not; an error when it cannot, naming what to run.
fn ensure_target(
    target: &str,
    dir: &Path,
    limits: BuildLimits,
    observer: Option<&BuildObserver<'_>>,
    env: &[(OsString, OsString)],
) -> std::result::Result<(), String> {
    let add = format!("rustup target add {target}");
    let mut list = Command::new("rustup");
    list.args(["target", "list", "--installed"]);
    let listed = match run_fenced(list.current_dir(dir), limits, env) {
        Ok(ran) => ran,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            // No rustup: a toolchain from elsewhere may have the target in
            // its sysroot.
            if sysroot_has(target, dir, limits, env) {
                return Ok(());
            }
            return Err(format!(
                "the plugins build for {target}, which this Rust toolchain does not have, and there is no rustup on PATH to add it; run `{add}` (or install your distribution's Rust standard library for {target}) and build again"
            ));
        }
        Err(e) => return Err(format!("cannot run `rustup target list --installed`: {e}")),
    };
    if listed.status.is_some_and(|s| s.success())
        && listed.text().lines().any(|l| l.trim() == target)
    {
        return Ok(());
    }
    if !listed.status.is_some_and(|s| s.success()) {
        return Err(format!(
            "`rustup target list --installed` in {} failed; run `{add}` yourself{}",
            dir.display(),
            listed.tail_for_error()
        ));
    }
    let command: Vec<String> = add.split(' ').map(str::to_owned).collect();
    if let Some(observe) = observer {
        observe(BuildEvent::AddingTarget {
            dir,
            command: &command,
        });
    }
    tracing::info!(dir = %dir.display(), command = %add, "adding a target the plugins build for");
    let mut cmd = Command::new("rustup");
    cmd.args(&command[1..]).current_dir(dir);
    let ran = run_fenced(&mut cmd, limits, env).map_err(|e| format!("cannot run `{add}`: {e}"))?;
    if ran.status.is_some_and(|s| s.success()) {
        Ok(())
    } else {
        Err(format!(
            "the plugins build for {target}, which is not installed, and `{add}` failed; run it yourself{}",
            ran.tail_for_error()
        ))
    }
}

/// Whether `rustc --print sysroot` has the standard library for `target`.
fn sysroot_has(
    target: &str,
    dir: &Path,
    limits: BuildLimits,
    env: &[(OsString, OsString)],
) -> bool {
    let mut cmd = Command::new("rustc");
    cmd.args(["--print", "sysroot"]).current_dir(dir);
    match run_fenced(&mut cmd, limits, env) {
        Ok(ran) if ran.status.is_some_and(|s| s.success()) => {
            let sysroot = PathBuf::from(ran.text().trim());
            sysroot.join("lib/rustlib").join(target).is_dir()
        }
        _ => false,
    }
}

/// What a fenced command did: its exit status (`None`: killed at the
/// timeout) and the tail of its output.
struct Ran {
    status: Option<ExitStatus>,
    tail: Vec<u8>,
    dropped: usize,
    /// Whether stderr went to this process's own (and was not kept).
    shown: bool,
}

impl Ran {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.tail).into_owned()
    }

    /// The last lines of the output, as an error quotes them.
    fn tail_for_error(&self) -> String {
        if self.shown {
            return "; its output is above".into();
        }
        let text = self.text();
        let lines: Vec<&str> = text.lines().collect();
        if lines.is_empty() {
            return String::new();
        }
        let tail = lines[lines.len().saturating_sub(OUTPUT_TAIL_LINES)..].join("\n");
        let cut = if self.dropped > 0 || lines.len() > OUTPUT_TAIL_LINES {
            " (its last lines)"
        } else {
            ""
        };
        format!("; output{cut}:\n{tail}")
    }
}

/// The last bytes written to a pipe, at most a limit.
struct Tail {
    bytes: VecDeque<u8>,
    limit: usize,
    dropped: usize,
}

/// Runs `cmd` from a cleared environment plus `env`, in its own process
/// group, until it exits or `limits.timeout` passes (then the group is
/// killed); its stdout and stderr are read together, the last
/// `limits.output_bytes` kept.
fn run_fenced(
    cmd: &mut Command,
    limits: BuildLimits,
    env: &[(OsString, OsString)],
) -> std::io::Result<Ran> {
    run_fenced_to(cmd, limits, BuildOutput::Captured, env)
}

/// As [`run_fenced`]; with [`BuildOutput::Shown`] its stderr is this
/// process's own.
fn run_fenced_to(
    cmd: &mut Command,
    limits: BuildLimits,
    output: BuildOutput,
    env: &[(OsString, OsString)],
) -> std::io::Result<Ran> {
    let shown = output == BuildOutput::Shown;
    cmd.env_clear()
        .envs(env.iter().map(|(k, v)| (k, v)))
        .process_group(0)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(if shown {
            Stdio::inherit()
        } else {
            Stdio::piped()
        });
    let mut child = cmd.spawn()?;
    let group = rustix::process::Pid::from_child(&child);
    let tail = Arc::new(Mutex::new(Tail {
        bytes: VecDeque::new(),
        limit: limits.output_bytes,
        dropped: 0,
    }));
    let (done_tx, done_rx) = std::sync::mpsc::channel();
    let pipes: [Option<Box<dyn Read + Send>>; 2] = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ];
    let mut readers = 0;
    for mut pipe in pipes.into_iter().flatten() {
        let tail = tail.clone();
        let done = done_tx.clone();
        readers += 1;
        std::thread::spawn(move || {
            let mut buf = [0u8; 8192];
            while let Ok(n) = pipe.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let mut t = tail.lock().unwrap_or_else(|e| e.into_inner());
                t.bytes.extend(&buf[..n]);
                let over = t.bytes.len().saturating_sub(t.limit);
                if over > 0 {
                    t.bytes.drain(..over);
                    t.dropped += over;
                }
            }
            let _ = done.send(());
        });
    }
    let until = Instant::now() + limits.timeout;
    let status = loop {
        if let Some(status) = child.try_wait()? {
            break Some(status);
        }
        if Instant::now() >= until {
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    // Whatever the leader did, nothing it started outlives it: a build that
    // left a process behind would hold the pipes open (and run on).
    let _ = rustix::process::kill_process_group(group, rustix::process::Signal::KILL);
    if status.is_none() {
        let _ = child.wait();
    }
    // The readers end when the group's last writer is gone; one that
    // escaped the group (its own session) is not waited for long.
    let grace = Instant::now() + Duration::from_secs(2);
    for _ in 0..readers {
        let left = grace.saturating_duration_since(Instant::now());
        if done_rx.recv_timeout(left).is_err() {
            break;
        }
    }
    let t = tail.lock().unwrap_or_else(|e| e.into_inner());
    Ok(Ran {
        status,
        tail: t.bytes.iter().copied().collect(),
        dropped: t.dropped,
        shown,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn fixtures_are_no_build_input() {
        let dir = tempfile::tempdir().unwrap();
        let old = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000_000);
        let src = dir.path().join("lib.rs");
        std::fs::write(&src, "").unwrap();
        std::fs::File::options()
            .write(true)
            .open(&src)
            .and_then(|f| f.set_modified(old))
            .unwrap();
        std::fs::create_dir(dir.path().join("tests")).unwrap();
        // Written now, long after the source: an edited fixture must not
        // make the plugin look stale.
        std::fs::write(dir.path().join("tests/rule.test.toml"), "").unwrap();
        assert_eq!(newest_input(dir.path()), Some(old));
        std::fs::write(dir.path().join("tests/other.toml"), "").unwrap();
        assert!(newest_input(dir.path()) > Some(old));
    }

    #[test]
    fn the_target_comes_from_the_command_or_the_artifact_path() {
        let cmd = |s: &str| s.split(' ').map(str::to_owned).collect::<Vec<_>>();
        assert_eq!(
            target_of(&cmd("cargo build --target wasm32-wasip2")).as_deref(),
            Some("wasm32-wasip2")
        );
        assert_eq!(
            target_of(&cmd("cargo build --target=wasm32-wasip1")).as_deref(),
            Some("wasm32-wasip1")
        );
        assert_eq!(target_of(&cmd("cargo build --release")), None);
        assert_eq!(
            target_in_path(Path::new("/w/target/wasm32-wasip2/release/x.wasm")).as_deref(),
            Some("wasm32-wasip2")
        );
        assert_eq!(target_in_path(Path::new("/w/target/release/x")), None);
    }

    /// A directory on PATH holding stand-ins for `rustup` and `rustc`:
    /// `rustup` records its arguments in `calls` and lists `installed`.
    fn stand_ins(
        installed: &str,
        with_rustup: bool,
    ) -> (tempfile::TempDir, Vec<(OsString, OsString)>) {
        let bin = tempfile::tempdir().unwrap();
        let calls = bin.path().join("calls");
        let script = |name: &str, body: String| {
            let path = bin.path().join(name);
            std::fs::write(&path, format!("#!/bin/sh\n{body}")).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        if with_rustup {
            script(
                "rustup",
                format!(
                    "echo \"$@\" >> {calls:?}\nif [ \"$2\" = list ]; then printf '{installed}'; fi\n"
                ),
            );
        }
        // A sysroot without any target's standard library.
        script(
            "rustc",
            format!("echo {:?}\n", bin.path().display().to_string()),
        );
        // `sh` itself, for the scripts' #! line, stays reachable.
        let path = format!("{}:/usr/bin:/bin", bin.path().display());
        let env = vec![(OsString::from("PATH"), OsString::from(path))];
        (bin, env)
    }

    fn calls(bin: &tempfile::TempDir) -> String {
        std::fs::read_to_string(bin.path().join("calls")).unwrap_or_default()
    }

    #[test]
    fn a_missing_target_is_added_through_rustup_and_said() {
        let (bin, env) = stand_ins("x86_64-unknown-linux-gnu\\n", true);
        let said = Mutex::new(Vec::new());
        let observe = |e: BuildEvent<'_>| {
            if let BuildEvent::AddingTarget { command, .. } = e {
                said.lock().unwrap().push(command.join(" "));
            }
        };
        ensure_target(
            "wasm32-wasip2",
            bin.path(),
            BuildLimits::default(),
            Some(&observe),
            &env,
        )
        .unwrap();
        assert_eq!(
            calls(&bin),
            "target list --installed\ntarget add wasm32-wasip2\n"
        );
        assert_eq!(*said.lock().unwrap(), ["rustup target add wasm32-wasip2"]);
    }

    #[test]
    fn an_installed_target_is_left_alone() {
        let (bin, env) = stand_ins("wasm32-wasip2\\nx86_64-unknown-linux-gnu\\n", true);
        ensure_target(
            "wasm32-wasip2",
            bin.path(),
            BuildLimits::default(),
            None,
            &env,
        )
        .unwrap();
        assert_eq!(calls(&bin), "target list --installed\n");
    }

    #[test]
    fn without_rustup_the_error_names_the_command_to_run() {
        let (bin, env) = stand_ins("", false);
        let err = ensure_target(
            "wasm32-wasip2",
            bin.path(),
            BuildLimits::default(),
            None,
            &env,
        )
        .unwrap_err();
        assert!(
            err.contains("there is no rustup on PATH")
                && err.contains("run `rustup target add wasm32-wasip2`"),
            "{err}"
        );
        // A sysroot that has the target is enough without rustup.
        std::fs::create_dir_all(bin.path().join("lib/rustlib/wasm32-wasip2")).unwrap();
        ensure_target(
            "wasm32-wasip2",
            bin.path(),
            BuildLimits::default(),
            None,
            &env,
        )
        .unwrap();
    }

    #[test]
    fn a_build_sees_only_the_passed_environment() {
        let dir = tempfile::tempdir().unwrap();
        let env: Vec<(OsString, OsString)> = vec![
            ("PATH".into(), "/usr/bin:/bin".into()),
            ("HOME".into(), dir.path().into()),
        ];
        let mut cmd = Command::new("env");
        let ran = run_fenced(&mut cmd, BuildLimits::default(), &env).unwrap();
        let mut seen: Vec<String> = ran.text().lines().map(str::to_owned).collect();
        seen.sort();
        assert_eq!(
            seen,
            [
                format!("HOME={}", dir.path().display()),
                "PATH=/usr/bin:/bin".to_owned()
            ]
        );
        // And what is passed from this process is the allow-list only.
        assert!(
            passed_env()
                .iter()
                .all(|(k, _)| PASSED_ENV.iter().any(|p| k == p))
        );
    }
}
