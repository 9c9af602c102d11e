//! `umpire new --lang rhai|rust NAME [--dir DIR]`: a plugin directory that
//! passes `umpire test` as written, for an author to change into their rule.
//!
//! Both languages get the same small rule (no kickoff before
//! `earliest_hour`, venue-local), a manifest and a fixture with a passing
//! and a failing case. A Rust plugin is its own cargo workspace depending on
//! the SDK by path, with the `wasm32-wasip2` target in `.cargo/config.toml`
//! and `rust-toolchain.toml`; its manifest's `[build]` makes umpire build it
//! on load.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(super) enum Lang {
    /// A Rhai script.
    Rhai,
    /// A Rust crate built to a WebAssembly component with the SDK.
    Rust,
}

#[derive(Debug, Args)]
pub(super) struct NewArgs {
    /// The plugin's language.
    #[arg(long, value_enum)]
    lang: Lang,
    /// The constraint id (letters, digits, '-' and '_'), e.g. `early-kickoff`.
    #[arg(value_name = "NAME")]
    name: String,
    /// Where to write it (must not exist); default `./NAME`.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
    /// The `umpire-plugin` SDK a Rust plugin depends on (default:
    /// `UMPIRE_SDK`, else the SDK of the umpire source tree this binary was
    /// built from). The plugin names it by its absolute path, so the plugin
    /// builds wherever it is moved on this machine.
    #[arg(long, value_name = "DIR", env = "UMPIRE_SDK")]
    sdk: Option<PathBuf>,
}

const RHAI_MANIFEST: &str = r#"id = "{{id}}"
name = "{{title}}"
description = "A game kicks off no earlier than `earliest_hour`, venue-local."
kind = "rhai"
source = "{{file}}.rhai"
scope = "game"
hardness = "soft"
weight = 50
timeout_ms = 50

[params]
earliest_hour = 12
"#;

const RHAI_SCRIPT: &str = r#"// {{id}}: a game kicks off no earlier than `params.earliest_hour`, venue-local.
// Try expressions live with `umpire repl --league LEAGUE --plugins .`;
// pin behaviour in tests/{{file}}.test.toml and run `umpire test .`.
if game.start.hour >= params.earliest_hour {
    return pass();
}
violation("minor", `${game.id} kicks off at ${game.start.clock}, before ${params.earliest_hour}:00`)
    .game(game)
    .venue(game.venue)
    .suggest(`move ${game.id} to ${params.earliest_hour}:00 or later`)
"#;

const FIXTURE: &str = r#"# Cases for {{id}}, run by `umpire test`. No `league` is named, so they
# run against the example league (pacific-atlantic) and its season; name
# one with `league = "DIR"` (relative to this file) or a [league] table.
constraint = "{{id}}"

[[case]]
name = "a 13:00 kickoff of the season is late enough"
game = "R01-TOR-SDG"
expect = "passed"

[[case]]
name = "a 10:00 kickoff is too early"
game = { id = "EARLY", home = "SEA", away = "POR", start = "2026-03-07T10:00" }
expect = "violated"
violations = [{ message = "EARLY kicks off at 10:00, before 12:00", severity = "minor", entities = ["game:EARLY", "venue:cascade-park"] }]
"#;

const RUST_MANIFEST: &str = r#"id = "{{id}}"
name = "{{title}}"
description = "A game kicks off no earlier than `earliest_hour`, venue-local."
kind = "wasm"
source = "target/wasm32-wasip2/release/{{file}}.wasm"
scope = "game"
hardness = "soft"
weight = 50
timeout_ms = 50

[params]
earliest_hour = 12

[wasm]
# Stateless: one instance per worker serves every call.
isolation = "reuse"
memory_mb = 16
# The fields of a game the rule reads; the others come empty, and a cached
# verdict holds when only they change. Add any field the rule starts to read.
fields = ["id", "venue", "start"]

[build]
# umpire runs this when the component is missing or older than the crate.
command = ["cargo", "build", "--release"]
dir = "."
"#;

const RUST_CARGO: &str = r#"[package]
name = "{{id}}"
description = "umpire plugin: a game kicks off no earlier than `earliest_hour`."
version = "0.1.0"
edition = "2024"
publish = false

[lib]
crate-type = ["cdylib"]

[dependencies]
umpire-plugin = { path = "{{sdk}}" }

# Its own workspace: built for wasm32-wasip2 (.cargo/config.toml), apart
# from any workspace around it.
[workspace]

[profile.release]
opt-level = 3
lto = true
codegen-units = 1
panic = "abort"
strip = true
"#;

const RUST_LIB: &str = r#"//! `{{id}}`: a game kicks off no earlier than `earliest_hour`, venue-local.

use umpire_plugin::{Description, Game, Outcome, Rule, Severity, Violation, params};

struct Plugin;

impl Rule for Plugin {
    fn describe() -> Description {
        Description::new("{{id}}", "{{title}}")
    }

    fn evaluate_game(game: &Game) -> Result<Outcome, String> {
        let earliest: u8 = params::get("earliest_hour")?;
        let local = game.start.local();
        if local.hour >= earliest {
            return Ok(Outcome::pass());
        }
        Ok(Outcome::from(
            Violation::new(
                Severity::Minor,
                format!(
                    "{} kicks off at {}, before {earliest}:00",
                    game.id,
                    local.clock()
                ),
            )
            .game(game)
            .venue(game.venue())
            .suggest(format!("move {} to {earliest}:00 or later", game.id)),
        ))
    }
}

umpire_plugin::export_rule!(Plugin);
"#;

const RUST_CARGO_CONFIG: &str = r#"# The crate is a WebAssembly component.
[build]
target = "wasm32-wasip2"
"#;

const RUST_TOOLCHAIN: &str = r#"[toolchain]
channel = "stable"
targets = ["wasm32-wasip2"]
profile = "minimal"
"#;

const RUST_README: &str = r#"# {{id}}

An umpire constraint plugin in Rust, built to a WebAssembly component.

```sh
cargo build --release            # target/wasm32-wasip2/release/{{file}}.wasm
umpire test .                    # builds it if stale, then runs tests/*.test.toml
umpire eval --league LEAGUE --plugins .
```

`{{file}}.toml` is the manifest; `src/lib.rs` the rule (the SDK's `Rule`
trait); `tests/{{file}}.test.toml` its fixture.
"#;

const RHAI_README: &str = r#"# {{id}}

An umpire constraint plugin in Rhai.

```sh
umpire test .                    # runs tests/*.test.toml
umpire repl --league LEAGUE --plugins .
umpire eval --league LEAGUE --plugins .
```

`{{file}}.toml` is the manifest, `{{file}}.rhai` the rule,
`tests/{{file}}.test.toml` its fixture.
"#;

pub(super) fn run(args: NewArgs) -> Result<ExitCode> {
    let id = &args.name;
    let valid = !id.is_empty()
        && id.starts_with(|c: char| c.is_ascii_lowercase())
        && id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_'));
    if !valid {
        bail!(
            "`{id}` is not a plugin name; use lowercase letters, digits, '-' and '_', starting with a letter (e.g. early-kickoff)"
        );
    }
    let dir = args.dir.clone().unwrap_or_else(|| PathBuf::from(id));
    if dir.exists() {
        bail!(
            "{}: already exists; choose another --dir, or remove it first",
            dir.display()
        );
    }
    let file = id.replace('-', "_");
    let title = title_of(id);
    let fill = |t: &str, sdk: &str| {
        t.replace("{{id}}", id)
            .replace("{{file}}", &file)
            .replace("{{title}}", &title)
            .replace("{{sdk}}", sdk)
    };
    let mut files: Vec<(PathBuf, String)> = vec![(
        PathBuf::from(format!("tests/{file}.test.toml")),
        fill(FIXTURE, ""),
    )];
    match args.lang {
        Lang::Rhai => {
            files.push((format!("{file}.toml").into(), fill(RHAI_MANIFEST, "")));
            files.push((format!("{file}.rhai").into(), fill(RHAI_SCRIPT, "")));
            files.push(("README.md".into(), fill(RHAI_README, "")));
        }
        Lang::Rust => {
            let sdk_dir = match &args.sdk {
                Some(s) => s.clone(),
                None => Path::new(env!("CARGO_MANIFEST_DIR")).join("../plugins/sdk"),
            };
            if !sdk_dir.join("Cargo.toml").is_file() {
                bail!(
                    "{}: no umpire-plugin SDK here; pass its directory (plugins/sdk of an umpire checkout) with --sdk DIR or UMPIRE_SDK",
                    sdk_dir.display()
                );
            }
            let sdk_dir = sdk_dir
                .canonicalize()
                .with_context(|| format!("{}: cannot resolve", sdk_dir.display()))?;
            // Absolute: a relative path would break when the plugin moves.
            let sdk = sdk_dir.display().to_string();
            if sdk.contains('"') || sdk.contains('\\') {
                bail!(
                    "{sdk}: the SDK's path holds a quote or a backslash, which Cargo.toml cannot take as written; move the SDK"
                );
            }
            files.push((format!("{file}.toml").into(), fill(RUST_MANIFEST, &sdk)));
            files.push(("Cargo.toml".into(), fill(RUST_CARGO, &sdk)));
            files.push(("src/lib.rs".into(), fill(RUST_LIB, &sdk)));
            files.push((".cargo/config.toml".into(), RUST_CARGO_CONFIG.to_owned()));
            files.push(("rust-toolchain.toml".into(), RUST_TOOLCHAIN.to_owned()));
            files.push(("README.md".into(), fill(RUST_README, &sdk)));
            files.push((".gitignore".into(), "/target\n".to_owned()));
            // The SDK's lock file pins versions known to build the contract.
            if let Ok(lock) = std::fs::read_to_string(sdk_dir.join("Cargo.lock")) {
                files.push(("Cargo.lock".into(), lock));
            }
        }
    }
    for (rel, text) in &files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("{}: cannot create", parent.display()))?;
        }
        std::fs::write(&path, text).with_context(|| format!("{}: cannot write", path.display()))?;
    }
    let mut out = anstream::stdout().lock();
    let lang = match args.lang {
        Lang::Rhai => "Rhai",
        Lang::Rust => "Rust",
    };
    writeln!(out, "created {lang} plugin `{id}` in {}", dir.display())?;
    let mut names: Vec<String> = files.iter().map(|(p, _)| p.display().to_string()).collect();
    names.sort();
    for n in names {
        writeln!(out, "  {n}")?;
    }
    writeln!(out, "next: umpire test {}", dir.display())?;
    Ok(ExitCode::SUCCESS)
}

/// `early-kickoff` as `Early kickoff`.
fn title_of(id: &str) -> String {
    let words = id.replace(['-', '_'], " ");
    let mut c = words.chars();
    match c.next() {
        Some(f) => f.to_uppercase().chain(c).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_read_as_words() {
        assert_eq!(title_of("early-kickoff"), "Early kickoff");
    }
}
