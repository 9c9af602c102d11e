//! The WebAssembly host: real components built from `plugins/wasm` (the
//! hostile ones from `plugins/wasm/hostile`), run by wasmtime. After every
//! hostile call, the same runtime must still rule correctly with a good
//! plugin.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use umpire::{
    Constraint, Error, Registry, Schedule, Status, Verdict, manifests::BuildPolicy,
    manifests::Isolation, manifests::Manifest, model::ScheduleSpec, registry::LoadOptions,
    runtime::RhaiLimits, runtime::Runtime,
};

use crate::support::{TempTree, TestResult, mini_league, umpire, wasm_plugins};

/// Builds the plugin workspace once for the whole test binary (the first
/// registry load runs `cargo build` if anything is out of date).
pub(crate) fn built() -> &'static Registry {
    static EXAMPLES: OnceLock<Registry> = OnceLock::new();
    EXAMPLES.get_or_init(|| {
        Registry::load(&[wasm_plugins()]).expect("the example WebAssembly plugins load")
    })
}

/// A hostile plugin's manifest, tweaked.
fn hostile(name: &str, tweak: impl FnOnce(&mut Manifest)) -> Constraint {
    crate::support::hostile_component(name).expect("the hostile plugin builds");
    let path = crate::support::hostile_dir(name).join(format!("{}.toml", name.replace('-', "_")));
    let mut m = Manifest::load(&path).expect("the hostile manifest is valid");
    tweak(&mut m);
    let id = m.id.clone();
    let registry = Registry::from_manifests(vec![m], &RhaiLimits::default())
        .unwrap_or_else(|e| panic!("{name} loads: {e}"));
    registry.get(&id).expect("loaded").clone()
}

fn good() -> Constraint {
    built()
        .get("venue-availability")
        .expect("venue-availability is an example plugin")
        .clone()
}

/// G1 is in hudson's blackout (04-01..04-03); G2 is clean.
const TWO_GAMES: &str = r#"{"games": [
    { "id": "G1", "home": "NYR", "away": "LAS", "start": "2026-04-02T19:00" },
    { "id": "G2", "home": "LAS", "away": "CHW", "start": "2026-04-11T19:00" }
]}"#;

/// The mini league, with one game in hudson's blackout (04-01..04-03) and
/// one clean game.
struct Fixture {
    runtime: Runtime,
    schedule: Arc<Schedule>,
    _dir: TempTree,
}

fn fixture() -> Fixture {
    let dir = TempTree::new();
    let league = mini_league(dir.path());
    let spec: ScheduleSpec = serde_json::from_str(TWO_GAMES).expect("a schedule spec");
    let schedule = Schedule::from_spec(&dir.path().join("schedule.json"), spec, &league)
        .expect("a valid schedule");
    Fixture {
        runtime: Runtime::new(Arc::new(league), &RhaiLimits::default()),
        schedule: Arc::new(schedule),
        _dir: dir,
    }
}

impl Fixture {
    fn eval(&self, c: &Constraint, game: &str) -> Verdict {
        let g = self.schedule.game(game).expect("game").clone();
        self.runtime.evaluate(c, &self.schedule, Some(&g))
    }

    /// The good plugin still rules right on both games.
    fn still_sound(&self) {
        let good = good();
        let v = self.eval(&good, "G1");
        assert_eq!(v.status, Status::Violated, "{v:?}");
        assert_eq!(
            v.violations[0].message,
            "Hudson Field is unavailable on 2026-04-02: Circus"
        );
        let v = self.eval(&good, "G2");
        assert_eq!(v.status, Status::Passed, "{v:?}");
    }
}

fn message(v: &Verdict) -> &str {
    v.message.as_deref().unwrap_or("")
}

#[test]
fn an_infinite_loop_times_out_within_twice_its_deadline() {
    let f = fixture();
    for isolation in [Isolation::Fresh, Isolation::Reuse] {
        let c = hostile("infinite-loop", |m| {
            m.timeout = Duration::from_millis(200);
            m.wasm.as_mut().expect("wasm settings").isolation = isolation;
        });
        for _ in 0..2 {
            let v = f.eval(&c, "G1");
            assert_eq!(v.status, Status::Timeout, "{v:?}");
            assert!(message(&v).contains("ran past its deadline"), "{v:?}");
            assert!(v.elapsed_us < 400_000, "stopped after {} us", v.elapsed_us);
        }
        f.still_sound();
    }
}

#[test]
fn a_fuel_budget_stops_a_loop_deterministically() {
    let f = fixture();
    let c = hostile("infinite-loop", |m| {
        m.timeout = Duration::from_secs(30);
        m.wasm.as_mut().expect("wasm settings").fuel = Some(2_000_000);
    });
    let v = f.eval(&c, "G1");
    assert_eq!(v.status, Status::Error, "{v:?}");
    assert!(
        message(&v).contains("used up its fuel budget of 2000000 instructions"),
        "{v:?}"
    );
    f.still_sound();
}

#[test]
fn a_memory_bomb_is_stopped_at_its_cap() {
    let f = fixture();
    // Touching 16 MiB page by page takes milliseconds; the deadline must not
    // be what stops it.
    let c = hostile("memory-bomb", |m| m.timeout = Duration::from_secs(5));
    assert_eq!(c.manifest.wasm.map(|w| w.memory_mb), Some(16));
    let v = f.eval(&c, "G1");
    assert_eq!(v.status, Status::Error, "{v:?}");
    assert!(
        message(&v).contains("went over its memory cap of 16 MiB"),
        "{v:?}"
    );
    f.still_sound();
}

#[test]
fn deep_recursion_overflows_the_guest_stack_not_the_host() {
    let f = fixture();
    let v = f.eval(&hostile("deep-recursion", |_| {}), "G1");
    assert_eq!(v.status, Status::Error, "{v:?}");
    assert!(message(&v).contains("overflowed its stack"), "{v:?}");
    f.still_sound();
}

#[test]
fn a_panic_is_an_error_verdict_quoting_the_panic_message() {
    let f = fixture();
    let v = f.eval(&hostile("panic", |_| {}), "G1");
    assert_eq!(v.status, Status::Error, "{v:?}");
    assert!(
        message(&v).contains("hostile plugin panicked on purpose"),
        "{v:?}"
    );
    f.still_sound();
}

#[test]
fn files_environment_arguments_and_network_are_out_of_reach() {
    let f = fixture();
    let v = f.eval(&hostile("escape", |_| {}), "G1");
    assert_eq!(v.status, Status::Violated, "{v:?}");
    let got = &v.violations[0].message;
    for expected in [
        "file: denied",
        "write: denied",
        "env: 0 vars",
        "args: 0",
        "net: denied",
    ] {
        assert!(got.contains(expected), "{expected:?} not in {got:?}");
    }
    for escaped in ["READ", "WROTE", "CONNECTED"] {
        assert!(!got.contains(escaped), "{got}");
    }
    f.still_sound();
}

#[test]
fn a_huge_output_is_refused_not_reported() {
    let f = fixture();
    // Over the byte limit, an answer is refused while it is copied out of
    // the plugin (wasmtime's hostcall fuel), before the host holds it.
    let over = "its answer is over 4096 KiB; at most that is accepted (`plugins.max_output_kb`)";
    for (mode, expected) in [
        ("many", over),
        // Pins issue 17: 100 strings each within the string limit, 6 MB
        // together (10,000 of 64 KiB made a 650 MB verdict).
        ("wide", over),
        (
            "count",
            "it returned 10001 violations; at most 10000 are accepted (`plugins.max_violations`)",
        ),
        ("long", "violation 0's message is 102400 bytes long"),
    ] {
        let c = hostile("huge-output", |m| {
            m.params.insert("mode".into(), mode.into());
            m.timeout = Duration::from_secs(10);
        });
        let v = f.eval(&c, "G1");
        assert_eq!(v.status, Status::Error, "{mode}: {v:?}");
        assert!(message(&v).contains(expected), "{mode}: {v:?}");
        assert!(v.violations.is_empty());
    }
    f.still_sound();
}

#[test]
fn nan_out_of_range_scores_and_negative_penalties_are_errors() {
    let f = fixture();
    for (mode, expected) in [
        ("nan", "the verdict's score is NaN"),
        ("range", "the verdict's score is 1.5"),
        ("penalty", "violation 0 has penalty -"),
    ] {
        let c = hostile("bad-score", |m| {
            m.params.insert("mode".into(), mode.into());
        });
        let v = f.eval(&c, "G1");
        assert_eq!(v.status, Status::Error, "{mode}: {v:?}");
        assert!(message(&v).contains(expected), "{mode}: {v:?}");
    }
    f.still_sound();
}

#[test]
fn a_plugin_error_is_an_error_verdict_with_its_message() {
    let f = fixture();
    let c = hostile("bad-score", |m| {
        m.params.insert("mode".into(), "sideways".into());
    });
    let v = f.eval(&c, "G1");
    assert_eq!(v.status, Status::Error, "{v:?}");
    assert!(
        message(&v).contains("the plugin reported an error: parameter `mode`: unknown mode"),
        "{v:?}"
    );
}

/// The kind of a failure decides whether the runtime is tainted (its
/// owner replaces it): a trap or a timeout stops the plugin mid-call and
/// does; the plugin's own error, or an answer the host refuses, is a call
/// that finished, and does not.
#[test]
fn a_trap_or_a_timeout_taints_the_runtime_and_an_answer_does_not() {
    let answers = [
        // The plugin's own error.
        hostile("bad-score", |m| {
            m.params.insert("mode".into(), "sideways".into());
        }),
        // A score out of range; too many violations; an answer over the
        // output limit, stopped while it was copied out.
        hostile("bad-score", |m| {
            m.params.insert("mode".into(), "nan".into());
        }),
        hostile("huge-output", |m| {
            m.params.insert("mode".into(), "count".into());
            m.timeout = Duration::from_secs(10);
        }),
        hostile("huge-output", |m| {
            m.params.insert("mode".into(), "many".into());
            m.timeout = Duration::from_secs(10);
        }),
    ];
    for c in &answers {
        let f = fixture();
        let v = f.eval(c, "G1");
        assert_eq!(v.status, Status::Error, "{v:?}");
        assert!(!f.runtime.tainted(), "{}: {v:?}", message(&v));
    }
    let stops = [
        hostile("panic", |_| {}),
        hostile("deep-recursion", |_| {}),
        hostile("infinite-loop", |m| m.timeout = Duration::from_millis(50)),
    ];
    for c in &stops {
        let f = fixture();
        let v = f.eval(c, "G1");
        assert!(matches!(v.status, Status::Error | Status::Timeout), "{v:?}");
        assert!(f.runtime.tainted(), "{}: {v:?}", message(&v));
        f.still_sound();
    }
}

/// A reused instance that reported its own error is entered again, its
/// state and all.
#[test]
fn a_reused_instance_outlives_its_own_error() {
    let f = fixture();
    let c = hostile("stateful", |m| {
        m.params.insert("mode".into(), "error".into());
        m.wasm.as_mut().expect("wasm settings").isolation = Isolation::Reuse;
    });
    let said: Vec<String> = (0..3)
        .map(|_| {
            let v = f.eval(&c, "G2");
            assert_eq!(v.status, Status::Error, "{v:?}");
            message(&v).to_owned()
        })
        .collect();
    assert_eq!(
        said,
        (1..=3)
            .map(|n| format!("stateful.wasm: the plugin reported an error: call {n}"))
            .collect::<Vec<_>>()
    );
    assert!(!f.runtime.tainted());
}

#[test]
fn fresh_instances_share_nothing_and_reused_ones_keep_their_state() {
    let f = fixture();
    let calls = |c: &Constraint| -> Vec<String> {
        (0..3)
            .map(|_| f.eval(c, "G2").violations[0].message.clone())
            .collect()
    };
    let fresh = hostile("stateful", |_| {});
    assert_eq!(calls(&fresh), ["call 1", "call 1", "call 1"]);
    let reused = hostile("stateful", |m| {
        m.wasm.as_mut().expect("wasm settings").isolation = Isolation::Reuse;
    });
    assert_eq!(calls(&reused), ["call 1", "call 2", "call 3"]);
    // Another worker's runtime has its own instance.
    let other = fixture();
    assert_eq!(other.eval(&reused, "G2").violations[0].message, "call 1");
}

#[test]
fn a_plugin_built_against_another_contract_version_is_refused() {
    built();
    let dir = wasm_plugins().join("hostile/wrong-version");
    let err = Registry::load(&[dir]).expect_err("refused");
    let msg = err.to_string();
    assert!(matches!(err, Error::Plugin { .. }), "{err:?}");
    assert!(msg.contains("wrong_version.wasm: "), "{msg}");
    assert!(msg.contains("built against umpire:plugin@0.1.0"), "{msg}");
    assert!(msg.contains(umpire::runtime::CONTRACT), "{msg}");
}

#[test]
fn a_plugin_that_describes_itself_as_another_constraint_is_refused() {
    built();
    let path = wasm_plugins().join("venue_availability.toml");
    let mut m = Manifest::load(&path).expect("valid");
    m.id = "venue-free".into();
    let err = Registry::from_manifests(vec![m], &RhaiLimits::default()).expect_err("refused");
    let msg = err.to_string();
    assert!(
        msg.contains("the plugin describes itself as `venue-availability`")
            && msg.contains("says `venue-free`"),
        "{msg}"
    );
}

#[test]
fn a_core_module_is_not_a_component() {
    let t = TempTree::new();
    // The smallest valid core module: magic and version, no sections.
    std::fs::create_dir_all(t.path().join("plugins")).expect("dir");
    std::fs::write(
        t.path().join("plugins/core.wasm"),
        b"\0asm\x01\0\0\0".as_slice(),
    )
    .expect("write");
    t.write(
        "plugins/core.toml",
        &crate::support::manifest("core", "core.wasm", "game", "hard", "")
            .replace("kind = \"rhai\"", "kind = \"wasm\""),
    );
    let msg = Registry::load(&[t.path().join("plugins")])
        .expect_err("refused")
        .to_string();
    assert!(
        msg.contains("core.wasm: not a WebAssembly component"),
        "{msg}"
    );
}

#[test]
fn a_rhai_rule_may_depend_on_a_wasm_rule() -> TestResult {
    let t = TempTree::new();
    t.rule(
        "after-venue",
        "game",
        "soft",
        "depends_on = [\"venue-availability\"]",
        "pass()",
    );
    let dir = TempTree::new();
    let league = mini_league(dir.path());
    let path = dir.write("schedule.json", TWO_GAMES);
    let report =
        crate::support::evaluate(league, &path, &[wasm_plugins(), t.path().join("plugins")])?;
    let status = |game: &str| {
        crate::support::verdict(crate::support::game(&report, game), "after-venue").status
    };
    assert_eq!(status("G1"), Status::Skipped);
    assert_eq!(status("G2"), Status::Passed);
    Ok(())
}

/// A plugin directory whose manifest builds its component by copying a
/// built one: a stand-in for `cargo build` that is quick and observable.
fn copying_plugin(t: &TempTree) -> PathBuf {
    built();
    let component = wasm_plugins().join("target/wasm32-wasip2/release/venue_availability.wasm");
    t.write("plugin/input.txt", "v1");
    t.write(
        "plugin/venue.toml",
        &format!(
            "id = \"venue-availability\"\nname = \"copy\"\nkind = \"wasm\"\nsource = \"out/venue.wasm\"\nscope = \"game\"\nhardness = \"hard\"\n\n[build]\ncommand = [\"cp\", \"{}\", \"out/venue.wasm\"]\n",
            component.display()
        ),
    );
    std::fs::create_dir_all(t.path().join("plugin/out")).expect("out dir");
    t.path().join("plugin")
}

fn load_counting(dir: &Path, policy: BuildPolicy) -> (Result<Registry, Error>, usize) {
    let builds = AtomicUsize::new(0);
    let built = AtomicUsize::new(0);
    let observe = |e: umpire::manifests::BuildEvent<'_>| match e {
        umpire::manifests::BuildEvent::Building { .. } => {
            builds.fetch_add(1, Ordering::SeqCst);
        }
        umpire::manifests::BuildEvent::Built { .. } => {
            built.fetch_add(1, Ordering::SeqCst);
        }
        umpire::manifests::BuildEvent::AddingTarget { .. } => {}
    };
    let options = LoadOptions {
        build: policy,
        on_build: Some(&observe),
        ..LoadOptions::default()
    };
    let result = Registry::load_opts(&[dir.to_owned()], &options);
    let builds = builds.load(Ordering::SeqCst);
    // Every build that succeeds is reported done, with its time.
    if result.is_ok() {
        assert_eq!(built.load(Ordering::SeqCst), builds);
    }
    (result, builds)
}

#[test]
fn plugins_of_one_workspace_build_once_with_only_their_packages() -> TestResult {
    built();
    let component = wasm_plugins().join("target/wasm32-wasip2/release/venue_availability.wasm");
    let t = TempTree::new();
    // A stand-in for cargo that records its arguments and leaves each
    // selected package's component where its manifest looks.
    let log = t.path().join("calls");
    t.write(
        "bin/cargo",
        &format!(
            "#!/bin/sh\necho \"$@\" >> {log:?}\nfor p in \"$@\"; do case \"$p\" in a|b|c) cp {component:?} out/$p.wasm;; esac; done\n"
        ),
    );
    let cargo = t.path().join("bin/cargo");
    std::fs::set_permissions(&cargo, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    std::fs::create_dir_all(t.path().join("ws/out"))?;
    // Two of the workspace's three packages are loaded; `c` is not.
    for (id, package) in [("venue-availability.a", "a"), ("venue-availability.b", "b")] {
        t.write(
            &format!("ws/{id}.toml"),
            &format!(
                "id = \"{id}\"\nname = \"{id}\"\nkind = \"wasm\"\nsource = \"out/{package}.wasm\"\nscope = \"game\"\nhardness = \"hard\"\n\n[build]\ncommand = [{cargo:?}, \"build\", \"--release\", \"-p\", \"{package}\"]\n"
            ),
        );
    }
    let (registry, builds) = load_counting(&t.path().join("ws"), BuildPolicy::IfStale);
    assert_eq!(registry?.constraints().len(), 2);
    assert_eq!(builds, 1, "one command for the workspace");
    let calls = std::fs::read_to_string(&log)?;
    assert_eq!(calls, "build --release -p a -p b\n");
    assert!(!t.path().join("ws/out/c.wasm").exists());
    // Fresh now: nothing runs.
    let (again, builds) = load_counting(&t.path().join("ws"), BuildPolicy::IfStale);
    again?;
    assert_eq!(builds, 0);
    Ok(())
}

#[test]
fn a_plugin_builds_when_missing_or_stale_and_not_otherwise() -> TestResult {
    let t = TempTree::new();
    let dir = copying_plugin(&t);

    let (none, builds) = load_counting(&dir, BuildPolicy::Never);
    let msg = none.expect_err("nothing built yet").to_string();
    assert_eq!(builds, 0);
    assert!(
        msg.contains("does not exist and building is turned off") && msg.contains("cp "),
        "{msg}"
    );

    let (first, builds) = load_counting(&dir, BuildPolicy::IfStale);
    first?;
    assert_eq!(builds, 1, "missing: built");
    let (second, builds) = load_counting(&dir, BuildPolicy::IfStale);
    second?;
    assert_eq!(builds, 0, "fresh: not built again");

    // An input newer than the component calls for a rebuild.
    let input = dir.join("input.txt");
    let later = std::time::SystemTime::now() + Duration::from_secs(5);
    std::fs::File::options()
        .write(true)
        .open(&input)?
        .set_modified(later)?;
    let (third, builds) = load_counting(&dir, BuildPolicy::IfStale);
    third?;
    assert_eq!(builds, 1, "stale: built");
    Ok(())
}

#[test]
fn a_failing_build_names_the_manifest_the_command_and_its_output() {
    let t = TempTree::new();
    let dir = copying_plugin(&t);
    let manifest = dir.join("venue.toml");
    let text = std::fs::read_to_string(&manifest).expect("read");
    let cases = [
        (
            "[\"cp\", \"/nonexistent/umpire/nothing.wasm\", \"out/venue.wasm\"]",
            "exited with",
        ),
        (
            "[\"umpire-no-such-program\"]",
            "cannot run `umpire-no-such-program`",
        ),
        ("[\"true\"]", "succeeded but did not produce"),
    ];
    for (command, expected) in cases {
        let start = text.find("command = ").expect("command line");
        let end = start + text[start..].find('\n').expect("end of line");
        let edited = format!("{}command = {command}{}", &text[..start], &text[end..]);
        std::fs::write(&manifest, edited).expect("write");
        let (result, _) = load_counting(&dir, BuildPolicy::IfStale);
        let err = result.expect_err("the build fails");
        let msg = err.to_string();
        assert!(matches!(err, Error::Build { .. }), "{err:?}");
        assert!(
            msg.starts_with(&format!(
                "{}: building the plugin failed: ",
                manifest.display()
            )),
            "{msg}"
        );
        assert!(msg.contains(expected), "{expected:?} not in {msg}");
    }
}

#[test]
fn a_restart_loads_compiled_components_from_the_disk_cache() -> TestResult {
    built();
    let cache = TempTree::new();
    let compiled = || -> Result<Vec<String>, Box<dyn std::error::Error>> {
        let out = umpire()
            .env(umpire::runtime::CACHE_ENV, cache.path())
            .args(["constraints", "--format", "json", "--plugins"])
            .arg(wasm_plugins())
            .output()?;
        assert_eq!(
            out.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let value: serde_json::Value = serde_json::from_slice(&out.stdout)?;
        Ok(value["constraints"]
            .as_array()
            .ok_or("constraints")?
            .iter()
            .map(|c| c["component"]["compiled"].as_str().unwrap_or("").to_owned())
            .collect())
    };
    assert_eq!(compiled()?, ["fresh"; 4]);
    assert_eq!(compiled()?, ["disk-cache"; 4]);
    // A cached file cut short or overwritten (a full disk, another tool) is
    // refused by wasmtime's own checks and compiled afresh, then cached
    // again: never run.
    let files: Vec<std::path::PathBuf> = std::fs::read_dir(cache.path())?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "cwasm"))
        .collect();
    assert!(
        !files.is_empty(),
        "compiled components are kept as .cwasm files"
    );
    for (i, f) in files.iter().enumerate() {
        let bytes = std::fs::read(f)?;
        if i % 2 == 0 {
            std::fs::write(f, &bytes[..bytes.len() / 2])?;
        } else {
            std::fs::write(f, vec![0x5a; bytes.len()])?;
        }
    }
    assert_eq!(compiled()?, ["fresh"; 4]);
    assert_eq!(compiled()?, ["disk-cache"; 4]);
    Ok(())
}

#[test]
fn the_component_hash_is_the_sha256_of_its_bytes() -> TestResult {
    use sha2::Digest;
    let c = good();
    let info = c.wasm_info().ok_or("a wasm plugin")?;
    let (hash, version) = (info.sha256, info.version);
    let bytes = std::fs::read(&c.manifest.source)?;
    let expected: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hash, expected);
    assert_eq!(version, "0.1.0");
    Ok(())
}

#[test]
fn no_build_on_the_command_line_refuses_to_build_and_names_the_command() -> TestResult {
    let t = TempTree::new();
    let dir = copying_plugin(&t);
    let out = umpire()
        .args(["constraints", "--no-build", "--plugins"])
        .arg(&dir)
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("does not exist and building is turned off; build it with `cp "),
        "{stderr}"
    );
    assert!(!stderr.contains("Building"), "{stderr}");
    // Without the flag the same command builds it, and says so on stderr.
    let out = umpire()
        .args(["constraints", "--plugins"])
        .arg(&dir)
        .output()?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("Building plugins in "), "{stderr}");
    assert!(dir.join("out/venue.wasm").is_file());
    Ok(())
}
