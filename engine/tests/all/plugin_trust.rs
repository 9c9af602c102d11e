//! A plugin directory is a trust boundary (issue 17): what a manifest
//! names stays inside its directory and is never echoed, a `[build]` runs
//! fenced (cleared environment, a timeout that kills its process group,
//! bounded output), and compiled components leave memory with the last
//! registry that uses them. Real files, real processes, real components.

use std::path::Path;
use std::time::{Duration, Instant};

use umpire::{Error, Registry, manifests::Manifest, runtime::RhaiLimits};

use crate::support::{TempTree, TestResult, fixture, hostile_component, manifest, umpire};

/// The manifest error for `source`, or why there was none.
fn source_error(dir: &Path, source: &str) -> String {
    let path = dir.join("rule.toml");
    std::fs::write(&path, manifest("rule", source, "game", "soft", "")).expect("write");
    match Manifest::load(&path) {
        Ok(_) => format!("{source} was accepted"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn absolute_and_parent_sources_are_refused_naming_the_manifest_key_and_rule() -> TestResult {
    for (file, rule) in [
        (
            "hostile/absolute_source.toml",
            "`/etc/passwd` is an absolute path",
        ),
        (
            "hostile/parent_source.toml",
            "`../../../../etc/passwd` leaves the plugin directory (`..`)",
        ),
    ] {
        let path = fixture(file);
        let err = Manifest::load(&path).expect_err("refused").to_string();
        let text = std::fs::read_to_string(&path)?;
        let (line, rest) = crate::support::placed(&err, &path, &text);
        assert!(line.starts_with("source = "), "{line}");
        assert!(rest.starts_with(&format!("source: {rule}")), "{err}");
        assert!(!err.contains("root"), "no file contents in {err}");
    }
    Ok(())
}

#[test]
fn a_symlink_out_a_fifo_a_device_or_a_directory_is_refused() -> TestResult {
    let t = TempTree::new();
    let dir = t.path();
    std::os::unix::fs::symlink("/etc/passwd", dir.join("out.rhai"))?;
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero.rhai"))?;
    std::fs::create_dir(dir.join("folder.rhai"))?;
    let made = std::process::Command::new("mkfifo")
        .arg(dir.join("pipe.rhai"))
        .status()?;
    assert!(made.success(), "mkfifo");
    for (source, rule) in [
        (
            "out.rhai",
            "`out.rhai` resolves outside the plugin directory",
        ),
        (
            "zero.rhai",
            "`zero.rhai` resolves outside the plugin directory",
        ),
        ("folder.rhai", "`folder.rhai` is a directory"),
        (
            "pipe.rhai",
            "`pipe.rhai` is not a regular file (a FIFO, socket or device)",
        ),
    ] {
        let err = source_error(dir, source);
        assert!(err.contains("rule.toml:"), "{err}");
        assert!(err.contains(&format!(": source: {rule}")), "{err}");
    }
    // A symlink that stays inside is a file like any other.
    std::fs::write(dir.join("real.rhai"), "pass()")?;
    std::os::unix::fs::symlink("real.rhai", dir.join("alias.rhai"))?;
    assert_eq!(source_error(dir, "alias.rhai"), "alias.rhai was accepted");
    Ok(())
}

#[test]
fn a_source_over_its_size_limit_is_refused_before_it_is_read() -> TestResult {
    let t = TempTree::new();
    t.rule(
        "big",
        "game",
        "soft",
        "",
        &format!("// {}\npass()", "x".repeat(2048)),
    );
    let mut limits = RhaiLimits::default();
    limits.max_script_bytes = 1024;
    let err = Registry::load_with(&[t.path().join("plugins")], &limits)
        .expect_err("refused")
        .to_string();
    assert!(
        err.ends_with("big.rhai: the file is 2058 bytes, over the limit of 1024 bytes (`plugins.max_script_kb`)"),
        "{err}"
    );
    Ok(())
}

#[test]
fn a_source_that_is_not_a_script_or_not_a_component_is_named_without_its_bytes() -> TestResult {
    let t = TempTree::new();
    t.write("plugins/rule.rhai", "");
    std::fs::write(t.path().join("plugins/rule.rhai"), b"secret\xff\xfe")?;
    t.write(
        "plugins/rule.toml",
        &manifest("rule", "rule.rhai", "game", "soft", ""),
    );
    let err = Registry::load(&[t.path().join("plugins")]).expect_err("refused");
    let text = err.to_string();
    assert!(
        matches!(err, Error::Script { .. })
            && text.ends_with("not a Rhai script: it is not UTF-8 text (byte 6 is not)"),
        "{text}"
    );
    assert!(!text.contains("secret"), "{text}");

    let t = TempTree::new();
    t.write("plugins/rule.wasm", "root:x:0:0:root:/root:/bin/bash\n");
    t.write(
        "plugins/rule.toml",
        &manifest("rule", "rule.wasm", "game", "soft", "").replace("\"rhai\"", "\"wasm\""),
    );
    let text = Registry::load(&[t.path().join("plugins")])
        .expect_err("refused")
        .to_string();
    assert!(
        text.contains("rule.wasm: not a WebAssembly component (no `\\0asm` header)"),
        "{text}"
    );
    assert!(!text.contains("root") && !text.contains("0x72"), "{text}");
    Ok(())
}

/// A plugin directory whose one manifest builds its Rhai rule with `sh -c
/// script` (run in the directory).
fn built_by(t: &TempTree, script: &str) -> std::path::PathBuf {
    let command = format!("command = [\"sh\", \"-c\", {script:?}]");
    t.write(
        "plugins/rule.toml",
        &manifest(
            "rule",
            "rule.rhai",
            "game",
            "soft",
            &format!("[build]\n{command}"),
        ),
    );
    t.path().join("plugins")
}

/// Whether process `pid` is gone (or a zombie waiting for its reaper).
fn gone(pid: &str) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Err(_) => true,
        Ok(stat) => stat
            .rsplit(')')
            .next()
            .is_some_and(|rest| rest.trim_start().starts_with('Z')),
    }
}

#[test]
fn a_build_that_never_ends_is_killed_at_the_timeout_with_its_process_group() -> TestResult {
    let t = TempTree::new();
    let dir = built_by(&t, "sleep 1000 & echo $! > child.pid; echo started; wait");
    let out = umpire()
        .args(["constraints", "--plugins"])
        .arg(&dir)
        .env("UMPIRE_PLUGINS__BUILD_TIMEOUT_S", "1")
        .timeout(Duration::from_secs(60))
        .output()?;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8(out.stderr)?;
    assert!(
        stderr.contains("rule.toml: building the plugin failed: `sh -c sleep 1000 & echo $! > child.pid; echo started; wait` in ")
            && stderr.contains(" was still running after 1 s and was killed with its process group; raise `plugins.build_timeout_s` if the build is only slow; output:\nstarted"),
        "{stderr}"
    );
    // The background `sleep` was in the group: it went with the shell.
    let child = std::fs::read_to_string(dir.join("child.pid"))?;
    let until = Instant::now() + Duration::from_secs(10);
    while !gone(child.trim()) {
        assert!(Instant::now() < until, "the build's child {child} survived");
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(())
}

#[test]
fn a_build_sees_no_secret_of_the_environment() -> TestResult {
    let t = TempTree::new();
    let dir = built_by(&t, "env > seen.env && echo 'pass()' > rule.rhai");
    let out = umpire()
        .args(["constraints", "--plugins"])
        .arg(&dir)
        .env("UMPIRE_SERVER__ADMIN_TOKEN", "a-secret-admin-token-1234")
        .env("DATABASE_PASSWORD", "hunter2")
        .output()?;
    assert!(out.status.success(), "{out:?}");
    let seen = std::fs::read_to_string(dir.join("seen.env"))?;
    assert!(
        !seen.contains("a-secret-admin-token") && !seen.contains("hunter2"),
        "{seen}"
    );
    // What the shell adds itself aside, only the allow-list passes.
    let shell = ["PWD", "OLDPWD", "SHLVL", "_"];
    for line in seen.lines() {
        let Some((key, _)) = line.split_once('=') else {
            continue;
        };
        assert!(
            umpire::manifests::PASSED_ENV.contains(&key) || shell.contains(&key),
            "`{key}` reached the build: {seen}"
        );
    }
    assert!(seen.lines().any(|l| l.starts_with("PATH=")), "{seen}");
    Ok(())
}

#[test]
fn a_build_that_floods_its_output_is_quoted_by_its_tail_only() -> TestResult {
    let t = TempTree::new();
    let dir = built_by(&t, "yes flood-line | head -c 20000000; exit 3");
    let out = umpire()
        .args(["constraints", "--plugins"])
        .arg(&dir)
        .env("UMPIRE_PLUGINS__BUILD_OUTPUT_KB", "4")
        .timeout(Duration::from_secs(120))
        .output()?;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let stderr = String::from_utf8(out.stderr)?;
    assert!(
        stderr.contains("exited with exit status: 3; output (its last lines):\nflood-line\n"),
        "{stderr}"
    );
    // 20 MB in, 25 lines out of the last 4 KiB kept: 24 whole ones and
    // the last, which `head -c` cut short.
    assert_eq!(
        stderr.lines().filter(|l| *l == "flood-line").count(),
        24,
        "{stderr}"
    );
    assert!(stderr.trim_end().ends_with("\nflood-lin"), "{stderr}");
    Ok(())
}

/// Writes the component at `from` with a custom section `name` appended:
/// the same plugin, other bytes (so another content hash).
fn variant(from: &Path, to: &Path, name: &str) -> std::io::Result<()> {
    let mut bytes = std::fs::read(from)?;
    let mut payload = vec![name.len() as u8];
    payload.extend(name.as_bytes());
    bytes.push(0); // custom section
    bytes.push(payload.len() as u8);
    bytes.extend(payload);
    std::fs::write(to, bytes)
}

/// Pins issue 17: compiled components were never evicted across hot
/// reloads (+500 MB over 6 versions). A reload builds the new registry
/// while the old one serves, then drops the old one.
#[test]
fn a_replaced_component_leaves_memory_with_the_last_registry_that_used_it() -> TestResult {
    let component = hostile_component("panic")?;
    let t = TempTree::new();
    t.write(
        "plugins/panic.toml",
        &manifest("panic", "panic.wasm", "game", "soft", "").replace("\"rhai\"", "\"wasm\""),
    );
    let dir = t.path().join("plugins");
    let mut serving: Option<Registry> = None;
    let mut replaced: Vec<String> = Vec::new();
    for version in 0..6 {
        variant(
            &component,
            &dir.join("panic.wasm"),
            &format!("umpire-test-v{version}"),
        )?;
        let loaded = Registry::load(std::slice::from_ref(&dir))?;
        let hash = loaded.constraints()[0]
            .wasm_info()
            .ok_or("a wasm plugin")?
            .sha256;
        let hash = hash.to_owned();
        if let Some(old) = serving.replace(loaded) {
            let old_hash = old.constraints()[0]
                .wasm_info()
                .ok_or("a wasm plugin")?
                .sha256;
            replaced.push(old_hash.to_owned());
        }
        let held = umpire::runtime::components_in_memory();
        assert!(
            held.contains(&hash),
            "version {version} is loaded: {held:?}"
        );
        for old in &replaced {
            assert!(
                !held.contains(old),
                "{old} was replaced, yet is held: {held:?}"
            );
        }
    }
    assert_eq!(replaced.len(), 5);
    Ok(())
}
