//! The engine's layers: engine/src/README.md's table says which modules
//! each module may use, and every `crate::...` path in the sources keeps to
//! it. A name the crate's root re-exports counts as the module it comes
//! from, so a path through the root is no way around the rule. "The public
//! API" is the root's names and the modules lib.rs declares `pub`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

/// The plain data (`umpire-model`, named `model` and `error` in the crate):
/// open to every module.
const OPEN: [&str; 2] = ["model", "error"];

/// What a module may use, as the table says.
#[derive(Debug, Default)]
struct MayUse {
    modules: BTreeSet<String>,
    public_api: bool,
}

/// Each row of the table: the module (`exec/` or `breaker.rs`) and what it
/// may use (its backticked module names, and whether "the public API").
fn table() -> BTreeMap<String, MayUse> {
    let readme = std::fs::read_to_string(src().join("README.md")).unwrap();
    let mut rows = BTreeMap::new();
    for line in readme.lines().filter(|l| l.starts_with("| `")) {
        let cells: Vec<&str> = line.split(" | ").collect();
        let name = backticked(cells[0]).next().unwrap();
        if name.starts_with("../") {
            continue; // umpire-model: a crate of its own, checked by cargo
        }
        let name = name.trim_end_matches('/').trim_end_matches(".rs");
        let may = cells.last().unwrap();
        let may_use = MayUse {
            modules: backticked(may).map(str::to_owned).collect(),
            public_api: may.contains("the public API"),
        };
        rows.insert(name.to_owned(), may_use);
    }
    rows
}

fn backticked(text: &str) -> impl Iterator<Item = &str> {
    text.split('`').skip(1).step_by(2)
}

/// The engine's modules: each folder and file of engine/src but the roots.
fn modules() -> BTreeSet<String> {
    std::fs::read_dir(src())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| !n.ends_with(".md") && n != "lib.rs" && n != "main.rs")
        .map(|n| n.trim_end_matches(".rs").to_owned())
        .collect()
}

/// The names lib.rs re-exports, with the module each comes from.
fn root_names(modules: &BTreeSet<String>) -> BTreeMap<String, String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    let lib: String = lib
        .lines()
        .filter(|l| !l.trim_start().starts_with("//"))
        .collect::<Vec<_>>()
        .join("\n");
    let mut names = BTreeMap::new();
    for item in lib.split(';') {
        let Some(path) = item.trim().strip_prefix("pub use ") else {
            continue;
        };
        let (from, list) = path.split_once("::").unwrap();
        let from = if from == "umpire_model" {
            "model"
        } else {
            from
        };
        if !modules.contains(from) && !OPEN.contains(&from) {
            continue;
        }
        let list = list.trim_start_matches('{').trim_end_matches('}');
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let name = name.rsplit(" as ").next().unwrap();
            names.insert(name.to_owned(), from.to_owned());
        }
    }
    names
}

/// The modules lib.rs declares `pub mod NAME;`.
fn public_modules() -> BTreeSet<String> {
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    lib.lines()
        .filter_map(|l| l.strip_prefix("pub mod ")?.strip_suffix(';'))
        .map(str::to_owned)
        .collect()
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

/// The first segment of every `crate::` path in `code` (comments left
/// out), grouped uses (`use crate::{a, b::c}`) opened.
fn crate_paths(code: &str) -> BTreeSet<String> {
    let code: String = code
        .lines()
        .map(|l| l.split("//").next().unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    let mut found = BTreeSet::new();
    for (at, _) in code.match_indices("crate::") {
        let before = code[..at].chars().next_back();
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `umpire_model::...`-like names ending in `crate`
        }
        let rest = &code[at + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = &group[..group.find('}').unwrap()];
            for item in group.split(',') {
                let first = item.trim().split("::").next().unwrap();
                let first = first.split_whitespace().next().unwrap_or("");
                if !first.is_empty() {
                    found.insert(first.to_owned());
                }
            }
        } else {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            found.insert(rest[..end].to_owned());
        }
    }
    found
}

#[test]
fn every_module_uses_only_what_its_row_in_the_table_allows() {
    let modules = modules();
    let table = table();
    let roots = root_names(&modules);
    let public = public_modules();
    let missing: Vec<_> = modules.iter().filter(|m| !table.contains_key(*m)).collect();
    assert!(
        missing.is_empty(),
        "engine/src/README.md has no row for {missing:?}"
    );
    let mut broken = Vec::new();
    for (module, may) in &table {
        let dir = src().join(module);
        let mut files = Vec::new();
        if dir.is_dir() {
            rust_files(&dir, &mut files);
        } else {
            files.push(src().join(format!("{module}.rs")));
        }
        for file in files {
            let code = std::fs::read_to_string(&file).unwrap();
            for first in crate_paths(&code) {
                let (target, through_root) = if modules.contains(&first) {
                    (first.clone(), false)
                } else if let Some(from) = roots.get(&first) {
                    (from.clone(), true)
                } else {
                    continue; // a macro or a name the root defines itself
                };
                let allowed = target == *module
                    || OPEN.contains(&target.as_str())
                    || may.modules.contains(&target)
                    || (may.public_api && (through_root || public.contains(&target)));
                if !allowed {
                    let file = file.strip_prefix(src()).unwrap().display().to_string();
                    broken.push(format!("{file}: crate::{first} ({target})"));
                }
            }
        }
    }
    assert!(
        broken.is_empty(),
        "imports the table in engine/src/README.md does not allow:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_reader_of_paths_sees_plain_grouped_and_root_uses() {
    let code = "use crate::exec::Evaluator;\nuse crate::{cache::Key, Registry as R};\n\
                // crate::server in a comment\nlet x = umpire_crate::y; crate::generate(&o);";
    let paths: Vec<_> = crate_paths(code).into_iter().collect();
    assert_eq!(paths, ["Registry", "cache", "exec", "generate"]);
    let modules = modules();
    let roots = root_names(&modules);
    assert_eq!(roots["Evaluator"], "exec");
    assert_eq!(roots["Verdict"], "model");
    assert_eq!(roots["Registry"], "registry");
    let public = public_modules();
    assert!(public.contains("cache") && public.contains("exec"));
    assert!(!public.contains("server") && !public.contains("cli"));
    assert!(table()["runtime"].modules.contains("manifests"));
    assert!(!table()["runtime"].public_api && table()["server"].public_api);
}
