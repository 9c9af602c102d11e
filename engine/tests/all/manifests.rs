//! Constraint manifests and plugin directories: strict parsing, defaults,
//! unique ids across directories, what counts as a manifest.

use std::path::PathBuf;
use std::time::Duration;

use umpire::{
    Error, Registry, manifests::Fallback, manifests::Kind, manifests::Manifest, manifests::Scope,
    model::Hardness,
};

use crate::support::{TempTree, TestResult, example_plugins, manifest};

/// Writes `rule.rhai` and `rule.toml` (with `text`) into a temp dir and
/// loads the manifest, expecting an error; returns the manifest path and it.
fn manifest_error(text: &str) -> (PathBuf, String) {
    let t = TempTree::new();
    t.write("rule.rhai", "pass()");
    let path = t.write("rule.toml", text);
    let err = Manifest::load(&path).expect_err("the manifest should be refused");
    // Keep the directory alive until the error is rendered.
    let msg = err.to_string();
    drop(t);
    (path, msg)
}

fn good(extra: &str) -> String {
    manifest("rest", "rule.rhai", "game", "hard", extra)
}

#[test]
fn defaults_apply_when_optional_fields_are_absent() -> TestResult {
    let t = TempTree::new();
    t.write("rule.rhai", "pass()");
    let m = Manifest::load(&t.write("rule.toml", &good("")))?;
    assert_eq!(m.weight, umpire::manifests::DEFAULT_WEIGHT);
    assert_eq!(
        m.timeout,
        Duration::from_millis(umpire::manifests::DEFAULT_TIMEOUT_MS)
    );
    assert_eq!(m.fallback, Fallback::Skip);
    assert!(m.cacheable);
    assert!(m.depends_on.is_empty());
    assert!(m.params.is_empty());
    assert_eq!(m.kind, Kind::Rhai);
    assert_eq!(m.scope, Scope::Game);
    assert_eq!(m.hardness, Hardness::Hard);
    assert_eq!(
        m.source,
        t.path().join("rule.rhai"),
        "source is relative to the manifest"
    );
    Ok(())
}

#[test]
fn every_field_is_read() -> TestResult {
    let t = TempTree::new();
    t.write("rule.rhai", "pass()");
    let text = "id = \"x.y_z-1\"\nname = \"X\"\ndescription = \"d\"\nkind = \"rhai\"\nsource = \"rule.rhai\"\n\
                scope = \"schedule\"\nhardness = \"preference\"\nweight = 0\ndepends_on = [\"a\", \"b\"]\n\
                timeout_ms = 60000\nfallback = \"fail\"\ncacheable = false\n[params]\nn = 3\nnames = [\"p\"]\n";
    let m = Manifest::load(&t.write("rule.toml", text))?;
    assert_eq!(&*m.id, "x.y_z-1");
    assert_eq!(m.description.as_deref(), Some("d"));
    assert_eq!(m.scope, Scope::Schedule);
    assert_eq!(m.hardness, Hardness::Preference);
    assert_eq!(m.weight, 0);
    assert_eq!(
        m.depends_on.iter().map(|d| &**d).collect::<Vec<_>>(),
        ["a", "b"]
    );
    assert_eq!(
        m.timeout,
        Duration::from_millis(umpire::manifests::MAX_TIMEOUT_MS)
    );
    assert_eq!(m.fallback, Fallback::Fail);
    assert!(!m.cacheable);
    assert_eq!(m.params["n"], 3);
    assert_eq!(m.params["names"][0], "p");
    Ok(())
}

#[test]
fn unknown_manifest_field_names_file_line_and_field() {
    let (path, msg) = manifest_error(&good("wieght = 10"));
    assert!(msg.starts_with(&format!("{}: ", path.display())), "{msg}");
    assert!(msg.contains("wieght"), "{msg}");
    assert!(msg.contains("line 7"), "{msg}");
}

#[test]
fn bad_hardness_value_is_named() {
    let (path, msg) = manifest_error(&manifest("rest", "rule.rhai", "game", "firm", ""));
    assert!(msg.starts_with(&format!("{}: ", path.display())), "{msg}");
    assert!(msg.contains("firm"), "{msg}");
    assert!(
        msg.contains("hard") && msg.contains("soft") && msg.contains("preference"),
        "lists the choices: {msg}"
    );
}

#[test]
fn bad_scope_kind_and_fallback_values_are_named() {
    let (_, msg) = manifest_error(&manifest("rest", "rule.rhai", "season", "hard", ""));
    assert!(msg.contains("season"), "{msg}");
    let (_, msg) = manifest_error(&good("").replace("kind = \"rhai\"", "kind = \"lua\""));
    assert!(msg.contains("lua"), "{msg}");
    let (_, msg) = manifest_error(&good("fallback = \"maybe\""));
    assert!(msg.contains("maybe"), "{msg}");
}

#[test]
fn weight_out_of_range_is_refused() {
    let text = good("weight = 101");
    let (path, msg) = manifest_error(&text);
    // At the value's line and column, as a compiler says where.
    let (line, rest) = crate::support::placed(&msg, &path, &text);
    assert_eq!(line, "weight = 101");
    assert_eq!(rest, "weight: 101 is out of range 0..=100");
    // Too big even for the field's type: still an error naming the field.
    let (_, msg) = manifest_error(&good("weight = 1000"));
    assert!(msg.contains("weight") || msg.contains("line 7"), "{msg}");
    let (_, msg) = manifest_error(&good("weight = -1"));
    assert!(msg.contains("line 7"), "{msg}");
}

#[test]
fn timeout_out_of_range_is_refused() {
    let (_, msg) = manifest_error(&good("timeout_ms = 0"));
    assert!(msg.contains("timeout_ms: 0 is out of range"), "{msg}");
    let (_, msg) = manifest_error(&good("timeout_ms = 60001"));
    assert!(msg.contains("timeout_ms: 60001 is out of range"), "{msg}");
}

#[test]
fn missing_source_file_is_refused_naming_the_path() {
    let text = manifest("rest", "nowhere.rhai", "game", "hard", "");
    let (path, msg) = manifest_error(&text);
    let (line, rest) = crate::support::placed(&msg, &path, &text);
    assert!(line.starts_with("source = "), "{line}");
    assert!(rest.starts_with("source: "), "{msg}");
    assert!(msg.contains("nowhere.rhai"), "{msg}");
}

#[test]
fn missing_required_field_is_named() {
    let (_, msg) = manifest_error(&good("").replace("scope = \"game\"\n", ""));
    assert!(msg.contains("missing field `scope`"), "{msg}");
}

#[test]
fn invalid_id_and_self_or_repeated_dependencies_are_refused() {
    let (_, msg) = manifest_error(&manifest("has space", "rule.rhai", "game", "hard", ""));
    assert!(msg.contains("id: \"has space\" is not a valid id"), "{msg}");
    let (_, msg) = manifest_error(&good("depends_on = [\"rest\"]"));
    assert!(
        msg.contains("depends_on: `rest` depends on itself"),
        "{msg}"
    );
    let (_, msg) = manifest_error(&good("depends_on = [\"a\", \"a\"]"));
    assert!(msg.contains("depends_on: `a` is listed twice"), "{msg}");
}

#[test]
fn a_wasm_source_that_is_not_a_component_is_a_clear_error() -> TestResult {
    let t = TempTree::new();
    t.write("plugins/rule.wasm", "\0asm");
    let path = t.write(
        "plugins/rule.toml",
        &manifest("rest", "rule.wasm", "game", "hard", "")
            .replace("kind = \"rhai\"", "kind = \"wasm\""),
    );
    // The manifest itself is valid; the registry refuses to compile it.
    assert_eq!(Manifest::load(&path)?.kind, Kind::Wasm);
    let err = Registry::load(&[t.path().join("plugins")]).unwrap_err();
    let msg = err.to_string();
    let wasm = t.path().join("plugins/rule.wasm");
    assert!(msg.starts_with(&format!("{}: ", wasm.display())), "{msg}");
    assert!(
        msg.contains("not a WebAssembly component this host can compile"),
        "{msg}"
    );
    assert!(msg.contains("wasm32-wasip2"), "{msg}");
    Ok(())
}

#[test]
fn duplicate_ids_across_plugin_directories_name_both_manifests() {
    let t = TempTree::new();
    let first = t.rule_in("one", "same-id", "game", "hard", "", "pass()");
    let second = t.rule_in("two", "same-id", "game", "soft", "", "pass()");
    let err = Registry::load(&[t.path().join("one"), t.path().join("two")]).unwrap_err();
    match &err {
        Error::DuplicateConstraint { id, first: f, path } => {
            assert_eq!(id, "same-id");
            assert_eq!(f, &first);
            assert_eq!(path, &second);
        }
        other => panic!("expected DuplicateConstraint, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(msg.contains(&first.display().to_string()), "{msg}");
    assert!(msg.contains(&second.display().to_string()), "{msg}");
    assert!(msg.contains("`same-id`"), "{msg}");
}

#[test]
fn duplicate_ids_within_one_directory_are_refused_too() {
    let t = TempTree::new();
    t.write("plugins/a.rhai", "pass()");
    t.write(
        "plugins/a.toml",
        &manifest("same", "a.rhai", "game", "hard", ""),
    );
    t.write(
        "plugins/b.toml",
        &manifest("same", "a.rhai", "game", "hard", ""),
    );
    let err = Registry::load(&[t.path().join("plugins")]).unwrap_err();
    assert!(matches!(err, Error::DuplicateConstraint { .. }), "{err:?}");
}

#[test]
fn plugin_directory_without_manifests_is_refused() {
    let t = TempTree::new();
    t.write("plugins/README.md", "no rules here");
    t.write("plugins/orphan.rhai", "pass()");
    let err = Registry::load(&[t.path().join("plugins")]).unwrap_err();
    assert!(matches!(err, Error::PluginDir { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.starts_with(&t.path().join("plugins").display().to_string()),
        "{msg}"
    );
    assert!(msg.contains("no constraint manifests"), "{msg}");
}

#[test]
fn plugin_directory_that_does_not_exist_is_refused() {
    let t = TempTree::new();
    let missing = t.path().join("missing");
    let err = Registry::load(std::slice::from_ref(&missing)).unwrap_err();
    assert!(matches!(err, Error::PluginDir { .. }), "{err:?}");
    assert!(
        err.to_string().contains(&missing.display().to_string()),
        "{err}"
    );
}

#[test]
fn only_top_level_visible_toml_files_are_manifests() -> TestResult {
    let t = TempTree::new();
    t.rule("real", "game", "hard", "", "pass()");
    // A broken manifest in a subdirectory, a hidden one and a non-TOML file
    // would each fail to load if they were read.
    t.write("plugins/fixtures/broken.toml", "this is not a manifest");
    t.write("plugins/.hidden.toml", "neither is this");
    t.write("plugins/notes.txt", "id = 3");
    let registry = Registry::load(&[t.path().join("plugins")])?;
    assert_eq!(registry.len(), 1);
    assert!(registry.get("real").is_some());
    Ok(())
}

#[test]
fn example_plugins_load_in_directory_then_file_name_order() -> TestResult {
    let registry = Registry::load(&example_plugins())?;
    let ids: Vec<&str> = registry.manifests().iter().map(|m| &*m.id).collect();
    assert_eq!(
        ids,
        [
            "home-away-balance",
            "local-kickoff-window",
            "max-consecutive-away",
            "min-rest-days",
            "rivalry-on-weekend",
            "venue-double-booking",
            "broadcast-share",
            "home-venue",
            "tv-window-fit",
            "venue-availability",
        ]
    );
    let blackout = registry
        .get("venue-availability")
        .ok_or("venue-availability")?;
    assert_eq!(blackout.manifest.fallback, Fallback::Fail);
    assert_eq!(blackout.manifest.weight, 100);
    assert_eq!(
        registry
            .get("min-rest-days")
            .ok_or("min-rest-days")?
            .manifest
            .params["min_days"],
        2
    );
    Ok(())
}
