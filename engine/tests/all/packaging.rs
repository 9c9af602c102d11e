//! Packages that stand alone: nothing a crate compiles in comes from
//! outside its own directory, the copies a crate carries match their
//! originals, and the SDK packages with the contract it is generated from.

use std::path::{Path, PathBuf};
use std::process::Command;

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Every `.rs` file under `dir`.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap().flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// The string literal right after `marker` in `text`, each time it occurs.
fn literals_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(at) = rest.find(marker) {
        rest = &rest[at + marker.len()..];
        let Some(open) = rest.find('"') else { break };
        // Only a literal that starts the argument (whitespace before it).
        if !rest[..open].trim().is_empty() {
            continue;
        }
        let Some(close) = rest[open + 1..].find('"') else {
            break;
        };
        found.push(&rest[open + 1..open + 1 + close]);
    }
    found
}

/// The files a crate compiles in that lie outside its package directory:
/// `include_str!`/`include_bytes!` (relative to the file) and the `path:`
/// of `bindgen!`/`generate!` (relative to the crate).
fn outside(package: &Path) -> Vec<String> {
    let root = package.canonicalize().unwrap();
    let mut files = Vec::new();
    rust_files(&package.join("src"), &mut files);
    let mut bad = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let dir = file.parent().unwrap();
        let mut named: Vec<PathBuf> = Vec::new();
        for marker in ["include_str!(", "include_bytes!("] {
            named.extend(literals_after(&text, marker).iter().map(|l| dir.join(l)));
        }
        if text.contains("bindgen!") || text.contains("generate!") {
            named.extend(
                literals_after(&text, "path:")
                    .iter()
                    .map(|l| package.join(l)),
            );
        }
        for path in named {
            let inside = path.canonicalize().is_ok_and(|p| p.starts_with(&root));
            if !inside {
                bad.push(format!("{} names {}", file.display(), path.display()));
            }
        }
    }
    bad
}

#[test]
fn the_engine_compiles_in_nothing_from_outside_its_package() {
    let engine = Path::new(env!("CARGO_MANIFEST_DIR"));
    let bad = outside(engine);
    assert!(bad.is_empty(), "{bad:#?}");
    // The check sees what it must: the bindings and the built-in league.
    let host = std::fs::read_to_string(engine.join("src/runtime/wasm/host/mod.rs")).unwrap();
    assert_eq!(literals_after(&host, "path:"), ["wit"]);
}

#[test]
fn the_sdk_compiles_in_nothing_from_outside_its_package() {
    let sdk = repo().join("plugins/sdk");
    let bad = outside(&sdk);
    assert!(bad.is_empty(), "{bad:#?}");
}

#[test]
fn a_path_outside_the_package_is_caught() {
    let dir = tempfile::tempdir().unwrap();
    let package = dir.path().join("pkg");
    std::fs::create_dir_all(package.join("src")).unwrap();
    std::fs::write(dir.path().join("outside.txt"), "x").unwrap();
    std::fs::write(package.join("inside.txt"), "x").unwrap();
    std::fs::write(
        package.join("src/lib.rs"),
        "const A: &str = include_str!(\"../inside.txt\");\nconst B: &str = include_str!(\"../../outside.txt\");\n",
    )
    .unwrap();
    let bad = outside(&package);
    assert_eq!(bad.len(), 1, "{bad:#?}");
    assert!(bad[0].contains("outside.txt"), "{bad:#?}");
}

#[test]
fn the_engine_builds_against_the_sdks_contract() {
    let ours = std::fs::read_to_string(repo().join("engine/wit/umpire.wit")).unwrap();
    let sdk = std::fs::read_to_string(repo().join("plugins/sdk/wit/umpire.wit")).unwrap();
    assert!(
        ours == sdk,
        "engine/wit/umpire.wit differs from plugins/sdk/wit/umpire.wit: the SDK carries the contract; copy it to the engine"
    );
}

#[test]
fn the_built_in_league_is_the_example_league() {
    for file in ["league.toml", "schedule.json"] {
        let built_in = std::fs::read(repo().join("engine/src/cli/example").join(file)).unwrap();
        let example =
            std::fs::read(repo().join("examples/leagues/pacific-atlantic").join(file)).unwrap();
        assert!(
            built_in == example,
            "engine/src/cli/example/{file} differs from examples/leagues/pacific-atlantic/{file}: copy the example's"
        );
    }
}

/// `cargo package --list` for the SDK: what a published SDK would carry.
/// The full `cargo package` (which builds the packaged crate) runs in CI.
#[test]
fn the_sdk_packages_with_its_contract() {
    let sdk = repo().join("plugins/sdk");
    let out = Command::new(env!("CARGO"))
        .args(["package", "--list", "--allow-dirty", "--locked"])
        .current_dir(&sdk)
        .env_remove("CARGO_TARGET_DIR")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "cargo package --list failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let files: Vec<&str> = stdout.lines().collect();
    for needed in ["wit/umpire.wit", "src/lib.rs", "README.md", "Cargo.toml"] {
        assert!(files.contains(&needed), "{needed} not in {files:?}");
    }
}
