//! Any text as a constraint manifest in `plugins/rhai/` (so that a relative
//! `source` such as `min_rest_days.rhai` exists): it is read or refused with
//! an error naming the file, never panics, and what is read keeps the
//! manifest's ranges: a valid id, weight 0..=100, a deadline within
//! 1..=MAX_TIMEOUT_MS, no dependency on itself or listed twice, `[wasm]`
//! only for a WebAssembly plugin, a memory cap within range; and it
//! writes as JSON (`umpire constraints --format json`).

#![no_main]

use std::path::Path;
use std::time::Duration;

use libfuzzer_sys::fuzz_target;
use umpire_model::manifest::{Kind, MAX_MEMORY_MB, MAX_TIMEOUT_MS, Manifest};

const FILE: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../plugins/rhai/fuzz.toml");

fuzz_target!(|text: &str| {
    let m = match Manifest::from_toml_str(Path::new(FILE), text) {
        Ok(m) => m,
        Err(e) => {
            assert!(e.to_string().starts_with(FILE), "{e}");
            return;
        }
    };
    assert!(!m.id.is_empty());
    assert!(
        m.id.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
    );
    assert!(m.weight <= 100);
    assert!(m.timeout >= Duration::from_millis(1));
    assert!(m.timeout <= Duration::from_millis(MAX_TIMEOUT_MS));
    for (i, dep) in m.depends_on.iter().enumerate() {
        assert_ne!(dep, &m.id);
        assert!(!m.depends_on[..i].contains(dep), "`{dep}` twice");
    }
    match (m.kind, &m.wasm) {
        (Kind::Rhai, None) => {}
        (Kind::Wasm, Some(w)) => assert!((1..=MAX_MEMORY_MB).contains(&w.memory_mb)),
        (kind, wasm) => panic!("kind {kind:?} with [wasm] {wasm:?}"),
    }
    serde_json::to_string(&m).expect("a manifest writes as JSON");
});
