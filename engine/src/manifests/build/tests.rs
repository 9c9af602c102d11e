//! The build step's own tests: freshness, targets, fencing, grouping.

use super::fenced::*;
use super::fresh::*;
use super::target::*;
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
fn stand_ins(installed: &str, with_rustup: bool) -> (tempfile::TempDir, Vec<(OsString, OsString)>) {
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
