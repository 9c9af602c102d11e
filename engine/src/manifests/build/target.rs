//! The compilation target a cargo build names, and making sure rustup has
//! it before the build runs.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::*;

/// The target a cargo command names with `--target`.
pub(super) fn target_of(command: &[String]) -> Option<String> {
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
pub(super) fn target_in_path(path: &Path) -> Option<String> {
    let parts: Vec<&std::ffi::OsStr> = path.iter().collect();
    parts.windows(3).find_map(|w| {
        let triple = w[1].to_str()?;
        (w[0] == "target" && triple.contains('-')).then(|| triple.to_owned())
    })
}

/// Makes sure rustup has `target` for the toolchain that builds in `dir`,
/// adding it if not; an error when it cannot, naming what to run.
pub(super) fn ensure_target(
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
pub(super) fn sysroot_has(
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
