//! Building plugins whose manifest says how (the `[build]` table): the
//! command runs when `source` is missing or older than any file under the
//! build directory, as `make` would decide.

use std::path::Path;
use std::process::Command;
use std::sync::Mutex;
use std::time::SystemTime;

use super::manifest::{BuildSpec, Manifest};
use crate::error::{Error, Result};

/// When to run a manifest's `[build]` command.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BuildPolicy {
    /// When `source` is missing or older than its inputs.
    #[default]
    IfStale,
    /// Never: a missing `source` is an error, a stale one is used as it is.
    Never,
}

/// Called before a build command runs, with the directory and the command.
pub type BuildObserver<'a> = dyn Fn(&Path, &[String]) + Send + Sync + 'a;

/// Environment a build must not inherit: it would redirect the output away
/// from `source`, or apply the host's compiler flags to a wasm target.
const SCRUBBED_ENV: &[&str] = &[
    "CARGO_TARGET_DIR",
    "CARGO_BUILD_TARGET",
    "CARGO_BUILD_TARGET_DIR",
    "CARGO_ENCODED_RUSTFLAGS",
    "CARGO_BUILD_RUSTFLAGS",
    "RUSTFLAGS",
];

/// How many lines of a failed build's output an error quotes.
const OUTPUT_TAIL_LINES: usize = 25;

/// One build at a time in this process: manifests that share a workspace
/// then build it once, and the rest find it fresh.
static BUILDING: Mutex<()> = Mutex::new(());

/// Builds every manifest's `source` that needs it; manifests that share a
/// command and directory (a cargo workspace) build together, once.
pub(crate) fn ensure_built(
    manifests: &[Manifest],
    policy: BuildPolicy,
    observer: Option<&BuildObserver<'_>>,
) -> Result<()> {
    let mut groups: Vec<(&BuildSpec, Vec<&Manifest>)> = Vec::new();
    for m in manifests {
        let Some(spec) = &m.build else { continue };
        match groups.iter_mut().find(|(s, _)| *s == spec) {
            Some((_, members)) => members.push(m),
            None => groups.push((spec, vec![m])),
        }
    }
    for (spec, members) in groups {
        // Each file once, however many manifests name it, with the first
        // manifest that does (for the error).
        let mut sources: Vec<(&Path, &Manifest)> = Vec::new();
        for m in &members {
            if !sources.iter().any(|(s, _)| *s == m.source) {
                sources.push((&m.source, m));
            }
        }
        if policy == BuildPolicy::Never {
            if let Some((source, m)) = sources.iter().find(|(s, _)| !s.is_file()) {
                return Err(Error::invalid(
                    &m.path,
                    "source",
                    format!(
                        "{} does not exist and building is turned off; build it with `{}` in {}",
                        source.display(),
                        spec.command.join(" "),
                        spec.dir.display()
                    ),
                ));
            }
            continue;
        }
        let _guard = BUILDING.lock().unwrap_or_else(|e| e.into_inner());
        if sources.iter().all(|(source, _)| is_fresh(source, spec)) {
            continue;
        }
        if let Some(observe) = observer {
            observe(&spec.dir, &spec.command);
        }
        run(&members, spec)?;
    }
    Ok(())
}

/// Whether `source` exists and no input is newer.
fn is_fresh(source: &Path, spec: &BuildSpec) -> bool {
    let Ok(built) = std::fs::metadata(source).and_then(|m| m.modified()) else {
        return false;
    };
    std::iter::once(&spec.dir)
        .chain(&spec.watch)
        .filter_map(|p| newest_input(p))
        .all(|newest| newest <= built)
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

fn run(members: &[&Manifest], spec: &BuildSpec) -> Result<()> {
    let first = members[0];
    let fail = |m: &Manifest, message: String| Error::Build {
        path: m.path.clone(),
        message,
    };
    let shown = spec.command.join(" ");
    let mut cmd = Command::new(&spec.command[0]);
    cmd.args(&spec.command[1..]).current_dir(&spec.dir);
    for var in SCRUBBED_ENV {
        cmd.env_remove(var);
    }
    tracing::info!(dir = %spec.dir.display(), command = %shown, "building plugin");
    let output = cmd.output().map_err(|e| {
        fail(
            first,
            format!("cannot run `{shown}` in {}: {e}", spec.dir.display()),
        )
    })?;
    if !output.status.success() {
        let text = String::from_utf8_lossy(&output.stderr);
        let lines: Vec<&str> = text.lines().collect();
        let tail = lines[lines.len().saturating_sub(OUTPUT_TAIL_LINES)..].join("\n");
        return Err(fail(
            first,
            format!(
                "`{shown}` in {} exited with {}:\n{tail}",
                spec.dir.display(),
                output.status
            ),
        ));
    }
    let now = SystemTime::now();
    for m in members {
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
        // A build with nothing to do for this artifact leaves its time
        // alone; mark it built now so the next load does not build again.
        let _ = std::fs::File::options()
            .write(true)
            .open(&m.source)
            .and_then(|f| f.set_modified(now));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

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
}
